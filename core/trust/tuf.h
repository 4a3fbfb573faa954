/* tuf.h — a TUF client (specification 1.0.x) and the metadata side of a publisher.
 *
 * tuf_meta.c parses one metadata file and checks it against the keys of a role; tuf_keys.c
 * turns TUF key objects into keys bound to their declared scheme; tuf_client.c is the update
 * workflow (root chain, timestamp, snapshot, targets) over a fetcher, with the trusted copies
 * kept in a trust directory; tuf_publish.c writes and signs a repository's metadata.
 *
 * Stricter than tuf-js where it is lenient:
 *  - a threshold counts distinct public keys (the DER SubjectPublicKeyInfo), not key ids;
 *  - the verification follows the declared keytype + scheme: "ecdsa"/"ecdsa-sha2-nistp256"
 *    with scheme "ecdsa-sha2-nistp256" must hold a P-256 key, "rsa" with "rsassa-pss-sha256" an
 *    RSA key; any other pairing, or a key type keel does not implement (ed25519), is unusable
 *    and never counted;
 *  - a role naming a key id that root's "keys" lacks is an error, not a skipped key;
 *  - two signatures with the same key id, a root with a role other than the four top-level
 *    ones, and delegations are refused by name.
 * Every document is read with a length bound (the one its parent declares, else the defaults
 * below) and its hashes are checked before it is parsed.
 */
#ifndef KEEL_TUF_H
#define KEEL_TUF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/buf.h"
#include "base/json.h"
#include "trust/sig.h"

struct kerr;

/* tuf-js' defaults */
#define TUF_ROOT_MAX 512000
#define TUF_TIMESTAMP_MAX 16384
#define TUF_SNAPSHOT_MAX 2000000
#define TUF_TARGETS_MAX 5000000
#define TUF_MAX_ROTATIONS 256
#define TUF_MAX_KEYS 64      /* keys in a root */
#define TUF_MAX_ROLE_KEYS 32 /* key ids of one role */
#define TUF_MAX_SIGS 64      /* signatures on one document */
#define TUF_NAME_MAX 1024    /* a target's name */

enum tuf_role { TUF_ROOT, TUF_TIMESTAMP, TUF_SNAPSHOT, TUF_TARGETS, TUF_NROLES };
extern const char *const tuf_role_names[TUF_NROLES];

/* One key of root's "keys". k is NULL when the key is unusable (unknown type or scheme,
 * material that does not match them): it never verifies anything. */
struct tuf_key {
	char *id;
	struct sig_key *k;
	enum sig_alg alg; /* SIG_ECDSA or SIG_RSA_PSS, both over SHA-256 */
};

struct tuf_rolekeys {
	uint64_t threshold;
	size_t n;
	unsigned idx[TUF_MAX_ROLE_KEYS]; /* into tuf_root.keys */
};

struct tuf_root {
	struct tuf_key keys[TUF_MAX_KEYS];
	size_t nkeys;
	struct tuf_rolekeys roles[TUF_NROLES];
	bool consistent;
};

enum { TUF_HAS_SHA256 = 1, TUF_HAS_SHA512 = 2 };

/* A file as a parent document describes it (METAFILES of timestamp/snapshot, TARGETS). */
struct tuf_file {
	uint64_t version;  /* metadata only; 0 when absent */
	uint64_t length;   /* 0 when absent (metadata) */
	unsigned hashes;   /* TUF_HAS_* */
	const char *first; /* hex of the hash listed first: consistent target names use it */
	uint8_t sha256[32], sha512[64];
	const struct json *custom; /* targets: "custom", or NULL */
};

/* One parsed metadata document. */
struct tuf_meta {
	enum tuf_role role;
	struct buf raw;       /* the bytes as read */
	struct json_doc doc;
	const struct json *sig_list; /* "signatures" */
	struct buf canon;     /* canonical JSON of "signed" */
	uint64_t version;
	int64_t expires;      /* seconds since the epoch */
	struct tuf_root *root;        /* TUF_ROOT */
	struct tuf_file file;         /* TUF_TIMESTAMP: snapshot.json; TUF_SNAPSHOT: targets.json */
	const struct json *meta;      /* TUF_SNAPSHOT: "meta" */
	const struct json *targets;   /* TUF_TARGETS: "targets" */
};

/* ---- tuf_keys.c ---- */

/* A key object {"keytype","scheme","keyval":{"public"}}: 0 with *out set (usable), 0 with *out
 * NULL (unusable: skipped), or -EINVAL (not a key object). Public keys are PEM SPKI; an ECDSA key
 * may also be hex (of a DER SPKI, or of the 65-byte uncompressed point). */
int tuf_key_parse(const struct json *v, struct sig_key **out, enum sig_alg *alg, struct kerr *e);
/* Check the signatures of m (canonical "signed" already in m->canon) with role of r: at least
 * threshold distinct usable keys must verify. 0, or -EBADMSG naming the counts. */
int tuf_verify(const struct tuf_root *r, enum tuf_role role, const struct tuf_meta *m, struct kerr *e);
void tuf_root_free(struct tuf_root *r); /* accepts NULL */

/* ---- tuf_meta.c ---- */

/* Parse raw (taken over: freed by tuf_meta_free) as metadata of role: envelope, _type,
 * spec_version 1.x, version >= 1, expires (YYYY-MM-DDTHH:MM:SSZ), the role's own fields. No
 * signature is checked here. On error *out is NULL and e names the role and field. */
int tuf_meta_parse(struct tuf_meta **out, enum tuf_role role, struct buf *raw, struct kerr *e);
void tuf_meta_free(struct tuf_meta *m); /* accepts NULL */
/* A file description (see struct tuf_file); need_version for METAFILES, else need_length. */
int tuf_file_parse(const struct json *v, int metafile, struct tuf_file *f, struct kerr *e);
/* Check len and the hashes of data against f: -EBADMSG naming what differs. */
int tuf_file_check(const struct tuf_file *f, const void *data, size_t len, const char *what, struct kerr *e);
/* "2030-01-01T00:00:00Z" <-> seconds since the epoch. */
int tuf_time_parse(const char *s, int64_t *out);
void tuf_time_format(int64_t t, char out[21]);

/* ---- tuf_client.c ---- */

/* Hand the bytes of path (relative to the repository: "metadata/1.root.json",
 * "targets/NAME") to sink as they arrive. A missing file is -ENOENT; sink's error aborts. */
typedef int (*tuf_sink_fn)(void *ctx, const void *data, size_t len);
struct tuf_fetch {
	int (*get)(void *ctx, const char *path, uint64_t max, tuf_sink_fn sink, void *sctx, struct kerr *e);
	void *ctx;
};
/* A fetcher for a repository in a local directory (opened beneath dirfd, no symlinks). */
int tuf_fetch_dir(void *dirfd_ptr, const char *path, uint64_t max, tuf_sink_fn sink, void *sctx, struct kerr *e);

struct tuf_client {
	int64_t now;              /* fixed once, before the update starts */
	int trustfd;              /* the trust directory */
	const char *bootstrap;    /* a root.json to start from when the trust dir has none */
	struct tuf_fetch fetch;
	struct tuf_meta *m[TUF_NROLES]; /* trusted after tuf_refresh / tuf_load */
	unsigned rotations;       /* roots taken by the last refresh */
	unsigned written;         /* files the last refresh wrote (bit per role) */
};

/* The update workflow of the specification (5.3-5.6). Only when every step succeeded are the new
 * trusted files written (atomically, root first); on any failure the trust dir is unchanged. */
int tuf_refresh(struct tuf_client *c, struct kerr *e);
/* The trusted metadata of the trust dir, checked again against its root and against c->now. */
int tuf_load(struct tuf_client *c, struct kerr *e);
/* The trusted targets' entry for name: -ENOENT if there is none. */
int tuf_target(const struct tuf_client *c, const char *name, struct tuf_file *f, struct kerr *e);
/* Fetch a target into fd, length and every hash checked as it streams: 0 or -EBADMSG / -EFBIG. */
int tuf_download(const struct tuf_client *c, const char *name, const struct tuf_file *f, int fd, struct kerr *e);
void tuf_client_free(struct tuf_client *c);
/* A target name: 1..TUF_NAME_MAX bytes of printable ASCII, relative, no "." or ".." or empty part. */
int tuf_name_ok(const char *name);

/* ---- tuf_publish.c ---- */

struct jw;
/* Write a parsed value again (integers only, as canonical JSON has them). */
void tuf_jw_value(struct jw *w, const struct json *v);

struct tuf_signer {
	enum tuf_role role;
	struct sig_priv *k;
};

struct tuf_pub {
	int repofd;                 /* the repository: metadata/ and targets/ below it */
	int64_t now;
	int64_t expires[TUF_NROLES];/* seconds after now */
	uint64_t threshold[TUF_NROLES]; /* init, rotate: 0 keeps / defaults to 1 */
	bool consistent;            /* init */
	struct tuf_signer *sign;    /* keys that sign (init: the role keys too) */
	size_t nsign;
	struct tuf_signer *keys;    /* rotate: the new keys of the roles they name */
	size_t nkeys;
	const char *custom;         /* targets: a JSON object for every added target */
	const char *const *customs; /* targets: per target, overriding custom (NULL entries: custom) */
};

/* A new repository: root, targets, snapshot and timestamp version 1. */
int tuf_pub_init(struct tuf_pub *p, struct kerr *e);
/* Add files (paths[i] published as names[i]) and sign new targets, snapshot, timestamp. */
int tuf_pub_targets(struct tuf_pub *p, char *const *paths, char *const *names, size_t n, struct kerr *e);
/* Root N+1 with the roles named in p->keys replaced, signed by the old and the new root keys. */
int tuf_pub_rotate(struct tuf_pub *p, struct kerr *e);

#endif
