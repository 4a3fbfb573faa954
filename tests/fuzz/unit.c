/* unit.c — libFuzzer harness for core/init/unit_parse.c and core/init/unit_value.c (the unit-file parser).
 *
 * The first byte picks the unit name (service, target, instance); the rest is the file text,
 * applied as a unit file and then again as a drop-in. When it parses and checks:
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
		check(unit_name_suffix(l->v[i]) != NULL, "invalid dependency name kept");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const names[] = {"a.service", "b.target", "getty@tty1.service", "x-y.service"};
	if (!size)
		return 0;
	const char *name = names[data[0] % 4];
	const char *text = (const char *)data + 1;
	size_t len = size - 1;
	struct unit u;
	struct kerr e = {0};
	check(unit_init(&u, name) == 0, "init");
	int ret = unit_parse(&u, "f", text, len, &e);
	if (!ret)
		ret = unit_parse(&u, "f.d/x.conf", text, len, &e);
	if (!ret && !unit_check(&u, &e)) {
		check_cmds(&u.exec_start, &u);
		check_cmds(&u.exec_start_pre, &u);
		check_cmds(&u.exec_stop, &u);
		check_names(&u.after);
		check_names(&u.before);
		check_names(&u.requires);
		check_names(&u.wants);
		for (size_t i = 0; i < u.environment.n; i++)
			check(uv_env_assign(u.environment.v[i]), "bad environment entry kept");
		check(u.kind == UNIT_SERVICE || (!u.exec_start.n && !u.seen_service), "target with a service section");
		for (size_t i = 0; i < u.sandbox.npaths; i++) /* sandboxing directives: absolute paths only */
			check(u.sandbox.paths[i].path[0] == '/' && (!u.sandbox.paths[i].src || u.sandbox.paths[i].src[0] == '/'),
				"relative sandbox path kept");
		check(u.sandbox.nsc_err <= SB_SYSCALLS && u.sandbox.sc_mode <= 2 && u.sandbox.af_mode <= 2, "filter state");
	} else {
		check(e.msg[0] != 0, "error without a message");
	}
	unit_free(&u);

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
	if (!uv_specifiers(s, name, &b, &why))
		check(b.len <= UV_VALUE_MAX, "specifier output too long");
	buf_free(&b);
	free(s);
	return 0;
}
