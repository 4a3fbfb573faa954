#!/usr/bin/env bash
# tests/compat/policy-seccomp.sh — a seccomp profile compiled by `keel policy seccomp` and applied
# to a process (the exported BPF, loaded by tests/compat/seccomp-probe.c) gives the same
# allow/deny answers as the same profile applied by runc, for a table of system calls made with
# zero arguments. Profiles: moby's default.json (Docker's default profile, profiles/seccomp of
# Debian's golang-github-docker-docker-dev), containers-common's seccomp.json (Podman's fork of
# it, from golang-github-containers-common) — both in Docker's format, with archMap and
# includes/excludes, downloaded with apt-get download when not installed — and one denying mkdir. runc gets the profile in OCI
# form, resolved by a small python resolver written from moby's rules (not by keel). Both
# processes run as root with every capability of the test's bounding set, so only the filter differs. Needs root and runc.
set -u
: "${KEEL:?}" "${KEEL_SRC:?}"
T=$(mktemp -d "${KEEL_TEST_TMP:-/tmp}/policy-seccomp.XXXXXX")
trap 'runc delete -f keel-seccomp-$$ >/dev/null 2>&1; rm -rf "$T"' EXIT
pass() { echo "PASS: compat/policy-seccomp: $1"; }
fail() { echo "FAIL: compat/policy-seccomp: $1${2:+ ($2)}"; }
for tool in runc gcc python3; do command -v $tool > /dev/null || { fail "$tool missing"; exit 0; }; done
[ "$(id -u)" = 0 ] || { fail "needs root (runc)"; exit 0; }

gcc -static -O2 -o "$T/probe" "$KEEL_SRC/tests/compat/seccomp-probe.c" || { fail "cannot build the probe"; exit 0; }

DOCKER=/usr/share/containers/seccomp.json
if [ ! -r "$DOCKER" ]; then
	(cd "$T" && apt-get download golang-github-containers-common > /dev/null 2>&1 &&
		dpkg-deb -x golang-github-containers-common_*.deb cc) && DOCKER=$T/cc/usr/share/containers/seccomp.json
fi
[ -r "$DOCKER" ] || { fail "no containers-common seccomp.json (apt-get download golang-github-containers-common failed)"; exit 0; }
# moby's own default profile (profiles/seccomp/default.json, what dockerd applies), from Debian's
# golang-github-docker-docker-dev; without it that profile FAILs, the others still run
MOBY=/usr/share/gocode/src/github.com/docker/docker/profiles/seccomp/default.json
if [ ! -r "$MOBY" ]; then
	(cd "$T" && apt-get download golang-github-docker-docker-dev > /dev/null 2>&1 &&
		dpkg-deb -x golang-github-docker-docker-dev_*.deb dd) && MOBY=$T/dd$MOBY
fi
PROFILES="$DOCKER $T/deny-mkdir.json"
if [ -r "$MOBY" ]; then cp "$MOBY" "$T/moby-default.json" && PROFILES="$T/moby-default.json $PROFILES"
else fail "moby-default.json: no moby default.json (apt-get download golang-github-docker-docker-dev failed)"; fi
printf '%s' '{"defaultAction":"SCMP_ACT_ALLOW","syscalls":[{"names":["mkdir","mkdirat"],"action":"SCMP_ACT_ERRNO","errnoRet":1}]}' > "$T/deny-mkdir.json"

CALLS="getpid mkdir mkdirat uname chroot mount umount2 swapoff init_module delete_module bpf perf_event_open
open_by_handle_at clock_settime settimeofday keyctl add_key request_key setns chmod name_to_handle_at pivot_root
uselib ustat sysfs personality getcwd io_uring_setup syslog lookup_dcookie kcmp move_pages quotactl rmdir unlinkat
fanotify_init mknodat"
# Docker's default capability set: what includes/excludes.caps are resolved against.
CAPS=CAP_CHOWN,CAP_DAC_OVERRIDE,CAP_FSETID,CAP_FOWNER,CAP_MKNOD,CAP_NET_RAW,CAP_SETGID,CAP_SETUID,CAP_SETFCAP,CAP_SETPCAP,CAP_NET_BIND_SERVICE,CAP_SYS_CHROOT,CAP_KILL,CAP_AUDIT_WRITE
KVER=$(uname -r | sed -E 's/^([0-9]+\.[0-9]+).*/\1/')

# moby's resolution (profiles/seccomp): archMap entries of the native arch, includes/excludes by
# arch (Go name), caps and minKernel; the result in OCI runtime-spec form.
resolve() { # PROFILE -> OCI linux.seccomp on stdout
	python3 - "$1" "$CAPS" "$KVER" <<'PY'
import json, sys
p = json.load(open(sys.argv[1])); caps = sys.argv[2].split(","); kv = tuple(map(int, sys.argv[3].split(".")))
ver = lambda s: tuple(map(int, s.split(".")[:2]))
out = {"defaultAction": p["defaultAction"]}
if "defaultErrnoRet" in p: out["defaultErrnoRet"] = p["defaultErrnoRet"]
arches = list(p.get("architectures") or [])
for m in p.get("archMap") or []:
    if m["architecture"] == "SCMP_ARCH_X86_64": arches += [m["architecture"]] + m.get("subArchitectures", [])
if arches: out["architectures"] = arches
calls = []
for s in p.get("syscalls") or []:
    inc, exc = s.get("includes") or {}, s.get("excludes") or {}
    if exc.get("arches") and "amd64" in exc["arches"]: continue
    if any(c in caps for c in exc.get("caps") or []): continue
    if exc.get("minKernel") and kv >= ver(exc["minKernel"]): continue
    if inc.get("arches") and "amd64" not in inc["arches"]: continue
    if not all(c in caps for c in inc.get("caps") or []): continue
    if inc.get("minKernel") and kv < ver(inc["minKernel"]): continue
    c = {"names": s["names"], "action": s["action"]}
    for k in ("errnoRet", "args"):
        if s.get(k) is not None: c[k] = s[k]
    calls.append(c)
out["syscalls"] = calls
print(json.dumps(out))
PY
}

# every capability this process holds (its bounding set), in number order
ALLCAPS=$(python3 -c 'import re; b = int(re.search(r"CapBnd:\s*(\w+)", open("/proc/self/status").read()).group(1), 16); print(",".join("\"CAP_%s\"" % c for i, c in enumerate("CHOWN DAC_OVERRIDE DAC_READ_SEARCH FOWNER FSETID KILL SETGID SETUID SETPCAP LINUX_IMMUTABLE NET_BIND_SERVICE NET_BROADCAST NET_ADMIN NET_RAW IPC_LOCK IPC_OWNER SYS_MODULE SYS_RAWIO SYS_CHROOT SYS_PTRACE SYS_PACCT SYS_ADMIN SYS_BOOT SYS_NICE SYS_RESOURCE SYS_TIME SYS_TTY_CONFIG MKNOD LEASE AUDIT_WRITE AUDIT_CONTROL SETFCAP MAC_OVERRIDE MAC_ADMIN SYSLOG WAKE_ALARM BLOCK_SUSPEND AUDIT_READ PERFMON BPF CHECKPOINT_RESTORE".split()) if b >> i & 1))')
runc_probe() { # OCI-SECCOMP-JSON -> probe output inside runc
	local b=$T/bundle
	rm -rf "$b" && mkdir -p "$b/rootfs" && cp "$T/probe" "$b/rootfs/probe" && (cd "$b" && runc spec) || return 1
	python3 - "$b/config.json" "$1" "[$ALLCAPS]" $CALLS <<'PY'
import json, sys
c = json.load(open(sys.argv[1])); sc = sys.argv[2]; caps = json.loads(sys.argv[3])
c["process"]["terminal"] = False
c["process"]["args"] = ["/probe"] + sys.argv[4:]
for s in ("bounding", "effective", "permitted"): c["process"]["capabilities"][s] = caps
c["process"]["capabilities"]["ambient"] = []
if sc != "-": c["linux"]["seccomp"] = json.loads(sc)
json.dump(c, open(sys.argv[1], "w"))
PY
	(cd "$b" && runc run keel-seccomp-$$ < /dev/null)
}

# Unfiltered, the probe's answers agree inside runc and on the host (the table is fair).
"$T/probe" $CALLS > "$T/host.none"
runc_probe - > "$T/runc.none" 2> "$T/runc.err" || { fail "runc run failed" "$(head -c 300 "$T/runc.err")"; exit 0; }
if cmp -s "$T/host.none" "$T/runc.none"; then pass "unfiltered: the probe's $(wc -l < "$T/host.none") answers agree on the host and in runc"
else fail "unfiltered answers differ between host and runc" "$(diff "$T/host.none" "$T/runc.none" | tr '\n' ' ' | head -c 300)"; fi

for prof in $PROFILES; do
	name=$(basename "$prof")
	"$KEEL" policy seccomp --caps "$CAPS" --kernel "$KVER" --export-bpf "$T/$name.bpf" "$prof" > /dev/null ||
		{ fail "$name: keel policy seccomp failed"; continue; }
	"$T/probe" --bpf "$T/$name.bpf" $CALLS > "$T/keel.$name" || { fail "$name: the probe could not load keel's filter"; continue; }
	runc_probe "$(resolve "$prof")" > "$T/runc.$name" 2> "$T/runc.err" || { fail "$name: runc run failed" "$(head -c 300 "$T/runc.err")"; continue; }
	if cmp -s "$T/keel.$name" "$T/runc.$name"; then pass "$name: keel's filter and runc's give the same $(wc -l < "$T/keel.$name") answers"
	else fail "$name: answers differ (keel vs runc)" "$(diff "$T/keel.$name" "$T/runc.$name" | grep '^[<>]' | tr '\n' ' ' | head -c 400)"; fi
	# not vacuous: the filter changed answers
	nd=$(diff "$T/host.none" "$T/keel.$name" | grep -c '^>')
	[ "$nd" -gt 0 ] && pass "$name: the filter changes $nd of the answers" || fail "$name: the filter changed nothing"
done
grep -qx 'mkdir EPERM' "$T/keel.deny-mkdir.json" && grep -qx 'mkdir EFAULT' "$T/host.none" &&
	pass "deny-mkdir: mkdir is EPERM under the filter, EFAULT without" || fail "deny-mkdir: mkdir answers" "$(grep mkdir "$T/keel.deny-mkdir.json" "$T/host.none" | tr '\n' ' ')"
