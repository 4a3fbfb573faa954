/* redact_run.h — what the redaction harnesses (redact.c, redact_plant.c) share: an invariant
 * check that aborts, and a stream redacted in writes of a given size into a buffer. */
#ifndef KEEL_FUZZ_REDACT_RUN_H
#define KEEL_FUZZ_REDACT_RUN_H

#include "base/buf.h"
#include "diag/redact.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void check(int cond, const char *what)
{
	if (!cond) {
		fprintf(stderr, "redact fuzz: %s\n", what);
		abort();
	}
}

static int out_buf(void *ctx, const void *p, size_t n)
{
	return buf_put(ctx, p, n);
}

static void run(const uint8_t *in, size_t n, size_t step, struct buf *out)
{
	struct redact r;
	check(!redact_init(&r, REDACT_MASKING, out_buf, NULL, out), "init");
	for (size_t o = 0; o < n; o += step)
		check(!redact_write(&r, in + o, n - o < step ? n - o : step), "write");
	check(!redact_finish(&r), "finish");
	redact_free(&r);
}

#endif
