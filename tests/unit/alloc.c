/* alloc.c — allocation-failure injection for the unit tests, and a close(2) that fails.
 *
 * build.sh links the unit binary, and only it, with -Wl,--wrap= for malloc, calloc, realloc,
 * strdup, strndup and close: every such call in core (and, in the static musl build, in libc
 * itself) comes here first. Release code carries no hook. t_alloc_fail(n) makes the nth of those
 * allocations from then on fail with ENOMEM; t_alloc_failed() stops that and says whether it
 * happened. t_close_fail(1) makes every close() report EIO after closing (as close(2) may on
 * NFS or after a failed write-back): code that reads errno after a close() sees EIO.
 */
#include "t.h"

#include <errno.h>
#include <stddef.h>

void *__real_malloc(size_t n);
void *__real_calloc(size_t n, size_t size);
void *__real_realloc(void *p, size_t n);
char *__real_strdup(const char *s);
char *__real_strndup(const char *s, size_t n);
int __real_close(int fd);
int __wrap_close(int fd);

static long fail_at, calls;
static int failed;

void t_alloc_fail(long n)
{
	fail_at = n;
	calls = 0;
	failed = 0;
}

int t_alloc_failed(void)
{
	fail_at = 0;
	return failed;
}

static int fail_now(void)
{
	if (!fail_at || ++calls != fail_at)
		return 0;
	failed = 1;
	errno = ENOMEM;
	return 1;
}

void *__wrap_malloc(size_t n) { return fail_now() ? NULL : __real_malloc(n); }
void *__wrap_calloc(size_t n, size_t size) { return fail_now() ? NULL : __real_calloc(n, size); }
void *__wrap_realloc(void *p, size_t n) { return fail_now() ? NULL : __real_realloc(p, n); }
char *__wrap_strdup(const char *s) { return fail_now() ? NULL : __real_strdup(s); }
char *__wrap_strndup(const char *s, size_t n) { return fail_now() ? NULL : __real_strndup(s, n); }

static int close_fails;

void t_close_fail(int on) { close_fails = on; }

int __wrap_close(int fd)
{
	int ret = __real_close(fd);
	if (!close_fails)
		return ret;
	errno = EIO;
	return -1;
}
