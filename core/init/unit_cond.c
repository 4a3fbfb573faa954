/* unit_cond.c — host facts, and Condition…=/Assert…= as systemd evaluates them (see unit_cond.h). */
#include "init/unit_cond.h"
#include "init/unit_parse.h"
#include "base/buf.h"
#include "base/fs.h"
#include "base/fnm.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/sysinfo.h>
#include <sys/utsname.h>
#include <unistd.h>
#include <linux/netlink.h>

extern char **environ;

/* ---- host facts ------------------------------------------------------------------------------- */

static struct {
	bool loaded;
	bool have[HF_COUNT];
	char v[HF_COUNT][72];
} host;

/* Up to n - 1 bytes of a small file, NUL-terminated; -1 if it cannot be read. */
static ssize_t small_file(int dirfd, const char *path, char *out, size_t n)
{
	int fd = openat(dirfd, path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0)
		return -1;
	ssize_t r = fs_read_upto(fd, out, n - 1, 0);
	close(fd);
	out[r > 0 ? r : 0] = 0;
	return r;
}

/* uname(2)'s machine, then systemd's name for it, in pairs */
static const char arches[] =
	"x86_64\0" "x86-64\0" "i686\0" "x86\0" "i586\0" "x86\0" "i486\0" "x86\0" "i386\0" "x86\0"
	"aarch64\0" "arm64\0" "aarch64_be\0" "arm64-be\0" "armv8l\0" "arm\0" "armv7l\0" "arm\0" "armv6l\0"
	"arm\0" "armv5tel\0" "arm\0" "armv7b\0" "arm-be\0" "ppc64le\0" "ppc64-le\0" "ppc64\0" "ppc64\0"
	"ppcle\0" "ppc-le\0" "ppc\0" "ppc\0" "s390x\0" "s390x\0" "s390\0" "s390\0" "riscv64\0" "riscv64\0"
	"riscv32\0" "riscv32\0" "loongarch64\0" "loongarch64\0" "mips64\0" "mips64\0" "mips\0" "mips\0"
	"alpha\0" "alpha\0" "sparc64\0" "sparc64\0" "sparc\0" "sparc\0" "ia64\0" "ia64\0" "parisc64\0"
	"parisc64\0" "parisc\0" "parisc\0" "m68k\0" "m68k\0" "sh\0" "sh\0" "sh64\0" "sh64\0" "arc\0"
	"arc\0" "arceb\0" "arc-be\0" "nios2\0" "nios2\0" "cris\0" "cris\0" "tilegx\0" "tilegx\0"
	"mips64el\0" "mips64-le\0" "mipsel\0" "mips-le\0";

bool unit_arch_known(const char *name)
{
	if (!strcmp(name, "native"))
		return true;
	for (const char *k = arches; *k; k += strlen(k) + 1) {
		k += strlen(k) + 1; /* the name of the pair */
		if (!strcmp(k, name))
			return true;
	}
	return false;
}

static void host_load(void)
{
	static const char os_keys[][16] = {"ID=", "VERSION_ID=", "BUILD_ID=", "VARIANT_ID=", "IMAGE_ID=", "IMAGE_VERSION="};
	char buf[4096];
	struct utsname un;
	host.loaded = true;
	if (!gethostname(buf, 65)) {
		buf[64] = 0;
		host.have[HF_HOSTNAME] = !str_copy(host.v[HF_HOSTNAME], 72, buf);
	}
	if (small_file(AT_FDCWD, "/etc/machine-id", buf, 34) >= 32 && strspn(buf, "0123456789abcdef") == 32) {
		memcpy(host.v[HF_MACHINE_ID], buf, 32);
		host.have[HF_MACHINE_ID] = true;
	}
	if (small_file(AT_FDCWD, "/proc/sys/kernel/random/boot_id", buf, 40) >= 36) {
		size_t k = 0;
		for (size_t i = 0; i < 36 && k < 32; i++)
			if (buf[i] != '-')
				host.v[HF_BOOT_ID][k++] = buf[i];
		host.have[HF_BOOT_ID] = k == 32;
	}
	if (!uname(&un)) {
		host.have[HF_KERNEL] = !str_copy(host.v[HF_KERNEL], 72, un.release);
		const char *a = un.machine;
		for (const char *k = arches; *k; k += strlen(k) + 1) {
			const char *name = k + strlen(k) + 1;
			if (!strcmp(k, un.machine))
				a = name;
			k = name;
		}
		host.have[HF_ARCH] = !str_copy(host.v[HF_ARCH], 72, a);
	}
	if (small_file(AT_FDCWD, "/etc/os-release", buf, sizeof(buf)) < 0)
		small_file(AT_FDCWD, "/usr/lib/os-release", buf, sizeof(buf));
	for (int k = 0; k < 6; k++) {
		host.have[HF_OS_ID + k] = true;
		size_t kl = strlen(os_keys[k]);
		for (char *l = buf; l && *l; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : NULL) {
			if (strncmp(l, os_keys[k], kl))
				continue;
			char *v = l + kl, *e = strchr(v, '\n');
			size_t n = e ? (size_t)(e - v) : strlen(v);
			if (n >= 2 && (v[0] == '"' || v[0] == '\'') && v[n - 1] == v[0])
				v++, n -= 2;
			if (n < 72)
				memcpy(host.v[HF_OS_ID + k], v, n), host.v[HF_OS_ID + k][n] = 0;
		}
	}
}

const char *unit_host_fact(enum host_fact f)
{
	if (!host.loaded)
		host_load();
	return host.have[f] ? host.v[f] : NULL;
}

/* ---- value sets --------------------------------------------------------------------------------- */

static const char caps[] =
	"chown\0" "dac_override\0" "dac_read_search\0" "fowner\0" "fsetid\0" "kill\0" "setgid\0" "setuid\0"
	"setpcap\0" "linux_immutable\0" "net_bind_service\0" "net_broadcast\0" "net_admin\0" "net_raw\0"
	"ipc_lock\0" "ipc_owner\0" "sys_module\0" "sys_rawio\0" "sys_chroot\0" "sys_ptrace\0" "sys_pacct\0"
	"sys_admin\0" "sys_boot\0" "sys_nice\0" "sys_resource\0" "sys_time\0" "sys_tty_config\0" "mknod\0"
	"lease\0" "audit_write\0" "audit_control\0" "setfcap\0" "mac_override\0" "mac_admin\0" "syslog\0"
	"wake_alarm\0" "block_suspend\0" "audit_read\0" "perfmon\0" "bpf\0" "checkpoint_restore\0";

int unit_cap_number(const char *name)
{
	if (strncasecmp(name, "CAP_", 4))
		return -1;
	return uv_word_index(caps, name + 4, true);
}

static const char virt_vm[] =
	"qemu\0" "kvm\0" "amazon\0" "zvm\0" "vmware\0" "microsoft\0" "oracle\0" "powervm\0" "xen\0"
	"bochs\0" "uml\0" "parallels\0" "bhyve\0" "qnx\0" "acrn\0" "apple\0" "sre\0" "google\0"
	"vm-other\0";
static const char virt_ct[] =
	"openvz\0" "lxc\0" "lxc-libvirt\0" "systemd-nspawn\0" "docker\0" "podman\0" "rkt\0" "wsl\0"
	"proot\0" "pouch\0" "container-other\0";

#define IN(v, set) (uv_word_index(set, v, false) >= 0)

bool unit_virt_known(const char *value)
{
	bool b;
	return !uv_bool(value, &b, NULL) || !strcmp(value, "vm") || !strcmp(value, "container") ||
		!strcmp(value, "private-users") || IN(value, virt_vm) || IN(value, virt_ct);
}

static const char securities[] =
	"selinux\0" "apparmor\0" "tomoyo\0" "smack\0" "ima\0" "audit\0" "uefi-secureboot\0" "tpm2\0";
bool unit_security_known(const char *value) { return IN(value, securities); }

int unit_cond_op(const char *s, int *op)
{
	static const char *const ops[] = {"<=", ">=", "!=", "<", ">", "="}; /* two-byte ones first */
	static const int codes[] = {'l', 'g', 'n', '<', '>', '='};
	*op = 0;
	size_t n = 0;
	for (size_t i = 0; i < 6 && !n; i++)
		if (!strncmp(s, ops[i], strlen(ops[i])))
			*op = codes[i], n = strlen(ops[i]);
	return s[n + strspn(s + n, " ")] ? (int)(n + strspn(s + n, " ")) : -1;
}

static bool compare(int c, int op)
{
	switch (op) {
	case '<': return c < 0;
	case 'l': return c <= 0;
	case '=': return c == 0;
	case 'n': return c != 0;
	case '>': return c > 0;
	default: return c >= 0;
	}
}

/* ---- detection ---------------------------------------------------------------------------------- */

static const char *virt_detect(void)
{
	static const char dmi[] = /* a DMI string's prefix, then the virtualization it means */
		"KVM\0" "kvm\0" "OpenStack\0" "kvm\0" "KubeVirt\0" "kvm\0" "Amazon EC2\0" "amazon\0" "QEMU\0"
		"qemu\0" "VMware\0" "vmware\0" "VMW\0" "vmware\0" "innotek GmbH\0" "oracle\0" "VirtualBox\0"
		"oracle\0" "Oracle Corporation\0" "oracle\0" "Xen\0" "xen\0" "Bochs\0" "bochs\0" "Parallels\0"
		"parallels\0" "BHYVE\0" "bhyve\0" "Hyper-V\0" "microsoft\0" "Apple Virtualization\0" "apple\0"
		"Google\0" "google\0";
	static const char files[][34] = {"/sys/class/dmi/id/product_name", "/sys/class/dmi/id/sys_vendor",
		"/sys/class/dmi/id/board_vendor", "/sys/class/dmi/id/bios_vendor", "/sys/class/dmi/id/product_version"};
	static char ct[32];
	char buf[4096];
	if (small_file(AT_FDCWD, "/run/systemd/container", ct, sizeof(ct)) > 0) {
		ct[strcspn(ct, "\n")] = 0;
		return IN(ct, virt_ct) ? ct : "container-other";
	}
	for (char **e = environ; e && *e; e++)
		if (!strncmp(*e, "container=", 10))
			return str_copy(ct, sizeof(ct), *e + 10) || !IN(ct, virt_ct) ? "container-other" : ct;
	if (!access("/run/.containerenv", F_OK))
		return "podman";
	for (size_t f = 0; f < sizeof(files) / sizeof(files[0]); f++) {
		if (small_file(AT_FDCWD, files[f], buf, 256) <= 0)
			continue;
		for (const char *k = dmi; *k; k += strlen(k) + 1) {
			const char *id = k + strlen(k) + 1;
			if (!strncmp(buf, k, strlen(k)))
				return id;
			k = id;
		}
	}
	if (!access("/proc/xen", F_OK))
		return "xen";
	if (small_file(AT_FDCWD, "/proc/cpuinfo", buf, sizeof(buf)) > 0 && strstr(buf, " hypervisor"))
		return "vm-other";
	return NULL;
}

static bool virt_holds(const char *v)
{
	const char *id = virt_detect();
	bool b;
	if (!uv_bool(v, &b, NULL))
		return b == (id != NULL);
	if (!strcmp(v, "vm"))
		return id && IN(id, virt_vm);
	if (!strcmp(v, "container"))
		return id && IN(id, virt_ct);
	if (!strcmp(v, "private-users")) {
		char m[256];
		return small_file(AT_FDCWD, "/proc/self/uid_map", m, sizeof(m)) > 0 &&
			!strstr(m, "         0          0 4294967295");
	}
	return id && !strcmp(id, v);
}

static bool cmdline_holds(const char *v)
{
	char buf[4096], word[4096];
	if (small_file(AT_FDCWD, "/proc/cmdline", buf, sizeof(buf)) <= 0)
		return false;
	bool has_eq = strchr(v, '=') != NULL;
	size_t vl = strlen(v);
	for (const char *p = buf; *p;) {
		size_t n = 0;
		bool q = false;
		while (*p == ' ' || *p == '\t' || *p == '\n')
			p++;
		if (!*p)
			break;
		for (; *p && (q || (*p != ' ' && *p != '\t' && *p != '\n')); p++)
			if (*p == '"')
				q = !q;
			else if (n < sizeof(word) - 1)
				word[n++] = *p;
		word[n] = 0;
		if (!strcmp(word, v) || (!has_eq && !strncmp(word, v, vl) && word[vl] == '='))
			return true;
	}
	return false;
}

static bool security_holds(const char *v)
{
	char b[64];
	if (!strcmp(v, "selinux"))
		return !access("/sys/fs/selinux/enforce", F_OK);
	if (!strcmp(v, "apparmor"))
		return small_file(AT_FDCWD, "/sys/module/apparmor/parameters/enabled", b, sizeof(b)) > 0 && b[0] == 'Y';
	if (!strcmp(v, "tomoyo"))
		return !access("/sys/kernel/security/tomoyo/version", F_OK);
	if (!strcmp(v, "smack"))
		return !access("/sys/fs/smackfs", F_OK);
	if (!strcmp(v, "ima"))
		return !access("/sys/kernel/security/ima", F_OK);
	if (!strcmp(v, "uefi-secureboot"))
		return small_file(AT_FDCWD, "/sys/firmware/efi/efivars/SecureBoot-8be4df61-93ca-11d2-aa0d-00e098032b8c",
			       b, sizeof(b)) == 5 && b[4] == 1;
	if (!strcmp(v, "tpm2"))
		return !access("/sys/class/tpmrm/tpmrm0", F_OK);
	/* audit: the kernel has it when a NETLINK_AUDIT socket can be made (systemd's use_audit()) */
	int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC | SOCK_NONBLOCK, NETLINK_AUDIT);
	if (fd < 0)
		return errno != EAFNOSUPPORT && errno != EPROTONOSUPPORT;
	close(fd);
	return true;
}

static bool capability_holds(const char *v)
{
	char buf[4096];
	int n = unit_cap_number(v);
	if (n < 0 || small_file(AT_FDCWD, "/proc/self/status", buf, sizeof(buf)) <= 0)
		return false;
	const char *p = strstr(buf, "\nCapBnd:");
	return p && (strtoull(p + 8, NULL, 16) >> n & 1);
}

static bool controllers_hold(const char *v)
{
	char buf[1024], w[64];
	if (!strcmp(v, "v2"))
		return !access("/sys/fs/cgroup/cgroup.controllers", F_OK);
	if (!strcmp(v, "v1"))
		return false; /* keel runs cgroup v2 only */
	if (small_file(AT_FDCWD, "/sys/fs/cgroup/cgroup.controllers", buf, sizeof(buf)) <= 0)
		return false;
	for (const char *p = v; *p;) { /* every controller named must be there */
		p += strspn(p, " ");
		size_t n = strcspn(p, " ");
		if (!n)
			break;
		if (n >= sizeof(w))
			return false;
		memcpy(w, p, n);
		w[n] = 0;
		p += n;
		bool found = false;
		for (const char *c = buf; *c && !found; c += strcspn(c, " \n"), c += strspn(c, " \n"))
			found = strcspn(c, " \n") == n && !memcmp(c, w, n);
		if (!found)
			return false;
	}
	return true;
}

static bool ac_power(void)
{
	DIR *d = opendir("/sys/class/power_supply");
	bool any_mains = false, online = false;
	struct dirent *de;
	char p[320], b[32];
	while (d && (de = readdir(d)) && !online) {
		if (de->d_name[0] == '.')
			continue;
		snprintf(p, sizeof(p), "/sys/class/power_supply/%s/type", de->d_name);
		if (small_file(AT_FDCWD, p, b, sizeof(b)) <= 0 || strncmp(b, "Mains", 5))
			continue;
		any_mains = true;
		snprintf(p, sizeof(p), "/sys/class/power_supply/%s/online", de->d_name);
		online = small_file(AT_FDCWD, p, b, sizeof(b)) > 0 && b[0] == '1';
	}
	if (d)
		closedir(d);
	return online || !any_mains; /* no information: assume mains, as systemd does */
}

/* First boot: /etc/machine-id (beneath the root) missing, empty or "uninitialized". */
static bool first_boot(int rootfd)
{
	char b[40];
	ssize_t n = small_file(rootfd, "etc/machine-id", b, sizeof(b));
	return n <= 0 || !strncmp(b, "uninitialized", 13) || b[0] == '\n';
}

static bool number_holds(const char *v, uint64_t have)
{
	int op;
	int n = unit_cond_op(v, &op);
	uint64_t want;
	const char *why;
	if (n < 0 || uv_bytes(v + n, &want, &why))
		return false;
	return compare(have < want ? -1 : have > want, op);
}

/* glob(3)'s answer to "does anything match?" for the pattern p beneath dirfd, one component at
 * a time (wildcards match no leading '.', as glob's), at most 32 levels deep. */
static bool glob_any(int dirfd, const char *p, unsigned depth)
{
	char comp[256];
	struct stat st;
	bool found = false;
	p += strspn(p, "/");
	size_t n = strcspn(p, "/");
	if (!*p || depth > 32 || n >= sizeof(comp))
		return *p == 0;
	memcpy(comp, p, n);
	comp[n] = 0;
	const char *rest = p + n + strspn(p + n, "/");
	bool wild = strpbrk(comp, "*?[") != NULL;
	DIR *d = NULL;
	if (wild) {
		int fd = openat(dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (fd < 0 || !(d = fdopendir(fd))) {
			if (fd >= 0)
				close(fd);
			return false;
		}
	}
	for (struct dirent *de = NULL; !found && (!wild || (de = readdir(d)));) {
		const char *name = wild ? de->d_name : comp;
		if (wild && (!strcmp(name, ".") || !strcmp(name, "..") || fnm_match(comp, name, FNM_PERIOD)))
			continue;
		if (!*rest) {
			found = !fstatat(dirfd, name, &st, 0);
		} else {
			int sub = openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
			found = sub >= 0 && glob_any(sub, rest, depth + 1);
			if (sub >= 0)
				close(sub);
		}
		if (!wild)
			break;
	}
	if (d)
		closedir(d);
	return found;
}

static bool path_holds(const struct unit_cond *c, int rootfd)
{
	const char *rel = c->path + strspn(c->path, "/");
	if (!*rel)
		rel = ".";
	struct stat st, pst;
	bool exists = !fstatat(rootfd, rel, &st, 0);
	switch (c->kind) {
	case COND_PATH_EXISTS: return exists;
	case COND_PATH_IS_DIRECTORY: return exists && S_ISDIR(st.st_mode);
	case COND_FILE_NOT_EMPTY: return exists && S_ISREG(st.st_mode) && st.st_size > 0;
	case COND_FILE_IS_EXECUTABLE: return exists && S_ISREG(st.st_mode) && (st.st_mode & 0111);
	case COND_PATH_IS_SYMLINK: return !fstatat(rootfd, rel, &st, AT_SYMLINK_NOFOLLOW) && S_ISLNK(st.st_mode);
	case COND_PATH_IS_MOUNT_POINT: {
		char up[4096];
		if (!exists || !S_ISDIR(st.st_mode) || snprintf(up, sizeof(up), "%s/..", rel) >= (int)sizeof(up) ||
			fstatat(rootfd, up, &pst, 0))
			return false;
		return st.st_dev != pst.st_dev || st.st_ino == pst.st_ino;
	}
	case COND_PATH_IS_READ_WRITE: {
		struct statvfs sv;
		int fd = openat(rootfd, rel, O_PATH | O_CLOEXEC);
		bool rw = fd >= 0 && !fstatvfs(fd, &sv) && !(sv.f_flag & ST_RDONLY);
		if (fd >= 0)
			close(fd);
		return rw;
	}
	case COND_DIRECTORY_NOT_EMPTY: {
		int fd = openat(rootfd, rel, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
		struct dirent *de;
		bool any = false;
		if (!d && fd >= 0)
			close(fd);
		while (d && !any && (de = readdir(d)))
			any = strcmp(de->d_name, ".") && strcmp(de->d_name, "..");
		if (d)
			closedir(d);
		return any;
	}
	case COND_PATH_EXISTS_GLOB:
		return glob_any(rootfd, rel, 0);
	default: { /* COND_NEEDS_UPDATE: /usr changed since DIR/.updated was stamped */
		char up[4096];
		struct stat us;
		if (snprintf(up, sizeof(up), "%s/.updated", rel) >= (int)sizeof(up) || fstatat(rootfd, "usr", &us, 0))
			return false;
		if (fstatat(rootfd, up, &st, 0))
			return true;
		return us.st_mtim.tv_sec > st.st_mtim.tv_sec ||
			(us.st_mtim.tv_sec == st.st_mtim.tv_sec && us.st_mtim.tv_nsec > st.st_mtim.tv_nsec);
	}
	}
}

static bool holds(const struct unit_cond *c, int rootfd)
{
	const char *v = c->path, *f;
	bool b = false;
	struct sysinfo si;
	cpu_set_t cs;
	int op, n;
	if (c->kind <= COND_LAST_PATH)
		return path_holds(c, rootfd);
	switch (c->kind) {
	case COND_VIRTUALIZATION: return virt_holds(v);
	case COND_CAPABILITY: return capability_holds(v);
	case COND_KERNEL_COMMAND_LINE: return cmdline_holds(v);
	case COND_KERNEL_VERSION:
		f = unit_host_fact(HF_KERNEL);
		if (!f)
			return false;
		n = unit_cond_op(v, &op);
		if (n < 0)
			return false;
		if (!op)
			return !fnm_match(v, f, 0);
		return compare(strverscmp(f, v + n), op);
	case COND_ARCHITECTURE:
		f = unit_host_fact(HF_ARCH);
		return f && (!strcmp(v, "native") || !strcmp(v, f));
	case COND_HOST:
		f = unit_host_fact(HF_MACHINE_ID);
		if (f && !strcasecmp(f, v))
			return true;
		f = unit_host_fact(HF_HOSTNAME);
		return f && !fnm_match(v, f, FNM_CASEFOLD);
	case COND_FIRST_BOOT:
		uv_bool(v, &b, NULL);
		return first_boot(rootfd) == b;
	case COND_SECURITY: return security_holds(v);
	case COND_CONTROL_GROUP_CONTROLLER: return controllers_hold(v);
	case COND_MEMORY:
		return !sysinfo(&si) && number_holds(v, (uint64_t)si.totalram * si.mem_unit);
	case COND_CPUS:
		CPU_ZERO(&cs);
		if (sched_getaffinity(0, sizeof(cs), &cs))
			return false;
		n = unit_cond_op(v, &op);
		if (n < 0)
			return false;
		uint64_t want = strtoull(v + n, NULL, 10), have = (uint64_t)CPU_COUNT(&cs);
		return compare(have < want ? -1 : have > want, op);
	case COND_ENVIRONMENT:
		for (char **e = environ; e && *e; e++) {
			size_t l = strlen(v);
			if (!strcmp(*e, v) || (!strchr(v, '=') && !strncmp(*e, v, l) && (*e)[l] == '='))
				return true;
		}
		return false;
	case COND_AC_POWER:
		uv_bool(v, &b, NULL);
		return ac_power() == b;
	case COND_USER: /* the system manager runs as root */
		return !strcmp(v, "root") || !strcmp(v, "0") || !strcmp(v, "@system");
	case COND_GROUP:
		return !strcmp(v, "root") || !strcmp(v, "0");
	default:
		return false;
	}
}

bool unit_cond_holds(const struct unit_cond *c, int rootfd) { return holds(c, rootfd) != c->negate; }

const struct unit_cond *unit_cond_failed(const struct unit_cond *conds, size_t n, bool assert, int rootfd)
{
	const struct unit_cond *first_trigger = NULL;
	bool triggered = false;
	for (size_t i = 0; i < n; i++) {
		const struct unit_cond *c = &conds[i];
		if (c->assert != assert)
			continue;
		if (c->trigger) {
			if (!first_trigger)
				first_trigger = c;
			if (!triggered)
				triggered = unit_cond_holds(c, rootfd);
		} else if (!unit_cond_holds(c, rootfd)) {
			return c;
		}
	}
	return first_trigger && !triggered ? first_trigger : NULL;
}
