/* sig_test.c — openssl-made keys and signatures verify; every forgery and misfit is refused. */
#include "t.h"
#include "base/buf.h"
#include "base/err.h"
#include "trust/sig.h"
#include "sig_vectors.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static const char msg[] = "keel signs this";

static size_t unhex(uint8_t *out, const char *hex)
{
	size_t n = strlen(hex) / 2;
	hex_decode(out, n, hex, 2 * n);
	return n;
}

static struct sig_key *key(const void *in, size_t len)
{
	struct sig_key *k = NULL;
	struct kerr e = {0};
	int ret = sig_key_parse(&k, in, len, &e);
	t_check(ret == 0 && k, "parse key: %s", e.msg);
	return k;
}

T_TEST(sig_good)
{
	uint8_t sig[600], der[600], id[32];
	struct kerr e = {0};
	size_t n;
	struct sig_key *p256 = key(p256_pub, strlen(p256_pub)), *p384 = key(p384_pub, strlen(p384_pub));
	size_t dl = unhex(der, rsa_der_hex);
	struct sig_key *rsa = key(der, dl), *rsa_pem = key(rsa_pub, strlen(rsa_pub));
	if (!p256 || !p384 || !rsa || !rsa_pem)
		return;
	t_check(sig_key_type(p256) == SIG_KEY_EC_P256 && sig_key_type(p384) == SIG_KEY_EC_P384 &&
		sig_key_type(rsa) == SIG_KEY_RSA && sig_key_bits(rsa) == 2048, "types");
	unhex(id, p256_id_hex);
	t_check(!memcmp(sig_key_id(p256), id, 32), "p256 id = sha256 of openssl's DER");
	t_check(!memcmp(sig_key_id(rsa), sig_key_id(rsa_pem), 32), "PEM and DER of one key: one id");

	n = unhex(sig, p256_sig_hex);
	t_check(sig_verify(p256, SIG_ECDSA, HASH_SHA256, msg, strlen(msg), sig, n, &e) == 0, "p256 DER: %s", e.msg);
	n = unhex(sig, p384_sig_hex);
	t_check(sig_verify(p384, SIG_ECDSA, HASH_SHA512, msg, strlen(msg), sig, n, &e) == 0, "p384 sha512: %s", e.msg);
	n = unhex(sig, rsa_sig_hex);
	t_check(sig_verify(rsa, SIG_RSA_PKCS1V15, HASH_SHA256, msg, strlen(msg), sig, n, &e) == 0, "rsa pkcs1: %s", e.msg);
	n = unhex(sig, pss_sig_hex);
	t_check(sig_verify(rsa_pem, SIG_RSA_PSS, HASH_SHA256, msg, strlen(msg), sig, n, &e) == 0, "rsa pss: %s", e.msg);
	uint8_t d[32];
	hash_once(HASH_SHA256, msg, strlen(msg), d);
	t_check(sig_verify_digest(rsa, SIG_RSA_PSS, HASH_SHA256, d, sig, n, &e) == 0, "pss over digest: %s", e.msg);

	/* the DER ECDSA signature as raw r|s */
	n = unhex(sig, p256_sig_hex);
	unsigned char *p = sig + 2, raw[64];
	if (sig[1] & 0x80)
		p++;
	for (int i = 0; i < 2; i++) {
		size_t l = p[1];
		const uint8_t *v = p + 2;
		while (l > 32) /* drop the sign byte */
			v++, l--;
		memset(raw + 32 * i, 0, 32 - l);
		memcpy(raw + 32 * i + 32 - l, v, l);
		p += 2 + p[1];
	}
	t_check(sig_verify(p256, SIG_ECDSA_RAW, HASH_SHA256, msg, strlen(msg), raw, 64, &e) == 0, "p256 raw: %s", e.msg);
	t_check(sig_verify(p256, SIG_ECDSA, HASH_SHA256, msg, strlen(msg), raw, 64, &e) == -EINVAL,
		"raw r|s is not DER: refused unless asked for");
	t_check(sig_verify(p256, SIG_ECDSA_RAW, HASH_SHA256, msg, strlen(msg), sig, n, &e) == -EINVAL, "DER is not raw");
	t_check(sig_alg_from_name("ecdsa-raw") == SIG_ECDSA_RAW && !strcmp(sig_alg_name(SIG_ECDSA_RAW), "ecdsa-raw"),
		"ecdsa-raw by name");
	raw[5] ^= 1;
	t_check(sig_verify(p256, SIG_ECDSA_RAW, HASH_SHA256, msg, strlen(msg), raw, 64, &e) == -EBADMSG, "raw forged");
	sig_key_free(p256);
	sig_key_free(p384);
	sig_key_free(rsa);
	sig_key_free(rsa_pem);
	sig_key_free(NULL);
}

T_TEST(sig_forgeries)
{
	uint8_t sig[600], good[600];
	struct kerr e = {0};
	struct sig_key *p256 = key(p256_pub, strlen(p256_pub)), *rsa = key(rsa_pub, strlen(rsa_pub));
	if (!p256 || !rsa)
		return;
	size_t n = unhex(good, p256_sig_hex);
	/* every single byte changed: never valid; a result of -EBADMSG or -EINVAL (broken DER) */
	for (size_t i = 0; i < n; i++) {
		memcpy(sig, good, n);
		sig[i] ^= 0x01;
		int ret = sig_verify(p256, SIG_ECDSA, HASH_SHA256, msg, strlen(msg), sig, n, &e);
		t_check(ret == -EBADMSG || ret == -EINVAL, "p256 byte %zu flipped: %d", i, ret);
	}
	t_check(sig_verify(p256, SIG_ECDSA, HASH_SHA256, "keel signs thiS", 15, good, n, &e) == -EBADMSG, "other message");
	t_check(sig_verify(p256, SIG_ECDSA, HASH_SHA512, msg, strlen(msg), good, n, &e) == -EBADMSG, "other hash");
	t_check(sig_verify(p256, SIG_ECDSA, HASH_SHA256, msg, strlen(msg), good, n - 1, &e) == -EINVAL, "truncated");
	memcpy(sig, good, n);
	sig[n] = 0;
	t_check(sig_verify(p256, SIG_ECDSA, HASH_SHA256, msg, strlen(msg), sig, n + 1, &e) == -EINVAL, "trailing byte");
	t_check(sig_verify(p256, SIG_ECDSA, HASH_SHA256, msg, strlen(msg), sig, 0, &e) == -EINVAL, "empty");
	t_check(sig_verify(p256, SIG_ECDSA, HASH_SHA256, msg, strlen(msg), good, 96, &e) == -EINVAL, "P-384 length");
	t_check(sig_verify(p256, SIG_RSA_PKCS1V15, HASH_SHA256, msg, strlen(msg), good, n, &e) == -EINVAL &&
		strstr(e.msg, "RSA with"), "RSA alg, EC key: %s", e.msg);
	t_check(sig_verify(p256, (enum sig_alg)7, HASH_SHA256, msg, strlen(msg), good, n, &e) == -EINVAL, "bad alg");
	t_check(sig_verify(p256, SIG_ECDSA, HASH_NONE, msg, strlen(msg), good, n, &e) < 0, "bad hash");

	n = unhex(good, rsa_sig_hex);
	for (size_t i = 0; i < n; i += 37) {
		memcpy(sig, good, n);
		sig[i] ^= 0x80;
		t_check(sig_verify(rsa, SIG_RSA_PKCS1V15, HASH_SHA256, msg, strlen(msg), sig, n, &e) == -EBADMSG, "rsa byte %zu", i);
	}
	t_check(sig_verify(rsa, SIG_RSA_PSS, HASH_SHA256, msg, strlen(msg), good, n, &e) == -EBADMSG, "pkcs1 as pss");
	t_check(sig_verify(rsa, SIG_ECDSA, HASH_SHA256, msg, strlen(msg), good, n, &e) == -EINVAL, "ECDSA with RSA key");
	t_check(sig_verify(rsa, SIG_RSA_PKCS1V15, HASH_SHA256, msg, strlen(msg), good, n - 1, &e) == -EINVAL &&
		strstr(e.msg, "modulus"), "rsa short: %s", e.msg);
	sig_key_free(p256);
	sig_key_free(rsa);
}

/* ECDSA DER is accepted only in its one canonical (DER, not BER) encoding: each entry below is the
 * good P-256 signature (r and s both with a sign byte) re-encoded, so the r and s inside are the
 * valid ones and only the encoding is forged. R and S stand for the 32 bytes of r and s. */
#define R "97da43802f792b8425b28f2a6749ea29b6d181f7bb59b076ae29d52af0fb1aa8"
#define S "b728bf0da0718302d8a7dcd649c95a75df7b60357aece92dd4b859a408fa3c4f"
T_TEST(sig_ecdsa_der_strict)
{
	static const struct { const char *what, *hex; } good[] = {
		{"openssl's, both with a sign byte", "3046" "022100" R "022100" S},
		{"openssl's, no sign byte, s of 31 bytes", NULL}, /* p256_sig_short_hex */
		/* (r, n - s) is a valid signature too; n - s has its top bit clear: no sign byte */
		{"r, n - s", "3045" "022100" R "0220" "48d740f15f8e7cfe27582329b636a589dd6b9a782c2ab5571f01711ef368e902"},
	};
	static const struct { const char *what, *hex; } forged[] = {
		{"extra 00 before r", "3047" "02220000" R "022100" S},
		{"extra 00 before s", "3047" "022100" R "02220000" S},
		{"two extra 00 before r", "3048" "0223000000" R "022100" S},
		{"r negative (sign byte dropped)", "3045" "0220" R "022100" S},
		{"s negative (sign byte dropped)", "3045" "022100" R "0220" S},
		{"SEQUENCE length in long form (0x81)", "308146" "022100" R "022100" S},
		{"SEQUENCE length in two bytes (0x82)", "30820046" "022100" R "022100" S},
		{"SEQUENCE of indefinite length", "3080" "022100" R "022100" S "0000"},
		{"r length in long form (0x81)", "3047" "02812100" R "022100" S},
		{"s length in long form (0x81)", "3047" "022100" R "02812100" S},
		{"trailing byte after the SEQUENCE", "3046" "022100" R "022100" S "00"},
		{"trailing byte inside the SEQUENCE", "3047" "022100" R "022100" S "00"},
		{"SEQUENCE length one short", "3045" "022100" R "022100" S},
		{"SEQUENCE length one long", "3047" "022100" R "022100" S},
		{"r is zero", "3026" "020100" "022100" S},
		{"s is zero", "3026" "022100" R "020100"},
		{"r is empty", "3025" "0200" "022100" S},
		{"r and s zero", "3006" "020100" "020100"},
		{"r longer than the curve", "3046" "022101" R "022100" S},
		{"only r", "3023" "022100" R},
		{"SET instead of SEQUENCE", "3146" "022100" R "022100" S},
		{"BIT STRING instead of INTEGER", "3046" "032100" R "022100" S},
		{"raw r|s", R S},
	};
	uint8_t sig[200], d[32];
	struct kerr e = {0};
	struct sig_key *p256 = key(p256_pub, strlen(p256_pub));
	if (!p256)
		return;
	hash_once(HASH_SHA256, msg, strlen(msg), d);
	for (size_t i = 0; i < T_LEN(good); i++) {
		size_t n = unhex(sig, good[i].hex ? good[i].hex : p256_sig_short_hex);
		int ret = sig_verify_digest(p256, SIG_ECDSA, HASH_SHA256, d, sig, n, &e);
		t_check(ret == 0, "good DER %zu (%s) verifies: %d %s", i, good[i].what, ret, e.msg);
	}
	for (size_t i = 0; i < T_LEN(forged); i++) {
		size_t n = unhex(sig, forged[i].hex);
		struct kerr fe = {0};
		int ret = sig_verify_digest(p256, SIG_ECDSA, HASH_SHA256, d, sig, n, &fe);
		t_check(ret == -EINVAL && strstr(fe.msg, "DER"), "forged encoding %zu (%s) refused as malformed: %d %s", i,
			forged[i].what, ret, fe.msg);
	}
	/* raw: exactly 2 x 32 bytes, only when asked for */
	size_t n = unhex(sig, "00" R S);
	t_check(sig_verify_digest(p256, SIG_ECDSA_RAW, HASH_SHA256, d, sig, n, &e) == -EINVAL, "raw of 65 bytes refused");
	n = unhex(sig, R S);
	t_check(sig_verify_digest(p256, SIG_ECDSA_RAW, HASH_SHA256, d, sig, n, &e) == 0, "raw: %s", e.msg);
	sig_key_free(p256);
}
#undef R
#undef S

T_TEST(sig_bad_keys)
{
	static const struct { const char *what; const char *pem; } bad[] = {
		{"P-521", p521_pub},
		{"RSA 1024", rsa1k_pub},
		{"private key", p256_priv},
		{"garbage PEM", "-----BEGIN PUBLIC KEY-----\nnot base64 at all\n-----END PUBLIC KEY-----\n"},
		{"empty", ""},
		{"plain text", "hello"},
	};
	for (size_t i = 0; i < T_LEN(bad); i++) {
		struct sig_key *k = (struct sig_key *)1;
		struct kerr e = {0};
		t_check(sig_key_parse(&k, bad[i].pem, strlen(bad[i].pem), &e) == -EINVAL && !k && e.msg[0],
			"%s refused (%s)", bad[i].what, e.msg);
	}
	uint8_t der[600];
	size_t n = unhex(der, rsa_der_hex);
	struct sig_key *k;
	for (size_t cut = 0; cut < n; cut += 13)
		t_check(sig_key_parse(&k, der, cut, NULL) < 0, "DER cut at %zu", cut);
	char nul[sizeof(p256_pub)];
	memcpy(nul, p256_pub, sizeof(nul));
	nul[40] = 0;
	t_check(sig_key_parse(&k, nul, sizeof(nul), NULL) == -EINVAL, "NUL in PEM");
	char *big = calloc(1, SIG_KEY_MAX_FILE + 1);
	t_check(sig_key_parse(&k, big, SIG_KEY_MAX_FILE + 1, NULL) == -EFBIG, "oversize key");
	free(big);
}

T_TEST(sig_keyring)
{
	struct sig_keyring kr = {.n = 0};
	struct kerr e = {0};
	char dir[600], path[700];
	uint8_t sig[600], d[32];
	snprintf(dir, sizeof(dir), "%s/keys", t_tmpdir());
	mkdir(dir, 0755);
	t_check(sig_keyring_load_dir(&kr, AT_FDCWD, dir, &e) == -ENOKEY, "empty directory refused");
	t_check(sig_keyring_load_dir(&kr, AT_FDCWD, "/nonexistent/keys", &e) == -ENOENT, "missing directory");
	t_write("keys/README", "keys", 4);
	t_write("keys/a.pem", p256_pub, strlen(p256_pub));
	t_write("keys/b.pub", rsa_pub, strlen(rsa_pub));
	t_write("keys/c.pem", p256_pub, strlen(p256_pub)); /* the same key twice counts once */
	t_check(sig_keyring_load_dir(&kr, AT_FDCWD, dir, &e) == 0 && kr.n == 2, "loaded %zu: %s", kr.n, e.msg);
	hash_once(HASH_SHA256, msg, strlen(msg), d);
	size_t n = unhex(sig, p256_sig_hex);
	const struct sig_key *which = NULL;
	t_check(sig_keyring_verify_digest(&kr, NULL, -1, HASH_SHA256, d, sig, n, &which, &e) == 0 && which &&
		sig_key_type(which) == SIG_KEY_EC_P256, "found the EC key");
	uint8_t id[32];
	unhex(id, p256_id_hex);
	t_check(sig_keyring_find(&kr, id) == which, "find by id");
	t_check(sig_keyring_verify_digest(&kr, id, SIG_ECDSA, HASH_SHA256, d, sig, n, NULL, &e) == 0, "by id");
	id[0] ^= 1;
	t_check(sig_keyring_verify_digest(&kr, id, SIG_ECDSA, HASH_SHA256, d, sig, n, NULL, &e) == -ENOKEY, "unknown id");
	n = unhex(sig, rsa_sig_hex);
	t_check(sig_keyring_verify_digest(&kr, NULL, -1, HASH_SHA256, d, sig, n, &which, &e) == 0 &&
		sig_key_type(which) == SIG_KEY_RSA, "found the RSA key");
	sig[9] ^= 1;
	t_check(sig_keyring_verify_digest(&kr, NULL, -1, HASH_SHA256, d, sig, n, NULL, &e) == -EBADMSG, "forged: %s", e.msg);
	sig_keyring_free(&kr);
	/* one bad key file spoils the directory: fail closed */
	t_write("keys/z.der", "junk", 4);
	t_check(sig_keyring_load_dir(&kr, AT_FDCWD, dir, &e) == -EINVAL && strstr(e.msg, "z.der"), "bad file: %s", e.msg);
	sig_keyring_free(&kr);
	snprintf(path, sizeof(path), "%s/keys/a.pem", t_tmpdir());
	struct sig_key *k;
	t_check(sig_key_load(&k, AT_FDCWD, path, &e) == 0, "load: %s", e.msg);
	sig_key_free(k);
	t_check(sig_key_load(&k, AT_FDCWD, "/nonexistent.pem", &e) < 0 && strstr(e.msg, "nonexistent"), "missing: %s", e.msg);
	sig_keyring_free(NULL);
}
