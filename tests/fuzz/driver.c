/* driver.c — replays a fuzz harness's seed corpus without libFuzzer (the ASan+UBSan build that
 * ./build.sh test runs). Arguments are files or directories; each file is one seed.
 *
 * Each seed runs in a child process, so whatever ends it — a sanitizer report, a harness's
 * invariant (abort, __builtin_trap), a leak found when the child exits — is pinned to that seed
 * and the other seeds still run. The harness gets one result line:
 *   PASS: fuzz/NAME: N seeds replayed
 *   FAIL: fuzz/NAME: K of N seeds failed         (after one "  SEED: why" line for each)
 *   FAIL: fuzz/NAME: no seeds in ARGS            (a harness that replays nothing is a failure)
 * Exit status: 0 after a PASS line, 2 after a FAIL line; any other status means the driver
 * itself did not finish (tests/run.sh counts that as a failure too).
 */
#include <dirent.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *harness;
static int seeds, failed;

__attribute__((format(printf, 2, 3))) static void seed_failed(const char *path, const char *fmt, ...)
{
	va_list ap;

	printf("  %s: ", path);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	failed++;
}

static int read_file(const char *path, uint8_t **out, size_t *outlen)
{
	FILE *f = fopen(path, "rb");
	uint8_t *data = NULL;
	size_t len = 0, cap = 0;

	if (!f)
		return -1;
	for (;;) {
		if (len == cap) {
			uint8_t *p = realloc(data, cap = cap ? cap * 2 : 4096);
			if (!p)
				abort();
			data = p;
		}
		size_t r = fread(data + len, 1, cap - len, f);
		if (!r)
			break;
		len += r;
	}
	if (ferror(f)) {
		fclose(f);
		free(data);
		return -1;
	}
	fclose(f);
	/* an exact-size copy so ASan sees reads past the input */
	*out = malloc(len ? len : 1);
	if (!*out)
		abort();
	memcpy(*out, data, len);
	*outlen = len;
	free(data);
	return 0;
}

static void run_seed(const char *path)
{
	uint8_t *data;
	size_t len;
	int st;
	pid_t pid;

	seeds++;
	if (read_file(path, &data, &len)) {
		seed_failed(path, "cannot read it");
		return;
	}
	fflush(stdout);
	pid = fork();
	if (pid < 0) {
		seed_failed(path, "fork failed");
	} else if (!pid) {
		LLVMFuzzerTestOneInput(data, len);
		free(data);
		exit(0); /* LeakSanitizer checks here */
	} else if (waitpid(pid, &st, 0) != pid) {
		seed_failed(path, "waitpid failed");
	} else if (WIFSIGNALED(st)) {
		int sig = WTERMSIG(st);
		seed_failed(path, "killed by signal %d (%s)%s", sig, strsignal(sig),
			sig == SIGABRT || sig == SIGILL ? ": an invariant of the harness failed, see above" : "");
	} else if (WEXITSTATUS(st)) {
		seed_failed(path, "exit status %d: sanitizer report above", WEXITSTATUS(st));
	}
	free(data);
}

int main(int argc, char **argv)
{
	harness = strrchr(argv[0], '/') ? strrchr(argv[0], '/') + 1 : argv[0];
	setvbuf(stdout, NULL, _IOLBF, 0);
	for (int i = 1; i < argc; i++) {
		struct dirent **ents;
		struct stat st;
		int n;

		if (stat(argv[i], &st)) {
			seeds++;
			seed_failed(argv[i], "missing");
			continue;
		}
		if (!S_ISDIR(st.st_mode)) {
			run_seed(argv[i]);
			continue;
		}
		n = scandir(argv[i], &ents, NULL, alphasort);
		if (n < 0) {
			seeds++;
			seed_failed(argv[i], "cannot list it");
			continue;
		}
		for (int j = 0; j < n; j++) {
			char path[4096];
			if (ents[j]->d_name[0] != '.') {
				snprintf(path, sizeof(path), "%s/%s", argv[i], ents[j]->d_name);
				run_seed(path);
			}
			free(ents[j]);
		}
		free(ents);
	}
	if (!seeds) {
		printf("FAIL: fuzz/%s: no seeds in", harness);
		for (int i = 1; i < argc; i++)
			printf(" %s", argv[i]);
		printf("\n");
		return 2;
	}
	if (failed) {
		printf("FAIL: fuzz/%s: %d of %d seeds failed\n", harness, failed, seeds);
		return 2;
	}
	printf("PASS: fuzz/%s: %d seed%s replayed\n", harness, seeds, seeds == 1 ? "" : "s");
	return 0;
}
