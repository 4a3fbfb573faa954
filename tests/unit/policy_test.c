/* policy_test.c — core/policy: the PSS checker on small configs (a forged one next to each good
 * one), the allow-everything judgement, the seccomp compiler run through the BPF evaluator, the
 * host profile parser, the host checks on a fixture root, and every allocation failing in turn. */
#include "t.h"

#include "base/buf.h"
#include "base/err.h"
#include "base/json.h"
#include "init/unit_parse.h"
#include "policy/exposure.h"
#include "policy/host.h"
#include "policy/psa.h"
#include "policy/seccomp_profile.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <seccomp.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

/* A config that passes restricted; cases add one member to it. */
#define BASE_NS "\"namespaces\":[{\"type\":\"pid\"},{\"type\":\"network\"},{\"type\":\"ipc\"}]"
#define BASE_MASK                                                                                   \
	"\"maskedPaths\":[\"/proc/kcore\",\"/proc/latency_stats\",\"/proc/timer_list\",\"/proc/sched_debug\"," \
	"\"/sys/firmware\"],\"readonlyPaths\":[\"/proc/bus\",\"/proc/fs\",\"/proc/irq\",\"/proc/sys\",\"/proc/sysrq-trigger\"]"
#define BASE_SC "\"seccomp\":{\"defaultAction\":\"SCMP_ACT_ERRNO\"}"
#define CFG(proc, linux_) \
	"{\"process\":{\"noNewPrivileges\":true,\"user\":{\"uid\":1000}" proc "},\"linux\":{" BASE_NS "," BASE_MASK "," BASE_SC linux_ "}}"

static int run_psa(const char *cfg, enum psa_level l, struct psa_report *r)
{
	struct json_doc d = {0};
	struct kerr e = {0};
	int ret = json_parse(&d, cfg, strlen(cfg), NULL, &e);
	if (!ret)
		ret = psa_check(d.root, l, r, &e);
	json_free(&d);
	return ret;
}

T_TEST(policy_psa_cases)
{
	static const struct {
		const char *cfg;
		enum psa_level level;
		int ret;
		const char *checks; /* the violated check ids, space-separated */
	} cases[] = {
		{CFG("", ""), PSA_RESTRICTED, 0, ""},
		{CFG(",\"capabilities\":{\"bounding\":[\"CAP_NET_BIND_SERVICE\"]}", ""), PSA_RESTRICTED, 0, ""},
		{CFG(",\"capabilities\":{\"bounding\":[\"CAP_CHOWN\"]}", ""), PSA_RESTRICTED, 0, "capabilities_restricted"},
		{CFG(",\"capabilities\":{\"bounding\":[\"CAP_CHOWN\"]}", ""), PSA_BASELINE, 0, ""},
		{CFG(",\"capabilities\":{\"ambient\":[\"cap_chown\"]}", ""), PSA_BASELINE, 0, "capabilities_baseline"},
		{CFG(",\"apparmorProfile\":\"unconfined\"", ""), PSA_BASELINE, 0, "appArmorProfile"},
		{CFG("", ",\"sysctl\":{\"net.ipv4.tcp_wmem\":\"1\"}"), PSA_BASELINE, 0, ""},
		{CFG("", ",\"sysctl\":{\"net/ipv4/tcp_wmem\":\"1\"}"), PSA_BASELINE, 0, "sysctls"},
		{CFG(",\"noNewPrivileges\":false", ""), PSA_RESTRICTED, -EINVAL, ""}, /* duplicate key: JSON error */
		{"{\"process\":{\"capabilities\":[]}}", PSA_BASELINE, -EINVAL, ""},
		{"[]", PSA_BASELINE, -EINVAL, ""},
		{"{}", PSA_BASELINE, 0, "hostNamespaces hostNamespaces hostNamespaces procMount procMount procMount procMount "
					"procMount procMount procMount procMount procMount procMount"},
	};
	for (size_t i = 0; i < T_LEN(cases); i++) {
		struct psa_report r = {0};
		char got[512] = "";
		int ret = run_psa(cases[i].cfg, cases[i].level, &r);
		for (size_t k = 0; !ret && k < r.n; k++)
			if (!r.f[k].relaxed)
				snprintf(got + strlen(got), sizeof(got) - strlen(got), "%s%s", got[0] ? " " : "", r.f[k].check);
		t_check(ret == cases[i].ret && !strcmp(got, cases[i].checks), "case %zu: ret %d, checks '%s'", i, ret, got);
		psa_report_free(&r);
	}
}

T_TEST(policy_psa_alloc_failures)
{
	const char *cfg = CFG(",\"capabilities\":{\"bounding\":[\"A\",\"B\",\"C\",\"D\",\"E\",\"F\",\"G\",\"H\",\"I\",\"J\","
			      "\"K\",\"L\",\"M\",\"N\",\"O\",\"P\",\"Q\"]}", "");
	struct json_doc d = {0};
	struct kerr e = {0};
	t_check(!json_parse(&d, cfg, strlen(cfg), NULL, &e), "parse");
	for (long n = 1; n < 8; n++) {
		struct psa_report r = {0};
		t_alloc_fail(n);
		int ret = psa_check(d.root, PSA_RESTRICTED, &r, &e);
		int failed = t_alloc_failed();
		t_check(failed ? ret == -ENOMEM && !r.f && !r.n : ret == 0 && r.violations == 17, "allocation %ld: ret %d", n, ret);
		psa_report_free(&r);
	}
	json_free(&d);
}

T_TEST(policy_seccomp_allows_all)
{
	static const struct {
		const char *sc;
		bool all;
	} cases[] = {
		{"{\"defaultAction\":\"SCMP_ACT_ALLOW\"}", true},
		{"{\"defaultAction\":\"SCMP_ACT_LOG\",\"syscalls\":[{\"names\":[\"read\"],\"action\":\"SCMP_ACT_ALLOW\"}]}", true},
		{"{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":[{\"names\":[\"read\"],\"action\":\"SCMP_ACT_ERRNO\"}]}", false},
		{"{\"defaultAction\":\"SCMP_ACT_ERRNO\"}", false},
		{"{\"syscalls\":[]}", false},
	};
	for (size_t i = 0; i < T_LEN(cases); i++) {
		struct json_doc d = {0};
		struct kerr e = {0};
		t_check(!json_parse(&d, cases[i].sc, strlen(cases[i].sc), NULL, &e) && psa_seccomp_allows_all(d.root) == cases[i].all,
			"case %zu", i);
		json_free(&d);
	}
}

/* Compile, export, then ask the evaluator about (nr, arg0, arg1). */
static uint32_t verdict(const char *prof, const char *const *caps, size_t ncaps, int nr, uint64_t arg0, uint64_t arg1, int *ret)
{
	struct json_doc d = {0};
	struct kerr e = {0};
	struct scp s;
	struct buf b = BUF_INIT(1 << 20);
	struct scp_opts o = {.caps = caps, .ncaps = ncaps, .kmajor = 6, .kminor = 1};
	uint64_t args[6] = {arg0, arg1};
	uint32_t v = 0xffffffff;
	*ret = json_parse(&d, prof, strlen(prof), NULL, &e);
	if (!*ret && !(*ret = scp_compile(d.root, &o, &s, &e))) {
		if (!(*ret = scp_export(&s, &b, &e)))
			v = scp_eval(b.p, b.len, seccomp_arch_native(), nr, args);
		scp_free(&s);
	}
	buf_free(&b);
	json_free(&d);
	return v;
}

T_TEST(policy_seccomp_compile_eval)
{
	static const char *const chroot_cap[] = {"CAP_SYS_CHROOT"};
	const char *deny = "{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":[{\"names\":[\"mkdir\"],\"action\":\"SCMP_ACT_ERRNO\",\"errnoRet\":13}]}";
	const char *inc = "{\"defaultAction\":\"SCMP_ACT_ERRNO\",\"syscalls\":[{\"names\":[\"chroot\"],\"action\":\"SCMP_ACT_ALLOW\","
			  "\"includes\":{\"caps\":[\"CAP_SYS_CHROOT\"]}},{\"names\":[\"personality\"],\"action\":\"SCMP_ACT_ALLOW\","
			  "\"args\":[{\"index\":0,\"value\":8,\"op\":\"SCMP_CMP_EQ\"},{\"index\":0,\"value\":0,\"op\":\"SCMP_CMP_EQ\"}]}]}";
	static const struct {
		int which, nr, caps;
		uint64_t arg0;
		uint32_t want;
	} cases[] = {
		{0, SYS_mkdir, 0, 0, SECCOMP_RET_ERRNO | 13},
		{0, SYS_rmdir, 0, 0, SECCOMP_RET_ALLOW},
		{1, SYS_chroot, 0, 0, SECCOMP_RET_ERRNO | EPERM},
		{1, SYS_chroot, 1, 0, SECCOMP_RET_ALLOW},
		{1, SYS_personality, 0, 8, SECCOMP_RET_ALLOW}, /* two conditions on one index: OR */
		{1, SYS_personality, 0, 0, SECCOMP_RET_ALLOW},
		{1, SYS_personality, 0, 9, SECCOMP_RET_ERRNO | EPERM},
	};
	for (size_t i = 0; i < T_LEN(cases); i++) {
		int ret;
		uint32_t v = verdict(cases[i].which ? inc : deny, chroot_cap, cases[i].caps, cases[i].nr, cases[i].arg0, 0, &ret);
		t_check(!ret && v == cases[i].want, "case %zu: ret %d, verdict 0x%08x", i, ret, v);
	}
	static const char *const bad[] = {
		"{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":[{\"names\":[\"nosuchcall\"],\"action\":\"SCMP_ACT_ERRNO\"}]}",
		"{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"unknown\":1}",
		"{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":[{\"names\":[],\"action\":\"SCMP_ACT_ERRNO\"}]}",
		"{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"architectures\":[\"SCMP_ARCH_PDP11\"]}",
	};
	for (size_t i = 0; i < T_LEN(bad); i++) {
		int ret;
		verdict(bad[i], NULL, 0, 0, 0, 0, &ret);
		t_check(ret == -EINVAL, "bad %zu: ret %d", i, ret);
	}
	/* a malformed program: running off its end, an out-of-range load */
	struct sock_filter prog[] = {BPF_STMT(BPF_LD | BPF_W | BPF_ABS, 0)}, far[] = {BPF_STMT(BPF_LD | BPF_W | BPF_ABS, 64),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW)};
	const uint64_t z[6] = {0};
	t_check(scp_eval(prog, sizeof(prog), 0, 0, z) == SECCOMP_RET_KILL_PROCESS, "runs off the end");
	t_check(scp_eval(far, sizeof(far), 0, 0, z) == SECCOMP_RET_KILL_PROCESS, "load beyond seccomp_data");
}

/* Rule sets libseccomp 2.6.0 compiled wrongly or hung on (vendor/patches/libseccomp-rules.patch),
 * each at the arguments it got wrong and at a neighbour it got right. */
#define SC_ARG(i, v, op) "{\"index\":" #i ",\"value\":" v ",\"op\":\"SCMP_CMP_" op "\"}"
#define SC_RULE(name, act, args) "{\"names\":[\"" name "\"],\"action\":\"SCMP_ACT_" act "\",\"args\":[" args "]}"
#define SC_ERRNO(name, e, args) "{\"names\":[\"" name "\"],\"action\":\"SCMP_ACT_ERRNO\",\"errnoRet\":" #e ",\"args\":[" args "]}"
#define SC_PROF(def, rules) "{\"defaultAction\":\"SCMP_ACT_" def "\",\"defaultErrnoRet\":99,\"syscalls\":[" rules "]}"

T_TEST(policy_seccomp_libseccomp_faults)
{
	static const char *const prof[] = {
		/* 0: a level node after one with a sub-tree used the accumulator that sub-tree left */
		SC_PROF("ERRNO", SC_ERRNO("personality", 1, SC_ARG(0, "8589934592", "GT")) ","
			SC_ERRNO("personality", 2, SC_ARG(0, "4294967299", "GE")) ","
			SC_RULE("personality", "ALLOW", SC_ARG(0, "3", "LE"))),
		/* 1: a sub-tree shared by two branches of a rule took the other rule's nodes */
		SC_PROF("ERRNO", SC_ERRNO("ustat", 1, SC_ARG(1, "4294967299", "EQ") "," SC_ARG(0, "3", "LT")) ","
			SC_ERRNO("ustat", 2,
				"{\"index\":1,\"value\":4294967297,\"valueTwo\":4294967297,\"op\":\"SCMP_CMP_MASKED_EQ\"},"
				SC_ARG(0, "4294967295", "LT"))),
		/* 2: the same sharing put a node before itself on its level: seccomp_rule_add() looped */
		SC_PROF("ERRNO", SC_RULE("ustat", "ALLOW", SC_ARG(1, "4294967296", "GE") "," SC_ARG(0, "18446744069414584320", "LE")) ","
			SC_RULE("ustat", "ALLOW", SC_ARG(1, "4294967296", "EQ") "," SC_ARG(0, "18446744069414584320", "LE"))),
		/* 3: where the tree ended in an action, the rule's false branch was dropped */
		SC_PROF("ALLOW", SC_ERRNO("ustat", 1, SC_ARG(0, "4294967301", "GT")) ","
			SC_ERRNO("ustat", 2, SC_ARG(0, "4294967296", "GT") "," SC_ARG(1, "4294967301", "NE"))),
		/* 4: pruning for the second rule took the first's a0 branch away */
		SC_PROF("ERRNO", SC_RULE("ustat", "ALLOW", SC_ARG(1, "8589934592", "EQ") "," SC_ARG(0, "18446744069414584320", "GE")) ","
			SC_RULE("ustat", "ALLOW", SC_ARG(1, "8589934592", "NE"))),
	};
	static const struct {
		int p, nr;
		uint64_t a0, a1;
		uint32_t want;
	} cases[] = {
		{0, SYS_personality, 4, 0, SECCOMP_RET_ERRNO | 99}, /* was ERRNO(1) */
		{0, SYS_personality, 3, 0, SECCOMP_RET_ALLOW},
		{0, SYS_personality, 0x100000003, 0, SECCOMP_RET_ERRNO | 2},
		{1, SYS_ustat, 3, 0x100000003, SECCOMP_RET_ERRNO | 2}, /* was ERRNO(1) */
		{1, SYS_ustat, 0xffffffff, 0x100000003, SECCOMP_RET_ERRNO | 99},
		{2, SYS_ustat, 0, 0x100000000, SECCOMP_RET_ALLOW},
		{2, SYS_ustat, 0, 5, SECCOMP_RET_ERRNO | 99},
		{2, SYS_ustat, 0xffffffff00000001, 0x100000000, SECCOMP_RET_ERRNO | 99},
		{3, SYS_ustat, 0x100000004, 0, SECCOMP_RET_ERRNO | 2}, /* was allowed */
		{3, SYS_ustat, 0x100000004, 0x100000005, SECCOMP_RET_ALLOW},
		{4, SYS_ustat, 0xffffffff00000000, 0x200000000, SECCOMP_RET_ALLOW}, /* was denied */
		{4, SYS_ustat, 0, 0x200000000, SECCOMP_RET_ERRNO | 99},
		{4, SYS_ustat, 0, 5, SECCOMP_RET_ALLOW},
	};
	for (size_t i = 0; i < T_LEN(cases); i++) {
		int ret;
		uint32_t v = verdict(prof[cases[i].p], NULL, 0, cases[i].nr, cases[i].a0, cases[i].a1, &ret);
		t_check(!ret && v == cases[i].want, "case %zu: ret %d, verdict 0x%08x, want 0x%08x", i, ret, v, cases[i].want);
	}
}

/* Random rule sets through libseccomp, each exported filter run at the boundary values of every
 * datum: a verdict is the action of a rule that matches, or the default action when none does. */
struct rr_cond {
	unsigned arg;
	enum scmp_compare op;
	uint64_t v, m;
};

static bool rr_match(const struct rr_cond *c, uint64_t a)
{
	switch (c->op) {
	case SCMP_CMP_NE: return a != c->v;
	case SCMP_CMP_LT: return a < c->v;
	case SCMP_CMP_LE: return a <= c->v;
	case SCMP_CMP_EQ: return a == c->v;
	case SCMP_CMP_GE: return a >= c->v;
	case SCMP_CMP_GT: return a > c->v;
	case SCMP_CMP_MASKED_EQ: return (a & c->m) == c->v;
	default: return false;
	}
}

T_TEST(policy_seccomp_random_rules)
{
	static const uint64_t vals[] = {0, 3, 5, 0xffffffff, 0x100000000, 0x100000003, 0x100000005, 0x200000000,
		0xffffffff00000000};
	static const uint32_t acts[] = {SCMP_ACT_ALLOW, SCMP_ACT_ERRNO(1), SCMP_ACT_ERRNO(2), SCMP_ACT_TRAP};
	static const int nrs[] = {SYS_personality, SYS_ustat, SYS_statfs};
	uint32_t x = 2463534242u;
#define RR_NEXT() (x ^= x << 13, x ^= x >> 17, x ^= x << 5, x)
	const uint32_t native = seccomp_arch_native();
	unsigned sets = 0, wrong = 0, points = 0, first = 0;
	for (unsigned set = 0; set < 1500; set++) {
		uint32_t def = RR_NEXT() % 2 ? SCMP_ACT_ERRNO(99) : SCMP_ACT_KILL_PROCESS;
		scmp_filter_ctx c = seccomp_init(def);
		struct {
			int nr, n;
			bool ok;
			uint32_t act;
			struct rr_cond c[2];
		} r[5];
		uint64_t pts[24] = {0, UINT64_MAX};
		unsigned nr = RR_NEXT() % 5 + 1, np = 2;
		for (unsigned i = 0; i < nr; i++) {
			struct scmp_arg_cmp a[2];
			r[i].act = acts[RR_NEXT() % 4];
			r[i].nr = nrs[RR_NEXT() % 3];
			r[i].n = RR_NEXT() % 3;
			for (int j = 0; j < r[i].n; j++) {
				struct rr_cond *k = &r[i].c[j];
				k->arg = j ? !r[i].c[0].arg : RR_NEXT() % 2;
				k->op = (enum scmp_compare)(RR_NEXT() % 7 + 1);
				k->v = vals[RR_NEXT() % T_LEN(vals)];
				k->m = k->op == SCMP_CMP_MASKED_EQ ? vals[RR_NEXT() % T_LEN(vals)] | 1 : 0;
				k->v &= k->m ? k->m : UINT64_MAX;
				a[j] = (struct scmp_arg_cmp){k->arg, k->op, k->m ? k->m : k->v, k->v};
				for (int d = -1; d <= 1 && np < T_LEN(pts); d++)
					pts[np++] = k->v + (uint64_t)(int64_t)d;
			}
			r[i].ok = !seccomp_rule_add_array(c, r[i].act, r[i].nr, (unsigned)r[i].n, a);
		}
		size_t len = 0;
		struct sock_filter prog[1024];
		if (seccomp_export_bpf_mem(c, NULL, &len) || len > sizeof(prog) || seccomp_export_bpf_mem(c, prog, &len)) {
			seccomp_release(c);
			continue;
		}
		sets++;
		bool bad = false;
		for (unsigned s = 0; s < T_LEN(nrs); s++)
			for (unsigned p = 0; p < np * np; p++) {
				const uint64_t args[6] = {pts[p / np], pts[p % np]};
				uint32_t got = scp_eval(prog, len, native, nrs[s], args);
				bool any = false, fine = false;
				for (unsigned i = 0; i < nr; i++) {
					bool m = r[i].ok && r[i].nr == nrs[s];
					for (int j = 0; m && j < r[i].n; j++)
						m = rr_match(&r[i].c[j], args[r[i].c[j].arg]);
					any |= m;
					fine |= m && r[i].act == got;
				}
				bad |= !(any ? fine : got == def);
				points++;
			}
		if (bad && !wrong++)
			first = set;
		seccomp_release(c);
	}
#undef RR_NEXT
	t_check(sets > 1400 && points > 500000u, "%u rule sets compiled, %u points", sets, points);
	t_check(!wrong, "%u of %u rule sets gave a verdict no rule gives (the first: set %u)", wrong, sets, first);
}

#define PROF(checks, waivers)                                                                           \
	"{\"name\":\"t\",\"version\":1,\"roles\":[\"base\",\"edge\"],\"checks\":[" checks "],\"waivers\":[" waivers "]}"
#define CHK(id, rest) "{\"id\":\"" id "\",\"title\":\"t\",\"rationale\":\"r\"," rest "}"

T_TEST(policy_host_profile)
{
	static const struct {
		const char *p;
		int ret;
		const char *msg; /* start of the error */
	} cases[] = {
		{PROF(CHK("a", "\"kind\":\"sysctl\",\"key\":\"kernel.x\",\"expect\":[\"1\"]"), ""), 0, ""},
		{PROF(CHK("a", "\"kind\":\"sysctl\",\"key\":\"kernel.x\",\"expect\":[\"1\"]"),
			"{\"id\":\"a\",\"reason\":\"r\",\"who\":\"w\",\"expires\":\"2027-01-01\"}"), 0, ""},
		{PROF(CHK("a", "\"kind\":\"sysctl\",\"key\":\"kernel.x\",\"path\":\"/x\""), ""), -EINVAL, "/checks/0/path: unknown field"},
		{PROF(CHK("a", "\"kind\":\"sysctl\",\"key\":\"k\"") "," CHK("a", "\"kind\":\"sysctl\",\"key\":\"k\""), ""), -EINVAL,
			"/checks/1/id: duplicate"},
		{PROF(CHK("A", "\"kind\":\"sysctl\",\"key\":\"k\""), ""), -EINVAL, "/checks/0/id: only"},
		{PROF(CHK("a", "\"kind\":\"sysctl\",\"key\":\"k\",\"roles\":{\"core\":{}}"), ""), -EINVAL, "/checks/0/roles/core: unknown role"},
		{PROF(CHK("a", "\"kind\":\"sysctl\",\"key\":\"k\",\"roles\":{\"edge\":{\"key\":\"x\"}}"), ""), -EINVAL,
			"/checks/0/roles/edge/key: unknown field"},
		{PROF(CHK("a", "\"kind\":\"sysctl\",\"key\":\"k\""), "{\"id\":\"a\",\"reason\":\"r\",\"who\":\"w\",\"expires\":\"2027-13-01\"}"),
			-EINVAL, "/waivers/0/expires"},
		{PROF("", "{\"id\":\"a\",\"reason\":\"r\",\"who\":\"w\",\"expires\":\"2027-01-01\"}"), -EINVAL, "/waivers/0/id: no check"},
		{"{\"name\":\"t\",\"version\":1,\"roles\":[],\"checks\":[]}", -EINVAL, "/roles"},
	};
	for (size_t i = 0; i < T_LEN(cases); i++) {
		struct hc_profile p;
		struct kerr e = {0};
		int ret = hc_profile_parse(&p, cases[i].p, strlen(cases[i].p), &e);
		t_check(ret == cases[i].ret && !strncmp(e.msg, cases[i].msg, strlen(cases[i].msg)), "case %zu: %d %s", i, ret, e.msg);
		if (!ret)
			hc_profile_free(&p);
	}
	/* every allocation failing in turn: an error, never a half-built profile */
	const char *good = cases[1].p;
	for (long n = 1; n < 12; n++) {
		struct hc_profile p;
		struct kerr e = {0};
		t_alloc_fail(n);
		int ret = hc_profile_parse(&p, good, strlen(good), &e);
		int failed = t_alloc_failed();
		t_check(failed ? ret == -ENOMEM && !p.c : ret == 0 && p.n == 1 && p.nw == 1, "allocation %ld: %d", n, ret);
		if (!ret)
			hc_profile_free(&p);
	}
}

T_TEST(policy_host_checks)
{
	const char *prof = PROF(CHK("s", "\"kind\":\"sysctl\",\"key\":\"kernel.x\",\"min\":2,\"roles\":{\"edge\":{\"min\":1}}") ","
		CHK("m", "\"kind\":\"mount\",\"path\":\"/tmp\",\"options\":[\"nosuid\"]") ","
		CHK("l", "\"kind\":\"file\",\"path\":\"/lock\",\"selected\":[\"integrity\"]") ","
		CHK("c", "\"kind\":\"cmdline\",\"absent\":[\"init\"]") "," CHK("g", "\"kind\":\"sysctl\",\"key\":\"kernel.gone\",\"expect\":[\"1\"]"),
		"{\"id\":\"m\",\"reason\":\"r\",\"who\":\"w\",\"expires\":\"2026-12-31\"}");
	static const struct {
		const char *role, *today;
		enum hc_status st[5];
	} cases[] = {
		{"base", "2026-12-03", {HC_FAIL, HC_WAIVED, HC_PASS, HC_FAIL, HC_UNKNOWN}},
		{"edge", "2026-12-03", {HC_PASS, HC_WAIVED, HC_PASS, HC_FAIL, HC_UNKNOWN}},
		{"base", "2027-01-01", {HC_FAIL, HC_FAIL, HC_PASS, HC_FAIL, HC_UNKNOWN}},
	};
	char dir[256];
	str_copy(dir, sizeof(dir), t_tmpdir());
	const char *mk[] = {"proc", "proc/sys", "proc/sys/kernel", "proc/1"};
	for (size_t i = 0; i < T_LEN(mk); i++) {
		char p[300];
		snprintf(p, sizeof(p), "%s/%s", dir, mk[i]);
		mkdir(p, 0755);
	}
	t_write("proc/sys/kernel/x", "1\n", 2);
	t_write("proc/1/mountinfo", "1 0 0:1 / /tmp rw,nodev - tmpfs tmpfs rw\n", 41);
	t_write("lock", "none [integrity]\n", 17);
	t_write("proc/cmdline", "quiet init=/bin/sh\n", 19);
	int rootfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	struct hc_profile p;
	struct kerr e = {0};
	t_check(!hc_profile_parse(&p, prof, strlen(prof), &e), "profile: %s", e.msg);
	for (size_t i = 0; i < T_LEN(cases); i++) {
		struct hc_result res[5];
		t_check(!hc_run(&p, rootfd, cases[i].role, cases[i].today, res), "run %zu", i);
		for (int k = 0; k < 5; k++)
			t_check(res[k].st == cases[i].st[k], "case %zu check %s: %s (%s)", i, res[k].c->id, hc_status_name(res[k].st),
				res[k].observed);
	}
	hc_profile_free(&p);
	close(rootfd);
}

/* ---- unit exposure (policy/exposure.c): values systemd-analyze security --offline=true of
 * systemd 252 gives for the same text; a forged value next to each setting ---------------------- */

static void ux_note(void *arg, const struct kerr *e)
{
	(void)e;
	++*(int *)arg;
}

static int ux_run(const char *text, struct ux_result *r, int *notes)
{
	struct unit u;
	struct ux_extra x;
	struct kerr e = {0};
	*notes = 0;
	ux_extra_init(&x, ux_note, notes);
	if (unit_init(&u, "t.service"))
		return -1;
	u.observer = &x.obs;
	int ret = unit_parse(&u, "t.service", text, strlen(text), &e);
	if (!ret)
		ret = ux_assess(&u, &x, r);
	unit_free(&u);
	return ret;
}

#define SVC "[Service]\nExecStart=/bin/true\n"
T_TEST(unit_exposure)
{
	static const struct { const char *text; unsigned exposure; int notes; const char *level; } cases[] = {
		{SVC, 96, 0, "UNSAFE"},
		{SVC "User=web\n", 92, 0, "UNSAFE"},
		{SVC "User=nobody\n", 95, 0, "UNSAFE"}, /* 9 of 10 */
		{SVC "DynamicUser=yes\n", 84, 1, "EXPOSED"}, /* keel refuses it, systemd's reading is scored */
		{"[Unit]\nDefaultDependencies=no\n" SVC "DynamicUser=yes\n", 87, 1, "EXPOSED"},
		{SVC "KeyringMode=bogus\n", 96, 2, "UNSAFE"}, /* ignored as systemd ignores it (and refused) */
		{SVC "SystemCallFilter=@system-service\n", 82, 0, "EXPOSED"},
		{SVC "SystemCallFilter=~@mount\n", 94, 0, "UNSAFE"},
		{SVC "IPAddressDeny=any\nIPAddressAllow=localhost\n", 94, 2, "UNSAFE"},
		{SVC "IPAddressDeny=0.0.0.0/0\n", 96, 1, "UNSAFE"}, /* IPv4 only: no allow-list */
		{SVC "IPAddressDeny=10.0.0.0/33\n", 96, 2, "UNSAFE"},
	};
	for (size_t i = 0; i < T_LEN(cases); i++) {
		struct ux_result r;
		int notes, ret = ux_run(cases[i].text, &r, &notes);
		t_check(!ret && r.exposure == cases[i].exposure && notes == cases[i].notes &&
				!strcmp(ux_level(r.exposure), cases[i].level),
			"case %zu: ret %d exposure %u notes %d level %s", i, ret, r.exposure, notes, ux_level(r.exposure));
	}
	/* the table: 81 rows, systemd's weights sum to 56,460 (its debug table: SYSTEMD_ANALYZE_DEBUG=1) */
	unsigned sum = 0, w, range;
	char name[64];
	for (unsigned i = 0; i < UX_CHECKS; i++) {
		ux_check(i, name, sizeof(name), &w, &range);
		sum += w;
	}
	ux_check(UX_CHECKS - 1, name, sizeof(name), &w, &range);
	t_check(!strcmp(name, "AmbientCapabilities=") && w == 500 && range == 1, "last row: %s %u %u", name, w, range);
	ux_check(65, name, sizeof(name), &w, &range);
	t_check(!strcmp(name, "RestrictAddressFamilies=~\xe2\x80\xa6") && w == 1250, "row 65: %s %u", name, w);
	t_check(sum == 56460, "weights sum to %u", sum);
	static const unsigned lv[] = {0, 1, 9, 10, 49, 50, 74, 75, 89, 90, 99, 100};
	static const char *const ln[] = {"PERFECT", "SAFE", "SAFE", "OK", "OK", "MEDIUM", "MEDIUM", "EXPOSED", "EXPOSED",
		"UNSAFE", "UNSAFE", "DANGEROUS"};
	for (size_t i = 0; i < T_LEN(lv); i++)
		t_check(!strcmp(ux_level(lv[i]), ln[i]), "level of %u: %s", lv[i], ux_level(lv[i]));
}
