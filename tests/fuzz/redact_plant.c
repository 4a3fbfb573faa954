/* redact_plant.c — libFuzzer harness for diag/redact: a planted secret in a context a rule covers
 * never survives, whatever text surrounds it.
 *
 * Input: byte 0 picks the context (one per rule: key=value, JSON, header, flag with a space, flag
 * and value as two argv strings, NAME=value in an environment, URL credentials, a PEM private
 * key, a password hash, a quoted value with spaces), byte 1 where in the rest the planted line
 * goes (on a line of its own), byte 2 how the stream is cut into writes. Invariants: the secret
 * (not even its first 4 bytes) is nowhere in the output; redacting the output again changes
 * nothing; the scanner finds nothing left in it.
 */
#include "redact_run.h"

#define SECRET "Q9zXw7V2kL5mN3pR"

#define C(x) {x, sizeof(x) - 1}
static const struct {
	const char *s;
	size_t n;
} contexts[] = {
	C("db_password=" SECRET),
	C("{\"api_token\": \"" SECRET "\"}"),
	C("Authorization: Bearer " SECRET),
	C("Proxy-Authorization: Basic " SECRET),
	C("app --password " SECRET " -v"),
	C("--token\0" SECRET "\0-v"),
	C("GITHUB_TOKEN=" SECRET),
	C("mirror = https://bob:" SECRET "@registry.example/v2/"),
	C("-----BEGIN OPENSSH PRIVATE KEY-----\n" SECRET "\n-----END OPENSSH PRIVATE KEY-----"),
	C("root:$6$saltsalt$" SECRET "xx/yy:19000:0:99999:7:::"),
	C("secret: 'correct horse " SECRET " staple'"),
	C("\"auth\": \"" SECRET "\""),
};


int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 3)
		return 0;
	size_t k = data[0] % (sizeof(contexts) / sizeof(contexts[0])), step = data[2] ? data[2] : 1;
	const uint8_t *rest = data + 3;
	size_t n = size - 3, at = n ? data[1] * n / 256 : 0;
	if (memmem(rest, n, SECRET, 4))
		return 0; /* the surrounding text must not hold it already */
	const char *c = contexts[k].s;
	size_t cl = contexts[k].n;
	struct buf in = BUF_INIT(16u << 20), a = BUF_INIT(64u << 20), b = BUF_INIT(64u << 20);
	check(!buf_put(&in, rest, at) && !buf_putc(&in, '\n') && !buf_put(&in, c, cl) && !buf_putc(&in, '\n') &&
	      !buf_put(&in, rest + at, n - at), "building the input");
	run(in.p, in.len, step, &a);
	if (memmem(a.p ? a.p : (uint8_t *)"", a.len, SECRET, 4)) {
		fprintf(stderr, "context %zu survived:\n", k);
		fwrite(a.p, 1, a.len < 400 ? a.len : 400, stderr);
		check(0, "the planted secret is in the output");
	}
	run(a.p, a.len, a.len ? a.len : 1, &b);
	check(a.len == b.len && (!a.len || !memcmp(a.p, b.p, a.len)), "not idempotent");
	struct redact s;
	check(!redact_init(&s, REDACT_SCAN, NULL, NULL, NULL), "scan init");
	redact_write(&s, a.p, a.len);
	redact_finish(&s);
	check(s.hits == 0, "the scanner flags the redacted stream");
	redact_free(&s);
	buf_free(&in);
	buf_free(&a);
	buf_free(&b);
	return 0;
}
