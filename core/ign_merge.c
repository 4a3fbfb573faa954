/* ign_merge.c — merging a child config into its parent, as Ignition does:
 *   - a field the child sets wins; a field it leaves unset keeps the parent's value;
 *   - lists of objects are merged entry by entry on their key (files, directories and links
 *     share the key "path": a child entry of another kind replaces the parent's; units, drop-ins,
 *     users and groups by name; certificate authorities by source; HTTP headers by name, where
 *     a child header without a value removes the parent's);
 *   - lists of strings (SSH keys, supplementary groups, kernel arguments) are united;
 *   - append fragments of one file are concatenated, parent's first;
 *   - an owner (user or group of a node) is replaced as a whole (id or name).
 * ignition.config.merge/replace are not merged: the loader resolves them before merging.
 */
#include "ign.h"
#include "err.h"
#include "json.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* Append count items of size bytes to the array whose pointer is at slot (an "T **", read and
 * written with memcpy so no type is punned), *n items long. */
static int push(void *slot, size_t *n, const void *items, size_t count, size_t size)
{
	void *arr;
	if (!count)
		return 0;
	memcpy(&arr, slot, sizeof(arr));
	void *v = realloc(arr, (*n + count) * size);
	if (!v)
		return -ENOMEM;
	memcpy((char *)v + *n * size, items, count * size);
	*n += count;
	memcpy(slot, &v, sizeof(v));
	return 0;
}

static int merge_headers(struct ign_res *p, struct ign_res *c)
{
	for (size_t i = 0; i < c->nheaders; i++) {
		struct ign_header *h = &c->headers[i];
		size_t j = 0;
		while (j < p->nheaders && strcmp(p->headers[j].name, h->name))
			j++;
		if (!h->value) { /* removes the parent's */
			if (j < p->nheaders) {
				memmove(&p->headers[j], &p->headers[j + 1], (p->nheaders - j - 1) * sizeof(*h));
				p->nheaders--;
			}
			continue;
		}
		if (j < p->nheaders) {
			p->headers[j].value = h->value;
			continue;
		}
		if (push(&p->headers, &p->nheaders, h, 1, sizeof(*p->headers)))
			return -ENOMEM;
	}
	return 0;
}

static int merge_res(struct ign_res *p, struct ign_res *c)
{
	if (c->source)
		p->source = c->source;
	if (c->compression)
		p->compression = c->compression;
	if (c->hash) {
		p->hash = c->hash;
		p->alg = c->alg;
		memcpy(p->digest, c->digest, sizeof(p->digest));
	}
	p->where = c->where;
	return merge_headers(p, c);
}

static void merge_owner(struct ign_owner *p, const struct ign_owner *c)
{
	if (c->has_id || c->name)
		*p = *c;
}

static void set8(int8_t *p, int8_t c)
{
	if (c != IGN_UNSET)
		*p = c;
}

static int merge_file(struct ign_file *p, struct ign_file *c)
{
	set8(&p->overwrite, c->overwrite);
	if (c->has_mode) {
		p->has_mode = true;
		p->mode = c->mode;
	}
	merge_owner(&p->user, &c->user);
	merge_owner(&p->group, &c->group);
	if (c->has_contents) {
		if (!p->has_contents) {
			p->contents = c->contents;
			c->contents.headers = NULL;
		} else if (merge_res(&p->contents, &c->contents)) {
			return -ENOMEM;
		}
		p->has_contents = true;
	}
	if (c->nappend) {
		if (push(&p->append, &p->nappend, c->append, c->nappend, sizeof(*p->append)))
			return -ENOMEM;
		free(c->append);
		c->append = NULL;
		c->nappend = 0;
	}
	p->where = c->where;
	return 0;
}

static void merge_dir(struct ign_dir *p, const struct ign_dir *c)
{
	set8(&p->overwrite, c->overwrite);
	if (c->has_mode) {
		p->has_mode = true;
		p->mode = c->mode;
	}
	merge_owner(&p->user, &c->user);
	merge_owner(&p->group, &c->group);
	p->where = c->where;
}

static void merge_link(struct ign_link *p, const struct ign_link *c)
{
	set8(&p->overwrite, c->overwrite);
	set8(&p->hard, c->hard);
	if (c->target)
		p->target = c->target;
	merge_owner(&p->user, &c->user);
	merge_owner(&p->group, &c->group);
	p->where = c->where;
}

static void free_file(struct ign_file *f)
{
	free(f->contents.headers);
	for (size_t i = 0; i < f->nappend; i++)
		free(f->append[i].headers);
	free(f->append);
}

/* Remove entry i of a node list (kind 0 files, 1 dirs, 2 links). */
static void remove_node(struct ign_cfg *c, int kind, size_t i)
{
	if (kind == 0) {
		free_file(&c->files[i]);
		memmove(&c->files[i], &c->files[i + 1], (c->nfiles - i - 1) * sizeof(*c->files));
		c->nfiles--;
	} else if (kind == 1) {
		memmove(&c->dirs[i], &c->dirs[i + 1], (c->ndirs - i - 1) * sizeof(*c->dirs));
		c->ndirs--;
	} else {
		memmove(&c->links[i], &c->links[i + 1], (c->nlinks - i - 1) * sizeof(*c->links));
		c->nlinks--;
	}
}

/* Find path in the parent's node lists; *kind and *idx say where. */
static bool find_node(const struct ign_cfg *c, const char *path, int *kind, size_t *idx)
{
	for (size_t i = 0; i < c->nfiles; i++)
		if (!strcmp(c->files[i].path, path))
			return *kind = 0, *idx = i, true;
	for (size_t i = 0; i < c->ndirs; i++)
		if (!strcmp(c->dirs[i].path, path))
			return *kind = 1, *idx = i, true;
	for (size_t i = 0; i < c->nlinks; i++)
		if (!strcmp(c->links[i].path, path))
			return *kind = 2, *idx = i, true;
	return false;
}

static int merge_nodes(struct ign_cfg *p, struct ign_cfg *c)
{
	int kind;
	size_t idx;
	for (size_t i = 0; i < c->nfiles; i++) {
		struct ign_file *f = &c->files[i];
		if (find_node(p, f->path, &kind, &idx) && kind == 0) {
			if (merge_file(&p->files[idx], f))
				return -ENOMEM;
			continue;
		}
		if (find_node(p, f->path, &kind, &idx))
			remove_node(p, kind, idx);
		if (push(&p->files, &p->nfiles, f, 1, sizeof(*p->files)))
			return -ENOMEM;
		memset(f, 0, sizeof(*f)); /* moved */
	}
	for (size_t i = 0; i < c->ndirs; i++) {
		struct ign_dir *d = &c->dirs[i];
		if (find_node(p, d->path, &kind, &idx) && kind == 1) {
			merge_dir(&p->dirs[idx], d);
			continue;
		}
		if (find_node(p, d->path, &kind, &idx))
			remove_node(p, kind, idx);
		if (push(&p->dirs, &p->ndirs, d, 1, sizeof(*p->dirs)))
			return -ENOMEM;
	}
	for (size_t i = 0; i < c->nlinks; i++) {
		struct ign_link *l = &c->links[i];
		if (find_node(p, l->path, &kind, &idx) && kind == 2) {
			merge_link(&p->links[idx], l);
			continue;
		}
		if (find_node(p, l->path, &kind, &idx))
			remove_node(p, kind, idx);
		if (push(&p->links, &p->nlinks, l, 1, sizeof(*p->links)))
			return -ENOMEM;
	}
	return 0;
}

/* Unite string list c into p (order kept, duplicates skipped). */
static int unite(const char ***p, size_t *pn, const char **c, size_t cn)
{
	for (size_t i = 0; i < cn; i++) {
		size_t j = 0;
		while (j < *pn && strcmp((*p)[j], c[i]))
			j++;
		if (j < *pn)
			continue;
		if (push(p, pn, &c[i], 1, sizeof(**p)))
			return -ENOMEM;
	}
	return 0;
}

/* Drop the strings of list c from p. */
static void subtract(const char **p, size_t *pn, const char **c, size_t cn)
{
	for (size_t i = 0; i < cn; i++)
		for (size_t j = 0; j < *pn; j++)
			if (!strcmp(p[j], c[i])) {
				memmove(&p[j], &p[j + 1], (*pn - j - 1) * sizeof(*p));
				(*pn)--;
				break;
			}
}

static int merge_units(struct ign_cfg *p, struct ign_cfg *c)
{
	for (size_t i = 0; i < c->nunits; i++) {
		struct ign_unit *cu = &c->units[i], *pu = NULL;
		for (size_t j = 0; j < p->nunits && !pu; j++)
			if (!strcmp(p->units[j].name, cu->name))
				pu = &p->units[j];
		if (!pu) {
			if (push(&p->units, &p->nunits, cu, 1, sizeof(*p->units)))
				return -ENOMEM;
			cu->dropins = NULL;
			cu->ndropins = 0;
			continue;
		}
		set8(&pu->enabled, cu->enabled);
		set8(&pu->mask, cu->mask);
		if (cu->contents)
			pu->contents = cu->contents;
		pu->where = cu->where;
		for (size_t k = 0; k < cu->ndropins; k++) {
			struct ign_dropin *cd = &cu->dropins[k];
			size_t j = 0;
			while (j < pu->ndropins && strcmp(pu->dropins[j].name, cd->name))
				j++;
			if (j < pu->ndropins) {
				if (cd->contents)
					pu->dropins[j].contents = cd->contents;
				pu->dropins[j].where = cd->where;
				continue;
			}
			if (push(&pu->dropins, &pu->ndropins, cd, 1, sizeof(*pu->dropins)))
				return -ENOMEM;
		}
	}
	return 0;
}

static int merge_users(struct ign_cfg *p, struct ign_cfg *c)
{
	for (size_t i = 0; i < c->nusers; i++) {
		struct ign_user *cu = &c->users[i], *pu = NULL;
		for (size_t j = 0; j < p->nusers && !pu; j++)
			if (!strcmp(p->users[j].name, cu->name))
				pu = &p->users[j];
		if (!pu) {
			if (push(&p->users, &p->nusers, cu, 1, sizeof(*p->users)))
				return -ENOMEM;
			cu->ssh_keys = cu->groups = NULL;
			continue;
		}
		if (cu->password_hash)
			pu->password_hash = cu->password_hash;
		if (cu->has_uid) {
			pu->has_uid = true;
			pu->uid = cu->uid;
		}
		if (cu->gecos)
			pu->gecos = cu->gecos;
		if (cu->home)
			pu->home = cu->home;
		if (cu->primary_group)
			pu->primary_group = cu->primary_group;
		if (cu->shell)
			pu->shell = cu->shell;
		set8(&pu->no_create_home, cu->no_create_home);
		set8(&pu->no_user_group, cu->no_user_group);
		set8(&pu->no_log_init, cu->no_log_init);
		set8(&pu->system, cu->system);
		set8(&pu->should_exist, cu->should_exist);
		pu->has_groups |= cu->has_groups;
		if (unite(&pu->ssh_keys, &pu->nssh_keys, cu->ssh_keys, cu->nssh_keys) ||
			unite(&pu->groups, &pu->ngroups, cu->groups, cu->ngroups))
			return -ENOMEM;
		pu->where = cu->where;
	}
	for (size_t i = 0; i < c->ngroups; i++) {
		struct ign_group *cg = &c->groups[i], *pg = NULL;
		for (size_t j = 0; j < p->ngroups && !pg; j++)
			if (!strcmp(p->groups[j].name, cg->name))
				pg = &p->groups[j];
		if (!pg) {
			if (push(&p->groups, &p->ngroups, cg, 1, sizeof(*p->groups)))
				return -ENOMEM;
			continue;
		}
		if (cg->has_gid) {
			pg->has_gid = true;
			pg->gid = cg->gid;
		}
		if (cg->password_hash)
			pg->password_hash = cg->password_hash;
		set8(&pg->system, cg->system);
		set8(&pg->should_exist, cg->should_exist);
		pg->where = cg->where;
	}
	return 0;
}

static int merge_cas(struct ign_cfg *p, struct ign_cfg *c)
{
	for (size_t i = 0; i < c->ncas; i++) {
		size_t j = 0;
		while (j < p->ncas && strcmp(p->cas[j].source, c->cas[i].source))
			j++;
		if (j < p->ncas) {
			if (merge_res(&p->cas[j], &c->cas[i]))
				return -ENOMEM;
			continue;
		}
		if (push(&p->cas, &p->ncas, &c->cas[i], 1, sizeof(*p->cas)))
			return -ENOMEM;
		c->cas[i].headers = NULL;
		c->cas[i].nheaders = 0;
	}
	return 0;
}

/* Move c's documents and strings to p: the merged entries point into them. Each list changes
 * owner as soon as it is copied, so a failure between the two frees nothing twice. */
static int adopt(struct ign_cfg *p, struct ign_cfg *c)
{
	if (push(&p->docs, &p->ndocs, c->docs, c->ndocs, sizeof(*p->docs)))
		return -ENOMEM;
	c->ndocs = 0;
	if (push(&p->strs, &p->nstrs, c->strs, c->nstrs, sizeof(*p->strs)))
		return -ENOMEM;
	c->nstrs = 0;
	return 0;
}

int ign_merge(struct ign_cfg *p, struct ign_cfg *c, struct kerr *e)
{
	int ret;
	if ((ret = adopt(p, c)))
		goto out;
	if (c->minor > p->minor)
		p->minor = c->minor;
	if (c->has_header_timeout) {
		p->has_header_timeout = true;
		p->header_timeout = c->header_timeout;
	}
	if (c->has_total_timeout) {
		p->has_total_timeout = true;
		p->total_timeout = c->total_timeout;
	}
	if ((ret = merge_cas(p, c)) || (ret = merge_nodes(p, c)) || (ret = merge_units(p, c)) || (ret = merge_users(p, c)))
		goto out;
	if ((ret = unite(&p->kargs_add, &p->nkargs_add, c->kargs_add, c->nkargs_add)) ||
		(ret = unite(&p->kargs_del, &p->nkargs_del, c->kargs_del, c->nkargs_del)))
		goto out;
	subtract(p->kargs_del, &p->nkargs_del, c->kargs_add, c->nkargs_add);
	subtract(p->kargs_add, &p->nkargs_add, c->kargs_del, c->nkargs_del);
out:
	ign_free(c);
	if (ret)
		return kerr_set(e, ret, "merging configs: %s", strerror(-ret));
	return 0;
}
