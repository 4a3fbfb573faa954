/* layer.c — apply an OCI layer to a root directory (see layer.h). */
#include "archive/layer.h"
#include "archive/tar.h"
#include "base/buf.h"
#include "base/err.h"
#include "base/fs.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#define SET_MAX_BYTES (256u << 20) /* paths this layer made */
#define DEPTH 256

struct layer {
	int root;
	struct layer_opts o;
	struct layer_stats *st;
	struct tar *tar;
	int fd;                  /* the regular file being written, or -1 */
	struct tar_entry en;     /* the current entry (its pointers live until its end) */
	char path[TAR_PATH_MAX]; /* its cleaned path */
	struct buf arena;        /* the set of paths this layer made: NUL-terminated strings */
	uint32_t *tab;           /* open addressing, arena offset + 1 */
	size_t tabcap, count;
};

static int lerr(struct layer *l, struct kerr *e, int code, const char *why)
{
	return kerr_set(e, code, "layer: %s: %s (tar offset %llu)", l->en.path, why, (unsigned long long)l->en.offset);
}

/* ---- the paths this layer made ------------------------------------------------------------- */

static uint64_t fnv(const char *s)
{
	uint64_t h = 14695981039346656037ull;
	for (; *s; s++)
		h = (h ^ (uint8_t)*s) * 1099511628211ull;
	return h;
}

static uint32_t *slot(struct layer *l, const char *s)
{
	size_t i = (size_t)fnv(s) & (l->tabcap - 1);
	for (;; i = (i + 1) & (l->tabcap - 1))
		if (!l->tab[i] || !strcmp((const char *)l->arena.p + l->tab[i] - 1, s))
			return &l->tab[i];
}

static int made(struct layer *l, const char *s)
{
	return l->tabcap && *slot(l, s);
}

static int remember(struct layer *l, const char *s)
{
	if ((l->count + 1) * 2 > l->tabcap) {
		size_t ncap = l->tabcap ? l->tabcap * 2 : 1024;
		uint32_t *old = l->tab, *nt = calloc(ncap, sizeof(*nt));
		size_t ocap = l->tabcap;
		if (!nt)
			return -ENOMEM;
		l->tab = nt;
		l->tabcap = ncap;
		for (size_t i = 0; i < ocap; i++)
			if (old[i])
				*slot(l, (const char *)l->arena.p + old[i] - 1) = old[i];
		free(old);
	}
	uint32_t *p = slot(l, s);
	if (*p)
		return 0;
	size_t off = l->arena.len;
	int ret = buf_put(&l->arena, s, strlen(s) + 1);
	if (ret)
		return ret == -E2BIG ? -EFBIG : ret;
	*p = (uint32_t)off + 1;
	l->count++;
	return 0;
}

/* ---- paths --------------------------------------------------------------------------------- */

/* Clean in into out: "/" and "./" prefixes, "." and empty components dropped; ".." refused.
 * "" is the root itself. */
static int clean_path(const char *in, char *out)
{
	size_t n = 0;
	const char *p = in;
	while (*p) {
		const char *c = p;
		while (*p && *p != '/')
			p++;
		size_t len = (size_t)(p - c);
		if (*p)
			p++;
		if (!len || (len == 1 && c[0] == '.'))
			continue;
		if (len == 2 && c[0] == '.' && c[1] == '.')
			return -1;
		if (n)
			out[n++] = '/';
		memcpy(out + n, c, len);
		n += len;
	}
	out[n] = 0;
	return 0;
}

/* The parent directory of the cleaned path, walked from the root without following a symlink;
 * missing directories are made (0755, remembered as this layer's) when create is set. */
static int open_parent(struct layer *l, char *path, int create, const char **base, struct kerr *e)
{
	int dfd = openat(l->root, ".", O_PATH | O_DIRECTORY | O_CLOEXEC);
	char *c = path, *slash;
	if (dfd < 0)
		return kerr_set(e, -errno, "layer: the root: %s", kerr_strerror(errno));
	while ((slash = strchr(c, '/'))) {
		*slash = 0;
		int fd = openat(dfd, c, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (fd < 0 && errno == ENOENT && create) {
			if (mkdirat(dfd, c, 0755) && errno != EEXIST)
				fd = -1;
			else if ((fd = remember(l, path)) < 0)
				errno = -fd, fd = -1;
			else
				fd = openat(dfd, c, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		}
		int err = errno, ret = 0;
		struct stat s;
		if (fd < 0 && (err == ENOTDIR || err == ELOOP) && !fstatat(dfd, c, &s, AT_SYMLINK_NOFOLLOW) && S_ISLNK(s.st_mode))
			ret = kerr_set(e, -EINVAL, "layer: %s: %s is a symbolic link: keel never follows links while unpacking (tar offset %llu)",
				l->en.path, path, (unsigned long long)l->en.offset);
		else if (fd < 0)
			ret = kerr_set(e, -err, "layer: %s: %s: %s (tar offset %llu)", l->en.path, path, kerr_strerror(err),
				(unsigned long long)l->en.offset);
		*slash = '/';
		close(dfd);
		if (fd < 0)
			return ret;
		dfd = fd;
		c = slash + 1;
	}
	*base = c;
	return dfd;
}

/* ---- whiteouts ----------------------------------------------------------------------------- */

/* .wh..wh..opq: everything in the directory that this layer did not make goes. */
static int opaque(struct layer *l, int pfd, struct kerr *e)
{
	char child[TAR_PATH_MAX + 256];
	size_t plen = strlen(l->path) - strlen(".wh..wh..opq");
	int ret = 0, dfd = openat(pfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	DIR *d = dfd < 0 ? NULL : fdopendir(dfd);
	if (!d) {
		if (dfd >= 0)
			close(dfd);
		return lerr(l, e, -errno, kerr_strerror(errno));
	}
	memcpy(child, l->path, plen);
	for (struct dirent *de; (de = readdir(d));) {
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		if (str_fmt(child + plen, sizeof(child) - plen, "%s", de->d_name))
			continue; /* longer than any path a layer can name: not ours */
		if (made(l, child))
			continue;
		if ((ret = fs_remove_tree(pfd, de->d_name, FS_SAME_DEV, DEPTH))) {
			ret = lerr(l, e, ret, "removing what the opaque whiteout hides failed");
			break;
		}
	}
	closedir(d);
	l->st->opaques++;
	return ret;
}

static int whiteout(struct layer *l, int pfd, const char *base, struct kerr *e)
{
	const char *name = base + 4;
	char victim[TAR_PATH_MAX];
	if (!strcmp(base, ".wh..wh..opq"))
		return opaque(l, pfd, e);
	if (!*name || !strcmp(name, ".") || !strcmp(name, ".."))
		return lerr(l, e, -EINVAL, "a whiteout without a name");
	size_t plen = (size_t)(base - l->path);
	if (str_fmt(victim, sizeof(victim), "%.*s%s", (int)plen, l->path, name))
		return lerr(l, e, -EINVAL, "path too long");
	if (made(l, victim))
		return lerr(l, e, -EINVAL, "a whiteout of an entry of the same layer");
	int ret = fs_remove_tree(pfd, name, FS_SAME_DEV, DEPTH);
	if (ret)
		return lerr(l, e, ret, "removing the whited-out entry failed");
	l->st->whiteouts++;
	return 0;
}

/* ---- entries ------------------------------------------------------------------------------- */

static int set_xattrs(struct layer *l, int fd, struct kerr *e)
{
	for (size_t i = 0; i < l->en.nxattrs; i++) {
		const struct tar_xattr *x = &l->en.xattrs[i];
		int cap = !strcmp(x->name, "security.capability");
		if (!cap && strncmp(x->name, "user.", 5)) {
			l->st->skipped_xattrs++;
			continue;
		}
		if (cap && l->o.setid == LAYER_SETID_STRIP) {
			l->st->stripped_setid++;
			continue;
		}
		if (cap && l->o.setid == LAYER_SETID_REFUSE)
			return lerr(l, e, -ENOTSUP, "file capabilities (security.capability) refused by policy");
		if (fsetxattr(fd, x->name, x->value, x->len, 0))
			return lerr(l, e, -errno, "setting an xattr failed");
	}
	return 0;
}

/* Owner, mode (after the owner: chown clears set-id bits), xattrs, mtime of an open file/dir. */
static int set_meta(struct layer *l, int fd, int mtime, struct kerr *e)
{
	if (!l->o.no_chown && fchown(fd, (uid_t)l->en.uid, (gid_t)l->en.gid))
		return lerr(l, e, -errno, "chown failed");
	if (fchmod(fd, l->en.mode))
		return lerr(l, e, -errno, "chmod failed");
	int ret = set_xattrs(l, fd, e);
	if (ret)
		return ret;
	struct timespec ts[2] = {{l->en.mtime, 0}, {l->en.mtime, 0}};
	if (mtime && futimens(fd, ts))
		return lerr(l, e, -errno, "setting the mtime failed");
	return 0;
}

static int node_meta(struct layer *l, int pfd, const char *base, int chmod_too, struct kerr *e)
{
	struct timespec ts[2] = {{l->en.mtime, 0}, {l->en.mtime, 0}};
	if (!l->o.no_chown && fchownat(pfd, base, (uid_t)l->en.uid, (gid_t)l->en.gid, AT_SYMLINK_NOFOLLOW))
		return lerr(l, e, -errno, "chown failed");
	if (chmod_too && fchmodat(pfd, base, l->en.mode, 0))
		return lerr(l, e, -errno, "chmod failed");
	if (utimensat(pfd, base, ts, AT_SYMLINK_NOFOLLOW))
		return lerr(l, e, -errno, "setting the mtime failed");
	return 0;
}

static int hardlink(struct layer *l, int pfd, const char *base, struct kerr *e)
{
	char target[TAR_PATH_MAX];
	const char *tbase;
	struct stat s;
	if (clean_path(l->en.link, target) || !target[0])
		return lerr(l, e, -EINVAL, "hard link target outside the root");
	if (!made(l, target))
		return lerr(l, e, -EINVAL, "hard link to an entry this layer did not make");
	int tfd = open_parent(l, target, 0, &tbase, e), ret = 0;
	if (tfd < 0)
		return tfd;
	if (fstatat(tfd, tbase, &s, AT_SYMLINK_NOFOLLOW) || !S_ISREG(s.st_mode))
		ret = lerr(l, e, -EINVAL, "hard link to something other than a regular file");
	else if (linkat(tfd, tbase, pfd, base, 0))
		ret = lerr(l, e, -errno, "link failed");
	close(tfd);
	l->st->hardlinks += !ret;
	return ret;
}

static int on_entry(void *ctx, const struct tar_entry *t, struct kerr *e)
{
	struct layer *l = ctx;
	const char *base;
	struct stat s;
	int pfd = -1, ret = 0;

	l->en = *t;
	if (clean_path(t->path, l->path))
		return lerr(l, e, -EINVAL, "a \"..\" component (the path would leave the root)");
	if (!l->path[0]) /* "./": the root itself keeps its own metadata */
		return t->type == TAR_DIR ? 0 : lerr(l, e, -EINVAL, "the root must be a directory");
	if ((pfd = open_parent(l, l->path, 1, &base, e)) < 0)
		return pfd;
	if (!strncmp(base, ".wh.", 4)) {
		ret = whiteout(l, pfd, base, e);
		goto out;
	}
	if (t->mode & 06000) {
		if (l->o.setid == LAYER_SETID_REFUSE) {
			ret = lerr(l, e, -ENOTSUP, "set-id bits refused by policy");
			goto out;
		}
		if (l->o.setid == LAYER_SETID_STRIP) {
			l->en.mode &= ~06000u;
			l->st->stripped_setid++;
		}
	}
	if (t->type == TAR_CHAR || t->type == TAR_BLOCK) {
		if (l->o.devices == LAYER_DEV_REFUSE) {
			ret = lerr(l, e, -ENOTSUP, "device node refused by policy");
			goto out;
		}
		if (l->o.devices == LAYER_DEV_SKIP) {
			l->st->skipped_devices++;
			goto out;
		}
	}
	/* what is there is replaced; a directory over a directory stays */
	int exists = !fstatat(pfd, base, &s, AT_SYMLINK_NOFOLLOW);
	if (exists && !(t->type == TAR_DIR && S_ISDIR(s.st_mode))) {
		if ((ret = S_ISDIR(s.st_mode) ? fs_remove_tree(pfd, base, FS_SAME_DEV, DEPTH) : unlinkat(pfd, base, 0) ? -errno : 0)) {
			ret = lerr(l, e, ret, "replacing the existing entry failed");
			goto out;
		}
		exists = 0;
	}
	switch (t->type) {
	case TAR_FILE:
		if ((l->fd = openat(pfd, base, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600)) < 0)
			ret = lerr(l, e, -errno, "create failed");
		l->st->files++;
		break;
	case TAR_DIR: {
		if (!exists && mkdirat(pfd, base, 0700)) {
			ret = lerr(l, e, -errno, "mkdir failed");
			break;
		}
		int dfd = openat(pfd, base, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		ret = dfd < 0 ? lerr(l, e, -errno, "open failed") : set_meta(l, dfd, 0, e);
		if (dfd >= 0)
			close(dfd);
		l->st->dirs++;
		break;
	}
	case TAR_SYMLINK:
		if (symlinkat(t->link, pfd, base))
			ret = lerr(l, e, -errno, "symlink failed");
		else
			ret = node_meta(l, pfd, base, 0, e);
		l->st->symlinks++;
		break;
	case TAR_HARDLINK:
		ret = hardlink(l, pfd, base, e);
		break;
	default: { /* char, block, fifo */
		mode_t fmt = t->type == TAR_CHAR ? S_IFCHR : t->type == TAR_BLOCK ? S_IFBLK : S_IFIFO;
		if (mknodat(pfd, base, fmt | 0600, makedev(t->devmajor, t->devminor)))
			ret = lerr(l, e, -errno, "mknod failed");
		else
			ret = node_meta(l, pfd, base, 1, e);
		l->st->devices++;
		break;
	}
	}
	if (!ret && (ret = remember(l, l->path)))
		ret = lerr(l, e, ret, ret == -EFBIG ? "more paths than keel keeps for one layer" : "out of memory");
out:
	close(pfd);
	return ret;
}

static int on_data(void *ctx, const uint8_t *p, size_t n, struct kerr *e)
{
	struct layer *l = ctx;
	if (l->fd < 0)
		return 0; /* a whiteout's or a skipped entry's data */
	int ret = fs_write_all(l->fd, p, n);
	if (ret)
		return lerr(l, e, ret < 0 ? ret : -EIO, "write failed");
	l->st->bytes += n;
	return 0;
}

static int on_end(void *ctx, struct kerr *e)
{
	struct layer *l = ctx;
	int ret = 0;
	if (l->fd >= 0) {
		ret = set_meta(l, l->fd, 1, e);
		if (close(l->fd) && !ret)
			ret = lerr(l, e, -errno, "close failed");
		l->fd = -1;
	}
	return ret;
}

static const struct tar_ops layer_ops = {on_entry, on_data, on_end};

int layer_new(struct layer **out, int rootfd, const struct layer_opts *o, struct layer_stats *st)
{
	struct layer *l = calloc(1, sizeof(*l));
	int ret;
	if (!l)
		return -ENOMEM;
	l->root = rootfd;
	l->o = *o;
	l->st = st;
	l->fd = -1;
	buf_init(&l->arena, SET_MAX_BYTES);
	if ((ret = tar_new(&l->tar, &layer_ops, l))) {
		free(l);
		return ret;
	}
	*out = l;
	return 0;
}

void layer_free(struct layer *l)
{
	if (!l)
		return;
	if (l->fd >= 0)
		close(l->fd);
	tar_free(l->tar);
	buf_free(&l->arena);
	free(l->tab);
	free(l);
}

int layer_feed(struct layer *l, const uint8_t *p, size_t n, struct kerr *e)
{
	return tar_feed(l->tar, p, n, e);
}

int layer_finish(struct layer *l, struct kerr *e)
{
	return tar_finish(l->tar, e);
}
