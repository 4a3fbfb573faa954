/* unit_parse.h — systemd unit files, the subset keel init runs, parsed strictly.
 *
 * keel init runs NAME.service, NAME.socket (its [Socket] section: init/socket_parse.h) and
 * NAME.target units; names of every other unit type are valid where units are named (After=,
 * Wants=…), and `keel init verify` reads their files too (their own section refused by name). unit_parse() applies one file (the unit file, then each drop-in in
 * turn) to a struct unit; unit_check() validates the result once all files are in.
 * Syntax (systemd.syntax(7)): [Section] headers; Key=Value with white space around '=' ignored;
 * '#' and ';' start comment lines; a line ending in '\' continues on the next (the backslash
 * becomes a space, comment lines in between are skipped); an empty assignment resets a list
 * (or a scalar to its default). Sections and keys starting with "X-" are extensions and are
 * skipped, as systemd does. Anything else unknown — a section, a directive, a value, a setting
 * in the wrong section — is an error naming "file:line". See README.md for the directive table.
 *
 * Where the files are found (search path, masking, drop-ins, .wants/) is unit_load.h.
 */
#ifndef KEEL_UNIT_PARSE_H
#define KEEL_UNIT_PARSE_H

#include "init/svc_sandbox.h"
#include "init/unit_value.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct kerr;

#define UNIT_FILE_MAX (256 * 1024) /* bytes of one unit file or drop-in */
#define UNIT_CMDS_MAX 64           /* command lines in one Exec*= list */

/* UNIT_OTHER: a .timer, .mount… file, read by `keel init verify` only (its own section is
 * refused by name: keel init runs services, sockets and targets). */
enum unit_kind { UNIT_SERVICE, UNIT_TARGET, UNIT_OTHER, UNIT_SOCKET };
struct unit_socket; /* [Socket] of a UNIT_SOCKET (init/socket_parse.h) */
/* Type=: idle runs as simple (systemd only delays its start for the console's sake); forking is
 * active once the ExecStart= process exited 0, its main process read from PIDFile= if set. */
enum svc_type { SVC_SIMPLE, SVC_EXEC, SVC_NOTIFY, SVC_ONESHOT, SVC_FORKING, SVC_IDLE };
enum restart_mode {
	RESTART_NO,
	RESTART_ON_SUCCESS,
	RESTART_ON_FAILURE,
	RESTART_ON_ABNORMAL,
	RESTART_ON_ABORT,
	RESTART_ALWAYS,
	RESTART_ON_WATCHDOG,
};

/* Command-line prefixes (systemd.service(5)). */
#define CMD_IGNORE_FAILURE 1u /* '-': a non-zero exit counts as success */
#define CMD_ARGV0 2u          /* '@': the second word is argv[0] */
#define CMD_NO_EXPAND 4u      /* ':': no $VARIABLE expansion */
#define CMD_PRIVILEGED 8u     /* '+': full privileges (no User=/Group=, no sandboxing) */
#define CMD_NO_SETID 16u      /* '!': no User=/Group= change (sandboxing still applies); '!!' is the same here */

struct unit_cmd {
	unsigned flags;
	char *path;      /* program: absolute, or a bare name looked up in PATH at start */
	struct strv argv; /* argv[0] first (the path itself unless '@') */
	char where[64];  /* "file:line" basename for messages */
};

struct cmd_list {
	struct unit_cmd *v;
	size_t n;
};

#define UNIT_UNSET UINT64_MAX /* for limits: not set (distinct from UV_INFINITY only where noted) */
#define UNIT_CONDS_MAX 32

/* KillMode=: which processes get KillSignal= and SIGKILL when the unit stops (systemd.kill(5)). */
enum kill_mode {
	KILL_CONTROL_GROUP, /* every process in the cgroup (default) */
	KILL_MIXED,         /* KillSignal= to the main process; SIGKILL to the rest once it is gone */
	KILL_PROCESS,       /* the main (and control) process only; the rest stay */
	KILL_NONE,          /* no process is signalled: a stop forgets them (systemd deprecates it; mdmon uses it) */
};

/* Limit*= settings keel applies with setrlimit(2). */
enum unit_rlimit {
	UL_NOFILE, UL_NPROC, UL_CORE, UL_MEMLOCK, UL_STACK, UL_AS, UL_FSIZE, UL_DATA, UL_SIGPENDING,
	UL_MSGQUEUE, UL_LOCKS, UL_COUNT,
};
struct unit_limit {
	bool set;
	uint64_t soft, hard; /* UV_INFINITY: unlimited */
};
const char *unit_limit_name(enum unit_rlimit l); /* "LimitNOFILE" … */
int unit_limit_resource(enum unit_rlimit l);     /* RLIMIT_NOFILE … */

/* Condition…= / Assert…= (systemd.unit(5)), checked when the unit is about to start
 * (unit_cond.h evaluates them). The first group takes an absolute path, the rest a value. */
enum cond_kind {
	COND_PATH_EXISTS, COND_PATH_IS_DIRECTORY, COND_FILE_NOT_EMPTY, COND_FILE_IS_EXECUTABLE,
	COND_PATH_EXISTS_GLOB, COND_DIRECTORY_NOT_EMPTY, COND_PATH_IS_MOUNT_POINT, COND_PATH_IS_SYMLINK,
	COND_PATH_IS_READ_WRITE, COND_NEEDS_UPDATE,
	COND_VIRTUALIZATION, COND_CAPABILITY, COND_KERNEL_COMMAND_LINE, COND_KERNEL_VERSION,
	COND_ARCHITECTURE, COND_HOST, COND_FIRST_BOOT, COND_SECURITY, COND_CONTROL_GROUP_CONTROLLER,
	COND_MEMORY, COND_CPUS, COND_ENVIRONMENT, COND_AC_POWER, COND_USER, COND_GROUP,
};
#define COND_LAST_PATH COND_NEEDS_UPDATE
struct unit_cond {
	enum cond_kind kind;
	bool negate;  /* "!VALUE" */
	bool trigger; /* "|VALUE": one of the triggering conditions must hold */
	bool assert;  /* Assert…=: failing fails the start; Condition…=: failing skips it */
	char *path;   /* the value: an absolute path for the path kinds */
	char key[40]; /* the directive, for messages */
};

struct unit {
	char name[UNIT_NAME_MAX + 1];
	enum unit_kind kind;
	/* [Unit] */
	char *description;
	struct strv documentation;
	struct strv after, before, requires, wants;
	struct strv conflicts, part_of, binds_to, on_failure, on_success, upholds, requisite;
	struct strv propagates_reload_to, reload_propagated_from, joins_namespace_of;
	struct strv requires_mounts_for; /* absolute paths: mounted before keel init starts, on a keel host */
	bool stop_when_unneeded, refuse_manual_start, refuse_manual_stop;
	uint64_t start_limit_interval; /* usec; default 10 s */
	uint64_t start_limit_burst;    /* default 5; 0 disables the limit */
	struct unit_cond *conds;
	size_t nconds;
	/* [Service] */
	enum svc_type type;
	struct cmd_list exec_condition, exec_start_pre, exec_start, exec_start_post, exec_reload, exec_stop,
		exec_stop_post;
	char *pid_file;              /* PIDFile=: absolute (a relative one is below /run, as systemd) */
	/* SuccessExitStatus=, RestartPreventExitStatus=, RestartForceExitStatus=: exit codes
	 * 0..255 (bit n of code[n / 64]) and signals (bit n of sig) */
	struct unit_status { uint64_t code[4]; uint64_t sig; } success_status, restart_prevent, restart_force;
	enum unit_output { OUT_JOURNAL, OUT_INHERIT, OUT_NULL, OUT_CONSOLE, OUT_FILE, OUT_APPEND, OUT_TRUNCATE, OUT_SOCKET }
		std_out, std_err;        /* StandardOutput=/StandardError= (default journal: the log ring; stderr inherit) */
	bool std_in_socket;          /* StandardInput=socket: the socket from socket activation (stdout then defaults to inherit) */
	bool std_out_set;            /* StandardOutput= was given */
	char *out_path, *err_path;   /* for file:, append:, truncate: */
	enum notify_access { NA_DEFAULT, NA_NONE, NA_MAIN, NA_EXEC, NA_ALL } notify_access;
	bool has_nice;
	int nice;                    /* Nice=, -20..19 */
	int io_class, io_prio;       /* IOSchedulingClass= (0: not set, 1 realtime, 2 best-effort, 3 idle), priority 0..7 (-1: default 4) */
	int cpu_policy, cpu_prio;    /* CPUSchedulingPolicy= (-1: not set; SCHED_*), CPUSchedulingPriority= */
	bool cpu_reset_on_fork;
	bool ignore_sigpipe;         /* IgnoreSIGPIPE=, default yes */
	bool send_sigkill, send_sighup; /* SendSIGKILL= (default yes), SendSIGHUP= */
	uint64_t watchdog_usec;      /* WatchdogSec=: 0 off */
	int watchdog_signal;         /* WatchdogSignal=, default SIGABRT */
	enum restart_mode restart;
	uint64_t restart_usec;       /* base delay, default 100 ms; doubles per consecutive restart */
	uint64_t restart_max_usec;   /* cap of the backoff, default 60 s (RestartMaxDelaySec=) */
	uint64_t timeout_start_usec; /* default 90 s; UV_INFINITY: none */
	uint64_t timeout_stop_usec;  /* default 90 s; UV_INFINITY: none */
	bool remain_after_exit;
	int kill_signal;             /* default SIGTERM */
	enum kill_mode kill_mode;
	bool delegate;               /* Delegate=: the service may manage cgroups below its own */
	bool has_oom_score_adjust;
	int oom_score_adjust;        /* OOMScoreAdjust=, -1000..1000 */
	char *user, *group;          /* names or numeric ids; NULL: root */
	struct strv supplementary_groups;
	struct strv environment;     /* NAME=VALUE, in order (later wins) */
	struct strv environment_files; /* paths; a leading '-' means "ignore if missing" */
	char *working_directory;     /* absolute, or "~" (the user's home); leading '-' kept */
	struct unit_limit limits[UL_COUNT];
	uint64_t memory_max;         /* bytes or UV_INFINITY; UNIT_UNSET (== UV_INFINITY) means no limit */
	uint64_t cpu_quota;          /* percent of one CPU, 1..; 0 = not set */
	uint64_t cpu_weight;         /* 1..10000; 0 = not set */
	uint64_t tasks_max;          /* count or UV_INFINITY */
	struct unit_sandbox sandbox; /* ProtectSystem=, SystemCallFilter=, … (svc_sandbox.h) */
	struct unit_socket *sock;    /* [Socket] of a .socket unit, NULL otherwise */
	/* [Install] */
	struct strv wanted_by, required_by, also, alias;
	char *default_instance;
	char *fragment;              /* the unit file (the first file parsed): %y, %Y */
	/* bookkeeping */
	bool seen_service, seen_unit;
	struct unit_observer *observer; /* NULL, or set after unit_init() (see below) */
};

/* Set defaults for a unit named name (suffix decides service or target); -EINVAL if the name is
 * not a valid, non-template unit name. */
int unit_init(struct unit *u, const char *name);
void unit_free(struct unit *u); /* accepts NULL or a zeroed unit */

/* Apply the file text p[0..len) (read from path) to u. Errors name "path:line". */
int unit_parse(struct unit *u, const char *path, const char *p, size_t len, struct kerr *e);

/* The same, going on after an error: each one is handed to report (with "path:line: …") and
 * parsing continues with the next line (a section keel cannot read is skipped whole). Returns 0,
 * -EINVAL if anything was reported, or -ENOMEM. */
typedef void unit_report_fn(void *arg, const struct kerr *e);
int unit_parse_each(struct unit *u, const char *path, const char *p, size_t len, unit_report_fn *report,
	void *arg, struct kerr *e);

/* `keel policy units` reads units the way systemd would, keel's refusals included: with
 * u->observer set, assignment() sees each Key=Value of [Unit] and [Service] (the value as written,
 * before %-expansion) before keel applies it, and unit_parse() hands every error of one line to
 * report and goes on (returning 0 if only lines failed); an error of the whole file still fails. */
struct unit_observer {
	void (*assignment)(struct unit_observer *o, const char *section, const char *key, const char *value);
	unit_report_fn *report;
	void *arg; /* report's */
};

/* `keel init verify`: the file text p[0..len) read from path, checked as keel init would load it
 * under its file name (a template as its instance "test_instance", as systemd-analyze verify
 * does; a .socket, .timer… file for its [Unit] and [Install] sections). Every error goes to
 * report; returns 0, -EINVAL once anything was reported, or -ENOMEM. */
int unit_verify(const char *path, const char *p, size_t len, unit_report_fn *report, void *arg, struct kerr *e);

/* Is an exit status (a wait(2) status) in the set? */
bool unit_status_has(const struct unit_status *st, int wstatus);

/* Only [Install] of the file text p[0..len), for what `systemctl enable` and keel provision link:
 * the same syntax, quoting, %-specifiers (of u->name) and value checks as unit_parse() fill
 * u->wanted_by and u->required_by; other sections and other [Install] settings are skipped. u
 * needs only its name (zeroed otherwise; any unit type); free it with unit_free(). */
int unit_parse_install(struct unit *u, const char *path, const char *p, size_t len, struct kerr *e);

/* After the last drop-in: required settings present, combinations valid (a service has exactly
 * one ExecStart= unless Type=oneshot; a target has no [Service] section; a socket as
 * socket_check() says…); fills in what depends on the whole (a socket's service, ordered after
 * it: an implicit Before=, as systemd adds; stdout of a StandardInput=socket service). */
int unit_check(struct unit *u, struct kerr *e);

const char *svc_type_name(enum svc_type t);
const char *restart_name(enum restart_mode r);

#endif
