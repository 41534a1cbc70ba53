//! Our crate against pyzmq (and the libzmq its wheel bundles), on the wire over
//! `tcp://127.0.0.1` ephemeral ports.
//!
//! The pyzmq side is `python/peer.py`, run as a child process per case (see its
//! docstring for the line protocol). Every pattern is run with our crate in each of
//! the two roles, and each of those with either side binding (the binding side's
//! endpoint goes to the other one: on the command line, or read from the peer's
//! `ENDPOINT` line), so 4 cases per pattern: REQ/REP, PUSH/PULL, PUB/SUB with topic
//! filtering, ROUTER/DEALER (the ROUTER sees the DEALER's routing id), multipart
//! messages with empty frames and a 1 MiB frame throughout, and CURVE with keys made
//! on each side by its own library (our `zmq::curve_keypair`, pyzmq's
//! `zmq.curve_keypair`), each side as server, plus a wrong server key refused.
//!
//! Needs `python3` with pyzmq (`pip install pyzmq`): without it these tests FAIL,
//! they do not skip. Every wait is bounded: RCVTIMEO/SNDTIMEO on our sockets, the
//! same on the peer's (`--timeout-ms`), and a deadline after which the peer is
//! killed and the case fails.

#![forbid(unsafe_code)]

mod common;

use std::io::{BufRead, BufReader, Read, Write};
use std::path::PathBuf;
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError};
use std::sync::{Arc, Mutex, OnceLock};
use std::thread;
use std::time::Duration;

use common::*;

/// Which side binds; the other connects.
#[derive(Clone, Copy, Debug)]
enum Binds {
    Ours,
    Theirs,
}

const BOTH: [Binds; 2] = [Binds::Ours, Binds::Theirs];

fn python() -> String {
    std::env::var("PYTHON").unwrap_or_else(|_| "python3".to_string())
}

fn peer_script() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("python/peer.py")
}

/// Fails (never skips) when python3 or pyzmq is missing, in every test that needs
/// them; prints the versions on both sides once.
fn require_pyzmq() {
    static CHECK: OnceLock<Result<(), String>> = OnceLock::new();
    let check = CHECK.get_or_init(|| {
        let out = Command::new(python())
            .args([
                "-c",
                "import zmq; print('pyzmq', zmq.__version__, 'libzmq', zmq.zmq_version(), \
                 'curve', zmq.has('curve'))",
            ])
            .output();
        match out {
            Ok(o) if o.status.success() => {
                let line = String::from_utf8_lossy(&o.stdout).trim().to_string();
                // Straight to stderr, past the test harness's capture: in every log.
                let _ = writeln!(
                    std::io::stderr(),
                    "interop peer: {line}; ours: libzmq {:?}, curve {}",
                    zmq::version(),
                    zmq::has("curve")
                );
                if line.ends_with("curve True") {
                    Ok(())
                } else {
                    Err(format!(
                        "pyzmq without CURVE ({line}): pip install pyzmq (its wheel has CURVE)"
                    ))
                }
            }
            Ok(o) => Err(format!(
                "`{} -c 'import zmq'` failed: {} -- pip install pyzmq",
                python(),
                String::from_utf8_lossy(&o.stderr).trim()
            )),
            Err(e) => Err(format!(
                "cannot run `{}` ({e}): the pyzmq interop tests need python3 and pyzmq \
                 (pip install pyzmq)",
                python()
            )),
        }
    });
    if let Err(why) = check {
        panic!("{why}");
    }
}

/// One `peer.py` process.
struct Peer {
    what: String,
    child: Child,
    stdin: Option<ChildStdin>,
    lines: Receiver<String>,
    /// Every stdout line read so far.
    seen: Vec<String>,
    stderr: Arc<Mutex<String>>,
    deadline: Deadline,
}

impl Peer {
    fn start(role: &str, endpoint: &str, extra: &[&str]) -> Peer {
        require_pyzmq();
        let timeout_ms = TIMEOUT.as_millis().to_string();
        let mut child = Command::new(python())
            .arg(peer_script())
            .args([role, endpoint, "--count", &COUNT.to_string()])
            .args(["--timeout-ms", &timeout_ms])
            .args(extra)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap_or_else(|e| panic!("spawning {} (pip install pyzmq): {e}", python()));
        let stdout = child.stdout.take().expect("stdout");
        let (tx, lines) = mpsc::channel();
        thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        let stderr = Arc::new(Mutex::new(String::new()));
        let mut pipe = child.stderr.take().expect("stderr");
        let sink = Arc::clone(&stderr);
        thread::spawn(move || {
            let mut text = String::new();
            let _ = pipe.read_to_string(&mut text);
            sink.lock()
                .unwrap_or_else(|e| e.into_inner())
                .push_str(&text);
        });
        Peer {
            what: format!("pyzmq {role} {} {}", endpoint, extra.join(" ")),
            stdin: child.stdin.take(),
            child,
            lines,
            seen: Vec::new(),
            stderr,
            deadline: Deadline::after(CASE_TIMEOUT),
        }
    }

    fn fail(&mut self, why: &str) -> ! {
        let _ = self.child.kill();
        let _ = self.child.wait();
        thread::sleep(Duration::from_millis(100)); // let the stderr reader finish
        let stderr = self
            .stderr
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone();
        let seen: Vec<String> = self.seen.iter().map(|l| short(l)).collect();
        panic!(
            "{}: {why}\n  stdout so far: {seen:?}\n  stderr: {stderr}",
            self.what
        );
    }

    /// The next stdout line within `wait` (and the case deadline), or `None`.
    fn try_line(&mut self, wait: Duration) -> Option<String> {
        match self.lines.recv_timeout(wait.min(self.deadline.left())) {
            Ok(line) => {
                self.seen.push(line.clone());
                Some(line)
            }
            Err(RecvTimeoutError::Timeout) if !self.deadline.passed() => None,
            Err(RecvTimeoutError::Timeout) => self.fail("case deadline passed"),
            Err(RecvTimeoutError::Disconnected) => self.fail("the peer ended early"),
        }
    }

    /// The rest of the first line starting with `prefix`, among those read so far
    /// or else the next ones.
    fn wait_for(&mut self, prefix: &str) -> String {
        if let Some(rest) = self.seen.iter().find_map(|l| l.strip_prefix(prefix)) {
            return rest.to_string();
        }
        loop {
            if let Some(line) = self.try_line(self.deadline.left()) {
                if let Some(rest) = line.strip_prefix(prefix) {
                    return rest.to_string();
                }
            }
        }
    }

    /// Writes one line on the peer's stdin.
    fn say(&mut self, line: &str) {
        let ok = match self.stdin.as_mut() {
            Some(stdin) => writeln!(stdin, "{line}")
                .and_then(|_| stdin.flush())
                .is_ok(),
            None => false,
        };
        if !ok {
            self.fail(&format!("cannot write {line:?} to the peer"));
        }
    }

    /// Waits for the peer's `DONE` and a clean exit; returns every stdout line.
    fn finish(mut self) -> Vec<String> {
        self.wait_for("DONE");
        self.stdin = None;
        loop {
            match self.child.try_wait() {
                Ok(Some(status)) if status.success() => break,
                Ok(Some(status)) => self.fail(&format!("exited with {status}")),
                Ok(None) if self.deadline.passed() => self.fail("did not exit"),
                Ok(None) => thread::sleep(Duration::from_millis(20)),
                Err(e) => self.fail(&format!("waiting for it: {e}")),
            }
        }
        std::mem::take(&mut self.seen)
    }
}

impl Drop for Peer {
    fn drop(&mut self) {
        // A failed case: never leave the process behind.
        if let Ok(None) = self.child.try_wait() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

fn short(line: &str) -> String {
    if line.len() > 120 {
        format!("{}... ({} chars)", &line[..120], line.len())
    } else {
        line.to_string()
    }
}

fn unhex(text: &str) -> Vec<u8> {
    assert!(text.len().is_multiple_of(2), "odd hex {}", short(text));
    (0..text.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&text[i..i + 2], 16).expect("hex"))
        .collect()
}

/// The messages the peer reported (its `MSG` lines), in order.
fn peer_messages(lines: &[String]) -> Vec<Vec<Vec<u8>>> {
    lines
        .iter()
        .filter_map(|l| l.strip_prefix("MSG "))
        .map(|frames| frames.split(',').map(unhex).collect())
        .collect()
}

/// Sets up a pair: our socket and the peer in `role`, `binds` deciding which side
/// binds. `before` configures our socket before it binds or connects.
fn pair(
    ctx: &zmq::Context,
    ours: zmq::SocketType,
    role: &str,
    binds: Binds,
    extra: &[&str],
    before: impl FnOnce(&zmq::Socket),
) -> (zmq::Socket, Peer) {
    let s = our_socket(ctx, ours);
    before(&s);
    let peer = match binds {
        Binds::Ours => {
            s.bind("tcp://127.0.0.1:*").expect("bind");
            let endpoint = s.get_last_endpoint().expect("last endpoint");
            Peer::start(role, &endpoint, extra)
        }
        Binds::Theirs => {
            let mut peer = Peer::start(role, "tcp://127.0.0.1:*", extra);
            let endpoint = peer.wait_for("ENDPOINT ");
            s.connect(&endpoint).expect("connect");
            peer
        }
    };
    (s, peer)
}

fn requests() -> Vec<Vec<Vec<u8>>> {
    (0..COUNT).map(message).collect()
}

fn replies() -> Vec<Vec<Vec<u8>>> {
    requests().iter().map(|m| reply_to(m)).collect()
}

/// Ours sends the requests (REQ or DEALER) and checks each reply; then the peer's
/// report of the requests it got.
fn ours_asks(s: &zmq::Socket, peer: Peer, what: &str) -> Vec<String> {
    let mut got = Vec::new();
    for (i, request) in requests().iter().enumerate() {
        our_send(s, request, &format!("request {i}"));
        got.push(our_recv(s, &format!("reply {i}")));
    }
    check_messages(&format!("{what}: replies to us"), &got, &replies());
    let lines = peer.finish();
    check_messages(
        &format!("{what}: requests the peer got"),
        &peer_messages(&lines),
        &requests(),
    );
    lines
}

/// The peer asks; ours (REP) answers each request and checks them; then the
/// replies the peer reported.
fn ours_answers(s: &zmq::Socket, peer: Peer, what: &str) {
    let mut got = Vec::new();
    for i in 0..COUNT {
        let request = our_recv(s, &format!("request {i}"));
        our_send(s, &reply_to(&request), &format!("reply {i}"));
        got.push(request);
    }
    check_messages(&format!("{what}: requests we got"), &got, &requests());
    let lines = peer.finish();
    check_messages(
        &format!("{what}: replies the peer got"),
        &peer_messages(&lines),
        &replies(),
    );
}

#[test]
fn req_rep_ours_req() {
    let ctx = zmq::Context::new().unwrap();
    for binds in BOTH {
        let (s, peer) = pair(&ctx, zmq::REQ, "rep", binds, &[], |_| {});
        ours_asks(&s, peer, &format!("ours REQ, pyzmq REP, {binds:?} bind"));
    }
}

#[test]
fn req_rep_ours_rep() {
    let ctx = zmq::Context::new().unwrap();
    for binds in BOTH {
        let (s, peer) = pair(&ctx, zmq::REP, "req", binds, &[], |_| {});
        ours_answers(&s, peer, &format!("ours REP, pyzmq REQ, {binds:?} bind"));
    }
}

#[test]
fn push_pull_ours_push() {
    let ctx = zmq::Context::new().unwrap();
    for binds in BOTH {
        let (s, peer) = pair(&ctx, zmq::PUSH, "pull", binds, &[], |_| {});
        for (i, m) in requests().iter().enumerate() {
            our_send(&s, m, &format!("message {i}"));
        }
        let lines = peer.finish();
        check_messages(
            &format!("ours PUSH, pyzmq PULL, {binds:?} bind"),
            &peer_messages(&lines),
            &requests(),
        );
    }
}

#[test]
fn push_pull_ours_pull() {
    let ctx = zmq::Context::new().unwrap();
    for binds in BOTH {
        let (s, peer) = pair(&ctx, zmq::PULL, "push", binds, &[], |_| {});
        let got: Vec<_> = (0..COUNT)
            .map(|i| our_recv(&s, &format!("message {i}")))
            .collect();
        check_messages(
            &format!("pyzmq PUSH, ours PULL, {binds:?} bind"),
            &got,
            &requests(),
        );
        peer.finish();
    }
}

#[test]
fn pub_sub_ours_pub() {
    let ctx = zmq::Context::new().unwrap();
    for binds in BOTH {
        let (s, mut peer) = pair(&ctx, zmq::PUB, "sub", binds, &[], |_| {});
        // Sync messages until the subscriber has them (and so all its filters).
        loop {
            our_send(&s, &[b"sync".to_vec()], "sync");
            match peer.try_line(Duration::from_millis(50)) {
                Some(line) if line == "READY" => break,
                _ => {}
            }
        }
        for (i, m) in published().iter().enumerate() {
            our_send(&s, m, &format!("published {i}"));
        }
        let lines = peer.finish();
        check_messages(
            &format!("ours PUB, pyzmq SUB, {binds:?} bind"),
            &peer_messages(&lines),
            &expected_received(),
        );
    }
}

#[test]
fn pub_sub_ours_sub() {
    let ctx = zmq::Context::new().unwrap();
    for binds in BOTH {
        let (s, mut peer) = pair(&ctx, zmq::SUB, "pub", binds, &[], |s| {
            for topic in SUBSCRIPTIONS {
                s.set_subscribe(topic).expect("subscribe");
            }
        });
        assert_eq!(our_recv(&s, "the first sync"), vec![b"sync".to_vec()]);
        peer.say("GO");
        let mut got = Vec::new();
        loop {
            let m = our_recv(&s, "published messages");
            if m == [b"sync".to_vec()] {
                continue;
            }
            let end = m == [b"end".to_vec()];
            got.push(m);
            if end {
                break;
            }
        }
        check_messages(
            &format!("pyzmq PUB, ours SUB, {binds:?} bind"),
            &got,
            &expected_received(),
        );
        peer.finish();
    }
}

#[test]
fn router_dealer_ours_router() {
    let ctx = zmq::Context::new().unwrap();
    for binds in BOTH {
        let identity = format!("py-dealer-{binds:?}");
        let extra = ["--identity", identity.as_str()];
        let (s, peer) = pair(&ctx, zmq::ROUTER, "dealer", binds, &extra, |_| {});
        let what = format!("pyzmq DEALER, ours ROUTER, {binds:?} bind");
        let mut got = Vec::new();
        for i in 0..COUNT {
            let mut frames = our_recv(&s, &format!("request {i}"));
            let id = frames.remove(0);
            assert_eq!(
                String::from_utf8_lossy(&id),
                identity,
                "{what}: routing id of message {i}"
            );
            let mut reply = vec![id];
            reply.extend(reply_to(&frames));
            our_send(&s, &reply, &format!("reply {i}"));
            got.push(frames);
        }
        check_messages(&format!("{what}: requests we got"), &got, &requests());
        check_messages(
            &format!("{what}: replies the peer got"),
            &peer_messages(&peer.finish()),
            &replies(),
        );
    }
}

#[test]
fn router_dealer_ours_dealer() {
    let ctx = zmq::Context::new().unwrap();
    for binds in BOTH {
        let identity = format!("rs-dealer-{binds:?}");
        let (s, peer) = pair(&ctx, zmq::DEALER, "router", binds, &[], |s| {
            s.set_routing_id(identity.as_bytes()).expect("routing id");
        });
        let what = format!("ours DEALER, pyzmq ROUTER, {binds:?} bind");
        let lines = ours_asks(&s, peer, &what);
        let ids: Vec<Vec<u8>> = lines
            .iter()
            .filter_map(|l| l.strip_prefix("ROUTING_ID "))
            .map(unhex)
            .collect();
        assert_eq!(ids, vec![identity.as_bytes().to_vec(); COUNT], "{what}");
    }
}

fn curve_keys_ours() -> (String, String) {
    let (public, secret) = zmq::curve_keypair().expect("zmq::curve_keypair");
    assert_eq!((public.len(), secret.len()), (40, 40));
    (public, secret)
}

#[test]
fn curve_ours_server() {
    let ctx = zmq::Context::new().unwrap();
    for binds in BOTH {
        let (public, secret) = curve_keys_ours();
        // `=`: a Z85 key may start with `-`, which argparse would take for an option.
        let key_arg = format!("--curve-serverkey={public}");
        let extra = [key_arg.as_str()];
        let (s, mut peer) = pair(&ctx, zmq::REP, "req", binds, &extra, |s| {
            s.set_curve_server(true).expect("CURVE_SERVER");
            s.set_curve_secretkey(secret.as_bytes())
                .expect("secret key");
        });
        let client_key = peer.wait_for("CLIENTKEY ");
        assert_ne!(client_key, public, "the client made keys of its own");
        ours_answers(
            &s,
            peer,
            &format!("CURVE: ours REP server, pyzmq REQ client, {binds:?} bind"),
        );
    }
}

#[test]
fn curve_theirs_server() {
    let ctx = zmq::Context::new().unwrap();
    for binds in BOTH {
        let (public, secret) = curve_keys_ours();
        // The server's keys are the peer's (pyzmq's curve_keypair, printed as
        // SERVERKEY), and ours must know the public one before the handshake: the
        // peer waits for GO before it binds or connects.
        let what = format!("CURVE: ours REQ client, pyzmq REP server, {binds:?} bind");
        let s = our_socket(&ctx, zmq::REQ);
        s.set_curve_publickey(public.as_bytes())
            .expect("public key");
        s.set_curve_secretkey(secret.as_bytes())
            .expect("secret key");
        let extra = ["--curve-server", "--wait-go"];
        let peer = match binds {
            Binds::Theirs => {
                let mut peer = Peer::start("rep", "tcp://127.0.0.1:*", &extra);
                let server_key = peer.wait_for("SERVERKEY ");
                s.set_curve_serverkey(server_key.as_bytes())
                    .expect("server key");
                peer.say("GO");
                let endpoint = peer.wait_for("ENDPOINT ");
                s.connect(&endpoint).expect("connect");
                peer
            }
            Binds::Ours => {
                // The CURVE server on the connecting side: ZeroMQ allows it. A bind
                // takes the socket's options as they are then, the server key too:
                // set it first, then bind, then give the peer the endpoint.
                let mut peer = Peer::start("rep", "(given with GO)", &extra);
                let server_key = peer.wait_for("SERVERKEY ");
                s.set_curve_serverkey(server_key.as_bytes())
                    .expect("server key");
                s.bind("tcp://127.0.0.1:*").expect("bind");
                let endpoint = s.get_last_endpoint().expect("endpoint");
                peer.say(&format!("GO {endpoint}"));
                peer
            }
        };
        ours_asks(&s, peer, &what);
    }
}

/// Our CURVE server; the pyzmq client has a wrong server key (another valid key):
/// our monitor sees the handshake fail on a cryptographic error, no request
/// reaches us, no reply reaches the client, which never completes a handshake.
#[test]
fn curve_wrong_key_ours_server() {
    let ctx = zmq::Context::new().unwrap();
    let (_public, secret) = curve_keys_ours();
    let (wrong, _) = curve_keys_ours();
    let s = our_socket(&ctx, zmq::REP);
    s.set_curve_server(true).expect("CURVE_SERVER");
    s.set_curve_secretkey(secret.as_bytes())
        .expect("secret key");
    let monitor = s.monitor_socket(zmq::MonitorEvents::ALL).expect("monitor");
    s.bind("tcp://127.0.0.1:*").expect("bind");
    let endpoint = s.get_last_endpoint().expect("endpoint");
    let mut peer = Peer::start(
        "req",
        &endpoint,
        &[&format!("--curve-serverkey={wrong}"), "--expect-refusal"],
    );
    let deadline = Deadline::after(TIMEOUT);
    let mut events = Vec::new();
    let failure = loop {
        match monitor.recv_timeout(Duration::from_millis(100)) {
            Ok(Some(e @ zmq::MonitorEvent::HandshakeFailedProtocol { .. })) => break e,
            Ok(Some(e @ zmq::MonitorEvent::HandshakeSucceeded { .. })) => peer.fail(&format!(
                "the handshake with a wrong server key succeeded: {e:?}"
            )),
            Ok(Some(e)) => events.push(e),
            Ok(None) => {}
            Err(e) => peer.fail(&format!("our monitor: {e}; events {events:?}")),
        }
        if deadline.passed() {
            peer.fail(&format!(
                "our server saw no failed handshake: events {events:?}"
            ));
        }
        // Notice a peer that ended early (its lines are kept for the report).
        let _ = peer.try_line(Duration::ZERO);
    };
    println!("our server refused the wrong key: {failure:?}");
    s.set_rcvtimeo(500).expect("RCVTIMEO");
    assert_eq!(
        s.recv_multipart(zmq::RecvFlags::empty()),
        Err(zmq::Error::EAGAIN),
        "a request came through"
    );
    peer.say("STOP");
    let lines = peer.finish();
    assert!(lines.iter().any(|l| l == "NOREPLY"), "{lines:?}");
    assert!(
        !lines
            .iter()
            .any(|l| l.starts_with("EVENT HANDSHAKE_SUCCEEDED")),
        "{lines:?}"
    );
}

/// The pyzmq CURVE server; our client has a wrong server key (one of ours): the
/// peer's monitor sees the handshake fail, no request reaches it, no reply reaches
/// us, and our monitor never reports a completed handshake.
#[test]
fn curve_wrong_key_theirs_server() {
    let ctx = zmq::Context::new().unwrap();
    let (public, secret) = curve_keys_ours();
    let (wrong, _) = curve_keys_ours();
    let mut peer = Peer::start(
        "rep",
        "tcp://127.0.0.1:*",
        &["--curve-server", "--expect-refusal"],
    );
    let server_key = peer.wait_for("SERVERKEY ");
    assert_ne!(server_key, wrong);
    let endpoint = peer.wait_for("ENDPOINT ");
    let s = our_socket(&ctx, zmq::REQ);
    s.set_curve_publickey(public.as_bytes())
        .expect("public key");
    s.set_curve_secretkey(secret.as_bytes())
        .expect("secret key");
    s.set_curve_serverkey(wrong.as_bytes()).expect("server key");
    let monitor = s.monitor_socket(zmq::MonitorEvents::ALL).expect("monitor");
    s.connect(&endpoint).expect("connect");
    our_send(&s, &message(0), "request");
    let lines = peer.finish();
    assert!(
        lines
            .iter()
            .any(|l| l.starts_with("EVENT HANDSHAKE_FAILED_PROTOCOL")),
        "the peer did not see a failed handshake: {lines:?}"
    );
    assert!(lines.iter().any(|l| l == "NOMESSAGE"), "{lines:?}");
    s.set_rcvtimeo(500).expect("RCVTIMEO");
    assert_eq!(
        s.recv_multipart(zmq::RecvFlags::empty()),
        Err(zmq::Error::EAGAIN),
        "a reply came through"
    );
    let events: Vec<_> = std::iter::from_fn(|| monitor.try_recv().ok().flatten()).collect();
    assert!(
        !events
            .iter()
            .any(|e| matches!(e, zmq::MonitorEvent::HandshakeSucceeded { .. })),
        "{events:?}"
    );
}

// CURVE certificates on disk (czmq zcert / pyzmq zmq.auth format): files written by
// pyzmq's `zmq.auth.create_certificates` loaded by our crate, and files written by
// our `Certificate::save` loaded by pyzmq (`zmq.auth.load_certificate` and its
// `ThreadAuthenticator` over a directory), each used in real CURVE handshakes.

/// A fresh directory for one test's certificates, removed on drop.
struct CertDir(PathBuf);

impl CertDir {
    fn new(name: &str) -> CertDir {
        let dir =
            std::env::temp_dir().join(format!("zmq-interop-certs-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("temp dir");
        CertDir(dir)
    }

    fn file(&self, name: &str) -> String {
        self.0.join(name).to_string_lossy().into_owned()
    }
}

impl Drop for CertDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Loads a secret certificate that pyzmq wrote. pyzmq writes it with the process's
/// umask (0644 here): our loader must refuse a file other users can read, saying
/// so; the test then does what the error says (chmod 600) and loads it.
fn load_pyzmq_secret(path: &str, mode_written: u32) -> zmq::Certificate {
    if mode_written & 0o007 != 0 {
        let err = zmq::Certificate::load_secret(path).expect_err("a world-readable secret");
        assert_eq!(err.kind(), zmq::CertificateErrorKind::InsecurePermissions);
        assert!(err.to_string().contains("chmod 600"), "{err}");
        let _ = writeln!(
            std::io::stderr(),
            "interop certificates: pyzmq wrote {path} with mode {mode_written:03o}; \
             ours refused it ({err}); loading it after chmod 600"
        );
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600))
                .expect("chmod 600");
        }
    }
    zmq::Certificate::load_secret(path).expect("pyzmq's secret certificate")
}

#[test]
fn certificates_written_by_pyzmq_are_used_by_ours() {
    let dir = CertDir::new("from-pyzmq");
    let lines = Peer::start("rep", "unused", &["--create-certs", &dir.file("")]).finish();
    let modes: std::collections::HashMap<String, u32> = lines
        .iter()
        .filter_map(|l| l.strip_prefix("CERT "))
        .map(|rest| {
            let parts: Vec<&str> = rest.split(' ').collect();
            (
                parts[0].to_string(),
                u32::from_str_radix(parts[3], 8).expect("octal mode"),
            )
        })
        .collect();
    assert_eq!(modes.len(), 2, "{lines:?}");

    let server = load_pyzmq_secret(&dir.file("server.key_secret"), modes["server"]);
    let client = load_pyzmq_secret(&dir.file("client.key_secret"), modes["client"]);
    // pyzmq puts the metadata into the secret file only, bare (unquoted).
    assert_eq!(server.meta("name"), Some("pyzmq server"));
    let server_public = zmq::Certificate::load(dir.file("server.key")).expect("server.key");
    let client_public = zmq::Certificate::load(dir.file("client.key")).expect("client.key");
    assert_eq!(server_public.public_key(), server.public_key());
    assert_eq!(client_public.public_key(), client.public_key());
    assert_eq!(server_public.secret_key(), None);

    let ctx = zmq::Context::new().unwrap();
    // 1. Our REP is the CURVE server with pyzmq's server certificate, and our
    //    Authenticator admits the clients of pyzmq's directory; the pyzmq REQ
    //    client uses the files it wrote.
    let auth = zmq::Authenticator::start(&ctx).expect("authenticator");
    assert_eq!(
        auth.configure_curve_certificates("*", &dir.0)
            .expect("pyzmq's certificate directory"),
        2,
        "server.key and client.key (the _secret files are not read)"
    );
    let s = our_socket(&ctx, zmq::REP);
    s.set_curve_server(true).expect("CURVE_SERVER");
    server.apply(&s).expect("server keys");
    s.bind("tcp://127.0.0.1:*").expect("bind");
    let client_arg = format!("--cert-client-secret={}", dir.file("client.key_secret"));
    let server_arg = format!("--cert-server-public={}", dir.file("server.key"));
    let mut peer = Peer::start(
        "req",
        &s.get_last_endpoint().unwrap(),
        &[&client_arg, &server_arg],
    );
    assert_eq!(peer.wait_for("CLIENTKEY "), client.public_z85());
    ours_answers(
        &s,
        peer,
        "certificates by pyzmq: ours REP CURVE server, pyzmq REQ client",
    );
    assert_eq!((auth.allowed(), auth.denied()), (1, 0));
    drop(s);

    // 2. Our REQ is the CURVE client with pyzmq's client certificate and its
    //    server's public certificate; the pyzmq REP server uses its own files.
    let server_secret_arg = format!("--cert-server-secret={}", dir.file("server.key_secret"));
    let mut peer = Peer::start("rep", "tcp://127.0.0.1:*", &[&server_secret_arg]);
    assert_eq!(peer.wait_for("SERVERKEY "), server_public.public_z85());
    let endpoint = peer.wait_for("ENDPOINT ");
    let s = our_socket(&ctx, zmq::REQ);
    client.apply(&s).expect("client keys");
    s.set_curve_serverkey(server_public.public_key())
        .expect("server key");
    s.connect(&endpoint).expect("connect");
    let lines = ours_asks(
        &s,
        peer,
        "certificates by pyzmq: ours REQ CURVE client, pyzmq REP server",
    );
    // Every request came through the handshake made with the keys we read from
    // pyzmq's files (no ZAP handler on that side: its User-Id is empty).
    let user_ids: Vec<&str> = lines
        .iter()
        .filter_map(|l| l.strip_prefix("USERID "))
        .collect();
    assert_eq!(user_ids, vec![""; COUNT]);
}

#[test]
fn certificates_written_by_ours_are_used_by_pyzmq() {
    let dir = CertDir::new("from-ours");
    let mut server = zmq::Certificate::new().expect("server certificate");
    server.set_meta("name", "our server").unwrap();
    let mut client = zmq::Certificate::new().expect("client certificate");
    client.set_meta("name", "our client").unwrap();
    server.save(dir.file("server.key")).expect("save server");
    client.save(dir.file("client.key")).expect("save client");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(dir.file("client.key_secret"))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
    }

    // 1. pyzmq REP server with our server secret file (zmq.auth.load_certificate)
    //    and pyzmq's ThreadAuthenticator over our directory
    //    (zmq.auth.load_certificates); our REQ client with our client certificate.
    let ctx = zmq::Context::new().unwrap();
    let server_arg = format!("--cert-server-secret={}", dir.file("server.key_secret"));
    let auth_arg = format!("--auth-certs-dir={}", dir.file(""));
    let mut peer = Peer::start("rep", "tcp://127.0.0.1:*", &[&server_arg, &auth_arg]);
    assert_eq!(peer.wait_for("SERVERKEY "), server.public_z85());
    let endpoint = peer.wait_for("ENDPOINT ");
    let s = our_socket(&ctx, zmq::REQ);
    client.apply(&s).expect("client keys");
    s.set_curve_serverkey(server.public_key())
        .expect("server key");
    s.connect(&endpoint).expect("connect");
    let lines = ours_asks(
        &s,
        peer,
        "certificates by ours: pyzmq REP CURVE server + ThreadAuthenticator, ours REQ",
    );
    // pyzmq's authenticator admitted our client by the key it read from our file.
    let user_ids: Vec<&str> = lines
        .iter()
        .filter_map(|l| l.strip_prefix("USERID "))
        .collect();
    assert_eq!(user_ids, vec![client.public_z85().as_str(); COUNT]);
    drop(s);

    // 2. The same pyzmq server refuses a client whose certificate is not in the
    //    directory: its authenticator denies it, nothing passes.
    let stranger = zmq::Certificate::new().expect("stranger");
    let mut peer = Peer::start(
        "rep",
        "tcp://127.0.0.1:*",
        &[&server_arg, &auth_arg, "--expect-refusal"],
    );
    let endpoint = peer.wait_for("ENDPOINT ");
    let s = our_socket(&ctx, zmq::REQ);
    stranger.apply(&s).expect("stranger keys");
    s.set_curve_serverkey(server.public_key())
        .expect("server key");
    let monitor = s.monitor_socket(zmq::MonitorEvents::ALL).expect("monitor");
    s.connect(&endpoint).expect("connect");
    our_send(&s, &message(0), "request");
    let lines = peer.finish();
    assert!(lines.iter().any(|l| l == "NOMESSAGE"), "{lines:?}");
    assert!(
        lines
            .iter()
            .any(|l| l.starts_with("EVENT HANDSHAKE_FAILED")),
        "{lines:?}"
    );
    let events: Vec<_> = std::iter::from_fn(|| monitor.try_recv().ok().flatten()).collect();
    assert!(
        !events
            .iter()
            .any(|e| matches!(e, zmq::MonitorEvent::HandshakeSucceeded { .. })),
        "{events:?}"
    );
    drop(s);

    // 3. The pyzmq REQ client with our client secret file and our server's public
    //    file; our REP server with our server certificate.
    let s = our_socket(&ctx, zmq::REP);
    s.set_curve_server(true).expect("CURVE_SERVER");
    server.apply(&s).expect("server keys");
    s.bind("tcp://127.0.0.1:*").expect("bind");
    let client_arg = format!("--cert-client-secret={}", dir.file("client.key_secret"));
    let server_public_arg = format!("--cert-server-public={}", dir.file("server.key"));
    let mut peer = Peer::start(
        "req",
        &s.get_last_endpoint().unwrap(),
        &[&client_arg, &server_public_arg],
    );
    assert_eq!(peer.wait_for("CLIENTKEY "), client.public_z85());
    ours_answers(
        &s,
        peer,
        "certificates by ours: ours REP CURVE server, pyzmq REQ client",
    );
}
