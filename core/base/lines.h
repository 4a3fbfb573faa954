/* lines.h — a cursor over the lines of a text held in memory: (p, end), no copy, no NUL needed.
 *
 *   struct lines c;
 *   const char *s;
 *   size_t n;
 *   lines_init(&c, text, len);
 *   while (lines_next(&c, &s, &n))
 *       … s[0..n) is line c.no, without its '\n'; c.nl says whether a '\n' ended it …
 */
#ifndef KEEL_LINES_H
#define KEEL_LINES_H

#include <stdbool.h>
#include <stddef.h>

struct lines {
	const char *p, *end; /* what is left */
	size_t no;           /* number of the line lines_next returned last (1-based; 0 before) */
	bool nl;             /* that line ended with '\n' (false: the text ended first) */
};

/* data may be NULL when len is 0. */
void lines_init(struct lines *c, const void *data, size_t len);
/* The next line (its bytes up to, not including, '\n'): true, or false once the text is used
 * up. A text ending in '\n' has no empty line after it; an empty text has no line at all. */
bool lines_next(struct lines *c, const char **line, size_t *len);

/* The value of the last line "key=value" of data[0..len) that fits out[n] (NUL-terminated), as in
 * /run/keel/boot; "" when there is none. */
void lines_value(const void *data, size_t len, const char *key, char *out, size_t n);

#endif
