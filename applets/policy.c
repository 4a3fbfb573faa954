/* keel policy - may this workload run here (Pod Security Standards), what a seccomp profile allows, is this host hardened
 *
 * usage: keel policy workload [--level baseline|restricted] [--json] BUNDLE|CONFIG.json
 *        keel policy seccomp [--caps CAP,...] [--kernel X.Y] [--export-bpf FILE] [--json] PROFILE.json
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
 * Options:
 *   --caps LIST        capabilities the container holds, for includes/excludes.caps
 *                      (comma-separated CAP_ names; default none)
 *   --kernel X.Y       kernel version for minKernel (default: the running kernel)
 *   --export-bpf FILE  write the compiled filter (struct sock_filter[]) to FILE, atomically
 *   --level L          baseline or restricted (workload)
 *   --json             machine-readable report
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
#include "policy/psa.h"
#include "policy/seccomp_profile.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <linux/seccomp.h>
#include <seccomp.h>
#include <stdlib.h>
#include <sys/utsname.h>
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

static int narrow(void)
{
	struct kerr e = {0};
	int ret = sandbox_enter(no_syscalls, &e);
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
	int json = 0, rc;
	const struct opt opts[] = {{"level", 0, OPT_STR, &level}, {"json", 0, OPT_FLAG, &json}, {0}};
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
	if ((rc = load_json(ops[0], "config.json", &in, &doc)) || (rc = narrow()))
		goto out;
	int ret = psa_check(doc.root, lvl, &r, &e);
	if (ret) {
		rc = kfail(EXIT_FAIL, "%s: could not evaluate: %s", ops[0], kerr_str(&e, ret));
		goto out;
	}
	if (json) {
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
	int k = 0;
	if (!kernel || sscanf(kernel, "%u.%u%n", &so.kmajor, &so.kminor, &k) != 2 || (k && kernel[k] && !strchr(".-+", kernel[k])))
		return kfail(EXIT_USAGE, "--kernel: '%s' is not X.Y", kernel ? kernel : "");
	if (bpf_out) {
		const char *sl = strrchr(bpf_out, '/');
		if (str_fmt(dirbuf, sizeof(dirbuf), "%.*s", sl ? (int)(sl - bpf_out) + (sl == bpf_out) : 1, sl ? bpf_out : "."))
			return kfail(EXIT_USAGE, "--export-bpf: path too long");
		if ((outdir = open(dirbuf, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0)
			return kfail(EXIT_FAIL, "--export-bpf: %s: %s", dirbuf, kerr_strerror(errno));
		bpf_out = sl ? sl + 1 : bpf_out;
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

int policy_main(int argc, char **argv)
{
	if (argc < 2 || argv[1][0] == '-') {
		char **ops;
		const struct opt none[] = {{0}};
		int n = args_parse(none, argc - 1, argv + 1, &ops);
		return n < 0 ? args_exit(n) : kfail(EXIT_USAGE, "a subcommand expected: workload, seccomp, host (see --help)");
	}
	if (!strcmp(argv[1], "workload"))
		return cmd_workload(argc - 2, argv + 2);
	if (!strcmp(argv[1], "seccomp"))
		return cmd_seccomp(argc - 2, argv + 2);
	return kfail(EXIT_USAGE, "unknown subcommand '%s' (see --help)", argv[1]);
}
