/* ign_apply.h — applying a config to a target root, all or nothing.
 *
 *  1. plan     read the target (never following a symlink: a symlink in the parent path of
 *              anything the config writes is an error) and the account databases; decide every
 *              directory, file, link, unit file, enablement link and account change; refuse
 *              conflicts (an existing file where overwrite is false, a read-only filesystem...).
 *  2. prepare  fetch every byte into a staging directory inside the target (ROOT/.keel-staging),
 *              checking each verification hash; give each staged file its final mode and owner;
 *              then one syncfs() makes them all durable. Files that exist and must not be
 *              overwritten are compared instead.
 *  3. journal  ROOT/.keel-staging/journal names every op and staged file (ign_plan.h); it is on
 *              disk (fsync, rename, fsync) before the first change.
 *  4. commit   create directories, rename staged files into place (the replaced node kept aside
 *              until the end), make links, rewrite /etc/passwd, group, shadow, gshadow; write the
 *              marker last; syncfs(); note "committed" in the staging directory; drop what was
 *              kept aside; remove the journal, then the staging directory. Any failure undoes
 *              what was done, in reverse order.
 * A failure before 4 has written nothing but the staging directory, which is removed. A crash
 * (power cut, kill) during 4 leaves the journal: the next ign_apply() or ign_recover() finishes
 * that commit exactly once before anything else (each step is found done or not on the target,
 * see ign_apply.c), so an append is never made twice and a half-made account change never stays.
 *
 * The marker ROOT/var/lib/keel/provision/applied records the sha512 of the configs applied
 * (ign_config_id) and the kernel arguments the config asked for (keel does not edit the kernel
 * command line: they are reported as needing a reboot with the boot loader configured).
 */
#ifndef KEEL_IGN_APPLY_H
#define KEEL_IGN_APPLY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "provision/ign.h"
#include "provision/ign_load.h"

#define IGN_MARKER "/var/lib/keel/provision/applied"
#define IGN_STAGING "/.keel-staging"
/* keel provision reset: "provision again at the next boot" (removed once that boot provisioned) */
#define IGN_FIRSTBOOT "/var/lib/keel/provision/first-boot"

struct ign_apply_opts {
	int rootfd;               /* the target root directory */
	struct ign_env *env;      /* fetching */
	uint8_t config_id[64];    /* sha512 of the inputs, recorded in the marker */
	int64_t now;              /* seconds since the epoch (shadow's last change) */
	bool no_inputs;           /* no config and no base config: the marker records "version": null */
};

struct ign_report {
	size_t dirs, files, links, units, unchanged;
	size_t accounts; /* account files rewritten (/etc/passwd, group, shadow, gshadow) */
	size_t kargs; /* kernel arguments requested: need a reboot */
};

int ign_apply(const struct ign_cfg *c, const struct ign_apply_opts *o, struct ign_report *rep, struct kerr *e);

/* Does ROOT's marker record this config id? 1 yes, 0 no (or no marker), <0 error. */
int ign_marker_matches(int rootfd, const uint8_t id[64], struct kerr *e);

/* Finish the commit a crash interrupted (ROOT/.keel-staging/journal): 1 finished, 0 there was
 * none (a staging directory without a journal changed nothing and is removed), <0 the commit
 * could not be finished (undone, or kept for the next try when the undo failed too). */
int ign_recover(int rootfd, struct kerr *e);

/* Is there a regular file at path (IGN_MARKER, IGN_FIRSTBOOT) beneath ROOT? 1 yes, 0 no, <0 an
 * error (a symlink or another type of node there: refused). */
int ign_state_has(int rootfd, const char *path, struct kerr *e);
/* Create IGN_FIRSTBOOT (its directories as needed, never through a symlink), durably. */
int ign_first_boot_request(int rootfd, struct kerr *e);
/* Remove IGN_FIRSTBOOT, durably (no file is not an error). */
int ign_first_boot_done(int rootfd, struct kerr *e);

/* sha512 over the top-level inputs, each as its name, a NUL, its length (8 bytes, big
 * endian) and its bytes. */
struct hash_ctx;
void ign_config_id_add(struct hash_ctx *h, const char *name, const void *data, size_t len);

#endif
