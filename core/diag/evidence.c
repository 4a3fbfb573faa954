/* evidence.c — evidence of a failed boot (evidence.h). */
#include "diag/evidence.h"
#include "base/buf.h"
#include "base/fs.h"
#include "init/ctl.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* The numbered files of the directory: the highest number, the lowest, and how many. */
static int scan(int dfd, unsigned *hi, unsigned *lo, unsigned *n)
{
	int fd = dup(dfd);
	DIR *d = fd < 0 ? NULL : fdopendir(fd);
	if (!d) {
		if (fd >= 0)
			close(fd);
		return -errno;
	}
	*hi = *n = 0, *lo = ~0u;
	for (struct dirent *de; (de = readdir(d));) {
		char *end;
		unsigned long v = strtoul(de->d_name, &end, 10);
		if (end == de->d_name || strcmp(end, ".txt") || !v || v > 999999)
			continue;
		*hi = v > *hi ? (unsigned)v : *hi;
		*lo = v < *lo ? (unsigned)v : *lo;
		(*n)++;
	}
	closedir(d);
	return 0;
}

/* The directory, created a component at a time beneath rootfd: a symlink planted on STATE is
 * neither followed nor created through (mkdirat leaves it alone, O_NOFOLLOW refuses it). */
static int open_dir(int rootfd, int create)
{
	char p[] = EVIDENCE_DIR, *save = NULL;
	if (!create)
		return fs_open_beneath(rootfd, EVIDENCE_DIR, O_RDONLY | O_DIRECTORY, 0);
	int dfd = fcntl(rootfd, F_DUPFD_CLOEXEC, 0);
	if (dfd < 0)
		return -errno;
	for (char *c = strtok_r(p, "/", &save); c && dfd >= 0; c = strtok_r(NULL, "/", &save)) {
		mkdirat(dfd, c, 0755);
		int n = openat(dfd, c, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		close(dfd);
		dfd = n < 0 ? -errno : n;
	}
	return dfd;
}

int evidence_last(int rootfd, unsigned *count)
{
	unsigned hi = 0, lo;
	int dfd = open_dir(rootfd, 0), ret = dfd;
	*count = 0;
	if (dfd == -ENOENT)
		return 0;
	if (dfd >= 0) {
		ret = scan(dfd, &hi, &lo, count);
		close(dfd);
	}
	return ret ? ret : (int)hi;
}

/* Up to cap bytes from the end of what fd gives (a file, or /dev/kmsg read until EAGAIN). */
static void tail(struct buf *b, const char *path, size_t cap)
{
	int fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	char rec[8192];
	ssize_t n;
	size_t start = b->len;
	if (fd < 0)
		return;
	buf_printf(b, "\n== %s\n", path);
	while ((n = read(fd, rec, sizeof(rec))) > 0 || (n < 0 && errno == EPIPE)) {
		if (n > 0 && buf_put(b, rec, (size_t)n))
			break;
		if (b->len - start > 2 * cap) { /* keep the end only */
			memmove(b->p + start, b->p + b->len - cap, cap);
			b->len = start + cap;
		}
	}
	close(fd);
}

int evidence_save(int rootfd, const char *run, const char *reason)
{
	char p[4][320];
	static const char *const f[4] = {"boot-stages", "boot", "health.log", "init.sock"};
	for (int i = 0; i < 4; i++)
		snprintf(p[i], sizeof(p[i]), "%s/%s", run, f[i]);
	unsigned hi, lo, n;
	char name[32];
	struct buf b = BUF_INIT(4 * EVIDENCE_SIZE);
	int dfd = open_dir(rootfd, 1), ret = dfd < 0 ? dfd : scan(dfd, &hi, &lo, &n);
	if (ret)
		goto out;
	for (; n >= EVIDENCE_KEEP && lo <= hi; lo++) /* the oldest go first */
		if (snprintf(name, sizeof(name), "%u.txt", lo) > 0 && !unlinkat(dfd, name, 0))
			n--;
	buf_printf(&b, "keel: %s\n", reason);
	tail(&b, p[0], 8192);
	tail(&b, p[1], 4096);
	tail(&b, p[2], 4096); /* a trial boot's health check: the command's output */
	struct buf st = BUF_INIT(CTL_REPLY_MAX);
	if (!ctl_call(p[3], "status\n", &st, 2000, NULL) && st.len > 3) /* the units (host only) */
		buf_printf(&b, "\n== units\n%.*s", (int)(st.len - 3 < 16384 ? st.len - 3 : 16384), (char *)st.p + 3);
	buf_free(&st);
	tail(&b, "/dev/kmsg", EVIDENCE_SIZE / 2);
	snprintf(name, sizeof(name), "%u.txt", hi + 1);
	if (!b.p)
		ret = -ENOMEM;
	else if (!(ret = fs_write_atomic(dfd, name, b.p, b.len < EVIDENCE_SIZE ? b.len : EVIDENCE_SIZE, 0600)))
		ret = (int)hi + 1;
out:
	if (dfd >= 0)
		close(dfd);
	buf_free(&b);
	return ret;
}
