/* svc_timer.c — .timer units in the supervisor (see svc_timer.h). */
#include "init/svc_timer.h"
#include "base/buf.h"
#include "base/err.h"
#include "base/log.h"
#include "init/svc_jobs.h"
#include "init/timer_parse.h"
#include "init/timer_stamp.h"
#include "init/unit_cond.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#define SEC 1000000ULL

uint64_t timer_coalesce(uint64_t a, uint64_t b, uint64_t perturb)
{
	if (b <= a + 1 || a == TIMER_NEVER)
		return a;
	for (uint64_t step = 60 * SEC; step >= SEC / 4; step = step == 60 * SEC ? 10 * SEC : step / (step == SEC ? 4 : 10)) {
		uint64_t c = b / step * step + perturb % step;
		if (c >= b) {
			if (c < step)
				return b;
			c -= step;
		}
		if (c >= a)
			return c;
	}
	return b;
}

static uint64_t real_us(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return timespec_us(&ts);
}

static uint64_t hash(uint64_t h, const char *s)
{
	for (; s && *s; s++)
		h = (h ^ (unsigned char)*s) * 0x100000001b3ULL;
	return h;
}

/* systemd's "perturbation": one offset per boot, so that the timers of a host wake together */
static uint64_t perturb(void)
{
	return hash(0xcbf29ce484222325ULL, unit_host_fact(HF_BOOT_ID)) % (60 * SEC);
}

static bool down(enum svc_active a) { return a == ACT_INACTIVE || a == ACT_FAILED; }

/* The realtime timerfd at the earliest OnCalendar= elapse of any waiting timer (disarmed when
 * none): it fires then, or at once with ECANCELED when the clock is set. */
static void clock_arm(struct jobs *m)
{
	uint64_t r = TIMER_NEVER;
	for (size_t i = 0; i < m->n; i++) {
		const struct svc *s = m->v[i];
		if (s->tm && s->sub == SUB_WAITING && s->active == ACT_ACTIVE && s->tm->wake_real < r)
			r = s->tm->wake_real;
	}
	if (m->clock_fd < 0) {
		if (r == TIMER_NEVER)
			return;
		int fd = timerfd_create(CLOCK_REALTIME, TFD_NONBLOCK | TFD_CLOEXEC);
		m->w_clock.kind = W_CLOCK;
		if (fd < 0 || epoll_ctl(m->epfd, EPOLL_CTL_ADD, fd, &(struct epoll_event){.events = EPOLLIN, .data.ptr = &m->w_clock})) {
			log_err("timers: timerfd: %s", strerror(errno));
			if (fd >= 0)
				close(fd);
			return;
		}
		m->clock_fd = fd;
	}
	struct itimerspec it = {0};
	if (r != TIMER_NEVER) {
		r = r ? r : 1;
		it.it_value.tv_sec = (time_t)(r / SEC);
		it.it_value.tv_nsec = (long)(r % SEC * 1000);
	}
	if (timerfd_settime(m->clock_fd, TFD_TIMER_ABSTIME | TFD_TIMER_CANCEL_ON_SET, &it, NULL))
		log_err("timers: timerfd_settime: %s", strerror(errno));
}

/* Wait for the next elapse, or end as "elapsed" / inactive when nothing is left to wait for. */
static void enter_waiting(struct jobs *m, struct svc *s)
{
	const struct unit_timer *t = s->u.timer;
	struct svc_timer *tm = s->tm;
	uint64_t mn, rl, draw = 0;
	if (t->random_delay_usec) {
		if (t->fixed_random_delay)
			draw = hash(hash(0xcbf29ce484222325ULL, unit_host_fact(HF_MACHINE_ID)), s->name);
		else if (getrandom(&draw, sizeof(draw), GRND_NONBLOCK) != sizeof(draw))
			draw = hash(mono_us(), s->name);
	}
	struct timer_times tt = {.now_mono = mono_us(), .now_real = real_us(), .startup_mono = m->start_mono,
		.container = getpid() != 1, .active_mono = tm->active_mono, .active_real = tm->active_real,
		.unit_active_mono = tm->unit_active_mono, .unit_inactive_mono = tm->unit_inactive_mono,
		.last_mono = tm->last_mono, .last_real = tm->last_real, .random = draw};
	s->deadline = 0;
	tm->next_mono = tm->next_real = tm->wake_real = TIMER_NEVER;
	if (timer_next(t, &tt, &mn, &rl)) {
		bool leave = t->remain_after_elapse;
		for (size_t i = 0; i < t->n; i++)
			leave |= t->v[i].base == TIMER_UNIT_ACTIVE || t->v[i].base == TIMER_UNIT_INACTIVE;
		log_info("%s: elapsed", s->name);
		svc_enter(m, s, leave ? ACT_ACTIVE : ACT_INACTIVE, leave ? SUB_ELAPSED : SUB_DEAD);
	} else {
		uint64_t p = perturb(), acc = t->accuracy_usec;
		tm->next_mono = mn;
		tm->next_real = rl;
		if (mn != TIMER_NEVER) { /* the wake-up: within AccuracySec= after the elapse (0 means none) */
			s->deadline = timer_coalesce(mn, mn > TIMER_NEVER - 1 - acc ? TIMER_NEVER - 1 : mn + acc, p);
			s->deadline += !s->deadline;
		}
		if (rl != TIMER_NEVER)
			tm->wake_real = timer_coalesce(rl, rl > TIMER_NEVER - 1 - acc ? TIMER_NEVER - 1 : rl + acc, p);
		svc_enter(m, s, ACT_ACTIVE, SUB_WAITING);
	}
	clock_arm(m);
}

void svc_timer_start(struct jobs *m, struct svc *s)
{
	struct kerr e = {0};
	if (!s->tm && !(s->tm = calloc(1, sizeof(*s->tm)))) {
		s->result = RES_RESOURCES;
		str_copy(s->error, sizeof(s->error), "out of memory");
		svc_enter(m, s, ACT_FAILED, SUB_FAILED);
		return;
	}
	struct svc_timer *tm = s->tm;
	tm->active_mono = mono_us();
	tm->active_real = real_us();
	tm->last_mono = tm->last_real = 0;
	s->result = RES_SUCCESS;
	s->error[0] = 0;
	if (s->u.timer->persistent && timer_stamp_read(m->rootfd, TIMER_STAMP_DIR, s->name, tm->active_real,
		&tm->last_real, &e) && e.msg[0])
		log_warn("%s: Persistent= stamp ignored: %s", s->name, e.msg);
	enter_waiting(m, s);
}

void svc_timer_stop(struct jobs *m, struct svc *s)
{
	s->deadline = 0;
	svc_enter(m, s, s->active == ACT_FAILED ? ACT_FAILED : ACT_INACTIVE, s->active == ACT_FAILED ? SUB_FAILED : SUB_DEAD);
	clock_arm(m);
}

/* mkdir -p DIR beneath the root, each component a real directory (never a symlink) */
static int stamp_dir(int rootfd)
{
	char p[] = TIMER_STAMP_DIR;
	int fd = openat(rootfd, ".", O_PATH | O_DIRECTORY | O_CLOEXEC), ret = 0;
	for (char *c = strtok(p, "/"); c && fd >= 0; c = strtok(NULL, "/")) {
		if (mkdirat(fd, c, 0755) && errno != EEXIST)
			ret = -errno;
		int n = ret ? -1 : openat(fd, c, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (n < 0 && !ret)
			ret = -errno;
		close(fd);
		fd = n;
	}
	if (fd >= 0)
		close(fd);
	return fd < 0 && !ret ? -EBADF : ret;
}

static void elapse(struct jobs *m, struct svc *s)
{
	struct kerr e = {0};
	uint64_t id;
	struct svc_timer *tm = s->tm;
	const char *name = s->u.timer->unit;
	struct svc *u = jobs_get(m, name, &e);
	int ret = 0;
	tm->last_mono = mono_us();
	tm->last_real = real_us();
	if (s->u.timer->persistent && ((ret = stamp_dir(m->rootfd)) ||
		(ret = timer_stamp_write(m->rootfd, TIMER_STAMP_DIR, s->name, tm->last_real))))
		log_err("%s: Persistent= stamp: %s", s->name, strerror(-ret));
	log_info("%s: elapsed: starting %s", s->name, name);
	svc_enter(m, s, ACT_ACTIVE, SUB_RUNNING);
	if (!u || u->load != LOAD_LOADED || (ret = jobs_enqueue(m, u, JOB_START, false, &id))) {
		s->result = RES_RESOURCES;
		str_fmt(s->error, sizeof(s->error), "cannot start %s: %s", name, !u ? e.msg : u->load != LOAD_LOADED ?
			unit_load_name(u->load) : strerror(-ret));
		log_err("%s: %s", s->name, s->error);
		svc_enter(m, s, ACT_FAILED, SUB_FAILED);
		clock_arm(m);
	}
}

void svc_timer_due(struct jobs *m, struct svc *s)
{
	uint64_t mono = s->deadline;
	s->deadline = 0;
	if (s->sub != SUB_WAITING || !s->tm || m->shutting_down)
		return;
	if ((mono && mono <= mono_us()) || s->tm->wake_real <= real_us())
		elapse(m, s);
	else
		enter_waiting(m, s);
}

void svc_timer_notify(struct jobs *m, struct svc *u, enum svc_active old)
{
	if (u->load != LOAD_LOADED || u->u.kind == UNIT_TIMER || m->shutting_down)
		return;
	for (size_t i = 0; i < m->n; i++) {
		struct svc *s = m->v[i];
		if (!s->tm || s->load != LOAD_LOADED || s->u.kind != UNIT_TIMER || strcmp(s->u.timer->unit, u->name))
			continue;
		if (down(old) && !down(u->active))
			s->tm->unit_active_mono = mono_us();
		if (!down(old) && down(u->active))
			s->tm->unit_inactive_mono = mono_us();
		if (s->active == ACT_ACTIVE && (s->sub != SUB_RUNNING || down(u->active)))
			enter_waiting(m, s);
	}
}

void svc_timers_clock(struct jobs *m)
{
	uint64_t n;
	uint64_t now = real_us();
	if (read(m->clock_fd, &n, sizeof(n)) < 0 && errno == ECANCELED)
		log_notice("timers: the clock was set");
	for (size_t i = 0; i < m->n; i++) {
		struct svc *s = m->v[i];
		if (!s->tm || s->active != ACT_ACTIVE || s->sub != SUB_WAITING)
			continue;
		/* set back: an elapse "in the future" may come again (systemd: timer_time_change) */
		if (s->tm->last_real > now)
			s->tm->last_real = now;
		svc_timer_due(m, s);
	}
	clock_arm(m);
}

int svc_timers_list(const struct jobs *m, struct buf *out, const struct svc *only)
{
	uint64_t now_m = mono_us(), now_r = real_us();
	int ret = 0;
	for (size_t i = 0; i < m->n && !ret; i++) {
		const struct svc *s = m->v[i];
		if (s->load != LOAD_LOADED || s->u.kind != UNIT_TIMER || (only && s != only))
			continue;
		uint64_t next = 0, last = s->tm ? s->tm->last_real : 0;
		if (s->tm && s->active == ACT_ACTIVE && s->sub == SUB_WAITING) {
			next = s->tm->next_real;
			if (s->tm->next_mono != TIMER_NEVER) {
				uint64_t r = s->tm->next_mono > now_m ? now_r + (s->tm->next_mono - now_m) : now_r;
				next = r < next ? r : next;
			}
		}
		ret = buf_printf(out, "%s\t%llu\t%llu\t%s\t%s\n", s->name, (unsigned long long)(next == TIMER_NEVER ? 0 : next),
			(unsigned long long)last, s->u.timer->unit, svc_active_name(s->active));
	}
	return ret;
}
