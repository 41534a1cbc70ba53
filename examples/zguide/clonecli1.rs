//! Clone client Model One (zguide `clonecli1.c`): subscribes to everything a
//! `clonesrv1` publishes and stores each key-value update it receives. It only
//! sees the updates published after it joined, so its store is never the
//! server's: the problem the later models solve.
//!
//! ```text
//! cargo run --example zguide_clonecli1 -- [UPDATES] [--updates N]
//! ```
//!
//! `UPDATES` (the server's publisher) defaults to `tcp://127.0.0.1:5556` (the C
//! connects to `tcp://localhost:5556`). Like the C it runs until interrupted
//! (SIGINT), then prints ` Interrupted` and `<N> messages in`; `--updates N`
//! stops it after N updates instead. Not in the C, it prints the sequence
//! number of the first update it got as `First sequence=<seq>` and, at the
//! end, its store as `Store: <n> entries, digest <hex>`.
#![forbid(unsafe_code)]

#[path = "kvsimple.rs"]
mod kvsimple;
#[path = "zhelpers.rs"]
mod zhelpers;

use kvsimple::{kvmap_digest, Kvmap, Kvmsg};
use zhelpers::{s_console, Args};

fn main() -> zhelpers::Result {
    let args = Args::parse("clonecli1 [UPDATES] [--updates N]")?.only(&["updates"])?;
    let updates: Option<i64> = args.opt_some("updates")?;
    zmq::catch_interrupts()?;

    //  Prepare our context and updates socket
    let context = zmq::Context::new()?;
    let subscriber = context.socket(zmq::SUB)?;
    subscriber.set_linger(0)?;
    subscriber.set_subscribe(b"")?;
    subscriber.connect(&args.arg(0, "tcp://127.0.0.1:5556"))?;

    let mut kvmap = Kvmap::new();
    let mut sequence: i64 = 0;

    while updates.map_or(true, |n| sequence < n) {
        let kvmsg = match Kvmsg::recv(&subscriber) {
            Err(zmq::Error::EINTR) => break, //  Interrupted
            result => result?,
        };
        let Some(kvmsg) = kvmsg else { continue }; //  Bogus, dropped
        if sequence == 0 {
            s_console(format_args!("First sequence={}", kvmsg.sequence()));
        }
        kvmsg.store(&mut kvmap);
        sequence += 1;
    }
    if zmq::interrupted() {
        s_console(format_args!(" Interrupted"));
    }
    s_console(format_args!("{sequence} messages in"));
    s_console(format_args!("Store: {}", kvmap_digest(&kvmap, "")));
    Ok(())
}
