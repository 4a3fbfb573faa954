/* inflate.h — streaming DEFLATE (RFC 1951) decoder with the gzip (RFC 1952) and zlib (RFC 1950)
 * wrappers, bounded and strict.
 *
 * The decoder pulls compressed bytes through io->read and pushes decompressed bytes to io->sink
 * in chunks of at most 256 KiB; it holds about 360 KiB of its own (input buffer, 32 KiB window,
 * Huffman tables) and nothing that grows with the input. Every byte handed to the sink belongs to
 * a stream that is valid so far; the sink never receives more than io->max_out bytes in total:
 * one more is -EFBIG before it is delivered (a decompression bomb stops at the cap).
 *
 * gzip: one or more members (as `gzip -dc` reads concatenated files); each member's header is
 * checked (ID, CM 8, no reserved FLG bits; FEXTRA, FNAME, FCOMMENT skipped; FHCRC checked) and
 * its trailer's CRC32 and ISIZE compared with what was decoded. Anything after the last member is
 * an error (gzip ignores trailing garbage with a warning; keel does not).
 * zlib: CMF/FLG check bits, CM 8, window ≤ 32 KiB, no preset dictionary, Adler-32 checked; nothing
 * may follow. raw: one DEFLATE stream, nothing may follow.
 *
 * Errors: -EINVAL malformed or truncated (a code, a length, a distance before the start of the
 * output, a header), -EBADMSG a CRC32/ISIZE/Adler-32/FHCRC mismatch, -EFBIG past max_out; each with
 * a message naming the byte offset in the compressed input. Errors of the reader or the sink
 * are passed through unchanged (their kerr, if they filled it, is kept).
 */
#ifndef KEEL_INFLATE_H
#define KEEL_INFLATE_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct kerr;
struct buf;

enum inflate_fmt { INFLATE_RAW, INFLATE_ZLIB, INFLATE_GZIP };

struct inflate_io {
	/* Fill buf with up to cap bytes: the count, 0 at the end of the input, or -errno. */
	ssize_t (*read)(void *ctx, uint8_t *buf, size_t cap, struct kerr *e);
	void *rctx;
	/* Take n decompressed bytes: 0 or -errno. */
	int (*sink)(void *ctx, const uint8_t *p, size_t n, struct kerr *e);
	void *sctx;
	uint64_t max_out; /* total output cap */
};

struct inflate_stats {
	uint64_t in, out;  /* compressed bytes consumed, bytes delivered */
	unsigned members;  /* gzip members */
};

int inflate_stream(enum inflate_fmt fmt, const struct inflate_io *io, struct inflate_stats *st, struct kerr *e);

/* A reader (inflate_io.read) over memory: rctx is a struct inflate_mem, advanced as it is read. */
struct inflate_mem {
	const uint8_t *p;
	size_t n;
};
ssize_t inflate_mem_read(void *ctx, uint8_t *buf, size_t cap, struct kerr *e);

/* Decompress in[0..n) into out (appended; out->max is the cap: past it is -EFBIG). */
int inflate_mem(enum inflate_fmt fmt, const void *in, size_t n, struct buf *out, struct kerr *e);
/* Decompress in[0..n) into sink, at most max_out bytes. */
int inflate_mem_sink(enum inflate_fmt fmt, const void *in, size_t n,
	int (*sink)(void *ctx, const uint8_t *p, size_t n, struct kerr *e), void *sctx, uint64_t max_out, struct kerr *e);

/* The CRC-32 of RFC 1952 (zlib's crc32(): start with 0). */
uint32_t crc32_update(uint32_t crc, const void *p, size_t n);

#endif
