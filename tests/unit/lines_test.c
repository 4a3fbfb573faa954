/* lines_test.c — base/lines: the line cursor over (p, end), on texts with and without a final
 * newline, empty lines, CRLF, NUL bytes and a text that is nothing but newlines. */
#include "t.h"
#include "base/lines.h"

#include <string.h>

T_TEST(lines_table)
{
	/* want: the lines joined by '|', each followed by '$' when a '\n' ended it; a NUL shown as '~' */
	static const struct { const char *in; size_t len; const char *want; size_t n; } cases[] = {
		{"", 0, "", 0},
		{"a", 1, "a", 1},
		{"a\n", 2, "a$", 1},
		{"a\nb", 3, "a$|b", 2},
		{"a\nb\n", 4, "a$|b$", 2},
		{"\n", 1, "$", 1},
		{"\n\n", 2, "$|$", 2},
		{"a\n\nb", 4, "a$|$|b", 3},
		{"a\r\nb\r\n", 6, "a\r$|b\r$", 2},       /* '\r' is the caller's */
		{"a\0b\nc", 5, "a~b$|c", 2},             /* a NUL is a byte like any other */
		{"abc\ndef", 2, "ab", 1},                /* the length bounds it, not a NUL */
	};
	for (size_t i = 0; i < T_LEN(cases); i++) {
		struct lines c;
		const char *s;
		size_t n, o = 0;
		char got[64];
		lines_init(&c, cases[i].in, cases[i].len);
		while (lines_next(&c, &s, &n) && o + n + 2 < sizeof(got)) {
			if (c.no > 1)
				got[o++] = '|';
			for (size_t k = 0; k < n; k++)
				got[o++] = s[k] ? s[k] : '~';
			if (c.nl)
				got[o++] = '$';
		}
		t_check(c.no == cases[i].n && o == strlen(cases[i].want) && !memcmp(got, cases[i].want, o) &&
				!lines_next(&c, &s, &n),
			"case %zu: %zu lines, %zu bytes", i, c.no, o);
	}
}

T_TEST(lines_null_and_end)
{
	struct lines c;
	const char *s = "x";
	size_t n = 7;
	lines_init(&c, NULL, 0);
	t_check(!lines_next(&c, &s, &n) && c.no == 0 && !strcmp(s, "x") && n == 7, "NULL text gives no line");
	static char big[70000];
	memset(big, 'y', sizeof(big));
	big[sizeof(big) - 1] = '\n';
	lines_init(&c, big, sizeof(big));
	t_check(lines_next(&c, &s, &n) && s == big && n == sizeof(big) - 1 && c.nl && !lines_next(&c, &s, &n),
		"one long line: %zu bytes", n);
}

T_TEST(lines_value_of_key)
{
	static const char rec[] = "slot=USR-A\nentry=keel-2+3.efi\nentry2=x\nfallback=\nversion=1\nversion=2\nlong=0123456789\n=v\nnokey";
	static const struct { const char *key; size_t n; const char *want; } cases[] = {
		{"slot", 16, "USR-A"},
		{"entry", 64, "keel-2+3.efi"},   /* not entry2= */
		{"fallback", 16, ""},
		{"version", 16, "2"},            /* the last one */
		{"long", 11, "0123456789"},
		{"long", 10, ""},                /* does not fit: absent */
		{"nokey", 16, ""},               /* no '=' */
		{"slo", 16, ""},                 /* a prefix of a key */
		{"missing", 16, ""},
	};
	for (size_t i = 0; i < T_LEN(cases); i++) {
		char out[64] = "junk";
		lines_value(rec, sizeof(rec) - 1, cases[i].key, out, cases[i].n);
		t_check(!strcmp(out, cases[i].want), "case %zu: %s= gave '%s', want '%s'", i, cases[i].key, out, cases[i].want);
	}
	char out[8] = "junk";
	lines_value(NULL, 0, "slot", out, sizeof(out));
	t_check(!out[0], "empty text: '%s'", out);
}
