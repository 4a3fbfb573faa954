/* init_deps.h — `keel init list-dependencies [--all] [UNIT]` (applets/init_deps.c), printed as
 * systemctl (systemd 252) prints it. */
#ifndef KEEL_APPLET_INIT_DEPS_H
#define KEEL_APPLET_INIT_DEPS_H

#define DEPS_DEPTH 32      /* levels of the tree (systemd has none: a cycle ends it, as here) */
#define DEPS_ROWS 16384    /* lines printed at most */

/* argv: "list-dependencies" [--root DIR] [--socket PATH] [--all] [UNIT]. The tree of UNIT
 * (default multi-user.target): Requires=, Requisite=, Wants=, BindsTo= (and .wants/,
 * .requires/ entries) from the unit files beneath --root, as keel init loads them, sorted
 * (targets last); only targets are followed unless --all; a unit already on the path is "...".
 * Each line starts with the unit's state as PID 1 reports it (● active, × failed, ○ else,
 * or nothing when PID 1 is not running: --root of a tree not booted). Exit status. */
int init_list_deps(int argc, char **argv, const char *ctl_sock, const char *const *syscalls);
/* ctl_sock: PID 1's control socket beneath the root ("/run/keel/init.sock"); syscalls: what the
 * client's sandbox (base/sandbox.h) allows once the unit files are read */

#endif
