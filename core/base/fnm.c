/* fnm.c — wildcard matching (see fnm.h): '*', '?', '\\' escapes, bracket expressions with
 * ranges, '!'/'^' negation and [:class:]; a '[' that does not open a complete bracket
 * expression is an ordinary character. Matching is iterative: the last '*' is retried one name
 * byte further on a mismatch, so time is O(pattern x name), never exponential. */
#include "base/fnm.h"

#include <ctype.h>
#include <string.h>

static int fold(int c, int flags) { return (flags & FNM_CASEFOLD) ? tolower(c) : c; }

static int in_class(const char *name, size_t len, int c)
{
	static const struct {
		const char *n;
		int (*f)(int);
	} cl[] = {{"alnum", isalnum}, {"alpha", isalpha}, {"blank", isblank}, {"cntrl", iscntrl}, {"digit", isdigit},
		{"graph", isgraph}, {"lower", islower}, {"print", isprint}, {"punct", ispunct}, {"space", isspace},
		{"upper", isupper}, {"xdigit", isxdigit}};
	for (size_t i = 0; i < sizeof(cl) / sizeof(cl[0]); i++)
		if (strlen(cl[i].n) == len && !memcmp(cl[i].n, name, len))
			return cl[i].f(c) != 0;
	return 0;
}

/* c against one range or character: lo <= c <= hi, or either end itself (so a reversed range
 * such as z-a matches its two ends); with FNM_CASEFOLD c's other case as well. */
static int in_range(int lo, int hi, int c, int flags)
{
	int v[3] = {c, tolower(c), toupper(c)};
	for (int i = 0; i < ((flags & FNM_CASEFOLD) ? 3 : 1); i++)
		if (v[i] == lo || v[i] == hi || (v[i] >= lo && v[i] <= hi))
			return 1;
	return 0;
}

/* The bracket expression at p (just after '['): its end (after ']') and whether c is in it;
 * NULL if it is not complete (then '[' is an ordinary character). Inside, '\\' is an ordinary
 * character; [:class:] tests an ASCII class (an unknown name matches nothing), [.x.] and [=x=]
 * match nothing (no collating elements in the C locale's fnmatch either). */
static const char *bracket(const char *p, int c, int flags, int *hit)
{
	int neg = *p == '!' || *p == '^', any = 0;
	const unsigned char *q = (const unsigned char *)p + neg, *first = q;
	for (;; q++) {
		if (!*q)
			return NULL;
		if (*q == ']' && q > first)
			break;
		if (*q == '[' && (q[1] == ':' || q[1] == '.' || q[1] == '=')) {
			const unsigned char *e = q + 1;
			while (*e && !(e[0] == q[1] && e[1] == ']' && e > q + 1))
				e++;
			if (!*e)
				return NULL;
			if (q[1] == ':') {
				size_t n = (size_t)(e - q - 2);
				int v[3] = {c, tolower(c), toupper(c)};
				for (int i = 0; i < ((flags & FNM_CASEFOLD) ? 3 : 1); i++)
					any |= in_class((const char *)q + 2, n, v[i]);
			}
			q = e + 1;
			/* followed by a range, it stands for '[' (as the C library's fnmatch does) */
			if (q[1] == '-' && q[2] && q[2] != ']') {
				any |= in_range('[', q[2], c, flags);
				q += 2;
			}
			continue;
		}
		if (q[1] == '-' && q[2] && q[2] != ']') {
			any |= in_range(q[0], q[2], c, flags);
			q += 2;
			continue;
		}
		any |= in_range(q[0], q[0], c, flags);
	}
	*hit = any != neg;
	return (const char *)q + 1;
}

int fnm_match(const char *pattern, const char *name, int flags)
{
	const char *p = pattern, *n = name, *star_p = NULL, *star_n = NULL;
	while (*n) {
		int c = (unsigned char)*n, hit = 0;
		const char *next;
		if (*p == '*') {
			if (c == '.' && n == name && (flags & FNM_PERIOD))
				return FNM_NOMATCH;
			star_p = ++p;
			star_n = n;
			continue;
		}
		if (*p == '?' && !(c == '.' && n == name && (flags & FNM_PERIOD))) {
			p++, n++;
			continue;
		}
		if (*p == '[' && (next = bracket(p + 1, c, flags, &hit))) {
			if (hit && !(c == '.' && n == name && (flags & FNM_PERIOD))) {
				p = next, n++;
				continue;
			}
		} else if (*p && *p != '?') {
			const char *lp = p;
			if (*lp == '\\' && lp[1])
				lp++;
			/* a leading '.' under FNM_PERIOD: only an unescaped '.' (as the C library's) */
			if (fold((unsigned char)*lp, flags) == fold(c, flags) && !(lp != p && c == '.' && n == name && (flags & FNM_PERIOD))) {
				p = lp + 1, n++;
				continue;
			}
		}
		if (!star_p)
			return FNM_NOMATCH;
		p = star_p;
		n = ++star_n;
	}
	while (*p == '*')
		p++;
	return *p ? FNM_NOMATCH : 0;
}
