/* boot_units.c — unit state changes for the boot timeline (boot_units.h). The file stays open
 * (one descriptor, close-on-exec) for as long as the root is the same directory: a state change
 * costs one fstat and one write. */
#include "init/boot_units.h"
#include "base/fs.h"

#include <fcntl.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

static struct {
	int fd;
	dev_t dev;
	ino_t ino;
	uint64_t size;
} bu = {-1, 0, 0, 0};

void boot_units_note(int rootfd, const char *unit, const char *state, uint64_t us)
{
	char line[320];
	int n = snprintf(line, sizeof(line), "%llu %s %s\n", (unsigned long long)us, state, unit);
	struct stat rs, st;
	if (n <= 0 || (size_t)n >= sizeof(line) || fstat(rootfd, &rs))
		return;
	if (bu.fd < 0 || bu.dev != rs.st_dev || bu.ino != rs.st_ino) {
		if (bu.fd >= 0)
			close(bu.fd);
		bu.fd = fs_open_beneath(rootfd, BOOT_UNITS_PATH, O_WRONLY | O_APPEND | O_CREAT | O_NONBLOCK | O_CLOEXEC, 0644);
		if (bu.fd >= 0 && (fstat(bu.fd, &st) || !S_ISREG(st.st_mode))) {
			close(bu.fd);
			bu.fd = -1;
		}
		if (bu.fd < 0)
			return;
		bu.dev = rs.st_dev, bu.ino = rs.st_ino, bu.size = (uint64_t)st.st_size;
	}
	if (bu.size + (unsigned)n <= BOOT_UNITS_MAX && !fs_write_all(bu.fd, line, (size_t)n))
		bu.size += (unsigned)n;
}

void boot_units_close(void)
{
	if (bu.fd >= 0)
		close(bu.fd);
	bu.fd = -1;
}
