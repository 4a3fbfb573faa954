/* boot_time_test.c — the boot timeline's parser (core/diag/boot_time.c): records beneath a root,
 * forged lines skipped, caps held, and a critical chain that ends even on an ordering cycle. */
#include "diag/boot_time.h"
#include "t.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static struct boot_time t;

static void mk(const char *dir)
{
	char p[4096];
	snprintf(p, sizeof(p), "%s/%s", t_tmpdir(), dir);
	for (char *s = p + strlen(t_tmpdir()) + 1; (s = strchr(s, '/')); *s++ = '/') {
		*s = 0;
		mkdir(p, 0755);
	}
	mkdir(p, 0755);
}

T_TEST(boot_time_records)
{
	mk("run/keel");
	mk("etc/systemd/system");
	const char *stages = "100 stage 1\nnot a number\n150 loaded modules\n99999999999999999999 overflow\n900 switch_root\n";
	t_write("run/keel/boot-stages", stages, strlen(stages));
	const char *units = "1000000 activating a.service\n1200000 active a.service\n1300000 activating b.service\n"
	                    "1600000 active b.service\n1700000 active a.service\n5 bogus\n 7 active x\n1800000 failed c.service\n"
	                    "1900000 active multi-user.target\n";
	t_write("run/keel/boot-units", units, strlen(units));
	const char *a = "[Unit]\nAfter=b.service\n[Service]\nExecStart=/bin/true\n", *b = "[Unit]\nAfter=a.service\n[Service]\nExecStart=/bin/true\n",
		   *m = "[Unit]\nWants=a.service b.service\n";
	t_write("etc/systemd/system/a.service", a, strlen(a));
	t_write("etc/systemd/system/b.service", b, strlen(b));
	t_write("etc/systemd/system/multi-user.target", m, strlen(m));
	int root = open(t_tmpdir(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	boot_time_read(root, t_tmpdir(), "multi-user.target", &t);
	t_check(t.nstage == 3 && t.stage1 == 100000 && t.end1 == 900000 && !strcmp(t.end1_what, "switch_root"),
	        "stage 1: 3 good lines (got %d), 100 ms .. 900 ms", t.nstage);
	t_check(t.nunit == 4, "4 units (forged lines skipped; got %d)", t.nunit);
	t_check(t.unit[0].activating == 1000000 && t.unit[0].active == 1200000, "a: the first activation counts");
	t_check(t.goal >= 0 && !strcmp(t.unit[t.goal].name, "multi-user.target") && t.done == 1900000, "goal reached at 1.9 s");
	t_check(!t.fw_init && !t.fw_exec, "no efivars: no loader times");
	int idx[16], n = boot_time_chain(&t, t.goal, idx, 16);
	t_check(n == 3 && !strcmp(t.unit[idx[1]].name, "b.service") && !strcmp(t.unit[idx[2]].name, "a.service"),
	        "chain: the target, b (active last), a (active before b started; got %d)", n);
	/* a and b are ordered after each other: the chain still ends (bounded by max) */
	t.unit[0].activating = t.unit[0].active = t.unit[1].activating = t.unit[1].active = 1000;
	n = boot_time_chain(&t, 0, idx, 16);
	t_check(n <= 16, "an ordering cycle ends (got %d)", n);
	close(root);
}

T_TEST(boot_time_caps)
{
	mk("caps/run/keel");
	char *big = malloc(2 << 20);
	size_t len = 0;
	for (int i = 0; i < BOOT_TUNITS_MAX + 50 && len < (2u << 20) - 64; i++)
		len += (size_t)sprintf(big + len, "%d active u%d.service\n", 1000 + i, i);
	/* a name longer than a unit name may be */
	len += (size_t)sprintf(big + len, "5 active ");
	memset(big + len, 'n', 300);
	len += 300;
	big[len++] = '\n';
	t_write("caps/run/keel/boot-units", big, len);
	char p[4096];
	snprintf(p, sizeof(p), "%s/caps", t_tmpdir());
	int root = open(p, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	boot_time_read(root, p, "multi-user.target", &t);
	t_check(t.nunit <= BOOT_TUNITS_MAX, "at most %d units (got %d)", BOOT_TUNITS_MAX, t.nunit);
	t_check(t.goal >= 0 && t.done > 0, "no goal unit: the last one active stands in");
	for (int i = 0; i < t.nunit; i++)
		t_check(strlen(t.unit[i].name) < sizeof(t.unit[i].name) && t.unit[i].name[0] == 'u', "unit %d named", i);
	close(root);
	free(big);
}

/* Records out of order are forged or damaged: a stage-1 line earlier than the one before, a unit
 * active before it was activating, an empty or invalid unit name; each is skipped, so no duration
 * `keel diag boot` prints can wrap around. */
T_TEST(boot_time_order)
{
	mk("order/run/keel");
	const char *stages = "100 stage 1\n150 loaded modules\n120 earlier than the line before\n900 switch_root\n";
	const char *units = "1000 activating a.service\n900 active a.service\n1100 active \n1200 active not/a/unit\n"
	                    "1300 active b.service\n";
	t_write("order/run/keel/boot-stages", stages, strlen(stages));
	t_write("order/run/keel/boot-units", units, strlen(units));
	char p[4096];
	snprintf(p, sizeof(p), "%s/order", t_tmpdir());
	int root = open(p, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	boot_time_read(root, p, "b.service", &t);
	t_check(t.nstage == 3 && t.end1 == 900000, "stage 1: the line earlier than the one before skipped (got %d)", t.nstage);
	t_check(t.nunit == 2 && !strcmp(t.unit[0].name, "a.service") && !strcmp(t.unit[1].name, "b.service"),
		"units: empty and invalid names skipped (got %d)", t.nunit);
	t_check(t.unit[0].activating == 1000 && t.unit[0].active == 0, "a: active before activating skipped");
	close(root);
}
