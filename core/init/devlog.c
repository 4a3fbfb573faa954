/* devlog.c — a syslog datagram as the line a unit's log keeps (see devlog.h). */
#include "init/devlog.h"

#include <stdbool.h>

static bool digit(char c)
{
	return c >= '0' && c <= '9';
}

/* "Mmm dd hh:mm:ss " (RFC 3164's TIMESTAMP and the space after it; the day may be " 4") */
static bool stamp(const char *p, size_t n)
{
	static const char shape[] = "Aaa dd dd:dd:dd ";
	if (n < sizeof(shape) - 1)
		return false;
	for (size_t i = 0; i < sizeof(shape) - 1; i++) {
		char s = shape[i], c = p[i];
		bool ok = s == 'A' ? c >= 'A' && c <= 'Z' : s == 'a' ? c >= 'a' && c <= 'z' :
			s == 'd' ? digit(c) || (i == 4 && c == ' ') : c == s;
		if (!ok)
			return false;
	}
	return true;
}

size_t devlog_line(const char *p, size_t n, char *out, size_t cap, int *level)
{
	size_t i = 0, k = 0;
	*level = 5;
	if (n > 0 && p[0] == '<') { /* <PRI>: 1 to 3 digits */
		size_t j = 1;
		unsigned pri = 0;
		while (j < n && j < 4 && digit(p[j]))
			pri = pri * 10 + (unsigned)(p[j++] - '0');
		if (j > 1 && j < n && p[j] == '>') {
			i = j + 1;
			*level = (int)(pri & 7);
		}
	}
	if (stamp(p + i, n - i))
		i += 16;
	while (n > i && (p[n - 1] == '\n' || p[n - 1] == '\0' || p[n - 1] == ' '))
		n--;
	for (; i < n && k < cap - 1; i++) {
		unsigned char c = (unsigned char)p[i];
		out[k++] = (char)(c < 0x20 || c == 0x7f ? ' ' : c);
	}
	if (!k)
		return 0;
	out[k++] = '\n';
	return k;
}
