/* release.h — a keel release as TUF targets: the /usr slot image, compressed as independent zstd
 * frames ("chunks"), and the release's UKI; the signed custom fields that describe them; the
 * frame writer publish uses.
 *
 * The slot image target's "custom" holds one member "keel-release" (nothing else is read):
 *   {"format": 1,
 *    "version": "2026.2.0",              the manifest's version: digits and dots (orderable)
 *    "uki": "keel-2026.2.0.efi",         the UKI's target name (its length and hashes: its own entry)
 *    "image": {"size": N, "sha512": HEX}, the uncompressed slot image (= the slot partition)
 *    "verity-root": HEX,                 the root hash its signed manifest names (64 or 128 digits)
 *    "chunks": [[OFFSET, LENGTH, SHA256, SIZE], ...]}
 * Each chunk is one zstd frame: LENGTH compressed bytes at OFFSET of the target (offsets start at
 * 0 and follow each other; their lengths add up to the target's length), SHA256 their hash, SIZE
 * the bytes it decompresses to (1..RELEASE_CHUNK_MAX; the sizes add up to image.size). Strict:
 * every member required, no other member, hex in lower case, integers only; a chunk may be at most
 * RELEASE_CHUNK_MAX + RELEASE_FRAME_SLACK compressed bytes, its frame's window at most
 * 2^RELEASE_WINDOW_LOG, so an install holds one compressed chunk and one window: bounded memory
 * whatever the image size.
 */
#ifndef KEEL_RELEASE_H
#define KEEL_RELEASE_H

#include <stddef.h>
#include <stdint.h>

#include "trust/manifest.h"

struct json;
struct jw;
struct kerr;

#define RELEASE_CHUNK_MAX (2u << 20)   /* uncompressed bytes of one chunk */
#define RELEASE_CHUNK_DEFAULT (1u << 20) /* what publish cuts */
#define RELEASE_FRAME_SLACK 4096u       /* frame header, block headers, checksum */
#define RELEASE_WINDOW_LOG 21           /* 2 MiB: a frame of RELEASE_CHUNK_MAX as one segment */
#define RELEASE_MAX_CHUNKS 65536u       /* 128 GiB at most */
#define RELEASE_IMAGE_MAX ((uint64_t)RELEASE_CHUNK_MAX * RELEASE_MAX_CHUNKS)

struct release {
	char version[MANIFEST_VERSION_MAX + 1];
	char uki[1025];
	uint64_t image_size;
	uint8_t image_sha512[64];
	uint8_t verity_root[64];
	size_t verity_len;                  /* 32 or 64 */
	const struct json *chunks;          /* validated: read with release_chunk() */
	size_t nchunks;
	uint64_t clen_max;                  /* largest compressed chunk */
	uint64_t compressed;                /* sum of the lengths */
};

struct release_chunk {
	uint64_t offset, length, size;      /* compressed offset and length, uncompressed size */
	uint8_t sha256[32];
};

/* Parse and check a target's custom object (the value of "custom"). target_len: the target's
 * signed length (the chunk lengths must add up to it). -EINVAL naming the field ("chunks[3]
 * offset") for anything else than the format above; -ENOENT when custom has no "keel-release". */
int release_parse(const struct json *custom, uint64_t target_len, struct release *r, struct kerr *e);
/* Chunk i of a parsed release (i < nchunks); its image offset is the sum of the sizes before it. */
void release_chunk(const struct release *r, size_t i, struct release_chunk *c);

/* ---- publish ---- */

/* Upper bound of chunk_frame's output for n input bytes: a block that does not shrink is stored
 * raw (3 header bytes per 128 KiB block), plus the frame header and checksum. */
#define RELEASE_FRAME_BOUND(n) ((size_t)(n) + 32 + 3 * ((size_t)(n) / (128u << 10) + 1))
/* One chunk (n <= RELEASE_CHUNK_MAX) as a self-contained zstd frame: keel's compressor
 * (archive/zstd_write.h), one segment with its content size and checksum, into out (cap bytes,
 * RELEASE_FRAME_BOUND(n) always suffice). 0 and *len, or -errno (-ENOSPC, -ENOMEM). */
int chunk_frame(const uint8_t *in, size_t n, uint8_t *out, size_t cap, size_t *len);

/* The slot manifest in the last 64 KiB of a slot image (parsed, not verified: the installer checks
 * its signature); its version must be orderable. */
int release_manifest(int imgfd, struct manifest *m, struct kerr *e);
/* Build a release from the slot image in imgfd (streamed, chunk bytes at a time): the frames go
 * to outfd, the custom object ({"keel-release": ...}) to w. The version and verity root come from
 * the image's slot manifest (its last 64 KiB: parsed, the signature is the installer's to check);
 * uki is the UKI's target name. */
int release_build(int imgfd, int outfd, size_t chunk, const char *uki, struct jw *w, char *version,
	struct kerr *e);

#endif
