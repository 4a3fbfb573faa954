/* scratch.h — the scratch directory of a harness that works on files: $TMPDIR/keel-fuzz-NAME-XXXXXX
 * (TMPDIR=/dev/shm spares the disk the fsyncs), emptied and removed when the fuzzer exits. */
#ifndef KEEL_FUZZ_SCRATCH_H
#define KEEL_FUZZ_SCRATCH_H

#include "base/fs.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

static char scratch[256];

static void scratch_cleanup(void)
{
	int fd = open(scratch, O_RDONLY | O_DIRECTORY);
	if (fd >= 0)
		fs_empty_dir(fd, FS_SAME_DEV, 16), close(fd);
	rmdir(scratch);
}

/* The directory's fd (its path in scratch); aborts when it cannot be made. */
static int scratch_open(const char *name)
{
	snprintf(scratch, sizeof(scratch), "%s/keel-fuzz-%s-XXXXXX", getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp", name);
	int fd = mkdtemp(scratch) ? open(scratch, O_RDONLY | O_DIRECTORY) : -1;
	if (fd < 0)
		abort();
	atexit(scratch_cleanup);
	return fd;
}

#endif
