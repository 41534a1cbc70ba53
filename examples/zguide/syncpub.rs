//! Synchronized publisher (zguide `syncpub.c`): waits on a REP socket until
//! the expected number of subscribers have said they are ready, then
//! broadcasts its updates followed by "END", so none is lost to a slow joiner.
//!
//! ```text
//! cargo run --example zguide_syncpub -- [PUBLISH] [SYNC] [--subscribers N] [--updates M]
//! ```
//!
//! `PUBLISH` defaults to `tcp://127.0.0.1:5561`, `SYNC` to `tcp://127.0.0.1:5562`
//! (the C binds `tcp://*:…`); `--subscribers` to 10 and `--updates` to 1000000,
//! as in the C.
#![forbid(unsafe_code)]

#[path = "zhelpers.rs"]
mod zhelpers;
use zhelpers::{s_bound, s_console, s_recv, s_send, Args};

fn main() -> zhelpers::Result {
    let args = Args::parse("syncpub [PUBLISH] [SYNC] [--subscribers N] [--updates M]")?
        .only(&["subscribers", "updates"])?;
    //  We wait for 10 subscribers
    let subscribers_expected: u32 = args.opt("subscribers", 10)?;
    let updates: u32 = args.opt("updates", 1_000_000)?;

    let context = zmq::Context::new()?;

    //  Socket to talk to clients
    let publisher = context.socket(zmq::PUB)?;
    // Not in the C: no high-water mark, so a subscriber that reads slower than
    // we publish gets every update late rather than loses some (the default
    // limit of 1000 queued messages per subscriber drops the excess).
    publisher.set_sndhwm(0)?;
    publisher.bind(&args.arg(0, "tcp://127.0.0.1:5561"))?;
    s_bound(&publisher)?;

    //  Socket to receive signals
    let syncservice = context.socket(zmq::REP)?;
    syncservice.bind(&args.arg(1, "tcp://127.0.0.1:5562"))?;
    s_bound(&syncservice)?;

    //  Get synchronization from subscribers
    s_console(format_args!("Waiting for subscribers"));
    let mut subscribers = 0;
    while subscribers < subscribers_expected {
        //  - wait for synchronization request
        s_recv(&syncservice)?;
        //  - send synchronization reply
        s_send(&syncservice, "")?;
        subscribers += 1;
    }
    //  Now broadcast exactly 1M updates followed by END
    s_console(format_args!("Broadcasting messages"));
    for _ in 0..updates {
        s_send(&publisher, "Rhubarb")?;
    }
    s_send(&publisher, "END")?;
    // Dropping the sockets and the context waits (linger -1) until every
    // update has been handed to the network.
    Ok(())
}
