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
#include "provision/ign.h"
#include "base/err.h"
#include "base/json.h"

#include <errno.h>
#include <stddef.h>
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

/* Remove entry i of the array arr, *n entries of size bytes. */
static void drop(void *arr, size_t *n, size_t i, size_t size)
{
	memmove((char *)arr + i * size, (char *)arr + (i + 1) * size, (*n - i - 1) * size);
	(*n)--;
}

/* The entry of arr[0..n) (entries of size bytes) whose string at key_off is key: its index, or
 * n. For an array of strings, key_off is 0 and size that of a pointer. */
static size_t find(const void *arr, size_t n, size_t size, size_t key_off, const char *key)
{
	for (size_t i = 0; i < n; i++) {
		const char *k;
		memcpy(&k, (const char *)arr + i * size + key_off, sizeof(k));
		if (!strcmp(k, key))
			return i;
	}
	return n;
}

/* Merges the child's entry c into the parent's entry p with the same key (one list's type). */
typedef int merge_fn(void *p, void *c);

/* The lists of objects: merge the child's list c[0..cn) into the parent's list at slot (an
 * "T **", *pn entries of size bytes), entry by entry on the string at key_off. An entry whose
 * key the parent has is merged into the parent's; any other is moved to the end of the parent's
 * list and zeroed in the child, which then owns nothing of it. */
static int merge_list(void *slot, size_t *pn, void *c, size_t cn, size_t size, size_t key_off, merge_fn *merge)
{
	for (size_t i = 0; i < cn; i++) {
		char *ce = (char *)c + i * size, *arr;
		const char *key;
		size_t j;
		int ret;

		memcpy(&arr, slot, sizeof(arr));
		memcpy(&key, ce + key_off, sizeof(key));
		j = find(arr, *pn, size, key_off, key);
		if (j < *pn) {
			if ((ret = merge(arr + j * size, ce)))
				return ret;
			continue;
		}
		if (push(slot, pn, ce, 1, size))
			return -ENOMEM;
		memset(ce, 0, size);
	}
	return 0;
}

/* Unite string list c into p (order kept, duplicates skipped). */
static int unite(const char ***p, size_t *pn, const char **c, size_t cn)
{
	for (size_t i = 0; i < cn; i++)
		if (find(*p, *pn, sizeof(**p), 0, c[i]) == *pn && push(p, pn, &c[i], 1, sizeof(**p)))
			return -ENOMEM;
	return 0;
}

/* Drop the strings of list c from p. */
static void subtract(const char **p, size_t *pn, const char **c, size_t cn)
{
	for (size_t i = 0; i < cn; i++) {
		size_t j = find(p, *pn, sizeof(*p), 0, c[i]);
		if (j < *pn)
			drop(p, pn, j, sizeof(*p));
	}
}

/* HTTP headers by name; a child header without a value removes the parent's (and is not added). */
static int merge_headers(struct ign_res *p, struct ign_res *c)
{
	for (size_t i = 0; i < c->nheaders; i++) {
		struct ign_header *h = &c->headers[i];
		size_t j = find(p->headers, p->nheaders, sizeof(*h), offsetof(struct ign_header, name), h->name);
		if (j < p->nheaders && !h->value)
			drop(p->headers, &p->nheaders, j, sizeof(*h));
		else if (j < p->nheaders)
			p->headers[j].value = h->value;
		else if (h->value && push(&p->headers, &p->nheaders, h, 1, sizeof(*h)))
			return -ENOMEM;
	}
	return 0;
}

/* struct ign_res: contents, append fragments, certificate authorities. */
static int merge_res(void *pv, void *cv)
{
	struct ign_res *p = pv, *c = cv;
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

static void set_mode(bool *p_has, uint32_t *p, bool c_has, uint32_t c)
{
	if (c_has) {
		*p_has = true;
		*p = c;
	}
}

static int merge_file(void *pv, void *cv)
{
	struct ign_file *p = pv, *c = cv;
	set8(&p->overwrite, c->overwrite);
	set_mode(&p->has_mode, &p->mode, c->has_mode, c->mode);
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

static int merge_dir(void *pv, void *cv)
{
	struct ign_dir *p = pv, *c = cv;
	set8(&p->overwrite, c->overwrite);
	set_mode(&p->has_mode, &p->mode, c->has_mode, c->mode);
	merge_owner(&p->user, &c->user);
	merge_owner(&p->group, &c->group);
	p->where = c->where;
	return 0;
}

static int merge_link(void *pv, void *cv)
{
	struct ign_link *p = pv, *c = cv;
	set8(&p->overwrite, c->overwrite);
	set8(&p->hard, c->hard);
	if (c->target)
		p->target = c->target;
	merge_owner(&p->user, &c->user);
	merge_owner(&p->group, &c->group);
	p->where = c->where;
	return 0;
}

static void free_file(struct ign_file *f)
{
	free(f->contents.headers);
	for (size_t i = 0; i < f->nappend; i++)
		free(f->append[i].headers);
	free(f->append);
}

/* Files, directories and links share one key space: a child node first removes the parent's
 * node of another kind at its path (each config has one node per path), then merges with or
 * joins the list of its own kind. */
enum node_kind { NODE_FILE, NODE_DIR, NODE_LINK };

static void drop_other_kinds(struct ign_cfg *p, const char *path, enum node_kind kind)
{
	size_t f = find(p->files, p->nfiles, sizeof(*p->files), offsetof(struct ign_file, path), path);
	size_t d = find(p->dirs, p->ndirs, sizeof(*p->dirs), offsetof(struct ign_dir, path), path);
	size_t l = find(p->links, p->nlinks, sizeof(*p->links), offsetof(struct ign_link, path), path);

	if (kind != NODE_FILE && f < p->nfiles) {
		free_file(&p->files[f]);
		drop(p->files, &p->nfiles, f, sizeof(*p->files));
	}
	if (kind != NODE_DIR && d < p->ndirs)
		drop(p->dirs, &p->ndirs, d, sizeof(*p->dirs));
	if (kind != NODE_LINK && l < p->nlinks)
		drop(p->links, &p->nlinks, l, sizeof(*p->links));
}

static int merge_nodes(struct ign_cfg *p, struct ign_cfg *c)
{
	for (size_t i = 0; i < c->nfiles; i++)
		drop_other_kinds(p, c->files[i].path, NODE_FILE);
	for (size_t i = 0; i < c->ndirs; i++)
		drop_other_kinds(p, c->dirs[i].path, NODE_DIR);
	for (size_t i = 0; i < c->nlinks; i++)
		drop_other_kinds(p, c->links[i].path, NODE_LINK);
	if (merge_list(&p->files, &p->nfiles, c->files, c->nfiles, sizeof(*c->files),
			offsetof(struct ign_file, path), merge_file) ||
		merge_list(&p->dirs, &p->ndirs, c->dirs, c->ndirs, sizeof(*c->dirs),
			offsetof(struct ign_dir, path), merge_dir) ||
		merge_list(&p->links, &p->nlinks, c->links, c->nlinks, sizeof(*c->links),
			offsetof(struct ign_link, path), merge_link))
		return -ENOMEM;
	return 0;
}

static int merge_dropin(void *pv, void *cv)
{
	struct ign_dropin *p = pv, *c = cv;
	if (c->contents)
		p->contents = c->contents;
	p->where = c->where;
	return 0;
}

static int merge_unit(void *pv, void *cv)
{
	struct ign_unit *p = pv, *c = cv;
	set8(&p->enabled, c->enabled);
	set8(&p->mask, c->mask);
	if (c->contents)
		p->contents = c->contents;
	p->where = c->where;
	return merge_list(&p->dropins, &p->ndropins, c->dropins, c->ndropins, sizeof(*c->dropins),
		offsetof(struct ign_dropin, name), merge_dropin);
}

static int merge_user(void *pv, void *cv)
{
	struct ign_user *p = pv, *c = cv;
	if (c->password_hash)
		p->password_hash = c->password_hash;
	if (c->has_uid) {
		p->has_uid = true;
		p->uid = c->uid;
	}
	if (c->gecos)
		p->gecos = c->gecos;
	if (c->home)
		p->home = c->home;
	if (c->primary_group)
		p->primary_group = c->primary_group;
	if (c->shell)
		p->shell = c->shell;
	set8(&p->no_create_home, c->no_create_home);
	set8(&p->no_user_group, c->no_user_group);
	set8(&p->no_log_init, c->no_log_init);
	set8(&p->system, c->system);
	set8(&p->should_exist, c->should_exist);
	p->has_groups |= c->has_groups;
	if (unite(&p->ssh_keys, &p->nssh_keys, c->ssh_keys, c->nssh_keys) ||
		unite(&p->groups, &p->ngroups, c->groups, c->ngroups))
		return -ENOMEM;
	p->where = c->where;
	return 0;
}

static int merge_group(void *pv, void *cv)
{
	struct ign_group *p = pv, *c = cv;
	if (c->has_gid) {
		p->has_gid = true;
		p->gid = c->gid;
	}
	if (c->password_hash)
		p->password_hash = c->password_hash;
	set8(&p->system, c->system);
	set8(&p->should_exist, c->should_exist);
	p->where = c->where;
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
	if ((ret = merge_list(&p->cas, &p->ncas, c->cas, c->ncas, sizeof(*c->cas),
			offsetof(struct ign_res, source), merge_res)) ||
		(ret = merge_nodes(p, c)) ||
		(ret = merge_list(&p->units, &p->nunits, c->units, c->nunits, sizeof(*c->units),
			offsetof(struct ign_unit, name), merge_unit)) ||
		(ret = merge_list(&p->users, &p->nusers, c->users, c->nusers, sizeof(*c->users),
			offsetof(struct ign_user, name), merge_user)) ||
		(ret = merge_list(&p->groups, &p->ngroups, c->groups, c->ngroups, sizeof(*c->groups),
			offsetof(struct ign_group, name), merge_group)))
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
