/* fs_test.c — confined opens (openat2 and the fallback walk must agree), atomic writes, bounded reads. */
#include "t.h"
#include "base/buf.h"
#include "base/err.h"
#include "base/fs.h"

#include <errno.h>
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

static int rootfd = -1;

static void make_tree(void)
{
	char p[512];
	const char *t = t_tmpdir();
	snprintf(p, sizeof(p), "%s/root", t);
	mkdir(p, 0755);
	rootfd = open(p, O_RDONLY | O_DIRECTORY);
	mkdirat(rootfd, "a", 0755);
	mkdirat(rootfd, "a/b", 0755);
	close(openat(rootfd, "a/b/file", O_CREAT | O_WRONLY, 0644));
	close(openat(rootfd, "f", O_CREAT | O_WRONLY, 0644));
	symlinkat("b", rootfd, "a/link");
	symlinkat("/etc", rootfd, "abs");
	symlinkat("../..", rootfd, "esc");
	symlinkat("f", rootfd, "flink");
}

T_TEST(fs_open_beneath_table)
{
	static const struct { const char *path; int flags; int ret; } cases[] = {
		{"a/b/file", O_RDONLY, 0},
		{"/a/b/file", O_RDONLY, 0},          /* "/" is the root */
		{"a//b/./file", O_RDONLY, 0},
		{"a/../a/b/file", O_RDONLY, 0},
		{".", O_RDONLY | O_DIRECTORY, 0},
		{"", O_RDONLY | O_DIRECTORY, 0},
		{"a/b/", O_RDONLY | O_DIRECTORY, 0},
		{"..", O_RDONLY, -EXDEV},
		{"../etc/passwd", O_RDONLY, -EXDEV},
		{"a/../../etc/passwd", O_RDONLY, -EXDEV},
		{"/../etc/passwd", O_RDONLY, -EXDEV},
		{"a/link/file", O_RDONLY, -ELOOP},   /* symlink inside the path */
		{"abs/passwd", O_RDONLY, -ELOOP},    /* absolute symlink */
		{"esc/etc/passwd", O_RDONLY, -ELOOP},
		{"esc", O_RDONLY, -ELOOP},           /* the final component is a symlink */
		{"flink", O_RDONLY, -ELOOP},
		{"flink", O_WRONLY | O_TRUNC, -ELOOP},
		{"f/x", O_RDONLY, -ENOTDIR},
		{"f", O_RDONLY | O_DIRECTORY, -ENOTDIR},
		{"missing", O_RDONLY, -ENOENT},
		{"missing/x", O_RDONLY, -ENOENT},
		{"a/new", O_WRONLY | O_CREAT | O_EXCL, 0},
		{"a/new", O_WRONLY | O_CREAT | O_EXCL, -EEXIST},
		{"a/link/new", O_WRONLY | O_CREAT, -ELOOP},
	};
	make_tree();
	for (int mode = 0; mode < 2; mode++) {
		fs_force_fallback(mode);
		unlinkat(rootfd, "a/new", 0);
		for (size_t i = 0; i < T_LEN(cases); i++) {
			int fd = fs_open_beneath(rootfd, cases[i].path, cases[i].flags, 0644);
			int got = fd >= 0 ? 0 : fd;
			t_check(got == cases[i].ret, "%s '%s': got %d (%s), want %d", mode ? "fallback" : "openat2",
				cases[i].path, got, got ? strerror(-got) : "ok", cases[i].ret);
			if (fd >= 0)
				close(fd);
		}
	}
	unlinkat(rootfd, "a/new", 0);
	fs_force_fallback(0);
	char longname[300];
	memset(longname, 'x', sizeof(longname) - 1);
	longname[sizeof(longname) - 1] = 0;
	t_check(fs_open_beneath(rootfd, longname, O_RDONLY, 0) == -ENAMETOOLONG, "component > NAME_MAX");
}

static int count_entries(int dirfd)
{
	int n = 0, fd = dup(dirfd);
	DIR *d = fdopendir(fd);
	struct dirent *de;
	rewinddir(d);
	while ((de = readdir(d)))
		n += de->d_name[0] != '.' || (strcmp(de->d_name, ".") && strcmp(de->d_name, ".."));
	closedir(d);
	return n;
}

T_TEST(fs_write_atomic_cases)
{
	struct stat st;
	char got[64] = {0};
	if (rootfd < 0)
		make_tree();
	int d = openat(rootfd, "a", O_RDONLY | O_DIRECTORY);
	int before = count_entries(d);

	t_check(fs_write_atomic(rootfd, "a/conf", "one", 3, 0640) == 0, "create");
	t_check(fstatat(rootfd, "a/conf", &st, 0) == 0 && (st.st_mode & 07777) == 0640 && st.st_size == 3, "mode 0640, 3 bytes");
	t_check(fs_write_atomic(rootfd, "/a/conf", "second", 6, 0600) == 0, "replace");
	int fd = openat(rootfd, "a/conf", O_RDONLY);
	t_check(read(fd, got, sizeof(got)) == 6 && !memcmp(got, "second", 6), "replaced contents");
	close(fd);
	t_check(count_entries(d) == before + 1, "no temporary file left behind");

	t_check(fs_write_atomic(rootfd, "a/link/x", "x", 1, 0644) == -ELOOP, "through a symlink: ELOOP");
	t_check(fs_write_atomic(rootfd, "../x", "x", 1, 0644) == -EXDEV, "escape: EXDEV");
	t_check(fs_write_atomic(rootfd, "nodir/x", "x", 1, 0644) == -ENOENT, "missing parent: ENOENT");
	t_check(fs_write_atomic(rootfd, "a/", "x", 1, 0644) == -EINVAL, "no file name: EINVAL");
	t_check(fs_write_atomic(rootfd, "a/b", "x", 1, 0644) < 0, "over a directory fails");
	t_check(fstatat(rootfd, "a/b/file", &st, 0) == 0, "the directory is intact");
	t_check(count_entries(d) == before + 1, "failures leave nothing behind");
	/* A symlink at the destination is replaced, never written through. */
	t_check(fs_write_atomic(rootfd, "flink", "new", 3, 0644) == 0, "over a symlink");
	t_check(fstatat(rootfd, "flink", &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISREG(st.st_mode), "the link became a file");
	t_check(fstatat(rootfd, "f", &st, 0) == 0 && st.st_size == 0, "its old target is untouched");
	close(d);
}

/* A user-named output is renamed over: only a regular file or nothing may be there. */
T_TEST(fs_output_ok_table)
{
	static const struct { const char *path; int ret; } cases[] = {
		{"f", 0}, {"a/b/file", 0}, {"absent", 0}, {"a/b/absent", 0},
		{"fifo", -EEXIST}, {"olink", -EEXIST}, {"esc", -EEXIST}, {"a", -EEXIST}, {"f/x", -ENOTDIR},
	};
	if (rootfd < 0)
		make_tree();
	mkfifoat(rootfd, "fifo", 0600);
	symlinkat("f", rootfd, "olink"); /* a link to a regular file is still a link */
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		t_check(fs_output_ok(rootfd, cases[i].path) == cases[i].ret, "%s: %d", cases[i].path, fs_output_ok(rootfd, cases[i].path));
	t_check(fs_output_ok(AT_FDCWD, "/dev/null") == -EEXIST, "/dev/null: a device");
	unlinkat(rootfd, "fifo", 0);
	unlinkat(rootfd, "olink", 0);
}

T_TEST(fs_read_bounds)
{
	struct buf b = BUF_INIT(1 << 20);
	struct kerr e = {0};
	char data[100];
	memset(data, 'z', sizeof(data));
	const char *p = t_write("hundred", data, sizeof(data));
	t_check(fs_read_path(AT_FDCWD, p, 100, &b, &e) == 0 && b.len == 100, "exactly the limit");
	buf_free(&b);
	t_check(fs_read_path(AT_FDCWD, p, 99, &b, &e) == -EFBIG && strstr(e.msg, "offset 99"), "limit - 1: %s", e.msg);
	buf_free(&b);

	/* A 2 GiB (sparse) file is refused from its size, before any read. */
	char big[512];
	snprintf(big, sizeof(big), "%s/big", t_tmpdir());
	int fd = open(big, O_CREAT | O_WRONLY, 0644);
	t_check(fd >= 0 && ftruncate(fd, 2LL << 30) == 0, "sparse 2 GiB file");
	close(fd);
	t_check(fs_read_path(AT_FDCWD, big, 16 << 20, &b, &e) == -EFBIG && b.len == 0 && strstr(e.msg, "2147483648 bytes"),
		"2 GiB refused: %s", e.msg);
	unlink(big);

	/* A stream (no size) is cut off by reading, not by trusting st_size. */
	fd = open("/proc/self/status", O_RDONLY);
	t_check(fs_read_fd(fd, 10, &b) == -EFBIG && b.len == 10, "proc file over the limit");
	close(fd);
	buf_free(&b);
	t_check(fs_read_path(AT_FDCWD, t_tmpdir(), 10, &b, &e) == -EISDIR, "directory");
	t_check(fs_read_path(AT_FDCWD, "/nonexistent/x", 10, &b, &e) == -ENOENT && strstr(e.msg, "/nonexistent/x"), "names the file");
}

T_TEST(fs_read_upto_cases)
{
	char got[16];
	const char *p = t_write("upto", "0123456789", 10);
	int fd = open(p, O_RDONLY);
	t_check(fs_read_upto(fd, got, 4, 3) == 4 && !memcmp(got, "3456", 4), "pread from an offset");
	t_check(fs_read_upto(fd, got, 16, 6) == 4 && !memcmp(got, "6789", 4), "short only at end of file");
	t_check(fs_read_upto(fd, got, 4, 10) == 0, "at end of file: 0");
	t_check(fs_read_upto(fd, got, 16, -1) == 10 && !memcmp(got, "0123456789", 10), "off < 0 reads from the position");
	close(fd);
	int pfd[2];
	t_check(pipe(pfd) == 0, "pipe");
	if (fork() == 0) { /* two writes: the reader must keep going past the first short read */
		close(pfd[0]);
		t_check(write(pfd[1], "ab", 2) == 2, "w1");
		usleep(20000);
		t_check(write(pfd[1], "cd", 2) == 2, "w2");
		_exit(0);
	}
	close(pfd[1]);
	t_check(fs_read_upto(pfd[0], got, 8, -1) == 4 && !memcmp(got, "abcd", 4), "a pipe is read to its end");
	close(pfd[0]);
	wait(NULL);
	t_check(fs_read_upto(-1, got, 1, 0) == -EBADF, "bad fd: -EBADF");
}

/* The four transfers share one loop: each, on a file, at EOF, on a bad fd, a read-only fd, a
 * negative offset. */
T_TEST(fs_transfer_table)
{
	const char *p = t_write("xfer", "0123456789", 10);
	int rw = open(p, O_RDWR), ro = open(p, O_RDONLY);
	char got[16];
	static const struct { int which, fd_ro; size_t len; off_t off; long want; } cases[] = {
		/* which: 0 pread_all, 1 pwrite_all, 2 write_all (at the end), 3 read_upto */
		{0, 1, 10, 0, 0}, {0, 1, 4, 6, 0}, {0, 1, 5, 6, -EIO}, {0, 1, 1, 10, -EIO}, {0, 1, 0, 10, 0},
		{0, 1, 1, -1, -EINVAL},
		{1, 0, 3, 2, 0}, {1, 1, 3, 2, -EBADF}, {1, 0, 1, -5, -EINVAL},
		{2, 0, 2, 0, 0}, {2, 1, 2, 0, -EBADF},
		{3, 1, 16, 0, 12}, {3, 1, 16, 12, 0}, {3, 0, 2, 11, 1},
	};
	for (size_t i = 0; i < T_LEN(cases); i++) {
		int fd = cases[i].fd_ro ? ro : rw;
		long r = 0;
		switch (cases[i].which) {
		case 0: r = fs_pread_all(fd, got, cases[i].len, cases[i].off); break;
		case 1: r = fs_pwrite_all(fd, "abc", cases[i].len, cases[i].off); break;
		case 2: lseek(fd, 0, SEEK_END); r = fs_write_all(fd, "XY", cases[i].len); break;
		case 3: r = fs_read_upto(fd, got, cases[i].len, cases[i].off); break;
		}
		t_check(r == cases[i].want, "case %zu: %ld, want %ld", i, r, cases[i].want);
	}
	t_check(fs_pread_all(ro, got, 12, 0) == 0 && !memcmp(got, "01abc56789XY", 12), "the file: %.12s", got);
	close(rw);
	close(ro);
	int null = open("/dev/full", O_WRONLY);
	t_check(null < 0 || fs_write_all(null, "x", 1) == -ENOSPC, "a failing write is its errno");
	if (null >= 0)
		close(null);
}

static int exists(int dfd, const char *name)
{
	struct stat st;
	return !fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW);
}

/* fs_remove_tree: files, nested directories, a symlink to outside (removed, its target kept), a
 * missing name, a plain file, and a tree deeper than allowed (-ELOOP, the rest still removed). */
T_TEST(fs_remove_tree_cases)
{
	int d = open(t_tmpdir(), O_RDONLY | O_DIRECTORY);
	t_check(mkdirat(d, "outside", 0755) == 0 && close(openat(d, "outside/keep", O_CREAT | O_WRONLY, 0644)) == 0,
		"outside");
	t_check(mkdirat(d, "t", 0755) == 0 && mkdirat(d, "t/a", 0755) == 0 && mkdirat(d, "t/a/b", 0700) == 0 &&
			close(openat(d, "t/f", O_CREAT | O_WRONLY, 0)) == 0 &&
			close(openat(d, "t/a/b/g", O_CREAT | O_WRONLY, 0644)) == 0 && symlinkat("../outside", d, "t/a/out") == 0 &&
			symlinkat("../outside/keep", d, "t/keep") == 0 && mkfifoat(d, "t/a/fifo", 0600) == 0,
		"tree");
	t_check(fs_remove_tree(d, "t", 0, 3) == 0 && !exists(d, "t"), "the tree is gone");
	t_check(exists(d, "outside/keep"), "a symlink's target is never touched");
	t_check(fs_remove_tree(d, "t", 0, 3) == 0, "a missing name is 0");
	t_check(close(openat(d, "file", O_CREAT | O_WRONLY, 0644)) == 0 && fs_remove_tree(d, "file", 0, 1) == 0 &&
			!exists(d, "file"), "a file is unlinked");
	t_check(mkdirat(d, "deep", 0755) == 0 && mkdirat(d, "deep/1", 0755) == 0 && mkdirat(d, "deep/1/2", 0755) == 0 &&
			close(openat(d, "deep/x", O_CREAT | O_WRONLY, 0644)) == 0,
		"deep");
	t_check(fs_remove_tree(d, "deep", 0, 2) == -ELOOP && exists(d, "deep/1/2") && !exists(d, "deep/x"),
		"deeper than allowed: -ELOOP, the rest removed");
	t_check(fs_remove_tree(d, "deep", 0, 3) == 0 && !exists(d, "deep"), "with one more level: removed");
	t_check(mkdirat(d, "e", 0755) == 0 && close(openat(d, "e/1", O_CREAT | O_WRONLY, 0644)) == 0 &&
			symlinkat("/", d, "e/root") == 0,
		"e");
	int e = openat(d, "e", O_RDONLY | O_DIRECTORY);
	t_check(fs_empty_dir(e, FS_SAME_DEV, 1) == 0 && exists(d, "e") && !exists(d, "e/1") && !exists(d, "e/root"),
		"fs_empty_dir keeps the directory");
	t_check(fs_empty_dir(-1, 0, 1) == -EBADF, "bad fd");
	close(e);
	close(d);
}
