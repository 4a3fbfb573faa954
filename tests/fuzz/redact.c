/* redact.c — libFuzzer harness for diag/redact.
 *
 * The first byte picks how the input is cut into writes (1..256 bytes, or whole). Invariants:
 * the redacted stream holds no span the scanner flags; redacting it again changes nothing; the
 * same input written whole and in pieces gives the same bytes.
 */
#include "redact_run.h"

static int same(const struct buf *x, const struct buf *y)
{
	return x->len == y->len && (!x->len || !memcmp(x->p, y->p, x->len));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (!size)
		return 0;
	size_t step = data[0] ? data[0] : 1;
	const uint8_t *in = data + 1;
	size_t n = size - 1;
	struct buf a = BUF_INIT(64u << 20), b = BUF_INIT(64u << 20), c = BUF_INIT(64u << 20);
	run(in, n, n ? n : 1, &a);
	run(in, n, step, &b);
	check(same(&a, &b), "pieces change the output");
	struct redact s;
	check(!redact_init(&s, REDACT_SCAN, NULL, NULL, NULL), "scan init");
	redact_write(&s, a.p, a.len);
	redact_finish(&s);
	if (s.hits) {
		size_t o = s.first_hit.off > 60 ? (size_t)s.first_hit.off - 60 : 0;
		fprintf(stderr, "hit %s at %llu: %s\n", s.first_hit.rule, (unsigned long long)s.first_hit.off,
		        s.first_hit.shown);
		for (size_t k = o; k < a.len && k < o + 120; k++)
			fputc(a.p[k] >= 32 && a.p[k] < 127 ? a.p[k] : '~', stderr);
		fputc('\n', stderr);
	}
	check(s.hits == 0, "the scanner flags the redacted stream");
	redact_free(&s);
	run(a.p, a.len, a.len ? a.len : 1, &c);
	check(same(&a, &c), "not idempotent");
	buf_free(&a);
	buf_free(&b);
	buf_free(&c);
	return 0;
}
