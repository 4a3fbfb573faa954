/* svc_socket.c — socket units at run time (see svc_socket.h). */
#include "init/svc_socket.h"
#include "init/socket_parse.h"
#include "init/svc_exec.h"
#include "init/svc_jobs.h"
#include "base/buf.h"
#include "base/err.h"
#include "base/fs.h"
#include "base/log.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

struct sock_fd {
	struct watch w;
	struct svc *s;
	int fd;
	bool unix_; /* AF_UNIX: what peers queued in it may hold descriptors (fdsink.h) */
};

struct sock_conn {
	struct svc *inst;
	int fd;            /* PID 1's copy until the instance's process has it; -1 after */
	uint8_t family;
	uint8_t src[16];   /* the peer's address (MaxConnectionsPerSource=) */
};

struct sock_rt {
	struct sock_fd fds[SOCK_LISTEN_MAX];
	size_t nfds;
	bool watching;
	bool paused;             /* the descriptor sink is full: no connection taken until it drains */
	struct sock_conn *conns; /* live instances (Accept=yes) */
	size_t nconns;
	unsigned accepted;       /* connections so far: the N of an instance name */
	uint64_t trig_start;
	unsigned trig_count;
};

static bool down(const struct svc *s) { return s->active == ACT_INACTIVE || s->active == ACT_FAILED; }

/* Let go of a socket: a unix socket's queue may hold descriptors a peer sent (SCM_RIGHTS), whose
 * last close could block; such a socket is closed off PID 1 (fdsink.h). IP sockets carry none. */
static void let_go(struct jobs *m, int fd, bool unix_)
{
	if (unix_)
		fdsink_put(&m->sink, &fd, 1);
	else
		close(fd);
}

static struct sock_rt *rt_of(struct svc *s)
{
	if (!s->sock)
		s->sock = calloc(1, sizeof(*s->sock));
	return s->sock;
}

static void watch_all(struct jobs *m, struct sock_rt *rt, bool on)
{
	rt->watching = on;
	for (size_t i = 0; i < rt->nfds; i++)
		epoll_ctl(m->epfd, EPOLL_CTL_MOD, rt->fds[i].fd,
			&(struct epoll_event){.events = on ? EPOLLIN : 0, .data.ptr = &rt->fds[i].w});
}

/* The parent directory of path beneath root, made (with mode) where missing. */
static int parent_dir(int rootfd, const char *path, mode_t mode, bool make, const char **base)
{
	char pre[SOCK_PATH_MAX];
	int fd = fs_open_parent_beneath(rootfd, path, base);
	for (const char *p = path + 1; make && fd == -ENOENT && p && *p; p = strchr(p + 1, '/')) {
		const char *sl = strchr(p, '/'), *b;
		if (!sl)
			break;
		str_fmt(pre, sizeof(pre), "%.*s", (int)(sl - path), path);
		int d = fs_open_parent_beneath(rootfd, pre, &b);
		if (d < 0)
			return d;
		int r = mkdirat(d, b, mode) && errno != EEXIST ? -errno : 0;
		close(d);
		if (r)
			return r;
		if (!strchr(sl + 1, '/'))
			fd = fs_open_parent_beneath(rootfd, path, base);
	}
	return fd;
}

static int set_int(int fd, int level, int name, int v)
{
	return setsockopt(fd, level, name, &v, sizeof(v)) ? -errno : 0;
}

/* Options and address of one listening socket; fd is new. */
static int sock_setup(const struct unit_socket *u, const struct sock_listen *l, int fd, int family, const char **what)
{
	bool inet = family != AF_UNIX, tcp = inet && l->type == SOCKL_STREAM;
	int ret = 0;
	if (inet && !ret && (ret = set_int(fd, SOL_SOCKET, SO_REUSEADDR, 1)))
		*what = "SO_REUSEADDR";
	if (family == AF_INET6 && !ret && (u->ipv6_only || l->any) &&
		(ret = set_int(fd, IPPROTO_IPV6, IPV6_V6ONLY, u->ipv6_only == 2)))
		*what = "BindIPv6Only";
	if (inet && u->bind_device && !ret &&
		setsockopt(fd, SOL_SOCKET, SO_BINDTODEVICE, u->bind_device, (socklen_t)strlen(u->bind_device) + 1))
		ret = -errno, *what = "BindToDevice";
	if (tcp && u->congestion && !ret &&
		setsockopt(fd, IPPROTO_TCP, 13 /* TCP_CONGESTION */, u->congestion, (socklen_t)strlen(u->congestion)))
		ret = -errno, *what = "TCPCongestion";
	for (size_t i = 0; i < u->nopts && !ret; i++) {
		const struct sock_opt_def *d = socket_opt_def(u->opts[i].id);
		int v = u->opts[i].val, name = d->name;
		if ((d->scope == 1 && !inet) || (d->scope == 2 && !tcp) || (d->kind == 0 && !v))
			continue; /* K_BOOL: set only when true, as systemd */
		if (d->name == SO_TIMESTAMP) {
			if (!v)
				continue;
			name = v == 2 ? SO_TIMESTAMPNS : SO_TIMESTAMP;
			v = 1;
		}
		if ((ret = set_int(fd, d->level, name, v)))
			*what = d->key;
	}
	return ret;
}

/* Open one Listen*= entry; the descriptor, or -errno with *what set. */
static int listen_one(struct jobs *m, struct svc *s, const struct sock_listen *l, uid_t uid, gid_t gid, const char **what)
{
	const struct unit_socket *u = s->u.sock;
	union { struct sockaddr sa; struct sockaddr_un un; struct sockaddr_in in; struct sockaddr_in6 in6; } a;
	socklen_t alen;
	const char *base = NULL;
	int fd = -1, dfd = -1, ret;
	struct stat st;
	memset(&a, 0, sizeof(a));
	*what = "open";
	if (l->path[0] == '/') {
		if ((dfd = parent_dir(m->rootfd, l->path, u->directory_mode, true, &base)) < 0)
			return *what = "parent directory", dfd;
		ret = fstatat(dfd, base, &st, AT_SYMLINK_NOFOLLOW) ? (errno == ENOENT ? 0 : -errno) :
			(l->family ? S_ISSOCK(st.st_mode) : S_ISFIFO(st.st_mode)) ? 1 : -EEXIST;
		if (ret == 1 && l->family) /* an old socket: systemd replaces it too */
			ret = unlinkat(dfd, base, 0) ? -errno : 0;
		if (ret < 0) {
			*what = ret == -EEXIST ? "path (something else is there)" : "stat";
			goto out;
		}
	}
	if (!l->family) { /* FIFO */
		mode_t old = umask(0);
		ret = mkfifoat(dfd, base, u->socket_mode) && errno != EEXIST ? -errno : 0;
		umask(old);
		fd = ret ? ret : openat(dfd, base, O_RDWR | O_NONBLOCK | O_NOFOLLOW | O_NOCTTY | O_CLOEXEC);
		if (fd < 0 || (ret = fstat(fd, &st) ? -errno : S_ISFIFO(st.st_mode) ? 0 : -EEXIST)) {
			ret = fd < 0 ? (ret ? ret : -errno) : ret;
			*what = "mkfifo";
			goto out;
		}
		if (fchmod(fd, u->socket_mode) || ((u->user || u->group) && fchown(fd, uid, gid)))
			ret = -errno, *what = "chown/chmod";
		else if (u->pipe_size && fcntl(fd, F_SETPIPE_SZ, u->pipe_size) < 0)
			ret = -errno, *what = "PipeSize";
		goto out;
	}
	int family = l->family, type = l->type == SOCKL_STREAM ? SOCK_STREAM : l->type == SOCKL_DGRAM ? SOCK_DGRAM : SOCK_SEQPACKET;
	fd = socket(family, type | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0 && l->any && errno == EAFNOSUPPORT) /* a kernel without IPv6: 0.0.0.0 */
		fd = socket(family = AF_INET, type | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		ret = -errno;
		*what = "socket";
		goto out;
	}
	if ((ret = sock_setup(u, l, fd, family, what)))
		goto out;
	if (family == AF_UNIX) {
		a.un.sun_family = AF_UNIX;
		if (l->path[0] == '@') { /* abstract: a NUL, then the name */
			memcpy(a.un.sun_path + 1, l->path + 1, strlen(l->path + 1));
			alen = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + strlen(l->path));
		} else { /* bound through the directory we hold: no path walk, no symlink, beneath the root */
			str_fmt(a.un.sun_path, sizeof(a.un.sun_path), "/proc/self/fd/%d/%s", dfd, base);
			alen = sizeof(a.un);
		}
	} else if (family == AF_INET) {
		a.in.sin_family = AF_INET;
		a.in.sin_port = htons(l->port);
		if (!l->any)
			memcpy(&a.in.sin_addr, l->addr, 4);
		alen = sizeof(a.in);
	} else {
		a.in6.sin6_family = AF_INET6;
		a.in6.sin6_port = htons(l->port);
		memcpy(&a.in6.sin6_addr, l->addr, 16);
		alen = sizeof(a.in6);
	}
	mode_t old = umask(~u->socket_mode & 0777);
	ret = bind(fd, &a.sa, alen) ? -errno : 0;
	umask(old);
	if (ret) {
		*what = "bind";
		goto out;
	}
	if (l->path[0] == '/' && (u->user || u->group) && fchownat(dfd, base, uid, gid, AT_SYMLINK_NOFOLLOW)) {
		ret = -errno;
		*what = "SocketUser/SocketGroup";
		goto out;
	}
	if (type != SOCK_DGRAM && listen(fd, u->backlog) && (ret = -errno))
		*what = "listen";
out:
	if (dfd >= 0)
		close(dfd);
	if (ret && fd >= 0)
		let_go(m, fd, l->family == AF_UNIX);
	return ret ? ret : fd;
}

/* Remove the socket nodes, FIFOs (type) or symlinks of s beneath the root. */
static void remove_nodes(struct jobs *m, const struct unit_socket *u)
{
	const char *base;
	struct stat st;
	for (size_t i = 0; i < u->n + u->symlinks.n; i++) {
		const char *p = i < u->n ? u->v[i].path : u->symlinks.v[i - u->n];
		int dfd = p[0] == '/' ? parent_dir(m->rootfd, p, 0, false, &base) : -1;
		if (dfd < 0)
			continue;
		if (!fstatat(dfd, base, &st, AT_SYMLINK_NOFOLLOW) &&
			(i >= u->n ? S_ISLNK(st.st_mode) : S_ISSOCK(st.st_mode) || S_ISFIFO(st.st_mode)))
			unlinkat(dfd, base, 0);
		close(dfd);
	}
}

static void fail_socket(struct jobs *m, struct svc *s, enum svc_result r, const char *why)
{
	svc_fail(s, "%s", why);
	sock_close(m, s);
	s->result = r;
	svc_enter(m, s, ACT_FAILED, SUB_FAILED);
}

int sock_open(struct jobs *m, struct svc *s)
{
	const struct unit_socket *u = s->u.sock;
	struct sock_rt *rt = rt_of(s);
	struct id_user pw;
	struct kerr e = {0};
	uid_t uid = (uid_t)-1;
	gid_t gid = (gid_t)-1;
	const char *what = "";
	char addr[SOCK_PATH_MAX + 8];
	int ret = 0;
	if (!rt)
		return svc_fail(s, "out of memory"), -ENOMEM;
	sock_close(m, s);
	if ((u->user && (ret = ids_user(m->rootfd, u->user, &pw, &e))) ||
		(u->group && (ret = ids_group(m->rootfd, u->group, &gid, &e))))
		return svc_fail(s, "%s", e.msg), ret;
	if (u->user) {
		uid = pw.uid;
		gid = u->group ? gid : pw.gid;
	}
	for (size_t i = 0; i < u->n && !ret; i++) {
		const struct sock_listen *l = &u->v[i];
		int fd = listen_one(m, s, l, uid, gid, &what);
		if (fd < 0) {
			socket_listen_format(l, addr, sizeof(addr));
			svc_fail(s, "Listen%s=%s: %s: %s", socket_type_name((enum sock_type)l->type), addr, what, strerror(-fd));
			ret = fd;
			break;
		}
		struct sock_fd *f = &rt->fds[rt->nfds++];
		*f = (struct sock_fd){{W_SOCKET, f}, s, fd, l->family == AF_UNIX};
		if (epoll_ctl(m->epfd, EPOLL_CTL_ADD, fd, &(struct epoll_event){.events = EPOLLIN, .data.ptr = &f->w}))
			ret = -errno, svc_fail(s, "epoll: %s", strerror(errno));
	}
	if (ret) {
		sock_close(m, s);
		return ret;
	}
	rt->watching = true;
	rt->trig_count = 0;
	const char *base;
	for (size_t i = 0; i < u->symlinks.n; i++) { /* as systemd: a symlink that cannot be made is logged */
		const char *target = NULL;
		for (size_t k = 0; k < u->n && !target; k++)
			target = u->v[k].path[0] == '/' ? u->v[k].path : NULL;
		int dfd = parent_dir(m->rootfd, u->symlinks.v[i], u->directory_mode, true, &base);
		if (dfd >= 0 && u->remove_on_stop) /* what is there may go (systemd: only then) */
			unlinkat(dfd, base, 0);
		if (dfd < 0 || symlinkat(target, dfd, base))
			log_warn("%s: Symlinks=%s: could not be made", s->name, u->symlinks.v[i]);
		if (dfd >= 0)
			close(dfd);
	}
	return 0;
}

void sock_close(struct jobs *m, struct svc *s)
{
	struct sock_rt *rt = s->sock;
	if (!rt || !rt->nfds)
		return;
	for (size_t i = 0; i < rt->nfds; i++) {
		epoll_ctl(m->epfd, EPOLL_CTL_DEL, rt->fds[i].fd, NULL);
		let_go(m, rt->fds[i].fd, rt->fds[i].unix_);
	}
	rt->nfds = 0;
	rt->watching = false;
	if (s->load == LOAD_LOADED && s->u.sock && s->u.sock->remove_on_stop)
		remove_nodes(m, s->u.sock);
}

void sock_free(struct svc *s)
{
	struct sock_rt *rt = s->sock;
	if (!rt)
		return;
	for (size_t i = 0; i < rt->nfds; i++)
		close(rt->fds[i].fd);
	for (size_t i = 0; i < rt->nconns; i++)
		if (rt->conns[i].fd >= 0)
			close(rt->conns[i].fd);
	free(rt->conns);
	free(rt);
	s->sock = NULL;
}

/* TriggerLimitIntervalSec=/TriggerLimitBurst=: one more trigger; true if it is one too many. */
static bool trigger_hit(struct svc *s, struct sock_rt *rt)
{
	const struct unit_socket *u = s->u.sock;
	uint64_t now = mono_us();
	if (!u->trigger_usec || !u->trigger_burst)
		return false;
	if (!rt->trig_start || now - rt->trig_start >= u->trigger_usec) {
		rt->trig_start = now;
		rt->trig_count = 0;
	}
	return ++rt->trig_count > u->trigger_burst;
}

/* Drop an instance unit that has ended (Accept=yes): units are otherwise never removed, and one
 * per connection would fill the table. Only called between batches of events, when nobody else
 * holds a pointer to it (control connections waiting for its job were answered already). */
static void forget(struct jobs *m, struct svc *x)
{
	size_t k = 0;
	for (size_t i = 0; i < m->n; i++)
		if (m->by_name[i] != x)
			m->by_name[k++] = m->by_name[i];
	memmove(m->v + x->pos, m->v + x->pos + 1, (m->n - x->pos - 1) * sizeof(*m->v));
	m->n--;
	for (size_t i = x->pos; i < m->n; i++)
		m->v[i]->pos = i;
	m->index_dirty = m->graph_dirty = true;
	svc_free(x);
}

/* systemd's instance name for a connection: N-LOCAL-REMOTE (addresses with ports), N-PID-UID. */
static int instance_name(struct svc *s, struct sock_rt *rt, int cfd, struct sock_conn *c, char *out, size_t n)
{
	union { struct sockaddr sa; struct sockaddr_in in; struct sockaddr_in6 in6; } la, ra;
	socklen_t ll = sizeof(la), rl = sizeof(ra);
	char inst[160], lh[INET6_ADDRSTRLEN], rh[INET6_ADDRSTRLEN];
	unsigned nr = rt->accepted++;
	const char *at = strchr(s->name, '@'), *dot = strrchr(s->name, '.');
	size_t pre = (size_t)((at ? at : dot) - s->name);
	if (getsockname(cfd, &la.sa, &ll) || getpeername(cfd, &ra.sa, &rl))
		return -errno;
	c->family = (uint8_t)ra.sa.sa_family;
	if (la.sa.sa_family == AF_INET6 && IN6_IS_ADDR_V4MAPPED(&la.in6.sin6_addr) && IN6_IS_ADDR_V4MAPPED(&ra.in6.sin6_addr)) {
		uint16_t lp = la.in6.sin6_port, rp = ra.in6.sin6_port; /* shown as IPv4, as systemd does */
		struct in_addr l4, r4;
		memcpy(&l4, la.in6.sin6_addr.s6_addr + 12, 4);
		memcpy(&r4, ra.in6.sin6_addr.s6_addr + 12, 4);
		la.in = (struct sockaddr_in){.sin_family = AF_INET, .sin_port = lp, .sin_addr = l4};
		ra.in = (struct sockaddr_in){.sin_family = AF_INET, .sin_port = rp, .sin_addr = r4};
	}
	if (la.sa.sa_family == AF_INET || la.sa.sa_family == AF_INET6) {
		bool v4 = la.sa.sa_family == AF_INET;
		inet_ntop(la.sa.sa_family, v4 ? (void *)&la.in.sin_addr : (void *)&la.in6.sin6_addr, lh, sizeof(lh));
		inet_ntop(ra.sa.sa_family, v4 ? (void *)&ra.in.sin_addr : (void *)&ra.in6.sin6_addr, rh, sizeof(rh));
		memcpy(c->src, v4 ? (void *)&ra.in.sin_addr : (void *)&ra.in6.sin6_addr, v4 ? 4 : 16);
		c->family = (uint8_t)la.sa.sa_family;
		str_fmt(inst, sizeof(inst), "%u-%s:%u-%s:%u", nr, lh, ntohs(v4 ? la.in.sin_port : la.in6.sin6_port), rh,
			ntohs(v4 ? ra.in.sin_port : ra.in6.sin6_port));
	} else {
		struct ucred cr;
		socklen_t cl = sizeof(cr);
		if (getsockopt(cfd, SOL_SOCKET, SO_PEERCRED, &cr, &cl))
			str_fmt(inst, sizeof(inst), "%u-unknown", nr);
		else
			str_fmt(inst, sizeof(inst), "%u-%d-%u", nr, (int)cr.pid, (unsigned)cr.uid);
	}
	return str_fmt(out, n, "%.*s@%s.service", (int)pre, s->name, inst);
}

/* Accept=yes: take up to SOCK_ACCEPT_BATCH connections off f. */
static void accept_some(struct jobs *m, struct svc *s, struct sock_rt *rt, const struct sock_fd *f)
{
	const struct unit_socket *u = s->u.sock;
	char name[UNIT_NAME_MAX + 1];
	int fd = f->fd;
	for (int k = 0; k < SOCK_ACCEPT_BATCH && rt->nfds; k++) {
		if (f->unix_ && fdsink_busy(&m->sink)) { /* sock_sweep() takes them again once it drained */
			watch_all(m, rt, false);
			rt->paused = true;
			return;
		}
		struct sock_conn c = {.fd = accept4(fd, NULL, NULL, SOCK_CLOEXEC)}; /* the service gets it blocking */
		struct kerr e = {0};
		if (c.fd < 0 && (errno == EINTR || errno == ECONNABORTED))
			continue;
		if (c.fd < 0) {
			if (errno != EAGAIN)
				log_warn("%s: accept: %s", s->name, strerror(errno));
			return;
		}
		c.family = f->unix_ ? AF_UNIX : AF_INET;
		if (trigger_hit(s, rt)) { /* counted before anything else, as systemd */
			let_go(m, c.fd, f->unix_);
			fail_socket(m, s, RES_TRIGGER_LIMIT, "started too often (TriggerLimitBurst=); refusing further connections");
			return;
		}
		unsigned same = 0;
		int ret = instance_name(s, rt, c.fd, &c, name, sizeof(name));
		for (size_t i = 0; i < rt->nconns && c.family != AF_UNIX; i++) /* per source: IP peers only, as systemd */
			same += rt->conns[i].family == c.family && !memcmp(rt->conns[i].src, c.src, 16);
		if (ret || rt->nconns >= u->max_conn || (u->max_per_source && same >= u->max_per_source)) {
			log_warn("%s: %s; connection dropped", s->name, ret ? strerror(-ret) :
				rt->nconns >= u->max_conn ? "too many connections (MaxConnections=)" :
				"too many connections from one address (MaxConnectionsPerSource=)");
			let_go(m, c.fd, f->unix_);
			continue;
		}
		struct sock_conn *n = realloc(rt->conns, (rt->nconns + 1) * sizeof(*n));
		struct svc *inst = n ? jobs_get(m, name, &e) : NULL;
		uint64_t id;
		if (n)
			rt->conns = n;
		if (!inst || inst->load != LOAD_LOADED || inst->job != JOB_NONE || !down(inst)) {
			log_err("%s: %s: %s; connection dropped", s->name, name, !n ? "out of memory" : !inst ? e.msg :
				inst->error[0] ? inst->error : "not a service that can start");
			let_go(m, c.fd, f->unix_);
			if (inst && inst->load != LOAD_LOADED && inst->job == JOB_NONE && down(inst))
				forget(m, inst);
			continue;
		}
		c.inst = inst;
		rt->conns[rt->nconns++] = c;
		jobs_enqueue(m, inst, JOB_START, false, &id);
	}
}

void sock_event(struct jobs *m, void *obj)
{
	struct sock_fd *f = obj;
	struct svc *s = f->s;
	struct sock_rt *rt = s->sock;
	struct kerr e = {0};
	uint64_t id;
	if (s->load != LOAD_LOADED || !s->u.sock || s->active != ACT_ACTIVE || !rt->watching || m->shutting_down) {
		watch_all(m, rt, false); /* not ours to take now; sock_sweep() watches again (not while going down) */
		return;
	}
	if (s->u.sock->accept) {
		accept_some(m, s, rt, f);
		return;
	}
	struct svc *svc = jobs_get(m, s->u.sock->service, &e);
	if (!svc || svc->load != LOAD_LOADED) {
		fail_socket(m, s, RES_RESOURCES, svc ? "its service is not loaded" : e.msg);
		return;
	}
	if (trigger_hit(s, rt)) {
		fail_socket(m, s, RES_TRIGGER_LIMIT, "started too often (TriggerLimitBurst=); refusing further connections");
		return;
	}
	log_info("%s: incoming traffic; starting %s", s->name, svc->name);
	watch_all(m, rt, false);
	svc_enter(m, s, ACT_ACTIVE, SUB_RUNNING);
	if (svc->job == JOB_NONE && down(svc))
		jobs_enqueue(m, svc, JOB_START, false, &id);
}

void sock_sweep(struct jobs *m)
{
	for (size_t i = 0; i < m->n; i++) {
		struct svc *s = m->v[i];
		struct sock_rt *rt = s->sock;
		if (!rt)
			continue;
		for (size_t k = 0; k < rt->nconns;) { /* ended instances */
			struct sock_conn *c = &rt->conns[k];
			struct svc *x = c->inst;
			if (x->job != JOB_NONE || !down(x) || x->sub == SUB_AUTO_RESTART || x->main_pid || x->control_pid || x->cg_fd >= 0) {
				k++;
				continue;
			}
			if (c->fd >= 0)
				let_go(m, c->fd, c->family == AF_UNIX);
			rt->conns[k] = rt->conns[--rt->nconns];
			if (x->pos < i)
				i--; /* s moves down one */
			forget(m, x);
		}
		if (m->shutting_down) /* nothing starts any more: the sockets stay unwatched until they close */
			continue;
		if (rt->paused && !fdsink_busy(&m->sink) && s->active == ACT_ACTIVE) {
			rt->paused = false;
			watch_all(m, rt, true);
		}
		if (s->load != LOAD_LOADED || !s->u.sock || s->u.sock->accept || s->active != ACT_ACTIVE || !rt->nfds)
			continue;
		struct svc *svc = jobs_find(m, s->u.sock->service);
		bool up = svc && (!down(svc) || svc->job != JOB_NONE);
		if (!rt->watching && !up) {
			if (svc && svc->result == RES_START_LIMIT) {
				fail_socket(m, s, RES_SERVICE_START_LIMIT, "its service hit its start limit");
				continue;
			}
			watch_all(m, rt, true);
			svc_enter(m, s, ACT_ACTIVE, SUB_LISTENING);
		} else if (rt->watching && up) { /* started by other means: the service has the sockets */
			watch_all(m, rt, false);
			svc_enter(m, s, ACT_ACTIVE, SUB_RUNNING);
		}
	}
}

int sock_pass(struct jobs *m, struct svc *s, struct strv *env, struct sock_pass *p)
{
	struct buf names = BUF_INIT(SOCK_PASS_MAX * 256 + 16);
	char var[40];
	int ret = 0;
	p->n = 0;
	p->in_fd = -1;
	p->pid_var = NULL;
	ret = buf_puts(&names, "LISTEN_FDNAMES=");
	for (size_t i = 0; i < m->n && !p->n; i++) /* an instance: its connection */
		for (size_t k = 0; m->v[i]->sock && k < m->v[i]->sock->nconns && !p->n; k++)
			if (m->v[i]->sock->conns[k].inst == s && m->v[i]->sock->conns[k].fd >= 0) {
				p->fds[p->n++] = m->v[i]->sock->conns[k].fd;
				ret = buf_puts(&names, "connection");
				break;
			}
	for (size_t i = 0; i < m->n && !ret; i++) { /* Accept=no: every socket that starts s */
		struct svc *o = m->v[i];
		if (!o->sock || !o->sock->nfds || o->load != LOAD_LOADED || !o->u.sock || o->u.sock->accept ||
			strcmp(o->u.sock->service, s->name))
			continue;
		for (size_t k = 0; k < o->sock->nfds && !ret; k++) {
			if (p->n == SOCK_PASS_MAX) {
				ret = -E2BIG;
				break;
			}
			p->fds[p->n++] = o->sock->fds[k].fd;
			ret = (names.len > 15 ? buf_putc(&names, ':') : 0) ?: buf_puts(&names, o->u.sock->fdname[0] ? o->u.sock->fdname : o->name);
		}
	}
	if (!ret && s->u.std_in_socket) {
		if (p->n != 1)
			ret = -ENOTCONN;
		else
			p->in_fd = p->fds[0];
	}
	if (!ret && p->n) {
		str_fmt(var, sizeof(var), "LISTEN_FDS=%zu", p->n);
		if (!(ret = strv_push(env, var)) && !(ret = strv_push(env, "LISTEN_PID=0000000000")))
			p->pid_var = env->v[env->n - 1];
		ret = ret ?: strv_push(env, (const char *)names.p);
	}
	buf_free(&names);
	return ret;
}

void sock_passed(struct jobs *m, struct svc *s)
{
	for (size_t i = 0; i < m->n; i++)
		for (size_t k = 0; m->v[i]->sock && k < m->v[i]->sock->nconns; k++)
			if (m->v[i]->sock->conns[k].inst == s && m->v[i]->sock->conns[k].fd >= 0) {
				let_go(m, m->v[i]->sock->conns[k].fd, m->v[i]->sock->conns[k].family == AF_UNIX);
				m->v[i]->sock->conns[k].fd = -1;
			}
}

int sock_list(const struct jobs *m, struct buf *out)
{
	char addr[SOCK_PATH_MAX + 8];
	int ret = 0;
	for (size_t i = 0; i < m->n && !ret; i++) {
		const struct svc *s = m->v[i];
		const struct unit_socket *u = s->load == LOAD_LOADED ? s->u.sock : NULL;
		if (!u || !s->sock || !s->sock->nfds || s->active != ACT_ACTIVE)
			continue;
		for (size_t k = 0; k < u->n && !ret; k++) {
			socket_listen_format(&u->v[k], addr, sizeof(addr));
			ret = buf_printf(out, "%s\t%s\t%s\t", addr, socket_type_name((enum sock_type)u->v[k].type), s->name);
			if (!u->accept)
				ret = ret ?: buf_puts(out, u->service);
			for (size_t c = 0; c < s->sock->nconns && !ret && u->accept; c++)
				ret = buf_printf(out, "%s%s", c ? ", " : "", s->sock->conns[c].inst->name);
			ret = ret ?: buf_puts(out, u->accept && !s->sock->nconns ? "-\n" : "\n");
		}
	}
	return ret;
}
