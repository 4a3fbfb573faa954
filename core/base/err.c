/* err.c — struct kerr: one line describing why a core function failed. */
#include "base/err.h"
#include "base/applet.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>

static void mark_truncated(struct kerr *e, int n)
{
	if (n >= (int)sizeof(e->msg))
		memcpy(e->msg + sizeof(e->msg) - 4, "...", 4);
}

int kerr_vset(struct kerr *e, int code, const char *fmt, va_list ap)
{
	if (!e)
		return code;
	e->code = code;
	int n = vsnprintf(e->msg, sizeof(e->msg), fmt, ap);
	if (n < 0)
		e->msg[0] = 0;
	mark_truncated(e, n);
	for (char *p = e->msg; *p; p++) { /* one line, always, and nothing a terminal obeys */
		unsigned char c = (unsigned char)*p;
		if (c == '\n' || c == '\r' || c == '\t')
			*p = ' ';
		else if (c < 0x20 || c == 0x7f)
			*p = '?';
	}
	return code;
}

int kerr_set(struct kerr *e, int code, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	kerr_vset(e, code, fmt, ap);
	va_end(ap);
	return code;
}

int kerr_wrap(struct kerr *e, int code, const char *fmt, ...)
{
	if (!e)
		return code;
	char ctx[sizeof(e->msg)], old[sizeof(e->msg)];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(ctx, sizeof(ctx), fmt, ap);
	va_end(ap);
	memcpy(old, e->msg, sizeof(old));
	if (!e->code)
		e->code = code;
	if (!old[0])
		return kerr_set(e, e->code, "%s: %s", ctx, kerr_strerror(e->code));
	return kerr_set(e, e->code, "%s: %s", ctx, old);
}

const char *kerr_str(const struct kerr *e, int code)
{
	if (e && e->msg[0])
		return e->msg;
	return kerr_strerror(code);
}

/* -code without overflow: INT_MIN is no errno either way */
static int errno_of(int code) { return code >= 0 ? code : code == INT_MIN ? INT_MAX : -code; }

const char *kerr_strerror(int code)
{
	return strerror(errno_of(code));
}

int kerr_exit(int code)
{
	switch (errno_of(code)) {
	case 0:
		return EXIT_OK;
	case EINVAL: case EBADMSG: case E2BIG: case EFBIG: case EOVERFLOW: case ERANGE: case EILSEQ: case ENOTSUP:
		return EXIT_NO;
	default:
		return EXIT_FAIL;
	}
}
