/* main.c — runs every registered unit test (or those named on the command line). */
#include "t.h"
#include "base/applet.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const struct applet unit_applet = {"unit", NULL, "unit tests", NULL, 0};

#define MAX_TESTS 512
static struct { const char *name; void (*fn)(void); } tests[MAX_TESTS];
static int ntests;
static long passed, failed;
static int cur_failed;
static char tmpdir[256];

void t_register(const char *name, void (*fn)(void))
{
	if (ntests == MAX_TESTS) {
		fprintf(stderr, "too many unit tests\n");
		exit(3);
	}
	tests[ntests].name = name;
	tests[ntests++].fn = fn;
}

void t_report(int ok, const char *file, int line, const char *fmt, ...)
{
	if (ok) {
		passed++;
		return;
	}
	va_list ap;
	va_start(ap, fmt);
	printf("FAIL: %s:%d: ", file, line);
	vprintf(fmt, ap);
	printf("\n");
	va_end(ap);
	failed++;
	cur_failed++;
}

const char *t_tmpdir(void)
{
	if (!tmpdir[0]) {
		const char *base = getenv("TMPDIR");
		snprintf(tmpdir, sizeof(tmpdir), "%s/keel-unit-XXXXXX", base ? base : "/tmp");
		if (!mkdtemp(tmpdir)) {
			perror("mkdtemp");
			exit(3);
		}
	}
	return tmpdir;
}

const char *t_write(const char *name, const void *data, size_t len)
{
	static char path[512];
	snprintf(path, sizeof(path), "%s/%s", t_tmpdir(), name);
	FILE *f = fopen(path, "wb");
	if (!f || fwrite(data, 1, len, f) != len || fclose(f)) {
		perror(path);
		exit(3);
	}
	return path;
}

static void cleanup(void)
{
	if (tmpdir[0]) {
		char cmd[300];
		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
		if (system(cmd) != 0)
			fprintf(stderr, "could not remove %s\n", tmpdir);
	}
}

int main(int argc, char **argv)
{
	keel_applet = &unit_applet;
	atexit(cleanup);
	setvbuf(stdout, NULL, _IOLBF, 0);
	for (int i = 0; i < ntests; i++) {
		int want = argc < 2;
		for (int j = 1; j < argc; j++)
			want |= !strcmp(argv[j], tests[i].name);
		if (!want)
			continue;
		cur_failed = 0;
		tests[i].fn();
		if (!cur_failed)
			printf("PASS: %s\n", tests[i].name);
	}
	printf("RESULT: %ld %ld\n", passed, failed);
	return failed ? 1 : 0;
}
