#!/usr/bin/env bash
# tests/compat/oci.sh — `keel verify oci` on OCI layouts built by umoci (from a rootfs directory,
# no network) and copied by skopeo; cosign simple-signing signatures made with openssl. Damage —
# a tampered layer byte, a lying size, a missing blob, a signature over another digest or by
# another key — fails with exit 1 and names the blob.
set -u
: "${KEEL:?}"
K="$KEEL verify oci"
. "$(dirname "$(readlink -f "$0")")/lib.sh"
compat_init oci
need umoci skopeo openssl jq || exit 0
# --- an image built by umoci from a rootfs directory, two layers
mkdir -p rootfs/etc rootfs/usr/bin
echo "keel test image" > rootfs/etc/motd
head -c 300000 /dev/urandom > rootfs/usr/bin/blob
umoci init --layout img >/dev/null
umoci new --image img:latest
umoci unpack --rootless --image img:latest bundle >/dev/null
cp -a rootfs/. bundle/rootfs/
umoci repack --refresh-bundle --image img:latest bundle
echo "second layer" > bundle/rootfs/etc/second
umoci repack --image img:latest bundle
umoci config --image img:latest --config.entrypoint /usr/bin/true
rm -rf bundle
M=$(jq -r '.manifests[0].digest' img/index.json)
L0=$(jq -r '.layers[0].digest' "$(blob img "$M")")
expect "umoci layout verifies" 0 "" -- $K img
grep -q "^$M latest" out && pass "report names the manifest and its tag" || fail "report: $(cat out)"
expect "--json report" 0 "" -- $K --json img
jq -e '.verified and .manifests == 1 and .layers == 2 and .images[0].ref == "latest"' out >/dev/null &&
	pass "--json fields" || fail "--json: $(cat out)"

# --- skopeo's copy of it (another writer of the same format)
skopeo copy --quiet oci:img:latest oci:copy:v1 >/dev/null 2>err || fail "skopeo copy: $(cat err)"
expect "skopeo-copied layout verifies" 0 "" -- $K copy

# --- damage: each a copy of the good layout
fresh() { rm -rf bad; cp -a img bad; }
fresh
printf 'X' | dd of="$(blob bad "$L0")" bs=1 seek=100 conv=notrunc status=none
expect "tampered layer byte: exit 1 naming the layer" 1 "$L0" -- $K bad
fresh
echo >> "$(blob bad "$L0")"
expect "layer one byte larger: exit 1 naming it" 1 "$L0" -- $K bad
fresh
rm "$(blob bad "$L0")"
expect "missing layer: exit 1 naming it" 1 "$L0" -- $K bad
# a manifest whose layer size lies (the manifest rewritten, index.json pointing at it)
fresh
jq -c '.layers[0].size += 1' "$(blob bad "$M")" > m.json
read -r nd ns < <(put bad m.json)
index_set bad ".manifests[0].digest = \"$nd\" | .manifests[0].size = $ns"
expect "lying layer size: exit 1 naming the layer" 1 "$L0" -- $K bad
fresh
index_set bad '.manifests[0].size -= 1'
expect "lying manifest size in index.json: exit 1 naming it" 1 "$M" -- $K bad
fresh
index_set bad ".manifests[0].digest = \"sha256:${M#sha256:}\" | .manifests[0].digest |= ascii_upcase"
expect "upper-case hex digest: exit 1" 1 "digest" -- $K bad
fresh
index_set bad '.manifests[0].digest = "sha256:../../../../etc/passwd"'
expect "path escape in a digest: exit 1" 1 "digest" -- $K bad
fresh
rm "$(blob bad "$L0")"
ln -s /etc/passwd "$(blob bad "$L0")"
expect "blob that is a symlink: exit 1 naming it" 1 "$L0" -- $K bad
fresh
echo '{"imageLayoutVersion":"2.0.0"}' > bad/oci-layout
expect "unknown layout version: exit 1" 1 "oci-layout" -- $K bad
fresh
echo '{"schemaVersion":2,"manifests":[' > bad/index.json
expect "truncated index.json: exit 1" 1 "index.json" -- $K bad

# --- tolerated: unknown media types, sha512 blobs, unreferenced files; a nested index
fresh
head -c 5000 /dev/urandom > art
h512=$(sha512sum < art | cut -c1-128)
mkdir -p bad/blobs/sha512 && cp art bad/blobs/sha512/$h512
index_set bad ".manifests += [{\"mediaType\":\"application/x-keel-test\",\"digest\":\"sha512:$h512\",\"size\":5000}]"
echo "not referenced" > bad/blobs/sha256/stray
expect "unknown media type, sha512 blob, stray file: verifies" 0 "" -- $K bad
printf 'Y' | dd of=bad/blobs/sha512/$h512 bs=1 seek=10 conv=notrunc status=none
expect "tampered sha512 blob: exit 1 naming it" 1 "sha512:$h512" -- $K bad
fresh
jq -c "{schemaVersion: 2, mediaType: \"application/vnd.oci.image.index.v1+json\", manifests: [.manifests[0] | del(.annotations) | .platform = {architecture: \"amd64\", os: \"linux\"}]}" img/index.json > nested.json
read -r xd xs < <(put bad nested.json)
index_set bad ".manifests = [{\"mediaType\":\"application/vnd.oci.image.index.v1+json\",\"digest\":\"$xd\",\"size\":$xs}]"
expect "nested image index verifies" 0 "" -- $K --json bad
jq -e '.indexes == 2 and .manifests == 1' out >/dev/null && pass "nested index counted" || fail "nested: $(cat out)"
printf 'X' | dd of="$(blob bad "$L0")" bs=1 seek=7 conv=notrunc status=none
expect "tampered layer below a nested index: exit 1" 1 "$L0" -- $K bad

# --- cosign simple-signing signatures (made with openssl)
openssl ecparam -name prime256v1 -genkey -noout -out cosign.key 2>/dev/null
openssl pkey -in cosign.key -pubout -out cosign.pub
openssl ecparam -name prime256v1 -genkey -noout -out other.key 2>/dev/null
openssl pkey -in other.key -pubout -out other.pub
rm -rf signed; cp -a img signed
sign signed "$M" cosign.key
GOODSIG=$SIGBLOB
expect "cosign-signed layout verifies with the key" 0 "" -- $K --key cosign.pub signed
grep -q "^$M latest signed by key" out && pass "report says signed" || fail "signed report: $(cat out)"
mkdir keys; cp other.pub keys/; cp cosign.pub keys/
expect "signed layout verifies with a keys directory" 0 "" -- $KEEL verify oci --keys keys signed
expect "signed layout without a key: blobs only, exit 0" 0 "" -- $K signed
expect "signature by another key: exit 1 naming the signature blob" 1 "$SIGBLOB" -- $K --key other.pub signed
expect "unsigned layout with --key: exit 1 naming the manifest" 1 "$M" -- $K --key cosign.pub img
rm -rf bad; cp -a img bad
C=$(jq -r '.config.digest' "$(blob img "$M")")
sign bad "$C" cosign.key "$M"
expect "signature over another digest: exit 1 naming the signature blob" 1 "$SIGBLOB" -- $K --key cosign.pub bad
# issue 8: a manifest made of cosign payloads (the real signature's layer, copied) with a config of
# its own and an ordinary tag is an image like any other: unsigned, it fails
rm -rf bad; cp -a signed bad
sm=$(jq -r '.manifests[1].digest' bad/index.json)
echo '{"architecture":"amd64","os":"linux","config":{"Entrypoint":["/bin/evil"]},"rootfs":{"type":"layers","diff_ids":[]}}' > evil.json
read -r ec ecs < <(put bad evil.json)
jq -c --arg c "$ec" --argjson cs "$ecs" '.config = {mediaType: "application/vnd.oci.image.config.v1+json", digest: $c, size: $cs}' \
	"$(blob bad "$sm")" > forged.json
read -r fd fs < <(put bad forged.json)
index_set bad ".manifests += [{\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\",\"digest\":\"$fd\",\"size\":$fs,\"annotations\":{\"org.opencontainers.image.ref.name\":\"evil\"}}]"
expect "cosign payloads with their own config, tagged evil: exit 1, unsigned" 1 "$fd (evil): no cosign signature" -- $K --key cosign.pub bad
expect "the same layout without a key: its blobs verify" 0 "" -- $K bad
# the signature manifest listed again under a .sig tag that names no image of the layout: an image, unsigned
rm -rf bad; cp -a signed bad
index_set bad ".manifests += [.manifests[1] | .annotations[\"org.opencontainers.image.ref.name\"] = \"sha256-$(printf %064d 0).sig\"]"
expect ".sig tag naming no image: exit 1, unsigned" 1 "$sm (sha256-$(printf %064d 0).sig): no cosign signature" -- $K --key cosign.pub bad
# a skopeo copy of the signed image and its signature manifest, tags kept: still verifies
rm -rf sk
skopeo copy --quiet oci:signed:latest oci:sk:latest >/dev/null 2>err || fail "skopeo copy: $(cat err)"
skopeo copy --quiet "oci:signed:sha256-${M#sha256:}.sig" "oci:sk:sha256-${M#sha256:}.sig" >/dev/null 2>err || fail "skopeo copy: $(cat err)"
expect "skopeo-copied image and signature verify with the key" 0 "" -- $K --key cosign.pub sk
rm -rf bad; cp -a signed bad
sm=$(jq -r '.manifests[1].digest' bad/index.json)
jq -c '.layers[0].annotations["dev.cosignproject.cosign/signature"] |= (.[0:10] + (if .[10:11] == "A" then "B" else "A" end) + .[11:])' \
	"$(blob bad "$sm")" > sm.json
read -r nd ns < <(put bad sm.json)
index_set bad ".manifests[1].digest = \"$nd\" | .manifests[1].size = $ns"
expect "tampered signature annotation: exit 1" 1 "signature blob" -- $K --key cosign.pub bad
rm -rf bad; cp -a signed bad
printf ' ' >> "$(blob bad "$GOODSIG")"
expect "tampered signature payload: exit 1 naming it" 1 "$GOODSIG" -- $K --key cosign.pub bad
expect "missing key file: exit 3" 3 "" -- $K --key nonexistent.pub signed
expect "not a layout: exit 1" 1 "oci-layout" -- $K rootfs
