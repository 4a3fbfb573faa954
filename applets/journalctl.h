/* journalctl.h — the journal reader of applets/journalctl.c, for systemctl status. */
#ifndef KEEL_JOURNALCTL_H
#define KEEL_JOURNALCTL_H

#include <stddef.h>

/* Print the last n lines of unit from the journal files fds[0] (journal.1) and fds[1] (journal),
 * each -1 when missing, as journalctl -u UNIT -n N prints them (systemctl status). Closes both. */
void journal_tail(const int fds[2], const char *unit, size_t n);

#endif
