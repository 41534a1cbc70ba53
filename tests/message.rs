//! Messages as they travel: metadata of received frames, multipart flags, zero-copy
//! buffers surviving the trip, and message reuse.
#![forbid(unsafe_code)]

mod common;

use std::time::Duration;

use common::net::tcp_pair;
use zmq::{Context, Error, Message, RecvFlags, SendFlags, DEALER, PULL, PUSH, REP, REQ, ROUTER};

/// How long a receive that must succeed may wait.
const PATIENCE: Duration = Duration::from_secs(5);

#[test]
fn received_frames_carry_peer_metadata() {
    let ctx = Context::new().unwrap();
    let (rep, req) = tcp_pair(&ctx, REP, REQ, PATIENCE);
    req.send("who am I", SendFlags::empty()).unwrap();
    let mut msg = Message::new();
    rep.recv_msg(&mut msg, RecvFlags::empty()).unwrap();
    assert_eq!(msg, "who am I");
    // The peer's socket type and address, as the ZMTP handshake reported them.
    assert_eq!(msg.gets("Socket-Type").unwrap(), "REQ");
    assert_eq!(msg.gets("Peer-Address").unwrap(), "127.0.0.1");
    assert_eq!(msg.gets_bytes("Socket-Type").unwrap(), b"REQ");
    // Properties the peer never set are absent, and say so.
    assert_eq!(msg.gets("No-Such-Property").unwrap_err(), Error::EINVAL);
    assert_eq!(msg.gets("User-Id").unwrap_err(), Error::EINVAL);
}

#[test]
fn multipart_frames_report_more_and_arrive_together() {
    let ctx = Context::new().unwrap();
    let (router, dealer) = tcp_pair(&ctx, ROUTER, DEALER, PATIENCE);
    dealer.set_routing_id(b"dealer-1").unwrap();
    // Reconnect so the routing id is used (it applies to new connections).
    let endpoint = router.get_last_endpoint().unwrap();
    dealer.disconnect(&endpoint).unwrap();
    dealer.connect(&endpoint).unwrap();
    dealer
        .send_multipart(["a", "", "ccc"], SendFlags::empty())
        .unwrap();

    let mut msg = Message::new();
    let mut frames = Vec::new();
    loop {
        router.recv_msg(&mut msg, RecvFlags::empty()).unwrap();
        let more = msg.more();
        assert_eq!(more, router.get_rcvmore().unwrap());
        frames.push(msg.to_vec());
        if !more {
            break;
        }
    }
    assert_eq!(
        frames,
        [b"dealer-1".to_vec(), b"a".to_vec(), vec![], b"ccc".to_vec()]
    );

    // Route a reply back by identity; the dealer sees only the payload frames.
    router
        .send_multipart([&b"dealer-1"[..], b"reply", b"x"], SendFlags::empty())
        .unwrap();
    assert_eq!(
        dealer.recv_multipart(RecvFlags::empty()).unwrap(),
        [b"reply".to_vec(), b"x".to_vec()]
    );
}

#[test]
fn zero_copy_buffers_arrive_intact_in_every_size() {
    let ctx = Context::new().unwrap();
    let (pull, push) = tcp_pair(&ctx, PULL, PUSH, PATIENCE);
    let sizes = [0usize, 1, 32, 33, 255, 256, 8191, 8192, 65_536, 1 << 20];
    for &len in &sizes {
        let data: Vec<u8> = (0..len).map(|i| (i * 7 + len) as u8).collect();
        let mut msg = Message::from(data);
        push.send_msg(&mut msg, SendFlags::empty()).unwrap();
        assert!(msg.is_empty(), "a sent message is left empty");
    }
    // One Message reused for every receive.
    let mut msg = Message::new();
    for &len in &sizes {
        assert_eq!(pull.recv_msg(&mut msg, RecvFlags::empty()).unwrap(), len);
        assert_eq!(msg.len(), len);
        assert!(msg
            .iter()
            .enumerate()
            .all(|(i, &b)| b == (i * 7 + len) as u8));
    }
}

#[test]
fn a_clone_can_be_sent_while_the_original_is_kept() {
    let ctx = Context::new().unwrap();
    let (pull, push) = tcp_pair(&ctx, PULL, PUSH, PATIENCE);
    let original = Message::from(vec![9u8; 10_000]);
    for _ in 0..3 {
        let mut copy = original.clone();
        push.send_msg(&mut copy, SendFlags::empty()).unwrap();
    }
    for _ in 0..3 {
        assert_eq!(pull.recv_message(RecvFlags::empty()).unwrap(), original);
    }
    assert!(original.iter().all(|&b| b == 9));
}
