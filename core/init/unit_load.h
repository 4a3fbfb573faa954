/* unit_load.h — where unit files come from: the search path, masking, drop-ins and .wants/.
 *
 * Beneath a root directory ("/" on the host, a temporary tree in tests):
 *   etc/systemd/system       admin and provision (wins)
 *   usr/lib/systemd/system   the image
 * NAME is taken from the first directory that has it. A symlink to /dev/null or an empty file
 * masks the unit; any other symlink as a unit file is refused (keel has no aliases). An instance
 * "a@x.service" without a file of its own uses the template "a@.service". Drop-ins: every
 * NAME.d/\*.conf (and TEMPLATE.d/\*.conf) of both directories, a file name in etc/ hiding the same
 * name in usr/lib/, applied in lexical order of the file names; a drop-in symlinked to /dev/null
 * is skipped. Dependencies from directories: every entry of NAME.wants/ and NAME.requires/ (the
 * symlinks `systemctl enable` and provision make) adds Wants= / Requires= on the entry's name.
 * multi-user.target also takes default.target.wants/ and default.target.requires/.
 *
 * Built-in targets (multi-user.target, default.target, basic.target, network.target, …) need no
 * file: without one they load as empty targets.
 */
#ifndef KEEL_UNIT_LOAD_H
#define KEEL_UNIT_LOAD_H

#include "init/unit_parse.h"

#define UNIT_DROPINS_MAX 64
#define UNIT_DIRS 2

struct unit_dirs {
	int fd[UNIT_DIRS];          /* -1 when the directory does not exist */
	char path[UNIT_DIRS][4096]; /* for messages: the root joined with the directory */
};

enum unit_load { LOAD_LOADED, LOAD_MASKED, LOAD_NOT_FOUND, LOAD_ERROR };
const char *unit_load_name(enum unit_load l);

/* Open the unit directories beneath root (a missing one is fine; any other error is not). */
int unit_dirs_open(struct unit_dirs *d, const char *root, struct kerr *e);
void unit_dirs_close(struct unit_dirs *d);

/* Find, parse and check NAME into u (unit_init'ed here). Returns 0 and sets *load to LOADED,
 * MASKED or NOT_FOUND; or a negative errno with e naming the file and line (u is then freed). */
int unit_load(const struct unit_dirs *d, const char *name, struct unit *u, enum unit_load *load, struct kerr *e);
/* The same with u->observer set to obs (unit_parse.h): errors of single lines go to obs->report. */
int unit_load_observed(const struct unit_dirs *d, const char *name, struct unit *u, struct unit_observer *obs,
	enum unit_load *load, struct kerr *e);

#endif
