/* inflate_test.c — core/archive/inflate: hand-made DEFLATE streams, each forgery next to the
 * stream it was made from (vectors written by a bit writer in python, following RFC 1951), the
 * gzip and zlib wrappers, the output cap, one-byte-at-a-time input, failing readers and sinks. */
#include "t.h"
#include "archive/inflate.h"
#include "base/buf.h"
#include "base/err.h"

#include <errno.h>
#include <string.h>

static const uint8_t fixed_ok[] = {0x4b, 0x04, 0x02, 0x00}; /* "a", then length 3 at distance 1 */
static const uint8_t too_far[] = {0x03, 0x02, 0x00};        /* a match before any output */
static const uint8_t dist30[] = {0x4b, 0x04, 0x3e, 0x00};   /* distance code 30 */
static const uint8_t len286[] = {0x4b, 0x1c, 0x03};         /* length code 286 */
static const uint8_t type3[] = {0x07};
static const uint8_t clen_incomplete[] = {0x05, 0xe0, 0xdb, 0xb6, 0x6d, 0xdb, 0xb6, 0x6d, 0xdb, 0x02};
static const uint8_t clen_over[] = {0x05, 0xe0, 0x01, 0x04, 0x00, 0x00, 0x00, 0x40, 0x10, 0x00};
static const uint8_t repeat_first[] = {0x05, 0xe0, 0x09, 0x90, 0x24, 0x49, 0x92, 0x24, 0x49, 0x3c};
static const uint8_t hlit287[] = {0xf5, 0xe0, 0x01};
/* fixed block "ab", stored block "hello", fixed block "c" + (length 4, distance 5): the wide
 * refill of the first block loads bytes of the stored block that the copy then takes directly */
static const uint8_t mixed[] = {0x4a, 0x4c, 0x02, 0x00, 0x05, 0x00, 0xfa, 0xff, 0x68, 0x65, 0x6c, 0x6c, 0x6f, 0x4b, 0x06, 0x11,
	0x00};
static const uint8_t stored_ok[] = {0x01, 0x05, 0x00, 0xfa, 0xff, 'h', 'e', 'l', 'l', 'o'};
static const uint8_t stored_nlen[] = {0x01, 0x05, 0x00, 0xfb, 0xff, 'h', 'e', 'l', 'l', 'o'};
static const uint8_t gz_hello[] = {0x1f, 0x8b, 0x08, 0x00, 0x00, 0x00, 0x00, 0x00, 0x02, 0xff, 0xcb, 0x48, 0xcd,
	0xc9, 0xc9, 0xe7, 0x02, 0x00, 0x20, 0x30, 0x3a, 0x36, 0x06, 0x00, 0x00, 0x00};
static const uint8_t zl_hello[] = {0x78, 0x9c, 0xcb, 0x48, 0xcd, 0xc9, 0xc9, 0x57, 0xc8, 0x40, 0x90, 0x5c, 0x00,
	0x40, 0xb5, 0x06, 0x87};

static uint8_t buf_a[400], buf_b[400];

/* no_eob: 258 lit/len + 1 distance lengths, all 0 (code-length code: 0..14 and 16, 4 bits each);
 * repeat_past: 256 lengths of 1 then "repeat 6" past the 258 declared. */
static size_t make_no_eob(void)
{
	static const uint8_t head[] = {0x0d, 0xe0, 0x09, 0x90, 0x24, 0x49, 0x92, 0x24, 0x49};
	memset(buf_a, 0, sizeof(buf_a));
	memcpy(buf_a, head, sizeof(head));
	return sizeof(head) + 140;
}

static size_t make_repeat_past(void)
{
	static const uint8_t head[] = {0x05, 0xe0, 0x09, 0x90, 0x24, 0x49, 0x92, 0x24, 0x49, 0x20};
	memcpy(buf_b, head, sizeof(head));
	memset(buf_b + sizeof(head), 0x22, 127);
	buf_b[sizeof(head) + 127] = 0xfe;
	return sizeof(head) + 128;
}

T_TEST(inflate_vectors)
{
	size_t no_eob_len = make_no_eob(), repeat_past_len = make_repeat_past();
	const struct {
		const char *name;
		enum inflate_fmt fmt;
		const uint8_t *in;
		size_t len;
		int want;
		const char *out_or_msg;
	} cases[] = {
		{"fixed block", INFLATE_RAW, fixed_ok, sizeof(fixed_ok), 0, "aaaa"},
		{"match before the start", INFLATE_RAW, too_far, sizeof(too_far), -EINVAL, "distance too far back (offset"},
		{"distance code 30", INFLATE_RAW, dist30, sizeof(dist30), -EINVAL, "invalid distance code"},
		{"length code 286", INFLATE_RAW, len286, sizeof(len286), -EINVAL, "invalid literal/length code"},
		{"block type 3", INFLATE_RAW, type3, sizeof(type3), -EINVAL, "invalid block type 3 (offset 0)"},
		{"incomplete code-length code", INFLATE_RAW, clen_incomplete, sizeof(clen_incomplete), -EINVAL, "invalid code-length code"},
		{"over-subscribed code-length code", INFLATE_RAW, clen_over, sizeof(clen_over), -EINVAL, "invalid code-length code"},
		{"repeat with no previous length", INFLATE_RAW, repeat_first, sizeof(repeat_first), -EINVAL, "repeat of no previous"},
		{"no end-of-block code", INFLATE_RAW, buf_a, no_eob_len, -EINVAL, "no end-of-block code"},
		{"repeat past the last code", INFLATE_RAW, buf_b, repeat_past_len, -EINVAL, "repeat past the last code"},
		{"287 length codes", INFLATE_RAW, hlit287, sizeof(hlit287), -EINVAL, "too many length or distance codes"},
		{"stored block", INFLATE_RAW, stored_ok, sizeof(stored_ok), 0, "hello"},
		{"Huffman, stored, Huffman blocks", INFLATE_RAW, mixed, sizeof(mixed), 0, "abhellocello"},
		{"stored block, NLEN wrong", INFLATE_RAW, stored_nlen, sizeof(stored_nlen), -EINVAL, "complement (offset 5)"},
		{"stored block, truncated", INFLATE_RAW, stored_ok, sizeof(stored_ok) - 1, -EINVAL, "truncated stored block (offset 9)"},
		{"raw: data after the end", INFLATE_RAW, gz_hello + 10, 9, -EINVAL, "data after the end of the stream (offset 8)"},
		{"empty raw input", INFLATE_RAW, fixed_ok, 0, -EINVAL, "truncated block header (offset 0)"},
		{"gzip", INFLATE_GZIP, gz_hello, sizeof(gz_hello), 0, "hello\n"},
		{"gzip, empty input", INFLATE_GZIP, gz_hello, 0, -EINVAL, "truncated header (offset 0)"},
		{"gzip, truncated ISIZE", INFLATE_GZIP, gz_hello, sizeof(gz_hello) - 1, -EINVAL, "truncated trailer (offset 25)"},
		{"zlib", INFLATE_ZLIB, zl_hello, sizeof(zl_hello), 0, "hello hello hello\n"},
		{"zlib read as gzip", INFLATE_GZIP, zl_hello, sizeof(zl_hello), -EINVAL, "not in gzip format (offset 0)"},
		{"gzip read as zlib", INFLATE_ZLIB, gz_hello, sizeof(gz_hello), -EINVAL, "header check bits wrong"},
	};
	for (size_t i = 0; i < T_LEN(cases); i++) {
		struct buf out = BUF_INIT(1 << 20);
		struct kerr e = {0};
		int r = inflate_mem(cases[i].fmt, cases[i].in, cases[i].len, &out, &e);
		t_check(r == cases[i].want, "%s: got %d (%s), want %d", cases[i].name, r, e.msg, cases[i].want);
		if (!r && !cases[i].want)
			t_check(out.len == strlen(cases[i].out_or_msg) && !memcmp(out.p, cases[i].out_or_msg, out.len),
				"%s: output %.*s", cases[i].name, (int)out.len, out.p ? (char *)out.p : "");
		else if (r)
			t_check(strstr(e.msg, cases[i].out_or_msg) != NULL, "%s: message %s", cases[i].name, e.msg);
		buf_free(&out);
	}
}

/* Each bit of a good gzip stream flipped: never a crash, and what is accepted decodes to the
 * original. Accepted are exactly the 55 flips that change nothing checked: FTEXT (byte 3 bit 0),
 * MTIME/XFL/OS (bytes 4-9) and the six padding bits after the end-of-block code (byte 17). */
T_TEST(inflate_gzip_forgeries)
{
	int refused = 0;
	for (size_t i = 0; i < sizeof(gz_hello); i++) {
		for (int bit = 0; bit < 8; bit++) {
			uint8_t f[sizeof(gz_hello)];
			memcpy(f, gz_hello, sizeof(f));
			f[i] ^= (uint8_t)(1 << bit);
			struct buf out = BUF_INIT(1 << 20);
			struct kerr e = {0};
			int r = inflate_mem(INFLATE_GZIP, f, sizeof(f), &out, &e);
			int harmless = (i == 3 && bit == 0) || (i >= 4 && i < 10) || (i == 17 && bit >= 2);
			if (r) {
				refused++;
				t_check(strstr(e.msg, "(offset ") != NULL, "byte %zu bit %d: no offset in %s", i, bit, e.msg);
			}
			t_check(harmless == !r && (r || (out.len == 6 && !memcmp(out.p, "hello\n", 6))), "byte %zu bit %d: %d %s", i,
				bit, r, e.msg);
			buf_free(&out);
		}
	}
	t_check(refused == 8 * (int)sizeof(gz_hello) - 55, "refused %d flips", refused);
}

struct trickle {
	const uint8_t *p;
	size_t n;
	int fail_at; /* read returns -EIO once this many bytes were given (-1: never) */
};

static ssize_t trickle_read(void *ctx, uint8_t *b, size_t cap, struct kerr *e)
{
	struct trickle *t = ctx;
	(void)cap;
	(void)e;
	if (t->fail_at == 0)
		return -EIO;
	if (!t->n)
		return 0;
	t->fail_at--;
	*b = *t->p++;
	t->n--;
	return 1;
}

static int sink_buf(void *ctx, const uint8_t *p, size_t n, struct kerr *e)
{
	(void)e;
	return buf_put(ctx, p, n);
}

static int sink_fail(void *ctx, const uint8_t *p, size_t n, struct kerr *e)
{
	(void)ctx, (void)p, (void)n;
	return kerr_set(e, -ENOSPC, "sink full");
}

T_TEST(inflate_streaming)
{
	/* one byte per read: the slow refill paths, same result */
	struct buf out = BUF_INIT(1 << 20);
	struct trickle t = {gz_hello, sizeof(gz_hello), -1};
	struct inflate_io io = {trickle_read, &t, sink_buf, &out, 1 << 20};
	struct inflate_stats st = {0};
	struct kerr e = {0};
	int r = inflate_stream(INFLATE_GZIP, &io, &st, &e);
	t_check(!r && out.len == 6 && !memcmp(out.p, "hello\n", 6), "trickled gzip: %d %s", r, e.msg);
	t_check(st.in == sizeof(gz_hello) && st.out == 6 && st.members == 1, "stats %llu %llu %u",
		(unsigned long long)st.in, (unsigned long long)st.out, st.members);
	/* a reader error is passed through */
	struct trickle t2 = {gz_hello, sizeof(gz_hello), 12};
	io.rctx = &t2;
	buf_reset(&out);
	r = inflate_stream(INFLATE_GZIP, &io, NULL, &e);
	t_check(r == -EIO && out.len == 0, "reader error: %d", r);
	/* a sink error is passed through with its message */
	io.rctx = &(struct trickle){gz_hello, sizeof(gz_hello), -1};
	io.sink = sink_fail;
	r = inflate_stream(INFLATE_GZIP, &io, NULL, &e);
	t_check(r == -ENOSPC && !strcmp(e.msg, "sink full"), "sink error: %d %s", r, e.msg);
	buf_free(&out);
}

T_TEST(inflate_cap)
{
	for (size_t cap = 0; cap <= 7; cap++) {
		struct buf out = BUF_INIT(cap);
		struct kerr e = {0};
		int r = inflate_mem(INFLATE_GZIP, gz_hello, sizeof(gz_hello), &out, &e);
		t_check(cap >= 6 ? !r : r == -EFBIG && out.len == 0 && strstr(e.msg, "larger than the limit"), "cap %zu: %d %s",
			cap, r, e.msg);
		buf_free(&out);
	}
	t_alloc_fail(1);
	struct buf out = BUF_INIT(100);
	int r = inflate_mem(INFLATE_GZIP, gz_hello, sizeof(gz_hello), &out, NULL);
	t_check(t_alloc_failed() && r == -ENOMEM, "allocation failure: %d", r);
	buf_free(&out);
}

T_TEST(inflate_crc32)
{
	/* the check value of CRC-32/ISO-HDLC, split at every point */
	static const char nine[] = "123456789";
	for (size_t k = 0; k <= 9; k++)
		t_check(crc32_update(crc32_update(0, nine, k), nine + k, 9 - k) == 0xcbf43926u, "split at %zu", k);
	t_check(crc32_update(0, "", 0) == 0, "empty");
}
