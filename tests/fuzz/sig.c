/* sig.c — fuzz public-key parsing (PEM and DER) and signature decoding/verification.
 * The first byte picks: 0 parse the rest as a key and use it; 1 the rest is an ECDSA signature
 * for a fixed P-256 key (strict DER, then raw r|s); 2 the rest is an RSA signature (PKCS#1 v1.5
 * and PSS). */
#include "base/err.h"
#include "trust/hash.h"
#include "trust/sig.h"
#include "../unit/sig_vectors.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static struct sig_key *fixed(const char *pem)
{
	struct sig_key *k = NULL;
	if (sig_key_parse(&k, pem, strlen(pem), NULL))
		abort();
	return k;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct sig_key *p256, *rsa;
	/* as long as the longest digest: sig_verify_digest() reads hash_size(h) bytes (64 for the
	 * PSS/SHA-512 case below; a 32-byte array here was the harness's own overflow, found by
	 * fuzzing: corpus/sig/regress-pss-sha512-digest) */
	static const uint8_t digest[HASH_MAX_SIZE] = {1, 2, 3};
	struct kerr e = {0};
	if (!p256) {
		p256 = fixed(p256_pub);
		rsa = fixed(rsa_pub);
	}
	if (!size)
		return 0;
	const uint8_t *in = data + 1;
	size_t len = size - 1;
	switch (data[0] % 3) {
	case 0: {
		struct sig_key *k = NULL;
		if (sig_key_parse(&k, in, len, &e))
			return 0;
		if (sig_key_bits(k) < 256 || !sig_key_id(k))
			abort();
		uint8_t sig[96] = {0};
		int r = sig_verify_digest(k, sig_key_default_alg(k), HASH_SHA256, digest, sig, sizeof(sig), &e);
		if (!r)
			abort(); /* zeros never verify */
		sig_key_free(k);
		break;
	}
	case 1:
		if (!sig_verify_digest(p256, SIG_ECDSA, HASH_SHA256, digest, in, len, &e) ||
			!sig_verify_digest(p256, SIG_ECDSA_RAW, HASH_SHA256, digest, in, len, &e))
			abort(); /* a signature over this digest cannot be found by fuzzing */
		break;
	default:
		if (!sig_verify_digest(rsa, SIG_RSA_PKCS1V15, HASH_SHA256, digest, in, len, &e) ||
			!sig_verify_digest(rsa, SIG_RSA_PSS, HASH_SHA512, digest, in, len, &e))
			abort();
	}
	return 0;
}
