//! Socket monitoring: the events libzmq reports on both sides of real TCP
//! connections, handshake failures (ZAP denial, mechanism mismatch, raw peers), the
//! receive API, and the guarantees of `Monitor` (no blocking of libzmq, `Send`).
#![forbid(unsafe_code)]

mod common;
use common::net::{bind_loopback, bound, tcp_address};
use common::{wait_for, watchdog};

use std::io::Write;
use std::net::TcpStream;
use std::time::{Duration, Instant};

use zmq::{
    Context, Error, Monitor, MonitorEvent, MonitorEvents, ProtocolError, RecvFlags, SendFlags,
    Socket, PAIR, PULL, PUSH, REP, REQ,
};

const WAIT: Duration = Duration::from_secs(10);

/// The next event, failing the test if none comes within `WAIT`.
fn next(monitor: &Monitor) -> MonitorEvent {
    monitor
        .recv_timeout(WAIT)
        .unwrap()
        .expect("no monitor event within 10 s")
}

/// Events until one matches `stop` (included), at most `limit` of them.
fn until(
    monitor: &Monitor,
    limit: usize,
    stop: impl Fn(&MonitorEvent) -> bool,
) -> Vec<MonitorEvent> {
    let mut seen = Vec::new();
    while seen.len() < limit {
        let event = next(monitor);
        let done = stop(&event);
        seen.push(event);
        if done {
            return seen;
        }
    }
    panic!("no matching event among {seen:?}");
}

/// Asserts that `fd` is an open OS socket of this process (the handles events
/// report are real ones, not made-up numbers).
fn assert_open_socket(fd: zmq::sys::zmq_fd_t) {
    #[cfg(unix)]
    assert!(fd >= 0, "fd {fd}");
    #[cfg(target_os = "linux")]
    {
        let link = std::fs::read_link(format!("/proc/self/fd/{fd}")).unwrap();
        assert!(
            link.to_string_lossy().starts_with("socket:"),
            "fd {fd} is {link:?}"
        );
    }
    let _ = fd;
}

fn round_trip(req: &Socket, rep: &Socket) {
    req.set_rcvtimeo(10_000).unwrap();
    rep.set_rcvtimeo(10_000).unwrap();
    req.send("ping", SendFlags::empty()).unwrap();
    assert_eq!(rep.recv_bytes(RecvFlags::empty()).unwrap(), b"ping");
    rep.send("pong", SendFlags::empty()).unwrap();
    assert_eq!(req.recv_bytes(RecvFlags::empty()).unwrap(), b"pong");
}

#[test]
fn server_side_listen_accept_handshake_disconnect_close_stop() {
    let _wd = watchdog("server side", Duration::from_secs(60));
    let ctx = Context::new().unwrap();
    let server = ctx.socket(REP).unwrap();
    server.set_linger(0).unwrap();
    let monitor = server.monitor_socket(MonitorEvents::ALL).unwrap();
    let endpoint = bind_loopback(&server);

    let MonitorEvent::Listening {
        endpoint: e,
        fd: listen_fd,
    } = next(&monitor)
    else {
        panic!("expected Listening")
    };
    assert_eq!(e, endpoint);
    assert_open_socket(listen_fd);

    let client = ctx.socket(REQ).unwrap();
    client.set_linger(0).unwrap();
    client.connect(&endpoint).unwrap();
    let MonitorEvent::Accepted {
        endpoint: e,
        fd: conn_fd,
    } = next(&monitor)
    else {
        panic!("expected Accepted")
    };
    assert_eq!(e, endpoint);
    assert_ne!(conn_fd, listen_fd);
    assert_eq!(
        next(&monitor),
        MonitorEvent::HandshakeSucceeded {
            endpoint: endpoint.clone()
        }
    );
    round_trip(&client, &server);
    assert_open_socket(conn_fd);
    assert_open_socket(listen_fd);
    assert_eq!(monitor.try_recv().unwrap(), None);

    // The client goes away: the server loses the connection it accepted.
    drop(client);
    assert_eq!(
        next(&monitor),
        MonitorEvent::Disconnected {
            endpoint: endpoint.clone(),
            fd: conn_fd
        }
    );
    // Unbinding closes the listening socket.
    server.unbind(&endpoint).unwrap();
    let closed = next(&monitor);
    assert_eq!(
        closed,
        MonitorEvent::Closed {
            endpoint: endpoint.clone(),
            fd: listen_fd
        }
    );
    assert_eq!(closed.event_type(), MonitorEvents::CLOSED);
    assert_eq!(closed.endpoint(), endpoint);
    // Closing the socket ends monitoring: nothing follows MonitorStopped.
    assert!(!monitor.is_stopped());
    drop(server);
    assert_eq!(next(&monitor), MonitorEvent::MonitorStopped);
    assert!(monitor.is_stopped());
    assert_eq!(monitor.iter().count(), 0);
    assert_eq!(
        monitor.recv_timeout(Duration::from_millis(100)).unwrap(),
        None
    );
}

#[test]
fn client_side_delay_connect_handshake_disconnect_retry() {
    let _wd = watchdog("client side", Duration::from_secs(60));
    let ctx = Context::new().unwrap();
    let (server, endpoint) = bound(&ctx, REP);
    let client = ctx.socket(REQ).unwrap();
    client.set_linger(0).unwrap();
    client.set_reconnect_ivl(50).unwrap();
    let monitor = client.monitor_socket(MonitorEvents::ALL).unwrap();
    client.connect(&endpoint).unwrap();

    // A non-blocking connect normally reports "in progress" first (it may also
    // complete at once, then there is no ConnectDelayed).
    let mut event = next(&monitor);
    if let MonitorEvent::ConnectDelayed { endpoint: e, error } = &event {
        assert_eq!(e, &endpoint);
        assert_eq!(*error, Error::EINPROGRESS);
        event = next(&monitor);
    }
    let MonitorEvent::Connected {
        endpoint: e,
        fd: conn_fd,
    } = event
    else {
        panic!("expected Connected, got {event:?}")
    };
    assert_eq!(e, endpoint);
    assert_eq!(
        next(&monitor),
        MonitorEvent::HandshakeSucceeded {
            endpoint: endpoint.clone()
        }
    );
    round_trip(&client, &server);
    assert_open_socket(conn_fd);

    // The server goes away: the client loses the connection, then retries after
    // the reconnect interval plus a random part of it.
    drop(server);
    assert_eq!(
        next(&monitor),
        MonitorEvent::Disconnected {
            endpoint: endpoint.clone(),
            fd: conn_fd
        }
    );
    let MonitorEvent::ConnectRetried {
        endpoint: e,
        interval_ms,
    } = next(&monitor)
    else {
        panic!("expected ConnectRetried")
    };
    assert_eq!(e, endpoint);
    assert!((50..100).contains(&interval_ms), "{interval_ms}");
    // Each later attempt fails and schedules another one.
    let retry = until(&monitor, 20, |e| {
        matches!(e, MonitorEvent::ConnectRetried { .. })
    });
    for event in &retry {
        assert_eq!(event.endpoint(), endpoint, "{event:?}");
        assert!(
            (MonitorEvents::CONNECT_DELAYED
                | MonitorEvents::CLOSED
                | MonitorEvents::CONNECT_RETRIED)
                .contains(event.event_type()),
            "{event:?}"
        );
    }
    // Stopping monitoring ends the stream (retry events may come before).
    client.stop_monitor().unwrap();
    until(&monitor, 50, |e| *e == MonitorEvent::MonitorStopped);
    assert_eq!(
        monitor.recv_timeout(Duration::from_millis(300)).unwrap(),
        None
    );
}

#[test]
fn bind_to_an_address_in_use_fails_and_reports_it() {
    let _wd = watchdog("bind in use", Duration::from_secs(60));
    let ctx = Context::new().unwrap();
    let (_holder, endpoint) = bound(&ctx, PULL);
    let socket = ctx.socket(PULL).unwrap();
    let monitor = socket.monitor_socket(MonitorEvents::ALL).unwrap();
    // libzmq 4.3.5 emits the BIND_FAILED event between the failed bind(2) and its
    // return, and a monitor send that had to wait for the monitor's pipe (the
    // inproc attach is processed lazily; valgrind's timing shows it) leaves its
    // internal EAGAIN in errno: then the call reports EAGAIN, and only the event
    // carries the real error. Documented on `Socket::bind`.
    let error = socket.bind(&endpoint).unwrap_err();
    assert!(
        error == Error::EADDRINUSE || error == Error::EAGAIN,
        "bind to an address in use: {error:?}"
    );
    // libzmq also reports it as an event, naming the address without "tcp://",
    // after closing the OS socket it had opened for the attempt.
    let events = until(&monitor, 5, |e| {
        matches!(e, MonitorEvent::BindFailed { .. })
    });
    let Some(MonitorEvent::BindFailed { endpoint: e, error }) = events.last() else {
        unreachable!()
    };
    assert_eq!(*error, Error::EADDRINUSE);
    assert!(endpoint.ends_with(e.as_str()), "{e} vs {endpoint}");
    assert!(events
        .iter()
        .all(|e| !matches!(e, MonitorEvent::Listening { .. })));
}

#[test]
fn zap_denial_is_handshake_failed_auth_400_on_both_sides() {
    let _wd = watchdog("zap denial", Duration::from_secs(60));
    let ctx = Context::new().unwrap();
    // A minimal ZAP handler (RFC 27) that denies everybody.
    let zap = ctx.socket(REP).unwrap();
    zap.set_linger(0).unwrap();
    zap.set_rcvtimeo(10_000).unwrap();
    zap.bind("inproc://zeromq.zap.01").unwrap();

    let server = ctx.socket(PULL).unwrap();
    server.set_linger(0).unwrap();
    server.set_plain_server(true).unwrap();
    server.set_zap_domain("monitor-test").unwrap();
    let server_monitor = server.monitor_socket(MonitorEvents::ALL).unwrap();
    let endpoint = bind_loopback(&server);

    let client = ctx.socket(PUSH).unwrap();
    client.set_linger(0).unwrap();
    client.set_reconnect_ivl(-1).unwrap();
    client.set_plain_username("admin").unwrap();
    client.set_plain_password("wrong").unwrap();
    let client_monitor = client.monitor_socket(MonitorEvents::ALL).unwrap();
    client.connect(&endpoint).unwrap();

    let request = zap.recv_multipart(RecvFlags::empty()).unwrap();
    let text: Vec<_> = request
        .iter()
        .map(|f| String::from_utf8_lossy(f).into_owned())
        .collect();
    assert_eq!(text.len(), 8, "{text:?}");
    assert_eq!(text[0], "1.0");
    assert_eq!(text[2], "monitor-test");
    assert_eq!(text[3], "127.0.0.1");
    assert_eq!(&text[5..], ["PLAIN", "admin", "wrong"]);
    zap.send_multipart(
        [&b"1.0"[..], &request[1], b"400", b"denied", b"", b""],
        SendFlags::empty(),
    )
    .unwrap();

    let server_events = until(&server_monitor, 5, |e| {
        matches!(e, MonitorEvent::HandshakeFailedAuth { .. })
    });
    assert_eq!(
        server_events.last(),
        Some(&MonitorEvent::HandshakeFailedAuth {
            endpoint: endpoint.clone(),
            status: 400
        })
    );
    assert!(matches!(
        next(&server_monitor),
        MonitorEvent::Disconnected { .. }
    ));
    // The client learns the status from the server's ERROR command.
    let client_events = until(&client_monitor, 5, |e| {
        matches!(e, MonitorEvent::HandshakeFailedAuth { .. })
    });
    assert_eq!(
        client_events.last(),
        Some(&MonitorEvent::HandshakeFailedAuth {
            endpoint: endpoint.clone(),
            status: 400
        })
    );
    assert!(!client_events
        .iter()
        .any(|e| matches!(e, MonitorEvent::HandshakeSucceeded { .. })));
}

#[test]
fn mechanism_mismatch_is_a_protocol_error_on_both_sides() {
    let _wd = watchdog("mechanism mismatch", Duration::from_secs(60));
    let ctx = Context::new().unwrap();
    let server = ctx.socket(PULL).unwrap();
    server.set_linger(0).unwrap();
    let server_monitor = server.monitor_socket(MonitorEvents::ALL).unwrap();
    let endpoint = bind_loopback(&server);
    // A PLAIN client against a NULL server.
    let client = ctx.socket(PUSH).unwrap();
    client.set_linger(0).unwrap();
    client.set_reconnect_ivl(-1).unwrap();
    client.set_plain_username("u").unwrap();
    client.set_plain_password("p").unwrap();
    let client_monitor = client.monitor_socket(MonitorEvents::ALL).unwrap();
    client.connect(&endpoint).unwrap();

    let expected = MonitorEvent::HandshakeFailedProtocol {
        endpoint: endpoint.clone(),
        error: ProtocolError::ZmtpMechanismMismatch,
    };
    for monitor in [&server_monitor, &client_monitor] {
        let events = until(monitor, 5, |e| {
            matches!(e, MonitorEvent::HandshakeFailedProtocol { .. })
        });
        assert_eq!(events.last(), Some(&expected));
        assert!(matches!(next(monitor), MonitorEvent::Disconnected { .. }));
    }
    assert_eq!(
        ProtocolError::ZmtpMechanismMismatch.name(),
        Some("ZMQ_PROTOCOL_ERROR_ZMTP_MECHANISM_MISMATCH")
    );
}

/// A ZMTP 3.0 greeting for `mechanism`, as a client.
fn greeting(mechanism: &str) -> Vec<u8> {
    let mut g = vec![0xff, 0, 0, 0, 0, 0, 0, 0, 0, 0x7f, 3, 0];
    let mut m = mechanism.as_bytes().to_vec();
    m.resize(20, 0);
    g.extend(m);
    g.push(0); // as-server
    g.extend([0u8; 31]);
    g
}

#[test]
fn raw_tcp_peers_give_decoded_handshake_failures() {
    let _wd = watchdog("raw peers", Duration::from_secs(60));
    let ctx = Context::new().unwrap();
    let server = ctx.socket(PULL).unwrap();
    server.set_linger(0).unwrap();
    let monitor = server.monitor_socket(MonitorEvents::ALL).unwrap();
    let endpoint = bind_loopback(&server);
    assert!(matches!(next(&monitor), MonitorEvent::Listening { .. }));
    let address = tcp_address(&endpoint);

    // A valid NULL greeting followed by a HELLO command, which NULL does not have.
    let mut peer = TcpStream::connect(address).unwrap();
    peer.write_all(&greeting("NULL")).unwrap();
    peer.write_all(&[0x04, 6, 5, b'H', b'E', b'L', b'L', b'O'])
        .unwrap();
    let events = until(&monitor, 5, |e| {
        matches!(e, MonitorEvent::HandshakeFailedProtocol { .. })
    });
    assert_eq!(
        events.last(),
        Some(&MonitorEvent::HandshakeFailedProtocol {
            endpoint: endpoint.clone(),
            error: ProtocolError::ZmtpUnexpectedCommand
        })
    );
    assert!(matches!(next(&monitor), MonitorEvent::Disconnected { .. }));
    drop(peer);

    // A peer that hangs up in the middle of its greeting.
    let mut peer = TcpStream::connect(address).unwrap();
    peer.write_all(&[0xff, 0, 0]).unwrap();
    drop(peer);
    let events = until(&monitor, 5, |e| {
        matches!(e, MonitorEvent::HandshakeFailedNoDetail { .. })
    });
    let Some(MonitorEvent::HandshakeFailedNoDetail { endpoint: e, .. }) = events.last() else {
        unreachable!()
    };
    assert_eq!(*e, endpoint);
    assert!(matches!(next(&monitor), MonitorEvent::Disconnected { .. }));
}

#[test]
fn raw_monitor_api_with_an_own_reader() {
    let _wd = watchdog("raw api", Duration::from_secs(60));
    let ctx = Context::new().unwrap();
    let socket = ctx.socket(PULL).unwrap();
    socket.set_linger(0).unwrap();
    socket
        .monitor(
            "inproc://raw-monitor",
            MonitorEvents::LISTENING | MonitorEvents::MONITOR_STOPPED,
        )
        .unwrap();
    let reader = ctx.socket(PAIR).unwrap();
    reader.set_rcvtimeo(10_000).unwrap();
    reader.connect("inproc://raw-monitor").unwrap();
    let endpoint = bind_loopback(&socket);
    let frames = reader.recv_multipart(RecvFlags::empty()).unwrap();
    assert_eq!(frames.len(), 2);
    assert_eq!(frames[0].len(), 6);
    let event = MonitorEvent::from_frames(&frames).unwrap();
    assert!(matches!(event, MonitorEvent::Listening { endpoint: e, .. } if e == endpoint));
    // CLOSED was not asked for: unbinding sends nothing; stopping sends MONITOR_STOPPED.
    socket.unbind(&endpoint).unwrap();
    socket.stop_monitor().unwrap();
    let frames = reader.recv_multipart(RecvFlags::empty()).unwrap();
    assert_eq!(
        MonitorEvent::from_frames(&frames).unwrap(),
        MonitorEvent::MonitorStopped
    );
    // Not monitored any more: stopping again is harmless, and the reader can go.
    socket.stop_monitor().unwrap();
    assert_eq!(
        reader.recv_bytes(RecvFlags::DONTWAIT).unwrap_err(),
        Error::EAGAIN
    );
}

#[test]
fn monitor_argument_errors() {
    let ctx = Context::new().unwrap();
    let socket = ctx.socket(PULL).unwrap();
    assert_eq!(
        socket
            .monitor("tcp://127.0.0.1:*", MonitorEvents::ALL)
            .unwrap_err(),
        Error::EPROTONOSUPPORT
    );
    assert_eq!(
        socket
            .monitor("inproc://a\0b", MonitorEvents::ALL)
            .unwrap_err(),
        Error::EINVAL
    );
    // Format 1 has 16 event bits.
    let wide = MonitorEvents::from_bits_retain(1 << 16);
    assert_eq!(
        socket.monitor("inproc://wide", wide).unwrap_err(),
        Error::EINVAL
    );
    assert_eq!(socket.monitor_socket(wide).unwrap_err(), Error::EINVAL);
    // An endpoint that is taken.
    let other = ctx.socket(PAIR).unwrap();
    other.bind("inproc://taken").unwrap();
    assert_eq!(
        socket
            .monitor("inproc://taken", MonitorEvents::ALL)
            .unwrap_err(),
        Error::EADDRINUSE
    );
    socket.stop_monitor().unwrap();
}

#[test]
fn a_new_monitor_replaces_the_old_one() {
    let _wd = watchdog("replace", Duration::from_secs(60));
    let ctx = Context::new().unwrap();
    let socket = ctx.socket(PULL).unwrap();
    socket.set_linger(0).unwrap();
    let first = socket.monitor_socket(MonitorEvents::LISTENING).unwrap();
    let second = socket.monitor_socket(MonitorEvents::LISTENING).unwrap();
    // MONITOR_STOPPED is always included: the first learns it was replaced.
    assert_eq!(next(&first), MonitorEvent::MonitorStopped);
    socket.bind("tcp://127.0.0.1:*").unwrap();
    assert!(matches!(next(&second), MonitorEvent::Listening { .. }));
    assert_eq!(
        first.recv_timeout(Duration::from_millis(100)).unwrap(),
        None
    );
}

#[test]
fn receive_modes_timeouts_and_iteration() {
    let _wd = watchdog("receive modes", Duration::from_secs(60));
    let ctx = Context::new().unwrap();
    let socket = ctx.socket(PULL).unwrap();
    socket.set_linger(0).unwrap();
    let monitor = socket.monitor_socket(MonitorEvents::ALL).unwrap();
    assert_eq!(monitor.try_recv().unwrap(), None);
    assert_eq!(
        monitor.recv(RecvFlags::DONTWAIT).unwrap_err(),
        Error::EAGAIN
    );
    let start = Instant::now();
    assert_eq!(
        monitor.recv_timeout(Duration::from_millis(60)).unwrap(),
        None
    );
    assert!(start.elapsed() >= Duration::from_millis(60));
    // ZMQ_RCVTIMEO on the monitor's socket bounds a blocking recv.
    monitor.socket().set_rcvtimeo(30).unwrap();
    assert_eq!(monitor.recv(RecvFlags::empty()).unwrap_err(), Error::EAGAIN);
    monitor.socket().set_rcvtimeo(10_000).unwrap();

    let endpoint = bind_loopback(&socket);
    // The monitor's socket reports readiness, for polling along with others.
    wait_for("the monitor socket to be readable", WAIT, || {
        monitor
            .socket()
            .get_events()
            .unwrap()
            .contains(zmq::PollEvents::POLLIN)
    });
    assert!(matches!(
        monitor.try_recv().unwrap(),
        Some(MonitorEvent::Listening { .. })
    ));
    socket.unbind(&endpoint).unwrap();
    drop(socket);
    // Iteration ends with MonitorStopped.
    let kinds: Vec<_> = (&monitor)
        .into_iter()
        .map(|e| e.unwrap().event_type())
        .collect();
    assert_eq!(
        kinds,
        [MonitorEvents::CLOSED, MonitorEvents::MONITOR_STOPPED]
    );
    assert_eq!(monitor.iter().next(), None);
}

#[test]
fn an_unread_monitor_never_blocks_libzmq() {
    let _wd = watchdog("unread monitor", Duration::from_secs(60));
    let ctx = Context::new().unwrap();
    let socket = ctx.socket(PULL).unwrap();
    socket.set_linger(0).unwrap();
    let monitor = socket.monitor_socket(MonitorEvents::ALL).unwrap();
    // Far more events than the default high-water marks (1000 + 1000) would queue;
    // LISTENING is sent from this thread, inside bind.
    const ROUNDS: usize = 1100;
    for _ in 0..ROUNDS {
        socket.bind("tcp://127.0.0.1:*").unwrap();
        socket.unbind(&socket.get_last_endpoint().unwrap()).unwrap();
    }
    drop(socket);
    let (mut listening, mut closed) = (0, 0);
    for event in &monitor {
        match event.unwrap() {
            MonitorEvent::Listening { .. } => listening += 1,
            MonitorEvent::Closed { .. } => closed += 1,
            MonitorEvent::MonitorStopped => {}
            other => panic!("{other:?}"),
        }
    }
    assert_eq!((listening, closed), (ROUNDS, ROUNDS));
}

#[test]
fn dropping_a_monitor_early_does_not_block_libzmq() {
    let _wd = watchdog("early drop", Duration::from_secs(60));
    let ctx = Context::new().unwrap();
    let server = ctx.socket(REP).unwrap();
    server.set_linger(0).unwrap();
    let monitor = server.monitor_socket(MonitorEvents::ALL).unwrap();
    let endpoint = bind_loopback(&server);
    drop(monitor);
    // Events keep being raised (in the I/O thread: ACCEPTED, HANDSHAKE_SUCCEEDED,
    // DISCONNECTED, CLOSED): were nobody reading them, the I/O thread would block
    // and these connections would never complete.
    for _ in 0..3 {
        let client = ctx.socket(REQ).unwrap();
        client.set_linger(0).unwrap();
        client.connect(&endpoint).unwrap();
        round_trip(&client, &server);
    }
    drop(server);
    // Context termination (which waits for libzmq's own threads) completes.
    ctx.term().unwrap();
}

#[test]
fn a_monitor_moves_to_another_thread() {
    let _wd = watchdog("thread", Duration::from_secs(60));
    let ctx = Context::new().unwrap();
    let socket = ctx.socket(PULL).unwrap();
    socket.set_linger(0).unwrap();
    let monitor = socket.monitor_socket(MonitorEvents::ALL).unwrap();
    let reader = std::thread::spawn(move || {
        monitor
            .iter()
            .map(|e| e.unwrap())
            .collect::<Vec<MonitorEvent>>()
    });
    let endpoint = bind_loopback(&socket);
    drop(socket);
    let events = reader.join().unwrap();
    assert_eq!(events.len(), 3, "{events:?}");
    assert!(matches!(&events[0], MonitorEvent::Listening { endpoint: e, .. } if *e == endpoint));
    assert!(matches!(&events[1], MonitorEvent::Closed { endpoint: e, .. } if *e == endpoint));
    assert_eq!(events[2], MonitorEvent::MonitorStopped);
}

#[cfg(feature = "draft")]
mod draft {
    use super::*;
    use zmq::{EventVersion, MonitorV2Event, PUB, SUB};

    fn next_v2(monitor: &Monitor) -> MonitorV2Event {
        monitor
            .recv_v2_timeout(WAIT)
            .unwrap()
            .expect("no monitor event within 10 s")
    }

    #[test]
    fn v2_events_carry_both_endpoints() {
        let _wd = watchdog("v2 endpoints", Duration::from_secs(60));
        assert!(
            zmq::has("draft"),
            "the draft feature promises the draft API"
        );
        let ctx = Context::new().unwrap();
        let server = ctx.socket(PULL).unwrap();
        server.set_linger(0).unwrap();
        let server_monitor = server
            .monitor_socket_versioned(MonitorEvents::ALL_V2, EventVersion::V2)
            .unwrap();
        let endpoint = bind_loopback(&server);
        let client = ctx.socket(PUSH).unwrap();
        client.set_linger(0).unwrap();
        let client_monitor = client
            .monitor_socket_versioned(MonitorEvents::ALL_V2, EventVersion::V2)
            .unwrap();
        client.connect(&endpoint).unwrap();

        let listening = next_v2(&server_monitor);
        assert_eq!(listening.event_type(), MonitorEvents::LISTENING);
        assert_eq!(
            (listening.local.as_str(), listening.remote.as_str()),
            (endpoint.as_str(), "")
        );
        assert_eq!(listening.values.len(), 1);
        assert!(
            matches!(listening.typed(), MonitorEvent::Listening { endpoint: e, .. } if e == endpoint)
        );
        let accepted = next_v2(&server_monitor);
        assert_eq!(accepted.event_type(), MonitorEvents::ACCEPTED);
        assert_eq!(accepted.local, endpoint);
        let peer = accepted.remote.clone();
        assert!(
            peer.starts_with("tcp://127.0.0.1:") && peer != endpoint,
            "{peer}"
        );

        let mut event = next_v2(&client_monitor);
        if event.event_type() == MonitorEvents::CONNECT_DELAYED {
            assert_eq!(
                (event.local.as_str(), event.remote.as_str()),
                ("", endpoint.as_str())
            );
            event = next_v2(&client_monitor);
        }
        assert_eq!(event.event_type(), MonitorEvents::CONNECTED);
        // The client's local address is the server's view of the peer.
        assert_eq!(
            (event.local.as_str(), event.remote.as_str()),
            (peer.as_str(), endpoint.as_str())
        );
        let handshake = next_v2(&client_monitor);
        assert_eq!(handshake.event_type(), MonitorEvents::HANDSHAKE_SUCCEEDED);
        // Monitor::recv decodes format 2 too.
        assert_eq!(
            server_monitor.recv_timeout(WAIT).unwrap(),
            Some(MonitorEvent::HandshakeSucceeded { endpoint: peer })
        );
        // Format-2 reading of a format-1 monitor is refused.
        let v1 = client.monitor_socket(MonitorEvents::ALL).unwrap();
        assert_eq!(v1.recv_v2(RecvFlags::DONTWAIT).unwrap_err(), Error::EINVAL);
        // ... and so is PIPES_STATS in format 1.
        assert_eq!(
            client
                .monitor("inproc://v1-pipes", MonitorEvents::PIPES_STATS)
                .unwrap_err(),
            Error::EINVAL
        );
        assert_eq!(
            client
                .monitor_socket_versioned(MonitorEvents::ALL_V2, EventVersion::V1)
                .unwrap_err(),
            Error::EINVAL
        );
    }

    #[test]
    fn pipes_stats_count_queued_messages() {
        let _wd = watchdog("pipes stats", Duration::from_secs(60));
        let ctx = Context::new().unwrap();
        let server = ctx.socket(PULL).unwrap();
        server.set_linger(0).unwrap();
        let monitor = server
            .monitor_socket_versioned(MonitorEvents::PIPES_STATS, EventVersion::V2)
            .unwrap();
        // No connection yet.
        assert_eq!(server.monitor_pipes_stats().unwrap_err(), Error::EAGAIN);
        let endpoint = bind_loopback(&server);
        let client = ctx.socket(PUSH).unwrap();
        client.set_linger(0).unwrap();
        client.connect(&endpoint).unwrap();
        const QUEUED: u64 = 5;
        for i in 0..QUEUED {
            client.send(format!("m{i}"), SendFlags::empty()).unwrap();
        }
        // Ask until all five have arrived (and wait unread in the server's queue).
        let deadline = Instant::now() + WAIT;
        let stats = loop {
            assert!(Instant::now() < deadline, "the messages never all arrived");
            // Let the server process its commands (new pipes, stats replies).
            server.get_events().unwrap();
            match server.monitor_pipes_stats() {
                Ok(()) => {}
                Err(Error::EAGAIN) => {
                    std::thread::sleep(Duration::from_millis(10));
                    continue;
                }
                Err(e) => panic!("{e:?}"),
            }
            let mut reply = None;
            while reply.is_none() && Instant::now() < deadline {
                server.get_events().unwrap();
                reply = monitor.recv_v2_timeout(Duration::from_millis(20)).unwrap();
            }
            let event = reply.expect("no PIPES_STATS event");
            let (outbound, inbound) = event.pipes_stats().unwrap();
            if inbound == QUEUED {
                break event;
            }
            assert!(inbound < QUEUED);
            assert_eq!(outbound, 0);
        };
        assert_eq!(stats.pipes_stats(), Some((0, QUEUED)));
        assert_eq!(stats.local, endpoint);
        assert!(matches!(
            stats.typed(),
            MonitorEvent::PipesStats {
                outbound: 0,
                inbound: QUEUED,
                ..
            }
        ));
        server.set_rcvtimeo(10_000).unwrap();
        for i in 0..QUEUED {
            assert_eq!(
                server.recv_string(RecvFlags::empty()).unwrap().unwrap(),
                format!("m{i}")
            );
        }
        // Without PIPES_STATS among the monitored events, asking is refused.
        let _other = server
            .monitor_socket_versioned(MonitorEvents::CONNECTED, EventVersion::V2)
            .unwrap();
        assert_eq!(server.monitor_pipes_stats().unwrap_err(), Error::EINVAL);
    }

    #[test]
    fn a_pub_monitor_publishes_events_by_number() {
        let _wd = watchdog("pub monitor", Duration::from_secs(60));
        let ctx = Context::new().unwrap();
        let socket = ctx.socket(PULL).unwrap();
        socket.set_linger(0).unwrap();
        socket
            .monitor_versioned(
                "inproc://pub-monitor",
                MonitorEvents::ALL_V2,
                EventVersion::V2,
                PUB,
            )
            .unwrap();
        let sub = ctx.socket(SUB).unwrap();
        sub.set_rcvtimeo(10_000).unwrap();
        // Only LISTENING, selected by its 8-byte event number as topic.
        sub.set_subscribe(&MonitorEvents::LISTENING.bits().to_ne_bytes())
            .unwrap();
        sub.connect("inproc://pub-monitor").unwrap();
        // A PUB drops what nobody subscribed to yet: bind until an event gets through.
        let deadline = Instant::now() + WAIT;
        let frames = loop {
            assert!(Instant::now() < deadline, "no event reached the subscriber");
            socket.bind("tcp://127.0.0.1:*").unwrap();
            socket.unbind(&socket.get_last_endpoint().unwrap()).unwrap();
            match sub.recv_multipart(RecvFlags::DONTWAIT) {
                Ok(frames) => break frames,
                Err(Error::EAGAIN) => std::thread::sleep(Duration::from_millis(10)),
                Err(e) => panic!("{e:?}"),
            }
        };
        let event = MonitorV2Event::from_frames(&frames).unwrap();
        assert_eq!(event.event_type(), MonitorEvents::LISTENING);
        assert!(event.local.starts_with("tcp://127.0.0.1:"));
        // CLOSED events were filtered out by the subscription.
        std::thread::sleep(Duration::from_millis(50));
        while let Ok(frames) = sub.recv_multipart(RecvFlags::DONTWAIT) {
            let event = MonitorV2Event::from_frames(&frames).unwrap();
            assert_eq!(event.event_type(), MonitorEvents::LISTENING);
        }
        socket.stop_monitor().unwrap();
        // Only PAIR, PUB and PUSH can carry events.
        assert_eq!(
            socket
                .monitor_versioned(
                    "inproc://rep-monitor",
                    MonitorEvents::ALL_V2,
                    EventVersion::V2,
                    REP
                )
                .unwrap_err(),
            Error::EINVAL
        );
    }
}
