/* json.c — libFuzzer harness for core/base/json_parse.c, json_canon.c and json_write.c.
 *
 * Parses with small limits. When the input parses:
 *   - json_canonical succeeds unless a number is not an int64 integer;
 *   - if no string holds a control character (canonical JSON writes them raw, which RFC 8259
 *     forbids), the canonical text parses again, to the same tree with every object's keys
 *     sorted by their bytes, and canonicalises to the same bytes;
 *   - the tree written back through jw_* parses again to an equal tree (jw has no writer for a
 *     non-integer number: it is written, and compared, as the string of its text).
 * The same input under tiny limits fails only where a limit says so.
 * The raw input is also written as one string through jw_strn: unless it holds a NUL (written
 * as \u0000, which the parser refuses), that output parses back.
 */
#include "base/buf.h"
#include "base/err.h"
#include "base/json.h"

#include <errno.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const struct json_limits lim = {
	.max_bytes = 1 << 16,
	.max_depth = 40,
	.max_values = 20000,
	.max_string = 4096,
};

static void check(int cond, const char *what)
{
	if (!cond) {
		fprintf(stderr, "json fuzz: %s\n", what);
		abort();
	}
}

/* An independent UTF-8 check: decode each code point, then judge it. */
static int utf8_valid(const uint8_t *p, size_t n)
{
	static const uint32_t min[5] = {0, 0, 0x80, 0x800, 0x10000};

	for (size_t i = 0; i < n;) {
		uint8_t c = p[i];
		size_t len = c < 0x80 ? 1 : (c & 0xe0) == 0xc0 ? 2 : (c & 0xf0) == 0xe0 ? 3 : (c & 0xf8) == 0xf0 ? 4 : 0;
		uint32_t cp;

		if (!len || n - i < len)
			return 0;
		cp = len == 1 ? c : (uint32_t)(c & (0xff >> (len + 1)));
		for (size_t k = 1; k < len; k++) {
			if ((p[i + k] & 0xc0) != 0x80)
				return 0;
			cp = cp << 6 | (p[i + k] & 0x3f);
		}
		if (cp < min[len] || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
			return 0;
		i += len;
	}
	return 1;
}

struct facts {
	int has_ctl;      /* a string or key holds a byte < 0x20 */
	int all_ints;     /* every number is an int64 integer */
};

static int has_ctl(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)s[i] < 0x20)
			return 1;
	return 0;
}

/* Walk the tree (depth is bounded by lim.max_depth), checking its invariants. */
static void walk(const struct json *v, struct facts *f, size_t in_len)
{
	check(v && v->off < in_len, "value offset inside the input");
	switch (v->type) {
	case JSON_NULL:
	case JSON_BOOL:
		break;
	case JSON_NUMBER:
		check(strlen(v->u.num.text) == v->u.num.len && v->u.num.len, "number text");
		if (!v->u.num.is_int) {
			f->all_ints = 0;
		} else {
			char num[24];
			snprintf(num, sizeof(num), "%" PRId64, v->u.num.i);
			check(!strcmp(num, v->u.num.text) || !strcmp(v->u.num.text, "-0"), "is_int value");
		}
		break;
	case JSON_STRING:
		check(strlen(v->u.str.s) == v->u.str.len, "string has no NUL and is terminated");
		check(utf8_valid((const uint8_t *)v->u.str.s, v->u.str.len), "string is UTF-8");
		check(v->u.str.len <= lim.max_string, "string within max_string");
		f->has_ctl |= has_ctl(v->u.str.s, v->u.str.len);
		break;
	case JSON_ARRAY:
		for (size_t i = 0; i < v->u.arr.n; i++)
			walk(v->u.arr.v[i], f, in_len);
		break;
	case JSON_OBJECT:
		for (size_t i = 0; i < v->u.obj.n; i++) {
			const struct json_member *m = &v->u.obj.m[i];
			check(strlen(m->key) == m->key_len, "key has no NUL and is terminated");
			check(utf8_valid((const uint8_t *)m->key, m->key_len), "key is UTF-8");
			check(json_get(v, m->key) == m->val, "json_get finds every (unique) key");
			f->has_ctl |= has_ctl(m->key, m->key_len);
			walk(m->val, f, in_len);
		}
		break;
	default:
		check(0, "bad type");
	}
}

static void write_tree(struct jw *w, const struct json *v)
{
	switch (v->type) {
	case JSON_NULL:
		jw_null(w);
		break;
	case JSON_BOOL:
		jw_bool(w, v->u.b);
		break;
	case JSON_NUMBER:
		if (v->u.num.is_int)
			jw_int(w, v->u.num.i);
		else
			jw_str(w, v->u.num.text);
		break;
	case JSON_STRING:
		jw_strn(w, v->u.str.s, v->u.str.len);
		break;
	case JSON_ARRAY:
		jw_arr(w);
		for (size_t i = 0; i < v->u.arr.n; i++)
			write_tree(w, v->u.arr.v[i]);
		jw_arr_end(w);
		break;
	case JSON_OBJECT:
		jw_obj(w);
		for (size_t i = 0; i < v->u.obj.n; i++) {
			jw_key(w, v->u.obj.m[i].key);
			write_tree(w, v->u.obj.m[i].val);
		}
		jw_obj_end(w);
		break;
	}
}

/* x's key sorts before y's (by bytes, then length), as canonical JSON orders them. */
static int key_less(const struct json_member *x, const struct json_member *y)
{
	size_t n = x->key_len < y->key_len ? x->key_len : y->key_len;
	int c = memcmp(x->key, y->key, n);
	return c < 0 || (!c && x->key_len < y->key_len);
}

/* b is a written out and parsed back: by write_tree (members in order, a non-integer number as
 * the string of its text) or, sorted, by json_canonical (members in the byte order of keys). */
static int same_tree(const struct json *a, const struct json *b, int sorted)
{
	if (a->type == JSON_NUMBER && !a->u.num.is_int)
		return !sorted && b->type == JSON_STRING && !strcmp(b->u.str.s, a->u.num.text);
	if (a->type != b->type)
		return 0;
	switch (a->type) {
	case JSON_NULL:
		return 1;
	case JSON_BOOL:
		return a->u.b == b->u.b;
	case JSON_NUMBER:
		return b->u.num.is_int && a->u.num.i == b->u.num.i;
	case JSON_STRING:
		return a->u.str.len == b->u.str.len && !memcmp(a->u.str.s, b->u.str.s, a->u.str.len);
	case JSON_ARRAY:
		if (a->u.arr.n != b->u.arr.n)
			return 0;
		for (size_t i = 0; i < a->u.arr.n; i++)
			if (!same_tree(a->u.arr.v[i], b->u.arr.v[i], sorted))
				return 0;
		return 1;
	case JSON_OBJECT:
		if (a->u.obj.n != b->u.obj.n)
			return 0;
		for (size_t i = 0; i < a->u.obj.n; i++) {
			const struct json_member *x = &a->u.obj.m[i], *y = &b->u.obj.m[i];
			const struct json *v = NULL;
			if (!sorted)
				v = x->key_len == y->key_len && !memcmp(x->key, y->key, x->key_len) ? y->val : NULL;
			else if (!i || key_less(y - 1, y))
				v = json_get(b, x->key);
			if (!v || !same_tree(x->val, v, sorted))
				return 0;
		}
		return 1;
	}
	return 0;
}

static void check_canonical(const struct json_doc *doc, const struct facts *f)
{
	struct buf c1 = BUF_INIT(1 << 20), c2 = BUF_INIT(1 << 20);
	struct json_doc again;
	struct kerr e = {0};
	int ret;

	ret = json_canonical(doc->root, &c1, &e);
	check(ret == 0 || (ret == -EINVAL && !f->all_ints), "canonical fails only on a non-integer");
	check(ret != 0 || c1.len > 0, "canonical output not empty");
	if (ret || f->has_ctl)
		goto out;
	ret = json_parse(&again, c1.p, c1.len, &lim, &e);
	check(ret == 0, "canonical output parses again");
	check(same_tree(doc->root, again.root, 1), "canonical output is another tree or has unsorted keys");
	ret = json_canonical(again.root, &c2, &e);
	check(ret == 0 && c1.len == c2.len && !memcmp(c1.p, c2.p, c1.len), "canonical is stable");
	json_free(&again);
out:
	buf_free(&c1);
	buf_free(&c2);
}

static void check_writer(const struct json_doc *doc)
{
	struct buf b = BUF_INIT(1 << 20);
	struct json_limits big = lim; /* escapes make the text longer, never the tree bigger */
	struct json_doc again;
	struct kerr e = {0};
	struct jw w;
	int ret;

	big.max_bytes = b.max;
	jw_init(&w, &b);
	write_tree(&w, doc->root);
	ret = jw_finish(&w);
	check(ret == 0, "jw writes any parsed tree");
	ret = json_parse(&again, b.p, b.len, &big, &e);
	check(ret == 0, "jw output parses");
	check(same_tree(doc->root, again.root, 0), "parse, write, parse gives another tree");
	json_free(&again);
	buf_free(&b);
}

static void check_raw_string(const uint8_t *data, size_t size)
{
	struct buf b = BUF_INIT(1 << 20);
	struct json_doc d;
	struct kerr e = {0};
	struct jw w;
	int ret;

	jw_init(&w, &b);
	jw_strn(&w, (const char *)data, size);
	check(jw_finish(&w) == 0, "jw_strn takes any bytes");
	ret = json_parse(&d, b.p, b.len, &(struct json_limits){1 << 20, 1, 1, 1 << 20}, &e);
	check(ret == 0 || memchr(data, 0, size), "jw_strn output parses unless it held a NUL");
	if (!ret) {
		check(d.root->type == JSON_STRING && d.root->u.str.len <= 3 * size, "one string back");
		check(!utf8_valid(data, size) ||
				(d.root->u.str.len == size && !memcmp(d.root->u.str.s, data, size)),
			"valid UTF-8 comes back unchanged");
		check(utf8_valid((const uint8_t *)d.root->u.str.s, d.root->u.str.len), "output is UTF-8");
		json_free(&d);
	}
	buf_free(&b);
}

/* Tighter limits only ever turn a success into -E2BIG, never the reverse. */
static void check_tiny_limits(const uint8_t *data, size_t size, int ret)
{
	static const struct json_limits tiny = {
		.max_bytes = 256,
		.max_depth = 3,
		.max_values = 12,
		.max_string = 6,
	};
	struct json_doc doc;
	struct kerr e = {0};
	int r = json_parse(&doc, data, size, &tiny, &e);

	check(r != 0 || ret == 0, "a tiny-limit success is a success");
	check(ret != 0 || r == 0 || r == -E2BIG, "only a limit refuses what parsed");
	check(r == 0 || (e.code == r && !strncmp(e.msg, "offset ", 7)), "tiny-limit error message");
	json_free(&doc);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct json_doc doc;
	struct kerr e = {0};
	int ret;

	ret = json_parse(&doc, data, size, &lim, &e);
	if (ret) {
		check(doc.root == NULL && doc.arena == NULL, "failure leaves doc empty");
		check(ret == -EINVAL || ret == -E2BIG, "error code");
		check(e.code == ret && !strncmp(e.msg, "offset ", 7), "error message names an offset");
	} else {
		struct facts f = {0, 1};
		walk(doc.root, &f, size ? size : 1);
		check_canonical(&doc, &f);
		check_writer(&doc);
		json_free(&doc);
	}
	check_tiny_limits(data, size, ret);
	check_raw_string(data, size);
	return 0;
}
