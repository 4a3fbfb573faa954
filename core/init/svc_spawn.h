/* svc_spawn.h — start one service process: fork, then in the child join the cgroup, new session,
 * stdin /dev/null and stdout+stderr to the log pipe, every other descriptor closed, rlimits, OOM
 * score, groups/gid/uid, working directory, default signal dispositions, execve. The parent never waits: failures in the child
 * come back through a close-on-exec pipe (EOF means execve succeeded) that the caller polls.
 */
#ifndef KEEL_SVC_SPAWN_H
#define KEEL_SVC_SPAWN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct kerr;
struct unit_sandbox;

#define SPAWN_PASS_MAX 64 /* descriptors passed to a service (socket activation) */

struct spawn {
	const char *path;       /* absolute, or a bare name looked up in search_path */
	char *const *argv;
	char *const *envp;
	const char *search_path; /* "dir:dir:…" for bare names */
	bool set_ids;
	bool own_dirs; /* the *Directory= belong to uid/gid even when set_ids is off ("!", "+") */
	uid_t uid;
	gid_t gid;
	const gid_t *groups;
	size_t ngroups;
	const char *cwd;        /* NULL: "/" */
	bool cwd_optional;      /* WorkingDirectory=-… */
	int out_fd;             /* the log pipe; -1: /dev/null */
	/* StandardOutput= (out[0]) and StandardError= (out[1]): where each goes (struct unit's enum
	 * unit_output values: the log pipe, inherit (stdout: /dev/null, as stdin; stderr: as stdout),
	 * /dev/null, /dev/console, or path opened as file:/append:/truncate:, before the ids change) */
	struct spawn_out { int kind; const char *path; } out[2];
	bool set_nice;
	int nice;               /* setpriority(2) */
	int ioprio;             /* ioprio_set(2) value (class << 13 | level), 0: not set */
	bool set_sched;
	int sched_policy;       /* SCHED_* */
	int sched_prio;
	bool sched_reset_on_fork;
	bool ignore_sigpipe;    /* SIGPIPE ignored (IgnoreSIGPIPE=, systemd's default) */
	int cgroup_fd;          /* the service's cgroup directory, or -1 */
	struct spawn_rlimit {
		int resource;          /* RLIMIT_… */
		uint64_t soft, hard;   /* UINT64_MAX: infinity */
	} rlimits[16];
	size_t nrlimits;
	bool set_oom;
	int oom_score_adj;      /* written to /proc/self/oom_score_adj */
	const struct unit_sandbox *sandbox; /* applied before the user is set and before execve */
	/* socket activation: pass_fds[0..npass) become fds 3…; in_socket: pass_fds[0] is also stdin
	 * (StandardInput=socket; else /dev/null); listen_pid is the "LISTEN_PID=…" string in envp the
	 * child writes its PID into */
	const int *pass_fds;
	size_t npass;
	bool in_socket;
	char *listen_pid;
};

/* What failed in the child (also its exit status, as systemd numbers them). */
enum spawn_step {
	STEP_CHDIR = 200, STEP_NICE = 201, STEP_LIMITS = 205, STEP_OOM_ADJUST = 206, STEP_STDIO = 208,
	STEP_SESSION = 220, STEP_EXEC = 203, STEP_IOPRIO = 211, STEP_SETSCHEDULER = 214,
	STEP_GROUP = 216, STEP_USER = 217, STEP_CGROUP = 219,
};
struct spawn_err {
	int step;
	int err; /* errno */
};
const char *spawn_step_name(int step);

/* The unit's StandardOutput=/StandardError=, Nice=, IOScheduling*=, CPUScheduling*= and
 * IgnoreSIGPIPE= into sp. */
struct unit;
void svc_spawn_settings(const struct unit *u, struct spawn *sp);

/* Fork the child. *errfd is the nonblocking read end of the status pipe. */
int spawn_start(const struct spawn *s, pid_t *pid, int *errfd, struct kerr *e);
/* Read the status pipe: 0 = execve succeeded (EOF), 1 = *err filled, -EAGAIN = not yet. */
int spawn_result(int errfd, struct spawn_err *err);

/* In a child: close every descriptor from `from` up, except keep[0..n) (ascending). */
void spawn_close_except(int from, const int *keep, size_t n);

#endif
