/* tar.c — libFuzzer harness for core/archive/tar.c.
 *
 * The input is read as a tar archive twice: whole, and in chunks of 1-13 bytes (sizes drawn from
 * the input). Both must give the same events (every header field, every data byte, every end),
 * the same result and the same message; each entry's data adds up to its size, paths and link
 * targets are shorter than TAR_PATH_MAX, and errors name an offset.
 */
#include "archive/tar.h"
#include "base/buf.h"
#include "base/err.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void check(int cond, const char *what)
{
	if (!cond) {
		fprintf(stderr, "tar fuzz: %s\n", what);
		abort();
	}
}

struct log {
	struct buf b;
	uint64_t want, got, hash; /* the hash of an entry's data does not depend on the chunks */
	int open;
};

static int ev_entry(void *ctx, const struct tar_entry *t, struct kerr *e)
{
	struct log *l = ctx;
	(void)e;
	check(!l->open, "an entry inside an entry");
	check(strlen(t->path) < TAR_PATH_MAX && strlen(t->link) < TAR_PATH_MAX && t->path[0], "path or link too long or empty");
	check(t->nxattrs <= TAR_XATTR_MAX && t->mode <= 07777, "xattrs or mode out of range");
	check(t->type == TAR_FILE || !t->size, "data on a header-only entry");
	buf_printf(&l->b, "E%c%s>%s %llu %o %llu %llu %lld %u %u %zu;", t->type, t->path, t->link, (unsigned long long)t->size, t->mode,
		(unsigned long long)t->uid, (unsigned long long)t->gid, (long long)t->mtime, t->devmajor, t->devminor, t->nxattrs);
	for (size_t i = 0; i < t->nxattrs; i++) {
		buf_puts(&l->b, t->xattrs[i].name);
		buf_put(&l->b, t->xattrs[i].value, t->xattrs[i].len);
	}
	l->want = t->size;
	l->got = l->hash = 0;
	l->open = 1;
	return 0;
}

static int ev_data(void *ctx, const uint8_t *p, size_t n, struct kerr *e)
{
	struct log *l = ctx;
	(void)e;
	check(l->open && l->got + n <= l->want, "data past the entry's size");
	l->got += n;
	for (size_t i = 0; i < n; i++)
		l->hash = l->hash * 31 + p[i];
	return 0;
}

static int ev_end(void *ctx, struct kerr *e)
{
	struct log *l = ctx;
	(void)e;
	check(l->open && l->got == l->want, "an entry ended before its size");
	l->open = 0;
	return buf_printf(&l->b, "X%llx;", (unsigned long long)l->hash);
}

static const struct tar_ops ops = {ev_entry, ev_data, ev_end};

static int run(const uint8_t *d, size_t n, int chunked, struct log *l, struct kerr *e)
{
	struct tar *t;
	if (tar_new(&t, &ops, l))
		return -ENOMEM;
	int ret = 0;
	for (size_t i = 0; !ret && i < n;) {
		size_t k = chunked ? 1 + d[i] % 13 : n;
		if (k > n - i)
			k = n - i;
		ret = tar_feed(t, d + i, k, e);
		i += k;
	}
	if (!ret)
		ret = tar_finish(t, e);
	tar_free(t);
	return ret;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct log a = {BUF_INIT(1u << 26)}, b = {BUF_INIT(1u << 26)};
	struct kerr ea = {0}, eb = {0};
	int ra = run(data, size, 0, &a, &ea), rb = run(data, size, 1, &b, &eb);
	check(ra == rb && !strcmp(ea.msg, eb.msg), "chunked input changes the result");
	if (ra)
		check(strstr(ea.msg, "(offset ") != NULL, "an error without an offset");
	check(a.b.len == b.b.len && (!a.b.len || !memcmp(a.b.p, b.b.p, a.b.len)), "chunked input changes the events");
	buf_free(&a.b);
	buf_free(&b.b);
	return 0;
}
