/* sig.c — signature verification with mbedtls' ECDSA and RSA primitives (no PSA, no RNG). */
#include "trust/sig.h"
#include "base/buf.h"
#include "base/err.h"
#include "base/fs.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <mbedtls/asn1.h>
#include <mbedtls/bignum.h>
#include <mbedtls/ecdsa.h>
#include <mbedtls/ecp.h>
#include <mbedtls/pk.h>
#include <mbedtls/rsa.h>

struct sig_key {
	mbedtls_pk_context pk;
	enum sig_key_type type;
	size_t bits;
	mbedtls_ecp_group grp; /* EC keys: the curve and the point, ready for mbedtls_ecdsa_verify */
	mbedtls_ecp_point q;
	uint8_t id[32];
};

void sig_key_free(struct sig_key *k)
{
	if (!k)
		return;
	mbedtls_pk_free(&k->pk);
	mbedtls_ecp_group_free(&k->grp);
	mbedtls_ecp_point_free(&k->q);
	free(k);
}

static int ec_setup(struct sig_key *k, struct kerr *e)
{
	const mbedtls_ecp_keypair *kp = mbedtls_pk_ec(k->pk);
	switch (mbedtls_ecp_keypair_get_group_id(kp)) {
	case MBEDTLS_ECP_DP_SECP256R1:
		k->type = SIG_KEY_EC_P256;
		k->bits = 256;
		break;
	case MBEDTLS_ECP_DP_SECP384R1:
		k->type = SIG_KEY_EC_P384;
		k->bits = 384;
		break;
	default:
		return kerr_set(e, -EINVAL, "public key: elliptic curve unsupported (P-256 or P-384)");
	}
	mbedtls_mpi d;
	mbedtls_mpi_init(&d);
	int r = mbedtls_ecp_export(kp, &k->grp, &d, &k->q);
	mbedtls_mpi_free(&d);
	return r ? kerr_set(e, -EINVAL, "public key: EC point unusable") : 0;
}

int sig_key_parse(struct sig_key **out, const void *in, size_t len, struct kerr *e)
{
	int ret = -EINVAL;
	uint8_t *copy = NULL, der[2600];
	struct sig_key *k;

	*out = NULL;
	if (len > SIG_KEY_MAX_FILE)
		return kerr_set(e, -EFBIG, "public key: %zu bytes, more than %d", len, SIG_KEY_MAX_FILE);
	if (!(k = calloc(1, sizeof(*k))))
		return kerr_set(e, -ENOMEM, "out of memory");
	mbedtls_pk_init(&k->pk);
	mbedtls_ecp_group_init(&k->grp);
	mbedtls_ecp_point_init(&k->q);
	/* mbedtls reads PEM only from a NUL-terminated buffer whose length counts the NUL */
	int pem = len >= 11 && !memcmp(in, "-----BEGIN ", 11);
	if (pem) {
		if (memchr(in, 0, len)) {
			kerr_set(e, -EINVAL, "public key: NUL byte in PEM");
			goto out;
		}
		if (!(copy = malloc(len + 1))) {
			ret = kerr_set(e, -ENOMEM, "out of memory");
			goto out;
		}
		memcpy(copy, in, len);
		copy[len] = 0;
	}
	if (mbedtls_pk_parse_public_key(&k->pk, pem ? copy : in, pem ? len + 1 : len)) {
		kerr_set(e, -EINVAL, "public key: not a %s SubjectPublicKeyInfo", pem ? "PEM" : "DER");
		goto out;
	}
	switch (mbedtls_pk_get_type(&k->pk)) {
	case MBEDTLS_PK_ECKEY:
		if ((ret = ec_setup(k, e)))
			goto out;
		break;
	case MBEDTLS_PK_RSA:
		k->type = SIG_KEY_RSA;
		k->bits = mbedtls_pk_get_bitlen(&k->pk);
		if (k->bits < 2048 || k->bits > 8192) {
			ret = kerr_set(e, -EINVAL, "public key: RSA key of %zu bits (2048 to 8192 accepted)", k->bits);
			goto out;
		}
		break;
	default:
		ret = kerr_set(e, -EINVAL, "public key: type unsupported (EC P-256/P-384 or RSA)");
		goto out;
	}
	int n = mbedtls_pk_write_pubkey_der(&k->pk, der, sizeof(der));
	if (n <= 0 || hash_once(HASH_SHA256, der + sizeof(der) - n, (size_t)n, k->id)) {
		ret = kerr_set(e, -EINVAL, "public key: cannot encode its SubjectPublicKeyInfo");
		goto out;
	}
	*out = k;
	k = NULL;
	ret = 0;
out:
	free(copy);
	sig_key_free(k);
	return ret;
}

int sig_key_load(struct sig_key **out, int dirfd, const char *path, struct kerr *e)
{
	struct buf b = BUF_INIT(SIG_KEY_MAX_FILE);
	*out = NULL;
	int ret = fs_read_path(dirfd, path, b.max, &b, e);
	if (!ret && (ret = sig_key_parse(out, b.p, b.len, e)))
		kerr_wrap(e, ret, "%s", path);
	buf_free(&b);
	return ret;
}

const uint8_t *sig_key_id(const struct sig_key *k) { return k->id; }
enum sig_key_type sig_key_type(const struct sig_key *k) { return k->type; }
size_t sig_key_bits(const struct sig_key *k) { return k->bits; }

const char *sig_key_type_name(const struct sig_key *k)
{
	return k->type == SIG_KEY_EC_P256 ? "ecdsa-p256" : k->type == SIG_KEY_EC_P384 ? "ecdsa-p384" : "rsa";
}

enum sig_alg sig_key_default_alg(const struct sig_key *k)
{
	return k->type == SIG_KEY_RSA ? SIG_RSA_PKCS1V15 : SIG_ECDSA;
}

static const char *const alg_names[] = {"ecdsa", "rsa-pkcs1", "rsa-pss", "ecdsa-raw"};
#define NALGS (int)(sizeof(alg_names) / sizeof(alg_names[0]))

int sig_alg_from_name(const char *name)
{
	for (int i = 0; i < NALGS; i++)
		if (!strcmp(name, alg_names[i]))
			return i;
	return -1;
}

const char *sig_alg_name(enum sig_alg alg) { return (unsigned)alg < NALGS ? alg_names[alg] : "unknown"; }

static int is_ecdsa(enum sig_alg alg) { return alg == SIG_ECDSA || alg == SIG_ECDSA_RAW; }

/* One DER INTEGER at *p, the only encoding DER allows: short-form length, positive, minimal (a
 * 00 byte only before a byte >= 0x80), not zero, at most n bytes of value. */
static int der_uint(const uint8_t **p, const uint8_t *end, size_t n, mbedtls_mpi *v)
{
	const uint8_t *q = *p;
	if (end - q < 2 || q[0] != MBEDTLS_ASN1_INTEGER || q[1] >= 0x80)
		return -1;
	size_t l = q[1];
	q += 2;
	if (!l || l > (size_t)(end - q) || (q[0] & 0x80)) /* empty, past the end, negative */
		return -1;
	if (q[0] == 0) {
		if (l == 1 || !(q[1] & 0x80)) /* zero, or a 00 that is no sign byte */
			return -1;
		q++;
		l--;
	}
	if (l > n || mbedtls_mpi_read_binary(v, q, l))
		return -1;
	*p = q + l;
	return 0;
}

/* r and s: SIG_ECDSA takes DER only, and only its canonical encoding (SEQUENCE { INTEGER r,
 * INTEGER s }, nothing after; for P-256/P-384 every length fits the short form, at most 104 bytes
 * in all), so that one signature has one encoding; SIG_ECDSA_RAW takes r ‖ s, exactly twice the
 * curve's size. */
static int ecdsa_rs(const struct sig_key *k, enum sig_alg alg, const uint8_t *sig, size_t len, mbedtls_mpi *r,
	mbedtls_mpi *s, struct kerr *e)
{
	size_t n = (k->bits + 7) / 8;
	if (alg == SIG_ECDSA_RAW) {
		if (len == 2 * n && !mbedtls_mpi_read_binary(r, sig, n) && !mbedtls_mpi_read_binary(s, sig + n, n))
			return 0;
		return kerr_set(e, -EINVAL, "signature: %zu bytes, not raw r|s (%zu bytes) for %s", len, 2 * n,
			sig_key_type_name(k));
	}
	const uint8_t *p = sig, *end = sig + len;
	if (len >= 2 && p[0] == (MBEDTLS_ASN1_CONSTRUCTED | MBEDTLS_ASN1_SEQUENCE) && p[1] < 0x80 && p[1] == len - 2 &&
		(p += 2, !der_uint(&p, end, n, r)) && !der_uint(&p, end, n, s) && p == end)
		return 0;
	return kerr_set(e, -EINVAL, "signature: %zu bytes, not a DER ECDSA signature (SEQUENCE of two minimal positive "
		"INTEGERs) for %s", len, sig_key_type_name(k));
}

int sig_verify_digest(const struct sig_key *k, enum sig_alg alg, enum hash_alg h, const uint8_t *digest,
	const void *sig, size_t siglen, struct kerr *e)
{
	size_t hl = hash_size(h);
	mbedtls_md_type_t md = h == HASH_SHA256 ? MBEDTLS_MD_SHA256 : MBEDTLS_MD_SHA512;
	int ret;

	if (!k || !hl)
		return kerr_set(e, -EINVAL, "signature: no key or unsupported digest");
	if (is_ecdsa(alg)) {
		if (k->type == SIG_KEY_RSA)
			return kerr_set(e, -EINVAL, "signature: ECDSA with an RSA key");
		mbedtls_mpi r, s;
		mbedtls_mpi_init(&r);
		mbedtls_mpi_init(&s);
		ret = ecdsa_rs(k, alg, sig, siglen, &r, &s, e);
		if (!ret && mbedtls_ecdsa_verify((mbedtls_ecp_group *)&k->grp, digest, hl, &k->q, &r, &s))
			ret = kerr_set(e, -EBADMSG, "signature does not verify (%s key %02x%02x%02x%02x...)",
				sig_key_type_name(k), k->id[0], k->id[1], k->id[2], k->id[3]);
		mbedtls_mpi_free(&r);
		mbedtls_mpi_free(&s);
		return ret;
	}
	if (alg != SIG_RSA_PKCS1V15 && alg != SIG_RSA_PSS)
		return kerr_set(e, -EINVAL, "signature: unknown algorithm");
	if (k->type != SIG_KEY_RSA)
		return kerr_set(e, -EINVAL, "signature: RSA with an %s key", sig_key_type_name(k));
	mbedtls_rsa_context *rsa = mbedtls_pk_rsa(k->pk);
	if (siglen != mbedtls_rsa_get_len(rsa))
		return kerr_set(e, -EINVAL, "signature: %zu bytes, the RSA modulus has %zu", siglen, mbedtls_rsa_get_len(rsa));
	if (alg == SIG_RSA_PKCS1V15)
		ret = mbedtls_rsa_rsassa_pkcs1_v15_verify(rsa, md, (unsigned)hl, digest, sig);
	else
		ret = mbedtls_rsa_rsassa_pss_verify_ext(rsa, md, (unsigned)hl, digest, md, MBEDTLS_RSA_SALT_LEN_ANY, sig);
	if (ret)
		return kerr_set(e, -EBADMSG, "signature does not verify (%s, rsa key %02x%02x%02x%02x...)", sig_alg_name(alg),
			k->id[0], k->id[1], k->id[2], k->id[3]);
	return 0;
}

int sig_verify(const struct sig_key *k, enum sig_alg alg, enum hash_alg h, const void *data, size_t len,
	const void *sig, size_t siglen, struct kerr *e)
{
	uint8_t d[HASH_MAX_SIZE];
	int ret = hash_once(h, data, len, d);
	if (ret)
		return kerr_set(e, ret, "signature: unsupported digest");
	return sig_verify_digest(k, alg, h, d, sig, siglen, e);
}

/* ---- trusted keys -------------------------------------------------------------------------- */

int sig_keyring_add(struct sig_keyring *kr, struct sig_key *k, struct kerr *e)
{
	if (sig_keyring_find(kr, k->id)) {
		sig_key_free(k);
		return 0;
	}
	if (kr->n == SIG_KEYRING_MAX) {
		sig_key_free(k);
		return kerr_set(e, -E2BIG, "more than %d trusted keys", SIG_KEYRING_MAX);
	}
	kr->keys[kr->n++] = k;
	return 0;
}

void sig_keyring_free(struct sig_keyring *kr)
{
	if (!kr)
		return;
	for (size_t i = 0; i < kr->n; i++)
		sig_key_free(kr->keys[i]);
	kr->n = 0;
}

const struct sig_key *sig_keyring_find(const struct sig_keyring *kr, const uint8_t id[32])
{
	for (size_t i = 0; i < kr->n; i++)
		if (!memcmp(kr->keys[i]->id, id, 32))
			return kr->keys[i];
	return NULL;
}

static int is_key_name(const char *n)
{
	return n[0] != '.' && (str_ends(n, ".pem") || str_ends(n, ".der") || str_ends(n, ".pub"));
}

static int by_name(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

int sig_keyring_load_dir(struct sig_keyring *kr, int dirfd, const char *path, struct kerr *e)
{
	char *names[SIG_KEYRING_MAX];
	size_t n = 0;
	int ret = 0;
	int plain = dirfd == AT_FDCWD || path[0] == '/';
	int fd = plain ? open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC) : fs_open_beneath(dirfd, path, O_RDONLY | O_DIRECTORY, 0);
	if (fd < 0) {
		fd = plain ? -errno : fd;
		return kerr_set(e, fd, "keys directory %s: %s", path, strerror(-fd));
	}
	DIR *d = fdopendir(fd);
	if (!d) {
		close(fd);
		return kerr_set(e, -errno, "keys directory %s: %s", path, strerror(errno));
	}
	struct dirent *de;
	while ((de = readdir(d))) {
		if (!is_key_name(de->d_name))
			continue;
		if (n == SIG_KEYRING_MAX) {
			ret = kerr_set(e, -E2BIG, "keys directory %s: more than %d keys", path, SIG_KEYRING_MAX);
			goto out;
		}
		if (!(names[n] = strdup(de->d_name))) {
			ret = kerr_set(e, -ENOMEM, "out of memory");
			goto out;
		}
		n++;
	}
	qsort(names, n, sizeof(names[0]), by_name); /* a stable order for messages */
	for (size_t i = 0; i < n && !ret; i++) {
		struct sig_key *k;
		int kfd = fs_open_beneath(fd, names[i], O_RDONLY, 0);
		if (kfd < 0) {
			ret = kerr_set(e, kfd, "%s/%s: %s", path, names[i], strerror(-kfd));
			break;
		}
		struct buf b = BUF_INIT(SIG_KEY_MAX_FILE);
		ret = fs_read_fd(kfd, b.max, &b);
		close(kfd);
		if (ret)
			kerr_set(e, ret, "%s/%s: %s", path, names[i], strerror(-ret));
		else if ((ret = sig_key_parse(&k, b.p, b.len, e)))
			kerr_wrap(e, ret, "%s/%s", path, names[i]);
		else
			ret = sig_keyring_add(kr, k, e);
		buf_free(&b);
	}
	if (!ret && !kr->n)
		ret = kerr_set(e, -ENOKEY, "keys directory %s: no key files (*.pem, *.der, *.pub)", path);
out:
	for (size_t i = 0; i < n; i++)
		free(names[i]);
	closedir(d);
	return ret;
}

int sig_keyring_verify_digest(const struct sig_keyring *kr, const uint8_t *key_id, int alg, enum hash_alg h,
	const uint8_t *digest, const void *sig, size_t siglen, const struct sig_key **which, struct kerr *e)
{
	int tried = 0;
	for (size_t i = 0; i < kr->n; i++) {
		const struct sig_key *k = kr->keys[i];
		enum sig_alg a = alg < 0 ? sig_key_default_alg(k) : (enum sig_alg)alg;
		if (key_id && memcmp(k->id, key_id, 32))
			continue;
		if (is_ecdsa(a) != (k->type != SIG_KEY_RSA))
			continue;
		tried++;
		if (!sig_verify_digest(k, a, h, digest, sig, siglen, NULL)) {
			if (which)
				*which = k;
			return 0;
		}
	}
	if (!tried)
		return kerr_set(e, -ENOKEY, "no trusted key %s", key_id ? "with that id" : "of a matching type");
	return kerr_set(e, -EBADMSG, "signature does not verify with any of %d trusted key%s", tried, tried > 1 ? "s" : "");
}
