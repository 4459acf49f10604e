"""Screenshots over HTTP (GET /api/vms/{vm}/screenshot) of a real guest: a VM
created from the bootable test disk (a clone of base.img, VNC display by
default) boots to its serial marker, and its screen (SeaBIOS and SYSLINUX
text) comes back as a PNG of the asked width with the screen's aspect,
showing more than one colour; 304 for its ETag; the cache answering a
second asker without reaching libvirt (vireod logs every libvirt
screenshot at debug level, which this test counts); 409 for a shut-off VM
and for a running VM without a display; 404 for another user's VM; 400
for bad widths."""

import struct
import threading
import time
import zlib

import harness
from test_create import CreateTestCase

TTL = 2.0          # server/main.c SCREENSHOT_TTL_US
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def png_decode(data):
    """(width, height, rows) of an 8-bit RGB, non-interlaced PNG (what vireod
    writes), each row bytes of R, G, B; anything else fails the test."""
    assert data[:8] == PNG_SIGNATURE, "not a PNG: %r" % data[:16]
    pos, idat, head = 8, b"", None
    while pos < len(data):
        length, kind = struct.unpack(">I4s", data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + length]
        crc, = struct.unpack(">I", data[pos + 8 + length:pos + 12 + length])
        assert zlib.crc32(kind + body) == crc, "bad CRC in %r" % kind
        if kind == b"IHDR":
            head = struct.unpack(">IIBBBBB", body)
        elif kind == b"IDAT":
            idat += body
        elif kind == b"IEND":
            break
        pos += 12 + length
    width, height, depth, colour, _, _, interlace = head
    assert (depth, colour, interlace) == (8, 2, 0), "want 8-bit RGB, got %r" % (head,)
    raw = zlib.decompress(idat)
    stride = width * 3
    assert len(raw) == height * (stride + 1), "IDAT holds %d bytes" % len(raw)
    rows, prev = [], bytearray(stride)
    for y in range(height):
        kind = raw[y * (stride + 1)]
        line = bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
        for i in range(stride):
            a = line[i - 3] if i >= 3 else 0
            b = prev[i]
            c = prev[i - 3] if i >= 3 else 0
            if kind == 1:
                line[i] = (line[i] + a) & 255
            elif kind == 2:
                line[i] = (line[i] + b) & 255
            elif kind == 3:
                line[i] = (line[i] + (a + b) // 2) & 255
            elif kind == 4:
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                pred = a if pa <= pb and pa <= pc else (b if pb <= pc else c)
                line[i] = (line[i] + pred) & 255
            else:
                assert kind == 0, "filter %d" % kind
        rows.append(bytes(line))
        prev = line
    return width, height, rows


class ScreenshotTest(CreateTestCase):
    """One running VM with a display for the whole class."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        try:
            cls.vm = harness.unique_name("shot")
            spec = {"vcpus": 1, "memory": 128, "disks": [{"clone": "%s/base.img" % cls.pool}],
                    "name": cls.vm, "start": True}
            r = cls.api.post("/api/vms", json_body=spec)
            if r.status != 202:
                raise AssertionError("creating %s failed: %r" % (cls.vm, r))
            deadline = time.monotonic() + 120
            task = r.json()
            while task["state"] not in ("succeeded", "failed", "cancelled"):
                if time.monotonic() > deadline:
                    raise AssertionError("create task stuck: %r" % task)
                time.sleep(0.1)
                task = cls.api.get("/api/tasks/%d" % task["id"]).json()
            if task["state"] != "succeeded":
                raise AssertionError("create task: %r" % task)
            cls.uuid = harness.domain_uuid(cls.vm)
            if not harness.wait_marker(cls.vm, timeout=90):
                raise AssertionError("%s never printed its marker" % cls.vm)
        except Exception:
            cls.tearDownClass()
            raise

    @classmethod
    def tearDownClass(cls):
        if getattr(cls, "vm", None):
            cls.api.delete("/api/vms/%s?force=true&volumes=true" % cls.vm)
            harness.remove_domain(cls.vm)
        super().tearDownClass()

    def shot(self, query="", client=None, headers=None):
        return (client or self.api).get("/api/vms/%s/screenshot%s" % (self.vm, query),
                                        headers=headers)

    def libvirt_calls(self):
        """How many screenshots of our VM vireod asked libvirt for so far."""
        return self.daemon.log_text().count("screenshot of %s from libvirt" % self.uuid)

    def assertPng(self, r):
        self.assertStatus(r, 200)
        self.assertEqual(r.header("Content-Type"), "image/png")
        self.assertEqual(r.header("Cache-Control"), "no-store")
        self.assertETag(r)
        return png_decode(r.body)

    def test_png_of_the_asked_width_keeps_the_aspect(self):
        # Never wider than the screen: 1920 answers the screen's own size.
        full_w, full_h, rows = self.assertPng(self.shot("?width=1920"))
        self.assertLess(full_w, 1920)
        self.assertGreater(full_h, 0)
        for width, query in ((320, ""), (100, "?width=100"), (16, "?width=16"),
                             (full_w, "?width=%d" % full_w)):
            with self.subTest(width=width):
                w, h, rows = self.assertPng(self.shot(query))
                self.assertEqual(w, width)
                # The height keeps the aspect ratio, rounded.
                self.assertEqual(h, max(1, (full_h * width + full_w // 2) // full_w))
                self.assertEqual(len(rows), h)

    def test_the_console_shows_something(self):
        w, h, rows = self.assertPng(self.shot())
        pixels = [rows[y][x:x + 3] for y in range(h) for x in range(0, w * 3, 3)]
        colours = set(pixels)
        self.assertGreater(len(colours), 1, "every pixel is %r" % (pixels[0],))
        # Text on black: some pixels are clearly lit, most are background.
        lit = sum(1 for p in pixels if max(p) > 100)
        self.assertGreater(lit, w * h // 200, "only %d lit pixels of %d" % (lit, w * h))
        self.assertLess(lit, w * h // 2)

    def test_etag_answers_304(self):
        # A text console's cursor blinks: two shots more than the cache's
        # lifetime apart may differ, so a changed picture is a retry.
        for _ in range(5):
            first = self.shot("?width=240")
            self.assertPng(first)
            etag = first.header("ETag")
            again = self.shot("?width=240", headers={"If-None-Match": etag})
            if again.status == 304:
                self.assertEqual(again.body, b"")
                self.assertEqual(again.header("ETag"), etag)
                self.assertEqual(again.header("Cache-Control"), "no-store")
                break
            self.assertPng(again)
            self.assertNotEqual(again.header("ETag"), etag, "same ETag but no 304")
        else:
            self.fail("never a 304 for an unchanged picture")
        other = self.shot("?width=240", headers={"If-None-Match": '"not-this-one"'})
        self.assertPng(other)

    def test_cache_keeps_libvirt_out_of_a_second_ask(self):
        # A width no other test uses: the first ask must reach libvirt.
        for attempt, width in enumerate((211, 212, 213)):
            before = self.libvirt_calls()
            t0 = time.monotonic()
            a = self.shot("?width=%d" % width)
            b = self.shot("?width=%d" % width)
            elapsed = time.monotonic() - t0
            self.assertPng(a)
            self.assertPng(b)
            calls = self.libvirt_calls() - before
            if elapsed >= TTL:
                # Too slow to tell (the shot may have expired in between).
                harness.log("cache test: two asks took %.1fs, trying again" % elapsed)
                continue
            self.assertEqual(calls, 1, "two asks within %.2fs made %d libvirt calls"
                             % (elapsed, calls))
            self.assertEqual(a.body, b.body)
            self.assertEqual(a.header("ETag"), b.header("ETag"))
            return
        self.fail("three pairs of asks each took more than %.0fs" % TTL)

    def test_askers_at_once_share_one_libvirt_call(self):
        # What a grid of thumbnails in several browsers does. libmicrohttpd
        # often accepts such a burst on one worker thread, which then
        # serves it in turn, so this need not reach the cache's single
        # flight; the unit test (test_cache_single_flight) proves that.
        for width in (311, 312, 313):
            before = self.libvirt_calls()
            answers = [None] * 8
            start = threading.Event()

            def ask(i):
                start.wait()
                answers[i] = self.shot("?width=%d" % width)
            threads = [threading.Thread(target=ask, args=(i,)) for i in range(len(answers))]
            for t in threads:
                t.start()
            t0 = time.monotonic()
            start.set()
            for t in threads:
                t.join()
            elapsed = time.monotonic() - t0
            for r in answers:
                self.assertPng(r)
            if elapsed >= TTL:
                continue
            self.assertEqual(self.libvirt_calls() - before, 1)
            self.assertEqual(len({r.body for r in answers}), 1)
            return
        self.fail("eight asks at once never finished within %.0fs" % TTL)

    def test_shut_off_vm_is_409(self):
        name = self.new_name("shot-off")
        harness.define_xml(name)
        err = self.assertError(self.api.get("/api/vms/%s/screenshot" % name), 409, "conflict")
        self.assertIn("shutoff", err["message"])

    def test_vm_without_display_is_409(self):
        # The tiny guest of define-guest.sh has no <graphics> and no <video>.
        name = self.guest("shot-nodisplay")
        harness.virsh("start", name)
        err = self.assertError(self.api.get("/api/vms/%s/screenshot" % name), 409, "conflict")
        self.assertIn("no display", err["message"])

    def test_another_users_vm_is_404(self):
        d = self.daemon
        user, pw = harness.make_user(d, "shot-op", "operator")
        operator, _ = harness.token_client(d, user, pw)
        hidden = self.shot(client=operator)
        self.assertError(hidden, 404, "not_found")
        missing = operator.get("/api/vms/%snope/screenshot" % harness.PREFIX)
        self.assertError(missing, 404, "not_found")
        # A viewer granted the VM sees it: a screenshot is a read.
        viewer_name, viewer_pw = harness.make_user(d, "shot-viewer", "viewer")
        viewer, _ = harness.token_client(d, viewer_name, viewer_pw)
        self.assertError(self.shot(client=viewer), 404, "not_found")
        harness.grant(d, viewer_name, self.vm)
        self.assertPng(self.shot(client=viewer))

    def test_bad_widths_are_400(self):
        for query in ("?width=0", "?width=10000", "?width=abc", "?width=15", "?width=1921",
                      "?width=-320", "?width=", "?width=3.5", "?height=200"):
            with self.subTest(query=query):
                self.assertError(self.shot(query), 400, "invalid_argument")


if __name__ == "__main__":
    import unittest
    unittest.main()
