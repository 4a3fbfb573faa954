/* ign_plan.c — deciding every change a config makes to a target, before any is made: the plan
 * itself (ops, kept strings) and the order of the jobs (ign_plan_paths.c, ign_plan_accounts.c,
 * ign_plan_storage.c, ign_plan_units.c). */
#include "provision/ign_plan.h"
#include "base/buf.h"
#include "base/err.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

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

static int depth_of(const char *path)
{
	int n = 0;
	for (; *path; path++)
		n += *path == '/';
	return n;
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
	if ((ret = ign_plan_load_db(p, e)))
		goto out;
	for (size_t i = 0; i < c->ngroups; i++)
		if ((ret = ign_plan_group(p, &c->groups[i], e)))
			goto out;
	for (size_t i = 0; i < c->nusers; i++) {
		is_new[i] = !pw_find(&p->db, PW_PASSWD, c->users[i].name);
		if ((ret = ign_plan_user(p, &c->users[i], e)))
			goto out;
	}
	for (size_t i = 0; i < c->nusers; i++)
		if ((ret = ign_plan_home(p, &c->users[i], is_new[i], e)))
			goto out;
	for (size_t i = 0; i < c->ndirs; i++)
		dirs[i] = &c->dirs[i];
	qsort(dirs, c->ndirs, sizeof(*dirs), cmp_depth);
	for (size_t i = 0; i < c->ndirs; i++)
		if ((ret = ign_plan_dir(p, dirs[i], e)))
			goto out;
	for (size_t i = 0; i < c->nfiles; i++)
		if ((ret = ign_plan_file(p, &c->files[i], e)))
			goto out;
	for (int hard = 0; hard < 2; hard++) /* symbolic links first: hard links may need files */
		for (size_t i = 0; i < c->nlinks; i++)
			if ((c->links[i].hard == IGN_YES) == hard && (ret = ign_plan_link(p, &c->links[i], e)))
				goto out;
	for (size_t i = 0; i < c->nunits; i++)
		if ((ret = ign_plan_unit(p, &c->units[i], e)))
			goto out;
	ret = ign_plan_db_files(p, e);
out:
	free(is_new);
	free(dirs);
	return ret;
}
