/* dataurl.c — libFuzzer harness for the data: URL decoder (core/net/dataurl.c).
 *
 * dataurl_size agrees with dataurl_decode on success and failure. What decodes, encoded again
 * (as base64, and as %XX escapes), decodes to the same bytes. "data:," + the input is decoded
 * as well, so plain data is reached without a valid header.
 */
#include "base/buf.h"
#include "net/dataurl.h"
#include "base/err.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void check(int cond, const char *what)
{
	if (!cond) {
		fprintf(stderr, "dataurl fuzz: %s\n", what);
		abort();
	}
}

static void roundtrip(const uint8_t *bytes, size_t n)
{
	static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	struct buf u = BUF_INIT(1u << 24), out = BUF_INIT(1u << 24);
	buf_puts(&u, "data:application/octet-stream;base64,");
	for (size_t i = 0; i < n; i += 3) {
		uint32_t w = (uint32_t)bytes[i] << 16 | (i + 1 < n ? (uint32_t)bytes[i + 1] << 8 : 0) | (i + 2 < n ? bytes[i + 2] : 0);
		char q[4] = {b64[w >> 18 & 63], b64[w >> 12 & 63], i + 1 < n ? b64[w >> 6 & 63] : '=', i + 2 < n ? b64[w & 63] : '='};
		buf_put(&u, q, 4);
	}
	check(!dataurl_decode((char *)u.p, u.len, &out, NULL, NULL), "base64 re-encoding refused");
	check(out.len == n && (!n || !memcmp(out.p, bytes, n)), "base64 round trip differs");
	buf_reset(&u);
	buf_reset(&out);
	buf_puts(&u, "data:,");
	for (size_t i = 0; i < n; i++)
		buf_printf(&u, "%%%02X", bytes[i]);
	check(!dataurl_decode((char *)u.p, u.len, &out, NULL, NULL), "percent re-encoding refused");
	check(out.len == n && (!n || !memcmp(out.p, bytes, n)), "percent round trip differs");
	buf_free(&u);
	buf_free(&out);
}

static void one(const char *s, size_t len)
{
	struct buf out = BUF_INIT(1u << 24);
	struct kerr e = {0};
	size_t sz = 0;
	int r = dataurl_decode(s, len, &out, NULL, &e), r2 = dataurl_size(s, len, &sz, NULL);
	check(r == r2, "size and decode disagree on validity");
	if (!r) {
		check(sz == out.len, "size and decode disagree on the length");
		roundtrip(out.p ? out.p : (const uint8_t *)"", out.len);
	} else {
		check(r == -EINVAL && strstr(e.msg, "offset"), "an error without an offset");
	}
	buf_free(&out);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	one((const char *)data, size);
	char *p = malloc(size + 6);
	if (!p)
		return 0;
	memcpy(p, "data:,", 6);
	memcpy(p + 6, data, size);
	one(p, size + 6);
	free(p);
	return 0;
}
