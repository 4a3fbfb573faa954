/* scan.c — cursor scanning in place of sscanf (see scan.h). */
#include "base/scan.h"

#include <ctype.h>
#include <limits.h>
#include <string.h>

const char *scan_blanks(const char *p)
{
	while (p && isspace((unsigned char)*p))
		p++;
	return p;
}

const char *scan_uint(const char *p, unsigned base, unsigned *out)
{
	unsigned long long v = 0;
	const char *s = p;
	if (!p)
		return NULL;
	for (; *p; p++) {
		int c = (unsigned char)*p, d = c >= '0' && c <= '9' ? c - '0'
					   : base == 16 && c >= 'a' && c <= 'f' ? c - 'a' + 10
					   : base == 16 && c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
		if (d < 0)
			break;
		if ((v = v * base + (unsigned)d) > UINT_MAX)
			return NULL;
	}
	if (p == s)
		return NULL;
	*out = (unsigned)v;
	return p;
}

const char *scan_int(const char *p, int *out)
{
	unsigned v;
	int neg = p && *p == '-';
	const char *e = scan_uint(p ? p + neg : p, 10, &v);
	if (!e || v > (unsigned)INT_MAX + (unsigned)neg)
		return NULL;
	*out = neg ? (int)(0u - v) : (int)v;
	return e;
}

const char *scan_char(const char *p, char *out)
{
	if (!p || !*p)
		return NULL;
	*out = *p;
	return p + 1;
}

const char *scan_lit(const char *p, char c) { return p && c && *p == c ? p + 1 : NULL; }

const char *scan_span(const char *p, const char *accept, char *out, size_t n)
{
	size_t len = 0;
	if (!p || !n)
		return NULL;
	while (p[len] && (accept ? strchr(accept, p[len]) != NULL : !isspace((unsigned char)p[len])) && len < n - 1)
		len++;
	if (!len)
		return NULL;
	memcpy(out, p, len);
	out[len] = 0;
	return p + len;
}
