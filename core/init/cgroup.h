/* cgroup.h — cgroup v2 for services: each service runs in system.slice/NAME beneath the cgroup2
 * mount, with memory.max / cpu.max / cpu.weight / pids.max from its unit; "is it empty" comes
 * from cgroup.events, and stopping signals every process listed (cgroup.kill for SIGKILL).
 */
#ifndef KEEL_CGROUP_H
#define KEEL_CGROUP_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

struct kerr;
struct unit;

#define CG_SLICE "system.slice"

struct cg {
	int rootfd;     /* the cgroup2 mount */
	int slicefd;    /* system.slice */
	char root[256]; /* its path */
	bool memory, cpu, pids; /* controllers enabled for services */
};

/* Mount cgroup2 at path with nsdelegate unless a cgroup2 is already mounted there. */
int cg_mount(const char *path, struct kerr *e);
/* Open the hierarchy at path, enable the memory, cpu and pids controllers that exist for
 * system.slice and its children, create system.slice. */
int cg_open(struct cg *cg, const char *path, struct kerr *e);
void cg_close(struct cg *cg);

/* system.slice/NAME (created, or reused if it exists and is empty — or has processes, when
 * keep is set: KillMode=process leaves them there): returns a directory fd. */
int cg_service(struct cg *cg, const char *name, bool keep, struct kerr *e);
/* Delegate=: hand the cgroup directory and its cgroup.procs, cgroup.threads and
 * cgroup.subtree_control to the service's user, so it can manage cgroups below. */
int cg_delegate(int fd, uid_t uid, gid_t gid);
/* Write the unit's limits (every file, "max" where unlimited). A limit whose controller is
 * missing is an error. */
int cg_limits(const struct cg *cg, int fd, const struct unit *u, struct kerr *e);
/* Signal every process in the cgroup and its descendants. Returns how many were signalled. */
int cg_kill(int fd, int sig);
/* 1 if any process is in the cgroup (or below), 0 if empty, -errno. */
int cg_populated(int fd);
/* Remove system.slice/NAME (and empty child cgroups a service made); -EBUSY if populated. */
int cg_remove(struct cg *cg, const char *name);
/* The service NAME whose cgroup (or a child of it) holds pid, from /proc/PID/cgroup; -ENOENT
 * if pid is not in system.slice. */
int cg_pid_service(pid_t pid, char *name, size_t n);

#endif
