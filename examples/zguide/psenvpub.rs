//! Pub-sub envelope publisher (zguide `psenvpub.c`): every message is two
//! frames, a key ("A" or "B") that subscribers filter on, and the contents.
//!
//! ```text
//! cargo run --example zguide_psenvpub -- [ENDPOINT] [--count N] [--interval-ms MS]
//! ```
//!
//! `ENDPOINT` defaults to `tcp://127.0.0.1:5563` (the C binds `tcp://*:5563`);
//! `--count N` stops after N rounds (the C runs forever); `--interval-ms`
//! defaults to the C's one second.
#![forbid(unsafe_code)]

#[path = "zhelpers.rs"]
mod zhelpers;
use zhelpers::{s_bound, s_send, s_sendmore, s_sleep, Args};

fn main() -> zhelpers::Result {
    let args = Args::parse("psenvpub [ENDPOINT] [--count N] [--interval-ms MS]")?
        .only(&["count", "interval-ms"])?;
    let count: Option<u64> = args.opt_some("count")?;
    let interval_ms: u64 = args.opt("interval-ms", 1000)?;

    //  Prepare our context and publisher
    let context = zmq::Context::new()?;
    let publisher = context.socket(zmq::PUB)?;
    publisher.bind(&args.arg(0, "tcp://127.0.0.1:5563"))?;
    s_bound(&publisher)?;

    let mut round = 0;
    while count != Some(round) {
        //  Write two messages, each with an envelope and content
        s_sendmore(&publisher, "A")?;
        s_send(&publisher, "We don't want to see this")?;
        s_sendmore(&publisher, "B")?;
        s_send(&publisher, "We would like to see this")?;
        s_sleep(interval_ms);
        round += 1;
    }
    Ok(())
}
