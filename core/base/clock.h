/* clock.h — the monotonic clock in the units keel counts in (deadlines, timeouts, progress). */
#ifndef KEEL_CLOCK_H
#define KEEL_CLOCK_H

#include <stdint.h>
#include <time.h>

/* CLOCK_MONOTONIC now, in milliseconds / microseconds. */
uint64_t mono_ms(void);
uint64_t mono_us(void);
/* A timespec in those units (a negative field counts as 0; tv_nsec is capped at 999999999). */
uint64_t timespec_ms(const struct timespec *ts);
uint64_t timespec_us(const struct timespec *ts);

#endif
