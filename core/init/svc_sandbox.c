/* svc_sandbox.c — systemd's sandboxing directives: the parser (unit_sandbox_key) and what the
 * service's child does with them (unit_sandbox_apply). See svc_sandbox.h; each rule below is the
 * behaviour systemd.exec(5) of systemd 252 describes, written anew. */
#include "init/svc_sandbox.h"
#include "init/devices.h"
#include "base/buf.h"
#include "base/err.h"
#include "base/fs.h"
#include "base/mountinfo.h"
#include "base/sandbox.h"

#include <errno.h>
#include <fcntl.h>
#include <dirent.h>
#include <linux/capability.h>
#include <linux/mount.h>
#include <net/if.h>
#include <sched.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/shm.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

/* Mount plan entries; at one path the lower kind wins (InaccessiblePaths= over a bind…). */
enum sb_kind { K_INACCESSIBLE, K_BIND, K_BIND_RO, K_TMPFS, K_DEV, K_PROC, K_RO, K_RW };

/* System call groups of systemd 252 (`systemd-analyze syscall-filter` of 252.39-1~deb12u2),
 * members that are calls of x86-64 or arm64 only; "@name" includes another group. */
static const char groups[] =
	"default arch_prctl brk clock_getres clock_gettime clock_nanosleep execve exit exit_group "
	"futex futex_waitv get_robust_list get_thread_area getegid geteuid getgid getgroups getpgid "
	"getpgrp getpid getppid getrandom getresgid getresuid getrlimit getsid gettid gettimeofday "
	"getuid membarrier mmap mprotect munmap nanosleep pause prlimit64 restart_syscall rseq "
	"rt_sigreturn sched_getaffinity sched_yield set_robust_list set_thread_area set_tid_address "
	"time uretprobe\n"
	"aio io_cancel io_destroy io_getevents io_pgetevents io_setup io_submit io_uring_enter "
	"io_uring_register io_uring_setup\n"
	"basic-io close close_range dup dup2 dup3 lseek pread64 preadv preadv2 pwrite64 pwritev "
	"pwritev2 read readv write writev\n"
	"chown chown fchown fchownat lchown\n"
	"clock adjtimex clock_adjtime clock_settime settimeofday\n"
	"cpu-emulation modify_ldt\n"
	"debug lookup_dcookie perf_event_open pidfd_getfd ptrace\n"
	"file-system access chdir chmod close creat faccessat faccessat2 fallocate fchdir fchmod "
	"fchmodat fchmodat2 fcntl fgetxattr flistxattr fremovexattr fsetxattr fstat fstatfs "
	"ftruncate futimesat getcwd getdents getdents64 getxattr inotify_add_watch inotify_init "
	"inotify_init1 inotify_rm_watch lgetxattr link linkat listxattr llistxattr lremovexattr "
	"lsetxattr lstat mkdir mkdirat mknod mknodat newfstatat open openat openat2 readlink "
	"readlinkat removexattr rename renameat renameat2 rmdir setxattr stat statfs statx symlink "
	"symlinkat truncate unlink unlinkat utime utimensat utimes\n"
	"io-event epoll_create epoll_create1 epoll_ctl epoll_ctl_old epoll_pwait epoll_pwait2 "
	"epoll_wait epoll_wait_old eventfd eventfd2 poll ppoll pselect6 select\n"
	"ipc memfd_create mq_getsetattr mq_notify mq_open mq_timedreceive mq_timedsend mq_unlink "
	"msgctl msgget msgrcv msgsnd pipe pipe2 process_madvise process_vm_readv process_vm_writev "
	"semctl semget semop semtimedop shmat shmctl shmdt shmget\n"
	"keyring add_key keyctl request_key\n"
	"memlock mlock mlock2 mlockall munlock munlockall\n"
	"module delete_module finit_module init_module\n"
	"mount chroot fsconfig fsmount fsopen fspick mount mount_setattr move_mount open_tree "
	"pivot_root umount2\n"
	"network-io accept accept4 bind connect getpeername getsockname getsockopt listen recvfrom "
	"recvmmsg recvmsg sendmmsg sendmsg sendto setsockopt shutdown socket socketpair\n"
	"obsolete _sysctl afs_syscall create_module get_kernel_syms getpmsg putpmsg query_module "
	"security sysfs tuxcall uselib ustat vserver\n"
	"pkey pkey_alloc pkey_free pkey_mprotect\n"
	"privileged @chown @clock @module @raw-io @reboot @swap _sysctl acct bpf capset chroot "
	"fanotify_init fanotify_mark nfsservctl open_by_handle_at pivot_root quotactl quotactl_fd "
	"setdomainname setfsuid setgroups sethostname setresuid setreuid setuid vhangup\n"
	"process capget clone clone3 execveat fork getrusage kill pidfd_open pidfd_send_signal prctl "
	"rt_sigqueueinfo rt_tgsigqueueinfo setns tgkill times tkill unshare vfork wait4 waitid\n"
	"raw-io ioperm iopl\n"
	"reboot kexec_file_load kexec_load reboot\n"
	"resources ioprio_set mbind migrate_pages move_pages sched_setaffinity sched_setattr "
	"sched_setparam sched_setscheduler set_mempolicy set_mempolicy_home_node setpriority "
	"setrlimit\n"
	"setuid setgid setgroups setregid setresgid setresuid setreuid setuid\n"
	"signal rt_sigaction rt_sigpending rt_sigprocmask rt_sigsuspend rt_sigtimedwait sigaltstack "
	"signalfd signalfd4\n"
	"swap swapoff swapon\n"
	"sync fdatasync fsync msync sync sync_file_range syncfs\n"
	"system-service @aio @basic-io @chown @default @file-system @io-event @ipc @keyring @memlock "
	"@network-io @process @resources @setuid @signal @sync @timer capget capset copy_file_range "
	"fadvise64 flock get_mempolicy getcpu getpriority ioctl ioprio_get kcmp madvise mremap "
	"name_to_handle_at personality readahead remap_file_pages sched_get_priority_max "
	"sched_get_priority_min sched_getattr sched_getparam sched_getscheduler "
	"sched_rr_get_interval sched_yield sendfile setfsgid setfsuid setpgid setsid splice sysinfo "
	"tee umask uname userfaultfd vmsplice\n"
	"timer alarm getitimer setitimer timer_create timer_delete timer_getoverrun timer_gettime "
	"timer_settime timerfd_create timerfd_gettime timerfd_settime times\n";

/* errno names by number (1..133), as SystemCallErrorNumber= and "name:errno" take them. */
static const char errno_names[] =
	"EPERM ENOENT ESRCH EINTR EIO ENXIO E2BIG ENOEXEC EBADF ECHILD EAGAIN ENOMEM EACCES EFAULT "
	"ENOTBLK EBUSY EEXIST EXDEV ENODEV ENOTDIR EISDIR EINVAL ENFILE EMFILE ENOTTY ETXTBSY EFBIG "
	"ENOSPC ESPIPE EROFS EMLINK EPIPE EDOM ERANGE EDEADLK ENAMETOOLONG ENOLCK ENOSYS ENOTEMPTY "
	"ELOOP - ENOMSG EIDRM ECHRNG EL2NSYNC EL3HLT EL3RST ELNRNG EUNATCH ENOCSI EL2HLT EBADE EBADR "
	"EXFULL ENOANO EBADRQC EBADSLT - EBFONT ENOSTR ENODATA ETIME ENOSR ENONET ENOPKG EREMOTE "
	"ENOLINK EADV ESRMNT ECOMM EPROTO EMULTIHOP EDOTDOT EBADMSG EOVERFLOW ENOTUNIQ EBADFD "
	"EREMCHG ELIBACC ELIBBAD ELIBSCN ELIBMAX ELIBEXEC EILSEQ ERESTART ESTRPIPE EUSERS ENOTSOCK "
	"EDESTADDRREQ EMSGSIZE EPROTOTYPE ENOPROTOOPT EPROTONOSUPPORT ESOCKTNOSUPPORT EOPNOTSUPP "
	"EPFNOSUPPORT EAFNOSUPPORT EADDRINUSE EADDRNOTAVAIL ENETDOWN ENETUNREACH ENETRESET "
	"ECONNABORTED ECONNRESET ENOBUFS EISCONN ENOTCONN ESHUTDOWN ETOOMANYREFS ETIMEDOUT "
	"ECONNREFUSED EHOSTDOWN EHOSTUNREACH EALREADY EINPROGRESS ESTALE EUCLEAN ENOTNAM ENAVAIL "
	"EISNAM EREMOTEIO EDQUOT ENOMEDIUM EMEDIUMTYPE ECANCELED ENOKEY EKEYEXPIRED EKEYREVOKED "
	"EKEYREJECTED EOWNERDEAD ENOTRECOVERABLE ERFKILL -";

static const char cap_names[] =
	"chown dac_override dac_read_search fowner fsetid kill setgid setuid setpcap linux_immutable "
	"net_bind_service net_broadcast net_admin net_raw ipc_lock ipc_owner sys_module sys_rawio "
	"sys_chroot sys_ptrace sys_pacct sys_admin sys_boot sys_nice sys_resource sys_time "
	"sys_tty_config mknod lease audit_write audit_control setfcap mac_override mac_admin syslog "
	"wake_alarm block_suspend audit_read perfmon bpf checkpoint_restore";

static const char af_names[] =
	"- UNIX INET AX25 IPX APPLETALK NETROM BRIDGE ATMPVC X25 INET6 ROSE DECnet NETBEUI SECURITY KEY "
	"NETLINK PACKET ASH ECONET ATMSVC RDS SNA IRDA PPPOX WANPIPE LLC IB MPLS CAN TIPC BLUETOOTH IUCV "
	"RXRPC ISDN PHONET IEEE802154 CAIF ALG NFC VSOCK KCM QIPCRTR SMC XDP MCTP";
#define AF_COUNT 46

static const struct { char name[8]; uint64_t flag; } ns_names[] = {
	{"cgroup", CLONE_NEWCGROUP}, {"ipc", CLONE_NEWIPC}, {"net", CLONE_NEWNET}, {"mnt", CLONE_NEWNS},
	{"pid", CLONE_NEWPID}, {"user", CLONE_NEWUSER}, {"uts", CLONE_NEWUTS},
};
#define NS_ALL ((uint64_t)(CLONE_NEWCGROUP | CLONE_NEWIPC | CLONE_NEWNET | CLONE_NEWNS | CLONE_NEWPID | \
	CLONE_NEWUSER | CLONE_NEWUTS))

/* SystemCallArchitectures= names (systemd's) and libseccomp's; bit i + 1 of sb->archs. */
static const char arch_names[] = "native x86 x86-64 x32";

static const char dir_base[SB_NDIRS][12] = {"/run", "/var/lib", "/var/cache", "/var/log", "/etc"};
static const char dir_env[SB_NDIRS][24] = {"RUNTIME_DIRECTORY", "STATE_DIRECTORY", "CACHE_DIRECTORY",
	"LOGS_DIRECTORY", "CONFIGURATION_DIRECTORY"};

/* Directives of systemd.exec(5) keel does not honour: refused by name, with the reason. */
static const char refused[] =
	"DynamicUser|no dynamic users; add the user to /etc/passwd and set User=\n"
	"PrivateUsers|keel sets up no user namespaces\n"
	"IPAddressAllow IPAddressDeny IPIngressFilterPath IPEgressFilterPath SocketBindAllow SocketBindDeny RestrictNetworkInterfaces|needs a cgroup BPF program; keel loads none\n"
	"RestrictFileSystems|needs the BPF LSM; keel loads none\n"
	"SystemCallLog SecureBits NoExecPaths ExecPaths MountImages ExtensionImages ExtensionDirectories Personality KeyringMode RemoveIPC|not supported\n"
	"RootDirectory RootImage RootImageOptions RootHash RootHashSignature RootVerity|services run in the host's root\n"
	"MountAPIVFS|only meaningful with RootDirectory=, which keel does not support\n"
	"MountFlags|keel's mount namespaces always receive the host's mounts (slave), never send\n"
	"NetworkNamespacePath|not supported; use PrivateNetwork=\n"
	"IPCNamespacePath|not supported; use PrivateIPC=\n"
	"SELinuxContext AppArmorProfile SmackProcessLabel|keel sets no LSM labels\n"
	"PAMName|keel has no PAM\n"
	"LoadCredential LoadCredentialEncrypted SetCredential SetCredentialEncrypted ImportCredential|no service credentials in keel\n";

enum type {
	T_BOOL, T_SYSTEM, T_HOME, T_PROC, T_SUBSET, T_UMASK, T_CAPS, T_NS, T_AF, T_PATHS, T_BIND, T_TMPFS,
	T_DIR, T_DIRMODE, T_PRESERVE, T_FILTER, T_ARCH, T_ERRNO, T_DEVPOL, T_DEVALLOW,
};
#define O(f) offsetof(struct unit_sandbox, f)
static const char key_names[] =
	"NoNewPrivileges PrivateTmp PrivateDevices PrivateNetwork ProtectKernelTunables "
	"ProtectKernelModules ProtectKernelLogs ProtectControlGroups ProtectClock ProtectHostname "
	"RestrictRealtime RestrictSUIDSGID LockPersonality MemoryDenyWriteExecute PrivateIPC "
	"PrivateMounts ProtectSystem ProtectHome ProtectProc ProcSubset UMask CapabilityBoundingSet "
	"AmbientCapabilities RestrictNamespaces RestrictAddressFamilies ReadOnlyPaths ReadWritePaths "
	"InaccessiblePaths BindPaths BindReadOnlyPaths TemporaryFileSystem RuntimeDirectory "
	"StateDirectory CacheDirectory LogsDirectory ConfigurationDirectory RuntimeDirectoryMode "
	"StateDirectoryMode CacheDirectoryMode LogsDirectoryMode ConfigurationDirectoryMode "
	"RuntimeDirectoryPreserve SystemCallFilter SystemCallArchitectures SystemCallErrorNumber DevicePolicy "
	"DeviceAllow";
static const struct key { uint8_t type; uint16_t arg; } keys[] = {
	{T_BOOL, O(no_new_privs)}, /* NoNewPrivileges */
	{T_BOOL, O(private_tmp)}, /* PrivateTmp */
	{T_BOOL, O(private_devices)}, /* PrivateDevices */
	{T_BOOL, O(private_network)}, /* PrivateNetwork */
	{T_BOOL, O(protect_tunables)}, /* ProtectKernelTunables */
	{T_BOOL, O(protect_modules)}, /* ProtectKernelModules */
	{T_BOOL, O(protect_logs)}, /* ProtectKernelLogs */
	{T_BOOL, O(protect_cgroups)}, /* ProtectControlGroups */
	{T_BOOL, O(protect_clock)}, /* ProtectClock */
	{T_BOOL, O(protect_hostname)}, /* ProtectHostname */
	{T_BOOL, O(restrict_realtime)}, /* RestrictRealtime */
	{T_BOOL, O(restrict_suid)}, /* RestrictSUIDSGID */
	{T_BOOL, O(lock_personality)}, /* LockPersonality */
	{T_BOOL, O(mdwe)}, /* MemoryDenyWriteExecute */
	{T_BOOL, O(private_ipc)}, /* PrivateIPC */
	{T_BOOL, O(private_mounts)}, /* PrivateMounts */
	{T_SYSTEM, 0}, /* ProtectSystem */
	{T_HOME, 0}, /* ProtectHome */
	{T_PROC, 0}, /* ProtectProc */
	{T_SUBSET, 0}, /* ProcSubset */
	{T_UMASK, 0}, /* UMask */
	{T_CAPS, 0}, /* CapabilityBoundingSet */
	{T_CAPS, 1}, /* AmbientCapabilities */
	{T_NS, 0}, /* RestrictNamespaces */
	{T_AF, 0}, /* RestrictAddressFamilies */
	{T_PATHS, K_RO}, /* ReadOnlyPaths */
	{T_PATHS, K_RW}, /* ReadWritePaths */
	{T_PATHS, K_INACCESSIBLE}, /* InaccessiblePaths */
	{T_BIND, K_BIND}, /* BindPaths */
	{T_BIND, K_BIND_RO}, /* BindReadOnlyPaths */
	{T_TMPFS, K_TMPFS}, /* TemporaryFileSystem */
	{T_DIR, SB_RUNTIME}, /* RuntimeDirectory */
	{T_DIR, SB_STATE}, /* StateDirectory */
	{T_DIR, SB_CACHE}, /* CacheDirectory */
	{T_DIR, SB_LOGS}, /* LogsDirectory */
	{T_DIR, SB_CONFIG}, /* ConfigurationDirectory */
	{T_DIRMODE, SB_RUNTIME}, /* RuntimeDirectoryMode */
	{T_DIRMODE, SB_STATE}, /* StateDirectoryMode */
	{T_DIRMODE, SB_CACHE}, /* CacheDirectoryMode */
	{T_DIRMODE, SB_LOGS}, /* LogsDirectoryMode */
	{T_DIRMODE, SB_CONFIG}, /* ConfigurationDirectoryMode */
	{T_PRESERVE, 0}, /* RuntimeDirectoryPreserve */
	{T_FILTER, 0}, /* SystemCallFilter */
	{T_ARCH, 0}, /* SystemCallArchitectures */
	{T_ERRNO, 0}, /* SystemCallErrorNumber */
	{T_DEVPOL, 0}, /* DevicePolicy */
	{T_DEVALLOW, 0}, /* DeviceAllow */
};

/* ---- parsing ------------------------------------------------------------------------------------ */

static int bad(struct kerr *e, const char *key, const char *why)
{
	return kerr_set(e, -EINVAL, "%s=: %s", key, why);
}

/* Index of w[0..wl) among the space-separated words of list, or -1. */
static int word_index(const char *list, const char *w, size_t wl, bool icase)
{
	int i = 0;
	for (const char *p = list; *p; i++) {
		size_t n = strcspn(p, " ");
		if (n == wl && !(icase ? strncasecmp(p, w, n) : strncmp(p, w, n)))
			return i;
		p += n + (p[n] == ' ');
	}
	return -1;
}

static int errno_value(const char *s, int *out)
{
	char *end;
	if (!strcmp(s, "kill"))
		return *out = -1, 0;
	long v = strtol(s, &end, 10);
	if (*s >= '0' && *s <= '9' && !*end && v >= 0 && v <= 4095)
		return *out = (int)v, 0;
	int i = word_index(errno_names, s, strlen(s), false);
	return i < 0 ? -EINVAL : (*out = i + 1, 0);
}

static void strip_tilde(const char **v, bool *invert)
{
	*invert = **v == '~';
	if (*invert)
		for (++*v; **v == ' ' || **v == '\t'; ++*v)
			;
}

static int split(const char *key, const char *v, struct strv *w, struct kerr *e)
{
	const char *why = NULL;
	int ret = uv_words(v, false, w, &why);
	if (ret)
		return ret == -ENOMEM ? kerr_set(e, ret, "out of memory") : bad(e, key, why);
	return 0;
}

/* Merge a list into a set as systemd does: the first assignment decides (a list sets, "~list"
 * sets all but the list); later lines add (OR) or, with "~", remove (AND NOT). */
static void merge(uint64_t *set, bool *was_set, uint64_t list, bool invert, uint64_t all)
{
	if (invert)
		*set = (*was_set ? *set : all) & ~list;
	else
		*set = (*was_set ? *set : 0) | list;
	*was_set = true;
}

static int cap_bit(const char *n)
{
	return strncasecmp(n, "cap_", 4) ? -1 : word_index(cap_names, n + 4, strlen(n + 4), true);
}

static int af_bit(const char *n)
{
	int f = strncmp(n, "AF_", 3) ? -1 : word_index(af_names, n + 3, strlen(n + 3), false);
	return f > 0 ? f : -1;
}

static int ns_bit(const char *n)
{
	for (size_t j = 0; j < sizeof(ns_names) / sizeof(ns_names[0]); j++)
		if (!strcmp(ns_names[j].name, n))
			return __builtin_ctzll(ns_names[j].flag);
	return -1;
}

/* "[~]NAME NAME…" as a set of bits (lookup: a name's bit, or -1); *v is left after the '~'. */
static int name_set(const char *key, const char **v, int (*lookup)(const char *), const char *unknown,
	uint64_t *list, bool *invert, struct kerr *e)
{
	struct strv w = {0};
	int ret;
	*list = 0;
	strip_tilde(v, invert);
	ret = split(key, *v, &w, e);
	for (size_t i = 0; i < w.n && !ret; i++) {
		int b = lookup(w.v[i]);
		if (b < 0)
			ret = bad(e, key, unknown);
		else
			*list |= 1ull << b;
	}
	strv_clear(&w);
	return ret;
}

static int set_caps(struct unit_sandbox *sb, const struct key *k, const char *key, const char *v, struct kerr *e)
{
	uint64_t *set = k->arg ? &sb->ambient : &sb->bset, list;
	bool *was = k->arg ? &sb->ambient_set : &sb->bset_set, invert;
	int ret;
	if (!*v) { /* the empty set */
		*set = 0;
		*was = true;
		return 0;
	}
	if ((ret = name_set(key, &v, cap_bit, "unknown capability", &list, &invert, e)))
		return ret;
	if (invert && !*v) { /* "~" alone: the full set */
		*set = k->arg ? ~0ull : 0;
		*was = !!k->arg;
	} else {
		merge(set, was, list, invert, ~0ull);
	}
	return 0;
}

static int set_ns(struct unit_sandbox *sb, const char *key, const char *v, struct kerr *e)
{
	uint64_t list;
	bool b, invert;
	const char *why;
	int ret;
	if (!*v || !uv_bool(v, &b, &why)) { /* no: no restriction; yes: none allowed */
		sb->ns_set = *v && b;
		sb->ns_allowed = 0;
		return 0;
	}
	if ((ret = name_set(key, &v, ns_bit, "not a namespace type (cgroup ipc net mnt pid user uts)", &list, &invert, e)))
		return ret;
	merge(&sb->ns_allowed, &sb->ns_set, list, invert, NS_ALL);
	return 0;
}

static int set_af(struct unit_sandbox *sb, const char *key, const char *v, struct kerr *e)
{
	uint64_t list;
	bool invert;
	int ret;
	if (!*v || !strcmp(v, "none")) { /* none: an empty allow-list */
		sb->af_mode = *v ? 1 : 0;
		sb->af = 0;
		return 0;
	}
	if ((ret = name_set(key, &v, af_bit, "unknown address family", &list, &invert, e)))
		return ret;
	if (!sb->af_mode)
		sb->af_mode = invert ? 2 : 1;
	if ((sb->af_mode == 2) == invert) /* the same kind of list: add */
		sb->af |= list;
	else
		sb->af &= ~list;
	return 0;
}

static int path_ok(const char *p)
{
	if (p[0] != '/' || strlen(p) > 4000)
		return 0;
	for (const char *s = p; *s; s++)
		if (s[0] == '/' && s[1] == '.' && (s[2] == '/' || !s[2] || (s[2] == '.' && (s[3] == '/' || !s[3]))))
			return 0;
	return 1;
}

static int add_path(struct unit_sandbox *sb, const struct sb_path *in, struct kerr *e, const char *key)
{
	if (sb->npaths == SB_PATHS_MAX)
		return bad(e, key, "too many paths");
	struct sb_path *n = realloc(sb->paths, (sb->npaths + 1) * sizeof(*n));
	if (!n)
		return kerr_set(e, -ENOMEM, "out of memory");
	sb->paths = n;
	struct sb_path *p = &n[sb->npaths];
	*p = *in;
	p->path = strdup(in->path);
	p->src = in->src ? strdup(in->src) : NULL;
	p->opts = in->opts ? strdup(in->opts) : NULL;
	sb->npaths++;
	if (!p->path || (in->src && !p->src) || (in->opts && !p->opts))
		return kerr_set(e, -ENOMEM, "out of memory");
	return 0;
}

static void path_free(struct sb_path *p)
{
	free(p->path);
	free(p->src);
	free(p->opts);
}

/* TemporaryFileSystem= options: flags by name, size= mode= nr_inodes= uid= gid= as tmpfs data. */
static int tmpfs_opts(const char *o, unsigned long *flags, struct buf *data)
{
	static const struct { char n[14]; unsigned long set, clr; } f[] = {
		{"ro", MS_RDONLY, 0}, {"rw", 0, MS_RDONLY}, {"nodev", MS_NODEV, 0}, {"dev", 0, MS_NODEV},
		{"nosuid", MS_NOSUID, 0}, {"suid", 0, MS_NOSUID}, {"noexec", MS_NOEXEC, 0}, {"exec", 0, MS_NOEXEC},
		{"strictatime", MS_STRICTATIME, 0}, {"nostrictatime", 0, MS_STRICTATIME}, {"noatime", MS_NOATIME, 0},
		{"relatime", MS_RELATIME, 0},
	};
	static const char data_keys[][12] = {"size=", "mode=", "nr_inodes=", "uid=", "gid="};
	bool mode = false;
	while (*o) {
		size_t n = strcspn(o, ","), i;
		for (i = 0; i < sizeof(f) / sizeof(f[0]); i++)
			if (strlen(f[i].n) == n && !memcmp(o, f[i].n, n)) {
				*flags = (*flags | f[i].set) & ~f[i].clr;
				break;
			}
		if (i == sizeof(f) / sizeof(f[0])) {
			for (i = 0; i < 5 && strncmp(o, data_keys[i], strlen(data_keys[i])); i++)
				;
			if (i == 5)
				return -EINVAL;
			mode |= i == 1;
			if ((data->len && buf_put(data, ",", 1)) || buf_put(data, o, n))
				return -E2BIG;
		}
		o += n + (o[n] == ',');
	}
	if (!mode && ((data->len && buf_put(data, ",", 1)) || buf_put(data, "mode=0755", 9)))
		return -E2BIG;
	return buf_put(data, "", 1) ? -E2BIG : 0;
}

/* ReadOnlyPaths= and the other path lists, BindPaths=, BindReadOnlyPaths=, TemporaryFileSystem=. */
static int set_paths(struct unit_sandbox *sb, const struct key *k, const char *key, const char *v, struct kerr *e)
{
	struct strv w = {0};
	int ret;
	if (!*v) { /* reset this directive's entries */
		size_t j = 0;
		for (size_t i = 0; i < sb->npaths; i++)
			if (sb->paths[i].kind == k->arg)
				path_free(&sb->paths[i]);
			else
				sb->paths[j++] = sb->paths[i];
		sb->npaths = j;
		return 0;
	}
	if ((ret = split(key, v, &w, e)))
		goto out;
	for (size_t i = 0; i < w.n && !ret; i++) {
		char *s = w.v[i], *c1 = NULL, *c2 = NULL;
		struct sb_path p = {.kind = (uint8_t)k->arg};
		struct buf data = BUF_INIT(256);
		if (k->type != T_TMPFS && *s == '-')
			s++, p.optional = true;
		if (k->type == T_PATHS && *s == '+') /* relative to RootDirectory=, which is the host's root */
			s++;
		if (k->type != T_PATHS && (c1 = strchr(s, ':')))
			*c1++ = 0;
		if (k->type == T_BIND && c1 && (c2 = strchr(c1, ':')))
			*c2++ = 0;
		p.path = c1 && k->type == T_BIND ? c1 : s;
		p.src = k->type == T_BIND ? s : NULL;
		if (!path_ok(p.path) || (p.src && !path_ok(p.src)))
			ret = bad(e, key, "not an absolute, normalized path");
		else if (c2 && strcmp(c2, "rbind") && strcmp(c2, "norbind"))
			ret = bad(e, key, "bind options are rbind or norbind");
		else if (k->type == T_TMPFS) {
			p.flags = MS_NODEV | MS_STRICTATIME;
			int r = tmpfs_opts(c1 ? c1 : "", &p.flags, &data);
			if (r)
				ret = bad(e, key, r == -E2BIG ? "options too long" : "unknown tmpfs option");
			p.opts = (char *)data.p;
		}
		p.norbind = c2 && !strcmp(c2, "norbind");
		if (!ret)
			ret = add_path(sb, &p, e, key);
		buf_free(&data);
	}
out:
	strv_clear(&w);
	return ret;
}

static bool dir_name_ok(const char *s)
{
	if (!*s || *s == '/' || strlen(s) > 255)
		return false;
	for (const char *p = s; *p; p++)
		if ((p == s || p[-1] == '/') && (p[0] == '/' || (p[0] == '.' && (!p[1] || p[1] == '/' ||
			(p[1] == '.' && (!p[2] || p[2] == '/'))))))
			return false;
	return s[strlen(s) - 1] != '/';
}

static int set_dirs(struct unit_sandbox *sb, const struct key *k, const char *key, const char *v, struct kerr *e)
{
	struct strv w = {0}, *l = &sb->dirs[k->arg];
	int ret;
	if (!*v) {
		strv_clear(l);
		return 0;
	}
	if ((ret = split(key, v, &w, e)))
		goto out;
	for (size_t i = 0; i < w.n && !ret; i++) {
		size_t n = strlen(w.v[i]); /* "irqbalance/" is "irqbalance", as systemd simplifies it */
		while (n > 1 && w.v[i][n - 1] == '/')
			w.v[i][--n] = 0;
		char *c = strchr(w.v[i], ':');
		if (c)
			*c = 0;
		if (!dir_name_ok(w.v[i]) || (c && (!dir_name_ok(c + 1) || k->arg == SB_CONFIG)))
			ret = bad(e, key, "not a relative directory name without '..' (or NAME:SYMLINK)");
		if (c)
			*c = ':';
		if (!ret && !strv_has(l, w.v[i]) && (ret = strv_push(l, w.v[i])))
			ret = kerr_set(e, ret, "%s=: too many entries", key);
	}
out:
	strv_clear(&w);
	return ret;
}

/* Add (or with del, remove) one name or @group to the filter set. err: the name's ":errno". */
static int filter_name(struct unit_sandbox *sb, const char *key, const char *n, size_t nl, bool del, int err,
	bool group_member, unsigned depth, struct kerr *e)
{
	char name[64];
	if (nl >= sizeof(name) || depth > 4)
		return bad(e, key, "system call name too long");
	memcpy(name, n, nl);
	name[nl] = 0;
	if (name[0] == '@') {
		for (const char *p = groups; *p; p += strcspn(p, "\n") + 1) {
			size_t gl = strcspn(p, " \n");
			if (gl != nl - 1 || memcmp(p, name + 1, gl))
				continue;
			for (p += gl; *p == ' ';) {
				p++;
				size_t ml = strcspn(p, " \n");
				int ret = filter_name(sb, key, p, ml, del, err, true, depth + 1, e);
				if (ret)
					return ret;
				p += ml;
			}
			return 0;
		}
		return bad(e, key, "unknown system call group");
	}
	int nr = sandbox_syscall_nr(name);
	if (nr == -ENOENT && !group_member && !del && sb->sc_mode == 2)
		return bad(e, key, "a system call libseccomp does not know cannot be denied");
	if (nr < 0) /* not a call of this architecture (or unknown where skipping it only narrows) */
		return 0;
	if (nr >= SB_SYSCALLS)
		return bad(e, key, "system call number beyond keel's table");
	size_t k = 0;
	while (k < sb->nsc_err && sb->sc_err[k].nr != nr)
		k++;
	if (del) {
		sb->sc[nr / 64] &= ~(1ull << (nr % 64));
		if (k < sb->nsc_err)
			sb->sc_err[k] = sb->sc_err[--sb->nsc_err];
		return 0;
	}
	sb->sc[nr / 64] |= 1ull << (nr % 64);
	if (err) {
		if (k == sb->nsc_err) {
			struct sb_errno *x = realloc(sb->sc_err, (sb->nsc_err + 1) * sizeof(*x));
			if (!x)
				return kerr_set(e, -ENOMEM, "out of memory");
			sb->sc_err = x;
			sb->nsc_err++;
		}
		sb->sc_err[k] = (struct sb_errno){(uint16_t)nr, (int16_t)err};
	}
	return 0;
}

static int set_filter(struct unit_sandbox *sb, const char *key, const char *v, struct kerr *e)
{
	struct strv w = {0};
	bool invert;
	int ret;
	if (!*v) {
		sb->sc_mode = 0;
		memset(sb->sc, 0, sizeof(sb->sc));
		free(sb->sc_err);
		sb->sc_err = NULL;
		sb->nsc_err = 0;
		return 0;
	}
	strip_tilde(&v, &invert);
	if ((ret = split(key, v, &w, e)))
		goto out;
	if (!sb->sc_mode) { /* the first assignment decides; an allow-list starts from @default */
		sb->sc_mode = invert ? 2 : 1;
		if (!invert && (ret = filter_name(sb, key, "@default", 8, false, 0, true, 0, e)))
			goto out;
	}
	bool del = (sb->sc_mode == 2) != invert;
	for (size_t i = 0; i < w.n && !ret; i++) {
		const char *c = strchr(w.v[i], ':');
		int err = 0;
		if (c && (!invert || errno_value(c + 1, &err)))
			ret = bad(e, key, invert ? "unknown errno after ':'" : "':errno' only follows denied calls");
		else
			ret = filter_name(sb, key, w.v[i], c ? (size_t)(c - w.v[i]) : strlen(w.v[i]), del, err,
				false, 0, e);
	}
out:
	strv_clear(&w);
	return ret;
}

static int set_arch(struct unit_sandbox *sb, const char *key, const char *v, struct kerr *e)
{
	struct strv w = {0};
	int ret;
	if (!*v) {
		sb->archs = 0;
		return 0;
	}
	if ((ret = split(key, v, &w, e)))
		goto out;
	for (size_t i = 0; i < w.n; i++) {
		int j = word_index(arch_names, w.v[i], strlen(w.v[i]), false);
		if (j < 0) {
			ret = bad(e, key, "not an architecture of this host (native x86 x86-64 x32)");
			goto out;
		}
		sb->archs |= 1u | 2u << j;
	}
out:
	strv_clear(&w);
	return ret;
}

static int octal(const char *v, unsigned max, unsigned *out)
{
	char *end;
	unsigned long m = strtoul(v, &end, 8);
	if (*v < '0' || *v > '7' || *end || m > max)
		return -EINVAL;
	*out = (unsigned)m;
	return 0;
}

int unit_sandbox_key(struct unit_sandbox *sb, const char *key, const char *v, struct kerr *e)
{
	static const char *const sys[] = {"full", "strict"}, *const home[] = {"read-only", "tmpfs"},
		*const proc[] = {"default", "noaccess", "invisible", "ptraceable"};
	const struct key *k = NULL;
	const char *why = NULL;
	unsigned m;
	bool b;
	for (const char *p = refused; *p; p += strcspn(p, "\n") + 1) {
		size_t n = strcspn(p, "|");
		for (const char *w = p; w < p + n; w += strcspn(w, " |") + 1)
			if (strcspn(w, " |") == strlen(key) && !strncmp(w, key, strlen(key)))
				return kerr_set(e, -EINVAL, "%s= is not supported: %.*s", key, (int)strcspn(p + n + 1, "\n"),
					p + n + 1);
	}
	int ki = word_index(key_names, key, strlen(key), false);
	if (ki >= 0)
		k = &keys[ki];
	if (!k || !v)
		return k ? 0 : UNIT_SANDBOX_NOT_MINE;
	switch (k->type) {
	case T_BOOL:
		if (*v && uv_bool(v, &b, &why))
			return bad(e, key, why);
		*(bool *)((char *)sb + k->arg) = *v && b;
		return 0;
	case T_SYSTEM:
	case T_HOME:
		if (!*v || !uv_bool(v, &b, &why)) {
			m = *v && b;
		} else {
			const char *const *names = k->type == T_SYSTEM ? sys : home;
			if (strcmp(v, names[0]) && strcmp(v, names[1]))
				return bad(e, key, k->type == T_SYSTEM ? "expected a boolean, full or strict" :
					"expected a boolean, read-only or tmpfs");
			m = strcmp(v, names[0]) ? 3 : 2;
		}
		*(k->type == T_SYSTEM ? &sb->protect_system : &sb->protect_home) = (uint8_t)m;
		return 0;
	case T_PROC:
		for (m = 0; m < 4 && strcmp(v, proc[m]); m++)
			;
		if (*v && m == 4)
			return bad(e, key, "expected noaccess, invisible, ptraceable or default");
		sb->protect_proc = (uint8_t)(m == 4 ? 0 : m);
		return 0;
	case T_SUBSET:
		if (*v && strcmp(v, "all") && strcmp(v, "pid"))
			return bad(e, key, "expected all or pid");
		sb->proc_subset_pid = !strcmp(v, "pid");
		return 0;
	case T_UMASK:
		if (*v && octal(v, 0777, &m))
			return bad(e, key, "expected an octal mode up to 0777");
		sb->umask_set = *v;
		sb->umask = *v ? (uint16_t)m : 0;
		return 0;
	case T_DIRMODE:
		if (*v && octal(v, 07777, &m))
			return bad(e, key, "expected an octal mode up to 07777");
		sb->dir_mode[k->arg] = *v ? (uint16_t)(m | 0x8000) : 0;
		return 0;
	case T_PRESERVE:
		if (!strcmp(v, "restart")) { /* kept across a restart, removed when the unit stops */
			sb->runtime_preserve = 2;
			return 0;
		}
		if (*v && uv_bool(v, &b, &why))
			return bad(e, key, why);
		sb->runtime_preserve = *v && b;
		return 0;
	case T_ERRNO: {
		int err = 0;
		if (*v && (errno_value(v, &err) || !err))
			return bad(e, key, "expected an errno name or number 1..4095, or kill");
		sb->sc_errno = err < 0 ? 0 : err;
		return 0;
	}
	case T_DEVPOL:
		return dev_policy_parse(v, &sb->dev_policy) ? bad(e, key, "expected auto, closed or strict") : 0;
	case T_DEVALLOW:
		if (!*v) { /* the empty assignment resets the list */
			strv_clear(&sb->dev_allow);
			return 0;
		}
		if (dev_allow_check(v, &why))
			return bad(e, key, why);
		return strv_push(&sb->dev_allow, v);
	case T_CAPS: return set_caps(sb, k, key, v, e);
	case T_NS: return set_ns(sb, key, v, e);
	case T_AF: return set_af(sb, key, v, e);
	case T_PATHS:
	case T_BIND:
	case T_TMPFS: return set_paths(sb, k, key, v, e);
	case T_DIR: return set_dirs(sb, k, key, v, e);
	case T_FILTER: return set_filter(sb, key, v, e);
	default: return set_arch(sb, key, v, e);
	}
}

void unit_sandbox_free(struct unit_sandbox *sb)
{
	for (size_t i = 0; i < sb->npaths; i++)
		path_free(&sb->paths[i]);
	free(sb->paths);
	free(sb->sc_err);
	free(sb->tmp_dirs[0]);
	free(sb->tmp_dirs[1]);
	for (int i = 0; i < SB_NDIRS; i++)
		strv_clear(&sb->dirs[i]);
	strv_clear(&sb->dev_allow);
	memset(sb, 0, sizeof(*sb));
}

/* ---- the child: directories ------------------------------------------------------------------- */

enum { ST_CAPS = 218, ST_NETWORK = 225, ST_NAMESPACE = 226, ST_NNP = 227, ST_SECCOMP = 228, ST_DIRS = 233 };

const char *unit_sandbox_step(int step)
{
	static const char *const dirs[] = {"create its RuntimeDirectory", "create its StateDirectory",
		"create its CacheDirectory", "create its LogsDirectory", "create its ConfigurationDirectory"};
	static const uint8_t dir_steps[SB_NDIRS] = {233, 238, 239, 240, 241};
	for (int i = 0; i < SB_NDIRS; i++)
		if (step == dir_steps[i])
			return dirs[i];
	return step == ST_CAPS ? "set its capabilities" : step == ST_NETWORK ? "set up its network namespace" :
		step == ST_NAMESPACE ? "set up its namespaces" : step == ST_NNP ? "set no_new_privs" :
		step == ST_SECCOMP ? "load its system call filters" : NULL;
}

/* fd's directory and everything beneath it (never through a symlink) to uid:gid; fd is closed. */
static int chown_tree(int fd, uid_t uid, gid_t gid, unsigned depth)
{
	DIR *d = depth ? fdopendir(fd) : NULL;
	int ret = fchown(fd, uid, gid) ? -errno : d ? 0 : -ELOOP;
	struct dirent *de;
	while (!ret && d && (de = readdir(d))) {
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		int c = openat(fd, de->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (c >= 0)
			ret = chown_tree(c, uid, gid, depth - 1);
		else if (fchownat(fd, de->d_name, uid, gid, AT_SYMLINK_NOFOLLOW))
			ret = -errno;
	}
	if (d)
		closedir(d);
	else
		close(fd);
	return ret;
}

/* BASE/NAME, parents made 0755 (root's), NAME itself with the mode and, but for
 * ConfigurationDirectory=, owned by the service's user (recursively when it was not). */
static int make_dir(int d, const char *name, mode_t mode, uid_t uid, gid_t gid)
{
	size_t nl = strcspn(name, ":");
	struct stat st;
	int ret = 0, fd;
	if (mkdir(dir_base[d], 0755) && errno != EEXIST)
		return -errno;
	fd = open(dir_base[d], O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	/* component by component, never through a symlink: a service's user owns the directories
	 * it was given, and may have put one anywhere in them */
	for (const char *p = name; fd >= 0 && p < name + nl;) {
		char comp[256];
		size_t cl = strcspn(p, "/:");
		str_fmt(comp, sizeof(comp), "%.*s", (int)cl, p);
		p += cl + (p[cl] == '/');
		if (mkdirat(fd, comp, p >= name + nl ? mode : 0755) && errno != EEXIST)
			ret = -errno;
		int next = ret ? -1 : openat(fd, comp, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		ret = ret ? ret : next < 0 ? -errno : 0;
		close(fd);
		fd = next;
	}
	if (fd < 0)
		return ret ? ret : -errno;
	if (fchmod(fd, mode) || fstat(fd, &st)) {
		ret = -errno;
		close(fd);
		return ret;
	}
	if (d == SB_CONFIG)
		uid = gid = 0;
	if (st.st_uid != uid || st.st_gid != gid)
		ret = chown_tree(fd, uid, gid, 64); /* closes fd */
	else
		close(fd);
	if (!ret && name[nl]) { /* NAME:LINK: BASE/LINK points at BASE/NAME */
		char path[600], link[600];
		if (str_fmt(path, sizeof(path), "%s/%.*s", dir_base[d], (int)nl, name) ||
			str_fmt(link, sizeof(link), "%s/%s", dir_base[d], name + nl + 1))
			return -ENAMETOOLONG;
		if (symlink(path, link) && errno != EEXIST)
			return -errno;
	}
	return ret;
}

int unit_sandbox_env(const struct unit_sandbox *sb, struct strv *env)
{
	struct buf b = BUF_INIT(UV_VALUE_MAX);
	int ret = 0;
	for (int d = 0; d < SB_NDIRS && !ret; d++) {
		const struct strv *l = &sb->dirs[d];
		buf_reset(&b);
		for (size_t i = 0; i < l->n && !ret; i++) {
			size_t nl = strcspn(l->v[i], ":");
			ret = buf_put(&b, i ? ":" : "=", 1) || buf_put(&b, dir_base[d], strlen(dir_base[d])) ||
				buf_put(&b, "/", 1) || buf_put(&b, l->v[i], nl) ? -E2BIG : 0;
		}
		if (!ret && l->n) {
			char *s = malloc(strlen(dir_env[d]) + b.len + 1);
			if (!s)
				ret = -ENOMEM;
			else {
				memcpy(s, dir_env[d], strlen(dir_env[d]));
				memcpy(s + strlen(dir_env[d]), b.p, b.len);
				s[strlen(dir_env[d]) + b.len] = 0;
				ret = strv_push(env, s);
				free(s);
			}
		}
	}
	buf_free(&b);
	return ret;
}

int unit_sandbox_prepare(struct unit_sandbox *sb, struct kerr *e)
{
	for (int i = 0; i < 2 && sb->private_tmp; i++) {
		char dir[64], sub[80];
		const char *base = i ? "/var/tmp" : "/tmp";
		if (!mkdir(base, 0)) /* a host without it: made as systemd-tmpfiles would */
			chmod(base, 01777);
		str_fmt(dir, sizeof(dir), "%s/keel-private-XXXXXX", base);
		if (!mkdtemp(dir) || str_fmt(sub, sizeof(sub), "%s/tmp", dir) || mkdir(sub, 0) || chmod(sub, 01777) ||
			!(sb->tmp_dirs[i] = strdup(dir)))
			return kerr_set(e, errno ? -errno : -ENOMEM, "PrivateTmp=: %s: %s", dir, strerror(errno));
	}
	return 0;
}

/* The directories move aside at once (a fixed runtime name is free for the next start); what is
 * in them, which the service chose, is removed by a child of its own, so that the supervisor
 * never spends its time on it (the child is reaped with the orphans). */
void unit_sandbox_cleanup(struct unit_sandbox *sb, bool restarting)
{
	static unsigned gen;
	const struct strv *l = &sb->dirs[SB_RUNTIME];
	char gone[8][40];
	size_t ngone = 0;
	bool keep = sb->runtime_preserve == 1 || (sb->runtime_preserve == 2 && restarting);
	int fd = l->n && !keep ? open("/run", O_RDONLY | O_DIRECTORY | O_CLOEXEC) : -1;
	for (size_t i = 0; fd >= 0 && i < l->n; i++) {
		char name[300];
		const char *c = strchr(l->v[i], ':');
		if (c && !str_fmt(name, sizeof(name), "%s", c + 1))
			unlinkat(fd, name, 0);
		if (str_fmt(name, sizeof(name), "%.*s", (int)(c ? c - l->v[i] : (long)strlen(l->v[i])), l->v[i]))
			continue;
		str_fmt(gone[ngone], sizeof(gone[0]), ".keel-gone-%d-%u", (int)getpid(), gen++);
		if (ngone == 8 || renameat(fd, name, fd, gone[ngone])) /* more than 8: removed here */
			fs_remove_tree(fd, name, FS_SAME_DEV, 64);
		else
			ngone++;
	}
	pid_t pid = ngone || sb->tmp_dirs[0] || sb->tmp_dirs[1] ? fork() : 1;
	if (pid <= 0) { /* the child, or no child: remove them here */
		for (size_t i = 0; i < ngone; i++)
			fs_remove_tree(fd, gone[i], FS_SAME_DEV, 64);
		for (int i = 0; i < 2; i++)
			if (sb->tmp_dirs[i])
				fs_remove_tree(AT_FDCWD, sb->tmp_dirs[i], FS_SAME_DEV, 64);
		if (!pid)
			_exit(0);
	}
	for (int i = 0; i < 2; i++) {
		free(sb->tmp_dirs[i]);
		sb->tmp_dirs[i] = NULL;
	}
	if (fd >= 0)
		close(fd);
}

/* ---- the child: the mount namespace ------------------------------------------------------------ */

struct entry {
	char path[4096];
	const char *src, *opts;
	unsigned long flags;
	uint8_t kind;
	bool optional, norbind, ro, top_only;
};

struct plan {
	struct entry *v;
	size_t n, cap;
	const char *staging; /* where the inaccessible nodes and the new /dev are built */
};

static int plan_add(struct plan *pl, const char *path, uint8_t kind, bool optional)
{
	if (pl->n == pl->cap)
		return -E2BIG;
	struct entry *x = &pl->v[pl->n];
	memset(x, 0, sizeof(*x));
	/* symlinks resolved as systemd does, so that parents sort before what lies beneath them */
	char fdp[32];
	int fd = open(path, O_PATH | O_CLOEXEC);
	ssize_t n = fd < 0 ? -1 : (str_fmt(fdp, sizeof(fdp), "/proc/self/fd/%d", fd), readlink(fdp, x->path, sizeof(x->path) - 1));
	if (fd >= 0)
		close(fd);
	if (n > 0)
		x->path[n] = 0;
	else {
		if (errno != ENOENT || kind == K_BIND || kind == K_BIND_RO || kind == K_TMPFS)
			str_copy(x->path, sizeof(x->path), path); /* a mount point made later, or an error then */
		else if (optional)
			return 0;
		else
			return -errno;
	}
	x->kind = kind;
	x->optional = optional;
	x->ro = kind == K_INACCESSIBLE || kind == K_BIND_RO || kind == K_RO;
	pl->n++;
	return 0;
}

static int add_many(struct plan *pl, const char *paths, uint8_t kind, bool optional)
{
	char one[64];
	int ret = 0;
	for (const char *p = paths; *p && !ret; p += strcspn(p, " ") + (p[strcspn(p, " ")] == ' ')) {
		str_fmt(one, sizeof(one), "%.*s", (int)strcspn(p, " "), p);
		ret = plan_add(pl, one, kind, optional);
	}
	return ret;
}

static bool under(const char *p, const char *dir) /* p is dir or beneath it */
{
	size_t n = strlen(dir);
	if (n == 1)
		return true;
	return !strncmp(p, dir, n) && (!p[n] || p[n] == '/');
}

static int cmp_entry(const void *a, const void *b)
{
	const struct entry *x = a, *y = b;
	int c = strcmp(x->path, y->path);
	return c ? c : (int)x->kind - (int)y->kind;
}

static int build_plan(const struct unit_sandbox *sb, struct plan *pl)
{
	static const char usr[] = "/usr /boot /efi", etc[] = "/etc", root[] = "/", api[] = "/dev /proc /sys",
		homes[] = "/home /run/user /root", tmp[] = "/tmp /var/tmp", cg[] = "/sys/fs/cgroup",
		tun_ro[] = "/proc/sys /sys /proc/sysrq-trigger /proc/latency_stats /proc/acpi /proc/timer_stats /proc/fs /proc/irq",
		tun_no[] = "/proc/kallsyms /proc/kcore", mods[] = "/lib/modules /usr/lib/modules", logs[] = "/proc/kmsg /dev/kmsg";
	int ret = 0;
	size_t first;
	if (sb->protect_system == 3)
		ret = add_many(pl, root, K_RO, false) ?: add_many(pl, api, K_RW, true);
	else if (sb->protect_system)
		ret = add_many(pl, usr, K_RO, true) ?: sb->protect_system == 2 ? add_many(pl, etc, K_RO, false) : 0;
	first = pl->n;
	if (!ret && sb->protect_home)
		ret = add_many(pl, homes, sb->protect_home == 1 ? K_INACCESSIBLE : sb->protect_home == 2 ? K_RO : K_TMPFS, true);
	for (size_t i = first; i < pl->n && sb->protect_home == 3; i++) {
		pl->v[i].flags = MS_NODEV | MS_STRICTATIME | MS_RDONLY;
		pl->v[i].opts = "mode=0755";
		pl->v[i].ro = true;
	}
	first = pl->n;
	if (!ret && sb->private_tmp) /* the run's directories (a tmpfs of its own when there are none) */
		ret = add_many(pl, tmp, sb->tmp_dirs[0] && sb->tmp_dirs[1] ? K_BIND : K_TMPFS, false);
	for (size_t i = first; i < pl->n; i++) {
		static char src[2][80];
		pl->v[i].flags = MS_NOSUID | MS_NODEV | MS_STRICTATIME;
		pl->v[i].opts = "mode=1777";
		if (pl->v[i].kind == K_BIND && !str_fmt(src[i - first], sizeof(src[0]), "%s/tmp", sb->tmp_dirs[i - first]))
			pl->v[i].src = src[i - first];
	}
	if (!ret && sb->private_devices && !(ret = plan_add(pl, "/dev", K_DEV, false)))
		pl->v[pl->n - 1].ro = pl->v[pl->n - 1].top_only = true; /* /dev itself, not /dev/shm */
	if (!ret && sb->protect_tunables)
		ret = add_many(pl, tun_ro, K_RO, true) ?: add_many(pl, tun_no, K_INACCESSIBLE, true);
	if (!ret && sb->protect_modules)
		ret = add_many(pl, mods, K_INACCESSIBLE, true);
	if (!ret && sb->protect_logs)
		ret = add_many(pl, logs, K_INACCESSIBLE, true);
	if (!ret && sb->protect_cgroups)
		ret = add_many(pl, cg, K_RO, true);
	if (!ret && (sb->protect_proc || sb->proc_subset_pid) && !(ret = plan_add(pl, "/proc", K_PROC, false))) {
		pl->v[pl->n - 1].flags = sb->protect_proc;
		pl->v[pl->n - 1].norbind = sb->proc_subset_pid;
	}
	for (size_t i = 0; i < sb->npaths && !ret; i++) {
		const struct sb_path *p = &sb->paths[i];
		size_t before = pl->n; /* a missing optional path adds nothing */
		if (!(ret = plan_add(pl, p->path, p->kind, p->optional)) && pl->n > before) {
			struct entry *x = &pl->v[pl->n - 1];
			x->src = p->src;
			x->opts = p->opts;
			x->flags = p->flags;
			x->norbind = p->norbind;
			x->ro |= p->kind == K_TMPFS && (p->flags & MS_RDONLY);
		}
	}
	for (int d = 0; d < SB_NDIRS && !ret; d++) /* the service's own directories stay writable */
		for (size_t i = 0; i < sb->dirs[d].n && !ret; i++) {
			char path[4400];
			if (!str_fmt(path, sizeof(path), "%s/%.*s", dir_base[d], (int)strcspn(sb->dirs[d].v[i], ":"),
				    sb->dirs[d].v[i]))
				ret = plan_add(pl, path, K_RW, false);
		}
	if (ret)
		return ret;
	qsort(pl->v, pl->n, sizeof(pl->v[0]), cmp_entry);
	size_t k = 0; /* one entry per path (the first kind wins), none beneath an inaccessible one */
	for (size_t i = 0; i < pl->n; i++) {
		bool drop = k && !strcmp(pl->v[k - 1].path, pl->v[i].path);
		for (size_t j = 0; j < k && !drop; j++)
			drop = pl->v[j].kind == K_INACCESSIBLE && under(pl->v[i].path, pl->v[j].path);
		if (!drop)
			pl->v[k++] = pl->v[i];
	}
	pl->n = k;
	return 0;
}

/* The staging tmpfs goes on a directory no entry mounts on, beneath, or over (other than by
 * binding a tree onto itself, which keeps it); on the host /run/keel (keel init's own) always is
 * one. What was there shows again when it is unmounted, before the service starts. */
static const char *pick_staging(const struct plan *pl)
{
	static const char *const cand[] = {"/run/keel", "/run", "/tmp", "/mnt", "/var/tmp", "/srv", "/opt", "/media", NULL};
	for (size_t c = 0; cand[c]; c++) {
		struct stat st;
		bool ok = !lstat(cand[c], &st) && S_ISDIR(st.st_mode);
		for (size_t i = 0; i < pl->n && ok; i++)
			ok = !under(pl->v[i].path, cand[c]) &&
				!(under(cand[c], pl->v[i].path) && pl->v[i].kind != K_RO && pl->v[i].kind != K_RW &&
					!(pl->v[i].kind == K_BIND && !pl->v[i].norbind && !strcmp(pl->v[i].src, pl->v[i].path)));
		if (ok)
			return cand[c];
	}
	return NULL;
}

static int bind_mount(const char *src, const char *dst, bool rec)
{
	return mount(src, dst, NULL, MS_BIND | (rec ? MS_REC : 0), NULL) ? -errno : 0;
}

/* A bind mount needs a mount point of the source's type. */
static int make_point(const char *src, const char *dst)
{
	struct stat s, d;
	if (stat(src, &s))
		return -errno;
	if (!stat(dst, &d))
		return 0;
	if (S_ISDIR(s.st_mode))
		return mkdir(dst, 0755) && errno != EEXIST ? -errno : 0;
	int fd = open(dst, O_WRONLY | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0644);
	return fd < 0 ? -errno : close(fd);
}

static int staging_node(const char *dir, const char *name, bool is_dir, char *out, size_t n)
{
	if (str_fmt(out, n, "%s/%s", dir, name))
		return -ENAMETOOLONG;
	if (is_dir)
		return mkdir(out, 0) && errno != EEXIST ? -errno : 0;
	int fd = open(out, O_WRONLY | O_CREAT | O_CLOEXEC, 0);
	return fd < 0 ? (errno == EEXIST ? 0 : -errno) : close(fd);
}

/* PrivateDevices=: a tmpfs with the API devices bound in, then moved onto /dev. */
static int private_dev(const char *staging)
{
	static const char nodes[] = "null zero full random urandom tty pts shm mqueue hugepages";
	static const char links[][2][16] = {{"ptmx", "pts/ptmx"}, {"fd", "/proc/self/fd"},
		{"stdin", "/proc/self/fd/0"}, {"stdout", "/proc/self/fd/1"}, {"stderr", "/proc/self/fd/2"}};
	char dev[300], p[400], host[64];
	int ret;
	if ((ret = staging_node(staging, "dev", true, dev, sizeof(dev))) || chmod(dev, 0755) ||
		mount("tmpfs", dev, "tmpfs", MS_NOSUID | MS_NOEXEC | MS_STRICTATIME, "mode=0755"))
		return ret ? ret : -errno;
	for (const char *n = nodes; *n; n += strcspn(n, " ") + (n[strcspn(n, " ")] == ' ')) {
		int nl = (int)strcspn(n, " ");
		str_fmt(host, sizeof(host), "/dev/%.*s", nl, n);
		str_fmt(p, sizeof(p), "%s/%.*s", dev, nl, n);
		if (access(host, F_OK))
			continue;
		if ((ret = make_point(host, p)) || (ret = bind_mount(host, p, n - nodes >= 34 /* pts and after: trees */)))
			return ret;
	}
	for (size_t i = 0; i < sizeof(links) / sizeof(links[0]); i++) {
		str_fmt(p, sizeof(p), "%s/%s", dev, links[i][0]);
		if (symlink(links[i][1], p))
			return -errno;
	}
	return mount(dev, "/dev", NULL, MS_MOVE, NULL) ? -errno : 0;
}

static int mount_one(const struct entry *x, const char *staging)
{
	char src[300], opts[64];
	struct stat st;
	int ret;
	switch (x->kind) {
	case K_INACCESSIBLE:
		if (stat(x->path, &st))
			return -errno;
		if ((ret = staging_node(staging, S_ISDIR(st.st_mode) ? "d" : "f", S_ISDIR(st.st_mode), src, sizeof(src))))
			return ret;
		return bind_mount(src, x->path, false);
	case K_BIND:
	case K_BIND_RO:
		if (access(x->src, F_OK) && x->optional)
			return 0;
		return make_point(x->src, x->path) ?: bind_mount(x->src, x->path, !x->norbind);
	case K_TMPFS:
		if (mkdir(x->path, 0755) && errno != EEXIST)
			return -errno;
		/* read-only later: bind mounts may still need their mount points in it */
		return mount("tmpfs", x->path, "tmpfs", x->flags & ~MS_RDONLY, x->opts) ? -errno : 0;
	case K_DEV:
		return private_dev(staging);
	case K_PROC: {
		static const char hide[][20] = {"", "hidepid=noaccess", "hidepid=invisible", "hidepid=ptraceable"};
		str_fmt(opts, sizeof(opts), "%s%s%s", hide[x->flags & 3], (x->flags & 3) && x->norbind ? "," : "",
			x->norbind ? "subset=pid" : "");
		return mount("proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, opts) ? -errno : 0;
	}
	default: /* K_RO, K_RW: a mount point of its own, so that its flags can differ from its parent's */
		return bind_mount(x->path, x->path, true);
	}
}

static int set_ro(const char *mp, bool inaccessible)
{
	struct mount_attr a = {.attr_set = MOUNT_ATTR_RDONLY |
		(inaccessible ? MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV | MOUNT_ATTR_NOEXEC : 0)};
	return syscall(SYS_mount_setattr, AT_FDCWD, mp, 0, &a, sizeof(a)) ? -errno : 0;
}

/* Mount points from /proc/self/mountinfo (base/mountinfo.h), each NUL-terminated, into b. */
static int mount_points(struct buf *b)
{
	struct buf in = BUF_INIT(4 << 20);
	struct mountinfo_iter it;
	struct mountinfo m;
	int fd = open("/proc/self/mountinfo", O_RDONLY | O_CLOEXEC), ret;
	if (fd < 0)
		return -errno;
	ret = fs_read_fd(fd, 4 << 20, &in);
	close(fd);
	mountinfo_init(&it, (char *)in.p, in.len);
	while (!ret && mountinfo_next(&it, &m))
		ret = buf_put(b, m.mp, strlen(m.mp) + 1);
	buf_free(&in);
	return ret;
}

static int apply_plan(struct plan *pl)
{
	struct buf mps = BUF_INIT(4 << 20);
	int ret = 0;
	bool staged = false;
	for (size_t i = 0; i < pl->n; i++)
		if (pl->v[i].kind == K_INACCESSIBLE || pl->v[i].kind == K_DEV)
			staged = true;
	if (staged && (!(pl->staging = pick_staging(pl)) ||
		mount("tmpfs", pl->staging, "tmpfs", MS_NOSUID | MS_NODEV, "mode=0700") ||
		mount(NULL, pl->staging, NULL, MS_PRIVATE, NULL)))
		return pl->staging ? -errno : -EBUSY;
	for (size_t i = 0; i < pl->n && !ret; i++)
		/* an optional entry gone by now — /proc/sys beneath ProcSubset=pid's /proc — is skipped,
		 * as systemd skips it */
		if ((ret = mount_one(&pl->v[i], pl->staging)) == -ENOENT && pl->v[i].optional)
			ret = 0;
	if (staged && umount2(pl->staging, MNT_DETACH) && !ret)
		ret = -errno;
	if (!ret)
		ret = mount_points(&mps);
	/* read-only entries: each mount at or beneath, except beneath a deeper writable entry */
	for (size_t i = 0; i < pl->n && !ret; i++) {
		const struct entry *x = &pl->v[i];
		if (!x->ro)
			continue;
		for (const char *mp = (const char *)mps.p; !ret && mp < (const char *)mps.p + mps.len; mp += strlen(mp) + 1) {
			bool skip = !under(mp, x->path) || (x->top_only && strcmp(mp, x->path));
			for (size_t j = i + 1; j < pl->n && !skip; j++)
				skip = (!pl->v[j].ro || pl->v[j].top_only) && under(pl->v[j].path, x->path) &&
					under(mp, pl->v[j].path);
			if (!skip && (ret = set_ro(mp, x->kind == K_INACCESSIBLE && !strcmp(mp, x->path))) &&
				(ret == -ENOENT || ret == -EINVAL))
				ret = 0; /* hidden beneath a later mount: no mount point there any more */
		}
	}
	buf_free(&mps);
	return ret;
}

static bool needs_mount_ns(const struct unit_sandbox *sb)
{
	return sb->protect_system || sb->protect_home || sb->private_tmp || sb->private_devices || sb->protect_tunables ||
		sb->protect_modules || sb->protect_logs || sb->protect_cgroups || sb->protect_proc || sb->proc_subset_pid ||
		sb->npaths || sb->private_mounts;
}

static int mount_ns(const struct unit_sandbox *sb)
{
	size_t ndirs = 0;
	for (int d = 0; d < SB_NDIRS; d++)
		ndirs += sb->dirs[d].n;
	struct plan pl = {.cap = sb->npaths + ndirs + 40};
	int ret;
	if (unshare(CLONE_NEWNS) || mount(NULL, "/", NULL, MS_REC | MS_SLAVE, NULL))
		return -errno;
	if (!(pl.v = calloc(pl.cap, sizeof(pl.v[0]))))
		return -ENOMEM;
	ret = build_plan(sb, &pl);
	if (!ret)
		ret = apply_plan(&pl);
	free(pl.v);
	return ret;
}

static int loopback_up(void)
{
	struct ifreq ifr = {.ifr_name = "lo"};
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0), ret = 0;
	if (fd < 0)
		return -errno;
	if (ioctl(fd, SIOCGIFFLAGS, &ifr) || (ifr.ifr_flags |= IFF_UP, ioctl(fd, SIOCSIFFLAGS, &ifr)))
		ret = -errno;
	close(fd);
	return ret;
}

static int cap_last(void)
{
	char b[16] = {0};
	int fd = open("/proc/sys/kernel/cap_last_cap", O_RDONLY | O_CLOEXEC), last = 40;
	if (fd >= 0 && read(fd, b, sizeof(b) - 1) > 0)
		last = atoi(b);
	if (fd >= 0)
		close(fd);
	return last > 0 && last < 64 ? last : 40;
}

/* Capabilities the unit's settings take away from the bounding set. */
static uint64_t cap_drop(const struct unit_sandbox *sb)
{
	uint64_t d = sb->bset_set ? ~sb->bset : 0;
	if (sb->private_devices)
		d |= 1ull << CAP_MKNOD | 1ull << CAP_SYS_RAWIO;
	if (sb->protect_modules)
		d |= 1ull << CAP_SYS_MODULE;
	if (sb->protect_logs)
		d |= 1ull << CAP_SYSLOG;
	if (sb->protect_clock)
		d |= 1ull << CAP_SYS_TIME | 1ull << CAP_WAKE_ALARM;
	return d;
}

static int capsets(struct __user_cap_data_struct d[2], bool set)
{
	struct __user_cap_header_struct h = {_LINUX_CAPABILITY_VERSION_3, 0};
	return syscall(set ? SYS_capset : SYS_capget, &h, d) ? -errno : 0;
}

static int ambient(const struct unit_sandbox *sb)
{
	uint64_t amb = sb->ambient & ~cap_drop(sb);
	struct __user_cap_data_struct d[2];
	int last = cap_last(), ret;
	if (!amb)
		return 0;
	if ((ret = capsets(d, false)))
		return ret;
	for (int c = 0; c <= last; c++)
		if (amb >> c & 1) {
			d[c / 32].inheritable |= 1u << (c % 32);
			d[c / 32].effective |= d[c / 32].permitted & 1u << (c % 32);
		}
	if ((ret = capsets(d, true)))
		return ret;
	for (int c = 0; c <= last; c++)
		if (amb >> c & 1 && prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, c, 0, 0))
			return -errno;
	return 0;
}

/* ---- the child: system call filters ------------------------------------------------------------ */

static int rule(struct sandbox_filter *f, const char *name, int act, unsigned n, const struct sandbox_cmp *c)
{
	int nr = sandbox_syscall_nr(name);
	return nr < 0 ? 0 : sandbox_filter_add(f, nr, act, n, c);
}

static int rules(struct sandbox_filter *f, const char *group, int act)
{
	struct unit_sandbox set = {0};
	int ret = filter_name(&set, "", group, strlen(group), false, 0, true, 0, NULL);
	for (int nr = 0; nr < SB_SYSCALLS && !ret; nr++)
		if (set.sc[nr / 64] >> (nr % 64) & 1)
			ret = sandbox_filter_add(f, nr, act, 0, NULL);
	return ret;
}

#define MASKED(arg, bits) {arg, SB_MASKED_EQ, bits, bits}

/* Everything but SystemCallFilter= in one filter that allows by default. */
static int restrictions(const struct unit_sandbox *sb, struct sandbox_filter *f)
{
	int ret = 0;
	if (sb->protect_clock)
		ret = rules(f, "@clock", EPERM);
	if (!ret && sb->protect_modules)
		ret = rules(f, "@module", EPERM);
	if (!ret && sb->private_devices)
		ret = rules(f, "@raw-io", EPERM);
	if (!ret && sb->protect_logs)
		ret = rule(f, "syslog", EPERM, 0, NULL);
	if (!ret && sb->protect_hostname)
		ret = rule(f, "sethostname", EPERM, 0, NULL) ?: rule(f, "setdomainname", EPERM, 0, NULL);
	if (!ret && sb->af_mode) { /* socket(2)'s family; AF_UNSPEC and unknown ones too on an allow-list */
		struct sandbox_cmp c = {0, SB_EQ, 0, 0};
		for (unsigned af = 0; af < AF_COUNT && !ret; af++)
			if ((sb->af_mode == 1) != (sb->af >> af & 1)) {
				c.a = af;
				ret = rule(f, "socket", EAFNOSUPPORT, 1, &c);
			}
		c.op = SB_GT;
		c.a = AF_COUNT - 1;
		if (!ret && sb->af_mode == 1)
			ret = rule(f, "socket", EAFNOSUPPORT, 1, &c);
	}
	if (!ret && sb->ns_set) { /* the flags of unshare, clone and setns; clone3's are in memory */
		uint64_t denied = NS_ALL & ~sb->ns_allowed;
		struct sandbox_cmp zero = {1, SB_EQ, 0, 0};
		ret = rule(f, "clone3", ENOSYS, 0, NULL);
		if (!ret)
			ret = sb->ns_allowed ? rule(f, "setns", EPERM, 1, &zero) : rule(f, "setns", EPERM, 0, NULL);
		for (size_t i = 0; i < sizeof(ns_names) / sizeof(ns_names[0]) && !ret; i++) {
			if (!(denied & ns_names[i].flag))
				continue;
			struct sandbox_cmp a0 = MASKED(0, ns_names[i].flag), a1 = MASKED(1, ns_names[i].flag);
			ret = rule(f, "unshare", EPERM, 1, &a0) ?: rule(f, "clone", EPERM, 1, &a0);
			if (!ret && sb->ns_allowed)
				ret = rule(f, "setns", EPERM, 1, &a1);
		}
	}
	if (!ret && sb->restrict_realtime) {
		static const uint64_t rt[] = {SCHED_FIFO, SCHED_RR, 6 /* SCHED_DEADLINE */};
		for (size_t i = 0; i < 3 && !ret; i++) {
			struct sandbox_cmp c = {1, SB_MASKED_EQ, rt[i], ~(uint64_t)SCHED_RESET_ON_FORK & 0xffffffff};
			ret = rule(f, "sched_setscheduler", EPERM, 1, &c);
		}
		if (!ret)
			ret = rule(f, "sched_setattr", EPERM, 0, NULL);
	}
	if (!ret && sb->restrict_suid) {
		static const struct { char name[20]; unsigned mode_arg; int flags_arg; } calls[] = {
			{"chmod", 1, -1}, {"fchmod", 1, -1}, {"fchmodat", 2, -1}, {"fchmodat2", 2, -1}, {"mknod", 1, -1},
			{"mknodat", 2, -1}, {"creat", 1, -1}, {"open", 2, 1}, {"openat", 3, 2},
		};
		for (size_t i = 0; i < sizeof(calls) / sizeof(calls[0]) && !ret; i++)
			for (unsigned bit = S_ISUID; bit >= S_ISGID && !ret; bit >>= 1) {
				struct sandbox_cmp c[2] = {MASKED(calls[i].mode_arg, bit), MASKED((unsigned)calls[i].flags_arg, O_CREAT)};
				ret = rule(f, calls[i].name, EPERM, calls[i].flags_arg < 0 ? 1 : 2, c);
				c[1].a = c[1].mask = (O_TMPFILE & ~O_DIRECTORY);
				if (!ret && calls[i].flags_arg >= 0)
					ret = rule(f, calls[i].name, EPERM, 2, c);
			}
		if (!ret)
			ret = rule(f, "openat2", ENOSYS, 0, NULL);
	}
	if (!ret && sb->lock_personality) {
		struct sandbox_cmp c = {0, SB_NE, 0 /* PER_LINUX */, 0};
		ret = rule(f, "personality", EPERM, 1, &c);
	}
	if (!ret && sb->mdwe) {
		struct sandbox_cmp wx = MASKED(2, PROT_WRITE | PROT_EXEC), x = MASKED(2, PROT_EXEC), shm = MASKED(2, SHM_EXEC);
		ret = rule(f, "mmap", EPERM, 1, &wx) ?: rule(f, "mprotect", EPERM, 1, &x) ?:
			rule(f, "pkey_mprotect", EPERM, 1, &x) ?: rule(f, "shmat", EPERM, 1, &shm);
	}
	return ret;
}

/* The restrictions first: once an allow-list is in, seccomp(2) itself may be forbidden. */
static int load_filters(const struct unit_sandbox *sb)
{
	unsigned archs = sb->archs >> 2; /* x86, x86-64, x32: SANDBOX_ARCH_* */
	struct sandbox_filter *f = NULL;
	int ret = sandbox_filter_new(&f, SANDBOX_ALLOW, archs);
	if (!ret && !(ret = restrictions(sb, f)))
		ret = sandbox_filter_load(f);
	sandbox_filter_free(f);
	f = NULL;
	if (ret || !sb->sc_mode)
		return ret;
	int deny = sb->sc_errno ? sb->sc_errno : SANDBOX_KILL;
	if ((ret = sandbox_filter_new(&f, sb->sc_mode == 2 ? SANDBOX_ALLOW : deny, archs)))
		return ret;
	for (int nr = 0; nr < SB_SYSCALLS && !ret; nr++) {
		if (!(sb->sc[nr / 64] >> (nr % 64) & 1))
			continue;
		int act = sb->sc_mode == 1 ? SANDBOX_ALLOW : deny;
		for (size_t k = 0; k < sb->nsc_err; k++)
			if (sb->sc_err[k].nr == nr)
				act = sb->sc_err[k].err < 0 ? SANDBOX_KILL : sb->sc_err[k].err;
		ret = sandbox_filter_add(f, nr, act, 0, NULL);
	}
	if (!ret)
		ret = sandbox_filter_load(f);
	sandbox_filter_free(f);
	return ret;
}

static bool has_filters(const struct unit_sandbox *sb)
{
	return sb->sc_mode || sb->archs || sb->af_mode || sb->ns_set || sb->protect_clock || sb->protect_modules ||
		sb->private_devices || sb->protect_logs || sb->protect_hostname || sb->restrict_realtime ||
		sb->restrict_suid || sb->lock_personality || sb->mdwe;
}

/* ---- the child: both phases ------------------------------------------------------------------- */

#define STEP(s, call) do { if ((ret = (call))) { *step = (s); return ret; } } while (0)

int unit_sandbox_apply(const struct unit_sandbox *sb, enum sb_phase phase, uid_t uid, gid_t gid, int *step)
{
	static const uint8_t dir_steps[SB_NDIRS] = {233, 238, 239, 240, 241};
	int ret;
	if (phase == SB_PHASE_ROOT) {
		umask(sb->umask_set ? sb->umask : 022);
		for (int d = 0; d < SB_NDIRS; d++)
			for (size_t i = 0; i < sb->dirs[d].n; i++)
				STEP(dir_steps[d], make_dir(d, sb->dirs[d].v[i],
					sb->dir_mode[d] ? sb->dir_mode[d] & 07777 : 0755, uid, gid));
		if (sb->private_network)
			STEP(ST_NETWORK, unshare(CLONE_NEWNET) ? -errno : loopback_up());
		if (sb->protect_hostname || sb->private_ipc)
			STEP(ST_NAMESPACE, unshare((sb->protect_hostname ? CLONE_NEWUTS : 0) |
				(sb->private_ipc ? CLONE_NEWIPC : 0)) ? -errno : 0);
		if (needs_mount_ns(sb))
			STEP(ST_NAMESPACE, mount_ns(sb));
		uint64_t drop = cap_drop(sb);
		for (int c = 0, last = drop ? cap_last() : -1; c <= last; c++)
			if (drop >> c & 1)
				STEP(ST_CAPS, prctl(PR_CAPBSET_DROP, c, 0, 0, 0) ? -errno : 0);
		if (sb->ambient & ~drop && uid)
			STEP(ST_CAPS, prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) ? -errno : 0);
		return 0;
	}
	STEP(ST_CAPS, ambient(sb));
	/* no_new_privs: asked for, or what a filter needs without CAP_SYS_ADMIN (systemd: "If running
	 * … in system mode, but without the CAP_SYS_ADMIN capability (e.g. setting User=),
	 * NoNewPrivileges=yes is implied") */
	struct __user_cap_data_struct d[2] = {{0}};
	bool filters = has_filters(sb);
	if (filters)
		STEP(ST_SECCOMP, capsets(d, false));
	if (!filters && sb->protect_tunables)
		STEP(ST_NNP, capsets(d, false));
	if (sb->no_new_privs || ((filters || sb->protect_tunables) && !(d[0].effective >> CAP_SYS_ADMIN & 1)))
		STEP(ST_NNP, prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) ? -errno : 0);
	if (filters)
		STEP(ST_SECCOMP, load_filters(sb));
	return 0;
}
