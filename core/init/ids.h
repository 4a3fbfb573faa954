/* ids.h — the users and groups a service runs as, looked up in /etc/passwd and /etc/group
 * beneath a root (no NSS: the same answer on the host and in tests), through core/passwd's
 * parser. A name or a decimal id is looked up; a numeric id that is not listed resolves to
 * itself (home "/"). Files are bounded (IDS_FILE_MAX); an entry whose ids are not numbers is an
 * error naming the file and the entry.
 */
#ifndef KEEL_IDS_H
#define KEEL_IDS_H

#include <stddef.h>
#include <sys/types.h>

struct kerr;

#define IDS_FILE_MAX (4 << 20)
#define IDS_GROUPS_MAX 64

struct id_user {
	uid_t uid;
	gid_t gid;
	char name[256];
	char home[256];
	char shell[256];
	int listed; /* 0 for a numeric id not found in the file */
};

/* rootfd: the directory holding etc/passwd. -ENOENT (e says so) when a name is not listed. */
int ids_user(int rootfd, const char *who, struct id_user *out, struct kerr *e);
int ids_group(int rootfd, const char *who, gid_t *gid, struct kerr *e);
/* Supplementary groups of user (as initgroups(3)): gid first, then every group listing the
 * user as a member; at most IDS_GROUPS_MAX. */
int ids_user_groups(int rootfd, const char *user, gid_t gid, gid_t *groups, size_t *n, struct kerr *e);

#endif
