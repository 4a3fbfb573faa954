/* log_ring.h — a bounded byte ring for a service's stdout/stderr.
 *
 * Memory grows on demand (256 bytes, doubling) up to max; past max the oldest bytes are
 * overwritten. log_ring_copy() returns the kept bytes oldest first; once bytes were dropped it
 * starts at the first complete line (unless that would drop everything).
 */
#ifndef KEEL_LOG_RING_H
#define KEEL_LOG_RING_H

#include <stddef.h>
#include <stdint.h>

struct buf;
struct iovec;


struct log_ring {
	uint8_t *p;
	size_t cap;     /* allocated */
	size_t max;     /* limit of cap */
	size_t head;    /* next write position once wrapped (cap == max) */
	size_t len;     /* bytes kept */
	uint64_t total; /* bytes ever written */
	uint64_t jseen, jline; /* journal.c: bytes it was fed, where its unfinished line begins */
};

void log_ring_init(struct log_ring *r, size_t max);
void log_ring_free(struct log_ring *r); /* accepts NULL */
/* Append n bytes; -ENOMEM only if the first allocation fails (then nothing is kept). */
int log_ring_write(struct log_ring *r, const void *data, size_t n);
/* Append the kept bytes to out (which must have room: -E2BIG otherwise). */
int log_ring_copy(const struct log_ring *r, struct buf *out);
/* The n bytes that were written from byte number at on (counting from the first ever written),
 * as at most two pieces of the ring's memory: the number of pieces, 0 when some of the bytes are
 * no longer kept (or n is 0). */
int log_ring_span(const struct log_ring *r, uint64_t at, size_t n, struct iovec *v);

#endif
