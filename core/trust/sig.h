/* sig.h — detached signatures: ECDSA P-256/P-384 and RSA (PKCS#1 v1.5, PSS) public keys.
 *
 * Keys are SubjectPublicKeyInfo, PEM ("-----BEGIN PUBLIC KEY-----") or DER, as `openssl pkey
 * -pubout` writes them; RSA keys must have 2048 to 8192 bits. A key's id is the SHA-256 of its
 * DER SubjectPublicKeyInfo (`openssl pkey -pubin -outform DER | sha256sum`).
 *
 * Signatures are what `openssl dgst -sha256 -sign` and `openssl pkeyutl -sign` make:
 *  - ECDSA (SIG_ECDSA): DER, SEQUENCE of two INTEGERs, in its one canonical encoding only (short
 *    lengths, positive minimal INTEGERs, neither zero, nothing after): what openssl, cosign and
 *    TUF's ecdsa-sha2-nistp256 write. SIG_ECDSA_RAW: raw r ‖ s, exactly 2 × the curve's size
 *    (JOSE/PKCS#11), only where a caller asks for it (`keel verify sig --alg ecdsa-raw`).
 *    The digest may be SHA-256 or SHA-512 on either curve.
 *  - RSA PKCS#1 v1.5 and RSA-PSS with MGF1 over the same hash as the message; PSS accepts any salt
 *    length the encoding allows (so digest-length salts, openssl's "max" default and "auto" all
 *    verify). The signature must be exactly the modulus length.
 *
 * Results: 0 valid; -EBADMSG the signature does not verify; -EINVAL a malformed signature or a
 * key that cannot make this kind of signature (wrong type, wrong length for the curve/modulus).
 */
#ifndef KEEL_SIG_H
#define KEEL_SIG_H

#include <stddef.h>
#include <stdint.h>

#include "trust/hash.h"

struct buf;

struct kerr;
struct sig_key; /* opaque; wraps an mbedtls_pk_context */

#define SIG_KEY_MAX_FILE (64 * 1024) /* a key file larger than this is refused */
#define SIG_KEYRING_MAX 64

enum sig_alg { SIG_ECDSA, SIG_RSA_PKCS1V15, SIG_RSA_PSS, SIG_ECDSA_RAW };
enum sig_key_type { SIG_KEY_EC_P256, SIG_KEY_EC_P384, SIG_KEY_RSA };

/* PEM or DER SubjectPublicKeyInfo (RSA or EC P-256/P-384). */
int sig_key_parse(struct sig_key **out, const void *pem_or_der, size_t len, struct kerr *e);
/* Read path (relative to dirfd, AT_FDCWD for a plain path) and parse it; errors name the file. */
int sig_key_load(struct sig_key **out, int dirfd, const char *path, struct kerr *e);
void sig_key_free(struct sig_key *k); /* accepts NULL */
const uint8_t *sig_key_id(const struct sig_key *k); /* 32 bytes: sha256 of the DER SPKI */
enum sig_key_type sig_key_type(const struct sig_key *k);
size_t sig_key_bits(const struct sig_key *k);
const char *sig_key_type_name(const struct sig_key *k); /* "ecdsa-p256", "ecdsa-p384", "rsa" */
/* The usual algorithm for the key: ECDSA for EC keys, PKCS#1 v1.5 for RSA (openssl dgst's). */
enum sig_alg sig_key_default_alg(const struct sig_key *k);
/* "ecdsa", "rsa-pkcs1", "rsa-pss", "ecdsa-raw" <-> enum; -1 if unknown. */
int sig_alg_from_name(const char *name);
const char *sig_alg_name(enum sig_alg alg);

int sig_verify_digest(const struct sig_key *k, enum sig_alg alg, enum hash_alg h, const uint8_t *digest,
	const void *sig, size_t siglen, struct kerr *e);
int sig_verify(const struct sig_key *k, enum sig_alg alg, enum hash_alg h, const void *data, size_t len,
	const void *sig, size_t siglen, struct kerr *e);

/* Trusted keys: every *.pem, *.der and *.pub file of a directory (other files, such as a
 * README, are ignored; a key file that does not parse is an error, an empty set is an error:
 * a missing key never means "trust anything"). Keys with the same id count once. */
struct sig_keyring {
	struct sig_key *keys[SIG_KEYRING_MAX];
	size_t n;
};
int sig_keyring_load_dir(struct sig_keyring *kr, int dirfd, const char *path, struct kerr *e);
/* Add k (the keyring takes it, or frees it when it holds that id already). */
int sig_keyring_add(struct sig_keyring *kr, struct sig_key *k, struct kerr *e);
void sig_keyring_free(struct sig_keyring *kr); /* accepts NULL */
const struct sig_key *sig_keyring_find(const struct sig_keyring *kr, const uint8_t id[32]);
/* Verify with the key whose id is key_id, or (key_id NULL) with every key that can make alg
 * (alg < 0: each key with its default algorithm);
 * 0 and *which (may be NULL) set when one verifies, else -EBADMSG (-ENOKEY: no such key). */
int sig_keyring_verify_digest(const struct sig_keyring *kr, const uint8_t *key_id, int alg,
	enum hash_alg h, const uint8_t *digest, const void *sig, size_t siglen, const struct sig_key **which,
	struct kerr *e);

/* ---- sig_sign.c: private keys and signing (for publishers: `keel update publish`) ---- */

struct sig_priv; /* opaque; wiped when freed */

/* A PEM or DER private key (PKCS#8, SEC1 or PKCS#1; unencrypted): EC P-256 or RSA 2048-8192. */
int sig_priv_parse(struct sig_priv **out, const void *pem_or_der, size_t len, struct kerr *e);
int sig_priv_load(struct sig_priv **out, int dirfd, const char *path, struct kerr *e);
void sig_priv_free(struct sig_priv *k); /* accepts NULL */
enum sig_key_type sig_priv_type(const struct sig_priv *k);
/* The public half as a PEM SubjectPublicKeyInfo ("-----BEGIN PUBLIC KEY-----", 64-column lines). */
int sig_priv_public_pem(const struct sig_priv *k, struct buf *out, struct kerr *e);
/* Sign data with SHA-256: SIG_ECDSA (DER, deterministic as RFC 6979) or SIG_RSA_PSS (MGF1-SHA-256,
 * a random salt of the digest's length). The signature is appended to out. */
int sig_sign(const struct sig_priv *k, enum sig_alg alg, const void *data, size_t len, struct buf *out,
	struct kerr *e);

#endif
