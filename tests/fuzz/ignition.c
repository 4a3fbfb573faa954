/* ignition.c — libFuzzer harness for the Ignition config parser and validator (core/provision/ign_parse.c,
 * ign_check.c, ign_merge.c, ign_render.c).
 *
 * Every input either parses or fails with -EINVAL/-ENOTSUP/-E2BIG and a one-line message that
 * names a place ("path: why"). A config that parses also passes through ign_check, renders as
 * text and as JSON (and that JSON parses), and merges with a second parse of itself; the merged
 * config still renders, and the same as before unless a file has append fragments (merging
 * concatenates those): merging a config into itself changes nothing else. The unit-file
 * helpers run on the raw input too; [Install] read alone (what provision links) reads the same
 * as the whole unit does in keel init wherever that parses.
 */
#include "base/buf.h"
#include "base/err.h"
#include "init/unit_parse.h"
#include "provision/ign.h"
#include "provision/ign_render.h"
#include "base/json.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void check(int cond, const char *what)
{
	if (!cond) {
		fprintf(stderr, "ignition fuzz: %s\n", what);
		abort();
	}
}

static bool same_list(const struct strv *a, const struct strv *b)
{
	if (a->n != b->n)
		return false;
	for (size_t i = 0; i < a->n; i++)
		if (strcmp(a->v[i], b->v[i]))
			return false;
	return true;
}

/* What provision links (unit_parse_install) is what keel init reads: wherever the whole unit
 * parses, [Install] alone parses to the same lists, and every entry is a unit name of any type
 * but no template (systemd.unit(5): WantedBy=/RequiredBy= name "units" — a link in c.timer.wants/
 * is valid there, and inert in keel init, which reads the .wants/ of the types it runs). */
static void install_agrees(const char *s, size_t len)
{
	struct unit whole, inst = {0};
	struct kerr e = {0};
	snprintf(inst.name, sizeof(inst.name), "fuzz@x.service");
	int ret = unit_parse_install(&inst, "fuzz", s, len, &e);
	for (size_t i = 0; !ret && i < inst.wanted_by.n + inst.required_by.n; i++) {
		const char *t = i < inst.wanted_by.n ? inst.wanted_by.v[i] : inst.required_by.v[i - inst.wanted_by.n];
		check(unit_ref_suffix(t) && !unit_name_is_template(t), "install target is not a unit name");
	}
	if (!unit_init(&whole, "fuzz@x.service")) {
		if (!unit_parse(&whole, "fuzz", s, len, &e))
			check(!ret && same_list(&whole.wanted_by, &inst.wanted_by) && same_list(&whole.required_by, &inst.required_by),
				"[Install] alone reads differently from the whole unit");
		unit_free(&whole);
	}
	unit_free(&inst);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ign_cfg *c = NULL, *c2 = NULL;
	struct kerr e = {0};
	int r = ign_parse(&c, data, size, NULL, &e);
	if (r) {
		check(!c, "failed parse returned a config");
		check(r == -EINVAL || r == -ENOTSUP || r == -E2BIG || r == -ENOMEM, "unexpected error code");
		check(e.msg[0] && strchr(e.msg, ':') && !strchr(e.msg, '\n'), "error without a one-line place");
	} else {
		struct buf b = BUF_INIT(64u << 20), before = BUF_INIT(64u << 20), after = BUF_INIT(64u << 20);
		struct json_doc doc = {0};
		bool appends = false;
		if (!ign_check(c, &e)) {
			check(!ign_render(c, false, &b, &e), "text render failed");
			buf_reset(&b);
			check(!ign_render(c, true, &b, &e), "json render failed");
			check(!json_parse(&doc, b.p, b.len, NULL, &e), "rendered JSON does not parse");
			json_free(&doc);
		}
		for (size_t i = 0; i < c->nfiles; i++)
			appends |= c->files[i].nappend > 0;
		check(!ign_render(c, false, &before, &e) && !ign_render(c, true, &before, &e), "render failed");
		check(!ign_parse(&c2, data, size, "again", &e), "a second parse failed");
		check(!ign_merge(c, c2, &e), "merge with itself failed");
		check(!ign_render(c, false, &after, &e) && !ign_render(c, true, &after, &e), "render after merge failed");
		check(appends || (before.len == after.len && !memcmp(before.p, after.p, before.len)),
			"merged into itself, the config renders differently");
		buf_free(&b);
		buf_free(&before);
		buf_free(&after);
		ign_free(c);
	}
	/* the unit-file helpers on the raw bytes (NUL-terminated copy) */
	char *s = malloc(size + 1);
	if (!s)
		return 0;
	memcpy(s, data, size);
	s[size] = 0;
	size_t line = 0;
	ign_unit_syntax_problem(s, &line);
	install_agrees(s, size);
	ign_path_problem(s);
	ign_unit_name_problem(s);
	enum hash_alg alg;
	uint8_t digest[HASH_MAX_SIZE];
	ign_hash_parse(s, 5, &alg, digest);
	free(s);
	return 0;
}
