#!/usr/bin/env bash
# tests/vm/demo.sh — `./build.sh demo`'s exit status tells the truth: 0 after a good run (the host
# came up, ran its units, powered off cleanly), non-zero when the host does not come up.
# The failing run boots with keel.slot=USR-C (no such partition): stage 1 fails, the rescue
# console times out after 1 s and the machine reboots (qemu -no-reboot exits); the demo must
# then name a missing milestone and exit 1.
set -u
VM_SUITE=demo
. "$(dirname "$0")/lib.sh"
out=$VM_DIR/demo.out

"$KEEL_SRC/tests/demo.sh" > "$out" 2>&1
rc=$?
if [ "$rc" = 0 ] && grep -q '^==> demo: the host came up' "$out"; then
	pass "a good demo run exits 0"
else
	fail "a good demo run exits 0" "rc=$rc; $(tail -3 "$out" | tr '\n' ' ')"
fi

KEEL_DEMO_CMDLINE="keel.slot=USR-C keel.rescue_timeout=1" "$KEEL_SRC/tests/demo.sh" > "$out" 2>&1
rc=$?
if [ "$rc" = 1 ] && grep -q '^demo: missing on the console: /keel init: ' "$out" && grep -q 'demo: FAILED' "$out" &&
	! grep -q '^==> demo: the host came up' "$out"; then
	pass "a demo whose host does not come up exits 1, naming the missing milestone"
else
	fail "a demo whose host does not come up exits 1, naming the missing milestone" "rc=$rc; $(tail -3 "$out" | tr '\n' ' ')"
fi
