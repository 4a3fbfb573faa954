/* sandbox.c — seccomp allowlists through libseccomp. */
#include "base/sandbox.h"
#include "base/applet.h"
#include "base/err.h"

#include <errno.h>
#include <fcntl.h>
#include <seccomp.h>
#include <signal.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <unistd.h>

static const char *const base[] = {
	"read", "write", "readv", "writev", "close", "lseek", "fstat", "newfstatat", "brk", "mmap",
	"munmap", "mremap", "madvise", "futex", "clock_gettime", "getpid", "gettid", "rt_sigreturn",
	"rt_sigprocmask", "sigaltstack", "exit", "exit_group", NULL,
};

/* Async-signal-safe: format the number by hand, write, exit. */
static void on_sigsys(int sig, siginfo_t *si, void *uc)
{
	(void)sig;
	(void)uc;
	char line[160], num[16];
	int n = 0, len = 0;
	unsigned v = (unsigned)si->si_syscall;
	do
		num[n++] = (char)('0' + v % 10);
	while ((v /= 10) && n < (int)sizeof(num));
	const char *name = keel_applet ? keel_applet->name : "?";
	const char *parts[] = {"keel ", name, ": sandbox: forbidden system call ", NULL};
	for (int i = 0; parts[i]; i++)
		for (const char *p = parts[i]; *p && len < (int)sizeof(line) - 24; p++)
			line[len++] = *p;
	while (n)
		line[len++] = num[--n];
	line[len++] = '\n';
	syscall(SYS_write, 2, line, (size_t)len);
	syscall(SYS_exit_group, SANDBOX_EXIT);
}

static int allow_names(scmp_filter_ctx ctx, const char *const names[], struct kerr *e)
{
	for (int i = 0; names[i]; i++) {
		if (!strcmp(names[i], "ioctl") || !strcmp(names[i], "fcntl")) /* only ever narrowed, below */
			return kerr_set(e, -EINVAL, "sandbox: %s may not be allowed whole", names[i]);
		int nr = seccomp_syscall_resolve_name(names[i]);
		if (nr == __NR_SCMP_ERROR)
			return kerr_set(e, -EINVAL, "sandbox: unknown system call '%s'", names[i]);
		int r = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, nr, 0);
		if (r && r != -EEXIST)
			return kerr_set(e, r, "sandbox: allow %s: %s", names[i], strerror(-r));
	}
	return 0;
}

int sandbox_enter(const char *const allow[], struct kerr *e)
{
#ifdef KEEL_UNDER_VALGRIND
	/* Only build/vg/keel, the memcheck build (./build.sh vg), is compiled with this: valgrind
	 * cannot run a seccomp-filtered process (it has no seccomp(2) and its own syscalls would be
	 * filtered too). Never defined in build/keel; tests/valgrind.sh checks that build/keel
	 * has no trace of it. */
	(void)allow, (void)e;
	return 0;
#endif
	struct sigaction sa;
	int ret;
	scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_TRAP);
	if (!ctx)
		return kerr_set(e, -ENOMEM, "sandbox: seccomp_init failed");

	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = on_sigsys;
	sa.sa_flags = SA_SIGINFO;
	sigemptyset(&sa.sa_mask);
	if (sigaction(SIGSYS, &sa, NULL)) {
		ret = kerr_set(e, -errno, "sandbox: sigaction: %s", strerror(errno));
		goto out;
	}
	if ((ret = allow_names(ctx, base, e)) || (ret = allow_names(ctx, allow, e)))
		goto out;
	/* Narrow calls libc makes on its own: stdio's terminal check, open()'s O_CLOEXEC. */
	static const struct { int nr; scmp_datum_t arg1; const char *what; } narrow[] = {
		{SCMP_SYS(ioctl), TIOCGWINSZ, "ioctl(TIOCGWINSZ)"},
		{SCMP_SYS(fcntl), F_GETFD, "fcntl(F_GETFD)"},
		{SCMP_SYS(fcntl), F_SETFD, "fcntl(F_SETFD)"},
		{SCMP_SYS(fcntl), F_GETFL, "fcntl(F_GETFL)"},
	};
	for (size_t i = 0; i < sizeof(narrow) / sizeof(narrow[0]); i++) {
		ret = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, narrow[i].nr, 1,
			SCMP_A1(SCMP_CMP_EQ, narrow[i].arg1));
		if (ret && ret != -EEXIST) {
			kerr_set(e, ret, "sandbox: allow %s: %s", narrow[i].what, strerror(-ret));
			goto out;
		}
	}
	if ((ret = seccomp_attr_set(ctx, SCMP_FLTATR_CTL_TSYNC, 1)) ||
		(ret = seccomp_attr_set(ctx, SCMP_FLTATR_CTL_NNP, 1))) {
		kerr_set(e, ret, "sandbox: filter attributes: %s", strerror(-ret));
		goto out;
	}
	ret = seccomp_load(ctx);
	if (ret)
		kerr_set(e, ret, "sandbox: load filter: %s", strerror(-ret));
out:
	seccomp_release(ctx);
	return ret;
}

/* ---- filters built rule by rule (services) ---------------------------------------------------- */

static uint32_t action(int a)
{
	return a == SANDBOX_ALLOW ? SCMP_ACT_ALLOW : a == SANDBOX_KILL ? SCMP_ACT_KILL_PROCESS : SCMP_ACT_ERRNO((uint32_t)a);
}

int sandbox_filter_new(struct sandbox_filter **f, int default_action, unsigned archs)
{
	static const uint32_t arch[] = {SCMP_ARCH_X86, SCMP_ARCH_X86_64, SCMP_ARCH_X32};
	scmp_filter_ctx ctx = seccomp_init(action(default_action));
	int ret = 0;
	if (!ctx)
		return -ENOMEM;
	for (size_t i = 0; i < 3 && !ret; i++)
		if (archs >> i & 1 && (ret = seccomp_arch_add(ctx, arch[i])) == -EEXIST)
			ret = 0;
	if (!ret)
		ret = seccomp_attr_set(ctx, SCMP_FLTATR_CTL_NNP, 0);
	if (!ret)
		ret = seccomp_attr_set(ctx, SCMP_FLTATR_ACT_BADARCH, SCMP_ACT_KILL_PROCESS);
	if (ret) {
		seccomp_release(ctx);
		return ret;
	}
	*f = (struct sandbox_filter *)ctx;
	return 0;
}

int sandbox_filter_add(struct sandbox_filter *f, int nr, int act, unsigned ncmp, const struct sandbox_cmp *cmp)
{
	static const enum scmp_compare ops[] = {SCMP_CMP_EQ, SCMP_CMP_NE, SCMP_CMP_GT, SCMP_CMP_MASKED_EQ};
	struct scmp_arg_cmp c[4];
	if (ncmp > 4)
		return -E2BIG;
	for (unsigned i = 0; i < ncmp; i++)
		c[i] = (struct scmp_arg_cmp){cmp[i].arg, ops[cmp[i].op], cmp[i].op == SB_MASKED_EQ ? cmp[i].mask : cmp[i].a,
			cmp[i].a};
	int ret = seccomp_rule_add_array((scmp_filter_ctx)f, action(act), nr, ncmp, c);
	return ret == -EEXIST ? 0 : ret;
}

int sandbox_filter_load(struct sandbox_filter *f) { return seccomp_load((scmp_filter_ctx)f); }

void sandbox_filter_free(struct sandbox_filter *f)
{
	if (f)
		seccomp_release((scmp_filter_ctx)f);
}

int sandbox_syscall_nr(const char *name)
{
	int nr = seccomp_syscall_resolve_name(name);
	return nr == __NR_SCMP_ERROR ? -ENOENT : nr < 0 ? -ENOSYS : nr;
}
