/* fs.h — files: bounded reads, full writes, atomic replacement, and paths confined to a root.
 *
 * fs_open_beneath() resolves a path inside a directory and never leaves it: ".." cannot climb
 * above the root and no symlink is followed anywhere in the path (openat2 with RESOLVE_BENEATH |
 * RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS; where the kernel lacks openat2, an equivalent walk
 * one component at a time with O_NOFOLLOW). A leading "/" means the root itself.
 */
#ifndef KEEL_FS_H
#define KEEL_FS_H

#include <stddef.h>
#include <sys/types.h>

struct buf;
struct kerr;

/* Returns an fd or -errno: -EXDEV (escapes the root), -ELOOP (a symlink in the path), … */
int fs_open_beneath(int rootfd, const char *path, int flags, mode_t mode);
/* Split "a/b/c" into the parent directory (opened beneath rootfd, O_DIRECTORY) and "c".
 * Returns the parent fd or -errno; *base points into path. */
int fs_open_parent_beneath(int rootfd, const char *path, const char **base);

/* Replace path (beneath rootfd) with data, atomically: a temporary file in the same directory is
 * written, given mode, fsynced, renamed over path, and the directory is fsynced. On failure
 * nothing is left behind and path is unchanged. */
int fs_write_atomic(int rootfd, const char *path, const void *data, size_t len, mode_t mode);
/* Whether a user-named output path (relative to dirfd, AT_FDCWD for a plain path) may be replaced
 * by a rename: 0 when it does not exist or is a regular file; -EEXIST when it is anything else (a
 * device, FIFO, socket, directory or symlink: renamed over, /dev/null would become a file); other
 * -errno from lstat. */
int fs_output_ok(int dirfd, const char *path);

/* Read all of fd (to EOF) into out; more than max bytes is -EFBIG. */
int fs_read_fd(int fd, size_t max, struct buf *out);
/* Open path relative to dirfd (AT_FDCWD for a plain path) and read it whole, at most max bytes;
 * the size is checked before reading. Errors name the file in e. */
int fs_read_path(int dirfd, const char *path, size_t max, struct buf *out, struct kerr *e);

/* write(2)/pread(2)/pwrite(2) until done; short transfers and EINTR are retried; a write that
 * moves nothing is -EIO; a negative offset is -EINVAL. */
int fs_write_all(int fd, const void *data, size_t len);
int fs_pread_all(int fd, void *data, size_t len, off_t off); /* -EIO on early EOF */
int fs_pwrite_all(int fd, const void *data, size_t len, off_t off);
/* Read up to len bytes, short only at end of file: from offset off with pread(2), or (off < 0)
 * from the current position with read(2), so pipes work. Returns the byte count or -errno. */
ssize_t fs_read_upto(int fd, void *data, size_t len, off_t off);

/* Remove everything in the directory dfd (dfd itself stays), never following a symlink, at most
 * depth directory levels down (deeper is -ELOOP). With FS_SAME_DEV, entries on another filesystem
 * than dfd's are left alone (mount points, so the directory holding one stays too).
 * Goes on after a failure and returns the first one (0 if none). */
enum { FS_SAME_DEV = 1 };
int fs_empty_dir(int dfd, int flags, unsigned depth);
/* name (in dfd) removed: a file or symlink unlinked, a directory emptied as fs_empty_dir does
 * (depth counts name itself) and removed. A missing name is 0. */
int fs_remove_tree(int dfd, const char *name, int flags, unsigned depth);

/* For tests: force the openat2 fallback walk (1) or use openat2 when available (0). */
void fs_force_fallback(int on);

#endif
