/* buf_test.c — bounded buffers, refusing strings, hex and decimal parsing. */
#include "t.h"
#include "base/buf.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

T_TEST(buf_limits)
{
	struct buf b = BUF_INIT(8);
	t_check(buf_put(&b, "12345678", 8) == 0, "exactly max fits");
	t_check(b.len == 8 && b.p[8] == 0, "len 8, NUL-terminated");
	t_check(buf_putc(&b, 'x') == -E2BIG, "one past max is E2BIG");
	t_check(b.len == 8, "a refused put leaves the buffer as it was");
	buf_reset(&b);
	t_check(buf_printf(&b, "%d-%s", 42, "ab") == 0 && !strcmp((char *)b.p, "42-ab"), "printf");
	t_check(buf_printf(&b, "%s", "toolong") == -E2BIG && b.len == 5, "printf past max refused whole");
	buf_free(&b);
	t_check(b.p == NULL && b.len == 0 && b.max == 8, "free keeps max");
	buf_free(NULL);

	struct buf big = BUF_INIT(SIZE_MAX);
	t_check(buf_reserve(&big, SIZE_MAX) == -E2BIG, "reserve SIZE_MAX cannot overflow");
	t_check(buf_put(&big, "a", 1) == 0 && buf_reserve(&big, SIZE_MAX - 1) != 0, "len + extra overflow refused");
	size_t n;
	char *s = buf_steal(&big, &n);
	t_check(s && n == 1 && !strcmp(s, "a") && big.p == NULL, "steal");
	free(s);
	struct buf sec = BUF_INIT(64);
	buf_puts(&sec, "secret");
	buf_free_secret(&sec);
	t_check(sec.p == NULL, "free_secret");
}

T_TEST(str_refuses_truncation)
{
	static const struct { size_t n; const char *src; int ret; const char *out; } cases[] = {
		{6, "hello", 0, "hello"},
		{5, "hello", -ENAMETOOLONG, ""},
		{1, "", 0, ""},
		{1, "a", -ENAMETOOLONG, ""},
	};
	for (size_t i = 0; i < T_LEN(cases); i++) {
		char dst[16] = "garbage";
		int r = str_copy(dst, cases[i].n, cases[i].src);
		t_check(r == cases[i].ret && !strcmp(dst, cases[i].out), "str_copy case %zu", i);
		strcpy(dst, "garbage");
		r = str_fmt(dst, cases[i].n, "%s", cases[i].src);
		t_check(r == cases[i].ret && !strcmp(dst, cases[i].out), "str_fmt case %zu", i);
	}
	t_check(str_starts("keel.debug", "keel") && !str_starts("kee", "keel"), "str_starts");
	t_check(str_ends("a.conf", ".conf") && !str_ends("conf", ".conf"), "str_ends");
}

T_TEST(hex)
{
	static const struct { const char *in; size_t n; int ret; const char *bytes; } cases[] = {
		{"00ff7F", 3, 0, "\x00\xff\x7f"},
		{"00ff7", 3, -EINVAL, NULL},    /* odd length */
		{"00ff7f00", 3, -EINVAL, NULL}, /* too long */
		{"0g", 1, -EINVAL, NULL},       /* not hex */
		{"+1", 1, -EINVAL, NULL},
		{" 1", 1, -EINVAL, NULL},
		{"", 0, 0, ""},
	};
	for (size_t i = 0; i < T_LEN(cases); i++) {
		uint8_t out[8];
		int r = hex_decode(out, cases[i].n, cases[i].in, strlen(cases[i].in));
		t_check(r == cases[i].ret && (r || !memcmp(out, cases[i].bytes, cases[i].n)), "hex_decode %zu: %s", i, cases[i].in);
	}
	char s[9];
	hex_encode(s, (const uint8_t *)"\x01\xab\xff\x00", 4);
	t_check(!strcmp(s, "01abff00"), "hex_encode lower case: %s", s);
	/* RFC 4648's test vectors, padded */
	static const char *const b64[][2] = {{"", ""}, {"f", "Zg=="}, {"fo", "Zm8="}, {"foo", "Zm9v"}, {"foob", "Zm9vYg=="},
		{"fooba", "Zm9vYmE="}, {"foobar", "Zm9vYmFy"}, {"\xff\xfe", "//4="}};
	for (size_t i = 0; i < T_LEN(b64); i++) {
		char o[16];
		size_t n = b64_encode(o, (const uint8_t *)b64[i][0], strlen(b64[i][0]));
		t_check(n == strlen(b64[i][1]) && !strcmp(o, b64[i][1]), "b64_encode %s: %s", b64[i][1], o);
	}
}

/* hex_digit, for all 256 byte values: exactly 0-9, a-f, A-F have a value (the forged ones are the
 * neighbours of each range: '/', ':', '@', 'G', '`', 'g', and bytes with the high bit set). */
T_TEST(hex_digit_all_bytes)
{
	static const char *const digits = "0123456789abcdef", *const upper = "ABCDEF";
	int n = 0;
	for (int c = 0; c < 256; c++) {
		const char *at = c ? strchr(digits, c) : NULL, *up = c ? strchr(upper, c) : NULL;
		int want = at ? (int)(at - digits) : up ? 10 + (int)(up - upper) : -1;
		if (hex_digit(c) != want) {
			t_check(0, "hex_digit(0x%02x) = %d, want %d", c, hex_digit(c), want);
			n++;
		}
	}
	t_check(n == 0 && hex_digit('/') < 0 && hex_digit(':') < 0 && hex_digit('G') < 0 && hex_digit('g') < 0 &&
		hex_digit('f') == 15 && hex_digit('F') == 15 && hex_digit(0xe6) < 0, "%d wrong", n);
}

T_TEST(decimal)
{
	static const struct { const char *in; uint64_t min, max; int ret; uint64_t v; } cases[] = {
		{"0", 0, 10, 0, 0},
		{"10", 0, 10, 0, 10},
		{"11", 0, 10, -ERANGE, 0},
		{"18446744073709551615", 0, UINT64_MAX, 0, UINT64_MAX},
		{"18446744073709551616", 0, UINT64_MAX, -ERANGE, 0},
		{"99999999999999999999999", 0, UINT64_MAX, -ERANGE, 0},
		{"", 0, 10, -EINVAL, 0},
		{"-1", 0, 10, -EINVAL, 0},
		{"1k", 0, 10, -EINVAL, 0},
		{"0x10", 0, 100, -EINVAL, 0},
		{" 1", 0, 10, -EINVAL, 0},
		{"511", 512, 1024, -ERANGE, 0},
	};
	for (size_t i = 0; i < T_LEN(cases); i++) {
		uint64_t v = 12345;
		int r = parse_u64(cases[i].in, cases[i].min, cases[i].max, &v);
		t_check(r == cases[i].ret && (r || v == cases[i].v), "parse_u64 %zu: '%s' -> %d", i, cases[i].in, r);
	}
}
