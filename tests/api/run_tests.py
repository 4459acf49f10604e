"""Runs the API tier: one vireod for the whole suite, per-test results on
stdout, "PASSED FAILED" into $VIREO_RESULTS_DIR/api.count. Arguments, if any,
select tests (unittest names, e.g. test_vms.ListTest.test_paging)."""

import os
import shutil
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402

# Every test_*.py here runs: first these, in this order, then any other
# (by name), then LAST. libvirtd restart last of the ones that need
# libvirt: it is the most disruptive. test_secrets after everything: it
# checks every answer and log line of the run for passwords, hashes and
# tokens.
FIRST = ["test_host", "test_static", "test_vms", "test_patch", "test_vm_edit", "test_vm_devices",
         "test_delete", "test_storage", "test_pool_types", "test_create", "test_screenshot",
         "test_templates", "test_os",
         "test_tasks", "test_transfer", "test_scope", "test_crash", "test_audit_bounds",
         "test_lifecycle", "test_events", "test_live_permissions", "test_auth_routes", "test_auth",
         "test_lockout", "test_tls", "test_pam", "test_networks"]
LAST = ["test_libvirtd_restart", "test_secrets"]


def all_modules():
    here = os.path.dirname(os.path.abspath(__file__))
    found = sorted(f[:-3] for f in os.listdir(here) if f.startswith("test_") and f.endswith(".py"))
    missing = [m for m in FIRST + LAST if m not in found]
    if missing:
        sys.exit("run_tests.py: listed but not found: %s" % ", ".join(missing))
    return FIRST + [m for m in found if m not in FIRST + LAST] + LAST


MODULES = all_modules()


class Result(unittest.TextTestResult):
    module_seconds = {}

    def startTest(self, test):
        self._t0 = time.monotonic()
        super().startTest(test)

    def stopTest(self, test):
        super().stopTest(test)
        took = time.monotonic() - self._t0
        module = type(test).__module__
        Result.module_seconds[module] = Result.module_seconds.get(module, 0.0) + took
        if self.showAll:
            self.stream.writeln("    (%.1fs)" % took)


def print_slowest(count=12):
    """The modules that cost the most, to keep the tier inside its budget."""
    slow = sorted(Result.module_seconds.items(), key=lambda kv: -kv[1])[:count]
    print("slowest modules: " + ", ".join("%s %.0fs" % kv for kv in slow))


def keep_first_logs():
    """A rerun starts its daemons afresh and writes their logs over the
    failed run's: those are kept in first-run/ beside them."""
    keep = os.path.join(harness.RESULTS_DIR, "first-run")
    shutil.rmtree(keep, ignore_errors=True)
    os.makedirs(keep)
    for name in os.listdir(harness.RESULTS_DIR):
        if name.startswith("vireod-") and name.endswith(".log"):
            shutil.copy(os.path.join(harness.RESULTS_DIR, name), keep)


def rerun(tests):
    """Runs each failed test once more, alone. Answers the ids of those that
    pass now: the machines this runs on are shared and noisy, so a test
    that fails once and then passes counts as passed, and is named as
    FLAKY above the summary (tests/run-all.sh) so that it is looked at."""
    if os.environ.get("VIREO_API_RERUN", "1") != "1":
        return set()
    keep_first_logs()
    loader = unittest.TestLoader()
    passed = set()
    for t in tests:
        if not isinstance(t, unittest.TestCase) or isinstance(t, unittest.case._SubTest):
            continue  # a module's or class's set-up failed: not one test to rerun
        print("rerunning %s once" % t.id())
        again = unittest.TextTestRunner(stream=sys.stdout, verbosity=2, resultclass=Result).run(
            loader.loadTestsFromName(t.id()))
        if again.wasSuccessful() and again.testsRun == 1 and not again.skipped:
            passed.add(t.id())
    return passed


def write_lines(name, lines):
    with open(os.path.join(harness.RESULTS_DIR, name), "w") as f:
        f.writelines(n + "\n" for n in lines)


def write_count(passed, failed, names=()):
    os.makedirs(harness.RESULTS_DIR, exist_ok=True)
    with open(os.path.join(harness.RESULTS_DIR, "api.count"), "w") as f:
        f.write("%d %d\n" % (passed, failed))
    # What failed, a name a line: tests/run-all.sh prints them above its summary.
    write_lines("api.failed", names)
    print("api tier: %d passed, %d failed (written to %s/api.count)"
          % (passed, failed, harness.RESULTS_DIR))


def main(argv):
    loader = unittest.TestLoader()
    if argv:
        suite = loader.loadTestsFromNames(argv)
    else:
        suite = unittest.TestSuite(loader.loadTestsFromName(m) for m in MODULES)
    total = suite.countTestCases()

    t0 = time.monotonic()
    harness.sweep_stale()
    try:
        harness.daemon()
    except Exception as e:
        print("api tier: cannot start vireod: %s" % e)
        write_count(0, max(total, 1), ["vireod did not start: %s" % e])
        return 1

    failed_extra = 0
    flaky = set()
    try:
        runner = unittest.TextTestRunner(stream=sys.stdout, verbosity=2, resultclass=Result)
        result = runner.run(suite)
        bad = {id(getattr(t, "test_case", t)): getattr(t, "test_case", t)
               for t, _ in result.failures + result.errors}
        flaky = rerun(bad.values())
    finally:
        d = harness._daemon
        log_path = d.log_path if d else None
        code = harness.stop_daemon()
        harness.sweep()
    ok = code == 0
    print("vireod clean exit on SIGTERM ... %s" % ("ok" if ok else "FAIL (exit %r)" % code))
    if not ok:
        failed_extra = 1
        print("vireod log: %s" % log_path)

    # A test with failing subtests is reported once per subtest; count it once.
    bad_tests = {k for k, t in bad.items() if t.id() not in flaky}
    names = sorted(bad[k].id() for k in bad_tests)
    names += ["%s (unexpected success)" % t.id() for t in result.unexpectedSuccesses]
    if not ok:
        names.append("vireod clean exit on SIGTERM (exit %r, log %s)" % (code, log_path))
    skipped = len(result.skipped)
    passed = result.testsRun - len(bad_tests) - skipped - len(result.unexpectedSuccesses) \
        + (1 if ok else 0)
    failed = len(bad_tests) + len(result.unexpectedSuccesses) + failed_extra
    print_slowest()
    print("api tier took %.0fs, %d skipped" % (time.monotonic() - t0, skipped))
    write_count(passed, failed, names)
    write_lines("api.flaky", sorted("%s (failed, then passed when rerun)" % n for n in flaky))
    return 0 if failed == 0 else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
