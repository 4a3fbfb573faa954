/* svc_sandbox.h — systemd's sandboxing directives (systemd.exec(5), systemd 252): parsed from a
 * unit's [Service] section and applied in the service's child between fork and execve.
 *
 * unit_sandbox_key() takes one Key=Value (the value already %-expanded); it returns
 * UNIT_SANDBOX_NOT_MINE for a key that is not a sandboxing directive, so the unit parser goes on
 * with its own table (a NULL value only asks whether the key is one: 0). A directive keel does not honour (DynamicUser=, IPAddressDeny=, …) is an
 * error with the reason: a security setting is never dropped in silence.
 *
 * unit_sandbox_apply() runs twice in the child: SB_PHASE_ROOT while still root, before the
 * groups and user are set (umask, the *Directory= directories, the UTS/network/mount namespaces
 * and the mount plan, the capability bounding set), SB_PHASE_EXEC after them, right before
 * execve (ambient capabilities, no_new_privs, the seccomp filters last). It only makes system
 * calls and returns -errno with *step set to systemd's exit status for what failed (226
 * NAMESPACE, 218 CAPABILITIES, 228 SECCOMP, …).
 */
#ifndef KEEL_SVC_SANDBOX_H
#define KEEL_SVC_SANDBOX_H

#include "init/unit_value.h"

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

struct kerr;

#define UNIT_SANDBOX_NOT_MINE 1 /* unit_sandbox_key(): not a sandboxing directive */
#define SB_SYSCALLS 512         /* native system call numbers the filter bitmap covers */
#define SB_PATHS_MAX 256        /* entries of all *Paths= and TemporaryFileSystem= together */

enum sb_dir { SB_RUNTIME, SB_STATE, SB_CACHE, SB_LOGS, SB_CONFIG, SB_NDIRS };

/* One ReadOnlyPaths=, ReadWritePaths=, InaccessiblePaths=, BindPaths=, BindReadOnlyPaths= or
 * TemporaryFileSystem= entry. */
struct sb_path {
	uint8_t kind;   /* enum sb_kind (svc_sandbox.c) */
	bool optional;  /* "-" prefix: ignored when missing */
	bool norbind;   /* BindPaths=…:norbind */
	char *path;     /* the mount point (absolute) */
	char *src;      /* Bind*: the source; NULL: same as path */
	char *opts;     /* TemporaryFileSystem=: tmpfs data options ("mode=0755,size=10%"), or NULL */
	unsigned long flags; /* TemporaryFileSystem=: MS_* flags */
};

struct unit_sandbox {
	bool no_new_privs, private_tmp, private_devices, private_network, protect_tunables, protect_modules,
		protect_logs, protect_cgroups, protect_clock, protect_hostname, restrict_realtime, restrict_suid,
		lock_personality, mdwe, private_ipc, private_mounts, proc_subset_pid;
	uint8_t runtime_preserve; /* RuntimeDirectoryPreserve=: 0 no, 1 yes, 2 restart */
	uint8_t protect_system; /* 0 no, 1 yes, 2 full, 3 strict */
	uint8_t protect_home;   /* 0 no, 1 yes, 2 read-only, 3 tmpfs */
	uint8_t protect_proc;   /* 0 default, 1 noaccess, 2 invisible, 3 ptraceable */
	bool umask_set;
	uint16_t umask;         /* default 0022 */
	bool bset_set;
	uint64_t bset;          /* CapabilityBoundingSet= (when bset_set) */
	bool ambient_set;
	uint64_t ambient;       /* AmbientCapabilities= */
	bool ns_set;
	uint64_t ns_allowed;    /* RestrictNamespaces=: CLONE_NEW* flags still allowed */
	uint8_t af_mode;        /* RestrictAddressFamilies=: 0 unset, 1 allow-list, 2 deny-list */
	uint64_t af;            /* families listed (bit n: family n) */
	uint8_t sc_mode;        /* SystemCallFilter=: 0 unset, 1 allow-list, 2 deny-list */
	uint64_t sc[SB_SYSCALLS / 64];
	struct sb_errno { uint16_t nr; int16_t err; } *sc_err; /* "name:errno" of a deny-list; -1: kill */
	size_t nsc_err;
	int sc_errno;           /* SystemCallErrorNumber=: 0 kill */
	uint8_t archs;          /* SystemCallArchitectures=: bit 0 set, then bits of the arch table */
	struct sb_path *paths;
	size_t npaths;
	struct strv dirs[SB_NDIRS]; /* "name" or "name:symlink" below /run, /var/lib, … */
	uint16_t dir_mode[SB_NDIRS]; /* 0: 0755; else mode | 0x8000 */
	uint8_t dev_policy;     /* DevicePolicy=: enum dev_policy (init/devices.h) */
	struct strv dev_allow;  /* DeviceAllow= entries as written ("SPEC [rwm]"), checked */
	char *tmp_dirs[2];      /* PrivateTmp=: this run's /tmp/keel-private-XXXXXX, /var/tmp/… (PID 1's) */
};

void unit_sandbox_free(struct unit_sandbox *sb); /* accepts a zeroed one */
int unit_sandbox_key(struct unit_sandbox *sb, const char *key, const char *value, struct kerr *e);

enum sb_phase { SB_PHASE_ROOT, SB_PHASE_EXEC };
int unit_sandbox_apply(const struct unit_sandbox *sb, enum sb_phase phase, uid_t uid, gid_t gid, int *step);
/* The step names of the exit statuses above ("set up the mount namespace"), or NULL. */
const char *unit_sandbox_step(int step);

/* RUNTIME_DIRECTORY=/run/a:/run/b and the others, appended to env (PID 1, before the start). */
int unit_sandbox_env(const struct unit_sandbox *sb, struct strv *env);
/* PID 1, before a run: PrivateTmp='s two directories, shared by all the run's processes (each
 * "keel-private-XXXXXX", 0700, holding "tmp", 01777, which becomes the service's /tmp or /var/tmp). */
int unit_sandbox_prepare(struct unit_sandbox *sb, struct kerr *e);
/* When the unit is down: remove its PrivateTmp= directories and its RuntimeDirectory= ones
 * (unless RuntimeDirectoryPreserve=yes, or =restart and the unit is about to start again:
 * restarting). */
void unit_sandbox_cleanup(struct unit_sandbox *sb, bool restarting);

#endif
