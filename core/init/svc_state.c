/* svc_state.c — one unit's run: start, ready, exit, restart, stop (see svc_state.h). */
#include "init/svc_state.h"
#include "init/boot_units.h"
#include "init/svc_exec.h"
#include "init/journal.h"
#include "init/svc_jobs.h"
#include "init/svc_socket.h"
#include "init/svc_timer.h"
#include "init/unit_cond.h"
#include "base/buf.h"
#include "base/err.h"
#include "base/fs.h"
#include "base/log.h"
#include "base/scan.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define KILL_WAIT_USEC 10000000 /* after SIGKILL when TimeoutStopSec=infinity */

/* The deadline span from now; 0 (no timer) for infinity or a span too long to add. */
static uint64_t after_usec(uint64_t span)
{
	uint64_t now = mono_us();
	return span == UV_INFINITY || span > UINT64_MAX - now ? 0 : now + span;
}

const char *svc_active_name(enum svc_active a)
{
	static const char *const n[] = {"inactive", "activating", "active", "deactivating", "failed"};
	return n[a];
}

static const char *sub_name(enum svc_sub s)
{
	static const char *const n[] = {"dead", "start-pre", "start", "running", "exited", "auto-restart", "stop",
		"stop-sigterm", "stop-sigkill", "failed", "active", "condition", "start-post", "reload", "stop-post", "listening",
		"waiting", "elapsed"};
	return n[s];
}

static const char *result_name(enum svc_result r)
{
	static const char *const n[] = {"success", "exit-code", "signal", "core-dump", "timeout", "start-limit-hit",
		"resources", "dependency", "cycle", "load", "canceled", "assert", "protocol", "watchdog", "trigger-limit-hit",
		"service-start-limit-hit"};
	return n[r];
}

void svc_job_done(struct jobs *m, struct svc *s, bool ok)
{
	s->done_id = s->job_id;
	s->done_ok = ok;
	s->job = JOB_NONE;
	s->job_begun = false;
	m->changed = true;
}

/* A unit that is down keeps its log ring but not its pipe (two descriptors per unit) — unless
 * processes it left behind (KillMode=process) still hold the write end: closing the read end
 * would kill them with SIGPIPE at their next line. The next run goes on with the same pipe. */
static void close_log(struct jobs *m, struct svc *s)
{
	if (s->out_r < 0 || svc_leftovers(m, s))
		return;
	svc_output(m, s);
	epoll_ctl(m->epfd, EPOLL_CTL_DEL, s->out_r, NULL);
	close(s->out_r);
	close(s->out_w);
	s->out_r = s->out_w = -1;
}

/* ---- systemd's own lines in a service's journal (journalctl -u NAME shows them with its lines) --- */

/* A record as systemd 252 writes one into the unit's journal: identifier systemd, the manager's pid,
 * msg (up to a '|') with \1 as "NAME - DESCRIPTION" (job.c: unit_status_string()), \2 as NAME, \3 as arg.
 * journal_syslog() never blocks (journal.h). */
static void mgr_log(const struct svc *s, int level, const char *msg, const char *arg)
{
	const char *d = s->u.description;
	char line[1024];
	size_t n = 9;
	memcpy(line, "systemd: ", n);
	for (; *msg && *msg != '|' && n < sizeof(line) - 1; msg++) {
		if (*msg > 3)
			line[n++] = *msg;
		else
			n += (size_t)snprintf(line + n, sizeof(line) - n, "%s%s%s", *msg == 3 ? arg : s->name,
				*msg == 1 && d ? " - " : "", *msg == 1 && d ? d : "");
	}
	journal_syslog(s->name, getpid(), level, line, n < sizeof(line) ? n : sizeof(line) - 1);
}

/* The i-th word (from 0) of a space-separated list, "-" a gap; NULL past its end. */
static const char *nth_word(const char *l, int i, int *len)
{
	for (; i > 0 && l; i--)
		l = strchr(l, ' ') ? strchr(l, ' ') + 1 : NULL;
	*len = l ? (int)strcspn(l, " ") : 0;
	return l && *l != '-' ? l : NULL;
}

/* "NAME: Main process exited, code=exited, status=1/FAILURE" (unit_log_process_exit(), for a failed
 * exit): the status as systemd names it (exit_status_to_string(): LSB's 0-7, 255, and of the codes
 * keel's own child exits with, as systemd numbers them, 200 203 216 217; others "n/a" here), a
 * signal as signal_to_string(). */
static void exit_log(const struct svc *s, const char *kind, int status)
{
	static const char codes[] = "SUCCESS FAILURE INVALIDARGUMENT NOTIMPLEMENTED NOPERMISSION NOTINSTALLED "
		"NOTCONFIGURED NOTRUNNING CHDIR - - EXEC - - - - - - - - - - - - GROUP USER EXCEPTION";
	static const char sigs[] = "- HUP INT QUIT ILL TRAP ABRT BUS FPE KILL USR1 SEGV USR2 PIPE ALRM TERM STKFLT CHLD "
		"CONT STOP TSTP TTIN TTOU URG XCPU XFSZ VTALRM PROF WINCH IO PWR SYS";
	bool ex = WIFEXITED(status);
	int v = ex ? WEXITSTATUS(status) : WTERMSIG(status), len;
	const char *w = nth_word(ex ? codes : sigs, !ex || v < 8 ? v : v >= 200 && v < 218 ? v - 192 : v == 255 ? 26 : 99, &len);
	char post[96];
	snprintf(post, sizeof(post), "%s exited, code=%s, status=%d/%.*s", kind,
		ex ? "exited" : WCOREDUMP(status) ? "dumped" : "killed", v, w ? len : 3, w ? w : "n/a");
	mgr_log(s, ex ? KLOG_NOTICE : KLOG_WARN, "\2: \3", post);
}

/* What systemd logs for a service going from its state to a: "Starting NAME - D...", "Started …" (a
 * oneshot: "Finished …"), "Stopping …", "NAME: Deactivated successfully.", "NAME: Failed with
 * result 'exit-code'.", "Stopped …" after a stop job, "Failed to start …" after a start job. */
static void mgr_note(const struct svc *s, enum svc_active a, enum svc_sub sub)
{
	static const char msg[] = "Starting \1...|Stopping \1...|\2: Deactivated successfully.|"
		"\2: Failed with result '\3'.|Stopped \1.|Started \1.|Finished \1.|Failed to start \1.|Reloading \1...|Reloaded \1.";
	static const uint8_t level[] = {KLOG_INFO, KLOG_INFO, KLOG_INFO, KLOG_WARN, KLOG_INFO, KLOG_INFO, KLOG_INFO, KLOG_ERR, KLOG_INFO, KLOG_INFO};
	enum svc_active o = s->active;
	bool stop_job = (s->job == JOB_STOP || s->job == JOB_RESTART) && s->job_begun, oneshot = s->u.type == SVC_ONESHOT;
	bool down = (a == ACT_INACTIVE || a == ACT_FAILED || sub == SUB_AUTO_RESTART) && o != ACT_INACTIVE &&
		o != ACT_FAILED && s->sub != SUB_AUTO_RESTART;
	bool up = (a == ACT_ACTIVE && o != a) || (down && oneshot && s->oneshot_ok && !s->result && a == ACT_INACTIVE && !stop_job);
	/* (a simple service is active once forked: systemd logs no "Starting" for it, its job is done) */
	bool simple = sub == SUB_START && (s->u.type == SVC_SIMPLE || s->u.type == SVC_IDLE);
	unsigned m = (a == ACT_ACTIVATING && sub != SUB_AUTO_RESTART && !simple && (o != a || s->sub == SUB_AUTO_RESTART)) |
		(a == ACT_DEACTIVATING && o != a && stop_job) << 1 | (down << (2 + !!s->result)) | (down && stop_job) << 4 |
		up << (5 + oneshot) | (!up && down && s->job == JOB_START && s->job_begun) << 7 |
		(sub == SUB_RELOAD && s->sub != sub) << 8 | (s->sub == SUB_RELOAD && sub != SUB_RELOAD && s->reload_ok) << 9;
	const char *p = msg;
	for (int i = 0; i < 10 && s->u.kind == UNIT_SERVICE; p = strchr(p, '|') + 1, i++)
		if (m >> i & 1)
			mgr_log(s, level[i], p, result_name(s->result));
}

static void set_state(struct jobs *m, struct svc *s, enum svc_active a, enum svc_sub sub)
{
	mgr_note(s, a, sub);
	uint64_t now = mono_us();
	enum svc_active old = s->active;
	if (a != s->active || sub != s->sub) {
		log_info("%s: %s (%s) -> %s (%s)", s->name, svc_active_name(s->active), sub_name(s->sub), svc_active_name(a),
			sub_name(sub));
		s->state_since = now;
	}
	if (a == ACT_ACTIVE && s->active != ACT_ACTIVE) {
		s->active_since = now;
		const char *d = s->load == LOAD_LOADED ? s->u.description : NULL;
		log_notice("started %s%s%s", s->name, d ? " - " : "", d ? d : "");
	}
	if (a != ACT_ACTIVE && s->active == ACT_ACTIVE)
		s->active_exit = now;
	s->active = a;
	s->sub = sub;
	if (sub != SUB_RUNNING && sub != SUB_RELOAD)
		s->wd_deadline = 0;
	else if (sub == SUB_RUNNING && s->u.watchdog_usec && !s->wd_deadline)
		s->wd_deadline = after_usec(s->u.watchdog_usec);
	if ((a == ACT_INACTIVE || a == ACT_FAILED) && !s->main_pid && !s->control_pid)
		close_log(m, s);
	if (a != old) {
		boot_units_note(m->rootfd, s->name, svc_active_name(a), now);
		jobs_unit_changed(m, s, old);
	}
	svc_timer_notify(m, s, old);
	if (s->job == JOB_NONE || !s->job_begun)
		return;
	if (s->job == JOB_RELOAD) {
		if (sub != SUB_RELOAD)
			svc_job_done(m, s, a == ACT_ACTIVE && s->reload_ok);
	} else if (s->job == JOB_START) {
		if (a == ACT_ACTIVE)
			svc_job_done(m, s, true);
		else if (a == ACT_FAILED || sub == SUB_AUTO_RESTART)
			svc_job_done(m, s, false);
		else if (a == ACT_INACTIVE)
			svc_job_done(m, s, s->oneshot_ok);
	} else if (a == ACT_INACTIVE || a == ACT_FAILED) { /* stop, or the stop half of a restart */
		if (s->job == JOB_RESTART) {
			s->job = JOB_START;
			s->job_begun = false;
			m->changed = true;
		} else {
			svc_job_done(m, s, true);
		}
	}
}

void svc_enter(struct jobs *m, struct svc *s, enum svc_active a, enum svc_sub sub) { set_state(m, s, a, sub); }

/* ---- the state machine ------------------------------------------------------------------------ */

static void finalize(struct jobs *m, struct svc *s);

/* KillMode=mixed: once the main and control processes are gone, the rest get SIGKILL. */
static void mixed_final(struct jobs *m, struct svc *s)
{
	if (s->u.kill_mode == KILL_MIXED && !s->main_pid && !s->control_pid)
		svc_kill(m, s, SIGKILL);
}

/* Signal what is left and wait for it to go (or finish now if nothing is left). */
static void terminate(struct jobs *m, struct svc *s, enum svc_active a)
{
	if (s->u.kill_mode == KILL_NONE && (s->main_pid || s->control_pid)) {
		log_warn("%s: KillMode=none: its processes are left running", s->name);
		s->main_pid = s->control_pid = 0;
	}
	if (svc_gone(m, s)) {
		finalize(m, s);
		return;
	}
	svc_kill(m, s, s->u.kill_signal);
	if (s->u.kill_signal != SIGKILL)
		svc_kill(m, s, SIGCONT);
	if (s->u.send_sighup && s->u.kill_signal != SIGHUP)
		svc_kill(m, s, SIGHUP);
	mixed_final(m, s);
	s->deadline = after_usec(s->u.timeout_stop_usec);
	set_state(m, s, a, SUB_STOP_SIGTERM);
}

bool svc_should_restart(enum restart_mode mode, enum svc_result result)
{
	bool clean = result == RES_SUCCESS;
	bool sig = result == RES_SIGNAL || result == RES_CORE_DUMP;
	switch (result) {
	case RES_START_LIMIT: case RES_DEPENDENCY: case RES_CYCLE: case RES_LOAD: case RES_CANCELED:
		return false;
	default:
		break;
	}
	switch (mode) {
	case RESTART_NO: return false;
	case RESTART_ALWAYS: return true;
	case RESTART_ON_SUCCESS: return clean;
	case RESTART_ON_FAILURE: return !clean;
	case RESTART_ON_ABNORMAL: return sig || result == RES_TIMEOUT || result == RES_WATCHDOG;
	case RESTART_ON_ABORT: return sig;
	case RESTART_ON_WATCHDOG: return result == RES_WATCHDOG;
	}
	return false;
}

uint64_t svc_restart_delay(const struct unit *u, unsigned backoff)
{
	uint64_t base = u->restart_usec, cap = u->restart_max_usec > base ? u->restart_max_usec : base;
	uint64_t delay = base;
	for (unsigned i = 0; i < backoff && delay < cap; i++)
		delay = delay > cap / 2 ? cap : delay * 2;
	return delay > cap ? cap : delay;
}

bool svc_backoff_settled(const struct unit *u, uint64_t up)
{
	return up >= (u->start_limit_interval ? u->start_limit_interval : 10000000);
}

/* ExecStopPost=, once per run, as the unit goes down: true if it was started (finalize() is
 * called again when it is done). */
static bool stop_post(struct jobs *m, struct svc *s)
{
	if (!s->u.exec_stop_post.n || s->stop_post_ran || s->load != LOAD_LOADED)
		return false;
	s->stop_post_ran = true;
	s->cidx = 0;
	s->deadline = after_usec(s->u.timeout_stop_usec);
	set_state(m, s, ACT_DEACTIVATING, SUB_STOP_POST);
	return !svc_run_cmd(m, s, &s->u.exec_stop_post.v[0], false);
}

/* Restart= as the main process's exit status overrides it (RestartPreventExitStatus= first). */
static bool restart_wanted(const struct svc *s)
{
	if (s->main_status_set && unit_status_has(&s->u.restart_prevent, s->main_status))
		return false;
	if (s->main_status_set && s->result != RES_START_LIMIT && unit_status_has(&s->u.restart_force, s->main_status))
		return true;
	return svc_should_restart(s->u.restart, s->result);
}

static void finalize(struct jobs *m, struct svc *s)
{
	uint64_t now = mono_us();
	s->deadline = 0;
	bool stopping = m->shutting_down || ((s->job == JOB_STOP || s->job == JOB_RESTART) && s->job_begun);
	if (s->skipped) { /* ExecCondition= said no: like an unmet condition */
		s->skipped = false;
		svc_release(m, s);
		if (s->job == JOB_START && s->job_begun)
			svc_job_done(m, s, true);
		set_state(m, s, ACT_INACTIVE, SUB_DEAD);
		return;
	}
	if (!(s->oneshot_ok && s->result == RES_SUCCESS && s->u.remain_after_exit && !stopping) && stop_post(m, s))
		return;
	if (stopping) {
		if (s->stop_killed && s->result == RES_SUCCESS)
			s->result = RES_TIMEOUT;
		s->restarting = s->job == JOB_RESTART && !m->shutting_down;
		svc_release(m, s);
		if (s->result == RES_SUCCESS)
			set_state(m, s, ACT_INACTIVE, SUB_DEAD);
		else
			set_state(m, s, ACT_FAILED, SUB_FAILED);
		return;
	}
	if (s->oneshot_ok && s->result == RES_SUCCESS) {
		if (s->u.remain_after_exit) {
			set_state(m, s, ACT_ACTIVE, SUB_EXITED);
		} else {
			svc_release(m, s);
			set_state(m, s, ACT_INACTIVE, SUB_DEAD);
		}
		return;
	}
	s->restarting = restart_wanted(s); /* a start limit may still stop it: the directory then stays */
	svc_release(m, s);
	uint64_t end = s->active == ACT_ACTIVE ? now : s->active_exit;
	uint64_t up = s->active_since && end > s->active_since ? end - s->active_since : 0;
	if (svc_backoff_settled(&s->u, up)) /* it ran long enough: start the backoff over */
		s->backoff = 0;
	if (restart_wanted(s)) {
		uint64_t delay = svc_restart_delay(&s->u, s->backoff);
		s->backoff++;
		s->restarts++;
		s->deadline = after_usec(delay); /* RestartSec=infinity: only a manual start */
		if (s->deadline)
			log_notice("%s: %s; restart %u in %llu ms", s->name, result_name(s->result), s->restarts,
				(unsigned long long)(delay / 1000));
		else
			log_notice("%s: %s; no automatic restart (RestartSec=infinity)", s->name, result_name(s->result));
		set_state(m, s, ACT_ACTIVATING, SUB_AUTO_RESTART);
		return;
	}
	if (s->result == RES_SUCCESS)
		set_state(m, s, ACT_INACTIVE, SUB_DEAD);
	else
		set_state(m, s, ACT_FAILED, SUB_FAILED);
}

bool svc_start_limit_hit(struct svc *s, uint64_t now)
{
	if (!s->u.start_limit_burst || !s->u.start_limit_interval)
		return false;
	if (!s->limit_window || now - s->limit_window >= s->u.start_limit_interval) {
		s->limit_window = now;
		s->limit_count = 0;
	}
	return ++s->limit_count > s->u.start_limit_burst;
}

/* The first Condition…=/Assert…= that decides against starting, or NULL (Assert…= first). Paths
 * are looked up beneath the root (on the host: as the host sees them). */
static const struct unit_cond *failed_condition(const struct jobs *m, const struct svc *s)
{
	const struct unit_cond *c = unit_cond_failed(s->u.conds, s->u.nconds, true, m->rootfd);
	return c ? c : unit_cond_failed(s->u.conds, s->u.nconds, false, m->rootfd);
}

/* Run control command cidx of l in state (a, sub); false if it could not be started (the unit
 * then fails with "resources"). */
static bool control(struct jobs *m, struct svc *s, const struct cmd_list *l, enum svc_active a, enum svc_sub sub)
{
	set_state(m, s, a, sub);
	if (!svc_run_cmd(m, s, &l->v[s->cidx], false))
		return true;
	s->result = RES_RESOURCES;
	terminate(m, s, ACT_DEACTIVATING);
	return false;
}

/* The main part is up: ExecStartPost=, then active (a oneshot: its leftovers go, then active
 * with RemainAfterExit= or inactive). */
static void running(struct jobs *m, struct svc *s)
{
	s->deadline = 0;
	if (s->u.type == SVC_ONESHOT) {
		s->oneshot_ok = true;
		terminate(m, s, ACT_ACTIVATING);
		return;
	}
	set_state(m, s, ACT_ACTIVE, SUB_RUNNING);
}

static void started(struct jobs *m, struct svc *s)
{
	s->cidx = 0;
	if (!s->u.exec_start_post.n) {
		running(m, s);
		return;
	}
	s->deadline = after_usec(s->u.timeout_start_usec);
	control(m, s, &s->u.exec_start_post, ACT_ACTIVATING, SUB_START_POST);
}

/* ExecStart=: the main process (Type=forking: a control process whose exit says "started"). */
static void start_main(struct jobs *m, struct svc *s)
{
	set_state(m, s, ACT_ACTIVATING, SUB_START);
	s->cidx = 0; /* Type=forking: ExecStart= is the control process */
	if (!s->u.exec_start.n) { /* a oneshot with ExecStop= only */
		started(m, s);
		return;
	}
	if (svc_run_cmd(m, s, &s->u.exec_start.v[s->idx], s->u.type != SVC_FORKING)) {
		s->result = RES_RESOURCES;
		terminate(m, s, ACT_DEACTIVATING);
		return;
	}
	if (s->u.type == SVC_SIMPLE || s->u.type == SVC_IDLE)
		started(m, s);
}

static void start_pre(struct jobs *m, struct svc *s)
{
	s->cidx = 0;
	if (s->u.exec_start_pre.n)
		control(m, s, &s->u.exec_start_pre, ACT_ACTIVATING, SUB_START_PRE);
	else
		start_main(m, s);
}

void svc_begin_start(struct jobs *m, struct svc *s)
{
	struct kerr e = {0};
	uint64_t now = mono_us();
	if (s->job != JOB_NONE)
		s->job_begun = true;
	if (s->load != LOAD_LOADED || s->cycle) {
		s->result = s->cycle ? RES_CYCLE : RES_LOAD;
		if (s->load == LOAD_MASKED || s->load == LOAD_NOT_FOUND)
			str_fmt(s->error, sizeof(s->error), "unit %s", unit_load_name(s->load));
		set_state(m, s, s->load == LOAD_MASKED || s->load == LOAD_NOT_FOUND ? ACT_INACTIVE : ACT_FAILED,
			s->load == LOAD_MASKED || s->load == LOAD_NOT_FOUND ? SUB_DEAD : SUB_FAILED);
		if (s->job != JOB_NONE)
			svc_job_done(m, s, false);
		return;
	}
	if (s->u.kind == UNIT_TARGET) {
		s->result = RES_SUCCESS;
		set_state(m, s, ACT_ACTIVE, SUB_ACTIVE);
		return;
	}
	const struct unit_cond *cf = failed_condition(m, s);
	if (cf) {
		if (cf->assert) {
			s->result = RES_ASSERT;
			svc_fail(s, "%s=%s%s%s failed", cf->key, cf->trigger ? "|" : "", cf->negate ? "!" : "", cf->path);
			set_state(m, s, ACT_FAILED, SUB_FAILED);
			return;
		}
		str_fmt(s->error, sizeof(s->error), "not started: %s=%s%s%s was not met", cf->key, cf->trigger ? "|" : "",
			cf->negate ? "!" : "", cf->path);
		log_notice("%s: %s", s->name, s->error);
		s->result = RES_SUCCESS;
		if (s->job != JOB_NONE)
			svc_job_done(m, s, true);
		set_state(m, s, ACT_INACTIVE, SUB_DEAD);
		return;
	}
	if (s->u.kind == UNIT_TIMER) { /* a timer waits for its elapse (svc_timer.c) */
		svc_timer_start(m, s);
		return;
	}
	if (s->u.sock) { /* a socket unit listens, or fails (svc_socket.c) */
		s->result = sock_open(m, s) ? RES_RESOURCES : RES_SUCCESS;
		set_state(m, s, s->result ? ACT_FAILED : ACT_ACTIVE, s->result ? SUB_FAILED : SUB_LISTENING);
		return;
	}
	s->deadline = 0;
	s->result = RES_SUCCESS;
	s->oneshot_ok = s->stop_killed = s->stop_post_ran = s->skipped = s->main_status_set = false;
	s->active_since = s->active_exit = 0;
	s->status_text[0] = 0;
	s->idx = 0;
	if (svc_start_limit_hit(s, now)) {
		s->result = RES_START_LIMIT;
		svc_fail(s, "started more than %llu times within %llu ms; not starting again",
			(unsigned long long)s->u.start_limit_burst, (unsigned long long)(s->u.start_limit_interval / 1000));
		set_state(m, s, ACT_FAILED, SUB_FAILED);
		return;
	}
	s->error[0] = 0;
	if (svc_prepare(m, s, &e)) {
		s->result = RES_RESOURCES;
		svc_fail(s, "%s", e.msg);
		svc_release(m, s);
		set_state(m, s, ACT_FAILED, SUB_FAILED);
		return;
	}
	if (s->u.type != SVC_SIMPLE && s->u.type != SVC_IDLE)
		s->deadline = after_usec(s->u.timeout_start_usec);
	s->cidx = 0;
	if (s->u.exec_condition.n)
		control(m, s, &s->u.exec_condition, ACT_ACTIVATING, SUB_CONDITION);
	else
		start_pre(m, s);
}

static void stop_kill(struct jobs *m, struct svc *s) { terminate(m, s, ACT_DEACTIVATING); }

void svc_begin_stop(struct jobs *m, struct svc *s)
{
	if (s->job != JOB_NONE)
		s->job_begun = true;
	if (s->u.kind == UNIT_TIMER && s->load == LOAD_LOADED) {
		svc_timer_stop(m, s);
		return;
	}
	if (s->u.sock)
		sock_close(m, s);
	if (s->u.kind == UNIT_TARGET || s->u.sock || s->load != LOAD_LOADED) {
		set_state(m, s, s->active == ACT_FAILED ? ACT_FAILED : ACT_INACTIVE, s->active == ACT_FAILED ? SUB_FAILED : SUB_DEAD);
		return;
	}
	switch (s->sub) {
	case SUB_STOP: case SUB_STOP_SIGTERM: case SUB_STOP_SIGKILL: case SUB_STOP_POST:
		if (s->active == ACT_ACTIVATING) /* a failed start winding down: now it is a stop */
			s->active = ACT_DEACTIVATING;
		return; /* finalize() completes the job */
	case SUB_AUTO_RESTART:
		s->deadline = 0;
		set_state(m, s, ACT_INACTIVE, SUB_DEAD);
		return;
	case SUB_DEAD: case SUB_FAILED:
		if (svc_gone(m, s))
			set_state(m, s, s->active, s->sub);
		else
			stop_kill(m, s);
		return;
	case SUB_RUNNING: case SUB_EXITED:
		if (s->u.exec_stop.n) {
			struct kerr e = {0};
			if (m->use_cg && s->cg_fd < 0 &&
				(s->cg_fd = cg_service(&m->cg, s->name, s->u.kill_mode >= KILL_PROCESS, &e)) < 0) {
				svc_fail(s, "%s", e.msg);
				s->cg_fd = -1;
				stop_kill(m, s);
				return;
			}
			s->cidx = 0;
			s->deadline = after_usec(s->u.timeout_stop_usec);
			set_state(m, s, ACT_DEACTIVATING, SUB_STOP);
			if (svc_run_cmd(m, s, &s->u.exec_stop.v[0], false))
				stop_kill(m, s);
			return;
		}
		stop_kill(m, s);
		return;
	default: /* activating */
		stop_kill(m, s);
		return;
	}
}

enum svc_result svc_exit_result(int status, char *what, size_t n)
{
	if (WIFEXITED(status)) {
		str_fmt(what, n, "exited with status %d", WEXITSTATUS(status));
		return WEXITSTATUS(status) ? RES_EXIT_CODE : RES_SUCCESS;
	}
	int sig = WTERMSIG(status);
	str_fmt(what, n, "killed by signal %d%s", sig, WCOREDUMP(status) ? " (core dumped)" : "");
	if (sig == SIGHUP || sig == SIGINT || sig == SIGTERM || sig == SIGPIPE)
		return RES_SUCCESS;
	return WCOREDUMP(status) ? RES_CORE_DUMP : RES_SIGNAL;
}

static void reload_end(struct jobs *m, struct svc *s, bool ok);

/* /proc/PID/NAME's first n - 1 bytes into buf, NUL-terminated ("" when unreadable). */
static void proc_read(pid_t pid, const char *name, char *buf, size_t n)
{
	char path[64];
	snprintf(path, sizeof(path), "/proc/%d/%s", (int)pid, name);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t r = fd >= 0 ? read(fd, buf, n - 1) : -1;
	if (fd >= 0)
		close(fd);
	buf[r > 0 ? r : 0] = 0;
}

int svc_proc_stat(pid_t pid, pid_t *ppid, pid_t *sid)
{
	char buf[512];
	proc_read(pid, "stat", buf, sizeof(buf));
	/* "pid (comm) state ppid pgrp session …": comm may hold anything, so start after the last ')' */
	char *p = strrchr(buf, ')'), st;
	int pp, pg, sd;
	const char *q = p ? scan_char(scan_blanks(p + 1), &st) : NULL;
	if (!(q = scan_int(scan_blanks(q), &pp)) || !(q = scan_int(scan_blanks(q), &pg)) || !scan_int(scan_blanks(q), &sd))
		return -1;
	*ppid = pp;
	*sid = sd;
	return 0;
}

static bool stopping_sub(enum svc_sub sub)
{
	return sub == SUB_STOP || sub == SUB_STOP_SIGTERM || sub == SUB_STOP_SIGKILL || sub == SUB_STOP_POST;
}

void svc_begin_reload(struct jobs *m, struct svc *s)
{
	s->job_begun = true;
	s->reload_ok = false;
	if (s->load != LOAD_LOADED || s->active != ACT_ACTIVE || !s->u.exec_reload.n || s->control_pid ||
		(s->sub != SUB_RUNNING && s->sub != SUB_EXITED)) {
		svc_job_done(m, s, false);
		return;
	}
	s->cidx = 0;
	s->reload_ok = true;
	s->deadline = after_usec(s->u.timeout_start_usec);
	set_state(m, s, ACT_ACTIVE, SUB_RELOAD);
	if (svc_run_cmd(m, s, &s->u.exec_reload.v[0], false))
		reload_end(m, s, false);
}

static void reload_end(struct jobs *m, struct svc *s, bool ok)
{
	s->deadline = 0;
	s->reload_ok = ok;
	set_state(m, s, ACT_ACTIVE, s->u.type == SVC_ONESHOT ? SUB_EXITED : SUB_RUNNING);
}

/* Type=forking: the main process is the PID in PIDFile= — if it belongs to the unit (its cgroup;
 * without cgroups a child of the supervisor), never any process a service names. */
static int forking_main(struct jobs *m, struct svc *s)
{
	char buf[32], name[UNIT_NAME_MAX + 1];
	struct stat st;
	uint64_t pid;
	pid_t ppid, sid;
	const char *why = NULL;
	if (!s->u.pid_file)
		return 0; /* no main process: up while the cgroup has processes */
	int fd = fs_open_beneath(m->rootfd, s->u.pid_file + 1, O_RDONLY | O_NONBLOCK | O_NOCTTY, 0);
	if (fd < 0)
		return svc_fail(s, "PIDFile=%s: %s", s->u.pid_file, strerror(-fd)), -1;
	ssize_t n = fstat(fd, &st) || !S_ISREG(st.st_mode) ? -1 : fs_read_upto(fd, buf, sizeof(buf) - 1, 0);
	close(fd);
	buf[n > 0 ? n : 0] = 0;
	buf[strcspn(buf, "\n")] = 0;
	if (n <= 0 || uv_uint(buf, 2, 4194304, false, &pid, &why))
		return svc_fail(s, "PIDFile=%s: not a process ID", s->u.pid_file), -1;
	if (m->use_cg ? cg_pid_service((pid_t)pid, name, sizeof(name)) || strcmp(name, s->name) : (svc_proc_stat((pid_t)pid, &ppid, &sid) || ppid != getpid()))
		return svc_fail(s, "PIDFile=%s: process %llu does not belong to the unit", s->u.pid_file,
			(unsigned long long)pid), -1;
	s->main_pid = (pid_t)pid;
	if (!m->use_cg && s->npgids < SVC_PGIDS_MAX && getsid((pid_t)pid) > 0)
		s->pgids[s->npgids++] = getsid((pid_t)pid);
	return 0;
}

void svc_main_exited(struct jobs *m, struct svc *s, int status)
{
	char what[64];
	if (s->spawn_pid == s->main_pid)
		svc_read_spawn(m, s);
	bool spawn_failed = s->spawn_failed == s->main_pid; /* then s->error says why */
	s->main_pid = 0;
	enum svc_result r = svc_exit_result(status, what, sizeof(what));
	if (r != RES_SUCCESS && unit_status_has(&s->u.success_status, status))
		r = RES_SUCCESS; /* SuccessExitStatus= */
	s->main_status = status;
	s->main_status_set = true;
	if (stopping_sub(s->sub)) {
		log_info("%s: main process %s", s->name, what);
		svc_check_gone(m, s);
		return;
	}
	const struct unit_cmd *c = &s->u.exec_start.v[s->idx];
	if (s->u.type == SVC_ONESHOT && s->sub == SUB_START) {
		if (r == RES_SUCCESS || (c->flags & CMD_IGNORE_FAILURE)) {
			if (++s->idx < s->u.exec_start.n) {
				start_main(m, s);
				return;
			}
			s->deadline = 0;
			started(m, s);
			return;
		}
	}
	if (c->flags & CMD_IGNORE_FAILURE) /* '-': a failure is recorded in the log only */
		r = RES_SUCCESS;
	if (r != RES_SUCCESS)
		exit_log(s, "Main process", status);
	if (s->result == RES_SUCCESS)
		s->result = r;
	if (r == RES_SUCCESS)
		log_notice("%s: main process %s", s->name, what);
	else if (!spawn_failed)
		svc_fail(s, "main process %s (%s)", what, c->where);
	/* systemd.service(5): the stop operation is performed when a started service's main
	 * process ended cleanly on its own (after a failure it goes straight to the signals) */
	if (s->result == RES_SUCCESS && (s->sub == SUB_RUNNING || s->sub == SUB_RELOAD) && s->u.exec_stop.n) {
		s->cidx = 0;
		s->deadline = after_usec(s->u.timeout_stop_usec);
		set_state(m, s, ACT_DEACTIVATING, SUB_STOP);
		if (!svc_run_cmd(m, s, &s->u.exec_stop.v[0], false))
			return;
	}
	terminate(m, s, ACT_DEACTIVATING);
}

void svc_control_exited(struct jobs *m, struct svc *s, int status)
{
	char what[64];
	if (s->spawn_pid == s->control_pid)
		svc_read_spawn(m, s);
	bool spawn_failed = s->spawn_failed == s->control_pid;
	s->control_pid = 0;
	enum svc_result r = svc_exit_result(status, what, sizeof(what));
	const struct cmd_list *l = s->sub == SUB_CONDITION ? &s->u.exec_condition : s->sub == SUB_START_PRE ?
		&s->u.exec_start_pre : s->sub == SUB_START_POST ? &s->u.exec_start_post : s->sub == SUB_RELOAD ?
		&s->u.exec_reload : s->sub == SUB_STOP ? &s->u.exec_stop : s->sub == SUB_STOP_POST ?
		&s->u.exec_stop_post : s->sub == SUB_START && s->u.type == SVC_FORKING ? &s->u.exec_start : NULL;
	if (!l || s->cidx >= l->n) {
		svc_check_gone(m, s);
		return;
	}
	const struct unit_cmd *c = &l->v[s->cidx];
	bool ok = r == RES_SUCCESS || (c->flags & CMD_IGNORE_FAILURE), more = s->cidx + 1 < l->n;
	const char *what_list = s->sub == SUB_CONDITION ? "ExecCondition" : s->sub == SUB_START_PRE ? "ExecStartPre" :
		s->sub == SUB_START_POST ? "ExecStartPost" : s->sub == SUB_RELOAD ? "ExecReload" :
		s->sub == SUB_STOP ? "ExecStop" : s->sub == SUB_STOP_POST ? "ExecStopPost" : "ExecStart";
	if (s->sub == SUB_CONDITION)
		ok = (WIFEXITED(status) && !WEXITSTATUS(status)) || (c->flags & CMD_IGNORE_FAILURE);
	if (!ok && s->sub != SUB_STOP && s->sub != SUB_STOP_POST && s->sub != SUB_RELOAD) {
		if (s->sub == SUB_CONDITION && WIFEXITED(status) && WEXITSTATUS(status) < 255) {
			str_fmt(s->error, sizeof(s->error), "not started: ExecCondition= exited with status %d (%s)",
				WEXITSTATUS(status), c->where);
			log_notice("%s: %s", s->name, s->error);
			s->skipped = true;
		} else {
			s->result = r == RES_SUCCESS ? RES_EXIT_CODE : r;
			exit_log(s, "Control process", status);
			if (!spawn_failed)
				svc_fail(s, "%s %s (%s)", what_list, what, c->where);
		}
		terminate(m, s, ACT_DEACTIVATING);
		return;
	}
	if (!ok)
		log_warn("%s: %s %s (%s)", s->name, what_list, what, c->where);
	if (s->sub == SUB_RELOAD && !ok) {
		reload_end(m, s, false);
		return;
	}
	if (more) { /* the next command of the list */
		s->cidx++;
		if (!svc_run_cmd(m, s, &l->v[s->cidx], false))
			return;
		if (s->sub == SUB_RELOAD)
			reload_end(m, s, false);
		else if (s->sub == SUB_STOP || s->sub == SUB_STOP_POST)
			stop_kill(m, s);
		else {
			s->result = RES_RESOURCES;
			terminate(m, s, ACT_DEACTIVATING);
		}
		return;
	}
	switch (s->sub) {
	case SUB_CONDITION: start_pre(m, s); break;
	case SUB_START_PRE: s->idx = 0; start_main(m, s); break;
	case SUB_START: /* Type=forking: the daemon is up */
		if (forking_main(m, s)) {
			s->result = RES_PROTOCOL;
			terminate(m, s, ACT_DEACTIVATING);
		} else {
			started(m, s);
		}
		break;
	case SUB_START_POST: running(m, s); break;
	case SUB_RELOAD: reload_end(m, s, true); break;
	default: stop_kill(m, s); break; /* after ExecStop=, and after ExecStopPost= what is left goes */
	}
}

bool svc_waiting_gone(const struct svc *s) { return s->sub == SUB_STOP_SIGTERM || s->sub == SUB_STOP_SIGKILL; }

void svc_check_gone(struct jobs *m, struct svc *s)
{
	if (s->sub == SUB_RUNNING && s->u.type == SVC_FORKING && !s->main_pid && !s->control_pid && svc_gone(m, s)) {
		log_notice("%s: its processes are gone", s->name); /* forking without PIDFile= */
		terminate(m, s, ACT_DEACTIVATING);
		return;
	}
	if (!svc_waiting_gone(s))
		return;
	if (svc_gone(m, s))
		finalize(m, s);
	else if (s->main_pid == 0 && s->control_pid == 0)
		mixed_final(m, s);
}

void svc_timer(struct jobs *m, struct svc *s)
{
	if (s->u.kind == UNIT_TIMER) {
		svc_timer_due(m, s);
		return;
	}
	s->deadline = 0;
	switch (s->sub) {
	case SUB_CONDITION:
	case SUB_START_PRE:
	case SUB_START:
	case SUB_START_POST:
		s->result = RES_TIMEOUT;
		svc_fail(s, "did not start within %llu ms", (unsigned long long)(s->u.timeout_start_usec / 1000));
		terminate(m, s, ACT_DEACTIVATING);
		break;
	case SUB_STOP:
	case SUB_STOP_POST:
		log_warn("%s: %s did not finish within %llu ms", s->name, s->sub == SUB_STOP ? "ExecStop" : "ExecStopPost",
			(unsigned long long)(s->u.timeout_stop_usec / 1000));
		stop_kill(m, s);
		break;
	case SUB_RELOAD:
		log_warn("%s: ExecReload did not finish within %llu ms", s->name,
			(unsigned long long)(s->u.timeout_start_usec / 1000));
		if (s->control_pid)
			kill(s->control_pid, SIGKILL);
		reload_end(m, s, false);
		break;
	case SUB_STOP_SIGTERM:
		if (!s->u.send_sigkill) {
			svc_fail(s, "still running %llu ms after signal %d; left running (SendSIGKILL=no)",
				(unsigned long long)(s->u.timeout_stop_usec / 1000), s->u.kill_signal);
			goto give_up;
		}
		svc_fail(s, "still running %llu ms after signal %d; killed with SIGKILL",
			(unsigned long long)(s->u.timeout_stop_usec / 1000), s->u.kill_signal);
		s->stop_killed = true;
		svc_kill(m, s, SIGKILL);
		s->deadline = s->u.timeout_stop_usec == UV_INFINITY ? mono_us() + KILL_WAIT_USEC : after_usec(s->u.timeout_stop_usec);
		set_state(m, s, s->active, SUB_STOP_SIGKILL);
		break;
	case SUB_STOP_SIGKILL:
		svc_fail(s, "processes survived SIGKILL; giving up on them");
	give_up:
		s->main_pid = s->control_pid = 0;
		s->npgids = 0;
		if (s->cg_fd >= 0) { /* keep the cgroup: it is not empty */
			close(s->cg_fd);
			s->cg_fd = -1;
		}
		if (s->result == RES_SUCCESS)
			s->result = RES_TIMEOUT;
		finalize(m, s);
		break;
	case SUB_AUTO_RESTART:
		if (s->job == JOB_NONE)
			svc_begin_start(m, s);
		break;
	default:
		break;
	}
}

void svc_watchdog(struct jobs *m, struct svc *s)
{
	s->wd_deadline = 0;
	if (s->sub != SUB_RUNNING && s->sub != SUB_RELOAD)
		return;
	s->result = RES_WATCHDOG;
	svc_fail(s, "watchdog timeout (no WATCHDOG=1 within %llu ms); signal %d", (unsigned long long)(s->u.watchdog_usec / 1000),
		s->u.watchdog_signal);
	svc_kill(m, s, s->u.watchdog_signal);
	svc_kill(m, s, SIGCONT);
	s->deadline = after_usec(s->u.timeout_stop_usec);
	set_state(m, s, ACT_DEACTIVATING, SUB_STOP_SIGTERM);
}

void svc_ready(struct jobs *m, struct svc *s, const struct notify_msg *msg)
{
	if (msg->has_status)
		str_copy(s->status_text, sizeof(s->status_text), msg->status);
	if (msg->watchdog && s->wd_deadline)
		s->wd_deadline = after_usec(s->u.watchdog_usec);
	if (msg->watchdog_trigger && s->wd_deadline)
		svc_watchdog(m, s);
	if (msg->ready && s->u.type == SVC_NOTIFY && s->sub == SUB_START) {
		log_info("%s: ready (READY=1 from pid %d)", s->name, (int)msg->pid);
		started(m, s);
	}
}

void svc_output(struct jobs *m, struct svc *s)
{
	char buf[4096];
	(void)m;
	for (int i = 0; i < 64; i++) { /* bounded per wakeup; epoll is level-triggered */
		ssize_t r = read(s->out_r, buf, sizeof(buf));
		if (r <= 0)
			return;
		log_ring_write(&s->log, buf, (size_t)r);
		/* before the main process (ExecStartPre=) and after it (ExecStopPost=): the control process */
		journal_feed(&s->log, &s->u, s->name, (long)(s->main_pid ? s->main_pid : s->control_pid), buf, (size_t)r);
	}
}

void svc_spawn_event(struct jobs *m, struct svc *s)
{
	pid_t pid = s->spawn_pid;
	int r = svc_read_spawn(m, s);
	if (r == 0 && pid == s->main_pid && s->u.type == SVC_EXEC && s->sub == SUB_START)
		started(m, s);
}

void svc_status(const struct svc *s, struct ctl_status *o)
{
	memset(o, 0, sizeof(*o));
	str_copy(o->unit, sizeof(o->unit), s->name);
	str_copy(o->load, sizeof(o->load), unit_load_name(s->load));
	str_copy(o->active, sizeof(o->active), svc_active_name(s->active));
	str_copy(o->sub, sizeof(o->sub), sub_name(s->sub));
	str_copy(o->result, sizeof(o->result), result_name(s->result));
	o->pid = (uint64_t)(s->main_pid > 0 ? s->main_pid : 0);
	if (o->pid) { /* its name, as systemctl status shows it ("Main PID: 123 (chronyd)") */
		proc_read(s->main_pid, "comm", o->comm, sizeof(o->comm)); /* 15 bytes at most, then '\n' */
		o->comm[strcspn(o->comm, "\n")] = 0;
	}
	o->restarts = s->restarts;
	uint64_t now = mono_us();
	o->since_ms = s->state_since && now > s->state_since ? (now - s->state_since) / 1000 : 0;
	if (s->load == LOAD_LOADED && s->u.description)
		str_copy(o->description, sizeof(o->description), s->u.description);
	str_copy(o->text, sizeof(o->text), s->status_text);
	str_copy(o->error, sizeof(o->error), s->error);
}

void svc_free(struct svc *s)
{
	if (!s)
		return;
	strv_clear(&s->env);
	free(s->cwd);
	free(s->groups);
	if (s->cg_fd >= 0)
		close(s->cg_fd);
	if (s->out_r >= 0)
		close(s->out_r);
	if (s->out_w >= 0)
		close(s->out_w);
	if (s->spawn_fd >= 0)
		close(s->spawn_fd);
	log_ring_free(&s->log);
	sock_free(s);
	unit_free(&s->u);
	free(s->tm);
	free(s);
}
