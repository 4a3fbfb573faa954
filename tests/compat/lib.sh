# tests/compat/lib.sh — helpers for the compat suites: `. "$(dirname "$0")/lib.sh"`.
# Sourcing defines functions only (tests/run.sh also runs this file on its own: it reports nothing).
#
#   compat_init NAME [DIR]   work in a fresh directory below DIR (default $KEEL_TEST_TMP or /tmp),
#                            removed at exit; PASS/FAIL lines say "NAME: …"
#   need TOOL…               FAIL (never skip) for each missing peer; returns 1 if any
#   expect NAME RC [NEEDLE] -- CMD…   CMD must exit RC, and print NEEDLE (if not "") on stderr
#   flip FILE OFFSET [MASK]  xor the byte at OFFSET with MASK (default 4): a one-bit forgery
#   units_corpus             the unit files Debian packages of container-host software ship,
#                            fetched once (apt-get download, dpkg-deb -x) into
#                            $KEEL_SRC/build/compat-units/root; sets UNITS_CACHE to
#                            build/compat-units, or FAILs and returns 1
# OCI layouts (jq, openssl):
#   put LAYOUT FILE          store FILE as a sha256 blob; prints "DIGEST SIZE"
#   blob LAYOUT DIGEST       the blob's path
#   index_set LAYOUT FILTER  rewrite index.json with a jq filter
#   sign LAYOUT DIGEST KEY [TAG-DIGEST]   add a cosign simple-signing signature manifest for
#                            DIGEST, tagged sha256-<TAG-DIGEST hex>.sig (made with openssl);
#                            SIGBLOB is its payload blob
compat_init() {
	COMPAT_NAME=$1
	W=$(mktemp -d "${2:-${KEEL_TEST_TMP:-/tmp}}/keel-$1.XXXXXX") || exit 3
	trap 'rm -rf "$W"' EXIT
	cd "$W" || exit 3
}
pass() { echo "PASS: $COMPAT_NAME: $*"; }
fail() { echo "FAIL: $COMPAT_NAME: $*"; }
need() {
	local t ok=0
	for t in "$@"; do
		command -v "$t" >/dev/null || { fail "$t not installed"; ok=1; }
	done
	return $ok
}
expect() {
	local name=$1 want=$2 needle=$3 rc
	shift 4
	"$@" >out 2>err
	rc=$?
	if [ "$rc" != "$want" ]; then
		fail "$name: exit $rc, want $want: $(head -c 300 err)"
	elif [ -n "$needle" ] && ! grep -qF -- "$needle" err; then
		fail "$name: stderr does not name $needle: $(head -c 300 err)"
	else
		pass "$name"
	fi
}
flip() {
	local b
	b=$(od -An -tu1 -j "$2" -N1 "$1" | tr -d ' ')
	printf "$(printf '\\%03o' $((b ^ ${3:-4})))" | dd of="$1" bs=1 seek="$2" conv=notrunc status=none
}
put() {
	local h
	h=$(sha256sum < "$2" | cut -c1-64)
	cp "$2" "$1/blobs/sha256/$h"
	echo "sha256:$h $(stat -c %s "$2")"
}
blob() { echo "$1/blobs/${2%%:*}/${2#*:}"; }
index_set() { jq -c "$2" "$1/index.json" > idx.tmp && mv idx.tmp "$1/index.json"; }
sign() {
	local lay=$1 target=$2 key=$3 tag=${4:-$2} p ps c cs s ss
	printf '{"critical":{"identity":{"docker-reference":"localhost/keel-test"},"image":{"docker-manifest-digest":"%s"},"type":"cosign container image signature"},"optional":null}' "$target" > payload.json
	openssl dgst -sha256 -sign "$key" -out payload.sig payload.json
	read -r p ps < <(put "$lay" payload.json)
	echo '{}' > sigcfg.json
	read -r c cs < <(put "$lay" sigcfg.json)
	jq -nc --arg p "$p" --argjson ps "$ps" --arg c "$c" --argjson cs "$cs" --arg s "$(base64 -w0 payload.sig)" \
		'{schemaVersion: 2, mediaType: "application/vnd.oci.image.manifest.v1+json",
		  config: {mediaType: "application/vnd.oci.image.config.v1+json", digest: $c, size: $cs},
		  layers: [{mediaType: "application/vnd.dev.cosign.simplesigning.v1+json", digest: $p, size: $ps,
		            annotations: {"dev.cosignproject.cosign/signature": $s}}]}' > sigman.json
	read -r s ss < <(put "$lay" sigman.json)
	index_set "$lay" ".manifests += [{\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\",\"digest\":\"$s\",\"size\":$ss,\"annotations\":{\"org.opencontainers.image.ref.name\":\"sha256-${tag#sha256:}.sig\"}}]"
	SIGBLOB=$p
}
UNITS_PKGS="containerd docker.io podman chrony openssh-server prometheus-node-exporter nftables auditd
cloud-init open-iscsi multipath-tools nfs-common nfs-kernel-server rpcbind haproxy keepalived lldpd
frr sysstat logrotate unbound qemu-guest-agent open-vm-tools wireguard-tools rsyslog cron
smartmontools irqbalance lvm2 mdadm fail2ban apparmor e2fsprogs"
units_corpus() {
	local cache=$KEEL_SRC/build/compat-units d
	mkdir -p "$cache/debs" "$cache/root"
	if [ ! -e "$cache/stamp" ] || [ "$(cat "$cache/stamp")" != "$(echo $UNITS_PKGS)" ]; then
		(cd "$cache/debs" && apt-get download $UNITS_PKGS >"$cache/apt.log" 2>&1) ||
			{ fail "apt-get download: $(tail -3 "$cache/apt.log" | tr '\n' ' ')"; return 1; }
		rm -rf "$cache/root" && mkdir -p "$cache/root"
		for d in "$cache"/debs/*.deb; do dpkg-deb -x "$d" "$cache/root" || { fail "dpkg-deb -x $d"; return 1; }; done
		echo $UNITS_PKGS >"$cache/stamp"
	fi
	UNITS_CACHE=$cache
}
