/* module.h — kernel modules: the modules.dep / modules.softdep / modules.alias / modules.builtin
 * indexes that depmod writes, the load order modprobe would use, and finit_module(2).
 *
 * module_plan() computes what loading NAME takes, in order, as kmod's modprobe does: its
 * modules.dep dependencies from the last listed to the first, each preceded by its own "pre:"
 * softdeps and followed by its "post:" ones, then NAME the same way. Only the first softdep line
 * matching a module counts (as in kmod). A name that is not a module file is looked up in
 * modules.alias (every matching module, shell patterns as modprobe matches them), then in
 * modules.builtin (nothing to load). Softdeps are soft: one that cannot be found or loaded is
 * skipped. Names compare with '-' and '_' equal. /etc/modprobe.d is not read (the initramfs has
 * none). tests/compat/module.sh checks the order against modprobe --show-depends.
 *
 * The index files are untrusted text read with bounded lengths: at most MODINDEX_MAX bytes each,
 * lines of at most MODLINE_MAX bytes, paths of at most MODPATH_MAX bytes, MODPLAN_MAX modules.
 */
#ifndef KEEL_MODULE_H
#define KEEL_MODULE_H

#include "base/buf.h"

struct kerr;

#define MODINDEX_MAX (8u << 20)
#define MODLINE_MAX 4096
#define MODPATH_MAX 256
#define MODPLAN_MAX 128

struct modindex {
	struct buf dep, softdep, alias, builtin;
};

struct modplan_ent {
	char path[MODPATH_MAX]; /* relative to the modules directory, e.g. kernel/fs/erofs/erofs.ko */
	char name[64];          /* normalised: '-' as '_' */
	int soft;               /* reached only through a softdep: failure to load is not an error */
};

struct modplan {
	int n;
	struct modplan_ent e[MODPLAN_MAX];
};

/* Read the index files of dir (e.g. /lib/modules/6.1.0-56-amd64). modules.dep is required; the
 * others may be missing. */
int modindex_load(struct modindex *m, const char *dir, struct kerr *e);
/* Use in-memory index texts (tests, fuzzing); each may be NULL. Copies them. */
int modindex_set(struct modindex *m, const char *dep, const char *softdep, const char *alias,
	const char *builtin, struct kerr *e);
void modindex_free(struct modindex *m);

/* Append what loading name takes to plan (entries already in plan are not repeated). */
int module_plan(const struct modindex *m, const char *name, struct modplan *plan, struct kerr *e);

/* finit_module() each entry of plan, in order; "already loaded" is success. loaded and skipped
 * (soft entries that failed, and modules whose init said ENODEV: what they serve is not there,
 * e.g. efivarfs on a machine not booted through UEFI) count what happened; either may be NULL. Module paths are opened
 * beneath dir (core/base/fs.h fs_open_beneath: no ".." out of it, no symlink followed). */
int module_load_plan(const char *dir, const struct modplan *plan, int *loaded, int *skipped, struct kerr *e);

#endif
