/* keel policy - may this workload run here (Pod Security Standards), what a seccomp profile allows, is this host hardened
 *
 * usage: keel policy workload [--level baseline|restricted] [--json|--sarif] BUNDLE|CONFIG.json
 *        keel policy seccomp [--caps CAP,...] [--kernel X.Y] [--export-bpf FILE] [--json] PROFILE.json
 *        keel policy host [--profile FILE] [--root DIR] [--role NAME] [--date YYYY-MM-DD] [--apply] [--json|--sarif]
 *        keel policy host [--profile FILE] --explain ID
 *        keel policy units [--root DIR] [--threshold N] [--json] [UNIT|FILE...]
 *
 * workload: judge an OCI runtime-spec config.json (or BUNDLE/config.json) by the Pod Security
 * Standards (Kubernetes v1.35) at the given level (default restricted, which includes
 * baseline). Each violation names the control as the standard names it, the check id of
 * pod-security-admission and the JSON pointer of the offending value. Inside a user namespace
 * whose mappings keep container root off host root, procMount, runAsNonRoot and runAsUser are
 * relaxed as the standard relaxes them; each relaxation is listed.
 *
 * seccomp: read an OCI or Docker/containers-common seccomp profile (defaultAction,
 * architectures or archMap, syscalls with names, action, errnoRet, args, includes/excludes by
 * arch, caps and minKernel), compile it with libseccomp as runc would, and report what the
 * filter does for each system call of the native architecture (run on the compiled BPF with
 * zero arguments; rules that depend on arguments are marked). Unknown fields, actions,
 * operators, architectures and system call names are errors.
 *
 * host: run a host profile's checks (default: keel's own profile, roles base and
 * kubernetes-node) against the kernel's interfaces beneath --root: sysctls, mount options,
 * risky modules, world-writable and setuid files on writable mounts, listening sockets, the
 * kernel command line, lockdown, module signatures, Secure Boot, the booted release and its
 * floor, the verity root hash of /usr's device, clock synchronisation (adjtimex). Each
 * result has the check id, the expected and observed value and where it was read. A waiver
 * (id, reason, who, expires) turns a failure into a recorded WAIVED until it expires. A missing
 * interface is UNKNOWN (could not evaluate), never FAIL.
 *
 * units: how exposed each service is, as `systemd-analyze security` (systemd 252) computes it:
 * its 81 checks with weights and ranges, the settings each service has and lacks, an overall
 * exposure 0.0-10.0 and its level (PERFECT SAFE OK MEDIUM EXPOSED UNSAFE DANGEROUS). UNITs are
 * loaded beneath --root as keel init loads them (drop-ins, masks); a FILE (a path) alone; none:
 * every service there. What keel refuses (DynamicUser=, IPAddressDeny=...) is scored as systemd
 * reads it and named.
 *
 * Options:
 *   --profile FILE     a host profile (default /usr/share/keel/policy/host.json, shipped
 *                      in the image from config/policy/host.json; format: see the docs)
 *   --root DIR         read /proc, /sys, /run beneath DIR (default /)
 *   --role NAME        base (default) or another role the profile declares
 *   --date YYYY-MM-DD  judge waiver expiry on this day (default today, UTC)
 *   --explain ID       print a check's title, rationale, anchor and expectation per role
 *   --apply            host: set each failed sysctl to the value the profile expects for the
 *                      role (one write per key, each reported on stderr), then judge again
 *   --caps LIST        capabilities the container holds, for includes/excludes.caps
 *                      (comma-separated CAP_ names; default none)
 *   --kernel X.Y       kernel version for minKernel (default: the running kernel)
 *   --export-bpf FILE  write the compiled filter (struct sock_filter[]) to FILE, atomically
 *   --level L          baseline or restricted (workload)
 *   --threshold N      units: exit 1 when an exposure exceeds N tenths (0-100; default 100)
 *   --json             machine-readable report (schema: see the docs)
 *   --sarif            SARIF 2.1.0 for code-scanning pipelines (workload, host): one result per
 *                      violation or failed / unevaluated check; waivers and user-namespace
 *                      relaxations are suppressions
 *
 * Exit status: 0 allowed / passed; 1 a violation; 2 usage; 3 could not evaluate (an input
 * missing, unreadable, malformed, over its size limit).
 */
#include "base/applet.h"
#include "base/args.h"
#include "base/buf.h"
#include "base/err.h"
#include "base/fs.h"
#include "base/json.h"
#include "base/log.h"
#include "base/sandbox.h"
#include "base/scan.h"
#include "init/unit_load.h"
#include "policy/exposure.h"
#include "policy/host.h"
#include "policy/psa.h"
#include "policy/seccomp_profile.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <linux/seccomp.h>
#include <seccomp.h>
#include <stdlib.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#define INPUT_MAX (16u << 20)

static const char *const no_syscalls[] = {NULL};

/* Read PATH (or PATH/dirfile when PATH is a directory and dirfile is set) and parse it. Errors
 * are printed; returns 0 or an exit code (3: could not evaluate). */
static int load_json(const char *path, const char *dirfile, struct buf *in, struct json_doc *doc)
{
	struct kerr e = {0};
	struct stat st;
	int ret, fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0)
		return kfail(EXIT_FAIL, "%s: %s", path, kerr_strerror(errno));
	if (dirfile && !fstat(fd, &st) && S_ISDIR(st.st_mode)) {
		int f = openat(fd, dirfile, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NOFOLLOW);
		close(fd);
		if (f < 0)
			return kfail(EXIT_FAIL, "%s/%s: %s", path, dirfile, kerr_strerror(errno));
		fd = f;
	}
	if (!fstat(fd, &st) && S_ISREG(st.st_mode) && (uint64_t)st.st_size > INPUT_MAX) {
		close(fd);
		return kfail(EXIT_FAIL, "%s: %lld bytes, more than the limit of %u", path, (long long)st.st_size, INPUT_MAX);
	}
	buf_init(in, INPUT_MAX);
	ret = fs_read_fd(fd, INPUT_MAX, in);
	close(fd);
	if (ret)
		return kfail(EXIT_FAIL, "%s: read: %s", path,
			ret == -EFBIG ? "more than the limit of 16777216 bytes" : kerr_strerror(ret));
	if ((ret = json_parse(doc, in->p, in->len, NULL, &e)))
		return kfail(EXIT_FAIL, "%s: %s", path, kerr_str(&e, ret));
	return 0;
}

static int narrow_to(const char *const calls[])
{
	struct kerr e = {0};
	int ret = sandbox_enter(calls, &e);
	return ret ? kfail(EXIT_FAIL, "%s", kerr_str(&e, ret)) : 0;
}

static int emit_json(struct jw *w, struct buf *b)
{
	int ret = jw_finish(w);
	if (!ret)
		printf("%s\n", (const char *)b->p);
	buf_free(b);
	return ret ? kfail(EXIT_FAIL, "--json: %s", kerr_strerror(ret)) : 0;
}

static void jw_kv(struct jw *w, const char *k, const char *v)
{
	jw_key(w, k);
	jw_str(w, v);
}

/* ---- SARIF 2.1.0: one run, the tool's rules, then results ---------------------------------- */

static void sarif_open(struct jw *w)
{
	jw_obj(w);
	jw_kv(w, "version", "2.1.0");
	jw_key(w, "runs");
	jw_arr(w);
	jw_obj(w);
	jw_key(w, "tool");
	jw_obj(w);
	jw_key(w, "driver");
	jw_obj(w);
	jw_kv(w, "name", "keel policy");
	jw_key(w, "rules");
	jw_arr(w);
}

static void sarif_rule(struct jw *w, const char *id, const char *name, const char *text)
{
	jw_obj(w);
	jw_kv(w, "id", id);
	jw_kv(w, "name", name);
	jw_key(w, "shortDescription");
	jw_obj(w);
	jw_kv(w, "text", text);
	jw_obj_end(w);
	jw_obj_end(w);
}

static void sarif_results(struct jw *w)
{
	jw_arr_end(w); /* rules */
	jw_obj_end(w); /* driver */
	jw_obj_end(w); /* tool */
	jw_key(w, "results");
	jw_arr(w);
}

/* One result: ruleId, level, message, the file it is about, a logical location (a JSON pointer
 * or a check id), and a suppression when a waiver or a relaxation accepted it. */
static void sarif_result(struct jw *w, const char *rule, const char *level, const char *msg, const char *uri,
	const char *logical, const char *suppressed)
{
	jw_obj(w);
	jw_kv(w, "ruleId", rule);
	jw_kv(w, "level", level);
	jw_key(w, "message");
	jw_obj(w);
	jw_kv(w, "text", msg);
	jw_obj_end(w);
	jw_key(w, "locations");
	jw_arr(w);
	jw_obj(w);
	jw_key(w, "physicalLocation");
	jw_obj(w);
	jw_key(w, "artifactLocation");
	jw_obj(w);
	jw_kv(w, "uri", uri);
	jw_obj_end(w);
	jw_obj_end(w);
	jw_key(w, "logicalLocations");
	jw_arr(w);
	jw_obj(w);
	jw_kv(w, "fullyQualifiedName", logical);
	jw_obj_end(w);
	jw_arr_end(w);
	jw_obj_end(w);
	jw_arr_end(w);
	if (suppressed) {
		jw_key(w, "suppressions");
		jw_arr(w);
		jw_obj(w);
		jw_kv(w, "kind", "external");
		jw_kv(w, "justification", suppressed);
		jw_obj_end(w);
		jw_arr_end(w);
	}
	jw_obj_end(w);
}

static void sarif_close(struct jw *w)
{
	jw_arr_end(w); /* results */
	jw_obj_end(w); /* run */
	jw_arr_end(w); /* runs */
	jw_obj_end(w);
}

/* ---- workload ----------------------------------------------------------------------------- */

static void psa_json_list(struct jw *w, const struct psa_report *r, bool relaxed)
{
	jw_key(w, relaxed ? "relaxed" : "violations");
	jw_arr(w);
	for (size_t i = 0; i < r->n; i++) {
		const struct psa_finding *f = &r->f[i];
		if (f->relaxed != relaxed)
			continue;
		jw_obj(w);
		jw_kv(w, "control", f->control);
		jw_kv(w, "check", f->check);
		jw_kv(w, "level", psa_level_name(f->level));
		jw_kv(w, "path", f->path);
		jw_kv(w, "reason", f->reason);
		jw_obj_end(w);
	}
	jw_arr_end(w);
}

static int cmd_workload(int argc, char **argv)
{
	const char *level = "restricted";
	int json = 0, sarif = 0, rc;
	const struct opt opts[] = {{"level", 0, OPT_STR, &level}, {"json", 0, OPT_FLAG, &json},
		{"sarif", 0, OPT_FLAG, &sarif}, {0}};
	char **ops;
	int n = args_parse(opts, argc, argv, &ops);
	if (n < 0)
		return args_exit(n);
	if (n != 1)
		return kfail(EXIT_USAGE, "workload: one BUNDLE or CONFIG.json expected (see --help)");
	enum psa_level lvl;
	if (!strcmp(level, "baseline"))
		lvl = PSA_BASELINE;
	else if (!strcmp(level, "restricted"))
		lvl = PSA_RESTRICTED;
	else
		return kfail(EXIT_USAGE, "--level: '%s' is not baseline or restricted", level);

	struct buf in = {0};
	struct json_doc doc = {0};
	struct psa_report r = {0};
	struct kerr e = {0};
	if ((rc = load_json(ops[0], "config.json", &in, &doc)) || (rc = narrow_to(no_syscalls)))
		goto out;
	int ret = psa_check(doc.root, lvl, &r, &e);
	if (ret) {
		rc = kfail(EXIT_FAIL, "%s: could not evaluate: %s", ops[0], kerr_str(&e, ret));
		goto out;
	}
	if (sarif) {
		struct buf b = BUF_INIT(4 << 20);
		struct jw w;
		char msg[512];
		jw_init(&w, &b);
		sarif_open(&w);
		for (size_t i = 0; i < r.n; i++) { /* each check id once */
			size_t k = 0;
			while (k < i && strcmp(r.f[k].check, r.f[i].check))
				k++;
			if (k == i)
				sarif_rule(&w, r.f[i].check, r.f[i].control, r.f[i].control);
		}
		sarif_results(&w);
		for (size_t i = 0; i < r.n; i++) {
			const struct psa_finding *f = &r.f[i];
			snprintf(msg, sizeof(msg), "%s (%s): %s", f->control, psa_level_name(f->level), f->reason);
			sarif_result(&w, f->check, "error", msg, ops[0], f->path, f->relaxed ? "relaxed inside a user namespace" : NULL);
		}
		sarif_close(&w);
		if ((rc = emit_json(&w, &b)))
			goto out;
	} else if (json) {
		struct buf b = BUF_INIT(4 << 20);
		struct jw w;
		jw_init(&w, &b);
		jw_obj(&w);
		jw_kv(&w, "config", ops[0]);
		jw_kv(&w, "standard", "Pod Security Standards v1.35");
		jw_kv(&w, "level", level);
		jw_key(&w, "allowed");
		jw_bool(&w, !r.violations);
		psa_json_list(&w, &r, false);
		psa_json_list(&w, &r, true);
		jw_obj_end(&w);
		if ((rc = emit_json(&w, &b)))
			goto out;
	} else {
		for (size_t i = 0; i < r.n; i++) {
			const struct psa_finding *f = &r.f[i];
			printf("%-7s %s %s (%s) %s: %s\n", f->relaxed ? "RELAXED" : "FAIL", psa_level_name(f->level), f->control,
				f->check, f->path, f->reason);
		}
		if (r.violations)
			printf("%s: not allowed at %s: %zu violation%s\n", ops[0], level, r.violations,
				r.violations == 1 ? "" : "s");
		else
			printf("%s: allowed at %s\n", ops[0], level);
	}
	rc = r.violations ? EXIT_NO : EXIT_OK;
out:
	psa_report_free(&r);
	json_free(&doc);
	buf_free(&in);
	return rc;
}

/* ---- seccomp ------------------------------------------------------------------------------ */

static const char *const export_syscalls[] = {"openat", "openat2", "getrandom", "fchmod", "fsync", "renameat",
	"renameat2", "unlinkat", NULL};

static const char *action_str(uint32_t a, char *b, size_t n)
{
	uint32_t data = a & SECCOMP_RET_DATA;
	switch (a & SECCOMP_RET_ACTION_FULL) {
	case SECCOMP_RET_ALLOW: return "allow";
	case SECCOMP_RET_LOG: return "log";
	case SECCOMP_RET_TRAP: return "trap";
	case SECCOMP_RET_KILL_THREAD: return "kill-thread";
	case SECCOMP_RET_KILL_PROCESS: return "kill-process";
	case SECCOMP_RET_USER_NOTIF: return "notify";
	case SECCOMP_RET_ERRNO: snprintf(b, n, "errno %u", data); return b;
	case SECCOMP_RET_TRACE: snprintf(b, n, "trace %u", data); return b;
	}
	snprintf(b, n, "0x%08x", a);
	return b;
}

static int parse_caps(char *list, const char **caps, size_t *n)
{
	*n = 0;
	for (char *save = NULL, *t = strtok_r(list, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
		if (*n == 64)
			return kfail(EXIT_USAGE, "--caps: more than 64 names");
		if (!str_starts(t, "CAP_"))
			return kfail(EXIT_USAGE, "--caps: '%s' is not a CAP_ name", t);
		caps[(*n)++] = t;
	}
	return 0;
}

static int cmd_seccomp(int argc, char **argv)
{
	const char *capstr = NULL, *kernel = NULL, *bpf_out = NULL;
	int json = 0, rc, ret, outdir = -1;
	const struct opt opts[] = {{"caps", 0, OPT_STR, &capstr}, {"kernel", 0, OPT_STR, &kernel},
		{"export-bpf", 0, OPT_STR, &bpf_out}, {"json", 0, OPT_FLAG, &json}, {0}};
	char **ops, capbuf[2048], dirbuf[4096];
	const char *caps[64];
	struct scp_opts so = {.caps = caps};
	struct utsname u;
	int n = args_parse(opts, argc, argv, &ops);
	if (n < 0)
		return args_exit(n);
	if (n != 1)
		return kfail(EXIT_USAGE, "seccomp: one PROFILE.json expected (see --help)");
	if (capstr && str_copy(capbuf, sizeof(capbuf), capstr))
		return kfail(EXIT_USAGE, "--caps: too long");
	if (capstr && (rc = parse_caps(capbuf, caps, &so.ncaps)))
		return rc;
	if (!kernel && !uname(&u))
		kernel = u.release;
	const char *ke = kernel ? scan_uint(kernel, 10, &so.kmajor) : NULL;
	if (!ke || *ke != '.' || !(ke = scan_uint(ke + 1, 10, &so.kminor)) || (*ke && !strchr(".-+", *ke)))
		return kfail(EXIT_USAGE, "--kernel: '%s' is not X.Y", kernel ? kernel : "");
	if (bpf_out) {
		const char *sl = strrchr(bpf_out, '/');
		if (str_fmt(dirbuf, sizeof(dirbuf), "%.*s", sl ? (int)(sl - bpf_out) + (sl == bpf_out) : 1, sl ? bpf_out : "."))
			return kfail(EXIT_USAGE, "--export-bpf: path too long");
		if ((outdir = open(dirbuf, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0)
			return kfail(EXIT_FAIL, "--export-bpf: %s: %s", dirbuf, kerr_strerror(errno));
		bpf_out = sl ? sl + 1 : bpf_out;
		/* the file is replaced by a rename: never a device, FIFO or symlink (as root, --export-bpf
		 * /dev/null once turned /dev/null into a regular file) */
		if (fs_output_ok(outdir, bpf_out) == -EEXIST) {
			close(outdir);
			return kfail(EXIT_USAGE, "--export-bpf: %s: not a regular file (it would be replaced)", bpf_out);
		}
	}

	struct buf in = {0}, bpf = BUF_INIT(1 << 20), out = BUF_INIT(4 << 20);
	struct json_doc doc = {0};
	struct scp s = {0};
	struct kerr e = {0};
	if ((rc = load_json(ops[0], NULL, &in, &doc)))
		goto out;
	if ((ret = sandbox_enter(bpf_out ? export_syscalls : no_syscalls, &e))) {
		rc = kfail(EXIT_FAIL, "%s", kerr_str(&e, ret));
		goto out;
	}
	rc = EXIT_FAIL;
	if ((ret = scp_compile(doc.root, &so, &s, &e)) || (ret = scp_export(&s, &bpf, &e))) {
		rc = kfail(EXIT_FAIL, "%s: could not evaluate: %s", ops[0], kerr_str(&e, ret));
		goto out;
	}
	if (bpf_out && (ret = fs_write_atomic(outdir, bpf_out, bpf.p, bpf.len, 0644))) {
		rc = kfail(EXIT_FAIL, "--export-bpf: %s: %s", bpf_out, kerr_strerror(ret));
		goto out;
	}
	uint32_t arch = seccomp_arch_native();
	const uint64_t zero[6] = {0};
	char ab[32], db[32];
	const char *defs = action_str(s.def_action, db, sizeof(db));
	unsigned total = 0, allowed = 0, cond = 0;
	struct jw w;
	jw_init(&w, &out);
	jw_obj(&w);
	jw_kv(&w, "profile", ops[0]);
	jw_kv(&w, "defaultAction", defs);
	jw_key(&w, "architectures");
	jw_arr(&w);
	for (int i = 0; i < s.narch; i++)
		jw_str(&w, scp_arch_name(s.arch[i]) ? scp_arch_name(s.arch[i]) : "?");
	jw_arr_end(&w);
	jw_key(&w, "rulesApplied");
	jw_uint(&w, s.rules);
	jw_key(&w, "rulesLeftOut");
	jw_uint(&w, s.skipped);
	jw_key(&w, "bpfInstructions");
	jw_uint(&w, bpf.len / 8);
	jw_kv(&w, "arch", scp_arch_name(arch) ? scp_arch_name(arch) : "?");
	jw_key(&w, "syscalls");
	jw_arr(&w);
	if (!json)
		printf("%s: default action %s; architectures", ops[0], defs);
	for (int i = 0; !json && i < s.narch; i++)
		printf(" %s", scp_arch_name(s.arch[i]) ? scp_arch_name(s.arch[i]) : "?");
	if (!json)
		printf("; %zu rules applied, %zu left out (includes/excludes, same as default); %zu BPF instructions\n", s.rules,
			s.skipped, bpf.len / 8);
	for (int nr = 0; nr < SCP_MAX_NR; nr++) {
		char *name = seccomp_syscall_resolve_num_arch(arch, nr);
		if (!name)
			continue;
		uint32_t a = scp_eval(bpf.p, bpf.len, arch, nr, zero);
		const char *as = action_str(a, ab, sizeof(ab));
		total++;
		allowed += (a & SECCOMP_RET_ACTION_FULL) == SECCOMP_RET_ALLOW || (a & SECCOMP_RET_ACTION_FULL) == SECCOMP_RET_LOG;
		cond += s.cond[nr];
		jw_obj(&w);
		jw_kv(&w, "name", name);
		jw_key(&w, "nr");
		jw_int(&w, nr);
		jw_kv(&w, "action", as);
		jw_key(&w, "dependsOnArguments");
		jw_bool(&w, s.cond[nr]);
		jw_obj_end(&w);
		if (!json && (s.cond[nr] || a != (s.def_action == SCMP_ACT_KILL_THREAD ? 0 : s.def_action)))
			printf("%-12s %s%s\n", as, name, s.cond[nr] ? " (depends on arguments; shown for zero arguments)" : "");
		free(name);
	}
	jw_arr_end(&w);
	jw_key(&w, "allowed");
	jw_uint(&w, allowed);
	jw_key(&w, "total");
	jw_uint(&w, total);
	jw_obj_end(&w);
	if (json) {
		if ((ret = jw_finish(&w))) {
			rc = kfail(EXIT_FAIL, "--json: %s", kerr_strerror(ret));
			goto out;
		}
		printf("%s\n", (const char *)out.p);
	} else
		printf("%s: %u of %u system calls allowed with zero arguments, %u depend on arguments\n",
			scp_arch_name(arch) ? scp_arch_name(arch) : "?", allowed, total, cond);
	rc = EXIT_OK;
out:
	scp_free(&s);
	json_free(&doc);
	buf_free(&in);
	buf_free(&bpf);
	buf_free(&out);
	if (outdir >= 0)
		close(outdir);
	return rc;
}

/* ---- units --------------------------------------------------------------------------------- */

static const char *const units_syscalls[] = {"open", "openat", "getdents64", "newfstatat", "readlinkat", "uname", NULL};

static void note(void *arg, const struct kerr *e)
{
	strv_push(arg, e->msg);
}

/* Parse one operand into u: a FILE (with a '/': that file alone, a template as its instance
 * "test_instance") or a NAME found beneath the root (drop-ins and masks as keel init loads it).
 * Returns 0, or an exit code with why set (-1: masked). */
static int units_load(const char *op, const struct unit_dirs *d, struct unit *u, struct ux_extra *x, char *why,
	size_t wn)
{
	struct kerr e = {0};
	enum unit_load load = LOAD_LOADED;
	int ret;
	if (!strchr(op, '/')) {
		if ((ret = unit_load_observed(d, op, u, &x->obs, &load, &e)))
			return snprintf(why, wn, "%s", e.msg), EXIT_FAIL;
	} else {
		const char *base = strrchr(op, '/') + 1, *at = strchr(base, '@');
		char name[UNIT_NAME_MAX + 1];
		struct buf b = BUF_INIT(UNIT_FILE_MAX);
		int fd = open(op, O_RDONLY | O_CLOEXEC | O_NOCTTY);
		if (unit_name_is_template(base) ? str_fmt(name, sizeof(name), "%.*stest_instance%s", (int)(at - base + 1),
				base, unit_ref_suffix(base)) : str_copy(name, sizeof(name), base))
			name[0] = 0;
		int rc = EXIT_FAIL;
		ret = fd < 0 ? -errno : fs_read_fd(fd, UNIT_FILE_MAX, &b);
		if (fd >= 0)
			close(fd);
		if (ret)
			snprintf(why, wn, "%s: %s", op, ret == -EFBIG ? "larger than 262144 bytes" : kerr_strerror(ret));
		else if (!name[0] || unit_init(u, name))
			snprintf(why, wn, "%s: not a unit file name (NAME.service)", op);
		else if ((u->observer = &x->obs) && ((ret = unit_parse(u, op, (const char *)b.p, b.len, &e)) ||
				(ret = unit_check(u, &e))))
			snprintf(why, wn, "%s", e.msg);
		else
			rc = 0;
		buf_free(&b);
		if (rc)
			return rc;
	}
	if (load != LOAD_LOADED)
		return snprintf(why, wn, "%s", unit_load_name(load)), load == LOAD_MASKED ? -1 : EXIT_FAIL;
	if (u->kind != UNIT_SERVICE)
		return snprintf(why, wn, "not a service"), EXIT_FAIL;
	return 0;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Every NAME.service (no templates) of the unit directories, sorted, each once. */
static int units_all(const struct unit_dirs *d, struct strv *out)
{
	for (int i = 0; i < UNIT_DIRS; i++) {
		int fd = d->fd[i] < 0 ? -1 : openat(d->fd[i], ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		DIR *dir = fd < 0 ? NULL : fdopendir(fd);
		struct dirent *de;
		while (dir && (de = readdir(dir)))
			if (str_ends(de->d_name, ".service") && !unit_name_is_template(de->d_name) &&
				!strv_has(out, de->d_name) && strv_push(out, de->d_name))
				break;
		if (dir)
			closedir(dir);
		else if (fd >= 0)
			close(fd);
	}
	qsort(out->v, out->n, sizeof(char *), cmp_str);
	return 0;
}

/* "exposure": tenths as systemd-analyze writes them ("9.6"); a row's part is null when 0. */
static void jw_tenths(struct jw *w, unsigned x, bool row)
{
	char b[16];
	snprintf(b, sizeof(b), "%u.%u", x / 10, x % 10);
	jw_key(w, "exposure");
	if (x || !row)
		jw_str(w, b);
	else
		jw_null(w);
}

/* One unit's assessment: rows as systemd-analyze security --json=short has them ("set": true,
 * false, or null where the check does not apply; "exposure": this row's part, or null) plus
 * badness, range and weight. */
static void units_json(struct jw *w, const struct ux_result *r)
{
	char name[64];
	jw_tenths(w, r->exposure, false);
	jw_kv(w, "level", ux_level(r->exposure));
	jw_key(w, "checks");
	jw_arr(w);
	for (unsigned i = 0; i < UX_CHECKS; i++) {
		unsigned wt, range, b = r->badness[i];
		ux_check(i, name, sizeof(name), &wt, &range);
		jw_obj(w);
		jw_kv(w, "name", name);
		jw_key(w, "set");
		b == UX_NA ? jw_null(w) : jw_bool(w, !b);
		jw_key(w, "badness");
		b == UX_NA ? jw_null(w) : jw_uint(w, b);
		jw_key(w, "range");
		jw_uint(w, range);
		jw_key(w, "weight");
		jw_uint(w, wt);
		jw_tenths(w, ux_row_exposure(r, i), true);
		jw_obj_end(w);
	}
	jw_arr_end(w);
}

static void units_table(const char *unit, const char *file, const struct ux_result *r)
{
	char name[64];
	printf("%s (%s): exposure %u.%u %s\n", unit, file, r->exposure / 10, r->exposure % 10, ux_level(r->exposure));
	for (unsigned i = 0; i < UX_CHECKS; i++) {
		unsigned wt, range, b = r->badness[i], x = ux_row_exposure(r, i);
		ux_check(i, name, sizeof(name), &wt, &range);
		if (b == UX_NA)
			printf("  n/a   %s\n", name);
		else
			printf("  %-5s %-60s %2u/%-2u weight %4u  +%u.%u\n", !b ? "has" : b == range ? "lacks" : "part", name,
				b, range, wt, x / 10, x % 10);
	}
}

static int cmd_units(int argc, char **argv)
{
	const char *root = "/";
	uint64_t threshold = 100;
	int json = 0, rc = EXIT_OK;
	const struct opt opts[] = {{"root", 0, OPT_STR, &root}, {"threshold", 0, OPT_U64, &threshold, 0, 100},
		{"json", 0, OPT_FLAG, &json}, {0}};
	char **ops, why[512];
	int n = args_parse(opts, argc, argv, &ops);
	if (n < 0)
		return args_exit(n);
	struct unit_dirs d;
	struct kerr e = {0};
	struct strv all = {0};
	struct buf jb = BUF_INIT(16 << 20);
	struct jw w;
	if (unit_dirs_open(&d, root, &e))
		return kfail(EXIT_FAIL, "--root: %s", e.msg);
	if ((rc = narrow_to(units_syscalls)))
		goto out;
	if (!n) {
		units_all(&d, &all);
		ops = all.v;
		n = (int)all.n;
	}
	jw_init(&w, &jb);
	jw_obj(&w);
	jw_kv(&w, "root", root);
	jw_key(&w, "units");
	jw_arr(&w);
	for (int k = 0; k < n; k++) {
		struct unit *u = calloc(1, sizeof(*u));
		struct ux_extra x;
		struct ux_result r;
		struct strv notes = {0};
		const char *base = strrchr(ops[k], '/') ? strrchr(ops[k], '/') + 1 : ops[k];
		int st = u ? 0 : EXIT_FAIL;
		snprintf(why, sizeof(why), "out of memory");
		ux_extra_init(&x, note, &notes);
		if (!st && !(st = units_load(ops[k], &d, u, &x, why, sizeof(why))) && ux_assess(u, &x, &r))
			st = EXIT_FAIL;
		if (st == -1 && all.n) /* listing every service: a masked one is not there */
			goto next;
		if (st) /* what was said of single lines is moot */
			strv_clear(&notes);
		jw_obj(&w);
		jw_kv(&w, "unit", base);
		jw_kv(&w, "file", u && u->fragment ? u->fragment : ops[k]);
		if (st) {
			jw_kv(&w, "error", why);
			if (!json)
				kfail(EXIT_FAIL, "%s: could not evaluate: %s", base, why);
			rc = rc == EXIT_NO ? rc : EXIT_FAIL;
		} else {
			units_json(&w, &r);
			if (!json)
				units_table(base, u->fragment, &r);
			if (r.exposure > threshold)
				rc = EXIT_NO;
		}
		jw_key(&w, "keel");
		jw_arr(&w);
		for (size_t i = 0; i < notes.n; i++) {
			jw_str(&w, notes.v[i]);
			if (!json)
				printf("  keel: %s\n", notes.v[i]);
		}
		jw_arr_end(&w);
		jw_obj_end(&w);
next:
		strv_clear(&notes);
		unit_free(u);
		free(u);
	}
	jw_arr_end(&w);
	jw_obj_end(&w);
	if (json && emit_json(&w, &jb))
		rc = EXIT_FAIL;
out:
	buf_free(&jb);
	strv_clear(&all);
	unit_dirs_close(&d);
	return rc;
}

/* ---- host ---------------------------------------------------------------------------------- */

static const char *const host_syscalls[] = {"openat", "openat2", "getdents64", "newfstatat", NULL};

static void expect_str(const struct json *o, char *out, size_t n)
{
	const struct json *ex = json_get(o, "expect"), *mn = json_get(o, "min"), *al = json_get(o, "allow");
	const struct json *sk = json_get(o, "skip");
	out[0] = 0;
	if (sk && sk->u.b)
		str_copy(out, n, "not checked");
	else if (mn)
		snprintf(out, n, ">= %lld", (long long)mn->u.num.i);
	for (size_t i = 0; !mn && ex && i < ex->u.arr.n; i++)
		snprintf(out + strlen(out), n - strlen(out), "%s%s", i ? " | " : "", ex->u.arr.v[i]->u.str.s);
	for (size_t i = 0; al && i < al->u.arr.n; i++)
		snprintf(out + strlen(out), n - strlen(out), "%s%s", i ? " " : "allow ", al->u.arr.v[i]->u.str.s);
}

static int explain(const struct hc_profile *p, const char *id)
{
	const struct hc_check *c = hc_find(p, id);
	char ex[256];
	if (!c)
		return kfail(EXIT_USAGE, "--explain: no check '%s' in profile %s", id, p->name);
	printf("%s: %s\nkind: %s\nrationale: %s\n", c->id, c->title, c->kind, c->rationale);
	if (c->anchor)
		printf("anchor: %s\n", c->anchor);
	expect_str(c->obj, ex, sizeof(ex));
	printf("expected: %s\n", ex[0] ? ex : "(see kind)");
	const struct json *roles = json_get(c->obj, "roles");
	for (size_t i = 0; roles && i < roles->u.obj.n; i++) {
		expect_str(roles->u.obj.m[i].val, ex, sizeof(ex));
		printf("role %s: %s\n", roles->u.obj.m[i].key, ex);
	}
	for (size_t i = 0; i < p->nw; i++)
		if (!strcmp(p->w[i].id, id))
			printf("waiver: %s (by %s, expires %s)\n", p->w[i].reason, p->w[i].who, p->w[i].expires);
	return EXIT_OK;
}

static void host_json(struct jw *w, const struct hc_profile *p, const char *role, const char *root,
	const struct hc_booted *b, const struct hc_result *res, const unsigned *cnt)
{
	static const char *const sum[] = {"pass", "fail", "waived", "unknown", "skip"};
	jw_obj(w);
	jw_kv(w, "profile", p->name);
	jw_kv(w, "role", role);
	jw_kv(w, "root", root);
	jw_key(w, "booted");
	jw_obj(w);
	jw_kv(w, "release", b->release);
	jw_kv(w, "slot", b->slot);
	jw_kv(w, "rootHash", b->root_hash);
	jw_key(w, "secureBoot");
	if (b->secure_boot < 0)
		jw_null(w);
	else
		jw_bool(w, b->secure_boot);
	jw_kv(w, "cmdline", b->cmdline);
	jw_obj_end(w);
	jw_key(w, "summary");
	jw_obj(w);
	for (int i = 0; i < 5; i++) {
		jw_key(w, sum[i]);
		jw_uint(w, cnt[i]);
	}
	jw_obj_end(w);
	jw_key(w, "checks");
	jw_arr(w);
	for (size_t i = 0; i < p->n; i++) {
		const struct hc_result *r = &res[i];
		jw_obj(w);
		jw_kv(w, "id", r->c->id);
		jw_kv(w, "title", r->c->title);
		jw_kv(w, "status", hc_status_name(r->st));
		jw_kv(w, "expected", r->expected);
		jw_kv(w, "observed", r->observed);
		jw_kv(w, "where", r->where);
		jw_key(w, "anchor");
		if (r->c->anchor)
			jw_str(w, r->c->anchor);
		else
			jw_null(w);
		jw_key(w, "waiver");
		if (r->w) {
			jw_obj(w);
			jw_kv(w, "reason", r->w->reason);
			jw_kv(w, "who", r->w->who);
			jw_kv(w, "expires", r->w->expires);
			jw_key(w, "expired");
			jw_bool(w, r->st != HC_WAIVED);
			jw_obj_end(w);
		} else
			jw_null(w);
		jw_obj_end(w);
	}
	jw_arr_end(w);
	jw_obj_end(w);
}

static const char *field_key(const struct hc_result *r)
{
	const struct json *k = json_get(r->c->obj, "key");
	return k ? k->u.str.s : "";
}

static int cmd_host(int argc, char **argv)
{
	const char *profile = NULL, *root = "/", *role = "base", *date = NULL, *explain_id = NULL;
	int json = 0, sarif = 0, apply = 0, rc, ret, rootfd = -1;
	const struct opt opts[] = {{"profile", 0, OPT_STR, &profile}, {"root", 0, OPT_STR, &root}, {"sarif", 0, OPT_FLAG, &sarif},
		{"apply", 0, OPT_FLAG, &apply},
		{"role", 0, OPT_STR, &role}, {"date", 0, OPT_STR, &date}, {"explain", 0, OPT_STR, &explain_id},
		{"json", 0, OPT_FLAG, &json}, {0}};
	char **ops, today[40];
	int n = args_parse(opts, argc, argv, &ops);
	if (n < 0)
		return args_exit(n);
	if (n)
		return kfail(EXIT_USAGE, "host: no operands expected (see --help)");
	if (date && (strlen(date) != 10 || date[4] != '-' || date[7] != '-'))
		return kfail(EXIT_USAGE, "--date: '%s' is not YYYY-MM-DD", date);
	if (!date) {
		/* days since the epoch to a civil date (Howard Hinnant's algorithm), UTC */
		long long z = (long long)time(NULL) / 86400 + 719468, era = z / 146097;
		unsigned doe = (unsigned)(z - era * 146097), yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
		unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100), mp = (5 * doy + 2) / 153;
		unsigned d = doy - (153 * mp + 2) / 5 + 1, m = mp < 10 ? mp + 3 : mp - 9;
		snprintf(today, sizeof(today), "%04lld-%02u-%02u", (long long)yoe + era * 400 + (m <= 2), m, d);
	}

	struct buf in = {0};
	struct hc_profile p = {0};
	struct hc_result *res = NULL;
	struct kerr e = {0};
	if (!profile)
		profile = HC_DEFAULT_PROFILE;
	int fd = open(profile, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	buf_init(&in, INPUT_MAX);
	if (fd < 0 || (ret = fs_read_fd(fd, INPUT_MAX, &in))) {
		rc = kfail(EXIT_FAIL, "%s: %s", profile, kerr_strerror(fd < 0 ? errno : ret));
		if (fd >= 0)
			close(fd);
		goto out;
	}
	close(fd);
	if ((ret = hc_profile_parse(&p, in.p, in.len, &e))) {
		rc = kfail(EXIT_FAIL, "%s: could not evaluate: %s", profile, kerr_str(&e, ret));
		goto out;
	}
	if (explain_id) {
		rc = explain(&p, explain_id);
		goto out;
	}
	if (!hc_role_known(&p, role)) {
		rc = kfail(EXIT_USAGE, "--role: profile %s has no role '%s'", p.name, role);
		goto out;
	}
	if ((rootfd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0) {
		rc = kfail(EXIT_FAIL, "--root: %s: %s", root, kerr_strerror(errno));
		goto out;
	}
	hc_live_read(&p, rootfd);
	if ((rc = narrow_to(host_syscalls)))
		goto out;
	if (!(res = calloc(p.n + 1, sizeof(*res))) || hc_run(&p, rootfd, role, date ? date : today, res)) {
		rc = kfail(EXIT_FAIL, "out of memory");
		goto out;
	}
	for (size_t i = 0; apply && i < p.n; i++) { /* each key set on its own, reported, then all judged anew */
		char val[64];
		int a = hc_apply(rootfd, role, &res[i], val, sizeof(val));
		if (a < 0)
			fprintf(stderr, "keel policy: --apply: %s: %s=%s: %s\n", res[i].c->id, field_key(&res[i]), val,
				kerr_strerror(a));
		else if (!a)
			fprintf(stderr, "keel policy: --apply: %s: %s %s -> %s\n", res[i].c->id, field_key(&res[i]),
				res[i].observed, val);
	}
	if (apply && hc_run(&p, rootfd, role, date ? date : today, res)) {
		rc = kfail(EXIT_FAIL, "out of memory");
		goto out;
	}
	struct hc_booted b;
	unsigned cnt[5] = {0};
	hc_booted(rootfd, &b);
	for (size_t i = 0; i < p.n; i++)
		cnt[res[i].st]++;
	if (sarif) {
		struct buf jb = BUF_INIT(16 << 20);
		struct jw w;
		char msg[700], just[400], uri[160];
		jw_init(&w, &jb);
		sarif_open(&w);
		for (size_t i = 0; i < p.n; i++)
			sarif_rule(&w, p.c[i].id, p.c[i].title, p.c[i].rationale);
		sarif_results(&w);
		for (size_t i = 0; i < p.n; i++) {
			const struct hc_result *x = &res[i];
			static const char *const lv[] = {"none", "error", "error", "warning", "none"};
			if (x->st == HC_PASS || x->st == HC_SKIP)
				continue;
			snprintf(msg, sizeof(msg), "%s: expected %s; observed %s", x->c->title, x->expected, x->observed);
			if (x->st == HC_WAIVED)
				snprintf(just, sizeof(just), "%s (waiver by %s, until %s)", x->w->reason, x->w->who, x->w->expires);
			str_copy(uri, sizeof(uri), x->where);
			uri[strcspn(uri, " :{")] = 0; /* the file the value was read from */
			sarif_result(&w, x->c->id, lv[x->st], msg, uri, x->c->id, x->st == HC_WAIVED ? just : NULL);
		}
		sarif_close(&w);
		if ((rc = emit_json(&w, &jb)))
			goto out;
	} else if (json) {
		struct buf jb = BUF_INIT(16 << 20);
		struct jw w;
		jw_init(&w, &jb);
		host_json(&w, &p, role, root, &b, res, cnt);
		if ((rc = emit_json(&w, &jb)))
			goto out;
	} else {
		printf("profile %s, role %s, root %s; release %s, Secure Boot %s\n", p.name, role, root,
			b.release[0] ? b.release : "unknown", b.secure_boot < 0 ? "unknown" : b.secure_boot ? "on" : "off");
		for (size_t i = 0; i < p.n; i++) {
			const struct hc_result *r = &res[i];
			static const char *const st[] = {"PASS", "FAIL", "WAIVED", "UNKNOWN", "SKIP"};
			printf("%-7s %s: %s; expected %s; observed %s (%s)", st[r->st], r->c->id, r->c->title,
				r->expected[0] ? r->expected : "-", r->observed, r->where[0] ? r->where : "-");
			if (r->w)
				printf(" [waiver %s: %s, by %s, until %s]", r->st == HC_WAIVED ? "applied" : "EXPIRED", r->w->reason,
					r->w->who, r->w->expires);
			putchar('\n');
		}
		printf("%zu checks: %u pass, %u fail, %u waived, %u could not evaluate, %u skipped for the role\n", p.n,
			cnt[HC_PASS], cnt[HC_FAIL], cnt[HC_WAIVED], cnt[HC_UNKNOWN], cnt[HC_SKIP]);
	}
	rc = cnt[HC_FAIL] ? EXIT_NO : cnt[HC_UNKNOWN] ? EXIT_FAIL : EXIT_OK;
out:
	free(res);
	hc_profile_free(&p);
	buf_free(&in);
	if (rootfd >= 0)
		close(rootfd);
	return rc;
}

int policy_main(int argc, char **argv)
{
	if (argc < 2 || argv[1][0] == '-') {
		char **ops;
		const struct opt none[] = {{0}};
		int n = args_parse(none, argc - 1, argv + 1, &ops);
		return n < 0 ? args_exit(n) : kfail(EXIT_USAGE, "a subcommand expected: workload, seccomp, host, units (see --help)");
	}
	if (!strcmp(argv[1], "workload"))
		return cmd_workload(argc - 2, argv + 2);
	if (!strcmp(argv[1], "seccomp"))
		return cmd_seccomp(argc - 2, argv + 2);
	if (!strcmp(argv[1], "host"))
		return cmd_host(argc - 2, argv + 2);
	if (!strcmp(argv[1], "units"))
		return cmd_units(argc - 2, argv + 2);
	return kfail(EXIT_USAGE, "unknown subcommand '%s' (see --help)", argv[1]);
}
