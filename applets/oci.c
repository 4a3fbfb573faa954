/* keel oci - unpack a signed OCI image into a runtime bundle; decompress gzip/zlib/zstd streams
 *
 * usage: keel oci unpack [--key PUBKEY | --keys DIR] [OPTIONS] LAYOUT[:REF] BUNDLE
 *        keel oci inflate [--zlib | --raw | --zstd] [--max-bytes N] [FILE]
 *
 * unpack: verify LAYOUT as `keel verify oci --keys` does (every image signed by a trusted key),
 * then unpack the image tagged REF (default: the only one) into BUNDLE/rootfs and write
 * BUNDLE/config.json (runtime-spec as `umoci unpack` writes it, hardened: noNewPrivileges, three
 * capabilities, masked paths, a seccomp profile). Each layer streams through its digest, gzip or
 * zstd (a window of at most 128 MiB), its diff_id and the tar reader into a staging directory
 * that becomes BUNDLE only when all verified; a failure leaves nothing. No path leaves the root,
 * no symlink in a path is followed, hard links stay in their layer. BUNDLE must not exist or be
 * empty, or with --replace be a directory that the new bundle replaces in one rename once all
 * verified (a failure leaves it as it was). The image may narrow or widen the capabilities with
 * the label io.containers.capabilities (podman's); `keel policy workload` judges the result.
 *
 * unpack options:
 *   -k, --key PUBKEY   the one key to trust
 *   --keys DIR         trusted-keys directory (default /usr/lib/keel/keys)
 *   --devices POLICY   device nodes: refuse (default), skip or create
 *   --setid POLICY     set-id bits, file capabilities: keep (default), strip or refuse
 *   --max-bytes N      limit on the layers decompressed (default 64 GiB)
 *   --replace          BUNDLE may exist with contents: replaced atomically
 *   --cgroup PATH      linux.cgroupsPath of config.json: an absolute path beneath the cgroup2
 *                      mount (container@.service: below its own unit's cgroup)
 *   --platform P       of a multi-platform image (an index, signed as one): the image for
 *                      OS/ARCH[/VARIANT] (default: this machine's, e.g. linux/amd64)
 *
 * inflate: decompress gzip (all members), --zlib or --raw DEFLATE, or --zstd (all frames, a
 * window of at most 128 MiB) from FILE (default: standard input) to standard output, every
 * checksum checked, at most --max-bytes (default 1 TiB); errors name the byte offset; what was
 * written before an error stays written.
 *
 * Exit status: 0 done; 1 the input is bad or untrusted (does not verify, malformed, escapes its
 * root, refused by a policy, over a limit); 2 usage; 3 a runtime failure (a file missing or
 * unwritable, BUNDLE not empty, no trusted keys).
 */
#include "archive/inflate.h"
#include "archive/oci_unpack.h"
#include "archive/zstd_read.h"
#include "base/applet.h"
#include "base/args.h"
#include "base/buf.h"
#include "base/err.h"
#include "base/fs.h"
#include "base/log.h"
#include "base/sandbox.h"
#include "trust/sig.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/utsname.h>
#include <unistd.h>

static const char *const inflate_syscalls[] = {NULL};

static ssize_t fd_read(void *ctx, uint8_t *buf, size_t cap, struct kerr *e)
{
	for (;;) {
		ssize_t r = read(*(int *)ctx, buf, cap);
		if (r >= 0)
			return r;
		if (errno != EINTR)
			return kerr_set(e, -errno, "read: %s", kerr_strerror(errno));
	}
}

static int fd_sink(void *ctx, const uint8_t *p, size_t n, struct kerr *e)
{
	int ret = fs_write_all(*(int *)ctx, p, n);
	return ret ? kerr_set(e, ret < 0 ? ret : -EIO, "write: %s", kerr_strerror(ret < 0 ? ret : -EIO)) : 0;
}

static int oci_inflate(int argc, char **argv)
{
	int zlib = 0, raw = 0, zst = 0, ret, in = STDIN_FILENO, out = STDOUT_FILENO, rc;
	uint64_t max = 1ull << 40;
	const struct opt opts[] = {
		{"zlib", 0, OPT_FLAG, &zlib},
		{"raw", 0, OPT_FLAG, &raw},
		{"zstd", 0, OPT_FLAG, &zst},
		{"max-bytes", 0, OPT_U64, &max, 0, 0},
		{0},
	};
	struct kerr e = {0};
	char **ops;
	int n = args_parse(opts, argc, argv, &ops);
	if (n < 0)
		return args_exit(n);
	if (n > 1 || !!zlib + !!raw + !!zst > 1)
		return kfail(EXIT_USAGE, "inflate: needs [--zlib | --raw | --zstd] [--max-bytes N] [FILE] (see --help)");
	const char *name = n && strcmp(ops[0], "-") ? ops[0] : "-";
	if (strcmp(name, "-") && (in = open(name, O_RDONLY | O_CLOEXEC | O_NOCTTY)) < 0)
		return kfail(kerr_exit(-errno), "inflate: %s: %s", name, kerr_strerror(errno));
	if ((ret = sandbox_enter(inflate_syscalls, &e))) {
		rc = kfail(EXIT_FAIL, "%s", kerr_str(&e, ret));
		goto out;
	}
	struct inflate_io io = {fd_read, &in, fd_sink, &out, max};
	ret = zst ? zstd_read_stream(&io, ZSTD_READ_WINDOW_DEFAULT, NULL, &e)
		  : inflate_stream(zlib ? INFLATE_ZLIB : raw ? INFLATE_RAW : INFLATE_GZIP, &io, NULL, &e);
	rc = ret ? kfail(kerr_exit(ret), "inflate: %s: %s", name, kerr_str(&e, ret)) : EXIT_OK;
out:
	if (in != STDIN_FILENO)
		close(in);
	return rc;
}

static const char *const unpack_syscalls[] = {"openat", "openat2", "mkdirat", "fchown", "fchownat", "fchmod", "fchmodat",
	"fsetxattr", "utimensat", "symlinkat", "linkat", "mknodat", "unlinkat", "renameat", "renameat2", "getdents64", "fsync",
	"newfstatat", "getrandom", "syncfs", NULL};

static void progress(void *ctx, size_t i, size_t n, const struct oci_desc *d)
{
	(void)ctx;
	if (i < n)
		fprintf(stderr, "\rlayer %zu/%zu %.19s %llu bytes ", i + 1, n, d->digest_str, (unsigned long long)d->size);
	else
		fprintf(stderr, "\r%60s\r", "");
}

static int policy(const char *s, const char *const names[3], int *out)
{
	for (int i = 0; s && i < 3; i++)
		if (!strcmp(s, names[i]))
			return *out = i, 0;
	return !s ? 0 : -1;
}

/* This machine's platform as OCI names it (the Go names: GOOS/GOARCH[/variant]). */
static const char *host_platform(void) /* before the sandbox: uname is not in it */
{
	struct utsname u;
	static const char *const map[][2] = {{"x86_64", "linux/amd64"}, {"aarch64", "linux/arm64"}, {"i686", "linux/386"},
		{"armv7l", "linux/arm/v7"}, {"armv6l", "linux/arm/v6"}, {"riscv64", "linux/riscv64"}, {"ppc64le", "linux/ppc64le"},
		{"s390x", "linux/s390x"}};
	if (!uname(&u))
		for (size_t i = 0; i < sizeof(map) / sizeof(map[0]); i++)
			if (!strcmp(u.machine, map[i][0]))
				return map[i][1];
	return "linux/unknown";
}

/* "os/arch[/variant]", each part [a-z0-9._-]; a default variant (arm64/v8, amd64/v1) dropped. */
static const char *platform_norm(const char *p, char out[64])
{
	size_t slashes = 0, len = strlen(p);
	if (len < 3 || len > 63 || p[0] == '/' || p[len - 1] == '/' || strstr(p, "//"))
		return NULL;
	for (const char *c = p; *c; c++)
		if (*c == '/')
			slashes++;
		else if (!((*c >= 'a' && *c <= 'z') || (*c >= '0' && *c <= '9') || *c == '.' || *c == '_' || *c == '-'))
			return NULL;
	if (slashes < 1 || slashes > 2)
		return NULL;
	memcpy(out, p, len + 1);
	if (len > 9 && (!strcmp(out + len - 9, "/arm64/v8") || !strcmp(out + len - 9, "/amd64/v1")))
		out[len - 3] = 0;
	return out;
}

static int oci_unpack_main(int argc, char **argv)
{
	static const char *const devs[3] = {"refuse", "skip", "create"}, *const setids[3] = {"keep", "strip", "refuse"};
	const char *key = NULL, *dir = "/usr/lib/keel/keys", *dev = NULL, *setid = NULL;
	uint64_t max = 0;
	int replace = 0;
	const char *cgroup = NULL, *platform = NULL;
	const struct opt opts[] = {
		{"platform", 0, OPT_STR, &platform},
		{"key", 'k', OPT_STR, &key},
		{"replace", 0, OPT_FLAG, &replace},
		{"cgroup", 0, OPT_STR, &cgroup},
		{"keys", 0, OPT_STR, &dir},
		{"devices", 0, OPT_STR, &dev},
		{"setid", 0, OPT_STR, &setid},
		{"max-bytes", 0, OPT_U64, &max, 1, 0},
		{0},
	};
	struct oci_unpack_opts o = {0};
	struct oci_unpack_result r;
	struct sig_keyring kr = {.n = 0};
	struct sig_key *k;
	struct kerr e = {0};
	int ret, rc, lfd = -1, pfd = -1, d = 0, sid = 0;
	char **ops, layout[4096], parent[4096], pbuf[64];
	int n = args_parse(opts, argc, argv, &ops);
	if (n < 0)
		return args_exit(n);
	if (n != 2 || policy(dev, devs, &d) || policy(setid, setids, &sid))
		return kfail(EXIT_USAGE, "unpack: needs [--key PUBKEY | --keys DIR] [--devices refuse|skip|create] [--setid keep|strip|refuse] [--replace] [--cgroup PATH] [--platform OS/ARCH] LAYOUT[:REF] BUNDLE (see --help)");
	o.layer.devices = (enum layer_dev)d;
	o.layer.setid = (enum layer_setid)sid;
	o.max_bytes = max;
	o.replace = replace;
	o.cgroup = cgroup;
	if (!(o.platform = platform ? platform_norm(platform, pbuf) : host_platform()))
		return kfail(EXIT_USAGE, "unpack: --platform %.64s: OS/ARCH or OS/ARCH/VARIANT of letters, digits, '.', '_', '-'", platform);
	if (cgroup && (cgroup[0] != '/' || strstr(cgroup, "/..") || strlen(cgroup) > 255))
		return kfail(EXIT_USAGE, "unpack: --cgroup %.64s: an absolute cgroup path without .., at most 255 bytes", cgroup);
	/* LAYOUT:REF — the part after the last ':' is a tag when it has no '/' */
	const char *colon = strrchr(ops[0], ':');
	if (str_copy(layout, sizeof(layout), ops[0]) || str_copy(parent, sizeof(parent), ops[1]))
		return kfail(EXIT_USAGE, "unpack: path too long");
	if (colon && !strchr(colon, '/')) {
		layout[colon - ops[0]] = 0;
		o.ref = colon + 1;
	}
	char *slash = strrchr(parent, '/'), *bundle = parent;
	while (slash && slash > parent && !slash[1]) /* trailing slashes */
		*slash = 0, slash = strrchr(parent, '/');
	if (slash) {
		bundle = slash + 1;
		*slash = 0;
	}
	if (!*bundle || !strcmp(bundle, ".") || !strcmp(bundle, ".."))
		return kfail(EXIT_USAGE, "unpack: BUNDLE must name a directory to create");
	if ((ret = key ? sig_key_load(&k, AT_FDCWD, key, &e) : sig_keyring_load_dir(&kr, AT_FDCWD, dir, &e)) ||
		(key && (ret = sig_keyring_add(&kr, k, &e)))) {
		rc = kfail(EXIT_FAIL, "unpack: trusted keys: %s", kerr_str(&e, ret));
		goto out;
	}
	o.keys = &kr;
	if ((lfd = open(layout, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0) {
		rc = kfail(kerr_exit(-errno), "unpack: %s: %s", layout, kerr_strerror(errno));
		goto out;
	}
	if ((pfd = open(slash ? (*parent ? parent : "/") : ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0) {
		rc = kfail(kerr_exit(-errno), "unpack: %s: %s", ops[1], kerr_strerror(errno));
		goto out;
	}
	if (isatty(STDERR_FILENO))
		o.progress = progress;
	if ((ret = sandbox_enter(unpack_syscalls, &e))) {
		rc = kfail(EXIT_FAIL, "%s", kerr_str(&e, ret));
		goto out;
	}
	if ((ret = oci_unpack(lfd, pfd, bundle, &o, &r, &e))) {
		rc = kfail(ret == -EEXIST ? EXIT_FAIL : kerr_exit(ret), "unpack: %s: %s", ops[0], kerr_str(&e, ret));
		goto out;
	}
	if (r.index[0])
		printf("%s: %s of index %s\n", ops[1], r.platform, r.index);
	printf("%s: %s unpacked: %zu layers, %llu bytes; %llu files, %llu dirs, %llu links, %llu whiteouts; not applied: "
	       "%llu xattrs, %llu devices, %llu set-id bits\n", ops[1], r.digest, r.layers, (unsigned long long)r.uncompressed,
		(unsigned long long)r.st.files, (unsigned long long)r.st.dirs,
		(unsigned long long)(r.st.symlinks + r.st.hardlinks), (unsigned long long)(r.st.whiteouts + r.st.opaques),
		(unsigned long long)r.st.skipped_xattrs, (unsigned long long)r.st.skipped_devices,
		(unsigned long long)r.st.stripped_setid);
	rc = EXIT_OK;
out:
	if (lfd >= 0)
		close(lfd);
	if (pfd >= 0)
		close(pfd);
	sig_keyring_free(&kr);
	return rc;
}

int oci_main(int argc, char **argv)
{
	if (argc >= 2 && !strcmp(argv[1], "inflate"))
		return oci_inflate(argc - 2, argv + 2);
	if (argc >= 2 && !strcmp(argv[1], "unpack"))
		return oci_unpack_main(argc - 2, argv + 2);
	char **ops;
	int n = args_parse((const struct opt[]){{0}}, argc - 1, argv + 1, &ops);
	if (n < 0)
		return args_exit(n);
	return kfail(EXIT_USAGE, "unknown or missing subcommand (see --help)");
}
