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
/* The message, or kerr_strerror(code) if none was recorded. */
const char *kerr_str(const struct kerr *e, int code);

/* The message of an errno, given negative (as core returns it) or positive (errno itself). */
const char *kerr_strerror(int code);

/* The exit code (EXIT_* of base/applet.h) for a core call's result, the same in every applet:
 *
 *   0                                   EXIT_OK    (0)
 *   the input is bad or untrusted:      EXIT_NO    (1)  a negative answer
 *     -EINVAL    malformed (syntax, a field's value, a superblock, a list line)
 *     -EBADMSG   does not verify (digest, signature, hash tree, a blob missing from a layout)
 *     -E2BIG, -EFBIG  larger or deeper than the limit
 *     -EOVERFLOW, -ERANGE  a number out of range
 *     -EILSEQ    invalid UTF-8
 *     -ENOTSUP (= -EOPNOTSUPP)  a feature keel refuses by name (an Ignition field)
 *   anything else:                      EXIT_FAIL  (3)  a runtime failure
 *     -EIO, -ENOMEM, -ENOENT, -EACCES, -EPERM, -ENOSPC, -EROFS, -ELOOP and -EXDEV (the
 *     filesystem refused a path), -ETIMEDOUT, -ECONNREFUSED, -EREMOTEIO (an HTTP error status),
 *     -EPROTO (a malformed HTTP answer: the fetch failed, try again), -ENOKEY (no trusted key
 *     that could judge: the trust setup, not the input), -EKEYREJECTED (a server's TLS
 *     certificate not trusted: the fetch failed), …
 *
 * So a file named on the command line that is missing or unreadable is 3; the same file present
 * and malformed is 1. Core chooses the code for what it judges: a blob missing from an OCI
 * layout is -EBADMSG (the layout is incomplete), not -ENOENT. Usage errors (2) never come from
 * core. What an applet needs to run rather than what it judges (its trusted keys, its sandbox,
 * the disk whose GPT `slots` manages: corrupt state) fails with EXIT_FAIL whatever the errno. */
int kerr_exit(int code);

#endif
