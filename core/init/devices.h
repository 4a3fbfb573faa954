/* devices.h — DevicePolicy= and DeviceAllow= (systemd.resource-control(5), systemd 252): which
 * device nodes a service's processes may open or create, enforced by the kernel through a cgroup
 * BPF program (BPF_PROG_TYPE_CGROUP_DEVICE) attached to the service's cgroup, as systemd does it.
 *
 * DeviceAllow=SPEC [ACCESS]: SPEC is a device node path below /dev (resolved to its major:minor
 * with stat(2) when the program is made; a node that does not exist is skipped, as systemd skips
 * it) or "char-NAME" / "block-NAME", NAME a driver name from /proc/devices (a glob: "char-pts"
 * matches every "pts" major); ACCESS is a subset of "rwm" (read, write, mknod; default all three).
 * DevicePolicy=auto (default) restricts only when DeviceAllow= is set; closed and auto-with-a-list
 * add systemd's pseudo devices (/dev/null, zero, full, random, urandom, tty, ptmx: rwm; char-pts:
 * rw); strict allows only the list. An empty DeviceAllow= resets the list.
 *
 * What systemd derives while loading a unit (unit_patch_contexts) is derived too: PrivateDevices=
 * "set[s] DevicePolicy=closed" (systemd.exec(5)) when the policy is auto, and ProtectClock= adds
 * "char-rtc r" — only to a program that is made anyway (a policy other than auto, or a list: "only
 * add these if needed, as they imply that everything else is blocked"), so ProtectClock= alone
 * leaves every device open, as in systemd.
 */
#ifndef KEEL_DEVICES_H
#define KEEL_DEVICES_H

#include "init/unit_value.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct kerr;
struct bpf_insn;

enum dev_policy { DEV_AUTO, DEV_CLOSED, DEV_STRICT };
#define DEV_POLICY_MASK 3 /* the enum dev_policy bits of a policy byte */
#define DEV_RTC 4 /* with a policy: ProtectClock='s "char-rtc r" (dev_effective) */
#define DEV_RULES_MAX 64

/* One resolved rule: type 'c' or 'b', major/minor (-1: any), access bits (1 mknod, 2 read, 4 write:
 * the kernel's BPF_DEVCG_ACC_*). */
struct dev_rule {
	char type;
	int32_t major, minor;
	uint8_t acc;
};

/* DevicePolicy= value: 0 and *out, or -EINVAL. "" is auto. */
int dev_policy_parse(const char *v, uint8_t *out);
/* One DeviceAllow= value: 0 if well-formed (why set otherwise). */
int dev_allow_check(const char *v, const char **why);
/* The policy a program is made for (with DEV_RTC for ProtectClock='s rule), from DevicePolicy=, the
 * number of DeviceAllow= entries, PrivateDevices= and ProtectClock=; -1: no program (auto, no list). */
int dev_effective(uint8_t policy, size_t nallow, bool private_devices, bool protect_clock);
/* The rules for policy (and DEV_RTC) and list: procdev is the text of /proc/devices (names to
 * majors); paths are stat(2)ed. Returns the count or -errno (-E2BIG: more than cap). */
int dev_rules(uint8_t policy, const struct strv *allow, const char *procdev, struct dev_rule *out, size_t cap);
/* The BPF program deciding as the rules say (first match allows; none: deny): count, or -E2BIG. */
int dev_program(const struct dev_rule *r, size_t n, struct bpf_insn *insn, size_t cap);
/* Make the rules and attach the program to the cgroup directory cgfd (BPF_F_ALLOW_MULTI: a
 * delegated subtree may add its own, which can only narrow further). */
int dev_attach(int cgfd, uint8_t policy, const struct strv *allow, struct kerr *e);

#endif
