/* json.h — JSON in three files, one header: the strict parser (RFC 8259, json_parse.c), the
 * canonical-JSON writer TUF signs with (json_canon.c) and the writer behind applets' --json
 * output (json_write.c).
 *
 * The parser refuses what a lenient one would guess at: duplicate keys, invalid UTF-8 (overlong
 * forms, surrogates, > U+10FFFF), lone or reversed surrogate escapes, U+0000 in strings,
 * leading zeros, trailing commas, comments, a BOM, anything after the value. Every input is
 * bounded by struct json_limits (size, nesting depth, number of values, string length); a
 * limit is an error, never a cut. Errors name the byte offset and the JSON pointer of the place:
 *   "offset 17 (at /storage/files/0): duplicate key \"path\""
 *
 * A parsed document lives in one arena owned by struct json_doc; json_free() releases it all.
 */
#ifndef KEEL_JSON_H
#define KEEL_JSON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct buf;
struct kerr;

enum json_type { JSON_NULL, JSON_BOOL, JSON_NUMBER, JSON_STRING, JSON_ARRAY, JSON_OBJECT };

struct json;

struct json_member {
	const char *key; /* decoded, NUL-terminated UTF-8 */
	size_t key_len;
	struct json *val;
};

struct json {
	enum json_type type;
	size_t off; /* byte offset of the value's first character in the input */
	union {
		bool b;
		struct {
			const char *s; /* decoded, NUL-terminated UTF-8 (never contains NUL) */
			size_t len;
		} str;
		struct {
			const char *text; /* the number as written, NUL-terminated */
			size_t len;
			bool is_int;      /* no fraction/exponent and fits int64 */
			int64_t i;        /* valid when is_int */
		} num;
		struct {
			struct json **v;
			size_t n;
		} arr;
		struct {
			struct json_member *m; /* in input order */
			size_t n;
		} obj;
	} u;
};

struct json_limits {
	size_t max_bytes;   /* input size */
	unsigned max_depth; /* arrays + objects open at once */
	size_t max_values;  /* values of any type, members included */
	size_t max_string;  /* decoded bytes of one string */
};

/* 16 MiB, depth 64, 1,000,000 values, 8 MiB strings. */
extern const struct json_limits json_default_limits;

struct json_doc {
	struct json *root;
	void *arena; /* private */
};

/* ---- json_parse.c ---- */

/* Parse in[0..len). lim NULL means json_default_limits. On error returns -EINVAL (malformed),
 * -E2BIG (a limit) or -ENOMEM, doc->root is NULL and e says where and why. */
int json_parse(struct json_doc *doc, const void *in, size_t len, const struct json_limits *lim,
	struct kerr *e);
void json_free(struct json_doc *doc); /* accepts a zeroed or freed doc */
/* The same, wiping every decoded string first: for documents that hold secrets (Ignition
 * configs with password hashes and file contents). */
void json_free_secret(struct json_doc *doc);

/* Member of an object by key (NULL if v is not an object or has no such key). */
const struct json *json_get(const struct json *v, const char *key);
/* Type name for messages: "null", "boolean", "number", "string", "array", "object". */
const char *json_type_name(enum json_type t);

/* ---- json_canon.c ---- */

/* Canonical JSON (OLPC, as securesystemslib and tuf-js sign it): object keys sorted by their
 * UTF-8 bytes, no insignificant white space, only integers (a fraction or exponent is -EINVAL),
 * strings with only '"' and '\\' escaped. Appends to out. */
int json_canonical(const struct json *v, struct buf *out, struct kerr *e);

/* ---- json_write.c ---- */

/* Writer for machine output: compact RFC 8259 JSON, strings escaped (control characters as
 * \n \t … or \u00XX, invalid UTF-8 replaced by U+FFFD). Errors are sticky; jw_finish() reports
 * the first. */
struct jw {
	struct buf *b;
	int depth;
	int err;
	uint64_t need_comma; /* one bit per open level */
	bool after_key;
	uint64_t in_obj;     /* one bit per open level: that level is an object */
};
void jw_init(struct jw *w, struct buf *b);
void jw_obj(struct jw *w);
void jw_obj_end(struct jw *w);
void jw_arr(struct jw *w);
void jw_arr_end(struct jw *w);
void jw_key(struct jw *w, const char *key);
void jw_str(struct jw *w, const char *s);
void jw_strn(struct jw *w, const char *s, size_t n);
void jw_int(struct jw *w, int64_t v);
void jw_uint(struct jw *w, uint64_t v);
void jw_bool(struct jw *w, bool v);
void jw_null(struct jw *w);
/* 0, or the first error (-E2BIG, -ENOMEM, -EINVAL for unbalanced or misplaced calls). */
int jw_finish(struct jw *w);

#endif
