#!/usr/bin/env bash
# tests/fuzz/make-seeds.sh - (re)generates the binary seed corpora:
# tests/fuzz/corpus/unpack/ (small tar archives, good and hostile, plain and
# gzip/xz/zstd-compressed, plus a few non-tar streams) and
# tests/fuzz/corpus/unpack_policy/ (one flag byte + NUL-separated fields, see
# fuzz_unpack_policy.c) and tests/fuzz/corpus/pack_unpack/ (trees to pack,
# see fuzz_pack_unpack.c).  The output is deterministic (fixed mtimes, gzip
# header time 0), so re-running it changes nothing unless this script
# changed.  The text corpora (procfile, manifest, runtime_versions) are
# written by hand.  Needs python3 and zstd.
set -eu
cd "$(dirname "$0")"
command -v python3 >/dev/null || { echo "make-seeds.sh: needs python3" >&2; exit 1; }
command -v zstd >/dev/null || { echo "make-seeds.sh: needs zstd" >&2; exit 1; }

rm -rf corpus/unpack corpus/unpack_policy corpus/pack_unpack
mkdir -p corpus/unpack corpus/unpack_policy corpus/pack_unpack

python3 - corpus/unpack <<'EOF'
import gzip, io, lzma, subprocess, sys, tarfile, zipfile

out = sys.argv[1]
MTIME = 1700000000

def entry(name, kind="file", data=b"", target="", mode=None, fmt=None):
    ti = tarfile.TarInfo(name)
    ti.mtime = MTIME
    ti.uid = ti.gid = 0
    ti.uname = ti.gname = ""
    if kind == "file":
        ti.type, ti.size, ti.mode = tarfile.REGTYPE, len(data), 0o644
    elif kind == "dir":
        ti.type, ti.mode = tarfile.DIRTYPE, 0o755
    elif kind == "symlink":
        ti.type, ti.linkname, ti.mode = tarfile.SYMTYPE, target, 0o777
    elif kind == "hardlink":
        ti.type, ti.linkname, ti.mode = tarfile.LNKTYPE, target, 0o644
    elif kind == "chr":
        ti.type, ti.devmajor, ti.devminor, ti.mode = tarfile.CHRTYPE, 1, 3, 0o666
    elif kind == "blk":
        ti.type, ti.devmajor, ti.devminor, ti.mode = tarfile.BLKTYPE, 7, 0, 0o660
    elif kind == "fifo":
        ti.type, ti.mode = tarfile.FIFOTYPE, 0o644
    if mode is not None:
        ti.mode = mode
    return (ti, data if kind == "file" else None)

def tar(entries, fmt=tarfile.GNU_FORMAT):
    buf = io.BytesIO()
    t = tarfile.open(fileobj=buf, mode="w", format=fmt)
    for ti, data in entries:
        t.addfile(ti, io.BytesIO(data) if data is not None else None)
    t.close()
    # tarfile pads to 10 KiB records; keep only up to the two zero blocks
    # that end the archive (its offset after close), so the fuzzer does not
    # mutate kilobytes of padding.
    return buf.getvalue()[:t.offset]

def gz(b):
    buf = io.BytesIO()
    with gzip.GzipFile(fileobj=buf, mode="wb", mtime=0, filename="") as g:
        g.write(b)
    return buf.getvalue()

def xz(b):
    return lzma.compress(b, format=lzma.FORMAT_XZ, preset=6)

def zst(b):
    return subprocess.run(["zstd", "-q", "-19", "-c"], input=b,
                          stdout=subprocess.PIPE, check=True).stdout

def write(name, b):
    with open(f"{out}/{name}", "wb") as f:
        f.write(b)

good = [
    entry("app/", "dir"),
    entry("app/bin/", "dir"),
    entry("app/bin/run", data=b"#!/bin/sh\necho hi\n", mode=0o755),
    entry("app/lib/", "dir", mode=0o700),
    entry("app/lib/libfoo.so.1.0", data=b"\x7fELF fake\n"),
    entry("app/lib/libfoo.so.1", "symlink", target="libfoo.so.1.0"),
    entry("app/lib/libfoo.so", "symlink", target="./libfoo.so.1"),
    entry("app/etc/mono/config", data=b"<configuration/>\n"),
    entry("app/etc/up", "symlink", target="../lib/libfoo.so"),
    entry("app/hard", "hardlink", target="app/bin/run"),
    entry("top", "symlink", target="app/bin"),
    entry("./dot/./file", data=b"x"),
    entry("empty", data=b""),
]
g = tar(good)
write("good.tar", g)
write("good.tar.gz", gz(g))
write("good.tar.xz", xz(g))
write("good.tar.zst", zst(g))
write("good-ustar.tar", tar(good, tarfile.USTAR_FORMAT))
write("good-pax.tar.gz", gz(tar(good + [
    entry("p/" + "\u00e9t\u00e9/" * 30 + "long-pax-name.txt", data=b"pax"),
    entry("p/l", "symlink", target="../" + "x/" * 80 + "y"),
], tarfile.PAX_FORMAT)))
write("gnu-longname.tar.gz", gz(tar([
    entry("d" * 60 + "/" + "e" * 90 + "/" + "f" * 120, data=b"long"),
    entry("l" * 150, "symlink", target="d" * 60 + "/" + "e" * 90),
])))
write("empty.tar", tar([]))
write("only-root-dir.tar", tar([entry("./", "dir"), entry(".", "dir")]))
write("duplicate-names.tar", tar([
    entry("x", data=b"one"), entry("x", data=b"two"),
    entry("s", "symlink", target="x"), entry("s", data=b"file over link"),
    entry("d/", "dir"), entry("d", data=b"file over dir"),
]))

hostile = {
    "dotdot": [entry("../evil", data=b"evil")],
    "dotdot-inner": [entry("a/", "dir"), entry("a/../../evil", data=b"evil")],
    "dotdot-only": [entry("..", "dir")],
    "absolute": [entry("/tmp/slugc-fuzz-evil", data=b"evil")],
    "absolute-dir": [entry("/", "dir")],
    "symlink-up": [entry("l", "symlink", target="../..")],
    "symlink-abs": [entry("l", "symlink", target="/etc")],
    "symlink-after-name": [entry("a/", "dir"),
                           entry("a/l", "symlink", target="b/../../../x")],
    "symlink-write-through": [entry("l", "symlink", target="/tmp"),
                              entry("l/slugc-fuzz-evil", data=b"evil")],
    "symlink-dot-write-through": [entry("l", "symlink", target="."),
                                  entry("l/x", data=b"through")],
    "symlink-swap-dir": [entry("a/", "dir"), entry("a", "symlink", target=".."),
                         entry("a/keep", data=b"evil")],
    "symlink-chain": [entry("a/", "dir"), entry("a/b", "symlink", target=".."),
                      entry("a/c", "symlink", target="b/b/b")],
    "hardlink-out": [entry("h", "hardlink", target="../keep")],
    "hardlink-abs": [entry("h", "hardlink", target="/etc/passwd")],
    "hardlink-root": [entry("h", "hardlink", target=".")],
    "hardlink-then-write": [entry("f", data=b"a"),
                            entry("h", "hardlink", target="f"),
                            entry("h", data=b"rewritten")],
    "chardev": [entry("null", "chr")],
    "blockdev": [entry("loop", "blk")],
    "fifo": [entry("fifo", "fifo")],
    "setuid": [entry("suid", data=b"x", mode=0o4755),
               entry("sgid/", "dir", mode=0o2775),
               entry("nox/", "dir", mode=0o000)],
    "replace-root": [entry(".", data=b"file as root")],
    "control-chars": [entry("a\nb/\x1b[31m", "symlink", target="/x\ny")],
}
for name, ents in hostile.items():
    write(name + ".tar", tar(ents))
write("dotdot.tar.gz", gz(tar(hostile["dotdot"])))
write("symlink-write-through.tar.xz", xz(tar(hostile["symlink-write-through"])))

# Caps: more entries than the fuzzer's limit (256), more bytes (1 MiB),
# and a small file that expands beyond the ratio (50x over 64 KiB).
write("many-entries.tar.gz", gz(tar([entry("f%d" % i) for i in range(300)])))
write("too-big.tar.gz", gz(tar([entry("zeros", data=bytes(1100 * 1024))])))
write("bomb.tar.zst", zst(tar([entry("zeros", data=bytes(300 * 1024))])))

# Not tar, or broken tar.
zb = io.BytesIO()
with zipfile.ZipFile(zb, "w") as z:
    z.writestr(zipfile.ZipInfo("a.txt", (2020, 1, 1, 0, 0, 0)), "zip")
write("not-tar.zip", zb.getvalue())
write("not-tar.txt.gz", gz(b"just some text, not an archive\n" * 4))
write("truncated.tar.gz", gz(g)[: len(gz(g)) // 2])
write("truncated-body.tar", g[: 512 * 3 + 100])
bad = bytearray(tar([entry("f", data=b"hello")]))
bad[148:156] = b"0000000\0"     # wrong header checksum
write("bad-checksum.tar", bytes(bad))
EOF

# unpack_policy: flag byte (bits 0-2 type: 0 file, 1 dir, 2 symlink, 3 chr,
# 4 blk, 5 fifo, 6 socket, 7 none; 0x08 symlink field; 0x10 hardlink
# field; 0x20 permission bits), then path NUL symlink NUL hardlink.
pol() {
	printf "$2" >"corpus/unpack_policy/$1"
}
pol file '\x00a/b/c'
pol dir '\x01a/b/'
pol dot-dir '\x21.'
pol symlink-sibling '\x0aa/l\x00b'
pol symlink-up-ok '\x0aa/b/l\x00../../c'
pol symlink-up-escape '\x0aa/l\x00../../c'
pol symlink-abs '\x0aa/l\x00/etc/passwd'
pol symlink-after-name '\x0aa/b/l\x00x/../../..'
pol symlink-dot '\x0al\x00.'
pol symlink-empty '\x0al\x00'
pol symlink-null '\x02l'
pol hardlink '\x10a/h\x00\x00a/f'
pol hardlink-out '\x10a/h\x00\x00../f'
pol hardlink-root '\x10h\x00\x00./'
pol dotdot '\x00a/../../x'
pol absolute '\x00/x'
pol root-file '\x00./'
pol chardev '\x23dev/null'
pol fifo '\x05p'
pol socket '\x06s'
pol control '\x0aa\nb\x00/x\x1b'

# pack_unpack: a prefix byte (0 "./app", 1 ".", 2 "", 3 "a/b/c"), then
# records: type byte (0 empty file, 1 dir, 2 symlink, 3 FIFO, 4 hard link,
# 5 socket, 6 char device, 7 file with content; 8 = mode 0755), path NUL,
# second field NUL.
python3 - corpus/pack_unpack <<'EOF'
import sys

out = sys.argv[1]
FILE, DIR, LINK, FIFO, HARD, SOCK, DEV, DATA = range(8)
EXEC = 8

def tree(name, prefix, *records):
    b = bytes([prefix])
    for rec in records:
        t, path = rec[0], rec[1]
        arg = rec[2] if len(rec) > 2 else b""
        if isinstance(path, str):
            path = path.encode()
        if isinstance(arg, str):
            arg = arg.encode()
        b += bytes([t]) + path + b"\0" + arg + b"\0"
    with open(f"{out}/{name}", "wb") as f:
        f.write(b)

tree("app", 0, (DATA, "Procfile", "web: python3 server.py\n"),
     (DATA | EXEC, "bin/run", "#!/bin/sh\n"), (LINK, "ok", "Procfile"),
     (DIR, "empty"), (LINK, "bin/up", "../Procfile"))
tree("absolute-links", 0, (LINK, "passwd", "/etc/passwd"),
     (LINK, "tmp", "/tmp"), (LINK, "sub/root", "/"), (DATA, "keep", "k"))
tree("escape-app", 0, (LINK, "out", "../../x"), (LINK, "up", "../x"),
     (LINK, "sub/up", "../../x"), (LINK, "sub/out", "../../../x"),
     (LINK, "a/b/c/d", "../../../../../../etc"))
tree("escape-dot", 1, (LINK, "up", "../x"), (LINK, "sub/up", "../x"),
     (LINK, "sub/out", "../../x"))
tree("escape-deep-prefix", 3, (LINK, "in", "../../../x"),
     (LINK, "out", "../../../../x"))
tree("escape-default-prefix", 2, (LINK, "up", ".."), (LINK, "sub/up", ".."),
     (LINK, "sub/here", "."))
tree("dotdot-after-name", 0, (LINK, "mid", "a/../b"),
     (LINK, "sub/mid", "../a/../../b"), (LINK, "tail", "x/.."),
     (DIR, "a"), (DATA, "b", "b"))
tree("dots", 0, (LINK, "dot", "."), (LINK, "dotslash", "./"),
     (LINK, "dots", ".//./x//"), (LINK, "empty", ""), (FILE, "x"))
tree("specials", 0, (FIFO, "pipe"), (SOCK, "run/app.sock"),
     (DEV, "dev/null"), (FIFO, "sub/deeper/fifo"), (DATA, "Procfile", "w"))
tree("hardlinks", 0, (DATA, "f", "shared bytes"), (HARD, "h", "f"),
     (HARD, "sub/h2", "f"), (HARD, "sub/h3", "sub/h2"),
     (DATA | EXEC, "x", "exec"), (HARD, "y", "x"))
tree("through-symlink", 0, (DIR, "real"), (LINK, "d", "real"),
     (DATA, "d/x", "never made"), (HARD, "h", "d/x"),
     (LINK, "abs", "/etc"), (FILE, "abs/passwd"))
tree("long-names", 0, (DATA, "n" * 255, "long"),
     (DATA, "/".join(["d%02d" % i + "x" * 16 for i in range(40)]) + "/f",
      "deep"),
     (LINK, "l" * 200, "../" + "t" * 300),
     (LINK, "sub/" + "s" * 250, "../" + "/".join(["x"] * 500)))
tree("odd-bytes", 0, (DATA, b"new\nline", "nl"), (DATA, b"tab\there", "t"),
     (DATA, b"esc\x1b[31m", "e"), (DATA, "caf\u00e9", "utf-8"),
     (DATA, b"raw\xe9", "latin-1"), (LINK, b"l\nk", b"/etc\npasswd"),
     (FIFO, b"fi\x7ffo"), (DATA, "sp ace", "s"), (DATA, "back\\slash", "b"))
tree("sorting", 0, (DATA, "a-b", "1"), (DATA, "a/x", "2"),
     (LINK, "a.l", "a/x"), (LINK, "a/l", "../a-b"), (DATA, "a0", "3"))
tree("dirty-paths", 0, (DATA, "./x/../y//z/./f", "f"),
     (DATA, "../../../etc/evil", "e"), (DATA, "/abs/file", "a"),
     (DIR, "././"), (LINK, "..", "x"))
EOF
