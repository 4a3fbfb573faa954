/* init_deps.h — `keel init list-dependencies [--all] [UNIT]` (applets/init_deps.c), printed as
 * systemctl (systemd 252) prints it. */
#ifndef KEEL_APPLET_INIT_DEPS_H
#define KEEL_APPLET_INIT_DEPS_H

#include <stdbool.h>

#define DEPS_DEPTH 32      /* levels of the tree (systemd has none: a cycle ends it, as here) */
#define DEPS_ROWS 16384    /* lines printed at most */

/* The tree of unit top (the client's list-dependencies; "multi-user.target" when none is named):
 * Requires=, Requisite=, Wants=, BindsTo= (and .wants/, .requires/ entries) from the unit files
 * beneath root, as keel init loads them, sorted as systemctl sorts them (targets last); only
 * targets are followed unless all; a unit already on the path is "...". Each line starts with the
 * unit's state as PID 1 at ctl_path reports it (● active, × failed, ○ else; nothing when PID 1
 * does not answer: a tree not booted), asked inside the client's sandbox (syscalls, see
 * base/sandbox.h) once the unit files are read. Exit status. */
int init_list_deps(const char *root, const char *top, bool all, const char *ctl_path, const char *const *syscalls);

#endif
