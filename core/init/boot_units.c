/* boot_units.c — unit state changes for the boot timeline (boot_units.h). */
#include "init/boot_units.h"
#include "base/fs.h"

#include <fcntl.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

void boot_units_note(int rootfd, const char *unit, const char *state, uint64_t us)
{
	char line[320];
	int n = snprintf(line, sizeof(line), "%llu %s %s\n", (unsigned long long)us, state, unit);
	int fd = fs_open_beneath(rootfd, BOOT_UNITS_PATH, O_WRONLY | O_APPEND | O_CREAT | O_NONBLOCK | O_CLOEXEC, 0644);
	struct stat st;
	if (fd < 0)
		return;
	if (n > 0 && (size_t)n < sizeof(line) && !fstat(fd, &st) && S_ISREG(st.st_mode) && st.st_size + n <= BOOT_UNITS_MAX)
		fs_write_all(fd, line, (size_t)n);
	close(fd);
}
