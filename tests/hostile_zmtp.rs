//! Hostile peers: a raw TCP client speaks malformed ZMTP 3.x (and raw bytes) to
//! every socket type that can bind on TCP, served by libzmq in a separate process
//! (this test executable started again in "server mode"), so that a crash, an
//! abort or a hang of libzmq is observed instead of taking the test run down.
//!
//! After each batch the tests check that the server process is alive, that a
//! well-behaved peer (this crate, in this process) is still served on that socket,
//! and, after thousands of hostile connections, that the server's resident memory
//! has not grown beyond a bound (a leak check). A second test covers
//! `ZMQ_MAXMSGSIZE` against a peer that announces a 4 GiB frame.
//!
//! What libzmq 4.3 checks (src/zmtp_engine.cpp, v2_decoder.cpp, mechanism.cpp,
//! null_mechanism.cpp): a first byte other than 0xFF, or bit 0 of byte 9 clear,
//! selects the unversioned ZMTP/1.0 protocol; revision byte 0 is ZMTP/1.0, 1 is
//! ZMTP/2.0, 3 is ZMTP/3.x and *any other value* is treated as ZMTP/3.1; the
//! mechanism name must equal the socket's own (else the connection is closed); the
//! READY properties must parse exactly and `Socket-Type` must be compatible; frame
//! flags' reserved bits are ignored; a frame length above `ZMQ_MAXMSGSIZE` or one
//! `malloc` refuses closes the connection, and below that the whole announced size
//! is allocated (`malloc`) when the frame header arrives.
#![forbid(unsafe_code)]

mod common;

use std::collections::HashMap;
use std::io::{BufRead, BufReader, ErrorKind, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpStream};
use std::process::{Child, ChildStdin, ExitStatus, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{self, Receiver};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

use zmq::{Context, Message, RecvFlags, SendFlags, Socket, SocketType};

/// The environment variable that turns the `hostile_server` test into the server.
const SERVER_ENV: &str = "ZMQ_RS_HOSTILE_SERVER";
/// The name of the test function that is the server.
const SERVER_TEST: &str = "hostile_server";
/// `ZMQ_HANDSHAKE_IVL` of the server's sockets: a stalled handshake is dropped after it.
const HANDSHAKE_IVL_MS: i32 = 5_000;
/// The limit of the `PULL-LIMITED` socket of the `maxmsg` server.
const MAX_MSG_SIZE: i64 = 1 << 20;
/// How long any one hostile connection may take before the test calls it a hang.
const CASE_DEADLINE: Duration = Duration::from_secs(10);
/// How long a well-behaved peer may take to be served.
const SERVE_DEADLINE: Duration = Duration::from_secs(30);

// ---------------------------------------------------------------------------
// The socket types under test (shared by the server and the client side)
// ---------------------------------------------------------------------------

/// What the server does with what one socket receives.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Echo {
    /// Nothing (the socket cannot receive, or forwards to the sink instead).
    No,
    /// Sends every multipart message back as it came (REP, ROUTER: to its sender).
    Multi,
    /// Sends every single-frame message back, to its routing id if it has one.
    #[cfg(feature = "draft")]
    Single,
    /// STREAM: sends every non-empty chunk back to its connection.
    Stream,
}

/// One server socket type and how the test talks to it.
#[derive(Clone, Copy, Debug)]
struct Spec {
    /// The ZMTP `Socket-Type` name, also the tag of the server socket.
    name: &'static str,
    socket_type: SocketType,
    /// A compatible peer type, announced by the hostile handshakes ("" for STREAM).
    peer: &'static str,
    echo: Echo,
    /// Forwards what it receives to the sink socket.
    sink: bool,
    /// Sends a message every few milliseconds.
    tick: bool,
}

const fn spec(
    name: &'static str,
    socket_type: SocketType,
    peer: &'static str,
    echo: Echo,
    sink: bool,
    tick: bool,
) -> Spec {
    Spec {
        name,
        socket_type,
        peer,
        echo,
        sink,
        tick,
    }
}

/// Every socket type that can bind on TCP in this build. (DGRAM is UDP-only.)
fn specs() -> Vec<Spec> {
    #[allow(unused_mut)]
    let mut all = vec![
        spec("PAIR", SocketType::Pair, "PAIR", Echo::Multi, false, false),
        spec("PUB", SocketType::Pub, "SUB", Echo::No, false, true),
        spec("SUB", SocketType::Sub, "PUB", Echo::No, true, false),
        spec("REQ", SocketType::Req, "REP", Echo::No, true, true),
        spec("REP", SocketType::Rep, "REQ", Echo::Multi, false, false),
        spec(
            "DEALER",
            SocketType::Dealer,
            "DEALER",
            Echo::Multi,
            false,
            false,
        ),
        spec(
            "ROUTER",
            SocketType::Router,
            "DEALER",
            Echo::Multi,
            false,
            false,
        ),
        spec("PULL", SocketType::Pull, "PUSH", Echo::No, true, false),
        spec("PUSH", SocketType::Push, "PULL", Echo::No, false, true),
        spec("XPUB", SocketType::XPub, "SUB", Echo::No, true, true),
        spec("XSUB", SocketType::XSub, "PUB", Echo::No, true, false),
        spec("STREAM", SocketType::Stream, "", Echo::Stream, false, false),
    ];
    #[cfg(feature = "draft")]
    all.extend([
        spec(
            "SERVER",
            SocketType::Server,
            "CLIENT",
            Echo::Single,
            false,
            false,
        ),
        spec(
            "CLIENT",
            SocketType::Client,
            "SERVER",
            Echo::Single,
            false,
            true,
        ),
        spec("RADIO", SocketType::Radio, "DISH", Echo::No, false, true),
        spec("DISH", SocketType::Dish, "RADIO", Echo::No, true, false),
        spec(
            "GATHER",
            SocketType::Gather,
            "SCATTER",
            Echo::No,
            true,
            false,
        ),
        spec(
            "SCATTER",
            SocketType::Scatter,
            "GATHER",
            Echo::No,
            false,
            true,
        ),
        spec("PEER", SocketType::Peer, "PEER", Echo::Single, false, false),
        spec(
            "CHANNEL",
            SocketType::Channel,
            "CHANNEL",
            Echo::Single,
            false,
            false,
        ),
    ]);
    all
}

/// A socket type the server must refuse as a peer.
fn incompatible(spec: &Spec) -> &'static str {
    match spec.name {
        "REP" | "ROUTER" => "PUB",
        _ => "REQ",
    }
}

// ---------------------------------------------------------------------------
// The server process
// ---------------------------------------------------------------------------

/// A socket of the server process and its duties.
struct Served {
    tag: String,
    socket: Socket,
    echo: Echo,
    sink: bool,
    tick: bool,
    #[cfg(feature = "draft")]
    group: bool,
}

/// The server half: runs only when started by the tests below with `SERVER_ENV`
/// set; a plain `cargo test -- --ignored` finds nothing to do.
#[test]
#[ignore = "the server half of the hostile_zmtp tests, started by them in its own process"]
fn hostile_server() {
    let Ok(mode) = std::env::var(SERVER_ENV) else {
        eprintln!("{SERVER_ENV} is not set: nothing to serve");
        return;
    };
    run_server(&mode);
}

fn run_server(mode: &str) {
    let ctx = Context::new().expect("server context");
    let sink = ctx.socket(SocketType::Push).expect("sink socket");
    sink.set_linger(0).expect("sink linger");
    sink.set_sndhwm(100_000).expect("sink hwm");
    sink.bind("tcp://127.0.0.1:*").expect("sink bind");
    println!("SINK {}", sink.get_last_endpoint().expect("sink endpoint"));

    let mut sockets = Vec::new();
    let mut monitor = None;
    match mode {
        "all" => {
            for spec in specs() {
                let socket = ctx.socket(spec.socket_type).expect("server socket");
                configure(&socket);
                match spec.socket_type {
                    SocketType::Sub => socket.set_subscribe(b"").expect("subscribe"),
                    SocketType::Req => socket.set_req_relaxed(true).expect("relaxed"),
                    #[cfg(feature = "draft")]
                    SocketType::Dish => socket.join("g").expect("join"),
                    _ => {}
                }
                socket.bind("tcp://127.0.0.1:*").expect("server bind");
                if spec.socket_type == SocketType::XSub {
                    // Subscribe to everything; XSUB resends it to every new peer.
                    socket
                        .send([1u8], SendFlags::empty())
                        .expect("xsub subscribe");
                }
                println!(
                    "ENDPOINT {} {}",
                    spec.name,
                    socket.get_last_endpoint().expect("endpoint")
                );
                sockets.push(Served {
                    tag: spec.name.to_string(),
                    socket,
                    echo: spec.echo,
                    sink: spec.sink,
                    tick: spec.tick,
                    #[cfg(feature = "draft")]
                    group: spec.socket_type == SocketType::Radio,
                });
            }
        }
        "maxmsg" => {
            for (tag, limit) in [("PULL-LIMITED", MAX_MSG_SIZE), ("PULL-UNLIMITED", -1)] {
                let socket = ctx.socket(SocketType::Pull).expect("pull");
                configure(&socket);
                socket.set_maxmsgsize(limit).expect("maxmsgsize");
                if limit > 0 {
                    monitor = Some(
                        socket
                            .monitor_socket(zmq::MonitorEvents::ALL)
                            .expect("monitor"),
                    );
                }
                socket.bind("tcp://127.0.0.1:*").expect("bind");
                println!(
                    "ENDPOINT {tag} {}",
                    socket.get_last_endpoint().expect("endpoint")
                );
                sockets.push(Served {
                    tag: tag.to_string(),
                    socket,
                    echo: Echo::No,
                    sink: true,
                    tick: false,
                    #[cfg(feature = "draft")]
                    group: false,
                });
            }
        }
        other => panic!("unknown server mode {other:?}"),
    }

    // The test closes our stdin to stop us.
    let stop = Arc::new(AtomicBool::new(false));
    let stop_flag = Arc::clone(&stop);
    thread::spawn(move || {
        let mut rest = Vec::new();
        let _ = std::io::stdin().read_to_end(&mut rest);
        stop_flag.store(true, Ordering::SeqCst);
    });
    println!("SERVER-READY");

    let mut last_tick = Instant::now();
    while !stop.load(Ordering::SeqCst) {
        let mut busy = false;
        for s in &sockets {
            for _ in 0..200 {
                if !serve_one(s, &sink) {
                    break;
                }
                busy = true;
            }
        }
        if last_tick.elapsed() >= Duration::from_millis(20) {
            last_tick = Instant::now();
            for s in sockets.iter().filter(|s| s.tick) {
                tick(s);
            }
        }
        if let Some(monitor) = &monitor {
            while let Ok(Some(event)) = monitor.try_recv() {
                let _ = sink.send_multipart(
                    ["MON".to_string(), format!("{event:?}")],
                    SendFlags::DONTWAIT,
                );
                busy = true;
            }
        }
        if !busy {
            thread::sleep(Duration::from_millis(2));
        }
    }
    drop(monitor);
    drop(sockets);
    println!("SERVER-STOPPED");
}

fn configure(socket: &Socket) {
    socket.set_linger(0).expect("linger");
    socket
        .set_handshake_ivl(HANDSHAKE_IVL_MS)
        .expect("handshake ivl");
}

/// Handles one incoming message of `s`, if there is one.
fn serve_one(s: &Served, sink: &Socket) -> bool {
    if s.echo == Echo::No && !s.sink {
        return false; // a send-only type
    }
    #[cfg(feature = "draft")]
    if s.echo == Echo::Single {
        let Ok(msg) = s.socket.recv_message(RecvFlags::DONTWAIT) else {
            return false;
        };
        let mut reply = Message::from(&msg[..]);
        if let Some(id) = msg.routing_id() {
            let _ = reply.set_routing_id(id);
        }
        let _ = s.socket.send_msg(&mut reply, SendFlags::DONTWAIT);
        return true;
    }
    let Ok(frames) = s.socket.recv_multipart(RecvFlags::DONTWAIT) else {
        return false;
    };
    match s.echo {
        Echo::Multi => {
            let _ = s.socket.send_multipart(&frames, SendFlags::DONTWAIT);
        }
        // An empty chunk is a connect/disconnect notification; sent back it would
        // close the connection.
        Echo::Stream if frames.len() == 2 && !frames[1].is_empty() => {
            let _ = s.socket.send_multipart(&frames, SendFlags::DONTWAIT);
        }
        _ => {}
    }
    if s.sink {
        let total: usize = frames.iter().map(Vec::len).sum();
        let mut out = vec![s.tag.as_bytes().to_vec(), total.to_string().into_bytes()];
        out.extend(frames.iter().map(|f| f[..f.len().min(256)].to_vec()));
        let _ = sink.send_multipart(out, SendFlags::DONTWAIT);
    }
    true
}

fn tick(s: &Served) {
    let mut msg = Message::from("tick");
    #[cfg(feature = "draft")]
    if s.group {
        let _ = msg.set_group("g");
    }
    let _ = s.socket.send_msg(&mut msg, SendFlags::DONTWAIT);
}

// ---------------------------------------------------------------------------
// The server handle of the tests
// ---------------------------------------------------------------------------

struct Server {
    child: Child,
    stdin: Option<ChildStdin>,
    endpoints: HashMap<String, String>,
    sink: String,
    stderr: Arc<Mutex<String>>,
    _stdout: Receiver<String>,
}

impl Server {
    /// Starts this test executable again as the server in `mode`.
    fn start(mode: &str) -> Server {
        let mut child = common::child::this_executable()
            .args(["--exact", SERVER_TEST, "--nocapture", "--ignored"])
            .args(["--test-threads", "1"])
            .env(SERVER_ENV, mode)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("starting the server process");
        let stdin = child.stdin.take();
        let out = child.stdout.take().expect("piped stdout");
        let mut err = child.stderr.take().expect("piped stderr");
        let stderr = Arc::new(Mutex::new(String::new()));
        let stderr_sink = Arc::clone(&stderr);
        thread::spawn(move || {
            let mut buf = [0u8; 4096];
            while let Ok(n) = err.read(&mut buf) {
                if n == 0 {
                    break;
                }
                if let Ok(mut text) = stderr_sink.lock() {
                    text.push_str(&String::from_utf8_lossy(&buf[..n]));
                }
            }
        });
        let (tx, lines) = mpsc::channel();
        thread::spawn(move || {
            for line in BufReader::new(out).lines() {
                let Ok(line) = line else { break };
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        let mut endpoints = HashMap::new();
        let mut sink = String::new();
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            let Ok(line) = lines.recv_timeout(left) else {
                let _ = child.kill();
                let _ = child.wait();
                let text = stderr.lock().map(|t| t.clone()).unwrap_or_default();
                panic!("the server did not start within 60 s; stderr:\n{text}");
            };
            // libtest may print "test hostile_server ... " in front of the first line.
            let words: Vec<&str> = line.split_whitespace().collect();
            let start = words
                .iter()
                .position(|w| matches!(*w, "SINK" | "ENDPOINT" | "SERVER-READY"))
                .unwrap_or(words.len());
            match &words[start..] {
                ["SINK", endpoint] => sink = endpoint.to_string(),
                ["ENDPOINT", tag, endpoint] => {
                    endpoints.insert(tag.to_string(), endpoint.to_string());
                }
                ["SERVER-READY"] => break,
                _ => {}
            }
        }
        Server {
            child,
            stdin,
            endpoints,
            sink,
            stderr,
            _stdout: lines,
        }
    }

    fn stderr_text(&self) -> String {
        self.stderr.lock().map(|t| t.clone()).unwrap_or_default()
    }

    fn endpoint(&self, tag: &str) -> &str {
        self.endpoints
            .get(tag)
            .unwrap_or_else(|| panic!("the server has no {tag} socket"))
    }

    /// Fails the test if the server process has ended.
    fn assert_alive(&mut self, after: &str) {
        match self.child.try_wait() {
            Ok(None) => {}
            Ok(Some(status)) => panic!(
                "the server process died ({status}) after {after}; stderr:\n{}",
                self.stderr_text()
            ),
            Err(e) => panic!("cannot check the server process: {e}"),
        }
    }

    /// A field of `/proc/<pid>/status` in kB (`VmRSS`, `VmSize`, `VmPeak` ...).
    fn status_kb(&self, field: &str) -> u64 {
        let path = format!("/proc/{}/status", self.child.id());
        let text = std::fs::read_to_string(&path).expect("reading the server's status");
        text.lines()
            .find_map(|line| {
                let rest = line.strip_prefix(field)?.strip_prefix(':')?;
                rest.trim().trim_end_matches("kB").trim().parse().ok()
            })
            .unwrap_or_else(|| panic!("no {field} in {path}"))
    }

    /// The number of open file descriptors of the server process.
    fn open_fds(&self) -> usize {
        std::fs::read_dir(format!("/proc/{}/fd", self.child.id()))
            .map(|dir| dir.count())
            .expect("listing the server's file descriptors")
    }

    /// Waits (up to 30 s) until the server has at most `limit` descriptors open.
    fn settle_fds(&self, limit: usize) -> usize {
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let fds = self.open_fds();
            if fds <= limit || Instant::now() > deadline {
                return fds;
            }
            thread::sleep(Duration::from_millis(100));
        }
    }

    /// Asks the server to stop (closes its stdin) and waits for a clean exit.
    fn stop(&mut self) -> ExitStatus {
        drop(self.stdin.take());
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            match self.child.try_wait() {
                Ok(Some(status)) => return status,
                Ok(None) if Instant::now() < deadline => thread::sleep(Duration::from_millis(20)),
                _ => {
                    let _ = self.child.kill();
                    let _ = self.child.wait();
                    panic!("the server did not stop within 30 s");
                }
            }
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

// ---------------------------------------------------------------------------
// ZMTP on the wire
// ---------------------------------------------------------------------------

const MORE: u8 = 0x01;
const LONG: u8 = 0x02;
const COMMAND: u8 = 0x04;

fn signature() -> Vec<u8> {
    let mut sig = vec![0xFF];
    sig.extend([0u8; 8]);
    sig.push(0x7F);
    sig
}

/// A 64-byte ZMTP 3 greeting: signature, revision, minor, mechanism, as-server, filler.
fn greeting(revision: u8, minor: u8, mechanism: &[u8]) -> Vec<u8> {
    let mut g = signature();
    g.push(revision);
    g.push(minor);
    let mut mech = [0u8; 20];
    mech[..mechanism.len()].copy_from_slice(mechanism);
    g.extend(mech);
    g.push(0);
    g.extend([0u8; 31]);
    g
}

fn ok_greeting() -> Vec<u8> {
    greeting(3, 1, b"NULL")
}

/// A frame; the long form when the body needs it.
fn frame(flags: u8, body: &[u8]) -> Vec<u8> {
    let mut f = Vec::with_capacity(body.len() + 9);
    if body.len() > 255 {
        f.push(flags | LONG);
        f.extend((body.len() as u64).to_be_bytes());
    } else {
        f.push(flags & !LONG);
        f.push(body.len() as u8);
    }
    f.extend_from_slice(body);
    f
}

/// The header of a long frame announcing `len` bytes.
fn long_header(flags: u8, len: u64) -> Vec<u8> {
    let mut f = vec![flags | LONG];
    f.extend(len.to_be_bytes());
    f
}

/// A command frame: name length, name, data.
fn command(name: &[u8], data: &[u8]) -> Vec<u8> {
    let mut body = vec![name.len() as u8];
    body.extend_from_slice(name);
    body.extend_from_slice(data);
    frame(COMMAND, &body)
}

/// ZMTP metadata: name length (1 byte), name, value length (4 bytes), value.
fn props(list: &[(&[u8], &[u8])]) -> Vec<u8> {
    let mut p = Vec::new();
    for (name, value) in list {
        p.push(name.len() as u8);
        p.extend_from_slice(name);
        p.extend((value.len() as u32).to_be_bytes());
        p.extend_from_slice(value);
    }
    p
}

fn ready(socket_type: &str) -> Vec<u8> {
    command(
        b"READY",
        &props(&[(b"Socket-Type", socket_type.as_bytes())]),
    )
}

fn ping(ttl: u16, context: &[u8]) -> Vec<u8> {
    let mut data = ttl.to_be_bytes().to_vec();
    data.extend_from_slice(context);
    command(b"PING", &data)
}

/// Deterministic garbage (xorshift64*).
fn garbage(seed: u64, len: usize) -> Vec<u8> {
    let mut x = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    (0..len)
        .map(|_| {
            x ^= x >> 12;
            x ^= x << 25;
            x ^= x >> 27;
            (x.wrapping_mul(0x2545_F491_4F6C_DD1D) >> 56) as u8
        })
        .collect()
}

// ---------------------------------------------------------------------------
// The hostile cases
// ---------------------------------------------------------------------------

enum Step {
    /// Write these bytes.
    Send(Vec<u8>),
    /// Read the server's greeting and READY: the handshake must go through.
    Handshake,
    /// Read frames until a PONG command with this context.
    Pong(Vec<u8>),
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Expect {
    /// The server must close the connection by itself (we never shut down).
    Closes,
    /// We shut our side down and give the server a moment to close too; then close.
    Survives,
}

/// How a connection ended.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Outcome {
    /// The server closed it.
    Closed,
    /// The server still held it after our shutdown and the grace period; we closed
    /// it. (libzmq stops reading a connection whose inbound pipe is full or gone, e.g.
    /// a PUSH socket never reads what its peers send, so it misses the EOF.)
    Held,
}

/// How long the server may take to close after our shutdown before we close.
const GRACE: Duration = Duration::from_secs(2);

struct Case {
    name: String,
    steps: Vec<Step>,
    expect: Expect,
}

fn case(name: impl Into<String>, steps: Vec<Step>, expect: Expect) -> Case {
    Case {
        name: name.into(),
        steps,
        expect,
    }
}

/// Every malformed input for a ZMTP socket of type `spec` (seeded by `round`).
fn zmtp_cases(spec: &Spec, round: u64) -> Vec<Case> {
    use Expect::{Closes, Survives};
    use Step::{Handshake, Pong, Send};
    let peer = spec.peer;
    let seed = round * 1000 + spec.name.len() as u64;
    let hello = |bytes: Vec<u8>| {
        let mut b = ok_greeting();
        b.extend(bytes);
        b
    };
    // Greeting and READY done: what follows is after the handshake.
    let after = |bytes: Vec<u8>| vec![Send(hello(ready(peer))), Handshake, Send(bytes)];
    let mut cases = Vec::new();

    // The signature.
    let mut sig0 = vec![0x00];
    sig0.extend([0u8; 8]);
    sig0.push(0x7F);
    sig0.extend(garbage(seed + 1, 54));
    cases.push(case(
        "signature byte 0 = 0x00 (unversioned ZMTP/1.0)",
        vec![Send(sig0)],
        Survives,
    ));
    cases.push(case(
        "signature byte 0 = 0x01: ZMTP/1.0 identity and message",
        vec![Send(vec![
            0x01, 0x00, 0x06, 0x00, b'h', b'e', b'l', b'l', b'o',
        ])],
        Survives,
    ));
    let mut fe = vec![0xFE];
    fe.extend(garbage(seed + 2, 63));
    cases.push(case(
        "signature byte 0 = 0xFE, then garbage",
        vec![Send(fe)],
        Survives,
    ));
    let mut bit9 = ok_greeting();
    bit9[9] = 0x7E;
    cases.push(case(
        "signature byte 9 with bit 0 clear",
        vec![Send(bit9)],
        Survives,
    ));
    let mut padded = ok_greeting();
    padded[1..9].copy_from_slice(&[1, 2, 3, 4, 5, 6, 7, 8]);
    padded.extend(ready(peer));
    cases.push(case(
        "signature padding bytes not zero (not checked by libzmq)",
        vec![Send(padded), Handshake],
        Survives,
    ));
    cases.push(case(
        "greeting of 64 bytes 0xFF",
        vec![Send(vec![0xFF; 64])],
        Closes,
    ));

    // The version.
    let mut v0 = greeting(0, 0, b"NULL");
    v0.extend(garbage(seed + 3, 32));
    cases.push(case(
        "revision 0 (ZMTP/1.0 versioned), then garbage",
        vec![Send(v0)],
        Survives,
    ));
    let mut v1 = signature();
    v1.extend([0x01, 0x05, 0x00, 0x00, 0x00, 0x05]);
    v1.extend(b"hello");
    cases.push(case(
        "revision 1 (ZMTP/2.0) greeting and frames",
        vec![Send(v1)],
        Survives,
    ));
    for revision in [2u8, 4, 255] {
        let mut g = greeting(revision, 0, b"NULL");
        g.extend(ready(peer));
        cases.push(case(
            format!("revision {revision} (taken as ZMTP/3.1)"),
            vec![Send(g), Handshake],
            Survives,
        ));
    }
    for minor in [0u8, 255] {
        let mut g = greeting(3, minor, b"NULL");
        g.extend(ready(peer));
        cases.push(case(
            format!("ZMTP 3.{minor}"),
            vec![Send(g), Handshake, Send(frame(0, b"hello"))],
            Survives,
        ));
    }

    // The mechanism.
    for (what, mech) in [
        ("empty mechanism name", &b""[..]),
        ("mechanism \"null\" in lower case", b"null"),
        ("mechanism \"NULLX\"", b"NULLX"),
        ("mechanism PLAIN to a NULL server", b"PLAIN"),
        ("mechanism CURVE to a NULL server", b"CURVE"),
        ("mechanism GSSAPI to a NULL server", b"GSSAPI"),
        ("mechanism of 20 bytes 0xFF", &[0xFF; 20]),
    ] {
        let mut g = greeting(3, 1, mech);
        g.extend(ready(peer));
        cases.push(case(what, vec![Send(g)], Closes));
    }
    let mut filler = ok_greeting();
    filler[32] = 1;
    filler[33..].copy_from_slice(&garbage(seed + 4, 31));
    filler.extend(ready(peer));
    cases.push(case(
        "as-server byte set and garbage filler",
        vec![Send(filler), Handshake],
        Survives,
    ));
    for len in [1usize, 2, 9, 10, 11, 12, 32, 63] {
        cases.push(case(
            format!("greeting truncated to {len} bytes, then close"),
            vec![Send(ok_greeting()[..len].to_vec())],
            Survives,
        ));
    }

    // The READY command.
    cases.push(case(
        "READY without properties",
        vec![Send(hello(command(b"READY", b""))), Handshake],
        Survives,
    ));
    for bad in [incompatible(spec), "BOGUS", ""] {
        cases.push(case(
            format!("READY with Socket-Type {bad:?}"),
            vec![Send(hello(ready(bad)))],
            Closes,
        ));
    }
    let mut past_end = props(&[(b"Socket-Type", peer.as_bytes())]);
    past_end.extend([4, b'X', b'-', b'a', b'b', 0xFF, 0xFF, 0xFF, 0xFF, b'v']);
    cases.push(case(
        "READY property length 0xFFFFFFFF, past the end",
        vec![Send(hello(command(b"READY", &past_end)))],
        Closes,
    ));
    let mut by_one = props(&[(b"Socket-Type", peer.as_bytes())]);
    by_one.extend([4, b'X', b'-', b'a', b'b', 0, 0, 0, 3, b'v', b'v']);
    cases.push(case(
        "READY property value one byte short",
        vec![Send(hello(command(b"READY", &by_one)))],
        Closes,
    ));
    let mut name_past = props(&[(b"Socket-Type", peer.as_bytes())]);
    name_past.extend([200, b'X', b'-']);
    cases.push(case(
        "READY property name length past the end",
        vec![Send(hello(command(b"READY", &name_past)))],
        Closes,
    ));
    let mut trailing = props(&[(b"Socket-Type", peer.as_bytes())]);
    trailing.push(7);
    cases.push(case(
        "READY with one trailing byte",
        vec![Send(hello(command(b"READY", &trailing)))],
        Closes,
    ));
    for s in 0..2 {
        cases.push(case(
            format!("READY with garbage properties #{s}"),
            vec![Send(hello(command(b"READY", &garbage(seed + 10 + s, 200))))],
            Survives,
        ));
    }
    let mut many = props(&[(b"Socket-Type", peer.as_bytes())]);
    for i in 0..4000 {
        many.extend(props(&[(format!("X-{i}").as_bytes(), b"value")]));
    }
    cases.push(case(
        "READY with 4000 properties",
        vec![Send(hello(command(b"READY", &many))), Handshake],
        Survives,
    ));
    cases.push(case(
        "command name \"REA\" (READY cut short)",
        vec![Send(hello(frame(COMMAND, b"\x05REA")))],
        Closes,
    ));
    cases.push(case(
        "unknown command HELLO in the handshake",
        vec![Send(hello(command(b"HELLO", b"x")))],
        Closes,
    ));
    // A well-formed ERROR ends the handshake, but libzmq closes the connection only
    // when the handshake timer (ZMQ_HANDSHAKE_IVL) fires, or at our EOF.
    cases.push(case(
        "ERROR command in the handshake",
        vec![Send(hello(command(b"ERROR", b"\x04nope")))],
        Survives,
    ));
    cases.push(case(
        "ERROR command with a reason past the end",
        vec![Send(hello(command(b"ERROR", b"\xF0nope")))],
        Closes,
    ));
    cases.push(case(
        "data frame instead of READY",
        vec![Send(hello(frame(0, b"hello")))],
        Closes,
    ));
    cases.push(case(
        "empty command frame instead of READY",
        vec![Send(hello(frame(COMMAND, b"")))],
        Closes,
    ));
    // libzmq drops a peer that sends anything after its READY before libzmq has
    // sent its own READY (null_mechanism takes the frame as a second handshake
    // command): these pipelined inputs usually end with the server closing.
    let mut twice = ready(peer);
    twice.extend(ready(peer));
    cases.push(case(
        "READY twice, pipelined",
        vec![Send(hello(twice))],
        Survives,
    ));
    let mut pipelined = ready(peer);
    pipelined.extend(frame(0, b"early"));
    cases.push(case(
        "message pipelined before the server's READY",
        vec![Send(hello(pipelined))],
        Survives,
    ));
    cases.push(case(
        "command frame of length 2^64-1 instead of READY",
        vec![Send(hello(long_header(COMMAND, u64::MAX)))],
        Closes,
    ));
    cases.push(case(
        "command frame of 4 GiB instead of READY, then close",
        vec![Send(hello(long_header(COMMAND, 1 << 32)))],
        Survives,
    ));

    // After the handshake.
    for s in 0..3 {
        cases.push(case(
            format!("4 KiB of garbage after the handshake #{s}"),
            after(garbage(seed + 20 + s, 4096)),
            Survives,
        ));
    }
    cases.push(case(
        "flags with reserved bits set (0xF8)",
        after(frame(0xF8, b"reserved")),
        Survives,
    ));
    let mut reserved_more = frame(0xF9, b"first");
    reserved_more.extend(frame(0xF0, b"last"));
    cases.push(case("flags 0xF9 then 0xF0", after(reserved_more), Survives));
    let mut non_canonical = long_header(0, 5);
    non_canonical.extend(b"hello");
    cases.push(case(
        "long frame with a length of 5",
        after(non_canonical),
        Survives,
    ));
    cases.push(case(
        "frame length 2^64-1",
        after(long_header(0, u64::MAX)),
        Closes,
    ));
    cases.push(case(
        "frame length 2^63",
        after(long_header(0, 1 << 63)),
        Closes,
    ));
    cases.push(case(
        "frame of 4 GiB announced, then close",
        after(long_header(0, 1 << 32)),
        Survives,
    ));
    let mut cut = vec![0x00, 100];
    cut.extend([7u8; 10]);
    cases.push(case("frame truncated, then close", after(cut), Survives));
    cases.push(case(
        "8-byte length truncated, then close",
        after(vec![LONG, 0, 0, 0]),
        Survives,
    ));
    cases.push(case(
        "MORE on the last frame, then close",
        after(frame(MORE, b"more")),
        Survives,
    ));
    let mut more = Vec::new();
    for _ in 0..1000 {
        more.extend(frame(MORE, b"part"));
    }
    cases.push(case(
        "1000 frames with MORE and no last frame",
        after(more),
        Survives,
    ));
    cases.push(case(
        "unknown command UNKNOWN",
        after(command(b"UNKNOWN", b"data")),
        Survives,
    ));
    cases.push(case(
        "command name length past the end",
        after(frame(COMMAND, b"\xFFAB")),
        Survives,
    ));
    cases.push(case(
        "empty command frame",
        after(frame(COMMAND, b"")),
        Survives,
    ));
    let context = b"0123456789abcdef".to_vec();
    let mut steps = after(ping(0xFFFF, &context));
    steps.push(Pong(context));
    cases.push(case(
        "PING with TTL 0xFFFF and a 16-byte context",
        steps,
        Survives,
    ));
    let big = garbage(seed + 30, 1000);
    let mut steps = after(ping(10, &big));
    steps.push(Pong(big[..16].to_vec()));
    cases.push(case("PING with a 1000-byte context", steps, Survives));
    cases.push(case(
        "PING without TTL",
        after(command(b"PING", b"")),
        Survives,
    ));
    cases.push(case(
        "PING with TTL 100 ms, then silence (the TTL must expire)",
        after(ping(1, b"")),
        Closes,
    ));
    cases.push(case(
        "unsolicited PONG",
        after(command(b"PONG", b"ctx")),
        Survives,
    ));
    cases.push(case(
        "SUBSCRIBE",
        after(command(b"SUBSCRIBE", b"topic")),
        Survives,
    ));
    cases.push(case(
        "CANCEL of an unknown topic",
        after(command(b"CANCEL", b"never")),
        Survives,
    ));
    let mut subs = Vec::new();
    for i in 0..2000 {
        subs.extend(command(
            b"SUBSCRIBE",
            format!("topic-{round}-{i}").as_bytes(),
        ));
    }
    cases.push(case("2000 SUBSCRIBE commands", after(subs), Survives));
    cases.push(case(
        "SUBSCRIBE without a topic",
        after(command(b"SUBSCRIBE", b"")),
        Survives,
    ));
    cases.push(case(
        "READY after the handshake",
        after(ready(peer)),
        Survives,
    ));
    cases.push(case(
        "ERROR after the handshake",
        after(command(b"ERROR", b"\x03bye")),
        Survives,
    ));
    cases
}

// ---------------------------------------------------------------------------
// The hostile client
// ---------------------------------------------------------------------------

fn address(endpoint: &str) -> SocketAddr {
    endpoint
        .strip_prefix("tcp://")
        .and_then(|a| a.parse().ok())
        .unwrap_or_else(|| panic!("not a tcp endpoint: {endpoint}"))
}

fn connect(endpoint: &str) -> Result<TcpStream, String> {
    let stream = TcpStream::connect_timeout(&address(endpoint), Duration::from_secs(10))
        .map_err(|e| format!("connect: {e}"))?;
    stream
        .set_read_timeout(Some(Duration::from_millis(100)))
        .map_err(|e| e.to_string())?;
    stream
        .set_write_timeout(Some(Duration::from_secs(10)))
        .map_err(|e| e.to_string())?;
    let _ = stream.set_nodelay(true);
    Ok(stream)
}

fn is_closed_error(e: &std::io::Error) -> bool {
    matches!(
        e.kind(),
        ErrorKind::ConnectionReset | ErrorKind::ConnectionAborted | ErrorKind::BrokenPipe
    )
}

/// Reads exactly `n` bytes before `deadline`.
fn read_exact(stream: &mut TcpStream, n: usize, deadline: Instant) -> Result<Vec<u8>, String> {
    let mut buf = vec![0u8; n];
    let mut got = 0;
    while got < n {
        match stream.read(&mut buf[got..]) {
            Ok(0) => return Err(format!("closed by the server after {got} of {n} bytes")),
            Ok(k) => got += k,
            Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {
                if Instant::now() > deadline {
                    return Err(format!("timed out after {got} of {n} bytes"));
                }
            }
            Err(e) if e.kind() == ErrorKind::Interrupted => {}
            Err(e) => return Err(format!("read: {e}")),
        }
    }
    Ok(buf)
}

/// Reads one frame: (flags, body).
fn read_frame(stream: &mut TcpStream, deadline: Instant) -> Result<(u8, Vec<u8>), String> {
    let flags = read_exact(stream, 1, deadline)?[0];
    let len = if flags & LONG != 0 {
        let bytes = read_exact(stream, 8, deadline)?;
        u64::from_be_bytes(bytes.try_into().map_err(|_| "length")?)
    } else {
        u64::from(read_exact(stream, 1, deadline)?[0])
    };
    if len > 16 << 20 {
        return Err(format!("the server sent a frame of {len} bytes"));
    }
    Ok((flags, read_exact(stream, len as usize, deadline)?))
}

/// Reads the server's greeting and READY and checks them.
fn await_ready(stream: &mut TcpStream, server_type: &str, deadline: Instant) -> Result<(), String> {
    let g = read_exact(stream, 64, deadline).map_err(|e| format!("server greeting: {e}"))?;
    if g[0] != 0xFF || g[9] != 0x7F || g[10] != 3 || &g[12..16] != b"NULL" {
        return Err(format!("unexpected server greeting {:?}", &g[..16]));
    }
    loop {
        let (flags, body) = read_frame(stream, deadline)?;
        if flags & COMMAND == 0 {
            continue;
        }
        let Some(properties) = body.strip_prefix(b"\x05READY") else {
            return Err(format!("expected READY, got command {body:?}"));
        };
        let needle = props(&[(b"Socket-Type", server_type.as_bytes())]);
        return if properties.windows(needle.len()).any(|w| w == needle) {
            Ok(())
        } else {
            Err(format!(
                "READY without Socket-Type {server_type}: {properties:?}"
            ))
        };
    }
}

/// Reads frames until a PONG with `context`.
fn await_pong(stream: &mut TcpStream, context: &[u8], deadline: Instant) -> Result<(), String> {
    loop {
        let (flags, body) = read_frame(stream, deadline).map_err(|e| format!("PONG: {e}"))?;
        if flags & COMMAND != 0 {
            if let Some(got) = body.strip_prefix(b"\x04PONG") {
                return if got == context {
                    Ok(())
                } else {
                    Err(format!("PONG context {got:?}, expected {context:?}"))
                };
            }
        }
    }
}

/// Reads (and discards) until the server closes the connection.
fn await_close(stream: &mut TcpStream, deadline: Instant) -> Result<(), String> {
    let mut buf = [0u8; 65536];
    loop {
        match stream.read(&mut buf) {
            Ok(0) => return Ok(()),
            Ok(_) => {}
            Err(e) if is_closed_error(&e) => return Ok(()),
            Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {}
            Err(e) if e.kind() == ErrorKind::Interrupted => {}
            Err(e) => return Err(format!("read: {e}")),
        }
        if Instant::now() > deadline {
            return Err("the server did not close the connection in time".into());
        }
    }
}

/// Runs one case on a new connection.
fn run_case(endpoint: &str, server_type: &str, case: &Case) -> Result<Outcome, String> {
    let mut stream = connect(endpoint)?;
    let deadline = Instant::now() + CASE_DEADLINE;
    for step in &case.steps {
        match step {
            Step::Send(bytes) => {
                if let Err(e) = stream.write_all(bytes) {
                    // The server may drop a connection whenever it likes.
                    return if is_closed_error(&e) {
                        Ok(Outcome::Closed)
                    } else {
                        Err(format!("write: {e}"))
                    };
                }
            }
            Step::Handshake => await_ready(&mut stream, server_type, deadline)?,
            Step::Pong(context) => await_pong(&mut stream, context, deadline)?,
        }
    }
    match case.expect {
        Expect::Closes => await_close(&mut stream, deadline).map(|()| Outcome::Closed),
        Expect::Survives => {
            let _ = stream.shutdown(Shutdown::Write);
            Ok(match await_close(&mut stream, Instant::now() + GRACE) {
                Ok(()) => Outcome::Closed,
                Err(_) => Outcome::Held,
            })
        }
    }
}

/// STREAM: raw bytes must come back as they were sent.
fn run_stream_case(endpoint: &str, bytes: &[u8]) -> Result<Outcome, String> {
    let mut stream = connect(endpoint)?;
    let deadline = Instant::now() + CASE_DEADLINE;
    stream.write_all(bytes).map_err(|e| format!("write: {e}"))?;
    let echo = read_exact(&mut stream, bytes.len(), deadline)?;
    if echo != bytes {
        return Err("the echo differs from what was sent".into());
    }
    let _ = stream.shutdown(Shutdown::Write);
    await_close(&mut stream, deadline).map(|()| Outcome::Closed)
}

/// The bytes a case writes, in order.
fn case_bytes(case: &Case) -> Vec<u8> {
    let mut all = Vec::new();
    for step in &case.steps {
        if let Step::Send(bytes) = step {
            all.extend_from_slice(bytes);
        }
    }
    all
}

/// One round of every case against every socket; returns the number of inputs tried
/// and the number of connections the server still held after our shutdown.
fn hostile_round(server: &mut Server, round: u64, failures: &mut Vec<String>) -> (usize, usize) {
    let mut tried = 0;
    let mut held = Vec::new();
    for spec in specs() {
        let endpoint = server.endpoint(spec.name).to_string();
        let cases = zmtp_cases(&spec, round);
        for case in &cases {
            let started = Instant::now();
            let result = if spec.socket_type == SocketType::Stream {
                run_stream_case(&endpoint, &case_bytes(case))
            } else {
                run_case(&endpoint, spec.name, case)
            };
            tried += 1;
            if std::env::var_os("HOSTILE_ZMTP_TRACE").is_some() {
                eprintln!(
                    "{} {}: {:?} in {:?}",
                    spec.name,
                    case.name,
                    result,
                    started.elapsed()
                );
            }
            if result == Ok(Outcome::Held) {
                held.push(format!("{}: {}", spec.name, case.name));
            }
            if let Err(e) = result {
                let failure = format!(
                    "round {round}, {}: {}: {e} (after {:?})",
                    spec.name,
                    case.name,
                    started.elapsed()
                );
                eprintln!("FAILED {failure}");
                failures.push(failure);
            }
        }
        server.assert_alive(&format!("round {round} against {}", spec.name));
    }
    println!(
        "round {round}: {tried} hostile connections; {} still open {GRACE:?} after our \
         shutdown (closed by us): {held:?}",
        held.len()
    );
    (tried, held.len())
}

// ---------------------------------------------------------------------------
// Well-behaved peers
// ---------------------------------------------------------------------------

struct Good<'a> {
    ctx: &'a Context,
    sink: &'a Socket,
}

impl Good<'_> {
    fn socket(&self, socket_type: SocketType, endpoint: &str) -> zmq::Result<Socket> {
        let s = self.ctx.socket(socket_type)?;
        s.set_linger(0)?;
        s.set_rcvtimeo(200)?;
        s.set_sndtimeo(1000)?;
        #[cfg(feature = "draft")]
        if socket_type == SocketType::Dish {
            s.join("g")?;
        }
        if socket_type == SocketType::Sub {
            s.set_subscribe(b"")?;
        }
        s.connect(endpoint)?;
        Ok(s)
    }

    /// Retries `attempt` (with fresh sockets) until it succeeds or the deadline.
    fn retry(
        &self,
        what: &str,
        mut attempt: impl FnMut(Instant) -> zmq::Result<bool>,
    ) -> Result<(), String> {
        let deadline = Instant::now() + SERVE_DEADLINE;
        let mut last = String::from("no answer");
        while Instant::now() < deadline {
            let until = (Instant::now() + Duration::from_secs(3)).min(deadline);
            match attempt(until) {
                Ok(true) => return Ok(()),
                Ok(false) => {}
                Err(e) => last = format!("{e:?}"),
            }
        }
        Err(format!(
            "{what}: not served within {SERVE_DEADLINE:?} ({last})"
        ))
    }

    /// Sends `token` and waits for it to come back.
    fn echo(&self, peer: SocketType, endpoint: &str, token: &str) -> Result<(), String> {
        self.retry("echo", |until| {
            let s = self.socket(peer, endpoint)?;
            s.send(token, SendFlags::empty())?;
            recv_until(&s, until, |m| m == token.as_bytes())
        })
    }

    /// Waits for anything the server sends.
    fn receive(&self, peer: SocketType, endpoint: &str) -> Result<(), String> {
        self.retry("receive", |until| {
            let s = self.socket(peer, endpoint)?;
            recv_until(&s, until, |_| true)
        })
    }

    /// Sends `token` until the server forwards it to the sink under `tag`.
    fn forward(
        &self,
        peer: SocketType,
        endpoint: &str,
        tag: &str,
        token: &str,
    ) -> Result<(), String> {
        let s = self.socket(peer, endpoint).map_err(|e| format!("{e:?}"))?;
        self.retry("forward", |until| {
            let mut msg = Message::from(token);
            #[cfg(feature = "draft")]
            if peer == SocketType::Radio {
                msg.set_group("g")?;
            }
            match s.send_msg(&mut msg, SendFlags::DONTWAIT) {
                Ok(()) | Err(zmq::Error::EAGAIN) => {}
                Err(e) => return Err(e),
            }
            sink_until(
                self.sink,
                until.min(Instant::now() + Duration::from_millis(300)),
                |frames| {
                    frames.first().map(Vec::as_slice) == Some(tag.as_bytes())
                        && frames.iter().any(|f| f == token.as_bytes())
                },
            )
        })
    }

    /// Checks that a well-behaved peer is still served by the server's `spec` socket.
    fn served(&self, spec: &Spec, endpoint: &str, round: u64) -> Result<(), String> {
        let token = format!("good-{}-{round}", spec.name);
        match spec.socket_type {
            SocketType::Pair => self.echo(SocketType::Pair, endpoint, &token),
            SocketType::Rep => self.echo(SocketType::Req, endpoint, &token),
            SocketType::Dealer | SocketType::Router => {
                self.echo(SocketType::Dealer, endpoint, &token)
            }
            SocketType::Pub | SocketType::XPub => self.receive(SocketType::Sub, endpoint),
            SocketType::Push => self.receive(SocketType::Pull, endpoint),
            SocketType::Req => self.receive(SocketType::Rep, endpoint),
            SocketType::Sub | SocketType::XSub => {
                self.forward(SocketType::Pub, endpoint, spec.name, &token)
            }
            SocketType::Pull => self.forward(SocketType::Push, endpoint, spec.name, &token),
            SocketType::Stream => self.retry("raw echo", |until| {
                let Ok(mut stream) = connect(endpoint) else {
                    return Ok(false);
                };
                if stream.write_all(token.as_bytes()).is_err() {
                    return Ok(false);
                }
                Ok(read_exact(&mut stream, token.len(), until).ok().as_deref()
                    == Some(token.as_bytes()))
            }),
            #[cfg(feature = "draft")]
            SocketType::Server => self.echo(SocketType::Client, endpoint, &token),
            #[cfg(feature = "draft")]
            SocketType::Client => self.receive(SocketType::Server, endpoint),
            #[cfg(feature = "draft")]
            SocketType::Channel => self.echo(SocketType::Channel, endpoint, &token),
            #[cfg(feature = "draft")]
            SocketType::Radio => self.receive(SocketType::Dish, endpoint),
            #[cfg(feature = "draft")]
            SocketType::Scatter => self.receive(SocketType::Gather, endpoint),
            #[cfg(feature = "draft")]
            SocketType::Dish => self.forward(SocketType::Radio, endpoint, spec.name, &token),
            #[cfg(feature = "draft")]
            SocketType::Gather => self.forward(SocketType::Scatter, endpoint, spec.name, &token),
            #[cfg(feature = "draft")]
            SocketType::Peer => self.retry("peer echo", |until| {
                let s = self.ctx.socket(SocketType::Peer)?;
                s.set_linger(0)?;
                s.set_rcvtimeo(200)?;
                let id = s.connect_peer(endpoint)?;
                let mut msg = Message::from(token.as_str());
                msg.set_routing_id(id)?;
                s.send_msg(&mut msg, SendFlags::DONTWAIT)?;
                recv_until(&s, until, |m| m == token.as_bytes())
            }),
            other => Err(format!("no well-behaved peer for {other:?}")),
        }
    }
}

/// Receives until a frame satisfies `ok` or `until` passes.
fn recv_until(s: &Socket, until: Instant, ok: impl Fn(&[u8]) -> bool) -> zmq::Result<bool> {
    while Instant::now() < until {
        match s.recv_message(RecvFlags::empty()) {
            Ok(m) if ok(&m) => return Ok(true),
            Ok(_) | Err(zmq::Error::EAGAIN) => {}
            Err(e) => return Err(e),
        }
    }
    Ok(false)
}

/// Drains the sink until a message satisfies `ok` or `until` passes.
fn sink_until(sink: &Socket, until: Instant, ok: impl Fn(&[Vec<u8>]) -> bool) -> zmq::Result<bool> {
    while Instant::now() < until {
        match sink.recv_multipart(RecvFlags::empty()) {
            Ok(frames) if ok(&frames) => return Ok(true),
            Ok(_) | Err(zmq::Error::EAGAIN) => {}
            Err(e) => return Err(e),
        }
    }
    Ok(false)
}

fn sink_socket(ctx: &Context, endpoint: &str) -> Socket {
    let sink = ctx.socket(SocketType::Pull).expect("sink");
    sink.set_linger(0).expect("linger");
    sink.set_rcvtimeo(100).expect("rcvtimeo");
    sink.connect(endpoint).expect("sink connect");
    sink
}

/// Every socket of the server still serves a well-behaved peer.
fn check_all_served(server: &mut Server, good: &Good<'_>, round: u64) {
    for spec in specs() {
        let endpoint = server.endpoint(spec.name).to_string();
        if let Err(e) = good.served(&spec, &endpoint, round) {
            panic!("after round {round}, {}: {e}", spec.name);
        }
    }
    server.assert_alive(&format!("the well-behaved peers of round {round}"));
}

/// A raw SUBSCRIBE command to XPUB arrives at the application as `\x01topic`.
fn check_xpub_subscribe(server: &Server, good: &Good<'_>, round: u64) {
    let topic = format!("hostile-topic-{round}");
    let mut stream = connect(server.endpoint("XPUB")).expect("connect to XPUB");
    let deadline = Instant::now() + CASE_DEADLINE;
    let mut bytes = ok_greeting();
    bytes.extend(ready("SUB"));
    stream.write_all(&bytes).expect("greeting");
    await_ready(&mut stream, "XPUB", deadline).expect("XPUB handshake");
    stream
        .write_all(&command(b"SUBSCRIBE", topic.as_bytes()))
        .expect("SUBSCRIBE");
    let mut expected = vec![1u8];
    expected.extend(topic.as_bytes());
    let seen = sink_until(good.sink, deadline, |frames| {
        frames.first().map(Vec::as_slice) == Some(&b"XPUB"[..]) && frames.get(2) == Some(&expected)
    })
    .expect("sink");
    assert!(
        seen,
        "the XPUB application never saw the SUBSCRIBE command of a raw peer"
    );
}

// ---------------------------------------------------------------------------
// The tests
// ---------------------------------------------------------------------------

/// Slowloris: greetings and READY one byte at a time over many connections at once
/// (the handshakes must complete), and greetings that stall half way (the server
/// must drop them after `ZMQ_HANDSHAKE_IVL`).
fn slowloris(server: &mut Server) -> usize {
    let zmtp: Vec<Spec> = specs()
        .into_iter()
        .filter(|s| s.socket_type != SocketType::Stream)
        .collect();
    let mut drips = Vec::new();
    for spec in &zmtp {
        for _ in 0..3 {
            let mut bytes = ok_greeting();
            bytes.extend(ready(spec.peer));
            let stream = connect(server.endpoint(spec.name)).expect("connect");
            drips.push((spec.name, stream, bytes));
        }
    }
    let longest = drips.iter().map(|d| d.2.len()).max().unwrap_or(0);
    for i in 0..longest {
        for (name, stream, bytes) in &mut drips {
            if let Some(b) = bytes.get(i) {
                stream
                    .write_all(&[*b])
                    .unwrap_or_else(|e| panic!("{name}: drip write: {e}"));
            }
        }
        thread::sleep(Duration::from_millis(1));
    }
    let deadline = Instant::now() + CASE_DEADLINE;
    for (name, stream, _) in &mut drips {
        await_ready(stream, name, deadline)
            .unwrap_or_else(|e| panic!("{name}: one byte at a time: {e}"));
        let _ = stream.shutdown(Shutdown::Write);
        await_close(stream, deadline).unwrap_or_else(|e| panic!("{name}: {e}"));
    }
    // STREAM gets its raw bytes one at a time too.
    let mut stream = connect(server.endpoint("STREAM")).expect("connect STREAM");
    let raw = ok_greeting();
    for b in &raw {
        stream.write_all(&[*b]).expect("drip to STREAM");
        thread::sleep(Duration::from_millis(1));
    }
    let echo = read_exact(&mut stream, raw.len(), Instant::now() + CASE_DEADLINE)
        .expect("STREAM echo of the dripped bytes");
    assert_eq!(echo, raw, "STREAM must deliver the dripped bytes in order");
    drop(stream);

    // Stalled greetings: never completed; closed by the handshake timer.
    let mut stalled = Vec::new();
    for spec in &zmtp {
        let mut stream = connect(server.endpoint(spec.name)).expect("connect");
        stream
            .write_all(&ok_greeting()[..20])
            .expect("half a greeting");
        stalled.push((spec.name, stream));
    }
    let started = Instant::now();
    let deadline = started + Duration::from_secs(60);
    for (name, stream) in &mut stalled {
        await_close(stream, deadline).unwrap_or_else(|e| {
            panic!("{name}: a stalled handshake was not dropped (ZMQ_HANDSHAKE_IVL): {e}")
        });
    }
    println!(
        "slowloris: {} dripped handshakes completed, {} stalled ones dropped after {:?}",
        drips.len(),
        stalled.len(),
        started.elapsed()
    );
    drips.len() + 1 + stalled.len()
}

#[test]
fn hostile_zmtp_every_socket_type() {
    let mut server = Server::start("all");
    let ctx = Context::new().expect("context");
    let sink = sink_socket(&ctx, &server.sink);
    let good = Good {
        ctx: &ctx,
        sink: &sink,
    };
    let types: Vec<&str> = specs().iter().map(|s| s.name).collect();
    println!(
        "socket types under test ({}): {}",
        types.len(),
        types.join(" ")
    );
    check_all_served(&mut server, &good, 0);
    let per_type = specs()
        .iter()
        .map(|s| zmtp_cases(s, 0).len())
        .max()
        .unwrap_or(0);
    let rss_start = server.status_kb("VmRSS");

    // Warm-up round: every malformed input once.
    let mut failures = Vec::new();
    let (mut tried, _) = hostile_round(&mut server, 1, &mut failures);
    check_all_served(&mut server, &good, 1);
    check_xpub_subscribe(&server, &good, 1);
    tried += slowloris(&mut server);
    server.assert_alive("the slowloris connections");
    check_all_served(&mut server, &good, 2);
    thread::sleep(Duration::from_millis(500));
    let rss_warm = server.status_kb("VmRSS");
    let fds_start = server.open_fds();

    // Then round after round, checking the server each time.
    let rounds: u64 = std::env::var("HOSTILE_ZMTP_ROUNDS")
        .ok()
        .and_then(|r| r.parse().ok())
        .unwrap_or(3);
    let mut held = 0;
    for round in 3..3 + rounds {
        let (n, h) = hostile_round(&mut server, round, &mut failures);
        tried += n;
        held += h;
        check_all_served(&mut server, &good, round);
        check_xpub_subscribe(&server, &good, round);
        println!(
            "after round {round}: {tried} hostile connections, server VmRSS {} kB",
            server.status_kb("VmRSS")
        );
    }
    thread::sleep(Duration::from_millis(500));
    let rss_end = server.status_kb("VmRSS");
    // Every hostile connection is gone by now, except those libzmq stopped reading
    // before our shutdown (it never sees their end: with libzmq 4.3 a PUSH socket,
    // which never reads what a peer sends, keeps a connection that sent more than
    // RCVHWM messages, and its descriptor, until the socket is closed). Each of those
    // is allowed one descriptor; anything beyond is a leak.
    let limit = fds_start + held + 4;
    let fds_end = server.settle_fds(limit);
    println!(
        "server file descriptors: {fds_start} after the warm-up, {fds_end} at the end \
         ({held} connections held by the server after our shutdown)"
    );
    assert!(
        fds_end <= limit,
        "the server holds {fds_end} descriptors, more than {fds_start} after the warm-up \
         + {held} held connections"
    );
    println!(
        "{per_type} malformed inputs per ZMTP socket type, {tried} hostile connections in all; \
         server VmRSS: {rss_start} kB at start, {rss_warm} kB after the warm-up, {rss_end} kB at the end"
    );
    assert!(
        failures.is_empty(),
        "{} of {tried} hostile connections misbehaved:\n{}",
        failures.len(),
        failures.join("\n")
    );
    // A leak of even 10 bytes per connection would be ~50 kB; the bound is generous
    // for allocator noise but far below what leaking a connection's buffers (8 KiB
    // decoder batch each) would cost.
    let growth = rss_end.saturating_sub(rss_warm);
    assert!(
        growth < 16 * 1024,
        "the server's RSS grew by {growth} kB over {} rounds of hostile connections",
        rounds
    );
    let status = server.stop();
    assert!(status.success(), "the server ended with {status}");
}

#[test]
fn maxmsgsize_disconnects_a_4_gib_frame() {
    let mut server = Server::start("maxmsg");
    let ctx = Context::new().expect("context");
    let sink = sink_socket(&ctx, &server.sink);
    let limited = server.endpoint("PULL-LIMITED").to_string();
    let unlimited = server.endpoint("PULL-UNLIMITED").to_string();
    let deadline = || Instant::now() + CASE_DEADLINE;
    let handshake = |endpoint: &str| {
        let mut stream = connect(endpoint).expect("connect");
        let mut bytes = ok_greeting();
        bytes.extend(ready("PUSH"));
        stream.write_all(&bytes).expect("greeting");
        await_ready(&mut stream, "PULL", deadline()).expect("handshake");
        stream
    };
    let forwarded = |tag: &str, len: usize| {
        sink_until(&sink, deadline(), |frames| {
            frames.first().map(Vec::as_slice) == Some(tag.as_bytes())
                && frames.get(1) == Some(&len.to_string().into_bytes())
        })
        .expect("sink")
    };
    // Wait until the sink is connected (the server drops what it cannot forward).
    let warm = ctx.socket(SocketType::Push).expect("push");
    warm.set_linger(0).expect("linger");
    warm.connect(&limited).expect("connect");
    let ready_by = Instant::now() + SERVE_DEADLINE;
    let mut warmed = false;
    while !warmed && Instant::now() < ready_by {
        warm.send("warm", SendFlags::DONTWAIT).ok();
        warmed = sink_until(
            &sink,
            Instant::now() + Duration::from_millis(300),
            |frames| frames.first().map(Vec::as_slice) == Some(&b"PULL-LIMITED"[..]),
        )
        .expect("sink");
    }
    assert!(warmed, "the server never forwarded a well-behaved message");
    drop(warm);
    let peak_before = server.status_kb("VmPeak");
    let rss_before = server.status_kb("VmRSS");

    // At the limit: delivered.
    let mut stream = handshake(&limited);
    stream
        .write_all(&frame(0, &vec![b'x'; MAX_MSG_SIZE as usize]))
        .expect("a frame of exactly ZMQ_MAXMSGSIZE");
    assert!(
        forwarded("PULL-LIMITED", MAX_MSG_SIZE as usize),
        "a frame at the limit must arrive"
    );
    // A 4 GiB frame announced: disconnected at once, without our closing.
    stream
        .write_all(&long_header(0, 1 << 32))
        .expect("4 GiB header");
    await_close(&mut stream, deadline()).expect("ZMQ_MAXMSGSIZE must disconnect a 4 GiB frame");
    let disconnected = sink_until(&sink, deadline(), |frames| {
        frames.first().map(Vec::as_slice) == Some(&b"MON"[..])
            && frames
                .get(1)
                .is_some_and(|e| e.starts_with(b"Disconnected"))
    })
    .expect("sink");
    assert!(
        disconnected,
        "the server's monitor must report the disconnection"
    );
    // One byte over the limit: the same.
    let mut stream = handshake(&limited);
    stream
        .write_all(&long_header(0, MAX_MSG_SIZE as u64 + 1))
        .expect("header");
    await_close(&mut stream, deadline()).expect("one byte over ZMQ_MAXMSGSIZE must disconnect");
    // Many of them: never allocated.
    for _ in 0..200 {
        let mut stream = handshake(&limited);
        stream.write_all(&long_header(0, 1 << 32)).expect("header");
        await_close(&mut stream, deadline()).expect("disconnect");
    }
    server.assert_alive("4 GiB frames to a socket with ZMQ_MAXMSGSIZE");
    let peak_after = server.status_kb("VmPeak");
    let rss_after = server.status_kb("VmRSS");
    println!(
        "ZMQ_MAXMSGSIZE {MAX_MSG_SIZE}: 202 oversized frames refused; server VmPeak {peak_before} -> \
         {peak_after} kB, VmRSS {rss_before} -> {rss_after} kB"
    );
    assert!(
        peak_after < peak_before + 1024 * 1024,
        "with ZMQ_MAXMSGSIZE the server must never allocate an announced 4 GiB frame \
         (VmPeak {peak_before} -> {peak_after} kB)"
    );
    assert!(
        rss_after < rss_before + 64 * 1024,
        "RSS {rss_before} -> {rss_after} kB"
    );

    // Without a limit libzmq mallocs the announced size when the header arrives: the
    // address space grows by 4 GiB, but the untouched pages are not resident. Only the
    // header is sent, so nothing is ever written to them.
    let size_before = server.status_kb("VmSize");
    let mut stream = handshake(&unlimited);
    stream.write_all(&long_header(0, 1 << 32)).expect("header");
    let wait = Instant::now() + Duration::from_secs(10);
    let mut size_during = server.status_kb("VmSize");
    while size_during < size_before + 4 * 1024 * 1024 && Instant::now() < wait {
        thread::sleep(Duration::from_millis(20));
        size_during = server.status_kb("VmSize");
    }
    let rss_during = server.status_kb("VmRSS");
    let refused = size_during < size_before + 4 * 1024 * 1024;
    if refused {
        // A system that refuses the allocation (strict overcommit): libzmq drops the
        // connection with ENOMEM.
        await_close(&mut stream, deadline()).expect("a refused allocation must disconnect");
    } else {
        drop(stream);
    }
    println!(
        "no ZMQ_MAXMSGSIZE, 4 GiB frame announced: server VmSize {size_before} -> {size_during} kB \
         ({}), VmRSS {rss_during} kB",
        if refused { "malloc refused, disconnected" } else { "allocated up front, lazily backed" }
    );
    assert!(
        rss_during < rss_before + 64 * 1024,
        "the 4 GiB must not become resident"
    );
    // 2^64 - 1 cannot be allocated anywhere: disconnected.
    let mut stream = handshake(&unlimited);
    stream.write_all(&long_header(0, u64::MAX)).expect("header");
    await_close(&mut stream, deadline()).expect("a frame of 2^64-1 bytes must disconnect");
    // And a well-behaved PUSH is still served on both sockets.
    for (tag, endpoint) in [("PULL-LIMITED", &limited), ("PULL-UNLIMITED", &unlimited)] {
        let push = ctx.socket(SocketType::Push).expect("push");
        push.set_linger(0).expect("linger");
        push.connect(endpoint).expect("connect");
        push.send("after", SendFlags::empty()).expect("send");
        assert!(
            forwarded(tag, 5),
            "{tag} no longer serves a well-behaved PUSH"
        );
    }
    server.assert_alive("the maxmsgsize test");
    let status = server.stop();
    assert!(status.success(), "the server ended with {status}");
}
