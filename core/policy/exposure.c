/* exposure.c — systemd-analyze security's assessment of a service (see exposure.h), written anew
 * from the facts of systemd 252's src/analyze/analyze-security.c: the check table (names,
 * weights, ranges) in its order, how each check grades a setting, and the exposure sum. */
#include "policy/exposure.h"
#include "base/err.h"
#include "init/svc_sandbox.h"

#include <arpa/inet.h>
#include <errno.h>
#include <linux/capability.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

enum kind {
	K_USER, K_SUPP, K_BOOL, K_HOME, K_SYSTEM, K_ROOT, K_CAP, K_UMASK, K_KEYRING, K_PROC, K_SUBSET, K_NOTIFY,
	K_RMIPC, K_DELEGATE, K_NS, K_AF, K_ARCH, K_SC, K_IP, K_DEV, K_AMBIENT,
};
#define DDO 0x80 /* systemd's default_dependencies_only: does not apply with DefaultDependencies=no */

/* Booleans of the assessment (K_BOOL, K_AF: badness = !b[param]). */
enum { B_PDEV, B_PMNT, B_PNET, B_PTMP, B_PUSERS, B_CG, B_MOD, B_TUN, B_LOGS, B_CLOCK, B_HOST, B_PERS, B_MDWE, B_NNP,
	B_RT, B_SUID, B_INET, B_UNIX, B_NETLINK, B_PACKET, B_OTHER, B_N };

/* Rows of systemd's table in its order: kind (| DDO), weight and range (index into weights[] and
 * ranges[]: the weight in the low nibble), and a parameter: a B_* boolean, a CLONE_NEW* bit number
 * (K_NS), or nothing (K_CAP rows take caps[] in order). */
#define W(w, r) ((w) | (r) << 4)
static const uint16_t weights[] = {2000, 200, 1000, 2500, 50, 100, 1500, 500, 75, 25, 250, 700, 1250, 10};
static const uint8_t ranges[] = {1, 3, 10};
static const uint8_t chks[UX_CHECKS][3] = {
	{K_USER, W(0, 2), 0}, {K_SUPP, W(1, 0), 0}, {K_BOOL, W(2, 0), B_PDEV}, {K_BOOL, W(2, 0), B_PMNT},
	{K_BOOL, W(3, 0), B_PNET}, {K_BOOL | DDO, W(2, 0), B_PTMP}, {K_BOOL, W(2, 0), B_PUSERS},
	{K_BOOL, W(2, 0), B_CG}, {K_BOOL, W(2, 0), B_MOD}, {K_BOOL, W(2, 0), B_TUN}, {K_BOOL, W(2, 0), B_LOGS},
	{K_BOOL, W(2, 0), B_CLOCK}, {K_HOME | DDO, W(2, 2), 0}, {K_BOOL, W(4, 0), B_HOST}, {K_SYSTEM | DDO, W(2, 2), 0},
	{K_ROOT | DDO, W(1, 0), 0}, {K_BOOL, W(5, 0), B_PERS}, {K_BOOL, W(5, 0), B_MDWE}, {K_BOOL, W(2, 0), B_NNP},
	{K_CAP, W(6, 0), 0}, {K_CAP, W(6, 0), 0}, {K_CAP, W(6, 0), 0}, {K_CAP, W(2, 0), 0}, {K_CAP, W(2, 0), 0},
	{K_CAP, W(2, 0), 0}, {K_CAP, W(2, 0), 0}, {K_CAP, W(7, 0), 0}, {K_CAP, W(7, 0), 0}, {K_CAP, W(7, 0), 0},
	{K_CAP, W(7, 0), 0}, {K_CAP, W(2, 0), 0}, {K_CAP, W(2, 0), 0}, {K_CAP, W(7, 0), 0}, {K_CAP, W(7, 0), 0},
	{K_CAP, W(5, 0), 0}, {K_CAP, W(5, 0), 0}, {K_CAP, W(8, 0), 0}, {K_CAP, W(4, 0), 0}, {K_CAP, W(4, 0), 0},
	{K_CAP, W(9, 0), 0}, {K_CAP, W(9, 0), 0}, {K_CAP, W(9, 0), 0}, {K_CAP, W(9, 0), 0}, {K_CAP, W(9, 0), 0},
	{K_CAP, W(9, 0), 0}, {K_UMASK, W(5, 2), 0}, {K_KEYRING, W(2, 0), 0}, {K_PROC, W(2, 1), 0},
	{K_SUBSET, W(13, 0), 0}, {K_NOTIFY, W(2, 0), 0}, {K_RMIPC, W(5, 0), 0}, {K_DELEGATE, W(5, 0), 0},
	{K_BOOL, W(7, 0), B_RT}, {K_BOOL, W(2, 0), B_SUID}, {K_NS, W(6, 0), 28}, {K_NS, W(7, 0), 17},
	{K_NS, W(7, 0), 27}, {K_NS, W(7, 0), 29}, {K_NS, W(7, 0), 25}, {K_NS, W(7, 0), 30}, {K_NS, W(5, 0), 26},
	{K_AF, W(6, 0), B_INET}, {K_AF, W(9, 0), B_UNIX}, {K_AF, W(1, 0), B_NETLINK}, {K_AF, W(2, 0), B_PACKET},
	{K_AF, W(12, 0), B_OTHER}, {K_ARCH, W(2, 2), 0}, {K_SC, W(2, 2), 0}, {K_SC, W(10, 2), 0}, {K_SC, W(2, 2), 0},
	{K_SC, W(10, 2), 0}, {K_SC, W(2, 2), 0}, {K_SC, W(2, 2), 0}, {K_SC, W(2, 2), 0}, {K_SC, W(2, 2), 0},
	{K_SC, W(2, 2), 0}, {K_SC, W(11, 2), 0}, {K_SC, W(11, 2), 0}, {K_IP, W(2, 2), 0}, {K_DEV, W(2, 2), 0},
	{K_AMBIENT, W(7, 0), 0},
};
#define FIRST_CAP 19
#define C(x) (1ull << CAP_##x)
static const uint64_t caps[] = {C(SYS_ADMIN), C(SETUID) | C(SETGID) | C(SETPCAP), C(SYS_PTRACE), C(SYS_TIME),
	C(NET_ADMIN), C(SYS_RAWIO), C(SYS_MODULE), C(AUDIT_CONTROL) | C(AUDIT_READ) | C(AUDIT_WRITE), C(SYSLOG),
	C(SYS_NICE) | C(SYS_RESOURCE), C(MKNOD), C(CHOWN) | C(FSETID) | C(SETFCAP),
	C(DAC_OVERRIDE) | C(DAC_READ_SEARCH) | C(FOWNER) | C(IPC_OWNER), C(KILL),
	C(NET_BIND_SERVICE) | C(NET_BROADCAST) | C(NET_RAW), C(SYS_BOOT), C(MAC_ADMIN) | C(MAC_OVERRIDE),
	C(LINUX_IMMUTABLE), C(IPC_LOCK), C(SYS_CHROOT), C(BLOCK_SUSPEND), C(WAKE_ALARM), C(LEASE), C(SYS_TTY_CONFIG),
	C(SYS_PACCT), C(BPF)};

/* The names, in table order; K_CAP, K_NS, K_AF and K_SC rows carry only what follows "=~". */
static const char names[] =
	"User=/DynamicUser=\0SupplementaryGroups=\0PrivateDevices=\0PrivateMounts=\0PrivateNetwork=\0PrivateTmp=\0"
	"PrivateUsers=\0ProtectControlGroups=\0ProtectKernelModules=\0ProtectKernelTunables=\0ProtectKernelLogs=\0"
	"ProtectClock=\0ProtectHome=\0ProtectHostname=\0ProtectSystem=\0RootDirectory=/RootImage=\0LockPersonality=\0"
	"MemoryDenyWriteExecute=\0NoNewPrivileges=\0CAP_SYS_ADMIN\0CAP_SET(UID|GID|PCAP)\0CAP_SYS_PTRACE\0"
	"CAP_SYS_TIME\0CAP_NET_ADMIN\0CAP_SYS_RAWIO\0CAP_SYS_MODULE\0CAP_AUDIT_*\0CAP_SYSLOG\0"
	"CAP_SYS_(NICE|RESOURCE)\0CAP_MKNOD\0CAP_(CHOWN|FSETID|SETFCAP)\0CAP_(DAC_*|FOWNER|IPC_OWNER)\0CAP_KILL\0"
	"CAP_NET_(BIND_SERVICE|BROADCAST|RAW)\0CAP_SYS_BOOT\0CAP_MAC_*\0CAP_LINUX_IMMUTABLE\0CAP_IPC_LOCK\0"
	"CAP_SYS_CHROOT\0CAP_BLOCK_SUSPEND\0CAP_WAKE_ALARM\0CAP_LEASE\0CAP_SYS_TTY_CONFIG\0CAP_SYS_PACCT\0CAP_BPF\0"
	"UMask=\0KeyringMode=\0ProtectProc=\0ProcSubset=\0NotifyAccess=\0RemoveIPC=\0Delegate=\0RestrictRealtime=\0"
	"RestrictSUIDSGID=\0user\0mnt\0ipc\0pid\0cgroup\0net\0uts\0AF_(INET|INET6)\0AF_UNIX\0AF_NETLINK\0AF_PACKET\0"
	"\xe2\x80\xa6\0SystemCallArchitectures=\0@swap\0@obsolete\0@clock\0@cpu-emulation\0@debug\0@mount\0@module\0"
	"@raw-io\0@reboot\0@privileged\0@resources\0IPAddressDeny=\0DeviceAllow=\0AmbientCapabilities=";

static const char *row_name(unsigned i)
{
	const char *p = names;
	while (i--)
		p += strlen(p) + 1;
	return p;
}

static unsigned weight(unsigned i)
{
	return weights[chks[i][1] & 15];
}

static unsigned range(unsigned i)
{
	return ranges[chks[i][1] >> 4];
}

void ux_check(unsigned i, char *name, size_t n, unsigned *w, unsigned *r)
{
	static const char pre[] = "CapabilityBoundingSet=~\0RestrictNamespaces=~\0RestrictAddressFamilies=~\0"
		"SystemCallFilter=~\0";
	unsigned k = chks[i][0] & ~DDO, j = k == K_CAP ? 0 : k == K_NS ? 1 : k == K_AF ? 2 : k == K_SC ? 3 : 4;
	const char *p = pre;
	while (j--) /* the fifth word is the empty one at the end */
		p += strlen(p) + 1;
	snprintf(name, n, "%s%s", p, row_name(i));
	*w = weight(i);
	*r = range(i);
}

const char *ux_level(unsigned x)
{
	return x >= 100 ? "DANGEROUS" : x >= 90 ? "UNSAFE" : x >= 75 ? "EXPOSED" : x >= 50 ? "MEDIUM" : x >= 10 ? "OK" :
		x >= 1 ? "SAFE" : "PERFECT";
}

#define DIV_UP(a, b) (((a) + (b) - 1) / (b))

unsigned ux_row_exposure(const struct ux_result *r, unsigned i)
{
	uint64_t b = r->badness[i];
	if (b == UX_NA || !b || !r->weight_sum)
		return 0;
	return (unsigned)DIV_UP(DIV_UP(b * weight(i) * 100, range(i)), r->weight_sum);
}

/* ---- the observer: what systemd reads and keel refuses ------------------------------------- */

/* One IPAddressDeny=/IPAddressAllow= word: systemd's keywords or ADDRESS[/PREFIX]. */
static int ip_word(struct ux_extra *x, bool deny, const char *w)
{
	unsigned char a[16] = {0};
	char addr[64];
	unsigned prefix;
	int fam = strchr(w, ':') ? AF_INET6 : AF_INET;
	if (!strcmp(w, "any")) {
		x->ip_deny4 |= deny, x->ip_deny6 |= deny, x->ip_allow_other |= !deny;
		return 0;
	}
	if (!strcmp(w, "localhost"))
		return x->ip_allow_local |= !deny, 0;
	if (!strcmp(w, "link-local") || !strcmp(w, "multicast"))
		return x->ip_allow_other |= !deny, 0;
	size_t al = strcspn(w, "/");
	char *end = NULL;
	prefix = fam == AF_INET ? 32 : 128;
	if (al >= sizeof(addr))
		return -EINVAL;
	memcpy(addr, w, al);
	addr[al] = 0;
	if (w[al] && ((prefix = (unsigned)strtoul(w + al + 1, &end, 10)) > (fam == AF_INET ? 32u : 128u) || *end ||
			!w[al + 1]))
		return -EINVAL;
	if (inet_pton(fam, addr, a) != 1)
		return -EINVAL;
	for (unsigned bit = prefix; bit < 128; bit++) /* systemd keeps the address masked by its prefix */
		a[bit / 8] &= (unsigned char)~(0x80u >> (bit % 8));
	if (deny) {
		if (!prefix)
			*(fam == AF_INET ? &x->ip_deny4 : &x->ip_deny6) = true;
		return 0;
	}
	static const unsigned char lo6[16] = {[15] = 1};
	if (fam == AF_INET ? a[0] == 127 : !memcmp(a, lo6, 16))
		x->ip_allow_local = true;
	else
		x->ip_allow_other = true;
	return 0;
}

static bool empty_or_root(const char *v)
{
	return !v[strspn(v, "/")];
}

static void observe(struct unit_observer *o, const char *sec, const char *key, const char *v)
{
	static const char keys[] = "DefaultDependencies\0DynamicUser\0PrivateUsers\0RemoveIPC\0KeyringMode\0"
		"RootDirectory\0RootImage\0DevicePolicy\0DeviceAllow\0IPIngressFilterPath\0IPEgressFilterPath\0"
		"IPAddressDeny\0IPAddressAllow\0";
	struct ux_extra *x = (struct ux_extra *)o;
	bool *flag[] = {&x->default_deps, &x->dynamic_user, &x->private_users, &x->remove_ipc};
	const char *why = NULL;
	struct strv w = {0};
	bool b;
	int ret = 0, i = uv_word_index(keys, key, false);
	if (i < 0 || (i == 0) != !strcmp(sec, "Unit")) /* systemd ignores a setting in the wrong section */
		return;
	switch (i) { /* a value systemd cannot read leaves the setting as it was, as in systemd */
	case 0: case 1: case 2: case 3: /* empty: the default, yes for DefaultDependencies= only */
		b = !i;
		if (*v)
			ret = uv_bool(v, &b, &why);
		if (!ret)
			*flag[i] = b;
		break;
	case 4:
		ret = !*v || !strcmp(v, "private") ? 1 : !strcmp(v, "inherit") || !strcmp(v, "shared") ? 0 : -EINVAL;
		if (ret >= 0)
			x->keyring_private = ret;
		break;
	case 5: x->own_root = !empty_or_root(v); break;
	case 6: x->root_image = !empty_or_root(v); break;
	case 7:
		ret = *v ? uv_word_index("auto\0closed\0strict\0", v, false) : 0;
		if (ret >= 0)
			x->device_policy = (uint8_t)ret;
		break;
	case 8: x->device_allow = *v; break;
	case 9: case 10: x->ip_filters = *v; break; /* "" resets one of the two: rare enough to ignore */
	default: /* IPAddressDeny=, IPAddressAllow=: "" empties the list */
		if (!*v)
			*(i == 11 ? &x->ip_deny4 : &x->ip_allow_local) = *(i == 11 ? &x->ip_deny6 : &x->ip_allow_other) = false;
		else if (!(ret = uv_words(v, false, &w, &why)))
			for (size_t k = 0; k < w.n; k++) /* systemd skips a bad entry and goes on */
				if (ip_word(x, i == 11, w.v[k]))
					ret = -EINVAL;
		strv_clear(&w);
	}
	if (ret < 0 && x->obs.report) {
		struct kerr e = {0};
		kerr_set(&e, -EINVAL, "%s=%.80s: not understood%s%s (ignored, as systemd ignores it)", key, v, why ? ": " : "",
			why ? why : "");
		x->bad++;
		x->obs.report(x->obs.arg, &e);
	}
}

void ux_extra_init(struct ux_extra *x, unit_report_fn *report, void *arg)
{
	*x = (struct ux_extra){.obs = {.assignment = observe, .report = report, .arg = arg}, .default_deps = true,
		.keyring_private = true};
}

/* ---- the assessment -------------------------------------------------------------------------- */

/* Native system call numbers of a group, as keel's SystemCallFilter= resolves it (members this
 * architecture lacks are left out, as systemd leaves them out). */
static int group_set(const char *group, uint64_t set[SB_SYSCALLS / 64])
{
	struct unit_sandbox t = {0};
	char v[32];
	snprintf(v, sizeof(v), "~%s", group);
	int ret = unit_sandbox_key(&t, "SystemCallFilter", v, NULL);
	memcpy(set, t.sc, sizeof(t.sc));
	unit_sandbox_free(&t);
	return ret;
}

static unsigned sc_badness(const struct unit_sandbox *sb, const char *group, int *err)
{
	uint64_t g[SB_SYSCALLS / 64];
	bool hit = false;
	if (!sb->sc_mode)
		return 10;
	if ((*err = group_set(group, g)))
		return 0;
	for (unsigned i = 0; i < SB_SYSCALLS / 64; i++)
		hit |= (g[i] & (sb->sc_mode == 1 ? sb->sc[i] : ~sb->sc[i])) != 0;
	return sb->sc_mode == 1 ? hit * 9u : hit * 10u;
}

static bool is_root_name(const char *s)
{
	return s && (!strcmp(s, "root") || !strcmp(s, "0"));
}

int ux_assess(const struct unit *u, const struct ux_extra *x, struct ux_result *r)
{
	const struct unit_sandbox *sb = &u->sandbox;
	bool dyn = x->dynamic_user;
	/* root, or no User= (DynamicUser= without User= runs as a user named after the unit) */
	bool privileged = is_root_name(u->user) || (!dyn && (!u->user || !*u->user));
	uint64_t bset = sb->bset_set ? sb->bset : ~0ull, ns = sb->ns_set ? sb->ns_allowed : ~0ull, bsum = 0;
	unsigned psys = dyn ? 3 : sb->protect_system, phome = dyn && !sb->protect_home ? 2 : sb->protect_home;
	unsigned umask = sb->umask_set ? sb->umask : 0022, policy = x->device_policy;
	bool devallow = x->device_allow;
	int err = 0;

	/* what systemd derives while loading the unit (unit_patch_contexts) */
	if (sb->private_devices) {
		bset &= ~(C(MKNOD) | C(SYS_RAWIO));
		if (!policy)
			policy = 1;
	}
	if (sb->protect_modules)
		bset &= ~C(SYS_MODULE);
	if (sb->protect_logs)
		bset &= ~C(SYSLOG);
	if (sb->protect_clock)
		bset &= ~(C(SYS_TIME) | C(WAKE_ALARM));
	if (x->root_image && (policy || devallow))
		devallow = true; /* the loop and device-mapper devices RootImage= needs */
	devallow |= sb->protect_clock; /* "char-rtc r" */

	bool b[B_N] = {sb->private_devices, sb->private_mounts, sb->private_network, sb->private_tmp || dyn,
		x->private_users, sb->protect_cgroups, sb->protect_modules, sb->protect_tunables, sb->protect_logs,
		sb->protect_clock, sb->protect_hostname, sb->lock_personality, sb->mdwe, sb->no_new_privs || dyn,
		sb->restrict_realtime, sb->restrict_suid || dyn};
	/* RestrictAddressFamilies=: true where the service cannot allocate the family */
	for (int f = B_INET; f <= B_OTHER; f++)
		b[f] = sb->af_mode == 1;
	for (int f = 1; f < 64 && sb->af_mode; f++)
		if (sb->af >> f & 1)
			b[f == AF_INET || f == AF_INET6 ? B_INET : f == AF_UNIX ? B_UNIX : f == AF_NETLINK ? B_NETLINK :
				f == AF_PACKET ? B_PACKET : B_OTHER] = sb->af_mode == 2;

	memset(r, 0, sizeof(*r));
	for (unsigned i = 0; i < UX_CHECKS; i++) {
		unsigned bad = 0, kind = chks[i][0], param = chks[i][2];
		if ((kind & DDO) && !x->default_deps) {
			r->badness[i] = UX_NA;
			continue;
		}
		switch (kind & ~DDO) {
		case K_USER: bad = u->user && !strcmp(u->user, "nobody") ? 9 : privileged ? 10 : 0; break;
		case K_SUPP: bad = privileged ? UX_NA : u->supplementary_groups.n > 0; break;
		case K_BOOL:
		case K_AF: bad = !b[param]; break;
		case K_HOME: bad = (unsigned[]){10, 0, 5, 1}[phome & 3]; break;
		case K_SYSTEM: bad = (unsigned[]){10, 5, 3, 0}[psys & 3]; break;
		case K_ROOT: bad = !x->own_root && !x->root_image; break;
		case K_CAP: bad = (bset & caps[i - FIRST_CAP]) != 0; break;
		case K_UMASK:
			bad = !(umask & 02) ? 10 : !(umask & 04) ? 5 : !(umask & 020) ? 2 : !(umask & 040) ? 1 : 0;
			break;
		case K_KEYRING: bad = !x->keyring_private; break;
		case K_PROC: bad = (unsigned[]){3, 1, 0, 0}[sb->protect_proc & 3]; break;
		case K_SUBSET: bad = !sb->proc_subset_pid; break;
		case K_NOTIFY: bad = u->notify_access == NA_ALL; break;
		case K_RMIPC: bad = privileged ? UX_NA : !(x->remove_ipc || dyn); break;
		case K_DELEGATE: bad = u->delegate; break;
		case K_NS: bad = (ns >> param & 1) != 0; break;
		case K_ARCH: bad = !sb->archs ? 10 : sb->archs == 3 ? 0 : 8; break;
		case K_SC: bad = sc_badness(sb, row_name(i), &err); break;
		case K_IP:
			bad = x->ip_filters ? 0 : !(x->ip_deny4 && x->ip_deny6) ? 10 : x->ip_allow_other ? 5 :
				x->ip_allow_local ? 2 : 0;
			break;
		case K_DEV: bad = policy ? (devallow ? 5 : 0) : 10; break;
		default: bad = sb->ambient_set && sb->ambient; break; /* K_AMBIENT */
		}
		if (err)
			return err;
		r->badness[i] = (uint8_t)bad;
		if (bad != UX_NA) {
			bsum += DIV_UP((uint64_t)bad * weight(i), range(i));
			r->weight_sum += weight(i);
		}
	}
	r->exposure = r->weight_sum ? (unsigned)DIV_UP(bsum * 100, r->weight_sum) : 0;
	return 0;
}
