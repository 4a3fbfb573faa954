/* psa.h — Pod Security Standards (Kubernetes v1.35, baseline and restricted) judged on an OCI
 * runtime-spec config.json, the form a container runtime shim hands to runc.
 *
 * psa_check() walks the parsed document and records one finding per offending value: the
 * control as the standard names it ("Host Namespaces"), the check id of pod-security-admission
 * ("hostNamespaces"), the level that set it, the JSON pointer of the value and a reason. The
 * restricted level runs every baseline check too, except where the standard overrides one
 * (capabilities_restricted over capabilities_baseline, restrictedVolumes over hostPathVolumes,
 * seccompProfile_restricted over seccompProfile_baseline). Inside a user namespace whose
 * mappings keep container root off host root, procMount, runAsNonRoot and runAsUser are
 * relaxed as the standard relaxes them; each relaxation is recorded as a finding with
 * relaxed = true. A field of the wrong JSON type is an error (-EINVAL, e names its pointer):
 * the config cannot be judged. Unknown fields are ignored, as the runtime spec requires.
 */
#ifndef KEEL_POLICY_PSA_H
#define KEEL_POLICY_PSA_H

#include <stdbool.h>
#include <stddef.h>

struct json;
struct kerr;

enum psa_level { PSA_BASELINE, PSA_RESTRICTED };

struct psa_finding {
	const char *control; /* "Capabilities" */
	const char *check;   /* "capabilities_restricted" */
	enum psa_level level;
	bool relaxed;        /* allowed only because of a user namespace */
	char path[160];      /* JSON pointer: "/process/capabilities/bounding/0" */
	char reason[240];
};

struct psa_report {
	struct psa_finding *f;
	size_t n, cap;
	size_t violations; /* findings with relaxed == false */
};

int psa_check(const struct json *root, enum psa_level level, struct psa_report *r, struct kerr *e);
void psa_report_free(struct psa_report *r);
const char *psa_level_name(enum psa_level l);

/* An OCI seccomp object (linux.seccomp) that allows everything: defaultAction allow or log and
 * no rule with another action. Shared with the seccomp profile reader. */
bool psa_seccomp_allows_all(const struct json *seccomp);

#endif
