# SPDX-License-Identifier: GPL-2.0
"""The host unit tests' runner: @test collects a function, run() calls each
and prints TAP (a failure's traceback as diagnostics, then the rest go on)."""

import traceback

TESTS = []


def test(fn):
    TESTS.append(fn)
    return fn


def run(skip=None):
    """Every collected test as TAP; `skip`: a reason to skip them all. Exit status."""
    print("TAP version 13")
    if skip:
        print(f"1..0 # SKIP {skip}")
        return 0
    print(f"1..{len(TESTS)}")
    failed = 0
    for num, fn in enumerate(TESTS, 1):
        try:
            fn()
            print(f"ok {num} - {fn.__name__}")
        except Exception:  # report every failure, keep going
            failed += 1
            for line in traceback.format_exc().splitlines():
                print("# " + line)
            print(f"not ok {num} - {fn.__name__}")
    return 1 if failed else 0
