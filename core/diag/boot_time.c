/* boot_time.c — the boot timeline (boot_time.h). */
#include "diag/boot_time.h"
#include "base/err.h"
#include "base/buf.h"
#include "base/fs.h"
#include "init/boot_units.h"
#include "init/unit_load.h"
#include "init/unit_value.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define EFI_LOADER "sys/firmware/efi/efivars/%s-4a67b082-0a4c-41cf-b6c7-440b29bb8c4f"

static ssize_t slurp(int rootfd, const char *path, char *b, size_t cap)
{
	int fd = fs_open_beneath(rootfd, path, O_RDONLY | O_NONBLOCK, 0);
	if (fd < 0)
		return fd;
	ssize_t n = fs_read_upto(fd, b, cap - 1, 0);
	close(fd);
	b[n > 0 ? n : 0] = 0;
	return n;
}

/* An efivarfs file: 4 bytes of attributes, then a UTF-16LE decimal number. */
static uint64_t efi_usec(int rootfd, const char *name)
{
	char path[160], b[128];
	uint64_t v = 0;
	snprintf(path, sizeof(path), EFI_LOADER, name);
	ssize_t n = slurp(rootfd, path, b, sizeof(b));
	for (ssize_t i = 4; i + 1 < n && b[i] >= '0' && b[i] <= '9' && !b[i + 1] && v < UINT64_MAX / 10 - 10; i += 2)
		v = v * 10 + (uint64_t)(b[i] - '0');
	return v;
}

static int find(const struct boot_time *t, const char *name)
{
	for (int i = 0; i < t->nunit; i++)
		if (!strcmp(t->unit[i].name, name))
			return i;
	return -1;
}

static void read_units(int rootfd, struct boot_time *t)
{
	static char b[BOOT_UNITS_MAX + 1];
	if (slurp(rootfd, BOOT_UNITS_PATH, b, sizeof(b)) <= 0)
		return;
	for (char *p = b, *nl; *p; p = nl) {
		nl = p + strcspn(p, "\n");
		if (*nl)
			*nl++ = 0;
		char *end, *st, *name;
		uint64_t us = strtoull(p, &end, 10);
		if (*p < '0' || *p > '9' || *end != ' ' || !(name = strchr(st = end + 1, ' ')) ||
			strlen(name + 1) >= sizeof(t->unit[0].name))
			continue;
		*name++ = 0;
		if (!unit_ref_suffix(name)) /* keel init writes unit names only */
			continue;
		int i = find(t, name);
		if (i < 0 && t->nunit < BOOT_TUNITS_MAX) {
			i = t->nunit++;
			memset(&t->unit[i], 0, sizeof(t->unit[i]));
			strcpy(t->unit[i].name, name);
		}
		if (i < 0)
			continue;
		struct boot_tunit *u = &t->unit[i];
		if (!strcmp(st, "activating") && !u->activating)
			u->activating = us;
		/* active before the unit was activating is a forged or damaged line (kept, the time the
		 * unit took would wrap around) */
		if (!strcmp(st, "active") && !u->active && us >= u->activating)
			u->active = us, u->activating = u->activating ? u->activating : us;
		if (!strcmp(st, "failed") && !u->failed)
			u->failed = us;
	}
}

static void read_stages(int rootfd, struct boot_time *t)
{
	static char b[16384];
	if (slurp(rootfd, "run/keel/boot-stages", b, sizeof(b)) <= 0)
		return;
	for (char *p = b, *nl; *p && t->nstage < BOOT_STAGES_MAX; p = nl) {
		nl = p + strcspn(p, "\n");
		if (*nl)
			*nl++ = 0;
		char *end;
		uint64_t ms = strtoull(p, &end, 10);
		/* stage 1 appends its lines in time order: one earlier than the line before is forged or
		 * damaged (kept, it would make the durations after it wrap around) */
		if (*p < '0' || *p > '9' || *end != ' ' || ms > UINT64_MAX / 1000 ||
			(t->nstage && ms * 1000 < t->stage[t->nstage - 1].us))
			continue;
		t->stage[t->nstage].us = ms * 1000;
		size_t l = strnlen(end + 1, sizeof(t->stage[0].text) - 1);
		memcpy(t->stage[t->nstage].text, end + 1, l);
		t->stage[t->nstage++].text[l] = 0;
	}
	if (t->nstage < 2)
		return;
	t->stage1 = t->stage[0].us;
	t->end1 = t->stage[t->nstage - 1].us;
	t->end1_what = t->stage[t->nstage - 1].text;
}

static void add_edge(struct boot_time *t, int after, const char *name, int inverse)
{
	int j = find(t, name);
	if (j < 0 || j == after || t->nedge >= BOOT_EDGES_MAX)
		return;
	t->edge[t->nedge][0] = inverse ? j : after;
	t->edge[t->nedge++][1] = inverse ? after : j;
}

void boot_time_read(int rootfd, const char *root, const char *goal, struct boot_time *t)
{
	memset(t, 0, sizeof(*t));
	t->end1_what = "";
	t->goal = -1;
	t->fw_init = efi_usec(rootfd, "LoaderTimeInitUSec");
	t->fw_exec = efi_usec(rootfd, "LoaderTimeExecUSec");
	read_stages(rootfd, t);
	read_units(rootfd, t);
	for (int i = 0; i < t->nunit; i++)
		if (t->unit[i].active && !strcmp(t->unit[i].name, goal))
			t->goal = i;
	for (int i = 0; i < t->nunit && t->goal < 0; i++)
		if (t->unit[i].active > t->done)
			t->done = t->unit[i].active;
	for (int i = 0; i < t->nunit && t->goal < 0; i++)
		if (t->done && t->unit[i].active == t->done)
			t->goal = i;
	if (t->goal >= 0)
		t->done = t->unit[t->goal].active;
	struct unit_dirs d;
	struct kerr e = {0};
	if (unit_dirs_open(&d, root[0] ? root : "/", &e))
		return;
	for (int i = 0; i < t->nunit; i++) {
		struct unit u;
		enum unit_load load;
		if (unit_load(&d, t->unit[i].name, &u, &load, &e))
			continue;
		for (size_t k = 0; k < u.after.n; k++)
			add_edge(t, i, u.after.v[k], 0);
		for (size_t k = 0; k < u.before.n; k++)
			add_edge(t, i, u.before.v[k], 1);
		/* a target is ordered after what it wants or requires (systemd's default dependencies) */
		for (size_t k = 0; str_ends(t->unit[i].name, ".target") && k < u.wants.n + u.requires.n; k++)
			add_edge(t, i, k < u.wants.n ? u.wants.v[k] : u.requires.v[k - u.wants.n], 0);
		unit_free(&u);
	}
	unit_dirs_close(&d);
}

int boot_time_chain(const struct boot_time *t, int i, int *idx, int max)
{
	int n = 0;
	while (i >= 0 && n < max) {
		idx[n++] = i;
		int best = -1;
		uint64_t limit = t->unit[i].activating ? t->unit[i].activating : t->unit[i].active;
		for (int k = 0; k < t->nedge; k++) {
			int j = t->edge[k][1];
			if (t->edge[k][0] == i && t->unit[j].active && t->unit[j].active <= limit &&
			    (best < 0 || t->unit[j].active > t->unit[best].active))
				best = j;
		}
		i = best;
	}
	return n;
}
