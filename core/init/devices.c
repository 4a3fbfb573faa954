/* devices.c — DevicePolicy=/DeviceAllow= as a cgroup device BPF program. See devices.h; the rules
 * are systemd.resource-control(5) of systemd 252 (its "auto devices" are the list in
 * src/core/cgroup.c), written anew. */
#include "init/devices.h"
#include "base/buf.h"
#include "base/err.h"
#include "base/fnm.h"
#include "base/fs.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/bpf.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <unistd.h>

int dev_policy_parse(const char *v, uint8_t *out)
{
	static const char names[][8] = {"auto", "closed", "strict"};
	if (!*v)
		return *out = DEV_AUTO, 0;
	for (uint8_t i = 0; i < 3; i++)
		if (!strcmp(v, names[i]))
			return *out = i, 0;
	return -EINVAL;
}

/* "SPEC[ ACCESS]": the length of SPEC and the access bits. */
static int split_allow(const char *v, size_t *sl, uint8_t *acc, const char **why)
{
	size_t n = strcspn(v, " \t");
	const char *a = v + n + strspn(v + n, " \t");
	*sl = n;
	*acc = *a ? 0 : 7;
	for (; *a; a++) {
		const char *p = strchr("mrw", *a);
		if (!p) {
			*why = "access is a combination of r, w and m";
			return -EINVAL;
		}
		*acc |= (uint8_t)(1 << (p - "mrw"));
	}
	/* a path stays below /dev: PID 1 stat()s it, and only devtmpfs is there */
	bool dotdot = false;
	for (size_t i = 0; i + 1 < n && !dotdot; i++)
		dotdot = v[i] == '/' && v[i + 1] == '.' && i + 2 <= n && (i + 2 == n || v[i + 2] == '/' ||
			(v[i + 2] == '.' && (i + 3 == n || v[i + 3] == '/')));
	if ((n > 5 && !strncmp(v, "/dev/", 5) && !dotdot) || (n > 5 && !strncmp(v, "char-", 5)) ||
		(n > 6 && !strncmp(v, "block-", 6)))
		return 0;
	*why = "expected a path below /dev, char-NAME or block-NAME";
	return -EINVAL;
}

int dev_allow_check(const char *v, const char **why)
{
	size_t n;
	uint8_t acc;
	return split_allow(v, &n, &acc, why);
}

int dev_effective(uint8_t policy, size_t nallow, bool private_devices, bool protect_clock)
{
	if (private_devices && policy == DEV_AUTO)
		policy = DEV_CLOSED;
	if (policy == DEV_AUTO && !nallow)
		return -1; /* "only add these if needed, as they imply that everything else is blocked" */
	return policy | (protect_clock ? DEV_RTC : 0);
}

static int add(struct dev_rule *out, size_t cap, size_t *n, char type, int32_t major, int32_t minor, uint8_t acc)
{
	if (*n >= cap)
		return -E2BIG;
	out[(*n)++] = (struct dev_rule){.type = type, .major = major, .minor = minor, .acc = acc};
	return 0;
}

/* Every major of /proc/devices' section ("Character devices:" / "Block devices:") whose name
 * matches the glob name[0..nl). */
static int add_majors(const char *procdev, char type, const char *name, size_t nl, uint8_t acc, struct dev_rule *out,
	size_t cap, size_t *n)
{
	char glob[64];
	if (nl >= sizeof(glob))
		return -EINVAL;
	memcpy(glob, name, nl);
	glob[nl] = 0;
	bool in = false;
	for (const char *p = procdev; *p;) {
		size_t ll = strcspn(p, "\n");
		char line[80];
		if (ll < sizeof(line)) {
			memcpy(line, p, ll);
			line[ll] = 0;
			if (!strcmp(line, "Character devices:") || !strcmp(line, "Block devices:"))
				in = (line[0] == 'C') == (type == 'c');
			else if (in) {
				char *end;
				const char *s = line + strspn(line, " ");
				long major = strtol(s, &end, 10);
				if (end != s && *end == ' ' && major >= 0 && major < 4096 && !fnm_match(glob, end + 1, 0)) {
					int ret = add(out, cap, n, type, (int32_t)major, -1, acc);
					if (ret)
						return ret;
				}
			}
		}
		p += ll + (p[ll] == '\n');
	}
	return 0;
}

int dev_rules(uint8_t policy, const struct strv *allow, const char *procdev, struct dev_rule *out, size_t cap)
{
	/* systemd's auto devices (null zero full random urandom tty ptmx, numbers of
	 * Documentation/admin-guide/devices.txt), and the pty slaves read-write */
	static const uint8_t pseudo[][2] = {{1, 3}, {1, 5}, {1, 7}, {1, 8}, {1, 9}, {5, 0}, {5, 2}};
	size_t n = 0;
	int ret = 0;
	if ((policy & DEV_POLICY_MASK) != DEV_STRICT) {
		for (size_t i = 0; i < sizeof(pseudo) / sizeof(pseudo[0]) && !ret; i++)
			ret = add(out, cap, &n, 'c', pseudo[i][0], pseudo[i][1], 7);
		if (!ret)
			ret = add_majors(procdev, 'c', "pts", 3, 6, out, cap, &n);
	}
	if (!ret && (policy & DEV_RTC)) /* ProtectClock=: "char-rtc r" */
		ret = add_majors(procdev, 'c', "rtc", 3, 2, out, cap, &n);
	for (size_t i = 0; i < allow->n && !ret; i++) {
		const char *v = allow->v[i], *why;
		size_t sl;
		uint8_t acc;
		if ((ret = split_allow(v, &sl, &acc, &why)))
			break;
		if (v[0] != '/') {
			bool chr = v[0] == 'c';
			ret = add_majors(procdev, chr ? 'c' : 'b', v + (chr ? 5 : 6), sl - (chr ? 5 : 6), acc, out, cap, &n);
			continue;
		}
		char path[256];
		struct stat st;
		if (sl >= sizeof(path))
			return -ENAMETOOLONG;
		memcpy(path, v, sl);
		path[sl] = 0;
		if (stat(path, &st))
			continue; /* systemd skips a node that is not there */
		if (S_ISCHR(st.st_mode) || S_ISBLK(st.st_mode))
			ret = add(out, cap, &n, S_ISCHR(st.st_mode) ? 'c' : 'b', (int32_t)major(st.st_rdev),
				(int32_t)minor(st.st_rdev), acc);
	}
	return ret ? ret : (int)n;
}

#define INSN(c, d, s, o, i) ((struct bpf_insn){.code = (c), .dst_reg = (d), .src_reg = (s), .off = (o), .imm = (i)})

int dev_program(const struct dev_rule *r, size_t n, struct bpf_insn *insn, size_t cap)
{
	/* r1 = ctx (struct bpf_cgroup_dev_ctx: access_type = access << 16 | type, major, minor) */
	struct bpf_insn head[] = {
		INSN(BPF_LDX | BPF_MEM | BPF_W, 2, 1, 0, 0),      /* r2 = access_type */
		INSN(BPF_ALU | BPF_AND | BPF_K, 2, 0, 0, 0xffff), /* r2 = type */
		INSN(BPF_LDX | BPF_MEM | BPF_W, 3, 1, 0, 0),
		INSN(BPF_ALU | BPF_RSH | BPF_K, 3, 0, 0, 16),    /* r3 = access asked for */
		INSN(BPF_LDX | BPF_MEM | BPF_W, 4, 1, 4, 0),      /* r4 = major */
		INSN(BPF_LDX | BPF_MEM | BPF_W, 5, 1, 8, 0),      /* r5 = minor */
	};
	size_t k = sizeof(head) / sizeof(head[0]);
	if (k > cap)
		return -E2BIG;
	memcpy(insn, head, sizeof(head));
	for (size_t i = 0; i < n; i++) {
		struct bpf_insn t[6];
		size_t m = 0;
		uint8_t deny = (uint8_t)(~r[i].acc & 7);
		t[m++] = INSN(BPF_JMP | BPF_JNE | BPF_K, 2, 0, 0, r[i].type == 'c' ? BPF_DEVCG_DEV_CHAR : BPF_DEVCG_DEV_BLOCK);
		if (r[i].major >= 0)
			t[m++] = INSN(BPF_JMP | BPF_JNE | BPF_K, 4, 0, 0, r[i].major);
		if (r[i].minor >= 0)
			t[m++] = INSN(BPF_JMP | BPF_JNE | BPF_K, 5, 0, 0, r[i].minor);
		if (deny) /* an access the rule does not grant: not this rule */
			t[m++] = INSN(BPF_JMP | BPF_JSET | BPF_K, 3, 0, 0, deny);
		for (size_t j = 0; j < m; j++) /* each jump skips to the next rule */
			t[j].off = (int16_t)(m - j - 1 + 2);
		t[m++] = INSN(BPF_ALU64 | BPF_MOV | BPF_K, 0, 0, 0, 1);
		t[m++] = INSN(BPF_JMP | BPF_EXIT, 0, 0, 0, 0);
		if (k + m > cap)
			return -E2BIG;
		memcpy(insn + k, t, m * sizeof(t[0]));
		k += m;
	}
	if (k + 2 > cap)
		return -E2BIG;
	insn[k++] = INSN(BPF_ALU64 | BPF_MOV | BPF_K, 0, 0, 0, 0);
	insn[k++] = INSN(BPF_JMP | BPF_EXIT, 0, 0, 0, 0);
	return (int)k;
}

int dev_attach(int cgfd, uint8_t policy, const struct strv *allow, struct kerr *e)
{
	struct dev_rule rules[DEV_RULES_MAX];
	struct bpf_insn prog[6 + DEV_RULES_MAX * 6 + 2];
	struct buf pd;
	int ret, fd, n;
	buf_init(&pd, 65536);
	fd = open("/proc/devices", O_RDONLY | O_CLOEXEC);
	if (fd < 0 || (ret = fs_read_fd(fd, 65536, &pd)) || (ret = buf_putc(&pd, 0))) {
		ret = fd < 0 ? -errno : ret;
		if (fd >= 0)
			close(fd);
		buf_free(&pd);
		return kerr_set(e, ret, "DeviceAllow=: /proc/devices: %s", strerror(-ret));
	}
	close(fd);
	n = dev_rules(policy, allow, (const char *)pd.p, rules, DEV_RULES_MAX);
	buf_free(&pd);
	if (n < 0)
		return kerr_set(e, n, "DeviceAllow=: %s", n == -E2BIG ? "more than 64 device rules" : strerror(-n));
	if ((n = dev_program(rules, (size_t)n, prog, sizeof(prog) / sizeof(prog[0]))) < 0)
		return kerr_set(e, n, "DeviceAllow=: program too long");
	union bpf_attr a;
	memset(&a, 0, sizeof(a));
	a.prog_type = BPF_PROG_TYPE_CGROUP_DEVICE;
	a.insns = (uint64_t)(uintptr_t)prog;
	a.insn_cnt = (uint32_t)n;
	a.license = (uint64_t)(uintptr_t) "GPL";
	int pfd = (int)syscall(SYS_bpf, BPF_PROG_LOAD, &a, sizeof(a));
	if (pfd < 0)
		return kerr_set(e, -errno, "DevicePolicy=/DeviceAllow=: load the cgroup device program: %s", strerror(errno));
	memset(&a, 0, sizeof(a));
	a.target_fd = (uint32_t)cgfd;
	a.attach_bpf_fd = (uint32_t)pfd;
	a.attach_type = BPF_CGROUP_DEVICE;
	a.attach_flags = BPF_F_ALLOW_MULTI;
	ret = syscall(SYS_bpf, BPF_PROG_ATTACH, &a, sizeof(a)) ? -errno : 0;
	close(pfd);
	return ret ? kerr_set(e, ret, "DevicePolicy=/DeviceAllow=: attach to the cgroup: %s", strerror(-ret)) : 0;
}
