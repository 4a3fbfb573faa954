/* modindex.c — fuzz core/module: the input is split at NUL bytes into modules.dep,
 * modules.softdep, modules.alias, modules.builtin and a module name to plan.
 *
 * A plan names each module once (by name and by path), every path within MODPATH_MAX, and
 * planning the same name again adds nothing. */
#include "boot/module.h"

#include "base/applet.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* core/base/log.c and core/base/args.c name the running applet; weak so a shared definition may win */
__attribute__((weak)) const struct applet *keel_applet;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *copy = malloc(size + 1);
	if (!copy)
		return 0;
	memcpy(copy, data, size);
	copy[size] = 0;
	const char *part[5] = {"", "", "", "", "erofs"};
	char *p = copy;
	for (int i = 0; i < 5 && p <= copy + size; i++) {
		part[i] = p;
		p += strlen(p) + 1;
	}
	struct modindex m;
	static struct modplan plan;
	if (!modindex_set(&m, part[0], part[1], part[2], part[3], NULL)) {
		const char *name = part[4][0] ? part[4] : "erofs";
		plan.n = 0;
		if (!module_plan(&m, name, &plan, NULL)) {
			int n = plan.n;
			for (int i = 0; i < plan.n; i++) {
				if (strlen(plan.e[i].path) >= MODPATH_MAX)
					__builtin_trap();
				for (int j = 0; j < i; j++)
					if (!strcmp(plan.e[i].name, plan.e[j].name) || !strcmp(plan.e[i].path, plan.e[j].path))
						__builtin_trap(); /* a module planned twice */
			}
			if (module_plan(&m, name, &plan, NULL) || plan.n != n)
				__builtin_trap(); /* planned again, it added something */
		}
		modindex_free(&m);
	}
	free(copy);
	return 0;
}
