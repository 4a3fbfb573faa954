/* boot_time.c — fuzz core/diag/boot_time.c, the reader of the boot timeline's records
 * (run/keel/boot-stages by stage 1, run/keel/boot-units by keel init). The input, split at its
 * first NUL, is written as those two files beneath a scratch root; then the timeline is read and
 * its critical chain walked. Invariants: every count within its cap, every name terminated, the
 * goal a unit or -1, stage 1's end not before its start, no unit active before it was activating,
 * and a chain that ends within its bound naming only units that exist. */
#include "diag/boot_time.h"

#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static void check(int cond, const char *what)
{
	if (!cond) {
		fprintf(stderr, "boot_time fuzz: %s\n", what);
		abort();
	}
}

static char root[64];
static int rootfd = -1;

static void put(const char *name, const uint8_t *p, size_t n)
{
	int fd = openat(rootfd, name, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	check(fd >= 0 && (n == 0 || write(fd, p, n) == (ssize_t)n) && !close(fd), "scratch file");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct boot_time t;
	if (rootfd < 0) {
		snprintf(root, sizeof(root), "%s/keel-fuzz-boot.XXXXXX", getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
		check(mkdtemp(root) != NULL, "mkdtemp");
		rootfd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		check(rootfd >= 0 && !mkdirat(rootfd, "run", 0755) && !mkdirat(rootfd, "run/keel", 0755), "scratch root");
	}
	const uint8_t *nul = memchr(data, 0, size);
	size_t a = nul ? (size_t)(nul - data) : size;
	put("run/keel/boot-stages", data, a);
	put("run/keel/boot-units", nul ? nul + 1 : data, nul ? size - a - 1 : 0);
	boot_time_read(rootfd, root, "multi-user.target", &t);
	check(t.nstage >= 0 && t.nstage <= BOOT_STAGES_MAX && t.nunit >= 0 && t.nunit <= BOOT_TUNITS_MAX &&
			t.nedge >= 0 && t.nedge <= BOOT_EDGES_MAX,
		"a count past its cap");
	for (int i = 0; i < t.nstage; i++)
		check(memchr(t.stage[i].text, 0, sizeof(t.stage[i].text)) != NULL, "a stage text not terminated");
	for (int i = 0; i < t.nunit; i++)
	{
		check(memchr(t.unit[i].name, 0, sizeof(t.unit[i].name)) != NULL && t.unit[i].name[0], "a unit name empty or not terminated");
		check(!t.unit[i].active || t.unit[i].active >= t.unit[i].activating, "a unit active before it was activating");
	}
	check(t.goal >= -1 && t.goal < t.nunit, "a goal that is no unit");
	check(!t.end1 || !t.stage1 || t.end1 >= t.stage1, "stage 1 ends before it starts");
	int idx[64];
	for (int start = 0; start < t.nunit && start < 4; start++) {
		int n = boot_time_chain(&t, start, idx, 64);
		check(n >= 0 && n <= 64, "a chain past its bound");
		for (int k = 0; k < n; k++)
			check(idx[k] >= 0 && idx[k] < t.nunit, "a chain naming no unit");
	}
	return 0;
}
