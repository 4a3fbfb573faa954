/* keel init - PID 1 (initramfs stage 1, the host's service supervisor) and its control commands
 *
 * usage: keel init                      (as PID 1)
 *        keel init --no-machine --root DIR [--cgroup PATH] [--log-size BYTES]
 *        keel init status [--json|--lsb] [UNIT]
 *        keel init start|stop|restart|reload|is-active|log UNIT
 *        keel init show [-p PROP,...] [--value] UNIT
 *        keel init poweroff|reboot
 *        keel init list-timers|list-sockets [--all] [--no-legend]
 *        keel init list-dependencies [--all] [UNIT]
 *        keel init enable|disable|is-enabled UNIT...
 *        keel init verify FILE...
 *        keel init calendar [--iterations N] [--now EPOCH] SPEC...
 *
 * As PID 1 in the initramfs (a ramfs/tmpfs root with /etc/keel-initramfs) it runs stage 1;
 * on any other root (the host's STATE, marker or not) it never does. As PID 1 on the host
 * (stage 2) it sets the kernel's link protection and other hardening sysctls (fs.protected_*,
 * kptr_restrict, dmesg_restrict, sysrq…; see core/init/host_setup.h), mounts cgroup2
 * (nsdelegate) on /sys/fs/cgroup, sets the hostname from /etc/hostname, brings up lo, and
 * supervises the units that multi-user.target pulls in (unit files from /etc/systemd/system
 * and /usr/lib/systemd/system). SIGTERM powers off, SIGINT (ctrl-alt-del) reboots. It never
 * exits: after stopping every unit it hands over to the machine shutdown (kill what is left,
 * unmount, detach, reboot(2)).
 *
 * --no-machine runs the same supervisor as an ordinary process for tests: a child subreaper
 * with units, /etc/passwd and sockets (DIR/run/keel/) beneath --root, no cgroups unless
 * --cgroup names a cgroup2 directory, and SIGTERM/poweroff end it with exit status 0.
 *
 * The other commands talk to PID 1 over its control socket (/run/keel/init.sock, root only):
 *   status [UNIT]   every loaded unit, or one in detail (--lsb: systemctl's shape and codes)
 *   start, stop, restart, reload UNIT   queue the job (reload: ExecReload=), wait for its end
 *   is-active UNIT  its state; exit 0 active, 3 not
 *   show UNIT       Id Description LoadState ActiveState SubState Result MainPID NRestarts
 *   log UNIT        what the unit wrote on stdout/stderr (a ring of the last 64 KiB)
 *   list-timers     the timers (--all: inactive ones too), as systemctl lists them
 *   list-sockets    the sockets' addresses and what they activate (--all: inactive ones too)
 *   list-dependencies [UNIT]  the tree of what UNIT (multi-user.target) requires and wants,
 *                   from the unit files, with PID 1's states (--all: below every unit, not
 *                   only targets)
 *   poweroff, reboot
 * Offline, beneath --root: enable/disable write/remove the [Install] links (and Also='s);
 * is-enabled says enabled, disabled, static or masked; verify checks unit files as keel init
 * would load them, printing every error with FILE:LINE (exit 1 if any, 3 if one is unreadable).
 *
 * Options:
 *   --root DIR      the tree to work beneath (default /); commands use DIR/run/keel/init.sock
 *   --socket PATH   the control socket (overrides --root)
 *   --timeout SEC   give up waiting for PID 1 after SEC seconds (default: 10 for status and
 *                   log, none for jobs)
 *   --json          status as JSON
 *   --no-machine    run the supervisor as an ordinary process (tests)
 *   --cgroup PATH   with --no-machine: run services in cgroups under this cgroup2 directory
 *   --log-size N    bytes of log ring per unit (default 65536)
 *
 * Exit status: 0 ok (status: every unit healthy; status UNIT: it is active); 1 a unit failed,
 * is not active, or its job failed; 2 usage; 3 PID 1 unreachable or another failure.
 */
#include "diag/evidence.h"
#include "applets/init_calendar.h"
#include "applets/init_deps.h"
#include "applets/init_stage1.h"
#include "applets/init_timers.h"
#include "applets/table.h"
#include "base/applet.h"
#include "base/args.h"
#include "base/buf.h"
#include "base/clock.h"
#include "init/cgroup.h"
#include "init/ctl.h"
#include "base/err.h"
#include "base/fs.h"
#include "init/unit_parse.h"
#include "base/lines.h"
#include "base/json.h"
#include "base/log.h"
#include "base/sandbox.h"
#include "boot/shutdown.h"
#include "boot/stage1.h"
#include "disk/esp.h"
#include "disk/gpt.h"
#include "init/boot_units.h"
#include "init/health.h"
#include "init/journal.h"
#include "applets/journalctl.h"
#include "init/host_setup.h"
#include "init/svc_loop.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/reboot.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define RUN_DIR "/run/keel"
#define CTL_SOCK RUN_DIR "/init.sock"
#define NOTIFY_SOCK RUN_DIR "/notify"
#define SYSLOG_SOCK RUN_DIR "/dev-log"
#define CGROUP_PATH "/sys/fs/cgroup"
#define GOAL "multi-user.target"

static const char *const client_syscalls[] = {"socket", "connect", "sendto", "shutdown", "setsockopt", "uname", NULL};

/* ---- PID 1 ------------------------------------------------------------------------------------ */

/* Is this boot a trial? Through systemd-boot: the entry stage 1 recorded (LoaderEntrySelected, as
 * named before systemd-boot counted it down) has a boot counter (NAME+LEFT[-DONE].efi). A direct
 * kernel boot: the slot's GPT successful bit is clear. Then the health checks of the image
 * (ROOT/usr/lib/keel/health.json; none: the goal alone decides; unusable: the check fails). */
static void health_setup(struct health *h, const char *root, bool test)
{
	char path[512], entry[256], slot[32], disk[128];
	struct buf b = BUF_INIT(4096);
	struct kerr e = {0};
	struct esp_name en;
	health_init(h);
	str_fmt(h->run_dir, sizeof(h->run_dir), "%s" RUN_DIR, root);
	const char *k = test ? getenv("KEEL_HEALTH_TEST_KEEL") : NULL; /* tests only: never as PID 1 */
	if (k)
		str_copy(h->keel, sizeof(h->keel), k);
	str_fmt(path, sizeof(path), "%s" RUN_DIR "/boot", root);
	if (fs_read_path(AT_FDCWD, path, b.max, &b, &e))
		goto out; /* no record: not booted by stage 1 (or a test without one) */
	h->booted = true;
	lines_value(b.p, b.len, "entry", entry, sizeof(entry));
	lines_value(b.p, b.len, "slot", slot, sizeof(slot));
	lines_value(b.p, b.len, "disk", disk, sizeof(disk));
	if (entry[0]) {
		h->trial = !esp_name_parse(entry, &en) && en.left >= 0;
		str_fmt(h->trial_why, sizeof(h->trial_why), "entry %s", entry);
	} else if (slot[0] && disk[0]) {
		struct gpt g = {0};
		struct gpt_part p;
		int fd = open(disk, O_RDONLY | O_CLOEXEC), i;
		if (fd >= 0 && !gpt_read(&(struct gpt_io){.fd = fd}, 0, &g, &e) && (i = gpt_find_name(&g, slot)) >= 0 &&
			!gpt_get(&g, i, &p))
			h->trial = !gpt_attr_successful(p.attr);
		else
			log_warn("health: %s: cannot read the GPT: %s", disk, fd < 0 ? kerr_strerror(errno) : e.msg);
		if (fd >= 0)
			close(fd);
		gpt_free(&g);
		str_fmt(h->trial_why, sizeof(h->trial_why), "slot %s, not successful", slot);
	}
	if (!h->trial)
		goto out;
	buf_free(&b);
	buf_init(&b, HEALTH_FILE_MAX + 1);
	str_fmt(path, sizeof(path), "%s" HEALTH_FILE, root);
	int ret = fs_read_path(AT_FDCWD, path, b.max, &b, &e);
	if (!ret)
		ret = b.len > HEALTH_FILE_MAX ? kerr_set(&e, -EFBIG, "larger than %d bytes", HEALTH_FILE_MAX) :
			health_parse(b.p ? (const char *)b.p : "", b.len, &h->spec, &e);
	if (ret && ret != -ENOENT)
		str_copy(h->spec_error, sizeof(h->spec_error), e.msg);
out:
	buf_free(&b);
}

static void __attribute__((noreturn)) go_down(int how)
{
	boot_units_close();
	journal_close();
	machine_shutdown(how);
	log_err("reboot(2) failed: %s", kerr_strerror(errno));
	for (;;)
		pause();
}

static void __attribute__((noreturn)) pid1_fatal(const char *what)
{
	log_err("stage 2 cannot supervise: %s", what);
	char *av[] = {"rescue", "--reason", (char *)what, NULL};
	const struct applet *rescue = applet_find("rescue");
	if (rescue)
		rescue->main(3, av);
	go_down(RB_AUTOBOOT);
}

/* The console shows kernel messages below its log level; echo our notices that it would hide
 * (unit started, startup finished, restarts, shutdown) so the console tells the story. */
static void echo_to_console(void)
{
	char buf[64] = "";
	int fd = open("/proc/sys/kernel/printk", O_RDONLY | O_CLOEXEC), level = 7;
	if (fd >= 0) {
		ssize_t n = read(fd, buf, sizeof(buf) - 1);
		close(fd);
		if (n > 0 && buf[0] >= '0' && buf[0] <= '9')
			level = buf[0] - '0';
	}
	log_echo_stderr(level, KLOG_NOTICE);
}

/* stderr on a nonblocking open of its own of the console, so log.c never waits long for a
 * serial line stopped by ^S or flow control (stdin and stdout stay as they are: blocking, for
 * the rescue console). Services never see it: they get /dev/null and their log pipe. */
static void console_stderr(void)
{
	int fd = open("/dev/console", O_WRONLY | O_NOCTTY | O_NONBLOCK | O_CLOEXEC);
	if (fd > STDERR_FILENO) {
		dup2(fd, STDERR_FILENO);
		close(fd);
	}
}

/* Stage 1's switch_root (µs; 0: none), the last line of /run/keel/boot-stages ("MS switch_root"),
 * where keel diag boot's userspace starts: "startup finished" counts from it, one figure in both. */
static uint64_t stage1_end(void)
{
	char b[64], *l, *end;
	int fd = open("/run/keel/boot-stages", O_RDONLY | O_NONBLOCK | O_NOFOLLOW | O_CLOEXEC);
	off_t sz = fd < 0 ? 0 : lseek(fd, 0, SEEK_END);
	ssize_t n = sz > 0 ? fs_read_upto(fd, b, sizeof(b) - 1, sz > 63 ? sz - 63 : 0) : 0;
	if (fd >= 0)
		close(fd);
	b[n > 0 ? n - 1 : 0] = 0; /* without the last newline: the last line follows the last '\n' */
	uint64_t ms = (l = strrchr(b, '\n')) ? strtoull(l + 1, &end, 10) : 0;
	return ms && !strcmp(end, " switch_root") && ms < UINT64_MAX / 1000 ? ms * 1000 : 0;
}

static int pid1(void)
{
	struct kerr e = {0};
	enum svc_loop_end end = SVC_LOOP_POWEROFF;
	/* held until the supervisor's signalfd takes them (PID 1 drops what it has no handler for) */
	sigset_t sigs;
	sigemptyset(&sigs);
	sigaddset(&sigs, SIGTERM);
	sigaddset(&sigs, SIGINT);
	sigaddset(&sigs, SIGPWR);
	sigaddset(&sigs, SIGCHLD);
	sigprocmask(SIG_BLOCK, &sigs, NULL);
	console_stderr();
	log_to_kmsg();
	echo_to_console();
	if (!access(STAGE1_MARKER, F_OK)) /* planted on STATE, or left over: never a reason for stage 1 here */
		log_warn("%s on the host's root ignored: stage 1 runs only from an initramfs (ramfs or tmpfs root)", STAGE1_MARKER);
	umask(022);
	if (chdir("/"))
		log_warn("chdir /: %s", kerr_strerror(errno));
	host_sysctl("/proc/sys"); /* before anything else runs: link protection and the like */
	if (host_securityfs("/sys/kernel/security", &e))
		log_warn("%s", e.msg);
	if (reboot(RB_DISABLE_CAD))
		log_warn("reboot(RB_DISABLE_CAD): %s", kerr_strerror(errno));
	if (cg_mount(CGROUP_PATH, &e))
		pid1_fatal(e.msg);
	int rootfd = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (rootfd < 0 || host_hostname(rootfd, &e) < 0)
		log_err("hostname: %s", rootfd < 0 ? kerr_strerror(errno) : e.msg);
	unsigned kept;
	int last = rootfd < 0 ? 0 : evidence_last(rootfd, &kept);
	if (last > 0)
		log_warn("%u failed boot(s) left evidence in /" EVIDENCE_DIR ", the newest %d.txt: keel diag last", kept, last);
	if (rootfd >= 0)
		close(rootfd);
	if (host_loopback(&e))
		log_err("loopback: %s", e.msg);
	static struct health h;
	health_setup(&h, "", false);
	journal_setup("");
	struct svc_loop_opts o = {.root = "/", .ctl_path = CTL_SOCK, .notify_path = NOTIFY_SOCK, .syslog_path = SYSLOG_SOCK,
		.syslog_link = "/dev/log", .goal = GOAL,
		.cgroups = true, .cgroup_path = CGROUP_PATH, .health = &h, .since = stage1_end()};
	if (svc_loop_run(&o, &end, &e))
		pid1_fatal(e.msg);
	go_down(end == SVC_LOOP_REBOOT ? RB_AUTOBOOT : RB_POWER_OFF);
}

static int test_supervisor(const char *root, const char *cgroup, uint64_t log_size)
{
	char ctl[256], notify[256], syslog[256];
	struct kerr e = {0};
	enum svc_loop_end end = SVC_LOOP_POWEROFF;
	if (!root || root[0] != '/')
		return kfail(EXIT_USAGE, "--no-machine needs --root with an absolute path");
	if (str_fmt(ctl, sizeof(ctl), "%s%s", root, CTL_SOCK) || str_fmt(notify, sizeof(notify), "%s%s", root, NOTIFY_SOCK) ||
		str_fmt(syslog, sizeof(syslog), "%s%s", root, SYSLOG_SOCK))
		return kfail(EXIT_USAGE, "--root %s: path too long for a socket", root);
	if (prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0))
		return kfail(EXIT_FAIL, "PR_SET_CHILD_SUBREAPER: %s", kerr_strerror(errno));
	struct stat st;
	char run[256];
	str_fmt(run, sizeof(run), "%s/run", root);
	if (stat(run, &st) && mkdir(run, 0755))
		return kfail(EXIT_FAIL, "%s: %s", run, kerr_strerror(errno));
	struct health h;
	health_setup(&h, root, true);
	journal_setup(root);
	struct svc_loop_opts o = {.root = root, .ctl_path = ctl, .notify_path = notify, .syslog_path = syslog, .goal = GOAL,
		.cgroups = cgroup != NULL, .cgroup_path = cgroup, .log_max = (size_t)log_size, .health = &h};
	int ret = svc_loop_run(&o, &end, &e);
	health_free(&h);
	if (ret)
		return kfail(EXIT_FAIL, "%s", e.msg);
	log_notice("stopped (%s)", end == SVC_LOOP_REBOOT ? "reboot" : "poweroff");
	return EXIT_OK;
}

/* ---- the control commands --------------------------------------------------------------------- */

static void print_json(const struct ctl_status *v, size_t n, bool one)
{
	struct buf b = BUF_INIT(CTL_REPLY_MAX);
	struct jw w;
	jw_init(&w, &b);
	if (!one) {
		jw_obj(&w);
		jw_key(&w, "units");
		jw_arr(&w);
	}
	for (size_t i = 0; i < n; i++) {
		jw_obj(&w);
		jw_key(&w, "unit"); jw_str(&w, v[i].unit);
		jw_key(&w, "load"); jw_str(&w, v[i].load);
		jw_key(&w, "active"); jw_str(&w, v[i].active);
		jw_key(&w, "sub"); jw_str(&w, v[i].sub);
		jw_key(&w, "result"); jw_str(&w, v[i].result);
		jw_key(&w, "pid"); jw_uint(&w, v[i].pid);
		jw_key(&w, "restarts"); jw_uint(&w, v[i].restarts);
		jw_key(&w, "since_ms"); jw_uint(&w, v[i].since_ms);
		jw_key(&w, "description"); jw_str(&w, v[i].description);
		jw_key(&w, "status"); jw_str(&w, v[i].text);
		jw_key(&w, "error"); jw_str(&w, v[i].error);
		jw_obj_end(&w);
	}
	if (!one) {
		jw_arr_end(&w);
		jw_obj_end(&w);
	}
	if (!jw_finish(&w))
		printf("%s\n", (char *)b.p);
	buf_free(&b);
}

static void print_one(const struct ctl_status *s)
{
	printf("%s%s%s\n", s->unit, s->description[0] ? " - " : "", s->description);
	printf("      load: %s\n", s->load);
	printf("    active: %s (%s) for %llu.%03llus\n", s->active, s->sub, (unsigned long long)(s->since_ms / 1000),
		(unsigned long long)(s->since_ms % 1000));
	if (s->pid)
		printf("       pid: %llu\n", (unsigned long long)s->pid);
	printf("  restarts: %llu\n", (unsigned long long)s->restarts);
	printf("    result: %s\n", s->result);
	if (s->text[0])
		printf("    status: %s\n", s->text);
	if (s->error[0])
		printf("     error: %s\n", s->error);
}

/* How `status`-like commands answer: keel's status, systemctl's is-active / status (LSB exit
 * codes: 0 active, 3 not, 4 no such unit) / show -p. */
enum status_mode { ST_STATUS, ST_IS_ACTIVE, ST_LSB, ST_SHOW };

/* systemctl show: the properties of one unit, "Name=value" (or the value alone). */
static void print_props(const struct ctl_status *s, const char *props, bool value_only, const struct timer_line *tl)
{
	char num[2][24], ts[2][64];
	snprintf(num[0], sizeof(num[0]), "%llu", (unsigned long long)s->pid);
	snprintf(num[1], sizeof(num[1]), "%llu", (unsigned long long)s->restarts);
	const struct { const char *name, *v; } all[] = {
		{"Id", s->unit}, {"Description", s->description}, {"LoadState", s->load}, {"ActiveState", s->active},
		{"SubState", s->sub}, {"Result", s->result}, {"MainPID", num[0]}, {"NRestarts", num[1]},
		{"StatusText", s->text}, {"StatusErrno", "0"},
		{"Unit", tl ? tl->activates : ""}, {"NextElapseUSecRealtime", ts[0]}, {"LastTriggerUSec", ts[1]},
	};
	if (tl) {
		timer_stamp_text(tl->next, ts[0], sizeof(ts[0]));
		timer_stamp_text(tl->last, ts[1], sizeof(ts[1]));
	}
	for (size_t i = 0; i < sizeof(all) / sizeof(all[0]) - (tl ? 0 : 3); i++) {
		size_t n = strlen(all[i].name);
		bool want = !props;
		for (const char *p = props; p && *p && !want; p += strcspn(p, ","), p += *p == ',')
			want = strcspn(p, ",") == n && !strncmp(p, all[i].name, n);
		if (want)
			printf("%s%s%s\n", value_only ? "" : all[i].name, value_only ? "" : "=", all[i].v);
	}
}

/* What systemctl status adds for a timer (its line of list-timers) or a socket (the rows of
 * list-sockets: "LISTEN\tTYPE\tUNIT\tACTIVATES\tACTIVE[\tACCEPTED\tCONNECTED]\n"…, svc_socket.h). */
enum { SK_LISTEN, SK_TYPE, SK_UNIT, SK_ACT, SK_ACTIVE, SK_ACCEPTED, SK_CONNECTED, SK_N };
struct unit_extra {
	const struct timer_line *tl;
	const char *sockets;
	const char *loaded; /* "FILE; STATE…" after "Loaded: loaded" (install_one), "" if none */
};

/* systemctl status X.socket: "Triggers: ● SERVICE", a "Listen: ADDRESS (TYPE)" line each, and
 * with Accept=yes "Accepted: N; Connected: M;" */
static void socket_status_lines(const char *rows, const char *unit)
{
	const char *acc = NULL, *con = NULL;
	int la = 0, lc = 0;
	bool first = true;
	for (const char *p = rows, *nl; p && (nl = strchr(p, '\n')); p = nl + 1) {
		const char *f[SK_N];
		int l[SK_N], k;
		for (k = 0; k < SK_N && p < nl; k++) {
			f[k] = p;
			l[k] = (int)strcspn(p, "\t\n");
			p += l[k] + (p + l[k] < nl);
		}
		if (k < SK_ACCEPTED || strlen(unit) != (size_t)l[SK_UNIT] || memcmp(unit, f[SK_UNIT], (size_t)l[SK_UNIT]))
			continue;
		if (first && strncmp(f[SK_ACT], "-", (size_t)l[SK_ACT]))
			printf("   Triggers: \xe2\x97\x8f %.*s\n", l[SK_ACT], f[SK_ACT]);
		printf("%s%.*s (%.*s)\n", first ? "     Listen: " : "             ", l[SK_LISTEN], f[SK_LISTEN], l[SK_TYPE],
			f[SK_TYPE]);
		first = false;
		if (k == SK_N)
			acc = f[SK_ACCEPTED], la = l[SK_ACCEPTED], con = f[SK_CONNECTED], lc = l[SK_CONNECTED];
	}
	if (acc)
		printf("   Accepted: %.*s; Connected: %.*s;\n", la, acc, lc, con);
}

/* systemctl status UNIT, in systemd's shape (the unit's last log lines follow, see client()). */
static void print_systemd(const struct ctl_status *s, const struct unit_extra *x)
{
	const char *dot = !strcmp(s->active, "active") ? "\xe2\x97\x8f" : !strcmp(s->active, "failed") ? "\xc3\x97" : "\xe2\x97\x8b";
	printf("%s %s%s%s\n", dot, s->unit, s->description[0] ? " - " : "", s->description);
	printf("     Loaded: %s%s%s%s\n", s->load, x->loaded[0] ? " (" : "", x->loaded, x->loaded[0] ? ")" : "");
	/* "Active: active (running) since Fri 2026-12-04 12:00:00 UTC; 12s ago", "failed (Result: exit-code)":
	 * the sub-state unless it is the same word, the result unless success (systemd 252) */
	printf("     Active: %s", s->active);
	if (strcmp(s->active, s->sub))
		printf(" (%s)", s->sub);
	if (strcmp(s->result, "success"))
		printf(" (Result: %s)", s->result);
	if (s->since_ms) {
		char at[64], ago[64];
		struct timespec ts;
		clock_gettime(CLOCK_REALTIME, &ts);
		uint64_t now = timespec_us(&ts), t = now - s->since_ms * 1000;
		timer_stamp_text(t, at, sizeof(at));
		timer_relative_text(t, now, ago, sizeof(ago));
		printf(" since %s; %s", at, ago);
	}
	printf("\n");
	if (x->tl)
		timer_status_lines(x->tl);
	if (x->sockets)
		socket_status_lines(x->sockets, s->unit);
	if (s->pid)
		printf("   Main PID: %llu%s%s%s\n", (unsigned long long)s->pid, s->comm[0] ? " (" : "", s->comm, s->comm[0] ? ")" : "");
	if (s->text[0])
		printf("     Status: \"%s\"\n", s->text);
	if (s->error[0])
		printf("      Error: %s\n", s->error);
}

static int cmd_status(char *body, size_t len, const char *unit, bool json, enum status_mode mode, const char *props,
	bool value_only, const struct unit_extra *x)
{
	size_t n = 0, cap = 0;
	struct ctl_status *v = NULL;
	int rc = EXIT_OK;
	struct lines c;
	const char *p;
	size_t l;
	lines_init(&c, body, len);
	while (lines_next(&c, &p, &l)) {
		const char *why = NULL;
		if (!c.nl)
			return kfail(EXIT_FAIL, "status: reply cut short");
		if (n == cap) {
			struct ctl_status *nv = realloc(v, (cap = cap ? cap * 2 : 16) * sizeof(*v));
			if (!nv) {
				free(v);
				return kfail(EXIT_FAIL, "out of memory");
			}
			v = nv;
		}
		if (ctl_parse_status(p, l, &v[n], &why)) {
			free(v);
			return kfail(EXIT_FAIL, "status: malformed reply line: %s", why);
		}
		if (unit ? strcmp(v[n].active, "active") : !strcmp(v[n].active, "failed") || !strcmp(v[n].load, "error"))
			rc = EXIT_NO;
		n++;
	}
	if (mode != ST_STATUS && n == 1) {
		bool up = !strcmp(v[0].active, "active");
		if (mode == ST_IS_ACTIVE)
			printf("%s\n", v[0].active);
		else if (mode == ST_SHOW)
			print_props(&v[0], props, value_only, x->tl);
		else
			print_systemd(&v[0], x);
		rc = mode == ST_SHOW ? EXIT_OK : up ? EXIT_OK : mode == ST_LSB && !strcmp(v[0].load, "not-found") ? 4 : 3;
	} else if (json)
		print_json(v, n, unit != NULL);
	else if (unit && n == 1)
		print_one(&v[0]);
	else {
		printf("%-32s %-9s %-12s %-12s %7s %8s  %s\n", "UNIT", "LOAD", "ACTIVE", "SUB", "PID", "RESTARTS", "DESCRIPTION");
		for (size_t i = 0; i < n; i++)
			printf("%-32s %-9s %-12s %-12s %7llu %8llu  %s\n", v[i].unit, v[i].load, v[i].active, v[i].sub,
				(unsigned long long)v[i].pid, (unsigned long long)v[i].restarts, v[i].description);
	}
	free(v);
	return rc;
}

/* list-sockets: PID 1 sends "LISTEN\tTYPE\tUNIT\tACTIVATES\tACTIVE" lines; printed as systemctl
 * does: sorted by address then type, the inactive ones only with --all, in columns, with its
 * footer (legend: the header and the footer). */
typedef char *sock_row[SK_N];

static int sock_row_cmp(const void *a, const void *b)
{
	const char *const *x = a, *const *y = b;
	int r = strcmp(x[SK_LISTEN], y[SK_LISTEN]);
	return r ? r : strcmp(x[SK_TYPE], y[SK_TYPE]);
}

static int cmd_sockets(char *body, bool all, bool legend)
{
	size_t n = 0, max = 1;
	for (char *p = body; (p = strchr(p, '\n')); p++)
		max++;
	sock_row *rows = calloc(max, sizeof(*rows));
	const char **cell = calloc(max * 3, sizeof(*cell));
	if (!rows || !cell) {
		free(rows);
		free(cell);
		return kfail(EXIT_FAIL, "list-sockets: out of memory");
	}
	for (char *p = body, *nl; (nl = strchr(p, '\n')); p = nl + 1) {
		*nl = 0;
		for (int k = 0; k < SK_N; k++) {
			rows[n][k] = p;
			p += strcspn(p, "\t");
			if (*p)
				*p++ = 0;
		}
		n += all || strcmp(rows[n][SK_ACTIVE], "inactive");
	}
	qsort(rows, n, sizeof(*rows), sock_row_cmp);
	cell[0] = "LISTEN", cell[1] = "UNIT", cell[2] = "ACTIVATES";
	for (size_t i = 0; i < n; i++) {
		cell[(i + 1) * 3] = rows[i][SK_LISTEN];
		cell[(i + 1) * 3 + 1] = rows[i][SK_UNIT];
		cell[(i + 1) * 3 + 2] = rows[i][SK_ACT];
	}
	if (n)
		init_columns(cell + (legend ? 0 : 3), n + legend, 3);
	if (legend)
		printf("\n%zu sockets listed.\n%s", n, all ? "" : "Pass --all to see loaded but inactive sockets, too.\n");
	free(cell);
	free(rows);
	return EXIT_OK;
}

static int install_one(int rootfd, const char *verb, const char *name, unsigned depth, struct kerr *e, char *loaded);

static int client(int argc, char **argv)
{
	const char *root = NULL, *sock = NULL, *props = NULL;
	int json = 0, lsb = 0, value = 0, all = 0, no_legend = 0;
	uint64_t timeout = UINT64_MAX;
	char **ops, path[256], line[CTL_REQ_MAX + 1];
	const struct opt opts[] = {
		{"root", 0, OPT_STR, &root},
		{"socket", 0, OPT_STR, &sock},
		{"lsb", 0, OPT_FLAG, &lsb},
		{"property", 'p', OPT_STR, &props},
		{"value", 0, OPT_FLAG, &value},
		{"timeout", 0, OPT_U64, &timeout, 1, 86400},
		{"json", 'j', OPT_FLAG, &json},
		{"all", 'a', OPT_FLAG, &all},
		{"no-legend", 0, OPT_FLAG, &no_legend},
		{0},
	};
	int n = args_parse(opts, argc - 1, argv + 1, &ops);
	if (n < 0)
		return args_exit(n);
	if (sock ? str_copy(path, sizeof(path), sock) : str_fmt(path, sizeof(path), "%s%s", root ? root : "", CTL_SOCK))
		return kfail(EXIT_USAGE, "socket path too long");
	if (!strcmp(argv[0], "list-dependencies")) /* --no-legend: systemctl's list verbs take it; no legend here */
		return json || lsb || props || value ? kfail(EXIT_USAGE, "%s: an option it does not take (see --help)", argv[0]) :
			n > 1 ? kfail(EXIT_USAGE, "list-dependencies: one unit at most (see --help)") :
			init_list_deps(root ? root : "/", n ? ops[0] : "multi-user.target", all, path, client_syscalls);
	struct ctl_req r = {0};
	size_t k;
	static const char *const verbs[] = {"status", "start", "stop", "restart", "log", "poweroff", "reboot", "reload",
		"list-timers", "list-sockets"}; /* in the order of enum ctl_verb */
	enum status_mode mode = lsb ? ST_LSB : ST_STATUS;
	for (k = 0; k < sizeof(verbs) / sizeof(verbs[0]); k++)
		if (!strcmp(argv[0], verbs[k]))
			break;
	if (!strcmp(argv[0], "is-active") || !strcmp(argv[0], "show")) {
		k = CTL_STATUS;
		mode = argv[0][0] == 'i' ? ST_IS_ACTIVE : ST_SHOW;
		if (n != 1)
			return kfail(EXIT_USAGE, "%s: needs one unit (see --help)", argv[0]);
	}
	if (k == sizeof(verbs) / sizeof(verbs[0]))
		return kfail(EXIT_USAGE, "unknown command '%s' (see --help)", argv[0]);
	if ((lsb && (k != CTL_STATUS || n != 1)) || ((props || value) && mode != ST_SHOW) ||
		((all || no_legend) && k != CTL_TIMERS && k != CTL_SOCKETS))
		return kfail(EXIT_USAGE, "%s: an option it does not take (see --help)", argv[0]);
	r.verb = (enum ctl_verb)k;
	if (n > 1 || (n == 1 && str_copy(r.unit, sizeof(r.unit), ops[0])))
		return kfail(EXIT_USAGE, "%s: too many arguments or a unit name too long (see --help)", argv[0]);
	if (ctl_format_request(&r, line, sizeof(line)))
		return kfail(EXIT_USAGE, "%s: %s (see --help)", argv[0],
			n == 1 && !unit_name_suffix(r.unit) ? "not a unit name (NAME.service, NAME.socket, NAME.target or NAME.timer)" :
			n == 1 && unit_name_is_template(r.unit) ? "a template: name an instance (NAME@INSTANCE.socket…)" :
			n == 1 ? "takes no unit" : "needs a unit");
	if (json && r.verb != CTL_STATUS)
		return kfail(EXIT_USAGE, "--json is for status");
	bool job = r.verb == CTL_START || r.verb == CTL_STOP || r.verb == CTL_RESTART || r.verb == CTL_RELOAD;
	int tmo = timeout != UINT64_MAX ? (int)(timeout * 1000) : job ? -1 : 10000;
	struct kerr e = {0};
	int jfd[2] = {-1, -1}; /* systemctl status: the journal, opened before the sandbox */
	for (int i = 0; i < 2 && mode == ST_LSB; i++) {
		char jp[300];
		if (!str_fmt(jp, sizeof(jp), "%s%s", root ? root : "", i ? JOURNAL_PATH : JOURNAL_OLD))
			jfd[i] = open(jp, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
	}
	char loaded[UNIT_NAME_MAX + 64] = ""; /* systemctl status: the unit file and is-enabled, read before the sandbox */
	int rootfd = mode == ST_LSB ? open(root ? root : "/", O_PATH | O_DIRECTORY | O_CLOEXEC) : -1;
	if (rootfd >= 0) {
		struct kerr ie = {0};
		install_one(rootfd, "is-enabled", r.unit, 0, &ie, loaded);
		close(rootfd);
	}
	int ret = sandbox_enter(client_syscalls, &e);
	if (ret)
		return kfail(EXIT_FAIL, "%s", kerr_str(&e, ret));
	struct buf reply = BUF_INIT(CTL_REPLY_MAX);
	if ((ret = ctl_call(path, line, &reply, tmo, &e))) {
		buf_free(&reply);
		return kfail(EXIT_FAIL, "%s", kerr_str(&e, ret));
	}
	char *body = (char *)reply.p;
	int rc = EXIT_OK;
	struct timer_line tl;
	bool timer = (mode == ST_LSB || mode == ST_SHOW) && !timer_line_fetch(path, r.unit, tmo, &tl);
	struct buf socks = BUF_INIT(CTL_REPLY_MAX);
	struct unit_extra x = {.tl = timer ? &tl : NULL, .loaded = loaded};
	if (mode == ST_LSB && str_ends(r.unit, ".socket") && !ctl_call(path, "sockets\n", &socks, tmo, &e) &&
		socks.len >= 3 && !memcmp(socks.p, "OK\n", 3) && !buf_putc(&socks, 0))
		x.sockets = (const char *)socks.p + 3;
	if (!body || (strncmp(body, "OK\n", 3) && strncmp(body, "ERR ", 4))) {
		rc = kfail(EXIT_FAIL, "%s: no valid answer from %s", argv[0], path);
	} else if (body[0] == 'E') {
		char *nl = strchr(body, '\n');
		if (nl)
			*nl = 0;
		rc = kfail(job ? EXIT_NO : mode == ST_IS_ACTIVE || mode == ST_LSB ? 3 : EXIT_FAIL, "%s", body + 4);
	} else if (r.verb == CTL_SOCKETS) {
		rc = cmd_sockets(body + 3, all, !no_legend);
	} else if (r.verb == CTL_STATUS) {
		rc = cmd_status(body + 3, reply.len - 3, r.unit[0] ? r.unit : NULL, json, mode, props, value, &x);
		if (mode == ST_LSB && rc != 4 && (jfd[0] >= 0 || jfd[1] >= 0)) { /* then the unit's last 10 journal lines */
			printf("\n");
			journal_tail(jfd, r.unit, 10);
		}
	}
	if (r.verb == CTL_TIMERS && body && !strncmp(body, "OK\n", 3))
		rc = init_list_timers(body + 3, reply.len - 3, all, !no_legend);
	if (r.verb == CTL_LOG && body && !strncmp(body, "OK\n", 3)) {
		/* A unit's output is untrusted: on a terminal, its control characters (escape
		 * sequences that could rewrite the screen) are shown as '?'; a pipe gets the bytes. */
		if (isatty(STDOUT_FILENO))
			for (size_t i = 3; i < reply.len; i++)
				if ((body[i] < 0x20 && body[i] != '\n' && body[i] != '\t') || body[i] == 0x7f)
					body[i] = '?';
		fwrite(body + 3, 1, reply.len - 3, stdout);
	}
	buf_free(&socks);
	buf_free(&reply);
	return rc;
}

/* ---- enable, disable, is-enabled: the [Install] links beneath --root ------------------------------ */

static const char *const unit_dir_rel[2] = {"etc/systemd/system", "usr/lib/systemd/system"};

/* The [Install] section of unit name (its template's file for an instance) into u; *where: the
 * directory it was found in (0 etc, 1 usr/lib). -ENOENT if there is none; 1 if masked. */
static int install_info(int rootfd, const char *name, struct unit *u, int *where, char *found, struct kerr *e)
{
	char file[UNIT_NAME_MAX + 1], rel[UNIT_NAME_MAX + 64];
	int ret = -ENOENT;
	memset(u, 0, sizeof(*u));
	str_copy(u->name, sizeof(u->name), name);
	for (int pass = 0; pass < 2 && ret == -ENOENT; pass++) {
		if (pass && unit_name_template(name, file))
			break;
		for (int i = 0; i < 2 && ret == -ENOENT; i++) {
			struct buf b = BUF_INIT(UNIT_FILE_MAX);
			char target[16];
			str_fmt(rel, sizeof(rel), "%s/%s", unit_dir_rel[i], pass ? file : name);
			ssize_t ln = readlinkat(rootfd, rel, target, sizeof(target));
			if (ln == 9 && !memcmp(target, "/dev/null", 9))
				return 1;
			int fd = fs_open_beneath(rootfd, rel, O_RDONLY | O_NONBLOCK, 0);
			if (fd == -ENOENT)
				continue;
			if (fd < 0)
				return kerr_set(e, fd, "%s: %s", rel, strerror(-fd));
			ret = fs_read_fd(fd, UNIT_FILE_MAX, &b);
			close(fd);
			*where = i;
			str_copy(found, UNIT_NAME_MAX + 1, pass ? file : name);
			if (ret)
				kerr_set(e, ret, "%s: %s", rel, strerror(-ret));
			else
				ret = unit_parse_install(u, rel, b.p ? (const char *)b.p : "", b.len, e);
			buf_free(&b);
		}
	}
	return ret;
}

/* etc/systemd/system beneath the root, made (each level beneath its parent) if create. */
static int open_sysdir(int rootfd, bool create)
{
	static const char *const levels[] = {"etc", "systemd", "system"};
	int fd = fs_open_beneath(rootfd, unit_dir_rel[0], O_RDONLY | O_DIRECTORY, 0);
	if (fd != -ENOENT || !create)
		return fd;
	int dir = fs_open_beneath(rootfd, ".", O_RDONLY | O_DIRECTORY, 0);
	for (int i = 0; i < 3 && dir >= 0; i++) {
		int next = mkdirat(dir, levels[i], 0755) && errno != EEXIST ? -errno :
			fs_open_beneath(dir, levels[i], O_RDONLY | O_DIRECTORY, 0);
		close(dir);
		dir = next;
	}
	return dir;
}

/* Link (or unlink, or test) name in TARGET.wants/ or TARGET.requires/ for each [Install] entry;
 * then the same for Also=. Returns 0 enabled/done, 1 not (is-enabled), or an exit code. With
 * loaded (is-enabled for systemctl status): "FILE; STATE[; preset: enabled]" goes there, as
 * systemd 252 writes it after "Loaded: loaded" (with no preset files systemd's policy is
 * "enable"), nothing to stdout or stderr. */
static int install_one(int rootfd, const char *verb, const char *name, unsigned depth, struct kerr *e, char *loaded)
{
	struct unit u;
	char file[UNIT_NAME_MAX + 1], inst[UNIT_NAME_MAX + 1];
	int where = 1, ret, rc = 0;
	if (!unit_ref_suffix(name) || depth > 8)
		return kfail(EXIT_USAGE, "%s: %s: not a unit name", verb, name);
	bool tmpl = unit_name_is_template(name);
	if ((ret = install_info(rootfd, name, &u, &where, file, e)) == 1 || (ret == 0 && tmpl)) {
		/* a template: its DefaultInstance= (systemd.unit(5)), else it needs an instance */
		const char *at = strchr(name, '@');
		bool ok = ret == 0 && u.default_instance && !str_fmt(inst, sizeof(inst), "%.*s@%s%s", (int)(at - name), name,
			u.default_instance, at + 1) && !unit_name_is_template(inst) && unit_ref_suffix(inst);
		unit_free(&u);
		if (ret == 0)
			return ok ? install_one(rootfd, verb, inst, depth + 1, e, loaded) :
				kfail(EXIT_USAGE, "%s: %s: a template needs an instance (NAME@INSTANCE%s) or DefaultInstance=", verb,
					name, at + 1);
		if (verb[0] == 'i' && !loaded)
			printf("masked\n");
		return verb[0] == 'i' ? EXIT_NO : kfail(EXIT_NO, "%s: %s is masked", verb, name);
	}
	if (ret < 0) {
		unit_free(&u);
		if (loaded)
			return EXIT_NO;
		return kfail(ret == -ENOENT ? EXIT_NO : kerr_exit(ret), "%s: %s: %s", verb, name,
			ret == -ENOENT ? "no such unit file" : kerr_str(e, ret));
	}
	int sys = open_sysdir(rootfd, verb[0] == 'e');
	size_t nw = u.wanted_by.n, total = nw + u.required_by.n, linked = 0;
	for (size_t i = 0; i < total && !rc; i++) {
		const char *t = i < nw ? u.wanted_by.v[i] : u.required_by.v[i - nw];
		char sub[UNIT_NAME_MAX + 16], target[UNIT_NAME_MAX + 64];
		str_fmt(sub, sizeof(sub), "%s.%s", t, i < nw ? "wants" : "requires");
		str_fmt(target, sizeof(target), "/%s/%s", unit_dir_rel[where], file); /* an instance: its template's file */
		if (sys < 0) {
			if (verb[0] == 'e')
				rc = kfail(EXIT_FAIL, "%s: %s: %s", verb, unit_dir_rel[0], strerror(-sys));
			continue;
		}
		if (verb[0] == 'e' && mkdirat(sys, sub, 0755) && errno != EEXIST) {
			rc = kfail(EXIT_FAIL, "%s: %s/%s: %s", verb, unit_dir_rel[0], sub, strerror(errno));
			continue;
		}
		int d = fs_open_beneath(sys, sub, O_RDONLY | O_DIRECTORY, 0);
		struct stat st;
		if (d < 0)
			continue;
		if (verb[0] == 'e' && symlinkat(target, d, name) && errno != EEXIST)
			rc = kfail(EXIT_FAIL, "%s: %s/%s/%s: %s", verb, unit_dir_rel[0], sub, name, strerror(errno));
		else if (verb[0] == 'e')
			printf("Created symlink /%s/%s/%s -> %s.\n", unit_dir_rel[0], sub, name, target);
		if (verb[0] == 'd' && !unlinkat(d, name, 0))
			printf("Removed /%s/%s/%s.\n", unit_dir_rel[0], sub, name);
		linked += !fstatat(d, name, &st, AT_SYMLINK_NOFOLLOW);
		close(d);
	}
	if (sys >= 0)
		close(sys);
	const char *st = !total ? "static" : linked == total ? "enabled" : "disabled";
	if (loaded)
		str_fmt(loaded, UNIT_NAME_MAX + 64, "/%s/%s; %s%s", unit_dir_rel[where], file, st, total ? "; preset: enabled" : "");
	else if (verb[0] == 'i')
		printf("%s\n", st);
	if (verb[0] == 'i')
		rc = !total || linked == total ? EXIT_OK : EXIT_NO;
	for (size_t i = 0; i < u.also.n && !rc && verb[0] != 'i'; i++)
		rc = install_one(rootfd, verb, u.also.v[i], depth + 1, e, NULL);
	unit_free(&u);
	return rc;
}

static int install_cmd(int argc, char **argv)
{
	const char *root = "/";
	char **ops;
	const struct opt opts[] = {{"root", 0, OPT_STR, &root}, {0}};
	int n = args_parse(opts, argc - 1, argv + 1, &ops), rc = EXIT_OK;
	if (n < 0)
		return args_exit(n);
	if (n < 1 || (argv[0][0] == 'i' && n != 1))
		return kfail(EXIT_USAGE, "%s: needs %s (see --help)", argv[0], argv[0][0] == 'i' ? "one unit" : "units");
	int rootfd = open(root, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (rootfd < 0)
		return kfail(EXIT_FAIL, "%s: %s: %s", argv[0], root, strerror(errno));
	for (int i = 0; i < n && rc == EXIT_OK; i++) {
		struct kerr e = {0};
		rc = install_one(rootfd, argv[0], ops[i], 0, &e, NULL);
	}
	close(rootfd);
	return rc;
}

/* ---- verify ------------------------------------------------------------------------------------ */

static void verify_report(void *arg, const struct kerr *e)
{
	(void)arg;
	fprintf(stderr, "keel init: verify: %s\n", e->msg);
}

static int verify(int argc, char **argv)
{
	int rc = EXIT_OK;
	if (argc < 2)
		return kfail(EXIT_USAGE, "verify: needs one or more unit files (see --help)");
	for (int i = 1; i < argc; i++) {
		struct buf b = BUF_INIT(UNIT_FILE_MAX + 1);
		struct kerr e = {0};
		int ret = fs_read_path(AT_FDCWD, argv[i], UNIT_FILE_MAX + 1, &b, &e);
		if (!ret)
			ret = unit_verify(argv[i], b.p ? (const char *)b.p : "", b.len, verify_report, NULL, &e);
		else
			kfail(EXIT_FAIL, "verify: %s", kerr_str(&e, ret));
		if (ret == -ENOMEM)
			kfail(EXIT_FAIL, "verify: %s: out of memory", argv[i]);
		buf_free(&b);
		if (ret && (rc == EXIT_OK || kerr_exit(ret) == EXIT_FAIL))
			rc = ret == -EINVAL || ret == -EFBIG ? EXIT_NO : EXIT_FAIL;
	}
	return rc;
}

int init_main(int argc, char **argv)
{
	if (getpid() == 1) {
		if (stage1_is_initramfs("/"))
			return init_stage1();
		return pid1();
	}
	if (argc >= 2 && !strcmp(argv[1], "calendar"))
		return init_calendar(argc - 1, argv + 1);
	if (argc >= 2 && !strcmp(argv[1], "verify"))
		return verify(argc - 1, argv + 1);
	if (argc >= 2 && (!strcmp(argv[1], "enable") || !strcmp(argv[1], "disable") || !strcmp(argv[1], "is-enabled")))
		return install_cmd(argc - 1, argv + 1);
	if (argc >= 2 && argv[1][0] != '-')
		return client(argc - 1, argv + 1);
	const char *root = NULL, *cgroup = NULL;
	int no_machine = 0;
	uint64_t log_size = 65536;
	char **ops;
	const struct opt opts[] = {
		{"root", 0, OPT_STR, &root},
		{"no-machine", 0, OPT_FLAG, &no_machine},
		{"cgroup", 0, OPT_STR, &cgroup},
		{"log-size", 0, OPT_U64, &log_size, 4096, 16 << 20},
		{0},
	};
	int n = args_parse(opts, argc - 1, argv + 1, &ops);
	if (n < 0)
		return args_exit(n);
	if (n > 0)
		return kfail(EXIT_USAGE, "unknown command '%s' (see --help)", ops[0]);
	if (!no_machine)
		return kfail(EXIT_USAGE, "not PID 1: give a command, or --no-machine --root DIR for a test supervisor");
	return test_supervisor(root, cgroup, log_size);
}
