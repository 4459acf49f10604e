"""A small WebSocket client (RFC 6455) for the console tests, standard library
only: it opens a console URL over plain TCP or TLS, sends masked frames and
reads frames back, and lets a test misbehave on purpose (no mask, huge
frames, silence) to see how vireod answers."""

import base64
import hashlib
import os
import socket
import ssl
import struct
import time

GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"

OP_CONT, OP_TEXT, OP_BINARY, OP_CLOSE, OP_PING, OP_PONG = 0, 1, 2, 8, 9, 10


class HandshakeRefused(Exception):
    """The server answered the upgrade with something other than 101."""

    def __init__(self, status, headers, body):
        super().__init__("upgrade refused: %d %r" % (status, body[:200]))
        self.status = status
        self.headers = headers
        self.body = body


class Closed(Exception):
    """The peer sent a close frame (code, reason) or dropped the socket."""

    def __init__(self, code=None, reason=""):
        super().__init__("closed: %r %r" % (code, reason))
        self.code = code
        self.reason = reason


def frame(opcode, payload=b"", fin=True, mask=True):
    head = bytes([(0x80 if fin else 0) | opcode])
    n = len(payload)
    bit = 0x80 if mask else 0
    if n < 126:
        head += bytes([bit | n])
    elif n < 65536:
        head += bytes([bit | 126]) + struct.pack("!H", n)
    else:
        head += bytes([bit | 127]) + struct.pack("!Q", n)
    if not mask:
        return head + payload
    key = os.urandom(4)
    return head + key + bytes(b ^ key[i % 4] for i, b in enumerate(payload))


class WebSocket:
    def __init__(self, port, path, tls=False, origin=None, host="127.0.0.1",
                 protocols=("binary",), timeout=30, extra_headers=None):
        raw = socket.create_connection((host, port), timeout=timeout)
        if tls:
            ctx = ssl.create_default_context()
            ctx.check_hostname = False
            ctx.verify_mode = ssl.CERT_NONE
            raw = ctx.wrap_socket(raw, server_hostname=host)
        self.sock = raw
        self.buf = b""         # received, not yet parsed into frames
        self.pending = b""     # binary message data not yet consumed
        self.texts = []        # text messages seen while reading binary data
        self.close_reason = None   # the server's, once wait_closed() saw it
        key = base64.b64encode(os.urandom(16)).decode()
        lines = ["GET %s HTTP/1.1" % path, "Host: %s:%d" % (host, port),
                 "Upgrade: websocket", "Connection: Upgrade",
                 "Sec-WebSocket-Key: " + key, "Sec-WebSocket-Version: 13"]
        if origin is not None:
            lines.append("Origin: " + origin)
        if protocols:
            lines.append("Sec-WebSocket-Protocol: " + ", ".join(protocols))
        for k, v in (extra_headers or {}).items():
            lines.append("%s: %s" % (k, v))
        self.sock.sendall(("\r\n".join(lines) + "\r\n\r\n").encode())
        status, headers = self._read_head()
        if status != 101:
            body = self._read_body(headers)
            self.sock.close()
            raise HandshakeRefused(status, headers, body)
        want = base64.b64encode(hashlib.sha1((key + GUID).encode()).digest()).decode()
        if headers.get("sec-websocket-accept") != want:
            raise AssertionError("bad Sec-WebSocket-Accept %r" % headers)
        self.headers = headers
        self.protocol = headers.get("sec-websocket-protocol")

    def _fill(self, need):
        while len(self.buf) < need:
            chunk = self.sock.recv(65536)
            if not chunk:
                raise Closed(None, "connection dropped")
            self.buf += chunk

    def _take(self, n):
        self._fill(n)
        out, self.buf = self.buf[:n], self.buf[n:]
        return out

    def _read_head(self):
        while b"\r\n\r\n" not in self.buf:
            chunk = self.sock.recv(4096)
            if not chunk:
                raise Closed(None, "dropped during the handshake")
            self.buf += chunk
        head, self.buf = self.buf.split(b"\r\n\r\n", 1)
        lines = head.decode("latin-1").split("\r\n")
        status = int(lines[0].split()[1])
        headers = {}
        for line in lines[1:]:
            k, _, v = line.partition(":")
            headers[k.strip().lower()] = v.strip()
        return status, headers

    def _read_body(self, headers):
        n = int(headers.get("content-length", "0"))
        try:
            return self._take(n)
        except (Closed, OSError):
            return self.buf

    # --- frames -----------------------------------------------------------

    def send_raw(self, data):
        self.sock.sendall(data)

    def send(self, payload, opcode=OP_BINARY):
        if isinstance(payload, str):
            payload = payload.encode()
            opcode = OP_TEXT if opcode == OP_BINARY else opcode
        self.sock.sendall(frame(opcode, payload))

    def recv_frame(self):
        """One frame as (opcode, fin, payload); a server frame is never masked."""
        b0, b1 = self._take(2)
        if b1 & 0x80:
            raise AssertionError("the server masked a frame")
        n = b1 & 0x7F
        if n == 126:
            n = struct.unpack("!H", self._take(2))[0]
        elif n == 127:
            n = struct.unpack("!Q", self._take(8))[0]
        return b0 & 0x0F, bool(b0 & 0x80), self._take(n)

    def recv(self):
        """The next data message (bytes for binary, str for text); answers
        pings; raises Closed on a close frame."""
        parts, kind = [], None
        while True:
            op, fin, data = self.recv_frame()
            if op == OP_PING:
                self.sock.sendall(frame(OP_PONG, data))
                continue
            if op == OP_PONG:
                continue
            if op == OP_CLOSE:
                code = struct.unpack("!H", data[:2])[0] if len(data) >= 2 else None
                raise Closed(code, data[2:].decode("utf-8", "replace"))
            if op != OP_CONT:
                kind = op
            parts.append(data)
            if fin:
                data = b"".join(parts)
                return data.decode() if kind == OP_TEXT else data

    def recv_bytes(self, n, timeout=30):
        """Exactly n bytes of binary messages (an RFB stream is not aligned
        with messages); text messages in between are kept in self.texts."""
        deadline = time.monotonic() + timeout
        while len(self.pending) < n:
            self.sock.settimeout(max(0.1, deadline - time.monotonic()))
            m = self.recv()
            if isinstance(m, str):
                self.texts.append(m)
            else:
                self.pending += m
        out, self.pending = self.pending[:n], self.pending[n:]
        return out

    def read_until(self, marker, timeout=60):
        """Binary data up to and including `marker` (bytes); raises
        TimeoutError with what came so far."""
        deadline = time.monotonic() + timeout
        got, self.pending = self.pending, b""
        while marker not in got:
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError("%r not seen in %r" % (marker, got[-400:]))
            self.sock.settimeout(left)
            try:
                m = self.recv()
            except socket.timeout:
                raise TimeoutError("%r not seen in %r" % (marker, got[-400:]))
            if isinstance(m, str):
                self.texts.append(m)
            else:
                got += m
        i = got.index(marker) + len(marker)
        self.pending = got[i:]
        return got[:i]

    def close(self, code=1000, reason=""):
        try:
            self.sock.sendall(frame(OP_CLOSE, struct.pack("!H", code) + reason.encode()))
        except OSError:
            pass
        self.sock.close()

    def wait_closed(self, timeout=30):
        """Reads until the server closes; returns the close code (None when the
        socket was dropped without a close frame)."""
        deadline = time.monotonic() + timeout
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError("the server did not close the console")
            self.sock.settimeout(left)
            try:
                self.recv()
            except Closed as e:
                self.close_reason = e.reason
                return e.code
            except (ConnectionResetError, BrokenPipeError):
                return None
