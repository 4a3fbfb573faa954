/* host_setup.c — kernel settings, hostname and loopback for the host PID 1 (see host_setup.h). */
#include "init/host_setup.h"
#include "base/buf.h"
#include "base/err.h"
#include "base/fs.h"
#include "base/log.h"

#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <unistd.h>

int host_parse_hostname(const char *p, size_t len, char *out)
{
	const char *end = p + len, *nl = memchr(p, '\n', len);
	const char *le = nl ? nl : end;
	while (p < le && (*p == ' ' || *p == '\t'))
		p++;
	while (le > p && (le[-1] == ' ' || le[-1] == '\t' || le[-1] == '\r'))
		le--;
	size_t n = (size_t)(le - p);
	if (!n || n > HOSTNAME_MAX || *p == '-' || *p == '.')
		return -EINVAL;
	for (size_t i = 0; i < n; i++)
		if (!((p[i] >= 'a' && p[i] <= 'z') || (p[i] >= 'A' && p[i] <= 'Z') || (p[i] >= '0' && p[i] <= '9') ||
			    p[i] == '-' || p[i] == '.'))
			return -EINVAL;
	memcpy(out, p, n);
	out[n] = 0;
	return 0;
}

int host_hostname(int rootfd, struct kerr *e)
{
	struct buf b = BUF_INIT(4096);
	char name[HOSTNAME_MAX + 1];
	int fd = fs_open_beneath(rootfd, "etc/hostname", O_RDONLY, 0), ret;
	if (fd == -ENOENT)
		return 1;
	if (fd < 0)
		return kerr_set(e, fd, "/etc/hostname: %s", strerror(-fd));
	ret = fs_read_fd(fd, b.max, &b);
	close(fd);
	if (ret)
		kerr_set(e, ret, "/etc/hostname: %s", ret == -EFBIG ? "too large" : strerror(-ret));
	else if ((ret = host_parse_hostname((const char *)b.p, b.len, name)))
		kerr_set(e, ret, "/etc/hostname: not a host name (letters, digits, '-', '.'; at most %d)", HOSTNAME_MAX);
	else if (sethostname(name, strlen(name)))
		ret = kerr_set(e, -errno, "sethostname %s: %s", name, strerror(errno));
	buf_free(&b);
	return ret;
}

const struct host_sysctl host_sysctls[] = {
	{"fs/protected_hardlinks", "1"},
	{"fs/protected_symlinks", "1"},
	{"fs/protected_fifos", "1"},
	{"fs/protected_regular", "2"},
	{"kernel/kptr_restrict", "1"},
	{"kernel/dmesg_restrict", "1"},
	{"kernel/sysrq", "16"},
	{"kernel/core_uses_pid", "1"},
	{"kernel/pid_max", "4194304"},
	{"net/ipv4/conf/default/rp_filter", "2"},
	{"net/ipv4/conf/default/accept_source_route", "0"},
	{"net/ipv4/conf/default/promote_secondaries", "1"},
	/* what keel's host profile (config/policy/host.json) expects for every role */
	{"net/core/bpf_jit_harden", "2"},
	{"kernel/kexec_load_disabled", "1"},
	{"kernel/yama/ptrace_scope", "1"},
	{"net/ipv4/conf/all/rp_filter", "1"},
	{"net/ipv4/conf/all/accept_redirects", "0"},
	{"net/ipv4/conf/default/accept_redirects", "0"},
	{"net/ipv6/conf/all/accept_redirects", "0"},
	{"net/ipv6/conf/default/accept_redirects", "0"},
	{"net/ipv4/conf/all/secure_redirects", "0"},
	{"net/ipv4/conf/default/secure_redirects", "0"},
	{"net/ipv4/conf/all/send_redirects", "0"},
	{"net/ipv4/conf/default/send_redirects", "0"},
	{"net/ipv4/conf/all/log_martians", "1"},
	{"net/ipv4/conf/default/log_martians", "1"},
};
const size_t host_nsysctls = sizeof(host_sysctls) / sizeof(host_sysctls[0]);

int host_sysctl(const char *sysdir)
{
	int failed = 0, dirfd = open(sysdir, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (dirfd < 0) {
		log_warn("sysctl: %s: %s; kernel settings left as they are", sysdir, strerror(errno));
		return (int)host_nsysctls;
	}
	for (size_t i = 0; i < host_nsysctls; i++) {
		const struct host_sysctl *s = &host_sysctls[i];
		char name[64];
		str_copy(name, sizeof(name), s->path);
		for (char *p = name; *p; p++)
			if (*p == '/')
				*p = '.';
		size_t len = strlen(s->value);
		int err = 0, fd = openat(dirfd, s->path, O_WRONLY | O_TRUNC | O_NOFOLLOW | O_CLOEXEC); /* as echo V > */
		if (fd < 0)
			err = errno;
		else {
			err = -fs_write_all(fd, s->value, len);
			close(fd);
		}
		if (err) {
			failed++;
			log_warn("sysctl: %s = %s not set: %s", name, s->value, err == ENOENT ? "not in this kernel" : strerror(err));
		} else {
			log_info("sysctl: %s = %s", name, s->value);
		}
	}
	close(dirfd);
	return failed;
}

int host_loopback(struct kerr *e)
{
	struct ifreq ifr;
	int ret = 0, fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return kerr_set(e, -errno, "socket: %s", strerror(errno));
	memset(&ifr, 0, sizeof(ifr));
	strcpy(ifr.ifr_name, "lo");
	if (ioctl(fd, SIOCGIFFLAGS, &ifr))
		ret = kerr_set(e, -errno, "lo: SIOCGIFFLAGS: %s", strerror(errno));
	else if (!(ifr.ifr_flags & IFF_UP)) {
		ifr.ifr_flags |= IFF_UP;
		if (ioctl(fd, SIOCSIFFLAGS, &ifr))
			ret = kerr_set(e, -errno, "lo: SIOCSIFFLAGS: %s", strerror(errno));
	}
	close(fd);
	return ret;
}

int host_securityfs(const char *path, struct kerr *e)
{
	if (mount("securityfs", path, "securityfs", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL) && errno != EBUSY)
		return kerr_set(e, -errno, "mount securityfs on %s: %s", path, strerror(errno));
	return 0;
}
