#!/usr/bin/env python3
"""serve.py - the web server of the browser test (standard library only).

  serve.py PORT DIR

Serves DIR/page.html at / and DIR/bundle.js, hands the page DIR/config.json
at /config, and stores what the page posts: /result -> DIR/result.json,
/ready -> DIR/ready, /log -> appended to DIR/page.log. Loopback http pages
are a secure context, so getUserMedia and WebRTC work without certificates.
"""
import http.server
import os
import sys

PORT, DIR = int(sys.argv[1]), sys.argv[2]


class H(http.server.BaseHTTPRequestHandler):
    def _send(self, code, body=b"", ctype="text/plain"):
        self.send_response(code)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self):
        files = {"/": ("page.html", "text/html"), "/bundle.js": ("bundle.js", "text/javascript"),
                 "/config": ("config.json", "application/json")}
        if self.path not in files:
            return self._send(404)
        name, ctype = files[self.path]
        with open(os.path.join(DIR, name), "rb") as f:
            self._send(200, f.read(), ctype)

    def do_POST(self):
        n = int(self.headers.get("Content-Length", "0"))
        body = self.rfile.read(min(n, 1 << 20))
        target = {"/result": "result.json", "/ready": "ready", "/log": "page.log"}.get(self.path)
        if not target:
            return self._send(404)
        mode = "ab" if target == "page.log" else "wb"
        with open(os.path.join(DIR, target + ".tmp" if mode == "wb" else target), mode) as f:
            f.write(body + (b"\n" if mode == "ab" else b""))
        if mode == "wb":
            os.replace(os.path.join(DIR, target + ".tmp"), os.path.join(DIR, target))
        self._send(200)

    def log_message(self, *a):
        pass


http.server.ThreadingHTTPServer(("127.0.0.1", PORT), H).serve_forever()
