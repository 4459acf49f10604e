"""Templates over HTTP (/api/templates): create, list, read with ETag,
PATCH and DELETE with If-Match, name clashes (409), specs checked by the
VM spec parser and against the host (400 naming the field), and who may
do what (any user reads, admins change)."""

import os
import unittest

import harness

PREFIX = "vireo-tp-%d-" % os.getpid()


class TemplateTest(harness.ApiTestCase):
    def make(self, tag, spec=None, status=201, **extra):
        name = PREFIX + tag
        body = dict({"name": name, "spec": spec if spec is not None else {"vcpus": 1, "memory": 64}},
                    **extra)
        r = self.api.post("/api/templates", json_body=body)
        self.assertStatus(r, status)
        if status == 201:
            self.addCleanup(self.api.delete, "/api/templates/" + name)
        return name, r

    def test_create_read_list(self):
        spec = {"os": "debian12", "vcpus": 1, "memory": 128, "graphics": "none",
                "disks": [{"pool": "images", "size": 1 << 30}], "nics": [{"network": "default"}]}
        name, r = self.make("one", spec, description="small")
        self.assertEqual(r.header("Location"), "/api/templates/" + name)
        etag = self.assertETag(r)
        t = r.json()
        self.assertEqual(set(t), {"name", "description", "spec", "owner", "created_at", "updated_at"})
        self.assertEqual(t["spec"], spec)
        self.assertEqual(t["owner"], "admin")
        self.assertEqual(t["description"], "small")
        r = self.api.get("/api/templates/" + name)
        self.assertStatus(r, 200)
        self.assertEqual(self.assertETag(r), etag)
        names = [x["name"] for x in self.api.get("/api/templates").json()["templates"]]
        self.assertIn(name, names)
        self.assertError(self.api.get("/api/templates/%snope" % PREFIX), 404)

    def test_patch_and_delete_honour_if_match(self):
        name, r = self.make("edit")
        etag = self.assertETag(r)
        r = self.api.patch("/api/templates/" + name, {"description": "new", "spec": {"vcpus": 2, "memory": 64}},
                           headers={"If-Match": etag})
        self.assertStatus(r, 200)
        self.assertEqual(r.json()["spec"]["vcpus"], 2)
        self.assertError(self.api.patch("/api/templates/" + name, {"description": "x"},
                                        headers={"If-Match": etag}), 412)
        self.assertError(self.api.delete("/api/templates/" + name, headers={"If-Match": etag}), 412)
        other, _ = self.make("other")
        self.assertError(self.api.patch("/api/templates/" + name, {"name": other}), 409)
        self.assertStatus(self.api.delete("/api/templates/" + name), 204)
        self.assertError(self.api.get("/api/templates/" + name), 404)

    def test_clash_and_bad_specs(self):
        name, _ = self.make("clash")
        r = self.api.post("/api/templates", json_body={"name": name, "spec": {}})
        self.assertError(r, 409)
        cases = [({"name": "x"}, "name"), ({"vcpus": 0}, "vcpus"), ({"memory": 1}, "memory"),
                 ({"vcpus": 100000}, "vcpus"), ({"cpu_mode": "host-passthrough"}, "cpu_mode"),
                 ({"disks": [{"size": 1}]}, "disks[0]"), ({"nics": [{"model": "virtio"}]}, "nics[0]"),
                 ({"bogus": 1}, "bogus")]
        for spec, field in cases:
            r = self.api.post("/api/templates", json_body={"name": PREFIX + "bad", "spec": spec})
            self.assertError(r, 400)
            self.assertIn(field, r.json()["error"]["message"], repr((spec, r)))
        for body in ({"name": PREFIX + "bad"}, {"name": "a<b", "spec": {}},
                     {"name": PREFIX + "bad", "spec": []}, {"name": PREFIX + "bad", "spec": {}, "x": 1}):
            self.assertError(self.api.post("/api/templates", json_body=body), 400)

    def test_viewer_reads_operator_cannot_change(self):
        name, _ = self.make("roles")
        viewer, vpw = harness.make_user(self.daemon, "tpview", "viewer")
        vc, _ = harness.token_client(self.daemon, viewer, vpw)
        self.assertStatus(vc.get("/api/templates/" + name), 200)
        op, opw = harness.make_user(self.daemon, "tpop", "operator")
        oc, _ = harness.token_client(self.daemon, op, opw)
        self.assertError(oc.patch("/api/templates/" + name, {"description": "x"}), 403)
        self.assertError(oc.delete("/api/templates/" + name), 403)


if __name__ == "__main__":
    unittest.main()
