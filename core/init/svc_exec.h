/* svc_exec.h — what a unit's processes get: credentials, environment, working directory,
 * limits, cgroup and log pipe (svc_prepare/svc_release, once per run), started through
 * svc_spawn.c (svc_run_cmd, svc_read_spawn), and how the unit's processes are found and
 * signalled (svc_gone, svc_leftovers, svc_kill). svc_fail records why a run failed.
 */
#ifndef KEEL_SVC_EXEC_H
#define KEEL_SVC_EXEC_H

#include "init/svc_state.h"

#include <stdbool.h>

struct jobs;
struct kerr;

void svc_fail(struct svc *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
int svc_prepare(struct jobs *m, struct svc *s, struct kerr *e);
void svc_release(struct jobs *m, struct svc *s);
int svc_run_cmd(struct jobs *m, struct svc *s, const struct unit_cmd *c, bool main);
int svc_read_spawn(struct jobs *m, struct svc *s);
bool svc_gone(const struct jobs *m, struct svc *s);
/* Processes of the unit still there (KillMode=process leaves them), main and control aside. */
bool svc_leftovers(const struct jobs *m, const struct svc *s);
void svc_kill(const struct jobs *m, struct svc *s, int sig);

#endif
