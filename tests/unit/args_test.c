/* args_test.c — the declarative option parser. */
#include "t.h"
#include "base/args.h"

#include <fcntl.h>
#include <stdio.h>
#include <unistd.h>
#include <string.h>

static struct {
	int flag, verbose;
	const char *str;
	uint64_t num;
	struct strlist list;
} o;

static const struct opt opts[] = {
	{"flag", 'f', OPT_FLAG, &o.flag},
	{"verbose", 'v', OPT_FLAG, &o.verbose},
	{"str", 's', OPT_STR, &o.str},
	{"num", 'n', OPT_U64, &o.num, 512, 65536},
	{"key", 'k', OPT_LIST, &o.list},
	{0},
};

T_TEST(args_table)
{
	static const struct {
		const char *argv; /* space separated */
		int ret;          /* operand count, or ARGS_USAGE / ARGS_HELP */
		const char *ops;  /* operands joined by ',' */
		int flag, verbose;
		const char *str;
		uint64_t num;
		int nlist;
	} cases[] = {
		{"a b", 2, "a,b", 0, 0, NULL, 4096, 0},
		{"-f a", 1, "a", 1, 0, NULL, 4096, 0},
		{"a -f b", 2, "a,b", 1, 0, NULL, 4096, 0},       /* options after operands */
		{"-fv", 0, "", 1, 1, NULL, 4096, 0},             /* grouped flags */
		{"-vv -f", 0, "", 1, 2, NULL, 4096, 0},
		{"--str=x y", 1, "y", 0, 0, "x", 4096, 0},
		{"--str x y", 1, "y", 0, 0, "x", 4096, 0},
		{"-sx y", 1, "y", 0, 0, "x", 4096, 0},
		{"-s x", 0, "", 0, 0, "x", 4096, 0},
		{"--str= y", 1, "y", 0, 0, "", 4096, 0},         /* empty value is a value */
		{"-- -f --str", 2, "-f,--str", 0, 0, NULL, 4096, 0},
		{"- a", 2, "-,a", 0, 0, NULL, 4096, 0},          /* "-" is stdin, an operand */
		{"--num 512", 0, "", 0, 0, NULL, 512, 0},
		{"--num=65536", 0, "", 0, 0, NULL, 65536, 0},
		{"-k a -k b --key=c", 0, "", 0, 0, NULL, 4096, 3},
		{"--str a --str b", 0, "", 0, 0, "b", 4096, 0},  /* last wins */
		{"--num 511", ARGS_USAGE, "", 0, 0, NULL, 4096, 0},
		{"--num 65537", ARGS_USAGE, "", 0, 0, NULL, 4096, 0},
		{"--num 1k", ARGS_USAGE, "", 0, 0, NULL, 4096, 0},
		{"--num -1", ARGS_USAGE, "", 0, 0, NULL, 4096, 0},
		{"--bogus", ARGS_USAGE, "", 0, 0, NULL, 4096, 0},
		{"-x", ARGS_USAGE, "", 0, 0, NULL, 4096, 0},
		{"--flag=1", ARGS_USAGE, "", 0, 0, NULL, 4096, 0},
		{"--str", ARGS_USAGE, "", 0, 0, NULL, 4096, 0},
		{"-s", ARGS_USAGE, "", 0, 0, NULL, 4096, 0},
		{"--fla", ARGS_USAGE, "", 0, 0, NULL, 4096, 0},  /* no prefix matching */
		{"a --help", ARGS_HELP, "", 0, 0, NULL, 4096, 0},
	};
	for (size_t i = 0; i < T_LEN(cases); i++) {
		char buf[256], *argv[32], **ops = NULL, joined[256] = "";
		int argc = 0;
		memset(&o, 0, sizeof(o));
		o.num = 4096;
		snprintf(buf, sizeof(buf), "%s", cases[i].argv);
		for (char *t = strtok(buf, " "); t; t = strtok(NULL, " "))
			argv[argc++] = t;
		/* keep help text and usage errors off the test output */
		fflush(stdout);
		int saved1 = dup(1), saved2 = dup(2), nul = open("/dev/null", O_WRONLY);
		dup2(nul, 1), dup2(nul, 2);
		int r = args_parse(opts, argc, argv, &ops);
		fflush(stdout);
		dup2(saved1, 1), dup2(saved2, 2);
		close(saved1), close(saved2), close(nul);
		for (int j = 0; r > 0 && j < r; j++) {
			strcat(joined, ops[j]);
			if (j + 1 < r)
				strcat(joined, ",");
		}
		t_check(r == cases[i].ret, "case %zu '%s': returned %d, want %d", i, cases[i].argv, r, cases[i].ret);
		if (r < 0)
			continue;
		t_check(!strcmp(joined, cases[i].ops), "case %zu '%s': operands '%s'", i, cases[i].argv, joined);
		t_check(o.flag == cases[i].flag && o.verbose == cases[i].verbose, "case %zu: flags", i);
		t_check((!o.str && !cases[i].str) || (o.str && cases[i].str && !strcmp(o.str, cases[i].str)), "case %zu: str", i);
		t_check(o.num == cases[i].num, "case %zu: num %llu", i, (unsigned long long)o.num);
		t_check(o.list.n == cases[i].nlist, "case %zu: list %d", i, o.list.n);
	}
	t_check(args_exit(ARGS_HELP) == 0 && args_exit(ARGS_USAGE) == 2, "exit codes");
}
