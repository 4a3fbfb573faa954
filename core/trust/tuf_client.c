/* tuf_client.c — the TUF client workflow (specification 1.0.x, 5.3-5.7) over a fetcher, with
 * the trusted metadata kept in a trust directory (root.json, timestamp.json, snapshot.json,
 * targets.json). Every read is bounded; a refresh writes nothing unless all of it succeeded. */
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

static const uint64_t role_max[TUF_NROLES] = {TUF_ROOT_MAX, TUF_TIMESTAMP_MAX, TUF_SNAPSHOT_MAX, TUF_TARGETS_MAX};

int tuf_name_ok(const char *name)
{
	size_t n = strlen(name), part = 0;
	if (!n || n > TUF_NAME_MAX || name[0] == '/')
		return 0;
	for (size_t i = 0; i <= n; i++) {
		if (i == n || name[i] == '/') {
			const char *p = name + i - part;
			if (!part || (part == 1 && p[0] == '.') || (part == 2 && p[0] == '.' && p[1] == '.'))
				return 0;
			part = 0;
		} else if (name[i] < 0x20 || name[i] > 0x7e || name[i] == '\\') {
			return 0;
		} else {
			part++;
		}
	}
	return 1;
}

int tuf_fetch_dir(void *ctx, const char *path, uint64_t max, tuf_sink_fn sink, void *sctx, struct kerr *e)
{
	uint8_t b[65536];
	uint64_t total = 0;
	struct stat st;
	int ret, fd = fs_open_beneath(*(int *)ctx, path, O_RDONLY, 0);

	if (fd < 0)
		return kerr_set(e, fd, "%s: %s", path, kerr_strerror(fd));
	if (fstat(fd, &st) || !S_ISREG(st.st_mode)) {
		ret = kerr_set(e, -EINVAL, "%s: not a regular file", path);
		goto out;
	}
	for (;;) {
		ssize_t r = fs_read_upto(fd, b, sizeof(b), -1);
		if (r <= 0) {
			ret = r ? kerr_set(e, (int)r, "%s: %s", path, kerr_strerror((int)r)) : 0;
			break;
		}
		total += (uint64_t)r;
		if (total > max) { /* the sink is handed at most max + 1 bytes */
			r -= (ssize_t)(total - max - 1);
			total = max + 1;
		}
		if ((ret = sink(sctx, b, (size_t)r)) || (total > max && (ret = -EFBIG)))
			break;
	}
out:
	close(fd);
	return ret;
}

struct sink_buf {
	struct buf *b;
	uint64_t max;
};

static int to_buf(void *ctx, const void *d, size_t n)
{
	struct sink_buf *s = ctx;
	if (n > s->max - s->b->len)
		return -EFBIG;
	return buf_put(s->b, d, n);
}

static int fetch(const struct tuf_fetch *f, const char *path, uint64_t max, struct buf *out, struct kerr *e)
{
	struct sink_buf s = {out, max};
	buf_init(out, max + 1);
	int ret = f->get(f->ctx, path, max, to_buf, &s, e);
	if (ret == -EFBIG)
		kerr_set(e, ret, "%s: more than %llu bytes (endless data refused)", path, (unsigned long long)max);
	else if (!ret && !out->len)
		ret = kerr_set(e, -EINVAL, "%s: empty", path);
	if (ret)
		buf_free(out);
	return ret;
}

/* Fetch, check against what the parent says (f may be NULL), parse and verify with root. */
static int get_meta(const struct tuf_fetch *src, enum tuf_role role, const char *path, const struct tuf_file *f,
	const struct tuf_root *root, struct tuf_meta **out, struct kerr *e)
{
	struct buf b;
	int ret = fetch(src, path, f && f->length ? f->length : role_max[role], &b, e);
	if (!ret && f && (ret = tuf_file_check(f, b.p, b.len, path, e)))
		buf_free(&b);
	if (!ret && !(ret = tuf_meta_parse(out, role, &b, e)) && (ret = tuf_verify(root, role, *out, e))) {
		tuf_meta_free(*out);
		*out = NULL;
	}
	return ret;
}

static void put(struct tuf_client *c, enum tuf_role r, struct tuf_meta *m)
{
	if (c->m[r] && m->raw.len == c->m[r]->raw.len && !memcmp(m->raw.p, c->m[r]->raw.p, m->raw.len)) {
		tuf_meta_free(m); /* the same bytes: nothing to write */
		return;
	}
	tuf_meta_free(c->m[r]);
	c->m[r] = m;
	c->written |= 1u << r;
}

static int expired(const struct tuf_client *c, enum tuf_role r, struct kerr *e)
{
	char t[21];
	if (c->m[r]->expires > c->now)
		return 0;
	tuf_time_format(c->m[r]->expires, t);
	return kerr_set(e, -EBADMSG, "%s.json version %llu expired at %s (a freeze)", tuf_role_names[r],
		(unsigned long long)c->m[r]->version, t);
}

static int rollback(enum tuf_role r, uint64_t have, uint64_t got, const char *what, struct kerr *e)
{
	return kerr_set(e, -EBADMSG, "%s.json: %s version %llu is older than the trusted %llu (a rollback)",
		tuf_role_names[r], what, (unsigned long long)got, (unsigned long long)have);
}

/* Whether role r has other keys (as a set: id and key material) or another threshold in b than in a. */
static int rotated(const struct tuf_root *a, const struct tuf_root *b, enum tuf_role r)
{
	const struct tuf_rolekeys *x = &a->roles[r], *y = &b->roles[r];
	if (x->threshold != y->threshold || x->n != y->n)
		return 1;
	for (size_t i = 0; i < x->n; i++) {
		const struct tuf_key *k = &a->keys[x->idx[i]];
		size_t j = 0;
		for (; j < y->n; j++) {
			const struct tuf_key *l = &b->keys[y->idx[j]];
			if (!strcmp(k->id, l->id) && !k->k == !l->k && (!k->k || !memcmp(sig_key_id(k->k), sig_key_id(l->k), 32)))
				break;
		}
		if (j == y->n)
			return 1;
	}
	return 0;
}

/* Root N+1, N+2... from src (paths "<dir>N.root.json"), each signed by a threshold of the previous
 * root's keys and of its own, holding exactly version N+1. keep is never freed; with chain, the
 * bytes of every new root but the last are kept there for persist(). Returns how many were taken. */
static int update_root(struct tuf_client *c, const struct tuf_meta *keep, const struct tuf_fetch *src,
	const char *dir, struct buf *chain, struct kerr *e)
{
	for (int i = 0; i < TUF_MAX_ROTATIONS; i++) {
		struct tuf_meta *m;
		char path[64];
		uint64_t v = c->m[TUF_ROOT]->version + 1;
		snprintf(path, sizeof(path), "%s%llu.root.json", dir, (unsigned long long)v);
		int ret = get_meta(src, TUF_ROOT, path, NULL, c->m[TUF_ROOT]->root, &m, e);
		if (ret == -ENOENT)
			return i;
		if (ret)
			return kerr_wrap(e, ret, "root version %llu (by the keys of the trusted root)", (unsigned long long)v);
		if (m->version != v)
			ret = kerr_set(e, -EBADMSG, "%s holds version %llu: a rotation goes exactly +1", path,
				(unsigned long long)m->version);
		else if ((ret = tuf_verify(m->root, TUF_ROOT, m, e)))
			kerr_wrap(e, ret, "root version %llu (by its own keys)", (unsigned long long)v);
		if (ret) {
			tuf_meta_free(m);
			return ret;
		}
		if (c->m[TUF_ROOT] != keep) {
			if (chain) { /* its bytes go to the trust dir with the rest */
				chain[i - 1] = c->m[TUF_ROOT]->raw;
				buf_init(&c->m[TUF_ROOT]->raw, 0);
			}
			tuf_meta_free(c->m[TUF_ROOT]);
		}
		c->m[TUF_ROOT] = m;
	}
	return kerr_set(e, -EBADMSG, "root: more than %d rotations in one refresh", TUF_MAX_ROTATIONS);
}

/* The trusted files: root verified by itself (and, anchored in the image's root, the trust dir's
 * N.root.json chain from there on), the others by that root. */
static int load_trusted(struct tuf_client *c, struct kerr *e)
{
	int ret = 0, anchored = 0;
	for (int r = 0; r < TUF_NROLES && !ret; r++) {
		char name[32];
		const char *what = name;
		struct buf b = BUF_INIT(role_max[r]);
		int fd = -ENOENT;
		snprintf(name, sizeof(name), "%s.json", tuf_role_names[r]);
		if (r == TUF_ROOT && c->bootstrap && (fd = open(c->bootstrap, O_RDONLY | O_CLOEXEC)) < 0)
			fd = -errno;
		if (fd >= 0) { /* the image's root anchors the chain; the trust dir's root.json is a copy */
			anchored = 1;
			what = c->bootstrap;
			int t = fs_open_beneath(c->trustfd, name, O_RDONLY, 0);
			if (t == -ENOENT)
				c->written |= 1u << TUF_ROOT;
			else if (t >= 0)
				close(t);
		} else if (fd == -ENOENT) {
			fd = fs_open_beneath(c->trustfd, name, O_RDONLY, 0);
		}
		if (fd == -ENOENT && r != TUF_ROOT)
			continue;
		if (fd < 0) {
			ret = fd == -ENOENT ? -ENOKEY : fd;
			kerr_set(e, ret, "trusted %s: %s", what, fd == -ENOENT ? "none (no trusted root)" : kerr_strerror(fd));
			break;
		}
		ret = fs_read_fd(fd, b.max, &b);
		close(fd);
		if (ret) {
			buf_free(&b);
			kerr_set(e, ret, "trusted %s: %s", what, kerr_strerror(ret));
		} else if (!(ret = tuf_meta_parse(&c->m[r], r, &b, e)) && !(ret = tuf_verify(c->m[TUF_ROOT]->root, r, c->m[r], e)) &&
			r == TUF_ROOT && anchored) {
			struct tuf_fetch dir = {tuf_fetch_dir, &c->trustfd};
			ret = update_root(c, NULL, &dir, "", NULL, e);
			ret = ret < 0 ? ret : 0;
		}
		if (ret) { /* the trust dir itself is damaged: not an answer about the repository (exit 3) */
			int code = ret == -ENOKEY || ret == -ENOMEM ? ret : -EUCLEAN;
			if (e)
				e->code = code;
			ret = kerr_wrap(e, code, "trusted %s", what);
		}
	}
	return ret;
}

static void meta_path(const struct tuf_client *c, enum tuf_role r, uint64_t v, char *path, size_t n)
{
	if (c->m[TUF_ROOT]->root->consistent)
		snprintf(path, n, "metadata/%llu.%s.json", (unsigned long long)v, tuf_role_names[r]);
	else
		snprintf(path, n, "metadata/%s.json", tuf_role_names[r]);
}

static int update_timestamp(struct tuf_client *c, struct kerr *e)
{
	struct tuf_meta *m, *old = c->m[TUF_TIMESTAMP];
	int ret = get_meta(&c->fetch, TUF_TIMESTAMP, "metadata/timestamp.json", NULL, c->m[TUF_ROOT]->root, &m, e);
	if (ret)
		return ret;
	if (old && m->version < old->version)
		ret = rollback(TUF_TIMESTAMP, old->version, m->version, "its", e);
	else if (old && m->file.version < old->file.version)
		ret = rollback(TUF_TIMESTAMP, old->file.version, m->file.version, "snapshot", e);
	if (ret) {
		tuf_meta_free(m);
		return ret;
	}
	if (old && m->version == old->version)
		tuf_meta_free(m); /* the same version: the trusted one stays */
	else
		put(c, TUF_TIMESTAMP, m);
	return expired(c, TUF_TIMESTAMP, e);
}

/* Snapshot (as timestamp names it) or targets (as snapshot names it). */
static int update_child(struct tuf_client *c, enum tuf_role r, struct kerr *e)
{
	const struct tuf_file *f = &c->m[r - 1]->file;
	struct tuf_meta *m, *old = c->m[r];
	char path[64];
	int ret;

	meta_path(c, r, f->version, path, sizeof(path));
	if ((ret = get_meta(&c->fetch, r, path, f, c->m[TUF_ROOT]->root, &m, e)))
		return ret;
	if (m->version != f->version)
		ret = kerr_set(e, -EBADMSG, "%s.json: version %llu, %s.json names %llu (mix-and-match)", tuf_role_names[r],
			(unsigned long long)m->version, tuf_role_names[r - 1], (unsigned long long)f->version);
	else if (old && m->version < old->version)
		ret = rollback(r, old->version, m->version, "its", e);
	for (size_t i = 0; !ret && old && r == TUF_SNAPSHOT && i < old->meta->u.obj.n; i++) {
		const struct json_member *o = &old->meta->u.obj.m[i];
		struct tuf_file a, b;
		tuf_file_parse(o->val, 1, &a, NULL);
		if (tuf_file_parse(json_get(m->meta, o->key), 1, &b, NULL))
			ret = kerr_set(e, -EBADMSG, "snapshot.json: %.200s is no longer listed (a rollback)", o->key);
		else if (b.version < a.version)
			ret = rollback(TUF_SNAPSHOT, a.version, b.version, o->key, e);
	}
	if (ret) {
		tuf_meta_free(m);
		return ret;
	}
	put(c, r, m);
	return expired(c, r, e);
}

/* Write what changed: first remove the files of roles whose keys rotated (a power cut then leaves
 * nothing the new root cannot verify), then every new root as N.root.json (the chain a later load
 * verifies from the image's root on), then root.json, timestamp, snapshot, targets. */
static int persist(struct tuf_client *c, unsigned reset, const struct buf *chain, struct kerr *e)
{
	int ret = 0;
	for (int r = 1; r < TUF_NROLES && !ret; r++) {
		char name[32];
		snprintf(name, sizeof(name), "%s.json", tuf_role_names[r]);
		if ((reset & (1u << r)) && unlinkat(c->trustfd, name, 0) && errno != ENOENT)
			ret = kerr_set(e, -errno, "trust dir: remove %s: %s", name, strerror(errno));
	}
	if (!ret && reset && fsync(c->trustfd))
		ret = kerr_set(e, -errno, "trust dir: fsync: %s", strerror(errno));
	for (int i = (int)c->rotations; i > 0 && !ret; i--) {
		char name[40];
		const struct buf *b = i > 1 ? &chain[c->rotations - i] : &c->m[TUF_ROOT]->raw;
		snprintf(name, sizeof(name), "%llu.root.json", (unsigned long long)(c->m[TUF_ROOT]->version - i + 1));
		if ((ret = fs_write_atomic(c->trustfd, name, b->p, b->len, 0644)))
			kerr_set(e, ret, "trust dir: write %s: %s", name, kerr_strerror(ret));
	}
	for (int r = 0; r < TUF_NROLES && !ret; r++) {
		char name[32];
		snprintf(name, sizeof(name), "%s.json", tuf_role_names[r]);
		if ((c->written & (1u << r)) &&
			(ret = fs_write_atomic(c->trustfd, name, c->m[r]->raw.p, c->m[r]->raw.len, 0644)))
			kerr_set(e, ret, "trust dir: write %s: %s", name, kerr_strerror(ret));
	}
	return ret;
}

int tuf_refresh(struct tuf_client *c, struct kerr *e)
{
	struct tuf_meta *r0;
	struct buf *chain = calloc(TUF_MAX_ROTATIONS, sizeof(*chain));
	unsigned reset = 0;
	int ret;

	c->written = 0;
	c->rotations = 0;
	if (!chain)
		return kerr_set(e, -ENOMEM, "out of memory");
	if ((ret = load_trusted(c, e)))
		goto free;
	r0 = c->m[TUF_ROOT]; /* kept: its keys tell which roles rotate */
	if ((ret = update_root(c, r0, &c->fetch, "metadata/", chain, e)) < 0 || (c->rotations = (unsigned)ret, 0) ||
		(ret = expired(c, TUF_ROOT, e)))
		goto out;
	if (c->rotations) {
		c->written |= 1u << TUF_ROOT;
		for (int r = 1; r < TUF_NROLES; r++)
			if (c->m[r] && (tuf_verify(c->m[TUF_ROOT]->root, r, c->m[r], NULL) ||
				rotated(r0->root, c->m[TUF_ROOT]->root, r)))
				reset |= 1u << r;
		if (reset & ((1u << TUF_TIMESTAMP) | (1u << TUF_SNAPSHOT))) /* spec 5.3.11: both go */
			reset |= (1u << TUF_TIMESTAMP) | (1u << TUF_SNAPSHOT);
		for (int r = 1; r < TUF_NROLES; r++)
			if (reset & (1u << r)) {
				tuf_meta_free(c->m[r]);
				c->m[r] = NULL;
			}
	}
	if ((ret = update_timestamp(c, e)) || (ret = update_child(c, TUF_SNAPSHOT, e)) ||
		(ret = update_child(c, TUF_TARGETS, e)))
		goto out;
	ret = persist(c, reset, chain, e);
out:
	if (r0 != c->m[TUF_ROOT])
		tuf_meta_free(r0);
free:
	for (int i = 0; i < TUF_MAX_ROTATIONS; i++)
		buf_free(&chain[i]);
	free(chain);
	return ret;
}

int tuf_load(struct tuf_client *c, struct kerr *e)
{
	int ret = load_trusted(c, e);
	for (int r = 0; r < TUF_NROLES && !ret; r++)
		if (!c->m[r])
			ret = kerr_set(e, -ENOENT, "trust dir: no %s.json (refresh first)", tuf_role_names[r]);
		else
			ret = expired(c, r, e);
	if (!ret && (c->m[TUF_SNAPSHOT]->version != c->m[TUF_TIMESTAMP]->file.version ||
		c->m[TUF_TARGETS]->version != c->m[TUF_SNAPSHOT]->file.version))
		ret = kerr_set(e, -EUCLEAN, "trust dir: timestamp, snapshot and targets do not belong together");
	return ret;
}

int tuf_target(const struct tuf_client *c, const char *name, struct tuf_file *f, struct kerr *e)
{
	const struct json *t = c->m[TUF_TARGETS] ? json_get(c->m[TUF_TARGETS]->targets, name) : NULL;
	if (!t)
		return kerr_set(e, -ENOENT, "target %.200s: not in targets.json", name);
	return tuf_file_parse(t, 0, f, e);
}

struct sink_dl {
	int fd;
	uint64_t n, max;
	struct hash_ctx h[2];
};

static int to_fd(void *ctx, const void *d, size_t n)
{
	struct sink_dl *s = ctx;
	if (n > s->max - s->n)
		return -EFBIG;
	s->n += n;
	hash_update(&s->h[0], d, n);
	hash_update(&s->h[1], d, n);
	return fs_write_all(s->fd, d, n);
}

int tuf_download(const struct tuf_client *c, const char *name, const struct tuf_file *f, int fd, struct kerr *e)
{
	struct sink_dl s = {.fd = fd, .max = f->length};
	char path[TUF_NAME_MAX + 160];
	const char *base = strrchr(name, '/');
	uint8_t d[64];
	int ret;

	if (!tuf_name_ok(name))
		return kerr_set(e, -EINVAL, "target name refused: %.200s", name);
	base = base ? base + 1 : name;
	if (c->m[TUF_ROOT]->root->consistent)
		snprintf(path, sizeof(path), "targets/%.*s%.128s.%s", (int)(base - name), name, f->first, base);
	else
		snprintf(path, sizeof(path), "targets/%s", name);
	hash_init(&s.h[0], HASH_SHA256);
	hash_init(&s.h[1], HASH_SHA512);
	ret = c->fetch.get(c->fetch.ctx, path, f->length, to_fd, &s, e);
	if (ret == -EFBIG)
		kerr_set(e, ret, "target %.200s: more than its %llu bytes", name, (unsigned long long)f->length);
	else if (!ret && s.n != f->length)
		ret = kerr_set(e, -EBADMSG, "target %.200s: %llu bytes, %llu expected", name, (unsigned long long)s.n,
			(unsigned long long)f->length);
	for (int i = 0; i < 2; i++) {
		hash_final(&s.h[i], d);
		if (!ret && (f->hashes & (1u << i)) && memcmp(d, i ? f->sha512 : f->sha256, i ? 64 : 32))
			ret = kerr_set(e, -EBADMSG, "target %.200s: %s mismatch", name, i ? "sha512" : "sha256");
	}
	return ret;
}

void tuf_client_free(struct tuf_client *c)
{
	for (int r = 0; r < TUF_NROLES; r++) {
		tuf_meta_free(c->m[r]);
		c->m[r] = NULL;
	}
}
