"""GET /api/events: libvirt's domain events as Server-Sent Events, for
logged-in users only, each seeing only the VMs they may see; an open
stream never holds up a clean shutdown."""

import http.client
import json
import os
import shutil
import tempfile
import queue
import threading
import time
import unittest

import harness


class EventStream:
    """Reads one SSE stream on a thread; events land in a queue."""

    def __init__(self, daemon, token):
        self.conn = http.client.HTTPConnection("127.0.0.1", daemon.port, timeout=30)
        self.conn.request("GET", "/api/events", headers={"Authorization": "Bearer " + token})
        self.resp = self.conn.getresponse()
        self.events = queue.Queue()
        self.thread = threading.Thread(target=self._read, daemon=True)
        self.thread.start()

    def _read(self):
        kind, data = None, []
        try:
            for raw in self.resp:
                line = raw.decode().rstrip("\n")
                if line.startswith("event:"):
                    kind = line[6:].strip()
                elif line.startswith("data:"):
                    data.append(line[5:].strip())
                elif line == "" and kind:
                    self.events.put((kind, json.loads("\n".join(data))))
                    kind, data = None, []
        except (OSError, ValueError, http.client.HTTPException):
            pass

    def wait_for(self, name, event, timeout=30, kind="vm"):
        deadline = time.monotonic() + timeout
        seen = []
        while time.monotonic() < deadline:
            try:
                got_kind, data = self.events.get(timeout=0.5)
            except queue.Empty:
                continue
            seen.append((got_kind, data))
            if got_kind == kind and data.get("name") == name and data.get("event") == event:
                return data
        raise AssertionError("no '%s' event for %s within %ss; saw %r" % (event, name, timeout, seen))

    def drain(self, seconds):
        got = []
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            try:
                got.append(self.events.get(timeout=0.2)[1])
            except queue.Empty:
                pass
        return got

    def close(self):
        self.conn.close()


class EventsTest(harness.ApiTestCase):
    def test_stream_needs_credentials(self):
        r = self.anon.get("/api/events")
        self.assertError(r, 401, "unauthorized")

    def test_lifecycle_events_arrive(self):
        d = self.daemon
        stream = EventStream(d, d.token)
        try:
            self.assertEqual(stream.resp.status, 200)
            self.assertEqual(stream.resp.getheader("Content-Type"), "text/event-stream")
            name = self.guest("ev")
            defined = stream.wait_for(name, "defined")
            self.assertEqual(defined["uuid"], harness.domain_uuid(name))
            self.assertStatus(self.api.post("/api/vms/%s/start" % name), 200)
            stream.wait_for(name, "started")
            self.assertStatus(self.api.post("/api/vms/%s/poweroff" % name), 200)
            stream.wait_for(name, "stopped")
        finally:
            stream.close()

    def test_pool_and_network_events_arrive(self):
        d = self.daemon
        stream = EventStream(d, d.token)
        pool = "vireo-st-%d-ev" % os.getpid()
        net = "vst%d-ev" % os.getpid()
        pool_dir = tempfile.mkdtemp(prefix="vireo-st-%d-ev-" % os.getpid(),
                                    dir="/var/lib/libvirt/images")
        try:
            r = self.api.post("/api/pools", json_body={"name": pool, "type": "dir",
                                                       "path": pool_dir})
            self.assertStatus(r, 201)
            stream.wait_for(pool, "started", kind="pool")
            r = self.api.post("/api/networks", json_body={
                "name": net, "mode": "isolated", "bridge": "vrbev%d" % (os.getpid() % 1000),
                "ipv4": {"address": "10.216.%d.1/24" % (os.getpid() % 200 + 20)}})
            self.assertStatus(r, 201)
            stream.wait_for(net, "started", kind="network")
            self.assertStatus(self.api.delete("/api/networks/" + net), 204)
            stream.wait_for(net, "undefined", kind="network")
            self.assertStatus(self.api.delete("/api/pools/" + pool), 204)
            stream.wait_for(pool, "undefined", kind="pool")
        finally:
            stream.close()
            harness.virsh("net-destroy", net, check=False)
            harness.virsh("net-undefine", net, check=False)
            harness.virsh("pool-destroy", pool, check=False)
            harness.virsh("pool-undefine", pool, check=False)
            shutil.rmtree(pool_dir, ignore_errors=True)

    def test_viewer_sees_only_granted_vms(self):
        d = self.daemon
        user, pw = harness.make_user(d, "evv", "viewer")
        viewer, _ = harness.token_client(d, user, pw)
        stream = EventStream(d, viewer.token)
        try:
            hidden = self.guest("evh")
            shown = self.guest("evs")
            harness.grant(d, user, shown)
            # Events after the grant reach the viewer; the other VM's never do.
            harness.virsh("start", shown)
            harness.virsh("start", hidden)
            stream.wait_for(shown, "started")
            for data in stream.drain(2):
                self.assertNotEqual(data.get("name"), hidden)
            harness.virsh("destroy", shown, check=False)
            harness.virsh("destroy", hidden, check=False)
        finally:
            stream.close()


if __name__ == "__main__":
    unittest.main()
