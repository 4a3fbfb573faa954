/* host_profile.c — the host profile's strict parser (format in host.h). */
#include "policy/host.h"
#include "base/buf.h"
#include "base/err.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Fields of a check by kind; common ones first. */
static const char *const common[] = {"id", "title", "rationale", "anchor", "kind", "roles", NULL};
static const struct {
	const char *kind;
	const char *fields[6];
} kinds[] = {
	{"sysctl", {"key", "expect", "min", NULL}},
	{"file", {"path", "key", "expect", "min", "selected", NULL}},
	{"efivar", {"name", "expect", NULL}},
	{"mount", {"path", "options", "source", "optional", NULL}},
	{"writable-mounts", {"options", "except", NULL}},
	{"module", {"name", NULL}},
	{"walk", {"allow", NULL}},
	{"listen", {"allow", NULL}},
	{"cmdline", {"absent", "present", NULL}},
	{"clock", {"max", NULL}},
	{"floor", {NULL}},
	{"verity", {"device", NULL}},
	{"units", {"expect", NULL}},
};
static const char *const override[] = {"expect", "min", "max", "allow", "skip", NULL};

static bool in(const char *const l[], const char *s)
{
	for (int i = 0; l[i]; i++)
		if (!strcmp(l[i], s))
			return true;
	return false;
}

static int type_of(const char *field)
{
	static const char *const arrays[] = {"expect", "selected", "options", "except", "allow", "absent", "present", NULL};
	if (!strcmp(field, "min") || !strcmp(field, "max"))
		return JSON_NUMBER;
	if (!strcmp(field, "optional") || !strcmp(field, "skip"))
		return JSON_BOOL;
	if (!strcmp(field, "roles"))
		return JSON_OBJECT;
	return in(arrays, field) ? JSON_ARRAY : JSON_STRING;
}

static int strings(const struct json *a, const char *where, struct kerr *e)
{
	for (size_t i = 0; i < a->u.arr.n; i++)
		if (a->u.arr.v[i]->type != JSON_STRING || !a->u.arr.v[i]->u.str.len)
			return kerr_set(e, -EINVAL, "%s/%zu: a non-empty string expected", where, i);
	return 0;
}

/* Check obj's members against allowed names and their types. */
static int fields(const struct json *obj, const char *const *allowed, const char *const *more, const char *where,
	struct kerr *e)
{
	char p[160];
	if (obj->type != JSON_OBJECT)
		return kerr_set(e, -EINVAL, "%s: object expected", where);
	for (size_t i = 0; i < obj->u.obj.n; i++) {
		const struct json_member *m = &obj->u.obj.m[i];
		if (!in(allowed, m->key) && !(more && in(more, m->key)))
			return kerr_set(e, -EINVAL, "%s/%s: unknown field", where, m->key);
		int t = type_of(m->key);
		if ((int)m->val->type != t)
			return kerr_set(e, -EINVAL, "%s/%s: %s expected", where, m->key, json_type_name((enum json_type)t));
		snprintf(p, sizeof(p), "%s/%s", where, m->key);
		if (t == JSON_ARRAY && strings(m->val, p, e))
			return -EINVAL;
		if (t == JSON_NUMBER && !m->val->u.num.is_int)
			return kerr_set(e, -EINVAL, "%s: an integer expected", p);
		if (t == JSON_STRING && !m->val->u.str.len)
			return kerr_set(e, -EINVAL, "%s: empty", p);
	}
	return 0;
}

static const char *str(const struct json *o, const char *k)
{
	const struct json *v = json_get(o, k);
	return v && v->type == JSON_STRING ? v->u.str.s : NULL;
}

bool hc_role_known(const struct hc_profile *p, const char *role)
{
	for (size_t i = 0; p->roles && i < p->roles->u.arr.n; i++)
		if (!strcmp(p->roles->u.arr.v[i]->u.str.s, role))
			return true;
	return false;
}

const struct hc_check *hc_find(const struct hc_profile *p, const char *id)
{
	for (size_t i = 0; i < p->n; i++)
		if (!strcmp(p->c[i].id, id))
			return &p->c[i];
	return NULL;
}

static bool date_ok(const char *s)
{
	static const int mdays[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
	if (strlen(s) != 10 || s[4] != '-' || s[7] != '-')
		return false;
	for (int i = 0; i < 10; i++)
		if (i != 4 && i != 7 && (s[i] < '0' || s[i] > '9'))
			return false;
	int m = (s[5] - '0') * 10 + s[6] - '0', d = (s[8] - '0') * 10 + s[9] - '0';
	return m >= 1 && m <= 12 && d >= 1 && d <= mdays[m - 1];
}

static int check_one(struct hc_profile *p, const struct json *c, size_t i, struct kerr *e)
{
	char where[64], w2[160];
	snprintf(where, sizeof(where), "/checks/%zu", i);
	const char *kind = c->type == JSON_OBJECT ? str(c, "kind") : NULL;
	size_t k = 0;
	while (kind && k < sizeof(kinds) / sizeof(kinds[0]) && strcmp(kinds[k].kind, kind))
		k++;
	if (!kind || k == sizeof(kinds) / sizeof(kinds[0]))
		return kerr_set(e, -EINVAL, "%s/kind: %s", where, kind ? "unknown kind" : "required");
	int ret = fields(c, common, kinds[k].fields, where, e);
	if (ret)
		return ret;
	struct hc_check *h = &p->c[i];
	h->id = str(c, "id");
	h->title = str(c, "title");
	h->rationale = str(c, "rationale");
	h->anchor = str(c, "anchor");
	h->kind = kinds[k].kind;
	h->obj = c;
	if (!h->id || !h->title || !h->rationale)
		return kerr_set(e, -EINVAL, "%s: id, title and rationale are required", where);
	if (strspn(h->id, "abcdefghijklmnopqrstuvwxyz0123456789._-/") != strlen(h->id))
		return kerr_set(e, -EINVAL, "%s/id: only a-z 0-9 . _ - / allowed", where);
	for (size_t j = 0; j < i; j++)
		if (!strcmp(p->c[j].id, h->id))
			return kerr_set(e, -EINVAL, "%s/id: duplicate id '%s'", where, h->id);
	static const char *const need[] = {"sysctl", "key", "file", "path", "efivar", "name", "mount", "path", "module", "name", "verity", "device", NULL};
	for (int n = 0; need[n]; n += 2)
		if (!strcmp(kind, need[n]) && !json_get(c, need[n + 1]))
			return kerr_set(e, -EINVAL, "%s/%s: required for kind %s", where, need[n + 1], kind);
	const struct json *roles = json_get(c, "roles");
	for (size_t r = 0; roles && r < roles->u.obj.n; r++) {
		snprintf(w2, sizeof(w2), "%s/roles/%s", where, roles->u.obj.m[r].key);
		if (!hc_role_known(p, roles->u.obj.m[r].key))
			return kerr_set(e, -EINVAL, "%s: unknown role", w2);
		if ((ret = fields(roles->u.obj.m[r].val, override, NULL, w2, e)))
			return ret;
	}
	return 0;
}

int hc_profile_parse(struct hc_profile *p, const void *data, size_t len, struct kerr *e)
{
	static const char *const top[] = {"name", "version", "roles", "checks", "waivers", NULL};
	static const char *const wf[] = {"id", "reason", "who", "expires", NULL};
	int ret;
	memset(p, 0, sizeof(*p));
	if ((ret = json_parse(&p->doc, data, len, NULL, e)))
		return ret;
	const struct json *root = p->doc.root;
	ret = -EINVAL;
	if (root->type != JSON_OBJECT) {
		kerr_set(e, ret, "/: object expected");
		goto out;
	}
	for (size_t i = 0; i < root->u.obj.n; i++)
		if (!in(top, root->u.obj.m[i].key)) {
			kerr_set(e, ret, "/%s: unknown field", root->u.obj.m[i].key);
			goto out;
		}
	const struct json *v = json_get(root, "version"), *checks = json_get(root, "checks"), *w = json_get(root, "waivers");
	p->roles = json_get(root, "roles");
	if (!(p->name = str(root, "name"))) {
		kerr_set(e, ret, "/name: a string required");
		goto out;
	}
	if (!v || v->type != JSON_NUMBER || !v->u.num.is_int || v->u.num.i != 1) {
		kerr_set(e, ret, "/version: 1 required");
		goto out;
	}
	if (!p->roles || p->roles->type != JSON_ARRAY || !p->roles->u.arr.n || strings(p->roles, "/roles", e) ||
		!checks || checks->type != JSON_ARRAY || (w && w->type != JSON_ARRAY)) {
		if (!e || !e->msg[0])
			kerr_set(e, ret, "/roles (non-empty), /checks and /waivers: arrays required");
		goto out;
	}
	if (checks->u.arr.n > 4096 || (w && w->u.arr.n > 4096)) {
		kerr_set(e, ret = -E2BIG, "/checks: more than 4096 entries");
		goto out;
	}
	p->c = calloc(checks->u.arr.n + 1, sizeof(*p->c));
	p->w = calloc((w ? w->u.arr.n : 0) + 1, sizeof(*p->w));
	if (!p->c || !p->w) {
		kerr_set(e, ret = -ENOMEM, "out of memory");
		goto out;
	}
	for (p->n = 0; p->n < checks->u.arr.n; p->n++)
		if (check_one(p, checks->u.arr.v[p->n], p->n, e))
			goto out;
	for (size_t i = 0; w && i < w->u.arr.n; i++) {
		char where[64];
		const struct json *x = w->u.arr.v[i];
		snprintf(where, sizeof(where), "/waivers/%zu", i);
		if (x->type != JSON_OBJECT || fields(x, wf, NULL, where, e) ||
			!(p->w[i].id = str(x, "id")) || !(p->w[i].reason = str(x, "reason")) || !(p->w[i].who = str(x, "who")) ||
			!(p->w[i].expires = str(x, "expires"))) {
			if (!e || !e->msg[0])
				kerr_set(e, ret, "%s: id, reason, who and expires are required", where);
			goto out;
		}
		if (!date_ok(p->w[i].expires)) {
			kerr_set(e, ret, "%s/expires: YYYY-MM-DD expected", where);
			goto out;
		}
		if (!hc_find(p, p->w[i].id)) {
			kerr_set(e, ret, "%s/id: no check '%s' in the profile", where, p->w[i].id);
			goto out;
		}
		p->nw++;
	}
	return 0;
out:
	hc_profile_free(p);
	return ret;
}

void hc_profile_free(struct hc_profile *p)
{
	if (!p)
		return;
	json_free(&p->doc);
	free(p->c);
	free(p->w);
	memset(p, 0, sizeof(*p));
}
