/* notify.c — sd_notify messages, server and client sides (see notify.h). */
#include "init/notify.h"
#include "base/clock.h"
#include "base/buf.h"
#include "base/err.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

int notify_parse(const char *p, size_t len, struct notify_msg *m)
{
	const char *end = p + len;
	m->ready = m->stopping = m->has_status = m->watchdog = m->watchdog_trigger = false;
	m->status[0] = 0;
	if (!len || len > NOTIFY_MSG_MAX || memchr(p, 0, len))
		return -EINVAL;
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *le = nl ? nl : end;
		const char *eq = memchr(p, '=', (size_t)(le - p));
		if (!eq || eq == p)
			return -EINVAL;
		for (const char *k = p; k < eq; k++)
			if (!((*k >= 'A' && *k <= 'Z') || (*k >= '0' && *k <= '9') || *k == '_'))
				return -EINVAL;
		size_t kl = (size_t)(eq - p), vl = (size_t)(le - eq - 1);
		const char *v = eq + 1;
		if (kl == 5 && !memcmp(p, "READY", 5))
			m->ready = vl == 1 && *v == '1';
		else if (kl == 8 && !memcmp(p, "WATCHDOG", 8)) {
			m->watchdog = vl == 1 && *v == '1';
			m->watchdog_trigger = vl == 7 && !memcmp(v, "trigger", 7);
		} else if (kl == 8 && !memcmp(p, "STOPPING", 8))
			m->stopping = vl == 1 && *v == '1';
		else if (kl == 6 && !memcmp(p, "STATUS", 6)) {
			size_t n = vl > NOTIFY_STATUS_MAX ? NOTIFY_STATUS_MAX : vl;
			for (size_t i = 0; i < n; i++)
				m->status[i] = ((unsigned char)v[i] < 0x20 || v[i] == 0x7f) ? ' ' : v[i];
			m->status[n] = 0;
			m->has_status = true;
		}
		p = nl ? nl + 1 : end;
	}
	return 0;
}

static int address(const char *path, struct sockaddr_un *sa, socklen_t *salen)
{
	size_t n = strlen(path);
	memset(sa, 0, sizeof(*sa));
	sa->sun_family = AF_UNIX;
	if (n < 2 || n >= sizeof(sa->sun_path) || (path[0] != '/' && path[0] != '@'))
		return -EINVAL;
	memcpy(sa->sun_path, path, n);
	if (path[0] == '@')
		sa->sun_path[0] = 0;
	*salen = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + n + (path[0] == '@' ? 0 : 1));
	return 0;
}

int notify_bind(const char *path, struct kerr *e)
{
	struct sockaddr_un sa;
	socklen_t salen;
	int one = 1, fd;
	if (address(path, &sa, &salen))
		return kerr_set(e, -EINVAL, "notify socket %.100s: bad path", path);
	if ((fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0)) < 0)
		return kerr_set(e, -errno, "notify socket: %s", strerror(errno));
	if (path[0] == '/' && unlink(path) && errno != ENOENT)
		goto fail;
	if (bind(fd, (struct sockaddr *)&sa, salen) || setsockopt(fd, SOL_SOCKET, SO_PASSCRED, &one, sizeof(one)) ||
		(path[0] == '/' && chmod(path, 0666)))
		goto fail;
	/* room for a burst of messages from many services */
	int rcv = 256 * 1024;
	setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcv, sizeof(rcv));
	return fd;
fail:;
	int err = -errno;
	kerr_set(e, err, "notify socket %.100s: %s", path, strerror(-err));
	close(fd);
	return err;
}

int notify_recv(int fd, struct notify_msg *m)
{
	char data[NOTIFY_MSG_MAX + 1];
	size_t n;
	int ret = notify_recv_raw(fd, data, sizeof(data), &n, m);
	return ret ? ret : notify_parse(data, n, m);
}

int notify_recv_raw(int fd, char *data, size_t cap, size_t *len, struct notify_msg *m)
{
	/* room for every descriptor one message can carry: those that do not fit would be released
	 * by the kernel right here, and their last close may block (see fdsink.h) */
	union {
		char buf[CMSG_SPACE(sizeof(struct ucred)) + CMSG_SPACE(sizeof(int) * NOTIFY_FDS_MAX)];
		struct cmsghdr align;
	} ctl;
	struct iovec iov = {data, cap};
	struct msghdr mh = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = ctl.buf, .msg_controllen = sizeof(ctl.buf)};
	m->nfds = 0;
	ssize_t n = recvmsg(fd, &mh, MSG_DONTWAIT | MSG_CMSG_CLOEXEC | MSG_TRUNC);
	if (n < 0)
		return errno == EINTR ? -EAGAIN : -errno;
	const struct ucred *cred = NULL;
	for (struct cmsghdr *c = CMSG_FIRSTHDR(&mh); c; c = CMSG_NXTHDR(&mh, c)) {
		if (c->cmsg_level != SOL_SOCKET)
			continue;
		if (c->cmsg_type == SCM_CREDENTIALS && c->cmsg_len == CMSG_LEN(sizeof(struct ucred)))
			cred = (const struct ucred *)(void *)CMSG_DATA(c);
		else if (c->cmsg_type == SCM_RIGHTS) {
			size_t k = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
			for (size_t i = 0; i < k && m->nfds < NOTIFY_FDS_MAX; i++)
				memcpy(&m->fds[m->nfds++], CMSG_DATA(c) + i * sizeof(int), sizeof(int));
		}
	}
	if (!cred || cred->pid <= 0 || (mh.msg_flags & (MSG_TRUNC | MSG_CTRUNC)) || (size_t)n >= cap)
		return -EINVAL;
	m->pid = cred->pid;
	m->uid = cred->uid;
	*len = (size_t)n;
	return 0;
}

int notify_send(const char *path, const char *msg, size_t len, int wait_ms, struct kerr *e)
{
	struct sockaddr_un sa;
	socklen_t salen;
	int fd = -1, pfd[2] = {-1, -1}, ret;
	union {
		char buf[CMSG_SPACE(sizeof(int))];
		struct cmsghdr align;
	} ctl;
	if (address(path, &sa, &salen))
		return kerr_set(e, -EINVAL, "NOTIFY_SOCKET=%.100s: not an absolute path or @name", path);
	if (len == 0 || len > NOTIFY_MSG_MAX)
		return kerr_set(e, -EINVAL, "message of %zu bytes (1 to %d)", len, NOTIFY_MSG_MAX);
	if ((fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0)) < 0)
		return kerr_set(e, -errno, "socket: %s", strerror(errno));
	struct iovec iov = {(void *)msg, len};
	struct msghdr mh = {.msg_name = &sa, .msg_namelen = salen, .msg_iov = &iov, .msg_iovlen = 1};
	if (wait_ms > 0) {
		if (pipe2(pfd, O_CLOEXEC)) {
			ret = kerr_set(e, -errno, "pipe: %s", strerror(errno));
			goto out;
		}
		memset(&ctl, 0, sizeof(ctl));
		mh.msg_control = ctl.buf;
		mh.msg_controllen = sizeof(ctl.buf);
		struct cmsghdr *c = CMSG_FIRSTHDR(&mh);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(sizeof(int));
		memcpy(CMSG_DATA(c), &pfd[1], sizeof(int));
	}
	if (sendmsg(fd, &mh, MSG_NOSIGNAL) != (ssize_t)len) {
		ret = kerr_set(e, -errno, "send to %.100s: %s", path, strerror(errno));
		goto out;
	}
	ret = 0;
	if (wait_ms > 0) {
		close(pfd[1]);
		pfd[1] = -1;
		int64_t deadline = (int64_t)mono_ms() + wait_ms;
		for (;;) {
			struct pollfd p = {pfd[0], POLLIN, 0};
			int64_t left = deadline - (int64_t)mono_ms();
			if (left <= 0) {
				ret = kerr_set(e, -ETIMEDOUT, "no acknowledgement from %.100s within %d ms", path, wait_ms);
				break;
			}
			int r = poll(&p, 1, (int)left);
			if (r < 0 && errno == EINTR)
				continue;
			if (r < 0) {
				ret = kerr_set(e, -errno, "poll: %s", strerror(errno));
				break;
			}
			if (r > 0) /* POLLHUP: the receiver closed its copy */
				break;
		}
	}
out:
	if (pfd[0] >= 0)
		close(pfd[0]);
	if (pfd[1] >= 0)
		close(pfd[1]);
	close(fd);
	return ret;
}
