/* http.c — libFuzzer harness for the HTTP response parsers (core/net/http_parse.c).
 *
 * The input is a response head followed by a chunked body. The head is measured and parsed;
 * a parsed head has a status in 100..599, a Content-Length that is -1 or non-negative, and at
 * most one Content-Range (a range, or a 416's size). The body is decoded three ways (whole, byte
 * by byte, in pieces sized by the input) and every way must give the same result, the same data
 * and consume the same bytes.
 */
#include "base/buf.h"
#include "base/err.h"
#include "net/http.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void check(int cond, const char *what)
{
	if (!cond) {
		fprintf(stderr, "http fuzz: %s\n", what);
		abort();
	}
}

static int collect(void *ctx, const void *d, size_t n)
{
	return buf_put(ctx, d, n);
}

/* Feed in pieces of the given sizes (cycled); returns the result, output and bytes used. */
static int feed(const uint8_t *in, size_t len, const uint8_t *sizes, size_t nsizes, struct buf *out, size_t *used)
{
	struct http_chunked c;
	size_t pos = 0, k = 0;
	int r = 0;
	http_chunked_init(&c, 1024);
	*used = 0;
	while (pos < len && r == 0) {
		size_t n = nsizes ? (size_t)sizes[k++ % nsizes] % 64 + 1 : len - pos;
		if (n > len - pos)
			n = len - pos;
		size_t u = 0;
		r = http_chunked_feed(&c, in + pos, n, &u, collect, out, NULL);
		if (r >= 0) {
			check(u <= n, "consumed more than given");
			check(r == 1 || u == n, "needs more input but left some unconsumed");
			*used += u;
		}
		pos += n;
	}
	return r;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *s = (const char *)data;
	size_t hl = http_head_len(s, size);
	struct http_head h;
	if (hl) {
		check(hl <= size, "head longer than the input");
		if (!http_parse_head(s, hl, &h, NULL)) {
			check(h.status >= 100 && h.status <= 599, "status out of range");
			check(h.content_length >= -1, "negative Content-Length");
			check(!(h.chunked && h.content_length >= 0), "chunked with a length");
			check(!h.has_range || h.range_last >= h.range_first, "backwards range");
			check(!(h.has_range && h.range_unsatisfied), "a range and an unsatisfied range");
			check(!h.range_unsatisfied || h.range_total >= 0, "unsatisfied range without a size");
		}
	}
	const uint8_t *body = data + hl;
	size_t blen = size - hl;
	struct buf a = BUF_INIT(1u << 22), b = BUF_INIT(1u << 22), c = BUF_INIT(1u << 22);
	size_t ua, ub, uc;
	uint8_t one = 0;
	int ra = feed(body, blen, NULL, 0, &a, &ua);
	int rb = feed(body, blen, &one, 1, &b, &ub);
	int rc = feed(body, blen, data, size > 16 ? 16 : size, &c, &uc);
	check(ra == rb && rb == rc, "result depends on how the input is split");
	check(a.len == b.len && b.len == c.len && (!a.len || (!memcmp(a.p, b.p, a.len) && !memcmp(a.p, c.p, a.len))),
		"data depends on how the input is split");
	if (ra == 1)
		check(ua == ub && ub == uc, "end found at different places");
	buf_free(&a);
	buf_free(&b);
	buf_free(&c);
	return 0;
}
