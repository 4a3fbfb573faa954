/* ids.c — /etc/passwd and /etc/group lookups (see ids.h). */
#include "ids.h"
#include "buf.h"
#include "err.h"
#include "fs.h"

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>

size_t ids_split(char *line, char **fields, size_t max)
{
	size_t n = 0;
	char *p = line;
	while (n < max) {
		fields[n++] = p;
		char *c = strchr(p, ':');
		if (!c)
			break;
		*c = 0;
		p = c + 1;
	}
	return n;
}

static bool numeric(const char *s, uint64_t *v) { return parse_u64(s, 0, 0xfffffffeu, v) == 0; }

static int read_file(int rootfd, const char *rel, struct buf *b, struct kerr *e)
{
	int fd = fs_open_beneath(rootfd, rel, O_RDONLY, 0);
	if (fd < 0)
		return kerr_set(e, fd, "/%s: %s", rel, strerror(-fd));
	int ret = fs_read_fd(fd, IDS_FILE_MAX, b);
	close(fd);
	if (ret)
		return kerr_set(e, ret, "/%s: %s", rel, ret == -EFBIG ? "too large" : strerror(-ret));
	if (memchr(b->p, 0, b->len))
		return kerr_set(e, -EINVAL, "/%s: contains a NUL byte", rel);
	return 0;
}

/* Call fn for each line split into fields; fn returns 1 to stop, 0 to go on, <0 for an error.
 * Returns 0 when fn stopped, 1 when no line made it stop, or a negative errno. */
static int each_line(int rootfd, const char *rel, size_t nfields,
	int (*fn)(char **f, void *ctx), void *ctx, struct kerr *e)
{
	struct buf b = BUF_INIT(IDS_FILE_MAX);
	char *f[8];
	unsigned line = 0;
	int ret = read_file(rootfd, rel, &b, e);
	if (ret)
		goto out;
	for (char *p = (char *)b.p, *end = p + b.len; p < end;) {
		char *nl = memchr(p, '\n', (size_t)(end - p));
		if (nl)
			*nl = 0;
		line++;
		if (*p && *p != '#') {
			if (ids_split(p, f, 8) != nfields) {
				ret = kerr_set(e, -EINVAL, "/%s:%u: expected %zu ':'-separated fields", rel, line, nfields);
				goto out;
			}
			if ((ret = fn(f, ctx))) {
				if (ret < 0)
					kerr_set(e, ret, "/%s:%u: invalid id or a field too long", rel, line);
				else
					ret = 0;
				goto out;
			}
		}
		p = nl ? nl + 1 : end;
	}
	ret = 1;
out:
	buf_free(&b);
	return ret;
}

struct ufind {
	const char *who;
	struct id_user *out;
	bool byid;
	uint64_t id;
};

static int user_line(char **f, void *ctx)
{
	struct ufind *c = ctx;
	uint64_t uid, gid;
	if (!numeric(f[2], &uid) || !numeric(f[3], &gid))
		return -EINVAL;
	if (c->byid ? uid != c->id : strcmp(f[0], c->who))
		return 0;
	if (str_copy(c->out->name, sizeof(c->out->name), f[0]) || str_copy(c->out->home, sizeof(c->out->home), f[5]) ||
		str_copy(c->out->shell, sizeof(c->out->shell), f[6]))
		return -EINVAL;
	c->out->uid = (uid_t)uid;
	c->out->gid = (gid_t)gid;
	c->out->listed = 1;
	return 1;
}

int ids_user(int rootfd, const char *who, struct id_user *out, struct kerr *e)
{
	struct ufind c = {.who = who, .out = out};
	memset(out, 0, sizeof(*out));
	c.byid = numeric(who, &c.id);
	int ret = each_line(rootfd, "etc/passwd", 7, user_line, &c, e);
	if (ret == 1 && c.byid) { /* an unlisted numeric uid is itself */
		out->uid = (uid_t)c.id;
		out->gid = (gid_t)c.id;
		strcpy(out->home, "/");
		strcpy(out->shell, "/bin/sh");
		str_fmt(out->name, sizeof(out->name), "%s", who);
		return 0;
	}
	if (ret == 1)
		return kerr_set(e, -ENOENT, "user %.64s: not in /etc/passwd", who);
	return ret;
}

struct gfind {
	const char *who;
	bool byid;
	uint64_t id;
	gid_t gid;
};

static int group_line(char **f, void *ctx)
{
	struct gfind *c = ctx;
	uint64_t gid;
	if (!numeric(f[2], &gid))
		return -EINVAL;
	if (c->byid ? gid != c->id : strcmp(f[0], c->who))
		return 0;
	c->gid = (gid_t)gid;
	return 1;
}

int ids_group(int rootfd, const char *who, gid_t *gid, struct kerr *e)
{
	struct gfind c = {.who = who};
	c.byid = numeric(who, &c.id);
	int ret = each_line(rootfd, "etc/group", 4, group_line, &c, e);
	if (ret == 1 && c.byid) {
		*gid = (gid_t)c.id;
		return 0;
	}
	if (ret == 1)
		return kerr_set(e, -ENOENT, "group %.64s: not in /etc/group", who);
	if (!ret)
		*gid = c.gid;
	return ret;
}

struct gmember {
	const char *user;
	gid_t *groups;
	size_t n;
	int err;
};

static int member_line(char **f, void *ctx)
{
	struct gmember *c = ctx;
	uint64_t gid;
	if (!numeric(f[2], &gid))
		return -EINVAL;
	for (char *m = f[3]; *m;) {
		char *comma = strchr(m, ',');
		size_t len = comma ? (size_t)(comma - m) : strlen(m);
		if (len == strlen(c->user) && !memcmp(m, c->user, len)) {
			bool dup = false;
			for (size_t i = 0; i < c->n; i++)
				dup |= c->groups[i] == (gid_t)gid;
			if (!dup) {
				if (c->n == IDS_GROUPS_MAX)
					return c->err = -E2BIG, 1;
				c->groups[c->n++] = (gid_t)gid;
			}
		}
		m = comma ? comma + 1 : m + len;
	}
	return 0;
}

int ids_user_groups(int rootfd, const char *user, gid_t gid, gid_t *groups, size_t *n, struct kerr *e)
{
	struct gmember c = {.user = user, .groups = groups, .n = 1};
	groups[0] = gid;
	int ret = each_line(rootfd, "etc/group", 4, member_line, &c, e);
	if (c.err)
		return kerr_set(e, c.err, "user %.64s: in more than %d groups", user, IDS_GROUPS_MAX);
	if (ret < 0)
		return ret;
	*n = c.n;
	return 0;
}
