#!/usr/bin/env bash
# tests/vm/sockets.sh — socket activation under keel init as the host's PID 1 in qemu (stage 2):
# two socket units enabled in sockets.target.wants/ listen at boot on loopback; an Accept=no one
# (echo.socket) starts its service on the first connection, passing the socket as fd 3 with
# LISTEN_PID/LISTEN_FDS/LISTEN_FDNAMES (a static helper checks them and answers), and again after
# it exited; an Accept=yes one (hello.socket, a bare port: [::] that takes IPv4 too) starts one
# hello@N-LOCAL-REMOTE.service per connection with the connection as stdin/stdout; list-sockets.
# Inside the VM a probe unit (fixtures/sockets/lib/keel-test/probe-sockets) talks to them with
# busybox nc and reports "TEST …" lines on the console, then powers off.
VM_SUITE=sockets
. "$(dirname "$0")/lib.sh"

fx=$(vm_fixture fx-sockets sockets) || { fail "fixtures" "no /bin/busybox (busybox-static)"; exit 0; }
musl-gcc -static -O2 -o "$fx/lib/keel-test/sock-serve" "$KEEL_SRC/tests/vm/sock-serve.c" ||
	{ fail "fixtures" "musl-gcc could not build tests/vm/sock-serve.c"; exit 0; }
state=$KEEL_SRC/tests/vm/fixtures/sockets-state

t() { grep -a "^TEST $1" "$VM_LOG" | head -1 | tr -d '\r' | sed "s/^TEST $1//"; }
t_all() { grep -a "^TEST $1" "$VM_LOG" | tr -d '\r' | sed "s/^TEST $1//"; }

vm_image sockets --extra-usr "$fx" --extra-state "$state" >/dev/null || { fail "image sockets"; exit 0; }
disk=$(vm_copy sockets)
vm_start "$disk"
if ! vm_wait '^TEST done' 120; then
	fail "the probe unit ran to the end"
	vm_log_tail 40
	exit 0
fi

case "$(t 'pid1: ')" in "keel "*"keel init ") true;; *) false;; esac && pass "PID 1 is keel init (stage 2)" || fail "PID 1" "$(t 'pid1: ')"
[ "$(t 'echo.socket: ')" = "active echo.service: inactive" ] &&
	pass "echo.socket listens from boot (sockets.target.wants/); its service is not started before a connection" ||
	fail "before the first connection" "$(t 'echo.socket: ')"
[ "$(t 'echo: ')" = "served 'one' on fd 3: LISTEN_PID ok, LISTEN_FDS=1 LISTEN_FDNAMES=echo" ] &&
	pass "Accept=no: the first connection over loopback starts echo.service, which answers on fd 3" ||
	fail "Accept=no" "$(t 'echo: ')"
[ "$(t 'echo again: ')" = "served 'two' on fd 3: LISTEN_PID ok, LISTEN_FDS=1 LISTEN_FDNAMES=echo" ] &&
	pass "Accept=no: after the service exited the socket listened again and started it again" ||
	fail "Accept=no again" "$(t 'echo again: ')"
got=$(t_all 'hello: ' | sed -E 's/(127\.0\.0\.1):[0-9]+:/\1:/' | tr '\n' '|') # the peer's port varies
[ "$got" = "hello 0-127.0.0.1:7002-127.0.0.1: a LISTEN_FDS=1 connection|hello 1-127.0.0.1:7002-127.0.0.1: b LISTEN_FDS=1 connection|hello 2-127.0.0.1:7002-127.0.0.1: c LISTEN_FDS=1 connection|" ] &&
	pass "Accept=yes: one hello@N-127.0.0.1:7002-127.0.0.1:PORT.service per connection, the connection as stdin/stdout and fd 3" ||
	fail "Accept=yes" "$(t_all 'hello: ' | tr '\n' '|')"
ls=$(t_all 'ls: ' | tr '\n' '|')
[ "$ls" = "LISTEN         UNIT         ACTIVATES|127.0.0.1:7001 echo.socket  echo.service|[::]:7002      hello.socket -||2 sockets listed.|Pass --all to see loaded but inactive sockets, too.|" ] &&
	pass "list-sockets shows both, as systemctl does" || fail "list-sockets" "$ls"
if vm_wait_exit 60; then
	grep -aq 'reboot: Power down' "$VM_LOG" && pass "the machine powered off" || { fail "power off"; vm_log_tail 20; }
else
	fail "qemu exits after keel init poweroff"
	vm_log_tail 30
fi
vm_stop
