//! Contexts and sockets across threads, and context termination.
#![forbid(unsafe_code)]

mod common;
use common::net::bind_loopback;
use common::within;

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{mpsc, Arc};
use std::thread;
use std::time::Duration;

use zmq::{Context, Error, Message, RecvFlags, SendFlags, PAIR, PULL, PUSH, REP, REQ};

#[test]
fn sockets_move_to_threads_and_share_inproc_through_the_context() {
    within(Duration::from_secs(20), || {
        let ctx = Context::new().unwrap();
        let sink = ctx.socket(PULL).unwrap();
        sink.bind("inproc://fan-in").unwrap();
        let workers: Vec<_> = (0..4)
            .map(|w| {
                let ctx = ctx.clone();
                thread::spawn(move || {
                    let push = ctx.socket(PUSH).unwrap();
                    push.connect("inproc://fan-in").unwrap();
                    for i in 0..250 {
                        push.send(format!("{w}:{i}"), SendFlags::empty()).unwrap();
                    }
                    push // moved back to the joining thread, dropped there
                })
            })
            .collect();
        let mut seen = vec![0usize; 4];
        let mut msg = Message::new();
        for _ in 0..1000 {
            sink.recv_msg(&mut msg, RecvFlags::empty()).unwrap();
            let text = msg.as_str().unwrap();
            let (w, i) = text.split_once(':').unwrap();
            let (w, i): (usize, usize) = (w.parse().unwrap(), i.parse().unwrap());
            // In order per sender.
            assert_eq!(i, seen[w]);
            seen[w] += 1;
        }
        assert_eq!(seen, [250; 4]);
        for w in workers {
            drop(w.join().unwrap());
        }
    });
}

#[test]
fn shutdown_wakes_a_thread_blocked_in_recv_with_eterm() {
    within(Duration::from_secs(20), || {
        let ctx = Context::new().unwrap();
        let rep = ctx.socket(REP).unwrap();
        rep.bind("inproc://blocked").unwrap();
        // Set just before the shutdown: the recv must not return before it.
        let shutting_down = Arc::new(AtomicBool::new(false));
        let (ready_tx, ready_rx) = mpsc::channel();
        let blocked = {
            let shutting_down = Arc::clone(&shutting_down);
            thread::spawn(move || {
                ready_tx.send(()).unwrap();
                let err = rep.recv_bytes(RecvFlags::empty()).unwrap_err();
                (err, shutting_down.load(Ordering::SeqCst))
            })
        };
        ready_rx.recv().unwrap();
        thread::sleep(Duration::from_millis(200)); // most likely blocked by now
        shutting_down.store(true, Ordering::SeqCst);
        ctx.shutdown().unwrap();
        let (err, after_shutdown) = blocked.join().unwrap();
        assert_eq!(err, Error::ETERM);
        assert!(after_shutdown, "recv returned before the shutdown");
        // A shut-down context makes no new sockets; shutdown is idempotent.
        assert_eq!(ctx.socket(PAIR).unwrap_err(), Error::ETERM);
        ctx.shutdown().unwrap();
    });
}

#[test]
fn dropping_the_context_before_its_sockets_does_not_deadlock() {
    within(Duration::from_secs(20), || {
        let ctx = Context::new().unwrap();
        let a = ctx.socket(PAIR).unwrap();
        a.bind("inproc://order").unwrap();
        let b = ctx.socket(PAIR).unwrap();
        b.connect("inproc://order").unwrap();
        drop(ctx);
        // The sockets keep the context alive and still work.
        a.send("still here", SendFlags::empty()).unwrap();
        assert_eq!(b.recv_bytes(RecvFlags::empty()).unwrap(), b"still here");
        drop(a);
        drop(b);
    });
}

#[test]
fn term_of_the_last_handle_flushes_pending_messages() {
    within(Duration::from_secs(20), || {
        let receiver_ctx = Context::new().unwrap();
        let pull = receiver_ctx.socket(PULL).unwrap();
        let endpoint = bind_loopback(&pull);

        let ctx = Context::new().unwrap();
        let push = ctx.socket(PUSH).unwrap();
        push.set_linger(5000).unwrap();
        push.connect(&endpoint).unwrap();
        for i in 0..100 {
            push.send(format!("m{i}"), SendFlags::empty()).unwrap();
        }
        drop(push);
        // Linger lets term deliver everything queued before it returns.
        ctx.term().unwrap();
        pull.set_rcvtimeo(5000).unwrap();
        for i in 0..100 {
            assert_eq!(
                pull.recv_string(RecvFlags::empty()).unwrap().unwrap(),
                format!("m{i}")
            );
        }
    });
}

#[test]
fn term_with_linger_zero_and_an_unreachable_peer_does_not_hang() {
    within(Duration::from_secs(20), || {
        let ctx = Context::new().unwrap();
        let req = ctx.socket(REQ).unwrap();
        req.set_linger(0).unwrap();
        // Nobody listens on this endpoint: the request stays queued.
        req.connect("tcp://127.0.0.1:1").unwrap();
        req.send("lost on purpose", SendFlags::empty()).unwrap();
        drop(req);
        ctx.term().unwrap();
    });
}

#[test]
fn messages_move_between_threads() {
    within(Duration::from_secs(20), || {
        let big = Message::from(vec![42u8; 100_000]);
        let back = thread::spawn(move || {
            assert_eq!(big.len(), 100_000);
            big
        })
        .join()
        .unwrap();
        assert!(back.iter().all(|&b| b == 42));
    });
}
