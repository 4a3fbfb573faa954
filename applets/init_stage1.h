/* init_stage1.h — stage 1 of `keel init` (applets/init_stage1.c), its steps in core/boot/stage1.h. */
#ifndef KEEL_APPLET_INIT_STAGE1_H
#define KEEL_APPLET_INIT_STAGE1_H

/* PID 1 on an initramfs: never returns when the host starts; on failure it execs the rescue
 * console, and returns EXIT_FAIL only if even that is impossible (EXIT_USAGE when not PID 1). */
int init_stage1(void);

#endif
