//! `PeerTracker`: the live peers of a socket across connects, disconnects, a peer
//! killed with SIGKILL, reconnects, unbind, failed handshakes and the socket's
//! close. Remote addresses are checked against what the other side reports as its
//! own local address (each side tracked), so an address from the wrong connection
//! would fail.
//!
//! Peer processes are this test executable run again (`child_peer` below, which does
//! nothing unless `ZMQ_PEER_CHILD` is set), killed with SIGKILL (`Child::kill`) as
//! tests/echo.rs does; every wait is bounded.
#![forbid(unsafe_code)]

mod common;

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc::{self, Receiver};
use std::time::{Duration, Instant};

use common::net::socket;
use zmq::{Context, Mechanism, PeerDirection, PeerTracker, RecvFlags, SendFlags, Socket};

const WAIT: Duration = Duration::from_secs(30);

fn ctx() -> Context {
    Context::new().unwrap()
}

fn wait_count(tracker: &PeerTracker, n: usize) -> Vec<zmq::Peer> {
    tracker.wait_for_count(n, WAIT).unwrap_or_else(|| {
        panic!(
            "expected {n} peers within {WAIT:?}; have {:?}",
            tracker.peers()
        )
    })
}

#[test]
fn connects_and_disconnects_are_tracked_with_both_ends() {
    let ctx = ctx();
    let server = socket(&ctx, zmq::ROUTER, WAIT);
    let tracker = PeerTracker::new(&server).unwrap();
    let endpoint = tracker.bind(&server, "tcp://127.0.0.1:*").unwrap();
    assert_eq!(tracker.count(), 0);

    let mut clients = Vec::new();
    for _ in 0..3 {
        let client = socket(&ctx, zmq::DEALER, WAIT);
        let client_tracker = PeerTracker::new(&client).unwrap();
        client_tracker.connect(&client, &endpoint).unwrap();
        clients.push((client, client_tracker));
    }
    let peers = wait_count(&tracker, 3);
    for (_, client_tracker) in &clients {
        let theirs = wait_count(client_tracker, 1);
        let theirs = &theirs[0];
        assert_eq!(theirs.direction, PeerDirection::Connected);
        assert_eq!(theirs.endpoint, endpoint);
        // Our view of each client is its own view of itself, and the reverse.
        let ours = peers
            .iter()
            .find(|p| p.remote_address == theirs.local_address)
            .unwrap_or_else(|| panic!("no server-side peer for {theirs:?} in {peers:?}"));
        assert!(theirs.local_address.is_some(), "{theirs:?}");
        assert_eq!(ours.local_address, theirs.remote_address);
        assert_eq!(ours.direction, PeerDirection::Accepted);
        assert_eq!(ours.endpoint, endpoint);
        assert_eq!(ours.mechanism, Mechanism::Null);
    }
    let mut ids: Vec<u64> = peers.iter().map(|p| p.id).collect();
    ids.dedup();
    assert_eq!(ids.len(), 3);

    // A client closes its socket: that peer goes, the others stay.
    let (gone, gone_tracker) = clients.remove(1);
    let gone_address = gone_tracker.peers()[0].local_address.clone();
    drop(gone_tracker);
    drop(gone);
    let left = wait_count(&tracker, 2);
    assert!(left.iter().all(|p| p.remote_address != gone_address));
    assert!(left.iter().all(|p| peers.iter().any(|q| q.id == p.id)));

    // A client disconnects through its tracker: its side forgets at once (libzmq
    // reports nothing there), ours sees the connection close.
    let (client, client_tracker) = &clients[0];
    client_tracker.disconnect(client, &endpoint).unwrap();
    assert_eq!(client_tracker.count(), 0);
    // libzmq closes the connection as the client socket processes the commands of
    // the disconnect, which it does inside its calls: keep it busy meanwhile.
    let deadline = Instant::now() + WAIT;
    while tracker.count() != 1 {
        assert!(Instant::now() < deadline, "the server never saw it go");
        let seen = tracker.generation();
        let _ = client.get_events();
        tracker.wait_for_change(seen, Duration::from_millis(50));
    }
    let stats = tracker.stats();
    assert_eq!(
        (stats.connections, stats.handshakes, stats.disconnections),
        (3, 3, 2)
    );
}

#[test]
fn the_connecting_side_sees_each_server_and_forgets_what_it_disconnects() {
    let ctx = ctx();
    let servers: Vec<Socket> = (0..2)
        .map(|_| {
            let s = socket(&ctx, zmq::ROUTER, WAIT);
            s.bind("tcp://127.0.0.1:*").unwrap();
            s
        })
        .collect();
    let endpoints: Vec<String> = servers
        .iter()
        .map(|s| s.get_last_endpoint().unwrap())
        .collect();
    let client = socket(&ctx, zmq::DEALER, WAIT);
    let tracker = PeerTracker::new(&client).unwrap();
    for e in &endpoints {
        tracker.connect(&client, e).unwrap();
    }
    let peers = wait_count(&tracker, 2);
    for e in &endpoints {
        let p = peers.iter().find(|p| &p.endpoint == e).unwrap();
        assert_eq!(p.direction, PeerDirection::Connected);
        assert_eq!(p.remote_address.as_deref(), Some(e.as_str()));
    }
    // Socket::disconnect behind the tracker's back, then forget.
    client.disconnect(&endpoints[0]).unwrap();
    assert_eq!(tracker.forget(&endpoints[0]), 1);
    assert_eq!(tracker.peers()[0].endpoint, endpoints[1]);
    assert_eq!(tracker.forget("tcp://127.0.0.1:1"), 0);
}

#[test]
fn unbind_ends_the_connections_of_its_listener() {
    let ctx = ctx();
    let server = socket(&ctx, zmq::PULL, WAIT);
    let tracker = PeerTracker::new(&server).unwrap();
    let kept = tracker.bind(&server, "tcp://127.0.0.1:*").unwrap();
    let dropped = tracker.bind(&server, "tcp://127.0.0.1:*").unwrap();
    let a = socket(&ctx, zmq::PUSH, WAIT);
    a.set_reconnect_ivl(-1).unwrap();
    a.connect(&kept).unwrap();
    let b = socket(&ctx, zmq::PUSH, WAIT);
    b.set_reconnect_ivl(-1).unwrap();
    b.connect(&dropped).unwrap();
    wait_count(&tracker, 2);
    server.unbind(&dropped).unwrap();
    let left = wait_count(&tracker, 1);
    assert_eq!(left[0].endpoint, kept);
}

#[test]
fn wildcard_binds_are_named_by_their_listener() {
    let ctx = ctx();
    let server = socket(&ctx, zmq::ROUTER, WAIT);
    let tracker = PeerTracker::new(&server).unwrap();
    let endpoint = tracker.bind(&server, "tcp://*:*").unwrap();
    assert!(endpoint.starts_with("tcp://0.0.0.0:"), "{endpoint}");
    let port = endpoint.rsplit(':').next().unwrap();
    let client = socket(&ctx, zmq::DEALER, WAIT);
    client.connect(&format!("tcp://127.0.0.1:{port}")).unwrap();
    let peers = wait_count(&tracker, 1);
    assert_eq!(peers[0].endpoint, endpoint);
    assert_eq!(
        peers[0].local_address.as_deref(),
        Some(format!("tcp://127.0.0.1:{port}").as_str())
    );
}

#[test]
fn the_mechanism_and_failed_handshakes() {
    assert!(zmq::has("curve"), "this test needs CURVE");
    let ctx = ctx();
    let server_keys = zmq::CurveKeyPair::new().unwrap();
    let server = socket(&ctx, zmq::ROUTER, WAIT);
    let tracker = PeerTracker::new(&server).unwrap();
    // Options set after the tracker was made: bind through it records them.
    server.set_curve_server(true).unwrap();
    server.set_curve_secretkey(&server_keys.secret).unwrap();
    let endpoint = tracker.bind(&server, "tcp://127.0.0.1:*").unwrap();

    let good = socket(&ctx, zmq::DEALER, WAIT);
    let keys = zmq::CurveKeyPair::new().unwrap();
    good.set_curve_publickey(&keys.public).unwrap();
    good.set_curve_secretkey(&keys.secret).unwrap();
    good.set_curve_serverkey(&server_keys.public).unwrap();
    good.connect(&endpoint).unwrap();
    let peers = wait_count(&tracker, 1);
    assert_eq!(peers[0].mechanism, Mechanism::Curve);

    // A client with a wrong server key: its handshakes fail, it is never listed.
    let bad = socket(&ctx, zmq::DEALER, WAIT);
    let wrong = zmq::CurveKeyPair::new().unwrap();
    bad.set_curve_publickey(&keys.public).unwrap();
    bad.set_curve_secretkey(&keys.secret).unwrap();
    bad.set_curve_serverkey(&wrong.public).unwrap();
    bad.set_reconnect_ivl(-1).unwrap();
    bad.connect(&endpoint).unwrap();
    let deadline = Instant::now() + WAIT;
    while tracker.stats().handshake_failures == 0 {
        let seen = tracker.generation();
        assert!(Instant::now() < deadline, "no failed handshake seen");
        tracker.wait_for_change(seen, Duration::from_millis(500));
    }
    assert_eq!(tracker.count(), 1);
    assert_eq!(tracker.peers()[0].id, peers[0].id);
    // The failed connection is closed and dropped (DISCONNECTED follows).
    let deadline = Instant::now() + WAIT;
    while tracker.handshaking() > 0 {
        assert!(Instant::now() < deadline, "the failed connection stays");
        let seen = tracker.generation();
        tracker.wait_for_change(seen, Duration::from_millis(500));
    }
}

#[test]
fn closing_the_socket_stops_tracking() {
    let ctx = ctx();
    let server = socket(&ctx, zmq::ROUTER, WAIT);
    let tracker = PeerTracker::new(&server).unwrap();
    let endpoint = tracker.bind(&server, "tcp://127.0.0.1:*").unwrap();
    let client = socket(&ctx, zmq::DEALER, WAIT);
    client.connect(&endpoint).unwrap();
    wait_count(&tracker, 1);
    drop(server);
    let deadline = Instant::now() + WAIT;
    while !tracker.is_stopped() {
        assert!(Instant::now() < deadline, "tracking did not stop");
        let seen = tracker.generation();
        tracker.wait_for_change(seen, Duration::from_millis(500));
    }
    assert!(tracker.peers().is_empty());
    // Waiting on a stopped tracker returns at once.
    assert!(tracker
        .wait_until(Duration::from_secs(3600), |p| p.len() == 5)
        .is_none());
    assert_eq!(tracker.wait_for_change(tracker.generation(), WAIT), None);
}

#[test]
fn many_peers_at_once_keep_their_own_addresses() {
    let ctx = ctx();
    let server = socket(&ctx, zmq::ROUTER, WAIT);
    let tracker = PeerTracker::new(&server).unwrap();
    let endpoint = tracker.bind(&server, "tcp://127.0.0.1:*").unwrap();
    const N: usize = 20;
    let clients: Vec<(Socket, PeerTracker)> = (0..N)
        .map(|_| {
            let c = socket(&ctx, zmq::DEALER, WAIT);
            let t = PeerTracker::new(&c).unwrap();
            t.connect(&c, &endpoint).unwrap();
            (c, t)
        })
        .collect();
    let peers = wait_count(&tracker, N);
    let mut remotes: Vec<_> = peers.iter().map(|p| p.remote_address.clone()).collect();
    remotes.sort();
    remotes.dedup();
    assert_eq!(remotes.len(), N, "{peers:?}");
    for (_, t) in &clients {
        let mine = wait_count(t, 1);
        assert!(peers
            .iter()
            .any(|p| p.remote_address == mine[0].local_address && p.remote_address.is_some()));
    }
}

// ---- peer processes -------------------------------------------------------------

/// Not a test of its own: the body of a peer process (see the module docs). With
/// `ZMQ_PEER_CHILD=connect <endpoint>` it connects a DEALER and says hello; with
/// `ZMQ_PEER_CHILD=bind <endpoint>` it binds a ROUTER there (retrying while the
/// port is still in use). Either way it prints `CHILD READY <endpoint>` and waits
/// to be killed (at most 120 s).
#[test]
fn child_peer() {
    let Ok(role) = std::env::var("ZMQ_PEER_CHILD") else {
        return;
    };
    let (mode, endpoint) = role.split_once(' ').expect("mode and endpoint");
    let ctx = Context::new().unwrap();
    let s = match mode {
        "connect" => {
            let s = ctx.socket(zmq::DEALER).unwrap();
            s.connect(endpoint).unwrap();
            s.send("hello", SendFlags::empty()).unwrap();
            s
        }
        "bind" => {
            let s = ctx.socket(zmq::ROUTER).unwrap();
            let deadline = Instant::now() + WAIT;
            while let Err(e) = s.bind(endpoint) {
                assert!(Instant::now() < deadline, "bind {endpoint}: {e}");
                std::thread::sleep(Duration::from_millis(50));
            }
            s
        }
        other => panic!("unknown mode {other}"),
    };
    println!("CHILD READY {}", s.get_last_endpoint().unwrap());
    std::thread::sleep(Duration::from_secs(120));
}

/// A peer process, killed (SIGKILL) on drop if still running.
struct PeerProcess {
    child: Child,
    lines: Receiver<String>,
}

impl PeerProcess {
    fn start(role: &str) -> PeerProcess {
        let mut child = Command::new(std::env::current_exe().unwrap())
            .args(["--exact", "child_peer", "--nocapture", "--test-threads=1"])
            .env("ZMQ_PEER_CHILD", role)
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let out = child.stdout.take().unwrap();
        let (tx, lines) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(out).lines().map_while(Result::ok) {
                let _ = tx.send(line);
            }
        });
        PeerProcess { child, lines }
    }

    fn ready(&self) -> String {
        let deadline = Instant::now() + WAIT;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            let line = self
                .lines
                .recv_timeout(left)
                .expect("the peer process did not get ready");
            // The harness prints "test child_peer ... " without a line end first.
            if let Some((_, endpoint)) = line.split_once("CHILD READY ") {
                return endpoint.trim().to_string();
            }
        }
    }

    /// SIGKILL: no chance to close anything; the kernel closes its connections.
    fn kill(mut self) {
        self.child.kill().unwrap();
        self.child.wait().unwrap();
    }
}

impl Drop for PeerProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[test]
fn a_killed_client_process_is_seen_to_go_and_a_new_one_to_come() {
    let ctx = ctx();
    let server = socket(&ctx, zmq::ROUTER, WAIT);
    let tracker = PeerTracker::new(&server).unwrap();
    let endpoint = tracker.bind(&server, "tcp://127.0.0.1:*").unwrap();
    let mut seen_ids = Vec::new();
    for round in 0..2 {
        let child = PeerProcess::start(&format!("connect {endpoint}"));
        child.ready();
        let frames = server.recv_multipart(RecvFlags::empty()).unwrap();
        assert_eq!(frames[1], b"hello");
        let peers = wait_count(&tracker, 1);
        assert!(!seen_ids.contains(&peers[0].id), "a new peer each time");
        seen_ids.push(peers[0].id);
        assert!(peers[0].remote_address.is_some() || cfg!(not(unix)));
        child.kill();
        // The kernel closed the dead process's connection: libzmq reports it.
        wait_count(&tracker, 0);
        let stats = tracker.stats();
        assert_eq!(stats.disconnections, round + 1);
    }
}

#[test]
fn a_killed_server_process_is_seen_to_go_and_reconnected_when_it_returns() {
    let ctx = ctx();
    let client = socket(&ctx, zmq::DEALER, WAIT);
    client.set_reconnect_ivl(50).unwrap();
    client.set_reconnect_ivl_max(200).unwrap();
    let tracker = PeerTracker::new(&client).unwrap();
    let server = PeerProcess::start("bind tcp://127.0.0.1:*");
    let endpoint = server.ready();
    tracker.connect(&client, &endpoint).unwrap();
    let first = wait_count(&tracker, 1);
    assert_eq!(first[0].endpoint, endpoint);
    assert_eq!(first[0].remote_address.as_deref(), Some(endpoint.as_str()));
    server.kill();
    wait_count(&tracker, 0);
    // The server comes back on the same port: libzmq reconnects by itself.
    let server = PeerProcess::start(&format!("bind {endpoint}"));
    assert_eq!(server.ready(), endpoint);
    let again = wait_count(&tracker, 1);
    assert_ne!(again[0].id, first[0].id, "a new connection");
    assert_eq!(again[0].endpoint, endpoint);
    assert_ne!(again[0].local_address, first[0].local_address);
    server.kill();
    wait_count(&tracker, 0);
    let stats = tracker.stats();
    assert_eq!((stats.handshakes, stats.disconnections), (2, 2));
}
