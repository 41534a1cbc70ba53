//! Bad arguments to every safe entry point: each case must give a clear `Err` with
//! the exact errno (or, where libzmq accepts the value, `Ok`, noted), and nothing may
//! panic. The expectations follow libzmq 4.3's checks (src/options.cpp,
//! socket_base.cpp, ctx.cpp, zmq_utils.cpp) and the crate's own (NUL bytes, Z85
//! alphabet, empty `poll`).
//!
//! Using a socket after `close()` cannot be written: `Socket::close` takes the
//! socket by value, so the compiler rejects any later use (and `Drop` closes it
//! exactly once); likewise `Context::term` consumes its handle.
#![forbid(unsafe_code)]

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::mpsc;
use std::thread;
use std::time::{Duration, Instant};

#[cfg_attr(not(unix), allow(unused_imports))] // PollItem: the fd cases are unix-only
use zmq::{
    Context, Error, Message, MonitorEvents, PollEvents, PollItem, RecvFlags, SendFlags, SocketType,
};

/// What a case must return.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Expect {
    /// `Err` with exactly this errno.
    Err(Error),
    /// `Ok`: libzmq accepts the value (each such case says why).
    Ok,
}

type Check<'a> = Box<dyn FnOnce() -> zmq::Result<()> + 'a>;

struct Table<'a> {
    cases: Vec<(String, Check<'a>, Expect)>,
}

impl<'a> Table<'a> {
    fn err<T>(&mut self, what: &str, expected: Error, f: impl FnOnce() -> zmq::Result<T> + 'a) {
        self.cases.push((
            what.to_string(),
            Box::new(move || f().map(drop)),
            Expect::Err(expected),
        ));
    }

    fn ok<T>(&mut self, what: &str, f: impl FnOnce() -> zmq::Result<T> + 'a) {
        self.cases.push((
            what.to_string(),
            Box::new(move || f().map(drop)),
            Expect::Ok,
        ));
    }
}

const ENAMETOOLONG: Error = Error::from_raw(libc::ENAMETOOLONG);
#[cfg(unix)]
const EBADF: Error = Error::from_raw(libc::EBADF);

#[test]
fn bad_arguments_give_exact_errors() {
    // The whole table runs on a watchdog thread: a case that blocks fails the test.
    let (tx, rx) = mpsc::channel();
    thread::spawn(move || {
        let _ = tx.send(run_table());
    });
    let (ran, expected_count, failures) = rx
        .recv_timeout(Duration::from_secs(120))
        .expect("the bad-argument table did not finish within 120 s (a call blocked?)");
    println!("{ran} bad-argument cases ran (table of {expected_count})");
    assert_eq!(ran, expected_count, "every case of the table must run");
    assert!(
        failures.is_empty(),
        "{} of {ran} cases failed:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

fn run_table() -> (usize, usize, Vec<String>) {
    let ctx = Context::new().expect("context");
    let s = ctx.socket(SocketType::Dealer).expect("dealer");
    s.set_linger(0).expect("linger");
    let req = ctx.socket(SocketType::Req).expect("req");
    req.set_linger(0).expect("linger");
    let sub = ctx.socket(SocketType::Sub).expect("sub");
    let publisher = ctx.socket(SocketType::Pub).expect("pub");
    let push = ctx.socket(SocketType::Push).expect("push");
    push.set_linger(0).expect("linger");
    let router = ctx.socket(SocketType::Router).expect("router");
    router.set_router_mandatory(true).expect("mandatory");
    let taken = ctx.socket(SocketType::Pair).expect("pair");
    taken.bind("tcp://127.0.0.1:*").expect("bind");
    let taken_endpoint = taken.get_last_endpoint().expect("endpoint");
    taken.bind("inproc://bad-args-taken").expect("inproc bind");
    let c = Context::new().expect("context");
    let long_ipc = format!("ipc:///tmp/{}", "x".repeat(200));

    // A context shut down, with a socket made before.
    let dead = Context::new().expect("context");
    let dead_socket = dead.socket(SocketType::Pair).expect("pair");
    let (dead_a, dead_b) = (
        dead.socket(SocketType::Pull).expect("pull"),
        dead.socket(SocketType::Push).expect("push"),
    );
    dead.shutdown().expect("shutdown");

    let mut t = Table { cases: Vec::new() };

    // Endpoints.
    for (name, endpoint, expected) in [
        ("bind with a NUL byte", "tcp://127.0.0.1:\0", Error::EINVAL),
        ("bind to \"\"", "", Error::EINVAL),
        ("bind to \"tcp://\"", "tcp://", Error::EINVAL),
        ("bind without a port", "tcp://127.0.0.1", Error::EINVAL),
        // libzmq reads the port as atoi() cut to 16 bits (ip_resolver.cpp), so 99999
        // would silently be port 34463: the crate refuses ports above 65535 itself.
        ("bind to port 65536", "tcp://127.0.0.1:65536", Error::EINVAL),
        ("bind to port 99999", "tcp://127.0.0.1:99999", Error::EINVAL),
        ("bind to port \"abc\"", "tcp://127.0.0.1:abc", Error::EINVAL),
        (
            "bind to an unknown transport",
            "bogus://x",
            Error::EPROTONOSUPPORT,
        ),
        ("bind without a transport", "127.0.0.1:5555", Error::EINVAL),
        (
            "bind to \"inproc://\" (empty name)",
            "inproc://",
            Error::EINVAL,
        ),
        (
            "bind to an inproc name in use",
            "inproc://bad-args-taken",
            Error::EADDRINUSE,
        ),
        (
            "bind to a port in use",
            taken_endpoint.as_str(),
            Error::EADDRINUSE,
        ),
        (
            "bind to an ipc path longer than sun_path",
            long_ipc.as_str(),
            // A build without ipc:// (MinGW's, see zmq-sys) refuses the transport.
            if zmq::has("ipc") {
                ENAMETOOLONG
            } else {
                Error::EPROTONOSUPPORT
            },
        ),
        (
            "bind a DEALER to udp://",
            "udp://127.0.0.1:5555",
            Error::ENOCOMPATPROTO,
        ),
    ] {
        let s = &s;
        t.err(name, expected, move || s.bind(endpoint));
    }
    for (name, endpoint, expected) in [
        ("connect with a NUL byte", "tcp://a\0b:1", Error::EINVAL),
        ("connect to \"\"", "", Error::EINVAL),
        ("connect to \"tcp://\"", "tcp://", Error::EINVAL),
        ("connect without a port", "tcp://127.0.0.1", Error::EINVAL),
        ("connect to port *", "tcp://127.0.0.1:*", Error::EINVAL),
        (
            "connect to an unknown transport",
            "bogus://x",
            Error::EPROTONOSUPPORT,
        ),
        (
            "connect to \"inproc://\" (empty name)",
            "inproc://",
            Error::EINVAL,
        ),
        (
            "connect a DEALER to udp://",
            "udp://127.0.0.1:5555",
            Error::ENOCOMPATPROTO,
        ),
    ] {
        let s = &s;
        t.err(name, expected, move || s.connect(endpoint));
    }
    // libzmq would take port 99999 as 99999 % 65536 = 34463, and accept 65536 in
    // connect (it resolves the address later and retries quietly): the crate
    // refuses both before libzmq sees them.
    t.err("connect to port 99999", Error::EINVAL, || {
        s.connect("tcp://127.0.0.1:99999")
    });
    t.err("connect to port 65536", Error::EINVAL, || {
        s.connect("tcp://127.0.0.1:65536")
    });
    t.err("unbind with a NUL byte", Error::EINVAL, || {
        s.unbind("tcp://\0")
    });
    t.err("unbind an endpoint never bound", Error::ENOENT, || {
        s.unbind("tcp://127.0.0.1:1")
    });
    t.err("unbind \"\"", Error::EINVAL, || s.unbind(""));
    t.err("disconnect with a NUL byte", Error::EINVAL, || {
        s.disconnect("\0")
    });
    t.err(
        "disconnect an endpoint never connected",
        Error::ENOENT,
        || s.disconnect("tcp://127.0.0.1:1"),
    );
    t.err("disconnect \"bogus://x\"", Error::EPROTONOSUPPORT, || {
        s.disconnect("bogus://x")
    });

    // String and binary options.
    t.err("routing id of 0 bytes", Error::EINVAL, || {
        s.set_routing_id(b"")
    });
    t.err("routing id of 256 bytes", Error::EINVAL, || {
        s.set_routing_id(&[7u8; 256])
    });
    t.ok(
        "routing id of 255 bytes with NUL bytes (binary is fine)",
        || s.set_routing_id(&[0u8; 255]),
    );
    t.err("connect routing id of 0 bytes", Error::EINVAL, || {
        router.set_connect_routing_id(b"")
    });
    t.err("zap domain with a NUL byte", Error::EINVAL, || {
        s.set_zap_domain("a\0b")
    });
    t.err("zap domain of 256 bytes", Error::EINVAL, || {
        s.set_zap_domain(&"d".repeat(256))
    });
    // libzmq 4.3 takes a zero-length ZAP domain as invalid (it cannot be reset).
    t.err("empty zap domain", Error::EINVAL, || s.set_zap_domain(""));
    t.err("plain username with a NUL byte", Error::EINVAL, || {
        s.set_plain_username("u\0")
    });
    t.err("plain username of 256 bytes", Error::EINVAL, || {
        s.set_plain_username(&"u".repeat(256))
    });
    t.err("plain password of 256 bytes", Error::EINVAL, || {
        s.set_plain_password(&"p".repeat(256))
    });
    t.ok("empty plain username (back to the NULL mechanism)", || {
        s.set_plain_username("")
    });
    t.err("socks proxy with a NUL byte", Error::EINVAL, || {
        s.set_socks_proxy("host\0:1080")
    });
    t.err("bindtodevice of 17 bytes", Error::EINVAL, || {
        s.set_bindtodevice(&"e".repeat(17))
    });
    t.ok("subscribe to bytes with NUL (binary is fine)", || {
        sub.set_subscribe(b"\0topic\0")
    });
    t.err("subscribe on a DEALER", Error::EINVAL, || {
        s.set_subscribe(b"x")
    });
    t.err("xpub_verbose on a DEALER", Error::EINVAL, || {
        s.set_xpub_verbose(true)
    });
    t.err("router_mandatory on a DEALER", Error::EINVAL, || {
        s.set_router_mandatory(true)
    });
    #[allow(deprecated)]
    t.err(
        "tcp accept filter that is not an address",
        Error::EINVAL,
        || s.set_tcp_accept_filter("not-an-address"),
    );
    if zmq::has("curve") {
        t.err("curve public key of 31 bytes", Error::EINVAL, || {
            s.set_curve_publickey(&[1u8; 31])
        });
        t.err("curve secret key of 33 bytes", Error::EINVAL, || {
            s.set_curve_secretkey(&[1u8; 33])
        });
        t.err("curve server key of 0 bytes", Error::EINVAL, || {
            s.set_curve_serverkey(b"")
        });
        t.err("curve key of 40 spaces (not Z85)", Error::EINVAL, || {
            s.set_curve_serverkey(&[b' '; 40])
        });
        t.err(
            "curve key of 41 Z85 characters (no NUL)",
            Error::EINVAL,
            || s.set_curve_serverkey(&[b'a'; 41]),
        );
        t.err(
            "curve key with a value over 2^32 (\"%%%%%\" x 8)",
            Error::EINVAL,
            || s.set_curve_serverkey("%%%%%".repeat(8).as_bytes()),
        );
        t.ok("curve key of 32 binary bytes", || {
            s.set_curve_serverkey(&[0u8; 32])
        });
        // libzmq decodes a 40-byte Z85 key as a C string, so a NUL after 35
        // characters would replace only 28 of the 32 key bytes and succeed; the
        // crate checks the Z85 text first and refuses it.
        t.err(
            "curve key of 40 bytes with a NUL after 35",
            Error::EINVAL,
            || {
                let mut key = "a".repeat(35).into_bytes();
                key.push(0);
                key.extend(b"aaaa");
                s.set_curve_serverkey(&key)
            },
        );
    }

    // Numbers out of range (options.cpp).
    t.err("sndhwm -1", Error::EINVAL, || s.set_sndhwm(-1));
    t.err("rcvhwm -1", Error::EINVAL, || s.set_rcvhwm(-1));
    t.ok("sndhwm 0 (no limit)", || s.set_sndhwm(0));
    t.err("linger -2", Error::EINVAL, || s.set_linger(-2));
    t.ok("linger -1 (forever)", || s.set_linger(-1));
    t.err("sndbuf -2", Error::EINVAL, || s.set_sndbuf(-2));
    t.err("rcvbuf -2", Error::EINVAL, || s.set_rcvbuf(-2));
    t.err("tos -1", Error::EINVAL, || s.set_tos(-1));
    t.ok("tos 256 (libzmq only checks >= 0)", || s.set_tos(256));
    t.err("rate 0", Error::EINVAL, || s.set_rate(0));
    t.err("recovery_ivl -1", Error::EINVAL, || s.set_recovery_ivl(-1));
    t.err("multicast_hops 0", Error::EINVAL, || {
        s.set_multicast_hops(0)
    });
    t.err("multicast_maxtpdu 0", Error::EINVAL, || {
        s.set_multicast_maxtpdu(0)
    });
    t.err("reconnect_ivl -2", Error::EINVAL, || {
        s.set_reconnect_ivl(-2)
    });
    t.ok("reconnect_ivl -1 (no reconnection)", || {
        s.set_reconnect_ivl(-1)
    });
    t.err("reconnect_ivl_max -1", Error::EINVAL, || {
        s.set_reconnect_ivl_max(-1)
    });
    t.err("backlog -1", Error::EINVAL, || s.set_backlog(-1));
    t.err("rcvtimeo -2", Error::EINVAL, || s.set_rcvtimeo(-2));
    t.err("sndtimeo -2", Error::EINVAL, || s.set_sndtimeo(-2));
    t.err("tcp_keepalive 2", Error::EINVAL, || s.set_tcp_keepalive(2));
    t.err("tcp_keepalive_cnt -2", Error::EINVAL, || {
        s.set_tcp_keepalive_cnt(-2)
    });
    t.err("tcp_keepalive_idle -2", Error::EINVAL, || {
        s.set_tcp_keepalive_idle(-2)
    });
    t.err("tcp_keepalive_intvl -2", Error::EINVAL, || {
        s.set_tcp_keepalive_intvl(-2)
    });
    t.err("handshake_ivl -1", Error::EINVAL, || {
        s.set_handshake_ivl(-1)
    });
    t.err("heartbeat_ivl -1", Error::EINVAL, || {
        s.set_heartbeat_ivl(-1)
    });
    t.err("heartbeat_timeout -1", Error::EINVAL, || {
        s.set_heartbeat_timeout(-1)
    });
    t.ok("heartbeat_ttl 6553599 (the largest)", || {
        s.set_heartbeat_ttl(6_553_599)
    });
    t.err("heartbeat_ttl 6553600", Error::EINVAL, || {
        s.set_heartbeat_ttl(6_553_600)
    });
    t.err("heartbeat_ttl -100", Error::EINVAL, || {
        s.set_heartbeat_ttl(-100)
    });
    t.err("connect_timeout -1", Error::EINVAL, || {
        s.set_connect_timeout(-1)
    });
    t.err("tcp_maxrt -1", Error::EINVAL, || s.set_tcp_maxrt(-1));
    // Refused on the raw path whatever the value (bind_with_fd is the safe way).
    t.err("use_fd -2", Error::EINVAL, || {
        s.set_option_raw(zmq::sys::ZMQ_USE_FD, &(-2i32).to_ne_bytes())
    });
    t.ok("maxmsgsize -2 (libzmq does not check int64 values)", || {
        s.set_maxmsgsize(-2)
    });
    t.err("raw ipv6 = 2 (a strict boolean)", Error::EINVAL, || {
        s.set_option_raw(zmq::sys::ZMQ_IPV6, &2i32.to_ne_bytes())
    });
    t.err("raw linger of 1 byte", Error::EINVAL, || {
        s.set_option_raw(zmq::sys::ZMQ_LINGER, &[1])
    });
    t.err("raw linger of 8 bytes", Error::EINVAL, || {
        s.set_option_raw(zmq::sys::ZMQ_LINGER, &[0; 8])
    });
    t.err("raw unknown option 9999", Error::EINVAL, || {
        s.set_option_raw(9999, &[0; 4])
    });
    t.err("raw get of sndhwm into 3 bytes", Error::EINVAL, || {
        s.get_option_raw(zmq::sys::ZMQ_SNDHWM, &mut [0u8; 3])
    });
    t.err("raw get of unknown option 9999", Error::EINVAL, || {
        s.get_option_raw(9999, &mut [0u8; 8])
    });
    t.err(
        "raw get of last_endpoint into 0 bytes",
        Error::EINVAL,
        || taken.get_option_raw(zmq::sys::ZMQ_LAST_ENDPOINT, &mut []),
    );

    // Socket operations in the wrong state or on the wrong type.
    t.err("recv on a REQ before any send", Error::EFSM, || {
        req.recv_bytes(RecvFlags::DONTWAIT)
    });
    t.err("send twice on a REQ", Error::EFSM, || {
        let peer = ctx.socket(SocketType::Rep)?;
        peer.bind("inproc://bad-args-rep")?;
        let r = ctx.socket(SocketType::Req)?;
        r.set_linger(0)?;
        r.connect("inproc://bad-args-rep")?;
        r.send("one", SendFlags::empty())?;
        r.send("two", SendFlags::DONTWAIT)
    });
    t.err("send on a SUB", Error::ENOTSUP, || {
        sub.send("x", SendFlags::DONTWAIT)
    });
    t.err("recv on a PUB", Error::ENOTSUP, || {
        publisher.recv_bytes(RecvFlags::DONTWAIT)
    });
    t.err("recv on a PUSH", Error::ENOTSUP, || {
        push.recv_bytes(RecvFlags::DONTWAIT)
    });
    t.err(
        "send DONTWAIT on a PUSH without peers",
        Error::EAGAIN,
        || push.send("x", SendFlags::DONTWAIT),
    );
    t.err("recv DONTWAIT with nothing queued", Error::EAGAIN, || {
        s.recv_bytes(RecvFlags::DONTWAIT)
    });
    t.err(
        "ROUTER_MANDATORY send to an unknown routing id",
        Error::EHOSTUNREACH,
        || router.send_multipart(["nobody", "x"], SendFlags::DONTWAIT),
    );

    // Socket types.
    t.err("SocketType::try_from(999)", Error::EINVAL, || {
        SocketType::try_from(999)
    });
    t.err("SocketType::try_from(-1)", Error::EINVAL, || {
        SocketType::try_from(-1)
    });
    t.ok(
        "Error from unknown errno values displays without panicking",
        || {
            for code in [0, -1, 1, 155, 156_384_712, 999_999, i32::MAX, i32::MIN] {
                let e = Error::from_raw(code);
                assert!(!e.to_string().is_empty() && !format!("{e:?}").is_empty());
                assert_eq!(e.raw(), code);
                let _ = std::io::Error::from(e);
            }
            Ok(())
        },
    );

    // Context options (ctx.cpp).
    t.err("io_threads -1", Error::EINVAL, || c.set_io_threads(-1));
    t.err("max_sockets 0", Error::EINVAL, || c.set_max_sockets(0));
    t.err("max_msgsz -1", Error::EINVAL, || c.set_max_msgsz(-1));
    t.err("thread_sched_policy -2", Error::EINVAL, || {
        c.set_thread_sched_policy(-2)
    });
    t.err("add_thread_affinity_cpu -1", Error::EINVAL, || {
        c.add_thread_affinity_cpu(-1)
    });
    t.err(
        "remove_thread_affinity_cpu of a CPU never added",
        Error::EINVAL,
        || c.remove_thread_affinity_cpu(3),
    );
    t.err(
        "context set_raw of unknown option 9999",
        Error::EINVAL,
        || c.set_raw(9999, 1),
    );
    t.err(
        "context get_raw of unknown option 9999",
        Error::EINVAL,
        || c.get_raw(9999),
    );

    // After the context was shut down.
    t.err("socket() after shutdown", Error::ETERM, || {
        dead.socket(SocketType::Req)
    });
    t.err("bind after shutdown", Error::ETERM, || {
        dead_socket.bind("inproc://late")
    });
    t.err("connect after shutdown", Error::ETERM, || {
        dead_socket.connect("inproc://late")
    });
    t.err("send after shutdown", Error::ETERM, || {
        dead_socket.send("x", SendFlags::empty())
    });
    t.err("recv after shutdown", Error::ETERM, || {
        dead_socket.recv_bytes(RecvFlags::empty())
    });
    t.err("monitor_socket after shutdown", Error::ETERM, || {
        dead_socket.monitor_socket(MonitorEvents::ALL)
    });
    t.err("proxy after shutdown", Error::ETERM, || {
        zmq::proxy(&dead_a, &dead_b)
    });
    t.err("poll after shutdown", Error::ETERM, || {
        let mut items = [dead_a.as_poll_item(PollEvents::POLLIN)];
        zmq::poll(&mut items, 10_000)
    });
    t.ok("shutdown twice", || dead.shutdown());

    // Messages.
    t.err("Message::with_size(usize::MAX)", Error::ENOMEM, || {
        Message::with_size(usize::MAX)
    });
    t.err("Message::with_size(isize::MAX + 1)", Error::ENOMEM, || {
        Message::with_size(1usize << (usize::BITS - 1))
    });
    t.err("Message::gets with a NUL byte", Error::EINVAL, || {
        Message::from("m").gets("Peer\0Address").map(drop)
    });
    t.err(
        "Message::gets of a property a fresh message lacks",
        Error::EINVAL,
        || Message::from("m").gets("Socket-Type").map(drop),
    );

    // Z85 and CURVE helpers.
    t.err("z85_encode of 3 bytes", Error::EINVAL, || {
        zmq::z85_encode(b"abc")
    });
    t.err("z85_decode of 4 characters", Error::EINVAL, || {
        zmq::z85_decode("abcd")
    });
    t.err("z85_decode with a space", Error::EINVAL, || {
        zmq::z85_decode("Hello World")
    });
    t.err("z85_decode with a NUL", Error::EINVAL, || {
        zmq::z85_decode("Hell\0")
    });
    t.err("z85_decode of non-ASCII", Error::EINVAL, || {
        zmq::z85_decode("Hellé")
    });
    t.err("z85_decode of a value over 2^32", Error::EINVAL, || {
        zmq::z85_decode("%%%%%")
    });
    t.ok("z85_decode of \"\" (empty data)", || zmq::z85_decode(""));
    t.err("curve_public of a short key", Error::EINVAL, || {
        zmq::curve_public("short")
    });
    t.err("curve_public of 40 spaces", Error::EINVAL, || {
        zmq::curve_public(&" ".repeat(40))
    });

    // Monitors.
    t.err("monitor on tcp://", Error::EPROTONOSUPPORT, || {
        s.monitor("tcp://127.0.0.1:5555", MonitorEvents::ALL)
    });
    t.err("monitor on \"bogus\" (no transport)", Error::EINVAL, || {
        s.monitor("bogus", MonitorEvents::ALL)
    });
    t.err("monitor with a NUL byte", Error::EINVAL, || {
        s.monitor("inproc://mon\0", MonitorEvents::ALL)
    });
    t.err(
        "monitor on an inproc name in use",
        Error::EADDRINUSE,
        || s.monitor("inproc://bad-args-taken", MonitorEvents::ALL),
    );
    t.err("monitor with event bits beyond 16", Error::EINVAL, || {
        s.monitor(
            "inproc://mon-bits",
            MonitorEvents::from_bits_retain(1 << 20),
        )
    });
    t.err(
        "monitor_socket with event bits beyond 16",
        Error::EINVAL,
        || s.monitor_socket(MonitorEvents::from_bits_retain(1 << 20)),
    );

    // Poll.
    t.ok("poll of no items, timeout 0", || {
        let n = zmq::poll(&mut [], 0)?;
        assert_eq!(n, 0);
        Ok(())
    });
    t.ok("poll of no items, timeout 5 ms", || zmq::poll(&mut [], 5));
    t.err(
        "poll of no items, timeout -1 (would never return)",
        Error::EINVAL,
        || zmq::poll(&mut [], -1),
    );
    t.err("poll of no items, timeout i64::MIN", Error::EINVAL, || {
        zmq::poll(&mut [], i64::MIN)
    });
    t.ok("poll of a ready socket, timeout i64::MAX", || {
        let a = ctx.socket(SocketType::Pair)?;
        a.bind("inproc://bad-args-poll")?;
        let b = ctx.socket(SocketType::Pair)?;
        b.connect("inproc://bad-args-poll")?;
        b.send("ready", SendFlags::empty())?;
        let started = Instant::now();
        let mut items = [a.as_poll_item(PollEvents::POLLIN)];
        let n = zmq::poll(&mut items, i64::MAX)?;
        assert!(n == 1 && items[0].is_readable());
        assert!(started.elapsed() < Duration::from_secs(60));
        Ok(())
    });
    #[cfg(unix)]
    t.ok("poll of fd -1 (ignored by poll(2)), timeout 0", || {
        let mut items = [PollItem::from_fd(-1, PollEvents::POLLIN)];
        let n = zmq::poll(&mut items, 0)?;
        assert_eq!(n, 0);
        Ok(())
    });
    #[cfg(unix)]
    t.err("wait_fd_readable(-1)", EBADF, || {
        zmq::wait_fd_readable(-1, 0)
    });

    #[cfg(feature = "draft")]
    draft_cases(&mut t, &ctx, &s);

    let expected_count = t.cases.len();
    let mut ran = 0;
    let mut failures = Vec::new();
    for (what, check, expected) in t.cases {
        ran += 1;
        let got = match catch_unwind(AssertUnwindSafe(check)) {
            Ok(result) => result,
            Err(_) => {
                failures.push(format!("{what}: PANICKED"));
                continue;
            }
        };
        let ok = match (expected, got) {
            (Expect::Ok, Ok(())) => true,
            (Expect::Err(e), Err(g)) => e == g,
            _ => false,
        };
        if !ok {
            failures.push(format!("{what}: expected {expected:?}, got {got:?}"));
        }
    }
    (ran, expected_count, failures)
}

#[cfg(feature = "draft")]
fn draft_cases<'a>(t: &mut Table<'a>, ctx: &'a Context, s: &'a zmq::Socket) {
    t.err("join on a DEALER", Error::ENOTSUP, || s.join("g"));
    t.err("join a group of 256 bytes", Error::EINVAL, || {
        let dish = ctx.socket(SocketType::Dish)?;
        dish.join(&"g".repeat(256))
    });
    t.err("join a group with a NUL byte", Error::EINVAL, || {
        let dish = ctx.socket(SocketType::Dish)?;
        dish.join("g\0")
    });
    t.err("leave a group never joined", Error::EINVAL, || {
        let dish = ctx.socket(SocketType::Dish)?;
        dish.leave("never")
    });
    t.err("connect_peer on a DEALER", Error::ENOTSUP, || {
        s.connect_peer("inproc://x")
    });
    t.err("peer_state on a DEALER", Error::ENOTSUP, || {
        s.peer_state(b"id")
    });
    t.err("Message::set_routing_id(0)", Error::EINVAL, || {
        Message::from("m").set_routing_id(0)
    });
    t.err("Message::set_group of 256 bytes", Error::EINVAL, || {
        Message::from("m").set_group(&"g".repeat(256))
    });
    t.err("multipart send on a SERVER", Error::EINVAL, || {
        let server = ctx.socket(SocketType::Server)?;
        server.send("part", SendFlags::SNDMORE | SendFlags::DONTWAIT)
    });
    t.err("metadata without a colon", Error::EINVAL, || {
        s.set_metadata("X-novalue")
    });
    t.err("metadata name without X-", Error::EINVAL, || {
        s.set_metadata("name:value")
    });
    t.err("thread name prefix \"\"", Error::EINVAL, || {
        ctx.set_thread_name_prefix_str("")
    });
    t.err("thread name prefix of 17 bytes", Error::EINVAL, || {
        ctx.set_thread_name_prefix_str(&"t".repeat(17))
    });
    t.err("thread name prefix with a NUL byte", Error::EINVAL, || {
        ctx.set_thread_name_prefix_str("t\0")
    });
    t.err(
        "Poller::remove of a socket never added",
        Error::EINVAL,
        || {
            let mut poller = zmq::Poller::<()>::new()?;
            poller.remove(s)
        },
    );
    t.err("Poller::add twice", Error::EINVAL, || {
        let mut poller = zmq::Poller::new()?;
        poller.add(s, PollEvents::POLLIN, ())?;
        poller.add(s, PollEvents::POLLIN, ())
    });
}
