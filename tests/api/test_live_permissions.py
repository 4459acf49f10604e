"""Permissions apply at once to what is already open. An admin demoted to
viewer stops getting other users' VM events on the stream they opened as an
admin; a grant withdrawn stops that VM's events; a password change ends the
user's other streams and revokes their API tokens (unless asked to keep
them), as does an admin's reset; deleting a user ends their streams; a
login loop cannot pile up sessions: the oldest end first."""

import tempfile

import harness
from test_events import EventStream


def define_event(name):
    """Defining a VM again raises a 'defined' event for it."""
    xml = harness.virsh("dumpxml", "--inactive", name)
    with tempfile.NamedTemporaryFile("w", suffix=".xml") as f:
        f.write(xml)
        f.flush()
        harness.virsh("define", f.name)


class LivePermissionsTest(harness.ApiTestCase):
    def stream(self, token):
        s = EventStream(self.daemon, token)
        self.addCleanup(s.close)
        self.assertEqual(s.resp.status, 200)
        return s

    def ends(self, stream, timeout=5):
        stream.thread.join(timeout)
        return not stream.thread.is_alive()

    def test_demoted_admin_stops_seeing_others_vms(self):
        vm = self.new_name("live-demote")
        harness.define_xml(vm)
        user, pw = harness.make_user(self.daemon, "live-admin", "admin")
        # test_auth's test_last_admin, on the same daemon, wants one admin.
        self.addCleanup(self.api.delete, "/api/users/" + user)
        client, _ = harness.token_client(self.daemon, user, pw)
        s = self.stream(client.token)
        define_event(vm)
        s.wait_for(vm, "defined")
        r = self.api.patch("/api/users/" + user, {"role": "viewer"})
        self.assertStatus(r, 200)
        define_event(vm)
        events = [e for e in s.drain(3) if e.get("name") == vm]
        self.assertEqual(events, [], "a demoted admin's stream still carries others' VMs")
        self.assertFalse(self.ends(s, 0.1), "the stream itself stays open")
        # Promoted again, it sees them again, on the same stream.
        self.assertStatus(self.api.patch("/api/users/" + user, {"role": "admin"}), 200)
        define_event(vm)
        s.wait_for(vm, "defined")

    def test_withdrawn_grant_stops_the_vms_events(self):
        vm = self.new_name("live-grant")
        harness.define_xml(vm)
        user, pw = harness.make_user(self.daemon, "live-viewer", "viewer")
        harness.grant(self.daemon, user, vm)
        client, _ = harness.token_client(self.daemon, user, pw)
        s = self.stream(client.token)
        define_event(vm)
        s.wait_for(vm, "defined")
        self.assertStatus(self.api.delete("/api/users/%s/grants/%s" % (user, vm)), 204)
        define_event(vm)
        self.assertEqual([e for e in s.drain(3) if e.get("name") == vm], [])

    def test_password_change_revokes_tokens_and_ends_streams(self):
        user, pw = harness.make_user(self.daemon, "live-pw", "operator")
        client, _ = harness.token_client(self.daemon, user, pw)
        s = self.stream(client.token)
        r, session = harness.login(self.daemon, user, pw)
        new_pw = harness.new_password()
        r = session.post("/api/session/password", json_body={"current": pw, "new": new_pw})
        self.assertStatus(r, 204)
        self.assertTrue(self.ends(s), "the token's stream outlived the password change")
        self.assertError(client.get("/api/session"), 401)
        self.assertStatus(session.get("/api/session"), 200, "the changer's own session stays")
        # Asked to keep them, tokens stay.
        kept, _ = harness.token_client(self.daemon, user, new_pw, name="kept")
        newer = harness.new_password()
        r = session.post("/api/session/password", json_body={"current": new_pw, "new": newer,
                                                              "keep_tokens": True})
        self.assertStatus(r, 204)
        self.assertStatus(kept.get("/api/session"), 200)
        # An admin's reset revokes them too, unless asked to keep them.
        self.assertStatus(self.api.patch("/api/users/" + user,
                                         {"password": harness.new_password()}), 200)
        self.assertError(kept.get("/api/session"), 401)
        self.assertError(session.get("/api/session"), 401)

    def test_deleted_user_stream_ends(self):
        user, pw = harness.make_user(self.daemon, "live-gone", "viewer")
        client, _ = harness.token_client(self.daemon, user, pw)
        s = self.stream(client.token)
        self.assertStatus(self.api.delete("/api/users/" + user), 204)
        self.assertTrue(self.ends(s), "a deleted user's stream stayed open")

    def test_sessions_per_user_are_capped(self):
        user, pw = harness.make_user(self.daemon, "live-loop", "viewer")
        sessions = []
        for _ in range(40):
            r, s = harness.login(self.daemon, user, pw, source=harness.fresh_source())
            self.assertStatus(r, 200)
            sessions.append(s)
        listed = sessions[-1].get("/api/sessions").json()["sessions"]
        self.assertEqual(len(listed), 32)
        self.assertError(sessions[0].get("/api/session"), 401)
        self.assertStatus(sessions[-32].get("/api/session"), 200)
