/* verity.h — dm-verity hash trees and superblocks, byte-identical to cryptsetup's veritysetup.
 *
 * Layout (cryptsetup lib/verity, kernel Documentation/admin-guide/device-mapper/verity.rst):
 * the hash device holds, from hash_area_offset, an optional 512-byte superblock, then the tree
 * from hash block `hash_start` on, root-most level first, leaf level last. A leaf digest is
 * H(salt ‖ data block) (format 1) or H(data block ‖ salt) (format 0); a hash block holds
 * 2^floor(log2(hash_block_size / digest_size)) digests, zero-padded; the root hash is the digest
 * of the single top hash block (of the only data block when there is one).
 *
 * verity_format() writes a tree, verity_verify() rebuilds it and compares every hash block with
 * the device (digests and zero padding), verity_root() only computes the root hash. The leaf
 * level is hashed by params.threads threads; data is read in large chunks.
 */
#ifndef KEEL_VERITY_H
#define KEEL_VERITY_H

#include <stddef.h>
#include <stdint.h>

#include "trust/hash.h"

struct kerr;

#define VERITY_SB_SIZE 512
#define VERITY_MAX_SALT 256
#define VERITY_MIN_BLOCK 512
#define VERITY_MAX_BLOCK (512 * 1024)
#define VERITY_MAX_LEVELS 63
#define VERITY_MAX_THREADS 16

struct verity_params {
	uint32_t hash_type;        /* 1 normal, 0 Chrome OS (original) format */
	enum hash_alg alg;         /* HASH_SHA256 or HASH_SHA512 */
	uint32_t data_block_size;  /* power of two, 512 … 512 KiB */
	uint32_t hash_block_size;  /* power of two, 512 … 512 KiB */
	uint64_t data_blocks;      /* blocks of the data device covered */
	uint64_t hash_area_offset; /* bytes, 512-aligned: superblock (or tree) position in the hash device */
	int no_superblock;         /* no superblock: the tree starts at hash_area_offset */
	uint16_t salt_size;
	uint8_t salt[VERITY_MAX_SALT];
	uint8_t uuid[16];          /* superblock only */
	unsigned threads;          /* leaf-level hashing threads; 0 or 1: the caller's thread only */
};

/* Where the tree lies, derived from the parameters by verity_layout(). Level 0 is the leaf level. */
struct verity_layout {
	unsigned levels;                        /* 0 when there is a single data block */
	uint64_t hash_start;                    /* first tree block, in hash blocks from the device start */
	uint64_t level_start[VERITY_MAX_LEVELS]; /* first block of each level, in hash blocks */
	uint64_t level_blocks[VERITY_MAX_LEVELS];
	uint64_t hash_blocks;                   /* tree blocks (veritysetup's "Hash blocks") */
	uint64_t hash_end;                      /* bytes: end of the tree in the hash device */
	uint32_t per_block;                     /* digests per hash block */
	uint32_t stride;                        /* bytes per digest slot (format 1: power of two) */
};

/* Defaults as veritysetup's: format 1, sha256, 4096/4096, no offset, superblock, no salt. */
void verity_params_default(struct verity_params *p);
/* Check block sizes, algorithm, format, offset alignment, data_blocks > 0; fill l (may be NULL). */
int verity_layout(const struct verity_params *p, struct verity_layout *l, struct kerr *e);

/* Superblock: encode p (512 bytes), or decode/validate in[0..len) into p's format fields
 * (hash_type, alg, block sizes, data_blocks, salt, uuid; the rest is left alone). Decoding refuses
 * a wrong signature, a version other than 1, a format > 1, bad block sizes, an unknown algorithm,
 * salt_size > 256 and a data_blocks whose tree cannot be laid out. */
void verity_sb_encode(const struct verity_params *p, uint8_t sb[VERITY_SB_SIZE]);
int verity_sb_decode(struct verity_params *p, const void *in, size_t len, struct kerr *e);
/* Read and decode the superblock at p->hash_area_offset of hash_fd. */
int verity_sb_read(struct verity_params *p, int hash_fd, struct kerr *e);

/* Write the tree (and the superblock unless p->no_superblock) to hash_fd; a regular hash file
 * shorter than the tree is extended (as veritysetup does; bytes between the superblock and the
 * tree are left as they were). data_fd and hash_fd may be the same file: then the data must
 * end before hash_area_offset. root gets hash_size(p->alg) bytes. */
int verity_format(const struct verity_params *p, int data_fd, int hash_fd, uint8_t *root, struct kerr *e);
/* Rebuild the tree from data_fd and compare it with hash_fd: 0 when every hash block matches
 * byte for byte (zero padding included) and the root is root; -EBADMSG with the first bad block
 * in e otherwise (also for a hash device too short for the tree); other negative errno on I/O
 * errors. */
int verity_verify(const struct verity_params *p, int data_fd, int hash_fd, const uint8_t *root, struct kerr *e);
/* The root hash of data_fd, computed in memory (nothing read from or written to a hash device). */
int verity_root(const struct verity_params *p, int data_fd, uint8_t *root, struct kerr *e);

/* Size of an fd's file or block device in bytes. */
int verity_dev_size(int fd, uint64_t *size);
/* Threads worth using for the leaf level (online CPUs in our affinity mask, at most 16). */
unsigned verity_default_threads(void);

/* UUID text (36 characters, either case) to bytes and back (lower case). */
int verity_uuid_parse(uint8_t uuid[16], const char *s);
void verity_uuid_format(char out[37], const uint8_t uuid[16]);

/* The kernel's dm-verity table line:
 * "<version> <data_dev> <hash_dev> <dbs> <hbs> <#blocks> <hash_start> <alg> <root> <salt|->".
 * -ENAMETOOLONG if it does not fit in out[n]. */
int verity_dm_table(const struct verity_params *p, const char *data_dev, const char *hash_dev,
	const uint8_t *root, char *out, size_t n);

#endif
