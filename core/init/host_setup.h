/* host_setup.h — the host PID 1's own setup before it supervises anything: the kernel's own
 * hardening settings, cgroup2 (cgroup.h), the hostname and the loopback interface.
 */
#ifndef KEEL_HOST_SETUP_H
#define KEEL_HOST_SETUP_H

struct kerr;

#include <stddef.h>

#define HOSTNAME_MAX 64

/* Set the hostname from root/etc/hostname (first line; letters, digits, '-' and '.', at most
 * 64 bytes). Returns 1 if there is no such file (nothing set), 0 when set, or -errno. */
int host_hostname(int rootfd, struct kerr *e);
/* Parse a hostname file's contents into out[HOSTNAME_MAX + 1]; -EINVAL if malformed. */
int host_parse_hostname(const char *p, size_t len, char *out);
/* Bring "lo" up (SIOCSIFFLAGS); the kernel then gives it 127.0.0.1 and ::1. */
int host_loopback(struct kerr *e);

/* The kernel settings a host init is expected to make (systemd's sysctl.d defaults that harden
 * or that keel relies on, plus stricter link and file protection), written beneath sysdir
 * ("/proc/sys"):
 *   fs.protected_hardlinks 1, fs.protected_symlinks 1   no links to others' files, no following
 *                                                        others' symlinks in sticky directories
 *   fs.protected_fifos 1, fs.protected_regular 2        no O_CREAT opens of others' FIFOs and
 *                                                        files in sticky world- (and group-)
 *                                                        writable directories
 *   kernel.kptr_restrict 1, kernel.dmesg_restrict 1     kernel addresses and log for root only
 *   kernel.sysrq 16                                      magic SysRq: sync only
 *   kernel.core_uses_pid 1, kernel.pid_max 4194304       fewer pid reuses (notify senders are
 *                                                        identified by pid)
 *   net.ipv4.conf.default.rp_filter 2, .accept_source_route 0, .promote_secondaries 1
 * and what keel's host profile (config/policy/host.json) expects for every role:
 *   net.core.bpf_jit_harden 2, kernel.kexec_load_disabled 1, kernel.yama.ptrace_scope 1,
 *   net.ipv4.conf.all.rp_filter 1; accept_redirects 0 (IPv4 and IPv6), secure_redirects 0,
 *   send_redirects 0, log_martians 1 (all and default)
 * (role-dependent ones, user.max_user_namespaces and forwarding, are `keel policy host --apply
 * --role R`'s).
 * Each value written is logged (info); a knob this kernel does not have, or a write it refuses,
 * is logged (warning) and skipped: never fatal. Returns how many were not written. */
struct host_sysctl {
	const char *path;  /* beneath sysdir: "fs/protected_hardlinks" */
	const char *value;
};
extern const struct host_sysctl host_sysctls[];
extern const size_t host_nsysctls;
int host_sysctl(const char *sysdir);

/* Mount securityfs on path (/sys/kernel/security: the lockdown state, LSM files) nosuid, nodev,
 * noexec; already mounted is fine. */
int host_securityfs(const char *path, struct kerr *e);

#endif
