/* oci_test.c — descriptors and documents against forgeries; a small layout written here verifies
 * and every kind of damage to it is refused with the blob named. */
#include "t.h"
#include "base/buf.h"
#include "base/err.h"
#include "trust/hash.h"
#include "base/json.h"
#include "trust/oci.h"
#include "trust/sig.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static const char D64[] = "sha256:0000000000000000000000000000000000000000000000000000000000000000";

static int desc(const char *js, struct oci_desc *d, struct kerr *e)
{
	struct json_doc doc = {0};
	int ret = json_parse(&doc, js, strlen(js), NULL, e);
	if (!ret)
		ret = oci_desc_parse(doc.root, d, e);
	json_free(&doc);
	return ret;
}

T_TEST(oci_descriptors)
{
	struct oci_desc d;
	struct kerr e = {0};
	char js[600];
	snprintf(js, sizeof(js), "{\"mediaType\":\"x/y\",\"digest\":\"%s\",\"size\":12,\"annotations\":{\"a\":\"b\"}}", D64);
	t_check(desc(js, &d, &e) == 0 && d.size == 12 && d.alg == HASH_SHA256 && !strcmp(d.digest_str, D64), "good: %s", e.msg);
	snprintf(js, sizeof(js), "{\"mediaType\":\"x/y\",\"digest\":\"sha512:%0128d\",\"size\":0}", 0);
	t_check(desc(js, &d, &e) == 0 && d.alg == HASH_SHA512, "sha512: %s", e.msg);

	static const char *const bad[] = {
		"[]",
		"{\"digest\":\"@\",\"size\":1}",                                    /* no mediaType */
		"{\"mediaType\":\"\",\"digest\":\"@\",\"size\":1}",                 /* empty mediaType */
		"{\"mediaType\":1,\"digest\":\"@\",\"size\":1}",
		"{\"mediaType\":\"x\",\"size\":1}",                                  /* no digest */
		"{\"mediaType\":\"x\",\"digest\":\"@\"}",                           /* no size */
		"{\"mediaType\":\"x\",\"digest\":\"@\",\"size\":-1}",
		"{\"mediaType\":\"x\",\"digest\":\"@\",\"size\":1.5}",
		"{\"mediaType\":\"x\",\"digest\":\"@\",\"size\":\"1\"}",
		"{\"mediaType\":\"x\",\"digest\":\"@\",\"size\":99999999999999999999}",
		"{\"mediaType\":\"x\",\"digest\":\"@\",\"size\":1,\"annotations\":[]}",
		"{\"mediaType\":\"x\",\"digest\":\"@\",\"size\":1,\"annotations\":{\"a\":1}}",
		"{\"mediaType\":\"x\",\"digest\":\"sha256:00\",\"size\":1}",
		"{\"mediaType\":\"x\",\"digest\":\"sha256:000000000000000000000000000000000000000000000000000000000000000G\",\"size\":1}",
		"{\"mediaType\":\"x\",\"digest\":\"sha256:AB00000000000000000000000000000000000000000000000000000000000000\",\"size\":1}",
		"{\"mediaType\":\"x\",\"digest\":\"md5:00000000000000000000000000000000\",\"size\":1}",
		"{\"mediaType\":\"x\",\"digest\":\"sha256/../../etc/passwd\",\"size\":1}",
		"{\"mediaType\":\"x\",\"digest\":\"sha256:../../../../../../../../../../../../../../../etc/passwd\",\"size\":1}",
		"{\"mediaType\":\"x\",\"digest\":\"0000000000000000000000000000000000000000000000000000000000000000\",\"size\":1}",
	};
	for (size_t i = 0; i < T_LEN(bad); i++) {
		struct kerr be = {0};
		const char *at = strchr(bad[i], '@'); /* @ stands for a good digest */
		if (at)
			snprintf(js, sizeof(js), "%.*s%s%s", (int)(at - bad[i]), bad[i], D64, at + 1);
		else
			snprintf(js, sizeof(js), "%s", bad[i]);
		t_check(desc(js, &d, &be) == -EBADMSG && be.msg[0], "forged descriptor %zu refused: %s", i, be.msg);
	}
}

T_TEST(oci_documents)
{
	struct oci_doc d;
	struct kerr e = {0};
	char js[2000];
	snprintf(js, sizeof(js), "{\"schemaVersion\":2,\"manifests\":[{\"mediaType\":\"a\",\"digest\":\"%s\",\"size\":1}]}", D64);
	t_check(oci_doc_parse(&d, js, strlen(js), 1, &e) == 0 && d.n == 1, "index: %s", e.msg);
	oci_doc_free(&d);
	snprintf(js, sizeof(js), "{\"schemaVersion\":2,\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\","
		"\"config\":{\"mediaType\":\"c\",\"digest\":\"%s\",\"size\":2},\"layers\":[]}", D64);
	t_check(oci_doc_parse(&d, js, strlen(js), 0, &e) == 0 && d.n == 0 && d.config.size == 2, "manifest: %s", e.msg);
	oci_doc_free(&d);
	static const struct { int index; const char *js; } bad[] = {
		{1, "{\"schemaVersion\":1,\"manifests\":[]}"},
		{1, "{\"schemaVersion\":\"2\",\"manifests\":[]}"},
		{1, "{\"manifests\":[]}"},
		{1, "{\"schemaVersion\":2}"},
		{1, "{\"schemaVersion\":2,\"manifests\":{}}"},
		{1, "{\"schemaVersion\":2,\"manifests\":[{}]}"},
		{1, "{\"schemaVersion\":2,\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\",\"manifests\":[]}"},
		{1, "{\"schemaVersion\":2,\"manifests\":[],\"manifests\":[]}"},
		{1, "[]"},
		{1, "{\"schemaVersion\":2,\"manifests\":[]"},
		{0, "{\"schemaVersion\":2,\"layers\":[]}"},
		{0, "{\"schemaVersion\":2,\"config\":{}}"},
		{0, "{\"schemaVersion\":2,\"mediaType\":\"application/vnd.oci.image.index.v1+json\",\"config\":{},\"layers\":[]}"},
	};
	for (size_t i = 0; i < T_LEN(bad); i++) {
		struct kerr be = {0};
		t_check(oci_doc_parse(&d, bad[i].js, strlen(bad[i].js), bad[i].index, &be) == -EBADMSG && !d.descs,
			"forged document %zu refused: %s", i, be.msg);
	}
	oci_doc_free(NULL);
}

/* A layout in t_tmpdir()/NAME: one manifest, its config and one layer. */
static char dig[3][80];
static size_t man_len;

static void put_blob(const char *layout, const void *data, size_t len, char *digest_out)
{
	uint8_t h[32];
	char hex[65], name[300];
	hash_once(HASH_SHA256, data, len, h);
	hex_encode(hex, h, 32);
	snprintf(digest_out, 80, "sha256:%s", hex);
	snprintf(name, sizeof(name), "%s/blobs/sha256/%s", layout, hex);
	t_write(name, data, len);
}

static int make_layout(const char *name, size_t layer_size_lie, int layer_len)
{
	char path[600], man[1000], idx[600];
	snprintf(path, sizeof(path), "%s/%s", t_tmpdir(), name);
	mkdir(path, 0755);
	snprintf(path, sizeof(path), "%s/%s/blobs", t_tmpdir(), name);
	mkdir(path, 0755);
	snprintf(path, sizeof(path), "%s/%s/blobs/sha256", t_tmpdir(), name);
	mkdir(path, 0755);
	snprintf(path, sizeof(path), "%s/oci-layout", name);
	t_write(path, "{\"imageLayoutVersion\":\"1.0.0\"}", 30);
	char *layer = malloc((size_t)layer_len);
	memset(layer, 'L', (size_t)layer_len);
	put_blob(name, "{}", 2, dig[0]);
	put_blob(name, layer, (size_t)layer_len, dig[1]);
	free(layer);
	snprintf(man, sizeof(man), "{\"schemaVersion\":2,\"config\":{\"mediaType\":\"application/vnd.oci.image.config.v1+json\","
		"\"digest\":\"%s\",\"size\":2},\"layers\":[{\"mediaType\":\"application/vnd.oci.image.layer.v1.tar\","
		"\"digest\":\"%s\",\"size\":%zu}]}", dig[0], dig[1], (size_t)layer_len + layer_size_lie);
	man_len = strlen(man);
	put_blob(name, man, man_len, dig[2]);
	snprintf(idx, sizeof(idx), "{\"schemaVersion\":2,\"manifests\":[{\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\","
		"\"digest\":\"%s\",\"size\":%zu,\"annotations\":{\"org.opencontainers.image.ref.name\":\"v1\"}}]}", dig[2], man_len);
	snprintf(path, sizeof(path), "%s/index.json", name);
	t_write(path, idx, strlen(idx));
	snprintf(path, sizeof(path), "%s/%s", t_tmpdir(), name);
	return open(path, O_RDONLY | O_DIRECTORY);
}

static char *blob_path(const char *name, const char *digest)
{
	static char p[600];
	snprintf(p, sizeof(p), "%s/%s/blobs/sha256/%s", t_tmpdir(), name, digest + 7);
	return p;
}

/* index.json of layout name from n entries {digest, size, ref}, all image manifests */
static void write_index(const char *name, size_t n, const char *const dg[], const size_t sz[], const char *const ref[])
{
	char idx[4000], path[300];
	size_t off = (size_t)snprintf(idx, sizeof(idx), "{\"schemaVersion\":2,\"manifests\":[");
	for (size_t i = 0; i < n; i++)
		off += (size_t)snprintf(idx + off, sizeof(idx) - off, "%s{\"mediaType\":\"%s\",\"digest\":\"%s\",\"size\":%zu,"
			"\"annotations\":{\"org.opencontainers.image.ref.name\":\"%s\"}}", i ? "," : "", OCI_MANIFEST_TYPE, dg[i],
			sz[i], ref[i]);
	snprintf(idx + off, sizeof(idx) - off, "]}");
	snprintf(path, sizeof(path), "%s/index.json", name);
	t_write(path, idx, strlen(idx));
}

/* A signature manifest: one layer of media type layer_type holding a cosign payload that names
 * names (its "signature" is no signature: these cases are decided before any key is tried). */
static size_t put_sig_manifest(const char *name, const char *names, const char *layer_type, char *digest_out)
{
	char payload[400], pdig[80], cdig[80], man[1200];
	snprintf(payload, sizeof(payload), "{\"critical\":{\"identity\":{\"docker-reference\":\"x\"},\"image\":"
		"{\"docker-manifest-digest\":\"%s\"},\"type\":\"cosign container image signature\"},\"optional\":null}", names);
	put_blob(name, payload, strlen(payload), pdig);
	put_blob(name, "{\"config\":{\"Entrypoint\":[\"/evil\"]}}", 35, cdig); /* a config of its own */
	snprintf(man, sizeof(man), "{\"schemaVersion\":2,\"config\":{\"mediaType\":\"application/vnd.oci.image.config.v1+json\","
		"\"digest\":\"%s\",\"size\":35},\"layers\":[{\"mediaType\":\"%s\",\"digest\":\"%s\",\"size\":%zu,\"annotations\":"
		"{\"dev.cosignproject.cosign/signature\":\"AAAA\"}}]}", cdig, layer_type, pdig, strlen(payload));
	put_blob(name, man, strlen(man), digest_out);
	return strlen(man);
}

/* Which entries of index.json are cosign signatures: only a manifest tagged "<alg>-<hex>.sig"
 * naming another entry that is not so tagged. A manifest of cosign payloads with a config of its
 * own under an ordinary tag is an image (issue 8: it used to pass as a signature, unsigned). */
static void oci_cosign_entries(struct oci_result *r)
{
	struct kerr e = {0};
	struct sig_keyring none = {.n = 0};
	char image[80], sig[80], tag[90], tag0[90], tagself[90], other[80];
	int fd = make_layout("cosign", 0, 10);
	snprintf(image, sizeof(image), "%s", dig[2]);
	size_t ilen = man_len, slen = put_sig_manifest("cosign", image, COSIGN_PAYLOAD_TYPE, sig);
	snprintf(tag, sizeof(tag), "sha256-%s.sig", image + 7);
	snprintf(tag0, sizeof(tag0), "sha256-%s.sig", D64 + 7);
	snprintf(tagself, sizeof(tagself), "sha256-%s.sig", sig + 7);

	/* the image, its signature, and the same signature manifest again under "v2" */
	write_index("cosign", 3, (const char *[]){image, sig, sig}, (size_t[]){ilen, slen, slen}, (const char *[]){"v1", tag, "v2"});
	int ret = oci_verify(fd, NULL, r, &e);
	t_check(ret == 0 && r->nimages == 3 && !r->images[0].signature && r->images[1].signature &&
			!r->images[2].signature && r->signatures == 1,
		"tagged for the image: a signature; cosign payloads tagged v2: an image (%s; %d %d %d)", e.msg,
		r->images[0].signature, r->images[1].signature, r->images[2].signature);
	/* cosign payloads alone, under an ordinary tag: an image, unsigned */
	write_index("cosign", 1, (const char *[]){sig}, (size_t[]){slen}, (const char *[]){"latest"});
	t_check(oci_verify(fd, &none, r, &e) == -EBADMSG && strstr(e.msg, sig) && strstr(e.msg, "(latest): no cosign signature"),
		"cosign payloads tagged latest, alone: %s", e.msg);
	/* a .sig tag naming no entry, or naming an entry tagged .sig itself (its own): an image */
	write_index("cosign", 2, (const char *[]){image, sig}, (size_t[]){ilen, slen}, (const char *[]){"v1", tag0});
	t_check(oci_verify(fd, NULL, r, &e) == 0 && !r->images[1].signature && r->signatures == 0, "tag naming nothing: %s", e.msg);
	write_index("cosign", 2, (const char *[]){image, sig}, (size_t[]){ilen, slen}, (const char *[]){"v1", tagself});
	t_check(oci_verify(fd, NULL, r, &e) == 0 && !r->images[1].signature, "tag naming itself: %s", e.msg);
	/* the image tagged as its own signature as well: a signature manifest without cosign layers */
	write_index("cosign", 2, (const char *[]){image, image}, (size_t[]){ilen, ilen}, (const char *[]){"v1", tag});
	t_check(oci_verify(fd, NULL, r, &e) == -EBADMSG && strstr(e.msg, "tagged as cosign signatures, layer 0"),
		"image tagged as its own signature: %s", e.msg);
	/* a signature manifest whose payload names another image than its tag */
	slen = put_sig_manifest("cosign", D64, COSIGN_PAYLOAD_TYPE, other);
	write_index("cosign", 2, (const char *[]){image, other}, (size_t[]){ilen, slen}, (const char *[]){"v1", tag});
	t_check(oci_verify(fd, NULL, r, &e) == -EBADMSG && strstr(e.msg, "the image its tag names"), "names another: %s", e.msg);
	/* a signature manifest with a layer that is no cosign payload */
	slen = put_sig_manifest("cosign", image, "application/vnd.oci.image.layer.v1.tar", other);
	write_index("cosign", 2, (const char *[]){image, other}, (size_t[]){ilen, slen}, (const char *[]){"v1", tag});
	t_check(oci_verify(fd, NULL, r, &e) == -EBADMSG && strstr(e.msg, other) && strstr(e.msg, "layer 0 is application"),
		"ordinary layer in a signature manifest: %s", e.msg);
	close(fd);
}

T_TEST(oci_layout_walk)
{
	struct oci_result *r = calloc(1, sizeof(*r));
	struct kerr e = {0};
	int fd = make_layout("good", 0, 10000);
	t_check(oci_verify(fd, NULL, r, &e) == 0 && r->manifests == 1 && r->configs == 1 && r->layers == 1 &&
		r->nimages == 1 && !strcmp(r->images[0].ref, "v1") && r->bytes == 10002 + man_len, "good layout: %s", e.msg);
	/* one byte of the layer changed */
	int bfd = open(blob_path("good", dig[1]), O_RDWR);
	pwrite(bfd, "X", 1, 500);
	t_check(oci_verify(fd, NULL, r, &e) == -EBADMSG && strstr(e.msg, dig[1]) && strstr(e.msg, "hashes to"),
		"tampered: %s", e.msg);
	/* larger than its descriptor: refused before hashing */
	pwrite(bfd, "L", 1, 500);
	pwrite(bfd, "L", 1, 10000);
	t_check(oci_verify(fd, NULL, r, &e) == -EBADMSG && strstr(e.msg, dig[1]) && strstr(e.msg, "larger"), "larger: %s", e.msg);
	ftruncate(bfd, 9999);
	t_check(oci_verify(fd, NULL, r, &e) == -EBADMSG && strstr(e.msg, "truncated"), "truncated: %s", e.msg);
	close(bfd);
	unlink(blob_path("good", dig[1]));
	t_check(oci_verify(fd, NULL, r, &e) == -EBADMSG && strstr(e.msg, dig[1]) && strstr(e.msg, "missing"), "missing: %s", e.msg);
	/* a symlink instead of the blob is not followed */
	symlink("/etc/passwd", blob_path("good", dig[1]));
	t_check(oci_verify(fd, NULL, r, &e) == -EBADMSG && strstr(e.msg, dig[1]), "symlink: %s", e.msg);
	close(fd);

	fd = make_layout("lie", 1, 100); /* the manifest says 101 bytes */
	t_check(oci_verify(fd, NULL, r, &e) == -EBADMSG && strstr(e.msg, dig[1]) && strstr(e.msg, "says 101"), "lying size: %s", e.msg);
	close(fd);

	fd = make_layout("nolayout", 0, 10);
	unlinkat(fd, "oci-layout", 0);
	t_check(oci_verify(fd, NULL, r, &e) == -EBADMSG && strstr(e.msg, "oci-layout"), "no oci-layout: %s", e.msg);
	close(fd);

	/* the same manifest twice: walked once */
	fd = make_layout("dup", 0, 10);
	char idx[700], path[300];
	snprintf(idx, sizeof(idx), "{\"schemaVersion\":2,\"manifests\":[{\"mediaType\":\"%s\",\"digest\":\"%s\",\"size\":%zu},"
		"{\"mediaType\":\"%s\",\"digest\":\"%s\",\"size\":%zu}]}", OCI_MANIFEST_TYPE, dig[2], man_len,
		OCI_MANIFEST_TYPE, dig[2], man_len);
	snprintf(path, sizeof(path), "dup/index.json");
	t_write(path, idx, strlen(idx));
	t_check(oci_verify(fd, NULL, r, &e) == 0 && r->manifests == 1 && r->nimages == 2, "duplicate entry: %s", e.msg);
	/* the second entry lies about the size of a blob walked already: a lie all the same */
	snprintf(idx, sizeof(idx), "{\"schemaVersion\":2,\"manifests\":[{\"mediaType\":\"%s\",\"digest\":\"%s\",\"size\":%zu},"
		"{\"mediaType\":\"%s\",\"digest\":\"%s\",\"size\":%zu}]}", OCI_MANIFEST_TYPE, dig[2], man_len,
		OCI_MANIFEST_TYPE, dig[2], man_len + 7);
	t_write(path, idx, strlen(idx));
	t_check(oci_verify(fd, NULL, r, &e) == -EBADMSG && strstr(e.msg, dig[2]) && strstr(e.msg, "size"),
		"duplicate entry with a lying size: %s", e.msg);
	close(fd);
	/* a blob that is both config and layer, the layer descriptor lying about its size */
	fd = make_layout("duplayer", 0, 10);
	char man[800];
	snprintf(man, sizeof(man), "{\"schemaVersion\":2,\"config\":{\"mediaType\":\"application/vnd.oci.image.config.v1+json\","
		"\"digest\":\"%s\",\"size\":2},\"layers\":[{\"mediaType\":\"application/vnd.oci.image.layer.v1.tar\","
		"\"digest\":\"%s\",\"size\":3}]}", dig[0], dig[0]);
	put_blob("duplayer", man, strlen(man), dig[2]);
	snprintf(idx, sizeof(idx), "{\"schemaVersion\":2,\"manifests\":[{\"mediaType\":\"%s\",\"digest\":\"%s\",\"size\":%zu}]}",
		OCI_MANIFEST_TYPE, dig[2], strlen(man));
	t_write("duplayer/index.json", idx, strlen(idx));
	t_check(oci_verify(fd, NULL, r, &e) == -EBADMSG && strstr(e.msg, dig[0]) && strstr(e.msg, "size"),
		"blob seen before, lying size: %s", e.msg);
	close(fd);

	/* a ref name is printed: its control characters are not, C1 (U+009B, CSI) and other non-ASCII
	 * bytes neither (a ref is ASCII in the OCI grammar) */
	fd = make_layout("ctlref", 0, 10);
	snprintf(idx, sizeof(idx), "{\"schemaVersion\":2,\"manifests\":[{\"mediaType\":\"%s\",\"digest\":\"%s\",\"size\":%zu,"
		"\"annotations\":{\"org.opencontainers.image.ref.name\":\"v1\\u001b[2J\\n\\u007f\\u009b\"}}]}", OCI_MANIFEST_TYPE, dig[2], man_len);
	t_write("ctlref/index.json", idx, strlen(idx));
	t_check(oci_verify(fd, NULL, r, &e) == 0 && !strcmp(r->images[0].ref, "v1?[2J????"), "ref with controls: %s %s",
		e.msg, r->images[0].ref);
	close(fd);

	oci_cosign_entries(r);
	/* signatures required but none there: the manifest is named */
	struct sig_keyring kr = {.n = 0};
	fd = make_layout("unsigned", 0, 10);
	t_check(oci_verify(fd, &kr, r, &e) == -EBADMSG && strstr(e.msg, dig[2]) && strstr(e.msg, "no cosign signature"),
		"unsigned: %s", e.msg);
	close(fd);
	free(r);
}
