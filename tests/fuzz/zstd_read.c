/* zstd_read.c — libFuzzer harness for core/archive/zstd_read.c (zstd frames as keel drives them).
 *
 * The input is decoded twice: all at once, and trickled through reads of 1-7 bytes (sizes drawn
 * from the input); both must succeed or fail together and, on success, give the same output;
 * never more than the cap; every error names an offset within the input and has one of the
 * documented codes, and both ways give the same error (the same offset). Then the input,
 * compressed by the vendored libzstd (linked into the fuzz binary, never into keel) with a
 * content checksum, must decode to itself, and that frame cut short (by its last byte, and at a
 * length the input picks) must be refused.
 */
#include "archive/zstd_read.h"
#include "base/buf.h"
#include "base/err.h"
#include "trickle.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zstd.h>

#define CAP (1u << 20)

static void check(int cond, const char *what)
{
	if (!cond) {
		fprintf(stderr, "zstd_read fuzz: %s\n", what);
		abort();
	}
}

static int run(const uint8_t *data, size_t size, unsigned step, struct buf *out, struct kerr *e)
{
	struct src s = {data, size, 0, step};
	struct inflate_io io = {src_read, &s, sink, out, CAP};
	struct zstd_read_stats st = {0};
	int r = zstd_read_stream(&io, 20, &st, e); /* a 1 MiB window: as the update's chunks */
	check(out->len <= CAP && st.out == out->len, "output past the cap or miscounted");
	check(st.in <= size, "consumed more than the input");
	if (r) {
		const char *o = strstr(e->msg, "(offset ");
		check(o != NULL || strstr(e->msg, "empty"), "an error without an offset");
		check(!o || strtoull(o + 8, NULL, 10) <= size, "an offset past the input");
		check(r == -EINVAL || r == -EBADMSG || r == -EFBIG || r == -E2BIG, "an unexpected error code");
	}
	return r;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct buf a = BUF_INIT(CAP + 1), b = BUF_INIT(CAP + 1), z = BUF_INIT(ZSTD_compressBound(size) + 1);
	struct kerr ea = {0}, eb = {0};
	int ra = run(data, size, 0, &a, &ea);
	int rb = run(data, size, 7, &b, &eb);
	check(ra == rb && (!ra || !strcmp(ea.msg, eb.msg)), "trickled input changes the result or the error");
	check(ra || (a.len == b.len && (!a.len || !memcmp(a.p, b.p, a.len))), "trickled input changes the output");

	ZSTD_CCtx *c = ZSTD_createCCtx();
	check(c && !buf_reserve(&z, ZSTD_compressBound(size)), "alloc");
	ZSTD_CCtx_setParameter(c, ZSTD_c_checksumFlag, 1);
	ZSTD_CCtx_setParameter(c, ZSTD_c_compressionLevel, 1 + (size ? data[0] % 5 : 0));
	size_t n = ZSTD_compress2(c, z.p, ZSTD_compressBound(size), data, size);
	check(!ZSTD_isError(n), "compress");
	ZSTD_freeCCtx(c);
	a.len = 0;
	struct kerr e = {0};
	int r = zstd_read_mem_sink(z.p, n, sink, &a, CAP, 20, &e);
	check(!r && a.len == size && (!size || !memcmp(a.p, data, size)), "round trip differs");
	/* truncation is never accepted: the frame cut short (last byte, and a length the input picks) */
	for (size_t k = 0, cut = n - 1; k < 2; k++, cut = size ? (data[size / 2] * 257u + size) % n : 0) {
		a.len = 0;
		check(zstd_read_mem_sink(z.p, cut, sink, &a, CAP, 20, &e) < 0, "a truncated frame was accepted");
	}
	buf_free(&a);
	buf_free(&b);
	buf_free(&z);
	return 0;
}
