/* hash.h — SHA-256 and SHA-512, streaming and one-shot.
 *
 * SHA-512 is mbedtls. SHA-256 uses the x86 SHA extensions (SHA-NI) when cpuid says the CPU has
 * them, chosen once at run time; otherwise mbedtls. Both give the same bytes (tests/unit/hash_test.c
 * cross-checks them on random inputs). */
#ifndef KEEL_HASH_H
#define KEEL_HASH_H

#include <stddef.h>
#include <stdint.h>

#include <mbedtls/sha256.h>
#include <mbedtls/sha512.h>

enum hash_alg { HASH_NONE = 0, HASH_SHA256 = 1, HASH_SHA512 = 2 };

#define HASH_MAX_SIZE 64

/* SHA-256 state of the SHA-NI path. */
struct sha256_ni {
	uint32_t h[8];
	uint8_t buf[64];
	uint64_t len; /* bytes hashed so far */
};

struct hash_ctx {
	enum hash_alg alg;
	int ni; /* SHA-256 through SHA-NI (u.ni) rather than mbedtls (u.s256) */
	union {
		mbedtls_sha256_context s256;
		mbedtls_sha512_context s512;
		struct sha256_ni ni;
	} u;
};

/* "sha256" / "sha512" (lower case, as dm-verity, OCI and Ignition spell them); HASH_NONE if unknown. */
enum hash_alg hash_alg_from_name(const char *name);
const char *hash_name(enum hash_alg alg);
size_t hash_size(enum hash_alg alg); /* 32, 64; 0 if unknown */

int hash_init(struct hash_ctx *c, enum hash_alg alg); /* -EINVAL for an unknown alg */
void hash_update(struct hash_ctx *c, const void *data, size_t len);
void hash_final(struct hash_ctx *c, uint8_t *out); /* hash_size(alg) bytes; c is freed */
void hash_free(struct hash_ctx *c);

int hash_once(enum hash_alg alg, const void *data, size_t len, uint8_t *out);
/* Hash fd from its current position to EOF with large reads; *total gets the byte count. */
int hash_fd(enum hash_alg alg, int fd, uint8_t *out, uint64_t *total);
/* Let hash_fd read, and hash_async hash, in a second thread (off by default). Only for callers whose sandbox allows
 * what musl's pthread_create needs ("mprotect", "clone"): a seccomp trap is not an error return. */
void hash_fd_threads(int on);

/* A hash computed in a second thread: hash_async_update copies the data into a ring of buffers
 * (1 MiB in all) that the thread hashes from, so the caller's thread goes on (install.c: the slot
 * image's SHA-512 beside the decoder). With hash_fd_threads(0), or when the thread cannot start,
 * the caller's thread hashes. hash_async_new: NULL for an unknown alg or out of memory.
 * hash_async_final writes hash_size(alg) bytes and frees; hash_async_free frees without a result
 * (NULL is fine). Same bytes as hash_once (tests/unit/hash_test.c). */
struct hash_async;
struct hash_async *hash_async_new(enum hash_alg alg);
void hash_async_update(struct hash_async *a, const void *data, size_t len);
void hash_async_final(struct hash_async *a, uint8_t *out);
void hash_async_free(struct hash_async *a);

/* Which SHA-256 implementation new contexts use: "sha-ni" or "mbedtls". */
const char *hash_sha256_impl(void);
/* For tests and benchmarks: 1 forces the portable (mbedtls) SHA-256, 0 restores the run-time
 * choice. Returns 1 if SHA-NI is available on this CPU. */
int hash_force_portable(int on);

#endif
