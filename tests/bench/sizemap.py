#!/usr/bin/env python3
"""sizemap.py MAP — bytes each component puts into keel, read from the GNU ld link map.

Counts the input sections that end up in the loaded image (.text*, .rodata*, .data*, .init_array,
.eh_frame, …; not .bss, which takes no file space, nor debug sections) and attributes each to
keel (its own objects), mbedtls, zstd, libseccomp, musl (libc.a, crt) or libgcc. Prints
"component bytes" lines. Used by tests/bench/size.bench.sh."""
import re
import sys

LOADED = ('.text', '.rodata', '.data', '.init_array', '.fini_array', '.eh_frame', '.gcc_except',
          '.tdata', '.got', '.init', '.fini')


def component(path):
    if '/mbedtls/' in path or 'libmbed' in path:
        return 'mbedtls'
    if '/zstd/' in path or 'libzstd' in path:
        return 'zstd'
    if 'libseccomp' in path:  # not keel's own seccomp_profile.o
        return 'libseccomp'
    if 'libgcc' in path or '/gcc/' in path:
        return 'libgcc'
    if 'musl' in path or 'libc.a' in path or re.search(r'crt[1in]?\.o|crt[be]', path):
        return 'musl'
    return 'keel'


def main():
    lines = open(sys.argv[1], encoding='utf-8', errors='replace').read().split('\n')
    try:
        start = lines.index('Linker script and memory map')
    except ValueError:
        sys.exit('sizemap: %s is not a GNU ld map' % sys.argv[1])
    sizes = {}
    pending = None
    for line in lines[start:]:
        if line.startswith('/DISCARD/'):
            break
        m = re.match(r'^ (\.\S+)\s*$', line)
        if m:
            pending = m.group(1)
            continue
        m = re.match(r'^ (\.\S+)?\s+0x[0-9a-f]+\s+0x([0-9a-f]+)\s+(\S.*)$', line)
        if not m:
            pending = None
            continue
        name = m.group(1) or pending
        pending = None
        if not name or not name.startswith(LOADED):
            continue
        c = component(m.group(3))
        sizes[c] = sizes.get(c, 0) + int(m.group(2), 16)
    for c in ('keel', 'mbedtls', 'libseccomp', 'zstd', 'musl', 'libgcc'):
        print(c, sizes.get(c, 0))


main()
