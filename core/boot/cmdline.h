/* cmdline.h — the kernel command line (/proc/cmdline), split as the kernel splits it.
 *
 * Words are separated by white space; double quotes group (`keel.x="a b"` and `"keel.x=a b"`
 * both give key keel.x, value `a b`); the quotes themselves are dropped, there are no escapes
 * (lib/cmdline.c next_arg). A word without '=' is a flag (value NULL). The line is at most
 * CMDLINE_MAX bytes and CMDLINE_WORDS words; more is -E2BIG. A NUL byte, an unterminated
 * quote or a control character other than white space is -EINVAL.
 */
#ifndef KEEL_CMDLINE_H
#define KEEL_CMDLINE_H

#include <stddef.h>

struct kerr;

#define CMDLINE_MAX 4096
#define CMDLINE_WORDS 256

struct cmdline {
	char text[CMDLINE_MAX + 1]; /* the words, each NUL-terminated, keys and values split */
	int n;
	const char *key[CMDLINE_WORDS];
	const char *val[CMDLINE_WORDS]; /* NULL for a flag */
};

int cmdline_parse(struct cmdline *c, const char *in, size_t len, struct kerr *e);
/* Read and parse a file (normally /proc/cmdline). */
int cmdline_read(struct cmdline *c, const char *path, struct kerr *e);
/* The value of the last occurrence of key; NULL if absent or a flag. */
const char *cmdline_get(const struct cmdline *c, const char *key);
/* 1 if key occurs at all (with or without a value). */
int cmdline_has(const struct cmdline *c, const char *key);

#endif
