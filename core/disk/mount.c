/* mount.c — mount helpers and switch_root. */
#include "disk/mount.h"
#include "base/buf.h"
#include "base/err.h"
#include "base/fs.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/magic.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <unistd.h>

int mount_mkdir_p(const char *path, unsigned mode)
{
	char p[4096];
	if (str_copy(p, sizeof(p), path))
		return -ENAMETOOLONG;
	for (char *s = p + 1;; s++) {
		if (*s != '/' && *s)
			continue;
		char c = *s;
		*s = 0;
		if (mkdir(p, mode) && errno != EEXIST)
			return -errno;
		*s = c;
		if (!c)
			break;
	}
	struct stat st;
	if (stat(path, &st))
		return -errno;
	return S_ISDIR(st.st_mode) ? 0 : -ENOTDIR;
}

int mnt(const char *src, const char *dst, const char *type, unsigned long flags, const char *data,
	struct kerr *e)
{
	int ret = mount_mkdir_p(dst, 0755);
	if (ret)
		return kerr_set(e, ret, "mkdir %s: %s", dst, strerror(-ret));
	if (mount(src, dst, type, flags, data))
		return kerr_set(e, -errno, "mount %s on %s (%s): %s", src ? src : "none", dst, type ? type : "-",
			strerror(errno));
	return 0;
}

int is_mountpoint(const char *path)
{
	struct stat a, b;
	char parent[4096];
	if (str_fmt(parent, sizeof(parent), "%s/..", path) || stat(path, &a) || stat(parent, &b))
		return 0;
	return a.st_dev != b.st_dev || a.st_ino == b.st_ino;
}

int is_ramfs(const char *path)
{
	struct statfs s;
	if (statfs(path, &s))
		return 0;
	return (unsigned long)s.f_type == RAMFS_MAGIC || (unsigned long)s.f_type == TMPFS_MAGIC;
}

int mount_basic(struct kerr *e)
{
	static const struct {
		const char *src, *dst, *type;
		unsigned long flags;
		const char *data;
	} m[] = {
		{"proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL},
		{"sysfs", "/sys", "sysfs", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL},
		{"devtmpfs", "/dev", "devtmpfs", MS_NOSUID, "mode=0755"},
		{"tmpfs", "/run", "tmpfs", MS_NOSUID | MS_NODEV, "mode=0755"},
	};
	for (size_t i = 0; i < sizeof(m) / sizeof(m[0]); i++) {
		if (is_mountpoint(m[i].dst))
			continue;
		int ret = mnt(m[i].src, m[i].dst, m[i].type, m[i].flags, m[i].data, e);
		if (ret)
			return ret;
	}
	return 0;
}

int switch_root(const char *newroot, struct kerr *e)
{
	static const char *const moves[] = {"/dev", "/proc", "/sys", "/run"};
	struct stat root_st, new_st;
	char dst[4096];
	int ret;

	if (stat("/", &root_st) || stat(newroot, &new_st))
		return kerr_set(e, -errno, "switch_root: stat %s: %s", newroot, strerror(errno));
	if (root_st.st_dev == new_st.st_dev)
		return kerr_set(e, -EINVAL, "switch_root: %s is not a mount point", newroot);
	if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL))
		return kerr_set(e, -errno, "switch_root: make / private: %s", strerror(errno));
	for (size_t i = 0; i < sizeof(moves) / sizeof(moves[0]); i++) {
		if (!is_mountpoint(moves[i]))
			continue;
		if (str_fmt(dst, sizeof(dst), "%s%s", newroot, moves[i]))
			return kerr_set(e, -ENAMETOOLONG, "switch_root: path too long");
		struct stat st;
		if (lstat(dst, &st) || !S_ISDIR(st.st_mode)) {
			if ((ret = mount_mkdir_p(dst, 0755)))
				return kerr_set(e, ret, "switch_root: %s: not a directory", dst);
		}
		if (mount(moves[i], dst, NULL, MS_MOVE, NULL)) {
			ret = -errno;
			/* nothing usable is left without /dev: detach it instead */
			return kerr_set(e, ret, "switch_root: move %s to %s: %s", moves[i], dst, strerror(-ret));
		}
	}
	if (chdir(newroot))
		return kerr_set(e, -errno, "switch_root: chdir %s: %s", newroot, strerror(errno));
	if (is_ramfs("/")) {
		int fd = open("/", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (fd >= 0) {
			fs_empty_dir(fd, FS_SAME_DEV, 256); /* best effort: memory only */
			close(fd);
		}
	}
	if (mount(".", "/", NULL, MS_MOVE, NULL))
		return kerr_set(e, -errno, "switch_root: move %s to /: %s", newroot, strerror(errno));
	if (chroot("."))
		return kerr_set(e, -errno, "switch_root: chroot: %s", strerror(errno));
	if (chdir("/"))
		return kerr_set(e, -errno, "switch_root: chdir /: %s", strerror(errno));
	return 0;
}
