//! Task sink, design 2 (zguide `tasksink2.c`): `tasksink` plus a PUB socket on
//! which it sends KILL to the workers (`taskwork2`) once the batch is done.
//!
//! ```text
//! cargo run --example zguide_tasksink2 -- [BIND] [CONTROLLER] [--tasks N]
//! ```
//!
//! `BIND` defaults to `tcp://127.0.0.1:5558`, `CONTROLLER` to
//! `tcp://127.0.0.1:5559` (the C binds `tcp://*:…`); `--tasks` to 100. After the
//! elapsed time it also prints how many results came in.
#![forbid(unsafe_code)]

use std::io::Write;
use std::time::Instant;

#[path = "zhelpers.rs"]
mod zhelpers;
use zhelpers::{s_bound, s_recv, s_send, s_sleep, Args};

fn main() -> zhelpers::Result {
    let args = Args::parse("tasksink2 [BIND] [CONTROLLER] [--tasks N]")?.only(&["tasks"])?;
    let tasks: u32 = args.opt("tasks", 100)?;

    let context = zmq::Context::new()?;

    //  Socket to receive messages on
    let receiver = context.socket(zmq::PULL)?;
    receiver.bind(&args.arg(0, "tcp://127.0.0.1:5558"))?;
    s_bound(&receiver)?;

    //  Socket for worker control
    let controller = context.socket(zmq::PUB)?;
    controller.bind(&args.arg(1, "tcp://127.0.0.1:5559"))?;
    s_bound(&controller)?;

    //  Wait for start of batch
    s_recv(&receiver)?;

    //  Start our clock now
    let start_time = Instant::now();

    //  Process 100 confirmations
    let mut results = 0;
    for task_nbr in 0..tasks {
        s_recv(&receiver)?;
        print!("{}", if task_nbr % 10 == 0 { ':' } else { '.' });
        std::io::stdout().flush()?;
        results += 1;
    }
    println!();
    println!(
        "Total elapsed time: {} msec",
        start_time.elapsed().as_millis()
    );
    println!("Results received: {results}");

    //  Send kill signal to workers
    s_send(&controller, "KILL")?;
    s_sleep(1000); //  Give 0MQ time to deliver
    Ok(())
}
