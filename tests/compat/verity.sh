#!/usr/bin/env bash
# tests/compat/verity.sh — keel verify verity against cryptsetup's veritysetup on the same inputs:
# identical reports and root hashes, cmp-identical hash images, each accepts the other's tree,
# both catch one flipped bit. Inputs: 1 block, 8 MiB of zeros (with cryptsetup's own known root
# hashes), 3 MiB + a partial block of random data in every block-size combination, format 0/1,
# sha256/sha512, with/without superblock, hash offset in the same file, and 1 GiB of random data
# + a partial block (one configuration). Works in /dev/shm (tmpfs) when it can.
set -u
: "${KEEL:?}"
K="$KEEL verify verity"
. "$(dirname "$(readlink -f "$0")")/lib.sh"
shm=/dev/shm
[ "$(df --output=avail -k $shm 2>/dev/null | tail -1)" -gt $((3 * 1024 * 1024)) ] 2>/dev/null || shm=
compat_init verity $shm
need veritysetup || exit 0
SALT=e48da609055204e89ae53b655ca2216dd983cf3cb829f34f63a297d106d53e2d
UUID=a60c98d2-ae9b-4865-bfcb-b4e3ace11033

# compare NAME DATA [OPTIONS…]: separate hash files.
compare() {
	local name=$1 data=$2 vout kout vr kr ok=1
	shift 2
	rm -f k.h v.h
	if ! vout=$(veritysetup format "$data" v.h "$@" 2>err); then fail "$name: veritysetup format: $(cat err)"; return; fi
	if ! kout=$($K format "$data" k.h "$@" 2>err); then fail "$name: keel format: $(cat err)"; return; fi
	vr=$(awk '/^Root hash:/ { print $3 }' <<<"$vout")
	kr=$(awk '/^Root hash:/ { print $3 }' <<<"$kout")
	[ -n "$vr" ] && [ "$vr" = "$kr" ] || { fail "$name: root hash keel $kr, veritysetup $vr"; ok=0; }
	[ "${vout//v.h/X}" = "${kout//k.h/X}" ] || { fail "$name: reports differ"; diff <(echo "$vout") <(echo "$kout") | head -5; ok=0; }
	cmp -s k.h v.h || { fail "$name: hash images differ ($(cmp k.h v.h 2>&1 | head -1))"; ok=0; }
	veritysetup verify "$data" k.h "$kr" "$@" >/dev/null 2>&1 || { fail "$name: veritysetup verify rejects keel's tree"; ok=0; }
	$K verify "$data" v.h "$vr" "$@" || { fail "$name: keel rejects veritysetup's tree"; ok=0; }
	[ "$($K root-hash "$data" v.h "$@")" = "$vr" ] || { fail "$name: keel root-hash differs"; ok=0; }
	case " $* " in
	*" --no-superblock "*) ;;
	*) [ "$(veritysetup dump v.h "$@" 2>&1)" = "$($K dump v.h "$@" 2>&1)" ] || { fail "$name: dump differs"; ok=0; } ;;
	esac
	[ $ok = 1 ] && pass "$name"
}

# flipped NAME DATA HASH ROOT OFFSET WHERE [OPTIONS…]: one bit flipped in DATA (WHERE=data) or in
# HASH (WHERE=hash) at OFFSET: both tools must refuse, keel with exit 1.
flipped() {
	local name=$1 data=$2 hash=$3 root=$4 off=$5 where=$6 rc
	shift 6
	cp "$data" fd; cp "$hash" fh
	if [ "$where" = data ]; then flip fd "$off"; else flip fh "$off"; fi
	veritysetup verify fd fh "$root" "$@" >/dev/null 2>&1 && { fail "$name: veritysetup missed the flipped bit"; return; }
	$K verify fd fh "$root" "$@" 2>/dev/null
	rc=$?
	[ $rc = 1 ] && pass "$name" || fail "$name: keel exit $rc, want 1"
}

# --- one block
head -c 4096 /dev/urandom > one
compare "1 block" one --salt=$SALT --uuid=$UUID
compare "1 block, 512-byte blocks" one --data-blocks=1 --data-block-size=512 --hash-block-size=512 --salt=$SALT --uuid=$UUID
compare "1 block, no superblock, no salt" one --no-superblock --salt=-

# --- 8 MiB of zeros: cryptsetup's tests/verity-compat-test root hashes (block size, root, salt, format)
head -c 8388608 /dev/zero > zeros
while read -r bs root salt fmt; do
	rm -f k.h
	got=$($K format zeros k.h --data-block-size="$bs" --hash-block-size="$bs" --salt="$salt" --format="$fmt" --uuid=$UUID |
		awk '/^Root hash:/ { print $3 }')
	[ "$got" = "$root" ] && pass "8 MiB zeros known root, block $bs format $fmt salt ${salt:0:6}" ||
		fail "8 MiB zeros known root, block $bs format $fmt: got $got want $root"
done <<EOF
512 9de18652fe74edfb9b805aaed72ae2aa48f94333f1ba5c452ac33b1c39325174 $SALT 1
1024 54d92778750495d1f80832b486ebd007617d746271511bbf0e295e143da2b3df $SALT 1
4096 e522df0f97da4febb882ac40f30b37dc0b444bf6df418929463fa25280f09d5c $SALT 1
4096 cbbf4ebd004ef65e29b935bb635a39cf754d677f3fa10b0126da725bbdf10f7d $SALT 0
4096 ef29c902d87350f1da4bfa536e16cebc162a909bf89abe448b81ec500d4fb9bf - 1
EOF
compare "8 MiB zeros" zeros --salt=$SALT --uuid=$UUID
compare "8 MiB zeros sha512 format 0" zeros --hash=sha512 --format=0 --salt=$SALT --uuid=$UUID

# --- 3 MiB + 1234 bytes of random data: every block-size combination (format 1, sha256) …
head -c $((3 * 1048576 + 1234)) /dev/urandom > rand
for dbs in 512 1024 2048 4096 8192 16384 32768 65536; do
	for hbs in 512 1024 2048 4096 8192 16384 32768 65536; do
		compare "random dbs $dbs hbs $hbs" rand --data-block-size=$dbs --hash-block-size=$hbs --salt=$SALT --uuid=$UUID
	done
done
# … and formats, algorithms, salts, superblock or not, on a few of them
for bs in "512 512" "4096 4096" "65536 512" "1024 65536"; do
	set -- $bs
	for fmt in 0 1; do
		for alg in sha256 sha512; do
			compare "random $1/$2 format $fmt $alg" rand --data-block-size=$1 --hash-block-size=$2 --format=$fmt --hash=$alg --salt=$SALT --uuid=$UUID
			compare "random $1/$2 format $fmt $alg no superblock" rand --data-block-size=$1 --hash-block-size=$2 --format=$fmt --hash=$alg --salt=ab --no-superblock
		done
	done
done
compare "random, no salt" rand --salt=- --uuid=$UUID
compare "random, 256-byte salt" rand --salt="$(printf '%0512x' 7)" --uuid=$UUID
compare "random, --data-blocks 100" rand --data-blocks=100 --salt=$SALT --uuid=$UUID

# --- hash area in the data file (--hash-offset)
for spec in "4096 4096 3149824" "512 1024 3146752" "4096 4096 4194304"; do
	set -- $spec
	cp rand kd; cp rand vd
	opts=(--data-block-size=$1 --hash-block-size=$2 --hash-offset=$3 --data-blocks=$(( (3 * 1048576) / $1 )) --salt=$SALT --uuid=$UUID)
	vr=$(veritysetup format vd vd "${opts[@]}" | awk '/^Root hash:/ { print $3 }')
	kr=$($K format kd kd "${opts[@]}" | awk '/^Root hash:/ { print $3 }')
	if [ -n "$vr" ] && [ "$vr" = "$kr" ] && cmp -s kd vd && veritysetup verify kd kd "$kr" "${opts[@]}" >/dev/null 2>&1 &&
		$K verify vd vd "$vr" "${opts[@]}" && [ "$(veritysetup dump vd "${opts[@]}")" = "$($K dump vd "${opts[@]}")" ]; then
		pass "hash offset $3 (blocks $1/$2)"
	else
		fail "hash offset $3 (blocks $1/$2): roots keel $kr veritysetup $vr"
	fi
	vr=$(veritysetup format vd vd "${opts[@]}" --no-superblock | awk '/^Root hash:/ { print $3 }')
	kr=$($K format kd kd "${opts[@]}" --no-superblock | awk '/^Root hash:/ { print $3 }')
	[ -n "$vr" ] && [ "$vr" = "$kr" ] && cmp -s kd vd && pass "hash offset $3 no superblock" ||
		fail "hash offset $3 no superblock: roots keel $kr veritysetup $vr"
done

# --- one flipped bit, in data and in each part of the hash image
rm -f v.h
root=$(veritysetup format rand v.h --salt=$SALT --uuid=$UUID | awk '/^Root hash:/ { print $3 }')
flipped "flipped data bit caught" rand v.h "$root" 1000000 data
flipped "flipped bit in the last data block caught" rand v.h "$root" $((3 * 1048576 - 1)) data
flipped "flipped leaf hash bit caught" rand v.h "$root" 9000 hash
flipped "flipped top hash bit caught" rand v.h "$root" 4100 hash
flipped "flipped padding bit caught" rand v.h "$root" 8000 hash
flipped "flipped superblock salt bit caught" rand v.h "$root" 100 hash
cp v.h short.h && truncate -s -4096 short.h
$K verify rand short.h "$root" 2>/dev/null; rc=$?
[ $rc = 1 ] && pass "truncated hash file: exit 1" || fail "truncated hash file: exit $rc"

# --- 1 GiB of random data + a partial trailing block: one configuration, both directions
head -c $((1073741824 + 1000)) /dev/urandom > big
compare "1 GiB random + partial block" big --salt=$SALT --uuid=$UUID
if [ -s v.h ]; then
	flipped "1 GiB: flipped data bit caught" big v.h "$($K root-hash big v.h)" 777777777 data
fi
rm -f big fd fh
