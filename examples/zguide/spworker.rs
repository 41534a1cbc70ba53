//! Simple Pirate worker (zguide `spworker.c`): a REQ worker for `spqueue`. It
//! sets a printable random identity, says it is ready with a one-byte `"\x01"`
//! frame, then echoes each request (the whole envelope) after a second of
//! work; after a few cycles it randomly crashes or runs slowly.
//!
//! ```text
//! cargo run --example zguide_spworker -- [BACKEND] [--work-ms MS] [--overload-ms MS]
//!     [--problems random|none] [--crash-after N] [--overload-after N] [--count N]
//! ```
//!
//! `BACKEND` defaults to `tcp://127.0.0.1:5556` (the C's `tcp://localhost:5556`).
//! `--work-ms` defaults to the C's 1000 and `--overload-ms` to its 3000. The
//! problems are the C's by default: from the fourth request on, a crash with a
//! chance of one in five, else an overload with the same chance.
//! `--crash-after N` crashes on request N+1 instead, `--overload-after N` is
//! slow on request N+1, and `--problems none` never fails (see
//! `zhelpers::Problems`). `--count N` exits after N replies (the C serves until
//! it crashes). It prints `I: (<identity>) worker ready`, `I: (<identity>)
//! normal reply` for each reply, and `I: (<identity>) simulating a crash` or
//! `… simulating CPU overload`.
#![forbid(unsafe_code)]

#[path = "zhelpers.rs"]
mod zhelpers;
use zhelpers::{randof, s_console, s_sleep, Args, Problems};

const LRU_READY: &[u8] = b"\x01"; //  Signals worker is ready

fn main() -> zhelpers::Result {
    let args = Args::parse(
        "spworker [BACKEND] [--work-ms MS] [--overload-ms MS] [--problems random|none] \
         [--crash-after N] [--overload-after N] [--count N]",
    )?;
    let args = {
        let mut known = vec!["work-ms", "overload-ms", "count"];
        known.extend(Problems::OPTIONS);
        args.only(&known)?
    };
    let work_ms: u64 = args.opt("work-ms", 1000)?;
    let overload_ms: u64 = args.opt("overload-ms", 3000)?;
    let count: Option<u64> = args.opt_some("count")?;
    let problems = Problems::from_args(&args)?;

    let context = zmq::Context::new()?;
    let worker = context.socket(zmq::REQ)?;
    worker.set_linger(0)?; //  CZMQ's default

    //  Set random identity to make tracing easier
    let identity = format!("{:04X}-{:04X}", randof(0x10000), randof(0x10000));
    worker.set_routing_id(identity.as_bytes())?;
    worker.connect(&args.arg(0, "tcp://127.0.0.1:5556"))?;

    //  Tell broker we're ready for work
    s_console(format_args!("I: ({identity}) worker ready"));
    worker.send(LRU_READY, zmq::SendFlags::empty())?;

    let mut cycles = 0;
    while count != Some(cycles) {
        let msg = match worker.recv_multipart(zmq::RecvFlags::empty()) {
            Err(zmq::Error::EINTR) => break, //  Interrupted
            other => other?,
        };

        //  Simulate various problems, after a few cycles
        cycles += 1;
        if problems.crash(cycles, 5) {
            s_console(format_args!("I: ({identity}) simulating a crash"));
            break;
        } else if problems.overload(cycles, 5) {
            s_console(format_args!("I: ({identity}) simulating CPU overload"));
            s_sleep(overload_ms);
        }
        s_console(format_args!("I: ({identity}) normal reply"));
        s_sleep(work_ms); //  Do some heavy work
        worker.send_multipart(msg, zmq::SendFlags::empty())?;
        if count == Some(cycles) {
            // Not a crash: give the last reply time to leave.
            worker.set_linger(1000)?;
        }
    }
    Ok(())
}
