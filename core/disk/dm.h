/* dm.h — device-mapper through its ioctls on /dev/mapper/control (no libdevmapper).
 *
 * A device is set up in three steps, as dmsetup does: dm_create (DM_DEV_CREATE), dm_load
 * (DM_TABLE_LOAD of one target), dm_resume (DM_DEV_SUSPEND without the suspend flag, which
 * makes the loaded table live). dm_remove undoes it. Names are at most DM_NAME_MAX - 1 bytes,
 * target parameters at most DM_PARAMS_MAX.
 */
#ifndef KEEL_DM_H
#define KEEL_DM_H

#include <stdint.h>
#include <sys/types.h>

struct kerr;

#define DM_NAME_MAX 128
#define DM_PARAMS_MAX 4096
#define DM_CONTROL "/dev/mapper/control"

/* Create an empty device; *dev gets its device number (makedev(major, minor)). readonly makes
 * the device refuse writes. uuid may be NULL. */
int dm_create(const char *name, const char *uuid, int readonly, dev_t *dev, struct kerr *e);
/* Load one target covering sectors [0, sectors) (512-byte sectors): type e.g. "verity". */
int dm_load(const char *name, uint64_t sectors, const char *type, const char *params, int readonly,
	struct kerr *e);
int dm_resume(const char *name, struct kerr *e);
int dm_remove(const char *name, struct kerr *e);
/* Remove every device-mapper device (repeating while some go away); returns how many are
 * left (0 when all went) or -errno. */
int dm_remove_all(struct kerr *e);
/* The table status of a device (DM_TABLE_STATUS), e.g. "V" / "C" for verity (valid/corrupt). */
int dm_status(const char *name, char *out, size_t n, struct kerr *e);
/* Its live table: "TYPE PARAMS" ("verity 1 /dev/… sha256 ROOTHASH SALT …"). */
int dm_table(const char *name, char *out, size_t n, struct kerr *e);

#endif
