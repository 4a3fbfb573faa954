/* ign_plan_paths.c — the plan's map of paths (what the target has, what the plan makes) and
 * the checks every node goes through: parents are directories, not links; parents writable. */
#include "provision/ign_plan.h"
#include "base/err.h"
#include "base/fs.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/statvfs.h>
#include <unistd.h>

/* ---- the map of paths: what the target has, what the plan makes -------------------------- */

static uint64_t fnv(const char *s)
{
	uint64_t h = 1469598103934665603ull;
	for (; *s; s++)
		h = (h ^ (uint8_t)*s) * 1099511628211ull;
	return h;
}

struct ign_slot *ign_plan_slot(struct ign_plan *p, const char *path)
{
	if (!p->nslots)
		return NULL;
	for (size_t i = fnv(path) & (p->nslots - 1);; i = (i + 1) & (p->nslots - 1)) {
		if (!p->slots[i].path)
			return NULL;
		if (!strcmp(p->slots[i].path, path))
			return &p->slots[i];
	}
}

struct ign_slot *ign_plan_slot_put(struct ign_plan *p, const char *path, enum ign_node_type t, long op)
{
	struct ign_slot *s = ign_plan_slot(p, path);
	if (s) {
		s->type = t;
		s->op = op;
		return s;
	}
	if (2 * (p->used + 1) > p->nslots) {
		size_t n = p->nslots ? p->nslots * 2 : 256;
		struct ign_slot *v = calloc(n, sizeof(*v)), *old = p->slots;
		if (!v)
			return NULL;
		for (size_t i = 0; i < p->nslots; i++) {
			if (!old[i].path)
				continue;
			size_t j = fnv(old[i].path) & (n - 1);
			while (v[j].path)
				j = (j + 1) & (n - 1);
			v[j] = old[i];
		}
		free(old);
		p->slots = v;
		p->nslots = n;
	}
	size_t i = fnv(path) & (p->nslots - 1);
	while (p->slots[i].path)
		i = (i + 1) & (p->nslots - 1);
	p->slots[i] = (struct ign_slot){.path = path, .type = t, .ro = -1, .op = op};
	p->used++;
	return &p->slots[i];
}

/* ---- inspecting the target ------------------------------------------------------------- */

static enum ign_node_type type_of(mode_t m)
{
	return S_ISDIR(m) ? IGN_N_DIR : S_ISREG(m) ? IGN_N_REG : S_ISLNK(m) ? IGN_N_LNK : IGN_N_OTHER;
}

/* What is at path (absolute) now, as planned or on the target. The caller has made sure
 * the parents are real directories (ign_plan_parents), so fstatat cannot cross a symlink. */
int ign_plan_inspect(struct ign_plan *p, const char *path, enum ign_node_type *t, struct stat *st, struct kerr *e)
{
	struct ign_slot *s = ign_plan_slot(p, path);
	if (s) {
		*t = s->type;
		if (st)
			memset(st, 0, sizeof(*st));
		if (s->op < 0 && st && fstatat(p->rootfd, path + 1, st, AT_SYMLINK_NOFOLLOW))
			return kerr_set(e, -errno, "%s: %s", path, strerror(errno));
		return 0;
	}
	struct stat sb;
	if (fstatat(p->rootfd, path + 1, &sb, AT_SYMLINK_NOFOLLOW)) {
		if (errno != ENOENT)
			return kerr_set(e, -errno, "%s: %s", path, strerror(errno));
		*t = IGN_N_NONE;
		if (st)
			memset(st, 0, sizeof(*st));
		return 0;
	}
	*t = type_of(sb.st_mode);
	if (st)
		*st = sb;
	const char *k = ign_plan_keep(p, path);
	if (!k || !ign_plan_slot_put(p, k, *t, -1))
		return kerr_set(e, -ENOMEM, "out of memory");
	return 0;
}

/* Fail if the existing directory dir is on a read-only filesystem. */
int ign_plan_writable(struct ign_plan *p, const char *dir, const char *where, struct kerr *e)
{
	struct ign_slot *s = ign_plan_slot(p, dir);
	if (s && s->ro >= 0) {
		if (s->ro)
			goto ro;
		return 0;
	}
	int fd = fs_open_beneath(p->rootfd, dir, O_RDONLY | O_DIRECTORY, 0);
	if (fd < 0)
		return kerr_set(e, fd, "%s: %s: %s", where, dir, strerror(-fd));
	struct statvfs vfs;
	int r = fstatvfs(fd, &vfs) ? errno : 0; /* before close() may change errno */
	close(fd);
	if (r)
		return kerr_set(e, -r, "%s: %s: %s", where, dir, strerror(r));
	if (s)
		s->ro = (vfs.f_flag & ST_RDONLY) != 0;
	if (!(vfs.f_flag & ST_RDONLY))
		return 0;
ro:
	return kerr_set(e, -EROFS, "%s: %s is on a read-only filesystem", where, dir);
}

/* The parent directory of path (absolute) into out ("/" for "/x"). */
void ign_plan_parent_of(const char *path, char *out)
{
	const char *slash = strrchr(path, '/');
	size_t n = slash > path ? (size_t)(slash - path) : 1;
	memcpy(out, path, n);
	out[n] = 0;
}

/* If the parent of path exists on the target (is not planned), it must be writable. */
int ign_plan_parent_writable(struct ign_plan *p, const char *path, const char *where, struct kerr *e)
{
	char par[PATH_MAX];
	ign_plan_parent_of(path, par);
	struct ign_slot *s = ign_plan_slot(p, par);
	if (!s || s->op < 0)
		return ign_plan_writable(p, par, where, e);
	return 0;
}

struct ign_op *ign_plan_mkdir(struct ign_plan *p, const char *path, const char *where, uint32_t mode, uint32_t uid,
	uint32_t gid)
{
	struct ign_op *o = ign_plan_op(p, IGN_OP_MKDIR, path, where);
	if (!o)
		return NULL;
	o->mode = mode;
	o->set_mode = o->set_owner = true;
	o->uid = uid;
	o->gid = gid;
	if (!ign_plan_slot_put(p, o->path, IGN_N_DIR, (long)(o - p->ops)))
		return NULL;
	return o;
}

/* Make sure every parent of path is a directory (planning 0755 root:root ones as needed).
 * A symlink among them is an error: keel never follows links while writing. */
int ign_plan_parents(struct ign_plan *p, const char *path, const char *where, struct kerr *e)
{
	char pre[PATH_MAX];
	const char *q = path;
	bool checked = false;
	int ret;
	while ((q = strchr(q + 1, '/'))) {
		size_t n = (size_t)(q - path);
		enum ign_node_type t;
		memcpy(pre, path, n);
		pre[n] = 0;
		if ((ret = ign_plan_inspect(p, pre, &t, NULL, e)))
			return ret;
		if (t == IGN_N_DIR)
			continue;
		if (t == IGN_N_LNK)
			return kerr_set(e, -ELOOP, "%s: %s is a symbolic link on the target; keel never follows links while writing",
				where, pre);
		if (t != IGN_N_NONE)
			return kerr_set(e, -ENOTDIR, "%s: %s is not a directory", where, pre);
		if (!checked) {
			if ((ret = ign_plan_parent_writable(p, pre, where, e)))
				return ret;
			checked = true;
		}
		if (!ign_plan_mkdir(p, pre, where, 0755, 0, 0))
			return kerr_set(e, -ENOMEM, "out of memory");
	}
	return 0;
}

/* Common start of every node: parents, what exists, writable parent. */
int ign_plan_prepare(struct ign_plan *p, const char *path, const char *where, enum ign_node_type *t, struct stat *st,
	struct kerr *e)
{
	int ret;
	struct ign_slot *s;
	if ((ret = ign_plan_parents(p, path, where, e)) || (ret = ign_plan_inspect(p, path, t, st, e)))
		return ret;
	if ((s = ign_plan_slot(p, path)) && s->op >= 0)
		return kerr_set(e, -EEXIST, "%s: %s is also written by %s", where, path, p->ops[s->op].where);
	return ign_plan_parent_writable(p, path, where, e);
}
