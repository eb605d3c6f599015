#!/usr/bin/python3
"""Mark chosen GLIBCXX version needs of an ELF64 shared library as weak (VER_FLG_WEAK).

TorchSharp 0.107's libLibTorchSharp.so is linked with GCC 13 and so needs GLIBCXX_3.4.32, only for the
marker symbol std::ios_base_library_init. Debian 12's libstdc++ stops at GLIBCXX_3.4.30, and the loader then
refuses the library. A weak version need lets the loader accept it.

The file is never edited in place (it may be a hard link into the NuGet cache): the patched bytes go to a
temporary file beside it, which then replaces it. The original modification time is kept, so MSBuild's
incremental copy sees the output as up to date. A file that is already patched is left untouched.

Usage: glibcxx_weak.py FILE [VERSION ...]   (default VERSION: GLIBCXX_3.4.32)
Reference: https://refspecs.linuxfoundation.org/LSB_5.0.0/LSB-Core-generic/LSB-Core-generic/symversion.html
"""
import os
import struct
import sys
import tempfile

SHT_GNU_VERNEED = 0x6FFFFFFE
VER_FLG_WEAK = 0x2


def find_vernaux_flags(data, versions):
    """Returns the file offsets of vna_flags for each Vernaux entry whose name is in `versions`."""
    if data[:4] != b"\x7fELF":
        raise ValueError("not an ELF file")
    if data[4] != 2 or data[5] != 1:
        raise ValueError("only little-endian ELF64 is supported")
    e_shoff, = struct.unpack_from("<Q", data, 0x28)
    e_shentsize, e_shnum, e_shstrndx = struct.unpack_from("<HHH", data, 0x3A)
    if e_shoff == 0 or e_shentsize < 64:
        raise ValueError("no section headers")

    def section(i):
        # Elf64_Shdr: name, type, flags, addr, offset, size, link, info, addralign, entsize
        return struct.unpack_from("<IIQQQQIIQQ", data, e_shoff + i * e_shentsize)

    found = []
    for i in range(e_shnum):
        _, sh_type, _, _, sh_offset, sh_size, sh_link, sh_info, _, _ = section(i)
        if sh_type != SHT_GNU_VERNEED:
            continue
        strtab_offset = section(sh_link)[4]
        end = sh_offset + sh_size
        vn = sh_offset
        for _ in range(sh_info):
            if vn + 16 > end:
                raise ValueError("Verneed entry outside .gnu.version_r")
            # Elf64_Verneed: vn_version, vn_cnt, vn_file, vn_aux, vn_next
            _, vn_cnt, _, vn_aux, vn_next = struct.unpack_from("<HHIII", data, vn)
            aux = vn + vn_aux
            for _ in range(vn_cnt):
                if aux + 16 > end:
                    raise ValueError("Vernaux entry outside .gnu.version_r")
                # Elf64_Vernaux: vna_hash, vna_flags, vna_other, vna_name, vna_next
                _, vna_flags, _, vna_name, vna_next = struct.unpack_from("<IHHII", data, aux)
                name_start = strtab_offset + vna_name
                name = data[name_start:data.index(b"\0", name_start)].decode("ascii", "replace")
                if name in versions:
                    found.append((aux + 4, vna_flags))
                if vna_next == 0:
                    break
                aux += vna_next
            if vn_next == 0:
                break
            vn += vn_next
    return found


def main(argv):
    if len(argv) < 2:
        print("usage: glibcxx_weak.py FILE [VERSION ...]", file=sys.stderr)
        return 2
    path = argv[1]
    versions = set(argv[2:]) or {"GLIBCXX_3.4.32"}
    with open(path, "rb") as f:
        data = bytearray(f.read())
    entries = find_vernaux_flags(data, versions)
    todo = [(offset, flags) for offset, flags in entries if not flags & VER_FLG_WEAK]
    if not todo:
        return 0
    for offset, flags in todo:
        struct.pack_into("<H", data, offset, flags | VER_FLG_WEAK)
    st = os.stat(path)
    fd, tmp = tempfile.mkstemp(prefix=".weak-", dir=os.path.dirname(os.path.abspath(path)))
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        os.chmod(tmp, st.st_mode & 0o7777)
        os.utime(tmp, ns=(st.st_atime_ns, st.st_mtime_ns))
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
    print(f"glibcxx_weak: marked {len(todo)} version need(s) weak in {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
