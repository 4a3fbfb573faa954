/* keel policy - may this workload run here (Pod Security Standards), what a seccomp profile allows, is this host hardened
 *
 * usage: keel policy workload [--level baseline|restricted] [--json] BUNDLE|CONFIG.json
 *
 * workload: judge an OCI runtime-spec config.json (or BUNDLE/config.json) by the Pod Security
 * Standards (Kubernetes v1.35) at the given level (default restricted, which includes
 * baseline). Each violation names the control as the standard names it, the check id of
 * pod-security-admission and the JSON pointer of the offending value. Inside a user namespace
 * whose mappings keep container root off host root, procMount, runAsNonRoot and runAsUser are
 * relaxed as the standard relaxes them; each relaxation is listed.
 *
 * Options:
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

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
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

int policy_main(int argc, char **argv)
{
	if (argc < 2 || argv[1][0] == '-') {
		char **ops;
		const struct opt none[] = {{0}};
		int n = args_parse(none, argc - 1, argv + 1, &ops);
		return n < 0 ? args_exit(n) : kfail(EXIT_USAGE, "a subcommand expected: workload (see --help)");
	}
	if (!strcmp(argv[1], "workload"))
		return cmd_workload(argc - 2, argv + 2);
	return kfail(EXIT_USAGE, "unknown subcommand '%s' (see --help)", argv[1]);
}
