/* timer_stamp.h — the Persistent= stamp of a timer: when it last elapsed, kept on the writable
 * partition so that an OnCalendar= elapse missed while the host was down is caught up after the
 * next boot (timer_next() with last_real).
 *
 * A stamp is the file DIR/stamp-NAME.timer beneath a root, holding the elapse in microseconds
 * since the epoch as decimal digits and a newline; it is replaced atomically (fs_write_atomic:
 * a power cut leaves the old stamp or the new one). DIR must exist (the supervisor makes it).
 */
#ifndef KEEL_TIMER_STAMP_H
#define KEEL_TIMER_STAMP_H

#include <stdint.h>

struct kerr;

/* The last elapse recorded for timer (NAME.timer) in DIR beneath rootfd: 0 and *last (0: no
 * stamp; also 0 for a stamp in the future, which systemd ignores too: the clock was wrong);
 * -EBADMSG for a stamp that is not a number (the caller logs it and counts from the timer's
 * start); another -errno (e named) if it cannot be read. */
int timer_stamp_read(int rootfd, const char *dir, const char *timer, uint64_t now_real, uint64_t *last,
	struct kerr *e);

/* Record an elapse at t (microseconds since the epoch). */
int timer_stamp_write(int rootfd, const char *dir, const char *timer, uint64_t t);

#endif
