/* tuf_publish.c — a repository's metadata written and signed: a new repository, targets added
 * (with new targets, snapshot and timestamp), root rotated (signed by the old and the new root
 * keys). Documents are written with the JSON writer and signed over their canonical form;
 * the same inputs give the same files (ECDSA is deterministic; RSA-PSS salts are random). */
#include "trust/tuf.h"
#include "base/buf.h"
#include "base/err.h"
#include "base/fs.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define DOC_MAX TUF_TARGETS_MAX

struct pkey {
	const struct tuf_signer *s;
	char id[65];
	struct buf pem;
};

static int canon_of(const struct buf *text, struct buf *canon, struct kerr *e)
{
	struct json_doc d = {0};
	int ret = json_parse(&d, text->p, text->len, NULL, e);
	if (!ret)
		ret = json_canonical(d.root, canon, e);
	json_free(&d);
	return ret;
}

static void jw_keyobj(struct jw *w, const struct pkey *k)
{
	int ec = sig_priv_type(k->s->k) == SIG_KEY_EC_P256;
	jw_obj(w);
	jw_key(w, "keytype");
	jw_str(w, ec ? "ecdsa" : "rsa");
	jw_key(w, "keyval");
	jw_obj(w);
	jw_key(w, "public");
	jw_strn(w, (const char *)k->pem.p, k->pem.len);
	jw_obj_end(w);
	jw_key(w, "scheme");
	jw_str(w, ec ? "ecdsa-sha2-nistp256" : "rsassa-pss-sha256");
	jw_obj_end(w);
}

/* The key's public PEM and its key id: sha256 of the canonical key object. */
static int pkey_init(struct pkey *k, const struct tuf_signer *s, struct kerr *e)
{
	struct buf t = BUF_INIT(16384), c = BUF_INIT(16384);
	struct jw w;
	uint8_t d[32];
	int ret;

	k->s = s;
	buf_init(&k->pem, 16384);
	if ((ret = sig_priv_public_pem(s->k, &k->pem, e)))
		goto out;
	jw_init(&w, &t);
	jw_keyobj(&w, k);
	if (!(ret = jw_finish(&w)) && !(ret = canon_of(&t, &c, e)))
		hash_once(HASH_SHA256, c.p, c.len, d), hex_encode(k->id, d, 32);
out:
	buf_free(&t);
	buf_free(&c);
	return ret;
}

/* A parsed value written again (objects, arrays, strings, integers, booleans, null). */
void tuf_jw_value(struct jw *w, const struct json *v)
{
	switch (v->type) {
	case JSON_OBJECT:
		jw_obj(w);
		for (size_t i = 0; i < v->u.obj.n; i++) {
			jw_key(w, v->u.obj.m[i].key);
			tuf_jw_value(w, v->u.obj.m[i].val);
		}
		jw_obj_end(w);
		break;
	case JSON_ARRAY:
		jw_arr(w);
		for (size_t i = 0; i < v->u.arr.n; i++)
			tuf_jw_value(w, v->u.arr.v[i]);
		jw_arr_end(w);
		break;
	case JSON_STRING:
		jw_strn(w, v->u.str.s, v->u.str.len);
		break;
	case JSON_NUMBER:
		if (v->u.num.is_int)
			jw_int(w, v->u.num.i);
		else
			w->err = -EINVAL; /* canonical JSON has integers only */
		break;
	case JSON_BOOL:
		jw_bool(w, v->u.b);
		break;
	default:
		jw_null(w);
	}
}

static void jw_head(struct jw *w, const struct tuf_pub *p, enum tuf_role r, uint64_t version)
{
	char t[21];
	tuf_time_format(p->now + p->expires[r], t);
	jw_obj(w);
	jw_key(w, "_type");
	jw_str(w, tuf_role_names[r]);
	jw_key(w, "expires");
	jw_str(w, t);
	jw_key(w, "spec_version");
	jw_str(w, "1.0.31");
	jw_key(w, "version");
	jw_uint(w, version);
}

static int by_id(const void *a, const void *b) { return strcmp(((const struct pkey *)a)->id, ((const struct pkey *)b)->id); }

/* file = {"signatures":[…],"signed":text}, signed by every key of ks whose role is r. */
static int sign_doc(const struct buf *text, struct pkey *ks, size_t n, enum tuf_role r, struct buf *file,
	struct kerr *e)
{
	struct buf c = BUF_INIT(DOC_MAX), sig = BUF_INIT(1024);
	char hex[2049];
	int ret = canon_of(text, &c, e);

	qsort(ks, n, sizeof(*ks), by_id);
	buf_init(file, DOC_MAX + 65536);
	if (!ret)
		ret = buf_puts(file, "{\"signatures\":[");
	for (size_t i = 0, first = 1; i < n && !ret; i++) {
		if (ks[i].s->role != r || (i && !strcmp(ks[i].id, ks[i - 1].id) && ks[i - 1].s->role == r))
			continue;
		buf_reset(&sig);
		if ((ret = sig_sign(ks[i].s->k, sig_priv_type(ks[i].s->k) == SIG_KEY_RSA ? SIG_RSA_PSS : SIG_ECDSA, c.p,
			c.len, &sig, e)))
			break;
		hex_encode(hex, sig.p, sig.len);
		ret = buf_printf(file, "%s{\"keyid\":\"%s\",\"sig\":\"%s\"}", first ? "" : ",", ks[i].id, hex);
		first = 0;
	}
	if (!ret && !(ret = buf_puts(file, "],\"signed\":")) && !(ret = buf_put(file, text->p, text->len)))
		ret = buf_puts(file, "}\n");
	buf_free(&c);
	buf_free(&sig);
	return ret && !e->code ? kerr_set(e, ret, "sign %s: %s", tuf_role_names[r], kerr_strerror(ret)) : ret;
}

/* Create dir and its parents beneath repofd ("targets/a/b"). */
static int mkdirs(int repofd, const char *dir)
{
	char p[TUF_NAME_MAX + 64];
	if (str_copy(p, sizeof(p), dir))
		return -ENAMETOOLONG;
	for (char *s = p;; s++) {
		if (*s == '/' || !*s) {
			char c = *s;
			*s = 0;
			if (mkdirat(repofd, p, 0755) && errno != EEXIST)
				return -errno;
			if (!(*s = c))
				return 0;
		}
	}
}

static int put_file(const struct tuf_pub *p, const char *path, const void *d, size_t n, struct kerr *e)
{
	char dir[TUF_NAME_MAX + 64];
	const char *slash = strrchr(path, '/');
	int ret = str_fmt(dir, sizeof(dir), "%.*s", (int)(slash - path), path);
	if (!ret)
		ret = mkdirs(p->repofd, dir);
	if (!ret)
		ret = fs_write_atomic(p->repofd, path, d, n, 0644);
	return ret ? kerr_set(e, ret, "write %s: %s", path, kerr_strerror(ret)) : 0;
}

static int put_meta(const struct tuf_pub *p, enum tuf_role r, uint64_t v, int consistent, const struct buf *f,
	struct kerr *e)
{
	char path[64];
	int ret = 0;
	if (consistent || r == TUF_ROOT) {
		snprintf(path, sizeof(path), "metadata/%llu.%s.json", (unsigned long long)v, tuf_role_names[r]);
		ret = put_file(p, path, f->p, f->len, e);
	}
	snprintf(path, sizeof(path), "metadata/%s.json", tuf_role_names[r]);
	return ret ? ret : put_file(p, path, f->p, f->len, e);
}

static void jw_fileinfo(struct jw *w, const void *d, size_t n, uint64_t version)
{
	uint8_t h[64];
	char hex[129];
	jw_obj(w);
	jw_key(w, "hashes");
	jw_obj(w);
	for (int a = HASH_SHA256; a <= HASH_SHA512; a++) {
		if (a == HASH_SHA512 && version)
			break; /* metadata: sha256 */
		hash_once(a, d, n, h);
		hex_encode(hex, h, hash_size(a));
		jw_key(w, hash_name(a));
		jw_str(w, hex);
	}
	jw_obj_end(w);
	jw_key(w, "length");
	jw_uint(w, n);
	if (version) {
		jw_key(w, "version");
		jw_uint(w, version);
	}
}

/* targets (its "targets" object written by fill), then snapshot and timestamp naming it. */
static int put_rest(const struct tuf_pub *p, struct pkey *ks, int consistent, uint64_t v[TUF_NROLES],
	void (*fill)(struct jw *, void *), void *ctx, struct kerr *e)
{
	struct buf text = BUF_INIT(DOC_MAX), file = BUF_INIT(0);
	struct jw w;
	int ret = 0;

	for (int r = TUF_TARGETS; r >= TUF_TIMESTAMP && !ret; r--) {
		buf_reset(&text);
		jw_init(&w, &text);
		jw_head(&w, p, r, v[r]);
		jw_key(&w, r == TUF_TARGETS ? "targets" : "meta");
		if (r == TUF_TARGETS) {
			fill(&w, ctx);
		} else {
			jw_obj(&w);
			jw_key(&w, r == TUF_SNAPSHOT ? "targets.json" : "snapshot.json");
			jw_fileinfo(&w, file.p, file.len, v[r + 1]);
			jw_obj_end(&w);
			jw_obj_end(&w);
		}
		jw_obj_end(&w);
		buf_free(&file);
		if ((ret = jw_finish(&w)))
			ret = kerr_set(e, ret, "%s: cannot write the document", tuf_role_names[r]);
		else if (!(ret = sign_doc(&text, ks, p->nsign, r, &file, e)))
			ret = put_meta(p, r, v[r], consistent, &file, e);
	}
	buf_free(&text);
	buf_free(&file);
	return ret;
}

static void fill_empty(struct jw *w, void *ctx)
{
	(void)ctx;
	jw_obj(w);
	jw_obj_end(w);
}

static int keys_init(struct pkey *ks, const struct tuf_signer *s, size_t n, struct kerr *e)
{
	int ret = 0;
	for (size_t i = 0; i < n && !ret; i++)
		ret = pkey_init(&ks[i], &s[i], e);
	return ret;
}

static void keys_free(struct pkey *ks, size_t n)
{
	for (size_t i = 0; ks && i < n; i++)
		buf_free(&ks[i].pem);
	free(ks);
}

/* A root: "keys" from old's for kept roles and from nk for the roles nk names. */
static int root_text(const struct tuf_pub *p, const struct tuf_meta *old, struct pkey *nk, size_t nn, uint64_t v,
	struct buf *text, struct kerr *e)
{
	const struct json *oroles = old ? json_get(json_get(old->doc.root, "signed"), "roles") : NULL;
	const struct json *okeys = old ? json_get(json_get(old->doc.root, "signed"), "keys") : NULL;
	int has[TUF_NROLES] = {0};
	struct jw w;

	qsort(nk, nn, sizeof(*nk), by_id);
	for (size_t i = 0; i < nn; i++)
		has[nk[i].s->role] = 1;
	jw_init(&w, text);
	jw_head(&w, p, TUF_ROOT, v);
	jw_key(&w, "consistent_snapshot");
	jw_bool(&w, old ? old->root->consistent : p->consistent);
	jw_key(&w, "keys");
	jw_obj(&w);
	for (size_t i = 0; i < nn; i++)
		if (!i || strcmp(nk[i].id, nk[i - 1].id)) {
			jw_key(&w, nk[i].id);
			jw_keyobj(&w, &nk[i]);
		}
	for (size_t i = 0; okeys && i < okeys->u.obj.n; i++) {
		int used = 0, dup = 0;
		for (int r = 0; r < TUF_NROLES; r++) {
			const struct json *ids = json_get(json_get(oroles, tuf_role_names[r]), "keyids");
			for (size_t j = 0; !has[r] && j < ids->u.arr.n; j++)
				used |= !strcmp(ids->u.arr.v[j]->u.str.s, okeys->u.obj.m[i].key);
		}
		for (size_t j = 0; j < nn; j++)
			dup |= !strcmp(nk[j].id, okeys->u.obj.m[i].key);
		if (used && !dup) {
			jw_key(&w, okeys->u.obj.m[i].key);
			tuf_jw_value(&w, okeys->u.obj.m[i].val);
		}
	}
	jw_obj_end(&w);
	jw_key(&w, "roles");
	jw_obj(&w);
	for (int r = 0; r < TUF_NROLES; r++) {
		const struct json *orole = json_get(oroles, tuf_role_names[r]);
		uint64_t n = 0, th = p->threshold[r];
		jw_key(&w, tuf_role_names[r]);
		jw_obj(&w);
		jw_key(&w, "keyids");
		jw_arr(&w);
		for (size_t i = 0; has[r] && i < nn; i++)
			if (nk[i].s->role == r && (!i || strcmp(nk[i].id, nk[i - 1].id) || nk[i - 1].s->role != r))
				jw_str(&w, nk[i].id), n++;
		const struct json *oids = json_get(orole, "keyids");
		for (size_t i = 0; !has[r] && i < oids->u.arr.n; i++)
			tuf_jw_value(&w, oids->u.arr.v[i]);
		jw_arr_end(&w);
		if (!has[r] && !p->threshold[r])
			th = old->root->roles[r].threshold;
		jw_key(&w, "threshold");
		jw_uint(&w, th ? th : 1);
		jw_obj_end(&w);
		if (has[r] && (th ? th : 1) > n)
			return kerr_set(e, -EINVAL, "roles.%s: threshold %llu, but %llu keys", tuf_role_names[r],
				(unsigned long long)(th ? th : 1), (unsigned long long)n);
	}
	jw_obj_end(&w);
	jw_obj_end(&w);
	int ret = jw_finish(&w);
	return ret ? kerr_set(e, ret, "root: cannot write the document") : 0;
}

static int load_meta(const struct tuf_pub *p, enum tuf_role r, struct tuf_meta **m, struct kerr *e)
{
	char path[64];
	struct buf b = BUF_INIT(TUF_TARGETS_MAX);
	snprintf(path, sizeof(path), "metadata/%s.json", tuf_role_names[r]);
	int ret = fs_read_path(p->repofd, path, b.max, &b, e);
	if (ret || (ret = tuf_meta_parse(m, r, &b, e)))
		buf_free(&b);
	return ret;
}

int tuf_pub_init(struct tuf_pub *p, struct kerr *e)
{
	struct pkey *ks = calloc(p->nsign + 1, sizeof(*ks));
	struct buf text = BUF_INIT(DOC_MAX), file = BUF_INIT(0);
	uint64_t v[TUF_NROLES] = {1, 1, 1, 1};
	int ret;

	if (!ks)
		return kerr_set(e, -ENOMEM, "out of memory");
	for (int r = 0; r < TUF_NROLES; r++) {
		size_t n = 0;
		for (size_t i = 0; i < p->nsign; i++)
			n += p->sign[i].role == r;
		if (!n) {
			ret = kerr_set(e, -EINVAL, "no %s key", tuf_role_names[r]);
			goto out;
		}
	}
	if ((ret = keys_init(ks, p->sign, p->nsign, e)) || (ret = root_text(p, NULL, ks, p->nsign, 1, &text, e)))
		goto out;
	if (!(ret = sign_doc(&text, ks, p->nsign, TUF_ROOT, &file, e)) && !(ret = put_meta(p, TUF_ROOT, 1, 1, &file, e)))
		ret = put_rest(p, ks, p->consistent, v, fill_empty, NULL, e);
out:
	keys_free(ks, p->nsign);
	buf_free(&text);
	buf_free(&file);
	return ret;
}

/* Signers must be keys of their role in root, and enough of them for each role that is signed. */
static int check_signers(const struct tuf_meta *root, const struct pkey *ks, size_t n, struct kerr *e)
{
	for (int r = TUF_TIMESTAMP; r < TUF_NROLES; r++) {
		size_t have = 0;
		for (size_t i = 0; i < n; i++)
			have += ks[i].s->role == r;
		if (have < root->root->roles[r].threshold)
			return kerr_set(e, -EINVAL, "%zu %s key%s given, the threshold is %llu", have, tuf_role_names[r],
				have == 1 ? "" : "s", (unsigned long long)root->root->roles[r].threshold);
	}
	for (size_t i = 0; i < n; i++) {
		const struct tuf_rolekeys *rk = &root->root->roles[ks[i].s->role];
		size_t j = 0;
		while (j < rk->n && strcmp(root->root->keys[rk->idx[j]].id, ks[i].id))
			j++;
		if (j == rk->n)
			return kerr_set(e, -EINVAL, "key %.16s... is not a %s key of root version %llu", ks[i].id,
				tuf_role_names[ks[i].s->role], (unsigned long long)root->version);
	}
	return 0;
}

struct fill_targets {
	const struct json *old;
	char *const *names;
	struct buf *infos; /* the new entries, one JSON text each */
	size_t n;
};

static void fill_targets(struct jw *w, void *ctx)
{
	struct fill_targets *f = ctx;
	jw_obj(w);
	for (size_t i = 0; f->old && i < f->old->u.obj.n; i++) {
		size_t j = 0;
		while (j < f->n && strcmp(f->names[j], f->old->u.obj.m[i].key))
			j++;
		if (j == f->n) {
			jw_key(w, f->old->u.obj.m[i].key);
			tuf_jw_value(w, f->old->u.obj.m[i].val);
		}
	}
	for (size_t i = 0; i < f->n; i++) {
		struct json_doc d = {0};
		jw_key(w, f->names[i]);
		if (json_parse(&d, f->infos[i].p, f->infos[i].len, NULL, NULL))
			w->err = -EINVAL;
		else
			tuf_jw_value(w, d.root);
		json_free(&d);
	}
	jw_obj_end(w);
}

/* Copy srcfd (size bytes) to path beneath the repository: a temporary file, fsync, rename, fsync
 * of the directory; streamed, never whole in memory. */
static int put_stream(const struct tuf_pub *p, const char *path, int srcfd, uint64_t size, uint8_t *tmp, size_t cap,
	struct kerr *e)
{
	char dir[TUF_NAME_MAX + 64], t[TUF_NAME_MAX + 64];
	const char *slash = strrchr(path, '/'), *base;
	int ret = str_fmt(dir, sizeof(dir), "%.*s", (int)(slash - path), path), dfd = -1, fd = -1;
	if (!ret)
		ret = mkdirs(p->repofd, dir);
	if (!ret && (dfd = fs_open_parent_beneath(p->repofd, path, &base)) < 0)
		ret = dfd;
	if (!ret && str_fmt(t, sizeof(t), ".%s.tmp", base))
		ret = -ENAMETOOLONG;
	if (!ret && (fd = openat(dfd, t, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0644)) < 0)
		ret = -errno;
	for (uint64_t off = 0; !ret && off < size;) {
		size_t n = size - off < cap ? (size_t)(size - off) : cap;
		if (!(ret = fs_pread_all(srcfd, tmp, n, (off_t)off)))
			ret = fs_write_all(fd, tmp, n);
		off += n;
	}
	if (!ret && fsync(fd))
		ret = -errno;
	if (!ret && renameat(dfd, t, dfd, base))
		ret = -errno;
	if (!ret && fsync(dfd))
		ret = -errno;
	if (fd >= 0) {
		close(fd);
		if (ret)
			unlinkat(dfd, t, 0);
	}
	if (dfd >= 0)
		close(dfd);
	return ret ? kerr_set(e, ret, "write %s: %s", path, kerr_strerror(ret)) : 0;
}

/* One target: copied below targets/ (consistent: as HASH.NAME for each hash), its entry. */
static int add_target(const struct tuf_pub *p, int consistent, const char *path, const char *name,
	const struct json *custom, struct buf *info, struct kerr *e)
{
	const size_t cap = 1 << 20;
	uint8_t *data = malloc(cap), h[2][64];
	struct hash_ctx hc[2];
	struct stat st;
	struct jw w;
	char dst[TUF_NAME_MAX + 160], hex[129];
	const char *base = strrchr(name, '/');
	int ret = 0, fd = -1;

	if (!tuf_name_ok(name))
		ret = kerr_set(e, -EINVAL, "target name refused: %.200s", name);
	else if (!data)
		ret = kerr_set(e, -ENOMEM, "out of memory");
	else if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0 || fstat(fd, &st) || !S_ISREG(st.st_mode))
		ret = kerr_set(e, fd < 0 ? -errno : -EINVAL, "%s: %s", path, fd < 0 ? kerr_strerror(errno) : "not a regular file");
	if (ret)
		goto out;
	hash_init(&hc[0], HASH_SHA256);
	hash_init(&hc[1], HASH_SHA512);
	for (uint64_t off = 0; off < (uint64_t)st.st_size;) {
		size_t n = (uint64_t)st.st_size - off < cap ? (size_t)((uint64_t)st.st_size - off) : cap;
		if ((ret = fs_pread_all(fd, data, n, (off_t)off)))
			break;
		hash_update(&hc[0], data, n);
		hash_update(&hc[1], data, n);
		off += n;
	}
	hash_final(&hc[0], h[0]);
	hash_final(&hc[1], h[1]);
	if (ret) {
		kerr_set(e, ret, "%s: %s", path, kerr_strerror(ret));
		goto out;
	}
	base = base ? base + 1 : name;
	jw_init(&w, info);
	jw_obj(&w);
	jw_key(&w, "hashes");
	jw_obj(&w);
	for (int a = HASH_SHA256; a <= HASH_SHA512; a++) {
		hex_encode(hex, h[a - HASH_SHA256], hash_size(a));
		jw_key(&w, hash_name(a));
		jw_str(&w, hex);
	}
	jw_obj_end(&w);
	jw_key(&w, "length");
	jw_uint(&w, (uint64_t)st.st_size);
	if (custom) {
		jw_key(&w, "custom");
		tuf_jw_value(&w, custom);
	}
	jw_obj_end(&w);
	ret = jw_finish(&w);
	for (int a = HASH_SHA256; !ret && a <= HASH_SHA512; a++) {
		hex_encode(hex, h[a - HASH_SHA256], hash_size(a));
		if (consistent)
			snprintf(dst, sizeof(dst), "targets/%.*s%s.%s", (int)(base - name), name, hex, base);
		else if (a == HASH_SHA256)
			snprintf(dst, sizeof(dst), "targets/%s", name);
		else
			break;
		ret = put_stream(p, dst, fd, (uint64_t)st.st_size, data, cap, e);
	}
out:
	if (fd >= 0)
		close(fd);
	free(data);
	return ret;
}

int tuf_pub_targets(struct tuf_pub *p, char *const *paths, char *const *names, size_t n, struct kerr *e)
{
	struct tuf_meta *m[TUF_NROLES] = {0};
	struct pkey *ks = calloc(p->nsign + 1, sizeof(*ks));
	struct buf *infos = calloc(n + 1, sizeof(*infos));
	struct json_doc custom = {0};
	uint64_t v[TUF_NROLES];
	int ret = 0;

	if (!ks || !infos) {
		ret = kerr_set(e, -ENOMEM, "out of memory");
		goto out;
	}
	if (p->custom && (ret = json_parse(&custom, p->custom, strlen(p->custom), NULL, e)))
		goto out;
	if (custom.root && custom.root->type != JSON_OBJECT) {
		ret = kerr_set(e, -EINVAL, "custom: not a JSON object");
		goto out;
	}
	for (int r = 0; r < TUF_NROLES && !ret; r++)
		if (!(ret = load_meta(p, r, &m[r], e)))
			v[r] = m[r]->version + 1;
	if (ret || (ret = keys_init(ks, p->sign, p->nsign, e)) || (ret = check_signers(m[TUF_ROOT], ks, p->nsign, e)))
		goto out;
	for (size_t i = 0; i < n && !ret; i++) {
		struct json_doc own = {0};
		buf_init(&infos[i], 8 << 20);
		if (p->customs && p->customs[i] && (ret = json_parse(&own, p->customs[i], strlen(p->customs[i]), NULL, e)))
			break;
		ret = add_target(p, m[TUF_ROOT]->root->consistent, paths[i], names[i], own.root ? own.root : custom.root,
			&infos[i], e);
		json_free(&own);
	}
	struct fill_targets f = {m[TUF_TARGETS]->targets, names, infos, n};
	if (!ret)
		ret = put_rest(p, ks, m[TUF_ROOT]->root->consistent, v, fill_targets, &f, e);
out:
	for (int r = 0; r < TUF_NROLES; r++)
		tuf_meta_free(m[r]);
	for (size_t i = 0; infos && i < n; i++)
		buf_free(&infos[i]);
	free(infos);
	json_free(&custom);
	keys_free(ks, p->nsign);
	return ret;
}

int tuf_pub_rotate(struct tuf_pub *p, struct kerr *e)
{
	struct tuf_meta *old = NULL, *nw = NULL;
	struct pkey *ks = calloc(p->nsign + p->nkeys + 1, sizeof(*ks));
	struct buf text = BUF_INIT(DOC_MAX), file = BUF_INIT(0);
	int ret;

	if (!ks)
		return kerr_set(e, -ENOMEM, "out of memory");
	if ((ret = load_meta(p, TUF_ROOT, &old, e)) || (ret = keys_init(ks, p->keys, p->nkeys, e)) ||
		(ret = keys_init(ks + p->nkeys, p->sign, p->nsign, e)) ||
		(ret = root_text(p, old, ks, p->nkeys, old->version + 1, &text, e)) ||
		(ret = sign_doc(&text, ks, p->nkeys + p->nsign, TUF_ROOT, &file, e)))
		goto out;
	/* refuse to publish a root the clients would refuse */
	if ((ret = tuf_meta_parse(&nw, TUF_ROOT, &file, e)) || (ret = tuf_verify(old->root, TUF_ROOT, nw, e)) ||
		(ret = tuf_verify(nw->root, TUF_ROOT, nw, e))) {
		kerr_wrap(e, ret, "new root");
		goto out;
	}
	ret = put_meta(p, TUF_ROOT, nw->version, 1, &nw->raw, e);
out:
	tuf_meta_free(old);
	tuf_meta_free(nw);
	keys_free(ks, p->nsign + p->nkeys);
	buf_free(&text);
	buf_free(&file);
	return ret;
}
