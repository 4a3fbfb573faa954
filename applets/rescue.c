/* keel rescue - line-based rescue console (stage 1 failures, keel.rescue)
 *
 * usage: keel rescue [--reason TEXT] [--timeout SECONDS]
 *
 * A console on standard input/output (stage 1 puts them on /dev/console) that needs no shell.
 * Built-in commands:
 *   help                      list the commands
 *   ls [-l] [PATH...]         list directories (-l: mode, size)
 *   cat FILE...               print files
 *   dmesg                     print the kernel log
 *   mount                     list mounts
 *   mount [-t TYPE] [-o OPTS] SOURCE TARGET
 *                             mount (OPTS: ro rw nosuid nodev noexec bind remount, others
 *                             passed to the filesystem)
 *   umount [-l] TARGET        unmount (-l: lazily)
 *   mkdir [-p] PATH...        make directories
 *   rm [-r] PATH...           remove files (-r: directories, never crossing mounts)
 *   slots [DISK]              the A/B slot table (keel slots)
 *   reboot, poweroff          stop everything and reboot / power off
 *   exit                      leave the console (not when it is PID 1)
 *   APPLET ARGS...            run any keel applet (keel --list)
 * Words are separated by blanks; '…' and "…" group; a line is at most 1023 bytes (a longer one
 * is refused, never cut). With no input for --timeout seconds (default 600, 0 = never) the
 * machine reboots, also while a command runs (it is stopped first) and when the console is
 * gone (EOF). As PID 1 the console becomes the controlling terminal: ^C interrupts a command.
 *
 * Options:
 *   --reason TEXT     why the console was entered (printed first)
 *   --timeout SECONDS idle timeout before reboot
 *
 * Exit status: 0 after exit; 2 usage.
 */
#include "base/applet.h"
#include "base/args.h"
#include "base/buf.h"
#include "base/clock.h"
#include "base/err.h"
#include "base/fs.h"
#include "base/log.h"
#include "disk/mount.h"
#include "boot/shutdown.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/klog.h>
#include <sys/mount.h>
#include <sys/reboot.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#define LINE_MAX_LEN 1024
#define ARGS_MAX 32
#define KILL_GRACE_S 2

static int pid1;
static int have_tty;      /* PID 1 owns the console as its controlling terminal */
static unsigned idle_s;   /* --timeout */
static volatile sig_atomic_t got_int, got_alarm;

/* No SA_RESTART: a read, open or wait blocked in a command returns EINTR. */
static void on_signal(int sig)
{
	if (sig == SIGINT)
		got_int = 1;
	else
		got_alarm = 1;
}

static int interrupted(void) { return got_int || got_alarm; }

static void out(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void out(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vfprintf(stdout, fmt, ap);
	va_end(ap);
	fflush(stdout);
}

static void err_line(const char *cmd, const char *what, int errnum)
{
	out("%s: %s: %s\n", cmd, what, kerr_strerror(errnum));
}

static int cmp_names(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

static void ls_one(const char *path, int lng)
{
	struct stat st;
	if (lstat(path, &st)) {
		err_line("ls", path, errno);
		return;
	}
	if (!S_ISDIR(st.st_mode)) {
		if (lng)
			out("%06o %10lld %s\n", (unsigned)st.st_mode, (long long)st.st_size, path);
		else
			out("%s\n", path);
		return;
	}
	DIR *d = opendir(path);
	if (!d) {
		err_line("ls", path, errno);
		return;
	}
	char **names = NULL;
	size_t n = 0, cap = 0;
	struct dirent *de;
	while (!interrupted() && (de = readdir(d))) {
		if (de->d_name[0] == '.' && (!de->d_name[1] || (de->d_name[1] == '.' && !de->d_name[2])))
			continue;
		if (n == cap) {
			cap = cap ? cap * 2 : 64;
			char **nn = realloc(names, cap * sizeof(*names));
			if (!nn)
				break;
			names = nn;
		}
		if (!(names[n] = strdup(de->d_name)))
			break;
		n++;
	}
	closedir(d);
	qsort(names, n, sizeof(*names), cmp_names);
	for (size_t i = 0; i < n; i++) {
		char p[4096];
		struct stat s2;
		int ok = !str_fmt(p, sizeof(p), "%s/%s", path, names[i]) && !lstat(p, &s2);
		const char *suffix = !ok ? "" : S_ISDIR(s2.st_mode) ? "/" : S_ISLNK(s2.st_mode) ? "@" : "";
		if (lng && ok)
			out("%06o %10lld %s%s\n", (unsigned)s2.st_mode, (long long)s2.st_size, names[i], suffix);
		else
			out("%s%s\n", names[i], suffix);
		free(names[i]);
	}
	free(names);
}

static void cmd_ls(int argc, char **argv)
{
	int lng = argc > 1 && !strcmp(argv[1], "-l");
	int first = lng ? 2 : 1;
	if (first >= argc)
		ls_one(".", lng);
	for (int i = first; i < argc; i++)
		ls_one(argv[i], lng);
}

static void cmd_cat(int argc, char **argv)
{
	for (int i = 1; i < argc && !interrupted(); i++) {
		int fd = open(argv[i], O_RDONLY | O_CLOEXEC);
		if (fd < 0) {
			err_line("cat", argv[i], errno);
			continue;
		}
		char b[8192];
		ssize_t r = 0;
		while (!interrupted() && (r = read(fd, b, sizeof(b))) > 0) /* /dev/kmsg, a FIFO: until ^C */
			fwrite(b, 1, (size_t)r, stdout);
		if (r < 0 && errno != EINTR)
			err_line("cat", argv[i], errno);
		close(fd);
		fflush(stdout);
	}
}

static void cmd_dmesg(void)
{
	int len = klogctl(10, NULL, 0); /* SYSLOG_ACTION_SIZE_BUFFER */
	if (len <= 0)
		len = 1 << 17;
	char *b = malloc((size_t)len);
	if (!b)
		return;
	int n = klogctl(3, b, len); /* SYSLOG_ACTION_READ_ALL */
	if (n < 0)
		err_line("dmesg", "klogctl", errno);
	else
		fwrite(b, 1, (size_t)n, stdout);
	fflush(stdout);
	free(b);
}

static void cmd_mount(int argc, char **argv)
{
	const char *type = NULL, *opts = NULL;
	int i = 1;
	if (argc == 1) {
		char *a[] = {"cat", "/proc/self/mounts", NULL};
		cmd_cat(2, a);
		return;
	}
	for (; i < argc - 1 && argv[i][0] == '-'; i += 2) {
		if (!strcmp(argv[i], "-t"))
			type = argv[i + 1];
		else if (!strcmp(argv[i], "-o"))
			opts = argv[i + 1];
		else
			break;
	}
	if (argc - i != 2) {
		out("usage: mount [-t TYPE] [-o OPTS] SOURCE TARGET\n");
		return;
	}
	unsigned long flags = 0;
	char data[512] = "", o[512];
	if (opts && str_copy(o, sizeof(o), opts)) {
		out("mount: options too long\n");
		return;
	}
	static const struct { const char *name; unsigned long set, clear; } fl[] = {
		{"ro", MS_RDONLY, 0}, {"rw", 0, MS_RDONLY}, {"nosuid", MS_NOSUID, 0}, {"nodev", MS_NODEV, 0},
		{"noexec", MS_NOEXEC, 0}, {"bind", MS_BIND, 0}, {"remount", MS_REMOUNT, 0}, {"noatime", MS_NOATIME, 0},
	};
	for (char *save = NULL, *t = opts ? strtok_r(o, ",", &save) : NULL; t; t = strtok_r(NULL, ",", &save)) {
		size_t k;
		for (k = 0; k < sizeof(fl) / sizeof(fl[0]); k++)
			if (!strcmp(t, fl[k].name)) {
				flags = (flags | fl[k].set) & ~fl[k].clear;
				break;
			}
		if (k < sizeof(fl) / sizeof(fl[0]))
			continue;
		if (strlen(data) + strlen(t) + 2 > sizeof(data)) {
			out("mount: options too long\n");
			return;
		}
		if (*data)
			strcat(data, ",");
		strcat(data, t);
	}
	if (mount(argv[i], argv[i + 1], type, flags, *data ? data : NULL))
		err_line("mount", argv[i + 1], errno);
}

static void cmd_umount(int argc, char **argv)
{
	int lazy = argc > 1 && !strcmp(argv[1], "-l");
	if (argc != 2 + lazy) {
		out("usage: umount [-l] TARGET\n");
		return;
	}
	if (umount2(argv[1 + lazy], lazy ? MNT_DETACH : 0))
		err_line("umount", argv[1 + lazy], errno);
}

static void cmd_mkdir(int argc, char **argv)
{
	int p = argc > 1 && !strcmp(argv[1], "-p");
	for (int i = 1 + p; i < argc; i++) {
		int r = p ? mount_mkdir_p(argv[i], 0755) : (mkdir(argv[i], 0755) ? -errno : 0);
		if (r)
			err_line("mkdir", argv[i], -r);
	}
}

static void cmd_rm(int argc, char **argv)
{
	int r = argc > 1 && !strcmp(argv[1], "-r");
	for (int i = 1 + r; i < argc; i++) {
		struct stat st;
		if (lstat(argv[i], &st)) {
			err_line("rm", argv[i], errno);
			continue;
		}
		if (S_ISDIR(st.st_mode)) {
			if (!r) {
				out("rm: %s: is a directory (use rm -r)\n", argv[i]);
				continue;
			}
			int e = -fs_remove_tree(AT_FDCWD, argv[i], FS_SAME_DEV, 256);
			if (e)
				err_line("rm", argv[i], e);
		} else if (unlink(argv[i])) {
			err_line("rm", argv[i], errno);
		}
	}
}

/* Any keel applet, as a child; the console waits for it. With the console as our controlling
 * terminal the child gets a process group of its own in the foreground, so ^C reaches it (a
 * SIGINT that reaches the console instead is passed on). When the idle timeout strikes first it
 * gets SIGTERM, then SIGKILL after KILL_GRACE_S. */
static void run_applet(int argc, char **argv)
{
	char *v[ARGS_MAX + 2];
	v[0] = "keel";
	for (int i = 0; i < argc; i++)
		v[i + 1] = argv[i];
	v[argc + 1] = NULL;
	fflush(stdout);
	pid_t pid = fork();
	if (pid < 0) {
		err_line(argv[0], "fork", errno);
		return;
	}
	if (!pid) {
		sigset_t none;
		sigemptyset(&none);
		if (have_tty) {
			setpgid(0, 0);
			tcsetpgrp(STDIN_FILENO, getpid());
		}
		static const int sigs[] = {SIGINT, SIGALRM, SIGPIPE, SIGTTOU, SIGTTIN, SIGTSTP};
		for (size_t i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
			signal(sigs[i], SIG_DFL);
		sigprocmask(SIG_SETMASK, &none, NULL);
		execv("/proc/self/exe", v);
		fprintf(stderr, "%s: exec: %s\n", argv[0], kerr_strerror(errno));
		_exit(127);
	}
	pid_t target = pid;
	if (have_tty) {
		setpgid(pid, pid); /* both sides: whichever runs first */
		tcsetpgrp(STDIN_FILENO, pid);
		target = -pid;
	}
	int st = 0, stage = 0; /* 0 running, 1 SIGTERM sent, 2 SIGKILL sent */
	for (;;) {
		pid_t r = waitpid(pid, &st, 0);
		if (r == pid)
			break;
		if (r < 0 && errno != EINTR) {
			err_line(argv[0], "wait", errno);
			break;
		}
		if (got_int) { /* ^C reached the console, not the command (no terminal, or not yet its) */
			got_int = 0;
			kill(target, SIGINT);
		}
		if (!got_alarm)
			continue;
		got_alarm = 0;
		if (stage == 2) {
			out("(%s: still there after SIGKILL; left behind)\n", argv[0]);
			st = -1;
			break;
		}
		kill(target, stage ? SIGKILL : SIGTERM);
		if (!stage)
			kill(target, SIGCONT);
		stage++;
		alarm(KILL_GRACE_S);
	}
	alarm(0);
	got_alarm = stage > 0; /* the idle timeout struck */
	if (have_tty)
		tcsetpgrp(STDIN_FILENO, getpgrp());
	if (stage)
		out("(%s stopped: no input for %u s)\n", argv[0], idle_s);
	else if (st >= 0 && WIFEXITED(st) && WEXITSTATUS(st))
		out("(%s exited with status %d)\n", argv[0], WEXITSTATUS(st));
	else if (st >= 0 && WIFSIGNALED(st))
		out("(%s killed by signal %d)\n", argv[0], WTERMSIG(st));
}

static void halt_machine(int how)
{
	out("%s\n", how == (int)RB_POWER_OFF ? "powering off" : "rebooting");
	if (pid1) {
		machine_shutdown(how);
		out("reboot failed: %s\n", kerr_strerror(errno));
		return;
	}
	/* not PID 1: ask it (stage 2 reboots on SIGINT, powers off on SIGTERM) */
	if (kill(1, how == (int)RB_POWER_OFF ? SIGTERM : SIGINT))
		err_line("reboot", "signal PID 1", errno);
}

static void help(void)
{
	out("commands: help ls cat dmesg mount umount mkdir rm slots reboot poweroff%s\n"
	    "          or any keel applet: keel --list\n", pid1 ? "" : " exit");
}

/* Split line into words; '…' and "…" group. Returns the count, -1 on a bad line. */
static int split(char *line, char **argv)
{
	int n = 0;
	char *p = line, *o = line;
	while (*p) {
		while (*p == ' ' || *p == '\t')
			p++;
		if (!*p)
			break;
		if (n == ARGS_MAX)
			return -1;
		argv[n++] = o;
		char q = 0;
		for (; *p && (q || (*p != ' ' && *p != '\t')); p++) {
			if (!q && (*p == '\'' || *p == '"'))
				q = *p;
			else if (q && *p == q)
				q = 0;
			else
				*o++ = *p;
		}
		if (q)
			return -1;
		if (*p)
			p++;
		*o++ = 0;
	}
	return n;
}

/* 1 to leave the console. */
static int dispatch(int argc, char **argv)
{
	const char *c = argv[0];
	if (!strcmp(c, "help") || !strcmp(c, "?"))
		help();
	else if (!strcmp(c, "ls"))
		cmd_ls(argc, argv);
	else if (!strcmp(c, "cat"))
		cmd_cat(argc, argv);
	else if (!strcmp(c, "dmesg"))
		cmd_dmesg();
	else if (!strcmp(c, "mount"))
		cmd_mount(argc, argv);
	else if (!strcmp(c, "umount"))
		cmd_umount(argc, argv);
	else if (!strcmp(c, "mkdir"))
		cmd_mkdir(argc, argv);
	else if (!strcmp(c, "rm"))
		cmd_rm(argc, argv);
	else if (!strcmp(c, "reboot"))
		halt_machine(RB_AUTOBOOT);
	else if (!strcmp(c, "poweroff"))
		halt_machine(RB_POWER_OFF);
	else if (!strcmp(c, "exit")) {
		if (!pid1)
			return 1;
		out("exit: the rescue console is PID 1; use reboot or poweroff\n");
	} else if (!strcmp(c, "keel"))
		argc > 1 ? run_applet(argc - 1, argv + 1) : out("usage: keel APPLET ARGS...\n");
	else if (!strcmp(c, "rescue") || !strcmp(c, "init"))
		out("%s: not from the rescue console\n", c);
	else
		run_applet(argc, argv); /* slots and every other applet; unknown names say so */
	return 0;
}

/* Read one line from fd; idle_s seconds without a byte (0: no limit) is -ETIMEDOUT. Returns 1 a
 * line, 0 EOF (not PID 1), -E2BIG a line longer than n - 1 (read to its end and dropped),
 * -EINTR ^C. As PID 1, EOF (the console hung up) is waited out, and counts as idle. */
static int read_line(int fd, char *line, size_t n)
{
	size_t len = 0;
	int over = 0;
	uint64_t last = mono_ms();
	for (;;) {
		int left = -1;
		if (idle_s) {
			uint64_t end = last + (uint64_t)idle_s * 1000, t = mono_ms();
			if (t >= end)
				return -ETIMEDOUT;
			left = (int)(end - t);
		}
		struct pollfd p = {.fd = fd, .events = POLLIN};
		int r = poll(&p, 1, left);
		if (got_int) {
			got_int = 0;
			return -EINTR;
		}
		if (r < 0 && errno == EINTR)
			continue;
		if (r == 0)
			return -ETIMEDOUT;
		char ch;
		ssize_t k = read(fd, &ch, 1);
		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0) {
			if (!pid1)
				return over ? -E2BIG : len ? 1 : 0;
			struct timespec ts = {1, 0}; /* nobody there: wait for the console to come back */
			nanosleep(&ts, NULL);
			continue;
		}
		last = mono_ms();
		if (ch == '\n' || ch == '\r') {
			line[len] = 0;
			return over ? -E2BIG : 1;
		}
		if (len + 1 < n)
			line[len++] = ch;
		else
			over = 1;
	}
}

int rescue_main(int argc, char **argv)
{
	const char *reason = NULL;
	uint64_t timeout = 600;
	char **ops;
	const struct opt opts[] = {
		{"reason", 0, OPT_STR, &reason},
		{"timeout", 0, OPT_U64, &timeout, 0, 86400},
		{0},
	};
	int n = args_parse(opts, argc - 1, argv + 1, &ops);
	pid1 = getpid() == 1;
	if (!pid1 && n < 0)
		return args_exit(n);
	if (!pid1 && n)
		return kfail(EXIT_USAGE, "no operands expected (see --help)");
	if (n) { /* PID 1 never exits: a bad argument (from the kernel command line) gets the defaults */
		timeout = 600;
		out("keel rescue: going on with an idle timeout of %d s\n", (int)timeout);
	}
	idle_s = (unsigned)timeout;
	struct sigaction sa = {.sa_handler = on_signal}; /* ^C interrupts the command, never PID 1 */
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGALRM, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	signal(SIGTTOU, SIG_IGN); /* tcsetpgrp() from the background */
	signal(SIGTTIN, SIG_IGN);
	signal(SIGTSTP, SIG_IGN);
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGALRM);
	sigprocmask(SIG_UNBLOCK, &set, NULL); /* stage 2's supervisor had them blocked */
	if (pid1) {
		setsid();
		have_tty = !ioctl(STDIN_FILENO, TIOCSCTTY, 1);
	}
	out("\nkeel rescue console%s%s\n", reason ? ": " : "", reason ? reason : "");
	if (timeout)
		out("type 'help' for commands; idle for %llu s reboots\n", (unsigned long long)timeout);
	else
		out("type 'help' for commands\n");
	char line[LINE_MAX_LEN];
	for (;;) {
		while (pid1 && waitpid(-1, NULL, WNOHANG) > 0)
			;
		out("rescue# ");
		got_int = got_alarm = 0;
		int r = read_line(STDIN_FILENO, line, sizeof(line));
		if (r == -ETIMEDOUT) {
			out("\nidle for %u s: ", idle_s);
			halt_machine(RB_AUTOBOOT);
			continue;
		}
		if (r == -EINTR) {
			out("\n");
			continue;
		}
		if (r == -E2BIG) {
			out("line longer than %d bytes: ignored\n", LINE_MAX_LEN - 1);
			continue;
		}
		if (r == 0)
			return EXIT_OK;
		char *av[ARGS_MAX + 1];
		int ac = split(line, av);
		if (ac < 0) {
			out("unbalanced quote or more than %d words\n", ARGS_MAX);
			continue;
		}
		if (!ac)
			continue;
		av[ac] = NULL;
		alarm(idle_s); /* the idle timeout runs on while a command does */
		int leave = dispatch(ac, av);
		alarm(0);
		if (leave)
			return EXIT_OK;
		if (got_int)
			out("\n(interrupted)\n");
		if (got_alarm) {
			out("idle for %u s: ", idle_s);
			halt_machine(RB_AUTOBOOT);
		}
	}
}
