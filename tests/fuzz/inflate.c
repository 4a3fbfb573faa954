/* inflate.c — libFuzzer harness for core/archive/inflate.c.
 *
 * The input is decoded as gzip, zlib and raw DEFLATE, each twice: all at once, and trickled
 * through reads of 1-7 bytes (sizes drawn from the input); both must give the same result, the
 * same output and the same message (streaming changes nothing), never more than the cap, and
 * every error names an offset within the input. Then the input itself, wrapped as stored blocks
 * in a gzip member (written here, with its CRC-32 and length), must decode to itself.
 */
#include "archive/inflate.h"
#include "base/buf.h"
#include "base/err.h"
#include "trickle.h"

#include <errno.h>
#include <malloc.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CAP (1u << 20)

static void check(int cond, const char *what)
{
	if (!cond) {
		fprintf(stderr, "inflate fuzz: %s\n", what);
		abort();
	}
}

static int run(enum inflate_fmt fmt, const uint8_t *data, size_t size, unsigned step, struct buf *out, struct kerr *e)
{
	struct src s = {data, size, 0, step};
	struct inflate_io io = {src_read, &s, sink, out, CAP};
	struct inflate_stats st = {0};
	int r = inflate_stream(fmt, &io, &st, e);
	check(out->len <= CAP && st.out == out->len, "output past the cap or miscounted");
	check(st.in <= size, "consumed more than the input");
	if (r) {
		const char *o = strstr(e->msg, "(offset ");
		check(o != NULL, "an error without an offset");
		check(strtoull(o + 8, NULL, 10) <= size, "an offset past the input");
		check(r == -EINVAL || r == -EBADMSG || r == -EFBIG, "an unexpected error code");
	}
	return r;
}

static void stored_roundtrip(const uint8_t *data, size_t size)
{
	struct buf gz = BUF_INIT(size + 1024), out = BUF_INIT(size + 1);
	static const uint8_t hdr[10] = {0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3};
	check(!buf_put(&gz, hdr, 10), "buf");
	size_t i = 0;
	do {
		size_t k = size - i > 65535 ? 65535 : size - i;
		uint8_t b[5] = {i + k == size, (uint8_t)k, (uint8_t)(k >> 8), (uint8_t)~k, (uint8_t)(~k >> 8)};
		check(!buf_put(&gz, b, 5) && !buf_put(&gz, data + i, k), "buf");
		i += k;
	} while (i < size);
	uint32_t crc = crc32_update(0, data, size), len = (uint32_t)size;
	uint8_t t[8] = {(uint8_t)crc, (uint8_t)(crc >> 8), (uint8_t)(crc >> 16), (uint8_t)(crc >> 24), (uint8_t)len,
		(uint8_t)(len >> 8), (uint8_t)(len >> 16), (uint8_t)(len >> 24)};
	check(!buf_put(&gz, t, 8), "buf");
	struct kerr e = {0};
	check(!inflate_mem(INFLATE_GZIP, gz.p, gz.len, &out, &e), "stored round trip refused");
	check(out.len == size && (!size || !memcmp(out.p, data, size)), "stored round trip differs");
	buf_free(&gz);
	buf_free(&out);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int once;
	if (!once++) /* keep the decoder's 360 KiB on the heap: no mmap and page faults per run */
		mallopt(M_MMAP_THRESHOLD, 64 << 20);
	for (int fmt = INFLATE_RAW; fmt <= INFLATE_GZIP; fmt++) {
		struct buf a = BUF_INIT(CAP + 1), b = BUF_INIT(CAP + 1);
		struct kerr ea = {0}, eb = {0};
		int ra = run(fmt, data, size, 0, &a, &ea);
		int rb = run(fmt, data, size, 7, &b, &eb);
		check(ra == rb, "trickled input changes the result");
		check(a.len == b.len && (!a.len || !memcmp(a.p, b.p, a.len)), "trickled input changes the output");
		check(!ra || !strcmp(ea.msg, eb.msg), "trickled input changes the message");
		buf_free(&a);
		buf_free(&b);
	}
	stored_roundtrip(data, size);
	return 0;
}
