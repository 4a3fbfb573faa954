/* keel systemctl - systemctl's common verbs and exit codes, for scripts written for systemd
 *
 * usage: keel systemctl [--root DIR] [-q] VERB [UNIT...]
 *
 * A link named systemctl runs this. VERB: start stop restart reload status [UNIT] is-active
 * enable disable is-enabled show [-p PROP,...] [--value] list-units list-timers list-sockets
 * list-dependencies [UNIT] [--all] [--no-legend] daemon-reload poweroff reboot, each as keel init's (see keel init --help);
 * daemon-reload does nothing (keel init reads a unit's files again when it is next started
 * while down). -q prints nothing; --no-pager, --full, -l, --system are ignored.
 *
 * Exit status: as systemctl's (is-active 0 active, 3 not; status UNIT 0 active, 3 not active,
 * 4 no such unit); 2 usage.
 */
#include "applets/table.h"
#include "base/applet.h"
#include "base/args.h"
#include "base/log.h"
#include "init/unit_value.h"

#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

int systemctl_main(int argc, char **argv)
{
	const struct applet *init = applet_find("init");
	char *av[16];
	const char *root = NULL, *verb = NULL, *props = NULL, *units[8];
	static char mangled[8][UNIT_NAME_MAX + 1];
	int nu = 0, quiet = 0, value = 0, all = 0, no_legend = 0, rc = EXIT_OK;
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
			args_help();
			return EXIT_OK;
		}
		if (!strcmp(a, "--root") && i + 1 < argc)
			root = argv[++i];
		else if (!strncmp(a, "--root=", 7))
			root = a + 7;
		else if (!strcmp(a, "-q") || !strcmp(a, "--quiet"))
			quiet = 1;
		else if ((!strcmp(a, "-p") || !strcmp(a, "--property")) && i + 1 < argc)
			props = argv[++i];
		else if (!strncmp(a, "--property=", 11))
			props = a + 11;
		else if (!strcmp(a, "--value"))
			value = 1;
		else if (!strcmp(a, "--all") || !strcmp(a, "-a"))
			all = 1;
		else if (!strcmp(a, "--no-legend"))
			no_legend = 1;
		else if (!strcmp(a, "--no-pager") || !strcmp(a, "--full") || !strcmp(a, "-l") ||
			!strcmp(a, "--system"))
			continue;
		else if (a[0] == '-')
			return kfail(EXIT_USAGE, "unknown option %s (see --help)", a);
		else if (!verb)
			verb = a;
		else if (nu < 8) /* "chrony" is chrony.service, as systemctl takes it */
			units[nu] = unit_name_mangle(a, mangled[nu], sizeof(mangled[nu])) ? a : mangled[nu], nu++;
		else
			return kfail(EXIT_USAGE, "at most 8 units at once");
	}
	if (!init || !verb)
		return kfail(EXIT_USAGE, "%s (see --help)", init ? "needs a verb" : "keel was built without init");
	if (!strcmp(verb, "daemon-reload"))
		return EXIT_OK;
	if (!strcmp(verb, "list-units") || (!strcmp(verb, "status") && !nu))
		verb = "status";
	else if (!nu && strncmp(verb, "list-", 5))
		return kfail(EXIT_USAGE, "%s: needs a unit (see --help)", verb);
	if (quiet) { /* the answer is the exit status */
		int null = open("/dev/null", O_WRONLY | O_CLOEXEC);
		if (null >= 0) {
			dup2(null, STDOUT_FILENO);
			close(null);
		}
	}
	bool install = !strcmp(verb, "enable") || !strcmp(verb, "disable") || !strcmp(verb, "is-enabled");
	for (int u = 0; u < (nu ? nu : 1); u++) {
		int n = 0;
		av[n++] = "init";
		av[n++] = (char *)verb;
		if (root) {
			av[n++] = "--root";
			av[n++] = (char *)root;
		}
		if (!strcmp(verb, "status") && nu)
			av[n++] = "--lsb";
		if (props) {
			av[n++] = "--property";
			av[n++] = (char *)props;
		}
		if (value)
			av[n++] = "--value";
		if (all && !strncmp(verb, "list-", 5)) /* list-units lists every loaded unit anyway */
			av[n++] = "--all";
		if (no_legend && !strncmp(verb, "list-", 5))
			av[n++] = "--no-legend";
		if (install && nu) { /* enable/disable take all units in one run (Also= once) */
			for (int k = 0; k < nu; k++)
				av[n++] = (char *)units[k];
			u = nu;
		} else if (nu) {
			av[n++] = (char *)units[u];
		}
		av[n] = NULL;
		fflush(stdout);
		int r = init->main(n, av);
		if (r > rc)
			rc = r;
	}
	return rc;
}
