/* svc_jobs.c — all units: loading, jobs, ordering, cycles, reaping, notify routing (see svc_state.h). */
#include "init/svc_jobs.h"
#include "init/journal.h"
#include "base/buf.h"
#include "base/err.h"
#include "base/log.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/inotify.h>
#include <sys/wait.h>
#include <unistd.h>

#define POLL_USEC 50000 /* without cgroups: how often "are the unit's processes gone?" is asked */

int jobs_init(struct jobs *m, const struct jobs_opts *o, int epfd, struct kerr *e)
{
	int ret;
	memset(m, 0, sizeof(*m));
	m->rootfd = m->inotify_fd = m->clock_fd = -1;
	m->cg.rootfd = m->cg.slicefd = -1;
	m->epfd = epfd;
	m->start_mono = mono_us();
	fdsink_init(&m->sink);
	m->log_max = o->log_max ? o->log_max : SVC_LOG_DEFAULT;
	m->nofile = o->nofile;
	if (str_copy(m->notify_path, sizeof(m->notify_path), o->notify_path))
		return kerr_set(e, -ENAMETOOLONG, "notify socket path too long");
	if ((ret = unit_dirs_open(&m->dirs, o->root, e)))
		return ret;
	if ((m->rootfd = open(o->root, O_PATH | O_DIRECTORY | O_CLOEXEC)) < 0) {
		ret = kerr_set(e, -errno, "%s: %s", o->root, strerror(errno));
		goto fail;
	}
	if (o->cgroups) {
		if ((ret = cg_open(&m->cg, o->cgroup_path, e)))
			goto fail;
		m->use_cg = true;
		if ((m->inotify_fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC)) < 0) {
			ret = kerr_set(e, -errno, "inotify: %s", strerror(errno));
			goto fail;
		}
	}
	return 0;
fail:
	jobs_free(m);
	return ret;
}

void jobs_free(struct jobs *m)
{
	if (!m)
		return;
	for (size_t i = 0; i < m->n; i++)
		svc_free(m->v[i]);
	free(m->v);
	free(m->by_name);
	free(m->ord);
	free(m->ord_t);
	free(m->req_by);
	m->v = m->by_name = NULL;
	m->ord = m->ord_t = m->req_by = NULL;
	m->n = 0;
	unit_dirs_close(&m->dirs);
	cg_close(&m->cg);
	if (m->rootfd >= 0)
		close(m->rootfd);
	if (m->inotify_fd >= 0)
		close(m->inotify_fd);
	if (m->clock_fd >= 0)
		close(m->clock_fd);
	m->rootfd = m->inotify_fd = m->clock_fd = -1;
}

static int name_cmp(const void *key, const void *elem)
{
	return strcmp(key, (*(struct svc *const *)elem)->name);
}

struct svc *jobs_find(const struct jobs *m, const char *name)
{
	struct svc **p = m->n ? bsearch(name, m->by_name, m->n, sizeof(*m->by_name), name_cmp) : NULL;
	return p ? *p : NULL;
}

static bool down_state(enum svc_active a) { return a == ACT_INACTIVE || a == ACT_FAILED; }
static bool down(const struct svc *s) { return down_state(s->active); }

/* (Re)read the unit's files. */
static void load(struct jobs *m, struct svc *s)
{
	struct kerr le = {0};
	unit_free(&s->u);
	s->error[0] = 0;
	if (unit_load(&m->dirs, s->name, &s->u, &s->load, &le)) {
		s->load = LOAD_ERROR;
		str_copy(s->error, sizeof(s->error), le.msg);
		log_err("%s", le.msg);
	} else if (s->load != LOAD_LOADED) {
		str_fmt(s->error, sizeof(s->error), "unit %s", unit_load_name(s->load));
	}
	m->graph_dirty = m->index_dirty = true;
}

/* A unit that is down, has no job and no process may be read again from disk. */
static bool reloadable(const struct svc *s)
{
	return down(s) && s->sub != SUB_AUTO_RESTART && s->job == JOB_NONE && !s->main_pid && !s->control_pid &&
		s->cg_fd < 0;
}

struct svc *jobs_get(struct jobs *m, const char *name, struct kerr *e)
{
	struct svc *s = jobs_find(m, name);
	if (s) {
		if (s->load != LOAD_LOADED && reloadable(s)) /* it may have been written or fixed since */
			load(m, s);
		return s;
	}
	if (m->n == SVC_MAX) {
		kerr_set(e, -E2BIG, "more than %d units", SVC_MAX);
		return NULL;
	}
	struct svc **v = realloc(m->v, (m->n + 1) * sizeof(*v));
	struct svc **by = v ? realloc(m->by_name, (m->n + 1) * sizeof(*by)) : NULL;
	if (v)
		m->v = v;
	if (by)
		m->by_name = by;
	if (!v || !by || !(s = calloc(1, sizeof(*s)))) {
		kerr_set(e, -ENOMEM, "out of memory");
		return NULL;
	}
	if (str_copy(s->name, sizeof(s->name), name)) {
		free(s);
		kerr_set(e, -EINVAL, "unit name too long");
		return NULL;
	}
	s->cg_fd = s->out_r = s->out_w = s->spawn_fd = -1;
	s->w_out = (struct watch){W_OUT, s};
	s->w_spawn = (struct watch){W_SPAWN, s};
	log_ring_init(&s->log, m->log_max);
	s->state_since = mono_us();
	load(m, s);
	size_t lo = 0, hi = m->n; /* its place by name */
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (strcmp(m->by_name[mid]->name, name) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	memmove(m->by_name + lo + 1, m->by_name + lo, (m->n - lo) * sizeof(*m->by_name));
	m->by_name[lo] = s;
	s->pos = m->n;
	m->v[m->n++] = s;
	return s;
}

/* ---- ordering ------------------------------------------------------------------------------- */

static bool explicit_after(const struct svc *a, const struct svc *b)
{
	return (a->load == LOAD_LOADED && strv_has(&a->u.after, b->name)) ||
		(b->load == LOAD_LOADED && strv_has(&b->u.before, a->name));
}

/* The definition: is a ordered after b? A target is implicitly after what it wants or requires.
 * The index below holds it for every pair; this builds it, and stands in when the index cannot
 * be built (out of memory). */
static bool after_def(const struct svc *a, const struct svc *b)
{
	if (a == b)
		return false;
	if (explicit_after(a, b))
		return true;
	return a->load == LOAD_LOADED && a->u.kind == UNIT_TARGET &&
		(strv_has(&a->u.wants, b->name) || strv_has(&a->u.requires, b->name)) && !explicit_after(b, a);
}

/* The ordering index. Asked pair by pair (each question a scan of name lists), every cycle
 * check and every dispatch pass cost O(n^2 * L) for n units with lists of L names: 1,024 units
 * with long After= lists kept PID 1 busy for minutes. Instead the relation is built once after
 * units were (re)loaded — each name looked up by bsearch, O(L_total log n + n^2/64) — into bit
 * matrices whose rows are walked in position order, as the pairwise loops went. */
static size_t row_words(size_t n) { return (n + 63) / 64; }

static void bit_set(uint64_t *mat, size_t w, size_t row, size_t col) { mat[row * w + col / 64] |= 1ULL << (col % 64); }

static bool bit_get(const uint64_t *mat, size_t w, size_t row, size_t col)
{
	return mat[row * w + col / 64] >> (col % 64) & 1;
}

/* The next set bit of row at or after col, or n. */
static size_t row_next(const uint64_t *mat, size_t n, size_t row, size_t col)
{
	const uint64_t *r = mat + row * row_words(n);
	while (col < n) {
		uint64_t bits = r[col / 64] >> (col % 64);
		if (bits)
			return col + (size_t)__builtin_ctzll(bits);
		col = (col / 64 + 1) * 64;
	}
	return n;
}

/* A bit for each loaded unit named in names (but self): (self, unit) or, transposed, (unit, self). */
static void mark(const struct jobs *m, uint64_t *mat, const struct strv *names, size_t self, bool transposed)
{
	size_t w = row_words(m->n);
	for (size_t k = 0; k < names->n; k++) {
		const struct svc *o = jobs_find(m, names->v[k]);
		if (o && o->pos != self)
			bit_set(mat, w, transposed ? o->pos : self, transposed ? self : o->pos);
	}
}

static void index_drop(struct jobs *m)
{
	free(m->ord);
	free(m->ord_t);
	free(m->req_by);
	m->ord = m->ord_t = m->req_by = NULL;
}

/* Rebuild the index if units were (re)loaded since; false if it cannot be had. */
static bool index_fresh(struct jobs *m)
{
	if (!m->index_dirty && m->index_n == m->n)
		return m->ord != NULL;
	index_drop(m);
	size_t n = m->n, w = row_words(n), words = n * w;
	if (!words)
		words = 1;
	uint64_t *expl = calloc(words, sizeof(uint64_t));
	m->ord = calloc(words, sizeof(uint64_t));
	m->ord_t = calloc(words, sizeof(uint64_t));
	m->req_by = calloc(words, sizeof(uint64_t));
	if (!expl || !m->ord || !m->ord_t || !m->req_by) {
		free(expl);
		index_drop(m);
		return false;
	}
	m->index_dirty = false;
	m->index_n = n;
	for (size_t i = 0; i < n; i++) { /* explicit_after(v[i], v[j]) */
		const struct svc *s = m->v[i];
		if (s->load != LOAD_LOADED)
			continue;
		mark(m, expl, &s->u.after, i, false);
		mark(m, expl, &s->u.before, i, true);
		mark(m, m->req_by, &s->u.requires, i, true);
		mark(m, m->req_by, &s->u.binds_to, i, true);
	}
	memcpy(m->ord, expl, words * sizeof(uint64_t));
	for (size_t i = 0; i < n; i++) { /* a target after what it wants or requires, unless ordered otherwise */
		const struct svc *s = m->v[i];
		if (s->load != LOAD_LOADED || s->u.kind != UNIT_TARGET)
			continue;
		const struct strv *lists[2] = {&s->u.wants, &s->u.requires};
		for (int l = 0; l < 2; l++)
			for (size_t k = 0; k < lists[l]->n; k++) {
				const struct svc *o = jobs_find(m, lists[l]->v[k]);
				if (o && o->pos != i && !bit_get(expl, w, o->pos, i))
					bit_set(m->ord, w, i, o->pos);
			}
	}
	free(expl);
	for (size_t i = 0; i < n; i++)
		for (size_t j = row_next(m->ord, n, i, 0); j < n; j = row_next(m->ord, n, i, j + 1))
			bit_set(m->ord_t, w, j, i);
	return true;
}

/* Is a ordered after b? Call index_fresh() first (its answer says whether the index is there). */
static bool after(const struct jobs *m, const struct svc *a, const struct svc *b)
{
	return m->ord ? bit_get(m->ord, row_words(m->n), a->pos, b->pos) : after_def(a, b);
}

/* The next position from j on whose unit v[i] is ordered after (down: that is ordered after
 * v[i]), or n. */
static size_t next_order(const struct jobs *m, size_t i, size_t j, bool down)
{
	if (m->ord)
		return row_next(down ? m->ord_t : m->ord, m->n, i, j);
	while (j < m->n && !(down ? after_def(m->v[j], m->v[i]) : after_def(m->v[i], m->v[j])))
		j++;
	return j;
}

/* Does o (loaded) require s? */
static bool requires(struct jobs *m, const struct svc *o, const struct svc *s)
{
	if (o->load != LOAD_LOADED)
		return false;
	if (strv_has(&o->u.part_of, s->name)) /* PartOf=: the same for stops and restarts */
		return true;
	return index_fresh(m) ? bit_get(m->req_by, row_words(m->n), s->pos, o->pos) :
				strv_has(&o->u.requires, s->name) || strv_has(&o->u.binds_to, s->name);
}

static bool dfs(struct jobs *m, size_t i, unsigned char *color, size_t *stack, size_t depth)
{
	bool found = false;
	color[i] = 1;
	stack[depth] = i;
	for (size_t j = next_order(m, i, 0, false); j < m->n; j = next_order(m, i, j + 1, false)) {
		if (color[j] == 1) {
			/* a cycle: stack from j to i, back to j */
			struct buf b = BUF_INIT(CTL_TEXT_MAX);
			size_t k = depth;
			while (stack[k] != j)
				k--;
			buf_puts(&b, "ordering cycle: ");
			for (size_t x = k; x <= depth; x++) {
				buf_printf(&b, "%s after ", m->v[stack[x]]->name);
				m->v[stack[x]]->cycle = true;
			}
			buf_puts(&b, m->v[j]->name);
			log_err("%s", b.p ? (char *)b.p : "ordering cycle (description too long)");
			for (size_t x = k; x <= depth; x++)
				str_copy(m->v[stack[x]]->error, sizeof(m->v[stack[x]]->error), b.p ? (char *)b.p : "ordering cycle");
			buf_free(&b);
			found = true;
		} else if (color[j] == 0) {
			found |= dfs(m, j, color, stack, depth + 1);
		}
	}
	color[i] = 2;
	return found;
}

static void check_cycles(struct jobs *m)
{
	if (!m->graph_dirty)
		return;
	m->graph_dirty = false;
	for (size_t i = 0; i < m->n; i++)
		m->v[i]->cycle = false;
	unsigned char *color = calloc(m->n, 1);
	size_t *stack = calloc(m->n, sizeof(size_t));
	index_fresh(m);
	if (color && stack)
		for (size_t i = 0; i < m->n; i++)
			if (!color[i])
				dfs(m, i, color, stack, 0);
	free(color);
	free(stack);
}

/* ---- jobs ---------------------------------------------------------------------------------- */

int jobs_done(const struct svc *s, uint64_t id, bool *ok)
{
	if (s->done_id < id)
		return 0;
	*ok = s->done_id == id ? s->done_ok : true;
	return 1;
}

static void pull_deps(struct jobs *m, struct svc *s);
static int enqueue(struct jobs *m, struct svc *s, enum job_type t, bool user, uint64_t *id);

static void cancel(struct jobs *m, struct svc *s)
{
	if (s->job == JOB_NONE)
		return;
	svc_job_done(m, s, false);
}

/* Jobs pull in more jobs (and units); cycles are looked for once, when the first one is queued. */
int jobs_enqueue(struct jobs *m, struct svc *s, enum job_type t, bool user, uint64_t *id)
{
	m->enqueue_depth++;
	int ret = enqueue(m, s, t, user, id);
	if (!--m->enqueue_depth)
		check_cycles(m);
	return ret;
}

/* A reload job: for an active unit with ExecReload=, then for those its reloads propagate to. */
static int enqueue_reload(struct jobs *m, struct svc *s, uint64_t *id)
{
	if (s->load != LOAD_LOADED || !s->u.exec_reload.n)
		return -EOPNOTSUPP;
	if (s->active != ACT_ACTIVE)
		return -ESRCH;
	if (s->job == JOB_RELOAD) {
		*id = s->job_id;
		return 0;
	}
	if (s->job != JOB_NONE)
		return -EBUSY;
	s->job = JOB_RELOAD;
	s->job_id = *id = ++m->next_job_id;
	s->job_begun = false;
	for (size_t i = 0; i < m->n; i++) {
		struct svc *o = m->v[i];
		uint64_t ignore;
		if (o != s && o->load == LOAD_LOADED && o->job == JOB_NONE &&
			(strv_has(&s->u.propagates_reload_to, o->name) || strv_has(&o->u.reload_propagated_from, s->name)))
			enqueue_reload(m, o, &ignore);
	}
	return 0;
}

static int enqueue(struct jobs *m, struct svc *s, enum job_type t, bool user, uint64_t *id)
{
	if (m->shutting_down && t != JOB_STOP)
		return -ESHUTDOWN;
	if (user && s->load == LOAD_LOADED &&
		((t == JOB_STOP && s->u.refuse_manual_stop) || ((t == JOB_START || t == JOB_RESTART) && s->u.refuse_manual_start)))
		return -EPERM;
	if (t == JOB_RELOAD)
		return enqueue_reload(m, s, id);
	uint64_t nid = ++m->next_job_id;
	if (user && t != JOB_STOP && reloadable(s))
		load(m, s); /* an administrator's start reads the unit's files again */
	if (user && (t == JOB_START || t == JOB_RESTART) && s->active == ACT_FAILED) {
		s->limit_window = 0; /* an administrator's start forgives earlier failures */
		s->limit_count = 0;
		s->backoff = 0;
	}
	switch (t) {
	case JOB_START:
		if (s->job == JOB_START || s->job == JOB_RESTART) {
			*id = s->job_id;
			return 0;
		}
		if (s->job == JOB_STOP) {
			s->job = JOB_RESTART; /* finish stopping, then start */
			*id = s->job_id;
			break;
		}
		if (s->active == ACT_ACTIVE || (s->active == ACT_ACTIVATING && s->sub != SUB_AUTO_RESTART)) {
			/* already up or coming up on its own: nothing to do */
			s->job = JOB_START;
			s->job_id = *id = nid;
			s->job_begun = true;
			if (s->active == ACT_ACTIVE)
				svc_job_done(m, s, true);
			break;
		}
		s->job = JOB_START;
		s->job_id = *id = nid;
		s->job_begun = false;
		break;
	case JOB_STOP:
		if (s->job == JOB_STOP) {
			*id = s->job_id;
			return 0;
		}
		cancel(m, s);
		s->job = JOB_STOP;
		s->job_id = *id = nid;
		s->job_begun = false;
		for (size_t i = 0; i < m->n; i++) {
			struct svc *o = m->v[i];
			uint64_t ignore;
			if (o != s && requires(m, o, s) &&
				(!down(o) || o->job == JOB_START || o->job == JOB_RESTART || o->sub == SUB_AUTO_RESTART))
				enqueue(m, o, JOB_STOP, false, &ignore);
		}
		return 0;
	case JOB_RESTART:
		if (s->job == JOB_RESTART) {
			*id = s->job_id;
			return 0;
		}
		if (s->job == JOB_STOP) {
			s->job = JOB_RESTART;
			*id = s->job_id;
			break;
		}
		cancel(m, s);
		s->job = (down(s) && s->sub != SUB_AUTO_RESTART) ? JOB_START : JOB_RESTART;
		s->job_id = *id = nid;
		s->job_begun = false;
		for (size_t i = 0; i < m->n; i++) {
			struct svc *o = m->v[i];
			uint64_t ignore;
			if (o != s && requires(m, o, s) && !down(o))
				enqueue(m, o, JOB_RESTART, false, &ignore);
		}
		break;
	case JOB_NONE:
	case JOB_RELOAD:
		return -EINVAL;
	}
	pull_deps(m, s);
	return 0;
}

static void pull_deps(struct jobs *m, struct svc *s)
{
	if (s->load != LOAD_LOADED)
		return;
	for (size_t i = 0; i < m->n; i++) { /* Conflicts=, both ways: the other unit stops */
		struct svc *o = m->v[i];
		uint64_t ignore;
		if (o != s && o->load == LOAD_LOADED && (!down(o) || o->job == JOB_START || o->job == JOB_RESTART) &&
			(strv_has(&s->u.conflicts, o->name) || strv_has(&o->u.conflicts, s->name)))
			enqueue(m, o, JOB_STOP, false, &ignore);
	}
	const struct strv *lists[4] = {&s->u.requires, &s->u.binds_to, &s->u.wants, &s->u.upholds};
	for (int l = 0; l < 4; l++)
		for (size_t i = 0; i < lists[l]->n; i++) {
			struct kerr e = {0};
			struct svc *o = jobs_get(m, lists[l]->v[i], &e);
			uint64_t ignore;
			if (!o) {
				log_err("%s: %s", s->name, e.msg);
				continue;
			}
			if (o->load != LOAD_LOADED) {
				if (l >= 2)
					log_notice("%s: wanted unit %s is %s", s->name, o->name, unit_load_name(o->load));
				continue;
			}
			if (o->job == JOB_NONE && (o->active == ACT_ACTIVE || (o->active == ACT_ACTIVATING && o->sub != SUB_AUTO_RESTART)))
				continue;
			if (o->job != JOB_START && o->job != JOB_RESTART)
				enqueue(m, o, JOB_START, false, &ignore);
		}
}

int jobs_start_ready(struct jobs *m, struct svc *s)
{
	if (s->cycle || s->load != LOAD_LOADED)
		return 1; /* svc_begin_start() reports it */
	index_fresh(m);
	for (size_t i = next_order(m, s->pos, 0, false); i < m->n; i = next_order(m, s->pos, i + 1, false))
		if (m->v[i]->job != JOB_NONE)
			return 0;
	for (size_t i = 0; i < s->u.requisite.n; i++) { /* Requisite=: must be up already */
		struct svc *o = jobs_find(m, s->u.requisite.v[i]);
		if (!o || o->load != LOAD_LOADED || !(o->active == ACT_ACTIVE || o->job == JOB_START || o->job == JOB_RESTART)) {
			str_fmt(s->error, sizeof(s->error), "requisite unit %s is not active", s->u.requisite.v[i]);
			return -1;
		}
	}
	const struct strv *req[2] = {&s->u.requires, &s->u.binds_to};
	for (int l = 0; l < 2; l++)
		for (size_t i = 0; i < req[l]->n; i++) {
			struct svc *o = jobs_find(m, req[l]->v[i]);
			if (!o || o->load != LOAD_LOADED) {
				str_fmt(s->error, sizeof(s->error), "required unit %s is %s", req[l]->v[i],
					o ? unit_load_name(o->load) : "not loaded");
				return -1;
			}
			if (after(m, s, o) && !(o->active == ACT_ACTIVE || (o->active == ACT_INACTIVE && o->result == RES_SUCCESS && o->done_ok))) {
				str_fmt(s->error, sizeof(s->error), "required unit %s did not start (%s)", o->name, svc_active_name(o->active));
				return -1;
			}
		}
	return 1;
}

bool jobs_stop_ready(struct jobs *m, struct svc *s)
{
	index_fresh(m);
	for (size_t i = next_order(m, s->pos, 0, true); i < m->n; i = next_order(m, s->pos, i + 1, true)) {
		const struct svc *o = m->v[i];
		if (o->job == JOB_STOP || (o->job == JOB_RESTART && o->job_begun))
			return false;
	}
	return true;
}

void jobs_dispatch(struct jobs *m)
{
	bool progress = true;
	while (progress) {
		progress = false;
		bool in_flight = false, waiting = false;
		for (size_t i = 0; i < m->n; i++) {
			struct svc *s = m->v[i];
			if (s->job == JOB_NONE)
				continue;
			if (s->job_begun) {
				in_flight = true;
				continue;
			}
			if (s->job == JOB_RELOAD) {
				svc_begin_reload(m, s);
				progress = true;
			} else if (s->job == JOB_START) {
				int r = jobs_start_ready(m, s);
				if (r == 0) {
					waiting = true;
					continue;
				}
				if (r < 0) {
					s->result = RES_DEPENDENCY;
					log_err("%s: %s", s->name, s->error);
					s->job_begun = true;
					svc_job_done(m, s, false);
					if (down(s) && s->active != ACT_FAILED) {
						s->active = ACT_FAILED;
						s->sub = SUB_FAILED;
						s->state_since = mono_us();
					}
				} else {
					svc_begin_start(m, s);
				}
				progress = true;
			} else {
				if (!jobs_stop_ready(m, s)) {
					waiting = true;
					continue;
				}
				svc_begin_stop(m, s);
				progress = true;
			}
		}
		if (!progress && waiting && !in_flight) {
			/* every job waits on another: an ordering knot the cycle check did not see; break it */
			for (size_t i = 0; i < m->n; i++) {
				struct svc *s = m->v[i];
				if (s->job == JOB_NONE || s->job_begun)
					continue;
				log_err("%s: jobs wait on each other; starting this one first", s->name);
				if (s->job == JOB_START)
					svc_begin_start(m, s);
				else if (s->job == JOB_RELOAD)
					svc_begin_reload(m, s);
				else
					svc_begin_stop(m, s);
				progress = true;
				break;
			}
		}
	}
}

/* ---- what a unit's change means for the others ------------------------------------------------ */

static void start_each(struct jobs *m, struct svc *s, const struct strv *names, const char *why)
{
	for (size_t i = 0; i < names->n; i++) {
		struct kerr e = {0};
		uint64_t ignore;
		struct svc *o = jobs_get(m, names->v[i], &e);
		if (!o)
			log_err("%s: %s", s->name, e.msg);
		else if (o->load != LOAD_LOADED)
			log_notice("%s: %s%s is %s", s->name, why, o->name, unit_load_name(o->load));
		else if (o->job == JOB_NONE && down(o))
			jobs_enqueue(m, o, JOB_START, false, &ignore);
	}
}

/* Does a unit other than x that is up (or coming up) require, want, bind or uphold x? */
static bool needed(const struct jobs *m, const struct svc *x)
{
	for (size_t i = 0; i < m->n; i++) {
		const struct svc *o = m->v[i];
		if (o == x || o->load != LOAD_LOADED || (down(o) && o->job != JOB_START && o->job != JOB_RESTART) || o->job == JOB_STOP)
			continue;
		if (strv_has(&o->u.requires, x->name) || strv_has(&o->u.wants, x->name) ||
			strv_has(&o->u.binds_to, x->name) || strv_has(&o->u.upholds, x->name))
			return true;
	}
	return false;
}

void jobs_unit_changed(struct jobs *m, struct svc *s, enum svc_active old)
{
	uint64_t ignore;
	if (m->shutting_down || s->load != LOAD_LOADED)
		return;
	if (s->active == ACT_FAILED)
		start_each(m, s, &s->u.on_failure, "OnFailure=");
	if (s->active == ACT_INACTIVE)
		start_each(m, s, &s->u.on_success, "OnSuccess=");
	if (!down(s) || down_state(old) || s->job == JOB_RESTART) /* a restart's stop half is no going down */
		return;
	for (size_t i = 0; i < m->n; i++) {
		struct svc *o = m->v[i];
		if (o == s || o->load != LOAD_LOADED)
			continue;
		/* BindsTo=: what is bound to s goes down with it */
		if (strv_has(&o->u.binds_to, s->name) && !down(o) && o->job != JOB_STOP && o->job != JOB_RESTART)
			jobs_enqueue(m, o, JOB_STOP, false, &ignore);
		/* Upholds=: an active unit that upholds s starts it again */
		if (strv_has(&o->u.upholds, s->name) && o->active == ACT_ACTIVE && s->job == JOB_NONE)
			jobs_enqueue(m, s, JOB_START, false, &ignore);
	}
	/* StopWhenUnneeded=: what s pulled in that nobody else needs now */
	const struct strv *lists[4] = {&s->u.requires, &s->u.wants, &s->u.binds_to, &s->u.upholds};
	for (int l = 0; l < 4; l++)
		for (size_t i = 0; i < lists[l]->n; i++) {
			struct svc *x = jobs_find(m, lists[l]->v[i]);
			if (x && x->load == LOAD_LOADED && x->u.stop_when_unneeded && !down(x) && x->job == JOB_NONE && !needed(m, x))
				jobs_enqueue(m, x, JOB_STOP, false, &ignore);
		}
}

/* ---- events ------------------------------------------------------------------------------------ */

void jobs_reap(struct jobs *m)
{
	for (;;) {
		int status;
		pid_t pid = waitpid(-1, &status, WNOHANG);
		if (pid <= 0)
			break;
		if (fdsink_reaped(&m->sink, pid) || (m->reaped && m->reaped(m->reaped_ctx, pid, status)))
			continue;
		for (size_t i = 0; i < m->n; i++) {
			struct svc *s = m->v[i];
			if (pid == s->main_pid) {
				svc_main_exited(m, s, status);
				break;
			}
			if (pid == s->control_pid) {
				svc_control_exited(m, s, status);
				break;
			}
		}
	}
	/* an orphan's end may have emptied a unit (without cgroups nothing else tells us) */
	for (size_t i = 0; i < m->n; i++)
		svc_check_gone(m, m->v[i]);
}

static pid_t session_of(pid_t pid)
{
	pid_t ppid, sid;
	return svc_proc_stat(pid, &ppid, &sid) ? -1 : sid;
}

/* The unit pid belongs to: its cgroup's, or (no cgroups) the one whose main or control process it
 * is or whose session holds it; NULL if none. */
static struct svc *unit_of(struct jobs *m, pid_t pid)
{
	struct svc *s = NULL;
	if (m->use_cg) {
		char name[UNIT_NAME_MAX + 1];
		if (!cg_pid_service(pid, name, sizeof(name)))
			s = jobs_find(m, name);
	} else {
		pid_t sid = session_of(pid);
		for (size_t i = 0; i < m->n && !s; i++) {
			struct svc *c = m->v[i];
			if (pid == c->main_pid || pid == c->control_pid)
				s = c;
			for (size_t k = 0; k < c->npgids && !s && sid > 0; k++)
				if (c->pgids[k] == sid)
					s = c;
		}
	}
	return s;
}

void jobs_syslog(struct jobs *m, pid_t pid, int level, const char *line, size_t len)
{
	struct svc *s = unit_of(m, pid);
	if (s && s->load == LOAD_LOADED) {
		log_ring_write(&s->log, line, len);
		journal_syslog(s->name, (long)pid, level, line, len);
	}
}

void jobs_notify(struct jobs *m, const struct notify_msg *msg)
{
	struct svc *s = unit_of(m, msg->pid);
	if (!s || s->load != LOAD_LOADED) {
		log_info("notify: message from pid %d, which belongs to no unit; dropped", (int)msg->pid);
		return;
	}
	enum notify_access na = s->u.notify_access;
	if (na == NA_NONE || (na == NA_MAIN && msg->pid != s->main_pid) ||
		(na == NA_EXEC && msg->pid != s->main_pid && msg->pid != s->control_pid)) {
		log_info("%s: notify message from pid %d dropped (NotifyAccess=%s)", s->name, (int)msg->pid,
			na == NA_NONE ? "none" : na == NA_MAIN ? "main" : "exec");
		return;
	}
	svc_ready(m, s, msg);
}

void jobs_cgroup_event(struct jobs *m)
{
	char buf[4096];
	while (read(m->inotify_fd, buf, sizeof(buf)) > 0)
		;
	for (size_t i = 0; i < m->n; i++)
		svc_check_gone(m, m->v[i]);
}

void jobs_timers(struct jobs *m)
{
	uint64_t now = mono_us();
	for (size_t i = 0; i < m->n; i++) {
		struct svc *s = m->v[i];
		if (s->wd_deadline && s->wd_deadline <= now)
			svc_watchdog(m, s);
		if (s->deadline && s->deadline <= now)
			svc_timer(m, s);
		else if (!m->use_cg)
			svc_check_gone(m, s);
	}
}

uint64_t jobs_next_deadline(const struct jobs *m)
{
	uint64_t next = 0;
	for (size_t i = 0; i < m->n; i++) {
		const struct svc *s = m->v[i];
		uint64_t d = s->deadline && s->wd_deadline ? (s->deadline < s->wd_deadline ? s->deadline : s->wd_deadline) :
			s->deadline ? s->deadline : s->wd_deadline;
		if (!m->use_cg && svc_waiting_gone(s)) {
			uint64_t p = mono_us() + POLL_USEC;
			d = d && d < p ? d : p;
		}
		if (d && (!next || d < next))
			next = d;
	}
	return next;
}

void jobs_shutdown(struct jobs *m)
{
	if (m->shutting_down)
		return;
	m->shutting_down = true;
	log_notice("stopping all units");
	for (size_t i = 0; i < m->n; i++) {
		struct svc *s = m->v[i];
		if (s->job == JOB_START || s->job == JOB_RESTART)
			cancel(m, s);
		if (s->sub == SUB_AUTO_RESTART)
			s->deadline = 0;
		if (!down(s) || s->sub == SUB_AUTO_RESTART || s->main_pid || s->control_pid) {
			s->job = JOB_STOP;
			s->job_id = ++m->next_job_id;
			s->job_begun = false;
		}
	}
}

bool jobs_stopped(const struct jobs *m)
{
	for (size_t i = 0; i < m->n; i++) {
		const struct svc *s = m->v[i];
		if (s->job != JOB_NONE || s->main_pid || s->control_pid || !down(s))
			return false;
	}
	return true;
}
