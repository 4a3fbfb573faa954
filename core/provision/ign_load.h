/* ign_load.h — fetching the resources a config names, and loading configs with their
 * ignition.config.replace and ignition.config.merge references.
 *
 * Sources: "data:" URLs, "http://" and "https://" (core/net/http.h; the system CA bundle plus the
 * config's ignition.security.tls.certificateAuthorities), "file:///path" (keel's extension: a
 * file of the system running provision), "" (empty). Every fetch is bounded in size and time:
 * the config's ignition.timeouts apply, and httpTotal = 0 ("no limit" in Ignition) means keel's
 * ceiling (max_total_timeout_s). A verification hash is checked over the whole data; a
 * mismatch is -EBADMSG naming "<where>.verification.hash".
 *
 * Loading: a config with ignition.config.replace is replaced by the config it points to; the
 * configs in ignition.config.merge are loaded (their own references first, depth first) and
 * merged into it in order. At most 8 levels and 64 configs.
 */
#ifndef KEEL_IGN_LOAD_H
#define KEEL_IGN_LOAD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "net/http.h"
#include "provision/ign.h"

struct ign_env {
	struct http_ca ca;            /* system bundle (loaded on first https use) + config CAs */
	const char *system_ca;        /* path of the system bundle; NULL or "": none */
	bool system_ca_loaded;
	uint64_t max_resource;        /* bytes per fetched resource (default 1 GiB) */
	uint32_t header_timeout_s;    /* from the config (default 10; 0: none) */
	uint32_t total_timeout_s;     /* from the config (default 0: keel's ceiling) */
	uint32_t max_total_timeout_s; /* keel's ceiling per resource (default 600) */
	uint32_t idle_timeout_s;      /* 0: none */
	int retries;                  /* http retries (default 8) */
	int nconfigs;
	struct http_proxy proxy;      /* the environment's */
};

void ign_env_init(struct ign_env *env);
void ign_env_free(struct ign_env *env);
/* Take ignition.timeouts from a config. */
void ign_env_timeouts(struct ign_env *env, const struct ign_cfg *c);

typedef int (*ign_sink_fn)(void *ctx, const void *data, size_t len);

/* Fetch r's data into sink (at most max bytes, 0: no limit), checking r's verification hash.
 * *size gets the byte count. Errors name r->where. */
int ign_fetch(struct ign_env *env, const struct ign_res *r, uint64_t max, ign_sink_fn sink, void *ctx, uint64_t *size,
	struct kerr *e);

/* Read a top-level config: a path, or a file:, data:, http(s): URL; at most out->max bytes. */
int ign_read_source(struct ign_env *env, const char *src, struct buf *out, struct kerr *e);

/* Parse a config and resolve its references (env NULL: parse only, references untouched). */
int ign_load(struct ign_env *env, const void *data, size_t len, const char *label, struct ign_cfg **out,
	struct kerr *e);

#endif
