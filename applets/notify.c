/* keel notify - tell the service supervisor about this service (sd_notify), like systemd-notify
 *
 * usage: keel notify [--ready] [--status TEXT] [--no-block] [NAME=VALUE...]
 *
 * Sends one message to the socket named by $NOTIFY_SOCKET (set by keel init for Type=notify
 * units): every NAME=VALUE given (READY=1, STATUS=…, STOPPING=1, …), one per line. Then it waits
 * up to 5 s until PID 1 has processed the message, so that the sender is still alive to be
 * recognised as part of its unit (systemd-notify's barrier); --no-block skips the wait.
 *
 * Options:
 *   --ready         same as READY=1
 *   --status TEXT   same as STATUS=TEXT
 *   --no-block      do not wait for PID 1
 *
 * Exit status: 0 sent; 1 NOTIFY_SOCKET is not set; 2 usage; 3 the message could not be sent
 * or was not acknowledged.
 */
#include "base/applet.h"
#include "base/args.h"
#include "base/buf.h"
#include "base/err.h"
#include "base/log.h"
#include "init/notify.h"
#include "base/sandbox.h"

#include <stdlib.h>
#include <string.h>

#define WAIT_MS 5000

static const char *const notify_syscalls[] = {"socket", "sendmsg", "pipe2", "poll", "ppoll", NULL};

int notify_main(int argc, char **argv)
{
	int ready = 0, no_block = 0;
	const char *status = NULL;
	char **ops;
	const struct opt opts[] = {
		{"ready", 0, OPT_FLAG, &ready},
		{"status", 0, OPT_STR, &status},
		{"no-block", 0, OPT_FLAG, &no_block},
		{0},
	};
	int n = args_parse(opts, argc - 1, argv + 1, &ops);
	if (n < 0)
		return args_exit(n);
	struct buf msg = BUF_INIT(NOTIFY_MSG_MAX);
	int ret = 0;
	if (ready)
		ret = buf_puts(&msg, "READY=1\n");
	if (!ret && status)
		ret = buf_printf(&msg, "STATUS=%s\n", status);
	for (int i = 0; i < n && !ret; i++) {
		const char *eq = strchr(ops[i], '=');
		if (!eq || eq == ops[i] || strchr(ops[i], '\n')) {
			buf_free(&msg);
			return kfail(EXIT_USAGE, "'%s' is not NAME=VALUE on one line", ops[i]);
		}
		ret = buf_printf(&msg, "%s\n", ops[i]);
	}
	if (ret) {
		buf_free(&msg);
		return kfail(EXIT_USAGE, "message longer than %d bytes", NOTIFY_MSG_MAX);
	}
	if (!msg.len) {
		buf_free(&msg);
		return kfail(EXIT_USAGE, "nothing to send (see --help)");
	}
	struct notify_msg check;
	if (notify_parse((const char *)msg.p, msg.len - 1, &check)) {
		buf_free(&msg);
		return kfail(EXIT_USAGE, "names are upper-case letters, digits and '_'");
	}
	const char *sock = getenv("NOTIFY_SOCKET");
	if (!sock || !*sock) {
		buf_free(&msg);
		return kfail(EXIT_NO, "NOTIFY_SOCKET is not set (not started by a supervisor as Type=notify)");
	}
	struct kerr e = {0};
	if ((ret = sandbox_enter(notify_syscalls, &e)) ||
		(ret = notify_send(sock, (const char *)msg.p, msg.len - 1, no_block ? 0 : WAIT_MS, &e))) {
		buf_free(&msg);
		return kfail(EXIT_FAIL, "%s", kerr_str(&e, ret));
	}
	buf_free(&msg);
	return EXIT_OK;
}
