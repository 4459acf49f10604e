"""The client side of RFB (the VNC protocol, RFC 6143), just enough for the
console tests: version and security "None" handshake, a raw framebuffer
request, and key events, over a WebSocket of wsclient.py."""

import struct

KEYSYMS = {"\n": 0xFF0D, "\t": 0xFF09, "\b": 0xFF08}
SHIFTED = set('~!@#$%^&*()_+{}|:"<>?') | set("ABCDEFGHIJKLMNOPQRSTUVWXYZ")
SHIFT = 0xFFE1


class Rfb:
    def __init__(self, ws, timeout=30):
        self.ws = ws
        self.timeout = timeout
        banner = self.read(12)
        if not banner.startswith(b"RFB 003."):
            raise AssertionError("not an RFB server: %r" % banner)
        self.banner = banner
        ws.send(b"RFB 003.008\n")
        n = self.read(1)[0]
        if n == 0:
            reason_len = struct.unpack("!I", self.read(4))[0]
            raise AssertionError("RFB refused: %r" % self.read(reason_len))
        types = self.read(n)
        if 1 not in types:
            raise AssertionError("no security type None in %r (vireod's proxy is the "
                                 "gate; the display must not ask for a password)" % types)
        ws.send(b"\x01")
        if struct.unpack("!I", self.read(4))[0] != 0:
            raise AssertionError("RFB security failed")
        ws.send(b"\x01")    # ClientInit: shared
        self.width, self.height = struct.unpack("!HH", self.read(4))
        self.pixel_format = self.read(16)
        self.bpp = self.pixel_format[0]
        name_len = struct.unpack("!I", self.read(4))[0]
        self.name = self.read(name_len).decode("utf-8", "replace")
        # Raw only, so that a framebuffer update is plain pixels.
        ws.send(struct.pack("!BxHi", 2, 1, 0))

    def read(self, n):
        return self.ws.recv_bytes(n, timeout=self.timeout)

    def framebuffer(self):
        """The whole screen, raw, as one bytes object (rows of pixels)."""
        self.ws.send(struct.pack("!BBHHHH", 3, 0, 0, 0, self.width, self.height))
        while True:
            kind = self.read(1)[0]
            if kind == 0:
                break
            if kind == 2:       # Bell
                continue
            if kind == 3:       # ServerCutText
                self.read(3)
                self.read(struct.unpack("!I", self.read(4))[0])
                continue
            if kind == 1:       # SetColourMapEntries
                self.read(1)
                self.read(struct.unpack("!xHH", self.read(5))[1] * 6)
                continue
            raise AssertionError("unexpected RFB message %d" % kind)
        self.read(1)
        rects = struct.unpack("!H", self.read(2))[0]
        screen = bytearray(self.width * self.height * self.bpp // 8)
        stride = self.width * self.bpp // 8
        for _ in range(rects):
            x, y, w, h, enc = struct.unpack("!HHHHi", self.read(12))
            if enc == -223:      # DesktopSize: no pixels
                self.width, self.height = w, h
                continue
            if enc != 0:
                raise AssertionError("encoding %d, asked for raw only" % enc)
            data = self.read(w * h * self.bpp // 8)
            row = w * self.bpp // 8
            for i in range(h):
                start = (y + i) * stride + x * self.bpp // 8
                screen[start:start + row] = data[i * row:(i + 1) * row]
        return bytes(screen)

    def distinct_pixels(self, screen):
        size = self.bpp // 8
        return len({screen[i:i + size] for i in range(0, len(screen), size)})

    def key(self, keysym, down):
        self.ws.send(struct.pack("!BBxxI", 4, 1 if down else 0, keysym))

    def type(self, text):
        for ch in text:
            sym = KEYSYMS.get(ch, ord(ch))
            if ch in SHIFTED:
                self.key(SHIFT, True)
            self.key(sym, True)
            self.key(sym, False)
            if ch in SHIFTED:
                self.key(SHIFT, False)
