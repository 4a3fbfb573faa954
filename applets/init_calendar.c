/* init_calendar.c — `keel init calendar [--iterations N] [--now EPOCH] SPEC…`: each spec's
 * normalized form and next elapses, in the format of `systemd-analyze calendar` (without its
 * "From now:" lines; "Original form:" only when it differs from the normalized one). --now is seconds since the epoch (optionally "@N" or "N.FRACTION"), as
 * systemd-analyze's --base-time=@N; the default is the real-time clock. Times are UTC (keel
 * hosts keep UTC), so the output is systemd-analyze's with TZ=UTC. */
#include "applets/init_calendar.h"
#include "base/args.h"
#include "base/applet.h"
#include "base/buf.h"
#include "base/err.h"
#include "base/log.h"
#include "init/calendar.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

static int one(const char *spec, uint64_t now, uint64_t iterations)
{
	struct cal_spec c;
	struct buf b = BUF_INIT(1u << 20);
	const char *why = "invalid";
	char ts[CAL_STAMP_MAX];
	int ret = cal_parse(spec, &c, &why);
	fflush(stdout); /* the specs before this one first */
	if (ret)
		return kfail(kerr_exit(ret), "calendar: '%s': %s", spec, why);
	if ((ret = cal_format(&c, &b))) {
		cal_free(&c);
		return kfail(EXIT_FAIL, "calendar: '%s': %s", spec, kerr_strerror(ret));
	}
	size_t len = strlen(spec);
	while (len && spec[len - 1] == ' ') /* as systemd-analyze shows it */
		len--;
	if (strlen((char *)b.p) != len || strncmp(spec, (char *)b.p, len))
		printf("  Original form: %.*s\n", (int)len, spec);
	printf("Normalized form: %s\n", (char *)b.p);
	buf_free(&b);
	for (uint64_t i = 0; i < iterations; i++) {
		uint64_t next;
		if ((ret = cal_next(&c, now, &next))) {
			if (!i)
				printf("    Next elapse: never\n");
			break;
		}
		if (cal_stamp(next, ts))
			break;
		if (!i)
			printf("    Next elapse: %s\n", ts);
		else
			printf("%*sIter. #%llu: %s\n", 7 - (i + 1 >= 10) - (i + 1 >= 100) - (i + 1 >= 1000), "",
				(unsigned long long)i + 1, ts);
		now = next;
	}
	cal_free(&c);
	return 0;
}

int init_calendar(int argc, char **argv)
{
	uint64_t iterations = 1, now;
	const char *nowarg = NULL;
	char **ops;
	const struct opt opts[] = {
		{"iterations", 0, OPT_U64, &iterations, 1, 10000},
		{"now", 0, OPT_STR, &nowarg},
		{0},
	};
	int n = args_parse(opts, argc - 1, argv + 1, &ops), rc = 0;
	if (n < 0)
		return args_exit(n);
	if (n == 0)
		return kfail(EXIT_USAGE, "calendar: a calendar spec is required");
	if (nowarg) {
		char sec[32];
		const char *dot = strchr(nowarg += *nowarg == '@', '.');
		uint64_t s, us = 0;
		size_t sl = dot ? (size_t)(dot - nowarg) : strlen(nowarg);
		if (sl >= sizeof(sec) || (memcpy(sec, nowarg, sl), sec[sl] = 0, parse_u64(sec, 0, 7258118399ULL, &s)) ||
		    (dot && (strlen(dot + 1) != 6 || parse_u64(dot + 1, 0, 999999, &us))))
			return kfail(EXIT_USAGE, "calendar: --now: seconds since the epoch expected (N or N.UUUUUU)");
		now = s * 1000000 + us;
	} else {
		struct timespec ts;
		clock_gettime(CLOCK_REALTIME, &ts);
		now = (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000;
	}
	for (int i = 0; i < n; i++) {
		if (i)
			putchar('\n');
		int r = one(ops[i], now, iterations);
		if (r && !rc)
			rc = r;
	}
	return rc;
}
