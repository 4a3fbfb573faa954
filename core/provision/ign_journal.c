/* ign_journal.c — the commit journal of an apply: its text and its parser (see ign_plan.h).
 *
 *   {"journal":"keel provision commit","version":1,"ops":[
 *     {"kind":"mkdir","path":"/srv","where":"storage.directories[0]","existing":"none",
 *      "replace":false,"skip":false,"setMode":true,"setOwner":true,"mode":493,"uid":0,"gid":0},
 *     {"kind":"file",…,"staged":"f1"}, {"kind":"symlink",…,"target":"/usr/share/zoneinfo/UTC"},
 *     {"kind":"attr",…,"old":{"dev":2049,"ino":1234,"mode":16877,"uid":0,"gid":0}}, …]}
 *
 * One object per op of the plan, in plan order (the index names the .keel-old-<index> backup).
 * Every key is required and no other is accepted; values are checked as a config's are.
 */
#include "base/buf.h"
#include "base/err.h"
#include "provision/ign.h"
#include "provision/ign_plan.h"
#include "base/json.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>

static const char *const kinds[] = {[IGN_OP_MKDIR] = "mkdir", [IGN_OP_ATTR] = "attr", [IGN_OP_FILE] = "file",
	[IGN_OP_SYMLINK] = "symlink", [IGN_OP_HARDLINK] = "hardlink", [IGN_OP_REMOVE] = "remove"};
static const char *const types[] = {[IGN_N_NONE] = "none", [IGN_N_DIR] = "dir", [IGN_N_REG] = "file",
	[IGN_N_LNK] = "symlink", [IGN_N_OTHER] = "other"};

static void kstr(struct jw *w, const char *k, const char *v)
{
	jw_key(w, k);
	jw_str(w, v);
}

static void kbool(struct jw *w, const char *k, bool v)
{
	jw_key(w, k);
	jw_bool(w, v);
}

static void kuint(struct jw *w, const char *k, uint64_t v)
{
	jw_key(w, k);
	jw_uint(w, v);
}

int ign_journal_text(const struct ign_plan *p, struct buf *out)
{
	struct jw w;
	jw_init(&w, out);
	jw_obj(&w);
	kstr(&w, "journal", "keel provision commit");
	kuint(&w, "version", 1);
	jw_key(&w, "ops");
	jw_arr(&w);
	for (size_t i = 0; i < p->n; i++) {
		const struct ign_op *o = &p->ops[i];
		jw_obj(&w);
		kstr(&w, "kind", kinds[o->kind]);
		kstr(&w, "path", o->path);
		kstr(&w, "where", o->where);
		kstr(&w, "existing", types[o->existing]);
		kbool(&w, "replace", o->replace);
		kbool(&w, "skip", o->skip);
		kbool(&w, "setMode", o->set_mode);
		kbool(&w, "setOwner", o->set_owner);
		kuint(&w, "mode", o->mode);
		kuint(&w, "uid", o->uid);
		kuint(&w, "gid", o->gid);
		if (o->kind == IGN_OP_FILE)
			kstr(&w, "staged", o->staged);
		if (o->kind == IGN_OP_SYMLINK || o->kind == IGN_OP_HARDLINK)
			kstr(&w, "target", o->target);
		if (o->kind == IGN_OP_ATTR) {
			jw_key(&w, "old");
			jw_obj(&w);
			kuint(&w, "dev", o->old.st_dev);
			kuint(&w, "ino", o->old.st_ino);
			kuint(&w, "mode", o->old.st_mode);
			kuint(&w, "uid", o->old.st_uid);
			kuint(&w, "gid", o->old.st_gid);
			jw_obj_end(&w);
		}
		jw_obj_end(&w);
	}
	jw_arr_end(&w);
	jw_obj_end(&w);
	int ret = jw_finish(&w);
	return ret ? ret : buf_putc(out, '\n');
}

/* ---- parsing ------------------------------------------------------------------------------ */

struct jx {
	const struct json *o;
	size_t i;
	const char *bad; /* the key that was wrong */
};

static const struct json *want(struct jx *x, const char *key, enum json_type t)
{
	const struct json *v = json_get(x->o, key);
	if (!v || v->type != t) {
		if (!x->bad)
			x->bad = key;
		return NULL;
	}
	return v;
}

static const char *str(struct jx *x, const char *key)
{
	const struct json *v = want(x, key, JSON_STRING);
	return v ? v->u.str.s : "";
}

static bool flag(struct jx *x, const char *key)
{
	const struct json *v = want(x, key, JSON_BOOL);
	return v && v->u.b;
}

static uint64_t num(struct jx *x, const char *key, uint64_t max)
{
	const struct json *v = want(x, key, JSON_NUMBER);
	uint64_t n = 0;
	if (v && parse_u64(v->u.num.text, 0, max, &n) && !x->bad)
		x->bad = key;
	return n;
}

static int pick(const char *const *names, size_t n, const char *s)
{
	for (size_t i = 0; i < n; i++)
		if (names[i] && !strcmp(names[i], s))
			return (int)i;
	return -1;
}

/* Exactly these keys, no others. */
static bool only(const struct json *o, const char *const *keys)
{
	for (size_t i = 0; i < o->u.obj.n; i++) {
		size_t k = 0;
		while (keys[k] && strcmp(keys[k], o->u.obj.m[i].key))
			k++;
		if (!keys[k])
			return false;
	}
	return true;
}

static int parse_op(struct ign_plan *p, struct jx *x, struct kerr *e)
{
	static const char *const common[] = {"kind", "path", "where", "existing", "replace", "skip", "setMode", "setOwner",
		"mode", "uid", "gid", "staged", "target", "old", NULL};
	static const char *const oldkeys[] = {"dev", "ino", "mode", "uid", "gid", NULL};
	int kind = pick(kinds, sizeof(kinds) / sizeof(kinds[0]), str(x, "kind"));
	int existing = pick(types, sizeof(types) / sizeof(types[0]), str(x, "existing"));
	const char *path = str(x, "path"), *where = str(x, "where");
	if (x->bad)
		return kerr_set(e, -EINVAL, "ops[%zu].%s: missing or of the wrong type", x->i, x->bad);
	if (kind < 0 || existing < 0 || !only(x->o, common))
		return kerr_set(e, -EINVAL, "ops[%zu]: unknown kind, node type or key", x->i);
	if (ign_path_problem(path))
		return kerr_set(e, -EINVAL, "ops[%zu].path: %s", x->i, ign_path_problem(path));
	struct ign_op *o = ign_plan_op(p, (enum ign_op_kind)kind, path, NULL);
	if (!o || !(o->where = ign_plan_keep(p, where)))
		return kerr_set(e, -ENOMEM, "out of memory");
	o->existing = (enum ign_node_type)existing;
	o->replace = flag(x, "replace");
	o->skip = flag(x, "skip");
	o->set_mode = flag(x, "setMode");
	o->set_owner = flag(x, "setOwner");
	o->mode = (uint32_t)num(x, "mode", 07777);
	o->uid = (uint32_t)num(x, "uid", UINT32_MAX);
	o->gid = (uint32_t)num(x, "gid", UINT32_MAX);
	bool file = kind == IGN_OP_FILE, link = kind == IGN_OP_SYMLINK || kind == IGN_OP_HARDLINK, attr = kind == IGN_OP_ATTR;
	if (file != !!json_get(x->o, "staged") || link != !!json_get(x->o, "target") || attr != !!json_get(x->o, "old"))
		return kerr_set(e, -EINVAL, "ops[%zu]: staged, target or old where the kind has none", x->i);
	if (file) {
		const char *s = str(x, "staged");
		uint64_t n;
		/* "f<index>", or "" for a file the staging found nothing to do for */
		if (!x->bad && (*s || !o->skip) && (s[0] != 'f' || parse_u64(s + 1, 0, 1u << 30, &n) ||
				str_copy(o->staged, sizeof(o->staged), s)))
			return kerr_set(e, -EINVAL, "ops[%zu].staged: not a staged file name", x->i);
	}
	if (link) {
		const char *t = str(x, "target");
		if (!x->bad && (!*t || strlen(t) > PATH_MAX || (kind == IGN_OP_HARDLINK && ign_path_problem(t))))
			return kerr_set(e, -EINVAL, "ops[%zu].target: not a link target", x->i);
		if (!x->bad && !(o->target = strdup(t)))
			return kerr_set(e, -ENOMEM, "out of memory");
	}
	if (attr) {
		struct jx y = {.o = want(x, "old", JSON_OBJECT), .i = x->i};
		if (y.o) {
			if (!only(y.o, oldkeys))
				return kerr_set(e, -EINVAL, "ops[%zu].old: unknown key", x->i);
			o->old.st_dev = (dev_t)num(&y, "dev", UINT64_MAX);
			o->old.st_ino = (ino_t)num(&y, "ino", UINT64_MAX);
			o->old.st_mode = (mode_t)num(&y, "mode", 0177777);
			o->old.st_uid = (uid_t)num(&y, "uid", UINT32_MAX);
			o->old.st_gid = (gid_t)num(&y, "gid", UINT32_MAX);
			if (y.bad)
				return kerr_set(e, -EINVAL, "ops[%zu].old.%s: missing or out of range", x->i, y.bad);
		}
		if (existing != IGN_N_DIR && existing != IGN_N_REG && existing != IGN_N_LNK)
			return kerr_set(e, -EINVAL, "ops[%zu].existing: no attributes to change on that", x->i);
	}
	if (x->bad)
		return kerr_set(e, -EINVAL, "ops[%zu].%s: missing, of the wrong type or out of range", x->i, x->bad);
	return 0;
}

int ign_journal_parse(struct ign_plan *p, const void *text, size_t len, struct kerr *e)
{
	static const char *const top[] = {"journal", "version", "ops", NULL};
	static const struct json_limits lim = {IGN_JOURNAL_MAX, 8, 16u << 20, PATH_MAX + 1024};
	struct json_doc doc = {0};
	int ret = json_parse(&doc, text, len, &lim, e);
	if (ret)
		return ret;
	struct jx x = {.o = doc.root};
	const struct json *ops = NULL;
	if (doc.root->type != JSON_OBJECT || !only(doc.root, top) || strcmp(str(&x, "journal"), "keel provision commit") ||
		num(&x, "version", 1) != 1 || !(ops = want(&x, "ops", JSON_ARRAY)) || x.bad) {
		ret = kerr_set(e, -EINVAL, "not a keel provision journal of version 1");
		goto out;
	}
	for (size_t i = 0; i < ops->u.arr.n && !ret; i++) {
		struct jx y = {.o = ops->u.arr.v[i], .i = i};
		ret = y.o->type == JSON_OBJECT ? parse_op(p, &y, e) : kerr_set(e, -EINVAL, "ops[%zu]: not an object", i);
	}
out:
	json_free(&doc);
	return ret;
}
