#!/usr/bin/env python3
"""fleetlock-server.py — a FleetLock stub for tests/applets/update-fleet.test (127.0.0.1 only).

usage: fleetlock-server.py PORTFILE LOG ANSWERS

Every POST is appended to LOG as one line "PATH HEADER BODY" (HEADER: the value of
fleet-lock-protocol, "-" when missing). The answer is the next line of the file ANSWERS for that
path ("pre-reboot 423" / "steady-state 500"), consumed in order; none left: 200 with an empty body.
A non-2xx answer carries {"kind": …, "value": …} as FleetLock servers send it (423: "locked").
"""
import http.server
import json
import sys
import threading

PORTFILE, LOG, ANSWERS = sys.argv[1:4]
lock = threading.Lock()


def next_answer(op):
    with open(ANSWERS) as f:
        lines = f.read().splitlines()
    for i, line in enumerate(lines):
        parts = line.split()
        if parts and parts[0] == op:
            del lines[i]
            with open(ANSWERS, "w") as f:
                f.write("".join(l + "\n" for l in lines))
            return int(parts[1])
    return 200


class H(http.server.BaseHTTPRequestHandler):
    def log_message(self, *a):
        pass

    def do_POST(self):
        n = int(self.headers.get("Content-Length", "0"))
        body = self.rfile.read(n).decode()
        op = self.path.rsplit("/", 1)[-1]
        with lock:
            with open(LOG, "a") as f:
                f.write("%s %s %s\n" % (self.path, self.headers.get("fleet-lock-protocol", "-"), body))
            code = next_answer(op)
        out = b""
        if code >= 300:
            kind = "locked" if code == 423 else "failed_lock"
            value = "all 1 reboot slots are taken" if code == 423 else "the semaphore store is down"
            out = json.dumps({"kind": kind, "value": value}).encode()
        self.send_response(code)
        self.send_header("Content-Length", str(len(out)))
        self.end_headers()
        self.wfile.write(out)


srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), H)
with open(PORTFILE + ".tmp", "w") as f:
    f.write(str(srv.server_address[1]))
import os
os.rename(PORTFILE + ".tmp", PORTFILE)
srv.serve_forever()
