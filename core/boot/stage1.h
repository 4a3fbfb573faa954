/* stage1.h — PID 1 inside the initramfs: from the kernel to the verified host root.
 *
 * Stage 1 runs when `keel init` is PID 1 on an initramfs: a ramfs or tmpfs root that has
 * /etc/keel-initramfs (stage1_is_initramfs; applets/init.c decides). The marker alone is not
 * enough: on the host, / is STATE, where anything may have been written. The program (console
 * lines, the order below, what a failure leads to, the exec of provisioning, the host init and
 * the rescue console) is applets/init_stage1.c; this file has its steps, each returning 0 or
 * -errno with e filled, never printing or exiting. In order:
 *   1. mount /proc /sys /dev (devtmpfs) /run; stdin/stdout/stderr on /dev/console
 *   2. read /proc/cmdline (keel.* keys, see below)
 *   3. load the modules listed in /etc/keel/modules (modules.dep + softdep order, finit_module)
 *   3b. booted through UEFI (/sys/firmware/efi): mount efivarfs read-only, read SecureBoot and
 *      systemd-boot's LoaderEntrySelected (stage1_efi)
 *   4. wait (keel.timeout, default 10 s) for a partition labelled USR-A or USR-B
 *   5. read that disk's GPT; choose the slot: with keel.usrhash=HEX (a UKI's signed command
 *      line) the slot whose signed manifest has that root hash, tries untouched (systemd-boot
 *      counts the tries of the boot entry); if the ESP holds a bad entry (no tries left: boot
 *      counting fell back to this one), the other slot, unless successful, gets tries 0, so
 *      that gptprio.next (cgpt, keel slots) names the slot that booted (s->fallback);
 *      else keel.slot=, else gptprio.next, and if its tries are > 0, decrement them and write
 *      the GPT back (both copies) before using it
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
 *   keel.usrhash=HEX       boot the slot whose signed manifest has this verity root hash (64 or
 *                          128 lower-case hex digits; both slots are checked; none: failure
 *                          naming the hash). Wins over keel.slot=. The UKI's command line.
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

#include "boot/cmdline.h"
#include "trust/manifest.h"

#include <stdbool.h>

#define STAGE1_MARKER "/etc/keel-initramfs"
#define STAGE1_SYSROOT "/sysroot"
#define STAGE1_DM_NAME "usr"
#define STAGE1_KEYDIR "/etc/keel/keys"
#define STAGE1_MODLIST "/etc/keel/modules"
#define STAGE1_FLOOR_INITRAMFS "/etc/keel/min-version"
#define STAGE1_FLOOR_STATE "/var/lib/keel/min-version"
#define STAGE1_TUF_ROOT "/etc/keel/tuf/root.json"
#define STAGE1_TUF_RUN "/run/keel/tuf"
#define STAGE1_TUF_RUN_ROOT STAGE1_TUF_RUN "/root.json"
#define STAGE1_HOST_INIT "/usr/bin/keel"
#define STAGE1_EFIVARS "/sys/firmware/efi/efivars"
#define STAGE1_ENTRY_MAX 256

struct kerr;

/* What stage 1 has found so far; each step fills its part. */
struct stage1 {
	struct cmdline cmd;   /* /proc/cmdline */
	char disk[64];        /* the disk with the slots (sysfs name, e.g. vda) */
	char slot[16];        /* USR-A / USR-B */
	char part_dev[96];    /* the slot's partition node */
	char state_dev[128];  /* STATE's partition node */
	char key[256];        /* the key that signed the slot's manifest */
	char floor[MANIFEST_VERSION_MAX + 1]; /* the minimum version so far ("" none) */
	char floor_src[64];   /* where it came from */
	struct manifest m;    /* the slot's manifest */
	int secure_boot;      /* 1 on, 0 off, -1 not booted through UEFI (stage1_efi); the
	                       * program starts with -2: not known yet */
	char entry[STAGE1_ENTRY_MAX]; /* systemd-boot's LoaderEntrySelected ("" none) */
	char fallback[STAGE1_ENTRY_MAX]; /* a bad entry (no tries left) in the ESP: boot counting fell back */
};

/* A slot keel.usrhash= looks at: its manifest as manifest_load() left it (ret 0: verified). */
struct stage1_cand {
	int idx;              /* GPT entry */
	char name[16];        /* USR-A / USR-B */
	int ret;              /* manifest_load's result: only 0 counts */
	struct manifest m;
};

/* What stage1_choose_slot saw and did (for the console). */
struct stage1_choice {
	char gpt_dev[128];    /* the disk's node */
	const char *damaged;  /* "primary" / "backup": that GPT copy is damaged; NULL both fine */
	unsigned partn;       /* the chosen partition (1-based), once chosen and its tries written */
	unsigned priority, tries, successful;
	bool decremented;     /* tries > 0 and gptprio chose it: tries - 1 written back */
	bool forced;          /* keel.slot= chose it: tries untouched */
	bool by_usrhash;      /* keel.usrhash= chose it: tries untouched (the boot entry counts) */
	unsigned cleared;     /* fallback: this other slot's tries were set to 0 (partition number) */
};

/* 1 when root is an initramfs keel built: its filesystem is ramfs or tmpfs (statfs magic) and
 * it has the marker STAGE1_MARKER; 0 otherwise (a host root: ext4 or anything else, marker or
 * not). */
int stage1_is_initramfs(const char *root);

/* 1 when key is a keel.* key stage 1 does not know (the console warns; it is ignored). */
int stage1_unknown_key(const char *key);

/* Step 3: load the modules named in list (one a line, '#' comments) with their dependencies
 * from moddir (NULL: /lib/modules/RELEASE of the running kernel). No list: 0 and *loaded -1. */
int stage1_modules(const char *list, const char *moddir, int *loaded, int *skipped, struct kerr *e);

/* Step 3b: on a UEFI boot (sys/firmware/efi/efivars exists) mount efivarfs on sys/firmware/efi/efivars
 * (read-only; already mounted is fine) and fill s->secure_boot (SecureBoot-8be4df61-…: 1 byte,
 * 1 = on; absent: 0) and s->entry (LoaderEntrySelected-4a67b082-…, UTF-16LE; anything outside
 * printable ASCII becomes '?'). Not UEFI: secure_boot -1, entry "", 0. On a failure secure_boot
 * is left as it was (the caller's "not known yet"). */
int stage1_efi(struct stage1 *s, const char *sys, struct kerr *e);
/* The reading half of stage1_efi: the variables in dir (an efivarfs), secure_boot 0 or 1. */
int stage1_efi_vars(struct stage1 *s, const char *dir, struct kerr *e);

/* keel.usrhash=hex among the n candidates: the index of the one whose verified manifest (ret 0)
 * has this root hash (same size and bytes); when both have it, preferred (gptprio.next's GPT
 * entry, -1 none) if it is one of them, else the first. -EINVAL for a hash that is not 64 or
 * 128 lower-case hex digits; -ENOENT naming the hash and what each slot has when none has it. */
int stage1_usrhash_pick(const char *hex, const struct stage1_cand *c, int n, int preferred, struct kerr *e);

/* Step 4: wait up to timeout_s seconds for a partition labelled USR-A or USR-B under sys (the
 * sysfs mount); fills s->disk. -ETIMEDOUT when none appeared. */
int stage1_wait_disk(struct stage1 *s, const char *sys, unsigned timeout_s, struct kerr *e);

/* Step 5: read s->disk's GPT, choose the slot (keel.slot= in s->cmd, else gptprio.next with its
 * tries decremented and written back), fill s->slot and s->part_dev; c says what was seen and
 * done, also on failure (c->damaged once the GPT is read, c->partn once the slot is chosen). */
int stage1_choose_slot(struct stage1 *s, const char *sys, struct stage1_choice *c, struct kerr *e);

/* Step 6: read, verify (keys in keydir) and parse the manifest at the end of s->part_dev into
 * s->m; s->key names the signing key. */
int stage1_manifest(struct stage1 *s, const char *keydir, struct kerr *e);

/* Raise s->floor with the minimum version in root/path (never lower it; none there: unchanged;
 * where says whose file it is), then hold s->m.version against it (-EPERM below it). */
int stage1_floor(struct stage1 *s, const char *root, const char *path, const char *where, struct kerr *e);

/* Step 7: the dm-verity device STAGE1_DM_NAME from s->m over s->part_dev, and its node in
 * /dev/mapper. */
int stage1_verity(const struct stage1 *s, struct kerr *e);

/* Step 8: the partition labelled STATE under sys, on the slots' disk only (-EXDEV otherwise),
 * mounted (ext4) on STAGE1_SYSROOT; fills s->state_dev. */
int stage1_mount_state(struct stage1 *s, const char *sys, struct kerr *e);

/* The host's skeleton beneath root (STATE, mounted on /sysroot): usr etc var home root proc sys
 * dev run tmp mnt are created if missing and must be real directories; bin sbin lib lib64 are
 * created if missing and must be exactly the symlinks usr/bin, usr/sbin, usr/lib, usr/lib64.
 * Anything else planted on the writable partition is refused (-ENOTDIR, -EEXIST), never used:
 * a /usr symlink would redirect the verity mount, and a /lib64 directory would give the verified
 * binaries in /usr an interpreter (ld.so) and libraries from the writable partition. */
int stage1_skeleton(const char *root, struct kerr *e);

/* The verity device read-only on STAGE1_SYSROOT/usr; then a tmpfs on STAGE1_SYSROOT/tmp. */
int stage1_mount_usr(const struct stage1 *s, struct kerr *e);
int stage1_mount_tmp(struct kerr *e);

/* dir/boot (dir is /run/keel): what stage 1 chose, for the host (update tooling marks the slot
 * successful): slot= disk= device= version= root_hash= min_version= usrhash= (keel.usrhash=, ""
 * none) secure_boot= (1, 0, "" not UEFI) entry= (LoaderEntrySelected) fallback= (the bad entry
 * when boot counting fell back, "" none), created exclusively. */
int stage1_record_boot(const struct stage1 *s, const char *dir, struct kerr *e);

/* The release's TUF root (src: STAGE1_TUF_ROOT in the initramfs, inside the signed UKI) to dst
 * in dir (STAGE1_TUF_RUN_ROOT in STAGE1_TUF_RUN, made if missing), read-only (0444), created
 * exclusively, for `keel update` on the host. An initramfs without one: nothing, 0. */
int stage1_tuf_root(const char *src, const char *dir, const char *dst, struct kerr *e);

/* The host init: keel.init= in cmd, which must be an absolute path below /usr/ without "..",
 * so the host never runs code from the writable state partition; else STAGE1_HOST_INIT. */
int stage1_host_init(const struct cmdline *cmd, const char **path, struct kerr *e);

#endif
