#!/usr/bin/env bash
# tests/vm/demo.sh — `./build.sh demo`'s exit status tells the truth: 0 after a good run (the host
# came up, ran its units, powered off cleanly), non-zero when the host does not come up.
# The demo boots through OVMF with Secure Boot on (tests/demo.sh). The failing run signs
# keel.init=/usr/lib/keel-none into the UKI: stage 1 cannot start the host init and, Secure Boot
# being on and the image having no rescue password, reboots instead of opening a root console
# (qemu -no-reboot exits); the demo must then name a missing milestone and exit 1. The old
# direct-kernel demo (KEEL_DEMO_UEFI=0) must still exit 0.
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

grep -q '^keel init: \[ *[0-9.]*\] UEFI: Secure Boot enabled; boot entry keel-2026.2.0+3.efi' "$out" &&
	grep -q '^keel init: \[ *[0-9.]*\] slot USR-B chosen by keel.usrhash=' "$out" &&
	pass "the demo shows the Secure Boot chain: entry, usrhash, slot" || fail "demo Secure Boot chain" "$(grep 'keel init' "$out" | head -5 | tr '\n' ' ')"
KEEL_DEMO_CMDLINE="keel.init=/usr/lib/keel-none" "$KEEL_SRC/tests/demo.sh" > "$out" 2>&1
rc=$?
if [ "$rc" = 1 ] && grep -q '^demo: missing on the console: /keel init: ' "$out" && grep -q 'demo: FAILED' "$out" &&
	! grep -q '^==> demo: the host came up' "$out"; then
	pass "a demo whose host does not come up exits 1, naming the missing milestone"
else
	fail "a demo whose host does not come up exits 1, naming the missing milestone" "rc=$rc; $(tail -3 "$out" | tr '\n' ' ')"
fi
grep -q 'Secure Boot is on and this image has no rescue password: rebooting' "$out" && ! grep -q 'rescue# ' "$out" &&
	pass "that failure, Secure Boot on: a reboot, no root console" || fail "demo failure locked down" "$(tail -5 "$out" | tr '\n' ' ')"
KEEL_DEMO_UEFI=0 "$KEEL_SRC/tests/demo.sh" > "$out" 2>&1
rc=$?
[ "$rc" = 0 ] && grep -q '^==> demo: the host came up' "$out" && pass "the direct-kernel demo (KEEL_DEMO_UEFI=0) exits 0" ||
	fail "direct-kernel demo" "rc=$rc; $(tail -3 "$out" | tr '\n' ' ')"
