/* init_test.c — the pieces of keel init around the unit parser: the log ring, the control
 * protocol, sd_notify messages and sockets, /etc/passwd and /etc/group lookups, the hostname
 * file, spawning with a status pipe. Forged inputs next to good ones. */
#include "t.h"
#include "base/buf.h"
#include "init/ctl.h"
#include "base/err.h"
#include "init/ids.h"
#include "init/notify.h"
#include "init/log_ring.h"
#include "init/svc_spawn.h"
#include "init/host_setup.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

static char *ring_str(const struct ring *r)
{
	static char out[70000];
	struct buf b = BUF_INIT(sizeof(out) - 1);
	out[0] = 0;
	if (!ring_copy(r, &b) && b.len)
		memcpy(out, b.p, b.len + 1);
	buf_free(&b);
	return out;
}

T_TEST(ring_bounded)
{
	struct ring r;
	ring_init(&r, 8192);
	t_check(!strcmp(ring_str(&r), ""), "empty ring");
	ring_write(&r, "one\ntwo\n", 8);
	t_check(!strcmp(ring_str(&r), "one\ntwo\n"), "small write");
	t_check(r.cap == 4096, "starts at 4 KiB: %zu", r.cap);
	char line[100];
	for (int i = 0; i < 1000; i++) {
		int n = snprintf(line, sizeof(line), "line %04d\n", i);
		ring_write(&r, line, (size_t)n);
	}
	t_check(r.cap == 8192 && r.len == 8192, "grew to the limit and no further: cap %zu len %zu", r.cap, r.len);
	char *s = ring_str(&r);
	t_check(!strncmp(s, "line ", 5) && str_ends(s, "line 0999\n"), "oldest dropped, starts at a whole line");
	t_check(strlen(s) <= 8192 && strlen(s) > 8192 - 11, "keeps nearly the limit: %zu", strlen(s));
	/* one write larger than the whole ring keeps its tail */
	char *big = malloc(20000);
	memset(big, 'x', 20000);
	memcpy(big + 20000 - 5, "tail\n", 5);
	ring_write(&r, big, 20000);
	s = ring_str(&r);
	t_check(r.len == 8192 && str_ends(s, "xtail\n"), "huge write keeps its tail");
	free(big);
	/* exactly filling the first allocation still grows later */
	struct ring q;
	ring_init(&q, 16384);
	char blk[4096];
	memset(blk, 'a', sizeof(blk));
	ring_write(&q, blk, sizeof(blk));
	ring_write(&q, "b\n", 2);
	s = ring_str(&q);
	t_check(strlen(s) == 4098 && s[4096] == 'b', "grows after an exact fill: %zu", strlen(s));
	ring_free(&q);
	ring_free(&r);
	ring_free(NULL);
	struct ring z;
	ring_init(&z, 0);
	t_check(ring_write(&z, "x", 1) == 0 && z.len == 0, "a zero-size ring keeps nothing");
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
		{"start a.socket\n", 0, 0, NULL},
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
	struct buf b = BUF_INIT(4096);
	t_check(!ctl_format_status(&b, &s), "format");
	t_check(!strcmp((char *)b.p, "a.service\tloaded\tactive\trunning\tsuccess\t42\t2\t1234\ttab here newline\tok\t\n"),
		"formatted: %s", (char *)b.p);
	const char *why = NULL;
	t_check(!ctl_parse_status((char *)b.p, b.len - 1, &p, &why) && p.pid == 42 && !strcmp(p.description, "tab here newline"),
		"parses back");
	static const char *const bad[] = {
		"a.service\tloaded\tactive\trunning\tsuccess\t42\t2\t1234\td\tt",        /* 10 fields */
		"a.service\tloaded\tactive\trunning\tsuccess\t42\t2\t1234\td\tt\te\tx", /* 12 */
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
	notify_msg_done(&m);
	t_check(waitpid(c, &status, 0) == c && WIFEXITED(status) && !WEXITSTATUS(status), "sender released");
	t_check(notify_send(path, "READY=1", 7, 200, &e) == -ETIMEDOUT, "no receiver processing: times out");
	notify_recv(fd, &m);
	notify_msg_done(&m);
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
	t_check(notify_recv(fd, &m) == -EINVAL, "over-long datagram dropped");
	free(huge);
	close(s);
	close(fd);
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
		int ret = stage2_parse_hostname(cases[i].in, strlen(cases[i].in), out);
		if (cases[i].out)
			t_check(!ret && !strcmp(out, cases[i].out), "hostname %zu", i);
		else
			t_check(ret == -EINVAL, "hostname %zu refused", i);
	}
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
