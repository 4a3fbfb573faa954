/* host_setup.h — the host PID 1's own setup before it supervises anything: cgroup2 (cgroup.h),
 * the hostname and the loopback interface.
 */
#ifndef KEEL_STAGE2_H
#define KEEL_STAGE2_H

struct kerr;

#include <stddef.h>

#define HOSTNAME_MAX 64

/* Set the hostname from root/etc/hostname (first line; letters, digits, '-' and '.', at most
 * 64 bytes). Returns 1 if there is no such file (nothing set), 0 when set, or -errno. */
int stage2_hostname(int rootfd, struct kerr *e);
/* Parse a hostname file's contents into out[HOSTNAME_MAX + 1]; -EINVAL if malformed. */
int stage2_parse_hostname(const char *p, size_t len, char *out);
/* Bring "lo" up (SIOCSIFFLAGS); the kernel then gives it 127.0.0.1 and ::1. */
int stage2_loopback(struct kerr *e);

#endif
