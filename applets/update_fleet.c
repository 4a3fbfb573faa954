/* update_fleet.c — `keel update reboot` and `keel update steady-state`: the update strategy of
 * /etc/keel/update.json applied now (core/update/reboot.h).
 *
 *   keel update reboot [--wait] [--json] [--root DIR] [--now EPOCH]
 *     creates /run/reboot-required, then asks what the strategy asks (window, FleetLock
 *     pre-reboot) and, if allowed, has PID 1 reboot cleanly. --wait retries a deferral: at the
 *     next window, or after 1, 2, 4 … 300 s while the lock is held (423).
 *     Exit: 0 reboot requested; 1 strategy off (nothing rebooted); 3 error (config, FleetLock
 *     answer other than 2xx/423 with its kind and value, PID 1 unreachable); 5 deferred.
 *   keel update steady-state [--wait] [--json] [--root DIR]
 *     FleetLock steady-state: release this node's reboot slot (after mark-good; at the start of
 *     a boot that is no trial). --wait retries every failure with the same backoff until a 2xx.
 *     Exit: 0 released (or not a fleetlock strategy: nothing to release); 1 refused; 3 error.
 * --root DIR: the config, /etc/machine-id, /run/reboot-required and PID 1's socket beneath DIR
 * (tests). --now: the time the windows are judged at (seconds since the epoch). */
#include "applets/update_fleet.h"
#include "base/applet.h"
#include "base/args.h"
#include "base/buf.h"
#include "base/err.h"
#include "base/json.h"
#include "base/log.h"
#include "base/sandbox.h"
#include "update/reboot.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#define EXIT_DEFERRED 5 /* as the release verbs: 4 is "nothing to do" */
#define BACKOFF_MAX 300

static const char *const fleet_syscalls[] = {"open", "openat", "socket", "connect", "poll", "ppoll", "sendto",
	"recvfrom", "sendmsg", "recvmsg", "getsockopt", "setsockopt", "getsockname", "getpeername", "bind",
	"nanosleep", "clock_nanosleep", "shutdown", "uname", "getrandom", NULL};

static void report(int json, const char *verb, const char *result, const struct update_strategy *s, const char *why)
{
	if (!json) {
		printf("%s: %s (strategy %s)%s%s\n", verb, result, update_strategy_name(s->kind), why[0] ? ": " : "", why);
		return;
	}
	struct buf b = BUF_INIT(4096);
	struct jw w;
	jw_init(&w, &b);
	jw_obj(&w);
	jw_key(&w, "result"); jw_str(&w, result);
	jw_key(&w, "strategy"); jw_str(&w, update_strategy_name(s->kind));
	jw_key(&w, "reason"); jw_str(&w, why);
	jw_obj_end(&w);
	if (!jw_finish(&w))
		printf("%s\n", (char *)b.p);
	buf_free(&b);
}

static void pause_s(uint64_t s)
{
	struct timespec ts = {(time_t)s, 0};
	while (nanosleep(&ts, &ts))
		;
}

int update_fleet(int argc, char **argv)
{
	const char *root = "";
	int json = 0, wait = 0, ret;
	uint64_t now = 0, backoff = 1;
	char **ops;
	const struct opt opts[] = {
		{"wait", 0, OPT_FLAG, &wait},
		{"json", 'j', OPT_FLAG, &json},
		{"root", 0, OPT_STR, &root},
		{"now", 0, OPT_U64, &now, 1, (uint64_t)1 << 40},
		{0},
	};
	int n = args_parse(opts, argc - 1, argv + 1, &ops);
	if (n < 0)
		return args_exit(n);
	bool rb = !strcmp(argv[0], "reboot");
	if (n || (now && (!rb || wait)))
		return kfail(EXIT_USAGE, "%s: no operands; --now is for reboot without --wait (see --help)", argv[0]);
	struct update_strategy s;
	struct kerr e = {0};
	if ((ret = update_strategy_load(root, &s, &e)))
		return kfail(EXIT_FAIL, "%s: %s", argv[0], kerr_str(&e, ret));
	s.now = now;
	if ((ret = sandbox_enter(fleet_syscalls, &e)))
		return kfail(EXIT_FAIL, "%s", kerr_str(&e, ret));
	for (;;) {
		e = (struct kerr){0};
		ret = rb ? reboot_request(&s, &e) : update_steady_state(&s, &e);
		if (rb && ret == REBOOT_DEFERRED && wait) {
			uint64_t t = s.kind == STRATEGY_WINDOW ? update_window_wait(&s, now ? now : (uint64_t)time(NULL)) : backoff;
			log_notice("reboot: deferred: %s; again in %llu s", e.msg, (unsigned long long)(t > 3600 ? 3600 : t));
			pause_s(t > 3600 ? 3600 : t ? t : 1);
		} else if (!rb && wait && ret != 0 && ret != 2) {
			log_notice("steady-state: %s; again in %llu s", kerr_str(&e, ret), (unsigned long long)backoff);
			pause_s(backoff);
		} else {
			break;
		}
		backoff = backoff * 2 > BACKOFF_MAX ? BACKOFF_MAX : backoff * 2;
	}
	if (rb) {
		static const char *const res[] = {"rebooting", "deferred", "off"};
		if (ret < 0)
			return json ? (report(json, "reboot", "error", &s, kerr_str(&e, ret)), EXIT_FAIL) :
				kfail(EXIT_FAIL, "reboot: %s", kerr_str(&e, ret));
		report(json, "reboot", res[ret], &s, e.msg);
		return ret == REBOOT_REQUESTED ? EXIT_OK : ret == REBOOT_OFF ? EXIT_NO : EXIT_DEFERRED;
	}
	if (ret < 0 || ret == 1)
		return json ? (report(json, "steady-state", ret < 0 ? "error" : "refused", &s, kerr_str(&e, ret)),
			ret < 0 ? EXIT_FAIL : EXIT_NO) : kfail(ret < 0 ? EXIT_FAIL : EXIT_NO, "steady-state: %s", kerr_str(&e, ret));
	report(json, "steady-state", ret == 2 ? "nothing to release" : "released", &s, "");
	return EXIT_OK;
}
