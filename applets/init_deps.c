/* init_deps.c — `keel init list-dependencies` (see init_deps.h). */
#include "applets/init_deps.h"
#include "base/applet.h"
#include "base/buf.h"
#include "base/err.h"
#include "base/lines.h"
#include "base/log.h"
#include "base/sandbox.h"
#include "init/ctl.h"
#include "init/unit_load.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

struct dep_row {
	char name[UNIT_NAME_MAX + 1]; /* "" for a cycle ("...") */
	unsigned level;
	uint64_t branches; /* bit i: the branch at level i goes on below this row */
	bool last;
};

struct deps {
	const struct unit_dirs *d;
	bool all;
	struct dep_row *v;
	size_t n;
	const char *path[DEPS_DEPTH + 1]; /* the units from the root down to the one being walked */
};

static bool is_target(const char *n)
{
	size_t l = strlen(n);
	return l > 7 && !strcmp(n + l - 7, ".target");
}

/* systemd's order: targets after the other units, then by name ignoring case */
static int dep_cmp(const void *a, const void *b)
{
	const char *x = *(const char *const *)a, *y = *(const char *const *)b;
	return is_target(x) != is_target(y) ? is_target(x) - is_target(y) : strcasecmp(x, y);
}

static int add(struct deps *x, const char *name, unsigned level, uint64_t branches, bool last)
{
	if (x->n == DEPS_ROWS)
		return -E2BIG;
	if (!(x->n & (x->n + 1))) { /* 0, 1, 3, 7…: grow to twice */
		struct dep_row *nv = realloc(x->v, (x->n + 1) * 2 * sizeof(*nv));
		if (!nv)
			return -ENOMEM;
		x->v = nv;
	}
	struct dep_row *r = &x->v[x->n++];
	str_copy(r->name, sizeof(r->name), name);
	r->level = level;
	r->branches = branches;
	r->last = last;
	return 0;
}

static int walk(struct deps *x, const char *name, unsigned level, uint64_t branches)
{
	struct unit u;
	enum unit_load load;
	struct kerr e = {0};
	size_t nd = 0;
	int ret = 0;
	if (level >= DEPS_DEPTH || unit_load(x->d, name, &u, &load, &e))
		return 0; /* nothing below what does not load */
	const struct strv *lists[] = {&u.requires, &u.requisite, &u.wants, &u.binds_to};
	const char **dep = load == LOAD_LOADED ? calloc(u.requires.n + u.requisite.n + u.wants.n + u.binds_to.n + 1,
		sizeof(*dep)) : NULL;
	if (!dep) {
		unit_free(&u);
		return load == LOAD_LOADED ? -ENOMEM : 0;
	}
	for (size_t l = 0; l < 4; l++)
		for (size_t i = 0; i < lists[l]->n; i++) {
			bool seen = false;
			for (size_t k = 0; k < nd && !seen; k++)
				seen = !strcmp(dep[k], lists[l]->v[i]);
			if (!seen)
				dep[nd++] = lists[l]->v[i];
		}
	qsort(dep, nd, sizeof(dep[0]), dep_cmp);
	x->path[level] = name;
	for (size_t i = 0; i < nd && !ret; i++) {
		bool last = i == nd - 1, cycle = false;
		uint64_t b = branches << 1 | !last;
		for (unsigned k = 0; k <= level && !cycle; k++)
			cycle = !strcmp(x->path[k], dep[i]);
		if (cycle)
			ret = add(x, "", level + 1, b, true);
		else if (!(ret = add(x, dep[i], level, branches, last)) && (x->all || is_target(dep[i])))
			ret = walk(x, dep[i], level + 1, b);
	}
	free(dep);
	unit_free(&u);
	return ret;
}

/* the state glyph of name in PID 1's status reply (NULL: none) */
static const char *glyph(const char *body, size_t len, const char *name)
{
	struct lines c;
	const char *p, *why;
	size_t l;
	struct ctl_status st;
	lines_init(&c, body, len);
	while (body && lines_next(&c, &p, &l))
		if (!ctl_parse_status(p, l, &st, &why) && !strcmp(st.unit, name))
			return !strcmp(st.active, "active") || !strcmp(st.active, "reloading") || !strcmp(st.active, "activating") ?
				"\xe2\x97\x8f" : !strcmp(st.active, "failed") ? "\xc3\x97" : "\xe2\x97\x8b";
	return "\xe2\x97\x8b"; /* not loaded by PID 1: inactive */
}

int init_list_deps(const char *root, const char *top, bool all, const char *ctl_path, const char *const *syscalls)
{
	if (!unit_name_suffix(top))
		return kfail(EXIT_USAGE, "list-dependencies: not a unit name (NAME.service, NAME.socket, NAME.target or "
			"NAME.timer) (see --help)");
	if (!strcmp(top, "default.target"))
		top = "multi-user.target"; /* keel's default.target */
	struct unit_dirs d;
	struct kerr e = {0};
	int ret = unit_dirs_open(&d, root, &e);
	if (ret)
		return kfail(EXIT_FAIL, "list-dependencies: %s", kerr_str(&e, ret));
	struct deps x = {.d = &d, .all = all};
	ret = walk(&x, top, 0, 0);
	unit_dirs_close(&d);
	if (ret) {
		free(x.v);
		return kfail(EXIT_FAIL, "list-dependencies: %s", ret == -E2BIG ? "more than 16384 lines" : strerror(-ret));
	}
	/* the states, when PID 1 runs beneath root */
	struct buf reply = BUF_INIT(CTL_REPLY_MAX);
	const char *body = NULL;
	if ((ret = sandbox_enter(syscalls, &e))) {
		free(x.v);
		return kfail(EXIT_FAIL, "list-dependencies: %s", kerr_str(&e, ret));
	}
	if (!ctl_call(ctl_path, "status\n", &reply, 10000, &e) && reply.len >= 3 && !memcmp(reply.p, "OK\n", 3))
		body = (const char *)reply.p + 3;
	printf("%s\n", top);
	for (size_t i = 0; i < x.n; i++) {
		const struct dep_row *r = &x.v[i];
		printf("%s ", !r->name[0] ? " " : body ? glyph(body, reply.len - 3, r->name) : " ");
		for (unsigned k = r->level; k-- > 0;)
			fputs(r->branches >> k & 1 ? "\xe2\x94\x82 " : "  ", stdout);
		printf("%s%s\n", r->last ? "\xe2\x94\x94\xe2\x94\x80" : "\xe2\x94\x9c\xe2\x94\x80", r->name[0] ? r->name : "...");
	}
	buf_free(&reply);
	free(x.v);
	return EXIT_OK;
}
