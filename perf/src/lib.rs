//! Helpers shared by the Rust ports of libzmq's perf tools (`perf/src/bin/*`).
//!
//! Everything here stays off the measured hot paths: argument parsing, the
//! stopwatch (`zmq_stopwatch_start`/`_stop` in C: `CLOCK_MONOTONIC`, in whole
//! microseconds) and the error exit that mirrors the C tools' `return -1`.
#![forbid(unsafe_code)]

use std::fmt::Display;
use std::time::{Duration, Instant};

use zmq::{Message, RecvFlags, Socket};

pub mod inproc_thr;
pub mod senders;

/// Prints `error in <what>: <err>` like the C tools and exits with status 255
/// (C's `return -1` from `main`).
pub fn fail(what: &str, err: impl Display) -> ! {
    println!("error in {what}: {err}");
    std::process::exit(255)
}

/// Prints `msg` (the C tools' other error lines) and exits with status 255.
pub fn fail_msg(msg: &str) -> ! {
    println!("{msg}");
    std::process::exit(255)
}

/// The command-line arguments after the program name, or the usage line (and exit
/// status 1, as in C) when their number is not one of `counts`.
pub fn args(counts: &[usize], usage: &str) -> Vec<String> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if !counts.contains(&args.len()) {
        println!("{usage}");
        std::process::exit(1);
    }
    args
}

/// Like [`args`], for arguments already taken from the command line (a tool
/// that is a subcommand, e.g. `async_perf local_thr ...`).
pub fn args_from(args: Vec<String>, counts: &[usize], usage: &str) -> Vec<String> {
    if !counts.contains(&args.len()) {
        println!("{usage}");
        std::process::exit(1);
    }
    args
}

/// Parses a numeric argument; where C's `atoi` would quietly read garbage as 0,
/// this prints the problem and exits with status 1.
pub fn number<T: std::str::FromStr>(arg: &str, name: &str) -> T {
    match arg.trim().parse() {
        Ok(v) => v,
        Err(_) => {
            println!("invalid {name}: {arg:?}");
            std::process::exit(1)
        }
    }
}

/// `zmq_stopwatch_start` / `zmq_stopwatch_stop`: elapsed whole microseconds on the
/// monotonic clock.
#[derive(Debug, Clone, Copy)]
pub struct Stopwatch(Instant);

impl Stopwatch {
    /// Starts measuring.
    pub fn start() -> Stopwatch {
        Stopwatch(Instant::now())
    }

    /// Microseconds since [`Stopwatch::start`] (C's `unsigned long`).
    pub fn stop(self) -> u64 {
        u64::try_from(self.0.elapsed().as_micros()).unwrap_or(u64::MAX)
    }
}

/// C's `(int) x` for a non-negative double (truncation toward zero; out-of-range
/// values saturate instead of being undefined).
pub fn c_int(x: f64) -> i32 {
    x as i32
}

/// Parses a message or roundtrip count, which must be at least 1 (with 0 the C
/// tools wait forever for a message that never comes).
pub fn count<T: std::str::FromStr + PartialOrd + From<u8>>(arg: &str, name: &str) -> T {
    let n: T = number(arg, name);
    if n < T::from(1) {
        println!("invalid {name}: {arg:?} (at least 1)");
        std::process::exit(1)
    }
    n
}

/// Like [`args`], for the latency tools, which also take `--spin=<microseconds>`
/// anywhere among their arguments: receive with [`Socket::recv_msg_spin`],
/// spinning that long before blocking (see [`recv`]). Returns the other
/// arguments and the spin (`None` without the option: plain blocking receives,
/// as C).
pub fn args_with_spin(counts: &[usize], usage: &str) -> (Vec<String>, Option<Duration>) {
    let mut spin = None;
    let mut rest = Vec::new();
    for arg in std::env::args().skip(1) {
        match arg.strip_prefix("--spin=") {
            Some(us) => spin = Some(Duration::from_micros(number(us, "--spin (microseconds)"))),
            None => rest.push(arg),
        }
    }
    let usage = format!("{usage} [--spin=<microseconds>]");
    (args_from(rest, counts, &usage), spin)
}

/// One blocking receive: `recv_msg` (`zmq_msg_recv`), or with a spin
/// `recv_msg_spin` (non-blocking tries for that long, then `zmq_msg_recv`).
#[inline]
pub fn recv(s: &Socket, msg: &mut Message, spin: Option<Duration>) -> zmq::Result<usize> {
    match spin {
        None => s.recv_msg(msg, RecvFlags::empty()),
        Some(spin) => s.recv_msg_spin(msg, spin),
    }
}

/// What the tcp throughput tools (`local_thr`, `remote_thr`,
/// `remote_thr_shared`) take besides C's arguments, anywhere on the command
/// line, to try libzmq's own knobs (perf/batch_thr.py):
///
/// * `--batch=<bytes>`: `ZMQ_IN_BATCH_SIZE` and `ZMQ_OUT_BATCH_SIZE` (draft
///   options of libzmq 4.3.5, default 8192: how many bytes the I/O thread
///   reads from, or writes to, the network at once). Needs this crate's
///   `draft` feature (`cargo build --release -p zmq-perf --features draft`).
/// * `--io-threads=<n>`: the context's `ZMQ_IO_THREADS` (default 1).
#[derive(Debug, Clone, Copy, Default)]
pub struct ThrOptions {
    /// `--batch=<bytes>`.
    pub batch: Option<i32>,
    /// `--io-threads=<n>`.
    pub io_threads: Option<i32>,
}

/// Like [`args`], also taking the [`ThrOptions`] out of the command line.
pub fn args_with_thr_options(counts: &[usize], usage: &str) -> (Vec<String>, ThrOptions) {
    let mut options = ThrOptions::default();
    let mut rest = Vec::new();
    for arg in std::env::args().skip(1) {
        if let Some(v) = arg.strip_prefix("--batch=") {
            options.batch = Some(number(v, "--batch (bytes)"));
        } else if let Some(v) = arg.strip_prefix("--io-threads=") {
            options.io_threads = Some(number(v, "--io-threads"));
        } else {
            rest.push(arg);
        }
    }
    if options.batch.is_some() && !cfg!(feature = "draft") {
        fail_msg("--batch needs the draft API: cargo build --release -p zmq-perf --features draft");
    }
    let usage = format!("{usage} [--batch=<bytes>] [--io-threads=<n>]");
    (args_from(rest, counts, &usage), options)
}

impl ThrOptions {
    /// Applies `--io-threads` to a new context (before its first socket).
    pub fn apply_to_context(&self, ctx: &zmq::Context) {
        if let Some(n) = self.io_threads {
            ctx.set_io_threads(n)
                .unwrap_or_else(|e| fail("zmq_ctx_set (ZMQ_IO_THREADS)", e));
        }
    }

    /// Applies `--batch` to a socket (before it binds or connects).
    pub fn apply_to_socket(&self, s: &Socket) {
        #[cfg(feature = "draft")]
        if let Some(bytes) = self.batch {
            s.set_in_batch_size(bytes)
                .unwrap_or_else(|e| fail("zmq_setsockopt (ZMQ_IN_BATCH_SIZE)", e));
            s.set_out_batch_size(bytes)
                .unwrap_or_else(|e| fail("zmq_setsockopt (ZMQ_OUT_BATCH_SIZE)", e));
        }
        #[cfg(not(feature = "draft"))]
        let _ = s;
    }
}
