/* timer_test.c — [Timer] settings (core/init/timer_parse.c) and when a timer next elapses, with
 * systemd.timer(5)'s rules: each refused value next to an accepted one; the elapse of each
 * trigger kind from fixed times. */
#include "t.h"
#include "base/err.h"
#include "init/timer_parse.h"
#include "init/timer_stamp.h"
#include "init/svc_timer.h"
#include "init/unit_parse.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define S 1000000ULL
#define MIN (60 * S)

T_TEST(timer_settings)
{
	static const struct { const char *key, *value; int code; } cases[] = {
		{"OnCalendar", "Mon..Fri *-*-* 10:00", 0},
		{"OnCalendar", "Mon..Fri *-*-* 25:00", -EINVAL},
		{"OnCalendar", "daily", 0},
		{"OnCalendar", "daily Europe/Berlin", -ENOTSUP},
		{"OnBootSec", "15min", 0},
		{"OnBootSec", "15 fortnights", -EINVAL},
		{"OnStartupSec", "1h 30s", 0},
		{"OnStartupSec", "-1s", -EINVAL},
		{"OnActiveSec", "0", 0},
		{"OnUnitActiveSec", "1d", 0},
		{"OnUnitInactiveSec", "2w", 0},
		{"OnUnitInactiveSec", "", 0},
		{"AccuracySec", "1us", 0},
		{"AccuracySec", "1 parsec", -EINVAL},
		{"RandomizedDelaySec", "30min", 0},
		{"RandomizedDelaySec", "30 mins", -EINVAL},
		{"Persistent", "yes", 0},
		{"Persistent", "perhaps", -EINVAL},
		{"RemainAfterElapse", "no", 0},
		{"FixedRandomDelay", "true", 0},
		{"Unit", "backup.service", 0},
		{"Unit", "backup.timer", -EINVAL},
		{"Unit", "backup@.service", -EINVAL},
		{"Unit", "backup@daily.service", 0},
		{"WakeSystem", "no", 0},
		{"WakeSystem", "yes", -ENOTSUP},
		{"OnClockChange", "false", 0},
		{"OnClockChange", "true", -ENOTSUP},
		{"OnTimezoneChange", "no", 0},
		{"OnTimezoneChange", "yes", -ENOTSUP},
		{"OnCalender", "daily", -ENOENT},
		{"ExecStart", "/bin/true", -ENOENT},
	};
	for (size_t i = 0; i < T_LEN(cases); i++) {
		struct unit_timer t;
		const char *why = NULL;
		timer_init(&t);
		int ret = timer_set(&t, cases[i].key, cases[i].value, &why);
		t_check(ret == cases[i].code && (!ret || why), "case %zu: %s=%s: %d, want %d", i, cases[i].key,
			cases[i].value, ret, cases[i].code);
		timer_free(&t);
	}
}

T_TEST(timer_values)
{
	struct unit_timer t;
	const char *why;
	timer_init(&t);
	t_check(t.accuracy_usec == MIN && t.remain_after_elapse && !t.persistent && !t.n, "defaults");
	t_check(!timer_set(&t, "OnBootSec", "1min 30s", &why) && !timer_set(&t, "OnCalendar", "hourly", &why) &&
			t.n == 2 && t.v[0].base == TIMER_BOOT && t.v[0].usec == 90 * S && t.v[1].base == TIMER_CALENDAR,
		"two triggers in order");
	t_check(!timer_set(&t, "OnCalendar", "", &why) && t.n == 0, "an empty OnCalendar= resets both kinds");
	t_check(!timer_set(&t, "OnUnitActiveSec", "1h", &why) && !timer_set(&t, "OnBootSec", "", &why) && t.n == 0,
		"an empty OnBootSec= resets an OnUnitActiveSec=");
	t_check(!timer_set(&t, "AccuracySec", "0", &why) && t.accuracy_usec == 1, "AccuracySec=0 becomes 1 µs");
	t_check(!timer_set(&t, "AccuracySec", "", &why) && t.accuracy_usec == MIN, "AccuracySec= empty: 1 min again");
	t_check(!timer_set(&t, "Persistent", "yes", &why) && t.persistent && !timer_set(&t, "Persistent", "", &why) &&
			!t.persistent, "Persistent= empty: the default");
	t_check(!timer_set(&t, "RemainAfterElapse", "no", &why) && !t.remain_after_elapse &&
			!timer_set(&t, "RemainAfterElapse", "", &why) && t.remain_after_elapse, "RemainAfterElapse= empty: yes");
	for (int i = 0; i < TIMER_TRIGGERS_MAX; i++)
		timer_set(&t, "OnActiveSec", "1s", &why);
	t_check(t.n == TIMER_TRIGGERS_MAX && timer_set(&t, "OnActiveSec", "1s", &why) == -E2BIG,
		"at most 64 triggers");
	timer_free(&t);
}

T_TEST(timer_check_unit)
{
	static const struct { const char *name, *unit, *want; int code; } cases[] = {
		{"backup.timer", NULL, "backup.service", 0},
		{"backup.timer", "db-dump.service", "db-dump.service", 0},
		{"fstrim@x.timer", NULL, "fstrim@x.service", 0},
		{"fstrim@.timer", NULL, NULL, -EINVAL},
		{"fstrim@.timer", "fstrim@all.service", "fstrim@all.service", 0},
		{"backup.service", NULL, NULL, -EINVAL},
		{".timer", NULL, NULL, -EINVAL},
	};
	for (size_t i = 0; i < T_LEN(cases); i++) {
		struct unit_timer t;
		const char *why;
		timer_init(&t);
		timer_set(&t, "OnCalendar", "daily", &why);
		if (cases[i].unit)
			timer_set(&t, "Unit", cases[i].unit, &why);
		int ret = timer_check(&t, cases[i].name, &why);
		t_check(ret == cases[i].code && (ret || !strcmp(t.unit, cases[i].want)), "case %zu: %s: %d '%s'", i,
			cases[i].name, ret, t.unit);
		timer_free(&t);
	}
	struct unit_timer t;
	const char *why;
	timer_init(&t);
	t_check(timer_check(&t, "idle.timer", &why) == -EINVAL, "a timer without a trigger is refused");
	timer_free(&t);
}

/* 2024-03-01 00:00:00 UTC */
#define REAL0 (1709251200ULL * S)

static int next(const char *key, const char *value, const struct timer_times *s, uint64_t *m, uint64_t *r)
{
	struct unit_timer t;
	const char *why;
	timer_init(&t);
	int ret = timer_set(&t, key, value, &why);
	if (!ret)
		ret = timer_next(&t, s, m, r);
	timer_free(&t);
	return ret;
}

T_TEST(timer_elapse)
{
	uint64_t m = 0, r = 0;
	/* booted 10 min ago; keel init started 2 s after boot; the timer was started at 5 s */
	struct timer_times s = {.now_mono = 10 * MIN, .now_real = REAL0, .startup_mono = 2 * S,
		.active_mono = 5 * S, .active_real = REAL0 - 10 * MIN + 5 * S};
	t_check(!next("OnBootSec", "15min", &s, &m, &r) && m == 15 * MIN && r == TIMER_NEVER, "OnBootSec=15min: at 15 min");
	t_check(!next("OnBootSec", "5min", &s, &m, &r) && m == 5 * MIN, "OnBootSec=5min, timer started later: due (at once)");
	s.container = true;
	t_check(!next("OnBootSec", "15min", &s, &m, &r) && m == 15 * MIN + 2 * S, "in a container from keel's start");
	s.container = false;
	t_check(!next("OnStartupSec", "1min", &s, &m, &r) && m == MIN + 2 * S, "OnStartupSec=: from keel's start");
	t_check(!next("OnActiveSec", "1h", &s, &m, &r) && m == 60 * MIN + 5 * S, "OnActiveSec=: from the timer's start");
	t_check(next("OnUnitActiveSec", "1h", &s, &m, &r) == -ENOENT, "OnUnitActiveSec=: the unit never ran: not armed");
	s.unit_active_mono = 7 * MIN;
	t_check(!next("OnUnitActiveSec", "1h", &s, &m, &r) && m == 67 * MIN, "OnUnitActiveSec=1h: an hour after it started");
	s.unit_inactive_mono = 8 * MIN;
	t_check(!next("OnUnitInactiveSec", "30s", &s, &m, &r) && m == 8 * MIN + 30 * S, "OnUnitInactiveSec=: after it stopped");
	/* it fired at 9 min: the one-time triggers are done, the unit ones count from the elapse */
	s.last_mono = 9 * MIN;
	s.last_real = REAL0 - MIN;
	t_check(next("OnBootSec", "5min", &s, &m, &r) == -ENOENT, "OnBootSec= fires once");
	t_check(!next("OnBootSec", "15min", &s, &m, &r) && m == 15 * MIN, "OnBootSec= not yet due stays armed");
	t_check(!next("OnUnitActiveSec", "1h", &s, &m, &r) && m == 69 * MIN, "OnUnitActiveSec=: from the last elapse");
	t_check(!next("OnCalendar", "hourly", &s, &m, &r) && r == REAL0 && m == TIMER_NEVER,
		"OnCalendar=hourly: the next full hour after the last elapse");
	/* after a reboot: Persistent= stamp of yesterday 23:00; booted 1 min ago */
	struct timer_times p = {.now_mono = MIN, .now_real = REAL0 + 30 * MIN, .startup_mono = 2 * S,
		.active_mono = 3 * S, .active_real = REAL0 + 29 * MIN + 3 * S, .last_real = REAL0 - 60 * MIN};
	t_check(!next("OnCalendar", "*-*-* 23:30", &p, &m, &r) && r == REAL0 + 29 * MIN + 2 * S,
		"Persistent=: the 23:30 missed while down is due at keel's start");
	p.last_real = 0;
	t_check(!next("OnCalendar", "*-*-* 23:30", &p, &m, &r) && r == REAL0 + 23 * 60 * MIN + 30 * MIN,
		"no stamp: the next 23:30");
	t_check(next("OnCalendar", "2020-01-01", &p, &m, &r) == -ENOENT, "a calendar event in the past: never");
	/* RandomizedDelaySec= adds the draw modulo the delay */
	struct unit_timer t;
	const char *why;
	timer_init(&t);
	timer_set(&t, "OnActiveSec", "1h", &why);
	timer_set(&t, "OnCalendar", "hourly", &why);
	timer_set(&t, "RandomizedDelaySec", "10s", &why);
	s.random = 12345678;
	t_check(!timer_next(&t, &s, &m, &r) && m == 60 * MIN + 5 * S + 12345678 % (10 * S) &&
			r == REAL0 + 12345678 % (10 * S), "RandomizedDelaySec= delays both clocks");
	timer_free(&t);
}

/* The Persistent= stamp: written atomically, read back, refused when forged; confined to the root. */
T_TEST(timer_stamp)
{
	const char *root = t_tmpdir();
	char p[512];
	struct kerr e = {0};
	uint64_t last = 1;
	int rootfd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	snprintf(p, sizeof(p), "%s/timers", root);
	mkdir(p, 0755);
	t_check(!timer_stamp_read(rootfd, "timers", "backup.timer", REAL0, &last, &e) && last == 0,
		"no stamp yet: never elapsed");
	t_check(!timer_stamp_write(rootfd, "timers", "backup.timer", REAL0 - 5 * S), "stamp written");
	t_check(!timer_stamp_read(rootfd, "timers", "backup.timer", REAL0, &last, &e) && last == REAL0 - 5 * S,
		"stamp read back: %llu", (unsigned long long)last);
	t_check(!timer_stamp_write(rootfd, "timers", "backup.timer", REAL0 + 5 * S) &&
			!timer_stamp_read(rootfd, "timers", "backup.timer", REAL0, &last, &e) && last == 0,
		"a stamp in the future is ignored (the clock was wrong)");
	static const char *const forged[] = {"", "\n", "12", "12x\n", "-5\n", "99999999999999999999999\n", "1 2\n",
		"18446744073709551615\n"};
	for (size_t i = 0; i < T_LEN(forged); i++) {
		snprintf(p, sizeof(p), "timers/stamp-backup.timer");
		t_write(p, forged[i], strlen(forged[i]));
		last = 1;
		t_check(timer_stamp_read(rootfd, "timers", "backup.timer", REAL0, &last, &e) == -EBADMSG && last == 0 &&
				strstr(e.msg, "stamp-backup.timer"), "forged stamp %zu refused: %s", i, e.msg);
	}
	t_write("timers/stamp-backup.timer", "1709251195000000\n", 17);
	t_check(!timer_stamp_read(rootfd, "timers", "backup.timer", REAL0, &last, &e) && last == REAL0 - 5 * S,
		"a good stamp next to the forged ones");
	t_check(timer_stamp_write(rootfd, "timers", "../x.timer", REAL0) == -EINVAL &&
			timer_stamp_write(rootfd, "timers", "backup.service", REAL0) == -EINVAL &&
			timer_stamp_read(rootfd, "timers", "a/b.timer", REAL0, &last, &e) == -EINVAL,
		"only a timer's name, never a path");
	snprintf(p, sizeof(p), "%s/timers/stamp-link.timer", root);
	symlink("/etc/passwd", p);
	t_check(timer_stamp_read(rootfd, "timers", "link.timer", REAL0, &last, &e) < 0 && last == 0,
		"a symlinked stamp is not followed");
	t_check(timer_stamp_write(rootfd, "../..", "escape.timer", REAL0) == -EXDEV, "a dir outside the root is refused");
	close(rootfd);
}

/* AccuracySec=: where in [elapse, elapse + accuracy] the timer wakes, as systemd's sd-event picks
 * it (the latest minute, 10 s, 1 s, 250 ms point shifted by the per-boot perturbation, else the
 * window's end) — and never outside the window. */
T_TEST(timer_accuracy)
{
	static const struct { uint64_t a, b, perturb, want; } cases[] = {
		{10 * S, 10 * S + 1, 7 * S, 10 * S},             /* AccuracySec=1us: exactly on time */
		{10 * S, 10 * S, 7 * S, 10 * S},                 /* no window */
		{30 * S, 90 * S, 5 * S, 65 * S},                 /* a minute point + perturbation in the window */
		{30 * S, 62 * S, 5 * S, 55 * S},                 /* 65 s is past the end: the 10 s grid */
		{61 * S, 64 * S, 7 * S, 63 * S},                 /* neither: the 1 s grid */
		{S + 10000, S + 20000, 0, S + 20000},            /* no grid point in 10 ms: the end */
		{S + 10000, S + 300000, 0, S + 250000},          /* the 250 ms grid */
		{1, 30 * S, 40 * S, 30 * S},                     /* the first minute has no earlier point: the end */
		{TIMER_NEVER, TIMER_NEVER, 0, TIMER_NEVER},      /* never stays never */
		{5 * MIN, 6 * MIN, 0, 5 * MIN},                  /* the default 1 min, due on the full minute: on time */
		{5 * MIN + S, 6 * MIN + S, 0, 6 * MIN},          /* … due a second after it: the next full minute */
		{5 * MIN, 4 * MIN, 0, 5 * MIN},                  /* forged: an end before the start */
	};
	for (size_t i = 0; i < T_LEN(cases); i++) {
		uint64_t got = timer_coalesce(cases[i].a, cases[i].b, cases[i].perturb);
		t_check(got == cases[i].want, "case %zu: %llu, not %llu", i, (unsigned long long)got,
			(unsigned long long)cases[i].want);
	}
	/* bounds: for any elapse, accuracy and perturbation the wake-up is inside the window */
	unsigned seed = 7, bad = 0;
	for (int i = 0; i < 20000; i++) {
		uint64_t a = ((uint64_t)rand_r(&seed) << 20 | (uint64_t)rand_r(&seed)) % (400 * 86400 * S) + 1;
		uint64_t acc = (uint64_t)rand_r(&seed) % (i & 1 ? 120 * S : 2 * S) + 1, p = (uint64_t)rand_r(&seed) % MIN;
		uint64_t c = timer_coalesce(a, a + acc, p);
		bad += c < a || c > a + acc;
	}
	t_check(bad == 0, "%u of 20000 wake-ups outside [elapse, elapse + AccuracySec]", bad);
}

/* RandomizedDelaySec=: the delay added is within [0, RandomizedDelaySec) for any draw. */
T_TEST(timer_random_delay_bounds)
{
	struct unit_timer t;
	const char *why;
	unsigned seed = 3, bad = 0, spread = 0;
	timer_init(&t);
	timer_set(&t, "OnActiveSec", "1min", &why);
	timer_set(&t, "RandomizedDelaySec", "30s", &why);
	struct timer_times s = {.now_mono = 2 * MIN, .now_real = REAL0, .active_mono = MIN, .startup_mono = S};
	for (int i = 0; i < 5000; i++) {
		uint64_t m = 0, r = 0;
		s.random = (uint64_t)rand_r(&seed) << 32 | (uint64_t)rand_r(&seed);
		int ret = timer_next(&t, &s, &m, &r);
		bad += ret || m < 2 * MIN || m >= 2 * MIN + 30 * S || r != TIMER_NEVER;
		spread += m >= 2 * MIN + 15 * S;
	}
	t_check(bad == 0, "%u of 5000 delays outside [0, 30 s)", bad);
	t_check(spread > 2000 && spread < 3000, "the delays spread over the window (%u of 5000 in its second half)", spread);
	timer_free(&t);
}

/* Persistent=: what the stamp of the last elapse decides after a reboot (the supervisor passes
 * it as last_real with last_mono 0). */
T_TEST(timer_persistent_catch_up)
{
	static const struct { const char *spec; uint64_t stamp, want; } cases[] = {
		/* booted at REAL0 + 30 min, keel init started 2 s after boot */
		{"*-*-* 23:30", REAL0 - 60 * MIN, REAL0 + 28 * MIN + 2 * S},   /* 23:30 missed: at keel's start */
		{"*-*-* 23:30", REAL0 - 20 * MIN, REAL0 + 23 * 60 * MIN + 30 * MIN}, /* it ran at 23:40: not missed */
		{"hourly", REAL0 - 5 * MIN, REAL0 + 28 * MIN + 2 * S},         /* 00:00 missed */
		{"hourly", REAL0 + 10 * MIN, REAL0 + 60 * MIN},                /* ran at 00:10: the next hour */
		{"weekly", REAL0 - 8 * 86400 * S, REAL0 + 28 * MIN + 2 * S},   /* a week down: once, at once */
		{"*-*-* 23:30", 0, REAL0 + 23 * 60 * MIN + 30 * MIN},          /* no stamp: nothing to catch up */
	};
	for (size_t i = 0; i < T_LEN(cases); i++) {
		struct timer_times p = {.now_mono = 2 * MIN, .now_real = REAL0 + 30 * MIN, .startup_mono = 2 * S,
			.active_mono = 3 * S, .active_real = REAL0 + 28 * MIN + 3 * S, .last_real = cases[i].stamp};
		uint64_t m = 0, r = 0;
		int ret = next("OnCalendar", cases[i].spec, &p, &m, &r);
		t_check(!ret && r == cases[i].want && m == TIMER_NEVER, "case %zu: %s: %llu, not %llu", i, cases[i].spec,
			(unsigned long long)r, (unsigned long long)cases[i].want);
	}
	/* a stamp does not make one-time triggers count as fired: OnBootSec= still fires once */
	struct timer_times p = {.now_mono = 2 * MIN, .now_real = REAL0, .startup_mono = 2 * S, .active_mono = 3 * S,
		.last_real = REAL0 - 60 * MIN};
	uint64_t m = 0, r = 0;
	t_check(!next("OnBootSec", "1min", &p, &m, &r) && m == MIN, "OnBootSec= past due after a reboot fires");
}

/* A .timer unit file as the supervisor loads it: [Timer] parsed, Unit= defaulted and checked. */
T_TEST(timer_unit_file)
{
	static const struct { const char *name, *text, *err, *unit; } cases[] = {
		{"a.timer", "[Unit]\nDescription=x\n[Timer]\nOnCalendar=daily\nPersistent=yes\n[Install]\nWantedBy=timers.target\n",
			NULL, "a.service"},
		{"a.timer", "[Timer]\nOnBootSec=5min\nUnit=%N-run.service\n", NULL, "a-run.service"},
		{"a.timer", "[Unit]\nDescription=x\n", "no [Timer] section", NULL},
		{"a.timer", "[Timer]\nPersistent=yes\n", "no trigger", NULL},
		{"a.timer", "[Timer]\nOnCalendar=daily\nFrobnicate=1\n", "unknown directive Frobnicate= in [Timer]", NULL},
		{"a.timer", "[Timer]\nOnCalendar=daily\nUnit=b.timer\n", "Unit=: not a unit to start", NULL},
		{"a.timer", "[Timer]\nOnCalendar=daily\nWakeSystem=yes\n", "RTC", NULL},
		{"a.timer", "[Timer]\nOnCalendar=Mon 25:00\n", "OnCalendar=", NULL},
		{"a.timer", "[Service]\nExecStart=/bin/true\n", "a timer has no [Service] section", NULL},
		{"a.service", "[Service]\nExecStart=/bin/true\n[Timer]\nOnCalendar=daily\n", "a service has no [Timer] section", NULL},
	};
	for (size_t i = 0; i < T_LEN(cases); i++) {
		struct unit u;
		struct kerr e = {0};
		int ret = unit_init(&u, cases[i].name);
		if (!ret)
			ret = unit_parse(&u, cases[i].name, cases[i].text, strlen(cases[i].text), &e);
		if (!ret)
			ret = unit_check(&u, &e);
		if (cases[i].err)
			t_check(ret == -EINVAL && strstr(e.msg, cases[i].err), "case %zu: refused: %d %s", i, ret, e.msg);
		else
			t_check(!ret && u.kind == UNIT_TIMER && u.timer && !strcmp(u.timer->unit, cases[i].unit),
				"case %zu: loaded: %d %s %s", i, ret, e.msg, u.timer ? u.timer->unit : "-");
		unit_free(&u);
	}
}
