/* svc_loop.c — the event loop and the control socket server (see svc_loop.h, ctl.h). */
#include "init/svc_loop.h"
#include "base/buf.h"
#include "init/ctl.h"
#include "base/err.h"
#include "init/fdsink.h"
#include "init/health.h"
#include "base/log.h"
#include "init/notify.h"
#include "init/devlog.h"
#include "init/svc_jobs.h"
#include "init/svc_socket.h"
#include "init/svc_timer.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#define SHUTDOWN_MAX_DEFAULT 300000000ULL
#define ACCEPT_PAUSE_USEC 200000 /* out of descriptors (or memory): stop accepting this long */
#define NOTIFY_PAUSE_USEC 100000 /* the descriptor sink is full: stop reading notify this long */

struct conn {
	struct watch w;
	int fd;
	char in[CTL_REQ_MAX];
	size_t inlen;
	struct buf out;
	size_t off;
	uint64_t deadline;
	struct svc *wait;  /* answering when this job is done */
	uint64_t wait_id;
	bool replying;
	bool refused;      /* not root: never read; answered with an error once its request is sent */
	bool dead;         /* closed; freed after the current batch of events */
};

struct loop {
	struct jobs m;
	int epfd, sigfd, ctlfd, notifyfd, syslogfd;
	struct watch w_sig, w_ctl, w_notify, w_inotify, w_syslog;
	struct conn *conns[SVC_LOOP_CONNS_MAX];
	uint64_t accept_resume; /* the control socket is unwatched until then (0: watched) */
	bool accept_failing;    /* said so in the log already */
	uint64_t notify_resume; /* the notify socket is unwatched until then (0: watched) */
	struct svc *goal;
	uint64_t goal_id, boot_start, since, shutdown_span, shutdown_deadline;
	bool goal_reported;
	enum svc_loop_end end; /* requested; 0: none */
	struct health *health;
};

static int watch_fd(struct loop *l, int fd, uint32_t events, struct watch *w)
{
	struct epoll_event ev = {.events = events, .data.ptr = w};
	return epoll_ctl(l->epfd, EPOLL_CTL_ADD, fd, &ev) ? -errno : 0;
}

/* ---- control connections ----------------------------------------------------------------------- */

/* A peer that is not root is never read: what it queued may hold descriptors, and its socket
 * goes the way of those (fdsink.h). A root client's is closed here. */
static void conn_release(struct loop *l, int fd, bool refused)
{
	if (refused)
		fdsink_put(&l->m.sink, &fd, 1);
	else
		close(fd);
}

static void conn_close(struct loop *l, struct conn *c)
{
	if (c->dead)
		return;
	epoll_ctl(l->epfd, EPOLL_CTL_DEL, c->fd, NULL);
	conn_release(l, c->fd, c->refused);
	c->fd = -1;
	c->dead = true;
	buf_free(&c->out);
}

static void conns_sweep(struct loop *l)
{
	for (int i = 0; i < SVC_LOOP_CONNS_MAX; i++)
		if (l->conns[i] && l->conns[i]->dead) {
			free(l->conns[i]);
			l->conns[i] = NULL;
		}
}

/* Write what we can; close when done. */
static void conn_flush(struct loop *l, struct conn *c)
{
	while (c->off < c->out.len) {
		ssize_t w = send(c->fd, c->out.p + c->off, c->out.len - c->off, MSG_NOSIGNAL | MSG_DONTWAIT);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0 && errno == EAGAIN) {
			struct epoll_event ev = {.events = EPOLLOUT, .data.ptr = &c->w};
			epoll_ctl(l->epfd, EPOLL_CTL_MOD, c->fd, &ev);
			c->deadline = mono_us() + SVC_LOOP_CONN_TIMEOUT_USEC;
			return;
		}
		if (w <= 0)
			break;
		c->off += (size_t)w;
	}
	conn_close(l, c);
}

static void reply(struct loop *l, struct conn *c, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void reply(struct loop *l, struct conn *c, const char *fmt, ...)
{
	struct kerr e;
	va_list ap;
	va_start(ap, fmt);
	kerr_vset(&e, 0, fmt, ap); /* one line, bounded */
	va_end(ap);
	buf_reset(&c->out);
	if (buf_puts(&c->out, e.msg) || buf_putc(&c->out, '\n')) {
		conn_close(l, c);
		return;
	}
	c->replying = true;
	c->wait = NULL;
	conn_flush(l, c);
}

static void job_reply(struct loop *l, struct conn *c, bool ok)
{
	struct svc *s = c->wait;
	if (ok)
		reply(l, c, "OK");
	else
		reply(l, c, "ERR %s: job failed (%s%s%s)", s->name, svc_active_name(s->active), s->error[0] ? ": " : "", s->error);
}

static void handle_request(struct loop *l, struct conn *c, const struct ctl_req *r)
{
	struct kerr e = {0};
	struct svc *s = NULL;
	if (r->unit[0] && !(s = jobs_get(&l->m, r->unit, &e))) {
		reply(l, c, "ERR %s", e.msg);
		return;
	}
	log_info("control: %s %s", ctl_verb_name(r->verb), r->unit);
	switch (r->verb) {
	case CTL_TIMERS: /* svc_timer.h */
	case CTL_STATUS: {
		struct ctl_status st;
		buf_reset(&c->out);
		int ret = buf_puts(&c->out, "OK\n");
		if (r->verb == CTL_TIMERS && !ret)
			ret = svc_timers_list(&l->m, &c->out, s);
		for (size_t i = 0; i < l->m.n && !ret && r->verb == CTL_STATUS; i++) {
			if (s && l->m.v[i] != s)
				continue;
			svc_status(l->m.v[i], &st);
			ret = ctl_format_status(&c->out, &st);
		}
		if (ret) {
			reply(l, c, "ERR status: %s", strerror(-ret));
			return;
		}
		c->replying = true;
		conn_flush(l, c);
		return;
	}
	case CTL_SOCKETS: /* list-sockets (svc_socket.h) */
	case CTL_LOG:
		buf_reset(&c->out);
		if (buf_puts(&c->out, "OK\n") ||
			(r->verb == CTL_LOG ? log_ring_copy(&s->log, &c->out) : sock_list(&l->m, &c->out))) {
			reply(l, c, "ERR %s: out of memory", ctl_verb_name(r->verb));
			return;
		}
		c->replying = true;
		conn_flush(l, c);
		return;
	case CTL_START:
	case CTL_STOP:
	case CTL_RESTART:
	case CTL_RELOAD: {
		enum job_type t = r->verb == CTL_START ? JOB_START : r->verb == CTL_STOP ? JOB_STOP :
			r->verb == CTL_RELOAD ? JOB_RELOAD : JOB_RESTART;
		if ((t != JOB_STOP) && s->load != LOAD_LOADED) {
			reply(l, c, "ERR %s: %s", s->name, s->error[0] ? s->error : unit_load_name(s->load));
			return;
		}
		int ret = jobs_enqueue(&l->m, s, t, true, &c->wait_id);
		if (ret) {
			reply(l, c, "ERR %s: %s", s->name, ret == -ESHUTDOWN ? "the system is shutting down" :
				ret == -EPERM ? "operation refused: the unit may not be started or stopped by hand "
						"(RefuseManualStart=/RefuseManualStop=)" :
				ret == -EOPNOTSUPP ? "reload is not applicable: the unit has no ExecReload=" :
				ret == -ESRCH ? "the unit is not active, cannot reload" :
				ret == -EBUSY ? "another job of the unit is running" : strerror(-ret));
			return;
		}
		c->wait = s;
		c->deadline = 0; /* a job may take as long as its unit's timeouts allow */
		/* only EPOLLHUP/EPOLLERR from now on: the client closed its side for writing already */
		epoll_ctl(l->epfd, EPOLL_CTL_MOD, c->fd, &(struct epoll_event){.events = 0, .data.ptr = &c->w});
		return;
	}
	case CTL_POWEROFF:
	case CTL_REBOOT:
		if (!l->end)
			l->end = r->verb == CTL_POWEROFF ? SVC_LOOP_POWEROFF : SVC_LOOP_REBOOT;
		reply(l, c, "OK");
		return;
	}
}

static void conn_read(struct loop *l, struct conn *c)
{
	for (;;) {
		if (c->inlen == sizeof(c->in)) {
			reply(l, c, "ERR request longer than %d bytes", CTL_REQ_MAX);
			return;
		}
		ssize_t n = read(c->fd, c->in + c->inlen, sizeof(c->in) - c->inlen);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN)
			return;
		if (n <= 0) { /* EOF before a whole line, or an error */
			if (n == 0 && c->inlen)
				reply(l, c, "ERR incomplete request");
			else
				conn_close(l, c);
			return;
		}
		c->inlen += (size_t)n;
		char *nl = memchr(c->in, '\n', c->inlen);
		if (!nl)
			continue;
		struct ctl_req r;
		const char *why = NULL;
		if ((size_t)(nl - c->in) + 1 != c->inlen || ctl_parse_request(c->in, c->inlen, &r, &why)) {
			reply(l, c, "ERR %s", why ? why : "one request per connection");
			return;
		}
		handle_request(l, c, &r);
		return;
	}
}

/* The listening socket stays readable while a connection waits in its backlog: when accept
 * cannot take it (EMFILE, ENFILE, ENOBUFS, ENOMEM) epoll would wake us at once, forever. Stop
 * watching it for a while instead; timeout_ms() and svc_loop_run() bring it back. */
static void accept_pause(struct loop *l, int err)
{
	if (!l->accept_failing)
		log_warn("control: cannot accept a connection (%s); retrying every %d ms", strerror(err), ACCEPT_PAUSE_USEC / 1000);
	l->accept_failing = true;
	epoll_ctl(l->epfd, EPOLL_CTL_MOD, l->ctlfd, &(struct epoll_event){.events = 0, .data.ptr = &l->w_ctl});
	l->accept_resume = mono_us() + ACCEPT_PAUSE_USEC;
}

static void accept_resume(struct loop *l, uint64_t now)
{
	if (!l->accept_resume || now < l->accept_resume)
		return;
	l->accept_resume = 0;
	epoll_ctl(l->epfd, EPOLL_CTL_MOD, l->ctlfd, &(struct epoll_event){.events = EPOLLIN, .data.ptr = &l->w_ctl});
}

static void conn_accept(struct loop *l)
{
	for (int n = 0; n < 64; n++) { /* bounded per wakeup, like notify and logs (level-triggered) */
		int fd = accept4(l->ctlfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd < 0 && (errno == EINTR || errno == ECONNABORTED))
			continue;
		if (fd < 0 && errno != EAGAIN)
			accept_pause(l, errno);
		if (fd < 0)
			return;
		l->accept_failing = false;
		struct ucred cred = {.uid = (uid_t)-1};
		socklen_t len = sizeof(cred);
		int slot = -1;
		for (int i = 0; i < SVC_LOOP_CONNS_MAX && slot < 0; i++)
			if (!l->conns[i])
				slot = i;
		bool refused = getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) || cred.uid != geteuid();
		if (refused)
			log_warn("control: refusing a connection from uid %d", (int)cred.uid);
		struct conn *c = slot >= 0 ? calloc(1, sizeof(*c)) : NULL;
		if (!c) {
			static const char msg[] = "ERR busy\n";
			send(fd, msg, sizeof(msg) - 1, MSG_NOSIGNAL | MSG_DONTWAIT);
			conn_release(l, fd, refused);
			continue;
		}
		c->fd = fd;
		c->refused = refused;
		c->w = (struct watch){W_CONN, c};
		buf_init(&c->out, CTL_REPLY_MAX);
		c->deadline = mono_us() + SVC_LOOP_CONN_TIMEOUT_USEC;
		l->conns[slot] = c;
		/* a peer that is not root is never read (a read would release what descriptors it
		 * queued right here): it is answered once it has shut down its side */
		if (watch_fd(l, fd, refused ? EPOLLRDHUP : EPOLLIN, &c->w)) {
			l->conns[slot] = NULL;
			conn_release(l, fd, refused);
			buf_free(&c->out);
			free(c);
		}
	}
}

static void conn_event(struct loop *l, struct conn *c, uint32_t ev)
{
	if (c->dead)
		return;
	if (c->refused && !c->replying) {
		reply(l, c, "ERR permission denied (root only)");
	} else if (c->replying) {
		if (ev & (EPOLLERR | EPOLLHUP))
			conn_close(l, c);
		else
			conn_flush(l, c);
	} else if (c->wait) {
		if (ev & (EPOLLHUP | EPOLLERR)) /* the client went away; the job goes on */
			conn_close(l, c);
	} else {
		conn_read(l, c);
	}
}

/* ---- setup --------------------------------------------------------------------------------------- */

/* The control socket: 0600 from the moment it exists (umask 077 around bind), in a directory of
 * ours that nobody else may write (made 0755 if missing: the notify socket beside it must be
 * reachable by service users). The peer's uid is checked again on every connection. */
static int ctl_listen(const char *path, struct kerr *e)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	char dir[sizeof(sa.sun_path)];
	struct stat st;
	int fd, ret;
	if (str_copy(sa.sun_path, sizeof(sa.sun_path), path) || path[0] != '/')
		return kerr_set(e, -EINVAL, "control socket %.200s: not an absolute path that fits", path);
	str_copy(dir, sizeof(dir), path);
	*strrchr(dir, '/') = 0;
	if (dir[0] && mkdir(dir, 0755) && errno != EEXIST)
		return kerr_set(e, -errno, "%s: %s", dir, strerror(errno));
	if (dir[0] && (lstat(dir, &st) || !S_ISDIR(st.st_mode) || st.st_uid != geteuid() || (st.st_mode & 022)))
		return kerr_set(e, -EPERM, "%s: not a directory of ours that only we may write", dir);
	if (unlink(path) && errno != ENOENT)
		return kerr_set(e, -errno, "%s: %s", path, strerror(errno));
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0)) < 0)
		return kerr_set(e, -errno, "socket: %s", strerror(errno));
	mode_t old = umask(077);
	ret = bind(fd, (struct sockaddr *)&sa, sizeof(sa));
	umask(old);
	if (ret || chmod(path, 0600) || listen(fd, 16)) {
		ret = kerr_set(e, -errno, "control socket %s: %s", path, strerror(errno));
		close(fd);
		return ret;
	}
	return fd;
}

/* Room for every descriptor a notify message can carry, whatever PID 1 holds itself: one that
 * cannot be installed is released by the kernel right in recvmsg(), and that last close may
 * block (fdsink.h). PID 1 raises its own limit as far as the kernel allows (fs.nr_open, at most
 * 2^20; as an unprivileged test supervisor: to its hard limit); *old gets what it had, which
 * services start with (select() breaks on descriptors above 1023). */
static void raise_nofile(struct rlimit *old)
{
	char buf[32] = "";
	uint64_t max = 0;
	struct rlimit rl;
	if (getrlimit(RLIMIT_NOFILE, old))
		return;
	int fd = open("/proc/sys/fs/nr_open", O_RDONLY | O_CLOEXEC);
	ssize_t n = fd >= 0 ? read(fd, buf, sizeof(buf) - 1) : -1;
	if (fd >= 0)
		close(fd);
	if (n > 0 && buf[n - 1] == '\n')
		buf[n - 1] = 0;
	if (n > 0 && !parse_u64(buf, 1, UINT64_MAX, &max) && max > (1u << 20))
		max = 1u << 20;
	rl.rlim_cur = rl.rlim_max = (rlim_t)max;
	if (rl.rlim_max > old->rlim_max && !setrlimit(RLIMIT_NOFILE, &rl))
		return;
	rl.rlim_cur = rl.rlim_max = old->rlim_max;
	if (setrlimit(RLIMIT_NOFILE, &rl))
		log_warn("RLIMIT_NOFILE: %s", strerror(errno));
}

static int loop_init(struct loop *l, const struct svc_loop_opts *o, struct kerr *e)
{
	sigset_t set;
	int ret;
	sigemptyset(&set);
	sigaddset(&set, SIGCHLD);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	sigaddset(&set, SIGPWR);
	sigaddset(&set, SIGUSR1);
	sigaddset(&set, SIGUSR2);
	if (sigprocmask(SIG_BLOCK, &set, NULL))
		return kerr_set(e, -errno, "sigprocmask: %s", strerror(errno));
	signal(SIGPIPE, SIG_IGN);
	if ((l->sigfd = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC)) < 0)
		return kerr_set(e, -errno, "signalfd: %s", strerror(errno));
	if ((l->epfd = epoll_create1(EPOLL_CLOEXEC)) < 0)
		return kerr_set(e, -errno, "epoll: %s", strerror(errno));
	struct jobs_opts mo = {o->root, o->notify_path, o->cgroups, o->cgroup_path, o->log_max, {0, 0}};
	raise_nofile(&mo.nofile);
	if ((ret = jobs_init(&l->m, &mo, l->epfd, e)))
		return ret;
	if ((l->ctlfd = ctl_listen(o->ctl_path, e)) < 0)
		return l->ctlfd;
	if ((l->notifyfd = notify_bind(o->notify_path, e)) < 0)
		return l->notifyfd;
	l->w_sig = (struct watch){W_SIGNAL, NULL};
	l->w_ctl = (struct watch){W_CTL, NULL};
	l->w_notify = (struct watch){W_NOTIFY, NULL};
	l->w_inotify = (struct watch){W_INOTIFY, NULL};
	l->w_syslog = (struct watch){W_SYSLOG, NULL};
	if (o->syslog_path) {
		if ((l->syslogfd = notify_bind(o->syslog_path, e)) < 0)
			return l->syslogfd;
		if ((ret = watch_fd(l, l->syslogfd, EPOLLIN, &l->w_syslog)))
			return kerr_set(e, ret, "epoll: %s", strerror(-ret));
		if (o->syslog_link && ((unlink(o->syslog_link) && errno != ENOENT) || symlink(o->syslog_path, o->syslog_link)))
			log_warn("%s: %s", o->syslog_link, strerror(errno));
	}
	if ((ret = watch_fd(l, l->sigfd, EPOLLIN, &l->w_sig)) || (ret = watch_fd(l, l->ctlfd, EPOLLIN, &l->w_ctl)) ||
		(ret = watch_fd(l, l->notifyfd, EPOLLIN, &l->w_notify)) ||
		(l->m.inotify_fd >= 0 && (ret = watch_fd(l, l->m.inotify_fd, EPOLLIN, &l->w_inotify))))
		return kerr_set(e, ret, "epoll: %s", strerror(-ret));
	return 0;
}

static void loop_free(struct loop *l)
{
	for (int i = 0; i < SVC_LOOP_CONNS_MAX; i++)
		if (l->conns[i])
			conn_close(l, l->conns[i]);
	conns_sweep(l);
	/* the sockets clients write to go the way of their descriptors (the notify socket may hold
	 * messages with some); what the sink cannot take now stays open until the machine goes down */
	int socks[] = {l->ctlfd, l->notifyfd, l->syslogfd};
	fdsink_put(&l->m.sink, socks, 2 + (l->syslogfd >= 0));
	fdsink_flush(&l->m.sink);
	jobs_free(&l->m);
	int fds[] = {l->sigfd, l->epfd};
	for (size_t i = 0; i < sizeof(fds) / sizeof(fds[0]); i++)
		if (fds[i] >= 0)
			close(fds[i]);
}

/* ---- the loop ------------------------------------------------------------------------------------ */

static void on_signals(struct loop *l)
{
	struct signalfd_siginfo si;
	while (read(l->sigfd, &si, sizeof(si)) == (ssize_t)sizeof(si)) {
		switch (si.ssi_signo) {
		case SIGCHLD:
			break; /* reaped below, once for the whole batch */
		case SIGTERM:
		case SIGPWR:
			log_notice("signal %d: power off", (int)si.ssi_signo);
			if (!l->end)
				l->end = SVC_LOOP_POWEROFF;
			break;
		case SIGINT:
			log_notice("ctrl-alt-del: reboot");
			if (!l->end)
				l->end = SVC_LOOP_REBOOT;
			break;
		default:
			log_info("signal %d ignored", (int)si.ssi_signo);
		}
	}
	jobs_reap(&l->m);
}

/* The descriptor sink is full (its children stuck, or fork failing): stop reading notify for a
 * while — each message may bring descriptors — instead of holding more; notify_check() resumes. */
static void notify_pause(struct loop *l)
{
	if (!l->notify_resume)
		log_warn("notify: descriptors from clients are not being closed fast enough; pausing notify");
	epoll_ctl(l->epfd, EPOLL_CTL_MOD, l->notifyfd, &(struct epoll_event){.events = 0, .data.ptr = &l->w_notify});
	if (l->syslogfd >= 0)
		epoll_ctl(l->epfd, EPOLL_CTL_MOD, l->syslogfd, &(struct epoll_event){.events = 0, .data.ptr = &l->w_syslog});
	l->notify_resume = mono_us() + NOTIFY_PAUSE_USEC;
}

static void notify_check(struct loop *l, uint64_t now)
{
	if (!l->notify_resume || now < l->notify_resume)
		return;
	if (fdsink_busy(&l->m.sink)) {
		l->notify_resume = now + NOTIFY_PAUSE_USEC;
		return;
	}
	l->notify_resume = 0;
	epoll_ctl(l->epfd, EPOLL_CTL_MOD, l->notifyfd, &(struct epoll_event){.events = EPOLLIN, .data.ptr = &l->w_notify});
	if (l->syslogfd >= 0)
		epoll_ctl(l->epfd, EPOLL_CTL_MOD, l->syslogfd, &(struct epoll_event){.events = EPOLLIN, .data.ptr = &l->w_syslog});
}

/* Datagrams on the syslog socket: into the sender's unit log (devlog.h); paused with notify when
 * the descriptor sink is full. */
static void on_syslog(struct loop *l)
{
	for (int i = 0; i < 64; i++) {
		char data[DEVLOG_MSG_MAX], line[DEVLOG_LINE_MAX];
		struct notify_msg msg;
		size_t n;
		int level;
		if (fdsink_busy(&l->m.sink)) {
			notify_pause(l);
			return;
		}
		int r = notify_recv_raw(l->syslogfd, data, sizeof(data), &n, &msg);
		if (r == 0 && (n = devlog_line(data, n, line, sizeof(line), &level)))
			jobs_syslog(&l->m, msg.pid, level, line, n);
		fdsink_put(&l->m.sink, msg.fds, (size_t)msg.nfds);
		if (r && r != -EINVAL)
			return;
	}
}

static void on_notify(struct loop *l)
{
	for (int i = 0; i < 64; i++) {
		struct notify_msg msg;
		if (fdsink_busy(&l->m.sink)) {
			notify_pause(l);
			return;
		}
		int r = notify_recv(l->notifyfd, &msg);
		if (r == 0)
			jobs_notify(&l->m, &msg);
		else if (r == -EINVAL)
			log_info("notify: malformed message dropped");
		/* after processing: closing them is what releases a sender waiting on the barrier */
		fdsink_put(&l->m.sink, msg.fds, (size_t)msg.nfds);
		if (r && r != -EINVAL)
			return;
	}
}

static void after_events(struct loop *l)
{
	jobs_timers(&l->m);
	jobs_dispatch(&l->m);
	if (l->m.changed) {
		l->m.changed = false;
		for (int i = 0; i < SVC_LOOP_CONNS_MAX; i++) {
			struct conn *c = l->conns[i];
			bool ok;
			if (c && !c->dead && c->wait && jobs_done(c->wait, c->wait_id, &ok))
				job_reply(l, c, ok);
		}
	}
	sock_sweep(&l->m); /* after the replies: it may forget ended instance units */
	bool ok;
	if (!l->goal_reported && l->goal && jobs_done(l->goal, l->goal_id, &ok)) {
		l->goal_reported = true;
		/* to the goal's active record (boot-units): the end keel diag boot's userspace has */
		uint64_t ms = ((ok && l->goal->active_since ? l->goal->active_since : mono_us()) - l->since) / 1000;
		if (ok)
			log_notice("startup finished: %s reached in %llu ms", l->goal->name, (unsigned long long)ms);
		else if (l->m.shutting_down)
			log_notice("startup of %s cut short by the shutdown after %llu ms", l->goal->name, (unsigned long long)ms);
		else
			log_err("startup: %s failed after %llu ms (%s)", l->goal->name, (unsigned long long)ms, l->goal->error);
	}
	if (l->health && !l->m.shutting_down && health_step(l->health, &l->m, l->goal, l->goal_id, mono_us()) && !l->end)
		l->end = SVC_LOOP_REBOOT;
	if (l->end && !l->m.shutting_down) {
		if (l->health)
			health_stop(l->health);
		jobs_shutdown(&l->m);
		l->shutdown_deadline = mono_us() + l->shutdown_span;
		jobs_dispatch(&l->m);
	}
}

static int timeout_ms(struct loop *l)
{
	uint64_t next = jobs_next_deadline(&l->m), now = mono_us();
	for (int i = 0; i < SVC_LOOP_CONNS_MAX; i++)
		if (l->conns[i] && !l->conns[i]->dead && l->conns[i]->deadline && (!next || l->conns[i]->deadline < next))
			next = l->conns[i]->deadline;
	if (l->m.shutting_down && (!next || l->shutdown_deadline < next))
		next = l->shutdown_deadline;
	if (l->accept_resume && (!next || l->accept_resume < next))
		next = l->accept_resume;
	if (l->notify_resume && (!next || l->notify_resume < next))
		next = l->notify_resume;
	uint64_t h = l->health && !l->m.shutting_down ? health_next(l->health) : 0;
	if (h && (!next || h < next))
		next = h;
	if (!next)
		return -1;
	if (next <= now)
		return 0;
	uint64_t ms = (next - now + 999) / 1000;
	return ms > 3600000 ? 3600000 : (int)ms;
}

int svc_loop_run(const struct svc_loop_opts *o, enum svc_loop_end *end, struct kerr *e)
{
	struct loop l;
	memset(&l, 0, sizeof(l));
	l.sigfd = l.ctlfd = l.notifyfd = l.syslogfd = l.epfd = -1;
	l.boot_start = mono_us();
	l.since = o->since && o->since <= l.boot_start ? o->since : l.boot_start;
	int ret = loop_init(&l, o, e);
	if (ret)
		goto out;
	l.shutdown_span = o->shutdown_max_usec ? o->shutdown_max_usec : SHUTDOWN_MAX_DEFAULT;
	struct kerr ge = {0};
	if (!(l.goal = jobs_get(&l.m, o->goal, &ge))) {
		ret = kerr_set(e, ge.code ? ge.code : -EINVAL, "%s", ge.msg);
		goto out;
	}
	if (jobs_enqueue(&l.m, l.goal, JOB_START, false, &l.goal_id))
		l.goal = NULL;
	if ((l.health = o->health)) {
		l.m.reaped = health_reaped;
		l.m.reaped_ctx = l.health;
		health_begin(l.health, l.boot_start);
	}
	log_notice("starting %s", o->goal);
	jobs_reap(&l.m); /* children stage 1 left (their SIGCHLD came before our signalfd) */
	after_events(&l);
	conns_sweep(&l);
	fdsink_flush(&l.m.sink);
	for (;;) {
		struct epoll_event evs[32];
		int n = epoll_wait(l.epfd, evs, 32, timeout_ms(&l));
		if (n < 0 && errno != EINTR) {
			log_err("epoll_wait: %s", strerror(errno));
			n = 0;
		}
		for (int i = 0; i < n; i++) {
			struct watch *w = evs[i].data.ptr;
			switch (w->kind) {
			case W_SIGNAL: on_signals(&l); break;
			case W_CTL: conn_accept(&l); break;
			case W_NOTIFY: on_notify(&l); break;
			case W_SYSLOG: on_syslog(&l); break;
			case W_INOTIFY: jobs_cgroup_event(&l.m); break;
			case W_CONN: conn_event(&l, w->obj, evs[i].events); break;
			case W_OUT: svc_output(&l.m, w->obj); break;
			case W_SPAWN: svc_spawn_event(&l.m, w->obj); break;
			case W_CLOCK: svc_timers_clock(&l.m); break;
			case W_SOCKET: sock_event(&l.m, w->obj); break;
			}
		}
		uint64_t now = mono_us();
		for (int i = 0; i < SVC_LOOP_CONNS_MAX; i++)
			if (l.conns[i] && l.conns[i]->deadline && l.conns[i]->deadline <= now)
				conn_close(&l, l.conns[i]);
		accept_resume(&l, now);
		notify_check(&l, now);
		after_events(&l);
		conns_sweep(&l);
		fdsink_flush(&l.m.sink);
		if (l.m.shutting_down && (jobs_stopped(&l.m) || mono_us() >= l.shutdown_deadline)) {
			if (!jobs_stopped(&l.m))
				log_err("units still running after the shutdown time limit; going down anyway");
			break;
		}
	}
	*end = l.end;
	log_notice("all units stopped: %s", l.end == SVC_LOOP_REBOOT ? "reboot" : "power off");
	ret = 0;
out:
	loop_free(&l);
	return ret;
}
