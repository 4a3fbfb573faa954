/* envfile.c — libFuzzer harness for uv_envfile() (EnvironmentFile= contents).
 *
 * Every assignment it returns has a valid name, an '=' and no NUL; an error always names the
 * file and a line. The assignments written back as a file (each value in double quotes, with
 * \" \\ \$ \` escaped) read back as the same assignments.
 */
#include "base/buf.h"
#include "base/err.h"
#include "init/unit_value.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void check(int cond, const char *what)
{
	if (!cond) {
		fprintf(stderr, "envfile fuzz: %s\n", what);
		abort();
	}
}

static void print(const struct strv *l, struct buf *b)
{
	for (size_t i = 0; i < l->n; i++) {
		const char *eq = strchr(l->v[i], '=');
		buf_put(b, l->v[i], (size_t)(eq - l->v[i]) + 1);
		buf_putc(b, '"');
		for (const char *s = eq + 1; *s; s++) {
			if (strchr("\"\\$`", *s))
				buf_putc(b, '\\');
			buf_putc(b, *s);
		}
		buf_puts(b, "\"\n");
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct strv out = {0}, again = {0};
	struct kerr e = {0};
	int ret = uv_envfile("env", (const char *)data, size, &out, &e);
	if (ret) {
		check(!strncmp(e.msg, "env", 3), "error without a place");
	} else {
		struct buf b = BUF_INIT(1u << 26);
		for (size_t i = 0; i < out.n; i++) {
			const char *eq = strchr(out.v[i], '=');
			check(eq && uv_env_name(out.v[i], (size_t)(eq - out.v[i])), "bad assignment kept");
		}
		print(&out, &b);
		check(!uv_envfile("again", b.p ? (const char *)b.p : "", b.len, &again, &e), "written back, it does not read");
		check(again.n == out.n, "written back, it reads as another number of assignments");
		for (size_t i = 0; i < out.n && i < again.n; i++)
			check(!strcmp(again.v[i], out.v[i]), "written back, an assignment reads differently");
		strv_clear(&again);
		buf_free(&b);
	}
	strv_clear(&out);
	return 0;
}
