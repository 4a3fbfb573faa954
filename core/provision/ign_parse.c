/* ign_parse.c — one Ignition config document: strict JSON to the model of ign.h, with every
 * key checked against its spec version and every value against the spec's rules. */
#include "provision/ign.h"
#include "base/buf.h"
#include "net/dataurl.h"
#include "base/err.h"
#include "base/json.h"
#include "base/passwd.h"
#include "net/url.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const struct json_limits ign_json_limits = {
	.max_bytes = 16u << 20,
	.max_depth = 64,
	.max_values = 1000000,
	.max_string = 16u << 20,
};

#define PATHN 256

struct pctx {
	struct ign_cfg *c;
	int minor;
	struct kerr *e; /* never NULL: the caller's record or a local one (see ign_parse) */
};

__attribute__((format(printf, 4, 5))) static int perr(struct pctx *x, int code, const char *path, const char *fmt, ...)
{
	char msg[300];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (x->c->label)
		return kerr_set(x->e, code, "%s > %s: %s", x->c->label, path, msg);
	return kerr_set(x->e, code, "%s: %s", path, msg);
}

static void sub(char *dst, const char *parent, const char *key)
{
	if (snprintf(dst, PATHN, "%s%s%s", parent, *parent ? "." : "", key) >= PATHN)
		memcpy(dst + PATHN - 4, "...", 4);
}

static void subi(char *dst, const char *parent, size_t i)
{
	if (snprintf(dst, PATHN, "%s[%zu]", parent, i) >= PATHN)
		memcpy(dst + PATHN - 4, "...", 4);
}

static const char *keep_str(struct pctx *x, const char *s)
{
	struct ign_cfg *c = x->c;
	char **v = realloc(c->strs, (c->nstrs + 1) * sizeof(*v));
	if (!v)
		return NULL;
	c->strs = v;
	if (!(v[c->nstrs] = strdup(s)))
		return NULL;
	return v[c->nstrs++];
}

/* A JSON path kept for later messages: "label > path" for configs other than the main one. */
static const char *keep(struct pctx *x, const char *path)
{
	char s[PATHN + 128];
	if (!x->c->label)
		return keep_str(x, path);
	snprintf(s, sizeof(s), "%s > %s", x->c->label, path);
	return keep_str(x, s);
}

/* ---- keys ---------------------------------------------------------------------------- */

enum { K_OK, K_UNSUPPORTED };

struct key {
	const char *name;
	int since; /* minor version that added it */
	int kind;
	const char *why; /* K_UNSUPPORTED: what keel says */
};

static bool empty_value(const struct json *v)
{
	return v->type == JSON_NULL || (v->type == JSON_ARRAY && !v->u.arr.n) ||
		(v->type == JSON_OBJECT && !v->u.obj.n);
}

static int check_keys(struct pctx *x, const struct json *o, const char *path, const struct key *keys)
{
	char p[PATHN];
	for (size_t i = 0; i < o->u.obj.n; i++) {
		const struct json_member *m = &o->u.obj.m[i];
		const struct key *k = keys;
		while (k->name && strcmp(k->name, m->key))
			k++;
		sub(p, path, m->key);
		if (!k->name)
			return perr(x, -EINVAL, p, "unknown field (not in the Ignition %s spec)", ign_version(x->c));
		if (k->since > x->minor)
			return perr(x, -EINVAL, p, "not in spec %s (added in 3.%d.0)", ign_version(x->c), k->since);
		if (k->kind == K_UNSUPPORTED && !empty_value(m->val))
			return perr(x, -ENOTSUP, p, "not supported by keel: %s", k->why);
	}
	return 0;
}

/* ---- typed getters: a missing key or null is "unset" --------------------------------- */

static const struct json *member(const struct json *o, const char *key)
{
	const struct json *v = json_get(o, key);
	return v && v->type != JSON_NULL ? v : NULL;
}

static int want_type(struct pctx *x, const struct json *v, enum json_type t, const char *path)
{
	if (v->type == t)
		return 0;
	return perr(x, -EINVAL, path, "must be %s %s, not %s", t == JSON_ARRAY || t == JSON_OBJECT ? "an" : "a",
		t == JSON_NUMBER ? "integer" : json_type_name(t), json_type_name(v->type));
}

static int get_str(struct pctx *x, const struct json *o, const char *key, const char *path, const char **out)
{
	char p[PATHN];
	const struct json *v = member(o, key);
	*out = NULL;
	if (!v)
		return 0;
	sub(p, path, key);
	if (want_type(x, v, JSON_STRING, p))
		return x->e->code;
	*out = v->u.str.s;
	return 0;
}

static int get_bool(struct pctx *x, const struct json *o, const char *key, const char *path, int8_t *out)
{
	char p[PATHN];
	const struct json *v = member(o, key);
	*out = IGN_UNSET;
	if (!v)
		return 0;
	sub(p, path, key);
	if (want_type(x, v, JSON_BOOL, p))
		return x->e->code;
	*out = v->u.b ? IGN_YES : IGN_NO;
	return 0;
}

static int get_int(struct pctx *x, const struct json *o, const char *key, const char *path, int64_t min, int64_t max,
	bool *has, int64_t *out)
{
	char p[PATHN];
	const struct json *v = member(o, key);
	*has = false;
	if (!v)
		return 0;
	sub(p, path, key);
	if (v->type != JSON_NUMBER || !v->u.num.is_int)
		return perr(x, -EINVAL, p, "must be an integer");
	if (v->u.num.i < min || v->u.num.i > max)
		return perr(x, -EINVAL, p, "out of range (%lld to %lld)", (long long)min, (long long)max);
	*has = true;
	*out = v->u.num.i;
	return 0;
}

static int get_u32(struct pctx *x, const struct json *o, const char *key, const char *path, bool *has, uint32_t *out)
{
	int64_t v = 0;
	int r = get_int(x, o, key, path, 0, 0xfffffffeLL, has, &v);
	*out = (uint32_t)v;
	return r;
}

/* An optional array or object member; *out NULL when unset. */
static int get_typed(struct pctx *x, const struct json *o, const char *key, const char *path, enum json_type t,
	const struct json **out)
{
	char p[PATHN];
	*out = member(o, key);
	if (!*out)
		return 0;
	sub(p, path, key);
	return want_type(x, *out, t, p) ? x->e->code : 0;
}

/* A list of strings (each checked for type). */
static int get_strs(struct pctx *x, const struct json *o, const char *key, const char *path, const char ***out, size_t *n,
	bool *has)
{
	const struct json *a;
	char p[PATHN], q[PATHN];
	int r;
	*out = NULL;
	*n = 0;
	if (has)
		*has = false;
	if ((r = get_typed(x, o, key, path, JSON_ARRAY, &a)) || !a)
		return r;
	if (has)
		*has = true;
	sub(p, path, key);
	if (!a->u.arr.n)
		return 0;
	*out = calloc(a->u.arr.n, sizeof(**out));
	if (!*out)
		return perr(x, -ENOMEM, p, "out of memory");
	for (size_t i = 0; i < a->u.arr.n; i++) {
		subi(q, p, i);
		if (want_type(x, a->u.arr.v[i], JSON_STRING, q))
			return x->e->code;
		for (size_t j = 0; j < i; j++)
			if (!strcmp((*out)[j], a->u.arr.v[i]->u.str.s))
				return perr(x, -EINVAL, q, "duplicate entry (same as [%zu])", j);
		(*out)[(*n)++] = a->u.arr.v[i]->u.str.s;
	}
	return 0;
}

/* ---- resources ------------------------------------------------------------------------ */

enum res_kind { RES_CONFIG, RES_FILE };

static const struct key config_res_keys[] = {{"source", 0}, {"compression", 1}, {"httpHeaders", 1},
	{"verification", 0}, {0}};
static const struct key file_res_keys[] = {{"source", 0}, {"compression", 0}, {"httpHeaders", 1},
	{"verification", 0}, {0}};
static const struct key verification_keys[] = {{"hash", 0}, {0}};
static const struct key header_keys[] = {{"name", 0}, {"value", 0}, {0}};

static bool header_token(const char *s)
{
	if (!*s)
		return false;
	for (; *s; s++)
		if ((unsigned char)*s <= 0x20 || (unsigned char)*s >= 0x7f || strchr("\"(),/:;<=>?@[\\]{}", *s))
			return false;
	return true;
}

static bool header_value_ok(const char *s)
{
	for (; *s; s++)
		if (((unsigned char)*s < 0x20 && *s != '\t') || *s == 0x7f)
			return false;
	return true;
}

/* Check a source URL: 0, or an error on path. *http tells whether headers may go with it. */
static int check_source(struct pctx *x, const char *src, const char *path, bool *http)
{
	char scheme[16];
	struct kerr sub_e = {0};
	*http = false;
	if (!*src)
		return 0; /* "" is empty contents, as in Ignition */
	url_scheme(src, scheme, sizeof(scheme));
	if (!strcmp(scheme, "data")) {
		size_t n;
		if (dataurl_size(src, strlen(src), &n, &sub_e))
			return perr(x, -EINVAL, path, "%s", sub_e.msg);
		return 0;
	}
	if (!strcmp(scheme, "http") || !strcmp(scheme, "https")) {
		struct url u;
		*http = true;
		if (url_parse(&u, src, strlen(src), &sub_e))
			return perr(x, -EINVAL, path, "unable to parse url: %s", sub_e.msg);
		return 0;
	}
	if (!strcmp(scheme, "file")) { /* keel's extension: a file on the provisioning system */
		const char *p = src + 5;
		if (!strncmp(p, "//", 2)) {
			if (strncmp(p, "///", 3))
				return perr(x, -EINVAL, path, "file: URL with a host (want file:///absolute/path)");
			p += 2;
		}
		const char *why = ign_path_problem(p);
		if (why || strchr(p, '%') || strchr(p, '?') || strchr(p, '#'))
			return perr(x, -EINVAL, path, "file: URL: %s", why ? why : "no escapes, query or fragment");
		return 0;
	}
	if (!strcmp(scheme, "tftp") || !strcmp(scheme, "s3") || !strcmp(scheme, "arn") || !strcmp(scheme, "gs"))
		return perr(x, -ENOTSUP, path, "%s: URLs are not supported by keel (use https or data)", scheme);
	return perr(x, -EINVAL, path, "invalid url scheme");
}

static int parse_res(struct pctx *x, const struct json *o, const char *path, struct ign_res *r, enum res_kind kind,
	bool need_source)
{
	char p[PATHN], q[PATHN], hp[PATHN];
	const struct json *ver, *hdrs;
	int ret;
	bool http = false;

	memset(r, 0, sizeof(*r));
	if (want_type(x, o, JSON_OBJECT, path) ||
		check_keys(x, o, path, kind == RES_CONFIG ? config_res_keys : file_res_keys))
		return x->e->code;
	if (!(r->where = keep(x, path)))
		return perr(x, -ENOMEM, path, "out of memory");
	if ((ret = get_str(x, o, "source", path, &r->source)) || (ret = get_str(x, o, "compression", path, &r->compression)) ||
		(ret = get_typed(x, o, "verification", path, JSON_OBJECT, &ver)) ||
		(ret = get_typed(x, o, "httpHeaders", path, JSON_ARRAY, &hdrs)))
		return ret;
	sub(p, path, "source");
	if (need_source && (!r->source || !*r->source)) /* merged configs and CAs: before anything else */
		return perr(x, -EINVAL, r->source ? p : path, "source is required");
	if (r->source && (ret = check_source(x, r->source, p, &http)))
		return ret;
	sub(p, path, "compression");
	if (r->compression && *r->compression && strcmp(r->compression, "gzip"))
		return perr(x, -EINVAL, p, "invalid compression method");
	if (ver) {
		sub(p, path, "verification");
		if (check_keys(x, ver, p, verification_keys) || (ret = get_str(x, ver, "hash", p, &r->hash)))
			return x->e->code;
		sub(q, p, "hash");
		if (r->hash) {
			const char *why;
			if (!r->source)
				return perr(x, -EINVAL, q, "source must be specified if verification is specified");
			if ((why = ign_hash_parse(r->hash, x->minor, &r->alg, r->digest)))
				return perr(x, -EINVAL, q, "%s", why);
		}
	}
	if (hdrs && hdrs->u.arr.n) {
		sub(p, path, "httpHeaders");
		if (!http)
			return perr(x, -EINVAL, p, "cannot use HTTP headers with this source scheme");
		r->headers = calloc(hdrs->u.arr.n, sizeof(*r->headers));
		if (!r->headers)
			return perr(x, -ENOMEM, p, "out of memory");
		for (size_t i = 0; i < hdrs->u.arr.n; i++) {
			const struct json *h = hdrs->u.arr.v[i];
			struct ign_header *hd = &r->headers[i];
			subi(q, p, i);
			if (want_type(x, h, JSON_OBJECT, q) || check_keys(x, h, q, header_keys) ||
				get_str(x, h, "name", q, &hd->name) || get_str(x, h, "value", q, &hd->value))
				return x->e->code;
			sub(hp, q, "name");
			if (!hd->name || !*hd->name)
				return perr(x, -EINVAL, hp, "HTTP header name can't be empty");
			if (!header_token(hd->name))
				return perr(x, -EINVAL, hp, "HTTP header name must be a token (no spaces, ':' or controls)");
			sub(hp, q, "value");
			if (hd->value && !header_value_ok(hd->value))
				return perr(x, -EINVAL, hp, "control character (newline) in an HTTP header value");
			for (size_t j = 0; j < i; j++)
				if (!strcmp(r->headers[j].name, hd->name))
					return perr(x, -EINVAL, q, "duplicate entry (same name as [%zu])", j);
			r->nheaders++;
		}
	}
	return 0;
}

/* ---- storage ---------------------------------------------------------------------------- */

static const struct key owner_keys[] = {{"id", 0}, {"name", 0}, {0}};

static int parse_owner(struct pctx *x, const struct json *o, const char *key, const char *path, struct ign_owner *ow)
{
	const struct json *v;
	char p[PATHN], q[PATHN];
	int ret;
	memset(ow, 0, sizeof(*ow));
	if ((ret = get_typed(x, o, key, path, JSON_OBJECT, &v)) || !v)
		return ret;
	sub(p, path, key);
	if (check_keys(x, v, p, owner_keys) || get_u32(x, v, "id", p, &ow->has_id, &ow->id) ||
		get_str(x, v, "name", p, &ow->name))
		return x->e->code;
	if (ow->has_id && ow->name)
		return perr(x, -EINVAL, p, "cannot set both id and name");
	sub(q, p, "name");
	if (ow->name && !pw_valid_name(ow->name))
		return perr(x, -EINVAL, q, "not a valid user or group name");
	return 0;
}

static int parse_path(struct pctx *x, const struct json *o, const char *path, const char **out)
{
	char p[PATHN];
	const char *why;
	sub(p, path, "path");
	if (get_str(x, o, "path", path, out))
		return x->e->code;
	if (!*out)
		return perr(x, -EINVAL, p, "path not specified");
	if ((why = ign_path_problem(*out)))
		return perr(x, -EINVAL, p, "%s", why);
	return 0;
}

static int parse_mode(struct pctx *x, const struct json *o, const char *path, bool *has, uint32_t *mode)
{
	int64_t m = 0;
	char p[PATHN];
	const char *why;
	sub(p, path, "mode");
	if (get_int(x, o, "mode", path, INT32_MIN, INT32_MAX, has, &m))
		return x->e->code;
	if (*has && (why = ign_mode_problem(m, x->minor)))
		return perr(x, -EINVAL, p, "%s", why);
	*mode = (uint32_t)m;
	return 0;
}

static const struct key file_keys[] = {{"path", 0}, {"overwrite", 0}, {"contents", 0}, {"append", 0}, {"mode", 0},
	{"user", 0}, {"group", 0}, {0}};
static const struct key dir_keys[] = {{"path", 0}, {"overwrite", 0}, {"mode", 0}, {"user", 0}, {"group", 0}, {0}};
static const struct key link_keys[] = {{"path", 0}, {"overwrite", 0}, {"user", 0}, {"group", 0}, {"target", 0},
	{"hard", 0}, {0}};

static int parse_file(struct pctx *x, const struct json *o, const char *path, void *item)
{
	struct ign_file *f = item;
	const struct json *v;
	char p[PATHN], q[PATHN];
	int ret;
	if (want_type(x, o, JSON_OBJECT, path) || check_keys(x, o, path, file_keys) || parse_path(x, o, path, &f->path) ||
		get_bool(x, o, "overwrite", path, &f->overwrite) || parse_mode(x, o, path, &f->has_mode, &f->mode) ||
		parse_owner(x, o, "user", path, &f->user) || parse_owner(x, o, "group", path, &f->group))
		return x->e->code;
	if (!(f->where = keep(x, path)))
		return perr(x, -ENOMEM, path, "out of memory");
	if ((ret = get_typed(x, o, "contents", path, JSON_OBJECT, &v)))
		return ret;
	if (v) {
		sub(p, path, "contents");
		f->has_contents = true;
		if ((ret = parse_res(x, v, p, &f->contents, RES_FILE, false)))
			return ret;
	}
	if ((ret = get_typed(x, o, "append", path, JSON_ARRAY, &v)))
		return ret;
	if (v && v->u.arr.n) {
		sub(p, path, "append");
		if (!(f->append = calloc(v->u.arr.n, sizeof(*f->append))))
			return perr(x, -ENOMEM, p, "out of memory");
		for (size_t i = 0; i < v->u.arr.n; i++) {
			subi(q, p, i);
			f->nappend++;
			if ((ret = parse_res(x, v->u.arr.v[i], q, &f->append[i], RES_FILE, false)))
				return ret;
		}
	}
	if (f->overwrite == IGN_YES && !(f->has_contents && f->contents.source)) {
		sub(p, path, "overwrite");
		return perr(x, -EINVAL, p, "overwrite must be false if source is unspecified");
	}
	return 0;
}

static int parse_dir(struct pctx *x, const struct json *o, const char *path, void *item)
{
	struct ign_dir *d = item;
	if (want_type(x, o, JSON_OBJECT, path) || check_keys(x, o, path, dir_keys) || parse_path(x, o, path, &d->path) ||
		get_bool(x, o, "overwrite", path, &d->overwrite) || parse_mode(x, o, path, &d->has_mode, &d->mode) ||
		parse_owner(x, o, "user", path, &d->user) || parse_owner(x, o, "group", path, &d->group))
		return x->e->code;
	if (!(d->where = keep(x, path)))
		return perr(x, -ENOMEM, path, "out of memory");
	return 0;
}

static int parse_link(struct pctx *x, const struct json *o, const char *path, void *item)
{
	struct ign_link *l = item;
	char p[PATHN];
	if (want_type(x, o, JSON_OBJECT, path) || check_keys(x, o, path, link_keys) || parse_path(x, o, path, &l->path) ||
		get_bool(x, o, "overwrite", path, &l->overwrite) || get_bool(x, o, "hard", path, &l->hard) ||
		get_str(x, o, "target", path, &l->target) || parse_owner(x, o, "user", path, &l->user) ||
		parse_owner(x, o, "group", path, &l->group))
		return x->e->code;
	if (!(l->where = keep(x, path)))
		return perr(x, -ENOMEM, path, "out of memory");
	sub(p, path, "target");
	if (!l->target || !*l->target)
		return perr(x, -EINVAL, p, "link target is required");
	if (strlen(l->target) >= 4096)
		return perr(x, -EINVAL, p, "link target too long");
	for (const char *s = l->target; *s; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			return perr(x, -EINVAL, p, "control character in the link target");
	if (l->hard == IGN_YES) {
		const char *why = ign_path_problem(l->target);
		if (why)
			return perr(x, -EINVAL, p, "hard link target: %s", why);
	}
	return 0;
}

static const char *node_path(const struct ign_cfg *c, int kind, size_t i)
{
	return kind == 0 ? c->files[i].path : kind == 1 ? c->dirs[i].path : c->links[i].path;
}

static const char *node_where(const struct ign_cfg *c, int kind, size_t i)
{
	return kind == 0 ? c->files[i].where : kind == 1 ? c->dirs[i].where : c->links[i].where;
}

/* Every file, directory and link must have a unique path (within one config). */
static int unique_paths(struct pctx *x)
{
	const struct ign_cfg *c = x->c;
	size_t n[3] = {c->nfiles, c->ndirs, c->nlinks};
	for (int k = 0; k < 3; k++)
		for (size_t i = 0; i < n[k]; i++)
			for (int k2 = 0; k2 <= k; k2++)
				for (size_t j = 0; j < (k2 == k ? i : n[k2]); j++)
					if (!strcmp(node_path(c, k, i), node_path(c, k2, j)))
						return perr(x, -EINVAL, node_where(c, k, i), "duplicate entry (same path as %s)",
							node_where(c, k2, j));
	return 0;
}

static const struct key storage_keys[] = {
	{"disks", 0, K_UNSUPPORTED, "partitioning is done when the image is built"},
	{"raid", 0, K_UNSUPPORTED, "RAID arrays"},
	{"filesystems", 0, K_UNSUPPORTED, "the host's filesystems are fixed by the image"},
	{"luks", 2, K_UNSUPPORTED, "LUKS volumes"},
	{"files", 0}, {"directories", 0}, {"links", 0}, {0}};

/* A list member: array of objects, each parsed by fn into a calloc'd array of size-byte items.
 * The count grows before an item is parsed, so ign_free() releases a half-parsed one. */
typedef int (*item_fn)(struct pctx *x, const struct json *o, const char *path, void *item);

static int parse_list(struct pctx *x, const struct json *o, const char *key, const char *path, size_t size, void **arr,
	size_t *n, item_fn fn)
{
	const struct json *a;
	char lp[PATHN], ip[PATHN];
	int r = get_typed(x, o, key, path, JSON_ARRAY, &a);
	*arr = NULL;
	if (r || !a || !a->u.arr.n)
		return r;
	sub(lp, path, key);
	if (!(*arr = calloc(a->u.arr.n, size)))
		return perr(x, -ENOMEM, lp, "out of memory");
	for (size_t i = 0; i < a->u.arr.n; i++) {
		subi(ip, lp, i);
		(*n)++;
		if ((r = fn(x, a->u.arr.v[i], ip, (char *)*arr + i * size)))
			return r;
	}
	return 0;
}

static int parse_storage(struct pctx *x, const struct json *o)
{
	void *tmp;
	int ret;
	if (check_keys(x, o, "storage", storage_keys))
		return x->e->code;
	ret = parse_list(x, o, "files", "storage", sizeof(*x->c->files), &tmp, &x->c->nfiles, parse_file);
	x->c->files = tmp;
	if (ret)
		return ret;
	ret = parse_list(x, o, "directories", "storage", sizeof(*x->c->dirs), &tmp, &x->c->ndirs, parse_dir);
	x->c->dirs = tmp;
	if (ret)
		return ret;
	ret = parse_list(x, o, "links", "storage", sizeof(*x->c->links), &tmp, &x->c->nlinks, parse_link);
	x->c->links = tmp;
	if (ret)
		return ret;
	return unique_paths(x);
}

/* ---- systemd ------------------------------------------------------------------------------ */

static const struct key unit_keys[] = {{"name", 0}, {"enabled", 0}, {"mask", 0}, {"contents", 0}, {"dropins", 0}, {0}};
static const struct key dropin_keys[] = {{"name", 0}, {"contents", 0}, {0}};

static int check_unit_text(struct pctx *x, const char *text, const char *path)
{
	size_t line;
	const char *why = ign_unit_syntax_problem(text, &line);
	if (why)
		return perr(x, -EINVAL, path, "invalid unit content: line %zu: %s", line, why);
	return 0;
}

static int parse_dropin(struct pctx *x, const struct json *o, const char *path, void *item)
{
	struct ign_dropin *d = item;
	char p[PATHN];
	if (want_type(x, o, JSON_OBJECT, path) || check_keys(x, o, path, dropin_keys) || get_str(x, o, "name", path, &d->name) ||
		get_str(x, o, "contents", path, &d->contents))
		return x->e->code;
	if (!(d->where = keep(x, path)))
		return perr(x, -ENOMEM, path, "out of memory");
	sub(p, path, "name");
	if (!d->name || !str_ends(d->name, ".conf") || strlen(d->name) < 6)
		return perr(x, -EINVAL, p, "invalid systemd drop-in extension (must end in .conf)");
	if (strchr(d->name, '/') || d->name[0] == '.' || strlen(d->name) > 255)
		return perr(x, -EINVAL, p, "drop-in name must be a plain file name");
	sub(p, path, "contents");
	return d->contents ? check_unit_text(x, d->contents, p) : 0;
}

static int parse_unit(struct pctx *x, const struct json *o, const char *path, void *item)
{
	struct ign_unit *u = item;
	char p[PATHN];
	const char *why;
	void *tmp;
	int ret;
	if (want_type(x, o, JSON_OBJECT, path) || check_keys(x, o, path, unit_keys) || get_str(x, o, "name", path, &u->name) ||
		get_bool(x, o, "enabled", path, &u->enabled) || get_bool(x, o, "mask", path, &u->mask) ||
		get_str(x, o, "contents", path, &u->contents))
		return x->e->code;
	if (!(u->where = keep(x, path)))
		return perr(x, -ENOMEM, path, "out of memory");
	sub(p, path, "name");
	if (!u->name)
		return perr(x, -EINVAL, p, "unit name is required");
	if ((why = ign_unit_name_problem(u->name)))
		return perr(x, -EINVAL, p, "%s", why);
	sub(p, path, "contents");
	if (u->contents && check_unit_text(x, u->contents, p))
		return x->e->code;
	if (u->mask == IGN_YES && u->contents)
		return perr(x, -EINVAL, p, "a masked unit cannot have contents (the mask would hide them)");
	sub(p, path, "enabled");
	if (u->enabled == IGN_YES && strstr(u->name, "@.") && !(u->contents && strstr(u->contents, "DefaultInstance=")))
		return perr(x, -EINVAL, p, "a template unit without an instance name cannot be enabled");
	ret = parse_list(x, o, "dropins", path, sizeof(*u->dropins), &tmp, &u->ndropins, parse_dropin);
	u->dropins = tmp;
	if (ret)
		return ret;
	for (size_t i = 0; i < u->ndropins; i++)
		for (size_t j = 0; j < i; j++)
			if (!strcmp(u->dropins[i].name, u->dropins[j].name))
				return perr(x, -EINVAL, u->dropins[i].where, "duplicate entry (same name as %s)", u->dropins[j].where);
	return 0;
}

/* ---- passwd ----------------------------------------------------------------------------- */

static const struct key user_keys[] = {{"name", 0}, {"passwordHash", 0}, {"sshAuthorizedKeys", 0}, {"uid", 0},
	{"gecos", 0}, {"homeDir", 0}, {"noCreateHome", 0}, {"primaryGroup", 0}, {"groups", 0}, {"noUserGroup", 0},
	{"noLogInit", 0}, {"shell", 0}, {"system", 0}, {"shouldExist", 2}, {0}};
static const struct key group_keys[] = {{"name", 0}, {"gid", 0}, {"passwordHash", 0}, {"system", 0},
	{"shouldExist", 2}, {0}};

static int check_name(struct pctx *x, const char *name, const char *path, const char *key)
{
	char p[PATHN];
	sub(p, path, key);
	if (!name || !*name)
		return perr(x, -EINVAL, p, "name is required");
	if (!pw_valid_name(name))
		return perr(x, -EINVAL, p, "not a valid user or group name (letters, digits, '_', '.', '-'; at most 32)");
	return 0;
}

static int check_field(struct pctx *x, const char *v, const char *path, const char *key, bool abs_path)
{
	char p[PATHN];
	if (!v)
		return 0;
	sub(p, path, key);
	if (!pw_valid_field(v))
		return perr(x, -EINVAL, p, "must not contain ':' or control characters");
	if (abs_path && strcmp(v, "/") && ign_path_problem(v))
		return perr(x, -EINVAL, p, "must be an absolute, fully simplified path");
	return 0;
}

static int parse_user(struct pctx *x, const struct json *o, const char *path, void *item)
{
	struct ign_user *u = item;
	char p[PATHN], q[PATHN];
	if (want_type(x, o, JSON_OBJECT, path) || check_keys(x, o, path, user_keys) || get_str(x, o, "name", path, &u->name) ||
		get_str(x, o, "passwordHash", path, &u->password_hash) ||
		get_strs(x, o, "sshAuthorizedKeys", path, &u->ssh_keys, &u->nssh_keys, NULL) ||
		get_u32(x, o, "uid", path, &u->has_uid, &u->uid) || get_str(x, o, "gecos", path, &u->gecos) ||
		get_str(x, o, "homeDir", path, &u->home) || get_bool(x, o, "noCreateHome", path, &u->no_create_home) ||
		get_str(x, o, "primaryGroup", path, &u->primary_group) ||
		get_strs(x, o, "groups", path, &u->groups, &u->ngroups, &u->has_groups) ||
		get_bool(x, o, "noUserGroup", path, &u->no_user_group) || get_bool(x, o, "noLogInit", path, &u->no_log_init) ||
		get_str(x, o, "shell", path, &u->shell) || get_bool(x, o, "system", path, &u->system) ||
		get_bool(x, o, "shouldExist", path, &u->should_exist))
		return x->e->code;
	if (!(u->where = keep(x, path)))
		return perr(x, -ENOMEM, path, "out of memory");
	if (check_name(x, u->name, path, "name") || check_field(x, u->password_hash, path, "passwordHash", false) ||
		check_field(x, u->gecos, path, "gecos", false) || check_field(x, u->home, path, "homeDir", true) ||
		check_field(x, u->shell, path, "shell", true) ||
		(u->primary_group && check_name(x, u->primary_group, path, "primaryGroup")))
		return x->e->code;
	sub(p, path, "groups");
	for (size_t i = 0; i < u->ngroups; i++) {
		subi(q, p, i);
		if (!pw_valid_name(u->groups[i]))
			return perr(x, -EINVAL, q, "not a valid group name");
	}
	sub(p, path, "sshAuthorizedKeys");
	for (size_t i = 0; i < u->nssh_keys; i++) {
		subi(q, p, i);
		for (const char *s = u->ssh_keys[i]; *s; s++)
			if (((unsigned char)*s < 0x20 && *s != '\t') || *s == 0x7f)
				return perr(x, -EINVAL, q, "control character (newline) in an SSH key");
	}
	return 0;
}

static int parse_group(struct pctx *x, const struct json *o, const char *path, void *item)
{
	struct ign_group *g = item;
	if (want_type(x, o, JSON_OBJECT, path) || check_keys(x, o, path, group_keys) || get_str(x, o, "name", path, &g->name) ||
		get_u32(x, o, "gid", path, &g->has_gid, &g->gid) || get_str(x, o, "passwordHash", path, &g->password_hash) ||
		get_bool(x, o, "system", path, &g->system) || get_bool(x, o, "shouldExist", path, &g->should_exist))
		return x->e->code;
	if (!(g->where = keep(x, path)))
		return perr(x, -ENOMEM, path, "out of memory");
	if (check_name(x, g->name, path, "name") || check_field(x, g->password_hash, path, "passwordHash", false))
		return x->e->code;
	return 0;
}

/* ---- top level ------------------------------------------------------------------------- */

static const struct key root_keys[] = {{"ignition", 0}, {"storage", 0}, {"systemd", 0}, {"passwd", 0},
	{"kernelArguments", 3}, {0}};
static const struct key ignition_keys[] = {{"version", 0}, {"config", 0}, {"timeouts", 0}, {"security", 0},
	{"proxy", 1, K_UNSUPPORTED, "HTTP proxies"}, {0}};
static const struct key config_keys[] = {{"merge", 0}, {"replace", 0}, {0}};
static const struct key timeouts_keys[] = {{"httpResponseHeaders", 0}, {"httpTotal", 0}, {0}};
static const struct key security_keys[] = {{"tls", 0}, {0}};
static const struct key tls_keys[] = {{"certificateAuthorities", 0}, {0}};
static const struct key systemd_keys[] = {{"units", 0}, {0}};
static const struct key passwd_keys[] = {{"users", 0}, {"groups", 0}, {0}};
static const struct key kargs_keys[] = {{"shouldExist", 0}, {"shouldNotExist", 0}, {0}};

static int parse_config_res(struct pctx *x, const struct json *o, const char *path, void *item)
{
	return parse_res(x, o, path, item, RES_CONFIG, true);
}

static int unique_sources(struct pctx *x, const struct ign_res *v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		for (size_t j = 0; j < i; j++)
			if (!strcmp(v[i].source, v[j].source))
				return perr(x, -EINVAL, v[i].where, "duplicate entry (same source as %s)", v[j].where);
	return 0;
}

static int parse_ignition(struct pctx *x, const struct json *o)
{
	const struct json *cfg, *t, *sec, *tls, *rep;
	void *tmp;
	bool has;
	int64_t v;
	int ret;
	if (check_keys(x, o, "ignition", ignition_keys))
		return x->e->code;
	if ((ret = get_typed(x, o, "config", "ignition", JSON_OBJECT, &cfg)))
		return ret;
	if (cfg) {
		if (check_keys(x, cfg, "ignition.config", config_keys))
			return x->e->code;
		ret = parse_list(x, cfg, "merge", "ignition.config", sizeof(*x->c->merge), &tmp, &x->c->nmerge, parse_config_res);
		x->c->merge = tmp;
		if (ret)
			return ret;
		if ((ret = unique_sources(x, x->c->merge, x->c->nmerge)))
			return ret;
		if ((ret = get_typed(x, cfg, "replace", "ignition.config", JSON_OBJECT, &rep)))
			return ret;
		if (rep) {
			if ((ret = parse_res(x, rep, "ignition.config.replace", &x->c->replace, RES_CONFIG, false)))
				return ret;
			x->c->has_replace = x->c->replace.source != NULL;
			if (x->c->replace.source && !*x->c->replace.source)
				return perr(x, -EINVAL, "ignition.config.replace.source", "source is required");
		}
	}
	if ((ret = get_typed(x, o, "timeouts", "ignition", JSON_OBJECT, &t)))
		return ret;
	if (t) {
		if (check_keys(x, t, "ignition.timeouts", timeouts_keys) ||
			get_int(x, t, "httpResponseHeaders", "ignition.timeouts", 0, 86400, &has, &v))
			return x->e->code;
		x->c->has_header_timeout = has;
		x->c->header_timeout = (uint32_t)v;
		if (get_int(x, t, "httpTotal", "ignition.timeouts", 0, 86400 * 7, &has, &v))
			return x->e->code;
		x->c->has_total_timeout = has;
		x->c->total_timeout = (uint32_t)v;
	}
	if ((ret = get_typed(x, o, "security", "ignition", JSON_OBJECT, &sec)))
		return ret;
	if (sec) {
		if (check_keys(x, sec, "ignition.security", security_keys) ||
			get_typed(x, sec, "tls", "ignition.security", JSON_OBJECT, &tls))
			return x->e->code;
		if (tls) {
			if (check_keys(x, tls, "ignition.security.tls", tls_keys))
				return x->e->code;
			ret = parse_list(x, tls, "certificateAuthorities", "ignition.security.tls", sizeof(*x->c->cas), &tmp, &x->c->ncas, parse_config_res);
			x->c->cas = tmp;
			if (ret)
				return ret;
			if ((ret = unique_sources(x, x->c->cas, x->c->ncas)))
				return ret;
		}
	}
	return 0;
}

static int parse_version(struct pctx *x, const struct json *root)
{
	const struct json *ig = json_get(root, "ignition"), *v;
	if (!ig || ig->type != JSON_OBJECT)
		return perr(x, -EINVAL, "ignition", "required object missing (every Ignition config has ignition.version)");
	v = json_get(ig, "version");
	if (!v || v->type != JSON_STRING)
		return perr(x, -EINVAL, "ignition.version", "invalid config version (couldn't parse)");
	const char *s = v->u.str.s;
	if (v->u.str.len == 5 && !strncmp(s, "3.", 2) && s[2] >= '0' && s[2] <= '0' + IGN_MINOR_MAX && !strcmp(s + 3, ".0")) {
		x->minor = x->c->minor = s[2] - '0';
		return 0;
	}
	return perr(x, -EINVAL, "ignition.version", "unsupported config version (keel reads 3.0.0 to 3.%d.0)", IGN_MINOR_MAX);
}

static int parse_root(struct pctx *x, const struct json *root)
{
	const struct json *o;
	void *tmp;
	int ret;
	if (root->type != JSON_OBJECT)
		return perr(x, -EINVAL, "(config)", "must be a JSON object");
	if ((ret = parse_version(x, root)) || check_keys(x, root, "", root_keys) ||
		(ret = parse_ignition(x, json_get(root, "ignition"))))
		return ret ? ret : x->e->code;
	if ((ret = get_typed(x, root, "storage", "", JSON_OBJECT, &o)) || (o && (ret = parse_storage(x, o))))
		return ret;
	if ((ret = get_typed(x, root, "systemd", "", JSON_OBJECT, &o)))
		return ret;
	if (o) {
		if (check_keys(x, o, "systemd", systemd_keys))
			return x->e->code;
		ret = parse_list(x, o, "units", "systemd", sizeof(*x->c->units), &tmp, &x->c->nunits, parse_unit);
		x->c->units = tmp;
		if (ret)
			return ret;
		for (size_t i = 0; i < x->c->nunits; i++)
			for (size_t j = 0; j < i; j++)
				if (!strcmp(x->c->units[i].name, x->c->units[j].name))
					return perr(x, -EINVAL, x->c->units[i].where, "duplicate entry (same name as %s)", x->c->units[j].where);
	}
	if ((ret = get_typed(x, root, "passwd", "", JSON_OBJECT, &o)))
		return ret;
	if (o) {
		if (check_keys(x, o, "passwd", passwd_keys))
			return x->e->code;
		ret = parse_list(x, o, "users", "passwd", sizeof(*x->c->users), &tmp, &x->c->nusers, parse_user);
		x->c->users = tmp;
		if (ret)
			return ret;
		ret = parse_list(x, o, "groups", "passwd", sizeof(*x->c->groups), &tmp, &x->c->ngroups, parse_group);
		x->c->groups = tmp;
		if (ret)
			return ret;
		for (size_t i = 0; i < x->c->nusers; i++)
			for (size_t j = 0; j < i; j++)
				if (!strcmp(x->c->users[i].name, x->c->users[j].name))
					return perr(x, -EINVAL, x->c->users[i].where, "duplicate entry (same name as %s)", x->c->users[j].where);
		for (size_t i = 0; i < x->c->ngroups; i++)
			for (size_t j = 0; j < i; j++)
				if (!strcmp(x->c->groups[i].name, x->c->groups[j].name))
					return perr(x, -EINVAL, x->c->groups[i].where, "duplicate entry (same name as %s)", x->c->groups[j].where);
	}
	if ((ret = get_typed(x, root, "kernelArguments", "", JSON_OBJECT, &o)))
		return ret;
	if (o) {
		struct ign_cfg *c = x->c;
		if (check_keys(x, o, "kernelArguments", kargs_keys) ||
			get_strs(x, o, "shouldExist", "kernelArguments", &c->kargs_add, &c->nkargs_add, NULL) ||
			get_strs(x, o, "shouldNotExist", "kernelArguments", &c->kargs_del, &c->nkargs_del, NULL))
			return x->e->code;
		for (size_t i = 0; i < c->nkargs_del; i++)
			for (size_t j = 0; j < c->nkargs_add; j++)
				if (!strcmp(c->kargs_del[i], c->kargs_add[j])) {
					char p[PATHN];
					snprintf(p, sizeof(p), "kernelArguments.shouldNotExist[%zu]", i);
					return perr(x, -EINVAL, p, "duplicate entry (also in kernelArguments.shouldExist[%zu])", j);
				}
	}
	return 0;
}

const char *ign_version(const struct ign_cfg *c)
{
	static const char *const v[] = {"3.0.0", "3.1.0", "3.2.0", "3.3.0", "3.4.0", "3.5.0"};
	return c->minor >= 0 && c->minor <= IGN_MINOR_MAX ? v[c->minor] : "3.?.0";
}

int ign_parse(struct ign_cfg **out, const void *data, size_t len, const char *label, struct kerr *e)
{
	struct ign_cfg *c = calloc(1, sizeof(*c));
	struct kerr local = {0};
	/* The checks read the code back from the record ("return x->e->code" after a chain of
	 * calls); e may be NULL (err.h), so they get a record of their own then. */
	struct pctx x = {.c = c, .e = e ? e : &local};
	int ret;

	*out = NULL;
	if (!c || !(c->docs = calloc(1, sizeof(*c->docs))))
		goto nomem;
	c->ndocs = 1;
	if (label && !(c->label = keep_str(&x, label)))
		goto nomem;
	if ((ret = json_parse(&c->docs[0], data, len, &ign_json_limits, e))) {
		kerr_wrap(e, ret, "%s", label ? label : "config");
		ign_free(c);
		return ret;
	}
	if ((ret = parse_root(&x, c->docs[0].root))) {
		ign_free(c);
		return ret;
	}
	*out = c;
	return 0;
nomem:
	ign_free(c);
	return kerr_set(e, -ENOMEM, "out of memory");
}

static void free_res(struct ign_res *r)
{
	free(r->headers);
}

void ign_free(struct ign_cfg *c)
{
	if (!c)
		return;
	for (size_t i = 0; i < c->nmerge; i++)
		free_res(&c->merge[i]);
	free(c->merge);
	free_res(&c->replace);
	for (size_t i = 0; i < c->ncas; i++)
		free_res(&c->cas[i]);
	free(c->cas);
	for (size_t i = 0; i < c->nfiles; i++) {
		free_res(&c->files[i].contents);
		for (size_t j = 0; j < c->files[i].nappend; j++)
			free_res(&c->files[i].append[j]);
		free(c->files[i].append);
	}
	free(c->files);
	free(c->dirs);
	free(c->links);
	for (size_t i = 0; i < c->nunits; i++)
		free(c->units[i].dropins);
	free(c->units);
	for (size_t i = 0; i < c->nusers; i++) {
		free(c->users[i].ssh_keys);
		free(c->users[i].groups);
	}
	free(c->users);
	free(c->groups);
	free(c->kargs_add);
	free(c->kargs_del);
	for (size_t i = 0; i < c->ndocs; i++)
		json_free_secret(&c->docs[i]);
	free(c->docs);
	for (size_t i = 0; i < c->nstrs; i++)
		free(c->strs[i]);
	free(c->strs);
	free(c);
}
