/* seccomp_profile.c — read an OCI/Docker seccomp profile, compile it with libseccomp, run the
 * result as the kernel would (see seccomp_profile.h). */
#include "policy/seccomp_profile.h"
#include "base/buf.h"
#include "base/err.h"
#include "base/json.h"
#include "base/scan.h"

#include <errno.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <seccomp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#if defined(__x86_64__)
#define GOARCH "amd64"
#elif defined(__aarch64__)
#define GOARCH "arm64"
#elif defined(__riscv) && __riscv_xlen == 64
#define GOARCH "riscv64"
#elif defined(__s390x__)
#define GOARCH "s390x"
#elif defined(__powerpc64__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
#define GOARCH "ppc64le"
#else
#define GOARCH "unknown"
#endif

static const struct {
	const char *name;
	uint32_t token;
} arches[] = {
	{"SCMP_ARCH_X86", SCMP_ARCH_X86}, {"SCMP_ARCH_X86_64", SCMP_ARCH_X86_64}, {"SCMP_ARCH_X32", SCMP_ARCH_X32},
	{"SCMP_ARCH_ARM", SCMP_ARCH_ARM}, {"SCMP_ARCH_AARCH64", SCMP_ARCH_AARCH64},
	{"SCMP_ARCH_MIPS", SCMP_ARCH_MIPS}, {"SCMP_ARCH_MIPS64", SCMP_ARCH_MIPS64},
	{"SCMP_ARCH_MIPS64N32", SCMP_ARCH_MIPS64N32}, {"SCMP_ARCH_MIPSEL", SCMP_ARCH_MIPSEL},
	{"SCMP_ARCH_MIPSEL64", SCMP_ARCH_MIPSEL64}, {"SCMP_ARCH_MIPSEL64N32", SCMP_ARCH_MIPSEL64N32},
	{"SCMP_ARCH_PPC", SCMP_ARCH_PPC}, {"SCMP_ARCH_PPC64", SCMP_ARCH_PPC64}, {"SCMP_ARCH_PPC64LE", SCMP_ARCH_PPC64LE},
	{"SCMP_ARCH_S390", SCMP_ARCH_S390}, {"SCMP_ARCH_S390X", SCMP_ARCH_S390X},
	{"SCMP_ARCH_RISCV64", SCMP_ARCH_RISCV64},
};

const char *scp_arch_name(uint32_t token)
{
	for (size_t i = 0; i < sizeof(arches) / sizeof(arches[0]); i++)
		if (arches[i].token == token)
			return arches[i].name;
	return NULL;
}

static const struct {
	const char *name;
	int no;
} errnos[] = {{"EPERM", EPERM}, {"ENOENT", ENOENT}, {"EACCES", EACCES}, {"EINVAL", EINVAL}, {"ENOSYS", ENOSYS},
	{"EOPNOTSUPP", EOPNOTSUPP}};

struct rd {
	const struct scp_opts *o;
	struct scp *s;
	struct kerr *e;
	char p[128];
};

static int bad(struct rd *r, const char *where, const char *fmt, const char *what)
{
	return kerr_set(r->e, -EINVAL, "%s%s: %s%s", r->p, where, fmt, what ? what : "");
}

/* Refuse members not in allowed[]; check the types of those present. */
static int members(struct rd *r, const struct json *obj, const char *const allowed[], const enum json_type types[])
{
	if (obj->type != JSON_OBJECT)
		return bad(r, "", "object expected", NULL);
	for (size_t i = 0; i < obj->u.obj.n; i++) {
		const struct json_member *m = &obj->u.obj.m[i];
		int k = 0;
		while (allowed[k] && strcmp(allowed[k], m->key))
			k++;
		if (!allowed[k])
			return kerr_set(r->e, -EINVAL, "%s/%s: unknown field", r->p, m->key);
		if (m->val->type != types[k] && m->val->type != JSON_NULL)
			return kerr_set(r->e, -EINVAL, "%s/%s: %s expected, found %s", r->p, m->key, json_type_name(types[k]),
				json_type_name(m->val->type));
	}
	return 0;
}

static const char *str_of(const struct json *o, const char *k)
{
	const struct json *v = json_get(o, k);
	return v && v->type == JSON_STRING ? v->u.str.s : NULL;
}

static int errno_of(struct rd *r, const struct json *o, const char *numkey, const char *namekey, int *out)
{
	const struct json *n = json_get(o, numkey);
	const char *name = str_of(o, namekey);
	if (n && n->type == JSON_NUMBER) {
		if (!n->u.num.is_int || n->u.num.i < 0 || n->u.num.i > 4095)
			return kerr_set(r->e, -EINVAL, "%s/%s: an errno 0..4095 expected", r->p, numkey);
		*out = (int)n->u.num.i;
		return 0;
	}
	if (name) {
		for (size_t i = 0; i < sizeof(errnos) / sizeof(errnos[0]); i++)
			if (!strcmp(errnos[i].name, name)) {
				*out = errnos[i].no;
				return 0;
			}
		return kerr_set(r->e, -EINVAL, "%s/%s: unknown errno name '%s'", r->p, namekey, name);
	}
	return 0;
}

static int action_of(struct rd *r, const char *a, int err, const char *field, uint32_t *out)
{
	if (!a)
		return kerr_set(r->e, -EINVAL, "%s/%s: required", r->p, field);
	if (!strcmp(a, "SCMP_ACT_ALLOW"))
		*out = SCMP_ACT_ALLOW;
	else if (!strcmp(a, "SCMP_ACT_LOG"))
		*out = SCMP_ACT_LOG;
	else if (!strcmp(a, "SCMP_ACT_ERRNO"))
		*out = SCMP_ACT_ERRNO((unsigned)err);
	else if (!strcmp(a, "SCMP_ACT_TRACE"))
		*out = SCMP_ACT_TRACE((unsigned)err);
	else if (!strcmp(a, "SCMP_ACT_TRAP"))
		*out = SCMP_ACT_TRAP;
	else if (!strcmp(a, "SCMP_ACT_KILL") || !strcmp(a, "SCMP_ACT_KILL_THREAD"))
		*out = SCMP_ACT_KILL_THREAD;
	else if (!strcmp(a, "SCMP_ACT_KILL_PROCESS"))
		*out = SCMP_ACT_KILL_PROCESS;
	else if (!strcmp(a, "SCMP_ACT_NOTIFY"))
		return kerr_set(r->e, -ENOTSUP, "%s/%s: SCMP_ACT_NOTIFY needs a listener; not supported", r->p, field);
	else
		return kerr_set(r->e, -EINVAL, "%s/%s: unknown action '%s'", r->p, field, a);
	return 0;
}

static bool in_arr(const struct json *arr, const char *s)
{
	for (size_t i = 0; arr && arr->type == JSON_ARRAY && i < arr->u.arr.n; i++)
		if (arr->u.arr.v[i]->type == JSON_STRING && !strcmp(arr->u.arr.v[i]->u.str.s, s))
			return true;
	return false;
}

static bool has_cap(const struct scp_opts *o, const char *c)
{
	for (size_t i = 0; i < o->ncaps; i++)
		if (!strcmp(o->caps[i], c))
			return true;
	return false;
}

static int kernel_ge(struct rd *r, const char *v, const char *field, bool *ge)
{
	unsigned maj, min;
	const char *e = scan_uint(v, 10, &maj);
	if (!e || *e != '.' || !(e = scan_uint(e + 1, 10, &min)) || *e)
		return kerr_set(r->e, -EINVAL, "%s/%s: '%s' is not a kernel version X.Y", r->p, field, v);
	*ge = r->o->kmajor > maj || (r->o->kmajor == maj && r->o->kminor >= min);
	return 0;
}

/* Docker's includes/excludes: does this entry apply? */
static int applies(struct rd *r, const struct json *sc, bool *yes)
{
	static const char *const f[] = {"arches", "caps", "minKernel", NULL};
	static const enum json_type t[] = {JSON_ARRAY, JSON_ARRAY, JSON_STRING};
	const struct json *inc = json_get(sc, "includes"), *exc = json_get(sc, "excludes");
	size_t l = strlen(r->p);
	int ret = 0;
	bool ge = false;
	*yes = true;
	for (int k = 0; k < 2 && !ret; k++) {
		const struct json *x = k ? exc : inc;
		if (!x || x->type == JSON_NULL)
			continue;
		str_copy(r->p + l, sizeof(r->p) - l, k ? "/excludes" : "/includes");
		if ((ret = members(r, x, f, t)))
			break;
		const struct json *ar = json_get(x, "arches"), *caps = json_get(x, "caps");
		const char *mk = str_of(x, "minKernel");
		if (ar && ar->type == JSON_ARRAY && ar->u.arr.n && in_arr(ar, GOARCH) == (bool)k)
			*yes = false;
		for (size_t i = 0; caps && caps->type == JSON_ARRAY && i < caps->u.arr.n; i++) {
			const struct json *c = caps->u.arr.v[i];
			if (c->type != JSON_STRING) {
				ret = bad(r, "/caps", "strings expected", NULL);
				break;
			}
			if (has_cap(r->o, c->u.str.s) == (bool)k)
				*yes = false;
		}
		if (!ret && mk && !(ret = kernel_ge(r, mk, "minKernel", &ge)) && ge == (bool)k)
			*yes = false;
	}
	r->p[l] = 0;
	return ret;
}

static int conds(struct rd *r, const struct json *args, struct scmp_arg_cmp *c, int *n, bool *split)
{
	static const char *const f[] = {"index", "value", "valueTwo", "op", NULL};
	static const enum json_type t[] = {JSON_NUMBER, JSON_NUMBER, JSON_NUMBER, JSON_STRING};
	static const struct {
		const char *name;
		enum scmp_compare op;
	} ops[] = {{"SCMP_CMP_NE", SCMP_CMP_NE}, {"SCMP_CMP_LT", SCMP_CMP_LT}, {"SCMP_CMP_LE", SCMP_CMP_LE},
		{"SCMP_CMP_EQ", SCMP_CMP_EQ}, {"SCMP_CMP_GE", SCMP_CMP_GE}, {"SCMP_CMP_GT", SCMP_CMP_GT},
		{"SCMP_CMP_MASKED_EQ", SCMP_CMP_MASKED_EQ}};
	size_t l = strlen(r->p);
	unsigned seen = 0;
	*n = 0;
	*split = false;
	if (args->u.arr.n > 6)
		return bad(r, "/args", "at most 6 conditions", NULL);
	for (size_t i = 0; i < args->u.arr.n; i++) {
		const struct json *a = args->u.arr.v[i];
		snprintf(r->p + l, sizeof(r->p) - l, "/args/%zu", i);
		int ret = members(r, a, f, t);
		if (ret)
			return ret;
		const struct json *ix = json_get(a, "index"), *v = json_get(a, "value"), *v2 = json_get(a, "valueTwo");
		const char *op = str_of(a, "op");
		if (!ix || !ix->u.num.is_int || ix->u.num.i < 0 || ix->u.num.i > 5)
			return bad(r, "/index", "0..5 expected", NULL);
		uint64_t val[2] = {0, 0};
		const struct json *vv[2] = {v, v2};
		for (int k = 0; k < 2; k++) {
			if (!vv[k] || vv[k]->type == JSON_NULL)
				continue;
			/* uint64: as written, no sign, no fraction */
			if (parse_u64(vv[k]->u.num.text, 0, UINT64_MAX, &val[k]))
				return bad(r, k ? "/valueTwo" : "/value", "an unsigned 64-bit integer expected", NULL);
		}
		size_t o = 0;
		while (o < sizeof(ops) / sizeof(ops[0]) && (!op || strcmp(ops[o].name, op)))
			o++;
		if (o == sizeof(ops) / sizeof(ops[0]))
			return bad(r, "/op", "unknown or missing operator ", op);
		if (seen & (1u << ix->u.num.i))
			*split = true;
		seen |= 1u << ix->u.num.i;
		c[(*n)++] = (struct scmp_arg_cmp){(unsigned)ix->u.num.i, ops[o].op, val[0], val[1]};
	}
	r->p[l] = 0;
	return 0;
}

static int add_rule(struct rd *r, uint32_t act, int nr, const struct scmp_arg_cmp *c, int n, bool split)
{
	int ret = 0;
	if (!split)
		ret = seccomp_rule_add_array(r->s->ctx, act, nr, (unsigned)n, c);
	for (int i = 0; split && !ret && i < n; i++)
		ret = seccomp_rule_add_array(r->s->ctx, act, nr, 1, &c[i]);
	if (ret)
		return kerr_set(r->e, ret, "%s: libseccomp refused the rule: %s", r->p, strerror(-ret));
	if (n && nr >= 0 && nr < SCP_MAX_NR)
		r->s->cond[nr] = 1;
	return 0;
}

static int syscall_entry(struct rd *r, const struct json *sc)
{
	static const char *const f[] = {"names", "name", "action", "errnoRet", "errno", "args", "comment", "includes",
		"excludes", NULL};
	static const enum json_type t[] = {JSON_ARRAY, JSON_STRING, JSON_STRING, JSON_NUMBER, JSON_STRING, JSON_ARRAY,
		JSON_STRING, JSON_OBJECT, JSON_OBJECT};
	struct scmp_arg_cmp c[6];
	int ret, n = 0, err = EPERM;
	uint32_t act;
	bool yes, split = false;
	if ((ret = members(r, sc, f, t)) || (ret = applies(r, sc, &yes)))
		return ret;
	const struct json *names = json_get(sc, "names"), *args = json_get(sc, "args");
	const char *name = str_of(sc, "name");
	if (names && names->type == JSON_NULL)
		names = NULL;
	if ((names != NULL) == (name != NULL) || (names && !names->u.arr.n))
		return bad(r, "", "exactly one of names (non-empty) or name expected", NULL);
	if ((ret = errno_of(r, sc, "errnoRet", "errno", &err)) || (ret = action_of(r, str_of(sc, "action"), err, "action", &act)))
		return ret;
	if (args && args->type == JSON_ARRAY && (ret = conds(r, args, c, &n, &split)))
		return ret;
	if (!yes || act == r->s->def_action) {
		r->s->skipped++;
		return 0;
	}
	r->s->rules++;
	size_t l = strlen(r->p);
	for (size_t i = 0; i < (names ? names->u.arr.n : 1); i++) {
		const struct json *nv = names ? names->u.arr.v[i] : NULL;
		if (names)
			snprintf(r->p + l, sizeof(r->p) - l, "/names/%zu", i);
		if (nv && nv->type != JSON_STRING)
			return bad(r, "", "string expected", NULL);
		const char *s = nv ? nv->u.str.s : name;
		int nr = seccomp_syscall_resolve_name(s);
		if (nr == __NR_SCMP_ERROR)
			return kerr_set(r->e, -EINVAL, "%s: unknown system call '%s'", r->p, s);
		if ((ret = add_rule(r, act, nr, c, n, split)))
			return ret;
	}
	r->p[l] = 0;
	return 0;
}

static int arch_add(struct rd *r, const char *name)
{
	for (size_t i = 0; i < sizeof(arches) / sizeof(arches[0]); i++) {
		if (strcmp(arches[i].name, name))
			continue;
		for (int k = 0; k < r->s->narch; k++)
			if (r->s->arch[k] == arches[i].token)
				return 0;
		if (r->s->narch == 16)
			return bad(r, "", "too many architectures", NULL);
		int ret = seccomp_arch_add(r->s->ctx, arches[i].token);
		/* vendor/patches/libseccomp-keep-host-arches.patch: only the arches a keel host runs */
		if (ret == -EINVAL)
			return kerr_set(r->e, ret, "%s: architecture %s is not supported (keel's libseccomp has "
						   "x86_64, x86, x32, aarch64, arm)", r->p, name);
		if (ret && ret != -EEXIST)
			return kerr_set(r->e, ret, "%s: add %s: %s", r->p, name, strerror(-ret));
		r->s->arch[r->s->narch++] = arches[i].token;
		return 0;
	}
	return kerr_set(r->e, -EINVAL, "%s: unknown architecture '%s'", r->p, name);
}

static int arch_list(struct rd *r, const struct json *a)
{
	size_t l = strlen(r->p);
	for (size_t i = 0; a && i < a->u.arr.n; i++) {
		snprintf(r->p + l, sizeof(r->p) - l, "/%zu", i);
		int ret = a->u.arr.v[i]->type == JSON_STRING ? arch_add(r, a->u.arr.v[i]->u.str.s)
							      : bad(r, "", "string expected", NULL);
		if (ret)
			return ret;
	}
	r->p[l] = 0;
	return 0;
}

static int architectures(struct rd *r, const struct json *root)
{
	static const char *const f[] = {"architecture", "subArchitectures", NULL};
	static const enum json_type t[] = {JSON_STRING, JSON_ARRAY};
	const struct json *a = json_get(root, "architectures"), *m = json_get(root, "archMap");
	const char *native = scp_arch_name(seccomp_arch_native());
	int ret;
	if (a && a->type == JSON_ARRAY && m && m->type == JSON_ARRAY)
		return kerr_set(r->e, -EINVAL, "/archMap: architectures and archMap both given");
	str_copy(r->p, sizeof(r->p), "/architectures");
	if (a && a->type == JSON_ARRAY)
		return arch_list(r, a);
	for (size_t i = 0; m && m->type == JSON_ARRAY && i < m->u.arr.n; i++) {
		const struct json *x = m->u.arr.v[i];
		snprintf(r->p, sizeof(r->p), "/archMap/%zu", i);
		if ((ret = members(r, x, f, t)))
			return ret;
		const char *an = str_of(x, "architecture");
		if (!an)
			return bad(r, "/architecture", "required", NULL);
		if (native && !strcmp(an, native)) {
			const struct json *sub = json_get(x, "subArchitectures");
			if ((ret = arch_add(r, an)))
				return ret;
			str_copy(r->p + strlen(r->p), sizeof(r->p) - strlen(r->p), "/subArchitectures");
			if (sub && sub->type == JSON_ARRAY && (ret = arch_list(r, sub)))
				return ret;
		}
	}
	return 0;
}

void scp_free(struct scp *s)
{
	if (s && s->ctx)
		seccomp_release(s->ctx);
	if (s)
		s->ctx = NULL;
}

int scp_compile(const struct json *root, const struct scp_opts *o, struct scp *s, struct kerr *e)
{
	static const char *const f[] = {"defaultAction", "defaultErrnoRet", "defaultErrno", "architectures", "archMap",
		"syscalls", "flags", "listenerPath", "listenerMetadata", NULL};
	static const enum json_type t[] = {JSON_STRING, JSON_NUMBER, JSON_STRING, JSON_ARRAY, JSON_ARRAY, JSON_ARRAY,
		JSON_ARRAY, JSON_STRING, JSON_STRING};
	static const char *const flags[] = {"SECCOMP_FILTER_FLAG_TSYNC", "SECCOMP_FILTER_FLAG_LOG",
		"SECCOMP_FILTER_FLAG_SPEC_ALLOW", "SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV", NULL};
	struct rd r = {.o = o, .s = s, .e = e};
	int ret, err = EPERM;
	memset(s, 0, sizeof(*s));
	if ((ret = members(&r, root, f, t)))
		return ret;
	const char *lp = str_of(root, "listenerPath");
	if (lp && *lp)
		return kerr_set(e, -ENOTSUP, "/listenerPath: a seccomp notify listener is not supported");
	const struct json *fl = json_get(root, "flags");
	for (size_t i = 0; fl && fl->type == JSON_ARRAY && i < fl->u.arr.n; i++) {
		const struct json *x = fl->u.arr.v[i];
		int k = 0;
		while (flags[k] && (x->type != JSON_STRING || strcmp(flags[k], x->u.str.s)))
			k++;
		if (!flags[k])
			return kerr_set(e, -EINVAL, "/flags/%zu: unknown flag", i);
	}
	if ((ret = errno_of(&r, root, "defaultErrnoRet", "defaultErrno", &err)) ||
		(ret = action_of(&r, str_of(root, "defaultAction"), err, "defaultAction", &s->def_action)))
		return ret;
	if (!(s->ctx = seccomp_init(s->def_action)))
		return kerr_set(e, -ENOMEM, "seccomp_init failed");
	/* libseccomp adds the native arch by itself; what the profile names replaces it. */
	if ((ret = architectures(&r, root)))
		goto out;
	uint32_t native = seccomp_arch_native();
	bool keep = false;
	for (int i = 0; i < s->narch; i++)
		keep |= s->arch[i] == native;
	if (s->narch && !keep && (ret = seccomp_arch_remove(s->ctx, native))) {
		kerr_set(e, ret, "remove the native architecture: %s", strerror(-ret));
		goto out;
	}
	if (!s->narch)
		s->arch[s->narch++] = native;
	const struct json *sys = json_get(root, "syscalls");
	for (size_t i = 0; sys && sys->type == JSON_ARRAY && i < sys->u.arr.n; i++) {
		snprintf(r.p, sizeof(r.p), "/syscalls/%zu", i);
		if ((ret = syscall_entry(&r, sys->u.arr.v[i])))
			goto out;
	}
	return 0;
out:
	scp_free(s);
	return ret;
}

int scp_export(const struct scp *s, struct buf *out, struct kerr *e)
{
	size_t len = 0;
	int ret = seccomp_export_bpf_mem(s->ctx, NULL, &len);
	if (!ret && !(ret = buf_reserve(out, len))) {
		ret = seccomp_export_bpf_mem(s->ctx, out->p + out->len, &len);
		if (!ret)
			out->len += len;
	}
	return ret ? kerr_set(e, ret, "export the filter: %s", strerror(-ret)) : 0;
}

uint32_t scp_eval(const void *prog, size_t len, uint32_t arch, int nr, const uint64_t args[6])
{
	const struct sock_filter *f = prog;
	size_t n = len / sizeof(*f);
	uint32_t d[16], A = 0, X = 0, M[BPF_MEMWORDS] = {0};
	d[0] = (uint32_t)nr;
	d[1] = arch;
	d[2] = d[3] = 0;
	for (int i = 0; i < 6; i++) {
		d[4 + 2 * i] = (uint32_t)args[i]; /* little-endian seccomp_data */
		d[5 + 2 * i] = (uint32_t)(args[i] >> 32);
	}
	for (size_t pc = 0; pc < n; pc++) {
		const struct sock_filter *in = &f[pc];
		uint32_t k = in->k, src = BPF_SRC(in->code) == BPF_X ? X : k;
		switch (BPF_CLASS(in->code)) {
		case BPF_LD:
			if (BPF_MODE(in->code) == BPF_ABS && BPF_SIZE(in->code) == BPF_W && k % 4 == 0 && k < 64)
				A = d[k / 4];
			else if (BPF_MODE(in->code) == BPF_IMM)
				A = k;
			else if (BPF_MODE(in->code) == BPF_MEM && k < BPF_MEMWORDS)
				A = M[k];
			else
				return SECCOMP_RET_KILL_PROCESS;
			break;
		case BPF_LDX:
			if (BPF_MODE(in->code) == BPF_IMM)
				X = k;
			else if (BPF_MODE(in->code) == BPF_MEM && k < BPF_MEMWORDS)
				X = M[k];
			else
				return SECCOMP_RET_KILL_PROCESS;
			break;
		case BPF_ST:
		case BPF_STX:
			if (k >= BPF_MEMWORDS)
				return SECCOMP_RET_KILL_PROCESS;
			M[k] = BPF_CLASS(in->code) == BPF_ST ? A : X;
			break;
		case BPF_ALU:
			switch (BPF_OP(in->code)) {
			case BPF_ADD: A += src; break;
			case BPF_SUB: A -= src; break;
			case BPF_MUL: A *= src; break;
			case BPF_DIV: if (!src) return SECCOMP_RET_KILL_PROCESS; A /= src; break;
			case BPF_AND: A &= src; break;
			case BPF_OR: A |= src; break;
			case BPF_XOR: A ^= src; break;
			case BPF_LSH: A = src < 32 ? A << src : 0; break;
			case BPF_RSH: A = src < 32 ? A >> src : 0; break;
			case BPF_NEG: A = -A; break;
			default: return SECCOMP_RET_KILL_PROCESS;
			}
			break;
		case BPF_JMP: {
			bool t;
			if (BPF_OP(in->code) == BPF_JA) {
				pc += k;
				break;
			}
			switch (BPF_OP(in->code)) {
			case BPF_JEQ: t = A == src; break;
			case BPF_JGT: t = A > src; break;
			case BPF_JGE: t = A >= src; break;
			case BPF_JSET: t = (A & src) != 0; break;
			default: return SECCOMP_RET_KILL_PROCESS;
			}
			pc += t ? in->jt : in->jf;
			break;
		}
		case BPF_RET:
			return BPF_RVAL(in->code) == BPF_A ? A : k;
		case BPF_MISC:
			if (BPF_MISCOP(in->code) == BPF_TAX)
				X = A;
			else
				A = X;
			break;
		default:
			return SECCOMP_RET_KILL_PROCESS;
		}
	}
	return SECCOMP_RET_KILL_PROCESS;
}
