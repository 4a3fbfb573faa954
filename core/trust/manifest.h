/* manifest.h — the signed slot manifest: which verity root hash a USR-A/USR-B slot must have.
 *
 * The last MANIFEST_AREA (64 KiB) of a slot partition holds:
 *   offset 0   "KEELSLOT"           magic, 8 bytes
 *   offset 8   u32 little-endian    text length T (1..MANIFEST_TEXT_MAX)
 *   offset 12  u32 little-endian    signature length S (1..MANIFEST_SIG_MAX)
 *   offset 16  T bytes              the manifest text (below)
 *   16 + T     S bytes              DER ECDSA P-256 signature over SHA-256 of the T text bytes
 *   the rest is zero (not read)
 * The text is exactly these lines, in this order, each "key value\n", nothing else:
 *   keel-slot-manifest 1
 *   version <1..64 of [A-Za-z0-9._+-]>   the image version (for people and update tooling)
 *   fs erofs                             the filesystem in the slot (erofs, squashfs or ext4)
 *   hash sha256                          the verity hash (sha256 or sha512)
 *   data-block-size 4096                 512..65536, a power of two
 *   hash-block-size 4096                 512..65536, a power of two
 *   data-blocks <N>                      blocks of the filesystem covered by the tree (>= 1)
 *   hash-offset <bytes>                  where the hash tree starts (no superblock): a multiple
 *                                        of hash-block-size, at or after the data
 *   salt <hex, 0..256 bytes; "-" = none>
 *   root-hash <hex of the hash size>
 * A manifest is trusted only once its signature verifies against one of the keys given
 * (the initramfs's /etc/keel/keys/NAME.pem files); the text is parsed only after that.
 */
#ifndef KEEL_MANIFEST_H
#define KEEL_MANIFEST_H

#include <stddef.h>
#include <stdint.h>

#include "trust/hash.h"

struct kerr;
struct sig_key;
struct sig_keyring;

#define MANIFEST_AREA 65536
#define MANIFEST_TEXT_MAX 4096
#define MANIFEST_SIG_MAX 512
#define MANIFEST_VERSION_MAX 64

struct manifest {
	char version[MANIFEST_VERSION_MAX + 1];
	char fs[16];
	enum hash_alg hash;
	uint32_t data_block_size, hash_block_size;
	uint64_t data_blocks, hash_offset;
	uint8_t salt[256];
	size_t salt_len;
	uint8_t root_hash[HASH_MAX_SIZE];
};

/* Split the area (its first MANIFEST_AREA bytes or fewer) into text and signature (pointers
 * into area). */
int manifest_split(const uint8_t *area, size_t len, const uint8_t **text, size_t *text_len,
	const uint8_t **sig, size_t *sig_len, struct kerr *e);
/* Parse the text strictly. */
int manifest_parse(const uint8_t *text, size_t len, struct manifest *m, struct kerr *e);
/* Check the ECDSA P-256 signature (over SHA-256 of the text) with the trusted keys in kr;
 * 0 when one verifies (*which, may be NULL, is that key), -EBADMSG when none does, -ENOKEY
 * when kr holds no ECDSA key. */
int manifest_verify(const uint8_t *text, size_t text_len, const uint8_t *sig, size_t sig_len,
	const struct sig_keyring *kr, const struct sig_key **which, struct kerr *e);
/* Read the area at the end of a partition (fd, size in bytes), verify with the keys in keydir
 * (core/sig's trusted-keys directory: *.pem, *.der, *.pub), parse: the whole path stage 1 takes.
 * key (at least 17 bytes) gets the first 16 hex digits of the signing key's id. */
int manifest_load(int fd, uint64_t part_size, const char *keydir, struct manifest *m, char *key,
	size_t keylen, struct kerr *e);

/* Minimum versions (the floor a slot must reach to boot, see stage1.h).
 *
 * Versions are ordered as dotted decimal numbers ("2026.1.0"): component by component, each
 * compared as a number of any length (leading zeros do not count), a missing component counting
 * as 0 ("2026.1" == "2026.1.0"). Anything else the manifest allows ("2026.1.0-rc1", "v2", "1..2",
 * ".1") cannot be ordered: manifest_version_cmp() returns -EINVAL, and a floor never admits such
 * a version (fail closed). *cmp gets -1, 0 or 1. */
int manifest_version_cmp(const char *a, const char *b, int *cmp);
/* Read a floor file beneath rootfd (no symlinks anywhere in path): a regular file (opened
 * O_NONBLOCK, so a FIFO never blocks PID 1) holding one version that manifest_version_cmp()
 * orders, optionally followed by one newline, at most 128 bytes in all. -ENOENT (e not set) when
 * there is none; any other problem is an error naming path (fail closed). */
int manifest_floor_read(int rootfd, const char *path, char out[MANIFEST_VERSION_MAX + 1], struct kerr *e);
/* 0 when version is at or above floor (or floor is empty: no minimum); -EPERM, naming the
 * version, the floor and src (where the floor came from), when it is below or cannot be ordered. */
int manifest_floor_check(const char *version, const char *floor, const char *src, struct kerr *e);

/* The dm-verity table line for the data/hash device dev (e.g. /dev/vda2). */
int manifest_verity_table(const struct manifest *m, const char *dev, char *out, size_t n);

#endif
