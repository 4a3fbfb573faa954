/* unit_value.h — the values of systemd unit-file settings: booleans, time spans, sizes, signals,
 * unit and variable names, quoted word lists (systemd's quoting and C escapes), %-specifiers,
 * $VARIABLE expansion of command lines, and EnvironmentFile= contents.
 *
 * Every function walks its input with a bound on every length. On a malformed value it returns
 * -EINVAL (-ERANGE for a number out of range, -E2BIG past a limit) and points *why at a static
 * phrase ("unterminated quote") that the caller puts after "file:line: Key=: ".
 */
#ifndef KEEL_UNIT_VALUE_H
#define KEEL_UNIT_VALUE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct buf;
struct kerr;

#define UV_INFINITY UINT64_MAX /* "infinity" for time spans and sizes */
#define UV_LIST_MAX 1024       /* entries in one list setting (dependencies, variables, words) */
#define UV_VALUE_MAX 65536     /* bytes of one value after continuation lines are joined */
#define UNIT_NAME_MAX 255      /* bytes of a unit name, as systemd */

/* A growable list of owned strings, at most UV_LIST_MAX of them; v[n] is NULL. */
struct strv {
	char **v;
	size_t n;
};
int strv_push(struct strv *l, const char *s);         /* copies s */
int strv_push_n(struct strv *l, const char *s, size_t len);
void strv_clear(struct strv *l);                       /* frees every string, keeps nothing */
bool strv_has(const struct strv *l, const char *s);

/* yes/no, true/false, on/off, 1/0 (case-insensitive). */
int uv_bool(const char *s, bool *out, const char **why);
/* systemd.time(7) spans: "90", "1min 30s", "1.5s", "500ms", "infinity" (UV_INFINITY). A bare
 * number is seconds. Units: us usec ms msec s sec second(s) m min minute(s) h hr hour(s) d day(s)
 * w week(s). Result in microseconds. */
int uv_timespan(const char *s, uint64_t *usec, const char **why);
/* Sizes: "512", "64K", "1.5G" (1024-based K M G T P E, optional B alone), "infinity". */
int uv_bytes(const char *s, uint64_t *out, const char **why);
/* Whole unsigned decimal in [min, max]; "infinity" allowed (UV_INFINITY) when inf. */
int uv_uint(const char *s, uint64_t min, uint64_t max, bool inf, uint64_t *out, const char **why);
/* "SIGTERM", "TERM" or a number 1..64. */
int uv_signal(const char *s, int *sig, const char **why);

/* Unit names keel init runs: [A-Za-z0-9:_.\\-] and '@' (the first one splits prefix and instance:
 * template "a@.service", instance "a@x.service" or "a@b@c.service"), at most UNIT_NAME_MAX bytes,
 * ending in ".service", ".target", ".socket" or ".timer". Returns the suffix or NULL. */
const char *unit_name_suffix(const char *name);
/* The same rules for a name of any unit type systemd has (.service .target .socket .timer .path
 * .mount .automount .swap .device .slice .scope): valid in After=, Wants=, OnFailure=… */
const char *unit_ref_suffix(const char *name);
/* A name as systemctl and journalctl -u take it: one without a unit type gets ".service"
 * ("chrony" -> "chrony.service"), as systemd's unit_name_mangle(); others are copied. 0, or
 * -ENAMETOOLONG when out (cap bytes) cannot hold it. */
int unit_name_mangle(const char *name, char *out, size_t cap);
/* The template of an instance name: "getty@tty1.service" -> "getty@.service"; 0 or -EINVAL
 * (not an instance). out has UNIT_NAME_MAX + 1 bytes. */
int unit_name_template(const char *name, char *out);
/* True for a template name such as "getty@.service" or "a@.socket" (cannot be started itself). */
bool unit_name_is_template(const char *name);

/* The position of s in packed, a list of NUL-terminated words ending in an empty one (compared
 * ignoring case if icase), or -1. Tables of names kept this way need no relocation per entry. */
int uv_word_index(const char *packed, const char *s, bool icase);

/* [A-Za-z_][A-Za-z0-9_]*, at most 255 bytes. */
bool uv_env_name(const char *s, size_t n);
/* NAME=VALUE with a valid NAME and no control characters but tab in VALUE. */
bool uv_env_assign(const char *s);

/* Split a value into words the way systemd does for ExecStart=, Environment=, After=…:
 * white space separates words; "…" and '…' quote white space and may open and close anywhere
 * in a word (A="x y"z is the one word A=x yz, as systemd's extract_first_word() reads it); C
 * escapes (\a \b \f \n \r \t \v \\ \" \' \s \; \xHH \NNN octal \uHHHH \UHHHHHHHH) are decoded
 * everywhere; an unterminated quote, a decoded NUL and an unknown escape are errors. With exec set, a lone unquoted ";" (systemd's old
 * command separator) is refused. Words are appended to out. */
int uv_words(const char *s, bool exec, struct strv *out, const char **why);

/* Expand %-specifiers of a unit (systemd.unit(5), as the system manager has them): %n full name,
 * %N without suffix, %p prefix (before '@'), %P unescaped, %i instance, %I unescaped, %j the
 * prefix's last '-' component, %J unescaped, %f "/" + the unescaped instance (or prefix), %y %Y
 * the unit file and its directory (fragment; may be NULL if not used), %d its credentials
 * directory, %t /run, %S /var/lib, %C /var/cache, %L /var/log, %E /etc, %T /tmp, %V /var/tmp,
 * %h /root, %u root, %U 0, %g root, %G 0, %s /bin/sh; the host's %H hostname, %l short hostname,
 * %q (the hostname: keel has no pretty hostname), %m machine ID, %b boot ID, %v kernel release,
 * %a architecture, and os-release's %o ID, %w VERSION_ID, %B BUILD_ID, %W VARIANT_ID,
 * %M IMAGE_ID, %A IMAGE_VERSION; %% a '%'. Any other specifier, or one the host cannot answer
 * (no /etc/machine-id for %m), is an error. The result replaces out's contents. */
int uv_specifiers(const char *in, const char *unit, const char *fragment, struct buf *out, const char **why);

/* Expand a command line's words with env ("NAME=VALUE" strings, later entries win): a word that
 * is exactly $NAME becomes the value's white-space separated words (none if unset or empty);
 * ${NAME} anywhere in a word is replaced by the value (empty if unset); $$ is a literal '$';
 * any other '$' stays. Appends to out; at most UV_LIST_MAX words of UV_VALUE_MAX bytes. */
int uv_expand(char *const argv[], size_t argc, char *const env[], size_t nenv, struct strv *out,
	const char **why);
/* The value of NAME in env (last wins), or NULL. */
const char *uv_getenv(char *const env[], size_t nenv, const char *name, size_t namelen);

/* EnvironmentFile= contents: lines "NAME=VALUE" where VALUE is unquoted (no quotes or
 * backslashes; surrounding white space dropped), or wrapped whole in "…" (escapes \" \\ \$ \`
 * and backslash-newline) or '…' (literal); blank lines and lines starting with # or ; are
 * skipped. Anything else is an error naming path:line. Assignments are appended to out. */
int uv_envfile(const char *path, const char *p, size_t len, struct strv *out, struct kerr *e);

#endif
