"""GET /api/host and GET /api/openapi.json against the real machine."""

import os
import platform
import re

import harness


def expected_virtualization():
    """What the contract says the daemon should find on this machine."""
    flags = set()
    with open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("flags"):
                flags.update(line.split(":", 1)[1].split())
    cpu_flag = "vmx" if "vmx" in flags else ("svm" if "svm" in flags else None)
    kvm_device = os.path.exists("/dev/kvm")
    kvm_pvm = os.path.exists("/sys/module/kvm_pvm")
    usable = cpu_flag is not None and not kvm_pvm and kvm_device
    return {"cpu_flag": cpu_flag, "kvm_device": kvm_device, "kvm_pvm": kvm_pvm,
            "kvm_usable": usable}


def virsh_versions():
    out = harness.virsh("version")
    lib = re.search(r"Using library: libvirt (\S+)", out)
    hyp = re.search(r"Running hypervisor: (\S+) (\S+)", out)
    return (lib.group(1) if lib else None,
            (hyp.group(1), hyp.group(2)) if hyp else (None, None))


def virsh_nodeinfo():
    info = {}
    for line in harness.virsh("nodeinfo").splitlines():
        if ":" in line:
            k, v = line.split(":", 1)
            info[k.strip()] = v.strip()
    return info


class HostTest(harness.ApiTestCase):
    def get_host(self):
        r = self.api.get("/api/host")
        self.assertStatus(r, 200)
        self.assertTrue((r.header("Content-Type") or "").startswith("application/json"), repr(r))
        return r, r.json()

    def test_shape(self):
        _, h = self.get_host()
        for key, typ in (("hostname", str), ("uri", str), ("cpu", dict), ("memory", dict),
                         ("hypervisor", dict), ("libvirt", dict), ("virtualization", dict),
                         ("domain_types", list), ("default_domain_type", str)):
            self.assertIn(key, h)
            self.assertIsInstance(h[key], typ, key)
        for key, typ in (("model", str), ("arch", str), ("sockets", int), ("cores", int),
                         ("threads", int), ("cpus", int), ("mhz", int)):
            self.assertIn(key, h["cpu"])
            self.assertIsInstance(h["cpu"][key], typ, "cpu." + key)
        for key in ("total", "free"):
            self.assertIsInstance(h["memory"].get(key), int, "memory." + key)
        self.assertIsInstance(h["hypervisor"].get("type"), str)
        self.assertIsInstance(h["hypervisor"].get("version"), str)
        self.assertIsInstance(h["libvirt"].get("version"), str)
        v = h["virtualization"]
        self.assertIn("cpu_flag", v)
        self.assertIn(v["cpu_flag"], ("vmx", "svm", None))
        for key in ("kvm_device", "kvm_pvm", "kvm_usable"):
            self.assertIsInstance(v.get(key), bool, "virtualization." + key)

    def test_values_match_machine(self):
        _, h = self.get_host()
        self.assertEqual(h["uri"], harness.URI)
        self.assertEqual(h["hostname"], harness.virsh("hostname").strip())
        self.assertEqual(h["cpu"]["arch"], platform.machine())
        node = virsh_nodeinfo()
        self.assertEqual(h["cpu"]["cpus"], int(node["CPU(s)"]))
        self.assertEqual(h["cpu"]["sockets"], int(node["CPU socket(s)"]))
        self.assertEqual(h["cpu"]["cores"], int(node["Core(s) per socket"]))
        self.assertEqual(h["cpu"]["threads"], int(node["Thread(s) per core"]))
        # libvirt's node info (NUMA cells) and the kernel's MemTotal may differ
        # in a sandbox; either is a fair "total".
        candidates = [int(node["Memory size"].split()[0]) // 1024]
        with open("/proc/meminfo") as f:
            for line in f:
                if line.startswith("MemTotal:"):
                    candidates.append(int(line.split()[1]) // 1024)
        self.assertTrue(any(abs(h["memory"]["total"] - c) <= max(2, c // 100) for c in candidates),
                        "memory.total %d MiB matches neither of %r" % (h["memory"]["total"], candidates))
        self.assertGreater(h["memory"]["free"], 0)
        self.assertLessEqual(h["memory"]["free"], h["memory"]["total"])
        lib, (hyp_type, hyp_ver) = virsh_versions()
        self.assertEqual(h["libvirt"]["version"], lib)
        self.assertEqual(h["hypervisor"]["version"], hyp_ver)
        self.assertEqual(h["hypervisor"]["type"].lower(), hyp_type.lower())

    def test_virtualization_detection(self):
        _, h = self.get_host()
        want = expected_virtualization()
        self.assertEqual(h["virtualization"], want)
        if want["kvm_usable"]:
            self.assertEqual(sorted(h["domain_types"]), ["kvm", "qemu"])
            self.assertEqual(h["default_domain_type"], "kvm")
        else:
            self.assertEqual(h["domain_types"], ["qemu"])
            self.assertEqual(h["default_domain_type"], "qemu")

    def test_etag(self):
        r, _ = self.get_host()
        self.assertETag(r)

    def test_wrong_method(self):
        r = self.api.post("/api/host")
        err = self.assertError(r, 405)
        allow = r.header("Allow") or ""
        self.assertIn("GET", [m.strip() for m in allow.split(",")], repr(r))
        self.assertTrue(err)


class OpenApiTest(harness.ApiTestCase):
    def test_openapi_document(self):
        r = self.api.get("/api/openapi.json")
        self.assertStatus(r, 200)
        self.assertTrue((r.header("Content-Type") or "").startswith("application/json"), repr(r))
        doc = r.json()
        self.assertIsInstance(doc.get("openapi"), str)
        self.assertTrue(doc["openapi"].startswith("3.1"), doc["openapi"])
        self.assertIsInstance(doc.get("paths"), dict)
        path = os.path.join(harness.REPO, "api", "core", "openapi.json")
        if os.path.exists(path):
            with open(path, "rb") as f:
                self.assertEqual(r.body, f.read(), "served document differs from api/core/openapi.json")


if __name__ == "__main__":
    import unittest
    unittest.main()
