/* exposure.h — how exposed a service is: the sandboxing settings it has and lacks and an overall
 * exposure level, computed the way `systemd-analyze security` of systemd 252 computes it
 * (src/analyze/analyze-security.c; its table of 81 checks, weights, ranges and levels).
 *
 * Each check gives a badness between 0 and its range (UX_NA: does not apply). The exposure, in
 * tenths from 0 to 100, is ceil(100 * S / W) where S sums ceil(badness * weight / range) and W
 * sums the weights of the checks that apply. Levels: 100 DANGEROUS, >= 90 UNSAFE, >= 75 EXPOSED,
 * >= 50 MEDIUM, >= 10 OK, >= 1 SAFE, 0 PERFECT.
 *
 * The settings come from keel's own unit parser (core/init): struct unit, and for what keel
 * refuses or does not keep (DynamicUser=, PrivateUsers=, RemoveIPC=, KeyringMode=,
 * RootDirectory=/RootImage=, DevicePolicy=/DeviceAllow= (keel init keeps them compiled), IPAddressDeny=/IPAddressAllow=,
 * IP*FilterPath=, DefaultDependencies=) a unit_observer that sees the values as written. What
 * systemd derives when it loads a unit is derived here too: DynamicUser= implies a non-root user,
 * PrivateTmp=, RemoveIPC=, ProtectSystem=strict, ProtectHome=read-only (from no),
 * NoNewPrivileges= and RestrictSUIDSGID=; PrivateDevices= drops CAP_MKNOD and CAP_SYS_RAWIO and
 * closes an "auto" device policy; ProtectKernelModules= drops CAP_SYS_MODULE, ProtectKernelLogs=
 * CAP_SYSLOG, ProtectClock= CAP_SYS_TIME and CAP_WAKE_ALARM and adds "char-rtc r" to DeviceAllow=.
 */
#ifndef KEEL_POLICY_EXPOSURE_H
#define KEEL_POLICY_EXPOSURE_H

#include "init/unit_parse.h"

#include <stdbool.h>
#include <stdint.h>

#define UX_CHECKS 81
#define UX_NA 255

/* What the observer collected (ux_extra_init() sets systemd's defaults). */
struct ux_extra {
	struct unit_observer obs;
	bool default_deps, dynamic_user, private_users, remove_ipc, own_root, root_image, keyring_private;
	bool device_allow, ip_filters, ip_deny4, ip_deny6, ip_allow_local, ip_allow_other;
	uint8_t device_policy; /* 0 auto, 1 closed, 2 strict */
	unsigned bad;          /* values of those settings the observer could not read (reported) */
};
void ux_extra_init(struct ux_extra *x, unit_report_fn *report, void *arg);

struct ux_result {
	unsigned exposure;          /* tenths, 0..100 */
	uint64_t weight_sum;
	uint8_t badness[UX_CHECKS]; /* 0..range, or UX_NA */
};

/* Assess a parsed service. Returns 0, or -ENOMEM. */
int ux_assess(const struct unit *u, const struct ux_extra *x, struct ux_result *r);

/* Check i: its name as systemd-analyze prints it ("PrivateDevices=", "SystemCallFilter=~@swap"),
 * weight and range; and the part (tenths) one row adds to the exposure. */
void ux_check(unsigned i, char *name, size_t n, unsigned *weight, unsigned *range);
unsigned ux_row_exposure(const struct ux_result *r, unsigned i);
const char *ux_level(unsigned exposure);

#endif
