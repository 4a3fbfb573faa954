# update-server.py — the loopback HTTP server of update.test: serves a directory with Range support.
#   python3 update-server.py ROOT PORTFILE LOG [--cut BYTES] [--ignore-range]
# --cut BYTES: the first GET of a *.zst file sends its headers as usual, then only the body up to
#   absolute file offset BYTES, and closes the connection (a broken download).
# --ignore-range: answer every GET with 200 and the whole file (a server without Range support).
# LOG gets one line per GET: "PATH START SENT" (START: the Range start, 0 without one).
import http.server, os, re, sys

root, portfile, log = os.path.abspath(sys.argv[1]), sys.argv[2], sys.argv[3]
cut = int(sys.argv[sys.argv.index('--cut') + 1]) if '--cut' in sys.argv else None
ignore_range = '--ignore-range' in sys.argv
state = {'cut_done': False}

class H(http.server.BaseHTTPRequestHandler):
    protocol_version = 'HTTP/1.1'
    def log_message(self, *a):
        pass
    def do_GET(self):
        path = os.path.normpath(os.path.join(root, self.path.lstrip('/')))
        if not path.startswith(os.path.abspath(root)) or not os.path.isfile(path):
            self.send_response(404); self.send_header('Content-Length', '0'); self.send_header('Connection', 'close'); self.end_headers()
            return
        size = os.path.getsize(path)
        start = 0
        m = re.fullmatch(r'bytes=(\d+)-', self.headers.get('Range', ''))
        if m and not ignore_range:
            start = int(m.group(1))
        if start:
            self.send_response(206)
            self.send_header('Content-Range', 'bytes %d-%d/%d' % (start, size - 1, size))
        else:
            self.send_response(200)
        self.send_header('Content-Length', str(size - start))
        self.send_header('Connection', 'close')
        self.end_headers()
        end = size
        if cut is not None and path.endswith('.zst') and not state['cut_done']:
            state['cut_done'] = True
            end = max(start, min(size, cut))
        sent = 0
        try:
            with open(path, 'rb') as f:
                f.seek(start)
                pos = start
                while pos < end:
                    b = f.read(min(65536, end - pos))
                    self.wfile.write(b)
                    pos += len(b)
                    sent += len(b)
        except (BrokenPipeError, ConnectionResetError):
            pass
        with open(log, 'a') as l:
            l.write('%s %d %d\n' % (self.path, start, sent))
        if end < size:
            self.wfile.flush()
            self.close_connection = True
            self.connection.shutdown(2)

s = http.server.HTTPServer(('127.0.0.1', 0), H)
with open(portfile + '.tmp', 'w') as f:
    f.write(str(s.server_address[1]))
os.rename(portfile + '.tmp', portfile)
s.serve_forever()
