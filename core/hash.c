/* hash.c — SHA-256/512 through mbedtls. */
#include "hash.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

enum hash_alg hash_alg_from_name(const char *name)
{
	if (!strcmp(name, "sha256"))
		return HASH_SHA256;
	if (!strcmp(name, "sha512"))
		return HASH_SHA512;
	return HASH_NONE;
}

const char *hash_name(enum hash_alg alg)
{
	return alg == HASH_SHA256 ? "sha256" : alg == HASH_SHA512 ? "sha512" : "unknown";
}

size_t hash_size(enum hash_alg alg) { return alg == HASH_SHA256 ? 32 : alg == HASH_SHA512 ? 64 : 0; }

int hash_init(struct hash_ctx *c, enum hash_alg alg)
{
	c->alg = alg;
	switch (alg) {
	case HASH_SHA256:
		mbedtls_sha256_init(&c->u.s256);
		return mbedtls_sha256_starts(&c->u.s256, 0) ? -EINVAL : 0;
	case HASH_SHA512:
		mbedtls_sha512_init(&c->u.s512);
		return mbedtls_sha512_starts(&c->u.s512, 0) ? -EINVAL : 0;
	default:
		return -EINVAL;
	}
}

void hash_update(struct hash_ctx *c, const void *data, size_t len)
{
	if (c->alg == HASH_SHA256)
		mbedtls_sha256_update(&c->u.s256, data, len);
	else if (c->alg == HASH_SHA512)
		mbedtls_sha512_update(&c->u.s512, data, len);
}

void hash_final(struct hash_ctx *c, uint8_t *out)
{
	if (c->alg == HASH_SHA256)
		mbedtls_sha256_finish(&c->u.s256, out);
	else if (c->alg == HASH_SHA512)
		mbedtls_sha512_finish(&c->u.s512, out);
	hash_free(c);
}

void hash_free(struct hash_ctx *c)
{
	if (!c)
		return;
	if (c->alg == HASH_SHA256)
		mbedtls_sha256_free(&c->u.s256);
	else if (c->alg == HASH_SHA512)
		mbedtls_sha512_free(&c->u.s512);
	c->alg = HASH_NONE;
}

int hash_once(enum hash_alg alg, const void *data, size_t len, uint8_t *out)
{
	struct hash_ctx c;
	int ret = hash_init(&c, alg);
	if (ret)
		return ret;
	hash_update(&c, data, len);
	hash_final(&c, out);
	return 0;
}

int hash_fd(enum hash_alg alg, int fd, uint8_t *out, uint64_t *total)
{
	enum { CHUNK = 1 << 20 };
	struct hash_ctx c;
	uint64_t n = 0;
	int ret = -ENOMEM;
	uint8_t *bufp = malloc(CHUNK);
	if (!bufp)
		return ret;
	if ((ret = hash_init(&c, alg)))
		goto out;
	for (;;) {
		ssize_t r = read(fd, bufp, CHUNK);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			ret = -errno;
			hash_free(&c);
			goto out;
		}
		if (!r)
			break;
		hash_update(&c, bufp, (size_t)r);
		n += (uint64_t)r;
	}
	hash_final(&c, out);
	if (total)
		*total = n;
out:
	free(bufp);
	return ret;
}
