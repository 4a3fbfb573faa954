/* diag_snap.c — libFuzzer harness for core/diag/diff.c: a support bundle read as untrusted input
 * (a .tar.zst or .tar from another machine).
 *
 * Invariants: a bundle that reads has every item both in the archive and in the manifest with
 * the sha256 computed from its bytes, names below the limit, kept texts of their size; a bundle
 * compared with itself has no change; compared with an empty one, every change has a key and
 * exactly one side. An error always says why.
 */
#include "base/err.h"
#include "diag/diff.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void check(int cond, const char *what)
{
	if (!cond) {
		fprintf(stderr, "diag_snap fuzz: %s\n", what);
		abort();
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct diag_snap s, empty;
	struct diag_changes c;
	struct kerr e = {0};
	int ret = diag_snap_read(data, size, &s, &e);
	if (ret) {
		check(e.msg[0] != 0 && s.n == 0, "an error without a message, or items left");
		return 0;
	}
	for (int i = 0; i < s.n; i++) {
		const struct diag_snap_item *it = &s.item[i];
		check(it->in_tar && it->in_manifest && !memcmp(it->sha, it->msha, 32), "an item not checked");
		check(strlen(it->name) < sizeof(it->name) && it->name[0], "a bad name");
		check(!it->text || (it->len == it->size && strlen(it->text) <= it->len), "a kept text of another size");
	}
	check(!diag_diff(&s, &s, 1, &c) && c.n == 0, "a bundle differs from itself");
	diag_changes_free(&c);
	check(!diag_diff(&s, &empty, 1, &c), "diff with an empty bundle");
	for (size_t i = 0; i < c.n; i++)
		check(c.v[i].key && c.v[i].section && c.v[i].a && !c.v[i].b, "a change without a key or with both sides");
	diag_changes_free(&c);
	diag_snap_free(&s);
	return 0;
}
