//! Pathological subscriber (zguide `pathosub.c`): subscribes to one random
//! topic (`000` to `999`) and prints the value of every message it receives,
//! checking that each is for its topic. Reads `pathopub` directly or through
//! `lvcache`.
//!
//! ```text
//! cargo run --example zguide_pathosub -- [ENDPOINT] [--topic NNN] [--count N]
//! ```
//!
//! `ENDPOINT` defaults to `tcp://127.0.0.1:5556` (the C's
//! `tcp://localhost:5556`; `lvcache`'s backend is `tcp://127.0.0.1:5558`).
//! `--topic` picks the topic instead of chance. The C reads until interrupted
//! (so does this, on SIGINT or SIGTERM); `--count N` stops after N messages. A
//! message for another topic is an error (the C asserts).
#![forbid(unsafe_code)]

#[path = "zhelpers.rs"]
mod zhelpers;
use zhelpers::{randof, s_console, s_recv, Args};

fn main() -> zhelpers::Result {
    let args =
        Args::parse("pathosub [ENDPOINT] [--topic NNN] [--count N]")?.only(&["topic", "count"])?;
    let count: Option<u64> = args.opt_some("count")?;
    let topic: Option<String> = args.opt_some("topic")?;
    zmq::catch_interrupts()?;

    let context = zmq::Context::new()?;
    let subscriber = context.socket(zmq::SUB)?;
    subscriber.connect(&args.arg(0, "tcp://127.0.0.1:5556"))?;

    let subscription = topic.unwrap_or_else(|| format!("{:03}", randof(1000)));
    subscriber.set_subscribe(subscription.as_bytes())?;

    let mut received = 0;
    while count != Some(received) {
        let topic = match s_recv(&subscriber) {
            Err(zmq::Error::EINTR) => break, //  Interrupted
            topic => topic?,
        };
        let data = s_recv(&subscriber)?;
        if topic != subscription {
            return Err(format!("received topic {topic}, subscribed to {subscription}").into());
        }
        s_console(format_args!("{data}"));
        received += 1;
    }
    Ok(())
}
