/* shutdown.c — the machine's last steps (see shutdown.h). */
#include "boot/shutdown.h"
#include "base/clock.h"
#include "base/buf.h"
#include "disk/dm.h"
#include "base/err.h"
#include "base/fs.h"
#include "base/log.h"
#include "base/mountinfo.h"
#include "base/scan.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/reboot.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define MOUNTS_MAX 256

/* A kernel thread has an empty /proc/PID/cmdline... and so may a zombie; kthreads are children
 * of kthreadd (PID 2) or PID 2 itself. */
static int is_kernel_thread(pid_t pid)
{
	char path[64], buf[512];
	if (pid == 2)
		return 1;
	str_fmt(path, sizeof(path), "/proc/%d/stat", (int)pid);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 1; /* gone */
	ssize_t n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return 1;
	buf[n] = 0;
	char *rp = strrchr(buf, ')'); /* comm may hold spaces and parentheses */
	int ppid = 0;
	char state = 0;
	if (!rp || !scan_int(scan_blanks(scan_char(scan_blanks(rp + 1), &state)), &ppid))
		return 1;
	return ppid == 2;
}

int shutdown_kill_all(int sig)
{
	DIR *d = opendir("/proc");
	if (!d)
		return -errno;
	int n = 0;
	pid_t self = getpid();
	struct dirent *de;
	while ((de = readdir(d))) {
		uint64_t v;
		if (parse_u64(de->d_name, 2, 0x7fffffff, &v) || (pid_t)v == self || is_kernel_thread((pid_t)v))
			continue;
		if (!kill((pid_t)v, sig))
			n++;
	}
	closedir(d);
	return n;
}

static void reap(void)
{
	while (waitpid(-1, NULL, WNOHANG) > 0)
		;
}

int shutdown_kill_all_wait(unsigned grace_ms)
{
	int n = shutdown_kill_all(SIGTERM);
	if (n < 0)
		return n;
	shutdown_kill_all(SIGCONT);
	uint64_t deadline = mono_ms() + grace_ms;
	while (n > 0 && mono_ms() < deadline) {
		struct timespec ts = {0, 50 * 1000000};
		nanosleep(&ts, NULL);
		reap();
		n = shutdown_kill_all(0);
	}
	if (n > 0) {
		log_notice("shutdown: %d processes did not stop in %u ms: SIGKILL", n, grace_ms);
		shutdown_kill_all(SIGKILL);
		for (int i = 0; i < 40 && shutdown_kill_all(0) > 0; i++) {
			struct timespec ts = {0, 50 * 1000000};
			nanosleep(&ts, NULL);
			reap();
		}
	}
	reap();
	return 0;
}

/* Mount points from /proc/self/mountinfo (base/mountinfo.h), in file order. */
static int read_mounts(char ***out)
{
	struct buf b = BUF_INIT(1 << 20);
	int ret = fs_read_path(AT_FDCWD, "/proc/self/mountinfo", b.max, &b, NULL);
	if (ret) {
		buf_free(&b);
		return ret;
	}
	char **v = calloc(MOUNTS_MAX, sizeof(*v));
	int n = 0;
	if (!v) {
		buf_free(&b);
		return -ENOMEM;
	}
	struct mountinfo_iter it;
	struct mountinfo m;
	mountinfo_init(&it, (char *)b.p, b.len);
	while (n < MOUNTS_MAX && mountinfo_next(&it, &m) && (v[n] = strdup(m.mp)))
		n++;
	buf_free(&b);
	*out = v;
	return n;
}

static void free_mounts(char **v, int n)
{
	for (int i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

/* Is the filesystem mounted on mnt held by PID 1 itself, through its executable or one of its
 * open files (the console)? At this point every other process is gone. */
static int held_by_self(const char *mnt)
{
	struct stat m, s;
	if (stat(mnt, &m))
		return 0;
	if (!stat("/proc/self/exe", &s) && s.st_dev == m.st_dev)
		return 1;
	DIR *d = opendir("/proc/self/fd");
	if (!d)
		return 0;
	int hit = 0;
	struct dirent *de;
	while (!hit && (de = readdir(d))) {
		char path[64];
		if (de->d_name[0] != '.' && !str_fmt(path, sizeof(path), "/proc/self/fd/%s", de->d_name))
			hit = !stat(path, &s) && s.st_dev == m.st_dev;
	}
	closedir(d);
	return hit;
}

int shutdown_umount_all(void)
{
	char **v;
	int n, left = 0;
	/* / cannot go, and /proc stays to the end: it is how we see what is still mounted */
	for (int round = 0; round < 10; round++) {
		if ((n = read_mounts(&v)) < 0)
			return n;
		int progress = 0;
		left = 0;
		for (int i = n - 1; i >= 0; i--) { /* newest (deepest) first */
			if (!strcmp(v[i], "/") || !strcmp(v[i], "/proc"))
				continue;
			if (!umount2(v[i], 0))
				progress++;
			else if (errno != EINVAL && errno != ENOENT)
				left++;
		}
		free_mounts(v, n);
		if (!left || !progress)
			break;
	}
	/* what stays busy (and the root) is remounted read-only so the filesystems are clean; what
	 * PID 1 holds itself (on the host: /usr, its executable, and /dev, its console) is expected */
	if ((n = read_mounts(&v)) < 0)
		return n;
	left = 0;
	for (int i = n - 1; i >= 0; i--) {
		if (!strcmp(v[i], "/proc"))
			continue;
		if (mount(NULL, v[i], NULL, MS_REMOUNT | MS_RDONLY, NULL) && errno != EINVAL && errno != EACCES)
			log_notice("shutdown: remount %s read-only: %s", v[i], strerror(errno));
		if (!strcmp(v[i], "/"))
			continue;
		struct statvfs fs;
		if (!held_by_self(v[i]))
			left++;
		else
			log_notice("shutdown: kept %s: %sin use by PID 1", v[i],
				!statvfs(v[i], &fs) && (fs.f_flag & ST_RDONLY) ? "read-only, " : "");
	}
	free_mounts(v, n);
	return left;
}

/* The device-mapper name of the device PID 1 runs from (on the host the verity /usr), or "";
 * read while /sys is still mounted. */
static void self_dm_name(char *name, size_t n)
{
	struct stat s;
	struct buf b = BUF_INIT(4096); /* a sysfs file says it is 4096 bytes long */
	char path[96];
	name[0] = 0;
	if (stat("/proc/self/exe", &s) ||
		str_fmt(path, sizeof(path), "/sys/dev/block/%u:%u/dm/name", major(s.st_dev), minor(s.st_dev)) ||
		fs_read_path(AT_FDCWD, path, b.max, &b, NULL)) {
		buf_free(&b);
		return;
	}
	size_t l = b.len;
	while (l && (b.p[l - 1] == '\n' || b.p[l - 1] == ' '))
		l--;
	if (l && l < n && !memchr(b.p, '/', l)) {
		memcpy(name, b.p, l);
		name[l] = 0;
	}
	buf_free(&b);
}

int machine_shutdown(int how)
{
	struct kerr e = {0};
	char self_dm[DM_NAME_MAX], status[256];
	self_dm_name(self_dm, sizeof(self_dm));
	log_notice("shutdown: stopping remaining processes");
	shutdown_kill_all_wait(KEEL_SHUTDOWN_GRACE_MS);
	sync();
	int left = shutdown_umount_all();
	if (left > 0)
		log_notice("shutdown: %d mounts still busy (remounted read-only)", left);
	int r = dm_remove_all(&e);
	/* PID 1's own device cannot go while it runs from it: say so, and count only the others */
	if (r > 0 && self_dm[0] && !dm_status(self_dm, status, sizeof(status), &e)) {
		struct statvfs fs;
		int ro = !statvfs("/proc/self/exe", &fs) && (fs.f_flag & ST_RDONLY);
		log_notice("shutdown: kept /dev/mapper/%s: %sin use by PID 1", self_dm, ro ? "read-only, " : "");
		r--;
	}
	if (r > 0)
		log_notice("shutdown: %d device-mapper devices still busy", r);
	sync();
	log_notice("shutdown: %s", how == (int)RB_POWER_OFF ? "power off" : how == (int)RB_AUTOBOOT ? "reboot" : "halt");
	reboot(how);
	return -errno;
}
