//! Clone client, model five (zguide `clonecli5.c`): asks `clonesrv5` for a
//! snapshot of its subtree (`ICANHAZ?` on a `DEALER`, answered by the values
//! then `KTHXBAI` with the snapshot's sequence number), then applies the
//! published updates of that subtree that are newer than its store (a delete
//! is an update with an empty body), and once a second pushes a random value
//! with a random time-to-live (`ttl` property, 0 to 29 seconds, 0 meaning
//! forever) to the server's collector.
//!
//! ```text
//! cargo run --example zguide_clonecli5 -- [SNAPSHOT] [SUBSCRIBER] [COLLECTOR]
//!     [--subtree S] [--interval-ms MS] [--ttl SECONDS] [--updates N]
//!     [--settle-ms MS]
//! ```
//!
//! The C connects to `tcp://localhost:5556`, `5557` and `5558`; those on
//! `127.0.0.1` are the defaults, each endpoint its own argument. `--subtree`
//! defaults to the C's `SUBTREE` (`/client/`), `--interval-ms` to its one
//! second; `--ttl` fixes the time-to-live instead of drawing it. The C runs
//! until interrupted (SIGINT or SIGTERM, as here: it prints ` Interrupted`);
//! `--updates N` stops sending after N values, and the client then ends once
//! no update has come for `--settle-ms` (default 1000). It prints the C's
//! lines (`I: received snapshot=N`, `I: received update=N`, `N messages
//! in`); not in the C, the snapshot line ends with the digest of the
//! snapshot (`keys=K checksum=C`, see `kvmsg`), an update line with the
//! key and UUID, each value sent is printed as `I: sending key=K ttl=T
//! uuid=U`, and the last line is the store's digest, `I: store keys=K
//! checksum=C`.
//!
//! Also not in the C: each value sent carries a UUID (as the model six
//! client's do), and the subscriber subscribes to the subtree only (the C
//! also subscribes to everything, which makes the subtree subscription
//! moot and fills the store with other subtrees' updates).
#![forbid(unsafe_code)]

use std::time::{Duration, Instant};

use zmq::PollEvents;

#[path = "kvmsg.rs"]
mod kvmsg;
#[path = "zhelpers.rs"]
mod zhelpers;
use kvmsg::{kvmap_digest, Kvmap, Kvmsg};
use zhelpers::{randof, s_console, Args};

const SUBTREE: &str = "/client/";

fn main() -> zhelpers::Result {
    let args = Args::parse(
        "clonecli5 [SNAPSHOT] [SUBSCRIBER] [COLLECTOR] [--subtree S] [--interval-ms MS] \
         [--ttl SECONDS] [--updates N] [--settle-ms MS]",
    )?
    .only(&["subtree", "interval-ms", "ttl", "updates", "settle-ms"])?;
    let subtree: String = args.opt("subtree", SUBTREE.to_owned())?;
    let interval = Duration::from_millis(args.opt("interval-ms", 1000)?);
    let fixed_ttl: Option<u32> = args.opt_some("ttl")?;
    let updates: Option<u64> = args.opt_some("updates")?;
    let settle = Duration::from_millis(args.opt("settle-ms", 1000)?);
    zmq::catch_interrupts()?;

    //  Prepare our context and subscriber
    let ctx = zmq::Context::new()?;
    let snapshot = ctx.socket(zmq::DEALER)?;
    snapshot.set_linger(0)?;
    snapshot.connect(&args.arg(0, "tcp://127.0.0.1:5556"))?;
    let subscriber = ctx.socket(zmq::SUB)?;
    subscriber.set_linger(0)?;
    subscriber.connect(&args.arg(1, "tcp://127.0.0.1:5557"))?;
    subscriber.set_subscribe(subtree.as_bytes())?;
    let publisher = ctx.socket(zmq::PUSH)?;
    publisher.set_linger(0)?;
    publisher.connect(&args.arg(2, "tcp://127.0.0.1:5558"))?;

    let mut kvmap = Kvmap::new();

    //  Get state snapshot
    let mut sequence: i64 = 0;
    snapshot.send("ICANHAZ?", zmq::SNDMORE)?;
    snapshot.send(&subtree, zmq::SendFlags::empty())?;
    loop {
        let kvmsg = match Kvmsg::recv(&snapshot) {
            Err(zmq::Error::EINTR) => break, //  Interrupted
            other => other?,
        };
        let Some(kvmsg) = kvmsg else { continue };
        if kvmsg.key() == "KTHXBAI" {
            sequence = kvmsg.sequence();
            s_console(format_args!(
                "I: received snapshot={sequence} {}",
                kvmap_digest(&kvmap, &subtree)
            ));
            break; //  Done
        }
        kvmsg.store(&mut kvmap);
    }

    let mut sent: u64 = 0;
    let mut last_update = Instant::now();
    let mut alarm = Instant::now() + interval;
    while !zmq::interrupted() {
        let sending = updates != Some(sent);
        if !sending && last_update.elapsed() >= settle {
            break; //  All sent, and the updates have settled
        }
        let mut items = [subscriber.as_poll_item(PollEvents::POLLIN)];
        let until = if sending { alarm } else { last_update + settle };
        let tickless = until.saturating_duration_since(Instant::now());
        match zmq::poll(&mut items, tickless.as_micros().div_ceil(1000) as i64) {
            Err(zmq::Error::EINTR) => break, //  Interrupted
            other => other?,
        };

        if items[0].is_readable() {
            let kvmsg = match Kvmsg::recv(&subscriber) {
                Err(zmq::Error::EINTR) => break, //  Interrupted
                other => other?,
            };

            //  Discard out-of-sequence kvmsgs, incl. heartbeats
            if let Some(kvmsg) = kvmsg.filter(|k| k.sequence() > sequence) {
                sequence = kvmsg.sequence();
                s_console(format_args!(
                    "I: received update={sequence} key={} uuid={}",
                    kvmsg.key(),
                    kvmsg.uuid_str()
                ));
                kvmsg.store(&mut kvmap);
                last_update = Instant::now();
            }
        }
        //  If we timed out, generate a random kvmsg
        if sending && Instant::now() >= alarm {
            let mut kvmsg = Kvmsg::new(0);
            kvmsg.set_key(&format!("{subtree}{}", randof(10000)));
            kvmsg.set_body(randof(1_000_000).to_string().as_bytes());
            let ttl = fixed_ttl.unwrap_or_else(|| randof(30));
            kvmsg.set_prop("ttl", &ttl.to_string());
            kvmsg.set_uuid();
            s_console(format_args!(
                "I: sending key={} ttl={ttl} uuid={}",
                kvmsg.key(),
                kvmsg.uuid_str()
            ));
            kvmsg.send(&publisher)?;
            sent += 1;
            alarm = Instant::now() + interval;
            last_update = Instant::now();
        }
    }
    if zmq::interrupted() {
        s_console(format_args!(" Interrupted"));
    }
    s_console(format_args!("{sequence} messages in"));
    s_console(format_args!("I: store {}", kvmap_digest(&kvmap, &subtree)));
    Ok(())
}
