/* tuf_meta.c — one TUF metadata document: envelope, common fields, the role's own fields, file
 * descriptions with lengths and hashes, and the times TUF writes. Nothing is trusted here: the
 * caller checks signatures (tuf_verify) and versions. */
#include "trust/tuf.h"
#include "base/buf.h"
#include "base/err.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *const tuf_role_names[TUF_NROLES] = {"root", "timestamp", "snapshot", "targets"};

static int bad(struct kerr *e, const char *field, const char *why)
{
	return kerr_set(e, -EINVAL, "%s: %s", field, why);
}

static int get_uint(const struct json *o, const char *key, uint64_t min, uint64_t *out, struct kerr *e)
{
	const struct json *v = json_get(o, key);
	if (!v || v->type != JSON_NUMBER || !v->u.num.is_int || v->u.num.i < (int64_t)min)
		return bad(e, key, v ? "not an integer in range" : "missing");
	*out = (uint64_t)v->u.num.i;
	return 0;
}

static const struct json *get_obj(const struct json *o, const char *key, struct kerr *e)
{
	const struct json *v = json_get(o, key);
	if (!v || v->type != JSON_OBJECT)
		bad(e, key, v ? "not an object" : "missing");
	return v && v->type == JSON_OBJECT ? v : NULL;
}

/* days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's days_from_civil) */
static int64_t days_from_civil(int64_t y, unsigned m, unsigned d)
{
	y -= m <= 2;
	int64_t era = (y >= 0 ? y : y - 399) / 400;
	unsigned yoe = (unsigned)(y - era * 400);
	unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + (int64_t)doe - 719468;
}

int tuf_time_parse(const char *s, int64_t *out)
{
	static const char shape[] = "dddd-dd-ddTdd:dd:ddZ";
	unsigned f[6] = {0}, k = 0;
	static const unsigned mdays[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};

	if (strlen(s) != sizeof(shape) - 1)
		return -EINVAL;
	for (size_t i = 0; shape[i]; i++) {
		if (shape[i] != 'd') {
			if (s[i] != shape[i])
				return -EINVAL;
			k++;
			continue;
		}
		if (s[i] < '0' || s[i] > '9')
			return -EINVAL;
		f[k] = f[k] * 10 + (unsigned)(s[i] - '0');
	}
	unsigned y = f[0], mo = f[1], d = f[2];
	int leap = (y % 4 == 0 && y % 100) || y % 400 == 0;
	if (mo < 1 || mo > 12 || d < 1 || d > mdays[mo - 1] || (mo == 2 && d == 29 && !leap) || f[3] > 23 ||
		f[4] > 59 || f[5] > 59)
		return -EINVAL;
	*out = days_from_civil(y, mo, d) * 86400 + f[3] * 3600 + f[4] * 60 + f[5];
	return 0;
}

void tuf_time_format(int64_t t, char out[21])
{
	/* Hinnant's civil_from_days; no libc time zone code for a UTC date */
	if (t < 0 || t > 253402300799) /* 9999-12-31T23:59:59Z */
		t = t < 0 ? 0 : 253402300799;
	int64_t z = t / 86400 + 719468, era = z / 146097;
	unsigned doe = (unsigned)(z - era * 146097), sec = (unsigned)(t % 86400);
	unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100), mp = (5 * doy + 2) / 153;
	unsigned d = doy - (153 * mp + 2) / 5 + 1, m = mp < 10 ? mp + 3 : mp - 9;
	snprintf(out, 21, "%04u-%02u-%02uT%02u:%02u:%02uZ", (unsigned)(yoe + era * 400 + (m <= 2)) % 10000u, m % 100u,
		d % 100u, sec / 3600 % 100u, sec / 60 % 60u, sec % 60u);
}

int tuf_file_parse(const struct json *v, int metafile, struct tuf_file *f, struct kerr *e)
{
	const struct json *h = json_get(v, "hashes");
	int ret;

	memset(f, 0, sizeof(*f));
	if (!v || v->type != JSON_OBJECT)
		return bad(e, "fileinfo", "not an object");
	if (metafile && (ret = get_uint(v, "version", 1, &f->version, e)))
		return ret;
	if ((!metafile || json_get(v, "length")) && (ret = get_uint(v, "length", metafile, &f->length, e)))
		return ret;
	if ((f->custom = json_get(v, "custom")) && f->custom->type != JSON_OBJECT)
		return bad(e, "custom", "not an object");
	if (!h && metafile)
		return 0;
	if (!(h = get_obj(v, "hashes", e)))
		return -EINVAL;
	for (size_t i = 0; i < h->u.obj.n; i++) {
		const struct json_member *m = &h->u.obj.m[i];
		size_t n = m->val->u.str.len;
		if (m->val->type != JSON_STRING || !n || n > 128 || strspn(m->val->u.str.s, "0123456789abcdefABCDEF") != n)
			return bad(e, "hashes", "not a hex string of at most 128 digits");
		if (!i)
			f->first = m->val->u.str.s;
		int alg = !strcmp(m->key, "sha256") ? TUF_HAS_SHA256 : !strcmp(m->key, "sha512") ? TUF_HAS_SHA512 : 0;
		uint8_t *d = alg == TUF_HAS_SHA256 ? f->sha256 : f->sha512;
		if (alg && hex_decode(d, alg == TUF_HAS_SHA256 ? 32 : 64, m->val->u.str.s, m->val->u.str.len))
			return bad(e, m->key, "not a hex digest of its length");
		f->hashes |= (unsigned)alg;
	}
	return f->hashes ? 0 : bad(e, "hashes", "no sha256 or sha512");
}

int tuf_file_check(const struct tuf_file *f, const void *data, size_t len, const char *what, struct kerr *e)
{
	uint8_t d[64];
	if (f->length && len != f->length)
		return kerr_set(e, -EBADMSG, "%s: %zu bytes, %llu expected", what, len, (unsigned long long)f->length);
	for (int alg = TUF_HAS_SHA256; alg <= TUF_HAS_SHA512; alg <<= 1) {
		if (!(f->hashes & alg))
			continue;
		enum hash_alg h = alg == TUF_HAS_SHA256 ? HASH_SHA256 : HASH_SHA512;
		hash_once(h, data, len, d);
		if (memcmp(d, alg == TUF_HAS_SHA256 ? f->sha256 : f->sha512, hash_size(h)))
			return kerr_set(e, -EBADMSG, "%s: %s mismatch", what, hash_name(h));
	}
	return 0;
}

static int parse_root(struct tuf_meta *m, const struct json *s, struct kerr *e)
{
	const struct json *keys = get_obj(s, "keys", e), *roles = get_obj(s, "roles", e);
	const struct json *cs = json_get(s, "consistent_snapshot");
	struct tuf_root *r;

	if (!keys || !roles)
		return -EINVAL;
	if (cs && cs->type != JSON_BOOL)
		return bad(e, "consistent_snapshot", "not a boolean");
	if (keys->u.obj.n > TUF_MAX_KEYS)
		return bad(e, "keys", "too many");
	if (!(r = m->root = calloc(1, sizeof(*r))))
		return kerr_set(e, -ENOMEM, "out of memory");
	r->consistent = cs && cs->u.b;
	for (size_t i = 0; i < keys->u.obj.n; i++) {
		struct tuf_key *k = &r->keys[i];
		if (!(k->id = strdup(keys->u.obj.m[i].key)))
			return kerr_set(e, -ENOMEM, "out of memory");
		r->nkeys++;
		if (tuf_key_parse(keys->u.obj.m[i].val, &k->k, &k->alg, e))
			return kerr_wrap(e, -EINVAL, "keys.%.80s", k->id);
	}
	if (roles->u.obj.n != TUF_NROLES)
		return bad(e, "roles", "not exactly root, timestamp, snapshot, targets");
	for (int i = 0; i < TUF_NROLES; i++) {
		const struct json *ro = get_obj(roles, tuf_role_names[i], e), *ids = json_get(ro, "keyids");
		struct tuf_rolekeys *rk = &r->roles[i];
		if (!ro || get_uint(ro, "threshold", 1, &rk->threshold, e))
			return kerr_wrap(e, -EINVAL, "roles.%s", tuf_role_names[i]);
		if (!ids || ids->type != JSON_ARRAY || ids->u.arr.n > TUF_MAX_ROLE_KEYS)
			return bad(e, tuf_role_names[i], "keyids: not an array of at most 32");
		for (size_t j = 0; j < ids->u.arr.n; j++) {
			const struct json *id = ids->u.arr.v[j];
			size_t x = 0;
			if (id->type != JSON_STRING)
				return kerr_set(e, -EINVAL, "roles.%s.keyids[%zu]: not a string", tuf_role_names[i], j);
			while (x < r->nkeys && strcmp(r->keys[x].id, id->u.str.s))
				x++;
			if (x == r->nkeys)
				return kerr_set(e, -EINVAL, "roles.%s.keyids[%zu]: no such key in keys (a missing signing key)",
					tuf_role_names[i], j);
			for (size_t y = 0; y < rk->n; y++)
				if (rk->idx[y] == x)
					return kerr_set(e, -EINVAL, "roles.%s.keyids[%zu]: listed twice", tuf_role_names[i], j);
			rk->idx[rk->n++] = (unsigned)x;
		}
	}
	return 0;
}

static int parse_role(struct tuf_meta *m, const struct json *s, struct kerr *e)
{
	const struct json *meta;
	int ret;

	switch (m->role) {
	case TUF_ROOT:
		return parse_root(m, s, e);
	case TUF_TIMESTAMP:
		if (!(meta = get_obj(s, "meta", e)))
			return -EINVAL;
		if (meta->u.obj.n != 1 || strcmp(meta->u.obj.m[0].key, "snapshot.json"))
			return bad(e, "meta", "not exactly snapshot.json");
		ret = tuf_file_parse(meta->u.obj.m[0].val, 1, &m->file, e);
		return ret ? kerr_wrap(e, ret, "meta.snapshot.json") : 0;
	case TUF_SNAPSHOT:
		if (!(m->meta = get_obj(s, "meta", e)))
			return -EINVAL;
		for (size_t i = 0; i < m->meta->u.obj.n; i++) {
			struct tuf_file f;
			if ((ret = tuf_file_parse(m->meta->u.obj.m[i].val, 1, &f, e)))
				return kerr_wrap(e, ret, "meta.%.200s", m->meta->u.obj.m[i].key);
		}
		if (!json_get(m->meta, "targets.json"))
			return bad(e, "meta", "no targets.json");
		return tuf_file_parse(json_get(m->meta, "targets.json"), 1, &m->file, e);
	default:
		if (json_get(s, "delegations"))
			return bad(e, "delegations", "delegated targets are not supported (refused)");
		if (!(m->targets = get_obj(s, "targets", e)))
			return -EINVAL;
		for (size_t i = 0; i < m->targets->u.obj.n; i++) {
			struct tuf_file f;
			const struct json_member *t = &m->targets->u.obj.m[i];
			if (!tuf_name_ok(t->key))
				return kerr_set(e, -EINVAL, "targets: name refused: %.200s", t->key);
			if ((ret = tuf_file_parse(t->val, 0, &f, e)))
				return kerr_wrap(e, ret, "targets.%.200s", t->key);
		}
		return 0;
	}
}

static int parse(struct tuf_meta *m, struct kerr *e)
{
	const struct json_limits lim = {.max_bytes = m->raw.len + 1, .max_depth = 32, .max_values = 1000000,
		.max_string = 1 << 20};
	const struct json *doc, *s, *v;
	int ret;

	if ((ret = json_parse(&m->doc, m->raw.p, m->raw.len, &lim, e)))
		return ret;
	doc = m->doc.root;
	if (!(s = get_obj(doc, "signed", e)))
		return -EINVAL;
	m->sig_list = v = json_get(doc, "signatures");
	if (!v || v->type != JSON_ARRAY || v->u.arr.n > TUF_MAX_SIGS)
		return bad(e, "signatures", "not an array of at most 64");
	for (size_t i = 0; i < v->u.arr.n; i++) {
		const struct json *id = json_get(v->u.arr.v[i], "keyid"), *sig = json_get(v->u.arr.v[i], "sig");
		if (!id || id->type != JSON_STRING || !sig || sig->type != JSON_STRING)
			return kerr_set(e, -EINVAL, "signatures[%zu]: keyid and sig must be strings", i);
		for (size_t j = 0; j < i; j++)
			if (!strcmp(json_get(v->u.arr.v[j], "keyid")->u.str.s, id->u.str.s))
				return kerr_set(e, -EINVAL, "signatures[%zu]: a second signature by key %.80s", i, id->u.str.s);
	}
	v = json_get(s, "_type");
	if (!v || v->type != JSON_STRING || strcmp(v->u.str.s, tuf_role_names[m->role]))
		return bad(e, "_type", "not this role");
	v = json_get(s, "spec_version");
	if (!v || v->type != JSON_STRING || strncmp(v->u.str.s, "1.", 2))
		return bad(e, "spec_version", "not 1.x");
	if ((ret = get_uint(s, "version", 1, &m->version, e)))
		return ret;
	v = json_get(s, "expires");
	if (!v || v->type != JSON_STRING || tuf_time_parse(v->u.str.s, &m->expires))
		return bad(e, "expires", "not YYYY-MM-DDTHH:MM:SSZ");
	if ((ret = json_canonical(s, &m->canon, e)))
		return ret;
	return parse_role(m, s, e);
}

int tuf_meta_parse(struct tuf_meta **out, enum tuf_role role, struct buf *raw, struct kerr *e)
{
	struct tuf_meta *m = calloc(1, sizeof(*m));
	int ret;

	*out = NULL;
	if (!m) {
		buf_free(raw);
		return kerr_set(e, -ENOMEM, "out of memory");
	}
	m->role = role;
	m->raw = *raw;
	buf_init(raw, raw->max);
	buf_init(&m->canon, TUF_TARGETS_MAX);
	if ((ret = parse(m, e))) {
		kerr_wrap(e, ret, "%s.json", tuf_role_names[role]);
		tuf_meta_free(m);
		return ret;
	}
	*out = m;
	return 0;
}

void tuf_meta_free(struct tuf_meta *m)
{
	if (!m)
		return;
	json_free(&m->doc);
	buf_free(&m->raw);
	buf_free(&m->canon);
	tuf_root_free(m->root);
	free(m);
}
