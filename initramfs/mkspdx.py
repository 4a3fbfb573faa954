#!/usr/bin/python3
# initramfs/mkspdx.py — the image SBOM: an SPDX 2.3 JSON document for a keel disk image made by
# mkimage.sh, read back from the image itself (not from what the build meant to put there).
#
#   initramfs/mkspdx.py --image DISK.img --keel BIN --out FILE.spdx.json [options]
#
# What it reads: the GPT (sgdisk), each /usr slot (USR-A, USR-B: the erofs file system, extracted
# with fsck.erofs; the version from its slot manifest) and, when the ESP is a FAT file system, its
# files (mtools) and each UKI's PE sections.
# Every regular file and symbolic link of every slot must be attributed, or nothing is written:
#   keel       /usr/bin/keel is --keel BIN (sha256), /usr/bin/init, /usr/sbin/init,
#              /usr/bin/systemctl and /usr/bin/journalctl are mkimage's links to it, /usr/lib/keel/version holds the slot manifest's version; any other
#              file whose content is a file of keel's source at git HEAD (--top: config/policy,
#              config/units, config/keys, test keys) is that file (a tracked file changed in the
#              work tree counts too, marked "uncommitted")
#   Debian     the file at the same path on this machine (/usr merged: /lib = /usr/lib …; symbolic
#              links followed) belongs to an installed package, and the image's file has the MD5
#              that package's md5sums (dpkg's copy of the .deb's control member) lists for it; a
#              symbolic link: the package lists the path and the link has the same target. When
#              apt's cache holds the package's .deb (its SHA256 the one apt's index gives), the
#              md5sums inside it must be the same as dpkg's.
# A file that is neither (added to or modified in the tree after the packages were unpacked) is
# printed as "mkspdx: unattributed: SLOT PATH (sha256 …)" and the exit status is 1.
# The ESP: systemd-boot (the package's file, or a copy signed with sbsign whose PE sections are
# the package's), loader/loader.conf (mkesp.sh's), and each UKI in EFI/Linux: its .linux section
# must be --kernel (a linux-image package's file), .initrd --initrd (keel's initramfs), every
# section of --stub (systemd-boot-efi's file) must be in it unchanged; .osrel and .cmdline are
# keel's. The initramfs file by file (newc cpio): keel, its applet links, mkinitramfs.sh's files,
# keys from keel's source, kernel modules by the linux-image package's md5sums (at /lib/modules),
# depmod's index; anything else is unattributed too.
# Relationships: DESCRIBES (document -> image), CONTAINS (image -> partitions, partition, package
# or the initramfs -> file), GENERATED_FROM (UKI -> its parts, signed systemd-boot -> the
# package's), keel DESCRIBED_BY the binary's own SBOM (keel.spdx.json beside --keel, as an
# external document, when its keel package has --keel's sha256).
# Checksums: SHA1 (SPDX requires it), SHA256 and MD5 of each file; of a symbolic link, of its
# target string. Deterministic: created is SOURCE_DATE_EPOCH, the namespace names the sha256 of
# the document's own content, everything sorted. Exit: 0 written, 1 unattributed files,
# 2 usage, 3 failure (a tool, an unreadable image, a dpkg database that disagrees with a .deb).
import argparse
import datetime
import glob
import hashlib
import json
import os
import re
import shutil
import stat
import struct
import subprocess
import sys
import tempfile

USR_TYPE = "5dfbf5f4-2848-4bac-aa5e-0d9a20b745a6"
ESP_TYPE = "c12a7328-f81f-11d2-ba4b-00a0c93ec93b"
SLOT_AREA = 65536
DPKG_INFO = "/var/lib/dpkg/info"
APT_ARCHIVES = "/var/cache/apt/archives"
LOADER_CONF = b"timeout 0\neditor no\nauto-entries no\nauto-firmware no\n"  # mkesp.sh writes it


class Failure(Exception):
    pass


def run(args, **kw):
    try:
        return subprocess.run(args, check=True, stdout=subprocess.PIPE, stderr=subprocess.PIPE, **kw).stdout
    except FileNotFoundError:
        raise Failure(f"{args[0]}: not found")
    except subprocess.CalledProcessError as e:
        raise Failure(f"{' '.join(args[:3])}…: exit {e.returncode}: {e.stderr.decode(errors='replace').strip()[:200]}")


def digests(data):
    return {"SHA1": hashlib.sha1(data).hexdigest(), "SHA256": hashlib.sha256(data).hexdigest(),
            "MD5": hashlib.md5(data).hexdigest()}


def sha256_file(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for b in iter(lambda: f.read(1 << 20), b""):
            h.update(b)
    return h.hexdigest()


def read(path):
    with open(path, "rb") as f:
        return f.read()


def canon(path):
    """The /usr-merged form of an absolute path: /lib/x, /bin/x … are /usr/lib/x, /usr/bin/x."""
    if path.startswith("/usr/") and "/." not in path and "//" not in path:
        return path
    path = os.path.normpath(path)
    for d in ("/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32"):
        if path == d or path.startswith(d + "/"):
            return "/usr" + path
    return path


def spdx_id(s):
    return re.sub(r"[^A-Za-z0-9.-]", "-", s)


# ---- dpkg: which installed package ships a path, and that file's MD5 --------------------------------
class Dpkg:
    def __init__(self):
        self.owners = {}  # canonical path -> sorted package keys (name or name:arch)
        self.md5 = {}  # (package key, canonical path) -> md5
        self.path = {}  # (package key, canonical path) -> the path as the package lists it
        for lst in sorted(glob.glob(DPKG_INFO + "/*.list")):
            key = os.path.basename(lst)[:-5]
            with open(lst, encoding="utf-8", errors="surrogateescape") as f:
                for line in f:
                    self.owners.setdefault(canon(line.rstrip("\n")), []).append(key)
            try:
                with open(f"{DPKG_INFO}/{key}.md5sums", encoding="utf-8", errors="surrogateescape") as f:
                    for line in f:
                        m, _, p = line.rstrip("\n").partition("  ")
                        self.md5[(key, canon("/" + p))] = m
                        self.path[(key, canon("/" + p))] = "/" + p
            except FileNotFoundError:
                pass
        self.used = {}

    def attribute_file(self, host_path, md5):
        """(package key, dpkg's path) of the installed file at host_path whose md5sums entry is md5."""
        if not os.path.lexists(host_path):
            return None
        real = canon(os.path.realpath(host_path))
        for key in self.owners.get(real, []):
            if self.md5.get((key, real)) == md5:
                return key, self.path[(key, real)]
        return None

    def attribute_link(self, host_path, target):
        try:
            if os.readlink(host_path) != target:
                return None
        except OSError:
            return None
        keys = self.owners.get(canon(host_path), [])
        return (keys[0], canon(host_path)) if keys else None

    def package(self, key):
        """Name, version, architecture, source of a package, and the .deb apt knows it by."""
        if key in self.used:
            return self.used[key]
        out = run(["dpkg-query", "-W", "-f=${Package}\t${Version}\t${Architecture}\t${source:Package}\t${source:Version}\t${Status}\n", key])
        name, version, arch, src, srcver, status = out.decode().rstrip("\n").split("\t")
        if status != "install ok installed":
            raise Failure(f"dpkg: {key}: {status}")
        p = {"key": key, "name": name, "version": version, "arch": arch, "source": src, "source_version": srcver,
             "deb": f"{name}_{version.replace(':', '%3a')}_{arch}.deb", "sha256": None, "md5sums_from": "the dpkg database"}
        self.used[key] = p
        return p

    def finish(self):
        """The .deb of each package used: its SHA256 from apt's index (one apt-cache call); when apt's
        cache holds that .deb, the md5sums inside it must be the dpkg database's."""
        if not self.used:
            return
        show = subprocess.run(["apt-cache", "show"] + [p["name"] + ("" if p["arch"] == "all" else ":" + p["arch"]) + "=" + p["version"] for p in self.used.values()],
                              stdout=subprocess.PIPE, stderr=subprocess.DEVNULL).stdout.decode(errors="replace")
        index = {}
        for rec in show.split("\n\n"):
            f = dict(re.findall(r"^([A-Za-z0-9-]+): (.*)$", rec, re.M))
            if f.get("SHA256"):
                index.setdefault((f.get("Package"), f.get("Version"), f.get("Architecture")), f)
        for key, p in sorted(self.used.items()):
            f = index.get((p["name"], p["version"], p["arch"]))
            if not f:
                continue
            p["sha256"] = f["SHA256"]
            p["deb"] = os.path.basename(f.get("Filename", p["deb"]))
            cached = os.path.join(APT_ARCHIVES, p["deb"])
            if not os.path.isfile(cached) or sha256_file(cached) != p["sha256"]:
                continue
            inside = run(["dpkg-deb", "--info", cached, "md5sums"]).decode(errors="surrogateescape")
            mine = {}
            for line in inside.splitlines():
                m, _, path = line.partition("  ")
                mine[canon("/" + path)] = m
            db = {path: m for (k, path), m in self.md5.items() if k == key}
            if mine != db:
                raise Failure(f"dpkg: {key}: the dpkg database's md5sums differ from those in {cached}")
            p["md5sums_from"] = f"the md5sums of {p['deb']} (its SHA256 as in apt's index)"


# ---- keel's own source: the blobs of git HEAD --------------------------------------------------------
def git_blobs(top):
    """{(is a symlink, git blob id): "PATH (git HEAD)"} of keel's source; a tracked file changed in
    the work tree counts as well, said so ("uncommitted"), so a developer's demo still has an SBOM."""
    def git(*args):
        return subprocess.run(["git", "-C", top] + list(args), check=True, stdout=subprocess.PIPE,
                              stderr=subprocess.DEVNULL).stdout
    blobs = {}
    try:
        tree = git("ls-tree", "-r", "-z", "HEAD")
        changed = git("diff", "--name-only", "-z", "HEAD")
    except (OSError, subprocess.CalledProcessError):
        return blobs  # no git: keel's source files cannot be recognised; they stay unattributed
    for ent in tree.split(b"\0"):
        if not ent:
            continue
        meta, _, path = ent.partition(b"\t")
        mode, typ, oid = meta.split(b" ")
        if typ == b"blob":
            blobs.setdefault((mode == b"120000", oid.decode()), []).append(path.decode(errors="replace") + " (git HEAD)")
    for path in changed.split(b"\0"):
        full = os.path.join(top, os.fsdecode(path))
        if path and os.path.lexists(full):
            link = os.path.islink(full)
            data = os.fsencode(os.readlink(full)) if link else read(full)
            blobs.setdefault((link, git_blob_id(data)), []).append(path.decode(errors="replace") + " (uncommitted, not at git HEAD)")
    return {k: sorted(v)[0] for k, v in blobs.items()}


def git_blob_id(data):
    return hashlib.sha1(b"blob %d\0" % len(data) + data).hexdigest()


# ---- the disk: partitions, slot manifests, erofs, the ESP ---------------------------------------------
def partitions(image):
    out = run(["sgdisk", "-p", image]).decode()
    parts = []
    for m in re.finditer(r"^\s+(\d+)\s+(\d+)\s+(\d+)\s", out, re.M):
        n, first, last = int(m.group(1)), int(m.group(2)), int(m.group(3))
        info = run(["sgdisk", "-i", str(n), image]).decode()
        guid = re.search(r"^Partition GUID code: (\S+)", info, re.M).group(1).lower()
        label = re.search(r"^Partition name: '(.*)'$", info, re.M).group(1)
        parts.append({"n": n, "offset": first * 512, "size": (last - first + 1) * 512, "type": guid, "label": label})
    return parts


def extract(image, part, dest):
    with open(image, "rb") as src, open(dest, "wb") as dst:
        src.seek(part["offset"])
        left = part["size"]
        while left:
            buf = src.read(min(left, 1 << 20))
            if not buf:
                raise Failure(f"{image}: partition {part['n']} runs past the end of the image")
            dst.write(buf)
            left -= len(buf)


def slot_manifest(part_file):
    with open(part_file, "rb") as f:
        f.seek(os.path.getsize(part_file) - SLOT_AREA)
        area = f.read(SLOT_AREA)
    if area[:8] != b"KEELSLOT":
        return None
    mlen = struct.unpack_from("<I", area, 8)[0]
    if mlen > SLOT_AREA - 16:
        raise Failure(f"{part_file}: manifest length {mlen} out of range (offset 8 of the manifest area)")
    text = area[16:16 + mlen].decode(errors="replace")
    return dict(line.split(" ", 1) for line in text.splitlines() if " " in line)


def pe_sections(data):
    """{name: bytes} of a PE image's sections (the first VirtualSize bytes of each)."""
    if data[:2] != b"MZ":
        raise Failure("not a PE image (no MZ)")
    pe = struct.unpack_from("<I", data, 0x3C)[0]
    if data[pe:pe + 4] != b"PE\0\0":
        raise Failure("not a PE image (no PE signature)")
    nsec, = struct.unpack_from("<H", data, pe + 6)
    opt, = struct.unpack_from("<H", data, pe + 20)
    sections = {}
    for i in range(nsec):
        off = pe + 24 + opt + 40 * i
        name = data[off:off + 8].rstrip(b"\0").decode(errors="replace")
        vsize, _, rsize, rptr = struct.unpack_from("<IIII", data, off + 8)
        sections[name] = data[rptr:rptr + min(vsize, rsize)]
    return sections


class Doc:
    def __init__(self):
        self.packages = {}
        self.files = {}  # (fileName, sha256) -> file element
        self.rels = set()

    def file(self, name, data, link=None, comment=None):
        d = digests(data)
        key = (name, d["SHA256"])
        if key not in self.files:
            f = {"fileName": name, "checksums": [{"algorithm": a, "checksumValue": d[a]} for a in ("SHA1", "SHA256", "MD5")],
                 "licenseConcluded": "NOASSERTION", "copyrightText": "NOASSERTION"}
            if link is not None:
                f["_link"] = f"symbolic link to {link}, the checksums are of the target string"
                f["comment"] = f["_link"]
            elif comment:
                f["comment"] = comment
            self.files[key] = f
        return key

    def rel(self, a, typ, b):
        self.rels.add((a, typ, b))


def main():
    ap = argparse.ArgumentParser(description="SPDX 2.3 document for a keel disk image")
    ap.add_argument("--image", required=True)
    ap.add_argument("--keel", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--keel-spdx", help="the binary's SBOM (default: keel.spdx.json beside --keel, if it describes it)")
    ap.add_argument("--name", help="the image's file name in the document (default: --image's)")
    ap.add_argument("--top", default=os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    ap.add_argument("--initrd", help="keel's initramfs the UKIs carry")
    ap.add_argument("--kernel", help="the kernel the UKIs carry (default: the newest /boot/vmlinuz-*)")
    ap.add_argument("--stub", default="/usr/lib/systemd/boot/efi/linuxx64.efi.stub")
    ap.add_argument("--loader", default="/usr/lib/systemd/boot/efi/systemd-bootx64.efi")
    a = ap.parse_args()
    try:
        return generate(a)
    except Failure as e:
        print(f"mkspdx: {e}", file=sys.stderr)
        return 3


def generate(a):
    for t in ("sgdisk", "fsck.erofs", "dpkg-query"):
        if not shutil.which(t):
            raise Failure(f"{t} not found (packages gdisk, erofs-utils, dpkg)")
    keel_bin = read(a.keel)
    keel_ver = run(["keel", "--version"], executable=a.keel).decode().split("\n")[0].split(" ")[1]
    licence = "NOASSERTION"
    with open(os.path.join(a.top, "vendor/licences")) as f:
        for line in f:
            if line.split()[:1] == ["keel"]:
                licence = line.split(None, 1)[1].strip()
    dpkg = Dpkg()
    blobs = git_blobs(a.top)
    doc = Doc()
    owner = {}  # file key -> SPDX id of its package
    unattributed = []
    parts = partitions(a.image)
    w = tempfile.mkdtemp(prefix="keel-mkspdx.")
    try:
        slots, esp = [], None
        for p in parts:
            if p["type"] == USR_TYPE:
                pf = os.path.join(w, f"p{p['n']}")
                extract(a.image, p, pf)
                m = slot_manifest(pf)
                if m is None:
                    if not any(read_chunks(pf)):
                        continue  # an empty slot (mkimage --slot-b empty)
                    raise Failure(f"{a.image}: {p['label']}: no slot manifest (last 64 KiB)")
                tree = os.path.join(w, f"t{p['n']}")
                run(["fsck.erofs", "--extract=" + tree, "--no-preserve", pf])
                slots.append((p, m, tree, hashlib.sha256(read(pf)).hexdigest()))
                os.unlink(pf)
            elif p["type"] == ESP_TYPE:
                esp = p
        if not slots:
            raise Failure(f"{a.image}: no /usr slot (partition type {USR_TYPE})")

        keel_id = "SPDXRef-keel"
        for p, m, tree, psha in slots:
            sid = "SPDXRef-slot-" + spdx_id(p["label"])
            version = m.get("version", "")
            doc.packages[sid] = {"SPDXID": sid, "name": f"keel /usr slot {p['label']}", "versionInfo": version,
                                 "downloadLocation": "NOASSERTION", "filesAnalyzed": True,
                                 "checksums": [{"algorithm": "SHA256", "checksumValue": psha}],
                                 "comment": f"GPT partition {p['n']}: erofs {m.get('data-blocks', '?')} blocks, dm-verity root hash {m.get('root-hash', '?')} (as the slot manifest says; its signature is not checked here)",
                                 "primaryPackagePurpose": "OPERATING-SYSTEM", "_files": []}
            for dirpath, dirs, names in os.walk(tree):
                dirs.sort()
                for n in sorted(names) + sorted(d for d in dirs if os.path.islink(os.path.join(dirpath, d))):
                    full = os.path.join(dirpath, n)
                    rel = os.path.relpath(full, tree)
                    name = "./usr/" + rel
                    st = os.lstat(full)
                    link = None
                    if stat.S_ISLNK(st.st_mode):
                        link = os.readlink(full)
                        data = link.encode("utf-8", "surrogateescape")
                    elif stat.S_ISREG(st.st_mode):
                        data = read(full)
                    else:
                        unattributed.append(f"{p['label']} /usr/{rel}: not a regular file or symbolic link")
                        continue
                    fk = doc.file(name, data, link)
                    doc.packages[sid]["_files"].append(fk)
                    who = attribute(rel, data, link, m, keel_bin, dpkg, blobs)
                    if who is None:
                        unattributed.append(f"{p['label']} /usr/{rel} (sha256 {hashlib.sha256(data).hexdigest()}):"
                                            " not keel's and not the file any installed Debian package has there")
                        continue
                    claim(doc, owner, dpkg, fk, who, keel_id, "")
        if esp is not None:
            describe_esp(a, doc, owner, unattributed, dpkg, esp, w, keel_id, keel_bin, blobs)
    finally:
        shutil.rmtree(w, ignore_errors=True)
    if unattributed:
        for u in unattributed:
            print(f"mkspdx: unattributed: {u}", file=sys.stderr)
        print(f"mkspdx: {a.image}: {len(unattributed)} file(s) unattributed; no SBOM written", file=sys.stderr)
        return 1

    dpkg.finish()
    for sid in list(doc.packages):
        if sid.startswith("SPDXRef-deb-"):
            deb_entry(doc, sid)
    disk_sha = sha256_file(a.image)
    img_version = slots[0][1].get("version", "")
    doc.packages[keel_id] = {"SPDXID": keel_id, "name": "keel", "versionInfo": keel_ver, "downloadLocation": "NOASSERTION",
                             "filesAnalyzed": False, "licenseConcluded": licence, "licenseDeclared": licence,
                             "copyrightText": "NOASSERTION", "packageFileName": "keel",
                             "checksums": [{"algorithm": "SHA256", "checksumValue": hashlib.sha256(keel_bin).hexdigest()}],
                             "comment": "keel's binary (its components: keel.spdx.json) and the files keel's build and image scripts make",
                             "primaryPackagePurpose": "APPLICATION"}
    doc.packages["SPDXRef-image"] = {"SPDXID": "SPDXRef-image", "name": "keel-image", "versionInfo": img_version,
                                     "downloadLocation": "NOASSERTION", "filesAnalyzed": False,
                                     "packageFileName": a.name or os.path.basename(a.image),
                                     "checksums": [{"algorithm": "SHA256", "checksumValue": disk_sha}],
                                     "comment": "GPT disk image made by keel's initramfs/mkimage.sh",
                                     "primaryPackagePurpose": "OPERATING-SYSTEM"}
    ext = keel_sbom(a.keel_spdx or os.path.join(os.path.dirname(os.path.abspath(a.keel)), "keel.spdx.json"),
                    hashlib.sha256(keel_bin).hexdigest(), explicit=bool(a.keel_spdx))
    return write(a, doc, owner, img_version, ext)


def keel_sbom(path, keel_sha, explicit):
    """The binary's own SBOM (build.sh: keel.spdx.json) as an external document, when it describes
    this very binary: keel's package there has its sha256."""
    try:
        raw = read(path)
        d = json.loads(raw)
        sums = [c["checksumValue"] for p in d["packages"] if p["SPDXID"] == "SPDXRef-keel" for c in p.get("checksums", [])]
        ns = d["documentNamespace"]
    except (OSError, ValueError, KeyError, TypeError) as e:
        if explicit:
            raise Failure(f"--keel-spdx {path}: {e}")
        return None
    if keel_sha not in sums:
        if explicit:
            raise Failure(f"--keel-spdx {path}: describes another binary than --keel")
        return None
    return {"externalDocumentId": "DocumentRef-keel", "spdxDocument": ns,
            "checksum": {"algorithm": "SHA1", "checksumValue": hashlib.sha1(raw).hexdigest()}}


def claim(doc, owner, dpkg, fk, who, keel_id, prefix):
    """File fk belongs to who: ("keel", detail) or (dpkg package key, detail)."""
    kind, detail = who
    if kind == "keel":
        owner[fk] = keel_id
    else:
        pkg = dpkg.package(kind)
        owner[fk] = deb_package(doc, pkg)
        detail = f"{pkg['name']} {pkg['version']} {pkg['arch']}: {detail}"
    f = doc.files[fk]
    f["comment"] = prefix + detail + ("; " + f["_link"] if "_link" in f else "")


def read_chunks(path):
    with open(path, "rb") as f:
        while True:
            b = f.read(1 << 20)
            if not b:
                return
            yield any(b)


def attribute(rel, data, link, manifest, keel_bin, dpkg, blobs):
    """('keel', detail) or (dpkg package key, detail) or None."""
    if link is None and rel == "bin/keel" and data == keel_bin:
        return "keel", "the keel binary"
    if link is not None and (rel, link) in (("bin/init", "keel"), ("sbin/init", "../bin/keel")):
        return "keel", "mkimage.sh: init is keel"
    if link is not None and (rel, link) in (("bin/systemctl", "keel"), ("bin/journalctl", "keel")):
        return "keel", "mkimage.sh: %s is keel's applet" % rel[4:]
    if link is None and rel == "lib/keel/version" and data == (manifest.get("version", "") + "\n").encode():
        return "keel", "mkimage.sh: the version of the slot manifest"
    return by_package_or_source("/usr/" + rel, data, link, dpkg, blobs)


def by_package_or_source(host, data, link, dpkg, blobs):
    """The installed Debian package whose file at host (md5sums) or link is this, or keel's source."""
    if link is None:
        hit = dpkg.attribute_file(host, hashlib.md5(data).hexdigest())
        if hit:
            return hit[0], f"{hit[1]}, MD5 as in the package's md5sums"
    else:
        hit = dpkg.attribute_link(host, link)
        if hit:
            return hit[0], f"{hit[1]}, a symbolic link the package lists"
    src = blobs.get((link is not None, git_blob_id(data)))
    if src:
        return "keel", f"keel source file {src}"
    return None


def deb_package(doc, pkg):
    sid = "SPDXRef-deb-" + spdx_id(f"{pkg['name']}-{pkg['arch']}")
    doc.packages.setdefault(sid, {"_pkg": pkg})
    return sid


def deb_entry(doc, sid):
    pkg = doc.packages[sid].pop("_pkg", None)
    if pkg is not None:
        purl = "pkg:deb/debian/{}@{}?arch={}".format(pkg["name"], pct(pkg["version"]), pkg["arch"])
        p = {"SPDXID": sid, "name": pkg["name"], "versionInfo": pkg["version"], "supplier": "Organization: Debian",
             "downloadLocation": "NOASSERTION", "filesAnalyzed": False, "licenseConcluded": "NOASSERTION",
             "licenseDeclared": "NOASSERTION", "copyrightText": "NOASSERTION", "packageFileName": pkg["deb"],
             "sourceInfo": f"Debian source package {pkg['source']} {pkg['source_version']}; architecture {pkg['arch']}; "
                           f"files checked against {pkg['md5sums_from']}",
             "externalRefs": [{"referenceCategory": "PACKAGE-MANAGER", "referenceType": "purl", "referenceLocator": purl}]}
        if pkg["sha256"]:
            p["checksums"] = [{"algorithm": "SHA256", "checksumValue": pkg["sha256"]}]
        doc.packages[sid] = p
    return sid


def pct(s):
    return re.sub(r"[^A-Za-z0-9._~-]", lambda m: "%%%02X" % ord(m.group(0)), s)


def describe_esp(a, doc, owner, unattributed, dpkg, esp, w, keel_id, keel_bin, blobs):
    ef = os.path.join(w, "esp")
    extract(a.image, esp, ef)
    with open(ef, "rb") as f:
        boot = f.read(512)
    if boot[82:90] != b"FAT32   ":
        os.unlink(ef)
        return  # raw ESP (the VM boots with -kernel): nothing on it
    tree = os.path.join(w, "esp-tree")
    os.mkdir(tree)
    env = dict(os.environ, MTOOLS_SKIP_CHECK="1")
    run(["mcopy", "-s", "-n", "-i", ef, "::/*", tree], env=env)
    sid = "SPDXRef-esp"
    doc.packages[sid] = {"SPDXID": sid, "name": "keel EFI system partition", "downloadLocation": "NOASSERTION",
                         "filesAnalyzed": True, "checksums": [{"algorithm": "SHA256", "checksumValue": hashlib.sha256(read(ef)).hexdigest()}],
                         "comment": f"GPT partition {esp['n']}: FAT32 (mkesp.sh): systemd-boot, loader.conf, UKIs",
                         "primaryPackagePurpose": "FIRMWARE", "_files": []}
    os.unlink(ef)

    def host_file(path, what):
        data = read(path)
        hit = dpkg.attribute_file(path, hashlib.md5(data).hexdigest())
        if not hit:
            unattributed.append(f"{what} {path}: not the file its Debian package ships")
            return None, data
        pkg = dpkg.package(hit[0])
        fk = doc.file("." + canon(hit[1]), data, comment=f"{pkg['name']} {pkg['version']} {pkg['arch']}: {hit[1]}, MD5 as in the package's md5sums")
        owner[fk] = deb_package(doc, pkg)
        return fk, data

    kernel = a.kernel or sorted(glob.glob("/boot/vmlinuz-*"))[-1]
    initrd_done = set()
    for dirpath, dirs, names in os.walk(tree):
        dirs.sort()
        for n in sorted(names):
            full = os.path.join(dirpath, n)
            rel = os.path.relpath(full, tree)
            data = read(full)
            fk = doc.file("./" + rel, data)
            doc.packages[sid]["_files"].append(fk)
            if rel == "loader/loader.conf" and data == LOADER_CONF:
                owner[fk] = keel_id
                doc.files[fk]["comment"] = "mkesp.sh: systemd-boot's configuration"
            elif rel.upper() == "EFI/BOOT/BOOTX64.EFI":
                lk, ldata = host_file(a.loader, "systemd-boot")
                if lk is None:
                    continue
                if data == ldata:
                    owner[fk] = owner[lk]
                    doc.files[fk]["comment"] = "systemd-boot as its package ships it"
                elif same_sections(data, ldata, set()):
                    owner[fk] = keel_id
                    doc.files[fk]["comment"] = "systemd-boot signed for Secure Boot (sbsign): its sections are the package's"
                    doc.rel(fk, "GENERATED_FROM", lk)
                else:
                    unattributed.append(f"ESP /{rel}: neither systemd-boot nor a signed copy of it")
            elif re.fullmatch(r"EFI/Linux/[A-Za-z0-9._+-]+\.efi", rel) and not a.initrd:
                unattributed.append(f"ESP /{rel}: a UKI, and no --initrd to check its .initrd against")
            elif re.fullmatch(r"EFI/Linux/[A-Za-z0-9._+-]+\.efi", rel):
                try:
                    sec = pe_sections(data)
                except (Failure, struct.error) as e:
                    unattributed.append(f"ESP /{rel}: {e}")
                    continue
                sk, sdata = host_file(a.stub, "the EFI stub")
                kk, kdata = host_file(kernel, "the kernel")
                idata = read(a.initrd)
                why = []
                if sec.get(".linux") != kdata:
                    why.append(f".linux is not {kernel}")
                if sec.get(".initrd") != idata:
                    why.append(f".initrd is not {a.initrd}")
                if sk is not None and not same_sections(data, sdata, {".osrel", ".cmdline", ".linux", ".initrd"}):
                    why.append(f"its other sections are not those of {a.stub}")
                if ".osrel" not in sec or ".cmdline" not in sec:
                    why.append("no .osrel or .cmdline")
                if why or sk is None or kk is None:
                    unattributed.append(f"ESP /{rel}: " + "; ".join(why or ["its parts are unattributed"]))
                    continue
                owner[fk] = keel_id
                doc.files[fk]["comment"] = "Unified Kernel Image (mkuki.sh): systemd-boot's stub, the kernel, keel's initramfs, os-release, command line"
                ik = doc.file(f"./{rel}:.initrd", idata, comment="keel's initramfs (mkinitramfs.sh): keel and the kernel modules stage 1 loads")
                ok = doc.file(f"./{rel}:.osrel", sec[".osrel"], comment="os-release: " + sec[".osrel"].decode(errors="replace").replace("\n", "; "))
                ck = doc.file(f"./{rel}:.cmdline", sec[".cmdline"], comment="kernel command line: " + sec[".cmdline"].decode(errors="replace"))
                for k in (ik, ok, ck):
                    owner[k] = keel_id
                if ik not in initrd_done:
                    initrd_done.add(ik)
                    describe_initramfs(a, doc, owner, unattributed, dpkg, idata, ik, keel_id, keel_bin, blobs)
                for k in (sk, kk, ik, ok, ck):
                    doc.rel(fk, "GENERATED_FROM", k)
            else:
                unattributed.append(f"ESP /{rel} (sha256 {hashlib.sha256(data).hexdigest()}): not made by mkesp.sh or mkuki.sh")


def cpio_newc(data):
    """(name, mode, rdev major, rdev minor, content) of each entry of an uncompressed newc archive."""
    off = 0
    while True:
        h = data[off:off + 110]
        if len(h) < 110 or h[:6] not in (b"070701", b"070702"):
            raise Failure(f"initramfs: no newc header at offset {off}")
        try:
            f = [int(h[6 + 8 * i:14 + 8 * i], 16) for i in range(13)]
        except ValueError:
            raise Failure(f"initramfs: a header field is not hex at offset {off}")
        mode, size, rmaj, rmin, nsize = f[1], f[6], f[9], f[10], f[11]
        name_end = off + 110 + nsize
        if nsize < 1 or name_end > len(data):
            raise Failure(f"initramfs: name out of range at offset {off}")
        name = data[off + 110:name_end - 1].decode("utf-8", "surrogateescape")
        start = (name_end + 3) & ~3
        if start + size > len(data):
            raise Failure(f"initramfs: {name}: content runs past the end (offset {off})")
        if name == "TRAILER!!!":
            return
        yield name, mode, rmaj, rmin, data[start:start + size]
        off = (start + size + 3) & ~3


def describe_initramfs(a, doc, owner, unattributed, dpkg, idata, ik, keel_id, keel_bin, blobs):
    """Every file and link of keel's initramfs (mkinitramfs.sh), CONTAINed by the .initrd file."""
    applets = set(run(["keel", "--list"], executable=a.keel).decode().split())
    try:
        mods = read(os.path.join(a.top, "config/initramfs/modules")).decode()
        mods = "".join(l + "\n" for l in mods.splitlines() if l.strip() and not l.lstrip().startswith("#")).encode()
    except OSError:
        mods = None
    for name, mode, rmaj, rmin, data in cpio_newc(idata):
        rel = os.path.normpath(name)
        kind = stat.S_IFMT(mode)
        if kind == stat.S_IFDIR:
            continue
        if kind == stat.S_IFCHR and (rel, rmaj, rmin) in (("dev/console", 5, 1), ("dev/null", 1, 3)):
            continue  # the two device nodes the kernel needs before devtmpfs
        if kind not in (stat.S_IFREG, stat.S_IFLNK) or rel.startswith("../"):
            unattributed.append(f"initramfs /{rel}: not a regular file, symbolic link or one of its device nodes")
            continue
        link = data.decode("utf-8", "surrogateescape") if kind == stat.S_IFLNK else None
        fk = doc.file("./" + rel, data, link, comment="in keel's initramfs")
        doc.rel(ik, "CONTAINS", fk)
        who = None
        if link is None and rel == "bin/keel" and data == keel_bin:
            who = "the keel binary"
        elif link is not None and ((rel, link) == ("init", "bin/keel") or
                                   (link == "keel" and rel.startswith("bin/") and rel[4:] in applets)):
            who = "mkinitramfs.sh: a link to keel"
        elif link is None and rel == "etc/keel-initramfs" and data == b"keel initramfs\n":
            who = "mkinitramfs.sh: the stage 1 marker"
        elif link is None and rel == "etc/keel/modules" and data == mods:
            who = "mkinitramfs.sh: config/initramfs/modules without comments"
        elif link is None and rel == "etc/keel/min-version" and re.fullmatch(rb"[0-9]+(\.[0-9]+)*\n", data):
            who = "mkinitramfs.sh --min-version"
        elif link is None and re.fullmatch(r"lib/modules/[^/]+/modules\.(dep|alias|softdep)", rel):
            who = "mkinitramfs.sh: depmod's index of these modules"
        who = ("keel", who) if who else by_package_or_source("/" + rel, data, link, dpkg, blobs)
        if who:
            claim(doc, owner, dpkg, fk, who, keel_id, "in keel's initramfs: ")
            continue
        unattributed.append(f"initramfs /{rel} (sha256 {hashlib.sha256(data).hexdigest()}): not keel's and not an installed Debian package's")


def same_sections(data, base, skip):
    """Every section of the PE image base is in data with the same bytes (sections in skip aside)."""
    try:
        have, want = pe_sections(data), pe_sections(base)
    except (Failure, struct.error):
        return False
    return all(have.get(k) == v for k, v in want.items() if k not in skip)


def write(a, doc, owner, version, ext):
    keys = sorted(doc.files)
    ids = {k: f"SPDXRef-File-{i + 1}" for i, k in enumerate(keys)}
    files = []
    for k in keys:
        f = {"SPDXID": ids[k]}
        f.update(doc.files[k])
        f.pop("_link", None)
        files.append(f)
    rels = {("SPDXRef-DOCUMENT", "DESCRIBES", "SPDXRef-image")}
    for sid, p in doc.packages.items():
        if sid.startswith(("SPDXRef-slot-", "SPDXRef-esp")):
            rels.add(("SPDXRef-image", "CONTAINS", sid))
            fks = sorted(set(p.pop("_files")))
            for fk in fks:
                rels.add((sid, "CONTAINS", ids[fk]))
            sha1s = sorted(next(c["checksumValue"] for c in doc.files[fk]["checksums"] if c["algorithm"] == "SHA1") for fk in fks)
            p["packageVerificationCode"] = {"packageVerificationCodeValue": hashlib.sha1("".join(sha1s).encode()).hexdigest()}
    for fk, sid in owner.items():
        rels.add((sid, "CONTAINS", ids[fk]))
    for x, t, y in doc.rels:
        rels.add((ids[x], t, ids[y]))
    if ext:
        rels.add(("SPDXRef-keel", "DESCRIBED_BY", "DocumentRef-keel:SPDXRef-DOCUMENT"))
    packages = [doc.packages[k] for k in sorted(doc.packages)]
    relationships = [{"spdxElementId": x, "relationshipType": t, "relatedSpdxElement": y}
                     for x, t, y in sorted(rels, key=lambda r: (r[0], r[1], natural(r[2])))]
    epoch = int(os.environ.get("SOURCE_DATE_EPOCH", "0") or 0)
    created = datetime.datetime.fromtimestamp(epoch, datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    d = {"spdxVersion": "SPDX-2.3", "dataLicense": "CC0-1.0", "SPDXID": "SPDXRef-DOCUMENT",
         "name": f"keel-image-{version}", "documentNamespace": "",
         "creationInfo": {"created": created, "creators": ["Tool: keel initramfs/mkspdx.py"]},
         **({"externalDocumentRefs": [ext]} if ext else {}),
         "documentDescribes": ["SPDXRef-image"],
         "packages": packages, "files": files, "relationships": relationships}
    body = json.dumps(d, indent=1, sort_keys=False, ensure_ascii=False)
    d["documentNamespace"] = f"urn:keel:spdx:keel-image-{pct(version)}-{hashlib.sha256(body.encode()).hexdigest()}"
    tmp = a.out + ".tmp"
    with open(tmp, "w", encoding="utf-8") as f:
        json.dump(d, f, indent=1, ensure_ascii=False)
        f.write("\n")
    os.replace(tmp, a.out)
    return 0


def natural(s):
    return [int(t) if t.isdigit() else t for t in re.split(r"(\d+)", s)]


if __name__ == "__main__":
    sys.exit(main())
