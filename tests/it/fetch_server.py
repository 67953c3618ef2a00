#!/usr/bin/env python3
"""The loopback HTTP server and proxy that tests/it/fetch.rs drives.

    fetch_server.py serve DIR [CERT KEY]   serve DIR/current (TLS with CERT, KEY)
    fetch_server.py proxy LOG              a CONNECT proxy, each tunnel logged to LOG

Each prints the port it bound (port 0: the system picks a free one) on
its first line and serves until killed. Both bind 127.0.0.1 only, and the
proxy refuses to tunnel anywhere but to 127.0.0.1 or localhost: no test
reaches an address outside loopback.

The server reads DIR/mode at each request, so a test can change how it
behaves between two fetches without restarting it (the URL stays the
same, and so do the validators that belong to it):

  normal        ETag, Last-Modified, If-None-Match / If-Modified-Since (304),
                Range with If-Range (206, 416)
  flaky N       the first N requests get 503, then normal
  drop          the first request without Range gets the headers and half
                the body, then the connection closes; then normal
  badlength     announces 1000 bytes more than it sends, then closes
  ignore-range  never honours Range (200 with the whole file)
  stall         headers and half the body, then nothing for 30 s
  no-validators normal, without ETag and Last-Modified

Paths: /wsusscn2.cab serves the file; /redirect/N redirects (302) N times
and then to /wsusscn2.cab; /loop redirects to itself; anything else is 404.
Every request is appended to DIR/requests.jsonl (method, path, headers).
"""
import email.utils
import hashlib
import http.server
import json
import os
import select
import socket
import socketserver
import ssl
import sys
import threading
import time

LOCK = threading.Lock()


def read(path, default=""):
    try:
        with open(path) as f:
            return f.read().strip()
    except FileNotFoundError:
        return default


def bump(path):
    """Increments the counter in `path`, returns its new value."""
    with LOCK:
        n = int(read(path, "0") or 0) + 1
        with open(path, "w") as f:
            f.write(str(n))
        return n


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    directory = "."

    def log_message(self, *args):
        pass

    def answer(self, status, headers=(), body=b""):
        self.send_response(status)
        for k, v in headers:
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Connection", "close")
        self.end_headers()
        self.wfile.write(body)
        self.close_connection = True

    def do_GET(self):
        d = self.directory
        with LOCK:
            with open(os.path.join(d, "requests.jsonl"), "a") as f:
                f.write(json.dumps({"method": "GET", "path": self.path,
                                    "headers": {k.lower(): v for k, v in self.headers.items()}}) + "\n")
        if self.path.startswith("/redirect/"):
            n = int(self.path.rsplit("/", 1)[1])
            to = "/wsusscn2.cab" if n <= 0 else "/redirect/%d" % (n - 1)
            return self.answer(302, [("Location", to)])
        if self.path == "/loop":
            return self.answer(302, [("Location", "/loop")])
        if self.path != "/wsusscn2.cab":
            return self.answer(404, body=b"not found\n")
        self.serve_file(read(os.path.join(d, "mode"), "normal").split())

    def serve_file(self, mode):
        d = self.directory
        name = mode[0] if mode else "normal"
        if name == "flaky" and bump(os.path.join(d, "flaky.count")) <= int(mode[1]):
            return self.answer(503, body=b"busy\n")
        path = os.path.join(d, "current")
        with open(path, "rb") as f:
            data = f.read()
        etag = '"%s"' % hashlib.sha256(data).hexdigest()[:16]
        modified = email.utils.formatdate(os.stat(path).st_mtime, usegmt=True)
        validators = [] if name == "no-validators" else [("ETag", etag), ("Last-Modified", modified)]
        inm = self.headers.get("If-None-Match")
        ims = self.headers.get("If-Modified-Since")
        if validators and inm is not None:
            if inm.strip() in (etag, "*"):
                return self.answer(304, validators)
        elif validators and ims is not None and ims == modified:
            return self.answer(304, validators)
        start = 0
        rng = self.headers.get("Range")
        if_range = self.headers.get("If-Range")
        if (rng and rng.startswith("bytes=") and rng.endswith("-") and name != "ignore-range"
                and (if_range is None or if_range in (etag, modified))):
            start = int(rng[len("bytes="):-1])
            if start >= len(data):
                return self.answer(416, [("Content-Range", "bytes */%d" % len(data))])
        body = data[start:]
        self.send_response(206 if start else 200)
        for k, v in validators:
            self.send_header(k, v)
        self.send_header("Accept-Ranges", "none" if name == "ignore-range" else "bytes")
        if start:
            self.send_header("Content-Range", "bytes %d-%d/%d" % (start, len(data) - 1, len(data)))
        announced = len(body) + (1000 if name == "badlength" else 0)
        self.send_header("Content-Length", str(announced))
        self.send_header("Connection", "close")
        self.end_headers()
        self.close_connection = True
        cut = (name == "drop" and not rng and bump(os.path.join(d, "drop.count")) == 1) or name == "stall"
        if cut:
            self.wfile.write(body[: len(body) // 2])
            self.wfile.flush()
            if name == "stall":
                time.sleep(30)
            # A dropped connection: no more bytes, whatever was announced.
            self.connection.shutdown(socket.SHUT_RDWR)
            return
        self.wfile.write(body)


def serve(directory, cert=None, key=None):
    Handler.directory = directory
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    if cert:
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(cert, key)
        server.socket = ctx.wrap_socket(server.socket, server_side=True)
    print(server.server_address[1], flush=True)
    server.serve_forever()


class Proxy(socketserver.StreamRequestHandler):
    log = None

    def handle(self):
        line = self.rfile.readline().decode("latin-1").strip()
        while self.rfile.readline() not in (b"\r\n", b"\n", b""):
            pass
        parts = line.split()
        with LOCK:
            with open(self.log, "a") as f:
                f.write(line + "\n")
        if len(parts) != 3 or parts[0] != "CONNECT":
            self.wfile.write(b"HTTP/1.1 405 Only CONNECT\r\nContent-Length: 0\r\n\r\n")
            return
        host, _, port = parts[1].rpartition(":")
        if host not in ("127.0.0.1", "localhost"):
            # Loopback only: a test proxy must never reach out.
            self.wfile.write(b"HTTP/1.1 403 Loopback only\r\nContent-Length: 0\r\n\r\n")
            return
        upstream = socket.create_connection(("127.0.0.1", int(port)), timeout=60)
        self.wfile.write(b"HTTP/1.1 200 Connection established\r\n\r\n")
        self.wfile.flush()
        pending = self.rfile.peek(0)[: len(self.rfile.peek(0))] if hasattr(self.rfile, "peek") else b""
        if pending:
            upstream.sendall(self.rfile.read(len(pending)))
        socks = [self.connection, upstream]
        while True:
            ready, _, _ = select.select(socks, [], [], 60)
            if not ready:
                break
            for s in ready:
                data = s.recv(65536)
                if not data:
                    upstream.close()
                    return
                (upstream if s is self.connection else self.connection).sendall(data)


def proxy(log):
    Proxy.log = log
    server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), Proxy)
    server.daemon_threads = True
    print(server.server_address[1], flush=True)
    server.serve_forever()


if __name__ == "__main__":
    if sys.argv[1] == "serve":
        serve(*sys.argv[2:])
    elif sys.argv[1] == "proxy":
        proxy(sys.argv[2])
    else:
        sys.exit("usage: fetch_server.py serve DIR [CERT KEY] | proxy LOG")
