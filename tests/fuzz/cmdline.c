/* cmdline.c — fuzz core/cmdline: any bytes as /proc/cmdline.
 *
 * A line that parses, printed back (one space between words, a word with white space in double
 * quotes), parses to the same words; cmdline_get() gives the last occurrence of each key.
 */
#include "boot/cmdline.h"

#include "base/applet.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* core/base/log.c and core/base/args.c name the running applet; weak so a shared definition may win */
__attribute__((weak)) const struct applet *keel_applet;

static void check(int cond, const char *what)
{
	if (!cond) {
		fprintf(stderr, "cmdline fuzz: %s\n", what);
		abort();
	}
}

static int same(const char *a, const char *b)
{
	return a == b || (a && b && !strcmp(a, b));
}

/* The words of c as a command line; never longer than the line they were parsed from. */
static size_t print(const struct cmdline *c, char *out, size_t cap)
{
	size_t n = 0;
	for (int i = 0; i < c->n; i++) {
		char word[CMDLINE_MAX + 1];
		int l = snprintf(word, sizeof(word), "%s%s%s", c->key[i], c->val[i] ? "=" : "", c->val[i] ? c->val[i] : "");
		int quote = strpbrk(word, " \t\n\r") != NULL;
		check(l >= 0 && (size_t)l < sizeof(word) && n + (size_t)l + 3 < cap, "printed line too long");
		n += (size_t)snprintf(out + n, cap - n, "%s%s%s%s", i ? " " : "", quote ? "\"" : "", word, quote ? "\"" : "");
	}
	return n;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct cmdline c, again;
	static char line[2 * CMDLINE_MAX];
	if (cmdline_parse(&c, (const char *)data, size, NULL))
		return 0;
	for (int i = 0; i < c.n; i++) {
		const char *last = NULL;
		for (int j = 0; j < c.n; j++)
			if (!strcmp(c.key[j], c.key[i]))
				last = c.val[j];
		check(same(cmdline_get(&c, c.key[i]), last), "cmdline_get is not the last occurrence");
		check(cmdline_has(&c, c.key[i]), "cmdline_has misses a key");
		check(!c.val[i] || strlen(c.val[i]) <= size, "value longer than the line");
	}
	size_t n = print(&c, line, sizeof(line));
	check(n <= size, "printed line longer than the input");
	check(!cmdline_parse(&again, line, n, NULL), "printed line does not parse");
	check(again.n == c.n, "printed line has another number of words");
	for (int i = 0; i < c.n && i < again.n; i++)
		check(!strcmp(again.key[i], c.key[i]) && same(again.val[i], c.val[i]), "printed line parses differently");
	return 0;
}
