//! Broker peering simulation, part 1 (zguide `peering1.c`): prototypes the
//! state flow. Each broker publishes its (here random) number of free workers
//! to its peers on a `PUB` socket, and collects theirs on a `SUB` socket
//! connected to every peer, printing `<peer> - <n> workers free` for each. The
//! poll timeout is the broker's own heartbeat: a second without news, and it
//! sends its state.
//!
//! ```text
//! cargo run --example zguide_peering1 -- ME [YOU...] [--dir DIR] [--seconds S]
//! ```
//!
//! `ME` is this broker's name, each `YOU` a peer's. Where the C uses
//! `ipc://<name>-state.ipc` in the current directory, this uses
//! `ipc://DIR/<name>-state.ipc`, `DIR` being the system's temporary directory
//! unless `--dir` says otherwise, so that several brokers started on one
//! machine find each other. The C runs until interrupted (so does this, on
//! SIGINT or SIGTERM); `--seconds S` stops it after S seconds.
#![forbid(unsafe_code)]

use std::time::{Duration, Instant};

#[path = "zhelpers.rs"]
mod zhelpers;

use zhelpers::{randof, s_console, s_recv, Args};

/// `ipc://<dir>/<name>-<what>.ipc`, the C's `ipc://<name>-<what>.ipc`.
fn endpoint(dir: &str, name: &str, what: &str) -> String {
    format!("ipc://{dir}/{name}-{what}.ipc")
}

fn main() -> zhelpers::Result {
    let usage = "peering1 ME [YOU...] [--dir DIR] [--seconds S]";
    let args = Args::parse(usage)?.only(&["dir", "seconds"])?;
    //  First argument is this broker's name
    //  Other arguments are our peers' names
    let self_ = args.arg(0, "");
    if self_.is_empty() {
        s_console(format_args!("syntax: peering1 me {{you}}..."));
        return Err(format!("usage: {usage}").into());
    }
    let peers: Vec<String> = (1..)
        .map(|n| args.arg(n, ""))
        .take_while(|p| !p.is_empty())
        .collect();
    let dir: String = args.opt("dir", std::env::temp_dir().display().to_string())?;
    let seconds: Option<u64> = args.opt_some("seconds")?;
    let deadline = seconds.map(|s| Instant::now() + Duration::from_secs(s));
    zmq::catch_interrupts()?;
    s_console(format_args!("I: preparing broker at {self_}..."));

    let context = zmq::Context::new()?;

    //  Bind state backend to endpoint
    let statebe = context.socket(zmq::PUB)?;
    statebe.set_linger(0)?;
    statebe.bind(&endpoint(&dir, &self_, "state"))?;

    //  Connect statefe to all peers
    let statefe = context.socket(zmq::SUB)?;
    statefe.set_linger(0)?;
    statefe.set_subscribe(b"")?;
    for peer in &peers {
        s_console(format_args!("I: connecting to state backend at '{peer}'"));
        statefe.connect(&endpoint(&dir, peer, "state"))?;
    }

    //  The main loop sends out status messages to peers, and collects
    //  status messages back from peers. The zmq::poll timeout defines
    //  our own heartbeat:
    loop {
        //  Poll for activity, or 1 second timeout
        let mut timeout = Duration::from_millis(1000);
        if let Some(deadline) = deadline {
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                break;
            }
            timeout = timeout.min(left);
        }
        let mut items = [statefe.as_poll_item(zmq::PollEvents::POLLIN)];
        //  (rounded up to a whole millisecond, so no busy loop at the end)
        let timeout_ms = timeout.as_micros().div_ceil(1000) as i64;
        match zmq::poll(&mut items, timeout_ms) {
            Err(zmq::Error::EINTR) => break, //  Interrupted
            result => result?,
        };

        //  Handle incoming status messages
        if items[0].is_readable() {
            let peer_name = s_recv(&statefe)?;
            let available = s_recv(&statefe)?;
            s_console(format_args!("{peer_name} - {available} workers free"));
        } else if deadline.map_or(true, |deadline| Instant::now() < deadline) {
            //  Send random values for worker availability
            statebe.send(&self_, zmq::SNDMORE)?;
            statebe.send(format!("{}", randof(10)), zmq::SendFlags::empty())?;
        }
    }
    if zmq::interrupted() {
        s_console(format_args!("W: interrupt received, shutting down..."));
    }
    Ok(())
}
