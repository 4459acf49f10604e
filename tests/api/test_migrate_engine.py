"""The migration engine (virt/virt_migrate.c) between the two real libvirt
hosts of the lab (tests/hosts/lab.sh, docs/hosts-lab.md), through its
command-line driver build/asan/vireo-migrate (tests/hosts/vireo_migrate.c):
a stopped VM moves offline with its disk and boots where it landed; each
refusal (disk not on the target, missing network, CPU, name taken) changes
nothing. Live moves there and back with their disks, their progress and a
cancel are tested through vireod in test_hosts.MigrateTest (same engine,
one set of booted guests for both). The lab is made and removed here; the
tests skip only when this machine cannot make namespaces."""

import os
import subprocess
import unittest

import lab

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
MIGRATE = os.environ.get("VIREO_MIGRATE_BIN", os.path.join(REPO, "build", "asan", "vireo-migrate"))
GUEST = "vireo-lab-eng-run"


def migrate(src, dst, name, *opts):
    """(exit code, progress reports, last line) of one run of the driver."""
    p = subprocess.run([MIGRATE, src, dst, name] + list(opts), stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, timeout=180,
                       env=dict(os.environ, ASAN_OPTIONS="detect_leaks=1"))
    lines = p.stdout.decode("utf-8", "replace").splitlines()
    progress = [tuple(float(x) for x in l.split()[1:]) for l in lines if l.startswith("progress ")]
    last = [l for l in lines if not l.startswith("progress ")]
    if p.returncode not in (0, 3, 4) or p.stderr.strip():
        raise AssertionError("vireo-migrate exited %d: %s %s" % (
            p.returncode, "\n".join(last), p.stderr.decode("utf-8", "replace")[-3000:]))
    return p.returncode, progress, last[-1] if last else ""


def snapshot(uri):
    """What a host holds: its domains with their states, and its volumes."""
    doms = {n: lab.domain_state(uri, n) for n in lab.domain_names(uri)}
    vols = sorted(l.split()[0] for l in lab.virsh(uri, "vol-list", "default").splitlines()
                  if l.strip())
    nets = sorted(lab.virsh(uri, "net-list", "--all", "--name").split())
    return doms, vols, nets


class MigrateEngineTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        if not os.access(MIGRATE, os.X_OK):
            raise AssertionError("%s missing: make %s" % (MIGRATE, os.path.relpath(MIGRATE, REPO)))
        # Skipped test by test (not the class), so that the tier's count
        # (run - failed - skipped) sees each one run and skipped.
        cls.no_lab = None
        try:
            cls.a, cls.b = lab.up()
        except lab.LabUnavailable as e:
            cls.no_lab = "no two-host lab: %s" % e

    @classmethod
    def tearDownClass(cls):
        if not cls.no_lab:
            lab.down()

    def setUp(self):
        if self.no_lab:
            self.skipTest(self.no_lab)

    def tearDown(self):
        if self.no_lab:
            return
        for name in (GUEST, "vireo-lab-eng-off", "vireo-lab-eng-net", "vireo-lab-eng-cpu"):
            lab.remove_guest(name)

    def assert_on(self, uri, other, name, state):
        self.assertEqual(lab.domain_state(uri, name), state)
        self.assertNotIn(name, lab.domain_names(other))
        # Persistent where it landed, undefined where it left.
        self.assertIn("Persistent:     yes", lab.virsh(uri, "dominfo", name))

    def test_offline(self):
        name = "vireo-lab-eng-off"
        lab.define_guest(name, self.a, disk_mib=8, start=False)
        # Its disk is not on B: refused unless copied along.
        before = snapshot(self.a), snapshot(self.b)
        rc, _, last = migrate(self.a, self.b, name)
        self.assertEqual(rc, 3, last)
        self.assertIn("refused disk_missing", last)
        self.assertEqual((snapshot(self.a), snapshot(self.b)), before)
        rc, progress, last = migrate(self.a, self.b, name, "--copy-storage")
        self.assertEqual(rc, 0, last)
        self.assert_on(self.b, self.a, name, "shut off")
        # The disk copy reports its bytes (of the file, not the capacity).
        self.assertTrue(progress, "no progress was reported")
        self.assertTrue(all(0.0 <= f <= 1.0 and d <= t for d, t, f in progress), progress)
        self.assertIn(name + ".qcow2", snapshot(self.b)[1])
        self.assertNotIn(name + ".qcow2", snapshot(self.a)[1])
        info = lab.virsh(self.b, "vol-info", "--pool", "default", name + ".qcow2")
        self.assertRegex(info, r"Capacity:\s+8\.00 MiB")
        # It starts where it landed, from its copied disk.
        lab.virsh(self.b, "start", name)
        self.assertTrue(lab.wait_marker(self.b, name, timeout=90))

    def test_refused_network_missing(self):
        name = "vireo-lab-eng-net"
        net = "vireo-lab-only-a"
        lab.define_network(self.a, net, bridge="vlabonlya0")
        try:
            lab.define_guest(name, self.a, disk_mib=0, start=False)
            lab.virsh(self.a, "attach-interface", name, "network", net, "--config")
            before = snapshot(self.a), snapshot(self.b)
            rc, _, last = migrate(self.a, self.b, name)
            self.assertEqual(rc, 3, last)
            self.assertIn("refused network_missing", last)
            self.assertIn(net, last)
            self.assertEqual((snapshot(self.a), snapshot(self.b)), before)
        finally:
            lab.virsh(self.a, "net-undefine", net, check=False)

    def test_refused_cpu(self):
        name = "vireo-lab-eng-cpu"
        lab.define_guest(name, self.a, disk_mib=0, start=False)
        # A model TCG cannot give (no AVX-512 under TCG): on both hosts.
        xml = lab.virsh(self.a, "dumpxml", name, "--inactive").replace(
            "</features>", "</features><cpu mode='custom' match='exact'>"
            "<model fallback='forbid'>Skylake-Server</model></cpu>")
        path = "/tmp/%s.xml" % name
        with open(path, "w") as f:
            f.write(xml)
        try:
            lab.virsh(self.a, "define", path)
        finally:
            os.unlink(path)
        before = snapshot(self.a), snapshot(self.b)
        rc, _, last = migrate(self.a, self.b, name)
        self.assertEqual(rc, 3, last)
        self.assertIn("refused cpu_incompatible", last)
        self.assertEqual((snapshot(self.a), snapshot(self.b)), before)

    def test_refused_name_taken(self):
        lab.define_guest(GUEST, self.a, disk_mib=0, start=False)
        lab.define_guest(GUEST, self.b, disk_mib=0, start=False)
        before = snapshot(self.a), snapshot(self.b)
        rc, _, last = migrate(self.a, self.b, GUEST)
        self.assertEqual(rc, 3, last)
        self.assertIn("refused name_taken", last)
        self.assertEqual((snapshot(self.a), snapshot(self.b)), before)


if __name__ == "__main__":
    unittest.main()
