/* policy_profile.c — fuzz the host profile parser. Whatever parses has unique, non-empty ids, a
 * known kind for every check, and waivers that name a check and carry a valid date. */
#include "base/err.h"
#include "policy/host.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct hc_profile p;
	struct kerr e = {0};
	if (hc_profile_parse(&p, data, size, &e)) {
		if (!e.msg[0])
			abort(); /* every refusal says why */
		return 0;
	}
	if (!p.name || !p.roles || !p.roles->u.arr.n)
		abort();
	for (size_t i = 0; i < p.n; i++) {
		if (!p.c[i].id[0] || !p.c[i].kind || !p.c[i].title || !p.c[i].rationale || hc_find(&p, p.c[i].id) != &p.c[i])
			abort();
	}
	for (size_t i = 0; i < p.nw; i++)
		if (!hc_find(&p, p.w[i].id) || strlen(p.w[i].expires) != 10)
			abort();
	hc_profile_free(&p);
	return 0;
}
