/* log_ring.c — bounded byte ring (see log_ring.h). */
#include "init/log_ring.h"
#include "base/buf.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>

void log_ring_init(struct log_ring *r, size_t max)
{
	memset(r, 0, sizeof(*r));
	r->max = max;
}

void log_ring_free(struct log_ring *r)
{
	if (!r)
		return;
	free(r->p);
	log_ring_init(r, r->max);
}

/* Grow (still linear: head == len) towards need bytes, up to max. */
static void grow(struct log_ring *r, size_t need)
{
	size_t cap = r->cap ? r->cap : 256; /* most units print a line or two: the journal file keeps the rest */
	while (cap < need && cap < r->max)
		cap = cap > r->max / 2 ? r->max : cap * 2;
	if (cap > r->max)
		cap = r->max;
	if (cap <= r->cap)
		return;
	uint8_t *p = realloc(r->p, cap);
	if (!p)
		return; /* keep what we have; the ring wraps earlier */
	r->p = p;
	r->cap = cap;
}

int log_ring_write(struct log_ring *r, const void *data, size_t n)
{
	const uint8_t *d = data;
	if (!r->max || !n)
		return 0;
	/* Nothing dropped yet: the bytes are [0, len) and may still grow in place. */
	if (r->total == r->len && r->len + n > r->cap && r->cap < r->max) {
		grow(r, r->len + n);
		if (r->cap)
			r->head = r->len % r->cap;
	}
	if (!r->cap)
		return -ENOMEM;
	r->total += n;
	if (n >= r->cap) { /* only the tail fits */
		memcpy(r->p, d + n - r->cap, r->cap);
		r->head = 0;
		r->len = r->cap;
		return 0;
	}
	size_t first = r->cap - r->head < n ? r->cap - r->head : n;
	memcpy(r->p + r->head, d, first);
	memcpy(r->p, d + first, n - first);
	r->head = (r->head + n) % r->cap;
	r->len = r->len + n > r->cap ? r->cap : r->len + n;
	return 0;
}

int log_ring_copy(const struct log_ring *r, struct buf *out)
{
	if (!r->len)
		return 0;
	size_t start = r->len < r->cap ? 0 : r->head; /* oldest byte */
	size_t skip = 0;
	if (r->total > r->len) { /* bytes were dropped: begin at a line start */
		for (size_t i = 0; i < r->len; i++)
			if (r->p[(start + i) % r->cap] == '\n') {
				skip = i + 1;
				break;
			}
		if (skip == r->len)
			skip = 0;
	}
	size_t n = r->len - skip, pos = (start + skip) % r->cap;
	int ret = buf_reserve(out, n);
	if (ret)
		return ret;
	size_t first = r->cap - pos < n ? r->cap - pos : n;
	buf_put(out, r->p + pos, first);
	buf_put(out, r->p, n - first);
	return 0;
}

int log_ring_span(const struct log_ring *r, uint64_t at, size_t n, struct iovec *v)
{
	if (!n || !r->cap || at > r->total || n > r->total - at || r->total - at > r->len)
		return 0;
	size_t back = (size_t)(r->total - at); /* from the oldest byte wanted to the end */
	size_t pos = (r->head + r->cap - back) % r->cap; /* head: where the next byte goes */
	size_t first = r->cap - pos < n ? r->cap - pos : n;
	v[0] = (struct iovec){r->p + pos, first};
	v[1] = (struct iovec){r->p, n - first};
	return n > first ? 2 : 1;
}
