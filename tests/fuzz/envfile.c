/* envfile.c — libFuzzer harness for uv_envfile() (EnvironmentFile= contents).
 *
 * Every assignment it returns has a valid name, an '=' and no NUL; an error always names the
 * file and a line.
 */
#include "err.h"
#include "unitval.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct strv out = {0};
	struct kerr e = {0};
	int ret = uv_envfile("env", (const char *)data, size, &out, &e);
	if (ret) {
		if (strncmp(e.msg, "env", 3)) {
			fprintf(stderr, "envfile fuzz: error without a place: %s\n", e.msg);
			abort();
		}
	} else {
		for (size_t i = 0; i < out.n; i++) {
			const char *eq = strchr(out.v[i], '=');
			if (!eq || !uv_env_name(out.v[i], (size_t)(eq - out.v[i]))) {
				fprintf(stderr, "envfile fuzz: bad assignment kept\n");
				abort();
			}
		}
	}
	strv_clear(&out);
	return 0;
}
