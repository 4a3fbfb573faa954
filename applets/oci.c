/* keel oci - decompress gzip/zlib streams (as gzip -dc does, bounded and strict)
 *
 * usage: keel oci inflate [--zlib | --raw] [--max-bytes N] [FILE]
 *
 * inflate: decompress FILE (default or "-": standard input) to standard output: gzip (one or
 * more members, as `gzip -dc` reads concatenated files), or with --zlib a zlib stream (RFC
 * 1950), with --raw a bare DEFLATE stream (RFC 1951). Every member's CRC-32 and length are
 * checked; trailing bytes after the last member, a truncated stream, an invalid code or a
 * distance before the start of the data are errors naming the byte offset in the input. Output
 * stops before it would pass --max-bytes (default 1 TiB): a decompression bomb fails with
 * "larger than the limit". Output already written when an error is found stays written (use a
 * temporary file when that matters).
 *
 * Options:
 *   --zlib            the input is a zlib stream
 *   --raw             the input is a raw DEFLATE stream
 *   --max-bytes N     output limit in bytes
 *
 * Exit status: 0 decompressed; 1 the input is malformed, truncated, fails its checksum or
 * passes --max-bytes; 2 usage; 3 a file could not be read or written.
 */
#include "archive/inflate.h"
#include "base/applet.h"
#include "base/args.h"
#include "base/err.h"
#include "base/fs.h"
#include "base/log.h"
#include "base/sandbox.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
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
	int zlib = 0, raw = 0, ret, in = STDIN_FILENO, out = STDOUT_FILENO, rc;
	uint64_t max = 1ull << 40;
	const struct opt opts[] = {
		{"zlib", 0, OPT_FLAG, &zlib},
		{"raw", 0, OPT_FLAG, &raw},
		{"max-bytes", 0, OPT_U64, &max, 0, 0},
		{0},
	};
	struct kerr e = {0};
	char **ops;
	int n = args_parse(opts, argc, argv, &ops);
	if (n < 0)
		return args_exit(n);
	if (n > 1 || (zlib && raw))
		return kfail(EXIT_USAGE, "inflate: needs [--zlib | --raw] [--max-bytes N] [FILE] (see --help)");
	const char *name = n && strcmp(ops[0], "-") ? ops[0] : "-";
	if (strcmp(name, "-") && (in = open(name, O_RDONLY | O_CLOEXEC | O_NOCTTY)) < 0)
		return kfail(kerr_exit(-errno), "inflate: %s: %s", name, kerr_strerror(errno));
	if ((ret = sandbox_enter(inflate_syscalls, &e))) {
		rc = kfail(EXIT_FAIL, "%s", kerr_str(&e, ret));
		goto out;
	}
	struct inflate_io io = {fd_read, &in, fd_sink, &out, max};
	ret = inflate_stream(zlib ? INFLATE_ZLIB : raw ? INFLATE_RAW : INFLATE_GZIP, &io, NULL, &e);
	rc = ret ? kfail(kerr_exit(ret), "inflate: %s: %s", name, kerr_str(&e, ret)) : EXIT_OK;
out:
	if (in != STDIN_FILENO)
		close(in);
	return rc;
}

int oci_main(int argc, char **argv)
{
	if (argc >= 2 && !strcmp(argv[1], "inflate"))
		return oci_inflate(argc - 2, argv + 2);
	char **ops;
	int n = args_parse((const struct opt[]){{0}}, argc - 1, argv + 1, &ops);
	if (n < 0)
		return args_exit(n);
	return kfail(EXIT_USAGE, "unknown or missing subcommand (see --help)");
}
