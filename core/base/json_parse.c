/* json_parse.c — the strict RFC 8259 parser (json_parse, json_get), and the two helpers the
 * canonical and --json writers share with it (json_impl.h): the JSON-pointer error locator and
 * the UTF-8 sequence check.
 *
 * The parser never recurses. It keeps an explicit stack of the containers that are open (at
 * most max_depth) and one "pending" vector with the children of all of them: a container's
 * children sit at the top of that vector until its closing bracket, when they are copied into
 * the document's arena and popped. An object's keys are then sorted to find duplicates
 * (O(n log n), whatever the input). Input bytes are walked with a (p, end) cursor and are
 * never assumed NUL-terminated; every length is checked against end before it is read.
 *
 * Memory: every value costs one struct json plus one slot in its parent (pointer or member);
 * strings and number texts are at most as long as their input. Both are bounded by the
 * limits (max_values, max_bytes), and a limit is an error, never a cut.
 *
 * Errors read "offset N (at POINTER): why", POINTER per RFC 6901 ("root" for the document
 * itself); control characters in keys are shown as \u00XX so a message stays one clean line.
 */
#include "base/json.h"
#include "base/json_impl.h"
#include "base/buf.h"
#include "base/utf8.h"
#include "base/err.h"

#include <errno.h>
#include <stdalign.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const struct json_limits json_default_limits = {
	.max_bytes = 16u << 20,
	.max_depth = 64,
	.max_values = 1000000,
	.max_string = 8u << 20,
};

/* ---- arena --------------------------------------------------------------------------------- */

struct chunk {
	struct chunk *next;
	size_t cap, used;
	max_align_t data[];
};

struct arena {
	struct chunk *head; /* small allocations come from here */
	size_t next_cap;    /* size of the next chunk */
};

enum { ARENA_FIRST = 4096, ARENA_MAX = 1 << 20 };

static struct chunk *chunk_new(size_t cap)
{
	struct chunk *c;

	if (cap > SIZE_MAX - sizeof(*c))
		return NULL;
	c = malloc(sizeof(*c) + cap);
	if (!c)
		return NULL;
	c->next = NULL;
	c->cap = cap;
	c->used = 0;
	return c;
}

static void arena_free(struct arena *a, bool wipe)
{
	if (!a)
		return;
	for (struct chunk *c = a->head, *next; c; c = next) {
		next = c->next;
		if (wipe)
			explicit_bzero(c, sizeof(*c) + c->cap);
		free(c);
	}
	free(a);
}

/* align is a power of two no larger than alignof(max_align_t). */
static void *arena_alloc(struct arena *a, size_t n, size_t align)
{
	struct chunk *c = a->head;

	if (c) {
		size_t off = (c->used + align - 1) & ~(align - 1);
		if (off <= c->cap && n <= c->cap - off) {
			c->used = off + n;
			return (unsigned char *)c->data + off;
		}
	}
	if (n > a->next_cap / 4) { /* a big block gets a chunk of its own, behind the head */
		struct chunk *big = chunk_new(n);
		if (!big)
			return NULL;
		big->used = n;
		if (c) {
			big->next = c->next;
			c->next = big;
		} else {
			a->head = big;
		}
		return big->data;
	}
	c = chunk_new(a->next_cap);
	if (!c)
		return NULL;
	c->next = a->head;
	a->head = c;
	if (a->next_cap < ARENA_MAX)
		a->next_cap *= 2;
	c->used = n;
	return c->data;
}

/* Give back the tail of the latest allocation p[0..old) when only p[0..keep) is used. */
static void arena_trim(struct arena *a, void *p, size_t old, size_t keep)
{
	struct chunk *c = a->head;

	if (c && (unsigned char *)p + old == (unsigned char *)c->data + c->used)
		c->used -= old - keep;
}

static void *arena_array(struct arena *a, size_t n, size_t size, size_t align)
{
	if (size && n > SIZE_MAX / size)
		return NULL;
	return arena_alloc(a, n * size, align);
}

/* ---- messages ------------------------------------------------------------------------------ */

/* A bounded string for messages: once full, it ends in "..." instead of overflowing. */
struct sink {
	char *p;
	size_t cap, len; /* cap >= 4 */
	int cut;
};

static void sink_putc(struct sink *s, char c)
{
	if (s->len + 4 < s->cap)
		s->p[s->len++] = c;
	else
		s->cut = 1;
}

static void sink_puts(struct sink *s, const char *t)
{
	while (*t)
		sink_putc(s, *t++);
}

static void sink_end(struct sink *s)
{
	if (s->cut) {
		memcpy(s->p + s->len, "...", 3);
		s->len += 3;
	}
	s->p[s->len] = 0;
}

/* Key bytes for a message: control characters (C0, DEL, C1) as \u00XX; in a pointer '~' and
 * '/' as ~0 and ~1 (RFC 6901), in a quoted key '"' and '\' with a backslash. */
static void sink_key(struct sink *s, const char *k, size_t n, int pointer)
{
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)k[i];
		unsigned cp = c;

		if (c == 0xc2 && i + 1 < n && (unsigned char)k[i + 1] < 0xa0 &&
			(unsigned char)k[i + 1] >= 0x80)
			cp = (unsigned char)k[++i]; /* a C1 control, U+0080..U+009F */
		if (cp < 0x20 || (cp >= 0x7f && cp < 0xa0)) {
			char esc[7] = "\\u00";
			hex_encode(esc + 4, &(uint8_t){(uint8_t)cp}, 1);
			sink_puts(s, esc);
		} else if (pointer && c == '~') {
			sink_puts(s, "~0");
		} else if (pointer && c == '/') {
			sink_puts(s, "~1");
		} else if (!pointer && (c == '"' || c == '\\')) {
			sink_putc(s, '\\');
			sink_putc(s, (char)c);
		} else {
			sink_putc(s, (char)c);
		}
	}
}

/* The JSON pointer of the place frames[0..n) describe. */
static void fmt_pointer(char *out, size_t cap, const struct json_frame *fr, size_t n)
{
	struct sink s = {out, cap, 0, 0};

	for (size_t i = 0; i < n; i++) {
		if (!fr[i].in_child)
			break;
		sink_putc(&s, '/');
		if (fr[i].node->type == JSON_ARRAY) {
			char num[24];
			snprintf(num, sizeof(num), "%zu", fr[i].idx);
			sink_puts(&s, num);
		} else {
			sink_key(&s, fr[i].key, fr[i].key_len, 1);
		}
	}
	if (!s.len)
		sink_puts(&s, "root");
	sink_end(&s);
}

/* See json_impl.h. */
int json_where_err(struct kerr *e, int code, size_t off, const struct json_frame *fr, size_t n,
	const char *why)
{
	char ptr[160];

	fmt_pointer(ptr, sizeof(ptr), fr, n);
	return kerr_set(e, code, "offset %zu (at %s): %s", off, ptr, why);
}

/* ---- parser -------------------------------------------------------------------------------- */

/* A child of an open container: an array element (key NULL) or an object member. */
struct pend {
	const char *key;
	size_t key_len;
	size_t key_off;
	struct json *val;
};

struct parser {
	const unsigned char *base, *p, *end;
	const struct json_limits *lim;
	struct kerr *e;
	struct arena *arena;
	struct json_frame *fr;
	size_t nfr, capfr;
	struct pend *pend;
	size_t npend, cappend;
	size_t nvalues;
	struct json *root;
};

static size_t off_of(const struct parser *ps, const unsigned char *p) { return (size_t)(p - ps->base); }

static int perr(struct parser *ps, int code, const unsigned char *at, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static int perr(struct parser *ps, int code, const unsigned char *at, const char *fmt, ...)
{
	char why[240];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	return json_where_err(ps->e, code, off_of(ps, at), ps->fr, ps->nfr, why);
}

static int nomem(struct parser *ps) { return perr(ps, -ENOMEM, ps->p, "out of memory"); }

/* "expected WHAT, found X" at the cursor. */
static int unexpected(struct parser *ps, const char *what)
{
	const unsigned char *p = ps->p;

	if (p == ps->end)
		return perr(ps, -EINVAL, p, "expected %s, found end of input", what);
	if (*p > 0x20 && *p < 0x7f)
		return perr(ps, -EINVAL, p, "expected %s, found '%c'", what, *p);
	return perr(ps, -EINVAL, p, "expected %s, found byte 0x%02x", what, *p);
}

static void skip_ws(struct parser *ps)
{
	while (ps->p < ps->end &&
		(*ps->p == ' ' || *ps->p == '\t' || *ps->p == '\n' || *ps->p == '\r'))
		ps->p++;
}

static int is_digit(const struct parser *ps, const unsigned char *p)
{
	return p < ps->end && *p >= '0' && *p <= '9';
}

static int hex4(const unsigned char *p, unsigned long *v)
{
	*v = 0;
	for (int i = 0; i < 4; i++) {
		int d = hex_digit(p[i]);
		if (d < 0)
			return 0;
		*v = *v << 4 | (unsigned)d;
	}
	return 1;
}

/* The escape at *pp (a backslash) before the closing quote q: decoded into out, which has room
 * for as many bytes as the escape has. */
static int unescape(struct parser *ps, const unsigned char **pp, const unsigned char *q,
	unsigned char *out, size_t *n)
{
	static const char simple[] = "\"\"\\\\//b\bf\fn\nr\rt\t";
	const unsigned char *s = *pp;
	unsigned long u, lo;

	if (q - s < 2)
		return perr(ps, -EINVAL, s, "truncated escape");
	if (s[1] != 'u') {
		for (size_t i = 0; i + 1 < sizeof(simple); i += 2) {
			if (s[1] == (unsigned char)simple[i]) {
				out[0] = (unsigned char)simple[i + 1];
				*n = 1;
				*pp = s + 2;
				return 0;
			}
		}
		if (s[1] > 0x20 && s[1] < 0x7f)
			return perr(ps, -EINVAL, s, "invalid escape \\%c", s[1]);
		return perr(ps, -EINVAL, s, "invalid escape");
	}
	if (q - s < 6 || !hex4(s + 2, &u))
		return perr(ps, -EINVAL, s, "invalid \\u escape: needs 4 hex digits");
	if (u == 0)
		return perr(ps, -EINVAL, s, "\\u0000 is not allowed");
	if (u >= 0xdc00 && u <= 0xdfff)
		return perr(ps, -EINVAL, s, "lone low surrogate \\u%04lx", u);
	if (u >= 0xd800 && u <= 0xdbff) {
		if (q - s < 12 || s[6] != '\\' || s[7] != 'u' || !hex4(s + 8, &lo) ||
			lo < 0xdc00 || lo > 0xdfff)
			return perr(ps, -EINVAL, s, "lone high surrogate \\u%04lx", u);
		u = 0x10000 + ((u - 0xd800) << 10) + (lo - 0xdc00);
		*pp = s + 12;
	} else {
		*pp = s + 6;
	}
	*n = utf8_put(out, u);
	return 0;
}

/* The string whose opening quote is at the cursor, decoded into the arena. */
static int parse_string(struct parser *ps, const char **str, size_t *len)
{
	const unsigned char *open = ps->p, *p = open + 1, *q;
	unsigned char *out;
	size_t n = 0, room;

	for (q = p;; q++) { /* find the closing quote */
		if (q == ps->end)
			return perr(ps, -EINVAL, open, "unterminated string");
		if (*q == '"')
			break;
		if (*q < 0x20)
			return perr(ps, -EINVAL, q, "control character 0x%02x in string", *q);
		if (*q == '\\' && ps->end - q > 1)
			q++;
	}
	room = (size_t)(q - p) + 1;
	out = arena_alloc(ps->arena, room, 1);
	if (!out)
		return nomem(ps);
	while (p < q) {
		size_t k = 0;
		int ok;

		if (*p == '\\') {
			int ret = unescape(ps, &p, q, out + n, &k);
			if (ret)
				return ret;
		} else {
			k = utf8_seq(p, q, &ok);
			if (!ok)
				return perr(ps, -EINVAL, p, "invalid UTF-8 in string");
			memcpy(out + n, p, k);
			p += k;
		}
		n += k;
		if (n > ps->lim->max_string)
			return perr(ps, -E2BIG, open, "string longer than %zu bytes", ps->lim->max_string);
	}
	out[n] = 0;
	arena_trim(ps->arena, out, room, n + 1);
	ps->p = q + 1;
	*str = (const char *)out;
	*len = n;
	return 0;
}

/* Integer text (optional '-', digits) to int64, if it fits. */
static int to_int64(const unsigned char *p, const unsigned char *end, int64_t *v)
{
	int neg = *p == '-';
	uint64_t mag = 0, max = neg ? (uint64_t)INT64_MAX + 1 : (uint64_t)INT64_MAX;

	for (p += neg; p < end; p++) {
		unsigned d = (unsigned)(*p - '0');
		if (mag > (max - d) / 10)
			return 0;
		mag = mag * 10 + d;
	}
	if (!neg)
		*v = (int64_t)mag;
	else if (mag == (uint64_t)INT64_MAX + 1)
		*v = INT64_MIN;
	else
		*v = -(int64_t)mag;
	return 1;
}

static int parse_number(struct parser *ps, struct json *v)
{
	const unsigned char *s = ps->p, *p = s;
	int integer = 1;
	char *text;
	size_t len;

	if (*p == '-')
		p++;
	if (!is_digit(ps, p))
		return perr(ps, -EINVAL, p, "expected a digit in number");
	if (*p == '0') {
		p++;
		if (is_digit(ps, p))
			return perr(ps, -EINVAL, p, "leading zero in number");
	}
	while (is_digit(ps, p))
		p++;
	if (p < ps->end && *p == '.') {
		integer = 0;
		if (!is_digit(ps, ++p))
			return perr(ps, -EINVAL, p, "expected a digit after '.'");
		while (is_digit(ps, p))
			p++;
	}
	if (p < ps->end && (*p == 'e' || *p == 'E')) {
		integer = 0;
		p++;
		if (p < ps->end && (*p == '+' || *p == '-'))
			p++;
		if (!is_digit(ps, p))
			return perr(ps, -EINVAL, p, "expected a digit in exponent");
		while (is_digit(ps, p))
			p++;
	}
	len = (size_t)(p - s);
	text = arena_alloc(ps->arena, len + 1, 1);
	if (!text)
		return nomem(ps);
	memcpy(text, s, len);
	text[len] = 0;
	v->type = JSON_NUMBER;
	v->u.num.text = text;
	v->u.num.len = len;
	v->u.num.is_int = integer && to_int64(s, p, &v->u.num.i);
	if (!v->u.num.is_int)
		v->u.num.i = 0;
	ps->p = p;
	return 0;
}

static int parse_literal(struct parser *ps, struct json *v)
{
	static const struct { const char *word; size_t len; enum json_type type; bool b; } lits[] = {
		{"true", 4, JSON_BOOL, true},
		{"false", 5, JSON_BOOL, false},
		{"null", 4, JSON_NULL, false},
	};

	for (size_t i = 0; i < sizeof(lits) / sizeof(lits[0]); i++) {
		if (*ps->p != (unsigned char)lits[i].word[0])
			continue;
		if ((size_t)(ps->end - ps->p) < lits[i].len || memcmp(ps->p, lits[i].word, lits[i].len))
			return perr(ps, -EINVAL, ps->p, "invalid literal, expected %s", lits[i].word);
		v->type = lits[i].type;
		v->u.b = lits[i].b;
		ps->p += lits[i].len;
		return 0;
	}
	return unexpected(ps, "a value");
}

static int push_pend(struct parser *ps, const char *key, size_t key_len, size_t key_off,
	struct json *val)
{
	if (ps->npend == ps->cappend) {
		size_t cap = ps->cappend ? ps->cappend * 2 : 64;
		struct pend *p;

		if (cap > SIZE_MAX / sizeof(*p))
			return nomem(ps);
		p = realloc(ps->pend, cap * sizeof(*p));
		if (!p)
			return nomem(ps);
		ps->pend = p;
		ps->cappend = cap;
	}
	ps->pend[ps->npend++] = (struct pend){key, key_len, key_off, val};
	return 0;
}

/* Hang a new value on the open container (or make it the root). */
static int attach(struct parser *ps, struct json *v)
{
	if (!ps->nfr) {
		ps->root = v;
		return 0;
	}
	if (ps->fr[ps->nfr - 1].node->type == JSON_ARRAY)
		return push_pend(ps, NULL, 0, 0, v);
	ps->pend[ps->npend - 1].val = v; /* the member whose key was just read */
	return 0;
}

static int push_frame(struct parser *ps, struct json *v)
{
	if (ps->nfr == ps->capfr) {
		size_t cap = ps->capfr ? ps->capfr * 2 : 16;
		struct json_frame *f;

		if (cap > SIZE_MAX / sizeof(*f))
			return nomem(ps);
		f = realloc(ps->fr, cap * sizeof(*f));
		if (!f)
			return nomem(ps);
		ps->fr = f;
		ps->capfr = cap;
	}
	ps->fr[ps->nfr++] = (struct json_frame){.node = v, .build = v, .start = ps->npend, .fresh = 1};
	return 0;
}

/* One value at the cursor: a scalar is read whole, a container is opened. */
static int parse_value(struct parser *ps)
{
	unsigned char c;
	struct json *v;
	int ret;

	if (ps->p == ps->end)
		return unexpected(ps, "a value");
	if (ps->nvalues >= ps->lim->max_values)
		return perr(ps, -E2BIG, ps->p, "more than %zu values", ps->lim->max_values);
	ps->nvalues++;
	v = arena_alloc(ps->arena, sizeof(*v), alignof(struct json));
	if (!v)
		return nomem(ps);
	memset(v, 0, sizeof(*v));
	v->off = off_of(ps, ps->p);
	c = *ps->p;
	if (c == '[' || c == '{') {
		if (ps->nfr >= ps->lim->max_depth)
			return perr(ps, -E2BIG, ps->p, "nested deeper than %u", ps->lim->max_depth);
		v->type = c == '[' ? JSON_ARRAY : JSON_OBJECT;
		ps->p++;
		ret = attach(ps, v);
		return ret ? ret : push_frame(ps, v);
	}
	if (c == '"') {
		v->type = JSON_STRING;
		ret = parse_string(ps, &v->u.str.s, &v->u.str.len);
	} else if (c == '-' || (c >= '0' && c <= '9')) {
		ret = parse_number(ps, v);
	} else {
		ret = parse_literal(ps, v);
	}
	return ret ? ret : attach(ps, v);
}

static int cmp_pend(const void *a, const void *b)
{
	const struct pend *x = a, *y = b;
	size_t n = x->key_len < y->key_len ? x->key_len : y->key_len;
	int c = memcmp(x->key, y->key, n);

	if (c)
		return c;
	if (x->key_len != y->key_len)
		return x->key_len < y->key_len ? -1 : 1;
	return x->key_off < y->key_off ? -1 : x->key_off > y->key_off;
}

/* Sort the members p[0..n) and report the first key (in input order) seen twice. */
static int check_dups(struct parser *ps, struct pend *p, size_t n)
{
	const struct pend *dup = NULL;
	char why[200];
	struct sink s = {why, sizeof(why), 0, 0};

	qsort(p, n, sizeof(*p), cmp_pend);
	for (size_t i = 1; i < n; i++) {
		if (p[i].key_len != p[i - 1].key_len || memcmp(p[i].key, p[i - 1].key, p[i].key_len))
			continue;
		if (!dup || p[i].key_off < dup->key_off)
			dup = &p[i];
		while (i + 1 < n && p[i + 1].key_len == p[i].key_len &&
			!memcmp(p[i + 1].key, p[i].key, p[i].key_len))
			i++; /* only the second of a run is its first duplicate */
	}
	if (!dup)
		return 0;
	sink_puts(&s, "duplicate key \"");
	sink_key(&s, dup->key, dup->key_len > 80 ? 80 : dup->key_len, 0);
	sink_puts(&s, dup->key_len > 80 ? "...\"" : "\"");
	sink_end(&s);
	return json_where_err(ps->e, -EINVAL, dup->key_off, ps->fr, ps->nfr, why);
}

/* The open container's closing bracket was read: move its children into the arena. */
static int close_container(struct parser *ps)
{
	struct json_frame *f = &ps->fr[ps->nfr - 1];
	struct json *v = f->build;
	size_t n = ps->npend - f->start;
	struct pend *p = n ? ps->pend + f->start : NULL; /* pend is NULL until a child came */
	int ret;

	if (v->type == JSON_ARRAY && n) {
		struct json **a = arena_array(ps->arena, n, sizeof(*a), alignof(struct json *));
		if (!a)
			return nomem(ps);
		for (size_t i = 0; i < n; i++)
			a[i] = p[i].val;
		v->u.arr.v = a;
		v->u.arr.n = n;
	} else if (n) {
		struct json_member *m = arena_array(ps->arena, n, sizeof(*m), alignof(struct json_member));
		if (!m)
			return nomem(ps);
		for (size_t i = 0; i < n; i++)
			m[i] = (struct json_member){p[i].key, p[i].key_len, p[i].val};
		v->u.obj.m = m;
		v->u.obj.n = n;
		ret = check_dups(ps, p, n);
		if (ret)
			return ret;
	}
	ps->npend = f->start;
	ps->nfr--;
	return 0;
}

/* A member's key and colon; the cursor is at the key. */
static int parse_key(struct parser *ps, struct json_frame *f)
{
	const unsigned char *at = ps->p;
	const char *key;
	size_t len;
	int ret;

	if (at == ps->end || *at != '"')
		return unexpected(ps, "a string key");
	ret = parse_string(ps, &key, &len);
	if (ret)
		return ret;
	f->key = key;
	f->key_len = len;
	f->in_child = 1;
	ret = push_pend(ps, key, len, off_of(ps, at), NULL);
	if (ret)
		return ret;
	skip_ws(ps);
	if (ps->p == ps->end || *ps->p != ':')
		return unexpected(ps, "':' after key");
	ps->p++;
	return 0;
}

/* After a value or an opening bracket: read separators, closing brackets and keys until
 * another value is due (*more = 1) or the document's value is complete (*more = 0). */
static int parse_next(struct parser *ps, int *more)
{
	int ret;

	*more = 1;
	while (ps->nfr) {
		struct json_frame *f = &ps->fr[ps->nfr - 1];
		int array = f->node->type == JSON_ARRAY;
		unsigned char close = array ? ']' : '}';

		skip_ws(ps);
		if (f->fresh) {
			f->fresh = 0;
			if (ps->p < ps->end && *ps->p == close) {
				ps->p++;
				ret = close_container(ps);
				if (ret)
					return ret;
				continue;
			}
		} else {
			f->in_child = 0;
			if (ps->p == ps->end || (*ps->p != ',' && *ps->p != close))
				return unexpected(ps, array ? "',' or ']'" : "',' or '}'");
			if (*ps->p++ == close) {
				ret = close_container(ps);
				if (ret)
					return ret;
				continue;
			}
			skip_ws(ps);
			if (ps->p < ps->end && *ps->p == close)
				return perr(ps, -EINVAL, ps->p, "trailing comma");
			f->idx++;
		}
		if (!array)
			return parse_key(ps, f);
		f->in_child = 1;
		return 0;
	}
	*more = 0;
	return 0;
}

static int parse_doc(struct parser *ps)
{
	int more = 1, ret;

	if (ps->end - ps->p >= 3 && !memcmp(ps->p, "\xef\xbb\xbf", 3))
		return perr(ps, -EINVAL, ps->p, "byte order mark is not allowed");
	while (more) {
		skip_ws(ps);
		ret = parse_value(ps);
		if (ret)
			return ret;
		ret = parse_next(ps, &more);
		if (ret)
			return ret;
	}
	skip_ws(ps);
	if (ps->p != ps->end)
		return unexpected(ps, "end of input");
	return 0;
}

int json_parse(struct json_doc *doc, const void *in, size_t len, const struct json_limits *lim,
	struct kerr *e)
{
	static const unsigned char empty[1];
	struct parser ps = {0};
	int ret;

	doc->root = NULL;
	doc->arena = NULL;
	if (!lim)
		lim = &json_default_limits;
	if (len > lim->max_bytes)
		return kerr_set(e, -E2BIG, "offset %zu (at root): input larger than %zu bytes",
			lim->max_bytes, lim->max_bytes);
	if (!in && len)
		return kerr_set(e, -EINVAL, "offset 0 (at root): no input");
	ps.base = ps.p = in ? in : empty;
	ps.end = ps.base + len;
	ps.lim = lim;
	ps.e = e;
	ps.arena = calloc(1, sizeof(*ps.arena));
	if (!ps.arena)
		return kerr_set(e, -ENOMEM, "offset 0 (at root): out of memory");
	ps.arena->next_cap = ARENA_FIRST;
	ret = parse_doc(&ps);
	free(ps.fr);
	free(ps.pend);
	if (ret) {
		arena_free(ps.arena, true); /* a failed parse may have decoded secrets already */
		return ret;
	}
	doc->root = ps.root;
	doc->arena = ps.arena;
	return 0;
}

static void doc_free(struct json_doc *doc, bool wipe)
{
	if (!doc)
		return;
	arena_free(doc->arena, wipe);
	doc->arena = NULL;
	doc->root = NULL;
}

void json_free(struct json_doc *doc) { doc_free(doc, false); }

void json_free_secret(struct json_doc *doc) { doc_free(doc, true); }

const struct json *json_get(const struct json *v, const char *key)
{
	size_t len;

	if (!v || v->type != JSON_OBJECT || !key)
		return NULL;
	len = strlen(key);
	for (size_t i = 0; i < v->u.obj.n; i++) {
		const struct json_member *m = &v->u.obj.m[i];
		if (m->key_len == len && !memcmp(m->key, key, len))
			return m->val;
	}
	return NULL;
}

const char *json_type_name(enum json_type t)
{
	switch (t) {
	case JSON_NULL:
		return "null";
	case JSON_BOOL:
		return "boolean";
	case JSON_NUMBER:
		return "number";
	case JSON_STRING:
		return "string";
	case JSON_ARRAY:
		return "array";
	case JSON_OBJECT:
		return "object";
	}
	return "unknown";
}
