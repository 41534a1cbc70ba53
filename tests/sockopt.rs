//! Socket options change what sockets do: each test sets options through the typed
//! methods and checks the behaviour libzmq documents for them, over `inproc://` or
//! `tcp://127.0.0.1:*` only.

mod common;

use std::thread::sleep;
use std::time::{Duration, Instant};

use common::net::{bind_loopback, socket};
use common::wait_for;
use zmq::{
    Context, Error, Mechanism, Message, PollEvents, RecvFlags, SendFlags, Socket, DEALER, PAIR,
    PUB, PULL, PUSH, REP, REQ, ROUTER, SUB, XPUB,
};

const NONE: SendFlags = SendFlags::empty();
const WAIT: RecvFlags = RecvFlags::empty();
/// How long a blocking send or receive may wait: a test that goes wrong fails
/// with `EAGAIN` instead of hanging.
const PATIENCE: Duration = Duration::from_secs(5);

/// Every message waiting now, without blocking.
fn drain(socket: &Socket) -> Vec<Vec<u8>> {
    std::iter::from_fn(|| socket.recv_bytes(RecvFlags::DONTWAIT).ok()).collect()
}

#[test]
fn subscribe_filters_and_unsubscribe_stops() {
    let ctx = Context::new().unwrap();
    let publisher = socket(&ctx, PUB, PATIENCE);
    publisher.bind("inproc://sockopt-subscribe").unwrap();
    let subscriber = socket(&ctx, SUB, PATIENCE);
    subscriber.set_subscribe(b"weather").unwrap();
    subscriber.connect("inproc://sockopt-subscribe").unwrap();

    // The subscription reaches the publisher asynchronously: publish until some
    // messages come through.
    let mut received = Vec::new();
    for i in 0..1000 {
        publisher.send(format!("news {i}"), NONE).unwrap();
        publisher.send(format!("weather {i}"), NONE).unwrap();
        received.extend(drain(&subscriber));
        if received.len() >= 5 {
            break;
        }
        sleep(Duration::from_millis(2));
    }
    assert!(received.len() >= 5, "the subscription never took effect");
    assert!(
        received.iter().all(|m| m.starts_with(b"weather")),
        "{received:?}"
    );

    // SUB filters what it has queued too, so nothing of "weather" gets through
    // once the call returns.
    subscriber.set_unsubscribe(b"weather").unwrap();
    subscriber.set_subscribe(b"news").unwrap();
    let mut received = Vec::new();
    for i in 0..1000 {
        publisher.send(format!("weather {i}"), NONE).unwrap();
        publisher.send(format!("news {i}"), NONE).unwrap();
        received.extend(drain(&subscriber));
        if received.len() >= 5 {
            break;
        }
        sleep(Duration::from_millis(2));
    }
    assert!(
        received.len() >= 5,
        "the new subscription never took effect"
    );
    assert!(
        received.iter().all(|m| m.starts_with(b"news")),
        "{received:?}"
    );
}

#[test]
fn invert_matching_delivers_the_rest() {
    let ctx = Context::new().unwrap();
    let publisher = socket(&ctx, PUB, PATIENCE);
    publisher.set_invert_matching(true).unwrap();
    publisher.bind("inproc://sockopt-invert").unwrap();
    let subscriber = socket(&ctx, SUB, PATIENCE);
    subscriber.set_invert_matching(true).unwrap();
    assert_eq!(subscriber.get_invert_matching(), Ok(true));
    subscriber.set_subscribe(b"skip").unwrap();
    subscriber.connect("inproc://sockopt-invert").unwrap();
    let mut received = Vec::new();
    for i in 0..1000 {
        publisher.send(format!("skip {i}"), NONE).unwrap();
        publisher.send(format!("keep {i}"), NONE).unwrap();
        received.extend(drain(&subscriber));
        if received.len() >= 5 {
            break;
        }
        sleep(Duration::from_millis(2));
    }
    assert!(received.len() >= 5);
    assert!(
        received.iter().all(|m| m.starts_with(b"keep")),
        "{received:?}"
    );
}

#[test]
fn routing_id_is_the_identity_frame_at_a_router() {
    let ctx = Context::new().unwrap();
    let router = socket(&ctx, ROUTER, PATIENCE);
    router.bind("inproc://sockopt-routing-id").unwrap();
    let dealer = socket(&ctx, DEALER, PATIENCE);
    dealer.set_routing_id(b"peer-7").unwrap();
    assert_eq!(dealer.get_routing_id().unwrap(), b"peer-7");
    dealer.connect("inproc://sockopt-routing-id").unwrap();

    dealer.send("hello", NONE).unwrap();
    assert_eq!(
        router.recv_multipart(WAIT).unwrap(),
        [b"peer-7".to_vec(), b"hello".to_vec()]
    );
    // And the router reaches the dealer by that id.
    router
        .send_multipart([&b"peer-7"[..], b"back"], NONE)
        .unwrap();
    assert_eq!(dealer.recv_bytes(WAIT).unwrap(), b"back");
}

#[test]
fn connect_routing_id_names_the_peer_of_the_next_connection() {
    let ctx = Context::new().unwrap();
    let server = socket(&ctx, ROUTER, PATIENCE);
    server.set_routing_id(b"server").unwrap();
    server.bind("inproc://sockopt-connect-rid").unwrap();
    let client = socket(&ctx, ROUTER, PATIENCE);
    client.set_routing_id(b"client").unwrap();
    client.set_router_mandatory(true).unwrap();
    client.set_connect_routing_id(b"my-server").unwrap();
    client.connect("inproc://sockopt-connect-rid").unwrap();

    // Reachable under the name we chose, not the one the server gave itself.
    wait_for("the server's name", Duration::from_secs(5), || match client
        .send_multipart([&b"my-server"[..], b"ping"], NONE)
    {
        Ok(()) => true,
        Err(Error::EHOSTUNREACH) => false,
        Err(e) => panic!("{e:?}"),
    });
    assert_eq!(
        server.recv_multipart(WAIT).unwrap(),
        [b"client".to_vec(), b"ping".to_vec()]
    );
    assert_eq!(
        client.send_multipart([&b"server"[..], b"ping"], NONE),
        Err(Error::EHOSTUNREACH)
    );
}

#[test]
fn probe_router_announces_the_dealer() {
    let ctx = Context::new().unwrap();
    let router = socket(&ctx, ROUTER, PATIENCE);
    router.bind("inproc://sockopt-probe").unwrap();
    let dealer = socket(&ctx, DEALER, PATIENCE);
    dealer.set_routing_id(b"prober").unwrap();
    dealer.set_probe_router(true).unwrap();
    dealer.connect("inproc://sockopt-probe").unwrap();
    // The dealer sent nothing itself: the empty probe is libzmq's.
    assert_eq!(
        router.recv_multipart(WAIT).unwrap(),
        [b"prober".to_vec(), Vec::new()]
    );
}

#[test]
fn router_mandatory_reports_unknown_peers() {
    let ctx = Context::new().unwrap();
    let router = socket(&ctx, ROUTER, PATIENCE);
    router.bind("inproc://sockopt-mandatory").unwrap();
    // By default an unroutable message is dropped silently.
    router
        .send_multipart([&b"nobody"[..], b"hi"], NONE)
        .unwrap();
    router.set_router_mandatory(true).unwrap();
    assert_eq!(
        router.send_multipart([&b"nobody"[..], b"hi"], NONE),
        Err(Error::EHOSTUNREACH)
    );
}

#[test]
fn linger_reads_back_and_zero_drops_pending_messages() {
    let ctx = Context::new().unwrap();
    let push = ctx.socket(PUSH).unwrap();
    assert_eq!(push.get_linger(), Ok(-1));
    push.set_linger(250).unwrap();
    assert_eq!(push.get_linger(), Ok(250));
    push.set_linger(0).unwrap();
    assert_eq!(push.get_linger(), Ok(0));

    // A message queued for a peer that never comes: with linger 0, closing the
    // socket and the context does not wait for it.
    push.connect("inproc://sockopt-linger-nobody").unwrap();
    push.send("stuck", SendFlags::DONTWAIT).unwrap();
    let (done, finished) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        drop(push);
        drop(ctx);
        done.send(()).unwrap();
    });
    finished
        .recv_timeout(Duration::from_secs(10))
        .expect("closing with ZMQ_LINGER = 0 blocked");
}

#[test]
fn rcvmore_is_true_between_frames() {
    let ctx = Context::new().unwrap();
    let a = socket(&ctx, PAIR, PATIENCE);
    a.bind("inproc://sockopt-rcvmore").unwrap();
    let b = socket(&ctx, PAIR, PATIENCE);
    b.connect("inproc://sockopt-rcvmore").unwrap();
    a.send_multipart(["one", "two", "three"], NONE).unwrap();
    let mut msg = Message::new();
    let mut more = Vec::new();
    for expected in ["one", "two", "three"] {
        b.recv_msg(&mut msg, WAIT).unwrap();
        assert_eq!(msg.as_str(), Some(expected));
        more.push(b.get_rcvmore().unwrap());
    }
    assert_eq!(more, [true, true, false]);
}

#[test]
fn last_endpoint_holds_the_ephemeral_port() {
    let ctx = Context::new().unwrap();
    let rep = socket(&ctx, REP, PATIENCE);
    assert_eq!(rep.get_last_endpoint().unwrap(), "");
    let endpoint = bind_loopback(&rep);
    let port = endpoint.strip_prefix("tcp://127.0.0.1:").expect(&endpoint);
    assert_ne!(port.parse::<u16>().expect(port), 0);

    // It is the endpoint to connect to.
    let req = socket(&ctx, REQ, PATIENCE);
    req.connect(&endpoint).unwrap();
    req.send("ping", NONE).unwrap();
    assert_eq!(rep.recv_bytes(WAIT).unwrap(), b"ping");
    rep.send("pong", NONE).unwrap();
    assert_eq!(req.recv_bytes(WAIT).unwrap(), b"pong");
}

#[test]
fn rcvtimeo_and_sndtimeo_give_eagain() {
    let ctx = Context::new().unwrap();
    let pull = ctx.socket(PULL).unwrap();
    pull.set_rcvtimeo(50).unwrap();
    assert_eq!(pull.get_rcvtimeo(), Ok(50));
    let started = Instant::now();
    assert_eq!(pull.recv_bytes(WAIT), Err(Error::EAGAIN));
    let waited = started.elapsed();
    assert!(
        waited >= Duration::from_millis(40) && waited < Duration::from_secs(5),
        "{waited:?}"
    );

    let push = ctx.socket(PUSH).unwrap();
    push.set_linger(0).unwrap();
    push.set_sndtimeo(50).unwrap();
    // No peer: nowhere to send.
    assert_eq!(push.send("x", NONE), Err(Error::EAGAIN));
}

#[test]
fn maxmsgsize_disconnects_a_peer_sending_more() {
    let ctx = Context::new().unwrap();
    let server = socket(&ctx, PULL, PATIENCE);
    server.set_maxmsgsize(100).unwrap();
    assert_eq!(server.get_maxmsgsize(), Ok(100));
    let endpoint = bind_loopback(&server);

    let rude = socket(&ctx, PUSH, PATIENCE);
    rude.set_reconnect_ivl(-1).unwrap();
    rude.connect(&endpoint).unwrap();
    rude.send(vec![b'x'; 101], NONE).unwrap();
    sleep(Duration::from_millis(300));

    let polite = socket(&ctx, PUSH, PATIENCE);
    polite.connect(&endpoint).unwrap();
    polite.send("small", NONE).unwrap();
    polite.send(vec![b'y'; 100], NONE).unwrap();

    // The polite peer's messages arrive (100 bytes is still allowed) ...
    assert_eq!(server.recv_bytes(WAIT).unwrap(), b"small");
    assert_eq!(server.recv_bytes(WAIT).unwrap(), vec![b'y'; 100]);
    // ... the oversized one never does.
    server.set_rcvtimeo(300).unwrap();
    assert_eq!(server.recv_bytes(WAIT), Err(Error::EAGAIN));
}

#[test]
fn events_report_what_the_socket_can_do() {
    let ctx = Context::new().unwrap();
    let a = socket(&ctx, PAIR, PATIENCE);
    a.bind("inproc://sockopt-events").unwrap();
    assert_eq!(a.get_events(), Ok(PollEvents::empty()));
    let b = socket(&ctx, PAIR, PATIENCE);
    b.connect("inproc://sockopt-events").unwrap();
    assert_eq!(b.get_events(), Ok(PollEvents::POLLOUT));

    b.send("x", NONE).unwrap();
    wait_for("POLLIN", Duration::from_secs(5), || {
        a.get_events().unwrap().contains(PollEvents::POLLIN)
    });
    assert_eq!(a.recv_bytes(WAIT).unwrap(), b"x");
    assert!(!a.get_events().unwrap().contains(PollEvents::POLLIN));
}

#[test]
fn xpub_welcome_message_and_verbose_subscriptions() {
    let ctx = Context::new().unwrap();
    let xpub = socket(&ctx, XPUB, PATIENCE);
    xpub.set_xpub_welcome_msg(b"welcome").unwrap();
    xpub.set_xpub_verbose(true).unwrap();
    xpub.bind("inproc://sockopt-xpub").unwrap();
    let subscribers = [socket(&ctx, SUB, PATIENCE), socket(&ctx, SUB, PATIENCE)];
    for subscriber in &subscribers {
        subscriber.set_subscribe(b"").unwrap();
        subscriber.connect("inproc://sockopt-xpub").unwrap();
    }
    // The XPUB attaches its new peers (and sends them the welcome message) as it
    // processes commands, here while receiving. Verbose: the duplicate subscription
    // to "" is passed on too.
    assert_eq!(xpub.recv_bytes(WAIT).unwrap(), [1]);
    assert_eq!(xpub.recv_bytes(WAIT).unwrap(), [1]);
    for subscriber in &subscribers {
        assert_eq!(subscriber.recv_bytes(WAIT).unwrap(), b"welcome");
    }
}

#[test]
fn conflate_keeps_only_the_last_message() {
    let ctx = Context::new().unwrap();
    let pull = socket(&ctx, PULL, PATIENCE);
    pull.set_conflate(true).unwrap();
    assert_eq!(pull.get_conflate(), Ok(true));
    let endpoint = bind_loopback(&pull);
    let push = socket(&ctx, PUSH, PATIENCE);
    push.connect(&endpoint).unwrap();
    // Five messages, read after a pause: only the last one is there. (A PULL that
    // does not conflate gives the first, whenever it reads.) On a loaded machine the
    // pause may end before all five have arrived: then that round reads on, in
    // order, to its fifth, and the next round pauses twice as long.
    let mut pause = Duration::from_millis(300);
    for round in 0..5 {
        for i in 1..=5 {
            push.send(format!("{round}:{i}"), NONE).unwrap();
        }
        sleep(pause);
        let index = |msg: Vec<u8>| -> u32 {
            let text = String::from_utf8(msg).unwrap();
            let (r, i) = text.split_once(':').unwrap();
            assert_eq!(r, round.to_string(), "{text}");
            i.parse().unwrap()
        };
        let mut last = index(pull.recv_bytes(WAIT).unwrap());
        if last == 5 {
            assert_eq!(pull.recv_bytes(RecvFlags::DONTWAIT), Err(Error::EAGAIN));
            return;
        }
        while last < 5 {
            let next = index(pull.recv_bytes(WAIT).unwrap());
            assert!(next > last, "{next} after {last}");
            last = next;
        }
        pause *= 2;
    }
    panic!("five rounds, and never only the last message");
}

#[test]
fn req_relaxed_allows_a_new_request() {
    let ctx = Context::new().unwrap();
    let rep = socket(&ctx, REP, PATIENCE);
    rep.bind("inproc://sockopt-relaxed").unwrap();
    let req = socket(&ctx, REQ, PATIENCE);
    req.set_req_relaxed(true).unwrap();
    req.set_req_correlate(true).unwrap();
    req.connect("inproc://sockopt-relaxed").unwrap();
    req.send("first", NONE).unwrap();
    req.send("second", NONE).unwrap();
    assert_eq!(rep.recv_bytes(WAIT).unwrap(), b"first");
    rep.send("late reply", NONE).unwrap();
    assert_eq!(rep.recv_bytes(WAIT).unwrap(), b"second");
    rep.send("reply", NONE).unwrap();
    // Correlation drops the reply to the abandoned request.
    assert_eq!(req.recv_bytes(WAIT).unwrap(), b"reply");
}

/// A ZAP handler (RFC 27) in a thread, accepting user "admin" with password "secret":
/// answers `requests` requests, then returns the `(user, password)` pairs it saw.
fn plain_zap_handler(
    ctx: &Context,
    requests: usize,
) -> std::thread::JoinHandle<Vec<(Vec<u8>, Vec<u8>)>> {
    let zap = socket(ctx, REP, PATIENCE);
    zap.bind("inproc://zeromq.zap.01").unwrap();
    std::thread::spawn(move || {
        let mut seen = Vec::new();
        for _ in 0..requests {
            // version, request id, domain, address, routing id, mechanism, user, password
            let frames = zap.recv_multipart(WAIT).unwrap();
            assert_eq!(
                (&frames[0][..], &frames[5][..]),
                (&b"1.0"[..], &b"PLAIN"[..])
            );
            let ok = frames[6] == b"admin" && frames[7] == b"secret";
            let status: &[u8] = if ok { b"200" } else { b"400" };
            zap.send_multipart(
                [&b"1.0"[..], &frames[1], status, b"", &frames[6], b""],
                NONE,
            )
            .unwrap();
            seen.push((frames[6].clone(), frames[7].clone()));
        }
        seen
    })
}

#[test]
fn plain_credentials_select_plain_and_reach_zap() {
    let ctx = Context::new().unwrap();
    let handler = plain_zap_handler(&ctx, 2);
    let server = socket(&ctx, PULL, PATIENCE);
    server.set_plain_server(true).unwrap();
    assert_eq!(server.get_plain_server(), Ok(true));
    assert_eq!(server.get_mechanism(), Ok(Mechanism::Plain));
    let endpoint = bind_loopback(&server);

    let client = socket(&ctx, PUSH, PATIENCE);
    client.set_plain_username("admin").unwrap();
    client.set_plain_password("secret").unwrap();
    assert_eq!(client.get_mechanism(), Ok(Mechanism::Plain));
    assert_eq!(client.get_plain_server(), Ok(false));
    assert_eq!(client.get_plain_password().unwrap(), "secret");
    client.connect(&endpoint).unwrap();
    client.send("over PLAIN", NONE).unwrap();
    assert_eq!(server.recv_bytes(WAIT).unwrap(), b"over PLAIN");

    // A wrong password is refused by the handler, a NULL client by the mechanism.
    let intruder = socket(&ctx, PUSH, PATIENCE);
    intruder.set_reconnect_ivl(-1).unwrap();
    intruder.set_plain_username("admin").unwrap();
    intruder.set_plain_password("guess").unwrap();
    intruder.connect(&endpoint).unwrap();
    intruder.send("let me in", NONE).unwrap();
    let null_client = socket(&ctx, PUSH, PATIENCE);
    null_client.set_reconnect_ivl(-1).unwrap();
    null_client.connect(&endpoint).unwrap();
    null_client.send("over NULL", NONE).unwrap();
    server.set_rcvtimeo(300).unwrap();
    assert_eq!(server.recv_bytes(WAIT), Err(Error::EAGAIN));
    let seen = handler.join().unwrap();
    assert_eq!(
        seen,
        [
            (b"admin".to_vec(), b"secret".to_vec()),
            (b"admin".to_vec(), b"guess".to_vec())
        ]
    );
}

#[cfg(feature = "curve")]
#[test]
fn curve_encrypts_and_authenticates_the_server() {
    assert!(
        zmq::has("curve"),
        "the `curve` feature is on but libzmq lacks CURVE"
    );
    let ctx = Context::new().unwrap();
    let (server_public, server_secret) = zmq::curve_keypair().unwrap();
    let (client_public, client_secret) = zmq::curve_keypair().unwrap();

    let server = socket(&ctx, REP, PATIENCE);
    server.set_curve_server(true).unwrap();
    server
        .set_curve_secretkey(server_secret.as_bytes())
        .unwrap();
    assert_eq!(server.get_curve_server(), Ok(true));
    assert_eq!(server.get_mechanism(), Ok(Mechanism::Curve));
    assert_eq!(server.get_curve_secretkey_z85().unwrap(), server_secret);
    let endpoint = bind_loopback(&server);

    let client = socket(&ctx, REQ, PATIENCE);
    client
        .set_curve_serverkey(server_public.as_bytes())
        .unwrap();
    client
        .set_curve_publickey(client_public.as_bytes())
        .unwrap();
    client
        .set_curve_secretkey(client_secret.as_bytes())
        .unwrap();
    assert_eq!(client.get_curve_serverkey_z85().unwrap(), server_public);
    assert_eq!(client.get_curve_publickey().unwrap().len(), 32);
    client.connect(&endpoint).unwrap();
    client.send("over CURVE", NONE).unwrap();
    assert_eq!(server.recv_bytes(WAIT).unwrap(), b"over CURVE");
    server.send("ok", NONE).unwrap();
    assert_eq!(client.recv_bytes(WAIT).unwrap(), b"ok");

    // A client that expects another server key never gets through.
    let (wrong_public, _) = zmq::curve_keypair().unwrap();
    let impostor = socket(&ctx, REQ, PATIENCE);
    impostor
        .set_curve_serverkey(wrong_public.as_bytes())
        .unwrap();
    impostor
        .set_curve_publickey(client_public.as_bytes())
        .unwrap();
    impostor
        .set_curve_secretkey(client_secret.as_bytes())
        .unwrap();
    impostor.connect(&endpoint).unwrap();
    impostor.send("let me in", NONE).unwrap();
    server.set_rcvtimeo(300).unwrap();
    assert_eq!(server.recv_bytes(WAIT), Err(Error::EAGAIN));
}

#[cfg(target_os = "linux")]
mod kernel {
    use super::*;
    use std::mem::{size_of, zeroed};
    use std::os::fd::RawFd;

    /// The local and peer ports of a TCP/IPv4 socket on 127.0.0.1, if `fd` is one.
    fn loopback_ports(fd: RawFd) -> Option<(u16, u16)> {
        let port = |f: unsafe extern "C" fn(
            libc::c_int,
            *mut libc::sockaddr,
            *mut libc::socklen_t,
        ) -> libc::c_int| {
            // SAFETY: an all-zero sockaddr_in is a valid value.
            let mut addr: libc::sockaddr_in = unsafe { zeroed() };
            let mut len = size_of::<libc::sockaddr_in>() as libc::socklen_t;
            let addr_ptr: *mut libc::sockaddr_in = &mut addr;
            // SAFETY: f is getsockname or getpeername, given a buffer of `len` bytes
            // that it writes at most `len` bytes into; a bad fd only gives an error.
            let rc = unsafe { f(fd, addr_ptr.cast(), &mut len) };
            let loopback = u32::from(std::net::Ipv4Addr::LOCALHOST).to_be();
            (rc == 0
                && addr.sin_family == libc::AF_INET as libc::sa_family_t
                && addr.sin_addr.s_addr == loopback)
                .then(|| u16::from_be(addr.sin_port))
        };
        Some((port(libc::getsockname)?, port(libc::getpeername)?))
    }

    fn int_option(fd: RawFd, level: libc::c_int, name: libc::c_int) -> libc::c_int {
        let mut value: libc::c_int = -1;
        let mut len = size_of::<libc::c_int>() as libc::socklen_t;
        let value_ptr: *mut libc::c_int = &mut value;
        // SAFETY: getsockopt writes at most `len` bytes into the c_int we own.
        let rc = unsafe { libc::getsockopt(fd, level, name, value_ptr.cast(), &mut len) };
        assert_eq!(rc, 0, "getsockopt({fd}, {level}, {name})");
        value
    }

    /// The descriptors of this process that are TCP connections between the loopback
    /// port `port` and another one: `(fd, local port, peer port)`.
    fn connections_to(port: u16) -> Vec<(RawFd, u16, u16)> {
        std::fs::read_dir("/proc/self/fd")
            .unwrap()
            .filter_map(|entry| entry.ok()?.file_name().to_str()?.parse::<RawFd>().ok())
            .filter_map(|fd| {
                let (local, peer) = loopback_ports(fd)?;
                (local == port || peer == port).then_some((fd, local, peer))
            })
            .collect()
    }

    #[test]
    fn tcp_keepalive_options_reach_the_kernel() {
        let ctx = Context::new().unwrap();
        let server = socket(&ctx, ROUTER, PATIENCE);
        let endpoint = bind_loopback(&server);
        let port: u16 = endpoint.rsplit(':').next().unwrap().parse().unwrap();

        let client = socket(&ctx, DEALER, PATIENCE);
        client.set_tcp_keepalive(1).unwrap();
        client.set_tcp_keepalive_idle(42).unwrap();
        client.set_tcp_keepalive_cnt(5).unwrap();
        client.set_tcp_keepalive_intvl(7).unwrap();
        assert_eq!(
            (
                client.get_tcp_keepalive(),
                client.get_tcp_keepalive_idle(),
                client.get_tcp_keepalive_cnt(),
                client.get_tcp_keepalive_intvl()
            ),
            (Ok(1), Ok(42), Ok(5), Ok(7))
        );
        client.connect(&endpoint).unwrap();
        client.send("hello", NONE).unwrap();
        assert_eq!(server.recv_multipart(WAIT).unwrap()[1], b"hello");

        // The client's end of the connection has the server's port as its peer; the
        // server's accepted end has it as its local port. libzmq tunes the client's
        // socket when the connection completes, which the message proves.
        let connections = connections_to(port);
        let client_end = connections.iter().find(|&&(_, _, peer)| peer == port);
        let server_end = connections.iter().find(|&&(_, local, _)| local == port);
        let (&(client_fd, ..), &(server_fd, ..)) = (
            client_end.expect("client end"),
            server_end.expect("server end"),
        );
        assert_eq!(
            int_option(client_fd, libc::SOL_SOCKET, libc::SO_KEEPALIVE),
            1
        );
        assert_eq!(
            int_option(client_fd, libc::IPPROTO_TCP, libc::TCP_KEEPIDLE),
            42
        );
        assert_eq!(
            int_option(client_fd, libc::IPPROTO_TCP, libc::TCP_KEEPCNT),
            5
        );
        assert_eq!(
            int_option(client_fd, libc::IPPROTO_TCP, libc::TCP_KEEPINTVL),
            7
        );
        // The server left the options at their defaults: keepalive is off there.
        assert_eq!(
            int_option(server_fd, libc::SOL_SOCKET, libc::SO_KEEPALIVE),
            0
        );
    }
}
