/* install.h — write a release's slot image into the inactive slot: chunk-authenticated,
 * resumable, bounded memory.
 *
 * The compressed target is read from a source as one stream from a byte offset on (a Range
 * request over HTTP, pread in a directory). Chunk by chunk (release.h): its compressed bytes are
 * collected (at most one chunk in memory), their sha256 compared with the signed one, and only
 * then decompressed (zstd, window ≤ 2^RELEASE_WINDOW_LOG) and written to the slot at the chunk's
 * image offset (its write-back started at once, so that the checkpoints' fdatasync waits for
 * little), hashed into the image's sha512. A chunk that does not match is an error naming
 * it and its offset before any byte of the next one is read; nothing unverified reaches the slot.
 * A transfer that breaks off is resumed (up to retries times, then by the next run through the
 * progress callback) from the first chunk not yet verified; a source that answers from byte 0
 * calls restart and the bytes before that chunk are skipped. At the end the image's sha512 (the
 * chunks written by an earlier run are read back and hashed first) is compared, the slot fsynced,
 * and install_verify checks the signed slot manifest and the whole verity tree.
 * Memory: the chunk, one zstd decoder reused for every chunk, and (with hash_fd_threads(1), as
 * `keel update apply` sets it) the sha512's ring of 1 MiB and its thread; ~5 MiB RSS in all for a
 * 512 MiB image (tests/bench/update.bench.sh).
 */
#ifndef KEEL_UPDATE_INSTALL_H
#define KEEL_UPDATE_INSTALL_H

#include <stddef.h>
#include <stdint.h>

#include "update/release.h"

struct kerr;

typedef int (*install_sink_fn)(void *ctx, const void *data, size_t len);

struct install_src {
	/* Hand the target's bytes from start on to sink; call restart(sctx) first when the answer
	 * starts at byte 0 instead. Returns 0 at the end of the target, or an error (the sink's
	 * unchanged). */
	int (*get)(void *ctx, uint64_t start, install_sink_fn sink, int (*restart)(void *), void *sctx, struct kerr *e);
	void *ctx;
};

struct install {
	const struct release *r;
	struct install_src src;
	int slotfd;                 /* the slot, read-write; its size is r->image_size */
	size_t first;               /* chunks already on the slot (a resumed install) */
	unsigned retries;           /* broken transfers resumed within this run */
	unsigned checkpoint;        /* chunks between progress records (0: 16) */
	/* After chunks [0, n) are on the slot and fsynced: record n (a non-zero return aborts). */
	int (*progress)(void *ctx, size_t n);
	void *pctx;
	/* Bytes of the image written so far (for a TTY progress line); may be NULL. */
	void (*report)(void *ctx, uint64_t done, uint64_t total);
	size_t done;                /* out: chunks on the slot when install_slot returned */
	unsigned requests;          /* out: transfers started */
};

int install_slot(struct install *in, struct kerr *e);

/* The slot (fd, size bytes): its manifest signed by a key in keydir, naming the release's
 * version and verity root hash, and the verity tree rebuilt and compared block for block. */
int install_verify(int fd, uint64_t size, const char *keydir, const struct release *r, struct kerr *e);

#endif
