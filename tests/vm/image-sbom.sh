#!/usr/bin/env bash
# tests/vm/image-sbom.sh — the image SBOM (initramfs/mkspdx.py, mkimage.sh --sbom): an image like
# the demo's (runc and the libraries it needs from Debian, busybox-static and a test key as extra
# /usr files, two releases in USR-A/USR-B, a signed systemd-boot and UKI on the ESP; cached by
# vm_image) is read back independently (cgpt, fsck.erofs, mtools) and every regular file and
# symbolic link of both slots must be in the document with its sha256, in its slot and in a
# package (keel or a Debian package: name, version and architecture as dpkg says). Forged: a
# file added to the slot tree, a package file modified after unpacking (mkimage --corrupt) and a
# keel file changed must each be named as unattributed, and mkimage --sbom must then fail
# without writing the image. Both SBOMs (build/keel.spdx.json too) pass tests/sbom/validate.py.
# Boots nothing.
set -u
VM_SUITE=image-sbom
. "$(dirname "$0")/lib.sh"
SPDX=$KEEL_SRC/initramfs/mkspdx.py
VALIDATE=$KEEL_SRC/tests/sbom/validate.py
doc=$VM_DIR/image.spdx.json

fx=$VM_CACHE/fx-sbom
rm -rf "$fx" && mkdir -p "$fx/bin" "$fx/lib/keel/keys" && cp /bin/busybox "$fx/bin/busybox" &&
	cp "$VM_PUB" "$fx/lib/keel/keys/containers.pem" || { fail "fixture"; exit 1; }
ird=$(vm_initramfs) || { fail "initramfs"; exit 1; }
img=$(vm_image sbom --extra-usr "$fx" --deb runc --version 2026.1.0 --version-b 2026.2.0 --uefi-initrd "$ird" \
	--uefi-slot b --uefi-cmdline "console=ttyS0" "${VM_SB_SIGN[@]}") || { fail "mkimage (build/vm/sbom.img)"; exit 1; }

t0=$(date +%s%N)
if "$SPDX" --image "$img" --keel "$KEEL" --initrd "$ird" --out "$doc" 2> "$VM_DIR/spdx.err"; then
	pass "mkspdx.py describes the image ($(( ($(date +%s%N) - t0) / 1000000 )) ms)"
else
	fail "mkspdx.py describes the image" "$(head -5 "$VM_DIR/spdx.err" | tr '\n' ' ')"
	exit 1
fi

# ---- the oracle: the image's own slots, read with cgpt + fsck.erofs --------------------------------
# "SLOT ./usr/PATH SHA256" for every regular file and symlink (symlink: sha256 of its target);
# "initramfs ./PATH SHA256" for keel's initramfs in the UKI (cpio -i)
walk() { # LABEL PREFIX: in a tree
	find . \( -type f -o -type l \) | LC_ALL=C sort | while read -r f; do
		if [ -L "$f" ]; then h=$(printf '%s' "$(readlink "$f")" | sha256sum | cut -c1-64); else h=$(sha256sum < "$f" | cut -c1-64); fi
		echo "$1 $2${f#./} $h"
	done
}
: > "$VM_DIR/tree.tsv"
for i in 2 3; do
	label=$(cgpt show -i "$i" -l "$img")
	dd if="$img" of="$VM_DIR/p$i" bs=512 skip="$(cgpt show -i "$i" -b "$img")" count="$(cgpt show -i "$i" -s "$img")" status=none
	fsck.erofs --extract="$VM_DIR/t$i" --no-preserve "$VM_DIR/p$i" > /dev/null 2>&1 || { fail "fsck.erofs --extract $label"; exit 1; }
	(cd "$VM_DIR/t$i" && walk "$label" ./usr/) >> "$VM_DIR/tree.tsv"
	rm -f "$VM_DIR/p$i"
done
mkdir "$VM_DIR/ird" && (cd "$VM_DIR/ird" && cpio -id --quiet --no-absolute-filenames < "$ird" && walk initramfs ./) >> "$VM_DIR/tree.tsv" ||
	fail "cpio -i the initramfs"
# the same triples from the document: files a slot (or the UKI's .initrd) CONTAINS, with the
# package (keel or Debian) that CONTAINS them
jq -r '
	(.files | map({key: .SPDXID, value: .}) | from_entries) as $f
	| (.packages | map({key: .SPDXID, value: .}) | from_entries) as $p
	| [.relationships[] | select(.relationshipType == "CONTAINS")] as $c
	| $c[] | select((.spdxElementId | startswith("SPDXRef-slot-")) or ($f[.spdxElementId].fileName // "" | endswith(":.initrd")))
	| .relatedSpdxElement as $id | ($f[$id]) as $file
	| [$c[] | select(.relatedSpdxElement == $id and (.spdxElementId | test("^SPDXRef-(keel|deb-)"))) | .spdxElementId] as $owners
	| "\(if $p[.spdxElementId] then $p[.spdxElementId].name | sub("keel /usr slot "; "") else "initramfs" end) \($file.fileName) \($file.checksums[] | select(.algorithm == "SHA256") | .checksumValue) \($owners | join(","))"
' "$doc" | LC_ALL=C sort > "$VM_DIR/doc.tsv"
n=$(grep -c . "$VM_DIR/tree.tsv")
ni=$(grep -c '^initramfs ' "$VM_DIR/tree.tsv")
missing=$(LC_ALL=C comm -23 <(LC_ALL=C sort "$VM_DIR/tree.tsv") <(cut -d' ' -f1-3 "$VM_DIR/doc.tsv" | LC_ALL=C sort))
extra=$(LC_ALL=C comm -13 <(LC_ALL=C sort "$VM_DIR/tree.tsv") <(cut -d' ' -f1-3 "$VM_DIR/doc.tsv" | LC_ALL=C sort))
if [ "$n" -ge 60 ] && [ "$ni" -ge 30 ] && [ -z "$missing" ] && [ -z "$extra" ]; then
	pass "all $n files and symlinks of USR-A, USR-B and the UKI's initramfs ($ni) are in the SBOM with their sha256, nothing else"
else
	fail "every slot file in the SBOM" "n=$n missing: $(echo $missing | head -c 300) extra: $(echo $extra | head -c 300)"
fi
orphans=$(awk 'NF < 4 || $4 ~ /,/' "$VM_DIR/doc.tsv")
[ "$(grep -c . "$VM_DIR/doc.tsv")" = "$n" ] && [ -z "$orphans" ] && pass "each of them belongs to exactly one package (keel or Debian)" ||
	fail "one package per file" "$(echo $orphans | head -c 300)"

# attributions against dpkg itself (the oracle for name, version, architecture)
deb() { # PACKAGE -> "name version arch" from dpkg, and the SBOM package that CONTAINS PATH (slot B)
	echo "$(dpkg-query -W -f='${Package} ${Version} ${Architecture}' "$1")"
}
owner_of() { # SLOT PATH -> "name versionInfo arch(purl)" of its package
	local id
	id=$(awk -v s="$1" -v p="$2" '$1 == s && $2 == p { print $4 }' "$VM_DIR/doc.tsv")
	jq -r --arg id "$id" '.packages[] | select(.SPDXID == $id) | "\(.name) \(.versionInfo) \((.externalRefs // [])[0].referenceLocator // "" | capture("arch=(?<a>[a-z0-9]+)").a // "-")"' "$doc"
}
ok=1
for pair in runc:./usr/sbin/runc libc6:./usr/lib/x86_64-linux-gnu/libc.so.6 libc6:./usr/lib64/ld-linux-x86-64.so.2 \
	busybox-static:./usr/bin/busybox; do
	[ "$(owner_of USR-B "${pair#*:}")" = "$(deb "${pair%%:*}")" ] || { ok=; fail "${pair#*:} is ${pair%%:*}'s" "$(owner_of USR-B "${pair#*:}")"; }
done
[ -n "$ok" ] && pass "runc, libc6 (libc.so.6, the loader), busybox-static: name, version, architecture as dpkg says"
k=$(jq -r '.packages[] | select(.SPDXID == "SPDXRef-keel") | "\(.name) \(.versionInfo) \(.checksums[0].checksumValue)"' "$doc")
[ "$k" = "keel $("$KEEL" --version | head -1 | cut -d' ' -f2) $(sha256sum < "$KEEL" | cut -c1-64)" ] &&
	[ "$(owner_of USR-A ./usr/bin/keel | cut -d' ' -f1)" = keel ] && [ "$(owner_of USR-A ./usr/lib/keel/keys/containers.pem | cut -d' ' -f1)" = keel ] &&
	[ "$(owner_of USR-A ./usr/share/keel/policy/host.json | cut -d' ' -f1)" = keel ] &&
	pass "keel's files (the binary, its sha256 and version, the policy, the key) are keel's" || fail "keel's files" "$k"
grep -q '"comment": "mkimage.sh: the version of the slot manifest"' "$doc" &&
	[ "$(grep -c '^USR-. ./usr/lib/keel/version ' "$VM_DIR/doc.tsv")" = 2 ] &&
	[ "$(awk '$2 == "./usr/lib/keel/version" { print $3 }' "$VM_DIR/doc.tsv" | sort -u | grep -c .)" = 2 ] &&
	pass "the two releases: /usr/lib/keel/version differs between the slots, both listed" || fail "two slot versions"

# ---- the ESP: systemd-boot, the UKI and its parts --------------------------------------------------
mkdir -p "$VM_DIR/esp"
MTOOLS_SKIP_CHECK=1 mcopy -s -n -i "$(_vm_esp "$img")" ::/EFI ::/loader "$VM_DIR/esp/" 2> /dev/null || fail "mcopy the ESP"
uki=$(cd "$VM_DIR/esp" && ls EFI/Linux/*.efi)
kernel=$(vm_kernel)
kpkg=$(dpkg -S "$kernel" | cut -d: -f1)
want="./$uki $(sha256sum < "$VM_DIR/esp/$uki" | cut -c1-64)
./boot/${kernel##*/} $kpkg $(sha256sum < "$kernel" | cut -c1-64)
./$uki:.initrd keel $(sha256sum < "$ird" | cut -c1-64)
./usr/lib/systemd/boot/efi/linuxx64.efi.stub systemd-boot-efi"
got=$(jq -r --arg u "./$uki" '
	(.files | map({key: .SPDXID, value: .}) | from_entries) as $f
	| (.packages | map({key: .SPDXID, value: .}) | from_entries) as $p
	| .relationships as $r
	| ($f[] | select(.fileName == $u)) as $uki
	| "\($uki.fileName) \($uki.checksums[1].checksumValue)",
	  ($r[] | select(.spdxElementId == $uki.SPDXID and .relationshipType == "GENERATED_FROM") | .relatedSpdxElement as $id
	   | $f[$id] | select(.fileName | test("vmlinuz|initrd|stub"))
	   | "\(.fileName) \([$r[] | select(.relatedSpdxElement == $id and .relationshipType == "CONTAINS" and (.spdxElementId | test("^SPDXRef-(keel|deb-)"))) | $p[.spdxElementId].name] | join(","))\(if (.fileName | test("stub")) then "" else " " + .checksums[1].checksumValue end)")
' "$doc" | LC_ALL=C sort)
[ "$got" = "$(LC_ALL=C sort <<< "$want")" ] && pass "the UKI is GENERATED_FROM $kpkg's kernel, keel's initramfs and systemd-boot-efi's stub (sha256 of each)" ||
	fail "UKI parts" "$(echo "$got" | tr '\n' '|')"
jq -e --arg h "$(sha256sum < "$VM_DIR/esp/EFI/BOOT/BOOTX64.EFI" | cut -c1-64)" \
	'[.files[] | select(.fileName == "./EFI/BOOT/BOOTX64.EFI" and .checksums[1].checksumValue == $h and (.comment | test("signed")))] | length == 1' \
	"$doc" > /dev/null && pass "the signed systemd-boot on the ESP, with its sha256" || fail "signed systemd-boot"

# ---- a real validator, deterministic output ------------------------------------------------------
out=$("$VALIDATE" "$doc" "$(dirname "$KEEL")/keel.spdx.json" 2>&1)
[ $? = 0 ] && [ "$(grep -c ': valid$' <<< "$out")" = 2 ] && pass "both SBOMs validate (python3-jsonschema, python3-license-expression)" ||
	fail "validate" "$(head -3 <<< "$out" | tr '\n' ' ')"
out=$(jq 'del(.files[3].checksums[0]) | .relationships[0].relationshipType = "INCLUDES"' "$doc" > "$VM_DIR/bad.json"; "$VALIDATE" "$VM_DIR/bad.json")
[ $? = 1 ] && grep -q '^[^:]*: files/3/checksums: ' <<< "$out" && grep -q "relationships/0/relationshipType: 'INCLUDES' is not one of" <<< "$out" &&
	pass "forged: a file without SHA1, an unknown relationship type are refused" || fail "forged validate" "$out"
"$SPDX" --image "$img" --keel "$KEEL" --initrd "$ird" --out "$VM_DIR/again.json" 2> /dev/null && cmp -s "$doc" "$VM_DIR/again.json" &&
	SOURCE_DATE_EPOCH=$((SOURCE_DATE_EPOCH + 1)) "$SPDX" --image "$img" --keel "$KEEL" --initrd "$ird" --out "$VM_DIR/later.json" 2> /dev/null &&
	[ "$(jq -r .documentNamespace "$doc")" != "$(jq -r .documentNamespace "$VM_DIR/later.json")" ] &&
	! grep -q -e "$VM_DIR" -e "$KEEL_SRC" "$doc" &&
	pass "the same image gives the same bytes; the namespace follows the content; no path of the build in it" || fail "deterministic"

# ---- forged: added, modified after unpacking, a keel file changed -----------------------------------
ff=$VM_CACHE/fx-sbom-forged
rm -rf "$ff" && cp -a "$fx" "$ff" && mkdir -p "$ff/lib/keel" "$ff/share/keel/policy" &&
	printf 'a tool nobody packaged\n' > "$ff/lib/keel/tool" &&
	sed 's/"/ "/' "$KEEL_SRC/config/policy/host.json" > "$ff/share/keel/policy/host.json" || fail "forged fixture"
forged=$(vm_image sbom-forged --extra-usr "$ff" --deb runc --version 2026.1.0 --corrupt /usr/sbin/runc) || fail "mkimage (forged)"
"$SPDX" --image "$forged" --keel "$KEEL" --out "$VM_DIR/forged.json" 2> "$VM_DIR/forged.err"
rc=$?
named=$(sed -n 's/^mkspdx: unattributed: \(USR-.\) \([^ ]*\) .*/\1 \2/p' "$VM_DIR/forged.err" | LC_ALL=C sort | tr '\n' ' ')
[ "$rc" = 1 ] && [ ! -e "$VM_DIR/forged.json" ] &&
	[ "$named" = "USR-A /usr/lib/keel/tool USR-A /usr/sbin/runc USR-A /usr/share/keel/policy/host.json USR-B /usr/lib/keel/tool USR-B /usr/share/keel/policy/host.json " ] &&
	pass "forged: an added file, runc modified after unpacking (slot A only), a changed keel file: each named, exit 1, nothing written" ||
	fail "forged image" "rc=$rc named=$named $(tail -1 "$VM_DIR/forged.err")"
"$KEEL_SRC/initramfs/mkimage.sh" --keel "$KEEL" --key "$VM_KEY" --out "$VM_DIR/forged.img" --extra-usr "$ff" \
	--sbom "$VM_DIR/forged2.json" > /dev/null 2> "$VM_DIR/mkimage.err"
rc=$?
[ "$rc" = 3 ] && [ ! -e "$VM_DIR/forged.img" ] && [ ! -e "$VM_DIR/forged.img.tmp" ] && [ ! -e "$VM_DIR/forged2.json" ] &&
	grep -q '^mkspdx: unattributed: USR-A /usr/lib/keel/tool ' "$VM_DIR/mkimage.err" && grep -q '^mkimage: --sbom: ' "$VM_DIR/mkimage.err" &&
	pass "mkimage --sbom fails closed on the forged tree: no image, no SBOM, the file named" ||
	fail "mkimage --sbom forged" "rc=$rc $(tail -2 "$VM_DIR/mkimage.err" | tr '\n' ' ')"
# the ESP too: an initramfs with a file of nobody's (mkinitramfs --extra) in the UKI, and a further
# PE file in EFI/Linux that is no UKI of this image (the kernel itself, as other.efi)
fi_=$VM_CACHE/fx-sbom-initramfs
rm -rf "$fi_" && mkdir -p "$fi_/etc" && printf 'not from any package\n' > "$fi_/etc/stray" && cp "$(vm_kernel)" "$VM_CACHE/sbom-other.efi" ||
	fail "forged initramfs fixture"
fird=$(vm_initramfs --extra "$fi_") || fail "forged initramfs"
fuki=$(vm_image sbom-forged-uki --version 2026.1.0 --uefi-initrd "$fird" --esp-uki "$VM_CACHE/sbom-other.efi") || fail "mkimage (forged UKI)"
"$SPDX" --image "$fuki" --keel "$KEEL" --initrd "$fird" --out "$VM_DIR/forged-uki.json" 2> "$VM_DIR/forged-uki.err"
rc=$?
named=$(sed -n 's/^mkspdx: unattributed: \([^ ]* [^ :]*\).*/\1/p' "$VM_DIR/forged-uki.err" | LC_ALL=C sort | tr '\n' ' ')
[ "$rc" = 1 ] && [ ! -e "$VM_DIR/forged-uki.json" ] && [ "$named" = "ESP /EFI/Linux/sbom-other.efi initramfs /etc/stray " ] &&
	grep -q 'sbom-other.efi: .linux is not ' "$VM_DIR/forged-uki.err" &&
	pass "forged: a stray file in the UKI's initramfs, a PE file in EFI/Linux that is no UKI of this image: each named" ||
	fail "forged UKI" "rc=$rc named=$named $(tail -1 "$VM_DIR/forged-uki.err")"
