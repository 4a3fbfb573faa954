/* clock.c — the monotonic clock in milliseconds and microseconds. */
#include "base/clock.h"

static uint64_t in_units(const struct timespec *ts, uint64_t per_s, uint64_t ns_per)
{
	uint64_t s = ts->tv_sec > 0 ? (uint64_t)ts->tv_sec : 0;
	uint64_t ns = ts->tv_nsec <= 0 ? 0 : ts->tv_nsec > 999999999 ? 999999999 : (uint64_t)ts->tv_nsec;
	return s * per_s + ns / ns_per;
}

uint64_t timespec_ms(const struct timespec *ts) { return in_units(ts, 1000, 1000000); }
uint64_t timespec_us(const struct timespec *ts) { return in_units(ts, 1000000, 1000); }

uint64_t mono_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return timespec_ms(&ts);
}

uint64_t mono_us(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return timespec_us(&ts);
}
