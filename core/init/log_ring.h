/* log_ring.h — a bounded byte ring for a service's stdout/stderr.
 *
 * Memory grows on demand (4 KiB, doubling) up to max; past max the oldest bytes are
 * overwritten. ring_copy() returns the kept bytes oldest first; once bytes were dropped it
 * starts at the first complete line (unless that would drop everything).
 */
#ifndef KEEL_RING_H
#define KEEL_RING_H

#include <stddef.h>
#include <stdint.h>

struct buf;

struct ring {
	uint8_t *p;
	size_t cap;     /* allocated */
	size_t max;     /* limit of cap */
	size_t head;    /* next write position once wrapped (cap == max) */
	size_t len;     /* bytes kept */
	uint64_t total; /* bytes ever written */
};

void ring_init(struct ring *r, size_t max);
void ring_free(struct ring *r); /* accepts NULL */
/* Append n bytes; -ENOMEM only if the first allocation fails (then nothing is kept). */
int ring_write(struct ring *r, const void *data, size_t n);
/* Append the kept bytes to out (which must have room: -E2BIG otherwise). */
int ring_copy(const struct ring *r, struct buf *out);

#endif
