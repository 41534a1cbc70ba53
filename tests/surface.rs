//! Odds and ends of the C API, proved with traffic: STREAM sockets against plain
//! TCP peers, XPUB_MANUAL, every `zmq_has` capability, and context shutdown waking
//! blocked calls in other threads.
#![forbid(unsafe_code)]

mod common;
use common::net::{bind_loopback, tcp_address};
use common::within;

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::thread;
use std::time::Duration;

use zmq::{Context, Error, RecvFlags, SendFlags, PULL, PUSH, STREAM, SUB, XPUB};

fn read_exactly(stream: &mut TcpStream, n: usize) -> Vec<u8> {
    let mut buf = vec![0u8; n];
    stream.read_exact(&mut buf).unwrap();
    buf
}

#[test]
fn stream_server_talks_to_a_plain_tcp_client() {
    within(Duration::from_secs(30), || {
        let ctx = Context::new().unwrap();
        let server = ctx.socket(STREAM).unwrap();
        server.set_rcvtimeo(5000).unwrap();
        let endpoint = bind_loopback(&server);
        let address = tcp_address(&endpoint).to_string();

        let mut client = TcpStream::connect(&address).unwrap();
        client
            .set_read_timeout(Some(Duration::from_secs(5)))
            .unwrap();
        // The connection is announced as [routing id, empty frame].
        let hello = server.recv_multipart(RecvFlags::empty()).unwrap();
        assert_eq!(hello.len(), 2);
        assert!(hello[1].is_empty());
        let id = hello[0].clone();

        client.write_all(b"raw bytes in").unwrap();
        let mut got = Vec::new();
        while got.len() < 12 {
            let frames = server.recv_multipart(RecvFlags::empty()).unwrap();
            assert_eq!(frames[0], id);
            got.extend_from_slice(&frames[1]);
        }
        assert_eq!(got, b"raw bytes in");

        server
            .send_multipart([&id[..], b"raw bytes out"], SendFlags::empty())
            .unwrap();
        assert_eq!(read_exactly(&mut client, 13), b"raw bytes out");

        // An empty frame to the peer closes its connection: the client reads EOF.
        // libzmq completes the close handshake when the application next uses the
        // socket (commands are processed during calls), so keep using it meanwhile.
        server
            .send_multipart([&id[..], b""], SendFlags::empty())
            .unwrap();
        client
            .set_read_timeout(Some(Duration::from_millis(20)))
            .unwrap();
        let mut byte = [0u8; 1];
        let closed = (0..500).any(|_| {
            let _ = server.get_events().unwrap();
            match client.read(&mut byte) {
                Ok(0) => true,
                Ok(_) => panic!("unexpected data after the close"),
                Err(e) => {
                    assert!(matches!(
                        e.kind(),
                        std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                    ));
                    false
                }
            }
        });
        assert!(closed, "the STREAM socket never closed the connection");
    });
}

#[test]
fn stream_client_talks_to_a_plain_tcp_server() {
    within(Duration::from_secs(30), || {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let ctx = Context::new().unwrap();
        let client = ctx.socket(STREAM).unwrap();
        client.set_rcvtimeo(5000).unwrap();
        client.connect(&format!("tcp://127.0.0.1:{port}")).unwrap();
        let (mut peer, _) = listener.accept().unwrap();
        peer.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
        let hello = client.recv_multipart(RecvFlags::empty()).unwrap();
        assert!(hello[1].is_empty());
        let id = hello[0].clone();
        client
            .send_multipart([&id[..], b"GET / HTTP/1.0\r\n\r\n"], SendFlags::empty())
            .unwrap();
        assert_eq!(read_exactly(&mut peer, 18), b"GET / HTTP/1.0\r\n\r\n");
        peer.write_all(b"HTTP/1.0 200 OK\r\n").unwrap();
        let mut got = Vec::new();
        while got.len() < 17 {
            let frames = client.recv_multipart(RecvFlags::empty()).unwrap();
            assert_eq!(frames[0], id);
            got.extend_from_slice(&frames[1]);
        }
        assert_eq!(got, b"HTTP/1.0 200 OK\r\n");
        // The peer hangs up: the STREAM socket reports it as [id, empty].
        drop(peer);
        let bye = client.recv_multipart(RecvFlags::empty()).unwrap();
        assert_eq!((bye[0].clone(), bye[1].len()), (id, 0));
    });
}

#[test]
fn xpub_manual_applies_only_the_subscriptions_the_application_makes() {
    within(Duration::from_secs(30), || {
        let ctx = Context::new().unwrap();
        let xpub = ctx.socket(XPUB).unwrap();
        xpub.set_xpub_manual(true).unwrap();
        xpub.set_rcvtimeo(5000).unwrap();
        xpub.bind("inproc://manual").unwrap();
        let sub = ctx.socket(SUB).unwrap();
        sub.set_rcvtimeo(300).unwrap();
        sub.connect("inproc://manual").unwrap();
        sub.set_subscribe(b"A").unwrap();

        // The subscription reaches the application, which has not applied it yet.
        assert_eq!(xpub.recv_bytes(RecvFlags::empty()).unwrap(), b"\x01A");
        xpub.send("A-0", SendFlags::empty()).unwrap();
        assert_eq!(
            sub.recv_bytes(RecvFlags::empty()).unwrap_err(),
            Error::EAGAIN
        );

        // The application applies a narrower filter than the peer asked for (the SUB
        // still filters by its own "A" too, so this can only narrow).
        xpub.set_subscribe(b"AB").unwrap();
        xpub.send("A-1", SendFlags::empty()).unwrap();
        xpub.send("AB-1", SendFlags::empty()).unwrap();
        assert_eq!(sub.recv_bytes(RecvFlags::empty()).unwrap(), b"AB-1");
        assert_eq!(
            sub.recv_bytes(RecvFlags::empty()).unwrap_err(),
            Error::EAGAIN
        );
    });
}

#[test]
fn every_capability_is_answered() {
    let names = [
        "ipc", "pgm", "tipc", "norm", "curve", "gssapi", "vmci", "draft", "WS", "WSS",
    ];
    let answers: Vec<(&str, bool)> = names.iter().map(|&n| (n, zmq::has(n))).collect();
    #[cfg(unix)]
    assert!(zmq::has("ipc"));
    if zmq::sys::vendored() {
        // What our vendored build compiles in, and nothing else.
        let compiled_in = [
            ("ipc", cfg!(unix)),
            ("curve", cfg!(feature = "curve")),
            ("draft", cfg!(feature = "draft")),
            ("WS", cfg!(feature = "draft")),
        ];
        let expected = |name: &str| compiled_in.contains(&(name, true));
        for (name, answer) in answers {
            assert_eq!(answer, expected(name), "zmq_has({name:?})");
        }
    }
    // Names are exact: a different case or a NUL is not a capability.
    assert!(!zmq::has("IPC"));
    assert!(!zmq::has("curve\0"));
}

#[test]
fn shutdown_wakes_a_thread_blocked_in_send() {
    within(Duration::from_secs(30), || {
        let ctx = Context::new().unwrap();
        let push = ctx.socket(PUSH).unwrap();
        // No peer: a blocking send waits for one.
        push.bind("inproc://nobody-pulls").unwrap();
        let blocked = thread::spawn(move || push.send("stuck", SendFlags::empty()));
        thread::sleep(Duration::from_millis(200));
        assert!(!blocked.is_finished(), "send should block without a peer");
        ctx.shutdown().unwrap();
        assert_eq!(blocked.join().unwrap().unwrap_err(), Error::ETERM);
    });
}

#[test]
fn term_while_other_threads_hold_sockets_does_not_deadlock() {
    within(Duration::from_secs(30), || {
        let ctx = Context::new().unwrap();
        let workers: Vec<_> = (0..3)
            .map(|i| {
                let pull = ctx.socket(PULL).unwrap();
                pull.bind(&format!("inproc://held-{i}")).unwrap();
                thread::spawn(move || {
                    let err = pull.recv_bytes(RecvFlags::empty()).unwrap_err();
                    drop(pull); // closing the socket lets the context finish terminating
                    err
                })
            })
            .collect();
        thread::sleep(Duration::from_millis(200));
        // Not the last handle: term shuts the context down and returns.
        ctx.term().unwrap();
        for w in workers {
            assert_eq!(w.join().unwrap(), Error::ETERM);
        }
    });
}

/// A bound PAIR takes one peer. A second peer's connection is accepted but given
/// no pipe: what it sends is never delivered, not even after the first peer has
/// gone (libzmq 4.3; documented on `SocketType::Pair`). The first peer is served
/// throughout.
#[test]
fn a_bound_pair_never_serves_a_second_peer() {
    within(Duration::from_secs(60), || {
        let ctx = Context::new().unwrap();
        // Long waits for what must arrive, 1.5 s for what must not.
        let (arrives, never) = (10_000, 1500);
        let server = ctx.socket(zmq::PAIR).unwrap();
        server.set_rcvtimeo(arrives).unwrap();
        let endpoint = bind_loopback(&server);

        let first = ctx.socket(zmq::PAIR).unwrap();
        first.set_linger(0).unwrap();
        first.connect(&endpoint).unwrap();
        first.send("first", SendFlags::empty()).unwrap();
        assert_eq!(server.recv_bytes(RecvFlags::empty()).unwrap(), b"first");

        let second = ctx.socket(zmq::PAIR).unwrap();
        second.set_linger(0).unwrap();
        second.set_sndtimeo(1000).unwrap();
        second.connect(&endpoint).unwrap();
        // Its connection is made (the send is queued for it), but not served.
        second.send("second", SendFlags::empty()).unwrap();
        server.set_rcvtimeo(never).unwrap();
        assert_eq!(server.recv_bytes(RecvFlags::empty()), Err(Error::EAGAIN));
        // The first peer still is.
        server.set_rcvtimeo(arrives).unwrap();
        first.send("first again", SendFlags::empty()).unwrap();
        assert_eq!(
            server.recv_bytes(RecvFlags::empty()).unwrap(),
            b"first again"
        );
        // With the first peer gone, the second one is still not served.
        drop(first);
        thread::sleep(Duration::from_millis(300));
        let _ = second.send("second again", SendFlags::DONTWAIT);
        server.set_rcvtimeo(never).unwrap();
        assert_eq!(server.recv_bytes(RecvFlags::empty()), Err(Error::EAGAIN));
        // A peer that connects now is.
        let third = ctx.socket(zmq::PAIR).unwrap();
        third.set_linger(0).unwrap();
        third.connect(&endpoint).unwrap();
        third.send("third", SendFlags::empty()).unwrap();
        server.set_rcvtimeo(arrives).unwrap();
        assert_eq!(server.recv_bytes(RecvFlags::empty()).unwrap(), b"third");
    });
}

/// Every path of the crate root, named once, so that a re-export dropped from the
/// explicit lists in `src/lib.rs` fails to compile here (the lists replaced glob
/// re-exports; `cargo doc`'s item pages were identical before and after). Functions
/// are pinned with their signatures, constants with their types and values.
mod public_paths {
    #![allow(unused_imports)]

    #[cfg(feature = "tokio")]
    use zmq::tokio::{AsyncSocket, RecvHalf, SendHalf, SocketRef};
    #[cfg(unix)]
    use zmq::BindFdError;
    use zmq::{
        Authenticator, Certificate, CertificateError, CertificateErrorKind, CertificateStore,
        Context, CurveKeyPair, Error, Mechanism, Message, MessageTracker, MessageWriter, Monitor,
        MonitorEvent, MonitorEvents, MonitorIter, Multipart, MultipartSendError, OptionKind, Peer,
        PeerDirection, PeerStats, PeerTracker, PollEvents, PollItem, ProtocolError, ProxyCommand,
        ProxySocketStatistics, ProxyStatistics, RecvFlags, Result, SendFlags, Socket,
        SocketOptionInfo, SocketType, TimerId, Timers,
    };
    #[cfg(feature = "draft")]
    use zmq::{
        EventVersion, MonitorV2Event, Poller, PollerEvent, PollerEvents, ThreadSafeSocket,
        ThreadSafeType,
    };

    #[test]
    fn functions_keep_their_paths_and_signatures() {
        let _: fn() -> (i32, i32, i32) = zmq::version;
        let _: fn(&str) -> bool = zmq::has;
        let _: fn(&mut [PollItem<'_>], i64) -> Result<usize> = zmq::poll;
        let _: fn(&mut [PollItem<'_>], i64, std::time::Duration) -> Result<usize> = zmq::poll_spin;
        #[cfg(unix)]
        let _: fn(zmq::sys::zmq_fd_t, i64) -> Result<bool> = zmq::wait_fd_readable;
        let _: fn(&Socket, &Socket) -> Result<()> = zmq::proxy;
        let _: fn(&Socket, &Socket, &Socket) -> Result<()> = zmq::proxy_with_capture;
        let _: fn(&Socket, &Socket, Option<&Socket>, &Socket) -> Result<()> = zmq::proxy_steerable;
        let _: fn(&Socket, ProxyCommand) -> Result<()> = zmq::send_proxy_command;
        let _: fn(&Socket) -> Result<ProxyStatistics> = zmq::recv_proxy_statistics;
        let _: fn(&[u8]) -> Result<String> = zmq::z85_encode;
        let _: fn(&str) -> Result<Vec<u8>> = zmq::z85_decode;
        let _: fn() -> Result<(String, String)> = zmq::curve_keypair;
        let _: fn(&str) -> Result<String> = zmq::curve_public;
        let _: fn() -> Result<()> = zmq::catch_interrupts;
        let _: fn() -> bool = zmq::interrupted;
        // The raw layer stays reachable as `zmq::sys`.
        assert_eq!(zmq::sys::ZMQ_REQ, SocketType::Req as i32);
    }

    #[test]
    fn constants_keep_their_paths_and_values() {
        let stable: [(SocketType, SocketType); 12] = [
            (zmq::PAIR, SocketType::Pair),
            (zmq::PUB, SocketType::Pub),
            (zmq::SUB, SocketType::Sub),
            (zmq::REQ, SocketType::Req),
            (zmq::REP, SocketType::Rep),
            (zmq::DEALER, SocketType::Dealer),
            (zmq::ROUTER, SocketType::Router),
            (zmq::PULL, SocketType::Pull),
            (zmq::PUSH, SocketType::Push),
            (zmq::XPUB, SocketType::XPub),
            (zmq::XSUB, SocketType::XSub),
            (zmq::STREAM, SocketType::Stream),
        ];
        for (alias, variant) in stable {
            assert_eq!(alias, variant);
        }
        #[cfg(feature = "draft")]
        {
            let draft: [(SocketType, SocketType); 9] = [
                (zmq::SERVER, SocketType::Server),
                (zmq::CLIENT, SocketType::Client),
                (zmq::RADIO, SocketType::Radio),
                (zmq::DISH, SocketType::Dish),
                (zmq::GATHER, SocketType::Gather),
                (zmq::SCATTER, SocketType::Scatter),
                (zmq::DGRAM, SocketType::Dgram),
                (zmq::PEER, SocketType::Peer),
                (zmq::CHANNEL, SocketType::Channel),
            ];
            for (alias, variant) in draft {
                assert_eq!(alias, variant);
            }
        }
        let every_alias = 12 + if cfg!(feature = "draft") { 9 } else { 0 };
        assert_eq!(SocketType::ALL.len(), every_alias);

        assert_eq!(zmq::SNDMORE, SendFlags::SNDMORE);
        let limit: usize = zmq::RECV_LATEST_LIMIT;
        assert_eq!(limit, 65_536);
        let (endpoint, domain): (&str, &str) = (zmq::ZAP_ENDPOINT, zmq::ZAP_DEFAULT_DOMAIN);
        assert_eq!((endpoint, domain), ("inproc://zeromq.zap.01", "*"));
        let sockopts: &[SocketOptionInfo] = zmq::SOCKET_OPTIONS;
        assert!(sockopts.iter().any(|o| o.name == "ZMQ_LINGER"));
        let ctxopts: &[zmq::ContextOptionInfo] = zmq::CONTEXT_OPTIONS;
        assert!(ctxopts.iter().any(|o| o.name == "ZMQ_IO_THREADS"));
    }
}
