#!/usr/bin/env python3
"""tests/diag-manifest.py DIR [COUNT] — a `keel diag bundle` extracted into DIR (tar --zstd -xf):
DIR/keel-diag/manifest.json lists at least one item (exactly COUNT when given), each with the
manifest's fields, and each is a regular file in DIR with the size and sha256 listed; the tree
holds nothing else but the manifest. Exit 0, or 1 with the reason on stderr.
Used by tests/applets/diag.test (a bundle of a --root tree) and tests/vm/diag.sh (the VM host's).
"""
import hashlib, json, os, sys

FIELDS = {'name', 'collector', 'size', 'sha256', 'deadline_ms', 'elapsed_ms', 'truncated', 'exit', 'error'}


def check(top, count):
    m = json.load(open(os.path.join(top, 'keel-diag/manifest.json')))
    items = m['items']
    assert isinstance(items, list) and items, 'the manifest lists no item'
    assert count is None or len(items) == count, f'{len(items)} items, want {count}'
    names = set()
    for i in items:
        assert set(i) == FIELDS, f'{i.get("name")}: fields {sorted(set(i) ^ FIELDS)}'
        n = i['name']
        assert n.startswith('keel-diag/') and '..' not in n.split('/') and n not in names, f'{n}: a bad or repeated name'
        names.add(n)
        p = os.path.join(top, n)
        assert os.path.isfile(p) and not os.path.islink(p), f'{n}: not in the archive'
        d = open(p, 'rb').read()
        assert len(d) == i['size'], f'{n}: {len(d)} bytes, the manifest says {i["size"]}'
        assert hashlib.sha256(d).hexdigest() == i['sha256'], f'{n}: sha256 differs from the manifest'
    extra = sorted(os.path.relpath(os.path.join(d, f), top) for d, _, fs in os.walk(top) for f in fs)
    extra = [f for f in extra if f not in names and f != 'keel-diag/manifest.json']
    assert not extra, f'in the archive but not in the manifest: {extra[:5]}'
    return len(items)


if __name__ == '__main__':
    if len(sys.argv) not in (2, 3):
        sys.exit('usage: tests/diag-manifest.py DIR [COUNT]')
    try:
        n = check(sys.argv[1], int(sys.argv[2]) if len(sys.argv) == 3 else None)
    except (AssertionError, OSError, ValueError, KeyError, TypeError) as e:
        sys.exit(f'diag-manifest: {sys.argv[1]}: {e}')
    print(f'{n} items, each with its size and sha256')
