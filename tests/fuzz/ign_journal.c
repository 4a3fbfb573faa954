/* ign_journal.c — libFuzzer harness for provision's commit journal (core/provision/ign_journal.c).
 *
 * A journal that parses is written again by ign_journal_text, and that text parses to the same
 * text (the recovery reads exactly what the commit wrote); every op it yields has a clean
 * absolute path, a staged name of the form fN (or none), a mode below 010000.
 */
#include "base/buf.h"
#include "base/err.h"
#include "provision/ign.h"
#include "provision/ign_plan.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void check(int cond, const char *what)
{
	if (!cond) {
		fprintf(stderr, "ign_journal fuzz: %s\n", what);
		abort();
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ign_plan p = {0}, q = {0};
	struct buf a = BUF_INIT(IGN_JOURNAL_MAX), b = BUF_INIT(IGN_JOURNAL_MAX);
	struct kerr e = {0};
	if (!ign_journal_parse(&p, data, size, &e)) {
		for (size_t i = 0; i < p.n; i++) {
			const struct ign_op *o = &p.ops[i];
			check(!ign_path_problem(o->path), "an op path that is not clean");
			check(!o->staged[0] || (o->staged[0] == 'f' && !strchr(o->staged, '/')), "a staged name");
			check(o->mode < 010000, "a mode out of range");
		}
		check(!ign_journal_text(&p, &a), "text of a parsed journal");
		check(!ign_journal_parse(&q, a.p, a.len, &e), "the text written does not parse");
		check(!ign_journal_text(&q, &b) && a.len == b.len && !memcmp(a.p, b.p, a.len), "text round trip differs");
	}
	ign_plan_free(&p);
	ign_plan_free(&q);
	buf_free(&a);
	buf_free(&b);
	return 0;
}
