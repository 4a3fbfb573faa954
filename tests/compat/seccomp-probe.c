/* seccomp-probe.c — for tests/compat/policy-seccomp.sh: make each named system call with zero
 * arguments and print "NAME ok" or "NAME ERRNONAME", optionally after loading a raw seccomp
 * filter (keel policy seccomp --export-bpf) on itself. Built static with gcc at test time. */
#include <errno.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

static const struct { const char *name; long nr; } calls[] = {
	{"getpid", SYS_getpid}, {"mkdir", SYS_mkdir}, {"mkdirat", SYS_mkdirat}, {"uname", SYS_uname},
	{"chroot", SYS_chroot}, {"mount", SYS_mount}, {"umount2", SYS_umount2}, {"swapoff", SYS_swapoff},
	{"init_module", SYS_init_module}, {"delete_module", SYS_delete_module}, {"bpf", SYS_bpf},
	{"perf_event_open", SYS_perf_event_open}, {"open_by_handle_at", SYS_open_by_handle_at},
	{"clock_settime", SYS_clock_settime}, {"settimeofday", SYS_settimeofday}, {"keyctl", SYS_keyctl},
	{"add_key", SYS_add_key}, {"request_key", SYS_request_key}, {"setns", SYS_setns}, {"chmod", SYS_chmod},
	{"name_to_handle_at", SYS_name_to_handle_at}, {"pivot_root", SYS_pivot_root}, {"uselib", SYS_uselib},
	{"ustat", SYS_ustat}, {"sysfs", SYS_sysfs}, {"personality", SYS_personality}, {"getcwd", SYS_getcwd},
	{"io_uring_setup", SYS_io_uring_setup}, {"syslog", SYS_syslog}, {"lookup_dcookie", SYS_lookup_dcookie},
	{"kcmp", SYS_kcmp}, {"move_pages", SYS_move_pages}, {"quotactl", SYS_quotactl}, {"rmdir", SYS_rmdir},
	{"unlinkat", SYS_unlinkat}, {"fanotify_init", SYS_fanotify_init}, {"mknodat", SYS_mknodat},
};

static const char *ename(int e)
{
	static char b[16];
	switch (e) {
	case EPERM: return "EPERM";
	case ENOENT: return "ENOENT";
	case EFAULT: return "EFAULT";
	case EINVAL: return "EINVAL";
	case EBADF: return "EBADF";
	case ENOSYS: return "ENOSYS";
	case EACCES: return "EACCES";
	case ESRCH: return "ESRCH";
	case EOPNOTSUPP: return "EOPNOTSUPP";
	case ENOTDIR: return "ENOTDIR";
	}
	snprintf(b, sizeof(b), "E%d", e);
	return b;
}

int main(int argc, char **argv)
{
	int i = 1;
	if (argc > 2 && !strcmp(argv[1], "--bpf")) {
		static struct sock_filter f[8192];
		FILE *in = fopen(argv[2], "rb");
		size_t n = in ? fread(f, sizeof(f[0]), 8192, in) : 0;
		struct sock_fprog prog = {(unsigned short)n, f};
		if (!n || prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) || prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog)) {
			perror("seccomp-probe: load filter");
			return 3;
		}
		i = 3;
	}
	for (; i < argc; i++) {
		size_t k = 0;
		while (k < sizeof(calls) / sizeof(calls[0]) && strcmp(calls[k].name, argv[i]))
			k++;
		if (k == sizeof(calls) / sizeof(calls[0])) {
			printf("%s unknown-to-probe\n", argv[i]);
			continue;
		}
		errno = 0;
		long r = syscall(calls[k].nr, 0, 0, 0, 0, 0, 0);
		printf("%s %s\n", argv[i], r < 0 ? ename(errno) : "ok");
	}
	return 0;
}
