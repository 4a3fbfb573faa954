/* json_test.c — the strict parser, canonical JSON and the --json writer.
 *
 * tests/unit/json/ holds one input per file: y_* must parse, n_* must be refused, and i_*
 * (what RFC 8259 leaves to the implementation) is pinned by its name: *.accept.json or
 * *.reject.json. Every input is parsed from an exact-size heap copy, so a read past the end
 * is caught by ASan.
 */
#include "t.h"
#include "base/buf.h"
#include "base/err.h"
#include "base/json.h"

#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* Parse in[0..len) from a copy with nothing after it. */
static int parse_n(struct json_doc *d, const void *in, size_t len, const struct json_limits *lim,
	struct kerr *e)
{
	void *copy = malloc(len ? len : 1);
	int ret;

	if (!copy)
		abort();
	memcpy(copy, in, len);
	ret = json_parse(d, copy, len, lim, e);
	free(copy);
	return ret;
}

static int parse(struct json_doc *d, const char *s, struct kerr *e)
{
	return parse_n(d, s, strlen(s), NULL, e);
}

static char *read_file(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *p = NULL;
	size_t cap = 0, n = 0, r;

	if (!f)
		return NULL;
	do {
		if (n == cap) {
			cap = cap ? cap * 2 : 4096;
			p = realloc(p, cap);
			if (!p)
				abort();
		}
		r = fread(p + n, 1, cap - n, f);
		n += r;
	} while (r);
	fclose(f);
	*len = n;
	return p;
}

static int ends_with(const char *s, const char *suffix)
{
	size_t a = strlen(s), b = strlen(suffix);
	return a >= b && !strcmp(s + a - b, suffix);
}

T_TEST(json_suite_files)
{
	const char *top = getenv("KEEL_SRC") ? getenv("KEEL_SRC") : ".";
	char dir[4096];
	struct dirent **ents;
	int n, files = 0;

	snprintf(dir, sizeof(dir), "%s/tests/unit/json", top);
	n = scandir(dir, &ents, NULL, alphasort);
	t_check(n > 0, "cannot read %s (set KEEL_SRC to the repository top)", dir);
	for (int i = 0; i < n; i++) {
		const char *name = ents[i]->d_name;
		char path[4352];
		int want, got;
		size_t len = 0;
		char *data;
		struct json_doc d;
		struct kerr e = {0};

		if (name[0] == '.') {
			free(ents[i]);
			continue;
		}
		files++;
		snprintf(path, sizeof(path), "%s/%s", dir, name);
		if (!strncmp(name, "y_", 2))
			want = 1;
		else if (!strncmp(name, "n_", 2))
			want = 0;
		else if (!strncmp(name, "i_", 2) && ends_with(name, ".accept.json"))
			want = 1;
		else if (!strncmp(name, "i_", 2) && ends_with(name, ".reject.json"))
			want = 0;
		else
			want = -1;
		data = read_file(path, &len);
		t_check(data && want >= 0, "%s: unreadable, or its name pins no decision", name);
		if (data && want >= 0) {
			got = parse_n(&d, data, len, NULL, &e) == 0;
			t_check(got == want, "%s: %s (%s)", name, got ? "accepted" : "refused",
				got ? "no error" : e.msg);
			if (got)
				json_free(&d);
		}
		free(data);
		free(ents[i]);
	}
	free(n > 0 ? ents : NULL);
	t_check(files >= 150, "only %d case files in %s", files, dir);
}

T_TEST(json_numbers)
{
	static const struct {
		const char *in;
		int ok;
		int is_int;
		int64_t i;
	} cases[] = {
		{"0", 1, 1, 0},
		{"-0", 1, 1, 0},
		{"7", 1, 1, 7},
		{"-42", 1, 1, -42},
		{"9223372036854775807", 1, 1, INT64_MAX},
		{"-9223372036854775808", 1, 1, INT64_MIN},
		{"9223372036854775808", 1, 0, 0},   /* valid JSON, too big for int64 */
		{"-9223372036854775809", 1, 0, 0},
		{"18446744073709551616", 1, 0, 0},
		{"99999999999999999999999999999", 1, 0, 0},
		{"1.0", 1, 0, 0},                   /* a fraction is never an integer */
		{"1e2", 1, 0, 0},
		{"1E+2", 1, 0, 0},
		{"1e400", 1, 0, 0},
		{"-1e-400", 1, 0, 0},
		{"0.5", 1, 0, 0},
		{"01", 0, 0, 0},
		{"-", 0, 0, 0},
		{"+1", 0, 0, 0},
		{"1.", 0, 0, 0},
		{".1", 0, 0, 0},
		{"1e", 0, 0, 0},
		{"1e+", 0, 0, 0},
		{"0x10", 0, 0, 0},
		{"1_000", 0, 0, 0},
		{"Infinity", 0, 0, 0},
	};

	for (size_t i = 0; i < T_LEN(cases); i++) {
		struct json_doc d;
		struct kerr e = {0};
		int r = parse(&d, cases[i].in, &e);

		if (!cases[i].ok) {
			t_check(r == -EINVAL && d.root == NULL, "%s: refused (%d)", cases[i].in, r);
			continue;
		}
		t_check(r == 0 && d.root && d.root->type == JSON_NUMBER, "%s: parses (%s)", cases[i].in, e.msg);
		if (r)
			continue;
		t_check(!strcmp(d.root->u.num.text, cases[i].in) && d.root->u.num.len == strlen(cases[i].in),
			"%s: raw text kept", cases[i].in);
		t_check(d.root->u.num.is_int == cases[i].is_int && (!cases[i].is_int || d.root->u.num.i == cases[i].i),
			"%s: is_int %d i %" PRId64, cases[i].in, d.root->u.num.is_int, d.root->u.num.i);
		json_free(&d);
	}
}

T_TEST(json_strings)
{
	static const struct {
		const char *in;
		const char *out; /* NULL: refused */
		size_t len;
	} cases[] = {
		{"\"\"", "", 0},
		{"\"abc\"", "abc", 3},
		{"\"\\\"\\\\\\/\\b\\f\\n\\r\\t\"", "\"\\/\b\f\n\r\t", 8},
		{"\"\\u0041\\u00e9\\u20AC\"", "A\xc3\xa9\xe2\x82\xac", 6},
		{"\"\\ud83d\\ude00\"", "\xf0\x9f\x98\x80", 4},
		{"\"\\uDBFF\\uDFFF\"", "\xf4\x8f\xbf\xbf", 4},
		{"\"\\u0001\"", "\x01", 1},             /* an escaped control character is fine */
		{"\"\x7f\"", "\x7f", 1},                /* DEL is not a control character in JSON */
		{"\"\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80\"", "\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80", 9},
		{"\"\xf4\x8f\xbf\xbf\"", "\xf4\x8f\xbf\xbf", 4},
		{"\"\\u0000\"", NULL, 0},
		{"\"\\ud800\"", NULL, 0},
		{"\"\\udc00\"", NULL, 0},
		{"\"\\udc00\\ud800\"", NULL, 0},
		{"\"\\ud800\\u0041\"", NULL, 0},
		{"\"\xed\xa0\x80\"", NULL, 0},          /* a surrogate encoded in UTF-8 */
		{"\"\xf4\x90\x80\x80\"", NULL, 0},      /* above U+10FFFF */
		{"\"\xc0\xaf\"", NULL, 0},              /* overlong */
		{"\"\xe0\x80\xaf\"", NULL, 0},
		{"\"\xf0\x80\x80\xaf\"", NULL, 0},
		{"\"\xc3\"", NULL, 0},                  /* truncated */
		{"\"\x80\"", NULL, 0},
		{"\"a\nb\"", NULL, 0},
		{"\"a\tb\"", NULL, 0},
		{"\"\\x41\"", NULL, 0},
		{"\"\\u12\"", NULL, 0},
	};

	for (size_t i = 0; i < T_LEN(cases); i++) {
		struct json_doc d;
		struct kerr e = {0};
		int r = parse(&d, cases[i].in, &e);

		if (!cases[i].out) {
			t_check(r == -EINVAL && !d.root, "case %zu: refused (%d)", i, r);
			continue;
		}
		t_check(r == 0 && d.root->type == JSON_STRING && d.root->u.str.len == cases[i].len &&
				!memcmp(d.root->u.str.s, cases[i].out, cases[i].len) &&
				d.root->u.str.s[cases[i].len] == 0,
			"case %zu: decoded (%s)", i, e.msg);
		json_free(&d);
	}
	/* a NUL byte in the input is refused, not taken for the end */
	struct json_doc d;
	t_check(parse_n(&d, "\"a\0b\"", 5, NULL, NULL) == -EINVAL, "raw NUL in string refused");
	t_check(parse_n(&d, "[1]\0", 4, NULL, NULL) == -EINVAL, "NUL after the value refused");
	t_check(parse_n(&d, "[1]", 3, NULL, NULL) == 0, "input need not be NUL-terminated");
	json_free(&d);
}

T_TEST(json_tree)
{
	struct json_doc d;
	struct kerr e = {0};
	const char *in = "{\"name\":\"keel\", \"n\": [1, -2, 3.5], \"ok\":true, \"no\":false, \"nil\":null,"
			 "\"o\":{}}";
	int r = parse(&d, in, &e);

	t_check(r == 0 && d.root && d.root->type == JSON_OBJECT && d.root->u.obj.n == 6, "parses (%s)", e.msg);
	if (r)
		return;
	const struct json *v = json_get(d.root, "name");
	t_check(v && v->type == JSON_STRING && !strcmp(v->u.str.s, "keel") && v->off == 8, "name");
	t_check(!strcmp(d.root->u.obj.m[0].key, "name") && !strcmp(d.root->u.obj.m[5].key, "o"),
		"members kept in input order");
	v = json_get(d.root, "n");
	t_check(v && v->type == JSON_ARRAY && v->u.arr.n == 3 && v->u.arr.v[1]->u.num.i == -2 &&
			v->u.arr.v[2]->u.num.is_int == 0 && v->u.arr.v[0]->off == 22,
		"array n");
	t_check(json_get(d.root, "ok")->u.b == true && json_get(d.root, "no")->u.b == false, "booleans");
	t_check(json_get(d.root, "nil")->type == JSON_NULL, "null");
	t_check(json_get(d.root, "o")->type == JSON_OBJECT && json_get(d.root, "o")->u.obj.n == 0, "empty object");
	t_check(json_get(d.root, "missing") == NULL, "missing key");
	t_check(json_get(d.root, "nam") == NULL && json_get(d.root, "names") == NULL, "prefix is not a match");
	t_check(json_get(v, "n") == NULL, "json_get on an array");
	t_check(json_get(NULL, "n") == NULL, "json_get on NULL");
	t_check(!strcmp(json_type_name(JSON_NULL), "null") && !strcmp(json_type_name(JSON_BOOL), "boolean") &&
			!strcmp(json_type_name(JSON_NUMBER), "number") &&
			!strcmp(json_type_name(JSON_STRING), "string") &&
			!strcmp(json_type_name(JSON_ARRAY), "array") &&
			!strcmp(json_type_name(JSON_OBJECT), "object"),
		"type names");
	json_free(&d);
	t_check(d.root == NULL && d.arena == NULL, "json_free clears the doc");
	json_free(&d); /* twice is fine */
	struct json_doc zero = {0};
	json_free(&zero);
	json_free(NULL);

	/* a key that is "a" only once unescaped is the key "a" */
	r = parse(&d, "{\"\\u0061\":1}", &e);
	t_check(r == 0 && json_get(d.root, "a") && json_get(d.root, "a")->u.num.i == 1, "escaped key found");
	json_free(&d);

	r = parse(&d, "garbage", NULL);
	t_check(r == -EINVAL && d.root == NULL && d.arena == NULL, "e may be NULL; failure leaves doc empty");
	t_check(json_parse(&d, NULL, 0, NULL, &e) == -EINVAL, "NULL, 0 is the empty input");
}

T_TEST(json_error_messages)
{
	static const struct {
		const char *in;
		int code;
		const char *msg;
	} cases[] = {
		{"{\"storage\":{\"files\":[{\"path\":\"a\",\"path\":\"b\"}]}}", -EINVAL,
			"offset 33 (at /storage/files/0): duplicate key \"path\""},
		{"{\"a\":1,\"b\":2,\"\\u0061\":3}", -EINVAL, "offset 13 (at root): duplicate key \"a\""},
		{"{\"b\":1,\"a\":2,\"a\":3,\"b\":4}", -EINVAL, "offset 13 (at root): duplicate key \"a\""},
		{"{\"q\\\"\":1,\"q\\\"\":2}", -EINVAL, "offset 9 (at root): duplicate key \"q\\\"\""},
		{"[1,2,]", -EINVAL, "offset 5 (at root): trailing comma"},
		{"{\"a\":1,}", -EINVAL, "offset 7 (at root): trailing comma"},
		{"{\"a\":[1,{\"b\":tru}]}", -EINVAL, "offset 13 (at /a/1/b): invalid literal, expected true"},
		{"{\"a/b~c\":\"\\ud800\"}", -EINVAL, "offset 10 (at /a~1b~0c): lone high surrogate \\ud800"},
		{"[\"\\udc01\"]", -EINVAL, "offset 2 (at /0): lone low surrogate \\udc01"},
		{"[1 2]", -EINVAL, "offset 3 (at root): expected ',' or ']', found '2'"},
		{"", -EINVAL, "offset 0 (at root): expected a value, found end of input"},
		{"  ", -EINVAL, "offset 2 (at root): expected a value, found end of input"},
		{"\"\xff\"", -EINVAL, "offset 1 (at root): invalid UTF-8 in string"},
		{"{\"k\":\"a\nb\"}", -EINVAL, "offset 7 (at /k): control character 0x0a in string"},
		{"01", -EINVAL, "offset 1 (at root): leading zero in number"},
		{"[1.]", -EINVAL, "offset 3 (at /0): expected a digit after '.'"},
		{"-x", -EINVAL, "offset 1 (at root): expected a digit in number"},
		{"1e+", -EINVAL, "offset 3 (at root): expected a digit in exponent"},
		{"\xef\xbb\xbf{}", -EINVAL, "offset 0 (at root): byte order mark is not allowed"},
		{"[1]x", -EINVAL, "offset 3 (at root): expected end of input, found 'x'"},
		{"[1]\x01", -EINVAL, "offset 3 (at root): expected end of input, found byte 0x01"},
		{"{\"a\" 1}", -EINVAL, "offset 5 (at /a): expected ':' after key, found '1'"},
		{"{\"a\":{\"b\":1]}}", -EINVAL, "offset 11 (at /a): expected ',' or '}', found ']'"},
		{"{1:2}", -EINVAL, "offset 1 (at root): expected a string key, found '1'"},
		{"{\"x\":[{},{\"\\u0000\":1}]}", -EINVAL, "offset 11 (at /x/1): \\u0000 is not allowed"},
		{"{\"a\\u001bb\":[x]}", -EINVAL, "offset 13 (at /a\\u001bb/0): expected a value, found 'x'"},
		{"{\"\xc2\x9b\":[x]}", -EINVAL, "offset 7 (at /\\u009b/0): expected a value, found 'x'"},
		{"{\"\":[x]}", -EINVAL, "offset 5 (at //0): expected a value, found 'x'"},
		{"[\"abc", -EINVAL, "offset 1 (at /0): unterminated string"},
		{"[\"\\q\"]", -EINVAL, "offset 2 (at /0): invalid escape \\q"},
		{"\"\\u12\"", -EINVAL, "offset 1 (at root): invalid \\u escape: needs 4 hex digits"},
		{"[[[[//]]]]", -EINVAL, "offset 4 (at /0/0/0/0): expected a value, found '/'"},
	};

	for (size_t i = 0; i < T_LEN(cases); i++) {
		struct json_doc d;
		struct kerr e = {0};
		int r = parse(&d, cases[i].in, &e);

		t_check(r == cases[i].code && e.code == cases[i].code && !strcmp(e.msg, cases[i].msg),
			"case %zu: got %d \"%s\", want \"%s\"", i, r, e.msg, cases[i].msg);
		if (!r)
			json_free(&d);
	}

	/* a long key is cut in the message, which stays one line and keeps its reason */
	struct buf b = BUF_INIT(4096);
	struct json_doc d;
	struct kerr e = {0};
	buf_puts(&b, "{\"");
	for (int i = 0; i < 500; i++)
		buf_putc(&b, 'k');
	buf_puts(&b, "\":[x]}");
	t_check(parse(&d, (char *)b.p, &e) == -EINVAL && strstr(e.msg, "...): expected a value") &&
			!strncmp(e.msg, "offset 505 (at /kkk", 19),
		"long pointer cut: %s", e.msg);
	buf_free(&b);
}

T_TEST(json_limits)
{
	struct json_limits lim = json_default_limits;
	struct json_doc d;
	struct kerr e = {0};
	char *deep = malloc(200002);
	int r;

	t_check(json_default_limits.max_bytes == 16u << 20 && json_default_limits.max_depth == 64 &&
			json_default_limits.max_values == 1000000 && json_default_limits.max_string == 8u << 20,
		"defaults as documented");

	/* depth: 10,000 '[' fail fast at the 65th, naming its offset */
	memset(deep, '[', 10000);
	r = parse_n(&d, deep, 10000, NULL, &e);
	t_check(r == -E2BIG && !strncmp(e.msg, "offset 64 (at /0/0/0", 20) &&
			ends_with(e.msg, "nested deeper than 64"),
		"depth 10000: %d %s", r, e.msg);
	r = parse_n(&d, "[[[{\"a\":1}]]]", 13, &(struct json_limits){1 << 20, 4, 100, 100}, &e);
	t_check(r == 0, "depth exactly at the limit (%s)", e.msg);
	json_free(&d);
	r = parse_n(&d, "[[[{\"a\":[]}]]]", 14, &(struct json_limits){1 << 20, 4, 100, 100}, &e);
	t_check(r == -E2BIG && !strcmp(e.msg, "offset 8 (at /0/0/0/a): nested deeper than 4"),
		"depth one past the limit: %s", e.msg);
	r = parse_n(&d, "[]", 2, &(struct json_limits){1 << 20, 0, 100, 100}, &e);
	t_check(r == -E2BIG, "max_depth 0 allows no container");
	r = parse_n(&d, "1", 1, &(struct json_limits){1 << 20, 0, 100, 100}, &e);
	t_check(r == 0, "max_depth 0 allows a scalar");
	json_free(&d);

	/* no recursion: 100,000 levels parse and canonicalise when the limit says so */
	memset(deep, '[', 100000);
	memset(deep + 100000, ']', 100000);
	lim.max_depth = 100000;
	r = parse_n(&d, deep, 200000, &lim, &e);
	t_check(r == 0, "100000 levels with max_depth 100000 (%s)", e.msg);
	if (!r) {
		struct buf out = BUF_INIT(1 << 20);
		t_check(json_canonical(d.root, &out, &e) == 0 && out.len == 200000 &&
				!memcmp(out.p, deep, 200000),
			"canonical of 100000 levels");
		buf_free(&out);
		json_free(&d);
	}
	free(deep);

	/* size: refused before a byte is read (the buffer really is 3 bytes) */
	r = json_parse(&d, "[1]", (size_t)2u << 30, NULL, &e);
	t_check(r == -E2BIG && !strcmp(e.msg, "offset 16777216 (at root): input larger than 16777216 bytes"),
		"2 GiB claimed: %s", e.msg);
	lim = json_default_limits;
	lim.max_bytes = 3;
	t_check(parse_n(&d, "[1]", 3, &lim, &e) == 0, "exactly max_bytes");
	json_free(&d);
	t_check(parse_n(&d, "[1] ", 4, &lim, &e) == -E2BIG &&
			!strcmp(e.msg, "offset 3 (at root): input larger than 3 bytes"),
		"max_bytes + 1: %s", e.msg);

	/* values: "[1,2,3]" is 4 values, {"a":1} is 2 */
	lim = json_default_limits;
	lim.max_values = 4;
	t_check(parse_n(&d, "[1,2,3]", 7, &lim, &e) == 0, "4 values fit 4");
	json_free(&d);
	lim.max_values = 3;
	r = parse_n(&d, "[1,2,3]", 7, &lim, &e);
	t_check(r == -E2BIG && !strcmp(e.msg, "offset 5 (at /2): more than 3 values"), "4 values > 3: %s", e.msg);
	lim.max_values = 2;
	t_check(parse_n(&d, "{\"a\":1}", 7, &lim, &e) == 0, "a member is 2 values");
	json_free(&d);
	lim.max_values = 1;
	t_check(parse_n(&d, "{\"a\":1}", 7, &lim, &e) == -E2BIG, "a member is more than 1 value");
	lim.max_values = 0;
	t_check(parse_n(&d, "1", 1, &lim, &e) == -E2BIG, "max_values 0");

	/* string length counts decoded bytes, keys included */
	static const struct { const char *in; int ret; } strs[] = {
		{"\"abc\"", 0},
		{"\"abcd\"", -E2BIG},
		{"\"\\u0041\\u0042\\u0043\"", 0},  /* 18 bytes of input, 3 decoded */
		{"\"\\u00e9\\u00e9\"", -E2BIG},     /* 4 decoded */
		{"\"\xf0\x9f\x98\x80\"", -E2BIG},
		{"{\"abc\":\"abc\"}", 0},
		{"{\"abcd\":1}", -E2BIG},
	};
	lim = json_default_limits;
	lim.max_string = 3;
	for (size_t i = 0; i < T_LEN(strs); i++) {
		r = parse_n(&d, strs[i].in, strlen(strs[i].in), &lim, &e);
		t_check(r == strs[i].ret, "max_string case %zu: %d", i, r);
		if (!r)
			json_free(&d);
	}
	r = parse_n(&d, "[\"abcd\"]", 8, &lim, &e);
	t_check(!strcmp(e.msg, "offset 1 (at /0): string longer than 3 bytes"), "max_string message: %s", e.msg);
}

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

T_TEST(json_large_objects)
{
	struct buf b = BUF_INIT(16u << 20);
	struct json_doc d;
	struct kerr e = {0};
	size_t n = 200000, dup_off;
	double t0;
	int r;

	buf_putc(&b, '{');
	for (size_t i = 0; i < n; i++)
		buf_printf(&b, "%s\"k%zu\":%zu", i ? "," : "", (n * 7919 + i * 104729) % 1000003, i);
	buf_putc(&b, '}');
	t0 = now();
	r = parse_n(&d, b.p, b.len, NULL, &e);
	t_check(r == 0 && d.root->u.obj.n == n, "200000 distinct keys (%s)", e.msg);
	t_check(now() - t0 < 10, "200000 keys in %.2f s", now() - t0);
	json_free(&d);

	/* the same again with one key repeated at the end */
	b.len--;
	dup_off = b.len + 1;
	buf_printf(&b, ",\"k%zu\":0}", (n * 7919 + 5 * 104729) % 1000003);
	t0 = now();
	r = parse_n(&d, b.p, b.len, NULL, &e);
	char want[120];
	snprintf(want, sizeof(want), "offset %zu (at root): duplicate key \"k%zu\"", dup_off,
		(n * 7919 + 5 * 104729) % 1000003);
	t_check(r == -EINVAL && !strcmp(e.msg, want), "duplicate among 200001: %s", e.msg);
	t_check(now() - t0 < 10, "duplicate found in %.2f s", now() - t0);

	/* an array of a million values is the default limit, one more is refused */
	buf_reset(&b);
	buf_putc(&b, '[');
	for (size_t i = 0; i < 999999; i++)
		buf_puts(&b, i ? ",0" : "0");
	buf_putc(&b, ']');
	r = parse_n(&d, b.p, b.len, NULL, &e);
	t_check(r == 0 && d.root->u.arr.n == 999999, "999999 elements + the array = 1000000 values (%s)", e.msg);
	json_free(&d);
	b.len--;
	buf_puts(&b, ",0]");
	r = parse_n(&d, b.p, b.len, NULL, &e);
	t_check(r == -E2BIG && !strcmp(e.msg, "offset 1999999 (at /999999): more than 1000000 values"),
		"1000001 values: %s", e.msg);
	buf_free(&b);
}

T_TEST(json_canonical_vectors)
{
	static const struct {
		const char *in;
		const char *out; /* NULL: refused with msg */
		const char *msg;
	} cases[] = {
		{"{\"b\":1,\"a\":2}", "{\"a\":2,\"b\":1}", NULL},
		{" { \"z\" : [ 3 , { \"y\" : null , \"x\" : true } ] , \"a\" : false } ",
			"{\"a\":false,\"z\":[3,{\"x\":true,\"y\":null}]}", NULL},
		{"{\"ab\":1,\"a\":2,\"abc\":3,\"\":4}", "{\"\":4,\"a\":2,\"ab\":1,\"abc\":3}", NULL},
		/* UTF-8 byte order: "" < A < a < z < é < ÿ < 日 < U+FFFF < U+1F600 */
		{"{\"\\ud83d\\ude00\":1,\"\\uffff\":2,\"\xe6\x97\xa5\":3,\"\xc3\xbf\":4,\"\xc3\xa9\":5,"
		 "\"z\":6,\"a\":7,\"A\":8,\"\":9}",
			"{\"\":9,\"A\":8,\"a\":7,\"z\":6,\"\xc3\xa9\":5,\"\xc3\xbf\":4,\"\xe6\x97\xa5\":3,"
			"\"\xef\xbf\xbf\":2,\"\xf0\x9f\x98\x80\":1}", NULL},
		/* only '"' and '\' are escaped; '/' and control characters are written raw */
		{"\"a\\\"b\\\\c\\/d\\n\\t\\u0001\\u001f\\u007f\\u00e9\xc3\xa9\"",
			"\"a\\\"b\\\\c/d\n\t\x01\x1f\x7f\xc3\xa9\xc3\xa9\"", NULL},
		{"{\"k\\\"\\\\\":\"\\b\\f\\r\"}", "{\"k\\\"\\\\\":\"\b\f\r\"}", NULL},
		{"[-0, 0, -1, 9223372036854775807, -9223372036854775808]",
			"[0,0,-1,9223372036854775807,-9223372036854775808]", NULL},
		{"{\"a\":{},\"b\":[],\"c\":[[]],\"d\":\"\"}", "{\"a\":{},\"b\":[],\"c\":[[]],\"d\":\"\"}", NULL},
		{"true", "true", NULL},
		{"null", "null", NULL},
		{"\"\"", "\"\"", NULL},
		/* a TUF root as python-tuf signs it */
		{"{\"signed\": {\"_type\": \"root\", \"spec_version\": \"1.0.31\", \"version\": 1, "
		 "\"expires\": \"2030-01-01T00:00:00Z\", \"consistent_snapshot\": true, "
		 "\"keys\": {\"ab12\": {\"keytype\": \"ecdsa\", \"scheme\": \"ecdsa-sha2-nistp256\", "
		 "\"keyval\": {\"public\": \"-----BEGIN PUBLIC KEY-----\\nMFkw\\n-----END PUBLIC KEY-----\\n\"}}},"
		 " \"roles\": {\"root\": {\"keyids\": [\"ab12\"], \"threshold\": 1}}}, \"signatures\": []}",
			"{\"signatures\":[],\"signed\":{\"_type\":\"root\",\"consistent_snapshot\":true,"
			"\"expires\":\"2030-01-01T00:00:00Z\",\"keys\":{\"ab12\":{\"keytype\":\"ecdsa\","
			"\"keyval\":{\"public\":\"-----BEGIN PUBLIC KEY-----\nMFkw\n-----END PUBLIC KEY-----\n\"},"
			"\"scheme\":\"ecdsa-sha2-nistp256\"}},\"roles\":{\"root\":{\"keyids\":[\"ab12\"],"
			"\"threshold\":1}},\"spec_version\":\"1.0.31\",\"version\":1}}", NULL},
		{"1.5", NULL, "offset 0 (at root): only integers are allowed in canonical JSON: 1.5"},
		{"{\"a\":[1,2.0]}", NULL, "offset 8 (at /a/1): only integers are allowed in canonical JSON: 2.0"},
		{"{\"b\":{\"x~/\":1e2}}", NULL,
			"offset 12 (at /b/x~0~1): only integers are allowed in canonical JSON: 1e2"},
		{"[-0.0]", NULL, "offset 1 (at /0): only integers are allowed in canonical JSON: -0.0"},
		{"[9223372036854775808]", NULL,
			"offset 1 (at /0): integer out of range in canonical JSON: 9223372036854775808"},
		{"{\"z\":1,\"a\":1.0}", NULL, "offset 11 (at /a): only integers are allowed in canonical JSON: 1.0"},
	};

	for (size_t i = 0; i < T_LEN(cases); i++) {
		struct json_doc d;
		struct kerr e = {0};
		struct buf out = BUF_INIT(1 << 16);
		int r = parse(&d, cases[i].in, &e);

		t_check(r == 0, "case %zu parses (%s)", i, e.msg);
		if (r)
			continue;
		buf_puts(&out, "prefix");
		r = json_canonical(d.root, &out, &e);
		if (cases[i].out) {
			t_check(r == 0 && out.len == 6 + strlen(cases[i].out) &&
					!memcmp(out.p + 6, cases[i].out, out.len - 6),
				"case %zu: got %s", i, out.p);
		} else {
			t_check(r == -EINVAL && !strcmp(e.msg, cases[i].msg), "case %zu: %d %s", i, r, e.msg);
			t_check(out.len == 6 && !strcmp((char *)out.p, "prefix"), "case %zu: output rolled back", i);
		}
		buf_free(&out);
		json_free(&d);
	}

	/* a full buffer is E2BIG with a message, the output left as it was */
	struct json_doc d;
	struct kerr e = {0};
	struct buf small = BUF_INIT(8);
	t_check(parse(&d, "{\"abc\":\"defgh\"}", &e) == 0, "parses");
	t_check(json_canonical(d.root, &small, &e) == -E2BIG && small.len == 0 &&
			!strcmp(e.msg, "canonical JSON: output larger than the buffer allows"),
		"buffer limit: %s", e.msg);
	buf_free(&small);
	json_free(&d);

	/* a tree built by hand with a duplicate key is refused, never written ambiguously */
	struct json one = {.type = JSON_NUMBER, .u.num = {"1", 1, true, 1}};
	struct json_member m[2] = {{"k", 1, &one}, {"k", 1, &one}};
	struct json obj = {.type = JSON_OBJECT, .u.obj = {m, 2}};
	struct buf out = BUF_INIT(64);
	t_check(json_canonical(&obj, &out, &e) == -EINVAL && out.len == 0, "hand-made duplicate refused");
	m[1].key = "j";
	t_check(json_canonical(&obj, &out, &e) == 0 && !strcmp((char *)out.p, "{\"j\":1,\"k\":1}"),
		"hand-made tree");
	t_check(json_canonical(NULL, &out, &e) == -EINVAL, "NULL value");
	buf_free(&out);
}

/* Writer scripts: one letter per call. */
static int jw_run(const char *script, const char *const *args, struct buf *b)
{
	struct jw w;
	size_t a = 0;

	jw_init(&w, b);
	for (const char *s = script; *s; s++) {
		switch (*s) {
		case '{': jw_obj(&w); break;
		case '}': jw_obj_end(&w); break;
		case '[': jw_arr(&w); break;
		case ']': jw_arr_end(&w); break;
		case 'k': jw_key(&w, args[a++]); break;
		case 's': jw_str(&w, args[a++]); break;
		case 'i': jw_int(&w, -42); break;
		case 'I': jw_int(&w, INT64_MIN); break;
		case 'u': jw_uint(&w, UINT64_MAX); break;
		case 't': jw_bool(&w, true); break;
		case 'f': jw_bool(&w, false); break;
		case 'n': jw_null(&w); break;
		}
	}
	return jw_finish(&w);
}

T_TEST(json_writer)
{
	static const struct {
		const char *script;
		const char *args[4];
		int ret;
		const char *out;
	} cases[] = {
		{"{ks k[iIutfn]}", {"a", "x", "b"}, 0,
			"{\"a\":\"x\",\"b\":[-42,-9223372036854775808,18446744073709551615,true,false,null]}"},
		{"[]", {0}, 0, "[]"},
		{"{}", {0}, 0, "{}"},
		{"[[]{}[{}]]", {0}, 0, "[[],{},[{}]]"},
		{"s", {"top"}, 0, "\"top\""},
		{"i", {0}, 0, "-42"},
		{"{k{k[]}}", {"o", "p"}, 0, "{\"o\":{\"p\":[]}}"},
		{"s", {"\"\\/\b\f\n\r\t\x01\x1f\x7f"}, 0, "\"\\\"\\\\/\\b\\f\\n\\r\\t\\u0001\\u001f\x7f\""},
		{"s", {"\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80"}, 0, "\"\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80\""},
		{"s", {"a\xff" "b"}, 0, "\"a\xef\xbf\xbd" "b\""},
		{"s", {"\xc3"}, 0, "\"\xef\xbf\xbd\""},
		{"s", {"\xe2\x82"}, 0, "\"\xef\xbf\xbd\""},         /* one maximal subpart, one U+FFFD */
		{"s", {"\xe2\x82x"}, 0, "\"\xef\xbf\xbdx\""},
		{"s", {"\xed\xa0\x80"}, 0, "\"\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\""}, /* a surrogate */
		{"s", {"\xc0\xaf"}, 0, "\"\xef\xbf\xbd\xef\xbf\xbd\""},                 /* overlong */
		{"s", {"\xf4\x90\x80\x80"}, 0, "\"\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\""},
		{"{kn}", {"k\n\xff"}, 0, "{\"k\\n\xef\xbf\xbd\":null}"},
		/* misuse */
		{"", {0}, -EINVAL, NULL},          /* nothing written */
		{"{i}", {0}, -EINVAL, NULL},       /* a value where a key is needed */
		{"{kki}", {"a", "b"}, -EINVAL, NULL},
		{"[k]", {"a"}, -EINVAL, NULL},     /* a key in an array */
		{"k", {"a"}, -EINVAL, NULL},       /* a key at the top */
		{"{k}", {"a"}, -EINVAL, NULL},     /* a key without value */
		{"[}", {0}, -EINVAL, NULL},
		{"{]", {0}, -EINVAL, NULL},
		{"]", {0}, -EINVAL, NULL},
		{"[]]", {0}, -EINVAL, NULL},
		{"[", {0}, -EINVAL, NULL},
		{"ii", {0}, -EINVAL, NULL},        /* two top-level values */
		{"[][]", {0}, -EINVAL, NULL},
		{"s", {NULL}, -EINVAL, NULL},
		{"{ki}[", {"a"}, -EINVAL, NULL},
	};

	for (size_t i = 0; i < T_LEN(cases); i++) {
		struct buf b = BUF_INIT(1024);
		int r = jw_run(cases[i].script, cases[i].args, &b);

		t_check(r == cases[i].ret, "case %zu (%s): %d", i, cases[i].script, r);
		if (cases[i].out) {
			t_check(b.len == strlen(cases[i].out) && !memcmp(b.p, cases[i].out, b.len),
				"case %zu: got %s", i, b.p ? (char *)b.p : "");
			struct json_doc d;
			struct kerr e = {0};
			t_check(parse_n(&d, b.p, b.len, NULL, &e) == 0, "case %zu: output parses (%s)", i, e.msg);
			json_free(&d);
		}
		buf_free(&b);
	}

	/* depth: 63 levels are fine, the 64th is refused */
	char script[140];
	struct buf b = BUF_INIT(1024);
	memset(script, '[', 63);
	memset(script + 63, ']', 63);
	script[126] = 0;
	t_check(jw_run(script, NULL, &b) == 0 && b.len == 126, "63 levels");
	buf_free(&b);
	memset(script, '[', 64);
	memset(script + 64, ']', 64);
	script[128] = 0;
	t_check(jw_run(script, NULL, &b) == -EINVAL, "64 levels refused");
	buf_free(&b);

	/* errors are sticky: the first one is reported, nothing more is written */
	struct buf tiny = BUF_INIT(4);
	struct jw w;
	jw_init(&w, &tiny);
	jw_arr(&w);
	jw_str(&w, "long enough");
	size_t len = tiny.len;
	jw_obj_end(&w); /* misuse after the buffer error */
	jw_arr_end(&w);
	t_check(jw_finish(&w) == -E2BIG && tiny.len == len, "buffer error is sticky and first");
	buf_free(&tiny);
	jw_init(&w, &b);
	jw_obj(&w);
	jw_int(&w, 1);
	jw_key(&w, "a");
	jw_int(&w, 2);
	jw_obj_end(&w);
	t_check(jw_finish(&w) == -EINVAL && b.len == 1, "misuse is sticky");
	buf_free(&b);

	/* a NUL inside jw_strn is written as \u0000 */
	jw_init(&w, &b);
	jw_strn(&w, "a\0b", 3);
	t_check(jw_finish(&w) == 0 && b.len == 10 && !memcmp(b.p, "\"a\\u0000b\"", 10), "NUL escaped");
	buf_free(&b);
	jw_init(&w, &b);
	jw_strn(&w, NULL, 0);
	t_check(jw_finish(&w) == 0 && !strcmp((char *)b.p, "\"\""), "NULL, 0 is the empty string");
	buf_free(&b);
	jw_init(&w, &b);
	jw_strn(&w, NULL, 1);
	t_check(jw_finish(&w) == -EINVAL && b.len == 0, "NULL with a length is misuse");
	buf_free(&b);
}

/* Each allocation of a parse, a canonicalisation and a --json write fails in turn: the call
 * returns -ENOMEM (with a message), leaves nothing behind, and the next try gets further. The
 * document is deep (frame stacks grow), wide (the pending vector grows) and long (arena chunks
 * and output buffers grow). */
T_TEST(json_alloc_failures)
{
	struct buf in = BUF_INIT(1 << 20);
	struct json_doc doc = {0};
	struct kerr e = {0};
	long n, steps[3] = {0};
	int ret = 0, failed = 1;

	for (int i = 0; i < 20; i++)
		buf_puts(&in, "{\"k\":[");
	for (int i = 0; i < 100; i++)
		buf_printf(&in, "%s{\"z%d\":\"%0300d\",\"a%d\":%d}", i ? "," : "", i, i, i, i);
	for (int i = 0; i < 20; i++)
		buf_puts(&in, "]}");
	for (n = 1; failed && n < 5000; n++) {
		memset(&e, 0, sizeof(e));
		t_alloc_fail(n);
		ret = json_parse(&doc, in.p, in.len, NULL, &e);
		failed = t_alloc_failed();
		if (failed && (ret != -ENOMEM || doc.root || doc.arena || !strstr(e.msg, "out of memory")))
			break;
	}
	steps[0] = n - 1;
	t_check(!ret && !failed && steps[0] > 3, "parse: %d after %ld allocations: %s", ret, steps[0], e.msg);
	for (n = 1, failed = 1; failed && n < 5000; n++) {
		struct buf out = BUF_INIT(1 << 20);
		memset(&e, 0, sizeof(e));
		t_alloc_fail(n);
		ret = json_canonical(doc.root, &out, &e);
		failed = t_alloc_failed();
		if (failed && (ret != -ENOMEM || out.len || !strstr(e.msg, "out of memory"))) {
			buf_free(&out);
			break;
		}
		buf_free(&out);
	}
	steps[1] = n - 1;
	t_check(!ret && !failed && steps[1] > 3, "canonical: %d after %ld allocations: %s", ret, steps[1], e.msg);
	for (n = 1, failed = 1; failed && n < 5000; n++) {
		struct buf out = BUF_INIT(1 << 20);
		struct jw w;
		jw_init(&w, &out);
		t_alloc_fail(n);
		jw_obj(&w);
		for (size_t i = 0; i < 20; i++) {
			jw_key(&w, "a-long-enough-key-to-grow-the-buffer");
			jw_str(&w, in.p ? (const char *)in.p : "");
		}
		jw_obj_end(&w);
		ret = jw_finish(&w);
		failed = t_alloc_failed();
		buf_free(&out);
		if (failed != (ret == -ENOMEM))
			break;
	}
	steps[2] = n - 1;
	t_check(!ret && !failed && steps[2] > 3, "jw: %d after %ld allocations", ret, steps[2]);
	json_free(&doc);
	buf_free(&in);
}
