//! `Multipart` sends and receives (blocking API): what libzmq 4.3.5 lets us
//! promise, checked per socket type. At the high-water mark a multipart send
//! is refused at its first frame, whole (libzmq counts whole messages), and the
//! receiver only ever sees whole messages; a send cut after some frames is
//! reported with the frames that remain.
#![forbid(unsafe_code)]

mod common;

use std::io::Read;
use std::time::Duration;

use common::net::{bind_loopback, tcp_address};
use zmq::{Error, Message, Multipart, RecvFlags, SendFlags, SocketType};

const FRAMES: [&str; 3] = ["first", "second", "third"];

/// Sends 3-frame messages without blocking until the socket refuses one, and
/// checks that the refusal is whole; returns how many were accepted.
fn fill(socket: &zmq::Socket, prefix: &[&str]) -> usize {
    let mut accepted = 0;
    loop {
        let mut msg: Multipart = prefix.iter().chain(FRAMES.iter()).copied().collect();
        match socket.send_multipart_msg(&mut msg, SendFlags::DONTWAIT) {
            Ok(()) => {
                assert!(msg.is_empty());
                accepted += 1;
                assert!(accepted < 100_000, "the high-water mark never applied");
            }
            Err(e) => {
                assert_eq!(e.error, Error::EAGAIN);
                assert_eq!(e.sent, 0, "a multipart message was cut at the HWM");
                assert_eq!(msg.len(), prefix.len() + 3, "the refused message is whole");
                return accepted;
            }
        }
    }
}

/// Receives everything queued, checking every message is whole.
fn drain(socket: &zmq::Socket, prefix_len: usize) -> usize {
    let mut msg = Multipart::new();
    let mut count = 0;
    // Messages still in flight between the pipes arrive within the timeout.
    socket.set_rcvtimeo(300).unwrap();
    while socket
        .recv_multipart_msg(&mut msg, RecvFlags::empty())
        .is_ok()
    {
        assert_eq!(msg.len(), prefix_len + 3, "a message arrived cut: {msg:?}");
        assert_eq!(msg.iter().skip(prefix_len).collect::<Vec<_>>(), FRAMES);
        count += 1;
    }
    count
}

fn hwm_pair(
    ctx: &zmq::Context,
    sender: SocketType,
    receiver: SocketType,
    endpoint: &str,
) -> (zmq::Socket, zmq::Socket) {
    let tx = ctx.socket(sender).unwrap();
    tx.set_sndhwm(3).unwrap();
    tx.set_linger(0).unwrap();
    let rx = ctx.socket(receiver).unwrap();
    rx.set_rcvhwm(3).unwrap();
    rx.set_linger(0).unwrap();
    tx.bind(endpoint).unwrap();
    let endpoint = tx.get_last_endpoint().unwrap();
    rx.connect(&endpoint).unwrap();
    (tx, rx)
}

#[test]
fn at_the_hwm_multipart_sends_are_refused_whole_for_every_sending_type() {
    let ctx = zmq::Context::new().unwrap();
    for endpoint in ["inproc://hwm-multipart", "tcp://127.0.0.1:*"] {
        for (tx_type, rx_type) in [
            (zmq::PUSH, zmq::PULL),
            (zmq::DEALER, zmq::DEALER),
            (zmq::PAIR, zmq::PAIR),
        ] {
            let (tx, rx) = hwm_pair(&ctx, tx_type, rx_type, endpoint);
            // Let the connection come up (tcp) before filling.
            rx.set_rcvtimeo(5000).unwrap();
            tx.send_multipart(FRAMES, SendFlags::empty()).unwrap();
            assert_eq!(drain_one(&rx), 3);
            // (Over tcp the HWM may look reached early: libzmq learns lazily
            // what the peer has read. What matters is that refusals are whole.)
            let accepted = fill(&tx, &[]);
            assert!(accepted >= 1, "{tx_type} over {endpoint}: none accepted");
            assert_eq!(drain(&rx, 0), accepted, "{tx_type} over {endpoint}");
            tx.unbind(&tx.get_last_endpoint().unwrap()).unwrap();
        }
    }
}

fn drain_one(rx: &zmq::Socket) -> usize {
    let mut msg = Multipart::new();
    rx.recv_multipart_msg(&mut msg, RecvFlags::empty()).unwrap();
    msg.len()
}

#[test]
fn router_mandatory_and_xpub_nodrop_refuse_whole_messages() {
    let ctx = zmq::Context::new().unwrap();
    // ROUTER with ROUTER_MANDATORY: [peer id, frames...].
    let router = ctx.socket(zmq::ROUTER).unwrap();
    router.set_router_mandatory(true).unwrap();
    router.set_sndhwm(3).unwrap();
    router.bind("inproc://mandatory-multipart").unwrap();
    let dealer = ctx.socket(zmq::DEALER).unwrap();
    dealer.set_routing_id(b"peer").unwrap();
    dealer.set_rcvhwm(3).unwrap();
    dealer.connect("inproc://mandatory-multipart").unwrap();
    dealer.send("hi", SendFlags::empty()).unwrap();
    let mut hello = Multipart::new();
    router
        .recv_multipart_msg(&mut hello, RecvFlags::empty())
        .unwrap();
    let accepted = fill(&router, &["peer"]);
    assert!(accepted >= 3);
    assert_eq!(drain(&dealer, 0), accepted);
    // An unknown peer: refused at the first frame, whole.
    let mut msg: Multipart = ["nobody", "x"].into_iter().collect();
    let e = router
        .send_multipart_msg(&mut msg, SendFlags::DONTWAIT)
        .unwrap_err();
    assert_eq!((e.error, e.sent), (Error::EHOSTUNREACH, 0));
    assert_eq!(msg, ["nobody", "x"]);

    // XPUB with XPUB_NODROP: EAGAIN instead of dropping at the HWM.
    let xpub = ctx.socket(zmq::XPUB).unwrap();
    xpub.set_xpub_nodrop(true).unwrap();
    xpub.set_sndhwm(3).unwrap();
    xpub.bind("inproc://nodrop-multipart").unwrap();
    let sub = ctx.socket(zmq::SUB).unwrap();
    sub.set_rcvhwm(3).unwrap();
    sub.set_subscribe(b"").unwrap();
    sub.connect("inproc://nodrop-multipart").unwrap();
    // The subscription arrives as a message.
    xpub.set_rcvtimeo(5000).unwrap();
    assert_eq!(xpub.recv_bytes(RecvFlags::empty()).unwrap(), b"\x01");
    let accepted = fill(&xpub, &[]);
    assert!(accepted >= 3);
    assert_eq!(drain(&sub, 0), accepted);
}

#[test]
fn a_send_cut_after_some_frames_reports_them_and_keeps_the_rest() {
    // STREAM takes [peer id, body] pairs: in [id, body, unknown id, body] the
    // third frame names no peer, after the first message went out.
    let ctx = zmq::Context::new().unwrap();
    let stream = ctx.socket(zmq::STREAM).unwrap();
    let endpoint = bind_loopback(&stream);
    let address = tcp_address(&endpoint).to_owned();
    let mut raw = std::net::TcpStream::connect(address).unwrap();
    raw.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    stream.set_rcvtimeo(10_000).unwrap();
    // The connection shows as [id, ""].
    let mut hello = Multipart::new();
    stream
        .recv_multipart_msg(&mut hello, RecvFlags::empty())
        .unwrap();
    assert_eq!(hello.len(), 2);
    let id = hello.pop_front().unwrap();
    let mut msg = Multipart::new();
    msg.push_back(id);
    msg.push_back("delivered");
    msg.push_back("no-such-peer");
    msg.push_back("kept");
    let e = stream
        .send_multipart_msg(&mut msg, SendFlags::empty())
        .unwrap_err();
    assert_eq!((e.error, e.sent), (Error::EHOSTUNREACH, 2));
    assert!(e.is_partial());
    assert!(e.to_string().contains("cut after 2 frame"), "{e}");
    assert_eq!(msg, ["no-such-peer", "kept"]);
    let mut got = [0u8; 9];
    raw.read_exact(&mut got).unwrap();
    assert_eq!(&got, b"delivered");
}

#[test]
fn received_frames_keep_their_metadata_and_flags() {
    let ctx = zmq::Context::new().unwrap();
    let rep = ctx.socket(zmq::REP).unwrap();
    rep.bind("tcp://127.0.0.1:*").unwrap();
    let req = ctx.socket(zmq::REQ).unwrap();
    req.connect(&rep.get_last_endpoint().unwrap()).unwrap();
    let mut request: Multipart = ["a", "b"].into_iter().collect();
    req.send_multipart_msg(&mut request, SendFlags::empty())
        .unwrap();
    let mut got = Multipart::new();
    rep.set_rcvtimeo(10_000).unwrap();
    rep.recv_multipart_msg(&mut got, RecvFlags::empty())
        .unwrap();
    assert_eq!(got, ["a", "b"]);
    assert!(got[0].more() && !got[1].more());
    assert_eq!(got[0].gets("Socket-Type").unwrap(), "REQ");
    // The reply reuses the request's frames: no copy.
    got.pop_front();
    got[0] = Message::from("reply");
    rep.send_multipart_msg(&mut got, SendFlags::empty())
        .unwrap();
    req.set_rcvtimeo(10_000).unwrap();
    assert_eq!(
        req.recv_multipart(RecvFlags::empty()).unwrap(),
        [b"reply".to_vec()]
    );
}

#[test]
fn single_frame_types_refuse_a_multipart_message_whole() {
    // Without the draft API there is no single-frame type; REQ's state machine
    // refuses a second request at its first frame.
    let ctx = zmq::Context::new().unwrap();
    let req = ctx.socket(zmq::REQ).unwrap();
    req.connect("inproc://nobody-there").unwrap();
    req.send("one", SendFlags::DONTWAIT).unwrap();
    let mut msg: Multipart = ["two", "parts"].into_iter().collect();
    let e = req
        .send_multipart_msg(&mut msg, SendFlags::DONTWAIT)
        .unwrap_err();
    assert_eq!((e.error, e.sent), (Error::EFSM, 0));
    assert_eq!(msg, ["two", "parts"]);
    #[cfg(feature = "draft")]
    {
        let client = ctx.socket(zmq::CLIENT).unwrap();
        client.connect("inproc://nobody-there").unwrap();
        let e = client
            .send_multipart_msg(&mut msg, SendFlags::DONTWAIT)
            .unwrap_err();
        assert_eq!((e.error, e.sent), (Error::EINVAL, 0));
        assert_eq!(msg, ["two", "parts"]);
    }
}
