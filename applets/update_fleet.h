/* update_fleet.h — `keel update reboot` and `keel update steady-state` (applets/update_fleet.c). */
#ifndef KEEL_APPLET_UPDATE_FLEET_H
#define KEEL_APPLET_UPDATE_FLEET_H

/* argv[0] is "reboot" or "steady-state". */
int update_fleet(int argc, char **argv);

#endif
