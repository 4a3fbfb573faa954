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

#include "hash.h"

struct kerr;

#define MANIFEST_AREA 65536
#define MANIFEST_TEXT_MAX 4096
#define MANIFEST_SIG_MAX 512
#define MANIFEST_KEYS_MAX 16

struct manifest {
	char version[65];
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
/* Check the signature against each PEM public key in pems[0..n); 0 when one verifies,
 * *which = its index. -EBADMSG when none does. */
int manifest_verify(const uint8_t *text, size_t text_len, const uint8_t *sig, size_t sig_len,
	const char *const pems[], const size_t pem_lens[], int n, int *which, struct kerr *e);
/* Read the area at the end of a partition (fd, size in bytes), verify with the PEM files in
 * keydir, parse: the whole path stage 1 takes. *key gets the key file's name. */
int manifest_load(int fd, uint64_t part_size, const char *keydir, struct manifest *m, char *key,
	size_t keylen, struct kerr *e);

/* The dm-verity table line for the data/hash device dev (e.g. /dev/vda2). */
int manifest_verity_table(const struct manifest *m, const char *dev, char *out, size_t n);

#endif
