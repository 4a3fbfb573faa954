/* ign_plan_units.c — the plan's units: unit files, drop-ins, masks and enablement links. */
#include "provision/ign_plan.h"
#include "base/buf.h"
#include "base/err.h"
#include "init/unit_parse.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define UNIT_DIR "/etc/systemd/system"

/* ---- units ----------------------------------------------------------------------------- */

static int text_op(struct ign_plan *p, const char *path, const char *where, const char *text, uint32_t mode, struct kerr *e)
{
	enum ign_node_type t;
	struct stat st;
	int ret;
	if ((ret = ign_plan_prepare(p, path, where, &t, &st, e)))
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
	if (!ign_plan_slot_put(p, o->path, IGN_N_REG, (long)(o - p->ops)))
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
		if ((w->ret = ign_plan_prepare(w->p, path, w->u->where, &t, &st, w->e)))
			return;
		if (t == IGN_N_LNK && ign_plan_same_symlink(w->p, path, w->unit_path))
			return;
		if (t != IGN_N_NONE && t != IGN_N_LNK) {
			w->ret = kerr_set(w->e, -EEXIST, "%s.enabled: %s exists and is not a link", w->u->where, path);
			return;
		}
		w->ret = ign_plan_link_op(w->p, IGN_OP_SYMLINK, path, w->u->where, w->unit_path, t, 0, 0, false, w->e);
		return;
	}
	/* disable: remove the link if it is there (parents must be plain directories) */
	char par[PATH_MAX];
	ign_plan_parent_of(path, par);
	if ((w->ret = ign_plan_inspect(w->p, UNIT_DIR, &t, NULL, w->e)) || t != IGN_N_DIR || (w->ret = ign_plan_inspect(w->p, par, &t, NULL, w->e)) ||
		t != IGN_N_DIR || (w->ret = ign_plan_inspect(w->p, path, &t, &st, w->e)) || t != IGN_N_LNK)
		return;
	struct ign_op *o = ign_plan_op(w->p, IGN_OP_REMOVE, path, w->u->where);
	if (!o)
		w->ret = kerr_set(w->e, -ENOMEM, "out of memory");
	else if ((w->ret = ign_plan_writable(w->p, par, w->u->where, w->e)) == 0)
		o->existing = IGN_N_LNK;
}

int ign_plan_unit(struct ign_plan *p, const struct ign_unit *u, struct kerr *e)
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
		if ((ret = ign_plan_prepare(p, path, u->where, &t, &st, e)))
			return ret;
		if (!(t == IGN_N_LNK && ign_plan_same_symlink(p, path, "/dev/null"))) {
			if (t == IGN_N_DIR)
				return kerr_set(e, -EISDIR, "%s.mask: %s is a directory", u->where, path);
			if ((ret = ign_plan_link_op(p, IGN_OP_SYMLINK, path, u->where, "/dev/null", t, 0, 0, false, e)))
				return ret;
		}
	} else if (u->mask == IGN_NO && !u->contents) {
		if ((ret = ign_plan_inspect(p, UNIT_DIR, &t, NULL, e)))
			return ret;
		if (t == IGN_N_DIR && !(ret = ign_plan_inspect(p, path, &t, &st, e)) && t == IGN_N_LNK && ign_plan_same_symlink(p, path, "/dev/null")) {
			struct ign_op *o = ign_plan_op(p, IGN_OP_REMOVE, path, u->where);
			if (!o)
				return kerr_set(e, -ENOMEM, "out of memory");
			o->existing = IGN_N_LNK;
			if ((ret = ign_plan_writable(p, UNIT_DIR, u->where, e)))
				return ret;
		}
		if (ret)
			return ret;
	}
	if (u->enabled == IGN_UNSET)
		return 0;
	if (!unit_name_suffix(u->name) || unit_name_is_template(u->name)) { /* what keel init takes from a .wants/ */
		if (u->enabled == IGN_NO)
			return 0; /* keel init never runs it: not enabled */
		return kerr_set(e, -EINVAL, "%s.enabled: keel init runs .service, .socket and .target units (not templates): a link to %s "
			"in a .wants/ directory would make it refuse that target", u->where, u->name);
	}
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
			ret = ign_plan_read(p, up, b.max, &b, NULL, e);
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
	/* [Install] as keel init's own parser reads it (continuation lines, quotes, %-specifiers of
	 * the unit's name): the links made are the ones keel init follows */
	const char *up = ign_plan_keep(p, unit_path);
	struct wants w = {.p = p, .u = u, .unit_path = up, .enable = u->enabled == IGN_YES, .e = e};
	struct unit inst = {0};
	snprintf(inst.name, sizeof(inst.name), "%s", u->name);
	if (!up)
		w.ret = kerr_set(e, -ENOMEM, "out of memory");
	else if ((ret = unit_parse_install(&inst, u->name, contents, u->contents ? strlen(contents) : b.len, e)))
		w.ret = kerr_wrap(e, ret, "%s: [Install]", u->where);
	for (size_t i = 0; !w.ret && i < inst.wanted_by.n; i++)
		want_one(&w, inst.wanted_by.v[i], strlen(inst.wanted_by.v[i]), false);
	for (size_t i = 0; !w.ret && i < inst.required_by.n; i++)
		want_one(&w, inst.required_by.v[i], strlen(inst.required_by.v[i]), true);
	if (!w.ret && !inst.wanted_by.n && !inst.required_by.n)
		want_one(&w, "multi-user.target", 17, false); /* HOST.md: the default target */
	unit_free(&inst);
	buf_free(&b);
	return w.ret;
}
