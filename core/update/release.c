/* release.c — see release.h. */
#include "update/release.h"
#include "archive/zstd_write.h"
#include "base/buf.h"
#include "base/err.h"
#include "base/fs.h"
#include "base/json.h"
#include "trust/hash.h"
#include "trust/tuf.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static int get_u64(const struct json *v, uint64_t min, uint64_t max, uint64_t *out)
{
	if (!v || v->type != JSON_NUMBER || !v->u.num.is_int || v->u.num.i < 0 || (uint64_t)v->u.num.i < min ||
		(uint64_t)v->u.num.i > max)
		return -EINVAL;
	*out = (uint64_t)v->u.num.i;
	return 0;
}

/* Lower-case hex of exactly n bytes. */
static int get_hex(const struct json *v, uint8_t *out, size_t n)
{
	if (!v || v->type != JSON_STRING || v->u.str.len != 2 * n)
		return -EINVAL;
	for (size_t i = 0; i < v->u.str.len; i++)
		if (!strchr("0123456789abcdef", v->u.str.s[i]))
			return -EINVAL;
	return hex_decode(out, n, v->u.str.s, v->u.str.len) ? -EINVAL : 0;
}

/* Exactly these members, nothing else. */
static const char *only(const struct json *o, const char *const *keys)
{
	for (size_t i = 0; i < o->u.obj.n; i++) {
		size_t k = 0;
		while (keys[k] && strcmp(keys[k], o->u.obj.m[i].key))
			k++;
		if (!keys[k])
			return o->u.obj.m[i].key;
	}
	return NULL;
}

static int chunk_parse(const struct json *a, struct release_chunk *c)
{
	if (!a || a->type != JSON_ARRAY || a->u.arr.n != 4)
		return -EINVAL;
	if (get_u64(a->u.arr.v[0], 0, UINT64_MAX >> 1, &c->offset) ||
		get_u64(a->u.arr.v[1], 1, RELEASE_CHUNK_MAX + RELEASE_FRAME_SLACK, &c->length) ||
		get_hex(a->u.arr.v[2], c->sha256, 32) || get_u64(a->u.arr.v[3], 1, RELEASE_CHUNK_MAX, &c->size))
		return -EINVAL;
	return 0;
}

void release_chunk(const struct release *r, size_t i, struct release_chunk *c)
{
	chunk_parse(r->chunks->u.arr.v[i], c); /* checked by release_parse */
}

int release_parse(const struct json *custom, uint64_t target_len, struct release *r, struct kerr *e)
{
	static const char *const top[] = {"format", "version", "uki", "image", "verity-root", "chunks", NULL};
	static const char *const img[] = {"size", "sha512", NULL};
	const struct json *k = custom && custom->type == JSON_OBJECT ? json_get(custom, "keel-release") : NULL;
	const struct json *v, *im;
	const char *bad;
	uint64_t x, off = 0, size = 0;
	int cmp;

	memset(r, 0, sizeof(*r));
	if (!k)
		return -ENOENT;
	if (k->type != JSON_OBJECT)
		return kerr_set(e, -EINVAL, "keel-release: not an object");
	if ((bad = only(k, top)))
		return kerr_set(e, -EINVAL, "keel-release: unknown field \"%.40s\"", bad);
	if (get_u64(json_get(k, "format"), 1, 1, &x))
		return kerr_set(e, -EINVAL, "keel-release format: not 1");
	v = json_get(k, "version");
	if (!v || v->type != JSON_STRING || !v->u.str.len || v->u.str.len > MANIFEST_VERSION_MAX ||
		manifest_version_cmp(v->u.str.s, v->u.str.s, &cmp))
		return kerr_set(e, -EINVAL, "keel-release version: not 1-64 of digits and dots");
	memcpy(r->version, v->u.str.s, v->u.str.len + 1);
	v = json_get(k, "uki");
	if (!v || v->type != JSON_STRING || v->u.str.len >= sizeof(r->uki) || !tuf_name_ok(v->u.str.s))
		return kerr_set(e, -EINVAL, "keel-release uki: not a target name");
	memcpy(r->uki, v->u.str.s, v->u.str.len + 1);
	im = json_get(k, "image");
	if (!im || im->type != JSON_OBJECT || (bad = only(im, img)))
		return kerr_set(e, -EINVAL, "keel-release image: not {\"size\", \"sha512\"}");
	if (get_u64(json_get(im, "size"), 2 * MANIFEST_AREA, RELEASE_IMAGE_MAX, &r->image_size) || r->image_size % 4096)
		return kerr_set(e, -EINVAL, "keel-release image size: not a multiple of 4096 in 128 KiB..128 GiB");
	if (get_hex(json_get(im, "sha512"), r->image_sha512, 64))
		return kerr_set(e, -EINVAL, "keel-release image sha512: not 128 lower-case hex digits");
	v = json_get(k, "verity-root");
	r->verity_len = v && v->type == JSON_STRING && v->u.str.len == 128 ? 64 : 32;
	if (get_hex(v, r->verity_root, r->verity_len))
		return kerr_set(e, -EINVAL, "keel-release verity-root: not 64 or 128 lower-case hex digits");
	v = json_get(k, "chunks");
	if (!v || v->type != JSON_ARRAY || !v->u.arr.n || v->u.arr.n > RELEASE_MAX_CHUNKS)
		return kerr_set(e, -EINVAL, "keel-release chunks: not an array of 1..%u chunks", RELEASE_MAX_CHUNKS);
	for (size_t i = 0; i < v->u.arr.n; i++) {
		struct release_chunk c;
		if (chunk_parse(v->u.arr.v[i], &c))
			return kerr_set(e, -EINVAL, "keel-release chunks[%zu]: not [offset, length 1..%u, sha256, size 1..%u]", i,
				RELEASE_CHUNK_MAX + RELEASE_FRAME_SLACK, RELEASE_CHUNK_MAX);
		if (c.offset != off)
			return kerr_set(e, -EINVAL, "keel-release chunks[%zu] offset: %llu, the previous chunk ends at %llu", i,
				(unsigned long long)c.offset, (unsigned long long)off);
		off += c.length;
		size += c.size;
		if (c.length > r->clen_max)
			r->clen_max = c.length;
	}
	if (size != r->image_size)
		return kerr_set(e, -EINVAL, "keel-release chunks: %llu bytes uncompressed, image size %llu",
			(unsigned long long)size, (unsigned long long)r->image_size);
	if (off != target_len)
		return kerr_set(e, -EINVAL, "keel-release chunks: %llu bytes compressed, target length %llu",
			(unsigned long long)off, (unsigned long long)target_len);
	r->chunks = v;
	r->nchunks = v->u.arr.n;
	r->compressed = off;
	return 0;
}

/* ---- publish ---- */

struct frame_out {
	uint8_t *p;
	size_t len, cap;
};

static int frame_put(void *ctx, const void *p, size_t n)
{
	struct frame_out *o = ctx;
	if (n > o->cap - o->len)
		return -ENOSPC;
	memcpy(o->p + o->len, p, n);
	o->len += n;
	return 0;
}

int chunk_frame(const uint8_t *in, size_t n, uint8_t *out, size_t cap, size_t *len)
{
	struct frame_out o = {out, 0, cap};
	struct zstdw z;
	const struct zstdw_opts opt = {.wlog = RELEASE_WINDOW_LOG, .content_size = n};
	if (n > RELEASE_CHUNK_MAX)
		return -EINVAL;
	int ret = zstdw_init(&z, &opt, frame_put, &o);
	if (!ret && !(ret = zstdw_write(&z, in, n)))
		ret = zstdw_finish(&z);
	zstdw_free(&z);
	*len = o.len;
	return ret;
}

int release_manifest(int imgfd, struct manifest *m, struct kerr *e)
{
	uint8_t *area = malloc(MANIFEST_AREA);
	const uint8_t *text, *sig;
	size_t tl, sl;
	int cmp, ret;
	off_t end = lseek(imgfd, 0, SEEK_END);
	ret = !area ? kerr_set(e, -ENOMEM, "out of memory")
		: end < 2 * MANIFEST_AREA ? kerr_set(e, -EINVAL, "too small for a slot image")
		: fs_pread_all(imgfd, area, MANIFEST_AREA, end - MANIFEST_AREA);
	if (!ret && !(ret = manifest_split(area, MANIFEST_AREA, &text, &tl, &sig, &sl, e)))
		ret = manifest_parse(text, tl, m, e);
	free(area);
	if (ret)
		return kerr_wrap(e, ret, "slot image manifest");
	if (manifest_version_cmp(m->version, m->version, &cmp))
		return kerr_set(e, -EINVAL, "slot image manifest version %s: not digits and dots (releases are ordered)",
			m->version);
	return 0;
}

static void jw_hex(struct jw *w, const uint8_t *p, size_t n)
{
	char hex[129];
	hex_encode(hex, p, n);
	jw_str(w, hex);
}

int release_build(int imgfd, int outfd, size_t chunk, const char *uki, struct jw *w, char *version, struct kerr *e)
{
	uint8_t *in = malloc(chunk), *out = malloc(RELEASE_FRAME_BOUND(chunk)), area_d[32];
	struct hash_ctx img;
	struct manifest m;
	struct stat st;
	uint64_t off = 0, done = 0;
	int ret = 0, open_hash = 1;

	hash_init(&img, HASH_SHA512);
	if (!in || !out) {
		ret = kerr_set(e, -ENOMEM, "out of memory");
		goto out;
	}
	if (chunk < 4096 || chunk > RELEASE_CHUNK_MAX) {
		ret = kerr_set(e, -EINVAL, "chunk size %zu: not 4096..%u", chunk, RELEASE_CHUNK_MAX);
		goto out;
	}
	if (fstat(imgfd, &st) || st.st_size < 2 * MANIFEST_AREA || st.st_size % 4096 ||
		(uint64_t)st.st_size > RELEASE_IMAGE_MAX) {
		ret = kerr_set(e, -EINVAL, "slot image: %lld bytes, not a multiple of 4096 in 128 KiB..128 GiB",
			(long long)st.st_size);
		goto out;
	}
	if ((ret = release_manifest(imgfd, &m, e)))
		goto out;
	strcpy(version, m.version);
	jw_obj(w);
	jw_key(w, "keel-release");
	jw_obj(w);
	jw_key(w, "chunks");
	jw_arr(w);
	while (done < (uint64_t)st.st_size) {
		size_t n = (uint64_t)st.st_size - done < chunk ? (size_t)((uint64_t)st.st_size - done) : chunk;
		if ((ret = fs_pread_all(imgfd, in, n, (off_t)done))) {
			kerr_set(e, ret, "slot image: read at %llu: %s", (unsigned long long)done, kerr_strerror(ret));
			goto out;
		}
		hash_update(&img, in, n);
		size_t f;
		if ((ret = chunk_frame(in, n, out, RELEASE_FRAME_BOUND(chunk), &f))) {
			kerr_set(e, ret, "compress chunk at %llu: %s", (unsigned long long)done, kerr_strerror(ret));
			goto out;
		}
		if ((ret = fs_write_all(outfd, out, f))) {
			kerr_set(e, ret, "compressed image: write: %s", kerr_strerror(ret));
			goto out;
		}
		hash_once(HASH_SHA256, out, f, area_d);
		jw_arr(w);
		jw_uint(w, off);
		jw_uint(w, f);
		jw_hex(w, area_d, 32);
		jw_uint(w, n);
		jw_arr_end(w);
		off += f;
		done += n;
	}
	jw_arr_end(w);
	uint8_t d[64];
	hash_final(&img, d);
	open_hash = 0;
	jw_key(w, "format");
	jw_uint(w, 1);
	jw_key(w, "image");
	jw_obj(w);
	jw_key(w, "sha512");
	jw_hex(w, d, 64);
	jw_key(w, "size");
	jw_uint(w, done);
	jw_obj_end(w);
	jw_key(w, "uki");
	jw_str(w, uki);
	jw_key(w, "verity-root");
	jw_hex(w, m.root_hash, hash_size(m.hash));
	jw_key(w, "version");
	jw_str(w, m.version);
	jw_obj_end(w);
	jw_obj_end(w);
	if (fsync(outfd))
		ret = kerr_set(e, -errno, "compressed image: fsync: %s", kerr_strerror(errno));
out:
	if (open_hash)
		hash_free(&img);
	free(in);
	free(out);
	return ret;
}
