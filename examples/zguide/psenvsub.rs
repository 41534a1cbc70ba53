//! Pub-sub envelope subscriber (zguide `psenvsub.c`): subscribes to the key
//! "B" and prints each message as `[key] contents`.
//!
//! ```text
//! cargo run --example zguide_psenvsub -- [ENDPOINT] [--count N]
//! ```
//!
//! `ENDPOINT` defaults to `tcp://127.0.0.1:5563`; `--count N` exits after N
//! messages (the C runs forever).
#![forbid(unsafe_code)]

#[path = "zhelpers.rs"]
mod zhelpers;
use zhelpers::{s_console, s_recv, Args};

fn main() -> zhelpers::Result {
    let args = Args::parse("psenvsub [ENDPOINT] [--count N]")?.only(&["count"])?;
    let count: Option<u64> = args.opt_some("count")?;

    //  Prepare our context and subscriber
    let context = zmq::Context::new()?;
    let subscriber = context.socket(zmq::SUB)?;
    subscriber.connect(&args.arg(0, "tcp://127.0.0.1:5563"))?;
    subscriber.set_subscribe(b"B")?;

    let mut received = 0;
    while count != Some(received) {
        //  Read envelope with address
        let address = s_recv(&subscriber)?;
        //  Read message contents
        let contents = s_recv(&subscriber)?;
        s_console(format_args!("[{address}] {contents}"));
        received += 1;
    }
    Ok(())
}
