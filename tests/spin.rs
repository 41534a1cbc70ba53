//! The spinning receive and poll (`Socket::recv_msg_spin`, `zmq::poll_spin`)
//! through the public API: what they return, over inproc and tcp, across
//! threads, with timeouts and errors. (How many tries a spin makes is counted
//! by the unit tests in src/spin.rs, on a fake clock.)
#![forbid(unsafe_code)]

mod common;
use common::net::bind_loopback;
use common::within;

use std::sync::mpsc;
use std::thread;
use std::time::Duration;

use zmq::{Context, Error, Message, PollEvents, RecvFlags, SendFlags, PAIR, PULL, PUSH, REP, REQ};

const LIMIT: Duration = Duration::from_secs(60);
/// A spin longer than any test: if a call waited it out, `within` would fail.
const HOUR: Duration = Duration::from_secs(3600);

#[test]
fn a_queued_message_is_returned_whatever_the_spin() {
    within(LIMIT, || {
        let ctx = Context::new().unwrap();
        let pull = ctx.socket(PULL).unwrap();
        pull.bind("inproc://queued").unwrap();
        let push = ctx.socket(PUSH).unwrap();
        push.connect("inproc://queued").unwrap();
        let mut msg = Message::new();
        for (i, spin) in [Duration::ZERO, Duration::from_micros(10), HOUR]
            .into_iter()
            .enumerate()
        {
            push.send(format!("m{i}"), SendFlags::empty()).unwrap();
            assert_eq!(pull.recv_msg_spin(&mut msg, spin), Ok(2));
            assert_eq!(msg.as_str(), Some(format!("m{i}").as_str()));
        }
        // RCVTIMEO 0 does not stop a queued message either.
        pull.set_rcvtimeo(0).unwrap();
        push.send("last", SendFlags::empty()).unwrap();
        assert_eq!(pull.recv_msg_spin(&mut msg, HOUR), Ok(4));
    });
}

/// Messages sent by another thread, in order, whether they arrive during the
/// spin (an hour of it) or after it (no spin, then the blocking receive), over
/// inproc and tcp: every one is received once, in order.
#[test]
fn messages_from_another_thread_arrive_in_order() {
    for endpoint in ["inproc://order", "tcp://127.0.0.1:*"] {
        for spin in [Duration::ZERO, Duration::from_micros(20), HOUR] {
            within(LIMIT, move || {
                let ctx = Context::new().unwrap();
                let pull = ctx.socket(PULL).unwrap();
                pull.bind(endpoint).unwrap();
                let endpoint = pull.get_last_endpoint().unwrap();
                let push = ctx.socket(PUSH).unwrap();
                push.connect(&endpoint).unwrap();
                let (go, ready) = mpsc::channel::<()>();
                let sender = thread::spawn(move || {
                    for i in 0..200u32 {
                        if i % 50 == 0 {
                            // Let the receiver get ahead and wait now and then.
                            let _ = ready.recv_timeout(Duration::from_secs(10));
                        }
                        push.send(i.to_le_bytes(), SendFlags::empty()).unwrap();
                    }
                    push
                });
                let mut msg = Message::new();
                for i in 0..200u32 {
                    if i % 50 == 0 {
                        go.send(()).unwrap();
                    }
                    assert_eq!(pull.recv_msg_spin(&mut msg, spin), Ok(4));
                    assert_eq!(&msg[..], i.to_le_bytes(), "{endpoint}, spin {spin:?}");
                }
                drop(sender.join().unwrap());
                assert_eq!(
                    pull.recv_msg(&mut msg, RecvFlags::DONTWAIT),
                    Err(Error::EAGAIN)
                );
            });
        }
    }
}

/// A request-reply loop with both sides spinning (what the latency tools do).
#[test]
fn req_rep_both_spinning() {
    within(LIMIT, || {
        let ctx = Context::new().unwrap();
        let rep = ctx.socket(REP).unwrap();
        let endpoint = bind_loopback(&rep);
        let server = thread::spawn(move || {
            let mut msg = Message::new();
            for _ in 0..500 {
                rep.recv_msg_spin(&mut msg, Duration::from_micros(100))
                    .unwrap();
                rep.send_msg(&mut msg, SendFlags::empty()).unwrap();
            }
        });
        let req = ctx.socket(REQ).unwrap();
        req.connect(&endpoint).unwrap();
        let mut msg = Message::new();
        for i in 0..500u32 {
            req.send(i.to_be_bytes(), SendFlags::empty()).unwrap();
            req.recv_msg_spin(&mut msg, Duration::from_micros(100))
                .unwrap();
            assert_eq!(&msg[..], i.to_be_bytes());
        }
        server.join().unwrap();
    });
}

/// RCVTIMEO bounds the whole call, spin included: an hour's spin with a
/// 100 ms timeout gives EAGAIN (within() fails the test if it spun on), with
/// 0 it gives EAGAIN at once; the socket works normally afterwards.
#[test]
fn rcvtimeo_bounds_the_spin_and_the_wait() {
    within(LIMIT, || {
        let ctx = Context::new().unwrap();
        let (a, b) = (ctx.socket(PAIR).unwrap(), ctx.socket(PAIR).unwrap());
        b.bind("inproc://timeo").unwrap();
        a.connect("inproc://timeo").unwrap();
        let mut msg = Message::new();
        for timeout in [100, 1, 0] {
            b.set_rcvtimeo(timeout).unwrap();
            assert_eq!(
                b.recv_msg_spin(&mut msg, HOUR),
                Err(Error::EAGAIN),
                "{timeout}"
            );
            assert_eq!(
                b.recv_msg_spin(&mut msg, Duration::ZERO),
                Err(Error::EAGAIN)
            );
        }
        b.set_rcvtimeo(100).unwrap();
        a.send("x", SendFlags::empty()).unwrap();
        assert_eq!(b.recv_msg_spin(&mut msg, HOUR), Ok(1));
        // A message that arrives after the spin, during the rest of the timeout.
        b.set_rcvtimeo(30_000).unwrap();
        let sender = thread::spawn(move || {
            thread::sleep(Duration::from_millis(20));
            a.send("late", SendFlags::empty()).unwrap();
            a
        });
        assert_eq!(b.recv_msg_spin(&mut msg, Duration::from_micros(1)), Ok(4));
        assert_eq!(&msg[..], b"late");
        drop(sender.join().unwrap());
    });
}

#[test]
fn errors_end_the_call_at_once() {
    within(LIMIT, || {
        let ctx = Context::new().unwrap();
        // A REQ socket must send first: EFSM, not a spin.
        let req = ctx.socket(REQ).unwrap();
        req.connect("inproc://nobody").unwrap();
        let mut msg = Message::new();
        assert_eq!(req.recv_msg_spin(&mut msg, HOUR), Err(Error::EFSM));
        drop(req);

        // A context shut down while a receiver spins (or blocks after it): ETERM.
        let pull = ctx.socket(PULL).unwrap();
        pull.bind("inproc://term").unwrap();
        let (spinning, started) = mpsc::channel();
        let receiver = thread::spawn(move || {
            let mut msg = Message::new();
            spinning.send(()).unwrap();
            let got = pull.recv_msg_spin(&mut msg, HOUR);
            drop(pull);
            got
        });
        started.recv().unwrap();
        ctx.shutdown().unwrap();
        assert_eq!(receiver.join().unwrap(), Err(Error::ETERM));
    });
}

#[test]
fn poll_spin_reports_what_is_ready() {
    within(LIMIT, || {
        let ctx = Context::new().unwrap();
        let pull = ctx.socket(PULL).unwrap();
        let endpoint = bind_loopback(&pull);
        let push = ctx.socket(PUSH).unwrap();

        // Nothing there: timeout 0 is one poll, a positive timeout ends the
        // spin (an hour asked) with 0 ready.
        let mut items = [pull.as_poll_item(PollEvents::POLLIN)];
        assert_eq!(zmq::poll_spin(&mut items, 0, HOUR), Ok(0));
        assert_eq!(zmq::poll_spin(&mut items, 50, HOUR), Ok(0));
        assert!(!items[0].is_readable());

        // Arriving later (connect and send from another thread), over tcp.
        let sender = thread::spawn(move || {
            push.connect(&endpoint).unwrap();
            push.send("ready", SendFlags::empty()).unwrap();
            push
        });
        for spin in [Duration::from_micros(50), Duration::ZERO, HOUR] {
            let mut items = [pull.as_poll_item(PollEvents::POLLIN)];
            assert_eq!(zmq::poll_spin(&mut items, -1, spin), Ok(1));
            assert!(items[0].is_readable());
        }
        assert_eq!(pull.recv_bytes(RecvFlags::DONTWAIT).unwrap(), b"ready");
        let _push = sender.join().unwrap();
    });
}
