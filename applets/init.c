/* keel init - PID 1: stage 1 in the initramfs, then the host's init
 *
 * usage: keel init
 *
 * As PID 1 in an initramfs (the marker /etc/keel-initramfs exists): stage 1 — load modules,
 * choose the A/B slot, verify its signed manifest, set up dm-verity, mount the verified root
 * and the state partition, switch_root into the host (see README "Boot sequence").
 * Stage 2 (service supervision) belongs to the services part of keel init.
 *
 * Exit status: stage 1 does not return; 2 usage; 3 failure.
 */
#include "applet.h"
#include "args.h"
#include "log.h"
#include "stage1.h"

#include <unistd.h>

int init_main(int argc, char **argv)
{
	if (getpid() == 1 && !access(STAGE1_MARKER, F_OK))
		return stage1_main(argc, argv);
	char **ops;
	const struct opt opts[] = {{0}};
	int n = args_parse(opts, argc - 1, argv + 1, &ops);
	if (n < 0)
		return args_exit(n);
	return kfail(EXIT_FAIL, "stage 2 is not part of this build");
}
