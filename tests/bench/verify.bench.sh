# verify.bench.sh — rows for `keel verify` (sourced by tests/bench/run.sh).
# 1 GiB of random data in memory; best of 3 runs for each tool.
big=$(bench_file verify-1g 1073741824)
salt=e48da609055204e89ae53b655ca2216dd983cf3cb829f34f63a297d106d53e2d
uuid=a60c98d2-ae9b-4865-bfcb-b4e3ace11033
vf() { rm -f "$BENCH_TMP/$1"; "${@:2}" "$big" "$BENCH_TMP/$1" --salt=$salt --uuid=$uuid; }
k=$(best_of 3 vf k.hash "$KEEL" verify verity format)
v=$(best_of 3 vf v.hash veritysetup format)
cmp -s "$BENCH_TMP/k.hash" "$BENCH_TMP/v.hash" || echo "bench: keel and veritysetup hash trees differ!" >&2
row_time "dm-verity format, 1 GiB (4 KiB blocks, sha256)" "$k" "$v" "keel verify verity format BIG HASH" "veritysetup format BIG HASH"

k=$(best_of 3 "$KEEL" verify digest "$big")
p=$(best_of 3 sha256sum "$big")
row_time "SHA-256 of 1 GiB" "$k" "$p" "keel verify digest BIG" "sha256sum BIG"
p=$(best_of 3 openssl dgst -sha256 "$big")
row_time "SHA-256 of 1 GiB" "$k" "$p" "keel verify digest BIG" "openssl dgst -sha256 BIG"
rm -f "$BENCH_TMP"/k.hash "$BENCH_TMP"/v.hash

# ECDSA P-256 verifications per second: keel's hidden --bench N against `openssl speed`.
openssl ecparam -name prime256v1 -genkey -noout -out "$BENCH_TMP/p256.key" 2>/dev/null
openssl pkey -in "$BENCH_TMP/p256.key" -pubout -out "$BENCH_TMP/p256.pub" 2>/dev/null
echo "keel" > "$BENCH_TMP/msg"
openssl dgst -sha256 -sign "$BENCH_TMP/p256.key" -out "$BENCH_TMP/msg.sig" "$BENCH_TMP/msg"
k=$("$KEEL" verify sig --key "$BENCH_TMP/p256.pub" --bench 3000 "$BENCH_TMP/msg" "$BENCH_TMP/msg.sig" |
	awk '/verify\/s/ { print $(NF - 1) }')
p=$(openssl speed -seconds 3 ecdsap256 2>/dev/null | awk '/nistp256/ { print $NF }')
row_rate "ECDSA P-256 verify" "${k:-0}" "${p:-0}" "verify/s" "keel verify sig --bench 3000 --key PUB MSG SIG" "openssl speed -seconds 3 ecdsap256"
