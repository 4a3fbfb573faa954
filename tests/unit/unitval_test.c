/* unitval_test.c — values of unit-file settings: spans, sizes, words, specifiers, expansion,
 * EnvironmentFile= contents; a forged input next to every good one. */
#include "t.h"
#include "base/buf.h"
#include "base/err.h"
#include "init/unit_value.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <unistd.h>

T_TEST(unitval_timespan)
{
	static const struct { const char *in; int ret; uint64_t usec; } cases[] = {
		{"90", 0, 90000000},
		{"1min 30s", 0, 90000000},
		{"1min30s", 0, 90000000},
		{"1.5s", 0, 1500000},
		{"500ms", 0, 500000},
		{"250 msec", 0, 250000},
		{"2h", 0, 7200000000ULL},
		{"1d 1w", 0, 691200000000ULL},
		{"10us", 0, 10},
		{"0", 0, 0},
		{"infinity", 0, UV_INFINITY},
		{" 3s ", 0, 3000000},
		{".5s", 0, 500000},
		{"", -EINVAL, 0},
		{"s", -EINVAL, 0},
		{"5 fortnights", -EINVAL, 0},
		{"1.2345678901s", -EINVAL, 0},
		{"-1s", -EINVAL, 0},
		{"99999999999999999999", -ERANGE, 0},
		{"999999999999w", -ERANGE, 0},
		{"5s,", -EINVAL, 0},
		{"1e3", -EINVAL, 0},
		/* months and years as systemd-analyze timespan (systemd 252) prints them */
		{"1month", 0, 2629800000000ULL},
		{"1M 1m", 0, 2629860000000ULL},
		{"2years", 0, 63115200000000ULL},
		{"1y", 0, 31557600000000ULL},
		{"5\xc2\xb5s", 0, 5},
		{"5\xce\xbcs", 0, 5},
		{"5\xc2s", -EINVAL, 0},
		{"1Y", -EINVAL, 0},
		{"3 mon", -EINVAL, 0},
	};
	for (size_t i = 0; i < T_LEN(cases); i++) {
		uint64_t v = 0;
		const char *why = NULL;
		int ret = uv_timespan(cases[i].in, &v, &why);
		t_check(ret == cases[i].ret && (ret || v == cases[i].usec), "timespan '%s': ret %d v %llu", cases[i].in,
			ret, (unsigned long long)v);
		t_check(ret == 0 || why, "timespan '%s': a reason", cases[i].in);
	}
}

T_TEST(unitval_bytes_bool_uint_signal)
{
	static const struct { const char *in; int ret; uint64_t v; } sizes[] = {
		{"512", 0, 512}, {"64K", 0, 65536}, {"1.5G", 0, 1610612736ULL}, {"1M", 0, 1048576},
		{"100B", 0, 100}, {"infinity", 0, UV_INFINITY}, {"2E", 0, 2305843009213693952ULL},
		{"16E", -ERANGE, 0}, {"1.5", -EINVAL, 0}, {"5X", -EINVAL, 0}, {"5KB", -EINVAL, 0},
		{"", -EINVAL, 0}, {"-5", -EINVAL, 0},
	};
	for (size_t i = 0; i < T_LEN(sizes); i++) {
		uint64_t v = 0;
		int ret = uv_bytes(sizes[i].in, &v, NULL);
		t_check(ret == sizes[i].ret && (ret || v == sizes[i].v), "bytes '%s': %d %llu", sizes[i].in, ret,
			(unsigned long long)v);
	}
	bool b;
	t_check(!uv_bool("yes", &b, NULL) && b, "yes");
	t_check(!uv_bool("Off", &b, NULL) && !b, "Off");
	t_check(uv_bool("maybe", &b, NULL) == -EINVAL, "maybe");
	t_check(uv_bool("", &b, NULL) == -EINVAL, "empty bool");
	uint64_t n;
	t_check(!uv_uint("42", 0, 100, false, &n, NULL) && n == 42, "uint 42");
	t_check(uv_uint("101", 0, 100, false, &n, NULL) == -ERANGE, "uint range");
	t_check(uv_uint("infinity", 0, 100, false, &n, NULL) == -EINVAL, "uint infinity refused");
	t_check(!uv_uint("infinity", 0, 100, true, &n, NULL) && n == UV_INFINITY, "uint infinity");
	int sig;
	t_check(!uv_signal("SIGINT", &sig, NULL) && sig == SIGINT, "SIGINT");
	t_check(!uv_signal("KILL", &sig, NULL) && sig == SIGKILL, "KILL");
	t_check(!uv_signal("15", &sig, NULL) && sig == 15, "15");
	t_check(uv_signal("SIGFOO", &sig, NULL) == -EINVAL, "SIGFOO");
	t_check(uv_signal("65", &sig, NULL) == -ERANGE, "65");
}

T_TEST(unitval_names)
{
	static const struct { const char *name; const char *suffix; bool tmpl; } cases[] = {
		{"a.service", ".service", false}, {"multi-user.target", ".target", false},
		{"getty@tty1.service", ".service", false}, {"getty@.service", ".service", true},
		{"foo\\x2dbar.service", ".service", false},
		{".service", NULL, false}, {"a.socket", ".socket", false}, {"a.timer", ".timer", false}, {"a.path", NULL, false},
		{"a b.service", NULL, false},
		{"a@b@c.service", ".service", false}, {"a.bogus", NULL, false}, {"@a.service", NULL, false}, {"a/b.service", NULL, false},
		{"", NULL, false}, {"a.service\n", NULL, false},
	};
	for (size_t i = 0; i < T_LEN(cases); i++) {
		const char *s = unit_name_suffix(cases[i].name);
		t_check((s == NULL) == (cases[i].suffix == NULL) && (!s || !strcmp(s, cases[i].suffix)), "name %zu '%s'",
			i, cases[i].name);
		t_check(unit_name_is_template(cases[i].name) == cases[i].tmpl, "template %zu", i);
	}
	char longname[300];
	memset(longname, 'a', 250);
	strcpy(longname + 250, ".service");
	t_check(unit_name_suffix(longname) == NULL, "258-byte name refused");
	char t[UNIT_NAME_MAX + 1];
	t_check(!unit_name_template("getty@tty1.service", t) && !strcmp(t, "getty@.service"), "template of instance");
	t_check(unit_name_template("getty.service", t) == -EINVAL, "no template of plain name");
	t_check(uv_env_assign("A_1=x y"), "env ok");
	t_check(!uv_env_assign("1A=x"), "env digit first");
	t_check(!uv_env_assign("A-B=x"), "env dash");
	t_check(!uv_env_assign("NOEQUALS"), "env no =");
	t_check(!uv_env_assign("A=\x01"), "env control char");
}

static char *joined(const struct strv *l)
{
	static char out[1024];
	out[0] = 0;
	for (size_t i = 0; i < l->n; i++)
		snprintf(out + strlen(out), sizeof(out) - strlen(out), "%s[%s]", i ? " " : "", l->v[i]);
	return out;
}

T_TEST(unitval_words)
{
	static const struct { const char *in; bool exec; const char *out; } cases[] = {
		{"/bin/echo a b", true, "[/bin/echo] [a] [b]"},
		{"  a\t b  ", false, "[a] [b]"},
		{"\"a b\" 'c d'", false, "[a b] [c d]"},
		{"\"\"", false, "[]"},
		{"a\\sb", false, "[a b]"},
		{"\"tab\\there\"", false, "[tab\there]"},
		{"'x\\'y'", false, "[x'y]"},
		{"\\x41\\102\\u00e9", false, "[AB\xc3\xa9]"},
		{"\\U0001F600", false, "[\xf0\x9f\x98\x80]"},
		{"a\\;", true, "[a;]"},
		{"\\;", true, "[;]"},
		{"\"'\"", false, "[']"},
		{"a\"b\"", false, "[ab]"},
		{"\"a\"b", false, "[ab]"},
		{"LOGGING=\"--log-level=info\" X='a b'c", false, "[LOGGING=--log-level=info] [X=a bc]"},
		{"'a\\sb'\"\"", false, "[a b]"},
		/* forged */
		{"\"unterminated", false, NULL},
		{"'unterminated", false, NULL},
		{"a\\", false, NULL},
		{"a\\q", false, NULL},
		{"\\x0", false, NULL},
		{"\\x00", false, NULL},
		{"\\000", false, NULL},
		{"\\400", false, NULL},
		{"\\ud800", false, NULL},
		{"\\U00110000", false, NULL},
		{"echo a ; echo b", true, NULL},
	};
	for (size_t i = 0; i < T_LEN(cases); i++) {
		struct strv l = {0};
		const char *why = NULL;
		int ret = uv_words(cases[i].in, cases[i].exec, &l, &why);
		if (cases[i].out)
			t_check(!ret && !strcmp(joined(&l), cases[i].out), "words %zu '%s': %d %s", i, cases[i].in, ret,
				joined(&l));
		else
			t_check(ret == -EINVAL && why, "words %zu '%s' refused: %d", i, cases[i].in, ret);
		strv_clear(&l);
	}
	/* the list limit */
	struct buf big = BUF_INIT(1 << 20);
	for (int i = 0; i <= UV_LIST_MAX; i++)
		buf_puts(&big, "w ");
	struct strv l = {0};
	t_check(uv_words((const char *)big.p, false, &l, NULL) == -E2BIG, "more than UV_LIST_MAX words");
	strv_clear(&l);
	buf_free(&big);
}

T_TEST(unitval_specifiers)
{
	static const struct { const char *in, *unit, *out; } cases[] = {
		{"%n %N %p %i %%", "getty@tty1.service", "getty@tty1.service getty@tty1 getty tty1 %"},
		{"%n %N %p [%i]", "a.service", "a.service a a []"},
		{"no specifiers", "a.service", "no specifiers"},
		{"100%", "a.service", NULL},
		{"%Z", "a.service", NULL},
		{"%t %S %C %L %E %T %V %h %u %U %g %G %s", "a.service", "/run /var/lib /var/cache /var/log /etc /tmp /var/tmp /root root 0 root 0 /bin/sh"},
		{"%P|%I|%j|%J|%f", "foo-bar@dev-sda\\x2d1.service", "foo/bar|dev/sda-1|bar|bar|/dev/sda-1"},
		{"%f %j", "var-lib-x.service", "/var/lib/x x"},
		{"%y %Y %d", "a.service", "/etc/systemd/system/x.service /etc/systemd/system /run/credentials/a.service"},
		{"%I", "a@x\\x00.service", NULL},
		{"%I", "a@x\\q.service", NULL},
		{"x", "bad name", NULL},
	};
	struct buf out = BUF_INIT(4096);
	for (size_t i = 0; i < T_LEN(cases); i++) {
		const char *why = NULL;
		int ret = uv_specifiers(cases[i].in, cases[i].unit, "/etc/systemd/system/x.service", &out, &why);
		if (cases[i].out)
			t_check(!ret && !strcmp((char *)out.p, cases[i].out), "spec %zu: %d '%s'", i, ret, ret ? "" : (char *)out.p);
		else
			t_check(ret == -EINVAL && why, "spec %zu refused", i);
	}
	buf_free(&out);
}

T_TEST(unitval_expand)
{
	char *env[] = {"A=one", "B=two  three", "A=uno", "EMPTY="};
	static const struct { const char *words[4]; const char *out; } cases[] = {
		{{"echo", "$A", NULL}, "[echo] [uno]"},
		{{"echo", "$B", NULL}, "[echo] [two] [three]"},
		{{"echo", "${B}", NULL}, "[echo] [two  three]"},
		{{"x${A}y", NULL}, "[xunoy]"},
		{{"$UNSET", "${UNSET}", NULL}, "[]"},
		{{"$EMPTY", "a", NULL}, "[a]"},
		{{"$$A", "$", "a$", NULL}, "[$A] [$] [a$]"},
		{{"${A", "$1", "${1}", NULL}, "[${A] [$1] [${1}]"},
	};
	for (size_t i = 0; i < T_LEN(cases); i++) {
		size_t n = 0;
		while (cases[i].words[n])
			n++;
		struct strv out = {0};
		int ret = uv_expand((char *const *)cases[i].words, n, env, 4, &out, NULL);
		t_check(!ret && !strcmp(joined(&out), cases[i].out), "expand %zu: %s", i, joined(&out));
		strv_clear(&out);
	}
}

T_TEST(unitval_envfile)
{
	static const struct { const char *in; const char *out; } cases[] = {
		{"A=1\nB = two words \n", "[A=1] [B=two words]"},
		{"# comment\n; other\n\nC=\"q \\\"x\\\" \\$y\"\n", "[C=q \"x\" $y]"},
		{"D='lit \\n $x'\n", "[D=lit \\n $x]"},
		{"E=\"multi\\\nline\"\nF=2", "[E=multiline] [F=2]"},
		{"G=\r\n", "[G=]"},
		{"H=\"a\nb\"\n", "[H=a\nb]"},
		/* forged */
		{"novalue\n", NULL},
		{"1A=x\n", NULL},
		{"A=\"open\n", NULL},
		{"A=\"x\" y\n", NULL},
		{"A=a\"b\n", NULL},
		{"A=a\\b\n", NULL},
		{"A=\"\\q\"\n", NULL},
		{"export A=1\n", NULL},
		{"A=\x01\n", NULL},
	};
	for (size_t i = 0; i < T_LEN(cases); i++) {
		struct strv out = {0};
		struct kerr e = {0};
		int ret = uv_envfile("env", cases[i].in, strlen(cases[i].in), &out, &e);
		if (cases[i].out)
			t_check(!ret && !strcmp(joined(&out), cases[i].out), "envfile %zu: %d %s (%s)", i, ret, joined(&out), e.msg);
		else
			t_check(ret == -EINVAL && !strncmp(e.msg, "env:", 4), "envfile %zu refused: %d '%s'", i, ret, e.msg);
		strv_clear(&out);
	}
	struct strv out = {0};
	struct kerr e = {0};
	t_check(uv_envfile("env", "A=1\0", 4, &out, &e) == -EINVAL && strstr(e.msg, "NUL"), "NUL refused");
	strv_clear(&out);
	t_check(uv_envfile("env", "A=1\n\nB=\"\n", 9, &out, &e) == -EINVAL && !strcmp(e.msg, "env:3: unterminated quote"),
		"line number of the error: %s", e.msg);
	strv_clear(&out);
}

/* The host's specifiers against what the host says itself (uname, gethostname, /etc/machine-id). */
T_TEST(unitval_host_specifiers)
{
	struct buf out = BUF_INIT(4096);
	const char *why = NULL;
	struct utsname un;
	char host[256];
	t_check(!uname(&un) && !gethostname(host, sizeof(host)), "uname");
	t_check(!uv_specifiers("%v|%H", "a.service", NULL, &out, &why), "%%v %%H: %s", why ? why : "");
	char want[600];
	snprintf(want, sizeof(want), "%s|%s", un.release, host);
	t_check(out.p && !strcmp((char *)out.p, want), "%%v|%%H = %s, want %s", out.p ? (char *)out.p : "", want);
	t_check(!uv_specifiers("%a", "a.service", NULL, &out, &why) && (!strcmp(un.machine, "x86_64") ? !strcmp((char *)out.p, "x86-64") : out.len > 0),
		"%%a on %s: %s", un.machine, out.p ? (char *)out.p : "");
	FILE *f = fopen("/etc/machine-id", "r");
	char mid[64] = "";
	if (f && fgets(mid, sizeof(mid), f) && strlen(mid) >= 32) {
		mid[32] = 0;
		t_check(!uv_specifiers("%m", "a.service", NULL, &out, &why) && !strcmp((char *)out.p, mid), "%%m");
	}
	if (f)
		fclose(f);
	t_check(uv_specifiers("%y", "a.service", NULL, &out, &why) == -EINVAL, "%%y without a unit file");
	buf_free(&out);
}

T_TEST(unitval_mangle)
{
	static const struct { const char *in, *out; size_t cap; } cases[] = {
		{"chrony", "chrony.service", 0}, {"ssh", "ssh.service", 0}, {"ssh.socket", "ssh.socket", 0},
		{"multi-user.target", "multi-user.target", 0}, {"getty@tty1", "getty@tty1.service", 0},
		{"a.timer", "a.timer", 0}, {"foo.bar", "foo.bar.service", 0}, {"/dev/sda", "/dev/sda", 0},
		{"", "", 0}, {"ab", NULL, 10}, {"ab.service", NULL, 10}, {"ab.servic", NULL, 10}, {"a", "a.service", 10},
	};
	for (size_t i = 0; i < T_LEN(cases); i++) {
		char out[300];
		int ret = unit_name_mangle(cases[i].in, out, cases[i].cap ? cases[i].cap : sizeof(out));
		t_check(cases[i].out ? !ret && !strcmp(out, cases[i].out) : ret == -ENAMETOOLONG, "case %zu: %s -> %s (%d)", i,
			cases[i].in, ret ? "-" : out, ret);
	}
}
