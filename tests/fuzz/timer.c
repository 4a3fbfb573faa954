/* timer.c — libFuzzer harness for the [Timer] settings (core/init/timer_parse.c).
 *
 * Input: lines "Key=Value". Each goes to timer_set(); a refusal always gives a reason; a key that
 * is not a [Timer] setting is -ENOENT and changes nothing. After timer_check() the unit to start
 * is a valid name that is no timer; timer_next() from fixed times either arms a clock or says
 * nothing is armed, and a calendar elapse is never before keel's start.
 */
#include "init/timer_parse.h"
#include "init/svc_timer.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void check(int cond, const char *what)
{
	if (!cond) {
		fprintf(stderr, "timer fuzz: %s\n", what);
		abort();
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct unit_timer t;
	char line[4200];
	const char *why;
	size_t i = 0;
	timer_init(&t);
	while (i < size) {
		size_t n = 0;
		while (i < size && data[i] != '\n' && n < sizeof(line) - 1)
			line[n++] = (char)data[i++];
		i++;
		line[n] = 0;
		char *eq = strchr(line, '=');
		if (!eq)
			continue;
		*eq = 0;
		size_t before = t.n;
		why = NULL;
		int ret = timer_set(&t, line, eq + 1, &why);
		check(!ret || (why && *why), "refused without a reason");
		check(ret != -ENOENT || t.n == before, "an unknown key changed the triggers");
	}
	if (!timer_check(&t, "fuzz.timer", &why)) {
		check(unit_name_suffix(t.unit) != NULL && strcmp(unit_name_suffix(t.unit), ".timer"), "bad unit to start");
		struct timer_times s = {.now_mono = 600000000, .now_real = 1709251200000000ULL, .startup_mono = 2000000,
			.active_mono = 5000000, .active_real = 1709250605000000ULL, .random = 77};
		uint64_t m = 0, r = 0;
		int ret = timer_next(&t, &s, &m, &r);
		check(ret == 0 || ret == -ENOENT, "unexpected error");
		check(ret || m != TIMER_NEVER || r != TIMER_NEVER, "armed without a time");
		check(ret || r == TIMER_NEVER || r >= s.now_real - (s.now_mono - s.startup_mono), "calendar elapse before start");
		/* AccuracySec= coalescing stays inside [elapse, elapse + accuracy] */
		uint64_t a = ret || m == TIMER_NEVER ? 1 : m, b = a + t.accuracy_usec < a ? UINT64_MAX - 1 : a + t.accuracy_usec;
		uint64_t c = timer_coalesce(a, b, t.random_delay_usec % 60000000);
		check(c >= a && c <= b, "coalesced outside the accuracy window");
	}
	timer_free(&t);
	return 0;
}
