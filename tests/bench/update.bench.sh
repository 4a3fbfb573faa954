# update.bench.sh — rows for `keel update apply` (sourced by tests/bench/run.sh): a 512 MiB slot
# image (KEEL_BENCH_SLOT_MIB; mkimage.sh with ~60 % of it /usr files) compressed per 1 MiB chunk
# by the zstd CLI (-3), installed from a directory into the other slot of a loop-device host,
# against `zstd -dc IMG | tee SLOT | sha512sum` on the same data into the same slot; best of 2.
# Peak RSS of each (GNU time). apply also checks the slot manifest and the whole verity tree.
mib=${KEEL_BENCH_SLOT_MIB:-512}
u=$BENCH_TMP/update
rm -rf "$u" && mkdir -p "$u/usr/lib/x" && cd "$u" || return
tar cf - /usr/lib /usr/share 2>/dev/null | head -c $((mib * 6 / 10 << 20)) > usr/lib/x/blob
mk() { "$KEEL_SRC/initramfs/mkimage.sh" --keel "$KEEL" --key "$KEEL_SRC/tests/vm/keys/slot-test.key" --slot-mb "$mib" \
	--slot-b empty --out "$1" --version "$2" "${@:3}" >/dev/null 2>&1; }
mk d1.img 1.0.0 && mk d2.img 2.0.0 --extra-usr "$u/usr" || { echo "bench: update: mkimage failed" >&2; return; }
sec=$((mib * 2048))
dd if=d2.img of=s2.img bs=512 skip=18432 count=$sec status=none && rm d2.img
for k in root ts snap tgt; do openssl ecparam -name prime256v1 -genkey -noout -out $k.key 2>/dev/null; done
sk="--key timestamp=ts.key --key snapshot=snap.key --key targets=tgt.key"
mkdir -p z && split -b 1048576 -d -a 5 s2.img z/c. && off=0 && : > chunks
for c in z/c.*; do zstd -q -3 -c "$c" > "$c.zst" && l=$(stat -c %s "$c.zst") &&
	printf '%s[%d,%d,"%s",%d]' "$([ $off = 0 ] || echo ,)" $off $l "$(sha256sum < "$c.zst" | cut -c1-64)" "$(stat -c %s "$c")" >> chunks &&
	off=$((off + l)); done
cat z/c.*.zst > keel-2.0.0.usr.zst && rm -rf z && head -c 65536 /dev/urandom > keel-2.0.0.efi
"$KEEL" update publish init --repo R0 --key root=root.key $sk >/dev/null && "$KEEL" update publish release --repo R0 $sk s2.img keel-2.0.0.efi >/dev/null # for the verity root
root=$(jq -r '.signed.targets["keel-2.0.0.usr.zst"].custom["keel-release"]["verity-root"]' R0/metadata/targets.json 2>/dev/null)
rm -rf R0 R && "$KEEL" update publish init --repo R --key root=root.key $sk >/dev/null &&
"$KEEL" update publish add --repo R $sk --custom "{\"keel-release\":{\"format\":1,\"version\":\"2.0.0\",\"uki\":\"keel-2.0.0.efi\",\"image\":{\"size\":$((mib << 20)),\"sha512\":\"$(sha512sum s2.img | cut -c1-128)\"},\"verity-root\":\"$root\",\"chunks\":[$(cat chunks)]}}" keel-2.0.0.usr.zst >/dev/null &&
"$KEEL" update publish add --repo R $sk keel-2.0.0.efi >/dev/null || { echo "bench: update: publish failed" >&2; return; }
d=$(losetup --show -f d1.img) && b=$(losetup --show -f -o $(((18432 + sec) * 512)) --sizelimit $((sec * 512)) d1.img) || return
n=${d#/dev/} p=${b#/dev/}
mkdir -p sys/class/block sys/devices/virtual/block/$n/$p keys && cp "$KEEL_SRC/tests/vm/keys/slot-test.pem" keys/
ln -s ../../devices/virtual/block/$n sys/class/block/$n && ln -s ../../devices/virtual/block/$n/$p sys/class/block/$p
printf 'MAJOR=%d\nMINOR=%d\nDEVNAME=%s\nDEVTYPE=disk\n' 0x$(stat -c %t $d) 0x$(stat -c %T $d) $n > sys/devices/virtual/block/$n/uevent
printf 'MAJOR=%d\nMINOR=%d\nDEVNAME=%s\nDEVTYPE=partition\nPARTN=3\n' 0x$(stat -c %t $b) 0x$(stat -c %T $b) $p > sys/devices/virtual/block/$n/$p/uevent
printf 'slot=USR-A\ndisk=%s\nversion=1.0.0\n' $d > boot
apply() { rm -rf st T && mkdir -p st T && "$KEEL" update apply --repo R --trust T --root R/metadata/1.root.json --boot boot \
	--keys keys --state st/state --floor st/floor --sys sys; }
peer() { zstd -q -dc keel-2.0.0.usr.zst | tee "$b" | sha512sum >/dev/null; }
k=$(best_of 2 apply) pt=$(best_of 2 peer)
cmp -s "$b" s2.img || echo "bench: update: the slot differs from the image!" >&2
/usr/bin/time -f %M -o rss.k bash -c "$(declare -f apply); KEEL=$KEEL b=$b; apply" >/dev/null 2>&1
/usr/bin/time -f %M -o rss.p bash -c "zstd -q -dc keel-2.0.0.usr.zst | tee $b | sha512sum" >/dev/null 2>&1
losetup -d "$b"; losetup -d "$d"
rate() { awk -v s="$1" -v m="$mib" 'BEGIN { if (s > 0) printf "%.0f", m / s; else print 0 }'; }
row_rate "update install, $mib MiB slot image (zstd -3 chunks, verity checked)" "$(rate "$k")" "$(rate "$pt")" "MiB/s" \
	"keel update apply --repo DIR" "zstd -dc IMG | tee SLOT | sha512sum"
row_size "update install, peak RSS ($mib MiB image)" "$(cat rss.k)" "$(cat rss.p)" "keel update apply" "zstd -dc | tee | sha512sum (zstd's RSS only)"
cd "$KEEL_SRC" && rm -rf "$u"
