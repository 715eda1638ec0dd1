#!/usr/bin/env python3
"""ws_scenarios.py - SIP over WebSocket through tandemd's shim (run by
test_websocket.sh, which starts tandemd). Prints "ok - ..." / "FAIL - ...".

Environment: WS_PORT, WSS_PORT, SIP_PORT, TANDEMCTL, CTL, CERT_DIR,
TANDEMD_PID.
"""
import math
import os
import random
import socket
import string
import struct
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.environ["srcdir"], "tests", "lib"))
from wsclient import WS, WSClosed, header, status  # noqa: E402

WS_PORT = int(os.environ["WS_PORT"])
WSS_PORT = int(os.environ["WSS_PORT"])
SIP_PORT = int(os.environ["SIP_PORT"])
results = []


def check(desc, cond):
    results.append(bool(cond))
    print(("ok   - " if cond else "FAIL - ") + desc, flush=True)
    return cond


def rnd(n=10):
    return "".join(random.choice(string.ascii_lowercase + string.digits) for _ in range(n))


class UA:
    """What JsSIP puts in its requests: a .invalid Via host and Contact."""

    def __init__(self, ws, user="alice"):
        self.ws, self.user = ws, user
        self.host = rnd() + ".invalid"
        self.cuser = rnd(8)
        self.contact = "sip:%s@%s;transport=ws" % (self.cuser, self.host)
        self.cseq = 1

    def request(self, method, ruri, extra="", body="", clen=True, call_id=None, tags=None):
        self.cseq += 1
        ftag, ttag = tags or (rnd(), None)
        lines = [
            "%s %s SIP/2.0" % (method, ruri),
            "Via: SIP/2.0/WS %s;branch=z9hG4bK%s" % (self.host, rnd()),
            "Max-Forwards: 70",
            "To: <%s>%s" % (ruri.split(";")[0], ";tag=" + ttag if ttag else ""),
            "From: <sip:%s@127.0.0.1>;tag=%s" % (self.user, ftag),
            "Call-ID: %s" % (call_id or rnd(20)),
            "CSeq: %d %s" % (self.cseq, method),
            "Contact: <%s>" % self.contact,
        ]
        if extra:
            lines.append(extra)
        if body:
            lines.append("Content-Type: application/sdp")
        if clen:
            lines.append("Content-Length: %d" % len(body.encode()))
        msg = "\r\n".join(lines) + "\r\n\r\n" + body
        self.ws.send(msg)
        return msg


def reply_to(req, code, reason):
    keep = [l for l in req.split("\r\n")[1:] if l.split(":")[0].strip().lower()
            in ("via", "from", "to", "call-id", "cseq")]
    return "SIP/2.0 %d %s\r\n%s\r\nContent-Length: 0\r\n\r\n" % (code, reason, "\r\n".join(keep))


# --- G.711 mu-law and a tone --------------------------------------------------
def ulaw(s):
    s = max(-32635, min(32635, int(s)))
    sign = 0x80 if s < 0 else 0
    s = abs(s) + 0x84
    exp = 7
    for e in range(7, -1, -1):
        if s & (0x4000 >> (7 - e)):
            exp = e
            break
    mant = (s >> (exp + 3)) & 0x0F
    return ~(sign | (exp << 4) | mant) & 0xFF


def unulaw(u):
    u = ~u & 0xFF
    t = (((u & 0x0F) << 3) + 0x84) << ((u & 0x70) >> 4)
    return (0x84 - t) if u & 0x80 else (t - 0x84)


def freq_of(samples, rate=8000):
    z = sum(1 for a, b in zip(samples, samples[1:]) if (a < 0) != (b < 0))
    return z / 2.0 / (len(samples) / rate)


def rtp_echo_check(rtp, dest, freq=440.0, n=100):
    """Send n 20 ms PCMU packets of a tone to dest; return (sent, got, Hz of what came back)."""
    ssrc, got, back = random.getrandbits(32), 0, []
    rtp.settimeout(0.002)
    t0 = time.time()
    for i in range(n):
        pcm = [8000 * math.sin(2 * math.pi * freq * (i * 160 + k) / 8000) for k in range(160)]
        pkt = struct.pack("!BBHII", 0x80, 0, i, i * 160, ssrc) + bytes(ulaw(x) for x in pcm)
        rtp.sendto(pkt, dest)
        while time.time() < t0 + (i + 1) * 0.02:
            try:
                d = rtp.recv(2048)
                got += 1
                back.extend(unulaw(b) for b in d[12:])
            except socket.timeout:
                pass
    end = time.time() + 0.5
    while time.time() < end:
        try:
            d = rtp.recv(2048)
            got += 1
            back.extend(unulaw(b) for b in d[12:])
        except socket.timeout:
            pass
    return n, got, freq_of(back[1600:]) if len(back) > 3200 else 0.0


def sdp_offer(port):
    return ("v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n"
            "m=audio %d RTP/AVP 0 101\r\na=rtpmap:0 PCMU/8000\r\n"
            "a=rtpmap:101 telephone-event/8000\r\na=ptime:20\r\na=sendrecv\r\n" % port)


def ctl(*args):
    return subprocess.run([os.environ["TANDEMCTL"], "-s", os.environ["CTL"]] + list(args),
                          capture_output=True, text=True, timeout=10).stdout


# --- scenarios -----------------------------------------------------------------
def t_handshake():
    ws = WS("127.0.0.1", WS_PORT)
    check("handshake: 101 Switching Protocols", ws.status == 101)
    check("handshake: Sec-WebSocket-Accept is right", ws.accept_ok)
    check("handshake: subprotocol sip chosen", ws.headers.get("sec-websocket-protocol") == "sip")
    ws.close()
    for desc, kw, want in [
        ("no 'sip' subprotocol -> 400", dict(protocol="chat"), 400),
        ("Sec-WebSocket-Version 8 -> 426", dict(version="8"), 426),
        ("Origin not in the allow-list -> 403", dict(origin="https://evil.example"), 403),
    ]:
        w = WS("127.0.0.1", WS_PORT, **kw)
        check("handshake: " + desc + " (got %s)" % w.status, w.status == want)
        w.sock.close()
    s = socket.create_connection(("127.0.0.1", WS_PORT))
    s.settimeout(8)
    t0 = time.time()
    try:
        d = s.recv(100)
    except socket.timeout:
        d = b"timeout"
    el = time.time() - t0
    check("handshake: a silent connection is closed after handshake_timeout (2 s): %.1f s" % el,
          d == b"" and 1.5 <= el <= 5)
    s.close()


def t_options():
    ws = WS("127.0.0.1", WS_PORT)
    ua = UA(ws)
    req = ua.request("OPTIONS", "sip:127.0.0.1:%d" % SIP_PORT, clen=False)
    r = ws.recv_sip(lambda m: status(m) is not None)
    check("OPTIONS without Content-Length over WS gets 200 (got %s)" % status(r), status(r) == 200)
    v = header(r, "Via") or ""
    check("the response's Via is the browser's own (SIP/2.0/WS %s): %s" % (ua.host, v),
          v.startswith("SIP/2.0/WS %s;" % ua.host) and header(req, "Via").split("branch=")[1] in v)
    # Fragmented message, and a client-forged X-Tandem-Source that the shim strips.
    msg = ("OPTIONS sip:127.0.0.1:%d SIP/2.0\r\nVia: SIP/2.0/WS %s;branch=z9hG4bK%s\r\n"
           "Max-Forwards: 70\r\nTo: <sip:127.0.0.1>\r\nFrom: <sip:bob@127.0.0.1>;tag=%s\r\n"
           "Call-ID: %s\r\nCSeq: 1 OPTIONS\r\nX-Tandem-Source: 10.0.0.1:5060;proto=wss;via=1;sig=%s\r\n"
           "Content-Length: 0\r\n\r\n" % (SIP_PORT, ua.host, rnd(), rnd(), rnd(), "0" * 64)).encode()
    third = len(msg) // 3
    ws.send_frame(1, msg[:third], fin=False)
    ws.send_frame(0, msg[third:2 * third], fin=False)
    ws.send_frame(0, msg[2 * third:], fin=True)
    r = ws.recv_sip(lambda m: status(m) is not None)
    check("a message in 3 fragments with a forged X-Tandem-Source (stripped) gets 200 (got %s)"
          % status(r), status(r) == 200)
    ws.send("\r\n\r\n")
    check("a CRLF keep-alive is answered with CRLF", ws.recv(3) == "\r\n")
    ws.close()


def t_forged_direct():
    s = socket.create_connection(("127.0.0.1", SIP_PORT))
    s.settimeout(5)
    msg = ("OPTIONS sip:127.0.0.1:%d SIP/2.0\r\nVia: SIP/2.0/TCP 127.0.0.1:%d;branch=z9hG4bK%s\r\n"
           "Max-Forwards: 70\r\nTo: <sip:127.0.0.1>\r\nFrom: <sip:eve@127.0.0.1>;tag=%s\r\n"
           "Call-ID: %s\r\nCSeq: 1 OPTIONS\r\nX-Tandem-Source: 192.0.2.1:5060;proto=wss;via=127.0.0.1:%d;sig=%s\r\n"
           "Content-Length: 0\r\n\r\n" % (SIP_PORT, s.getsockname()[1], rnd(), rnd(), rnd(),
                                           s.getsockname()[1], "ab" * 32))
    s.sendall(msg.encode())
    d = b""
    while b"\r\n\r\n" not in d:
        c = s.recv(4096)
        if not c:
            break
        d += c
    check("a forged X-Tandem-Source sent straight to the SIP port gets 403 (%s)"
          % d.split(b"\r\n")[0].decode(), d.startswith(b"SIP/2.0 403"))
    s.close()


def t_call():
    ws = WS("127.0.0.1", WS_PORT)
    ua = UA(ws)
    rtp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    rtp.bind(("127.0.0.1", 0))
    ftag, cid = rnd(), rnd(20)
    inv = ua.request("INVITE", "sip:600@127.0.0.1:%d" % SIP_PORT, body=sdp_offer(rtp.getsockname()[1]),
                     call_id=cid, tags=(ftag, None))
    try:
        ok = ws.recv_sip(lambda m: status(m) is not None and status(m) >= 200, 10)
    except socket.timeout:
        check("INVITE to 600 (echo) over WS is answered", False)
        return
    if not check("INVITE to 600 (echo) over WS gets 200 (got %s)" % status(ok), status(ok) == 200):
        return
    body = ok.split("\r\n\r\n", 1)[1]
    port = int([l for l in body.split("\r\n") if l.startswith("m=audio")][0].split()[1])
    ttag = (header(ok, "To") or "").split("tag=")[1]
    rc = (header(ok, "Contact") or "<sip:127.0.0.1>").split("<")[1].split(">")[0]
    ua.cseq -= 1
    ua.request("ACK", rc, call_id=cid, tags=(ftag, ttag))
    sent, got, hz = rtp_echo_check(rtp, ("127.0.0.1", port))
    check("RTP both ways through the WS-signalled call: sent %d, echoed %d" % (sent, got),
          got >= sent * 0.9)
    check("the echoed tone is 440 Hz (measured %.1f Hz)" % hz, abs(hz - 440) < 10)
    calls = ctl("--json", "calls")
    import json
    ids = [c.get("id") for c in json.loads(calls or "{}").get("calls", [])]
    check("tandemctl calls lists the WebSocket call", len(ids) == 1)
    if ids:
        ctl("call", "hangup", str(ids[0]))
    try:
        bye = ws.recv_sip(lambda m: m.startswith("BYE "), 5)
        ruri = bye.split(" ")[1]
        check("tandemd's BYE reaches the browser over its WebSocket, Request-URI mapped back "
              "to its Contact (%s)" % ruri, ruri == ua.contact)
        ws.send(reply_to(bye, 200, "OK"))
    except (socket.timeout, WSClosed):
        check("tandemd's BYE reaches the browser over its WebSocket", False)
    ws.close()
    rtp.close()


def t_limits():
    ws = WS("127.0.0.1", WS_PORT)
    ws.send_frame(1, b"X" * 5000)
    try:
        ws.recv(3)
        code = "no close"
    except WSClosed as e:
        code = e.code
    check("a message over max_message closes that connection with 1009 (got %s)" % code, code == 1009)
    w2 = WS("127.0.0.1", WS_PORT)
    UA(w2).request("OPTIONS", "sip:127.0.0.1:%d" % SIP_PORT)
    check("another connection still works after that", status(w2.recv_sip(lambda m: status(m))) == 200)
    w2.close()
    conns = [WS("127.0.0.1", WS_PORT) for _ in range(4)]
    time.sleep(0.2)
    extra = socket.create_connection(("127.0.0.1", WS_PORT))
    extra.settimeout(3)
    try:
        d = extra.recv(10)
    except socket.timeout:
        d = b"open"
    check("a 5th connection from one IP (max_per_ip = 4) is refused", d == b"")
    extra.close()
    for c in conns:
        c.close()
    time.sleep(0.5)      # let the shim see those closes before the next scenario


def t_ping():
    ws = WS("127.0.0.1", WS_PORT)
    end = time.time() + 2.6
    while time.time() < end:
        try:
            ws.recv(end - time.time())
        except socket.timeout:
            break
    check("the shim pings an idle client (ping_interval = 1): %d pings" % ws.pings, ws.pings >= 1)
    ws.close()
    mute = WS("127.0.0.1", WS_PORT)
    mute.sock.settimeout(8)
    t0 = time.time()
    data = b""
    try:
        while True:
            d = mute.sock.recv(4096)
            if not d:
                break
            data += d
    except OSError:
        pass
    el = time.time() - t0
    check("a client that never answers pings is closed (after %.1f s)" % el, 2 <= el <= 7)
    mute.sock.close()
    time.sleep(0.3)


def t_wss():
    ws = WS("127.0.0.1", WSS_PORT, secure=True)
    check("WSS handshake: 101", ws.status == 101)
    UA(ws).request("OPTIONS", "sip:127.0.0.1:%d" % SIP_PORT)
    check("OPTIONS over WSS gets 200", status(ws.recv_sip(lambda m: status(m))) == 200)
    first = ws.peer_cert_sha256()
    ws.close()
    d = os.environ["CERT_DIR"]
    os.replace(os.path.join(d, "new.pem"), os.path.join(d, "ws.pem"))
    os.replace(os.path.join(d, "new.key"), os.path.join(d, "ws.key"))
    os.kill(int(os.environ["TANDEMD_PID"]), 1)
    time.sleep(1.0)
    w2 = WS("127.0.0.1", WSS_PORT, secure=True)
    second = w2.peer_cert_sha256()
    want = open(os.path.join(d, "new.sha256")).read().strip().lower()
    check("after a reload, new WSS connections get the renewed certificate, no restart",
          second != first and second == want)
    w2.close()


for t in (t_handshake, t_options, t_forged_direct, t_call, t_limits, t_ping, t_wss):
    try:
        t()
    except Exception as e:  # a scenario that crashes is a failure, not a skip
        check("%s ran without error (%r)" % (t.__name__, e), False)
sys.exit(0 if all(results) else 1)
