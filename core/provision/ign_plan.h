/* ign_plan.h — the plan of changes to a target (private to provision: the ign_plan*.c files,
 * ign_apply.c, ign_journal.c). */
#ifndef KEEL_IGN_PLAN_H
#define KEEL_IGN_PLAN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>
#include <time.h>

#include "provision/ign.h"
#include "base/passwd.h"

struct buf;

enum ign_node_type { IGN_N_NONE, IGN_N_DIR, IGN_N_REG, IGN_N_LNK, IGN_N_OTHER };

enum ign_op_kind {
	IGN_OP_MKDIR,  /* create a directory */
	IGN_OP_ATTR,   /* change mode/owner of an existing node */
	IGN_OP_FILE,   /* put a staged file in place */
	IGN_OP_SYMLINK,
	IGN_OP_HARDLINK,
	IGN_OP_REMOVE, /* remove a symlink (disable, unmask) */
};

struct ign_op {
	enum ign_op_kind kind;
	char *path;               /* absolute, clean (owned) */
	const char *where;        /* JSON path for messages */
	enum ign_node_type existing;  /* at plan time */
	bool replace;             /* the existing node is moved aside, then removed at the end */
	bool set_mode, set_owner;
	uint32_t mode, uid, gid;
	/* IGN_OP_FILE */
	const struct ign_file *file; /* contents + append from the config */
	char *text;               /* or generated contents (owned) */
	size_t textlen;
	bool secret;              /* wipe text when done */
	bool prefix_existing;     /* existing contents + append fragments */
	bool compare_only;        /* exists, overwrite false: the fetched data must match */
	bool skip;                /* prepare found nothing to do */
	char staged[32];
	/* links */
	char *target;             /* symlink contents or hard link target (owned) */
	/* undo */
	bool done;
	char backup[32];
	struct stat old;          /* IGN_OP_ATTR: the node the plan saw (its dev and ino pin it), what undo restores */
};

struct ign_slot {
	const char *path;
	enum ign_node_type type;
	int8_t ro;                /* -1 unknown, 0 writable, 1 read-only filesystem */
	long op;                  /* planned by ops[op], -1: exists on the target */
	bool saved;               /* commit changed this existing directory: times to restore on undo */
	struct timespec times[2];
};

struct ign_plan {
	int rootfd;
	struct ign_op *ops;
	size_t n, cap;
	struct ign_slot *slots;      /* open addressing, power of two */
	size_t nslots, used;
	struct pwdb db;
	bool db_changed[PW_NFILES];
	struct stat db_st[PW_NFILES]; /* of the existing files (mode and owner kept) */
	int64_t now;
	char **strs;              /* strings kept for slots and messages */
	size_t nstrs;
	bool undo_incomplete;     /* ign_commit failed and could not undo everything */
};

/* Build the plan of c against the target (p->rootfd and p->now set by the caller). */
int ign_plan(struct ign_plan *p, const struct ign_cfg *c, struct kerr *e);
void ign_plan_free(struct ign_plan *p);
/* The map entry of a path (NULL if the plan never looked at it). */
struct ign_slot *ign_plan_slot(struct ign_plan *p, const char *path);
/* Plan one file entry (the marker is planned this way too). */
int ign_plan_file(struct ign_plan *p, const struct ign_file *f, struct kerr *e);
/* A copy of s owned by the plan (freed by ign_plan_free); NULL when out of memory. */
const char *ign_plan_keep(struct ign_plan *p, const char *s);
/* A new op at the end of the plan (path copied), zeroed but for kind, path and where. */
struct ign_op *ign_plan_op(struct ign_plan *p, enum ign_op_kind kind, const char *path, const char *where);

/* ---- shared by the ign_plan*.c files ----
 * ign_plan_paths.c: the map of paths and the checks of every node. */
/* Record path (kept by the caller for the plan's life) as of type t, planned by ops[op] (-1: exists). */
struct ign_slot *ign_plan_slot_put(struct ign_plan *p, const char *path, enum ign_node_type t, long op);
/* What is at path (absolute) now, as planned or on the target; st (may be NULL) of an existing node. */
int ign_plan_inspect(struct ign_plan *p, const char *path, enum ign_node_type *t, struct stat *st, struct kerr *e);
/* Fail if the existing directory dir is on a read-only filesystem. */
int ign_plan_writable(struct ign_plan *p, const char *dir, const char *where, struct kerr *e);
/* The parent directory of path (absolute) into out (PATH_MAX bytes; "/" for "/x"). */
void ign_plan_parent_of(const char *path, char *out);
/* If the parent of path exists on the target (is not planned), it must be writable. */
int ign_plan_parent_writable(struct ign_plan *p, const char *path, const char *where, struct kerr *e);
/* A planned directory at path with mode and owner (NULL when out of memory). */
struct ign_op *ign_plan_mkdir(struct ign_plan *p, const char *path, const char *where, uint32_t mode, uint32_t uid,
	uint32_t gid);
/* Every parent of path a directory (0755 root:root ones planned as needed); a symlink among them is an error. */
int ign_plan_parents(struct ign_plan *p, const char *path, const char *where, struct kerr *e);
/* Common start of every node: parents, what exists (*t, *st), writable parent, not planned twice. */
int ign_plan_prepare(struct ign_plan *p, const char *path, const char *where, enum ign_node_type *t, struct stat *st,
	struct kerr *e);
/* ign_plan_accounts.c: a file beneath the root into out (1: there is none); the account databases
 * (then groups, users, homes in that order); the rewritten database files, last. */
int ign_plan_read(struct ign_plan *p, const char *path, size_t max, struct buf *out, struct stat *st, struct kerr *e);
int ign_plan_load_db(struct ign_plan *p, struct kerr *e);
int ign_plan_group(struct ign_plan *p, const struct ign_group *g, struct kerr *e);
int ign_plan_user(struct ign_plan *p, const struct ign_user *u, struct kerr *e);
int ign_plan_home(struct ign_plan *p, const struct ign_user *u, bool is_new, struct kerr *e);
int ign_plan_db_files(struct ign_plan *p, struct kerr *e);
/* ign_plan_storage.c: directories (parents first), files (ign_plan_file above), links; a symlink
 * or hard link op; whether the symlink at path already points at target. */
int ign_plan_dir(struct ign_plan *p, const struct ign_dir *d, struct kerr *e);
int ign_plan_link(struct ign_plan *p, const struct ign_link *l, struct kerr *e);
int ign_plan_link_op(struct ign_plan *p, enum ign_op_kind kind, const char *path, const char *where, const char *target,
	enum ign_node_type t, uint32_t uid, uint32_t gid, bool owner, struct kerr *e);
int ign_plan_same_symlink(struct ign_plan *p, const char *path, const char *target);
/* ign_plan_units.c: unit file, drop-ins, mask, enablement links of one unit. */
int ign_plan_unit(struct ign_plan *p, const struct ign_unit *u, struct kerr *e);

/* ---- ign_apply.c ----
 * Owner (when own) and mode of the node base in dfd, through a descriptor opened without
 * following a symlink: the node must be of type want (IGN_N_DIR or IGN_N_REG) and, when pin is given,
 * the very inode pin describes (st_dev, st_ino). A node of another type or identity is refused
 * before anything changes: -ELOOP (a symlink), -ENOTDIR (not the directory wanted), -EISDIR or
 * -ESTALE (another type or inode). *touched (may be NULL) says whether fchown/fchmod ran. */
int ign_set_attr(int dfd, const char *base, enum ign_node_type want, const struct stat *pin, bool own, uid_t uid,
	gid_t gid, mode_t mode, bool *touched);

/* ---- ign_journal.c: the commit journal, ROOT/.keel-staging/journal ----
 * Written (fsync, rename, fsync of the directory) once every staged byte is on disk and before
 * the first change to the target; it names every op of the plan (kind, path, staged file,
 * owner and mode, link target, the pinned node of an attribute change) so that a commit a
 * crash interrupted can be finished from it alone: ign_recover() (ign_apply.h). */
#define IGN_JOURNAL "journal"
#define IGN_JOURNAL_MAX (64u << 20)
/* The journal text of plan p into out. */
int ign_journal_text(const struct ign_plan *p, struct buf *out);
/* Parse a journal into p's ops (p->rootfd set by the caller); every field is checked (paths
 * clean and absolute, staged names, modes, ids) before it is used. */
int ign_journal_parse(struct ign_plan *p, const void *text, size_t len, struct kerr *e);

#endif
