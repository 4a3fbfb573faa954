/* ign_load.c — fetching what a config points to (data:, file:, http(s):), with limits and
 * hash checks, and loading configs with their ignition.config.replace/merge references. */
#include "provision/ign_load.h"
#include "archive/inflate.h"
#include "base/buf.h"
#include "net/dataurl.h"
#include "base/err.h"
#include "base/fs.h"
#include "net/http.h"
#include "net/url.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define MAX_CONFIGS 64
#define MAX_DEPTH 8

void ign_env_init(struct ign_env *env)
{
	memset(env, 0, sizeof(*env));
	http_ca_init(&env->ca);
	env->system_ca = "/etc/ssl/certs/ca-certificates.crt";
	env->max_resource = 1ull << 30;
	env->max_total_timeout_s = 600;
	env->header_timeout_s = 10;
	env->retries = 8;
}

void ign_env_free(struct ign_env *env)
{
	if (!env)
		return;
	http_ca_free(&env->ca);
}

void ign_env_timeouts(struct ign_env *env, const struct ign_cfg *c)
{
	if (c->has_header_timeout)
		env->header_timeout_s = c->header_timeout;
	if (c->has_total_timeout)
		env->total_timeout_s = c->total_timeout;
}

/* ---- fetching --------------------------------------------------------------------------- */

struct hsink {
	struct hash_ctx h;
	bool hashing;
	ign_sink_fn sink;
	void *ctx;
	uint64_t n, max;
};

static int hsink_put(void *ctx, const void *data, size_t len)
{
	struct hsink *s = ctx;
	if (s->max && (s->n + len > s->max || s->n + len < s->n))
		return -EFBIG;
	s->n += len;
	if (s->hashing)
		hash_update(&s->h, data, len);
	return s->sink ? s->sink(s->ctx, data, len) : 0;
}

static int load_system_ca(struct ign_env *env, struct kerr *e)
{
	int ret;
	if (env->system_ca_loaded || !env->system_ca || !*env->system_ca)
		return 0;
	env->system_ca_loaded = true;
	ret = http_ca_add_file(&env->ca, env->system_ca, 16u << 20, e);
	if (ret == -ENOENT) /* no system bundle: only the config's authorities count */
		return 0;
	if (ret) { /* the operator's bundle, not the config, is wrong: a runtime failure */
		kerr_wrap(e, ret, "system CA bundle %s", env->system_ca);
		if (e)
			e->code = -EIO;
		return -EIO;
	}
	return 0;
}

static int fetch_http(struct ign_env *env, const struct ign_res *r, struct hsink *s, struct kerr *e)
{
	struct http_header hdr[64];
	struct http_result res;
	struct http_opts o = {0};
	int ret;

	if (r->nheaders > 64)
		return kerr_set(e, -E2BIG, "%s.httpHeaders: more than 64 headers", r->where);
	for (size_t i = 0; i < r->nheaders; i++)
		hdr[i] = (struct http_header){r->headers[i].name, r->headers[i].value};
	if (!strncasecmp(r->source, "https:", 6) && (ret = load_system_ca(env, e)))
		return ret;
	uint64_t total = env->total_timeout_s;
	if (!total || (env->max_total_timeout_s && total > env->max_total_timeout_s))
		total = env->max_total_timeout_s;
	o.header_timeout_ms = env->header_timeout_s * 1000;
	o.total_timeout_ms = total * 1000;
	o.idle_timeout_ms = env->idle_timeout_s * 1000;
	o.max_body = s->max;
	o.max_redirects = 5;
	o.retries = env->retries;
	o.headers = hdr;
	o.nheaders = r->nheaders;
	o.ca = &env->ca;
	o.proxy = &env->proxy;
	o.user_agent = "keel-provision";
	ret = http_get(r->source, &o, hsink_put, s, &res, e);
	if (ret == -EFBIG)
		kerr_set(e, ret, "more than the limit of %llu bytes", (unsigned long long)s->max);
	return ret;
}

static int fetch_file(const char *path, struct hsink *s, struct kerr *e)
{
	uint8_t chunk[65536];
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY), ret = 0;
	if (fd < 0)
		return kerr_set(e, -errno, "%s: %s", path, strerror(errno));
	for (;;) {
		ssize_t n = read(fd, chunk, sizeof(chunk));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			ret = kerr_set(e, -errno, "%s: %s", path, strerror(errno));
			break;
		}
		if (!n)
			break;
		if ((ret = hsink_put(s, chunk, (size_t)n))) {
			if (ret == -EFBIG)
				kerr_set(e, ret, "%s: more than the limit of %llu bytes", path, (unsigned long long)s->max);
			else
				kerr_set(e, ret, "%s: %s", path, strerror(-ret));
			break;
		}
	}
	close(fd);
	return ret;
}

/* compression gzip: the data decompressed, into the hashing sink (inflate enforces its max) */
static int unzip_put(void *ctx, const uint8_t *p, size_t n, struct kerr *e)
{
	int ret = hsink_put(ctx, p, n);
	return ret ? kerr_set(e, ret, "%s", strerror(-ret)) : 0;
}

static int to_buf(void *ctx, const void *data, size_t len);

int ign_fetch(struct ign_env *env, const struct ign_res *r, uint64_t max, ign_sink_fn sink, void *ctx, uint64_t *size,
	struct kerr *e)
{
	struct hsink s = {.sink = sink, .ctx = ctx, .max = max};
	/* compression gzip: the compressed bytes (as bounded as plain data) are collected first */
	struct buf zbuf = BUF_INIT(max ? max : SIZE_MAX);
	struct hsink zs = {.sink = to_buf, .ctx = &zbuf, .max = max};
	bool gzip = r->compression && !strcmp(r->compression, "gzip");
	struct hsink *f = gzip ? &zs : &s;
	struct kerr sub = {0};
	char scheme[16];
	int ret = 0;

	if (r->hash) {
		hash_init(&s.h, r->alg);
		s.hashing = true;
	}
	if (!r->source || !*r->source) {
		/* no source: empty */
	} else {
		url_scheme(r->source, scheme, sizeof(scheme));
		if (!strcmp(scheme, "data")) {
			struct buf b = BUF_INIT(max ? max : SIZE_MAX);
			ret = dataurl_decode(r->source, strlen(r->source), &b, NULL, &sub);
			if (!ret)
				ret = hsink_put(f, b.p, b.len);
			buf_free_secret(&b);
		} else if (!strcmp(scheme, "file")) {
			const char *p = r->source + 5;
			ret = fetch_file(strncmp(p, "//", 2) ? p : p + 2, f, &sub);
		} else if (!strcmp(scheme, "http") || !strcmp(scheme, "https")) {
			ret = fetch_http(env, r, f, &sub);
		} else {
			ret = kerr_set(&sub, -ENOTSUP, "%s: URLs are not supported", scheme);
		}
	}
	if (gzip && !ret) { /* Ignition: the hash describes the decompressed data */
		struct kerr zerr = {0};
		ret = inflate_mem_sink(INFLATE_GZIP, zbuf.p, zbuf.len, unzip_put, &s, max ? max : UINT64_MAX, &zerr);
		if (ret)
			kerr_set(&sub, ret, "compression gzip: %s", kerr_str(&zerr, ret));
	}
	buf_free_secret(&zbuf);
	if (ret) {
		if (s.hashing)
			hash_free(&s.h);
		return kerr_set(e, ret, "%s.source: %s", r->where, sub.msg[0] ? sub.msg : strerror(-ret));
	}
	if (s.hashing) {
		uint8_t got[HASH_MAX_SIZE];
		hash_final(&s.h, got);
		if (memcmp(got, r->digest, hash_size(r->alg)))
			return kerr_set(e, -EBADMSG, "%s.verification.hash: the %s of the data fetched does not match%s",
				r->where, hash_name(r->alg), gzip ? " (after decompression)" : "");
	}
	if (size)
		*size = s.n;
	return 0;
}

/* ---- configs ---------------------------------------------------------------------------- */

static int to_buf(void *ctx, const void *data, size_t len)
{
	return buf_put(ctx, data, len);
}

int ign_read_source(struct ign_env *env, const char *src, struct buf *out, struct kerr *e)
{
	struct ign_res r = {.source = src, .where = "config"};
	char scheme[16];
	url_scheme(src, scheme, sizeof(scheme));
	if (!scheme[0]) /* a plain path */
		return fs_read_path(AT_FDCWD, src, out->max, out, e);
	if (strcmp(scheme, "data") && strcmp(scheme, "file") && strcmp(scheme, "http") && strcmp(scheme, "https"))
		return kerr_set(e, -EINVAL, "config source: %s: URLs are not supported (file:, data:, http:, https:)", scheme);
	int ret = ign_fetch(env, &r, out->max, to_buf, out, NULL, e);
	return ret;
}

static int resolve(struct ign_env *env, struct ign_cfg **cfg, int depth, struct kerr *e);

/* Fetch and parse the config res points to, then resolve its own references. */
static int load_child(struct ign_env *env, const struct ign_res *r, int depth, struct ign_cfg **out, struct kerr *e)
{
	struct buf b = BUF_INIT(16u << 20);
	int ret;
	*out = NULL;
	if (depth >= MAX_DEPTH)
		return kerr_set(e, -E2BIG, "%s: configs nested deeper than %d", r->where, MAX_DEPTH);
	if (++env->nconfigs > MAX_CONFIGS)
		return kerr_set(e, -E2BIG, "%s: more than %d configs", r->where, MAX_CONFIGS);
	if (!(ret = ign_fetch(env, r, b.max, to_buf, &b, NULL, e)))
		ret = ign_parse(out, b.p ? (const char *)b.p : "", b.len, r->where, e);
	buf_free_secret(&b);
	if (!ret)
		ret = resolve(env, out, depth + 1, e);
	return ret;
}

static int resolve(struct ign_env *env, struct ign_cfg **cfg, int depth, struct kerr *e)
{
	struct ign_cfg *c = *cfg, *child;
	int ret;

	ign_env_timeouts(env, c);
	for (size_t i = 0; i < c->ncas; i++) { /* authorities first: they may be needed below */
		struct buf b = BUF_INIT(16u << 20);
		if (!(ret = ign_fetch(env, &c->cas[i], b.max, to_buf, &b, NULL, e)) &&
			(ret = http_ca_add(&env->ca, b.p, b.len, e)))
			kerr_wrap(e, ret, "%s", c->cas[i].where);
		buf_free(&b);
		if (ret)
			return ret;
	}
	if (c->has_replace) {
		if ((ret = load_child(env, &c->replace, depth, &child, e))) {
			ign_free(child);
			return ret;
		}
		ign_free(c);
		*cfg = child;
		return 0;
	}
	for (size_t i = 0; i < c->nmerge; i++) {
		if ((ret = load_child(env, &c->merge[i], depth, &child, e))) {
			ign_free(child);
			return ret;
		}
		if ((ret = ign_merge(c, child, e)))
			return ret;
	}
	return 0;
}

int ign_load(struct ign_env *env, const void *data, size_t len, const char *label, struct ign_cfg **out, struct kerr *e)
{
	int ret = ign_parse(out, data, len, label, e);
	if (!ret && env)
		ret = resolve(env, out, 0, e);
	if (ret) {
		ign_free(*out);
		*out = NULL;
	}
	return ret;
}
