//! The whole echo story in one command: `cargo run --example echo_demo`.
//!
//! Servers and clients run as threads of this process and talk over TCP on
//! loopback. Each server binds `tcp://127.0.0.1:*`, so the OS picks a free port.
//!
//! * (a) One echo server (REP), one client (REQ), a round every 100 ms.
//! * (b) The server stops right after its 3rd reply and its socket is closed. The
//!   client keeps going: its next request waits in the REQ socket's queue while
//!   libzmq tries to reconnect. The server comes back on the same endpoint, the
//!   queued request is delivered, and every round completes.
//! * (c) Five clients at once, one server: REP fair-queues their requests, and
//!   each client gets exactly its own replies.
//! * (d) One client connected to two servers: REQ spreads its requests between
//!   them round robin.
//!
//! At the end it prints a summary and exits 0 only if every check held.
//! `echo_server` and `echo_client` are the same two roles as separate programs.
#![forbid(unsafe_code)]

use std::process::ExitCode;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, OnceLock};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

/// Rounds of the single client in (a) and (b).
const ROUNDS: u64 = 8;
/// The first server stops after this many replies.
const STOP_AFTER: u64 = 3;
/// How long the server stays away in (b).
const DOWNTIME: Duration = Duration::from_millis(500);
/// Clients in (c) and the rounds of each.
const CLIENTS: usize = 5;
const CLIENT_ROUNDS: u64 = 5;
/// Rounds of the client of two servers in (d).
const SPREAD_ROUNDS: u64 = 10;
/// A client sends its request again after this long without a reply (the lazy
/// pirate's timeout). It is longer than DOWNTIME, so in (b) it is libzmq's
/// reconnection that delivers the queued request, not a resend.
const REPLY_TIMEOUT_MS: i32 = 2000;
/// A demo client gives up after this many resends of one request (`echo_client`
/// never does): a demo must end, even when something is broken.
const MAX_RESENDS: u32 = 5;

type Failure = String;

fn zmq_err(what: &'static str) -> impl Fn(zmq::Error) -> Failure {
    move |e| format!("{what}: {e}")
}

/// Prints a line of the story with the time since the start.
fn log(line: std::fmt::Arguments) {
    static START: OnceLock<Instant> = OnceLock::new();
    let ms = START.get_or_init(Instant::now).elapsed().as_millis();
    println!("[{ms:>5} ms] {line}");
}

/// What a server thread did.
#[derive(Default)]
struct ServerReport {
    /// The client id of every request served, in order (requests are `<n>:<id>`).
    senders: Vec<String>,
}

/// A running echo server thread.
struct Server {
    endpoint: String,
    stop: Arc<AtomicBool>,
    thread: JoinHandle<Result<ServerReport, Failure>>,
}

impl Server {
    /// Binds a REP socket to `endpoint` and serves it from a new thread until
    /// `stop_after` requests were answered or [`Server::stop`] is called.
    fn start(
        ctx: &zmq::Context,
        endpoint: &str,
        stop_after: Option<u64>,
        verbose: bool,
    ) -> Result<Server, Failure> {
        let socket = ctx
            .socket(zmq::REP)
            .map_err(zmq_err("cannot create a REP socket"))?;
        bind_retrying(&socket, endpoint)?;
        let endpoint = socket
            .get_last_endpoint()
            .map_err(zmq_err("cannot read the bound endpoint"))?;
        // Wake up now and then to look at the stop flag.
        socket
            .set_rcvtimeo(50)
            .map_err(zmq_err("cannot set ZMQ_RCVTIMEO"))?;
        let stop = Arc::new(AtomicBool::new(false));
        let flag = Arc::clone(&stop);
        // The socket moves into the thread that alone uses it (Socket: Send, !Sync).
        let thread = thread::spawn(move || serve(socket, &flag, stop_after, verbose));
        Ok(Server {
            endpoint,
            stop,
            thread,
        })
    }

    /// Waits for the server to stop by itself after `stop_after` requests, or
    /// stops it if `client` ended first (then it would wait forever).
    fn join_while<T>(self, client: &JoinHandle<T>) -> Result<ServerReport, Failure> {
        while !self.thread.is_finished() {
            if client.is_finished() {
                return self.stop();
            }
            thread::sleep(Duration::from_millis(2));
        }
        self.join()
    }

    /// Waits for the server thread to end.
    fn join(self) -> Result<ServerReport, Failure> {
        self.thread
            .join()
            .unwrap_or_else(|_| Err("a server thread panicked".to_owned()))
    }

    /// Tells the server to stop, and waits for it.
    fn stop(self) -> Result<ServerReport, Failure> {
        self.stop.store(true, Ordering::Relaxed);
        self.join()
    }
}

/// Binds, retrying for a while when the address is still taken: the listener of a
/// server that was just closed is released by libzmq's I/O thread a moment later.
fn bind_retrying(socket: &zmq::Socket, endpoint: &str) -> Result<(), Failure> {
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        match socket.bind(endpoint) {
            Ok(()) => return Ok(()),
            Err(zmq::Error::EADDRINUSE) if Instant::now() < deadline => {
                thread::sleep(Duration::from_millis(50));
            }
            Err(e) => return Err(format!("cannot bind to {endpoint}: {e}")),
        }
    }
}

/// The echo server loop. Returning drops the socket, which closes it: the server
/// is gone, as if its process had ended.
fn serve(
    socket: zmq::Socket,
    stop: &AtomicBool,
    stop_after: Option<u64>,
    verbose: bool,
) -> Result<ServerReport, Failure> {
    let mut report = ServerReport::default();
    let mut request = zmq::Message::new();
    while !stop.load(Ordering::Relaxed) && stop_after != Some(report.senders.len() as u64) {
        match socket.recv_msg(&mut request, zmq::RecvFlags::empty()) {
            Ok(_) => {}
            Err(zmq::Error::EAGAIN | zmq::Error::EINTR) => continue,
            Err(e) => return Err(format!("server receive failed: {e}")),
        }
        let text = String::from_utf8_lossy(&request).into_owned();
        if verbose {
            log(format_args!("Server received:{text}"));
        }
        let sender = text.split_once(':').map_or("?", |(_, id)| id);
        report.senders.push(sender.to_owned());
        socket
            .send_msg(&mut request, zmq::SendFlags::empty())
            .map_err(zmq_err("server send failed"))?;
    }
    Ok(report)
}

/// What a client thread saw.
struct ClientReport {
    id: String,
    rounds: u64,
    /// The round numbers acknowledged, in order: `1..=rounds` when all went well.
    acked: Vec<u64>,
    /// Requests sent again after a timeout.
    resent: u64,
    /// Replies that were not the echo of the request (none from an echo server).
    wrong: Vec<String>,
}

impl ClientReport {
    /// Every round acknowledged once, in order, with its own reply.
    fn complete(&self) -> bool {
        self.wrong.is_empty() && self.acked.iter().copied().eq(1..=self.rounds)
    }

    fn lost(&self) -> u64 {
        self.rounds - (1..=self.rounds).filter(|n| self.acked.contains(n)).count() as u64
    }
}

/// The echo client (as in `echo_client`): `rounds` requests `<n>:<id>`, each
/// resent after a timeout until its echo arrives.
fn run_client(
    ctx: &zmq::Context,
    id: &str,
    endpoints: &[String],
    rounds: u64,
    interval: Duration,
    verbose: bool,
) -> Result<ClientReport, Failure> {
    let socket = ctx
        .socket(zmq::REQ)
        .map_err(zmq_err("cannot create a REQ socket"))?;
    socket
        .set_req_relaxed(true)
        .map_err(zmq_err("cannot set ZMQ_REQ_RELAXED"))?;
    socket
        .set_req_correlate(true)
        .map_err(zmq_err("cannot set ZMQ_REQ_CORRELATE"))?;
    socket
        .set_rcvtimeo(REPLY_TIMEOUT_MS)
        .map_err(zmq_err("cannot set ZMQ_RCVTIMEO"))?;
    socket
        .set_linger(0)
        .map_err(zmq_err("cannot set ZMQ_LINGER"))?;
    for endpoint in endpoints {
        socket
            .connect(endpoint)
            .map_err(|e| format!("cannot connect to {endpoint}: {e}"))?;
    }
    let mut report = ClientReport {
        id: id.to_owned(),
        rounds,
        acked: Vec::new(),
        resent: 0,
        wrong: Vec::new(),
    };
    let mut reply = zmq::Message::new();
    for n in 1..=rounds {
        let mut resends = 0;
        if n > 1 {
            thread::sleep(interval);
        }
        let request = format!("{n}:{id}");
        socket
            .send(&request, zmq::SendFlags::empty())
            .map_err(zmq_err("client send failed"))?;
        if verbose {
            log(format_args!("Client sent message {n}"));
        }
        loop {
            match socket.recv_msg(&mut reply, zmq::RecvFlags::empty()) {
                Ok(_) if reply == request.as_str() => {
                    report.acked.push(n);
                    if verbose {
                        log(format_args!("Client received ack:{request}"));
                    }
                    break;
                }
                Ok(_) => {
                    report
                        .wrong
                        .push(String::from_utf8_lossy(&reply).into_owned());
                    break;
                }
                Err(zmq::Error::EINTR) => continue,
                Err(zmq::Error::EAGAIN) if resends == MAX_RESENDS => {
                    return Err(format!(
                        "{id}: no reply to request {n} after {resends} resends"
                    ));
                }
                Err(zmq::Error::EAGAIN) => {
                    resends += 1;
                    socket
                        .send(&request, zmq::SendFlags::empty())
                        .map_err(zmq_err("client resend failed"))?;
                    report.resent += 1;
                    if verbose {
                        log(format_args!("Client resent message {n}"));
                    }
                }
                Err(e) => return Err(format!("client receive failed: {e}")),
            }
        }
    }
    Ok(report)
}

fn join<T>(handle: JoinHandle<Result<T, Failure>>) -> Result<T, Failure> {
    handle
        .join()
        .unwrap_or_else(|_| Err("a client thread panicked".to_owned()))
}

/// The checks of the demo, each printed as it is made.
#[derive(Default)]
struct Checks {
    failed: Vec<String>,
}

impl Checks {
    fn check(&mut self, ok: bool, what: String) {
        println!("  {} {what}", if ok { "ok  " } else { "FAIL" });
        if !ok {
            self.failed.push(what);
        }
    }
}

fn main() -> ExitCode {
    match demo() {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::FAILURE,
        Err(problem) => {
            eprintln!("echo_demo: {problem}");
            ExitCode::FAILURE
        }
    }
}

fn demo() -> Result<bool, Failure> {
    let (major, minor, patch) = zmq::version();
    println!("echo_demo: REQ/REP echo over TCP loopback, libzmq {major}.{minor}.{patch}");
    let ctx = zmq::Context::new().map_err(zmq_err("cannot create a ZeroMQ context"))?;
    let mut checks = Checks::default();
    let mut clients = Vec::new();

    // (a) One server, one client.
    println!();
    println!("(a) One echo server, one client: {ROUNDS} rounds, 100 ms apart");
    let first = Server::start(&ctx, "tcp://127.0.0.1:*", Some(STOP_AFTER), true)?;
    let endpoint = first.endpoint.clone();
    log(format_args!("Server bound to {endpoint}"));
    let pid = std::process::id().to_string();
    log(format_args!("I am {pid}"));
    let client = {
        let (ctx, endpoints) = (ctx.clone(), vec![endpoint.clone()]);
        thread::spawn(move || {
            run_client(
                &ctx,
                &pid,
                &endpoints,
                ROUNDS,
                Duration::from_millis(100),
                true,
            )
        })
    };

    // (b) The server goes away right after its 3rd reply, and comes back.
    let first = first.join_while(&client)?;
    println!();
    println!("(b) The server stops after {STOP_AFTER} replies; the client keeps going");
    log(format_args!(
        "Server stopped after {} requests (socket closed)",
        first.senders.len()
    ));
    thread::sleep(DOWNTIME);
    let second = Server::start(&ctx, &endpoint, None, true)?;
    log(format_args!(
        "Server restarted on {} after {} ms away",
        second.endpoint,
        DOWNTIME.as_millis()
    ));
    let restarted_on = second.endpoint.clone();
    let single = join(client)?;
    let second = second.stop()?;
    println!("  checks:");
    checks.check(
        restarted_on == endpoint,
        format!("the server came back on the same endpoint {endpoint}"),
    );
    checks.check(
        single.complete(),
        format!(
            "the client got acks {:?} (all of 1..={ROUNDS}, once each, in order)",
            single.acked
        ),
    );
    checks.check(
        first.senders.len() as u64 == STOP_AFTER && !second.senders.is_empty(),
        format!(
            "the first server answered {}, the restarted one {} (resends: {})",
            first.senders.len(),
            second.senders.len(),
            single.resent
        ),
    );
    let restarts_survived = u32::from(single.complete());
    clients.push(single);

    // (c) Five clients at once, one server.
    println!();
    println!("(c) {CLIENTS} clients at once, one server: {CLIENT_ROUNDS} rounds each, 20 ms apart");
    let server = Server::start(&ctx, "tcp://127.0.0.1:*", None, false)?;
    log(format_args!("Server bound to {}", server.endpoint));
    let threads: Vec<_> = (1..=CLIENTS)
        .map(|i| {
            let (ctx, endpoints) = (ctx.clone(), vec![server.endpoint.clone()]);
            thread::spawn(move || {
                let id = format!("client-{i}");
                run_client(
                    &ctx,
                    &id,
                    &endpoints,
                    CLIENT_ROUNDS,
                    Duration::from_millis(20),
                    false,
                )
            })
        })
        .collect();
    let mut five = Vec::new();
    for thread in threads {
        five.push(join(thread)?);
    }
    let served = server.stop()?;
    let order: Vec<&str> = served
        .senders
        .iter()
        .take(2 * CLIENTS)
        .map(|id| id.trim_start_matches("client-"))
        .collect();
    log(format_args!(
        "The server took {} requests; the first {} came from clients {}",
        served.senders.len(),
        order.len(),
        order.join(" ")
    ));
    println!("  checks:");
    for client in &five {
        let by_server = served.senders.iter().filter(|id| **id == client.id).count();
        checks.check(
            client.complete(),
            format!(
                "{} got its own acks {:?} (the server served it {by_server} times)",
                client.id, client.acked
            ),
        );
    }
    clients.extend(five);

    // (d) One client, two servers.
    println!();
    println!("(d) One client connected to two servers: {SPREAD_ROUNDS} rounds, round robin");
    let server_a = Server::start(&ctx, "tcp://127.0.0.1:*", None, false)?;
    let server_b = Server::start(&ctx, "tcp://127.0.0.1:*", None, false)?;
    log(format_args!(
        "Servers bound to {} and {}",
        server_a.endpoint, server_b.endpoint
    ));
    let endpoints = [server_a.endpoint.clone(), server_b.endpoint.clone()];
    let spread = run_client(
        &ctx,
        "spread",
        &endpoints,
        SPREAD_ROUNDS,
        Duration::ZERO,
        false,
    )?;
    let (a, b) = (
        server_a.stop()?.senders.len(),
        server_b.stop()?.senders.len(),
    );
    log(format_args!("Server A answered {a} requests, server B {b}"));
    println!("  checks:");
    checks.check(
        spread.complete(),
        format!("the client got acks {:?}", spread.acked),
    );
    checks.check(
        a > 0 && b > 0 && a + b == (SPREAD_ROUNDS + spread.resent) as usize,
        format!("both servers took a share ({a} + {b})"),
    );
    clients.push(spread);

    // The summary.
    let rounds: u64 = clients.iter().map(|c| c.rounds).sum();
    let done: u64 = clients.iter().map(|c| c.acked.len() as u64).sum();
    let lost: u64 = clients.iter().map(ClientReport::lost).sum();
    let resent: u64 = clients.iter().map(|c| c.resent).sum();
    let per_client: Vec<String> = clients
        .iter()
        .map(|c| format!("{}: {}", c.id, c.acked.len()))
        .collect();
    println!();
    println!("Summary:");
    println!("  rounds done:       {done} of {rounds}");
    println!("  restarts survived: {restarts_survived} of 1");
    println!("  messages lost:     {lost}");
    println!("  requests resent:   {resent}");
    println!("  acks per client:   {}", per_client.join(", "));
    println!("  load of (d):       server A {a}, server B {b}");
    if checks.failed.is_empty() && lost == 0 && done == rounds {
        println!("  result:            all checks passed");
        Ok(true)
    } else {
        println!(
            "  result:            {} check(s) FAILED",
            checks.failed.len().max(1)
        );
        Ok(false)
    }
}
