/* evidence_test.c — what a failed boot keeps on STATE (core/diag/evidence.c): numbered files,
 * the newest EVIDENCE_KEEP kept, each bounded, found again by evidence_last. */
#include "diag/evidence.h"
#include "t.h"

#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

T_TEST(evidence_keep_bounded)
{
	char path[4096];
	unsigned n = 99;
	int root = open(t_tmpdir(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	t_check(evidence_last(root, &n) == 0 && n == 0, "nothing kept yet: last 0, count 0 (got count %u)", n);
	for (int i = 1; i <= 7; i++) {
		char why[64];
		snprintf(why, sizeof(why), "failure number %d", i);
		t_check(evidence_save(root, "/run/keel", why) == i, "save %d is number %d", i, i);
	}
	t_check(evidence_last(root, &n) == 7 && n == EVIDENCE_KEEP, "last 7, %d kept (got %u)", EVIDENCE_KEEP, n);
	for (int i = 1; i <= 7; i++) {
		struct stat st;
		snprintf(path, sizeof(path), "%s/" EVIDENCE_DIR "/%d.txt", t_tmpdir(), i);
		int there = !stat(path, &st);
		t_check(there == (i > 7 - EVIDENCE_KEEP), "%d.txt %s", i, i > 2 ? "kept" : "dropped (oldest first)");
		t_check(!there || (st.st_size <= EVIDENCE_SIZE && (st.st_mode & 0777) == 0600), "%d.txt: bounded, 0600", i);
	}
	char b[256] = {0};
	snprintf(path, sizeof(path), "%s/" EVIDENCE_DIR "/7.txt", t_tmpdir());
	FILE *f = fopen(path, "r");
	t_check(f && fgets(b, sizeof(b), f) && !strcmp(b, "keel: failure number 7\n"), "7.txt starts with the reason: %s", b);
	if (f)
		fclose(f);
	/* a foreign file in the directory is neither counted nor removed */
	snprintf(path, sizeof(path), "%s/" EVIDENCE_DIR "/notes", t_tmpdir());
	close(open(path, O_WRONLY | O_CREAT, 0600));
	t_check(evidence_save(root, "/run/keel", "again") == 8 && !access(path, F_OK), "8 written, the foreign file kept");
	t_check(evidence_last(root, &n) == 8 && n == EVIDENCE_KEEP, "still %d kept (got %u)", EVIDENCE_KEEP, n);
	close(root);
}

/* STATE is not trusted: a symlink planted in the evidence path is not followed, nothing is
 * created or written where it points. */
T_TEST(evidence_planted_symlink)
{
	char root[2048], out[2048], p[4200];
	snprintf(root, sizeof(root), "%s/ev-planted", t_tmpdir());
	snprintf(out, sizeof(out), "%s/ev-outside", t_tmpdir());
	mkdir(root, 0755);
	mkdir(out, 0755);
	snprintf(p, sizeof(p), "%s/var", root);
	t_check(!symlink(out, p), "plant var -> outside");
	int fd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	t_check(evidence_save(fd, "/run/keel", "x") < 0, "refused: var is a symlink");
	snprintf(p, sizeof(p), "%s/lib", out);
	t_check(access(p, F_OK) != 0, "nothing created through the symlink");
	unsigned n = 9;
	t_check(evidence_last(fd, &n) < 0 && n == 0, "evidence_last refuses it too");
	close(fd);
}
