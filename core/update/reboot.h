/* reboot.h — when a staged release may reboot the host: the update strategy (a documented,
 * strictly parsed /etc/keel/update.json), the maintenance window, FleetLock, the kured sentinel.
 *
 *   {"version": 1, "strategy": "immediate" | "fleetlock" | "window" | "off",
 *    "fleetlock": {"url": "http://lock.example:8080", "group": "workers"},   (fleetlock only)
 *    "windows": [{"days": ["Sat", "Sun"], "start": "22:30", "minutes": 120}]} (window only)
 * No file: immediate. Unknown fields, wrong types, a section the strategy does not use, a day
 * that is not Sun..Sat, a start that is not HH:MM, minutes outside 1..1440, more than 16 windows
 * are refused. Windows are in UTC; one may run past midnight (into the next day).
 *
 * reboot_request(): first /run/reboot-required is created (kured reboots a node that has it);
 * then: off - nothing more (REBOOT_OFF); window - outside every window REBOOT_DEFERRED; fleetlock -
 * POST pre-reboot: a 2xx answer takes the slot, 423 (locked) is REBOOT_DEFERRED, any other answer
 * an error naming status, kind and value; immediate - nothing to ask. Then PID 1 is asked to
 * reboot over its control socket (/run/keel/init.sock): its clean shutdown path.
 * update_steady_state(): FleetLock's steady-state (release the slot), for after mark-good and at
 * the start of a boot that is not a trial.
 */
#ifndef KEEL_UPDATE_REBOOT_H
#define KEEL_UPDATE_REBOOT_H

#include "update/fleetlock.h"

#include <stddef.h>
#include <stdint.h>

struct kerr;

#define UPDATE_CONFIG "/etc/keel/update.json"
#define UPDATE_CONFIG_MAX 65536
#define UPDATE_WINDOWS_MAX 16

enum update_strategy_kind { STRATEGY_IMMEDIATE, STRATEGY_FLEETLOCK, STRATEGY_WINDOW, STRATEGY_OFF };

struct update_window {
	uint8_t days;    /* bit d: weekday d (0 Sunday) */
	uint16_t start;  /* minutes after 00:00 UTC */
	uint16_t length; /* minutes, 1..1440 */
};

struct update_strategy {
	enum update_strategy_kind kind;
	char url[FLEETLOCK_URL_MAX + 1];
	char group[FLEETLOCK_GROUP_MAX + 1];
	struct update_window win[UPDATE_WINDOWS_MAX];
	size_t nwin;
	/* not from the file */
	char root[256]; /* the tree the paths are beneath ("" on the host) */
	uint64_t now;   /* seconds since the epoch for the windows (0: the clock) */
};

const char *update_strategy_name(enum update_strategy_kind k);
/* Parse an update config (e names the field). */
int update_strategy_parse(const char *data, size_t len, struct update_strategy *s, struct kerr *e);
/* ROOT/etc/keel/update.json into s (s->root set from root; a missing file: immediate). */
int update_strategy_load(const char *root, struct update_strategy *s, struct kerr *e);
/* Seconds from now (epoch seconds) until a window is open: 0 inside one. */
uint64_t update_window_wait(const struct update_strategy *s, uint64_t now);

enum { REBOOT_REQUESTED = 0, REBOOT_DEFERRED = 1, REBOOT_OFF = 2 };
/* Apply the strategy (above): REBOOT_* or -errno; e says why for all but REBOOT_REQUESTED. */
int reboot_request(const struct update_strategy *s, struct kerr *e);
/* FleetLock steady-state: 0 released, 1 refused (e: status, kind, value), 2 not a fleetlock
 * strategy (nothing to release), -errno no answer. */
int update_steady_state(const struct update_strategy *s, struct kerr *e);

#endif
