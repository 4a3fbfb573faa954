/* keel modprobe - load kernel modules with their dependencies and softdeps
 *
 * usage: keel modprobe [--show] [--dir DIR] NAME...
 *
 * Loads each NAME (a module or an alias, '-' and '_' alike) after what it needs, in the order
 * kmod's modprobe uses: modules.softdep "pre:" modules, modules.dep dependencies (last listed
 * first), the module, its "post:" softdeps. A softdep that cannot be loaded is skipped.
 * Stage 1 does the same for /etc/keel/modules; in the rescue console this loads a missing
 * driver by hand.
 *
 * Options:
 *   --show       print "insmod PATH" lines (as modprobe --show-depends) instead of loading
 *   --dir DIR    the modules directory (default /lib/modules/$(uname -r))
 *
 * Exit status: 0 loaded (or shown); 2 usage; 3 a module is unknown or failed to load.
 */
#include "base/applet.h"
#include "base/args.h"
#include "base/buf.h"
#include "base/err.h"
#include "base/log.h"
#include "boot/module.h"
#include "base/sandbox.h"

#include <stdio.h>
#include <stdlib.h>
#include <sys/utsname.h>

int modprobe_main(int argc, char **argv)
{
	int show = 0;
	const char *dir = NULL;
	char **ops, dbuf[300];
	const struct opt opts[] = {
		{"show", 0, OPT_FLAG, &show},
		{"dir", 'd', OPT_STR, &dir},
		{0},
	};
	int n = args_parse(opts, argc - 1, argv + 1, &ops);
	if (n < 0)
		return args_exit(n);
	if (n < 1)
		return kfail(EXIT_USAGE, "no module NAME (see --help)");
	if (!dir) {
		struct utsname u;
		if (uname(&u) || str_fmt(dbuf, sizeof(dbuf), "/lib/modules/%s", u.release))
			return kfail(EXIT_FAIL, "uname failed");
		dir = dbuf;
	}
	struct modindex mi;
	struct kerr e = {0};
	int ret = modindex_load(&mi, dir, &e);
	if (ret)
		return kfail(EXIT_FAIL, "%s", kerr_str(&e, ret));
	/* the index is read: from here on only module files are opened and loaded */
	static const char *const show_calls[] = {NULL};
	static const char *const load_calls[] = {"open", "openat", "openat2", "finit_module", NULL};
	if ((ret = sandbox_enter(show ? show_calls : load_calls, &e))) {
		modindex_free(&mi);
		return kfail(EXIT_FAIL, "%s", kerr_str(&e, ret));
	}
	struct modplan *plan = calloc(1, sizeof(*plan));
	int rc = EXIT_OK;
	if (!plan) {
		modindex_free(&mi);
		return kfail(EXIT_FAIL, "out of memory");
	}
	for (int i = 0; i < n && rc == EXIT_OK; i++) {
		if (show)
			plan->n = 0; /* each NAME on its own, as modprobe --show-depends NAME */
		if ((ret = module_plan(&mi, ops[i], plan, &e)))
			rc = kfail(EXIT_FAIL, "%s", kerr_str(&e, ret));
		for (int k = 0; show && rc == EXIT_OK && k < plan->n; k++)
			printf("insmod %s/%s\n", dir, plan->e[k].path);
	}
	if (!show && rc == EXIT_OK) {
		int loaded = 0, skipped = 0;
		if ((ret = module_load_plan(dir, plan, &loaded, &skipped, &e)))
			rc = kfail(EXIT_FAIL, "%s", kerr_str(&e, ret));
		else if (skipped)
			log_notice("%d optional (softdep) modules could not be loaded", skipped);
	}
	free(plan);
	modindex_free(&mi);
	return rc;
}
