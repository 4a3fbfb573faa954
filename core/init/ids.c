/* ids.c — users and groups for services, through core/passwd's parser (see ids.h). */
#include "init/ids.h"
#include "base/buf.h"
#include "base/err.h"
#include "base/fs.h"
#include "base/passwd.h"

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>

static const char *const rel[] = {[PW_PASSWD] = "etc/passwd", [PW_GROUP] = "etc/group"};

static int load(int rootfd, enum pw_file f, struct pwdb *db, struct kerr *e)
{
	struct buf b = BUF_INIT(IDS_FILE_MAX);
	int ret, fd = fs_open_beneath(rootfd, rel[f], O_RDONLY, 0);
	if (fd < 0)
		return kerr_set(e, fd, "/%s: %s", rel[f], strerror(-fd));
	ret = fs_read_fd(fd, IDS_FILE_MAX, &b);
	close(fd);
	if (ret)
		kerr_set(e, ret, "/%s: %s", rel[f], ret == -EFBIG ? "too large" : strerror(-ret));
	else
		ret = pwdb_parse(db, f, b.p ? (const char *)b.p : "", b.len, e);
	buf_free(&b);
	return ret;
}

static bool numeric(const char *s, uint64_t *v) { return parse_u64(s, 0, 0xfffffffeu, v) == 0; }

/* The entry for who (a name, or a number matched against the id field), or NULL. */
static struct pw_rec *find(struct pwdb *db, enum pw_file f, const char *who, bool *byid, uint64_t *id)
{
	*byid = numeric(who, id);
	return *byid ? pw_find_id(db, f, (uint32_t)*id) : pw_find(db, f, who);
}

int ids_user(int rootfd, const char *who, struct id_user *out, struct kerr *e)
{
	struct pwdb db;
	uint64_t id, gid;
	bool byid;
	int ret;
	memset(out, 0, sizeof(*out));
	pwdb_init(&db);
	if ((ret = load(rootfd, PW_PASSWD, &db, e)))
		goto out;
	struct pw_rec *r = find(&db, PW_PASSWD, who, &byid, &id);
	if (!r && byid) { /* an unlisted numeric uid is itself */
		out->uid = (uid_t)id;
		out->gid = (gid_t)id;
		strcpy(out->home, "/");
		strcpy(out->shell, "/bin/sh");
		ret = str_copy(out->name, sizeof(out->name), who);
		goto out;
	}
	if (!r) {
		ret = kerr_set(e, -ENOENT, "user %.64s: not in /etc/passwd", who);
		goto out;
	}
	int64_t uid = pw_rec_id(r, PW_PASSWD);
	if (uid < 0 || !numeric(r->f[PWF_GID], &gid) || str_copy(out->name, sizeof(out->name), r->f[PWF_NAME]) ||
		str_copy(out->home, sizeof(out->home), r->f[PWF_HOME]) || str_copy(out->shell, sizeof(out->shell), r->f[PWF_SHELL])) {
		ret = kerr_set(e, -EINVAL, "/etc/passwd: entry %.64s: invalid uid or gid, or a field too long", r->f[PWF_NAME]);
		goto out;
	}
	out->uid = (uid_t)uid;
	out->gid = (gid_t)gid;
	out->listed = 1;
out:
	pwdb_free(&db);
	return ret;
}

int ids_group(int rootfd, const char *who, gid_t *gid, struct kerr *e)
{
	struct pwdb db;
	uint64_t id;
	bool byid;
	int ret;
	pwdb_init(&db);
	if ((ret = load(rootfd, PW_GROUP, &db, e)))
		goto out;
	struct pw_rec *r = find(&db, PW_GROUP, who, &byid, &id);
	int64_t g = r ? pw_rec_id(r, PW_GROUP) : byid ? (int64_t)id : -2;
	if (g == -2)
		ret = kerr_set(e, -ENOENT, "group %.64s: not in /etc/group", who);
	else if (g < 0 || g > 0xfffffffe)
		ret = kerr_set(e, -EINVAL, "/etc/group: entry %.64s: invalid gid", r->f[GRF_NAME]);
	else
		*gid = (gid_t)g;
out:
	pwdb_free(&db);
	return ret;
}

int ids_user_groups(int rootfd, const char *user, gid_t gid, gid_t *groups, size_t *n, struct kerr *e)
{
	struct pwdb db;
	size_t k = 1, ul = strlen(user);
	int ret;
	groups[0] = gid;
	pwdb_init(&db);
	if ((ret = load(rootfd, PW_GROUP, &db, e)))
		goto out;
	const struct pw_table *t = &db.t[PW_GROUP];
	for (size_t i = 0; i < t->n && !ret; i++) {
		const struct pw_rec *r = &t->r[i];
		int64_t g = r->f ? pw_rec_id(r, PW_GROUP) : -1;
		if (g < 0 || g > 0xfffffffe)
			continue;
		for (const char *m = r->f[GRF_MEMBERS]; *m;) {
			size_t len = strcspn(m, ",");
			if (len == ul && !memcmp(m, user, ul)) {
				bool dup = false;
				for (size_t j = 0; j < k; j++)
					dup |= groups[j] == (gid_t)g;
				if (!dup && k == IDS_GROUPS_MAX)
					ret = kerr_set(e, -E2BIG, "user %.64s: in more than %d groups", user, IDS_GROUPS_MAX);
				else if (!dup)
					groups[k++] = (gid_t)g;
			}
			m += len + (m[len] == ',');
		}
	}
	if (!ret)
		*n = k;
out:
	pwdb_free(&db);
	return ret;
}
