#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""flatkernel: a bzImage that boots without decompressing itself.

    selftests/bochs/flatkernel.py BZIMAGE OUT
    selftests/bochs/flatkernel.py --elf BZIMAGE OUT

Bochs runs some 50 million instructions a second here; Debian's kernel
decompresses its XZ payload in about 5 billion. This keeps the bzImage's
real-mode setup code (so any boot loader that loads a bzImage, ISOLINUX in
the Bochs test machine, still does), and replaces its protected-mode part
(the decompressor and its payload) with flatkernel.S, assembled for this
kernel, followed by the kernel's loadable segments, decompressed here and
laid out by physical address. The setup header is patched to match: the
new size, a fixed load address, no 64-bit or EFI entry, the memory the
image needs. The kernel then runs at its link address (no KASLR).
Needs binutils (as, ld). Prints one line describing the result.

With --elf, OUT is the payload's kernel as a compact ELF vmlinux instead:
its loadable segments only, each with its trailing zeros left to memsz
(Debian's 63 MiB payload ELF becomes 34 MiB), and the physical entry
point, the form khv-vmm's --kernel boots without a decompressor (in the
Bochs machine, some 5 billion instructions fewer a boot).
"""

import lzma
import os
import struct
import subprocess
import sys
import tempfile
import zlib

HERE = os.path.dirname(os.path.abspath(__file__))
STUB = os.path.join(HERE, "flatkernel.S")
LOAD_ADDR = 0x100000
STUB_SIZE = 0x8000
PAGE = 4096
KERNEL_MAP = 0xffffffff80000000     # __START_KERNEL_map

# setup header offsets (Documentation/x86/boot.rst)
HDR_SETUP_SECTS = 0x1f1
HDR_SYSSIZE = 0x1f4
HDR_MAGIC = 0x202
HDR_VERSION = 0x206
HDR_CODE32_START = 0x214
HDR_RELOCATABLE = 0x234
HDR_XLOADFLAGS = 0x236
HDR_PAYLOAD = 0x248                 # payload_offset, payload_length
HDR_INIT_SIZE = 0x260
HDR_KERNEL_INFO = 0x268
XLF_ENTRIES = 0x1f                  # 64-bit entry, above 4G, EFI handovers


class FlatError(Exception):
    pass


def decompress(payload):
    """The payload's kernel ELF (XZ, as Debian builds it, or gzip)."""
    if payload[:6] == b"\xfd7zXZ\x00":
        return lzma.LZMADecompressor(format=lzma.FORMAT_XZ).decompress(payload)
    if payload[:2] == b"\x1f\x8b":
        return zlib.decompressobj(zlib.MAX_WBITS | 16).decompress(payload)
    raise FlatError(f"payload compression not supported (magic {payload[:4].hex()})")


def load_segments(elf):
    """[(paddr, file bytes, memsz)] of the PT_LOAD segments, and the entry."""
    if elf[:4] != b"\x7fELF" or elf[4] != 2 or elf[5] != 1:
        raise FlatError("the payload is not a 64-bit little-endian ELF")
    entry, phoff = struct.unpack_from("<QQ", elf, 24)
    phentsize, phnum = struct.unpack_from("<HH", elf, 54)
    segs = []
    for i in range(phnum):
        p_type, _, off, _, paddr, filesz, memsz, _ = struct.unpack_from(
            "<IIQQQQQQ", elf, phoff + i * phentsize)
        if p_type == 1:
            segs.append((paddr, elf[off:off + filesz], memsz))
    if not segs:
        raise FlatError("no loadable segment")
    if entry >= KERNEL_MAP:
        entry -= KERNEL_MAP
    return sorted(segs), entry


def flat_image(segs):
    """(image, base, end): the segments at their physical offsets from the
    lowest, trailing zeros cut, padded to a page; `end` where memory the
    kernel owns ends (its .bss and .brk included)."""
    base = segs[0][0]
    end = max(paddr + memsz for paddr, _, memsz in segs)
    image = bytearray(max(paddr + len(data) for paddr, data, _ in segs) - base)
    for paddr, data, _ in segs:
        image[paddr - base:paddr - base + len(data)] = data
    image = image.rstrip(b"\0")
    image += bytes(-len(image) % PAGE)
    end += -end % PAGE
    return bytes(image), base, end


def payload_elf(bz):
    """The kernel ELF inside bzImage bytes `bz`."""
    if bz[HDR_MAGIC:HDR_MAGIC + 4] != b"HdrS":
        raise FlatError("not a bzImage (no HdrS)")
    version = struct.unpack_from("<H", bz, HDR_VERSION)[0]
    if version < 0x20c:
        raise FlatError(f"boot protocol {version:#x} is older than 2.12")
    setup_len = ((bz[HDR_SETUP_SECTS] or 4) + 1) * 512
    off, length = struct.unpack_from("<II", bz, HDR_PAYLOAD)
    return decompress(bz[setup_len + off:setup_len + off + length]), version, setup_len


def compact_elf(bz):
    """(ELF bytes, description): the payload's PT_LOAD segments, trailing
    zeros cut from each (kept in memsz), after a fresh ELF header and
    program header table; the entry as a physical address."""
    segs, entry = load_segments(payload_elf(bz)[0])
    if not any(paddr <= entry < paddr + len(data) for paddr, data, _ in segs):
        raise FlatError(f"entry {entry:#x} is outside the image")
    phoff, phsize = 64, 56
    base = phoff + phsize * len(segs)       # where the segments' bytes start
    head = bytearray(b"\x7fELF\x02\x01\x01" + bytes(9))
    head += struct.pack("<HHIQQQIHHHHHH", 2, 62, 1, entry, phoff, 0, 0, 64,
                        phsize, len(segs), 0, 0, 0)
    phdrs, body = b"", bytearray()
    for paddr, data, memsz in segs:
        data = data.rstrip(b"\0")
        body += bytes(-(base + len(body)) % 16)
        phdrs += struct.pack("<IIQQQQQQ", 1, 7, base + len(body), paddr + KERNEL_MAP,
                             paddr, len(data), memsz, 16)
        body += data
    end = max(paddr + memsz for paddr, _, memsz in segs)
    what = (f"ELF, {len(segs)} segments at {segs[0][0]:#x}-{end:#x}, "
            f"entry {entry:#x}, {(base + len(body)) >> 20} MiB")
    return bytes(head) + phdrs + bytes(body), what


def assemble(defs):
    with tempfile.TemporaryDirectory() as tmp:
        obj, out = os.path.join(tmp, "stub.o"), os.path.join(tmp, "stub.bin")
        syms = [a for k, v in defs.items() for a in ("--defsym", f"{k}={v}")]
        subprocess.run(["as", "--64", "-o", obj, STUB] + syms, check=True)
        subprocess.run(["ld", "-m", "elf_x86_64", f"-Ttext={LOAD_ADDR:#x}",
                        "--oformat", "binary", "-o", out, obj], check=True)
        with open(out, "rb") as f:
            return f.read()


def flatten(bz):
    """The flat bzImage for bzImage bytes `bz`, and a description."""
    elf, version, setup_len = payload_elf(bz)
    segs, entry = load_segments(elf)
    image, base, end = flat_image(segs)
    if base < LOAD_ADDR + STUB_SIZE or base % (2 << 20):
        raise FlatError(f"kernel at {base:#x}: not above the stub, or not 2 MiB aligned")
    if not base <= entry < base + len(image):
        raise FlatError(f"entry {entry:#x} is outside the image")
    if end > 1 << 32:
        raise FlatError("the kernel does not fit below 4 GiB")
    stub = assemble({"IMAGE_SIZE": len(image), "KERNEL_PHYS": base,
                     "KERNEL_END": end, "ENTRY": entry})
    if len(stub) != STUB_SIZE:
        raise FlatError(f"the stub is {len(stub)} bytes, not {STUB_SIZE}")
    pm = stub + image
    setup = bytearray(bz[:setup_len])
    struct.pack_into("<I", setup, HDR_SYSSIZE, (len(pm) + 15) // 16)
    struct.pack_into("<I", setup, HDR_CODE32_START, LOAD_ADDR)
    setup[HDR_RELOCATABLE] = 0
    flags = struct.unpack_from("<H", setup, HDR_XLOADFLAGS)[0]
    struct.pack_into("<H", setup, HDR_XLOADFLAGS, flags & ~XLF_ENTRIES)
    struct.pack_into("<II", setup, HDR_PAYLOAD, 0, 0)
    # memory from the load address: the stub and image, and the kernel's
    # own span above it (the stub's copy runs into it)
    need = max(len(pm), end - LOAD_ADDR)
    struct.pack_into("<I", setup, HDR_INIT_SIZE, need + -need % PAGE)
    if version >= 0x20f:
        struct.pack_into("<I", setup, HDR_KERNEL_INFO, 0)
    what = (f"setup {setup_len} B, stub {len(stub)} B, kernel {len(image) >> 20} MiB "
            f"at {base:#x}-{end:#x}, entry {entry:#x}")
    return bytes(setup) + pm, what


def main(argv):
    make = flatten
    if argv[:1] == ["--elf"]:
        make, argv = compact_elf, argv[1:]
    if len(argv) != 2:
        print("\n".join(line.strip() for line in __doc__.splitlines()[2:4]),
              file=sys.stderr)
        return 2
    try:
        with open(argv[0], "rb") as f:
            out, what = make(f.read())
    except (OSError, FlatError, lzma.LZMAError, zlib.error,
            subprocess.CalledProcessError) as err:
        print(f"flatkernel: {argv[0]}: {err}", file=sys.stderr)
        return 1
    tmp = argv[1] + ".tmp"
    with open(tmp, "wb") as f:
        f.write(out)
    os.replace(tmp, argv[1])
    print(f"flatkernel: {argv[1]}: {what}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
