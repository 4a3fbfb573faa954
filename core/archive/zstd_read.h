/* zstd_read.h — streaming Zstandard (RFC 8878) decoder: libzstd's decompression stream, driven
 * the way inflate_stream() is (same reader/sink interface), bounded and with offsets in errors.
 *
 * One or more frames, as `zstd -dc` reads concatenated files (skippable frames are skipped);
 * content checksums are checked when a frame has one. Memory: libzstd's context plus a window of
 * at most 2^window_log_max bytes (frames that declare a larger window are refused before any of
 * their output is delivered) plus two 128 KiB buffers. The sink never receives more than
 * io->max_out bytes in total: one more is -EFBIG before it is delivered.
 *
 * Errors: -EINVAL malformed or truncated (message: libzstd's error code and "(offset N)": the
 * compressed offset of the block being decoded (its header), of the frame while its header is, or
 * where the input ended), -EBADMSG a content checksum mismatch (the checksum's offset), -EFBIG past
 * max_out (the block whose output went over), -E2BIG a window larger than allowed (the frame),
 * -ENOMEM; errors of the reader or the sink are passed through unchanged. The result, error and
 * offset included, does not depend on how the reader cuts the input.
 */
#ifndef KEEL_ZSTD_READ_H
#define KEEL_ZSTD_READ_H

#include "archive/inflate.h"

/* libzstd's own default cap (ZSTD_WINDOWLOG_LIMIT_DEFAULT): 128 MiB, what `zstd -d` accepts without
 * --memory; OCI layers made by `zstd --long` need no more. */
#define ZSTD_READ_WINDOW_DEFAULT 27

struct zstd_read_stats {
	uint64_t in, out; /* compressed bytes consumed, bytes delivered */
	unsigned frames;  /* frames completed (skippable frames included) */
};

int zstd_read_stream(const struct inflate_io *io, unsigned window_log_max, struct zstd_read_stats *st, struct kerr *e);

/* Decompress in[0..n) into sink, at most max_out bytes. */
int zstd_read_mem_sink(const void *in, size_t n, int (*sink)(void *ctx, const uint8_t *p, size_t n, struct kerr *e),
	void *sctx, uint64_t max_out, unsigned window_log_max, struct kerr *e);

/* A decoder kept across inputs: libzstd's context (with the window it grew to) and the two
 * buffers, so a caller decoding many small inputs in turn (the update's 1 MiB chunks) does not
 * map and fault them in afresh for each. Each call starts clean (what an input that failed inside
 * a frame left is reset); results are those of zstd_read_mem_sink. zstd_reader_new: NULL when out of memory. */
struct zstd_reader;
struct zstd_reader *zstd_reader_new(void);
void zstd_reader_free(struct zstd_reader *r); /* NULL is fine */
/* For a caller that authenticates what it decodes by other means (install: each chunk's signed
 * SHA-256 before decoding, the image's SHA-512 over every byte decoded): the frames' content
 * checksums (xxh64, ~2 % of an update's CPU) are neither computed nor compared from now on. */
void zstd_reader_skip_checksums(struct zstd_reader *r);
int zstd_read_mem_sink_r(struct zstd_reader *r, const void *in, size_t n,
	int (*sink)(void *ctx, const uint8_t *p, size_t n, struct kerr *e), void *sctx, uint64_t max_out,
	unsigned window_log_max, struct kerr *e);

#endif
