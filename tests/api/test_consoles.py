"""Consoles over the real thing: TCG guests with a VGA screen behind a VNC
display that listens nowhere, their serial line, vireod's WebSocket proxy.
The RFB handshake and a framebuffer that shows text; keys typed through VNC
and through POST /keys reaching the guest's shell (which echoes to the
serial log); the serial console's output and echo; one-time tickets that
expire, bound to their user, refused from another Origin; viewers and
other operators refused; consoles that end when the VM stops, when the
grant is taken away, and when vireod stops; no QEMU listening socket;
50 consoles at once; WebSocket protocol errors; and the same over TLS."""

import json
import os
import shutil
import socket
import subprocess
import tempfile
import time
import unittest

import harness
import wsclient
from rfb import Rfb
from test_tls import make_cert, context_for, ensure_openssl


def ticket(client, vm, kind="vnc"):
    r = client.post("/api/vms/%s/console" % vm, json_body={"type": kind})
    if r.status != 201:
        raise AssertionError("console ticket for %s failed: %r" % (vm, r))
    return r.json()


class ConsoleTestCase(harness.ApiTestCase):
    def open(self, vm, kind="vnc", client=None, daemon=None, origin="same", **kw):
        d = daemon or self.daemon
        t = ticket(client or d.client(), vm, kind)
        ws = wsclient.WebSocket(d.port, t["url"], tls=d.scheme == "https",
                                origin=d.origin() if origin == "same" else origin, **kw)
        self.addCleanup(ws.sock.close)
        return ws

    def running_guest(self, tag, graphics="vnc"):
        name = self.guest(tag, graphics=graphics)
        self.action(name, "start")
        self.wait_marker(name, timeout=90)
        return name

    def serial_text(self, name):
        with open(harness.serial_log(name), "rb") as f:
            return f.read()

    def wait_serial(self, name, needle, timeout=30):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if needle in self.serial_text(name):
                return
            time.sleep(0.2)
        self.fail("%r not in the serial log of %s; tail: %r"
                  % (needle, name, self.serial_text(name)[-600:]))

    def audit(self, vm):
        r = self.api.get("/api/audit?action=vm.console&object=" + vm)
        self.assertStatus(r, 200)
        return r.json()["entries"]


class VncConsoleTest(ConsoleTestCase):
    def test_screen_keys_audit_and_no_port(self):
        vm = self.running_guest("vnc")
        t = ticket(self.api, vm)
        self.assertEqual(t["type"], "vnc")
        self.assertRegex(t["url"], r"^/api/consoles/[A-Za-z0-9_-]{32,}$")
        ws = wsclient.WebSocket(self.daemon.port, t["url"], origin=self.daemon.origin())
        self.addCleanup(ws.sock.close)
        self.assertEqual(ws.protocol, "binary")
        rfb = Rfb(ws)
        self.assertEqual(rfb.banner, b"RFB 003.008\n")
        self.assertGreaterEqual(rfb.width, 640)
        self.assertGreaterEqual(rfb.height, 400)
        # The VGA text console shows the kernel's messages and a prompt:
        # not one colour.
        screen = rfb.framebuffer()
        self.assertEqual(len(screen), rfb.width * rfb.height * rfb.bpp // 8)
        self.assertGreater(rfb.distinct_pixels(screen), 1, "the screen is blank")
        # Keys through the console reach the shell on the screen.
        rfb.type("echo vnc-typed-$((6*7)) > /dev/ttyS0\n")
        self.wait_serial(vm, b"vnc-typed-42")
        # QEMU listens on no port for this display.
        with open("/run/libvirt/qemu/%s.pid" % vm) as f:
            pid = f.read().strip()
        ss = subprocess.run(["ss", "-ltnpH"], stdout=subprocess.PIPE, text=True).stdout
        self.assertNotIn("pid=%s," % pid, ss, "QEMU listens on a TCP port:\n" + ss)
        ws.close()
        # The audit log has the console, with its duration and bytes, once closed.
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            entries = self.audit(vm)
            if entries and entries[0]["result"] == "success":
                break
            time.sleep(0.2)
        self.assertEqual(len(entries), 1, entries)
        self.assertEqual(entries[0]["user"], "admin")
        self.assertRegex(entries[0]["detail"], r"^vnc console from .* for \d+ s: .* to the browser")

    def test_keys_endpoint(self):
        vm = self.running_guest("keys")
        r = self.api.post("/api/vms/%s/keys" % vm,
                          json_body={"text": "echo keys-text-$((6*7)) > /dev/ttyS0\n"})
        self.assertStatus(r, 204)
        self.wait_serial(vm, b"keys-text-42")
        # Unknown keys and characters: 400 and nothing typed.
        before = self.serial_text(vm)
        for body in ({"keys": ["ctrl", "nokey"]}, {"text": "caf\u00e9\n"}, {},
                     {"keys": ["a"], "text": "a"}, {"keys": []}, {"keys": ["a"] * 17}):
            with self.subTest(body=body):
                self.assertError(self.api.post("/api/vms/%s/keys" % vm, json_body=body), 400)
        time.sleep(1)
        self.assertEqual(self.serial_text(vm), before)
        # Ctrl+Alt+Delete, which a browser keeps for itself: the guest's
        # kernel reboots it.
        self.assertStatus(self.api.post("/api/vms/%s/keys" % vm,
                                        json_body={"keys": ["ctrl", "alt", "delete"]}), 204)
        self.wait_marker(vm, timeout=90, count=2)

    def test_refusals(self):
        vm = self.guest("refuse", graphics="vnc")
        # Not running: 409, and a bad type is 400.
        self.assertError(self.api.post("/api/vms/%s/console" % vm, json_body={}), 409)
        self.assertError(self.api.post("/api/vms/%s/keys" % vm, json_body={"keys": ["a"]}), 409)
        self.assertError(self.api.post("/api/vms/%s/console" % vm,
                                       json_body={"type": "spice"}), 400)
        self.assertError(self.api.post("/api/vms/%s/console" % vm,
                                       json_body={"type": "vnc", "x": 1}), 400)
        self.assertError(self.api.post("/api/vms/%snope/console" % harness.PREFIX,
                                       json_body={}), 404)
        serial_only = self.running_guest("noscreen", graphics="none")
        self.assertError(self.api.post("/api/vms/%s/console" % serial_only,
                                       json_body={"type": "vnc"}), 409, "not_supported")

    def test_tickets_are_one_time_bound_and_short_lived(self):
        vm = self.running_guest("tickets")
        d = self.daemon
        # Spent by the first try, even a failed one.
        t = ticket(self.api, vm)
        ws = wsclient.WebSocket(d.port, t["url"], origin=d.origin())
        ws.close()
        with self.assertRaises(wsclient.HandshakeRefused) as cm:
            wsclient.WebSocket(d.port, t["url"], origin=d.origin())
        self.assertEqual(cm.exception.status, 404)
        self.assertEqual(json.loads(cm.exception.body)["error"]["code"], "not_found")
        # Another site's page: 403, and the ticket is gone.
        t = ticket(self.api, vm)
        for origin in ("http://evil.example", "null"):
            with self.assertRaises(wsclient.HandshakeRefused) as cm:
                wsclient.WebSocket(d.port, t["url"], origin=origin)
            self.assertIn(cm.exception.status, (403, 404))
        with self.assertRaises(wsclient.HandshakeRefused) as cm:
            wsclient.WebSocket(d.port, t["url"], origin=d.origin())
        self.assertEqual(cm.exception.status, 404)
        # Not a WebSocket request: 400, with the version vireod speaks.
        t = ticket(self.api, vm)
        r = self.anon.get(t["url"], headers={"Origin": d.origin()})
        self.assertError(r, 400)
        # Unknown, and expired after 30 s.
        with self.assertRaises(wsclient.HandshakeRefused) as cm:
            wsclient.WebSocket(d.port, "/api/consoles/" + "x" * 43, origin=d.origin())
        self.assertEqual(cm.exception.status, 404)
        t = ticket(self.api, vm)
        time.sleep(31)
        with self.assertRaises(wsclient.HandshakeRefused) as cm:
            wsclient.WebSocket(d.port, t["url"], origin=d.origin())
        self.assertEqual(cm.exception.status, 404)

    def test_users_and_live_permissions(self):
        vm = self.running_guest("perm")
        d = self.daemon
        op, op_pw = harness.make_user(d, "conop", "operator")
        other, other_pw = harness.make_user(d, "conother", "operator")
        viewer, viewer_pw = harness.make_user(d, "conviewer", "viewer")
        op_api, _ = harness.token_client(d, op, op_pw)
        other_api, _ = harness.token_client(d, other, other_pw)
        viewer_api, _ = harness.token_client(d, viewer, viewer_pw)
        harness.grant(d, op, vm)
        harness.grant(d, viewer, vm)
        # Another operator does not see the VM; a viewer may not control it.
        self.assertError(other_api.post("/api/vms/%s/console" % vm, json_body={}), 404)
        self.assertError(other_api.post("/api/vms/%s/keys" % vm, json_body={"keys": ["a"]}), 404)
        self.assertError(viewer_api.post("/api/vms/%s/console" % vm, json_body={}), 403)
        self.assertError(viewer_api.post("/api/vms/%s/keys" % vm, json_body={"keys": ["a"]}), 403)
        # The operator's console ends when the grant is taken away.
        ws = self.open(vm, "vnc", client=op_api)
        Rfb(ws)
        serial = self.open(vm, "serial", client=op_api)
        r = self.api.delete("/api/users/%s/grants/%s" % (op, vm))
        self.assertStatus(r, 204)
        self.assertEqual(ws.wait_closed(timeout=15), 1008)
        self.assertEqual(serial.wait_closed(timeout=15), 1008)
        # A ticket made before the grant went is refused too.
        harness.grant(d, op, vm)
        t = ticket(op_api, vm)
        self.assertStatus(self.api.delete("/api/users/%s/grants/%s" % (op, vm)), 204)
        with self.assertRaises(wsclient.HandshakeRefused) as cm:
            wsclient.WebSocket(d.port, t["url"], origin=d.origin())
        self.assertEqual(cm.exception.status, 403)
        # And when the user is demoted to viewer.
        harness.grant(d, op, vm)
        ws = self.open(vm, "vnc", client=op_api)
        Rfb(ws)
        self.assertStatus(self.api.patch("/api/users/" + op, json_body={"role": "viewer"}), 200)
        self.assertEqual(ws.wait_closed(timeout=15), 1008)

    def test_ends_when_the_vm_stops(self):
        vm = self.running_guest("stop")
        ws = self.open(vm, "vnc")
        Rfb(ws)
        serial = self.open(vm, "serial")
        # The line is joined (the hub opens it after the upgrade): a power
        # off before would end it as a failed open (1011), not a stop.
        serial.send(b"echo joined-$((2*3))\n")
        serial.read_until(b"joined-6", timeout=30)
        self.action(vm, "poweroff")
        # The display and the serial line hang up first; the reason given
        # is still the VM's stop.
        self.assertEqual(ws.wait_closed(timeout=15), 1000)
        self.assertEqual(ws.close_reason, "the VM stopped")
        self.assertEqual(serial.wait_closed(timeout=15), 1000)
        self.assertEqual(serial.close_reason, "the VM stopped")

    def test_fifty_consoles_at_once(self):
        vm = self.running_guest("many")
        pid = self.daemon.proc.pid
        fds_before = len(os.listdir("/proc/%d/fd" % pid))
        socks = []
        for i in range(50):
            ws = self.open(vm, "vnc" if i % 2 == 0 else "serial")
            socks.append(ws)
        for i, ws in enumerate(socks):
            if i % 2 == 0:
                rfb = Rfb(ws)
                self.assertGreater(rfb.width, 0)
        # The serial viewers all see what one types.
        socks[1].send(b"echo many-$((6*7))\n")
        for ws in socks[1::2]:
            ws.read_until(b"many-42", timeout=30)
        for ws in socks:
            ws.close()
        # Every socket and libvirt stream is let go.
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            fds = len(os.listdir("/proc/%d/fd" % pid))
            if fds <= fds_before:
                break
            time.sleep(0.2)
        self.assertLessEqual(fds, fds_before, "file descriptors left open")

    def test_protocol_errors(self):
        vm = self.running_guest("proto")
        cases = [
            ("unmasked frame", wsclient.frame(wsclient.OP_BINARY, b"x", mask=False), 1002),
            ("unknown opcode", wsclient.frame(3, b"x"), 1002),
            ("fragmented ping", wsclient.frame(wsclient.OP_PING, b"x", fin=False), 1002),
            ("frame over the limit", wsclient.frame(wsclient.OP_BINARY, b"x" * (2 << 20)), 1009),
            ("text not UTF-8", wsclient.frame(wsclient.OP_TEXT, b"\xff\xfe"), 1007),
        ]
        for label, data, code in cases:
            with self.subTest(label):
                ws = self.open(vm, "serial")
                try:
                    ws.send_raw(data)
                except OSError:
                    pass
                got = ws.wait_closed(timeout=15)
                self.assertIn(got, (code, None), label)
        # A ping is answered with its payload.
        ws = self.open(vm, "vnc")
        ws.send(b"hello", opcode=wsclient.OP_PING)
        while True:
            op, fin, data = ws.recv_frame()
            if op == wsclient.OP_PONG:
                break
        self.assertEqual(data, b"hello")


class SerialConsoleTest(ConsoleTestCase):
    def test_output_and_echo(self):
        vm = self.running_guest("serial", graphics="none")
        ws = self.open(vm, "serial")
        # What the guest printed before the console opened comes first.
        ws.read_until(harness.MARKER.encode(), timeout=15)
        ws.send(b"echo serial-$((6*7))\n")
        ws.read_until(b"serial-42", timeout=30)
        # Two viewers: the second one's keys are refused until it takes the
        # keyboard; the first is told.
        other = self.open(vm, "serial")
        other.send(b"echo nobody-sees-this\n")
        deadline = time.monotonic() + 10
        texts = []
        while time.monotonic() < deadline and not any('"busy"' in t for t in texts):
            try:
                other.sock.settimeout(1)
                m = other.recv()
                if isinstance(m, str):
                    texts.append(m)
            except socket.timeout:
                pass
        self.assertTrue(any(json.loads(t).get("type") == "busy" for t in texts), texts)
        other.send('{"type":"take"}')
        time.sleep(0.5)
        other.send(b"echo second-$((6*7))\n")
        other.read_until(b"second-42", timeout=30)
        ws.read_until(b"second-42", timeout=30)
        self.assertNotIn(b"nobody-sees-this", self.serial_text(vm))


@unittest.skipUnless(ensure_openssl(), "openssl is needed to make a certificate")
class TlsConsoleTest(ConsoleTestCase):
    """Consoles over HTTPS: the TLS front terminates TLS and hands the
    plain socket to the proxy; a daemon that stops closes them with 1001."""

    def test_console_over_tls_and_daemon_stop(self):
        tmp = tempfile.mkdtemp(prefix="vireo-ctls-")
        self.addCleanup(shutil.rmtree, tmp, True)
        cert, key = make_cert(tmp)
        d = harness.Daemon(name="console-tls", tls_context=context_for(cert),
                           extra_args=["--tls-cert", cert, "--tls-key", key])
        d.start()
        self.addCleanup(d.stop)
        vm = self.running_guest("tls")
        ws = self.open(vm, "vnc", daemon=d)
        rfb = Rfb(ws)
        self.assertGreater(rfb.distinct_pixels(rfb.framebuffer()), 1)
        serial = self.open(vm, "serial", daemon=d)
        serial.send(b"echo tls-$((6*7))\n")
        serial.read_until(b"tls-42", timeout=30)
        # Plain HTTP on the TLS port is not served.
        with socket.create_connection(("127.0.0.1", d.port), timeout=10) as s:
            s.sendall(b"GET /api/openapi.json HTTP/1.1\r\nHost: x\r\n\r\n")
            s.settimeout(10)
            try:
                got = s.recv(100)
            except (ConnectionResetError, socket.timeout):
                got = b""
            self.assertFalse(got.startswith(b"HTTP/1.1 200"), got)
        self.assertEqual(d.stop(), 0)
        self.assertEqual(ws.wait_closed(timeout=15), 1001)
        self.assertIn(serial.wait_closed(timeout=15), (1001, None))


if __name__ == "__main__":
    unittest.main()
