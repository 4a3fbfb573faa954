/* sandbox.h — narrow the process to an allowlist of system calls (libseccomp).
 *
 * An applet opens what it needs, then calls sandbox_enter() with the names of the system calls
 * it still makes. Everything else ends the process: the kernel traps the call, keel prints one
 * line naming the call's number and exits with status 159 (128 + SIGSYS), whatever the caller
 * was doing. The filter also sets no_new_privs. A name libseccomp does not know is an error.
 *
 * Always allowed (what any keel code path needs to finish and report): read, write, readv,
 * writev, close, lseek, fstat/newfstatat, brk, mmap, munmap, mremap, madvise, futex,
 * clock_gettime, getpid, gettid, rt_sigreturn, rt_sigprocmask, sigaltstack, exit, exit_group; ioctl with
 * TIOCGWINSZ only (stdio asks it of a terminal) and fcntl with F_GETFD, F_SETFD, F_GETFL only
 * (open() sets FD_CLOEXEC with it). An allowlist naming ioctl or fcntl is an error: they are only
 * ever allowed narrowed like this.
 */
#ifndef KEEL_SANDBOX_H
#define KEEL_SANDBOX_H

#include <stdint.h>

struct kerr;

#define SANDBOX_EXIT 159 /* exit status after a forbidden system call */

int sandbox_enter(const char *const allow[], struct kerr *e);

/* Filters built rule by rule, for services (init/svc_sandbox.c): a filter covers the native
 * architecture plus those in archs (SANDBOX_ARCH_*); a call of any other architecture ends the
 * process. Actions: SANDBOX_ALLOW, SANDBOX_KILL (the whole
 * process, SIGSYS), or an errno 1..4095 returned instead of running the call. A rule may compare
 * arguments; several comparisons in one rule must all hold. No filter sets no_new_privs itself:
 * the caller does, or holds CAP_SYS_ADMIN. */
#define SANDBOX_ALLOW (-1)
#define SANDBOX_KILL (-2)
enum sandbox_op { SB_EQ, SB_NE, SB_GT, SB_MASKED_EQ };
struct sandbox_cmp {
	unsigned arg;      /* 0..5 */
	enum sandbox_op op;
	uint64_t a, mask;  /* SB_MASKED_EQ: (arg & mask) == a */
};
struct sandbox_filter;
#define SANDBOX_ARCH_X86 1u
#define SANDBOX_ARCH_X86_64 2u
#define SANDBOX_ARCH_X32 4u
int sandbox_filter_new(struct sandbox_filter **f, int default_action, unsigned archs);
int sandbox_filter_add(struct sandbox_filter *f, int nr, int action, unsigned ncmp, const struct sandbox_cmp *cmp);
int sandbox_filter_load(struct sandbox_filter *f);
void sandbox_filter_free(struct sandbox_filter *f);
/* The native number of a system call, or -ENOENT (unknown to libseccomp) or -ENOSYS (known, but
 * not a call of this architecture). */
int sandbox_syscall_nr(const char *name);

#endif
