/* dataurl.c — RFC 2397 data: URL decoder (see dataurl.h for the grammar). */
#include "net/dataurl.h"
#include "base/buf.h"
#include "base/err.h"

#include <errno.h>
#include <stdint.h>
#include <string.h>

/* RFC 2045 token character: printable ASCII except SPACE and tspecials. */
static bool is_token(unsigned char c)
{
	return c > 0x20 && c < 0x7f && !strchr("()<>@,;:\\\"/[]?=", c);
}

/* RFC 2396 uric without '%': unreserved (alphanum, mark) and reserved. */
static bool is_uric(unsigned char c)
{
	if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'))
		return true;
	return c && strchr("-_.!~*'();/?:@&=+$,", c);
}

static int b64val(unsigned char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+')
		return 62;
	if (c == '/')
		return 63;
	return -1;
}

static int bad(struct kerr *e, size_t off, const char *what)
{
	return kerr_set(e, -EINVAL, "data URL: %s (offset %zu)", what, off);
}

/* Walk the header (media type and parameters) from p; on success *pp points after the ','. */
static int parse_header(const char *url, size_t len, size_t *pp, bool *b64, struct kerr *e)
{
	size_t p = 5; /* after "data:" */
	const unsigned char *u = (const unsigned char *)url;

	*b64 = false;
	if (p < len && u[p] != ';' && u[p] != ',') { /* type/subtype */
		size_t start = p;
		while (p < len && is_token(u[p]))
			p++;
		if (p == start)
			return bad(e, p, "invalid character after the data: prefix");
		if (p >= len || u[p] != '/')
			return bad(e, p, "media type has no '/'");
		p++;
		while (p < len && is_token(u[p]))
			p++;
	}
	while (p < len && u[p] == ';') {
		size_t start = ++p;
		while (p < len && is_token(u[p]))
			p++;
		if (p == start)
			return bad(e, p, "invalid character in a parameter name");
		if (p - start == 6 && !memcmp(url + start, "base64", 6) && p < len && u[p] == ',') {
			*b64 = true;
			break;
		}
		if (p >= len || u[p] != '=')
			return bad(e, p, "parameter without '=' (only a final \"base64\" may stand alone)");
		p++;
		if (p < len && u[p] == '"') { /* quoted-string */
			p++;
			while (p < len && u[p] != '"') {
				if (u[p] == '\\')
					p++;
				if (p >= len || u[p] < 0x20 || u[p] > 0x7e)
					return bad(e, p, "invalid character in a quoted parameter value");
				p++;
			}
			if (p >= len)
				return bad(e, p, "unterminated quoted parameter value");
			p++;
		} else {
			size_t vstart = p;
			while (p < len && is_token(u[p]))
				p++;
			if (p == vstart)
				return bad(e, p, "empty parameter value");
		}
	}
	if (p >= len || u[p] != ',')
		return bad(e, p, "expected ',' before the data");
	*pp = p + 1;
	return 0;
}

static int emit(struct buf *out, size_t *n, const uint8_t *b, size_t k)
{
	*n += k;
	return out ? buf_put(out, b, k) : 0;
}

static int decode(const char *url, size_t len, struct buf *out, size_t *size, bool *base64,
	struct kerr *e)
{
	const unsigned char *u = (const unsigned char *)url;
	size_t p = 0, n = 0;
	bool b64 = false;
	int ret;

	*size = 0;
	if (len < 5 || memcmp(url, "data:", 5))
		return bad(e, 0, "does not start with \"data:\"");
	if ((ret = parse_header(url, len, &p, &b64, e)))
		return ret;
	if (base64)
		*base64 = b64;
	if (b64) {
		size_t dlen = len - p;
		if (dlen % 4)
			return bad(e, len, "base64 data is not a multiple of 4 characters");
		for (size_t q = p; q < len; q += 4) {
			int v[4], pad = 0;
			for (int i = 0; i < 4; i++) {
				unsigned char c = u[q + i];
				if (!is_uric(c))
					return bad(e, q + i, "invalid character in the data");
				if (c == '=' && q + 4 == len && i >= 2 && (i == 3 || u[q + 3] == '=')) {
					v[i] = 0;
					pad++;
					continue;
				}
				if ((v[i] = b64val(c)) < 0)
					return bad(e, q + i, "invalid base64 character");
			}
			uint32_t w = (uint32_t)v[0] << 18 | (uint32_t)v[1] << 12 | (uint32_t)v[2] << 6 | (uint32_t)v[3];
			uint8_t b[3] = {(uint8_t)(w >> 16), (uint8_t)(w >> 8), (uint8_t)w};
			if ((ret = emit(out, &n, b, (size_t)(3 - pad))))
				goto fail;
		}
	} else {
		size_t q = p;
		while (q < len) {
			size_t run = q;
			while (run < len && u[run] != '%' && is_uric(u[run]))
				run++;
			if (run > q && (ret = emit(out, &n, u + q, run - q)))
				goto fail;
			q = run;
			if (q >= len)
				break;
			if (u[q] != '%')
				return bad(e, q, "invalid character in the data (must be %-escaped)");
			uint8_t c;
			if (q + 3 > len || hex_decode(&c, 1, url + q + 1, 2))
				return bad(e, q, "malformed %-escape");
			if ((ret = emit(out, &n, &c, 1)))
				goto fail;
			q += 3;
		}
	}
	*size = n;
	return 0;
fail:
	if (ret == -E2BIG)
		return kerr_set(e, ret, "data URL: decoded data larger than the limit of %zu bytes",
			out ? out->max : 0);
	return kerr_set(e, ret, "data URL: %s", strerror(-ret));
}

int dataurl_decode(const char *url, size_t len, struct buf *out, bool *base64, struct kerr *e)
{
	size_t n;
	return decode(url, len, out, &n, base64, e);
}

int dataurl_size(const char *url, size_t len, size_t *size, struct kerr *e)
{
	return decode(url, len, NULL, size, NULL, e);
}
