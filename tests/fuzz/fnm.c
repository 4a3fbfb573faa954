/* fnm.c — fuzz core/base/fnm.c, the wildcard matcher behind Condition…= globs, ConditionHost= and
 * modules.alias. The input is PATTERN NUL NAME [NUL FLAGS]. Invariants: the answer is 0 or
 * FNM_NOMATCH; a pattern without special characters matches exactly itself; for patterns of
 * letters, digits, '.', '-', '/', '*' and '?' (where every C library agrees) the answer is the C
 * library's fnmatch in the C locale. The matcher is iterative: libFuzzer's timeout catches any
 * exponential backtracking. */
#include "base/fnm.h"

#include <fnmatch.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void check(int cond, const char *what)
{
	if (!cond) {
		fprintf(stderr, "fnm fuzz: %s\n", what);
		abort();
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 2);
	check(s != NULL, "alloc");
	memcpy(s, data, size);
	s[size] = s[size + 1] = 0;
	const char *pat = s, *name = s + strlen(s) + 1;
	size_t used = strlen(pat) + 1 + (name <= s + size ? strlen(name) + 1 : 0);
	int flags = used < size ? data[size - 1] : 0;
	flags = (flags & 1 ? FNM_PERIOD : 0) | (flags & 2 ? FNM_CASEFOLD : 0);
	if (name > s + size)
		name = "";
	int r = fnm_match(pat, name, flags);
	check(r == 0 || r == FNM_NOMATCH, "an answer other than 0 or FNM_NOMATCH");
	if (!strpbrk(pat, "*?[\\") && !(flags & FNM_CASEFOLD))
		check((r == 0) == !strcmp(pat, name), "a literal pattern does not match exactly itself");
	if (!(flags & FNM_PERIOD) && strspn(pat, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-/*?") ==
			strlen(pat))
		check(r == fnmatch(pat, name, flags), "differs from the C library's fnmatch");
	free(s);
	return 0;
}
