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

struct kerr;

#define SANDBOX_EXIT 159 /* exit status after a forbidden system call */

int sandbox_enter(const char *const allow[], struct kerr *e);

#endif
