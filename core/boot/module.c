/* module.c — modules.dep/softdep/alias/builtin, modprobe's load order, finit_module(2). */
#include "boot/module.h"
#include "base/err.h"
#include "base/fs.h"
#include "base/lines.h"
#include "base/fnm.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#define MOD_DEPTH 32
#define MOD_VISITS 1024 /* names looked up for one plan: alias fan-out cannot grow without bound */
#define NAME_MAX_LEN 63

struct line {
	const char *p, *end;
};

/* Next line of c; 0 at the end, -E2BIG for an overlong line. */
static int next_line(struct lines *c, struct line *l)
{
	size_t n;
	if (!lines_next(c, &l->p, &n))
		return 0;
	if (n > MODLINE_MAX)
		return -E2BIG;
	l->end = l->p + n;
	return 1;
}

/* Next white-space separated word of l; 0 when none is left. */
static int next_word(struct line *l, const char **w, size_t *wl)
{
	while (l->p < l->end && (*l->p == ' ' || *l->p == '\t' || *l->p == '\r'))
		l->p++;
	if (l->p == l->end)
		return 0;
	*w = l->p;
	while (l->p < l->end && *l->p != ' ' && *l->p != '\t' && *l->p != '\r')
		l->p++;
	*wl = (size_t)(l->p - *w);
	return 1;
}

/* Normalised copy ('-' → '_') of s[0..n) into out[NAME_MAX_LEN + 1]. */
static int norm(char *out, const char *s, size_t n)
{
	if (!n || n > NAME_MAX_LEN)
		return -ENAMETOOLONG;
	for (size_t i = 0; i < n; i++) {
		if (!s[i] || s[i] == '/')
			return -EINVAL;
		out[i] = s[i] == '-' ? '_' : s[i];
	}
	out[n] = 0;
	return 0;
}

/* Module name of a path "dir/name.ko[.xz|.zst|.gz]". */
static int name_of_path(char *out, const char *path, size_t n)
{
	const char *base = path;
	for (size_t i = 0; i < n; i++)
		if (path[i] == '/')
			base = path + i + 1;
	size_t bl = (size_t)(path + n - base);
	static const char *const ext[] = {".ko", ".ko.xz", ".ko.zst", ".ko.gz"};
	for (size_t i = 0; i < sizeof(ext) / sizeof(ext[0]); i++) {
		size_t el = strlen(ext[i]);
		if (bl > el && !memcmp(base + bl - el, ext[i], el))
			return norm(out, base, bl - el);
	}
	return -EINVAL;
}

/* The modules.dep line of a module: *deps points after the ':' (the dependency paths). */
static int dep_find(const struct modindex *m, const char *name, struct line *path, struct line *deps,
	struct kerr *e)
{
	struct lines c;
	struct line l;
	int r;
	lines_init(&c, m->dep.p, m->dep.len);
	while ((r = next_line(&c, &l)) > 0) {
		const char *colon = memchr(l.p, ':', (size_t)(l.end - l.p));
		char nm[NAME_MAX_LEN + 1];
		if (!colon)
			return kerr_set(e, -EINVAL, "modules.dep:%zu: no ':'", c.no);
		if (colon - l.p >= MODPATH_MAX)
			return kerr_set(e, -E2BIG, "modules.dep:%zu: path longer than %d", c.no, MODPATH_MAX - 1);
		if (name_of_path(nm, l.p, (size_t)(colon - l.p)))
			return kerr_set(e, -EINVAL, "modules.dep:%zu: not a module path", c.no);
		if (!strcmp(nm, name)) {
			path->p = l.p;
			path->end = colon;
			deps->p = colon + 1;
			deps->end = l.end;
			return 1;
		}
	}
	if (r < 0)
		return kerr_set(e, r, "modules.dep:%zu: line longer than %d", c.no, MODLINE_MAX);
	return 0;
}

static int builtin_has(const struct modindex *m, const char *name)
{
	struct lines c;
	struct line l;
	char nm[NAME_MAX_LEN + 1];
	lines_init(&c, m->builtin.p, m->builtin.len);
	while (next_line(&c, &l) > 0)
		if (!name_of_path(nm, l.p, (size_t)(l.end - l.p)) && !strcmp(nm, name))
			return 1;
	return 0;
}

static int in_plan(const struct modplan *plan, const char *name)
{
	for (int i = 0; i < plan->n; i++)
		if (!strcmp(plan->e[i].name, name))
			return 1;
	return 0;
}

struct walk {
	const struct modindex *m;
	struct modplan *plan;
	struct kerr *e;
	const char *stack[MOD_DEPTH]; /* names being resolved: a cycle is skipped, as modprobe does */
	int depth;
	int visits;
};

static int visit(struct walk *w, const char *name, int soft);

/* Visit every module named in the softdep lines of name for the given section ("pre:"/"post:"). */
static int visit_softdeps(struct walk *w, const char *name, const char *section)
{
	struct lines c;
	struct line l;
	int r;
	lines_init(&c, w->m->softdep.p, w->m->softdep.len);
	while ((r = next_line(&c, &l)) > 0) {
		const char *wd;
		size_t wl;
		char nm[NAME_MAX_LEN + 1];
		if (!next_word(&l, &wd, &wl) || wl != 7 || memcmp(wd, "softdep", 7))
			continue;
		char pat[NAME_MAX_LEN + 1];
		if (!next_word(&l, &wd, &wl) || norm(pat, wd, wl) || fnm_match(pat, name, 0))
			continue;
		int on = 0;
		while (next_word(&l, &wd, &wl)) {
			if (wl == 4 && !memcmp(wd, "pre:", 4)) {
				on = !strcmp(section, "pre:");
				continue;
			}
			if (wl == 5 && !memcmp(wd, "post:", 5)) {
				on = !strcmp(section, "post:");
				continue;
			}
			if (!on)
				continue;
			if (norm(nm, wd, wl))
				return kerr_set(w->e, -EINVAL, "modules.softdep: bad module name for %s", name);
			if ((r = visit(w, nm, 1)))
				return r;
		}
		return 0; /* only the first matching line counts, as in kmod and module-init-tools */
	}
	if (r < 0)
		return kerr_set(w->e, r, "modules.softdep: line longer than %d", MODLINE_MAX);
	return 0;
}

/* A name that is no module file: every module whose alias pattern matches it. */
static int visit_alias(struct walk *w, const char *name, int soft, int *found)
{
	struct lines c;
	struct line l;
	int r;
	lines_init(&c, w->m->alias.p, w->m->alias.len);
	while ((r = next_line(&c, &l)) > 0) {
		const char *wd, *mod;
		size_t wl, ml;
		char pat[MODLINE_MAX + 1], nm[NAME_MAX_LEN + 1];
		if (!next_word(&l, &wd, &wl) || wl != 5 || memcmp(wd, "alias", 5))
			continue;
		if (!next_word(&l, &wd, &wl) || !next_word(&l, &mod, &ml))
			continue;
		int inbr = 0;
		for (size_t i = 0; i < wl; i++) { /* normalise outside [...] as kmod does */
			char ch = wd[i];
			if (ch == '[')
				inbr = 1;
			else if (ch == ']')
				inbr = 0;
			pat[i] = (!inbr && ch == '-') ? '_' : ch;
		}
		pat[wl] = 0;
		if (fnm_match(pat, name, 0))
			continue;
		if (norm(nm, mod, ml))
			return kerr_set(w->e, -EINVAL, "modules.alias: bad module name for alias %s", pat);
		if (!strcmp(nm, name))
			continue;
		*found = 1;
		if ((r = visit(w, nm, soft)))
			return r;
	}
	if (r < 0)
		return kerr_set(w->e, r, "modules.alias: line longer than %d", MODLINE_MAX);
	return 0;
}

/* kmod's fill_softdep: the module's "pre:" softdeps (each with everything it needs), the module
 * itself, its "post:" softdeps. */
static int fill(struct walk *w, const char *name, const char *path, size_t pl, int soft)
{
	int r;
	if (in_plan(w->plan, name))
		return 0;
	if ((r = visit_softdeps(w, name, "pre:")))
		return r;
	if (!in_plan(w->plan, name)) {
		if (w->plan->n == MODPLAN_MAX)
			return kerr_set(w->e, -E2BIG, "module %s: more than %d modules to load", name, MODPLAN_MAX);
		struct modplan_ent *ent = &w->plan->e[w->plan->n];
		memcpy(ent->path, path, pl);
		ent->path[pl] = 0;
		strcpy(ent->name, name);
		ent->soft = soft;
		w->plan->n++;
	}
	return visit_softdeps(w, name, "post:");
}

/* kmod's get_probe_list: the modules.dep dependencies, last listed first, each filled with its
 * softdeps; then the module itself. An alias stands for every module it matches. */
static int visit(struct walk *w, const char *name, int soft)
{
	struct line path = {0}, deps = {0};
	int r;

	if (in_plan(w->plan, name))
		return 0;
	for (int i = 0; i < w->depth; i++)
		if (!strcmp(w->stack[i], name))
			return 0; /* a softdep cycle */
	if (w->depth == MOD_DEPTH)
		return kerr_set(w->e, -ELOOP, "module %s: dependencies nested deeper than %d", name, MOD_DEPTH);
	if (++w->visits > MOD_VISITS)
		return kerr_set(w->e, -ELOOP, "module %s: more than %d lookups (aliases and softdeps fan out)", name,
			MOD_VISITS);
	if ((r = dep_find(w->m, name, &path, &deps, w->e)) < 0)
		return r;
	w->stack[w->depth++] = name;
	if (!r) {
		int found = 0; /* kmod's lookup order: module file, then aliases, then built-ins */
		if ((r = visit_alias(w, name, soft, &found)) || found || builtin_has(w->m, name))
			goto out;
		if (!soft)
			r = kerr_set(w->e, -ENOENT, "module %s: not in modules.dep, modules.alias or modules.builtin", name);
		goto out;
	}
	const char *ends[MODPLAN_MAX];
	const char *starts[MODPLAN_MAX];
	int nd = 0;
	const char *wd;
	size_t wl;
	while (next_word(&deps, &wd, &wl)) {
		if (nd == MODPLAN_MAX) {
			r = kerr_set(w->e, -E2BIG, "module %s: more than %d dependencies", name, MODPLAN_MAX);
			goto out;
		}
		if (wl >= MODPATH_MAX) {
			r = kerr_set(w->e, -E2BIG, "modules.dep: dependency path of %s longer than %d", name, MODPATH_MAX - 1);
			goto out;
		}
		starts[nd] = wd;
		ends[nd++] = wd + wl;
	}
	for (int i = nd - 1; i >= 0; i--) {
		char nm[NAME_MAX_LEN + 1];
		if (name_of_path(nm, starts[i], (size_t)(ends[i] - starts[i]))) {
			r = kerr_set(w->e, -EINVAL, "modules.dep: bad dependency of %s", name);
			goto out;
		}
		if ((r = fill(w, nm, starts[i], (size_t)(ends[i] - starts[i]), soft)))
			goto out;
	}
	r = fill(w, name, path.p, (size_t)(path.end - path.p), soft);
out:
	w->depth--;
	return r;
}

int module_plan(const struct modindex *m, const char *name, struct modplan *plan, struct kerr *e)
{
	char nm[NAME_MAX_LEN + 1];
	struct walk w = {.m = m, .plan = plan, .e = e};
	if (norm(nm, name, strlen(name)))
		return kerr_set(e, -EINVAL, "module name '%.64s': invalid", name);
	return visit(&w, nm, 0);
}

static int load_file(struct buf *b, const char *dir, const char *file, int required, struct kerr *e)
{
	char path[512];
	if (str_fmt(path, sizeof(path), "%s/%s", dir, file))
		return kerr_set(e, -ENAMETOOLONG, "%s: path too long", dir);
	int ret = fs_read_path(AT_FDCWD, path, MODINDEX_MAX, b, e);
	if (ret == -ENOENT && !required)
		return 0;
	return ret;
}

int modindex_load(struct modindex *m, const char *dir, struct kerr *e)
{
	int ret;
	buf_init(&m->dep, MODINDEX_MAX);
	buf_init(&m->softdep, MODINDEX_MAX);
	buf_init(&m->alias, MODINDEX_MAX);
	buf_init(&m->builtin, MODINDEX_MAX);
	if ((ret = load_file(&m->dep, dir, "modules.dep", 1, e)) ||
		(ret = load_file(&m->softdep, dir, "modules.softdep", 0, e)) ||
		(ret = load_file(&m->alias, dir, "modules.alias", 0, e)) ||
		(ret = load_file(&m->builtin, dir, "modules.builtin", 0, e)))
		modindex_free(m);
	return ret;
}

int modindex_set(struct modindex *m, const char *dep, const char *softdep, const char *alias,
	const char *builtin, struct kerr *e)
{
	buf_init(&m->dep, MODINDEX_MAX);
	buf_init(&m->softdep, MODINDEX_MAX);
	buf_init(&m->alias, MODINDEX_MAX);
	buf_init(&m->builtin, MODINDEX_MAX);
	if ((dep && buf_puts(&m->dep, dep)) || (softdep && buf_puts(&m->softdep, softdep)) ||
		(alias && buf_puts(&m->alias, alias)) || (builtin && buf_puts(&m->builtin, builtin))) {
		modindex_free(m);
		return kerr_set(e, -E2BIG, "module index larger than %u bytes", MODINDEX_MAX);
	}
	return 0;
}

void modindex_free(struct modindex *m)
{
	if (!m)
		return;
	buf_free(&m->dep);
	buf_free(&m->softdep);
	buf_free(&m->alias);
	buf_free(&m->builtin);
}

int module_load_plan(const char *dir, const struct modplan *plan, int *loaded, int *skipped, struct kerr *e)
{
	int nl = 0, ns = 0, ret = 0;
	int dfd = plan->n ? open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC) : -1;
	if (plan->n && dfd < 0)
		ret = kerr_set(e, -errno, "%s: %s", dir, strerror(errno));
	for (int i = 0; i < plan->n && !ret; i++) {
		const struct modplan_ent *ent = &plan->e[i];
		char path[MODPATH_MAX + 256];
		if (str_fmt(path, sizeof(path), "%s/%s", dir, ent->path)) {
			ret = kerr_set(e, -ENAMETOOLONG, "module %s: path too long", ent->name);
			break;
		}
		/* modules.dep is untrusted text: its paths stay beneath dir, no symlink followed */
		int fd = fs_open_beneath(dfd, ent->path, O_RDONLY, 0);
		int r = fd < 0 ? fd : 0;
		if (!r && syscall(SYS_finit_module, fd, "", 0) && errno != EEXIST)
			r = -errno;
		if (fd >= 0)
			close(fd);
		if (!r) {
			nl++;
			continue;
		}
		if (ent->soft || r == -ENODEV) { /* ENODEV: what it serves is absent (efivarfs on a BIOS boot) */
			ns++;
			continue;
		}
		ret = kerr_set(e, r, "module %s (%s): %s", ent->name, path, strerror(-r));
		break;
	}
	if (dfd >= 0)
		close(dfd);
	if (loaded)
		*loaded = nl;
	if (skipped)
		*skipped = ns;
	return ret;
}
