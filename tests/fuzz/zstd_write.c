/* zstd_write.c — libFuzzer harness for core/archive/zstd_write.c (keel's own zstd writer).
 *
 * The first bytes choose the options (window log 10..17, the content size given or not, frames
 * of some size or one, the size of the writes); the rest is compressed and must decompress, with
 * libzstd's decoder (ZSTD_decompress, linked only into the fuzz and unit binaries), to exactly
 * itself, every frame's checksum checked. Then the same input, repeated into a longer and more
 * compressible stream, must round-trip too.
 */
#include "archive/zstd_write.h"
#include "base/buf.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zstd.h>

static void check(int cond, const char *what)
{
	if (!cond) {
		fprintf(stderr, "zstd_write fuzz: %s\n", what);
		abort();
	}
}

static int sink(void *ctx, const void *p, size_t n)
{
	return buf_put(ctx, p, n);
}

static void roundtrip(const uint8_t *data, size_t size, unsigned wlog, int known, uint64_t frame, size_t step)
{
	struct buf z = BUF_INIT(1u << 24);
	struct zstdw w;
	struct zstdw_opts o = {wlog, known ? size : ZSTDW_SIZE_UNKNOWN, frame};
	check(!zstdw_init(&w, &o, sink, &z), "init");
	for (size_t i = 0; i < size; i += step)
		check(!zstdw_write(&w, data + i, size - i < step ? size - i : step), "write");
	check(!zstdw_finish(&w), "finish");
	zstdw_free(&w);
	uint8_t *back = malloc(size + 1);
	check(back != NULL, "malloc");
	size_t r = ZSTD_decompress(back, size + 1, z.p, z.len);
	if (ZSTD_isError(r))
		fprintf(stderr, "ZSTD_decompress: %s (wlog %u known %d frame %llu step %zu)\n", ZSTD_getErrorName(r), wlog,
		        known, (unsigned long long)frame, step);
	check(!ZSTD_isError(r) && r == size && !memcmp(back, data, size), "round trip differs");
	unsigned long long fcs = ZSTD_getFrameContentSize(z.p, z.len);
	check(fcs == ZSTD_CONTENTSIZE_UNKNOWN || fcs == (frame && frame < size ? frame : size), "Frame_Content_Size");
	free(back);
	buf_free(&z);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 3)
		return 0;
	unsigned wlog = 10 + data[0] % 8, known = data[0] >> 7;
	uint64_t frame = data[1] & 1 ? 0 : 1 + (size_t)data[1] * 37;
	size_t step = 1 + (size_t)data[2] * data[2];
	data += 3, size -= 3;
	roundtrip(data, size, wlog, known, frame, step);
	if (size && size < 4096) {
		size_t n = size * (1 + 300000 / (size * 8 + 1));
		uint8_t *big = malloc(n);
		check(big != NULL, "malloc");
		for (size_t i = 0; i < n; i++)
			big[i] = data[i % size] ^ (uint8_t)(i / (size * 3 + 1));
		roundtrip(big, n, wlog, !known, 0, step * 16);
		free(big);
	}
	return 0;
}
