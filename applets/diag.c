/* keel diag - a support bundle that never leaks secrets; the host's health in one line
 *
 * usage: keel diag bundle [-o FILE] [--root DIR] [--deadline S] [--key WORD]...
 *        keel diag health [--json] [--root DIR]
 *        keel diag redact [--key WORD]... [FILE]
 *        keel diag scan [--shapes] [--key WORD]... [FILE]
 *        keel diag zstd [FILE]
 *
 * bundle: run every collector (kernel, os-release, keel --version, boot record, slots, dmesg,
 * units and their logs, mounts, memory, load, pressure, cgroups, processes, network, block
 * devices), each in a child with its own deadline and size cap, redact everything it wrote,
 * and write a pax tar with manifest.json last, zstd-compressed when FILE ends in .zst (default
 * keel-diag.tar.zst; `tar --zstd -xf` opens it). The whole archive is scanned again on its way
 * out; on any hit the file is removed and the command fails naming the item, the rule and the
 * masked span. --root DIR reads files (etc/, run/, var/) below DIR; /proc,
 * /sys and /dev/kmsg are always the running kernel's. --deadline S (default 30) bounds the
 * whole bundle.
 * health: one line, "healthy" or "degraded: REASON; …" (failed units, a trial release not
 * marked good, memory/io/cpu pressure, a full disk, PIDs near the limit, the clock not
 * synchronised).
 * redact: FILE (default standard input) to standard output with secrets masked.
 * scan: report every secret left in FILE, one line each (--shapes: token shapes too).
 * zstd: FILE (default standard input) compressed to standard output (zstd -dc reads it).
 *
 * Options:
 *   -o FILE          the bundle's file name
 *   --root DIR       read files below DIR instead of /
 *   --deadline S     the whole bundle's deadline in seconds (1..3600)
 *   --key WORD       one more key word whose values are secret (also read from
 *                    ROOT/etc/keel/diag-redact-keys, one per line)
 *   --json           (health) machine-readable output
 *   --shapes         (scan) also report token shapes (AWS, GitHub, GitLab, Slack, Stripe, JWT)
 *
 * Exit status: 0 ok / healthy / nothing found; 1 degraded, a secret found (scan), or the bundle
 * refused by its final scan; 2 usage; 3 runtime failure.
 */
#include "archive/zstd_write.h"
#include "base/applet.h"
#include "base/args.h"
#include "base/buf.h"
#include "base/err.h"
#include "base/log.h"
#include "base/sandbox.h"
#include "base/fs.h"
#include "diag/bundle.h"
#include "diag/health.h"
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
	static struct strlist keys;
	const char *out = "keel-diag.tar.zst", *root = "/";
	uint64_t deadline = 30;
	char **ops, tmp[4096], rootpath[4096];
	int n, rc = EXIT_FAIL, fd = -1, rootfd = -1, ret;
	const struct opt opts[] = {{"o", 'o', OPT_STR, &out},      {"root", 0, OPT_STR, &root},
	                           {"deadline", 0, OPT_U64, &deadline, 1, 3600}, {"key", 0, OPT_LIST, &keys}, {0}};
	if ((n = args_parse(opts, argc - 1, argv + 1, &ops)) < 0)
		return args_exit(n);
	if (n)
		return kfail(EXIT_USAGE, "usage: keel diag bundle [-o FILE] [--root DIR] [--deadline S] [--key WORD]...");
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
	const char *sde = getenv("SOURCE_DATE_EPOCH");
	struct diag_opts o = {.rootfd = rootfd, .root = strcmp(rootpath, "/") ? rootpath : "", .self = "/proc/self/exe",
	                      .deadline_ms = (unsigned)deadline * 1000, .keys = kv, .nkeys = nk,
	                      .mtime = sde ? strtoull(sde, NULL, 10) : 0};
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
out:
	redact_free(&sk.scan);
	zstdw_free(&z);
	buf_free(&kb);
	if (fd >= 0)
		close(fd);
	close(rootfd);
	return rc;
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

static int health_main(int argc, char **argv)
{
	const char *root = "/";
	int json = 0, n, rootfd;
	char **ops, rootpath[4096];
	const struct opt opts[] = {{"json", 0, OPT_FLAG, &json}, {"root", 0, OPT_STR, &root}, {0}};
	if ((n = args_parse(opts, argc - 1, argv + 1, &ops)) < 0)
		return args_exit(n);
	if (n)
		return kfail(EXIT_USAGE, "usage: keel diag health [--json] [--root DIR]");
	if (!realpath(root, rootpath) || (rootfd = open(rootpath, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0)
		return kfail(EXIT_FAIL, "--root %s: %s", root, kerr_strerror(errno));
	static struct health h;
	diag_health(rootfd, strcmp(rootpath, "/") ? rootpath : "", &h);
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
	if (!strcmp(argv[1], "zstd"))
		return zstd_main(argc - 1, argv + 1);
	if (!strcmp(argv[1], "redact") || !strcmp(argv[1], "scan"))
		return stream_main(argc - 1, argv + 1, argv[1][0] == 's');
	return kfail(EXIT_USAGE, "unknown command '%s' (see --help)", argv[1]);
}
