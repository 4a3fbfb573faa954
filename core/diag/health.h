/* health.h — keel diag health: is this host healthy, and if not, why (one reason each).
 *
 * Checks, each adding a reason when it fails:
 *   units      keel init answers its control socket (ROOT/run/keel/init.sock) within 2 s and no
 *              unit is failed (or failed to load)
 *   release    the slot stage 1 booted (ROOT/run/keel/boot: slot=, disk=) is marked successful
 *              in the GPT (attribute bit 56); a slot on trial is "not yet marked good"
 *   pressure   ROOT/proc/pressure: memory "full avg10" >= 10, io "full avg10" >= 30,
 *              cpu "some avg10" >= 90 (percent)
 *   pids       running processes (ROOT/proc/loadavg) >= 90 % of ROOT/proc/sys/kernel/pid_max
 *   disk       the filesystem of ROOT has < 5 % of its blocks or inodes free
 *   clock      adjtimex(2) says the clock is not synchronised (STA_UNSYNC)
 * A file that does not exist skips its check (the initramfs has no /run/keel/boot, a kernel
 * without PSI no /proc/pressure); keel init not answering is a reason.
 */
#ifndef KEEL_DIAG_HEALTH_H
#define KEEL_DIAG_HEALTH_H

#define HEALTH_REASONS_MAX 32

struct health {
	int n;
	char reason[HEALTH_REASONS_MAX][160];
};

/* Fill h; rootfd/root ("" for /) is where files and the control socket are looked up.
 * Returns 0 (h->n == 0: healthy) or -ENOMEM. */
int diag_health(int rootfd, const char *root, struct health *h);

#endif
