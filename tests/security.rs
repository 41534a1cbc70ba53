//! Security: what a CURVE server admits and refuses, how each refusal shows up
//! in the socket monitor, what `ZMQ_ZAP_ENFORCE_DOMAIN` really changes, and that
//! secret keys stay out of `Debug` output.
//!
//! This file adds to `tests/auth.rs` (the Authenticator's policies, counters, and
//! the PLAIN denial seen by monitors), `tests/curve.rs` (CURVE round trip; a
//! wrong server key gets nothing through) and `tests/curve_z85.rs` (key pairs,
//! Debug of a hand-made pair, no plaintext on the wire); it does not repeat them.
//!
//! The CURVE tests fail, never skip, when the build promises CURVE (the `curve`
//! feature of a vendored build, or a system libzmq) and `zmq::has("curve")` says
//! it is missing.
#![forbid(unsafe_code)]

mod common;

use std::ffi::c_int;
use std::time::Duration;

use common::curve;
use common::{wait_for, within};
use zmq::{
    Authenticator, Context, CurveKeyPair, Error, Monitor, MonitorEvent, MonitorEvents,
    ProtocolError, RecvFlags, SendFlags, Socket, SocketType,
};

/// Each test body's bound: a few waits of [`PATIENCE`] in a row.
const WATCHDOG: Duration = Duration::from_secs(120);
/// How long a wait for what must happen (a handshake outcome, a message) may
/// take: under valgrind on a loaded machine a CURVE handshake and its first
/// message took more than 10 s (tests/curve.rs). (Waits for what must not
/// happen stay short.)
const PATIENCE: Duration = Duration::from_secs(30);
const PATIENCE_MS: i32 = 30_000;

/// `ZMQ_ZAP_ENFORCE_DOMAIN`. libzmq 4.3 declares it in the draft part of zmq.h
/// (so the crate's typed setter needs the `draft` feature), but its options code
/// accepts it in every build, stable ones included.
const ZAP_ENFORCE_DOMAIN: c_int = 93;

fn set_zap_enforce_domain(s: &Socket, on: bool) {
    #[cfg(feature = "draft")]
    assert_eq!(zmq::sys::ZMQ_ZAP_ENFORCE_DOMAIN, ZAP_ENFORCE_DOMAIN);
    s.set_option_raw(ZAP_ENFORCE_DOMAIN, &i32::from(on).to_ne_bytes())
        .unwrap();
}

/// The events that tell how a handshake ended.
fn handshake_events() -> MonitorEvents {
    MonitorEvents::HANDSHAKE_SUCCEEDED
        | MonitorEvents::HANDSHAKE_FAILED_NO_DETAIL
        | MonitorEvents::HANDSHAKE_FAILED_PROTOCOL
        | MonitorEvents::HANDSHAKE_FAILED_AUTH
}

/// The next handshake outcome on `monitor` (within [`PATIENCE`], else the test
/// fails).
fn next_outcome(monitor: &Monitor, side: &str) -> MonitorEvent {
    monitor
        .recv_timeout(PATIENCE)
        .unwrap()
        .unwrap_or_else(|| panic!("{side}: no handshake event within {PATIENCE:?}"))
}

/// Asserts that no handshake on `monitor` succeeded (reading what is queued).
fn assert_no_success(monitor: &Monitor, side: &str) {
    while let Some(event) = monitor.try_recv().unwrap() {
        assert!(
            !matches!(event, MonitorEvent::HandshakeSucceeded { .. }),
            "{side}: a handshake succeeded"
        );
    }
}

/// Asserts that nothing arrives on `server` for half a second.
fn assert_nothing_arrives(server: &Socket) {
    server.set_rcvtimeo(500).unwrap();
    assert_eq!(
        server.recv_bytes(RecvFlags::empty()),
        Err(Error::EAGAIN),
        "a message got through"
    );
}

/// A bound server socket with `security` applied, linger 0, and a monitor.
fn server(ctx: &Context, kind: SocketType, security: impl FnOnce(&Socket)) -> (Socket, Monitor) {
    let s = ctx.socket(kind).unwrap();
    security(&s);
    s.set_linger(0).unwrap();
    s.set_rcvtimeo(PATIENCE_MS).unwrap();
    let monitor = s.monitor_socket(handshake_events()).unwrap();
    s.bind("tcp://127.0.0.1:*").unwrap();
    (s, monitor)
}

/// A client socket with `security` applied, connected to `server`, with a monitor.
fn client(
    ctx: &Context,
    kind: SocketType,
    server: &Socket,
    security: impl FnOnce(&Socket),
) -> (Socket, Monitor) {
    let c = ctx.socket(kind).unwrap();
    security(&c);
    c.set_linger(0).unwrap();
    c.set_rcvtimeo(PATIENCE_MS).unwrap();
    let monitor = c.monitor_socket(handshake_events()).unwrap();
    c.connect(&server.get_last_endpoint().unwrap()).unwrap();
    (c, monitor)
}

#[test]
fn curve_server_with_zap_refuses_an_unknown_key_and_admits_a_listed_one() {
    if !curve::checked() {
        return;
    }
    within(WATCHDOG, || {
        let ctx = Context::new().unwrap();
        let auth = Authenticator::start(&ctx).unwrap();
        let server_keys = CurveKeyPair::new().unwrap();
        let listed = CurveKeyPair::new().unwrap();
        let stranger = CurveKeyPair::new().unwrap();
        auth.configure_curve("*", [listed.public]).unwrap();
        let (rep, rep_monitor) = server(&ctx, SocketType::Rep, |s| {
            curve::set_server(s, &server_keys)
        });

        // The stranger's request never reaches the server and it never gets a
        // reply; both monitors report the ZAP handler's 400.
        let (req, req_monitor) = client(&ctx, SocketType::Req, &rep, |c| {
            curve::set_client(c, &server_keys.public, &stranger)
        });
        req.send("let me in", SendFlags::empty()).unwrap();
        for (side, monitor) in [("server", &rep_monitor), ("client", &req_monitor)] {
            match next_outcome(monitor, side) {
                MonitorEvent::HandshakeFailedAuth { status, .. } => {
                    assert_eq!(status, 400, "{side}")
                }
                other => panic!("{side}: expected HandshakeFailedAuth 400, got {other:?}"),
            }
        }
        assert_nothing_arrives(&rep);
        req.set_rcvtimeo(500).unwrap();
        assert_eq!(req.recv_bytes(RecvFlags::empty()), Err(Error::EAGAIN));
        assert_eq!((auth.allowed(), auth.denied()), (0, 1));
        drop((req, req_monitor));

        // The listed key gets through, and the server sees who it is.
        let (req, req_monitor) = client(&ctx, SocketType::Req, &rep, |c| {
            curve::set_client(c, &server_keys.public, &listed)
        });
        req.send("ping", SendFlags::empty()).unwrap();
        rep.set_rcvtimeo(PATIENCE_MS).unwrap();
        let msg = rep.recv_message(RecvFlags::empty()).unwrap();
        assert_eq!(msg.as_str(), Some("ping"));
        assert_eq!(msg.gets("User-Id").unwrap(), listed.public_z85());
        rep.send("pong", SendFlags::empty()).unwrap();
        assert_eq!(req.recv_bytes(RecvFlags::empty()).unwrap(), b"pong");
        assert!(matches!(
            next_outcome(&req_monitor, "client"),
            MonitorEvent::HandshakeSucceeded { .. }
        ));
        // The server's monitor may still hold denials of the stranger (had it
        // retried); after them comes this success.
        loop {
            match next_outcome(&rep_monitor, "server") {
                MonitorEvent::HandshakeSucceeded { .. } => break,
                MonitorEvent::HandshakeFailedAuth { status: 400, .. } => {}
                other => panic!("server: unexpected {other:?}"),
            }
        }
        assert_eq!(auth.allowed(), 1);
    });
}

/// A client with another mechanism connects to a CURVE server: the greetings
/// name different mechanisms, both sides report a mechanism mismatch, nothing
/// gets through.
fn mechanism_mismatch(client_security: impl FnOnce(&Socket)) {
    let ctx = Context::new().unwrap();
    let server_keys = CurveKeyPair::new().unwrap();
    let (pull, server_monitor) = server(&ctx, SocketType::Pull, |s| {
        curve::set_server(s, &server_keys)
    });
    let (push, client_monitor) = client(&ctx, SocketType::Push, &pull, client_security);
    push.send("plaintext", SendFlags::empty()).unwrap();
    for (side, monitor) in [("server", &server_monitor), ("client", &client_monitor)] {
        match next_outcome(monitor, side) {
            MonitorEvent::HandshakeFailedProtocol { error, .. } => {
                assert_eq!(error, ProtocolError::ZmtpMechanismMismatch, "{side}")
            }
            other => panic!("{side}: expected a mechanism mismatch, got {other:?}"),
        }
    }
    assert_nothing_arrives(&pull);
    assert_no_success(&server_monitor, "server");
    assert_no_success(&client_monitor, "client");
}

#[test]
fn null_client_of_a_curve_server_gets_nothing_through() {
    if !curve::checked() {
        return;
    }
    within(WATCHDOG, || mechanism_mismatch(|_| {}));
}

#[test]
fn plain_client_of_a_curve_server_gets_nothing_through() {
    if !curve::checked() {
        return;
    }
    within(WATCHDOG, || {
        mechanism_mismatch(|c| {
            c.set_plain_username("admin").unwrap();
            c.set_plain_password("secret").unwrap();
        })
    });
}

#[test]
fn wrong_server_key_fails_the_handshake_cryptographically() {
    if !curve::checked() {
        return;
    }
    within(WATCHDOG, || {
        let ctx = Context::new().unwrap();
        let server_keys = CurveKeyPair::new().unwrap();
        let client_keys = CurveKeyPair::new().unwrap();
        let impostor = CurveKeyPair::new().unwrap();
        let (pull, server_monitor) = server(&ctx, SocketType::Pull, |s| {
            curve::set_server(s, &server_keys)
        });
        // The client expects the impostor's public key: its HELLO box cannot be
        // opened with the real server's secret key.
        let (push, client_monitor) = client(&ctx, SocketType::Push, &pull, |c| {
            curve::set_client(c, &impostor.public, &client_keys)
        });
        push.send("for the impostor", SendFlags::empty()).unwrap();
        match next_outcome(&server_monitor, "server") {
            MonitorEvent::HandshakeFailedProtocol { error, .. } => {
                assert_eq!(error, ProtocolError::ZmtpCryptographic)
            }
            other => panic!("server: expected a cryptographic failure, got {other:?}"),
        }
        // The client only sees the server hang up in mid-handshake.
        match next_outcome(&client_monitor, "client") {
            MonitorEvent::HandshakeFailedNoDetail { .. } => {}
            other => panic!("client: expected HandshakeFailedNoDetail, got {other:?}"),
        }
        assert_nothing_arrives(&pull);
        assert_no_success(&server_monitor, "server");
        assert_no_success(&client_monitor, "client");
    });
}

/// A NULL PULL server with ZAP domain "secure" and `ZMQ_ZAP_ENFORCE_DOMAIN` set
/// to `enforce`; a NULL client sends one message. Returns whether it arrived,
/// and the server's handshake outcome.
fn null_domain_without_handler(enforce: bool) -> (bool, MonitorEvent) {
    let ctx = Context::new().unwrap();
    let (pull, server_monitor) = server(&ctx, SocketType::Pull, |s| {
        s.set_zap_domain("secure").unwrap();
        set_zap_enforce_domain(s, enforce);
    });
    let (push, _client_monitor) = client(&ctx, SocketType::Push, &pull, |_| {});
    push.send("hello", SendFlags::empty()).unwrap();
    let outcome = next_outcome(&server_monitor, "server");
    pull.set_rcvtimeo(if enforce { 500 } else { PATIENCE_MS })
        .unwrap();
    let arrived = match pull.recv_bytes(RecvFlags::empty()) {
        Ok(bytes) => {
            assert_eq!(bytes, b"hello");
            true
        }
        Err(Error::EAGAIN) => false,
        Err(e) => panic!("{e:?}"),
    };
    (arrived, outcome)
}

#[test]
fn zap_enforce_domain_refuses_null_peers_when_no_handler_is_running() {
    within(WATCHDOG, || {
        // Off (libzmq's default): a ZAP domain without a handler admits anyone.
        let ctx = Context::new().unwrap();
        assert_eq!(
            ctx.socket(SocketType::Pull)
                .unwrap()
                .get_option_raw(ZAP_ENFORCE_DOMAIN, &mut [0u8; 4]),
            Ok(4)
        );
        let (arrived, outcome) = null_domain_without_handler(false);
        assert!(arrived, "refused with ZAP_ENFORCE_DOMAIN off");
        assert!(
            matches!(outcome, MonitorEvent::HandshakeSucceeded { .. }),
            "{outcome:?}"
        );

        // On: without a handler the handshake fails (libzmq reports it with
        // errno EFAULT and no detail) and nothing gets through.
        let (arrived, outcome) = null_domain_without_handler(true);
        assert!(
            !arrived,
            "admitted with ZAP_ENFORCE_DOMAIN on and no handler"
        );
        match outcome {
            MonitorEvent::HandshakeFailedNoDetail { error, .. } => {
                assert_eq!(error, Error::EFAULT)
            }
            other => panic!("expected HandshakeFailedNoDetail, got {other:?}"),
        }
    });
}

#[test]
fn zap_enforce_domain_with_a_handler_asks_it() {
    within(WATCHDOG, || {
        let ctx = Context::new().unwrap();
        let auth = Authenticator::start(&ctx).unwrap();
        let (pull, _m) = server(&ctx, SocketType::Pull, |s| {
            s.set_zap_domain("secure").unwrap();
            set_zap_enforce_domain(s, true);
        });
        let (push, _cm) = client(&ctx, SocketType::Push, &pull, |_| {});
        push.send("asked", SendFlags::empty()).unwrap();
        assert_eq!(pull.recv_bytes(RecvFlags::empty()).unwrap(), b"asked");
        assert_eq!(auth.allowed(), 1);

        // And its verdict holds: a denied address is refused.
        auth.deny("127.0.0.1").unwrap();
        let (pull, _m) = server(&ctx, SocketType::Pull, |s| {
            s.set_zap_domain("secure").unwrap();
            set_zap_enforce_domain(s, true);
        });
        let (push, _cm) = client(&ctx, SocketType::Push, &pull, |_| {});
        push.send("denied", SendFlags::empty()).unwrap();
        wait_for("the handler to be asked", PATIENCE, || auth.denied() > 0);
        assert_nothing_arrives(&pull);
    });
}

/// A CURVE server (PULL) in `ctx` with the given ZAP domain and enforcement; a
/// client with a fresh key pair sends one message. Whether it arrived.
fn curve_admitted(ctx: &Context, domain: Option<&str>, enforce: bool) -> bool {
    let server_keys = CurveKeyPair::new().unwrap();
    let client_keys = CurveKeyPair::new().unwrap();
    let (pull, server_monitor) = server(ctx, SocketType::Pull, |s| {
        curve::set_server(s, &server_keys);
        if let Some(domain) = domain {
            s.set_zap_domain(domain).unwrap();
        }
        set_zap_enforce_domain(s, enforce);
    });
    let (push, _cm) = client(ctx, SocketType::Push, &pull, |c| {
        curve::set_client(c, &server_keys.public, &client_keys)
    });
    push.send("curve", SendFlags::empty()).unwrap();
    match next_outcome(&server_monitor, "server") {
        MonitorEvent::HandshakeSucceeded { .. } => {
            assert_eq!(pull.recv_bytes(RecvFlags::empty()).unwrap(), b"curve");
            true
        }
        MonitorEvent::HandshakeFailedAuth { .. } | MonitorEvent::HandshakeFailedNoDetail { .. } => {
            assert_nothing_arrives(&pull);
            false
        }
        other => panic!("unexpected handshake outcome {other:?}"),
    }
}

#[test]
fn zap_enforce_domain_and_curve() {
    if !curve::checked() {
        return;
    }
    within(WATCHDOG, || {
        // No handler: CURVE without ZAP ("Stonehouse": encrypted, any client key)
        // unless enforcement is on and a domain asks for ZAP.
        let ctx = Context::new().unwrap();
        assert!(curve_admitted(&ctx, None, false));
        assert!(curve_admitted(&ctx, Some("vault"), false));
        assert!(curve_admitted(&ctx, None, true));
        assert!(!curve_admitted(&ctx, Some("vault"), true));

        // A handler that admits no CURVE key at all. Without enforcement it is
        // asked even for a server with no domain; WITH enforcement a server
        // without a domain does not ask it, and admits any client key.
        let ctx = Context::new().unwrap();
        let auth = Authenticator::start(&ctx).unwrap();
        assert!(!curve_admitted(&ctx, None, false));
        assert_eq!(auth.denied(), 1);
        assert!(!curve_admitted(&ctx, Some("vault"), true));
        assert_eq!(auth.denied(), 2);
        assert!(curve_admitted(&ctx, None, true));
        assert_eq!((auth.allowed(), auth.denied()), (0, 2), "ZAP was asked");
    });
}

#[test]
fn secret_keys_stay_out_of_debug_output() {
    if !curve::checked() {
        return;
    }
    let pair = CurveKeyPair::new().unwrap();
    let secret_z85 = pair.secret_z85();
    let secret_list = format!("{:?}", pair.secret); // [12, 200, ...]
    let secret_hex: String = pair.secret.iter().map(|b| format!("{b:02x}")).collect();
    let ctx = Context::new().unwrap();
    let s = ctx.socket(SocketType::Rep).unwrap();
    s.set_curve_server(true).unwrap();
    s.set_curve_secretkey(&pair.secret).unwrap();
    let auth = Authenticator::start(&ctx).unwrap();
    auth.configure_curve("*", [pair.public]).unwrap();
    auth.configure_plain("*", [("user", "hunter2-password")]);
    let shown = [
        format!("{pair:?}"),
        format!("{pair:#?}"),
        format!("{:?}", pair.clone()),
        format!("{s:?}"),
        format!("{auth:?}"),
        format!("{auth:#?}"),
    ];
    for text in &shown {
        assert!(!text.contains(&secret_z85), "{text}");
        assert!(
            !text.contains(&secret_list[1..secret_list.len() - 1]),
            "{text}"
        );
        assert!(!text.to_lowercase().contains(&secret_hex), "{text}");
        assert!(!text.contains("hunter2-password"), "{text}");
    }
    // The public key is what identifies a pair.
    assert!(shown[0].contains(&pair.public_z85()));
    // The key is still in the socket, for whoever asks for it explicitly.
    assert_eq!(s.get_curve_secretkey_z85().unwrap(), secret_z85);
}
