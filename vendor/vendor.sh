#!/usr/bin/env bash
# vendor/vendor.sh — fetch, verify and build keel's pinned libraries.
#
#   vendor/vendor.sh fetch              download every tarball named in vendor/pins (if missing)
#   vendor/vendor.sh verify             check every cached tarball against its pinned sha256
#   vendor/vendor.sh build FLAVOR       build all libraries for FLAVOR (musl | host), cached
#   vendor/vendor.sh prefix FLAVOR      print the install prefix of FLAVOR
#
# Environment:
#   KEEL_CACHE        cache root (default: ${XDG_CACHE_HOME:-~/.cache}/keel); never inside git
#   KEEL_VENDOR_DIR   a local directory holding the upstream tarballs; used before the archive
#   KEEL_VENDOR_SUITES  Debian suites searched for the source packages (default: trixie stable)
#   MUSL_CC / HOST_CC  compilers (set by build.sh)
#
# Tarballs come from Debian's archive through `apt-get source --download-only` under a private
# apt configuration in the cache. Its deb-src entries are derived from the machine's own Debian
# source list (the archive URI of the entry for this machine's suite); the system's apt files are
# only read, never written. The sha256 in vendor/pins is the pin: a tarball that differs by one
# byte is refused, every time a build uses it, and so is a cached build whose outputs changed.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
cache=${KEEL_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/keel}
dl=$cache/dl
suites=${KEEL_VENDOR_SUITES:-trixie stable}

die() { printf 'vendor: %s\n' "$*" >&2; exit 3; }
note() { printf 'vendor: %s\n' "$*" >&2; }

# pins: name version srcpkg debver tarball sha256
read_pins() { grep -v '^[[:space:]]*\(#\|$\)' "$here/pins"; }

sha256_of() { sha256sum "$1" | cut -d' ' -f1; }

# The archive URIs of this machine's Debian entries, from /etc/apt (deb822 and one-line forms).
debian_uris() {
	local codename
	codename=$(. /etc/os-release && echo "${VERSION_CODENAME:-}")
	[ -n "$codename" ] || die "cannot tell this machine's Debian suite from /etc/os-release"
	{
		for f in /etc/apt/sources.list.d/*.sources; do
			[ -e "$f" ] || continue
			awk -v cn="$codename" '
				/^[[:space:]]*$/ { if (ok && uris != "") print uris; ok = 0; uris = ""; next }
				tolower($1) == "uris:" { uris = $2 }
				tolower($1) == "suites:" { for (i = 2; i <= NF; i++) if ($i == cn) ok = 1 }
				END { if (ok && uris != "") print uris }' "$f"
		done
		for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
			[ -e "$f" ] || continue
			sed -e 's/\[[^]]*\]//' "$f" | awk -v cn="$codename" \
				'$1 == "deb" || $1 == "deb-src" { if ($3 == cn) print $2 }'
		done
	} | awk '!seen[$0]++'
}

# A private apt configuration: deb-src entries for $suites on this machine's Debian mirror(s).
apt_setup() {
	local root=$cache/apt uris u keyring
	mkdir -p "$root"/{sources.list.d,preferences.d,lists/partial,archives/partial,cache}
	: > "$root/status"
	uris=$(debian_uris)
	[ -n "$uris" ] || die "no Debian archive entry for this machine's suite in /etc/apt; cannot fetch sources (or set KEEL_VENDOR_DIR to a directory holding the tarballs)"
	keyring=/usr/share/keyrings/debian-archive-keyring.gpg
	[ -r "$keyring" ] || die "missing $keyring (package debian-archive-keyring)"
	{
		for u in $uris; do
			printf 'Types: deb-src\nURIs: %s\nSuites: %s\nComponents: main\nSigned-By: %s\n\n' \
				"$u" "$suites" "$keyring"
		done
	} > "$root/sources.list.d/keel-vendor.sources"
	cat > "$root/apt.conf" <<-EOF
	Dir::Etc::SourceList "/dev/null";
	Dir::Etc::SourceParts "$root/sources.list.d";
	Dir::Etc::Preferences "/dev/null";
	Dir::Etc::PreferencesParts "$root/preferences.d";
	Dir::State::Lists "$root/lists";
	Dir::State::status "$root/status";
	Dir::Cache "$root/cache";
	Dir::Cache::archives "$root/archives";
	APT::Sandbox::User "root";
	Acquire::Languages "none";
	EOF
	APT_CONFIG=$root/apt.conf apt-get -q update >"$root/update.log" 2>&1 ||
		die "apt-get update for source suites ($suites) failed; see $root/update.log"
}

# Download one pinned tarball into $dl (the .dsc and Debian diff are fetched alongside, unused).
fetch_one() {
	local name=$1 ver=$2 srcpkg=$3 debver=$4 tarball=$5 sha=$6 candidates v tmp
	if [ -n "${KEEL_VENDOR_DIR:-}" ] && [ -f "$KEEL_VENDOR_DIR/$tarball" ]; then
		cp "$KEEL_VENDOR_DIR/$tarball" "$dl/$tarball.part" && mv "$dl/$tarball.part" "$dl/$tarball"
		return
	fi
	[ -f "$cache/apt/apt.conf" ] || apt_setup
	# Every archive version of srcpkg whose files include the pinned tarball name.
	candidates=$(APT_CONFIG=$cache/apt/apt.conf apt-cache showsrc "$srcpkg" 2>/dev/null | awk -v t="$tarball" '
		/^Version:/ { v = $2 } /^ [0-9a-f]+ [0-9]+ / { if ($3 == t) print v }' | sort -u)
	[ -n "$candidates" ] || die "$name $ver: no source package '$srcpkg' in suites ($suites) carries $tarball any more (pinned at Debian $debver); put the tarball in KEEL_VENDOR_DIR or move the pin in vendor/pins"
	tmp=$(mktemp -d "$dl/fetch.XXXXXX")
	for v in $candidates; do
		if (cd "$tmp" && APT_CONFIG=$cache/apt/apt.conf apt-get -q source --download-only "$srcpkg=$v" >"$tmp/log" 2>&1) &&
			[ -f "$tmp/$tarball" ]; then
			mv "$tmp/$tarball" "$dl/$tarball"
			rm -rf "$tmp"
			return
		fi
	done
	die "$name $ver: apt-get source $srcpkg failed for versions: $candidates (log: $tmp/log)"
}

check_one() {
	local tarball=$1 sha=$2 got
	[ -f "$dl/$tarball" ] || die "$tarball: not in cache $dl (run: vendor/vendor.sh fetch)"
	got=$(sha256_of "$dl/$tarball")
	[ "$got" = "$sha" ] || die "$dl/$tarball: sha256 mismatch: pinned $sha, file has $got; refusing to build with it (delete the file to fetch it again)"
}

cmd_fetch() {
	mkdir -p "$dl"
	local name ver srcpkg debver tarball sha
	while read -r name ver srcpkg debver tarball sha; do
		[ -f "$dl/$tarball" ] || { note "fetching $tarball"; fetch_one "$name" "$ver" "$srcpkg" "$debver" "$tarball" "$sha"; }
		check_one "$tarball" "$sha"
	done < <(read_pins)
}

cmd_verify() {
	local name ver srcpkg debver tarball sha
	while read -r name ver srcpkg debver tarball sha; do check_one "$tarball" "$sha"; done < <(read_pins)
}

# ---- builds ------------------------------------------------------------------------------------

flavor_env() {
	case $1 in
	musl)
		CC=${MUSL_CC:?MUSL_CC not set}
		CFLAGS="-O2 -fPIE -fstack-protector-strong -fstack-clash-protection -fno-asynchronous-unwind-tables -fno-unwind-tables -ffunction-sections -fdata-sections -g0"
		;;
	host)
		CC=${HOST_CC:-clang}
		CFLAGS="-O1 -g -fPIC -fno-omit-frame-pointer -ffunction-sections -fdata-sections"
		;;
	*) die "unknown flavor '$1' (musl or host)" ;;
	esac
	KINC=$cache/kinc
	mkdir -p "$KINC"
	# Kernel UAPI headers for the musl toolchain (musl-gcc hides /usr/include).
	local d
	for d in linux asm-generic; do ln -sfn "/usr/include/$d" "$KINC/$d"; done
	ln -sfn "/usr/include/$(gcc -print-multiarch)/asm" "$KINC/asm"
}

# vendor/patches/NAME-*.patch, in name order, each with a header saying what and why (patch -p1).
apply_patches() { # name src
	local p
	for p in "$here"/patches/"$1"-*.patch; do
		[ -e "$p" ] || continue
		patch -p1 -s -d "$2" < "$p" || die "$p does not apply to $1"
	done
}

extract() { # tarball dest
	rm -rf "$2" && mkdir -p "$2"
	tar -xf "$dl/$1" -C "$2" --strip-components=1 --no-same-owner
}

build_mbedtls() { # src out
	local cfg="-I$here -DMBEDTLS_CONFIG_FILE=\"<keel_mbedtls_config.h>\""
	# -Os, except the public-key arithmetic (ECDSA verify costs 20 % more instructions at -Os:
	# callgrind, keel verify sig --bench 200), rebuilt at the flavour's level and swapped into the
	# archive; SHA-256 and the rest are no slower at -Os (SHA-256: 13 % fewer instructions).
	# SHA-512 is (the image hash of `keel update apply`): 512 MiB, `keel verify digest --sha512`
	# from /dev/shm, user s: -Os 1.23-1.33, -O2 1.03-1.14 (sha512sum 0.93-0.98); +1,216 B of text.
	local hot="bignum.o bignum_core.o bignum_mod_raw.o ecp.o ecp_curves.o ecdsa.o sha512.o"
	make -s -C "$1/library" -j"$(nproc)" CC="$CC" AR=ar \
		CFLAGS="$CFLAGS -Os $cfg -Wno-error" libmbedcrypto.a libmbedx509.a libmbedtls.a >"$1/make.log" 2>&1 ||
		die "mbedtls build failed; see $1/make.log"
	(cd "$1/library" && rm -f $hot && make -s CC="$CC" CFLAGS="$CFLAGS $cfg -Wno-error" $hot && ar rcs libmbedcrypto.a $hot) \
		>>"$1/make.log" 2>&1 || die "mbedtls build (hot objects) failed; see $1/make.log"
	mkdir -p "$2/lib" "$2/include"
	cp "$1"/library/libmbed{crypto,x509,tls}.a "$2/lib/"
	cp -r "$1/include/mbedtls" "$1/include/psa" "$2/include/"
	cp "$here/keel_mbedtls_config.h" "$2/include/"
}

# zstd minified (issue: size budget): error strings stripped, the smaller single-symbol Huffman and
# short-sequence decoders, -Os; the compressor keeps only the "fast" block compressor (level 1;
# other levels fall back to it). No BMI2 second copy of the decoder and no amd64 assembly Huffman
# loop (DYNAMIC_BMI2=0, ZSTD_DISABLE_ASM): the decoder (ZSTD_decompressStream) is 3,040 B smaller
# at the same speed. Inlining stays (no ZSTD_NO_INLINE): it costs the decoder 6,386 B and makes it
# 1.57x as fast, as fast as the zstd CLI. 240 MiB (tar of /usr, zstd -3) from /dev/shm, best of 7,
# CPU s: zstd -dc 0.236, this 0.239 (34,945 B), with ZSTD_NO_INLINE 0.376 (28,559 B).
ZSTD_MIN="-Os -DZSTD_STRIP_ERROR_STRINGS -DHUF_FORCE_DECOMPRESS_X1 -DZSTD_FORCE_DECOMPRESS_SEQUENCES_SHORT
	-DDYNAMIC_BMI2=0 -DZSTD_DISABLE_ASM
	-DZSTD_EXCLUDE_DFAST_BLOCK_COMPRESSOR -DZSTD_EXCLUDE_GREEDY_BLOCK_COMPRESSOR -DZSTD_EXCLUDE_LAZY_BLOCK_COMPRESSOR
	-DZSTD_EXCLUDE_LAZY2_BLOCK_COMPRESSOR -DZSTD_EXCLUDE_BTLAZY2_BLOCK_COMPRESSOR -DZSTD_EXCLUDE_BTOPT_BLOCK_COMPRESSOR
	-DZSTD_EXCLUDE_BTULTRA_BLOCK_COMPRESSOR"
build_zstd() {
	make -s -C "$1/lib" -j"$(nproc)" CC="$CC" AR=ar CFLAGS="$CFLAGS $(echo $ZSTD_MIN)" \
		ZSTD_LIB_DICTBUILDER=0 ZSTD_LIB_DEPRECATED=0 ZSTD_LEGACY_SUPPORT=0 libzstd.a >"$1/make.log" 2>&1 ||
		die "zstd build failed; see $1/make.log"
	mkdir -p "$2/lib" "$2/include"
	cp "$1/lib/libzstd.a" "$2/lib/"
	cp "$1/lib/zstd.h" "$1/lib/zstd_errors.h" "$2/include/"
}

build_libseccomp() {
	(cd "$1" && ./configure -q --disable-shared --enable-static --disable-python \
		--host=x86_64-linux-gnu CC="$CC" CFLAGS="$CFLAGS -Os -isystem $KINC" >configure.log 2>&1) ||
		die "libseccomp configure failed; see $1/configure.log"
	make -s -C "$1/src" -j"$(nproc)" libseccomp.la >"$1/make.log" 2>&1 ||
		die "libseccomp build failed; see $1/make.log"
	mkdir -p "$2/lib" "$2/include"
	cp "$1/src/.libs/libseccomp.a" "$2/lib/"
	cp "$1/include/seccomp.h" "$1/include/seccomp-syscalls.h" "$2/include/"
}

cmd_build() {
	local flavor=$1 prefix=$cache/$1 name ver srcpkg debver tarball sha key stamp src
	flavor_env "$flavor"
	mkdir -p "$prefix"
	# One build of the cache at a time: two checkouts building at once (./build.sh test in one,
	# ./build.sh fuzz in another) would extract and patch the same source tree under each other.
	exec 9>"$cache/.lock"
	flock 9
	cmd_fetch
	while read -r name ver srcpkg debver tarball sha; do
		# The cache key: tarball pin, this recipe, our mbedtls config, compiler and flags.
		key=$( { echo "$sha $flavor $CC $CFLAGS"; "$CC" --version 2>/dev/null | head -1
			cat "$here/vendor.sh" "$here/keel_mbedtls_config.h" "$here"/patches/*.patch; } | sha256sum | cut -d' ' -f1)
		stamp=$prefix/$name.stamp
		if [ -f "$stamp" ] && [ "$(head -1 "$stamp")" = "$key" ]; then
			# Cached outputs must still be the bytes this recipe produced.
			(cd "$prefix" && tail -n +2 "$stamp" | sha256sum --quiet -c - >/dev/null 2>&1) ||
				die "$prefix: cached $name build was modified since it was built; run ./build.sh clean --all"
			continue
		fi
		note "building $name $ver ($flavor)"
		src=$cache/src/$flavor/$name
		extract "$tarball" "$src"
		apply_patches "$name" "$src"
		rm -rf "$prefix/$name"
		"build_$name" "$src" "$prefix/$name"
		{ echo "$key"; (cd "$prefix" && find "$name" -type f | LC_ALL=C sort | xargs sha256sum); } > "$stamp.tmp"
		mv "$stamp.tmp" "$stamp"
		rm -rf "$src"
	done < <(read_pins)
	return 0
}

case ${1:-} in
fetch) cmd_fetch ;;
verify) cmd_verify ;;
build) cmd_build "${2:?flavor}" ;;
prefix) echo "$cache/${2:?flavor}" ;;
*) echo "usage: vendor/vendor.sh fetch|verify|build FLAVOR|prefix FLAVOR" >&2; exit 2 ;;
esac
