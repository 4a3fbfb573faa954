/* hash_test.c — SHA-256/512 against the FIPS 180-4 / NIST example vectors, streaming and fd. */
#include "t.h"
#include "buf.h"
#include "hash.h"

#include <fcntl.h>
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
		close(fd);
		free(all);
	}
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
