/* svc_state.h — one unit at run time: its state machine, and the events that move it.
 *
 * A struct svc is one loaded unit with its state (systemd's names: active/sub state, result),
 * its processes (main and control), its pending job and its log ring. svc_jobs.c decides when
 * a unit's job may begin and calls svc_begin_start()/svc_begin_stop(); the functions below
 * move the unit on from there, one event each, without blocking or waiting for a child.
 *
 * Processes: ExecCondition= commands (an exit 1..254 skips the unit as an unmet condition, 255
 * or a signal fails it), then ExecStartPre= (control processes), then ExecStart= (main process;
 * every ExecStart= in turn for Type=oneshot), then ExecStartPost=. simple and idle are ready
 * once forked, exec once execve succeeded, notify on READY=1 (NotifyAccess= narrows who may
 * send it), oneshot when the last command exited 0, forking when the ExecStart= process exited
 * 0 (the main process then is the PID in PIDFile=, which must belong to the unit; without
 * PIDFile= the unit is up while its cgroup has processes); the unit is active once the
 * ExecStartPost= commands succeeded. SuccessExitStatus= adds clean exits of the main process;
 * RestartPreventExitStatus= and RestartForceExitStatus= override Restart=. WatchdogSec=: once
 * the unit runs, each WATCHDOG=1 must come within it; else (or on WATCHDOG=trigger) the unit's
 * processes get WatchdogSignal= (SIGABRT) and it ends with result "watchdog". Reload: ExecReload=
 * (with $MAINPID) while the unit stays active; a failure fails the reload job only. When the main process ends, whatever is left in the unit's cgroup gets
 * KillSignal= and then SIGKILL after TimeoutStopSec= (KillMode= narrows who gets which), and
 * Restart= decides: an automatic
 * restart waits RestartSec= doubled for each consecutive restart (capped at
 * RestartMaxDelaySec=; the count resets once the unit has been up for StartLimitIntervalSec=),
 * and more than StartLimitBurst= starts within StartLimitIntervalSec= fail the unit
 * ("start-limit-hit"). A manual start of a failed unit resets both counters.
 * Stopping: ExecStop= (with $MAINPID), then KillSignal= (and SIGHUP with SendSIGHUP=) to the
 * cgroup, SIGKILL after TimeoutStopSec= (the unit then ends "failed", result "timeout"; with
 * SendSIGKILL=no what is left stays), then ExecStopPost= — which also runs after a failed
 * start or an exit of the main process, before Restart= decides.
 *
 * Without cgroups (tests outside a VM) every process a unit starts leads its own session, and
 * "the unit's processes" are those sessions' process groups, polled every 50 ms.
 */
#ifndef KEEL_SVC_STATE_H
#define KEEL_SVC_STATE_H

#include "base/clock.h"
#include "init/ctl.h"
#include "init/notify.h"
#include "init/ids.h"
#include "init/log_ring.h"
#include "init/unit_load.h"
#include "init/unit_parse.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/resource.h>
#include <sys/types.h>

#define SVC_MAX 1024          /* loaded units */
#define SVC_PGIDS_MAX 16      /* process groups tracked per unit without cgroups */
#define SVC_LOG_DEFAULT (64 << 10)

enum svc_active { ACT_INACTIVE, ACT_ACTIVATING, ACT_ACTIVE, ACT_DEACTIVATING, ACT_FAILED };
enum svc_sub {
	SUB_DEAD, SUB_START_PRE, SUB_START, SUB_RUNNING, SUB_EXITED, SUB_AUTO_RESTART, SUB_STOP,
	SUB_STOP_SIGTERM, SUB_STOP_SIGKILL, SUB_FAILED, SUB_ACTIVE, SUB_CONDITION, SUB_START_POST, SUB_RELOAD,
	SUB_STOP_POST, SUB_LISTENING, /* a socket */
	SUB_WAITING, SUB_ELAPSED, /* a timer */
};
enum svc_result {
	RES_SUCCESS, RES_EXIT_CODE, RES_SIGNAL, RES_CORE_DUMP, RES_TIMEOUT, RES_START_LIMIT,
	RES_RESOURCES, RES_DEPENDENCY, RES_CYCLE, RES_LOAD, RES_CANCELED, RES_ASSERT, RES_PROTOCOL, RES_WATCHDOG,
	RES_TRIGGER_LIMIT, RES_SERVICE_START_LIMIT, /* socket units */
};
enum job_type { JOB_NONE, JOB_START, JOB_STOP, JOB_RESTART, JOB_RELOAD };

/* What an epoll event belongs to (epoll_event.data.ptr points at one of these). */
enum watch_kind { W_SIGNAL, W_CTL, W_NOTIFY, W_INOTIFY, W_CONN, W_OUT, W_SPAWN, W_SOCKET, W_CLOCK, W_SYSLOG };
struct watch {
	enum watch_kind kind;
	void *obj;
};

/* One calloc() per loaded unit: musl's malloc rounds 3,261..4,080 bytes up to a 4,096-byte slot
 * and 2,717..3,260 to 3,413 (measured), so this stays at most 3,260 bytes (3,056 now) — what is
 * large and rarely used (the supplementary groups) is allocated while needed. */
struct svc {
	char name[UNIT_NAME_MAX + 1];
	size_t pos;    /* in jobs.v: units are only ever added */
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
	size_t idx;            /* ExecStart= command being run */
	size_t cidx;           /* control command being run in its list (ExecCondition= … ExecStopPost=) */
	bool stop_post_ran;    /* ExecStopPost= ran for this run */
	bool restarting;       /* svc_release(): the unit starts again (RuntimeDirectoryPreserve=restart) */
	bool reload_ok;        /* every ExecReload= of the current reload succeeded */
	int main_status;       /* wait status of the last main process (main_status_set) */
	bool main_status_set;
	bool oneshot_ok;       /* every ExecStart= of a oneshot succeeded */
	bool skipped;          /* ExecCondition= exited 1..254: the run ends as an unmet condition */
	bool stop_killed;      /* SIGKILL was needed */
	uint64_t deadline;     /* the current timer, 0 = none */
	uint64_t wd_deadline;  /* WatchdogSec=: the next WATCHDOG=1 is due by then; 0 = not armed */
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
	gid_t *groups;         /* IDS_GROUPS_MAX + 1 of them, allocated while set_ids */
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
	struct log_ring log;
	struct svc_timer *tm; /* a .timer unit once started (svc_timer.h) */
	struct sock_rt *sock;  /* a socket unit's listening descriptors and connections (svc_socket.h) */
};

struct jobs;


/* Called by svc_jobs.c when a job may begin, ends, or an event concerns this unit. */
void svc_begin_start(struct jobs *m, struct svc *s);
void svc_begin_stop(struct jobs *m, struct svc *s);
void svc_begin_reload(struct jobs *m, struct svc *s);
void svc_job_done(struct jobs *m, struct svc *s, bool ok);
void svc_main_exited(struct jobs *m, struct svc *s, int status);
void svc_control_exited(struct jobs *m, struct svc *s, int status);
void svc_check_gone(struct jobs *m, struct svc *s);
bool svc_waiting_gone(const struct svc *s);
void svc_timer(struct jobs *m, struct svc *s);
void svc_watchdog(struct jobs *m, struct svc *s); /* wd_deadline passed, or WATCHDOG=trigger */
void svc_ready(struct jobs *m, struct svc *s, const struct notify_msg *msg);
void svc_output(struct jobs *m, struct svc *s);  /* the log pipe is readable */
void svc_spawn_event(struct jobs *m, struct svc *s); /* the status pipe is readable */
void svc_free(struct svc *s);
/* Move s to state (a, sub) with everything that follows from it (for svc_socket.c, svc_timer.c). */
void svc_enter(struct jobs *m, struct svc *s, enum svc_active a, enum svc_sub sub);

/* The decisions the functions above take, without side effects (tests ask them directly). */
/* Restart= against how a run ended: restart it automatically? A result that is no process's
 * end (start-limit-hit, dependency, cycle, load, canceled) never restarts. */
bool svc_should_restart(enum restart_mode mode, enum svc_result result);
/* The wait status of a main or control process as a result (what: the same in words): exit 0,
 * and death by SIGHUP, SIGINT, SIGTERM or SIGPIPE, are success. */
enum svc_result svc_exit_result(int status, char *what, size_t n);
/* The wait before the automatic restart that follows backoff consecutive ones: RestartSec=
 * doubled backoff times, capped at RestartMaxDelaySec= (never below RestartSec=). */
uint64_t svc_restart_delay(const struct unit *u, unsigned backoff);
/* Was a unit up for up µs long enough for its backoff to start over (StartLimitIntervalSec=,
 * 10 s when 0)? */
bool svc_backoff_settled(const struct unit *u, uint64_t up);
/* Count a start at now (monotonic µs): true if it is more than StartLimitBurst= within
 * StartLimitIntervalSec= (either 0: no limit). */
bool svc_start_limit_hit(struct svc *s, uint64_t now);

/* /proc/PID/stat's parent and session; -1 if the process is gone. */
int svc_proc_stat(pid_t pid, pid_t *ppid, pid_t *sid);

/* For `keel init status`. */
void svc_status(const struct svc *s, struct ctl_status *out);
const char *svc_active_name(enum svc_active a);

#endif
