/* init_timers.c — `keel init list-timers` (see init_timers.h). */
#include "applets/init_timers.h"
#include "base/applet.h"
#include "base/buf.h"
#include "base/clock.h"
#include "base/err.h"
#include "base/lines.h"
#include "base/log.h"
#include "base/scan.h"
#include "init/calendar.h"
#include "init/ctl.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define MIN_US 60000000ULL

/* 1-20 decimal digits at p, within uint64_t; the position after them, or NULL */
static const char *scan_u64(const char *p, uint64_t *v)
{
	const char *s = p;
	for (*v = 0; p && *p >= '0' && *p <= '9' && p - s < 20; p++) {
		if (*v > (UINT64_MAX - (uint64_t)(*p - '0')) / 10)
			return NULL;
		*v = *v * 10 + (uint64_t)(*p - '0');
	}
	return p && p > s ? p : NULL;
}

int timer_line_parse(const char *p, size_t len, struct timer_line *t)
{
	char line[600];
	if (len >= sizeof(line))
		return -EINVAL;
	memcpy(line, p, len);
	line[len] = 0;
	const char *q = scan_lit(scan_span(line, NULL, t->unit, sizeof(t->unit)), '\t');
	q = scan_lit(scan_u64(q, &t->next), '\t');
	q = scan_lit(scan_u64(q, &t->last), '\t');
	q = scan_lit(scan_span(q, NULL, t->activates, sizeof(t->activates)), '\t');
	q = scan_span(q, "abcdefghijklmnopqrstuvwxyz", t->active, sizeof(t->active));
	return q && q == line + len ? 0 : -EINVAL;
}

void timer_stamp_text(uint64_t t, char *out, size_t n)
{
	char s[CAL_STAMP_MAX];
	snprintf(out, n, "%s", t && !cal_stamp(t, s) ? s : "n/a");
}

/* systemd's format_timestamp_relative() wording: from the first row whose span d reaches
 * (mult × unit), the count of its first unit and (when given) of its second; word units are
 * plural but for 1. */
void timer_relative_text(uint64_t t, uint64_t now, char *out, size_t n)
{
	enum { US, MS, S, MIN, H, D, W, MO, Y };
	static const uint64_t unit[] = {1, 1000, 1000000, 60000000, 3600000000, 86400000000, 604800000000,
		2629800000000, 31557600000000};
	static const char names[][6] = {"us", "ms", "s", "min", "h", "day", "week", "month", "year"};
	static const uint8_t rows[][4] = { /* mult, its unit, first unit, second unit (US: none) */
		{1, Y, Y, MO}, {1, MO, MO, D}, {1, W, W, D}, {2, D, D, US}, {25, H, D, H}, {6, H, H, US},
		{1, H, H, MIN}, {5, MIN, MIN, US}, {1, MIN, MIN, S}, {1, S, S, US}, {1, MS, MS, US}, {1, US, US, US},
	};
	uint64_t d = t > now ? t - now : now - t;
	size_t i = 0, k = 0;
	while (i < sizeof(rows) / sizeof(rows[0]) && d < rows[i][0] * unit[rows[i][1]])
		i++;
	if (!t || i == sizeof(rows) / sizeof(rows[0])) {
		snprintf(out, n, t ? "now" : "n/a");
		return;
	}
	for (int part = 0; part < 2; part++) {
		int u = rows[i][2 + part];
		uint64_t v = part ? d % unit[rows[i][2]] / unit[u] : d / unit[u];
		bool word = u >= D;
		if ((!part || u != US) && k < n)
			k += (size_t)snprintf(out + k, n - k, "%llu%s%s%s ", (unsigned long long)v, word ? " " : "", names[u],
				word && v != 1 ? "s" : "");
	}
	if (k < n)
		snprintf(out + k, n - k, "%s", t > now ? "left" : "ago");
}

static int by_next(const void *a, const void *b)
{
	const struct timer_line *x = a, *y = b;
	uint64_t nx = x->next ? x->next : UINT64_MAX, ny = y->next ? y->next : UINT64_MAX;
	return nx < ny ? -1 : nx > ny ? 1 : strcmp(x->unit, y->unit);
}

void init_columns(const char *const *cell, size_t rows, size_t cols)
{
	size_t w[INIT_COLUMNS_MAX] = {0};
	for (size_t i = 0; i < rows * cols; i++)
		w[i % cols] = strlen(cell[i]) > w[i % cols] ? strlen(cell[i]) : w[i % cols];
	for (size_t i = 0; i < rows * cols; i++)
		if (i % cols == cols - 1)
			printf("%s\n", cell[i]);
		else
			printf("%-*s ", (int)w[i % cols], cell[i]);
}

int init_list_timers(const char *body, size_t len, bool all, bool legend)
{
	enum { C_NEXT, C_LEFT, C_LAST, C_PASSED, C_UNIT, C_ACT, NC };
	static const char *const head[NC] = {"NEXT", "LEFT", "LAST", "PASSED", "UNIT", "ACTIVATES"};
	struct timer_line *v = NULL;
	size_t n = 0;
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
			return kfail(EXIT_FAIL, "list-timers: bad reply");
		}
		n += all || strcmp(v[n].active, "inactive");
	}
	qsort(v, n, sizeof(*v), by_next);
	char (*text)[4][64] = calloc(n + 1, sizeof(*text));
	const char **cell = calloc((n + 1) * NC, sizeof(*cell));
	if (!text || !cell) {
		free(v);
		free(text);
		free(cell);
		return kfail(EXIT_FAIL, "out of memory");
	}
	memcpy(cell, head, sizeof(head));
	for (size_t i = 0; i < n; i++) {
		const char **row = cell + (i + 1) * NC;
		timer_stamp_text(v[i].next, text[i][C_NEXT], 64);
		timer_relative_text(v[i].next, now, text[i][C_LEFT], 64);
		timer_stamp_text(v[i].last, text[i][C_LAST], 64);
		timer_relative_text(v[i].last, now, text[i][C_PASSED], 64);
		for (int k = 0; k < C_UNIT; k++)
			row[k] = text[i][k];
		row[C_UNIT] = v[i].unit;
		row[C_ACT] = v[i].activates;
	}
	init_columns(cell + (legend ? 0 : NC), n + legend, NC);
	if (legend)
		printf("\n%zu %s listed.\n%s", n, n == 1 ? "timer" : "timers",
			all ? "" : "Pass --all to see loaded but inactive timers, too.\n");
	free(cell);
	free(text);
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
