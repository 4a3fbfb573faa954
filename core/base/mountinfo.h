/* mountinfo.h — the lines of /proc/PID/mountinfo (proc(5)), one reader for PID 1's sandboxing,
 * shutdown and the policy checks:
 *
 *   ID PARENT MAJOR:MINOR ROOT MOUNTPOINT OPTIONS [OPTIONAL…] - FSTYPE SOURCE SUPER_OPTIONS
 *
 * Each line is split in place (runs of spaces separate fields); ROOT, MOUNTPOINT and SOURCE have
 * the octal escapes the kernel writes decoded: \040 space, \011 tab, \012 newline, \134 backslash,
 * and nothing else (any other backslash is kept as it is, so a field never gains a NUL). A line
 * without the six fields, the " - " separator and FSTYPE and SOURCE after it is skipped.
 * Fuzzed: tests/fuzz/mountinfo.c.
 */
#ifndef KEEL_BASE_MOUNTINFO_H
#define KEEL_BASE_MOUNTINFO_H

#include <stddef.h>

struct mountinfo {
	char *root, *mp, *opts, *fstype, *source, *super; /* super: "" when the line has none */
};

struct mountinfo_iter {
	char *p, *end;
};

/* text[0..len) is split in place; text[len] must be writable (a struct buf's NUL). */
void mountinfo_init(struct mountinfo_iter *it, char *text, size_t len);
/* The next mountinfo line into m (pointers into the text); 0 at the end. */
int mountinfo_next(struct mountinfo_iter *it, struct mountinfo *m);

#endif
