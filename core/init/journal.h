/* journal.h — the journal file: what the services of this boot wrote, one record a line.
 *
 * keel init appends every complete line a service writes to its output (StandardOutput=journal,
 * the default) to ROOT/run/keel/journal, besides the unit's log ring. The file is this boot's
 * (it lives in /run), starts with a header line and holds records:
 *
 *   KEELJ1 BOOTID\n                                     BOOTID: 32 lowercase hex (boot_id)
 *   REALTIME MONOTONIC PRIORITY PID UNIT IDENT MESSAGE\n
 *
 * REALTIME and MONOTONIC are microseconds (CLOCK_REALTIME, CLOCK_MONOTONIC), PRIORITY 0..7 (a
 * line's "<N>" prefix, as systemd's SyslogLevelPrefix= reads it; else 6, info), PID the unit's
 * main process when the line was read, UNIT its name, IDENT the basename of its first ExecStart=
 * argv[0] (systemd's SYSLOG_IDENTIFIER). MESSAGE is every byte after the sixth space up to '\n':
 * it may hold any byte but '\n'. A line longer than JOURNAL_LINE_MAX is split into records of
 * that size (systemd's LineMax=); a trailing piece without '\n' waits for the rest.
 *
 * Past JOURNAL_FILE_MAX the file is renamed to journal.1 (replacing the one before) and a new
 * one begins: at most 2 × JOURNAL_FILE_MAX of tmpfs. PID 1 writes with one writev() per record to
 * a regular file it opened O_NOFOLLOW|O_NONBLOCK (never anything a client holds); a failed write
 * drops the record. Readers (journalctl) only read the files.
 */
#ifndef KEEL_JOURNAL_H
#define KEEL_JOURNAL_H

#include <stddef.h>
#include <stdint.h>

#define JOURNAL_PATH "/run/keel/journal"
#define JOURNAL_OLD "/run/keel/journal.1"
#define JOURNAL_FILE_MAX (2u << 20)
#define JOURNAL_LINE_MAX 8192
#define JOURNAL_MAGIC "KEELJ1 "
#define JOURNAL_REC_MAX (JOURNAL_LINE_MAX + 512) /* a record line, '\n' excluded */

struct log_ring;
struct unit;

struct journal_rec {
	uint64_t rt, mono;
	int prio;
	long pid;
	const char *unit, *ident, *msg;
	size_t unit_len, ident_len, msg_len;
};

/* PID 1: the journal is ROOT/run/keel/journal (opened when the first line comes). */
void journal_setup(const char *root);
/* PID 1, going down: close the file and write no more (a file open for writing keeps /run from
 * being remounted read-only). */
void journal_close(void);
/* PID 1: d[0..n) was just appended to ring r (log_ring_write): write each line it completes. */
void journal_feed(struct log_ring *r, const struct unit *u, const char *unit, long pid, const void *d, size_t n);

/* PID 1: one syslog message (devlog.h) "TAG[PID]: text\n" of unit's process pid at level: a record
 * with TAG as its identifier and text as its message (the whole line when it has no tag). It
 * bypasses the ring's line tracking: a stdout line the unit has half written stays whole. */
void journal_syslog(const char *unit, long pid, int level, const char *line, size_t n);

/* This boot's id (/proc/sys/kernel/random/boot_id, without dashes; zeros when unreadable). */
void journal_boot_id(char boot[33]);
/* A record line p[0..n) (no '\n'): 0, or -EINVAL when a field is malformed. */
int journal_parse(const char *p, size_t n, struct journal_rec *r);
/* The header line: 0 and boot[33] (the boot id), or -EINVAL. */
int journal_header(const char *p, size_t n, char boot[33]);

#endif
