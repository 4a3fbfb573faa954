/* ign.h — Ignition v3 configs (spec 3.0.0 to 3.5.0) as keel applies them.
 *
 * Life of a config:
 *   ign_parse()     strict JSON -> model, every key checked against the spec version the config
 *                   names (unknown keys, keys of a later version and keys keel does not support
 *                   are errors naming their JSON path), then the rules of the spec (clean absolute
 *                   paths, unique entries, modes, hashes, URLs, unit names...).
 *   ign_merge()     a child config merged into its parent as Ignition merges them.
 *   ign_check()     the checks that only make sense on the final config (paths under links,
 *                   hard links to directories).
 *   ign_load*()     (ign_load.c) where configs come from: files, data:/http(s) URLs, the
 *                   kernel command line, a config drive; replace/merge references followed.
 *   ign_apply()     (ign_apply.c) plan against a target root, fetch and verify every byte into a
 *                   staging directory inside the target, then commit with an undo log.
 *
 * Errors are one line that starts with the JSON path of the culprit, for example
 *   "storage.files[3].contents.verification.hash: sha512 of the contents does not match"
 * with " (in <config>)" added for configs other than the one given. Values from the config
 * (contents, password hashes, keys, URLs' queries) never appear in messages.
 */
#ifndef KEEL_IGN_H
#define KEEL_IGN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "trust/hash.h"

struct buf;
struct jw;
struct kerr;
struct json_doc;

#define IGN_MINOR_MAX 5 /* 3.5.0 */

/* Tri-state for optional booleans. */
enum { IGN_UNSET = -1, IGN_NO = 0, IGN_YES = 1 };

struct ign_header {
	const char *name;
	const char *value; /* NULL: "remove this header" when merging */
};

/* A fetched thing: contents, an append fragment, a merged config, a CA bundle. */
struct ign_res {
	const char *source;      /* NULL: unset */
	const char *compression; /* NULL/"": none; "gzip" (ign_fetch decompresses; the hash is over the result) */
	struct ign_header *headers;
	size_t nheaders;
	const char *hash;        /* "sha512-..." as written; NULL: unset */
	enum hash_alg alg;
	uint8_t digest[HASH_MAX_SIZE];
	const char *where;       /* JSON path, e.g. "storage.files[3].contents" */
};

struct ign_owner {
	bool has_id;
	uint32_t id;
	const char *name; /* NULL: unset */
};

struct ign_file {
	const char *path;
	int8_t overwrite;
	bool has_contents;
	struct ign_res contents;
	struct ign_res *append;
	size_t nappend;
	bool has_mode;
	uint32_t mode;
	struct ign_owner user, group;
	const char *where;
};

struct ign_dir {
	const char *path;
	int8_t overwrite;
	bool has_mode;
	uint32_t mode;
	struct ign_owner user, group;
	const char *where;
};

struct ign_link {
	const char *path;
	int8_t overwrite;
	struct ign_owner user, group;
	const char *target;
	int8_t hard;
	const char *where;
};

struct ign_dropin {
	const char *name;
	const char *contents; /* NULL: unset */
	const char *where;
};

struct ign_unit {
	const char *name;
	int8_t enabled, mask;
	const char *contents;
	struct ign_dropin *dropins;
	size_t ndropins;
	const char *where;
};

struct ign_user {
	const char *name;
	const char *password_hash;
	const char **ssh_keys;
	size_t nssh_keys;
	bool has_uid;
	uint32_t uid;
	const char *gecos, *home, *primary_group, *shell;
	int8_t no_create_home, no_user_group, no_log_init, system, should_exist;
	const char **groups;
	size_t ngroups;
	bool has_groups;
	const char *where;
};

struct ign_group {
	const char *name;
	bool has_gid;
	uint32_t gid;
	const char *password_hash;
	int8_t system, should_exist;
	const char *where;
};

struct ign_cfg {
	int minor;                   /* 3.<minor>.0 */
	const char *label;           /* NULL for the config given; else where it came from */
	/* ignition */
	struct ign_res *merge;
	size_t nmerge;
	bool has_replace;
	struct ign_res replace;
	bool has_header_timeout, has_total_timeout;
	uint32_t header_timeout, total_timeout; /* seconds; 0: none */
	struct ign_res *cas;
	size_t ncas;
	/* storage */
	struct ign_file *files;
	size_t nfiles;
	struct ign_dir *dirs;
	size_t ndirs;
	struct ign_link *links;
	size_t nlinks;
	/* systemd */
	struct ign_unit *units;
	size_t nunits;
	/* passwd */
	struct ign_user *users;
	size_t nusers;
	struct ign_group *groups;
	size_t ngroups;
	/* kernelArguments */
	const char **kargs_add, **kargs_del;
	size_t nkargs_add, nkargs_del;

	/* owned memory: parsed documents and strings made for paths */
	struct json_doc *docs;
	size_t ndocs;
	char **strs;
	size_t nstrs;
};

/* Limits for a config document: 16 MiB, nesting 64, 1,000,000 values. */
extern const struct json_limits ign_json_limits;

/* Parse and check one config document. label names it in messages (NULL for the main one).
 * On success *out owns everything (the input may be freed). -EINVAL: invalid config;
 * -ENOTSUP: a field or value keel does not support; -E2BIG: a limit. */
int ign_parse(struct ign_cfg **out, const void *json, size_t len, const char *label, struct kerr *e);
void ign_free(struct ign_cfg *c); /* accepts NULL */

/* Merge child into parent (Ignition's rules: child fields win, lists keyed by path/name/source
 * are merged entry by entry, files/directories/links share one key space). child is consumed
 * (freed) whatever the result. */
int ign_merge(struct ign_cfg *parent, struct ign_cfg *child, struct kerr *e);

/* Checks across the whole, merged config. */
int ign_check(const struct ign_cfg *c, struct kerr *e);

/* The spec version string "3.N.0". */
const char *ign_version(const struct ign_cfg *c);

/* ---- helpers shared by the ign_* files (ign_check.c) --------------------------------- */

/* Ignition's path rule: absolute and fully simplified. keel also refuses "/" itself and
 * components longer than NAME_MAX. Returns NULL or the reason. */
const char *ign_path_problem(const char *path);
/* A decimal mode as the spec allows: 0..07777; set-id and sticky bits only from 3.4.0. */
const char *ign_mode_problem(int64_t mode, int minor);
/* "<alg>-<hex>" with sha256 from 3.1.0; fills alg and digest. */
const char *ign_hash_parse(const char *s, int minor, enum hash_alg *alg, uint8_t *digest);
/* Unit names: NAME.TYPE with a systemd unit type, one path component. */
const char *ign_unit_name_problem(const char *name);
/* Syntax of a unit file or drop-in, as systemd and Ignition parse it: sections "[Name]",
 * "Key=value" lines (continued with a final backslash), comments, lines up to 2048 bytes. */
const char *ign_unit_syntax_problem(const char *contents, size_t *line);

#endif
