/* init_timers.h — `keel init list-timers` and the timer lines of status/show
 * (applets/init_timers.c), printed as systemctl (systemd 252) prints them. */
#ifndef KEEL_APPLET_INIT_TIMERS_H
#define KEEL_APPLET_INIT_TIMERS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* One line of the timers reply (core/init/svc_timer.h: svc_timers_list()). */
struct timer_line {
	char unit[256], activates[256], active[16];
	uint64_t next, last; /* CLOCK_REALTIME µs, 0: none */
};
/* Parse p[0..len) (one line without its '\n'); -EINVAL if malformed. */
int timer_line_parse(const char *p, size_t len, struct timer_line *t);

/* The line of one timer unit from PID 1 at the control socket path (-EINVAL: not a .timer). */
int timer_line_fetch(const char *path, const char *unit, int timeout_ms, struct timer_line *t);

/* The table of the timers reply body[0..len): NEXT LEFT LAST PASSED UNIT ACTIVATES; inactive
 * timers only with all; legend: the header and "N timers listed." Exit status. */
int init_list_timers(const char *body, size_t len, bool all, bool legend);

/* Print rows × cols cells (row-major) as systemctl's tables: each column as wide as its widest
 * cell, one blank between, the last column unpadded. */
#define INIT_COLUMNS_MAX 8
void init_columns(const char *const *cell, size_t rows, size_t cols);

/* systemctl status X.timer: its "Trigger:" and "Triggers:" lines. */
void timer_status_lines(const struct timer_line *tl);

/* "Thu 2026-12-03 20:00:00 UTC" and "24min left" / "3h 2min ago" for t (0: "n/a"). */
void timer_stamp_text(uint64_t t, char *out, size_t n);
void timer_relative_text(uint64_t t, uint64_t now, char *out, size_t n);

#endif
