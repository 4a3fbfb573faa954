/* ign_plan_accounts.c — the plan's accounts: groups, users, their homes and SSH keys, and the
 * rewritten /etc/passwd, group, shadow, gshadow. */
#include "provision/ign_plan.h"
#include "base/buf.h"
#include "base/err.h"
#include "base/fs.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* ---- accounts -------------------------------------------------------------------------- */

static const char *const dbpath[PW_NFILES] = {"/etc/passwd", "/etc/group", "/etc/shadow", "/etc/gshadow"};

int ign_plan_read(struct ign_plan *p, const char *path, size_t max, struct buf *out, struct stat *st, struct kerr *e)
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

int ign_plan_load_db(struct ign_plan *p, struct kerr *e)
{
	int ret;
	pwdb_init(&p->db);
	for (int f = 0; f < PW_NFILES; f++) {
		struct buf b = BUF_INIT(16u << 20);
		ret = ign_plan_read(p, dbpath[f], b.max, &b, &p->db_st[f], e);
		if (!ret)
			ret = pwdb_parse(&p->db, f, b.p ? (const char *)b.p : "", b.len, e);
		buf_free_secret(&b);
		if (ret < 0)
			return ret;
	}
	struct buf b = BUF_INIT(1u << 20);
	ret = ign_plan_read(p, "/etc/login.defs", b.max, &b, NULL, e);
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

int ign_plan_group(struct ign_plan *p, const struct ign_group *g, struct kerr *e)
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

int ign_plan_user(struct ign_plan *p, const struct ign_user *u, struct kerr *e)
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
int ign_plan_home(struct ign_plan *p, const struct ign_user *u, bool is_new, struct kerr *e)
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
		if ((ret = ign_plan_prepare(p, home, u->where, &t, &st, e)))
			return ret;
		if (t == IGN_N_NONE && !ign_plan_mkdir(p, home, u->where, 0700, (uint32_t)uid, (uint32_t)gid))
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
		if ((ret = ign_plan_prepare(p, path, u->where, &t, &st, e)))
			return ret;
		if (t == IGN_N_NONE) {
			if (!ign_plan_mkdir(p, path, u->where, 0700, (uint32_t)uid, (uint32_t)gid))
				return kerr_set(e, -ENOMEM, "out of memory");
		} else if (t != IGN_N_DIR) {
			return kerr_set(e, -ENOTDIR, "%s: %s exists and is not a directory", u->where, path);
		}
	}
	snprintf(path, sizeof(path), "%s/.ssh/authorized_keys.d/ignition", home);
	if ((ret = ign_plan_prepare(p, path, u->where, &t, &st, e)))
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
	if (!ign_plan_slot_put(p, o->path, IGN_N_REG, (long)(o - p->ops)))
		return kerr_set(e, -ENOMEM, "out of memory");
	return 0;
}

/* ---- the account database files ------------------------------------------------------- */

int ign_plan_db_files(struct ign_plan *p, struct kerr *e)
{
	static const uint32_t new_mode[PW_NFILES] = {0644, 0644, 0640, 0640};
	for (int f = 0; f < PW_NFILES; f++) {
		struct pw_table *t = &p->db.t[f];
		if (!t->changed)
			continue;
		enum ign_node_type nt;
		struct stat st;
		int ret;
		if ((ret = ign_plan_prepare(p, dbpath[f], "passwd", &nt, &st, e)))
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
		if (!ign_plan_slot_put(p, o->path, IGN_N_REG, (long)(o - p->ops)))
			return kerr_set(e, -ENOMEM, "out of memory");
	}
	return 0;
}
