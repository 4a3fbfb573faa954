/* stage1.h — PID 1 inside the initramfs: from the kernel to the verified host root.
 *
 * stage1_main() runs when `keel init` is PID 1 on an initramfs: a ramfs or tmpfs root that has
 * /etc/keel-initramfs (stage1_is_initramfs; applets/init.c decides). The marker alone is not
 * enough: on the host, / is STATE, where anything may have been written. In order:
 *   1. mount /proc /sys /dev (devtmpfs) /run; stdin/stdout/stderr on /dev/console
 *   2. read /proc/cmdline (keel.* keys, see below)
 *   3. load the modules listed in /etc/keel/modules (modules.dep + softdep order, finit_module)
 *   4. wait (keel.timeout, default 10 s) for a partition labelled USR-A or USR-B
 *   5. read that disk's GPT; choose the slot with gptprio.next (or keel.slot=); if its tries
 *      are > 0, decrement them and write the GPT back (both copies) before using it
 *   6. read the slot's manifest (last 64 KiB), verify its ECDSA P-256 signature against
 *      /etc/keel/keys/NAME.pem (any one), parse it; its version must reach the minimum version
 *      (below)
 *   7. create the dm-verity device "usr" (device-mapper ioctls) from the manifest's root hash
 *   8. mount STATE (ext4, label STATE) on /sysroot; STATE's floor may raise the minimum
 *      version (below); make the host skeleton there (usr etc var
 *      home root proc sys dev run tmp mnt; bin sbin lib lib64 -> usr/..., exactly: see
 *      stage1_skeleton); mount the verity device
 *      read-only (erofs) on /sysroot/usr; tmpfs on /sysroot/tmp
 *   9. first-boot provisioning: if /bin/provision exists (the binary has the applet), run
 *      `keel provision boot --root /sysroot` and wait; non-zero exit is a failure
 *  10. switch_root to /sysroot and exec the host init: /usr/bin/keel init (or keel.init=)
 * Any failure prints one line "keel init: FAILED: what: why" on the console and execs
 * `keel rescue --reason …` (the rescue console). keel.rescue on the command line goes there
 * after step 4.
 *
 * Minimum version (the floor against rollback to an old, vulnerable release): every correctly
 * signed manifest verifies, whatever its age, so the version is held against a floor the
 * trusted side sets. /etc/keel/min-version in the initramfs (mkinitramfs.sh --min-version; it is
 * signed with the kernel in the UKI) is the floor; /var/lib/keel/min-version on STATE may only
 * raise it (update tooling writes it once a release is marked good; a lower one is ignored). No
 * floor file at all: no minimum. Versions are compared as dotted decimal numbers
 * (manifest_version_cmp: 2026.1.0 < 2026.1.10 < 2026.2); a floor file that is not such a
 * version, is not a regular file or sits behind a symlink, and a slot version that cannot be
 * ordered while a floor exists, all refuse the boot (fail closed). A slot below the floor is
 * refused whether gptprio.next or keel.slot= chose it: "FAILED: checking the version of USR-A
 * against the minimum: version 1.0 is below the minimum version 1.2 (/etc/keel/min-version on
 * the initramfs)", and the rescue console. There is deliberately no fallback to the other slot:
 * PID 1 boots only what the slot policy chose, never a choice of its own that a forged GPT could
 * steer; a chosen slot below the floor means the GPT was tampered with or the old slot was not
 * retired, which needs a person (rescue console: `slots`, `keel slots set N --priority 0`). Its
 * tries were already decremented, so an unsuccessful old slot still runs out of tries. The floor
 * in force is recorded as min_version= in /run/keel/boot ("" none).
 *
 * Kernel command line keys:
 *   keel.rescue            enter the rescue console instead of booting
 *   keel.slot=USR-A|USR-B  boot this slot (its manifest must still verify); tries untouched
 *   keel.timeout=SECONDS   how long to wait for the disk (1..300, default 10)
 *   keel.init=PATH         the host init, an absolute path below /usr (default /usr/bin/keel,
 *                          run as `keel init`)
 *   keel.log=LEVEL         err, warn, notice (default), info, debug
 *   keel.rescue_timeout=S  rescue console idle timeout before reboot (default 600)
 *   keel.config=…          read by `keel provision`, not by stage 1
 */
#ifndef KEEL_STAGE1_H
#define KEEL_STAGE1_H

#define STAGE1_MARKER "/etc/keel-initramfs"
#define STAGE1_SYSROOT "/sysroot"
#define STAGE1_DM_NAME "usr"

struct kerr;

/* 1 when root is an initramfs keel built: its filesystem is ramfs or tmpfs (statfs magic) and
 * it has the marker STAGE1_MARKER; 0 otherwise (a host root: ext4 or anything else, marker or
 * not). */
int stage1_is_initramfs(const char *root);

/* The host's skeleton beneath root (STATE, mounted on /sysroot): usr etc var home root proc sys
 * dev run tmp mnt are created if missing and must be real directories; bin sbin lib lib64 are
 * created if missing and must be exactly the symlinks usr/bin, usr/sbin, usr/lib, usr/lib64.
 * Anything else planted on the writable partition is refused (-ENOTDIR, -EEXIST), never used:
 * a /usr symlink would redirect the verity mount, and a /lib64 directory would give the verified
 * binaries in /usr an interpreter (ld.so) and libraries from the writable partition. */
int stage1_skeleton(const char *root, struct kerr *e);

/* Never returns when the host starts; on failure it execs the rescue console, and returns
 * EXIT_FAIL only if even that is impossible. */
int stage1_main(int argc, char **argv);

#endif
