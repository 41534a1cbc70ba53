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
/// generator (no crate needed; not for cryptography). Each thread's seed comes
/// from std's `RandomState` (keys drawn from the OS once per thread) hashed with
/// the thread id, the clock and the process id, so threads started in the same
/// instant still draw different identities.
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
    use std::hash::{BuildHasher, Hash, Hasher};
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or(0);
    let mut hasher = std::collections::hash_map::RandomState::new().build_hasher();
    std::thread::current().id().hash(&mut hasher);
    nanos.hash(&mut hasher);
    std::process::id().hash(&mut hasher);
    // Never zero: xorshift would stay at zero forever.
    hasher.finish() | 1
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

/// An identity frame as text (the C's `zframe_strdup` for printing): as is when
/// every byte is printable ASCII, else as hex like `s_dump` (libzmq's generated
/// identities start with a zero byte).
pub fn s_identity(identity: &[u8]) -> String {
    if !identity.is_empty() && identity.iter().all(|&b| (32..127).contains(&b)) {
        identity.iter().map(|&b| char::from(b)).collect()
    } else {
        identity.iter().map(|b| format!("{b:02X}")).collect()
    }
}

/// The problems a pirate server or worker (`lpserver`, `spworker`, `ppworker`)
/// simulates. By default those of the C: after three cycles, each request may
/// "crash" the program or "overload" it, each with a chance of one in
/// `one_in`. For a run that must end the same way every time:
/// `--crash-after N` crashes on request N+1, `--overload-after N` is slow on
/// request N+1, and either turns the random problems off, as does
/// `--problems none`.
pub struct Problems {
    random: bool,
    crash_after: Option<u64>,
    overload_after: Option<u64>,
}

impl Problems {
    /// The option names it reads, for [`Args::only`].
    pub const OPTIONS: [&'static str; 3] = ["problems", "crash-after", "overload-after"];

    /// Reads `--problems random|none`, `--crash-after N` and `--overload-after N`.
    pub fn from_args(args: &Args) -> Result<Problems> {
        let crash_after = args.opt_some("crash-after")?;
        let overload_after = args.opt_some("overload-after")?;
        let random = match args.opt("problems", String::from("random"))?.as_str() {
            "random" => crash_after.is_none() && overload_after.is_none(),
            "none" => false,
            other => {
                return Err(format!(
                    "--problems: '{other}' is neither random nor none\nusage: {}",
                    args.usage
                )
                .into())
            }
        };
        Ok(Problems {
            random,
            crash_after,
            overload_after,
        })
    }

    /// Whether request number `cycles` (counting from 1) simulates a crash.
    pub fn crash(&self, cycles: u64, one_in: u32) -> bool {
        self.happens(cycles, one_in, self.crash_after)
    }

    /// Whether request number `cycles` (counting from 1) simulates a CPU overload.
    pub fn overload(&self, cycles: u64, one_in: u32) -> bool {
        self.happens(cycles, one_in, self.overload_after)
    }

    fn happens(&self, cycles: u64, one_in: u32, after: Option<u64>) -> bool {
        if self.random {
            cycles > 3 && randof(one_in) == 0
        } else {
            after.is_some_and(|after| cycles == after + 1)
        }
    }
}

/// One frame as `s_dump` shows it: the bytes as text when every one is
/// printable ASCII, as hex otherwise (CZMQ's `zframe_print` content).
pub fn s_frame_text(frame: &[u8]) -> String {
    if frame.iter().all(|&b| (32..=127).contains(&b)) {
        frame.iter().map(|&b| char::from(b)).collect()
    } else {
        s_strhex(frame)
    }
}

/// The bytes of a frame as uppercase hex (CZMQ's `zframe_strhex`), e.g. a
/// generated routing id `0080000001`.
pub fn s_strhex(frame: &[u8]) -> String {
    frame.iter().map(|b| format!("{b:02X}")).collect()
}

/// Prints a multipart message already received (CZMQ's `zmsg_dump`): a rule,
/// then `[size] content` per frame, as [`s_dump`] does for a socket.
pub fn s_dump_msg(frames: &[Vec<u8>]) {
    let mut out = std::io::stdout().lock();
    let _ = writeln!(out, "----------------------------------------");
    for frame in frames {
        let _ = writeln!(out, "[{:03}] {}", frame.len(), s_frame_text(frame));
    }
    let _ = out.flush();
}

/// Puts `address` and an empty delimiter in front of a message (CZMQ's
/// `zmsg_wrap`).
pub fn s_msg_wrap(frames: &mut Vec<Vec<u8>>, address: Vec<u8>) {
    frames.splice(0..0, [address, Vec::new()]);
}

/// Takes the first frame off a message, and the empty delimiter after it if
/// there is one (CZMQ's `zmsg_unwrap`). `None` for an empty message.
pub fn s_msg_unwrap(frames: &mut Vec<Vec<u8>>) -> Option<Vec<u8>> {
    if frames.is_empty() {
        return None;
    }
    let address = frames.remove(0);
    if frames.first().is_some_and(|f| f.is_empty()) {
        frames.remove(0);
    }
    Some(address)
}

/// Two connected `PAIR` sockets over a fresh `inproc://` endpoint: the pipe
/// that CZMQ's `zthread_fork` and `zactor` give an attached thread. Keep the
/// first, move the second into the thread. Both have a linger of 0, as CZMQ's
/// sockets do.
pub fn s_pipe(context: &zmq::Context) -> zmq::Result<(zmq::Socket, zmq::Socket)> {
    use std::sync::atomic::{AtomicUsize, Ordering};
    static NEXT: AtomicUsize = AtomicUsize::new(0);
    let endpoint = format!(
        "inproc://zhelpers-pipe-{}",
        NEXT.fetch_add(1, Ordering::Relaxed)
    );
    let parent = context.socket(zmq::PAIR)?;
    parent.set_linger(0)?;
    parent.bind(&endpoint)?;
    let child = context.socket(zmq::PAIR)?;
    child.set_linger(0)?;
    child.connect(&endpoint)?;
    Ok((parent, child))
}

/// What an attached thread returns: like [`Result`], but it can cross back to
/// the thread that joins it.
pub type ThreadResult<T = ()> = std::result::Result<T, Box<dyn std::error::Error + Send + Sync>>;

/// Joins an attached thread and passes its error on. A thread that stopped with
/// `ETERM` (its context shut down, the way CZMQ's `zctx_destroy` ends attached
/// threads) counts as a clean end; a panic is an error.
pub fn s_join(thread: std::thread::JoinHandle<ThreadResult>, name: &str) -> Result {
    match thread.join() {
        Ok(Ok(())) => Ok(()),
        Ok(Err(e)) if e.downcast_ref::<zmq::Error>() == Some(&zmq::Error::ETERM) => Ok(()),
        Ok(Err(e)) => Err(format!("{name}: {e}").into()),
        Err(_) => Err(format!("{name} panicked").into()),
    }
}
