#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Host tests of igt-harness: no root, no VM.

The harness runs fake-igt (a shell script that behaves as an igt binary)
with --kmsg pointing at a file or FIFO the fake test writes kernel log
records to, and the tests check results.json (igt_runner's format), the
counts file and the exit status. ctest runs each test on its own:

    IGT_HARNESS=build/tests/igt/igt-harness \
        tests/igt/harness/tests/test_harness.py -v Format.test_top_level
"""
import json
import os
import signal
import subprocess
import tempfile
import time
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
FAKE = os.path.join(HERE, "fake-igt")
TOP = os.path.normpath(os.path.join(HERE, "..", "..", "..", ".."))
QEMU_SH = os.path.join(TOP, "tests", "vm", "lib", "qemu.sh")
HARNESS = os.environ.get("IGT_HARNESS", "")

RESULTS = ["pass", "fail", "skip", "crash", "timeout", "abort", "incomplete",
           "notrun", "dmesg-warn", "dmesg-fail", "warn"]
TEST_KEYS = {"result", "out", "err", "dmesg", "time", "returncode"}


def name(subtest, binary="fake-igt"):
    return "igt@%s@%s" % (binary, subtest)


def record(level, text):
    return "%d,1,5000000,-;%s\n" % (level, text)


class Run:
    """One harness run and what it left."""

    def __init__(self, returncode, stdout, stderr, results, counts):
        self.returncode = returncode
        self.stdout = stdout
        self.stderr = stderr
        self.results = results
        self.counts = counts

    def test(self, subtest, binary="fake-igt"):
        return self.results["tests"][name(subtest, binary)]

    def result(self, subtest, binary="fake-igt"):
        return self.test(subtest, binary)["result"]


class HarnessTest(unittest.TestCase):
    def setUp(self):
        self.assertTrue(HARNESS and os.access(HARNESS, os.X_OK),
                        "IGT_HARNESS must name the built igt-harness")
        self.tmp = tempfile.TemporaryDirectory(prefix="igt-harness-test-")
        self.addCleanup(self.tmp.cleanup)
        self.dir = self.tmp.name
        self.kmsg = os.path.join(self.dir, "kmsg")
        open(self.kmsg, "w").close()
        self.results = os.path.join(self.dir, "results.json")
        self.counts = os.path.join(self.dir, "counts")
        self.env = dict(os.environ, FAKE_IGT_KMSG=self.kmsg,
                        RIG_TOPOLOGY="host-test", VRAMSHARE_COMMIT="c0ffee1",
                        FAKE_IGT_RESULTS=self.results,
                        FAKE_IGT_COUNTS=self.counts)

    def start(self, *args, binaries=(FAKE,), kmsg=None):
        cmd = [HARNESS, "--results", self.results, "--counts", self.counts,
               "--kmsg", kmsg or self.kmsg] + list(args) + list(binaries)
        proc = subprocess.Popen(cmd, env=self.env, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True,
                                errors="replace")
        # Cleanups run last first: the harness ends before its directory goes.
        self.addCleanup(self.stop, proc)
        return proc

    @staticmethod
    def stop(proc):
        """A harness a failed test left running: SIGTERM makes it kill the
        subtest it runs."""
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.communicate(timeout=30)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.communicate()

    def finish(self, proc, timeout=120):
        out, err = proc.communicate(timeout=timeout)
        results = counts = None
        if os.path.exists(self.results):
            with open(self.results, encoding="utf-8") as f:
                results = json.load(f)
        if os.path.exists(self.counts):
            with open(self.counts) as f:
                counts = tuple(int(n) for n in f.read().split())
        return Run(proc.returncode, out, err, results, counts)

    def harness(self, *args, **kwargs):
        return self.finish(self.start(*args, **kwargs))

    def include(self, *subtests, **kwargs):
        args = []
        for s in subtests:
            args += ["--include", s]
        return self.harness(*args, **kwargs)

    def assertTotals(self, run, expected, binary="fake-igt"):
        want = {r: expected.get(r, 0) for r in RESULTS}
        totals = run.results["totals"]
        self.assertEqual(totals[""], want)
        self.assertEqual(totals["root"], want)
        self.assertEqual(totals["igt@" + binary], want)


class Format(HarnessTest):
    def test_top_level(self):
        run = self.include("pass", "skip", "fail")
        r = run.results
        self.assertEqual(r["__type__"], "TestrunResult")
        self.assertEqual(r["results_version"], 10)
        self.assertEqual(r["uname"], " ".join(os.uname()))
        self.assertIsInstance(r["cmdline"], list)
        self.assertEqual(r["cmdline"][0], HARNESS)
        self.assertEqual(r["time_elapsed"]["__type__"], "TimeAttribute")
        self.assertLessEqual(r["time_elapsed"]["start"], r["time_elapsed"]["end"])
        self.assertGreater(r["time_elapsed"]["start"], time.time() - 600)
        release = os.uname().release
        self.assertEqual(r["vramshare"], {"topology": "host-test",
                                          "kernel": release,
                                          "commit": "c0ffee1",
                                          "complete": True})
        for part in ("c0ffee1", "host-test", release):
            self.assertIn(part, r["name"])
        self.assertEqual(list(r["tests"]), [name("pass"), name("skip"),
                                            name("fail")])

    def test_test_entries(self):
        run = self.include("pass", "output")
        for subtest in ("pass", "output"):
            t = run.test(subtest)
            self.assertLessEqual(TEST_KEYS, set(t))
            self.assertEqual(t["time"]["__type__"], "TimeAttribute")
            self.assertEqual(t["time"]["start"], 0)
            self.assertGreater(t["time"]["end"], 0)
            self.assertLess(t["time"]["end"], 60)
            self.assertEqual(t["dmesg"], "")
            self.assertNotIn("dmesg-warnings", t)
        self.assertEqual(run.test("pass")["igt-version"],
                         "IGT-Version: 1.27.1-fake (x86_64) (Linux: fake x86_64)")
        self.assertNotIn("igt-version", run.test("output"))
        # stdout and stderr apart, as igt_runner keeps them
        self.assertEqual(run.test("output")["out"], "to-stdout\n")
        self.assertEqual(run.test("output")["err"], "to-stderr\n")
        # and both echoed live
        self.assertIn("to-stdout\n", run.stdout)
        self.assertIn("to-stderr\n", run.stdout)

    def test_totals_and_runtimes(self):
        run = self.include("pass", "skip", "fail", "crash")
        self.assertTotals(run, {"pass": 1, "skip": 1, "fail": 1, "crash": 1})
        self.assertEqual(set(run.results["totals"]), {"", "root", "igt@fake-igt"})
        rt = run.results["runtimes"]["igt@fake-igt"]["time"]
        self.assertEqual(rt["__type__"], "TimeAttribute")
        total = sum(t["time"]["end"] for t in run.results["tests"].values())
        self.assertAlmostEqual(rt["end"], total, places=2)

    def test_totals_skip_binaries_without_subtests(self):
        other = os.path.join(self.dir, "other")
        with open(other, "w") as f:
            f.write("#!/bin/sh\n[ \"$1\" = --list-subtests ] && echo only-other\n"
                    "exit 0\n")
        os.chmod(other, 0o755)
        run = self.include("pass", binaries=(FAKE, other))
        self.assertEqual(run.returncode, 0)
        self.assertEqual(set(run.results["totals"]), {"", "root", "igt@fake-igt"})
        self.assertEqual(set(run.results["runtimes"]), {"igt@fake-igt"})

    def test_unknown_commit_and_topology(self):
        del self.env["VRAMSHARE_COMMIT"]
        del self.env["RIG_TOPOLOGY"]
        run = self.include("pass")
        self.assertEqual(run.results["vramshare"]["commit"], "unknown")
        self.assertEqual(run.results["vramshare"]["topology"], "unknown")

    def test_unprintable_output(self):
        run = self.include("bad-bytes")
        out = run.test("bad-bytes")["out"]
        self.assertEqual(out, "bad \ufffd\ufffd bytes, a NUL \x00 and a bell \x07\n")


class Results(HarnessTest):
    def test_exit_codes(self):
        run = self.include("pass", "skip", "fail", "crash", "abort", "exit3")
        got = {s: (run.result(s), run.test(s)["returncode"])
               for s in ("pass", "skip", "fail", "crash", "abort", "exit3")}
        self.assertEqual(got, {"pass": ("pass", 0), "skip": ("skip", 77),
                               "fail": ("fail", 98),
                               "crash": ("crash", -signal.SIGSEGV),
                               "abort": ("abort", 112),
                               "exit3": ("fail", 3)})
        self.assertIn("igt-harness: killed by signal 11", run.test("crash")["out"])
        self.assertIn("igt-harness: exit status 3", run.test("exit3")["out"])
        self.assertEqual(run.test("fail")["err"], "fake failure message\n")

    def test_counts(self):
        run = self.include("pass", "skip", "fail", "crash")
        self.assertEqual(run.counts, (1, 2, 1))
        self.assertIn("1 passed, 2 failed, 1 skipped", run.stdout)

    def test_include_exclude(self):
        run = self.harness("--include", "kmsg-*", "--include", "pass",
                           "--exclude", "*-fail", "--exclude", "kmsg-input")
        self.assertEqual(list(run.results["tests"]),
                         [name(s) for s in ("pass", "kmsg-warn",
                                            "kmsg-warn-skip", "kmsg-noise")])
        run = self.harness("--exclude", "*", )
        self.assertEqual(run.results["tests"], {})
        self.assertEqual(run.returncode, 0)
        self.assertEqual(run.counts, (0, 0, 0))


class Timeout(HarnessTest):
    def test_timeout(self):
        start = time.monotonic()
        run = self.harness("--timeout", "1", "--include", "hang",
                           "--include", "pass")
        self.assertLess(time.monotonic() - start, 30)
        t = run.test("hang")
        self.assertEqual(t["result"], "timeout")
        self.assertGreaterEqual(t["time"]["end"], 1)
        self.assertLess(t["time"]["end"], 15)
        self.assertEqual(t["out"], "hanging\nigt-harness: timed out after 1 s\n")
        self.assertEqual(run.result("pass"), "pass")
        self.assertEqual(run.counts, (1, 1, 0))
        self.assertEqual(run.returncode, 1)

    def test_interrupted(self):
        # SIGTERM while a subtest hangs: it is incomplete, the rest not run
        proc = self.start("--include", "pass", "--include", "hang",
                          "--include", "bad-bytes")
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                with open(self.results, encoding="utf-8") as f:
                    running = json.load(f)["tests"].get(name("hang"), {})
            except FileNotFoundError:
                running = {}
            if running.get("result") == "incomplete":
                break
            time.sleep(0.1)
        proc.send_signal(signal.SIGTERM)
        run = self.finish(proc)
        self.assertEqual(run.returncode, 1)
        self.assertEqual([run.result(s) for s in ("pass", "hang", "bad-bytes")],
                         ["pass", "incomplete", "notrun"])
        self.assertIn("interrupted by signal 15", run.test("hang")["out"])
        self.assertFalse(run.results["vramshare"]["complete"])
        self.assertTotals(run, {"pass": 1, "incomplete": 1, "notrun": 1})
        self.assertEqual(run.counts, (1, 1, 0))


class ExitStatus(HarnessTest):
    def test_all_pass_or_skip(self):
        self.assertEqual(self.include("pass", "skip").returncode, 0)

    def test_failure(self):
        for subtest in ("fail", "crash", "abort", "exit3", "kmsg-warn"):
            with self.subTest(subtest=subtest):
                self.assertEqual(self.include("pass", subtest).returncode, 1)

    def test_usage(self):
        for args in ([], ["--timeout", "0", FAKE], ["--timeout", "x", FAKE],
                     ["--bogus", FAKE], [FAKE, FAKE],
                     ["--kmsg", os.path.join(self.dir, "none"), FAKE]):
            with self.subTest(args=args):
                proc = subprocess.run([HARNESS] + args, env=self.env,
                                      capture_output=True, text=True)
                self.assertEqual(proc.returncode, 2, proc.stderr)
                self.assertIn("usage:", proc.stderr)

    def test_list_only(self):
        other = os.path.join(self.dir, "other")
        with open(other, "w") as f:
            f.write("#!/bin/sh\n[ \"$1\" = --list-subtests ] && exec echo only-other\n"
                    "echo ran >>%s/ran\n" % self.dir)
        os.chmod(other, 0o755)
        # the selection the run would make, in its order, nothing run
        run = self.harness("--list", "--include", "kmsg-warn*", "--include",
                           "only-*", "--exclude", "kmsg-warn-skip",
                           binaries=(FAKE, other))
        self.assertEqual(run.returncode, 0, run.stderr)
        self.assertEqual(run.stdout.splitlines(),
                         [name("kmsg-warn"), name("kmsg-warn-fail"),
                          "igt@other@only-other"])
        self.assertFalse(os.path.exists(os.path.join(self.dir, "ran")))
        self.assertIsNone(run.results)
        self.assertIsNone(run.counts)
        # an empty selection is no error; a failed listing is
        run = self.harness("--list", "--include", "nosuch")
        self.assertEqual((run.returncode, run.stdout), (0, ""))
        run = self.harness("--list", binaries=(os.path.join(self.dir, "missing"),))
        self.assertEqual(run.returncode, 1)
        self.assertIn("listing %s failed: cannot find" % os.path.join(self.dir, "missing"),
                      run.stderr)

    def test_listing_failure(self):
        broken = os.path.join(self.dir, "broken")
        with open(broken, "w") as f:
            f.write("#!/bin/sh\necho 'cannot list' >&2\nexit 1\n")
        os.chmod(broken, 0o755)
        missing = os.path.join(self.dir, "missing")
        run = self.harness("--include", "pass",
                           binaries=(broken, missing, FAKE))
        self.assertEqual(run.returncode, 1)
        self.assertEqual(list(run.results["tests"]),
                         ["igt@broken", "igt@missing", name("pass")])
        b = run.results["tests"]["igt@broken"]
        self.assertEqual((b["result"], b["returncode"]), ("fail", 1))
        self.assertEqual(b["err"], "cannot list\n")
        self.assertIn("cannot list\n", run.stderr)
        self.assertIn("--list-subtests exited with status 1", b["out"])
        m = run.results["tests"]["igt@missing"]
        self.assertEqual(m["result"], "fail")
        self.assertIn("cannot find", m["out"])
        self.assertEqual(run.result("pass"), "pass")
        self.assertEqual(run.counts, (1, 2, 0))
        self.assertEqual(run.results["totals"]["igt@broken"]["fail"], 1)


class KernelLog(HarnessTest):
    def check_reports(self, run):
        warn = run.test("kmsg-warn")
        self.assertEqual(warn["result"], "dmesg-warn")
        self.assertRegex(warn["dmesg"],
                         r"^<4> \[\d+\.\d{6}\] WARNING: CPU: 0 PID: \d+ at fake.c:12 ")
        self.assertEqual(warn["dmesg"], warn["dmesg-warnings"])
        self.assertNotIn("SUBSYSTEM=", warn["dmesg"])
        self.assertIn("igt-harness: kernel report: <4> [", warn["out"])
        self.assertEqual(run.result("pass"), "pass")
        self.assertEqual(run.test("pass")["dmesg"], "")

    def test_reports_fail_subtests(self):
        # A report logged before the run is none of its subtests' business.
        with open(self.kmsg, "w") as f:
            f.write(record(4, "WARNING: CPU: 0 PID: 1 at before.c:1 x"))
        run = self.include("pass", "kmsg-warn", "kmsg-warn-fail",
                           "kmsg-warn-skip", "kmsg-noise")
        self.check_reports(run)
        self.assertEqual(run.result("kmsg-warn-fail"), "dmesg-fail")
        self.assertEqual(run.result("kmsg-warn-skip"), "dmesg-warn")
        noise = run.test("kmsg-noise")
        self.assertEqual(noise["result"], "pass")
        self.assertIn("Adding kernel taint for vfio-noiommu", noise["dmesg"])
        self.assertIn("<6> [", noise["dmesg"])
        self.assertNotIn("dmesg-warnings", noise)
        self.assertTotals(run, {"pass": 2, "dmesg-warn": 2, "dmesg-fail": 1})
        self.assertEqual(run.counts, (2, 3, 0))
        self.assertEqual(run.returncode, 1)

    def test_fifo(self):
        fifo = os.path.join(self.dir, "kmsg.fifo")
        os.mkfifo(fifo)
        self.env["FAKE_IGT_KMSG"] = fifo
        run = self.include("kmsg-warn", "pass", kmsg=fifo)
        self.check_reports(run)
        self.assertEqual(run.counts, (1, 1, 0))

    def test_shared_with_rig(self):
        """Every line counts the same in the harness and in the rig's
        vm_check_log, both reading tests/vm/kernel-reports.txt."""
        lines = [
            # reports
            "WARNING: CPU: 0 PID: 7 at drivers/x.c:1 f+0x1/0x2",
            "BUG: KASAN: slab-use-after-free in f+0x1/0x2",
            "kernel BUG at mm/slub.c:1!",
            "UBSAN: shift-out-of-bounds in x.c:3:4",
            "Oops: 0000 [#1] PREEMPT SMP",
            "general protection fault, probably for non-canonical address",
            "Kernel panic - not syncing: fatal exception",
            "WARNING: possible circular locking dependency detected",
            "WARNING: possible recursive locking detected",
            "WARNING: inconsistent lock state",
            "WARNING: suspicious RCU usage",
            "DEBUG_LOCKS_WARN_ON(1)",
            "INFO: task kworker/0:1:12 blocked for more than 120 seconds.",
            "list_add corruption. prev->next should be next",
            "list_del corruption, ffff0000 ->next is LIST_POISON1",
            "ODEBUG: free active (active state 0) object type: timer_list",
            "refcount_t: underflow; use-after-free.",
            "DMAR: DRHD: handling fault status reg 2",
            "DMAR: [DMA Read NO_PASID] Request device [00:03.0] fault addr",
            "DMA-API: vfio-pci 0000:03:00.0: device driver frees DMA memory with wrong function",
            # not reports
            "DMA-API: preallocated 65536 debug entries",
            "DMA-API: debugging enabled by kernel config",
            "vfio-pci 0000:03:00.0: Adding kernel taint for vfio-noiommu group on device",
            "DMAR: IOMMU enabled",
            "Booting the kernel.",
        ]
        inputs = os.path.join(self.dir, "records")
        self.env["FAKE_IGT_KMSG_INPUT"] = inputs
        for line in lines:
            with self.subTest(line=line):
                with open(inputs, "w") as f:
                    f.write(record(4, line))
                run = self.include("kmsg-input")
                harness = run.result("kmsg-input") == "dmesg-warn"
                rig = self.rig_sees_report(line)
                self.assertEqual(harness, rig)
        # and the list is not empty on either side
        self.assertTrue(self.rig_sees_report(lines[0]))

    def rig_sees_report(self, line):
        rundir = os.path.join(self.dir, "rigrun")
        os.makedirs(rundir, exist_ok=True)
        with open(os.path.join(rundir, "dmesg"), "w") as f:
            f.write("[    1.000000] %s\n" % line)
        with open(os.path.join(rundir, "tainted"), "w") as f:
            f.write("0\n")
        script = ('set -euo pipefail; RIG_DIR=%s; . %s; vm_check_log %s'
                  % (os.path.join(TOP, "tests", "vm"), QEMU_SH, rundir))
        proc = subprocess.run(["bash", "-c", script], capture_output=True,
                              text=True)
        self.assertIn(proc.returncode, (0, 1), proc.stderr)
        return proc.returncode == 1


class Durability(HarnessTest):
    def test_written_as_each_subtest_starts(self):
        # The snapshot subtest copies results.json and counts as they are
        # while it runs: what a guest that died then would leave.
        snap = os.path.join(self.dir, "snap")
        self.env["FAKE_IGT_SNAPSHOT"] = snap
        run = self.include("pass", "fail", "snapshot", "output")
        self.assertEqual(run.result("snapshot"), "pass")
        with open(snap + ".json", encoding="utf-8") as f:
            during = json.load(f)
        with open(snap + ".counts") as f:
            counts = tuple(int(n) for n in f.read().split())
        self.assertEqual([t["result"] for t in during["tests"].values()],
                         ["pass", "fail", "incomplete", "notrun"])
        self.assertEqual(list(during["tests"]), list(run.results["tests"]))
        self.assertFalse(during["vramshare"]["complete"])
        self.assertEqual(during["totals"][""]["incomplete"], 1)
        self.assertEqual(during["totals"][""]["notrun"], 1)
        # the running subtest counts as a failure, until it ends
        self.assertEqual(counts, (1, 2, 0))
        self.assertEqual(run.counts, (3, 1, 0))


if __name__ == "__main__":
    unittest.main()
