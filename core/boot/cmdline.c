/* cmdline.c — split the kernel command line into key/value words. */
#include "boot/cmdline.h"
#include "base/buf.h"
#include "base/err.h"
#include "base/fs.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>

static int is_space(char ch) { return ch == ' ' || ch == '\t' || ch == '\n' || ch == '\r'; }

int cmdline_parse(struct cmdline *c, const char *in, size_t len, struct kerr *e)
{
	memset(c, 0, sizeof(*c));
	if (len > CMDLINE_MAX)
		return kerr_set(e, -E2BIG, "command line: %zu bytes, limit %d", len, CMDLINE_MAX);
	const char *p = in, *end = in + len;
	char *o = c->text;
	while (p < end) {
		while (p < end && is_space(*p))
			p++;
		if (p == end)
			break;
		if (c->n == CMDLINE_WORDS)
			return kerr_set(e, -E2BIG, "command line: more than %d words (offset %zu)", CMDLINE_WORDS, (size_t)(p - in));
		char *word = o, *eq = NULL;
		int quoted = 0;
		size_t start = (size_t)(p - in);
		for (; p < end && (quoted || !is_space(*p)); p++) {
			unsigned char ch = (unsigned char)*p;
			if (ch == '"') {
				quoted = !quoted;
				continue;
			}
			if (ch == 0 || (ch < 0x20 && !is_space((char)ch)) || ch == 0x7f)
				return kerr_set(e, -EINVAL, "command line: control character at offset %zu", (size_t)(p - in));
			if (ch == '=' && !eq) {
				*o++ = 0;
				eq = o;
				continue;
			}
			*o++ = (char)ch;
		}
		if (quoted)
			return kerr_set(e, -EINVAL, "command line: unterminated quote at offset %zu", start);
		*o++ = 0;
		if (!*word)
			return kerr_set(e, -EINVAL, "command line: empty key at offset %zu", start);
		c->key[c->n] = word;
		c->val[c->n] = eq;
		c->n++;
	}
	return 0;
}

int cmdline_read(struct cmdline *c, const char *path, struct kerr *e)
{
	struct buf b = BUF_INIT(CMDLINE_MAX + 1);
	int ret = fs_read_path(AT_FDCWD, path, b.max, &b, e);
	if (ret == -EFBIG || ret == -E2BIG)
		ret = kerr_set(e, -E2BIG, "%s: longer than %d bytes", path, CMDLINE_MAX);
	if (!ret)
		ret = cmdline_parse(c, (const char *)b.p, b.len, e);
	buf_free(&b);
	return ret;
}

const char *cmdline_get(const struct cmdline *c, const char *key)
{
	const char *v = NULL;
	for (int i = 0; i < c->n; i++)
		if (!strcmp(c->key[i], key))
			v = c->val[i];
	return v;
}

int cmdline_has(const struct cmdline *c, const char *key)
{
	for (int i = 0; i < c->n; i++)
		if (!strcmp(c->key[i], key))
			return 1;
	return 0;
}
