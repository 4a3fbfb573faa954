/* tuf_refresh.c — fuzz the TUF client's update workflow (core/trust/tuf_client.c tuf_refresh,
 * tuf_load): a repository published once with the test P-256 key for every role (tuf_pub_init,
 * tuf_pub_targets) has one of its metadata files replaced by the input, and a client that trusts
 * only 1.root.json refreshes from it into an empty trust directory.
 *
 * Byte 0's low 6 bits pick the file (the published ones in name order, or a new 2.root.json: a
 * rotation); the rest is the "signed" body, re-signed with the test key over its canonical form so
 * the workflow is reached past the signatures (bit 7, or a body that does not parse: the bytes
 * are the whole file). With bit 6, a new 2.targets.json's or 2.snapshot.json's hashes and length
 * are written into its parents (2.snapshot.json, timestamp.json), re-signed. Invariants: a
 * refusal says why and leaves the trust directory empty; what a refresh trusts loads again
 * (tuf_load) to the same versions, and a second refresh from the same repository succeeds with
 * those versions too; every version is >= 1.
 */
#include "base/buf.h"
#include "base/err.h"
#include "base/fs.h"
#include "base/json.h"
#include "trust/hash.h"
#include "trust/sig.h"
#include "trust/tuf.h"
#include "../unit/sig_vectors.h"
#include "scratch.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define NOW 1700000100
#define NFILES 16

static int repofd = -1, metafd = -1, trustfd = -1;
static char root1[300], kid[80], names[NFILES + 1][64];
static struct buf orig[NFILES];
static size_t nfiles;
static struct sig_priv *priv;

static void check(int cond, const char *what)
{
	if (!cond) {
		fprintf(stderr, "tuf_refresh fuzz: %s\n", what);
		abort();
	}
}

static int by_name(const void *a, const void *b) { return strcmp(a, b); }

static void setup(void)
{
	struct kerr e = {0};
	int d = scratch_open("tuf-refresh");
	check(!mkdirat(d, "repo", 0755) && !mkdirat(d, "trust", 0755), "setup");
	repofd = openat(d, "repo", O_RDONLY | O_DIRECTORY);
	trustfd = openat(d, "trust", O_RDONLY | O_DIRECTORY);
	check(!sig_priv_parse(&priv, p256_priv, strlen(p256_priv), &e), "the test key");
	struct tuf_signer s[4] = {{TUF_ROOT, priv}, {TUF_TIMESTAMP, priv}, {TUF_SNAPSHOT, priv}, {TUF_TARGETS, priv}};
	struct tuf_pub p = {.repofd = repofd, .now = NOW - 100, .expires = {100000, 100000, 100000, 100000},
		.consistent = true, .sign = s, .nsign = 4, .custom = "{\"os\":\"keel\"}"};
	check(!tuf_pub_init(&p, &e), "publish");
	char payload[300], *paths[] = {payload}, *tn[] = {"keel/1.0/usr.img"};
	snprintf(payload, sizeof(payload), "%s/payload", scratch);
	check(!fs_write_atomic(d, "payload", "an image", 8, 0644), "the target");
	check(!tuf_pub_targets(&p, paths, tn, 1, &e), "publish a target");
	metafd = openat(repofd, "metadata", O_RDONLY | O_DIRECTORY);
	DIR *dir = fdopendir(dup(metafd));
	for (struct dirent *de; dir && (de = readdir(dir));)
		if (de->d_name[0] != '.' && nfiles < NFILES)
			snprintf(names[nfiles++], sizeof(names[0]), "%s", de->d_name);
	closedir(dir);
	qsort(names, nfiles, sizeof(names[0]), by_name);
	snprintf(names[nfiles], sizeof(names[0]), "2.root.json");
	for (size_t i = 0; i < nfiles; i++) {
		orig[i] = (struct buf)BUF_INIT(TUF_SNAPSHOT_MAX);
		check(!fs_read_path(metafd, names[i], orig[i].max, &orig[i], &e), "read the published files");
	}
	snprintf(root1, sizeof(root1), "%s/repo/metadata/1.root.json", scratch);
	struct buf ts = BUF_INIT(TUF_TIMESTAMP_MAX);
	struct json_doc doc = {0};
	check(!fs_read_path(metafd, "timestamp.json", ts.max, &ts, &e) && !json_parse(&doc, ts.p, ts.len, NULL, &e), "timestamp");
	const struct json *sigs = json_get(doc.root, "signatures"), *k = sigs && sigs->u.arr.n ? json_get(sigs->u.arr.v[0], "keyid") : NULL;
	check(k && k->type == JSON_STRING && k->u.str.len < sizeof(kid), "the key id");
	snprintf(kid, sizeof(kid), "%s", k->u.str.s);
	json_free(&doc);
	buf_free(&ts);
}

/* The envelope of body, signed by the test key; or the bytes themselves when raw or no JSON. */
static void envelope(const uint8_t *p, size_t n, bool raw, struct buf *out)
{
	struct json_doc doc = {0};
	struct kerr e = {0};
	struct buf canon = BUF_INIT(TUF_SNAPSHOT_MAX), sig = BUF_INIT(1024);
	if (raw || json_parse(&doc, p, n, NULL, &e) || json_canonical(doc.root, &canon, &e)) {
		check(!buf_put(out, p, n), "buf");
	} else {
		char hex[2 * 1024 + 1];
		check(!sig_sign(priv, SIG_ECDSA, canon.p, canon.len, &sig, &e) && sig.len <= 1024, "sign");
		hex_encode(hex, sig.p, sig.len);
		struct jw w;
		check(!buf_printf(out, "{\"signatures\":[{\"keyid\":\"%s\",\"sig\":\"%s\"}],\"signed\":", kid, hex), "buf");
		jw_init(&w, out); /* canonical JSON keeps control characters raw: the file escapes them */
		tuf_jw_value(&w, doc.root);
		check(!w.err && !buf_putc(out, '}'), "buf");
	}
	json_free(&doc);
	buf_free(&canon);
	buf_free(&sig);
}

static size_t find(const char *name)
{
	size_t i = 0;
	while (i < nfiles && strcmp(names[i], name))
		i++;
	return i;
}

/* The parent (by name) of a file that changed from old to now: its hashes and length of old
 * replaced by now's in its signed body, re-signed; so a new snapshot or targets is reached. */
static void patch_parent(const char *parent, const struct buf *old, const struct buf *now, struct buf *out)
{
	size_t i = find(parent);
	struct json_doc doc = {0};
	struct kerr e = {0};
	struct buf canon = BUF_INIT(TUF_SNAPSHOT_MAX), body = BUF_INIT(TUF_SNAPSHOT_MAX);
	uint8_t d[64];
	char from[3][140], to[3][140];
	check(i < nfiles && !json_parse(&doc, orig[i].p, orig[i].len, NULL, &e) &&
		!json_canonical(json_get(doc.root, "signed"), &canon, &e) && !buf_putc(&canon, 0), "the parent");
	hash_once(HASH_SHA256, old->p, old->len, d), hex_encode(from[0], d, 32);
	hash_once(HASH_SHA256, now->p, now->len, d), hex_encode(to[0], d, 32);
	hash_once(HASH_SHA512, old->p, old->len, d), hex_encode(from[1], d, 64);
	hash_once(HASH_SHA512, now->p, now->len, d), hex_encode(to[1], d, 64);
	snprintf(from[2], sizeof(from[2]), "\"length\":%zu", old->len);
	snprintf(to[2], sizeof(to[2]), "\"length\":%zu", now->len);
	for (const char *p = (const char *)canon.p; *p;) {
		int k = 0;
		while (k < 3 && strncmp(p, from[k], strlen(from[k])))
			k++;
		check(k < 3 ? !buf_puts(&body, to[k]) : !buf_putc(&body, *p), "buf");
		p += k < 3 ? strlen(from[k]) : 1;
	}
	envelope(body.p, body.len, false, out);
	json_free(&doc);
	buf_free(&canon);
	buf_free(&body);
}

static int refresh(struct tuf_client *c, struct kerr *e)
{
	memset(c, 0, sizeof(*c));
	c->now = NOW, c->trustfd = trustfd, c->bootstrap = root1, c->fetch = (struct tuf_fetch){tuf_fetch_dir, &repofd};
	return tuf_refresh(c, e);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (repofd < 0)
		setup();
	if (!size)
		return 0;
	size_t pick = (data[0] & 0x3f) % (nfiles + 1);
	struct buf file = BUF_INIT(TUF_SNAPSHOT_MAX + 4096);
	envelope(data + 1, size - 1, data[0] & 0x80, &file);
	fs_empty_dir(trustfd, FS_SAME_DEV, 2);
	check(!fs_write_atomic(metafd, names[pick], file.p ? (const char *)file.p : "", file.len, 0644), "write the file");
	/* bit 6: 2.targets.json's new hashes in 2.snapshot.json, 2.snapshot.json's in timestamp.json */
	struct buf p1 = BUF_INIT(TUF_SNAPSHOT_MAX + 4096), p2 = BUF_INIT(TUF_SNAPSHOT_MAX + 4096);
	size_t snap = find("2.snapshot.json"), ts = find("timestamp.json");
	bool patch = (data[0] & 0x40) && pick < nfiles && (pick == find("2.targets.json") || pick == snap);
	if (patch && pick != snap) {
		patch_parent("2.snapshot.json", &orig[pick], &file, &p1);
		check(!fs_write_atomic(metafd, names[snap], (const char *)p1.p, p1.len, 0644), "write the snapshot");
	}
	if (patch) {
		patch_parent("timestamp.json", &orig[snap], pick == snap ? &file : &p1, &p2);
		check(!fs_write_atomic(metafd, names[ts], (const char *)p2.p, p2.len, 0644), "write the timestamp");
	}

	struct tuf_client c, again, load = {.now = NOW, .trustfd = trustfd};
	struct kerr e = {0};
	int ret = refresh(&c, &e);
	DIR *dir = fdopendir(dup(trustfd));
	size_t left = 0;
	for (struct dirent *de; dir && (de = readdir(dir));)
		left += de->d_name[0] != '.';
	closedir(dir);
	if (ret) {
		check(ret < 0 && e.msg[0], "a refusal without a reason");
		check(!left, "a refused refresh wrote to the trust directory");
	} else {
		check(!tuf_load(&load, &e), "what the refresh trusted does not load");
		check(!refresh(&again, &e), "a second refresh from the same repository failed");
		for (int r = 0; r < TUF_NROLES; r++)
			check(c.m[r] && load.m[r] && again.m[r] && c.m[r]->version >= 1 && load.m[r]->version == c.m[r]->version &&
				again.m[r]->version == c.m[r]->version, "versions differ between refresh, load and a second refresh");
		tuf_client_free(&load);
		tuf_client_free(&again);
	}
	tuf_client_free(&c);
	/* the repository as published again */
	for (size_t i = 0; i < nfiles; i++)
		if (i == pick || (patch && (i == snap || i == ts)))
			check(!fs_write_atomic(metafd, names[i], orig[i].p ? (const char *)orig[i].p : "", orig[i].len, 0644), "restore");
	if (pick == nfiles)
		unlinkat(metafd, names[pick], 0);
	buf_free(&file);
	buf_free(&p1);
	buf_free(&p2);
	return 0;
}
