/* init_timers.c — `keel init list-timers` (see init_timers.h). */
#include "applets/init_timers.h"
#include "base/applet.h"
#include "base/buf.h"
#include "base/clock.h"
#include "base/err.h"
#include "base/lines.h"
#include "base/log.h"
#include "init/calendar.h"
#include "init/ctl.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define MIN_US 60000000ULL

static int field(const char **p, const char *end, char *out, size_t n)
{
	const char *tab = memchr(*p, '\t', (size_t)(end - *p));
	const char *e = tab ? tab : end;
	if ((size_t)(e - *p) >= n)
		return -EINVAL;
	memcpy(out, *p, (size_t)(e - *p));
	out[e - *p] = 0;
	*p = tab ? tab + 1 : end;
	return 0;
}

int timer_line_parse(const char *p, size_t len, struct timer_line *t)
{
	const char *end = p + len;
	char num[2][24];
	int ret = field(&p, end, t->unit, sizeof(t->unit));
	for (int i = 0; i < 2 && !ret; i++)
		ret = field(&p, end, num[i], sizeof(num[i]));
	if (!ret)
		ret = field(&p, end, t->activates, sizeof(t->activates));
	if (!ret)
		ret = field(&p, end, t->active, sizeof(t->active));
	if (ret || p != end || !t->unit[0] || parse_u64(num[0], 0, UINT64_MAX - 1, &t->next) ||
		parse_u64(num[1], 0, UINT64_MAX - 1, &t->last))
		return -EINVAL;
	return 0;
}

void timer_stamp_text(uint64_t t, char *out, size_t n)
{
	char s[CAL_STAMP_MAX];
	snprintf(out, n, "%s", t && !cal_stamp(t, s) ? s : "n/a");
}

/* systemd's format_timestamp_relative() wording */
void timer_relative_text(uint64_t t, uint64_t now, char *out, size_t n)
{
	static const uint64_t S = 1000000, H = 60 * MIN_US, D = 24 * H, W = 7 * D, MO = 2629800 * S, Y = 31557600 * S;
	const char *dir = t > now ? "left" : "ago";
	uint64_t d = t > now ? t - now : now - t;
	if (!t)
		snprintf(out, n, "n/a");
	else if (d >= Y)
		snprintf(out, n, "%llu %s %llu %s %s", (unsigned long long)(d / Y), d / Y == 1 ? "year" : "years",
			(unsigned long long)(d % Y / MO), d % Y / MO == 1 ? "month" : "months", dir);
	else if (d >= MO)
		snprintf(out, n, "%llu %s %llu %s %s", (unsigned long long)(d / MO), d / MO == 1 ? "month" : "months",
			(unsigned long long)(d % MO / D), d % MO / D == 1 ? "day" : "days", dir);
	else if (d >= W)
		snprintf(out, n, "%llu %s %llu %s %s", (unsigned long long)(d / W), d / W == 1 ? "week" : "weeks",
			(unsigned long long)(d % W / D), d % W / D == 1 ? "day" : "days", dir);
	else if (d >= 2 * D)
		snprintf(out, n, "%llu days %s", (unsigned long long)(d / D), dir);
	else if (d >= 25 * H)
		snprintf(out, n, "1 day %lluh %s", (unsigned long long)((d - D) / H), dir);
	else if (d >= 6 * H)
		snprintf(out, n, "%lluh %s", (unsigned long long)(d / H), dir);
	else if (d >= H)
		snprintf(out, n, "%lluh %llumin %s", (unsigned long long)(d / H), (unsigned long long)(d % H / MIN_US), dir);
	else if (d >= 5 * MIN_US)
		snprintf(out, n, "%llumin %s", (unsigned long long)(d / MIN_US), dir);
	else if (d >= MIN_US)
		snprintf(out, n, "%llumin %llus %s", (unsigned long long)(d / MIN_US), (unsigned long long)(d % MIN_US / S), dir);
	else if (d >= S)
		snprintf(out, n, "%llus %s", (unsigned long long)(d / S), dir);
	else if (d >= 1000)
		snprintf(out, n, "%llums %s", (unsigned long long)(d / 1000), dir);
	else if (d)
		snprintf(out, n, "%lluus %s", (unsigned long long)d, dir);
	else
		snprintf(out, n, "now");
}

static int by_next(const void *a, const void *b)
{
	const struct timer_line *x = a, *y = b;
	uint64_t nx = x->next ? x->next : UINT64_MAX, ny = y->next ? y->next : UINT64_MAX;
	return nx < ny ? -1 : nx > ny ? 1 : strcmp(x->unit, y->unit);
}

int init_list_timers(const char *body, size_t len, bool all, bool legend)
{
	enum { C_NEXT, C_LEFT, C_LAST, C_PASSED, C_UNIT, C_ACT, NC };
	static const char *const head[NC] = {"NEXT", "LEFT", "LAST", "PASSED", "UNIT", "ACTIVATES"};
	struct timer_line *v = NULL;
	size_t n = 0, w[NC];
	struct lines c;
	const char *p;
	size_t l;
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	uint64_t now = timespec_us(&ts);
	lines_init(&c, body, len);
	while (lines_next(&c, &p, &l)) {
		struct timer_line *nv = realloc(v, (n + 1) * sizeof(*v));
		if (!nv) {
			free(v);
			return kfail(EXIT_FAIL, "out of memory");
		}
		v = nv;
		if (!c.nl || timer_line_parse(p, l, &v[n])) {
			free(v);
			return kfail(EXIT_FAIL, "list-timers: malformed reply line");
		}
		n += all || strcmp(v[n].active, "inactive");
	}
	qsort(v, n, sizeof(*v), by_next);
	char (*cell)[4][64] = calloc(n + 1, sizeof(*cell));
	if (!cell) {
		free(v);
		return kfail(EXIT_FAIL, "out of memory");
	}
	for (int k = 0; k < NC; k++)
		w[k] = strlen(head[k]);
	for (size_t i = 0; i < n; i++) {
		timer_stamp_text(v[i].next, cell[i][C_NEXT], 64);
		timer_relative_text(v[i].next, now, cell[i][C_LEFT], 64);
		timer_stamp_text(v[i].last, cell[i][C_LAST], 64);
		timer_relative_text(v[i].last, now, cell[i][C_PASSED], 64);
		for (int k = 0; k < NC; k++) {
			size_t x = strlen(k == C_UNIT ? v[i].unit : k == C_ACT ? v[i].activates : cell[i][k]);
			w[k] = x > w[k] ? x : w[k];
		}
	}
	for (size_t i = legend ? 0 : 1; i <= n; i++)
		for (int k = 0; k < NC; k++) {
			const char *s = !i ? head[k] : k == C_UNIT ? v[i - 1].unit : k == C_ACT ? v[i - 1].activates : cell[i - 1][k];
			if (k == NC - 1)
				printf("%s\n", s);
			else
				printf("%-*s ", (int)w[k], s);
		}
	if (legend)
		printf("\n%zu %s listed.\n%s", n, n == 1 ? "timer" : "timers",
			all ? "" : "Pass --all to see loaded but inactive timers, too.\n");
	free(cell);
	free(v);
	return EXIT_OK;
}

int timer_line_fetch(const char *path, const char *unit, int timeout_ms, struct timer_line *t)
{
	char line[CTL_REQ_MAX + 1];
	struct buf reply = BUF_INIT(CTL_REPLY_MAX);
	struct kerr e = {0};
	size_t n = strlen(unit);
	int ret = n > 6 && !strcmp(unit + n - 6, ".timer") ? str_fmt(line, sizeof(line), "timers %s\n", unit) : -EINVAL;
	if (!ret)
		ret = ctl_call(path, line, &reply, timeout_ms, &e);
	if (!ret)
		ret = reply.len > 4 && !memcmp(reply.p, "OK\n", 3) && reply.p[reply.len - 1] == '\n' ?
			timer_line_parse((const char *)reply.p + 3, reply.len - 4, t) : -ENOENT;
	buf_free(&reply);
	return ret;
}

void timer_status_lines(const struct timer_line *tl)
{
	char at[64], left[64];
	struct timespec now;
	clock_gettime(CLOCK_REALTIME, &now);
	timer_stamp_text(tl->next, at, sizeof(at));
	timer_relative_text(tl->next, timespec_us(&now), left, sizeof(left));
	printf("    Trigger: %s%s%s\n   Triggers: \xe2\x97\x8f %s\n", at, tl->next ? "; " : "", tl->next ? left : "",
		tl->activates);
}
