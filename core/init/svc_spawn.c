/* svc_spawn.c — fork/exec of service processes (see svc_spawn.h). */
#include "init/svc_spawn.h"
#include "base/err.h"
#include "init/svc_sandbox.h"
#include "init/unit_parse.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <sched.h>
#include <signal.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

const char *spawn_step_name(int step)
{
	switch (step) {
	case STEP_CHDIR: return "chdir to WorkingDirectory";
	case STEP_NICE: return "set Nice";
	case STEP_IOPRIO: return "set the IO scheduling class";
	case STEP_SETSCHEDULER: return "set the CPU scheduling policy";
	case STEP_LIMITS: return "set its Limit*= resource limits";
	case STEP_OOM_ADJUST: return "set OOMScoreAdjust";
	case STEP_STDIO: return "set up stdin/stdout/stderr";
	case STEP_SESSION: return "start a session";
	case STEP_EXEC: return "execute";
	case STEP_GROUP: return "set groups";
	case STEP_USER: return "set user";
	case STEP_CGROUP: return "join the cgroup";
	}
	return unit_sandbox_step(step) ?: "?";
}

/* In the child: report and exit. Only async-signal-safe calls from here on. */
static void __attribute__((noreturn)) child_fail(int pipefd, int step, int err)
{
	struct spawn_err se = {step, err};
	ssize_t w = write(pipefd, &se, sizeof(se));
	(void)w;
	_exit(step);
}

static void exec_search(const struct spawn *s, int *err)
{
	char full[4096];
	if (strchr(s->path, '/')) {
		execve(s->path, s->argv, s->envp);
		*err = errno;
		return;
	}
	*err = ENOENT;
	size_t plen = strlen(s->path);
	for (const char *p = s->search_path; p && *p;) {
		const char *c = strchr(p, ':');
		size_t dl = c ? (size_t)(c - p) : strlen(p);
		if (dl && dl + 1 + plen < sizeof(full)) {
			memcpy(full, p, dl);
			full[dl] = '/';
			memcpy(full + dl + 1, s->path, plen + 1);
			execve(full, s->argv, s->envp);
			if (errno != ENOENT && errno != ENOTDIR)
				*err = errno;
		}
		p = c ? c + 1 : p + dl;
	}
}

/* A descriptor the next dup2() onto 0-2 must not clobber (or that dup2 onto itself would leave
 * close-on-exec) moves above 2 first; fds 0-2 are free only when PID 1 started without them. */
static int above_stdio(int fd)
{
	return fd >= 0 && fd < 3 ? fcntl(fd, F_DUPFD_CLOEXEC, 3) : fd;
}

void spawn_close_except(int from, const int *keep, size_t n)
{
	unsigned lo = (unsigned)from; /* the next descriptor that may have to go */
	bool ok = true;
	for (size_t i = 0; i < n && ok; i++) { /* the gaps between the kept ones */
		if (keep[i] < from || (unsigned)keep[i] < lo)
			continue;
		if ((unsigned)keep[i] > lo)
			ok = !syscall(SYS_close_range, lo, (unsigned)keep[i] - 1, 0);
		lo = (unsigned)keep[i] + 1;
	}
	if (ok && !syscall(SYS_close_range, lo, ~0U, 0))
		return;
	struct rlimit rl; /* before Linux 5.9 */
	int max = getrlimit(RLIMIT_NOFILE, &rl) || rl.rlim_cur > 65536 ? 65536 : (int)rl.rlim_cur;
	for (int fd = from; fd < max; fd++) {
		bool kept = false;
		for (size_t i = 0; i < n && !kept; i++)
			kept = keep[i] == fd;
		if (!kept)
			close(fd);
	}
}

/* Where stdout (i = 0) or stderr (i = 1) goes: StandardOutput=/StandardError=. */
static int out_target(const struct spawn *s, int i, int null, int out0, int in, int sock)
{
	const struct spawn_out *o = &s->out[i];
	int flags = O_WRONLY | O_CREAT | O_NOCTTY | O_CLOEXEC;
	switch (o->kind) {
	case OUT_JOURNAL: return s->out_fd >= 0 ? above_stdio(s->out_fd) : null;
	case OUT_INHERIT: return i ? out0 : in; /* stdout inherits stdin (/dev/null or the socket), stderr stdout */
	case OUT_SOCKET: return sock >= 0 ? sock : (errno = ENOTCONN, -1);
	case OUT_NULL: return null;
	case OUT_CONSOLE: return above_stdio(open("/dev/console", O_WRONLY | O_NOCTTY | O_CLOEXEC));
	case OUT_APPEND: flags |= O_APPEND; break;
	case OUT_TRUNCATE: flags |= O_TRUNC; break;
	default: break;
	}
	return above_stdio(open(o->path, flags, 0644));
}

/* Write v in decimal at d; returns the end. */
static char *put_uint(char *d, unsigned v)
{
	char t[12];
	int n = 0;
	do
		t[n++] = (char)('0' + v % 10);
	while ((v /= 10) && n < 11);
	while (n)
		*d++ = t[--n];
	return d;
}

static void __attribute__((noreturn)) child(const struct spawn *s, int pipefd)
{
	sigset_t all;
	int err, step, high[SPAWN_PASS_MAX];
	size_t np = s->npass < SPAWN_PASS_MAX ? s->npass : SPAWN_PASS_MAX;
	int first = 3 + (int)np; /* 0-2 and the passed descriptors at 3… stay; the rest is closed */
	/* everything we keep moves above the slots the passed descriptors go to */
	if ((pipefd = fcntl(pipefd, F_DUPFD_CLOEXEC, first)) < 0)
		_exit(STEP_STDIO);
	for (size_t i = 0; i < np; i++)
		if ((high[i] = fcntl(s->pass_fds[i], F_DUPFD_CLOEXEC, first)) < 0)
			child_fail(pipefd, STEP_STDIO, errno);
	if (s->listen_pid) /* "LISTEN_PID=" then our own PID (sd_listen_fds(3) checks it) */
		*put_uint(s->listen_pid + 11, (unsigned)getpid()) = 0;
	for (int sig = 1; sig < 65; sig++)
		if (sig != SIGKILL && sig != SIGSTOP)
			signal(sig, SIG_DFL);
	if (s->ignore_sigpipe)
		signal(SIGPIPE, SIG_IGN);
	sigfillset(&all);
	sigprocmask(SIG_UNBLOCK, &all, NULL);
	if (s->cgroup_fd >= 0) {
		int fd = openat(s->cgroup_fd, "cgroup.procs", O_WRONLY | O_CLOEXEC);
		if (fd < 0 || write(fd, "0\n", 2) != 2)
			child_fail(pipefd, STEP_CGROUP, errno);
		close(fd);
	}
	if (setsid() < 0)
		child_fail(pipefd, STEP_SESSION, errno);
	int null = above_stdio(open("/dev/null", O_RDWR | O_CLOEXEC)), sock = np ? high[0] : -1;
	int in = s->in_socket && np ? sock : null;
	int out = null < 0 ? -1 : out_target(s, 0, null, -1, in, sock);
	int errout = out < 0 ? -1 : out_target(s, 1, null, out, in, sock);
	if (errout < 0 || dup2(in, 0) < 0 || dup2(out, 1) < 0 || dup2(errout, 2) < 0)
		child_fail(pipefd, STEP_STDIO, errno);
	for (size_t i = 0; i < np; i++) /* dup2 leaves the copy without close-on-exec */
		if (dup2(high[i], 3 + (int)i) < 0)
			child_fail(pipefd, STEP_STDIO, errno);
	/* PID 1 opens all of its own close-on-exec; this is for one inherited without it (from
	 * whoever started the supervisor) or a slip in PID 1: none may reach a service */
	spawn_close_except(first, &pipefd, 1);
	for (size_t i = 0; i < s->nrlimits; i++) {
		const struct spawn_rlimit *l = &s->rlimits[i];
		struct rlimit rl = {l->soft == UINT64_MAX ? RLIM_INFINITY : (rlim_t)l->soft,
			l->hard == UINT64_MAX ? RLIM_INFINITY : (rlim_t)l->hard};
		/* as systemd (setrlimit_closest()): a limit above what the kernel allows —
		 * LimitNOFILE=infinity beyond fs.nr_open — becomes the highest allowed */
		struct rlimit hi;
		if (setrlimit(l->resource, &rl) && (errno != EPERM || getrlimit(l->resource, &hi) ||
			hi.rlim_max == RLIM_INFINITY ||
			setrlimit(l->resource, &(struct rlimit){rl.rlim_cur < hi.rlim_max ? rl.rlim_cur : hi.rlim_max,
				rl.rlim_max < hi.rlim_max ? rl.rlim_max : hi.rlim_max})))
			child_fail(pipefd, STEP_LIMITS, errno == EPERM || !errno ? EPERM : errno);
	}
	if (s->set_oom) { /* before dropping privileges: lowering it needs CAP_SYS_RESOURCE */
		char v[16];
		v[0] = '-';
		int x = s->oom_score_adj < 0 ? -s->oom_score_adj : s->oom_score_adj;
		int n = (int)(put_uint(v + (s->oom_score_adj < 0), (unsigned)x) - v);
		int fd = open("/proc/self/oom_score_adj", O_WRONLY | O_CLOEXEC);
		if (fd < 0 || write(fd, v, (size_t)n) != n)
			child_fail(pipefd, STEP_OOM_ADJUST, errno);
		close(fd);
	}
	if (s->set_nice && setpriority(PRIO_PROCESS, 0, s->nice))
		child_fail(pipefd, STEP_NICE, errno);
	if (s->ioprio > 0 && syscall(SYS_ioprio_set, 1 /* IOPRIO_WHO_PROCESS */, 0, s->ioprio))
		child_fail(pipefd, STEP_IOPRIO, errno);
	if (s->set_sched) {
		struct sched_param sp = {.sched_priority = s->sched_prio};
		if (sched_setscheduler(0, s->sched_policy | (s->sched_reset_on_fork ? 0x40000000 /* SCHED_RESET_ON_FORK */ : 0), &sp))
			child_fail(pipefd, STEP_SETSCHEDULER, errno);
	}
	if (s->sandbox && (err = unit_sandbox_apply(s->sandbox, SB_PHASE_ROOT, s->set_ids || s->own_dirs ? s->uid : 0,
		s->set_ids || s->own_dirs ? s->gid : 0, &step)))
		child_fail(pipefd, step, -err);
	if (s->set_ids) {
		if (setgroups(s->ngroups, s->groups) || setresgid(s->gid, s->gid, s->gid))
			child_fail(pipefd, STEP_GROUP, errno);
		if (setresuid(s->uid, s->uid, s->uid))
			child_fail(pipefd, STEP_USER, errno);
	}
	if (chdir(s->cwd ? s->cwd : "/") && !s->cwd_optional)
		child_fail(pipefd, STEP_CHDIR, errno);
	if (s->sandbox && (err = unit_sandbox_apply(s->sandbox, SB_PHASE_EXEC, s->uid, s->gid, &step)))
		child_fail(pipefd, step, -err);
	exec_search(s, &err);
	child_fail(pipefd, STEP_EXEC, err);
}

int spawn_start(const struct spawn *s, pid_t *pid, int *errfd, struct kerr *e)
{
	int p[2];
	if (pipe2(p, O_CLOEXEC))
		return kerr_set(e, -errno, "pipe: %s", strerror(errno));
	pid_t c = fork();
	if (c < 0) {
		int err = errno;
		close(p[0]);
		close(p[1]);
		return kerr_set(e, -err, "fork: %s", strerror(err));
	}
	if (c == 0)
		child(s, p[1]);
	close(p[1]);
	fcntl(p[0], F_SETFL, O_NONBLOCK);
	*pid = c;
	*errfd = p[0];
	return 0;
}

int spawn_result(int errfd, struct spawn_err *err)
{
	ssize_t r = read(errfd, err, sizeof(*err));
	if (r < 0)
		return errno == EAGAIN || errno == EINTR ? -EAGAIN : -errno;
	if (r == 0)
		return 0;
	if (r != (ssize_t)sizeof(*err)) {
		err->step = STEP_EXEC;
		err->err = EIO;
	}
	return 1;
}

void svc_spawn_settings(const struct unit *u, struct spawn *sp)
{
	sp->out[0] = (struct spawn_out){u->std_out, u->out_path};
	sp->out[1] = (struct spawn_out){u->std_err, u->err_path};
	sp->set_nice = u->has_nice;
	sp->nice = u->nice;
	sp->ioprio = u->io_class || u->io_prio >= 0 ?
		(u->io_class ? u->io_class : 2) << 13 | (u->io_class == 3 ? 0 : u->io_prio >= 0 ? u->io_prio : 4) : 0;
	sp->set_sched = u->cpu_policy >= 0;
	sp->sched_policy = u->cpu_policy;
	sp->sched_prio = u->cpu_prio >= 0 ? u->cpu_prio : u->cpu_policy == SCHED_FIFO || u->cpu_policy == SCHED_RR;
	sp->sched_reset_on_fork = u->cpu_reset_on_fork;
	sp->ignore_sigpipe = u->ignore_sigpipe;
}
