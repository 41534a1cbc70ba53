//! Task sink (zguide `tasksink.c`): binds a PULL socket, waits for the start of
//! a batch, collects the results of every task and prints the elapsed time.
//!
//! ```text
//! cargo run --example zguide_tasksink -- [BIND] [--tasks N]
//! ```
//!
//! `BIND` defaults to `tcp://127.0.0.1:5558` (the C binds `tcp://*:5558`),
//! `--tasks` (results to wait for) to 100, as in the C. After the elapsed time it
//! also prints how many results came in.
#![forbid(unsafe_code)]

use std::io::Write;
use std::time::Instant;

#[path = "zhelpers.rs"]
mod zhelpers;
use zhelpers::{s_bound, s_recv, Args};

fn main() -> zhelpers::Result {
    let args = Args::parse("tasksink [BIND] [--tasks N]")?.only(&["tasks"])?;
    let tasks: u32 = args.opt("tasks", 100)?;

    //  Prepare our context and socket
    let context = zmq::Context::new()?;
    let receiver = context.socket(zmq::PULL)?;
    receiver.bind(&args.arg(0, "tcp://127.0.0.1:5558"))?;
    s_bound(&receiver)?;

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
    //  Calculate and report duration of batch
    println!();
    println!(
        "Total elapsed time: {} msec",
        start_time.elapsed().as_millis()
    );
    println!("Results received: {results}");
    Ok(())
}
