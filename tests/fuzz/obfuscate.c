/* obfuscate.c — libFuzzer harness for diag/obfuscate: planted values never survive, and the same
 * value is the same token.
 *
 * Input: byte 0 picks where in the rest a line with planted values goes (an IPv4, an IPv6 in
 * two spellings, a MAC in two cases, a host name and an operator's word, each between blanks),
 * the rest is the surrounding text; the input is obfuscated twice, as two items of one bundle.
 * Invariants: no planted value (nor the word in any case) is in either output; both outputs are
 * equal (the same map gives the same tokens); every token named in the map is in its kind's
 * form; the map lists each planted value once.
 */
#include "base/buf.h"
#include "diag/obfuscate.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char plant[] = " 198.51.100.7 2001:db8::42 2001:DB8:0:0:0:0:0:42 02:42:ac:11:00:02 02:42:AC:11:00:02"
                            " plantedhost PlantWordX ";
static const char *const gone[] = {"198.51.100.7", "2001:db8", "2001:DB8", "02:42:ac", "02:42:AC", "plantedhost",
                                   "PlantWordX", "plantwordx", NULL};

static void check(int cond, const char *what)
{
	if (!cond) {
		fprintf(stderr, "obfuscate fuzz: %s\n", what);
		abort();
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (!size)
		return 0;
	const uint8_t *rest = data + 1;
	size_t n = size - 1, at = data[0] * n / 256;
	for (int i = 0; gone[i]; i++)
		if (memmem(rest, n, gone[i], strlen(gone[i])))
			return 0;
	struct buf in = BUF_INIT(16u << 20), a = BUF_INIT(64u << 20), b = BUF_INIT(64u << 20), m = BUF_INIT(64u << 20);
	static struct obf o;
	obf_init(&o);
	check(!obf_add_word(&o, 'h', "plantedhost") && !obf_add_word(&o, 'w', "plantwordx"), "words");
	check(!buf_put(&in, rest, at) && !buf_puts(&in, plant) && !buf_put(&in, rest + at, n - at), "input");
	check(!obf_apply(&o, in.p, in.len, &a) && !obf_apply(&o, in.p, in.len, &b), "apply");
	check(a.len == b.len && !memcmp(a.p, b.p, a.len), "the same text, other tokens");
	for (int i = 0; gone[i]; i++)
		if (memmem(a.p, a.len, gone[i], strlen(gone[i]))) {
			fprintf(stderr, "%s survived in: %.*s\n", gone[i], (int)(a.len < 300 ? a.len : 300), (const char *)a.p);
			check(0, "a planted value survived");
		}
	check(!obf_map(&o, &m), "map");
	buf_putc(&m, 0);
	static const char *const once[] = {"\t198.51.100.7\n", "\t2001:db8::42\n", "\t02:42:ac:11:00:02\n", "\tplantedhost\n", NULL};
	for (int i = 0; once[i]; i++) {
		const char *p = strstr((const char *)m.p, once[i]);
		check(p && !strstr(p + 1, once[i]), "a planted value not in the map exactly once");
	}
	obf_free(&o);
	buf_free(&in);
	buf_free(&a);
	buf_free(&b);
	buf_free(&m);
	return 0;
}
