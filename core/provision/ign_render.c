/* ign_render.c — the plan of a config, for people (text) and programs (--json): every
 * directory, file, link, unit, account, with modes in octal, owners, sources and hashes.
 * Contents, password hashes, SSH keys and URL queries are never shown. */
#include "provision/ign_render.h"
#include "archive/inflate.h"
#include "base/buf.h"
#include "net/dataurl.h"
#include "base/err.h"
#include "trust/hash.h"
#include "base/json.h"
#include "net/url.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

/* Text output: the first error (a full buffer) sticks and is returned at the end. */
struct out {
	struct buf *b;
	int err;
};

__attribute__((format(printf, 2, 3))) static void put(struct out *o, const char *fmt, ...)
{
	va_list ap;
	if (o->err)
		return;
	va_start(ap, fmt);
	o->err = buf_vprintf(o->b, fmt, ap);
	va_end(ap);
}

/* A source as it may be shown; hash "" if unknown. */
static void describe(const struct ign_res *r, char *src, size_t n, char *hash, size_t hn)
{
	char scheme[16];
	hash[0] = 0;
	if (r->hash)
		snprintf(hash, hn, "%s", r->hash);
	if (!r->source || !*r->source) {
		snprintf(src, n, "empty");
		return;
	}
	url_scheme(r->source, scheme, sizeof(scheme));
	if (!strcmp(scheme, "data")) {
		struct buf b = BUF_INIT(16u << 20), z = BUF_INIT(16u << 20);
		int ok = !dataurl_decode(r->source, strlen(r->source), &b, NULL, NULL);
		if (ok && r->compression && !strcmp(r->compression, "gzip")) { /* shown as it will be written */
			size_t zlen = b.len;
			ok = !inflate_mem(INFLATE_GZIP, b.p, b.len, &z, NULL);
			buf_free_secret(&b);
			b = z;
			z = (struct buf)BUF_INIT(0);
			if (ok)
				snprintf(src, n, "data (%zu bytes, gzip %zu)", b.len, zlen);
			else
				snprintf(src, n, "data (invalid gzip)");
		} else if (ok) {
			snprintf(src, n, "data (%zu bytes)", b.len);
		}
		if (ok) {
			if (!r->hash) {
				uint8_t d[32];
				char hex[65];
				hash_once(HASH_SHA256, b.p ? b.p : (const uint8_t *)"", b.len, d);
				hex_encode(hex, d, 32);
				snprintf(hash, hn, "sha256-%s", hex);
			}
		} else if (!r->compression || strcmp(r->compression, "gzip")) {
			snprintf(src, n, "data (invalid)");
		}
		buf_free_secret(&b);
		buf_free_secret(&z);
	} else if (!strcmp(scheme, "http") || !strcmp(scheme, "https")) {
		struct url u;
		if (url_parse(&u, r->source, strlen(r->source), NULL))
			snprintf(src, n, "%s (invalid)", scheme);
		else
			url_redact(&u, src, n);
	} else if (!strcmp(scheme, "file")) {
		snprintf(src, n, "%.*s", (int)(n - 1), r->source);
	} else {
		snprintf(src, n, "%s:", scheme);
	}
}

static void owner_str(const struct ign_owner *o, char *out, size_t n)
{
	if (o->name)
		snprintf(out, n, "%s", o->name);
	else if (o->has_id)
		snprintf(out, n, "%u", o->id);
	else
		snprintf(out, n, "0");
}

static void text_file(struct out *b, const struct ign_file *f)
{
	char u[40], g[40], src[300], hash[160];
	owner_str(&f->user, u, sizeof(u));
	owner_str(&f->group, g, sizeof(g));
	if (f->has_contents)
		describe(&f->contents, src, sizeof(src), hash, sizeof(hash));
	else
		snprintf(src, sizeof(src), "none"), hash[0] = 0;
	put(b, "file %s mode %s%04o owner %s:%s overwrite %s source %s%s%s\n", f->path, f->has_mode ? "" : "default ",
		f->has_mode ? f->mode : 0644, u, g, f->overwrite == IGN_YES ? "yes" : "no", src, hash[0] ? " hash " : "", hash);
	for (size_t i = 0; i < f->nappend; i++) {
		describe(&f->append[i], src, sizeof(src), hash, sizeof(hash));
		put(b, "  append %s%s%s\n", src, hash[0] ? " hash " : "", hash);
	}
}

static void json_res(struct jw *w, const char *key, const struct ign_res *r)
{
	char src[300], hash[160];
	describe(r, src, sizeof(src), hash, sizeof(hash));
	jw_key(w, key);
	jw_obj(w);
	jw_key(w, "source");
	jw_str(w, src);
	jw_key(w, "hash");
	if (hash[0])
		jw_str(w, hash);
	else
		jw_null(w);
	jw_obj_end(w);
}

static void json_owner(struct jw *w, const char *key, const struct ign_owner *o)
{
	char s[40];
	owner_str(o, s, sizeof(s));
	jw_key(w, key);
	jw_str(w, s);
}

static void json_mode(struct jw *w, bool has, uint32_t mode, uint32_t def)
{
	char s[8];
	snprintf(s, sizeof(s), "%04o", has ? mode : def);
	jw_key(w, "mode");
	jw_str(w, s);
}

static int render_json(const struct ign_cfg *c, struct buf *b)
{
	struct jw w;
	jw_init(&w, b);
	jw_obj(&w);
	jw_key(&w, "version");
	jw_str(&w, ign_version(c));
	jw_key(&w, "directories");
	jw_arr(&w);
	for (size_t i = 0; i < c->ndirs; i++) {
		const struct ign_dir *d = &c->dirs[i];
		jw_obj(&w);
		jw_key(&w, "path");
		jw_str(&w, d->path);
		json_mode(&w, d->has_mode, d->mode, 0755);
		json_owner(&w, "user", &d->user);
		json_owner(&w, "group", &d->group);
		jw_obj_end(&w);
	}
	jw_arr_end(&w);
	jw_key(&w, "files");
	jw_arr(&w);
	for (size_t i = 0; i < c->nfiles; i++) {
		const struct ign_file *f = &c->files[i];
		jw_obj(&w);
		jw_key(&w, "path");
		jw_str(&w, f->path);
		json_mode(&w, f->has_mode, f->mode, 0644);
		json_owner(&w, "user", &f->user);
		json_owner(&w, "group", &f->group);
		jw_key(&w, "overwrite");
		jw_bool(&w, f->overwrite == IGN_YES);
		if (f->has_contents)
			json_res(&w, "contents", &f->contents);
		jw_key(&w, "append");
		jw_arr(&w);
		for (size_t k = 0; k < f->nappend; k++) {
			jw_obj(&w);
			json_res(&w, "fragment", &f->append[k]);
			jw_obj_end(&w);
		}
		jw_arr_end(&w);
		jw_obj_end(&w);
	}
	jw_arr_end(&w);
	jw_key(&w, "links");
	jw_arr(&w);
	for (size_t i = 0; i < c->nlinks; i++) {
		const struct ign_link *l = &c->links[i];
		jw_obj(&w);
		jw_key(&w, "path");
		jw_str(&w, l->path);
		jw_key(&w, "target");
		jw_str(&w, l->target);
		jw_key(&w, "hard");
		jw_bool(&w, l->hard == IGN_YES);
		jw_obj_end(&w);
	}
	jw_arr_end(&w);
	jw_key(&w, "units");
	jw_arr(&w);
	for (size_t i = 0; i < c->nunits; i++) {
		const struct ign_unit *u = &c->units[i];
		jw_obj(&w);
		jw_key(&w, "name");
		jw_str(&w, u->name);
		jw_key(&w, "enabled");
		u->enabled == IGN_UNSET ? jw_null(&w) : jw_bool(&w, u->enabled == IGN_YES);
		jw_key(&w, "mask");
		u->mask == IGN_UNSET ? jw_null(&w) : jw_bool(&w, u->mask == IGN_YES);
		jw_key(&w, "contents");
		jw_bool(&w, u->contents != NULL);
		jw_key(&w, "dropins");
		jw_arr(&w);
		for (size_t k = 0; k < u->ndropins; k++)
			jw_str(&w, u->dropins[k].name);
		jw_arr_end(&w);
		jw_obj_end(&w);
	}
	jw_arr_end(&w);
	jw_key(&w, "users");
	jw_arr(&w);
	for (size_t i = 0; i < c->nusers; i++) {
		const struct ign_user *u = &c->users[i];
		jw_obj(&w);
		jw_key(&w, "name");
		jw_str(&w, u->name);
		jw_key(&w, "uid");
		u->has_uid ? jw_uint(&w, u->uid) : jw_null(&w);
		jw_key(&w, "shouldExist");
		jw_bool(&w, u->should_exist != IGN_NO);
		jw_key(&w, "groups");
		jw_arr(&w);
		for (size_t k = 0; k < u->ngroups; k++)
			jw_str(&w, u->groups[k]);
		jw_arr_end(&w);
		jw_key(&w, "sshAuthorizedKeys");
		jw_uint(&w, u->nssh_keys);
		jw_key(&w, "passwordHash");
		jw_bool(&w, u->password_hash != NULL);
		jw_obj_end(&w);
	}
	jw_arr_end(&w);
	jw_key(&w, "groups");
	jw_arr(&w);
	for (size_t i = 0; i < c->ngroups; i++) {
		jw_obj(&w);
		jw_key(&w, "name");
		jw_str(&w, c->groups[i].name);
		jw_key(&w, "gid");
		c->groups[i].has_gid ? jw_uint(&w, c->groups[i].gid) : jw_null(&w);
		jw_obj_end(&w);
	}
	jw_arr_end(&w);
	jw_key(&w, "kernelArguments");
	jw_obj(&w);
	jw_key(&w, "shouldExist");
	jw_uint(&w, c->nkargs_add);
	jw_key(&w, "shouldNotExist");
	jw_uint(&w, c->nkargs_del);
	jw_obj_end(&w);
	jw_obj_end(&w);
	int ret = jw_finish(&w);
	return ret ? ret : buf_putc(b, '\n');
}

int ign_render(const struct ign_cfg *c, bool json, struct buf *b, struct kerr *e)
{
	int ret;
	if (json)
		ret = render_json(c, b);
	else {
		struct out o = {b, 0};
		put(&o, "ignition %s\n", ign_version(c));
		for (size_t i = 0; i < c->nmerge; i++) {
			char src[300], hash[160];
			describe(&c->merge[i], src, sizeof(src), hash, sizeof(hash));
			put(&o, "merge %s%s%s\n", src, hash[0] ? " hash " : "", hash);
		}
		if (c->has_replace) {
			char src[300], hash[160];
			describe(&c->replace, src, sizeof(src), hash, sizeof(hash));
			put(&o, "replace %s%s%s\n", src, hash[0] ? " hash " : "", hash);
		}
		for (size_t i = 0; i < c->ndirs; i++) {
			const struct ign_dir *d = &c->dirs[i];
			char u[40], g[40];
			owner_str(&d->user, u, sizeof(u));
			owner_str(&d->group, g, sizeof(g));
			put(&o, "directory %s mode %s%04o owner %s:%s\n", d->path, d->has_mode ? "" : "default ",
				d->has_mode ? d->mode : 0755, u, g);
		}
		for (size_t i = 0; i < c->nfiles; i++)
			text_file(&o, &c->files[i]);
		for (size_t i = 0; i < c->nlinks; i++)
			put(&o, "%s %s -> %s\n", c->links[i].hard == IGN_YES ? "hardlink" : "symlink", c->links[i].path,
				c->links[i].target);
		for (size_t i = 0; i < c->nunits; i++) {
			const struct ign_unit *u = &c->units[i];
			put(&o, "unit %s%s%s%s%s dropins %zu\n", u->name, u->contents ? " contents" : "",
				u->enabled == IGN_YES ? " enable" : u->enabled == IGN_NO ? " disable" : "",
				u->mask == IGN_YES ? " mask" : u->mask == IGN_NO ? " unmask" : "", "", u->ndropins);
		}
		for (size_t i = 0; i < c->ngroups; i++)
			c->groups[i].has_gid ? put(&o, "group %s gid %u%s\n", c->groups[i].name, c->groups[i].gid,
				c->groups[i].should_exist == IGN_NO ? " delete" : "") :
			put(&o, "group %s%s\n", c->groups[i].name, c->groups[i].should_exist == IGN_NO ? " delete" : "");
		for (size_t i = 0; i < c->nusers; i++) {
			const struct ign_user *u = &c->users[i];
			char uid[16] = "auto";
			if (u->has_uid)
				snprintf(uid, sizeof(uid), "%u", u->uid);
			put(&o, "user %s%s uid %s ssh-keys %zu password %s", u->name, u->should_exist == IGN_NO ? " delete" : "",
				uid, u->nssh_keys, u->password_hash ? "set" : "unchanged");
			for (size_t k = 0; k < u->ngroups; k++)
				put(&o, "%s%s", k ? "," : " groups ", u->groups[k]);
			put(&o, "\n");
		}
		if (c->nkargs_add || c->nkargs_del)
			put(&o, "kernel-arguments add %zu remove %zu (need a reboot)\n", c->nkargs_add, c->nkargs_del);
		ret = o.err;
	}
	if (ret)
		return kerr_set(e, ret, "render: %s", strerror(-ret));
	return 0;
}
