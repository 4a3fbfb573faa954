/* http_parse.c — HTTP/1.1 response heads and the chunked transfer coding (no network here). */
#include "net/http.h"
#include "base/buf.h"
#include "base/err.h"
#include "base/lines.h"

#include <errno.h>
#include <string.h>
#include <strings.h>

#define HTTP_MAX_HEADERS 100

size_t http_head_len(const char *in, size_t len)
{
	/* the head ends at an empty line: "\n\n" or "\n\r\n" */
	for (size_t i = 0; i < len; i++) {
		if (in[i] != '\n')
			continue;
		if (i + 1 < len && in[i + 1] == '\n')
			return i + 2;
		if (i + 2 < len && in[i + 1] == '\r' && in[i + 2] == '\n')
			return i + 3;
	}
	return 0;
}

static bool tchar(unsigned char c)
{
	return c > 0x20 && c < 0x7f && !strchr("\"(),/:;<=>?@[\\]{}", c);
}

/* Parse a decimal without sign into *v (at most 18 digits). */
static int dec(const char *s, size_t n, uint64_t *v)
{
	if (!n || n > 18)
		return -1;
	*v = 0;
	for (size_t i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		*v = *v * 10 + (uint64_t)(s[i] - '0');
	}
	return 0;
}

static bool name_is(const char *name, size_t n, const char *want)
{
	return strlen(want) == n && !strncasecmp(name, want, n);
}

/* "bytes first-last/total", or "bytes first-last/" and a star; or (a 416's) "bytes " a star,
 * "/total" */
static int content_range(struct http_head *h, const char *v, size_t n)
{
	if (n < 6 || strncasecmp(v, "bytes ", 6))
		return -1;
	const char *p = v + 6, *end = v + n;
	if (end - p >= 2 && p[0] == '*' && p[1] == '/') {
		uint64_t t;
		if (dec(p + 2, (size_t)(end - p - 2), &t))
			return -1;
		h->range_total = (int64_t)t;
		h->range_unsatisfied = true;
		return 0;
	}
	const char *dash = memchr(p, '-', (size_t)(end - p));
	const char *slash = dash ? memchr(dash, '/', (size_t)(end - dash)) : NULL;
	if (!dash || !slash)
		return -1;
	if (dec(p, (size_t)(dash - p), &h->range_first) || dec(dash + 1, (size_t)(slash - dash - 1), &h->range_last) ||
		h->range_last < h->range_first)
		return -1;
	if (end - slash == 2 && slash[1] == '*') {
		h->range_total = -1;
	} else {
		uint64_t t;
		if (dec(slash + 1, (size_t)(end - slash - 1), &t) || t <= h->range_last)
			return -1;
		h->range_total = (int64_t)t;
	}
	h->has_range = true;
	return 0;
}

static int header(struct http_head *h, const char *name, size_t nlen, const char *v, size_t vlen, bool *has_te,
	struct kerr *e, size_t off)
{
	if (name_is(name, nlen, "content-length")) {
		uint64_t cl;
		if (dec(v, vlen, &cl))
			return kerr_set(e, -EPROTO, "HTTP: malformed Content-Length (offset %zu)", off);
		if (h->content_length >= 0 && (uint64_t)h->content_length != cl)
			return kerr_set(e, -EPROTO, "HTTP: two different Content-Length values (offset %zu)", off);
		h->content_length = (int64_t)cl;
	} else if (name_is(name, nlen, "transfer-encoding")) {
		if (*has_te || !name_is(v, vlen, "chunked"))
			return kerr_set(e, -EPROTO, "HTTP: unsupported Transfer-Encoding (only \"chunked\") (offset %zu)", off);
		*has_te = true;
		h->chunked = true;
	} else if (name_is(name, nlen, "content-encoding")) {
		if (!name_is(v, vlen, "identity"))
			return kerr_set(e, -EPROTO, "HTTP: compressed answer (Content-Encoding) not asked for (offset %zu)", off);
	} else if (name_is(name, nlen, "location")) {
		if (h->has_location || vlen >= sizeof(h->location))
			return kerr_set(e, -EPROTO, "HTTP: Location repeated or too long (offset %zu)", off);
		memcpy(h->location, v, vlen);
		h->location[vlen] = 0;
		h->has_location = true;
	} else if (name_is(name, nlen, "content-range")) {
		if (h->has_range || h->range_unsatisfied || content_range(h, v, vlen))
			return kerr_set(e, -EPROTO, "HTTP: malformed Content-Range (offset %zu)", off);
	}
	return 0;
}

int http_parse_head(const char *in, size_t len, struct http_head *h, struct kerr *e)
{
	const char *p;
	size_t n;
	struct lines c;
	bool has_te = false;
	int ret;

	memset(h, 0, sizeof(*h));
	h->content_length = -1;
	h->range_total = -1;
	/* status line: HTTP/1.x SP 3DIGIT [SP reason] */
	lines_init(&c, in, len);
	if (!lines_next(&c, &p, &n) || !c.nl)
		return kerr_set(e, -EPROTO, "HTTP: no status line");
	const char *le = n && p[n - 1] == '\r' ? p + n - 1 : p + n;
	if (le - p < 12 || memcmp(p, "HTTP/1.", 7) || (p[7] != '0' && p[7] != '1') || p[8] != ' ' ||
		p[9] < '1' || p[9] > '5' || p[10] < '0' || p[10] > '9' || p[11] < '0' || p[11] > '9' ||
		(le - p > 12 && p[12] != ' '))
		return kerr_set(e, -EPROTO, "HTTP: malformed status line");
	for (const char *q = p + 12; q < le; q++)
		if ((unsigned char)*q < 0x20 && *q != '\t')
			return kerr_set(e, -EPROTO, "HTTP: control character in the status line");
	h->minor = p[7] - '0';
	h->status = (p[9] - '0') * 100 + (p[10] - '0') * 10 + (p[11] - '0');
	for (;;) {
		if (!lines_next(&c, &p, &n))
			return kerr_set(e, -EPROTO, "HTTP: head not terminated by an empty line");
		if (!c.nl)
			return kerr_set(e, -EPROTO, "HTTP: unterminated header line (offset %zu)", (size_t)(p - in));
		le = n && p[n - 1] == '\r' ? p + n - 1 : p + n;
		if (le == p)
			break; /* the empty line */
		size_t off = (size_t)(p - in);
		if (*p == ' ' || *p == '\t')
			return kerr_set(e, -EPROTO, "HTTP: folded header line (offset %zu)", off);
		if (++h->nheaders > HTTP_MAX_HEADERS)
			return kerr_set(e, -EPROTO, "HTTP: more than %d header lines", HTTP_MAX_HEADERS);
		const char *colon = memchr(p, ':', (size_t)(le - p));
		if (!colon || colon == p)
			return kerr_set(e, -EPROTO, "HTTP: header line without a name (offset %zu)", off);
		for (const char *q = p; q < colon; q++)
			if (!tchar((unsigned char)*q))
				return kerr_set(e, -EPROTO, "HTTP: invalid character in a header name (offset %zu)", (size_t)(q - in));
		const char *v = colon + 1, *ve = le;
		while (v < ve && (*v == ' ' || *v == '\t'))
			v++;
		while (ve > v && (ve[-1] == ' ' || ve[-1] == '\t'))
			ve--;
		for (const char *q = v; q < ve; q++)
			if (((unsigned char)*q < 0x20 && *q != '\t') || *q == 0x7f)
				return kerr_set(e, -EPROTO, "HTTP: control character in a header value (offset %zu)", (size_t)(q - in));
		if ((ret = header(h, p, (size_t)(colon - p), v, (size_t)(ve - v), &has_te, e, off)))
			return ret;
	}
	if (has_te && h->content_length >= 0)
		return kerr_set(e, -EPROTO, "HTTP: both Content-Length and Transfer-Encoding");
	return 0;
}

/* ---- chunked ----------------------------------------------------------------------------- */

enum { CH_SIZE, CH_EXT, CH_SIZE_LF, CH_DATA, CH_DATA_CR, CH_DATA_LF, CH_TRAILER, CH_TRAILER_LINE,
	CH_TRAILER_LF, CH_END_LF, CH_DONE };

#define CHUNK_LINE_MAX 4096

void http_chunked_init(struct http_chunked *c, size_t max_trailer)
{
	memset(c, 0, sizeof(*c));
	c->state = CH_SIZE;
	c->max_trailer = max_trailer ? max_trailer : 65536;
}

int http_chunked_feed(struct http_chunked *c, const uint8_t *in, size_t len, size_t *used,
	http_sink_fn sink, void *ctx, struct kerr *e)
{
	size_t i = 0;
	int ret;

	while (i < len && c->state != CH_DONE) {
		uint8_t ch = in[i];
		switch (c->state) {
		case CH_SIZE:
			if (hex_digit(ch) >= 0) {
				if (++c->digits > 15)
					return kerr_set(e, -EPROTO, "HTTP: chunk size too large");
				c->remaining = c->remaining << 4 | (uint64_t)hex_digit(ch);
			} else if (!c->digits) {
				return kerr_set(e, -EPROTO, "HTTP: malformed chunk size");
			} else if (ch == ';' || ch == ' ' || ch == '\t') {
				c->state = CH_EXT;
				c->linelen = 0;
			} else if (ch == '\r') {
				c->state = CH_SIZE_LF;
			} else if (ch == '\n') {
				c->state = c->remaining ? CH_DATA : CH_TRAILER;
			} else {
				return kerr_set(e, -EPROTO, "HTTP: malformed chunk size");
			}
			i++;
			break;
		case CH_EXT:
			if (++c->linelen > CHUNK_LINE_MAX)
				return kerr_set(e, -EPROTO, "HTTP: chunk extension too long");
			if (ch == '\r')
				c->state = CH_SIZE_LF;
			else if (ch == '\n')
				c->state = c->remaining ? CH_DATA : CH_TRAILER;
			else if (ch < 0x20 && ch != '\t')
				return kerr_set(e, -EPROTO, "HTTP: control character in a chunk extension");
			i++;
			break;
		case CH_SIZE_LF:
			if (ch != '\n')
				return kerr_set(e, -EPROTO, "HTTP: chunk size line not ended by CRLF");
			c->state = c->remaining ? CH_DATA : CH_TRAILER;
			i++;
			break;
		case CH_DATA: {
			size_t n = len - i;
			if (n > c->remaining)
				n = (size_t)c->remaining;
			if (sink && (ret = sink(ctx, in + i, n)))
				return ret;
			i += n;
			c->remaining -= n;
			if (!c->remaining)
				c->state = CH_DATA_CR;
			break;
		}
		case CH_DATA_CR:
			if (ch == '\r')
				c->state = CH_DATA_LF;
			else if (ch == '\n')
				goto next_chunk;
			else
				return kerr_set(e, -EPROTO, "HTTP: chunk data not followed by CRLF");
			i++;
			break;
		case CH_DATA_LF:
			if (ch != '\n')
				return kerr_set(e, -EPROTO, "HTTP: chunk data not followed by CRLF");
		next_chunk:
			c->state = CH_SIZE;
			c->digits = 0;
			c->remaining = 0;
			i++;
			break;
		case CH_TRAILER: /* start of a trailer line, or the final empty line */
			if (ch == '\r') {
				c->state = CH_END_LF;
			} else if (ch == '\n') {
				c->state = CH_DONE;
			} else {
				c->state = CH_TRAILER_LINE;
				continue; /* count it below */
			}
			i++;
			break;
		case CH_TRAILER_LINE:
			if (++c->trailer > c->max_trailer)
				return kerr_set(e, -EPROTO, "HTTP: trailer larger than %zu bytes", c->max_trailer);
			if (ch == '\r')
				c->state = CH_TRAILER_LF;
			else if (ch == '\n')
				c->state = CH_TRAILER;
			else if (ch < 0x20 && ch != '\t')
				return kerr_set(e, -EPROTO, "HTTP: control character in a trailer");
			i++;
			break;
		case CH_TRAILER_LF:
			if (ch != '\n')
				return kerr_set(e, -EPROTO, "HTTP: trailer line not ended by CRLF");
			c->state = CH_TRAILER;
			i++;
			break;
		case CH_END_LF:
			if (ch != '\n')
				return kerr_set(e, -EPROTO, "HTTP: chunked body not ended by CRLF");
			c->state = CH_DONE;
			i++;
			break;
		}
	}
	*used = i;
	return c->state == CH_DONE;
}
