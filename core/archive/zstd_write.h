/* zstd_write.h — a small streaming zstd (RFC 8878) frame writer: keel's own, so the binary
 * never links libzstd's compressor.
 *
 * Blocks are compressed with a greedy hash-table LZ77 match finder (zstd's "fast" strategy);
 * sequences are coded with the predefined FSE distributions (Predefined_Mode), literals as a
 * Huffman tree in direct representation when every literal is below 128 and that is smaller,
 * else raw or RLE. A block that does not shrink is stored raw, a run of one byte as an RLE
 * block. Every frame carries the XXH64 content checksum and, when known, Frame_Content_Size
 * (the size given to zstdw_init, or the whole frame when it ends before its first block is
 * written).
 *
 * Memory is bounded and allocated once by zstdw_init: the window (1 << wlog) plus four blocks
 * (128 KiB each, or the window when smaller), the 256 KiB hash table, one block's literals,
 * sequences and output — about 2.4 MiB at the default window (1 MiB). Output goes through one
 * callback, a header and a block at a time.
 * frame_size > 0 cuts the input into independent frames of that many bytes (each decodable on
 * its own; no match crosses a frame).
 */
#ifndef KEEL_ARCHIVE_ZSTD_WRITE_H
#define KEEL_ARCHIVE_ZSTD_WRITE_H

#include <stddef.h>
#include <stdint.h>

#define ZSTDW_SIZE_UNKNOWN UINT64_MAX
#define ZSTDW_WLOG_MIN 10
#define ZSTDW_WLOG_MAX 26
#define ZSTDW_WLOG_DEFAULT 20

typedef int (*zstdw_out_fn)(void *ctx, const void *p, size_t n);

struct zstdw_opts {
	unsigned wlog;         /* window log, ZSTDW_WLOG_MIN..MAX (0: the default) */
	uint64_t content_size; /* the whole input's size, or ZSTDW_SIZE_UNKNOWN */
	uint64_t frame_size;   /* bytes per independent frame (0: one frame) */
};

struct zstdw {
	zstdw_out_fn out;
	void *ctx;
	uint8_t *win, *lit, *ob;
	uint32_t *hash, *seq;
	size_t wsize, bsize, cap;
	size_t fill, done, low;    /* bytes in win; compressed up to; the frame's first byte */
	uint64_t frame_in, total, content_size, frame_size;
	uint32_t rep[3];
	int header_done, err;
	uint64_t xxh[4], xxh_len; /* XXH64 of the frame's content */
	uint8_t xxh_buf[32];
	unsigned wlog;
};

int zstdw_init(struct zstdw *z, const struct zstdw_opts *o, zstdw_out_fn out, void *ctx);
/* Compress n bytes; returns 0 or the first error (of the callback, or -EINVAL: more than
 * content_size). After an error every call returns it. */
int zstdw_write(struct zstdw *z, const void *p, size_t n);
/* End the last frame (an empty input is one empty frame). -EINVAL when the input was not
 * content_size bytes. */
int zstdw_finish(struct zstdw *z);
void zstdw_free(struct zstdw *z);

/* XXH64 with seed 0 of a whole buffer (the frame checksum is its low 32 bits). */
uint64_t zstdw_xxh64(const void *p, size_t n);

#endif
