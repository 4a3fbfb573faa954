#!/bin/bash
# tests/repro.sh — `./build.sh repro`: build everything keel ships twice, from two clean clones of
# HEAD in different directories (different path lengths), at different times, the second with its
# own vendor cache (the pinned tarballs copied, the libraries rebuilt), and compare the artefacts
# byte for byte. Prints one line per artefact: name, sha256 of build 1, sha256 of build 2, and
# "same" or the first differing offset. Exit 0 only if every artefact is identical.
# Only committed work is built (a clone of HEAD); SOURCE_DATE_EPOCH is HEAD's commit time.
set -u
src=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d /tmp/keel-repro.XXXXXX)
trap 'rm -rf "$work"' EXIT
cache=${KEEL_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/keel}
head=$(git -C "$src" rev-parse HEAD)
[ -z "$(git -C "$src" status --porcelain --untracked-files=no)" ] ||
	echo "repro: note: uncommitted changes are not part of the build (HEAD $head is)" >&2

one() { # DIR CACHE -> builds in DIR/…/keel, artefacts into DIR/out
	local dir=$1 c=$2 t
	git clone -q "$src" "$dir/keel" && git -C "$dir/keel" checkout -q "$head" || return 1
	(
		cd "$dir/keel" || exit 1
		export KEEL_CACHE=$c SOURCE_DATE_EPOCH=$(git log -1 --format=%ct)
		./build.sh >"$dir/build.log" 2>&1 || { echo "repro: build in $dir failed: see $dir/build.log" >&2; exit 1; }
		mkdir -p "$dir/out"
		cp build/keel build/keel.spdx.json "$dir/out/"
		initramfs/mkinitramfs.sh --keel build/keel --out "$dir/out/initramfs.cpio" >>"$dir/build.log" 2>&1 ||
			{ echo "repro: mkinitramfs in $dir failed" >&2; exit 1; }
		initramfs/mkimage.sh --keel build/keel --key tests/vm/keys/slot-test.key --out "$dir/out/disk.img" \
			--version 1.0.0 >>"$dir/build.log" 2>&1 || { echo "repro: mkimage in $dir failed" >&2; exit 1; }
		# the UEFI image: ESP with systemd-boot and the release's UKI (unsigned: sbsign stamps a
		# signing time into the Authenticode signature, see tests/vm/uefi.sh)
		initramfs/mkimage.sh --keel build/keel --key tests/vm/keys/slot-test.key --out "$dir/out/disk-uefi.img" \
			--version 1.0.0 --uefi-initrd "$dir/out/initramfs.cpio" --uefi-cmdline "console=ttyS0" --sbom "$dir/out/image.spdx.json" \
			>>"$dir/build.log" 2>&1 || { echo "repro: mkimage --uefi-initrd in $dir failed" >&2; exit 1; }
	)
}

say() { printf '==> %s\n' "$*" >&2; }
say "build 1 in $work/a (shared vendor cache $cache)"
one "$work/a" "$cache" || exit 3
sleep 2
say "build 2 in $work/bb/a-longer-directory-name (its own vendor cache: pinned tarballs copied, libraries rebuilt)"
mkdir -p "$work/bb/a-longer-directory-name" "$work/cache2/dl"
cp "$cache"/dl/* "$work/cache2/dl/"
one "$work/bb/a-longer-directory-name" "$work/cache2" || exit 3

rc=0
printf '%-18s %-64s %-64s %s\n' artefact "sha256 (build 1)" "sha256 (build 2)" result
for f in keel keel.spdx.json initramfs.cpio disk.img disk-uefi.img image.spdx.json; do
	a=$work/a/out/$f b=$work/bb/a-longer-directory-name/out/$f
	ha=$(sha256sum "$a" | cut -d' ' -f1) hb=$(sha256sum "$b" | cut -d' ' -f1)
	if [ "$ha" = "$hb" ]; then r=same; else
		r="differs at offset $(cmp "$a" "$b" | awk '{ print $5 - 1 }' | tr -d ,)"
		rc=1
	fi
	printf '%-18s %-64s %-64s %s\n' "$f" "$ha" "$hb" "$r"
done
exit $rc
