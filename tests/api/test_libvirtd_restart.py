"""libvirtd goes away and comes back while vireod keeps running: requests
answer 503 unavailable meanwhile, then 200 again without restarting vireod.
Destructive for the host's libvirtd (restarted with `libvirtd -d`); set
VIREO_TEST_SKIP_LIBVIRTD_RESTART=1 to skip it."""

import os
import signal
import time

import harness


def stop_libvirtd(sig=signal.SIGTERM):
    pid = harness.libvirtd_pid()
    if pid is None:
        raise RuntimeError("libvirtd pid not found (/run/libvirtd.pid)")
    harness.kill_and_wait(pid, sig)


class LibvirtdRestartTest(harness.ApiTestCase):
    def setUp(self):
        if os.environ.get("VIREO_TEST_SKIP_LIBVIRTD_RESTART") == "1":
            self.skipTest("VIREO_TEST_SKIP_LIBVIRTD_RESTART=1")
        if harness.libvirtd_pid() is None:
            self.skipTest("libvirtd is not running from /run/libvirtd.pid")

    def test_unavailable_then_back(self):
        name = self.guest("restart")
        daemon_pid = harness.daemon().proc.pid
        self.assertStatus(self.api.get("/api/vms/" + name), 200)

        self.addCleanup(harness.start_libvirtd)
        stop_libvirtd()
        t_down = time.monotonic()
        try:
            for path in ("/api/vms", "/api/vms/" + name, "/api/host"):
                with self.subTest(path=path):
                    r = self.api.get(path)
                    self.assertError(r, 503, "unavailable")
            r = self.api.post("/api/vms/%s/start" % name)
            self.assertError(r, 503, "unavailable")
            r = self.api.patch("/api/vms/" + name, {"description": "while down"})
            self.assertError(r, 503, "unavailable")
            # static files do not need libvirt
            self.assertStatus(self.api.get("/"), 200)
            self.assertLess(time.monotonic() - t_down, 30, "answers while libvirtd is down are slow")
        finally:
            self.assertTrue(harness.start_libvirtd(), "libvirtd did not come back")
        t_up = time.monotonic()

        deadline = t_up + 15
        last = None
        while time.monotonic() < deadline:
            last = self.api.get("/api/vms")
            if last.status == 200:
                break
            time.sleep(0.25)
        self.assertStatus(last, 200, "vireod did not reconnect within 15 s of libvirtd's restart")
        harness.log("vireod answered 200 again %.1fs after libvirtd restarted"
                    % (time.monotonic() - t_up))
        names = [v["name"] for v in last.json()["vms"]]
        self.assertIn(name, names)
        self.assertStatus(self.api.get("/api/vms/" + name), 200)
        self.assertStatus(self.api.get("/api/host"), 200)
        self.assertTrue(harness.daemon().alive(), "vireod died")
        self.assertEqual(harness.daemon().proc.pid, daemon_pid)

    def test_setup_restarts_daemons_killed_without_cleanup(self):
        # What a machine snapshot or a crash leaves: pid files and sockets of
        # processes that are gone. `make run`/`make test` must not trust them.
        running = harness.virsh("list", "--state-running", "--name").split()
        self.addCleanup(harness.start_libvirtd)
        stop_libvirtd(sig=signal.SIGKILL)
        self.assertTrue(os.path.exists("/run/libvirtd.pid"))
        self.assertTrue(os.path.exists(harness.LIBVIRT_SOCK))
        logd = harness.pidfile_process("/run/virtlogd.pid", "virtlogd")
        if logd is not None and not running:
            # no guest writes to virtlogd now, so it can go too
            harness.kill_and_wait(logd, signal.SIGKILL)
        self.assertTrue(harness.start_libvirtd(), "host-setup.sh failed")
        self.assertIsNotNone(harness.libvirtd_pid())
        self.assertIsNotNone(harness.pidfile_process("/run/virtlogd.pid", "virtlogd"))
        # a guest starts, which needs a live virtlogd
        name = self.guest("stale")
        deadline = time.monotonic() + 15
        while True:
            r = self.api.post("/api/vms/%s/start" % name)
            if r.status == 200 or time.monotonic() > deadline:
                break
            time.sleep(0.25)   # vireod reconnects to the new libvirtd
        self.assertStatus(r, 200)
        self.assertStatus(self.api.post("/api/vms/%s/poweroff" % name), 200)


if __name__ == "__main__":
    import unittest
    unittest.main()
