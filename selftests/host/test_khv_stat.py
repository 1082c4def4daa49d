#!/usr/bin/env python3
"""Host-side tests of tools/khv-stat against a made-up debugfs tree: stats
files in KVM's binary format written here (VM and vCPUs, counters that
move between two samples), then what khv-stat prints from them (--json
rates and values, --once's table, sorting) and how it takes broken files
(short, absurd header fields, offsets past the end). Prints TAP.

    test_khv_stat.py [PATH-TO-khv-stat]   (default build/khv-stat)"""

import json
import os
import struct
import subprocess
import sys
import tempfile
import threading
import time

from taprun import run, test

HERE = os.path.dirname(os.path.abspath(__file__))
TOP = os.path.dirname(os.path.dirname(HERE))
TOOL = sys.argv[1] if len(sys.argv) > 1 else os.path.join(TOP, "build", "khv-stat")
NAME_SIZE = 48
CUMULATIVE, INSTANT = 0x0, 0x1
SECONDS = 0x2 << 4

def stats_file(id_str, stats):
    """The bytes of a stats file: stats is [(name, flags, exponent, value)]."""
    header_size, desc_size = 24, 16 + NAME_SIZE
    desc_offset = header_size + NAME_SIZE
    data_offset = desc_offset + len(stats) * desc_size
    out = struct.pack("<6I", 0, NAME_SIZE, len(stats), header_size, desc_offset, data_offset)
    out += id_str.encode().ljust(NAME_SIZE, b"\0")
    for i, (name, flags, exp, _) in enumerate(stats):
        out += struct.pack("<IhHII", flags, exp, 1, i * 8, 0) + name.encode().ljust(NAME_SIZE, b"\0")
    for _, _, _, value in stats:
        out += struct.pack("<Q", value)
    return out


def vcpu_stats(exits_io, exits_hlt, guest_ns):
    return [("runs", CUMULATIVE, 0, 1), ("exits", CUMULATIVE, 0, exits_io + exits_hlt),
            ("exits_io", CUMULATIVE, 0, exits_io), ("exits_hlt", CUMULATIVE, 0, exits_hlt),
            ("exits_shutdown", CUMULATIVE, 0, 0),
            ("guest_time_ns", CUMULATIVE | SECONDS, -9, guest_ns)]


def write(path, data):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path + ".tmp", "wb") as f:
        f.write(data)
    os.replace(path + ".tmp", path)


def make_tree(top, pid=4242, fd=7, scale=0):
    vm = os.path.join(top, "khv", "vm", f"{pid}-{fd}")
    write(os.path.join(vm, "stats"), stats_file(f"kvm-{pid}", [
        ("remote_tlb_flush", CUMULATIVE, 0, 3), ("pages_pinned", INSTANT, 0, 2560)]))
    write(os.path.join(vm, "vcpu0", "stats"),
          stats_file(f"kvm-{pid}/vcpu-0", vcpu_stats(1000 + scale * 500, 10, scale * 10**8)))
    write(os.path.join(vm, "vcpu1", "stats"),
          stats_file(f"kvm-{pid}/vcpu-1", vcpu_stats(5 + scale * 50, 1 + scale * 300, 0)))
    return vm


def run_tool(*args, timeout=20):
    return subprocess.run([TOOL, *args], capture_output=True, text=True, timeout=timeout)


def moving(top, delay=0.5):
    """Rewrite the counters a little after khv-stat's first sample."""
    def later():
        time.sleep(delay)
        make_tree(top, scale=1)
    t = threading.Thread(target=later)
    t.start()
    return t


@test
def json_values_and_rates():
    with tempfile.TemporaryDirectory() as top:
        make_tree(top)
        t = moving(top)
        out = run_tool("--once", "--json", "-d", "1", "--debugfs", top)
        t.join()
        assert out.returncode == 0, out
        doc = json.loads(out.stdout)
        [vm] = doc["vms"]
        assert (vm["pid"], vm["fd"]) == (4242, 7), vm
        assert vm["stats"]["pages_pinned"] == 2560, vm
        assert "pages_pinned" not in vm["per_second"], "an instant value got a rate"
        v0 = {v["id"]: v for v in vm["vcpus"]}[0]
        assert v0["stats"]["exits_io"] == 1500, v0
        # 500 I/O exits and 0.1 s in guest mode over khv-stat's interval:
        # rates are per its measured interval (1 s, more on a busy machine)
        dt = doc["interval"]
        assert 0.9 < dt < 5, doc
        assert abs(v0["per_second"]["exits_io"] * dt - 500) < 1, (dt, v0["per_second"])
        assert abs(v0["per_second"]["guest_time_ns"] * dt - 1e8) < 1e6, v0["per_second"]


@test
def table_rows_and_sorting():
    with tempfile.TemporaryDirectory() as top:
        make_tree(top)
        t = moving(top)
        out = run_tool("--once", "-d", "1", "-s", "hlt", "--debugfs", top)
        t.join()
        assert out.returncode == 0, out
        lines = out.stdout.splitlines()
        assert "sorted by hlt" in lines[0] and "VMs: 1  vCPUs: 2" in lines[0], lines
        assert lines[1].split()[:3] == ["VM/VCPU", "COMMAND", "EXITS/s"], lines
        assert lines[2].startswith("4242-7 "), lines
        # vCPU 1 made the HLT exits: first when sorted by hlt
        assert lines[3].split()[0] == "vcpu1" and lines[4].split()[0] == "vcpu0", lines
        assert float(lines[2].split()[-1]) == 10.0, lines[2]   # 2560 pages = 10 MiB


@test
def no_vms_and_missing_tree():
    with tempfile.TemporaryDirectory() as top:
        os.makedirs(os.path.join(top, "khv", "vm"))
        out = run_tool("--once", "-d", "0.1", "--debugfs", top)
        assert out.returncode == 0 and "(no khv VMs)" in out.stdout, out
        out = run_tool("--once", "--json", "-d", "0.1", "--debugfs", top)
        assert json.loads(out.stdout)["vms"] == [], out
        out = run_tool("--once", "--debugfs", os.path.join(top, "absent"))
        assert out.returncode == 1 and "cannot read" in out.stderr, out


@test
def broken_files_do_not_break_it():
    good = stats_file("kvm-1", vcpu_stats(1, 1, 1))
    header = bytearray(good[:24])
    huge_desc = bytearray(header)
    struct.pack_into("<I", huge_desc, 8, 0xffffffff)          # num_desc
    bad_name = bytearray(good)
    struct.pack_into("<I", bad_name, 4, 0xffffffff)           # name_size
    past_end = bytearray(good)
    struct.pack_into("<I", past_end, 16, 1 << 30)             # desc_offset
    far_offset = bytearray(good)
    struct.pack_into("<I", far_offset, 72 + 8, 0xfffffff8)    # first desc's offset
    unterminated = bytearray(good)
    unterminated[72 + 16:72 + 16 + NAME_SIZE] = b"x" * NAME_SIZE
    for name, data in [("empty", b""), ("header_only", bytes(header)),
                       ("huge_num_desc", bytes(huge_desc)), ("huge_name_size", bytes(bad_name)),
                       ("desc_past_end", bytes(past_end)), ("far_offset", bytes(far_offset)),
                       ("unterminated_name", bytes(unterminated)), ("truncated", good[:-5])]:
        with tempfile.TemporaryDirectory() as top:
            vm = make_tree(top)
            write(os.path.join(vm, "vcpu1", "stats"), data)
            out = run_tool("--once", "--json", "-d", "0.1", "--debugfs", top)
            assert out.returncode == 0, (name, out)
            doc = json.loads(out.stdout)   # still valid JSON
            assert doc["vms"][0]["pid"] == 4242, (name, doc)


if __name__ == "__main__":
    sys.exit(run(None if os.access(TOOL, os.X_OK) else f"no {TOOL} (make khv-stat)"))
