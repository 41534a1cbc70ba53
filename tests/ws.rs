//! The WebSocket transport (`ws://`), between two of this crate's sockets: REQ/REP
//! and PUB/SUB, with multipart messages and a frame large enough for WebSocket's
//! 64-bit length encoding.
//!
//! libzmq compiles `ws://` only in draft builds (the vendored build adds it with the
//! `draft` feature; a system libzmq has it if it was configured with drafts and
//! WebSocket support). `zmq::has("WS")` decides (libzmq spells the capability in
//! upper case, the endpoints in lower case): without it, the tests check that
//! a `ws://` bind and connect fail cleanly with `EPROTONOSUPPORT`, and say on stderr
//! (past the test harness's capture) that the transport itself was not exercised.
#![forbid(unsafe_code)]

mod common;

use std::io::Write;
use std::time::{Duration, Instant};

use zmq::{Context, Error, RecvFlags, SendFlags, Socket};

/// Says, past the harness's output capture, that a test did not exercise ws://.
fn report_skip(test: &str) {
    let _ = writeln!(
        std::io::stderr(),
        "tests/ws.rs {test}: SKIPPED the ws:// exchange: the linked libzmq {:?} ({}) \
         has no WebSocket transport (zmq_has(\"WS\") is false); checked instead that \
         ws:// bind and connect fail with EPROTONOSUPPORT",
        zmq::version(),
        if zmq::sys::vendored() {
            "vendored"
        } else {
            "system"
        },
    );
}

/// Where ws:// must be available: the vendored libzmq built with drafts.
fn ws_expected() -> bool {
    zmq::sys::vendored() && cfg!(feature = "draft")
}

/// Without the transport: both directions fail with EPROTONOSUPPORT, no panic,
/// no hang, and the socket stays usable.
fn check_refused(ctx: &Context) {
    let s = ctx.socket(zmq::REP).unwrap();
    assert_eq!(s.bind("ws://127.0.0.1:*"), Err(Error::EPROTONOSUPPORT));
    let c = ctx.socket(zmq::REQ).unwrap();
    assert_eq!(
        c.connect("ws://127.0.0.1:5555"),
        Err(Error::EPROTONOSUPPORT)
    );
    s.bind("tcp://127.0.0.1:*").unwrap();
}

/// Binds `socket` to a ws:// endpoint on an ephemeral loopback port.
fn bind_ws(socket: &Socket) -> String {
    socket.bind("ws://127.0.0.1:*").unwrap();
    let endpoint = socket.get_last_endpoint().unwrap();
    assert!(endpoint.starts_with("ws://127.0.0.1:"), "{endpoint}");
    endpoint
}

/// A frame above 65535 bytes (WebSocket's 64-bit length) with every byte value.
fn big_frame() -> Vec<u8> {
    (0..300_000u32).map(|i| (i * 7 % 251) as u8).collect()
}

#[test]
fn has_ws_is_what_the_build_promises() {
    if ws_expected() {
        assert!(zmq::has("WS"), "the vendored draft build compiles ws://");
    }
    if !cfg!(feature = "draft") && zmq::sys::vendored() {
        assert!(
            !zmq::has("WS"),
            "the vendored stable build leaves ws:// out"
        );
    }
    // wss:// needs GnuTLS, which the vendored build does not use.
    if zmq::sys::vendored() {
        assert!(!zmq::has("WSS"));
    }
}

#[test]
fn req_rep_over_ws() {
    let ctx = Context::new().unwrap();
    if !zmq::has("WS") {
        check_refused(&ctx);
        report_skip("req_rep_over_ws");
        return;
    }
    let rep = ctx.socket(zmq::REP).unwrap();
    rep.set_rcvtimeo(30_000).unwrap();
    let endpoint = bind_ws(&rep);
    let req = ctx.socket(zmq::REQ).unwrap();
    req.set_rcvtimeo(30_000).unwrap();
    req.set_sndtimeo(30_000).unwrap();
    req.connect(&endpoint).unwrap();

    let big = big_frame();
    for round in 0..20u32 {
        let text = format!("request {round}");
        req.send_multipart([text.as_bytes(), b"", &big[..]], SendFlags::empty())
            .unwrap();
        let frames = rep.recv_multipart(RecvFlags::empty()).unwrap();
        assert_eq!(frames.len(), 3);
        assert_eq!(frames[0], text.as_bytes());
        assert!(frames[1].is_empty());
        assert_eq!(frames[2], big);
        rep.send(format!("reply {round}"), SendFlags::empty())
            .unwrap();
        assert_eq!(
            req.recv_string(RecvFlags::empty()).unwrap().unwrap(),
            format!("reply {round}")
        );
    }
}

#[test]
fn pub_sub_over_ws_filters_topics() {
    let ctx = Context::new().unwrap();
    if !zmq::has("WS") {
        check_refused(&ctx);
        report_skip("pub_sub_over_ws_filters_topics");
        return;
    }
    let publisher = ctx.socket(zmq::PUB).unwrap();
    let endpoint = bind_ws(&publisher);
    let subscriber = ctx.socket(zmq::SUB).unwrap();
    subscriber.set_rcvtimeo(100).unwrap();
    subscriber.set_subscribe(b"weather.").unwrap();
    subscriber.set_subscribe(b"sync").unwrap();
    subscriber.connect(&endpoint).unwrap();

    // The slow joiner: publish "sync" until one arrives, so every subscription
    // has reached the publisher (they travel in order on the one connection).
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        publisher.send("sync", SendFlags::empty()).unwrap();
        match subscriber.recv_bytes(RecvFlags::empty()) {
            Ok(frame) if frame == b"sync" => break,
            Ok(other) => panic!("unexpected {other:?}"),
            Err(Error::EAGAIN) => assert!(Instant::now() < deadline, "no sync in 30 s"),
            Err(e) => panic!("{e}"),
        }
    }
    subscriber.set_rcvtimeo(30_000).unwrap();
    let big = big_frame();
    let published: [&[&[u8]]; 5] = [
        &[b"weather.paris", b"sunny"],
        &[b"sports.rugby", b"20-13"],
        &[b"weather.oslo", b"", &big],
        &[b"weath", b"too short for the filter"],
        &[b"weather.end"],
    ];
    for message in published {
        publisher
            .send_multipart(message, SendFlags::empty())
            .unwrap();
    }
    let mut received = Vec::new();
    loop {
        let frames = subscriber.recv_multipart(RecvFlags::empty()).unwrap();
        if frames[0] == b"sync" {
            continue; // stray syncs sent before the first one arrived
        }
        let end = frames[0] == b"weather.end";
        received.push(frames);
        if end {
            break;
        }
    }
    let expected: Vec<Vec<Vec<u8>>> = [published[0], published[2], published[4]]
        .iter()
        .map(|m| m.iter().map(|f| f.to_vec()).collect())
        .collect();
    assert_eq!(received, expected);
}

#[test]
fn a_ws_peer_that_goes_away_is_reconnected() {
    let ctx = Context::new().unwrap();
    if !zmq::has("WS") {
        check_refused(&ctx);
        report_skip("a_ws_peer_that_goes_away_is_reconnected");
        return;
    }
    let pull = ctx.socket(zmq::PULL).unwrap();
    pull.set_rcvtimeo(30_000).unwrap();
    let endpoint = bind_ws(&pull);
    for round in 0..3u8 {
        let push = ctx.socket(zmq::PUSH).unwrap();
        push.set_linger(5_000).unwrap();
        push.connect(&endpoint).unwrap();
        push.send([round; 10], SendFlags::empty()).unwrap();
        assert_eq!(pull.recv_bytes(RecvFlags::empty()).unwrap(), [round; 10]);
        common::within(Duration::from_secs(30), move || push.close().unwrap());
    }
}
