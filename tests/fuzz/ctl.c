/* ctl.c — libFuzzer harness for the control protocol parsers (core/init/ctl.c) and the sd_notify
 * message parser (core/init/notify.c), the bytes PID 1 and its clients read from each other.
 *
 * A request that parses formats back to exactly the same line. A status line that parses
 * formats back to a line that parses to the same record. A notify message that parses leaves
 * no control character in its STATUS text.
 */
#include "base/buf.h"
#include "init/ctl.h"
#include "init/notify.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void check(int cond, const char *what)
{
	if (!cond) {
		fprintf(stderr, "ctl fuzz: %s\n", what);
		abort();
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *p = (const char *)data;
	struct ctl_req r;
	const char *why = NULL;
	if (!ctl_parse_request(p, size, &r, &why)) {
		char line[CTL_REQ_MAX + 1];
		check(!ctl_format_request(&r, line, sizeof(line)), "a parsed request does not format");
		check(strlen(line) == size && !memcmp(line, p, size), "request does not round-trip");
	} else {
		check(why != NULL, "request refused without a reason");
	}

	struct ctl_status s, s2;
	if (!ctl_parse_status(p, size, &s, &why)) {
		struct buf b = BUF_INIT(1 << 16);
		check(!ctl_format_status(&b, &s), "status does not format");
		check(b.len && b.p[b.len - 1] == '\n', "status line without newline");
		check(!ctl_parse_status((const char *)b.p, b.len - 1, &s2, &why), "formatted status does not parse");
		check(!memcmp(&s, &s2, sizeof(s)), "status does not round-trip");
		buf_free(&b);
	}

	struct notify_msg m;
	if (!notify_parse(p, size, &m)) {
		for (const char *c = m.status; *c; c++)
			check((unsigned char)*c >= 0x20 && *c != 0x7f, "control character in STATUS");
		check(strlen(m.status) <= NOTIFY_STATUS_MAX, "STATUS too long");
	}
	return 0;
}
