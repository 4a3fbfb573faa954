/* keel journalctl - a unit's output as journalctl shows it, for systemd habits
 *
 * usage: keel journalctl [--root DIR] -u UNIT [-n N] [-b] [--no-pager] [-o short|cat]
 *
 * A link named journalctl runs this: the unit's log ring (stdout and stderr, the newest 64 KiB
 * of this boot), its last N lines with -n. Control characters are '?' on a terminal.
 *
 * Exit status: 0 printed; 1 no such unit; 2 usage; 3 PID 1 unreachable.
 */
#include "base/applet.h"
#include "base/args.h"
#include "base/buf.h"
#include "base/err.h"
#include "base/log.h"
#include "base/sandbox.h"
#include "init/ctl.h"
#include "init/unit_value.h"

#include <stdio.h>
#include <string.h>
#include <unistd.h>

int journalctl_main(int argc, char **argv)
{
	const char *root = "", *unit = NULL, *out = NULL;
	uint64_t lines = UINT64_MAX;
	int boot = 0, nopager = 0;
	char **ops, path[256], line[CTL_REQ_MAX + 1];
	const struct opt opts[] = {
		{"root", 0, OPT_STR, &root},
		{"unit", 'u', OPT_STR, &unit},
		{"lines", 'n', OPT_U64, &lines, 0, 1 << 20},
		{"boot", 'b', OPT_FLAG, &boot},
		{"no-pager", 0, OPT_FLAG, &nopager},
		{"output", 'o', OPT_STR, &out},
		{0},
	};
	int n = args_parse(opts, argc - 1, argv + 1, &ops);
	if (n < 0)
		return args_exit(n);
	if (n || !unit)
		return kfail(EXIT_USAGE, "needs -u UNIT (keel keeps output per unit; see --help)");
	if (out && strcmp(out, "short") && strcmp(out, "cat"))
		return kfail(EXIT_USAGE, "-o %s: only short and cat (see --help)", out);
	struct ctl_req r = {.verb = CTL_LOG};
	if (unit_name_mangle(unit, r.unit, sizeof(r.unit)) || ctl_format_request(&r, line, sizeof(line)))
		return kfail(EXIT_USAGE, "-u %s: not a unit name", unit);
	if (str_fmt(path, sizeof(path), "%s/run/keel/init.sock", root))
		return kfail(EXIT_USAGE, "--root: path too long");
	static const char *const calls[] = {"socket", "connect", "sendto", "shutdown", "setsockopt", NULL};
	struct kerr e = {0};
	int ret = sandbox_enter(calls, &e);
	struct buf reply = BUF_INIT(CTL_REPLY_MAX);
	if (ret || (ret = ctl_call(path, line, &reply, 10000, &e))) {
		buf_free(&reply);
		return kfail(EXIT_FAIL, "%s", kerr_str(&e, ret));
	}
	char *body = (char *)reply.p;
	if (!body || strncmp(body, "OK\n", 3)) {
		if (body && !strncmp(body, "ERR ", 4))
			body[strcspn(body, "\n")] = 0;
		ret = kfail(EXIT_NO, "%s", body && !strncmp(body, "ERR ", 4) ? body + 4 : "no valid answer from keel init");
		buf_free(&reply);
		return ret;
	}
	size_t start = 3, len = reply.len;
	if (lines != UINT64_MAX) { /* the last N lines */
		size_t i = len;
		uint64_t seen = 0;
		if (i > start && body[i - 1] == '\n')
			i--; /* the last line's own newline */
		while (i > start && !(body[i - 1] == '\n' && ++seen == lines))
			i--;
		start = lines ? i : len;
	}
	if (isatty(STDOUT_FILENO))
		for (size_t i = start; i < len; i++)
			if ((body[i] < 0x20 && body[i] != '\n' && body[i] != '\t') || body[i] == 0x7f)
				body[i] = '?';
	fwrite(body + start, 1, len - start, stdout);
	buf_free(&reply);
	return EXIT_OK;
}
