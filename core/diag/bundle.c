/* bundle.c — keel diag bundle (bundle.h): the collectors and the runner. */
#include "diag/bundle.h"
#include "base/buf.h"
#include "base/clock.h"
#include "base/err.h"
#include "base/fs.h"
#include "base/json.h"
#include "diag/obfuscate.h"
#include "diag/redact.h"
#include "init/ctl.h"
#include "trust/hash.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

struct collector {
	const char *name, *item;
	int (*fn)(const struct diag_opts *o, int out, const char *arg);
	const char *arg;
	unsigned deadline_ms;
	unsigned cap_kib;
};

/* ---- what the children run ------------------------------------------------------------------- */

static int copy_fd(int in, int out)
{
	static char chunk[16384];
	for (;;) {
		ssize_t n = read(in, chunk, sizeof(chunk));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return errno == EAGAIN ? 0 : -errno; /* /dev/kmsg: nothing more */
		if (!n)
			return 0;
		int ret = fs_write_all(out, chunk, (size_t)n);
		if (ret)
			return ret;
	}
}

/* An absolute path (/proc, /sys, /dev) as it is; any other beneath the root. */
static int open_src(const struct diag_opts *o, const char *path, int flags)
{
	if (path[0] == '/') {
		int fd = open(path, flags | O_RDONLY | O_CLOEXEC);
		return fd < 0 ? -errno : fd;
	}
	return fs_open_beneath(o->rootfd, path, flags | O_RDONLY, 0);
}

/* arg: paths separated by '|'; the first one that opens. */
static int c_file(const struct diag_opts *o, int out, const char *arg)
{
	int ret = -ENOENT;
	char path[256];
	for (const char *p = arg; p && *p;) {
		const char *bar = strchr(p, '|');
		size_t l = bar ? (size_t)(bar - p) : strlen(p);
		if (l >= sizeof(path))
			return -ENAMETOOLONG;
		memcpy(path, p, l);
		path[l] = 0;
		int fd = open_src(o, path, !strcmp(path, "/dev/kmsg") ? O_NONBLOCK : 0);
		if (fd >= 0) {
			ret = copy_fd(fd, out);
			close(fd);
			return ret;
		}
		ret = fd;
		p = bar ? bar + 1 : NULL;
	}
	return ret;
}

/* Every regular file below directory arg (beneath the root), as "==> path <==" sections. */
static int walk(const struct diag_opts *o, int out, int dfd, const char *path, unsigned depth, const char *only)
{
	DIR *d = fdopendir(dfd);
	if (!d) {
		close(dfd);
		return -errno;
	}
	struct dirent *de;
	int ret = 0;
	while (!ret && (de = readdir(d))) {
		if (de->d_name[0] == '.' && (!de->d_name[1] || (de->d_name[1] == '.' && !de->d_name[2])))
			continue;
		char sub[512];
		if (str_fmt(sub, sizeof(sub), "%s/%s", path, de->d_name))
			continue;
		int fd = openat(dirfd(d), de->d_name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
		if (fd < 0)
			continue;
		struct stat st;
		if (fstat(fd, &st)) {
			close(fd);
		} else if (S_ISDIR(st.st_mode) && depth < (only ? 1 : 8)) {
			ret = walk(o, out, fd, sub, depth + 1, only);
		} else if (S_ISREG(st.st_mode) && (!only || !strcmp(de->d_name, only))) {
			dprintf(out, "==> %s <==\n", sub);
			ret = copy_fd(fd, out);
			dprintf(out, "\n");
			close(fd);
		} else {
			close(fd);
		}
	}
	closedir(d);
	return ret;
}

static int c_tree(const struct diag_opts *o, int out, const char *arg)
{
	int fd = open_src(o, arg, O_DIRECTORY);
	return fd < 0 ? fd : walk(o, out, fd, arg, 0, NULL);
}

/* Each container bundle's config.json (DIR/NAME/config.json; never the rootfs). */
static int c_bundles(const struct diag_opts *o, int out, const char *arg)
{
	int fd = open_src(o, arg, O_DIRECTORY);
	return fd < 0 ? fd : walk(o, out, fd, arg, 0, "config.json");
}

/* keel ARG... (words separated by spaces): this binary, its standard output into the item. */
static int c_keel(const struct diag_opts *o, int out, const char *arg)
{
	char words[128], *argv[10] = {"keel"};
	int n = 1;
	if (str_copy(words, sizeof(words), arg))
		return -ENAMETOOLONG;
	for (char *s, *w = strtok_r(words, " ", &s); w && n < 7; w = strtok_r(NULL, " ", &s))
		argv[n++] = w;
	/* diag, init and policy of the root the bundle reads */
	if (o->root[0] && (!strncmp(arg, "diag", 4) || !strncmp(arg, "init", 4) || !strncmp(arg, "policy", 6)))
		argv[n++] = "--root", argv[n++] = (char *)o->root;
	argv[n] = NULL;
	if (dup2(out, 1) < 0 || dup2(out, 2) < 0)
		return -errno;
	int null = open("/dev/null", O_RDONLY | O_CLOEXEC);
	if (null >= 0)
		dup2(null, 0);
	execv(o->self, argv);
	return -errno;
}

static int call(const struct diag_opts *o, const char *line, struct buf *reply, int tmo)
{
	char sock[512];
	struct kerr e = {0};
	if (str_fmt(sock, sizeof(sock), "%s/run/keel/init.sock", o->root))
		return -ENAMETOOLONG;
	int ret = ctl_call(sock, line, reply, tmo, &e);
	if (!ret && (reply->len < 3 || memcmp(reply->p, "OK\n", 3)))
		ret = -EPROTO;
	return ret;
}

/* keel init's status, then each unit's log ring. */
static int c_units(const struct diag_opts *o, int out, const char *arg)
{
	(void)arg;
	struct buf st = BUF_INIT(CTL_REPLY_MAX), log = BUF_INIT(CTL_REPLY_MAX);
	int ret = call(o, "status\n", &st, 2000);
	if (ret)
		goto out;
	dprintf(out, "==> status <==\n");
	fs_write_all(out, st.p + 3, st.len - 3);
	for (char *p = (char *)st.p + 3, *nl; (nl = strchr(p, '\n')); p = nl + 1) {
		char line[CTL_REQ_MAX];
		size_t ul = strcspn(p, "\t\n");
		if (ul > UNIT_NAME_MAX || str_fmt(line, sizeof(line), "log %.*s\n", (int)ul, p))
			continue;
		buf_reset(&log);
		dprintf(out, "==> log %.*s <==\n", (int)ul, p);
		if (!call(o, line, &log, 2000))
			fs_write_all(out, log.p + 3, log.len - 3);
	}
out:
	buf_free(&st);
	buf_free(&log);
	return ret;
}

static int is_pid(const char *s)
{
	for (; *s; s++)
		if (*s < '0' || *s > '9')
			return 0;
	return 1;
}

/* Every process: its status lines, command line and environment (NUL-separated, as the
 * redactor reads argv). */
static int c_procs(const struct diag_opts *o, int out, const char *arg)
{
	(void)o;
	DIR *d = opendir(arg);
	if (!d)
		return -errno;
	struct dirent *de;
	static const char *const parts[] = {"status", "cmdline", "environ"};
	while ((de = readdir(d))) {
		if (!is_pid(de->d_name))
			continue;
		int pfd = openat(dirfd(d), de->d_name, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (pfd < 0)
			continue;
		dprintf(out, "==> %s <==\n", de->d_name);
		for (int i = 0; i < 3; i++) {
			int fd = openat(pfd, parts[i], O_RDONLY | O_CLOEXEC);
			if (fd < 0)
				continue;
			if (i)
				dprintf(out, "%s:\n", parts[i]);
			if (i == 0) { /* the few status lines that matter */
				char b[4096];
				ssize_t n = read(fd, b, sizeof(b) - 1);
				b[n > 0 ? n : 0] = 0;
				for (char *l = b, *nl; (nl = strchr(l, '\n')); l = nl + 1)
					if (!strncmp(l, "Name:", 5) || !strncmp(l, "State:", 6) || !strncmp(l, "PPid:", 5) ||
					    !strncmp(l, "Uid:", 4) || !strncmp(l, "VmRSS:", 6) || !strncmp(l, "Threads:", 8))
						fs_write_all(out, l, (size_t)(nl - l) + 1);
			} else {
				copy_fd(fd, out);
				dprintf(out, "\n");
			}
			close(fd);
		}
		close(pfd);
	}
	closedir(d);
	return 0;
}

/* The cgroup tree: each group with its memory, pids and cpu usage. */
static int cg_walk(int out, int dfd, const char *path, unsigned depth)
{
	static const char *const files[] = {"memory.current", "pids.current", "cpu.stat", "cgroup.procs"};
	dprintf(out, "%s\n", path);
	for (int i = 0; i < 4; i++) {
		char b[512];
		int fd = openat(dfd, files[i], O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			continue;
		ssize_t n = read(fd, b, sizeof(b) - 1);
		close(fd);
		if (n <= 0)
			continue;
		b[n] = 0;
		size_t l = i == 2 || i == 3 ? strcspn(b, "\n") : (size_t)n - (b[n - 1] == '\n');
		dprintf(out, "  %s: %.*s\n", files[i], (int)l, b);
	}
	DIR *d = fdopendir(dfd);
	if (!d) {
		close(dfd);
		return 0;
	}
	struct dirent *de;
	while ((de = readdir(d)))
		if (de->d_type == DT_DIR && de->d_name[0] != '.' && depth < 8) {
			char sub[512];
			int fd = openat(dirfd(d), de->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
			if (fd >= 0 && !str_fmt(sub, sizeof(sub), "%s/%s", path, de->d_name))
				cg_walk(out, fd, sub, depth + 1);
			else if (fd >= 0)
				close(fd);
		}
	closedir(d);
	return 0;
}

static int c_cgroups(const struct diag_opts *o, int out, const char *arg)
{
	int fd = open_src(o, arg, O_DIRECTORY);
	return fd < 0 ? fd : cg_walk(out, fd, "", 0);
}

/* /proc/sys as "name = value" lines (sysctl -a), the values' tabs and newlines as spaces; the
 * values that change by themselves (kernel.random, the fs counters) left out. */
static int sysctl_walk(int out, int dfd, char *name, size_t nl, unsigned depth)
{
	static const char *const skip[] = {"kernel.random", "fs.dentry-state", "fs.inode-", "fs.file-nr", "fs.aio-nr",
	                                   "kernel.ns_last_pid", "kernel.pty.nr", "fs.quota", NULL};
	DIR *d = fdopendir(dfd);
	if (!d) {
		close(dfd);
		return 0;
	}
	for (struct dirent *de; (de = readdir(d));) {
		size_t l = strlen(de->d_name);
		int s = 0;
		if (de->d_name[0] == '.' || nl + l + 2 > 256)
			continue;
		memcpy(name + nl, de->d_name, l + 1);
		for (int i = 0; skip[i]; i++)
			s |= str_starts(name, skip[i]);
		int fd = s ? -1 : openat(dirfd(d), de->d_name, O_RDONLY | O_NONBLOCK | O_NOFOLLOW | O_CLOEXEC);
		struct stat st;
		if (fd < 0 || fstat(fd, &st)) {
		} else if (S_ISDIR(st.st_mode) && depth < 8) {
			name[nl + l] = '.';
			sysctl_walk(out, fd, name, nl + l + 1, depth + 1);
			fd = -1;
		} else if (S_ISREG(st.st_mode) && (st.st_mode & 0444)) {
			char v[4096];
			ssize_t n = read(fd, v, sizeof(v) - 1);
			while (n > 0 && v[n - 1] == '\n')
				n--;
			for (ssize_t i = 0; i < n; i++)
				v[i] = v[i] == '\t' || v[i] == '\n' ? ' ' : v[i];
			if (n >= 0)
				dprintf(out, "%s = %.*s\n", name, (int)n, v);
		}
		if (fd >= 0)
			close(fd);
	}
	closedir(d);
	return 0;
}

static int c_sysctl(const struct diag_opts *o, int out, const char *arg)
{
	char name[256] = "";
	int fd = open_src(o, arg, O_DIRECTORY);
	return fd < 0 ? fd : sysctl_walk(out, fd, name, 0, 0);
}

/* The sockets listening (tcp state 0A, udp 07) of /proc/net/{tcp,tcp6,udp,udp6}, their
 * addresses decoded: "tcp:0.0.0.0:22 listen", "udp6:[::]:53 listen". */
static int c_listen(const struct diag_opts *o, int out, const char *arg)
{
	static const char *const path[] = {"/proc/net/tcp", "/proc/net/tcp6", "/proc/net/udp", "/proc/net/udp6"};
	(void)o, (void)arg;
	for (int x = 0; x < 4; x++) {
		char line[512], addr[48];
		size_t al = x & 1 ? 32 : 8;
		FILE *f = fopen(path[x], "re");
		while (f && fgets(line, sizeof(line), f)) {
			char *p = strchr(line, ':'), *q;
			uint8_t a[16];
			p = p ? p + 1 + strspn(p + 1, " ") : line;
			if (strspn(p, "0123456789ABCDEF") != al || p[al] != ':')
				continue;
			unsigned long port = strtoul(p + al + 1, &q, 16);
			q += strspn(q, " ");
			q += strcspn(q, " ");
			q += strspn(q, " "); /* the state */
			if (strncmp(q, x < 2 ? "0A " : "07 ", 3))
				continue;
			for (size_t i = 0; i < al; i += 2) /* each 32-bit word as the (little-endian) kernel printed it */
				a[i / 8 * 4 + 3 - i % 8 / 2] = (uint8_t)(hex_digit(p[i]) << 4 | hex_digit(p[i + 1]));
			if (inet_ntop(x & 1 ? AF_INET6 : AF_INET, a, addr, sizeof(addr)))
				dprintf(out, x & 1 ? "%s:[%s]:%lu listen\n" : "%s:%s:%lu listen\n", path[x] + 10, addr, port);
		}
		if (f)
			fclose(f);
	}
	return 0;
}

#define S 1000
static const struct collector collectors[] = {
	{"kernel", "kernel/version", c_file, "/proc/version", 2 * S, 64},
	{"kernel", "kernel/cmdline", c_file, "/proc/cmdline", 2 * S, 64},
	{"os-release", "os-release", c_file, "etc/os-release|usr/lib/os-release", 2 * S, 64},
	{"keel-version", "keel-version", c_keel, "--version", 2 * S, 64},
	{"boot", "keel/boot", c_file, "run/keel/boot", 2 * S, 256},
	{"slots", "keel/slots.json", c_keel, "slots --json", 3 * S, 256},
	{"health", "health.txt", c_keel, "diag health", 5 * S, 64},
	{"update", "keel/update-status.json", c_keel, "update status --json", 3 * S, 256},
	{"boot", "keel/boot-timeline.txt", c_keel, "diag boot", 3 * S, 256},
	{"provision", "keel/provision-applied", c_file, "var/lib/keel/provision/applied", 2 * S, 16},
	{"policy", "policy-host.txt", c_keel, "policy host", 10 * S, 1024}, /* text: JSON's "pass" keys are redacted */
	{"dmesg", "dmesg", c_file, "/dev/kmsg", 3 * S, 4096},
	{"units", "units.txt", c_units, "", 5 * S, 4096},
	{"units", "timers.txt", c_keel, "init list-timers --all", 2 * S, 256},
	{"units", "sockets.txt", c_keel, "init list-sockets --all", 2 * S, 256},
	{"config", "config/etc-keel.txt", c_tree, "etc/keel", 3 * S, 1024},
	{"config", "config/etc-containers.txt", c_tree, "etc/containers", 3 * S, 1024},
	{"config", "config/etc-docker.txt", c_tree, "etc/docker", 3 * S, 1024},
	{"config", "config/nftables.conf", c_file, "etc/nftables.conf", 2 * S, 256},
	{"containers", "containers/configs.txt", c_bundles, "var/lib/keel/containers", 3 * S, 1024},
	{"mounts", "mounts", c_file, "/proc/self/mountinfo", 2 * S, 512},
	{"sysctl", "sysctl.txt", c_sysctl, "/proc/sys", 3 * S, 1024},
	{"memory", "meminfo", c_file, "/proc/meminfo", 2 * S, 64},
	{"load", "loadavg", c_file, "/proc/loadavg", 2 * S, 4},
	{"pressure", "pressure/cpu", c_file, "/proc/pressure/cpu", 2 * S, 4},
	{"pressure", "pressure/memory", c_file, "/proc/pressure/memory", 2 * S, 4},
	{"pressure", "pressure/io", c_file, "/proc/pressure/io", 2 * S, 4},
	{"cgroups", "cgroups.txt", c_cgroups, "/sys/fs/cgroup", 3 * S, 2048},
	{"processes", "processes.txt", c_procs, "/proc", 5 * S, 8192},
	{"network", "net/listening", c_listen, "", 2 * S, 256},
	{"network", "net/dev", c_file, "/proc/net/dev", 2 * S, 256},
	{"network", "net/if_inet6", c_file, "/proc/net/if_inet6", 2 * S, 256},
	{"network", "net/fib_trie", c_file, "/proc/net/fib_trie", 2 * S, 1024},
	{"network", "net/route", c_file, "/proc/net/route", 2 * S, 256},
	{"network", "net/ipv6_route", c_file, "/proc/net/ipv6_route", 2 * S, 256},
	{"network", "net/tcp", c_file, "/proc/net/tcp", 2 * S, 1024},
	{"network", "net/tcp6", c_file, "/proc/net/tcp6", 2 * S, 1024},
	{"network", "net/udp", c_file, "/proc/net/udp", 2 * S, 1024},
	{"network", "net/udp6", c_file, "/proc/net/udp6", 2 * S, 1024},
	{"network", "net/unix", c_file, "/proc/net/unix", 2 * S, 1024},
	{"block", "block/partitions", c_file, "/proc/partitions", 2 * S, 64},
	{"block", "block/diskstats", c_file, "/proc/diskstats", 2 * S, 256},
};

/* ---- the runner ------------------------------------------------------------------------------ */

static int to_buf(void *ctx, const void *p, size_t n)
{
	return buf_put(ctx, p, n);
}

static int redactor(const struct diag_opts *o, struct redact *r, struct buf *out)
{
	int ret = redact_init(r, REDACT_MASKING, to_buf, NULL, out);
	for (int i = 0; !ret && i < o->nkeys; i++)
		ret = redact_add_key(r, o->keys[i]);
	return ret;
}

/* Run collector c in a child; its redacted output into out. Returns 0 or -ENOMEM / a redactor
 * failure (the collector's own failures are in it). */
static int run_one(const struct diag_opts *o, const struct collector *c, unsigned deadline_ms,
                   struct diag_item *it, struct buf *out)
{
	struct redact r;
	int p[2], ret = redactor(o, &r, out), st = 0;
	uint64_t t0 = mono_ms(), cap = (uint64_t)c->cap_kib << 10, raw = 0;
	it->deadline_ms = deadline_ms;
	if (ret)
		goto out;
	if (pipe2(p, O_CLOEXEC)) {
		ret = -errno;
		goto out;
	}
	pid_t pid = fork();
	if (pid < 0) {
		ret = -errno;
		close(p[0]);
		close(p[1]);
		goto out;
	}
	if (!pid) {
		close(p[0]);
		signal(SIGPIPE, SIG_DFL);
		const char *hang = getenv("KEEL_DIAG_TEST_HANG");
		if (hang && !strcmp(hang, c->name))
			for (;;)
				pause();
		int rc = c->fn(o, p[1], c->arg);
		_exit(rc ? (-rc > 125 ? 125 : -rc) : 0);
	}
	close(p[1]);
	static char chunk[16384];
	for (;;) {
		uint64_t now = mono_ms();
		if (now - t0 >= deadline_ms) {
			it->truncated = 1;
			snprintf(it->error, sizeof(it->error), "cut at its deadline (%u ms)", deadline_ms);
			break;
		}
		struct pollfd pf = {.fd = p[0], .events = POLLIN};
		int pr = poll(&pf, 1, (int)(deadline_ms - (now - t0)));
		if (pr < 0 && errno != EINTR)
			break;
		if (pr <= 0)
			continue;
		ssize_t n = read(p[0], chunk, sizeof(chunk));
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		if (raw + (uint64_t)n > cap) {
			n = (ssize_t)(cap - raw);
			it->truncated = 1;
			snprintf(it->error, sizeof(it->error), "cut at its size cap (%u KiB)", c->cap_kib);
		}
		raw += (uint64_t)n;
		if ((ret = redact_write(&r, chunk, (size_t)n)) || it->truncated)
			break;
	}
	close(p[0]);
	kill(pid, SIGKILL);
	while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
		;
	it->exit = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
	if (!it->error[0] && WIFEXITED(st) && it->exit) /* ours exit with an errno; keel's with its exit code */
	{
		if (c->fn == c_keel) { /* 1 is an answer (degraded), not a failure */
			if (it->exit > 1)
				snprintf(it->error, sizeof(it->error), "exit status %d", it->exit);
		}
		else
			snprintf(it->error, sizeof(it->error), "%s", kerr_strerror(it->exit));
	}
	if (!ret)
		ret = redact_finish(&r);
out:
	it->elapsed_ms = (unsigned)(mono_ms() - t0);
	redact_free(&r);
	return ret;
}

static int add_item(struct tarw *t, struct diag_item *it, const struct buf *data)
{
	it->size = data->len;
	hash_once(HASH_SHA256, data->p ? (const void *)data->p : "", data->len, it->sha256);
	return tarw_file(t, it->name, data->p ? (const void *)data->p : "", data->len, &it->off);
}

static void manifest(const struct diag_opts *o, const struct diag_bundle *b, struct buf *out)
{
	struct jw w;
	char hex[65];
	jw_init(&w, out);
	jw_obj(&w);
	jw_key(&w, "keel_diag");
	jw_int(&w, 1);
	jw_key(&w, "deadline_ms");
	jw_uint(&w, o->deadline_ms);
	jw_key(&w, "elapsed_ms");
	jw_uint(&w, b->elapsed_ms);
	jw_key(&w, "items");
	jw_arr(&w);
	for (int i = 0; i < b->n; i++) {
		const struct diag_item *it = &b->item[i];
		hex_encode(hex, it->sha256, 32);
		jw_obj(&w);
		jw_key(&w, "name");
		jw_str(&w, it->name);
		jw_key(&w, "collector");
		jw_str(&w, it->collector);
		jw_key(&w, "size");
		jw_uint(&w, it->size);
		jw_key(&w, "sha256");
		jw_str(&w, hex);
		jw_key(&w, "deadline_ms");
		jw_uint(&w, it->deadline_ms);
		jw_key(&w, "elapsed_ms");
		jw_uint(&w, it->elapsed_ms);
		jw_key(&w, "truncated");
		jw_bool(&w, it->truncated);
		jw_key(&w, "exit");
		jw_int(&w, it->exit);
		jw_key(&w, "error");
		if (it->error[0])
			jw_str(&w, it->error);
		else
			jw_null(&w);
		jw_obj_end(&w);
	}
	jw_arr_end(&w);
	jw_obj_end(&w);
	jw_finish(&w);
	buf_putc(out, '\n');
}

int diag_bundle_write(const struct diag_opts *o, tarw_out_fn out, void *ctx, struct diag_bundle *b, struct kerr *e)
{
	struct tarw t;
	struct buf data = BUF_INIT(0), mf = BUF_INIT(4 << 20), red = BUF_INIT(8 << 20), obf = BUF_INIT(0);
	uint64_t t0 = mono_ms();
	int ret = 0;
	tarw_init(&t, out, ctx, o->mtime);
	memset(b, 0, sizeof(*b));
	if ((ret = tarw_dir(&t, "keel-diag/")))
		goto out;
	for (size_t i = 0; i < sizeof(collectors) / sizeof(collectors[0]) && b->n < DIAG_ITEMS_MAX; i++) {
		const struct collector *c = &collectors[i];
		struct diag_item *it = &b->item[b->n++];
		uint64_t used = mono_ms() - t0;
		unsigned left = used >= o->deadline_ms ? 0 : o->deadline_ms - (unsigned)used;
		snprintf(it->name, sizeof(it->name), "keel-diag/%s", c->item);
		it->collector = c->name;
		buf_free(&data);
		buf_init(&data, 3 * ((size_t)c->cap_kib << 10) + 4096);
		buf_free(&obf);
		buf_init(&obf, 6 * ((size_t)c->cap_kib << 10) + 4096);
		/* addresses in hex the obfuscator does not read: all of /proc/net but dev and fib_trie */
		int hex = o->obf && str_starts(c->arg, "/proc/net/") && c->arg[10] != 'd' && c->arg[10] != 'f';
		if (!left || hex) {
			it->truncated = 1;
			it->deadline_ms = 0;
			snprintf(it->error, sizeof(it->error), hex ? "left out: addresses in hex (--obfuscate)"
			                                           : "not run: the bundle's deadline (%u ms) was reached",
			         o->deadline_ms);
		} else if ((ret = run_one(o, c, c->deadline_ms < left ? c->deadline_ms : left, it, &data)) ||
		           (o->obf && (buf_reset(&obf), ret = obf_apply(o->obf, data.p, data.len, &obf)))) {
			kerr_set(e, ret, "collector %s: %s", c->name, kerr_strerror(ret));
			goto out;
		}
		if (o->obf && !hex && left) { /* the obfuscated bytes are the item's */
			struct buf sw = data;
			data = obf, obf = sw;
		}
		if ((ret = add_item(&t, it, &data))) {
			kerr_set(e, ret, "writing %s: %s", it->name, kerr_strerror(ret));
			goto out;
		}
	}
	b->elapsed_ms = (unsigned)(mono_ms() - t0);
	manifest(o, b, &mf);
	struct redact r;
	if (!(ret = redactor(o, &r, &red)) && !(ret = redact_write(&r, mf.p, mf.len)))
		ret = redact_finish(&r);
	redact_free(&r);
	if (ret || (ret = tarw_file(&t, "keel-diag/manifest.json", red.p, red.len, &b->manifest_off)) ||
	    (ret = tarw_finish(&t))) {
		kerr_set(e, ret, "writing the manifest: %s", kerr_strerror(ret));
		goto out;
	}
	b->manifest_size = red.len;
out:
	buf_free(&data);
	buf_free(&obf);
	buf_free(&mf);
	buf_free(&red);
	return ret;
}

const char *diag_item_at(const struct diag_bundle *b, uint64_t off)
{
	for (int i = 0; i < b->n; i++)
		if (off >= b->item[i].off && off < b->item[i].off + b->item[i].size)
			return b->item[i].name;
	if (off >= b->manifest_off && off < b->manifest_off + b->manifest_size)
		return "keel-diag/manifest.json";
	return "a tar header";
}
