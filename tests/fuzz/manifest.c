/* manifest.c — fuzz core/manifest: the input is the 64 KiB manifest area (framing + text); the
 * text is also parsed on its own so the parser sees every input even without a valid frame. */
#include "manifest.h"

#include "applet.h"

#include <stdint.h>

/* core/log.c and core/args.c name the running applet; weak so a shared definition may win */
__attribute__((weak)) const struct applet *keel_applet;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t *t, *s;
	size_t tl, sl;
	struct manifest m;
	char table[1024];
	if (!manifest_split(data, size, &t, &tl, &s, &sl, NULL) && !manifest_parse(t, tl, &m, NULL))
		manifest_verity_table(&m, "/dev/vda2", table, sizeof(table));
	if (!manifest_parse(data, size, &m, NULL))
		manifest_verity_table(&m, "/dev/vda2", table, sizeof(table));
	return 0;
}
