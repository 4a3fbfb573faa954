/* clock_test.c — base/clock: timespec to ms/us, forged fields included, and the clock itself. */
#include "t.h"
#include "base/clock.h"

#include <stdint.h>
#include <time.h>

T_TEST(clock_units)
{
	static const struct { time_t s; long ns; uint64_t ms, us; } cases[] = {
		{0, 0, 0, 0},
		{0, 999, 0, 0},
		{0, 1000, 0, 1},
		{0, 999999, 0, 999},
		{0, 1000000, 1, 1000},
		{1, 999999999, 1999, 1999999},
		{12345, 678901234, 12345678, 12345678901},
		/* forged: out-of-range nanoseconds are capped, negative fields count as 0 */
		{1, 1000000000, 1999, 1999999},
		{1, 2147483647, 1999, 1999999},
		{1, -1, 1000, 1000000},
		{-5, 500000000, 500, 500000},
		{-5, -5, 0, 0},
	};
	for (size_t i = 0; i < T_LEN(cases); i++) {
		struct timespec ts = {cases[i].s, cases[i].ns};
		t_check(timespec_ms(&ts) == cases[i].ms && timespec_us(&ts) == cases[i].us, "case %zu: %llu ms, %llu us", i,
			(unsigned long long)timespec_ms(&ts), (unsigned long long)timespec_us(&ts));
	}
}

T_TEST(clock_monotonic)
{
	uint64_t a = mono_us(), m = mono_ms(), b = mono_us();
	t_check(a > 0 && b >= a, "mono_us went from %llu to %llu", (unsigned long long)a, (unsigned long long)b);
	t_check(m >= a / 1000 && m <= b / 1000, "mono_ms %llu outside [%llu, %llu]", (unsigned long long)m,
		(unsigned long long)(a / 1000), (unsigned long long)(b / 1000));
	struct timespec d = {0, 20 * 1000 * 1000};
	nanosleep(&d, NULL);
	t_check(mono_ms() >= m + 20, "20 ms of sleep not counted");
}
