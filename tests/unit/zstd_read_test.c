/* zstd_read_test.c — core/archive/zstd_read: frames made by the vendored libzstd's compressor
 * (linked into the unit binary only, never into keel), each forgery next to the frame it was made
 * from: truncation at every length, flipped bytes under a content checksum, trailing garbage, the
 * output cap, the window cap, concatenated and skippable frames, one-byte reads, failing readers
 * and sinks. */
#include "t.h"
#include "archive/zstd_read.h"
#include "base/buf.h"
#include "base/err.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#define ZSTD_STATIC_LINKING_ONLY /* ZSTD_getFrameHeader */
#include <zstd.h>

static size_t make(void *dst, size_t cap, const void *src, size_t n, int level, int checksum, int wlog)
{
	ZSTD_CCtx *c = ZSTD_createCCtx();
	ZSTD_CCtx_setParameter(c, ZSTD_c_compressionLevel, level);
	ZSTD_CCtx_setParameter(c, ZSTD_c_checksumFlag, checksum);
	if (wlog)
		ZSTD_CCtx_setParameter(c, ZSTD_c_windowLog, wlog);
	size_t r = ZSTD_compress2(c, dst, cap, src, n);
	ZSTD_freeCCtx(c);
	return ZSTD_isError(r) ? 0 : r;
}

static int to_buf(void *ctx, const uint8_t *p, size_t n, struct kerr *e)
{
	(void)e;
	return buf_put(ctx, p, n);
}

static int dec(const void *in, size_t n, struct buf *out, uint64_t cap, unsigned wlog, struct kerr *e)
{
	out->len = 0;
	return zstd_read_mem_sink(in, n, to_buf, out, cap, wlog, e);
}

static uint8_t text[300000], zbuf[400000], zbuf2[400000];

static void fill_text(void)
{
	static const char *const w[] = {"kernel: ", "eth0 ", "link up ", "keel[1]: ", "started ", "unit ", "0x1f ", "\n"};
	unsigned x = 12345;
	for (size_t i = 0; i < sizeof(text);) {
		x = x * 1103515245u + 12345u;
		const char *s = w[(x >> 16) % 8];
		for (; *s && i < sizeof(text); s++)
			text[i++] = (uint8_t)*s;
	}
}

T_TEST(zstd_read_roundtrip)
{
	struct buf out = BUF_INIT(1u << 20);
	struct kerr e = {0};
	static const size_t lens[] = {0, 1, 7, 1000, 131072, 131073, sizeof(text)};
	fill_text();
	for (size_t i = 0; i < T_LEN(lens); i++)
		for (int level = 1; level <= 19; level += 9) {
			size_t z = make(zbuf, sizeof(zbuf), text, lens[i], level, 1, 0);
			int ret = dec(zbuf, z, &out, UINT64_MAX, ZSTD_READ_WINDOW_DEFAULT, &e);
			t_check(z && ret == 0 && out.len == lens[i] && (!lens[i] || !memcmp(out.p, text, lens[i])),
				"len %zu level %d: ret %d (%s) got %zu", lens[i], level, ret, e.msg, out.len);
		}
	buf_free(&out);
}

T_TEST(zstd_read_frames)
{
	struct buf out = BUF_INIT(1u << 20);
	struct kerr e = {0};
	fill_text();
	size_t a = make(zbuf, sizeof(zbuf), text, 5000, 3, 1, 0);
	/* a skippable frame (magic 0x184D2A50, 4-byte length, payload) between two frames */
	static const uint8_t skip[] = {0x50, 0x2a, 0x4d, 0x18, 3, 0, 0, 0, 'x', 'y', 'z'};
	memcpy(zbuf + a, skip, sizeof(skip));
	size_t b = make(zbuf + a + sizeof(skip), sizeof(zbuf) - a - sizeof(skip), text + 5000, 7000, 3, 0, 0);
	size_t n = a + sizeof(skip) + b;
	int ret = dec(zbuf, n, &out, UINT64_MAX, 27, &e);
	t_check(ret == 0 && out.len == 12000 && !memcmp(out.p, text, 12000), "two frames + skippable: %d %s", ret, e.msg);
	/* trailing garbage after the last frame */
	zbuf[n] = 0x42;
	ret = dec(zbuf, n + 1, &out, UINT64_MAX, 27, &e);
	t_check(ret == -EINVAL, "trailing byte: %d", ret);
	/* empty input is not a zstd stream */
	ret = dec(zbuf, 0, &out, UINT64_MAX, 27, &e);
	t_check(ret == -EINVAL && strstr(e.msg, "empty"), "empty: %d %s", ret, e.msg);
	buf_free(&out);
}

T_TEST(zstd_read_forged)
{
	struct buf out = BUF_INIT(1u << 20);
	struct kerr e = {0};
	fill_text();
	size_t z = make(zbuf, sizeof(zbuf), text, 20000, 3, 1, 0);
	int bad = 0;
	/* every truncation fails */
	for (size_t k = 0; k < z; k++)
		if (dec(zbuf, k, &out, UINT64_MAX, 27, &e) == 0)
			bad++;
	t_check(bad == 0 && z > 0, "%d truncations of %zu decoded", bad, z);
	/* a flipped byte fails (content checksum, or a malformed structure) unless the flipped bit is
	 * one the format ignores (padding of an entropy table): then the output is the original */
	bad = 0;
	int failed = 0;
	for (size_t k = 0; k < z; k++) {
		memcpy(zbuf2, zbuf, z);
		zbuf2[k] ^= 0x20;
		if (dec(zbuf2, z, &out, UINT64_MAX, 27, &e))
			failed++;
		else if (out.len != 20000 || memcmp(out.p, text, 20000))
			bad++;
	}
	t_check(bad == 0 && failed > (int)z * 9 / 10, "%d of %zu flipped bytes decoded to other data, %d failed", bad, z,
		failed);
	/* the checksum is named when only the trailer lies */
	memcpy(zbuf2, zbuf, z);
	zbuf2[z - 1] ^= 1;
	int ret = dec(zbuf2, z, &out, UINT64_MAX, 27, &e);
	t_check(ret == -EBADMSG && strstr(e.msg, "checksum"), "checksum: %d %s", ret, e.msg);
	/* output cap: exactly the size passes, one byte less is -EFBIG */
	ret = dec(zbuf, z, &out, 20000, 27, &e);
	t_check(ret == 0 && out.len == 20000, "cap = size: %d", ret);
	ret = dec(zbuf, z, &out, 19999, 27, &e);
	t_check(ret == -EFBIG && out.len <= 19999, "cap - 1: %d, delivered %zu", ret, out.len);
	/* a frame with a 16 MiB window against a 1 MiB cap */
	size_t big = make(zbuf2, sizeof(zbuf2), text, sizeof(text), 3, 0, 24);
	ZSTD_frameHeader fh;
	int declared = !ZSTD_getFrameHeader(&fh, zbuf2, big) && fh.windowSize > (1u << 20);
	if (declared) {
		ret = dec(zbuf2, big, &out, UINT64_MAX, 20, &e);
		t_check(ret == -E2BIG && out.len == 0, "window 2^24 vs cap 2^20: %d %s", ret, e.msg);
	} else {
		/* libzstd shrinks the window to the content size: the frame is single-segment of 300,000 B */
		ret = dec(zbuf2, big, &out, UINT64_MAX, 18, &e);
		t_check(ret == -E2BIG && out.len == 0, "content window 300000 vs cap 2^18: %d %s", ret, e.msg);
	}
	ret = dec(zbuf2, big, &out, UINT64_MAX, 27, &e);
	t_check(ret == 0 && out.len == sizeof(text), "same frame under the default cap: %d %s", ret, e.msg);
	buf_free(&out);
}

struct one {
	const uint8_t *p;
	size_t n;
	int fail_at; /* -1: never */
};

static ssize_t one_read(void *ctx, uint8_t *buf, size_t cap, struct kerr *e)
{
	struct one *o = ctx;
	(void)cap;
	if (o->fail_at == 0)
		return kerr_set(e, -EIO, "reader failed");
	if (o->fail_at > 0)
		o->fail_at--;
	if (!o->n)
		return 0;
	*buf = *o->p++;
	o->n--;
	return 1;
}

static int fail_sink(void *ctx, const uint8_t *p, size_t n, struct kerr *e)
{
	(void)ctx, (void)p, (void)n;
	return kerr_set(e, -ENOSPC, "sink full");
}

/* One zstd_reader for a run of inputs, as install.c decodes the update's chunks: each input
 * decodes as a fresh zstd_read_mem_sink would, whatever the one before it left (a frame cut
 * short, a failing sink, a wrong checksum, a window over the cap). */
T_TEST(zstd_read_reuse)
{
	struct buf out = BUF_INIT(1u << 20);
	struct kerr e = {0};
	struct zstd_reader *r = zstd_reader_new();
	fill_text();
	size_t a = make(zbuf, sizeof(zbuf), text, 20000, 3, 1, 0);
	size_t b = make(zbuf2, sizeof(zbuf2), text + 20000, 150000, 3, 1, 0);
	t_check(r && a && b, "reader %p, frames %zu %zu", (void *)r, a, b);
	if (!r || !a || !b)
		goto out;
	struct {
		const uint8_t *in;
		size_t n;
		int (*sink)(void *, const uint8_t *, size_t, struct kerr *);
		unsigned wlog;
		int ret;
		const uint8_t *want; /* output on success */
		size_t wlen;
	} steps[] = {
		{zbuf, a, to_buf, 27, 0, text, 20000},
		{zbuf2, b / 2, to_buf, 27, -EINVAL, NULL, 0}, /* cut inside the frame */
		{zbuf, a, to_buf, 27, 0, text, 20000},
		{zbuf2, b, fail_sink, 27, -ENOSPC, NULL, 0}, /* the sink gives up mid-frame */
		{zbuf2, b, to_buf, 27, 0, text + 20000, 150000},
		{zbuf2, b, to_buf, 10, -E2BIG, NULL, 0}, /* window over a 1 KiB cap */
		{zbuf, a, to_buf, 27, 0, text, 20000},
		{zbuf, a / 2, to_buf, 27, -EINVAL, NULL, 0},
		{zbuf2, b, to_buf, 27, 0, text + 20000, 150000},
	};
	for (size_t i = 0; i < T_LEN(steps); i++) {
		out.len = 0;
		int ret = zstd_read_mem_sink_r(r, steps[i].in, steps[i].n, steps[i].sink, &out, UINT64_MAX, steps[i].wlog, &e);
		t_check(ret == steps[i].ret && (ret || (out.len == steps[i].wlen && !memcmp(out.p, steps[i].want, out.len))),
			"step %zu: ret %d (%s), want %d; got %zu bytes", i, ret, ret ? e.msg : "", steps[i].ret, out.len);
	}
out:
	zstd_reader_free(r);
	buf_free(&out);
}

T_TEST(zstd_read_io)
{
	struct buf out = BUF_INIT(1u << 20);
	struct kerr e = {0};
	struct zstd_read_stats st;
	fill_text();
	size_t z = make(zbuf, sizeof(zbuf), text, 50000, 5, 1, 0);
	struct one o = {zbuf, z, -1};
	struct inflate_io io = {one_read, &o, to_buf, &out, UINT64_MAX};
	int ret = zstd_read_stream(&io, 27, &st, &e);
	t_check(ret == 0 && out.len == 50000 && !memcmp(out.p, text, 50000) && st.in == z && st.out == 50000 &&
			st.frames == 1,
		"one byte at a time: %d in %llu out %llu frames %u", ret, (unsigned long long)st.in,
		(unsigned long long)st.out, st.frames);
	/* a frame declaring 56 bytes whose only (last) block is an empty raw block, with the checksum of
	 * empty content: libzstd alone accepts it when fed byte by byte (found by fuzzing) */
	static const uint8_t fcs_lie[] = {0x28, 0xb5, 0x2f, 0xfd, 0x24, 0x38, 0x01, 0x00, 0x00, 0x99, 0xe9, 0xd8, 0x51};
	o = (struct one){fcs_lie, sizeof(fcs_lie), -1};
	out.len = 0;
	ret = zstd_read_stream(&io, 27, NULL, &e);
	t_check(ret == -EINVAL && strstr(e.msg, "declares 56 bytes of content but holds 0"), "content size lie, trickled: %d %s",
		ret, e.msg);
	ret = dec(fcs_lie, sizeof(fcs_lie), &out, UINT64_MAX, 27, &e);
	t_check(ret == -EINVAL, "content size lie, at once: %d %s", ret, e.msg);
	/* a single-segment frame of 0 bytes whose only block is a Compressed_Block of Block_Size 0
	 * (it has no literals section): libzstd alone accepts it when fed byte by byte */
	static const uint8_t empty_cblock[] = {0x28, 0xb5, 0x2f, 0xfd, 0x24, 0x00, 0x05, 0x00, 0x00, 0x99, 0xe9, 0xd8, 0x51};
	o = (struct one){empty_cblock, sizeof(empty_cblock), -1};
	out.len = 0;
	ret = zstd_read_stream(&io, 27, NULL, &e);
	t_check(ret == -EINVAL && strstr(e.msg, "compressed block of size 0"), "empty compressed block, trickled: %d %s", ret,
		e.msg);
	ret = dec(empty_cblock, sizeof(empty_cblock), &out, UINT64_MAX, 27, &e);
	t_check(ret == -EINVAL, "empty compressed block, at once: %d %s", ret, e.msg);
	/* blocks over Block_Maximum_Size (the smaller of the window and 128 KiB): given the whole frame
	 * (its content size known), libzstd alone accepts them; the one at the maximum passes both ways.
	 * A 1 KiB window (descriptor 0), content size 2 bytes (value - 256), one last block. */
	static uint8_t big[2048 + 11];
	static const struct {
		uint16_t fcs, type, size; /* type: 0 raw, 1 RLE; a content size of 0: single segment */
		bool ok;
	} blk[] = {{1024, 1, 1024, true}, {1024, 0, 1024, true}, {1025, 1, 1025, false}, {2000, 0, 2000, false}, {0, 1, 0, false}};
	for (size_t i = 0; i < T_LEN(blk); i++) {
		size_t n = 0;
		uint32_t h = (uint32_t)blk[i].size << 3 | blk[i].type << 1 | 1;
		memcpy(big, "\x28\xb5\x2f\xfd", 4), n = 4;
		if (blk[i].fcs) /* FCS of 2 bytes, a window descriptor */
			big[n++] = 0x40, big[n++] = 0, big[n++] = (uint8_t)(blk[i].fcs - 256), big[n++] = (uint8_t)((blk[i].fcs - 256) >> 8);
		else /* single segment, FCS of 1 byte: 0 (the window is 0 bytes, its RLE byte over it) */
			big[n++] = 0x20, big[n++] = 0;
		big[n++] = (uint8_t)h, big[n++] = (uint8_t)(h >> 8), big[n++] = (uint8_t)(h >> 16);
		memset(big + n, 'k', blk[i].type ? 1 : blk[i].size), n += blk[i].type ? 1 : blk[i].size;
		o = (struct one){big, n, -1};
		out.len = 0;
		int r1 = zstd_read_stream(&io, 27, NULL, &e);
		out.len = 0;
		int r2 = dec(big, n, &out, UINT64_MAX, 27, &e);
		t_check(blk[i].ok ? !r1 && !r2 && out.len == blk[i].size
				  : r1 == -EINVAL && r2 == -EINVAL && strstr(e.msg, "over the frame's maximum of "),
			"block %zu: trickled %d, at once %d %s", i, r1, r2, e.msg);
	}
	/* a window over the limit (1 MiB here) with a content size that fits one output buffer: given
	 * the whole frame, libzstd alone decodes it in one pass without checking the window. Window
	 * descriptors: 1 MiB (at the limit), 1 MiB + 128 KiB, 88 MiB; content size 0 (8 bytes), an
	 * empty last Raw block. */
	static const uint8_t wd[] = {0x50, 0x51, 0x83};
	for (size_t i = 0; i < T_LEN(wd); i++) {
		uint8_t fr[17] = {0x28, 0xb5, 0x2f, 0xfd, 0xc0, wd[i], [14] = 1};
		o = (struct one){fr, sizeof(fr), -1};
		out.len = 0;
		int r1 = zstd_read_stream(&io, 20, NULL, &e);
		int r2 = dec(fr, sizeof(fr), &out, UINT64_MAX, 20, &e);
		t_check(!i ? !r1 && !r2 && !out.len
			   : r1 == -E2BIG && r2 == -E2BIG && strstr(e.msg, "larger window than allowed (offset 0)"),
			"window %zu: trickled %d, at once %d %s", i, r1, r2, e.msg);
	}
	o = (struct one){zbuf, z, 100};
	out.len = 0;
	ret = zstd_read_stream(&io, 27, NULL, &e);
	t_check(ret == -EIO && !strcmp(e.msg, "reader failed"), "reader error passes through: %d %s", ret, e.msg);
	o = (struct one){zbuf, z, -1};
	io.sink = fail_sink;
	ret = zstd_read_stream(&io, 27, NULL, &e);
	t_check(ret == -ENOSPC && !strcmp(e.msg, "sink full"), "sink error passes through: %d %s", ret, e.msg);
	buf_free(&out);
}

/* A match reaching past the window: given a whole frame whose content size is known and fits one
 * output buffer, libzstd 1.5.7 decodes it in one pass, where all the output so far is history; in
 * pieces, its streaming path keeps a window's worth and refuses the frame. keel's reader refuses
 * it both ways (each frame's first byte goes to libzstd alone). The frame: 50 KiB of noise twice,
 * in blocks of at most 1 KiB (matches 50 KiB back), its header rewritten to declare a 1 KiB window. */
T_TEST(zstd_read_window_reach)
{
	static uint8_t src[100 << 10], fr[(100 << 10) + 512];
	struct buf out = BUF_INIT(1u << 20);
	struct kerr e = {0};
	uint32_t x = 2463534242u;
	for (size_t i = 0; i < sizeof(src) / 2; i++)
		x ^= x << 13, x ^= x >> 17, x ^= x << 5, src[i] = src[i + sizeof(src) / 2] = (uint8_t)x;
	ZSTD_CCtx *c = ZSTD_createCCtx();
	t_check(c && !ZSTD_isError(ZSTD_CCtx_setParameter(c, ZSTD_c_windowLog, 17)) &&
			!ZSTD_isError(ZSTD_CCtx_setParameter(c, ZSTD_c_maxBlockSize, 1024)),
		"compressor parameters");
	size_t n = ZSTD_compress2(c, fr + 1, sizeof(fr) - 1, src, sizeof(src));
	ZSTD_freeCCtx(c);
	t_check(!ZSTD_isError(n) && n < sizeof(src) * 3 / 4 && (fr[5] & 0x20), "compress: %zu, header %02x", n, fr[5]);
	int ok = dec(fr + 1, n, &out, UINT64_MAX, 20, &e);
	t_check(!ok && out.len == sizeof(src) && !memcmp(out.p, src, sizeof(src)), "as made: %d %s", ok, e.msg);
	/* not single segment; a window descriptor of 0 (1 KiB) after the header's first byte */
	memmove(fr, fr + 1, 5), fr[4] &= (uint8_t)~0x20, fr[5] = 0;
	int r2 = dec(fr, n + 1, &out, UINT64_MAX, 20, &e);
	struct one o = {fr, n + 1, -1};
	struct inflate_io io = {one_read, &o, to_buf, &out, UINT64_MAX};
	struct kerr e1 = {0};
	out.len = 0;
	int r1 = zstd_read_stream(&io, 20, NULL, &e1);
	/* the same block refused both ways (libzstd alone, given a Raw block in pieces, wraps its
	 * buffer elsewhere and notices another match) */
	t_check(r1 == -EINVAL && r2 == -EINVAL && !strcmp(e.msg, e1.msg),
		"a 1 KiB window reaching 50 KiB back: trickled %d %s, at once %d %s", r1, e1.msg, r2, e.msg);
	buf_free(&out);
}

/* Every error names where it is: the block libzstd was decoding (its header's offset), the
 * content checksum, the block whose output went over the cap; the same offset given the frame
 * whole and one byte at a time (libzstd's own errors name no offset). 300,000 bytes in blocks of
 * 128 KiB: the second block's type made reserved (3), a byte of its body flipped, its output over
 * a cap of 200,000 bytes, the checksum wrong. */
T_TEST(zstd_read_error_offsets)
{
	struct buf out = BUF_INIT(1u << 20);
	struct kerr e = {0}, e1 = {0};
	fill_text();
	size_t z = make(zbuf, sizeof(zbuf), text, sizeof(text), 3, 1, 0);
	ZSTD_frameHeader fh;
	uint64_t blk[4] = {0};
	size_t nb = 0, at = 0;
	if (z && !ZSTD_getFrameHeader(&fh, zbuf, z))
		for (at = fh.headerSize; nb < T_LEN(blk) && at + 3 <= z; nb++) {
			uint32_t h = zbuf[at] | (uint32_t)zbuf[at + 1] << 8 | (uint32_t)zbuf[at + 2] << 16;
			blk[nb] = at;
			at += 3 + (((h >> 1) & 3) == 1 ? 1 : h >> 3);
			if (h & 1) {
				nb++;
				break;
			}
		}
	t_check(nb == 3 && at + 4 == z, "%zu blocks, the last ending at %zu of %zu", nb, at, z);
	if (nb != 3)
		goto out;
	char want[96];
	static const struct {
		int how; /* 0 reserved block type, 1 a byte of the body flipped, 2 the cap, 3 the checksum */
		int ret;
	} c[] = {{0, -EINVAL}, {1, -EINVAL}, {2, -EFBIG}, {3, -EBADMSG}};
	for (size_t i = 0; i < T_LEN(c); i++) {
		memcpy(zbuf2, zbuf, z);
		uint64_t cap = c[i].how == 2 ? 200000 : UINT64_MAX, where = c[i].how == 3 ? z - 4 : blk[1];
		if (c[i].how == 0)
			zbuf2[blk[1]] |= 6;
		else if (c[i].how == 1)
			zbuf2[blk[1] + 3] ^= 0xff;
		else if (c[i].how == 3)
			zbuf2[z - 1] ^= 1;
		snprintf(want, sizeof(want), "(offset %llu)", (unsigned long long)where);
		int r2 = dec(zbuf2, z, &out, cap, 27, &e);
		struct one o = {zbuf2, z, -1};
		struct inflate_io io = {one_read, &o, to_buf, &out, cap};
		out.len = 0;
		int r1 = zstd_read_stream(&io, 27, NULL, &e1);
		t_check(r1 == c[i].ret && r2 == c[i].ret && strstr(e.msg, want) && !strcmp(e.msg, e1.msg),
			"case %d: at once %d \"%s\", trickled %d \"%s\", want %d %s", c[i].how, r2, e.msg, r1, e1.msg, c[i].ret,
			want);
	}
out:
	buf_free(&out);
}
