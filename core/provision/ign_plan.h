/* ign_plan.h — the plan of changes to a target (private to ign_plan.c and ign_apply.c). */
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

enum node_type { N_NONE, N_DIR, N_REG, N_LNK, N_OTHER };

enum op_kind {
	OP_MKDIR,    /* create a directory */
	OP_ATTR,     /* change mode/owner of an existing node */
	OP_FILE,     /* put a staged file in place */
	OP_SYMLINK,
	OP_HARDLINK,
	OP_REMOVE,   /* remove a symlink (disable, unmask) */
};

struct op {
	enum op_kind kind;
	char *path;               /* absolute, clean (owned) */
	const char *where;        /* JSON path for messages */
	enum node_type existing;  /* at plan time */
	bool replace;             /* the existing node is moved aside, then removed at the end */
	bool set_mode, set_owner;
	uint32_t mode, uid, gid;
	/* OP_FILE */
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
	struct stat old;          /* OP_ATTR: the node the plan saw (its dev and ino pin it), what undo restores */
};

struct pslot {
	const char *path;
	enum node_type type;
	int8_t ro;                /* -1 unknown, 0 writable, 1 read-only filesystem */
	long op;                  /* planned by ops[op], -1: exists on the target */
	bool saved;               /* commit changed this existing directory: times to restore on undo */
	struct timespec times[2];
};

struct plan {
	int rootfd;
	struct op *ops;
	size_t n, cap;
	struct pslot *slots;      /* open addressing, power of two */
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
int ign_plan(struct plan *p, const struct ign_cfg *c, struct kerr *e);
void ign_plan_free(struct plan *p);
/* The map entry of a path (NULL if the plan never looked at it). */
struct pslot *ign_plan_slot(struct plan *p, const char *path);
/* Plan one file entry (the marker is planned this way too). */
int ign_plan_file(struct plan *p, const struct ign_file *f, struct kerr *e);
/* A copy of s owned by the plan (freed by ign_plan_free); NULL when out of memory. */
const char *ign_plan_keep(struct plan *p, const char *s);
/* A new op at the end of the plan (path copied), zeroed but for kind, path and where. */
struct op *ign_plan_op(struct plan *p, enum op_kind kind, const char *path, const char *where);

/* ---- ign_apply.c ----
 * Owner (when own) and mode of the node base in dfd, through a descriptor opened without
 * following a symlink: the node must be of type want (N_DIR or N_REG) and, when pin is given,
 * the very inode pin describes (st_dev, st_ino). A node of another type or identity is refused
 * before anything changes: -ELOOP (a symlink), -ENOTDIR (not the directory wanted), -EISDIR or
 * -ESTALE (another type or inode). *touched (may be NULL) says whether fchown/fchmod ran. */
int ign_set_attr(int dfd, const char *base, enum node_type want, const struct stat *pin, bool own, uid_t uid,
	gid_t gid, mode_t mode, bool *touched);

/* ---- ign_journal.c: the commit journal, ROOT/.keel-staging/journal ----
 * Written (fsync, rename, fsync of the directory) once every staged byte is on disk and before
 * the first change to the target; it names every op of the plan (kind, path, staged file,
 * owner and mode, link target, the pinned node of an attribute change) so that a commit a
 * crash interrupted can be finished from it alone: ign_recover() (ign_apply.h). */
#define IGN_JOURNAL "journal"
#define IGN_JOURNAL_MAX (64u << 20)
/* The journal text of plan p into out. */
int ign_journal_text(const struct plan *p, struct buf *out);
/* Parse a journal into p's ops (p->rootfd set by the caller); every field is checked (paths
 * clean and absolute, staged names, modes, ids) before it is used. */
int ign_journal_parse(struct plan *p, const void *text, size_t len, struct kerr *e);

#endif
