/* fleet_test.c — the health file (core/init/health.c), the update strategy and its maintenance
 * windows (core/update/reboot.c), FleetLock's error answers and node id (core/update/fleetlock.c):
 * a forged input next to every good one. */
#include "t.h"
#include "base/err.h"
#include "init/health.h"
#include "update/fleetlock.h"
#include "update/reboot.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

T_TEST(health_file)
{
	static const struct {
		const char *in;
		int ret;
		const char *why; /* in e.msg */
		size_t nunits, argc;
		unsigned deadline, settle;
	} cases[] = {
		{"{\"version\":1}", 0, NULL, 0, 0, 300, 0},
		{"{\"version\":1,\"units\":[\"a.service\",\"b.target\",\"c@x.service\"],\"command\":[\"/bin/check\",\"-q\",\"\"],"
			"\"deadline\":600,\"settle\":30}", 0, NULL, 3, 3, 600, 30},
		{"{\"version\":1,\"units\":[],\"deadline\":1}", 0, NULL, 0, 0, 1, 0},
		{"{\"settle\":3599,\"deadline\":86400,\"version\":1}", 0, NULL, 0, 0, 86400, 3599},
		/* forged */
		{"", -EINVAL, "offset 0", 0, 0, 0, 0},
		{"[]", -EINVAL, "object expected", 0, 0, 0, 0},
		{"{}", -EINVAL, "/version: must be 1", 0, 0, 0, 0},
		{"{\"version\":2}", -EINVAL, "/version: must be 1", 0, 0, 0, 0},
		{"{\"version\":\"1\"}", -EINVAL, "/version: must be 1", 0, 0, 0, 0},
		{"{\"version\":1.0}", -EINVAL, "/version: must be 1", 0, 0, 0, 0},
		{"{\"version\":1,\"unit\":[]}", -EINVAL, "/unit: unknown field", 0, 0, 0, 0},
		{"{\"version\":1,\"version\":1}", -EINVAL, "duplicate key", 0, 0, 0, 0},
		{"{\"version\":1,\"units\":\"a.service\"}", -EINVAL, "/units: array expected", 0, 0, 0, 0},
		{"{\"version\":1,\"units\":[\"a\"]}", -EINVAL, "/units/0: not a unit name", 0, 0, 0, 0},
		{"{\"version\":1,\"units\":[\"a@.service\"]}", -EINVAL, "/units/0: not a unit name", 0, 0, 0, 0},
		{"{\"version\":1,\"units\":[\"../x.service\"]}", -EINVAL, "/units/0: not a unit name", 0, 0, 0, 0},
		{"{\"version\":1,\"units\":[\"a.service\",\"a.service\"]}", -EINVAL, "/units/1: listed twice", 0, 0, 0, 0},
		{"{\"version\":1,\"units\":[1]}", -EINVAL, "/units/0: string expected", 0, 0, 0, 0},
		{"{\"version\":1,\"command\":[]}", -EINVAL, "/command: 1 to 64 entries", 0, 0, 0, 0},
		{"{\"version\":1,\"command\":[\"check\"]}", -EINVAL, "/command/0: the command must be an absolute path", 0, 0, 0, 0},
		{"{\"version\":1,\"command\":\"/bin/check\"}", -EINVAL, "/command: array expected", 0, 0, 0, 0},
		{"{\"version\":1,\"command\":[\"/bin/x\",null]}", -EINVAL, "/command/1: string expected", 0, 0, 0, 0},
		{"{\"version\":1,\"deadline\":0}", -EINVAL, "/deadline: whole seconds 1..86400", 0, 0, 0, 0},
		{"{\"version\":1,\"deadline\":86401}", -EINVAL, "/deadline: whole seconds 1..86400", 0, 0, 0, 0},
		{"{\"version\":1,\"deadline\":-5}", -EINVAL, "/deadline", 0, 0, 0, 0},
		{"{\"version\":1,\"deadline\":1.5}", -EINVAL, "/deadline", 0, 0, 0, 0},
		{"{\"version\":1,\"deadline\":\"300\"}", -EINVAL, "/deadline", 0, 0, 0, 0},
		{"{\"version\":1,\"settle\":3601,\"deadline\":86400}", -EINVAL, "/settle: whole seconds 0..3600", 0, 0, 0, 0},
		{"{\"version\":1,\"settle\":300}", -EINVAL, "/settle: 300 s leaves no time", 0, 0, 0, 0},
		{"{\"version\":1} x", -EINVAL, "offset", 0, 0, 0, 0},
	};
	for (size_t i = 0; i < T_LEN(cases); i++) {
		struct health_spec s;
		struct kerr e = {0};
		int ret = health_parse(cases[i].in, strlen(cases[i].in), &s, &e);
		t_check(ret == cases[i].ret, "case %zu: %s: ret %d (%s)", i, cases[i].in, ret, e.msg);
		if (ret) {
			t_check(strstr(e.msg, cases[i].why) != NULL, "case %zu: message '%s' lacks '%s'", i, e.msg, cases[i].why);
			t_check(!s.units && !s.argv && !s.nunits, "case %zu: refused but not empty", i);
			continue;
		}
		t_check(s.nunits == cases[i].nunits && s.argc == cases[i].argc && s.deadline_s == cases[i].deadline &&
			s.settle_s == cases[i].settle, "case %zu: %zu units %zu args deadline %llu settle %llu", i, s.nunits, s.argc,
			(unsigned long long)s.deadline_s, (unsigned long long)s.settle_s);
		t_check(!s.argv || !s.argv[s.argc], "case %zu: argv not NULL-terminated", i);
		health_spec_free(&s);
	}
	/* sizes: 64 units is the limit, 65 refused; an argument of 4097 bytes refused */
	char big[8192];
	size_t n = (size_t)snprintf(big, sizeof(big), "{\"version\":1,\"units\":[");
	for (int i = 0; i < 65; i++)
		n += (size_t)snprintf(big + n, sizeof(big) - n, "%s\"u%d.service\"", i ? "," : "", i);
	snprintf(big + n, sizeof(big) - n, "]}");
	struct health_spec s;
	struct kerr e = {0};
	t_check(health_parse(big, strlen(big), &s, &e) == -EINVAL && strstr(e.msg, "/units: 0 to 64 entries"), "65 units: %s", e.msg);
	char *comma = strrchr(big, ',');
	memcpy(comma, "]}", 3);
	t_check(health_parse(big, strlen(big), &s, &e) == 0 && s.nunits == 64, "64 units: %s", e.msg);
	health_spec_free(&s);
	n = (size_t)snprintf(big, sizeof(big), "{\"version\":1,\"command\":[\"/x\",\"");
	memset(big + n, 'a', 4097);
	memcpy(big + n + 4097, "\"]}", 4);
	t_check(health_parse(big, strlen(big), &s, &e) != 0, "an argument of 4097 bytes accepted");
	memcpy(big + n + 4096, "\"]}", 4);
	t_check(health_parse(big, strlen(big), &s, &e) == 0 && strlen(s.argv[1]) == 4096, "4096 bytes: %s", e.msg);
	health_spec_free(&s);
	/* allocation failures: refused cleanly, never a half-filled spec */
	const char *full = "{\"version\":1,\"units\":[\"a.service\",\"b.service\"],\"command\":[\"/bin/c\",\"x\"]}";
	for (long k = 1; k < 40; k++) {
		t_alloc_fail(k);
		int ret = health_parse(full, strlen(full), &s, &e);
		int failed = t_alloc_failed();
		t_check(failed ? ret == -ENOMEM && !s.units && !s.argv : ret == 0, "allocation %ld: ret %d", k, ret);
		health_spec_free(&s);
		if (!failed)
			break;
	}
}

T_TEST(update_strategy_config)
{
	static const struct {
		const char *in;
		int ret;
		const char *why;
		int kind;
		size_t nwin;
	} cases[] = {
		{"{\"version\":1,\"strategy\":\"immediate\"}", 0, NULL, STRATEGY_IMMEDIATE, 0},
		{"{\"version\":1,\"strategy\":\"off\"}", 0, NULL, STRATEGY_OFF, 0},
		{"{\"version\":1,\"strategy\":\"fleetlock\",\"fleetlock\":{\"url\":\"https://lock:8443/x/\"}}", 0, NULL, STRATEGY_FLEETLOCK, 0},
		{"{\"version\":1,\"strategy\":\"fleetlock\",\"fleetlock\":{\"url\":\"http://l\",\"group\":\"a.b-C9\"}}", 0, NULL,
			STRATEGY_FLEETLOCK, 0},
		{"{\"version\":1,\"strategy\":\"window\",\"windows\":[{\"days\":[\"Sat\"],\"start\":\"23:59\",\"minutes\":1440},"
			"{\"days\":[\"Mon\",\"Tue\"],\"start\":\"00:00\",\"minutes\":1}]}", 0, NULL, STRATEGY_WINDOW, 2},
		/* forged */
		{"{\"version\":1}", -EINVAL, "/strategy", 0, 0},
		{"{\"version\":1,\"strategy\":\"Immediate\"}", -EINVAL, "/strategy", 0, 0},
		{"{\"version\":1,\"strategy\":\"off\",\"fleetlock\":{\"url\":\"http://l\"}}", -EINVAL, "/fleetlock: not used", 0, 0},
		{"{\"version\":1,\"strategy\":\"window\"}", -EINVAL, "/windows: required", 0, 0},
		{"{\"version\":1,\"strategy\":\"fleetlock\",\"fleetlock\":{}}", -EINVAL, "/fleetlock/url", 0, 0},
		{"{\"version\":1,\"strategy\":\"fleetlock\",\"fleetlock\":[]}", -EINVAL, "/fleetlock: object expected", 0, 0},
		{"{\"version\":1,\"strategy\":\"fleetlock\",\"fleetlock\":{\"url\":\"http://l\",\"group\":\"\"}}", -EINVAL, "/fleetlock/group", 0, 0},
		{"{\"version\":1,\"strategy\":\"fleetlock\",\"fleetlock\":{\"url\":\"http://l\",\"group\":7}}", -EINVAL, "/fleetlock/group", 0, 0},
		{"{\"version\":1,\"strategy\":\"fleetlock\",\"fleetlock\":{\"url\":\"http://l\",\"group\":"
			"\"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\"}}", -EINVAL, "/fleetlock/group", 0, 0},
		{"{\"version\":1,\"strategy\":\"window\",\"windows\":{}}", -EINVAL, "/windows: 1..16", 0, 0},
		{"{\"version\":1,\"strategy\":\"window\",\"windows\":[{\"days\":[],\"start\":\"10:00\",\"minutes\":5}]}", -EINVAL,
			"/windows/0/days: 1..7", 0, 0},
		{"{\"version\":1,\"strategy\":\"window\",\"windows\":[{\"days\":[\"Fri\"],\"start\":\"9:00\",\"minutes\":5}]}", -EINVAL,
			"/windows/0/start", 0, 0},
		{"{\"version\":1,\"strategy\":\"window\",\"windows\":[{\"days\":[\"Fri\"],\"start\":\"09:60\",\"minutes\":5}]}", -EINVAL,
			"/windows/0/start", 0, 0},
		{"{\"version\":1,\"strategy\":\"window\",\"windows\":[{\"days\":[\"Fri\"],\"start\":\"09:00\",\"minutes\":1441}]}", -EINVAL,
			"/windows/0/minutes", 0, 0},
		{"{\"version\":1,\"strategy\":\"window\",\"windows\":[{\"days\":[\"Fri\"],\"start\":\"09:00\"}]}", -EINVAL,
			"/windows/0/minutes", 0, 0},
		{"{\"version\":1,\"strategy\":\"window\",\"windows\":[{\"days\":[\"Fri\"],\"start\":\"09:00\",\"minutes\":5,\"tz\":\"CET\"}]}",
			-EINVAL, "/windows/0/tz: unknown field", 0, 0},
	};
	for (size_t i = 0; i < T_LEN(cases); i++) {
		struct update_strategy s;
		struct kerr e = {0};
		memset(&s, 0, sizeof(s));
		int ret = update_strategy_parse(cases[i].in, strlen(cases[i].in), &s, &e);
		t_check(ret == cases[i].ret, "case %zu: %s: ret %d (%s)", i, cases[i].in, ret, e.msg);
		if (ret)
			t_check(strstr(e.msg, cases[i].why) != NULL, "case %zu: message '%s' lacks '%s'", i, e.msg, cases[i].why);
		else
			t_check((int)s.kind == cases[i].kind && s.nwin == cases[i].nwin, "case %zu: kind %d windows %zu", i, (int)s.kind,
				s.nwin);
	}
}

T_TEST(update_windows)
{
	struct update_strategy s;
	struct kerr e = {0};
	const char *cfg = "{\"version\":1,\"strategy\":\"window\",\"windows\":[{\"days\":[\"Sat\",\"Sun\"],\"start\":\"22:30\",\"minutes\":120}]}";
	memset(&s, 0, sizeof(s));
	t_check(!update_strategy_parse(cfg, strlen(cfg), &s, &e), "%s", e.msg);
	/* 2026-12-05 is a Saturday: 1796508000 = 22:00 UTC */
	static const struct { uint64_t now, wait; } cases[] = {
		{1796508000, 1800},              /* Sat 22:00: opens in 30 min */
		{1796509800, 0},                 /* Sat 22:30: open */
		{1796516999, 0},                 /* Sun 00:29:59: still Saturday's window */
		{1796517000, 22 * 3600},         /* Sun 00:30: closed until Sun 22:30 */
		{1796509799, 1},                 /* one second before */
	};
	for (size_t i = 0; i < T_LEN(cases); i++) {
		uint64_t w = update_window_wait(&s, cases[i].now);
		t_check(w == cases[i].wait, "case %zu: now %llu: wait %llu, want %llu", i, (unsigned long long)cases[i].now,
			(unsigned long long)w, (unsigned long long)cases[i].wait);
	}
	/* Sunday's window runs past midnight into Monday: Mon 00:29 open, Mon 00:30 closed for 5 d 22 h */
	t_check(update_window_wait(&s, 1796603340) == 0, "Mon 00:29");
	t_check(update_window_wait(&s, 1796603400) == 5 * 86400 + 22 * 3600, "Mon 00:30: %llu",
		(unsigned long long)update_window_wait(&s, 1796603400));
}

T_TEST(fleetlock_answers)
{
	static const struct { const char *in; int ok; const char *kind, *value; } cases[] = {
		{"{\"kind\":\"locked\",\"value\":\"all slots taken\"}", 1, "locked", "all slots taken"},
		{"{\"value\":\"v\",\"kind\":\"k\",\"extra\":[1,2]}", 1, "k", "v"},
		{"{\"kind\":\"\",\"value\":\"\"}", 1, "", ""},
		/* forged */
		{"", 0, NULL, NULL},
		{"locked", 0, NULL, NULL},
		{"[\"locked\"]", 0, NULL, NULL},
		{"{\"kind\":\"locked\"}", 0, NULL, NULL},
		{"{\"kind\":1,\"value\":\"x\"}", 0, NULL, NULL},
		{"{\"kind\":\"a\",\"kind\":\"b\",\"value\":\"x\"}", 0, NULL, NULL},
		{"{\"kind\":\"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\",\"value\":\"x\"}", 0, NULL, NULL},
		{"{\"kind\":\"a\",\"value\":\"x\"} {}", 0, NULL, NULL},
	};
	for (size_t i = 0; i < T_LEN(cases); i++) {
		struct fleetlock_answer a = {0};
		int ret = fleetlock_parse_error(cases[i].in, strlen(cases[i].in), &a);
		t_check((ret == 0) == cases[i].ok, "case %zu: %s: ret %d", i, cases[i].in, ret);
		if (!ret)
			t_check(!strcmp(a.kind, cases[i].kind) && !strcmp(a.value, cases[i].value), "case %zu: %s / %s", i, a.kind, a.value);
		else
			t_check(!a.kind[0] && !a.value[0], "case %zu: refused but filled", i);
	}
}

T_TEST(fleetlock_node_ids)
{
	/* expected: systemd's sd_id128_get_machine_app_specific for Zincati's app id, computed with
	 * python's hmac (HMAC-SHA256, first 16 bytes, version 4, variant 1) */
	static const struct { const char *mid; const char *id; } cases[] = {
		{"0123456789abcdef0123456789abcdef\n", "583627a932274834a8ebd99f4ed41c0d"},
	};
	for (size_t i = 0; i < T_LEN(cases); i++) {
		char id[33] = "";
		struct kerr e = {0};
		t_check(!fleetlock_node_id(cases[i].mid, strlen(cases[i].mid), id, &e), "case %zu: %s", i, e.msg);
		t_check(!strcmp(id, cases[i].id), "case %zu: %s, want %s", i, id, cases[i].id);
	}
	static const char *const forged[] = {"", "\n", "0123456789abcdef0123456789abcde\n", "0123456789abcdef0123456789abcdef0\n",
		"0123456789abcdef0123456789abcdeg\n", "0123456789abcdef0123456789abcdef\n\n"};
	for (size_t i = 0; i < T_LEN(forged); i++) {
		char id[33];
		struct kerr e = {0};
		t_check(fleetlock_node_id(forged[i], strlen(forged[i]), id, &e) == -EINVAL, "forged %zu accepted", i);
	}
	static const char *const groups[] = {"default", "a", "A.b-9"}, *const bad_groups[] = {"", "a b", "a/b", "ä", "a_b"};
	for (size_t i = 0; i < T_LEN(groups); i++)
		t_check(fleetlock_group_ok(groups[i]), "group %s refused", groups[i]);
	for (size_t i = 0; i < T_LEN(bad_groups); i++)
		t_check(!fleetlock_group_ok(bad_groups[i]), "group %s accepted", bad_groups[i]);
}
