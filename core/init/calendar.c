/* calendar.c — systemd calendar events: parse, normalize, print, next elapse (see calendar.h). */
#include "init/calendar.h"
#include "base/buf.h"

#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <stdio.h>

#define USEC 1000000
#define LIMIT_S 7258118400LL /* 2200-01-01 00:00:00 UTC: nothing elapses from here on */

static int fail(const char **why, const char *msg, int code)
{
	*why = msg;
	return code;
}

/* ---- parsing ---------------------------------------------------------------------------- */

struct chain {
	struct cal_comp *v;
	uint16_t n;
};

static int chain_push(struct chain *ch, int32_t start, int32_t stop, int32_t repeat)
{
	if (ch->n >= CAL_COMP_MAX)
		return -ENOBUFS;
	if (!(ch->n & (ch->n - 1))) { /* 0, 1, 2, 4, …: grow to the next power of two */
		struct cal_comp *v = realloc(ch->v, (ch->n ? 2u * ch->n : 1u) * sizeof(*v));
		if (!v)
			return -ENOMEM;
		ch->v = v;
	}
	ch->v[ch->n++] = (struct cal_comp){start, stop, repeat};
	return 0;
}

/* A decimal at *p (a digit must come first); seconds (usec) take ".FRACTION", kept to six
 * digits and rounded on the seventh, as systemd does. */
static int decimal(const char **p, bool usec, int32_t *out, const char **why)
{
	const char *s = *p;
	uint64_t v = 0;
	if (*s < '0' || *s > '9')
		return fail(why, "a number expected", -EINVAL);
	for (; *s >= '0' && *s <= '9'; s++)
		if ((v = v * 10 + (uint64_t)(*s - '0')) > INT_MAX)
			return fail(why, "number out of range", -ERANGE);
	if (usec) {
		v *= USEC;
		if (s[0] == '.' && s[1] != '.') {
			uint64_t f = 0;
			int i;
			s++;
			if (*s < '0' || *s > '9')
				return fail(why, "digits expected after '.'", -EINVAL);
			for (i = 0; i < 6; i++)
				f = f * 10 + ((*s >= '0' && *s <= '9') ? (uint64_t)(*s++ - '0') : 0);
			if (*s >= '5' && *s <= '9')
				f++;
			while (*s >= '0' && *s <= '9')
				s++;
			v += f;
		}
		if (v > INT_MAX)
			return fail(why, "number out of range", -ERANGE);
	}
	*p = s;
	*out = (int32_t)v;
	return 0;
}

/* "*" or a comma list of V, V..W, V/R, V..W/R. */
static int chain_parse(const char **p, bool usec, struct chain *ch, const char **why)
{
	const char *s = *p;
	int ret;
	if (*s == '*') {
		*p = s + 1;
		return usec ? chain_push(ch, 0, -1, USEC) : 0;
	}
	for (;;) {
		int32_t start, stop = -1, repeat = 0;
		if (ch->n >= CAL_COMP_MAX)
			return fail(why, "too many values in one list", -ENOBUFS);
		if ((ret = decimal(&s, usec, &start, why)))
			return ret;
		if (s[0] == '.' && s[1] == '.') {
			s += 2;
			if ((ret = decimal(&s, usec, &stop, why)))
				return ret;
			repeat = usec ? USEC : 1;
		}
		if (*s == '/') {
			s++;
			if ((ret = decimal(&s, usec, &repeat, why)))
				return ret;
			if (!repeat)
				return fail(why, "a repetition of 0", -ERANGE);
		} else if (usec && stop >= 0 && (int64_t)start + repeat > stop) {
			return fail(why, "a range of seconds shorter than its step", -EINVAL);
		}
		if (!strchr(" ,-~:", *s))
			return fail(why, "unexpected character", -EINVAL);
		if ((ret = chain_push(ch, start, stop, repeat)))
			return fail(why, ret == -ENOMEM ? "out of memory" : "too many values in one list", ret);
		if (*s != ',')
			break;
		s++;
	}
	*p = s;
	return 0;
}

static int weekdays_parse(const char **p, uint8_t *bits, const char **why)
{
	static const char names[7][10] = {"monday", "tuesday", "wednesday", "thursday", "friday",
		"saturday", "sunday"};
	const char *s = *p;
	int from = -1;
	for (bool first = true;; first = false) {
		int d;
		size_t len = 0;
		for (d = 0; d < 7; d++) {
			size_t full = strlen(names[d]);
			if (!strncasecmp(s, names[d], full))
				len = full;
			else if (!strncasecmp(s, names[d], 3))
				len = 3;
			if (len)
				break;
		}
		if (d == 7) {
			if (first)
				return 0; /* no weekdays: the date follows */
			return fail(why, "a weekday expected", -EINVAL);
		}
		s += len;
		if (!strchr("-., ", *s))
			return fail(why, "unknown weekday", -EINVAL);
		*bits |= (uint8_t)(1u << d);
		if (from >= 0) {
			if (from > d)
				return fail(why, "weekday range backwards", -EINVAL);
			for (int j = from + 1; j < d; j++)
				*bits |= (uint8_t)(1u << j);
		}
		if (*s == ' ' || !*s)
			break;
		if (*s == ',') {
			from = -1;
			s++;
		} else {
			if (from >= 0 || (*s == '.' && s[1] != '.'))
				return fail(why, "bad weekday range", -EINVAL);
			from = d;
			s += *s == '.' ? 2 : 1;
		}
		if (*s == ' ' || !*s) {
			if (from >= 0)
				return fail(why, "open weekday range", -EINVAL);
			break;
		}
	}
	while (*s == ' ')
		s++;
	*p = s;
	return 0;
}

static int64_t days_from_civil(int64_t y, int64_t m, int64_t d)
{
	y -= m <= 2;
	int64_t era = (y >= 0 ? y : y - 399) / 400, yoe = y - era * 400;
	int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	return era * 146097 + yoe * 365 + yoe / 4 - yoe / 100 + doy - 719468;
}

static void civil_from_days(int64_t z, int64_t f[3])
{
	z += 719468;
	int64_t era = (z >= 0 ? z : z - 146096) / 146097, doe = z - era * 146097;
	int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100), mp = (5 * doy + 2) / 153;
	f[2] = doy - (153 * mp + 2) / 5 + 1;
	f[1] = mp < 10 ? mp + 3 : mp - 9;
	f[0] = yoe + era * 400 + (f[1] <= 2);
}

/* Fields Y M D h m usec-of-minute of t (seconds) in UTC. */
static void utc_fields(int64_t t, int64_t f[CAL_FIELDS])
{
	int64_t days = t >= 0 ? t / 86400 : (t - 86399) / 86400, r = t - days * 86400;
	civil_from_days(days, f);
	f[CAL_HOUR] = r / 3600;
	f[CAL_MINUTE] = r / 60 % 60;
	f[CAL_USEC] = r % 60 * USEC;
}

static int date_parse(const char **p, struct cal_spec *c, struct chain ch[CAL_FIELDS], const char **why)
{
	const char *s = *p;
	struct chain part[3] = {{0}};
	int n = 0, ret = 0;
	if (!*s)
		return 0;
	if (*s == '@') { /* @EPOCH: one fixed second, in UTC */
		uint64_t t = 0;
		int64_t f[CAL_FIELDS];
		for (s++; *s >= '0' && *s <= '9'; s++)
			if ((t = t * 10 + (uint64_t)(*s - '0')) > (uint64_t)LIMIT_S)
				return fail(why, "timestamp out of range", -ERANGE);
		if (s == *p + 1 || *s)
			return fail(why, "@ takes seconds since the epoch", -EINVAL);
		utc_fields((int64_t)t, f);
		c->utc = true;
		for (int i = 0; i < CAL_FIELDS; i++)
			if ((ret = chain_push(&ch[i], (int32_t)f[i], -1, 0)))
				return fail(why, "out of memory", ret);
		*p = s;
		return 1;
	}
	for (;;) {
		if ((ret = chain_parse(&s, false, &part[n], why)))
			goto out;
		n++;
		if (n == 1 && (!*s || *s == ':'))
			goto out; /* a time, not a date: parsed again as one */
		if (n >= 2 && (!*s || *s == ' '))
			break;
		if (n == 3 || (n == 2 && c->eom) || (*s != '-' && *s != '~')) {
			ret = fail(why, "bad date", -EINVAL);
			goto out;
		}
		c->eom |= *s++ == '~';
	}
	while (*s == ' ')
		s++;
	*p = s;
	for (int i = 0; i < n; i++) {
		ch[CAL_DAY - i] = part[n - 1 - i];
		part[n - 1 - i] = (struct chain){0};
	}
out:
	for (int i = 0; i < 3; i++)
		free(part[i].v);
	return ret;
}

static int time_parse(const char **p, struct chain ch[CAL_FIELDS], const char **why)
{
	const char *s = *p;
	int ret;
	if (!*s) {
		for (int i = CAL_HOUR; i <= CAL_USEC; i++)
			if ((ret = chain_push(&ch[i], 0, -1, 0)))
				return fail(why, "out of memory", ret);
		return 0;
	}
	for (int i = CAL_HOUR; i <= CAL_USEC; i++) {
		if ((ret = chain_parse(&s, i == CAL_USEC, &ch[i], why)))
			return ret;
		if (i == CAL_MINUTE && !*s) { /* HH:MM */
			if ((ret = chain_push(&ch[CAL_USEC], 0, -1, 0)))
				return fail(why, "out of memory", ret);
			break;
		}
		if (*s != (i == CAL_USEC ? 0 : ':'))
			return fail(why, i == CAL_USEC ? "trailing characters" : "':' expected", -EINVAL);
		if (*s)
			s++;
	}
	*p = s;
	return 0;
}

static int comp_cmp(const void *a, const void *b)
{
	const struct cal_comp *x = a, *y = b;
	if (x->start != y->start)
		return x->start < y->start ? -1 : 1;
	if (x->stop != y->stop)
		return x->stop < y->stop ? -1 : 1;
	return x->repeat < y->repeat ? -1 : x->repeat > y->repeat;
}

/* systemd's normalization of one list: a range's stop becomes a multiple of the step from its
 * start, a step that never repeats is dropped, then sorted and made unique. */
static void chain_normalize(struct chain *ch, bool year)
{
	for (uint16_t i = 0; i < ch->n; i++) {
		struct cal_comp *k = &ch->v[i];
		if (year) { /* 12 -> 2012, 89 -> 1989 */
			k->start += k->start < 70 ? 2000 : k->start < 100 ? 1900 : 0;
			if (k->stop >= 0)
				k->stop += k->stop < 70 ? 2000 : k->stop < 100 ? 1900 : 0;
		}
		if (k->stop > k->start && k->repeat > 0)
			k->stop -= (k->stop - k->start) % k->repeat;
		if ((k->stop > k->start && k->repeat > 0 && (int64_t)k->start + k->repeat > k->stop) ||
		    k->start == k->stop) {
			k->repeat = 0;
			k->stop = -1;
		}
	}
	if (ch->n > 1)
		qsort(ch->v, ch->n, sizeof(*ch->v), comp_cmp);
	uint16_t o = 0;
	for (uint16_t i = 0; i < ch->n; i++)
		if (!o || comp_cmp(&ch->v[o - 1], &ch->v[i]))
			ch->v[o++] = ch->v[i];
	ch->n = o;
}

static bool chain_valid(const struct chain *ch, int64_t from, int64_t to, bool eom)
{
	for (uint16_t i = 0; i < ch->n; i++) {
		const struct cal_comp *k = &ch->v[i];
		/* At most 28 days from the end of the month: systemd 252 takes 3 more off for each
		 * further entry of the sorted list (~10,24 is valid, ~10,27 is not). */
		if (eom)
			to -= 3;
		if (k->start < from || k->start > to || k->repeat > to - from)
			return false;
		if (k->stop >= 0 ? (k->stop < from || k->stop > to || (int64_t)k->start + k->repeat > k->stop)
				 : eom ? k->start - k->repeat < from : (int64_t)k->start + k->repeat > to)
			return false;
	}
	return true;
}

static const int64_t field_min[CAL_FIELDS] = {CAL_YEAR_MIN, 1, 1, 0, 0, 0};
static const int64_t field_max[CAL_FIELDS] = {CAL_YEAR_MAX, 12, 31, 23, 59, 60LL * USEC - 1};

static int spec_parse(const char *s, struct cal_spec *c, struct chain ch[CAL_FIELDS], const char **why)
{
	static const struct { const char *name; uint8_t set; uint8_t months; } shorthands[] = {
		/* set: the fields given (1 << field; others "*"), all 0 or 1 except months */
		{"minutely", 1 << CAL_USEC, 0},
		{"hourly", 3 << CAL_MINUTE, 0},
		{"daily", 7 << CAL_HOUR, 0},
		{"weekly", 7 << CAL_HOUR, 0},
		{"monthly", 15 << CAL_DAY, 0},
		{"yearly", 31 << CAL_MONTH, 1}, {"annually", 31 << CAL_MONTH, 1}, {"anually", 31 << CAL_MONTH, 1},
		{"quarterly", 31 << CAL_MONTH, 4},
		{"semiannually", 31 << CAL_MONTH, 2}, {"semi-annually", 31 << CAL_MONTH, 2},
		{"biannually", 31 << CAL_MONTH, 2}, {"bi-annually", 31 << CAL_MONTH, 2},
	};
	int ret;
	if (!*s)
		return fail(why, "empty", -EINVAL);
	for (size_t i = 0; i < sizeof(shorthands) / sizeof(shorthands[0]); i++) {
		if (strcasecmp(s, shorthands[i].name))
			continue;
		for (int f = 0; f < CAL_FIELDS; f++) {
			if (!(shorthands[i].set & (1 << f)))
				continue;
			int v = f == CAL_MONTH || f == CAL_DAY, last = f == CAL_MONTH ? 12 : v;
			for (; v <= last; v += f == CAL_MONTH ? 12 / shorthands[i].months : 1)
				if ((ret = chain_push(&ch[f], v, -1, 0)))
					return fail(why, "out of memory", ret);
		}
		if (!strcasecmp(s, "weekly"))
			c->weekdays = 1;
		return 0;
	}
	if ((ret = weekdays_parse(&s, &c->weekdays, why)) < 0 || (ret = date_parse(&s, c, ch, why)) < 0)
		return ret;
	if (!ret && (ret = time_parse(&s, ch, why)))
		return ret;
	if (*s)
		return fail(why, "trailing characters", -EINVAL);
	return 0;
}

static int spec_finish(struct cal_spec *c, struct chain ch[CAL_FIELDS], const char **why)
{
	if (c->weekdays >= 127)
		c->weekdays = 0;
	if (!ch[CAL_DAY].n)
		c->eom = false;
	for (int f = 0; f < CAL_FIELDS; f++) {
		chain_normalize(&ch[f], f == CAL_YEAR);
		if (!chain_valid(&ch[f], field_min[f], field_max[f], f == CAL_DAY && c->eom))
			return fail(why, "value out of range", -EINVAL);
	}
	for (int f = 0; f < CAL_FIELDS; f++) {
		c->c[f] = ch[f].v;
		c->n[f] = ch[f].n;
		ch[f] = (struct chain){0};
	}
	return 0;
}

static int parse_copy(char *copy, size_t len, struct cal_spec *out, const char **why)
{
	struct chain ch[CAL_FIELDS] = {{0}};
	int ret;
	memset(out, 0, sizeof(*out));
	if (len > 4 && !strcasecmp(copy + len - 4, " UTC")) {
		copy[len - 4] = 0;
		out->utc = true;
	}
	ret = spec_parse(copy, out, ch, why);
	if (!ret)
		ret = spec_finish(out, ch, why);
	for (int f = 0; f < CAL_FIELDS; f++)
		free(ch[f].v);
	if (ret)
		memset(out, 0, sizeof(*out));
	return ret;
}

int cal_parse(const char *s, struct cal_spec *out, const char **why)
{
	char copy[CAL_SPEC_MAX + 1];
	size_t len = strnlen(s, CAL_SPEC_MAX + 1);
	int ret;
	memset(out, 0, sizeof(*out));
	if (len > CAL_SPEC_MAX)
		return fail(why, "longer than 4096 bytes", -E2BIG);
	memcpy(copy, s, len + 1);
	if (!(ret = parse_copy(copy, len, out, why)))
		return 0;
	/* A last word the grammar does not know: name the refusal if the rest parses. */
	memcpy(copy, s, len + 1);
	char *sp = strrchr(copy, ' ');
	const char *w;
	if (sp && ((sp[1] | 0x20) >= 'a' && (sp[1] | 0x20) <= 'z') && sp[strspn(sp + 1,
		"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789/_+-") + 1] == 0 &&
	    strcasecmp(sp, " UTC")) {
		*sp = 0;
		if (!parse_copy(copy, (size_t)(sp - copy), out, &w)) {
			cal_free(out);
			return fail(why, "unknown time zone (keel computes in UTC only)", -ENOTSUP);
		}
	}
	return ret;
}

void cal_free(struct cal_spec *c)
{
	for (int f = 0; f < CAL_FIELDS; f++)
		free(c->c[f]);
	memset(c, 0, sizeof(*c));
}

/* ---- printing --------------------------------------------------------------------------- */

static int chain_format(struct buf *b, const struct cal_spec *c, int f)
{
	const int d = f == CAL_USEC ? USEC : 1, width = f == CAL_YEAR ? 4 : 2;
	int ret = 0;
	bool star = !c->n[f];
	for (uint16_t i = 0; f == CAL_USEC && i < c->n[f]; i++)
		star |= !c->c[f][i].start && c->c[f][i].stop < 0 && c->c[f][i].repeat == USEC;
	if (star)
		return buf_putc(b, '*');
	for (uint16_t i = 0; i < c->n[f] && !ret; i++) {
		const struct cal_comp *k = &c->c[f][i];
		const int32_t v[3] = {k->start, k->stop, (k->stop > 0 && k->repeat == d) ? 0 : k->repeat};
		for (int j = 0; j < 3 && !ret; j++) {
			if (j && v[j] <= 0)
				continue;
			ret = buf_printf(b, "%s%0*d", j == 0 ? (i ? "," : "") : j == 1 ? ".." : "/",
				j == 2 ? 0 : width, v[j] / d);
			if (!ret && v[j] % d)
				ret = buf_printf(b, ".%06d", v[j] % d);
		}
	}
	return ret;
}

int cal_format(const struct cal_spec *c, struct buf *b)
{
	static const char days[7][4] = {"Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"};
	static const char sep[CAL_FIELDS] = {'-', '-', ' ', ':', ':', 0};
	int ret = 0;
	bool comma = false;
	for (int x = 0; x < 7 && c->weekdays && !ret; x++) {
		if (!(c->weekdays & (1 << x)) || (x && (c->weekdays & (1 << (x - 1)))))
			continue;
		int y = x;
		while (y < 6 && (c->weekdays & (1 << (y + 1))))
			y++;
		ret = buf_printf(b, "%s%s", comma ? "," : "", days[x]);
		if (!ret && y > x)
			ret = buf_printf(b, "%s%s", y > x + 1 ? ".." : ",", days[y]);
		comma = true;
	}
	if (c->weekdays && !ret)
		ret = buf_putc(b, ' ');
	for (int f = 0; f < CAL_FIELDS && !ret; f++) {
		ret = chain_format(b, c, f);
		if (!ret && sep[f])
			ret = buf_putc(b, f == CAL_MONTH && c->eom ? '~' : sep[f]);
	}
	if (!ret && c->utc)
		ret = buf_puts(b, " UTC");
	return ret;
}

/* ---- next elapse ------------------------------------------------------------------------
 * The search is systemd's (calendarspec.c find_next), so that every elapse is the same as
 * systemd's, its quirks included: field by field from the year down, each set to the first value
 * >= the current one that its list gives; a value past the field's end is carried the way
 * timegm normalizes it, and then only the next smaller field starts over (minute 63 of
 * 23:xx on Feb 29 becomes 00:03 on Mar 1, so "*:09/18,0..34" elapses at 00:03; hour 28 becomes
 * 04:00 of the next day, so "0/7:00" after 21:00 skips midnight and elapses at 07:00); at most
 * 1000 rounds. tests/compat/calendar.sh holds both against systemd-analyze.
 */

static int64_t month_days(int64_t y, int64_t m)
{
	if (m == 2)
		return 28 + ((y % 4 == 0 && y % 100 != 0) || y % 400 == 0);
	return 30 + ((m + (m > 7)) & 1);
}

/* The smallest value >= val that field i of c gives (no upper bound), or -1; mdays is the
 * month's length, for "~". */
static int64_t field_next(const struct cal_spec *c, int i, int64_t val, int64_t mdays)
{
	int64_t best = c->n[i] ? INT64_MAX : val;
	for (uint16_t j = 0; j < c->n[i]; j++) {
		const struct cal_comp *k = &c->c[i][j];
		int64_t s = k->start, e = k->stop, cand;
		if (i == CAL_DAY && c->eom) { /* ~N is the Nth day from the end */
			s = mdays - k->start + 1;
			e = k->stop >= 0 ? mdays - k->stop + 1 : -1;
			if (e > 0) {
				int64_t t = s;
				s = e;
				e = t;
			}
		}
		if (s >= val)
			cand = s;
		else if (k->repeat > 0 && (cand = s + k->repeat * ((val - s + k->repeat - 1) / k->repeat),
						e < 0 || cand <= e))
			;
		else
			continue;
		if (cand < best)
			best = cand;
	}
	return best == INT64_MAX ? -1 : best;
}

static int weekday(int64_t y, int64_t m, int64_t d)
{
	return (int)((days_from_civil(y, m, d) % 7 + 10) % 7); /* Monday 0 */
}

/* The search works on f[0..6]: year, month, day, hour, minute, second, microsecond. */
static const int64_t f_start[7] = {0, 1, 1, 0, 0, 0, 0};

/* Normalize f[0..5] the way timegm does (fields out of range carry); its time in seconds. */
static int64_t f_norm(int64_t f[7])
{
	int64_t y = f[0], m = f[1] - 1, g[CAL_FIELDS];
	y += m >= 0 ? m / 12 : (m - 11) / 12;
	m -= (y - f[0]) * 12;
	int64_t t = (days_from_civil(y, m + 1, 1) + f[2] - 1) * 86400 + f[3] * 3600 + f[4] * 60 + f[5];
	utc_fields(t, g);
	memcpy(f, g, 5 * sizeof(*f));
	f[5] = g[CAL_USEC] / USEC;
	return t;
}

/* 1 if f needs no normalization; 0 if it did (f now normalized, the field below the largest one
 * that changed starts over, the microseconds stay); < 0 past CAL_YEAR_MAX or going backwards. */
static int f_within(int64_t f[7])
{
	int64_t t[7];
	int k = 0;
	if (f[0] > CAL_YEAR_MAX)
		return -ERANGE;
	if (f[1] >= 1 && f[1] <= 12 && f[2] >= 1 && f[2] <= month_days(f[0], f[1]) && f[3] >= 0 && f[3] < 24 &&
	    f[4] >= 0 && f[4] < 60 && f[5] >= 0 && f[5] < 60)
		return 1; /* already normal */
	memcpy(t, f, sizeof(t));
	f_norm(t);
	while (k < 5 && t[k] == f[k])
		k++;
	if (t[k] < f[k])
		return -EDEADLK;
	if (t[k] == f[k])
		return 1;
	if (k < 5)
		t[k + 1] = f_start[k + 1];
	memcpy(f, t, 6 * sizeof(*f));
	return 0;
}

static void f_reset(int64_t f[7], int from)
{
	memcpy(f + from, f_start + from, (size_t)(7 - from) * sizeof(*f));
}

int cal_next(const struct cal_spec *c, uint64_t now, uint64_t *next)
{
	int64_t f[7];
	if (now >= (uint64_t)LIMIT_S * USEC)
		return -ENOENT;
	utc_fields((int64_t)((now + 1) / USEC), f);
	f[5] = f[CAL_USEC] / USEC;
	f[6] = (int64_t)((now + 1) % USEC);
	for (int round = 0; round < 1000; round++) {
		int i;
		f_norm(f);
		/* each field: its next value; a change restarts the smaller fields; none (or a
		 * normalization that went backwards) carries into the larger field */
		for (i = CAL_YEAR; i < CAL_FIELDS; i++) {
			int64_t v = i == CAL_USEC ? f[5] * USEC + f[6] : f[i];
			int64_t n = field_next(c, i, v, month_days(f[0], f[1]));
			int r = n < 0 ? -ENOENT : n != v;
			if (n >= 0 && i == CAL_USEC)
				f[5] = n / USEC, f[6] = n % USEC;
			else if (n >= 0)
				f[i] = n;
			if (r > 0 && i < CAL_USEC)
				f_reset(f, i + 1);
			if (i == CAL_YEAR) {
				if (r < 0 || f_within(f) <= 0)
					return -ENOENT;
				continue;
			}
			if (r < 0 || (r = f_within(f)) < 0) {
				f[i - 1]++;
				f_reset(f, i);
				break;
			}
			if (!r)
				break;
			if (i == CAL_DAY && c->weekdays && !(c->weekdays & (1 << weekday(f[0], f[1], f[2])))) {
				f[CAL_DAY]++;
				f_reset(f, CAL_HOUR);
				break;
			}
		}
		if (i == CAL_FIELDS) {
			*next = (uint64_t)f_norm(f) * USEC + (uint64_t)f[6];
			return 0;
		}
	}
	return -EDEADLK;
}

bool cal_match(const struct cal_spec *c, uint64_t t)
{
	int64_t f[CAL_FIELDS];
	if (t / USEC >= (uint64_t)LIMIT_S)
		return false;
	utc_fields((int64_t)(t / USEC), f);
	f[CAL_USEC] += (int64_t)(t % USEC);
	if (c->weekdays && !(c->weekdays & (1 << weekday(f[0], f[1], f[2]))))
		return false;
	for (int i = 0; i < CAL_FIELDS; i++)
		if (field_next(c, i, f[i], month_days(f[0], f[1])) != f[i])
			return false;
	return true;
}

int cal_stamp(uint64_t t, char out[CAL_STAMP_MAX])
{
	static const char days[7][4] = {"Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"};
	int64_t f[CAL_FIELDS];
	if (t / USEC >= (uint64_t)LIMIT_S)
		return -ERANGE;
	utc_fields((int64_t)(t / USEC), f);
	snprintf(out, CAL_STAMP_MAX, "%s %04d-%02d-%02d %02d:%02d:%02d UTC",
		days[weekday(f[0], f[1], f[2])], (int)f[0], (int)f[1], (int)f[2], (int)f[3], (int)f[4],
		(int)(f[5] / USEC));
	return 0;
}
