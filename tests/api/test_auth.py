"""Access control against the real daemon: VM visibility of operators and
viewers, sessions (cookies, fixation, logout, revocation), CSRF, API tokens
(revocation, expiry), login throttling, malformed credentials, the users API
and the audit log."""

import hashlib
import http.client
import json
import os
import time
import urllib.parse

import harness
from harness import SESSION_COOKIE, CSRF_HEADER


def align_to_second(at=0.02):
    """Sleeps until `at` seconds past a wall-clock second. The login throttle
    counts in whole seconds; starting a burst just after a second begins keeps
    a 1 s lock from ending in the middle of it."""
    frac = time.time() % 1
    time.sleep((at - frac) % 1)


class AuthTestCase(harness.ApiTestCase):
    def user(self, tag, role="viewer"):
        return harness.make_user(self.daemon, tag, role)

    def login(self, username, password, source=None, headers=None):
        return harness.login(self.daemon, username, password, source=source, headers=headers)

    def session(self, username, password, source=None):
        r, c = self.login(username, password, source=source)
        self.assertStatus(r, 200, "login of %s" % username)
        return c

    def tokened(self, username, password, name="t"):
        return harness.token_client(self.daemon, username, password, name=name)

    def anon_from(self, source):
        return self.daemon.client(token=None, source=source)

    def whoami(self, c):
        return c.get("/api/session")


# --------------------------------------------------------------------------

class VisibilityTest(AuthTestCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.op, pw = harness.make_user(cls.daemon, "vop", "operator")
        cls.op_api, _ = harness.token_client(cls.daemon, cls.op, pw)
        cls.viewer, pw = harness.make_user(cls.daemon, "vview", "viewer")
        cls.viewer_api, _ = harness.token_client(cls.daemon, cls.viewer, pw)

    def listed(self, c, query="?fields=name"):
        r = c.get("/api/vms" + query)
        self.assertStatus(r, 200)
        return [v["name"] for v in r.json()["vms"]]

    def test_operator_cannot_see_or_touch_a_vm_not_theirs(self):
        name = self.new_name("notmine")
        harness.define_xml(name)
        uuid = harness.domain_uuid(name)
        missing = "%snope" % harness.PREFIX
        self.assertNotIn(name, self.listed(self.op_api))
        self.assertNotIn(name, self.listed(self.op_api, "?state=shutoff&fields=name,uuid"))
        self.assertIn(name, self.listed(self.api), "the admin sees every VM")

        def same_as_missing(method, suffix="", body=None, by=name):
            r = self.op_api.request(method, "/api/vms/%s%s" % (by, suffix), json_body=body)
            self.assertError(r, 404)
            m = self.op_api.request(method, "/api/vms/%s%s" % (missing, suffix), json_body=body)
            self.assertError(m, 404)
            # The answer for a hidden VM is that of a VM that does not exist.
            self.assertEqual(r.json()["error"]["message"].replace(by, "X"),
                             m.json()["error"]["message"].replace(missing, "X"))
        same_as_missing("GET")
        same_as_missing("GET", by=uuid)
        same_as_missing("PATCH", body={"description": "mine now"})
        same_as_missing("DELETE")
        for act in ("start", "shutdown", "poweroff", "reboot", "reset", "suspend", "resume"):
            with self.subTest(action=act):
                same_as_missing("POST", "/" + act)
        same_as_missing("POST", "/start", by=uuid)
        r = self.op_api.request("HEAD", "/api/vms/" + name)
        self.assertStatus(r, 404)
        self.assertTrue(harness.domain_exists(name))
        self.assertEqual(harness.domain_state(name), "shut off")
        self.assertEqual(self.vm(name)["description"], "")

        # granted: visible and usable
        r = harness.grant(self.daemon, self.op, name)
        self.assertEqual(r.json(), {"uuid": uuid, "name": name})
        self.assertIn(name, self.listed(self.op_api))
        g = self.api.get("/api/users/%s/grants" % self.op)
        self.assertStatus(g, 200)
        # Each grant names its VM and the host that holds it.
        self.assertIn((uuid, name), [(x["uuid"], x["name"]) for x in g.json()["grants"]])
        self.assertTrue(all(x["host"]["name"] for x in g.json()["grants"]))
        self.assertStatus(self.op_api.get("/api/vms/" + name), 200)
        self.assertStatus(self.op_api.get("/api/vms/" + uuid), 200)
        r = self.op_api.post("/api/vms/%s/start" % name)
        self.assertStatus(r, 200)
        self.assertEqual(r.json()["state"], "running")
        self.assertEqual(harness.domain_state(name), "running")
        r = self.op_api.patch("/api/vms/" + name, {"description": "operated"})
        self.assertStatus(r, 200)
        r = self.op_api.post("/api/vms/%s/poweroff" % name)
        self.assertStatus(r, 200)
        self.wait_state(name, "shutoff", 15)

        # the grant taken back: hidden again
        r = self.api.delete("/api/users/%s/grants/%s" % (self.op, name))
        self.assertStatus(r, 204)
        self.assertError(self.api.delete("/api/users/%s/grants/%s" % (self.op, name)), 404)
        self.assertNotIn(name, self.listed(self.op_api))
        self.assertError(self.op_api.get("/api/vms/" + name), 404)
        self.assertError(self.op_api.post("/api/vms/%s/start" % name), 404)
        self.assertEqual(harness.domain_state(name), "shut off")

    def test_grant_by_uuid_and_paging_of_visible_vms(self):
        names = [self.new_name("vis-%d" % i) for i in range(4)]
        for n in names:
            harness.define_xml(n)
        harness.grant(self.daemon, self.viewer, harness.domain_uuid(names[1]))
        harness.grant(self.daemon, self.viewer, names[3])
        self.assertEqual([n for n in self.listed(self.viewer_api) if n in names],
                         [names[1], names[3]])
        # paging walks only what the viewer may see
        seen = []
        after = None
        for _ in range(50):
            q = "?fields=name&limit=1" + ("&after=" + urllib.parse.quote(after) if after else "")
            doc = self.viewer_api.get("/api/vms" + q).json()
            seen += [v["name"] for v in doc["vms"]]
            if doc["next"] is None:
                break
            after = doc["next"]
        self.assertEqual([n for n in seen if n in names], [names[1], names[3]])
        self.assertNotIn(names[0], seen)
        self.assertNotIn(names[2], seen)
        self.assertStatus(self.viewer_api.get("/api/vms/" + names[1]), 200)
        self.assertError(self.viewer_api.get("/api/vms/" + names[2]), 404)
        # a viewer reads, never acts, even on a granted VM
        self.assertError(self.viewer_api.post("/api/vms/%s/start" % names[1]), 403, "forbidden")
        self.assertError(self.viewer_api.patch("/api/vms/" + names[1], {"description": "x"}),
                         403, "forbidden")
        self.assertEqual(harness.domain_state(names[1]), "shut off")

    def test_grant_errors(self):
        name = self.new_name("granterr")
        harness.define_xml(name)
        self.assertError(self.api.post("/api/users/%s/grants" % self.op,
                                       json_body={"vm": "%snope" % harness.PREFIX}), 404)
        self.assertError(self.api.post("/api/users/nosuchuser/grants", json_body={"vm": name}), 404)
        self.assertError(self.api.post("/api/users/%s/grants" % self.op, json_body={}), 400)
        self.assertError(self.api.post("/api/users/%s/grants" % self.op,
                                       json_body={"vm": name, "extra": 1}), 400)
        self.assertError(self.api.delete("/api/users/%s/grants/%s" % (self.op, name)), 404)

    def test_grant_does_not_pass_to_a_new_vm_of_the_same_name(self):
        # Grants follow the VM (its UUID), not its name: a VM removed with
        # virsh and another defined under the same name stays hidden.
        name = self.new_name("reuse")
        harness.define_xml(name)
        old_uuid = harness.domain_uuid(name)
        harness.grant(self.daemon, self.op, name)
        self.assertStatus(self.op_api.get("/api/vms/" + name), 200)
        harness.virsh("undefine", name)
        self.assertError(self.op_api.get("/api/vms/" + name), 404)
        harness.define_xml(name)
        self.assertNotEqual(harness.domain_uuid(name), old_uuid)
        self.assertError(self.op_api.get("/api/vms/" + name), 404)
        self.assertNotIn(name, self.listed(self.op_api))
        self.assertError(self.op_api.post("/api/vms/%s/start" % name), 404)
        grants = self.api.get("/api/users/%s/grants" % self.op).json()["grants"]
        self.assertIn({"uuid": old_uuid, "name": None}, grants)
        # a grant of a VM that is gone is removed by its UUID
        self.assertStatus(self.api.delete("/api/users/%s/grants/%s" % (self.op, old_uuid)), 204)
        grants = self.api.get("/api/users/%s/grants" % self.op).json()["grants"]
        self.assertNotIn(old_uuid, [g["uuid"] for g in grants])

    def test_role_change_applies_to_existing_credentials(self):
        name = self.new_name("demote")
        harness.define_xml(name)
        user, pw = self.user("demote", "operator")
        tok, _ = self.tokened(user, pw)
        harness.grant(self.daemon, user, name)
        self.assertStatus(tok.patch("/api/vms/" + name, {"description": "as operator"}), 200)
        self.assertStatus(self.api.patch("/api/users/" + user, {"role": "viewer"}), 200)
        self.assertError(tok.patch("/api/vms/" + name, {"description": "as viewer"}), 403)
        self.assertEqual(self.whoami(tok).json()["role"], "viewer")
        self.assertStatus(self.api.patch("/api/users/" + user, {"role": "admin"}), 200)
        self.assertStatus(tok.get("/api/users"), 200)
        self.assertStatus(self.api.patch("/api/users/" + user, {"role": "operator"}), 200)
        self.assertError(tok.get("/api/users"), 403)


# --------------------------------------------------------------------------

class SessionTest(AuthTestCase):
    def test_login_cookie(self):
        user, pw = self.user("cookie", "operator")
        r, c = self.login(user, pw)
        self.assertStatus(r, 200)
        doc = r.json()
        self.assertEqual((doc["username"], doc["role"], doc["via"]), (user, "operator", "session"))
        cookies = r.set_cookies()
        self.assertIn(SESSION_COOKIE, cookies, repr(r))
        value, attrs = cookies[SESSION_COOKIE]
        lower = [a.lower() for a in attrs]
        self.assertIn("httponly", lower, repr(r))
        self.assertIn("samesite=strict", lower, repr(r))
        self.assertIn("path=/", lower, repr(r))
        self.assertNotIn("secure", lower, "Secure on plain HTTP would drop the cookie: %r" % r)
        self.assertGreaterEqual(len(value), 32, "session id too short to be unguessable")
        w = self.whoami(c)
        self.assertStatus(w, 200)
        self.assertEqual((w.json()["username"], w.json()["via"]), (user, "session"))
        # two logins, two different sessions
        r2, c2 = self.login(user, pw)
        self.assertNotEqual(c2.cookie, c.cookie)

    def test_session_fixation(self):
        user, pw = self.user("fixate")
        planted = "attacker-chosen-session-id-0123456789abcdef"
        r, c = self.login(user, pw, headers={"Cookie": "%s=%s" % (SESSION_COOKIE, planted)})
        self.assertStatus(r, 200)
        self.assertNotEqual(c.cookie, planted, "the server adopted a client-chosen session id")
        self.assertError(self.whoami(self.daemon.client(token=None, cookie=planted)), 401)
        self.assertStatus(self.whoami(c), 200)
        # logging in again while holding a valid session also gives a new id
        r, c2 = self.login(user, pw, headers={"Cookie": "%s=%s" % (SESSION_COOKIE, c.cookie)})
        self.assertStatus(r, 200)
        self.assertNotEqual(c2.cookie, c.cookie)

    def test_logout(self):
        user, pw = self.user("logout")
        c = self.session(user, pw)
        self.assertStatus(self.whoami(c), 200)
        r = c.delete("/api/session")
        self.assertStatus(r, 204)
        cleared = r.set_cookies().get(SESSION_COOKIE)
        self.assertIsNotNone(cleared, "logout does not clear the cookie: %r" % r)
        self.assertEqual(cleared[0], "")
        self.assertIn("max-age=0", [a.lower() for a in cleared[1]], repr(r))
        self.assertError(self.whoami(c), 401)
        self.assertError(c.get("/api/vms"), 401)
        self.assertError(c.delete("/api/session"), 401)
        # a token has no session to end
        tok, _ = self.tokened(user, pw)
        self.assertError(tok.delete("/api/session"), 400)
        self.assertStatus(self.whoami(tok), 200)

    def test_list_and_revoke_own_sessions(self):
        user, pw = self.user("sessions")
        other, other_pw = self.user("sessions-other")
        a = self.session(user, pw)
        b = self.session(user, pw)
        o = self.session(other, other_pw)
        r = a.get("/api/sessions")
        self.assertStatus(r, 200)
        sessions = r.json()["sessions"]
        self.assertEqual(len(sessions), 2, sessions)
        self.assertEqual(sorted(s["current"] for s in sessions), [False, True])
        for s in sessions:
            self.assertEqual(s["address"], "127.0.0.1")
            self.assertNotIn(a.cookie, json.dumps(s))
            self.assertNotIn(b.cookie, json.dumps(s))
        b_id = [s["id"] for s in sessions if not s["current"]][0]
        o_id = [s["id"] for s in o.get("/api/sessions").json()["sessions"] if s["current"]][0]
        # someone else's session: not found, and it lives on
        self.assertError(a.delete("/api/sessions/" + o_id), 404)
        self.assertStatus(self.whoami(o), 200)
        # the id is not the cookie: it cannot be used to log in
        self.assertError(self.whoami(self.daemon.client(token=None, cookie=b_id)), 401)
        r = a.delete("/api/sessions/" + b_id)
        self.assertStatus(r, 204)
        self.assertError(self.whoami(b), 401)
        self.assertStatus(self.whoami(a), 200)
        self.assertEqual(len(a.get("/api/sessions").json()["sessions"]), 1)
        self.assertError(a.delete("/api/sessions/" + b_id), 404)

    def test_login_input_errors(self):
        anon = self.anon_from(harness.fresh_source())
        for body in ({}, {"username": "admin"}, {"password": "x" * 10},
                     {"username": "admin", "password": "x" * 10, "remember": True},
                     {"username": 5, "password": "x" * 10}, [], "admin"):
            with self.subTest(body=body):
                self.assertError(anon.post("/api/session", json_body=body), 400)
        r = anon.post("/api/session", body=b"{not json", headers={"Content-Type": "application/json"})
        self.assertError(r, 400)
        r = anon.post("/api/session", body=b"username=admin&password=x",
                      headers={"Content-Type": "application/x-www-form-urlencoded"})
        self.assertError(r, 415)


# --------------------------------------------------------------------------

class CsrfTest(AuthTestCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.user, cls.pw = harness.make_user(cls.daemon, "csrf", "operator")
        cls.vmname = harness.unique_name("csrf")
        harness.define_xml(cls.vmname)
        harness.grant(cls.daemon, cls.user, cls.vmname)

    @classmethod
    def tearDownClass(cls):
        harness.remove_domain(cls.vmname)

    def setUp(self):
        self.c = self.session(self.user, self.pw)
        self.path = "/api/vms/" + self.vmname

    def description(self):
        return self.vm(self.vmname)["description"]

    def patch(self, headers, text):
        return self.c.patch(self.path, {"description": text}, headers=headers)

    def test_missing_csrf_header(self):
        r = self.patch({CSRF_HEADER: None}, "no header")
        self.assertError(r, 403, "forbidden")
        self.assertNotEqual(self.description(), "no header")
        for bad in ("0", "true", "", "1, 1"):
            with self.subTest(value=bad):
                self.assertError(self.patch({CSRF_HEADER: bad}, "bad header"), 403, "forbidden")
        r = self.c.post("/api/vms/%s/start" % self.vmname, headers={CSRF_HEADER: None})
        self.assertError(r, 403, "forbidden")
        self.assertEqual(harness.domain_state(self.vmname), "shut off")
        r = self.c.post("/api/tokens", json_body={"name": "csrf"}, headers={CSRF_HEADER: None})
        self.assertError(r, 403, "forbidden")
        r = self.c.delete("/api/session", headers={CSRF_HEADER: None})
        self.assertError(r, 403, "forbidden")
        self.assertStatus(self.whoami(self.c), 200, "a refused logout ended the session")

    def test_foreign_or_missing_origin(self):
        port = self.daemon.port
        for origin in ("http://evil.example", "http://127.0.0.1:%d" % (port + 1),
                       "https://127.0.0.1:%d" % port, "http://localhost:%d" % port,
                       "http://127.0.0.1:%d/" % port, "http://127.0.0.1:%d.evil.example" % port,
                       "null", "", None):
            with self.subTest(origin=origin):
                r = self.patch({"Origin": origin}, "foreign")
                self.assertError(r, 403, "forbidden")
        self.assertEqual(self.description(), "")

    def test_same_origin_with_header_passes(self):
        r = self.patch({}, "same origin")
        self.assertStatus(r, 200)
        self.assertEqual(self.description(), "same origin")
        # Host and Origin compare without regard to case
        r = self.patch({"Origin": "HTTP://127.0.0.1:%d" % self.daemon.port}, "upper")
        self.assertStatus(r, 200)
        self.assertStatus(self.api.patch(self.path, {"description": ""}), 200)

    def test_reads_need_no_csrf_header(self):
        r = self.c.get(self.path, headers={"Origin": "http://evil.example"})
        self.assertStatus(r, 200)

    def test_tokens_need_no_csrf_header(self):
        tok, _ = self.tokened(self.user, self.pw)
        r = tok.patch(self.path, {"description": "by token"})
        self.assertStatus(r, 200)
        self.assertStatus(self.api.patch(self.path, {"description": ""}), 200)

    def test_login_from_a_foreign_origin(self):
        anon = self.anon_from(harness.fresh_source())
        body = {"username": self.user, "password": self.pw}
        r = anon.post("/api/session", json_body=body, headers={"Origin": "http://evil.example"})
        self.assertError(r, 403, "forbidden")
        self.assertNotIn(SESSION_COOKIE, r.set_cookies())
        r = anon.post("/api/session", json_body=body, headers={"Origin": "null"})
        self.assertError(r, 403, "forbidden")
        r = anon.post("/api/session", json_body=body, headers={"Origin": anon.origin})
        self.assertStatus(r, 200)
        r = anon.post("/api/session", json_body=body)   # scripts send no Origin
        self.assertStatus(r, 200)


# --------------------------------------------------------------------------

class TokenTest(AuthTestCase):
    def test_create_use_revoke(self):
        user, pw = self.user("tok", "operator")
        c = self.session(user, pw)
        r = c.post("/api/tokens", json_body={"name": "ci script"})
        self.assertStatus(r, 201)
        doc = r.json()
        token = harness.remember_token(doc["token"])
        self.assertTrue(token.startswith("vireo_"), token)
        self.assertGreaterEqual(len(token), 40)
        self.assertEqual(doc["name"], "ci script")
        self.assertEqual(doc["owner"], user)
        self.assertIsNone(doc["expires_at"])
        self.assertEqual(r.header("Location"), "/api/tokens/%d" % doc["id"])
        # shown once: the list never has it
        lst = c.get("/api/tokens")
        self.assertStatus(lst, 200)
        self.assertNotIn(token.encode(), lst.body)
        mine = [t for t in lst.json()["tokens"] if t["id"] == doc["id"]]
        self.assertEqual(len(mine), 1)
        self.assertNotIn("token", mine[0])
        self.assertEqual(set(mine[0]), {"id", "name", "owner", "created_at", "expires_at",
                                        "last_used", "scope"})
        self.assertEqual(mine[0]["scope"], "full")
        # the thief uses it from elsewhere: it works, as the owner
        thief = self.daemon.client(token=token, source=harness.fresh_source())
        w = self.whoami(thief)
        self.assertStatus(w, 200)
        self.assertEqual((w.json()["username"], w.json()["via"]), (user, "token"))
        self.assertStatus(thief.get("/api/vms"), 200)
        self.assertIsNotNone([t for t in c.get("/api/tokens").json()["tokens"]
                              if t["id"] == doc["id"]][0]["last_used"])
        # revoked: the next request fails
        self.assertError(c.delete("/api/tokens/nonsense"), 404)
        r = c.delete("/api/tokens/%d" % doc["id"])
        self.assertStatus(r, 204)
        self.assertError(thief.get("/api/vms"), 401, "unauthorized")
        self.assertError(self.whoami(thief), 401)
        self.assertError(c.delete("/api/tokens/%d" % doc["id"]), 404)
        self.assertEqual([t for t in c.get("/api/tokens").json()["tokens"]
                          if t["id"] == doc["id"]], [])

    def test_expiry(self):
        user, pw = self.user("expiry")
        c = self.session(user, pw)
        expires = int(time.time()) + 2
        r = c.post("/api/tokens", json_body={"name": "short", "expires": expires})
        self.assertStatus(r, 201)
        self.assertEqual(r.json()["expires_at"],
                         time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(expires)))
        short = self.daemon.client(token=harness.remember_token(r.json()["token"]))
        iso = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() + 3600))
        r = c.post("/api/tokens", json_body={"name": "iso", "expires": iso})
        self.assertStatus(r, 201)
        self.assertEqual(r.json()["expires_at"], iso)
        longer = self.daemon.client(token=harness.remember_token(r.json()["token"]))
        self.assertStatus(self.whoami(short), 200)
        while time.time() < expires + 0.2:
            time.sleep(0.1)
        self.assertError(self.whoami(short), 401, "unauthorized")
        self.assertError(short.get("/api/vms"), 401)
        self.assertStatus(self.whoami(longer), 200)
        for bad in (int(time.time()) - 10, 0, "yesterday", "2001-01-01T00:00:00Z",
                    "2999-01-01T00:00:00", 1.5, True, {"in": 3600}):
            with self.subTest(expires=bad):
                self.assertError(c.post("/api/tokens", json_body={"name": "bad", "expires": bad}),
                                 400)

    def test_names_and_ownership(self):
        user, pw = self.user("tokown", "operator")
        other, other_pw = self.user("tokown2", "operator")
        mine, mine_id = self.tokened(user, pw, name="same")
        theirs, theirs_id = self.tokened(other, other_pw, name="same")
        self.assertError(mine.post("/api/tokens", json_body={"name": "same"}), 409)
        for bad in ({}, {"name": ""}, {"name": "x" * 65}, {"name": 5}, {"name": "a", "scope": "all"}):
            with self.subTest(body=bad):
                self.assertError(mine.post("/api/tokens", json_body=bad), 400)
        # not an admin: only one's own tokens are listed and revocable
        listed = {t["id"] for t in mine.get("/api/tokens").json()["tokens"]}
        self.assertIn(mine_id, listed)
        self.assertNotIn(theirs_id, listed)
        self.assertError(mine.delete("/api/tokens/%d" % theirs_id), 404)
        self.assertStatus(self.whoami(theirs), 200)
        # an admin sees and revokes everyone's
        all_tokens = {t["id"]: t["owner"] for t in self.api.get("/api/tokens").json()["tokens"]}
        self.assertEqual(all_tokens.get(theirs_id), other)
        self.assertStatus(self.api.delete("/api/tokens/%d" % theirs_id), 204)
        self.assertError(self.whoami(theirs), 401)
        self.assertStatus(self.whoami(mine), 200)

    def test_deleted_user_loses_token_and_sessions(self):
        user, pw = self.user("gone", "operator")
        tok, _ = self.tokened(user, pw)
        c = self.session(user, pw)
        self.assertStatus(self.api.delete("/api/users/" + user), 204)
        self.assertError(self.whoami(tok), 401, "unauthorized")
        self.assertError(self.whoami(c), 401, "unauthorized")
        r, _ = self.login(user, pw, source=harness.fresh_source())
        self.assertError(r, 401)
        # a new user of the same name does not inherit anything
        self.assertStatus(self.api.post("/api/users", json_body={
            "username": user, "password": harness.new_password(), "role": "viewer"}), 201)
        self.assertError(self.whoami(tok), 401)


# --------------------------------------------------------------------------

class BruteForceTest(AuthTestCase):
    def bad_login(self, user, source, password="wrong-password"):
        return self.anon_from(source).post("/api/session", json_body={
            "username": user, "password": password})

    def assertThrottled(self, r):
        self.assertError(r, 429, "too_many_requests")
        retry = r.header("Retry-After")
        self.assertIsNotNone(retry, "429 without Retry-After: %r" % r)
        self.assertRegex(retry, r"^[0-9]+$")
        self.assertGreaterEqual(int(retry), 1)
        self.assertNotIn(SESSION_COOKIE, r.set_cookies())
        return int(retry)

    def test_per_user(self):
        user, pw = self.user("brute")
        align_to_second()
        # one address per attempt: only the user's counter grows
        statuses = [self.bad_login(user, harness.fresh_source()).status for _ in range(6)]
        self.assertEqual(statuses[:5], [401] * 5)
        self.assertIn(statuses[5], (401, 429))
        r = self.bad_login(user, harness.fresh_source())
        retry = self.assertThrottled(r)
        # while locked, even the right password is refused, from anywhere
        r, c = self.login(user, pw, source=harness.fresh_source())
        self.assertThrottled(r)
        self.assertIsNone(c)
        # ...but other users are not affected
        other, other_pw = self.user("brute-other")
        r, _ = self.login(other, other_pw, source=harness.fresh_source())
        self.assertStatus(r, 200)
        time.sleep(retry + 0.1)
        r, c = self.login(user, pw, source=harness.fresh_source())
        self.assertStatus(r, 200, "the lock did not end after Retry-After")

    def test_per_address(self):
        src = harness.fresh_source()
        user, pw = self.user("brute-addr")
        align_to_second()
        # an address shares more (NAT): 20 failures before its first lock
        statuses = [self.bad_login("nosuch%d-%d" % (os.getpid(), i), src).status
                    for i in range(20)]
        self.assertEqual(statuses, [401] * 20)
        r = self.bad_login("nosuch%d-x" % os.getpid(), src)
        self.assertThrottled(r)
        r, _ = self.login(user, pw, source=src)
        self.assertThrottled(r)
        r, _ = self.login(user, pw, source=harness.fresh_source())
        self.assertStatus(r, 200, "a lock on one address must not lock the user elsewhere")

    def test_delay_doubles(self):
        user, _ = self.user("brute-double")
        align_to_second()
        for _ in range(6):
            self.bad_login(user, harness.fresh_source())
        delays = [self.assertThrottled(self.bad_login(user, harness.fresh_source()))]
        for _ in range(2):
            # wait out the lock, fail once more, see the next lock
            align_to_second(0.02 + delays[-1] - 1)
            while self.bad_login(user, harness.fresh_source()).status == 429:
                time.sleep(0.1)
            delays.append(self.assertThrottled(self.bad_login(user, harness.fresh_source())))
        self.assertEqual(delays, [1, 2, 4], "Retry-After of successive locks")

    def test_first_delay_is_a_full_second(self):
        # The throttle counts in whole wall-clock seconds: a 1 s lock set at
        # x.99 s ends at x+1.00, so a retry 20 ms later is let through.
        user, _ = self.user("brute-edge")
        for _ in range(5):
            self.bad_login(user, harness.fresh_source())
        align_to_second(0.985)
        self.bad_login(user, harness.fresh_source())      # failure 6: locked for "1 s"
        t0 = time.monotonic()
        r = self.bad_login(user, harness.fresh_source())
        if time.monotonic() - t0 > 0.5:
            self.skipTest("machine too slow for this timing")
        self.assertThrottled(r)

    def test_unknown_user_and_bad_password_look_the_same(self):
        user, _ = self.user("sameanswer")
        missing = "nosuch%d-same" % os.getpid()

        def attempt(name):
            t0 = time.monotonic()
            r = self.bad_login(name, harness.fresh_source())
            return r, time.monotonic() - t0
        known = [attempt(user) for _ in range(3)]
        unknown = [attempt(missing) for _ in range(3)]
        for (a, _), (b, _) in zip(known, unknown):
            self.assertError(a, 401, "unauthorized")
            self.assertEqual((a.status, a.body), (b.status, b.body))
            ha = sorted((k, v) for k, v in a.headers.items() if k.lower() != "date")
            hb = sorted((k, v) for k, v in b.headers.items() if k.lower() != "date")
            self.assertEqual(ha, hb)
        # the same password-hashing work either way (no timing oracle)
        tk = sorted(t for _, t in known)[1]
        tu = sorted(t for _, t in unknown)[1]
        self.assertGreater(tu, tk * 0.3, "unknown user answers much faster (%.1f ms vs %.1f ms)"
                           % (tu * 1000, tk * 1000))
        # unknown users are throttled like known ones
        src = harness.fresh_source()
        align_to_second()
        for _ in range(6):
            self.bad_login(missing + "2", harness.fresh_source())
        a = self.bad_login(missing + "2", src)
        self.assertThrottled(a)

    def test_password_change_guessing_is_throttled(self):
        # POST /api/session/password checks the current password: with a
        # stolen session it is a password oracle unless it is throttled too.
        user, pw = self.user("pwguess")
        c = self.session(user, pw, source=harness.fresh_source())
        statuses = []
        for i in range(8):
            r = c.post("/api/session/password", json_body={"current": "guess-%d-xx" % i,
                                                           "new": harness.new_password()})
            statuses.append(r.status)
        self.assertIn(429, statuses, "8 wrong current passwords in a row, never throttled: %r"
                      % statuses)


# --------------------------------------------------------------------------

class MalformedCredentialsTest(AuthTestCase):
    def test_oversized_login_body(self):
        anon = self.anon_from(harness.fresh_source())
        body = b'{"username": "admin", "password": "' + b"a" * (2 * 1024 * 1024) + b'"}'
        r = anon.post("/api/session", body=body, headers={"Content-Type": "application/json"})
        self.assertError(r, 413, "payload_too_large")
        # the same without Content-Length (chunked)
        conn = http.client.HTTPConnection("127.0.0.1", self.daemon.port, timeout=30)
        try:
            conn.putrequest("POST", "/api/session")
            conn.putheader("Content-Type", "application/json")
            conn.putheader("Transfer-Encoding", "chunked")
            conn.endheaders()
            chunk = b"a" * 65536
            try:
                head = b'{"username": "admin", "password": "'
                conn.send(b"%x\r\n%s\r\n" % (len(head), head))
                for _ in range(32):
                    conn.send(b"%x\r\n%s\r\n" % (len(chunk), chunk))
                conn.send(b'2\r\n"}\r\n0\r\n\r\n')
            except (BrokenPipeError, ConnectionResetError):
                pass
            resp = conn.getresponse()
            self.assertEqual(resp.status, 413)
        finally:
            conn.close()
        self.assertStatus(self.whoami(self.api), 200)

    def test_long_username_and_password(self):
        anon = self.anon_from(harness.fresh_source())
        r = anon.post("/api/session", json_body={"username": "u" * 10240, "password": "x" * 12})
        self.assertError(r, 400)
        self.assertNotIn(b"u" * 100, r.body, "the error echoes the 10 KB username")
        r = anon.post("/api/session", json_body={"username": "admin", "password": "x" * 10240})
        self.assertError(r, 400)
        r = anon.post("/api/session", json_body={"username": "", "password": "x" * 12})
        self.assertIn(r.status, (400, 401), repr(r))

    def test_garbage_authorization(self):
        values = ['Bearer x"y z', "Bearer 'or 1=1 --", 'Bearer "quoted"', "Bearer a b c",
                  "Bearer", "Bearer ", "Bearer  ", "Bearer " + "x" * 300, "Bearer x;y",
                  "Basic YWRtaW46YWRtaW4=", "Token abc", "bearer" + "x" * 10, "Bearer %00",
                  "Bearer vireo_../../etc/passwd", b"Bearer \xff\xfe\xfd",
                  "Bearer " + "A" * 43, "Bearer vireo_" + "A" * 43]
        for v in values:
            with self.subTest(authorization=v):
                r = self.anon.get("/api/vms", headers={"Authorization": v})
                self.assertError(r, 401, "unauthorized")
                r = self.anon.post("/api/vms/%snope/start" % harness.PREFIX,
                                   headers={"Authorization": v})
                self.assertError(r, 401, "unauthorized")
        # a valid token in the wrong place, and a session id as a token
        c = self.session("admin", self.daemon.admin_password)
        r = self.anon.get("/api/vms", headers={"Cookie": "%s=%s" % (SESSION_COOKIE,
                                                                    self.daemon.token)})
        self.assertError(r, 401)
        r = self.anon.get("/api/vms", headers={"Authorization": "Bearer " + c.cookie})
        self.assertError(r, 401)
        self.assertTrue(self.daemon.alive())

    def test_junk_cookies(self):
        values = ["%s=" % SESSION_COOKIE, '%s="abc"' % SESSION_COOKIE, "%s=a b" % SESSION_COOKIE,
                  "%s=%s" % (SESSION_COOKIE, "x" * 5000), "%s=%%00" % SESSION_COOKIE,
                  "%s=../../etc/passwd" % SESSION_COOKIE, "%s=<script>" % SESSION_COOKIE,
                  "other=1", ";;;;", "=", SESSION_COOKIE,
                  "; ".join("c%d=%d" % (i, i) for i in range(200)),
                  "%s=%s" % (SESSION_COOKIE.upper(), "A" * 43), b"%s=\xff\xfe" % SESSION_COOKIE.encode(),
                  "%s=%s" % (SESSION_COOKIE, hashlib.sha256(b"x").hexdigest())]
        for v in values:
            with self.subTest(cookie=v if len(v) < 100 else v[:100] + "..."):
                r = self.anon.get("/api/session", headers={"Cookie": v})
                self.assertError(r, 401, "unauthorized")
                r = self.anon.delete("/api/session", headers={
                    "Cookie": v, CSRF_HEADER: "1", "Origin": self.anon.origin})
                self.assertError(r, 401, "unauthorized")
        self.assertTrue(self.daemon.alive())


# --------------------------------------------------------------------------

class UsersApiTest(AuthTestCase):
    USER_KEYS = {"id", "username", "role", "source", "created_at", "updated_at", "quota", "usage"}

    def test_create_read_duplicate(self):
        name = "u%d-create" % (os.getpid() % 10000)
        pw = harness.new_password()
        r = self.api.post("/api/users", json_body={"username": name, "password": pw,
                                                   "role": "operator"})
        self.assertStatus(r, 201)
        self.assertEqual(set(r.json()), self.USER_KEYS)
        self.assertEqual((r.json()["username"], r.json()["role"], r.json()["source"]),
                         (name, "operator", "local"))
        loc = r.header("Location")
        self.assertEqual(loc, "/api/users/" + name)
        g = self.api.get(loc)
        self.assertStatus(g, 200)
        self.assertEqual(g.json(), r.json())
        self.assertEqual(self.api.get("/api/users/%d" % r.json()["id"]).json(), r.json())
        listed = [u for u in self.api.get("/api/users").json()["users"] if u["username"] == name]
        self.assertEqual(listed, [r.json()])
        self.assertError(self.api.post("/api/users", json_body={
            "username": name, "password": harness.new_password(), "role": "viewer"}), 409)
        # the duplicate did not change the first one's password
        r2, _ = self.login(name, pw)
        self.assertStatus(r2, 200)
        # default role
        r = self.api.post("/api/users", json_body={"username": name + "-d",
                                                   "password": harness.new_password()})
        self.assertStatus(r, 201)
        self.assertEqual(r.json()["role"], "viewer")
        self.assertError(self.api.get("/api/users/nosuchuser"), 404)

    def test_invalid_users(self):
        base = "u%d-bad" % (os.getpid() % 10000)
        pw = harness.new_password()
        cases = [
            ("bad role", {"username": base + "1", "password": pw, "role": "root"}),
            ("role none", {"username": base + "2", "password": pw, "role": "none"}),
            ("short password", {"username": base + "3", "password": "short7!", "role": "viewer"}),
            ("no password", {"username": base + "4", "role": "viewer"}),
            ("no username", {"password": pw}),
            ("upper case", {"username": "Admin2", "password": pw}),
            ("space", {"username": "a b", "password": pw}),
            ("slash", {"username": "a/b", "password": pw}),
            ("leading digit", {"username": "1abc", "password": pw}),
            ("too long", {"username": "a" * 65, "password": pw}),
            ("unknown member", {"username": base + "5", "password": pw, "admin": True}),
            ("password too long", {"username": base + "6", "password": "x" * 1025}),
        ]
        for label, body in cases:
            with self.subTest(label):
                self.assertError(self.api.post("/api/users", json_body=body), 400)
        names = {u["username"] for u in self.api.get("/api/users").json()["users"]}
        self.assertFalse({base + str(i) for i in range(1, 7)} & names)
        # 8 characters is enough
        r = self.api.post("/api/users", json_body={"username": base + "ok", "password": "eight888"})
        self.assertStatus(r, 201)

    def test_change_role_and_delete(self):
        user, pw = self.user("lifecycle", "viewer")
        r = self.api.patch("/api/users/" + user, {"role": "operator"})
        self.assertStatus(r, 200)
        self.assertEqual(r.json()["role"], "operator")
        self.assertEqual(self.api.get("/api/users/" + user).json()["role"], "operator")
        for body in ({"role": "god"}, {"username": "renamed"}, {"password": "short"}, []):
            with self.subTest(body=body):
                self.assertError(self.api.patch("/api/users/" + user, body), 400)
        self.assertError(self.api.patch("/api/users/nosuchuser", {"role": "viewer"}), 404)
        self.assertStatus(self.api.delete("/api/users/" + user), 204)
        self.assertError(self.api.get("/api/users/" + user), 404)
        self.assertError(self.api.delete("/api/users/" + user), 404)
        r, _ = self.login(user, pw, source=harness.fresh_source())
        self.assertError(r, 401)

    def test_concurrent_duplicates_answer_409(self):
        # Eight clients create the same user (or token name) at once while
        # others read: one 201, seven 409 conflict, never a 500.
        import threading
        pw = harness.new_password()
        bad = []
        done = threading.Event()

        def reader():
            c = harness.client()
            while not done.is_set():
                c.get("/api/tokens")
        readers = [threading.Thread(target=reader) for _ in range(2)]
        for t in readers:
            t.start()
        try:
            for kind, n in (("user", 8), ("token", 60)):
                for i in range(n):
                    answers = []
                    lock = threading.Lock()

                    def create(kind=kind, i=i):
                        if kind == "user":
                            r = harness.client().post("/api/users", json_body={
                                "username": "u%d-dup%d" % (os.getpid() % 10000, i),
                                "password": pw})
                        else:
                            r = harness.client().post("/api/tokens", json_body={"name": "dup%d" % i})
                            if r.status == 201:
                                harness.remember_token(r.json()["token"])
                        with lock:
                            answers.append(r)
                    threads = [threading.Thread(target=create) for _ in range(8)]
                    for t in threads:
                        t.start()
                    for t in threads:
                        t.join()
                    statuses = sorted(r.status for r in answers)
                    if statuses != [201] + [409] * 7:
                        bad.append((kind, i, statuses,
                                    [r for r in answers if r.status not in (201, 409)][:1]))
        finally:
            done.set()
            for t in readers:
                t.join()
        self.assertEqual(bad, [], "concurrent duplicate creations: %r" % bad[:3])

    def test_last_admin(self):
        admins = [u for u in self.api.get("/api/users").json()["users"] if u["role"] == "admin"]
        self.assertEqual([u["username"] for u in admins], ["admin"],
                         "this test expects 'admin' to be the only admin")
        for role in ("operator", "viewer"):
            self.assertError(self.api.patch("/api/users/admin", {"role": role}), 409, "conflict")
        self.assertError(self.api.delete("/api/users/admin"), 409, "conflict")
        self.assertEqual(self.api.get("/api/users/admin").json()["role"], "admin")
        # with a second admin either may step down, but not both
        second, pw = self.user("admin2", "admin")
        tok, _ = self.tokened(second, pw)
        self.assertStatus(tok.patch("/api/users/" + second, {"role": "operator"}), 200)
        self.assertError(tok.get("/api/users"), 403)
        self.assertError(self.api.patch("/api/users/admin", {"role": "viewer"}), 409)
        self.assertStatus(self.api.patch("/api/users/" + second, {"role": "admin"}), 200)
        self.assertError(tok.delete("/api/users/" + second), 409)   # not oneself
        self.assertStatus(self.api.delete("/api/users/" + second), 204)
        self.assertEqual(self.whoami(self.api).json()["role"], "admin")

    def test_password_change_by_admin_ends_sessions(self):
        user, pw = self.user("pwreset", "operator")
        a = self.session(user, pw)
        b = self.session(user, pw)
        new = harness.new_password()
        r = self.api.patch("/api/users/" + user, {"password": new})
        self.assertStatus(r, 200)
        self.assertEqual(set(r.json()), self.USER_KEYS)
        self.assertError(self.whoami(a), 401)
        self.assertError(self.whoami(b), 401)
        self.assertError(self.login(user, pw, source=harness.fresh_source())[0], 401)
        self.assertStatus(self.login(user, new)[0], 200)

    def test_own_password_change(self):
        user, pw = self.user("pwown", "viewer")
        a = self.session(user, pw)
        b = self.session(user, pw)
        new = harness.new_password()
        r = a.post("/api/session/password", json_body={"current": pw + "x", "new": new})
        self.assertError(r, 403)
        r = a.post("/api/session/password", json_body={"current": pw, "new": "short"})
        self.assertError(r, 400)
        r = a.post("/api/session/password", json_body={"current": pw, "new": new},
                   headers={CSRF_HEADER: None})
        self.assertError(r, 403)
        self.assertStatus(self.whoami(b), 200, "a refused change ended a session")
        r = a.post("/api/session/password", json_body={"current": pw, "new": new})
        self.assertStatus(r, 204)
        self.assertStatus(self.whoami(a), 200, "the session that changed it lives on")
        self.assertError(self.whoami(b), 401)   # other sessions end
        self.assertError(self.login(user, pw, source=harness.fresh_source())[0], 401)
        self.assertStatus(self.login(user, new)[0], 200)


# --------------------------------------------------------------------------

class AuditTest(AuthTestCase):
    def audit(self, query=""):
        r = self.api.get("/api/audit" + query)
        self.assertStatus(r, 200, "GET /api/audit" + query)
        doc = r.json()
        self.assertIsInstance(doc.get("entries"), list)
        self.assertIn("next_before", doc)
        return doc

    def test_entries_filters_and_paging(self):
        name = self.new_name("audit")
        harness.define_xml(name)
        user, pw = self.user("auditor", "operator")
        harness.grant(self.daemon, user, name)
        src = harness.fresh_source()
        # as the admin (token, 127.0.0.1)
        self.assertStatus(self.api.patch("/api/vms/" + name, {"description": "audited"}), 200)
        # the user: a failed login, a login, an edit, a read (not audited)
        r, _ = self.login(user, "not-the-password", source=src)
        self.assertError(r, 401)
        c = self.session(user, pw, source=src)
        self.assertStatus(c.patch("/api/vms/" + name, {"description": "by user"}), 200)
        self.assertStatus(c.get("/api/vms/" + name), 200)
        self.assertStatus(c.request("HEAD", "/api/vms/" + name), 200)

        entries = self.audit("?limit=1000")["entries"]
        ids = [e["id"] for e in entries]
        self.assertEqual(ids, sorted(ids, reverse=True), "not newest first")
        # Reads are not audited; a console session and an export are (they
        # reach into the guest, or carry its disks away), GET or not.
        self.assertEqual([e for e in entries if e["method"] in ("GET", "HEAD") and
                          e["action"] not in ("vm.export", "vm.console")], [],
                         "reads are in the audit log")
        for e in entries[:5]:
            self.assertEqual(set(e), {"id", "time", "user", "address", "method", "path", "target",
                                      "status", "detail", "action", "result", "repeats",
                                      "last_time"})
        admin_patch = [e for e in entries if e["method"] == "PATCH" and e["user"] == "admin"
                       and e["path"] == "/api/vms/" + name]
        self.assertEqual(len(admin_patch), 1, entries[:10])
        self.assertEqual((admin_patch[0]["address"], admin_patch[0]["status"],
                          admin_patch[0]["target"]), ("127.0.0.1", 200, name))
        self.assertRegex(admin_patch[0]["time"], r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")

        mine = self.audit("?user=" + user)["entries"]
        got = [(e["user"], e["address"], e["method"], e["path"], e["status"]) for e in mine]
        self.assertEqual(got, [
            (user, src, "PATCH", "/api/vms/" + name, 200),
            (user, src, "POST", "/api/session", 200),
            (user, src, "POST", "/api/session", 401),
        ])
        self.assertNotIn("not-the-password", json.dumps(mine))
        # ?limit= and ?before=
        page = self.audit("?user=%s&limit=2" % user)
        self.assertEqual([e["id"] for e in page["entries"]], [e["id"] for e in mine[:2]])
        self.assertEqual(page["next_before"], mine[1]["id"])
        rest = self.audit("?user=%s&limit=2&before=%d" % (user, page["next_before"]))
        self.assertEqual([e["id"] for e in rest["entries"]], [mine[2]["id"]])
        self.assertIsNone(rest["next_before"])
        walked, before = [], None
        for _ in range(10):
            q = "?user=%s&limit=1" % user + ("&before=%d" % before if before else "")
            p = self.audit(q)
            walked += [e["id"] for e in p["entries"]]
            if p["next_before"] is None:
                break
            before = p["next_before"]
        self.assertEqual(walked, [e["id"] for e in mine])
        self.assertEqual(self.audit("?user=nosuchuser")["entries"], [])

    def test_refused_requests_are_audited(self):
        # A logged-in user's refused change is recorded, with its action.
        src = harness.fresh_source()
        user, pw = harness.make_user(self.daemon, "refused", "viewer")
        viewer = self.session(user, pw, source=src)
        self.assertError(viewer.delete("/api/users/admin"), 403)
        entries = self.audit("?limit=50")["entries"]
        hit = [e for e in entries if e["address"] == src and e["method"] == "DELETE"]
        self.assertEqual(len(hit), 1, entries[:5])
        self.assertEqual((hit[0]["path"], hit[0]["status"], hit[0]["action"], hit[0]["result"],
                          hit[0]["user"]),
                         ("/api/users/admin", 403, "user.delete", "failure", user))

    def test_creations_name_their_object_and_user_changes_say_what(self):
        # A creation's entry names what was created, so ?object= finds it;
        # a role change and a password reset read differently; no password
        # is ever in an entry.
        name = "u%d-audited" % (os.getpid() % 10000)
        pw = harness.new_password()
        r = self.api.post("/api/users", json_body={"username": name, "password": pw,
                                                   "role": "viewer"})
        self.assertStatus(r, 201)
        self.addCleanup(self.api.delete, "/api/users/" + name)
        created = self.audit("?action=user.create&object=" + name)["entries"]
        self.assertEqual([(e["target"], e["result"]) for e in created], [(name, "success")])
        self.assertStatus(self.api.patch("/api/users/" + name, json_body={"role": "operator"}),
                          200)
        pw2 = harness.new_password()
        self.assertStatus(self.api.patch("/api/users/" + name, json_body={"password": pw2}), 200)
        changed = self.audit("?action=user.update&object=" + name)["entries"]
        self.assertEqual([e["detail"] for e in changed],
                         ["password reset, API tokens revoked", "role viewer -> operator"])
        everything = json.dumps(self.audit("?limit=1000"))
        self.assertNotIn(pw, everything)
        self.assertNotIn(pw2, everything)

    def test_unauthenticated_noise_is_not_audited(self):
        # Anyone can send requests without credentials: recording them would
        # let anyone fill the disk. Only login attempts are.
        src = harness.fresh_source()
        anon = self.anon_from(src)
        self.assertError(anon.delete("/api/users/admin"), 401)
        self.assertError(anon.post("/api/nope", body="x"), 404)
        self.assertError(anon.post("/api/vms/x/start"), 401)
        entries = self.audit("?limit=200")["entries"]
        self.assertEqual([e for e in entries if e["address"] == src], [])

    def test_bad_queries(self):
        for q in ("?limit=0", "?limit=1001", "?limit=abc", "?before=x", "?before=0",
                  "?since=yesterday", "?bogus=1"):
            with self.subTest(query=q):
                self.assertError(self.api.get("/api/audit" + q), 400)


if __name__ == "__main__":
    import unittest
    unittest.main()
