/* mountinfo_test.c — base/mountinfo: lines as the kernel writes them (proc(5), show_mountinfo:
 * optional fields, the " - " separator, \040-style escapes in root, mount point and source) next
 * to forged and damaged ones, which are skipped. */
#include "t.h"
#include "base/mountinfo.h"

#include <stdio.h>
#include <string.h>

T_TEST(mountinfo_table)
{
	/* want: each entry "root|mp|opts|fstype|source|super" joined by ';' */
	static const struct { const char *in, *want; } cases[] = {
		{"22 1 8:1 / / rw,relatime shared:1 - ext4 /dev/sda1 rw\n", "/|/|rw,relatime|ext4|/dev/sda1|rw"},
		/* no optional field, no trailing newline */
		{"25 22 0:22 / /proc rw,nosuid - proc proc rw", "/|/proc|rw,nosuid|proc|proc|rw"},
		/* every optional field the kernel writes */
		{"40 22 0:35 /x /mnt/a ro shared:2 master:3 propagate_from:4 unbindable - tmpfs none rw,size=4k\n",
		 "/x|/mnt/a|ro|tmpfs|none|rw,size=4k"},
		/* escapes: space, tab, newline, backslash in root, mount point and source; not in options */
		{"41 22 0:36 /a\\040b /mnt/my\\040disk\\011x\\012y\\134z rw\\040x - fuse src\\040one rw\n",
		 "/a b|/mnt/my disk\tx\ny\\z|rw\\040x|fuse|src one|rw"},
		/* what the kernel never escapes stays as it is: \000 (no NUL), \101 ('A'), \4 out of range, \08 not octal, a
		 * lone backslash at the end */
		{"43 22 0:37 /\\000 /m\\101\\000x rw - tmpfs \\000 rw\n", "/\\000|/m\\101\\000x|rw|tmpfs|\\000|rw"},
		{"42 22 0:37 / /m\\400\\08\\ rw - tmpfs t\\ rw\n", "/|/m\\400\\08\\|rw|tmpfs|t\\|rw"},
		/* no super options (older kernels' tests): "" */
		{"43 22 0:38 / /n rw - tmpfs tmpfs\n", "/|/n|rw|tmpfs|tmpfs|"},
		/* runs of spaces separate like one */
		{"44  22 0:39 /  /o  rw  -  tmpfs  t  rw\n", "/|/o|rw|tmpfs|t|rw"},
		/* forged or damaged lines are skipped, the good ones around them kept */
		{"garbage\n\n45 22 0:40 / /p rw - tmpfs t rw\n", "/|/p|rw|tmpfs|t|rw"},
		{"46 22 0:41 / /q rw tmpfs t rw\n", ""},           /* no separator */
		{"47 22 0:42 / /r rw - tmpfs\n", ""},              /* no source */
		{"48 22 0:43 / - tmpfs t rw\n", ""},              /* the separator too early: fewer than six fields before it */
		{"48 22 0:43 / - rw - tmpfs t rw\n", "/|-|rw|tmpfs|t|rw"}, /* a mount point named "-" */
		{"49 22 0:44 /s\n50 22 0:45 / /t rw - xfs /dev/x rw\n", "/|/t|rw|xfs|/dev/x|rw"},
		{"", ""},
	};
	for (size_t i = 0; i < T_LEN(cases); i++) {
		char text[512], got[512] = "";
		size_t n = strlen(cases[i].in), o = 0;
		memcpy(text, cases[i].in, n + 1);
		struct mountinfo_iter it;
		struct mountinfo m;
		mountinfo_init(&it, text, n);
		while (mountinfo_next(&it, &m))
			o += (size_t)snprintf(got + o, sizeof(got) - o, "%s%s|%s|%s|%s|%s|%s", o ? ";" : "", m.root, m.mp, m.opts,
				m.fstype, m.source, m.super);
		t_check(!strcmp(got, cases[i].want), "case %zu: got '%s', want '%s'", i, got, cases[i].want);
	}
}

T_TEST(mountinfo_two_lines_and_end)
{
	char text[] = "1 0 0:1 / / rw - rootfs rootfs rw\n2 1 0:2 / /run rw,nosuid,nodev shared:5 - tmpfs tmpfs rw,mode=755\n";
	struct mountinfo_iter it;
	struct mountinfo m;
	mountinfo_init(&it, text, strlen(text));
	t_check(mountinfo_next(&it, &m) && !strcmp(m.mp, "/") && !strcmp(m.fstype, "rootfs"), "first line");
	t_check(mountinfo_next(&it, &m) && !strcmp(m.mp, "/run") && !strcmp(m.super, "rw,mode=755"), "second line");
	t_check(!mountinfo_next(&it, &m) && !mountinfo_next(&it, &m), "then the end, and it stays there");
	mountinfo_init(&it, NULL, 0);
	t_check(!mountinfo_next(&it, &m), "no text: no line");
}
