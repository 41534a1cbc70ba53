//! High-water marks: what each pattern does when a peer's queue is full.
//!
//! Over `inproc://` libzmq gives the pipe between two sockets a capacity of the
//! sender's `ZMQ_SNDHWM` plus the receiver's `ZMQ_RCVHWM` (0 on either side: no
//! limit), and nothing drains it behind the test's back, so the counts below are
//! exact. Over TCP the kernel's buffers and libzmq's batching hold an unknown
//! number of messages more, so those tests only assert "at least the HWM is
//! queued, then the sender blocks, and nothing is lost". Every assertion is on a
//! count, never on a duration; every wait is bounded (timeouts, `within`).
#![forbid(unsafe_code)]

mod common;

use std::time::Duration;

use common::{wait_for, within};
use zmq::{Context, Error, RecvFlags, SendFlags, Socket, SocketType};

/// Sender HWM and receiver HWM used by the inproc tests: deliberately different,
/// so that a capacity of one side alone, or of twice one side, would show.
const SND: i32 = 10;
const RCV: i32 = 7;
/// The capacity libzmq gives an inproc pipe with these HWMs.
const INPROC_CAPACITY: usize = (SND + RCV) as usize;

/// A generous upper bound for every fill loop: a sender that never blocks or
/// never drops would run into it and fail instead of looping forever.
const NEVER: usize = 200_000;

const WATCHDOG: Duration = Duration::from_secs(60);

fn payload(i: usize) -> [u8; 4] {
    u32::try_from(i).expect("small index").to_le_bytes()
}

fn index_of(frame: &[u8]) -> usize {
    let bytes: [u8; 4] = frame[..4].try_into().expect("a 4-byte index");
    u32::from_le_bytes(bytes) as usize
}

/// A socket with the given high-water marks and no linger (set before it binds
/// or connects, as libzmq reads them when a pipe is made).
fn socket(ctx: &Context, kind: SocketType, sndhwm: i32, rcvhwm: i32) -> Socket {
    let s = ctx.socket(kind).unwrap();
    s.set_sndhwm(sndhwm).unwrap();
    s.set_rcvhwm(rcvhwm).unwrap();
    s.set_linger(0).unwrap();
    s
}

/// Sends numbered messages with `DONTWAIT` through `send_one` until it reports
/// `EAGAIN`; returns how many were accepted. Any other error fails the test.
fn fill_until_eagain(mut send_one: impl FnMut(usize) -> zmq::Result<()>) -> usize {
    for i in 0..NEVER {
        match send_one(i) {
            Ok(()) => {}
            Err(Error::EAGAIN) => return i,
            Err(e) => panic!("send {i} failed with {e:?}, expected Ok or EAGAIN"),
        }
    }
    panic!("{NEVER} messages accepted without EAGAIN: the sender never blocks");
}

/// Receives with `DONTWAIT` through `recv_one` until `EAGAIN` and returns the
/// indices received, in order.
fn drain(mut recv_one: impl FnMut() -> zmq::Result<usize>) -> Vec<usize> {
    let mut got = Vec::new();
    loop {
        match recv_one() {
            Ok(i) => got.push(i),
            Err(Error::EAGAIN) => return got,
            Err(e) => panic!("receive failed with {e:?}"),
        }
    }
}

fn recv_index(s: &Socket) -> zmq::Result<usize> {
    s.recv_bytes(RecvFlags::DONTWAIT).map(|b| index_of(&b))
}

/// Checks that `got` is exactly 0, 1, ..., n-1.
fn assert_in_order(got: &[usize], n: usize, what: &str) {
    assert_eq!(got.len(), n, "{what}: received {} of {n}", got.len());
    for (expected, &actual) in got.iter().enumerate() {
        assert_eq!(actual, expected, "{what}: out of order or duplicated");
    }
}

/// A blocking send with `ZMQ_SNDTIMEO` set gives up with `EAGAIN` on a full pipe.
fn assert_blocking_send_times_out(s: &Socket, frame: &[u8]) {
    s.set_sndtimeo(50).unwrap();
    assert_eq!(s.send(frame, SendFlags::empty()), Err(Error::EAGAIN));
    s.set_sndtimeo(-1).unwrap();
}

#[test]
fn push_blocks_at_the_sum_of_both_hwms_and_drops_nothing() {
    within(WATCHDOG, || {
        let ctx = Context::new().unwrap();
        let pull = socket(&ctx, SocketType::Pull, 1000, RCV);
        pull.bind("inproc://hwm-push").unwrap();
        let push = socket(&ctx, SocketType::Push, SND, 1000);
        push.connect("inproc://hwm-push").unwrap();

        let sent = fill_until_eagain(|i| push.send(payload(i), SendFlags::DONTWAIT));
        assert_eq!(sent, INPROC_CAPACITY, "SNDHWM {SND} + RCVHWM {RCV}");
        assert_blocking_send_times_out(&push, &payload(sent));

        assert_in_order(&drain(|| recv_index(&pull)), sent, "PULL");
        // With the queue read, the sender is unblocked.
        push.set_sndtimeo(10_000).unwrap();
        push.send(payload(0), SendFlags::empty()).unwrap();
        pull.set_rcvtimeo(10_000).unwrap();
        assert_eq!(index_of(&pull.recv_bytes(RecvFlags::empty()).unwrap()), 0);
    });
}

#[test]
fn push_with_no_peer_at_all_blocks() {
    let ctx = Context::new().unwrap();
    let push = socket(&ctx, SocketType::Push, SND, RCV);
    assert_eq!(push.send("x", SendFlags::DONTWAIT), Err(Error::EAGAIN));
    assert_blocking_send_times_out(&push, b"x");
}

#[test]
fn push_over_tcp_queues_at_least_the_hwm_then_blocks_and_loses_nothing() {
    within(WATCHDOG, || {
        const HWM: i32 = 5;
        const SIZE: usize = 8 * 1024;
        let ctx = Context::new().unwrap();
        let pull = socket(&ctx, SocketType::Pull, HWM, HWM);
        pull.set_rcvbuf(32 * 1024).unwrap();
        pull.bind("tcp://127.0.0.1:*").unwrap();
        let push = socket(&ctx, SocketType::Push, HWM, HWM);
        push.set_sndbuf(32 * 1024).unwrap();
        push.connect(&pull.get_last_endpoint().unwrap()).unwrap();

        let frame = |i: usize| {
            let mut f = vec![0xA5u8; SIZE];
            f[..4].copy_from_slice(&payload(i));
            f
        };
        // DONTWAIT: EAGAIN comes once the pipe holds SNDHWM messages the I/O
        // thread has not taken yet, so at least that many were accepted.
        let first = fill_until_eagain(|i| push.send(frame(i), SendFlags::DONTWAIT));
        assert!(first >= HWM as usize, "EAGAIN after {first} < SNDHWM {HWM}");
        // Then keep sending, each send blocking up to 300 ms, until one times out:
        // the pipe, the kernel buffers and the receiver's pipe are all full. This
        // must happen, as nobody reads.
        push.set_sndtimeo(300).unwrap();
        let sent = first + fill_until_eagain(|i| push.send(frame(first + i), SendFlags::empty()));
        assert!(sent >= HWM as usize);

        // Nothing was dropped: every accepted message arrives, in order, once.
        pull.set_rcvtimeo(10_000).unwrap();
        let mut got = Vec::with_capacity(sent);
        while got.len() < sent {
            let bytes = pull
                .recv_bytes(RecvFlags::empty())
                .unwrap_or_else(|e| panic!("message {} of {sent}: {e:?}", got.len()));
            assert_eq!(bytes.len(), SIZE);
            got.push(index_of(&bytes));
        }
        pull.set_rcvtimeo(200).unwrap();
        assert_eq!(pull.recv_bytes(RecvFlags::empty()), Err(Error::EAGAIN));
        assert_in_order(&got, sent, "PULL over tcp");
        eprintln!(
            "tcp PUSH: first EAGAIN after {first}, blocked after {sent} messages of {SIZE} B"
        );
    });
}

#[test]
fn pub_drops_silently_for_a_slow_subscriber_and_never_blocks() {
    within(WATCHDOG, || {
        let ctx = Context::new().unwrap();
        let publisher = socket(&ctx, SocketType::Pub, SND, 1000);
        publisher.bind("inproc://hwm-pub").unwrap();
        let sub = socket(&ctx, SocketType::Sub, 1000, RCV);
        sub.set_subscribe(b"").unwrap();
        sub.connect("inproc://hwm-pub").unwrap();

        // Wait until the subscription has reached the publisher: publish a probe
        // until one arrives, then read every probe that did.
        let mut probes = 0usize;
        wait_for("the subscription", Duration::from_secs(10), || {
            publisher.send(b"probe", SendFlags::empty()).unwrap();
            let Ok(b) = sub.recv_bytes(RecvFlags::DONTWAIT) else {
                return false;
            };
            assert_eq!(b, b"probe");
            probes += 1;
            true
        });
        probes += drain(|| sub.recv_bytes(RecvFlags::DONTWAIT).map(|_| 0)).len();

        // Blocking sends (no DONTWAIT, no SNDTIMEO): each returns at once, even
        // though the subscriber reads nothing (the watchdog catches a block).
        let total = 50 * INPROC_CAPACITY;
        for i in 0..total {
            publisher.send(payload(i), SendFlags::empty()).unwrap();
        }
        let got = drain(|| recv_index(&sub));
        assert!(got.len() < total, "nothing was dropped");
        // The pipe takes SNDHWM + RCVHWM, less the probes the publisher has not
        // yet learned were read (libzmq reports reads in batches).
        assert!(
            got.len() <= INPROC_CAPACITY && got.len() + probes >= INPROC_CAPACITY,
            "received {} with {probes} probes, capacity {INPROC_CAPACITY}",
            got.len()
        );
        // What got through is the head of the stream, in order: the rest was dropped.
        assert_in_order(&got, got.len(), "SUB");
    });
}

#[test]
fn pub_over_tcp_never_blocks_and_drops_for_a_stalled_subscriber() {
    within(WATCHDOG, || {
        const SIZE: usize = 4 * 1024;
        const TOTAL: usize = 20_000; // 80 MB offered, far beyond all buffers
        let ctx = Context::new().unwrap();
        let publisher = socket(&ctx, SocketType::Pub, 10, 10);
        publisher.set_sndbuf(32 * 1024).unwrap();
        publisher.bind("tcp://127.0.0.1:*").unwrap();
        let sub = socket(&ctx, SocketType::Sub, 10, 10);
        sub.set_rcvbuf(32 * 1024).unwrap();
        sub.set_subscribe(b"").unwrap();
        sub.connect(&publisher.get_last_endpoint().unwrap())
            .unwrap();
        wait_for("the subscription", Duration::from_secs(20), || {
            publisher.send(b"probe", SendFlags::empty()).unwrap();
            sub.recv_bytes(RecvFlags::DONTWAIT).is_ok()
        });
        while sub.recv_bytes(RecvFlags::DONTWAIT).is_ok() {}

        let mut frame = vec![0x5Au8; SIZE];
        for i in 0..TOTAL {
            frame[..4].copy_from_slice(&payload(i));
            publisher.send(&frame, SendFlags::empty()).unwrap();
        }
        // Read what arrived, until the stream stays quiet for a second.
        sub.set_rcvtimeo(1000).unwrap();
        let mut got = Vec::new();
        loop {
            match sub.recv_bytes(RecvFlags::empty()) {
                Ok(b) if b == b"probe" => {}
                Ok(b) => got.push(index_of(&b)),
                Err(Error::EAGAIN) => break,
                Err(e) => panic!("{e:?}"),
            }
        }
        assert!(!got.is_empty(), "the subscriber received nothing at all");
        assert!(
            got.len() < TOTAL,
            "all {TOTAL} arrived: nothing was dropped"
        );
        assert!(got.windows(2).all(|w| w[0] < w[1]), "order broken");
        eprintln!(
            "tcp PUB: {} of {TOTAL} messages of {SIZE} B arrived",
            got.len()
        );
    });
}

/// An XPUB that has seen `sub`'s subscription (so no probe message is needed).
fn xpub_with_subscriber(ctx: &Context, endpoint: &str, nodrop: bool) -> (Socket, Socket) {
    let xpub = socket(ctx, SocketType::XPub, SND, 1000);
    xpub.set_xpub_nodrop(nodrop).unwrap();
    xpub.set_rcvtimeo(10_000).unwrap();
    xpub.bind(endpoint).unwrap();
    let sub = socket(ctx, SocketType::Sub, 1000, RCV);
    sub.set_subscribe(b"").unwrap();
    sub.connect(endpoint).unwrap();
    assert_eq!(xpub.recv_bytes(RecvFlags::empty()).unwrap(), b"\x01");
    (xpub, sub)
}

#[test]
fn xpub_nodrop_gives_eagain_instead_of_dropping() {
    within(WATCHDOG, || {
        let ctx = Context::new().unwrap();
        let (xpub, sub) = xpub_with_subscriber(&ctx, "inproc://hwm-xpub-nodrop", true);
        let sent = fill_until_eagain(|i| xpub.send(payload(i), SendFlags::DONTWAIT));
        assert_eq!(sent, INPROC_CAPACITY);
        assert_blocking_send_times_out(&xpub, &payload(sent));
        assert_in_order(&drain(|| recv_index(&sub)), sent, "SUB of XPUB_NODROP");
    });
}

#[test]
fn xpub_without_nodrop_drops_exactly_what_does_not_fit() {
    within(WATCHDOG, || {
        let ctx = Context::new().unwrap();
        let (xpub, sub) = xpub_with_subscriber(&ctx, "inproc://hwm-xpub-drop", false);
        let total = 10 * INPROC_CAPACITY;
        for i in 0..total {
            xpub.send(payload(i), SendFlags::DONTWAIT).unwrap();
        }
        assert_in_order(&drain(|| recv_index(&sub)), INPROC_CAPACITY, "SUB of XPUB");
    });
}

/// A ROUTER (SNDHWM `SND`) and a DEALER (RCVHWM `RCV`) it knows as `"d1"`.
fn router_and_dealer(ctx: &Context, endpoint: &str, mandatory: bool) -> (Socket, Socket) {
    let router = socket(ctx, SocketType::Router, SND, 1000);
    router.set_router_mandatory(mandatory).unwrap();
    router.set_rcvtimeo(10_000).unwrap();
    router.bind(endpoint).unwrap();
    let dealer = socket(ctx, SocketType::Dealer, 1000, RCV);
    dealer.set_routing_id(b"d1").unwrap();
    dealer.connect(endpoint).unwrap();
    dealer.send("hello", SendFlags::empty()).unwrap();
    assert_eq!(
        router.recv_multipart(RecvFlags::empty()).unwrap(),
        [b"d1".to_vec(), b"hello".to_vec()]
    );
    (router, dealer)
}

fn dealer_recv_index(dealer: &Socket) -> zmq::Result<usize> {
    recv_index(dealer)
}

#[test]
fn router_mandatory_gives_eagain_when_full_and_ehostunreach_when_unknown() {
    within(WATCHDOG, || {
        let ctx = Context::new().unwrap();
        let (router, dealer) = router_and_dealer(&ctx, "inproc://hwm-router-mandatory", true);
        let sent = fill_until_eagain(|i| {
            router.send_multipart([&b"d1"[..], &payload(i)], SendFlags::DONTWAIT)
        });
        assert_eq!(sent, INPROC_CAPACITY);
        assert_eq!(
            router.send_multipart([&b"nobody"[..], b"x"], SendFlags::DONTWAIT),
            Err(Error::EHOSTUNREACH)
        );
        assert_in_order(&drain(|| dealer_recv_index(&dealer)), sent, "DEALER");
    });
}

#[test]
fn router_without_mandatory_drops_silently() {
    within(WATCHDOG, || {
        let ctx = Context::new().unwrap();
        let (router, dealer) = router_and_dealer(&ctx, "inproc://hwm-router-drop", false);
        let total = 10 * INPROC_CAPACITY;
        for i in 0..total {
            router
                .send_multipart([&b"d1"[..], &payload(i)], SendFlags::DONTWAIT)
                .unwrap();
        }
        // To an unknown peer: accepted and dropped.
        router
            .send_multipart([&b"nobody"[..], b"x"], SendFlags::DONTWAIT)
            .unwrap();
        let got = drain(|| dealer_recv_index(&dealer));
        assert_in_order(&got, INPROC_CAPACITY, "DEALER");
    });
}

#[test]
fn dealer_blocks_and_drops_nothing() {
    within(WATCHDOG, || {
        let ctx = Context::new().unwrap();
        let router = socket(&ctx, SocketType::Router, 1000, RCV);
        router.bind("inproc://hwm-dealer").unwrap();
        let dealer = socket(&ctx, SocketType::Dealer, SND, 1000);
        dealer.connect("inproc://hwm-dealer").unwrap();
        let sent = fill_until_eagain(|i| dealer.send(payload(i), SendFlags::DONTWAIT));
        assert_eq!(sent, INPROC_CAPACITY);
        assert_blocking_send_times_out(&dealer, &payload(sent));
        let got = drain(|| {
            router.recv_multipart(RecvFlags::DONTWAIT).map(|parts| {
                assert_eq!(parts.len(), 2);
                index_of(&parts[1])
            })
        });
        assert_in_order(&got, sent, "ROUTER");
    });
}

#[test]
fn req_blocks_and_drops_nothing() {
    within(WATCHDOG, || {
        let ctx = Context::new().unwrap();
        // Without any peer a REQ cannot send.
        let lonely = socket(&ctx, SocketType::Req, SND, RCV);
        assert_eq!(lonely.send("x", SendFlags::DONTWAIT), Err(Error::EAGAIN));

        // REQ_RELAXED lets one REQ send request after request without replies,
        // which is what it takes to fill its pipe.
        let router = socket(&ctx, SocketType::Router, 1000, RCV);
        router.bind("inproc://hwm-req").unwrap();
        let req = socket(&ctx, SocketType::Req, SND, 1000);
        req.set_req_relaxed(true).unwrap();
        req.connect("inproc://hwm-req").unwrap();
        let sent = fill_until_eagain(|i| req.send(payload(i), SendFlags::DONTWAIT));
        assert_eq!(sent, INPROC_CAPACITY);
        assert_blocking_send_times_out(&req, &payload(sent));
        let got = drain(|| {
            router.recv_multipart(RecvFlags::DONTWAIT).map(|parts| {
                // routing id, empty delimiter, body
                assert_eq!(parts.len(), 3);
                assert!(parts[1].is_empty());
                index_of(&parts[2])
            })
        });
        assert_in_order(&got, sent, "ROUTER behind REQ");
    });
}

#[test]
fn pair_blocks_and_drops_nothing() {
    within(WATCHDOG, || {
        let ctx = Context::new().unwrap();
        let a = socket(&ctx, SocketType::Pair, 1000, RCV);
        a.bind("inproc://hwm-pair").unwrap();
        let b = socket(&ctx, SocketType::Pair, SND, 1000);
        b.connect("inproc://hwm-pair").unwrap();
        let sent = fill_until_eagain(|i| b.send(payload(i), SendFlags::DONTWAIT));
        assert_eq!(sent, INPROC_CAPACITY);
        assert_blocking_send_times_out(&b, &payload(sent));
        assert_in_order(&drain(|| recv_index(&a)), sent, "PAIR");
        // The other direction has its own pipe, with its own capacity.
        let back = fill_until_eagain(|i| a.send(payload(i), SendFlags::DONTWAIT));
        assert_eq!(back, 1000 + 1000);
        assert_in_order(&drain(|| recv_index(&b)), back, "PAIR back");
    });
}

#[test]
fn sndhwm_zero_means_no_limit() {
    within(WATCHDOG, || {
        let ctx = Context::new().unwrap();
        // The defaults (1000 + 1000) as the reference point.
        let pull = ctx.socket(SocketType::Pull).unwrap();
        pull.bind("inproc://hwm-default").unwrap();
        let push = ctx.socket(SocketType::Push).unwrap();
        push.connect("inproc://hwm-default").unwrap();
        assert_eq!(
            (push.get_sndhwm().unwrap(), pull.get_rcvhwm().unwrap()),
            (1000, 1000)
        );
        let sent = fill_until_eagain(|i| push.send(payload(i), SendFlags::DONTWAIT));
        assert_eq!(sent, 2000);

        // SNDHWM 0 on the sender: no limit, even with the receiver's default RCVHWM.
        const MANY: usize = 50_000;
        let pull = ctx.socket(SocketType::Pull).unwrap();
        pull.bind("inproc://hwm-zero").unwrap();
        let push = ctx.socket(SocketType::Push).unwrap();
        push.set_sndhwm(0).unwrap();
        push.connect("inproc://hwm-zero").unwrap();
        for i in 0..MANY {
            push.send(payload(i), SendFlags::DONTWAIT)
                .unwrap_or_else(|e| panic!("send {i} with SNDHWM 0: {e:?}"));
        }
        assert_in_order(&drain(|| recv_index(&pull)), MANY, "PULL, SNDHWM 0");

        // A PUB with SNDHWM 0 drops nothing either.
        let (xpub, sub) = {
            let xpub = ctx.socket(SocketType::XPub).unwrap();
            xpub.set_sndhwm(0).unwrap();
            xpub.set_rcvtimeo(10_000).unwrap();
            xpub.bind("inproc://hwm-zero-pub").unwrap();
            let sub = ctx.socket(SocketType::Sub).unwrap();
            sub.set_subscribe(b"").unwrap();
            sub.connect("inproc://hwm-zero-pub").unwrap();
            assert_eq!(xpub.recv_bytes(RecvFlags::empty()).unwrap(), b"\x01");
            (xpub, sub)
        };
        for i in 0..MANY {
            xpub.send(payload(i), SendFlags::DONTWAIT).unwrap();
        }
        assert_in_order(&drain(|| recv_index(&sub)), MANY, "SUB, SNDHWM 0");
    });
}

#[test]
fn rep_drops_replies_a_requester_has_no_room_for() {
    within(WATCHDOG, || {
        let ctx = Context::new().unwrap();
        let rep = socket(&ctx, SocketType::Rep, SND, 1000);
        rep.bind("inproc://hwm-rep").unwrap();
        // A DEALER speaks REQ's envelope (empty delimiter, body) but does not wait
        // for replies, so replies pile up in its queue.
        let dealer = socket(&ctx, SocketType::Dealer, 1000, RCV);
        dealer.connect("inproc://hwm-rep").unwrap();
        let total = 3 * INPROC_CAPACITY;
        for i in 0..total {
            dealer
                .send_multipart([&b""[..], &payload(i)], SendFlags::DONTWAIT)
                .unwrap();
        }
        // Every reply is accepted at once, even blocking ones beyond the HWMs.
        rep.set_rcvtimeo(10_000).unwrap();
        for i in 0..total {
            assert_eq!(index_of(&rep.recv_bytes(RecvFlags::empty()).unwrap()), i);
            rep.send(payload(i), SendFlags::empty()).unwrap();
        }
        let got = drain(|| {
            dealer.recv_multipart(RecvFlags::DONTWAIT).map(|parts| {
                assert_eq!(parts.len(), 2);
                assert!(parts[0].is_empty());
                index_of(&parts[1])
            })
        });
        assert_in_order(&got, INPROC_CAPACITY, "replies");
    });
}
