/* init_stage1.c — stage 1 of `keel init`: PID 1 in the initramfs, from the kernel to the verified
 * host root (sequence and kernel command line in core/boot/stage1.h, whose steps it runs). This
 * is the program around them: the console lines ("keel init: [  1.234] …"), which step runs next,
 * the exec of provisioning and of the host init, and the rescue console on any failure. */
#include "applets/init_stage1.h"
#include "base/clock.h"
#include "base/applet.h"
#include "base/buf.h"
#include "base/err.h"
#include "base/fs.h"
#include "base/log.h"
#include "boot/cmdline.h"
#include "boot/lockdown.h"
#include "boot/stage1.h"
#include "diag/evidence.h"
#include "disk/mount.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <poll.h>
#include <sys/reboot.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

static struct {
	struct stage1 s;      /* large (command line): not on the stack */
	struct kerr e;
	char what[128];       /* the step that failed */
	uint64_t t0;
	struct {
		uint64_t ms;
		char text[120];
	} line[40];           /* the console lines (cut), for /run/keel/boot-stages */
	int nline;
	bool state_up;        /* STATE is mounted on STAGE1_SYSROOT */
} g;

/* One progress line on the console: "keel init: [  1.234] message". */
__attribute__((format(printf, 1, 2))) static void say(const char *fmt, ...)
{
	char line[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	uint64_t now = mono_ms(), t = now - g.t0;
	if (g.nline < (int)(sizeof(g.line) / sizeof(g.line[0]))) {
		g.line[g.nline].ms = now;
		char *c = g.line[g.nline++].text;
		size_t l = strnlen(line, sizeof(g.line[0].text) - 1);
		memcpy(c, line, l);
		c[l] = 0;
		for (; *c; c++)
			*c = *c == '\n' ? ' ' : *c;
	}
	dprintf(STDERR_FILENO, "keel init: [%3llu.%03llu] %s\n", (unsigned long long)(t / 1000),
		(unsigned long long)(t % 1000), line);
}

__attribute__((format(printf, 1, 2))) static void step(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(g.what, sizeof(g.what), fmt, ap);
	va_end(ap);
}

/* /run/keel/boot-stages, for `keel diag boot`: "MONO_MS TEXT" for the start of stage 1, each
 * console line, and last (switch_root or the failure), on CLOCK_MONOTONIC as the console's times. */
static void record_stages(const char *last)
{
	mkdir("/run/keel", 0755);
	int fd = open("/run/keel/boot-stages", O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0644);
	if (fd < 0)
		return;
	dprintf(fd, "%llu stage 1\n", (unsigned long long)g.t0);
	for (int i = 0; i < g.nline; i++)
		dprintf(fd, "%llu %s\n", (unsigned long long)g.line[i].ms, g.line[i].text);
	dprintf(fd, "%llu %s\n", (unsigned long long)mono_ms(), last);
	close(fd);
}

/* Evidence on STATE for `keel diag last` (diag/evidence.h), mounting STATE if stage 1 failed
 * after finding the disk but before mounting it. */
static void keep_evidence(const char *why)
{
	char reason[800];
	snprintf(reason, sizeof(reason), "stage 1 failed: %s", why);
	struct kerr e = {0};
	if (!g.state_up && (!g.s.disk[0] || stage1_mount_state(&g.s, "/sys", &e)))
		return;
	g.state_up = true;
	int fd = open(STAGE1_SYSROOT, O_PATH | O_DIRECTORY | O_CLOEXEC), n = fd < 0 ? -errno : evidence_save(fd, "/run/keel", reason);
	if (fd >= 0)
		close(fd);
	if (n > 0)
		dprintf(STDERR_FILENO, "keel init: evidence kept on STATE: /" EVIDENCE_DIR "/%d.txt (keel diag last)\n", n);
}

static void console_stdio(void)
{
	int fd = open("/dev/console", O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (fd < 0)
		return;
	for (int i = 0; i < 3; i++)
		dup2(fd, i);
	if (fd > 2)
		close(fd);
}

static unsigned key_uint(const char *key, unsigned dflt, unsigned min, unsigned max)
{
	const char *v = cmdline_get(&g.s.cmd, key);
	uint64_t x;
	if (!v)
		return dflt;
	if (parse_u64(v, min, max, &x)) {
		say("ignoring %s=%s (not a number in %u..%u)", key, v, min, max);
		return dflt;
	}
	return (unsigned)x;
}

/* First-boot provisioning, when the initramfs has it (/bin/provision): `keel provision boot
 * --root /sysroot` in a process of its own, waited for; anything but exit status 0 fails. */
static int provision(void)
{
	if (access("/bin/provision", X_OK))
		return 0;
	step("first-boot provisioning");
	say("running keel provision boot --root " STAGE1_SYSROOT);
	pid_t pid = fork();
	if (pid < 0)
		return kerr_set(&g.e, -errno, "fork: %s", strerror(errno));
	if (!pid) {
		char *argv[] = {"keel", "provision", "boot", "--root", STAGE1_SYSROOT, NULL};
		execv("/bin/keel", argv);
		_exit(127);
	}
	int st;
	while (waitpid(pid, &st, 0) < 0)
		if (errno != EINTR)
			return kerr_set(&g.e, -errno, "wait: %s", strerror(errno));
	if (WIFEXITED(st) && !WEXITSTATUS(st))
		return 0;
	if (WIFEXITED(st))
		return kerr_set(&g.e, -EIO, "keel provision exited with status %d", WEXITSTATUS(st));
	return kerr_set(&g.e, -EIO, "keel provision killed by signal %d", WTERMSIG(st));
}

/* VmHWM of this process in KiB (-1 if unknown): what PID 1 cost at its peak. */
static long peak_rss_kib(void)
{
	char b[4096];
	int fd = open("/proc/self/status", O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	ssize_t n = read(fd, b, sizeof(b) - 1);
	close(fd);
	if (n <= 0)
		return -1;
	b[n] = 0;
	const char *p = strstr(b, "\nVmHWM:");
	return p ? strtol(p + 8, NULL, 10) : -1;
}

/* Secure Boot on, or a UEFI boot whose Secure Boot state is not known yet (or /sys is not even
 * mounted): no root console without the credential (boot/lockdown.h). */
static int locked(void)
{
	if (g.s.secure_boot >= 0)
		return g.s.secure_boot == 1;
	return g.s.secure_boot == -2 && (!access(STAGE1_EFIVARS, F_OK) || access("/sys/firmware", F_OK));
}

static void __attribute__((noreturn)) reboot_now(const char *why)
{
	dprintf(STDERR_FILENO, "keel init: Secure Boot is on and %s: rebooting, so that boot counting falls back to the previous release\n", why);
	sync();
	reboot(RB_AUTOBOOT);
	for (;;)
		pause();
}

/* One line from the console without echo, within tmo seconds (0: no limit); -1 none. */
static ssize_t read_secret(char *pw, size_t n, unsigned tmo)
{
	struct termios t, quiet;
	int tty = !tcgetattr(STDIN_FILENO, &t);
	if (tty) {
		quiet = t;
		quiet.c_lflag &= ~(tcflag_t)ECHO;
		tcsetattr(STDIN_FILENO, TCSAFLUSH, &quiet);
	}
	struct pollfd p = {.fd = STDIN_FILENO, .events = POLLIN};
	ssize_t r = poll(&p, 1, tmo ? (int)tmo * 1000 : -1) == 1 ? read(STDIN_FILENO, pw, n) : -1;
	if (tty)
		tcsetattr(STDIN_FILENO, TCSAFLUSH, &t);
	dprintf(STDERR_FILENO, "\n");
	while (r > 0 && (pw[r - 1] == '\n' || pw[r - 1] == '\r'))
		r--;
	return r;
}

/* The locked-down rescue: the password of LOCKDOWN_HASH_FILE (3 tries) or a reboot. */
static void locked_rescue(unsigned tmo)
{
	struct buf h = BUF_INIT(LOCKDOWN_HASH_MAX);
	struct kerr e = {0};
	char pw[257];
	if (fs_read_path(AT_FDCWD, LOCKDOWN_HASH_FILE, h.max, &h, &e) || !h.len)
		reboot_now("this image has no rescue password");
	char *hash = (char *)h.p;
	hash[strcspn(hash, "\n")] = 0;
	if (lockdown_check(hash, "", 0) < 0)
		reboot_now("the image's rescue password hash is not a SHA-512 crypt hash");
	for (int i = 1; i <= 3; i++) {
		dprintf(STDERR_FILENO, "keel init: Secure Boot is on: the rescue console needs the image's rescue password (try %d of 3)\npassword: ", i);
		ssize_t n = read_secret(pw, sizeof(pw), tmo);
		int ok = n >= 0 && (size_t)n < sizeof(pw) && lockdown_check(hash, pw, (size_t)n) == 1;
		explicit_bzero(pw, sizeof(pw));
		if (ok) {
			buf_free(&h);
			return;
		}
		if (n < 0)
			reboot_now("no password came");
		dprintf(STDERR_FILENO, "keel init: wrong password\n");
		sleep(2);
	}
	reboot_now("the rescue password was wrong 3 times");
}

/* "keel init: FAILED: what: why" (code != 0), then exec `keel rescue` in place of PID 1 (with
 * Secure Boot on: after the credential, or a reboot instead; see locked_rescue). */
static void __attribute__((noreturn)) rescue(int code)
{
	char reason[700];
	if (code)
		snprintf(reason, sizeof(reason), "%s: %s", g.what, kerr_str(&g.e, code));
	else
		snprintf(reason, sizeof(reason), "keel.rescue on the kernel command line");
	if (code)
		dprintf(STDERR_FILENO, "keel init: FAILED: %s\n", reason);
	record_stages(code ? "stage 1 failed" : "rescue console");
	if (code)
		keep_evidence(reason);
	char tmo[32];
	unsigned t = key_uint("keel.rescue_timeout", 600, 0, 86400);
	if (locked())
		locked_rescue(t);
	snprintf(tmo, sizeof(tmo), "%u", t);
	char *argv[] = {"keel", "rescue", "--timeout", tmo, "--reason", reason, NULL};
	execv("/proc/self/exe", argv); /* still there when switch_root got as far as emptying the initramfs */
	execv("/bin/keel", argv);
	dprintf(STDERR_FILENO, "keel init: cannot start the rescue console: %s\n", strerror(errno));
	for (;;)
		pause();
}

/* Steps 3-8 of stage1.h up to the mounted host root, each printing what it did. */
static int to_sysroot(void)
{
	struct stage1 *s = &g.s;
	struct stage1_choice c;
	char root[2 * HASH_MAX_SIZE + 1];
	int ret;

	step("choosing the slot");
	ret = stage1_choose_slot(s, "/sys", &c, &g.e);
	if (c.damaged)
		say("%s: the %s GPT copy is damaged; it is rewritten on the next write", c.gpt_dev, c.damaged);
	if (c.partn && s->fallback[0])
		say("boot counting fell back: EFI/Linux/%s has no tries left; %s", s->fallback,
			c.cleared ? "the other slot's tries are now 0 in the GPT, so gptprio.next agrees" : "the other slot needs no change");
	if (c.partn && c.by_usrhash)
		say("slot %s chosen by keel.usrhash=%s (partition %u: its signed manifest has this root hash; priority %u, tries %u, successful %u: the boot entry counts tries)",
			s->slot, cmdline_get(&s->cmd, "keel.usrhash"), c.partn, c.priority, c.tries, c.successful);
	else if (c.partn && c.decremented)
		say("slot %s chosen (partition %u: priority %u, tries %u -> %u, successful %u)", s->slot, c.partn,
			c.priority, c.tries, c.tries - 1, c.successful);
	else if (c.partn)
		say("slot %s chosen (partition %u: priority %u, tries %u, successful %u%s)", s->slot, c.partn,
			c.priority, c.tries, c.successful, c.forced ? ", forced by keel.slot" : "");
	if (ret)
		return ret;
	step("checking the manifest of %s (%s)", s->slot, s->part_dev);
	if ((ret = stage1_manifest(s, STAGE1_KEYDIR, &g.e)))
		return ret;
	hex_encode(root, s->m.root_hash, hash_size(s->m.hash));
	say("%s: manifest version %s signed by key %s; root hash %.16s...", s->slot, s->m.version, s->key, root);
	step("checking the version of %s against the minimum", s->slot);
	if ((ret = stage1_floor(s, "/", STAGE1_FLOOR_INITRAMFS, "the initramfs", &g.e)))
		return ret;
	step("setting up dm-verity for %s", s->slot);
	if ((ret = stage1_verity(s, &g.e)))
		return ret;
	step("mounting the state partition");
	if ((ret = stage1_mount_state(s, "/sys", &g.e)))
		return ret;
	g.state_up = true;
	say("state %s (ext4) mounted on /", s->state_dev);
	step("checking the version of %s against the minimum", s->slot);
	if ((ret = stage1_floor(s, STAGE1_SYSROOT, STAGE1_FLOOR_STATE, "STATE", &g.e)))
		return ret;
	if (s->floor[0])
		say("%s: version %s, minimum %s (%s)", s->slot, s->m.version, s->floor, s->floor_src);
	step("preparing the state partition");
	if ((ret = stage1_skeleton(STAGE1_SYSROOT, &g.e)))
		return ret;
	step("mounting the verity root of %s", s->slot);
	if ((ret = stage1_mount_usr(s, &g.e)))
		return ret;
	say("verity root /dev/mapper/%s (%s, %s) mounted read-only on /usr", STAGE1_DM_NAME, s->m.fs, s->slot);
	step("mounting /tmp");
	if ((ret = stage1_mount_tmp(&g.e)))
		return ret;
	step("writing /run/keel/boot");
	if ((ret = stage1_record_boot(s, "/run/keel", &g.e)) || (ret = stage1_tuf_root(STAGE1_TUF_ROOT, STAGE1_TUF_RUN, STAGE1_TUF_RUN_ROOT, &g.e)))
		return ret;
	return provision();
}

int init_stage1(void)
{
	struct stage1 *s = &g.s;
	const char *init;
	int ret, loaded, skipped;

	memset(&g, 0, sizeof(g));
	g.s.secure_boot = -2; /* not known yet (locked) */
	g.t0 = mono_ms();
	if (getpid() != 1)
		return kfail(EXIT_USAGE, "stage 1 runs only as PID 1 from an initramfs");
	if (!is_ramfs("/")) { /* PID 1 never returns: that would panic the kernel */
		console_stdio();
		step("starting stage 1");
		rescue(kerr_set(&g.e, -EINVAL, "/ is not an initramfs (ramfs or tmpfs) but has " STAGE1_MARKER));
	}
	umask(022);
	step("mounting /proc /sys /dev /run");
	if ((ret = mount_basic(&g.e))) {
		console_stdio();
		rescue(ret);
	}
	console_stdio();
	say("stage 1, keel %s", KEEL_VERSION);
	step("reading /proc/cmdline");
	if ((ret = cmdline_read(&s->cmd, "/proc/cmdline", &g.e)))
		rescue(ret);
	const char *lv = cmdline_get(&s->cmd, "keel.log");
	if (lv)
		setenv("KEEL_LOG", lv, 1);
	for (int i = 0; i < s->cmd.n; i++)
		if (stage1_unknown_key(s->cmd.key[i]))
			say("unknown key %s on the kernel command line (ignored)", s->cmd.key[i]);
	step("loading kernel modules");
	if ((ret = stage1_modules(STAGE1_MODLIST, NULL, &loaded, &skipped, &g.e)))
		rescue(ret);
	if (loaded >= 0)
		say("loaded %d kernel modules (%d optional ones unavailable)", loaded, skipped);
	step("reading the EFI variables");
	if ((ret = stage1_efi(s, "/sys", &g.e)))
		rescue(ret);
	if (s->secure_boot >= 0)
		say("UEFI: Secure Boot %s; boot entry %s", s->secure_boot ? "enabled" : "disabled", s->entry[0] ? s->entry : "(none: not systemd-boot)");
	unsigned timeout = key_uint("keel.timeout", 10, 1, 300);
	step("waiting for the disk");
	ret = stage1_wait_disk(s, "/sys", timeout, &g.e);
	if (cmdline_has(&s->cmd, "keel.rescue"))
		rescue(0);
	if (ret || (ret = to_sysroot()))
		rescue(ret);
	step("starting the host");
	if ((ret = stage1_host_init(&s->cmd, &init, &g.e)))
		rescue(ret);
	bool keel = !strcmp(init, STAGE1_HOST_INIT);
	say("switching root to the host, exec %s%s (stage 1 peak RSS %ld KiB)", init, keel ? " init" : "", peak_rss_kib());
	char *keel_argv[] = {"keel", "init", NULL};
	char *custom_argv[] = {(char *)init, NULL};
	record_stages("switch_root");
	if (!(ret = switch_root(STAGE1_SYSROOT, &g.e))) {
		execv(init, keel ? keel_argv : custom_argv);
		ret = kerr_set(&g.e, -errno, "switch_root: exec %s: %s", init, strerror(errno));
	}
	rescue(ret);
}
