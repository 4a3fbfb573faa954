/* svc_state.h — the supervisor: units at run time, their jobs, and the events that move them.
 *
 * A struct svc is one loaded unit with its state (systemd's names: active/sub state, result),
 * its processes (main and control), its pending job and its log ring. struct mgr holds all of
 * them plus what they share (unit directories, cgroup hierarchy, epoll set). Nothing here
 * blocks or waits for a child: every function handles one event and returns; the event loop
 * (svc_loop.c) calls them and asks mgr_next_deadline() how long it may sleep.
 *
 * Jobs: start pulls in Requires= and Wants= (recursively) and waits for every unit it is
 * ordered After= that has a job of its own (targets are also ordered after what they want,
 * unless an explicit order says otherwise); a Requires= dependency ordered before that did not
 * come up fails the job ("dependency"). stop propagates to the units that Require= the stopped
 * one and runs in reverse order. restart = stop, then start. Ordering cycles among loaded
 * units are found whenever units are loaded; the units on a cycle refuse to start ("cycle").
 *
 * Processes: ExecStartPre= commands run in turn (control process), then ExecStart= (main
 * process; every ExecStart= in turn for Type=oneshot). simple is active once forked, exec once
 * execve succeeded, notify on READY=1 from any process in its cgroup, oneshot when the last
 * command exited 0. When the main process ends, whatever is left in the unit's cgroup gets
 * KillSignal= and then SIGKILL after TimeoutStopSec= (KillMode= narrows who gets which), and
 * Restart= decides: an automatic
 * restart waits RestartSec= doubled for each consecutive restart (capped at
 * RestartMaxDelaySec=; the count resets once the unit has been up for StartLimitIntervalSec=),
 * and more than StartLimitBurst= starts within StartLimitIntervalSec= fail the unit
 * ("start-limit-hit"). A manual start of a failed unit resets both counters.
 * Stopping: ExecStop= (with $MAINPID), then KillSignal= to the cgroup, SIGKILL after
 * TimeoutStopSec= (the unit then ends "failed", result "timeout").
 *
 * Without cgroups (tests outside a VM) every process a unit starts leads its own session, and
 * "the unit's processes" are those sessions' process groups, polled every 50 ms.
 */
#ifndef KEEL_SVC_H
#define KEEL_SVC_H

#include "init/cgroup.h"
#include "init/ctl.h"
#include "init/fdsink.h"
#include "init/notify.h"
#include "init/ids.h"
#include "init/log_ring.h"
#include "init/unit_parse.h"
#include "init/unit_load.h"

#include <stdbool.h>
#include <stdint.h>
#include <sys/resource.h>
#include <sys/types.h>

#define SVC_MAX 1024          /* loaded units */
#define SVC_PGIDS_MAX 16      /* process groups tracked per unit without cgroups */
#define SVC_LOG_DEFAULT (64 << 10)

enum svc_active { ACT_INACTIVE, ACT_ACTIVATING, ACT_ACTIVE, ACT_DEACTIVATING, ACT_FAILED };
enum svc_sub {
	SUB_DEAD, SUB_START_PRE, SUB_START, SUB_RUNNING, SUB_EXITED, SUB_AUTO_RESTART, SUB_STOP,
	SUB_STOP_SIGTERM, SUB_STOP_SIGKILL, SUB_FAILED, SUB_ACTIVE,
};
enum svc_result {
	RES_SUCCESS, RES_EXIT_CODE, RES_SIGNAL, RES_CORE_DUMP, RES_TIMEOUT, RES_START_LIMIT,
	RES_RESOURCES, RES_DEPENDENCY, RES_CYCLE, RES_LOAD, RES_CANCELED, RES_ASSERT,
};
enum job_type { JOB_NONE, JOB_START, JOB_STOP, JOB_RESTART };

/* What an epoll event belongs to (epoll_event.data.ptr points at one of these). */
enum watch_kind { W_SIGNAL, W_CTL, W_NOTIFY, W_INOTIFY, W_CONN, W_OUT, W_SPAWN };
struct watch {
	enum watch_kind kind;
	void *obj;
};

struct svc {
	char name[UNIT_NAME_MAX + 1];
	size_t pos;    /* in mgr.v: units are only ever added */
	struct unit u; /* valid when load == LOAD_LOADED */
	enum unit_load load;
	bool cycle;
	char error[CTL_TEXT_MAX + 1]; /* why it failed to load or last failed */

	enum svc_active active;
	enum svc_sub sub;
	enum svc_result result;
	uint64_t state_since, active_since, active_exit; /* monotonic µs */

	enum job_type job;
	bool job_begun;
	uint64_t job_id, done_id; /* current job; the last finished one */
	bool done_ok;

	pid_t main_pid, control_pid;
	size_t idx;            /* command being run in its list */
	bool oneshot_ok;       /* every ExecStart= of a oneshot succeeded */
	bool stop_killed;      /* SIGKILL was needed */
	uint64_t deadline;     /* the current timer, 0 = none */
	unsigned restarts;     /* automatic restarts so far */
	unsigned backoff;      /* consecutive restarts (delay = RestartSec << backoff) */
	uint64_t limit_window;
	unsigned limit_count;
	char status_text[NOTIFY_STATUS_MAX + 1];

	/* the current run */
	struct strv env;
	bool set_ids;
	uid_t uid;
	gid_t gid;
	gid_t groups[IDS_GROUPS_MAX + 1];
	size_t ngroups;
	char *cwd;
	int cg_fd;
	pid_t pgids[SVC_PGIDS_MAX];
	size_t npgids;

	int out_r, out_w; /* the log pipe, kept for the unit's lifetime */
	struct watch w_out;
	int spawn_fd;     /* status pipe of the last process started */
	pid_t spawn_pid;
	pid_t spawn_failed; /* the last process whose start failed (s->error says why) */
	struct watch w_spawn;
	struct ring log;
};

struct mgr_opts {
	const char *root;        /* "/" on the host */
	const char *notify_path; /* NOTIFY_SOCKET given to Type=notify services */
	bool cgroups;            /* run services in cgroups (required on the host) */
	const char *cgroup_path; /* "/sys/fs/cgroup" */
	size_t log_max;          /* bytes of log ring per unit */
	struct rlimit nofile;    /* services' RLIMIT_NOFILE unless LimitNOFILE= (rlim_max 0: inherit PID 1's) */
};

struct mgr {
	struct svc **v;
	size_t n;
	struct svc **by_name; /* v sorted by name (mgr_find) */
	struct unit_dirs dirs;
	int rootfd;
	bool use_cg;
	struct cg cg;
	int inotify_fd;
	int epfd;
	char notify_path[108];
	size_t log_max;
	struct rlimit nofile;
	uint64_t next_job_id;
	bool graph_dirty;   /* units were loaded since the last cycle check */
	/* The ordering index (svc_jobs.c), rebuilt when stale: n×n bit matrices over unit positions */
	bool index_dirty;
	size_t index_n;     /* units it covers */
	uint64_t *ord;      /* row i, bit j: v[i] is ordered after v[j]; NULL: not built */
	uint64_t *ord_t;    /* row j, bit i: the same (who is ordered after v[j]) */
	uint64_t *req_by;   /* row j, bit i: v[i] (loaded) has Requires=v[j] */
	unsigned enqueue_depth; /* cycles are checked when the outermost enqueue ends */
	bool shutting_down;
	bool changed;       /* a job finished: answer whoever waits for it */
	struct fdsink sink; /* descriptors from clients, closed off PID 1 (its children are reaped here) */
};

uint64_t mono_usec(void);

/* Set up (epfd is the caller's epoll set, where log and status pipes are registered). */
int mgr_init(struct mgr *m, const struct mgr_opts *o, int epfd, struct kerr *e);
void mgr_free(struct mgr *m);

/* The unit called name, loaded from disk on first use; NULL only when SVC_MAX units are
 * loaded or memory ran out (e says so). A unit that fails to load is returned with load set. */
struct svc *mgr_get(struct mgr *m, const char *name, struct kerr *e);
struct svc *mgr_find(const struct mgr *m, const char *name);

/* Queue a job; *id is what mgr_job_done() reports on. user: asked for by an administrator
 * (a manual start of a failed unit resets its restart counters). -ESHUTDOWN during shutdown. */
int mgr_enqueue(struct mgr *m, struct svc *s, enum job_type t, bool user, uint64_t *id);
/* 1 if job id of s has finished (then *ok says how), 0 if still pending. */
int mgr_job_done(const struct svc *s, uint64_t id, bool *ok);
/* Begin every job whose dependencies allow it. Call after each batch of events. */
void mgr_dispatch(struct mgr *m);

/* Events */
void mgr_reap(struct mgr *m);                  /* SIGCHLD: reap every child, ours or orphaned */
void mgr_output(struct mgr *m, struct svc *s);  /* the log pipe is readable */
void mgr_spawn_event(struct mgr *m, struct svc *s); /* the status pipe is readable */
void mgr_notify(struct mgr *m, const struct notify_msg *msg);
void mgr_cgroup_event(struct mgr *m);           /* inotify on cgroup.events */
void mgr_timers(struct mgr *m);                 /* fire due timers */
/* Absolute monotonic µs of the next timer, or 0 if none. */
uint64_t mgr_next_deadline(const struct mgr *m);

/* Stop everything (reverse order). mgr_stopped() tells when all is down. */
void mgr_shutdown(struct mgr *m);
bool mgr_stopped(const struct mgr *m);

/* Between svc_state.c (one unit's run) and svc_jobs.c (jobs across units); not for other callers. */
void svc_begin_start(struct mgr *m, struct svc *s);
void svc_begin_stop(struct mgr *m, struct svc *s);
void svc_job_done(struct mgr *m, struct svc *s, bool ok);
void svc_main_exited(struct mgr *m, struct svc *s, int status);
void svc_control_exited(struct mgr *m, struct svc *s, int status);
void svc_check_gone(struct mgr *m, struct svc *s);
bool svc_waiting_gone(const struct svc *s);
void svc_timer(struct mgr *m, struct svc *s);
void svc_ready(struct mgr *m, struct svc *s, const struct notify_msg *msg);
void svc_free(struct svc *s);
/* svc_exec.c: the processes of a run */
void svc_fail(struct svc *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
int svc_prepare(struct mgr *m, struct svc *s, struct kerr *e);
void svc_release(struct mgr *m, struct svc *s);
int svc_run_cmd(struct mgr *m, struct svc *s, const struct unit_cmd *c, bool main);
int svc_read_spawn(struct mgr *m, struct svc *s);
bool svc_gone(const struct mgr *m, struct svc *s);
/* Processes of the unit still there (KillMode=process leaves them), main and control aside. */
bool svc_leftovers(const struct mgr *m, const struct svc *s);
void svc_kill(const struct mgr *m, struct svc *s, int sig);

/* For `keel init status`. */
void mgr_status(const struct svc *s, struct ctl_status *out);
const char *svc_active_name(enum svc_active a);

#endif
