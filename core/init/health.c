/* health.c — the health file and the runner that decides a trial boot (see health.h). */
#include "init/health.h"
#include "base/buf.h"
#include "base/clock.h"
#include "base/err.h"
#include "base/fs.h"
#include "base/json.h"
#include "base/log.h"
#include "init/svc_jobs.h"
#include "init/svc_spawn.h"
#include "init/unit_value.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#define MARK_MAX_USEC 120000000ULL
#define EVIDENCE_MAX_USEC 30000000ULL
#define CHILD_PATH "PATH=/usr/sbin:/usr/bin:/sbin:/bin"

/* ---- the file --------------------------------------------------------------------------------- */

void health_spec_free(struct health_spec *s)
{
	for (size_t i = 0; s->units && i < s->nunits; i++)
		free(s->units[i]);
	for (size_t i = 0; s->argv && i < s->argc; i++)
		free(s->argv[i]);
	free(s->units);
	free(s->argv);
	memset(s, 0, sizeof(*s));
}

/* The strings of array v into *out (n of them, each checked by ok()), NULL-terminated. */
static int str_array(const struct json *v, const char *field, size_t min, size_t max, char ***out, size_t *n,
	const char *(*ok)(const char *s, size_t i), bool unique, struct kerr *e)
{
	if (v->type != JSON_ARRAY)
		return kerr_set(e, -EINVAL, "/%s: array expected, found %s", field, json_type_name(v->type));
	if (v->u.arr.n < min || v->u.arr.n > max)
		return kerr_set(e, -EINVAL, "/%s: %zu to %zu entries expected, found %zu", field, min, max, v->u.arr.n);
	if (!(*out = calloc(v->u.arr.n + 1, sizeof(char *))))
		return kerr_set(e, -ENOMEM, "out of memory");
	for (size_t i = 0; i < v->u.arr.n; i++) {
		const struct json *s = v->u.arr.v[i];
		const char *why = s->type != JSON_STRING ? "string expected" : ok(s->u.str.s, i);
		for (size_t k = 0; !why && k < i; k++)
			if (unique && !strcmp((*out)[k], s->u.str.s))
				why = "listed twice";
		if (why)
			return kerr_set(e, -EINVAL, "/%s/%zu: %s", field, i, why);
		if (!((*out)[i] = strdup(s->u.str.s)))
			return kerr_set(e, -ENOMEM, "out of memory");
		*n = i + 1;
	}
	return 0;
}

static const char *unit_ok(const char *s, size_t i)
{
	(void)i;
	return !unit_ref_suffix(s) || unit_name_is_template(s) ? "not a unit name (NAME.service; no template)" : NULL;
}

static const char *arg_ok(const char *s, size_t i)
{
	if (strlen(s) > HEALTH_ARG_MAX)
		return "argument longer than 4096 bytes";
	return !i && s[0] != '/' ? "the command must be an absolute path" : NULL;
}

static int seconds(const struct json *v, const char *field, uint64_t min, uint64_t max, uint64_t *out, struct kerr *e)
{
	if (v->type != JSON_NUMBER || !v->u.num.is_int || v->u.num.i < (int64_t)min || v->u.num.i > (int64_t)max)
		return kerr_set(e, -EINVAL, "/%s: whole seconds %llu..%llu expected", field, (unsigned long long)min,
			(unsigned long long)max);
	*out = (uint64_t)v->u.num.i;
	return 0;
}

int health_parse(const char *data, size_t len, struct health_spec *s, struct kerr *e)
{
	static const struct json_limits lim = {HEALTH_FILE_MAX, 4, 1024, HEALTH_ARG_MAX + 1};
	static const char *const keys[] = {"version", "units", "command", "deadline", "settle"};
	struct json_doc doc = {0};
	int ret;
	memset(s, 0, sizeof(*s));
	s->deadline_s = HEALTH_DEADLINE_DEFAULT;
	if ((ret = json_parse(&doc, data, len, &lim, e)))
		return ret;
	const struct json *r = doc.root, *v;
	ret = -EINVAL;
	if (r->type != JSON_OBJECT) {
		kerr_set(e, ret, "object expected, found %s", json_type_name(r->type));
		goto out;
	}
	for (size_t i = 0; i < r->u.obj.n; i++) {
		size_t k = 0;
		while (k < sizeof(keys) / sizeof(keys[0]) && strcmp(keys[k], r->u.obj.m[i].key))
			k++;
		if (k == sizeof(keys) / sizeof(keys[0])) {
			kerr_set(e, ret, "/%s: unknown field", r->u.obj.m[i].key);
			goto out;
		}
	}
	v = json_get(r, "version");
	if (!v || v->type != JSON_NUMBER || !v->u.num.is_int || v->u.num.i != 1) {
		kerr_set(e, ret, "/version: must be 1");
		goto out;
	}
	if (((v = json_get(r, "units")) && (ret = str_array(v, "units", 0, HEALTH_UNITS_MAX, &s->units, &s->nunits, unit_ok, true, e))) ||
		((v = json_get(r, "command")) && (ret = str_array(v, "command", 1, HEALTH_ARGS_MAX, &s->argv, &s->argc, arg_ok, false, e))) ||
		((v = json_get(r, "deadline")) && (ret = seconds(v, "deadline", 1, 86400, &s->deadline_s, e))) ||
		((v = json_get(r, "settle")) && (ret = seconds(v, "settle", 0, 3600, &s->settle_s, e))))
		goto out;
	if (s->settle_s >= s->deadline_s) {
		ret = kerr_set(e, -EINVAL, "/settle: %llu s leaves no time before the deadline of %llu s",
			(unsigned long long)s->settle_s, (unsigned long long)s->deadline_s);
		goto out;
	}
	ret = 0;
out:
	json_free(&doc);
	if (ret)
		health_spec_free(s);
	return ret;
}

/* ---- the runner -------------------------------------------------------------------------------- */

void health_init(struct health *h)
{
	memset(h, 0, sizeof(*h));
	h->errfd = -1;
	str_copy(h->keel, sizeof(h->keel), "/proc/self/exe");
	str_copy(h->run_dir, sizeof(h->run_dir), "/run/keel");
}

static void child_done(struct health *h)
{
	if (h->errfd >= 0)
		close(h->errfd);
	h->errfd = -1;
	h->pid = 0;
}

void health_free(struct health *h)
{
	child_done(h);
	free(h->svcs);
	health_spec_free(&h->spec);
}

/* /run/keel/health: what keel update status shows. A fixed temporary name is fine: the
 * directory is PID 1's; no getrandom (PID 1 must not wait for the kernel's RNG). */
static void record(struct health *h, const char *marked)
{
	char path[300], tmp[310], txt[1024];
	if (str_fmt(path, sizeof(path), "%s/health", h->run_dir) || str_fmt(tmp, sizeof(tmp), "%s.tmp", path))
		return;
	str_fmt(txt, sizeof(txt), "result=%s\nreason=%s\nmarked=%s\ntrial=%s\n", h->pass ? "pass" : "fail", h->reason,
		marked, h->trial_why);
	int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0644);
	int ret = fd < 0 ? -errno : fs_write_all(fd, txt, strlen(txt));
	if (fd >= 0)
		close(fd);
	if (!ret && rename(tmp, path))
		ret = -errno;
	if (ret)
		log_err("health: %s: %s", path, strerror(-ret));
}

/* Start argv as h's child: own session, stdout+stderr appended to run_dir/health.log. */
static int start(struct health *h, const char *path, char *const argv[])
{
	char logp[300];
	char *env[] = {CHILD_PATH, NULL};
	struct kerr e = {0};
	str_fmt(logp, sizeof(logp), "%s/health.log", h->run_dir);
	struct spawn sp = {.path = path, .argv = argv, .envp = env, .out_fd = -1, .cgroup_fd = -1,
		.out = {{OUT_APPEND, logp}, {OUT_INHERIT, NULL}}};
	int ret = spawn_start(&sp, &h->pid, &h->errfd, &e);
	if (ret) {
		h->pid = 0;
		log_err("health: %s: %s", argv[0], e.msg);
	}
	return ret;
}

static int keel_cmd(struct health *h, const char *verb, const char *arg, const char *val)
{
	char *argv[] = {"keel", "update", (char *)verb, (char *)arg, (char *)val, NULL};
	log_info("health: running keel update %s", verb);
	return start(h, h->keel, argv);
}

static void steady(struct health *h)
{
	h->phase = keel_cmd(h, "steady-state", "--wait", NULL) ? HP_DONE : HP_STEADY;
}

/* The verdict: record it, then mark-good or mark-bad. */
static void verdict(struct health *h, bool pass, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void verdict(struct health *h, bool pass, const char *fmt, ...)
{
	va_list ap;
	struct kerr r;
	va_start(ap, fmt);
	kerr_vset(&r, 0, fmt, ap);
	va_end(ap);
	str_copy(h->reason, sizeof(h->reason), r.msg);
	h->pass = pass;
	if (pass)
		log_notice("health: passed: %s", h->reason);
	else
		log_err("health: FAILED: %s", h->reason);
	record(h, "pending");
	h->phase = HP_MARK;
	h->mark_deadline = mono_us() + MARK_MAX_USEC;
	if (keel_cmd(h, pass ? "mark-good" : "mark-bad", "--reason", h->reason)) {
		record(h, "error: could not run keel update");
		h->phase = HP_DONE;
		h->reboot = !pass;
	}
}

static void kill_child(struct health *h)
{
	if (h->pid > 0) {
		kill(-h->pid, SIGKILL); /* its session: whatever the command started */
		kill(h->pid, SIGKILL);
	}
	child_done(h);
}

void health_begin(struct health *h, uint64_t now)
{
	if (!h->booted)
		return;
	h->phase = HP_WAIT;
	if (!h->spec.deadline_s)
		h->spec.deadline_s = HEALTH_DEADLINE_DEFAULT;
	h->deadline = now + h->spec.deadline_s * 1000000ULL;
	if (h->trial)
		log_notice("health: trial boot (%s): checking within %llu s", h->trial_why, (unsigned long long)h->spec.deadline_s);
}

/* The first unit that is not active: 1 still coming (what: its state), -1 will not (failed, not
 * loaded), 0 all active. */
static int units_state(const struct health *h, const char **who, const char **what)
{
	int r = 0;
	for (size_t i = 0; i < h->spec.nunits && r >= 0; i++) {
		struct svc *s = h->svcs[i];
		if (s->load != LOAD_LOADED) {
			*who = s->name, *what = s->error[0] ? s->error : unit_load_name(s->load);
			return -1;
		}
		if (s->active == ACT_FAILED && s->job == JOB_NONE) {
			*who = s->name, *what = s->error[0] ? s->error : "failed";
			return -1;
		}
		if (s->active != ACT_ACTIVE && !r) {
			*who = s->name, *what = svc_active_name(s->active);
			r = 1;
		}
	}
	return r;
}

static void trial_step(struct health *h, struct jobs *m, struct svc *goal, uint64_t goal_id, uint64_t now)
{
	const char *who = NULL, *what = NULL;
	bool ok = false;
	if (h->spec_error[0]) {
		verdict(h, false, "health file %s: %s", HEALTH_FILE, h->spec_error);
		return;
	}
	if (h->phase == HP_WAIT || h->phase == HP_SETTLE) {
		if (!goal || (jobs_done(goal, goal_id, &ok) && !ok)) {
			verdict(h, false, "%s failed: %s", goal ? goal->name : "the goal", !goal ? "not queued" : goal->error[0] ?
				goal->error : svc_active_name(goal->active));
			return;
		}
		if (!jobs_done(goal, goal_id, &ok)) {
			if (now >= h->deadline)
				verdict(h, false, "deadline of %llu s passed before %s was reached",
					(unsigned long long)h->spec.deadline_s, goal->name);
			return;
		}
		if (!h->svcs && h->spec.nunits) {
			struct kerr e = {0};
			if (!(h->svcs = calloc(h->spec.nunits, sizeof(*h->svcs)))) {
				verdict(h, false, "out of memory");
				return;
			}
			for (size_t i = 0; i < h->spec.nunits; i++)
				if (!(h->svcs[i] = jobs_get(m, h->spec.units[i], &e))) {
					free(h->svcs), h->svcs = NULL;
					verdict(h, false, "%s: %s", h->spec.units[i], e.msg);
					return;
				}
		}
		int st = units_state(h, &who, &what);
		if (st < 0) {
			verdict(h, false, "%s is not running: %s", who, what);
			return;
		}
		if (st > 0) {
			h->phase = HP_WAIT;
			if (now >= h->deadline)
				verdict(h, false, "deadline of %llu s passed: %s is %s", (unsigned long long)h->spec.deadline_s, who, what);
			return;
		}
		if (h->phase == HP_WAIT) {
			h->phase = HP_SETTLE;
			h->settle_end = now + h->spec.settle_s * 1000000ULL;
		}
		if (now < h->settle_end) {
			if (now >= h->deadline)
				verdict(h, false, "deadline of %llu s passed while settling", (unsigned long long)h->spec.deadline_s);
			return;
		}
		if (!h->spec.argc) {
			if (h->spec.nunits)
				verdict(h, true, "%s reached; %zu required unit%s active", goal->name, h->spec.nunits,
					h->spec.nunits == 1 ? "" : "s");
			else
				verdict(h, true, "%s reached (no units to check)", goal->name);
			return;
		}
		h->phase = HP_CHECK;
		if (start(h, h->spec.argv[0], h->spec.argv)) {
			verdict(h, false, "%s: cannot start", h->spec.argv[0]);
			return;
		}
		log_info("health: running %s (pid %d)", h->spec.argv[0], (int)h->pid);
	}
	if (h->phase == HP_CHECK && h->pid && now >= h->deadline) {
		kill_child(h);
		verdict(h, false, "deadline of %llu s passed: %s still running (killed)", (unsigned long long)h->spec.deadline_s,
			h->spec.argv[0]);
	}
}

bool health_step(struct health *h, struct jobs *m, struct svc *goal, uint64_t goal_id, uint64_t now)
{
	bool ok;
	if (h->phase == HP_IDLE || (h->phase == HP_DONE && !h->reboot))
		return false;
	if (!h->trial) {
		if (h->phase == HP_WAIT && (!goal || jobs_done(goal, goal_id, &ok)))
			steady(h);
		return false;
	}
	if (h->phase == HP_WAIT || h->phase == HP_SETTLE || h->phase == HP_CHECK)
		trial_step(h, m, goal, goal_id, now);
	if ((h->phase == HP_MARK || h->phase == HP_EVIDENCE) && h->pid && now >= h->mark_deadline) {
		kill_child(h);
		if (h->phase == HP_MARK)
			record(h, "error: keel update did not finish within 120 s (killed)");
		h->phase = HP_DONE;
		h->reboot = !h->pass;
	}
	if (h->reboot) {
		h->reboot = false;
		log_notice("health: rebooting: the trial boot failed (%s)", h->reason);
		return true;
	}
	return false;
}

/* How a child ended, in words; true for a clean exit 0. */
static bool ended(struct health *h, int status, char *out, size_t n)
{
	struct spawn_err se;
	if (h->errfd >= 0 && spawn_result(h->errfd, &se) == 1) {
		snprintf(out, n, "could not %s: %s", spawn_step_name(se.step), strerror(se.err));
		return false;
	}
	if (WIFEXITED(status))
		snprintf(out, n, "exited %d", WEXITSTATUS(status));
	else
		snprintf(out, n, "killed by signal %d", WTERMSIG(status));
	return WIFEXITED(status) && !WEXITSTATUS(status);
}

bool health_reaped(void *arg, pid_t pid, int status)
{
	struct health *h = arg;
	char how[160];
	if (!h->pid || pid != h->pid)
		return false;
	bool clean = ended(h, status, how, sizeof(how));
	child_done(h);
	switch (h->phase) {
	case HP_CHECK:
		if (clean)
			verdict(h, true, "%zu required unit%s active; %s exited 0", h->spec.nunits, h->spec.nunits == 1 ? "" : "s",
				h->spec.argv[0]);
		else
			verdict(h, false, "%s %s", h->spec.argv[0], how);
		break;
	case HP_MARK: {
		char m[200];
		snprintf(m, sizeof(m), "%s%s%s", clean ? (h->pass ? "good" : "bad") : "error: keel update mark-",
			clean ? "" : h->pass ? "good " : "bad ", clean ? "" : how);
		record(h, m);
		if (!clean)
			log_err("health: keel update mark-%s %s", h->pass ? "good" : "bad", how);
		if (h->pass && clean)
			steady(h);
		else
			h->phase = HP_DONE;
		h->reboot = !h->pass;
		if (h->pass)
			break;
		/* before the reboot that rolls back: evidence on STATE for `keel diag last` */
		char *argv[] = {"keel", "diag", "health", "--keep", "--reason", h->reason, NULL};
		if (!start(h, h->keel, argv)) {
			h->phase = HP_EVIDENCE, h->reboot = false;
			h->mark_deadline = mono_us() + EVIDENCE_MAX_USEC;
		}
		break;
	}
	case HP_EVIDENCE:
		h->phase = HP_DONE, h->reboot = true;
		break;
	case HP_STEADY:
		if (!clean)
			log_warn("health: keel update steady-state %s", how);
		h->phase = HP_DONE;
		break;
	default:
		break;
	}
	return true;
}

uint64_t health_next(const struct health *h)
{
	uint64_t next = 0;
	if (!h->trial || h->phase == HP_DONE || h->phase == HP_IDLE)
		return 0;
	if (h->phase == HP_MARK || h->phase == HP_EVIDENCE)
		return h->pid ? h->mark_deadline : 0;
	if (h->phase == HP_STEADY)
		return 0;
	next = h->deadline;
	if (h->phase == HP_SETTLE && h->settle_end < next)
		next = h->settle_end;
	return next;
}

void health_stop(struct health *h)
{
	if (h->pid)
		kill_child(h);
	if (h->phase != HP_IDLE)
		h->phase = HP_DONE;
}
