//! What libzmq would abort on, corrupt memory with, or hang in, and what the safe API
//! does instead (issue "Hardening"; SECURITY.md lists each case).
//!
//! Every dangerous scenario runs in a child process ([`common::child`]), so that an
//! abort fails one test instead of the whole binary. Most cases come in a pair:
//! a **control** that makes the raw libzmq call (through `tests/raw`, shared with
//! `tests/hardening_audit.rs`, or `zmq::sys` directly) and shows the process crash
//! (or hang), which proves that the danger is real in the linked libzmq, and the
//! same scenario through the safe API, which must end cleanly with an error. The
//! controls are the only `unsafe` code here, each with its SAFETY note.
#![deny(unsafe_op_in_unsafe_fn)]

mod common;
mod raw;

use std::time::Duration;

use common::child::isolated;
#[cfg(target_os = "linux")]
use common::child::isolated_unprivileged;
#[cfg(feature = "draft")]
use common::child::isolated_within;
use zmq::{Context, Error, Message, RecvFlags, SendFlags, SNDMORE};

/// The harness itself: a panic in the child is a test failure (exit code 101)...
#[test]
fn child_harness_sees_a_panic() {
    let outcome = isolated("child_harness_sees_a_panic", || panic!("a test failure"));
    assert!(!outcome.clean() && !outcome.crashed(), "{outcome:?}");
}

/// ... and an abort is a crash.
#[test]
fn child_harness_sees_an_abort() {
    let outcome = isolated("child_harness_sees_an_abort", || std::process::abort());
    outcome.assert_crashed();
    assert!(!outcome.clean());
}

// ---------------------------------------------------------------------------------
// Item 3: conflate with multipart messages (fq.cpp:80).

/// Control: a conflating PULL that has received the first frame of a two-frame
/// message, whose second frame is not there yet, aborts in its next receive.
#[test]
fn conflate_multipart_control_aborts() {
    let outcome = isolated("conflate_multipart_control_aborts", || {
        let ctx = Context::new().unwrap();
        // Over inproc the connecting side's conflate makes the pipe conflating.
        let push = ctx.socket(zmq::PUSH).unwrap();
        push.bind("inproc://conflate-control").unwrap();
        let pull = ctx.socket(zmq::PULL).unwrap();
        pull.set_conflate(true).unwrap();
        pull.connect("inproc://conflate-control").unwrap();
        assert_eq!(raw::send(&push, b"first", SNDMORE), 5);
        let mut buf = [0u8; 16];
        assert_eq!(raw::recv(&pull, &mut buf), 5);
        // The rest of the message is missing: libzmq asserts.
        raw::recv(&pull, &mut buf);
    });
    outcome.assert_crashed();
    assert!(outcome.stderr.contains("fq.cpp"), "{}", outcome.stderr);
}

/// The same through the safe API: the torn message is `EPROTO`, and so is every
/// receive after it; a conflating socket refuses `SNDMORE`.
#[test]
fn conflate_multipart_is_an_error_not_an_abort() {
    let outcome = isolated("conflate_multipart_is_an_error_not_an_abort", || {
        let ctx = Context::new().unwrap();
        let push = ctx.socket(zmq::PUSH).unwrap();
        push.bind("inproc://conflate-safe").unwrap();
        let pull = ctx.socket(zmq::PULL).unwrap();
        pull.set_conflate(true).unwrap();
        pull.connect("inproc://conflate-safe").unwrap();
        push.send("first", SNDMORE).unwrap();
        let mut msg = Message::new();
        assert_eq!(
            pull.recv_msg(&mut msg, RecvFlags::empty()),
            Err(Error::EPROTO)
        );
        assert_eq!(
            pull.recv_msg(&mut msg, RecvFlags::empty()),
            Err(Error::EPROTO)
        );
        assert_eq!(
            pull.recv_into(&mut [0; 8], RecvFlags::empty()),
            Err(Error::EPROTO)
        );
        assert_eq!(pull.recv_multipart(RecvFlags::DONTWAIT), Err(Error::EPROTO));

        // A conflating sender refuses to start a multipart message...
        let sender = ctx.socket(zmq::PUSH).unwrap();
        sender.set_conflate(true).unwrap();
        sender.connect("inproc://conflate-sink").unwrap();
        let sink = ctx.socket(zmq::PULL).unwrap();
        sink.bind("inproc://conflate-sink").unwrap();
        assert_eq!(sender.send("a", SNDMORE), Err(Error::EINVAL));
        assert_eq!(
            sender.send_multipart(["a", "b"], SendFlags::empty()),
            Err(Error::EINVAL)
        );
        let mut part = Message::from("a");
        assert_eq!(sender.send_msg(&mut part, SNDMORE), Err(Error::EINVAL));
        assert_eq!(part, "a", "a refused message is kept");
        // ... even after conflate is turned off again (its pipes stay conflating).
        sender.set_conflate(false).unwrap();
        assert_eq!(sender.send("a", SNDMORE), Err(Error::EINVAL));
        // Single frames go through.
        sender.send("single", SendFlags::empty()).unwrap();
        // Through the raw option path as well.
        let dealer = ctx.socket(zmq::DEALER).unwrap();
        dealer
            .set_option_raw(zmq::sys::ZMQ_CONFLATE, &1i32.to_ne_bytes())
            .unwrap();
        assert_eq!(dealer.send("a", SNDMORE), Err(Error::EINVAL));
        // Proxies refuse a conflating socket.
        let backend = ctx.socket(zmq::PUSH).unwrap();
        assert_eq!(zmq::proxy(&pull, &backend), Err(Error::ENOTSUP));
    });
    outcome.assert_clean();
}

/// A conflating PULL on tcp whose remote peer (its own context, as another process
/// would be) sends two-frame messages: through the safe API it never aborts; it
/// receives whole single frames, or `EPROTO` once a torn message is seen.
#[test]
fn conflating_pull_survives_a_multipart_peer_on_tcp() {
    let outcome = isolated("conflating_pull_survives_a_multipart_peer_on_tcp", || {
        let ctx = Context::new().unwrap();
        let pull = ctx.socket(zmq::PULL).unwrap();
        pull.set_conflate(true).unwrap();
        pull.set_rcvtimeo(100).unwrap();
        let endpoint = common::net::bind_loopback(&pull);
        let peer = std::thread::spawn(move || {
            let ctx = Context::new().unwrap();
            let push = ctx.socket(zmq::PUSH).unwrap();
            push.set_linger(1000).unwrap();
            push.connect(&endpoint).unwrap();
            for i in 0..20_000u32 {
                push.send_multipart([&i.to_be_bytes()[..], b"tail"], SendFlags::empty())
                    .unwrap();
            }
        });
        let mut frames = 0;
        let mut poisoned = false;
        let mut msg = Message::new();
        for _ in 0..20_000 {
            match pull.recv_msg(&mut msg, RecvFlags::empty()) {
                Ok(_) => frames += 1,
                Err(Error::EPROTO) => {
                    poisoned = true;
                    break;
                }
                Err(Error::EAGAIN) if peer.is_finished() => break,
                Err(Error::EAGAIN) => {}
                Err(e) => panic!("{e:?}"),
            }
        }
        peer.join().unwrap();
        println!("frames received {frames}, poisoned {poisoned}");
        if poisoned {
            assert_eq!(
                pull.recv_msg(&mut msg, RecvFlags::DONTWAIT),
                Err(Error::EPROTO)
            );
        }
    });
    outcome.assert_clean();
}

/// The safe alternative to conflate: `recv_latest` against a peer that sends
/// two-frame messages as fast as it can. Every message it returns is whole (both
/// frames carry the same sequence number), the sequence only goes up, and it ends on
/// the last message sent.
#[test]
fn recv_latest_keeps_whole_multipart_messages_from_a_flooding_peer() {
    let ctx = Context::new().unwrap();
    let pull = ctx.socket(zmq::PULL).unwrap();
    pull.bind("tcp://127.0.0.1:*").unwrap();
    pull.set_rcvtimeo(10_000).unwrap();
    let endpoint = pull.get_last_endpoint().unwrap();
    const N: u32 = 50_000;
    let peer = std::thread::spawn(move || {
        let ctx = Context::new().unwrap();
        let push = ctx.socket(zmq::PUSH).unwrap();
        push.connect(&endpoint).unwrap();
        for i in 1..=N {
            let seq = i.to_be_bytes();
            push.send_multipart([&seq[..], &seq[..], b"x"], SendFlags::empty())
                .unwrap();
        }
        push.set_linger(-1).unwrap();
    });
    let mut parts = Vec::new();
    let (mut last, mut calls, mut skipped) = (0u32, 0u32, 0usize);
    while last < N {
        skipped += pull.recv_latest(&mut parts, RecvFlags::empty()).unwrap();
        calls += 1;
        assert_eq!(parts.len(), 3, "a whole message");
        assert_eq!(parts[0], parts[1][..], "frames of one message");
        assert!(!parts[2].more() && parts[0].more() && parts[1].more());
        let seq = u32::from_be_bytes(parts[0][..].try_into().unwrap());
        assert!(seq > last, "newest first: {seq} after {last}");
        last = seq;
    }
    peer.join().unwrap();
    // Every message was either returned or skipped, exactly once.
    assert_eq!(calls as usize + skipped, N as usize);
    assert_eq!(
        pull.recv_latest(&mut parts, RecvFlags::DONTWAIT),
        Err(Error::EAGAIN)
    );
    assert!(parts.is_empty());
}

// ---------------------------------------------------------------------------------
// Item 3: connect routing ids in use (router.cpp:438, stream.cpp:254).

/// Control: a second connect with a routing id already in use aborts.
#[test]
fn duplicate_connect_routing_id_control_aborts() {
    let outcome = isolated("duplicate_connect_routing_id_control_aborts", || {
        let ctx = Context::new().unwrap();
        let a = ctx.socket(zmq::ROUTER).unwrap();
        a.bind("inproc://rid-control-a").unwrap();
        let b = ctx.socket(zmq::ROUTER).unwrap();
        b.bind("inproc://rid-control-b").unwrap();
        let router = ctx.socket(zmq::ROUTER).unwrap();
        for endpoint in ["inproc://rid-control-a", "inproc://rid-control-b"] {
            assert_eq!(
                raw::set_bytes(&router, zmq::sys::ZMQ_CONNECT_ROUTING_ID, b"peer"),
                0
            );
            raw::connect(&router, endpoint);
        }
    });
    outcome.assert_crashed();
    assert!(outcome.stderr.contains("router.cpp"), "{}", outcome.stderr);
}

/// The same through the safe API: `EEXIST`, and the other refusals.
#[test]
fn duplicate_connect_routing_id_is_eexist() {
    let outcome = isolated("duplicate_connect_routing_id_is_eexist", || {
        let ctx = Context::new().unwrap();
        for (i, kind) in [zmq::ROUTER, zmq::STREAM].into_iter().enumerate() {
            let a = ctx.socket(kind).unwrap();
            a.bind("tcp://127.0.0.1:*").unwrap();
            let b = ctx.socket(kind).unwrap();
            b.bind("tcp://127.0.0.1:*").unwrap();
            let (ea, eb) = (
                a.get_last_endpoint().unwrap(),
                b.get_last_endpoint().unwrap(),
            );
            let s = ctx.socket(kind).unwrap();
            s.set_connect_routing_id(b"peer").unwrap();
            s.connect(&ea).unwrap();
            s.set_connect_routing_id(b"peer").unwrap();
            assert_eq!(s.connect(&eb), Err(Error::EEXIST), "{kind}");
            // A plain connect still works, as does a new id.
            s.set_connect_routing_id(b"other").unwrap();
            s.connect(&eb).unwrap();
            // libzmq's generated ids start with a zero byte: refused.
            assert_eq!(s.set_connect_routing_id(b"\0abcd"), Err(Error::EINVAL));
            assert_eq!(
                s.set_option_raw(zmq::sys::ZMQ_CONNECT_ROUTING_ID, b"\0abcd"),
                Err(Error::EINVAL)
            );
            // With ZMQ_IMMEDIATE the id would be taken later, unchecked: refused.
            let lazy = ctx.socket(kind).unwrap();
            lazy.set_immediate(true).unwrap();
            lazy.set_connect_routing_id(format!("lazy{i}").as_bytes())
                .unwrap();
            assert_eq!(lazy.connect(&ea), Err(Error::EINVAL));
            lazy.set_immediate(false).unwrap();
            lazy.connect(&ea).unwrap();
        }
    });
    outcome.assert_clean();
}

/// With the draft API the connect asks libzmq whether a peer holds the id: a remote
/// peer that announced it first makes the connect `EEXIST` (the control aborts), and
/// an id becomes usable again once its peer has gone.
#[cfg(feature = "draft")]
#[test]
fn connect_routing_id_taken_by_a_remote_peer() {
    fn scenario(raw: bool) {
        let ctx = Context::new().unwrap();
        let router = ctx.socket(zmq::ROUTER).unwrap();
        router.set_rcvtimeo(10_000).unwrap();
        let endpoint = common::net::bind_loopback(&router);
        // The remote peer announces routing id "X".
        let remote_ctx = Context::new().unwrap();
        let dealer = remote_ctx.socket(zmq::DEALER).unwrap();
        dealer.set_routing_id(b"X").unwrap();
        dealer.connect(&endpoint).unwrap();
        dealer.send("hello", SendFlags::empty()).unwrap();
        let got = router.recv_multipart(RecvFlags::empty()).unwrap();
        assert_eq!(got[0], b"X");
        let other = ctx.socket(zmq::ROUTER).unwrap();
        other.bind("inproc://rid-remote").unwrap();
        if raw {
            raw::set_bytes(&router, zmq::sys::ZMQ_CONNECT_ROUTING_ID, b"X");
            raw::connect(&router, "inproc://rid-remote");
        } else {
            router.set_connect_routing_id(b"X").unwrap();
            assert_eq!(router.connect("inproc://rid-remote"), Err(Error::EEXIST));
            // Once the remote peer has gone, the id is free. (Closing it: a mere
            // disconnect is carried out when the dealer next processes commands.)
            drop(dealer);
            drop(remote_ctx);
            let mut attempts = 0;
            loop {
                match router.connect("inproc://rid-remote") {
                    Ok(()) => break,
                    Err(Error::EEXIST) if attempts < 1000 => {
                        attempts += 1;
                        std::thread::sleep(Duration::from_millis(10));
                    }
                    Err(e) => panic!("{e:?} after {attempts} attempts"),
                }
            }
        }
    }
    let control = isolated("connect_routing_id_taken_by_a_remote_peer", || {
        scenario(true)
    });
    control.assert_crashed();
    scenario(false);
}

// ---------------------------------------------------------------------------------
// Item 2: ZMQ_USE_FD.

/// Control: the raw option makes libzmq adopt any integer; a descriptor that is
/// not a socket aborts in the poller.
#[cfg(unix)]
#[test]
fn use_fd_control_non_socket_aborts() {
    let outcome = isolated("use_fd_control_non_socket_aborts", || {
        use std::os::fd::AsRawFd;
        let file = std::fs::File::open("/dev/null").unwrap();
        let ctx = Context::new().unwrap();
        let pull = ctx.socket(zmq::PULL).unwrap();
        assert_eq!(
            raw::set_int(&pull, zmq::sys::ZMQ_USE_FD, file.as_raw_fd()),
            0
        );
        raw::bind(&pull, "tcp://127.0.0.1:*");
        std::thread::sleep(Duration::from_millis(500));
        drop(pull);
        drop(ctx);
    });
    outcome.assert_crashed();
}

/// Control: a second bind after a descriptor was handed over adopts it again.
#[cfg(unix)]
#[test]
fn use_fd_control_second_bind_aborts() {
    let outcome = isolated("use_fd_control_second_bind_aborts", || {
        use std::os::fd::IntoRawFd;
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let fd = listener.into_raw_fd();
        let ctx = Context::new().unwrap();
        let pull = ctx.socket(zmq::PULL).unwrap();
        assert_eq!(raw::set_int(&pull, zmq::sys::ZMQ_USE_FD, fd), 0);
        assert_eq!(raw::bind(&pull, "tcp://127.0.0.1:*"), 0);
        raw::bind(&pull, "tcp://127.0.0.1:*");
        std::thread::sleep(Duration::from_millis(500));
        drop(pull);
        drop(ctx);
    });
    outcome.assert_crashed();
}

/// The safe way: `bind_with_fd` checks the descriptor, binds, hands it to libzmq
/// only on success, and leaves no `ZMQ_USE_FD` behind for a second bind.
#[cfg(unix)]
#[test]
fn bind_with_fd_checks_binds_and_releases() {
    use std::os::fd::{AsRawFd, OwnedFd};
    let outcome = isolated("bind_with_fd_checks_binds_and_releases", || {
        let ctx = Context::new().unwrap();
        let pull = ctx.socket(zmq::PULL).unwrap();
        pull.set_rcvtimeo(10_000).unwrap();

        // Not a socket: ENOTSOCK, and the file comes back usable.
        let file = std::fs::OpenOptions::new()
            .write(true)
            .open("/dev/null")
            .unwrap();
        let err = pull
            .bind_with_fd(OwnedFd::from(file), "tcp://127.0.0.1:*")
            .unwrap_err();
        assert_eq!(err.error(), Error::ENOTSOCK);
        let mut file = std::fs::File::from(err.into_fd());
        std::io::Write::write_all(&mut file, b"still mine").unwrap();

        // A datagram socket, a connected (not listening) stream, the wrong family.
        let udp = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
        let err = pull
            .bind_with_fd(udp.into(), "tcp://127.0.0.1:*")
            .unwrap_err();
        assert_eq!(err.error(), Error::EINVAL);
        let server = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let stream = std::net::TcpStream::connect(server.local_addr().unwrap()).unwrap();
        let err = pull
            .bind_with_fd(stream.into(), "tcp://127.0.0.1:*")
            .unwrap_err();
        assert_eq!(err.error(), Error::EINVAL);
        let err = pull
            .bind_with_fd(server.into(), "ipc:///tmp/zmq-wrong-family")
            .unwrap_err();
        assert_eq!(err.error(), Error::EINVAL);
        let listener = err.into_fd();
        let err = pull
            .bind_with_fd(listener, "inproc://no-descriptor")
            .unwrap_err();
        assert_eq!(err.error(), Error::EINVAL);
        let listener = std::net::TcpListener::from(err.into_fd());
        let address = listener.local_addr().unwrap();

        // The raw path refuses the option outright.
        assert_eq!(
            pull.set_option_raw(zmq::sys::ZMQ_USE_FD, &listener.as_raw_fd().to_ne_bytes()),
            Err(Error::EINVAL)
        );

        // The real thing.
        pull.bind_with_fd(listener.into(), &format!("tcp://{address}"))
            .unwrap();
        assert_eq!(pull.get_use_fd().unwrap(), -1, "reset after the bind");
        assert_eq!(
            pull.get_last_endpoint().unwrap(),
            format!("tcp://{address}")
        );
        // A second bind makes its own listener (libzmq would abort on the same fd).
        let second = common::net::bind_loopback(&pull);
        assert_ne!(second, format!("tcp://{address}"));
        for endpoint in [format!("tcp://{address}"), second] {
            let push = ctx.socket(zmq::PUSH).unwrap();
            push.connect(&endpoint).unwrap();
            push.send(endpoint.as_bytes(), SendFlags::empty()).unwrap();
            assert_eq!(
                pull.recv_bytes(RecvFlags::empty()).unwrap(),
                endpoint.as_bytes()
            );
        }
        // libzmq closes the descriptor with the endpoint: the port is free again.
        pull.unbind(&format!("tcp://{address}")).unwrap();
        let mut rebound = None;
        for _ in 0..500 {
            match std::net::TcpListener::bind(address) {
                Ok(l) => {
                    rebound = Some(l);
                    break;
                }
                Err(_) => std::thread::sleep(Duration::from_millis(10)),
            }
        }
        assert!(rebound.is_some(), "the listener was closed by libzmq");

        // A Unix-domain listener for ipc://.
        let dir = std::env::temp_dir().join(format!("zmq-bind-fd-{}", std::process::id()));
        let _ = std::fs::create_dir_all(&dir);
        let path = dir.join("sock");
        let _ = std::fs::remove_file(&path);
        let unix = std::os::unix::net::UnixListener::bind(&path).unwrap();
        let endpoint = format!("ipc://{}", path.display());
        pull.bind_with_fd(unix.into(), &endpoint).unwrap();
        let push = ctx.socket(zmq::PUSH).unwrap();
        push.connect(&endpoint).unwrap();
        push.send("over ipc", SendFlags::empty()).unwrap();
        assert_eq!(pull.recv_bytes(RecvFlags::empty()).unwrap(), b"over ipc");
        let _ = std::fs::remove_dir_all(&dir);
    });
    outcome.assert_clean();
}

// ---------------------------------------------------------------------------------
// Item 4: values accepted by setters that abort later in an I/O thread.

/// A context option set through the raw C API, then a first socket (which starts the
/// I/O threads, where libzmq applies it).
#[cfg(target_os = "linux")]
fn start_threads_with(option: i32, value: i32) {
    let ctx = Context::new().unwrap();
    assert_eq!(raw::ctx_set(&ctx, option, value), 0);
    let _socket = ctx.socket(zmq::PAIR);
    // The I/O threads apply their settings as they start.
    std::thread::sleep(Duration::from_millis(500));
}

/// Control: an unknown scheduling policy aborts the I/O threads.
#[cfg(target_os = "linux")]
#[test]
fn sched_policy_control_aborts() {
    isolated("sched_policy_control_aborts", || {
        start_threads_with(zmq::sys::ZMQ_THREAD_SCHED_POLICY, 99)
    })
    .assert_crashed();
}

/// Control: a CPU outside the process's affinity set aborts the I/O threads.
#[cfg(target_os = "linux")]
#[test]
fn affinity_control_aborts() {
    isolated("affinity_control_aborts", || {
        start_threads_with(zmq::sys::ZMQ_THREAD_AFFINITY_CPU_ADD, 1000)
    })
    .assert_crashed();
}

/// Control: more I/O threads than the process has descriptors for abort.
#[cfg(target_os = "linux")]
#[test]
fn io_threads_control_aborts() {
    isolated("io_threads_control_aborts", || {
        start_threads_with(zmq::sys::ZMQ_IO_THREADS, 100_000)
    })
    .assert_crashed();
}

/// The safe setters refuse what the controls above abort on (typed and raw), and
/// accept sane values.
#[test]
fn context_thread_options_are_checked_when_set() {
    let ctx = Context::new().unwrap();
    for (option, value) in [
        (zmq::sys::ZMQ_THREAD_SCHED_POLICY, 99),
        (zmq::sys::ZMQ_IO_THREADS, 100_000),
        #[cfg(target_os = "linux")]
        (zmq::sys::ZMQ_THREAD_AFFINITY_CPU_ADD, 1000),
    ] {
        assert_eq!(ctx.set_raw(option, value), Err(Error::EINVAL), "{option}");
    }
    #[cfg(unix)]
    assert_eq!(ctx.set_thread_sched_policy(99), Err(Error::EINVAL));
    assert_eq!(ctx.set_io_threads(100_000), Err(Error::EINVAL));
    assert_eq!(ctx.set_io_threads(1025), Err(Error::EINVAL));
    #[cfg(target_os = "linux")]
    assert_eq!(ctx.add_thread_affinity_cpu(1000), Err(Error::EINVAL));
    // Sane values pass, and the context still works.
    ctx.set_io_threads(2).unwrap();
    ctx.add_thread_affinity_cpu(0).unwrap();
    ctx.set_thread_sched_policy(0).unwrap(); // SCHED_OTHER
    let socket = ctx.socket(zmq::PAIR).unwrap();
    socket.bind("inproc://after-refusals").unwrap();
}

/// A real-time policy takes a priority of 1 to 99: the policy is checked with the
/// priority set so far (none: 0, which the OS rejects and libzmq would abort on).
#[cfg(target_os = "linux")]
#[test]
fn real_time_scheduling_is_checked_as_a_pair() {
    let outcome = isolated("real_time_scheduling_is_checked_as_a_pair", || {
        let ctx = Context::new().unwrap();
        let fifo = 1; // SCHED_FIFO
        if common::child::is_root() {
            assert_eq!(ctx.set_thread_sched_policy(fifo), Err(Error::EINVAL));
            ctx.set_thread_priority(10).unwrap();
            ctx.set_thread_sched_policy(fifo).unwrap();
            assert_eq!(ctx.set_thread_priority(100), Err(Error::EINVAL));
            // The I/O threads start with what was checked.
            let pair = ctx.socket(zmq::PAIR).unwrap();
            pair.bind("inproc://fifo").unwrap();
        } else {
            assert!(ctx.set_thread_sched_policy(fifo).is_err());
        }
    });
    outcome.assert_clean();
}

/// For an unprivileged user, a thread priority above 0 makes libzmq's I/O threads
/// call nice(-20), which fails, and libzmq aborts: the setter says `EPERM`. The
/// control, last, shows the abort.
#[cfg(target_os = "linux")]
#[test]
fn thread_priority_without_privilege_is_eperm() {
    let outcome = isolated_unprivileged("thread_priority_without_privilege_is_eperm", || {
        let ctx = Context::new().unwrap();
        assert_eq!(ctx.set_thread_priority(1), Err(Error::EPERM));
        assert_eq!(
            ctx.set_raw(zmq::sys::ZMQ_THREAD_PRIORITY, 1),
            Err(Error::EPERM)
        );
        let pair = ctx.socket(zmq::PAIR).unwrap();
        pair.bind("inproc://unprivileged").unwrap();
        println!("safe part passed");
        start_threads_with(zmq::sys::ZMQ_THREAD_PRIORITY, 1);
        println!("no abort");
    });
    assert!(outcome.stdout.contains("safe part passed"), "{outcome:?}");
    outcome.assert_crashed();
    assert!(!outcome.stdout.contains("no abort"));
}

// ---------------------------------------------------------------------------------
// Item 1: RADIO and DGRAM datagrams larger than libzmq's buffer (udp_engine.cpp).

/// A DISH bound on `udp://` (allowed explicitly) and a RADIO connected to it.
#[cfg(feature = "draft")]
fn radio_dish_over_udp(ctx: &Context) -> (zmq::Socket, zmq::Socket) {
    let port = std::net::UdpSocket::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let endpoint = format!("udp://127.0.0.1:{port}");
    let dish = ctx.socket(zmq::DISH).unwrap();
    dish.allow_udp_dish().unwrap();
    dish.bind(&endpoint).unwrap();
    dish.join("g").unwrap();
    dish.set_rcvtimeo(200).unwrap();
    let radio = ctx.socket(zmq::RADIO).unwrap();
    radio.connect(&endpoint).unwrap();
    (radio, dish)
}

/// Control: a 100 kB RADIO message over udp overflows the engine's 8 KiB buffer.
#[cfg(feature = "draft")]
#[test]
fn radio_udp_oversize_control_corrupts_the_heap() {
    let outcome = isolated("radio_udp_oversize_control_corrupts_the_heap", || {
        let ctx = Context::new().unwrap();
        let (radio, _dish) = radio_dish_over_udp(&ctx);
        for _ in 0..20 {
            raw::send(&radio, &vec![7u8; 100_000], SendFlags::empty());
            std::thread::sleep(Duration::from_millis(50));
        }
        drop(radio);
        drop(ctx);
    });
    outcome.assert_crashed();
}

/// Through the safe API: `EMSGSIZE` past the datagram's room, the largest message
/// that fits arrives whole, and RADIO over tcp is not limited.
#[cfg(feature = "draft")]
#[test]
fn radio_udp_oversize_is_emsgsize() {
    let outcome = isolated("radio_udp_oversize_is_emsgsize", || {
        let ctx = Context::new().unwrap();
        let (radio, dish) = radio_dish_over_udp(&ctx);
        // 1 byte of group length + the group + the body: 8192 at most.
        let fits = 8192 - 1 - 1;
        let mut too_big = Message::from(vec![1u8; fits + 1]);
        too_big.set_group("g").unwrap();
        assert_eq!(
            radio.send_msg(&mut too_big, SendFlags::empty()),
            Err(Error::EMSGSIZE)
        );
        assert_eq!(too_big.len(), fits + 1, "the refused message is kept");
        assert_eq!(
            radio.send(vec![0u8; 8192], SendFlags::empty()),
            Err(Error::EMSGSIZE)
        );
        assert_eq!(
            radio.send(vec![0u8; 100_000], SendFlags::empty()),
            Err(Error::EMSGSIZE)
        );
        // The largest one that fits, repeated until the dish has joined.
        let body: Vec<u8> = (0..fits).map(|i| i as u8).collect();
        let mut arrived = None;
        for _ in 0..100 {
            let mut msg = Message::from(body.clone());
            msg.set_group("g").unwrap();
            radio.send_msg(&mut msg, SendFlags::empty()).unwrap();
            if let Ok(got) = dish.recv_message(RecvFlags::empty()) {
                arrived = Some(got);
                break;
            }
        }
        let got = arrived.expect("a datagram of exactly 8192 bytes arrives");
        assert_eq!(got[..], body[..]);
        assert_eq!(got.group(), Some("g"));

        // RADIO over tcp carries large messages (the limit is per udp connection).
        let tcp_dish = ctx.socket(zmq::DISH).unwrap();
        tcp_dish.bind("tcp://127.0.0.1:*").unwrap();
        tcp_dish.join("big").unwrap();
        tcp_dish.set_rcvtimeo(200).unwrap();
        let tcp_radio = ctx.socket(zmq::RADIO).unwrap();
        tcp_radio
            .connect(&tcp_dish.get_last_endpoint().unwrap())
            .unwrap();
        let mut arrived = false;
        for _ in 0..100 {
            let mut msg = Message::from(vec![9u8; 100_000]);
            msg.set_group("big").unwrap();
            tcp_radio.send_msg(&mut msg, SendFlags::empty()).unwrap();
            if let Ok(got) = tcp_dish.recv_message(RecvFlags::empty()) {
                assert_eq!(got.len(), 100_000);
                arrived = true;
                break;
            }
        }
        assert!(arrived);
    });
    outcome.assert_clean();
}

/// A DGRAM bound on `udp://` and a std UDP socket as its peer.
#[cfg(feature = "draft")]
fn dgram_and_peer(ctx: &Context) -> (zmq::Socket, std::net::UdpSocket) {
    let dgram = ctx.socket(zmq::DGRAM).unwrap();
    dgram.bind("udp://127.0.0.1:*").unwrap();
    let peer = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
    peer.set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    (dgram, peer)
}

/// Control: a 100 kB DGRAM body overflows the engine's buffer.
#[cfg(feature = "draft")]
#[test]
fn dgram_oversize_control_corrupts_the_heap() {
    let outcome = isolated("dgram_oversize_control_corrupts_the_heap", || {
        let ctx = Context::new().unwrap();
        let (dgram, peer) = dgram_and_peer(&ctx);
        let address = peer.local_addr().unwrap().to_string();
        for _ in 0..20 {
            raw::send(&dgram, address.as_bytes(), SNDMORE);
            raw::send(&dgram, &vec![7u8; 100_000], SendFlags::empty());
            std::thread::sleep(Duration::from_millis(50));
        }
        drop(dgram);
        drop(ctx);
    });
    outcome.assert_crashed();
}

/// Through the safe API: a body over 8192 bytes is `EMSGSIZE`; 8192 arrive whole.
#[cfg(feature = "draft")]
#[test]
fn dgram_oversize_is_emsgsize() {
    let outcome = isolated("dgram_oversize_is_emsgsize", || {
        let ctx = Context::new().unwrap();
        let (dgram, peer) = dgram_and_peer(&ctx);
        let address = peer.local_addr().unwrap().to_string();
        // A datagram leaves whole (an address and a body in one call), and its body
        // fits in libzmq's buffer: checked before anything is sent.
        assert_eq!(
            dgram.send_multipart([address.as_bytes(), &[0u8; 8193][..]], SendFlags::empty()),
            Err(Error::EMSGSIZE)
        );
        let mut too_big = zmq::Multipart::from_iter([address.as_bytes(), &[0u8; 100_000][..]]);
        let err = dgram
            .send_multipart_msg(&mut too_big, SendFlags::empty())
            .unwrap_err();
        assert_eq!((err.error, err.sent), (Error::EMSGSIZE, 0));
        assert_eq!(too_big.len(), 2, "the refused datagram is kept whole");
        let fits: Vec<u8> = (0..8192).map(|i| (i % 251) as u8).collect();
        dgram
            .send_multipart([address.as_bytes(), &fits[..]], SendFlags::empty())
            .unwrap();
        let mut buf = vec![0u8; 70_000];
        let (n, _) = peer.recv_from(&mut buf).unwrap();
        assert_eq!(&buf[..n], &fits[..]);
        // Frame by frame is refused: one frame of a datagram is never whole.
        assert_eq!(dgram.send(&address, SNDMORE), Err(Error::EINVAL));
        let mut body = Message::from(vec![0u8; 100_000]);
        assert_eq!(
            dgram.send_msg(&mut body, SendFlags::empty()),
            Err(Error::EMSGSIZE)
        );
        dgram
            .send_multipart([address.as_bytes(), b"after"], SendFlags::empty())
            .unwrap();
        let (n, _) = peer.recv_from(&mut buf).unwrap();
        assert_eq!(&buf[..n], b"after");
    });
    outcome.assert_clean();
}

/// Proxies send inside libzmq, past these checks: RADIO and DGRAM are refused in
/// every role. Control: an unbound DGRAM capture socket hangs the proxy.
#[cfg(feature = "draft")]
#[test]
fn proxy_dgram_capture_control_hangs() {
    let outcome = isolated_within(
        "proxy_dgram_capture_control_hangs",
        Duration::from_secs(5),
        || {
            let ctx = Context::new().unwrap();
            let frontend = ctx.socket(zmq::PULL).unwrap();
            frontend.bind("inproc://cap-in").unwrap();
            let backend = ctx.socket(zmq::PUSH).unwrap();
            backend.bind("inproc://cap-out").unwrap();
            let capture = ctx.socket(zmq::DGRAM).unwrap();
            let source = ctx.socket(zmq::PUSH).unwrap();
            source.connect("inproc://cap-in").unwrap();
            source.send("x", SendFlags::empty()).unwrap();
            let sink = ctx.socket(zmq::PULL).unwrap();
            sink.connect("inproc://cap-out").unwrap();
            // SAFETY: three live sockets used by this thread only.
            unsafe { zmq::sys::zmq_proxy(frontend.as_raw(), backend.as_raw(), capture.as_raw()) };
        },
    );
    outcome.assert_hung();
}

/// Every proxy entry point refuses RADIO and DGRAM sockets.
#[cfg(feature = "draft")]
#[test]
fn proxies_refuse_radio_and_dgram() {
    let ctx = Context::new().unwrap();
    let pull = ctx.socket(zmq::PULL).unwrap();
    let push = ctx.socket(zmq::PUSH).unwrap();
    let control = ctx.socket(zmq::PAIR).unwrap();
    for kind in [zmq::RADIO, zmq::DGRAM] {
        let odd = ctx.socket(kind).unwrap();
        assert_eq!(zmq::proxy(&pull, &odd), Err(Error::ENOTSUP), "{kind}");
        assert_eq!(zmq::proxy(&odd, &push), Err(Error::ENOTSUP), "{kind}");
        assert_eq!(
            zmq::proxy_with_capture(&pull, &push, &odd),
            Err(Error::ENOTSUP),
            "{kind}"
        );
        assert_eq!(
            zmq::proxy_steerable(&pull, &push, Some(&odd), &control),
            Err(Error::ENOTSUP),
            "{kind}"
        );
        assert_eq!(
            zmq::proxy_steerable(&pull, &push, None, &odd),
            Err(Error::ENOTSUP)
        );
    }
}

/// Control: a draft proxy on sockets whose context was shut down aborts
/// (socket_poller.cpp:288); the safe entry points return `ETERM`.
#[cfg(feature = "draft")]
#[test]
fn proxy_after_shutdown_control_aborts() {
    let outcome = isolated("proxy_after_shutdown_control_aborts", || {
        let ctx = Context::new().unwrap();
        let frontend = ctx.socket(zmq::PULL).unwrap();
        let backend = ctx.socket(zmq::PUSH).unwrap();
        ctx.shutdown().unwrap();
        // A blocking call sees the shutdown (the socket processes its stop command).
        assert_eq!(frontend.recv_bytes(RecvFlags::empty()), Err(Error::ETERM));
        assert_eq!(backend.send("x", SendFlags::empty()), Err(Error::ETERM));
        // SAFETY: two live sockets used by this thread only.
        unsafe { zmq::sys::zmq_proxy(frontend.as_raw(), backend.as_raw(), std::ptr::null_mut()) };
    });
    outcome.assert_crashed();
}

#[test]
fn proxies_after_shutdown_are_eterm() {
    let ctx = Context::new().unwrap();
    let frontend = ctx.socket(zmq::PULL).unwrap();
    let backend = ctx.socket(zmq::PUSH).unwrap();
    let capture = ctx.socket(zmq::PUB).unwrap();
    let control = ctx.socket(zmq::PAIR).unwrap();
    ctx.shutdown().unwrap();
    // Each socket sees the shutdown in a call of its own.
    for socket in [&frontend, &control] {
        assert_eq!(socket.recv_bytes(RecvFlags::empty()), Err(Error::ETERM));
    }
    for socket in [&backend, &capture] {
        assert_eq!(socket.send("x", SendFlags::empty()), Err(Error::ETERM));
    }
    assert_eq!(zmq::proxy(&frontend, &backend), Err(Error::ETERM));
    assert_eq!(
        zmq::proxy_with_capture(&frontend, &backend, &capture),
        Err(Error::ETERM)
    );
    assert_eq!(
        zmq::proxy_steerable(&frontend, &backend, Some(&capture), &control),
        Err(Error::ETERM)
    );
}

// ---------------------------------------------------------------------------------
// Item 3: DISH on udp:// (udp_engine.cpp:547), and DGRAM over IPv6 (udp_engine.cpp:535).

/// Control: one datagram whose first byte is 0x80 or more aborts a DISH on udp
/// (where C's `char` is signed, as on x86; elsewhere it leaks instead).
#[cfg(all(feature = "draft", any(target_arch = "x86_64", target_arch = "x86")))]
#[test]
fn dish_udp_hostile_datagram_control_aborts() {
    let outcome = isolated("dish_udp_hostile_datagram_control_aborts", || {
        let ctx = Context::new().unwrap();
        let (_radio, dish) = radio_dish_over_udp(&ctx);
        let endpoint = dish.get_last_endpoint().unwrap();
        let address = endpoint.trim_start_matches("udp://");
        let attacker = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
        for _ in 0..20 {
            attacker.send_to(&[0x80, b'x', b'y'], address).unwrap();
            let _ = dish.recv_bytes(RecvFlags::empty());
        }
    });
    outcome.assert_crashed();
}

/// A DISH refuses `udp://` until the risk is accepted explicitly.
#[cfg(feature = "draft")]
#[test]
fn dish_refuses_udp_unless_allowed() {
    let ctx = Context::new().unwrap();
    let dish = ctx.socket(zmq::DISH).unwrap();
    assert_eq!(dish.bind("udp://127.0.0.1:*"), Err(Error::ENOTSUP));
    assert_eq!(dish.connect("udp://127.0.0.1:5555"), Err(Error::ENOTSUP));
    // Other transports are fine.
    dish.bind("tcp://127.0.0.1:*").unwrap();
    // Only a DISH can be allowed.
    let radio = ctx.socket(zmq::RADIO).unwrap();
    assert_eq!(radio.allow_udp_dish(), Err(Error::ENOTSUP));
    dish.allow_udp_dish().unwrap();
    dish.bind("udp://127.0.0.1:*").unwrap();
    // A shared (thread-safe) DISH too.
    let shared = ctx.thread_safe_socket(zmq::ThreadSafeType::Dish).unwrap();
    assert_eq!(shared.bind("udp://127.0.0.1:*"), Err(Error::ENOTSUP));
}

/// Control: a DGRAM with IPv6 on receiving an IPv6 datagram aborts; the safe API
/// refuses the udp endpoint of such a DGRAM.
#[cfg(feature = "draft")]
#[test]
fn dgram_ipv6_control_aborts() {
    if std::net::UdpSocket::bind("[::1]:0").is_err() {
        println!("skipped: no IPv6 loopback here");
        return;
    }
    let outcome = isolated("dgram_ipv6_control_aborts", || {
        let ctx = Context::new().unwrap();
        let dgram = ctx.socket(zmq::DGRAM).unwrap();
        dgram.set_ipv6(true).unwrap();
        dgram.set_rcvtimeo(200).unwrap();
        // libzmq does not resolve a udp wildcard port: pick a free one.
        let port = std::net::UdpSocket::bind("[::1]:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let address = format!("[::1]:{port}");
        assert_eq!(
            raw::bind(&dgram, &format!("udp://{address}")),
            0,
            "{:?}",
            Error::last()
        );
        let peer = std::net::UdpSocket::bind("[::1]:0").unwrap();
        for _ in 0..20 {
            peer.send_to(b"hello", address.as_str()).unwrap();
            let _ = dgram.recv_multipart(RecvFlags::empty());
        }
    });
    outcome.assert_crashed();
    let ctx = Context::new().unwrap();
    let dgram = ctx.socket(zmq::DGRAM).unwrap();
    dgram.set_ipv6(true).unwrap();
    assert_eq!(dgram.bind("udp://[::1]:*"), Err(Error::EAFNOSUPPORT));
    assert_eq!(dgram.bind("udp://*:*"), Err(Error::EAFNOSUPPORT));
    // Even an IPv4 literal: libzmq makes an IPv6 socket with the option on
    // (hardening_audit::dgram_with_ipv6_on_aborts_even_on_an_ipv4_literal_control).
    assert_eq!(dgram.bind("udp://127.0.0.1:*"), Err(Error::EAFNOSUPPORT));
    dgram.set_ipv6(false).unwrap();
    dgram.bind("udp://127.0.0.1:*").unwrap();
}

// ---------------------------------------------------------------------------------
// Item 4 (draft): ZMQ_PRIORITY above 6 without CAP_NET_ADMIN (ip.cpp:212).

#[cfg(all(feature = "draft", target_os = "linux"))]
#[test]
fn so_priority_without_privilege_is_eperm() {
    let outcome = isolated_unprivileged("so_priority_without_privilege_is_eperm", || {
        let ctx = Context::new().unwrap();
        let pull = ctx.socket(zmq::PULL).unwrap();
        let endpoint = common::net::bind_loopback(&pull);
        let push = ctx.socket(zmq::PUSH).unwrap();
        push.set_priority(6).unwrap();
        assert_eq!(push.set_priority(7), Err(Error::EPERM));
        assert_eq!(
            push.set_option_raw(zmq::sys::ZMQ_PRIORITY, &7i32.to_ne_bytes()),
            Err(Error::EPERM)
        );
        push.connect(&endpoint).unwrap();
        push.send("fine", SendFlags::empty()).unwrap();
        assert_eq!(pull.recv_bytes(RecvFlags::empty()).unwrap(), b"fine");
        println!("safe part passed");
        // The control: the raw option aborts the connection's I/O thread.
        let control = ctx.socket(zmq::PUSH).unwrap();
        assert_eq!(raw::set_int(&control, zmq::sys::ZMQ_PRIORITY, 7), 0);
        control.connect(&endpoint).unwrap();
        std::thread::sleep(Duration::from_millis(1000));
        println!("no abort");
    });
    assert!(outcome.stdout.contains("safe part passed"), "{outcome:?}");
    outcome.assert_crashed();
    assert!(!outcome.stdout.contains("no abort"));
}

// ---------------------------------------------------------------------------------
// Item 5 (draft): Poller::wait with more descriptors than RLIMIT_NOFILE
// (socket_poller.cpp:570).

#[cfg(all(feature = "draft", unix))]
#[test]
fn poller_past_rlimit_nofile_control_aborts() {
    let outcome = isolated("poller_past_rlimit_nofile_control_aborts", || {
        let ctx = Context::new().unwrap();
        let sockets: Vec<zmq::Socket> = (0..64).map(|_| ctx.socket(zmq::PULL).unwrap()).collect();
        // SAFETY: zmq_poller_new has no preconditions.
        let poller = unsafe { zmq::sys::zmq_poller_new() };
        assert!(!poller.is_null());
        for s in &sockets {
            // SAFETY: a live poller and a live socket, which outlives the poller's use.
            let rc =
                unsafe { zmq::sys::zmq_poller_add(poller, s.as_raw(), std::ptr::null_mut(), 1) };
            assert_eq!(rc, 0);
        }
        raw::set_nofile_limit(32);
        let mut event = [0u64; 8];
        // SAFETY: a live poller; the buffer is larger than one zmq_poller_event_t.
        unsafe { zmq::sys::zmq_poller_wait(poller, event.as_mut_ptr().cast(), 0) };
    });
    outcome.assert_crashed();
}

#[cfg(all(feature = "draft", unix))]
#[test]
fn poller_past_rlimit_nofile_is_einval() {
    let outcome = isolated("poller_past_rlimit_nofile_is_einval", || {
        let ctx = Context::new().unwrap();
        let sockets: Vec<zmq::Socket> = (0..64).map(|_| ctx.socket(zmq::PULL).unwrap()).collect();
        let mut poller = zmq::Poller::new().unwrap();
        for s in &sockets {
            poller.add(s, zmq::PollEvents::POLLIN, ()).unwrap();
        }
        raw::set_nofile_limit(32);
        assert_eq!(poller.wait(0).err(), Some(Error::EINVAL));
        let mut events = zmq::PollerEvents::with_capacity(64);
        assert_eq!(poller.wait_all(&mut events, 0), Err(Error::EINVAL));
    });
    outcome.assert_clean();
}

// ---------------------------------------------------------------------------------
// Item 3: the steerable proxy of libzmq before 4.3.5 aborts on unknown commands
// (documented; checked here so the documentation stays true).

#[test]
fn steerable_proxy_unknown_command_aborts_only_before_4_3_5() {
    let outcome = isolated(
        "steerable_proxy_unknown_command_aborts_only_before_4_3_5",
        || {
            let ctx = Context::new().unwrap();
            let frontend = ctx.socket(zmq::PULL).unwrap();
            frontend.bind("inproc://steer-in").unwrap();
            let backend = ctx.socket(zmq::PUSH).unwrap();
            backend.bind("inproc://steer-out").unwrap();
            let control = ctx.socket(zmq::PAIR).unwrap();
            control.bind("inproc://steer-control").unwrap();
            let peer = ctx.socket(zmq::PAIR).unwrap();
            peer.connect("inproc://steer-control").unwrap();
            let stopper = ctx.clone();
            let proxy = std::thread::spawn(move || {
                zmq::proxy_steerable(&frontend, &backend, None, &control)
            });
            peer.send("BOGUS", SendFlags::empty()).unwrap();
            std::thread::sleep(Duration::from_millis(300));
            zmq::send_proxy_command(&peer, zmq::ProxyCommand::Terminate).unwrap();
            let _ = proxy.join();
            drop(stopper);
        },
    );
    if zmq::version() < (4, 3, 5) {
        outcome.assert_crashed();
    } else {
        outcome.assert_clean();
    }
}
