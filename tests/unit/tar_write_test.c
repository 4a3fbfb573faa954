/* tar_write_test.c — diag/tar_write: archives GNU tar lists and extracts byte for byte (long
 * names through pax path records, sizes at and around block boundaries, empty files), the
 * deterministic header fields, and names refused before anything is written. */
#include "t.h"
#include "base/buf.h"
#include "diag/tar_write.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int to_buf(void *ctx, const void *p, size_t n)
{
	return buf_put(ctx, p, n);
}

static int fail_out(void *ctx, const void *p, size_t n)
{
	(void)ctx, (void)p, (void)n;
	return -ENOSPC;
}

T_TEST(tar_write_gnu_tar)
{
	static const size_t sizes[] = {0, 1, 511, 512, 513, 100000};
	char names[T_LEN(sizes) + 1][400];
	struct buf out = BUF_INIT(1 << 22);
	struct tarw t;
	tarw_init(&t, to_buf, &out, 86400);
	t_check(!tarw_dir(&t, "d/"), "dir");
	for (size_t i = 0; i < T_LEN(sizes); i++) {
		/* names of 30, 99, 100, 101, 155 and 300 bytes */
		static const size_t nl[] = {30, 99, 100, 101, 155, 300};
		memset(names[i], 'a' + (int)i, nl[i]);
		memcpy(names[i], "d/", 2);
		for (size_t k = 60; k < nl[i] - 1; k += 60)
			names[i][k] = '/'; /* components within NAME_MAX */
		names[i][nl[i]] = 0;
		char *data = malloc(sizes[i] + 1);
		for (size_t k = 0; k < sizes[i]; k++)
			data[k] = (char)(k * 7 + i);
		uint64_t off = 0;
		t_check(!tarw_file(&t, names[i], data, sizes[i], &off) && !memcmp(out.p + off, data, sizes[i]),
		        "file %zu", i);
		free(data);
	}
	t_check(!tarw_finish(&t) && out.len % 512 == 0 && t.off == out.len, "finish: %zu bytes", out.len);
	const char *dir = t_tmpdir();
	char cmd[1024];
	FILE *f = fopen(t_write("a.tar", out.p, out.len), "r");
	t_check(f != NULL, "written");
	if (f)
		fclose(f);
	snprintf(cmd, sizeof(cmd), "cd %s && mkdir x && tar -xf a.tar -C x 2>tar.err && tar -tvf a.tar > list", dir);
	t_check(system(cmd) == 0, "GNU tar extracts it");
	for (size_t i = 0; i < T_LEN(sizes); i++) {
		char path[1024];
		snprintf(path, sizeof(path), "%s/x/%s", dir, names[i]);
		FILE *g = fopen(path, "rb");
		size_t n = 0, bad = 0;
		int c;
		while (g && (c = fgetc(g)) != EOF)
			bad += (char)c != (char)(n++ * 7 + i);
		t_check(g && n == sizes[i] && !bad, "file %zu: %zu bytes extracted, %zu differ", i, n, bad);
		if (g)
			fclose(g);
	}
	snprintf(cmd, sizeof(cmd), "cd %s && test -s list && ! grep -v ' root/root .* 1970-01-02 00:00 ' list && test ! -s tar.err", dir);
	t_check(system(cmd) == 0, "owner root/root and one mtime on every member, no warnings");
	buf_free(&out);
}

T_TEST(tar_write_refusals)
{
	static const char *const bad[] = {"", "/etc/passwd", "../x", "a/../b", "a//b", "./a", "a/./b"};
	char big[TARW_NAME_MAX + 2];
	memset(big, 'a', sizeof(big) - 1);
	big[sizeof(big) - 1] = 0;
	struct buf out = BUF_INIT(1 << 16);
	struct tarw t;
	tarw_init(&t, to_buf, &out, 0);
	for (size_t i = 0; i < T_LEN(bad); i++)
		t_check(tarw_file(&t, bad[i], "x", 1, NULL) == -EINVAL && out.len == 0, "name '%s' refused", bad[i]);
	t_check(tarw_file(&t, big, "x", 1, NULL) == -EINVAL && out.len == 0, "a name over TARW_NAME_MAX refused");
	t_check(tarw_file(&t, "a", "x", 1, NULL) == 0 && out.len == 1024, "a good one after them");
	buf_free(&out);
	tarw_init(&t, fail_out, NULL, 0);
	t_check(tarw_file(&t, "a", "x", 1, NULL) == -ENOSPC && tarw_finish(&t) == -ENOSPC, "the sink's error comes back");
}
