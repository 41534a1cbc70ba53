//! Pathological publisher (zguide `pathopub.c`): sends out 1,000 topics
//! (`000` to `999`, each `Save Roger`), then one update for a random topic per
//! second (`Off with his head!`). Its subscribers, `pathosub`, each want one
//! topic; put `lvcache` between them so a late subscriber gets its topic's last
//! value at once.
//!
//! ```text
//! cargo run --example zguide_pathopub -- [CONNECT] [--bind ENDPOINT] [--topics N] [--updates N] [--interval-ms MS] [--settle-ms MS]
//! ```
//!
//! With no endpoint it binds `tcp://127.0.0.1:5556` (the C binds
//! `tcp://*:5556`); `CONNECT` connects instead, as the C does with its
//! argument (to `lvcache`'s frontend, e.g. `tcp://127.0.0.1:5557`); `--bind
//! ENDPOINT` binds there. `--topics` defaults to the C's 1000 (updates pick one
//! of them), `--interval-ms` to its one second between updates and
//! `--settle-ms` to its one second for the subscriber connection to complete
//! before the first topic. The C sends updates until interrupted (so does this,
//! on SIGINT or SIGTERM); `--updates N` stops after N.
#![forbid(unsafe_code)]

#[path = "zhelpers.rs"]
mod zhelpers;
use zhelpers::{randof, s_bound, s_send, s_sendmore, s_sleep, Args};

fn main() -> zhelpers::Result {
    let args = Args::parse(
        "pathopub [CONNECT] [--bind ENDPOINT] [--topics N] [--updates N] [--interval-ms MS] [--settle-ms MS]",
    )?
    .only(&["bind", "topics", "updates", "interval-ms", "settle-ms"])?;
    let bind: Option<String> = args.opt_some("bind")?;
    let topics: u32 = args.opt("topics", 1000)?;
    let updates: Option<u64> = args.opt_some("updates")?;
    let interval_ms: u64 = args.opt("interval-ms", 1000)?;
    let settle_ms: u64 = args.opt("settle-ms", 1000)?;
    if !(1..=1000).contains(&topics) {
        return Err("--topics must be 1 to 1000".into());
    }
    zmq::catch_interrupts()?;

    let context = zmq::Context::new()?;
    let publisher = context.socket(zmq::PUB)?;
    let connect = args.arg(0, "");
    if let Some(endpoint) = bind {
        publisher.bind(&endpoint)?;
        s_bound(&publisher)?;
    } else if !connect.is_empty() {
        publisher.connect(&connect)?;
    } else {
        publisher.bind("tcp://127.0.0.1:5556")?;
        s_bound(&publisher)?;
    }

    //  Ensure subscriber connection has time to complete
    s_sleep(settle_ms);

    //  Send out all 1,000 topic messages
    for topic_nbr in 0..topics {
        s_sendmore(&publisher, &format!("{topic_nbr:03}"))?;
        s_send(&publisher, "Save Roger")?;
    }
    //  Send one random update per second
    let mut sent = 0;
    while updates != Some(sent) && !zmq::interrupted() {
        s_sleep(interval_ms);
        let topic = format!("{:03}", randof(topics));
        match s_sendmore(&publisher, &topic) {
            Err(zmq::Error::EINTR) => break, //  Interrupted
            result => result?,
        }
        s_send(&publisher, "Off with his head!")?;
        sent += 1;
    }
    // Dropping the socket and the context waits (linger -1) until every
    // message has been handed to the network.
    Ok(())
}
