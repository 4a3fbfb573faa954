/* unit.c — libFuzzer harness for core/init/unit_parse.c and core/init/unit_value.c (the unit-file parser).
 *
 * The first byte picks the unit name (service, target, instance, socket, timer); the rest is the file
 * text, applied as a unit file and then again as a drop-in, and checked by unit_verify() (every
 * error reported once, each with a message). When it parses and checks:
 *   - every command has a program (absolute or a bare name) and at least one argv word;
 *   - every dependency is a valid unit name, every Environment= entry a valid NAME=VALUE;
 *   - each command line expands against the unit's environment without error or crash.
 *   - every sandboxing path (ReadOnlyPaths=, BindPaths=, …) is absolute, the filter state bounded.
 * The text is also fed, as one C string, to the word splitter, the time-span and size parsers
 * and the specifier expander; results are checked for NUL-free words within the limits.
 */
#include "base/buf.h"
#include "base/err.h"
#include "init/unit_parse.h"
#include "init/timer_parse.h"
#include "init/unit_value.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void check(int cond, const char *what)
{
	if (!cond) {
		fprintf(stderr, "unit fuzz: %s\n", what);
		abort();
	}
}

static void check_cmds(const struct cmd_list *l, const struct unit *u)
{
	for (size_t i = 0; i < l->n; i++) {
		const struct unit_cmd *c = &l->v[i];
		check(c->path && c->path[0], "empty program");
		check(c->path[0] == '/' || !strchr(c->path, '/'), "relative program path");
		check(c->argv.n >= 1 && c->argv.v[c->argv.n] == NULL, "argv");
		struct strv out = {0};
		const char *why = NULL;
		int ret = uv_expand(c->argv.v, c->argv.n, u->environment.v, u->environment.n, &out, &why);
		check(ret == 0 || ret == -E2BIG, "expansion failed");
		strv_clear(&out);
	}
}

static void check_names(const struct strv *l)
{
	for (size_t i = 0; i < l->n; i++)
		check(unit_ref_suffix(l->v[i]) != NULL && !unit_name_is_template(l->v[i]), "invalid dependency name kept");
}

static unsigned reported;
static void report(void *arg, const struct kerr *e)
{
	(void)arg;
	check(e->msg[0] != 0, "verify: an error without a message");
	reported++;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const names[] = {"a.service", "b.target", "getty@tty1.service", "x-y.service", "s.socket",
		"t.timer"};
	if (!size)
		return 0;
	const char *name = names[data[0] % 6];
	const char *text = (const char *)data + 1;
	size_t len = size - 1;
	struct unit u;
	struct kerr e = {0};
	check(unit_init(&u, name) == 0, "init");
	int ret = unit_parse(&u, "f", text, len, &e);
	if (!ret)
		ret = unit_parse(&u, "f.d/x.conf", text, len, &e);
	if (!ret && !unit_check(&u, &e)) {
		const struct cmd_list *cmds[] = {&u.exec_condition, &u.exec_start_pre, &u.exec_start, &u.exec_start_post,
			&u.exec_reload, &u.exec_stop, &u.exec_stop_post};
		for (size_t i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++)
			check_cmds(cmds[i], &u);
		const struct strv *deps[] = {&u.after, &u.before, &u.requires, &u.wants, &u.conflicts, &u.part_of, &u.binds_to,
			&u.on_failure, &u.on_success, &u.upholds, &u.requisite, &u.also, &u.alias};
		for (size_t i = 0; i < sizeof(deps) / sizeof(deps[0]); i++)
			check_names(deps[i]);
		for (size_t i = 0; i < u.requires_mounts_for.n; i++)
			check(u.requires_mounts_for.v[i][0] == '/', "relative RequiresMountsFor= kept");
		check(u.std_out < OUT_FILE || (u.out_path && u.out_path[0] == '/'), "output file not absolute");
		check(!u.pid_file || u.pid_file[0] == '/', "PIDFile= not absolute");
		for (size_t i = 0; i < u.nconds; i++)
			check(u.conds[i].kind > COND_LAST_PATH || u.conds[i].path[0] == '/', "condition path not absolute");
		for (size_t i = 0; i < u.environment.n; i++)
			check(uv_env_assign(u.environment.v[i]), "bad environment entry kept");
		check(u.kind == UNIT_SERVICE || (!u.exec_start.n && !u.seen_service), "target with a service section");
		for (size_t i = 0; i < u.sandbox.npaths; i++) /* sandboxing directives: absolute paths only */
			check(u.sandbox.paths[i].path[0] == '/' && (!u.sandbox.paths[i].src || u.sandbox.paths[i].src[0] == '/'),
				"relative sandbox path kept");
		check(u.sandbox.nsc_err <= SB_SYSCALLS && u.sandbox.sc_mode <= 2 && u.sandbox.af_mode <= 2, "filter state");
		/* a timer that loads has a trigger and starts a unit that is no timer */
		check(u.kind != UNIT_TIMER || (u.timer && u.timer->n && unit_name_suffix(u.timer->unit) &&
			strcmp(unit_name_suffix(u.timer->unit), ".timer")), "timer without a trigger or starting a timer");
		check(u.kind == UNIT_TIMER || !u.timer, "[Timer] kept in a unit that is no timer");
	} else {
		check(e.msg[0] != 0, "error without a message");
	}
	unit_free(&u);
	reported = 0;
	ret = unit_verify(name, text, len, report, NULL, &e);
	check((ret == 0) == (reported == 0) && (ret == 0 || ret == -EINVAL || ret == -ENOMEM || ret == -EFBIG || ret == -E2BIG),
		"verify: its answer and its reports disagree");

	/* the value parsers on the raw text as one string */
	char *s = malloc(len + 1);
	if (!s)
		return 0;
	memcpy(s, text, len);
	s[len] = 0;
	struct strv w = {0};
	const char *why = NULL;
	if (!uv_words(s, data[0] & 1, &w, &why))
		for (size_t i = 0; i < w.n; i++)
			check(strlen(w.v[i]) <= UV_VALUE_MAX, "word too long");
	strv_clear(&w);
	uint64_t v;
	uv_timespan(s, &v, &why);
	uv_bytes(s, &v, &why);
	struct buf b = BUF_INIT(UV_VALUE_MAX);
	if (!uv_specifiers(s, name, "/usr/lib/systemd/system/f.service", &b, &why))
		check(b.len <= UV_VALUE_MAX, "specifier output too long");
	buf_free(&b);
	free(s);
	return 0;
}
