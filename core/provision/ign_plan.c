/* ign_plan.c — deciding every change a config makes to a target, before any is made. */
#include "provision/ign_plan.h"
#include "base/buf.h"
#include "base/err.h"
#include "base/fs.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/statvfs.h>
#include <unistd.h>

#define UNIT_DIR "/etc/systemd/system"

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

static struct ign_slot *slot_put(struct ign_plan *p, const char *path, enum ign_node_type t, long op)
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

/* ---- ops ------------------------------------------------------------------------------- */

struct ign_op *ign_plan_op(struct ign_plan *p, enum ign_op_kind kind, const char *path, const char *where)
{
	if (p->n == p->cap) {
		size_t cap = p->cap ? p->cap * 2 : 64;
		struct ign_op *v = realloc(p->ops, cap * sizeof(*v));
		if (!v)
			return NULL;
		p->ops = v;
		p->cap = cap;
	}
	struct ign_op *o = &p->ops[p->n];
	memset(o, 0, sizeof(*o));
	if (!(o->path = strdup(path)))
		return NULL;
	o->kind = kind;
	o->where = where;
	p->n++;
	return o;
}

void ign_plan_free(struct ign_plan *p)
{
	for (size_t i = 0; i < p->n; i++) {
		struct ign_op *o = &p->ops[i];
		if (o->text && o->secret)
			secure_wipe(o->text, o->textlen);
		free(o->text);
		free(o->target);
		free(o->path);
	}
	free(p->ops);
	free(p->slots);
	p->slots = NULL; /* slot paths pointed into ops and strings freed above */
	pwdb_free(&p->db);
	for (size_t i = 0; i < p->nstrs; i++)
		free(p->strs[i]);
	free(p->strs);
	p->ops = NULL;
	p->n = p->cap = p->nslots = p->used = p->nstrs = 0;
	p->strs = NULL;
}

const char *ign_plan_keep(struct ign_plan *p, const char *s)
{
	char **v = realloc(p->strs, (p->nstrs + 1) * sizeof(*v));
	if (!v)
		return NULL;
	p->strs = v;
	if (!(v[p->nstrs] = strdup(s)))
		return NULL;
	return v[p->nstrs++];
}

/* ---- inspecting the target ------------------------------------------------------------- */

static enum ign_node_type type_of(mode_t m)
{
	return S_ISDIR(m) ? IGN_N_DIR : S_ISREG(m) ? IGN_N_REG : S_ISLNK(m) ? IGN_N_LNK : IGN_N_OTHER;
}

/* What is at path (absolute) now, as planned or on the target. The caller has made sure
 * the parents are real directories (ensure_parents), so fstatat cannot cross a symlink. */
static int inspect(struct ign_plan *p, const char *path, enum ign_node_type *t, struct stat *st, struct kerr *e)
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
	if (!k || !slot_put(p, k, *t, -1))
		return kerr_set(e, -ENOMEM, "out of memory");
	return 0;
}

/* Fail if the existing directory dir is on a read-only filesystem. */
static int check_writable(struct ign_plan *p, const char *dir, const char *where, struct kerr *e)
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
	int r = fstatvfs(fd, &vfs);
	close(fd);
	if (r)
		return kerr_set(e, -errno, "%s: %s: %s", where, dir, strerror(errno));
	if (s)
		s->ro = (vfs.f_flag & ST_RDONLY) != 0;
	if (!(vfs.f_flag & ST_RDONLY))
		return 0;
ro:
	return kerr_set(e, -EROFS, "%s: %s is on a read-only filesystem", where, dir);
}

/* The parent directory of path (absolute) into out ("/" for "/x"). */
static void parent_of(const char *path, char *out)
{
	const char *slash = strrchr(path, '/');
	size_t n = slash > path ? (size_t)(slash - path) : 1;
	memcpy(out, path, n);
	out[n] = 0;
}

/* If the parent of path exists on the target (is not planned), it must be writable. */
static int parent_writable(struct ign_plan *p, const char *path, const char *where, struct kerr *e)
{
	char par[PATH_MAX];
	parent_of(path, par);
	struct ign_slot *s = ign_plan_slot(p, par);
	if (!s || s->op < 0)
		return check_writable(p, par, where, e);
	return 0;
}

static struct ign_op *mkdir_op(struct ign_plan *p, const char *path, const char *where, uint32_t mode, uint32_t uid, uint32_t gid)
{
	struct ign_op *o = ign_plan_op(p, IGN_OP_MKDIR, path, where);
	if (!o)
		return NULL;
	o->mode = mode;
	o->set_mode = o->set_owner = true;
	o->uid = uid;
	o->gid = gid;
	if (!slot_put(p, o->path, IGN_N_DIR, (long)(o - p->ops)))
		return NULL;
	return o;
}

/* Make sure every parent of path is a directory (planning 0755 root:root ones as needed).
 * A symlink among them is an error: keel never follows links while writing. */
static int ensure_parents(struct ign_plan *p, const char *path, const char *where, struct kerr *e)
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
		if ((ret = inspect(p, pre, &t, NULL, e)))
			return ret;
		if (t == IGN_N_DIR)
			continue;
		if (t == IGN_N_LNK)
			return kerr_set(e, -ELOOP, "%s: %s is a symbolic link on the target; keel never follows links while writing",
				where, pre);
		if (t != IGN_N_NONE)
			return kerr_set(e, -ENOTDIR, "%s: %s is not a directory", where, pre);
		if (!checked) {
			if ((ret = parent_writable(p, pre, where, e)))
				return ret;
			checked = true;
		}
		if (!mkdir_op(p, pre, where, 0755, 0, 0))
			return kerr_set(e, -ENOMEM, "out of memory");
	}
	return 0;
}

/* Common start of every node: parents, what exists, writable parent. */
static int prepare_node(struct ign_plan *p, const char *path, const char *where, enum ign_node_type *t, struct stat *st,
	struct kerr *e)
{
	int ret;
	struct ign_slot *s;
	if ((ret = ensure_parents(p, path, where, e)) || (ret = inspect(p, path, t, st, e)))
		return ret;
	if ((s = ign_plan_slot(p, path)) && s->op >= 0)
		return kerr_set(e, -EEXIST, "%s: %s is also written by %s", where, path, p->ops[s->op].where);
	return parent_writable(p, path, where, e);
}

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

/* ---- accounts -------------------------------------------------------------------------- */

static const char *const dbpath[PW_NFILES] = {"/etc/passwd", "/etc/group", "/etc/shadow", "/etc/gshadow"};

static int read_beneath(struct ign_plan *p, const char *path, size_t max, struct buf *out, struct stat *st, struct kerr *e)
{
	int fd = fs_open_beneath(p->rootfd, path, O_RDONLY | O_NOCTTY, 0);
	if (fd == -ENOENT)
		return 1;
	if (fd < 0)
		return kerr_set(e, fd, "%s: %s", path, fd == -ELOOP ? "a symbolic link on the target (refused)" : strerror(-fd));
	int ret = 0;
	if (st && fstat(fd, st))
		ret = -errno;
	if (!ret)
		ret = fs_read_fd(fd, max, out);
	close(fd);
	if (ret)
		return kerr_set(e, ret, "%s: %s", path, ret == -EFBIG ? "too large" : strerror(-ret));
	return 0;
}

static int load_db(struct ign_plan *p, struct kerr *e)
{
	int ret;
	pwdb_init(&p->db);
	for (int f = 0; f < PW_NFILES; f++) {
		struct buf b = BUF_INIT(16u << 20);
		ret = read_beneath(p, dbpath[f], b.max, &b, &p->db_st[f], e);
		if (!ret)
			ret = pwdb_parse(&p->db, f, b.p ? (const char *)b.p : "", b.len, e);
		buf_free_secret(&b);
		if (ret < 0)
			return ret;
	}
	struct buf b = BUF_INIT(1u << 20);
	ret = read_beneath(p, "/etc/login.defs", b.max, &b, NULL, e);
	if (!ret)
		pwdb_login_defs(&p->db, (const char *)b.p, b.len);
	buf_free(&b);
	return ret < 0 ? ret : 0;
}

static int db_add(struct ign_plan *p, enum pw_file f, const char *const *v, int n, const char *where, struct kerr *e)
{
	int ret = pw_add(&p->db, f, v, n);
	if (ret)
		return kerr_set(e, ret, "%s: adding %s to /etc/%s: %s", where, v[0], f == PW_PASSWD ? "passwd" : f == PW_GROUP ?
			"group" : f == PW_SHADOW ? "shadow" : "gshadow", strerror(-ret));
	return 0;
}

static int plan_group(struct ign_plan *p, const struct ign_group *g, struct kerr *e)
{
	struct pw_rec *r = pw_find(&p->db, PW_GROUP, g->name);
	char id[16];
	int ret;
	if (g->should_exist == IGN_NO) {
		pw_remove_group(&p->db, g->name);
		return 0;
	}
	if (g->has_gid) {
		struct pw_rec *o = pw_find_id(&p->db, PW_GROUP, g->gid);
		if (o && o != r)
			return kerr_set(e, -EEXIST, "%s.gid: gid %u is already group %s", g->where, g->gid, o->f[GRF_NAME]);
	}
	if (r) {
		if (g->has_gid && (ret = pw_set(&p->db, PW_GROUP, r, GRF_GID, (snprintf(id, sizeof(id), "%u", g->gid), id))))
			return kerr_set(e, ret, "%s: %s", g->where, strerror(-ret));
		struct pw_rec *gs = pw_find(&p->db, PW_GSHADOW, g->name);
		if (g->password_hash && gs && (ret = pw_set(&p->db, PW_GSHADOW, gs, GSF_PW, g->password_hash)))
			return kerr_set(e, ret, "%s: %s", g->where, strerror(-ret));
		return 0;
	}
	uint32_t gid = g->gid;
	if (!g->has_gid && (ret = pw_alloc_id(&p->db, PW_GROUP, g->system == IGN_YES, &gid)))
		return kerr_set(e, ret, "%s: no free gid", g->where);
	snprintf(id, sizeof(id), "%u", gid);
	bool gshadow = p->db.t[PW_GSHADOW].exists;
	const char *v[] = {g->name, gshadow ? "x" : (g->password_hash ? g->password_hash : "x"), id, ""};
	if ((ret = db_add(p, PW_GROUP, v, 4, g->where, e)))
		return ret;
	if (gshadow) {
		const char *s[] = {g->name, g->password_hash ? g->password_hash : "!", "", ""};
		if ((ret = db_add(p, PW_GSHADOW, s, 4, g->where, e)))
			return ret;
	}
	return 0;
}

static int user_group(struct ign_plan *p, const struct ign_user *u, uint32_t uid, uint32_t *gid, struct kerr *e)
{
	char id[16];
	int ret;
	struct pw_rec *r;
	if (u->primary_group) {
		r = pw_find(&p->db, PW_GROUP, u->primary_group);
		if (!r || pw_rec_id(r, PW_GROUP) < 0)
			return kerr_set(e, -ENOENT, "%s.primaryGroup: no group %s", u->where, u->primary_group);
		*gid = (uint32_t)pw_rec_id(r, PW_GROUP);
		return 0;
	}
	if (u->no_user_group == IGN_YES) {
		r = pw_find(&p->db, PW_GROUP, "users");
		*gid = r && pw_rec_id(r, PW_GROUP) >= 0 ? (uint32_t)pw_rec_id(r, PW_GROUP) : 100;
		return 0;
	}
	if ((r = pw_find(&p->db, PW_GROUP, u->name)) && pw_rec_id(r, PW_GROUP) >= 0) { /* reuse a group of that name */
		*gid = (uint32_t)pw_rec_id(r, PW_GROUP);
		return 0;
	}
	*gid = uid;
	if (pw_find_id(&p->db, PW_GROUP, uid) && (ret = pw_alloc_id(&p->db, PW_GROUP, u->system == IGN_YES, gid)))
		return kerr_set(e, ret, "%s: no free gid for the user's group", u->where);
	snprintf(id, sizeof(id), "%u", *gid);
	const char *v[] = {u->name, "x", id, ""};
	if ((ret = db_add(p, PW_GROUP, v, 4, u->where, e)))
		return ret;
	if (p->db.t[PW_GSHADOW].exists) {
		const char *s[] = {u->name, "!", "", ""};
		if ((ret = db_add(p, PW_GSHADOW, s, 4, u->where, e)))
			return ret;
	}
	return 0;
}

static int set_field(struct ign_plan *p, enum pw_file f, struct pw_rec *r, int field, const char *v, const char *where,
	struct kerr *e)
{
	int ret = r ? pw_set(&p->db, f, r, field, v) : 0;
	return ret ? kerr_set(e, ret, "%s: %s", where, strerror(-ret)) : 0;
}

static int plan_user(struct ign_plan *p, const struct ign_user *u, struct kerr *e)
{
	struct pw_rec *r = pw_find(&p->db, PW_PASSWD, u->name);
	char id[16], gidstr[16], day[24];
	uint32_t uid = u->uid, gid;
	int ret;
	if (u->should_exist == IGN_NO) {
		pw_remove_user(&p->db, u->name);
		return 0;
	}
	if (u->has_uid) {
		struct pw_rec *o = pw_find_id(&p->db, PW_PASSWD, u->uid);
		if (o && o != r)
			return kerr_set(e, -EEXIST, "%s.uid: uid %u is already user %s", u->where, u->uid, o->f[PWF_NAME]);
	}
	if (!r) {
		if (!u->has_uid && (ret = pw_alloc_id(&p->db, PW_PASSWD, u->system == IGN_YES, &uid)))
			return kerr_set(e, ret, "%s: no free uid", u->where);
		if ((ret = user_group(p, u, uid, &gid, e)))
			return ret;
		char home[PATH_MAX];
		snprintf(id, sizeof(id), "%u", uid);
		snprintf(gidstr, sizeof(gidstr), "%u", gid);
		if (snprintf(home, sizeof(home), "/home/%s", u->name) >= (int)sizeof(home))
			return kerr_set(e, -ENAMETOOLONG, "%s: home too long", u->where);
		bool shadow = p->db.t[PW_SHADOW].exists || !p->db.t[PW_PASSWD].exists;
		const char *v[] = {u->name, shadow ? "x" : (u->password_hash ? u->password_hash : "!"), id, gidstr,
			u->gecos ? u->gecos : "", u->home ? u->home : home, u->shell ? u->shell : "/bin/sh"};
		if ((ret = db_add(p, PW_PASSWD, v, 7, u->where, e)))
			return ret;
		if (shadow) {
			p->db.t[PW_SHADOW].exists = true;
			snprintf(day, sizeof(day), "%lld", (long long)(p->now / 86400));
			const char *s[] = {u->name, u->password_hash ? u->password_hash : "!", day, "0", "99999", "7", "", "", ""};
			if ((ret = db_add(p, PW_SHADOW, s, 9, u->where, e)))
				return ret;
		}
	} else {
		struct pw_rec *sh = pw_find(&p->db, PW_SHADOW, u->name);
		if (u->has_uid && (snprintf(id, sizeof(id), "%u", u->uid), ret = set_field(p, PW_PASSWD, r, PWF_UID, id, u->where, e)))
			return ret;
		if (u->primary_group) {
			if ((ret = user_group(p, u, 0, &gid, e)))
				return ret;
			snprintf(gidstr, sizeof(gidstr), "%u", gid);
			if ((ret = set_field(p, PW_PASSWD, r, PWF_GID, gidstr, u->where, e)))
				return ret;
		}
		if ((u->gecos && (ret = set_field(p, PW_PASSWD, r, PWF_GECOS, u->gecos, u->where, e))) ||
			(u->home && (ret = set_field(p, PW_PASSWD, r, PWF_HOME, u->home, u->where, e))) ||
			(u->shell && (ret = set_field(p, PW_PASSWD, r, PWF_SHELL, u->shell, u->where, e))))
			return ret;
		if (u->password_hash) {
			if (sh)
				ret = set_field(p, PW_SHADOW, sh, SPF_PW, u->password_hash, u->where, e);
			else
				ret = set_field(p, PW_PASSWD, r, PWF_PW, u->password_hash, u->where, e);
			if (ret)
				return ret;
		}
	}
	if (u->has_groups && (ret = pw_set_groups(&p->db, u->name, u->groups, u->ngroups, e)))
		return kerr_wrap(e, ret, "%s.groups", u->where);
	return 0;
}

/* Home directory and ~/.ssh/authorized_keys.d/ignition of user u (after the accounts). */
static int plan_home(struct ign_plan *p, const struct ign_user *u, bool is_new, struct kerr *e)
{
	struct pw_rec *r = pw_find(&p->db, PW_PASSWD, u->name);
	char path[PATH_MAX];
	enum ign_node_type t;
	struct stat st;
	int ret;
	if (!r || u->should_exist == IGN_NO)
		return 0;
	int64_t uid = pw_rec_id(r, PW_PASSWD);
	uint64_t gid;
	if (uid < 0 || parse_u64(r->f[PWF_GID], 0, 0xffffffffu, &gid))
		return kerr_set(e, -EINVAL, "%s: /etc/passwd entry of %s has no numeric uid/gid", u->where, u->name);
	const char *home = r->f[PWF_HOME];
	if (ign_path_problem(home)) {
		if (!u->nssh_keys)
			return 0;
		return kerr_set(e, -EINVAL, "%s: home directory %s is not a clean absolute path", u->where, home);
	}
	if (is_new && u->no_create_home != IGN_YES) {
		if ((ret = prepare_node(p, home, u->where, &t, &st, e)))
			return ret;
		if (t == IGN_N_NONE && !mkdir_op(p, home, u->where, 0700, (uint32_t)uid, (uint32_t)gid))
			return kerr_set(e, -ENOMEM, "out of memory");
		if (t != IGN_N_NONE && t != IGN_N_DIR)
			return kerr_set(e, -ENOTDIR, "%s: home %s exists and is not a directory", u->where, home);
	}
	if (!u->nssh_keys)
		return 0;
	static const char *const sub[] = {"/.ssh", "/.ssh/authorized_keys.d"};
	for (int i = 0; i < 2; i++) {
		if (snprintf(path, sizeof(path), "%s%s", home, sub[i]) >= (int)sizeof(path))
			return kerr_set(e, -ENAMETOOLONG, "%s: home too long", u->where);
		if ((ret = prepare_node(p, path, u->where, &t, &st, e)))
			return ret;
		if (t == IGN_N_NONE) {
			if (!mkdir_op(p, path, u->where, 0700, (uint32_t)uid, (uint32_t)gid))
				return kerr_set(e, -ENOMEM, "out of memory");
		} else if (t != IGN_N_DIR) {
			return kerr_set(e, -ENOTDIR, "%s: %s exists and is not a directory", u->where, path);
		}
	}
	snprintf(path, sizeof(path), "%s/.ssh/authorized_keys.d/ignition", home);
	if ((ret = prepare_node(p, path, u->where, &t, &st, e)))
		return ret;
	if (t == IGN_N_DIR)
		return kerr_set(e, -EISDIR, "%s: %s is a directory", u->where, path);
	struct buf b = BUF_INIT(16u << 20);
	for (size_t i = 0; i < u->nssh_keys && !ret; i++)
		ret = buf_printf(&b, "%s\n", u->ssh_keys[i]);
	struct ign_op *o = ret ? NULL : ign_plan_op(p, IGN_OP_FILE, path, u->where);
	if (!o) {
		buf_free(&b);
		return kerr_set(e, -ENOMEM, "out of memory");
	}
	o->text = buf_steal(&b, &o->textlen);
	o->existing = t;
	o->replace = t != IGN_N_NONE;
	o->mode = 0600;
	o->uid = (uint32_t)uid;
	o->gid = (uint32_t)gid;
	o->set_mode = o->set_owner = true;
	if (!slot_put(p, o->path, IGN_N_REG, (long)(o - p->ops)))
		return kerr_set(e, -ENOMEM, "out of memory");
	return 0;
}

/* ---- storage --------------------------------------------------------------------------- */

static int depth_of(const char *path)
{
	int n = 0;
	for (; *path; path++)
		n += *path == '/';
	return n;
}

static int plan_dir(struct ign_plan *p, const struct ign_dir *d, struct kerr *e)
{
	enum ign_node_type t;
	struct stat st;
	uint32_t uid, gid;
	int ret;
	if ((ret = resolve_owner(p, &d->user, &d->group, d->where, &uid, &gid, e)))
		return ret;
	struct ign_slot *s;
	if ((ret = ensure_parents(p, d->path, d->where, e)) || (ret = inspect(p, d->path, &t, &st, e)))
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
	if ((ret = parent_writable(p, d->path, d->where, e)))
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
	struct ign_op *o = mkdir_op(p, d->path, d->where, d->has_mode ? d->mode : 0755, uid, gid);
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
		close(fd);
		return kerr_set(e, -errno, "%s: %s: %s", where, path, strerror(errno));
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
		(ret = prepare_node(p, f->path, f->where, &t, &st, e)))
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
	if (!slot_put(p, o->path, IGN_N_REG, (long)(o - p->ops)))
		return kerr_set(e, -ENOMEM, "out of memory");
	return 0;
}

static int link_op(struct ign_plan *p, enum ign_op_kind kind, const char *path, const char *where, const char *target,
	enum ign_node_type t, uint32_t uid, uint32_t gid, bool owner, struct kerr *e)
{
	struct ign_op *o = ign_plan_op(p, kind, path, where);
	if (!o || !(o->target = strdup(target)))
		return kerr_set(e, -ENOMEM, "out of memory");
	o->existing = t;
	o->replace = t != IGN_N_NONE;
	o->set_owner = owner;
	o->uid = uid;
	o->gid = gid;
	if (!slot_put(p, o->path, kind == IGN_OP_SYMLINK ? IGN_N_LNK : IGN_N_REG, (long)(o - p->ops)))
		return kerr_set(e, -ENOMEM, "out of memory");
	return 0;
}

static int same_symlink(struct ign_plan *p, const char *path, const char *target)
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

static int plan_link(struct ign_plan *p, const struct ign_link *l, struct kerr *e)
{
	enum ign_node_type t, tt;
	struct stat st, tst;
	uint32_t uid, gid;
	int ret;
	bool owner = l->user.has_id || l->user.name || l->group.has_id || l->group.name;
	if ((ret = resolve_owner(p, &l->user, &l->group, l->where, &uid, &gid, e)) ||
		(ret = prepare_node(p, l->path, l->where, &t, &st, e)))
		return ret;
	if (l->hard == IGN_YES) {
		if ((ret = ensure_parents(p, l->target, l->where, e)) || (ret = inspect(p, l->target, &tt, &tst, e)))
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
		return link_op(p, IGN_OP_HARDLINK, l->path, l->where, l->target, t, 0, 0, false, e);
	}
	if (t == IGN_N_LNK && same_symlink(p, l->path, l->target)) {
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
	return link_op(p, IGN_OP_SYMLINK, l->path, l->where, l->target, t, uid, gid, owner, e);
}

/* ---- units ----------------------------------------------------------------------------- */

static int text_op(struct ign_plan *p, const char *path, const char *where, const char *text, uint32_t mode, struct kerr *e)
{
	enum ign_node_type t;
	struct stat st;
	int ret;
	if ((ret = prepare_node(p, path, where, &t, &st, e)))
		return ret;
	if (t == IGN_N_DIR)
		return kerr_set(e, -EISDIR, "%s: %s is a directory", where, path);
	struct ign_op *o = ign_plan_op(p, IGN_OP_FILE, path, where);
	if (!o || !(o->text = strdup(text)))
		return kerr_set(e, -ENOMEM, "out of memory");
	o->textlen = strlen(text);
	o->existing = t;
	o->replace = t != IGN_N_NONE;
	o->mode = mode;
	o->set_mode = o->set_owner = true;
	if (!slot_put(p, o->path, IGN_N_REG, (long)(o - p->ops)))
		return kerr_set(e, -ENOMEM, "out of memory");
	return 0;
}

struct wants {
	struct ign_plan *p;
	const struct ign_unit *u;
	const char *unit_path; /* where the unit file lives, as the host sees it */
	bool enable;
	int ret;
	struct kerr *e;
};

static void want_one(void *ctx, const char *target, size_t len, bool required)
{
	struct wants *w = ctx;
	char path[PATH_MAX], name[NAME_MAX + 1];
	enum ign_node_type t;
	struct stat st;
	if (w->ret)
		return;
	if (len > NAME_MAX - 9 || memchr(target, '/', len) || (len <= 2 && target[0] == '.')) {
		w->ret = kerr_set(w->e, -EINVAL, "%s.contents: invalid target in [Install]", w->u->where);
		return;
	}
	memcpy(name, target, len);
	name[len] = 0;
	snprintf(path, sizeof(path), UNIT_DIR "/%s.%s/%s", name, required ? "requires" : "wants", w->u->name);
	if (w->enable) {
		if ((w->ret = prepare_node(w->p, path, w->u->where, &t, &st, w->e)))
			return;
		if (t == IGN_N_LNK && same_symlink(w->p, path, w->unit_path))
			return;
		if (t != IGN_N_NONE && t != IGN_N_LNK) {
			w->ret = kerr_set(w->e, -EEXIST, "%s.enabled: %s exists and is not a link", w->u->where, path);
			return;
		}
		w->ret = link_op(w->p, IGN_OP_SYMLINK, path, w->u->where, w->unit_path, t, 0, 0, false, w->e);
		return;
	}
	/* disable: remove the link if it is there (parents must be plain directories) */
	char par[PATH_MAX];
	parent_of(path, par);
	if ((w->ret = inspect(w->p, UNIT_DIR, &t, NULL, w->e)) || t != IGN_N_DIR || (w->ret = inspect(w->p, par, &t, NULL, w->e)) ||
		t != IGN_N_DIR || (w->ret = inspect(w->p, path, &t, &st, w->e)) || t != IGN_N_LNK)
		return;
	struct ign_op *o = ign_plan_op(w->p, IGN_OP_REMOVE, path, w->u->where);
	if (!o)
		w->ret = kerr_set(w->e, -ENOMEM, "out of memory");
	else if ((w->ret = check_writable(w->p, par, w->u->where, w->e)) == 0)
		o->existing = IGN_N_LNK;
}

static int plan_unit(struct ign_plan *p, const struct ign_unit *u, struct kerr *e)
{
	char path[PATH_MAX], where[300];
	const char *contents = u->contents, *unit_path = NULL;
	struct buf b = BUF_INIT(1u << 20);
	enum ign_node_type t;
	struct stat st;
	int ret = 0;

	snprintf(path, sizeof(path), UNIT_DIR "/%s", u->name);
	if (u->contents) {
		snprintf(where, sizeof(where), "%s.contents", u->where);
		const char *w = ign_plan_keep(p, where);
		if (!w || (ret = text_op(p, path, w, u->contents, 0644, e)))
			return w ? ret : kerr_set(e, -ENOMEM, "out of memory");
		unit_path = path;
	}
	for (size_t i = 0; i < u->ndropins; i++) {
		const struct ign_dropin *d = &u->dropins[i];
		char dp[PATH_MAX];
		if (!d->contents)
			continue;
		snprintf(dp, sizeof(dp), UNIT_DIR "/%s.d/%s", u->name, d->name);
		if ((ret = text_op(p, dp, d->where, d->contents, 0644, e)))
			return ret;
	}
	if (u->mask == IGN_YES) {
		if ((ret = prepare_node(p, path, u->where, &t, &st, e)))
			return ret;
		if (!(t == IGN_N_LNK && same_symlink(p, path, "/dev/null"))) {
			if (t == IGN_N_DIR)
				return kerr_set(e, -EISDIR, "%s.mask: %s is a directory", u->where, path);
			if ((ret = link_op(p, IGN_OP_SYMLINK, path, u->where, "/dev/null", t, 0, 0, false, e)))
				return ret;
		}
	} else if (u->mask == IGN_NO && !u->contents) {
		if ((ret = inspect(p, UNIT_DIR, &t, NULL, e)))
			return ret;
		if (t == IGN_N_DIR && !(ret = inspect(p, path, &t, &st, e)) && t == IGN_N_LNK && same_symlink(p, path, "/dev/null")) {
			struct ign_op *o = ign_plan_op(p, IGN_OP_REMOVE, path, u->where);
			if (!o)
				return kerr_set(e, -ENOMEM, "out of memory");
			o->existing = IGN_N_LNK;
			if ((ret = check_writable(p, UNIT_DIR, u->where, e)))
				return ret;
		}
		if (ret)
			return ret;
	}
	if (u->enabled == IGN_UNSET)
		return 0;
	if (!contents) { /* the unit file already on the target: /etc first, then the image's */
		static const char *const dirs[] = {UNIT_DIR, "/usr/lib/systemd/system"};
		char name[NAME_MAX + 1];
		const char *at = strchr(u->name, '@'), *dot = strrchr(u->name, '.');
		if (at && dot > at + 1) /* an instance: its template holds [Install] */
			snprintf(name, sizeof(name), "%.*s%s", (int)(at - u->name + 1), u->name, dot);
		else
			snprintf(name, sizeof(name), "%s", u->name);
		for (int i = 0; i < 2 && !unit_path; i++) {
			char up[PATH_MAX];
			snprintf(up, sizeof(up), "%s/%s", dirs[i], name);
			buf_reset(&b);
			ret = read_beneath(p, up, b.max, &b, NULL, e);
			if (ret < 0) {
				buf_free(&b);
				return kerr_wrap(e, ret, "%s.enabled", u->where);
			}
			if (!ret) {
				snprintf(path, sizeof(path), "%s/%s", dirs[i], u->name);
				unit_path = path;
				contents = b.p ? (const char *)b.p : "";
			}
		}
		if (!unit_path && u->enabled == IGN_YES) {
			buf_free(&b);
			return kerr_set(e, -ENOENT, "%s.enabled: no unit file %s on the target and no contents in the config",
				u->where, u->name);
		}
		if (!unit_path) {
			buf_free(&b);
			return 0;
		}
	}
	const char *up = ign_plan_keep(p, unit_path);
	struct wants w = {.p = p, .u = u, .unit_path = up, .enable = u->enabled == IGN_YES, .e = e};
	if (!up)
		w.ret = kerr_set(e, -ENOMEM, "out of memory");
	else if (!ign_unit_install(contents, want_one, &w))
		want_one(&w, "multi-user.target", 17, false); /* HOST.md: the default target */
	buf_free(&b);
	return w.ret;
}

/* ---- the account database files ------------------------------------------------------- */

static int plan_db_files(struct ign_plan *p, struct kerr *e)
{
	static const uint32_t new_mode[PW_NFILES] = {0644, 0644, 0640, 0640};
	for (int f = 0; f < PW_NFILES; f++) {
		struct pw_table *t = &p->db.t[f];
		if (!t->changed)
			continue;
		enum ign_node_type nt;
		struct stat st;
		int ret;
		if ((ret = prepare_node(p, dbpath[f], "passwd", &nt, &st, e)))
			return ret;
		if (nt != IGN_N_NONE && nt != IGN_N_REG)
			return kerr_set(e, -EINVAL, "passwd: %s is not a regular file", dbpath[f]);
		struct buf b = BUF_INIT(64u << 20);
		struct ign_op *o = NULL;
		if ((ret = pwdb_serialize(&p->db, f, &b)) || !(o = ign_plan_op(p, IGN_OP_FILE, dbpath[f], "passwd"))) {
			buf_free_secret(&b);
			return kerr_set(e, ret ? ret : -ENOMEM, "passwd: %s: %s", dbpath[f], strerror(ret ? -ret : ENOMEM));
		}
		if (!b.p && buf_puts(&b, "")) {
			buf_free(&b);
			return kerr_set(e, -ENOMEM, "out of memory");
		}
		o->text = buf_steal(&b, &o->textlen);
		o->secret = f == PW_SHADOW || f == PW_GSHADOW;
		o->existing = nt;
		o->replace = nt != IGN_N_NONE;
		o->set_mode = o->set_owner = true;
		if (nt == IGN_N_REG) {
			o->mode = st.st_mode & 07777;
			o->uid = st.st_uid;
			o->gid = st.st_gid;
		} else {
			struct pw_rec *sg = pw_find(&p->db, PW_GROUP, "shadow");
			o->mode = new_mode[f];
			if (o->mode == 0640 && sg && pw_rec_id(sg, PW_GROUP) >= 0)
				o->gid = (uint32_t)pw_rec_id(sg, PW_GROUP);
			else if (o->mode == 0640)
				o->mode = 0600;
		}
		if (!slot_put(p, o->path, IGN_N_REG, (long)(o - p->ops)))
			return kerr_set(e, -ENOMEM, "out of memory");
	}
	return 0;
}

/* ---- the whole plan --------------------------------------------------------------------- */

static int cmp_depth(const void *a, const void *b)
{
	const struct ign_dir *x = *(const struct ign_dir *const *)a, *y = *(const struct ign_dir *const *)b;
	return depth_of(x->path) - depth_of(y->path);
}

int ign_plan(struct ign_plan *p, const struct ign_cfg *c, struct kerr *e)
{
	int ret;
	bool *is_new = calloc(c->nusers + 1, sizeof(*is_new));
	const struct ign_dir **dirs = calloc(c->ndirs + 1, sizeof(*dirs));
	if (!is_new || !dirs) {
		ret = kerr_set(e, -ENOMEM, "out of memory");
		goto out;
	}
	if ((ret = load_db(p, e)))
		goto out;
	for (size_t i = 0; i < c->ngroups; i++)
		if ((ret = plan_group(p, &c->groups[i], e)))
			goto out;
	for (size_t i = 0; i < c->nusers; i++) {
		is_new[i] = !pw_find(&p->db, PW_PASSWD, c->users[i].name);
		if ((ret = plan_user(p, &c->users[i], e)))
			goto out;
	}
	for (size_t i = 0; i < c->nusers; i++)
		if ((ret = plan_home(p, &c->users[i], is_new[i], e)))
			goto out;
	for (size_t i = 0; i < c->ndirs; i++)
		dirs[i] = &c->dirs[i];
	qsort(dirs, c->ndirs, sizeof(*dirs), cmp_depth);
	for (size_t i = 0; i < c->ndirs; i++)
		if ((ret = plan_dir(p, dirs[i], e)))
			goto out;
	for (size_t i = 0; i < c->nfiles; i++)
		if ((ret = ign_plan_file(p, &c->files[i], e)))
			goto out;
	for (int hard = 0; hard < 2; hard++) /* symbolic links first: hard links may need files */
		for (size_t i = 0; i < c->nlinks; i++)
			if ((c->links[i].hard == IGN_YES) == hard && (ret = plan_link(p, &c->links[i], e)))
				goto out;
	for (size_t i = 0; i < c->nunits; i++)
		if ((ret = plan_unit(p, &c->units[i], e)))
			goto out;
	ret = plan_db_files(p, e);
out:
	free(is_new);
	free(dirs);
	return ret;
}
