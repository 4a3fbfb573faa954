/* timer_parse.h — the [Timer] section of a .timer unit (systemd.timer(5), systemd 252), and when
 * a timer next elapses.
 *
 * The unit-file syntax (sections, quoting, continuation lines, %-specifiers, drop-ins) is the unit
 * parser's; it hands each [Timer] assignment, value already unquoted and expanded, to timer_set().
 * After the last drop-in, timer_check() validates the whole, and timer_next() computes the next
 * elapse from the times the supervisor keeps — with systemd's rules (timer.c), so a timer moved
 * from a systemd host fires when it fired there.
 *
 * Directives: OnActiveSec= OnBootSec= OnStartupSec= OnUnitActiveSec= OnUnitInactiveSec= (time
 * spans, systemd.time(7)), OnCalendar= (calendar events, init/calendar.h), AccuracySec=,
 * RandomizedDelaySec=, FixedRandomDelay=, Persistent=, RemainAfterElapse=, Unit=. An empty
 * assignment to any On…= resets every trigger given before it, as in systemd. Refused with a
 * reason (never ignored): WakeSystem=yes (keel does not program RTC wake-ups),
 * OnClockChange=yes and OnTimezoneChange=yes (keel does not watch for clock or zone changes);
 * their "no" is accepted.
 */
#ifndef KEEL_TIMER_PARSE_H
#define KEEL_TIMER_PARSE_H

#include "init/calendar.h"
#include "init/unit_value.h"

#include <stdbool.h>
#include <stdint.h>

#define TIMER_TRIGGERS_MAX 64 /* On…= entries in one timer */
#define TIMER_NEVER UINT64_MAX

enum timer_base {
	TIMER_ACTIVE,        /* OnActiveSec=: after the timer unit was started */
	TIMER_BOOT,          /* OnBootSec=: after boot (CLOCK_MONOTONIC 0) */
	TIMER_STARTUP,       /* OnStartupSec=: after keel init started */
	TIMER_UNIT_ACTIVE,   /* OnUnitActiveSec=: after the unit it starts last became active */
	TIMER_UNIT_INACTIVE, /* OnUnitInactiveSec=: after that unit last became inactive */
	TIMER_CALENDAR,      /* OnCalendar= (realtime) */
};

struct timer_trigger {
	enum timer_base base;
	uint64_t usec;        /* monotonic triggers: the span */
	struct cal_spec cal;  /* TIMER_CALENDAR */
};

struct unit_timer {
	struct timer_trigger *v; /* in the order given */
	size_t n;
	uint64_t accuracy_usec;       /* AccuracySec=, default 1 min; 0 becomes 1 µs, as in systemd */
	uint64_t random_delay_usec;   /* RandomizedDelaySec=, default 0 */
	bool fixed_random_delay;      /* FixedRandomDelay= */
	bool persistent;              /* Persistent=: OnCalendar= catches up on a missed elapse */
	bool remain_after_elapse;     /* RemainAfterElapse=, default yes */
	char unit[UNIT_NAME_MAX + 1]; /* Unit=; "" until timer_check() sets the default */
};

/* Defaults (accuracy 1 min, RemainAfterElapse=yes, no triggers). */
void timer_init(struct unit_timer *t);
void timer_free(struct unit_timer *t); /* accepts a zeroed one */

/* Apply one [Timer] assignment. 0; -ENOENT for a key that is not a [Timer] directive (the caller
 * reports it); -EINVAL / -ERANGE / -E2BIG / -ENOTSUP / -ENOMEM with *why a static phrase. */
int timer_set(struct unit_timer *t, const char *key, const char *value, const char **why);

/* After the last drop-in: at least one trigger; Unit= defaults to the timer's own name with
 * ".service" ("a.timer" starts "a.service"), and never names a timer. timer_name is the unit's
 * name (NAME.timer). */
int timer_check(struct unit_timer *t, const char *timer_name, const char **why);

/* The times timer_next() works from, in microseconds; 0 means "never happened". Monotonic times
 * are CLOCK_MONOTONIC (boot is 0); realtime ones CLOCK_REALTIME. */
struct timer_times {
	uint64_t now_mono, now_real;
	uint64_t startup_mono;        /* keel init started (in a container also the base of OnBootSec=) */
	bool container;               /* OnBootSec= counts from startup_mono, as systemd in a container */
	uint64_t active_mono;         /* the timer unit was started (OnActiveSec=) */
	uint64_t active_real;         /*   … the same moment in realtime (OnCalendar= with no trigger yet) */
	uint64_t unit_active_mono;    /* the unit it starts last became active */
	uint64_t unit_inactive_mono;  /* … last became inactive */
	uint64_t last_mono, last_real; /* the timer last elapsed; last_real from the Persistent= stamp
	                                 after a reboot (then last_mono is 0) */
	uint64_t random;              /* the RandomizedDelaySec= draw, any value (used modulo) */
};

/* The next elapse: *mono (CLOCK_MONOTONIC) and *real (CLOCK_REALTIME), each TIMER_NEVER when no
 * trigger of that clock is armed; the timer fires at whichever comes first (a value not after
 * now: at once). Returns 0, or -ENOENT when nothing is armed any more (a one-time trigger that
 * already fired, a calendar event that never comes). */
int timer_next(const struct unit_timer *t, const struct timer_times *s, uint64_t *mono, uint64_t *real);

#endif
