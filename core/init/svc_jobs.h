/* svc_jobs.h — the supervisor's units together: loading, jobs, ordering, cycles, reaping.
 *
 * struct jobs holds every struct svc (svc_state.h) plus what they share (unit directories,
 * cgroup hierarchy, epoll set). Nothing here blocks or waits for a child: every function
 * handles one event and returns; the event loop (svc_loop.c) calls them and asks
 * jobs_next_deadline() how long it may sleep.
 *
 * Jobs: start pulls in Requires= and Wants= (recursively) and waits for every unit it is
 * ordered After= that has a job of its own (targets are also ordered after what they want,
 * unless an explicit order says otherwise); a Requires= dependency ordered before that did not
 * come up fails the job ("dependency"). stop propagates to the units that Require= the stopped
 * one and runs in reverse order. restart = stop, then start. Ordering cycles among loaded
 * units are found whenever units are loaded; the units on a cycle refuse to start ("cycle").
 *
 * The rest of systemd.unit(5)'s dependencies: BindsTo= is Requires= that also stops the unit
 * when the bound one goes down on its own; PartOf= takes stops and restarts of the named unit
 * (one way); Conflicts= stops the other unit (both ways) when one starts; Requisite= fails the
 * start ("dependency") unless the named unit is already active or coming up; Upholds= starts
 * the named unit whenever it is down while this one is active; OnFailure= / OnSuccess= start
 * units when this one enters failed / inactive; StopWhenUnneeded= stops a unit once no unit
 * that is up requires, wants, binds or upholds it; RefuseManualStart=/RefuseManualStop= refuse
 * an administrator's job (-EPERM). A reference to a unit of a type keel does not run, or to a
 * unit that does not exist, orders nothing (as in systemd); pulled in, it is "not-found".
 * reload runs ExecReload= of an active unit (-EOPNOTSUPP without one, -ESRCH if not active) and
 * of the units it PropagatesReloadTo= (or that are ReloadPropagatedFrom= it).
 */
#ifndef KEEL_SVC_JOBS_H
#define KEEL_SVC_JOBS_H

#include "init/cgroup.h"
#include "init/fdsink.h"
#include "init/svc_state.h"

#include <stdbool.h>
#include <stdint.h>
#include <sys/resource.h>

struct jobs_opts {
	const char *root;        /* "/" on the host */
	const char *notify_path; /* NOTIFY_SOCKET given to Type=notify services */
	bool cgroups;            /* run services in cgroups (required on the host) */
	const char *cgroup_path; /* "/sys/fs/cgroup" */
	size_t log_max;          /* bytes of log ring per unit */
	struct rlimit nofile;    /* services' RLIMIT_NOFILE unless LimitNOFILE= (rlim_max 0: inherit PID 1's) */
};

struct jobs {
	struct svc **v;
	size_t n;
	struct svc **by_name; /* v sorted by name (jobs_find) */
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
	/* svc_timer.c: keel init's start; the realtime timerfd (-1: not made yet) and its watch */
	uint64_t start_mono;
	int clock_fd;
	struct watch w_clock;
	bool (*reaped)(void *ctx, pid_t pid, int status); /* a child of another part (health.c): true if it was */
	void *reaped_ctx;
};

/* Set up (epfd is the caller's epoll set, where log and status pipes are registered). */
int jobs_init(struct jobs *m, const struct jobs_opts *o, int epfd, struct kerr *e);
void jobs_free(struct jobs *m);

/* The unit called name, loaded from disk on first use; NULL only when SVC_MAX units are
 * loaded or memory ran out (e says so). A unit that fails to load is returned with load set. */
struct svc *jobs_get(struct jobs *m, const char *name, struct kerr *e);
struct svc *jobs_find(const struct jobs *m, const char *name);

/* Queue a job; *id is what jobs_done() reports on. user: asked for by an administrator
 * (a manual start of a failed unit resets its restart counters). -ESHUTDOWN during shutdown. */
int jobs_enqueue(struct jobs *m, struct svc *s, enum job_type t, bool user, uint64_t *id);
/* 1 if job id of s has finished (then *ok says how), 0 if still pending. */
int jobs_done(const struct svc *s, uint64_t id, bool *ok);
/* Begin every job whose dependencies allow it. Call after each batch of events. */
void jobs_dispatch(struct jobs *m);

/* The ordering decisions jobs_dispatch() takes for a queued job (tests ask them directly).
 * Start: 1 may begin (no unit it is ordered after has a job), 0 wait, -1 fail: a Requires=
 * unit is not loaded, or is ordered before and did not come up (s->error says which). A unit on
 * a cycle or not loaded answers 1: svc_begin_start() reports it. Stop: true once no unit
 * ordered after s has a stop job left. */
int jobs_start_ready(struct jobs *m, struct svc *s);
bool jobs_stop_ready(struct jobs *m, struct svc *s);

/* svc_state.c's set_state() tells: s went from active state old to s->active. */
void jobs_unit_changed(struct jobs *m, struct svc *s, enum svc_active old);

/* Events */
void jobs_reap(struct jobs *m);                  /* SIGCHLD: reap every child, ours or orphaned */
/* A syslog line (devlog.h) from pid: into the log of the unit pid belongs to; dropped if none. */
void jobs_syslog(struct jobs *m, pid_t pid, int level, const char *line, size_t len);
void jobs_notify(struct jobs *m, const struct notify_msg *msg);
void jobs_cgroup_event(struct jobs *m);           /* inotify on cgroup.events */
void jobs_timers(struct jobs *m);                 /* fire due timers */
/* Absolute monotonic µs of the next timer, or 0 if none. */
uint64_t jobs_next_deadline(const struct jobs *m);

/* Stop everything (reverse order). jobs_stopped() tells when all is down. */
void jobs_shutdown(struct jobs *m);
bool jobs_stopped(const struct jobs *m);

#endif
