/* health_file.c — libFuzzer harness for the health file (core/init/health.c, health_parse).
 *
 * A file that parses has 0..64 unit names keel accepts (no template, no duplicate), 0 or 1..64
 * arguments (the first absolute, each at most 4096 bytes, the list NULL-terminated), a deadline
 * of 1..86400 s and a settle time below it; a refused one leaves the spec empty and says why.
 */
#include "base/err.h"
#include "init/health.h"
#include "init/unit_value.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void check(int cond, const char *what)
{
	if (!cond) {
		fprintf(stderr, "health fuzz: %s\n", what);
		abort();
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct health_spec s;
	struct kerr e = {0};
	int ret = health_parse((const char *)data, size, &s, &e);
	if (ret) {
		check(ret < 0 && e.msg[0] && !s.units && !s.argv && !s.nunits && !s.argc, "refused without a reason, or not empty");
		return 0;
	}
	check(s.nunits <= HEALTH_UNITS_MAX && s.argc <= HEALTH_ARGS_MAX, "counts");
	check(s.deadline_s >= 1 && s.deadline_s <= 86400 && s.settle_s < s.deadline_s, "times");
	for (size_t i = 0; i < s.nunits; i++) {
		check(unit_ref_suffix(s.units[i]) && !unit_name_is_template(s.units[i]), "unit name");
		for (size_t k = 0; k < i; k++)
			check(strcmp(s.units[i], s.units[k]), "duplicate unit");
	}
	check(!s.argv == !s.argc, "argv without argc");
	for (size_t i = 0; i < s.argc; i++)
		check(strlen(s.argv[i]) <= HEALTH_ARG_MAX && (i || s.argv[0][0] == '/'), "argument");
	check(!s.argv || !s.argv[s.argc], "argv not NULL-terminated");
	health_spec_free(&s);
	return 0;
}
