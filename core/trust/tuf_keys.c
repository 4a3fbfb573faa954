/* tuf_keys.c — TUF key objects bound to their declared scheme, and threshold checks that count
 * distinct public keys. */
#include "trust/tuf.h"
#include "base/buf.h"
#include "base/err.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* SubjectPublicKeyInfo of an uncompressed P-256 point: this prefix, then 04 || X || Y. */
static const uint8_t p256_spki[] = {0x30, 0x59, 0x30, 0x13, 0x06, 0x07, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01,
	0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07, 0x03, 0x42, 0x00};

static const char *str_of(const struct json *o, const char *key)
{
	const struct json *v = json_get(o, key);
	return v && v->type == JSON_STRING ? v->u.str.s : NULL;
}

int tuf_key_parse(const struct json *v, struct sig_key **out, enum sig_alg *alg, struct kerr *e)
{
	const char *type = str_of(v, "keytype"), *scheme = str_of(v, "scheme");
	const struct json *val = json_get(v, "keyval");
	const struct json *pub = json_get(val, "public");
	enum sig_key_type want;

	*out = NULL;
	if (!type || !scheme || !pub || pub->type != JSON_STRING)
		return kerr_set(e, -EINVAL, "not a key (keytype, scheme, keyval.public)");
	if (!strcmp(scheme, "ecdsa-sha2-nistp256") && (!strcmp(type, "ecdsa") || !strcmp(type, scheme))) {
		want = SIG_KEY_EC_P256;
		*alg = SIG_ECDSA;
	} else if (!strcmp(scheme, "rsassa-pss-sha256") && !strcmp(type, "rsa")) {
		want = SIG_KEY_RSA;
		*alg = SIG_RSA_PSS;
	} else {
		return 0; /* ed25519, other schemes, mismatched pairs: never counted */
	}
	const char *s = pub->u.str.s;
	size_t n = pub->u.str.len;
	uint8_t der[sizeof(p256_spki) + 65 + 512];
	if (want == SIG_KEY_EC_P256 && n && n % 2 == 0 && n / 2 <= sizeof(der) - sizeof(p256_spki) &&
		!hex_decode(der + sizeof(p256_spki), n / 2, s, n)) {
		/* hex: a bare uncompressed point, else a DER SPKI */
		size_t l = n / 2;
		const uint8_t *p = der + sizeof(p256_spki);
		if (l == 65 && p[0] == 4) {
			memcpy(der, p256_spki, sizeof(p256_spki));
			p = der;
			l += sizeof(p256_spki);
		}
		sig_key_parse(out, p, l, NULL);
	} else if (n > 11 && !memcmp(s, "-----BEGIN ", 11)) {
		sig_key_parse(out, s, n, NULL);
	}
	if (*out && sig_key_type(*out) != want) {
		sig_key_free(*out);
		*out = NULL;
	}
	return 0;
}

void tuf_root_free(struct tuf_root *r)
{
	if (!r)
		return;
	for (size_t i = 0; i < r->nkeys; i++) {
		free(r->keys[i].id);
		sig_key_free(r->keys[i].k);
	}
	free(r);
}

int tuf_verify(const struct tuf_root *r, enum tuf_role role, const struct tuf_meta *m, struct kerr *e)
{
	const struct tuf_rolekeys *rk = &r->roles[role];
	const uint8_t *seen[TUF_MAX_ROLE_KEYS];
	size_t nseen = 0, unusable = 0;
	uint8_t d[32];
	uint8_t sig[1024];
	const struct json *l = m->sig_list;

	if (hash_once(HASH_SHA256, m->canon.p, m->canon.len, d))
		return kerr_set(e, -EINVAL, "hash");
	for (size_t i = 0; i < l->u.arr.n; i++) {
		const struct json *s = l->u.arr.v[i];
		const char *id = str_of(s, "keyid"), *hex = str_of(s, "sig");
		const struct tuf_key *k = NULL;
		for (size_t j = 0; j < rk->n && !k; j++)
			if (!strcmp(r->keys[rk->idx[j]].id, id))
				k = &r->keys[rk->idx[j]];
		if (!k)
			continue; /* not a key of this role */
		if (!k->k) {
			unusable++;
			continue;
		}
		size_t n = strlen(hex) / 2;
		if (n > sizeof(sig) || hex_decode(sig, n, hex, strlen(hex)) ||
			sig_verify_digest(k->k, k->alg, HASH_SHA256, d, sig, n, NULL))
			continue;
		const uint8_t *kid = sig_key_id(k->k);
		size_t j = 0;
		while (j < nseen && memcmp(seen[j], kid, 32))
			j++;
		if (j == nseen)
			seen[nseen++] = kid; /* the same public key under another key id counts once */
	}
	if (nseen >= rk->threshold)
		return 0;
	return kerr_set(e, -EBADMSG, "%s: signed by %zu distinct key%s of %s, threshold %llu%s", tuf_role_names[m->role],
		nseen, nseen == 1 ? "" : "s", tuf_role_names[role], (unsigned long long)rk->threshold,
		unusable ? " (some signatures by keys of an unusable type or scheme)" : "");
}
