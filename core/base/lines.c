/* lines.c — the line cursor of lines.h. */
#include "base/lines.h"

#include <string.h>

void lines_init(struct lines *c, const void *data, size_t len)
{
	c->p = data;
	c->end = data ? c->p + len : c->p;
	c->no = 0;
	c->nl = false;
}

bool lines_next(struct lines *c, const char **line, size_t *len)
{
	if (!c->p || c->p >= c->end)
		return false;
	const char *nl = memchr(c->p, '\n', (size_t)(c->end - c->p));
	*line = c->p;
	*len = (size_t)((nl ? nl : c->end) - c->p);
	c->p = nl ? nl + 1 : c->end;
	c->nl = nl != NULL;
	c->no++;
	return true;
}

void lines_value(const void *data, size_t len, const char *key, char *out, size_t n)
{
	struct lines c;
	const char *p;
	size_t l, kl = strlen(key);
	*out = 0;
	lines_init(&c, data, len);
	while (lines_next(&c, &p, &l))
		if (l > kl && !memcmp(p, key, kl) && p[kl] == '=' && l - kl - 1 < n) {
			memcpy(out, p + kl + 1, l - kl - 1);
			out[l - kl - 1] = 0;
		}
}
