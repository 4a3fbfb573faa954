/* gpt.c — fuzz core/gpt: the input is a disk image (both headers, entry arrays, entries). */
#include "gpt.h"

#include "applet.h"

#include <stdint.h>
#include <string.h>

/* core/log.c and core/args.c name the running applet; weak so a shared definition may win */
__attribute__((weak)) const struct applet *keel_applet;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct gpt g;
	struct gpt_part p;
	if (gpt_read(&(struct gpt_io){.fd = -1, .mem = data, .len = size}, 512, &g, NULL))
		return 0;
	for (int i = 0; i < gpt_count(&g); i++)
		if (!gpt_get(&g, i, &p) && strlen(p.name) >= GPT_NAME_MAX)
			__builtin_trap();
	gpt_prio_next(&g, GPT_TYPE_COREOS_USR);
	gpt_find_name(&g, "USR-A");
	gpt_free(&g);
	return 0;
}
