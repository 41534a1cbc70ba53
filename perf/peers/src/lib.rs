//! What every peer's perf binary shares: the command line (`<peer> <tool>
//! <tool's arguments>`, the tools and arguments of libzmq's perf tools), the
//! stopwatch and the output lines `perf/compare.sh` reads.
//!
//! A peer implements [`Peer`] (one async fn per tool it supports; `None` for the
//! tools its engine cannot run, e.g. zmq.rs has no `inproc://`), and its
//! binary's `main` calls [`run`]; a blocking binding (rust-zmq) implements
//! [`BlockingPeer`] and calls [`run_blocking`].

use std::future::Future;
use std::time::Instant;

/// The arguments of one tool run.
#[derive(Debug, Clone)]
pub struct Workload {
    /// `tcp://127.0.0.1:<port>` for the tcp tools, unused for inproc.
    pub endpoint: String,
    /// Bytes per message.
    pub size: usize,
    /// Messages (throughput) or roundtrips (latency).
    pub count: usize,
}

/// A future returning the elapsed microseconds of the measured part, or
/// nothing (for the side that does not measure).
pub type Outcome = Result<Option<u64>, String>;

/// The perf tools of one ZeroMQ engine. Each one returns `None` when the
/// engine does not support it; the returned future runs on a multi-threaded
/// tokio runtime (what these engines are built for).
pub trait Peer {
    /// The PULL side of tcp throughput: receives `count` messages, the clock
    /// starting after the first; returns the elapsed microseconds.
    fn local_thr(w: Workload) -> Option<impl Future<Output = Outcome> + Send>;
    /// The PUSH side: connects and sends `count` messages, writing each payload.
    fn remote_thr(w: Workload) -> Option<impl Future<Output = Outcome> + Send>;
    /// The REP side of tcp latency: echoes `count` messages.
    fn local_lat(w: Workload) -> Option<impl Future<Output = Outcome> + Send>;
    /// The REQ side: `count` roundtrips; returns the elapsed microseconds.
    fn remote_lat(w: Workload) -> Option<impl Future<Output = Outcome> + Send>;
    /// Both sides of inproc throughput in one process; returns the receiver's
    /// elapsed microseconds.
    fn inproc_thr(w: Workload) -> Option<impl Future<Output = Outcome> + Send>;
    /// Both sides of inproc latency; returns the requester's elapsed microseconds.
    fn inproc_lat(w: Workload) -> Option<impl Future<Output = Outcome> + Send>;
}

/// A stopwatch in whole microseconds, as `zmq_stopwatch_*`.
pub struct Stopwatch(Instant);

impl Stopwatch {
    pub fn start() -> Stopwatch {
        Stopwatch(Instant::now())
    }
    pub fn stop(self) -> u64 {
        u64::try_from(self.0.elapsed().as_micros()).unwrap_or(u64::MAX)
    }
}

/// Parses the command line: the tool's name and its workload, or the usage
/// line and exit status 1.
fn parse_args(peer: &str) -> (String, Workload) {
    let argv: Vec<String> = std::env::args().skip(1).collect();
    let usage = || -> ! {
        println!(
            "usage: {peer} <local_thr|remote_thr|local_lat|remote_lat> <endpoint> <size> <count>"
        );
        println!("       {peer} <inproc_thr|inproc_lat> <size> <count>");
        std::process::exit(1)
    };
    let Some(tool) = argv.first() else { usage() };
    let inproc = tool.starts_with("inproc_");
    let rest = &argv[1..];
    let (endpoint, numbers) = match (inproc, rest.len()) {
        (true, 2) => (String::new(), rest),
        (false, 3) => (rest[0].clone(), &rest[1..]),
        _ => usage(),
    };
    let parse = |s: &String| s.parse::<usize>().unwrap_or_else(|_| usage());
    let w = Workload {
        endpoint,
        size: parse(&numbers[0]),
        count: parse(&numbers[1]).max(1),
    };
    if !matches!(
        tool.as_str(),
        "local_thr" | "remote_thr" | "local_lat" | "remote_lat" | "inproc_thr" | "inproc_lat"
    ) {
        usage()
    }
    (tool.clone(), w)
}

/// Prints the C tools' lines for a tool's `result` (`None`: the engine lacks
/// the tool, exit status 2, so compare.sh leaves the cell empty; an error:
/// exit status 255).
fn report(peer: &str, tool: &str, size: usize, count: usize, result: Option<Outcome>) {
    let elapsed = match result {
        None => {
            println!("{peer} does not support {tool}");
            std::process::exit(2)
        }
        Some(Err(e)) => {
            println!("error in {tool}: {e}");
            std::process::exit(255)
        }
        Some(Ok(elapsed)) => elapsed,
    };
    if let Some(elapsed) = elapsed {
        let elapsed = elapsed.max(1) as f64;
        println!("message size: {size} [B]");
        if tool.ends_with("_thr") {
            let throughput = count as f64 / elapsed * 1_000_000.0;
            println!("message count: {count}");
            println!("mean throughput: {} [msg/s]", throughput as i64);
            println!(
                "mean throughput: {:.3} [Mb/s]",
                throughput * size as f64 * 8.0 / 1_000_000.0
            );
        } else {
            println!("roundtrip count: {count}");
            println!(
                "average latency: {:.3} [us]",
                elapsed / (count as f64 * 2.0)
            );
        }
    }
}

/// Parses the command line, runs the tool on a multi-threaded runtime and
/// prints the C tools' lines. Exit status 1 for a usage error, 2 for a tool
/// the engine lacks (compare.sh then leaves the cell empty), 255 on failure.
pub fn run<P: Peer>(peer: &str) {
    let (tool, w) = parse_args(peer);
    let (size, count) = (w.size, w.count);
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("a tokio runtime");
    let result = match tool.as_str() {
        "local_thr" => P::local_thr(w).map(|f| rt.block_on(f)),
        "remote_thr" => P::remote_thr(w).map(|f| rt.block_on(f)),
        "local_lat" => P::local_lat(w).map(|f| rt.block_on(f)),
        "remote_lat" => P::remote_lat(w).map(|f| rt.block_on(f)),
        "inproc_thr" => P::inproc_thr(w).map(|f| rt.block_on(f)),
        _ => P::inproc_lat(w).map(|f| rt.block_on(f)),
    };
    // Dropping the runtime can wait on the engine's tasks: give it a bound.
    rt.shutdown_timeout(std::time::Duration::from_secs(2));
    report(peer, &tool, size, count, result);
}

/// The perf tools of a blocking binding (one call per tool, on the calling
/// thread; no async runtime is started), e.g. rust-zmq.
pub trait BlockingPeer {
    /// As [`Peer::local_thr`].
    fn local_thr(w: Workload) -> Option<Outcome>;
    /// As [`Peer::remote_thr`].
    fn remote_thr(w: Workload) -> Option<Outcome>;
    /// As [`Peer::local_lat`].
    fn local_lat(w: Workload) -> Option<Outcome>;
    /// As [`Peer::remote_lat`].
    fn remote_lat(w: Workload) -> Option<Outcome>;
    /// As [`Peer::inproc_thr`].
    fn inproc_thr(w: Workload) -> Option<Outcome>;
    /// As [`Peer::inproc_lat`].
    fn inproc_lat(w: Workload) -> Option<Outcome>;
}

/// [`run`] for a [`BlockingPeer`]: the same command line and output, no runtime.
pub fn run_blocking<P: BlockingPeer>(peer: &str) {
    let (tool, w) = parse_args(peer);
    let (size, count) = (w.size, w.count);
    let result = match tool.as_str() {
        "local_thr" => P::local_thr(w),
        "remote_thr" => P::remote_thr(w),
        "local_lat" => P::local_lat(w),
        "remote_lat" => P::remote_lat(w),
        "inproc_thr" => P::inproc_thr(w),
        _ => P::inproc_lat(w),
    };
    report(peer, &tool, size, count, result);
}
