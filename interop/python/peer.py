#!/usr/bin/env python3
"""A pyzmq peer for the interop tests in ../tests/pyzmq.rs.

    python3 interop/python/peer.py <role> <endpoint> [options]

role: req, rep, push, pull, pub, sub, dealer, router.
endpoint: ending in ":*" (tcp://127.0.0.1:*) means bind, and the resolved endpoint is
printed as "ENDPOINT <endpoint>"; anything else is connected to.

The test reads this peer's stdout, one line a fact:
    VERSION pyzmq=<v> libzmq=<v> curve=<True|False>
    ENDPOINT <endpoint>          (binding side)
    SERVERKEY <z85> / CLIENTKEY <z85>  (CURVE keys made here with zmq.curve_keypair)
    READY                        (sub: the subscriptions are in place)
    ROUTING_ID <hex>             (router: the routing id of each message's sender)
    MSG <hex>,<hex>,...          (one received message, every frame in hex)
    EVENT <name> <value>         (a monitor event of this socket)
    NOREPLY / NOMESSAGE          (--expect-refusal: nothing came through)
    USERID <text>                (rep: the User-Id of a request, under --cert-*)
    CERT <name> <public path> <secret path> <secret mode>
                                 (--create-certs: files written by zmq.auth)
    DONE                         (the role finished and everything checked out)
and writes on its stdin: GO (pub: stop the sync messages and publish), GO or
GO <endpoint> (--wait-go: bind or connect now, to <endpoint> if given) and STOP
(--expect-refusal client: stop waiting).

Messages: message(i) below is the same sequence as `message(i)` in the Rust test
(tests/common/mod.rs); the test checks every MSG line against its own copy, so a
difference between the two fails the test, it cannot hide one.

Every wait is bounded (RCVTIMEO / SNDTIMEO / deadlines): on a timeout this peer
writes the reason to stderr and exits with status 2.
"""

import argparse
import select
import sys
import time

try:
    import zmq
    import zmq.auth
except ImportError:  # the Rust test turns this into a failure that says what to do
    sys.stderr.write("pyzmq is missing: pip install pyzmq\n")
    sys.exit(3)

BIG = 1 << 20


def message(i):
    """The i-th test message (a list of frames); see `message` in tests/common/mod.rs."""
    if i == 0:
        return [b"hello"]
    if i == 1:
        return [b"multi", b"", b"part", b""]
    if i == 2:
        return [b""]
    if i == 3:
        return [b"big", bytes((j * 31 + 7) % 251 for j in range(BIG))]
    if i == 4:
        return [bytes(range(256))]
    return [b"seq", str(i).encode()]


# Published in this order; see PUBLISHED in tests/common/mod.rs.
PUBLISHED = [
    [b"weather.paris", b"sunny"],
    [b"sports.rugby", b"20-13"],
    [b"weather.oslo", b"", b"snow"],
    [b"weath", b"shorter than the prefix"],
    [b"xylophone", b"x matches"],
    [b"Weather.caps", b"filters are case-sensitive"],
    [b"", b"empty topic"],
    [b"x", b""],
    [b"end"],
]
# Subscribed in this order, "sync" last: one sync message received proves that the
# publisher has every subscription.
SUBSCRIPTIONS = [b"weather.", b"x", b"end", b"sync"]


def out(line):
    sys.stdout.write(line + "\n")
    sys.stdout.flush()


def fail(why):
    sys.stderr.write("peer.py: " + why + "\n")
    sys.stderr.flush()
    sys.exit(2)


def show(frames):
    out("MSG " + ",".join(f.hex() for f in frames))


def recv(sock, what):
    try:
        return sock.recv_multipart()
    except zmq.Again:
        fail("timed out waiting for " + what)


def send(sock, frames, what):
    try:
        sock.send_multipart(frames)
    except zmq.Again:
        fail("timed out sending " + what)


def stdin_line(timeout):
    """The next line on stdin, or None after `timeout` seconds."""
    ready, _, _ = select.select([sys.stdin], [], [], timeout)
    if not ready:
        return None
    line = sys.stdin.readline()
    if line == "":
        fail("stdin closed")
    return line.strip()


EVENT_NAMES = {
    getattr(zmq, name): name[len("EVENT_"):]
    for name in dir(zmq)
    if name.startswith("EVENT_") and name not in ("EVENT_ALL", "EVENT_ALL_V1", "EVENT_ALL_V2")
}


def drain_monitor(mon, seen):
    """Print (and record) the monitor events waiting on `mon`."""
    from zmq.utils.monitor import recv_monitor_message

    while mon.poll(0):
        ev = recv_monitor_message(mon)
        name = EVENT_NAMES.get(ev["event"], str(ev["event"]))
        seen.append(name)
        out("EVENT %s %s" % (name, ev["value"]))


def main():
    p = argparse.ArgumentParser()
    p.add_argument("role", choices=["req", "rep", "push", "pull", "pub", "sub", "dealer", "router"])
    p.add_argument("endpoint")
    p.add_argument("--count", type=int, default=8, help="messages to exchange")
    p.add_argument("--identity", help="routing id to set (dealer)")
    p.add_argument("--timeout-ms", type=int, default=20000, help="bound on every wait")
    p.add_argument("--curve-server", action="store_true", help="be a CURVE server, new keys")
    # Pass it as --curve-serverkey=KEY: a Z85 key may start with "-".
    p.add_argument("--curve-serverkey", help="be a CURVE client of this server key (Z85)")
    p.add_argument("--expect-refusal", action="store_true",
                   help="CURVE: the handshake must fail, nothing must come through")
    p.add_argument("--wait-go", action="store_true",
                   help="wait for GO on stdin before binding or connecting")
    # Certificates on disk (zmq.auth), for the certificate interop tests.
    p.add_argument("--create-certs", metavar="DIR",
                   help="write certificates with zmq.auth.create_certificates into DIR "
                        "(names from --cert-names), print CERT lines, exit")
    p.add_argument("--cert-names", default="server,client")
    p.add_argument("--cert-server-secret", metavar="FILE",
                   help="be a CURVE server with the keys of this secret certificate")
    p.add_argument("--cert-client-secret", metavar="FILE",
                   help="be a CURVE client with the keys of this secret certificate")
    p.add_argument("--cert-server-public", metavar="FILE",
                   help="the CURVE server's public certificate (with --cert-client-secret)")
    p.add_argument("--auth-certs-dir", metavar="DIR",
                   help="run pyzmq's ThreadAuthenticator admitting the CURVE clients "
                        "whose certificates are in DIR (zmq.auth.load_certificates)")
    a = p.parse_args()

    if a.create_certs:
        create_certs(a.create_certs, a.cert_names.split(","))
        return

    out("VERSION pyzmq=%s libzmq=%s curve=%s" % (zmq.__version__, zmq.zmq_version(), zmq.has("curve")))
    ctx = zmq.Context()
    sock = ctx.socket(getattr(zmq, a.role.upper()))
    sock.rcvtimeo = a.timeout_ms
    sock.sndtimeo = a.timeout_ms
    sock.linger = a.timeout_ms

    if a.curve_server:
        public, secret = zmq.curve_keypair()
        sock.curve_server = True
        sock.curve_secretkey = secret
        out("SERVERKEY " + public.decode())
    auth = None
    if a.auth_certs_dir:
        from zmq.auth.thread import ThreadAuthenticator

        auth = ThreadAuthenticator(ctx)
        auth.start()
        auth.configure_curve(domain="*", location=a.auth_certs_dir)
    if a.cert_server_secret:
        public, secret = zmq.auth.load_certificate(a.cert_server_secret)
        if secret is None:
            fail("no secret key in " + a.cert_server_secret)
        sock.curve_server = True
        sock.curve_publickey = public
        sock.curve_secretkey = secret
        out("SERVERKEY " + public.decode())
    if a.cert_client_secret:
        public, secret = zmq.auth.load_certificate(a.cert_client_secret)
        server_public, _ = zmq.auth.load_certificate(a.cert_server_public)
        if secret is None:
            fail("no secret key in " + a.cert_client_secret)
        sock.curve_publickey = public
        sock.curve_secretkey = secret
        sock.curve_serverkey = server_public
        out("CLIENTKEY " + public.decode())
    if a.curve_serverkey:
        public, secret = zmq.curve_keypair()
        sock.curve_publickey = public
        sock.curve_secretkey = secret
        sock.curve_serverkey = a.curve_serverkey.encode()
        out("CLIENTKEY " + public.decode())
    mon = sock.get_monitor_socket() if a.expect_refusal else None
    if a.role == "sub":
        for topic in SUBSCRIPTIONS:
            sock.setsockopt(zmq.SUBSCRIBE, topic)
    if a.identity is not None:
        sock.routing_id = a.identity.encode()

    if a.wait_go:
        # "GO" or "GO <endpoint>": the test may give the endpoint only now (it binds
        # after it has set this peer's server key, which must be set before a bind).
        deadline = time.monotonic() + a.timeout_ms / 1000.0
        while True:
            line = stdin_line(0.05)
            if line is not None and line.split()[:1] == ["GO"]:
                a.endpoint = line[2:].strip() or a.endpoint
                break
            if time.monotonic() > deadline:
                fail("no GO from the test")
    if a.endpoint.endswith(":*"):
        sock.bind(a.endpoint)
        out("ENDPOINT " + sock.last_endpoint.decode())
    else:
        sock.connect(a.endpoint)

    if a.expect_refusal:
        refused(a, sock, mon)
    elif a.role == "rep" and (a.cert_server_secret or a.auth_certs_dir):
        for i in range(a.count):
            try:
                frames = sock.recv_multipart(copy=False)
            except zmq.Again:
                fail("timed out waiting for request %d" % i)
            try:
                user_id = frames[0].get("User-Id")
            except zmq.ZMQError:  # no ZAP handler: the property is absent
                user_id = ""
            out("USERID " + user_id)
            frames = [f.bytes for f in frames]
            show(frames)
            send(sock, [b"reply"] + frames, "reply %d" % i)
    elif a.role == "rep":
        for i in range(a.count):
            frames = recv(sock, "request %d" % i)
            show(frames)
            send(sock, [b"reply"] + frames, "reply %d" % i)
    elif a.role == "req" or a.role == "dealer":
        for i in range(a.count):
            send(sock, message(i), "request %d" % i)
            show(recv(sock, "reply %d" % i))
    elif a.role == "router":
        for i in range(a.count):
            frames = recv(sock, "request %d" % i)
            out("ROUTING_ID " + frames[0].hex())
            show(frames[1:])
            send(sock, [frames[0], b"reply"] + frames[1:], "reply %d" % i)
    elif a.role == "push":
        for i in range(a.count):
            send(sock, message(i), "message %d" % i)
    elif a.role == "pull":
        for i in range(a.count):
            show(recv(sock, "message %d" % i))
    elif a.role == "pub":
        deadline = time.monotonic() + a.timeout_ms / 1000.0
        while True:
            send(sock, [b"sync"], "sync")
            line = stdin_line(0.05)
            if line == "GO":
                break
            if time.monotonic() > deadline:
                fail("no GO from the subscriber")
        for frames in PUBLISHED:
            send(sock, frames, "published message")
    elif a.role == "sub":
        first = recv(sock, "the first sync message")
        if first != [b"sync"]:
            fail("the first message was not a sync message: %r" % first)
        out("READY")
        while True:
            frames = recv(sock, "published messages")
            if frames == [b"sync"]:
                continue
            show(frames)
            if frames == [b"end"]:
                break
    sock.close()
    if mon is not None:
        mon.close()
    if auth is not None:
        auth.stop()
    ctx.term()
    out("DONE")


def create_certs(directory, names):
    """Certificates written by pyzmq itself, as its users make them."""
    import os
    import zmq.auth

    for name in names:
        public, secret = zmq.auth.create_certificates(
            directory, name, metadata={"name": "pyzmq " + name}
        )
        mode = os.stat(secret).st_mode & 0o777
        out("CERT %s %s %s %03o" % (name, public, secret, mode))
    out("DONE")


def refused(a, sock, mon):
    """CURVE with a wrong key: the handshake fails, and nothing passes either way."""
    seen = []
    if a.role == "rep":
        # Server: wait for the failed handshake, then make sure no request came in.
        deadline = time.monotonic() + a.timeout_ms / 1000.0
        while not any(e.startswith("HANDSHAKE_FAILED") for e in seen):
            if time.monotonic() > deadline:
                fail("no failed handshake seen; events: %r" % seen)
            mon.poll(100)
            drain_monitor(mon, seen)
        if sock.poll(500):
            fail("a request came through: %r" % sock.recv_multipart())
        drain_monitor(mon, seen)
        out("NOMESSAGE")
    elif a.role == "req":
        # Client: ask, then wait until the test says STOP (it has seen the server
        # refuse us); no reply may come meanwhile.
        send(sock, message(0), "request")
        deadline = time.monotonic() + a.timeout_ms / 1000.0
        while stdin_line(0.05) != "STOP":
            if sock.poll(0):
                fail("a reply came through: %r" % sock.recv_multipart())
            drain_monitor(mon, seen)
            if time.monotonic() > deadline:
                fail("no STOP from the test")
        if sock.poll(0):
            fail("a reply came through: %r" % sock.recv_multipart())
        drain_monitor(mon, seen)
        out("NOREPLY")
    else:
        fail("--expect-refusal is for req and rep")
    if "HANDSHAKE_SUCCEEDED" in seen:
        fail("the handshake succeeded with a wrong key")
    sock.linger = 0


if __name__ == "__main__":
    main()
