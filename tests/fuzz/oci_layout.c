/* oci_layout.c — fuzz core/trust/oci.c's layout walk (oci_verify): index.json, nested indexes,
 * manifests, blobs by digest and size, cosign simple-signing payloads and their signatures.
 *
 * Input: up to 9 NUL-separated blobs; blob 0 is index.json, blob i (1..8) is written at
 * blobs/sha256/<its sha256>. So that the fuzzer can build trees whose digests hold, a blob may
 * name a later one (j > i; index.json any): "@j" becomes "sha256:<hex>" of blob j, "#j" its size,
 * "%j" the cosign tag "sha256-<hex>" and "!j" the base64 ECDSA signature of blob j by the test
 * P-256 key (tests/unit/sig_vectors.h), each substituted after blob j's own (a blob past the
 * input is empty and missing from the layout).
 * Invariants: every refusal is -EBADMSG with a message (a lying digest or size, a missing blob,
 * malformed JSON, a bad signature); keys only add requirements: what verifies with the trusted
 * key verifies without keys, to the same counts, and then every image is signed by that key;
 * every image reported has a well-formed digest and a printable ASCII ref, a signature only under a
 * "<alg>-<hex>.sig" tag.
 */
#include "base/buf.h"
#include "base/err.h"
#include "base/fs.h"
#include "trust/hash.h"
#include "trust/oci.h"
#include "trust/sig.h"
#include "../unit/sig_vectors.h"
#include "scratch.h"

#include <errno.h>
#include <fcntl.h>
#include <mbedtls/base64.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define NBLOB 9

static int layout = -1;
static struct sig_keyring keys;
static struct sig_priv *priv;

static void check(int cond, const char *what)
{
	if (!cond) {
		fprintf(stderr, "oci_layout fuzz: %s\n", what);
		abort();
	}
}

static void setup(void)
{
	struct kerr e = {0};
	struct sig_key *k = NULL;
	layout = scratch_open("oci-layout");
	check(!mkdirat(layout, "blobs", 0755) && !mkdirat(layout, "blobs/sha256", 0755), "setup");
	check(!fs_write_atomic(layout, "oci-layout", "{\"imageLayoutVersion\":\"1.0.0\"}", 30, 0644), "oci-layout");
	check(!sig_priv_parse(&priv, p256_priv, strlen(p256_priv), &e) && !sig_key_parse(&k, p256_pub, strlen(p256_pub), &e) &&
		!sig_keyring_add(&keys, k, &e), "the test key");
}

struct blob {
	struct buf b;
	char hex[65];
};

/* blob i with its tokens naming later blobs replaced */
static void expand(struct blob *bl, size_t i, const uint8_t *p, size_t n)
{
	struct buf *o = &bl[i].b;
	for (size_t k = 0; k < n; k++) {
		unsigned j = k + 1 < n ? (unsigned)(p[k + 1] - '0') : 0;
		if (!strchr("@#%!", p[k]) || !p[k] || j < 1 || j >= NBLOB || j <= i) {
			check(!buf_putc(o, (char)p[k]), "buf");
			continue;
		}
		k++;
		if (p[k - 1] == '@')
			check(!buf_printf(o, "sha256:%s", bl[j].hex), "buf");
		else if (p[k - 1] == '#')
			check(!buf_printf(o, "%zu", bl[j].b.len), "buf");
		else if (p[k - 1] == '%')
			check(!buf_printf(o, "sha256-%s", bl[j].hex), "buf");
		else {
			struct buf sig = BUF_INIT(1024);
			struct kerr e = {0};
			unsigned char b64[800];
			size_t bn = 0;
			check(!sig_sign(priv, SIG_ECDSA, bl[j].b.p, bl[j].b.len, &sig, &e) &&
				!mbedtls_base64_encode(b64, sizeof(b64), &bn, sig.p, sig.len) && !buf_put(o, b64, bn), "sign");
			buf_free(&sig);
		}
	}
	uint8_t d[32];
	hash_once(HASH_SHA256, o->p, o->len, d);
	hex_encode(bl[i].hex, d, 32);
}

static void result_ok(const struct oci_result *r)
{
	check(r->nimages <= OCI_MAX_IMAGES, "too many images");
	for (size_t i = 0; i < r->nimages; i++) {
		const struct oci_image *m = &r->images[i];
		size_t h = strspn(m->digest + 7, "0123456789abcdef"), rl = strlen(m->ref);
		check((!strncmp(m->digest, "sha256:", 7) && h == 64) || (!strncmp(m->digest, "sha512:", 7) && h == 128), "a digest");
		check(!m->digest[7 + h], "a digest with more after it");
		for (size_t k = 0; k < rl; k++)
			check((unsigned char)m->ref[k] >= 0x20 && (unsigned char)m->ref[k] < 0x7f, "a ref with a control or non-ASCII byte");
		check(!m->signature || (rl > 4 && !strcmp(m->ref + rl - 4, ".sig")), "a signature without a .sig tag");
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (layout < 0)
		setup();
	struct blob bl[NBLOB];
	const uint8_t *part[NBLOB], *end = data + size;
	size_t len[NBLOB], n = 0;
	for (const uint8_t *p = data; n < NBLOB; n++) {
		const uint8_t *z = memchr(p, 0, (size_t)(end - p));
		part[n] = p;
		len[n] = (size_t)((z ? z : end) - p);
		if (!z)
			break;
		p = z + 1;
	}
	n += n < NBLOB;
	int dir = openat(layout, "blobs/sha256", O_RDONLY | O_DIRECTORY);
	check(dir >= 0, "blobs/sha256");
	fs_empty_dir(dir, FS_SAME_DEV, 2);
	for (size_t i = NBLOB; i-- > 0;) {
		bl[i].b = (struct buf)BUF_INIT(8 << 20);
		bl[i].hex[0] = 0;
		expand(bl, i, i < n ? part[i] : NULL, i < n ? len[i] : 0); /* past the input: empty, not written */
		if (i && i < n) {
			int fd = openat(dir, bl[i].hex, O_WRONLY | O_CREAT | O_TRUNC, 0644);
			check(fd >= 0 && !fs_write_all(fd, bl[i].b.p, bl[i].b.len) && !close(fd), "write a blob");
		}
	}
	close(dir);
	check(!fs_write_atomic(layout, "index.json", bl[0].b.p ? (const char *)bl[0].b.p : "", bl[0].b.len, 0644), "index.json");

	static struct oci_result r0, r1;
	struct kerr e0 = {0}, e1 = {0};
	memset(&r0, 0, sizeof(r0));
	memset(&r1, 0, sizeof(r1));
	int ret0 = oci_verify(layout, NULL, &r0, &e0);
	int ret1 = oci_verify(layout, &keys, &r1, &e1);
	check(!ret0 || (ret0 == -EBADMSG && e0.msg[0]), "a refusal that is not -EBADMSG or says nothing");
	check(!ret1 || (ret1 == -EBADMSG && e1.msg[0]), "a refusal with keys that is not -EBADMSG or says nothing");
	check(ret1 || !ret0, "verified with a trusted key, refused without keys");
	if (!ret0)
		result_ok(&r0);
	if (!ret1) {
		result_ok(&r1);
		check(r1.nimages == r0.nimages && r1.manifests == r0.manifests && r1.layers == r0.layers &&
			r1.signatures == r0.signatures && r1.bytes == r0.bytes, "keys changed what was walked");
		for (size_t i = 0; i < r1.nimages; i++)
			check(r1.images[i].signature || (r1.images[i].signed_ok && !memcmp(r1.images[i].key_id, sig_key_id(keys.keys[0]), 32)),
				"an unsigned image verified with keys");
	}
	for (size_t i = 0; i < NBLOB; i++)
		buf_free(&bl[i].b);
	return 0;
}
