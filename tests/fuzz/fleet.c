/* fleet.c — libFuzzer harness for the update strategy config (core/update/reboot.c) and the
 * FleetLock error answers (core/update/fleetlock.c).
 *
 * The first byte picks: even, the rest is /etc/keel/update.json; odd, the body of a non-2xx
 * FleetLock answer. A config that parses names a known strategy, carries a URL and a valid group
 * only for fleetlock and 1..16 windows (days set, start < 24 h, 1..1440 minutes) only for window,
 * and every time is at most a week from an open window (0 inside one). An answer that parses has
 * NUL-terminated kind and value that fit; a refused one leaves them empty.
 */
#include "base/err.h"
#include "update/fleetlock.h"
#include "update/reboot.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void check(int cond, const char *what)
{
	if (!cond) {
		fprintf(stderr, "fleet fuzz: %s\n", what);
		abort();
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (!size)
		return 0;
	const char *in = (const char *)data + 1;
	size_t n = size - 1;
	if (data[0] & 1) {
		struct fleetlock_answer a = {0};
		if (fleetlock_parse_error(in, n, &a))
			check(!a.kind[0] && !a.value[0], "refused answer filled");
		else
			check(strlen(a.kind) < sizeof(a.kind) && strlen(a.value) < sizeof(a.value), "answer fields");
		return 0;
	}
	struct update_strategy s;
	struct kerr e = {0};
	memset(&s, 0, sizeof(s));
	if (update_strategy_parse(in, n, &s, &e)) {
		check(e.msg[0] != 0, "refused without a reason");
		return 0;
	}
	check(s.kind <= STRATEGY_OFF, "strategy");
	check((s.kind == STRATEGY_FLEETLOCK) == (s.url[0] != 0), "url only for fleetlock");
	check(fleetlock_group_ok(s.group), "group");
	check((s.kind == STRATEGY_WINDOW) == (s.nwin > 0) && s.nwin <= UPDATE_WINDOWS_MAX, "windows only for window");
	for (size_t i = 0; i < s.nwin; i++)
		check(s.win[i].days && !(s.win[i].days & 0x80) && s.win[i].start < 1440 && s.win[i].length >= 1 &&
			s.win[i].length <= 1440, "window fields");
	for (uint64_t t = 1796508000; s.nwin && t < 1796508000 + 8 * 86400; t += 3547) {
		uint64_t w = update_window_wait(&s, t);
		check(w <= 7 * 86400, "wait longer than a week");
		check(!w || update_window_wait(&s, t + w) == 0, "not open after the wait");
	}
	return 0;
}
