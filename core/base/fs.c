/* fs.c — confined path resolution, atomic replacement and bounded I/O. */
#include "base/fs.h"
#include "base/buf.h"
#include "base/err.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <linux/openat2.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

static int no_openat2;

void fs_force_fallback(int on) { no_openat2 = on; }

/* Lexically normalise path (no symlinks are ever followed, so this is exact): drop "." and empty
 * components, let ".." remove the previous one, and refuse ".." at the top. */
static int normalise(const char *path, char *out, size_t n)
{
	size_t len = 0;
	const char *p = path;

	while (*p) {
		while (*p == '/')
			p++;
		if (!*p)
			break;
		const char *end = strchrnul(p, '/');
		size_t clen = (size_t)(end - p);
		if (clen == 1 && p[0] == '.') {
			/* nothing */
		} else if (clen == 2 && p[0] == '.' && p[1] == '.') {
			if (!len)
				return -EXDEV;
			while (len && out[len - 1] != '/')
				len--;
			if (len)
				len--; /* the slash */
		} else {
			if (clen > NAME_MAX)
				return -ENAMETOOLONG;
			if (len + !!len + clen + 1 > n)
				return -ENAMETOOLONG;
			if (len)
				out[len++] = '/';
			memcpy(out + len, p, clen);
			len += clen;
		}
		p = end;
	}
	if (!len) {
		if (n < 2)
			return -ENAMETOOLONG;
		out[len++] = '.';
	}
	out[len] = 0;
	return 0;
}

static int walk(int rootfd, const char *norm, int flags, mode_t mode)
{
	char comp[NAME_MAX + 1];
	int dirfd = rootfd, fd;
	const char *p = norm;

	for (;;) {
		const char *end = strchrnul(p, '/');
		size_t clen = (size_t)(end - p);
		memcpy(comp, p, clen);
		comp[clen] = 0;
		if (!*end) {
			fd = openat(dirfd, comp, flags | O_NOFOLLOW, mode);
			if (fd < 0)
				fd = -errno;
			break;
		}
		fd = openat(dirfd, comp, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (fd < 0) {
			fd = -errno;
			if (fd == -ENOTDIR) { /* a symlink where a directory should be is ELOOP */
				struct stat st;
				if (!fstatat(dirfd, comp, &st, AT_SYMLINK_NOFOLLOW) && S_ISLNK(st.st_mode))
					fd = -ELOOP;
			}
			break;
		}
		if (dirfd != rootfd)
			close(dirfd);
		dirfd = fd;
		p = end + 1;
	}
	if (dirfd != rootfd)
		close(dirfd);
	return fd;
}

int fs_open_beneath(int rootfd, const char *path, int flags, mode_t mode)
{
	char norm[PATH_MAX];
	int ret = normalise(path, norm, sizeof(norm));
	if (ret)
		return ret;
	if (!no_openat2) {
		struct open_how how = {
			.flags = (uint64_t)(flags | O_CLOEXEC),
			.mode = ((flags & O_CREAT) || (flags & O_TMPFILE) == O_TMPFILE) ? mode : 0,
			.resolve = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS,
		};
		long fd = syscall(SYS_openat2, rootfd, norm, &how, sizeof(how));
		if (fd >= 0)
			return (int)fd;
		if (errno != ENOSYS && errno != EPERM) /* EPERM: openat2 refused by an older seccomp */
			return -errno;
	}
	return walk(rootfd, norm, flags | O_CLOEXEC, mode);
}

int fs_open_parent_beneath(int rootfd, const char *path, const char **base)
{
	char dir[PATH_MAX];
	const char *slash = strrchr(path, '/');
	const char *b = slash ? slash + 1 : path;

	if (!*b || !strcmp(b, ".") || !strcmp(b, ".."))
		return -EINVAL;
	if (strlen(b) > NAME_MAX)
		return -ENAMETOOLONG;
	size_t dlen = slash ? (size_t)(slash - path) : 0;
	if (dlen >= sizeof(dir))
		return -ENAMETOOLONG;
	memcpy(dir, path, dlen);
	dir[dlen] = 0;
	*base = b;
	return fs_open_beneath(rootfd, dlen ? dir : ".", O_RDONLY | O_DIRECTORY, 0);
}

/* The one transfer loop: write (wr) or read len bytes at off (>= 0: pwrite/pread) or at the
 * current position (< 0), in pieces of at most 1 GiB; EINTR is retried. Returns the bytes moved,
 * short only where read (or write) returned 0, or -errno. */
static ssize_t xfer(int fd, uint8_t *p, size_t len, off_t off, bool wr)
{
	size_t done = 0;
	while (done < len) {
		size_t n = len - done > (1u << 30) ? (1u << 30) : len - done;
		off_t at = off + (off_t)done;
		ssize_t r = wr ? (off < 0 ? write(fd, p + done, n) : pwrite(fd, p + done, n, at))
			       : (off < 0 ? read(fd, p + done, n) : pread(fd, p + done, n, at));
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return -errno;
		if (!r)
			break;
		done += (size_t)r;
	}
	return (ssize_t)done;
}

/* All of len moved: 0; a short transfer (end of file, or a write that moved nothing) is -EIO. */
static int all(ssize_t r, size_t len) { return r < 0 ? (int)r : (size_t)r < len ? -EIO : 0; }

/* (uint8_t *)data: xfer only reads from the buffer of a write */
int fs_write_all(int fd, const void *data, size_t len) { return all(xfer(fd, (uint8_t *)data, len, -1, true), len); }

int fs_pwrite_all(int fd, const void *data, size_t len, off_t off)
{
	return off < 0 ? -EINVAL : all(xfer(fd, (uint8_t *)data, len, off, true), len);
}

int fs_pread_all(int fd, void *data, size_t len, off_t off)
{
	return off < 0 ? -EINVAL : all(xfer(fd, data, len, off, false), len);
}

ssize_t fs_read_upto(int fd, void *data, size_t len, off_t off) { return xfer(fd, data, len, off, false); }

int fs_read_fd(int fd, size_t max, struct buf *out)
{
	for (;;) {
		size_t room = 65536;
		if (out->len >= max) { /* probe for one more byte: exactly max is fine */
			uint8_t c;
			ssize_t r = read(fd, &c, 1);
			if (r < 0 && errno == EINTR)
				continue;
			if (r < 0)
				return -errno;
			return r ? -EFBIG : 0;
		}
		if (room > max - out->len)
			room = max - out->len;
		int ret = buf_reserve(out, room);
		if (ret)
			return ret;
		ssize_t r = read(fd, out->p + out->len, room);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (!r)
			return 0;
		out->len += (size_t)r;
		out->p[out->len] = 0;
	}
}

int fs_read_path(int dirfd, const char *path, size_t max, struct buf *out, struct kerr *e)
{
	struct stat st;
	int ret;
	int fd = openat(dirfd, path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0)
		return kerr_set(e, -errno, "%s: %s", path, strerror(errno));
	if (fstat(fd, &st)) {
		ret = kerr_set(e, -errno, "%s: %s", path, strerror(errno));
		goto out;
	}
	if (S_ISDIR(st.st_mode)) {
		ret = kerr_set(e, -EISDIR, "%s: is a directory", path);
		goto out;
	}
	if (S_ISREG(st.st_mode) && (uint64_t)st.st_size > max) {
		ret = kerr_set(e, -EFBIG, "%s: %lld bytes, more than the limit of %zu (offset %zu)", path,
			(long long)st.st_size, max, max);
		goto out;
	}
	ret = fs_read_fd(fd, max, out);
	if (ret == -EFBIG)
		kerr_set(e, ret, "%s: more than the limit of %zu bytes (offset %zu)", path, max, max);
	else if (ret)
		kerr_set(e, ret, "%s: read: %s", path, strerror(-ret));
out:
	close(fd);
	return ret;
}

int fs_write_atomic(int rootfd, const char *path, const void *data, size_t len, mode_t mode)
{
	const char *base;
	char tmp[NAME_MAX + 1];
	int dirfd, fd = -1, ret;

	dirfd = fs_open_parent_beneath(rootfd, path, &base);
	if (dirfd < 0)
		return dirfd;
	for (int tries = 0;; tries++) {
		uint32_t rnd;
		if (getrandom(&rnd, sizeof(rnd), 0) != sizeof(rnd))
			rnd = (uint32_t)getpid() * 2654435761u + (uint32_t)tries;
		if (str_fmt(tmp, sizeof(tmp), ".%.200s.keel-%08x", base, rnd)) {
			ret = -ENAMETOOLONG;
			goto out;
		}
		fd = openat(dirfd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
		if (fd >= 0)
			break;
		if (errno != EEXIST || tries > 16) {
			ret = -errno;
			goto out;
		}
	}
	if ((ret = fs_write_all(fd, data, len)))
		goto fail;
	if (fchmod(fd, mode) || fsync(fd)) {
		ret = -errno;
		goto fail;
	}
	if (close(fd)) {
		fd = -1;
		ret = -errno;
		goto fail;
	}
	fd = -1;
	if (renameat(dirfd, tmp, dirfd, base)) {
		ret = -errno;
		goto fail;
	}
	ret = fsync(dirfd) ? -errno : 0;
	goto out;
fail:
	if (fd >= 0)
		close(fd);
	unlinkat(dirfd, tmp, 0);
out:
	close(dirfd);
	return ret;
}

int fs_output_ok(int dirfd, const char *path)
{
	struct stat st;
	/* AT_NO_AUTOMOUNT too: musl turns exactly (AT_FDCWD, AT_SYMLINK_NOFOLLOW) into lstat(2), which
	 * the applets' seccomp lists do not have; newfstatat(2) they all allow */
	if (fstatat(dirfd, path, &st, AT_SYMLINK_NOFOLLOW | AT_NO_AUTOMOUNT))
		return errno == ENOENT ? 0 : -errno;
	return S_ISREG(st.st_mode) ? 0 : -EEXIST;
}

/* ---- removing trees ------------------------------------------------------------------------- */

static int remove_dir(int dfd, const char *name, int flags, unsigned depth);

int fs_empty_dir(int dfd, int flags, unsigned depth)
{
	struct stat top;
	if (fstat(dfd, &top))
		return -errno;
	int fd = openat(dfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC); /* a position of its own */
	if (fd < 0)
		return -errno;
	DIR *d = fdopendir(fd);
	if (!d) {
		int ret = -errno;
		close(fd);
		return ret;
	}
	int ret = 0, r;
	struct dirent *de;
	while ((de = readdir(d))) {
		struct stat st;
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		if (fstatat(fd, de->d_name, &st, AT_SYMLINK_NOFOLLOW))
			r = errno == ENOENT ? 0 : -errno;
		else if ((flags & FS_SAME_DEV) && st.st_dev != top.st_dev)
			r = 0; /* another filesystem mounted here */
		else if (S_ISDIR(st.st_mode))
			r = remove_dir(fd, de->d_name, flags, depth);
		else
			r = unlinkat(fd, de->d_name, 0) && errno != ENOENT ? -errno : 0;
		if (r && !ret)
			ret = r;
	}
	closedir(d);
	return ret;
}

/* The directory name in dfd: its contents (depth levels allowed), then itself. */
static int remove_dir(int dfd, const char *name, int flags, unsigned depth)
{
	if (!depth)
		return -ELOOP;
	int fd = openat(dfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return errno == ENOENT ? 0 : -errno;
	int ret = fs_empty_dir(fd, flags, depth - 1);
	close(fd);
	if (unlinkat(dfd, name, AT_REMOVEDIR) && !ret && errno != ENOENT)
		ret = -errno;
	return ret;
}

int fs_remove_tree(int dfd, const char *name, int flags, unsigned depth)
{
	struct stat st;
	if (fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW))
		return errno == ENOENT ? 0 : -errno;
	if (!S_ISDIR(st.st_mode))
		return unlinkat(dfd, name, 0) && errno != ENOENT ? -errno : 0;
	return remove_dir(dfd, name, flags, depth);
}
