/* evidence.h — what a failed boot leaves on the writable partition, for `keel diag last`.
 *
 * When stage 1 fails (before the rescue console), a trial boot's health check fails (keel init
 * runs `keel diag health --keep --reason R` after `keel update mark-bad`, before the reboot that rolls back), or
 * `keel diag health --keep` finds the host degraded, one text file is written beneath the root
 * of STATE: EVIDENCE_DIR/N.txt (N one more than the highest kept): "keel: REASON", stage 1's
 * console lines (run/keel/boot-stages), the boot record, the health check's output
 * (run/keel/health.log), every unit's state (keel init's status, when it answers within 2 s)
 * and the end of the kernel log, at most EVIDENCE_SIZE bytes; only
 * the EVIDENCE_KEEP newest files are kept (the oldest are removed first). Written with a
 * temporary name, fsync'ed and renamed: a power cut leaves the whole file or none.
 */
#ifndef KEEL_DIAG_EVIDENCE_H
#define KEEL_DIAG_EVIDENCE_H

#define EVIDENCE_DIR "var/lib/keel/evidence"
#define EVIDENCE_KEEP 5
#define EVIDENCE_SIZE (64u << 10)

/* Write one file beneath rootfd from reason and the record files in run (the running system's
 * "/run/keel"); returns its number or -errno. */
int evidence_save(int rootfd, const char *run, const char *reason);
/* The highest number kept (0: none) and how many are kept; -errno when the directory is
 * unreadable (none is 0). */
int evidence_last(int rootfd, unsigned *count);

#endif
