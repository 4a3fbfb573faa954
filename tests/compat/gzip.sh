#!/usr/bin/env bash
# tests/compat/gzip.sh — `keel oci inflate` against `gzip -dc` (GNU gzip) and python's zlib:
# byte-identical output for every level 1-9 on text, binaries and random data (stored blocks),
# the empty file, concatenated members, every optional header field (FEXTRA, FNAME, FCOMMENT,
# FHCRC), zlib and raw streams, other encoders (busybox gzip, zlib levels 0-9 and its
# strategies), and a 1 GiB file (KEEL_GZIP_BIG_MIB, default 1024) against gzip -dc; corrupt inputs (bad CRC, bad
# ISIZE, truncated, trailing garbage, a flipped bit, a bomb past --max-bytes) fail with exit 1
# and the byte offset.
set -u
: "${KEEL:?}"
. "$(dirname "$(readlink -f "$0")")/lib.sh"
compat_init gzip
need gzip python3 busybox cmp || exit 0
I="$KEEL oci inflate"

same() { # NAME FILE.gz ORIGINAL [keel options]
	local name=$1 gz=$2 orig=$3
	shift 3
	if ! $I "$@" "$gz" > got 2>err; then
		fail "$name: keel failed: $(head -c 300 err)"
	elif ! cmp -s got "$orig"; then
		fail "$name: output differs from the original"
	else
		pass "$name"
	fi
}

# corpora: text, binaries, random (incompressible: stored blocks), runs, empty, one byte
cat "$KEEL_SRC"/core/*/*.c "$KEEL_SRC"/README.md > text
for f in /usr/bin/gzip /usr/bin/python3 "$KEEL"; do head -c 3000000 "$f"; done > bin
head -c 1500000 /dev/urandom > random
{ head -c 200000 /dev/zero; printf 'ab%.0s' $(seq 1000); head -c 70000 /dev/urandom; head -c 300000 /dev/zero; } > runs
: > empty
printf x > one
for c in text bin random runs empty one; do
	for l in 1 2 3 4 5 6 7 8 9; do
		gzip -$l -c $c > $c.$l.gz
		gzip -dc $c.$l.gz > ref || { fail "gzip -dc $c.$l.gz"; continue; }
		same "$c gzip -$l" $c.$l.gz ref
	done
done
busybox gzip -c text > text.bb.gz && same "text busybox gzip" text.bb.gz text

# multi-member: concatenated members, an empty member among them; as gzip -dc reads them
cat text.9.gz empty.6.gz random.1.gz one.5.gz > multi.gz
gzip -dc multi.gz > multi.ref
same "four members (one empty), as gzip -dc" multi.gz multi.ref
cmp -s multi.ref <(cat text random one) && pass "gzip -dc agrees on the members" || fail "gzip -dc multi-member reference"

# zlib, raw and header fields through python's zlib (stored blocks at level 0, every strategy)
python3 - <<'PY'
import zlib, struct
data = open("text", "rb").read()
rnd = open("random", "rb").read()
def deflate(d, level=9, wbits=-15, strategy=zlib.Z_DEFAULT_STRATEGY):
    c = zlib.compressobj(level, zlib.DEFLATED, wbits, 9, strategy)
    return c.compress(d) + c.flush()
for lvl in range(10):
    open(f"z{lvl}.zlib", "wb").write(deflate(data, lvl, 15))
    open(f"r{lvl}.raw", "wb").write(deflate(data, lvl, -15))
for name, s in (("filtered", zlib.Z_FILTERED), ("huffman", zlib.Z_HUFFMAN_ONLY), ("rle", zlib.Z_RLE), ("fixed", zlib.Z_FIXED)):
    open(f"s-{name}.raw", "wb").write(deflate(data, 6, -15, s))
# stored blocks with many flushes, and small windows
c = zlib.compressobj(0, zlib.DEFLATED, -15)
out = b"".join(c.compress(data[i:i + 1000]) + c.flush(zlib.Z_FULL_FLUSH) for i in range(0, 200000, 1000)) + c.flush()
open("flushes.raw", "wb").write(out)
open("w9.raw", "wb").write(deflate(data, 9, -9))
# a gzip header with every optional field: FHCRC|FEXTRA|FNAME|FCOMMENT
hdr = bytes([0x1f, 0x8b, 8, 2 | 4 | 8 | 16]) + struct.pack("<I", 1234567890) + bytes([2, 3])
hdr += struct.pack("<H", 6) + b"AB\x02\x00xy" + b"name.txt\x00" + b"a comment\x00"
hdr += struct.pack("<H", zlib.crc32(hdr) & 0xffff)
tail = struct.pack("<II", zlib.crc32(data), len(data) & 0xffffffff)
open("fields.gz", "wb").write(hdr + deflate(data) + tail)
bad = bytearray(hdr); bad[-1] ^= 1
open("bad-fhcrc.gz", "wb").write(bytes(bad) + deflate(data) + tail)
reserved = bytearray(hdr[:-2]); reserved[3] = 0x20
open("reserved.gz", "wb").write(bytes(reserved) + deflate(data) + tail)
open("fdict.zlib", "wb").write(bytes([0x78, 0xbb]) + b"\0\0\0\1" + deflate(b"x") + b"\0\0\0\0")
PY
for l in 0 1 2 3 4 5 6 7 8 9; do
	same "zlib level $l (python zlib)" z$l.zlib text --zlib
	same "raw deflate level $l (python zlib)" r$l.raw text --raw
done
for s in filtered huffman rle fixed; do same "raw deflate, strategy $s" s-$s.raw text --raw; done
same "stored blocks with full flushes" flushes.raw <(head -c 200000 text) --raw
same "512-byte window" w9.raw text --raw
gzip -dc fields.gz > fields.ref 2>/dev/null && same "header with FEXTRA, FNAME, FCOMMENT, FHCRC (as gzip -dc)" fields.gz fields.ref ||
	fail "gzip -dc refused fields.gz"

# corrupt inputs: exit 1, one line naming the offset
sz=$(stat -c %s text.9.gz)
cp text.9.gz badcrc.gz; flip badcrc.gz $((sz - 8)) 1
expect "bad CRC-32" 1 "CRC-32 does not match the data (offset $((sz - 8)))" -- $I badcrc.gz
cp text.9.gz badlen.gz; flip badlen.gz $((sz - 2)) 1
expect "bad ISIZE" 1 "length (ISIZE) does not match the data (offset $((sz - 4)))" -- $I badlen.gz
head -c $((sz - 4)) text.9.gz > trunc.gz
expect "truncated in the trailer" 1 "truncated trailer (offset $((sz - 4)))" -- $I trunc.gz
head -c $((sz - 10)) text.9.gz > trunc2.gz
expect "truncated in the last block" 1 "truncated block (offset" -- $I trunc2.gz
head -c $((sz / 2)) text.9.gz > half.gz
expect "truncated in the data" 1 "truncated" -- $I half.gz
head -c 5 text.9.gz > hdr.gz
expect "truncated in the header" 1 "truncated header (offset 5)" -- $I hdr.gz
{ cat text.9.gz; printf 'junk'; } > trailing.gz
expect "bytes after the last member" 1 "data after the last member (offset $sz)" -- $I trailing.gz
cp text.9.gz flipped.gz; flip flipped.gz 5000 16
expect "a flipped bit in the data" 1 "(offset" -- $I flipped.gz
expect "header CRC (FHCRC) wrong" 1 "header CRC does not match" -- $I bad-fhcrc.gz
expect "reserved flag bits" 1 "reserved header flags set (offset 3)" -- $I reserved.gz
expect "zlib preset dictionary" 1 "preset dictionary not supported" -- $I --zlib fdict.zlib
expect "not gzip at all" 1 "not in gzip format (offset 0)" -- $I text
cp z9.zlib badadler.zlib; flip badadler.zlib $(($(stat -c %s z9.zlib) - 1)) 1
expect "zlib Adler-32 wrong" 1 "Adler-32 does not match" -- $I --zlib badadler.zlib
head -c 100000000 /dev/zero | gzip -9 > bomb.gz
expect "bomb: 100 MB of zeros past --max-bytes 1048576" 1 "larger than the limit of 1048576 bytes (offset " -- $I --max-bytes 1048576 bomb.gz
[ "$(stat -c %s out)" = 1048576 ] || [ "$(stat -c %s out)" -lt 1048576 ] && pass "bomb: at most the cap was written" ||
	fail "bomb: $(stat -c %s out) bytes written past the cap"
expect "bomb: exactly at the cap is fine" 0 "" -- $I --max-bytes 100000000 bomb.gz

# a large file (the issue's 1 GiB): mixed text and random, every 1 MiB; keel's output against gzip -dc's,
# both streamed (no second GiB on disk)
big=${KEEL_GZIP_BIG_MIB:-1024}
python3 - "$big" <<'PY'
import os, sys
text = open("text", "rb").read()
with open("big", "wb") as f:
    for i in range(int(sys.argv[1])):
        f.write(text[(i * 7919) % len(text):][:786432].ljust(786432, b"x") if i % 3 else os.urandom(1 << 20)[:786432])
        f.write(os.urandom(262144))
PY
gzip -1 -c big > big.gz
rm -f big
if cmp -s <($I big.gz) <(gzip -dc big.gz); then
	n=$(gzip -dc big.gz | wc -c)
	[ "$n" = $((big << 20)) ] && pass "$big x 1 MiB mixed file (gzip -1): keel = gzip -dc ($n bytes)" ||
		fail "$big MiB file: gzip -dc gave $n bytes"
else
	fail "$big MiB file: keel's output differs from gzip -dc's"
fi
rm -f big.gz
