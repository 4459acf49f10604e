"""GET /api/events: libvirt's domain events as Server-Sent Events, for
logged-in users only, each seeing only the VMs they may see; an open
stream never holds up a clean shutdown."""

import http.client
import json
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

    def wait_for(self, name, event, timeout=30):
        deadline = time.monotonic() + timeout
        seen = []
        while time.monotonic() < deadline:
            try:
                kind, data = self.events.get(timeout=0.5)
            except queue.Empty:
                continue
            seen.append(data)
            if kind == "vm" and data.get("name") == name and data.get("event") == event:
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
