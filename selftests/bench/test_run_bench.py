#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Unit tests of run-bench's pure parts: plan, parsing, medians, table, JSON."""

import importlib.machinery
import importlib.util
import json
import os
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
_loader = importlib.machinery.SourceFileLoader("run_bench", os.path.join(HERE, "run-bench"))
_spec = importlib.util.spec_from_loader("run_bench", _loader)
rb = importlib.util.module_from_spec(_spec)
_loader.exec_module(rb)


class Median(unittest.TestCase):
    def test_odd_even_empty(self):
        self.assertEqual(rb.median([3.0, 1.0, 2.0]), 2.0)
        self.assertEqual(rb.median([4.0, 1.0, 2.0, 3.0]), 2.5)
        self.assertEqual(rb.median([7.0]), 7.0)
        self.assertIsNone(rb.median([]))


def steps_of(plan):
    return [line.split()[0] for line in plan if line and line[0] not in "#@"]


class Plan(unittest.TestCase):
    def test_lanes_alternate_and_floor_only_on_khv(self):
        plan = rb.make_plan(2, 1.5).splitlines()
        lanes = [line.split()[1] for line in plan if line.startswith("@lane")]
        self.assertEqual(lanes, ["stock", "khv", "stock", "khv"])
        steps = steps_of(plan)
        # one step per workload and lane, but the floor only on khv, no
        # step for the rows another step gives, the one-vCPU boot's apart
        own = (len(rb.WORKLOADS) - len(rb.PRODUCED_BY)
               - (len(rb.ONE_VCPU_WORKLOADS) - len(rb.PRODUCED_BY)))
        self.assertEqual(len(steps), 2 * (2 * own - 1))
        self.assertEqual(len(set(steps)), 2 * own)  # per rep
        self.assertIn("r2-floor 120 khv-bench --seconds 1.5 floor", plan)
        first_khv = plan.index("@lane khv kvm_compat=1")
        self.assertFalse(any("floor" in line for line in plan[:first_khv]))

    def test_khv_lane_answers_at_dev_kvm_for_qemu(self):
        plan = rb.make_plan(1, 2).splitlines()
        self.assertEqual([line for line in plan if line.startswith("@lane")],
                         ["@lane stock", "@lane khv kvm_compat=1"])
        qemu = [line for line in plan if line.startswith("r1-qemu_boot ")]
        self.assertEqual(len(qemu), 2)
        self.assertTrue(qemu[0].endswith("sh /khv/bin/bench-qemu-boot"))
        self.assertIn("KHV_QEMU_ATTEMPTS=2", qemu[0])

    def test_new_workloads_in_both_lanes(self):
        plan = rb.make_plan(1, 2).splitlines()
        for name in ("ipi", "tsc_deadline", "ioeventfd_mmio", "ioeventfd_pio", "irqfd"):
            self.assertEqual(steps_of(plan).count(f"r1-{name}"), 2, name)
            self.assertIn(f"r1-{name} 120 khv-bench --seconds 2 {name}", plan)

    def test_migration_rows(self):
        # in a boot of their own, not in the main one
        self.assertNotIn("migrate", rb.make_plan(1, 2))
        self.assertNotIn("savevm", rb.make_plan(1, 2))
        self.assertNotIn("qemu_boot_smp4", rb.make_plan(1, 2))
        plan = rb.make_plan(1, 2, part="migration").splitlines()
        steps = steps_of(plan)
        self.assertEqual(plan.count("@lane stock"), 1)
        self.assertEqual(plan.count("@lane khv kvm_compat=1"), 1)
        self.assertEqual(len(steps), 6)
        self.assertEqual(steps.count("r1-migrate_total"), 2)
        self.assertEqual(steps.count("r1-savevm_time"), 2)
        self.assertEqual(steps.count("r1-qemu_boot_smp4"), 2)
        smp4 = [line for line in plan if line.startswith("r1-qemu_boot_smp4 ")]
        self.assertTrue(smp4[0].endswith("sh /khv/bin/bench-qemu-boot smp=4"))
        self.assertNotIn("r1-migrate_downtime", steps)
        self.assertNotIn("r1-savevm_size", steps)
        self.assertIn("r1-migrate_total 900 sh /khv/bin/bench-qemu-migrate tcp", plan)
        self.assertIn("r1-savevm_time 900 sh /khv/bin/bench-qemu-migrate savevm", plan)
        runs, _ = rb.parse_output([
            "BENCH stock migrate_total 3000 ms", "BENCH stock migrate_downtime 150 ms",
            "BENCH khv migrate_total 2400 ms", "BENCH khv migrate_downtime 120 ms",
            "BENCH stock savevm_time 1.0 s", "BENCH stock savevm_size 20.0 MiB",
            "BENCH khv savevm_time 1.1 s", "BENCH khv savevm_size 22.0 MiB"])
        only = {"migrate_total", "migrate_downtime", "savevm_time", "savevm_size"}
        rows = {r["workload"]: r for r in rb.summarize(runs, only)}
        self.assertAlmostEqual(rows["migrate_downtime"]["khv_per_stock"], 0.8)
        self.assertAlmostEqual(rows["savevm_size"]["khv_per_stock"], 1.1)
        self.assertEqual(rb.missing(list(rows.values()), 1, only), [])
        # no migration boot without the QEMU repetitions, nor for other rows
        self.assertIsNone(rb.make_plan(2, 2, qemu_reps=0, part="migration"))
        self.assertIsNone(rb.make_plan(2, 2, only={"ipi"}, part="migration"))
        self.assertEqual(steps_of(rb.make_plan(3, 2, qemu_reps=1, part="migration")
                                  .splitlines()),
                         ["r1-qemu_boot_smp4", "r1-migrate_total", "r1-savevm_time"] * 2)
        # and a main boot with no step is none either
        self.assertIsNone(rb.make_plan(1, 2, only=only))

    def test_fewer_qemu_reps(self):
        plan = rb.make_plan(3, 2, qemu_reps=1).splitlines()
        steps = steps_of(plan)
        self.assertEqual(steps.count("r1-qemu_boot"), 2)
        self.assertNotIn("r2-qemu_boot", steps)
        self.assertNotIn("r3-qemu_boot", steps)
        self.assertEqual(steps.count("r3-ipi"), 2)
        self.assertNotIn("qemu_boot", rb.make_plan(2, 2, qemu_reps=0))

    def test_only(self):
        plan = rb.make_plan(2, 2, only={"ipi", "floor"}).splitlines()
        self.assertEqual(steps_of(plan), ["r1-ipi", "r1-ipi", "r1-floor",
                                          "r2-ipi", "r2-ipi", "r2-floor"])


TAP = """\
TAP version 13
ok 1 lane-stock
    BENCH stock cpuid 100.0 ns/exit
ok 2 stock/r1-cpuid
    BENCH stock floor n/a ns/exit
    BENCH stock first_touch 50.0 MiB/s
ok 3 stock/r1-first_touch
    not ok 1 inner
ok 4 lane-khv
    BENCH khv cpuid 300.0 ns/exit
    BENCH khv floor 50.0 ns/exit
    BENCH khv first_touch 25.0 MiB/s
not ok 5 khv/r1-boot # rc=1
    BENCH stock cpuid 200.0 ns/exit
    BENCH khv cpuid 500.0 ns/exit
    BENCH stock cpuid 120.0 ns/exit
    BENCH khv cpuid bogus ns/exit
    BENCH stock irqfd 900.0 ns/irq
    BENCH khv irqfd n/a ns/irq
    BENCH stock ipi 2000.0 ns/ipi
    BENCH khv ipi 1000.0 ns/ipi
    BENCH khv ipi n/a ns/ipi
"""


class Parse(unittest.TestCase):
    def setUp(self):
        self.runs, self.failed = rb.parse_output(TAP.splitlines(True))

    def test_values_by_workload_and_lane(self):
        self.assertEqual(self.runs["cpuid"]["stock"], [100.0, 200.0, 120.0])
        self.assertEqual(self.runs["cpuid"]["khv"], [300.0, 500.0])
        self.assertEqual(self.runs["floor"]["stock"], [])  # n/a: skipped
        self.assertEqual(self.runs["irqfd"], {"stock": [900.0], "khv": []})
        self.assertEqual(self.runs["ipi"]["khv"], [1000.0])

    def test_only_top_level_failures(self):
        self.assertEqual(self.failed, ["not ok 5 khv/r1-boot # rc=1"])

    def test_summary(self):
        rows = {r["workload"]: r for r in rb.summarize(self.runs)}
        cpuid = rows["cpuid"]
        self.assertEqual(cpuid["stock"], 120.0)
        self.assertEqual(cpuid["khv"], 400.0)
        self.assertAlmostEqual(cpuid["khv_per_stock"], 400.0 / 120.0)
        self.assertAlmostEqual(cpuid["khv_per_floor"], 8.0)
        self.assertAlmostEqual(cpuid["stock_per_floor"], 2.4)
        self.assertAlmostEqual(rows["first_touch"]["khv_per_stock"], 0.5)
        self.assertNotIn("khv_per_floor", rows["first_touch"])
        self.assertIsNone(rows["boot"]["khv"])
        self.assertIsNone(rows["boot"]["khv_per_stock"])
        self.assertFalse(rows["boot"]["khv_skipped"])
        self.assertTrue(rows["irqfd"]["khv_skipped"])
        self.assertIsNone(rows["irqfd"]["khv_per_stock"])
        self.assertFalse(rows["ipi"]["khv_skipped"])  # a number beats an n/a
        self.assertAlmostEqual(rows["ipi"]["khv_per_stock"], 0.5)
        self.assertNotIn("khv_per_floor", rows["ipi"])

    def test_missing_is_neither_a_number_nor_skipped(self):
        rows = rb.summarize(self.runs)
        absent = rb.missing(rows, qemu_reps=1)
        self.assertIn("boot", absent)
        self.assertIn("qemu_boot", absent)
        self.assertNotIn("irqfd", absent)   # skipped on khv
        self.assertNotIn("floor", absent)   # never run on stock
        self.assertNotIn("cpuid", absent)
        self.assertNotIn("qemu_boot", rb.missing(rows, qemu_reps=0))
        only = {"cpuid", "irqfd"}
        self.assertEqual(rb.missing(rb.summarize(self.runs, only), 1, only), [])
        self.assertEqual([r["workload"] for r in rb.summarize(self.runs, only)],
                         ["cpuid", "irqfd"])

    def test_table_and_json(self):
        rows = rb.summarize(self.runs)
        table = rb.format_table(rows)
        self.assertTrue(table[0].startswith("workload"))
        line = next(t for t in table if t.startswith("exit handled in the kernel"))
        self.assertEqual(line.split()[-4:], ["ns/exit", "120", "400", "3.33"])
        self.assertTrue(any("higher is better" in t for t in table))
        self.assertIn("  cpuid               2.40     8.00", table)
        line = next(t for t in table if t.startswith("irqfd"))
        self.assertEqual(line.split()[-3:], ["900", "skipped", "-"])
        line = next(t for t in table if t.startswith("Linux boot to init marker (khv-vmm)"))
        self.assertEqual(line.split()[-3:], ["n/a", "n/a", "-"])
        md = rb.format_markdown(rows)
        self.assertEqual(len(md), 2 + len(rb.WORKLOADS))
        self.assertIn("| 120 | 400 | 3.33 | 2.40 | 8.00 |", md[2])
        data = json.loads(rb.make_json(rows, {"reps": 1}))
        self.assertEqual(data["reps"], 1)
        self.assertEqual(data["results"][0]["workload"], "cpuid")
        self.assertEqual(data["results"][0]["khv_runs"], [300.0, 500.0])


if __name__ == "__main__":
    unittest.main(verbosity=1)
