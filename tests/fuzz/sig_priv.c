/* sig_priv.c — fuzz private-key parsing (core/trust/sig_sign.c: PEM or DER; PKCS#8, SEC1, PKCS#1),
 * the publisher's input to `keel update publish` and `keel verify sign`.
 * Invariant: a key that parses signs, and its public half (as PEM) parses and verifies that
 * signature; a flipped signature byte never verifies. */
#include "base/buf.h"
#include "base/err.h"
#include "trust/sig.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

static void check(int cond, const char *what)
{
	if (!cond) {
		fprintf(stderr, "sig_priv fuzz: %s\n", what);
		abort();
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sig_priv *k = NULL;
	struct sig_key *pub = NULL;
	struct buf pem = BUF_INIT(1 << 16), sig = BUF_INIT(2048);
	struct kerr e = {0};
	static const char msg[] = "keel";

	if (sig_priv_parse(&k, data, size, &e))
		return 0;
	enum sig_alg alg = sig_priv_type(k) == SIG_KEY_RSA ? SIG_RSA_PSS : SIG_ECDSA;
	check(!sig_priv_public_pem(k, &pem, &e), "a parsed key has no public PEM");
	check(!sig_key_parse(&pub, pem.p, pem.len, &e), "the public PEM does not parse");
	check(!sig_sign(k, alg, msg, 4, &sig, &e), "a parsed key does not sign");
	check(!sig_verify(pub, alg, HASH_SHA256, msg, 4, sig.p, sig.len, &e), "its signature does not verify");
	sig.p[sig.len / 2] ^= 1;
	check(sig_verify(pub, alg, HASH_SHA256, msg, 4, sig.p, sig.len, &e) != 0, "a flipped signature verifies");
	sig_key_free(pub);
	sig_priv_free(k);
	buf_free(&pem);
	buf_free(&sig);
	return 0;
}
