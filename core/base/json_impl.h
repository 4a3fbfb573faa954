/* json_impl.h — what json_parse.c shares with json_canon.c and json_write.c; not for other
 * callers (they use json.h).
 */
#ifndef KEEL_JSON_IMPL_H
#define KEEL_JSON_IMPL_H

#include <stddef.h>

struct json;
struct json_member;
struct kerr;

/* An open array or object, for the parser and for json_canonical. */
struct json_frame {
	const struct json *node;
	struct json *build; /* parser: the same node, being filled in */
	size_t start;      /* parser: its first child in the pending vector */
	size_t idx;        /* array: index of the current element; canonical: of the current child */
	const char *key;   /* object: key of the current member */
	size_t key_len;
	int in_child;      /* the current element or member is being read or written */
	int fresh;         /* parser: just opened */
	const struct json_member **order; /* canonical: members sorted by key */
};

/* kerr_set(e, code, "offset OFF (at POINTER): why"), POINTER the JSON pointer (RFC 6901) of the
 * place frames fr[0..n) describe, "root" for the document itself. Returns code. */
int json_where_err(struct kerr *e, int code, size_t off, const struct json_frame *fr, size_t n,
	const char *why);

#endif
