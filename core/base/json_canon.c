/* json_canon.c — canonical JSON as TUF signs it (OLPC, as securesystemslib and tuf-js write it):
 * object keys sorted by their UTF-8 bytes, no insignificant white space, only integers, only
 * '"' and '\\' escaped in strings. Walks the tree with an explicit stack (no recursion);
 * errors name the offset and JSON pointer of the value, as the parser's do.
 */
#include "base/json.h"
#include "base/json_impl.h"
#include "base/buf.h"
#include "base/err.h"

#include <errno.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct canon {
	struct buf *out;
	struct kerr *e;
	struct json_frame *fr;
	size_t nfr, capfr;
	int told; /* e was filled */
};

static int cerr(struct canon *c, int code, const struct json *v, const char *why)
{
	c->told = 1;
	return json_where_err(c->e, code, v ? v->off : 0, c->fr, c->nfr, why);
}

static int cmp_member(const void *a, const void *b)
{
	const struct json_member *x = *(const struct json_member *const *)a;
	const struct json_member *y = *(const struct json_member *const *)b;
	size_t n = x->key_len < y->key_len ? x->key_len : y->key_len;
	int r = memcmp(x->key, y->key, n);

	if (r)
		return r;
	return x->key_len < y->key_len ? -1 : x->key_len > y->key_len;
}

/* Only '"' and '\' are escaped; every other byte is written as it is. */
static int canon_string(struct buf *out, const char *s, size_t n)
{
	size_t run = 0;
	int ret = buf_putc(out, '"');

	for (size_t i = 0; !ret && i < n; i++) {
		if (s[i] != '"' && s[i] != '\\')
			continue;
		ret = buf_put(out, s + run, i - run);
		if (!ret)
			ret = buf_putc(out, '\\');
		run = i;
	}
	if (!ret)
		ret = buf_put(out, s + run, n - run);
	return ret ? ret : buf_putc(out, '"');
}

static int canon_open(struct canon *c, const struct json *v)
{
	const struct json_member **order = NULL;
	size_t n = v->type == JSON_ARRAY ? v->u.arr.n : v->u.obj.n;

	if (n && !(v->type == JSON_ARRAY ? (void *)v->u.arr.v : (void *)v->u.obj.m))
		return cerr(c, -EINVAL, v, "malformed document");
	if (c->nfr == c->capfr) {
		size_t cap = c->capfr ? c->capfr * 2 : 16;
		struct json_frame *f;

		if (cap > SIZE_MAX / sizeof(*f) || !(f = realloc(c->fr, cap * sizeof(*f))))
			return cerr(c, -ENOMEM, v, "out of memory");
		c->fr = f;
		c->capfr = cap;
	}
	if (v->type == JSON_OBJECT && n) {
		if (n > SIZE_MAX / sizeof(*order) || !(order = malloc(n * sizeof(*order))))
			return cerr(c, -ENOMEM, v, "out of memory");
		for (size_t i = 0; i < n; i++)
			order[i] = &v->u.obj.m[i];
		qsort(order, n, sizeof(*order), cmp_member);
	}
	c->fr[c->nfr++] = (struct json_frame){.node = v, .order = order};
	if (order) {
		for (size_t i = 1; i < n; i++) {
			if (!cmp_member(&order[i - 1], &order[i]))
				return cerr(c, -EINVAL, v, "duplicate key");
		}
	}
	return buf_putc(c->out, v->type == JSON_ARRAY ? '[' : '{');
}

static int canon_value(struct canon *c, const struct json *v)
{
	char num[24];

	if (!v)
		return cerr(c, -EINVAL, NULL, "malformed document");
	switch (v->type) {
	case JSON_NULL:
		return buf_puts(c->out, "null");
	case JSON_BOOL:
		return buf_puts(c->out, v->u.b ? "true" : "false");
	case JSON_NUMBER:
		if (!v->u.num.is_int) {
			char why[120];
			const char *t = v->u.num.text ? v->u.num.text : "";
			int frac = strpbrk(t, ".eE") != NULL;
			snprintf(why, sizeof(why), "%s in canonical JSON: %.40s%s",
				frac ? "only integers are allowed" : "integer out of range", t,
				strlen(t) > 40 ? "..." : "");
			return cerr(c, -EINVAL, v, why);
		}
		snprintf(num, sizeof(num), "%" PRId64, v->u.num.i);
		return buf_puts(c->out, num);
	case JSON_STRING:
		if (!v->u.str.s && v->u.str.len)
			return cerr(c, -EINVAL, v, "malformed document");
		return canon_string(c->out, v->u.str.s ? v->u.str.s : "", v->u.str.len);
	case JSON_ARRAY:
	case JSON_OBJECT:
		return canon_open(c, v);
	}
	return cerr(c, -EINVAL, v, "malformed document");
}

/* The next child of the innermost open container, or its closing bracket. */
static int canon_step(struct canon *c)
{
	struct json_frame *f = &c->fr[c->nfr - 1];
	const struct json *v = f->node;
	size_t n = v->type == JSON_ARRAY ? v->u.arr.n : v->u.obj.n;
	const struct json *child;
	int ret;

	if (f->in_child) {
		f->in_child = 0;
		f->idx++;
	}
	if (f->idx == n) {
		free(f->order);
		c->nfr--;
		return buf_putc(c->out, v->type == JSON_ARRAY ? ']' : '}');
	}
	if (f->idx) {
		ret = buf_putc(c->out, ',');
		if (ret)
			return ret;
	}
	if (v->type == JSON_ARRAY) {
		child = v->u.arr.v[f->idx];
	} else {
		const struct json_member *m = f->order[f->idx];
		if (!m->key && m->key_len)
			return cerr(c, -EINVAL, v, "malformed document");
		f->key = m->key ? m->key : "";
		f->key_len = m->key_len;
		ret = canon_string(c->out, f->key, f->key_len);
		if (!ret)
			ret = buf_putc(c->out, ':');
		if (ret)
			return ret;
		child = m->val;
	}
	f->in_child = 1;
	return canon_value(c, child);
}

int json_canonical(const struct json *v, struct buf *out, struct kerr *e)
{
	struct canon c = {.out = out, .e = e};
	size_t start = out->len;
	int ret;

	ret = canon_value(&c, v);
	while (!ret && c.nfr)
		ret = canon_step(&c);
	if (ret && !c.told) /* the output buffer refused */
		kerr_set(e, ret, "canonical JSON: %s", ret == -E2BIG ?
			"output larger than the buffer allows" : "out of memory");
	while (c.nfr)
		free(c.fr[--c.nfr].order);
	free(c.fr);
	if (ret) {
		out->len = start;
		if (out->p)
			out->p[start] = 0;
	}
	return ret;
}
