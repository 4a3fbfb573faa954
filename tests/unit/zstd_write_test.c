/* zstd_write_test.c — keel's zstd writer (core/archive/zstd_write.c) against libzstd's decoder
 * (linked into the unit binary only): a table of inputs × options must round-trip exactly, with
 * the checksum and Frame_Content_Size the decoder checks; forged uses fail. */
#include "archive/zstd_write.h"
#include "base/buf.h"
#include "t.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zstd.h>

unsigned long long ZSTD_XXH64(const void *p, size_t n, unsigned long long seed); /* libzstd's xxhash */

static int sink(void *ctx, const void *p, size_t n)
{
	return buf_put(ctx, p, n);
}

static int failing_sink(void *ctx, const void *p, size_t n)
{
	(void)ctx, (void)p, (void)n;
	return -ENOSPC;
}

static uint8_t *make(int kind, size_t n)
{
	uint8_t *p = malloc(n ? n : 1);
	uint64_t x = 88172645463325252ull;
	size_t at = 0;
	while (at < n) {
		x ^= x << 13, x ^= x >> 7, x ^= x << 17;
		if (kind == 0) { /* all the same byte */
			p[at++] = 'z';
		} else if (kind == 1) { /* random: incompressible */
			p[at++] = (uint8_t)x;
		} else { /* log lines: repeated words, changing numbers, a few bytes >= 128 */
			char line[160];
			int l = snprintf(line, sizeof(line), "2026-12-03T19:%02u:%02u host keel[%u]: unit %s.service %s pid=%u%s\n",
			                 (unsigned)(x % 60), (unsigned)(x >> 8) % 60, (unsigned)(x >> 16) % 999,
			                 (const char *[]){"nginx", "sshd", "chronyd", "containerd"}[x >> 30 & 3],
			                 (const char *[]){"started", "ready", "stopped", "failed: exit 1"}[x >> 40 & 3],
			                 (unsigned)(x >> 20) % 65536, x % 50 ? "" : " caf\xc3\xa9");
			for (int i = 0; i < l && at < n; i++)
				p[at++] = (uint8_t)line[i];
		}
	}
	return p;
}

static int compress(const uint8_t *p, size_t n, const struct zstdw_opts *o, size_t step, struct buf *z)
{
	struct zstdw w;
	int ret = zstdw_init(&w, o, sink, z);
	for (size_t i = 0; !ret && i < n; i += step)
		ret = zstdw_write(&w, p + i, n - i < step ? n - i : step);
	if (!ret)
		ret = zstdw_finish(&w);
	zstdw_free(&w);
	return ret;
}

T_TEST(zstdw_roundtrip)
{
	static const struct {
		const char *what;
		int kind;
		size_t n;
	} in[] = {
		{"empty", 2, 0}, {"1 byte", 2, 1}, {"all the same", 0, 300000}, {"random", 1, 200000},
		{"log lines", 2, 100000}, {"log lines, > 1 block", 2, 700000}, {"log lines, > window", 2, 3000000},
		{"random, > window", 1, 1200000},
	};
	static const struct {
		unsigned wlog;
		int known;
		uint64_t frame;
		size_t step;
	} opt[] = {{0, 0, 0, 1 << 16}, {0, 1, 0, 4093}, {10, 0, 0, 1000}, {17, 1, 0, 1 << 20}, {12, 0, 50000, 7777},
	           {20, 1, 131072, 131072}};
	for (size_t i = 0; i < T_LEN(in); i++) {
		uint8_t *p = make(in[i].kind, in[i].n);
		for (size_t j = 0; j < T_LEN(opt); j++) {
			struct buf z = BUF_INIT(1u << 26);
			struct zstdw_opts o = {opt[j].wlog, opt[j].known ? in[i].n : ZSTDW_SIZE_UNKNOWN, opt[j].frame};
			int ret = compress(p, in[i].n, &o, opt[j].step, &z);
			uint8_t *back = malloc(in[i].n + 1);
			size_t r = ret ? 0 : ZSTD_decompress(back, in[i].n + 1, z.p, z.len);
			t_check(!ret && !ZSTD_isError(r) && r == in[i].n && !memcmp(back, p, in[i].n), "%s, options %zu: %d %s",
			        in[i].what, j, ret, ZSTD_isError(r) ? ZSTD_getErrorName(r) : "differs");
			unsigned long long fcs = ZSTD_getFrameContentSize(z.p, z.len), want = in[i].n;
			if (opt[j].frame && opt[j].frame < want)
				want = opt[j].frame;
			unsigned long long block = opt[j].wlog && opt[j].wlog < 17 ? 1ull << opt[j].wlog : 131072;
			t_check(fcs == want || (!opt[j].known && want > block && fcs == ZSTD_CONTENTSIZE_UNKNOWN),
			        "%s, options %zu: Frame_Content_Size %llu", in[i].what, j, fcs);
			if (in[i].kind != 1 && in[i].n > 1000)
				t_check(z.len < in[i].n / 3, "%s, options %zu: %zu -> %zu bytes", in[i].what, j, in[i].n, z.len);
			if (in[i].kind == 1)
				t_check(z.len < in[i].n + in[i].n / 300 + 64, "%s: raw blocks: %zu -> %zu", in[i].what, in[i].n, z.len);
			free(back);
			buf_free(&z);
		}
		free(p);
	}
}

/* A corrupted frame is refused by the decoder: the checksum covers the content. */
T_TEST(zstdw_checksum)
{
	uint8_t *p = make(2, 50000);
	struct buf z = BUF_INIT(1u << 20);
	t_check(!compress(p, 50000, NULL, 50000, &z), "compress");
	t_check((z.p[4] & 4) && z.len > 20, "Content_Checksum_flag set");
	uint8_t *back = malloc(50001);
	size_t r = ZSTD_decompress(back, 50001, z.p, z.len);
	t_check(r == 50000, "the good frame decodes");
	z.p[z.len - 2] ^= 1;
	r = ZSTD_decompress(back, 50001, z.p, z.len);
	t_check(ZSTD_isError(r), "a flipped checksum bit is refused");
	free(back);
	free(p);
	buf_free(&z);
	/* XXH64 (seed 0) reference values */
	t_check(zstdw_xxh64("", 0) == 0xEF46DB3751D8E999ull, "XXH64 of nothing");
	const char *s = "Nobody inspects the spammish repetition, nobody inspects the spammish repetition";
	t_check(zstdw_xxh64(s, strlen(s)) == ZSTD_XXH64(s, strlen(s), 0), "XXH64 of a long string");
	t_check(zstdw_xxh64(s, 13) == ZSTD_XXH64(s, 13, 0), "XXH64 of 13 bytes");
}

T_TEST(zstdw_refusals)
{
	struct zstdw w;
	struct buf z = BUF_INIT(1 << 20);
	struct zstdw_opts bad = {9, ZSTDW_SIZE_UNKNOWN, 0}, big = {27, ZSTDW_SIZE_UNKNOWN, 0}, five = {0, 5, 0};
	t_check(zstdw_init(&w, &bad, sink, &z) == -EINVAL, "window log 9 refused");
	t_check(zstdw_init(&w, &big, sink, &z) == -EINVAL, "window log 27 refused");
	t_check(!zstdw_init(&w, &five, sink, &z), "content size 5");
	t_check(zstdw_write(&w, "123456", 6) == -EINVAL, "6 bytes of a 5-byte content refused");
	zstdw_free(&w);
	t_check(!zstdw_init(&w, &five, sink, &z), "content size 5");
	t_check(!zstdw_write(&w, "1234", 4) && zstdw_finish(&w) == -EINVAL, "4 bytes of a 5-byte content refused");
	zstdw_free(&w);
	t_check(!zstdw_init(&w, NULL, failing_sink, NULL), "init");
	t_check(!zstdw_write(&w, "abc", 3) && zstdw_finish(&w) == -ENOSPC, "the callback's error is returned");
	t_check(zstdw_write(&w, "abc", 3) == -ENOSPC, "and kept");
	zstdw_free(&w);
	t_alloc_fail(3);
	t_check(zstdw_init(&w, NULL, sink, &z) == -ENOMEM, "allocation failure");
	t_check(t_alloc_failed(), "the allocation failed");
	buf_free(&z);
}

/* Found by tests/fuzz/zstd_write.c: 75 bytes whose Huffman-coded literals fit the block but whose
 * Sequences_Section header then did not; the block came out as 79 bytes, over the frame's
 * Block_Maximum_Size (its content size, 75, in a single-segment frame), and libzstd refused it
 * (srcSize_wrong). Now written raw. Also cut into frames of 75 from a longer stream. */
T_TEST(zstdw_block_not_larger)
{
	static const char in[] = "1\n152\n153\n154\n155\n156\n157\n158\n159\n160\n161\n162\n163\n164\n165\n166\n1"
				 "\0\0\0\0\0U@@@@@@";
	uint8_t back[1024];
	for (int k = 0; k < 2; k++) {
		struct buf z = BUF_INIT(1 << 20);
		struct zstdw_opts o = {10, k ? ZSTDW_SIZE_UNKNOWN : 75, k ? 75 : 0};
		uint8_t src[750];
		for (size_t i = 0; i < sizeof(src); i++)
			src[i] = (uint8_t)in[i % 75];
		size_t n = k ? sizeof(src) : 75;
		int r = compress(src, n, &o, 1, &z);
		size_t d = r ? 0 : ZSTD_decompress(back, sizeof(back), z.p, z.len);
		t_check(!r && !ZSTD_isError(d) && d == n && !memcmp(back, src, n), "%s: %d %s", k ? "frames of 75" : "one block",
			r, ZSTD_isError(d) ? ZSTD_getErrorName(d) : "");
		buf_free(&z);
	}
}
