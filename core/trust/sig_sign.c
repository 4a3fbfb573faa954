/* sig_sign.c — private keys and signatures for publishers: ECDSA P-256 (deterministic, RFC 6979)
 * and RSA-PSS over SHA-256, with mbedtls' primitives; randomness from getrandom(2). */
#include "trust/sig.h"
#include "base/buf.h"
#include "base/err.h"
#include "base/fs.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include <mbedtls/ecdsa.h>
#include <mbedtls/pk.h>
#include <mbedtls/rsa.h>

struct sig_priv {
	mbedtls_pk_context pk;
	enum sig_key_type type;
};

static int rng(void *ctx, unsigned char *out, size_t n)
{
	(void)ctx;
	while (n) {
		ssize_t r = getrandom(out, n, 0);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		out += r;
		n -= (size_t)r;
	}
	return 0;
}

void sig_priv_free(struct sig_priv *k)
{
	if (!k)
		return;
	mbedtls_pk_free(&k->pk);
	secure_wipe(k, sizeof(*k));
	free(k);
}

int sig_priv_parse(struct sig_priv **out, const void *in, size_t len, struct kerr *e)
{
	int ret = -EINVAL;
	uint8_t *copy = NULL;
	struct sig_priv *k = calloc(1, sizeof(*k));

	*out = NULL;
	if (!k || !(copy = malloc(len + 1))) {
		ret = kerr_set(e, -ENOMEM, "out of memory");
		goto out;
	}
	mbedtls_pk_init(&k->pk);
	memcpy(copy, in, len);
	copy[len] = 0; /* PEM: mbedtls wants the NUL counted */
	int pem = len >= 11 && !memcmp(in, "-----BEGIN ", 11);
	if (mbedtls_pk_parse_key(&k->pk, copy, pem ? len + 1 : len, NULL, 0, rng, NULL)) {
		kerr_set(e, ret, "private key: not an unencrypted PEM or DER private key");
		goto out;
	}
	if (mbedtls_pk_get_type(&k->pk) == MBEDTLS_PK_ECKEY &&
		mbedtls_ecp_keypair_get_group_id(mbedtls_pk_ec(k->pk)) == MBEDTLS_ECP_DP_SECP256R1) {
		k->type = SIG_KEY_EC_P256;
	} else if (mbedtls_pk_get_type(&k->pk) == MBEDTLS_PK_RSA && mbedtls_pk_get_bitlen(&k->pk) >= 2048 &&
		mbedtls_pk_get_bitlen(&k->pk) <= 8192) {
		k->type = SIG_KEY_RSA;
	} else {
		kerr_set(e, ret, "private key: neither EC P-256 nor RSA of 2048 to 8192 bits");
		goto out;
	}
	/* a damaged key parses: RSA with n not p·q (it then fails only when it signs; found by
	 * tests/fuzz/sig_priv.c), EC with a public point that is not d·G (it would sign, and the key id
	 * published for its public half would not verify what it signed); refuse both here */
	if (k->type == SIG_KEY_RSA ? mbedtls_rsa_check_privkey(mbedtls_pk_rsa(k->pk)) :
				     mbedtls_ecp_check_pub_priv(mbedtls_pk_ec(k->pk), mbedtls_pk_ec(k->pk), rng, NULL)) {
		kerr_set(e, ret, "private key: its parts do not belong together (a damaged key)");
		goto out;
	}
	*out = k;
	k = NULL;
	ret = 0;
out:
	if (copy)
		secure_wipe(copy, len);
	free(copy);
	sig_priv_free(k);
	return ret;
}

int sig_priv_load(struct sig_priv **out, int dirfd, const char *path, struct kerr *e)
{
	struct buf b = BUF_INIT(SIG_KEY_MAX_FILE);
	*out = NULL;
	int ret = fs_read_path(dirfd, path, b.max, &b, e);
	if (!ret && (ret = sig_priv_parse(out, b.p, b.len, e)))
		kerr_wrap(e, ret, "%s", path);
	buf_free_secret(&b);
	return ret;
}

enum sig_key_type sig_priv_type(const struct sig_priv *k) { return k->type; }

int sig_priv_public_pem(const struct sig_priv *k, struct buf *out, struct kerr *e)
{
	uint8_t der[2600];
	int n = mbedtls_pk_write_pubkey_der((mbedtls_pk_context *)&k->pk, der, sizeof(der)), ret;

	if (n <= 0)
		return kerr_set(e, -EINVAL, "private key: cannot encode its public key");
	const uint8_t *p = der + sizeof(der) - n;
	ret = buf_puts(out, "-----BEGIN PUBLIC KEY-----\n");
	for (int i = 0; !ret && i < n; i += 48) { /* 64 columns */
		char q[66];
		size_t l = b64_encode(q, p + i, n - i < 48 ? (size_t)(n - i) : 48);
		q[l] = '\n';
		ret = buf_put(out, q, l + 1);
	}
	if (!ret)
		ret = buf_puts(out, "-----END PUBLIC KEY-----\n");
	return ret ? kerr_set(e, ret, "public key: %s", kerr_strerror(ret)) : 0;
}

int sig_sign(const struct sig_priv *k, enum sig_alg alg, const void *data, size_t len, struct buf *out,
	struct kerr *e)
{
	uint8_t d[32], sig[1024];
	size_t slen = 0;
	int r;
	mbedtls_pk_context *pk = (mbedtls_pk_context *)&k->pk;

	if (hash_once(HASH_SHA256, data, len, d))
		return kerr_set(e, -EINVAL, "sign: hash");
	if (alg == SIG_ECDSA && k->type == SIG_KEY_EC_P256) {
		r = mbedtls_ecdsa_write_signature(mbedtls_pk_ec(*pk), MBEDTLS_MD_SHA256, d, sizeof(d), sig, sizeof(sig),
			&slen, rng, NULL);
	} else if (alg == SIG_RSA_PSS && k->type == SIG_KEY_RSA) {
		mbedtls_rsa_context *rsa = mbedtls_pk_rsa(*pk);
		slen = mbedtls_rsa_get_len(rsa);
		r = slen > sizeof(sig) || mbedtls_rsa_set_padding(rsa, MBEDTLS_RSA_PKCS_V21, MBEDTLS_MD_SHA256) ||
			mbedtls_rsa_rsassa_pss_sign_ext(rsa, rng, NULL, MBEDTLS_MD_SHA256, sizeof(d), d, sizeof(d), sig);
	} else {
		return kerr_set(e, -EINVAL, "sign: %s with a key of another type", sig_alg_name(alg));
	}
	if (r)
		return kerr_set(e, -EINVAL, "sign: %s failed", sig_alg_name(alg));
	r = buf_put(out, sig, slen);
	return r ? kerr_set(e, r, "sign: %s", kerr_strerror(r)) : 0;
}
