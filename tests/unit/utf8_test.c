/* utf8_test.c — base/utf8: RFC 3629 sequences accepted, every kind of forged one refused with the
 * length of its ill-formed prefix, and the encoder's boundaries read back by the checker. */
#include "t.h"
#include "base/utf8.h"

#include <string.h>

T_TEST(utf8_seq_table)
{
	static const struct { const char *in; size_t len; int ok; size_t n; } cases[] = {
		{"a", 1, 1, 1},
		{"\x7f", 1, 1, 1},
		{"\xc2\x80", 2, 1, 2},             /* U+0080 */
		{"\xdf\xbf", 2, 1, 2},             /* U+07FF */
		{"\xe0\xa0\x80", 3, 1, 3},         /* U+0800 */
		{"\xed\x9f\xbf", 3, 1, 3},         /* U+D7FF */
		{"\xee\x80\x80", 3, 1, 3},         /* U+E000 */
		{"\xef\xbf\xbf", 3, 1, 3},         /* U+FFFF */
		{"\xf0\x90\x80\x80", 4, 1, 4},     /* U+10000 */
		{"\xf4\x8f\xbf\xbf", 4, 1, 4},     /* U+10FFFF */
		{"\xc3\xa9xyz", 5, 1, 2},          /* stops at the sequence's end */
		/* forged */
		{"\x80", 1, 0, 1},                 /* a continuation byte alone */
		{"\xbf", 1, 0, 1},
		{"\xc0\x80", 2, 0, 1},             /* overlong U+0000 */
		{"\xc1\xbf", 2, 0, 1},             /* overlong U+007F */
		{"\xe0\x80\x80", 3, 0, 1},         /* overlong, 3 bytes */
		{"\xe0\x9f\xbf", 3, 0, 1},
		{"\xf0\x80\x80\x80", 4, 0, 1},     /* overlong, 4 bytes */
		{"\xf0\x8f\xbf\xbf", 4, 0, 1},
		{"\xed\xa0\x80", 3, 0, 1},         /* U+D800, a surrogate */
		{"\xed\xbf\xbf", 3, 0, 1},         /* U+DFFF */
		{"\xf4\x90\x80\x80", 4, 0, 1},     /* U+110000 */
		{"\xf5\x80\x80\x80", 4, 0, 1},
		{"\xff", 1, 0, 1},
		{"\xc3", 1, 0, 1},                 /* cut short by the end */
		{"\xe2\x82", 2, 0, 2},
		{"\xf0\x9f\x98", 3, 0, 3},
		{"\xe2\x82x", 3, 0, 2},            /* cut short by an ASCII byte */
		{"\xc3\xc3\xa9", 3, 0, 1},
	};
	for (size_t i = 0; i < T_LEN(cases); i++) {
		const unsigned char *p = (const unsigned char *)cases[i].in;
		int ok = -1;
		size_t n = utf8_seq(p, p + cases[i].len, &ok);
		t_check(ok == cases[i].ok && n == cases[i].n, "case %zu: ok %d n %zu, want ok %d n %zu", i, ok, n,
			cases[i].ok, cases[i].n);
	}
}

T_TEST(utf8_put_boundaries)
{
	static const struct { uint32_t cp; const char *want; } cases[] = {
		{0, "\x00"}, {0x41, "A"}, {0x7f, "\x7f"}, {0x80, "\xc2\x80"}, {0x7ff, "\xdf\xbf"}, {0x800, "\xe0\xa0\x80"},
		{0xe9, "\xc3\xa9"}, {0xfffd, "\xef\xbf\xbd"}, {0xffff, "\xef\xbf\xbf"}, {0x10000, "\xf0\x90\x80\x80"},
		{0x1f600, "\xf0\x9f\x98\x80"}, {0x10ffff, "\xf4\x8f\xbf\xbf"},
	};
	for (size_t i = 0; i < T_LEN(cases); i++) {
		unsigned char out[4];
		size_t want = cases[i].cp ? strlen(cases[i].want) : 1, n = utf8_put(out, cases[i].cp);
		int ok = 0;
		t_check(n == want && !memcmp(out, cases[i].want, n) && utf8_seq(out, out + n, &ok) == n && ok,
			"case %zu: U+%04X: %zu bytes", i, (unsigned)cases[i].cp, n);
	}
}
