/* fleetlock.h — the FleetLock client (Zincati's reboot-coordination protocol, coreos/airlock).
 *
 * POST BASE/v1/pre-reboot takes a reboot slot before rebooting into a staged release;
 * POST BASE/v1/steady-state releases it once the node runs a release marked good. Header
 * "fleet-lock-protocol: true", body {"client_params":{"id":ID,"group":GROUP}}. Any 2xx answer is
 * success (its body ignored); any other carries {"kind":…,"value":…} (e.g. 423 "locked"), parsed
 * strictly and bounded (fleetlock_parse_error). No redirects are followed; 10 s per call.
 *
 * The node id is what Zincati sends for the same machine: systemd's app-specific machine id
 * (sd_id128_get_machine_app_specific) for Zincati's application id
 * de35106b6ec24688b63afddaa156679b: HMAC-SHA256 keyed with the 16 bytes of /etc/machine-id over
 * the application id, the first 16 bytes as a UUID version 4, in 32 lower-case hex digits. A lock
 * server sees the same node whether Zincati or keel asks, and never the machine id itself.
 */
#ifndef KEEL_UPDATE_FLEETLOCK_H
#define KEEL_UPDATE_FLEETLOCK_H

#include <stddef.h>

struct kerr;

#define FLEETLOCK_GROUP_MAX 63
#define FLEETLOCK_URL_MAX 1024

/* What a non-2xx answer said. */
struct fleetlock_answer {
	int status;       /* HTTP status */
	char kind[64];    /* "" when the body was not {"kind","value"} */
	char value[256];
};

/* The node id from the contents of /etc/machine-id (32 hex digits and a newline). */
int fleetlock_node_id(const char *machine_id, size_t len, char out[33], struct kerr *e);
/* A group name: 1..63 of [a-zA-Z0-9.-]. */
int fleetlock_group_ok(const char *group);
/* The error body of a non-2xx answer: {"kind":STRING,"value":STRING} (other members ignored).
 * -EINVAL when it is not such an object (a still gets nothing). */
int fleetlock_parse_error(const char *body, size_t len, struct fleetlock_answer *a);
/* POST base/v1/OP (op "pre-reboot" or "steady-state"). 0: a 2xx answer; 1: another answer (a
 * says which; e one line with the status, kind and value); -errno: no answer (e says why). */
int fleetlock_call(const char *base, const char *op, const char *id, const char *group, struct fleetlock_answer *a,
	struct kerr *e);

#endif
