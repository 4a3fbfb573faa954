/* svc_timer.h — .timer units in the supervisor (systemd.timer(5), systemd 252's timer.c rules).
 *
 * A started timer is "waiting" for its next elapse (timer_next(), init/timer_parse.h), coalesced
 * within AccuracySec= the way systemd's event loop does (timer_coalesce()): monotonic triggers
 * are the unit's deadline (the loop's epoll timeout), OnCalendar= elapses a CLOCK_REALTIME
 * timerfd armed with TFD_TIMER_CANCEL_ON_SET, so a clock that is set (NTP, an administrator)
 * makes every waiting timer compute its elapse again. On elapse the timer queues a start job for
 * its unit (Unit=) and is "running" until that unit is inactive or failed again — a timer never
 * starts a second run of a unit that still runs — then waits for the next elapse; with nothing
 * left to wait for it is "elapsed" (RemainAfterElapse=yes, or a unit-relative trigger) or stops.
 * Persistent=: each elapse is stamped (init/timer_stamp.h) beneath the root in
 * TIMER_STAMP_DIR; at the timer's start the stamp is the last elapse, so an OnCalendar= event
 * missed while the host was down fires once, at once. RandomizedDelaySec= is drawn anew for each
 * wait (getrandom), or with FixedRandomDelay= from a hash of /etc/machine-id and the timer name.
 * OnBootSec= counts from keel init's start when keel init is not PID 1 (tests), as systemd does
 * in a container.
 */
#ifndef KEEL_SVC_TIMER_H
#define KEEL_SVC_TIMER_H

#include "init/svc_state.h"

#include <stdint.h>

struct buf;
struct jobs;

#define TIMER_STAMP_DIR "var/lib/systemd/timers"

/* The run-time state of one timer (struct svc.tm), microseconds. */
struct svc_timer {
	uint64_t active_mono, active_real;   /* the timer was started */
	uint64_t last_mono, last_real;       /* it last elapsed (last_real also from the stamp) */
	uint64_t unit_active_mono;           /* its unit last left inactive (OnUnitActiveSec=) */
	uint64_t unit_inactive_mono;         /* … last became inactive (OnUnitInactiveSec=) */
	uint64_t next_mono, next_real;       /* the next elapse (as systemd shows it); TIMER_NEVER: none */
	uint64_t wake_real;                  /* … of next_real coalesced within AccuracySec= (the timerfd);
	                                      * next_mono's is the unit's deadline */
};

/* Hooks of svc_state.c / svc_jobs.c / svc_loop.c. */
void svc_timer_start(struct jobs *m, struct svc *s);   /* a start job of a timer begins */
void svc_timer_stop(struct jobs *m, struct svc *s);    /* a stop job of a timer begins */
void svc_timer_due(struct jobs *m, struct svc *s);     /* s->deadline of a timer passed */
void svc_timer_notify(struct jobs *m, struct svc *u, enum svc_active old); /* u's state was set */
void svc_timers_clock(struct jobs *m);                 /* the realtime timerfd is readable */
/* `keel init list-timers`: one line per loaded timer (only that one unless NULL),
 * "UNIT\tNEXT\tLAST\tACTIVATES\tACTIVE\n", NEXT and LAST in CLOCK_REALTIME µs (0: none; a
 * monotonic elapse mapped to realtime). */
int svc_timers_list(const struct jobs *m, struct buf *out, const struct svc *only);

/* Where in [a, b] a timer with window b - a wakes (systemd's sd-event): the latest point of
 * the form k·60 s + perturb, else k·10 s + perturb % 10 s, k·1 s + …, k·250 ms + …, else b; so
 * timers of one host elapse together. b <= a + 1: a. */
uint64_t timer_coalesce(uint64_t a, uint64_t b, uint64_t perturb);

#endif
