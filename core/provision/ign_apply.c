/* ign_apply.c — staging, commit with an undo log, the marker (see ign_apply.h). */
#include "provision/ign_apply.h"
#include "base/buf.h"
#include "base/err.h"
#include "base/fs.h"
#include "trust/hash.h"
#include "provision/ign_plan.h"
#include "base/json.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#define STAGING ".keel-staging"

void ign_config_id_add(struct hash_ctx *h, const char *name, const void *data, size_t len)
{
	uint8_t n[8];
	for (int i = 0; i < 8; i++)
		n[i] = (uint8_t)((uint64_t)len >> (56 - 8 * i));
	hash_update(h, name, strlen(name) + 1);
	hash_update(h, n, 8);
	hash_update(h, data, len);
}

/* ---- the marker ------------------------------------------------------------------------- */

static int marker_text(const struct ign_cfg *c, const uint8_t id[64], bool no_inputs, char **out, size_t *len)
{
	struct buf b = BUF_INIT(1u << 20);
	struct jw w;
	char idstr[8 + 128];
	memcpy(idstr, "sha512-", 7);
	hex_encode(idstr + 7, id, 64);
	jw_init(&w, &b);
	jw_obj(&w);
	jw_key(&w, "config");
	jw_str(&w, idstr);
	jw_key(&w, "version");
	if (no_inputs)
		jw_null(&w);
	else
		jw_str(&w, ign_version(c));
	jw_key(&w, "kernelArguments");
	jw_obj(&w);
	jw_key(&w, "shouldExist");
	jw_arr(&w);
	for (size_t i = 0; i < c->nkargs_add; i++)
		jw_str(&w, c->kargs_add[i]);
	jw_arr_end(&w);
	jw_key(&w, "shouldNotExist");
	jw_arr(&w);
	for (size_t i = 0; i < c->nkargs_del; i++)
		jw_str(&w, c->kargs_del[i]);
	jw_arr_end(&w);
	jw_obj_end(&w);
	jw_obj_end(&w);
	int ret = jw_finish(&w);
	if (!ret)
		ret = buf_putc(&b, '\n');
	if (ret) {
		buf_free(&b);
		return ret;
	}
	*out = buf_steal(&b, len);
	return 0;
}

int ign_marker_matches(int rootfd, const uint8_t id[64], struct kerr *e)
{
	struct buf b = BUF_INIT(1u << 20);
	struct json_doc doc = {0};
	char want[136];
	int ret, fd = fs_open_beneath(rootfd, IGN_MARKER, O_RDONLY | O_NOCTTY, 0);
	if (fd == -ENOENT)
		return 0;
	if (fd < 0)
		return kerr_set(e, fd, "%s: %s", IGN_MARKER, strerror(-fd));
	ret = fs_read_fd(fd, b.max, &b);
	close(fd);
	if (!ret)
		ret = json_parse(&doc, b.p, b.len, NULL, e);
	if (ret) {
		buf_free(&b);
		return kerr_wrap(e, ret, "%s", IGN_MARKER);
	}
	const struct json *c = json_get(doc.root, "config");
	memcpy(want, "sha512-", 7);
	hex_encode(want + 7, id, 64);
	ret = c && c->type == JSON_STRING && !strcmp(c->u.str.s, want);
	json_free_secret(&doc);
	buf_free(&b);
	return ret;
}

int ign_state_has(int rootfd, const char *path, struct kerr *e)
{
	const char *base;
	struct stat st;
	int ret = 0, dfd = fs_open_parent_beneath(rootfd, path, &base);
	if (dfd == -ENOENT)
		return 0;
	if (dfd < 0)
		return kerr_set(e, dfd, "%s: %s", path, strerror(-dfd));
	if (fstatat(dfd, base, &st, AT_SYMLINK_NOFOLLOW))
		ret = errno == ENOENT ? 0 : kerr_set(e, -errno, "%s: %s", path, strerror(errno));
	else if (!S_ISREG(st.st_mode))
		ret = kerr_set(e, -EINVAL, "%s: not a regular file (refused)", path);
	else
		ret = 1;
	close(dfd);
	return ret;
}

int ign_first_boot_request(int rootfd, struct kerr *e)
{
	static const char text[] = "keel provision reset: provision again at the next boot\n";
	char name[NAME_MAX + 1];
	const char *p = &IGN_FIRSTBOOT[1], *slash;
	int ret = 0, fd = openat(rootfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	/* the directories, one at a time: made where missing (and synced into their parent),
	 * never a symlink followed */
	while (fd >= 0 && !ret && (slash = strchr(p, '/'))) {
		memcpy(name, p, (size_t)(slash - p));
		name[slash - p] = 0;
		if (!mkdirat(fd, name, 0755))
			ret = fsync(fd) ? -errno : 0;
		else if (errno != EEXIST)
			ret = -errno;
		int next = ret ? -1 : openat(fd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (!ret && next < 0)
			ret = -errno;
		close(fd);
		fd = next;
		p = slash + 1;
	}
	if (fd < 0 && !ret)
		ret = -errno;
	if (fd >= 0)
		close(fd);
	if (!ret)
		ret = fs_write_atomic(rootfd, IGN_FIRSTBOOT, text, sizeof(text) - 1, 0644);
	return ret ? kerr_set(e, ret, "%s: %s", IGN_FIRSTBOOT, strerror(-ret)) : 0;
}

int ign_first_boot_done(int rootfd, struct kerr *e)
{
	const char *base;
	int ret = 0, dfd = fs_open_parent_beneath(rootfd, IGN_FIRSTBOOT, &base);
	if (dfd == -ENOENT)
		return 0;
	if (dfd < 0)
		return kerr_set(e, dfd, "%s: %s", IGN_FIRSTBOOT, strerror(-dfd));
	if (unlinkat(dfd, base, 0) ? errno != ENOENT : fsync(dfd))
		ret = kerr_set(e, -errno, "removing %s: %s", IGN_FIRSTBOOT, strerror(errno));
	close(dfd);
	return ret;
}

/* ---- staging ------------------------------------------------------------------------------ */

struct fdsink {
	int fd;
};

static int fd_put(void *ctx, const void *data, size_t len)
{
	return fs_write_all(((struct fdsink *)ctx)->fd, data, len);
}

/* Compares fetched data with an existing file. */
struct cmpsink {
	int fd;
	bool differs;
};

static int cmp_put(void *ctx, const void *data, size_t len)
{
	struct cmpsink *c = ctx;
	uint8_t buf[65536];
	const uint8_t *p = data;
	while (len && !c->differs) {
		size_t n = len < sizeof(buf) ? len : sizeof(buf);
		ssize_t r = read(c->fd, buf, n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return -errno;
		if (r == 0 || memcmp(buf, p, (size_t)r))
			c->differs = true;
		p += r;
		len -= (size_t)r;
	}
	return 0;
}

static int copy_existing(int rootfd, const char *path, int out, uint64_t max, const char *where, struct kerr *e)
{
	uint8_t buf[65536];
	uint64_t total = 0;
	int ret = 0, fd = fs_open_beneath(rootfd, path, O_RDONLY | O_NOCTTY, 0);
	if (fd < 0)
		return kerr_set(e, fd, "%s: %s: %s", where, path, strerror(-fd));
	for (;;) {
		ssize_t n = read(fd, buf, sizeof(buf));
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			if (n < 0)
				ret = kerr_set(e, -errno, "%s: %s: %s", where, path, strerror(errno));
			break;
		}
		if ((total += (uint64_t)n) > max) {
			ret = kerr_set(e, -EFBIG, "%s: %s is larger than %llu bytes", where, path, (unsigned long long)max);
			break;
		}
		if ((ret = fs_write_all(out, buf, (size_t)n))) {
			kerr_set(e, ret, "%s: staging: %s", where, strerror(-ret));
			break;
		}
	}
	close(fd);
	return ret;
}

/* overwrite is false and the file exists: the data fetched must be what it holds. */
static int compare_op(struct ign_plan *p, struct ign_op *o, struct ign_env *env, struct kerr *e)
{
	struct cmpsink c = {.fd = fs_open_beneath(p->rootfd, o->path, O_RDONLY | O_NOCTTY, 0)};
	uint8_t one;
	struct stat st;
	int ret;
	if (c.fd < 0)
		return kerr_set(e, c.fd, "%s: %s: %s", o->where, o->path, strerror(-c.fd));
	ret = ign_fetch(env, &o->file->contents, env->max_resource, cmp_put, &c, NULL, e);
	for (size_t i = 0; !ret && i < o->file->nappend; i++)
		ret = ign_fetch(env, &o->file->append[i], env->max_resource, cmp_put, &c, NULL, e);
	if (!ret && !c.differs && read(c.fd, &one, 1) != 0)
		c.differs = true;
	if (!ret && fstat(c.fd, &st))
		ret = kerr_set(e, -errno, "%s: %s", o->path, strerror(errno));
	close(c.fd);
	if (ret)
		return ret;
	if (c.differs)
		return kerr_set(e, -EEXIST, "%s: %s exists with other contents (overwrite is false)", o->where, o->path);
	o->skip = true; /* the same bytes: only mode and owner may need a change */
	if ((st.st_mode & 07777) != o->mode || st.st_uid != o->uid || st.st_gid != o->gid) {
		o->kind = IGN_OP_ATTR;
		o->skip = false;
		o->existing = IGN_N_REG;
		o->old = st; /* the file compared: the commit changes that inode or nothing */
	}
	return 0;
}

/* The staged file holds what the target has already: nothing to do but maybe mode/owner. */
static int same_as_existing(struct ign_plan *p, struct ign_op *o, int sfd, struct kerr *e)
{
	struct cmpsink c = {.fd = fs_open_beneath(p->rootfd, o->path, O_RDONLY | O_NOCTTY, 0)};
	uint8_t buf[65536], one;
	struct stat st;
	int ret = 0, in = openat(sfd, o->staged, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (c.fd < 0 || in < 0) /* changed under us or unreadable: just replace it */
		goto out;
	while (!c.differs) {
		ssize_t n = read(in, buf, sizeof(buf));
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			if (n < 0)
				ret = kerr_set(e, -errno, "%s: staging %s: %s", o->where, o->path, strerror(errno));
			break;
		}
		if ((ret = cmp_put(&c, buf, (size_t)n)))
			break;
	}
	if (ret || c.differs || read(c.fd, &one, 1) != 0 || fstat(c.fd, &st))
		goto out;
	if ((st.st_mode & 07777) == o->mode && st.st_uid == o->uid && st.st_gid == o->gid) {
		o->skip = true;
	} else {
		o->kind = IGN_OP_ATTR;
		o->old = st;
		o->set_mode = o->set_owner = true;
	}
	o->replace = false;
	unlinkat(sfd, o->staged, 0);
out:
	if (c.fd >= 0)
		close(c.fd);
	if (in >= 0)
		close(in);
	return ret;
}

static int stage_op(struct ign_plan *p, struct ign_op *o, int sfd, size_t idx, struct ign_env *env, struct kerr *e)
{
	int ret = 0;
	if (o->compare_only)
		return compare_op(p, o, env, e);
	snprintf(o->staged, sizeof(o->staged), "f%zu", idx);
	int fd = openat(sfd, o->staged, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0)
		return kerr_set(e, -errno, "%s: staging %s: %s", o->where, o->path, strerror(errno));
	struct fdsink s = {fd};
	if (o->prefix_existing)
		ret = copy_existing(p->rootfd, o->path, fd, env->max_resource, o->where, e);
	if (!ret && o->text && (ret = fs_write_all(fd, o->text, o->textlen)))
		kerr_set(e, ret, "%s: staging %s: %s", o->where, o->path, strerror(-ret));
	if (!ret && o->file && o->file->has_contents && !o->prefix_existing)
		ret = ign_fetch(env, &o->file->contents, env->max_resource, fd_put, &s, NULL, e);
	for (size_t i = 0; !ret && o->file && i < o->file->nappend; i++)
		ret = ign_fetch(env, &o->file->append[i], env->max_resource, fd_put, &s, NULL, e);
	/* owner before mode: chown clears set-id bits */
	if (!ret && (fchown(fd, o->uid, o->gid) || fchmod(fd, o->mode))) /* synced together, below */
		ret = kerr_set(e, -errno, "%s: staging %s: %s", o->where, o->path, strerror(errno));
	close(fd);
	if (!ret && o->existing == IGN_N_REG && !o->prefix_existing)
		ret = same_as_existing(p, o, sfd, e);
	if (o->secret && o->text) {
		secure_wipe(o->text, o->textlen);
		free(o->text);
		o->text = NULL;
	}
	return ret;
}

/* ---- commit and undo ------------------------------------------------------------------- */

/* The commit can be resumed (ign_recover): each step has happened or not, and a retry after a
 * crash tells which from the target itself. A staged file no longer in the staging directory was
 * renamed into place; a .keel-old-<index> backup means the node was put aside (backups are only
 * dropped once the whole commit is on disk and noted as such); a directory, symlink or hard link
 * found at the path is the one the op made (the plan found nothing there, or put it aside
 * first); owners and modes are just set again. */

static bool exists_at(int dfd, const char *name)
{
	struct stat st;
	return !fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW);
}

static void backup_name(struct ign_op *o, size_t idx)
{
	snprintf(o->backup, sizeof(o->backup), ".keel-old-%zu", idx);
}

/* Move the node at (dfd, base) aside as .keel-old-<idx>; resume: unless that happened before
 * the crash, and a node gone meanwhile leaves nothing to put aside. */
static int put_aside(struct ign_op *o, int dfd, const char *base, size_t idx, bool resume)
{
	backup_name(o, idx);
	if (resume && exists_at(dfd, o->backup))
		return 0;
	if (!renameat(dfd, base, dfd, o->backup))
		return 0;
	int ret = -errno;
	o->backup[0] = 0;
	return resume && ret == -ENOENT ? 0 : ret;
}

/* resume: the op was done before the crash; its backup, if any, is still to be dropped. */
static void found_done(struct ign_op *o, int dfd, size_t idx)
{
	o->done = true;
	backup_name(o, idx);
	if (!exists_at(dfd, o->backup))
		o->backup[0] = 0;
}

static bool same_link(int dfd, const char *base, const char *target)
{
	char cur[PATH_MAX + 1];
	ssize_t n = readlinkat(dfd, base, cur, sizeof(cur) - 1);
	return n >= 0 && (cur[n] = 0, !strcmp(cur, target));
}

/* Staged file -> its place; across filesystems, a copy into the directory first, and the staged
 * file removed once the copy is in place (a staged file that is gone was placed). */
static int place_file(struct ign_op *o, int sfd, int dfd, const char *base, size_t idx, bool resume)
{
	if (!renameat(sfd, o->staged, dfd, base))
		return 0;
	if (errno != EXDEV)
		return -errno;
	char tmp[32];
	uint8_t buf[65536];
	int ret = 0;
	snprintf(tmp, sizeof(tmp), ".keel-new-%zu", idx);
	if (resume)
		unlinkat(dfd, tmp, 0); /* a copy the crash interrupted */
	int in = openat(sfd, o->staged, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	int out = openat(dfd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (in < 0 || out < 0)
		ret = -errno;
	while (!ret) {
		ssize_t n = read(in, buf, sizeof(buf));
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			ret = n < 0 ? -errno : 0;
			break;
		}
		ret = fs_write_all(out, buf, (size_t)n);
	}
	if (!ret && (fchown(out, o->uid, o->gid) || fchmod(out, o->mode) || fsync(out) || renameat(dfd, tmp, dfd, base)))
		ret = -errno;
	if (in >= 0)
		close(in);
	if (out >= 0)
		close(out);
	if (ret)
		unlinkat(dfd, tmp, 0);
	else
		unlinkat(sfd, o->staged, 0);
	return ret;
}

/* Before the first change in an existing directory: remember its times for an undo. */
static void save_times(struct ign_plan *p, const char *path, int dfd)
{
	char par[PATH_MAX];
	const char *slash = strrchr(path, '/');
	size_t n = slash > path ? (size_t)(slash - path) : 1;
	struct stat st;
	memcpy(par, path, n);
	par[n] = 0;
	struct ign_slot *s = ign_plan_slot(p, par);
	if (!s || s->op >= 0 || s->saved || fstat(dfd, &st))
		return;
	s->times[0] = st.st_atim;
	s->times[1] = st.st_mtim;
	s->saved = true;
}

static void restore_times(struct ign_plan *p)
{
	for (size_t i = 0; i < p->nslots; i++) {
		struct ign_slot *s = &p->slots[i];
		if (!s->path || !s->saved)
			continue;
		int fd = fs_open_beneath(p->rootfd, s->path, O_RDONLY | O_DIRECTORY, 0);
		if (fd >= 0) {
			futimens(fd, s->times);
			close(fd);
		}
	}
}

int ign_set_attr(int dfd, const char *base, enum ign_node_type want, const struct stat *pin, bool own, uid_t uid,
	gid_t gid, mode_t mode, bool *touched)
{
	struct stat a, b;
	int fd, ret = 0;
	if (touched)
		*touched = false;
	if (want != IGN_N_DIR && want != IGN_N_REG)
		return -EINVAL;
	/* opened only once fstatat says it is of the type wanted (never a FIFO or a device), a
	 * directory as one (O_DIRECTORY), then fstat of the descriptor: the same node, that type */
	if (fstatat(dfd, base, &a, AT_SYMLINK_NOFOLLOW))
		return -errno;
	if (want == IGN_N_DIR ? !S_ISDIR(a.st_mode) : !S_ISREG(a.st_mode))
		return S_ISLNK(a.st_mode) ? -ELOOP : want == IGN_N_DIR ? -ENOTDIR : S_ISDIR(a.st_mode) ? -EISDIR : -ESTALE;
	fd = openat(dfd, base,
		O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC | (want == IGN_N_DIR ? O_DIRECTORY : 0));
	if (fd < 0)
		return -errno;
	if (fstat(fd, &b))
		ret = -errno;
	else if ((b.st_mode & S_IFMT) != (a.st_mode & S_IFMT) || b.st_dev != a.st_dev || b.st_ino != a.st_ino)
		ret = -ESTALE;
	else if (pin && (b.st_dev != pin->st_dev || b.st_ino != pin->st_ino))
		ret = -ESTALE; /* not the node the plan saw */
	if (!ret) {
		if (touched)
			*touched = true;
		if ((own && fchown(fd, uid, gid)) || fchmod(fd, mode)) /* owner first: chown clears set-id bits */
			ret = -errno;
	}
	close(fd);
	return ret;
}

static int commit_op(struct ign_plan *p, struct ign_op *o, int sfd, size_t idx, bool resume)
{
	const char *base;
	struct stat st, tst;
	int ret = 0;
	if (o->skip)
		return 0;
	int dfd = fs_open_parent_beneath(p->rootfd, o->path, &base);
	if (dfd < 0)
		return dfd;
	save_times(p, o->path, dfd);
	switch (o->kind) {
	case IGN_OP_ATTR: /* on the node the plan saw (pinned by its inode), or on nothing */
		if (o->existing == IGN_N_LNK) { /* a link's own owner; it has no mode of its own */
			if (fstatat(dfd, base, &st, AT_SYMLINK_NOFOLLOW))
				ret = -errno;
			else if (!S_ISLNK(st.st_mode) || st.st_dev != o->old.st_dev || st.st_ino != o->old.st_ino)
				ret = -ESTALE;
			else if ((o->done = true) && o->set_owner && fchownat(dfd, base, o->uid, o->gid, AT_SYMLINK_NOFOLLOW))
				ret = -errno;
			break;
		}
		/* even half done (owner set, mode not): undo restores both */
		ret = ign_set_attr(dfd, base, o->existing, &o->old, o->set_owner, o->uid, o->gid,
			o->set_mode ? o->mode : (o->old.st_mode & 07777), &o->done);
		break;
	case IGN_OP_MKDIR:
		if (o->replace && (ret = put_aside(o, dfd, base, idx, resume)))
			break;
		if (mkdirat(dfd, base, 0700) && !(resume && errno == EEXIST)) {
			ret = -errno;
			break;
		}
		o->done = true;
		/* through a descriptor of the directory just made: a node put in its place meanwhile
		 * (a hard link to a file, a symlink) is refused, never given the owner */
		ret = ign_set_attr(dfd, base, IGN_N_DIR, NULL, true, o->uid, o->gid, o->mode, NULL);
		break;
	case IGN_OP_FILE:
		if (resume && !exists_at(sfd, o->staged)) {
			found_done(o, dfd, idx);
			break;
		}
		if (o->replace && (ret = put_aside(o, dfd, base, idx, resume)))
			break;
		if (!(ret = place_file(o, sfd, dfd, base, idx, resume)))
			o->done = true;
		break;
	case IGN_OP_SYMLINK:
		if (resume && same_link(dfd, base, o->target)) {
			found_done(o, dfd, idx);
		} else {
			if (o->replace && (ret = put_aside(o, dfd, base, idx, resume)))
				break;
			if (symlinkat(o->target, dfd, base)) {
				ret = -errno;
				break;
			}
			o->done = true;
		}
		if (o->set_owner && fchownat(dfd, base, o->uid, o->gid, AT_SYMLINK_NOFOLLOW))
			ret = -errno;
		break;
	case IGN_OP_HARDLINK: {
		const char *tbase;
		int tfd = fs_open_parent_beneath(p->rootfd, o->target, &tbase);
		if (tfd < 0) {
			ret = tfd;
			break;
		}
		if (resume && !fstatat(tfd, tbase, &tst, AT_SYMLINK_NOFOLLOW) && !fstatat(dfd, base, &st, AT_SYMLINK_NOFOLLOW) &&
			st.st_dev == tst.st_dev && st.st_ino == tst.st_ino)
			found_done(o, dfd, idx);
		else if (o->replace && (ret = put_aside(o, dfd, base, idx, resume)))
			;
		else if (linkat(tfd, tbase, dfd, base, 0))
			ret = -errno;
		else
			o->done = true;
		close(tfd);
		break;
	}
	case IGN_OP_REMOVE:
		if (!(ret = put_aside(o, dfd, base, idx, resume)))
			o->done = true;
		break;
	}
	close(dfd);
	return ret;
}

static int undo_op(struct ign_plan *p, struct ign_op *o)
{
	const char *base;
	int ret = 0, dfd = fs_open_parent_beneath(p->rootfd, o->path, &base);
	if (dfd < 0)
		return dfd;
	if (o->done) {
		switch (o->kind) {
		case IGN_OP_ATTR:
			if (o->existing == IGN_N_LNK)
				ret = fchownat(dfd, base, o->old.st_uid, o->old.st_gid, AT_SYMLINK_NOFOLLOW) ? -errno : 0;
			else
				ret = ign_set_attr(dfd, base, o->existing, &o->old, true, o->old.st_uid, o->old.st_gid,
					o->old.st_mode & 07777, NULL);
			break;
		case IGN_OP_MKDIR: /* what is there now if not a directory is not the one made: left alone */
			if (unlinkat(dfd, base, AT_REMOVEDIR) && errno != ENOENT && errno != ENOTDIR)
				ret = -errno;
			break;
		case IGN_OP_FILE:
		case IGN_OP_SYMLINK:
		case IGN_OP_HARDLINK:
			if (unlinkat(dfd, base, 0))
				ret = -errno;
			break;
		case IGN_OP_REMOVE:
			break;
		}
	}
	if (o->backup[0] && renameat(dfd, o->backup, dfd, base) && !ret)
		ret = -errno;
	o->backup[0] = 0;
	o->done = false;
	close(dfd);
	return ret;
}

static void drop_backup(struct ign_plan *p, struct ign_op *o)
{
	const char *base;
	if (!o->backup[0])
		return;
	int dfd = fs_open_parent_beneath(p->rootfd, o->path, &base);
	if (dfd < 0)
		return;
	if (unlinkat(dfd, o->backup, 0) && errno == EISDIR)
		unlinkat(dfd, o->backup, AT_REMOVEDIR);
	close(dfd);
}

#define COMMITTED "committed"

/* Every op, one syncfs, then the note "committed" in the staging directory (fsynced: from here
 * on a retry only drops backups), then the backups are dropped. A failure undoes what was done
 * in reverse order (p->undo_incomplete if that failed too) and syncs the undo. */
static int commit(struct ign_plan *p, int sfd, bool resume, struct kerr *e)
{
	size_t i;
	int ret, fd;
	for (i = 0; i < p->n; i++) {
		if ((ret = commit_op(p, &p->ops[i], sfd, i, resume))) {
			kerr_set(e, ret, "%s: %s: %s", p->ops[i].where, p->ops[i].path, strerror(-ret));
			goto undo;
		}
	}
	if (syncfs(p->rootfd) || (fd = openat(sfd, COMMITTED, O_WRONLY | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600)) < 0) {
		ret = kerr_set(e, -errno, "sync: %s", strerror(errno));
		goto undo;
	}
	close(fd);
	if (fsync(sfd)) {
		ret = kerr_set(e, -errno, "sync of %s: %s", IGN_STAGING, strerror(errno));
		goto undo;
	}
	for (i = 0; i < p->n; i++)
		drop_backup(p, &p->ops[i]);
	return 0;
undo:
	p->undo_incomplete = false;
	for (size_t k = i + 1; k-- > 0;) {
		if (k >= p->n)
			continue;
		int r = undo_op(p, &p->ops[k]);
		if (r && !p->undo_incomplete) {
			p->undo_incomplete = true;
			kerr_wrap(e, ret, "undo incomplete at %s (%s; the next keel provision run finishes the commit from %s/%s)",
				p->ops[k].path, strerror(-r), IGN_STAGING, IGN_JOURNAL);
		}
	}
	unlinkat(sfd, COMMITTED, 0);
	restore_times(p);
	syncfs(p->rootfd);
	return ret;
}

/* The journal, on disk before the first change: journal.new written and fsynced, renamed, the
 * staging directory fsynced (a fixed name: the staging directory belongs to this run alone). */
static int write_journal(const struct ign_plan *p, int sfd, struct kerr *e)
{
	struct buf b = BUF_INIT(IGN_JOURNAL_MAX);
	int fd = -1, ret = ign_journal_text(p, &b);
	if (!ret && (fd = openat(sfd, IGN_JOURNAL ".new", O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600)) < 0)
		ret = -errno;
	if (!ret)
		ret = fs_write_all(fd, b.p, b.len);
	if (!ret && (fsync(fd) || renameat(sfd, IGN_JOURNAL ".new", sfd, IGN_JOURNAL) || fsync(sfd)))
		ret = -errno;
	if (fd >= 0)
		close(fd);
	buf_free(&b);
	return ret ? kerr_set(e, ret, "writing %s/%s: %s", IGN_STAGING, IGN_JOURNAL, strerror(-ret)) : 0;
}

/* Done with the staging directory: the journal goes first (without it nothing is retried), then
 * the rest. keep: an undo failed, the journal stays for the next run to finish the commit. */
static void end_staging(int rootfd, int sfd, bool keep)
{
	if (sfd < 0)
		return;
	if (!keep) {
		unlinkat(sfd, IGN_JOURNAL, 0);
		fs_remove_tree(rootfd, STAGING, 0, 17);
	}
	close(sfd);
}

int ign_recover(int rootfd, struct kerr *e)
{
	struct ign_plan p = {.rootfd = rootfd};
	struct buf b = BUF_INIT(IGN_JOURNAL_MAX);
	bool keep = true;
	int ret, jfd, sfd = openat(rootfd, STAGING, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (sfd < 0)
		return errno == ENOENT ? 0 : kerr_set(e, -errno, "%s: %s", IGN_STAGING, strerror(errno));
	if ((jfd = openat(sfd, IGN_JOURNAL, O_RDONLY | O_NOFOLLOW | O_NOCTTY | O_CLOEXEC)) < 0) {
		/* a run that stopped before its commit began: it changed nothing */
		int err = errno; /* before close() may change it */
		close(sfd);
		ret = err == ENOENT ? fs_remove_tree(rootfd, STAGING, 0, 17) : -err;
		return ret ? kerr_set(e, ret, "removing a stale %s: %s", IGN_STAGING, strerror(-ret)) : 0;
	}
	ret = fs_read_fd(jfd, b.max, &b);
	close(jfd);
	if (ret) {
		kerr_set(e, ret, "%s/%s: %s", IGN_STAGING, IGN_JOURNAL, strerror(-ret));
		goto out;
	}
	if ((ret = ign_journal_parse(&p, b.p ? b.p : (const uint8_t *)"", b.len, e))) {
		kerr_wrap(e, ret, "%s/%s (remove %s to discard that commit)", IGN_STAGING, IGN_JOURNAL, IGN_STAGING);
		goto out;
	}
	if (exists_at(sfd, COMMITTED)) { /* all on disk: only backups may be left to drop */
		for (size_t i = 0; i < p.n; i++) {
			backup_name(&p.ops[i], i);
			drop_backup(&p, &p.ops[i]);
		}
	} else if ((ret = commit(&p, sfd, true, e))) {
		kerr_wrap(e, ret, "finishing the commit %s/%s recorded", IGN_STAGING, IGN_JOURNAL);
		keep = p.undo_incomplete;
		goto out;
	}
	keep = false;
	ret = 1;
out:
	end_staging(rootfd, sfd, keep);
	ign_plan_free(&p);
	buf_free(&b);
	return ret;
}

/* The marker: the last file of the plan. */
static int plan_marker(struct ign_plan *p, const struct ign_cfg *c, const struct ign_apply_opts *o, struct kerr *e)
{
	struct ign_file *f = NULL;
	char *text = NULL;
	size_t len = 0;
	int ret = marker_text(c, o->config_id, o->no_inputs, &text, &len);
	if (ret)
		return kerr_set(e, ret, "marker: %s", strerror(-ret));
	/* planned as a config file entry would be: parents, existing node... */
	f = calloc(1, sizeof(*f));
	if (!f) {
		free(text);
		return kerr_set(e, -ENOMEM, "out of memory");
	}
	f->path = IGN_MARKER;
	f->overwrite = IGN_YES;
	f->has_mode = true;
	f->mode = 0644;
	f->where = "marker";
	size_t before = p->n;
	ret = ign_plan_file(p, f, e);
	if (!ret && p->n > before) {
		struct ign_op *m = &p->ops[p->n - 1];
		m->file = NULL;
		m->text = text;
		m->textlen = len;
		text = NULL;
	}
	free(text);
	free(f);
	return ret;
}

static void count(const struct ign_plan *p, const struct ign_cfg *c, struct ign_report *r)
{
	memset(r, 0, sizeof(*r));
	for (size_t i = 0; i < p->n; i++) {
		const struct ign_op *o = &p->ops[i];
		if (o->skip) {
			r->unchanged++;
			continue;
		}
		switch (o->kind) {
		case IGN_OP_MKDIR:
			r->dirs++;
			break;
		case IGN_OP_FILE:
			if (!strcmp(o->where, "passwd")) {
				r->accounts++;
				break;
			}
			if (strstr(o->path, "/systemd/system/"))
				r->units++;
			else if (strcmp(o->where, "marker"))
				r->files++;
			break;
		case IGN_OP_SYMLINK:
		case IGN_OP_HARDLINK:
		case IGN_OP_REMOVE:
			if (strstr(o->path, "/systemd/system/"))
				r->units++;
			else
				r->links++;
			break;
		case IGN_OP_ATTR:
			r->unchanged++;
			break;
		}
	}
	r->kargs = c->nkargs_add + c->nkargs_del;
}

int ign_apply(const struct ign_cfg *c, const struct ign_apply_opts *o, struct ign_report *rep, struct kerr *e)
{
	struct ign_plan p = {.rootfd = o->rootfd, .now = o->now};
	struct statvfs vfs;
	struct stat rst;
	int sfd = -1, ret;
	bool root_times;

	if ((ret = ign_recover(o->rootfd, e)) < 0) /* an earlier commit a crash interrupted comes first */
		return ret;
	root_times = !fstat(o->rootfd, &rst);
	if ((ret = ign_plan(&p, c, e)) || (ret = plan_marker(&p, c, o, e)))
		goto out;
	if (fstatvfs(o->rootfd, &vfs) || (vfs.f_flag & ST_RDONLY)) {
		ret = kerr_set(e, -EROFS, "the target root is read-only: nowhere to stage");
		goto out;
	}
	/* prepare: a fresh staging directory, every byte fetched and checked into it */
	if (mkdirat(o->rootfd, STAGING, 0700) ||
		(sfd = openat(o->rootfd, STAGING, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)) < 0) {
		ret = kerr_set(e, -errno, "creating %s: %s", IGN_STAGING, strerror(errno));
		goto out;
	}
	for (size_t i = 0; i < p.n; i++)
		if (p.ops[i].kind == IGN_OP_FILE && (ret = stage_op(&p, &p.ops[i], sfd, i, o->env, e)))
			goto out;
	/* every staged byte on disk before the journal that names them, and that before the first
	 * change: one syncfs for all of them (the staging directory is on the target's filesystem;
	 * a file placed across filesystems is copied and fsynced on its own) */
	if (syncfs(sfd)) {
		ret = kerr_set(e, -errno, "sync of %s: %s", IGN_STAGING, strerror(errno));
		goto out;
	}
	if ((ret = write_journal(&p, sfd, e)) || (ret = commit(&p, sfd, false, e)))
		goto out;
	count(&p, c, rep);
out:
	end_staging(o->rootfd, sfd, ret && p.undo_incomplete);
	if (ret && root_times) { /* the staging directory came and went: the root looks untouched */
		struct timespec ts[2] = {rst.st_atim, rst.st_mtim};
		futimens(o->rootfd, ts);
	}
	ign_plan_free(&p);
	return ret;
}
