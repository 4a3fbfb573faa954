#!/usr/bin/env python3
"""provision-server.py — a small HTTP(S) server for tests/applets/provision.test.

usage: provision-server.py DIR PORTFILE [CERT KEY]

Serves DIR and misbehaves on purpose, by path:
  /file/NAME           NAME with Content-Length
  /chunked/NAME        NAME in chunks of 1..700 bytes (Transfer-Encoding: chunked)
  /close/NAME          NAME without a length, ended by closing the connection
  /redirect/N/NAME     N redirects (302), the last one relative ("../../file/NAME")
  /need-token/NAME     NAME only if the request has "X-Token: s3cret", else 403
  /never               200 and data forever, as fast as the client reads
  /trickle             Content-Length 1000000, one byte every 0.3 s
  /stall               accepts the request and never answers
  /status/CODE         an empty answer with that status
  /count               how many requests were made so far (text)
The port is written to PORTFILE once listening. With CERT and KEY it speaks TLS.
"""
import http.server
import os
import random
import socketserver
import ssl
import sys
import threading
import time

ROOT = sys.argv[1]
requests = 0
lock = threading.Lock()


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def body_of(self, name):
        path = os.path.join(ROOT, os.path.basename(name))
        with open(path, "rb") as f:
            return f.read()

    def do_GET(self):
        global requests
        with lock:
            requests += 1
        parts = self.path.split("?")[0].split("/")[1:]
        kind = parts[0] if parts else ""
        try:
            if kind == "file":
                data = self.body_of(parts[1])
                self.send_response(200)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)
            elif kind == "chunked":
                data = self.body_of(parts[1])
                self.send_response(200)
                self.send_header("Transfer-Encoding", "chunked")
                self.end_headers()
                rnd = random.Random(len(data))
                i = 0
                while i < len(data):
                    n = rnd.randint(1, 700)
                    piece = data[i:i + n]
                    self.wfile.write(b"%x;ext=1\r\n" % len(piece) + piece + b"\r\n")
                    i += n
                self.wfile.write(b"0\r\nX-Trailer: yes\r\n\r\n")
            elif kind == "close":
                data = self.body_of(parts[1])
                self.send_response(200)
                self.send_header("Connection", "close")
                self.end_headers()
                self.wfile.write(data)
                self.close_connection = True
            elif kind == "redirect":
                n = int(parts[1])
                self.send_response(302)
                # absolute paths, then a relative one with dot segments at the last hop
                where = "/redirect/%d/%s" % (n - 1, parts[2]) if n > 1 else "../../file/" + parts[2]
                self.send_header("Location", where)
                self.send_header("Content-Length", "0")
                self.end_headers()
            elif kind == "need-token":
                if self.headers.get("X-Token") != "s3cret":
                    self.send_response(403)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                data = self.body_of(parts[1])
                self.send_response(200)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)
            elif kind == "never":
                self.send_response(200)
                self.send_header("Connection", "close")
                self.end_headers()
                block = b"x" * 65536
                while True:
                    self.wfile.write(block)
            elif kind == "trickle":
                self.send_response(200)
                self.send_header("Content-Length", "1000000")
                self.end_headers()
                while True:
                    self.wfile.write(b"x")
                    self.wfile.flush()
                    time.sleep(0.3)
            elif kind == "stall":
                time.sleep(3600)
            elif kind == "status":
                self.send_response(int(parts[1]))
                self.send_header("Content-Length", "0")
                self.end_headers()
            elif kind == "count":
                data = str(requests).encode()
                self.send_response(200)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)
            else:
                self.send_response(404)
                self.send_header("Content-Length", "0")
                self.end_headers()
        except (BrokenPipeError, ConnectionResetError, ssl.SSLError):
            pass


class Server(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True
    allow_reuse_address = True


def main():
    srv = Server(("127.0.0.1", 0), Handler)
    if len(sys.argv) > 4:
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(sys.argv[3], sys.argv[4])
        srv.socket = ctx.wrap_socket(srv.socket, server_side=True)
    with open(sys.argv[2] + ".tmp", "w") as f:
        f.write(str(srv.server_address[1]))
    os.rename(sys.argv[2] + ".tmp", sys.argv[2])
    srv.serve_forever()


if __name__ == "__main__":
    main()
