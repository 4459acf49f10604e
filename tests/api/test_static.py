"""The static web UI served from --webui: MIME types, ETag/304, no path
traversal, 404 page, and the versioned addresses pages name files by
(v/TAG/..., kept for good by browsers)."""

import http.client
import os
import re

import harness

WEBUI = os.path.join(harness.REPO, "webui")

MIME = {
    ".html": ("text/html",),
    ".js": ("text/javascript", "application/javascript"),
    ".mjs": ("text/javascript", "application/javascript"),
    ".css": ("text/css",),
    ".json": ("application/json",),
    ".svg": ("image/svg+xml",),
    ".png": ("image/png",),
    ".ico": ("image/x-icon", "image/vnd.microsoft.icon"),
    ".woff2": ("font/woff2",),
}


def read(rel):
    with open(os.path.join(WEBUI, rel), "rb") as f:
        return f.read()


MARK = b"{{static}}"
TAGGED = re.compile(rb'"v/([0-9a-f]{16})/')


def served(rel, body):
    """What vireod sends for the file `rel`, whose answer was `body`: pages
    get their {{static}} marks filled with v/TAG (TAG read from `body`)."""
    data = read(rel)
    if rel.endswith(".html") and MARK in data:
        m = TAGGED.search(body)
        if m:
            return data.replace(MARK, b"v/" + m.group(1))
    return data


class StaticTest(harness.ApiTestCase):
    def assertMime(self, r, choices):
        ctype = (r.header("Content-Type") or "").split(";")[0].strip().lower()
        self.assertIn(ctype, choices, repr(r))

    def test_index(self):
        r = self.api.get("/")
        self.assertStatus(r, 200)
        self.assertMime(r, ("text/html",))
        if os.path.exists(os.path.join(WEBUI, "index.html")):
            self.assertEqual(r.body, served("index.html", r.body))
            self.assertNotIn(MARK, r.body)
        self.assertETag(r)
        self.assertIsNotNone(r.header("Last-Modified"), repr(r))
        r2 = self.api.get("/index.html")
        self.assertStatus(r2, 200)
        self.assertEqual(r2.body, r.body)

    def test_conditional_get(self):
        r = self.api.get("/")
        etag = self.assertETag(r)
        r304 = self.api.get("/", headers={"If-None-Match": etag})
        self.assertStatus(r304, 304)
        self.assertEqual(r304.body, b"")
        self.assertEqual(r304.header("ETag"), etag)
        r304 = self.api.get("/", headers={"If-None-Match": '"other", %s' % etag})
        self.assertStatus(r304, 304)
        r200 = self.api.get("/", headers={"If-None-Match": '"stale-etag"'})
        self.assertStatus(r200, 200)
        self.assertEqual(r200.body, r.body)

    def test_app_js(self):
        rels = [r for r in ("app.js", "js/app.js") if os.path.exists(os.path.join(WEBUI, r))]
        if not rels:
            self.skipTest("no webui/app.js or webui/js/app.js")
        for rel in rels:
            r = self.api.get("/" + rel)
            self.assertStatus(r, 200)
            self.assertMime(r, MIME[".js"])
            self.assertEqual(r.body, read(rel))
            etag = self.assertETag(r)
            self.assertStatus(self.api.get("/" + rel, headers={"If-None-Match": etag}), 304)

    def test_mime_types_of_all_files(self):
        if not os.path.isdir(WEBUI):
            self.skipTest("no webui directory")
        checked = 0
        for root, _, files in os.walk(WEBUI):
            for fn in sorted(files):
                ext = os.path.splitext(fn)[1].lower()
                if ext not in MIME:
                    continue
                rel = os.path.relpath(os.path.join(root, fn), WEBUI).replace(os.sep, "/")
                with self.subTest(rel):
                    r = self.api.get("/" + rel)
                    self.assertStatus(r, 200)
                    self.assertMime(r, MIME[ext])
                    self.assertEqual(r.body, served(rel, r.body))
                checked += 1
                if checked >= 60:
                    return

    def test_versioned_addresses(self):
        page = self.api.get("/")
        m = TAGGED.search(page.body)
        if not m:
            self.skipTest("index.html names no file by the version tag")
        tag = m.group(1).decode()
        self.assertIn('src="v/%s/bundle/app.js"' % tag, page.body.decode())
        self.assertIn(tag, page.header("ETag"))
        self.assertEqual(page.header("Cache-Control"), "no-cache")
        # The current tag: the same file, kept for good.
        r = self.api.get("/v/%s/js/app.js" % tag)
        self.assertStatus(r, 200)
        self.assertMime(r, MIME[".js"])
        self.assertEqual(r.body, read("js/app.js"))
        self.assertEqual(r.header("Cache-Control"), "max-age=31536000, immutable")
        etag = self.assertETag(r)
        self.assertStatus(self.api.get("/v/%s/js/app.js" % tag, headers={"If-None-Match": etag}), 304)
        # The plain address is revalidated as before.
        self.assertEqual(self.api.get("/js/app.js").header("Cache-Control"), "no-cache")
        # Another tag (an older page's lazy import): the file, revalidated.
        other = "0" * 16 if tag != "0" * 16 else "1" * 16
        r = self.api.get("/v/%s/js/app.js" % other)
        self.assertStatus(r, 200)
        self.assertEqual(r.body, read("js/app.js"))
        self.assertEqual(r.header("Cache-Control"), "no-cache")
        # Not a tag: no such file.
        for bad in ("/v/%s/js/app.js" % tag.upper(), "/v/%s/js/app.js" % tag[:-1], "/v/js/app.js",
                    "/v/%s/no-such-file.js" % tag):
            with self.subTest(path=bad):
                self.assertStatus(self.api.get(bad), 404)
        # The version prefix opens no way out of the folder.
        with open("/etc/passwd", "rb") as f:
            secret = f.read().split(b"\n")[0]
        for p in ("/v/%s/../../etc/passwd" % tag, "/v/%s/%%2e%%2e/etc/passwd" % tag,
                  "/v/%s//etc/passwd" % tag, "/v/%s/.git/config" % tag):
            with self.subTest(path=p):
                r = self.api.get(p)
                self.assertNotIn(secret, r.body)
                self.assertNotEqual(r.status // 100, 2, repr(r))

    def test_no_path_traversal(self):
        with open("/etc/passwd", "rb") as f:
            secret = f.read().split(b"\n")[0]
        paths = ["/../etc/passwd", "/%2e%2e/etc/passwd", "/%2E%2E/etc/passwd",
                 "/..%2fetc%2fpasswd", "/%2e%2e%2f%2e%2e%2fetc%2fpasswd",
                 "/../../../../../../etc/passwd", "/css/../../etc/passwd",
                 "/.%2e/.%2e/etc/passwd", "/..\\..\\etc\\passwd",
                 "//etc/passwd", "/%2fetc%2fpasswd", "/etc/passwd",
                 "/index.html/../../etc/passwd"]
        # A NUL ends the C string libmicrohttpd hands over, so these may serve
        # a file of the web UI; they must still not leak anything.
        nul_paths = ["/..%00/etc/passwd", "/%00", "/%00/../etc/passwd"]
        for p in paths:
            with self.subTest(path=p):
                try:
                    r = self.api.get(p)
                except (OSError, http.client.HTTPException) as e:
                    self.fail("GET %s: no HTTP answer (%r)" % (p, e))
                self.assertNotIn(secret, r.body, "%s leaked /etc/passwd" % p)
                self.assertNotEqual(r.status, 500, repr(r))
                self.assertNotEqual(r.status // 100, 2,
                                    "%s answered %d: %r" % (p, r.status, r))
        for p in nul_paths:
            with self.subTest(path=p):
                try:
                    r = self.api.get(p)
                except (OSError, http.client.HTTPException) as e:
                    self.fail("GET %s: no HTTP answer (%r)" % (p, e))
                self.assertNotIn(secret, r.body, "%s leaked /etc/passwd" % p)
                self.assertNotEqual(r.status, 500, repr(r))
        # the daemon is still fine
        self.assertStatus(self.api.get("/"), 200)

    def test_api_prefixed_traversal(self):
        # ".." after /api/ must not escape into the file system either.
        r = self.api.get("/api/../../etc/passwd")
        self.assertNotEqual(r.status // 100, 2, repr(r))

    def test_unknown_file(self):
        r = self.api.get("/no-such-file-%s.html" % harness.PREFIX)
        self.assertStatus(r, 404)
        self.assertMime(r, ("text/html",))
        if os.path.exists(os.path.join(WEBUI, "404.html")):
            self.assertEqual(r.body, read("404.html"))
        r = self.api.get("/no/such/dir/file.js")
        self.assertStatus(r, 404)

    def test_head(self):
        r = self.api.request("HEAD", "/")
        self.assertIn(r.status, (200, 405), repr(r))
        self.assertEqual(r.body, b"")


if __name__ == "__main__":
    import unittest
    unittest.main()
