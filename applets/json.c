/* keel json - check JSON strictly; print it canonical (as TUF signs it)
 *
 * usage: keel json [--canonical] [--max-bytes N] [--max-depth N] FILE
 *
 * Parse FILE ("-" is standard input) with keel's strict parser: RFC 8259 only, duplicate keys,
 * invalid UTF-8, lone surrogates and U+0000 refused, bounded size, depth and value count.
 * Errors name the byte offset and the JSON pointer of the place. Prints nothing when the
 * input is good, unless --canonical asks for its canonical form (OLPC canonical JSON, as
 * securesystemslib and tuf-js sign it: sorted keys, no white space, integers only).
 *
 * Options:
 *   --canonical       print the canonical JSON of the document (a non-integer number fails)
 *   --max-bytes N     input size limit (default 16777216)
 *   --max-depth N     nesting limit (default 64)
 *
 * Exit status: 0 valid, 1 not valid JSON, over a limit, or not canonicalizable, 2 usage,
 * 3 unreadable (missing, a directory, a read error) or out of memory.
 */
#include "base/applet.h"
#include "base/args.h"
#include "base/buf.h"
#include "base/err.h"
#include "base/fs.h"
#include "base/json.h"
#include "base/log.h"
#include "base/sandbox.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static const char *const json_syscalls[] = {NULL};

int json_main(int argc, char **argv)
{
	int canonical = 0, ret, rc = EXIT_FAIL;
	uint64_t max_bytes = json_default_limits.max_bytes, max_depth = json_default_limits.max_depth;
	const struct opt opts[] = {
		{"canonical", 0, OPT_FLAG, &canonical},
		{"max-bytes", 0, OPT_U64, &max_bytes, 1, 1u << 30},
		{"max-depth", 0, OPT_U64, &max_depth, 0, 4096},
		{0},
	};
	char **ops;
	int n = args_parse(opts, argc - 1, argv + 1, &ops);
	if (n < 0)
		return args_exit(n);
	if (n != 1)
		return kfail(EXIT_USAGE, "one FILE expected (see --help)");

	struct buf in = BUF_INIT(max_bytes), out = BUF_INIT(max_bytes * 2 + 64);
	struct json_doc doc = {0};
	struct kerr e = {0};
	const char *name = ops[0];
	int fd = strcmp(name, "-") ? open(name, O_RDONLY | O_CLOEXEC | O_NOCTTY) : STDIN_FILENO;
	if (fd < 0)
		return kfail(kerr_exit(-errno), "%s: %s", name, kerr_strerror(errno));
	if ((ret = sandbox_enter(json_syscalls, &e))) {
		rc = kfail(EXIT_FAIL, "%s", kerr_str(&e, ret));
		goto out;
	}
	struct stat st;
	if (!fstat(fd, &st) && S_ISREG(st.st_mode) && (uint64_t)st.st_size > max_bytes) {
		rc = kfail(EXIT_NO, "%s: offset %llu: input is %lld bytes, more than the limit of %llu", name,
			(unsigned long long)max_bytes, (long long)st.st_size, (unsigned long long)max_bytes);
		goto out;
	}
	if ((ret = fs_read_fd(fd, max_bytes, &in))) {
		if (ret == -EFBIG)
			rc = kfail(kerr_exit(ret), "%s: offset %llu: input is more than the limit of %llu bytes", name,
				(unsigned long long)max_bytes, (unsigned long long)max_bytes);
		else
			rc = kfail(kerr_exit(ret), "%s: read: %s", name, kerr_strerror(ret));
		goto out;
	}
	struct json_limits lim = json_default_limits;
	lim.max_bytes = max_bytes;
	lim.max_depth = (unsigned)max_depth;
	if ((ret = json_parse(&doc, in.p, in.len, &lim, &e))) {
		rc = kfail(kerr_exit(ret), "%s: %s", name, kerr_str(&e, ret));
		goto out;
	}
	if (canonical) {
		if ((ret = json_canonical(doc.root, &out, &e))) {
			rc = kfail(kerr_exit(ret), "%s: not canonicalizable: %s", name, kerr_str(&e, ret));
			goto out;
		}
		if (fs_write_all(STDOUT_FILENO, out.p, out.len)) {
			rc = kfail(EXIT_FAIL, "writing output failed");
			goto out;
		}
	}
	rc = EXIT_OK;
out:
	json_free(&doc);
	buf_free(&in);
	buf_free(&out);
	if (fd != STDIN_FILENO)
		close(fd);
	return rc;
}
