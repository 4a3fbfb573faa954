/* seccomp_profile.c — fuzz the seccomp profile reader and compiler. Whatever compiles exports a
 * BPF program the evaluator can run; a profile the workload checker calls allow-everything
 * (and that keeps the native architecture) allows every system call with zero arguments. */
#include "base/buf.h"
#include "base/err.h"
#include "base/json.h"
#include "policy/psa.h"
#include "policy/seccomp_profile.h"

#include <linux/seccomp.h>
#include <seccomp.h>
#include <stdint.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const caps[] = {"CAP_SYS_ADMIN", "CAP_SYS_CHROOT"};
	struct scp_opts o = {.caps = caps, .ncaps = size & 1 ? 2 : 0, .kmajor = 6, .kminor = 1};
	struct json_doc doc = {0};
	struct scp s;
	struct buf bpf = BUF_INIT(1 << 22);
	struct kerr e = {0};
	const uint64_t zero[6] = {0};
	if (json_parse(&doc, data, size, NULL, &e))
		return 0;
	if (scp_compile(doc.root, &o, &s, &e)) {
		if (!e.msg[0])
			abort();
		json_free(&doc);
		return 0;
	}
	if (scp_export(&s, &bpf, &e) || !bpf.len || bpf.len % 8)
		abort();
	uint32_t native = seccomp_arch_native();
	int has_native = 0;
	for (int i = 0; i < s.narch; i++)
		has_native |= s.arch[i] == native;
	int all = psa_seccomp_allows_all(doc.root) && has_native;
	for (int nr = 0; nr < 512; nr++) {
		uint32_t a = scp_eval(bpf.p, bpf.len, native, nr, zero) & SECCOMP_RET_ACTION_FULL;
		if (all && a != SECCOMP_RET_ALLOW && a != SECCOMP_RET_LOG)
			abort();
	}
	scp_free(&s);
	buf_free(&bpf);
	json_free(&doc);
	return 0;
}
