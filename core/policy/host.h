/* host.h — is this host hardened as promised: a declarative profile (JSON, strict) of checks,
 * each read from the kernel's own interface beneath a root directory, with roles that change
 * expectations and waivers that are recorded, never hidden.
 *
 * A profile: {"name", "version": 1, "roles": [...], "checks": [...], "waivers": [...]}. A check:
 * "id", "title", "rationale", optional "anchor" (CIS / Bottlerocket id), "kind" and its fields,
 * optional "roles": {ROLE: {override}} where an override may set "expect", "min", "allow" or
 * "skip". Kinds and their fields:
 *   sysctl          key (dotted), expect [values] | min N        /proc/sys/KEY
 *   file            path, key (for KEY=VALUE files), expect | min | selected [words]
 *                   ("selected" reads the bracketed choice, as /sys/kernel/security/lockdown)
 *   efivar          name (NAME-GUID), expect [values]: the first data byte, decimal
 *   mount           path, options [required], source, optional    /proc/1/mountinfo
 *   writable-mounts options [required on every writable mount], except [mount points]
 *   module          name: neither loaded (/proc/modules) nor loadable (modules.dep, unless
 *                   kernel.modules_disabled is 1)
 *   walk            allow [setuid/setgid paths]: writable mounts hold no world-writable file, no
 *                   file whose owner or group /etc/passwd, /etc/group (beneath the root) do not
 *                   name (uid and gid 0 always exist), no
 *                   world-writable directory without the sticky bit, no setuid/setgid file
 *                   outside allow
 *   listen          allow ["tcp:22", "udp:123"]: sockets listening beyond loopback, /proc/1/net
 *   cmdline         absent [words], present [words]                /proc/cmdline
 *   clock           max N: synchronised (no STA_UNSYNC) with maxerror <= N us   adjtimex(2)
 *   floor           the booted version= at least min_version= (the floor stage 1 enforced;
 *                   "" none)                                     /run/keel/boot
 *   verity          device: its live device-mapper table is verity with the root hash stage 1
 *                   recorded (root_hash= of /run/keel/boot)
 *   units           expect [unit names]: each active, as keel init's status answers on its
 *                   control socket (HC_INIT_SOCK)
 * clock, verity and units read the running kernel and PID 1 (hc_live_read(), before the applet narrows its system
 * calls): with a root other than "/" they could not be evaluated.
 * Any other field, a duplicate id, a waiver naming no check, an unknown kind or role is an
 * error naming its JSON pointer. A missing interface makes a check "could not evaluate".
 */
#ifndef KEEL_POLICY_HOST_H
#define KEEL_POLICY_HOST_H

#include <stdbool.h>
#include <stddef.h>

#include "base/json.h"

struct kerr;

struct hc_check {
	const char *id, *title, *rationale, *anchor, *kind;
	const struct json *obj; /* the check's object in the profile */
};

struct hc_waiver {
	const char *id, *reason, *who, *expires; /* expires: YYYY-MM-DD */
};

struct hc_profile {
	struct json_doc doc;
	const char *name;
	const struct json *roles;
	struct hc_check *c;
	size_t n;
	struct hc_waiver *w;
	size_t nw;
};

enum hc_status { HC_PASS, HC_FAIL, HC_WAIVED, HC_UNKNOWN, HC_SKIP };

struct hc_result {
	const struct hc_check *c;
	enum hc_status st;
	const struct hc_waiver *w; /* the waiver that applied, or one that expired */
	char expected[160], observed[320], where[160];
};

/* The default profile (config/policy/host.json in the tree), where host images ship it: on the
 * verified /usr, so it is as trusted as keel itself. */
#define HC_DEFAULT_PROFILE "/usr/share/keel/policy/host.json"
#define HC_INIT_SOCK "/run/keel/init.sock" /* keel init's control socket (init/ctl.h) */

int hc_profile_parse(struct hc_profile *p, const void *data, size_t len, struct kerr *e);
void hc_profile_free(struct hc_profile *p);
bool hc_role_known(const struct hc_profile *p, const char *role);
const struct hc_check *hc_find(const struct hc_profile *p, const char *id);

/* Run every check beneath rootfd for role; today is "YYYY-MM-DD" (waiver expiry). res holds
 * p->n results. Returns 0, or -ENOMEM. */
int hc_run(const struct hc_profile *p, int rootfd, const char *role, const char *today, struct hc_result *res);
const char *hc_status_name(enum hc_status s);

/* Read what only the running kernel answers (adjtimex(2), the device-mapper table of the first
 * verity check's device) when rootfd is "/"; call before narrowing system calls. Returns 0. */
int hc_live_read(const struct hc_profile *p, int rootfd);

/* --apply: write the value a failed sysctl check expects (expect[0], or min) for role to its
 * /proc/sys file beneath rootfd in one write(2), which the kernel takes whole or refuses. Returns
 * 0 with the value in val, 1 for a result that is not a failed sysctl check, or -errno. */
int hc_apply(int rootfd, const char *role, const struct hc_result *x, char *val, size_t n);

/* What booted, for the report: /run/keel/boot (stage 1's record), /proc/cmdline, SecureBoot. */
struct hc_booted {
	char release[80], root_hash[132], slot[16], cmdline[1024];
	int secure_boot; /* 1 on, 0 off, -1 unknown */
};
int hc_booted(int rootfd, struct hc_booted *b);

#endif
