/* zstd_read.c — see zstd_read.h. */
#include "archive/zstd_read.h"
#include "base/err.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#define ZSTD_STATIC_LINKING_ONLY /* ZSTD_getFrameHeader */
#include <zstd.h>
#include <zstd_errors.h>

#define ZR_IN (128u << 10)
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
 * they pass (before libzstd gets them), for what the streaming path is lenient about: a frame
 * whose declared content size differs from what it decoded (56 declared, an empty last block) and
 * a Compressed_Block of Block_Size 0 (RFC 8878 3.1.1.2: a compressed block has a literals
 * section); and to name a block over the maximum and a window over the limit before libzstd
 * refuses them by number. Found by tests/fuzz/zstd_read.c. */
struct zr_frame {
	uint64_t start, out; /* input offset of the frame, bytes it decoded */
	uint8_t hdr[ZSTD_FRAMEHEADERSIZE_MAX];
	size_t hlen;
	uint64_t blk;    /* input offset of the next block header; 0 until the frame header is known */
	uint8_t bh[3];   /* that block header, as far as it has passed */
	unsigned bhn;
	bool walked;     /* the last block's header was seen, or there are no blocks to walk */
	bool empty_compressed;
	uint32_t bmax, over; /* Block_Maximum_Size; the size of the first block over it, plus 1 */
	uint64_t over_at, window; /* that block's input offset; Window_Size from the frame header */
};

static void zr_peek(struct zr_frame *f, const uint8_t *chunk, uint64_t base, size_t n)
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
	for (uint64_t a; f->blk && !f->walked && (a = f->blk + f->bhn) >= base && a < base + n;) {
		f->bh[f->bhn++] = chunk[a - base];
		if (f->bhn < 3)
			continue;
		uint32_t h = f->bh[0] | (uint32_t)f->bh[1] << 8 | (uint32_t)f->bh[2] << 16, size = h >> 3;
		unsigned type = (h >> 1) & 3; /* 0 raw, 1 RLE (one byte follows), 2 compressed */
		f->empty_compressed |= type == 2 && !size;
		if (!f->over && (size > f->bmax || (type == 1 && !f->bmax))) /* RLE: its one byte */
			f->over = (size ? size : 1) + 1, f->over_at = f->blk;
		f->walked = h & 1;
		f->blk += 3 + (type == 1 ? 1 : size);
		f->bhn = 0;
	}
}

static int zr_frame_end(struct zr_frame *f, uint64_t off, struct kerr *e)
{
	ZSTD_frameHeader fh;
	if (f->empty_compressed)
		return kerr_set(e, -EINVAL, "zstd: a compressed block of size 0 (offset %llu)", (unsigned long long)off);
	if (ZSTD_getFrameHeader(&fh, f->hdr, f->hlen) == 0 && fh.frameType == ZSTD_frame &&
		fh.frameContentSize != ZSTD_CONTENTSIZE_UNKNOWN && fh.frameContentSize != f->out)
		return kerr_set(e, -EINVAL, "zstd: a frame declares %llu bytes of content but holds %llu (offset %llu)",
			(unsigned long long)fh.frameContentSize, (unsigned long long)f->out, (unsigned long long)off);
	*f = (struct zr_frame){.start = off};
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
	struct zr_frame f = {0};
	int ret = 0;

	/* whatever an earlier input left (an error inside a frame) is dropped; the window stays mapped */
	if (ZSTD_isError(ZSTD_DCtx_reset(z, ZSTD_reset_session_only)) ||
		ZSTD_isError(ZSTD_DCtx_setParameter(z, ZSTD_d_windowLogMax, (int)window_log_max))) {
		ret = kerr_set(e, -EINVAL, "zstd: window log %u out of range", window_log_max);
		goto out;
	}
	for (;;) {
		ssize_t n = io->read(io->rctx, ibuf, ZR_IN, e);
		if (n < 0) {
			ret = (int)n;
			goto out;
		}
		if (n == 0)
			break;
		ZSTD_inBuffer in = {ibuf, (size_t)n, 0};
		uint64_t base = s.in;
		zr_peek(&f, ibuf, base, (size_t)n);
		/* until the input is used up and the decoder holds no more output (a full output
		 * buffer means it may hold more: call again, as libzstd's documentation says) */
		size_t got;
		do {
			ZSTD_outBuffer o = {obuf, ZR_OUT, 0};
			size_t before = in.pos;
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
			/* a frame's first byte alone: libzstd's one-shot path never sees a whole frame */
			bool first = s.in == f.start && in.pos < in.size;
			ZSTD_inBuffer one = {in.src, in.pos + first, in.pos};
			want = ZSTD_decompressStream(z, &o, first ? &one : &in);
			in.pos = first ? one.pos : in.pos;
			s.in += in.pos - before;
			if (ZSTD_isError(want)) { /* in the first byte: not a frame's magic number */
				ret = zr_error(want, first ? f.start : s.in, e);
				goto out;
			}
			if ((got = o.pos)) {
				if (got > io->max_out - s.out) {
					ret = kerr_set(e, -EFBIG, "zstd: output larger than %llu bytes (offset %llu)",
						(unsigned long long)io->max_out, (unsigned long long)s.in);
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
				zr_peek(&f, ibuf, base, (size_t)n);
			}
		} while (in.pos < in.size || (want && got == ZR_OUT));
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
