/* trickle.h — the reader and sink the stream harnesses (inflate.c, zstd_read.c) drive their
 * decoder with: the input all at once (step 0) or trickled through reads of 1..step bytes, the
 * sizes drawn from the input itself; the output appended to a struct buf. */
#ifndef KEEL_FUZZ_TRICKLE_H
#define KEEL_FUZZ_TRICKLE_H

#include "base/buf.h"
#include "base/err.h"

#include <stdint.h>
#include <string.h>
#include <sys/types.h>

struct src {
	const uint8_t *p;
	size_t n, i;
	unsigned step;
};

static ssize_t src_read(void *ctx, uint8_t *b, size_t cap, struct kerr *e)
{
	struct src *s = ctx;
	(void)e;
	size_t k = s->step ? 1 + (s->n ? s->p[s->i % s->n] : 0) % s->step : cap;
	if (k > cap)
		k = cap;
	if (k > s->n - s->i)
		k = s->n - s->i;
	if (k)
		memcpy(b, s->p + s->i, k);
	s->i += k;
	return (ssize_t)k;
}

static int sink(void *ctx, const uint8_t *p, size_t n, struct kerr *e)
{
	(void)e;
	return buf_put(ctx, p, n);
}

#endif
