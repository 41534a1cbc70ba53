//! Clone client Model Three (zguide `clonecli3.c`): gets a snapshot from a
//! `clonesrv3` as model two does, then applies the updates the server
//! publishes while, every second, sending a random key-value update of its own
//! to the server's collector (`PUSH`); the server numbers it and publishes it
//! back to every client, this one included.
//!
//! ```text
//! cargo run --example zguide_clonecli3 -- [SNAPSHOT] [SUBSCRIBER] [PUBLISHER]
//!     [--updates N] [--interval MS] [--until SEQ]
//! ```
//!
//! `SNAPSHOT`, `SUBSCRIBER` (the server's publisher) and `PUBLISHER` (its
//! collector) default to `tcp://127.0.0.1:5556`, `5557` and `5558` (the C
//! connects to `localhost`). It prints `I: received snapshot=<seq>` and
//! `I: received update=<seq>` per update applied. As the C, it sends an
//! update every second until interrupted (SIGINT), then prints ` Interrupted`
//! and `<seq> messages in`. Not in the C: `--interval MS` (default 1000) is
//! the time between updates, `--updates N` stops sending after N of them,
//! `--until SEQ` ends the client once it has sent its updates and its store is
//! at sequence SEQ or later, and it ends printing its store as `Store: <n>
//! entries, digest <hex>`.
#![forbid(unsafe_code)]

use std::time::{Duration, Instant};

#[path = "kvsimple.rs"]
mod kvsimple;
#[path = "zhelpers.rs"]
mod zhelpers;

use kvsimple::{kvmap_digest, Kvmap, Kvmsg};
use zhelpers::{randof, s_console, Args};

fn main() -> zhelpers::Result {
    let usage = "clonecli3 [SNAPSHOT] [SUBSCRIBER] [PUBLISHER] [--updates N] [--interval MS] \
                 [--until SEQ]";
    let args = Args::parse(usage)?.only(&["updates", "interval", "until"])?;
    let updates: Option<u64> = args.opt_some("updates")?;
    let interval = Duration::from_millis(args.opt("interval", 1000)?);
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
    let publisher = context.socket(zmq::PUSH)?;
    publisher.set_linger(0)?;
    publisher.connect(&args.arg(2, "tcp://127.0.0.1:5558"))?;

    let mut kvmap = Kvmap::new();

    //  .split getting a state snapshot
    //  We first request a state snapshot:
    let mut sequence: i64 = 0;
    snapshot.send("ICANHAZ?", zmq::SendFlags::empty())?;
    loop {
        let kvmsg = match Kvmsg::recv(&snapshot) {
            Err(zmq::Error::EINTR) => break, //  Interrupted
            result => result?,
        };
        let Some(kvmsg) = kvmsg else { continue }; //  Bogus, dropped
        if kvmsg.key() == Some("KTHXBAI") {
            sequence = kvmsg.sequence();
            s_console(format_args!("I: received snapshot={sequence}"));
            break; //  Done
        }
        kvmsg.store(&mut kvmap);
    }
    //  .split processing state updates
    //  Now we wait for updates from the server, and every so often, we
    //  send a random key-value update to the server:

    let mut sent: u64 = 0;
    let sending = |sent: u64| updates.map_or(true, |n| sent < n);
    let done =
        |sequence: i64, sent: u64| !sending(sent) && until.is_some_and(|until| sequence >= until);
    let mut alarm = Instant::now() + interval;
    while !zmq::interrupted() && !done(sequence, sent) {
        let mut items = [subscriber.as_poll_item(zmq::PollEvents::POLLIN)];
        let tickless = if sending(sent) {
            let left = alarm.saturating_duration_since(Instant::now());
            i64::try_from(left.as_millis()).unwrap_or(i64::MAX)
        } else {
            -1 //  Nothing more to send: wait for updates only
        };
        match zmq::poll(&mut items, tickless) {
            Err(zmq::Error::EINTR) => break, //  Interrupted
            result => result?,
        };

        if items[0].is_readable() {
            let kvmsg = match Kvmsg::recv(&subscriber) {
                Err(zmq::Error::EINTR) => break, //  Interrupted
                result => result?,
            };
            //  Discard out-of-sequence kvmsgs, incl. heartbeats
            if let Some(kvmsg) = kvmsg.filter(|k| k.sequence() > sequence) {
                sequence = kvmsg.sequence();
                kvmsg.store(&mut kvmap);
                s_console(format_args!("I: received update={sequence}"));
            }
        }
        //  If we timed-out, generate a random kvmsg
        if sending(sent) && Instant::now() >= alarm {
            let mut kvmsg = Kvmsg::new(0);
            kvmsg.set_key(&format!("{}", randof(10000)));
            kvmsg.set_body(format!("{}", randof(1_000_000)).as_bytes());
            kvmsg.send(&publisher)?;
            sent += 1;
            alarm = Instant::now() + interval;
        }
    }
    if zmq::interrupted() {
        s_console(format_args!(" Interrupted"));
    }
    s_console(format_args!("{sequence} messages in"));
    s_console(format_args!("Store: {}", kvmap_digest(&kvmap, "")));
    Ok(())
}
