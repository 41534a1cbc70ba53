//! The async layer (`--features tokio`): Send futures on the multi-threaded
//! runtime, split halves, Stream/Sink, edge-triggered correctness under load,
//! back-pressure without spinning, context shutdown, drop and registration.
//!
//! The stress pipeline and the cancellation races are in tests/async_stress.rs.
//! Every test runs under a deadline (`run_within`), so a lost wake-up fails the
//! test instead of hanging it.
#![cfg(all(feature = "tokio", unix))]
#![forbid(unsafe_code)]

mod common;
use common::runtime::{run_within, runtime};

use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use zmq::tokio::AsyncSocket;
use zmq::{Error, Message, Multipart, SocketType};

/// How long any one test may take before it counts as hung.
const LIMIT: Duration = Duration::from_secs(120);

/// A bound socket and one connected to it, both async, over `transport`
/// (`inproc`, `ipc` or `tcp`).
fn pair(
    ctx: &zmq::Context,
    bound: SocketType,
    connected: SocketType,
    transport: &str,
    configure: impl Fn(&zmq::Socket),
) -> (AsyncSocket, AsyncSocket) {
    let a = ctx.socket(bound).unwrap();
    configure(&a);
    let endpoint = match transport {
        "inproc" => {
            static N: AtomicUsize = AtomicUsize::new(0);
            format!("inproc://async-{}", N.fetch_add(1, Ordering::Relaxed))
        }
        "ipc" => {
            static N: AtomicUsize = AtomicUsize::new(0);
            format!(
                "ipc://{}/zmq-async-test-{}-{}",
                std::env::temp_dir().display(),
                std::process::id(),
                N.fetch_add(1, Ordering::Relaxed)
            )
        }
        _ => "tcp://127.0.0.1:*".to_owned(),
    };
    a.bind(&endpoint).unwrap();
    let endpoint = a.get_last_endpoint().unwrap();
    let b = ctx.socket(connected).unwrap();
    configure(&b);
    b.connect(&endpoint).unwrap();
    (AsyncSocket::new(a).unwrap(), AsyncSocket::new(b).unwrap())
}

/// Counts how often the wrapped future is polled.
struct Polls<F> {
    inner: Pin<Box<F>>,
    count: Arc<AtomicUsize>,
}

impl<F: Future> Future for Polls<F> {
    type Output = F::Output;
    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<F::Output> {
        self.count.fetch_add(1, Ordering::Relaxed);
        self.inner.as_mut().poll(cx)
    }
}

fn counted<F: Future>(f: F) -> (Polls<F>, Arc<AtomicUsize>) {
    let count = Arc::new(AtomicUsize::new(0));
    (
        Polls {
            inner: Box::pin(f),
            count: Arc::clone(&count),
        },
        count,
    )
}

#[test]
fn a_spawned_task_owns_the_socket_on_the_multi_threaded_runtime() {
    run_within(LIMIT, async {
        let ctx = zmq::Context::new().unwrap();
        let (mut pull, push) = pair(&ctx, zmq::PULL, zmq::PUSH, "tcp", |_| {});
        let receiver = tokio::spawn(async move {
            let msg = pull.recv_message().await.unwrap();
            (msg.to_vec(), pull)
        });
        let sender = tokio::spawn(async move {
            let mut push = push;
            push.send("across tasks").await.unwrap();
            push
        });
        let (got, _pull) = receiver.await.unwrap();
        let _push = sender.await.unwrap();
        assert_eq!(got, b"across tasks");
    })
}

#[test]
fn req_rep_ping_pong() {
    for transport in ["inproc", "tcp"] {
        run_within(LIMIT, async move {
            let ctx = zmq::Context::new().unwrap();
            let (mut rep, mut req) = pair(&ctx, zmq::REP, zmq::REQ, transport, |_| {});
            const ROUNDS: u32 = 5_000;
            let server = tokio::spawn(async move {
                let mut msg = Message::new();
                for _ in 0..ROUNDS {
                    rep.recv_msg(&mut msg).await.unwrap();
                    rep.send_msg(&mut msg).await.unwrap();
                }
            });
            let mut reply = Message::new();
            for i in 0..ROUNDS {
                req.send(i.to_le_bytes()).await.unwrap();
                req.recv_msg(&mut reply).await.unwrap();
                assert_eq!(&reply[..], i.to_le_bytes(), "{transport}");
            }
            server.await.unwrap();
        });
    }
}

#[test]
fn router_dealer_ping_pong_with_envelopes() {
    for transport in ["inproc", "tcp"] {
        run_within(LIMIT, async move {
            let ctx = zmq::Context::new().unwrap();
            let (mut router, mut dealer) = pair(&ctx, zmq::ROUTER, zmq::DEALER, transport, |_| {});
            const ROUNDS: u32 = 5_000;
            let server = tokio::spawn(async move {
                let mut msg = Multipart::new();
                for _ in 0..ROUNDS {
                    router.recv_multipart(&mut msg).await.unwrap();
                    assert_eq!(msg.len(), 3); // [id, "", body]
                    router.send_multipart(&mut msg).await.unwrap();
                    assert!(msg.is_empty());
                }
            });
            let mut msg = Multipart::new();
            for i in 0..ROUNDS {
                msg.push_back(Message::new());
                msg.push_back(&i.to_le_bytes()[..]);
                dealer.send_multipart(&mut msg).await.unwrap();
                dealer.recv_multipart(&mut msg).await.unwrap();
                assert_eq!(msg.len(), 2);
                assert_eq!(&msg[1][..], i.to_le_bytes(), "{transport}");
                msg.clear();
            }
            server.await.unwrap();
        });
    }
}

#[test]
fn an_idle_receiver_then_a_flood() {
    run_within(LIMIT, async {
        let ctx = zmq::Context::new().unwrap();
        let (mut pull, push) = pair(&ctx, zmq::PULL, zmq::PUSH, "tcp", |_| {});
        const N: u32 = 100_000;
        let sender = tokio::spawn(async move {
            let mut push = push;
            // Idle long enough for the receiver to go to sleep on the descriptor.
            tokio::time::sleep(Duration::from_millis(300)).await;
            for i in 0..N {
                push.send(i.to_le_bytes()).await.unwrap();
            }
            push
        });
        let mut msg = Message::new();
        for i in 0..N {
            pull.recv_msg(&mut msg).await.unwrap();
            assert_eq!(&msg[..], i.to_le_bytes());
        }
        drop(sender.await.unwrap());
    })
}

#[test]
fn messages_queued_before_registration_are_received_without_an_edge() {
    // tmq-style wrappers wait on the descriptor first: the edge for these
    // messages came (and was consumed) before the socket was registered.
    run_within(LIMIT, async {
        let ctx = zmq::Context::new().unwrap();
        let pull = ctx.socket(zmq::PULL).unwrap();
        pull.bind("inproc://queued-before").unwrap();
        let push = ctx.socket(zmq::PUSH).unwrap();
        push.connect("inproc://queued-before").unwrap();
        for i in 0..10u8 {
            push.send([i], zmq::SendFlags::empty()).unwrap();
        }
        // Consume the edge and every command now.
        let _ = pull.get_events().unwrap();
        let mut pull = AsyncSocket::new(pull).unwrap();
        for i in 0..10u8 {
            assert_eq!(pull.recv_bytes().await.unwrap(), [i]);
        }
    })
}

#[test]
fn back_pressure_makes_the_sender_wait_without_spinning() {
    run_within(LIMIT, async {
        let ctx = zmq::Context::new().unwrap();
        let (mut pull, mut push) = pair(&ctx, zmq::PULL, zmq::PUSH, "tcp", |s| {
            s.set_sndhwm(1).unwrap();
            s.set_rcvhwm(1).unwrap();
            s.set_sndbuf(4096).unwrap();
            s.set_rcvbuf(4096).unwrap();
        });
        // Fill the pipes and the kernel buffers until a send would block.
        let payload = vec![0x5Au8; 1024];
        let mut queued = 0usize;
        loop {
            let send = push.send(&payload);
            match tokio::time::timeout(Duration::from_millis(200), send).await {
                Ok(r) => {
                    r.unwrap();
                    queued += 1;
                }
                Err(_) => break,
            }
            assert!(
                queued < 100_000,
                "the high-water mark never stopped the sender"
            );
        }
        // The sender now waits: during a second of idle receiver it must be polled
        // a handful of times (wake-ups from libzmq's own commands), not thousands.
        let (send, polls) = counted(async move {
            push.send(&payload).await.unwrap();
            push
        });
        let sending = tokio::spawn(send);
        tokio::time::sleep(Duration::from_secs(1)).await;
        let idle_polls = polls.load(Ordering::Relaxed);
        assert!(!sending.is_finished(), "the send did not wait");
        assert!(
            idle_polls <= 10,
            "the waiting sender was polled {idle_polls} times: spinning"
        );
        // The receiver drains: the waiting send completes.
        let mut msg = Message::new();
        for _ in 0..queued + 1 {
            pull.recv_msg(&mut msg).await.unwrap();
            assert_eq!(msg.len(), 1024);
        }
        drop(sending.await.unwrap());
    })
}

#[test]
fn a_router_send_to_a_full_peer_waits_without_spinning() {
    // ROUTER_MANDATORY shows POLLOUT while some peer has room, yet a send to a
    // full peer gives EAGAIN: a wrapper that trusts the flag spins.
    run_within(LIMIT, async {
        let ctx = zmq::Context::new().unwrap();
        let router = ctx.socket(zmq::ROUTER).unwrap();
        router.set_router_mandatory(true).unwrap();
        router.set_sndhwm(1).unwrap();
        router.bind("inproc://full-peer").unwrap();
        let slow = ctx.socket(zmq::DEALER).unwrap();
        slow.set_routing_id(b"slow").unwrap();
        slow.set_rcvhwm(1).unwrap();
        slow.connect("inproc://full-peer").unwrap();
        let idle = ctx.socket(zmq::DEALER).unwrap();
        idle.set_routing_id(b"idle").unwrap();
        idle.connect("inproc://full-peer").unwrap();
        for peer in [&slow, &idle] {
            peer.send("hello", zmq::SendFlags::empty()).unwrap();
        }
        let mut router = AsyncSocket::new(router).unwrap();
        let mut hello = Multipart::new();
        for _ in 0..2 {
            router.recv_multipart(&mut hello).await.unwrap();
        }
        // Fill the slow peer.
        let mut sent = 0usize;
        loop {
            let mut msg = Multipart::from_iter(["slow", "x"]);
            let send = router.send_multipart(&mut msg);
            match tokio::time::timeout(Duration::from_millis(200), send).await {
                Ok(r) => {
                    r.unwrap();
                    sent += 1;
                }
                Err(_) => {
                    assert_eq!(msg, ["slow", "x"], "a cancelled send kept its message");
                    break;
                }
            }
            assert!(sent < 1000);
        }
        assert!(router
            .socket()
            .get_events()
            .unwrap()
            .contains(zmq::PollEvents::POLLOUT));
        let (send, polls) = counted(async move {
            let mut msg = Multipart::from_iter(["slow", "last"]);
            router.send_multipart(&mut msg).await.unwrap();
            router
        });
        let sending = tokio::spawn(send);
        tokio::time::sleep(Duration::from_millis(500)).await;
        let idle_polls = polls.load(Ordering::Relaxed);
        assert!(
            idle_polls <= 10,
            "polled {idle_polls} times: spinning on POLLOUT"
        );
        assert!(!sending.is_finished());
        // The slow peer reads; the send completes.
        slow.set_rcvtimeo(10_000).unwrap();
        let slow = tokio::task::spawn_blocking(move || {
            for _ in 0..sent + 1 {
                slow.recv_bytes(zmq::RecvFlags::empty()).unwrap();
            }
            slow
        });
        let _router = sending.await.unwrap();
        drop(slow.await.unwrap());
    })
}

#[test]
fn split_halves_send_and_receive_at_once_under_back_pressure() {
    // One edge serves both directions: a receive that consumes the edge meant
    // for the waiting sender must wake it.
    for transport in ["inproc", "tcp"] {
        run_within(LIMIT, async move {
            let ctx = zmq::Context::new().unwrap();
            let (a, b) = pair(&ctx, zmq::PAIR, zmq::PAIR, transport, |s| {
                s.set_sndhwm(2).unwrap();
                s.set_rcvhwm(2).unwrap();
            });
            const N: u32 = 20_000;
            let mut tasks = Vec::new();
            for socket in [a, b] {
                let (mut rx, mut tx) = socket.split();
                tasks.push(tokio::spawn(async move {
                    for i in 0..N {
                        tx.send(i.to_le_bytes()).await.unwrap();
                    }
                }));
                tasks.push(tokio::spawn(async move {
                    let mut msg = Message::new();
                    for i in 0..N {
                        rx.recv_msg(&mut msg).await.unwrap();
                        assert_eq!(&msg[..], i.to_le_bytes());
                    }
                }));
            }
            for t in tasks {
                t.await.unwrap();
            }
        });
    }
}

#[test]
fn a_pending_receive_survives_other_calls_on_the_socket() {
    // Option reads through socket() process commands and so consume the edge a
    // waiting receive needs; dropping the SocketRef re-checks the waiters.
    run_within(LIMIT, async {
        let ctx = zmq::Context::new().unwrap();
        let (pull, push) = pair(&ctx, zmq::PULL, zmq::PUSH, "inproc", |_| {});
        let (mut rx, tx) = pull.split();
        let receiving = tokio::spawn(async move { rx.recv_bytes().await.map(|b| (b, rx)) });
        tokio::time::sleep(Duration::from_millis(100)).await;
        let mut push = push;
        push.send("wake").await.unwrap();
        // Hammer the socket with calls that process commands.
        for _ in 0..1000 {
            let _ = tx.socket().get_events().unwrap();
            if receiving.is_finished() {
                break;
            }
            tokio::task::yield_now().await;
        }
        let (bytes, _rx) = tokio::time::timeout(Duration::from_secs(10), receiving)
            .await
            .expect("the receive was never woken")
            .unwrap()
            .unwrap();
        assert_eq!(bytes, b"wake");
    })
}

#[test]
fn stream_sink_and_select() {
    run_within(LIMIT, async {
        let ctx = zmq::Context::new().unwrap();
        let (mut pull, mut push) = pair(&ctx, zmq::PULL, zmq::PUSH, "inproc", |_| {});
        let items: Vec<Multipart> = (0..100u32)
            .map(|i| Multipart::from_iter([b"n".to_vec(), i.to_le_bytes().to_vec()]))
            .collect();
        let mut source = futures_util::stream::iter(items.into_iter().map(Ok));
        push.send_all(&mut source).await.unwrap();
        push.close().await.unwrap();
        let got: Vec<Multipart> = (&mut pull).take(100).map(Result::unwrap).collect().await;
        for (i, m) in got.iter().enumerate() {
            assert_eq!(m.len(), 2);
            assert_eq!(&m[1][..], (i as u32).to_le_bytes());
        }
        // select!: a receive that loses the race takes nothing.
        let (stop_tx, mut stop_rx) = tokio::sync::oneshot::channel::<()>();
        stop_tx.send(()).unwrap();
        let mut msg = Message::new();
        tokio::select! {
            biased;
            _ = &mut stop_rx => {}
            r = pull.recv_msg(&mut msg) => panic!("nothing was sent: {r:?}"),
        }
        push.send("after select").await.unwrap();
        let next = pull.next().await.unwrap().unwrap();
        assert_eq!(next, ["after select"]);
    })
}

#[test]
fn context_shutdown_wakes_pending_futures_with_eterm() {
    run_within(LIMIT, async {
        let ctx = zmq::Context::new().unwrap();
        let (pull, push) = pair(&ctx, zmq::PULL, zmq::PUSH, "inproc", |s| {
            s.set_linger(0).unwrap();
            s.set_sndhwm(1).unwrap();
            s.set_rcvhwm(1).unwrap();
        });
        let mut pull = pull;
        let mut push = push;
        // A pending receive on an empty socket.
        let receiving = tokio::spawn(async move {
            let r = pull.recv_message().await.map(drop);
            let stream_item = pull.next().await.map(|r| r.map(drop));
            let stream_end = pull.next().await.map(|r| r.map(drop));
            (r, stream_item, stream_end)
        });
        // A pending send on a full socket (another PUSH with nobody reading).
        let lonely = ctx.socket(zmq::PUSH).unwrap();
        lonely.set_linger(0).unwrap();
        let mut lonely = AsyncSocket::new(lonely).unwrap();
        let sending = tokio::spawn(async move {
            let mut msg = Message::from("never");
            let r = lonely.send_msg(&mut msg).await;
            (r, msg.to_vec())
        });
        tokio::time::sleep(Duration::from_millis(200)).await;
        assert!(!receiving.is_finished() && !sending.is_finished());
        ctx.shutdown().unwrap();
        let (r, item, end) = receiving.await.unwrap();
        assert_eq!(r, Err(Error::ETERM));
        assert_eq!(item, Some(Err(Error::ETERM)));
        assert_eq!(end, None, "the stream ends after ETERM");
        let (r, kept) = sending.await.unwrap();
        assert_eq!(r, Err(Error::ETERM));
        assert_eq!(kept, b"never", "a failed send keeps its message");
        assert_eq!(push.send("x").await, Err(Error::ETERM));
    })
}

#[test]
fn drop_deregisters_before_close() {
    // After into_socket the descriptor is no longer registered: registering the
    // same socket again would fail (EEXIST from epoll) otherwise.
    run_within(LIMIT, async {
        let ctx = zmq::Context::new().unwrap();
        // Closed sockets are reaped in the background, so a churn of them can
        // outrun the default limit of 1023 live sockets.
        ctx.set_max_sockets(8000).unwrap();
        let mut s = ctx.socket(zmq::PULL).unwrap();
        for _ in 0..100 {
            s = AsyncSocket::new(s).unwrap().into_socket();
        }
        let (rx, tx) = AsyncSocket::new(s).unwrap().split();
        let s = rx.reunite(tx).unwrap().into_socket();
        drop(s);
        // Sockets made and dropped by many tasks while messages flow: a
        // deregistration after close would remove a newer socket's registration
        // when its descriptor number is reused, and its messages would stall.
        let (mut pull, mut push) = pair(&ctx, zmq::PULL, zmq::PUSH, "tcp", |_| {});
        let churn: Vec<_> = (0..4)
            .map(|_| {
                let ctx = ctx.clone();
                tokio::spawn(async move {
                    for _ in 0..150 {
                        let (mut a, mut b) = pair(&ctx, zmq::PAIR, zmq::PAIR, "inproc", |_| {});
                        a.send("x").await.unwrap();
                        assert_eq!(b.recv_bytes().await.unwrap(), b"x");
                    }
                })
            })
            .collect();
        for i in 0..20_000u32 {
            push.send(i.to_le_bytes()).await.unwrap();
            assert_eq!(pull.recv_bytes().await.unwrap(), i.to_le_bytes());
        }
        for c in churn {
            c.await.unwrap();
        }
    })
}

#[test]
fn registration_errors_are_errors_not_panics() {
    let ctx = zmq::Context::new().unwrap();
    // No runtime at all.
    let e = AsyncSocket::new(ctx.socket(zmq::PULL).unwrap()).unwrap_err();
    assert!(e.to_string().contains("no tokio runtime"), "{e}");
    // A runtime without the I/O driver.
    let rt = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    let e = rt.block_on(async { AsyncSocket::new(ctx.socket(zmq::PULL).unwrap()).unwrap_err() });
    assert!(e.to_string().contains("enable_io"), "{e}");
    // A terminated context: registration may still work (libzmq hands out the
    // descriptor), but the socket's operations end with ETERM.
    let rt = runtime();
    let sock = ctx.socket(zmq::PULL).unwrap();
    ctx.shutdown().unwrap();
    rt.block_on(async {
        match AsyncSocket::new(sock) {
            Ok(mut s) => assert_eq!(s.recv_bytes().await, Err(Error::ETERM)),
            Err(e) => assert_eq!(e.raw_os_error(), Some(Error::ETERM.raw()), "{e}"),
        }
    });
}

#[cfg(feature = "draft")]
#[test]
fn thread_safe_sockets_are_refused_with_einval() {
    let ctx = zmq::Context::new().unwrap();
    runtime().block_on(async {
        let e = AsyncSocket::new(ctx.socket(zmq::SERVER).unwrap()).unwrap_err();
        assert_eq!(e.raw_os_error(), Some(Error::EINVAL.raw()), "{e}");
    });
}

#[test]
fn errors_complete_at_once() {
    run_within(LIMIT, async {
        let ctx = zmq::Context::new().unwrap();
        let (_rep, mut req) = pair(&ctx, zmq::REP, zmq::REQ, "inproc", |_| {});
        req.send("one").await.unwrap();
        let mut msg = Message::from("two");
        assert_eq!(req.send_msg(&mut msg).await, Err(Error::EFSM));
        assert_eq!(msg, "two");
        let mut parts = Multipart::from_iter(["a", "b"]);
        let e = req.send_multipart(&mut parts).await.unwrap_err();
        assert_eq!((e.error, e.sent), (Error::EFSM, 0));
        assert_eq!(parts, ["a", "b"]);
        let sub = ctx.socket(zmq::SUB).unwrap();
        let mut sub = AsyncSocket::new(sub).unwrap();
        assert_eq!(sub.send("x").await, Err(Error::ENOTSUP));
        let push = ctx.socket(zmq::PUSH).unwrap();
        let mut push = AsyncSocket::new(push).unwrap();
        assert_eq!(push.recv_bytes().await, Err(Error::ENOTSUP));
    })
}

#[test]
fn a_runtime_dropped_with_pending_futures_shuts_down_cleanly() {
    let ctx = zmq::Context::new().unwrap();
    let rt = runtime();
    let ctx2 = ctx.clone();
    rt.spawn(async move {
        let s = ctx2.socket(zmq::PULL).unwrap();
        s.bind("inproc://runtime-dropped").unwrap();
        let mut s = AsyncSocket::new(s).unwrap();
        let _ = s.recv_message().await;
    });
    std::thread::sleep(Duration::from_millis(100));
    drop(rt);
    // The socket was dropped with its task: the endpoint is free again.
    let s = ctx.socket(zmq::PULL).unwrap();
    common::within(Duration::from_secs(30), move || {
        // Unbinding is asynchronous in libzmq: retry a while.
        for _ in 0..300 {
            if s.bind("inproc://runtime-dropped").is_ok() {
                return;
            }
            std::thread::sleep(Duration::from_millis(10));
        }
        panic!("the endpoint stayed bound");
    });
}

/// With a receive spin, a receive that finds nothing stays runnable and tries
/// again each time the runtime polls it, yielding between tries (a task beside
/// it on the same single-threaded runtime keeps running); after the spin it
/// sleeps on the descriptor (no more polls until something happens), and a
/// message then wakes it as usual.
#[test]
fn a_receive_spin_yields_between_tries_then_sleeps() {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let ctx = zmq::Context::new().unwrap();
        let (mut pull, mut push) = pair(&ctx, zmq::PULL, zmq::PUSH, "inproc", |_| {});
        assert_eq!(pull.recv_spin(), Duration::ZERO);

        // 1. A long spin: the receive is polled again and again while the main
        //    task, on the same thread, makes progress.
        pull.set_recv_spin(LIMIT);
        assert_eq!(pull.recv_spin(), LIMIT);
        let (recv, polls) = counted(async move {
            let got = pull.recv_bytes().await.unwrap();
            (pull, got)
        });
        let receiver = tokio::spawn(recv);
        for _ in 0..200 {
            tokio::task::yield_now().await;
        }
        let spun = polls.load(Ordering::Relaxed);
        assert!(spun >= 20, "the spinning receive was polled {spun} times");
        assert!(!receiver.is_finished());
        push.send("during the spin").await.unwrap();
        let (mut pull, got) = tokio::time::timeout(LIMIT, receiver)
            .await
            .expect("the spinning receive never saw the message")
            .unwrap();
        assert_eq!(got, b"during the spin");

        // 2. A short spin: after it, the receive sleeps (its poll count stops),
        //    and the message that comes later still wakes it.
        let spin = Duration::from_millis(20);
        pull.set_recv_spin(spin);
        let started = std::time::Instant::now();
        let (recv, polls) = counted(async move { pull.recv_bytes().await.unwrap() });
        let receiver = tokio::spawn(recv);
        // Sleep past the spin (tokio's timer, so the receive can run meanwhile).
        while started.elapsed() < spin * 3 {
            tokio::time::sleep(spin).await;
        }
        let after_spin = polls.load(Ordering::Relaxed);
        tokio::time::sleep(Duration::from_millis(100)).await;
        let later = polls.load(Ordering::Relaxed);
        assert!(after_spin >= 2, "it spun: {after_spin} polls");
        assert!(
            later - after_spin < 5,
            "asleep after its spin, yet polled {} more times",
            later - after_spin
        );
        assert!(!receiver.is_finished());
        push.send("after the spin").await.unwrap();
        let got = tokio::time::timeout(LIMIT, receiver)
            .await
            .expect("the sleeping receive was not woken")
            .unwrap();
        assert_eq!(got, b"after the spin");
    });
}

/// Spinning receives on split halves, while another task sends: every message
/// arrives once, in order, and the spin survives `split` and `reunite`.
#[test]
fn spinning_receives_on_a_split_socket_get_every_message() {
    const N: u32 = 20_000;
    run_within(LIMIT, async {
        let ctx = zmq::Context::new().unwrap();
        let (mut a, b) = pair(&ctx, zmq::PAIR, zmq::PAIR, "inproc", |_| {});
        a.set_recv_spin(Duration::from_micros(100));
        let (mut rx, mut tx) = a.split();
        assert_eq!(rx.recv_spin(), Duration::from_micros(100));
        let (mut b_rx, mut b_tx) = b.split();
        let echo = tokio::spawn(async move {
            let mut msg = Message::new();
            for _ in 0..N {
                b_rx.recv_msg(&mut msg).await.unwrap();
                b_tx.send_msg(&mut msg).await.unwrap();
            }
        });
        let sender = tokio::spawn(async move {
            for i in 0..N {
                tx.send(i.to_le_bytes()).await.unwrap();
                if i % 64 == 0 {
                    tokio::time::sleep(Duration::from_millis(1)).await;
                }
            }
            tx
        });
        let mut msg = Message::new();
        for i in 0..N {
            rx.recv_msg(&mut msg).await.unwrap();
            assert_eq!(msg[..], i.to_le_bytes(), "lost, duplicated or reordered");
        }
        let tx = sender.await.unwrap();
        echo.await.unwrap();
        let a = rx.reunite(tx).map_err(|_| "halves of one socket").unwrap();
        assert_eq!(a.recv_spin(), Duration::from_micros(100));
    });
}
