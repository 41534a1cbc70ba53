//! Request-reply worker (zguide `rrworker.c`): a REP socket connected to the
//! broker's backend (`rrbroker` or `msgqueue`) answers every "Hello" with
//! "World" after a pretend second of work.
//!
//! ```text
//! cargo run --example zguide_rrworker -- [BACKEND] [--count N] [--work-ms MS]
//! ```
//!
//! `BACKEND` defaults to `tcp://127.0.0.1:5560`; `--count N` exits after N
//! requests (the C serves forever); `--work-ms` defaults to the C's 1000.
#![forbid(unsafe_code)]

#[path = "zhelpers.rs"]
mod zhelpers;
use zhelpers::{s_console, s_recv, s_send, s_sleep, Args};

fn main() -> zhelpers::Result {
    let args = Args::parse("rrworker [BACKEND] [--count N] [--work-ms MS]")?
        .only(&["count", "work-ms"])?;
    let count: Option<u64> = args.opt_some("count")?;
    let work_ms: u64 = args.opt("work-ms", 1000)?;

    let context = zmq::Context::new()?;

    //  Socket to talk to clients
    let responder = context.socket(zmq::REP)?;
    responder.connect(&args.arg(0, "tcp://127.0.0.1:5560"))?;

    let mut served = 0;
    while count != Some(served) {
        //  Wait for next request from client
        let string = s_recv(&responder)?;
        s_console(format_args!("Received request: [{string}]"));

        //  Do some 'work'
        s_sleep(work_ms);

        //  Send reply back to client
        s_send(&responder, "World")?;
        served += 1;
    }
    Ok(())
}
