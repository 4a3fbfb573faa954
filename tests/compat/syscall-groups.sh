#!/usr/bin/env bash
# tests/compat/syscall-groups.sh — the system call groups of SystemCallFilter= in
# core/init/svc_sandbox.c against systemd's own list (`systemd-analyze syscall-filter`, systemd
# 252 on Debian 12): the same groups, each including the same groups, no member systemd does not
# list, and every member that is a system call of x86-64 (asm/unistd_64.h) present.
set -u
: "${KEEL:?}" "${KEEL_SRC:?}"
pass() { echo "PASS: compat/syscall-groups: $1"; }
fail() { echo "FAIL: compat/syscall-groups: $1${2:+ ($2)}"; }
command -v systemd-analyze > /dev/null || { fail "systemd-analyze missing (package systemd)"; exit 0; }
UNISTD=/usr/include/x86_64-linux-gnu/asm/unistd_64.h
[ -r "$UNISTD" ] || { fail "$UNISTD missing (package linux-libc-dev)"; exit 0; }

python3 - "$KEEL_SRC/core/init/svc_sandbox.c" "$UNISTD" <<'PY'
import re, subprocess, sys
src = open(sys.argv[1]).read()
body = src[src.index("static const char groups[] ="):]
body = body[:body.index(";\n")]
keel = {}
for line in "".join(re.findall(r'"([^"]*)"', body)).split("\\n"):  # the C source's \n
    if line.strip():
        name, *members = line.split()
        keel["@" + name] = set(members)
x86_64 = set(re.findall(r"#define __NR_(\w+)", open(sys.argv[2]).read()))
out = subprocess.run(["systemd-analyze", "syscall-filter", "--no-pager"], capture_output=True, text=True).stdout
sd, cur = {}, None
for line in out.splitlines():
    if line.startswith("@"):
        cur = sd.setdefault(line.strip(), set())
    elif cur is not None and line.startswith("    ") and not line.strip().startswith("#"):
        cur.add(line.strip())
sd.pop("@known", None)
ok = True
def check(cond, what, detail=""):
    global ok
    print(("PASS" if cond else "FAIL") + ": compat/syscall-groups: " + what + (f" ({detail})" if detail and not cond else ""))
    ok &= cond
check(len(sd) >= 25 and set(keel) == set(sd), f"the same {len(sd)} groups as systemd-analyze",
      " ".join(sorted(set(keel) ^ set(sd))))
for g in sorted(sd):
    k = keel.get(g, set())
    extra = k - sd[g]
    missing = {m for m in sd[g] - k if m.startswith("@") or m in x86_64}
    check(g in keel and k and not extra and not missing, f"{g}: {len(k)} entries, none extra, no x86-64 call missing",
          f"extra {sorted(extra)} missing {sorted(missing)}")
sys.exit(0)
PY
