/* calendar.h — systemd's calendar events (systemd.time(7), "CALENDAR EVENTS"; systemd 252 is
 * the reference): parse an OnCalendar= value, print its normalized form, compute when it next
 * elapses. Pure computation: no I/O, no clock, no time-zone database; no allocation beyond the
 * spec's own component lists. An elapse is searched the way systemd's calendarspec.c searches
 * (see calendar.c), so it is systemd's, quirks included.
 *
 * Grammar: [WEEKDAYS] [DATE] [TIME] [UTC], or a shorthand (minutely hourly daily weekly monthly
 * yearly annually quarterly semiannually …), or @EPOCH.
 *   WEEKDAYS  Mon..Fri, Sat,Sun, Mon-Wed (old range form), full names, any case
 *   DATE      [YEAR-]MONTH-DAY or [YEAR-]MONTH~DAY ("~": DAY counts from the month's end, ~01
 *             is the last day); two-digit years are 1970..2069
 *   TIME      HOUR:MINUTE[:SECOND[.FRACTION]] (missing: 00:00:00)
 *   each field: "*", or a comma list of V, V..W (range), V/R, V..W/R (repetition); seconds
 *   take fractions down to microseconds ("*" for seconds means every whole second).
 * Time zones: keel hosts keep UTC (keel reads no $TZ and no /etc/localtime anywhere), so every
 * spec is computed in UTC; " UTC" (any case) is accepted and kept in the normalized form. Any
 * other zone name ("Europe/Berlin", "CET") is refused (-ENOTSUP) with a reason. Elapses are the
 * ones systemd 252 computes with TZ=UTC.
 *
 * Differences from systemd 252, on purpose: "@N" takes digits only ("@ 5", "@+5" refused); a
 * zone name is refused instead of computed in that zone.
 */
#ifndef KEEL_CALENDAR_H
#define KEEL_CALENDAR_H

#include <stdbool.h>
#include <stdint.h>

struct buf;

#define CAL_SPEC_MAX 4096    /* bytes of a spec */
#define CAL_COMP_MAX 241     /* components in one field's list (systemd: nesting 240) */
#define CAL_YEAR_MIN 1970
#define CAL_YEAR_MAX 2199    /* nothing elapses after this year, as in systemd */

enum { CAL_YEAR, CAL_MONTH, CAL_DAY, CAL_HOUR, CAL_MINUTE, CAL_USEC, CAL_FIELDS };

/* One list entry: start, or start..stop (stop >= 0), every repeat from start (repeat > 0).
 * Seconds are in microseconds. */
struct cal_comp {
	int32_t start, stop, repeat;
};

struct cal_spec {
	struct cal_comp *c[CAL_FIELDS]; /* sorted, unique; n[f] == 0 means "*" */
	uint16_t n[CAL_FIELDS];
	uint8_t weekdays;               /* bit 0 Monday … bit 6 Sunday; 0: any day */
	bool utc;                       /* " UTC" given (printed back; computed in UTC either way) */
	bool eom;                       /* DAY counts from the end of the month ("~") */
};

/* Parse s (NUL-terminated, at most CAL_SPEC_MAX bytes) into *out (normalized as systemd does).
 * 0, or -EINVAL / -ERANGE / -ENOBUFS (list too long) / -E2BIG / -ENOTSUP (a time zone) /
 * -ENOMEM, with *why set to a static phrase. On error *out holds nothing to free. */
int cal_parse(const char *s, struct cal_spec *out, const char **why);
void cal_free(struct cal_spec *c);

/* Append systemd's normalized form ("Mon..Fri *-*-* 10:00:00") to out. */
int cal_format(const struct cal_spec *c, struct buf *out);

/* The first time strictly after now (microseconds since the epoch) that c matches: 0 and
 * *next, or -ENOENT when it never elapses again (nothing up to CAL_YEAR_MAX). */
int cal_next(const struct cal_spec *c, uint64_t now, uint64_t *next);

/* True if the time t (microseconds since the epoch) matches c. */
bool cal_match(const struct cal_spec *c, uint64_t t);

/* t as systemd prints a timestamp in UTC: "Thu 2024-02-29 00:00:00 UTC" (whole seconds);
 * -ERANGE from year 2200 on. */
#define CAL_STAMP_MAX 32
int cal_stamp(uint64_t t, char out[CAL_STAMP_MAX]);

#endif
