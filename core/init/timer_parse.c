/* timer_parse.c — [Timer] settings and the next elapse of a timer (see timer_parse.h). */
#include "init/timer_parse.h"

#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

static int fail(const char **why, const char *msg, int code)
{
	*why = msg;
	return code;
}

void timer_init(struct unit_timer *t)
{
	memset(t, 0, sizeof(*t));
	t->accuracy_usec = 60000000;
	t->remain_after_elapse = true;
}

static void triggers_clear(struct unit_timer *t)
{
	for (size_t i = 0; i < t->n; i++)
		cal_free(&t->v[i].cal);
	free(t->v);
	t->v = NULL;
	t->n = 0;
}

void timer_free(struct unit_timer *t)
{
	triggers_clear(t);
}

static const char *const on_keys[] = {
	[TIMER_ACTIVE] = "OnActiveSec",
	[TIMER_BOOT] = "OnBootSec",
	[TIMER_STARTUP] = "OnStartupSec",
	[TIMER_UNIT_ACTIVE] = "OnUnitActiveSec",
	[TIMER_UNIT_INACTIVE] = "OnUnitInactiveSec",
	[TIMER_CALENDAR] = "OnCalendar",
};

static int set_trigger(struct unit_timer *t, enum timer_base base, const char *v, const char **why)
{
	struct timer_trigger tr = {.base = base};
	int ret;
	if (!*v) { /* an empty On…= resets every trigger, of both kinds */
		triggers_clear(t);
		return 0;
	}
	if (t->n >= TIMER_TRIGGERS_MAX)
		return fail(why, "too many triggers (at most 64)", -E2BIG);
	ret = base == TIMER_CALENDAR ? cal_parse(v, &tr.cal, why) : uv_timespan(v, &tr.usec, why);
	if (ret)
		return ret;
	struct timer_trigger *n = realloc(t->v, (t->n + 1) * sizeof(*n));
	if (!n) {
		cal_free(&tr.cal);
		return fail(why, "out of memory", -ENOMEM);
	}
	t->v = n;
	t->v[t->n++] = tr;
	return 0;
}

int timer_set(struct unit_timer *t, const char *key, const char *v, const char **why)
{
	static const struct { const char *key, *refused; size_t field; } flags[] = {
		{"Persistent", NULL, offsetof(struct unit_timer, persistent)},
		{"RemainAfterElapse", NULL, offsetof(struct unit_timer, remain_after_elapse)},
		{"FixedRandomDelay", NULL, offsetof(struct unit_timer, fixed_random_delay)},
		{"WakeSystem", "yes: keel does not program RTC wake-ups", 0},
		{"OnClockChange", "yes: keel does not watch for clock changes", 0},
		{"OnTimezoneChange", "yes: keel hosts keep UTC, the zone never changes", 0},
	};
	bool b = false;
	int ret;
	for (int i = 0; i < (int)(sizeof(on_keys) / sizeof(on_keys[0])); i++)
		if (!strcmp(key, on_keys[i]))
			return set_trigger(t, (enum timer_base)i, v, why);
	if (!strcmp(key, "AccuracySec") || !strcmp(key, "RandomizedDelaySec")) {
		uint64_t us = key[0] == 'A' ? 60000000 : 0; /* empty: the default */
		if (*v && (ret = uv_timespan(v, &us, why)))
			return ret;
		if (key[0] == 'A')
			t->accuracy_usec = us ? us : 1; /* systemd: zero accuracy becomes 1 µs */
		else
			t->random_delay_usec = us;
		return 0;
	}
	if (!strcmp(key, "Unit")) {
		const char *suffix = unit_name_suffix(v);
		if (!suffix || unit_name_is_template(v) || !strcmp(suffix, ".timer"))
			return fail(why, "not a unit to start (NAME.service, NAME.socket, NAME.target)", -EINVAL);
		memcpy(t->unit, v, strlen(v) + 1);
		return 0;
	}
	for (size_t i = 0; i < sizeof(flags) / sizeof(flags[0]); i++) {
		if (strcmp(key, flags[i].key))
			continue;
		if (*v && (ret = uv_bool(v, &b, why)))
			return ret;
		if (!flags[i].refused)
			*(bool *)((char *)t + flags[i].field) = *v ? b : i == 1; /* empty: the default */
		else if (b)
			return fail(why, flags[i].refused, -ENOTSUP);
		return 0;
	}
	return fail(why, "not a [Timer] setting", -ENOENT);
}

int timer_check(struct unit_timer *t, const char *timer_name, const char **why)
{
	size_t n = strlen(timer_name);
	if (n <= 6 || n > UNIT_NAME_MAX || strcmp(timer_name + n - 6, ".timer"))
		return fail(why, "not a NAME.timer unit name", -EINVAL);
	if (!t->n)
		return fail(why, "no trigger (OnCalendar=, OnBootSec=, …): it would never elapse", -EINVAL);
	if (!t->unit[0]) {
		if (n - 6 + 8 > UNIT_NAME_MAX)
			return fail(why, "the unit to start (NAME.service) would be too long a name", -EINVAL);
		memcpy(t->unit, timer_name, n - 6);
		memcpy(t->unit + n - 6, ".service", 9);
		if (!unit_name_suffix(t->unit) || unit_name_is_template(t->unit))
			return fail(why, "a template timer needs Unit= (or an instance name)", -EINVAL);
	}
	return 0;
}

static uint64_t add_sat(uint64_t a, uint64_t b)
{
	return a > TIMER_NEVER - 1 - b ? TIMER_NEVER - 1 : a + b;
}

int timer_next(const struct unit_timer *t, const struct timer_times *s, uint64_t *mono, uint64_t *real)
{
	bool last = s->last_mono || s->last_real;
	uint64_t m = TIMER_NEVER, r = TIMER_NEVER;
	for (size_t i = 0; i < t->n; i++) {
		const struct timer_trigger *v = &t->v[i];
		uint64_t base = 0, next;
		switch (v->base) {
		case TIMER_CALENDAR: {
			/* from the last elapse (the Persistent= stamp after a reboot: a missed one is due at
			 * once), else from when the timer was started; never before keel init started */
			base = last ? s->last_real : s->active_real ? s->active_real : s->now_real;
			if (cal_next(&v->cal, base, &next))
				continue;
			uint64_t since = s->now_mono - (s->startup_mono < s->now_mono ? s->startup_mono : s->now_mono);
			uint64_t started = s->now_real > since ? s->now_real - since : 0;
			if (next < started)
				next = started;
			r = next < r ? next : r;
			continue;
		}
		case TIMER_ACTIVE:
			base = s->active_mono;
			break;
		case TIMER_BOOT:
			base = s->container ? s->startup_mono : 0;
			break;
		case TIMER_STARTUP:
			base = s->startup_mono;
			break;
		case TIMER_UNIT_ACTIVE:
		case TIMER_UNIT_INACTIVE:
			base = v->base == TIMER_UNIT_ACTIVE ? s->unit_active_mono : s->unit_inactive_mono;
			base = base > s->last_mono ? base : s->last_mono;
			if (!base)
				continue; /* that unit never ran: not armed */
			break;
		}
		next = add_sat(base, v->usec);
		/* a one-time trigger that already fired is done (since the timer's start: a Persistent=
		 * stamp from before a reboot does not count, as systemd's "initial" run) */
		if (s->last_mono && next < s->now_mono && v->base <= TIMER_STARTUP)
			continue;
		m = next < m ? next : m;
	}
	if (m == TIMER_NEVER && r == TIMER_NEVER)
		return -ENOENT;
	if (t->random_delay_usec) {
		uint64_t add = s->random % t->random_delay_usec;
		if (m != TIMER_NEVER)
			m = add_sat(m, add);
		if (r != TIMER_NEVER)
			r = add_sat(r, add);
	}
	*mono = m;
	*real = r;
	return 0;
}
