/* oci.c — OCI image layouts: descriptors, indexes, manifests, blobs, cosign signatures. */
#include "trust/oci.h"
#include "base/buf.h"
#include "base/err.h"
#include "base/fs.h"
#include "trust/sig.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <mbedtls/base64.h>

const char OCI_INDEX_TYPE[] = "application/vnd.oci.image.index.v1+json";
const char OCI_MANIFEST_TYPE[] = "application/vnd.oci.image.manifest.v1+json";
const char COSIGN_PAYLOAD_TYPE[] = "application/vnd.dev.cosign.simplesigning.v1+json";
static const char DOCKER_LIST_TYPE[] = "application/vnd.docker.distribution.manifest.list.v2+json";
static const char DOCKER_MANIFEST_TYPE[] = "application/vnd.docker.distribution.manifest.v2+json";
static const char COSIGN_SIG_ANNOTATION[] = "dev.cosignproject.cosign/signature";
static const char COSIGN_TYPE[] = "cosign container image signature";

static int bad(struct kerr *e, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int bad(struct kerr *e, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	kerr_vset(e, -EBADMSG, fmt, ap);
	va_end(ap);
	return -EBADMSG;
}

static const char *str_member(const struct json *v, const char *key)
{
	const struct json *m = json_get(v, key);
	return m && m->type == JSON_STRING ? m->u.str.s : NULL;
}

/* "sha256:<64 hex>" or "sha512:<128 hex>", lower case as the spec requires. */
static int parse_digest(const char *s, enum hash_alg *alg, uint8_t *out, struct kerr *e)
{
	const char *colon = strchr(s, ':');
	char name[8];
	if (!colon || (size_t)(colon - s) >= sizeof(name))
		return bad(e, "digest \"%.80s\": not ALGORITHM:HEX", s);
	memcpy(name, s, (size_t)(colon - s));
	name[colon - s] = 0;
	if ((*alg = hash_alg_from_name(name)) == HASH_NONE)
		return bad(e, "digest \"%.80s\": algorithm unsupported (sha256 or sha512)", s);
	size_t hl = 2 * hash_size(*alg), len = strlen(colon + 1);
	if (len != hl || strspn(colon + 1, "0123456789abcdef") != hl || hex_decode(out, hl / 2, colon + 1, hl))
		return bad(e, "digest \"%.80s\": not %zu lower-case hex digits", s, hl);
	return 0;
}

int oci_desc_parse(const struct json *v, struct oci_desc *d, struct kerr *e)
{
	memset(d, 0, sizeof(*d));
	if (!v || v->type != JSON_OBJECT)
		return bad(e, "descriptor: not an object");
	if (!(d->media_type = str_member(v, "mediaType")) || !d->media_type[0])
		return bad(e, "descriptor at offset %zu: no mediaType", v->off);
	const char *dg = str_member(v, "digest");
	if (!dg)
		return bad(e, "descriptor at offset %zu: no digest", v->off);
	struct kerr de = {0};
	if (parse_digest(dg, &d->alg, d->digest, &de))
		return bad(e, "descriptor at offset %zu: %s", v->off, de.msg);
	str_copy(d->digest_str, sizeof(d->digest_str), dg);
	const struct json *size = json_get(v, "size");
	if (!size || size->type != JSON_NUMBER || !size->u.num.is_int || size->u.num.i < 0)
		return bad(e, "descriptor %s: size is not an integer >= 0", d->digest_str);
	d->size = (uint64_t)size->u.num.i;
	const struct json *a = json_get(v, "annotations");
	if (a) {
		if (a->type != JSON_OBJECT)
			return bad(e, "descriptor %s: annotations is not an object", d->digest_str);
		for (size_t i = 0; i < a->u.obj.n; i++)
			if (a->u.obj.m[i].val->type != JSON_STRING)
				return bad(e, "descriptor %s: annotation %.80s is not a string", d->digest_str, a->u.obj.m[i].key);
		d->annotations = a;
	}
	return 0;
}

const char *oci_desc_annotation(const struct oci_desc *d, const char *key)
{
	return d->annotations ? str_member(d->annotations, key) : NULL;
}

void oci_doc_free(struct oci_doc *d)
{
	if (!d)
		return;
	free(d->descs);
	json_free(&d->json);
	memset(d, 0, sizeof(*d));
}

int oci_is_index_type(const char *t) { return !strcmp(t, OCI_INDEX_TYPE) || !strcmp(t, DOCKER_LIST_TYPE); }
int oci_is_manifest_type(const char *t) { return !strcmp(t, OCI_MANIFEST_TYPE) || !strcmp(t, DOCKER_MANIFEST_TYPE); }

static int parse_descs(struct oci_doc *d, const struct json *arr, const char *field, struct kerr *e)
{
	if (!arr || arr->type != JSON_ARRAY)
		return bad(e, "%s: missing or not an array", field);
	if (arr->u.arr.n > OCI_MAX_DESCS)
		return bad(e, "%s: %zu entries, more than %d", field, arr->u.arr.n, OCI_MAX_DESCS);
	if (arr->u.arr.n && !(d->descs = calloc(arr->u.arr.n, sizeof(*d->descs))))
		return kerr_set(e, -ENOMEM, "out of memory");
	for (size_t i = 0; i < arr->u.arr.n; i++) {
		struct kerr de = {0};
		if (oci_desc_parse(arr->u.arr.v[i], &d->descs[i], &de))
			return bad(e, "%s[%zu]: %s", field, i, de.msg);
	}
	d->n = arr->u.arr.n;
	return 0;
}

int oci_doc_parse(struct oci_doc *d, const void *buf, size_t len, int want_index, struct kerr *e)
{
	struct json_limits lim = json_default_limits;
	struct kerr je = {0};
	int ret;
	memset(d, 0, sizeof(*d));
	d->is_index = want_index;
	lim.max_bytes = OCI_MAX_JSON;
	if ((ret = json_parse(&d->json, buf, len, &lim, &je)))
		return ret == -ENOMEM ? kerr_set(e, ret, "out of memory") : bad(e, "JSON: %s", je.msg);
	const struct json *root = d->json.root;
	if (root->type != JSON_OBJECT)
		ret = bad(e, "not a JSON object");
	else if (!json_get(root, "schemaVersion") || json_get(root, "schemaVersion")->type != JSON_NUMBER ||
		!json_get(root, "schemaVersion")->u.num.is_int || json_get(root, "schemaVersion")->u.num.i != 2)
		ret = bad(e, "schemaVersion is not 2");
	else if (json_get(root, "mediaType") && (!str_member(root, "mediaType") ||
		(want_index ? !oci_is_index_type(str_member(root, "mediaType")) : !oci_is_manifest_type(str_member(root, "mediaType")))))
		ret = bad(e, "mediaType is not that of an image %s", want_index ? "index" : "manifest");
	else if (want_index)
		ret = parse_descs(d, json_get(root, "manifests"), "manifests", e);
	else if (!(ret = parse_descs(d, json_get(root, "layers"), "layers", e))) {
		struct kerr de = {0};
		if (oci_desc_parse(json_get(root, "config"), &d->config, &de))
			ret = bad(e, "config: %s", de.msg);
	}
	if (ret)
		oci_doc_free(d);
	return ret;
}

/* ---- the walk ------------------------------------------------------------------------------ */

struct cosign_sig {
	char blob[OCI_DIGEST_MAX];  /* the payload layer */
	char names[OCI_DIGEST_MAX]; /* critical.image.docker-manifest-digest */
	int ok;                     /* verified with a trusted key */
	uint8_t key_id[32];
};

struct walk {
	int fd;
	const struct sig_keyring *keys;
	struct oci_result *r;
	struct kerr *e;
	size_t visited;
	char (*seen)[OCI_DIGEST_MAX];
	uint64_t *seen_size; /* the size each was verified with */
	uint8_t *walked; /* indexes and manifests walked already, children and all */
	size_t nseen;
	struct cosign_sig *sigs;
	size_t nsigs;
};

/* 1 + the index of digest among the blobs verified so far, or 0. */
static size_t seen(const struct walk *w, const char *digest)
{
	for (size_t i = 0; i < w->nseen; i++)
		if (!strcmp(w->seen[i], digest))
			return i + 1;
	return 0;
}

/* A blob verified already is not read again, but every descriptor of it must give its size. */
static int seen_size_ok(struct walk *w, size_t at, const struct oci_desc *d, const char *what)
{
	if (w->seen_size[at - 1] == d->size)
		return 0;
	return bad(w->e, "blob %s (%s): %" PRIu64 " bytes, its descriptor says size %" PRIu64, d->digest_str, what,
		w->seen_size[at - 1], d->size);
}

/* Size first, then digest. keep: read the blob into it (for JSON documents and payloads). */
static int check_blob(struct walk *w, const struct oci_desc *d, const char *what, struct buf *keep)
{
	char path[OCI_DIGEST_MAX + 8];
	struct stat st;
	int ret = 0;
	size_t at = seen(w, d->digest_str);
	if (at && (ret = seen_size_ok(w, at, d, what)))
		return ret;
	if (!keep && at)
		return 0;
	str_fmt(path, sizeof(path), "blobs/%s/%s", hash_name(d->alg), strchr(d->digest_str, ':') + 1);
	int fd = fs_open_beneath(w->fd, path, O_RDONLY | O_NOCTTY, 0);
	if (fd < 0)
		return fd == -ENOENT ? bad(w->e, "blob %s (%s): missing", d->digest_str, what)
				     : bad(w->e, "blob %s (%s): %s", d->digest_str, what, strerror(-fd));
	if (fstat(fd, &st) || !S_ISREG(st.st_mode)) {
		ret = bad(w->e, "blob %s (%s): not a regular file", d->digest_str, what);
		goto out;
	}
	if ((uint64_t)st.st_size != d->size) {
		ret = bad(w->e, "blob %s (%s): %" PRIu64 " bytes, its descriptor says %" PRIu64 " (%s)", d->digest_str, what,
			(uint64_t)st.st_size, d->size, (uint64_t)st.st_size > d->size ? "larger" : "truncated");
		goto out;
	}
	uint8_t got[HASH_MAX_SIZE];
	uint64_t n = 0;
	if (keep) {
		buf_reset(keep);
		if (!(ret = fs_read_fd(fd, keep->max, keep)) && keep->len != d->size)
			ret = -EIO;
		if (!ret)
			ret = hash_once(d->alg, keep->p, keep->len, got);
		n = keep->len;
	} else {
		ret = hash_fd(d->alg, fd, got, &n);
	}
	if (ret) {
		ret = ret == -EFBIG ? bad(w->e, "blob %s (%s): too large to parse", d->digest_str, what)
				    : kerr_set(w->e, ret, "blob %s (%s): read: %s", d->digest_str, what, strerror(-ret));
		goto out;
	}
	if (n != d->size || memcmp(got, d->digest, hash_size(d->alg))) {
		char hex[2 * HASH_MAX_SIZE + 1];
		hex_encode(hex, got, hash_size(d->alg));
		ret = bad(w->e, "blob %s (%s): content hashes to %s:%s", d->digest_str, what, hash_name(d->alg), hex);
		goto out;
	}
	w->r->bytes += n;
	if (!at && w->nseen < OCI_MAX_BLOBS) {
		w->walked[w->nseen] = 0;
		w->seen_size[w->nseen] = n;
		str_copy(w->seen[w->nseen++], OCI_DIGEST_MAX, d->digest_str);
	}
out:
	close(fd);
	return ret;
}

/* A cosign simple-signing layer of the signature manifest tagged for the image want: payload in
 * payload, signature in the layer's annotation; the payload must name want. */
static int collect_sig(struct walk *w, const struct oci_desc *layer, const struct buf *payload, const char *want)
{
	struct cosign_sig *s = &w->sigs[w->nsigs];
	struct json_doc doc = {0};
	struct kerr je = {0};
	int ret;
	const char *b64 = oci_desc_annotation(layer, COSIGN_SIG_ANNOTATION);
	if (!b64)
		return bad(w->e, "signature blob %s: no %s annotation", layer->digest_str, COSIGN_SIG_ANNOTATION);
	memset(s, 0, sizeof(*s));
	str_copy(s->blob, sizeof(s->blob), layer->digest_str);
	if ((ret = json_parse(&doc, payload->p, payload->len, NULL, &je)))
		return ret == -ENOMEM ? kerr_set(w->e, ret, "out of memory")
				      : bad(w->e, "signature blob %s: payload: %s", s->blob, je.msg);
	const struct json *crit = json_get(doc.root, "critical");
	const char *type = str_member(crit, "type");
	const char *names = str_member(json_get(crit, "image"), "docker-manifest-digest");
	enum hash_alg alg;
	uint8_t dg[HASH_MAX_SIZE];
	if (!type || strcmp(type, COSIGN_TYPE))
		ret = bad(w->e, "signature blob %s: critical.type is not \"%s\"", s->blob, COSIGN_TYPE);
	else if (!names || parse_digest(names, &alg, dg, &je))
		ret = bad(w->e, "signature blob %s: critical.image.docker-manifest-digest missing or malformed", s->blob);
	else if (strcmp(names, want))
		ret = bad(w->e, "signature blob %s: signs %.80s, not %s, the image its tag names", s->blob, names, want);
	else
		str_copy(s->names, sizeof(s->names), names);
	json_free(&doc);
	if (ret)
		return ret;
	uint8_t sig[2048], d[32];
	size_t siglen = 0, bl = strlen(b64);
	if (mbedtls_base64_decode(sig, sizeof(sig), &siglen, (const unsigned char *)b64, bl))
		return bad(w->e, "signature blob %s: %s is not base64 of at most 2048 bytes", s->blob, COSIGN_SIG_ANNOTATION);
	hash_once(HASH_SHA256, payload->p, payload->len, d);
	const struct sig_key *which = NULL;
	if (w->keys && !sig_keyring_verify_digest(w->keys, NULL, -1, HASH_SHA256, d, sig, siglen, &which, NULL)) {
		s->ok = 1;
		memcpy(s->key_id, sig_key_id(which), 32);
	}
	w->nsigs++;
	w->r->signatures++;
	return 0;
}

static int walk_desc(struct walk *w, const struct oci_desc *d, unsigned depth, const char *what);

static int walk_manifest(struct walk *w, const struct oci_desc *d, const struct buf *b)
{
	struct oci_doc doc;
	struct kerr pe = {0};
	char what[OCI_DIGEST_MAX + 40];
	int ret = oci_doc_parse(&doc, b->p, b->len, 0, &pe);
	if (ret)
		return ret == -EBADMSG ? bad(w->e, "manifest %s: %s", d->digest_str, pe.msg) : kerr_set(w->e, ret, "%s", pe.msg);
	w->r->manifests++;
	str_fmt(what, sizeof(what), "config of %s", d->digest_str);
	if ((ret = check_blob(w, &doc.config, what, NULL)))
		goto out;
	w->r->configs++;
	for (size_t i = 0; i < doc.n; i++) {
		str_fmt(what, sizeof(what), "layer %zu of %s", i, d->digest_str);
		if (++w->visited > OCI_MAX_BLOBS) {
			ret = bad(w->e, "more than %d descriptors", OCI_MAX_BLOBS);
			goto out;
		}
		if ((ret = check_blob(w, &doc.descs[i], what, NULL)))
			goto out;
		w->r->layers++;
	}
out:
	oci_doc_free(&doc);
	return ret;
}

static int walk_index(struct walk *w, const struct oci_desc *d, const struct buf *b, unsigned depth)
{
	struct oci_doc doc;
	struct kerr pe = {0};
	char what[OCI_DIGEST_MAX + 40];
	int ret = oci_doc_parse(&doc, b->p, b->len, 1, &pe);
	if (ret)
		return ret == -EBADMSG ? bad(w->e, "index %s: %s", d->digest_str, pe.msg) : kerr_set(w->e, ret, "%s", pe.msg);
	w->r->indexes++;
	for (size_t i = 0; i < doc.n && !ret; i++) {
		str_fmt(what, sizeof(what), "manifests[%zu] of %s", i, d->digest_str);
		ret = walk_desc(w, &doc.descs[i], depth + 1, what);
	}
	oci_doc_free(&doc);
	return ret;
}

static int walk_desc(struct walk *w, const struct oci_desc *d, unsigned depth, const char *what)
{
	int idx = oci_is_index_type(d->media_type), man = oci_is_manifest_type(d->media_type), ret;
	if (++w->visited > OCI_MAX_BLOBS)
		return bad(w->e, "more than %d descriptors", OCI_MAX_BLOBS);
	if (depth > OCI_MAX_DEPTH)
		return bad(w->e, "blob %s (%s): indexes nested deeper than %d", d->digest_str, what, OCI_MAX_DEPTH);
	if (!idx && !man) { /* unknown media type: tolerated, checked as a blob */
		if (!(ret = check_blob(w, d, what, NULL)))
			w->r->others++;
		return ret;
	}
	if (d->size > OCI_MAX_JSON)
		return bad(w->e, "blob %s (%s): %" PRIu64 " bytes, more than %d for an %s", d->digest_str, what, d->size,
			OCI_MAX_JSON, idx ? "index" : "manifest");
	size_t at = seen(w, d->digest_str);
	if (at && (ret = seen_size_ok(w, at, d, what)))
		return ret;
	if (at && w->walked[at - 1]) /* the same digest, the same bytes: walked already */
		return 0;
	struct buf b = BUF_INIT(OCI_MAX_JSON);
	if (!(ret = check_blob(w, d, what, &b)))
		ret = idx ? walk_index(w, d, &b, depth) : walk_manifest(w, d, &b);
	buf_free(&b);
	if (!ret && (at = seen(w, d->digest_str)))
		w->walked[at - 1] = 1;
	return ret;
}

/* ---- cosign signatures --------------------------------------------------------------------- */

/* cosign tags the signatures of the manifest "<alg>:<hex>" "<alg>-<hex>.sig": the digest such a
 * ref names, into out; -1 if ref is no such tag. */
static int sig_tag_names(const char *ref, char out[OCI_DIGEST_MAX])
{
	size_t n = ref ? strlen(ref) : 0;
	const char *dash = ref ? strchr(ref, '-') : NULL;
	enum hash_alg alg;
	uint8_t dg[HASH_MAX_SIZE];
	if (!dash || n < 4 || n - 4 >= OCI_DIGEST_MAX || strcmp(ref + n - 4, ".sig"))
		return -1;
	memcpy(out, ref, n - 4);
	out[n - 4] = 0;
	out[dash - ref] = ':';
	return parse_digest(out, &alg, dg, NULL) ? -1 : 0;
}

static const char *ref_of(const struct oci_desc *d) { return oci_desc_annotation(d, "org.opencontainers.image.ref.name"); }

/* An entry of index.json tagged as cosign signatures: a manifest whose ref is "<alg>-<hex>.sig";
 * names gets "<alg>:<hex>". */
static int sig_tagged(const struct oci_desc *d, char names[OCI_DIGEST_MAX])
{
	return oci_is_manifest_type(d->media_type) && !sig_tag_names(ref_of(d), names);
}

/* Which entries of index.json are signatures: those tagged as such whose tag names the digest of
 * an entry that is not. Everything else (whatever its layers, annotations or tag) is an image,
 * and with keys needs a signature. */
static void classify(const struct oci_doc *idx, struct oci_result *r)
{
	char names[OCI_DIGEST_MAX], other[OCI_DIGEST_MAX];
	for (size_t i = 0; i < idx->n; i++) {
		if (!sig_tagged(&idx->descs[i], names))
			continue;
		for (size_t j = 0; j < idx->n && !r->images[i].signature; j++)
			r->images[i].signature = !strcmp(idx->descs[j].digest_str, names) && !sig_tagged(&idx->descs[j], other);
	}
}

/* Read every signature manifest (again: the bytes parsed are the bytes hashed): its layers must
 * all be cosign payloads that name the image its tag names; with keys, each is verified. */
static int read_signatures(struct walk *w, const struct oci_doc *idx)
{
	struct buf b = BUF_INIT(OCI_MAX_JSON), payload = BUF_INIT(OCI_MAX_PAYLOAD);
	struct oci_doc doc = {0};
	char names[OCI_DIGEST_MAX], what[OCI_DIGEST_MAX + 40];
	int ret = 0;
	for (size_t i = 0; i < idx->n && !ret; i++) {
		const struct oci_desc *d = &idx->descs[i];
		struct kerr pe = {0};
		if (!w->r->images[i].signature)
			continue;
		sig_tagged(d, names);
		str_fmt(what, sizeof(what), "index.json manifests[%zu]", i);
		if ((ret = check_blob(w, d, what, &b)))
			break;
		if ((ret = oci_doc_parse(&doc, b.p, b.len, 0, &pe))) {
			ret = ret == -EBADMSG ? bad(w->e, "manifest %s: %s", d->digest_str, pe.msg) : kerr_set(w->e, ret, "%s", pe.msg);
			break;
		}
		if (!doc.n)
			ret = bad(w->e, "manifest %s (%s): tagged as cosign signatures, holds none", d->digest_str, w->r->images[i].ref);
		for (size_t k = 0; k < doc.n && !ret; k++) {
			const struct oci_desc *l = &doc.descs[k];
			str_fmt(what, sizeof(what), "layer %zu of %s", k, d->digest_str);
			if (strcmp(l->media_type, COSIGN_PAYLOAD_TYPE))
				ret = bad(w->e, "manifest %s (%s): tagged as cosign signatures, layer %zu is %.80s, not %s",
					d->digest_str, w->r->images[i].ref, k, l->media_type, COSIGN_PAYLOAD_TYPE);
			else if (l->size > OCI_MAX_PAYLOAD)
				ret = bad(w->e, "signature blob %s: %" PRIu64 " bytes, more than %d", l->digest_str, l->size,
					OCI_MAX_PAYLOAD);
			else if (w->nsigs == OCI_MAX_IMAGES)
				ret = bad(w->e, "more than %d signatures", OCI_MAX_IMAGES);
			else if (!(ret = check_blob(w, l, what, &payload)))
				ret = collect_sig(w, l, &payload, names);
		}
		oci_doc_free(&doc);
	}
	buf_free(&payload);
	buf_free(&b);
	return ret;
}

/* The layout's own files: oci-layout and index.json. */
static int read_top(struct walk *w, const char *name, struct buf *b)
{
	int fd = fs_open_beneath(w->fd, name, O_RDONLY | O_NOCTTY, 0);
	if (fd < 0)
		return bad(w->e, "%s: %s", name, strerror(-fd));
	int ret = fs_read_fd(fd, OCI_MAX_JSON, b);
	close(fd);
	if (ret)
		return ret == -EFBIG ? bad(w->e, "%s: larger than %d bytes", name, OCI_MAX_JSON)
				     : kerr_set(w->e, ret, "%s: read: %s", name, strerror(-ret));
	return 0;
}

static int check_layout_file(struct walk *w)
{
	struct buf b = BUF_INIT(OCI_MAX_JSON);
	struct json_doc doc = {0};
	struct kerr je = {0};
	int ret = read_top(w, "oci-layout", &b);
	if (!ret && (ret = json_parse(&doc, b.p, b.len, NULL, &je)))
		ret = bad(w->e, "oci-layout: %s", je.msg);
	if (!ret) {
		const char *v = str_member(doc.root, "imageLayoutVersion");
		if (!v || strcmp(v, "1.0.0"))
			ret = bad(w->e, "oci-layout: imageLayoutVersion is not \"1.0.0\"");
	}
	json_free(&doc);
	buf_free(&b);
	return ret;
}

/* With keys: every signature verifies, and every image is named by one. */
static int check_signatures(struct walk *w)
{
	struct oci_result *r = w->r;
	for (size_t i = 0; i < w->nsigs; i++) {
		const struct cosign_sig *s = &w->sigs[i];
		if (!s->ok)
			return bad(w->e, "signature blob %s (for %s): does not verify with any trusted key", s->blob, s->names);
		for (size_t j = 0; j < r->nimages; j++)
			if (!r->images[j].signature && !strcmp(r->images[j].digest, s->names) && !r->images[j].signed_ok) {
				r->images[j].signed_ok = 1;
				memcpy(r->images[j].key_id, s->key_id, 32);
			}
	}
	for (size_t j = 0; j < r->nimages; j++)
		if (!r->images[j].signature && !r->images[j].signed_ok)
			return bad(w->e, "manifest %s%s%s%s: no cosign signature", r->images[j].digest,
				r->images[j].ref[0] ? " (" : "", r->images[j].ref, r->images[j].ref[0] ? ")" : "");
	return 0;
}

int oci_verify(int layout_fd, const struct sig_keyring *keys, struct oci_result *r, struct kerr *e)
{
	struct walk w = {.fd = layout_fd, .keys = keys, .r = r, .e = e};
	struct buf b = BUF_INIT(OCI_MAX_JSON);
	struct oci_doc idx = {0};
	struct kerr pe = {0};
	int ret;

	memset(r, 0, sizeof(*r));
	w.seen = calloc(OCI_MAX_BLOBS, sizeof(*w.seen));
	w.seen_size = calloc(OCI_MAX_BLOBS, sizeof(*w.seen_size));
	w.walked = calloc(OCI_MAX_BLOBS, 1);
	w.sigs = calloc(OCI_MAX_IMAGES, sizeof(*w.sigs));
	if (!w.seen || !w.seen_size || !w.walked || !w.sigs) {
		ret = kerr_set(e, -ENOMEM, "out of memory");
		goto out;
	}
	if ((ret = check_layout_file(&w)) || (ret = read_top(&w, "index.json", &b)))
		goto out;
	if ((ret = oci_doc_parse(&idx, b.p, b.len, 1, &pe))) {
		ret = ret == -EBADMSG ? bad(e, "index.json: %s", pe.msg) : kerr_set(e, ret, "%s", pe.msg);
		goto out;
	}
	if (idx.n > OCI_MAX_IMAGES) {
		ret = bad(e, "index.json: %zu manifests, more than %d", idx.n, OCI_MAX_IMAGES);
		goto out;
	}
	for (size_t i = 0; i < idx.n; i++) {
		struct oci_image *im = &r->images[r->nimages++];
		const struct oci_desc *d = &idx.descs[i];
		const char *ref = ref_of(d);
		str_copy(im->digest, sizeof(im->digest), d->digest_str);
		if (ref && str_copy(im->ref, sizeof(im->ref), ref))
			im->ref[0] = 0;
		/* printed by keel verify oci: nothing a terminal obeys, C1 controls included (a ref is
		 * ASCII in the OCI grammar: [a-zA-Z0-9] with separators) */
		for (char *c = im->ref; *c; c++)
			if ((unsigned char)*c < 0x20 || (unsigned char)*c >= 0x7f)
				*c = '?';
	}
	classify(&idx, r);
	for (size_t i = 0; i < idx.n; i++) {
		char what[64];
		str_fmt(what, sizeof(what), "index.json manifests[%zu]", i);
		if ((ret = walk_desc(&w, &idx.descs[i], 0, what)))
			goto out;
	}
	r->indexes++; /* index.json itself */
	if (!(ret = read_signatures(&w, &idx)) && keys)
		ret = check_signatures(&w);
out:
	oci_doc_free(&idx);
	buf_free(&b);
	free(w.seen);
	free(w.seen_size);
	free(w.walked);
	free(w.sigs);
	return ret;
}
