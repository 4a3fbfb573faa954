/* zstd_read.c — see zstd_read.h. */
#include "archive/zstd_read.h"
#include "base/err.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#define ZSTD_STATIC_LINKING_ONLY /* ZSTD_getFrameHeader */
#include <zstd.h>
#include <zstd_errors.h>

#define ZR_IN (128u << 10) /* a block's content of the largest size */
#define ZR_OUT (128u << 10)

static int zr_error(size_t r, uint64_t off, struct kerr *e)
{
	ZSTD_ErrorCode c = ZSTD_getErrorCode(r);
	if (c == ZSTD_error_memory_allocation)
		return kerr_set(e, -ENOMEM, "out of memory");
	if (c == ZSTD_error_frameParameter_windowTooLarge)
		return kerr_set(e, -E2BIG, "zstd: a frame needs a larger window than allowed (offset %llu)",
			(unsigned long long)off);
	if (c == ZSTD_error_checksum_wrong)
		return kerr_set(e, -EBADMSG, "zstd: content checksum mismatch (offset %llu)", (unsigned long long)off);
	/* error strings are stripped from keel's libzstd: name the code by number */
	return kerr_set(e, -EINVAL, "zstd: malformed data, zstd error %d (offset %llu)", (int)c,
		(unsigned long long)off);
}

/* The result must not depend on how the input is cut; libzstd's does. Given a whole frame whose
 * content size is known and fits the output buffer, ZSTD_decompressStream (1.5.7) decodes it in
 * one pass, which checks no Raw or RLE block against Block_Maximum_Size (the smaller of the window
 * and 128 KiB), no window against ZSTD_d_windowLogMax, and no match offset against the window
 * (a 1 KiB window reaching 50 KiB back decodes), all of which its streaming path refuses. zr_run
 * hands libzstd each frame's first byte alone, so no input buffer ever holds a whole frame and
 * the streaming path decodes every frame. zr_peek reads each frame's header and block headers as
 * they pass (each just before libzstd gets it), for what the streaming path is lenient about: a frame
 * whose declared content size differs from what it decoded (56 declared, an empty last block) and
 * a Compressed_Block of Block_Size 0 (RFC 8878 3.1.1.2: a compressed block has a literals
 * section); and to name a block over the maximum and a window over the limit before libzstd
 * refuses them by number. Found by tests/fuzz/zstd_read.c.
 * libzstd's streaming path is not cut-proof either: it decodes a Raw block in whatever pieces
 * arrive and, after each, may wrap its buffer, so how the input is cut moves which match reaching
 * past the window it notices. And its errors name no offset (its input position stays where the
 * call began). So zr_run buffers the input itself and hands libzstd the same pieces however it
 * arrives: a frame's first byte, the rest of its header, each block's header, its content whole
 * (at most 128 KiB, the input buffer's size). An error names the block being decoded (its
 * header's offset), or the checksum, or the frame. */
struct zr_frame {
	uint64_t start, out; /* input offset of the frame, bytes it decoded */
	uint8_t hdr[ZSTD_FRAMEHEADERSIZE_MAX];
	size_t hlen;
	uint64_t blk;    /* input offset of the next block header; 0 until the frame header is known */
	uint64_t cur;    /* input offset of the block being decoded (its header); the frame's before */
	uint64_t body;   /* input offset of that block's content; 0 before the first block */
	uint8_t bh[3];   /* that block header, as far as it has passed */
	unsigned bhn;
	bool walked;     /* the last block's header was seen, or there are no blocks to walk */
	uint32_t bmax, over; /* Block_Maximum_Size; the size of the first block over it, plus 1 */
	uint64_t over_at, window; /* that block's input offset; Window_Size from the frame header */
	uint64_t empty_at; /* the first Compressed_Block of Block_Size 0, plus 1 */
};

/* Takes the frame header from the chunk [base, base + n) and, once libzstd has taken everything
 * before the next block header (at: its input offset so far), that one header. */
static void zr_peek(struct zr_frame *f, const uint8_t *chunk, uint64_t base, size_t n, uint64_t at)
{
	for (uint64_t a = f->start + f->hlen; f->hlen < sizeof(f->hdr) && a >= base && a < base + n; a++)
		f->hdr[f->hlen++] = chunk[a - base];
	if (!f->blk && !f->walked) {
		ZSTD_frameHeader fh;
		size_t r = ZSTD_getFrameHeader(&fh, f->hdr, f->hlen);
		if (r > 0) /* more header bytes to come, or (an error) libzstd refuses the frame itself */
			f->walked = ZSTD_isError(r);
		else if (fh.frameType != ZSTD_frame)
			f->walked = true;
		else {
			f->blk = f->start + fh.headerSize;
			f->bmax = fh.blockSizeMax;
			f->window = fh.windowSize;
		}
	}
	for (uint64_t a; f->blk && !f->walked && f->blk <= at && (a = f->blk + f->bhn) >= base && a < base + n;) {
		f->bh[f->bhn++] = chunk[a - base];
		if (f->bhn < 3)
			continue;
		uint32_t h = f->bh[0] | (uint32_t)f->bh[1] << 8 | (uint32_t)f->bh[2] << 16, size = h >> 3;
		unsigned type = (h >> 1) & 3; /* 0 raw, 1 RLE (one byte follows), 2 compressed */
		if (!f->empty_at && type == 2 && !size)
			f->empty_at = f->blk + 1;
		if (!f->over && (size > f->bmax || (type == 1 && !f->bmax))) /* RLE: its one byte */
			f->over = (size ? size : 1) + 1, f->over_at = f->blk;
		f->walked = h & 1;
		f->cur = f->blk;
		f->body = f->blk + 3;
		f->blk += 3 + (type == 1 ? 1 : size); /* past at: one header per call */
		f->bhn = 0;
	}
}

/* Where libzstd's error is: the block it was given, or the content checksum after the last. */
static uint64_t zr_at(const struct zr_frame *f, uint64_t in)
{
	return f->walked && f->blk && in >= f->blk ? f->blk : f->cur;
}

static int zr_frame_end(struct zr_frame *f, uint64_t off, struct kerr *e)
{
	ZSTD_frameHeader fh;
	if (f->empty_at)
		return kerr_set(e, -EINVAL, "zstd: a compressed block of size 0 (offset %llu)",
			(unsigned long long)f->empty_at - 1);
	if (ZSTD_getFrameHeader(&fh, f->hdr, f->hlen) == 0 && fh.frameType == ZSTD_frame &&
		fh.frameContentSize != ZSTD_CONTENTSIZE_UNKNOWN && fh.frameContentSize != f->out)
		return kerr_set(e, -EINVAL, "zstd: a frame declares %llu bytes of content but holds %llu (offset %llu)",
			(unsigned long long)fh.frameContentSize, (unsigned long long)f->out, (unsigned long long)off);
	*f = (struct zr_frame){.start = off, .cur = off};
	return 0;
}

struct zstd_reader {
	ZSTD_DCtx *z;
	uint8_t *ibuf, *obuf;
};

void zstd_reader_free(struct zstd_reader *r)
{
	if (!r)
		return;
	ZSTD_freeDCtx(r->z);
	free(r->ibuf);
	free(r->obuf);
	free(r);
}

struct zstd_reader *zstd_reader_new(void)
{
	struct zstd_reader *r = calloc(1, sizeof(*r));
	if (r && (!(r->z = ZSTD_createDCtx()) || !(r->ibuf = malloc(ZR_IN)) || !(r->obuf = malloc(ZR_OUT)))) {
		zstd_reader_free(r);
		r = NULL;
	}
	return r;
}

void zstd_reader_skip_checksums(struct zstd_reader *r)
{
	ZSTD_DCtx_setParameter(r->z, ZSTD_d_forceIgnoreChecksum, ZSTD_d_ignoreChecksum);
}

static int zr_run(struct zstd_reader *r, const struct inflate_io *io, unsigned window_log_max,
	struct zstd_read_stats *st, struct kerr *e)
{
	ZSTD_DCtx *z = r->z;
	uint8_t *ibuf = r->ibuf, *obuf = r->obuf;
	struct zstd_read_stats s = {0};
	size_t want = 1; /* libzstd's hint: 0 once a frame ends */
	bool held = false; /* libzstd may hold output it could not flush (it filled the buffer) */
	bool eof = false;
	uint64_t base = 0; /* ibuf holds input [base, base + len); libzstd has taken [0, s.in) */
	size_t len = 0;
	struct zr_frame f = {0};
	int ret = 0;

	/* whatever an earlier input left (an error inside a frame) is dropped; the window stays mapped */
	if (ZSTD_isError(ZSTD_DCtx_reset(z, ZSTD_reset_session_only)) ||
		ZSTD_isError(ZSTD_DCtx_setParameter(z, ZSTD_d_windowLogMax, (int)window_log_max))) {
		ret = kerr_set(e, -EINVAL, "zstd: window log %u out of range", window_log_max);
		goto out;
	}
	for (;;) {
		if (!held) /* the next block's header once the block before is out */
			zr_peek(&f, ibuf, base, len, s.in);
		/* refused by name before libzstd decodes them (its own errors name no field) */
		if (f.blk && f.window > (uint64_t)1 << window_log_max) {
			ret = zr_error((size_t)-ZSTD_error_frameParameter_windowTooLarge, f.start, e);
			goto out;
		}
		if (f.over) {
			ret = kerr_set(e, -EINVAL, "zstd: a block of size %u, over the frame's maximum of %u (offset %llu)",
				f.over - 1, f.bmax, (unsigned long long)f.over_at);
			goto out;
		}
		/* libzstd gets a frame's first byte alone once the whole header is here (its one-pass
		 * path never sees a whole frame), then the rest of the header, then each block's header
		 * and its content whole (a Raw block in pieces would move where its buffer wraps, and
		 * with it which match reaching past the window it notices); after the last block,
		 * whatever is here (the checksum: libzstd stops at the frame's end), as for skippable
		 * frames */
		uint64_t unit = s.in < f.body ? f.body : f.blk; /* the end of what goes next */
		bool whole = f.blk > s.in ? unit <= base + len : f.walked;
		if (!held && !eof && (!whole || s.in == base + len)) {
			size_t keep = (size_t)(base + len - s.in);
			if (keep == ZR_IN) { /* not reached: a block over 128 KiB is refused above */
				ret = kerr_set(e, -EINVAL, "zstd: a block larger than the input buffer (offset %llu)",
					(unsigned long long)s.in);
				goto out;
			}
			if (s.in > base)
				memmove(ibuf, ibuf + (s.in - base), keep);
			base = s.in, len = keep;
			ssize_t n = io->read(io->rctx, ibuf + len, ZR_IN - len, e);
			if (n < 0) {
				ret = (int)n;
				goto out;
			}
			eof = n == 0;
			len += (size_t)n;
			continue;
		}
		if (!held && s.in == base + len)
			break; /* the input ended and libzstd has all of it */
		uint64_t end = base + len;
		if (s.in == f.start)
			end = s.in + 1;
		else if (f.blk > s.in)
			end = unit < end ? unit : end;
		else if (held && !f.walked)
			end = s.in; /* the block before is not out yet: the next one waits */
		ZSTD_outBuffer o = {obuf, ZR_OUT, 0};
		ZSTD_inBuffer in = {ibuf, (size_t)(end - base), (size_t)(s.in - base)};
		want = ZSTD_decompressStream(z, &o, &in);
		s.in = base + in.pos;
		if (ZSTD_isError(want)) {
			ret = zr_error(want, zr_at(&f, s.in), e);
			goto out;
		}
		size_t got = o.pos;
		held = want && got == ZR_OUT;
		if (got) {
			if (got > io->max_out - s.out) {
				ret = kerr_set(e, -EFBIG, "zstd: output larger than %llu bytes (offset %llu)",
					(unsigned long long)io->max_out, (unsigned long long)f.cur);
				goto out;
			}
			if ((ret = io->sink(io->sctx, obuf, got, e)))
				goto out;
			s.out += got;
			f.out += got;
		}
		if (!want) {
			s.frames++;
			if ((ret = zr_frame_end(&f, s.in, e)))
				goto out;
		}
	}
	if (!s.in)
		ret = kerr_set(e, -EINVAL, "zstd: empty input (no frame)");
	else if (want)
		ret = kerr_set(e, -EINVAL, "zstd: truncated: the input ends inside a frame (offset %llu)",
			(unsigned long long)s.in);
out:
	if (st)
		*st = s;
	return ret;
}

int zstd_read_stream(const struct inflate_io *io, unsigned window_log_max, struct zstd_read_stats *st, struct kerr *e)
{
	struct zstd_reader *r = zstd_reader_new();
	int ret;
	if (!r) {
		if (st)
			*st = (struct zstd_read_stats){0};
		return kerr_set(e, -ENOMEM, "out of memory");
	}
	ret = zr_run(r, io, window_log_max, st, e);
	zstd_reader_free(r);
	return ret;
}

int zstd_read_mem_sink_r(struct zstd_reader *r, const void *in, size_t n,
	int (*sink)(void *ctx, const uint8_t *p, size_t n, struct kerr *e), void *sctx, uint64_t max_out,
	unsigned window_log_max, struct kerr *e)
{
	struct inflate_mem m = {in, n};
	struct inflate_io io = {inflate_mem_read, &m, sink, sctx, max_out};
	return zr_run(r, &io, window_log_max, NULL, e);
}

int zstd_read_mem_sink(const void *in, size_t n, int (*sink)(void *ctx, const uint8_t *p, size_t n, struct kerr *e),
	void *sctx, uint64_t max_out, unsigned window_log_max, struct kerr *e)
{
	struct inflate_mem m = {in, n};
	struct inflate_io io = {inflate_mem_read, &m, sink, sctx, max_out};
	return zstd_read_stream(&io, window_log_max, NULL, e);
}
