/* tar_write.c — pax tar writer (tar_write.h). */
#include "diag/tar_write.h"
#include "archive/tar.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

static int put(struct tarw *t, const void *p, size_t n)
{
	if (!t->err && n)
		t->err = t->out(t->ctx, p, n);
	t->off += n;
	return t->err;
}

static int pad(struct tarw *t, uint64_t n)
{
	return put(t, tar_zero, (size_t)((512 - n % 512) % 512));
}

static void octal(char *f, size_t w, uint64_t v)
{
	/* w - 1 digits, then NUL */
	for (size_t i = w - 1; i-- > 0; v >>= 3)
		f[i] = (char)('0' + (v & 7));
	f[w - 1] = 0;
}

static int header(struct tarw *t, const char *name, size_t nl, int type, uint64_t size, unsigned mode)
{
	uint8_t h[512] = {0};
	memcpy(h, name, nl < 99 ? nl : 99);
	octal((char *)h + 100, 8, mode);
	octal((char *)h + 108, 8, 0);
	octal((char *)h + 116, 8, 0);
	octal((char *)h + 124, 12, size);
	octal((char *)h + 136, 12, t->mtime);
	memset(h + 148, ' ', 8);
	h[156] = (uint8_t)type;
	memcpy(h + 257, "ustar", 6);
	memcpy(h + 263, "00", 2);
	memcpy(h + 265, "root", 4);
	memcpy(h + 297, "root", 4);
	unsigned sum = 0;
	for (int i = 0; i < 512; i++)
		sum += h[i];
	octal((char *)h + 148, 7, sum);
	h[155] = ' ';
	return put(t, h, sizeof(h));
}

static int name_ok(const char *name, size_t nl)
{
	if (!nl || nl > TARW_NAME_MAX || name[0] == '/')
		return 0;
	for (const char *c = name; *c; ) {
		const char *s = strchr(c, '/');
		size_t l = s ? (size_t)(s - c) : strlen(c);
		if (!l || (l == 2 && !memcmp(c, "..", 2)) || (l == 1 && c[0] == '.'))
			return 0;
		c += l + (s != NULL);
		if (s && !*c)
			return 1; /* "dir/" */
	}
	return 1;
}

static int member(struct tarw *t, const char *name, int type, uint64_t size, unsigned mode)
{
	size_t nl = strlen(name);
	if (!name_ok(name, nl) || size > TARW_SIZE_MAX)
		return -EINVAL;
	if (nl >= 100) {
		/* "LEN path=NAME\n", LEN counting its own digits */
		char rec[TARW_NAME_MAX + 32];
		size_t body = nl + 7, len = body + 1;
		while (len != body + (size_t)snprintf(NULL, 0, "%zu", len))
			len = body + (size_t)snprintf(NULL, 0, "%zu", len);
		int w = snprintf(rec, sizeof(rec), "%zu path=%s\n", len, name);
		if (w < 0 || (size_t)w != len)
			return -EINVAL;
		if (header(t, "PaxHeaders/long-name", 20, 'x', len, 0644) || put(t, rec, len) || pad(t, len))
			return t->err;
	}
	return header(t, name, nl, type, size, mode);
}

void tarw_init(struct tarw *t, tarw_out_fn out, void *ctx, uint64_t mtime)
{
	memset(t, 0, sizeof(*t));
	t->out = out;
	t->ctx = ctx;
	t->mtime = mtime > 077777777777ull ? 077777777777ull : mtime;
}

int tarw_file(struct tarw *t, const char *name, const void *data, size_t n, uint64_t *data_off)
{
	int ret = member(t, name, '0', n, 0644);
	if (ret)
		return ret;
	if (data_off)
		*data_off = t->off;
	put(t, data, n);
	return pad(t, n);
}

int tarw_dir(struct tarw *t, const char *name)
{
	return member(t, name, '5', 0, 0755);
}

int tarw_finish(struct tarw *t)
{
	put(t, tar_zero, 512);
	return put(t, tar_zero, 512);
}
