# tests/vm/lib.sh — boot keel in qemu (TCG) and talk to it over the serial console.
# Sourced by tests/vm/*.sh, tests/demo.sh and tests/bench/run.sh. Shared by boot, services and
# provision tests.
#
#   vm_initramfs [mkinitramfs args…]   -> path of build/vm/initramfs.cpio (rebuilt when keel,
#                                         the recipe or the test key change); with args (e.g.
#                                         --min-version V) another cached file with those
#   VM_INITRD=FILE                     makes vm_start boot that initramfs instead
#   vm_image NAME [mkimage args…]      -> build/vm/NAME.img, cached by its inputs (keel, the
#                                         scripts, the args, the content of --extra-* dirs);
#                                         never boot it directly: vm_copy first (boots write)
#   vm_copy NAME                       -> a private copy in $VM_DIR to boot (sparse)
#   vm_fixture NAME FIXTURE            -> $VM_CACHE/NAME, made afresh: bin/busybox (busybox-static)
#                                         and tests/vm/fixtures/FIXTURE/; fails without busybox
#   vm_start DISK [CMDLINE…]           start qemu (-accel tcg, serial on a pipe, log in $VM_LOG);
#                                      DISK is vda, each file in $VM_DRIVES (space-separated)
#                                      a further read-only virtio disk: vdb, vdc…
#                                      VM_NET=NETDEV: a virtio NIC on -netdev NETDEV,id=n0 (use
#                                      user,restrict=on with hostfwd/guestfwd on 127.0.0.1 only)
#                                      VM_UEFI=secure: boot DISK alone through OVMF with Secure
#                                      Boot on (q35, SMM, OVMF_CODE_4M.snakeoil.fd and a copy of
#                                      its VARS: the snakeoil PK/KEK/db, TEST KEYS), no -kernel,
#                                      no CMDLINE (the UKI carries it); VM_UEFI=plain: OVMF
#                                      without Secure Boot. The VARS copy ($VM_DIR/ovmf-vars.fd)
#                                      lives as long as $VM_DIR, like NVRAM.
#                                      VM_QEMU_ARGS (an array): further qemu arguments, e.g. a
#                                      user-mode network restricted to a guestfwd (update.sh)
#   vm_uefi_uki DISK NAME FILE         put FILE into DISK's ESP as EFI/Linux/NAME (mtools)
#   vm_uefi_ls DISK                    the names in DISK's EFI/Linux, one a line, sorted
#   vm_wait REGEX [SECONDS]            wait for a console line matching REGEX (grep -E); fails
#                                      when qemu exits first or the time runs out
#   vm_send LINE                       type LINE + newline on the serial console
#   vm_wait_exit [SECONDS]             wait for qemu to exit (poweroff/reboot: -no-reboot)
#   vm_stop                            kill our qemu if it still runs
#   vm_log_tail [N]                    last N console lines (for FAIL messages)
#   pass NAME / fail NAME [WHY]        PASS:/FAIL: lines
#   vm_oci_images DIR                  -> DIR/{hello,unsigned,sysadmin,stubborn}: OCI layouts made
#                                         with umoci (busybox-static as /bin; hello's layer
#                                         recompressed to zstd by skopeo), all but unsigned signed
#                                         with $VM_KEY as keel verify oci checks; sysadmin asks for
#                                         CAP_SYS_ADMIN, stubborn ignores SIGTERM; kept while
#                                         busybox, the key and the tools are
# Variables: KEEL (the binary), KEEL_SRC (the tree), VM_DIR (a private temp dir; removed at
# exit), VM_LOG, VM_PID, KEEL_VM_SLOW (multiply timeouts; default 1), KEEL_VM_MEM (MiB, 256),
# KEEL_VM_SMP (CPUs, 1).
set -u
: "${KEEL_SRC:=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}"
: "${KEEL:=$KEEL_SRC/build/keel}"
VM_CACHE=$KEEL_SRC/build/vm
VM_KEY=$KEEL_SRC/tests/vm/keys/slot-test.key
# Secure Boot TEST KEYS: OVMF's snakeoil PK/KEK/db pair (package ovmf), passphrase "snakeoil"
VM_SB_KEY=/usr/share/ovmf/PkKek-1-snakeoil.key
VM_SB_CERT=/usr/share/ovmf/PkKek-1-snakeoil.pem
VM_PUB=$KEEL_SRC/tests/vm/keys/slot-test.pem
: "${SOURCE_DATE_EPOCH:=$(git -C "$KEEL_SRC" log -1 --format=%ct 2>/dev/null || echo 0)}"
export SOURCE_DATE_EPOCH
VM_DIR=$(mktemp -d "${KEEL_TEST_TMP:-/tmp}/vm.XXXXXX")
VM_LOG=$VM_DIR/console.log
VM_PID=
VM_FD=
VM_CATPID=
mkdir -p "$VM_CACHE"
# mkimage/mkuki arguments that sign with the Secure Boot test keys above
printf snakeoil > "$VM_CACHE/snakeoil.pass"
VM_SB_SIGN=(--sign-key "$VM_SB_KEY" --sign-cert "$VM_SB_CERT" --sign-pass "$VM_CACHE/snakeoil.pass")

pass() { echo "PASS: ${VM_SUITE:-vm}: $1"; }
fail() { echo "FAIL: ${VM_SUITE:-vm}: $1${2:+ ($2)}"; }

vm_kernel() {
	local k
	k=$(LC_ALL=C ls /boot/vmlinuz-* 2>/dev/null | tail -1)
	[ -n "$k" ] || { echo "vm: no /boot/vmlinuz-* (linux-image-amd64)" >&2; return 1; }
	echo "$k"
}

# sha256 of a list of files and strings: the cache key of a build product.
_vm_key() {
	local x
	for x in "$@"; do
		if [ -d "$x" ]; then
			(cd "$x" && find . -printf '%p %m %l\n' | LC_ALL=C sort && find . -type f -print0 | LC_ALL=C sort -z | xargs -0r sha256sum)
		elif [ -f "$x" ]; then sha256sum < "$x"
		else printf '%s\n' "$x"
		fi
	done | sha256sum | cut -c1-64
}

vm_initramfs() {
	local out=$VM_CACHE/initramfs.cpio key
	[ $# -eq 0 ] || out=$VM_CACHE/initramfs-$(printf '%s\n' "$@" | sha256sum | cut -c1-12).cpio
	key=$(_vm_key "$KEEL" "$KEEL_SRC/initramfs/mkinitramfs.sh" "$KEEL_SRC/config/initramfs/modules" "$VM_PUB" "$(vm_kernel)" "$*")
	if [ ! -f "$out" ] || [ "$(cat "$out.key" 2>/dev/null)" != "$key" ]; then
		"$KEEL_SRC/initramfs/mkinitramfs.sh" --keel "$KEEL" --key "$VM_PUB" --out "$out" "$@" >&2 || return 1
		echo "$key" > "$out.key"
	fi
	echo "$out"
}

vm_image() {
	local name=$1 out key a dirs=()
	shift
	out=$VM_CACHE/$name.img
	for a in "$@"; do [ -e "$a" ] && dirs+=("$a"); done
	key=$(_vm_key "$KEEL" "$KEEL_SRC"/initramfs/{mkimage,mkuki,mkesp,sbsign}.sh "$VM_KEY" "$*" ${dirs[@]+"${dirs[@]}"})
	if [ ! -f "$out" ] || [ "$(cat "$out.key" 2>/dev/null)" != "$key" ]; then
		"$KEEL_SRC/initramfs/mkimage.sh" --keel "$KEEL" --key "$VM_KEY" --out "$out" "$@" > "$out.info" || return 1
		echo "$key" > "$out.key"
	fi
	echo "$out"
}

vm_fixture() {
	local fx=$VM_CACHE/$1
	rm -rf "$fx" && mkdir -p "$fx/bin" || return 1
	cp /bin/busybox "$fx/bin/busybox" && cp -a "$KEEL_SRC/tests/vm/fixtures/$2/." "$fx/" || return 1
	echo "$fx"
}

vm_copy() {
	local src=$VM_CACHE/$1.img dst=$VM_DIR/$1.img
	cp --sparse=always "$src" "$dst" && echo "$dst"
}

vm_start() {
	local disk=$1 kernel initrd d extra=() boot
	shift
	vm_stop
	for d in ${VM_DRIVES:-}; do extra+=(-drive "file=$d,format=raw,if=virtio,readonly=on"); done
	case ${VM_UEFI:-} in
	'')
		kernel=$(vm_kernel) || return 1
		initrd=${VM_INITRD:-$(vm_initramfs)} || return 1
		boot=(-kernel "$kernel" -initrd "$initrd" -append "console=ttyS0 panic=-1 loglevel=4 $*") ;;
	secure)
		[ -f "$VM_DIR/ovmf-vars.fd" ] || cp /usr/share/OVMF/OVMF_VARS_4M.snakeoil.fd "$VM_DIR/ovmf-vars.fd" || return 1
		boot=(-machine q35,smm=on -global driver=cfi.pflash01,property=secure,value=on
			-drive if=pflash,format=raw,unit=0,readonly=on,file=/usr/share/OVMF/OVMF_CODE_4M.snakeoil.fd
			-drive "if=pflash,format=raw,unit=1,file=$VM_DIR/ovmf-vars.fd") ;;
	plain)
		[ -f "$VM_DIR/ovmf-vars.fd" ] || cp /usr/share/OVMF/OVMF_VARS_4M.fd "$VM_DIR/ovmf-vars.fd" || return 1
		boot=(-machine q35 -drive if=pflash,format=raw,unit=0,readonly=on,file=/usr/share/OVMF/OVMF_CODE_4M.fd
			-drive "if=pflash,format=raw,unit=1,file=$VM_DIR/ovmf-vars.fd") ;;
	*) echo "vm: VM_UEFI=$VM_UEFI: want secure, plain or nothing" >&2; return 1 ;;
	esac
	rm -f "$VM_DIR/con.in" "$VM_DIR/con.out"
	mkfifo "$VM_DIR/con.in" "$VM_DIR/con.out"
	: > "$VM_LOG"
	cat "$VM_DIR/con.out" >> "$VM_LOG" &
	VM_CATPID=$!
	qemu-system-x86_64 -accel tcg -m "${KEEL_VM_MEM:-256}" -smp "${KEEL_VM_SMP:-1}" -nodefaults -no-user-config \
		-display none -no-reboot -monitor none \
		-chardev "pipe,id=con,path=$VM_DIR/con" -serial chardev:con \
		"${boot[@]}" \
		-drive "file=$disk,format=raw,if=virtio,cache=unsafe" ${extra[@]+"${extra[@]}"} \
		${VM_QEMU_ARGS[@]+"${VM_QEMU_ARGS[@]}"} \
		${VM_NET:+-netdev "$VM_NET,id=n0" -device virtio-net-pci,netdev=n0} \
		> "$VM_DIR/qemu.out" 2>&1 &
	VM_PID=$!
	exec {VM_FD}<>"$VM_DIR/con.in" # read-write: never blocks, even if qemu dies before opening it
}

vm_running() { [ -n "$VM_PID" ] && kill -0 "$VM_PID" 2>/dev/null; }

# qemu is gone: cat copies what is left in the pipe to $VM_LOG and ends at EOF (at most 10 s)
_vm_drain() {
	local i=0
	while [ -n "$VM_CATPID" ] && kill -0 "$VM_CATPID" 2>/dev/null && [ $i -lt 100 ]; do
		sleep 0.1
		i=$((i + 1))
	done
}

vm_wait() {
	local re=$1 secs=${2:-60} t
	t=$(( $(date +%s%N) / 1000000 + secs * ${KEEL_VM_SLOW:-1} * 1000 ))
	while :; do
		grep -aEq -- "$re" "$VM_LOG" 2>/dev/null && return 0
		if ! vm_running; then
			_vm_drain
			grep -aEq -- "$re" "$VM_LOG" 2>/dev/null && return 0
			echo "vm: qemu exited before /$re/" >&2
			return 1
		fi
		[ $(( $(date +%s%N) / 1000000 )) -ge "$t" ] && { echo "vm: timed out after ${secs}s waiting for /$re/" >&2; return 1; }
		sleep 0.1
	done
}

vm_send() {
	[ -n "$VM_FD" ] || return 1
	printf '%s\n' "$1" >&"$VM_FD"
}

vm_wait_exit() {
	local secs=${1:-60} t
	t=$(( $(date +%s) + secs * ${KEEL_VM_SLOW:-1} ))
	while vm_running; do
		[ "$(date +%s)" -ge "$t" ] && return 1
		sleep 0.1
	done
	wait "$VM_PID" 2>/dev/null || true
	VM_PID=
	_vm_drain
	return 0
}

# Never fails (callers may run under set -e, and it runs from the EXIT trap: a killed child's
# status from wait must not become the script's exit status).
vm_stop() {
	if vm_running; then
		kill "$VM_PID" 2>/dev/null || true
		wait "$VM_PID" 2>/dev/null || true
	fi
	VM_PID=
	if [ -n "$VM_FD" ]; then exec {VM_FD}>&-; VM_FD=; fi
	if [ -n "$VM_CATPID" ]; then
		kill "$VM_CATPID" 2>/dev/null || true
		wait "$VM_CATPID" 2>/dev/null || true
		VM_CATPID=
	fi
	return 0
}

# vm_state_image DISK: copy partition 4 (STATE) out of DISK into $VM_DIR/state.img.
vm_state_image() {
	local first size
	first=$(cgpt show -i 4 -b "$1") size=$(cgpt show -i 4 -s "$1")
	dd if="$1" of="$VM_DIR/state.img" bs=512 skip="$first" count="$size" status=none
}

# vm_state_check DISK: STATE came back clean: e2fsck -fn finds nothing, and the superblock says
# "clean" with no journal left to replay (needs_recovery: neither unmounted nor remounted
# read-only; e2fsck -n skips that and says 0). What e2fsck and dumpe2fs printed is in
# $VM_DIR/state-check.out.
vm_state_check() {
	local out=$VM_DIR/state-check.out
	vm_state_image "$1" || return 1
	e2fsck -fn "$VM_DIR/state.img" > "$out" 2>&1 || return 1
	dumpe2fs -h "$VM_DIR/state.img" >> "$out" 2>/dev/null || return 1
	grep -q '^Filesystem state: *clean$' "$out" && ! grep -q '^Filesystem features:.*needs_recovery' "$out"
}

# The ESP (partition 1) of a disk image, for mtools: "-i DISK@@OFFSET".
_vm_esp() { echo "$1@@$(( $(cgpt show -i 1 -b "$1") * 512 ))"; }
vm_uefi_uki() { MTOOLS_SKIP_CHECK=1 mcopy -o -i "$(_vm_esp "$1")" "$3" "::EFI/Linux/$2"; }
vm_uefi_ls() { MTOOLS_SKIP_CHECK=1 mdir -b -i "$(_vm_esp "$1")" ::EFI/Linux | sed 's,.*/,,' | LC_ALL=C sort; }

vm_log_tail() { tail -n "${1:-15}" "$VM_LOG" | tr -d '\r' | sed 's/^/  console: /'; }

_vm_cleanup() { local rc=$?; vm_stop; rm -rf "$VM_DIR"; return $rc; }
trap _vm_cleanup EXIT

vm_oci_images() {
	local out=$1 key cmd
	key=$(_vm_key /bin/busybox "$VM_KEY" "$(command -v umoci skopeo)" "$(umoci --version; skopeo --version)" "$(declare -f vm_oci_images)")
	[ "$(cat "$out/.key" 2>/dev/null)" = "$key" ] && return 0
	rm -rf "$out" && mkdir -p "$out" || return 1
	cmd='echo "CONTAINER hello: pid=$$ uid=$(id -u) $(grep CapEff /proc/self/status | tr -d "\t") cgroup=$(cat /proc/self/cgroup)"; trap "echo CONTAINER stopping; exit 0" TERM; while :; do sleep 1; done'
	( # compat/lib.sh: put, blob, index_set, sign (in a subshell: its pass/fail stay out)
		. "$KEEL_SRC/tests/compat/lib.sh" && cd "$out" && mkdir -p src/bin && cp /bin/busybox src/bin/busybox &&
		ln -s busybox src/bin/sh && umoci init --layout base && umoci new --image base:latest &&
		umoci unpack --image base:latest b0 && cp -a src/. b0/rootfs/ && umoci repack --image base:latest b0 &&
		umoci config --image base:latest --config.cmd /bin/sh --config.cmd -c --config.cmd "$cmd" &&
		skopeo copy --quiet --dest-compress-format zstd oci:base:latest oci:hello:latest && cp -a hello unsigned &&
		cp -a base sysadmin && umoci config --image sysadmin:latest --config.label io.containers.capabilities=CAP_SYS_ADMIN &&
		index_set sysadmin '.manifests |= [.[] | select(.annotations["org.opencontainers.image.ref.name"] == "latest")]' &&
		cp -a base stubborn && umoci config --image stubborn:latest --config.cmd /bin/sh --config.cmd -c \
			--config.cmd 'echo CONTAINER stubborn; trap "" TERM; while :; do sleep 1; done' &&
		index_set stubborn '.manifests |= [.[] | select(.annotations["org.opencontainers.image.ref.name"] == "latest")]' &&
		sign hello "$(jq -r '.manifests[0].digest' hello/index.json)" "$VM_KEY" &&
		sign sysadmin "$(jq -r '.manifests[0].digest' sysadmin/index.json)" "$VM_KEY" &&
		sign stubborn "$(jq -r '.manifests[0].digest' stubborn/index.json)" "$VM_KEY" &&
		rm -rf src b0 base ./*.json ./*.sig ./*.tmp
	) > "$out.log" 2>&1 || { rm -rf "$out"; return 1; }
	echo "$key" > "$out/.key"
}
