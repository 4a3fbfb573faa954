/* hash_test.c — SHA-256/512 against the FIPS 180-4 / NIST example vectors, streaming and fd. */
#include "t.h"
#include "base/buf.h"
#include "trust/hash.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const struct {
	enum hash_alg alg;
	const char *msg;
	size_t repeat; /* msg repeated this many times */
	const char *hex;
} vectors[] = {
	{HASH_SHA256, "", 1, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"},
	{HASH_SHA256, "abc", 1, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"},
	{HASH_SHA256, "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq", 1,
		"248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"},
	{HASH_SHA256, "a", 1000000, "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0"},
	{HASH_SHA512, "", 1, "cf83e1357eefb8bdf1542850d66d8007d620e4050b5715dc83f4a921d36ce9ce47d0d13c5d85f2b0ff8318d2877eec2f63b931bd47417a81a538327af927da3e"},
	{HASH_SHA512, "abc", 1, "ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a2192992a274fc1a836ba3c23a3feebbd454d4423643ce80e2a9ac94fa54ca49f"},
	{HASH_SHA512, "a", 1000000, "e718483d0ce769644e2e42c7bc15b4638e1f98b13b2044285632a803afa973ebde0ff244877ea60a4cb0432ce577c31beb009c5c2c49aa2e4eadb217ad8cc09b"},
};

T_TEST(hash_vectors)
{
	for (size_t i = 0; i < T_LEN(vectors); i++) {
		size_t mlen = strlen(vectors[i].msg), total = mlen * vectors[i].repeat;
		uint8_t *all = malloc(total + 1), got[HASH_MAX_SIZE], want[HASH_MAX_SIZE];
		char hex[2 * HASH_MAX_SIZE + 1];
		size_t hs = hash_size(vectors[i].alg);
		for (size_t r = 0; r < vectors[i].repeat; r++)
			memcpy(all + r * mlen, vectors[i].msg, mlen);
		hex_decode(want, hs, vectors[i].hex, strlen(vectors[i].hex));

		t_check(hash_once(vectors[i].alg, all, total, got) == 0 && !memcmp(got, want, hs), "one-shot %zu", i);
		hex_encode(hex, got, hs);
		t_check(!strcmp(hex, vectors[i].hex), "hex %zu: %s", i, hex);

		struct hash_ctx c; /* streamed in uneven pieces */
		t_check(hash_init(&c, vectors[i].alg) == 0, "init %zu", i);
		for (size_t off = 0, step = 1; off < total; off += step, step = step * 3 + 1)
			hash_update(&c, all + off, step > total - off ? total - off : step);
		hash_final(&c, got);
		t_check(!memcmp(got, want, hs), "streamed %zu", i);

		const char *path = t_write("hash.in", all, total);
		int fd = open(path, O_RDONLY);
		uint64_t n = 0;
		t_check(hash_fd(vectors[i].alg, fd, got, &n) == 0 && n == total && !memcmp(got, want, hs), "fd %zu", i);
		hash_fd_threads(1); /* the reader thread */
		lseek(fd, 0, SEEK_SET);
		n = 0;
		t_check(hash_fd(vectors[i].alg, fd, got, &n) == 0 && n == total && !memcmp(got, want, hs), "fd, threaded %zu", i);
		hash_fd_threads(0);
		for (int th = 0; th < 2; th++) { /* hash_async: in the caller's thread, then in a second one */
			hash_fd_threads(th);
			struct hash_async *h = hash_async_new(vectors[i].alg), *h2 = hash_async_new(vectors[i].alg);
			t_check(h && h2, "async new %zu/%d", i, th);
			if (!h || !h2) {
				hash_async_free(h);
				hash_async_free(h2);
				continue;
			}
			memset(got, 0, sizeof(got));
			for (size_t off = 0, step = 1; off < total; off += step, step = step * 3 + 1)
				hash_async_update(h, all + off, step > total - off ? total - off : step);
			hash_async_final(h, got);
			t_check(!memcmp(got, want, hs), "async %zu, %s", i, th ? "threaded" : "inline");
			hash_async_update(h2, all, total / 2); /* freed half-way: no result, nothing left behind */
			hash_async_free(h2);
		}
		hash_fd_threads(0);
		close(fd);
		free(all);
	}
}

/* hash_async past its ring (4 x 256 KiB) several times, in pieces as the zstd decoder hands them over */
T_TEST(hash_async_ring)
{
	size_t total = (3u << 20) + 12345;
	uint8_t *all = malloc(total), want[64], got[64];
	t_check(all != NULL, "malloc");
	if (!all)
		return;
	for (size_t i = 0; i < total; i++)
		all[i] = (uint8_t)(i * 2654435761u >> 13);
	hash_once(HASH_SHA512, all, total, want);
	hash_fd_threads(1);
	struct hash_async *h = hash_async_new(HASH_SHA512);
	t_check(h != NULL, "new");
	if (h) {
		for (size_t off = 0; off < total; off += 131072)
			hash_async_update(h, all + off, total - off < 131072 ? total - off : 131072);
		hash_async_final(h, got);
		t_check(!memcmp(got, want, 64), "3 MiB through the ring");
	}
	hash_fd_threads(0);
	t_check(hash_async_new(HASH_NONE) == NULL, "an unknown alg");
	free(all);
}

T_TEST(hash_names)
{
	t_check(hash_alg_from_name("sha256") == HASH_SHA256 && hash_alg_from_name("sha512") == HASH_SHA512, "names");
	t_check(hash_alg_from_name("SHA256") == HASH_NONE && hash_alg_from_name("sha1") == HASH_NONE &&
		hash_alg_from_name("") == HASH_NONE, "unknown names");
	t_check(hash_size(HASH_SHA256) == 32 && hash_size(HASH_SHA512) == 64 && hash_size(HASH_NONE) == 0, "sizes");
	struct hash_ctx c;
	t_check(hash_init(&c, HASH_NONE) < 0, "init unknown");
	t_check(hash_fd(HASH_SHA256, -1, (uint8_t[32]){0}, NULL) < 0, "hash_fd bad fd");
}

/* The SHA-NI path and mbedtls agree on random inputs of every length 0..300 and on large ones,
 * one-shot and streamed in uneven pieces. */
static void digest_both(const uint8_t *in, size_t len, size_t step, uint8_t fast[32], uint8_t slow[32])
{
	for (int pass = 0; pass < 2; pass++) {
		struct hash_ctx c;
		hash_force_portable(pass);
		hash_init(&c, HASH_SHA256);
		for (size_t off = 0; off < len; off += step)
			hash_update(&c, in + off, step > len - off ? len - off : step);
		hash_final(&c, pass ? slow : fast);
	}
	hash_force_portable(0);
}

T_TEST(hash_sha256_paths_agree)
{
	size_t big = (3 << 20) + 77;
	uint8_t *in = malloc(big), a[32], b[32];
	uint64_t x = 0x9e3779b97f4a7c15ULL;
	for (size_t i = 0; i < big; i++) {
		x ^= x << 13, x ^= x >> 7, x ^= x << 17;
		in[i] = (uint8_t)x;
	}
	int have = hash_force_portable(0);
	printf("sha256 implementation: %s (SHA-NI %s)\n", hash_sha256_impl(), have ? "present" : "absent");
	for (size_t len = 0; len <= 300; len++) {
		digest_both(in + len, len, len ? len : 1, a, b);
		t_check(!memcmp(a, b, 32), "one-shot length %zu", len);
		digest_both(in, len, 1 + len % 13, a, b);
		t_check(!memcmp(a, b, 32), "streamed length %zu", len);
	}
	size_t steps[] = {big, 1 << 20, 4096, 63, 65, 1000003};
	for (size_t i = 0; i < T_LEN(steps); i++) {
		digest_both(in, big, steps[i], a, b);
		t_check(!memcmp(a, b, 32), "large input in pieces of %zu", steps[i]);
	}
	/* the forced portable path is really mbedtls */
	hash_force_portable(1);
	t_check(!strcmp(hash_sha256_impl(), "mbedtls"), "forced portable");
	hash_force_portable(0);
	/* the vectors through both paths */
	for (int pass = 0; pass < 2; pass++) {
		hash_force_portable(pass);
		uint8_t want[32];
		hex_decode(want, 32, vectors[2].hex, 64);
		hash_once(HASH_SHA256, vectors[2].msg, strlen(vectors[2].msg), a);
		t_check(!memcmp(a, want, 32), "vector through %s", hash_sha256_impl());
	}
	hash_force_portable(0);
	free(in);
}
