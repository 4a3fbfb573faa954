/* sandbox_test.c — an allowlisted call works; anything else ends the process with status 159. */
#include "t.h"
#include "base/err.h"
#include "base/sandbox.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

/* Run fn in a child under allow; return its exit status (or 1000 + signal). */
static int in_child(const char *const *allow, int (*fn)(void))
{
	fflush(NULL);
	pid_t pid = fork();
	if (pid == 0) {
		if (!getenv("KEEL_TEST_VERBOSE")) { /* the sandbox's one-line report */
			int devnull = open("/dev/null", O_WRONLY);
			dup2(devnull, 2);
		}
		struct kerr e = {0};
		if (sandbox_enter(allow, &e))
			_exit(100);
		_exit(fn());
	}
	int st;
	waitpid(pid, &st, 0);
	return WIFEXITED(st) ? WEXITSTATUS(st) : 1000 + WTERMSIG(st);
}

static int call_getppid(void) { return syscall(SYS_getppid) > 0 ? 0 : 1; }
static int call_socket(void) { return socket(AF_INET, SOCK_STREAM, 0) >= 0 ? 0 : 2; }
static int call_winsz(void) { struct winsize w; ioctl(0, TIOCGWINSZ, &w); return 0; }
static int call_fionread(void) { int n; ioctl(0, FIONREAD, &n); return 0; }
static int call_cloexec(void) { return fcntl(1, F_SETFD, FD_CLOEXEC) == 0 ? 0 : 3; }
static int call_setfl(void) { fcntl(1, F_SETFL, 0); return 0; }

T_TEST(sandbox_allowlist)
{
	static const char *const none[] = {NULL};
	static const char *const ppid[] = {"getppid", NULL};
	static const char *const bogus[] = {"not_a_syscall", NULL};
	static const char *const whole_ioctl[] = {"getppid", "ioctl", NULL};
	static const char *const whole_fcntl[] = {"fcntl", NULL};
	static const struct { const char *name; const char *const *allow; int (*fn)(void); int status; } cases[] = {
		{"allowed getppid", ppid, call_getppid, 0},
		{"forbidden getppid", none, call_getppid, SANDBOX_EXIT},
		{"forbidden socket", ppid, call_socket, SANDBOX_EXIT},
		{"ioctl TIOCGWINSZ is in the base set", none, call_winsz, 0},
		{"other ioctls are not", none, call_fionread, SANDBOX_EXIT},
		{"fcntl F_SETFD is in the base set", none, call_cloexec, 0},
		{"fcntl F_SETFL is not", none, call_setfl, SANDBOX_EXIT},
		{"an unknown name is an error, no filter", bogus, call_getppid, 100},
		{"ioctl allowed whole is an error", whole_ioctl, call_fionread, 100},
		{"fcntl allowed whole is an error", whole_fcntl, call_setfl, 100},
	};
	for (size_t i = 0; i < T_LEN(cases); i++) {
		int st = in_child(cases[i].allow, cases[i].fn);
		t_check(st == cases[i].status, "%s: status %d, want %d", cases[i].name, st, cases[i].status);
	}
}
