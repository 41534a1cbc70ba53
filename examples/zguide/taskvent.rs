//! Task ventilator (zguide `taskvent.c`): binds a PUSH socket, waits for Enter
//! (once the workers are up), tells the sink a batch starts, and pushes tasks,
//! each a workload in milliseconds, to the workers.
//!
//! ```text
//! cargo run --example zguide_taskvent -- [BIND] [SINK] [--tasks N] [--max-ms M]
//! ```
//!
//! `BIND` (where workers connect) defaults to `tcp://127.0.0.1:5557` (the C binds
//! `tcp://*:5557`), `SINK` to `tcp://127.0.0.1:5558`; `--tasks` defaults to 100 and
//! `--max-ms` (the largest workload) to 100, as in the C.
#![forbid(unsafe_code)]

#[path = "zhelpers.rs"]
mod zhelpers;
use zhelpers::{randof, s_bound, s_send, s_sleep, Args};

fn main() -> zhelpers::Result {
    let args = Args::parse("taskvent [BIND] [SINK] [--tasks N] [--max-ms M]")?
        .only(&["tasks", "max-ms"])?;
    let tasks: u32 = args.opt("tasks", 100)?;
    let max_ms: u32 = args.opt("max-ms", 100)?;
    if max_ms == 0 {
        return Err("--max-ms must be at least 1".into());
    }

    let context = zmq::Context::new()?;

    //  Socket to send messages on
    let sender = context.socket(zmq::PUSH)?;
    sender.bind(&args.arg(0, "tcp://127.0.0.1:5557"))?;
    s_bound(&sender)?;

    //  Socket to send start of batch message on
    let sink = context.socket(zmq::PUSH)?;
    sink.connect(&args.arg(1, "tcp://127.0.0.1:5558"))?;

    println!("Press Enter when the workers are ready: ");
    let mut line = String::new();
    std::io::stdin().read_line(&mut line)?;
    println!("Sending tasks to workers…");

    //  The first message is "0" and signals start of batch
    s_send(&sink, "0")?;

    //  Send tasks
    let mut total_msec = 0; //  Total expected cost in msecs
    for _ in 0..tasks {
        //  Random workload from 1 to 100msecs
        let workload = randof(max_ms) + 1;
        total_msec += workload;
        s_send(&sender, &workload.to_string())?;
    }
    println!("Total expected cost: {total_msec} msec");
    s_sleep(1000); //  Give 0MQ time to deliver
    Ok(())
}
