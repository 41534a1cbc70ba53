//! Polling: `zmq::poll` over sockets and descriptors, the `ZMQ_FD` + `ZMQ_EVENTS`
//! contract driven by `poll(2)` over inproc, ipc and tcp, and (feature `draft`) the
//! `zmq_poller` API.
#![forbid(unsafe_code)]

mod common;
use common::within;

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{mpsc, Arc};
use std::thread;
use std::time::{Duration, Instant};

#[cfg_attr(not(unix), allow(unused_imports))] // DEALER and Socket: unix-only tests
use zmq::{
    Context, Error, PollEvents, PollItem, RecvFlags, SendFlags, Socket, DEALER, PAIR, PULL, PUSH,
};

const LIMIT: Duration = Duration::from_secs(60);

/// Polls until `ready(items)` holds, for at most 10 s.
fn poll_until(items: &mut [PollItem<'_>], ready: impl Fn(&[PollItem<'_>]) -> bool) -> usize {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let n = zmq::poll(items, 100).unwrap();
        if ready(items) {
            return n;
        }
        assert!(Instant::now() < deadline, "never ready: {items:?}");
    }
}

#[test]
fn poll_says_which_sockets_are_readable_and_writable() {
    within(LIMIT, || {
        let ctx = Context::new().unwrap();
        let (a, b) = (ctx.socket(PAIR).unwrap(), ctx.socket(PAIR).unwrap());
        a.bind("inproc://rw-pair").unwrap();
        b.connect("inproc://rw-pair").unwrap();
        let pull = ctx.socket(PULL).unwrap();
        pull.bind("tcp://127.0.0.1:*").unwrap();
        let push = ctx.socket(PUSH).unwrap();
        push.connect(&pull.get_last_endpoint().unwrap()).unwrap();
        let lonely = ctx.socket(PULL).unwrap();
        lonely.bind("inproc://rw-lonely").unwrap();

        b.send("to a", SendFlags::empty()).unwrap();
        push.send("over tcp", SendFlags::empty()).unwrap();

        let both = PollEvents::POLLIN | PollEvents::POLLOUT;
        let mut items = [
            a.as_poll_item(both),
            b.as_poll_item(both),
            PollItem::from_socket(&pull, PollEvents::POLLIN),
            lonely.as_poll_item(PollEvents::POLLIN),
            push.as_poll_item(PollEvents::POLLOUT),
        ];
        let n = poll_until(&mut items, |items| items[2].is_readable());
        assert_eq!(n, 4, "{items:?}");
        assert_eq!(items[0].revents(), both);
        assert_eq!(items[1].revents(), PollEvents::POLLOUT);
        assert!(items[2].is_readable() && !items[2].is_writable());
        assert_eq!(items[3].revents(), PollEvents::empty());
        assert_eq!(items[4].revents(), PollEvents::POLLOUT);
        // Nothing but the asked-for events is reported, and never POLLERR for sockets.
        assert!(items.iter().all(|i| !i.has_error()));
        assert!(items[0].is_socket(&a) && !items[0].is_socket(&b));
        assert_eq!(items[0].fd(), None);
        assert_eq!(items[2].events(), PollEvents::POLLIN);

        // Draining the messages clears POLLIN on the next poll.
        assert_eq!(a.recv_bytes(RecvFlags::DONTWAIT).unwrap(), b"to a");
        assert_eq!(pull.recv_bytes(RecvFlags::DONTWAIT).unwrap(), b"over tcp");
        assert_eq!(zmq::poll(&mut items, 0).unwrap(), 3);
        assert_eq!(items[0].revents(), PollEvents::POLLOUT);
        assert_eq!(items[2].revents(), PollEvents::empty());

        // Events can change between polls.
        items[0].set_events(PollEvents::POLLIN);
        assert_eq!(zmq::poll(&mut items, 0).unwrap(), 2);
        assert_eq!(items[0].revents(), PollEvents::empty());
    });
}

#[test]
fn pollout_on_a_push_without_peer_stays_unset() {
    within(LIMIT, || {
        let ctx = Context::new().unwrap();
        let push = ctx.socket(PUSH).unwrap();
        push.bind("inproc://no-peer-yet").unwrap();

        let started = Instant::now();
        let mut items = [push.as_poll_item(PollEvents::POLLOUT)];
        assert_eq!(zmq::poll(&mut items, 100).unwrap(), 0);
        assert!(started.elapsed() >= Duration::from_millis(90));
        assert!(!items[0].is_writable());
        assert!(!push.get_events().unwrap().contains(PollEvents::POLLOUT));

        // A peer makes it writable.
        let pull = ctx.socket(PULL).unwrap();
        pull.connect("inproc://no-peer-yet").unwrap();
        assert_eq!(zmq::poll(&mut items, 5000).unwrap(), 1);
        assert!(items[0].is_writable());
    });
}

#[test]
fn timeouts_zero_returns_at_once_and_positive_waits() {
    within(LIMIT, || {
        let ctx = Context::new().unwrap();
        let pull = ctx.socket(PULL).unwrap();
        pull.bind("inproc://idle").unwrap();
        let mut items = [pull.as_poll_item(PollEvents::POLLIN)];

        // Each of 100 immediate polls takes microseconds, nowhere near 10 ms: a
        // count, not a total, so that the odd call a loaded machine holds up for
        // longer cannot fail it.
        let mut slow = Vec::new();
        for _ in 0..100 {
            let started = Instant::now();
            assert_eq!(zmq::poll(&mut items, 0).unwrap(), 0);
            let took = started.elapsed();
            if took >= Duration::from_millis(10) {
                slow.push(took);
            }
        }
        assert!(
            slow.len() < 50,
            "{} of 100 took 10 ms or more: {slow:?}",
            slow.len()
        );

        let started = Instant::now();
        assert_eq!(zmq::poll(&mut items, 150).unwrap(), 0);
        let waited = started.elapsed();
        assert!(waited >= Duration::from_millis(140), "{waited:?}");
        assert!(!items[0].is_readable());
    });
}

#[test]
fn poll_with_no_items_sleeps_or_refuses_to_wait_for_ever() {
    assert_eq!(zmq::poll(&mut [], 0), Ok(0));
    let started = Instant::now();
    assert_eq!(zmq::poll(&mut [], 60), Ok(0));
    assert!(started.elapsed() >= Duration::from_millis(55));
    // Nothing could ever end the wait: an error, not a hang.
    assert_eq!(zmq::poll(&mut [], -1), Err(Error::EINVAL));
}

#[test]
fn shutdown_wakes_a_thread_blocked_in_poll_with_eterm() {
    within(LIMIT, || {
        let ctx = Context::new().unwrap();
        let pull = ctx.socket(PULL).unwrap();
        pull.bind("inproc://blocked-poll").unwrap();
        // Set just before the shutdown: the poll must not return before it.
        let shutting_down = Arc::new(AtomicBool::new(false));
        let (ready_tx, ready_rx) = mpsc::channel();
        let blocked = {
            let shutting_down = Arc::clone(&shutting_down);
            thread::spawn(move || {
                let mut items = [pull.as_poll_item(PollEvents::POLLIN)];
                ready_tx.send(()).unwrap();
                let first = zmq::poll(&mut items, -1);
                let after_shutdown = shutting_down.load(Ordering::SeqCst);
                // The context stays shut down for this socket.
                let again = zmq::poll(&mut items, 0);
                (first, after_shutdown, again)
            })
        };
        ready_rx.recv().unwrap();
        thread::sleep(Duration::from_millis(200)); // most likely blocked by now
        shutting_down.store(true, Ordering::SeqCst);
        ctx.shutdown().unwrap();
        let (first, after_shutdown, again) = blocked.join().unwrap();
        assert_eq!(first, Err(Error::ETERM));
        assert!(after_shutdown, "poll returned before the shutdown");
        assert_eq!(again, Err(Error::ETERM));
    });
}

#[test]
fn poll_items_borrow_their_socket() {
    let ctx = Context::new().unwrap();
    let socket = ctx.socket(PULL).unwrap();
    {
        let item = socket.as_poll_item(PollEvents::POLLIN);
        assert!(item.is_socket(&socket));
        assert_eq!(item.revents(), PollEvents::empty());
        assert!(format!("{item:?}").contains("POLLIN"));
        let mut items = [item];
        assert_eq!(zmq::poll(&mut items, 0), Ok(0));
    }
    // The borrow ends with the items: the socket can be closed (see the
    // compile_fail proofs in src/poll.rs for the other order).
    socket.close().unwrap();
}

#[cfg(unix)]
mod fds {
    use super::*;
    use common::fs::TempDir;
    use common::net::bind_loopback;
    use std::io::Write;
    use std::os::unix::io::AsRawFd;
    use std::os::unix::net::UnixStream;

    /// A descriptor number no process has open: beyond any descriptor table.
    const NOT_OPEN: i32 = 1_000_000_000;

    #[test]
    fn poll_reports_readiness_of_native_descriptors() {
        within(LIMIT, || {
            let (mut x, y) = UnixStream::pair().unwrap();
            let ctx = Context::new().unwrap();
            let pull = ctx.socket(PULL).unwrap();
            pull.bind("inproc://fd-and-socket").unwrap();
            let push = ctx.socket(PUSH).unwrap();
            push.connect("inproc://fd-and-socket").unwrap();

            let fd = y.as_raw_fd();
            let mut items = [
                PollItem::from_fd(fd, PollEvents::POLLIN | PollEvents::POLLOUT),
                pull.as_poll_item(PollEvents::POLLIN),
            ];
            assert_eq!(items[0].fd(), Some(fd));
            assert_eq!(zmq::poll(&mut items, 0).unwrap(), 1);
            assert_eq!(items[0].revents(), PollEvents::POLLOUT);

            x.write_all(b"!").unwrap();
            push.send("m", SendFlags::empty()).unwrap();
            let n = poll_until(&mut items, |i| i[0].is_readable() && i[1].is_readable());
            assert_eq!(n, 2);
            assert_eq!(items[0].revents(), PollEvents::POLLIN | PollEvents::POLLOUT);

            // Only what was asked for.
            items[0].set_events(PollEvents::POLLIN);
            zmq::poll(&mut items, 0).unwrap();
            assert_eq!(items[0].revents(), PollEvents::POLLIN);

            // A hang-up is readable (end of file).
            drop(x);
            items[0].set_events(PollEvents::POLLIN);
            zmq::poll(&mut items, 1000).unwrap();
            assert!(items[0].is_readable());
        });
    }

    #[test]
    fn descriptors_that_are_not_open_are_errors_and_negative_ones_are_ignored() {
        let mut items = [PollItem::from_fd(NOT_OPEN, PollEvents::POLLIN)];
        assert_eq!(zmq::poll(&mut items, 0), Ok(1));
        assert!(items[0].has_error() && !items[0].is_readable());

        let mut items = [PollItem::from_fd(-1, PollEvents::POLLIN)];
        assert_eq!(zmq::poll(&mut items, 0), Ok(0));
        assert_eq!(items[0].revents(), PollEvents::empty());
    }

    #[test]
    fn wait_fd_readable_is_a_bounded_poll_on_one_descriptor() {
        let (mut x, y) = UnixStream::pair().unwrap();
        let started = Instant::now();
        assert_eq!(zmq::wait_fd_readable(y.as_raw_fd(), 50), Ok(false));
        assert!(started.elapsed() >= Duration::from_millis(45));
        x.write_all(b"!").unwrap();
        assert_eq!(zmq::wait_fd_readable(y.as_raw_fd(), 5000), Ok(true));
        assert_eq!(zmq::wait_fd_readable(y.as_raw_fd(), 0), Ok(true));

        let ebadf = Error::from_raw(libc::EBADF);
        assert_eq!(zmq::wait_fd_readable(-1, -1), Err(ebadf));
        assert_eq!(zmq::wait_fd_readable(NOT_OPEN, -1), Err(ebadf));
    }

    /// Where the PULL side is bound for a test.
    #[derive(Clone, Copy, Debug)]
    enum Transport {
        Inproc,
        Ipc,
        Tcp,
    }

    /// How the receiving loop waits for the `ZMQ_FD` edge.
    #[derive(Clone, Copy, Debug)]
    enum Waiter {
        /// `zmq::wait_fd_readable`: poll(2) on the one descriptor.
        WaitFdReadable,
        /// `zmq::poll` with a `PollItem::from_fd` (poll(2) underneath).
        ZmqPollFdItem,
    }

    fn wait_for_edge(waiter: Waiter, fd: zmq::sys::zmq_fd_t, timeout_ms: i64) -> bool {
        match waiter {
            Waiter::WaitFdReadable => zmq::wait_fd_readable(fd, timeout_ms).unwrap(),
            Waiter::ZmqPollFdItem => {
                let mut items = [PollItem::from_fd(fd, PollEvents::POLLIN)];
                let n = zmq::poll(&mut items, timeout_ms).unwrap();
                assert!(!items[0].has_error(), "ZMQ_FD in error: {items:?}");
                n == 1 && items[0].is_readable()
            }
        }
    }

    /// Binds `socket` on `transport`; returns the endpoint to connect to.
    fn bind(socket: &Socket, transport: Transport, tag: &str, dir: &TempDir) -> String {
        let endpoint = match transport {
            Transport::Inproc => format!("inproc://fd-contract-{tag}"),
            Transport::Ipc => {
                assert!(zmq::has("ipc"), "every unix build of libzmq has ipc");
                dir.ipc_endpoint("pull.ipc")
            }
            Transport::Tcp => "tcp://127.0.0.1:*".to_owned(),
        };
        socket.bind(&endpoint).unwrap();
        socket.get_last_endpoint().unwrap()
    }

    /// A PUSH sends `N` numbered messages in bursts; the PULL side waits only on its
    /// `ZMQ_FD` (through `waiter`) and receives with `DONTWAIT`, draining while
    /// `ZMQ_EVENTS` has `POLLIN`. It must get all of them, in order, and never block.
    fn pipeline_over_zmq_fd(transport: Transport, waiter: Waiter) {
        const N: usize = 2000;
        const BURST: usize = 100;
        let tag = format!("{transport:?}-{waiter:?}");
        within(LIMIT, move || {
            let dir = TempDir::new(&tag);
            let ctx = Context::new().unwrap();
            let pull = ctx.socket(PULL).unwrap();
            let endpoint = bind(&pull, transport, &tag, &dir);
            let fd = pull.get_fd().unwrap();

            // The sender starts when the receiver is about to wait on ZMQ_FD for
            // the first time, so at least one wait is certain even where the
            // threads run one at a time (valgrind) and the sender could otherwise
            // queue everything before the receiver looks.
            let (go, start) = std::sync::mpsc::channel::<()>();
            let sender = {
                let ctx = ctx.clone();
                thread::spawn(move || {
                    let push = ctx.socket(PUSH).unwrap();
                    push.set_linger(5000).unwrap();
                    push.connect(&endpoint).unwrap();
                    start.recv().unwrap();
                    for burst in 0..N / BURST {
                        for i in 0..BURST {
                            push.send((burst * BURST + i).to_string(), SendFlags::empty())
                                .unwrap();
                        }
                        thread::sleep(Duration::from_millis(3));
                    }
                    push
                })
            };

            let (mut next, mut waits, mut eagains) = (0usize, 0usize, 0usize);
            while next < N {
                // Drain while ZMQ_EVENTS says so; each recv may consume the edge, so
                // the events are read again after every one.
                while pull.get_events().unwrap().contains(PollEvents::POLLIN) {
                    match pull.recv_bytes(RecvFlags::DONTWAIT) {
                        Ok(msg) => {
                            assert_eq!(msg, next.to_string().as_bytes());
                            next += 1;
                        }
                        Err(Error::EAGAIN) => {
                            eagains += 1;
                            break;
                        }
                        Err(e) => panic!("recv: {e:?}"),
                    }
                }
                if next == N {
                    break;
                }
                waits += 1;
                if waits == 1 {
                    go.send(()).unwrap();
                }
                assert!(
                    wait_for_edge(waiter, fd, 10_000),
                    "ZMQ_FD did not signal within 10 s with {next} of {N} received \
                     ({waits} waits, {eagains} EAGAIN)"
                );
            }
            drop(sender.join().unwrap());
            assert_eq!(next, N);
            assert!(!pull.get_events().unwrap().contains(PollEvents::POLLIN));
        });
    }

    #[test]
    fn zmq_fd_contract_inproc_with_wait_fd_readable() {
        pipeline_over_zmq_fd(Transport::Inproc, Waiter::WaitFdReadable);
    }

    #[test]
    fn zmq_fd_contract_ipc_with_wait_fd_readable() {
        pipeline_over_zmq_fd(Transport::Ipc, Waiter::WaitFdReadable);
    }

    #[test]
    fn zmq_fd_contract_tcp_with_wait_fd_readable() {
        pipeline_over_zmq_fd(Transport::Tcp, Waiter::WaitFdReadable);
    }

    #[test]
    fn zmq_fd_contract_inproc_with_zmq_poll_on_the_fd() {
        pipeline_over_zmq_fd(Transport::Inproc, Waiter::ZmqPollFdItem);
    }

    #[test]
    fn zmq_fd_contract_ipc_with_zmq_poll_on_the_fd() {
        pipeline_over_zmq_fd(Transport::Ipc, Waiter::ZmqPollFdItem);
    }

    #[test]
    fn zmq_fd_contract_tcp_with_zmq_poll_on_the_fd() {
        pipeline_over_zmq_fd(Transport::Tcp, Waiter::ZmqPollFdItem);
    }

    /// Edge-triggered: once `ZMQ_EVENTS` was read, messages already queued do not
    /// make the descriptor readable again. Only draining finds them.
    #[test]
    fn zmq_fd_stays_quiet_while_queued_messages_wait() {
        within(LIMIT, || {
            let ctx = Context::new().unwrap();
            let pull = ctx.socket(PULL).unwrap();
            pull.bind("inproc://quiet-edge").unwrap();
            let push = ctx.socket(PUSH).unwrap();
            push.connect("inproc://quiet-edge").unwrap();
            for i in 0..3 {
                push.send(i.to_string(), SendFlags::empty()).unwrap();
            }
            let fd = pull.get_fd().unwrap();
            assert!(pull.get_events().unwrap().contains(PollEvents::POLLIN));
            // The edge was consumed by reading ZMQ_EVENTS: three messages wait, yet
            // the descriptor is quiet.
            assert!(!zmq::wait_fd_readable(fd, 100).unwrap());
            for i in 0..3 {
                assert!(pull.get_events().unwrap().contains(PollEvents::POLLIN));
                assert_eq!(
                    pull.recv_bytes(RecvFlags::DONTWAIT).unwrap(),
                    i.to_string().as_bytes()
                );
            }
            assert_eq!(pull.recv_bytes(RecvFlags::DONTWAIT), Err(Error::EAGAIN));
        });
    }

    /// Why `ZMQ_EVENTS` must be read again after a send: the send processes the
    /// socket's pending commands, which clears the descriptor although a message has
    /// arrived meanwhile. A loop that went back to waiting would miss it.
    #[test]
    fn a_send_can_consume_the_edge_of_an_arrived_message() {
        within(LIMIT, || {
            let ctx = Context::new().unwrap();
            let (a, b) = (ctx.socket(PAIR).unwrap(), ctx.socket(PAIR).unwrap());
            a.bind("inproc://send-edge").unwrap();
            b.connect("inproc://send-edge").unwrap();
            let fd = a.get_fd().unwrap();
            assert!(!a.get_events().unwrap().contains(PollEvents::POLLIN));

            b.send("ping", SendFlags::empty()).unwrap();
            assert!(
                zmq::wait_fd_readable(fd, 5000).unwrap(),
                "no edge for the message"
            );
            // libzmq processes commands in a send at most every ~1 ms: let that pass.
            thread::sleep(Duration::from_millis(20));
            a.send("unrelated", SendFlags::empty()).unwrap();

            assert!(
                !zmq::wait_fd_readable(fd, 100).unwrap(),
                "the edge survived the send"
            );
            assert!(a.get_events().unwrap().contains(PollEvents::POLLIN));
            assert_eq!(a.recv_bytes(RecvFlags::DONTWAIT).unwrap(), b"ping");
        });
    }

    /// A server that sends on the socket it waits on: every send may consume the
    /// edge announcing the next request, so `ZMQ_EVENTS` is checked again after each
    /// send before waiting on the descriptor. 500 round trips over tcp complete.
    #[test]
    fn zmq_fd_contract_holds_when_sends_interleave_with_receives() {
        within(LIMIT, || {
            const N: usize = 500;
            let ctx = Context::new().unwrap();
            let server = ctx.socket(DEALER).unwrap();
            let endpoint = bind_loopback(&server);
            let client = {
                let ctx = ctx.clone();
                thread::spawn(move || {
                    let client = ctx.socket(DEALER).unwrap();
                    client.set_rcvtimeo(10_000).unwrap();
                    client.set_linger(0).unwrap();
                    client.connect(&endpoint).unwrap();
                    for i in 0..N {
                        // Two requests in flight, so requests arrive while replying.
                        client.send(format!("{i}a"), SendFlags::empty()).unwrap();
                        client.send(format!("{i}b"), SendFlags::empty()).unwrap();
                        for part in ["a", "b"] {
                            let reply = client.recv_bytes(RecvFlags::empty()).unwrap();
                            assert_eq!(reply, format!("re:{i}{part}").as_bytes());
                        }
                    }
                    client
                })
            };

            let fd = server.get_fd().unwrap();
            let mut served = 0;
            while served < 2 * N {
                let mut progressed = true;
                while progressed {
                    progressed = false;
                    let events = server.get_events().unwrap();
                    if events.contains(PollEvents::POLLIN) {
                        match server.recv_bytes(RecvFlags::DONTWAIT) {
                            Ok(request) => {
                                let mut reply = b"re:".to_vec();
                                reply.extend_from_slice(&request);
                                server.send(reply, SendFlags::DONTWAIT).unwrap();
                                served += 1;
                                progressed = true;
                            }
                            Err(Error::EAGAIN) => {}
                            Err(e) => panic!("recv: {e:?}"),
                        }
                    }
                }
                if served < 2 * N {
                    assert!(
                        zmq::wait_fd_readable(fd, 10_000).unwrap(),
                        "ZMQ_FD did not signal: {served} of {} served",
                        2 * N
                    );
                }
            }
            drop(client.join().unwrap());
        });
    }
}

#[cfg(feature = "draft")]
mod poller {
    use super::*;
    use std::rc::Rc;
    use zmq::{Poller, PollerEvents};

    #[test]
    fn the_draft_api_is_there() {
        assert!(
            zmq::has("draft"),
            "feature draft promises libzmq's draft API"
        );
    }

    #[test]
    fn wait_reports_a_ready_socket_with_its_data() {
        within(LIMIT, || {
            let ctx = Context::new().unwrap();
            let (a, b) = (ctx.socket(PULL).unwrap(), ctx.socket(PULL).unwrap());
            a.bind("inproc://poller-a").unwrap();
            b.bind("inproc://poller-b").unwrap();
            let push = ctx.socket(PUSH).unwrap();
            push.connect("inproc://poller-b").unwrap();

            let mut poller = Poller::new().unwrap();
            poller.add(&a, PollEvents::POLLIN, "a".to_owned()).unwrap();
            poller.add(&b, PollEvents::POLLIN, "b".to_owned()).unwrap();
            assert_eq!(poller.size(), 2);

            let started = Instant::now();
            assert_eq!(poller.wait(100).unwrap_err(), Error::EAGAIN);
            assert!(started.elapsed() >= Duration::from_millis(90));

            push.send("hello", SendFlags::empty()).unwrap();
            let event = poller.wait(5000).unwrap();
            assert_eq!(event.data(), "b");
            assert_eq!(event.events(), PollEvents::POLLIN);
            assert!(event.is_readable() && !event.is_writable() && !event.has_error());
            assert_eq!(event.fd(), None);
            let socket = event.socket().unwrap();
            assert_eq!(socket.as_raw(), b.as_raw());
            assert_eq!(socket.recv_bytes(RecvFlags::DONTWAIT).unwrap(), b"hello");
            assert_eq!(poller.wait(0).unwrap_err(), Error::EAGAIN);
        });
    }

    #[test]
    fn wait_all_fills_a_reusable_buffer() {
        within(LIMIT, || {
            let ctx = Context::new().unwrap();
            let pulls: Vec<Socket> = (0..4).map(|_| ctx.socket(PULL).unwrap()).collect();
            let push = ctx.socket(PUSH).unwrap();
            let mut poller = Poller::new().unwrap();
            for (i, pull) in pulls.iter().enumerate() {
                pull.bind(&format!("inproc://wait-all-{i}")).unwrap();
                poller.add(pull, PollEvents::POLLIN, i).unwrap();
            }
            for i in [1, 3] {
                push.connect(&format!("inproc://wait-all-{i}")).unwrap();
            }
            // Round-robin: one message to each connected PULL.
            push.send("x", SendFlags::empty()).unwrap();
            push.send("y", SendFlags::empty()).unwrap();

            let mut events = PollerEvents::with_capacity(poller.size());
            assert_eq!(events.capacity(), 4);
            let deadline = Instant::now() + Duration::from_secs(10);
            loop {
                let n = poller.wait_all(&mut events, 1000).unwrap();
                if n == 2 {
                    break;
                }
                assert!(Instant::now() < deadline, "only {n} ready");
            }
            assert_eq!(events.len(), 2);
            let mut ready: Vec<usize> = events.iter(&poller).unwrap().map(|e| *e.data()).collect();
            ready.sort_unstable();
            assert_eq!(ready, [1, 3]);
            for event in events.iter(&poller).unwrap() {
                assert!(event.is_readable());
                event
                    .socket()
                    .unwrap()
                    .recv_bytes(RecvFlags::DONTWAIT)
                    .unwrap();
            }

            // A buffer with room for one gets one of two ready sockets.
            push.send("x", SendFlags::empty()).unwrap();
            push.send("y", SendFlags::empty()).unwrap();
            let mut one = PollerEvents::with_capacity(1);
            thread::sleep(Duration::from_millis(50));
            assert_eq!(poller.wait_all(&mut one, 5000).unwrap(), 1);
            assert_eq!(one.iter(&poller).unwrap().count(), 1);

            // A buffer without room is refused rather than waited on.
            let mut none = PollerEvents::with_capacity(0);
            assert_eq!(poller.wait_all(&mut none, -1), Err(Error::EINVAL));
            assert!(none.is_empty());

            // A timeout is EAGAIN and leaves the buffer empty.
            let mut idle = Poller::new().unwrap();
            idle.add(&pulls[0], PollEvents::POLLIN, 0).unwrap();
            assert_eq!(idle.wait_all(&mut events, 0), Err(Error::EAGAIN));
            assert!(events.is_empty());
        });
    }

    #[test]
    fn registrations_are_checked_and_values_come_back() {
        let ctx = Context::new().unwrap();
        let (a, b) = (ctx.socket(PULL).unwrap(), ctx.socket(PULL).unwrap());
        let token = Rc::new(());
        let mut poller = Poller::new().unwrap();

        poller
            .add(&a, PollEvents::POLLIN, Rc::clone(&token))
            .unwrap();
        // Twice: EINVAL, and the value given is dropped, not leaked.
        assert_eq!(
            poller.add(&a, PollEvents::POLLIN, Rc::clone(&token)),
            Err(Error::EINVAL)
        );
        assert_eq!(Rc::strong_count(&token), 2);
        assert_eq!(poller.size(), 1);

        // What was never added: EINVAL.
        assert_eq!(poller.modify(&b, PollEvents::POLLIN), Err(Error::EINVAL));
        assert_eq!(poller.remove(&b).unwrap_err(), Error::EINVAL);
        assert_eq!(poller.modify_fd(0, PollEvents::POLLIN), Err(Error::EINVAL));
        assert_eq!(poller.remove_fd(0).unwrap_err(), Error::EINVAL);
        // libzmq's "retired" descriptor.
        #[cfg(unix)]
        assert_eq!(
            poller.add_fd(-1, PollEvents::POLLIN, Rc::clone(&token)),
            Err(Error::from_raw(libc::EBADF))
        );
        // Events beyond POLLIN | POLLOUT | POLLERR | POLLPRI.
        assert_eq!(
            poller.add(&b, PollEvents::from_bits_retain(0x100), Rc::clone(&token)),
            Err(Error::EINVAL)
        );
        assert_eq!(Rc::strong_count(&token), 2);

        poller
            .add(&b, PollEvents::empty(), Rc::clone(&token))
            .unwrap();
        assert_eq!(Rc::strong_count(&token), 3);
        let value = poller.remove(&a).unwrap();
        assert!(Rc::ptr_eq(&value, &token));
        drop(value);
        assert_eq!(poller.size(), 1);
        assert_eq!(poller.remove(&a).unwrap_err(), Error::EINVAL);
        // Dropping the poller drops the values it still holds.
        drop(poller);
        assert_eq!(Rc::strong_count(&token), 1);

        // Without a thread-safe socket a poller has no descriptor.
        let poller: Poller<'_, ()> = Poller::new().unwrap();
        assert_eq!(poller.fd(), Err(Error::EINVAL));
    }

    #[test]
    fn nothing_to_poll_is_eagain_after_the_timeout_or_efault_for_ever() {
        let ctx = Context::new().unwrap();
        let pull = ctx.socket(PULL).unwrap();
        let mut poller = Poller::new().unwrap();
        assert_eq!(poller.wait(0).unwrap_err(), Error::EAGAIN);
        let started = Instant::now();
        assert_eq!(poller.wait(50).unwrap_err(), Error::EAGAIN);
        assert!(started.elapsed() >= Duration::from_millis(45));
        assert_eq!(poller.wait(-1).unwrap_err(), Error::EFAULT);
        // Registered but with no events enabled is the same.
        poller.add(&pull, PollEvents::empty(), ()).unwrap();
        assert_eq!(poller.wait(-1).unwrap_err(), Error::EFAULT);
        let mut events = PollerEvents::with_capacity(1);
        assert_eq!(poller.wait_all(&mut events, -1), Err(Error::EFAULT));
    }

    #[test]
    fn modify_disables_and_reenables_events() {
        within(LIMIT, || {
            let ctx = Context::new().unwrap();
            let pull = ctx.socket(PULL).unwrap();
            pull.bind("inproc://modify").unwrap();
            let push = ctx.socket(PUSH).unwrap();
            push.connect("inproc://modify").unwrap();
            push.send("m", SendFlags::empty()).unwrap();

            let mut poller = Poller::new().unwrap();
            poller.add(&pull, PollEvents::empty(), 7).unwrap();
            poller.add(&push, PollEvents::empty(), 8).unwrap();
            assert_eq!(poller.wait(0).unwrap_err(), Error::EAGAIN);

            poller.modify(&pull, PollEvents::POLLIN).unwrap();
            assert_eq!(*poller.wait(5000).unwrap().data(), 7);

            poller.modify(&pull, PollEvents::empty()).unwrap();
            poller.modify(&push, PollEvents::POLLOUT).unwrap();
            let event = poller.wait(5000).unwrap();
            assert_eq!(*event.data(), 8);
            assert!(event.is_writable());
        });
    }

    #[cfg(unix)]
    #[test]
    fn descriptors_are_polled_too() {
        use std::io::Write;
        use std::os::unix::io::AsRawFd;
        use std::os::unix::net::UnixStream;

        within(LIMIT, || {
            let (mut x, y) = UnixStream::pair().unwrap();
            let fd = y.as_raw_fd();
            let mut poller = Poller::new().unwrap();
            poller.add_fd(fd, PollEvents::POLLIN, "y").unwrap();
            assert_eq!(
                poller.add_fd(fd, PollEvents::POLLIN, "again"),
                Err(Error::EINVAL)
            );
            assert_eq!(poller.wait(0).unwrap_err(), Error::EAGAIN);

            x.write_all(b"!").unwrap();
            let event = poller.wait(5000).unwrap();
            assert_eq!((event.fd(), *event.data()), (Some(fd), "y"));
            assert!(event.socket().is_none() && event.is_readable());

            poller.modify_fd(fd, PollEvents::POLLOUT).unwrap();
            assert_eq!(poller.wait(5000).unwrap().events(), PollEvents::POLLOUT);
            assert_eq!(poller.remove_fd(fd).unwrap(), "y");
            assert_eq!(poller.size(), 0);

            // A descriptor that is not open is an error event, not undefined behaviour.
            poller
                .add_fd(1_000_000_000, PollEvents::POLLIN, "gone")
                .unwrap();
            let event = poller.wait(5000).unwrap();
            assert!(event.has_error());
        });
    }

    #[test]
    fn a_buffer_is_read_only_with_its_poller_and_until_a_removal() {
        let ctx = Context::new().unwrap();
        let (a, b) = (ctx.socket(PUSH).unwrap(), ctx.socket(PUSH).unwrap());
        a.bind("inproc://stale-a").unwrap();
        b.bind("inproc://stale-b").unwrap();
        let peers = [ctx.socket(PULL).unwrap(), ctx.socket(PULL).unwrap()];
        peers[0].connect("inproc://stale-a").unwrap();
        peers[1].connect("inproc://stale-b").unwrap();
        let c = ctx.socket(PULL).unwrap();

        let mut poller = Poller::new().unwrap();
        poller.add(&a, PollEvents::POLLOUT, 'a').unwrap();
        poller.add(&b, PollEvents::POLLOUT, 'b').unwrap();
        let mut events = PollerEvents::with_capacity(2);
        assert_eq!(poller.wait_all(&mut events, 5000).unwrap(), 2);
        assert_eq!(events.iter(&poller).unwrap().count(), 2);

        // Another poller cannot read it.
        let other: Poller<'_, char> = Poller::new().unwrap();
        assert!(events.iter(&other).is_err());

        // Adding and modifying keep it valid; removing makes it stale.
        poller.add(&c, PollEvents::POLLIN, 'c').unwrap();
        poller.modify(&a, PollEvents::POLLOUT).unwrap();
        assert_eq!(events.iter(&poller).unwrap().count(), 2);
        assert_eq!(poller.remove(&a).unwrap(), 'a');
        assert_eq!(events.iter(&poller).err(), Some(Error::EINVAL));

        // The next wait makes it valid again.
        assert_eq!(poller.wait_all(&mut events, 5000).unwrap(), 1);
        let ready: Vec<char> = events.iter(&poller).unwrap().map(|e| *e.data()).collect();
        assert_eq!(ready, ['b']);
    }

    /// ETERM when the context is shut down under a blocked wait; and afterwards,
    /// re-registering and waiting again is still ETERM (libzmq would abort the
    /// process rebuilding its poll set with such a socket).
    #[test]
    fn shutdown_wakes_a_blocked_wait_with_eterm_and_stays_an_error() {
        within(LIMIT, || {
            let ctx = Context::new().unwrap();
            let pull = ctx.socket(PULL).unwrap();
            pull.bind("inproc://poller-blocked").unwrap();
            let push = ctx.socket(PUSH).unwrap();
            push.bind("inproc://poller-blocked-out").unwrap();
            // Set just before the shutdown: the wait must not return before it.
            let shutting_down = Arc::new(AtomicBool::new(false));
            let (ready_tx, ready_rx) = mpsc::channel();
            let blocked = {
                let shutting_down = Arc::clone(&shutting_down);
                thread::spawn(move || {
                    let mut poller = Poller::new().unwrap();
                    poller.add(&pull, PollEvents::POLLIN, ()).unwrap();
                    ready_tx.send(()).unwrap();
                    let first = poller.wait(-1).map(drop);
                    let after_shutdown = shutting_down.load(Ordering::SeqCst);
                    poller
                        .modify(&pull, PollEvents::POLLIN | PollEvents::POLLOUT)
                        .unwrap();
                    let after_modify = poller.wait(0).map(drop);
                    poller.add(&push, PollEvents::POLLOUT, ()).unwrap();
                    let after_add = poller.wait(0).map(drop);
                    (first, after_shutdown, after_modify, after_add)
                })
            };
            ready_rx.recv().unwrap();
            thread::sleep(Duration::from_millis(200)); // most likely blocked by now
            shutting_down.store(true, Ordering::SeqCst);
            ctx.shutdown().unwrap();
            let (first, after_shutdown, after_modify, after_add) = blocked.join().unwrap();
            assert_eq!(first, Err(Error::ETERM));
            assert!(after_shutdown, "the wait returned before the shutdown");
            assert_eq!(after_modify, Err(Error::ETERM));
            assert_eq!(after_add, Err(Error::ETERM));
        });
    }
}

/// Thread-safe sockets (SERVER, CLIENT ..., draft API) make `zmq_poll` use a
/// `zmq_poller` inside, and have no `ZMQ_FD` of their own.
#[cfg(feature = "draft")]
mod thread_safe {
    use super::*;
    use zmq::{Poller, SocketType};

    #[test]
    fn poll_mixes_thread_safe_and_classic_sockets() {
        within(LIMIT, || {
            let ctx = Context::new().unwrap();
            let server = ctx.socket(SocketType::Server).unwrap();
            server.bind("inproc://ts-poll").unwrap();
            let client = ctx.socket(SocketType::Client).unwrap();
            client.connect("inproc://ts-poll").unwrap();
            let pull = ctx.socket(PULL).unwrap();
            pull.bind("inproc://ts-poll-pull").unwrap();

            let mut items = [
                server.as_poll_item(PollEvents::POLLIN),
                pull.as_poll_item(PollEvents::POLLIN),
                client.as_poll_item(PollEvents::POLLOUT),
            ];
            assert_eq!(zmq::poll(&mut items, 5000).unwrap(), 1);
            assert!(items[2].is_writable());
            client.send("hi", SendFlags::empty()).unwrap();
            let n = poll_until(&mut items, |i| i[0].is_readable());
            assert_eq!(n, 2);
            assert!(!items[1].is_readable());
        });
    }

    /// With a thread-safe socket among the items, libzmq's poller aborts the process
    /// if a classic socket already saw its context shut down: it must be ETERM.
    #[test]
    fn poll_with_a_thread_safe_socket_and_a_terminated_classic_one_is_eterm() {
        within(LIMIT, || {
            let live = Context::new().unwrap();
            let server = live.socket(SocketType::Server).unwrap();
            let doomed = Context::new().unwrap();
            let pull = doomed.socket(PULL).unwrap();
            doomed.shutdown().unwrap();
            assert_eq!(pull.get_events(), Err(Error::ETERM));

            let mut items = [
                server.as_poll_item(PollEvents::POLLIN),
                pull.as_poll_item(PollEvents::POLLIN),
            ];
            assert_eq!(zmq::poll(&mut items, 0), Err(Error::ETERM));
            assert_eq!(zmq::poll(&mut items, -1), Err(Error::ETERM));

            // The thread-safe socket switches libzmq to its poller even without events.
            items[0].set_events(PollEvents::empty());
            assert_eq!(zmq::poll(&mut items, 0), Err(Error::ETERM));

            // And when the thread-safe socket's context is shut down too.
            let doomed_server = shut_down_server();
            let mut items = [
                doomed_server.as_poll_item(PollEvents::POLLIN),
                pull.as_poll_item(PollEvents::POLLIN),
            ];
            assert_eq!(zmq::poll(&mut items, 0), Err(Error::ETERM));
        });
    }

    /// A SERVER socket whose context was shut down, and which has seen it.
    fn shut_down_server() -> Socket {
        let ctx = Context::new().unwrap();
        let server = ctx.socket(SocketType::Server).unwrap();
        ctx.shutdown().unwrap();
        assert_eq!(server.get_events(), Err(Error::ETERM));
        server
    }

    #[test]
    fn a_poller_with_a_thread_safe_socket_has_a_descriptor() {
        within(LIMIT, || {
            let ctx = Context::new().unwrap();
            let server = ctx.socket(SocketType::Server).unwrap();
            server.bind("inproc://ts-poller").unwrap();
            let client = ctx.socket(SocketType::Client).unwrap();
            client.connect("inproc://ts-poller").unwrap();
            let pull = ctx.socket(PULL).unwrap();

            let mut poller = Poller::new().unwrap();
            poller.add(&pull, PollEvents::POLLIN, "pull").unwrap();
            assert_eq!(poller.fd(), Err(Error::EINVAL));
            poller.add(&server, PollEvents::POLLIN, "server").unwrap();
            let fd = poller.fd().unwrap();
            assert_eq!(poller.wait(0).unwrap_err(), Error::EAGAIN);

            client.send("hi", SendFlags::empty()).unwrap();
            #[cfg(unix)]
            assert!(
                zmq::wait_fd_readable(fd, 5000).unwrap(),
                "the poller's fd stayed quiet"
            );
            let _ = fd;
            let event = poller.wait(5000).unwrap();
            assert_eq!(*event.data(), "server");
            assert!(event.is_readable());
            assert_eq!(
                server.recv_bytes(RecvFlags::DONTWAIT).unwrap(),
                b"hi".to_vec()
            );
            assert_eq!(poller.remove(&server).unwrap(), "server");
        });
    }
}
