#!/usr/bin/env python3
"""Host-side unit tests of selftests/testvm's pure logic; prints TAP."""

import contextlib
import importlib.machinery
import importlib.util
import io
import os
import sys
import tempfile

from taprun import run, test

HERE = os.path.dirname(os.path.abspath(__file__))
TESTVM_PATH = os.path.join(os.path.dirname(HERE), "testvm")


def load_testvm():
    loader = importlib.machinery.SourceFileLoader("testvm", TESTVM_PATH)
    spec = importlib.util.spec_from_loader("testvm", loader)
    module = importlib.util.module_from_spec(spec)
    loader.exec_module(module)
    return module


tv = load_testvm()


def raises(exc, fn, *args):
    try:
        fn(*args)
    except exc as err:
        return err
    raise AssertionError(f"{fn.__name__} did not raise {exc.__name__}")


# ------------------------------------------------------------------ plans

PLAN = """\
# comment

first 5 echo one
@lane stock nested=0
kvm 30 test -c $KHV_DEVICE && echo "a  b"   # not a comment
@lane khv foo=1 bar=x,y
@lane none
last 7 sh -c 'exit 4'
"""


@test
def plan_parses_lanes_tests_and_numbers():
    steps = tv.parse_plan(PLAN, "none")
    assert [s.name for s in steps] == [
        "lane-none", "none/first", "lane-stock", "stock/kvm", "lane-khv",
        "lane-none", "none/last"], [s.name for s in steps]
    assert [s.seq for s in steps] == list(range(1, 8))
    assert steps[2].params == ("nested=0",)
    assert steps[4].params == ("foo=1", "bar=x,y")
    assert steps[3].timeout == 30
    assert steps[3].cmd == 'test -c $KHV_DEVICE && echo "a  b"   # not a comment'
    assert steps[0].timeout == tv.LANE_TIMEOUT


@test
def plan_initial_lane_only_before_first_test():
    steps = tv.parse_plan("@lane stock\nx 1 true\n", "khv")
    assert [s.name for s in steps] == ["lane-stock", "stock/x"]
    assert tv.parse_plan("# nothing\n", "khv") == []


@test
def plan_errors_name_the_line():
    for bad in ("x 0 true", "x five true", "x 5", "@lane kvm", "@lane",
                "@lane none a=1", "@lane stock nested", "b@d 5 true", "@other stock"):
        err = raises(tv.UsageError, tv.parse_plan, "# c\n" + bad, "none")
        assert str(err).startswith("plan line 2:"), (bad, str(err))


@test
def command_plan_quotes_and_names():
    steps = tv.command_plan(["/bin/sh", "-c", "ls -l /dev/kvm; echo 'x'"], "stock", 120)
    assert [s.name for s in steps] == ["lane-stock", "stock/sh"]
    assert steps[1].cmd == "/bin/sh -c 'ls -l /dev/kvm; echo '\"'\"'x'\"'\"''"
    assert steps[1].timeout == 120
    raises(tv.UsageError, tv.command_plan, ["echo", "a\nb"], "none", 5)


@test
def init_plan_format():
    text = tv.init_plan(tv.parse_plan(PLAN, "none"))
    lines = text.splitlines()
    assert lines[0] == "L 1 none"
    assert lines[1] == "T 2 5 none/first echo one"
    assert lines[4] == "L 5 khv foo=1 bar=x,y"
    assert text.endswith("\n")


@test
def kver_from_depends():
    assert tv.kver_from_depends("linux-image-6.1.0-56-amd64 (= 6.1.192-2)") == "6.1.0-56-amd64"
    assert tv.kver_from_depends("linux-image-6.1.0-9-amd64-unsigned (= 1)") == "6.1.0-9-amd64"
    raises(tv.UsageError, tv.kver_from_depends, "linux-base")


# ------------------------------------- another kernel (--kernel, --modules-dir)

def fake_bzimage(version, ptr=0x300, magic=b"HdrS"):
    """The first bytes of a bzImage: setup header magic, and the
    kernel_version pointer to `version` (0x200 + ptr)."""
    image = bytearray(0x1000)
    image[0x202:0x206] = magic
    image[0x20e:0x210] = ptr.to_bytes(2, "little")
    image[0x200 + ptr:0x200 + ptr + len(version) + 1] = version + b"\0"
    return bytes(image)


@test
def bzimage_version_from_setup_header():
    head = fake_bzimage(b"6.1.192-khvdebug (root@host) #1 SMP PREEMPT_DYNAMIC")
    assert tv.bzimage_version(head) == "6.1.192-khvdebug"
    raises(tv.UsageError, tv.bzimage_version, fake_bzimage(b"6.1", magic=b"MZ\0\0"))
    raises(tv.UsageError, tv.bzimage_version, fake_bzimage(b"", ptr=0))
    raises(tv.UsageError, tv.bzimage_version, fake_bzimage(b" "))


def quiet_parse(argv):
    with contextlib.redirect_stderr(io.StringIO()):
        return tv.parse_args(argv)


@test
def another_kernel_and_its_modules():
    with tempfile.TemporaryDirectory() as tmp:
        image = os.path.join(tmp, "bzImage")
        with open(image, "wb") as f:
            f.write(fake_bzimage(b"6.1.192-khvdebug (root@host) #1 SMP"))
        mods = os.path.join(tmp, "lib", "modules", "6.1.192-khvdebug")
        os.makedirs(mods)
        args = quiet_parse(["--kernel", image, "--modules-dir", mods, "--", "true"])
        tv.machine_kernel(args)
        assert (args.kver, args.kernel, args.modules_dir) == ("6.1.192-khvdebug", image, mods)
        assert tv.stock_module_paths(mods)[1] == os.path.join(mods, "kernel/arch/x86/kvm/kvm.ko")
        args.monitor, args.append = "/tmp/m", ""
        cmd = tv.qemu_command(args, "/tmp/initrd")
        assert cmd[cmd.index("-kernel") + 1] == image
        # --kver wins over the image's own version; modules default to its dir.
        args = quiet_parse(["--kernel", image, "--kver", "other", "--", "true"])
        tv.machine_kernel(args)
        assert (args.kver, args.modules_dir) == ("other", "/lib/modules/other")
        for bad in (["--kernel", os.path.join(tmp, "none")], ["--modules-dir", image]):
            raises(SystemExit, quiet_parse, bad + ["--", "true"])
    # Without --kernel: the stock kernel of that version, as before.
    args = quiet_parse(["--kver", "0.0-none", "--", "true"])
    err = raises(tv.UsageError, tv.machine_kernel, args)
    assert str(err) == "no /boot/vmlinuz-0.0-none", str(err)
    assert args.modules_dir == "/lib/modules/0.0-none"


# --------------------------------------------------------- console stream

def feed_all(chunks):
    console = tv.Console()
    lines = []
    for chunk in chunks:
        lines += console.feed(chunk)
    return lines + console.flush()


@test
def console_partial_chunks_and_crlf():
    data = b"hello\r\nwor" , b"ld\r\n@@KHV@@ IN", b"IT\r\ntail"
    assert feed_all(data) == ["hello", "world", "@@KHV@@ INIT", "tail"]


@test
def console_rejoins_line_split_by_kernel():
    data = [b"@@KHV@@ EN[    5.123456] kvm: hello\r\n", b"D 3 x rc=0\r\n"]
    assert feed_all(data) == ["[    5.123456] kvm: hello", "@@KHV@@ END 3 x rc=0"]
    data = [b"ab[    1.000000] one\r\n[    1.000001] two\r\ncd\r\n"]
    assert feed_all(data) == ["[    1.000000] one", "[    1.000001] two", "abcd"]


@test
def console_keeps_kernel_and_dmesg_lines_whole():
    data = [b"[    1.000000] foo [mem 0x1-0x2]\n", b"  [    2.000000] indented\n",
            b"[    3.000000] dmesg li[    9.000000] live\nne\n"]
    assert feed_all(data) == ["[    1.000000] foo [mem 0x1-0x2]", "  [    2.000000] indented",
                              "[    9.000000] live", "[    3.000000] dmesg line"]


@test
def markers_parse():
    assert tv.parse_marker("@@KHV@@ INIT") == ("", tv.Marker("INIT"))
    assert tv.parse_marker("@@KHV@@ BEGIN 4 stock/x") == ("", tv.Marker("BEGIN", 4, "stock/x"))
    assert tv.parse_marker("out@@KHV@@ END 4 stock/x rc=137") == \
        ("out", tv.Marker("END", 4, "stock/x", 137))
    for junk in ("@@KHV@@ END 4 x", "@@KHV@@ BEGIN x y", "@@KHV@@ DONE now", "@@KHV@@"):
        assert tv.parse_marker(junk) == (junk, None), junk


# ----------------------------------------------------------------- splats

WARN = [
    "[   10.000000] ------------[ cut here ]------------",
    "[   10.000001] WARNING: CPU: 0 PID: 1 at kvm_main.c:1 f+0x1/0x2 [kvm]",
    "[   10.000002] Modules linked in: kvm",
    "[   10.000003] Oops: nested keyword inside the splat",
    "[   10.000004] ---[ end trace 0000000000000000 ]---",
    "[   10.000005] after",
]


def scan_all(scanner, lines):
    return [s for s in (scanner.scan(line) for line in lines) if s]


@test
def splat_captured_through_end_trace():
    splats = scan_all(tv.SplatScanner(), WARN)
    assert len(splats) == 1
    assert splats[0].lines == WARN[1:5]


@test
def splat_patterns():
    for text in ("BUG: unable to handle page fault", "kernel BUG at mm/x.c:1!",
                 "general protection fault, probably", "list_add corruption. prev",
                 "INFO: task sh:1 blocked for more than 30 seconds.",
                 "rcu: INFO: rcu_preempt self-detected stall on CPU",
                 "watchdog: BUG: soft lockup - CPU#0 stuck", "Kernel panic - not syncing: x",
                 "refcount_t: underflow; use-after-free.", "UBSAN: array-index-out-of-bounds"):
        assert scan_all(tv.SplatScanner(), ["[    1.000000] " + text]), text
    for text in ("PCI: ... report a bug", "Warning: unable to open", "kvm: Nested Paging"):
        assert not scan_all(tv.SplatScanner(), ["[    1.000000] " + text]), text


@test
def splat_dedupe_between_console_and_dmesg():
    scanner = tv.SplatScanner()
    assert len(scan_all(scanner, WARN)) == 1
    scanner.reset()
    assert scan_all(scanner, ["[    0.500000] boot"] + WARN) == []
    fresh = ["[   11.000000] BUG: new one"]
    assert len(scan_all(scanner, fresh)) == 1


@test
def splat_capture_limits():
    scanner = tv.SplatScanner()
    lines = ["[    1.000000] WARNING: fake"] + \
        [f"[    1.{i:06d}] line {i}" for i in range(1, 60)]
    splat = scan_all(scanner, lines)[0]
    assert len(splat.lines) == tv.SPLAT_MAX_LINES
    scanner = tv.SplatScanner()
    later = ["[    1.000000] WARNING: fake", "[    1.100000] same splat",
             "[    9.000000] BUG: unrelated"]
    splats = scan_all(scanner, later)
    assert [s.lines for s in splats] == [later[:2], later[2:]]


# -------------------------------------------------------------------- TAP


def make_run(plan, boot_timeout=60, total=1800):
    out = []
    run = tv.Run(tv.parse_plan(plan, "none"), tv.Tap(out.append), 100.0, boot_timeout, total)
    return run, out


def play(run, lines, now=101.0):
    for line in lines:
        run.on_line(line, now)


def tap_results(out):
    return [line for line in out if line.startswith(("ok ", "not ok "))]


@test
def tap_line_rendering():
    t = tv.test_step("stock", "x", 5, "true")
    assert tv.tap_line(1, "a", tv.judge(t, 0, False)) == "ok 1 a"
    assert tv.tap_line(2, "a", tv.judge(t, 4, False)) == "ok 2 a # SKIP"
    assert tv.tap_line(2, "a", tv.judge(t, 4, False, True)) == "ok 2 a # SKIP lane-stock failed"
    assert tv.tap_line(3, "a", tv.judge(t, 1, False)) == "not ok 3 a # rc=1"
    assert tv.tap_line(4, "a", tv.judge(t, 137, False)) == \
        "not ok 4 a # rc=137 (killed after 5s timeout)"
    assert tv.tap_line(5, "a", tv.judge(t, 0, True)) == "not ok 5 a # kernel splat"
    assert tv.tap_line(6, "a", tv.judge(t, 4, True)) == "not ok 6 a # rc=4, kernel splat"


@test
def run_happy_path_with_output_and_skip():
    run, out = make_run("a 5 true\nb 5 true\n")
    play(run, ["[    0.1] boot", "@@KHV@@ INIT",
                "@@KHV@@ BEGIN 1 lane-none", "@@KHV@@ END 1 lane-none rc=0",
                "@@KHV@@ BEGIN 2 none/a", "TAP version 13", "partial@@KHV@@ END 2 none/a rc=0",
                "@@KHV@@ BEGIN 3 none/b", "@@KHV@@ END 3 none/b rc=4",
                "@@KHV@@ DMESG-BEGIN", "[    0.1] boot", "@@KHV@@ DMESG-END", "@@KHV@@ DONE"])
    assert run.phase == "done"
    assert run.finish(110.0)
    assert "    TAP version 13" in out and "    partial" in out
    assert tap_results(out) == ["ok 1 lane-none", "ok 2 none/a", "ok 3 none/b # SKIP"]
    assert out[-2:] == ["1..3", "testvm: 2 passed, 0 failed, 1 skipped"]
    assert any(line.startswith("# boot to INIT: 1.0s") for line in out)


@test
def run_splat_in_test_fails_it():
    run, out = make_run("a 5 true\n")
    play(run, ["@@KHV@@ INIT", "@@KHV@@ BEGIN 1 lane-none", "@@KHV@@ END 1 lane-none rc=0",
                "@@KHV@@ BEGIN 2 none/a", "[    3.000000] WARNING: fake",
                "@@KHV@@ END 2 none/a rc=0", "@@KHV@@ DMESG-BEGIN", "[    3.000000] WARNING: fake",
                "@@KHV@@ DMESG-END", "@@KHV@@ DONE"])
    assert not run.finish(110.0)
    assert tap_results(out) == ["ok 1 lane-none", "not ok 2 none/a # kernel splat"]
    assert "    # | [    3.000000] WARNING: fake" in out


@test
def run_splat_outside_tests_gives_kernel_log():
    run, out = make_run("a 5 true\n")
    play(run, ["@@KHV@@ INIT", "@@KHV@@ BEGIN 1 lane-none", "@@KHV@@ END 1 lane-none rc=0",
                "@@KHV@@ BEGIN 2 none/a", "@@KHV@@ END 2 none/a rc=0", "@@KHV@@ DMESG-BEGIN",
                "[    0.300000] BUG: boot-time splat", "@@KHV@@ DMESG-END", "@@KHV@@ DONE"])
    assert not run.finish(110.0, "build/testvm/last-serial.log")
    assert tap_results(out) == ["ok 1 lane-none", "ok 2 none/a",
                                "not ok 3 kernel-log # kernel splat outside any test"]
    assert "    # | [    0.300000] BUG: boot-time splat" in out
    assert "# serial log: build/testvm/last-serial.log" in out


@test
def run_hang_names_test_and_marks_rest_not_run():
    run, out = make_run("a 5 true\nb 5 true\n@lane stock\nc 5 true\n")
    play(run, ["@@KHV@@ INIT", "@@KHV@@ BEGIN 1 lane-none", "@@KHV@@ END 1 lane-none rc=0",
                "@@KHV@@ BEGIN 2 none/a"], now=102.0)
    when, reason, verb = run.deadline()
    assert when == 102.0 + 5 + tv.HANG_MARGIN, when
    run.abort(reason, verb)
    run.finish(200.0)
    assert tap_results(out) == [
        "ok 1 lane-none", "not ok 2 none/a # hang: no END within 35s",
        "not ok 3 none/b # not run (machine hung in none/a)",
        "not ok 4 lane-stock # not run (machine hung in none/a)",
        "not ok 5 stock/c # not run (machine hung in none/a)"]


@test
def run_boot_timeout_and_qemu_exit():
    run, out = make_run("a 5 true\n", boot_timeout=60)
    when, reason, verb = run.deadline()
    assert when == 160.0 and "no INIT marker within 60s" in reason
    run.abort(reason, verb)
    assert tap_results(out) == ["not ok 1 boot # no INIT marker within 60s",
                                "not ok 2 lane-none # not run (machine did not boot)",
                                "not ok 3 none/a # not run (machine did not boot)"]
    run, out = make_run("a 5 true\n")
    play(run, ["@@KHV@@ INIT", "@@KHV@@ BEGIN 1 lane-none", "@@KHV@@ END 1 lane-none rc=0",
                "@@KHV@@ BEGIN 2 none/a", "[    4.000000] Kernel panic - not syncing: sysrq"])
    run.exited(0)
    assert tap_results(out)[-1] == "not ok 2 none/a # the machine exited (rc=0) before END, kernel splat"


@test
def run_total_timeout_and_gap():
    run, out = make_run("a 5 true\n", total=10)
    play(run, ["@@KHV@@ INIT"])
    when, reason, _ = run.deadline()
    assert when == 110.0 and "total timeout (10s)" in reason
    run, out = make_run("a 5 true\n")
    play(run, ["@@KHV@@ INIT", "@@KHV@@ BEGIN 1 lane-none", "@@KHV@@ END 1 lane-none rc=0"])
    run.abort(*run.deadline()[1:])
    assert tap_results(out) == [
        "ok 1 lane-none", "not ok 2 machine # hang: no marker for 60s after lane-none",
        "not ok 3 none/a # not run (machine hung after lane-none)"]


@test
def run_lane_failure_skips_its_tests():
    run, out = make_run("@lane khv\na 5 true\n")
    play(run, ["@@KHV@@ INIT", "@@KHV@@ BEGIN 1 lane-khv", "testvm-init: no /khv/khv.ko",
                "@@KHV@@ END 1 lane-khv rc=1", "@@KHV@@ BEGIN 2 khv/a",
                "@@KHV@@ END 2 khv/a rc=4", "@@KHV@@ DONE"])
    assert not run.finish(110.0)
    assert tap_results(out) == ["not ok 1 lane-khv # rc=1", "ok 2 khv/a # SKIP lane-khv failed"]
    assert "    testvm-init: no /khv/khv.ko" in out


@test
def run_unexpected_markers_are_output():
    run, out = make_run("a 5 true\n")
    play(run, ["@@KHV@@ INIT", "@@KHV@@ BEGIN 1 lane-none", "@@KHV@@ BEGIN 2 none/a",
                "@@KHV@@ END 9 none/zz rc=0", "@@KHV@@ END 1 lane-none rc=0"])
    assert tap_results(out) == ["ok 1 lane-none"]
    assert run.phase == "idle"


@test
def run_hang_resumes_in_a_fresh_machine_and_retries_once():
    run, out = make_run("@lane stock\na 5 true\nb 5 true\nc 5 true\n")
    run.resumable = True
    play(run, ["@@KHV@@ INIT", "@@KHV@@ BEGIN 1 lane-stock", "@@KHV@@ END 1 lane-stock rc=0",
               "@@KHV@@ BEGIN 2 stock/a", "@@KHV@@ END 2 stock/a rc=0",
               "@@KHV@@ BEGIN 3 stock/b"])
    run.abort(*run.deadline()[1:])
    # b is not reported yet: it runs again, after its lane is set up again.
    assert tap_results(out) == ["ok 1 lane-stock", "ok 2 stock/a"], out
    steps = run.continuation()
    assert [(s.name, s.seq) for s in steps] == [
        ("lane-stock-again", 1), ("stock/b", 3), ("stock/c", 4)], steps
    assert "L 1 stock\nT 3 5 stock/b true\n" in tv.init_plan(steps)
    # Second machine: b hangs again -> it fails, c still runs.
    run2 = tv.Run(steps, run.tap, 200.0, 60, 1800)
    run2.retried, run2.resumable = run.retried, True
    play(run2, ["@@KHV@@ INIT", "@@KHV@@ BEGIN 1 lane-stock-again",
                "@@KHV@@ END 1 lane-stock-again rc=0", "@@KHV@@ BEGIN 3 stock/b"], now=201.0)
    run2.abort(*run2.deadline()[1:])
    steps = run2.continuation()
    assert [s.name for s in steps] == ["lane-stock-again", "stock/c"], steps
    assert tap_results(out)[-2:] == [
        "ok 3 lane-stock-again", "not ok 4 stock/b # hang: no END within 35s"], out


@test
def run_boot_hang_boots_once_more():
    run, out = make_run("@lane stock\na 5 true\n", boot_timeout=60)
    run.resumable = True
    play(run, ["[    0.100000] Linux version"])
    run.abort(*run.deadline()[1:])
    # Nothing is reported yet: the whole plan goes to a fresh machine.
    assert tap_results(out) == [], out
    assert any("boots again" in line for line in out), out
    steps = run.continuation()
    assert [(s.name, s.seq) for s in steps] == [("lane-stock", 1), ("stock/a", 2)], steps
    # The second boot hangs too: that is a failure, and nothing runs.
    run2 = tv.Run(steps, run.tap, 200.0, 60, 1800)
    run2.retried, run2.resumable = run.retried, True
    run2.abort(*run2.deadline()[1:])
    assert run2.continuation() == []
    assert tap_results(out) == ["not ok 1 boot # no INIT marker within 60s",
                                "not ok 2 lane-stock # not run (machine did not boot)",
                                "not ok 3 stock/a # not run (machine did not boot)"], out
    # A machine that died (QEMU exited) while booting is not booted again.
    run, out = make_run("a 5 true\n")
    run.resumable = True
    run.exited(1)
    assert run.continuation() == [] and tap_results(out)[0].startswith("not ok 1 boot"), out


@test
def run_retried_test_that_passes_says_so():
    run, out = make_run("a 5 true\n")
    run.retried = {"none/a"}
    play(run, ["@@KHV@@ INIT", "@@KHV@@ BEGIN 1 lane-none", "@@KHV@@ END 1 lane-none rc=0",
               "@@KHV@@ BEGIN 2 none/a", "@@KHV@@ END 2 none/a rc=0", "@@KHV@@ DONE"])
    assert tap_results(out)[-1] == "ok 2 none/a # run again after a test-machine hang", out
    assert run.finish(110.0)


@test
def run_hang_with_splat_or_in_a_lane_is_not_resumed():
    run, out = make_run("@lane stock\na 5 true\n")
    run.resumable = True
    play(run, ["@@KHV@@ INIT", "@@KHV@@ BEGIN 1 lane-stock"])
    run.abort(*run.deadline()[1:])
    assert run.continuation() == [] and tap_results(out)[-1].startswith("not ok 2 stock/a")
    run, out = make_run("a 5 true\nb 5 true\n")
    run.resumable = True
    play(run, ["@@KHV@@ INIT", "@@KHV@@ BEGIN 1 lane-none", "@@KHV@@ END 1 lane-none rc=0",
               "@@KHV@@ BEGIN 2 none/a", "[   12.000000] BUG: soft lockup - CPU#0 stuck"])
    run.abort(*run.deadline()[1:])
    # A splat is evidence, not a flake: no second try, but b still runs.
    assert tap_results(out)[-1].startswith("not ok 2 none/a # hang"), out
    assert [s.name for s in run.continuation()] == ["lane-none-again", "none/b"]


RCU_STALL = "[  549.9] rcu: INFO: rcu_preempt detected stalls on CPUs/tasks:"


@test
def run_hang_with_rcu_stall_of_tcg_is_resumed():
    """RCU's stall warnings of a CPU the hang report found stuck in a
    nested guest (TCG's) do not stop the second try; any other splat
    does, and so do the same warnings without that finding."""
    def hang(lines, finding):
        run, out = make_run("a 5 true\nb 5 true\n")
        run.resumable = True
        play(run, ["@@KHV@@ INIT", "@@KHV@@ BEGIN 1 lane-none",
                   "@@KHV@@ END 1 lane-none rc=0", "@@KHV@@ BEGIN 2 none/a"] + lines)
        run.tcg_stall = finding
        run.abort(*run.deadline()[1:])
        return run, out
    tcg = "cpu0 in a nested guest (RIP 11260) with interrupt 236 requested and not taken"
    run, out = hang([RCU_STALL], tcg)
    assert "none/a" in run.retried and tap_results(out) == ["ok 1 lane-none"], out
    assert [s.name for s in run.continuation()] == ["lane-none-again", "none/a", "none/b"]
    assert any("the stall warning: " + RCU_STALL in line for line in out), out
    run, out = hang([RCU_STALL], None)
    assert tap_results(out)[-1].startswith("not ok 2 none/a # hang"), out
    run, out = hang([RCU_STALL, "[  560.0] BUG: soft lockup - CPU#1 stuck"], tcg)
    assert tap_results(out)[-1].startswith("not ok 2 none/a # hang"), out


@test
def run_gives_up_a_step_whose_vcpu_stays_stuck_in_a_guest():
    run, out = make_run("a 500 true\n")
    play(run, ["@@KHV@@ INIT", "@@KHV@@ BEGIN 1 lane-none",
               "@@KHV@@ END 1 lane-none rc=0", "@@KHV@@ BEGIN 2 none/a"])
    guest = {"1": (236, {"cpu": "1", "RIP": "11260", "CPL": "0"})}
    kernel = {"1": (236, {"cpu": "1", "RIP": "ffffffffc0a01234", "CPL": "0"})}
    for i in range(tv.TCG_STALL_CHECKS - 1):
        run.note_stuck(guest, 110.0 + i)
    run.note_stuck({}, 120.0)           # taken: the streak starts again
    for i in range(tv.TCG_STALL_CHECKS - 1):
        run.note_stuck(guest, 130.0 + i)
    run.note_stuck(kernel, 140.0)       # in a module: not counted
    assert run.deadline()[0] == 101.0 + 530, run.deadline()
    for i in range(tv.TCG_STALL_CHECKS):
        run.note_stuck(guest, 150.0 + i)
    when, reason, verb = run.deadline()
    assert (when, verb) == (150.0 + tv.TCG_STALL_CHECKS - 1, "hung"), run.deadline()
    assert "stuck at" in reason, reason


@test
def tcg_stall_only_outside_the_machines_kernel():
    text = 0xffffffff89a00000
    def stuck(rip, cpl="0", rfl="00000046"):
        return {"0": (236, {"cpu": "0", "RIP": rip, "CPL": cpl, "RFL": rfl})}
    assert "cpu0 in a nested guest (RIP 11260)" in tv.tcg_stall(stuck("0000000000011260"), text)
    assert "user space" in tv.tcg_stall(stuck("0000000000401511", "3"), text)
    # The machine's kernel or a module with an interrupt not taken may be
    # code spinning with interrupts off: not TCG's by this rule.
    assert tv.tcg_stall(stuck("ffffffff89a75a20"), text) is None
    assert tv.tcg_stall(stuck("ffffffffc0a01234"), text) is None
    assert tv.tcg_stall(stuck("ffffffffc0a01234", rfl="00000246"), text) is None
    assert tv.tcg_stall({}, text) is None
    # The kernel with IF set takes an interrupt at once on a real CPU.
    assert "the kernel, IF set," in tv.tcg_stall(stuck("ffffffff89a75a20", rfl="00000246"), text)
    # With the modules known, module space outside their code is a nested
    # guest's; so is the kernel's half with another CS than the kernel's.
    mods = {"khv": (0xffffffffc0a00000, 0x80000)}
    assert tv.tcg_stall(stuck("ffffffffc0a01234"), text, mods) is None
    assert "nested guest" in tv.tcg_stall(stuck("ffffffffc8001234"), text, mods)
    odd_cs = {"0": (236, {"cpu": "0", "RIP": "ffffffff89a75a20", "CPL": "0", "CS": "0008"})}
    assert "nested guest" in tv.tcg_stall(odd_cs, text)


# ------------------------------------------------------------ hang reports

INFO_REGISTERS = """\
CPU#0
RAX=0000000000000000 RBX=ffffffff8a613940 RCX=0000000000000001 RDX=0000000000000000
RIP=ffffffff89a75a20 RFL=00000046 [---Z-P-] CPL=0 II=0 A20=1 SMM=0 HLT=1
CS =0010 0000000000000000 ffffffff 00a09b00 DPL=0 CS64 [-RA]
CR0=80050033 CR2=00007f0f3e1b5000 CR3=000000003cb72000 CR4=000006f0
EFER=0000000000000d01
CPU#1
RIP=0000000000401511 RFL=00000246 [---Z-P-] CPL=3 II=0 A20=1 SMM=0 HLT=0
CR0=80050033 CR2=0000000000000000 CR3=0000000002428000 CR4=000006f0
EFER=0000000000000d01
"""


@test
def hang_report_parses_and_places_each_cpu():
    cpus = tv.parse_registers(INFO_REGISTERS.splitlines())
    assert [c["cpu"] for c in cpus] == ["0", "1"], cpus
    assert cpus[0]["RIP"] == "ffffffff89a75a20" and cpus[0]["HLT"] == "1", cpus[0]
    assert cpus[1]["CR3"] == "0000000002428000" and cpus[1]["CPL"] == "3", cpus[1]
    assert cpus[0]["CS"] == "0010" and "CS" not in cpus[1], cpus
    line = tv.describe_cpu(cpus[0], 0xffffffff89a00000)
    assert line.startswith("cpu0 RIP=ffffffff89a75a20 _text+0x75a20 CPL=0 RFL=00000046"), line
    assert "(not the machine's kernel)" in tv.describe_cpu(cpus[1], 0xffffffff89a00000)
    assert "(module space)" in tv.describe_cpu({"cpu": "0", "RIP": "ffffffffc0a01234"}, 1)
    mods = {"khv": (0xffffffffc0a00000, 0x80000), "kvm": (0xffffffffc0900000, 0x100000)}
    assert " khv+0x1234 " in tv.describe_cpu({"cpu": "0", "RIP": "ffffffffc0a01234"}, 1, mods)
    assert " kvm+0x10 " in tv.describe_cpu({"cpu": "0", "RIP": "ffffffffc0900010"}, 1, mods)
    assert tv.module_offset(0xffffffffc0800000, mods) is None
    # Without the machine's _text (no kaslr line seen) nothing is placed.
    assert "(not the machine's kernel)" in tv.describe_cpu(cpus[0], 0)


@test
def run_records_kaslr_line_without_showing_it():
    run, out = make_run("a 5 true\n")
    play(run, ["@@KHV@@ INIT", "testvm-init: kaslr _text ffffffff89a00000"])
    assert run.text_addr == 0xffffffff89a00000
    play(run, ["testvm-init: module khv .text 0xffffffffc0a00000 540672 ",
               "testvm-init: module kvm .text ", "testvm-init: module irqbypass .text 0xffffffffc2000000"])
    assert run.modules == {"khv": (0xffffffffc0a00000, 540672),
                           "irqbypass": (0xffffffffc2000000, tv.MODULE_SPAN)}, run.modules
    # khv unloaded, kvm loaded where it was: khv's entry goes
    play(run, ["testvm-init: module kvm .text 0xffffffffc0a00000 1146880 "])
    assert set(run.modules) == {"kvm", "irqbypass"}, run.modules
    assert not any("module" in line for line in out), out
    assert not any("kaslr" in line for line in out), out


# The state of a test machine that froze in stock/qemu_pc (one vCPU).
LAPIC_ASLEEP = """\
dumping local APIC state for CPU 0 
LVTT\t 0x000000ec active-hi edge                 one-shot     Fixed  (vec 236)
Timer\t DCR=0x3 (divide by 16) initial_count = 73638 current_count = 0
ISR\t (none)
IRR\t 236 
APR 0x00 TPR 0x10 DFR 0x0f LDR 0x01 PPR 0x10
"""


@test
def lost_wakeup_signature():
    lapic = tv.parse_lapic(LAPIC_ASLEEP.splitlines())
    assert lapic == (236, 0x10), lapic
    assert tv.stuck_request(lapic) == 236
    # Nothing requested, or the request at or below the processor priority
    # (the PPR covers both the TPR and the vectors in service).
    assert tv.stuck_request((-1, 0x10)) is None
    assert tv.stuck_request((0xec, 0xe0)) is None
    assert tv.stuck_request((0x31, 0x30)) is None
    assert tv.stuck_request((0x41, 0x30)) == 0x41


@test
def stock_modules_plain_or_xz():
    """Debian 12 ships FILE.ko, Debian 13 FILE.ko.xz: either is found, and
    the stage gets a plain FILE.ko either way."""
    import lzma
    with tempfile.TemporaryDirectory() as top:
        mods, stage = os.path.join(top, "mods"), os.path.join(top, "stage")
        for i, rel in enumerate(tv.STOCK_MODULES):
            path = os.path.join(mods, "kernel", rel)
            os.makedirs(os.path.dirname(path), exist_ok=True)
            data = f"module {rel}".encode()
            if i % 2:
                with lzma.open(path + ".xz", "wb") as f:
                    f.write(data)
            else:
                with open(path, "wb") as f:
                    f.write(data)
        paths = tv.stock_module_paths(mods)
        assert [p.endswith(".xz") for p in paths] == \
            [bool(i % 2) for i in range(len(paths))], paths
        for path in paths:
            tv.put_module(path, stage, "khv/stock")
        for rel in tv.STOCK_MODULES:
            with open(os.path.join(stage, "khv/stock", os.path.basename(rel)), "rb") as f:
                assert f.read() == f"module {rel}".encode(), rel


if __name__ == "__main__":
    sys.exit(run())
