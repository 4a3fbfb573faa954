/* init_calendar.h — `keel init calendar` (applets/init_calendar.c): systemd-analyze calendar. */
#ifndef KEEL_APPLET_INIT_CALENDAR_H
#define KEEL_APPLET_INIT_CALENDAR_H

/* argv[0] is "calendar". Exit: 0 every spec parsed, 1 one did not, 2 usage. */
int init_calendar(int argc, char **argv);

#endif
