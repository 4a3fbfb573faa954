/* devlog.h — the syslog socket of keel init: what services send to /dev/log goes to their unit's
 * log, as journald puts it into the unit's journal (journalctl -u, systemctl status).
 *
 * Daemons that log with syslog(3) — sshd, chronyd once it forked, cron… — write datagrams to
 * /dev/log. keel init binds /run/keel/dev-log (mode 0666, SO_PASSCRED: the kernel names the
 * sender's pid), links /dev/log to it, and files each message under the unit whose cgroup holds
 * the sender (a sender in no unit: dropped). Like the notify socket, it never blocks PID 1: one
 * nonblocking read per datagram, at most 64 per wakeup, descriptors that come along released
 * through the fdsink, messages cut at DEVLOG_LINE_MAX.
 */
#ifndef KEEL_DEVLOG_H
#define KEEL_DEVLOG_H

#include <stddef.h>

#define DEVLOG_MSG_MAX 8192  /* a longer datagram is dropped */
#define DEVLOG_LINE_MAX 2048 /* what the log keeps of one message, newline included */

/* One datagram as syslog(3) and logger(1) send it to a local socket, "<PRI>Mmm dd hh:mm:ss
 * TAG[PID]: text" (the priority and the time stamp optional), as the unit's log keeps it:
 * "TAG[PID]: text\n" — control characters as spaces, trailing newlines and NULs dropped, cut to
 * cap - 1 bytes plus the newline. Returns the length in out (0: nothing to keep); cap >= 2.
 * *level: the priority's level (PRI & 7), 5 (notice, syslog(3)'s default) without one. */
size_t devlog_line(const char *p, size_t n, char *out, size_t cap, int *level);

#endif
