/* boot_units.h — what keel init records for `keel diag boot`: every change of a unit's active
 * state, as the line "MONO_US STATE UNIT\n" appended to run/keel/boot-units beneath the root
 * (CLOCK_MONOTONIC µs; STATE as svc_active_name: activating, active, deactivating, inactive,
 * failed). A tmpfs file PID 1 alone writes (kept open); it stops growing at BOOT_UNITS_MAX bytes.
 */
#ifndef KEEL_INIT_BOOT_UNITS_H
#define KEEL_INIT_BOOT_UNITS_H

#include <stdint.h>

#define BOOT_UNITS_PATH "run/keel/boot-units"
#define BOOT_UNITS_MAX (256u << 10)

/* Best effort: a failure (no run/keel yet, the cap reached) records nothing. */
void boot_units_note(int rootfd, const char *unit, const char *state, uint64_t us);
/* Close the file before the machine shuts down: a file open for writing keeps /run from being
 * remounted read-only. */
void boot_units_close(void);

#endif
