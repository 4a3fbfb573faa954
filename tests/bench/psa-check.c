/* psa-check.c — for tests/bench/policy.bench.sh: the time of one workload check without the
 * process around it. Linked against keel's own objects (build/obj/core, the -Oz musl build):
 * reads CONFIG.json once, then N times parses it (json_parse, keel's limits) and judges it at
 * restricted (psa_check), freeing both, as `keel policy workload` does after reading the file.
 * Prints the mean per check in microseconds and the findings of the last one.
 *   usage: psa-check CONFIG.json N */
#include "base/err.h"
#include "base/json.h"
#include "policy/psa.h"

#include <stdio.h>
#include <stdlib.h>
#include <time.h>

int main(int argc, char **argv)
{
	static char in[1 << 20];
	FILE *f = argc == 3 ? fopen(argv[1], "rb") : NULL;
	size_t len = f ? fread(in, 1, sizeof(in), f) : 0;
	long n = argc == 3 ? atol(argv[2]) : 0, found = -1;
	struct timespec t0, t1;
	if (!len || n < 1)
		return fprintf(stderr, "usage: psa-check CONFIG.json N\n"), 2;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (long i = 0; i < n; i++) {
		struct json_doc doc = {0};
		struct psa_report r = {0};
		struct kerr e = {0};
		if (json_parse(&doc, in, len, NULL, &e) || psa_check(doc.root, PSA_RESTRICTED, &r, &e))
			return fprintf(stderr, "psa-check: %s\n", e.msg), 1;
		found = (long)r.violations;
		psa_report_free(&r);
		json_free(&doc);
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	printf("%.2f %ld\n", ((t1.tv_sec - t0.tv_sec) * 1e9 + (t1.tv_nsec - t0.tv_nsec)) / 1e3 / n, found);
	return 0;
}
