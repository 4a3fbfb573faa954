/* keel diag - a support bundle that never leaks secrets; the host's health in one line
 *
 * usage: keel diag bundle [-o FILE] [--root DIR] [--deadline S] [--key WORD]...
 *        keel diag health [--json] [--root DIR]
 *        keel diag redact [--key WORD]... [FILE]
 *        keel diag scan [--shapes] [--key WORD]... [FILE]
 *
 * bundle: run every collector (kernel, os-release, keel --version, boot record, slots, dmesg,
 * units and their logs, mounts, memory, load, pressure, cgroups, processes, network, block
 * devices), each in a child with its own deadline and size cap, redact everything it wrote,
 * and write a pax tar (FILE, default keel-diag.tar) with manifest.json last. The finished
 * archive is scanned again; on any hit it is removed and the command fails naming the item,
 * the rule and the masked span. --root DIR reads files (etc/, run/, var/) below DIR; /proc,
 * /sys and /dev/kmsg are always the running kernel's. --deadline S (default 30) bounds the
 * whole bundle. FILE.tar.zst is refused until zstd compression is in the build.
 * health: one line, "healthy" or "degraded: REASON; …" (failed units, a trial release not
 * marked good, memory/io/cpu pressure, a full disk, PIDs near the limit, the clock not
 * synchronised).
 * redact: FILE (default standard input) to standard output with secrets masked.
 * scan: report every secret left in FILE, one line each (--shapes: token shapes too).
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
#include "base/applet.h"
#include "base/args.h"
#include "base/buf.h"
#include "base/err.h"
#include "base/log.h"
#include "base/sandbox.h"
#include "diag/redact.h"

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

int diag_main(int argc, char **argv)
{
	if (argc < 2 || !strcmp(argv[1], "--help")) {
		args_help();
		return argc < 2 ? EXIT_USAGE : EXIT_OK;
	}
	if (!strcmp(argv[1], "redact") || !strcmp(argv[1], "scan"))
		return stream_main(argc - 1, argv + 1, argv[1][0] == 's');
	return kfail(EXIT_USAGE, "unknown command '%s' (see --help)", argv[1]);
}
