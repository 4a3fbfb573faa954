/* err.h — the error record core functions fill for their callers.
 *
 * Core functions return 0 or a negative errno. Where the caller needs to know what exactly was
 * wrong with an input (a file, a field, a byte offset), the function also fills a struct kerr
 * with one line of text; the applet prints it as "keel APPLET: what failed: <msg>". Untrusted
 * bytes formatted into it cannot break that: line breaks and tabs become spaces, other control
 * characters '?'.
 */
#ifndef KEEL_ERR_H
#define KEEL_ERR_H

#include <stdarg.h>

struct kerr {
	int code;       /* the negative errno returned with it */
	char msg[400];  /* one line, no newline; truncated with "..." if longer */
};

/* Record code and a message in e (e may be NULL). Returns code, so: return kerr_set(e, -EINVAL, …). */
int kerr_set(struct kerr *e, int code, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
int kerr_vset(struct kerr *e, int code, const char *fmt, va_list ap) __attribute__((format(printf, 3, 0)));
/* Prefix the existing message with more context: "ctx: old message". Returns e->code (or code if e is NULL). */
int kerr_wrap(struct kerr *e, int code, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* The message, or strerror(-code) if none was recorded. */
const char *kerr_str(const struct kerr *e, int code);

#endif
