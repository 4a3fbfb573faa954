/* health.h — the health checks a release declares, run by keel init after a trial boot.
 *
 * The slot image declares them in /usr/lib/keel/health.json (health_parse, strict):
 *   {"version": 1, "units": ["a.service", …], "command": ["/usr/bin/check", "arg", …],
 *    "deadline": 300, "settle": 10}
 * version must be 1; units (0..64 unit names, no templates, no duplicates) must all be active;
 * command (optional; 1..64 arguments of at most 4096 bytes, the first an absolute path) must exit
 * 0; deadline (1..86400 s, default 300) counts from the start of keel init; settle (0..3600 s,
 * default 0, below deadline) is how long the units must stay active before the command runs.
 * Unknown fields, a wrong type, a duplicate key and anything out of range are refused.
 *
 * The runner (struct health) is a state machine the supervisor's loop (svc_loop.c) drives; it
 * never blocks. On a trial boot: wait for the goal (multi-user.target) to be reached, then for
 * every unit listed to be active (a unit that is not found, fails to load or has failed with no
 * job pending fails the check at once), then for settle seconds during which they stay active
 * (one leaving starts the wait over), then run the command as a child in its own session whose
 * stdout and stderr go to /run/keel/health.log. The deadline ends any phase: the command's
 * session is killed. Then the verdict runs `keel update mark-good --reason R` (pass) or
 * `keel update mark-bad --reason R` (fail) as a child (killed after 120 s); after a pass whose
 * mark-good exited 0, `keel update steady-state --wait` (FleetLock: release the reboot slot);
 * after a fail, `keel diag health --keep --reason R` (evidence on STATE for `keel diag last`: the reason,
 * health.log, the units' states, the kernel log; killed after 30 s), then health_step() asks for
 * a reboot (the supervisor's clean shutdown path), so the
 * boot counter of the entry runs down and the previous release boots. Not a trial boot: only
 * `keel update steady-state --wait` once the goal is reached (as Zincati does at start). No boot
 * record from stage 1 (/run/keel/boot): nothing at all.
 * The verdict is written to /run/keel/health (result=, reason=, marked=, trial=) for
 * `keel update status`.
 */
#ifndef KEEL_INIT_HEALTH_H
#define KEEL_INIT_HEALTH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct kerr;
struct jobs;
struct svc;

#define HEALTH_FILE "/usr/lib/keel/health.json"
#define HEALTH_FILE_MAX 65536
#define HEALTH_UNITS_MAX 64
#define HEALTH_ARGS_MAX 64
#define HEALTH_ARG_MAX 4096
#define HEALTH_DEADLINE_DEFAULT 300
#define HEALTH_REASON_MAX 300

struct health_spec {
	char **units;            /* nunits names */
	size_t nunits;
	char **argv;             /* NULL or argc arguments + NULL */
	size_t argc;
	uint64_t deadline_s, settle_s;
};

/* Parse a health file; -EINVAL (e names the field: "/units/2: …"), -E2BIG, -ENOMEM. On error
 * s is left empty. */
int health_parse(const char *data, size_t len, struct health_spec *s, struct kerr *e);
void health_spec_free(struct health_spec *s);

enum health_phase { HP_IDLE, HP_WAIT, HP_SETTLE, HP_CHECK, HP_MARK, HP_EVIDENCE, HP_STEADY, HP_DONE };

struct health {
	/* set by the caller before svc_loop_run() */
	bool booted;                  /* stage 1 recorded this boot (/run/keel/boot): else nothing runs */
	bool trial;                   /* this boot is a trial (an entry with a counter) */
	char trial_why[128];          /* which entry, for the record */
	struct health_spec spec;
	char spec_error[HEALTH_REASON_MAX]; /* the health file was unusable: the check fails with this */
	char keel[256];               /* the binary run as `keel update …` ("/proc/self/exe") */
	char run_dir[256];            /* where health and health.log go ("/run/keel") */
	/* state */
	enum health_phase phase;
	uint64_t deadline, settle_end, mark_deadline; /* monotonic µs */
	struct svc **svcs;
	pid_t pid;                    /* the child of the current phase (0 none) */
	int errfd;                    /* its spawn status pipe */
	bool pass;
	bool reboot;                  /* a reboot was asked for */
	char reason[HEALTH_REASON_MAX];
};

/* Zero h, errfd -1. */
void health_init(struct health *h);
void health_free(struct health *h);
/* Called once the supervisor runs (now: monotonic µs). */
void health_begin(struct health *h, uint64_t now);
/* Drive h after a batch of events: goal and goal_id are the boot's goal job (goal NULL: it could
 * not be queued). Returns true once when a reboot is wanted. */
bool health_step(struct health *h, struct jobs *m, struct svc *goal, uint64_t goal_id, uint64_t now);
/* jobs_reap()'s hook: true if pid was h's child (status consumed). */
bool health_reaped(void *h, pid_t pid, int status);
/* The next time health_step() needs to run (monotonic µs), 0 none. */
uint64_t health_next(const struct health *h);
/* Shutdown: kill what h runs. */
void health_stop(struct health *h);

#endif
