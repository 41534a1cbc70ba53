//! Clone server Model One (zguide `clonesrv1.c`): publishes an endless stream
//! of random key-value updates (`kvsimple` messages, each with the next
//! sequence number) on a `PUB` socket and keeps them in its own store. There
//! is no way for a client that joins late to get the state it missed: that is
//! what the later models add. Read it with `clonecli1`.
//!
//! ```text
//! cargo run --example zguide_clonesrv1 -- [PUBLISHER] [--updates N]
//! ```
//!
//! `PUBLISHER` defaults to `tcp://127.0.0.1:5556` (the C binds `tcp://*:5556`).
//! Like the C it publishes as fast as it can until interrupted (SIGINT), then
//! prints ` Interrupted` and `<N> messages out`; `--updates N` stops it after N
//! updates instead. Not in the C, it then prints its store as
//! `Store: <n> entries, digest <hex>` (see `kvsimple::kvmap_digest`).
#![forbid(unsafe_code)]

#[path = "kvsimple.rs"]
mod kvsimple;
#[path = "zhelpers.rs"]
mod zhelpers;

use kvsimple::{kvmap_digest, Kvmap, Kvmsg};
use zhelpers::{randof, s_bound, s_console, s_sleep, Args};

fn main() -> zhelpers::Result {
    let args = Args::parse("clonesrv1 [PUBLISHER] [--updates N]")?.only(&["updates"])?;
    let updates: Option<i64> = args.opt_some("updates")?;
    zmq::catch_interrupts()?;

    //  Prepare our context and publisher socket
    let context = zmq::Context::new()?;
    let publisher = context.socket(zmq::PUB)?;
    publisher.set_linger(0)?;
    publisher.bind(&args.arg(0, "tcp://127.0.0.1:5556"))?;
    s_bound(&publisher)?;
    s_sleep(200);

    let mut kvmap = Kvmap::new();
    let mut sequence: i64 = 0;

    while !zmq::interrupted() && updates.map_or(true, |n| sequence < n) {
        //  Distribute as key-value message
        sequence += 1;
        let mut kvmsg = Kvmsg::new(sequence);
        kvmsg.set_key(&format!("{}", randof(10000)));
        kvmsg.set_body(format!("{}", randof(1_000_000)).as_bytes());
        match kvmsg.send(&publisher) {
            Err(zmq::Error::EINTR) => break, //  Interrupted
            result => result?,
        }
        kvmsg.store(&mut kvmap);
    }
    if zmq::interrupted() {
        s_console(format_args!(" Interrupted"));
    }
    s_console(format_args!("{sequence} messages out"));
    s_console(format_args!("Store: {}", kvmap_digest(&kvmap, "")));
    Ok(())
}
