"""wsclient.py - a minimal SIP-over-WebSocket client for tests (stdlib only).

Speaks RFC 6455 as a browser would (masked frames, "sip" subprotocol,
Origin header) so tests can drive tandemd's WebSocket shim without a
browser, and can also misbehave on purpose (oversize frames, fragments,
bad handshakes).
"""
import base64
import hashlib
import os
import socket
import ssl
import struct
import time

GUID = b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11"


class WSClosed(Exception):
    def __init__(self, code, reason=b""):
        super().__init__("closed %s %r" % (code, reason))
        self.code = code


class WS:
    def __init__(self, host, port, secure=False, origin="http://127.0.0.1",
                 protocol="sip", version="13", path="/", timeout=5.0,
                 handshake=True, cafile=None):
        raw = socket.create_connection((host, port), timeout=timeout)
        if secure:
            ctx = ssl.create_default_context(cafile=cafile) if cafile else ssl._create_unverified_context()
            if cafile:
                ctx.check_hostname = False
            raw = ctx.wrap_socket(raw, server_hostname=host)
        self.sock = raw
        self.buf = b""
        self.status = None
        self.headers = {}
        self.pings = 0
        self.local = raw.getsockname()
        if handshake:
            self.handshake(origin, protocol, version, path)

    def peer_cert_sha256(self):
        der = self.sock.getpeercert(binary_form=True)
        return hashlib.sha256(der).hexdigest()

    def handshake(self, origin, protocol, version, path):
        key = base64.b64encode(os.urandom(16)).decode()
        lines = ["GET %s HTTP/1.1" % path, "Host: 127.0.0.1", "Upgrade: websocket",
                 "Connection: Upgrade", "Sec-WebSocket-Key: " + key]
        if version:
            lines.append("Sec-WebSocket-Version: " + version)
        if protocol:
            lines.append("Sec-WebSocket-Protocol: " + protocol)
        if origin:
            lines.append("Origin: " + origin)
        self.sock.sendall(("\r\n".join(lines) + "\r\n\r\n").encode())
        while b"\r\n\r\n" not in self.buf:
            d = self.sock.recv(4096)
            if not d:
                break
            self.buf += d
        head, _, self.buf = self.buf.partition(b"\r\n\r\n")
        hl = head.decode("latin-1").split("\r\n")
        self.status = int(hl[0].split()[1]) if hl and len(hl[0].split()) > 1 else 0
        for h in hl[1:]:
            k, _, v = h.partition(":")
            self.headers[k.strip().lower()] = v.strip()
        want = base64.b64encode(hashlib.sha1(key.encode() + GUID).digest()).decode()
        self.accept_ok = self.headers.get("sec-websocket-accept") == want

    def send_frame(self, opcode, payload, fin=True, mask=True):
        b0 = (0x80 if fin else 0) | opcode
        n = len(payload)
        if n < 126:
            hdr = struct.pack("!BB", b0, (0x80 if mask else 0) | n)
        elif n < 65536:
            hdr = struct.pack("!BBH", b0, (0x80 if mask else 0) | 126, n)
        else:
            hdr = struct.pack("!BBQ", b0, (0x80 if mask else 0) | 127, n)
        if mask:
            key = os.urandom(4)
            payload = bytes(c ^ key[i % 4] for i, c in enumerate(payload))
            hdr += key
        self.sock.sendall(hdr + payload)

    def send(self, text):
        self.send_frame(1, text.encode() if isinstance(text, str) else text)

    def _need(self, n):
        while len(self.buf) < n:
            d = self.sock.recv(65536)
            if not d:
                raise WSClosed(None)
            self.buf += d

    def recv_frame(self):
        self._need(2)
        b0, b1 = self.buf[0], self.buf[1]
        n, off = b1 & 0x7F, 2
        if n == 126:
            self._need(4)
            n, off = struct.unpack("!H", self.buf[2:4])[0], 4
        elif n == 127:
            self._need(10)
            n, off = struct.unpack("!Q", self.buf[2:10])[0], 10
        self._need(off + n)
        payload, self.buf = self.buf[off:off + n], self.buf[off + n:]
        return b0 & 0x0F, payload

    def recv(self, timeout=5.0):
        """Next text/binary message; answers pings; raises WSClosed or socket.timeout."""
        end = time.time() + timeout
        while True:
            self.sock.settimeout(max(0.05, end - time.time()))
            op, p = self.recv_frame()
            if op == 9:
                self.pings += 1
                self.send_frame(10, p)
            elif op == 8:
                code = struct.unpack("!H", p[:2])[0] if len(p) >= 2 else None
                raise WSClosed(code, p[2:])
            elif op in (1, 2):
                return p.decode("utf-8", "replace")

    def recv_sip(self, pred=lambda m: True, timeout=5.0):
        end = time.time() + timeout
        while time.time() < end:
            m = self.recv(end - time.time())
            if pred(m):
                return m
        raise socket.timeout()

    def close(self):
        try:
            self.send_frame(8, struct.pack("!H", 1000))
        except OSError:
            pass
        self.sock.close()


def header(msg, name):
    for line in msg.split("\r\n")[1:]:
        if not line:
            break
        k, _, v = line.partition(":")
        if k.strip().lower() == name.lower():
            return v.strip()
    return None


def status(msg):
    first = msg.split("\r\n", 1)[0]
    return int(first.split()[1]) if first.startswith("SIP/2.0 ") else None
