"""GET /api/events: libvirt's domain events as Server-Sent Events, for
logged-in users only, each seeing only the VMs they may see; ids and
Last-Event-ID resume with exactly the missed events (none of a VM the
viewer may not see), a `reload` when they cannot be given, heartbeats; an
open stream never holds up a clean shutdown."""

import http.client
import json
import os
import shutil
import tempfile
import queue
import threading
import time
import unittest
import urllib.parse

import harness


class EventStream:
    """Reads one SSE stream on a thread: events (kind, data) land in a queue,
    and every frame, with its id and comments, in `frames`. `last_id` is
    where a client resumes: the id of the last frame that had one (EventSource
    keeps it the same way, bare id lines included)."""

    def __init__(self, daemon, token, last_event_id=None, via_query=False):
        self.conn = http.client.HTTPConnection("127.0.0.1", daemon.port, timeout=30)
        path = "/api/events"
        headers = {"Authorization": "Bearer " + token}
        if last_event_id is not None and via_query:
            path += "?last_event_id=" + urllib.parse.quote(last_event_id)
        elif last_event_id is not None:
            headers["Last-Event-ID"] = last_event_id
        self.conn.request("GET", path, headers=headers)
        self.resp = self.conn.getresponse()
        self.events = queue.Queue()
        self.frames = []
        self.lock = threading.Lock()
        self.last_id = None
        self.thread = threading.Thread(target=self._read, daemon=True)
        self.thread.start()

    def _read(self):
        frame = {"id": None, "event": None, "data": [], "comments": []}
        try:
            for raw in self.resp:
                line = raw.decode().rstrip("\n")
                if line.startswith(":"):
                    frame["comments"].append(line[1:].strip())
                elif line.startswith("id:"):
                    frame["id"] = line[3:].strip()
                elif line.startswith("event:"):
                    frame["event"] = line[6:].strip()
                elif line.startswith("data:"):
                    frame["data"].append(line[5:].strip())
                elif line == "":
                    data = json.loads("\n".join(frame["data"])) if frame["data"] else None
                    with self.lock:
                        if frame["id"] is not None:
                            self.last_id = frame["id"]
                        self.frames.append(dict(frame, data=data))
                    if frame["event"]:
                        self.events.put((frame["event"], data))
                    frame = {"id": None, "event": None, "data": [], "comments": []}
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

    def wait_frame(self, check, timeout=30, what="a frame"):
        """The first frame (in order) for which check(frame) holds."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self.lock:
                for f in self.frames:
                    if check(f):
                        return f
            time.sleep(0.05)
        with self.lock:
            raise AssertionError("%s did not come within %ss; frames: %r"
                                 % (what, timeout, self.frames))

    def opened(self, timeout=30):
        """Waits for the opening resume point; returns it."""
        self.wait_frame(lambda f: f["id"] is not None, timeout, "the opening id")
        with self.lock:
            return self.last_id

    def events_after(self, last_id):
        """Events (id, kind, data) received with ids after `last_id`."""
        seq = int(last_id.rsplit("-", 1)[1])
        with self.lock:
            return [(f["id"], f["event"], f["data"]) for f in self.frames
                    if f["event"] and f["id"] and int(f["id"].rsplit("-", 1)[1]) > seq]

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


class ResumeTest(harness.ApiTestCase):
    """Resuming after a broken stream. A stream that stays open all along is
    the reference: the one that comes back must get exactly what the
    reference got meanwhile, in order, with the same ids."""

    def setUp(self):
        d = self.daemon
        self.a = self.new_name("resa")
        self.b = self.new_name("resb")
        harness.define_xml(self.a)
        harness.define_xml(self.b)
        self.user, pw = harness.make_user(d, "res%d" % (time.monotonic_ns() % 100000), "viewer")
        self.viewer, _ = harness.token_client(d, self.user, pw)
        harness.grant(d, self.user, self.a)

    def changes_while_away(self):
        """Events of A (the viewer's) among events of B (not the viewer's)."""
        for i in range(3):
            harness.virsh("desc", self.a, "a%d" % i)
            harness.virsh("desc", self.b, "b%d" % i)
        harness.virsh("start", self.a)
        harness.virsh("start", self.b)
        harness.virsh("destroy", self.b)
        harness.virsh("destroy", self.a)

    def test_resume_gives_exactly_the_missed_events(self):
        d = self.daemon
        reference = EventStream(d, self.viewer.token)
        gone = EventStream(d, self.viewer.token)
        try:
            reference.opened()
            left_at = gone.opened()
            gone.close()
            self.changes_while_away()
            reference.wait_for(self.a, "stopped")
            missed = reference.events_after(left_at)
            names = {data.get("name") for _, _, data in missed}
            self.assertEqual(names, {self.a}, "the viewer's stream carried another VM's events")
            self.assertGreaterEqual(len(missed), 5, missed)   # 3 edits, started, stopped
            for via_query in (False, True):
                with self.subTest(via_query=via_query):
                    back = EventStream(d, self.viewer.token, left_at, via_query)
                    try:
                        back.wait_for(self.a, "stopped")
                        # The replay first, then its resume point at the newest id.
                        got = back.events_after(left_at)
                        self.assertEqual(got, missed)
                        # Live figures are never replayed; the sampler's next
                        # one may come any time after the replay.
                        self.assertEqual([f["event"] for f in back.frames
                                          if f["event"] and f["event"] != "stats"],
                                         [e[1] for e in missed])
                    finally:
                        back.close()
        finally:
            reference.close()

    def test_unknown_resume_point_says_reload(self):
        d = self.daemon
        for last_id in ("1234abcd-7", "not-an-id", "x" * 100):
            with self.subTest(last_id=last_id[:20]):
                s = EventStream(d, self.viewer.token, last_id)
                try:
                    f = s.wait_frame(lambda f: f["event"], what="the first event")
                    self.assertEqual(f["event"], "reload")
                    self.assertEqual(f["data"], {"reason": "gap"})
                    self.assertIsNotNone(f["id"])
                finally:
                    s.close()


class HistoryTest(harness.ApiTestCase):
    """A client that fell further behind than the events kept
    (--event-history) is told to reload, not silently left behind."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.d = harness.Daemon(name="events-history", extra_args=["--event-history", "2"])
        cls.d.start()

    @classmethod
    def tearDownClass(cls):
        cls.d.stop()

    def test_fell_too_far_behind(self):
        name = self.new_name("hist")
        harness.define_xml(name)
        s = EventStream(self.d, self.d.token)
        left_at = s.opened()
        s.close()
        for i in range(4):
            harness.virsh("desc", name, "h%d" % i)
        # Seen by a stream that stayed: 4 edits, of which 2 are kept.
        watcher = EventStream(self.d, self.d.token)
        watcher.opened()
        harness.virsh("desc", name, "last")
        watcher.wait_for(name, "edited")
        watcher.close()
        back = EventStream(self.d, self.d.token, left_at)
        try:
            f = back.wait_frame(lambda f: f["event"], what="the first event")
            self.assertEqual((f["event"], f["data"]), ("reload", {"reason": "gap"}))
            # Its resume point is now: from there on, events again.
            harness.virsh("desc", name, "after")
            back.wait_for(name, "edited")
        finally:
            back.close()


class HeartbeatTest(harness.ApiTestCase):
    def test_heartbeat_comment_with_resume_point(self):
        s = EventStream(self.daemon, self.daemon.token)
        try:
            s.opened()
            # Every 5 s; a liveness bound of 15 s.
            f = s.wait_frame(lambda f: "ping" in f["comments"], timeout=15, what="a heartbeat")
            self.assertIsNotNone(f["id"], "a heartbeat carries the resume point")
            self.assertIsNone(f["event"])
        finally:
            s.close()


if __name__ == "__main__":
    unittest.main()
