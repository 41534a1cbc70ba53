//! No data lost on shutdown: what `ZMQ_LINGER` does with the messages a socket
//! still holds when it is dropped and its context terminated, with a peer that
//! shows up only later (or never), and what blocked threads see on `term`.
//!
//! The "late peer" is a socket in another context that binds the endpoint the
//! sender connected to, after the sender is gone: over IPC under a fresh temp
//! directory, and over TCP on a port reserved just before (bind, read the port,
//! close; if another process grabs it meanwhile, the scenario starts over on a
//! new port). Every wait is bounded.
#![forbid(unsafe_code)]

mod common;

use std::sync::mpsc;
use std::thread;
use std::time::{Duration, Instant};

use common::fs::TempDir;
use common::net::bind_loopback;
use common::{wait_for, within};
use zmq::{Context, Error, RecvFlags, SendFlags, SocketType};

/// Messages queued by the sender before it is dropped (below the default HWM,
/// so every send is accepted at once).
const N: usize = 200;
const WATCHDOG: Duration = Duration::from_secs(120);

/// An endpoint nobody is bound to: IPC in `dir` where the build has it, else a
/// TCP port that was free a moment ago.
fn unbound_endpoint(dir: &TempDir) -> String {
    if ipc() {
        dir.ipc_endpoint("s")
    } else {
        reserve_tcp_endpoint()
    }
}

/// Whether this build has ipc://: every Unix build does (asserted, so the IPC cases
/// never vanish there); MinGW's does not (see zmq-sys), and there the IPC halves of
/// these tests are left out while their TCP halves run.
fn ipc() -> bool {
    let has = zmq::has("ipc");
    assert!(has || !cfg!(unix), "every unix build of libzmq has ipc");
    has
}

/// A TCP endpoint on 127.0.0.1 whose port was free a moment ago: bound by a
/// throw-away socket, read back, released.
fn reserve_tcp_endpoint() -> String {
    let ctx = Context::new().unwrap();
    let s = ctx.socket(SocketType::Pull).unwrap();
    s.set_linger(0).unwrap();
    let endpoint = bind_loopback(&s);
    drop(s);
    // The last handle: zmq_ctx_term returns once the listener is closed.
    ctx.term().unwrap();
    endpoint
}

fn frame(i: usize) -> String {
    format!("message {i}")
}

/// How the sending side is shut down.
#[derive(Clone, Copy, Debug)]
enum Shutdown {
    /// The socket is dropped; its context lives on until the peer has read.
    DropSocket,
    /// The socket is dropped and its context terminated (`Context::term`, the
    /// last handle: `zmq_ctx_term`), on another thread, before the peer exists.
    DropSocketAndTerm,
}

/// Why a scenario could not run to its end (only for TCP: the port was taken).
struct PortTaken;

/// A PUSH with `linger` connects to `endpoint` (nobody bound), queues `N`
/// messages and is shut down as `how` says; then a PULL in another context binds
/// `endpoint` and must receive all `N`, in order.
fn late_peer_receives_everything(
    endpoint: &str,
    linger: i32,
    how: Shutdown,
) -> Result<(), PortTaken> {
    let sender_ctx = Context::new().unwrap();
    let push = sender_ctx.socket(SocketType::Push).unwrap();
    push.set_linger(linger).unwrap();
    push.set_reconnect_ivl(20).unwrap();
    push.connect(endpoint).unwrap();
    for i in 0..N {
        push.send(frame(i), SendFlags::DONTWAIT).unwrap();
    }
    drop(push);

    let (term_tx, term_rx) = mpsc::channel();
    let kept_ctx = match how {
        Shutdown::DropSocket => Some(sender_ctx),
        Shutdown::DropSocketAndTerm => {
            thread::spawn(move || {
                let _ = term_tx.send(sender_ctx.term());
            });
            // zmq_ctx_term cannot finish: the messages have nowhere to go yet.
            thread::sleep(Duration::from_millis(300));
            assert!(
                matches!(term_rx.try_recv(), Err(mpsc::TryRecvError::Empty)),
                "term returned while {N} messages were pending and LINGER is {linger}"
            );
            None
        }
    };

    let receiver_ctx = Context::new().unwrap();
    let pull = receiver_ctx.socket(SocketType::Pull).unwrap();
    pull.set_linger(0).unwrap();
    pull.set_rcvtimeo(20_000).unwrap();
    match pull.bind(endpoint) {
        Ok(()) => {}
        Err(Error::EADDRINUSE) => {
            // Someone took the reserved port. The sender must still go away:
            // LINGER -1 would keep it (and the term thread) waiting forever, so
            // that context is leaked rather than dropped; start over elsewhere.
            std::mem::forget(kept_ctx);
            return Err(PortTaken);
        }
        Err(e) => panic!("bind {endpoint}: {e:?}"),
    }
    for i in 0..N {
        let got = pull
            .recv_string(RecvFlags::empty())
            .unwrap_or_else(|e| panic!("{how:?}, LINGER {linger}: message {i} of {N}: {e:?}"))
            .unwrap();
        assert_eq!(got, frame(i), "{how:?}, LINGER {linger}");
    }
    pull.set_rcvtimeo(100).unwrap();
    assert_eq!(pull.recv_bytes(RecvFlags::empty()), Err(Error::EAGAIN));

    match how {
        Shutdown::DropSocket => drop(kept_ctx),
        Shutdown::DropSocketAndTerm => {
            // Everything was delivered: term returns now, successfully.
            let result = term_rx
                .recv_timeout(Duration::from_secs(30))
                .expect("term still blocked after delivering everything");
            assert_eq!(result, Ok(()));
        }
    }
    Ok(())
}

fn over_ipc(linger: i32, how: Shutdown) {
    let dir = TempDir::new("linger");
    if late_peer_receives_everything(&dir.ipc_endpoint("s"), linger, how).is_err() {
        panic!("an IPC path under a fresh directory cannot be taken");
    }
}

fn over_tcp(linger: i32, how: Shutdown) {
    for _ in 0..5 {
        if late_peer_receives_everything(&reserve_tcp_endpoint(), linger, how).is_ok() {
            return;
        }
    }
    panic!("five reserved ports in a row were taken by someone else");
}

#[test]
fn default_linger_is_infinite_and_blocky_false_makes_it_zero() {
    let ctx = Context::new().unwrap();
    assert_eq!(ctx.socket(SocketType::Push).unwrap().get_linger(), Ok(-1));
    let ctx = Context::new().unwrap();
    ctx.set_blocky(false).unwrap();
    assert_eq!(ctx.socket(SocketType::Push).unwrap().get_linger(), Ok(0));
}

#[test]
fn infinite_linger_delivers_to_a_late_peer_after_the_socket_is_dropped() {
    within(WATCHDOG, || {
        if ipc() {
            over_ipc(-1, Shutdown::DropSocket);
        }
        over_tcp(-1, Shutdown::DropSocket);
    });
}

#[test]
fn infinite_linger_term_waits_until_a_late_peer_has_everything() {
    within(WATCHDOG, || {
        if ipc() {
            over_ipc(-1, Shutdown::DropSocketAndTerm);
        }
        over_tcp(-1, Shutdown::DropSocketAndTerm);
    });
}

#[test]
fn generous_linger_delivers_to_a_late_peer() {
    within(WATCHDOG, || {
        if ipc() {
            over_ipc(60_000, Shutdown::DropSocket);
            over_ipc(60_000, Shutdown::DropSocketAndTerm);
        } else {
            over_tcp(60_000, Shutdown::DropSocket);
        }
        over_tcp(60_000, Shutdown::DropSocketAndTerm);
    });
}

/// LINGER 0: drop + term return at once with messages pending, and those
/// messages are gone: a peer binding afterwards receives nothing.
fn zero_linger_discards(endpoint: &str) -> Result<(), PortTaken> {
    let sender_ctx = Context::new().unwrap();
    let push = sender_ctx.socket(SocketType::Push).unwrap();
    push.set_linger(0).unwrap();
    push.set_reconnect_ivl(20).unwrap();
    push.connect(endpoint).unwrap();
    for i in 0..N {
        push.send(frame(i), SendFlags::DONTWAIT).unwrap();
    }
    drop(push);
    // The watchdog of the caller bounds this; with LINGER -1 it would never return.
    sender_ctx.term().unwrap();

    let receiver_ctx = Context::new().unwrap();
    let pull = receiver_ctx.socket(SocketType::Pull).unwrap();
    pull.set_linger(0).unwrap();
    match pull.bind(endpoint) {
        Ok(()) => {}
        Err(Error::EADDRINUSE) => return Err(PortTaken),
        Err(e) => panic!("bind {endpoint}: {e:?}"),
    }
    // Longer than many reconnect intervals (20 ms) of a sender, were one left.
    pull.set_rcvtimeo(1000).unwrap();
    assert_eq!(pull.recv_bytes(RecvFlags::empty()), Err(Error::EAGAIN));
    Ok(())
}

#[test]
fn zero_linger_term_returns_promptly_and_the_messages_are_gone() {
    within(Duration::from_secs(30), || {
        if ipc() {
            let dir = TempDir::new("linger");
            assert!(zero_linger_discards(&dir.ipc_endpoint("s")).is_ok());
        }
        for attempt in 0.. {
            assert!(attempt < 5, "five reserved ports in a row were taken");
            if zero_linger_discards(&reserve_tcp_endpoint()).is_ok() {
                break;
            }
        }
    });
}

#[test]
fn finite_linger_bounds_term_when_the_peer_never_appears() {
    const LINGER_MS: u64 = 500;
    let elapsed = within(WATCHDOG, || {
        let dir = TempDir::new("linger");
        let ctx = Context::new().unwrap();
        let push = ctx.socket(SocketType::Push).unwrap();
        push.set_linger(LINGER_MS as i32).unwrap();
        push.connect(&unbound_endpoint(&dir)).unwrap();
        for i in 0..N {
            push.send(frame(i), SendFlags::DONTWAIT).unwrap();
        }
        let started = Instant::now();
        drop(push);
        ctx.term().unwrap();
        started.elapsed()
    });
    eprintln!("LINGER {LINGER_MS} ms: term returned after {elapsed:?}");
    // The linger period is a deadline: term waits for it (a little slack for
    // libzmq's millisecond clock), and not much longer (a wide margin for a
    // loaded machine).
    assert!(
        elapsed >= Duration::from_millis(LINGER_MS - 50),
        "term returned after {elapsed:?}, before LINGER {LINGER_MS} ms"
    );
    assert!(
        elapsed < Duration::from_millis(LINGER_MS) + Duration::from_secs(20),
        "term took {elapsed:?} with LINGER {LINGER_MS} ms"
    );
}

#[test]
fn term_from_another_thread_wakes_a_blocked_recv_with_eterm() {
    within(WATCHDOG, || {
        let ctx = Context::new().unwrap();
        let pull = ctx.socket(SocketType::Pull).unwrap();
        pull.bind("inproc://linger-blocked-recv").unwrap();
        let (ready_tx, ready_rx) = mpsc::channel();
        let receiver = thread::spawn(move || {
            ready_tx.send(()).unwrap();
            // No RCVTIMEO: only the context's shutdown can end this.
            let result = pull.recv_bytes(RecvFlags::empty());
            // Still ETERM afterwards, and for sends too.
            assert_eq!(pull.send("x", SendFlags::DONTWAIT), Err(Error::ETERM));
            drop(pull); // the last handle: zmq_ctx_term runs here
            result
        });
        ready_rx.recv().unwrap();
        thread::sleep(Duration::from_millis(100)); // most likely blocked by now
        let terminator = ctx.clone();
        thread::spawn(move || terminator.term())
            .join()
            .unwrap()
            .unwrap();
        assert_eq!(receiver.join().unwrap(), Err(Error::ETERM));
        // The context is shut down for this handle too.
        assert_eq!(ctx.socket(SocketType::Pull).unwrap_err(), Error::ETERM);
    });
}

#[test]
fn term_wakes_a_send_blocked_on_a_full_queue_with_eterm() {
    within(WATCHDOG, || {
        let ctx = Context::new().unwrap();
        let push = ctx.socket(SocketType::Push).unwrap();
        push.set_linger(0).unwrap();
        push.set_sndhwm(1).unwrap();
        // Connected to nobody: once its queue is full, a blocking send waits.
        let dir = TempDir::new("linger");
        push.connect(&unbound_endpoint(&dir)).unwrap();
        let (took_one, first) = std::sync::mpsc::channel::<()>();
        let sender = thread::spawn(move || {
            let mut accepted = 0;
            loop {
                match push.send("x", SendFlags::empty()) {
                    Ok(()) => {
                        accepted += 1;
                        let _ = took_one.send(());
                    }
                    Err(e) => return (accepted, e),
                }
            }
        });
        // Once the queue has taken a message, the next sends fill it and block;
        // the pause gives the thread time to get there (on a loaded machine it
        // may not, and then its next send sees ETERM: the same outcome).
        first.recv_timeout(Duration::from_secs(20)).unwrap();
        thread::sleep(Duration::from_millis(100));
        ctx.term().unwrap();
        let (accepted, error) = sender.join().unwrap();
        assert_eq!(error, Error::ETERM);
        assert!(accepted >= 1, "the queue took no message at all");
    });
}

#[test]
fn inproc_messages_for_a_dropped_peer_do_not_hold_up_term() {
    within(WATCHDOG, || {
        let ctx = Context::new().unwrap();
        let pull = ctx.socket(SocketType::Pull).unwrap();
        pull.bind("inproc://linger-dropped-peer").unwrap();
        let push = ctx.socket(SocketType::Push).unwrap();
        assert_eq!(push.get_linger(), Ok(-1));
        push.connect("inproc://linger-dropped-peer").unwrap();
        for i in 0..N {
            push.send(frame(i), SendFlags::DONTWAIT).unwrap();
        }
        // The receiver goes with N unread messages.
        drop(pull);
        // The sender learns its pipe is gone and has no peer left: it blocks
        // rather than queue for nobody. (Sends before it learns that go into
        // the dying pipe and are discarded with it.)
        wait_for("PUSH to refuse messages", Duration::from_secs(10), || {
            push.send("late", SendFlags::DONTWAIT) == Err(Error::EAGAIN)
        });
        // Despite LINGER -1, nothing is left to wait for: term returns (bounded
        // by the watchdog).
        drop(push);
        ctx.term().unwrap();
    });
}

#[test]
fn inproc_connect_before_bind_delivers_after_the_sender_is_dropped() {
    within(WATCHDOG, || {
        let ctx = Context::new().unwrap();
        let push = ctx.socket(SocketType::Push).unwrap();
        push.connect("inproc://linger-later").unwrap();
        for i in 0..N {
            push.send(frame(i), SendFlags::DONTWAIT).unwrap();
        }
        drop(push);
        let pull = ctx.socket(SocketType::Pull).unwrap();
        pull.set_rcvtimeo(10_000).unwrap();
        pull.bind("inproc://linger-later").unwrap();
        for i in 0..N {
            assert_eq!(
                pull.recv_string(RecvFlags::empty()).unwrap().unwrap(),
                frame(i)
            );
        }
        drop(pull);
        ctx.term().unwrap();
    });
}

// Reconnection knobs: what happens to queued messages while a peer is away.

/// A PULL bound to `endpoint` in `ctx`; `None` if the port was taken meanwhile.
fn bind_pull(ctx: &Context, endpoint: &str) -> Option<zmq::Socket> {
    let pull = ctx.socket(SocketType::Pull).unwrap();
    pull.set_linger(0).unwrap();
    pull.set_rcvtimeo(20_000).unwrap();
    match pull.bind(endpoint) {
        Ok(()) => Some(pull),
        Err(Error::EADDRINUSE) => None,
        Err(e) => panic!("bind {endpoint}: {e:?}"),
    }
}

#[test]
fn reconnect_delivers_what_was_queued_while_the_peer_restarted() {
    within(WATCHDOG, || {
        for attempt in 0.. {
            assert!(attempt < 5, "five reserved ports in a row were taken");
            let ctx = Context::new().unwrap();
            let push = ctx.socket(SocketType::Push).unwrap();
            push.set_linger(0).unwrap();
            push.set_reconnect_ivl(20).unwrap();
            push.set_reconnect_ivl_max(200).unwrap();
            let endpoint = reserve_tcp_endpoint();
            let Some(first) = bind_pull(&ctx, &endpoint) else {
                continue;
            };
            let monitor = push
                .monitor_socket(zmq::MonitorEvents::DISCONNECTED)
                .unwrap();
            push.connect(&endpoint).unwrap();
            push.send("before", SendFlags::empty()).unwrap();
            assert_eq!(first.recv_bytes(RecvFlags::empty()).unwrap(), b"before");
            // The peer goes away. Once the sender has noticed (messages written
            // to the dead connection before that would be lost: ZMTP has no
            // acknowledgements), it queues (its pipe to the endpoint outlives
            // the connection) and keeps reconnecting.
            drop(first);
            let event = monitor
                .recv_timeout(Duration::from_secs(20))
                .unwrap()
                .expect("the sender never noticed the disconnection");
            assert!(
                matches!(event, zmq::MonitorEvent::Disconnected { .. }),
                "{event:?}"
            );
            for i in 0..N {
                push.send(frame(i), SendFlags::DONTWAIT).unwrap();
            }
            // The restarted peer, on the same endpoint, gets all of it. libzmq
            // closes the old listener in the background, so the port may still
            // be busy for a moment; past 10 s someone else has it.
            let deadline = Instant::now() + Duration::from_secs(10);
            let second = loop {
                if let Some(second) = bind_pull(&ctx, &endpoint) {
                    break Some(second);
                }
                if Instant::now() > deadline {
                    break None;
                }
                thread::sleep(Duration::from_millis(20));
            };
            let Some(second) = second else {
                continue;
            };
            for i in 0..N {
                assert_eq!(
                    second.recv_string(RecvFlags::empty()).unwrap().unwrap(),
                    frame(i)
                );
            }
            return;
        }
    });
}

#[test]
fn immediate_refuses_to_queue_for_a_peer_not_connected_yet() {
    within(WATCHDOG, || {
        let dir = TempDir::new("linger");
        let endpoint = unbound_endpoint(&dir);
        let ctx = Context::new().unwrap();
        // Default: the message is queued for the absent peer...
        let queued = ctx.socket(SocketType::Push).unwrap();
        queued.set_linger(0).unwrap();
        queued.set_reconnect_ivl(20).unwrap();
        queued.connect(&endpoint).unwrap();
        queued.send("queued", SendFlags::DONTWAIT).unwrap();
        // ...with ZMQ_IMMEDIATE, there is no pipe until the connection is made.
        let immediate = ctx.socket(SocketType::Push).unwrap();
        immediate.set_linger(0).unwrap();
        immediate.set_immediate(true).unwrap();
        immediate.set_reconnect_ivl(20).unwrap();
        immediate.connect(&endpoint).unwrap();
        assert_eq!(
            immediate.send("refused", SendFlags::DONTWAIT),
            Err(Error::EAGAIN)
        );

        let pull = bind_pull(&ctx, &endpoint).expect("a fresh IPC path (or TCP port)");
        assert_eq!(pull.recv_bytes(RecvFlags::empty()).unwrap(), b"queued");
        // Once connected, the IMMEDIATE socket sends (blocking up to 20 s).
        immediate.set_sndtimeo(20_000).unwrap();
        immediate.send("connected", SendFlags::empty()).unwrap();
        assert_eq!(pull.recv_bytes(RecvFlags::empty()).unwrap(), b"connected");
    });
}

#[test]
fn handshake_ivl_drops_a_peer_that_never_greets() {
    within(WATCHDOG, || {
        // A TCP listener that accepts and then says nothing at all.
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let (held_tx, held_rx) = mpsc::channel();
        let acceptor = thread::spawn(move || {
            let (stream, _) = listener.accept().unwrap();
            // Kept open (silent) until the test has seen the outcome.
            held_rx.recv().ok();
            drop(stream);
        });
        let ctx = Context::new().unwrap();
        let push = ctx.socket(SocketType::Push).unwrap();
        push.set_linger(0).unwrap();
        push.set_handshake_ivl(300).unwrap();
        push.set_reconnect_ivl(-1).unwrap();
        let monitor = push
            .monitor_socket(
                zmq::MonitorEvents::HANDSHAKE_FAILED_NO_DETAIL
                    | zmq::MonitorEvents::HANDSHAKE_SUCCEEDED
                    | zmq::MonitorEvents::DISCONNECTED,
            )
            .unwrap();
        push.connect(&format!("tcp://127.0.0.1:{port}")).unwrap();
        // The default HANDSHAKE_IVL is 30 s: only the 300 ms set here can end
        // the handshake within this wait.
        let event = monitor
            .recv_timeout(Duration::from_secs(15))
            .unwrap()
            .expect("no handshake timeout within 15 s");
        assert!(
            matches!(event, zmq::MonitorEvent::HandshakeFailedNoDetail { .. }),
            "{event:?}"
        );
        held_tx.send(()).unwrap();
        acceptor.join().unwrap();
    });
}
