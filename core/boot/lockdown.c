/* lockdown.c — the rescue credential of a Secure Boot host: SHA-512 crypt ($6$), verify only. */
#include "boot/lockdown.h"
#include "base/buf.h"
#include "trust/hash.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void add_rep(struct hash_ctx *c, const uint8_t *blk, size_t n)
{
	for (; n > 64; n -= 64)
		hash_update(c, blk, 64);
	hash_update(c, blk, n);
}

int lockdown_crypt6(const char *pw, size_t pl, const char *setting, char *out, size_t outlen)
{
	static const char b64[] = "./0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
	static const uint8_t perm[21][3] = {{0, 21, 42}, {22, 43, 1}, {44, 2, 23}, {3, 24, 45}, {25, 46, 4}, {47, 5, 26},
		{6, 27, 48}, {28, 49, 7}, {50, 8, 29}, {9, 30, 51}, {31, 52, 10}, {53, 11, 32}, {12, 33, 54}, {34, 55, 13},
		{56, 14, 35}, {15, 36, 57}, {37, 58, 16}, {59, 17, 38}, {18, 39, 60}, {40, 61, 19}, {62, 20, 41}};
	struct hash_ctx c;
	uint8_t a[64], b[64], dp[64], ds[64];
	unsigned long rounds = 5000;
	int custom = 0, ret = -EINVAL;
	const char *s = setting;
	if (strncmp(s, "$6$", 3) || pl > 256)
		return -EINVAL;
	s += 3;
	if (!strncmp(s, "rounds=", 7)) {
		char *end;
		if (s[7] < '0' || s[7] > '9')
			return -EINVAL;
		rounds = strtoul(s + 7, &end, 10);
		if (*end != '$' || rounds < 1000 || rounds > 999999999)
			return -EINVAL;
		s = end + 1;
		custom = 1;
	}
	size_t sl = strcspn(s, "$:\n");
	if (sl > 16)
		sl = 16; /* as glibc and musl: a longer salt is cut */
	if (s[sl] && s[sl] != '$')
		return -EINVAL;
	const uint8_t *P = (const uint8_t *)pw, *S = (const uint8_t *)s;
	hash_init(&c, HASH_SHA512); /* B = H(P S P) */
	hash_update(&c, P, pl);
	hash_update(&c, S, sl);
	hash_update(&c, P, pl);
	hash_final(&c, b);
	hash_init(&c, HASH_SHA512); /* A = H(P S B… bits of |P|) */
	hash_update(&c, P, pl);
	hash_update(&c, S, sl);
	add_rep(&c, b, pl);
	for (size_t i = pl; i; i >>= 1)
		hash_update(&c, i & 1 ? b : P, i & 1 ? 64 : pl);
	hash_final(&c, a);
	hash_init(&c, HASH_SHA512); /* DP = H(P × |P|) */
	for (size_t i = 0; i < pl; i++)
		hash_update(&c, P, pl);
	hash_final(&c, dp);
	hash_init(&c, HASH_SHA512); /* DS = H(S × (16 + A[0])) */
	for (unsigned i = 0; i < 16u + a[0]; i++)
		hash_update(&c, S, sl);
	hash_final(&c, ds);
	for (unsigned long r = 0; r < rounds; r++) {
		hash_init(&c, HASH_SHA512);
		if (r & 1)
			add_rep(&c, dp, pl);
		else
			hash_update(&c, a, 64);
		if (r % 3)
			add_rep(&c, ds, sl);
		if (r % 7)
			add_rep(&c, dp, pl);
		if (r & 1)
			hash_update(&c, a, 64);
		else
			add_rep(&c, dp, pl);
		hash_final(&c, a);
	}
	int n = custom ? snprintf(out, outlen, "$6$rounds=%lu$%.*s$", rounds, (int)sl, s) : snprintf(out, outlen, "$6$%.*s$", (int)sl, s);
	if (n < 0 || (size_t)n + 87 > outlen)
		goto out;
	char *o = out + n;
	for (int g = 0; g < 22; g++) {
		uint32_t w = g < 21 ? (uint32_t)a[perm[g][0]] << 16 | (uint32_t)a[perm[g][1]] << 8 | a[perm[g][2]] : a[63];
		for (int k = 0; k < (g < 21 ? 4 : 2); k++, w >>= 6)
			*o++ = b64[w & 63];
	}
	*o = 0;
	ret = 0;
out:
	explicit_bzero(a, sizeof(a));
	explicit_bzero(b, sizeof(b));
	explicit_bzero(dp, sizeof(dp));
	explicit_bzero(ds, sizeof(ds));
	return ret;
}

int lockdown_check(const char *hash, const char *pw, size_t pwlen)
{
	char got[LOCKDOWN_HASH_MAX];
	size_t hl = strlen(hash);
	if (hl >= sizeof(got) || lockdown_crypt6(pw, pwlen, hash, got, sizeof(got)))
		return -EINVAL;
	if (strlen(got) != hl) /* the setting decides the length: a hash of another length is malformed */
		return -EINVAL;
	unsigned char d = 0;
	for (size_t i = 0; i < hl; i++)
		d |= (unsigned char)(got[i] ^ hash[i]);
	explicit_bzero(got, sizeof(got));
	return d == 0;
}
