//! Paranoid Pirate worker (zguide `ppworker.c`): a DEALER worker for
//! `ppqueue`. It says it is ready with `"\x01"`, sends a `"\x02"` heartbeat
//! every interval, and counts the queue as alive while anything (a request or
//! a heartbeat) arrives: after `HEARTBEAT_LIVENESS` silent intervals it waits,
//! with exponential back-off, and reconnects on a new socket. It echoes each
//! request (a three-frame envelope and body); after a few cycles it randomly
//! crashes or runs slowly.
//!
//! ```text
//! cargo run --example zguide_ppworker -- [BACKEND] [--heartbeat-ms MS] [--liveness N]
//!     [--interval-init MS] [--interval-max MS] [--work-ms MS] [--overload-ms MS]
//!     [--problems random|none] [--crash-after N] [--overload-after N] [--count N]
//! ```
//!
//! `BACKEND` defaults to `tcp://127.0.0.1:5556` (the C's `tcp://localhost:5556`).
//! The defaults are the C's constants: `--heartbeat-ms` 1000
//! (`HEARTBEAT_INTERVAL`), `--liveness` 3 (`HEARTBEAT_LIVENESS`),
//! `--interval-init` 1000 and `--interval-max` 32000 (the reconnect back-off),
//! `--work-ms` 1000 and `--overload-ms` 3000. The problems are the C's by
//! default: from the fourth request on, a crash with a chance of one in five,
//! else an overload with the same chance. `--crash-after N` crashes on request
//! N+1 instead, `--overload-after N` is slow on request N+1, and
//! `--problems none` never fails (see `zhelpers::Problems`). `--count N` exits
//! after N replies (the C serves until it crashes).
//!
//! Not in the C: each socket gets a printable random identity, printed as
//! `I: worker ready (<identity>)`, so the queue's messages name the worker.
#![forbid(unsafe_code)]

use std::time::{Duration, Instant};

use zmq::PollEvents;

#[path = "zhelpers.rs"]
mod zhelpers;
use zhelpers::{s_console, s_identity, s_set_id, s_sleep, Args, Problems};

const HEARTBEAT_LIVENESS: u32 = 3; //  3-5 is reasonable
const HEARTBEAT_INTERVAL: u64 = 1000; //  msecs
const INTERVAL_INIT: u64 = 1000; //  Initial reconnect
const INTERVAL_MAX: u64 = 32000; //  After exponential backoff

//  Paranoid Pirate Protocol constants
const PPP_READY: &[u8] = b"\x01"; //  Signals worker is ready
const PPP_HEARTBEAT: &[u8] = b"\x02"; //  Signals worker heartbeat

//  Helper function that returns a new configured socket
//  connected to the Paranoid Pirate queue
fn s_worker_socket(ctx: &zmq::Context, backend: &str) -> zmq::Result<zmq::Socket> {
    let worker = ctx.socket(zmq::DEALER)?;
    worker.set_linger(0)?; //  CZMQ's default
    s_set_id(&worker)?;
    worker.connect(backend)?;

    //  Tell queue we're ready for work
    let identity = s_identity(&worker.get_routing_id()?);
    s_console(format_args!("I: worker ready ({identity})"));
    worker.send(PPP_READY, zmq::SendFlags::empty())?;

    Ok(worker)
}

/// Prints a message the worker does not understand (CZMQ's `zmsg_dump`).
fn dump(msg: &[Vec<u8>]) {
    s_console(format_args!("E: invalid message"));
    for frame in msg {
        s_console(format_args!("[{:03}] {}", frame.len(), s_identity(frame)));
    }
}

fn main() -> zhelpers::Result {
    let args = Args::parse(
        "ppworker [BACKEND] [--heartbeat-ms MS] [--liveness N] [--interval-init MS] \
         [--interval-max MS] [--work-ms MS] [--overload-ms MS] [--problems random|none] \
         [--crash-after N] [--overload-after N] [--count N]",
    )?;
    let args = {
        let mut known = vec![
            "heartbeat-ms",
            "liveness",
            "interval-init",
            "interval-max",
            "work-ms",
            "overload-ms",
            "count",
        ];
        known.extend(Problems::OPTIONS);
        args.only(&known)?
    };
    let backend = args.arg(0, "tcp://127.0.0.1:5556");
    let heartbeat_interval: u64 = args.opt("heartbeat-ms", HEARTBEAT_INTERVAL)?;
    let heartbeat_liveness: u32 = args.opt("liveness", HEARTBEAT_LIVENESS)?;
    let interval_init: u64 = args.opt("interval-init", INTERVAL_INIT)?;
    let interval_max: u64 = args.opt("interval-max", INTERVAL_MAX)?;
    let work_ms: u64 = args.opt("work-ms", 1000)?;
    let overload_ms: u64 = args.opt("overload-ms", 3000)?;
    let count: Option<u64> = args.opt_some("count")?;
    let problems = Problems::from_args(&args)?;

    let ctx = zmq::Context::new()?;
    let mut worker = s_worker_socket(&ctx, &backend)?;

    //  If liveness hits zero, queue is considered disconnected
    let mut liveness = heartbeat_liveness;
    let mut interval = interval_init;

    //  Send out heartbeats at regular intervals
    let mut heartbeat_at = Instant::now() + Duration::from_millis(heartbeat_interval);

    let mut cycles = 0;
    loop {
        let mut items = [worker.as_poll_item(PollEvents::POLLIN)];
        match zmq::poll(&mut items, heartbeat_interval as i64) {
            Err(zmq::Error::EINTR) => break, //  Interrupted
            other => other?,
        };

        if items[0].is_readable() {
            //  Get message
            //  - 3-part envelope + content -> request
            //  - 1-part HEARTBEAT -> heartbeat
            let msg = worker.recv_multipart(zmq::RecvFlags::empty())?;

            if msg.len() == 3 {
                //  Simulate various problems, after a few cycles
                cycles += 1;
                if problems.crash(cycles, 5) {
                    s_console(format_args!("I: simulating a crash"));
                    break;
                } else if problems.overload(cycles, 5) {
                    s_console(format_args!("I: simulating CPU overload"));
                    s_sleep(overload_ms);
                }
                s_console(format_args!("I: normal reply"));
                worker.send_multipart(msg, zmq::SendFlags::empty())?;
                liveness = heartbeat_liveness;
                s_sleep(work_ms); //  Do some heavy work
                if count == Some(cycles) {
                    // Not a crash: give the last reply time to leave.
                    worker.set_linger(1000)?;
                    break;
                }
            } else if msg.len() == 1 {
                if msg[0] == PPP_HEARTBEAT {
                    liveness = heartbeat_liveness;
                } else {
                    dump(&msg);
                }
            } else {
                dump(&msg);
            }
            interval = interval_init;
        } else {
            liveness = liveness.saturating_sub(1);
            if liveness == 0 {
                s_console(format_args!("W: heartbeat failure, can't reach queue"));
                s_console(format_args!("W: reconnecting in {interval} msec..."));
                s_sleep(interval);

                if interval < interval_max {
                    interval *= 2;
                }
                drop(worker);
                worker = s_worker_socket(&ctx, &backend)?;
                liveness = heartbeat_liveness;
            }
        }

        //  Send heartbeat to queue if it's time
        if Instant::now() > heartbeat_at {
            heartbeat_at = Instant::now() + Duration::from_millis(heartbeat_interval);
            s_console(format_args!("I: worker heartbeat"));
            worker.send(PPP_HEARTBEAT, zmq::SendFlags::empty())?;
        }
    }
    Ok(())
}
