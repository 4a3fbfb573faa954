#!/usr/bin/env bash
# tests/compat/oci-unpack.sh — `keel oci unpack` against `umoci unpack` (the peer, run as root):
# an image of four layers written by python's tarfile (ustar, pax and GNU formats; gzip and plain
# tar layers) with directories, modes, owners, set-id bits, symlinks (relative, absolute,
# dangling, long targets), hard links, long names (ustar prefix, pax path, GNU 'L'), xattrs,
# whiteouts of files and directories, an opaque directory and replaced entries; and an image
# made by umoci itself from a rootfs directory, and a skopeo copy; runc runs a bundle keel wrote. The two rootfs trees must be equal in a walk
# (type, mode, owner, size, content hash, link target, user.* xattrs). zstd layers (skopeo's
# --dest-compress-format zstd copy, the zstd CLI's) unpack to the tree umoci makes of the gzip
# image; a tampered, truncated, corrupt-but-signed or too-large-window zstd layer fails. Each attack (a symlink planted then written through,
# "..", an absolute hard link, a hard link to a lower layer, a tampered layer, a lying size, an
# unsigned image, another key, a device node) fails with exit 1 and leaves no BUNDLE and no
# staging directory.
set -u
: "${KEEL:?}"
. "$(dirname "$(readlink -f "$0")")/lib.sh"
compat_init oci-unpack
need umoci skopeo runc busybox openssl jq python3 zstd || exit 0
U="$KEEL oci unpack --key cosign.pub"

openssl ecparam -name prime256v1 -genkey -noout -out cosign.key 2>/dev/null
openssl pkey -in cosign.key -pubout -out cosign.pub
openssl ecparam -name prime256v1 -genkey -noout -out other.key 2>/dev/null
openssl pkey -in other.key -pubout -out other.pub

# tree DIR: one line per node, sorted
tree() {
	python3 - "$1" <<'PY'
import os, sys, hashlib, stat
root = sys.argv[1]
out = []
for d, dirs, files in os.walk(root):
    for n in dirs + files:
        p = os.path.join(d, n); st = os.lstat(p); rel = os.path.relpath(p, root)
        line = f"{rel} {stat.filemode(st.st_mode)} {st.st_uid}:{st.st_gid}"
        if stat.S_ISLNK(st.st_mode): line += " -> " + os.readlink(p)
        elif stat.S_ISREG(st.st_mode):
            line += f" {st.st_size} {hashlib.sha256(open(p, 'rb').read()).hexdigest()[:16]} links={st.st_nlink}"
        elif stat.S_ISCHR(st.st_mode) or stat.S_ISBLK(st.st_mode): line += f" dev={os.major(st.st_rdev)},{os.minor(st.st_rdev)}"
        if not stat.S_ISLNK(st.st_mode):
            xa = sorted(x for x in os.listxattr(p, follow_symlinks=False) if x.startswith("user."))
            if xa: line += " xattrs=" + ",".join(f"{x}={os.getxattr(p, x, follow_symlinks=False).hex()}" for x in xa)
        out.append(line)
print("\n".join(sorted(out)))
PY
}
# mkimage LAYOUT LAYERS.JSON: a layout (tag latest) from python-written layers; see below
mkimage() {
	python3 "$W/mk.py" "$@"
}
cat > mk.py <<'PY'
# mk.py LAYOUT SPEC: SPEC is a python file defining layers = [(media, [entries])]; each entry a
# dict: name, type (f d l h c), mode, uid, gid, data, link, xattrs, fmt (pax/gnu/ustar per layer).
import sys, os, io, json, tarfile, gzip, hashlib, subprocess
lay, spec = sys.argv[1], sys.argv[2]
ns = {}; exec(open(spec).read(), ns)
os.makedirs(f"{lay}/blobs/sha256", exist_ok=True)
def put(b):
    h = hashlib.sha256(b).hexdigest(); open(f"{lay}/blobs/sha256/{h}", "wb").write(b); return {"digest": "sha256:" + h, "size": len(b)}
layers, diffs = [], []
for media, fmt, entries in ns["layers"]:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format={"pax": tarfile.PAX_FORMAT, "gnu": tarfile.GNU_FORMAT, "ustar": tarfile.USTAR_FORMAT}[fmt]) as t:
        for e in entries:
            ti = tarfile.TarInfo(e["name"]); ti.mode = e.get("mode", 0o644); ti.uid = e.get("uid", 0); ti.gid = e.get("gid", 0)
            ti.mtime = e.get("mtime", 1700000000); ty = e.get("type", "f"); data = e.get("data", b"")
            ti.type = {"f": tarfile.REGTYPE, "d": tarfile.DIRTYPE, "l": tarfile.SYMTYPE, "h": tarfile.LNKTYPE, "c": tarfile.CHRTYPE, "p": tarfile.FIFOTYPE}[ty]
            if ty in "lh": ti.linkname = e["link"]
            if ty == "c": ti.devmajor, ti.devminor = 1, 3
            if "xattrs" in e: ti.pax_headers = {f"SCHILY.xattr.{k}": v for k, v in e["xattrs"].items()}
            ti.size = len(data) if ty == "f" else 0
            t.addfile(ti, io.BytesIO(data) if ty == "f" else None)
    raw = buf.getvalue(); diffs.append("sha256:" + hashlib.sha256(raw).hexdigest())
    if media.endswith("gzip"): raw = gzip.compress(raw, 6, mtime=0)
    if media.endswith("zstd"): raw = subprocess.run(["zstd", "-q", "-c"] + ns.get("zstd_args", []), input=raw, capture_output=True, check=True).stdout
    layers.append(dict(mediaType=media, **put(raw)))
cfg = {"architecture": "amd64", "os": "linux", "config": ns.get("config", {}), "rootfs": {"type": "layers", "diff_ids": ns.get("diff_ids", diffs)}}
c = put(json.dumps(cfg).encode())
man = {"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
       "config": dict(mediaType="application/vnd.oci.image.config.v1+json", **c), "layers": layers}
m = put(json.dumps(man).encode())
open(f"{lay}/oci-layout", "w").write('{"imageLayoutVersion":"1.0.0"}')
json.dump({"schemaVersion": 2, "manifests": [dict(mediaType="application/vnd.oci.image.manifest.v1+json", annotations={"org.opencontainers.image.ref.name": "latest"}, **m)]}, open(f"{lay}/index.json", "w"))
print(m["digest"])
PY
GZ=application/vnd.oci.image.layer.v1.tar+gzip TAR=application/vnd.oci.image.layer.v1.tar ZS=application/vnd.oci.image.layer.v1.tar+zstd
long150=$(printf 'd%.0s' $(seq 60))/$(printf 'e%.0s' $(seq 60))/file-with-a-long-name
long300=$(printf 'p%.0s' $(seq 100))/$(printf 'q%.0s' $(seq 100))/$(printf 'r%.0s' $(seq 90))
cat > spec.py <<EOF
G, T, Z = "$GZ", "$TAR", "$ZS"
L1 = [dict(name="etc", type="d", mode=0o755), dict(name="etc/motd", data=b"hello\n", xattrs={"user.note": "keel"}),
 dict(name="etc/old", data=b"old"), dict(name="etc/passwd", data=b"root:x:0:0::/root:/bin/sh\napp:x:1000:1000::/home/app:/bin/sh\n"),
 dict(name="etc/group", data=b"root:x:0:\napp:x:1000:\nstaff:x:50:\n"),
 dict(name="usr/bin", type="d", mode=0o755), dict(name="usr/bin/tool", data=b"#!/bin/sh\n" * 100, mode=0o755, xattrs={"user.note": "keel", "trusted.x": "t"}),
 dict(name="usr/bin/su", data=b"su", mode=0o4755), dict(name="usr/bin/sgid", data=b"g", mode=0o2711, gid=50),
 dict(name="usr/bin/sh", type="l", link="tool"), dict(name="etc/localtime", type="l", link="/usr/share/zoneinfo/UTC"),
 dict(name="usr/bin/tool2", type="h", link="usr/bin/tool"),
 dict(name="home/app", type="d", mode=0o700, uid=1000, gid=1000), dict(name="home/app/secret", data=b"s", mode=0o600, uid=1000, gid=1000),
 dict(name="$long150", data=b"ustar prefix"), dict(name="$long300", data=b"pax path"),
 dict(name="lnk/long", type="l", link="/$long300"), dict(name="tmp", type="d", mode=0o1777),
 dict(name="opt/data/a", data=b"a"), dict(name="opt/data/sub/b", data=b"b"), dict(name="var/cache/x/y", data=b"y"),
 dict(name="fifo", type="p", mode=0o600), dict(name="was-file", data=b"f"), dict(name="was-dir/z", data=b"z")]
L2 = [dict(name="etc/.wh.old"), dict(name="var/.wh.cache"), dict(name="opt/data/c", data=b"c new"), dict(name="opt/data/.wh..wh..opq"),
 dict(name="etc/motd", data=b"hello again\n", mode=0o640), dict(name="$(printf 'g%.0s' $(seq 120))", data=b"gnu long name"),
 dict(name="gnu/$(printf 'h%.0s' $(seq 110))", type="l", link="$(printf 'i%.0s' $(seq 130))"),
 dict(name="was-file", type="d", mode=0o750), dict(name="was-dir", data=b"now a file")]
L3 = [dict(name="./srv/plain.txt", data=b"plain tar layer\n"), dict(name="srv/h1", data=b"shared"), dict(name="srv/h2", type="h", link="srv/h1"),
 dict(name="etc/motd", type="l", link="motd.real"), dict(name="etc/motd.real", data=b"real\n")]
L4 = [dict(name="srv/last", data=b"last layer", uid=1000, gid=50, mode=0o604)]
layers = [(G, "pax", L1), (G, "gnu", L2), (T, "ustar", L3), (G, "pax", L4)]
config = {"Entrypoint": ["/usr/bin/tool"], "Cmd": ["--serve", "x"], "Env": ["PATH=/usr/bin", "A=b"], "WorkingDir": "/srv", "User": "app:staff"}
EOF
M=$(mkimage img spec.py)
sign img "$M" cosign.key
umoci unpack --image img:latest ubundle >/dev/null 2>uerr || fail "umoci unpack: $(head -c 300 uerr)"
expect "unpack a signed image of four layers" 0 "" -- $U img:latest kbundle
grep -q "kbundle: $M unpacked: 4 layers" out && pass "the report names the image and its layers" || fail "report: $(cat out)"
tree ubundle/rootfs > u.tree; tree kbundle/rootfs > k.tree
if [ -s k.tree ] && diff u.tree k.tree > d.txt; then pass "rootfs equals umoci's ($(wc -l < k.tree) nodes: modes, owners, contents, links, xattrs)"
else fail "rootfs differs from umoci's (< umoci, > keel): $(head -20 d.txt | tr '\n' '|')"; fi
for want in "etc/motd.real" "opt/data/c" "usr/bin/su -rwsr-xr-x" "xattrs=user.note=6b65656c" "links=2" "$long300 " "tmp drwxrwxrwt"; do
	grep -qF -- "$want" k.tree && pass "tree has: ${want:0:40}" || fail "tree lacks $want"
done
for gone in "etc/old" "var/cache" "opt/data/a" "opt/data/sub"; do
	grep -q "^$gone " k.tree && fail "$gone survived its whiteout" || pass "whiteout removed $gone"
done
jq -e '.process.args == ["/usr/bin/tool","--serve","x"] and .process.env == ["PATH=/usr/bin","A=b","HOME=/home/app"] and .process.cwd == "/srv"
	and .process.user.uid == 1000 and .process.user.gid == 50 and .process.noNewPrivileges == true
	and (.process.capabilities.bounding | length) == 3 and (.linux.maskedPaths | index("/proc/kcore")) != null
	and .root.path == "rootfs"' kbundle/config.json >/dev/null && pass "config.json: args, env, cwd, user (by name), hardened process" ||
	fail "config.json: $(head -c 400 kbundle/config.json)"
jq -e --slurpfile u ubundle/config.json '.process.args == $u[0].process.args and .process.env == ($u[0].process.env - ["TERM=xterm"]) and .process.cwd == $u[0].process.cwd
	and .process.user.uid == $u[0].process.user.uid and .process.user.gid == $u[0].process.user.gid' kbundle/config.json >/dev/null &&
	pass "config.json agrees with umoci's on args, env (but TERM: no terminal), cwd, user" || fail "config.json differs from umoci's process"
expect "BUNDLE that exists and is not empty: exit 3" 3 "not an empty directory" -- $U img:latest kbundle
mkdir empty-b
expect "an empty BUNDLE directory is used" 0 "" -- $U img empty-b

# --- an image umoci made from a directory (its own tar writer), then unpacked by both: four layers
# with a whiteout (repack of a removal), an opaque directory (insert --opaque), a hard link, a path
# of 300+ characters, a user.* xattr and a symlink (--refresh-bundle: without it the second repack
# replaces the first layer instead of adding to it). umoci 0.4.7's insert layer stops right after its
# last file's data (no padding, no end marker): GNU tar calls it truncated, Go's archive/tar (umoci,
# containerd) and keel read it to the end of the data
long=deep/$(printf 'a%.0s' {1..100})/$(printf 'b%.0s' {1..100})/$(printf 'c%.0s' {1..100})
mkdir -p src/etc src/usr/bin src/opt/old "src/$long" newopt && echo umoci > src/etc/motd &&
head -c 200000 /dev/urandom > src/usr/bin/blob && ln -s blob src/usr/bin/link && ln src/usr/bin/blob src/usr/bin/hard &&
echo long > "src/$long/file" && echo hidden > src/opt/old/x && echo new > newopt/y &&
python3 -c 'import os; os.setxattr("src/usr/bin/blob", "user.keel", b"umoci-xattr")' || fail "could not make the umoci image's source tree"
umoci init --layout uimg >/dev/null && umoci new --image uimg:latest && umoci unpack --image uimg:latest ub0 >/dev/null &&
cp -a src/. ub0/rootfs/ && umoci repack --refresh-bundle --image uimg:latest ub0 >/dev/null && rm ub0/rootfs/etc/motd &&
echo second > ub0/rootfs/second && umoci repack --refresh-bundle --image uimg:latest ub0 >/dev/null && umoci insert --image uimg:latest --opaque newopt /opt >/dev/null ||
	fail "umoci could not build its image"
UM=$(jq -r '.manifests[0].digest' uimg/index.json)
# what the layers hold, as umoci wrote them: otherwise the tree comparison below proves less than it says
L=$(jq -r '.manifests[0].digest' uimg/index.json | cut -d: -f2)
layers=$(jq -r '.layers[].digest' "uimg/blobs/sha256/$L" | cut -d: -f2)
for d in $layers; do tar -tvzf "uimg/blobs/sha256/$d" 2>/dev/null; done > umoci-layers.txt
[ "$(wc -w <<<"$layers")" -ge 3 ] && grep -q 'etc/\.wh\.motd' umoci-layers.txt && grep -q 'opt/\.wh\.\.wh\.\.opq' umoci-layers.txt &&
	grep -q 'usr/bin/hard link to usr/bin/blob' umoci-layers.txt && grep -q "$long/file" umoci-layers.txt &&
	pass "umoci's layers hold a whiteout, an opaque marker, a hard link and a ${#long}-character path" ||
	fail "umoci's layers lack what the test needs: $(wc -l < umoci-layers.txt) entries"
sign uimg "$UM" cosign.key
umoci unpack --image uimg:latest ub1 >/dev/null 2>&1
expect "unpack an image umoci wrote" 0 "" -- $U uimg:latest kb1
[ -d kb1/rootfs/usr ] && diff <(tree ub1/rootfs) <(tree kb1/rootfs) >/dev/null && pass "umoci's own image: rootfs equals umoci's" || fail "umoci's image: trees differ"
[ -e kb1/rootfs/opt/y ] && [ ! -e kb1/rootfs/opt/old ] && [ ! -e kb1/rootfs/etc/motd ] && [ -e "kb1/rootfs/$long/file" ] &&
	[ "$(stat -c %i kb1/rootfs/usr/bin/hard)" = "$(stat -c %i kb1/rootfs/usr/bin/blob)" ] &&
	python3 -c 'import os, sys; sys.exit(os.getxattr("kb1/rootfs/usr/bin/blob", "user.keel") != b"umoci-xattr")' 2>/dev/null &&
	pass "umoci's own image: opaque /opt, whiteout, hard link, long path and xattr as written" ||
	fail "umoci's own image: $(ls kb1/rootfs/opt 2>&1 | head -c 200)"

# --- skopeo's copy of the image (another writer of the layout), signed again: the same tree
skopeo copy --quiet oci:img:latest oci:sk:latest >/dev/null 2>err || fail "skopeo copy: $(head -c 200 err)"
SM=$(jq -r '.manifests[0].digest' sk/index.json) && sign sk "$SM" cosign.key
expect "unpack a skopeo-copied layout" 0 "" -- $U sk:latest skb
[ -s k.tree ] && diff <(tree skb/rootfs) k.tree >/dev/null && pass "skopeo copy: the same tree" || fail "skopeo copy: tree differs"

# --- runc runs the bundle keel wrote (busybox-static as the image's /bin): Entrypoint/Cmd, the
# user, and the seccomp profile (unshare and mount fail with EPERM inside)
mkdir -p rsrc/bin && cp "$(command -v busybox)" rsrc/bin/busybox && ln -s busybox rsrc/bin/sh &&
umoci init --layout rimg >/dev/null && umoci new --image rimg:latest && umoci unpack --image rimg:latest rb0 >/dev/null &&
cp -a rsrc/. rb0/rootfs/ && umoci repack --image rimg:latest rb0 >/dev/null &&
umoci config --image rimg:latest --config.entrypoint /bin/sh --config.cmd -c \
	--config.cmd 'echo hello from keel; id -u; busybox unshare -U true; echo unshare=$?; busybox mount -t tmpfs x /tmp; echo mount=$?' \
	--config.user 7:7 || fail "umoci could not build the runc image"
sign rimg "$(jq -r '.manifests[0].digest' rimg/index.json)" cosign.key
expect "unpack the busybox image" 0 "" -- $U rimg rb
(cd rb && timeout 60 runc run "keel-unpack-$$" > ../runc.out 2>&1)
if grep -qx "hello from keel" runc.out && grep -qx 7 runc.out && grep -qx unshare=1 runc.out && grep -qx mount=1 runc.out; then
	pass "runc runs keel's bundle: args, user 7, unshare and mount refused by the seccomp profile"
else
	fail "runc on keel's bundle: $(head -c 300 runc.out | tr '\n' '|')"
fi

# --- --replace: an existing bundle is swapped for the new one in one rename, once all verified;
# a failing unpack leaves the old bundle as it was
echo stale > rb/stale
expect "--replace over a bundle with contents" 0 "" -- $U --replace rimg rb
[ ! -e rb/stale ] && [ -x rb/rootfs/bin/busybox ] && [ ! -e .rb.keel-unpack ] && pass "--replace: the old tree is gone, the new one in place, no staging left" ||
	fail "--replace: $(ls -a rb .rb.keel-unpack 2>&1 | tr '\n' ' ')"
echo keep > rb/keep
expect "--replace with an untrusted key fails" 1 "does not verify with any trusted key" -- $KEEL oci unpack --key other.pub --replace rimg rb
[ "$(cat rb/keep 2>/dev/null)" = keep ] && [ -x rb/rootfs/bin/busybox ] && [ ! -e .rb.keel-unpack ] &&
	pass "--replace that fails: the old bundle untouched, no staging left" || fail "--replace failure changed the bundle"
ln -s rb rb-link && touch rb-file
expect "--replace refuses a symlink as BUNDLE" 3 "rb-link exists and is not a directory" -- $U --replace rimg rb-link
expect "--replace refuses a file as BUNDLE" 3 "rb-file exists and is not a directory" -- $U --replace rimg rb-file
[ -L rb-link ] && [ -f rb-file ] && pass "--replace: the symlink and the file are left alone" || fail "--replace touched a symlink or file"

# --- --cgroup: linux.cgroupsPath for runc (container@.service puts the container below its unit)
expect "--cgroup PATH" 0 "" -- $U --cgroup /system.slice/container@x.service/container rimg cgb
jq -e '.linux.cgroupsPath == "/system.slice/container@x.service/container" and .linux.namespaces != null' cgb/config.json >/dev/null &&
	pass "--cgroup: config.json's linux.cgroupsPath" || fail "--cgroup: $(jq -c .linux cgb/config.json | head -c 200)"
jq -e '.linux | has("cgroupsPath") | not' rb/config.json >/dev/null && pass "without --cgroup: no cgroupsPath (runc's default)" || fail "cgroupsPath without --cgroup"

# --- the image's label io.containers.capabilities (podman's) replaces the three default
# capabilities; keel policy workload judges them (CAP_SYS_ADMIN is beyond baseline)
umoci config --image rimg:latest --config.label 'io.containers.capabilities=sys_admin, CAP_chown' || fail "umoci config --config.label"
index_set rimg '.manifests |= [.[] | select(.annotations["org.opencontainers.image.ref.name"] == "latest")]'
sign rimg "$(jq -r '.manifests[0].digest' rimg/index.json)" cosign.key
expect "unpack an image that asks for CAP_SYS_ADMIN and CAP_CHOWN" 0 "" -- $U rimg:latest capb
jq -e '.process.capabilities == {"bounding":["CAP_SYS_ADMIN","CAP_CHOWN"],"effective":["CAP_SYS_ADMIN","CAP_CHOWN"],"permitted":["CAP_SYS_ADMIN","CAP_CHOWN"]}' \
	capb/config.json >/dev/null && pass "the label's capabilities, normalised, are the process's three sets" || fail "caps: $(jq -c .process.capabilities capb/config.json)"
expect "keel policy workload refuses CAP_SYS_ADMIN at baseline" 1 "" -- $KEEL policy workload --level baseline capb
grep -q "capabilities_baseline) /process/capabilities/bounding/0: CAP_SYS_ADMIN is not allowed" out && pass "the refusal names CAP_SYS_ADMIN" ||
	fail "policy output: $(head -c 300 out)"
expect "keel policy workload allows keel's default bundle at baseline" 0 "" -- $KEEL policy workload --level baseline rb
umoci config --image rimg:latest --config.label 'io.containers.capabilities=CAP_NET_RAW;rm' || fail "umoci config --config.label"
index_set rimg '.manifests |= [.[] | select(.annotations["org.opencontainers.image.ref.name"] == "latest")]'
sign rimg "$(jq -r '.manifests[0].digest' rimg/index.json)" cosign.key
rm -rf capb2 .capb2.keel-unpack
expect "a label that is not a list of capability names is refused" 1 "CAP_NET_RAW;rm is not a capability name" -- $U rimg:latest capb2
[ ! -e capb2 ] && [ ! -e .capb2.keel-unpack ] && pass "bad capability label: nothing left" || fail "bad capability label left a bundle"

# --- zstd layers (libzstd's streaming decoder): skopeo's zstd recompression of the four-layer image
# (all four layers then tar+zstd), and a mix of gzip, zstd (the zstd CLI) and plain layers, each
# unpacked to the tree umoci unpacked from the gzip image (umoci 0.4 reads no zstd layers)
skopeo copy --quiet --dest-compress-format zstd oci:img:latest oci:zsk:latest >/dev/null 2>err || fail "skopeo copy zstd: $(head -c 200 err)"
ZSM=$(jq -r '.manifests[0].digest' zsk/index.json) && sign zsk "$ZSM" cosign.key
[ "$(jq -r '[.layers[].mediaType] | unique | join(",")' "$(blob zsk "$ZSM")")" = "$ZS" ] &&
	pass "skopeo --dest-compress-format zstd wrote four tar+zstd layers" || fail "skopeo's copy is not all zstd"
expect "unpack skopeo's zstd copy" 0 "" -- $U zsk:latest zskb
grep -q "zskb: $ZSM unpacked: 4 layers" out && pass "zstd copy: the report names its four layers" || fail "zstd report: $(cat out)"
[ -s k.tree ] && diff u.tree <(tree zskb/rootfs) >/dev/null && pass "skopeo's zstd copy: the rootfs equals umoci's of the gzip image" ||
	fail "skopeo's zstd copy: tree differs from umoci's"
sed 's/^layers = .*/layers = [(G, "pax", L1), (Z, "gnu", L2), (T, "ustar", L3), (Z, "pax", L4)]/' spec.py > zspec.py
ZM=$(mkimage zimg zspec.py) && sign zimg "$ZM" cosign.key
expect "unpack gzip, zstd and plain layers mixed" 0 "" -- $U zimg zb
[ -s k.tree ] && diff u.tree <(tree zb/rootfs) >/dev/null && pass "mixed layers: the rootfs equals umoci's of the gzip image" ||
	fail "mixed layers: tree differs from umoci's"
# a zstd layer that is signed (digest, size and diff_id right) but corrupt fails in the decoder:
# zsig LAYOUT JQ-OF-THE-LAYER-BLOB: replace layer 1 of zimg by what CMD makes of it, re-sign
zsig() {
	local lay=$1 old new ns nd ms
	rm -rf "$lay" && cp -a zimg "$lay" && index_set "$lay" '.manifests |= [.[0]]'
	old=$(jq -r '.layers[1].digest' "$(blob "$lay" "$ZM")")
	eval "$2" < "$(blob "$lay" "$old")" > zl.tmp
	read -r new ns < <(put "$lay" zl.tmp)
	jq -c --arg d "$new" --argjson s "$ns" '.layers[1].digest = $d | .layers[1].size = $s' "$(blob "$lay" "$ZM")" > m.json
	read -r nd ms < <(put "$lay" m.json)
	index_set "$lay" ".manifests = [.manifests[0] | .digest = \"$nd\" | .size = $ms]" && sign "$lay" "$nd" cosign.key
}
zsig ztrunc 'head -c -7'
# the last byte is in the frame's XXH64 content checksum; a flip in the middle is taken from the
# first offset past the half where `zstd -t` also finds the data corrupt (some bits are unused)
zsig zsum 'python3 -c "import sys; b = bytearray(sys.stdin.buffer.read()); b[-1] ^= 1; sys.stdout.buffer.write(b)"'
zmid() {
	python3 -c '
import sys, subprocess
b = sys.stdin.buffer.read()
for i in range(len(b) // 2, len(b) - 4):
    c = bytearray(b); c[i] ^= 0x10
    if subprocess.run(["zstd", "-t", "-q"], input=bytes(c), capture_output=True).returncode:
        sys.stdout.buffer.write(c); break'
}
zsig zflip zmid
sed 's/^layers = .*/layers = [(G, "pax", L1), (Z, "gnu", L2)]\nzstd_args = ["--long=31"]/' spec.py > wspec.py
WM=$(mkimage zwin wspec.py) && sign zwin "$WM" cosign.key

# --- a multi-platform image: an image index in index.json, signed as one (as `cosign sign` signs
# a multi-arch image). keel unpacks the manifest for this machine's platform, or --platform's;
# `skopeo copy --override-arch` picks the same one, and umoci's unpack of that copy is the oracle.
sed 's/^layers = .*/layers = [(G, "pax", L1), (G, "pax", L4)]/' spec.py > aspec.py
AM=$(mkimage armimg aspec.py)
rm -rf multi && cp -a img multi && cp armimg/blobs/sha256/* multi/blobs/sha256/
mindex() { # OUT ENTRIES-JQ: an index blob of these manifests (each [digest, platform object])
	jq -nc "{schemaVersion: 2, mediaType: \"application/vnd.oci.image.index.v1+json\", manifests: [$2 | .[] |
		{mediaType: \"application/vnd.oci.image.manifest.v1+json\", digest: .[0], size: .[2], platform: .[1]}]}" > "$1"
}
ms=$(stat -c %s "$(blob multi "$M")"); as=$(stat -c %s "$(blob multi "$AM")")
mindex mindex.json "[[\"$AM\", {architecture: \"arm64\", os: \"linux\", variant: \"v8\"}, $as],
	[\"$M\", {architecture: \"amd64\", os: \"linux\"}, $ms], [\"$AM\", {architecture: \"unknown\", os: \"unknown\"}, $as]]"
read -r MI mis < <(put multi mindex.json)
index_set multi "{schemaVersion: 2, manifests: [{mediaType: \"application/vnd.oci.image.index.v1+json\", digest: \"$MI\", size: $mis,
	annotations: {\"org.opencontainers.image.ref.name\": \"multi\"}}]}"
sign multi "$MI" cosign.key
case $(uname -m) in x86_64) host=amd64 ;; aarch64) host=arm64 ;; *) host=other ;; esac
if [ "$host" = amd64 ]; then
	expect "multi-platform: the image for this machine (linux/amd64)" 0 "" -- $U multi:multi mpb
	grep -qF "mpb: linux/amd64 of index $MI" out && grep -qF "mpb: $M unpacked: 4 layers" out &&
		pass "multi-platform: the report names the index, the platform and the manifest" || fail "multi-platform report: $(cat out)"
	[ -s k.tree ] && diff <(tree mpb/rootfs) k.tree >/dev/null && pass "multi-platform: linux/amd64's tree is the amd64 image's" ||
		fail "multi-platform: linux/amd64 tree differs"
else
	fail "multi-platform: this test expects an x86_64 machine (uname -m: $(uname -m))"
fi
skopeo copy --quiet --override-os linux --override-arch arm64 oci:multi:multi oci:skarm:arm >/dev/null 2>err ||
	fail "skopeo copy --override-arch arm64: $(head -c 200 err)"
umoci unpack --image skarm:arm uarm >/dev/null 2>uerr || fail "umoci unpack of skopeo's arm64 copy: $(head -c 300 uerr)"
for p in linux/arm64 linux/arm64/v8; do
	rm -rf karm
	expect "multi-platform: --platform $p" 0 "" -- $U --platform $p multi:multi karm
	t=$(tree karm/rootfs)
	[ -n "$t" ] && [ "$t" = "$(tree uarm/rootfs)" ] && pass "multi-platform: --platform $p gives the tree umoci unpacks from skopeo's --override-arch arm64 copy" ||
		fail "multi-platform: --platform $p: tree differs from skopeo+umoci's"
done
expect "multi-platform: a platform the index lacks (exit 3, as a tag it lacks)" 3 "no image for linux/s390x (it has linux/arm64, linux/amd64, unknown/unknown)" -- \
	$U --platform linux/s390x multi:multi nob
[ ! -e nob ] && pass "multi-platform: nothing left for a missing platform" || fail "multi-platform: BUNDLE left for a missing platform"
expect "multi-platform: --platform not OS/ARCH" 2 "--platform" -- $U --platform Linux/AMD64 multi:multi nob
expect "multi-platform: --platform with an empty part" 2 "--platform" -- $U --platform linux//v8 multi:multi nob
rm -rf multi2 && cp -a multi multi2
mindex mindex2.json "[[\"$AM\", {architecture: \"amd64\", os: \"linux\"}, $as], [\"$M\", {architecture: \"amd64\", os: \"linux\", variant: \"v1\"}, $ms]]"
read -r MI2 mis2 < <(put multi2 mindex2.json)
index_set multi2 "{schemaVersion: 2, manifests: [{mediaType: \"application/vnd.oci.image.index.v1+json\", digest: \"$MI2\", size: $mis2,
	annotations: {\"org.opencontainers.image.ref.name\": \"multi\"}}]}"
sign multi2 "$MI2" cosign.key
expect "multi-platform: two images for one platform (v1 is amd64's default variant)" 1 "2 images for linux/amd64" -- \
	$U --platform linux/amd64 multi2:multi nob
rm -rf multi3 && cp -a multi multi3 && index_set multi3 ".manifests |= [.[0]]" && sign multi3 "$AM" cosign.key
expect "multi-platform: only a manifest inside it signed, not the index" 1 "no cosign signature" -- $U multi3:multi nob
[ ! -e nob ] && pass "multi-platform: refused images leave nothing" || fail "multi-platform: BUNDLE left behind"

# --- attacks: exit 1, nothing in BUNDLE, no staging directory left
attack() { # NAME NEEDLE LAYOUT [OPTIONS]
	local name=$1 needle=$2 lay=$3
	shift 3
	rm -rf victim-b .victim-b.keel-unpack
	expect "$name" 1 "$needle" -- $KEEL oci unpack "$@" "$lay" victim-b
	[ ! -e victim-b ] && [ ! -e .victim-b.keel-unpack ] && pass "$name: nothing left" || fail "$name: BUNDLE or staging left behind"
}
evil() { # NAME SPEC-LAYERS: a signed image of these layers
	printf 'G = "%s"\nlayers = %s\n' "$GZ" "$2" > "$1.py"
	local m; m=$(mkimage "$1" "$1.py") && sign "$1" "$m" cosign.key
}
evil plant '[(G, "pax", [dict(name="a", type="l", link="/etc"), dict(name="a/passwd", data=b"pwned")])]'
attack "a symlink planted, then written through" "a is a symbolic link" plant --key cosign.pub
[ "$(head -c 5 /etc/passwd)" != pwned ] && pass "the host's /etc/passwd untouched" || fail "/etc/passwd written"
evil plant2 '[(G, "pax", [dict(name="a", type="l", link="../../../../etc")]), (G, "pax", [dict(name="a/x", data=b"x")])]'
attack "a symlink from a lower layer written through" "a is a symbolic link" plant2 --key cosign.pub
evil dotdot '[(G, "pax", [dict(name="../../escape", data=b"x")])]'
attack "a .. path" "the path would leave the root" dotdot --key cosign.pub
evil hlabs '[(G, "pax", [dict(name="h", type="h", link="/etc/passwd")])]'
attack "a hard link to the host's /etc/passwd" "hard link to an entry this layer did not make" hlabs --key cosign.pub
evil hllow '[(G, "pax", [dict(name="f", data=b"lower")]), (G, "pax", [dict(name="h", type="h", link="f")])]'
attack "a hard link to a lower layer" "hard link to an entry this layer did not make" hllow --key cosign.pub
evil dev '[(G, "pax", [dict(name="null", type="c", mode=0o666)])]'
attack "a device node (default policy: refuse)" "device node refused by policy" dev --key cosign.pub
expect "a device node with --devices skip" 0 "" -- $KEEL oci unpack --key cosign.pub --devices skip dev devskip
attack "set-id bits with --setid refuse" "set-id bits refused by policy" img --key cosign.pub --setid refuse
rm -rf bad && cp -a img bad
L1D=$(jq -r '.layers[1].digest' "$(blob bad "$M")")
printf 'X' | dd of="$(blob bad "$L1D")" bs=1 seek=200 conv=notrunc status=none
attack "a tampered layer" "$L1D" bad --key cosign.pub
attack "another key" "does not verify with any trusted key" img --key other.pub
rm -rf unsigned && cp -a img unsigned && index_set unsigned '.manifests |= [.[0]]'
attack "an unsigned image" "no cosign signature" unsigned --key cosign.pub
rm -rf lying && cp -a img lying && jq -c '.layers[0].size += 1' "$(blob lying "$M")" > m.json && read -r nd ns < <(put lying m.json) &&
	index_set lying ".manifests = [.manifests[0] | .digest = \"$nd\" | .size = $ns]" && sign lying "$nd" cosign.key
attack "a layer whose size lies" "its descriptor says" lying --key cosign.pub
sed 's/^layers = .*/layers = [(G, "pax", L1)]\ndiff_ids = ["sha256:" + "0" * 64]/' spec.py > dspec.py
DM=$(mkimage did dspec.py) && sign did "$DM" cosign.key
attack "a diff_id that does not match the tar" "does not match the config's diff_id" did --key cosign.pub
rm -rf zbad && cp -a zimg zbad
ZL=$(jq -r '.layers[1].digest' "$(blob zbad "$ZM")")
flip "$(blob zbad "$ZL")" 100
attack "a tampered zstd layer" "$ZL" zbad --key cosign.pub
attack "a signed zstd layer cut short" "zstd: truncated: the input ends inside a frame" ztrunc --key cosign.pub
attack "a signed zstd layer whose content checksum is wrong" "zstd: content checksum mismatch" zsum --key cosign.pub
attack "a signed zstd layer with a bit flipped that zstd -t finds" "zstd: " zflip --key cosign.pub
attack "a zstd layer that needs a 2 GiB window (zstd -d refuses it too)" "zstd: a frame needs a larger window than allowed" zwin --key cosign.pub
attack "a zstd layer past --max-bytes" "decompress to more than 4096 bytes" zsk --key cosign.pub --max-bytes 4096
