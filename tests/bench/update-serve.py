# update-serve.py DIR PORTFILE [CERT KEY] — the loopback server of update.bench.sh: serves DIR on
# 127.0.0.1 (a free port, written to PORTFILE once listening), over TLS when CERT and KEY are given
# (Python's ssl, i.e. OpenSSL). One thread a connection; the body in 1 MiB writes.
import functools, http.server, os, ssl, sys

d, portfile = sys.argv[1], sys.argv[2]

class H(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *a):
        pass
    def copyfile(self, src, dst):
        while True:
            b = src.read(1 << 20)
            if not b:
                break
            dst.write(b)

srv = http.server.ThreadingHTTPServer(('127.0.0.1', 0), functools.partial(H, directory=d))
if len(sys.argv) > 4:
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(sys.argv[3], sys.argv[4])
    srv.socket = ctx.wrap_socket(srv.socket, server_side=True)
with open(portfile + '.tmp', 'w') as f:
    f.write('%d\n' % srv.server_address[1])
os.rename(portfile + '.tmp', portfile)
srv.serve_forever()
