/* cmdline.c — fuzz core/cmdline: any bytes as /proc/cmdline. */
#include "cmdline.h"

#include "applet.h"

#include <stdint.h>
#include <string.h>

/* core/log.c and core/args.c name the running applet; weak so a shared definition may win */
__attribute__((weak)) const struct applet *keel_applet;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct cmdline c;
	if (!cmdline_parse(&c, (const char *)data, size, NULL)) {
		for (int i = 0; i < c.n; i++) {
			const char *v = cmdline_get(&c, c.key[i]);
			if (v && strlen(v) > size)
				__builtin_trap();
		}
		cmdline_has(&c, "keel.rescue");
	}
	return 0;
}
