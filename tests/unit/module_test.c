/* module_test.c — core/module against hostile index files (the ordinary cases: boot_test.c). */
#include "t.h"
#include "base/buf.h"
#include "base/err.h"
#include "boot/module.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* Aliases that match every name and point at each other: without a bound, resolving one name
 * walks every ordering of them (9! paths here, n! in general). */
T_TEST(module_alias_fanout_bounded)
{
	struct buf alias = BUF_INIT(1 << 20);
	for (int i = 0; i < 9; i++)
		buf_printf(&alias, "alias * m%d\n", i);
	struct modindex m;
	struct modplan *p = calloc(1, sizeof(*p));
	struct kerr e = {0};
	t_check(!modindex_set(&m, "", NULL, (const char *)alias.p, NULL, NULL), "index");
	int r = module_plan(&m, "x", p, &e);
	t_check(r == -ELOOP && strstr(e.msg, "lookups"), "fan-out refused: %d %s", r, e.msg);
	/* softdep lines naming missing modules (skipped, being soft) by the hundred, per module */
	struct buf soft = BUF_INIT(1 << 20);
	for (int k = 0; k < 2; k++) {
		buf_printf(&soft, "softdep %c pre:", "xy"[k]);
		for (int i = 0; i < 600; i++)
			buf_printf(&soft, " %c%d", "ab"[k], i);
		buf_putc(&soft, '\n');
	}
	modindex_free(&m);
	t_check(!modindex_set(&m, "kernel/x.ko: kernel/y.ko\nkernel/y.ko:\n", (const char *)soft.p, NULL, NULL, NULL),
		"index 2");
	p->n = 0;
	r = module_plan(&m, "x", p, &e);
	t_check(r == -ELOOP && strstr(e.msg, "lookups"), "softdep fan-out refused: %d %s", r, e.msg);
	modindex_free(&m);
	buf_free(&soft);
	buf_free(&alias);
	free(p);
}

/* modules.dep names the files to load: a path may not climb out of the modules directory. */
T_TEST(module_path_beneath_dir)
{
	char dir[512];
	snprintf(dir, sizeof(dir), "%s/mods2", t_tmpdir());
	mkdir(dir, 0755);
	t_write("evil.ko", "not a module", 12);
	static const char *const deps[] = {"../evil.ko:\n", "a/../../evil.ko:\n"};
	for (size_t i = 0; i < T_LEN(deps); i++) {
		struct modindex m;
		struct modplan *p = calloc(1, sizeof(*p));
		struct kerr e = {0};
		t_check(!modindex_set(&m, deps[i], NULL, NULL, NULL, NULL) && !module_plan(&m, "evil", p, &e) && p->n == 1,
			"plan %zu: %s", i, e.msg);
		int r = module_load_plan(dir, p, NULL, NULL, &e);
		t_check(r == -EXDEV && strstr(e.msg, "evil"), "dep %zu: %s outside the directory refused (%d: %s)", i,
			p->e[0].path, r, e.msg);
		modindex_free(&m);
		free(p);
	}
}
