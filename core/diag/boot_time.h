/* boot_time.h — the boot timeline for `keel diag boot`, from what the boot chain recorded:
 *
 *   firmware, loader  systemd-boot's LoaderTimeInitUSec / LoaderTimeExecUSec EFI variables
 *                     (ROOT/sys/firmware/efi/efivars; µs since the firmware started)
 *   kernel, initrd    ROOT/run/keel/boot-stages, written by stage 1 (the initramfs) before
 *                     switch_root or the rescue console: "MONO_MS TEXT" lines — its start, each
 *                     console line, then "switch_root" (or "stage 1 failed" / "rescue console")
 *   units             ROOT/run/keel/boot-units, written by keel init (init/boot_units.h): each
 *                     unit's first activating and active time
 * CLOCK_MONOTONIC starts with the kernel, so the kernel's share is stage 1's start. What is
 * missing is 0 (a host booted without systemd-boot has no loader times). Unit dependencies for
 * the critical chain come from the unit files (After=, and Before= of the other side).
 */
#ifndef KEEL_DIAG_BOOT_TIME_H
#define KEEL_DIAG_BOOT_TIME_H

#include <stdint.h>

#define BOOT_STAGES_MAX 64
#define BOOT_TUNITS_MAX 1024
#define BOOT_EDGES_MAX 16384

struct boot_tunit {
	char name[256];
	uint64_t activating, active, failed; /* first time of each, monotonic µs (0: never) */
};

struct boot_time {
	uint64_t fw_init, fw_exec;      /* LoaderTimeInitUSec, LoaderTimeExecUSec */
	uint64_t stage1, end1;          /* stage 1's start and end (switch_root or failure), µs */
	const char *end1_what;          /* "switch_root", "stage 1 failed", … ("" none) */
	int nstage;
	struct {
		uint64_t us;
		char text[128];
	} stage[BOOT_STAGES_MAX];
	int nunit;
	struct boot_tunit unit[BOOT_TUNITS_MAX];
	int nedge;
	int edge[BOOT_EDGES_MAX][2];    /* unit [0] is ordered after unit [1] */
	int goal;                       /* the goal unit (or the last one active), -1 none */
	uint64_t done;                  /* when it became active */
};

/* Read everything beneath rootfd (root: its path for the unit directories, "" for /); goal is
 * the target the boot waits for. A missing record leaves its part 0. */
void boot_time_read(int rootfd, const char *root, const char *goal, struct boot_time *t);
/* The critical chain ending at unit i, i first: each next unit is the one i is ordered after
 * that became active last (no later than i started). Returns the count written to idx. */
int boot_time_chain(const struct boot_time *t, int i, int *idx, int max);

#endif
