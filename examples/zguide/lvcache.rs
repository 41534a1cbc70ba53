//! Last value cache (zguide `lvcache.c`): a proxy between a publisher and its
//! subscribers that keeps the last value of every topic, and uses the `XPUB`
//! subscription messages to send a new subscriber the cached value of its topic
//! at once, instead of leaving it to wait for the next update. Feed it with
//! `pathopub` and read it with `pathosub`.
//!
//! ```text
//! cargo run --example zguide_lvcache -- [FRONTEND] [BACKEND] [--seconds S]
//! ```
//!
//! `FRONTEND` (a bound `SUB` socket publishers connect to) defaults to
//! `tcp://127.0.0.1:5557` and `BACKEND` (the `XPUB` for subscribers) to
//! `tcp://127.0.0.1:5558` (the C binds `tcp://*:…`). Each subscription prints
//! `Sending cached topic <topic>`. The C runs until interrupted (so does this,
//! on SIGINT or SIGTERM); `--seconds S` stops it after S seconds.
#![forbid(unsafe_code)]

use std::collections::HashMap;
use std::time::{Duration, Instant};

#[path = "zhelpers.rs"]
mod zhelpers;
use zhelpers::{s_bound, s_console, Args};

fn main() -> zhelpers::Result {
    let args = Args::parse("lvcache [FRONTEND] [BACKEND] [--seconds S]")?.only(&["seconds"])?;
    let seconds: Option<u64> = args.opt_some("seconds")?;
    let deadline = seconds.map(|s| Instant::now() + Duration::from_secs(s));
    zmq::catch_interrupts()?;

    let context = zmq::Context::new()?;
    let frontend = context.socket(zmq::SUB)?;
    frontend.set_linger(0)?;
    frontend.bind(&args.arg(0, "tcp://127.0.0.1:5557"))?;
    s_bound(&frontend)?;
    let backend = context.socket(zmq::XPUB)?;
    backend.set_linger(0)?;
    backend.bind(&args.arg(1, "tcp://127.0.0.1:5558"))?;
    s_bound(&backend)?;

    //  Subscribe to every single topic from publisher
    frontend.set_subscribe(b"")?;

    //  Store last instance of each topic in a cache
    let mut cache: HashMap<Vec<u8>, Vec<u8>> = HashMap::new();

    //  We route topic updates from frontend to backend, and
    //  we handle subscriptions by sending whatever we cached,
    //  if anything:
    while deadline.map_or(true, |d| Instant::now() < d) {
        let mut items = [
            frontend.as_poll_item(zmq::PollEvents::POLLIN),
            backend.as_poll_item(zmq::PollEvents::POLLIN),
        ];
        match zmq::poll(&mut items, 1000) {
            Err(zmq::Error::EINTR) => break, //  Interrupted
            result => result?,
        };
        let (updates, subscriptions) = (items[0].is_readable(), items[1].is_readable());

        //  Any new topic data we cache and then forward
        if updates {
            let mut update = frontend.recv_multipart(zmq::RecvFlags::empty())?;
            // An update is a topic frame and a value frame; anything else is dropped.
            if update.len() == 2 {
                let current = update.pop().unwrap_or_default();
                let topic = update.pop().unwrap_or_default();
                cache.insert(topic.clone(), current.clone());
                backend.send(&topic, zmq::SNDMORE)?;
                backend.send(&current, zmq::SendFlags::empty())?;
            }
        }
        //  When we get a new subscription we pull data from the cache:
        if subscriptions {
            let frame = backend.recv_bytes(zmq::RecvFlags::empty())?;
            //  Event is one byte 0=unsub or 1=sub, followed by topic
            if let Some((&1, topic)) = frame.split_first() {
                s_console(format_args!(
                    "Sending cached topic {}",
                    String::from_utf8_lossy(topic)
                ));
                if let Some(previous) = cache.get(topic) {
                    backend.send(topic, zmq::SNDMORE)?;
                    backend.send(previous, zmq::SendFlags::empty())?;
                }
            }
        }
    }
    if zmq::interrupted() {
        s_console(format_args!("W: interrupt received, shutting down..."));
    }
    Ok(())
}
