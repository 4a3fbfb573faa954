/* mountinfo.c — libFuzzer harness for core/base/mountinfo.c (the reader of /proc/PID/mountinfo
 * behind PID 1's sandboxing, shutdown's unmounting and the policy host checks).
 *
 * Every entry read has non-empty fields; written back as the kernel writes it (root, mount point
 * and source with space, tab, newline and backslash as \ooo) and read again, the same entries
 * come back, in the same order.
 */
#include "base/buf.h"
#include "base/mountinfo.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX 4096

static void check(int cond, const char *what)
{
	if (!cond) {
		fprintf(stderr, "mountinfo fuzz: %s\n", what);
		abort();
	}
}

static void escaped(struct buf *b, const char *s)
{
	for (; *s; s++)
		if (*s == ' ' || *s == '\t' || *s == '\n' || *s == '\\')
			buf_printf(b, "\\%03o", (unsigned char)*s);
		else
			buf_put(b, s, 1);
}

static int read_all(char *text, size_t len, struct mountinfo *m)
{
	struct mountinfo_iter it;
	int n = 0;
	mountinfo_init(&it, text, len);
	while (n < MAX && mountinfo_next(&it, &m[n])) {
		check(m[n].root[0] && m[n].mp[0] && m[n].opts[0] && m[n].fstype[0] && m[n].source[0], "an empty field");
		n++;
	}
	return n;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct mountinfo a[MAX], b[MAX];
	char *text = malloc(size + 1);
	if (!text)
		return 0;
	memcpy(text, data, size);
	text[size] = 0;
	int n = read_all(text, size, a);
	struct buf out = BUF_INIT(1u << 24);
	for (int i = 0; i < n; i++) {
		buf_printf(&out, "%d 1 0:%d ", i + 1, i);
		escaped(&out, a[i].root);
		buf_put(&out, " ", 1);
		escaped(&out, a[i].mp);
		buf_printf(&out, " %s - %s ", a[i].opts, a[i].fstype);
		escaped(&out, a[i].source);
		buf_printf(&out, "%s%s\n", a[i].super[0] ? " " : "", a[i].super);
	}
	check(read_all((char *)out.p, out.len, b) == n, "written back: another number of entries");
	for (int i = 0; i < n; i++)
		check(!strcmp(a[i].root, b[i].root) && !strcmp(a[i].mp, b[i].mp) && !strcmp(a[i].opts, b[i].opts) &&
			!strcmp(a[i].fstype, b[i].fstype) && !strcmp(a[i].source, b[i].source) && !strcmp(a[i].super, b[i].super),
			"written back: another entry");
	buf_free(&out);
	free(text);
	return 0;
}
