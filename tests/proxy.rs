//! The built-in proxies with real traffic: shared queue, forwarder, capture, steering,
//! and the way out through context shutdown.
#![forbid(unsafe_code)]

mod common;

use std::sync::mpsc;
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

use common::join_within;
use common::net::socket;
use zmq::{
    Context, Error, ProxyCommand, ProxySocketStatistics, ProxyStatistics, RecvFlags, SendFlags,
    Socket, SocketType, DEALER, PAIR, PULL, PUSH, REP, REQ, ROUTER, SUB, XPUB, XSUB,
};

const LIMIT: Duration = Duration::from_secs(10);
/// How long a blocking send or receive may wait.
const PATIENCE: Duration = Duration::from_secs(5);

/// Shuts the context down when dropped, so a failing test stops its proxy and
/// worker threads instead of leaving them blocked.
struct ShutdownOnDrop(Context);

impl Drop for ShutdownOnDrop {
    fn drop(&mut self) {
        let _ = self.0.shutdown();
    }
}

fn bound(ctx: &Context, kind: SocketType, endpoint: &str) -> (Socket, String) {
    let s = socket(ctx, kind, PATIENCE);
    s.bind(endpoint).unwrap();
    let endpoint = s.get_last_endpoint().unwrap();
    (s, endpoint)
}

fn connected(ctx: &Context, kind: SocketType, endpoint: &str) -> Socket {
    let s = socket(ctx, kind, PATIENCE);
    s.connect(endpoint).unwrap();
    s
}

fn text(bytes: Vec<u8>) -> String {
    String::from_utf8(bytes).unwrap()
}

#[test]
fn router_dealer_queue_answers_every_request_from_several_clients() {
    const CLIENTS: usize = 3;
    const REQUESTS: usize = 10;
    let ctx = Context::new().unwrap();
    let _guard = ShutdownOnDrop(ctx.clone());

    let (frontend, front_endpoint) = bound(&ctx, ROUTER, "tcp://127.0.0.1:*");
    let (backend, _) = bound(&ctx, DEALER, "inproc://workers");
    let proxy = thread::spawn(move || zmq::proxy(&frontend, &backend));

    // Two REP workers, each answering "<worker>:<request>" until the context ends.
    let (ready_tx, ready_rx) = mpsc::channel();
    let workers: Vec<JoinHandle<usize>> = (0..2)
        .map(|w| {
            let ctx = ctx.clone();
            let ready = ready_tx.clone();
            thread::spawn(move || {
                let rep = ctx.socket(REP).unwrap();
                rep.set_linger(0).unwrap();
                rep.connect("inproc://workers").unwrap();
                ready.send(()).unwrap();
                let mut served = 0;
                loop {
                    match rep.recv_bytes(RecvFlags::empty()) {
                        Ok(request) => {
                            let reply = format!("{w}:{}", text(request));
                            rep.send(reply, SendFlags::empty()).unwrap();
                            served += 1;
                        }
                        Err(Error::ETERM) => return served,
                        Err(e) => panic!("worker {w}: {e:?}"),
                    }
                }
            })
        })
        .collect();
    for _ in 0..2 {
        ready_rx.recv_timeout(LIMIT).unwrap();
    }

    // Clients on their own threads, each checking it gets the answer to its request.
    let clients: Vec<JoinHandle<Vec<usize>>> = (0..CLIENTS)
        .map(|c| {
            let ctx = ctx.clone();
            let endpoint = front_endpoint.clone();
            thread::spawn(move || {
                let req = connected(&ctx, REQ, &endpoint);
                (0..REQUESTS)
                    .map(|i| {
                        let request = format!("client{c}-request{i}");
                        req.send(&request, SendFlags::empty()).unwrap();
                        let reply = text(req.recv_bytes(RecvFlags::empty()).unwrap());
                        let (worker, echoed) = reply.split_once(':').unwrap();
                        assert_eq!(echoed, request);
                        worker.parse().unwrap()
                    })
                    .collect()
            })
        })
        .collect();
    let mut answered_by = [0usize; 2];
    for client in clients {
        for worker in join_within(client, LIMIT) {
            answered_by[worker] += 1;
        }
    }
    assert_eq!(answered_by.iter().sum::<usize>(), CLIENTS * REQUESTS);
    // The DEALER spreads the requests over both workers.
    assert!(answered_by.iter().all(|&n| n > 0), "{answered_by:?}");

    ctx.shutdown().unwrap();
    assert_eq!(join_within(proxy, LIMIT), Err(Error::ETERM));
    let served: Vec<usize> = workers.into_iter().map(|w| join_within(w, LIMIT)).collect();
    assert_eq!(served, answered_by);
}

#[test]
fn xsub_xpub_forwarder_passes_subscriptions_upstream() {
    let ctx = Context::new().unwrap();
    let _guard = ShutdownOnDrop(ctx.clone());

    let (frontend, front_endpoint) = bound(&ctx, XSUB, "tcp://127.0.0.1:*");
    let (backend, back_endpoint) = bound(&ctx, XPUB, "tcp://127.0.0.1:*");
    let (capture, capture_endpoint) = bound(&ctx, PAIR, "inproc://capture");
    let tap = connected(&ctx, PAIR, &capture_endpoint);
    let proxy = thread::spawn(move || zmq::proxy_with_capture(&frontend, &backend, &capture));

    let publisher = connected(&ctx, zmq::PUB, &front_endpoint);
    let subscriber = connected(&ctx, SUB, &back_endpoint);
    subscriber.set_subscribe(b"A").unwrap();

    // Publish until the subscription has travelled SUB -> XPUB -> proxy -> XSUB -> PUB.
    subscriber.set_rcvtimeo(50).unwrap();
    let deadline = Instant::now() + LIMIT;
    loop {
        publisher.send("A-sync", SendFlags::empty()).unwrap();
        match subscriber.recv_bytes(RecvFlags::empty()) {
            Ok(msg) => {
                assert_eq!(msg, b"A-sync");
                break;
            }
            Err(Error::EAGAIN) => assert!(Instant::now() < deadline, "never subscribed"),
            Err(e) => panic!("{e:?}"),
        }
    }
    subscriber.set_rcvtimeo(5000).unwrap();

    for i in 0..10 {
        publisher
            .send(format!("B-{i}"), SendFlags::empty())
            .unwrap();
        publisher
            .send(format!("A-{i}"), SendFlags::empty())
            .unwrap();
    }
    publisher.send("A-end", SendFlags::empty()).unwrap();

    let mut received = Vec::new();
    loop {
        let msg = text(subscriber.recv_bytes(RecvFlags::empty()).unwrap());
        match msg.as_str() {
            "A-sync" => {}
            "A-end" => break,
            _ => received.push(msg),
        }
    }
    let expected: Vec<String> = (0..10).map(|i| format!("A-{i}")).collect();
    assert_eq!(received, expected);
    assert_eq!(
        subscriber.recv_bytes(RecvFlags::DONTWAIT),
        Err(Error::EAGAIN)
    );

    // The capture saw the subscription go up and only "A" messages come down: the
    // publisher itself filtered, so the subscription did reach it.
    let mut captured = Vec::new();
    loop {
        let frame = tap.recv_bytes(RecvFlags::empty()).unwrap();
        let end = frame == b"A-end";
        captured.push(frame);
        if end {
            break;
        }
    }
    assert_eq!(captured[0], b"\x01A", "the subscription comes first");
    let data: Vec<String> = captured[1..]
        .iter()
        .map(|f| text(f.clone()))
        .filter(|m| m != "A-sync")
        .collect();
    let mut expected_data = expected.clone();
    expected_data.push("A-end".into());
    assert_eq!(data, expected_data);
    assert!(captured.iter().all(|f| !f.starts_with(b"B")));

    ctx.shutdown().unwrap();
    assert_eq!(join_within(proxy, LIMIT), Err(Error::ETERM));
}

#[test]
fn capture_sees_every_frame_that_passes() {
    let ctx = Context::new().unwrap();
    let _guard = ShutdownOnDrop(ctx.clone());

    let (frontend, front_endpoint) = bound(&ctx, PULL, "tcp://127.0.0.1:*");
    let (backend, back_endpoint) = bound(&ctx, PUSH, "tcp://127.0.0.1:*");
    let (capture, capture_endpoint) = bound(&ctx, PAIR, "inproc://capture");
    let tap = connected(&ctx, PAIR, &capture_endpoint);
    let proxy = thread::spawn(move || zmq::proxy_with_capture(&frontend, &backend, &capture));

    let source = connected(&ctx, PUSH, &front_endpoint);
    let sink = connected(&ctx, PULL, &back_endpoint);

    // Single-frame and three-frame messages.
    let messages: Vec<Vec<Vec<u8>>> = (0..20)
        .map(|i| {
            if i % 2 == 0 {
                vec![format!("single {i}").into_bytes()]
            } else {
                vec![
                    format!("head {i}").into_bytes(),
                    Vec::new(),
                    vec![i as u8; 100 + i],
                ]
            }
        })
        .collect();
    for message in &messages {
        source.send_multipart(message, SendFlags::empty()).unwrap();
    }

    for message in &messages {
        assert_eq!(&sink.recv_multipart(RecvFlags::empty()).unwrap(), message);
    }
    // Every frame, in order and with its "more" flag: the capture's messages are
    // the same multipart messages.
    let mut frames = 0;
    for message in &messages {
        let copy = tap.recv_multipart(RecvFlags::empty()).unwrap();
        assert_eq!(&copy, message);
        frames += copy.len();
    }
    assert_eq!(frames, 10 + 10 * 3);
    assert_eq!(tap.recv_bytes(RecvFlags::DONTWAIT), Err(Error::EAGAIN));

    ctx.shutdown().unwrap();
    assert_eq!(join_within(proxy, LIMIT), Err(Error::ETERM));
}

fn side(
    messages_received: u64,
    bytes_received: u64,
    messages_sent: u64,
    bytes_sent: u64,
) -> ProxySocketStatistics {
    ProxySocketStatistics {
        messages_received,
        bytes_received,
        messages_sent,
        bytes_sent,
    }
}

/// How many messages the proxy's statistics count for a message of `frames`
/// parts: each frame from libzmq 4.3.5 on, the whole message before.
fn counted(frames: u64) -> u64 {
    if zmq::version() >= (4, 3, 5) {
        frames
    } else {
        1
    }
}

fn statistics(steer: &Socket) -> ProxyStatistics {
    zmq::send_proxy_command(steer, ProxyCommand::Statistics).unwrap();
    zmq::recv_proxy_statistics(steer).unwrap()
}

#[test]
fn steerable_proxy_pauses_resumes_counts_and_terminates() {
    let ctx = Context::new().unwrap();
    let _guard = ShutdownOnDrop(ctx.clone());

    let (frontend, front_endpoint) = bound(&ctx, PULL, "inproc://steer-in");
    let (backend, back_endpoint) = bound(&ctx, PUSH, "inproc://steer-out");
    let (control, control_endpoint) = bound(&ctx, PAIR, "inproc://steer-control");
    let proxy = thread::spawn(move || zmq::proxy_steerable(&frontend, &backend, None, &control));

    let source = connected(&ctx, PUSH, &front_endpoint);
    let sink = connected(&ctx, PULL, &back_endpoint);
    let steer = connected(&ctx, PAIR, &control_endpoint);

    // Running from the start.
    for word in ["one", "two", "three"] {
        source.send(word, SendFlags::empty()).unwrap();
        assert_eq!(text(sink.recv_bytes(RecvFlags::empty()).unwrap()), word);
    }

    zmq::send_proxy_command(&steer, ProxyCommand::Pause).unwrap();
    // A statistics round trip also proves the proxy has handled the pause.
    let after_three = ProxyStatistics {
        frontend: side(3, 11, 0, 0),
        backend: side(0, 0, 3, 11),
    };
    assert_eq!(statistics(&steer), after_three);

    // Paused: messages wait in the frontend's queue.
    let waiting = ["paused-1", "paused-2", "paused-3", "paused-4"];
    for word in waiting {
        source.send(word, SendFlags::empty()).unwrap();
    }
    sink.set_rcvtimeo(300).unwrap();
    assert_eq!(sink.recv_bytes(RecvFlags::empty()), Err(Error::EAGAIN));
    assert_eq!(
        statistics(&steer),
        after_three,
        "nothing moved while paused"
    );

    // Resumed: they are delivered, in order.
    zmq::send_proxy_command(&steer, ProxyCommand::Resume).unwrap();
    sink.set_rcvtimeo(5000).unwrap();
    for word in waiting {
        assert_eq!(text(sink.recv_bytes(RecvFlags::empty()).unwrap()), word);
    }
    // A multipart message counts one per frame.
    source
        .send_multipart(["x", "yy", ""], SendFlags::empty())
        .unwrap();
    assert_eq!(
        sink.recv_multipart(RecvFlags::empty()).unwrap(),
        [b"x".to_vec(), b"yy".to_vec(), Vec::new()]
    );

    let frames = 3 + 4 + counted(3);
    let bytes = 11 + 4 * 8 + 3;
    assert_eq!(
        statistics(&steer),
        ProxyStatistics {
            frontend: side(frames, bytes, 0, 0),
            backend: side(0, 0, frames, bytes),
        }
    );

    zmq::send_proxy_command(&steer, ProxyCommand::Terminate).unwrap();
    assert_eq!(join_within(proxy, LIMIT), Ok(()));
}

#[test]
fn steerable_proxy_counts_both_directions() {
    let ctx = Context::new().unwrap();
    let _guard = ShutdownOnDrop(ctx.clone());

    let (frontend, front_endpoint) = bound(&ctx, ROUTER, "tcp://127.0.0.1:*");
    let (backend, back_endpoint) = bound(&ctx, DEALER, "tcp://127.0.0.1:*");
    let (control, control_endpoint) = bound(&ctx, PAIR, "inproc://control");
    let proxy = thread::spawn(move || zmq::proxy_steerable(&frontend, &backend, None, &control));

    let client = socket(&ctx, REQ, PATIENCE);
    client.set_routing_id(b"client").unwrap();
    client.connect(&front_endpoint).unwrap();
    let worker = connected(&ctx, REP, &back_endpoint);
    let steer = connected(&ctx, PAIR, &control_endpoint);

    for _ in 0..2 {
        client.send("ping!", SendFlags::empty()).unwrap();
        assert_eq!(worker.recv_bytes(RecvFlags::empty()).unwrap(), b"ping!");
        worker.send("pong", SendFlags::empty()).unwrap();
        assert_eq!(client.recv_bytes(RecvFlags::empty()).unwrap(), b"pong");
    }
    // Each request is [routing id, empty delimiter, body] on both sockets of the
    // proxy; each reply the same.
    let id = b"client".len() as u64;
    let n = 2 * counted(3);
    assert_eq!(
        statistics(&steer),
        ProxyStatistics {
            frontend: side(n, 2 * (id + 5), n, 2 * (id + 4)),
            backend: side(n, 2 * (id + 4), n, 2 * (id + 5)),
        }
    );
    zmq::send_proxy_command(&steer, ProxyCommand::Terminate).unwrap();
    assert_eq!(join_within(proxy, LIMIT), Ok(()));
}

#[test]
fn steerable_proxy_copies_to_its_capture_socket() {
    let ctx = Context::new().unwrap();
    let _guard = ShutdownOnDrop(ctx.clone());

    let (frontend, front_endpoint) = bound(&ctx, PULL, "inproc://in");
    let (backend, back_endpoint) = bound(&ctx, PUSH, "inproc://out");
    let (capture, capture_endpoint) = bound(&ctx, PAIR, "inproc://capture");
    let (control, control_endpoint) = bound(&ctx, PAIR, "inproc://control");
    let proxy =
        thread::spawn(move || zmq::proxy_steerable(&frontend, &backend, Some(&capture), &control));
    let source = connected(&ctx, PUSH, &front_endpoint);
    let sink = connected(&ctx, PULL, &back_endpoint);
    let tap = connected(&ctx, PAIR, &capture_endpoint);
    let steer = connected(&ctx, PAIR, &control_endpoint);

    source.send("first", SendFlags::empty()).unwrap();
    assert_eq!(sink.recv_bytes(RecvFlags::empty()).unwrap(), b"first");
    let stats = statistics(&steer);
    assert_eq!(stats.frontend.messages_received, 1);
    source.send("second", SendFlags::empty()).unwrap();
    assert_eq!(sink.recv_bytes(RecvFlags::empty()).unwrap(), b"second");
    zmq::send_proxy_command(&steer, ProxyCommand::Terminate).unwrap();
    assert_eq!(join_within(proxy, LIMIT), Ok(()));

    let mut captured = Vec::new();
    while let Ok(frame) = tap.recv_bytes(RecvFlags::DONTWAIT) {
        captured.push(text(frame));
    }
    // libzmq 4.3.4 and older copy the control commands too.
    let expected: &[&str] = if zmq::version() >= (4, 3, 5) {
        &["first", "second"]
    } else {
        &["first", "STATISTICS", "second", "TERMINATE"]
    };
    assert_eq!(captured, expected);
}

#[test]
fn steerable_proxy_with_a_rep_control_socket() {
    let ctx = Context::new().unwrap();
    let _guard = ShutdownOnDrop(ctx.clone());

    let (frontend, front_endpoint) = bound(&ctx, PULL, "inproc://in");
    let (backend, back_endpoint) = bound(&ctx, PUSH, "inproc://out");
    let (control, control_endpoint) = bound(&ctx, REP, "inproc://control");
    let proxy = thread::spawn(move || zmq::proxy_steerable(&frontend, &backend, None, &control));
    let source = connected(&ctx, PUSH, &front_endpoint);
    let sink = connected(&ctx, PULL, &back_endpoint);
    let steer = connected(&ctx, REQ, &control_endpoint);

    if zmq::version() < (4, 3, 5) {
        // The proxy of older releases never answers a REQ peer.
        assert_eq!(
            zmq::send_proxy_command(&steer, ProxyCommand::Pause),
            Err(Error::ENOTSUP)
        );
        ctx.shutdown().unwrap();
        assert_eq!(join_within(proxy, LIMIT), Err(Error::ETERM));
        return;
    }
    // Each command is answered, so the REQ peer can go on sending.
    zmq::send_proxy_command(&steer, ProxyCommand::Pause).unwrap();
    source.send("held", SendFlags::empty()).unwrap();
    sink.set_rcvtimeo(300).unwrap();
    assert_eq!(sink.recv_bytes(RecvFlags::empty()), Err(Error::EAGAIN));
    zmq::send_proxy_command(&steer, ProxyCommand::Resume).unwrap();
    sink.set_rcvtimeo(5000).unwrap();
    assert_eq!(sink.recv_bytes(RecvFlags::empty()).unwrap(), b"held");
    let stats = statistics(&steer);
    assert_eq!(stats.frontend, side(1, 4, 0, 0));
    assert_eq!(stats.backend, side(0, 0, 1, 4));
    zmq::send_proxy_command(&steer, ProxyCommand::Terminate).unwrap();
    assert_eq!(join_within(proxy, LIMIT), Ok(()));
}

#[test]
fn every_proxy_returns_eterm_when_the_context_is_shut_down() {
    let ctx = Context::new().unwrap();
    let _guard = ShutdownOnDrop(ctx.clone());

    let pair = |name: &str| {
        let (a, _) = bound(&ctx, PULL, &format!("inproc://{name}-in"));
        let (b, _) = bound(&ctx, PUSH, &format!("inproc://{name}-out"));
        (a, b)
    };
    let (f1, b1) = pair("plain");
    let plain = thread::spawn(move || zmq::proxy(&f1, &b1));
    let (f2, b2) = pair("captured");
    let (capture, _) = bound(&ctx, PUSH, "inproc://capture");
    let captured = thread::spawn(move || zmq::proxy_with_capture(&f2, &b2, &capture));
    let (f3, b3) = pair("steered");
    let (control, _) = bound(&ctx, PAIR, "inproc://control");
    let steered = thread::spawn(move || zmq::proxy_steerable(&f3, &b3, None, &control));

    // They block...
    thread::sleep(Duration::from_millis(200));
    assert!(!plain.is_finished() && !captured.is_finished() && !steered.is_finished());
    // ...until the context is shut down: their normal way out.
    ctx.shutdown().unwrap();
    assert_eq!(join_within(plain, LIMIT), Err(Error::ETERM));
    assert_eq!(join_within(captured, LIMIT), Err(Error::ETERM));
    assert_eq!(join_within(steered, LIMIT), Err(Error::ETERM));
}
