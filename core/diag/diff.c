/* diff.c — keel diag diff (diff.h): a bundle read as untrusted input, its facts, and their diff. */
#include "diag/diff.h"
#include "archive/tar.h"
#include "archive/zstd_read.h"
#include "base/buf.h"
#include "base/err.h"
#include "base/json.h"
#include "trust/hash.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- the facts: how each item is read ----------------------------------------------------------- */

/* Sections in alphabetical order: a record's first byte is its index + 1, so one strcmp orders
 * records by section, then key. */
static const char *const sections[] = {"cmdline", "health", "items", "kernel", "listening", "mounts",
                                       "os-release", "release", "sysctl", "units"};
enum { CMDLINE = 1, HEALTH, ITEMS, KERNEL, LISTENING, MOUNTS, OSREL, RELEASE, SYSCTL, UNITS };

struct facts {
	struct buf b;   /* records: SECTION + 1, KEY, '\0', VALUE, '\0' */
	size_t *off, n, cap;
	int err;
};

static void fact(struct facts *f, int sec, const char *k, size_t kl, const char *v, size_t vl)
{
	if (f->n == f->cap) {
		size_t *o = f->cap < 1000000 ? realloc(f->off, (f->cap * 2 + 64) * sizeof(*o)) : NULL;
		if (!o) {
			f->err = -ENOMEM;
			return;
		}
		f->off = o, f->cap = f->cap * 2 + 64;
	}
	f->off[f->n] = f->b.len;
	if (buf_putc(&f->b, sec) || buf_put(&f->b, k, kl) || buf_putc(&f->b, 0) || buf_put(&f->b, v, vl) || buf_putc(&f->b, 0))
		f->err = -ENOMEM;
	else
		f->n++;
}

static const char *trim(const char *s, size_t *n)
{
	while (*n && (*s == ' ' || *s == '\t'))
		s++, (*n)--;
	while (*n && (s[*n - 1] == ' ' || s[*n - 1] == '\t' || s[*n - 1] == '\r'))
		(*n)--;
	return s;
}

/* How an item's lines become facts: lines end at one of eol; a line's fields are separated by
 * sep (runs of blanks are one when sep is ' '); the key is field kf, the value the text from
 * field vf up to field ve (0: the line's end). sep 0: the key is the item's name, the value the
 * line. Only lines in the "==> only <==" part when only is set. */
static const struct sec {
	const char *item;
	char sep; /* '\t': only the "==> status <==" part (units.txt); 'w': words, each NAME=… */
	uint8_t section, kf, vf, ve;
} secs[] = {
	{"keel/boot", '=', RELEASE, 0, 1, 0},       {"kernel/version", 0, KERNEL, 0, 0, 0},
	{"kernel/cmdline", 'w', CMDLINE, 0, 0, 0},  {"os-release", '=', OSREL, 0, 1, 0},
	{"keel-version", 0, OSREL, 0, 0, 0},        {"units.txt", '\t', UNITS, 0, 1, 5},
	{"sysctl.txt", '=', SYSCTL, 0, 1, 0},       {"mounts", ' ', MOUNTS, 4, 3, 0},
	{"net/listening", ' ', LISTENING, 0, 1, 0}, {"health.txt", 0, HEALTH, 0, 0, 0},
};

static void parse(struct facts *f, const struct sec *c, const char *t, size_t n)
{
	int in = c->sep != '\t';
	char sep = c->sep == 'w' ? '=' : c->sep;
	for (const char *p = t, *end = t + n; p < end;) {
		size_t ln = strcspn(p, c->sep == 'w' ? " \n" : "\n"), fs[24], fe[24];
		const char *l = p;
		int k = 0;
		p += ln + 1;
		fs[0] = 0, fe[0] = ln;
		if (!in || (c->sep == '\t' && ln > 4 && !memcmp(l, "==> ", 4))) {
			in = ln == 14 && !memcmp(l, "==> status <==", 14);
			continue;
		}
		for (size_t i = 0; sep && i < ln && k < 24; k++) { /* fields [fs, fe) */
			while (sep == ' ' && i < ln && l[i] == ' ')
				i++;
			fs[k] = i;
			while (i < ln && l[i] != sep)
				i++;
			fe[k] = i++;
		}
		if (!ln || (sep && (k <= c->kf || k <= c->vf || k < c->ve)))
			continue;
		size_t kl = sep ? fe[c->kf] - fs[c->kf] : strlen(c->item), vl = (c->ve ? fe[c->ve - 1] : ln) - fs[c->vf];
		const char *key = trim(sep ? l + fs[c->kf] : c->item, &kl), *v = trim(l + fs[c->vf], &vl);
		if (kl)
			fact(f, c->section, key, kl, v, vl);
	}
}

/* Items whose content changes by the minute: compared only with all. */
static const char *const volatile_items[] = {"dmesg", "meminfo", "loadavg", "pressure/", "cgroups.txt", "processes.txt",
                                             "net/dev", "net/unix", "net/tcp", "net/tcp6", "net/udp", "net/udp6", "block/diskstats", NULL};

static int match(const char *name, const char *pat)
{
	size_t l = strlen(pat);
	return pat[l - 1] == '/' ? !strncmp(name, pat, l) : !strcmp(name, pat);
}

static const struct sec *sec_of(const char *name)
{
	for (size_t i = 0; i < sizeof(secs) / sizeof(secs[0]); i++)
		if (match(name, secs[i].item))
			return &secs[i];
	return NULL;
}

static const struct diag_snap_item *find(const struct diag_snap *s, const char *name)
{
	for (int i = 0; i < s->n; i++)
		if (!strcmp(s->item[i].name, name))
			return &s->item[i];
	return NULL;
}

/* The facts of s; a section's only when other holds its item too. */
static void facts_of(const struct diag_snap *s, const struct diag_snap *other, int all, struct facts *f)
{
	for (int i = 0; i < s->n; i++) {
		const struct diag_snap_item *it = &s->item[i];
		const struct sec *c = sec_of(it->name);
		if (c && it->text && find(other, it->name)) {
			parse(f, c, it->text, it->len);
			continue;
		}
		int vol = 0;
		for (int k = 0; volatile_items[k]; k++)
			vol |= match(it->name, volatile_items[k]);
		if (vol && !all)
			continue;
		char v[64], hex[65];
		hex_encode(hex, it->sha, 32);
		int m = snprintf(v, sizeof(v), "%.16s %llu B", hex, (unsigned long long)it->size);
		fact(f, ITEMS, it->name, strlen(it->name), v, (size_t)m);
	}
}

/* ---- the diff --------------------------------------------------------------------------------- */

static const char *rec(const struct facts *f, size_t i, int value)
{
	const char *r = (const char *)f->b.p + f->off[i];
	return value ? r + strlen(r) + 1 : r;
}

static int rec_cmp(const void *x, const void *y, void *f)
{
	size_t a = *(const size_t *)x, b = *(const size_t *)y;
	const char *base = (const char *)((struct facts *)f)->b.p;
	int c = strcmp(base + a, base + b);
	return c ? c : strcmp(base + a + strlen(base + a) + 1, base + b + strlen(base + b) + 1);
}

/* The end of the group of records with i's section and key. */
static size_t group(const struct facts *f, size_t i)
{
	size_t j = i + 1;
	while (j < f->n && !strcmp(rec(f, i, 0), rec(f, j, 0)))
		j++;
	return j;
}

/* Text as a change shows it: tabs as spaces, other control bytes as '?' (a bundle from another
 * machine must not drive the terminal). */
static char *shown(char *s)
{
	for (char *p = s; p && *p; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			*p = *p == '\t' ? ' ' : '?';
	return s;
}

/* The values of a group, " | " between them; NULL for none. */
static char *join(const struct facts *f, size_t i, size_t e)
{
	struct buf b = BUF_INIT(1 << 20);
	for (size_t k = i; k < e; k++)
		buf_printf(&b, "%s%s", k > i ? " | " : "", rec(f, k, 1));
	return i == e ? NULL : b.p ? shown((char *)b.p) : strdup("");
}

int diag_diff(const struct diag_snap *a, const struct diag_snap *b, int all, struct diag_changes *c)
{
	struct facts f[2] = {{.b = BUF_INIT(256 << 20)}, {.b = BUF_INIT(256 << 20)}};
	int ret = 0;
	size_t i = 0, j = 0, cap = 0;
	memset(c, 0, sizeof(*c));
	facts_of(a, b, all, &f[0]);
	facts_of(b, a, all, &f[1]);
	for (int s = 0; s < 2; s++) {
		ret = ret ? ret : f[s].err;
		if (f[s].n) /* qsort_r wants a base even for none */
			qsort_r(f[s].off, f[s].n, sizeof(size_t), rec_cmp, &f[s]);
	}
	while (!ret && (i < f[0].n || j < f[1].n)) {
		int o = i == f[0].n ? 1 : j == f[1].n ? -1 : strcmp(rec(&f[0], i, 0), rec(&f[1], j, 0));
		size_t ie = o <= 0 ? group(&f[0], i) : i, je = o >= 0 ? group(&f[1], j) : j, k = 0;
		while (!o && k < ie - i && ie - i == je - j && !strcmp(rec(&f[0], i + k, 1), rec(&f[1], j + k, 1)))
			k++; /* the same values? */
		if (o || k < ie - i || ie - i != je - j) {
			const char *r = o <= 0 ? rec(&f[0], i, 0) : rec(&f[1], j, 0);
			if (c->n >= DIFF_CHANGES_MAX) {
				c->omitted++;
			} else {
				if (c->n == cap) {
					struct diag_change *v = realloc(c->v, (cap * 2 + 32) * sizeof(*v));
					if (!v) {
						ret = -ENOMEM;
						break;
					}
					c->v = v, cap = cap * 2 + 32;
				}
				struct diag_change *d = &c->v[c->n++];
				d->section = sections[r[0] - 1];
				d->key = shown(strdup(r + 1));
				d->a = join(&f[0], i, ie);
				d->b = join(&f[1], j, je);
				if (!d->key || (ie > i && !d->a) || (je > j && !d->b))
					ret = -ENOMEM;
			}
		}
		i = ie, j = je;
	}
	for (int s = 0; s < 2; s++) {
		buf_free(&f[s].b);
		free(f[s].off);
	}
	return ret;
}

void diag_changes_free(struct diag_changes *c)
{
	for (size_t i = 0; c->v && i < c->n; i++) {
		free(c->v[i].key);
		free(c->v[i].a);
		free(c->v[i].b);
	}
	free(c->v);
	memset(c, 0, sizeof(*c));
}

/* ---- reading a bundle ------------------------------------------------------------------------- */

struct rd {
	struct diag_snap *s;
	struct diag_snap_item *cur; /* NULL: the manifest, or a directory */
	struct hash_ctx h;
	int hashing;
	struct buf keep;            /* the kept item, or the manifest */
	int keeping;
	struct tar *t;
};

static int r_entry(void *ctx, const struct tar_entry *t, struct kerr *e)
{
	struct rd *r = ctx;
	int in = str_starts(t->path, "keel-diag/");
	const char *p = t->path + (in ? 10 : 0), *why = NULL;
	int kept = !strcmp(p, "manifest.json");
	r->cur = NULL, r->keeping = 0;
	buf_reset(&r->keep);
	if (!in || (t->type != TAR_FILE && t->type != TAR_DIR) || (!*p && t->type == TAR_FILE))
		why = "not a file or directory below keel-diag/";
	else if (t->type == TAR_DIR)
		return 0;
	else if (!kept && (strlen(p) >= sizeof(r->s->item[0].name) || r->s->n >= DIFF_ITEMS_MAX))
		why = "a bad name, or too many items";
	else if (!kept && find(r->s, p))
		why = "twice in the archive";
	else if ((kept |= sec_of(p) != NULL) && t->size > DIFF_KEEP_MAX)
		why = "too large";
	if (why)
		return kerr_set(e, -EINVAL, "tar offset %llu: %s: %s", (unsigned long long)t->offset, t->path, why);
	r->keeping = kept;
	if (!strcmp(p, "manifest.json"))
		return 0;
	r->cur = &r->s->item[r->s->n++];
	strcpy(r->cur->name, p);
	r->cur->in_tar = 1;
	r->cur->size = t->size;
	r->hashing = 1;
	return hash_init(&r->h, HASH_SHA256);
}

static int r_data(void *ctx, const uint8_t *p, size_t n, struct kerr *e)
{
	struct rd *r = ctx;
	if (r->hashing)
		hash_update(&r->h, p, n);
	return r->keeping && buf_put(&r->keep, p, n) ? kerr_set(e, -ENOMEM, "out of memory") : 0;
}

static int r_end(void *ctx, struct kerr *e)
{
	struct rd *r = ctx;
	(void)e;
	if (r->hashing)
		hash_final(&r->h, r->cur->sha);
	r->hashing = 0;
	if (r->cur && r->keeping) {
		if (buf_putc(&r->keep, 0))
			return kerr_set(e, -ENOMEM, "out of memory");
		r->cur->len = r->keep.len - 1;
		r->cur->text = buf_steal(&r->keep, NULL);
	}
	return 0;
}

static int r_tar(void *ctx, const uint8_t *p, size_t n, struct kerr *e)
{
	return tar_feed(((struct rd *)ctx)->t, p, n, e);
}

/* The manifest: every item in the archive with the same sha256, every archive item listed. */
static int manifest(struct diag_snap *s, const struct buf *m, struct kerr *e)
{
	struct json_doc d = {0};
	int ret = m->len ? json_parse(&d, m->p, m->len, NULL, e) : kerr_set(e, -EINVAL, "no keel-diag/manifest.json");
	const struct json *items = ret ? NULL : json_get(d.root, "items");
	size_t n = items && items->type == JSON_ARRAY ? items->u.arr.n : 0;
	for (size_t i = 0; !ret && i < n; i++) {
		const struct json *nm = json_get(items->u.arr.v[i], "name"), *sh = json_get(items->u.arr.v[i], "sha256");
		struct diag_snap_item *it = NULL;
		if (nm && nm->type == JSON_STRING && str_starts(nm->u.str.s, "keel-diag/"))
			it = (struct diag_snap_item *)find(s, nm->u.str.s + 10);
		if (!it || it->in_manifest || !sh || sh->type != JSON_STRING || hex_decode(it->msha, 32, sh->u.str.s, sh->u.str.len))
			ret = kerr_set(e, -EINVAL, "manifest.json: /items/%zu: no item of the archive with a sha256", i);
		else if (memcmp(it->sha, it->msha, 32))
			ret = kerr_set(e, -EBADMSG, "keel-diag/%s: its sha256 is not the manifest's", it->name);
		else
			it->in_manifest = 1;
	}
	for (int i = 0; !ret && i < s->n; i++)
		if (!s->item[i].in_manifest)
			ret = kerr_set(e, -EINVAL, "keel-diag/%s: in the archive, not in manifest.json", s->item[i].name);
	json_free(&d);
	return ret;
}

int diag_snap_read(const uint8_t *p, size_t n, struct diag_snap *s, struct kerr *e)
{
	static const struct tar_ops ops = {r_entry, r_data, r_end};
	struct rd r = {.s = s, .keep = BUF_INIT(DIFF_KEEP_MAX + 1)};
	struct buf mf = BUF_INIT(0);
	memset(s, 0, sizeof(*s));
	int ret = n > DIFF_FILE_MAX ? kerr_set(e, -EFBIG, "more than %u bytes", DIFF_FILE_MAX) : tar_new(&r.t, &ops, &r);
	if (!ret)
		ret = n >= 4 && !memcmp(p, "\x28\xb5\x2f\xfd", 4) ? zstd_read_mem_sink(p, n, r_tar, &r, DIFF_TAR_MAX, DIFF_WINDOW_LOG, e)
		                                                  : tar_feed(r.t, p, n, e);
	if (!ret)
		ret = tar_finish(r.t, e);
	if (r.hashing)
		hash_free(&r.h);
	/* the manifest is the last member: what is kept in r.keep when the archive ends */
	if (!ret && r.keeping && !r.cur)
		mf = r.keep, r.keep = (struct buf)BUF_INIT(0);
	if (!ret)
		ret = manifest(s, &mf, e);
	tar_free(r.t);
	buf_free(&r.keep);
	buf_free(&mf);
	if (ret)
		diag_snap_free(s);
	return ret;
}

void diag_snap_free(struct diag_snap *s)
{
	for (int i = 0; i < s->n; i++)
		free(s->item[i].text);
	memset(s, 0, sizeof(*s));
}
