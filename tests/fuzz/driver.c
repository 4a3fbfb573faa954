/* driver.c — replays a fuzz harness's seed corpus without libFuzzer (the ASan+UBSan build that
 * ./build.sh test runs). Arguments are files or directories; each file is one input, reported as
 * "PASS: fuzz/HARNESS: FILE" when the harness returns without a sanitizer report. */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int run_file(const char *harness, const char *path)
{
	FILE *f = fopen(path, "rb");
	if (!f) {
		printf("FAIL: fuzz/%s: cannot open %s\n", harness, path);
		return 1;
	}
	uint8_t *data = NULL;
	size_t len = 0, cap = 0;
	for (;;) {
		if (len == cap) {
			cap = cap ? cap * 2 : 4096;
			uint8_t *p = realloc(data, cap);
			if (!p)
				abort();
			data = p;
		}
		size_t r = fread(data + len, 1, cap - len, f);
		if (!r)
			break;
		len += r;
	}
	fclose(f);
	/* an exact-size copy so ASan sees reads past the input */
	uint8_t *exact = malloc(len ? len : 1);
	if (!exact)
		abort();
	memcpy(exact, data, len);
	free(data);
	LLVMFuzzerTestOneInput(exact, len);
	free(exact);
	printf("PASS: fuzz/%s: %s\n", harness, path);
	return 0;
}

int main(int argc, char **argv)
{
	const char *harness = strrchr(argv[0], '/') ? strrchr(argv[0], '/') + 1 : argv[0];
	int bad = 0, files = 0;
	setvbuf(stdout, NULL, _IOLBF, 0);
	for (int i = 1; i < argc; i++) {
		struct stat st;
		if (stat(argv[i], &st)) {
			printf("FAIL: fuzz/%s: %s missing\n", harness, argv[i]);
			bad = 1;
			continue;
		}
		if (!S_ISDIR(st.st_mode)) {
			bad |= run_file(harness, argv[i]);
			files++;
			continue;
		}
		struct dirent **ents;
		int n = scandir(argv[i], &ents, NULL, alphasort);
		for (int j = 0; j < n; j++) {
			char path[4096];
			if (ents[j]->d_name[0] != '.') {
				snprintf(path, sizeof(path), "%s/%s", argv[i], ents[j]->d_name);
				bad |= run_file(harness, path);
				files++;
			}
			free(ents[j]);
		}
		free(n >= 0 ? ents : NULL);
	}
	if (!files) {
		printf("FAIL: fuzz/%s: empty corpus\n", harness);
		bad = 1;
	}
	return bad;
}
