/* ign_render.h — a config's plan as text or JSON (keel provision render). */
#ifndef KEEL_IGN_RENDER_H
#define KEEL_IGN_RENDER_H

#include <stdbool.h>

#include "provision/ign.h"

struct buf;
struct kerr;

/* One line per directory, file (mode in octal, owner, source, hash), link, unit, group, user;
 * with json, one JSON object. Appends to b. */
int ign_render(const struct ign_cfg *c, bool json, struct buf *b, struct kerr *e);

#endif
