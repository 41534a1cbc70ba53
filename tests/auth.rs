//! The ZAP authenticator end to end: address lists, PLAIN, CURVE, domains,
//! stop/restart and malformed requests. Every wait is bounded: sockets carry
//! receive timeouts and each test body runs under a watchdog.
//!
//! A wait for what must happen (a message, a ZAP verdict) may take
//! [`PATIENCE`]: under valgrind on a loaded machine a CURVE handshake and its
//! ZAP request took more than 5 s here (and one with its first message more
//! than 10 s in tests/curve.rs). The watchdog allows a few of those in a row. A
//! wait for what must not happen stays short: a slow machine makes it pass.
#![forbid(unsafe_code)]

mod common;
use common::curve;
use common::net::{bind_loopback, millis};
use common::{wait_for, within};

use std::time::{Duration, Instant};

use zmq::{
    Authenticator, Context, CurveKeyPair, Error, MonitorEvent, MonitorEvents, RecvFlags, SendFlags,
    Socket, PULL, PUSH,
};

/// How long a wait for something that must happen may take.
const PATIENCE: Duration = Duration::from_secs(30);
/// The watchdog of each test body, in seconds.
const WATCHDOG_S: u64 = 120;

/// A PULL server on `tcp://127.0.0.1:*`, set up by `security`, and its endpoint.
fn server(ctx: &Context, security: impl FnOnce(&Socket)) -> (Socket, String) {
    let s = ctx.socket(PULL).unwrap();
    security(&s);
    s.set_linger(0).unwrap();
    s.set_rcvtimeo(millis(PATIENCE)).unwrap();
    let endpoint = bind_loopback(&s);
    (s, endpoint)
}

/// A PUSH client, set up by `security`, that connects and sends `text`.
fn client_sends(
    ctx: &Context,
    endpoint: &str,
    text: &str,
    security: impl FnOnce(&Socket),
) -> Socket {
    let c = ctx.socket(PUSH).unwrap();
    security(&c);
    c.set_linger(0).unwrap();
    c.connect(endpoint).unwrap();
    // PUSH queues the message until the handshake completes (or forever).
    c.send(text, SendFlags::empty()).unwrap();
    c
}

/// Receives `text` on `server` and returns its User-Id.
fn expect_message(server: &Socket, text: &str) -> String {
    let msg = server
        .recv_message(RecvFlags::empty())
        .expect("the authenticated client's message");
    assert_eq!(msg.as_str(), Some(text));
    msg.gets("User-Id")
        .expect("an authenticated message has a User-Id")
        .to_owned()
}

/// Waits until the authenticator has denied one more request than `before`,
/// then checks that nothing reached `server`.
fn expect_denied(auth: &Authenticator, before: u64, server: &Socket) {
    wait_for("a ZAP denial", PATIENCE, || auth.denied() > before);
    server.set_rcvtimeo(300).unwrap();
    assert_eq!(
        server.recv_bytes(RecvFlags::empty()).unwrap_err(),
        Error::EAGAIN,
        "a denied client's message got through"
    );
    server.set_rcvtimeo(millis(PATIENCE)).unwrap();
}

fn null_with_domain(domain: &'static str) -> impl FnOnce(&Socket) {
    move |s: &Socket| s.set_zap_domain(domain).unwrap()
}

fn plain_server(domain: &'static str) -> impl FnOnce(&Socket) {
    move |s: &Socket| {
        s.set_plain_server(true).unwrap();
        if !domain.is_empty() {
            s.set_zap_domain(domain).unwrap();
        }
    }
}

fn plain_client(user: &'static str, password: &'static str) -> impl FnOnce(&Socket) {
    move |s: &Socket| {
        s.set_plain_username(user).unwrap();
        s.set_plain_password(password).unwrap();
    }
}

#[test]
fn ip_allow_list_admits_listed_addresses_only() {
    within(Duration::from_secs(WATCHDOG_S), || {
        let ctx = Context::new().unwrap();
        let auth = Authenticator::start(&ctx).unwrap();
        auth.allow("127.0.0.1").unwrap();
        let (srv, endpoint) = server(&ctx, null_with_domain("global"));
        let _c = client_sends(&ctx, &endpoint, "from localhost", |_| {});
        // NULL peers get an empty user id.
        assert_eq!(expect_message(&srv, "from localhost"), "");
        assert_eq!((auth.allowed(), auth.denied()), (1, 0));
        drop(auth);

        // Only 10.0.0.1 is listed (never a target, only a list entry): 127.0.0.1
        // is refused.
        let ctx = Context::new().unwrap();
        let auth = Authenticator::start(&ctx).unwrap();
        auth.allow("10.0.0.1").unwrap();
        // The deny-list is ignored while the allow-list is not empty.
        auth.deny("10.0.0.1").unwrap();
        let (srv, endpoint) = server(&ctx, null_with_domain("global"));
        let _c = client_sends(&ctx, &endpoint, "refused", |_| {});
        expect_denied(&auth, 0, &srv);
        assert_eq!(auth.allowed(), 0);

        // A change applies to the next handshake: with the lists cleared, a new
        // connection is admitted. (A new server, so that nothing else could
        // arrive first.)
        auth.clear_addresses();
        let (srv2, endpoint2) = server(&ctx, null_with_domain("global"));
        let _c2 = client_sends(&ctx, &endpoint2, "after clear", |_| {});
        assert_eq!(expect_message(&srv2, "after clear"), "");
        assert_eq!(auth.allowed(), 1);
        assert_eq!(auth.allow("localhost").unwrap_err(), Error::EINVAL);
        assert_eq!(auth.deny("").unwrap_err(), Error::EINVAL);
    });
}

#[test]
fn ip_deny_list_refuses_listed_addresses() {
    within(Duration::from_secs(WATCHDOG_S), || {
        let ctx = Context::new().unwrap();
        let auth = Authenticator::start(&ctx).unwrap();
        auth.deny("10.0.0.1").unwrap();
        let (srv, endpoint) = server(&ctx, null_with_domain("global"));
        let _c = client_sends(&ctx, &endpoint, "not listed", |_| {});
        assert_eq!(expect_message(&srv, "not listed"), "");

        auth.deny("127.0.0.1").unwrap();
        let _c2 = client_sends(&ctx, &endpoint, "listed", |_| {});
        expect_denied(&auth, 0, &srv);
        assert_eq!(auth.allowed(), 1);

        // The IP check applies to PLAIN too, before the password.
        auth.configure_plain("*", [("user", "pass")]);
        let (psrv, pendpoint) = server(&ctx, plain_server(""));
        let before = auth.denied();
        let _c3 = client_sends(&ctx, &pendpoint, "plain", plain_client("user", "pass"));
        expect_denied(&auth, before, &psrv);
    });
}

#[test]
fn plain_passwords() {
    within(Duration::from_secs(WATCHDOG_S), || {
        let ctx = Context::new().unwrap();
        let auth = Authenticator::start(&ctx).unwrap();
        let mut passwords = std::collections::HashMap::new();
        passwords.insert("admin".to_string(), "secret".to_string());
        passwords.insert("guest".to_string(), "guest".to_string());
        auth.configure_plain("*", passwords);
        let (srv, endpoint) = server(&ctx, plain_server(""));

        let _ok = client_sends(&ctx, &endpoint, "hello", plain_client("admin", "secret"));
        assert_eq!(expect_message(&srv, "hello"), "admin");
        assert_eq!(auth.allowed(), 1);

        let _wrong = client_sends(&ctx, &endpoint, "x", plain_client("admin", "Secret"));
        expect_denied(&auth, 0, &srv);
        let _prefix = client_sends(&ctx, &endpoint, "x", plain_client("admin", "secre"));
        expect_denied(&auth, 1, &srv);
        let _unknown = client_sends(&ctx, &endpoint, "x", plain_client("mallory", "secret"));
        expect_denied(&auth, 2, &srv);
        // A NULL client of a PLAIN server never gets as far as ZAP.
        let _null = client_sends(&ctx, &endpoint, "x", |_| {});

        let _guest = client_sends(
            &ctx,
            &endpoint,
            "guest here",
            plain_client("guest", "guest"),
        );
        assert_eq!(expect_message(&srv, "guest here"), "guest");
        assert_eq!((auth.allowed(), auth.denied(), auth.errors()), (2, 3, 0));
    });
}

#[test]
fn plain_is_refused_without_configuration() {
    within(Duration::from_secs(WATCHDOG_S), || {
        let ctx = Context::new().unwrap();
        let auth = Authenticator::start(&ctx).unwrap();
        let (srv, endpoint) = server(&ctx, plain_server("nowhere"));
        let _c = client_sends(&ctx, &endpoint, "x", plain_client("admin", "secret"));
        expect_denied(&auth, 0, &srv);
    });
}

#[test]
fn per_domain_password_tables() {
    within(Duration::from_secs(WATCHDOG_S), || {
        let ctx = Context::new().unwrap();
        let auth = Authenticator::start(&ctx).unwrap();
        auth.configure_plain("alpha", [("alice", "a-pass")]);
        auth.configure_plain("beta", [("bob", "b-pass")]);
        let (alpha, alpha_ep) = server(&ctx, plain_server("alpha"));
        let (beta, beta_ep) = server(&ctx, plain_server("beta"));
        let (gamma, gamma_ep) = server(&ctx, plain_server("gamma"));

        let _a = client_sends(
            &ctx,
            &alpha_ep,
            "alice@alpha",
            plain_client("alice", "a-pass"),
        );
        assert_eq!(expect_message(&alpha, "alice@alpha"), "alice");
        let _b = client_sends(&ctx, &beta_ep, "bob@beta", plain_client("bob", "b-pass"));
        assert_eq!(expect_message(&beta, "bob@beta"), "bob");

        // Each domain knows only its own users.
        let _ab = client_sends(&ctx, &beta_ep, "x", plain_client("alice", "a-pass"));
        expect_denied(&auth, 0, &beta);
        let _ba = client_sends(&ctx, &alpha_ep, "x", plain_client("bob", "b-pass"));
        expect_denied(&auth, 1, &alpha);

        // A domain without a table is refused until "*" provides a default;
        // domains with their own table do not fall back to it.
        let _cg = client_sends(&ctx, &gamma_ep, "x", plain_client("carol", "c-pass"));
        expect_denied(&auth, 2, &gamma);
        auth.configure_plain("*", [("carol", "c-pass")]);
        let (gamma2, gamma2_ep) = server(&ctx, plain_server("gamma"));
        let _cg2 = client_sends(
            &ctx,
            &gamma2_ep,
            "carol@gamma",
            plain_client("carol", "c-pass"),
        );
        assert_eq!(expect_message(&gamma2, "carol@gamma"), "carol");
        let _ca = client_sends(&ctx, &alpha_ep, "x", plain_client("carol", "c-pass"));
        expect_denied(&auth, 3, &alpha);

        // Removing a domain makes it fall back to "*".
        auth.remove_domain("alpha");
        let (alpha2, alpha2_ep) = server(&ctx, plain_server("alpha"));
        let _ca2 = client_sends(
            &ctx,
            &alpha2_ep,
            "carol@alpha",
            plain_client("carol", "c-pass"),
        );
        assert_eq!(expect_message(&alpha2, "carol@alpha"), "carol");
        assert_eq!((auth.allowed(), auth.denied()), (4, 4));
    });
}

/// A CURVE server (PULL) with a new key pair, set up as [`server`] sets one up.
fn curve_server(ctx: &Context, configure: impl FnOnce(&Socket)) -> curve::Server {
    curve::server(ctx, PULL, PATIENCE, configure)
}

/// A CURVE client with a new key pair; returns it with its public key (Z85).
fn curve_client_sends(ctx: &Context, server: &curve::Server, text: &str) -> (Socket, String) {
    let keys = CurveKeyPair::new().unwrap();
    let client = curve_client_with(ctx, server, &keys, text);
    (client, keys.public_z85())
}

/// Like `curve_client_sends`, with a given key pair.
fn curve_client_with(
    ctx: &Context,
    server: &curve::Server,
    keys: &CurveKeyPair,
    text: &str,
) -> Socket {
    client_sends(ctx, &server.endpoint, text, |c| {
        curve::set_client(c, &server.keys.public, keys)
    })
}

#[test]
fn curve_allow_list_and_any() {
    if !curve::checked() {
        return;
    }
    within(Duration::from_secs(WATCHDOG_S), || {
        let ctx = Context::new().unwrap();
        let auth = Authenticator::start(&ctx).unwrap();
        let srv = curve_server(&ctx, |_| {});

        // No CURVE configuration: refused.
        let (_c0, _) = curve_client_sends(&ctx, &srv, "x");
        expect_denied(&auth, 0, &srv.socket);

        let known = CurveKeyPair::new().unwrap();
        let other = CurveKeyPair::new().unwrap();
        auth.configure_curve("*", [known.public_z85(), other.public_z85()])
            .unwrap();
        let _c1 = curve_client_with(&ctx, &srv, &known, "known key");
        // The user id is the client's public key in Z85.
        assert_eq!(expect_message(&srv.socket, "known key"), known.public_z85());

        let (_c2, _) = curve_client_sends(&ctx, &srv, "x");
        expect_denied(&auth, 1, &srv.socket);

        // Bad keys are refused and leave the policy as it was.
        assert_eq!(
            auth.configure_curve("*", [known.public_z85().as_str(), "too short"]),
            Err(Error::EINVAL)
        );
        let mut bad = known.public_z85().into_bytes();
        bad[0] = b' ';
        assert_eq!(auth.configure_curve("*", [bad]), Err(Error::EINVAL));
        let _c3 = curve_client_with(&ctx, &srv, &other, "other key");
        assert_eq!(expect_message(&srv.socket, "other key"), other.public_z85());

        // Any key that completes the handshake.
        auth.configure_curve_any("*");
        let srv2 = curve_server(&ctx, |_| {});
        let (_c4, public) = curve_client_sends(&ctx, &srv2, "any key");
        assert_eq!(expect_message(&srv2.socket, "any key"), public);
        assert_eq!((auth.allowed(), auth.denied(), auth.errors()), (3, 2, 0));
    });
}

#[test]
fn curve_per_domain_with_binary_keys() {
    if !curve::promised() {
        return;
    }
    within(Duration::from_secs(WATCHDOG_S), || {
        let ctx = Context::new().unwrap();
        let auth = Authenticator::start(&ctx).unwrap();
        let known = CurveKeyPair::new().unwrap();
        // A 32-byte binary key, read back through a socket option.
        let probe = ctx.socket(PUSH).unwrap();
        probe
            .set_curve_publickey(known.public_z85().as_bytes())
            .unwrap();
        let binary = probe.get_curve_publickey().unwrap();
        assert_eq!(binary.len(), 32);
        auth.configure_curve("vault", [binary]).unwrap();
        auth.configure_curve_any("*");

        let vault = curve_server(&ctx, |s| s.set_zap_domain("vault").unwrap());
        let (_stranger, _) = curve_client_sends(&ctx, &vault, "x");
        expect_denied(&auth, 0, &vault.socket);
        let _c = curve_client_with(&ctx, &vault, &known, "in the vault");
        assert_eq!(
            expect_message(&vault.socket, "in the vault"),
            known.public_z85()
        );
    });
}

#[test]
fn one_per_context_stop_and_restart() {
    within(Duration::from_secs(WATCHDOG_S), || {
        let ctx = Context::new().unwrap();
        let auth = Authenticator::start(&ctx).unwrap();
        assert!(auth.is_running());
        assert_eq!(Authenticator::start(&ctx).unwrap_err(), Error::EADDRINUSE);
        // Another context has its own endpoint.
        let other_ctx = Context::new().unwrap();
        let other = Authenticator::start(&other_ctx).unwrap();

        auth.configure_plain("*", [("u", "p")]);
        let (srv, endpoint) = server(&ctx, plain_server(""));
        let _c1 = client_sends(&ctx, &endpoint, "first", plain_client("u", "p"));
        assert_eq!(expect_message(&srv, "first"), "u");
        auth.stop().unwrap();

        // Stopped: the endpoint is free again at once, and the new handler
        // starts with an empty policy and fresh counters.
        let auth = Authenticator::start(&ctx).unwrap();
        assert_eq!((auth.allowed(), auth.denied()), (0, 0));
        let _c2 = client_sends(&ctx, &endpoint, "x", plain_client("u", "p"));
        expect_denied(&auth, 0, &srv);
        auth.configure_plain("*", [("u", "p")]);
        let (srv2, endpoint2) = server(&ctx, plain_server(""));
        let _c3 = client_sends(&ctx, &endpoint2, "second", plain_client("u", "p"));
        assert_eq!(expect_message(&srv2, "second"), "u");

        // Dropping stops it as well.
        drop(auth);
        let auth = Authenticator::start(&ctx).unwrap();
        auth.stop().unwrap();
        other.stop().unwrap();
    });
}

#[test]
fn configuration_from_another_thread() {
    within(Duration::from_secs(WATCHDOG_S), || {
        let ctx = Context::new().unwrap();
        let auth = std::sync::Arc::new(Authenticator::start(&ctx).unwrap());
        let remote = std::sync::Arc::clone(&auth);
        std::thread::spawn(move || remote.configure_plain("*", [("t", "pw")]))
            .join()
            .unwrap();
        let (srv, endpoint) = server(&ctx, plain_server(""));
        let _c = client_sends(
            &ctx,
            &endpoint,
            "configured elsewhere",
            plain_client("t", "pw"),
        );
        assert_eq!(expect_message(&srv, "configured elsewhere"), "t");
    });
}

#[test]
fn drop_during_handshakes_does_not_hang() {
    within(Duration::from_secs(WATCHDOG_S), || {
        let ctx = Context::new().unwrap();
        let auth = Authenticator::start(&ctx).unwrap();
        auth.configure_plain("*", [("u", "p")]);
        let (srv, endpoint) = server(&ctx, plain_server(""));
        let clients: Vec<Socket> = (0..20)
            .map(|_| client_sends(&ctx, &endpoint, "x", plain_client("u", "p")))
            .collect();
        let started = Instant::now();
        drop(auth);
        assert!(started.elapsed() < Duration::from_secs(5));
        // With no handler, new handshakes fail; everything closes and the
        // context terminates.
        let auth = Authenticator::start(&ctx).unwrap();
        drop(auth);
        drop(clients);
        drop(srv);
        ctx.term().unwrap();
    });
}

#[test]
fn context_shutdown_ends_the_thread() {
    within(Duration::from_secs(WATCHDOG_S), || {
        let ctx = Context::new().unwrap();
        let auth = Authenticator::start(&ctx).unwrap();
        ctx.shutdown().unwrap();
        wait_for("the ZAP thread to end", PATIENCE, || !auth.is_running());
        auth.stop().unwrap();
        assert_eq!(Authenticator::start(&ctx).unwrap_err(), Error::ETERM);

        // Terminating the last handle while the authenticator runs: same.
        let ctx = Context::new().unwrap();
        let auth = Authenticator::start(&ctx).unwrap();
        ctx.term().unwrap();
        wait_for("the ZAP thread to end", PATIENCE, || !auth.is_running());
        drop(auth);
    });
}

/// Sends one request to the handler from a REQ socket and returns the reply.
fn zap_exchange(req: &Socket, frames: &[&[u8]]) -> Vec<Vec<u8>> {
    req.send_multipart(frames, SendFlags::empty()).unwrap();
    req.recv_multipart(RecvFlags::empty()).expect("a ZAP reply")
}

#[test]
fn malformed_requests_are_answered_or_dropped() {
    within(Duration::from_secs(WATCHDOG_S), || {
        let ctx = Context::new().unwrap();
        let auth = Authenticator::start(&ctx).unwrap();
        auth.configure_plain("*", [("u", "p")]);
        let req = ctx.socket(zmq::REQ).unwrap();
        req.set_rcvtimeo(millis(PATIENCE)).unwrap();
        req.set_linger(0).unwrap();
        req.connect(zmq::ZAP_ENDPOINT).unwrap();

        // Three frames: too few, but there is a request id to answer.
        let reply = zap_exchange(&req, &[b"1.0", b"7", b"domain"]);
        assert_eq!(reply.len(), 6);
        assert_eq!(
            &reply[..3],
            &[b"1.0".to_vec(), b"7".to_vec(), b"500".to_vec()]
        );
        assert!(reply[4].is_empty() && reply[5].is_empty());
        // Unknown version.
        let reply = zap_exchange(&req, &[b"2.0", b"8", b"", b"127.0.0.1", b"", b"NULL"]);
        assert_eq!(
            &reply[..3],
            &[b"1.0".to_vec(), b"8".to_vec(), b"500".to_vec()]
        );
        // Credentials that do not fit the mechanism.
        let reply = zap_exchange(
            &req,
            &[b"1.0", b"9", b"", b"127.0.0.1", b"", b"PLAIN", b"u"],
        );
        assert_eq!(reply[2], b"500");
        let reply = zap_exchange(&req, &[b"1.0", b"10", b"", b"", b"", b"CURVE", &[7u8; 31]]);
        assert_eq!(reply[2], b"500");
        let reply = zap_exchange(&req, &[b"1.0", b"11", b"", b"", b"", b"NULL", b"extra"]);
        assert_eq!(reply[2], b"500");
        // Far too many frames, with binary junk.
        let junk: Vec<&[u8]> = [&b"1.0"[..], b"16", b"", b"", b"", b"NULL"]
            .into_iter()
            .chain(std::iter::repeat(&[0xffu8, 0, 0xfe][..]).take(200))
            .collect();
        let reply = zap_exchange(&req, &junk);
        assert_eq!(reply[2], b"500");
        // Junk everywhere: not an address, not a mechanism: a denial.
        let junk: Vec<&[u8]> = std::iter::once(&b"1.0"[..])
            .chain(std::iter::repeat(&[0xffu8, 0, 0xfe][..]).take(200))
            .collect();
        let reply = zap_exchange(&req, &junk);
        assert_eq!(reply[2], b"400");
        assert_eq!(auth.errors(), 6);
        // A mechanism it does not handle is a denial, not an error.
        let reply = zap_exchange(&req, &[b"1.0", b"12", b"", b"", b"", b"GSSAPI", b"me"]);
        assert_eq!(reply[2], b"400");
        // Well-formed requests from a test socket are judged like libzmq's.
        let reply = zap_exchange(&req, &[b"1.0", b"13", b"d", b"127.0.0.1", b"id", b"NULL"]);
        assert_eq!(
            reply,
            [&b"1.0"[..], b"13", b"200", b"OK", b"", b""].map(<[u8]>::to_vec)
        );
        let reply = zap_exchange(&req, &[b"1.0", b"14", b"", b"", b"", b"PLAIN", b"u", b"p"]);
        assert_eq!((&reply[2][..], &reply[4][..]), (&b"200"[..], &b"u"[..]));
        let reply = zap_exchange(&req, &[b"1.0", b"15", b"", b"", b"", b"PLAIN", b"u", b"x"]);
        assert_eq!(reply[2], b"400");

        // No envelope delimiter, or no request id: nothing to answer, dropped.
        let dealer = ctx.socket(zmq::DEALER).unwrap();
        dealer.set_rcvtimeo(300).unwrap();
        dealer.set_linger(0).unwrap();
        dealer.connect(zmq::ZAP_ENDPOINT).unwrap();
        dealer
            .send_multipart(["1.0", "16"], SendFlags::empty())
            .unwrap();
        dealer
            .send_multipart(["", "1.0"], SendFlags::empty())
            .unwrap();
        dealer.send("", SendFlags::empty()).unwrap();
        wait_for("three dropped requests", PATIENCE, || auth.errors() == 9);
        assert_eq!(
            dealer.recv_bytes(RecvFlags::empty()).unwrap_err(),
            Error::EAGAIN
        );
        assert!(auth.is_running());

        // Real requests are still served.
        let (srv, endpoint) = server(&ctx, plain_server(""));
        let _c = client_sends(&ctx, &endpoint, "still serving", plain_client("u", "p"));
        assert_eq!(expect_message(&srv, "still serving"), "u");
        assert_eq!(auth.errors(), 9);
        auth.stop().unwrap();
    });
}

#[test]
fn monitors_report_the_denial_with_its_status() {
    within(Duration::from_secs(WATCHDOG_S), || {
        let ctx = Context::new().unwrap();
        let auth = Authenticator::start(&ctx).unwrap();
        auth.configure_plain("*", [("u", "p")]);
        let (srv, endpoint) = server(&ctx, plain_server(""));
        let server_monitor = srv
            .monitor_socket(MonitorEvents::HANDSHAKE_FAILED_AUTH)
            .unwrap();
        let client = ctx.socket(PUSH).unwrap();
        plain_client("u", "wrong")(&client);
        client.set_linger(0).unwrap();
        let client_monitor = client
            .monitor_socket(MonitorEvents::HANDSHAKE_FAILED_AUTH)
            .unwrap();
        client.connect(&endpoint).unwrap();
        for (side, monitor) in [("client", &client_monitor), ("server", &server_monitor)] {
            match monitor.recv_timeout(PATIENCE).unwrap() {
                Some(MonitorEvent::HandshakeFailedAuth { status, .. }) => {
                    assert_eq!(status, 400, "{side}")
                }
                other => panic!("{side}: expected HandshakeFailedAuth, got {other:?}"),
            }
        }
        assert_eq!(auth.denied(), 1);
    });
}
