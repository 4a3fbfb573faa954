/* cgroup.c — cgroup v2 for services (see cgroup.h). */
#include "init/cgroup.h"
#include "base/buf.h"
#include "base/err.h"
#include "init/unit_parse.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <unistd.h>

#ifndef CGROUP2_SUPER_MAGIC
#define CGROUP2_SUPER_MAGIC 0x63677270
#endif

#define CG_DEPTH_MAX 8

int cg_mount(const char *path, struct kerr *e)
{
	struct statfs sf;
	if (!statfs(path, &sf) && sf.f_type == CGROUP2_SUPER_MAGIC)
		return 0;
	if (mount("cgroup2", path, "cgroup2", MS_NOSUID | MS_NODEV | MS_NOEXEC, "nsdelegate"))
		return kerr_set(e, -errno, "mount cgroup2 on %s: %s", path, strerror(errno));
	return 0;
}

static int write_at(int dirfd, const char *file, const char *s)
{
	int fd = openat(dirfd, file, O_WRONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return -errno;
	size_t n = strlen(s);
	ssize_t w = write(fd, s, n);
	int ret = w == (ssize_t)n ? 0 : w < 0 ? -errno : -EIO;
	close(fd);
	return ret;
}

static int read_at(int dirfd, const char *file, char *out, size_t n)
{
	int fd = openat(dirfd, file, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return -errno;
	ssize_t r = read(fd, out, n - 1);
	int err = errno;
	close(fd);
	if (r < 0)
		return -err;
	out[r] = 0;
	return (int)r;
}

static bool has_word(const char *list, const char *w)
{
	size_t n = strlen(w);
	for (const char *p = list; (p = strstr(p, w)); p += n)
		if ((p == list || p[-1] == ' ') && (p[n] == ' ' || p[n] == '\n' || !p[n]))
			return true;
	return false;
}

/* Enable the wanted controllers that dirfd's cgroup.controllers offers. */
static int enable(struct cg *cg, int dirfd, const char *what, struct kerr *e)
{
	char avail[512], req[64] = "";
	int ret = read_at(dirfd, "cgroup.controllers", avail, sizeof(avail));
	if (ret < 0)
		return kerr_set(e, ret, "%s/%s/cgroup.controllers: %s", cg->root, what, strerror(-ret));
	cg->memory = has_word(avail, "memory");
	cg->cpu = has_word(avail, "cpu");
	cg->pids = has_word(avail, "pids");
	str_fmt(req, sizeof(req), "%s%s%s", cg->memory ? "+memory " : "", cg->cpu ? "+cpu " : "", cg->pids ? "+pids" : "");
	if (!req[0])
		return 0;
	if ((ret = write_at(dirfd, "cgroup.subtree_control", req)))
		return kerr_set(e, ret, "%s/%s/cgroup.subtree_control: %s", cg->root, what, strerror(-ret));
	return 0;
}

int cg_open(struct cg *cg, const char *path, struct kerr *e)
{
	int ret;
	struct statfs sf;
	cg->rootfd = cg->slicefd = -1;
	if (str_copy(cg->root, sizeof(cg->root), path))
		return kerr_set(e, -ENAMETOOLONG, "cgroup path too long");
	if ((cg->rootfd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0)
		return kerr_set(e, -errno, "%s: %s", path, strerror(errno));
	if (fstatfs(cg->rootfd, &sf) || sf.f_type != CGROUP2_SUPER_MAGIC) {
		ret = kerr_set(e, -ENOTSUP, "%s: not a cgroup2 file system", path);
		goto fail;
	}
	if ((ret = enable(cg, cg->rootfd, ".", e)))
		goto fail;
	if (mkdirat(cg->rootfd, CG_SLICE, 0755) && errno != EEXIST) {
		ret = kerr_set(e, -errno, "%s/%s: %s", path, CG_SLICE, strerror(errno));
		goto fail;
	}
	if ((cg->slicefd = openat(cg->rootfd, CG_SLICE, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW)) < 0) {
		ret = kerr_set(e, -errno, "%s/%s: %s", path, CG_SLICE, strerror(errno));
		goto fail;
	}
	if ((ret = enable(cg, cg->slicefd, CG_SLICE, e)))
		goto fail;
	return 0;
fail:
	cg_close(cg);
	return ret;
}

void cg_close(struct cg *cg)
{
	if (!cg)
		return;
	if (cg->rootfd >= 0)
		close(cg->rootfd);
	if (cg->slicefd >= 0)
		close(cg->slicefd);
	cg->rootfd = cg->slicefd = -1;
}

int cg_service(struct cg *cg, const char *name, bool keep, struct kerr *e)
{
	if (mkdirat(cg->slicefd, name, 0755) && errno != EEXIST)
		return kerr_set(e, -errno, "%s/%s/%s: %s", cg->root, CG_SLICE, name, strerror(errno));
	int fd = openat(cg->slicefd, name, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return kerr_set(e, -errno, "%s/%s/%s: %s", cg->root, CG_SLICE, name, strerror(errno));
	int pop = cg_populated(fd);
	if (pop < 0 || (pop && !keep)) {
		close(fd);
		return kerr_set(e, pop < 0 ? pop : -EBUSY, "%s/%s/%s: %s", cg->root, CG_SLICE, name,
			pop < 0 ? strerror(-pop) : "still has processes from an earlier run");
	}
	return fd;
}

int cg_delegate(int fd, uid_t uid, gid_t gid)
{
	static const char *const files[] = {"", "cgroup.procs", "cgroup.threads", "cgroup.subtree_control"};
	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++)
		if (fchownat(fd, files[i], uid, gid, i ? AT_SYMLINK_NOFOLLOW : AT_EMPTY_PATH))
			return -errno;
	return 0;
}

static int limit(const struct cg *cg, int fd, const struct unit *u, bool avail, bool want, const char *file,
	const char *key, const char *val, struct kerr *e)
{
	if (!avail)
		return want ? kerr_set(e, -ENOTSUP, "%s=: the cgroup controller for %s is not available", key, file) : 0;
	int ret = write_at(fd, file, val);
	if (ret)
		return kerr_set(e, ret, "%s/%s/%s/%s: %s", cg->root, CG_SLICE, u->name, file, strerror(-ret));
	return 0;
}

int cg_limits(const struct cg *cg, int fd, const struct unit *u, struct kerr *e)
{
	char mem[32] = "max", quota[48] = "max 100000", weight[32], pids[32] = "max";
	if (u->memory_max != UV_INFINITY)
		str_fmt(mem, sizeof(mem), "%llu", (unsigned long long)u->memory_max);
	if (u->cpu_quota)
		str_fmt(quota, sizeof(quota), "%llu 100000", (unsigned long long)u->cpu_quota * 1000);
	str_fmt(weight, sizeof(weight), "%llu", (unsigned long long)(u->cpu_weight ? u->cpu_weight : 100));
	if (u->tasks_max != UV_INFINITY)
		str_fmt(pids, sizeof(pids), "%llu", (unsigned long long)u->tasks_max);
	int ret;
	if ((ret = limit(cg, fd, u, cg->memory, u->memory_max != UV_INFINITY, "memory.max", "MemoryMax", mem, e)) ||
		(ret = limit(cg, fd, u, cg->cpu, u->cpu_quota != 0, "cpu.max", "CPUQuota", quota, e)) ||
		(ret = limit(cg, fd, u, cg->cpu, u->cpu_weight != 0, "cpu.weight", "CPUWeight", weight, e)) ||
		(ret = limit(cg, fd, u, cg->pids, u->tasks_max != UV_INFINITY, "pids.max", "TasksMax", pids, e)))
		return ret;
	return 0;
}

static int kill_tree(int fd, int sig, int depth)
{
	char buf[4096];
	int n = 0;
	int pf = openat(fd, "cgroup.procs", O_RDONLY | O_CLOEXEC);
	if (pf >= 0) {
		/* the list may be longer than one read; go on until EOF, parsing whole lines */
		size_t have = 0;
		for (;;) {
			ssize_t r = read(pf, buf + have, sizeof(buf) - 1 - have);
			if (r <= 0)
				break;
			have += (size_t)r;
			buf[have] = 0;
			char *p = buf, *nl;
			while ((nl = strchr(p, '\n'))) {
				*nl = 0;
				long pid = strtol(p, NULL, 10);
				if (pid > 1 && !kill((pid_t)pid, sig))
					n++;
				p = nl + 1;
			}
			have = strlen(p);
			memmove(buf, p, have);
		}
		close(pf);
	}
	if (depth >= CG_DEPTH_MAX)
		return n;
	int dfd = dup(fd);
	DIR *d = dfd >= 0 ? fdopendir(dfd) : NULL;
	if (!d) {
		if (dfd >= 0)
			close(dfd);
		return n;
	}
	rewinddir(d);
	struct dirent *de;
	while ((de = readdir(d))) {
		if (de->d_type != DT_DIR || de->d_name[0] == '.')
			continue;
		int c = openat(fd, de->d_name, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
		if (c >= 0) {
			n += kill_tree(c, sig, depth + 1);
			close(c);
		}
	}
	closedir(d);
	return n;
}

int cg_kill(int fd, int sig)
{
	if (sig == SIGKILL && !write_at(fd, "cgroup.kill", "1"))
		return 1;
	return kill_tree(fd, sig, 0);
}

int cg_populated(int fd)
{
	char buf[256];
	int r = read_at(fd, "cgroup.events", buf, sizeof(buf));
	if (r < 0)
		return r;
	const char *p = strstr(buf, "populated ");
	if (!p)
		return -EINVAL;
	return p[10] == '1';
}

static int remove_tree(int parent, const char *name, int depth)
{
	int fd = openat(parent, name, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return -errno;
	DIR *d = depth < CG_DEPTH_MAX ? fdopendir(fd) : NULL;
	if (d) {
		struct dirent *de;
		while ((de = readdir(d)))
			if (de->d_type == DT_DIR && de->d_name[0] != '.')
				remove_tree(dirfd(d), de->d_name, depth + 1);
		closedir(d);
	} else {
		close(fd);
	}
	return unlinkat(parent, name, AT_REMOVEDIR) ? -errno : 0;
}

int cg_remove(struct cg *cg, const char *name) { return remove_tree(cg->slicefd, name, 0); }

int cg_pid_service(pid_t pid, char *name, size_t n)
{
	char path[64], buf[1024];
	snprintf(path, sizeof(path), "/proc/%d/cgroup", (int)pid);
	int r = read_at(AT_FDCWD, path, buf, sizeof(buf));
	if (r < 0)
		return r;
	/* cgroup v2 line: "0::/system.slice/NAME[/...]" */
	char *p = strstr(buf, "0::/" CG_SLICE "/");
	if (!p || (p != buf && p[-1] != '\n'))
		return -ENOENT;
	p += strlen("0::/" CG_SLICE "/");
	size_t len = strcspn(p, "/\n");
	if (!len || len >= n)
		return -ENOENT;
	memcpy(name, p, len);
	name[len] = 0;
	return 0;
}
