/* passwd.h — the account databases (/etc/passwd, group, shadow, gshadow) in memory: parse,
 * look up, edit, write back.
 *
 * Lines that are not touched are written back byte for byte (comments, odd entries, NIS "+"
 * lines included); only edited or added entries are re-formatted. Values put into an entry
 * are checked first (pw_valid_*), so no ':' or newline can split an entry. Shadow and gshadow
 * contents are wiped when the database is freed.
 */
#ifndef KEEL_PASSWD_H
#define KEEL_PASSWD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct buf;
struct kerr;

enum pw_file { PW_PASSWD, PW_GROUP, PW_SHADOW, PW_GSHADOW, PW_NFILES };

/* Fields of each file. */
enum { PWF_NAME, PWF_PW, PWF_UID, PWF_GID, PWF_GECOS, PWF_HOME, PWF_SHELL };   /* passwd */
enum { GRF_NAME, GRF_PW, GRF_GID, GRF_MEMBERS };                               /* group */
enum { SPF_NAME, SPF_PW, SPF_LASTCHG };                                         /* shadow (9 fields) */
enum { GSF_NAME, GSF_PW, GSF_ADMINS, GSF_MEMBERS };                             /* gshadow */

struct pw_rec {
	char *line;     /* the line as read (NULL for new entries) */
	char **f;       /* fields; NULL for a line that is not an entry (kept verbatim) */
	int nf;
	bool dirty;     /* re-format on write */
	bool deleted;
};

struct pw_table {
	struct pw_rec *r;
	size_t n, cap;
	bool exists;    /* the file was read (false: written only if something is added) */
	bool changed;
};

struct pw_ranges {
	uint32_t uid_min, uid_max, sys_uid_min, sys_uid_max;
	uint32_t gid_min, gid_max, sys_gid_min, sys_gid_max;
};

struct pwdb {
	struct pw_table t[PW_NFILES];
	struct pw_ranges ranges;
};

void pwdb_init(struct pwdb *db); /* Debian's login.defs ranges: 1000-60000, system 100-999 */
void pwdb_free(struct pwdb *db); /* accepts NULL; wipes shadow data */

/* Parse a file's contents into table f (the file exists). Bounded: 1,000,000 lines. */
int pwdb_parse(struct pwdb *db, enum pw_file f, const char *data, size_t len, struct kerr *e);
/* Read UID_MIN, UID_MAX, SYS_UID_MIN, … from login.defs contents. */
void pwdb_login_defs(struct pwdb *db, const char *data, size_t len);
/* The file as it should be written. */
int pwdb_serialize(const struct pwdb *db, enum pw_file f, struct buf *out);

/* Entry of table f whose name (first field) is name, or NULL. */
struct pw_rec *pw_find(struct pwdb *db, enum pw_file f, const char *name);
/* passwd entry with this uid / group entry with this gid (by the numeric field), or NULL. */
struct pw_rec *pw_find_id(struct pwdb *db, enum pw_file f, uint32_t id);
/* The numeric id of a passwd or group entry (-1 if the field is not a number). */
int64_t pw_rec_id(const struct pw_rec *r, enum pw_file f);

/* Add an entry (fields copied); -EEXIST if the name is taken. nf must match the file. */
int pw_add(struct pwdb *db, enum pw_file f, const char *const *fields, int nf);
/* Set one field of an entry (the value is copied). */
int pw_set(struct pwdb *db, enum pw_file f, struct pw_rec *r, int field, const char *value);
/* Remove an entry by name (no-op if absent); also drops the name from every member list. */
void pw_remove_user(struct pwdb *db, const char *name);
void pw_remove_group(struct pwdb *db, const char *name);
/* Make user a member of exactly the named groups (group and gshadow member lists). Groups
 * that do not exist are -ENOENT (e names it). */
int pw_set_groups(struct pwdb *db, const char *user, const char *const *groups, size_t n, struct kerr *e);

/* The next free id: normal ids count up from the highest used in [min,max] (as useradd
 * does), system ids count down from sys_max. For users, a uid is free only if no passwd entry
 * has it; for groups (f = PW_GROUP) only if no group entry has it. -ENOSPC if the range is full. */
int pw_alloc_id(struct pwdb *db, enum pw_file f, bool system, uint32_t *id);

/* A user or group name shadow-utils would accept: 1-32 of [A-Za-z0-9_.-], not starting with
 * '-' or '+', not all digits, not "." or "..", optionally ending in '$'. */
bool pw_valid_name(const char *s);
/* A field value: no ':', no control characters (newline included). */
bool pw_valid_field(const char *s);

#endif
