//! Zero-copy messages from any owner (`Message::from_owner`, `From<Arc<[u8]>>`,
//! `From<bytes::Bytes>`) and `MessageTracker`: the buffer is read in place, dropped
//! exactly once when libzmq releases it, and the release is seen through the
//! tracker (blocking and as a future). libzmq's free callback runs on its I/O thread
//! for TCP: a panicking `Drop` there is caught (the process and the I/O thread live
//! on), and a gone or misbehaving waiter never stalls that thread.
#![forbid(unsafe_code)]

mod common;

use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context as TaskContext, Poll, Wake, Waker};
use std::time::Duration;

use zmq::{Context, Message, MessageTracker, RecvFlags, SendFlags, Socket};

const WAIT: Duration = Duration::from_secs(30);

/// Panics of `Watched::drop` and of `PanickingWaker::wake` that reached the panic
/// hook (which reports them instead of printing a backtrace per panic).
static OWNER_PANICS: AtomicUsize = AtomicUsize::new(0);
static WAKER_PANICS: AtomicUsize = AtomicUsize::new(0);

/// Installs (once) a panic hook that counts the deliberate panics of this file and
/// hands every other panic to the default hook.
fn count_deliberate_panics() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        let default = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            let text = info
                .payload()
                .downcast_ref::<&str>()
                .copied()
                .or_else(|| info.payload().downcast_ref::<String>().map(String::as_str))
                .unwrap_or("");
            if text.contains("Watched::drop panics on purpose") {
                OWNER_PANICS.fetch_add(1, Ordering::SeqCst);
            } else if text.contains("PanickingWaker::wake panics on purpose") {
                WAKER_PANICS.fetch_add(1, Ordering::SeqCst);
            } else {
                default(info);
            }
        }));
    });
}

/// The name of the calling thread, as the OS knows it (libzmq names its threads;
/// Rust's `Thread::name` knows only threads Rust started). `None` off Linux.
fn os_thread_name() -> Option<String> {
    std::fs::read_to_string("/proc/thread-self/comm")
        .ok()
        .map(|s| s.trim_end().to_string())
}

/// The OS names of the threads a buffer was dropped on.
type DropThreads = Arc<Mutex<Vec<Option<String>>>>;

/// A buffer that records where and how often it is dropped, and may panic there.
struct Watched {
    bytes: Vec<u8>,
    drops: Arc<AtomicUsize>,
    dropped_on: DropThreads,
    panic_on_drop: bool,
}

impl Watched {
    fn new(len: usize, fill: u8) -> (Watched, Arc<AtomicUsize>, DropThreads) {
        let drops = Arc::new(AtomicUsize::new(0));
        let on = Arc::new(Mutex::new(Vec::new()));
        let w = Watched {
            bytes: vec![fill; len],
            drops: Arc::clone(&drops),
            dropped_on: Arc::clone(&on),
            panic_on_drop: false,
        };
        (w, drops, on)
    }
}

impl AsRef<[u8]> for Watched {
    fn as_ref(&self) -> &[u8] {
        &self.bytes
    }
}

impl Drop for Watched {
    fn drop(&mut self) {
        self.dropped_on.lock().unwrap().push(os_thread_name());
        self.drops.fetch_add(1, Ordering::SeqCst);
        if self.panic_on_drop {
            panic!("Watched::drop panics on purpose");
        }
    }
}

fn tcp_push_pull(ctx: &Context) -> (Socket, Socket) {
    let pull = ctx.socket(zmq::PULL).unwrap();
    pull.set_rcvtimeo(30_000).unwrap();
    pull.bind("tcp://127.0.0.1:*").unwrap();
    let push = ctx.socket(zmq::PUSH).unwrap();
    push.set_sndtimeo(30_000).unwrap();
    push.connect(&pull.get_last_endpoint().unwrap()).unwrap();
    (push, pull)
}

#[test]
fn an_owner_is_read_in_place_and_dropped_once_after_the_last_receiver() {
    let ctx = Context::new().unwrap();
    let pull = ctx.socket(zmq::PULL).unwrap();
    pull.bind("inproc://owner").unwrap();
    let push = ctx.socket(zmq::PUSH).unwrap();
    push.connect("inproc://owner").unwrap();

    let (w, drops, _) = Watched::new(100_000, 0x5A);
    let ptr = w.bytes.as_ptr();
    let (mut msg, tracker) = Message::from_owner_tracked(w);
    assert_eq!(msg[..].as_ptr(), ptr, "no copy when the message is made");
    let mut keep = msg.clone();
    push.send_msg(&mut msg, SendFlags::empty()).unwrap();
    push.send_msg(&mut keep, SendFlags::empty()).unwrap();
    let first = pull.recv_message(RecvFlags::empty()).unwrap();
    let second = pull.recv_message(RecvFlags::empty()).unwrap();
    // inproc passes the content itself: the receivers read the owner's bytes.
    assert_eq!(first[..].as_ptr(), ptr);
    assert_eq!(second[..].as_ptr(), ptr);
    assert!(first.iter().all(|&b| b == 0x5A));
    drop(first);
    assert_eq!(drops.load(Ordering::SeqCst), 0);
    assert!(!tracker.is_released());
    drop(second);
    assert_eq!(drops.load(Ordering::SeqCst), 1);
    assert!(tracker.is_released() && !tracker.drop_panicked());
}

#[test]
fn one_arc_sent_to_many_sockets_is_never_copied() {
    let ctx = Context::new().unwrap();
    let payload: Arc<[u8]> = (0..1_000_000u32)
        .map(|i| i as u8)
        .collect::<Vec<_>>()
        .into();
    let pullers: Vec<Socket> = (0..4)
        .map(|i| {
            let s = ctx.socket(zmq::PULL).unwrap();
            s.bind(&format!("inproc://arc-{i}")).unwrap();
            s
        })
        .collect();
    let pushers: Vec<Socket> = (0..4)
        .map(|i| {
            let s = ctx.socket(zmq::PUSH).unwrap();
            s.connect(&format!("inproc://arc-{i}")).unwrap();
            s
        })
        .collect();
    for push in &pushers {
        let mut m = Message::from(Arc::clone(&payload));
        push.send_msg(&mut m, SendFlags::empty()).unwrap();
    }
    assert_eq!(
        Arc::strong_count(&payload),
        5,
        "each socket holds one reference"
    );
    let received: Vec<Message> = pullers
        .iter()
        .map(|p| p.recv_message(RecvFlags::empty()).unwrap())
        .collect();
    for m in &received {
        assert_eq!(m[..].as_ptr(), payload.as_ptr());
        assert_eq!(&m[..], &payload[..]);
    }
    drop(received);
    assert_eq!(Arc::strong_count(&payload), 1);

    // Over TCP the bytes are written from the Arc and the reference is released
    // by the I/O thread once written.
    let (push, pull) = tcp_push_pull(&ctx);
    let (mut m, mut tracker) = Message::from_owner_tracked(Arc::clone(&payload));
    push.send_msg(&mut m, SendFlags::empty()).unwrap();
    assert_eq!(pull.recv_bytes(RecvFlags::empty()).unwrap(), &payload[..]);
    assert!(tracker.wait_timeout(WAIT));
    assert_eq!(Arc::strong_count(&payload), 1);
}

#[test]
fn over_tcp_the_buffer_is_released_on_a_libzmq_io_thread() {
    let ctx = Context::new().unwrap();
    let (push, pull) = tcp_push_pull(&ctx);
    let (w, drops, on) = Watched::new(1 << 20, 1);
    let (mut msg, mut tracker) = Message::from_owner_tracked(w);
    push.send_msg(&mut msg, SendFlags::empty()).unwrap();
    assert_eq!(pull.recv_bytes(RecvFlags::empty()).unwrap().len(), 1 << 20);
    assert!(tracker.wait_timeout(WAIT), "released once written");
    assert_eq!(drops.load(Ordering::SeqCst), 1);
    let threads = on.lock().unwrap().clone();
    if let [Some(name)] = &threads[..] {
        // libzmq names its I/O threads "ZMQbg/IO/<n>".
        assert!(name.contains("IO/"), "dropped on {name:?}");
    }
}

/// A waker that counts its wake-ups.
struct CountingWaker(AtomicUsize);

impl Wake for CountingWaker {
    fn wake(self: Arc<Self>) {
        self.0.fetch_add(1, Ordering::SeqCst);
    }
}

#[test]
fn the_tracker_is_a_future_woken_by_the_release() {
    let ctx = Context::new().unwrap();
    let (push, pull) = tcp_push_pull(&ctx);
    let counter = Arc::new(CountingWaker(AtomicUsize::new(0)));
    let waker = Waker::from(Arc::clone(&counter));
    let mut cx = TaskContext::from_waker(&waker);

    // Held by us: pending, and no wake-up while nothing changes.
    let (w, drops, _) = Watched::new(64 * 1024, 2);
    let (mut msg, mut tracker) = Message::from_owner_tracked(w);
    assert_eq!(Pin::new(&mut tracker).poll(&mut cx), Poll::Pending);
    assert_eq!(counter.0.load(Ordering::SeqCst), 0);
    push.send_msg(&mut msg, SendFlags::empty()).unwrap();
    pull.recv_bytes(RecvFlags::empty()).unwrap();
    // The I/O thread releases the buffer and wakes the registered waker, once.
    common::within(WAIT, {
        let counter = Arc::clone(&counter);
        move || {
            while counter.0.load(Ordering::SeqCst) == 0 {
                std::thread::sleep(Duration::from_millis(1));
            }
        }
    });
    assert_eq!(Pin::new(&mut tracker).poll(&mut cx), Poll::Ready(()));
    assert_eq!(counter.0.load(Ordering::SeqCst), 1);
    assert_eq!(drops.load(Ordering::SeqCst), 1);

    // A minimal executor (no runtime): block on the future itself.
    let (w, _, _) = Watched::new(64 * 1024, 3);
    let (mut msg, tracker) = Message::from_owner_tracked(w);
    push.send_msg(&mut msg, SendFlags::empty()).unwrap();
    pull.recv_bytes(RecvFlags::empty()).unwrap();
    common::within(WAIT, move || block_on(tracker));
}

/// Polls `fut` to completion on this thread, parking between polls.
fn block_on<F: Future + Unpin>(mut fut: F) -> F::Output {
    struct Unpark(std::thread::Thread);
    impl Wake for Unpark {
        fn wake(self: Arc<Self>) {
            self.0.unpark();
        }
    }
    let waker = Waker::from(Arc::new(Unpark(std::thread::current())));
    let mut cx = TaskContext::from_waker(&waker);
    loop {
        if let Poll::Ready(v) = Pin::new(&mut fut).poll(&mut cx) {
            return v;
        }
        std::thread::park();
    }
}

#[test]
fn a_panicking_drop_on_the_io_thread_is_caught_and_the_io_thread_lives_on() {
    count_deliberate_panics();
    let ctx = Context::new().unwrap();
    let (push, pull) = tcp_push_pull(&ctx);
    for round in 0..20u8 {
        let (mut w, drops, on) = Watched::new(256 * 1024, round);
        w.panic_on_drop = true;
        let (mut msg, mut tracker) = Message::from_owner_tracked(w);
        push.send_msg(&mut msg, SendFlags::empty()).unwrap();
        let got = pull.recv_bytes(RecvFlags::empty()).unwrap();
        assert!(got.len() == 256 * 1024 && got.iter().all(|&b| b == round));
        assert!(tracker.wait_timeout(WAIT));
        assert!(tracker.drop_panicked(), "the panic was seen and caught");
        assert_eq!(drops.load(Ordering::SeqCst), 1);
        let threads = on.lock().unwrap().clone();
        if let [Some(name)] = &threads[..] {
            assert!(name.contains("IO/"), "dropped on {name:?}");
        }
    }
    // Each panic went through the panic hook (on the I/O thread), and no further.
    assert_eq!(OWNER_PANICS.load(Ordering::SeqCst), 20);
    // The same I/O thread still carries traffic, both ways.
    let rep = ctx.socket(zmq::REP).unwrap();
    rep.bind("tcp://127.0.0.1:*").unwrap();
    let req = ctx.socket(zmq::REQ).unwrap();
    req.set_rcvtimeo(30_000).unwrap();
    req.connect(&rep.get_last_endpoint().unwrap()).unwrap();
    rep.set_rcvtimeo(30_000).unwrap();
    req.send("alive?", SendFlags::empty()).unwrap();
    assert_eq!(rep.recv_bytes(RecvFlags::empty()).unwrap(), b"alive?");
    rep.send("alive", SendFlags::empty()).unwrap();
    assert_eq!(req.recv_bytes(RecvFlags::empty()).unwrap(), b"alive");
}

/// A waker whose `wake` panics: user code the free callback must survive.
struct PanickingWaker(AtomicBool);

impl Wake for PanickingWaker {
    fn wake(self: Arc<Self>) {
        self.0.store(true, Ordering::SeqCst);
        panic!("PanickingWaker::wake panics on purpose");
    }
}

#[test]
fn gone_and_misbehaving_waiters_never_stall_the_release() {
    count_deliberate_panics();
    let ctx = Context::new().unwrap();
    // The buffers must still be held while the waiters register: push connects
    // to a listener nobody accepts on yet (the kernel completes the TCP
    // handshake, the ZMTP one waits), so the messages wait in push's pipe. The
    // pull socket takes the listener over after the waiters are in place.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let endpoint = format!("tcp://{}", listener.local_addr().unwrap());
    let push = ctx.socket(zmq::PUSH).unwrap();
    push.set_sndtimeo(30_000).unwrap();
    push.connect(&endpoint).unwrap();
    let pull = ctx.socket(zmq::PULL).unwrap();
    pull.set_rcvtimeo(30_000).unwrap();
    let send = |fill: u8| {
        let (w, drops, _) = Watched::new(128 * 1024, fill);
        let (mut msg, tracker) = Message::from_owner_tracked(w);
        push.send_msg(&mut msg, SendFlags::empty()).unwrap();
        (tracker, drops)
    };
    let recv = || pull.recv_bytes(RecvFlags::empty()).unwrap();

    // 1. The tracker is dropped before the release.
    let (tracker, drops1) = send(1);
    drop(tracker);
    // 2. A future registered a waker, then was dropped (its task is gone).
    let (mut tracker, drops2) = send(2);
    let gone = Arc::new(CountingWaker(AtomicUsize::new(0)));
    let waker = Waker::from(Arc::clone(&gone));
    let gone_registered = Pin::new(&mut tracker)
        .poll(&mut TaskContext::from_waker(&waker))
        .is_pending();
    drop(tracker);
    drop(waker);
    // 3. A blocking waiter gave up (timed out) before the release.
    let (mut tracker3, drops3) = send(3);
    let _ = tracker3.wait_timeout(Duration::ZERO);
    // 4. The registered waker panics when woken (on libzmq's I/O thread).
    let (mut tracker4, drops4) = send(4);
    let bad = Arc::new(PanickingWaker(AtomicBool::new(false)));
    let bad_waker = Waker::from(Arc::clone(&bad));
    let _ = Pin::new(&mut tracker4).poll(&mut TaskContext::from_waker(&bad_waker));
    drop(bad_waker);
    assert!(gone_registered, "no buffer is released before pull accepts");
    assert!(!tracker3.is_released() && !tracker4.is_released());
    pull.bind_with_fd(listener.into(), &endpoint).unwrap();

    for fill in 1..=4u8 {
        assert!(recv().iter().all(|&b| b == fill));
    }
    // Each buffer is released (each owner dropped once), whatever its waiter did.
    for drops in [&drops1, &drops2, &drops3, &drops4] {
        let drops = Arc::clone(drops);
        common::within(WAIT, move || {
            while drops.load(Ordering::SeqCst) == 0 {
                std::thread::sleep(Duration::from_millis(1));
            }
        });
    }
    for drops in [&drops1, &drops2, &drops3, &drops4] {
        assert_eq!(drops.load(Ordering::SeqCst), 1);
    }
    assert!(tracker3.wait_timeout(WAIT));
    assert!(tracker4.wait_timeout(WAIT));
    // The waker's panic reached the panic hook on the I/O thread, and stopped there.
    common::within(WAIT, || {
        while WAKER_PANICS.load(Ordering::SeqCst) == 0 {
            std::thread::sleep(Duration::from_millis(1));
        }
    });
    assert!(bad.0.load(Ordering::SeqCst));
    assert!(
        !tracker4.drop_panicked(),
        "the owner's drop did not panic, the waker did"
    );
    assert_eq!(WAKER_PANICS.load(Ordering::SeqCst), 1);
    assert_eq!(
        gone.0.load(Ordering::SeqCst),
        1,
        "the gone task's waker was woken once, harmlessly"
    );
    // And the I/O thread carries on.
    let (_t, _d) = send(5);
    assert!(recv().iter().all(|&b| b == 5));
}

#[test]
fn releases_never_wait_for_waiters_under_load() {
    // Waiter threads poll, wait and drop their trackers while the I/O thread
    // releases buffers; a ping-pong on the same context (same I/O thread) must
    // keep going, and every buffer is released exactly once. A release that
    // waited for a waiter (a lock held across a wait) would stall the ping-pong.
    let ctx = Context::new().unwrap();
    let (push, pull) = tcp_push_pull(&ctx);
    const N: usize = 400;
    let total_drops = Arc::new(AtomicUsize::new(0));
    let mut waiters = Vec::new();
    let (tx, rx) = std::sync::mpsc::channel::<MessageTracker>();
    let rx = Arc::new(Mutex::new(rx));
    for k in 0..3 {
        let rx = Arc::clone(&rx);
        waiters.push(std::thread::spawn(move || loop {
            let Ok(mut tracker) = rx.lock().unwrap().recv() else {
                return;
            };
            match k {
                0 => assert!(tracker.wait_timeout(WAIT)),
                1 => drop(tracker),
                _ => {
                    let _ = tracker.wait_timeout(Duration::from_micros(50));
                }
            }
        }));
    }
    let rep = ctx.socket(zmq::REP).unwrap();
    rep.set_rcvtimeo(30_000).unwrap();
    rep.bind("tcp://127.0.0.1:*").unwrap();
    let req = ctx.socket(zmq::REQ).unwrap();
    req.set_rcvtimeo(30_000).unwrap();
    req.connect(&rep.get_last_endpoint().unwrap()).unwrap();
    for i in 0..N {
        let drops = Arc::clone(&total_drops);
        let w = Watched {
            bytes: vec![i as u8; 70_000],
            drops,
            dropped_on: Arc::new(Mutex::new(Vec::new())),
            panic_on_drop: false,
        };
        let (mut msg, tracker) = Message::from_owner_tracked(w);
        push.send_msg(&mut msg, SendFlags::empty()).unwrap();
        tx.send(tracker).unwrap();
        req.send("ping", SendFlags::empty()).unwrap();
        assert_eq!(rep.recv_bytes(RecvFlags::empty()).unwrap(), b"ping");
        rep.send("pong", SendFlags::empty()).unwrap();
        assert_eq!(req.recv_bytes(RecvFlags::empty()).unwrap(), b"pong");
        assert_eq!(pull.recv_bytes(RecvFlags::empty()).unwrap()[0], i as u8);
    }
    drop(tx);
    for w in waiters {
        w.join().unwrap();
    }
    common::within(WAIT, move || {
        while total_drops.load(Ordering::SeqCst) < N {
            std::thread::sleep(Duration::from_millis(1));
        }
        assert_eq!(total_drops.load(Ordering::SeqCst), N);
    });
}

#[cfg(feature = "bytes")]
#[test]
fn bytes_travel_without_a_copy() {
    let ctx = Context::new().unwrap();
    let pull = ctx.socket(zmq::PULL).unwrap();
    pull.bind("inproc://bytes").unwrap();
    let push = ctx.socket(zmq::PUSH).unwrap();
    push.connect("inproc://bytes").unwrap();
    let whole = bytes::Bytes::from(vec![8u8; 10_000]);
    let part = whole.slice(1000..5000);
    let mut m = Message::from(part.clone());
    push.send_msg(&mut m, SendFlags::empty()).unwrap();
    let got = pull.recv_message(RecvFlags::empty()).unwrap();
    assert_eq!(got[..].as_ptr(), part.as_ptr());
    assert_eq!(got.len(), 4000);
    let mut bm = bytes::BytesMut::with_capacity(100);
    bm.extend_from_slice(&[9u8; 100]);
    let ptr = bm.as_ptr();
    let m = Message::from(bm);
    assert_eq!(m[..].as_ptr(), ptr);
    // Small ones are copied inline.
    let small = bytes::Bytes::from_static(b"tiny");
    assert_eq!(Message::from(small), "tiny");
}
