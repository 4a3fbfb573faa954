/* calendar.c — libFuzzer harness for the calendar-event parser (core/init/calendar.c).
 *
 * Invariants: a refusal always gives a reason; a spec that parses prints a normalized form that
 * parses again to the same form and (but where systemd's form drops seconds, see below) the same
 * elapses; every next elapse (from three start times)
 * is after its start and matched by the spec, and the one after it is later still.
 */
#include "base/buf.h"
#include "init/calendar.h"

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void check(int cond, const char *what)
{
	if (!cond) {
		fprintf(stderr, "calendar fuzz: %s\n", what);
		abort();
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char s[CAL_SPEC_MAX + 2];
	struct cal_spec c, again;
	struct buf b = BUF_INIT(1u << 20), b2 = BUF_INIT(1u << 20);
	const char *why = NULL;
	if (size > CAL_SPEC_MAX + 1)
		size = CAL_SPEC_MAX + 1;
	memcpy(s, data, size);
	s[size] = 0;
	int ret = cal_parse(s, &c, &why);
	if (ret) {
		check(why && *why, "refused without a reason");
		return 0;
	}
	check(!cal_format(&c, &b) && b.len, "no normalized form");
	check(!cal_parse((char *)b.p, &again, &why), "the normalized form does not parse");
	check(!cal_format(&again, &b2) && !strcmp((char *)b.p, (char *)b2.p), "the normalized form changes when read back");
	/* systemd prints the seconds as "*" when one entry is every whole second, dropping the others
	 * ("*:*:0.32,0/1" -> "*:*:*"): then only the form itself must stay the same. */
	bool lossy = false;
	for (uint16_t i = 0; c.n[CAL_USEC] > 1 && i < c.n[CAL_USEC]; i++)
		lossy |= !c.c[CAL_USEC][i].start && c.c[CAL_USEC][i].stop < 0 && c.c[CAL_USEC][i].repeat == 1000000;
	static const uint64_t starts[] = {0, 1700000000000000ULL, 4102444799999999ULL};
	for (size_t i = 0; i < sizeof(starts) / sizeof(starts[0]); i++) {
		uint64_t next = 0, next2 = 0, after = 0;
		int r = cal_next(&c, starts[i], &next), r2 = cal_next(&again, starts[i], &next2);
		check(r == 0 || r == -ENOENT || r == -EDEADLK, "unexpected error");
		check(lossy || (r == r2 && (r || next == next2)), "the normalized form elapses differently");
		if (r)
			continue;
		check(next > starts[i], "an elapse not after its start");
		check(cal_match(&c, next), "an elapse the spec does not match");
		r = cal_next(&c, next, &after);
		check(r || after > next, "the following elapse is not later");
	}
	cal_free(&again);
	cal_free(&c);
	buf_free(&b);
	buf_free(&b2);
	return 0;
}
