/* ign_test.c — the Ignition value rules (paths, modes, hashes, unit names and syntax), merging,
 * the kernel command line and filesystem labels; the type and inode checks of provision's
 * attribute changes and its commit journal. */
#include "t.h"
#include "base/buf.h"
#include "base/err.h"
#include "disk/fslabel.h"
#include "init/unit_load.h"
#include "init/unit_parse.h"
#include "provision/ign.h"
#include "provision/ign_apply.h"
#include "provision/ign_plan.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

T_TEST(ign_paths)
{
	static const struct { const char *p; int ok; } cases[] = {
		{"/etc/hostname", 1}, {"/a", 1}, {"/a/b.c/d-e_f", 1}, {"/.hidden/x", 1}, {"/a/..b", 1}, {"/a/b..", 1},
		{"", 0}, {"/", 0}, {"etc/x", 0}, {"/etc/", 0}, {"//etc", 0}, {"/etc//x", 0}, {"/etc/./x", 0},
		{"/etc/../x", 0}, {"/..", 0}, {"/.", 0}, {"/a/\n", 0}, {"/a\x7f", 0},
	};
	for (size_t i = 0; i < T_LEN(cases); i++)
		t_check((ign_path_problem(cases[i].p) == NULL) == cases[i].ok, "path case %zu (%s)", i, cases[i].p);
	char longc[300] = "/";
	memset(longc + 1, 'a', 256);
	t_check(ign_path_problem(longc) != NULL, "component over NAME_MAX");
}

T_TEST(ign_modes)
{
	static const struct { long long mode; int minor; int ok; } cases[] = {
		{0, 0, 1}, {0644, 0, 1}, {0755, 3, 1}, {0777, 0, 1}, {07777, 4, 1}, {04755, 4, 1}, {01777, 5, 1},
		{04755, 3, 0}, {02755, 0, 0}, {01777, 3, 0}, {010000, 5, 0}, {-1, 4, 0}, {4096, 3, 0},
	};
	for (size_t i = 0; i < T_LEN(cases); i++)
		t_check((ign_mode_problem(cases[i].mode, cases[i].minor) == NULL) == cases[i].ok, "mode case %zu (%llo in 3.%d)", i,
			cases[i].mode, cases[i].minor);
}

T_TEST(ign_hashes)
{
	char s512[200] = "sha512-", s256[100] = "sha256-";
	memset(s512 + 7, 'a', 128);
	memset(s256 + 7, '0', 64);
	enum hash_alg alg;
	uint8_t d[HASH_MAX_SIZE];
	t_check(!ign_hash_parse(s512, 0, &alg, d) && alg == HASH_SHA512 && d[0] == 0xaa, "sha512 in 3.0");
	t_check(!ign_hash_parse(s256, 1, &alg, d) && alg == HASH_SHA256 && d[31] == 0, "sha256 in 3.1");
	t_check(ign_hash_parse(s256, 0, &alg, d) != NULL, "sha256 in 3.0 refused");
	s256[20] = 'g';
	t_check(ign_hash_parse(s256, 1, &alg, d) != NULL, "non-hex refused");
	t_check(ign_hash_parse("sha512-aa", 3, &alg, d) != NULL, "short refused");
	t_check(ign_hash_parse("sha512aa", 3, &alg, d) != NULL, "no dash refused");
	t_check(ign_hash_parse("md5-00", 3, &alg, d) != NULL, "md5 refused");
	t_check(ign_hash_parse("SHA512-", 3, &alg, d) != NULL, "upper-case algorithm refused");
}

T_TEST(ign_units)
{
	static const struct { const char *n; int ok; } names[] = {
		{"a.service", 1}, {"foo@bar.service", 1}, {"foo@.service", 1}, {"x.timer", 1}, {"var-lib.mount", 1},
		{"a", 0}, {"a.bar", 0}, {".service", 0}, {"../x.service", 0}, {"a/b.service", 0}, {"a b.service", 0},
		{"a\\x.service", 0}, {".hidden.service", 0},
	};
	for (size_t i = 0; i < T_LEN(names); i++)
		t_check((ign_unit_name_problem(names[i].n) == NULL) == names[i].ok, "unit name case %zu (%s)", i, names[i].n);
	static const struct { const char *s; int ok; size_t line; } texts[] = {
		{"[Unit]\nDescription=x\n", 1, 0},
		{"# c\n; c\n\n[Service]\nExecStart=/bin/sh -c \\\n  'echo hi'\nRestart=always\n", 1, 0},
		{"[Service]\r\nA=1\r\n", 1, 0},
		{"Description=before any section\n", 1, 0},
		{"[Service]\nA=1\\", 1, 0},
		{"[Service\nA=1\n", 0, 1},
		{"[Unit] junk\n", 0, 1},
		{"[Unit]\nDescription\n", 0, 2},
		{"[Unit]\n=x\n", 0, 2},
	};
	for (size_t i = 0; i < T_LEN(texts); i++) {
		size_t line;
		const char *why = ign_unit_syntax_problem(texts[i].s, &line);
		t_check((why == NULL) == texts[i].ok && (texts[i].ok || line == texts[i].line), "unit text case %zu: %s line %zu", i,
			why ? why : "ok", line);
	}
	struct buf big = BUF_INIT(1 << 20);
	buf_puts(&big, "[X]\nA=");
	for (int i = 0; i < 2100; i++)
		buf_putc(&big, 'a');
	size_t line;
	t_check(ign_unit_syntax_problem((char *)big.p, &line) != NULL && line == 2, "a 2,100-byte line refused");
	buf_free(&big);
}

/* [Install] alone, as provision reads it (unit_parse_install): other sections and settings skipped,
 * the rest exactly as keel init's parser (quotes, continuation lines, specifiers, resets). */
T_TEST(ign_install)
{
	static const struct { const char *name, *s, *want; } cases[] = {
		{"u.service", "[Install]\nWantedBy=multi-user.target\n", "multi-user.target"},
		{"u.service", "[Service]\nWantedBy=no.target\nNope=1\n[Install]\nWantedBy = a.target  b.target\nRequiredBy=c.target\n"
			"Also=x.socket\nAlias=y.service\n[X-Ext]\nWantedBy=no.target\n", "a.target b.target c.target!"},
		{"u.service", "[Install]\n#WantedBy=no.target\nWantedBy=a.target\nWantedBy=\n", ""},
		{"u.service", "[Unit]\nDescription=x\n[Bogus]\nWantedBy=no.target\n", ""},
		{"u.service", "[Timer]\nOnCalendar=daily\n[Install]\nWantedBy=timers.target \\\n  \"b.target\"\n", "timers.target b.target"},
		{"a@b.service", "[Install]\nWantedBy=%p.target %i.target %N.target\n", "a.target b.target a@b.target"},
		{"u.service", "[Install]\nWantedBy=a.target\n[Installation]\nWantedBy=no.target\n", "a.target"},
		{"u.service", "[Install]\nWantedBy=\"a.target\n", NULL},
		{"u.service", "[Install]\nWantedBy=%Z.target\n", NULL},
		{"u.service", "[Install]\nAlso=x\n", NULL},
		{"u.service", "[Install]\nAlias=u.socket\n", NULL},
		{"u.service", "[Install]\nRequiredBy=a@.target\n", NULL},
		{"u.service", "[Install]\nWantedBy=../x.target\n", NULL},
		{"u.service", "[Install\nWantedBy=a.target\n", NULL},
	};
	for (size_t i = 0; i < T_LEN(cases); i++) {
		struct unit u = {0};
		struct kerr e = {0};
		struct buf got = BUF_INIT(4096);
		snprintf(u.name, sizeof(u.name), "%s", cases[i].name);
		int ret = unit_parse_install(&u, "u", cases[i].s, strlen(cases[i].s), &e);
		buf_puts(&got, "");
		for (size_t k = 0; k < u.wanted_by.n + u.required_by.n; k++)
			buf_printf(&got, "%s%s%s", k ? " " : "", k < u.wanted_by.n ? u.wanted_by.v[k] : u.required_by.v[k - u.wanted_by.n],
				k < u.wanted_by.n ? "" : "!");
		if (cases[i].want)
			t_check(!ret && !strcmp((char *)got.p, cases[i].want), "install case %zu: %s %s", i, (char *)got.p, e.msg);
		else
			t_check(ret == -EINVAL && !strncmp(e.msg, "u:", 2), "install case %zu refused: %d %s", i, ret, e.msg);
		unit_free(&u);
		buf_free(&got);
	}
}

/* The .wants/ and .requires/ links of the units in dir (root/etc/systemd/system) that name
 * unit, sorted: "a.target.wants b.target.requires". */
static void links_of(const char *dir, const char *unit, struct buf *out)
{
	struct dirent **v = NULL;
	int n = scandir(dir, &v, NULL, alphasort);
	buf_reset(out);
	buf_puts(out, "");
	for (int i = 0; i < n; i++) {
		const char *d = v[i]->d_name;
		size_t l = strlen(d);
		char link[4096];
		struct stat st;
		snprintf(link, sizeof(link), "%s/%s/%s", dir, d, unit);
		if (((l > 6 && !strcmp(d + l - 6, ".wants")) || (l > 9 && !strcmp(d + l - 9, ".requires"))) &&
			!lstat(link, &st) && S_ISLNK(st.st_mode))
			buf_printf(out, "%s%s", out->len ? " " : "", d);
		free(v[i]);
	}
	free(v);
}

static int cmp_str(const void *a, const void *b) { return strcmp(a, b); }

/* What keel init's own parser (unit_parse) reads from [Install], in links_of's form; the default
 * provision links a unit without WantedBy=/RequiredBy= to (HOST.md) is multi-user.target. */
static int init_view(const char *unit, const char *contents, struct buf *out)
{
	struct unit u;
	struct kerr e = {0};
	char names[32][UNIT_NAME_MAX + 16];
	size_t n = 0;
	buf_reset(out);
	buf_puts(out, "");
	if (unit_init(&u, unit))
		return -EINVAL;
	int ret = unit_parse(&u, "unit", contents, strlen(contents), &e);
	for (size_t i = 0; !ret && i < u.wanted_by.n + u.required_by.n && n < T_LEN(names); i++) {
		bool req = i >= u.wanted_by.n;
		snprintf(names[n++], sizeof(names[0]), "%s.%s", req ? u.required_by.v[i - u.wanted_by.n] : u.wanted_by.v[i],
			req ? "requires" : "wants");
	}
	if (!ret && !n)
		snprintf(names[n++], sizeof(names[0]), "multi-user.target.wants");
	qsort(names, n, sizeof(names[0]), cmp_str);
	for (size_t i = 0; i < n; i++)
		buf_printf(out, "%s%s", out->len ? " " : "", names[i]);
	unit_free(&u);
	return ret;
}

/* The links provision makes to enable a unit are the ones keel init honours (issue 9 item 3):
 * [Install] is read by keel init's own unit parser, with systemd's rules. What `systemctl enable`
 * makes for the same unit follows from systemd.syntax(7) ("Lines ending in a backslash are
 * concatenated with the following line while reading and the backslash is replaced by a space
 * character"; comment lines are ignored, also between continued lines), systemd.unit(5) [Install]
 * ("WantedBy=, RequiredBy=: This option may be used more than once, or a space-separated list of
 * unit names may be given"; values are unquoted like every list setting, an empty assignment
 * resets the list) and its specifiers ("The following specifiers are interpreted in the Install
 * section: … %i, … %n, %N, %p, …": %p is the prefix before '@', %i the instance). keel init
 * (unit_load.h) then adds Wants=/Requires= for each entry of TARGET.wants/ and TARGET.requires/.
 * Before, provision split [Install] lines itself: a continued line made a link in "\.wants/"
 * and lost the next target, quotes became part of the directory name ("\"multi-user.target\".wants"),
 * "%p.target.wants" was made literally, "WantedBy=" did not reset, and a value keel init refuses
 * (unterminated quote, unknown specifier) still made a link in a directory nobody reads. */
T_TEST(ign_enable_links)
{
	static const struct { const char *unit, *contents, *links; bool image; } cases[] = {
		{"a.service", "[Service]\nExecStart=/bin/true\n[Install]\nWantedBy=multi-user.target\n", "multi-user.target.wants"},
		{"none.service", "[Service]\nExecStart=/bin/true\n", "multi-user.target.wants"},
		{"b.service", "[Service]\nExecStart=/bin/true\n[Install]\nWantedBy=multi-user.target \\\n\tnetwork-online.target\n",
			"multi-user.target.wants network-online.target.wants"},
		{"c.service", "[Install]\nRequiredBy=basic.target\\\n# not a target\n sockets.target\n",
			"basic.target.requires sockets.target.requires", true}, /* the image's unit file */
		{"d.service", "[Install]\nWantedBy=\"multi-user.target\" 'timers.target'\n",
			"multi-user.target.wants timers.target.wants"},
		{"getty@tty1.service", "[Install]\nWantedBy=%p.target\n", "getty.target.wants"},
		{"net@network-online.service", "[Install]\nRequiredBy=%i.target\nWantedBy=%N.target\n",
			"net@network-online.target.wants network-online.target.requires"},
		{"e.service", "[Install]\nWantedBy=basic.target\nWantedBy=\nWantedBy=multi-user.target\n", "multi-user.target.wants"},
		{"f.service", "[Unit]\nDescription=x\n[Install]\nWantedBy = sockets.target  timers.target\r\n",
			"sockets.target.wants timers.target.wants"},
		/* forged: keel init refuses these units, so provision must make no link */
		{"g.service", "[Install]\nWantedBy=\"multi-user.target\n", NULL},
		{"h.service", "[Install]\nWantedBy=%Z.target\n", NULL},
		{"i.service", "[Install]\nWantedBy=getty@.target\n", NULL},
		{"j.timer", "[Timer]\nOnCalendar=daily\n[Install]\nWantedBy=timers.target\n", "timers.target.wants"},
	};
	for (size_t i = 0; i < T_LEN(cases); i++) {
		char root[512], dir[600];
		struct buf js = BUF_INIT(1u << 20), have = BUF_INIT(1u << 16), want = BUF_INIT(1u << 16);
		struct kerr e = {0};
		snprintf(root, sizeof(root), "%s/enable%zu", t_tmpdir(), i);
		snprintf(dir, sizeof(dir), "%s/etc/systemd/system", root);
		t_check(!mkdir(root, 0755), "case %zu: mkdir", i);
		buf_printf(&js, "{\"ignition\":{\"version\":\"3.3.0\"},\"systemd\":{\"units\":[{\"name\":\"%s\",\"enabled\":true",
			cases[i].unit);
		if (cases[i].image) {
			char file[700];
			static const char *const sub[] = {"/usr", "/lib", "/systemd", "/system"};
			snprintf(file, sizeof(file), "%s", root);
			for (size_t k = 0; k < T_LEN(sub); k++) {
				snprintf(file + strlen(file), sizeof(file) - strlen(file), "%s", sub[k]);
				t_check(!mkdir(file, 0755), "case %zu: mkdir %s", i, file);
			}
			snprintf(file + strlen(file), sizeof(file) - strlen(file), "/%s", cases[i].unit);
			FILE *f = fopen(file, "w");
			t_check(f && fputs(cases[i].contents, f) >= 0 && !fclose(f), "case %zu: %s", i, file);
		} else {
			buf_puts(&js, ",\"contents\":\"");
			for (const char *c = cases[i].contents; *c; c++)
				buf_printf(&js, *c == '"' || *c == '\\' ? "\\%c" : (unsigned char)*c < 0x20 ? "\\u%04x" : "%c", *c);
			buf_puts(&js, "\"");
		}
		buf_puts(&js, "}]}}");
		struct ign_cfg *cfg = NULL;
		int ret = ign_parse(&cfg, js.p, js.len, NULL, &e);
		t_check(!ret, "case %zu: config: %s", i, e.msg);
		struct ign_env env;
		ign_env_init(&env);
		struct ign_report rep = {0};
		int rootfd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		struct ign_apply_opts o = {.rootfd = rootfd, .env = &env, .now = 1700000000};
		ret = ret ? ret : ign_apply(cfg, &o, &rep, &e);
		links_of(dir, cases[i].unit, &have);
		int iret = init_view(cases[i].unit, cases[i].contents, &want);
		const char *linked = (const char *)have.p, *wanted = (const char *)want.p;
		if (!cases[i].links) {
			t_check(iret < 0, "case %zu: keel init refuses the unit", i);
			t_check(ret < 0 && (strstr(e.msg, "[Install]") || strstr(e.msg, "keel init runs")) && !linked[0], "case %zu: provision refuses it too, no link: %d %s; %s",
				i, ret, e.msg, linked);
		} else {
			t_check(!ret, "case %zu: apply: %s", i, e.msg);
			t_check(!iret && !strcmp(wanted, cases[i].links), "case %zu: keel init's parser reads %s", i, wanted);
			t_check(!strcmp(linked, cases[i].links), "case %zu: provision linked %s, not %s", i, linked, cases[i].links);
		}
		/* the unit loader's view: each target named pulls the unit in */
		struct unit_dirs d;
		t_check(!unit_dirs_open(&d, root, &e), "case %zu: unit dirs: %s", i, e.msg);
		for (const char *w = cases[i].links ? wanted : NULL, *sp; w && *w; w = sp ? sp + 1 : w + strlen(w)) {
			char target[UNIT_NAME_MAX + 16];
			sp = strchr(w, ' ');
			snprintf(target, sizeof(target), "%.*s", (int)(sp ? sp - w : (ptrdiff_t)strlen(w)), w);
			char *suffix = strrchr(target, '.');
			bool req = !strcmp(suffix, ".requires");
			*suffix = 0;
			if (strchr(target, '@'))
				continue; /* no such target file: the link is still checked above */
			struct unit u;
			enum unit_load load;
			ret = unit_load(&d, target, &u, &load, &e);
			t_check(!ret && load == LOAD_LOADED && strv_has(req ? &u.requires : &u.wants, cases[i].unit),
				"case %zu: keel init's %s %s %s: %s", i, target, req ? "requires" : "wants", cases[i].unit, e.msg);
			if (!ret)
				unit_free(&u);
		}
		unit_dirs_close(&d);
		if (rootfd >= 0)
			close(rootfd);
		ign_env_free(&env);
		ign_free(cfg);
		buf_free(&js);
		buf_free(&have);
		buf_free(&want);
	}
}

/* errno is read before a close() that may change it (issue 9 item 4). With every close() failing
 * with EIO (t_close_fail), ign_recover still finds a staging directory without a journal (a run
 * that stopped before its commit: nothing changed) and removes it, and a journal that is a
 * symlink is still refused as one (ELOOP). Before, both read errno after close(sfd): EIO. */
T_TEST(ign_errno_after_close)
{
	static const struct { const char *journal_link; int want; } cases[] = {
		{NULL, 0},      /* no journal: the stale staging directory is removed */
		{"x", -ELOOP},  /* a symlink where the journal is: refused as a symlink */
	};
	for (size_t i = 0; i < T_LEN(cases); i++) {
		char root[512], staging[600], journal[700];
		struct kerr e = {0};
		struct stat st;
		snprintf(root, sizeof(root), "%s/errno%zu", t_tmpdir(), i);
		snprintf(staging, sizeof(staging), "%s%s", root, IGN_STAGING);
		snprintf(journal, sizeof(journal), "%s/%s", staging, IGN_JOURNAL);
		t_check(!mkdir(root, 0755) && !mkdir(staging, 0700), "case %zu: mkdir", i);
		if (cases[i].journal_link)
			t_check(!symlink(cases[i].journal_link, journal), "case %zu: symlink", i);
		int rootfd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		t_close_fail(1);
		int ret = ign_recover(rootfd, &e);
		t_close_fail(0);
		t_check(ret == cases[i].want, "case %zu: ign_recover with close() failing: %d, not %d (%s)", i, ret, cases[i].want,
			e.msg);
		t_check(!lstat(staging, &st) == (cases[i].want != 0), "case %zu: staging %s", i, cases[i].want ? "kept" : "removed");
		close(rootfd);
	}
}

static struct ign_cfg *parse(const char *s, const char *label)
{
	struct ign_cfg *c = NULL;
	struct kerr e = {0};
	if (ign_parse(&c, s, strlen(s), label, &e))
		t_check(0, "parse failed: %s", e.msg);
	return c;
}

T_TEST(ign_merging)
{
	struct ign_cfg *p = parse("{\"ignition\":{\"version\":\"3.0.0\"},\"storage\":{"
		"\"files\":[{\"path\":\"/a\",\"mode\":420,\"contents\":{\"source\":\"data:,p\"}},{\"path\":\"/link-then-file\"}],"
		"\"directories\":[{\"path\":\"/d\",\"mode\":448}],\"links\":[{\"path\":\"/l\",\"target\":\"/x\"}]},"
		"\"passwd\":{\"users\":[{\"name\":\"core\",\"sshAuthorizedKeys\":[\"k1\"],\"groups\":[\"a\"]}]},"
		"\"systemd\":{\"units\":[{\"name\":\"u.service\",\"enabled\":true,\"dropins\":[{\"name\":\"a.conf\",\"contents\":\"[X]\\n\"}]}]}}", NULL);
	struct ign_cfg *c = parse("{\"ignition\":{\"version\":\"3.3.0\",\"timeouts\":{\"httpTotal\":5}},\"storage\":{"
		"\"files\":[{\"path\":\"/a\",\"contents\":{\"source\":\"data:,c\"}},{\"path\":\"/l\"}],"
		"\"links\":[{\"path\":\"/link-then-file\",\"target\":\"/y\"}]},"
		"\"passwd\":{\"users\":[{\"name\":\"core\",\"sshAuthorizedKeys\":[\"k1\",\"k2\"],\"shell\":\"/bin/zsh\"}]},"
		"\"systemd\":{\"units\":[{\"name\":\"u.service\",\"dropins\":[{\"name\":\"b.conf\"}]},{\"name\":\"v.service\",\"mask\":true}]},"
		"\"kernelArguments\":{\"shouldExist\":[\"quiet\"]}}", "child");
	struct kerr e = {0};
	if (!p || !c)
		return;
	t_check(!ign_merge(p, c, &e), "merge: %s", e.msg);
	t_check(p->minor == 3 && p->has_total_timeout && p->total_timeout == 5, "version and timeouts from the child");
	t_check(p->nfiles == 2 && !strcmp(p->files[0].path, "/a") && p->files[0].mode == 0644 &&
			!strcmp(p->files[0].contents.source, "data:,c"), "a file merged field by field");
	t_check(!strcmp(p->files[1].path, "/l") && p->nlinks == 1 && !strcmp(p->links[0].path, "/link-then-file"),
		"a child node of another kind replaces the parent's");
	t_check(p->ndirs == 1 && p->dirs[0].mode == 0700, "untouched entries stay");
	t_check(p->nusers == 1 && p->users[0].nssh_keys == 2 && p->users[0].ngroups == 1 && !strcmp(p->users[0].shell, "/bin/zsh"),
		"users: keys united, fields overridden");
	t_check(p->nunits == 2 && p->units[0].enabled == IGN_YES && p->units[0].ndropins == 2, "units and drop-ins merged");
	t_check(p->nkargs_add == 1, "kernel arguments");
	t_check(strstr(p->files[0].where, "child > ") == p->files[0].where, "merged entries name their config: %s",
		p->files[0].where);
	t_check(!ign_check(p, &e), "merged config checks: %s", e.msg);
	ign_free(p);
}

T_TEST(fslabels)
{
	unsigned char *b = calloc(1, 0x8000 + 2048);
	char label[64];
	if (!b)
		return;
	t_check(fslabel_probe_buf(b, 0x8800, label, sizeof(label)) == FS_UNKNOWN, "zeros: unknown");
	/* ISO 9660 primary volume descriptor */
	b[0x8000] = 1;
	memcpy(b + 0x8001, "CD001", 5);
	b[0x8006] = 1;
	memcpy(b + 0x8000 + 40, "config-2                        ", 32);
	t_check(fslabel_probe_buf(b, 0x8800, label, sizeof(label)) == FS_ISO9660 && !strcmp(label, "config-2"), "iso9660: %s", label);
	t_check(fslabel_probe_buf(b, 0x8000 + 50, label, sizeof(label)) != FS_ISO9660, "truncated iso9660 not read");
	memset(b, 0, 0x8800);
	/* ext4 superblock */
	b[1024 + 56] = 0x53;
	b[1024 + 57] = 0xEF;
	memcpy(b + 1024 + 120, "ignition", 8);
	t_check(fslabel_probe_buf(b, 4096, label, sizeof(label)) == FS_EXT && !strcmp(label, "ignition"), "ext4: %s", label);
	memset(b, 0, 4096);
	/* FAT32 boot sector */
	b[0] = 0xEB;
	b[11] = 0x00, b[12] = 0x02, b[13] = 8;
	b[66] = 0x29;
	memcpy(b + 71, "IGNITION   ", 11);
	memcpy(b + 82, "FAT32   ", 8);
	b[510] = 0x55, b[511] = 0xAA;
	t_check(fslabel_probe_buf(b, 512, label, sizeof(label)) == FS_VFAT && !strcmp(label, "IGNITION"), "fat32: %s", label);
	memcpy(b + 71, "NO NAME    ", 11);
	t_check(fslabel_probe_buf(b, 512, label, sizeof(label)) == FS_VFAT && !label[0], "fat32 without a label");
	b[11] = 0x01; /* 257-byte sectors: not FAT */
	t_check(fslabel_probe_buf(b, 512, label, sizeof(label)) == FS_UNKNOWN, "forged sector size refused");
	free(b);
}

/* ign_set_attr changes the node it is told about, or nothing: provision's commit makes a directory
 * and then sets its owner and mode; a file hard-linked in its place meanwhile (here: planted), a
 * symlink, a FIFO or another inode than the one the plan pinned is refused before any change. */
T_TEST(ign_set_attr_types)
{
	const char *d = t_tmpdir();
	uid_t uid = geteuid() ? geteuid() : 1000;
	gid_t gid = geteuid() ? getegid() : 1000;
	int dfd = open(d, O_RDONLY | O_DIRECTORY | O_CLOEXEC), fd;
	struct stat pin_file, pin_dir, st;
	t_check(dfd >= 0 && !mkdirat(dfd, "dir", 0700) && (fd = openat(dfd, "secret", O_WRONLY | O_CREAT | O_EXCL, 0600)) >= 0 &&
			!close(fd) && (fd = openat(dfd, "file", O_WRONLY | O_CREAT | O_EXCL, 0600)) >= 0 && !close(fd) &&
			!linkat(dfd, "secret", dfd, "made-dir", 0) && !symlinkat("dir", dfd, "sym") && !mkfifoat(dfd, "fifo", 0600) &&
			!fstatat(dfd, "file", &pin_file, 0) && !fstatat(dfd, "dir", &pin_dir, 0),
		"fixtures");
	static const struct {
		const char *name;
		enum ign_node_type want;
		int pin; /* 0 none, 1 "file", 2 "dir" */
		int ret;
	} cases[] = {
		{"dir", IGN_N_DIR, 0, 0}, {"dir", IGN_N_DIR, 2, 0}, {"file", IGN_N_REG, 0, 0}, {"file", IGN_N_REG, 1, 0},
		{"made-dir", IGN_N_DIR, 0, -ENOTDIR}, /* the hard link where the directory was made */
		{"made-dir", IGN_N_REG, 1, -ESTALE},  /* a regular file, but not the one pinned */
		{"sym", IGN_N_DIR, 0, -ELOOP}, {"sym", IGN_N_REG, 0, -ELOOP}, {"fifo", IGN_N_REG, 0, -ESTALE},
		{"dir", IGN_N_REG, 0, -EISDIR}, {"file", IGN_N_DIR, 0, -ENOTDIR}, {"dir", IGN_N_DIR, 1, -ESTALE},
		{"nothing", IGN_N_DIR, 0, -ENOENT}, {"dir", IGN_N_LNK, 0, -EINVAL},
	};
	for (size_t i = 0; i < T_LEN(cases); i++) {
		const char *names[] = {"dir", "file", "secret"};
		for (size_t k = 0; k < T_LEN(names); k++) /* every node back to root's (the test's) own */
			fchownat(dfd, names[k], geteuid(), getegid(), 0), fchmodat(dfd, names[k], k ? 0600 : 0700, 0);
		bool touched = true;
		const struct stat *pin = cases[i].pin == 1 ? &pin_file : cases[i].pin == 2 ? &pin_dir : NULL;
		int ret = ign_set_attr(dfd, cases[i].name, cases[i].want, pin, true, uid, gid, 0750, &touched);
		t_check(ret == cases[i].ret && touched == !ret, "case %zu (%s): %d (%s), want %d", i, cases[i].name, ret,
			strerror(-ret), cases[i].ret);
		if (!ret)
			t_check(!fstatat(dfd, cases[i].name, &st, 0) && (st.st_mode & 07777) == 0750 && st.st_uid == uid &&
					st.st_gid == gid, "case %zu (%s): owner and mode set", i, cases[i].name);
		t_check(!fstatat(dfd, "secret", &st, 0) && (st.st_mode & 07777) == 0600 && st.st_uid == geteuid(),
			"case %zu (%s): the linked file keeps its owner and mode", i, cases[i].name);
	}
	close(dfd);
}

/* The commit journal: what ign_journal_text writes, ign_journal_parse reads back to the same text;
 * a forged journal (a path that climbs, a staged name with a slash, a mode or id out of range, a
 * missing or unknown key, another kind or version) is refused before any op is used. */
T_TEST(ign_journal)
{
	static const char good[] =
		"{\"journal\":\"keel provision commit\",\"version\":1,\"ops\":["
		"{\"kind\":\"mkdir\",\"path\":\"/srv\",\"where\":\"storage.directories[0]\",\"existing\":\"none\",\"replace\":false,"
		"\"skip\":false,\"setMode\":true,\"setOwner\":true,\"mode\":493,\"uid\":0,\"gid\":0},"
		"{\"kind\":\"file\",\"path\":\"/srv/a\",\"where\":\"storage.files[0]\",\"existing\":\"file\",\"replace\":true,"
		"\"skip\":false,\"setMode\":true,\"setOwner\":true,\"mode\":420,\"uid\":1000,\"gid\":1000,\"staged\":\"f1\"},"
		"{\"kind\":\"file\",\"path\":\"/srv/b\",\"where\":\"storage.files[1]\",\"existing\":\"file\",\"replace\":false,"
		"\"skip\":true,\"setMode\":true,\"setOwner\":true,\"mode\":420,\"uid\":0,\"gid\":0,\"staged\":\"\"},"
		"{\"kind\":\"symlink\",\"path\":\"/etc/localtime\",\"where\":\"storage.links[0]\",\"existing\":\"none\",\"replace\":false,"
		"\"skip\":false,\"setMode\":false,\"setOwner\":false,\"mode\":0,\"uid\":0,\"gid\":0,\"target\":\"../usr/share/zoneinfo/UTC\"},"
		"{\"kind\":\"hardlink\",\"path\":\"/srv/h\",\"where\":\"storage.links[1]\",\"existing\":\"none\",\"replace\":false,"
		"\"skip\":false,\"setMode\":false,\"setOwner\":false,\"mode\":0,\"uid\":0,\"gid\":0,\"target\":\"/srv/a\"},"
		"{\"kind\":\"attr\",\"path\":\"/etc/app\",\"where\":\"storage.directories[1]\",\"existing\":\"dir\",\"replace\":false,"
		"\"skip\":false,\"setMode\":true,\"setOwner\":false,\"mode\":448,\"uid\":0,\"gid\":0,"
		"\"old\":{\"dev\":2049,\"ino\":18446744073709551615,\"mode\":16877,\"uid\":0,\"gid\":0}},"
		"{\"kind\":\"remove\",\"path\":\"/etc/systemd/system/x.service\",\"where\":\"systemd.units[0]\",\"existing\":\"symlink\","
		"\"replace\":false,\"skip\":false,\"setMode\":false,\"setOwner\":false,\"mode\":0,\"uid\":0,\"gid\":0}]}\n";
	struct ign_plan p = {0};
	struct buf out = BUF_INIT(1u << 20);
	struct kerr e = {0};
	int ret = ign_journal_parse(&p, good, sizeof(good) - 1, &e);
	t_check(!ret && p.n == 7 && p.ops[1].kind == IGN_OP_FILE && !strcmp(p.ops[1].staged, "f1") && p.ops[1].uid == 1000 &&
			p.ops[5].old.st_ino == (ino_t)18446744073709551615ull && p.ops[5].old.st_dev == 2049 &&
			!strcmp(p.ops[3].target, "../usr/share/zoneinfo/UTC"),
		"good journal: %s", e.msg);
	t_check(!ret && !ign_journal_text(&p, &out) && out.len == sizeof(good) - 1 && !memcmp(out.p, good, out.len),
		"text of the parsed journal is the journal");
	ign_plan_free(&p);
	buf_free(&out);
	static const struct { const char *from, *to; } forged[] = {
		{"\"/srv/a\",\"where\"", "\"/srv/../../etc/shadow\",\"where\""}, /* a path that climbs */
		{"\"/srv\",\"where\"", "\"srv\",\"where\""},                       /* not absolute */
		{"\"staged\":\"f1\"", "\"staged\":\"../f1\""},                     /* a staged name out of staging */
		{"\"staged\":\"f1\"", "\"staged\":\"\""},                          /* nothing staged for a file to place */
		{"\"mode\":493", "\"mode\":4096"},                                 /* mode out of range */
		{"\"uid\":1000", "\"uid\":4294967296"},                            /* uid out of range */
		{"\"uid\":1000", "\"uid\":-1"},
		{"\"mode\":493", "\"mode\":493.0"},
		{"\"kind\":\"remove\"", "\"kind\":\"exec\""},                     /* an unknown kind */
		{"\"existing\":\"dir\"", "\"existing\":\"none\""},                /* attributes of nothing */
		{",\"target\":\"/srv/a\"", ""},                                   /* a hard link without target */
		{"\"target\":\"/srv/a\"", "\"target\":\"srv/a\""},                /* a hard link target not clean */
		{",\"old\":{\"dev\":2049,\"ino\":18446744073709551615,\"mode\":16877,\"uid\":0,\"gid\":0}", ""},
		{"\"ino\":18446744073709551615", "\"ino\":18446744073709551616"},
		{"\"skip\":true", "\"skip\":1"},                                   /* a wrong type */
		{"\"replace\":false,\"skip\":false,\"setMode\":true,\"setOwner\":true,\"mode\":493",
			"\"replace\":false,\"skip\":false,\"setMode\":true,\"setOwner\":true,\"run\":1,\"mode\":493"}, /* an unknown key */
		{"\"version\":1", "\"version\":2"},
		{"keel provision commit", "keel provision"},
		{"]}\n", "]}x"},                                                   /* junk after the document */
	};
	for (size_t i = 0; i < T_LEN(forged); i++) {
		char bad[sizeof(good) + 256];
		const char *at = strstr(good, forged[i].from);
		t_check(at != NULL, "forged case %zu: pattern", i);
		if (!at)
			continue;
		snprintf(bad, sizeof(bad), "%.*s%s%s", (int)(at - good), good, forged[i].to, at + strlen(forged[i].from));
		struct ign_plan q = {0};
		e.msg[0] = 0;
		ret = ign_journal_parse(&q, bad, strlen(bad), &e);
		t_check(ret == -EINVAL && e.msg[0], "forged case %zu refused: %d %s", i, ret, e.msg);
		ign_plan_free(&q);
	}
}
