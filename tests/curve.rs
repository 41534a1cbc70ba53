//! CURVE security end to end. It fails, never skips, when CURVE is missing from a
//! build that promises it (the `curve` feature in vendored mode, or a system libzmq).
#![forbid(unsafe_code)]

mod common;

use std::time::Duration;

use common::curve;
use common::net::millis;
use zmq::{Context, CurveKeyPair, Error, RecvFlags, SendFlags, REP, REQ};

#[test]
fn curve_is_available_when_promised() {
    if curve::checked() {
        let (public, secret) = zmq::curve_keypair().expect("zmq_curve_keypair");
        assert_eq!((public.len(), secret.len()), (40, 40));
        assert_ne!(public, secret);
    } else {
        assert_eq!(zmq::curve_keypair().unwrap_err(), Error::ENOTSUP);
    }
}

/// How long a receive that must succeed may wait.
const PATIENCE: Duration = Duration::from_secs(10);

/// A REQ client of `server_public` with a new key pair, connected to `endpoint`.
fn curve_client(ctx: &Context, server_public: &[u8], endpoint: &str) -> zmq::Socket {
    let client = ctx.socket(REQ).unwrap();
    curve::set_client(&client, server_public, &CurveKeyPair::new().unwrap());
    client.set_linger(0).unwrap();
    client.set_rcvtimeo(millis(PATIENCE)).unwrap();
    client.connect(endpoint).unwrap();
    client
}

fn round_trip(server: &zmq::Socket, client: &zmq::Socket, text: &str) {
    client.send(text, SendFlags::empty()).unwrap();
    let mut msg = zmq::Message::new();
    server.recv_msg(&mut msg, RecvFlags::empty()).unwrap();
    assert_eq!(msg.as_str(), Some(text));
    server.send(&msg[..], SendFlags::empty()).unwrap();
    assert_eq!(
        client.recv_string(RecvFlags::empty()).unwrap().unwrap(),
        text
    );
}

#[test]
fn curve_req_rep_round_trip() {
    assert!(curve::promised(), "CURVE is required in this build");
    let ctx = Context::new().unwrap();
    let server = curve::server(&ctx, REP, PATIENCE, |_| {});
    let client = curve_client(&ctx, &server.keys.public, &server.endpoint);
    assert_eq!(
        server.socket.get_mechanism().unwrap(),
        zmq::Mechanism::Curve
    );
    assert!(server.socket.get_curve_server().unwrap());
    for i in 0..3 {
        round_trip(&server.socket, &client, &format!("secret {i}"));
    }
}

#[test]
fn curve_client_with_the_wrong_server_key_gets_nothing_through() {
    assert!(curve::promised(), "CURVE is required in this build");
    let ctx = Context::new().unwrap();
    let server = curve::server(&ctx, REP, PATIENCE, |_| {});
    let wrong = CurveKeyPair::new().unwrap();
    let intruder = curve_client(&ctx, &wrong.public, &server.endpoint);
    intruder
        .send("should not arrive", SendFlags::empty())
        .unwrap();
    server.socket.set_rcvtimeo(500).unwrap();
    assert_eq!(
        server.socket.recv_bytes(RecvFlags::empty()).unwrap_err(),
        Error::EAGAIN
    );
    drop(intruder);
    // The server still serves a client that has its real key.
    server.socket.set_rcvtimeo(millis(PATIENCE)).unwrap();
    let client = curve_client(&ctx, &server.keys.public, &server.endpoint);
    round_trip(&server.socket, &client, "welcome");
}
