/* oci_config.c — fuzz the Pod Security Standards checker on config.json. Invariants: restricted
 * is never more permissive than baseline (an error at baseline is an error at restricted; a
 * violation at baseline means one at restricted), and every finding names a control, a check
 * and a JSON pointer. */
#include "base/err.h"
#include "base/json.h"
#include "policy/psa.h"

#include <stdint.h>
#include <stdlib.h>

static void sane(const struct psa_report *r)
{
	size_t v = 0;
	for (size_t i = 0; i < r->n; i++) {
		const struct psa_finding *f = &r->f[i];
		if (!f->control || !f->check || f->path[0] != '/' || !f->reason[0])
			abort();
		v += !f->relaxed;
	}
	if (v != r->violations)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct json_doc doc = {0};
	struct psa_report b = {0}, r = {0};
	struct kerr e = {0};
	if (json_parse(&doc, data, size, NULL, &e))
		return 0;
	int eb = psa_check(doc.root, PSA_BASELINE, &b, &e);
	int er = psa_check(doc.root, PSA_RESTRICTED, &r, &e);
	if (eb && !er)
		abort();
	if (!eb && !er) {
		sane(&b);
		sane(&r);
		if (b.violations && !r.violations)
			abort();
	}
	psa_report_free(&b);
	psa_report_free(&r);
	json_free(&doc);
	return 0;
}
