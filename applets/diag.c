/* keel diag - a support bundle that never leaks secrets; the host's health in one line
 *
 * usage: keel diag bundle [-o FILE] [--root DIR] [--deadline S] [--key WORD]...
 *                         [--obfuscate [--map FILE] [--word WORD]...]
 *        keel diag health [--json] [--keep [--reason TEXT]] [--root DIR]
 *        keel diag last [--root DIR]
 *        keel diag boot [blame | critical-chain [UNIT]] [--json] [--root DIR] [--goal UNIT]
 *        keel diag redact [--key WORD]... [FILE]
 *        keel diag scan [--shapes] [--key WORD]... [FILE]
 *        keel diag zstd [FILE]
 *        keel diag diff [--json] [--all] A B
 *
 * bundle: every collector (kernel, boot record, slots, dmesg, units and logs, mounts, memory,
 * pressure, cgroups, processes, network, block devices) in a child with a deadline and size
 * cap, redacted, into a pax tar with manifest.json last; zstd when FILE ends in .zst (default
 * keel-diag.tar.zst). The stream is scanned again: on a hit no file, and the item, rule and
 * masked span are named. --root DIR: files below DIR (/proc, /sys, /dev/kmsg stay the kernel's).
 * health: "healthy" or "degraded: REASON; …" (failed units, a trial release, pressure, a full
 * disk, PIDs, the clock); --keep: when degraded (or --reason given) keep evidence as a failed boot does.
 * boot: the timeline as systemd-analyze (firmware, loader, kernel, initrd, userspace) and stage
 * 1's console lines; blame: units by start time; critical-chain: what delayed UNIT (default
 * the goal). --json: all of it.
 * last: the newest evidence a failed stage 1 (or health --keep) kept on STATE (/sysroot in the rescue console).
 * redact: FILE (default standard input) to standard output, secrets masked.
 * scan: every secret left in FILE (--shapes: token shapes too).
 * zstd: FILE (default standard input) compressed to standard output.
 * diff: what changed from bundle A to B, by section (--all: volatile items too).
 *
 * Options:
 *   -o FILE          the bundle's file name
 *   --root DIR       read files below DIR instead of /
 *   --deadline S     the whole bundle's deadline in seconds (1..3600)
 *   --key WORD       one more key word whose values are secret (also read from
 *                    ROOT/etc/keel/diag-redact-keys, one per line)
 *   --json           (health, boot) machine-readable output
 *   --shapes         (scan) also report token shapes (AWS, GitHub, GitLab, Slack, Stripe, JWT)
 *   --obfuscate      (bundle) addresses, host and user names, WORDs as tokens; map: FILE.map
 *
 * Exit status: 0 ok / healthy / nothing found; 1 degraded, a secret found (scan), the bundle
 * refused by its final scan, differences (diff); 2 usage; 3 runtime failure.
 */
#include "archive/zstd_write.h"
#include "base/applet.h"
#include "base/args.h"
#include "base/buf.h"
#include "base/err.h"
#include "base/log.h"
#include "base/sandbox.h"
#include "base/fs.h"
#include "diag/boot_time.h"
#include "diag/bundle.h"
#include "diag/diff.h"
#include "diag/evidence.h"
#include "diag/health.h"
#include "diag/obfuscate.h"
#include "base/json.h"
#include "diag/redact.h"

#include <stdlib.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static int write_all(void *ctx, const void *p, size_t n)
{
	int fd = *(int *)ctx;
	while (n) {
		ssize_t w = write(fd, p, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return w < 0 ? -errno : -EIO;
		p = (const char *)p + w;
		n -= (size_t)w;
	}
	return 0;
}

static void print_hit(void *ctx, const struct redact_hit *h)
{
	printf("%s: %s at offset %llu: %s (%zu bytes)\n", (const char *)ctx, h->rule, (unsigned long long)h->off,
	       h->shown, h->len);
}

static int add_keys(struct redact *r, const struct strlist *keys)
{
	for (int i = 0; i < keys->n; i++)
		if (redact_add_key(r, keys->v[i]))
			return kfail(EXIT_USAGE, "--key %s: a key word is 1..%u bytes of a-z 0-9 _ . - (at most %d)",
			             keys->v[i], REDACT_KEY_MAX, REDACT_EXTRA_MAX);
	return 0;
}

/* redact / scan: a stream through the redactor. */
static int stream_main(int argc, char **argv, int scan)
{
	static struct strlist keys;
	int shapes = 0, n, fd = 0, out = 1, ret, rc = EXIT_FAIL;
	char **ops;
	const struct opt opts[] = {{"key", 0, OPT_LIST, &keys}, {"shapes", 0, OPT_FLAG, &shapes}, {0}};
	if ((n = args_parse(opts, argc - 1, argv + 1, &ops)) < 0)
		return args_exit(n);
	if (n > 1 || (shapes && !scan))
		return kfail(EXIT_USAGE, "usage: keel diag %s [--key WORD]... [FILE]", argv[0]);
	const char *name = n ? ops[0] : "-";
	if (n && strcmp(name, "-") && (fd = open(name, O_RDONLY | O_CLOEXEC)) < 0)
		return kfail(EXIT_FAIL, "%s: %s", name, kerr_strerror(errno));
	struct redact r;
	struct kerr e = {0};
	static const char *const none[] = {NULL};
	if ((ret = sandbox_enter(none, &e)))
		return kfail(EXIT_FAIL, "%s", kerr_str(&e, ret));
	if ((ret = redact_init(&r, scan ? REDACT_SCAN | (shapes ? REDACT_SHAPES : 0) : REDACT_MASKING, write_all,
	                       scan ? print_hit : NULL, scan ? (void *)name : &out))) {
		kfail(EXIT_FAIL, "%s", kerr_strerror(ret));
		goto out;
	}
	if ((rc = add_keys(&r, &keys)))
		goto out;
	rc = EXIT_FAIL;
	static char chunk[1 << 16];
	ssize_t got;
	while ((got = read(fd, chunk, sizeof(chunk))) != 0) {
		if (got < 0 && errno == EINTR)
			continue;
		if (got < 0) {
			kfail(EXIT_FAIL, "%s: %s", name, kerr_strerror(errno));
			goto out;
		}
		if ((ret = redact_write(&r, chunk, (size_t)got)))
			break;
	}
	if (!ret)
		ret = redact_finish(&r);
	if (ret) {
		kfail(EXIT_FAIL, "writing: %s", kerr_strerror(ret));
		goto out;
	}
	rc = scan && r.hits ? EXIT_NO : EXIT_OK;
out:
	redact_free(&r);
	if (fd > 0)
		close(fd);
	return rc;
}

/* The host's extra key words: ROOT/etc/keel/diag-redact-keys, one per line, '#' comments. */
static int host_keys(int rootfd, struct buf *b, const char **keys, int *n)
{
	struct kerr e = {0};
	int fd = fs_open_beneath(rootfd, "etc/keel/diag-redact-keys", O_RDONLY, 0);
	if (fd == -ENOENT)
		return 0;
	int ret = fd < 0 ? fd : fs_read_fd(fd, 64 << 10, b);
	if (fd >= 0)
		close(fd);
	if (ret)
		return kfail(EXIT_FAIL, "etc/keel/diag-redact-keys: %s", kerr_str(&e, ret));
	struct redact probe = {0};
	for (char *p = (char *)b->p, *nl; p && *p; p = nl) {
		nl = p + strcspn(p, "\n");
		if (*nl)
			*nl++ = 0;
		p += strspn(p, " \t");
		if (!*p || *p == '#')
			continue;
		if (*n >= REDACT_EXTRA_MAX || redact_add_key(&probe, p))
			return kfail(EXIT_FAIL, "etc/keel/diag-redact-keys: '%s': not a key word (a-z 0-9 _ . -, at most %d)", p,
			             REDACT_EXTRA_MAX);
		keys[(*n)++] = p;
	}
	return 0;
}

static int write_fd(void *ctx, const void *p, size_t n)
{
	return fs_write_all(*(int *)ctx, p, n);
}

/* The tar stream on its way out: through the final scan (token shapes included), then zstd or
 * the file. The scan sees exactly the bytes the archive holds, before compression. */
struct bundle_sink {
	int fd;
	struct zstdw *z;
	struct redact scan;
	struct redact_hit hit[20];
	int nhit;
};

static void keep_hit(void *ctx, const struct redact_hit *h)
{
	struct bundle_sink *s = ctx;
	if (s->nhit < (int)(sizeof(s->hit) / sizeof(s->hit[0])))
		s->hit[s->nhit++] = *h;
}

static int sink_write(void *ctx, const void *p, size_t n)
{
	struct bundle_sink *s = ctx;
	int ret = redact_write(&s->scan, p, n);
	if (!ret)
		ret = s->z ? zstdw_write(s->z, p, n) : fs_write_all(s->fd, p, n);
	return ret;
}

static int bundle_main(int argc, char **argv)
{
	static struct strlist keys, words;
	static struct obf obf;
	const char *out = "keel-diag.tar.zst", *root = "/", *map = NULL;
	uint64_t deadline = 30;
	char **ops, tmp[4096], rootpath[4096], mapd[4096];
	int n, rc = EXIT_FAIL, fd = -1, rootfd = -1, ret, obfuscate = 0;
	const struct opt opts[] = {{"o", 'o', OPT_STR, &out},      {"root", 0, OPT_STR, &root},
	                           {"deadline", 0, OPT_U64, &deadline, 1, 3600}, {"key", 0, OPT_LIST, &keys},
	                           {"obfuscate", 0, OPT_FLAG, &obfuscate}, {"map", 0, OPT_STR, &map},
	                           {"word", 0, OPT_LIST, &words}, {0}};
	if ((n = args_parse(opts, argc - 1, argv + 1, &ops)) < 0)
		return args_exit(n);
	if (n || (!obfuscate && (map || words.n)))
		return kfail(EXIT_USAGE, "usage: keel diag bundle [-o FILE] [--root DIR] [--deadline S] [--key WORD]... "
		                         "[--obfuscate [--map FILE] [--word WORD]...]");
	/* the map: FILE.map by default; never a device, FIFO or symlink replaced (written by rename) */
	struct stat ms;
	if (obfuscate && (str_fmt(mapd, sizeof(mapd), "%s.map", out) || (map && str_copy(mapd, sizeof(mapd), map)) ||
	                  (!lstat(mapd, &ms) && !S_ISREG(ms.st_mode))))
		return kfail(EXIT_USAGE, "--map %s: not a regular file", mapd);
	for (int i = 0; i < words.n; i++)
		if (obf_add_word(&obf, 'w', words.v[i]))
			return kfail(EXIT_USAGE, "--word %s: 2..%d bytes, no blanks", words.v[i], OBF_WORD_MAX);
	/* the map's directory, opened before anything is collected */
	char *sl = strrchr(mapd, '/');
	const char *mapbase = sl ? sl + 1 : mapd;
	int mapdir = -1;
	if (obfuscate) {
		if (sl)
			*sl = 0;
		mapdir = open(!sl ? "." : sl == mapd ? "/" : mapd, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (sl)
			*sl = '/';
		if (mapdir < 0 || !*mapbase)
			return kfail(EXIT_FAIL, "--map %s: %s", mapd, kerr_strerror(mapdir < 0 ? errno : EINVAL));
	}
	if (str_fmt(tmp, sizeof(tmp), "%s.partial", out) || !realpath(root, rootpath))
		return kfail(EXIT_FAIL, "%s: %s", str_ends(tmp, ".partial") ? root : out, kerr_strerror(errno));
	if ((rootfd = open(rootpath, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0)
		return kfail(EXIT_FAIL, "--root %s: %s", root, kerr_strerror(errno));
	const char *kv[REDACT_EXTRA_MAX];
	int nk = 0;
	struct buf kb = BUF_INIT(64 << 10);
	for (int i = 0; i < keys.n && nk < REDACT_EXTRA_MAX; i++)
		kv[nk++] = keys.v[i];
	struct redact probe = {0};
	for (int i = 0; i < nk; i++)
		if (redact_add_key(&probe, kv[i])) {
			rc = kfail(EXIT_USAGE, "--key %s: a key word is 1..%u bytes of a-z 0-9 _ . -", kv[i], REDACT_KEY_MAX);
			goto out;
		}
	if ((rc = host_keys(rootfd, &kb, kv, &nk)))
		goto out;
	rc = EXIT_FAIL;
	if (obfuscate && obf_add_host(&obf, rootfd)) {
		kfail(EXIT_FAIL, "--obfuscate: out of memory");
		goto out;
	}
	const char *sde = getenv("SOURCE_DATE_EPOCH");
	struct diag_opts o = {.rootfd = rootfd, .root = strcmp(rootpath, "/") ? rootpath : "", .self = "/proc/self/exe",
	                      .deadline_ms = (unsigned)deadline * 1000, .keys = kv, .nkeys = nk,
	                      .mtime = sde ? strtoull(sde, NULL, 10) : 0, .obf = obfuscate ? &obf : NULL};
	if ((fd = open(tmp, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600)) < 0) {
		kfail(EXIT_FAIL, "%s: %s", tmp, kerr_strerror(errno));
		goto out;
	}
	static struct diag_bundle b;
	static struct bundle_sink sk;
	static struct zstdw z;
	struct kerr e = {0};
	sk.fd = fd;
	sk.z = str_ends(out, ".zst") ? &z : NULL;
	ret = redact_init(&sk.scan, REDACT_SCAN | REDACT_SHAPES, NULL, keep_hit, &sk);
	for (int i = 0; !ret && i < o.nkeys; i++)
		ret = redact_add_key(&sk.scan, o.keys[i]);
	if (!ret && sk.z)
		ret = zstdw_init(&z, NULL, write_fd, &fd);
	if (ret || (ret = diag_bundle_write(&o, sink_write, &sk, &b, &e)) || (ret = redact_finish(&sk.scan)) ||
	    (sk.z && (ret = zstdw_finish(&z)))) {
		kfail(EXIT_FAIL, "%s: %s", out, kerr_str(&e, ret));
		unlink(tmp);
		goto out;
	}
	if (sk.scan.hits) {
		for (int i = 0; i < sk.nhit; i++)
			log_msg(KLOG_ERR, "bundle refused: %s: %s: %s (%zu bytes)", diag_item_at(&b, sk.hit[i].off), sk.hit[i].rule,
			        sk.hit[i].shown, sk.hit[i].len);
		rc = kfail(EXIT_NO, "%s: not written: the final scan found %llu secret(s) the redaction left", out,
		           (unsigned long long)sk.scan.hits);
		unlink(tmp);
		goto out;
	}
	if (fsync(fd) || rename(tmp, out)) {
		kfail(EXIT_FAIL, "%s: %s", out, kerr_strerror(errno));
		unlink(tmp);
		goto out;
	}
	int cut = 0;
	for (int i = 0; i < b.n; i++)
		cut += b.item[i].error[0] != 0;
	printf("%s: %d items (%d incomplete, see manifest.json), %u ms\n", out, b.n, cut, b.elapsed_ms);
	rc = EXIT_OK;
	if (obfuscate) { /* the map stays here, mode 0600: never in the bundle */
		struct buf mb = BUF_INIT(64 << 20);
		ret = obf_map(&obf, &mb) ? -ENOMEM : fs_write_atomic(mapdir, mapbase, mb.p, mb.len, 0600);
		if (ret)
			rc = kfail(EXIT_FAIL, "--map %s: %s (the bundle %s is written)", mapd, kerr_strerror(ret), out);
		else
			printf("%s: the obfuscation map (%d values; keep it, do not send it)\n", mapd, obf.n);
		buf_free_secret(&mb);
	}
out:
	if (mapdir >= 0)
		close(mapdir);
	obf_free(&obf);
	redact_free(&sk.scan);
	zstdw_free(&z);
	buf_free(&kb);
	if (fd >= 0)
		close(fd);
	close(rootfd);
	return rc;
}

/* diff: what changed between two bundles. A bundle is a regular file (never a FIFO or a device:
 * opened non-blocking, checked), read whole (at most DIFF_FILE_MAX bytes). */
static int diff_main(int argc, char **argv)
{
	int json = 0, all = 0, n, ret = 0, fd;
	char **ops;
	const struct opt opts[] = {{"json", 0, OPT_FLAG, &json}, {"all", 0, OPT_FLAG, &all}, {0}};
	if ((n = args_parse(opts, argc - 1, argv + 1, &ops)) < 0)
		return args_exit(n);
	if (n != 2)
		return kfail(EXIT_USAGE, "usage: keel diag diff [--json] [--all] A B");
	static struct diag_snap s[2];
	struct diag_changes c;
	struct buf b = BUF_INIT(DIFF_FILE_MAX);
	struct stat st;
	struct kerr e = {0};
	for (int i = 0; i < 2 && !ret; i++) {
		buf_reset(&b);
		if ((fd = open(ops[i], O_RDONLY | O_NONBLOCK | O_CLOEXEC)) < 0 || fstat(fd, &st))
			ret = kerr_set(&e, -errno, "%s", kerr_strerror(errno));
		else if (!S_ISREG(st.st_mode))
			ret = kerr_set(&e, -EINVAL, "not a regular file");
		else if ((ret = fs_read_fd(fd, DIFF_FILE_MAX, &b)) == -EFBIG)
			kerr_set(&e, ret, "more than 64 MiB");
		else if (!ret)
			ret = diag_snap_read(b.p, b.len, &s[i], &e);
		if (fd >= 0)
			close(fd);
		if (ret)
			kfail(EXIT_FAIL, "%s: %s", ops[i], kerr_str(&e, ret));
	}
	buf_free(&b);
	if (!ret && (ret = diag_diff(&s[0], &s[1], all, &c)))
		kfail(EXIT_FAIL, "diff: %s", kerr_strerror(ret));
	if (ret)
		return EXIT_FAIL;
	struct buf jb = BUF_INIT(256 << 20);
	struct jw w;
	jw_init(&w, &jb);
	jw_obj(&w);
	jw_key(&w, "same");
	jw_bool(&w, !c.n);
	jw_key(&w, "changes");
	jw_arr(&w);
	if (!json && c.n)
		printf("%-10s %-32s %-24s %s\n", "SECTION", "KEY", "A", "B");
	for (size_t i = 0; i < c.n; i++) {
		const char *const v[4] = {c.v[i].section, c.v[i].key, c.v[i].a, c.v[i].b}, *const k[4] = {"section", "key", "a", "b"};
		if (!json)
			printf("%-10s %-32s %-24s %s\n", v[0], v[1], v[2] ? v[2] : "-", v[3] ? v[3] : "-");
		jw_obj(&w);
		for (int x = 0; x < 4; x++) {
			jw_key(&w, k[x]);
			v[x] ? jw_str(&w, v[x]) : jw_null(&w);
		}
		jw_obj_end(&w);
	}
	jw_arr_end(&w);
	jw_key(&w, "omitted");
	jw_uint(&w, c.omitted);
	jw_obj_end(&w);
	if (json && !jw_finish(&w))
		printf("%s\n", (const char *)jb.p);
	if (!json && c.omitted)
		printf("(%zu more not shown)\n", c.omitted);
	buf_free(&jb);
	ret = c.n ? EXIT_NO : EXIT_OK;
	diag_changes_free(&c);
	diag_snap_free(&s[0]);
	diag_snap_free(&s[1]);
	return ret;
}

/* zstd: FILE (default standard input) to standard output as one zstd frame (keel's own writer). */
static int zstd_main(int argc, char **argv)
{
	int fd = 0, out = 1, ret = 0;
	if (argc > 2)
		return kfail(EXIT_USAGE, "usage: keel diag zstd [FILE]");
	if (argc == 2 && strcmp(argv[1], "-") && (fd = open(argv[1], O_RDONLY | O_CLOEXEC)) < 0)
		return kfail(EXIT_FAIL, "%s: %s", argv[1], kerr_strerror(errno));
	struct stat st;
	struct zstdw_opts o = {0, fstat(fd, &st) || !S_ISREG(st.st_mode) ? ZSTDW_SIZE_UNKNOWN : (uint64_t)st.st_size, 0};
	struct zstdw z;
	static char chunk[1 << 16];
	ssize_t got = 0;
	if (!(ret = zstdw_init(&z, &o, write_fd, &out)))
		while ((got = read(fd, chunk, sizeof(chunk))) != 0 && !ret) {
			if (got < 0 && errno == EINTR)
				continue;
			if (got < 0)
				break;
			ret = zstdw_write(&z, chunk, (size_t)got);
		}
	if (got < 0)
		ret = -errno;
	if (!ret)
		ret = zstdw_finish(&z);
	zstdw_free(&z);
	if (fd > 0)
		close(fd);
	return ret ? kfail(EXIT_FAIL, "%s: %s", argc == 2 ? argv[1] : "-", kerr_strerror(ret)) : EXIT_OK;
}

/* A span as systemd-analyze prints it, to the millisecond: 567ms, 1.234s, 2min 3.456s. */
static const char *span(char *b, size_t n, uint64_t us)
{
	uint64_t ms = us / 1000;
	if (ms < 1000)
		snprintf(b, n, "%llums", (unsigned long long)ms);
	else if (ms < 60000)
		snprintf(b, n, "%llu.%03llus", (unsigned long long)(ms / 1000), (unsigned long long)(ms % 1000));
	else
		snprintf(b, n, "%llumin %llu.%03llus", (unsigned long long)(ms / 60000), (unsigned long long)(ms / 1000 % 60),
		         (unsigned long long)(ms % 1000));
	return b;
}

static const struct boot_time *blame_t;

static int by_time(const void *a, const void *b)
{
	const struct boot_tunit *x = &blame_t->unit[*(const int *)a], *y = &blame_t->unit[*(const int *)b];
	uint64_t dx = x->active - x->activating, dy = y->active - y->activating;
	return dx != dy ? (dx < dy) - (dx > dy) : strcmp(x->name, y->name);
}

static void boot_json(const struct boot_time *t, const uint64_t part[6], const int *order, int n, const int *chain, int nc)
{
	static const char *const pk[6] = {"firmware_us", "loader_us", "kernel_us", "initrd_us", "userspace_us", "total_us"};
	struct buf b = BUF_INIT(8 << 20);
	struct jw w;
	jw_init(&w, &b);
	jw_obj(&w);
	for (int i = 0; i < 6; i++) {
		jw_key(&w, pk[i]);
		jw_uint(&w, part[i]);
	}
	jw_key(&w, "reached");
	t->goal >= 0 ? jw_str(&w, t->unit[t->goal].name) : jw_null(&w);
	jw_key(&w, "stage1");
	jw_obj(&w);
	jw_key(&w, "start_us");
	jw_uint(&w, t->stage1);
	jw_key(&w, "end");
	jw_str(&w, t->end1_what);
	jw_key(&w, "lines");
	jw_arr(&w);
	for (int i = 0; i < t->nstage; i++) {
		jw_obj(&w);
		jw_key(&w, "console_ms");
		jw_uint(&w, (t->stage[i].us - t->stage1) / 1000);
		jw_key(&w, "text");
		jw_str(&w, t->stage[i].text);
		jw_obj_end(&w);
	}
	jw_arr_end(&w);
	jw_obj_end(&w);
	for (int pass = 0; pass < 2; pass++) {
		jw_key(&w, pass ? "critical_chain" : "units");
		jw_arr(&w);
		for (int k = 0; k < (pass ? nc : n); k++) {
			const struct boot_tunit *u = &t->unit[pass ? chain[k] : order[k]];
			jw_obj(&w);
			jw_key(&w, "unit");
			jw_str(&w, u->name);
			jw_key(&w, "activating_us");
			jw_uint(&w, u->activating);
			jw_key(&w, "active_us");
			jw_uint(&w, u->active);
			jw_key(&w, "time_us");
			jw_uint(&w, u->active ? u->active - u->activating : 0);
			jw_key(&w, "failed_us");
			jw_uint(&w, u->failed);
			jw_obj_end(&w);
		}
		jw_arr_end(&w);
	}
	jw_obj_end(&w);
	if (!jw_finish(&w))
		printf("%s\n", (const char *)b.p);
	buf_free(&b);
}

static int boot_main(int argc, char **argv)
{
	const char *root = "/", *goal = "multi-user.target";
	int json = 0, n, rootfd;
	char **ops, rootpath[4096], s1[32], s2[32];
	const struct opt opts[] = {{"json", 0, OPT_FLAG, &json}, {"root", 0, OPT_STR, &root}, {"goal", 0, OPT_STR, &goal}, {0}};
	if ((n = args_parse(opts, argc - 1, argv + 1, &ops)) < 0)
		return args_exit(n);
	const char *view = n ? ops[0] : "";
	if (n > 2 || (n && strcmp(view, "blame") && strcmp(view, "critical-chain")) || (n == 2 && view[0] == 'b'))
		return kfail(EXIT_USAGE, "usage: keel diag boot [blame | critical-chain [UNIT]] [--json] [--root DIR] [--goal UNIT]");
	if (!realpath(root, rootpath) || (rootfd = open(rootpath, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0)
		return kfail(EXIT_FAIL, "--root %s: %s", root, kerr_strerror(errno));
	static struct boot_time t;
	boot_time_read(rootfd, strcmp(rootpath, "/") ? rootpath : "", goal, &t);
	close(rootfd);
	/* firmware, loader, kernel, initrd, userspace, total (as systemd-analyze adds them) */
	uint64_t ustart = t.stage1 ? t.end1 : 0, part[6] = {t.fw_init, t.fw_exec > t.fw_init ? t.fw_exec - t.fw_init : 0,
	                                                    t.stage1, t.end1 - t.stage1, 0, 0};
	for (int i = 0; !t.stage1 && i < t.nunit; i++)
		if (t.unit[i].activating && (!ustart || t.unit[i].activating < ustart))
			ustart = t.unit[i].activating;
	part[4] = t.done > ustart ? t.done - ustart : 0;
	part[5] = part[0] + part[1] + part[2] + part[3] + part[4];
	static int order[BOOT_TUNITS_MAX], chain[BOOT_TUNITS_MAX];
	int no = 0, nc = 0, start = t.goal;
	for (int i = 0; i < t.nunit; i++)
		if (t.unit[i].active >= t.unit[i].activating + 1000)
			order[no++] = i;
	blame_t = &t;
	qsort(order, (size_t)no, sizeof(order[0]), by_time);
	if (n == 2 && (start = -1, 1))
		for (int i = 0; i < t.nunit; i++)
			if (!strcmp(t.unit[i].name, ops[1]))
				start = i;
	if (n == 2 && start < 0)
		return kfail(EXIT_NO, "critical-chain %s: the unit has no recorded start in this boot", ops[1]);
	nc = start >= 0 ? boot_time_chain(&t, start, chain, BOOT_TUNITS_MAX) : 0;
	if (!t.nstage && !t.nunit)
		return kfail(EXIT_NO, "no boot record: neither run/keel/boot-stages (stage 1) nor run/keel/boot-units (keel init)");
	if (json) {
		boot_json(&t, part, order, no, chain, nc);
	} else if (view[0] == 'b') {
		int wd = 0;
		for (int i = 0; i < no; i++)
			if ((int)strlen(span(s1, sizeof(s1), t.unit[order[i]].active - t.unit[order[i]].activating)) > wd)
				wd = (int)strlen(s1);
		for (int i = 0; i < no; i++)
			printf("%*s %s\n", wd + 1, span(s1, sizeof(s1), t.unit[order[i]].active - t.unit[order[i]].activating),
			       t.unit[order[i]].name);
	} else if (view[0] == 'c') {
		printf("The time when unit became active or started is printed after the \"@\" character.\n"
		       "The time the unit took to start is printed after the \"+\" character.\n\n");
		for (int k = 0; k < nc; k++) {
			const struct boot_tunit *u = &t.unit[chain[k]];
			uint64_t d = u->active - u->activating;
			printf("%*s%s%s", k ? 2 * (k - 1) : 0, "", k ? "\u2514\u2500" : "", u->name);
			if (d >= 1000)
				printf(" @%s +%s\n", span(s1, sizeof(s1), u->activating > ustart ? u->activating - ustart : 0),
				       span(s2, sizeof(s2), d));
			else
				printf(" @%s\n", span(s1, sizeof(s1), u->active > ustart ? u->active - ustart : 0));
		}
	} else {
		static const char *const pn[5] = {"firmware", "loader", "kernel", "initrd", "userspace"};
		printf("Startup finished in ");
		for (int i = 0, first = 1; i < 5; i++)
			if (part[i] || (i == 4 && t.goal >= 0))
				printf("%s%s (%s)", first ? "" : " + ", span(s1, sizeof(s1), part[i]), pn[i]), first = 0;
		printf(" = %s\n", span(s1, sizeof(s1), part[5]));
		if (t.goal >= 0)
			printf("%s reached after %s in userspace\n", t.unit[t.goal].name, span(s1, sizeof(s1), part[4]));
		if (t.nstage) {
			printf("\nstage 1 (initramfs), as on the console:\n");
			for (int i = 0; i < t.nstage; i++) {
				uint64_t ms = (t.stage[i].us - t.stage1) / 1000;
				printf("  [%3llu.%03llu] %s\n", (unsigned long long)(ms / 1000), (unsigned long long)(ms % 1000),
				       t.stage[i].text);
			}
		}
		for (int i = 0; i < t.nunit; i++)
			if (t.unit[i].failed)
				printf("failed: %s at %s\n", t.unit[i].name, span(s1, sizeof(s1), t.unit[i].failed));
	}
	return EXIT_OK;
}

/* last: the newest evidence a failed boot kept (diag/evidence.h), beneath --root, else / or, from
 * the rescue console, /sysroot (STATE mounted by stage 1). */
static int last_main(int argc, char **argv)
{
	const char *root = NULL;
	char **ops, path[64];
	int n;
	const struct opt opts[] = {{"root", 0, OPT_STR, &root}, {0}};
	if ((n = args_parse(opts, argc - 1, argv + 1, &ops)) < 0)
		return args_exit(n);
	if (n)
		return kfail(EXIT_USAGE, "usage: keel diag last [--root DIR]");
	const char *cand[] = {root ? root : "/", root ? NULL : "/sysroot"};
	for (int i = 0; i < 2 && cand[i]; i++) {
		unsigned kept;
		struct buf b = BUF_INIT(EVIDENCE_SIZE);
		int rootfd = open(cand[i], O_RDONLY | O_DIRECTORY | O_CLOEXEC), last = rootfd < 0 ? 0 : evidence_last(rootfd, &kept);
		snprintf(path, sizeof(path), EVIDENCE_DIR "/%d.txt", last);
		int fd = last > 0 ? fs_open_beneath(rootfd, path, O_RDONLY, 0) : -ENOENT;
		if (fd >= 0 && !fs_read_fd(fd, EVIDENCE_SIZE, &b))
			printf("%s%s%s (%u kept)\n%s", cand[i], str_ends(cand[i], "/") ? "" : "/", path, kept, (const char *)b.p);
		if (fd >= 0)
			close(fd);
		if (rootfd >= 0)
			close(rootfd);
		buf_free(&b);
		if (fd >= 0)
			return EXIT_OK;
	}
	return kfail(EXIT_NO, "no evidence of a failed boot in %s/" EVIDENCE_DIR, root ? root : "{/,/sysroot}");
}

static int health_main(int argc, char **argv)
{
	const char *root = "/", *reason = NULL;
	int json = 0, keep = 0, n, rootfd;
	char **ops, rootpath[4096];
	const struct opt opts[] = {{"json", 0, OPT_FLAG, &json}, {"root", 0, OPT_STR, &root}, {"keep", 0, OPT_FLAG, &keep},
	                           {"reason", 0, OPT_STR, &reason}, {0}};
	if ((n = args_parse(opts, argc - 1, argv + 1, &ops)) < 0)
		return args_exit(n);
	if (n || (reason && !keep))
		return kfail(EXIT_USAGE, "usage: keel diag health [--json] [--keep [--reason TEXT]] [--root DIR]");
	if (!realpath(root, rootpath) || (rootfd = open(rootpath, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0)
		return kfail(EXIT_FAIL, "--root %s: %s", root, kerr_strerror(errno));
	static struct health h;
	const char *r = strcmp(rootpath, "/") ? rootpath : "";
	diag_health(rootfd, r, &h);
	if (keep && (h.n || reason)) { /* evidence, as a failed stage 1 keeps it; --reason: whatever the verdict */
		char why[1024] = "health: degraded:", run[4200];
		if (reason) /* keel init: a trial boot failed its health check, before the reboot that rolls back */
			snprintf(why, sizeof(why), "update rolled back: the trial boot's health check failed: %s", reason);
		for (int i = 0; !reason && i < h.n; i++)
			snprintf(why + strlen(why), sizeof(why) - strlen(why), " %s;", h.reason[i]);
		snprintf(run, sizeof(run), "%s/run/keel", r);
		int k = evidence_save(rootfd, run, why);
		if (k < 0)
			log_msg(KLOG_ERR, "--keep: " EVIDENCE_DIR ": %s", kerr_strerror(k));
	}
	close(rootfd);
	if (json) {
		struct buf b = BUF_INIT(1 << 20);
		struct jw w;
		jw_init(&w, &b);
		jw_obj(&w);
		jw_key(&w, "healthy");
		jw_bool(&w, h.n == 0);
		jw_key(&w, "reasons");
		jw_arr(&w);
		for (int i = 0; i < h.n; i++)
			jw_str(&w, h.reason[i]);
		jw_arr_end(&w);
		jw_obj_end(&w);
		if (jw_finish(&w))
			return kfail(EXIT_FAIL, "--json: out of memory");
		printf("%s\n", (const char *)b.p);
		buf_free(&b);
	} else if (!h.n) {
		printf("healthy\n");
	} else {
		printf("degraded: ");
		for (int i = 0; i < h.n; i++)
			printf("%s%s", i ? "; " : "", h.reason[i]);
		printf("\n");
	}
	return h.n ? EXIT_NO : EXIT_OK;
}

int diag_main(int argc, char **argv)
{
	if (argc < 2 || !strcmp(argv[1], "--help")) {
		args_help();
		return argc < 2 ? EXIT_USAGE : EXIT_OK;
	}
	if (!strcmp(argv[1], "health"))
		return health_main(argc - 1, argv + 1);
	if (!strcmp(argv[1], "bundle"))
		return bundle_main(argc - 1, argv + 1);
	if (!strcmp(argv[1], "last"))
		return last_main(argc - 1, argv + 1);
	if (!strcmp(argv[1], "boot"))
		return boot_main(argc - 1, argv + 1);
	if (!strcmp(argv[1], "zstd"))
		return zstd_main(argc - 1, argv + 1);
	if (!strcmp(argv[1], "diff"))
		return diff_main(argc - 1, argv + 1);
	if (!strcmp(argv[1], "redact") || !strcmp(argv[1], "scan"))
		return stream_main(argc - 1, argv + 1, argv[1][0] == 's');
	return kfail(EXIT_USAGE, "unknown command '%s' (see --help)", argv[1]);
}
