#!/bin/bash
# tests/valgrind.sh — memcheck over keel (suite "valgrind" of tests/run.sh).
#
# build/vg/keel is keel's code linked dynamically against musl (./build.sh builds it for the
# tests; run_make vg): valgrind replaces malloc only in a dynamically linked process, and cannot
# run a seccomp-filtered one, so that build compiles the sandbox out (KEEL_UNDER_VALGRIND) and
# nothing else differs. Runs, each one PASS/FAIL line:
#   - applet tests json, verify, slots, notify with every keel invocation under memcheck (links
#     named after an applet too): all their checks pass and valgrind reports no error and no
#     definite leak in any process;
#   - keel init --no-machine (the supervisor) under memcheck through 1,000 restarts of a unit
#     that exits at once, then SIGTERM: no error, no definite leak.
# valgrind 3.19 does not know openat2(2) (437) and answers ENOSYS; keel falls back to its
# openat walk (core/base/fs.c), so those warnings are expected and ignored.
set -u
: "${KEEL:?}" "${KEEL_SRC:?}"
VG=$(dirname "$KEEL")/vg/keel
T=$(mktemp -d "${KEEL_TEST_TMP:-/tmp}/valgrind.XXXXXX")
chmod o+x "$T"
pass() { echo "PASS: valgrind: $1"; }
fail() { echo "FAIL: valgrind: $1"; }
[ -x "$VG" ] || { fail "$VG missing (./build.sh test builds it)"; exit 0; }
command -v valgrind >/dev/null || { fail "valgrind is not installed (package valgrind)"; exit 0; }
if strings "$KEEL" | grep -q KEEL_UNDER_VALGRIND || ! nm "$(dirname "$KEEL")/keel.debug" | grep -q ' seccomp_load$'; then
	fail "build/keel must be the sandboxed build (seccomp linked, not the valgrind flavour)"
fi

# The wrapper: `keel …` or a link named APPLET → valgrind on build/vg/keel under the same name.
mkdir -p "$T/bin" "$T/logs" "$T/names"
cat > "$T/bin/keel" <<WRAP
#!/bin/sh
name=\$(basename "\$0")
exe=$VG
if [ "\$name" != keel ]; then exe=$T/names/\$name; ln -sf "$VG" "\$exe" 2>/dev/null; fi
exec valgrind -q --soname-synonyms=somalloc=NONE --leak-check=full --errors-for-leak-kinds=definite \\
	--error-exitcode=99 --child-silent-after-fork=yes --log-file=$T/logs/vg.%p "\$exe" "\$@"
WRAP
chmod 755 "$T/bin/keel" "$T/bin" "$T/names"

# Errors memcheck found in the logs (lines "==PID== …"), apart from nothing.
vg_errors() { cat "$T"/logs/vg.* 2>/dev/null | grep -E '^==[0-9]+== ' | head -"${1:-20}"; }

# The memcheck harness is not a no-op: a use after free and a leak in a test program are found.
cat > "$T/bad.c" <<'C'
#include <stdlib.h>
int main(void) { char *p = malloc(10); char *q = malloc(20); (void)q; free(p); return p[3]; }
C
if musl-gcc -g -O0 -fPIE -pie "$T/bad.c" -o "$T/bad" 2>/dev/null; then
	valgrind -q --soname-synonyms=somalloc=NONE --leak-check=full --errors-for-leak-kinds=definite \
		--error-exitcode=99 --log-file="$T/bad.log" "$T/bad"
	rc=$?
	if [ $rc = 99 ] && grep -q 'Invalid read' "$T/bad.log" && grep -q 'definitely lost' "$T/bad.log"; then
		pass "the harness finds a use after free and a leak in a musl program (control)"
	else
		fail "the harness missed a planted use after free / leak (rc $rc)"
	fi
else
	fail "musl-gcc could not build the control program"
fi

for t in json verify slots notify; do
	rm -f "$T"/logs/vg.*
	out=$(KEEL=$T/bin/keel KEEL_TEST_TMP=$T bash "$KEEL_SRC/tests/applets/$t.test" 2>&1)
	p=$(grep -c '^PASS' <<<"$out") f=$(grep -c '^FAIL' <<<"$out") n=$(ls "$T"/logs | wc -l)
	errs=$(vg_errors)
	if [ "$f" = 0 ] && [ "$p" -gt 0 ] && [ "$n" -gt 0 ] && [ -z "$errs" ]; then
		pass "$t.test: $p checks pass, $n keel processes, no memcheck error or definite leak"
	else
		fail "$t.test under memcheck: $p passed, $f failed, $n processes"
		grep '^FAIL' <<<"$out" | head -5 | sed 's/^/  /'
		[ -n "$errs" ] && sed 's/^/  /' <<<"$errs"
	fi
done

# The supervisor through 1,000 restarts.
rm -f "$T"/logs/vg.*
R=$T/root
mkdir -p "$R/etc/systemd/system/multi-user.target.wants" "$R/etc"
cat > "$R/etc/systemd/system/churn.service" <<EOF
[Unit]
StartLimitIntervalSec=0
[Service]
Restart=always
RestartSec=1ms
RestartMaxDelaySec=2ms
Environment=A=1 B=two
ExecStartPre=/bin/true
ExecStart=/bin/sh -c 'echo x >> $T/starts'
EOF
ln -s ../churn.service "$R/etc/systemd/system/multi-user.target.wants/churn.service"
"$T/bin/keel" init --no-machine --root "$R" > "$T/sup.log" 2>&1 &
sup=$!
end=$(($(date +%s) + 600))
while [ "$({ wc -l < "$T/starts"; } 2>/dev/null || echo 0)" -lt 1000 ] && [ "$(date +%s)" -lt "$end" ] && kill -0 $sup 2>/dev/null; do
	sleep 1
done
n=$({ wc -l < "$T/starts"; } 2>/dev/null || echo 0)
kill -TERM $sup 2>/dev/null
wait $sup
rc=$?
errs=$(vg_errors)
if [ "$n" -ge 1000 ] && [ "$rc" = 0 ] && [ -z "$errs" ]; then
	pass "keel init --no-machine: $n restarts then SIGTERM, exit 0, no memcheck error or definite leak"
else
	fail "keel init under memcheck: $n restarts, exit $rc"
	[ -n "$errs" ] && sed 's/^/  /' <<<"$errs"
	tail -5 "$T/sup.log" | sed 's/^/  log: /'
fi
rm -rf "$T"
exit 0
