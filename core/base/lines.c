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
