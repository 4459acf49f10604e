"""PATCH /api/vms/{name}: metadata edits, ETag/If-Match, and the error answers
of the request layer (400/404/405/412/413/415)."""

import json

import harness


class PatchTest(harness.ApiTestCase):
    def setUp(self):
        self.name = self.guest("patch")
        self.path = "/api/vms/" + self.name

    def etag(self):
        r = self.api.get(self.path)
        self.assertStatus(r, 200)
        return self.assertETag(r)

    def test_edit_description_tags_autostart(self):
        etag0 = self.etag()
        r = self.api.patch(self.path, {"description": "a test VM",
                                       "tags": ["web", "prod-1", "a.b:c_d"]})
        self.assertStatus(r, 200)
        d = r.json()
        self.assertEqual(d["name"], self.name)
        self.assertEqual(d["description"], "a test VM")
        self.assertEqual(d["tags"], ["web", "prod-1", "a.b:c_d"])
        self.assertIn("os", d, "PATCH must answer the VM detail")
        etag1 = self.assertETag(r)
        self.assertNotEqual(etag1, etag0, "ETag did not change after an edit")
        g = self.api.get(self.path)
        self.assertEqual(g.json()["description"], "a test VM")
        self.assertEqual(g.json()["tags"], ["web", "prod-1", "a.b:c_d"])
        self.assertEqual(self.assertETag(g), etag1, "GET after PATCH gives another ETag")

        # only the given members change
        r = self.api.patch(self.path, {"tags": []})
        self.assertStatus(r, 200)
        self.assertEqual(r.json()["tags"], [])
        self.assertEqual(r.json()["description"], "a test VM")

        r = self.api.patch(self.path, {"autostart": True})
        self.assertStatus(r, 200)
        self.assertTrue(r.json()["autostart"])
        self.assertIn("enable", harness.virsh("dominfo", self.name).split("Autostart:")[1]
                      .splitlines()[0], "libvirt autostart not set")
        r = self.api.patch(self.path, {"autostart": False})
        self.assertStatus(r, 200)
        self.assertFalse(r.json()["autostart"])
        self.assertIn("disable", harness.virsh("dominfo", self.name).split("Autostart:")[1]
                      .splitlines()[0], "libvirt autostart not cleared")

        # an empty object changes nothing
        before = self.vm(self.name)
        r = self.api.patch(self.path, {})
        self.assertStatus(r, 200)
        self.assertEqual(r.json()["description"], before["description"])

        # limits: 4096 characters and 32 tags are allowed
        r = self.api.patch(self.path, {"description": "x" * 4096,
                                       "tags": ["t%d" % i for i in range(32)]})
        self.assertStatus(r, 200)
        self.assertEqual(len(r.json()["description"]), 4096)
        self.assertEqual(len(r.json()["tags"]), 32)
        r = self.api.patch(self.path, {"tags": ["x" * 64]})
        self.assertStatus(r, 200)

    def test_unicode_description_round_trips(self):
        text = "caf\u00e9 \u2603 <b>&\"quoted\"</b>"
        r = self.api.patch(self.path, {"description": text})
        self.assertStatus(r, 200)
        self.assertEqual(self.vm(self.name)["description"], text)

    def test_if_match(self):
        etag0 = self.etag()
        r = self.api.patch(self.path, {"description": "one"}, headers={"If-Match": etag0})
        self.assertStatus(r, 200)
        etag1 = self.assertETag(r)
        r = self.api.patch(self.path, {"description": "two"}, headers={"If-Match": etag0})
        self.assertError(r, 412)
        self.assertEqual(self.vm(self.name)["description"], "one",
                         "a stale PATCH changed the VM")
        r = self.api.patch(self.path, {"description": "three"},
                           headers={"If-Match": '"not-an-etag"'})
        self.assertError(r, 412)
        r = self.api.patch(self.path, {"description": "four"}, headers={"If-Match": etag1})
        self.assertStatus(r, 200)
        self.assertEqual(r.json()["description"], "four")

    def test_if_match_weak_etag_never_matches(self):
        # If-Match uses the strong comparison (RFC 9110 13.1.1): W/"x" is stale.
        etag = self.etag()
        r = self.api.patch(self.path, {"description": "weak"}, headers={"If-Match": "W/" + etag})
        self.assertError(r, 412)
        self.assertEqual(self.vm(self.name)["description"], "")

    def test_if_match_list_and_star(self):
        etag = self.etag()
        r = self.api.patch(self.path, {"description": "listed"},
                           headers={"If-Match": '"nope", %s' % etag})
        self.assertStatus(r, 200)
        r = self.api.patch(self.path, {"description": "star"}, headers={"If-Match": "*"})
        self.assertStatus(r, 200)

    def test_if_match_race(self):
        # Two admins with the same ETag: exactly one edit wins.
        import threading
        etag = self.etag()
        statuses = []
        lock = threading.Lock()

        def edit(i):
            r = harness.client().patch(self.path, {"description": "race %d" % i},
                                       headers={"If-Match": etag})
            with lock:
                statuses.append(r.status)
        threads = [threading.Thread(target=edit, args=(i,)) for i in range(8)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        self.assertEqual(sorted(statuses), [200] + [412] * 7, statuses)

    def test_invalid_bodies(self):
        cases = [
            ("unknown member", {"descripton": "typo"}),
            ("unknown member next to good ones", {"description": "ok", "colour": "red"}),
            ("description not a string", {"description": 5}),
            ("description null", {"description": None}),
            ("tags not a list", {"tags": "web"}),
            ("tag not a string", {"tags": [1]}),
            ("autostart not a bool", {"autostart": "yes"}),
            ("autostart number", {"autostart": 1}),
            ("description too long", {"description": "x" * 4097}),
            ("too many tags", {"tags": ["t%d" % i for i in range(33)]}),
            ("tag with a space", {"tags": ["bad tag"]}),
            ("tag with a slash", {"tags": ["a/b"]}),
            ("empty tag", {"tags": [""]}),
            ("tag too long", {"tags": ["x" * 65]}),
            ("body is an array", []),
            ("body is a string", "description"),
        ]
        before = self.vm(self.name)
        for label, body in cases:
            with self.subTest(label):
                self.assertError(self.api.patch(self.path, body), 400)
        after = self.vm(self.name)
        self.assertEqual((after["description"], after["tags"], after["autostart"]),
                         (before["description"], before["tags"], before["autostart"]),
                         "a rejected PATCH changed the VM")

    def test_malformed_json(self):
        for raw in (b'{"description": ', b"{'description': 'x'}", b"not json",
                    b'{"description": "x"} trailing', b"\xff\xfe{}"):
            with self.subTest(raw=raw):
                r = self.api.request("PATCH", self.path, body=raw,
                                     headers={"Content-Type": "application/json"})
                self.assertError(r, 400)

    def test_content_type(self):
        body = json.dumps({"description": "typed"})
        r = self.api.request("PATCH", self.path, body=body, headers={"Content-Type": "text/plain"})
        self.assertError(r, 415)
        r = self.api.request("PATCH", self.path, body=body,
                             headers={"Content-Type": "application/x-www-form-urlencoded"})
        self.assertError(r, 415)
        r = self.api.request("PATCH", self.path, body=body)   # no Content-Type at all
        self.assertError(r, 415)
        self.assertEqual(self.vm(self.name)["description"], "")
        r = self.api.request("PATCH", self.path, body=body,
                             headers={"Content-Type": "application/json; charset=utf-8"})
        self.assertStatus(r, 200)
        self.assertEqual(r.json()["description"], "typed")

    def test_body_too_large(self):
        body = b'{"description": "' + b"a" * (1024 * 1024) + b'"}'
        r = self.api.request("PATCH", self.path, body=body,
                             headers={"Content-Type": "application/json"})
        self.assertError(r, 413)
        # the daemon still answers afterwards
        self.assertStatus(self.api.get(self.path), 200)

    def test_unknown_vm(self):
        r = self.api.patch("/api/vms/%snope" % harness.PREFIX, {"description": "x"})
        self.assertError(r, 404)


class RoutingTest(harness.ApiTestCase):
    def allow(self, r):
        return {m.strip().upper() for m in (r.header("Allow") or "").split(",") if m.strip()}

    def test_wrong_method_on_vm(self):
        name = self.guest("method")
        r = self.api.request("PUT", "/api/vms/" + name, json_body={"description": "x"})
        self.assertError(r, 405)
        self.assertTrue({"GET", "PATCH", "DELETE"} <= self.allow(r), repr(r))
        self.assertNotIn("PUT", self.allow(r))
        r = self.api.post("/api/vms/" + name)
        self.assertError(r, 405)
        r = self.api.get("/api/vms/%s/start" % name)
        self.assertError(r, 405)
        self.assertIn("POST", self.allow(r), repr(r))
        self.assertEqual(harness.domain_state(name), "shut off", "GET .../start started the VM")

    def test_wrong_method_on_collection(self):
        r = self.api.delete("/api/vms")
        self.assertError(r, 405)
        self.assertIn("GET", self.allow(r), repr(r))
        r = self.api.request("PUT", "/api/openapi.json", json_body={})
        self.assertError(r, 405)
        self.assertIn("GET", self.allow(r), repr(r))

    def test_unknown_routes(self):
        for path in ("/api/nonexistent", "/api/vms/x/y/z", "/api/", "/api/hostz",
                     "/api/vms/%snope/frobnicate" % harness.PREFIX):
            with self.subTest(path=path):
                self.assertError(self.api.get(path), 404)

    def test_unknown_action(self):
        name = self.guest("action")
        self.assertError(self.api.post("/api/vms/%s/frobnicate" % name), 404)

    def test_action_on_unknown_vm(self):
        for act in ("start", "shutdown", "poweroff", "reboot", "reset", "suspend", "resume"):
            with self.subTest(act):
                self.assertError(self.api.post("/api/vms/%snope/%s" % (harness.PREFIX, act)), 404)

    def test_delete_unknown_vm(self):
        self.assertError(self.api.delete("/api/vms/%snope" % harness.PREFIX), 404)


if __name__ == "__main__":
    import unittest
    unittest.main()
