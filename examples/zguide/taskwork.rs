//! Task worker (zguide `taskwork.c`): pulls workloads from `taskvent`, "works"
//! (sleeps) that many milliseconds, and pushes an empty result to `tasksink`.
//!
//! ```text
//! cargo run --example zguide_taskwork -- [VENTILATOR] [SINK] [--count N]
//! ```
//!
//! `VENTILATOR` defaults to `tcp://127.0.0.1:5557`, `SINK` to
//! `tcp://127.0.0.1:5558`; `--count N` exits after N tasks (the C runs forever).
//! Each task prints its workload and a dot on a line of its own (the C prints
//! them without newlines).
#![forbid(unsafe_code)]

#[path = "zhelpers.rs"]
mod zhelpers;
use zhelpers::{s_console, s_recv, s_send, s_sleep, Args};

fn main() -> zhelpers::Result {
    let args = Args::parse("taskwork [VENTILATOR] [SINK] [--count N]")?.only(&["count"])?;
    let count: Option<u64> = args.opt_some("count")?;

    //  Socket to receive messages on
    let context = zmq::Context::new()?;
    let receiver = context.socket(zmq::PULL)?;
    receiver.connect(&args.arg(0, "tcp://127.0.0.1:5557"))?;

    //  Socket to send messages to
    let sender = context.socket(zmq::PUSH)?;
    sender.connect(&args.arg(1, "tcp://127.0.0.1:5558"))?;

    //  Process tasks forever
    let mut done = 0;
    while count != Some(done) {
        let string = s_recv(&receiver)?;
        s_console(format_args!("{string}.")); //  Show progress
        s_sleep(string.parse().unwrap_or(0)); //  Do the work
        s_send(&sender, "")?; //  Send results to sink
        done += 1;
    }
    Ok(())
}
