"""Volume content over HTTP: a 200 MiB upload streamed into libvirt while
vireod's memory stays flat, the download equal to it, uploads into an
existing volume, ISO images recognised, the upload's task, the error
statuses, an upload the client abandons (no volume left, task failed) and a
SIGTERM with an upload under way (clean exit, no volume left)."""

import hashlib
import http.client
import os
import socket
import threading
import time

import harness
from test_storage import MIB, StorageTestCase, q
from test_tasks import TaskHelpers

CHUNK = 256 * 1024


def pattern_chunks(total, seed=b"vireo"):
    """Deterministic, incompressible-enough bytes without holding them all."""
    block = hashlib.sha256(seed).digest() * (CHUNK // 32)
    sent, i = 0, 0
    while sent < total:
        n = min(CHUNK, total - sent)
        head = i.to_bytes(8, "little")
        yield (head + block[8:])[:n]
        sent += n
        i += 1


def sha256_chunks(total):
    h = hashlib.sha256()
    for c in pattern_chunks(total):
        h.update(c)
    return h.hexdigest()


def vm_rss_kib(pid):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def raw_upload(daemon, path, length, chunks, token=None, pause=0.0):
    """PUT with Content-Length `length` sending `chunks`; the answer, or None
    when the connection was cut. Stops sending early when `chunks` ends."""
    conn = http.client.HTTPConnection("127.0.0.1", daemon.port, timeout=120)
    conn.putrequest("PUT", path, skip_accept_encoding=True)
    conn.putheader("Authorization", "Bearer " + (token or daemon.token))
    conn.putheader("Content-Type", "application/octet-stream")
    conn.putheader("Content-Length", str(length))
    conn.endheaders()
    try:
        for c in chunks:
            conn.sock.sendall(c)
            if pause:
                time.sleep(pause)
        resp = conn.getresponse()
        return harness.Response(resp.status, resp.reason, resp.headers, resp.read())
    except (OSError, http.client.HTTPException):
        return None
    finally:
        conn.close()


class TransferTest(StorageTestCase, TaskHelpers):
    def content(self, name):
        return "%s/%s/content" % (self.vols(), q(name))

    def test_200_mib_upload_keeps_memory_flat_and_downloads_the_same(self):
        size = 200 * MIB
        pid = self.daemon.proc.pid
        base = vm_rss_kib(pid)
        samples = []
        done = threading.Event()

        def sample():
            while not done.is_set():
                samples.append(vm_rss_kib(pid))
                time.sleep(0.05)
        t = threading.Thread(target=sample, daemon=True)
        t.start()
        try:
            r = raw_upload(self.daemon, self.content("big.raw"), size, pattern_chunks(size))
        finally:
            done.set()
            t.join()
        self.assertIsNotNone(r, "the upload connection was cut")
        self.assertStatus(r, 200)
        v = r.json()
        self.assertEqual(v["capacity"], size)
        self.assertEqual(v["format"], "raw")
        self.assertFalse(v["iso"])
        self.assertEqual(r.header("Location"), "%s/big.raw" % self.vols())
        growth_mib = (max(samples) - base) / 1024
        harness.log("upload of 200 MiB: VmRSS %d KiB before, peak %d KiB (+%.1f MiB), %d samples"
                    % (base, max(samples), growth_mib, len(samples)))
        print("    VmRSS before %.1f MiB, peak during upload %.1f MiB (+%.1f MiB)"
              % (base / 1024, max(samples) / 1024, growth_mib))
        self.assertGreater(len(samples), 3)
        self.assertLess(growth_mib, 16, "vireod grew by %.1f MiB during the upload" % growth_mib)
        want = sha256_chunks(size)
        h = hashlib.sha256()
        with open(os.path.join(self.dir, "big.raw"), "rb") as f:
            for block in iter(lambda: f.read(MIB), b""):
                h.update(block)
        self.assertEqual(h.hexdigest(), want)
        # The download streams the same bytes back.
        conn = http.client.HTTPConnection("127.0.0.1", self.daemon.port, timeout=120)
        conn.request("GET", self.content("big.raw"),
                     headers={"Authorization": "Bearer " + self.daemon.token})
        resp = conn.getresponse()
        self.assertEqual(resp.status, 200)
        self.assertEqual(int(resp.getheader("Content-Length")), size)
        self.assertEqual(resp.getheader("Content-Disposition"), 'attachment; filename="big.raw"')
        self.assertEqual(resp.getheader("Content-Type"), "application/octet-stream")
        h, got = hashlib.sha256(), 0
        while True:
            block = resp.read(MIB)
            if not block:
                break
            h.update(block)
            got += len(block)
        conn.close()
        self.assertEqual(got, size)
        self.assertEqual(h.hexdigest(), want)
        # ...and the upload was a task that everyone following the stream saw.
        tasks = self.api.get("/api/tasks?limit=20").json()["tasks"]
        up = [x for x in tasks if x["kind"] == "upload" and x["target"] == self.pool + "/big.raw"]
        self.assertTrue(up, repr(tasks))
        self.assertEqual(up[0]["state"], "succeeded")
        self.assertEqual(up[0]["progress"], 100)
        self.assertEqual(up[0]["result"], "%s/big.raw" % self.vols())

    def test_head_and_small_download_names(self):
        self.create_volume('odd name "x".img', capacity=MIB)
        r = self.api.request("HEAD", self.content('odd name "x".img'))
        self.assertStatus(r, 200)
        self.assertEqual(r.header("Content-Disposition"), 'attachment; filename="odd_name__x_.img"')
        r = self.api.get(self.content('odd name "x".img'))
        self.assertStatus(r, 200)
        self.assertEqual(r.body, b"\0" * MIB)
        self.assertError(self.api.get(self.content("missing.img")), 404)
        self.assertError(self.api.get(self.content('odd name "x".img') + "?x=1"), 400)

    def test_iso_is_recognised(self):
        data = bytearray(64 * 1024)
        data[0x8001:0x8006] = b"CD001"
        r = self.api.request("PUT", self.content("disc.bin"), body=bytes(data),
                             headers={"Content-Type": "application/octet-stream"})
        self.assertStatus(r, 200)
        self.assertTrue(r.json()["iso"], repr(r))
        r = self.api.request("PUT", self.content("plain.bin"), body=b"x" * 70000,
                             headers={"Content-Type": "application/octet-stream"})
        self.assertFalse(r.json()["iso"])
        self.create_volume("named.iso", capacity=MIB)
        listed = {v["name"]: v["iso"] for v in self.api.get(self.vols()).json()["volumes"]}
        self.assertEqual(listed["disc.bin"], True)
        self.assertEqual(listed["named.iso"], True)
        self.assertEqual(listed["plain.bin"], False)

    def test_overwrite_existing(self):
        self.create_volume("over.img", capacity=MIB)
        body = b"abc" * 1000
        r = self.api.request("PUT", self.content("over.img"), body=body,
                             headers={"Content-Type": "application/octet-stream"})
        self.assertError(r, 409)
        r = self.api.request("PUT", self.content("over.img") + "?overwrite=true", body=body,
                             headers={"Content-Type": "application/octet-stream"})
        self.assertStatus(r, 200)
        self.assertEqual(r.json()["capacity"], MIB)
        with open(os.path.join(self.dir, "over.img"), "rb") as f:
            got = f.read()
        self.assertEqual(got[:len(body)], body)
        self.assertEqual(len(got), MIB)
        # Not into a qcow2 image, nor into a volume too small.
        self.create_volume("over.qcow2", capacity=MIB, fmt="qcow2")
        r = self.api.request("PUT", self.content("over.qcow2") + "?overwrite=true", body=body,
                             headers={"Content-Type": "application/octet-stream"})
        self.assertError(r, 409)
        r = self.api.request("PUT", self.content("over.img") + "?overwrite=true",
                             body=b"x" * (MIB + 1),
                             headers={"Content-Type": "application/octet-stream"})
        self.assertError(r, 409)

    def test_upload_errors(self):
        octet = {"Content-Type": "application/octet-stream"}
        r = self.api.request("PUT", self.content("e.img"), body=b"", headers=octet)
        self.assertError(r, 400)
        r = self.api.request("PUT", self.content("e.img") + "?overwrite=maybe", body=b"x",
                             headers=octet)
        self.assertError(r, 400)
        r = self.api.request("PUT", self.content("e.img") + "?format=qcow2", body=b"x",
                             headers=octet)
        self.assertError(r, 400)
        r = self.api.request("PUT", self.content(".e.img"), body=b"x", headers=octet)
        self.assertError(r, 400)
        r = self.api.request("PUT", "/api/pools/%s/volumes/e.img/content"
                             % q(harness.PREFIX + "nopool"), body=b"x", headers=octet)
        self.assertError(r, 404)
        # Announced sizes are judged before a byte is read: over the upload
        # limit (1024 GiB by default) 413, over the pool's free space 507.
        for length, status in ((2 << 40, 413), (1000 << 30, 507)):
            with self.subTest(length=length):
                r = raw_upload(self.daemon, self.content("e.img"), length, [b"x" * 1024])
                self.assertIsNotNone(r)
                self.assertError(r, status)
        # A chunked body has no length to make the volume with.
        conn = http.client.HTTPConnection("127.0.0.1", self.daemon.port, timeout=30)
        conn.putrequest("PUT", self.content("e.img"))
        conn.putheader("Authorization", "Bearer " + self.daemon.token)
        conn.putheader("Transfer-Encoding", "chunked")
        conn.endheaders()
        conn.send(b"3\r\nabc\r\n0\r\n\r\n")
        resp = conn.getresponse()
        self.assertEqual(resp.status, 400)
        resp.read()
        conn.close()
        self.assertFalse(os.path.exists(os.path.join(self.dir, "e.img")))

    def test_abandoned_upload_leaves_no_volume(self):
        length = 64 * MIB
        sock = socket.create_connection(("127.0.0.1", self.daemon.port))
        sock.sendall(("PUT %s HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer %s\r\n"
                      "Content-Type: application/octet-stream\r\nContent-Length: %d\r\n\r\n"
                      % (self.content("gone.img"), self.daemon.token, length)).encode())
        sock.sendall(b"y" * (4 * MIB))
        # Wait until the upload's task is running, then hang up.
        deadline = time.monotonic() + 20
        task = None
        while time.monotonic() < deadline and task is None:
            for t in self.api.get("/api/tasks?state=running").json()["tasks"]:
                if t["target"] == self.pool + "/gone.img":
                    task = t
            time.sleep(0.05)
        self.assertIsNotNone(task, "the upload's task never showed up")
        sock.close()
        t = self.wait_task(self.api, task["id"], timeout=30)
        self.assertEqual(t["state"], "failed", repr(t))
        self.assertEqual(t["error"]["code"], "aborted")
        self.assertError(self.api.get("%s/gone.img" % self.vols()), 404)
        self.assertFalse(os.path.exists(os.path.join(self.dir, "gone.img")))

    def test_cancelled_upload(self):
        length = 64 * MIB
        result = {}

        def send():
            result["r"] = raw_upload(self.daemon, self.content("cancel.img"), length,
                                     pattern_chunks(length), pause=0.02)
        th = threading.Thread(target=send, daemon=True)
        th.start()
        deadline = time.monotonic() + 20
        task = None
        while time.monotonic() < deadline and task is None:
            for t in self.api.get("/api/tasks?state=running").json()["tasks"]:
                if t["target"] == self.pool + "/cancel.img":
                    task = t
            time.sleep(0.05)
        self.assertIsNotNone(task)
        self.assertStatus(self.api.post("/api/tasks/%d/cancel" % task["id"]), 202)
        t = self.wait_task(self.api, task["id"], timeout=30)
        th.join(30)
        self.assertEqual(t["state"], "cancelled", repr(t))
        self.assertIsNone(result.get("r"), "the cancelled upload got an answer")
        self.assertFalse(os.path.exists(os.path.join(self.dir, "cancel.img")))


class ShutdownTest(StorageTestCase):
    def test_sigterm_with_an_upload_under_way(self):
        d = harness.Daemon("transfer-sigterm")
        d.start()
        self.addCleanup(d.stop)
        length = 256 * MIB
        path = "%s/%s/content" % (self.vols(), "term.img")
        th = threading.Thread(target=raw_upload, args=(d, path, length, pattern_chunks(length)),
                              kwargs={"pause": 0.05}, daemon=True)
        th.start()
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline and not os.path.exists(os.path.join(self.dir, "term.img")):
            time.sleep(0.05)
        time.sleep(0.3)
        t0 = time.monotonic()
        code = d.stop()
        took = time.monotonic() - t0
        self.assertEqual(code, 0)
        self.assertLess(took, 8, "vireod took %.1fs to stop" % took)
        th.join(10)
        self.api.post("/api/pools/%s/refresh" % q(self.pool))
        self.assertError(self.api.get("%s/term.img" % self.vols()), 404)
