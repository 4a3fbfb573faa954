/* passwd.c — account databases in memory (see passwd.h). */
#include "base/passwd.h"
#include "base/buf.h"
#include "base/err.h"
#include "base/lines.h"

#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#define PW_MAX_LINES 1000000

static const int nfields[PW_NFILES] = {7, 4, 9, 4};
static const char *const fname[PW_NFILES] = {"passwd", "group", "shadow", "gshadow"};

void pwdb_init(struct pwdb *db)
{
	memset(db, 0, sizeof(*db));
	db->ranges = (struct pw_ranges){1000, 60000, 100, 999, 1000, 60000, 100, 999};
}

static void rec_free(struct pw_rec *r, bool secret)
{
	if (r->line) {
		if (secret)
			secure_wipe(r->line, strlen(r->line));
		free(r->line);
	}
	for (int i = 0; r->f && i < r->nf; i++) {
		if (secret && r->f[i])
			secure_wipe(r->f[i], strlen(r->f[i]));
		free(r->f[i]);
	}
	free(r->f);
	memset(r, 0, sizeof(*r));
}

void pwdb_free(struct pwdb *db)
{
	if (!db)
		return;
	for (int t = 0; t < PW_NFILES; t++) {
		for (size_t i = 0; i < db->t[t].n; i++)
			rec_free(&db->t[t].r[i], t == PW_SHADOW || t == PW_GSHADOW);
		free(db->t[t].r);
	}
	memset(db->t, 0, sizeof(db->t));
}

static int table_push(struct pw_table *t, struct pw_rec *r)
{
	if (t->n == t->cap) {
		size_t cap = t->cap ? t->cap * 2 : 32;
		struct pw_rec *v = realloc(t->r, cap * sizeof(*v));
		if (!v)
			return -ENOMEM;
		t->r = v;
		t->cap = cap;
	}
	t->r[t->n++] = *r;
	return 0;
}

/* Split s at ':' into exactly want fields (fewer or more: not an entry). */
static int split(const char *s, size_t len, int want, char ***out)
{
	int n = 1;
	for (size_t i = 0; i < len; i++)
		n += s[i] == ':';
	*out = NULL;
	if (n != want)
		return 0;
	char **f = calloc((size_t)n, sizeof(*f));
	if (!f)
		return -ENOMEM;
	size_t start = 0;
	int k = 0;
	for (size_t i = 0; i <= len; i++) {
		if (i < len && s[i] != ':')
			continue;
		f[k] = strndup(s + start, i - start);
		if (!f[k]) {
			while (k--)
				free(f[k]);
			free(f);
			return -ENOMEM;
		}
		k++;
		start = i + 1;
	}
	*out = f;
	return n;
}

int pwdb_parse(struct pwdb *db, enum pw_file f, const char *data, size_t len, struct kerr *e)
{
	struct pw_table *t = &db->t[f];
	struct lines c;
	const char *p;
	size_t l;

	t->exists = true;
	lines_init(&c, data, len);
	while (lines_next(&c, &p, &l)) {
		struct pw_rec r = {0};
		if (t->n >= PW_MAX_LINES)
			return kerr_set(e, -E2BIG, "/etc/%s: more than %d lines", fname[f], PW_MAX_LINES);
		if (memchr(p, 0, l))
			return kerr_set(e, -EINVAL, "/etc/%s: NUL byte in line %zu", fname[f], t->n + 1);
		r.line = strndup(p, l);
		if (!r.line)
			return kerr_set(e, -ENOMEM, "out of memory");
		int n = (l && p[0] != '#' && p[0] != '+' && p[0] != '-') ? split(p, l, nfields[f], &r.f) : 0;
		if (n < 0 || table_push(t, &r)) {
			rec_free(&r, true);
			return kerr_set(e, -ENOMEM, "out of memory");
		}
		t->r[t->n - 1].nf = n;
	}
	return 0;
}

void pwdb_login_defs(struct pwdb *db, const char *data, size_t len)
{
	static const struct { const char *key; size_t off; } keys[] = {
		{"UID_MIN", offsetof(struct pw_ranges, uid_min)}, {"UID_MAX", offsetof(struct pw_ranges, uid_max)},
		{"SYS_UID_MIN", offsetof(struct pw_ranges, sys_uid_min)}, {"SYS_UID_MAX", offsetof(struct pw_ranges, sys_uid_max)},
		{"GID_MIN", offsetof(struct pw_ranges, gid_min)}, {"GID_MAX", offsetof(struct pw_ranges, gid_max)},
		{"SYS_GID_MIN", offsetof(struct pw_ranges, sys_gid_min)}, {"SYS_GID_MAX", offsetof(struct pw_ranges, sys_gid_max)},
	};
	struct lines c;
	const char *p;
	size_t l;
	lines_init(&c, data, len);
	while (lines_next(&c, &p, &l)) {
		char line[128];
		if (l < sizeof(line)) {
			memcpy(line, p, l);
			line[l] = 0;
			char *k = line + strspn(line, " \t");
			size_t kl = strcspn(k, " \t");
			char *v = k + kl;
			v += strspn(v, " \t");
			v[strcspn(v, " \t\r")] = 0;
			for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
				uint64_t val;
				if (strlen(keys[i].key) == kl && !strncmp(k, keys[i].key, kl) && !parse_u64(v, 0, 0xfffffffeu, &val))
					*(uint32_t *)((char *)&db->ranges + keys[i].off) = (uint32_t)val;
			}
		}
	}
}

int pwdb_serialize(const struct pwdb *db, enum pw_file f, struct buf *out)
{
	const struct pw_table *t = &db->t[f];
	int ret = 0;
	for (size_t i = 0; i < t->n && !ret; i++) {
		const struct pw_rec *r = &t->r[i];
		if (r->deleted)
			continue;
		if (!r->dirty && r->line) {
			ret = buf_puts(out, r->line);
		} else {
			for (int k = 0; k < r->nf && !ret; k++)
				ret = buf_printf(out, "%s%s", k ? ":" : "", r->f[k]);
		}
		if (!ret)
			ret = buf_putc(out, '\n');
	}
	return ret;
}

struct pw_rec *pw_find(struct pwdb *db, enum pw_file f, const char *name)
{
	struct pw_table *t = &db->t[f];
	for (size_t i = 0; i < t->n; i++)
		if (t->r[i].f && !t->r[i].deleted && !strcmp(t->r[i].f[0], name))
			return &t->r[i];
	return NULL;
}

int64_t pw_rec_id(const struct pw_rec *r, enum pw_file f)
{
	uint64_t v;
	int idx = f == PW_PASSWD ? PWF_UID : GRF_GID;
	if (!r->f || (f != PW_PASSWD && f != PW_GROUP) || parse_u64(r->f[idx], 0, 0xffffffffu, &v))
		return -1;
	return (int64_t)v;
}

struct pw_rec *pw_find_id(struct pwdb *db, enum pw_file f, uint32_t id)
{
	struct pw_table *t = &db->t[f];
	for (size_t i = 0; i < t->n; i++)
		if (t->r[i].f && !t->r[i].deleted && pw_rec_id(&t->r[i], f) == (int64_t)id)
			return &t->r[i];
	return NULL;
}

int pw_add(struct pwdb *db, enum pw_file f, const char *const *fields, int nf)
{
	struct pw_rec r = {0};
	if (nf != nfields[f])
		return -EINVAL;
	if (pw_find(db, f, fields[0]))
		return -EEXIST;
	r.f = calloc((size_t)nf, sizeof(*r.f));
	if (!r.f)
		return -ENOMEM;
	r.nf = nf;
	for (int i = 0; i < nf; i++)
		if (!(r.f[i] = strdup(fields[i]))) {
			rec_free(&r, true);
			return -ENOMEM;
		}
	r.dirty = true;
	if (table_push(&db->t[f], &r)) {
		rec_free(&r, true);
		return -ENOMEM;
	}
	db->t[f].changed = true;
	return 0;
}

int pw_set(struct pwdb *db, enum pw_file f, struct pw_rec *r, int field, const char *value)
{
	if (!r->f || field >= r->nf)
		return -EINVAL;
	if (!strcmp(r->f[field], value))
		return 0;
	char *v = strdup(value);
	if (!v)
		return -ENOMEM;
	if (f == PW_SHADOW || f == PW_GSHADOW)
		secure_wipe(r->f[field], strlen(r->f[field]));
	free(r->f[field]);
	r->f[field] = v;
	r->dirty = true;
	db->t[f].changed = true;
	return 0;
}

/* Is name in the comma-separated list s? */
static bool in_list(const char *s, const char *name)
{
	size_t n = strlen(name);
	while (*s) {
		size_t l = strcspn(s, ",");
		if (l == n && !strncmp(s, name, n))
			return true;
		s += l + (s[l] == ',');
	}
	return false;
}

/* The list s with name added (add) or removed; NULL on ENOMEM. */
static char *list_edit(const char *s, const char *name, bool add)
{
	struct buf b = BUF_INIT(1 << 20);
	const char *p = s;
	int r = 0;
	while (*p && !r) {
		size_t l = strcspn(p, ",");
		if (l && !(l == strlen(name) && !strncmp(p, name, l)))
			r = buf_printf(&b, "%s%.*s", b.len ? "," : "", (int)l, p);
		p += l + (p[l] == ',');
	}
	if (!r && add)
		r = buf_printf(&b, "%s%s", b.len ? "," : "", name);
	if (!r && !b.p)
		r = buf_puts(&b, "");
	if (r) {
		buf_free(&b);
		return NULL;
	}
	return buf_steal(&b, NULL);
}

static int member_edit(struct pwdb *db, enum pw_file f, struct pw_rec *r, int field, const char *user, bool add)
{
	if (!r || !r->f || field >= r->nf || in_list(r->f[field], user) == add)
		return 0;
	char *v = list_edit(r->f[field], user, add);
	if (!v)
		return -ENOMEM;
	int ret = pw_set(db, f, r, field, v);
	free(v);
	return ret;
}

static void remove_name(struct pwdb *db, enum pw_file f, const char *name)
{
	struct pw_rec *r = pw_find(db, f, name);
	if (r) {
		r->deleted = true;
		db->t[f].changed = true;
	}
}

void pw_remove_user(struct pwdb *db, const char *name)
{
	remove_name(db, PW_PASSWD, name);
	remove_name(db, PW_SHADOW, name);
	for (size_t i = 0; i < db->t[PW_GROUP].n; i++)
		member_edit(db, PW_GROUP, &db->t[PW_GROUP].r[i], GRF_MEMBERS, name, false);
	for (size_t i = 0; i < db->t[PW_GSHADOW].n; i++) {
		member_edit(db, PW_GSHADOW, &db->t[PW_GSHADOW].r[i], GSF_MEMBERS, name, false);
		member_edit(db, PW_GSHADOW, &db->t[PW_GSHADOW].r[i], GSF_ADMINS, name, false);
	}
}

void pw_remove_group(struct pwdb *db, const char *name)
{
	remove_name(db, PW_GROUP, name);
	remove_name(db, PW_GSHADOW, name);
}

int pw_set_groups(struct pwdb *db, const char *user, const char *const *groups, size_t n, struct kerr *e)
{
	int ret;
	for (size_t k = 0; k < n; k++)
		if (!pw_find(db, PW_GROUP, groups[k]))
			return kerr_set(e, -ENOENT, "group %s does not exist", groups[k]);
	struct pw_table *t = &db->t[PW_GROUP];
	for (size_t i = 0; i < t->n; i++) {
		struct pw_rec *r = &t->r[i];
		if (!r->f || r->deleted)
			continue;
		bool want = false;
		for (size_t k = 0; k < n && !want; k++)
			want = !strcmp(groups[k], r->f[GRF_NAME]);
		if ((ret = member_edit(db, PW_GROUP, r, GRF_MEMBERS, user, want)) ||
			(ret = member_edit(db, PW_GSHADOW, pw_find(db, PW_GSHADOW, r->f[GRF_NAME]), GSF_MEMBERS, user, want)))
			return kerr_set(e, ret, "out of memory");
	}
	return 0;
}

int pw_alloc_id(struct pwdb *db, enum pw_file f, bool system, uint32_t *id)
{
	const struct pw_ranges *g = &db->ranges;
	uint32_t lo, hi;
	if (f == PW_PASSWD) {
		lo = system ? g->sys_uid_min : g->uid_min;
		hi = system ? g->sys_uid_max : g->uid_max;
	} else {
		lo = system ? g->sys_gid_min : g->gid_min;
		hi = system ? g->sys_gid_max : g->gid_max;
	}
	if (lo > hi)
		return -ENOSPC;
	if (system) {
		for (uint32_t v = hi;; v--) {
			if (!pw_find_id(db, f, v)) {
				*id = v;
				return 0;
			}
			if (v == lo)
				return -ENOSPC;
		}
	}
	int64_t top = -1;
	struct pw_table *t = &db->t[f];
	for (size_t i = 0; i < t->n; i++) {
		if (!t->r[i].f || t->r[i].deleted)
			continue;
		int64_t v = pw_rec_id(&t->r[i], f);
		if (v >= lo && v <= hi && v > top)
			top = v;
	}
	if (top < 0) {
		*id = lo;
		return 0;
	}
	if (top < hi) {
		*id = (uint32_t)top + 1;
		return 0;
	}
	for (uint32_t v = lo; v <= hi; v++) /* full at the top: the first gap */
		if (!pw_find_id(db, f, v)) {
			*id = v;
			return 0;
		}
	return -ENOSPC;
}

bool pw_valid_name(const char *s)
{
	size_t n = strlen(s);
	bool digits = true;
	if (!n || n > 32 || s[0] == '-' || s[0] == '+' || !strcmp(s, ".") || !strcmp(s, ".."))
		return false;
	for (size_t i = 0; i < n; i++) {
		char c = s[i];
		if (c == '$' && i == n - 1 && i)
			continue;
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '.' ||
			c == '-'))
			return false;
		digits &= c >= '0' && c <= '9';
	}
	return !digits;
}

bool pw_valid_field(const char *s)
{
	for (; *s; s++)
		if (*s == ':' || (unsigned char)*s < 0x20 || *s == 0x7f)
			return false;
	return true;
}
