#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Host-side tests of selftests/bochs/flatkernel.py: a made-up bzImage
(a setup header and an XZ or gzip payload holding a small ELF with a gap
between its segments, .bss past the file, a virtual entry address) made
flat, checked byte for byte (setup header fields, the stub's size and the
image at each segment's physical offset); payloads it must refuse; and,
where the machine has one, Debian's own kernel. Prints TAP."""

import glob
import gzip
import lzma
import os
import struct
import sys

from taprun import run, test

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "bochs"))
import flatkernel as fk  # noqa: E402

KBASE = 0x1000000


def elf(segments, entry):
    """A 64-bit ELF with PT_LOAD segments [(paddr, data, memsz)]."""
    phoff, phsize = 64, 56
    data_off = phoff + phsize * len(segments)
    head = bytearray(b"\x7fELF\x02\x01\x01" + bytes(9))
    head += struct.pack("<HHIQQQIHHHHHH", 2, 62, 1, entry, phoff, 0, 0, 64,
                        phsize, len(segments), 0, 0, 0)
    body, phdrs = b"", b""
    for paddr, data, memsz in segments:
        phdrs += struct.pack("<IIQQQQQQ", 1, 5, data_off + len(body),
                             (paddr + 0xffffffff80000000) % (1 << 64), paddr, len(data),
                             memsz, 4096)
        body += data
    return bytes(head) + phdrs + body


def bzimage(payload, version=0x20f, setup_sects=3, xloadflags=0x7f):
    setup = bytearray((setup_sects + 1) * 512)
    setup[fk.HDR_SETUP_SECTS] = setup_sects
    setup[fk.HDR_MAGIC:fk.HDR_MAGIC + 4] = b"HdrS"
    struct.pack_into("<H", setup, fk.HDR_VERSION, version)
    setup[fk.HDR_RELOCATABLE] = 1
    struct.pack_into("<H", setup, fk.HDR_XLOADFLAGS, xloadflags)
    struct.pack_into("<I", setup, fk.HDR_KERNEL_INFO, 0x1234)
    decomp = b"\x90" * 0x300          # the decompressor's place
    struct.pack_into("<II", setup, fk.HDR_PAYLOAD, len(decomp), len(payload))
    return bytes(setup) + decomp + payload + struct.pack("<I", 0)


SEGS = [(KBASE, b"\x11" * 5000, 5000),
        (KBASE + 0x3000, b"\x22" * 100 + b"\0" * 50, 0x2000)]   # gap, .bss


def check_flat(out, bz, segs, entry):
    setup_len = (bz[fk.HDR_SETUP_SECTS] + 1) * 512
    assert out[:setup_len][:fk.HDR_SYSSIZE] == bz[:fk.HDR_SYSSIZE]
    pm = out[setup_len:]
    assert struct.unpack_from("<I", out, fk.HDR_SYSSIZE)[0] == (len(pm) + 15) // 16
    assert struct.unpack_from("<I", out, fk.HDR_CODE32_START)[0] == 0x100000
    assert out[fk.HDR_RELOCATABLE] == 0
    assert struct.unpack_from("<H", out, fk.HDR_XLOADFLAGS)[0] & fk.XLF_ENTRIES == 0
    assert struct.unpack_from("<II", out, fk.HDR_PAYLOAD) == (0, 0)
    end = max(p + m for p, _, m in segs)
    init_size = struct.unpack_from("<I", out, fk.HDR_INIT_SIZE)[0]
    assert init_size % 4096 == 0 and init_size >= end - 0x100000, hex(init_size)
    assert pm[0] == 0xfa, "the stub starts with CLI"
    image = pm[fk.STUB_SIZE:]
    assert len(image) % 4096 == 0
    for paddr, data, _ in segs:
        got = image[paddr - KBASE:paddr - KBASE + len(data)]
        want = data[:len(got)]
        assert got == want and data[len(got):].strip(b"\0") == b"", hex(paddr)
    # the ENTRY the stub was built for: "mov $ENTRY, %eax" in its 64-bit tail
    assert struct.pack("<BI", 0xb8, entry) in pm[:0x1000]


@test
def xz_payload_with_gap_and_bss():
    bz = bzimage(lzma.compress(elf(SEGS, 0xffffffff81000000),
                               format=lzma.FORMAT_XZ, check=lzma.CHECK_CRC32))
    out, what = fk.flatten(bz)
    check_flat(out, bz, SEGS, KBASE)
    assert "at 0x1000000-0x1005000" in what, what


@test
def gzip_payload_physical_entry():
    bz = bzimage(gzip.compress(elf(SEGS, KBASE + 0x10)))
    out, _ = fk.flatten(bz)
    check_flat(out, bz, SEGS, KBASE + 0x10)


@test
def kernel_info_kept_before_2_15():
    bz = bzimage(gzip.compress(elf(SEGS, KBASE)), version=0x20d)
    out, _ = fk.flatten(bz)
    assert struct.unpack_from("<I", out, fk.HDR_KERNEL_INFO)[0] == 0x1234


@test
def compact_elf_segments():
    bz = bzimage(lzma.compress(elf(SEGS, 0xffffffff81000010),
                               format=lzma.FORMAT_XZ, check=lzma.CHECK_CRC32))
    out, what = fk.compact_elf(bz)
    assert out[:7] == b"\x7fELF\x02\x01\x01"
    assert struct.unpack_from("<HH", out, 16) == (2, 62)      # ET_EXEC, x86-64
    entry, phoff = struct.unpack_from("<QQ", out, 24)
    assert entry == KBASE + 0x10, hex(entry)
    phnum = struct.unpack_from("<H", out, 56)[0]
    assert phnum == len(SEGS)
    for i, (paddr, data, memsz) in enumerate(SEGS):
        p_type, _, off, _, p_paddr, filesz, p_memsz, _ = struct.unpack_from(
            "<IIQQQQQQ", out, phoff + 56 * i)
        assert (p_type, p_paddr, p_memsz) == (1, paddr, memsz)
        # the file part without its trailing zeros (memsz keeps them)
        assert out[off:off + filesz] == data.rstrip(b"\0")
    assert "2 segments at 0x1000000-0x1005000" in what, what


def refused(bz, text):
    try:
        fk.flatten(bz)
    except fk.FlatError as err:
        assert text in str(err), str(err)
        return
    raise AssertionError(f"accepted; wanted an error with {text!r}")


@test
def refusals():
    good = elf(SEGS, KBASE)
    refused(b"\0" * 4096, "not a bzImage")
    refused(bzimage(gzip.compress(good), version=0x20b), "older than 2.12")
    refused(bzimage(b"BZh91AY&SY" + bytes(20)), "not supported")
    refused(bzimage(gzip.compress(b"\x7fELF\x01\x01" + bytes(100))), "64-bit")
    refused(bzimage(gzip.compress(elf([(0x80000, b"x", 1)], 0x80000))), "2 MiB aligned")
    refused(bzimage(gzip.compress(elf(SEGS, KBASE + 0x100000))), "outside the image")
    try:
        fk.compact_elf(bzimage(gzip.compress(elf(SEGS, KBASE + 0x100000))))
        raise AssertionError("compact_elf accepted an entry outside the segments")
    except fk.FlatError as err:
        assert "outside the image" in str(err), str(err)
    refused(bzimage(gzip.compress(elf([(0xfffe00000, b"x", 0x400000)], 0xfffe00000))),
            "below 4 GiB")


@test
def debian_kernel():
    kernels = sorted(glob.glob("/boot/vmlinuz-*"))
    if not kernels:
        return
    with open(kernels[-1], "rb") as f:
        bz = f.read()
    out, what = fk.flatten(bz)
    assert struct.unpack_from("<I", out, fk.HDR_CODE32_START)[0] == 0x100000
    assert "at 0x1000000-" in what and "entry 0x1000000" in what, what
    out, what = fk.compact_elf(bz)
    assert struct.unpack_from("<Q", out, 24)[0] == 0x1000000, what


if __name__ == "__main__":
    sys.exit(run())
