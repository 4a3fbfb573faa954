# proxy-server.py — the loopback HTTP proxy of proxy.test: forwards to 127.0.0.1 only.
#   python3 proxy-server.py PORTFILE LOG [--refuse CODE] [--mitm CERT KEY]
# An absolute-URI request (GET http://127.0.0.1:PORT/PATH) is sent on as GET /PATH; CONNECT
# 127.0.0.1:PORT answers 200 and relays bytes both ways. --refuse CODE: every request answered
# with CODE. --mitm CERT KEY: CONNECT answered 200, then TLS with CERT (the proxy posing as the
# origin). Any other target host is refused (403). LOG: one line a request, "REQUEST-LINE" and
# " auth=VALUE" when a Proxy-Authorization header came.
import os, select, socket, ssl, sys, threading

portfile, log = sys.argv[1], sys.argv[2]
refuse = int(sys.argv[sys.argv.index('--refuse') + 1]) if '--refuse' in sys.argv else None
mitm = sys.argv[sys.argv.index('--mitm') + 1:][:2] if '--mitm' in sys.argv else None
lock = threading.Lock()

def answer(c, code):
    c.sendall(b'HTTP/1.1 %d Refused\r\nContent-Length: 0\r\nConnection: close\r\n\r\n' % code)

def relay(a, b):
    socks = [a, b]
    while True:
        r, _, _ = select.select(socks, [], [], 30)
        if not r:
            return
        for s in r:
            d = s.recv(65536)
            if not d:
                return
            (b if s is a else a).sendall(d)

def handle(c):
    try:
        head = b''
        while b'\r\n\r\n' not in head and len(head) < 65536:
            d = c.recv(4096)
            if not d:
                return
            head += d
        head, rest = head.split(b'\r\n\r\n', 1)
        lines = head.decode('latin-1').split('\r\n')
        auth = [l.split(':', 1)[1].strip() for l in lines[1:] if l.lower().startswith('proxy-authorization:')]
        with lock, open(log, 'a') as f:
            f.write(lines[0] + (' auth=' + auth[0] if auth else '') + '\n')
        method, target, _ = lines[0].split(' ')
        if refuse:
            return answer(c, refuse)
        if method == 'CONNECT':
            host, port = target.rsplit(':', 1)
            if host != '127.0.0.1':
                return answer(c, 403)
            if mitm:
                c.sendall(b'HTTP/1.1 200 Connection established\r\n\r\n')
                ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
                ctx.load_cert_chain(mitm[0], mitm[1])
                try:
                    ctx.wrap_socket(c, server_side=True).recv(1)
                except (ssl.SSLError, OSError):
                    pass
                return
            o = socket.create_connection(('127.0.0.1', int(port)))
            c.sendall(b'HTTP/1.1 200 Connection established\r\n\r\n')
            relay(c, o)
            return
        if not target.startswith('http://127.0.0.1:'):
            return answer(c, 403)
        hostport, path = target[7:].split('/', 1)
        o = socket.create_connection(('127.0.0.1', int(hostport.split(':')[1])))
        fwd = [l for l in lines[1:] if not l.lower().startswith('proxy-')]
        o.sendall(('%s /%s HTTP/1.1\r\n' % (method, path) + ''.join(l + '\r\n' for l in fwd) + '\r\n').encode('latin-1') + rest)
        relay(c, o)
    except OSError:
        pass
    finally:
        c.close()

s = socket.socket()
s.bind(('127.0.0.1', 0))
s.listen(16)
with open(portfile + '.tmp', 'w') as f:
    f.write(str(s.getsockname()[1]))
os.rename(portfile + '.tmp', portfile)
while True:
    c, _ = s.accept()
    threading.Thread(target=handle, args=(c,), daemon=True).start()
