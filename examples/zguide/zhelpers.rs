//! The zguide's `zhelpers.h`, for the ported examples: string frames
//! (`s_recv`, `s_send`, `s_sendmore`), `s_dump`, `s_set_id`, `s_sleep`, `randof`,
//! plus a tiny command-line reader so every example takes its endpoints and
//! counts as arguments.
//!
//! Each example includes it with `#[path = "zhelpers.rs"] mod zhelpers;`; it is
//! not an example of its own (no `[[example]]` entry, and Cargo only discovers
//! `examples/*.rs` and `examples/*/main.rs`). Not every example uses every helper.
#![allow(dead_code)]

use std::cell::Cell;
use std::io::Write;
use std::str::FromStr;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// What an example returns from `main`: any error ends it with a message.
pub type Result<T = ()> = std::result::Result<T, Failure>;

/// Any error an example stops on. Returned from `main`, it prints as
/// `Error: <message>` (its `Debug` is the error's `Display`) and the exit code
/// is 1.
pub struct Failure(Box<dyn std::error::Error>);

impl<E: Into<Box<dyn std::error::Error>>> From<E> for Failure {
    fn from(error: E) -> Failure {
        Failure(error.into())
    }
}

impl std::fmt::Debug for Failure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        std::fmt::Display::fmt(&self.0, f)
    }
}

/// Receives one frame as a string (`s_recv`). The C returns NULL when the context
/// is terminated or the call is interrupted; here that is the `Err`. Frames that
/// are not UTF-8 come back with U+FFFD in place of the bad bytes.
pub fn s_recv(socket: &zmq::Socket) -> zmq::Result<String> {
    let message = socket.recv_message(zmq::RecvFlags::empty())?;
    Ok(String::from_utf8_lossy(&message).into_owned())
}

/// Sends a string as one frame, the last of its message (`s_send`).
pub fn s_send(socket: &zmq::Socket, string: &str) -> zmq::Result<()> {
    socket.send(string, zmq::SendFlags::empty())
}

/// Sends a string as one frame with more to follow (`s_sendmore`).
pub fn s_sendmore(socket: &zmq::Socket, string: &str) -> zmq::Result<()> {
    socket.send(string, zmq::SNDMORE)
}

/// Receives every frame of one message and prints them (`s_dump`): a rule, then
/// `[size] content` per frame, the content as text when every byte is printable
/// ASCII and as hex otherwise.
pub fn s_dump(socket: &zmq::Socket) -> zmq::Result<()> {
    let mut out = std::io::stdout().lock();
    let _ = writeln!(out, "----------------------------------------");
    let mut message = zmq::Message::new();
    loop {
        //  Process all parts of the message
        let size = socket.recv_msg(&mut message, zmq::RecvFlags::empty())?;
        //  Dump the message as text or binary
        let is_text = message.iter().all(|&b| (32..=127).contains(&b));
        let content: String = if is_text {
            message.iter().map(|&b| char::from(b)).collect()
        } else {
            message.iter().map(|b| format!("{b:02X}")).collect()
        };
        let _ = writeln!(out, "[{size:03}] {content}");
        if !message.more() {
            break; //  Last message part
        }
    }
    let _ = out.flush();
    Ok(())
}

/// Sets a random printable identity such as `0A3F-91C2` (`s_set_id`).
pub fn s_set_id(socket: &zmq::Socket) -> zmq::Result<()> {
    let identity = format!("{:04X}-{:04X}", randof(0x10000), randof(0x10000));
    socket.set_routing_id(identity.as_bytes())
}

/// Sleeps for a number of milliseconds (`s_sleep`).
pub fn s_sleep(msecs: u64) {
    std::thread::sleep(Duration::from_millis(msecs));
}

/// A random number in `0..num` (`randof`), from a small per-thread xorshift
/// generator seeded with the clock and the process id (no crate needed; not for
/// cryptography).
pub fn randof(num: u32) -> u32 {
    thread_local! {
        static STATE: Cell<u64> = Cell::new(seed());
    }
    STATE.with(|state| {
        let mut x = state.get();
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        state.set(x);
        (((x >> 32) * u64::from(num)) >> 32) as u32
    })
}

fn seed() -> u64 {
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_nanos() as u64)
        .unwrap_or(0);
    let thread = std::thread::current().id();
    let mix = format!("{thread:?}").len() as u64;
    // Never zero: xorshift would stay at zero forever.
    (nanos ^ (u64::from(std::process::id()) << 32) ^ mix.rotate_left(17)) | 1
}

/// Prints `Bound to <endpoint>` for a socket just bound (the tests read the
/// ephemeral port from it) and flushes stdout.
pub fn s_bound(socket: &zmq::Socket) -> zmq::Result<()> {
    let endpoint = socket.get_last_endpoint()?;
    s_console(format_args!("Bound to {endpoint}"));
    Ok(())
}

/// Prints one line and flushes it at once, so a reader on a pipe sees it now.
pub fn s_console(line: std::fmt::Arguments) {
    let mut out = std::io::stdout().lock();
    let _ = writeln!(out, "{line}");
    let _ = out.flush();
}

/// The command line of an example: positional arguments (endpoints, filters)
/// and `--name value` options (counts, times).
pub struct Args {
    usage: &'static str,
    positional: Vec<String>,
    options: Vec<(String, String)>,
}

impl Args {
    /// Reads `std::env::args()`; `usage` is shown with any mistake.
    pub fn parse(usage: &'static str) -> Result<Args> {
        let mut args = Args {
            usage,
            positional: Vec::new(),
            options: Vec::new(),
        };
        let mut raw = std::env::args().skip(1);
        while let Some(arg) = raw.next() {
            if arg == "--help" || arg == "-h" {
                println!("usage: {usage}");
                std::process::exit(0);
            } else if let Some(name) = arg.strip_prefix("--") {
                let value = raw
                    .next()
                    .ok_or_else(|| format!("--{name} needs a value\nusage: {usage}"))?;
                args.options.push((name.to_owned(), value));
            } else {
                args.positional.push(arg);
            }
        }
        Ok(args)
    }

    /// The positional argument at `index`, or `default`.
    pub fn arg(&self, index: usize, default: &str) -> String {
        self.positional
            .get(index)
            .cloned()
            .unwrap_or_else(|| default.to_owned())
    }

    /// The value of `--name`, parsed, or `default` when absent.
    pub fn opt<T: FromStr>(&self, name: &str, default: T) -> Result<T> {
        match self.options.iter().rev().find(|(n, _)| n == name) {
            None => Ok(default),
            Some((_, value)) => value.parse().map_err(|_| {
                format!("--{name}: '{value}' is not valid\nusage: {}", self.usage).into()
            }),
        }
    }

    /// The value of `--name` if given, parsed.
    pub fn opt_some<T: FromStr>(&self, name: &str) -> Result<Option<T>> {
        match self.options.iter().rev().find(|(n, _)| n == name) {
            None => Ok(None),
            Some((_, value)) => value.parse().map(Some).map_err(|_| {
                format!("--{name}: '{value}' is not valid\nusage: {}", self.usage).into()
            }),
        }
    }

    /// Fails on an option not in `known`, so a typo is not silently ignored.
    pub fn only(self, known: &[&str]) -> Result<Args> {
        for (name, _) in &self.options {
            if !known.contains(&name.as_str()) {
                return Err(format!("unknown option --{name}\nusage: {}", self.usage).into());
            }
        }
        Ok(self)
    }
}
