/* seccomp_profile.h — OCI and Docker/containers-common seccomp profiles, compiled with libseccomp.
 *
 * The reader takes what runc and containerd take: defaultAction, defaultErrnoRet,
 * architectures or archMap (not both), flags, syscalls[] with names (or the legacy name),
 * action, errnoRet, args[] {index, value, valueTwo, op} and includes/excludes {arches, caps,
 * minKernel}, which are resolved as Docker resolves them: against the native architecture's Go
 * name ("amd64"), the container's capability set and a kernel version. Any other field, an
 * unknown action, op, architecture or system call name is an error naming its JSON pointer.
 * Rules whose action is the default action are dropped (runc does the same); several args on
 * the same argument index become one rule each (runc's fallback), others one rule with all.
 */
#ifndef KEEL_POLICY_SECCOMP_PROFILE_H
#define KEEL_POLICY_SECCOMP_PROFILE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct json;
struct kerr;
struct buf;

struct scp_opts {
	const char *const *caps; /* capability set for includes/excludes.caps */
	size_t ncaps;
	unsigned kmajor, kminor; /* kernel version for minKernel */
};

#define SCP_MAX_NR 1024
struct scp {
	void *ctx;               /* scmp_filter_ctx */
	uint32_t def_action;     /* SCMP_ACT_* of the default */
	int narch;
	uint32_t arch[16];       /* arch tokens added (the native one first when listed) */
	size_t rules, skipped;   /* syscall entries applied / left out by includes, excludes, default */
	uint8_t cond[SCP_MAX_NR]; /* native numbers with a rule that depends on arguments */
};

int scp_compile(const struct json *root, const struct scp_opts *o, struct scp *s, struct kerr *e);
void scp_free(struct scp *s);
/* The filter as the kernel loads it (struct sock_filter[]), appended to out. */
int scp_export(const struct scp *s, struct buf *out, struct kerr *e);
/* Run a seccomp BPF program on (arch, nr, args) as the kernel would: the SECCOMP_RET_* value,
 * or SECCOMP_RET_KILL_PROCESS for a program that is malformed or runs off its end. */
uint32_t scp_eval(const void *prog, size_t len, uint32_t arch, int nr, const uint64_t args[6]);
/* "SCMP_ARCH_X86_64" for a token, NULL if unknown. */
const char *scp_arch_name(uint32_t token);

#endif
