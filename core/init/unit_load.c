/* unit_load.c — find unit files, masks, drop-ins and .wants/ entries (see unit_load.h). */
#include "init/unit_load.h"
#include "base/buf.h"
#include "base/err.h"
#include "base/fs.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static const char *const dir_rel[UNIT_DIRS] = {"etc/systemd/system", "usr/lib/systemd/system"};

static const char *const builtin_targets[] = {
	"default.target", "multi-user.target", "basic.target", "sysinit.target", "network.target",
	"network-online.target", "network-pre.target", "local-fs.target", "remote-fs.target",
	"sockets.target", "timers.target", "paths.target", "nss-lookup.target", "time-sync.target",
	"getty.target", "shutdown.target",
};

const char *unit_load_name(enum unit_load l)
{
	static const char *const n[] = {"loaded", "masked", "not-found", "error"};
	return n[l];
}

int unit_dirs_open(struct unit_dirs *d, const char *root, struct kerr *e)
{
	int ret = 0;
	for (int i = 0; i < UNIT_DIRS; i++)
		d->fd[i] = -1;
	int rootfd = open(root, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (rootfd < 0)
		return kerr_set(e, -errno, "%s: %s", root, strerror(errno));
	bool slash = !strcmp(root, "/");
	for (int i = 0; i < UNIT_DIRS && !ret; i++) {
		if (str_fmt(d->path[i], sizeof(d->path[i]), "%s/%s", slash ? "" : root, dir_rel[i])) {
			ret = kerr_set(e, -ENAMETOOLONG, "%s: path too long", root);
			break;
		}
		int fd = fs_open_beneath(rootfd, dir_rel[i], O_RDONLY | O_DIRECTORY, 0);
		if (fd >= 0)
			d->fd[i] = fd;
		else if (fd != -ENOENT)
			ret = kerr_set(e, fd, "%s: %s", d->path[i], strerror(-fd));
	}
	close(rootfd);
	if (ret)
		unit_dirs_close(d);
	return ret;
}

void unit_dirs_close(struct unit_dirs *d)
{
	if (!d)
		return;
	for (int i = 0; i < UNIT_DIRS; i++) {
		if (d->fd[i] >= 0)
			close(d->fd[i]);
		d->fd[i] = -1;
	}
}

/* Read entry name of directory dfd (shown as dpath). 0: the file is in b; 1: masked;
 * -ENOENT: no such entry; other negative: an error, described in e. */
static int read_entry(int dfd, const char *dpath, const char *name, struct buf *b, struct kerr *e)
{
	struct stat st;
	char target[16];
	int fd, ret;
	if (fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW))
		return errno == ENOENT ? -ENOENT : kerr_set(e, -errno, "%s/%s: %s", dpath, name, strerror(errno));
	if (S_ISLNK(st.st_mode)) {
		ssize_t n = readlinkat(dfd, name, target, sizeof(target));
		if (n == 9 && !memcmp(target, "/dev/null", 9))
			return 1;
		return kerr_set(e, -ELOOP, "%s/%s: a symlink that is not a mask (only links to /dev/null are allowed)",
			dpath, name);
	}
	if (!S_ISREG(st.st_mode))
		return kerr_set(e, -EINVAL, "%s/%s: not a regular file", dpath, name);
	if ((fd = openat(dfd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY)) < 0)
		return kerr_set(e, -errno, "%s/%s: %s", dpath, name, strerror(errno));
	if (fstat(fd, &st) || !S_ISREG(st.st_mode)) {
		close(fd);
		return kerr_set(e, -EINVAL, "%s/%s: not a regular file", dpath, name);
	}
	buf_reset(b);
	ret = fs_read_fd(fd, UNIT_FILE_MAX, b);
	close(fd);
	if (ret == -EFBIG)
		return kerr_set(e, ret, "%s/%s: larger than %d bytes", dpath, name, UNIT_FILE_MAX);
	if (ret)
		return kerr_set(e, ret, "%s/%s: read: %s", dpath, name, strerror(-ret));
	return b->len ? 0 : 1;
}

/* Open a subdirectory (no symlinks); -ENOENT when absent. */
static int open_sub(int dfd, const char *dpath, const char *sub, struct kerr *e)
{
	if (dfd < 0)
		return -ENOENT;
	int fd = openat(dfd, sub, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd >= 0)
		return fd;
	if (errno == ENOENT)
		return -ENOENT;
	return kerr_set(e, -errno, "%s/%s: %s", dpath, sub, errno == ENOTDIR || errno == ELOOP ?
		"not a directory (symlinked directories are not followed)" : strerror(errno));
}

/* The same as a directory stream: 0 with *dir NULL when absent. */
static int list_sub(const struct unit_dirs *d, int i, const char *sub, DIR **dir, struct kerr *e)
{
	*dir = NULL;
	int fd = open_sub(d->fd[i], d->path[i], sub, e);
	if (fd == -ENOENT)
		return 0;
	if (fd < 0)
		return fd;
	if (!(*dir = fdopendir(fd))) {
		close(fd);
		return kerr_set(e, -errno, "%s/%s: %s", d->path[i], sub, strerror(errno));
	}
	return 0;
}

struct dropin {
	char name[256];
	int dir;         /* index into unit_dirs */
	const char *sub; /* "NAME.d" or "TEMPLATE.d" */
};

static int cmp_dropin(const void *a, const void *b)
{
	return strcmp(((const struct dropin *)a)->name, ((const struct dropin *)b)->name);
}

static int list_dropins(const struct unit_dirs *d, const char *subs[2], struct dropin *out, size_t *n,
	struct kerr *e)
{
	for (int i = 0; i < UNIT_DIRS; i++)
		for (int k = 0; k < 2 && subs[k]; k++) {
			DIR *dir;
			int ret = list_sub(d, i, subs[k], &dir, e);
			if (ret)
				return ret;
			if (!dir)
				continue;
			struct dirent *de;
			while (!ret && (de = readdir(dir))) {
				if (de->d_name[0] == '.' || !str_ends(de->d_name, ".conf"))
					continue;
				bool dup = false;
				for (size_t j = 0; j < *n && !dup; j++)
					dup = !strcmp(out[j].name, de->d_name);
				if (dup)
					continue;
				if (*n == UNIT_DROPINS_MAX)
					ret = kerr_set(e, -E2BIG, "%s/%s: more than %d drop-ins", d->path[i], subs[k], UNIT_DROPINS_MAX);
				else if (str_copy(out[*n].name, sizeof(out[*n].name), de->d_name))
					ret = kerr_set(e, -ENAMETOOLONG, "%s/%s: name too long", d->path[i], subs[k]);
				else {
					out[*n].dir = i;
					out[*n].sub = subs[k];
					(*n)++;
				}
			}
			closedir(dir);
			if (ret)
				return ret;
		}
	qsort(out, *n, sizeof(*out), cmp_dropin);
	return 0;
}

static int apply_dropins(const struct unit_dirs *d, const char *subs[2], struct unit *u, struct buf *b,
	struct kerr *e)
{
	struct dropin *list = calloc(UNIT_DROPINS_MAX, sizeof(*list));
	size_t n = 0;
	char dpath[4400], path[4700];
	int ret;
	if (!list)
		return kerr_set(e, -ENOMEM, "out of memory");
	if ((ret = list_dropins(d, subs, list, &n, e)))
		goto out;
	for (size_t i = 0; i < n && !ret; i++) {
		int fd = open_sub(d->fd[list[i].dir], d->path[list[i].dir], list[i].sub, e);
		if (fd < 0) {
			ret = fd == -ENOENT ? kerr_set(e, fd, "%s/%s vanished", d->path[list[i].dir], list[i].sub) : fd;
			break;
		}
		str_fmt(dpath, sizeof(dpath), "%s/%s", d->path[list[i].dir], list[i].sub);
		ret = read_entry(fd, dpath, list[i].name, b, e);
		close(fd);
		if (ret == 1) { /* masked drop-in */
			ret = 0;
			continue;
		}
		if (ret == -ENOENT)
			ret = kerr_set(e, ret, "%s/%s vanished", dpath, list[i].name);
		if (ret)
			break;
		str_fmt(path, sizeof(path), "%s/%s", dpath, list[i].name);
		ret = unit_parse(u, path, (const char *)b->p, b->len, e);
	}
out:
	free(list);
	return ret;
}

/* NAME.wants/ and NAME.requires/ of both directories. */
static int dir_deps(const struct unit_dirs *d, const char *name, struct unit *u, struct kerr *e)
{
	static const char *const kinds[] = {".wants", ".requires"};
	char sub[UNIT_NAME_MAX + 16];
	for (int i = 0; i < UNIT_DIRS; i++)
		for (int k = 0; k < 2; k++) {
			str_fmt(sub, sizeof(sub), "%s%s", name, kinds[k]);
			DIR *dir;
			int ret = list_sub(d, i, sub, &dir, e);
			if (ret)
				return ret;
			if (!dir)
				continue;
			struct dirent *de;
			struct strv *l = k ? &u->requires : &u->wants;
			while (!ret && (de = readdir(dir))) {
				if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
					continue;
				if (!unit_name_suffix(de->d_name) || unit_name_is_template(de->d_name))
					ret = kerr_set(e, -EINVAL, "%s/%s/%.64s: not a unit name", d->path[i], sub, de->d_name);
				else if (!strv_has(l, de->d_name) && (ret = strv_push(l, de->d_name)))
					ret = kerr_set(e, ret, "%s/%s: too many entries", d->path[i], sub);
			}
			closedir(dir);
			if (ret)
				return ret;
		}
	return 0;
}

int unit_load(const struct unit_dirs *d, const char *name, struct unit *u, enum unit_load *load, struct kerr *e)
{
	return unit_load_observed(d, name, u, NULL, load, e);
}

int unit_load_observed(const struct unit_dirs *d, const char *name, struct unit *u, struct unit_observer *obs,
	enum unit_load *load, struct kerr *e)
{
	struct buf b = BUF_INIT(UNIT_FILE_MAX);
	char tmpl[UNIT_NAME_MAX + 1] = "", dsub[UNIT_NAME_MAX + 3], tsub[UNIT_NAME_MAX + 3], path[4400];
	int ret, found = -1;

	if ((ret = unit_init(u, name)))
		return kerr_set(e, ret, "%.300s: not a valid unit name", name);
	u->observer = obs;
	if (u->kind == UNIT_OTHER) { /* named in After=, Wants=…: valid, but nothing keel runs */
		unit_free(u);
		return kerr_set(e, -EOPNOTSUPP, "%.300s: keel init runs .service, .socket, .target and .timer units only", name);
	}
	bool instance = unit_name_template(name, tmpl) == 0;
	for (int pass = 0; pass < (instance ? 2 : 1) && found < 0; pass++) {
		const char *file = pass ? tmpl : name;
		for (int i = 0; i < UNIT_DIRS; i++) {
			if (d->fd[i] < 0)
				continue;
			ret = read_entry(d->fd[i], d->path[i], file, &b, e);
			if (ret == -ENOENT)
				continue;
			if (ret < 0)
				goto fail;
			if (ret == 1) {
				*load = LOAD_MASKED;
				ret = 0;
				goto done;
			}
			str_fmt(path, sizeof(path), "%s/%s", d->path[i], file);
			found = i;
			break;
		}
	}
	if (found < 0) {
		bool builtin = false;
		for (size_t i = 0; i < sizeof(builtin_targets) / sizeof(builtin_targets[0]); i++)
			builtin |= !strcmp(name, builtin_targets[i]);
		if (!builtin) {
			*load = LOAD_NOT_FOUND;
			ret = 0;
			goto done;
		}
	} else if ((ret = unit_parse(u, path, (const char *)b.p, b.len, e))) {
		goto fail;
	}
	str_fmt(dsub, sizeof(dsub), "%s.d", name);
	str_fmt(tsub, sizeof(tsub), "%s.d", tmpl);
	const char *subs[2] = {dsub, instance ? tsub : NULL};
	if ((ret = apply_dropins(d, subs, u, &b, e)) || (ret = dir_deps(d, name, u, e)))
		goto fail;
	if (!strcmp(name, "multi-user.target") && (ret = dir_deps(d, "default.target", u, e)))
		goto fail;
	/* systemd's chain: multi-user.target requires basic.target, which requires sysinit.target
	 * (what WantedBy=sysinit.target units — nftables.service — hang on) and wants sockets.target and
	 * timers.target (enabled sockets listen, enabled timers run) */
	static const char chain[][2][18] = {{"multi-user.target", "basic.target"}, {"basic.target", "sysinit.target"},
		{"basic.target", "sockets.target"}, {"basic.target", "timers.target"}};
	for (size_t i = 0; i < sizeof(chain) / sizeof(chain[0]); i++)
		if (!strcmp(name, chain[i][0]) && !strv_has(&u->wants, chain[i][1]) && (ret = strv_push(&u->wants, chain[i][1]))) {
			kerr_set(e, ret, "%s: %s", name, strerror(-ret));
			goto fail;
		}
	if ((ret = unit_check(u, e)))
		goto fail;
	*load = LOAD_LOADED;
done:
	buf_free(&b);
	return 0;
fail:
	buf_free(&b);
	unit_free(u);
	return ret;
}
