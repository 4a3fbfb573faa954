/* ign_check.c — the value rules of the Ignition spec: paths, modes, hashes, unit names and
 * unit-file syntax. */
#include "provision/ign.h"
#include "base/buf.h"
#include "base/err.h"

#include <errno.h>

#include <limits.h>
#include <string.h>

const char *ign_path_problem(const char *path)
{
	size_t n = strlen(path);
	if (!n)
		return "path not specified";
	if (path[0] != '/')
		return "path not absolute";
	if (n == 1)
		return "the root directory itself cannot be a file, directory or link";
	if (n >= PATH_MAX)
		return "path too long";
	for (const char *p = path; *p;) {
		const char *c = p + 1, *end = strchrnul(c, '/');
		size_t l = (size_t)(end - c);
		if (!l || (l == 1 && c[0] == '.') || (l == 2 && c[0] == '.' && c[1] == '.'))
			return "path is not fully simplified (no \"//\", \".\", \"..\" or trailing \"/\")";
		if (l > NAME_MAX)
			return "a path component is longer than 255 bytes";
		for (const char *q = c; q < end; q++)
			if ((unsigned char)*q < 0x20 || *q == 0x7f)
				return "control character in the path";
		p = end;
	}
	return NULL;
}

const char *ign_mode_problem(int64_t mode, int minor)
{
	if (mode < 0 || mode > 07777)
		return "illegal file mode (must be 0 to 4095, i.e. 0 to 07777 octal, given in decimal)";
	if ((mode & 07000) && minor < 4)
		return "setuid/setgid/sticky bits are not supported in spec versions older than 3.4.0";
	return NULL;
}

const char *ign_hash_parse(const char *s, int minor, enum hash_alg *alg, uint8_t *digest)
{
	const char *dash = strchr(s, '-');
	if (!dash)
		return "malformed hash specifier (want sha512-<hex> or sha256-<hex>)";
	size_t al = (size_t)(dash - s);
	if (al == 6 && !strncmp(s, "sha512", 6))
		*alg = HASH_SHA512;
	else if (al == 6 && !strncmp(s, "sha256", 6) && minor >= 1)
		*alg = HASH_SHA256;
	else
		return minor < 1 ? "unrecognized hash function (spec 3.0.0 knows only sha512)" :
			"unrecognized hash function (sha512 or sha256)";
	size_t hl = strlen(dash + 1);
	if (hl != 2 * hash_size(*alg))
		return "incorrect size for hash sum";
	if (hex_decode(digest, hash_size(*alg), dash + 1, hl))
		return "hash sum is not hexadecimal";
	return NULL;
}

const char *ign_unit_name_problem(const char *name)
{
	static const char *const types[] = {".service", ".socket", ".device", ".mount", ".automount", ".swap",
		".target", ".path", ".timer", ".snapshot", ".slice", ".scope", NULL};
	size_t n = strlen(name);
	const char *dot = strrchr(name, '.');
	if (!dot)
		return "no systemd unit extension";
	bool known = false;
	for (int i = 0; types[i] && !known; i++)
		known = !strcmp(dot, types[i]);
	if (!known)
		return "invalid systemd unit extension";
	if (dot == name)
		return "unit name without a name before the extension";
	if (n > NAME_MAX || strchr(name, '/') || name[0] == '.')
		return "unit name must be a plain file name";
	for (const char *p = name; *p; p++)
		if ((unsigned char)*p <= 0x20 || *p == 0x7f || *p == '\\')
			return "unit name contains white space, a control character or a backslash";
	return NULL;
}

#define UNIT_LINE_MAX 2048

const char *ign_unit_syntax_problem(const char *s, size_t *line)
{
	bool cont = false;
	*line = 0;
	while (*s) {
		const char *nl = strchrnul(s, '\n');
		size_t l = (size_t)(nl - s);
		(*line)++;
		if (l > UNIT_LINE_MAX)
			return "line too long (max 2048 bytes)";
		const char *p = s, *end = nl;
		if (end > p && end[-1] == '\r')
			end--;
		bool was_cont = cont;
		cont = end > p && end[-1] == '\\';
		if (was_cont)
			goto next; /* continuation of a value */
		while (p < end && (*p == ' ' || *p == '\t'))
			p++;
		if (p == end || *p == '#' || *p == ';') {
			cont = false; /* comments do not continue */
			goto next;
		}
		if (*p == '[') {
			const char *close = memchr(p, ']', (size_t)(end - p));
			if (!close)
				return "unable to find end of section";
			for (const char *q = close + 1; q < end; q++)
				if (*q != ' ' && *q != '\t')
					return "text after a section header";
			cont = false;
			goto next;
		}
		if (!memchr(p, '=', (size_t)(end - p)))
			return "line is neither a section header nor Key=value";
		if (*p == '=')
			return "assignment without a key";
	next:
		s = *nl ? nl + 1 : nl;
	}
	return NULL;
}

/* Is link a proper prefix directory of path ("/a" of "/a/b")? */
static bool under(const char *path, const char *link)
{
	size_t n = strlen(link);
	return !strncmp(path, link, n) && path[n] == '/';
}

static int where_err(const struct ign_cfg *c, struct kerr *e, const char *where, const char *msg, const char *other)
{
	(void)c;
	return kerr_set(e, -EINVAL, "%s: %s%s%s", where, msg, other ? " " : "", other ? other : "");
}

int ign_check(const struct ign_cfg *c, struct kerr *e)
{
	for (size_t l = 0; l < c->nlinks; l++) {
		const struct ign_link *k = &c->links[l];
		for (size_t i = 0; i < c->nfiles; i++)
			if (under(c->files[i].path, k->path))
				return where_err(c, e, c->files[i].where, "file path includes link in config:", k->where);
		for (size_t i = 0; i < c->ndirs; i++)
			if (under(c->dirs[i].path, k->path))
				return where_err(c, e, c->dirs[i].where, "directory path includes link in config:", k->where);
		for (size_t i = 0; i < c->nlinks; i++)
			if (under(c->links[i].path, k->path))
				return where_err(c, e, c->links[i].where, "link path includes link in config:", k->where);
		if (k->hard == IGN_YES)
			for (size_t i = 0; i < c->ndirs; i++)
				if (!strcmp(c->dirs[i].path, k->target))
					return where_err(c, e, k->where, "hard link target is a directory:", c->dirs[i].where);
	}
	return 0;
}
