/* fdsink.c — descriptors from others, closed off this process (see fdsink.h). */
#include "init/fdsink.h"
#include "base/log.h"
#include "init/svc_spawn.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

void fdsink_init(struct fdsink *s)
{
	memset(s, 0, sizeof(*s));
	s->parcel[0] = s->parcel[1] = -1;
}

void fdsink_put(struct fdsink *s, const int *fds, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (fds[i] < 0)
			continue;
		if (s->nheld < FDSINK_HELD_MAX)
			s->held[s->nheld++] = fds[i];
		else if (!s->leaked++) /* kept open for good: better than a close that may block */
			log_err("descriptors from clients: %d held and no child to close them; keeping more open", FDSINK_HELD_MAX);
	}
}

/* The child: nothing of the parent's but the parcel and the pipe. It must not exit before the
 * parent has closed its copies of the parcel (then the parent's close would be the last): the
 * parent closes the pipe's write end after them, so EOF is the signal. */
static void __attribute__((noreturn)) child(const int parcel[2], int wait_fd)
{
	int keep[3] = {parcel[0], parcel[1], wait_fd};
	for (int i = 0; i < 2; i++) /* ascending for spawn_close_except */
		for (int j = i + 1; j < 3; j++)
			if (keep[j] < keep[i]) {
				int t = keep[i];
				keep[i] = keep[j];
				keep[j] = t;
			}
	spawn_close_except(0, keep, 3);
	char c;
	while (read(wait_fd, &c, 1) < 0 && errno == EINTR)
		;
	_exit(0);
}

/* Load up to FDSINK_BATCH_MAX held descriptors into the parcel (fewer if the kernel refuses a
 * message that large for want of memory). */
static int load(struct fdsink *s)
{
	size_t n = s->nheld < FDSINK_BATCH_MAX ? s->nheld : FDSINK_BATCH_MAX;
	union {
		char buf[CMSG_SPACE(sizeof(int) * FDSINK_BATCH_MAX)];
		struct cmsghdr align;
	} ctl;
	/* the parcel is kept across failures: a close of it here could be a last one */
	if (s->parcel[0] < 0 && socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, s->parcel))
		return -errno;
	for (;; n /= 2) {
		int *fds = s->held + s->nheld - n;
		memset(&ctl, 0, sizeof(ctl));
		struct iovec iov = {"", 1};
		struct msghdr mh = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = ctl.buf,
			.msg_controllen = CMSG_SPACE(sizeof(int) * n)};
		struct cmsghdr *c = CMSG_FIRSTHDR(&mh);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(sizeof(int) * n);
		memcpy(CMSG_DATA(c), fds, sizeof(int) * n);
		if (sendmsg(s->parcel[0], &mh, MSG_DONTWAIT | MSG_NOSIGNAL) == 1) {
			for (size_t i = 0; i < n; i++) /* the queued message holds its own references */
				close(fds[i]);
			s->nheld -= n;
			s->handed += n;
			s->loaded = true;
			return 0;
		}
		if ((errno != ENOMEM && errno != ENOBUFS) || n == 1)
			return -errno;
	}
}

static int hand_over(struct fdsink *s)
{
	int ret, wait[2];
	if (s->nkids == FDSINK_CHILDREN_MAX)
		return -EBUSY;
	if (!s->loaded && (ret = load(s)))
		return ret;
	if (pipe2(wait, O_CLOEXEC))
		return -errno;
	pid_t pid = fork();
	if (pid == 0)
		child(s->parcel, wait[0]);
	if (pid < 0) { /* the parcel stays loaded for the next try */
		ret = -errno;
		close(wait[0]);
		close(wait[1]);
		return ret;
	}
	close(s->parcel[1]); /* not the last: the child holds copies until EOF on the pipe */
	close(s->parcel[0]);
	close(wait[1]);
	close(wait[0]);
	s->parcel[0] = s->parcel[1] = -1;
	s->loaded = false;
	s->kids[s->nkids++] = pid;
	return 0;
}

int fdsink_flush(struct fdsink *s)
{
	int ret = 0;
	while ((s->nheld || s->loaded) && !(ret = hand_over(s)))
		;
	return ret;
}

bool fdsink_busy(const struct fdsink *s)
{
	return s->nheld > FDSINK_HELD_MAX / 2 || s->nkids == FDSINK_CHILDREN_MAX;
}

bool fdsink_reaped(struct fdsink *s, pid_t pid)
{
	for (size_t i = 0; i < s->nkids; i++)
		if (s->kids[i] == pid) {
			s->kids[i] = s->kids[--s->nkids];
			return true;
		}
	return false;
}
