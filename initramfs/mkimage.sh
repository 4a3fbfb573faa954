#!/usr/bin/env bash
# initramfs/mkimage.sh — build a keel host disk image: GPT, A/B verity slots, state partition.
#
#   initramfs/mkimage.sh --keel BIN --key PRIVATE.pem --out DISK.img [options]
#
# Layout (GPT, 512-byte sectors, 1 MiB aligned):
#   1 EFI-SYSTEM  8 MiB   raw and zero (the VM boots with -kernel/-initrd); with --uefi-initrd a
#                 FAT32 ESP (--esp-mb, default 64) made by mkesp.sh: systemd-boot, loader.conf and
#                 this release's UKI (mkuki.sh) as EFI/Linux/keel-VERSION+TRIES.efi
#   2 USR-A       --slot-mb (default 32) CoreOS USR type 5dfbf5f4-…, priority 1 tries 0 successful 1
#   3 USR-B       same size and type, priority 0 tries 0 successful 0 (or empty, see --slot-b)
#   4 STATE       --state-mb (default 32) ext4, label STATE
# Each slot: an erofs image of the /usr tree (bin/keel and its links init, systemctl, journalctl, lib/keel/…, share/keel/policy/host.json:
# keel policy host's default profile, lib/keel/keys/: config/keys' public keys (the trusted keys of
# keel verify and keel oci unpack), lib/systemd/system/container@.service, the --deb packages,
# plus --extra-usr trees),
# then its dm-verity hash tree (no superblock, at the 4 KiB-aligned end of the data), and in the
# last 64 KiB the signed slot manifest (format: README "Slot manifest", core/trust/manifest.h),
# signed with --key (ECDSA P-256, deterministic as RFC 6979: keel verify sign).
#
# Options:
#   --keel BIN            the keel binary for /usr/bin/keel (also /usr/bin/init link)
#   --key PEM             private key signing the manifests (tests/vm/keys/slot-test.key)
#   --out FILE            the disk image (sparse)
#   --version V           image version in the manifest (default 0.1.0)
#   --extra-usr DIR       copied into the slot's /usr tree (repeatable; later ones win)
#   --extra-state DIR     copied into the STATE filesystem (repeatable): /etc files, units…
#   --deb PKG             an installed Debian package into the slot's /usr (repeatable): its
#                         files below /usr but share/ (docs, man pages) and those it lists below
#                         /bin, /sbin, /lib, /lib64 (merged /usr: Debian 12 ships its units as
#                         /lib/systemd/system/*), and the shared libraries its ELF files need
#                         (ldd) in /usr/lib/x86_64-linux-gnu, the loader as
#                         /usr/lib64/ld-linux-x86-64.so.2 (the host's /lib64 -> usr/lib64); its
#                         files below /etc (conffiles as the package ships them; not init.d, runit)
#                         onto STATE's /etc, under --extra-state (which wins). What a maintainer
#                         script makes (users, host keys, a config copied from /usr/share) is not
#                         done: that is the provisioning config's job (README "Debian daemons")
#   --units DIR           unit files for the slot's /usr/lib/systemd/system (default
#                         config/units: container@.service)
#   --slot-mb N           slot size (default 32)    --state-mb N   STATE size (default 32)
#   --slot-b same|empty|none   USR-B holds the same image (default), zeros, or is not created
#   --attr-a P:T:S        slot A priority:tries:successful (default 1:0:1)
#   --attr-b P:T:S        slot B (default 0:0:0)
#   --version-b V         slot B holds another release: the same tree with version V (so another
#                         root hash); default: the same image as slot A
# UEFI boot (systemd-boot + a Unified Kernel Image in the ESP; see mkuki.sh and mkesp.sh):
#   --uefi-initrd CPIO    keel's initramfs for the UKI; turns the ESP into a bootable one
#   --uefi-kernel FILE    the kernel (default: the newest /boot/vmlinuz-*)
#   --uefi-cmdline TEXT   the UKI's command line before keel.usrhash=ROOT_HASH of slot A
#   --uefi-tries N        boot counter of the entry: keel-VERSION+N.efi (default 3); 0: keel-VERSION.efi
#   --uefi-slot a|b       whose root hash the UKI names (default a)
#   --esp-uki FILE        a further UKI for EFI/Linux/ under its own name (repeatable; tests)
#   --esp-mb N            ESP size with --uefi-initrd (default 64)
#   --sign-key KEY --sign-cert PEM [--sign-pass FILE]   sign systemd-boot and the UKI (sbsign);
#                         tests use OVMF's snakeoil pair (TEST KEYS, passphrase "snakeoil")
# SBOM:
#   --sbom FILE           write the image's SPDX 2.3 document (initramfs/mkspdx.py, read back from
#                         the finished image); a file of a slot, the ESP or the UKI's initramfs
#                         that is neither keel's nor an installed Debian package's fails the build
#                         (no image, no SBOM), naming the file
# Corruption scenarios (tests), applied to slot A after signing:
#   --corrupt PATH        flip one bit in the first data block of file PATH (below /usr)
#   --wrong-root-hash     sign a manifest whose root hash is wrong (dm-verity then refuses)
#   --bad-signature       flip one bit of the manifest signature
#   --no-manifest         leave the manifest area zero
# Reproducible: same inputs give the same bytes (the manifests' ECDSA signatures are
# deterministic, RFC 6979; sbsign's Authenticode signatures of the UKI and systemd-boot carry a
# signing time): SOURCE_DATE_EPOCH for every time stamp, fixed UUIDs and salt derived from
# --version, files owned by root, sorted.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
keel= key= out= version=0.1.0 slot_mb=32 state_mb=32 slot_b=same attr_a=1:0:1 attr_b=0:0:0
corrupt= wrong_root= bad_sig= no_manifest= version_b=
sbom= uefi_initrd= uefi_kernel= uefi_cmdline= uefi_tries=3 uefi_slot=a esp_mb=64 sign_key= sign_cert= sign_pass=
esp_ukis=()
extra_usr=() extra_state=() debs=() units=$top/config/units
die() { echo "mkimage: $*" >&2; exit 3; }
while [ $# -gt 0 ]; do
	case $1 in
	--keel) keel=$2; shift 2 ;;
	--key) key=$2; shift 2 ;;
	--out) out=$2; shift 2 ;;
	--version) version=$2; shift 2 ;;
	--extra-usr) extra_usr+=("$2"); shift 2 ;;
	--extra-state) extra_state+=("$2"); shift 2 ;;
	--deb) debs+=("$2"); shift 2 ;;
	--units) units=$2; shift 2 ;;
	--slot-mb) slot_mb=$2; shift 2 ;;
	--state-mb) state_mb=$2; shift 2 ;;
	--slot-b) slot_b=$2; shift 2 ;;
	--attr-a) attr_a=$2; shift 2 ;;
	--attr-b) attr_b=$2; shift 2 ;;
	--version-b) version_b=$2; shift 2 ;;
	--uefi-initrd) uefi_initrd=$2; shift 2 ;;
	--uefi-kernel) uefi_kernel=$2; shift 2 ;;
	--uefi-cmdline) uefi_cmdline=$2; shift 2 ;;
	--uefi-tries) uefi_tries=$2; shift 2 ;;
	--uefi-slot) uefi_slot=$2; shift 2 ;;
	--esp-uki) esp_ukis+=("$2"); shift 2 ;;
	--esp-mb) esp_mb=$2; shift 2 ;;
	--sbom) sbom=$2; shift 2 ;;
	--sign-key) sign_key=$2; shift 2 ;;
	--sign-cert) sign_cert=$2; shift 2 ;;
	--sign-pass) sign_pass=$2; shift 2 ;;
	--corrupt) corrupt=$2; shift 2 ;;
	--wrong-root-hash) wrong_root=1; shift ;;
	--bad-signature) bad_sig=1; shift ;;
	--no-manifest) no_manifest=1; shift ;;
	*) sed -n '2,/^set -e/p' "$0" | sed 's/^# \{0,1\}//; /^set -e/d' >&2; exit 2 ;;
	esac
done
[ -n "$keel" ] && [ -n "$key" ] && [ -n "$out" ] || die "--keel, --key and --out are required"
[ -x "$keel" ] || die "$keel: not executable"
[ -r "$key" ] || die "$key: unreadable"
[[ $version =~ ^[A-Za-z0-9._+-]{1,64}$ ]] || die "--version: 1-64 of [A-Za-z0-9._+-]"
case $slot_b in same|empty|none) ;; *) die "--slot-b: same, empty or none" ;; esac
[ -z "$version_b" ] || [[ $version_b =~ ^[A-Za-z0-9._+-]{1,64}$ ]] || die "--version-b: 1-64 of [A-Za-z0-9._+-]"
[[ $uefi_tries =~ ^[0-9]$|^1[0-5]$ ]] || die "--uefi-tries: 0..15"
case $uefi_slot in a|b) ;; *) die "--uefi-slot: a or b" ;; esac
for t in mkfs.erofs sgdisk cgpt mke2fs openssl; do
	command -v "$t" >/dev/null || die "$t not found (build.sh installs erofs-utils gdisk cgpt e2fsprogs openssl)"
done
: "${SOURCE_DATE_EPOCH:=0}"
export SOURCE_DATE_EPOCH E2FSPROGS_FAKE_TIME=$SOURCE_DATE_EPOCH

# Fixed identifiers, derived from the version so two builds agree.
h=$(printf 'keel-image %s' "$version" | sha256sum | cut -c1-64)
guid() { local x; x=$(printf '%s %s' "$h" "$1" | sha256sum | cut -c1-32); echo "${x:0:8}-${x:8:4}-4${x:13:3}-a${x:17:3}-${x:20:12}"; }

w=$(mktemp -d "${TMPDIR:-/tmp}/keel-mkimage.XXXXXX")
trap 'rm -rf "$w"' EXIT
umask 022

# ---- Debian packages (--deb): one /usr tree both slots copy ------------------------------------
debtree=$w/debs debetc=$w/debs-etc
mkdir -p "$debtree" "$debetc"
for p in ${debs[@]+"${debs[@]}"}; do
	dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null | grep -q '^install ok installed$' || die "--deb $p: not installed"
	while read -r f; do
		case $f in
		/usr/share/*|/usr/share) continue ;;
		/usr/*) d=$debtree/${f#/usr/} ;;
		/bin/*|/sbin/*|/lib/*|/lib64/*) d=$debtree/${f#/} ;;
		/etc/init.d/*|/etc/sv/*|/etc/runit/*) continue ;;
		/etc/*) d=$debetc/${f#/etc/} ;;
		*) continue ;;
		esac
		[ -f "$f" ] || [ -L "$f" ] || continue
		mkdir -p "$(dirname "$d")"
		cp -a "$f" "$d"
	done < <(dpkg -L "$p")
done
# the libraries ELF files in the tree need, as this machine's loader resolves them (no "not found")
while read -r f; do
	[ "$(head -c 4 "$f" | od -An -tx1 | tr -d ' ')" = 7f454c46 ] || continue
	needs=$(ldd "$f" 2>&1) || continue # static
	! grep -q 'not found' <<< "$needs" || die "--deb: $f: a library is missing: $(grep 'not found' <<< "$needs" | head -1)"
	for lib in $(awk '$2 == "=>" && $3 ~ /^\// { print $3 } $1 ~ /^\// { print $1 }' <<< "$needs"); do
		case $lib in
		*/ld-linux-x86-64.so.2) install -D -m 0755 "$(readlink -f "$lib")" "$debtree/lib64/ld-linux-x86-64.so.2" ;;
		*) install -D -m 0644 "$(readlink -f "$lib")" "$debtree/lib/x86_64-linux-gnu/${lib##*/}" ;;
		esac
	done
done < <(find "$debtree" -type f | LC_ALL=C sort)

# ---- slot images: /usr tree, erofs + verity + manifest ------------------------------------------
# make_slot VERSION FILE: FILE gets the slot partition's bytes (unsigned); sets the globals of that
# slot: root (its /usr tree), fs (its erofs image), blocks, data (bytes), salt, roothash.
slot_bytes=$((slot_mb * 1048576))
make_slot() {
	local v=$1 o=$2 n hash_blocks vout
	root=$w/usr-$v fs=$w/usr-$v.erofs
	salt=$(printf 'keel-salt %s' "$v" | sha256sum | cut -c1-64)
	mkdir -p "$root"/{bin,sbin,lib/keel,lib/systemd/system,share/keel}
	install -m 0755 "$keel" "$root/bin/keel"
	ln -s keel "$root/bin/init"
	# the commands a systemd user types (keel's applets: systemctl, journalctl)
	ln -s keel "$root/bin/systemctl"
	ln -s keel "$root/bin/journalctl"
	ln -s ../bin/keel "$root/sbin/init"
	printf '%s\n' "$v" > "$root/lib/keel/version"
	# keel policy host's default profile (config/policy/host.json)
	install -D -m 0644 "$top/config/policy/host.json" "$root/share/keel/policy/host.json"
	# the trusted keys (config/keys: none in the source tree) and the unit templates
	for k in "$top"/config/keys/*.pem "$top"/config/keys/*.der "$top"/config/keys/*.pub; do
		[ -f "$k" ] && install -D -m 0644 "$k" "$root/lib/keel/keys/${k##*/}"
	done
	for u in "$units"/*.service; do [ -f "$u" ] && install -m 0644 "$u" "$root/lib/systemd/system/"; done
	cp -a "$debtree/." "$root/"
	for d in ${extra_usr[@]+"${extra_usr[@]}"}; do cp -a "$d/." "$root/"; done
	find "$root" -exec touch -h -d "@$SOURCE_DATE_EPOCH" {} +
	mkfs.erofs --quiet --all-root -T "$SOURCE_DATE_EPOCH" -U "$(guid "erofs $v")" "$fs" "$root" >/dev/null ||
		die "mkfs.erofs failed"
	data=$(stat -c %s "$fs")
	data=$(( (data + 4095) / 4096 * 4096 ))
	truncate -s "$data" "$fs"
	blocks=$((data / 4096))
	cp "$fs" "$o"
	truncate -s "$slot_bytes" "$o"
	vout=$("$keel" verify verity format --no-superblock --hash=sha256 --data-block-size=4096 --hash-block-size=4096 \
		--data-blocks="$blocks" --hash-offset="$data" --salt="$salt" "$o" "$o") || die "keel verify verity format failed"
	roothash=$(printf '%s\n' "$vout" | awk '/^Root hash:/ { print $3 }')
	[ ${#roothash} -eq 64 ] || die "no root hash from keel verify verity format"
	# the tree must end before the manifest area
	hash_blocks=0
	n=$blocks
	while [ "$n" -gt 1 ]; do n=$(( (n + 127) / 128 )); hash_blocks=$((hash_blocks + n)); done
	[ $((data + hash_blocks * 4096)) -le $((slot_bytes - 65536)) ] ||
		die "slot of $slot_mb MiB too small for $((data >> 20)) MiB of /usr (--slot-mb)"
}

manifest() { # version root-hash (blocks, data, salt of the slot made last)
	printf 'keel-slot-manifest 1\nversion %s\nfs erofs\nhash sha256\ndata-block-size 4096\nhash-block-size 4096\ndata-blocks %s\nhash-offset %s\nsalt %s\nroot-hash %s\n' \
		"$1" "$blocks" "$data" "$salt" "$2"
}
le32() { printf "$(printf '\\x%02x\\x%02x\\x%02x\\x%02x' $(($1 & 255)) $(($1 >> 8 & 255)) $(($1 >> 16 & 255)) $(($1 >> 24 & 255)))"; }
write_manifest() { # slot-file version root-hash
	local m=$w/manifest.txt s=$w/manifest.sig
	manifest "$2" "$3" > "$m"
	"$keel" verify sign --key "$key" --out "$s" "$m" || die "keel verify sign could not sign with $key"
	if [ -n "$bad_sig" ] && [ "$1" = "$w/slot-a.img" ]; then
		local last; last=$(( $(stat -c %s "$s") - 1 ))
		printf "\\x$(printf %02x $(( $(od -An -tu1 -j"$last" -N1 "$s") ^ 1 )))" |
			dd of="$s" bs=1 seek="$last" conv=notrunc status=none
	fi
	{
		printf 'KEELSLOT'
		le32 "$(stat -c %s "$m")"
		le32 "$(stat -c %s "$s")"
		cat "$m" "$s"
	} > "$w/area"
	dd if="$w/area" of="$1" bs=4096 seek=$(( (slot_bytes - 65536) / 4096 )) conv=notrunc status=none
}
roothash_b=
if [ -n "$version_b" ] && [ "$slot_b" = same ]; then
	make_slot "$version_b" "$w/slot-b.img"
	write_manifest "$w/slot-b.img" "$version_b" "$roothash"
	roothash_b=$roothash
fi
make_slot "$version" "$w/slot-a.img"
if [ -z "$roothash_b" ]; then
	cp "$w/slot-a.img" "$w/slot-b.img"
	write_manifest "$w/slot-b.img" "$version" "$roothash"
	roothash_b=$roothash
fi
if [ -n "$no_manifest" ]; then
	:
elif [ -n "$wrong_root" ]; then
	write_manifest "$w/slot-a.img" "$version" "$(printf 'wrong %s' "$roothash" | sha256sum | cut -c1-64)"
else
	write_manifest "$w/slot-a.img" "$version" "$roothash"
fi
if [ -n "$corrupt" ]; then
	f=$root/${corrupt#/usr/}
	[ -f "$f" ] && [ "$(stat -c %s "$f")" -ge 4096 ] || die "--corrupt $corrupt: need a regular file of at least 4 KiB"
	want=$(head -c 4096 "$f" | sha256sum | cut -c1-64)
	mkdir "$w/blocks"
	split -b 4096 -d -a 6 "$fs" "$w/blocks/b"
	hits=$(cd "$w/blocks" && sha256sum b* | awk -v h="$want" '$1 == h { print substr($2, 2) }')
	[ "$(printf '%s\n' "$hits" | grep -c .)" = 1 ] ||
		die "--corrupt $corrupt: its first block is not found exactly once in the image"
	off=$(( 10#$hits * 4096 + 100 ))
	rm -rf "$w/blocks"
	b=$(od -An -tu1 -j"$off" -N1 "$w/slot-a.img" | tr -d ' ')
	printf "\\x$(printf %02x $((b ^ 0x10)))" | dd of="$w/slot-a.img" bs=1 seek="$off" conv=notrunc status=none
fi

# ---- STATE ----------------------------------------------------------------------------------------
st=$w/state
mkdir -p "$st"
[ -z "$(ls -A "$debetc")" ] || { mkdir -p "$st/etc" && cp -a "$debetc/." "$st/etc/"; }
for d in ${extra_state[@]+"${extra_state[@]}"}; do cp -a "$d/." "$st/"; done
find "$st" -exec touch -h -d "@$SOURCE_DATE_EPOCH" {} +
truncate -s "$((state_mb * 1048576))" "$w/state.img"
mke2fs -q -F -t ext4 -L STATE -U "$(guid state-fs)" -E "hash_seed=$(guid state-hash),root_owner=0:0" \
	-N 4096 -d "$st" "$w/state.img" || die "mke2fs failed"

# ---- the ESP: systemd-boot and this release's UKI ------------------------------------------------
esp_size=8
if [ -n "$uefi_initrd" ]; then
	esp_size=$esp_mb
	sign=()
	[ -z "$sign_key" ] || sign=(--sign-key "$sign_key" --sign-cert "$sign_cert" ${sign_pass:+--sign-pass "$sign_pass"})
	uv=$version uh=$roothash
	[ "$uefi_slot" = a ] || uv=${version_b:-$version} uh=$roothash_b
	name=keel-$uv
	[ "$uefi_tries" = 0 ] || name=$name+$uefi_tries
	mkdir "$w/uki"
	"$top/initramfs/mkuki.sh" --initrd "$uefi_initrd" ${uefi_kernel:+--kernel "$uefi_kernel"} --version "$uv" \
		--usrhash "$uh" --cmdline "$uefi_cmdline" --out "$w/uki/$name.efi" ${sign[@]+"${sign[@]}"} || die "mkuki.sh failed"
	esp_args=()
	for u in ${esp_ukis[@]+"${esp_ukis[@]}"} "$w/uki/$name.efi"; do esp_args+=(--uki "$u"); done
	"$top/initramfs/mkesp.sh" --out "$w/esp.img" --size-mb "$esp_mb" "${esp_args[@]}" ${sign[@]+"${sign[@]}"} ||
		die "mkesp.sh failed"
fi

# ---- the disk --------------------------------------------------------------------------------------
total=$(( 1 + esp_size + slot_mb * 2 + state_mb + 1 ))
rm -f "$out.tmp"
truncate -s "${total}M" "$out.tmp"
T=5dfbf5f4-2848-4bac-aa5e-0d9a20b745a6
args=(-o -U "$(guid disk)"
	-n "1:2048:+${esp_size}M" -t 1:ef00 -c 1:EFI-SYSTEM -u "1:$(guid p1)"
	-n "2:0:+${slot_mb}M" -t "2:$T" -c 2:USR-A -u "2:$(guid p2)")
if [ "$slot_b" != none ]; then
	args+=(-n "3:0:+${slot_mb}M" -t "3:$T" -c 3:USR-B -u "3:$(guid p3)")
	args+=(-n "4:0:+${state_mb}M" -t 4:8300 -c 4:STATE -u "4:$(guid p4)")
else
	args+=(-n "4:0:+$((slot_mb + state_mb))M" -t 4:8300 -c 4:STATE -u "4:$(guid p4)")
fi
sgdisk "${args[@]}" "$out.tmp" >/dev/null || die "sgdisk failed"
start() { sgdisk -i "$1" "$out.tmp" | awk '/^First sector:/ { print $3 }'; }
dd if="$w/slot-a.img" of="$out.tmp" bs=1M seek=$(( $(start 2) / 2048 )) conv=notrunc,sparse status=none
[ "$slot_b" = same ] && dd if="$w/slot-b.img" of="$out.tmp" bs=1M seek=$(( $(start 3) / 2048 )) conv=notrunc,sparse status=none
[ -z "$uefi_initrd" ] || dd if="$w/esp.img" of="$out.tmp" bs=1M seek=1 conv=notrunc,sparse status=none
state_off=$(( $(start 4) / 2048 ))
dd if="$w/state.img" of="$out.tmp" bs=1M seek="$state_off" conv=notrunc,sparse status=none
IFS=: read -r p t s <<< "$attr_a"; cgpt add -i 2 -P "$p" -T "$t" -S "$s" "$out.tmp"
if [ "$slot_b" != none ]; then IFS=: read -r p t s <<< "$attr_b"; cgpt add -i 3 -P "$p" -T "$t" -S "$s" "$out.tmp"; fi
if [ -n "$sbom" ]; then
	"$top/initramfs/mkspdx.py" --image "$out.tmp" --name "$(basename "$out")" --keel "$keel" --top "$top" --out "$sbom" \
		${uefi_initrd:+--initrd "$uefi_initrd"} ${uefi_kernel:+--kernel "$uefi_kernel"} || { rm -f "$out.tmp"; die "--sbom: mkspdx.py failed"; }
fi
mv "$out.tmp" "$out"
echo "root-hash $roothash"
echo "root-hash-b $roothash_b"
