/* fleetlock.c — the FleetLock client (see fleetlock.h). */
#include "update/fleetlock.h"
#include "base/buf.h"
#include "base/err.h"
#include "base/json.h"
#include "net/http.h"

#include <errno.h>
#include <mbedtls/sha256.h>
#include <string.h>

static const uint8_t zincati_app[16] = {0xde, 0x35, 0x10, 0x6b, 0x6e, 0xc2, 0x46, 0x88, 0xb6, 0x3a, 0xfd, 0xda, 0xa1,
	0x56, 0x67, 0x9b};

int fleetlock_node_id(const char *machine_id, size_t len, char out[33], struct kerr *e)
{
	uint8_t mid[16], mac[32];
	if (len && machine_id[len - 1] == '\n')
		len--;
	if (len != 32 || hex_decode(mid, sizeof(mid), machine_id, len))
		return kerr_set(e, -EINVAL, "machine id: 32 hex digits expected");
	/* HMAC-SHA256 (RFC 2104) with a 16-byte key, on the SHA-256 already linked (md.c is not) */
	uint8_t pad[64 + 32];
	for (int pass = 0; pass < 2; pass++) {
		memset(pad, pass ? 0x5c : 0x36, 64);
		for (size_t i = 0; i < sizeof(mid); i++)
			pad[i] ^= mid[i];
		memcpy(pad + 64, pass ? mac : zincati_app, pass ? 32 : 16);
		if (mbedtls_sha256(pad, pass ? 96 : 80, mac, 0))
			return kerr_set(e, -EIO, "machine id: SHA-256 failed");
	}
	mac[6] = (mac[6] & 0x0f) | 0x40; /* as systemd: a version 4 UUID, variant 1 */
	mac[8] = (mac[8] & 0x3f) | 0x80;
	hex_encode(out, mac, 16);
	return 0;
}

int fleetlock_group_ok(const char *g)
{
	size_t n = strlen(g);
	if (!n || n > FLEETLOCK_GROUP_MAX)
		return 0;
	return strspn(g, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-") == n;
}

int fleetlock_parse_error(const char *body, size_t len, struct fleetlock_answer *a)
{
	static const struct json_limits lim = {16384, 8, 256, 1024};
	struct json_doc d = {0};
	int ret = json_parse(&d, body, len, &lim, NULL);
	if (ret)
		return ret;
	const struct json *k = json_get(d.root, "kind"), *v = json_get(d.root, "value");
	ret = -EINVAL;
	if (k && v && k->type == JSON_STRING && v->type == JSON_STRING && k->u.str.len < sizeof(a->kind) &&
		v->u.str.len < sizeof(a->value)) {
		memcpy(a->kind, k->u.str.s, k->u.str.len + 1);
		memcpy(a->value, v->u.str.s, v->u.str.len + 1);
		ret = 0;
	}
	json_free(&d);
	return ret;
}

static int sink(void *ctx, const void *data, size_t len)
{
	return buf_put(ctx, data, len);
}

int fleetlock_call(const char *base, const char *op, const char *id, const char *group, struct fleetlock_answer *a,
	struct kerr *e)
{
	char url[FLEETLOCK_URL_MAX + 32], body[200];
	size_t bl = strlen(base);
	struct buf in = BUF_INIT(16384);
	struct http_result res;
	static const struct http_header hdr[] = {{"fleet-lock-protocol", "true"}};
	memset(a, 0, sizeof(*a));
	while (bl && base[bl - 1] == '/')
		bl--;
	if (bl > FLEETLOCK_URL_MAX || str_fmt(url, sizeof(url), "%.*s/v1/%s", (int)bl, base, op))
		return kerr_set(e, -ENAMETOOLONG, "fleetlock URL too long");
	if (!fleetlock_group_ok(group))
		return kerr_set(e, -EINVAL, "fleetlock group '%.64s': 1..63 of [a-zA-Z0-9.-] expected", group);
	str_fmt(body, sizeof(body), "{\"client_params\":{\"id\":\"%s\",\"group\":\"%s\"}}", id, group);
	struct http_opts o = {.connect_timeout_ms = 10000, .total_timeout_ms = 10000, .max_body = 16384,
		.headers = hdr, .nheaders = 1, .method = "POST", .body = body, .body_len = strlen(body), .any_status = true};
	int ret = http_get(url, &o, sink, &in, &res, e);
	if (ret) {
		kerr_wrap(e, ret, "%s", op);
		goto out;
	}
	a->status = res.status;
	if (res.status >= 200 && res.status < 300)
		goto out;
	ret = 1;
	if (fleetlock_parse_error(in.p ? (const char *)in.p : "", in.len, a))
		kerr_set(e, -EREMOTEIO, "%s: HTTP %d without a FleetLock error body", op, res.status);
	else
		kerr_set(e, -EREMOTEIO, "%s: HTTP %d: %s: %s", op, res.status, a->kind, a->value);
out:
	buf_free(&in);
	return ret;
}
