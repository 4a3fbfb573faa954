/* init_test.c — the pieces of keel init around the unit parser: the log ring, the control
 * protocol, sd_notify messages and sockets, /etc/passwd and /etc/group lookups, the hostname
 * file, spawning with a status pipe; the supervisor's decisions (restart, backoff, start limit,
 * start and stop order, cycles) asked directly. Forged inputs next to good ones. */
#include "t.h"
#include "base/buf.h"
#include "init/ctl.h"
#include "base/err.h"
#include "init/fdsink.h"
#include "init/ids.h"
#include "init/notify.h"
#include "init/log_ring.h"
#include "init/svc_spawn.h"
#include "init/host_setup.h"
#include "init/svc_jobs.h"
#include "init/svc_state.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* Wait for every child the sink forked (and only those). */
static void sink_reap(struct fdsink *s)
{
	while (s->nkids) {
		int status;
		pid_t pid = waitpid(s->kids[0], &status, 0);
		if (pid < 0 || !fdsink_reaped(s, pid))
			break;
	}
}

static char *ring_str(const struct log_ring *r)
{
	static char out[70000];
	struct buf b = BUF_INIT(sizeof(out) - 1);
	out[0] = 0;
	if (!log_ring_copy(r, &b) && b.len)
		memcpy(out, b.p, b.len + 1);
	buf_free(&b);
	return out;
}

T_TEST(ring_bounded)
{
	struct log_ring r;
	log_ring_init(&r, 8192);
	t_check(!strcmp(ring_str(&r), ""), "empty ring");
	log_ring_write(&r, "one\ntwo\n", 8);
	t_check(!strcmp(ring_str(&r), "one\ntwo\n"), "small write");
	t_check(r.cap == 256, "starts at 256 bytes: %zu", r.cap);
	char line[100];
	for (int i = 0; i < 1000; i++) {
		int n = snprintf(line, sizeof(line), "line %04d\n", i);
		log_ring_write(&r, line, (size_t)n);
	}
	t_check(r.cap == 8192 && r.len == 8192, "grew to the limit and no further: cap %zu len %zu", r.cap, r.len);
	char *s = ring_str(&r);
	t_check(!strncmp(s, "line ", 5) && str_ends(s, "line 0999\n"), "oldest dropped, starts at a whole line");
	t_check(strlen(s) <= 8192 && strlen(s) > 8192 - 11, "keeps nearly the limit: %zu", strlen(s));
	/* one write larger than the whole ring keeps its tail */
	char *big = malloc(20000);
	memset(big, 'x', 20000);
	memcpy(big + 20000 - 5, "tail\n", 5);
	log_ring_write(&r, big, 20000);
	s = ring_str(&r);
	t_check(r.len == 8192 && str_ends(s, "xtail\n"), "huge write keeps its tail");
	free(big);
	/* exactly filling the first allocation still grows later */
	struct log_ring q;
	log_ring_init(&q, 16384);
	char blk[4096];
	memset(blk, 'a', sizeof(blk));
	log_ring_write(&q, blk, sizeof(blk));
	log_ring_write(&q, "b\n", 2);
	s = ring_str(&q);
	t_check(strlen(s) == 4098 && s[4096] == 'b', "grows after an exact fill: %zu", strlen(s));
	log_ring_free(&q);
	log_ring_free(&r);
	log_ring_free(NULL);
	struct log_ring z;
	log_ring_init(&z, 0);
	t_check(log_ring_write(&z, "x", 1) == 0 && z.len == 0, "a zero-size ring keeps nothing");
}

T_TEST(ctl_requests)
{
	static const struct { const char *in; int ok; enum ctl_verb verb; const char *unit; } cases[] = {
		{"status\n", 1, CTL_STATUS, ""},
		{"status a.service\n", 1, CTL_STATUS, "a.service"},
		{"start a.service\n", 1, CTL_START, "a.service"},
		{"stop getty@tty1.service\n", 1, CTL_STOP, "getty@tty1.service"},
		{"restart multi-user.target\n", 1, CTL_RESTART, "multi-user.target"},
		{"log a.service\n", 1, CTL_LOG, "a.service"},
		{"poweroff\n", 1, CTL_POWEROFF, ""},
		{"reboot\n", 1, CTL_REBOOT, ""},
		{"start\n", 0, 0, NULL},
		{"log\n", 0, 0, NULL},
		{"poweroff a.service\n", 0, 0, NULL},
		{"start a.service", 0, 0, NULL},
		{"start a.service\n\n", 0, 0, NULL},
		{"start  a.service\n", 0, 0, NULL},
		{"start a.service \n", 0, 0, NULL},
		{"start ../a.service\n", 0, 0, NULL},
		{"start a.socket\n", 1, CTL_START, "a.socket"},
		{"start a.timer\n", 1, CTL_START, "a.timer"},
		{"start a.path\n", 0, 0, NULL},
		{"sockets\n", 1, CTL_SOCKETS, ""},
		{"sockets a.socket\n", 0, 0, NULL},
		{"timers\n", 1, CTL_TIMERS, ""},
		{"timers a.timer\n", 1, CTL_TIMERS, "a.timer"},
		{"start a@.service\n", 0, 0, NULL},
		{"START a.service\n", 0, 0, NULL},
		{"frobnicate\n", 0, 0, NULL},
		{"start a\tb.service\n", 0, 0, NULL},
		{"start \xc3\xa9.service\n", 0, 0, NULL},
		{"\n", 0, 0, NULL},
	};
	for (size_t i = 0; i < T_LEN(cases); i++) {
		struct ctl_req r;
		const char *why = NULL;
		int ret = ctl_parse_request(cases[i].in, strlen(cases[i].in), &r, &why);
		if (cases[i].ok)
			t_check(!ret && r.verb == cases[i].verb && !strcmp(r.unit, cases[i].unit), "request %zu", i);
		else
			t_check(ret == -EINVAL && why, "request %zu refused", i);
	}
	char big[CTL_REQ_MAX + 10];
	memset(big, 'a', sizeof(big));
	big[sizeof(big) - 1] = '\n';
	struct ctl_req r;
	t_check(ctl_parse_request(big, sizeof(big), &r, NULL) == -EINVAL, "over-long request");
	char line[CTL_REQ_MAX + 1];
	r = (struct ctl_req){CTL_START, "a.service"};
	t_check(!ctl_format_request(&r, line, sizeof(line)) && !strcmp(line, "start a.service\n"), "format");
	r = (struct ctl_req){CTL_POWEROFF, "a.service"};
	t_check(ctl_format_request(&r, line, sizeof(line)) == -EINVAL, "format refuses a unit for poweroff");
	r = (struct ctl_req){CTL_LOG, ""};
	t_check(ctl_format_request(&r, line, sizeof(line)) == -EINVAL, "format refuses log without a unit");
}

T_TEST(ctl_status_lines)
{
	struct ctl_status s = {0}, p;
	strcpy(s.unit, "a.service");
	strcpy(s.load, "loaded");
	strcpy(s.active, "active");
	strcpy(s.sub, "running");
	strcpy(s.result, "success");
	s.pid = 42;
	s.restarts = 2;
	s.since_ms = 1234;
	strcpy(s.description, "tab\there\nnewline");
	strcpy(s.text, "ok");
	strcpy(s.comm, "sleep");
	struct buf b = BUF_INIT(4096);
	t_check(!ctl_format_status(&b, &s), "format");
	t_check(!strcmp((char *)b.p, "a.service\tloaded\tactive\trunning\tsuccess\t42\t2\t1234\ttab here newline\tok\t\tsleep\n"),
		"formatted: %s", (char *)b.p);
	const char *why = NULL;
	t_check(!ctl_parse_status((char *)b.p, b.len - 1, &p, &why) && p.pid == 42 && !strcmp(p.description, "tab here newline") &&
			!strcmp(p.comm, "sleep"),
		"parses back");
	/* eleven fields (keel before the process name was sent, as diag bundles keep them): no comm */
	t_check(!ctl_parse_status("a.service\tloaded\tactive\trunning\tsuccess\t42\t2\t1234\td\tt\te", 55, &p, &why) &&
			!strcmp(p.error, "e") && !p.comm[0],
		"eleven fields");
	static const char *const bad[] = {
		"a.service\tloaded\tactive\trunning\tsuccess\t42\t2\t1234\td\tt",        /* 10 fields */
		"a.service\tloaded\tactive\trunning\tsuccess\t42\t2\t1234\td\tt\te\tx\ty", /* 13 */
		"a.service\tloaded\tactive\trunning\tsuccess\t42\t2\t1234\td\tt\te\t0123456789abcdef", /* comm of 16 */
		"a.service\tLoaded\tactive\trunning\tsuccess\t42\t2\t1234\td\tt\te",
		"a.service\tloaded\tactive\trunning\tsuccess\t-1\t2\t1234\td\tt\te",
		"a.service\tloaded\tactive\trunning\tsuccess\t99999999999999999999\t2\t1\td\tt\te",
		"a.service\tloaded\tactive\trunning\tsuccess\t\t2\t1234\td\tt\te",
		"a.sock\tloaded\tactive\trunning\tsuccess\t1\t2\t1234\td\tt\te",
		"a.service\tloaded\tactive\trunning\tsuccess\t1\t2\t1234\td\x01\tt\te",
		"a.service\tloadedloadedloaded\tactive\trunning\tsuccess\t1\t2\t1234\td\tt\te",
	};
	for (size_t i = 0; i < T_LEN(bad); i++)
		t_check(ctl_parse_status(bad[i], strlen(bad[i]), &p, &why) == -EINVAL, "bad status %zu", i);
	buf_free(&b);
}

T_TEST(notify_messages)
{
	struct notify_msg m;
	t_check(!notify_parse("READY=1", 7, &m) && m.ready && !m.has_status, "READY=1");
	t_check(!notify_parse("READY=1\nSTATUS=half way\n", 24, &m) && m.ready && !strcmp(m.status, "half way"), "two lines");
	t_check(!notify_parse("STATUS=a\tb\x7f", 11, &m) && !strcmp(m.status, "a b ") && !m.ready, "control chars in STATUS");
	t_check(!notify_parse("READY=0\nSTOPPING=1\nWATCHDOG=1\nX_1=y", 35, &m) && !m.ready && m.stopping, "others ignored");
	char big[600];
	memcpy(big, "STATUS=", 7);
	memset(big + 7, 'x', sizeof(big) - 7);
	t_check(!notify_parse(big, sizeof(big), &m) && strlen(m.status) == NOTIFY_STATUS_MAX, "STATUS cut to the limit");
	static const char *const bad[] = {"", "READY", "=1", "ready=1", "READY=1\n\nSTATUS=x", "A B=1"};
	for (size_t i = 0; i < T_LEN(bad); i++)
		t_check(notify_parse(bad[i], strlen(bad[i]), &m) == -EINVAL, "bad message %zu", i);
	t_check(notify_parse("READY=1\0", 8, &m) == -EINVAL, "NUL refused");
	char *huge = calloc(1, NOTIFY_MSG_MAX + 2);
	memset(huge, 'A', NOTIFY_MSG_MAX + 1);
	huge[1] = '=';
	t_check(notify_parse(huge, NOTIFY_MSG_MAX + 1, &m) == -EINVAL, "over-long message");
	free(huge);
}

T_TEST(notify_socket_roundtrip)
{
	char path[300];
	struct kerr e = {0};
	snprintf(path, sizeof(path), "%s/notify.sock", t_tmpdir());
	int fd = notify_bind(path, &e);
	t_check(fd >= 0, "bind: %s", e.msg);
	if (fd < 0)
		return;
	struct stat st;
	t_check(!stat(path, &st) && (st.st_mode & 0777) == 0666, "socket mode 0666");
	struct notify_msg m;
	t_check(notify_recv(fd, &m) == -EAGAIN, "nothing yet");
	t_check(!notify_send(path, "READY=1\nSTATUS=hi", 17, 0, &e), "send without waiting: %s", e.msg);
	t_check(!notify_recv(fd, &m) && m.ready && m.pid == getpid() && !strcmp(m.status, "hi") && !m.nfds,
		"received with credentials");
	/* the barrier: the sender waits until the receiver has the message and closes its fd */
	pid_t c = fork();
	if (c == 0)
		_exit(notify_send(path, "READY=1", 7, 5000, NULL) ? 1 : 0);
	struct pollfd p = {fd, POLLIN, 0};
	t_check(poll(&p, 1, 5000) == 1, "message arrives");
	int status;
	usleep(100000);
	t_check(waitpid(c, &status, WNOHANG) == 0, "sender still waiting before we processed it");
	t_check(!notify_recv(fd, &m) && m.pid == c && m.nfds == 1, "received from the child, with the barrier");
	usleep(100000);
	t_check(waitpid(c, &status, WNOHANG) == 0, "sender still waiting until the message is done");
	struct fdsink sink;
	fdsink_init(&sink);
	fdsink_put(&sink, m.fds, (size_t)m.nfds);
	t_check(!fdsink_flush(&sink) && sink.nkids == 1, "the barrier goes to a sink child");
	t_check(waitpid(c, &status, 0) == c && WIFEXITED(status) && !WEXITSTATUS(status), "sender released");
	t_check(notify_send(path, "READY=1", 7, 200, &e) == -ETIMEDOUT, "no receiver processing: times out");
	notify_recv(fd, &m);
	fdsink_put(&sink, m.fds, (size_t)m.nfds);
	fdsink_flush(&sink);
	sink_reap(&sink);
	t_check(notify_send("relative", "READY=1", 7, 0, &e) == -EINVAL, "relative path refused");
	t_check(notify_send(path, "", 0, 0, &e) == -EINVAL, "empty message refused");
	/* an over-long datagram is dropped, not cut */
	int s = socket(AF_UNIX, SOCK_DGRAM, 0);
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	strcpy(sa.sun_path, path);
	char *huge = malloc(NOTIFY_MSG_MAX + 100);
	memset(huge, 'A', NOTIFY_MSG_MAX + 100);
	huge[1] = '=';
	sendto(s, huge, NOTIFY_MSG_MAX + 100, 0, (struct sockaddr *)&sa, sizeof(sa));
	t_check(notify_recv(fd, &m) == -EINVAL && !m.nfds, "over-long datagram dropped");
	free(huge);
	/* descriptors come back with a message that is dropped (the caller lets go of them), all of
	 * them: the control buffer has room for SCM_MAX_FD, nothing is truncated (and released) */
	int many[NOTIFY_FDS_MAX];
	for (int i = 0; i < NOTIFY_FDS_MAX; i++)
		many[i] = open("/dev/null", O_RDONLY | O_CLOEXEC);
	union {
		char buf[CMSG_SPACE(sizeof(many))];
		struct cmsghdr align;
	} ctl;
	memset(&ctl, 0, sizeof(ctl));
	struct iovec iov = {"READY", 5};
	struct msghdr mh = {.msg_name = &sa, .msg_namelen = sizeof(sa), .msg_iov = &iov, .msg_iovlen = 1,
		.msg_control = ctl.buf, .msg_controllen = sizeof(ctl.buf)};
	struct cmsghdr *cm = CMSG_FIRSTHDR(&mh);
	cm->cmsg_level = SOL_SOCKET;
	cm->cmsg_type = SCM_RIGHTS;
	cm->cmsg_len = CMSG_LEN(sizeof(many));
	memcpy(CMSG_DATA(cm), many, sizeof(many));
	/* the raw call: musl's sendmsg() takes at most 1024 bytes of control data (252 descriptors) */
	t_check(syscall(SYS_sendmsg, s, &mh, 0) == 5, "253 descriptors sent");
	for (int i = 0; i < NOTIFY_FDS_MAX; i++)
		close(many[i]);
	t_check(notify_recv(fd, &m) == -EINVAL && m.nfds == NOTIFY_FDS_MAX, "malformed, with all 253 descriptors: %d", m.nfds);
	bool cloexec = true;
	for (int i = 0; i < m.nfds; i++)
		cloexec &= fcntl(m.fds[i], F_GETFD) == FD_CLOEXEC;
	t_check(cloexec, "received close-on-exec");
	fdsink_put(&sink, m.fds, (size_t)m.nfds);
	t_check(!fdsink_flush(&sink), "handed over");
	sink_reap(&sink);
	close(s);
	close(fd);
}

static long long now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* A TCP socket over loopback whose last close() blocks: unsent data, a peer that never reads
 * (never accepted), SO_LINGER {1, 10^9 s}. *lfd is the listener (close it to end the linger). */
static int lingering_socket(int *lfd)
{
	struct sockaddr_in sin = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t slen = sizeof(sin);
	int small = 4096, fd;
	struct linger lg = {1, 1000000000};
	char junk[4096] = {0};
	*lfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (*lfd < 0 || setsockopt(*lfd, SOL_SOCKET, SO_RCVBUF, &small, sizeof(small)) ||
		bind(*lfd, (struct sockaddr *)&sin, sizeof(sin)) || listen(*lfd, 4) || getsockname(*lfd, (struct sockaddr *)&sin, &slen))
		return -1;
	if ((fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0)) < 0 ||
		setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &small, sizeof(small)))
		return -1;
	if (connect(fd, (struct sockaddr *)&sin, sizeof(sin)) && errno != EINPROGRESS)
		return -1;
	struct pollfd p = {fd, POLLOUT, 0};
	poll(&p, 1, 1000);
	for (int idle = 0; idle < 4;) {
		if (send(fd, junk, sizeof(junk), MSG_NOSIGNAL) > 0)
			idle = 0;
		else
			idle++, usleep(2000);
	}
	return setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg)) ? -1 : fd;
}

T_TEST(fdsink_never_blocks)
{
	struct fdsink s;
	int lfd, status;
	fdsink_init(&s);
	/* the forged input: a socket whose close here would block for 10^9 s */
	int fd = lingering_socket(&lfd);
	t_check(fd >= 0, "lingering socket: %s", strerror(errno));
	long long t0 = now_ms();
	fdsink_put(&s, &fd, 1);
	t_check(!fdsink_flush(&s) && s.nkids == 1 && !s.nheld, "handed to one child");
	t_check(now_ms() - t0 < 500, "without waiting for it (%lld ms)", now_ms() - t0);
	t_check(fcntl(fd, F_GETFD) < 0 && errno == EBADF, "our descriptor is closed");
	pid_t kid = s.kids[0];
	t_check(waitpid(kid, &status, 0) == kid && WIFEXITED(status) && !WEXITSTATUS(status), "the child exits (no linger on exit)");
	t_check(fdsink_reaped(&s, kid) && !s.nkids && !fdsink_reaped(&s, kid), "and is known as ours once");
	close(lfd);

	/* the good input: pipes' write ends; their readers see EOF once the child is gone */
	enum { N = 300 }; /* more than one message carries: two children */
	static int r[N], w[N];
	for (int i = 0; i < N; i++) {
		int p[2];
		if (pipe2(p, O_CLOEXEC))
			abort();
		r[i] = p[0];
		w[i] = p[1];
	}
	fdsink_put(&s, w, N);
	t_check(s.nheld == N && !fdsink_busy(&s), "held until flushed; room for more");
	t_check(!fdsink_flush(&s) && s.nkids == 2 && s.handed == 1 + N, "300 in two parcels (252 + 48): %zu children", s.nkids);
	sink_reap(&s);
	bool eof = true;
	for (int i = 0; i < N; i++) {
		struct pollfd p = {r[i], POLLIN, 0};
		eof &= poll(&p, 1, 1000) == 1 && (p.revents & POLLHUP);
		close(r[i]);
	}
	t_check(eof, "every write end closed");

	/* children at their maximum: held, busy, handed over once one is reaped */
	for (size_t i = 0; i < FDSINK_CHILDREN_MAX; i++)
		s.kids[s.nkids++] = 1000000 + (pid_t)i; /* stand-ins */
	int p[2];
	pipe2(p, O_CLOEXEC);
	fdsink_put(&s, &p[1], 1);
	t_check(fdsink_flush(&s) == -EBUSY && s.nheld == 1 && fdsink_busy(&s), "too many children: held, busy");
	struct pollfd pp = {p[0], POLLIN, 0};
	t_check(poll(&pp, 1, 100) == 0, "still open");
	t_check(fdsink_reaped(&s, 1000000) && !fdsink_busy(&s), "one reaped: not busy");
	t_check(!fdsink_flush(&s) && !s.nheld, "then handed over");
	s.nkids = 0; /* drop the stand-ins; keep the real one */
	for (size_t i = 0; i < FDSINK_CHILDREN_MAX; i++)
		if (s.kids[i] < 1000000)
			s.kids[s.nkids++] = s.kids[i];
	sink_reap(&s);
	t_check(poll(&pp, 1, 1000) == 1 && (pp.revents & POLLHUP), "and closed");
	close(p[0]);
	int neg = -1;
	fdsink_put(&s, &neg, 1);
	t_check(!s.nheld && !fdsink_flush(&s) && !s.nkids, "negative entries skipped, nothing to do");
}

static void write_file(const char *dir, const char *name, const char *text)
{
	char path[600];
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	FILE *f = fopen(path, "w");
	if (!f || fputs(text, f) < 0 || fclose(f))
		abort();
}

T_TEST(ids_lookup)
{
	char root[400], etc[450];
	snprintf(root, sizeof(root), "%s/idroot", t_tmpdir());
	snprintf(etc, sizeof(etc), "%s/etc", root);
	mkdir(root, 0755);
	mkdir(etc, 0755);
	write_file(etc, "passwd", "root:x:0:0:root:/root:/bin/sh\n# comment\nwww:x:33:33:web:/var/www:/usr/sbin/nologin\n"
				       "app:x:1000:1000::/home/app:/bin/sh\n");
	write_file(etc, "group", "root:x:0:\nwww:x:33:\naudio:x:29:app,www\nvideo:x:44:app\napp:x:1000:\n");
	int rootfd = open(root, O_PATH | O_DIRECTORY);
	struct id_user u;
	struct kerr e = {0};
	gid_t g, groups[IDS_GROUPS_MAX];
	size_t n;
	t_check(!ids_user(rootfd, "www", &u, &e) && u.uid == 33 && u.gid == 33 && !strcmp(u.home, "/var/www"), "by name");
	t_check(!ids_user(rootfd, "1000", &u, &e) && !strcmp(u.name, "app") && u.listed, "by number");
	t_check(!ids_user(rootfd, "4242", &u, &e) && u.uid == 4242 && u.gid == 4242 && !u.listed, "unlisted number");
	t_check(ids_user(rootfd, "nobody", &u, &e) == -ENOENT && strstr(e.msg, "nobody"), "unknown name: %s", e.msg);
	t_check(!ids_group(rootfd, "audio", &g, &e) && g == 29, "group by name");
	t_check(!ids_group(rootfd, "77", &g, &e) && g == 77, "unlisted group number");
	t_check(ids_group(rootfd, "wheel", &g, &e) == -ENOENT, "unknown group");
	t_check(!ids_user_groups(rootfd, "app", 1000, groups, &n, &e) && n == 3 && groups[0] == 1000 && groups[1] == 29 &&
			groups[2] == 44,
		"supplementary groups: %zu", n);
	write_file(etc, "passwd", "root:x:0:0:root:/root:/bin/sh\nbroken:x:abc:0::/:/bin/sh\nbad2:x:5:-1::/:/bin/sh\n");
	t_check(ids_user(rootfd, "broken", &u, &e) == -EINVAL && strstr(e.msg, "/etc/passwd: entry broken"), "bad uid: %s", e.msg);
	t_check(ids_user(rootfd, "bad2", &u, &e) == -EINVAL, "bad gid");
	t_check(!ids_user(rootfd, "0", &u, &e) && !strcmp(u.name, "root"), "the bad entries do not hide good ones");
	write_file(etc, "passwd", "root:x:0:0:root:/root\n");
	t_check(ids_user(rootfd, "root", &u, &e) == -ENOENT, "6 fields: not an entry (%s)", e.msg);
	write_file(etc, "group", "g:x:1\nh:x:zz:\n");
	t_check(ids_group(rootfd, "g", &g, &e) == -ENOENT, "3 group fields: not an entry");
	t_check(ids_group(rootfd, "h", &g, &e) == -EINVAL && strstr(e.msg, "entry h"), "bad gid: %s", e.msg);
	unlink(etc);
	char gp[500];
	snprintf(gp, sizeof(gp), "%s/group", etc);
	unlink(gp);
	t_check(ids_group(rootfd, "g", &g, &e) == -ENOENT && strstr(e.msg, "/etc/group"), "missing file: %s", e.msg);
	close(rootfd);
}

T_TEST(hostname_file)
{
	char out[HOSTNAME_MAX + 1];
	static const struct { const char *in, *out; } cases[] = {
		{"host1\n", "host1"}, {"  web-01.example.org  \nignored\n", "web-01.example.org"}, {"h\r\n", "h"},
		{"", NULL}, {"\n", NULL}, {"-bad\n", NULL}, {"a b\n", NULL}, {"h\xc3\xa9\n", NULL},
		{"a_b\n", NULL},
		{"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\n", NULL}, /* 65 */
	};
	for (size_t i = 0; i < T_LEN(cases); i++) {
		int ret = host_parse_hostname(cases[i].in, strlen(cases[i].in), out);
		if (cases[i].out)
			t_check(!ret && !strcmp(out, cases[i].out), "hostname %zu", i);
		else
			t_check(ret == -EINVAL, "hostname %zu refused", i);
	}
}

/* Read a small file below dir into out (NUL-terminated, newline kept); "" if unreadable. */
static const char *slurp(const char *dir, const char *name)
{
	static char out[64];
	char path[600];
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n = fd >= 0 ? read(fd, out, sizeof(out) - 1) : -1;
	if (fd >= 0)
		close(fd);
	out[n > 0 ? n : 0] = 0;
	return out;
}

T_TEST(host_sysctl_defaults)
{
	char dir[400], sub[500];
	snprintf(dir, sizeof(dir), "%s/procsys", t_tmpdir());
	static const char *const dirs[] = {"", "fs", "kernel", "kernel/yama", "net", "net/core", "net/ipv4", "net/ipv4/conf",
		"net/ipv4/conf/default", "net/ipv4/conf/all", "net/ipv6", "net/ipv6/conf", "net/ipv6/conf/all",
		"net/ipv6/conf/default"};
	for (size_t i = 0; i < T_LEN(dirs); i++) {
		snprintf(sub, sizeof(sub), "%s/%s", dir, dirs[i]);
		mkdir(sub, 0755);
	}
	for (size_t i = 0; i < host_nsysctls; i++)
		write_file(dir, host_sysctls[i].path, "0\n");
	/* the forged knobs: one this kernel lacks, one that is a directory, one a symlink */
	snprintf(sub, sizeof(sub), "%s/kernel/sysrq", dir);
	unlink(sub);
	snprintf(sub, sizeof(sub), "%s/kernel/pid_max", dir);
	unlink(sub);
	mkdir(sub, 0755);
	snprintf(sub, sizeof(sub), "%s/kernel/core_uses_pid", dir);
	unlink(sub);
	write_file(dir, "elsewhere", "0\n");
	symlink("../elsewhere", sub);
	t_check(host_sysctl(dir) == 3, "three not written, the rest did not stop");
	static const struct { const char *path, *want; } want[] = {
		{"fs/protected_hardlinks", "1"}, {"fs/protected_symlinks", "1"}, {"fs/protected_fifos", "1"},
		{"fs/protected_regular", "2"}, {"kernel/kptr_restrict", "1"}, {"kernel/dmesg_restrict", "1"},
		{"net/ipv4/conf/default/rp_filter", "2"}, {"net/ipv4/conf/default/accept_source_route", "0"},
		{"net/ipv4/conf/default/promote_secondaries", "1"}, {"elsewhere", "0\n"},
		{"net/core/bpf_jit_harden", "2"}, {"kernel/kexec_load_disabled", "1"}, {"kernel/yama/ptrace_scope", "1"},
		{"net/ipv4/conf/all/rp_filter", "1"}, {"net/ipv6/conf/all/accept_redirects", "0"},
		{"net/ipv4/conf/all/log_martians", "1"},
	};
	for (size_t i = 0; i < T_LEN(want); i++)
		t_check(!strcmp(slurp(dir, want[i].path), want[i].want), "%s: '%s'", want[i].path, slurp(dir, want[i].path));
	snprintf(sub, sizeof(sub), "%s/absent", dir);
	t_check(host_sysctl(sub) == (int)host_nsysctls, "no /proc/sys: nothing written, not fatal");
}

T_TEST(spawn_status_pipe)
{
	char *argv[] = {"sh", "-c", "echo out; echo err >&2; exit 7", NULL};
	char *envp[] = {"PATH=/usr/bin:/bin", NULL};
	int p[2];
	pipe(p);
	struct spawn s = {.path = "sh", .argv = argv, .envp = envp, .search_path = "/nonexistent:/usr/bin:/bin",
		.out_fd = p[1], .cgroup_fd = -1};
	pid_t pid;
	int errfd, status;
	struct kerr e = {0};
	struct spawn_err se;
	t_check(!spawn_start(&s, &pid, &errfd, &e), "spawn: %s", e.msg);
	close(p[1]);
	t_check(waitpid(pid, &status, 0) == pid && WIFEXITED(status) && WEXITSTATUS(status) == 7, "exit status 7");
	t_check(spawn_result(errfd, &se) == 0, "execve succeeded (EOF on the status pipe)");
	close(errfd);
	char buf[64] = "";
	ssize_t n = read(p[0], buf, sizeof(buf) - 1);
	t_check(n == 8 && !strcmp(buf, "out\nerr\n"), "stdout and stderr into the pipe: '%s'", buf);
	close(p[0]);

	s.path = "/nonexistent/program";
	s.out_fd = -1;
	t_check(!spawn_start(&s, &pid, &errfd, &e), "spawn 2");
	t_check(waitpid(pid, &status, 0) == pid && WEXITSTATUS(status) == STEP_EXEC, "exec failure exit status");
	t_check(spawn_result(errfd, &se) == 1 && se.step == STEP_EXEC && se.err == ENOENT, "exec failure reported");
	close(errfd);

	s.path = "/bin/true";
	s.cwd = "/nonexistent-dir";
	t_check(!spawn_start(&s, &pid, &errfd, &e), "spawn 3");
	waitpid(pid, &status, 0);
	t_check(spawn_result(errfd, &se) == 1 && se.step == STEP_CHDIR, "chdir failure reported");
	close(errfd);
	s.cwd_optional = true;
	t_check(!spawn_start(&s, &pid, &errfd, &e), "spawn 4");
	waitpid(pid, &status, 0);
	t_check(WIFEXITED(status) && !WEXITSTATUS(status) && spawn_result(errfd, &se) == 0, "optional cwd tolerated");
	close(errfd);
}

/* ---- the supervisor's decisions: restart, backoff, start limit, ordering ---------------------- */

/* Restart= × how the run ended. The columns are the results a process's end gives. */
T_TEST(svc_restart_decision)
{
	static const enum svc_result res[] = {RES_SUCCESS, RES_EXIT_CODE, RES_SIGNAL, RES_CORE_DUMP, RES_TIMEOUT};
	static const struct { enum restart_mode mode; const char *want; } cases[] = {
		/* success exit-code signal core-dump timeout */
		{RESTART_NO, "00000"},
		{RESTART_ALWAYS, "11111"},
		{RESTART_ON_SUCCESS, "10000"},
		{RESTART_ON_FAILURE, "01111"},
		{RESTART_ON_ABNORMAL, "00111"},
		{RESTART_ON_ABORT, "00110"},
	};
	for (size_t i = 0; i < T_LEN(cases); i++)
		for (size_t j = 0; j < T_LEN(res); j++)
			t_check(svc_should_restart(cases[i].mode, res[j]) == (cases[i].want[j] == '1'),
				"Restart=%s, result %zu: want %c", restart_name(cases[i].mode), j, cases[i].want[j]);
	/* results that are no process's end never restart, not even with Restart=always */
	static const enum svc_result never[] = {RES_START_LIMIT, RES_DEPENDENCY, RES_CYCLE, RES_LOAD, RES_CANCELED};
	for (size_t j = 0; j < T_LEN(never); j++)
		t_check(!svc_should_restart(RESTART_ALWAYS, never[j]) && !svc_should_restart(RESTART_ON_FAILURE, never[j]),
			"result %d must not restart", (int)never[j]);
}

/* A wait status (exit code, signal, core dump) through to the restart decision. */
T_TEST(svc_exit_status_restart)
{
#define EXITED(n) ((n) << 8)
#define KILLED(sig) (sig)
#define CORED(sig) ((sig) | 0x80)
	static const struct {
		int status;
		enum svc_result res;
		const char *what;
		bool on_failure, on_abnormal, on_success;
	} cases[] = {
		{EXITED(0), RES_SUCCESS, "exited with status 0", false, false, true},
		{EXITED(1), RES_EXIT_CODE, "exited with status 1", true, false, false},
		{EXITED(255), RES_EXIT_CODE, "exited with status 255", true, false, false},
		{KILLED(SIGTERM), RES_SUCCESS, "killed by signal 15", false, false, true}, /* a clean stop */
		{KILLED(SIGHUP), RES_SUCCESS, "killed by signal 1", false, false, true},
		{KILLED(SIGPIPE), RES_SUCCESS, "killed by signal 13", false, false, true},
		{KILLED(SIGKILL), RES_SIGNAL, "killed by signal 9", true, true, false},
		{KILLED(SIGABRT), RES_SIGNAL, "killed by signal 6", true, true, false},
		{CORED(SIGSEGV), RES_CORE_DUMP, "killed by signal 11 (core dumped)", true, true, false},
	};
	for (size_t i = 0; i < T_LEN(cases); i++) {
		char what[64];
		enum svc_result r = svc_exit_result(cases[i].status, what, sizeof(what));
		t_check(r == cases[i].res && !strcmp(what, cases[i].what), "status %#x: result %d (%s)", cases[i].status,
			(int)r, what);
		t_check(svc_should_restart(RESTART_ON_FAILURE, r) == cases[i].on_failure &&
				svc_should_restart(RESTART_ON_ABNORMAL, r) == cases[i].on_abnormal &&
				svc_should_restart(RESTART_ON_SUCCESS, r) == cases[i].on_success,
			"status %#x: restart decisions", cases[i].status);
	}
#undef EXITED
#undef KILLED
#undef CORED
}

T_TEST(svc_restart_backoff)
{
	const uint64_t ms = 1000, inf = UINT64_MAX;
	static const struct { uint64_t base, max; unsigned backoff; uint64_t want; } cases[] = {
		{100, 60000, 0, 100},      /* the first restart waits RestartSec= */
		{100, 60000, 1, 200},
		{100, 60000, 2, 400},
		{100, 60000, 9, 51200},
		{100, 60000, 10, 60000},   /* 102.4 s capped at RestartMaxDelaySec= */
		{100, 60000, 200, 60000},  /* no overflow however long it goes on */
		{100, 60000, ~0u, 60000},
		{5000, 1000, 3, 5000},     /* a cap below RestartSec= is RestartSec= */
		{0, 60000, 5, 0},          /* RestartSec=0: at once, every time */
	};
	for (size_t i = 0; i < T_LEN(cases); i++) {
		struct unit u = {.restart_usec = cases[i].base * ms, .restart_max_usec = cases[i].max * ms};
		uint64_t d = svc_restart_delay(&u, cases[i].backoff);
		t_check(d == cases[i].want * ms, "case %zu: RestartSec=%llums backoff %u: %llu us", i,
			(unsigned long long)cases[i].base, cases[i].backoff, (unsigned long long)d);
	}
	/* RestartSec=infinity stays infinity (after_usec() then sets no timer) */
	struct unit u = {.restart_usec = inf, .restart_max_usec = 60000 * ms};
	t_check(svc_restart_delay(&u, 0) == inf && svc_restart_delay(&u, 7) == inf, "RestartSec=infinity");
	/* RestartMaxDelaySec=infinity: the doubling must not wrap around to 0 (restart at once) */
	u = (struct unit){.restart_usec = 100 * ms, .restart_max_usec = inf};
	t_check(svc_restart_delay(&u, 10) == 102400 * ms, "RestartMaxDelaySec=infinity, backoff 10");
	t_check(svc_restart_delay(&u, 100) == inf && svc_restart_delay(&u, 1000) == inf, "no wrap-around");
	/* the backoff starts over after StartLimitIntervalSec= up (10 s when 0) */
	struct unit w = {.start_limit_interval = 30000 * ms};
	t_check(svc_backoff_settled(&w, 30000 * ms) && !svc_backoff_settled(&w, 30000 * ms - 1), "settles at 30 s");
	w.start_limit_interval = 0;
	t_check(svc_backoff_settled(&w, 10000 * ms) && !svc_backoff_settled(&w, 9999 * ms), "settles at 10 s by default");
}

T_TEST(svc_start_limit)
{
	const uint64_t s1 = 1000000;
	struct svc s;
	memset(&s, 0, sizeof(s));
	s.u.start_limit_burst = 3;
	s.u.start_limit_interval = 10 * s1;
	/* starts at 1 s, 2 s, 3 s are within the burst; the fourth within 10 s is one too many */
	t_check(!svc_start_limit_hit(&s, 1 * s1) && !svc_start_limit_hit(&s, 2 * s1) && !svc_start_limit_hit(&s, 3 * s1),
		"three starts in the burst");
	t_check(svc_start_limit_hit(&s, 4 * s1), "the fourth start in 10 s hits the limit");
	t_check(svc_start_limit_hit(&s, 11 * s1 - 1), "still within the window");
	t_check(!svc_start_limit_hit(&s, 11 * s1), "a new window once 10 s passed");
	/* no limit when either is 0 */
	memset(&s, 0, sizeof(s));
	s.u.start_limit_burst = 0;
	s.u.start_limit_interval = 10 * s1;
	bool hit = false;
	for (int i = 1; i <= 100; i++)
		hit |= svc_start_limit_hit(&s, (uint64_t)i);
	t_check(!hit, "StartLimitBurst=0: no limit");
	memset(&s, 0, sizeof(s));
	s.u.start_limit_burst = 1;
	for (int i = 1; i <= 100; i++)
		hit |= svc_start_limit_hit(&s, (uint64_t)i);
	t_check(!hit, "StartLimitIntervalSec=0: no limit");
	/* burst 1: the second start within the window is refused */
	memset(&s, 0, sizeof(s));
	s.u.start_limit_burst = 1;
	s.u.start_limit_interval = s1;
	t_check(!svc_start_limit_hit(&s, 5) && svc_start_limit_hit(&s, 6), "StartLimitBurst=1");
}

static void cat(char *out, size_t n, const char *s)
{
	size_t l = strlen(out);
	snprintf(out + l, n - l, "%s", s);
}

/* Units written beneath a fresh root, loaded by a struct jobs that runs nothing (no cgroups,
 * no epoll set): files is "name\ncontents\0name\ncontents\0…\0". */
static int jobs_with(struct jobs *m, const char *files)
{
	char dir[600];
	struct kerr e = {0};
	static int seq;
	snprintf(dir, sizeof(dir), "%s/jobs%d", t_tmpdir(), seq++);
	const char *parts[] = {"", "/etc", "/etc/systemd", "/etc/systemd/system"};
	for (size_t i = 0; i < T_LEN(parts); i++) {
		char p[700];
		snprintf(p, sizeof(p), "%s%s", dir, parts[i]);
		if (mkdir(p, 0755))
			return -errno;
	}
	char sys[700];
	snprintf(sys, sizeof(sys), "%s/etc/systemd/system", dir);
	for (const char *f = files; *f; f += strlen(f) + 1) {
		const char *nl = strchr(f, '\n');
		char name[128];
		snprintf(name, sizeof(name), "%.*s", (int)(nl - f), f);
		write_file(sys, name, nl + 1);
	}
	struct jobs_opts o = {.root = dir, .notify_path = "/run/notify"};
	return jobs_init(m, &o, -1, &e);
}

/* Start (or stop) one unit's job and let the jobs run in waves: every job that may begin at
 * once does, and all finish before the next wave. The answer is the waves, separated by '|',
 * names in a wave by position; a start that fails on a dependency is "!name". */
static void jobs_waves(struct jobs *m, const char *unit, enum job_type t, char *out, size_t n)
{
	struct kerr e = {0};
	uint64_t id;
	struct svc *s = jobs_get(m, unit, &e);
	out[0] = 0;
	if (!s || jobs_enqueue(m, s, t, true, &id)) {
		snprintf(out, n, "enqueue failed");
		return;
	}
	for (int round = 0; round < 32; round++) {
		bool go[SVC_MAX] = {0};
		int rd[SVC_MAX] = {0};
		size_t any = 0;
		for (size_t i = 0; i < m->n; i++) {
			struct svc *x = m->v[i];
			if (x->job == JOB_NONE)
				continue;
			if (t == JOB_STOP)
				go[i] = jobs_stop_ready(m, x);
			else if ((rd[i] = jobs_start_ready(m, x)) != 0)
				go[i] = true;
			any += go[i];
		}
		if (!any)
			break;
		if (out[0])
			cat(out, n, "|");
		bool first = true;
		for (size_t i = 0; i < m->n; i++) {
			if (!go[i])
				continue;
			struct svc *x = m->v[i];
			char w[UNIT_NAME_MAX + 4];
			snprintf(w, sizeof(w), "%s%s%.*s", first ? "" : " ", rd[i] < 0 ? "!" : "",
				(int)(strchr(x->name, '.') - x->name), x->name);
			cat(out, n, w);
			first = false;
			x->job = JOB_NONE;
			x->active = t == JOB_STOP ? ACT_INACTIVE : rd[i] < 0 ? ACT_FAILED : ACT_ACTIVE;
			x->done_ok = rd[i] >= 0;
		}
	}
	for (size_t i = 0; i < m->n; i++)
		if (m->v[i]->job != JOB_NONE)
			cat(out, n, " (jobs left)");
}

T_TEST(jobs_start_order)
{
	static const struct { const char *files, *goal, *want; } cases[] = {
		/* After= chains: one wave each */
		{"a.service\n[Unit]\nRequires=b.service\nAfter=b.service\n[Service]\nExecStart=/bin/true\n\0"
		 "b.service\n[Unit]\nRequires=c.service\nAfter=c.service\n[Service]\nExecStart=/bin/true\n\0"
		 "c.service\n[Service]\nExecStart=/bin/true\n\0",
			"a.service", "c|b|a"},
		/* the same by Before= */
		{"a.service\n[Unit]\nWants=b.service c.service\n[Service]\nExecStart=/bin/true\n\0"
		 "b.service\n[Unit]\nBefore=a.service\n[Service]\nExecStart=/bin/true\n\0"
		 "c.service\n[Unit]\nBefore=b.service\n[Service]\nExecStart=/bin/true\n\0",
			"a.service", "c|b|a"},
		/* Requires= and Wants= without After=: no order, all at once */
		{"a.service\n[Unit]\nRequires=b.service\nWants=c.service\n[Service]\nExecStart=/bin/true\n\0"
		 "b.service\n[Service]\nExecStart=/bin/true\n\0"
		 "c.service\n[Service]\nExecStart=/bin/true\n\0",
			"a.service", "a b c"},
		/* a target comes up after what it wants… */
		{"t.target\n[Unit]\nWants=x.service y.service\n\0"
		 "x.service\n[Service]\nExecStart=/bin/true\n\0"
		 "y.service\n[Unit]\nAfter=x.service\n[Service]\nExecStart=/bin/true\n\0",
			"t.target", "x|y|t"},
		/* …unless the unit is explicitly ordered after the target */
		{"t.target\n[Unit]\nWants=x.service\n\0"
		 "x.service\n[Unit]\nAfter=t.target\n[Service]\nExecStart=/bin/true\n\0",
			"t.target", "t|x"},
		/* ordering alone pulls nothing in: After= on a unit without a job does not wait */
		{"a.service\n[Unit]\nAfter=b.service\n[Service]\nExecStart=/bin/true\n\0"
		 "b.service\n[Service]\nExecStart=/bin/true\n\0",
			"a.service", "a"},
		/* a required unit that is missing fails the start; a wanted one is skipped */
		{"a.service\n[Unit]\nRequires=nope.service\n[Service]\nExecStart=/bin/true\n\0"
		 "b.service\n[Unit]\nWants=nope.service\nAfter=nope.service\n[Service]\nExecStart=/bin/true\n\0",
			"a.service", "!a"},
		{"a.service\n[Unit]\nRequires=nope.service\n[Service]\nExecStart=/bin/true\n\0"
		 "b.service\n[Unit]\nWants=nope.service\nAfter=nope.service\n[Service]\nExecStart=/bin/true\n\0",
			"b.service", "b"},
	};
	for (size_t i = 0; i < T_LEN(cases); i++) {
		struct jobs m;
		char got[256];
		int ret = jobs_with(&m, cases[i].files);
		t_check(ret == 0, "case %zu: jobs_init: %d", i, ret);
		if (ret)
			continue;
		jobs_waves(&m, cases[i].goal, JOB_START, got, sizeof(got));
		t_check(!strcmp(got, cases[i].want), "case %zu: start %s: \"%s\", want \"%s\"", i, cases[i].goal, got,
			cases[i].want);
		jobs_free(&m);
	}
}

/* A required unit ordered before that fails fails its dependents; one that is not ordered
 * before does not (they start together). */
T_TEST(jobs_required_failed)
{
	static const struct { const char *after; int want; } cases[] = {
		{"After=b.service\n", -1},
		{"", 1},
	};
	for (size_t i = 0; i < T_LEN(cases); i++) {
		char files[512];
		struct jobs m;
		struct kerr e = {0};
		uint64_t id;
		int n = snprintf(files, sizeof(files),
			"a.service\n[Unit]\nRequires=b.service\n%s[Service]\nExecStart=/bin/true\n%c"
			"b.service\n[Service]\nExecStart=/bin/false\n%c",
			cases[i].after, 0, 0);
		files[n] = 0;
		int ret = jobs_with(&m, files);
		t_check(ret == 0, "case %zu: jobs_init: %d", i, ret);
		if (ret)
			continue;
		struct svc *a = jobs_get(&m, "a.service", &e), *b;
		t_check(a && jobs_enqueue(&m, a, JOB_START, true, &id) == 0, "case %zu: enqueue", i);
		b = jobs_find(&m, "b.service");
		t_check(b && b->job == JOB_START, "case %zu: Requires= pulls b in", i);
		if (!a || !b) {
			jobs_free(&m);
			continue;
		}
		b->job = JOB_NONE; /* b ran and failed */
		b->active = ACT_FAILED;
		b->result = RES_EXIT_CODE;
		int r = jobs_start_ready(&m, a);
		t_check(r == cases[i].want, "case %zu: a's start: %d, want %d (%s)", i, r, cases[i].want, a->error);
		if (cases[i].want < 0)
			t_check(strstr(a->error, "b.service did not start") != NULL, "case %zu: says why: %s", i, a->error);
		jobs_free(&m);
	}
}

T_TEST(jobs_stop_order)
{
	static const struct { const char *files, *stop, *want; } cases[] = {
		/* stopping b stops a (Requires=b) first: it is ordered after b */
		{"a.service\n[Unit]\nRequires=b.service\nAfter=b.service\n[Service]\nExecStart=/bin/true\n\0"
		 "b.service\n[Unit]\nRequires=c.service\nAfter=c.service\n[Service]\nExecStart=/bin/true\n\0"
		 "c.service\n[Service]\nExecStart=/bin/true\n\0",
			"c.service", "a|b|c"},
		/* Wants= does not propagate a stop */
		{"a.service\n[Unit]\nWants=b.service\nAfter=b.service\n[Service]\nExecStart=/bin/true\n\0"
		 "b.service\n[Service]\nExecStart=/bin/true\n\0",
			"b.service", "b"},
		/* Requires= without order: both stop at once */
		{"a.service\n[Unit]\nRequires=b.service\n[Service]\nExecStart=/bin/true\n\0"
		 "b.service\n[Service]\nExecStart=/bin/true\n\0",
			"b.service", "a b"},
		/* a unit already down is not stopped again */
		{"a.service\n[Unit]\nRequires=b.service\nAfter=b.service\n[Service]\nExecStart=/bin/true\n\0"
		 "b.service\n[Service]\nExecStart=/bin/true\n\0x.service\n[Service]\nExecStart=/bin/true\n\0",
			"b.service", "b"},
	};
	for (size_t i = 0; i < T_LEN(cases); i++) {
		struct jobs m;
		struct kerr e = {0};
		char got[256];
		int ret = jobs_with(&m, cases[i].files);
		t_check(ret == 0, "case %zu: jobs_init: %d", i, ret);
		if (ret)
			continue;
		const char *names[] = {"a.service", "b.service", "c.service"};
		for (size_t k = 0; k < T_LEN(names); k++) {
			struct svc *s = jobs_get(&m, names[k], &e);
			if (s && s->load == LOAD_LOADED)
				s->active = ACT_ACTIVE; /* everything is up */
		}
		if (i == 3)
			jobs_find(&m, "a.service")->active = ACT_INACTIVE;
		jobs_waves(&m, cases[i].stop, JOB_STOP, got, sizeof(got));
		t_check(!strcmp(got, cases[i].want), "case %zu: stop %s: \"%s\", want \"%s\"", i, cases[i].stop, got,
			cases[i].want);
		jobs_free(&m);
	}
}

/* An ordering cycle marks its members (and only them) and names them in their error. */
T_TEST(jobs_cycle)
{
	static const struct { const char *files, *goal, *members, *error; } cases[] = {
		{"a.service\n[Unit]\nWants=b.service c.service\nAfter=b.service\n[Service]\nExecStart=/bin/true\n\0"
		 "b.service\n[Unit]\nAfter=a.service\n[Service]\nExecStart=/bin/true\n\0"
		 "c.service\n[Unit]\nBefore=a.service\n[Service]\nExecStart=/bin/true\n\0",
			"a.service", "ab", "ordering cycle: a.service after b.service after a.service"},
		/* three long, through Before= */
		{"a.service\n[Unit]\nWants=b.service c.service\nAfter=b.service\n[Service]\nExecStart=/bin/true\n\0"
		 "b.service\n[Unit]\nAfter=c.service\n[Service]\nExecStart=/bin/true\n\0"
		 "c.service\n[Unit]\nAfter=a.service\n[Service]\nExecStart=/bin/true\n\0",
			"a.service", "abc", "ordering cycle: a.service after b.service after c.service after a.service"},
		/* a target with an explicit order against what it wants is no cycle */
		{"t.target\n[Unit]\nWants=a.service\n\0"
		 "a.service\n[Unit]\nAfter=t.target\n[Service]\nExecStart=/bin/true\n\0",
			"t.target", "", ""},
		/* the same chain without the closing edge */
		{"a.service\n[Unit]\nWants=b.service c.service\nAfter=b.service\n[Service]\nExecStart=/bin/true\n\0"
		 "b.service\n[Unit]\nAfter=c.service\n[Service]\nExecStart=/bin/true\n\0"
		 "c.service\n[Service]\nExecStart=/bin/true\n\0",
			"a.service", "", ""},
	};
	for (size_t i = 0; i < T_LEN(cases); i++) {
		struct jobs m;
		struct kerr e = {0};
		uint64_t id;
		int ret = jobs_with(&m, cases[i].files);
		t_check(ret == 0, "case %zu: jobs_init: %d", i, ret);
		if (ret)
			continue;
		struct svc *g = jobs_get(&m, cases[i].goal, &e);
		t_check(g && jobs_enqueue(&m, g, JOB_START, true, &id) == 0 && m.n >= 2, "case %zu: enqueue", i);
		char members[16] = "";
		const char *err = "";
		for (size_t k = 0; k < m.n; k++)
			if (m.v[k]->cycle) {
				char c[2] = {m.v[k]->name[0], 0};
				cat(members, sizeof(members), c);
				err = m.v[k]->error;
				t_check(!strcmp(m.v[k]->error, cases[i].error), "case %zu: %s: \"%s\"", i, m.v[k]->name, m.v[k]->error);
			}
		t_check(!strcmp(members, cases[i].members), "case %zu: on the cycle \"%s\", want \"%s\"", i, members,
			cases[i].members);
		t_check(!*cases[i].error || !strcmp(err, cases[i].error), "case %zu: error \"%s\"", i, err);
		jobs_free(&m);
	}
}
