"""Answers of 1 KiB and more, and the web UI's files, go out gzip-compressed
to clients whose Accept-Encoding takes gzip, and plain to the others; the
two representations carry different ETags (the gzip one ends in -gzip),
each revalidates to 304 on its own, and an edit based on either ETag is
based on the same state."""

import gzip
import os

import harness

GZ = {"Accept-Encoding": "gzip, deflate, br"}
# The list without the members that move every second (uptime) or sample
# (stats): two requests a moment apart must get the same bytes.
LIST = "/api/vms?fields=name,uuid,state,vcpus,memory,autostart,persistent,description,tags"


class GzipTest(harness.ApiTestCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        # A list well over 1 KiB whatever else the host holds.
        cls.names = []
        for i in range(12):
            name = harness.unique_name("gz%02d" % i)
            harness.define_xml(name)
            cls.names.append(name)

    @classmethod
    def tearDownClass(cls):
        for n in cls.names:
            harness.remove_domain(n)

    def assertGzip(self, r, plain):
        self.assertStatus(r, 200)
        self.assertEqual(r.header("Content-Encoding"), "gzip", repr(r))
        self.assertIn("Accept-Encoding", r.header("Vary") or "")
        self.assertEqual(gzip.decompress(r.body), plain.body)
        self.assertLess(len(r.body), len(plain.body))

    def assertPlain(self, r):
        self.assertStatus(r, 200)
        self.assertIsNone(r.header("Content-Encoding"), repr(r))
        self.assertIn("Accept-Encoding", r.header("Vary") or "")

    def test_list_gzip_and_plain(self):
        plain = self.api.get(LIST)
        self.assertPlain(plain)
        self.assertGreater(len(plain.body), 1024)
        etag = self.assertETag(plain)
        self.assertFalse(etag.endswith('-gzip"'))
        zipped = self.api.get(LIST, headers=GZ)
        self.assertGzip(zipped, plain)
        gz_etag = self.assertETag(zipped)
        self.assertEqual(gz_etag, etag[:-1] + '-gzip"')
        harness.log("the list: %d bytes plain, %d gzip" % (len(plain.body), len(zipped.body)))
        # What a client takes, by its words.
        for value, compressed in (("gzip", True), ("GZIP;q=0.5", True), ("*", True),
                                  ("gzip;q=0", False), ("identity", False), ("br", False),
                                  ("*, gzip;q=0", False), ("", False)):
            with self.subTest(accept_encoding=value):
                r = self.api.get(LIST, headers={"Accept-Encoding": value})
                self.assertStatus(r, 200)
                self.assertEqual(r.header("Content-Encoding"), "gzip" if compressed else None)
                self.assertEqual(r.header("ETag"), gz_etag if compressed else etag)

    def test_list_revalidates_per_representation(self):
        plain = self.api.get(LIST)
        zipped = self.api.get(LIST, headers=GZ)
        etag, gz_etag = plain.header("ETag"), zipped.header("ETag")
        r = self.api.get(LIST, headers={**GZ, "If-None-Match": gz_etag})
        self.assertStatus(r, 304)
        self.assertEqual(r.header("ETag"), gz_etag)
        self.assertEqual(r.body, b"")
        r = self.api.get(LIST, headers={"If-None-Match": etag})
        self.assertStatus(r, 304)
        self.assertEqual(r.header("ETag"), etag)
        # A tag of the other representation is not this one's.
        self.assertStatus(self.api.get(LIST, headers={"If-None-Match": gz_etag}), 200)
        r = self.api.get(LIST, headers={**GZ, "If-None-Match": etag})
        self.assertGzip(r, plain)

    def test_small_answers_stay_plain(self):
        r = self.api.get("/api/session", headers=GZ)
        self.assertStatus(r, 200)
        self.assertLess(len(r.body), 1024)
        self.assertIsNone(r.header("Content-Encoding"))

    def test_edits_accept_either_etag(self):
        name = self.names[0]
        # A detail over 1 KiB, so that it goes out compressed.
        r = self.api.patch("/api/vms/" + name, {"description": "d" * 2000})
        self.assertStatus(r, 200)
        plain = self.api.get("/api/vms/" + name)
        zipped = self.api.get("/api/vms/" + name, headers=GZ)
        self.assertGzip(zipped, plain)
        gz_etag = zipped.header("ETag")
        self.assertEqual(gz_etag, plain.header("ETag")[:-1] + '-gzip"')
        r = self.api.patch("/api/vms/" + name, {"description": "e" * 2000},
                           headers={**GZ, "If-Match": gz_etag})
        self.assertStatus(r, 200)
        self.assertEqual(r.header("Content-Encoding"), "gzip")
        self.assertEqual(gzip.decompress(r.body).count(b"e" * 2000), 1)
        # Both tags are stale now.
        for stale in (gz_etag, plain.header("ETag")):
            r = self.api.patch("/api/vms/" + name, {"description": "f"},
                               headers={"If-Match": stale})
            self.assertError(r, 412)
        r = self.api.patch("/api/vms/" + name, {"description": ""},
                           headers={"If-Match": self.api.get("/api/vms/" + name).header("ETag")})
        self.assertStatus(r, 200)

    def test_static_files(self):
        shell = 0
        shell_gz = 0
        for path in ("/", "/js/app.js", "/js/live.js", "/css/app.css"):
            with self.subTest(path=path):
                plain = self.anon.get(path)
                if plain.status == 404:
                    continue
                self.assertPlain(plain)
                zipped = self.anon.get(path, headers=GZ)
                self.assertGzip(zipped, plain)
                etag, gz_etag = plain.header("ETag"), zipped.header("ETag")
                self.assertEqual(gz_etag, etag[:-1] + '-gzip"')
                self.assertStatus(self.anon.get(path, headers={**GZ, "If-None-Match": gz_etag}),
                                  304)
                self.assertStatus(self.anon.get(path, headers={"If-None-Match": etag}), 304)
                self.assertStatus(self.anon.get(path, headers={"If-None-Match": gz_etag}), 200)
                shell += len(plain.body)
                shell_gz += len(zipped.body)
        harness.log("some UI files: %d bytes plain, %d gzip" % (shell, shell_gz))
        # A small file is sent as it is.
        icon = self.anon.get("/favicon.svg", headers=GZ)
        self.assertStatus(icon, 200)
        if len(icon.body) < 1024:
            self.assertIsNone(icon.header("Content-Encoding"))


if __name__ == "__main__":
    import unittest
    unittest.main()
