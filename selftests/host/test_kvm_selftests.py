#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Host-side tests of make check-kvm's logic: the plan (mkplan: the tests
table, programs that did not build, scripts, not-run entries), the verdict
(compare: every combination of stock and khv outcomes with and without an
expected-differences entry, stale entries, splats and hangs, runs cut
short, malformed inputs) and tap-summary's handling of TAP's TODO. Prints
TAP."""

import importlib.machinery
import importlib.util
import os
import subprocess
import sys
import tempfile

from taprun import run, test

HERE = os.path.dirname(os.path.abspath(__file__))
TOP = os.path.dirname(os.path.dirname(HERE))
KSEL = os.path.join(TOP, "selftests", "kvm-selftests")


def load(name, path):
    loader = importlib.machinery.SourceFileLoader(name, path)
    spec = importlib.util.spec_from_loader(name, loader)
    module = importlib.util.module_from_spec(spec)
    loader.exec_module(module)
    return module


mkplan = load("mkplan", os.path.join(KSEL, "mkplan"))
compare = load("compare", os.path.join(KSEL, "compare"))


def raises(exc, fn, *args):
    try:
        fn(*args)
    except exc as err:
        return err
    raise AssertionError(f"{fn.__name__} did not raise {exc.__name__}")


# ------------------------------------------------------------------ mkplan

PROGRAMS = """\
cpuid_test built x86_64/cpuid_test
dirty_log_test compat dirty_log_test
broken missing broken
slow built slow
helper built x86_64/helper
wrapper.sh script x86_64/wrapper.sh
"""

TESTS = """\
# comment
@timeout 120
dirty_log_test 240 -i 4   # a trailing comment
wrapper.sh 60 = wrap /kvm/helper
helper - run by wrapper.sh
slow - takes forever
"""


@test
def mkplan_runs_every_built_program_in_both_lanes():
    programs = mkplan.parse_programs(PROGRAMS)
    default, rows = mkplan.parse_tests(TESTS)
    text = mkplan.plan(programs, default, rows, ["stock", "khv"])
    lines = text.splitlines()
    stock, khv = lines.index("@lane stock"), lines.index("@lane khv kvm_compat=1")
    assert stock < khv
    body = lines[stock + 1:khv]
    assert body == [
        "cpuid_test 150 kvm-run 120 /kvm/cpuid_test",
        "dirty_log_test 270 kvm-run 240 /kvm/dirty_log_test -i 4",
        "wrapper.sh 90 kvm-run 60 wrap /kvm/helper",
    ], body
    assert lines[khv + 1:-1] == body
    assert lines[-1] == "khv_idle 30 khv-idle"


@test
def mkplan_says_why_a_program_does_not_run():
    programs = mkplan.parse_programs(PROGRAMS)
    default, rows = mkplan.parse_tests(TESTS)
    text = mkplan.plan(programs, default, rows, ["stock"])
    notes = [line for line in text.splitlines() if line.startswith("# not-run")]
    assert notes == ["# not-run broken did not build",
                     "# not-run slow takes forever",
                     "# not-run helper run by wrapper.sh"], notes


@test
def mkplan_refuses_bad_tables():
    programs = mkplan.parse_programs(PROGRAMS)
    for table, what in [
        ("dirty_log_test 10\n", "no @timeout"),
        ("@timeout 0\n", "zero timeout"),
        ("@timeout 10\nx 0\n", "zero test timeout"),
        ("@timeout 10\nx abc\n", "bad timeout"),
        ("@timeout 10\nx 5\nx 6\n", "listed twice"),
        ("@timeout 10\nx -\n", "not-run without a reason"),
        ("@timeout 10\nx 5 =\n", "= without a command"),
        ("@timeout 10\n../x 5\n", "bad name"),
    ]:
        err = raises(mkplan.TableError, mkplan.parse_tests, table)
        assert err, what
    # a name the build does not have, and a script without a command
    default, rows = mkplan.parse_tests("@timeout 10\nnot_built 5\n")
    raises(mkplan.TableError, mkplan.steps, programs, default, rows)
    default, rows = mkplan.parse_tests("@timeout 10\n")
    err = raises(mkplan.TableError, mkplan.steps, programs, default, rows)
    assert "wrapper.sh" in str(err), err
    raises(mkplan.TableError, mkplan.parse_programs, "two words\n")


@test
def the_real_table_matches_the_programs_of_the_6_1_selftests():
    # The table names only programs that 6.1's x86_64 selftests build.
    progs = "".join(f"{n} built x/{n}\n" for n in (
        "access_tracking_perf_test", "demand_paging_test", "dirty_log_perf_test",
        "kvm_page_table_test", "memslot_modification_stress_test", "dirty_log_test",
        "max_guest_memory_test", "memslot_perf_test", "rseq_test", "nx_huge_pages_test",
        "hardware_disable_test")) + "nx_huge_pages_test.sh script x/nx_huge_pages_test.sh\n"
    with open(os.path.join(KSEL, "tests")) as f:
        default, rows = mkplan.parse_tests(f.read())
    run_, not_run = mkplan.steps(mkplan.parse_programs(progs), default, rows)
    assert {n for n, _ in not_run} == {"nx_huge_pages_test", "hardware_disable_test"}
    assert len(run_) == 10


# ----------------------------------------------------------------- compare

PLAN = """\
# not-run skipped_prog too slow
@lane stock
a 150 kvm-run 120 /kvm/a
b 150 kvm-run 120 /kvm/b
@lane khv kvm_compat=1
a 150 kvm-run 120 /kvm/a
b 150 kvm-run 120 /kvm/b
khv_idle 30 khv-idle
"""


def result(outcome, num, name):
    """`ok # SKIP`, 3, stock/b -> `ok 3 stock/b # SKIP`"""
    verdict, _, directive = outcome.partition(" # ")
    return f"{verdict} {num} {name}" + (f" # {directive}" if directive else "")


def lanes_tap(stock_a, stock_b, khv_a, khv_b, idle="ok"):
    """What testvm prints for PLAN, each result given as `ok`, `ok # SKIP`,
    `not ok # rc=1` and the like."""
    return f"""\
TAP version 13
ok 1 lane-stock
    # Subtest: stock/a
    # kvm-run: 1.50 s rc=0
{result(stock_a, 2, "stock/a")}
    # Subtest: stock/b
    1..0 # SKIP - Requirement not met: kvm_has_cap(KVM_CAP_X)
    # kvm-run: 0.02 s rc=4
{result(stock_b, 3, "stock/b")}
ok 4 lane-khv
    # Subtest: khv/a
    ==== Test Assertion Failure ====
      lib/kvm_util.c:1446: !ret
      pid=9 tid=9 errno=25 - Inappropriate ioctl for device
    sh: addr2line: not found
      KVM_CREATE_IRQCHIP failed, rc: -1 errno: 25 (Inappropriate ioctl for device)
    # kvm-run: 0.10 s rc=254
{result(khv_a, 5, "khv/a")}
{result(khv_b, 6, "khv/b")}
{result(idle, 7, "khv/khv_idle")}
1..7
""".splitlines(True)


EXPECTED_A = "[pending]\na the reason\n"


def verdicts(tap):
    return [line for line in tap if line.startswith(("ok", "not ok"))]


@test
def judge_covers_every_combination():
    P, F, S = (compare.Outcome(s) for s in ("pass", "fail", "skip"))
    exp = ("pending", "why")
    cases = [
        (P, P, None, "ok"), (P, P, exp, "fail"),            # stale entry
        (P, F, None, "fail"), (P, F, exp, "todo"),
        (P, S, None, "fail"), (P, S, exp, "todo"),
        (F, P, None, "skip"), (F, F, exp, "skip"),
        (S, P, None, "skip"), (S, F, None, "skip"),
        (compare.Outcome("missing"), P, None, "fail"),
        (P, compare.Outcome("missing"), exp, "fail"),
        (P, compare.Outcome("fail", "rc=0, kernel splat"), exp, "fail"),
        (P, compare.Outcome("fail", "not run (machine hung in khv/x)"), exp, "fail"),
        (compare.Outcome("fail", "rc=0, kernel splat"), P, None, "fail"),
    ]
    for stock, khv, e, want in cases:
        got = compare.judge(stock, khv, e).status
        assert got == want, (stock.status, stock.reason, khv.status, khv.reason, e, got, want)


@test
def compare_passes_a_listed_difference_as_todo():
    rows, tap, failed, _ = compare.compare(PLAN, lanes_tap("ok", "ok # SKIP", "not ok # rc=254",
                                                        "ok # SKIP"), EXPECTED_A)
    v = verdicts(tap)
    assert v[0].startswith("not ok 1 kvm/a # TODO expected difference, pending: the reason"), v
    assert v[1].startswith("ok 2 kvm/b # SKIP skip on stock KVM"), v
    assert v[2].startswith("ok 3 kvm/skipped_prog # SKIP not run: too slow"), v
    assert v[3] == "ok 4 kvm/khv/khv_idle", v
    assert tap[-1] == "1..4" and not failed, (tap, failed)
    a = rows[0]
    assert a[1].seconds == 1.5 and a[2].seconds == 0.1
    assert a[2].detail == ("lib/kvm_util.c:1446: !ret: KVM_CREATE_IRQCHIP failed, rc: -1 "
                           "errno: 25 (Inappropriate ioctl for device)"), a[2].detail
    assert rows[1][1].detail == "Requirement not met: kvm_has_cap(KVM_CAP_X)", rows[1][1].detail


@test
def compare_fails_an_unlisted_difference_and_a_stale_entry():
    _, tap, failed, _ = compare.compare(PLAN, lanes_tap("ok", "ok", "not ok # rc=1", "ok # SKIP"),
                                     "[s]\n")
    assert [f.split(" # ")[0] for f in failed] == ["not ok 1 kvm/a", "not ok 2 kvm/b"], failed
    _, tap, failed, _ = compare.compare(PLAN, lanes_tap("ok", "ok # SKIP", "ok", "ok"), EXPECTED_A)
    assert len(failed) == 1 and "stale expectation" in failed[0], failed


@test
def compare_fails_a_run_cut_short_and_machine_trouble():
    short = [line for line in lanes_tap("ok", "ok", "ok", "ok") if "khv/b" not in line
             and "khv_idle" not in line]
    _, _, failed, _ = compare.compare(PLAN, short, "[s]\n")
    assert any("kvm/b # not run in khv" in f for f in failed), failed
    assert any("kvm/khv/khv_idle # not run" in f for f in failed), failed
    tap = lanes_tap("ok", "ok", "ok", "ok", idle="not ok # rc=1")
    tap.insert(1, "not ok 99 boot # the machine did not boot\n")
    _, _, failed, _ = compare.compare(PLAN, tap, "[s]\n")
    assert any("kvm/khv/khv_idle" in f for f in failed), failed
    assert any("kvm/boot" in f for f in failed), failed


@test
def compare_refuses_bad_expectations():
    for text in ["a reason before any section\n", "[s]\na\n", "[s]\na   \n",
                 "[s]\na one\na two\n"]:
        raises(compare.InputError, compare.parse_expected, text)
    # an entry naming no test of the build fails the run
    _, _, failed, _ = compare.compare(PLAN, lanes_tap("ok", "ok", "ok", "ok"),
                                   "[s]\nno_such_test why\n")
    assert any("kvm/expected/no_such_test" in f for f in failed), failed
    # the programs that do not run are known names, but listing one is wrong
    _, _, failed, _ = compare.compare(PLAN, lanes_tap("ok", "ok", "ok", "ok"),
                                   "[s]\nskipped_prog why\n")
    assert any("kvm/skipped_prog" in f for f in failed), failed


@test
def the_real_expectations_parse_with_a_reason_each():
    with open(os.path.join(KSEL, "expected-differences")) as f:
        entries = compare.parse_expected(f.read())
    # the file is read whole, not cut short by a parse slip: it names the
    # permanent differences, and every section says which kind it is
    # (pending entries leave as khv closes them, so their count is not fixed)
    assert entries
    sections = {section for section, _ in entries.values()}
    assert all(s.startswith(("pending", "permanent")) for s in sections), sections
    assert any(s.startswith("permanent") for s in sections), sections
    assert "hyperv_cpuid" in entries and "smm_test" in entries, sorted(entries)
    assert all(len(reason) > 10 for _, reason in entries.values())


@test
def compare_cli_writes_the_verdict_and_exits_by_it():
    with tempfile.TemporaryDirectory() as d:
        paths = {}
        for name, text in [("plan", PLAN), ("exp", EXPECTED_A),
                           ("lanes", "".join(lanes_tap("ok", "ok", "not ok # rc=1", "ok")))]:
            paths[name] = os.path.join(d, name)
            with open(paths[name], "w") as f:
                f.write(text)
        out, md = os.path.join(d, "v.tap"), os.path.join(d, "v.md")
        r = subprocess.run([os.path.join(KSEL, "compare"), paths["plan"], paths["lanes"],
                            paths["exp"], "--tap", out, "--markdown", md],
                           capture_output=True, text=True)
        assert r.returncode == 0, r.stdout + r.stderr
        assert "1 pass on both, 1 expected differences" in r.stdout, r.stdout
        with open(md) as f:
            table = f.read()
        assert ("| `a` | pass | 1.5 | FAIL (rc=1) | 0.1 | todo | pending: the reason |"
                in table), table
        with open(paths["exp"], "w") as f:
            f.write("[s]\n")
        r = subprocess.run([os.path.join(KSEL, "compare"), paths["plan"], paths["lanes"],
                            paths["exp"], "--tap", out], capture_output=True, text=True)
        assert r.returncode == 1, r.stdout
        summary = subprocess.run([os.path.join(TOP, "scripts", "tap-summary"), out],
                                 capture_output=True, text=True)
        assert summary.returncode == 1, summary.stdout


# ----------------------------------------------------------------- kvm-run

def kvm_run(*argv):
    return subprocess.run([os.path.join(KSEL, "kvm-run"), *argv], capture_output=True,
                          text=True, timeout=30)


def alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    with open(f"/proc/{pid}/stat") as f:
        return f.read().split(")")[-1].split()[0] != "Z"


@test
def kvm_run_times_the_test_and_keeps_its_exit_status():
    r = kvm_run("5", "sh", "-c", "exit 4")
    assert r.returncode == 4, r
    last = r.stdout.strip().splitlines()[-1]
    m = compare.DURATION_RE.match("    " + last)
    assert m and m.group(2) == "4", last
    assert kvm_run("5", "true").returncode == 0
    assert kvm_run("x", "true").returncode == 2


@test
def kvm_run_kills_what_the_test_left_behind_and_stops_it_at_its_timeout():
    with tempfile.TemporaryDirectory() as d:
        pidfile = os.path.join(d, "pid")
        r = kvm_run("5", "sh", "-c", f"sleep 60 & echo $! > {pidfile}; exit 0")
        assert r.returncode == 0, r
        with open(pidfile) as f:
            left = int(f.read())
        assert not alive(left), "the test's background child outlived it"
        r = kvm_run("1", "sh", "-c", f"sleep 60 & echo $! > {pidfile}; sleep 60")
        assert r.returncode == 137, r
        assert "timeout: killing the test after 1 s" in r.stdout, r.stdout
        with open(pidfile) as f:
            left = int(f.read())
        assert not alive(left), "the timed-out test's child outlived it"


# ------------------------------------------------------------- tap-summary

@test
def tap_summary_counts_todo_as_expected_failures():
    with tempfile.TemporaryDirectory() as d:
        path = os.path.join(d, "t.tap")
        with open(path, "w") as f:
            f.write("TAP version 13\nok 1 a\nnot ok 2 b # TODO later\nok 3 c # SKIP no\n"
                    "    not ok 1 indented\n1..3\n")
        r = subprocess.run([os.path.join(TOP, "scripts", "tap-summary"), path],
                           capture_output=True, text=True)
        assert r.returncode == 0, r.stdout
        assert r.stdout.strip() == "1 passed, 0 failed, 1 skipped, 1 expected failures", r.stdout
        with open(path, "a") as f:
            f.write("not ok 4 d # todo-ish is not a directive\n")
        r = subprocess.run([os.path.join(TOP, "scripts", "tap-summary"), path],
                           capture_output=True, text=True)
        assert r.returncode == 1 and "1 failed" in r.stdout, r.stdout


@test
def tap_summary_counts_nested_todo():
    with tempfile.TemporaryDirectory() as d:
        path = os.path.join(d, "t.tap")
        with open(path, "w") as f:
            f.write("TAP version 13\n    not ok 9 case # TODO fails on stock too\n"
                    "    ok 10 other\nok 1 a\n    not ok 1 real failure\nok 2 b\n1..2\n")
        r = subprocess.run([os.path.join(TOP, "scripts", "tap-summary"), path],
                           capture_output=True, text=True)
        assert r.returncode == 0, r.stdout
        assert r.stdout.strip() == "2 passed, 0 failed, 0 skipped, 1 expected failures", r.stdout



@test
def tap_summary_says_why_a_test_failed():
    with tempfile.TemporaryDirectory() as d:
        path = os.path.join(d, "t.tap")
        with open(path, "w") as f:
            f.write("TAP version 13\n    # Subtest: a\n    ok 1 one\nok 1 a\n"
                    "    # Subtest: b\n    ok 1 one\n    # noise 1\n    # noise 2\n"
                    "    # the reason\n    # more reason\n    not ok 2 two # rc=1\n"
                    "    ok 3 three\n    1..3\nnot ok 2 b # rc=1\n"
                    "    # Subtest: c\n    # only this\nnot ok 3 c # rc=137\n1..3\n")
        r = subprocess.run([os.path.join(TOP, "scripts", "tap-summary"), path],
                           capture_output=True, text=True)
        assert r.returncode == 1, r.stdout
        want = [f"FAILED {path}: not ok 2 b # rc=1",
                "    # noise 2", "    # the reason", "    # more reason",
                "    not ok 2 two # rc=1",
                f"FAILED {path}: not ok 3 c # rc=137",
                "    # Subtest: c", "    # only this",
                "1 passed, 2 failed, 0 skipped"]
        assert r.stdout.splitlines() == want, r.stdout


if __name__ == "__main__":
    sys.exit(run())
