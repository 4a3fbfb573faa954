#!/usr/bin/env bash
# build.sh — build, test and demonstrate keel.
#
#   ./build.sh           build build/keel (static-pie, musl) and build/keel.debug
#   ./build.sh test      build, then run every test; ends with "N passed, N failed"
#   ./build.sh demo      build, then boot a VM from keel's initramfs and show the host coming up
#   ./build.sh bench     benchmarks: ratios against peers measured in the same run
#   ./build.sh repro     build twice from clean clones, compare every artefact byte for byte
#   ./build.sh fuzz [SECONDS] [NAME…]  run each libFuzzer harness under tests/fuzz (or only NAMEs)
#                        for SECONDS each (default KEEL_FUZZ_SECONDS, else 60), ASan+UBSan
#   ./build.sh clean     remove build/ (clean --all also removes the vendor cache)
#
# Run as root on Debian 12 or later: missing Debian packages are installed (apt-get update once,
# then apt-get install -y), pinned vendor sources are fetched and checked (vendor/vendor.sh).
set -euo pipefail

cd "$(dirname "$0")"
top=$PWD
B=$top/build
KEEL_VERSION=0.1.0
export KEEL_CACHE=${KEEL_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/keel}
export SOURCE_DATE_EPOCH=${SOURCE_DATE_EPOCH:-$(git log -1 --format=%ct 2>/dev/null || echo 0)}
jobs=$(nproc)

die() { printf 'build.sh: %s\n' "$*" >&2; exit 3; }
say() { printf '==> %s\n' "$*" >&2; }

# ---- Debian packages --------------------------------------------------------------------------
PKGS_BUILD=(gcc make musl-tools musl-dev linux-libc-dev gperf bzip2 xz-utils binutils file patch
	debian-archive-keyring zstd)
PKGS_TEST=(clang libclang-rt-14-dev cryptsetup-bin vboot-utils cgpt gdisk zstd openssl tar cpio
	qemu-system-x86 linux-image-amd64 kmod erofs-utils squashfs-tools e2fsprogs busybox-static
	tini runc umoci skopeo ignition jq xxd python3 time socat dosfstools mtools xorriso procps strace
	valgrind nodejs systemd ovmf systemd-boot-efi sbsigntool python3-jsonschema python3-license-expression
	chrony openssh-server containerd prometheus-node-exporter nftables)
# What the demo's VM needs: qemu, the Debian kernel and its modules, the image tools.
PKGS_DEMO=(qemu-system-x86 linux-image-amd64 kmod cpio erofs-utils e2fsprogs gdisk cgpt openssl
	busybox-static ovmf systemd-boot-efi sbsigntool mtools dosfstools runc umoci skopeo jq python3)
apt_updated=
ensure_pkgs() {
	local p missing=()
	for p in "$@"; do
		dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null | grep -q '^install ok installed$' || missing+=("$p")
	done
	[ ${#missing[@]} -eq 0 ] && return 0
	[ "$(id -u)" = 0 ] || die "missing Debian packages: ${missing[*]}; run as root (or install them)"
	say "installing Debian packages: ${missing[*]}"
	if [ -z "$apt_updated" ]; then
		apt-get update -q >/dev/null || die "apt-get update failed"
		apt_updated=1
	fi
	DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}" \
		>/dev/null || die "apt-get install ${missing[*]} failed"
}

# ---- toolchains -------------------------------------------------------------------------------
# A musl specs file of our own: Debian's musl-gcc always names a dynamic linker, so it cannot
# make a static-pie. Ours links -static -pie --no-dynamic-linker -z text -z pack-relative-relocs
# and starts from build/keel_rcrt1.o (vendor/keel_rcrt1.c) instead of musl's rcrt1.o: musl 1.2.3
# applies only DT_RELA (24 bytes a pointer); ours applies DT_RELR too (41 KiB less in keel).
musl_specs() {
	local deb=/usr/lib/x86_64-linux-musl/musl-gcc.specs out=$B/musl-static-pie.specs start=$B/keel_rcrt1.o
	[ -r "$deb" ] || die "missing $deb (package musl-tools)"
	mkdir -p "$B"
	# No stack protector (its canary is in TLS, set up later by __libc_start_main), freestanding
	# (nothing may be called before the relocations are applied).
	gcc -specs "$deb" -std=c11 -Os -fPIE -fno-stack-protector -ffreestanding -fno-builtin -fno-jump-tables \
		-fno-tree-loop-distribute-patterns -fcf-protection=full -fno-asynchronous-unwind-tables \
		-fno-unwind-tables -ffunction-sections $WARN -c vendor/keel_rcrt1.c -o "$start.tmp"
	if cmp -s "$start.tmp" "$start"; then rm "$start.tmp"; else mv "$start.tmp" "$start"; fi
	awk -v start="$start" '
		/^\*startfile:/ { print; getline; sub(/%\{!shared: [^}]*Scrt1\.o\}/, start); print; next }
		/^\*link:/ { print; getline; print "-nostdlib -static -pie --no-dynamic-linker -z text -z pack-relative-relocs"; next }
		{ print }' "$deb" > "$out.tmp"
	grep -q keel_rcrt1.o "$out.tmp" || die "could not derive a static-pie specs file from $deb"
	mv "$out.tmp" "$out"
}

# The applet table, generated from the header block at the top of every applets/*.c:
#   /* keel NAME - one-line summary
#    *
#    * usage: keel NAME …        (everything up to the closing */ is the help text)
# The help texts (30 KiB) are compiled in zstd-compressed, one NUL-terminated block per applet in
# build/gen/applets.help; `--help` decompresses them (applets/main.c). zstd -19 is deterministic
# for a given zstd version (the Debian package in PKGS_BUILD).
gen_applets() {
	local out=$B/gen/applets.h help=$B/gen/applets.help
	mkdir -p "$B/gen"
	LC_ALL=C awk -v help="$help.tmp" '
		function cstr(s) { gsub(/\\/, "\\\\", s); gsub(/"/, "\\\"", s); return s }
		FNR == 1 {
			if (!match($0, /^\/\* keel [a-z0-9-]+ - /)) { next_file = 1 } else {
				next_file = 0; n++
				name[n] = $3; sub(/^\/\* keel [a-z0-9-]+ - /, ""); summary[n] = $0
				text[n] = ""; started = 0; inhdr = 1
			}
			next
		}
		next_file || !inhdr { next }
		/^ \*\// { inhdr = 0; next }
		{
			line = $0; sub(/^ \* ?/, "", line); sub(/^ \*$/, "", line)
			if (!started && line == "") next
			started = 1; text[n] = text[n] line "\n"
		}
		END {
			printf "" > help
			for (i = 1; i <= n; i++) { off[i] = size; printf "%s%c", text[i], 0 > help; size += length(text[i]) + 1 }
			print "/* generated by build.sh from the header block of each applet source; do not edit */"
			for (i = 1; i <= n; i++) { f = name[i]; gsub(/-/, "_", f); print "int " f "_main(int argc, char **argv);" }
			print "static const char *applet_help(const struct applet *a);"
			print "static const struct applet applet_table[] = {"
			for (i = 1; i <= n; i++) {
				f = name[i]; gsub(/-/, "_", f)
				printf "\t{\"%s\", %s_main, \"%s\", applet_help, %d},\n", name[i], f, cstr(summary[i]), off[i]
			}
			print "};"
			printf "#define APPLET_HELP_SIZE %d\n", size
		}' $(LC_ALL=C ls applets/*.c) > "$out.tmp"
	{
		echo "static const unsigned char applet_help_zst[] = {"
		zstd -19 --single-thread -q -c --no-check < "$help.tmp" | od -An -v -tu1 | awk '{ for (i = 1; i <= NF; i++) printf "%s,", $i; print "" }'
		echo "};"
	} >> "$out.tmp"
	mv "$help.tmp" "$help"
	if cmp -s "$out.tmp" "$out"; then rm "$out.tmp"; else mv "$out.tmp" "$out"; fi
}

# The makefile every flavour is built with (objects, deps, link). Variables come from run_make.
write_mk() {
	mkdir -p "$B"
	cat > "$B/keel.mk.tmp" <<'EOF'
# generated by build.sh — do not edit
CORE    := $(sort $(wildcard $(TOP)/core/*/*.c))
APPLETS := $(sort $(wildcard $(TOP)/applets/*.c))
UNITS   := $(sort $(wildcard $(TOP)/tests/unit/*.c))
obj = $(patsubst $(TOP)/%.c,$(O)/obj/%.o,$(1))

$(O)/obj/%.o: $(TOP)/%.c
	@mkdir -p $(@D)
	@echo "  CC  $*.c"
	@$(CC) $(CFLAGS) -MMD -MP -c $< -o $@

$(O)/keel.debug: $(call obj,$(CORE) $(APPLETS)) $(LDSCRIPT)
	@echo "  LD  $@"
	@$(CC) $(CFLAGS) $(LDFLAGS) -Wl,-Map=$@.map $(filter-out $(LDSCRIPT),$^) $(LIBS) -o $@

$(O)/keel: $(O)/keel.debug
	@strip --strip-all -R .comment -R .note.gnu.build-id $< -o $@

# The unit tests fail allocations and close(2) on purpose (tests/unit/alloc.c); nothing else is wrapped.
UNITWRAP := -Wl,--wrap=malloc,--wrap=calloc,--wrap=realloc,--wrap=strdup,--wrap=strndup,--wrap=close
$(O)/unit: $(call obj,$(CORE) $(UNITS))
	@echo "  LD  $@"
	@$(CC) $(CFLAGS) $(LDFLAGS) $(UNITWRAP) $^ $(LIBS) -o $@

$(O)/fuzz/%: $(call obj,$(CORE)) $(O)/obj/tests/fuzz/%.o $(FUZZMAIN)
	@mkdir -p $(@D)
	@echo "  LD  $@"
	@$(CC) $(CFLAGS) $(LDFLAGS) $^ $(LIBS) -o $@

.SECONDARY:
-include $(shell find $(O)/obj -name '*.d' 2>/dev/null)
EOF
	if cmp -s "$B/keel.mk.tmp" "$B/keel.mk"; then rm "$B/keel.mk.tmp"; else mv "$B/keel.mk.tmp" "$B/keel.mk"; fi
}

WARN="-Wall -Wextra -Werror -Wshadow -Wno-sign-compare -Wno-missing-field-initializers -Wformat=2 -Wvla"
MUSL_VERSION=
run_make() { # flavour targets…
	local flavour=$1 prefix cc cflags ldflags libs fuzzmain="" ldscript=""
	shift
	prefix=$(vendor/vendor.sh prefix "$(case $flavour in musl | vg) echo musl ;; *) echo host ;; esac)")
	local inc="-I$top/core -I$top -I$B -isystem $KEEL_CACHE/kinc"
	local lib
	for lib in mbedtls zstd libseccomp; do inc="$inc -isystem $prefix/$lib/include"; done
	libs="-L$prefix/mbedtls/lib -L$prefix/zstd/lib -L$prefix/libseccomp/lib -lmbedtls -lmbedx509 -lmbedcrypto -lzstd -lseccomp"
	local defs="-DKEEL_VERSION='\"$KEEL_VERSION\"' -DKEEL_MUSL_VERSION='\"$MUSL_VERSION\"' -DMBEDTLS_CONFIG_FILE='<keel_mbedtls_config.h>'"
	case $flavour in
	musl)
		cc="gcc -specs $B/musl-static-pie.specs"
		cflags="-std=c11 -D_GNU_SOURCE -Oz -malign-data=abi -g $WARN -fPIE -fstack-protector-strong -fstack-clash-protection -fcf-protection=full -fno-asynchronous-unwind-tables -fno-unwind-tables -ffunction-sections -fdata-sections -ffile-prefix-map=$top=. -ffile-prefix-map=$KEEL_CACHE=vendor"
		ldflags="-Wl,--gc-sections -Wl,-z,relro,-z,now -Wl,-z,noexecstack"
		ldscript=$top/core/init/pid1.ld # PID 1's functions together (tests/bench/pid1-text.sh)
		ldflags="$ldflags -Wl,-T,$ldscript"
		;;
	vg) # memcheck (tests/valgrind.sh): keel's objects and the musl libraries, linked dynamically
		# against musl so valgrind can replace malloc (it cannot in a static binary); seccomp
		# compiled out (KEEL_UNDER_VALGRIND, core/base/sandbox.c): valgrind cannot run under it.
		cc="musl-gcc"
		cflags="-std=c11 -D_GNU_SOURCE -O1 -g $WARN -fPIE -fno-omit-frame-pointer -ffunction-sections -fdata-sections -DKEEL_UNDER_VALGRIND -ffile-prefix-map=$top=. -isystem $KEEL_CACHE/kinc"
		ldflags="-pie -Wl,--gc-sections"
		;;
	host) # sanitizers: the unit tests and fuzz-corpus replays run here too
		cc=clang
		cflags="-std=c11 -D_GNU_SOURCE -O1 -g $WARN -Wno-unused-command-line-argument -fno-omit-frame-pointer -fsanitize=address,undefined -fno-sanitize-recover=all"
		ldflags="-fsanitize=address,undefined"
		fuzzmain=$top/tests/fuzz/driver.c
		;;
	fuzz)
		cc=clang
		cflags="-std=c11 -D_GNU_SOURCE -O1 -g $WARN -fno-omit-frame-pointer -fsanitize=fuzzer-no-link,address,undefined -fno-sanitize-recover=all"
		ldflags="-fsanitize=fuzzer,address,undefined"
		;;
	esac
	# KEEL_EXTRA_CFLAGS / KEEL_EXTRA_LDFLAGS: appended for experiments (tests/hardening.sh is shown
	# to fail with -fno-stack-protector or -Wl,-z,execstack this way); empty in every real build.
	cflags="$cflags ${KEEL_EXTRA_CFLAGS:-}" ldflags="$ldflags ${KEEL_EXTRA_LDFLAGS:-}"
	local O=$B/$flavour
	[ "$flavour" = musl ] && O=$B
	mkdir -p "$O"
	# A change of compiler or flags rebuilds everything of that flavour; so does a rebuilt vendored
	# library (its cache key, first line of its stamp: a new mbedtls config changes the headers
	# keel's objects were compiled against, a new libseccomp.a must be linked).
	local vkeys s
	for s in "$prefix"/*.stamp; do [ -f "$s" ] && vkeys="${vkeys:-}${vkeys:+ }$(basename "$s" .stamp)=$(head -1 "$s")"; done
	# (build/keel_rcrt1.o, the musl flavour's start code, is in it too; the vendor line stays last:
	# tests/applets/sbom.test reads it.)
	local sig="$cc $cflags $inc $defs $ldflags $libs"
	[ "$flavour" = musl ] && sig="$sig
start: $(sha256sum < "$B/keel_rcrt1.o")"
	sig="$sig
vendor: $prefix ${vkeys:-}"
	# (The musl flavour's O is build/ itself: its build/fuzz is the fuzz flavour's, with the corpora.)
	if [ "$(cat "$O/.flags" 2>/dev/null)" != "$sig" ]; then
		rm -rf "$O/obj" "$O/keel" "$O/keel.debug" "$O/unit"
		[ "$flavour" = musl ] || rm -rf "$O/fuzz"
		echo "$sig" > "$O/.flags"
	fi
	make -s -f "$B/keel.mk" -j"$jobs" TOP="$top" O="$O" CC="$cc" CFLAGS="$cflags $inc $defs" \
		LDFLAGS="$ldflags" LDSCRIPT="$ldscript" LIBS="$libs" FUZZMAIN="$fuzzmain" "${@/#/$O/}"
}

# The components keel links, one line each: name version licence debian-source debian-version
# artifact sha256. The vendored libraries come from vendor/pins (their upstream tarball and its
# pinned sha256); musl from the installed musl-dev (the .deb apt recorded for that version).
licence_of() {
	local l
	l=$(awk -v n="$1" '!/^#/ && $1 == n { sub(/^[^ ]+ +/, ""); print; exit }' vendor/licences)
	[ -n "$l" ] || die "vendor/licences has no line for $1"
	echo "$l"
}
# "FILE:sha256 …" of the patches vendor/vendor.sh applies to a component (vendor/patches/NAME-*).
patches_of() {
	local p out=
	for p in vendor/patches/"$1"-*.patch; do
		[ -e "$p" ] && out="$out${out:+ }${p##*/}:$(sha256sum "$p" | cut -d' ' -f1)"
	done
	echo "$out"
}
components() {
	local debver sha name ver srcpkg tarball
	debver=$(dpkg-query -W -f='${Version}' musl-dev)
	sha=$(apt-cache show "musl-dev=$debver" 2>/dev/null | awk '/^SHA256:/ { print $2; exit }')
	[ -n "$sha" ] || die "apt has no SHA256 for musl-dev $debver (apt-get update?)"
	printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' musl "$MUSL_VERSION" "$(licence_of musl)" \
		"$(dpkg-query -W -f='${source:Package}' musl-dev)" "$debver" "musl-dev_${debver}_amd64.deb" "$sha" ""
	while read -r name ver srcpkg debver tarball sha; do
		printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$name" "$ver" "$(licence_of "$name")" "$srcpkg" "$debver" "$tarball" "$sha" \
			"$(patches_of "$name")"
	done < <(grep -v '^[[:space:]]*\(#\|$\)' vendor/pins)
}

# build/gen/components.h: the same facts compiled in, for `keel --version --json`.
gen_components() {
	local out=$B/gen/components.h
	mkdir -p "$B/gen"
	components > "$B/gen/components.tsv"
	{
		echo "/* generated by build.sh from vendor/pins, vendor/licences and dpkg — do not edit */"
		echo "#define KEEL_LICENCE \"$(licence_of keel)\""
		echo "#define KEEL_COMPONENTS \\"
		# each sha256 as its 32 bytes ("\xNN"), not 64 hex digits: half the read-only data
		# (main.c prints them as hex again); patches: "FILE:<32 bytes> FILE:<32 bytes>"
		awk -F'\t' 'function raw(h,  i, r) { for (i = 1; i < length(h); i += 2) r = r "\\x" substr(h, i, 2); return r }
			{ n = split($8, p, " "); pt = ""; for (i = 1; i <= n; i++) { k = index(p[i], ":"); pt = pt (i > 1 ? " " : "") substr(p[i], 1, k) raw(substr(p[i], k + 1)) }
			  printf "\tC(\"%s\", \"%s\", \"%s\", \"%s\", \"%s\", \"%s\", \"%s\", \"%s\") \\\n", $1, $2, $3, $4, $5, $6, raw($7), pt }' \
			"$B/gen/components.tsv"
		echo
	} > "$out.tmp"
	if cmp -s "$out.tmp" "$out"; then rm "$out.tmp"; else mv "$out.tmp" "$out"; fi
}

# build/keel.spdx.json: SPDX 2.3 for the binary — keel and every component statically linked into
# it, with version, licence, the artifact it was built from and its sha256, and the Debian source
# package. Deterministic: the time is SOURCE_DATE_EPOCH, the namespace names the binary's sha256.
gen_spdx() {
	local bin=$B/keel out=$B/keel.spdx.json sha created name ver lic src debver art asha first=1
	sha=$(sha256sum "$bin" | cut -d' ' -f1)
	created=$(date -u -d "@$SOURCE_DATE_EPOCH" +%Y-%m-%dT%H:%M:%SZ)
	{
		printf '{\n  "spdxVersion": "SPDX-2.3",\n  "dataLicense": "CC0-1.0",\n  "SPDXID": "SPDXRef-DOCUMENT",\n'
		printf '  "name": "keel-%s",\n  "documentNamespace": "urn:keel:spdx:keel-%s-%s",\n' "$KEEL_VERSION" "$KEEL_VERSION" "$sha"
		printf '  "creationInfo": {"created": "%s", "creators": ["Tool: keel build.sh"]},\n' "$created"
		printf '  "documentDescribes": ["SPDXRef-keel"],\n  "packages": [\n'
		printf '    {"SPDXID": "SPDXRef-keel", "name": "keel", "versionInfo": "%s", "downloadLocation": "NOASSERTION",\n' "$KEEL_VERSION"
		printf '     "filesAnalyzed": false, "licenseConcluded": "%s", "licenseDeclared": "%s", "copyrightText": "NOASSERTION",\n' \
			"$(licence_of keel)" "$(licence_of keel)"
		printf '     "packageFileName": "keel", "checksums": [{"algorithm": "SHA256", "checksumValue": "%s"}],\n' "$sha"
		printf '     "primaryPackagePurpose": "APPLICATION"}'
		while IFS=$'\t' read -r name ver lic src debver art asha patches; do
			printf ',\n    {"SPDXID": "SPDXRef-%s", "name": "%s", "versionInfo": "%s", "downloadLocation": "NOASSERTION",\n' "$name" "$name" "$ver"
			printf '     "filesAnalyzed": false, "licenseConcluded": "%s", "licenseDeclared": "%s", "copyrightText": "NOASSERTION",\n' "$lic" "$lic"
			printf '     "packageFileName": "%s", "checksums": [{"algorithm": "SHA256", "checksumValue": "%s"}],\n' "$art" "$asha"
			printf '     "sourceInfo": "Debian source package %s %s%s", "primaryPackagePurpose": "LIBRARY",\n' "$src" "$debver" \
				"${patches:+; patched by keel with vendor/patches/ $patches}"
			printf '     "externalRefs": [{"referenceCategory": "PACKAGE-MANAGER", "referenceType": "purl", "referenceLocator": "pkg:deb/debian/%s@%s?arch=source"}]}' "$src" "$debver"
		done < "$B/gen/components.tsv"
		printf '\n  ],\n  "relationships": [\n'
		printf '    {"spdxElementId": "SPDXRef-DOCUMENT", "relationshipType": "DESCRIBES", "relatedSpdxElement": "SPDXRef-keel"}'
		while IFS=$'\t' read -r name _; do
			printf ',\n    {"spdxElementId": "SPDXRef-keel", "relationshipType": "STATIC_LINK", "relatedSpdxElement": "SPDXRef-%s"}' "$name"
		done < "$B/gen/components.tsv"
		printf '\n  ]\n}\n'
	} > "$out.tmp"
	mv "$out.tmp" "$out"
}

build() {
	ensure_pkgs "${PKGS_BUILD[@]}"
	MUSL_VERSION=$(dpkg-query -W -f='${Version}' musl-dev | sed 's/-[^-]*$//')
	MUSL_CC=musl-gcc vendor/vendor.sh build musl
	musl_specs
	gen_applets
	gen_components
	write_mk
	run_make musl keel
	gen_spdx
	say "built build/keel ($(stat -c %s "$B/keel") bytes stripped; build/keel.debug unstripped)"
}

build_host() {
	ensure_pkgs "${PKGS_BUILD[@]}" clang libclang-rt-14-dev
	MUSL_VERSION=$(dpkg-query -W -f='${Version}' musl-dev | sed 's/-[^-]*$//')
	HOST_CC=clang vendor/vendor.sh build host
	run_make host unit $(fuzz_targets)
}

# fuzz/NAME for every harness tests/fuzz/NAME.c (driver.c is the corpus-replay main).
fuzz_targets() {
	local f
	for f in tests/fuzz/*.c; do
		[ -e "$f" ] && [ "$f" != tests/fuzz/driver.c ] && f=${f##*/} && echo "fuzz/${f%.c}"
	done
	return 0
}

cmd_test() {
	ensure_pkgs "${PKGS_BUILD[@]}" "${PKGS_TEST[@]}"
	# npm (tests/compat/tuf.sh installs the pinned tuf-js into build/npm): Debian's nodejs comes
	# without it, other nodejs builds carry their own (and conflict with Debian's npm package).
	command -v npm >/dev/null || ensure_pkgs npm
	build
	run_make musl unit
	build_host
	build_vg
	exec tests/run.sh "$@"
}

# build/vg/keel: the memcheck build (see run_make vg); never installed anywhere.
build_vg() {
	ensure_pkgs valgrind
	run_make vg keel.debug
	ln -sf keel.debug "$B/vg/keel"
}

cmd_fuzz() { # [SECONDS] [NAME…]
	local secs=${KEEL_FUZZ_SECONDS:-60} f name rc=0 targets
	case ${1:-} in '' | *[!0-9]*) ;; *) secs=$1; shift ;; esac
	targets=$(fuzz_targets)
	if [ $# -gt 0 ]; then
		for name; do grep -qx "fuzz/$name" <<<"$targets" || die "fuzz: no harness tests/fuzz/$name.c"; done
		targets=$(printf 'fuzz/%s\n' "$@")
	fi
	ensure_pkgs "${PKGS_BUILD[@]}" clang libclang-rt-14-dev
	build
	HOST_CC=clang vendor/vendor.sh build host
	run_make fuzz $targets
	for f in $targets; do
		f=$B/fuzz/$f name=${f##*/}
		mkdir -p "$B/fuzz/corpus/$name"
		say "fuzzing $name for ${secs}s (seeds: tests/fuzz/corpus/$name)"
		"$f" -max_total_time="$secs" -print_final_stats=1 -artifact_prefix="$B/fuzz/crash-$name-" \
			"$B/fuzz/corpus/$name" "tests/fuzz/corpus/$name" 2>"$B/fuzz/$name.log" ||
			{ rc=1; tail -30 "$B/fuzz/$name.log" >&2; say "fuzz $name: FAILED (log: build/fuzz/$name.log)"; }
		grep -h '^stat::number_of_executed_units' "$B/fuzz/$name.log" | sed "s/^/$name: /" >&2 || true
	done
	return $rc
}

cmd_demo() {
	ensure_pkgs "${PKGS_BUILD[@]}" "${PKGS_DEMO[@]}"
	build
	exec tests/demo.sh
}

cmd_bench() {
	ensure_pkgs "${PKGS_BUILD[@]}" "${PKGS_TEST[@]}"
	build
	exec tests/bench/run.sh
}

case ${1:-} in
"") build ;;
test) shift; cmd_test "$@" ;;
demo) cmd_demo ;;
bench) cmd_bench ;;
repro) ensure_pkgs "${PKGS_BUILD[@]}" "${PKGS_DEMO[@]}"; exec tests/repro.sh ;;
fuzz) shift; cmd_fuzz "$@" ;;
clean)
	rm -rf "$B"
	[ "${2:-}" = --all ] && rm -rf "$KEEL_CACHE"
	;;
*) echo "usage: ./build.sh [test|demo|bench|repro|fuzz|clean [--all]]" >&2; exit 2 ;;
esac
