/* oci.h — verify an OCI image layout (opencontainers/image-spec image-layout.md) and its cosign
 * simple-signing signatures.
 *
 * oci_verify() reads `oci-layout` and `index.json`, then walks every descriptor reachable from
 * the index: nested image indexes, manifests, their configs and layers. Each blob is opened at
 * blobs/<alg>/<hex> beneath the layout (no symlinks, no escape), its size is checked against the
 * descriptor before a byte is hashed, then its sha256/sha512 digest. Index and manifest blobs
 * are parsed (strict JSON, at most 4 MiB); blobs of unknown media types are checked and
 * otherwise left alone, as the spec asks. Blobs in the layout that nothing references are not
 * errors.
 *
 * Signatures are cosign's: a signature manifest is an entry of index.json whose
 * org.opencontainers.image.ref.name is "<alg>-<hex>.sig" (cosign's tag for the signatures of the
 * manifest "<alg>:<hex>"; skopeo and umoci keep it) where "<alg>:<hex>" is the digest of another
 * entry of index.json that is not so tagged. Only such a manifest is a signature; every other
 * entry is an image, whatever its layers, config, annotations or tag (a manifest of cosign
 * payloads under an ordinary tag is an image like any other, and `cosign save`'s "kind"
 * annotation exempts nothing). All layers of a signature manifest must have media type
 * application/vnd.dev.cosign.simplesigning.v1+json, each payload being
 * {"critical":{"image":{"docker-manifest-digest":"<digest>"},"type":"cosign container image
 * signature"},…} naming the image its tag names, its annotation dev.cosignproject.cosign/signature
 * the base64 ECDSA (DER) or RSA PKCS#1 v1.5 signature over the payload's SHA-256; this is checked
 * with or without keys. With trusted keys, every image must be named by a signature, and every
 * signature must verify with a trusted key (fail closed).
 *
 * Errors: -EBADMSG when the layout does not verify (a digest or size that lies, a missing blob,
 * malformed JSON or descriptor, an unsigned image, a bad signature), with the blob named in e;
 * other negative errno for I/O failures.
 */
#ifndef KEEL_OCI_H
#define KEEL_OCI_H

#include <stddef.h>
#include <stdint.h>

#include "trust/hash.h"
#include "base/json.h"

struct kerr;
struct sig_keyring;

#define OCI_MAX_JSON (4 << 20)     /* an index or manifest blob */
#define OCI_MAX_PAYLOAD (1 << 20)  /* a cosign payload */
#define OCI_MAX_DEPTH 8            /* nested indexes */
#define OCI_MAX_BLOBS 8192         /* descriptors walked */
#define OCI_MAX_DESCS 4096         /* descriptors in one index or manifest */
#define OCI_MAX_IMAGES 256         /* top-level entries of index.json */
#define OCI_DIGEST_MAX 136         /* "sha512:" + 128 hex + NUL, rounded */

extern const char OCI_INDEX_TYPE[], OCI_MANIFEST_TYPE[], COSIGN_PAYLOAD_TYPE[];
/* An image index (OCI, or Docker's manifest list) / an image manifest (OCI, or Docker's v2). */
int oci_is_index_type(const char *media_type);
int oci_is_manifest_type(const char *media_type);

struct oci_desc {
	const char *media_type;      /* points into the parsed document */
	enum hash_alg alg;
	uint8_t digest[HASH_MAX_SIZE];
	char digest_str[OCI_DIGEST_MAX]; /* "sha256:<hex>" */
	uint64_t size;
	const struct json *annotations; /* object or NULL */
};

/* A descriptor object: mediaType (string), digest ("sha256:" + 64 or "sha512:" + 128 lower-case
 * hex), size (integer >= 0); annotations, if present, an object of strings. */
int oci_desc_parse(const struct json *v, struct oci_desc *d, struct kerr *e);
/* The value of annotation key on d, or NULL. */
const char *oci_desc_annotation(const struct oci_desc *d, const char *key);

/* An index (manifests[]) or a manifest (config + layers[]), parsed from untrusted bytes. */
struct oci_doc {
	int is_index;
	struct oci_desc config; /* manifests only */
	struct oci_desc *descs; /* index: manifests; manifest: layers */
	size_t n;
	struct json_doc json;
};
/* Parse buf as an index when want_index, else as a manifest; schemaVersion must be 2 and a
 * mediaType, if present, must match. */
int oci_doc_parse(struct oci_doc *d, const void *buf, size_t len, int want_index, struct kerr *e);
void oci_doc_free(struct oci_doc *d); /* accepts a zeroed or freed doc */

struct oci_image {
	char digest[OCI_DIGEST_MAX];
	char ref[128];          /* org.opencontainers.image.ref.name (control characters as '?'), or "" */
	int signature;          /* this entry is a cosign signature manifest (tag "<alg>-<hex>.sig" naming an image) */
	int signed_ok;          /* a trusted key's signature names it */
	uint8_t key_id[32];     /* that key */
};

struct oci_result {
	size_t indexes, manifests, configs, layers, others, signatures;
	uint64_t bytes;         /* bytes hashed */
	size_t nimages;
	struct oci_image images[OCI_MAX_IMAGES];
};

/* layout_fd: the layout directory. keys NULL: no signature requirement. */
int oci_verify(int layout_fd, const struct sig_keyring *keys, struct oci_result *r, struct kerr *e);

#endif
