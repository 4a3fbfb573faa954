/* args.h — declarative option parsing for applets.
 *
 * An applet describes its options in a table and gets back its operands in order:
 *
 *   static const char *salt; static int json; static uint64_t bs = 4096;
 *   static const struct opt opts[] = {
 *       {"salt", 0, OPT_STR, &salt},
 *       {"json", 'j', OPT_FLAG, &json},
 *       {"data-block-size", 0, OPT_U64, &bs, 512, 65536},
 *       {0}};
 *   int n = args_parse(opts, argc - 1, argv + 1, &ops);
 *
 * Options may stand before or after operands ("--" ends them); "--name=value", "--name value",
 * "-x value" and "-xy" (flags) are accepted. --help prints the applet's help (from its header)
 * and makes args_parse return ARGS_HELP. A usage error is printed as one line and returns
 * ARGS_USAGE; the applet then exits with EXIT_USAGE.
 */
#ifndef KEEL_ARGS_H
#define KEEL_ARGS_H

#include <stdint.h>

enum opt_type {
	OPT_FLAG, /* int *: incremented each time it is given */
	OPT_STR,  /* const char **: the value (the last one given wins) */
	OPT_U64,  /* uint64_t *: decimal, within [min, max] */
	OPT_LIST, /* struct strlist *: every value, in order */
};

#define STRLIST_MAX 64
struct strlist {
	int n;
	const char *v[STRLIST_MAX];
};

struct opt {
	const char *name; /* long name, without the dashes */
	char shortname;   /* 0: none */
	enum opt_type type;
	void *dst;
	uint64_t min, max; /* OPT_U64 only; max 0 means no upper bound */
};

enum { ARGS_HELP = -1000, ARGS_USAGE = -1001 };

/* Parse argv[0..argc) (the words after the applet or subcommand name). On success returns the
 * number of operands and points *operands at them (in argv's storage, original order). */
int args_parse(const struct opt *opts, int argc, char **argv, char ***operands);

/* Exit code for a negative args_parse result: 0 for ARGS_HELP, EXIT_USAGE otherwise. */
int args_exit(int ret);

/* Print the running applet's help to stdout. */
void args_help(void);

#endif
