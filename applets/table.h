/* table.h — the applet table (generated from applets/\*.c, kept in applets/main.c), for an applet
 * that runs another in its own process: it goes through the table, never a hand-declared NAME_main. */
#ifndef KEEL_APPLET_TABLE_H
#define KEEL_APPLET_TABLE_H

#include "base/applet.h"

/* The applet called name, or NULL when the binary was built without it. */
const struct applet *applet_find(const char *name);

#endif
