/* unit_cond.h — what the host is, for %-specifiers and Condition…=/Assert…= (systemd.unit(5)).
 *
 * Host facts (hostname, machine and boot ID, kernel, architecture, os-release) are read once,
 * on first use, and kept; nothing here blocks on anything but local files of the kernel and of
 * the root. Conditions are parsed by unit_parse.c into struct unit_cond and evaluated here when
 * a unit is about to start: every condition without '|' must hold, and of those with '|' (the
 * "triggering" ones) at least one, if there are any — Condition…= and Assert…= each on their own.
 */
#ifndef KEEL_UNIT_COND_H
#define KEEL_UNIT_COND_H

#include <stdbool.h>
#include <stddef.h>

struct unit_cond;

enum host_fact {
	HF_HOSTNAME, HF_MACHINE_ID, HF_BOOT_ID, HF_KERNEL, HF_ARCH,
	HF_OS_ID, HF_OS_VERSION_ID, HF_OS_BUILD_ID, HF_OS_VARIANT_ID, HF_OS_IMAGE_ID, HF_OS_IMAGE_VERSION,
	HF_COUNT,
};
/* The fact, or NULL when the host does not have it (no /etc/machine-id…); os-release keys the
 * file lacks are "". */
const char *unit_host_fact(enum host_fact f);

/* systemd's architecture names ("x86-64", "arm64", …): is name one of them? */
bool unit_arch_known(const char *name);
/* Is name a capability systemd knows ("CAP_NET_ADMIN")? Its number, or -1. */
int unit_cap_number(const char *name);
/* ConditionVirtualization= values: yes/no, vm, container, private-users, or an id (kvm, qemu…). */
bool unit_virt_known(const char *value);
/* ConditionSecurity= values (selinux, apparmor, tomoyo, smack, ima, audit, uefi-secureboot, tpm2). */
bool unit_security_known(const char *value);
/* "[OP]VALUE" of ConditionMemory=/CPUs=/KernelVersion=: OP one of < <= = != >= > (default >=
 * for memory and CPUs). Returns the op's length, or -1 if the rest is empty. */
int unit_cond_op(const char *s, int *op);

/* The first condition of conds[0..n) that decides against starting (a plain one that does not
 * hold, or the first triggering one when none held), separately for Condition…= (assert false)
 * and Assert…= (assert true); NULL if the unit may start. rootfd: paths are looked up beneath it. */
const struct unit_cond *unit_cond_failed(const struct unit_cond *conds, size_t n, bool assert, int rootfd);
/* One condition alone (negation applied). */
bool unit_cond_holds(const struct unit_cond *c, int rootfd);

#endif
