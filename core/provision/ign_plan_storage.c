/* ign_plan_storage.c — the plan's storage: directories, files and links of the config. */
#include "provision/ign_plan.h"
#include "base/err.h"
#include "base/fs.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <string.h>
#include <unistd.h>

/* ---- owners ---------------------------------------------------------------------------- */

static int resolve_owner(struct ign_plan *p, const struct ign_owner *u, const struct ign_owner *g, const char *where,
	uint32_t *uid, uint32_t *gid, struct kerr *e)
{
	*uid = u->has_id ? u->id : 0;
	*gid = g->has_id ? g->id : 0;
	if (u->name) {
		struct pw_rec *r = pw_find(&p->db, PW_PASSWD, u->name);
		int64_t id = r ? pw_rec_id(r, PW_PASSWD) : -1;
		if (id < 0)
			return kerr_set(e, -ENOENT, "%s.user.name: no user %s on the target (nor in the config)", where, u->name);
		*uid = (uint32_t)id;
	}
	if (g->name) {
		struct pw_rec *r = pw_find(&p->db, PW_GROUP, g->name);
		int64_t id = r ? pw_rec_id(r, PW_GROUP) : -1;
		if (id < 0)
			return kerr_set(e, -ENOENT, "%s.group.name: no group %s on the target (nor in the config)", where, g->name);
		*gid = (uint32_t)id;
	}
	return 0;
}

/* ---- storage --------------------------------------------------------------------------- */

int ign_plan_dir(struct ign_plan *p, const struct ign_dir *d, struct kerr *e)
{
	enum ign_node_type t;
	struct stat st;
	uint32_t uid, gid;
	int ret;
	if ((ret = resolve_owner(p, &d->user, &d->group, d->where, &uid, &gid, e)))
		return ret;
	struct ign_slot *s;
	if ((ret = ign_plan_parents(p, d->path, d->where, e)) || (ret = ign_plan_inspect(p, d->path, &t, &st, e)))
		return ret;
	if ((s = ign_plan_slot(p, d->path)) && s->op >= 0) { /* planned as a parent of something: set its attributes */
		struct ign_op *o = &p->ops[s->op];
		if (o->kind != IGN_OP_MKDIR)
			return kerr_set(e, -EEXIST, "%s: %s is also written by %s", d->where, d->path, o->where);
		o->mode = d->has_mode ? d->mode : 0755;
		o->uid = uid;
		o->gid = gid;
		o->where = d->where;
		return 0;
	}
	if ((ret = ign_plan_parent_writable(p, d->path, d->where, e)))
		return ret;
	if (t == IGN_N_DIR) {
		bool owner = d->user.has_id || d->user.name || d->group.has_id || d->group.name;
		if ((!d->has_mode || (st.st_mode & 07777) == d->mode) &&
			(!owner || (st.st_uid == uid && st.st_gid == gid)))
			return 0;
		struct ign_op *o = ign_plan_op(p, IGN_OP_ATTR, d->path, d->where);
		if (!o)
			return kerr_set(e, -ENOMEM, "out of memory");
		o->existing = IGN_N_DIR;
		o->old = st; /* pins the directory seen: the commit changes that inode or nothing */
		o->set_mode = d->has_mode;
		o->mode = d->mode;
		o->set_owner = owner;
		o->uid = owner ? uid : st.st_uid;
		o->gid = owner ? gid : st.st_gid;
		return 0;
	}
	if (t != IGN_N_NONE && d->overwrite != IGN_YES)
		return kerr_set(e, -EEXIST, "%s: %s exists and is not a directory (overwrite is false)", d->where, d->path);
	struct ign_op *o = ign_plan_mkdir(p, d->path, d->where, d->has_mode ? d->mode : 0755, uid, gid);
	if (!o)
		return kerr_set(e, -ENOMEM, "out of memory");
	o->existing = t;
	o->replace = t != IGN_N_NONE;
	return 0;
}

static int empty_dir(struct ign_plan *p, const char *path, const char *where, struct kerr *e)
{
	int fd = fs_open_beneath(p->rootfd, path, O_RDONLY | O_DIRECTORY, 0);
	if (fd < 0)
		return kerr_set(e, fd, "%s: %s: %s", where, path, strerror(-fd));
	DIR *d = fdopendir(fd);
	if (!d) {
		int err = errno; /* before close() may change it */
		close(fd);
		return kerr_set(e, -err, "%s: %s: %s", where, path, strerror(err));
	}
	struct dirent *de;
	int ret = 0;
	while ((de = readdir(d)))
		if (strcmp(de->d_name, ".") && strcmp(de->d_name, "..")) {
			ret = kerr_set(e, -ENOTEMPTY, "%s: %s is a directory that is not empty; keel only replaces empty ones",
				where, path);
			break;
		}
	closedir(d);
	return ret;
}

int ign_plan_file(struct ign_plan *p, const struct ign_file *f, struct kerr *e)
{
	enum ign_node_type t;
	struct stat st;
	uint32_t uid, gid;
	int ret;
	if ((ret = resolve_owner(p, &f->user, &f->group, f->where, &uid, &gid, e)) ||
		(ret = ign_plan_prepare(p, f->path, f->where, &t, &st, e)))
		return ret;
	bool source = f->has_contents && f->contents.source;
	bool owner = f->user.has_id || f->user.name || f->group.has_id || f->group.name;
	struct ign_op *o;
	if (t == IGN_N_REG && f->overwrite != IGN_YES && !source && !f->nappend)
		return 0; /* exists, nothing to write: Ignition leaves it alone (mode and owner too) */
	if (t != IGN_N_NONE && t != IGN_N_REG && f->overwrite != IGN_YES)
		return kerr_set(e, -EEXIST, "%s: %s exists and is not a regular file (overwrite is false)", f->where, f->path);
	if (t == IGN_N_DIR && (ret = empty_dir(p, f->path, f->where, e))) /* only an empty one can be put aside */
		return ret;
	if (!(o = ign_plan_op(p, IGN_OP_FILE, f->path, f->where)))
		return kerr_set(e, -ENOMEM, "out of memory");
	o->file = f;
	o->existing = t;
	o->set_mode = o->set_owner = true;
	if (t == IGN_N_REG && f->overwrite != IGN_YES) {
		if (source) {
			o->compare_only = true; /* must already hold exactly these bytes */
		} else {
			o->prefix_existing = true; /* append to what is there */
			o->replace = true;
		}
		o->mode = f->has_mode ? f->mode : (st.st_mode & 07777);
		o->uid = owner ? uid : st.st_uid;
		o->gid = owner ? gid : st.st_gid;
	} else {
		o->replace = t != IGN_N_NONE;
		o->mode = f->has_mode ? f->mode : 0644;
		o->uid = uid;
		o->gid = gid;
	}
	if (!ign_plan_slot_put(p, o->path, IGN_N_REG, (long)(o - p->ops)))
		return kerr_set(e, -ENOMEM, "out of memory");
	return 0;
}

int ign_plan_link_op(struct ign_plan *p, enum ign_op_kind kind, const char *path, const char *where,
	const char *target, enum ign_node_type t, uint32_t uid, uint32_t gid, bool owner, struct kerr *e)
{
	struct ign_op *o = ign_plan_op(p, kind, path, where);
	if (!o || !(o->target = strdup(target)))
		return kerr_set(e, -ENOMEM, "out of memory");
	o->existing = t;
	o->replace = t != IGN_N_NONE;
	o->set_owner = owner;
	o->uid = uid;
	o->gid = gid;
	if (!ign_plan_slot_put(p, o->path, kind == IGN_OP_SYMLINK ? IGN_N_LNK : IGN_N_REG, (long)(o - p->ops)))
		return kerr_set(e, -ENOMEM, "out of memory");
	return 0;
}

int ign_plan_same_symlink(struct ign_plan *p, const char *path, const char *target)
{
	char cur[PATH_MAX + 1];
	int dfd;
	const char *base;
	if ((dfd = fs_open_parent_beneath(p->rootfd, path, &base)) < 0)
		return 0;
	ssize_t n = readlinkat(dfd, base, cur, sizeof(cur) - 1);
	close(dfd);
	if (n < 0)
		return 0;
	cur[n] = 0;
	return !strcmp(cur, target);
}

int ign_plan_link(struct ign_plan *p, const struct ign_link *l, struct kerr *e)
{
	enum ign_node_type t, tt;
	struct stat st, tst;
	uint32_t uid, gid;
	int ret;
	bool owner = l->user.has_id || l->user.name || l->group.has_id || l->group.name;
	if ((ret = resolve_owner(p, &l->user, &l->group, l->where, &uid, &gid, e)) ||
		(ret = ign_plan_prepare(p, l->path, l->where, &t, &st, e)))
		return ret;
	if (l->hard == IGN_YES) {
		if ((ret = ign_plan_parents(p, l->target, l->where, e)) || (ret = ign_plan_inspect(p, l->target, &tt, &tst, e)))
			return ret;
		if (tt == IGN_N_NONE)
			return kerr_set(e, -ENOENT, "%s.target: %s does not exist (nor is it written by the config)", l->where, l->target);
		if (tt == IGN_N_DIR)
			return kerr_set(e, -EISDIR, "%s.target: hard link target %s is a directory", l->where, l->target);
		struct ign_slot *s = ign_plan_slot(p, l->target);
		bool kept = !s || s->op < 0 || p->ops[s->op].compare_only; /* the target's inode stays */
		struct stat real;
		bool same = t != IGN_N_NONE && !fstatat(p->rootfd, l->target + 1, &real, AT_SYMLINK_NOFOLLOW) &&
			st.st_ino == real.st_ino && st.st_dev == real.st_dev;
		if (same && kept)
			return 0; /* already that link */
		/* the same link to a target this config replaces is made again, overwrite or not */
		if (t != IGN_N_NONE && !same && l->overwrite != IGN_YES)
			return kerr_set(e, -EEXIST, "%s: %s exists (overwrite is false)", l->where, l->path);
		return ign_plan_link_op(p, IGN_OP_HARDLINK, l->path, l->where, l->target, t, 0, 0, false, e);
	}
	if (t == IGN_N_LNK && ign_plan_same_symlink(p, l->path, l->target)) {
		if (!owner || (st.st_uid == uid && st.st_gid == gid))
			return 0;
		struct ign_op *o = ign_plan_op(p, IGN_OP_ATTR, l->path, l->where);
		if (!o)
			return kerr_set(e, -ENOMEM, "out of memory");
		o->existing = IGN_N_LNK;
		o->old = st;
		o->set_owner = true;
		o->uid = uid;
		o->gid = gid;
		return 0;
	}
	if (t != IGN_N_NONE && l->overwrite != IGN_YES)
		return kerr_set(e, -EEXIST, "%s: %s exists and is not this link (overwrite is false)", l->where, l->path);
	return ign_plan_link_op(p, IGN_OP_SYMLINK, l->path, l->where, l->target, t, uid, gid, owner, e);
}
