//! CURVE security end to end. It fails, never skips, when CURVE is missing from a
//! build that promises it (the `curve` feature in vendored mode, or a system libzmq).
#![forbid(unsafe_code)]

use zmq::{Context, Error, RecvFlags, SendFlags, REP, REQ};

fn curve_promised() -> bool {
    cfg!(feature = "curve") || !zmq::sys::vendored()
}

#[test]
fn curve_is_available_when_promised() {
    if curve_promised() {
        assert!(
            zmq::has("curve"),
            "this build promises CURVE but libzmq lacks it"
        );
        let (public, secret) = zmq::curve_keypair().expect("zmq_curve_keypair");
        assert_eq!((public.len(), secret.len()), (40, 40));
        assert_ne!(public, secret);
    } else {
        assert!(!zmq::has("curve"));
        assert_eq!(zmq::curve_keypair().unwrap_err(), Error::ENOTSUP);
    }
}

struct CurveServer {
    socket: zmq::Socket,
    public: String,
    endpoint: String,
}

fn curve_server(ctx: &Context) -> CurveServer {
    let (public, secret) = zmq::curve_keypair().unwrap();
    let socket = ctx.socket(REP).unwrap();
    socket.set_curve_server(true).unwrap();
    socket.set_curve_secretkey(secret.as_bytes()).unwrap();
    socket.set_rcvtimeo(10_000).unwrap();
    socket.bind("tcp://127.0.0.1:*").unwrap();
    let endpoint = socket.get_last_endpoint().unwrap();
    CurveServer {
        socket,
        public,
        endpoint,
    }
}

fn curve_client(ctx: &Context, server_public: &str, endpoint: &str) -> zmq::Socket {
    let (public, secret) = zmq::curve_keypair().unwrap();
    let client = ctx.socket(REQ).unwrap();
    client
        .set_curve_serverkey(server_public.as_bytes())
        .unwrap();
    client.set_curve_publickey(public.as_bytes()).unwrap();
    client.set_curve_secretkey(secret.as_bytes()).unwrap();
    client.set_linger(0).unwrap();
    client.set_rcvtimeo(10_000).unwrap();
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
    assert!(curve_promised(), "CURVE is required in this build");
    let ctx = Context::new().unwrap();
    let server = curve_server(&ctx);
    let client = curve_client(&ctx, &server.public, &server.endpoint);
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
    assert!(curve_promised(), "CURVE is required in this build");
    let ctx = Context::new().unwrap();
    let server = curve_server(&ctx);
    let (wrong_public, _) = zmq::curve_keypair().unwrap();
    let intruder = curve_client(&ctx, &wrong_public, &server.endpoint);
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
    server.socket.set_rcvtimeo(10_000).unwrap();
    let client = curve_client(&ctx, &server.public, &server.endpoint);
    round_trip(&server.socket, &client, "welcome");
}
