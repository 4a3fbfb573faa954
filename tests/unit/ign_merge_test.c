/* ign_merge_test.c — ign_merge: what a merge makes of a parent and a child config, and that a
 * merge cut short by any failed allocation leaves the parent whole (tests/unit/alloc.c fails
 * each allocation in turn; the ASan build sees every double free, use after free and leak). */
#include "t.h"
#include "base/buf.h"
#include "base/err.h"
#include "provision/ign.h"
#include "provision/ign_render.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Every list the merge walks, in both configs, with entries that merge, replace and add. */
static const char parent_cfg[] = "{\"ignition\":{\"version\":\"3.4.0\",\"security\":{\"tls\":{\"certificateAuthorities\":["
	"{\"source\":\"https://ca.example/a.pem\",\"httpHeaders\":[{\"name\":\"X-A\",\"value\":\"1\"}]}]}}},"
	"\"storage\":{\"files\":["
	"{\"path\":\"/a\",\"mode\":420,\"contents\":{\"source\":\"https://h.example/a\",\"httpHeaders\":["
	"{\"name\":\"H1\",\"value\":\"p\"},{\"name\":\"H2\",\"value\":\"p\"}]},\"append\":[{\"source\":\"data:,pa\"}]},"
	"{\"path\":\"/file-to-link\"},"
	"{\"path\":\"/file-to-dir\",\"contents\":{\"source\":\"https://h.example/f\",\"httpHeaders\":[{\"name\":\"F\",\"value\":\"1\"}]}},"
	"{\"path\":\"/kept\",\"contents\":{\"source\":\"data:,k\"}}],"
	"\"directories\":[{\"path\":\"/d\",\"mode\":448},{\"path\":\"/dir-to-file\"}],"
	"\"links\":[{\"path\":\"/l\",\"target\":\"/x\"}]},"
	"\"systemd\":{\"units\":[{\"name\":\"u.service\",\"enabled\":true,\"dropins\":[{\"name\":\"a.conf\",\"contents\":\"[Unit]\\n\"}]}]},"
	"\"passwd\":{\"users\":[{\"name\":\"core\",\"sshAuthorizedKeys\":[\"k1\"],\"groups\":[\"wheel\"]}],"
	"\"groups\":[{\"name\":\"g1\",\"gid\":1001}]},"
	"\"kernelArguments\":{\"shouldExist\":[\"a\"],\"shouldNotExist\":[\"b\"]}}";

static const char child_cfg[] = "{\"ignition\":{\"version\":\"3.4.0\",\"timeouts\":{\"httpTotal\":5},"
	"\"security\":{\"tls\":{\"certificateAuthorities\":["
	"{\"source\":\"https://ca.example/a.pem\",\"httpHeaders\":[{\"name\":\"X-B\",\"value\":\"2\"}]},"
	"{\"source\":\"https://ca.example/b.pem\",\"httpHeaders\":[{\"name\":\"X-C\",\"value\":\"3\"}]}]}}},"
	"\"storage\":{\"files\":["
	"{\"path\":\"/a\",\"contents\":{\"source\":\"https://h.example/a2\",\"httpHeaders\":[{\"name\":\"H1\"},"
	"{\"name\":\"H3\",\"value\":\"c\"}]},\"append\":[{\"source\":\"data:,ca\"}]},"
	"{\"path\":\"/dir-to-file\",\"contents\":{\"source\":\"data:,x\"},\"append\":[{\"source\":\"data:,y\"}]},"
	"{\"path\":\"/new\",\"contents\":{\"source\":\"https://h.example/n\",\"httpHeaders\":[{\"name\":\"N\",\"value\":\"1\"}]}}],"
	"\"directories\":[{\"path\":\"/d\",\"mode\":493},{\"path\":\"/file-to-dir\"}],"
	"\"links\":[{\"path\":\"/file-to-link\",\"target\":\"/y\"},{\"path\":\"/l\",\"target\":\"/z\",\"hard\":false}]},"
	"\"systemd\":{\"units\":[{\"name\":\"u.service\",\"dropins\":[{\"name\":\"a.conf\",\"contents\":\"[Service]\\n\"},"
	"{\"name\":\"b.conf\"}]},{\"name\":\"v.service\",\"mask\":true,\"dropins\":[{\"name\":\"c.conf\"}]}]},"
	"\"passwd\":{\"users\":[{\"name\":\"core\",\"sshAuthorizedKeys\":[\"k1\",\"k2\"],\"groups\":[\"docker\"]},"
	"{\"name\":\"new\",\"sshAuthorizedKeys\":[\"k3\"],\"groups\":[\"g2\"]}],"
	"\"groups\":[{\"name\":\"g1\",\"gid\":1002},{\"name\":\"g2\"}]},"
	"\"kernelArguments\":{\"shouldExist\":[\"b\",\"c\"],\"shouldNotExist\":[\"a\",\"d\"]}}";

static struct ign_cfg *parse(const char *s, const char *label)
{
	struct ign_cfg *c = NULL;
	struct kerr e = {0};
	if (ign_parse(&c, s, strlen(s), label, &e))
		t_check(0, "parse failed: %s", e.msg);
	return c;
}

/* The parts of a merged config that rendering does not show, one line each. */
static void describe(const struct ign_cfg *c, struct buf *b)
{
	for (size_t i = 0; i < c->ncas; i++) {
		buf_printf(b, "ca %s:", c->cas[i].source);
		for (size_t j = 0; j < c->cas[i].nheaders; j++)
			buf_printf(b, " %s=%s", c->cas[i].headers[j].name, c->cas[i].headers[j].value);
		buf_printf(b, "\n");
	}
	for (size_t i = 0; i < c->nfiles; i++) {
		const struct ign_file *f = &c->files[i];
		buf_printf(b, "file %s:", f->path);
		for (size_t j = 0; j < f->contents.nheaders; j++)
			buf_printf(b, " %s=%s", f->contents.headers[j].name, f->contents.headers[j].value);
		for (size_t j = 0; j < f->nappend; j++)
			buf_printf(b, " +%s", f->append[j].source);
		buf_printf(b, "\n");
	}
	for (size_t i = 0; i < c->nunits; i++) {
		buf_printf(b, "unit %s:", c->units[i].name);
		for (size_t j = 0; j < c->units[i].ndropins; j++)
			buf_printf(b, " %s=%s", c->units[i].dropins[j].name,
				c->units[i].dropins[j].contents ? c->units[i].dropins[j].contents : "-");
		buf_printf(b, "\n");
	}
	for (size_t i = 0; i < c->nusers; i++) {
		buf_printf(b, "user %s: keys", c->users[i].name);
		for (size_t j = 0; j < c->users[i].nssh_keys; j++)
			buf_printf(b, " %s", c->users[i].ssh_keys[j]);
		buf_printf(b, "; groups");
		for (size_t j = 0; j < c->users[i].ngroups; j++)
			buf_printf(b, " %s", c->users[i].groups[j]);
		buf_printf(b, "\n");
	}
	buf_printf(b, "kargs +");
	for (size_t i = 0; i < c->nkargs_add; i++)
		buf_printf(b, " %s", c->kargs_add[i]);
	buf_printf(b, "; -");
	for (size_t i = 0; i < c->nkargs_del; i++)
		buf_printf(b, " %s", c->kargs_del[i]);
	buf_printf(b, "\n");
}

T_TEST(ign_merge_lists)
{
	struct ign_cfg *p = parse(parent_cfg, NULL), *c = parse(child_cfg, "child");
	struct buf b = BUF_INIT(1 << 20);
	struct kerr e = {0};
	if (!p || !c) {
		ign_free(p);
		ign_free(c);
		return;
	}
	t_check(!ign_merge(p, c, &e), "merge: %s", e.msg);
	describe(p, &b);
	const char *got = b.p ? (const char *)b.p : "";
	t_check(!strcmp(got,
		"ca https://ca.example/a.pem: X-A=1 X-B=2\n"
		"ca https://ca.example/b.pem: X-C=3\n"
		"file /a: H2=p H3=c +data:,pa +data:,ca\n"
		"file /kept:\n"
		"file /dir-to-file: +data:,y\n"
		"file /new: N=1\n"
		"unit u.service: a.conf=[Service]\n b.conf=-\n"
		"unit v.service: c.conf=-\n"
		"user core: keys k1 k2; groups wheel docker\n"
		"user new: keys k3; groups g2\n"
		"kargs + b c; - a d\n"), "merged lists:\n%s", got);
	t_check(p->ndirs == 2 && !strcmp(p->dirs[0].path, "/d") && p->dirs[0].mode == 0755 &&
			!strcmp(p->dirs[1].path, "/file-to-dir"), "directories: merged, and a file replaced by one");
	t_check(p->nlinks == 2 && !strcmp(p->links[0].path, "/l") && !strcmp(p->links[0].target, "/z") &&
			p->links[0].hard == IGN_NO && !strcmp(p->links[1].path, "/file-to-link"),
		"links: merged, and a file replaced by one");
	t_check(p->ngroups == 2 && p->groups[0].gid == 1002, "groups: merged and added");
	buf_free(&b);
	ign_free(p);
}

/* Fail the 1st, 2nd, … allocation of a merge until one gets through: every failure is -ENOMEM
 * with a message, and the parent left behind still renders and frees cleanly. */
T_TEST(ign_merge_alloc_failures)
{
	long n, bad = 0;
	int done = 0;
	for (n = 1; n <= 5000 && !done && bad < 5; n++) {
		struct ign_cfg *p = parse(parent_cfg, NULL), *c = parse(child_cfg, "child");
		struct buf b = BUF_INIT(1 << 20);
		struct kerr e = {0};
		int ret, failed;
		if (!p || !c) {
			ign_free(p);
			ign_free(c);
			return;
		}
		t_alloc_fail(n);
		ret = ign_merge(p, c, &e);
		failed = t_alloc_failed();
		done = !failed;
		if (failed ? ret != -ENOMEM || e.code != -ENOMEM || !strstr(e.msg, "merging configs") : ret != 0) {
			t_check(0, "allocation %ld failed: %d, want %d: %s", n, ret, failed ? -ENOMEM : 0, e.msg);
			bad++;
		}
		if (ign_render(p, true, &b, &e)) {
			t_check(0, "allocation %ld failed: the parent does not render: %s", n, e.msg);
			bad++;
		}
		buf_free(&b);
		ign_free(p);
	}
	t_check(done && n > 2, "the merge got through after %ld failed allocations", n - 2);
}

/* The same for parsing the configs the merge starts from. */
T_TEST(ign_parse_alloc_failures)
{
	const char *cfgs[] = {parent_cfg, child_cfg};
	for (size_t k = 0; k < T_LEN(cfgs); k++) {
		long n, bad = 0;
		int done = 0;
		for (n = 1; n <= 5000 && !done && bad < 5; n++) {
			struct ign_cfg *c = NULL;
			struct kerr e = {0};
			int ret, failed;
			t_alloc_fail(n);
			ret = ign_parse(&c, cfgs[k], strlen(cfgs[k]), k ? "child" : NULL, &e);
			failed = t_alloc_failed();
			done = !failed;
			if (failed ? ret != -ENOMEM || e.code != -ENOMEM || c : ret != 0 || !c) {
				t_check(0, "config %zu, allocation %ld failed: %d, want %d: %s", k, n, ret, failed ? -ENOMEM : 0, e.msg);
				bad++;
			}
			ign_free(c);
		}
		t_check(done && n > 2, "config %zu parsed after %ld failed allocations", k, n - 2);
	}
}
