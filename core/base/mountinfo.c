/* mountinfo.c — /proc/PID/mountinfo lines (mountinfo.h). */
#include "base/mountinfo.h"

#include <string.h>

#define FIELDS_MAX 24 /* six, the optional fields (shared:, master:, propagate_from:, unbindable), '-', three */

void mountinfo_init(struct mountinfo_iter *it, char *text, size_t len)
{
	it->p = text;
	it->end = text ? text + len : text;
}

/* The escapes of s decoded in place (mountinfo.h). */
static void unescape(char *s)
{
	char *w = s;
	for (char *p = s; *p; p++) {
		/* only what the kernel escapes (seq_escape with " \t\n\\"): never a NUL, never a short field */
		int c = p[0] == '\\' && p[1] >= '0' && p[1] <= '3' && p[2] >= '0' && p[2] <= '7' && p[3] >= '0' && p[3] <= '7'
			? (p[1] - '0') << 6 | (p[2] - '0') << 3 | (p[3] - '0') : 0;
		if (c == ' ' || c == '\t' || c == '\n' || c == '\\') {
			*w++ = (char)c;
			p += 3;
		} else {
			*w++ = *p;
		}
	}
	*w = 0;
}

int mountinfo_next(struct mountinfo_iter *it, struct mountinfo *m)
{
	while (it->p < it->end) {
		char *line = it->p, *nl = memchr(line, '\n', (size_t)(it->end - line)), *le = nl ? nl : it->end;
		char *f[FIELDS_MAX];
		int n = 0, dash = 6;
		it->p = nl ? nl + 1 : it->end;
		*le = 0;
		for (char *s = line; n < FIELDS_MAX;) {
			s += strspn(s, " ");
			if (!*s)
				break;
			f[n++] = s;
			if (!(s = strchr(s, ' ')))
				break;
			*s++ = 0;
		}
		while (dash < n && strcmp(f[dash], "-"))
			dash++;
		if (dash + 2 >= n)
			continue; /* not a mountinfo line */
		*m = (struct mountinfo){.root = f[3], .mp = f[4], .opts = f[5], .fstype = f[dash + 1], .source = f[dash + 2],
			.super = dash + 3 < n ? f[dash + 3] : ""};
		unescape(m->root);
		unescape(m->mp);
		unescape(m->source);
		return 1;
	}
	return 0;
}
