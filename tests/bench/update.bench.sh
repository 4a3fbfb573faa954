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
# over loopback HTTPS: update-serve.py (Python's ssl) serves R with a certificate for IP 127.0.0.1
# from a test authority; keel trusts only that authority (bound over its bundle path in a private
# mount namespace), curl gets it as --cacert. Same server, same data, same slot; best of 2.
hk=0 hp=0 upd_srv=
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 -subj /CN=keel-bench-ca -keyout ca.key -out ca.pem 2>/dev/null &&
	openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj /CN=127.0.0.1 -keyout srv.key -out srv.csr 2>/dev/null &&
	openssl x509 -req -in srv.csr -CA ca.pem -CAkey ca.key -CAcreateserial -days 2 \
		-extfile <(printf 'subjectAltName=IP:127.0.0.1\n') -out srv.pem 2>/dev/null &&
	{ python3 "$KEEL_SRC/tests/bench/update-serve.py" R port srv.pem srv.key 2>/dev/null & upd_srv=$!; } &&
	for _ in $(seq 50); do [ -s port ] && break; sleep 0.1; done
url=https://127.0.0.1:$(cat port 2>/dev/null)
applyh() { rm -rf st T && mkdir -p st T && unshare -m sh -c 'mount --bind ca.pem /etc/ssl/certs/ca-certificates.crt && exec "$@"' - \
	"$KEEL" update apply --repo "$url" --trust T --root R/metadata/1.root.json --boot boot \
	--keys keys --state st/state --floor st/floor --sys sys; }
peerh() { curl -sf --cacert ca.pem "$url/targets/keel-2.0.0.usr.zst" | zstd -q -dc | tee "$b" | sha512sum >/dev/null; }
if [ -s port ]; then
	dd if=/dev/zero of="$b" bs=1M count=1 status=none conv=notrunc
	hk=$(best_of 2 applyh)
	cmp -s "$b" s2.img || { echo "bench: update: the slot differs from the image after the https apply!" >&2; hk=0; }
	hp=$(best_of 2 peerh)
else
	echo "bench: update: the https server did not start" >&2
fi
[ -n "$upd_srv" ] && kill "$upd_srv" 2>/dev/null && wait "$upd_srv" 2>/dev/null
losetup -d "$b"; losetup -d "$d"
rate() { awk -v s="$1" -v m="$mib" 'BEGIN { if (s > 0) printf "%.0f", m / s; else print 0 }'; }
row_rate "update install, $mib MiB slot image (zstd -3 chunks, verity checked)" "$(rate "$k")" "$(rate "$pt")" "MiB/s" \
	"keel update apply --repo DIR" "zstd -dc IMG | tee SLOT | sha512sum"
row_rate "update download + install over loopback HTTPS, $mib MiB slot image (verity checked)" "$(rate "$hk")" "$(rate "$hp")" "MiB/s" \
	"keel update apply --repo https://127.0.0.1:PORT" "curl -s URL | zstd -dc | tee SLOT | sha512sum"
row_size "update install, peak RSS ($mib MiB image)" "$(cat rss.k)" "$(cat rss.p)" "keel update apply" "zstd -dc | tee | sha512sum (zstd's RSS only)"

# TUF refresh of a repository with 1,000 targets (one `publish add`; targets.json ~250 KB), served
# over loopback HTTP by update-serve.py: keel into an empty trust directory vs the tuf-js Updater
# (tests/bench/tufjs-refresh.js, the pinned tuf-js of tests/compat/tuf.sh) into an empty cache;
# both start from 1.root.json and fetch timestamp, snapshot and targets; best of 5. The peer's time
# includes node's start and require('tuf-js'), measured alone for the row's text. Without node or
# npm, the peer is python3 parsing the same four files as JSON (no signatures: a floor, not a TUF client).
mkdir -p t1k && for i in $(seq -w 1 1000); do echo "target $i" > t1k/f$i; done
rm -rf R1k port && "$KEEL" update publish init --repo R1k --key root=root.key $sk >/dev/null &&
	"$KEEL" update publish add --repo R1k $sk $(for f in t1k/*; do echo "$f=pkg/${f##*/}"; done) >/dev/null &&
	[ "$(jq '.signed.targets | length' R1k/metadata/targets.json)" = 1000 ] ||
	{ echo "bench: update: publish of 1,000 targets failed" >&2; cd "$KEEL_SRC" && rm -rf "$u"; return; }
{ python3 "$KEEL_SRC/tests/bench/update-serve.py" R1k port 2>/dev/null & upd_srv=$!; }
for _ in $(seq 50); do [ -s port ] && break; sleep 0.1; done
url=http://127.0.0.1:$(cat port 2>/dev/null)
NPM=$KEEL_SRC/build/npm
if command -v node >/dev/null && { grep -qs '"version": "6.0.2"' "$NPM/node_modules/tuf-js/package.json" ||
	npm install --prefix "$NPM" --no-audit --no-fund --no-save --prefer-offline tuf-js@6.0.2 @tufjs/models@5.0.2 >/dev/null 2>&1; }; then
	peert() { rm -rf C && NODE_PATH=$NPM/node_modules node "$KEEL_SRC/tests/bench/tufjs-refresh.js" "$url/metadata" C R1k/metadata/1.root.json; }
	ns=$(best_of 5 env NODE_PATH="$NPM/node_modules" node -e "require('tuf-js')")
	pw="tuf-js 6.0.2 Updater.refresh (node start + require: $ns s)" pc="node tests/bench/tufjs-refresh.js URL/metadata"
else
	echo "bench: update: node or tuf-js 6.0.2 unavailable: the refresh row's peer is python3's JSON parser" >&2
	peert() { python3 -c 'import json, sys; [json.load(open(f)) for f in sys.argv[1:]]' R1k/metadata/{root,timestamp,snapshot,targets}.json; }
	pw="python3 json.load of the same 4 files (no tuf-js here; no signatures checked)" pc="python3 -c json.load(…)"
fi
keelt() { rm -rf T && mkdir T && "$KEEL" update refresh --repo "$url" --trust T --root R1k/metadata/1.root.json; }
k=$(best_of 5 keelt) pt=$(best_of 5 peert)
rm -rf T && mkdir T && keelt | grep -qx 'root 1, timestamp 2, snapshot 2, targets 2; updated: root timestamp snapshot targets' &&
	[ "$("$KEEL" update target --trust T pkg/f1000 | head -1)" = "length 12" ] ||
	{ echo "bench: update: keel's refresh of 1,000 targets did not end as expected" >&2; k=0; }
kill "$upd_srv" 2>/dev/null && wait "$upd_srv" 2>/dev/null
row_time "TUF refresh, 1,000 targets over loopback HTTP, empty trust dir; peer: $pw" "$k" "$pt" \
	"keel update refresh --repo URL" "$pc"
cd "$KEEL_SRC" && rm -rf "$u"
