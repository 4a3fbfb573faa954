/* stage1.c — the initramfs half of `keel init` (sequence in stage1.h). */
#include "boot/stage1.h"
#include "base/applet.h"
#include "disk/blk.h"
#include "base/buf.h"
#include "boot/cmdline.h"
#include "disk/dm.h"
#include "base/err.h"
#include "base/fs.h"
#include "disk/gpt.h"
#include "base/log.h"
#include "trust/manifest.h"
#include "boot/module.h"
#include "disk/mount.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/fs.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define KEYDIR "/etc/keel/keys"
#define MODLIST "/etc/keel/modules"
#define FLOOR_INITRAMFS "/etc/keel/min-version"
#define FLOOR_STATE "/var/lib/keel/min-version"

struct s1 {
	struct cmdline cmd;
	struct kerr e;
	char what[128];       /* the step that failed */
	char slot[16];        /* USR-A / USR-B */
	char disk[64];
	char part_dev[96];
	char floor[MANIFEST_VERSION_MAX + 1]; /* the minimum version so far ("" none) */
	char floor_src[64];   /* where it came from */
	uint64_t t0;
};

static uint64_t ms_now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* One progress line on the console: "keel init: [  1.234] message". */
__attribute__((format(printf, 2, 3))) static void say(struct s1 *s, const char *fmt, ...)
{
	char line[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	uint64_t t = ms_now() - s->t0;
	dprintf(STDERR_FILENO, "keel init: [%3llu.%03llu] %s\n", (unsigned long long)(t / 1000),
		(unsigned long long)(t % 1000), line);
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

static int load_modules(struct s1 *s)
{
	struct utsname u;
	char dir[300];
	struct modindex mi;
	struct buf list = BUF_INIT(16384);
	struct modplan *plan = NULL;
	int ret, loaded = 0, skipped = 0;

	str_copy(s->what, sizeof(s->what), "loading kernel modules");
	if (uname(&u) || str_fmt(dir, sizeof(dir), "/lib/modules/%s", u.release))
		return kerr_set(&s->e, -EINVAL, "uname failed");
	if ((ret = fs_read_path(AT_FDCWD, MODLIST, list.max, &list, &s->e))) {
		if (ret == -ENOENT) /* nothing to load: a kernel with everything built in */
			return 0;
		return ret;
	}
	if ((ret = modindex_load(&mi, dir, &s->e))) {
		buf_free(&list);
		return ret;
	}
	plan = calloc(1, sizeof(*plan));
	if (!plan) {
		ret = kerr_set(&s->e, -ENOMEM, "out of memory");
		goto out;
	}
	char *p = (char *)list.p, *end = p + list.len;
	while (p < end) {
		char *nl = memchr(p, '\n', (size_t)(end - p));
		if (nl)
			*nl = 0;
		while (*p == ' ' || *p == '\t')
			p++;
		size_t l = strlen(p);
		while (l && (p[l - 1] == ' ' || p[l - 1] == '\t' || p[l - 1] == '\r'))
			p[--l] = 0;
		if (*p && *p != '#' && (ret = module_plan(&mi, p, plan, &s->e)))
			goto out;
		p = nl ? nl + 1 : end;
	}
	ret = module_load_plan(dir, plan, &loaded, &skipped, &s->e);
	if (!ret)
		say(s, "loaded %d kernel modules (%d optional ones unavailable)", loaded, skipped);
out:
	free(plan);
	modindex_free(&mi);
	buf_free(&list);
	return ret;
}

static unsigned key_uint(struct s1 *s, const char *key, unsigned dflt, unsigned min, unsigned max)
{
	const char *v = cmdline_get(&s->cmd, key);
	uint64_t x;
	if (!v)
		return dflt;
	if (parse_u64(v, min, max, &x)) {
		say(s, "ignoring %s=%s (not a number in %u..%u)", key, v, min, max);
		return dflt;
	}
	return (unsigned)x;
}

/* Wait for the disk that carries the slots: the first of USR-A / USR-B to appear. */
static int wait_disk(struct s1 *s, struct blkdev *any)
{
	unsigned timeout = key_uint(s, "keel.timeout", 10, 1, 300) * 1000;
	uint64_t deadline = ms_now() + timeout;
	int ret;
	str_copy(s->what, sizeof(s->what), "waiting for the disk");
	for (;;) {
		ret = blk_find_label("/sys", "USR-A", any, &s->e);
		if (ret == -ENOENT)
			ret = blk_find_label("/sys", "USR-B", any, &s->e);
		if (ret != -ENOENT)
			break;
		if (ms_now() >= deadline)
			return kerr_set(&s->e, -ETIMEDOUT, "no partition labelled USR-A or USR-B after %u s", timeout / 1000);
		struct timespec ts = {0, 20 * 1000000};
		nanosleep(&ts, NULL);
	}
	if (ret)
		return ret;
	str_copy(s->disk, sizeof(s->disk), any->disk);
	return 0;
}

/* gptprio.next (or keel.slot), tries decremented and written back before use. */
static int choose_slot(struct s1 *s, struct blkdev *part)
{
	struct blkdev d;
	char node[128];
	struct gpt g;
	int ret, fd, idx;

	str_copy(s->what, sizeof(s->what), "choosing the slot");
	ret = blk_find_part("/sys", s->disk, 0, &d, &s->e);
	if (ret || (ret = blk_node(&d, node, sizeof(node), &s->e)))
		return ret;
	fd = open(node, O_RDWR | O_CLOEXEC);
	if (fd < 0)
		return kerr_set(&s->e, -errno, "%s: %s", node, strerror(errno));
	if ((ret = gpt_read(&(struct gpt_io){.fd = fd}, 0, &g, &s->e)))
		goto out;
	if (!g.primary_ok || !g.backup_ok)
		say(s, "%s: the %s GPT copy is damaged; it is rewritten on the next write", node, g.primary_ok ? "backup" : "primary");
	const char *forced = cmdline_get(&s->cmd, "keel.slot");
	if (forced) {
		if (strcmp(forced, "USR-A") && strcmp(forced, "USR-B")) {
			ret = kerr_set(&s->e, -EINVAL, "keel.slot=%s: want USR-A or USR-B", forced);
			goto out;
		}
		idx = gpt_find_name(&g, forced);
		if (idx < 0) {
			ret = kerr_set(&s->e, idx, "keel.slot=%s: %s", forced, idx == -EEXIST ? "two partitions have that label" : "no such partition");
			goto out;
		}
	} else {
		idx = gpt_prio_next(&g, GPT_TYPE_COREOS_USR);
		if (idx < 0) {
			ret = kerr_set(&s->e, -ENOENT, "%s: no bootable slot (every USR partition has priority 0, or no tries left and not successful)", node);
			goto out;
		}
	}
	struct gpt_part p;
	gpt_get(&g, idx, &p);
	if (strcmp(p.name, "USR-A") && strcmp(p.name, "USR-B")) {
		ret = kerr_set(&s->e, -EINVAL, "%s: partition %d is labelled '%s', not USR-A or USR-B", node, idx + 1, p.name);
		goto out;
	}
	str_copy(s->slot, sizeof(s->slot), p.name);
	unsigned tries = gpt_attr_tries(p.attr);
	if (!forced && tries > 0) {
		if ((ret = gpt_set_attr(&g, idx, gpt_attr_set_tries(p.attr, tries - 1))) ||
			(ret = gpt_write(fd, &g, &s->e)))
			goto out;
		say(s, "slot %s chosen (partition %d: priority %u, tries %u -> %u, successful %u)", p.name, idx + 1,
			gpt_attr_priority(p.attr), tries, tries - 1, gpt_attr_successful(p.attr));
	} else {
		say(s, "slot %s chosen (partition %d: priority %u, tries %u, successful %u%s)", p.name, idx + 1,
			gpt_attr_priority(p.attr), tries, gpt_attr_successful(p.attr), forced ? ", forced by keel.slot" : "");
	}
	ret = blk_find_part("/sys", s->disk, (unsigned)idx + 1, part, &s->e);
out:
	gpt_free(&g);
	close(fd);
	return ret;
}

/* Raise the floor with the one in root/path (never lower it; none there: unchanged), then hold
 * the slot's manifest version against it. */
static int check_floor(struct s1 *s, const struct manifest *m, const char *root, const char *path, const char *where)
{
	char v[MANIFEST_VERSION_MAX + 1];
	int cmp = -1, ret, fd;
	str_fmt(s->what, sizeof(s->what), "checking the version of %s against the minimum", s->slot);
	if ((fd = open(root, O_PATH | O_DIRECTORY | O_CLOEXEC)) < 0)
		return kerr_set(&s->e, -errno, "%s: %s", root, strerror(errno));
	ret = manifest_floor_read(fd, path, v, &s->e);
	close(fd);
	if (ret && ret != -ENOENT)
		return kerr_wrap(&s->e, ret, "%s", where);
	if (!ret && (!s->floor[0] || (!manifest_version_cmp(v, s->floor, &cmp) && cmp > 0))) {
		str_copy(s->floor, sizeof(s->floor), v);
		str_fmt(s->floor_src, sizeof(s->floor_src), "%s on %s", path, where);
	}
	return manifest_floor_check(m->version, s->floor, s->floor_src, &s->e);
}

static int setup_verity(struct s1 *s, const struct blkdev *part, struct manifest *m)
{
	char key[256] = "", table[1024], root[2 * HASH_MAX_SIZE + 1];
	uint64_t size = 0;
	dev_t dev;
	int ret, fd;

	if ((ret = blk_node(part, s->part_dev, sizeof(s->part_dev), &s->e)))
		return ret;
	str_fmt(s->what, sizeof(s->what), "checking the manifest of %s (%s)", s->slot, s->part_dev);
	fd = open(s->part_dev, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return kerr_set(&s->e, -errno, "%s: %s", s->part_dev, strerror(errno));
	if (ioctl(fd, BLKGETSIZE64, &size))
		ret = kerr_set(&s->e, -errno, "%s: size: %s", s->part_dev, strerror(errno));
	else
		ret = manifest_load(fd, size, KEYDIR, m, key, sizeof(key), &s->e);
	close(fd);
	if (ret)
		return ret;
	hex_encode(root, m->root_hash, hash_size(m->hash));
	say(s, "%s: manifest version %s signed by key %s; root hash %.16s...", s->slot, m->version, key, root);
	if ((ret = check_floor(s, m, "/", FLOOR_INITRAMFS, "the initramfs")))
		return ret;

	str_fmt(s->what, sizeof(s->what), "setting up dm-verity for %s", s->slot);
	if ((ret = manifest_verity_table(m, s->part_dev, table, sizeof(table))))
		return kerr_set(&s->e, ret, "verity table too long");
	uint64_t sectors = m->data_blocks * (m->data_block_size / 512);
	if ((ret = dm_create(STAGE1_DM_NAME, NULL, 1, &dev, &s->e)))
		return ret;
	if ((ret = dm_load(STAGE1_DM_NAME, sectors, "verity", table, 1, &s->e)) ||
		(ret = dm_resume(STAGE1_DM_NAME, &s->e))) {
		dm_remove(STAGE1_DM_NAME, NULL);
		return ret;
	}
	mkdir("/dev/mapper", 0755);
	if (mknod("/dev/mapper/" STAGE1_DM_NAME, S_IFBLK | 0600, dev) && errno != EEXIST)
		return kerr_set(&s->e, -errno, "mknod /dev/mapper/%s: %s", STAGE1_DM_NAME, strerror(errno));
	return 0;
}

int stage1_is_initramfs(const char *root)
{
	char p[512];
	if (!is_ramfs(root) || str_fmt(p, sizeof(p), "%s%s", strcmp(root, "/") ? root : "", STAGE1_MARKER))
		return 0;
	return !access(p, F_OK);
}

static const char *node_kind(mode_t m)
{
	return S_ISDIR(m) ? "a directory" : S_ISREG(m) ? "a regular file" : S_ISLNK(m) ? "a symlink elsewhere" : "a special file";
}

int stage1_skeleton(const char *root, struct kerr *e)
{
	static const char *const dirs[] = {"usr", "etc", "var", "home", "root", "proc", "sys", "dev", "run", "tmp", "mnt"};
	static const char *const links[][2] = {{"bin", "usr/bin"}, {"sbin", "usr/sbin"}, {"lib", "usr/lib"}, {"lib64", "usr/lib64"}};
	struct stat st;
	char t[16];
	int ret = 0, fd = open(root, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return kerr_set(e, -errno, "%s: %s", root, strerror(errno));
	for (size_t i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++) {
		if (mkdirat(fd, dirs[i], !strcmp(dirs[i], "tmp") ? 01777 : !strcmp(dirs[i], "root") ? 0700 : 0755) && errno != EEXIST) {
			ret = kerr_set(e, -errno, "mkdir %s/%s: %s", root, dirs[i], strerror(errno));
			goto out;
		}
		if (fstatat(fd, dirs[i], &st, AT_SYMLINK_NOFOLLOW) || !S_ISDIR(st.st_mode)) {
			ret = kerr_set(e, -ENOTDIR, "STATE: /%s is not a directory", dirs[i]);
			goto out;
		}
	}
	for (size_t i = 0; i < sizeof(links) / sizeof(links[0]); i++) {
		const char *name = links[i][0], *want = links[i][1];
		if (fstatat(fd, name, &st, AT_SYMLINK_NOFOLLOW)) {
			if (errno != ENOENT || symlinkat(want, fd, name)) {
				ret = kerr_set(e, -errno, "symlink %s/%s: %s", root, name, strerror(errno));
				goto out;
			}
			continue;
		}
		ssize_t n = S_ISLNK(st.st_mode) ? readlinkat(fd, name, t, sizeof(t)) : -1;
		if (n != (ssize_t)strlen(want) || memcmp(t, want, (size_t)n)) {
			ret = kerr_set(e, -EEXIST, "STATE: /%s is %s, not the symlink %s -> %s", name, node_kind(st.st_mode), name, want);
			goto out;
		}
	}
out:
	close(fd);
	return ret;
}

static int mount_root(struct s1 *s, const struct manifest *m)
{
	struct blkdev st;
	char node[128];
	int ret;
	str_copy(s->what, sizeof(s->what), "mounting the state partition");
	if ((ret = blk_find_label("/sys", "STATE", &st, &s->e)) || (ret = blk_node(&st, node, sizeof(node), &s->e)))
		return ret;
	if (strcmp(st.disk, s->disk)) /* a STATE on another disk (a stick, a second volume) is not ours */
		return kerr_set(&s->e, -EXDEV, "STATE is on %s, the slots on %s", st.disk, s->disk);
	if ((ret = mnt(node, STAGE1_SYSROOT, "ext4", MS_NOATIME | MS_NODEV, "errors=remount-ro", &s->e)))
		return ret;
	say(s, "state %s (ext4) mounted on /", node);
	if ((ret = check_floor(s, m, STAGE1_SYSROOT, FLOOR_STATE, "STATE")))
		return ret;
	if (s->floor[0])
		say(s, "%s: version %s, minimum %s (%s)", s->slot, m->version, s->floor, s->floor_src);
	str_copy(s->what, sizeof(s->what), "preparing the state partition");
	if ((ret = stage1_skeleton(STAGE1_SYSROOT, &s->e)))
		return ret;
	str_fmt(s->what, sizeof(s->what), "mounting the verity root of %s", s->slot);
	if ((ret = mnt("/dev/mapper/" STAGE1_DM_NAME, STAGE1_SYSROOT "/usr", m->fs, MS_RDONLY | MS_NODEV, NULL, &s->e)))
		return ret;
	say(s, "verity root /dev/mapper/%s (%s, %s) mounted read-only on /usr", STAGE1_DM_NAME, m->fs, s->slot);
	str_copy(s->what, sizeof(s->what), "mounting /tmp");
	return mnt("tmpfs", STAGE1_SYSROOT "/tmp", "tmpfs", MS_NOSUID | MS_NODEV, "mode=1777", &s->e);
}

/* /run/keel/boot: what stage 1 chose, for the host (update tooling marks the slot successful). */
static int record_boot(struct s1 *s, const struct manifest *m)
{
	char txt[768], root[2 * HASH_MAX_SIZE + 1];
	hex_encode(root, m->root_hash, hash_size(m->hash));
	str_copy(s->what, sizeof(s->what), "writing /run/keel/boot");
	if (str_fmt(txt, sizeof(txt), "slot=%s\ndisk=/dev/%s\ndevice=%s\nversion=%s\nroot_hash=%s\nmin_version=%s\n", s->slot,
		s->disk, s->part_dev, m->version, root, s->floor))
		return kerr_set(&s->e, -ENAMETOOLONG, "boot record too long");
	/* a fresh tmpfs nobody reads yet: a plain exclusive create is enough (fs_write_atomic's
	 * random temporary name would wait for the kernel's RNG, ~1 s this early under TCG) */
	int ret = mount_mkdir_p("/run/keel", 0755);
	if (!ret) {
		int fd = open("/run/keel/boot", O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
		ret = fd < 0 ? -errno : fs_write_all(fd, txt, strlen(txt));
		if (fd >= 0)
			close(fd);
	}
	if (ret)
		return kerr_set(&s->e, ret, "/run/keel/boot: %s", strerror(-ret));
	return 0;
}

static int provision(struct s1 *s)
{
	if (access("/bin/provision", X_OK))
		return 0;
	str_copy(s->what, sizeof(s->what), "first-boot provisioning");
	say(s, "running keel provision boot --root " STAGE1_SYSROOT);
	pid_t pid = fork();
	if (pid < 0)
		return kerr_set(&s->e, -errno, "fork: %s", strerror(errno));
	if (!pid) {
		char *argv[] = {"keel", "provision", "boot", "--root", STAGE1_SYSROOT, NULL};
		execv("/bin/keel", argv);
		_exit(127);
	}
	int st;
	while (waitpid(pid, &st, 0) < 0)
		if (errno != EINTR)
			return kerr_set(&s->e, -errno, "wait: %s", strerror(errno));
	if (WIFEXITED(st) && !WEXITSTATUS(st))
		return 0;
	if (WIFEXITED(st))
		return kerr_set(&s->e, -EIO, "keel provision exited with status %d", WEXITSTATUS(st));
	return kerr_set(&s->e, -EIO, "keel provision killed by signal %d", WTERMSIG(st));
}

/* keel.init: an absolute path below /usr without "..", so the host never runs code that lives
 * on the writable state partition. */
static int host_init(struct s1 *s, const char **path)
{
	const char *v = cmdline_get(&s->cmd, "keel.init");
	*path = "/usr/bin/keel";
	if (!v)
		return 0;
	if (!str_starts(v, "/usr/") || strstr(v, "/../") || str_ends(v, "/..") || strlen(v) > 255)
		return kerr_set(&s->e, -EINVAL, "keel.init=%s: must be an absolute path below /usr/", v);
	*path = v;
	return 0;
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

static void rescue(struct s1 *s, int code) __attribute__((noreturn));
static void rescue(struct s1 *s, int code)
{
	char reason[700];
	if (code)
		snprintf(reason, sizeof(reason), "%s: %s", s->what, kerr_str(&s->e, code));
	else
		snprintf(reason, sizeof(reason), "keel.rescue on the kernel command line");
	if (code)
		dprintf(STDERR_FILENO, "keel init: FAILED: %s\n", reason);
	char tmo[32];
	snprintf(tmo, sizeof(tmo), "%u", key_uint(s, "keel.rescue_timeout", 600, 0, 86400));
	char *argv[] = {"keel", "rescue", "--timeout", tmo, "--reason", reason, NULL};
	execv("/proc/self/exe", argv); /* still there when switch_root got as far as emptying the initramfs */
	execv("/bin/keel", argv);
	dprintf(STDERR_FILENO, "keel init: cannot start the rescue console: %s\n", strerror(errno));
	for (;;)
		pause();
}

int stage1_main(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	static struct s1 s; /* large (command line): not on the stack */
	struct blkdev any, part;
	struct manifest m;
	const char *init;
	int ret;

	memset(&s, 0, sizeof(s));
	s.t0 = ms_now();
	if (getpid() != 1)
		return kfail(EXIT_USAGE, "stage 1 runs only as PID 1 from an initramfs");
	if (!is_ramfs("/")) { /* PID 1 never returns: that would panic the kernel */
		console_stdio();
		str_copy(s.what, sizeof(s.what), "starting stage 1");
		rescue(&s, kerr_set(&s.e, -EINVAL, "/ is not an initramfs (ramfs or tmpfs) but has " STAGE1_MARKER));
	}
	umask(022);
	str_copy(s.what, sizeof(s.what), "mounting /proc /sys /dev /run");
	if ((ret = mount_basic(&s.e))) {
		console_stdio();
		rescue(&s, ret);
	}
	console_stdio();
	say(&s, "stage 1, keel %s", KEEL_VERSION);
	str_copy(s.what, sizeof(s.what), "reading /proc/cmdline");
	if ((ret = cmdline_read(&s.cmd, "/proc/cmdline", &s.e)))
		rescue(&s, ret);
	const char *lv = cmdline_get(&s.cmd, "keel.log");
	if (lv)
		setenv("KEEL_LOG", lv, 1);
	for (int i = 0; i < s.cmd.n; i++)
		if (str_starts(s.cmd.key[i], "keel.") && strcmp(s.cmd.key[i], "keel.rescue") && strcmp(s.cmd.key[i], "keel.slot") &&
			strcmp(s.cmd.key[i], "keel.timeout") && strcmp(s.cmd.key[i], "keel.init") && strcmp(s.cmd.key[i], "keel.log") &&
			strcmp(s.cmd.key[i], "keel.rescue_timeout") && strcmp(s.cmd.key[i], "keel.config"))
			say(&s, "unknown key %s on the kernel command line (ignored)", s.cmd.key[i]);
	if ((ret = load_modules(&s)))
		rescue(&s, ret);
	ret = wait_disk(&s, &any);
	if (cmdline_has(&s.cmd, "keel.rescue"))
		rescue(&s, 0);
	if (ret || (ret = choose_slot(&s, &part)) || (ret = setup_verity(&s, &part, &m)) ||
		(ret = mount_root(&s, &m)) || (ret = record_boot(&s, &m)) || (ret = provision(&s)))
		rescue(&s, ret);
	str_copy(s.what, sizeof(s.what), "starting the host");
	if ((ret = host_init(&s, &init)))
		rescue(&s, ret);
	say(&s, "switching root to the host, exec %s%s (stage 1 peak RSS %ld KiB)", init,
		strcmp(init, "/usr/bin/keel") ? "" : " init", peak_rss_kib());
	char *keel_argv[] = {"keel", "init", NULL};
	char *custom_argv[] = {(char *)init, NULL};
	ret = switch_root(STAGE1_SYSROOT, init, strcmp(init, "/usr/bin/keel") ? custom_argv : keel_argv, &s.e);
	rescue(&s, ret);
}
