/* svc_exec.c — what a unit's processes get: credentials, environment, cgroup, log pipe, the
 * fork/exec itself, and the questions "are they gone?" and "signal them all" (see svc_state.h). */
#include "init/svc_exec.h"
#include "init/svc_jobs.h"
#include "base/buf.h"
#include "base/err.h"
#include "base/fs.h"
#include "base/log.h"
#include "init/svc_spawn.h"
#include "init/svc_socket.h"
#include "init/devices.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/inotify.h>
#include <unistd.h>

#define DEFAULT_PATH "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
#define ENVFILE_MAX (1 << 20)

_Static_assert(UL_COUNT + 1 <= sizeof(((struct spawn *)0)->rlimits) / sizeof(struct spawn_rlimit), "rlimits");

void svc_fail(struct svc *s, const char *fmt, ...)
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

static void unwatch_spawn(struct jobs *m, struct svc *s)
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
int svc_read_spawn(struct jobs *m, struct svc *s)
{
	struct spawn_err se;
	if (s->spawn_fd < 0)
		return -EAGAIN;
	int r = spawn_result(s->spawn_fd, &se);
	if (r == -EAGAIN)
		return r;
	if (r == 1) {
		svc_fail(s, "process %d: failed to %s: %s", (int)s->spawn_pid, spawn_step_name(se.step), strerror(se.err));
		s->spawn_failed = s->spawn_pid;
	}
	unwatch_spawn(m, s);
	return r < 0 ? 1 : r;
}

static bool group_alive(pid_t pgid) { return kill(-pgid, 0) == 0 || errno == EPERM; }

bool svc_gone(const struct jobs *m, struct svc *s)
{
	if (s->main_pid || s->control_pid)
		return false;
	if (s->u.kill_mode >= KILL_PROCESS) /* the rest is not the unit's business any more */
		return true;
	if (m->use_cg)
		return s->cg_fd < 0 || cg_populated(s->cg_fd) <= 0;
	size_t k = 0;
	for (size_t i = 0; i < s->npgids; i++)
		if (group_alive(s->pgids[i]))
			s->pgids[k++] = s->pgids[i];
	s->npgids = k;
	return k == 0;
}

bool svc_leftovers(const struct jobs *m, const struct svc *s)
{
	if (m->use_cg) {
		int fd = openat(m->cg.slicefd, s->name, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
		int pop = fd >= 0 ? cg_populated(fd) : 0;
		if (fd >= 0)
			close(fd);
		return pop > 0;
	}
	for (size_t i = 0; i < s->npgids; i++)
		if (group_alive(s->pgids[i]))
			return true;
	return false;
}

void svc_kill(const struct jobs *m, struct svc *s, int sig)
{
	enum kill_mode km = s->u.kill_mode;
	if (km == KILL_NONE)
		return;
	bool group = km == KILL_CONTROL_GROUP || (km == KILL_MIXED && sig == SIGKILL);
	if (group && m->use_cg && s->cg_fd >= 0) {
		cg_kill(s->cg_fd, sig);
	} else if (group) {
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

int svc_run_cmd(struct jobs *m, struct svc *s, const struct unit_cmd *c, bool main)
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
	/* socket activation: the ExecStart= process gets the sockets (svc_socket.h) */
	struct sock_pass pass = {.in_fd = -1};
	if (!ret && c >= s->u.exec_start.v && c < s->u.exec_start.v + s->u.exec_start.n &&
		(ret = sock_pass(m, s, &env, &pass)) == -ENOTCONN) {
		svc_fail(s, "%s: StandardInput=socket, but no single socket was passed to the unit", c->where);
		goto out;
	}
	if (ret) {
		svc_fail(s, "%s: %s", c->where, strerror(-ret));
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
		svc_fail(s, "%s: %s", c->where, why ? why : strerror(-ret));
		goto out;
	}
	const char *path_env = uv_getenv(env.v, env.n, "PATH", 4);
	struct spawn sp = {
		.path = c->path, .argv = argv.v, .envp = env.v, .search_path = path_env ? path_env : DEFAULT_PATH,
		.set_ids = s->set_ids && !(c->flags & (CMD_PRIVILEGED | CMD_NO_SETID)), .own_dirs = s->set_ids, .uid = s->uid, .gid = s->gid, .groups = s->groups, .ngroups = s->ngroups,
		.cwd = s->cwd && s->cwd[0] == '-' ? s->cwd + 1 : s->cwd, .cwd_optional = s->cwd && s->cwd[0] == '-',
		.out_fd = s->out_w, .cgroup_fd = m->use_cg ? s->cg_fd : -1,
		.pass_fds = pass.fds, .npass = pass.n, .in_socket = pass.in_fd >= 0, .listen_pid = pass.pid_var,
		.set_oom = s->u.has_oom_score_adjust, .oom_score_adj = s->u.oom_score_adjust, .sandbox = (c->flags & CMD_PRIVILEGED) ? NULL : &s->u.sandbox, /* "+": no sandboxing (systemd.service(5)) */
	};
	svc_spawn_settings(&s->u, &sp);
	for (int i = 0; i < UL_COUNT; i++)
		if (s->u.limits[i].set)
			sp.rlimits[sp.nrlimits++] = (struct spawn_rlimit){unit_limit_resource((enum unit_rlimit)i),
				s->u.limits[i].soft, s->u.limits[i].hard};
	if (!s->u.limits[UL_NOFILE].set && m->nofile.rlim_max) /* what PID 1 had before raising its own */
		sp.rlimits[sp.nrlimits++] = (struct spawn_rlimit){RLIMIT_NOFILE,
			m->nofile.rlim_cur == RLIM_INFINITY ? UINT64_MAX : (uint64_t)m->nofile.rlim_cur,
			m->nofile.rlim_max == RLIM_INFINITY ? UINT64_MAX : (uint64_t)m->nofile.rlim_max};
	if ((ret = spawn_start(&sp, &pid, &errfd, &e))) {
		svc_fail(s, "%s: %s", c->where, e.msg);
		goto out;
	}
	sock_passed(m, s);
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

void svc_release(struct jobs *m, struct svc *s)
{
	strv_clear(&s->env);
	free(s->cwd);
	s->cwd = NULL;
	s->set_ids = false;
	free(s->groups);
	s->groups = NULL;
	s->ngroups = 0;
	unit_sandbox_cleanup(&s->u.sandbox, s->restarting);
	s->restarting = false;
	if (s->cg_fd >= 0) {
		int pop = m->use_cg ? cg_populated(s->cg_fd) : 0, ret;
		close(s->cg_fd);
		s->cg_fd = -1;
		/* with KillMode=process, what the unit left behind stays in its cgroup */
		if (pop == 0 && (ret = cg_remove(&m->cg, s->name)) && ret != -ENOENT)
			log_warn("%s: could not remove its cgroup (%s)", s->name, strerror(-ret));
	}
}

static int prepare_ids(struct jobs *m, struct svc *s, const char **home, const char **shell, struct id_user *pw,
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
	if (!s->groups && !(s->groups = malloc((IDS_GROUPS_MAX + 1) * sizeof(gid_t))))
		return kerr_set(e, -ENOMEM, "out of memory");
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

static int prepare_env(struct jobs *m, struct svc *s, const char *home, const char *shell, const char *user,
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
	if (!ret && (s->u.type == SVC_NOTIFY || s->u.watchdog_usec || s->u.notify_access > NA_NONE) &&
		!(ret = str_fmt(tmp, sizeof(tmp), "NOTIFY_SOCKET=%s", m->notify_path)))
		ret = add_env(&s->env, tmp);
	if (!ret && s->u.watchdog_usec && !(ret = str_fmt(tmp, sizeof(tmp), "WATCHDOG_USEC=%llu",
						     (unsigned long long)s->u.watchdog_usec)))
		ret = add_env(&s->env, tmp);
	if (!ret)
		ret = unit_sandbox_env(&s->u.sandbox, &s->env);
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

int svc_prepare(struct jobs *m, struct svc *s, struct kerr *e)
{
	struct id_user pw;
	const char *home, *shell;
	int ret;
	s->restarting = true; /* a run follows at once: RuntimeDirectoryPreserve=restart keeps its dirs */
	svc_release(m, s);
	if ((ret = prepare_ids(m, s, &home, &shell, &pw, e)) || (ret = prepare_env(m, s, home, shell, pw.name, e)) ||
		(ret = unit_sandbox_prepare(&s->u.sandbox, e)))
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
	const struct unit_sandbox *sb = &s->u.sandbox;
	int dp = dev_effective(sb->dev_policy, sb->dev_allow.n, sb->private_devices, sb->protect_clock);
	if (m->use_cg) {
		int fd = cg_service(&m->cg, s->name, s->u.kill_mode >= KILL_PROCESS, e);
		if (fd < 0)
			return fd;
		s->cg_fd = fd;
		if (s->u.delegate && s->set_ids && s->uid && (ret = cg_delegate(fd, s->uid, s->gid)))
			return kerr_set(e, ret, "Delegate=: chown of its cgroup: %s", strerror(-ret));
		if ((ret = cg_limits(&m->cg, fd, &s->u, e)))
			return ret;
		/* a policy PrivateDevices= implies and the kernel cannot enforce: systemd warns and runs */
		if (dp >= 0 && (ret = dev_attach(fd, (uint8_t)dp, &sb->dev_allow, e))) {
			if (sb->dev_policy || sb->dev_allow.n)
				return ret;
			log_warn("%s: PrivateDevices=: %s (the private /dev only)", s->name, e->msg);
		}
		char path[600];
		if (!str_fmt(path, sizeof(path), "%s/%s/%s/cgroup.events", m->cg.root, CG_SLICE, s->name) &&
			inotify_add_watch(m->inotify_fd, path, IN_MODIFY) < 0)
			return kerr_set(e, -errno, "inotify %s: %s", path, strerror(errno));
	}
	/* without cgroups only a policy the unit sets itself is refused: PrivateDevices='s implied one
	 * is left to its private /dev (as systemd runs a unit whose device ACL it cannot apply) */
	if (!m->use_cg && (sb->dev_policy || sb->dev_allow.n))
		return kerr_set(e, -ENOTSUP, "DevicePolicy=/DeviceAllow=: needs cgroups (the device program is attached to the service's cgroup)");
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
