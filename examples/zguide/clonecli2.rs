//! Clone client Model Two (zguide `clonecli2.c`): subscribes to the updates of
//! a `clonesrv2` first, then asks its snapshot socket for the state
//! (`ICANHAZ?`) and stores every entry up to the closing `KTHXBAI`, whose
//! sequence number says where the snapshot stands. After that it applies the
//! updates it receives, discarding those that are not newer than what it
//! already has (queued before the snapshot was taken). Not in the C: it waits
//! (at most a second) for a first update before it asks for the snapshot, so
//! that its subscription is known to be in place and no update published
//! after the snapshot can be missed.
//!
//! ```text
//! cargo run --example zguide_clonecli2 -- [SNAPSHOT] [SUBSCRIBER] [--until SEQ]
//! ```
//!
//! `SNAPSHOT` defaults to `tcp://127.0.0.1:5556` and `SUBSCRIBER` (the server's
//! publisher) to `tcp://127.0.0.1:5557` (the C connects to `localhost`). It
//! prints `Received snapshot=<seq>`. The C runs until interrupted (as this does,
//! on SIGINT); not in the C, `--until SEQ` stops it once its store is at
//! sequence SEQ or later, and it ends printing `Applied <n> updates` (those
//! newer than the snapshot) and its store as `Store: <n> entries, digest
//! <hex>`.
#![forbid(unsafe_code)]

#[path = "kvsimple.rs"]
mod kvsimple;
#[path = "zhelpers.rs"]
mod zhelpers;

use kvsimple::{kvmap_digest, Kvmap, Kvmsg};
use zhelpers::{s_console, Args};

/// How long (ms) to wait for a first update before asking for the snapshot.
const SUBSCRIPTION_WAIT_MS: i64 = 1000;

fn main() -> zhelpers::Result {
    let args = Args::parse("clonecli2 [SNAPSHOT] [SUBSCRIBER] [--until SEQ]")?.only(&["until"])?;
    let until: Option<i64> = args.opt_some("until")?;
    zmq::catch_interrupts()?;

    //  Prepare our context and subscriber
    let context = zmq::Context::new()?;
    let snapshot = context.socket(zmq::DEALER)?;
    snapshot.set_linger(0)?;
    snapshot.connect(&args.arg(0, "tcp://127.0.0.1:5556"))?;
    let subscriber = context.socket(zmq::SUB)?;
    subscriber.set_linger(0)?;
    subscriber.set_subscribe(b"")?;
    subscriber.connect(&args.arg(1, "tcp://127.0.0.1:5557"))?;

    let mut kvmap = Kvmap::new();
    let done = |sequence: i64| until.is_some_and(|until| sequence >= until);

    //  Not in the C: a subscription takes effect only once the server's PUB
    //  has received it, and the snapshot request travels on another
    //  connection, so a snapshot can be taken before that and the updates
    //  published in between never reach us (the slow joiner again; on a
    //  loaded machine the C loses one now and then). The first update to
    //  arrive proves the subscription is in place, so wait for one (at most a
    //  second, as a server may have nothing more to publish). It stays queued
    //  and is discarded below as older than the snapshot.
    let mut items = [subscriber.as_poll_item(zmq::PollEvents::POLLIN)];
    match zmq::poll(&mut items, SUBSCRIPTION_WAIT_MS) {
        Err(zmq::Error::EINTR) => {} //  Interrupted: nothing more is done
        result => {
            result?;
        }
    }

    //  Get state snapshot
    let mut sequence: i64 = 0;
    let mut applied = 0;
    let mut snapshot_done = false;
    if !zmq::interrupted() {
        snapshot.send("ICANHAZ?", zmq::SendFlags::empty())?;
    }
    while !snapshot_done && !zmq::interrupted() {
        let kvmsg = match Kvmsg::recv(&snapshot) {
            Err(zmq::Error::EINTR) => break, //  Interrupted
            result => result?,
        };
        let Some(kvmsg) = kvmsg else { continue }; //  Bogus, dropped
        if kvmsg.key() == Some("KTHXBAI") {
            sequence = kvmsg.sequence();
            s_console(format_args!("Received snapshot={sequence}"));
            snapshot_done = true; //  Done
        } else {
            kvmsg.store(&mut kvmap);
        }
    }
    //  Now apply pending updates, discard out-of-sequence messages
    while snapshot_done && !zmq::interrupted() && !done(sequence) {
        let kvmsg = match Kvmsg::recv(&subscriber) {
            Err(zmq::Error::EINTR) => break, //  Interrupted
            result => result?,
        };
        let Some(kvmsg) = kvmsg else { continue };
        if kvmsg.sequence() > sequence {
            sequence = kvmsg.sequence();
            kvmsg.store(&mut kvmap);
            applied += 1;
        }
    }
    s_console(format_args!("Applied {applied} updates"));
    s_console(format_args!("Store: {}", kvmap_digest(&kvmap, "")));
    Ok(())
}
