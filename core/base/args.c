/* args.c — the one option parser every applet uses. */
#include "base/args.h"
#include "base/applet.h"
#include "base/buf.h"
#include "base/log.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

void args_help(void)
{
	const char *help = keel_applet && keel_applet->help ? keel_applet->help(keel_applet) : NULL;

	if (help)
		fputs(help, stdout);
	fflush(stdout);
}

int args_exit(int ret) { return ret == ARGS_HELP ? EXIT_OK : EXIT_USAGE; }

static int usage(const char *what, const char *spelled)
{
	log_err("%s %s (see --help)", what, spelled);
	return ARGS_USAGE;
}

static int store(const struct opt *o, const char *val, const char *spelled)
{
	switch (o->type) {
	case OPT_FLAG:
		(*(int *)o->dst)++;
		return 0;
	case OPT_STR:
		*(const char **)o->dst = val;
		return 0;
	case OPT_LIST: {
		struct strlist *l = o->dst;
		if (l->n >= STRLIST_MAX)
			return usage("too many values for option", spelled);
		l->v[l->n++] = val;
		return 0;
	}
	case OPT_U64: {
		uint64_t v;
		int r = parse_u64(val, o->min, o->max ? o->max : UINT64_MAX, &v);
		if (r == -ERANGE) {
			log_err("option %s: %s is out of range %llu..%llu (see --help)", spelled, val,
				(unsigned long long)o->min, (unsigned long long)(o->max ? o->max : UINT64_MAX));
			return ARGS_USAGE;
		}
		if (r)
			return usage("not a decimal number for option", spelled);
		*(uint64_t *)o->dst = v;
		return 0;
	}
	}
	return ARGS_USAGE;
}

static const struct opt *find_long(const struct opt *opts, const char *name, size_t len)
{
	for (const struct opt *o = opts; o && o->name; o++)
		if (strlen(o->name) == len && !memcmp(o->name, name, len))
			return o;
	return NULL;
}

static const struct opt *find_short(const struct opt *opts, char c)
{
	for (const struct opt *o = opts; o && o->name; o++)
		if (o->shortname && o->shortname == c)
			return o;
	return NULL;
}

int args_parse(const struct opt *opts, int argc, char **argv, char ***operands)
{
	int nops = 0, i, ret;
	int done = 0;

	for (i = 0; i < argc; i++) {
		char *a = argv[i];
		if (done || a[0] != '-' || !a[1]) { /* operand ("-" alone is one: stdin) */
			argv[nops++] = a;
			continue;
		}
		if (!strcmp(a, "--")) {
			done = 1;
			continue;
		}
		if (a[1] == '-') { /* --name[=value] */
			const char *name = a + 2, *eq = strchr(name, '=');
			size_t len = eq ? (size_t)(eq - name) : strlen(name);
			if (len == 4 && !memcmp(name, "help", 4) && !eq) {
				args_help();
				return ARGS_HELP;
			}
			const struct opt *o = find_long(opts, name, len);
			if (!o)
				return usage("unknown option", a);
			const char *val = NULL;
			if (o->type == OPT_FLAG) {
				if (eq)
					return usage("no value allowed for option", a);
			} else if (eq) {
				val = eq + 1;
			} else if (i + 1 < argc) {
				val = argv[++i];
			} else {
				return usage("missing value for option", a);
			}
			if ((ret = store(o, val, a)))
				return ret;
			continue;
		}
		for (const char *c = a + 1; *c; c++) { /* -x, -xy, -x value, -xvalue */
			char spelled[3] = {'-', *c, 0};
			const struct opt *o = find_short(opts, *c);
			if (!o)
				return usage("unknown option", spelled);
			if (o->type == OPT_FLAG) {
				if ((ret = store(o, NULL, spelled)))
					return ret;
				continue;
			}
			const char *val = c[1] ? c + 1 : (i + 1 < argc ? argv[++i] : NULL);
			if (!val)
				return usage("missing value for option", spelled);
			if ((ret = store(o, val, spelled)))
				return ret;
			break;
		}
	}
	/* Operands were moved down over the options they followed; their order is kept. */
	*operands = argv;
	return nops;
}
