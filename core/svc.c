/* svc.c — one unit's run: start, ready, exit, restart, stop (see svc.h). */
#include "svc.h"
#include "buf.h"
#include "err.h"
#include "fs.h"
#include "log.h"
#include "spawn.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/inotify.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define DEFAULT_PATH "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
#define ENVFILE_MAX (1 << 20)
#define KILL_WAIT_USEC 10000000 /* after SIGKILL when TimeoutStopSec=infinity */

uint64_t mono_usec(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000;
}

static uint64_t after_usec(uint64_t span)
{
	return span == UV_INFINITY ? 0 : mono_usec() + span;
}

const char *svc_active_name(enum svc_active a)
{
	static const char *const n[] = {"inactive", "activating", "active", "deactivating", "failed"};
	return n[a];
}

static const char *sub_name(enum svc_sub s)
{
	static const char *const n[] = {"dead", "start-pre", "start", "running", "exited", "auto-restart", "stop",
		"stop-sigterm", "stop-sigkill", "failed", "active"};
	return n[s];
}

static const char *result_name(enum svc_result r)
{
	static const char *const n[] = {"success", "exit-code", "signal", "core-dump", "timeout", "start-limit-hit",
		"resources", "dependency", "cycle", "load", "canceled"};
	return n[r];
}

void svc_job_done(struct mgr *m, struct svc *s, bool ok)
{
	s->done_id = s->job_id;
	s->done_ok = ok;
	s->job = JOB_NONE;
	s->job_begun = false;
	m->changed = true;
}

/* A unit that is down keeps its log ring but not its pipe (two descriptors per unit). */
static void close_log(struct mgr *m, struct svc *s)
{
	if (s->out_r < 0)
		return;
	mgr_output(m, s);
	epoll_ctl(m->epfd, EPOLL_CTL_DEL, s->out_r, NULL);
	close(s->out_r);
	close(s->out_w);
	s->out_r = s->out_w = -1;
}

static void set_state(struct mgr *m, struct svc *s, enum svc_active a, enum svc_sub sub)
{
	uint64_t now = mono_usec();
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
	if ((a == ACT_INACTIVE || a == ACT_FAILED) && !s->main_pid && !s->control_pid)
		close_log(m, s);
	if (s->job == JOB_NONE || !s->job_begun)
		return;
	if (s->job == JOB_START) {
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

static void fail_msg(struct svc *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void fail_msg(struct svc *s, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	struct kerr e;
	kerr_vset(&e, -1, fmt, ap);
	va_end(ap);
	str_copy(s->error, sizeof(s->error), e.msg);
	log_err("%s: %s", s->name, s->error);
}

/* ---- processes ---------------------------------------------------------------------------- */

static void unwatch_spawn(struct mgr *m, struct svc *s)
{
	if (s->spawn_fd < 0)
		return;
	epoll_ctl(m->epfd, EPOLL_CTL_DEL, s->spawn_fd, NULL);
	close(s->spawn_fd);
	s->spawn_fd = -1;
	s->spawn_pid = 0;
}

/* Read the status pipe of the last spawn; log what failed in the child. Returns 0 when execve
 * succeeded, 1 on a reported failure, -EAGAIN when there is no answer yet. */
static int read_spawn(struct mgr *m, struct svc *s)
{
	struct spawn_err se;
	if (s->spawn_fd < 0)
		return -EAGAIN;
	int r = spawn_result(s->spawn_fd, &se);
	if (r == -EAGAIN)
		return r;
	if (r == 1) {
		fail_msg(s, "process %d: failed to %s: %s", (int)s->spawn_pid, spawn_step_name(se.step), strerror(se.err));
		s->spawn_failed = s->spawn_pid;
	}
	unwatch_spawn(m, s);
	return r < 0 ? 1 : r;
}

static bool group_alive(pid_t pgid) { return kill(-pgid, 0) == 0 || errno == EPERM; }

static bool gone(const struct mgr *m, struct svc *s)
{
	if (s->main_pid || s->control_pid)
		return false;
	if (m->use_cg)
		return s->cg_fd < 0 || cg_populated(s->cg_fd) <= 0;
	size_t k = 0;
	for (size_t i = 0; i < s->npgids; i++)
		if (group_alive(s->pgids[i]))
			s->pgids[k++] = s->pgids[i];
	s->npgids = k;
	return k == 0;
}

static void kill_all(const struct mgr *m, struct svc *s, int sig)
{
	if (m->use_cg && s->cg_fd >= 0) {
		cg_kill(s->cg_fd, sig);
	} else {
		for (size_t i = 0; i < s->npgids; i++)
			kill(-s->pgids[i], sig);
	}
	if (s->main_pid)
		kill(s->main_pid, sig);
	if (s->control_pid)
		kill(s->control_pid, sig);
}

/* Final environment: later assignments of a name replace earlier ones. */
static int add_env(struct strv *env, const char *assign)
{
	size_t nl = strcspn(assign, "=");
	for (size_t i = 0; i < env->n; i++)
		if (!strncmp(env->v[i], assign, nl) && env->v[i][nl] == '=') {
			char *c = strdup(assign);
			if (!c)
				return -ENOMEM;
			free(env->v[i]);
			env->v[i] = c;
			return 0;
		}
	return strv_push(env, assign);
}

static int run_cmd(struct mgr *m, struct svc *s, const struct unit_cmd *c, bool main)
{
	struct strv argv = {0}, env = {0};
	const char *why = NULL;
	struct kerr e = {0};
	pid_t pid;
	int errfd, ret = 0;
	for (size_t i = 0; i < s->env.n && !ret; i++)
		ret = strv_push(&env, s->env.v[i]);
	if (!ret && !main && s->main_pid) {
		char mp[32];
		str_fmt(mp, sizeof(mp), "MAINPID=%d", (int)s->main_pid);
		ret = add_env(&env, mp);
	}
	if (ret) {
		fail_msg(s, "%s: %s", c->where, strerror(-ret));
		goto out;
	}
	if (c->flags & CMD_NO_EXPAND) {
		for (size_t i = 0; i < c->argv.n && !ret; i++)
			ret = strv_push(&argv, c->argv.v[i]);
	} else {
		ret = uv_expand(c->argv.v, c->argv.n, env.v, env.n, &argv, &why);
	}
	if (!ret && !argv.n)
		ret = -EINVAL, why = "the command line expanded to nothing";
	if (ret) {
		fail_msg(s, "%s: %s", c->where, why ? why : strerror(-ret));
		goto out;
	}
	const char *path_env = uv_getenv(env.v, env.n, "PATH", 4);
	struct spawn sp = {
		.path = c->path, .argv = argv.v, .envp = env.v, .search_path = path_env ? path_env : DEFAULT_PATH,
		.set_ids = s->set_ids, .uid = s->uid, .gid = s->gid, .groups = s->groups, .ngroups = s->ngroups,
		.cwd = s->cwd && s->cwd[0] == '-' ? s->cwd + 1 : s->cwd, .cwd_optional = s->cwd && s->cwd[0] == '-',
		.out_fd = s->out_w, .cgroup_fd = m->use_cg ? s->cg_fd : -1,
		.set_nofile = s->u.nofile_soft != UNIT_UNSET, .nofile_soft = s->u.nofile_soft, .nofile_hard = s->u.nofile_hard,
	};
	if ((ret = spawn_start(&sp, &pid, &errfd, &e))) {
		fail_msg(s, "%s: %s", c->where, e.msg);
		goto out;
	}
	unwatch_spawn(m, s);
	s->spawn_fd = errfd;
	s->spawn_pid = pid;
	struct epoll_event ev = {.events = EPOLLIN, .data.ptr = &s->w_spawn};
	epoll_ctl(m->epfd, EPOLL_CTL_ADD, errfd, &ev);
	if (main)
		s->main_pid = pid;
	else
		s->control_pid = pid;
	if (!m->use_cg) {
		if (s->npgids == SVC_PGIDS_MAX) /* drop the oldest; it is most likely gone */
			memmove(s->pgids, s->pgids + 1, --s->npgids * sizeof(pid_t));
		s->pgids[s->npgids++] = pid;
	}
	log_info("%s: started %s (pid %d) from %s", s->name, c->path, (int)pid, c->where);
out:
	strv_clear(&argv);
	strv_clear(&env);
	return ret;
}

/* ---- preparing a run ------------------------------------------------------------------------ */

static void release_run(struct mgr *m, struct svc *s)
{
	strv_clear(&s->env);
	free(s->cwd);
	s->cwd = NULL;
	s->set_ids = false;
	s->ngroups = 0;
	if (s->cg_fd >= 0) {
		close(s->cg_fd);
		s->cg_fd = -1;
		if (m->use_cg && cg_remove(&m->cg, s->name) && errno != ENOENT)
			log_warn("%s: could not remove its cgroup (%s)", s->name, strerror(errno));
	}
}

static int prepare_ids(struct mgr *m, struct svc *s, const char **home, const char **shell, struct id_user *pw,
	struct kerr *e)
{
	int ret;
	const struct unit *u = &s->u;
	*home = *shell = NULL;
	if (!u->user && !u->group && !u->supplementary_groups.n)
		return 0;
	s->set_ids = true;
	s->uid = 0;
	s->gid = 0;
	if (u->user) {
		if ((ret = ids_user(m->rootfd, u->user, pw, e)))
			return ret;
		s->uid = pw->uid;
		s->gid = pw->gid;
		*home = pw->home;
		*shell = pw->shell;
	}
	if (u->group && (ret = ids_group(m->rootfd, u->group, &s->gid, e)))
		return ret;
	s->groups[0] = s->gid;
	s->ngroups = 1;
	if (u->user && pw->listed && (ret = ids_user_groups(m->rootfd, pw->name, s->gid, s->groups, &s->ngroups, e)))
		return ret;
	for (size_t i = 0; i < u->supplementary_groups.n; i++) {
		gid_t g;
		if ((ret = ids_group(m->rootfd, u->supplementary_groups.v[i], &g, e)))
			return ret;
		bool dup = false;
		for (size_t k = 0; k < s->ngroups; k++)
			dup |= s->groups[k] == g;
		if (!dup && s->ngroups == IDS_GROUPS_MAX + 1)
			return kerr_set(e, -E2BIG, "more than %d groups", IDS_GROUPS_MAX);
		if (!dup)
			s->groups[s->ngroups++] = g;
	}
	return 0;
}

static int prepare_env(struct mgr *m, struct svc *s, const char *home, const char *shell, const char *user,
	struct kerr *e)
{
	char tmp[400];
	int ret = add_env(&s->env, "PATH=" DEFAULT_PATH);
	if (!ret && home) {
		if (!(ret = str_fmt(tmp, sizeof(tmp), "HOME=%s", home)))
			ret = add_env(&s->env, tmp);
		if (!ret && !(ret = str_fmt(tmp, sizeof(tmp), "USER=%s", user)))
			ret = add_env(&s->env, tmp);
		if (!ret && !(ret = str_fmt(tmp, sizeof(tmp), "LOGNAME=%s", user)))
			ret = add_env(&s->env, tmp);
		if (!ret && !(ret = str_fmt(tmp, sizeof(tmp), "SHELL=%s", shell)))
			ret = add_env(&s->env, tmp);
	}
	if (!ret && s->u.type == SVC_NOTIFY && !(ret = str_fmt(tmp, sizeof(tmp), "NOTIFY_SOCKET=%s", m->notify_path)))
		ret = add_env(&s->env, tmp);
	for (size_t i = 0; i < s->u.environment.n && !ret; i++)
		ret = add_env(&s->env, s->u.environment.v[i]);
	if (ret)
		return kerr_set(e, ret, "environment: %s", strerror(-ret));
	/* EnvironmentFile= overrides Environment=, as in systemd */
	for (size_t i = 0; i < s->u.environment_files.n && !ret; i++) {
		const char *f = s->u.environment_files.v[i];
		bool optional = f[0] == '-';
		struct buf b = BUF_INIT(ENVFILE_MAX);
		struct strv vars = {0};
		int fd = fs_open_beneath(m->rootfd, optional ? f + 1 : f, O_RDONLY, 0);
		if (fd < 0) {
			if (!(optional && fd == -ENOENT))
				ret = kerr_set(e, fd, "EnvironmentFile=%s: %s", f, strerror(-fd));
			continue;
		}
		ret = fs_read_fd(fd, ENVFILE_MAX, &b);
		close(fd);
		if (ret)
			kerr_set(e, ret, "EnvironmentFile=%s: %s", f, ret == -EFBIG ? "too large" : strerror(-ret));
		else
			ret = uv_envfile(optional ? f + 1 : f, (const char *)b.p, b.len, &vars, e);
		for (size_t k = 0; k < vars.n && !ret; k++)
			if ((ret = add_env(&s->env, vars.v[k])))
				kerr_set(e, ret, "EnvironmentFile=%s: too many variables", f);
		strv_clear(&vars);
		buf_free(&b);
	}
	return ret;
}

static int prepare(struct mgr *m, struct svc *s, struct kerr *e)
{
	struct id_user pw;
	const char *home, *shell;
	int ret;
	release_run(m, s);
	if ((ret = prepare_ids(m, s, &home, &shell, &pw, e)) || (ret = prepare_env(m, s, home, shell, pw.name, e)))
		return ret;
	const char *wd = s->u.working_directory;
	if (wd) {
		bool opt = wd[0] == '-';
		const char *p = opt ? wd + 1 : wd;
		char tmp[300];
		if (!strcmp(p, "~") && str_fmt(tmp, sizeof(tmp), "%s%s", opt ? "-" : "", home ? home : "/"))
			return kerr_set(e, -ENAMETOOLONG, "home directory too long");
		if (!(s->cwd = strdup(strcmp(p, "~") ? wd : tmp)))
			return kerr_set(e, -ENOMEM, "out of memory");
	}
	if (m->use_cg) {
		int fd = cg_service(&m->cg, s->name, e);
		if (fd < 0)
			return fd;
		s->cg_fd = fd;
		if ((ret = cg_limits(&m->cg, fd, &s->u, e)))
			return ret;
		char path[600];
		if (!str_fmt(path, sizeof(path), "%s/%s/%s/cgroup.events", m->cg.root, CG_SLICE, s->name) &&
			inotify_add_watch(m->inotify_fd, path, IN_MODIFY) < 0)
			return kerr_set(e, -errno, "inotify %s: %s", path, strerror(errno));
	}
	if (s->out_r < 0) {
		int p[2];
		if (pipe2(p, O_CLOEXEC))
			return kerr_set(e, -errno, "pipe: %s", strerror(errno));
		fcntl(p[0], F_SETFL, O_NONBLOCK);
		s->out_r = p[0];
		s->out_w = p[1];
		struct epoll_event ev = {.events = EPOLLIN, .data.ptr = &s->w_out};
		if (epoll_ctl(m->epfd, EPOLL_CTL_ADD, s->out_r, &ev))
			return kerr_set(e, -errno, "epoll: %s", strerror(errno));
	}
	return 0;
}

/* ---- the state machine ------------------------------------------------------------------------ */

static void finalize(struct mgr *m, struct svc *s);

/* Signal what is left and wait for it to go (or finish now if nothing is left). */
static void terminate(struct mgr *m, struct svc *s, enum svc_active a)
{
	if (gone(m, s)) {
		finalize(m, s);
		return;
	}
	kill_all(m, s, s->u.kill_signal);
	if (s->u.kill_signal != SIGKILL)
		kill_all(m, s, SIGCONT);
	s->deadline = after_usec(s->u.timeout_stop_usec);
	set_state(m, s, a, SUB_STOP_SIGTERM);
}

static bool restart_wanted(const struct svc *s)
{
	bool clean = s->result == RES_SUCCESS;
	bool sig = s->result == RES_SIGNAL || s->result == RES_CORE_DUMP;
	switch (s->result) {
	case RES_START_LIMIT: case RES_DEPENDENCY: case RES_CYCLE: case RES_LOAD: case RES_CANCELED:
		return false;
	default:
		break;
	}
	switch (s->u.restart) {
	case RESTART_NO: return false;
	case RESTART_ALWAYS: return true;
	case RESTART_ON_SUCCESS: return clean;
	case RESTART_ON_FAILURE: return !clean;
	case RESTART_ON_ABNORMAL: return sig || s->result == RES_TIMEOUT;
	case RESTART_ON_ABORT: return sig;
	}
	return false;
}

static void finalize(struct mgr *m, struct svc *s)
{
	uint64_t now = mono_usec();
	s->deadline = 0;
	bool stopping = m->shutting_down || ((s->job == JOB_STOP || s->job == JOB_RESTART) && s->job_begun);
	if (stopping) {
		if (s->stop_killed && s->result == RES_SUCCESS)
			s->result = RES_TIMEOUT;
		release_run(m, s);
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
			release_run(m, s);
			set_state(m, s, ACT_INACTIVE, SUB_DEAD);
		}
		return;
	}
	release_run(m, s);
	uint64_t end = s->active == ACT_ACTIVE ? now : s->active_exit;
	uint64_t up = s->active_since && end > s->active_since ? end - s->active_since : 0;
	uint64_t settle = s->u.start_limit_interval ? s->u.start_limit_interval : 10000000;
	if (up >= settle) /* it ran long enough: start the backoff over */
		s->backoff = 0;
	if (restart_wanted(s)) {
		uint64_t base = s->u.restart_usec, cap = s->u.restart_max_usec > base ? s->u.restart_max_usec : base;
		uint64_t delay = base;
		for (unsigned i = 0; i < s->backoff && delay < cap; i++)
			delay = delay > cap / 2 ? cap : delay * 2;
		if (delay > cap)
			delay = cap;
		s->backoff++;
		s->restarts++;
		s->deadline = now + delay;
		log_notice("%s: %s; restart %u in %llu ms", s->name, result_name(s->result), s->restarts,
			(unsigned long long)(delay / 1000));
		set_state(m, s, ACT_ACTIVATING, SUB_AUTO_RESTART);
		return;
	}
	if (s->result == RES_SUCCESS)
		set_state(m, s, ACT_INACTIVE, SUB_DEAD);
	else
		set_state(m, s, ACT_FAILED, SUB_FAILED);
}

static bool start_limit_hit(struct svc *s, uint64_t now)
{
	if (!s->u.start_limit_burst || !s->u.start_limit_interval)
		return false;
	if (!s->limit_window || now - s->limit_window >= s->u.start_limit_interval) {
		s->limit_window = now;
		s->limit_count = 0;
	}
	return ++s->limit_count > s->u.start_limit_burst;
}

static void start_main(struct mgr *m, struct svc *s)
{
	set_state(m, s, ACT_ACTIVATING, SUB_START);
	if (run_cmd(m, s, &s->u.exec_start.v[s->idx], true)) {
		s->result = RES_RESOURCES;
		terminate(m, s, ACT_DEACTIVATING);
		return;
	}
	if (s->u.type == SVC_SIMPLE) {
		s->deadline = 0;
		set_state(m, s, ACT_ACTIVE, SUB_RUNNING);
	}
}

void svc_begin_start(struct mgr *m, struct svc *s)
{
	struct kerr e = {0};
	uint64_t now = mono_usec();
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
	s->deadline = 0;
	s->result = RES_SUCCESS;
	s->oneshot_ok = s->stop_killed = false;
	s->active_since = s->active_exit = 0;
	s->status_text[0] = 0;
	s->idx = 0;
	if (start_limit_hit(s, now)) {
		s->result = RES_START_LIMIT;
		fail_msg(s, "started more than %llu times within %llu ms; not starting again",
			(unsigned long long)s->u.start_limit_burst, (unsigned long long)(s->u.start_limit_interval / 1000));
		set_state(m, s, ACT_FAILED, SUB_FAILED);
		return;
	}
	s->error[0] = 0;
	if (prepare(m, s, &e)) {
		s->result = RES_RESOURCES;
		fail_msg(s, "%s", e.msg);
		release_run(m, s);
		set_state(m, s, ACT_FAILED, SUB_FAILED);
		return;
	}
	if (s->u.type != SVC_SIMPLE)
		s->deadline = after_usec(s->u.timeout_start_usec);
	if (s->u.exec_start_pre.n) {
		set_state(m, s, ACT_ACTIVATING, SUB_START_PRE);
		if (run_cmd(m, s, &s->u.exec_start_pre.v[0], false)) {
			s->result = RES_RESOURCES;
			terminate(m, s, ACT_DEACTIVATING);
		}
		return;
	}
	start_main(m, s);
}

static void stop_kill(struct mgr *m, struct svc *s) { terminate(m, s, ACT_DEACTIVATING); }

void svc_begin_stop(struct mgr *m, struct svc *s)
{
	if (s->job != JOB_NONE)
		s->job_begun = true;
	if (s->u.kind == UNIT_TARGET || s->load != LOAD_LOADED) {
		set_state(m, s, s->active == ACT_FAILED ? ACT_FAILED : ACT_INACTIVE, s->active == ACT_FAILED ? SUB_FAILED : SUB_DEAD);
		return;
	}
	switch (s->sub) {
	case SUB_STOP: case SUB_STOP_SIGTERM: case SUB_STOP_SIGKILL:
		if (s->active == ACT_ACTIVATING) /* a failed start winding down: now it is a stop */
			s->active = ACT_DEACTIVATING;
		return; /* finalize() completes the job */
	case SUB_AUTO_RESTART:
		s->deadline = 0;
		set_state(m, s, ACT_INACTIVE, SUB_DEAD);
		return;
	case SUB_DEAD: case SUB_FAILED:
		if (gone(m, s))
			set_state(m, s, s->active, s->sub);
		else
			stop_kill(m, s);
		return;
	case SUB_RUNNING: case SUB_EXITED:
		if (s->u.exec_stop.n) {
			struct kerr e = {0};
			if (m->use_cg && s->cg_fd < 0 && (s->cg_fd = cg_service(&m->cg, s->name, &e)) < 0) {
				fail_msg(s, "%s", e.msg);
				s->cg_fd = -1;
				stop_kill(m, s);
				return;
			}
			s->idx = 0;
			s->deadline = after_usec(s->u.timeout_stop_usec);
			set_state(m, s, ACT_DEACTIVATING, SUB_STOP);
			if (run_cmd(m, s, &s->u.exec_stop.v[0], false))
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

/* Classify a wait status: returns the result; clean exits and SIGHUP/INT/TERM/PIPE are success. */
static enum svc_result classify(int status, char *what, size_t n)
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

static bool stopping_sub(enum svc_sub sub) { return sub == SUB_STOP || sub == SUB_STOP_SIGTERM || sub == SUB_STOP_SIGKILL; }

void svc_main_exited(struct mgr *m, struct svc *s, int status)
{
	char what[64];
	if (s->spawn_pid == s->main_pid)
		read_spawn(m, s);
	bool spawn_failed = s->spawn_failed == s->main_pid; /* then s->error says why */
	s->main_pid = 0;
	enum svc_result r = classify(status, what, sizeof(what));
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
			s->oneshot_ok = true;
			s->deadline = 0;
			terminate(m, s, ACT_ACTIVATING);
			return;
		}
	}
	if (c->flags & CMD_IGNORE_FAILURE) /* '-': a failure is recorded in the log only */
		r = RES_SUCCESS;
	if (s->result == RES_SUCCESS)
		s->result = r;
	if (r == RES_SUCCESS)
		log_notice("%s: main process %s", s->name, what);
	else if (!spawn_failed)
		fail_msg(s, "main process %s (%s)", what, c->where);
	terminate(m, s, ACT_DEACTIVATING);
}

void svc_control_exited(struct mgr *m, struct svc *s, int status)
{
	char what[64];
	if (s->spawn_pid == s->control_pid)
		read_spawn(m, s);
	bool spawn_failed = s->spawn_failed == s->control_pid;
	s->control_pid = 0;
	enum svc_result r = classify(status, what, sizeof(what));
	if (s->sub == SUB_START_PRE) {
		const struct unit_cmd *c = &s->u.exec_start_pre.v[s->idx];
		if (r != RES_SUCCESS && !(c->flags & CMD_IGNORE_FAILURE)) {
			s->result = r;
			if (!spawn_failed)
				fail_msg(s, "ExecStartPre %s (%s)", what, c->where);
			terminate(m, s, ACT_DEACTIVATING);
			return;
		}
		if (++s->idx < s->u.exec_start_pre.n) {
			if (run_cmd(m, s, &s->u.exec_start_pre.v[s->idx], false)) {
				s->result = RES_RESOURCES;
				terminate(m, s, ACT_DEACTIVATING);
			}
			return;
		}
		s->idx = 0;
		start_main(m, s);
		return;
	}
	if (s->sub == SUB_STOP) {
		const struct unit_cmd *c = &s->u.exec_stop.v[s->idx];
		if (r != RES_SUCCESS && !(c->flags & CMD_IGNORE_FAILURE))
			log_warn("%s: ExecStop %s (%s)", s->name, what, c->where);
		if (++s->idx < s->u.exec_stop.n && !run_cmd(m, s, &s->u.exec_stop.v[s->idx], false))
			return;
		stop_kill(m, s);
		return;
	}
	svc_check_gone(m, s);
}

bool svc_waiting_gone(const struct svc *s) { return s->sub == SUB_STOP_SIGTERM || s->sub == SUB_STOP_SIGKILL; }

void svc_check_gone(struct mgr *m, struct svc *s)
{
	if (svc_waiting_gone(s) && gone(m, s))
		finalize(m, s);
}

void svc_timer(struct mgr *m, struct svc *s)
{
	s->deadline = 0;
	switch (s->sub) {
	case SUB_START_PRE:
	case SUB_START:
		s->result = RES_TIMEOUT;
		fail_msg(s, "did not start within %llu ms", (unsigned long long)(s->u.timeout_start_usec / 1000));
		terminate(m, s, ACT_DEACTIVATING);
		break;
	case SUB_STOP:
		log_warn("%s: ExecStop did not finish within %llu ms", s->name, (unsigned long long)(s->u.timeout_stop_usec / 1000));
		stop_kill(m, s);
		break;
	case SUB_STOP_SIGTERM:
		fail_msg(s, "still running %llu ms after signal %d; killed with SIGKILL",
			(unsigned long long)(s->u.timeout_stop_usec / 1000), s->u.kill_signal);
		s->stop_killed = true;
		kill_all(m, s, SIGKILL);
		s->deadline = s->u.timeout_stop_usec == UV_INFINITY ? mono_usec() + KILL_WAIT_USEC : after_usec(s->u.timeout_stop_usec);
		set_state(m, s, s->active, SUB_STOP_SIGKILL);
		break;
	case SUB_STOP_SIGKILL:
		fail_msg(s, "processes survived SIGKILL; giving up on them");
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

void svc_ready(struct mgr *m, struct svc *s, const struct notify_msg *msg)
{
	if (msg->has_status)
		str_copy(s->status_text, sizeof(s->status_text), msg->status);
	if (msg->ready && s->u.type == SVC_NOTIFY && s->sub == SUB_START) {
		s->deadline = 0;
		log_info("%s: ready (READY=1 from pid %d)", s->name, (int)msg->pid);
		set_state(m, s, ACT_ACTIVE, SUB_RUNNING);
	}
}

void mgr_output(struct mgr *m, struct svc *s)
{
	char buf[4096];
	(void)m;
	for (int i = 0; i < 64; i++) { /* bounded per wakeup; epoll is level-triggered */
		ssize_t r = read(s->out_r, buf, sizeof(buf));
		if (r <= 0)
			return;
		ring_write(&s->log, buf, (size_t)r);
	}
}

void mgr_spawn_event(struct mgr *m, struct svc *s)
{
	pid_t pid = s->spawn_pid;
	int r = read_spawn(m, s);
	if (r == 0 && pid == s->main_pid && s->u.type == SVC_EXEC && s->sub == SUB_START) {
		s->deadline = 0;
		set_state(m, s, ACT_ACTIVE, SUB_RUNNING);
	}
}

void mgr_status(const struct svc *s, struct ctl_status *o)
{
	memset(o, 0, sizeof(*o));
	str_copy(o->unit, sizeof(o->unit), s->name);
	str_copy(o->load, sizeof(o->load), unit_load_name(s->load));
	str_copy(o->active, sizeof(o->active), svc_active_name(s->active));
	str_copy(o->sub, sizeof(o->sub), sub_name(s->sub));
	str_copy(o->result, sizeof(o->result), result_name(s->result));
	o->pid = (uint64_t)(s->main_pid > 0 ? s->main_pid : 0);
	o->restarts = s->restarts;
	uint64_t now = mono_usec();
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
	if (s->cg_fd >= 0)
		close(s->cg_fd);
	if (s->out_r >= 0)
		close(s->out_r);
	if (s->out_w >= 0)
		close(s->out_w);
	if (s->spawn_fd >= 0)
		close(s->spawn_fd);
	ring_free(&s->log);
	unit_free(&s->u);
	free(s);
}
