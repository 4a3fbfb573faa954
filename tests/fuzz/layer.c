/* layer.c — libFuzzer harness for core/archive/layer.c (with tar.c): the input is one OCI layer
 * applied to an empty directory root/ whose sibling outside/ holds one file. Whatever the layer
 * says (symlinks to ../outside or /, "..", hard links, whiteouts of anything, opaque markers), after
 * it outside/ holds exactly that file, unchanged, and nothing was created beside root/. Errors name
 * the tar offset or the entry. Device nodes are refused (the policy under test), owners not set.
 */
#include "archive/layer.h"
#include "base/buf.h"
#include "base/err.h"
#include "base/fs.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static char base[256];
static int basefd = -1;

static void check(int cond, const char *what)
{
	if (!cond) {
		fprintf(stderr, "layer fuzz: %s\n", what);
		abort();
	}
}

static size_t entries(int dfd)
{
	int fd = openat(dfd, ".", O_RDONLY | O_DIRECTORY);
	DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
	size_t n = 0;
	check(d != NULL, "opendir");
	for (struct dirent *de; (de = readdir(d));)
		n += strcmp(de->d_name, ".") && strcmp(de->d_name, "..");
	closedir(d);
	return n;
}

static void cleanup(void)
{
	fs_empty_dir(basefd, FS_SAME_DEV, 256);
	rmdir(base);
}

static void setup(void)
{
	snprintf(base, sizeof(base), "%s/keel-fuzz-layer-XXXXXX", getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
	check(mkdtemp(base) != NULL, "mkdtemp");
	basefd = open(base, O_RDONLY | O_DIRECTORY);
	check(basefd >= 0 && !mkdirat(basefd, "outside", 0755) && !mkdirat(basefd, "root", 0755), "setup");
	int fd = openat(basefd, "outside/victim", O_WRONLY | O_CREAT | O_EXCL, 0644);
	check(fd >= 0 && write(fd, "keep", 4) == 4 && !close(fd), "victim");
	atexit(cleanup);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (basefd < 0)
		setup();
	int root = openat(basefd, "root", O_RDONLY | O_DIRECTORY | O_NOFOLLOW);
	check(root >= 0, "open root");
	struct layer_opts o = {.devices = LAYER_DEV_REFUSE, .setid = LAYER_SETID_KEEP, .no_chown = 1};
	struct layer_stats st = {0};
	struct layer *l;
	struct kerr e = {0};
	check(!layer_new(&l, root, &o, &st), "layer_new");
	int ret = layer_feed(l, data, size, &e);
	if (!ret)
		ret = layer_finish(l, &e);
	layer_free(l);
	if (ret)
		check(strstr(e.msg, "offset") != NULL || strstr(e.msg, "layer: ") != NULL, "an error that names nothing");
	/* outside/ untouched, nothing new beside root/ */
	char buf[8] = {0};
	struct stat s;
	int fd = openat(basefd, "outside/victim", O_RDONLY | O_NOFOLLOW);
	check(fd >= 0 && read(fd, buf, sizeof(buf)) == 4 && !memcmp(buf, "keep", 4) && !fstat(fd, &s) && s.st_nlink == 1 &&
		(s.st_mode & 07777) == 0644, "outside/victim changed or linked");
	close(fd);
	int od = openat(basefd, "outside", O_RDONLY | O_DIRECTORY | O_NOFOLLOW);
	check(od >= 0 && entries(od) == 1, "something was created in outside/");
	close(od);
	check(entries(basefd) == 2, "something was created beside root/");
	check(!fs_empty_dir(root, FS_SAME_DEV, 256), "emptying root");
	close(root);
	return 0;
}
