/* shutdown.h — the machine's last steps, after the supervisor has stopped its units.
 *
 * machine_shutdown(how) runs as PID 1 (stage 2, or the rescue console):
 *   1. SIGTERM to every remaining process (not PID 1 itself, not kernel threads), wait up to
 *      KEEL_SHUTDOWN_GRACE_MS for them to exit (reaping as they go), then SIGKILL the rest;
 *   2. sync();
 *   3. unmount every mount in /proc/self/mountinfo (but / and /proc), deepest first, retrying
 *      until a round makes no progress; what stays busy is remounted read-only (the root last).
 *      A mount PID 1 holds itself (its executable's: the host's verity /usr; its console's:
 *      /dev) is logged as "kept /usr: read-only, in use by PID 1"; the others as still busy;
 *   4. remove every device-mapper device (DM_DEV_REMOVE, retried while busy); the device PID 1
 *      runs from is logged as "kept /dev/mapper/usr: read-only, in use by PID 1", the rest
 *      that stay as still busy;
 *   5. sync() and reboot(how).
 * Each step that fails is logged (log.h) and the next one still runs: the machine always goes
 * down. Returns only if reboot(2) itself fails (then -errno), e.g. when not PID 1 / no
 * CAP_SYS_BOOT.
 *
 * how is RB_POWER_OFF, RB_AUTOBOOT (reboot) or RB_HALT_SYSTEM (<sys/reboot.h>).
 */
#ifndef KEEL_SHUTDOWN_H
#define KEEL_SHUTDOWN_H

#define KEEL_SHUTDOWN_GRACE_MS 5000

int machine_shutdown(int how);

/* The steps on their own, for callers that need them separately (each returns 0 or -errno). */
/* Signal every process but ourselves and kernel threads; returns how many were signalled. */
int shutdown_kill_all(int sig);
/* SIGTERM, wait up to grace_ms for the processes to go (reaping children), SIGKILL the rest. */
int shutdown_kill_all_wait(unsigned grace_ms);
/* Unmount everything (deepest first, retry while progress), remount read-only what stays busy;
 * returns how many busy mounts PID 1 does not hold itself (or -errno). */
int shutdown_umount_all(void);

#endif
