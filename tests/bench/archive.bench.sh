# archive.bench.sh — rows for keel's inflate and `keel oci unpack` (sourced by tests/bench/run.sh).
# inflate: 1 GiB (KEEL_BENCH_GZ_MIB) of /usr's files (text and binaries, repeated), gzip -6, against
# `gzip -dc` and against `zstd -dc` of the same data; keel's zstd (libzstd's streaming decoder,
# `keel oci inflate --zstd`) against `zstd -dc`; best of 3. unpack: a signed image of three gzip
# layers from /usr (python3.11, /usr/share/doc, /usr/bin/[a-c]*; the third layer also deletes
# part of the second) against `umoci unpack`, best of 2, with the peak RSS of each (GNU time);
# then its zstd copy (`skopeo copy --dest-compress-format zstd`, signed) unpacked by keel against
# `umoci unpack` of the gzip image (umoci 0.4 reads no zstd layers), and keel's peak RSS on it.
. "$KEEL_SRC/tests/compat/lib.sh"
mib=${KEEL_BENCH_GZ_MIB:-1024}
corp=$BENCH_TMP/corpus
if [ ! -s "$corp" ]; then
	while [ "$(stat -c %s "$corp" 2>/dev/null || echo 0)" -lt $((mib << 20)) ]; do
		tar cf - /usr/lib /usr/share /usr/bin 2>/dev/null | head -c $((mib << 20)) >> "$corp"
	done
	truncate -s $((mib << 20)) "$corp"
fi
gzip -6 -c "$corp" > "$corp.gz"
zstd -q -3 -c "$corp" > "$corp.zst"
"$KEEL" oci inflate "$corp.gz" | cmp -s - "$corp" || echo "bench: keel oci inflate output differs from the corpus!" >&2
k=$(best_of 3 "$KEEL" oci inflate "$corp.gz")
p=$(best_of 3 gzip -dc "$corp.gz")
z=$(best_of 3 zstd -q -dc "$corp.zst")
rate() { awk -v s="$1" -v m="$mib" 'BEGIN { if (s > 0) printf "%.0f", m / s; else print 0 }'; }
row_rate "gzip decompression, $mib MiB of /usr (gzip -6)" "$(rate "$k")" "$(rate "$p")" "MiB/s" "keel oci inflate F.gz" "gzip -dc F.gz"
row_rate "decompression, $mib MiB: keel's gzip against zstd -3" "$(rate "$k")" "$(rate "$z")" "MiB/s" "keel oci inflate F.gz" "zstd -dc F.zst"
"$KEEL" oci inflate --zstd "$corp.zst" | cmp -s - "$corp" || echo "bench: keel oci inflate --zstd output differs from the corpus!" >&2
kz=$(best_of 3 "$KEEL" oci inflate --zstd "$corp.zst")
row_rate "zstd decompression, $mib MiB of /usr (zstd -3)" "$(rate "$kz")" "$(rate "$z")" "MiB/s" "keel oci inflate --zstd F.zst" "zstd -dc F.zst"
rm -f "$corp.gz" "$corp.zst"

# a three-layer image of ~200 MiB, signed
img=$BENCH_TMP/img
rm -rf "$img" "$BENCH_TMP/ub" "$BENCH_TMP/kb" && mkdir -p "$BENCH_TMP/src"
(cd "$BENCH_TMP" && umoci init --layout img >/dev/null && umoci new --image img:latest && umoci unpack --image img:latest ub >/dev/null &&
	cp -a /usr/lib/python3.11 ub/rootfs/python && umoci repack --image img:latest ub >/dev/null &&
	cp -a /usr/share/doc ub/rootfs/doc && umoci repack --image img:latest ub >/dev/null &&
	mkdir ub/rootfs/bin && cp -a /usr/bin/[a-c]* ub/rootfs/bin/ && rm -rf ub/rootfs/doc/[a-f]* && umoci repack --image img:latest ub >/dev/null && rm -rf ub) ||
	echo "bench: umoci could not build the image" >&2
(cd "$BENCH_TMP" && openssl ecparam -name prime256v1 -genkey -noout -out b.key 2>/dev/null && openssl pkey -in b.key -pubout -out b.pub &&
	sign img "$(jq -r '.manifests[0].digest' img/index.json)" b.key)
unpack_k() { rm -rf "$BENCH_TMP/kb"; "$KEEL" oci unpack --key "$BENCH_TMP/b.pub" "$img:latest" "$BENCH_TMP/kb"; }
unpack_u() { rm -rf "$BENCH_TMP/ub"; umoci unpack --image "$img:latest" "$BENCH_TMP/ub"; }
k=$(best_of 2 unpack_k)
p=$(best_of 2 unpack_u)
mb=$(du -sm "$BENCH_TMP/kb/rootfs" | cut -f1)
row_time "OCI unpack, 3 gzip layers, $mb MiB (verified + signed)" "$k" "$p" "keel oci unpack --key K IMG:latest B" "umoci unpack --image IMG:latest B"
rm -rf "$BENCH_TMP/kb" "$BENCH_TMP/ub"
kr=$(/usr/bin/time -f %M "$KEEL" oci unpack --key "$BENCH_TMP/b.pub" "$img:latest" "$BENCH_TMP/kb" 2>&1 >/dev/null | tail -1)
pr=$(/usr/bin/time -f %M umoci unpack --image "$img:latest" "$BENCH_TMP/ub" 2>&1 >/dev/null | tail -1)
row_size "OCI unpack: peak RSS (KiB)" "$kr" "$pr" "keel oci unpack" "umoci unpack"
(cd "$BENCH_TMP" && skopeo copy --quiet --dest-compress-format zstd oci:img:latest oci:zimg:latest >/dev/null &&
	sign zimg "$(jq -r '.manifests[0].digest' zimg/index.json)" b.key) || echo "bench: skopeo could not make the zstd copy" >&2
unpack_z() { rm -rf "$BENCH_TMP/kb"; "$KEEL" oci unpack --key "$BENCH_TMP/b.pub" "$BENCH_TMP/zimg:latest" "$BENCH_TMP/kb"; }
k=$(best_of 2 unpack_z)
row_time "OCI unpack, the same 3 layers as zstd, $mb MiB (verified + signed)" "$k" "$p" "keel oci unpack --key K ZIMG:latest B" "umoci unpack --image IMG:latest B (gzip)"
rm -rf "$BENCH_TMP/kb"
kr=$(/usr/bin/time -f %M "$KEEL" oci unpack --key "$BENCH_TMP/b.pub" "$BENCH_TMP/zimg:latest" "$BENCH_TMP/kb" 2>&1 >/dev/null | tail -1)
row_size "OCI unpack of the zstd layers: peak RSS (KiB)" "$kr" "$pr" "keel oci unpack (zstd)" "umoci unpack (gzip)"
rm -rf "$img" "$BENCH_TMP/zimg" "$BENCH_TMP/kb" "$BENCH_TMP/ub" "$BENCH_TMP/src"
