//! Suicidal Snail (zguide `suisnail.c`, chapter 4): a publisher thread sends
//! its clock, in milliseconds, every millisecond; a subscriber thread prints
//! each message and works for 1 to 2 ms on it, so it falls behind. When a
//! message arrives more than a second late the subscriber knows it cannot keep
//! up, prints `E: subscriber cannot keep up, aborting` on stderr and kills
//! itself; it tells the main thread on its pipe, and the main thread stops the
//! publisher through the publisher's pipe. Both threads are attached to the
//! main one by `PAIR` pipes (CZMQ's `zthread_fork`).
//!
//! ```text
//! cargo run --example zguide_suisnail -- [ENDPOINT] [--max-delay-ms MS] [--publish-ms MS]
//!     [--work-ms MS] [--work-random-ms N] [--messages N]
//! ```
//!
//! `ENDPOINT` (bound by the publisher) defaults to `tcp://127.0.0.1:*`, a free
//! port (the C binds `tcp://*:5556`); the subscriber connects to the port it
//! got. The C's constants are options: `--max-delay-ms` is its
//! `MAX_ALLOWED_DELAY` of 1000, `--publish-ms` the publisher's 1 ms wait,
//! `--work-ms` and `--work-random-ms` the subscriber's work of 1 ms plus a
//! random `0..2` ms. Not in the C: with `--messages N` a subscriber that is
//! still on time after N messages stops there and prints
//! `I: subscriber kept up with N messages`. The clock is the wall clock in
//! milliseconds since the Unix epoch (CZMQ's `zclock_time`). A message the
//! subscriber cannot read as a number is an error (the C asserts).
#![forbid(unsafe_code)]

use std::time::{SystemTime, UNIX_EPOCH};

#[path = "zhelpers.rs"]
mod zhelpers;
use zhelpers::{
    randof, s_bound, s_console, s_join, s_pipe, s_recv, s_send, s_sleep, Args, ThreadResult,
};

/// The wall clock in milliseconds since the Unix epoch (`zclock_time`).
fn zclock_time() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
}

/// The subscriber's pace and patience (the C's constants).
#[derive(Clone, Copy)]
struct Snail {
    max_allowed_delay: i64, //  msecs
    work_ms: u64,           //  Work per message, msecs
    work_random_ms: u32,    //  Plus randof (this) msecs
    messages: Option<u64>,  //  Not in the C: stop after this many
}

//  This is our subscriber. It connects to the publisher and subscribes to
//  everything. It sleeps for a short time between messages to simulate doing
//  too much work. If a message is more than 1 second late, it croaks:

fn subscriber(context: &zmq::Context, endpoint: &str, snail: Snail) -> ThreadResult {
    //  Subscribe to everything
    let subscriber = context.socket(zmq::SUB)?;
    subscriber.set_linger(0)?;
    subscriber.set_subscribe(b"")?;
    subscriber.connect(endpoint)?;

    //  Get and process messages
    let mut count = 0;
    loop {
        if snail.messages == Some(count) {
            s_console(format_args!("I: subscriber kept up with {count} messages"));
            return Ok(());
        }
        let string = s_recv(&subscriber)?;
        s_console(format_args!("{string}"));
        let clock: i64 = string
            .parse()
            .map_err(|_| format!("not a clock: '{string}'"))?;
        count += 1;

        //  Suicide snail logic
        if zclock_time() - clock > snail.max_allowed_delay {
            eprintln!("E: subscriber cannot keep up, aborting");
            return Ok(());
        }
        //  Work for 1 msec plus some random additional time
        s_sleep(snail.work_ms + u64::from(randof(snail.work_random_ms)));
    }
}

//  This is our publisher task. It publishes a time-stamped message to its
//  PUB socket every 1 msec:

fn publisher(pipe: &zmq::Socket, endpoint: &str, publish_ms: u64) -> ThreadResult {
    //  Prepare publisher
    let publisher = pipe.context().socket(zmq::PUB)?;
    publisher.set_linger(0)?;
    publisher.bind(endpoint)?;
    s_bound(&publisher)?;
    //  Not in the C: tell the main thread where we are (a port picked by the
    //  system is only known now)
    s_send(pipe, &publisher.get_last_endpoint()?)?;

    loop {
        //  Send current clock (msecs) to subscribers
        s_send(&publisher, &zclock_time().to_string())?;
        match pipe.recv_bytes(zmq::RecvFlags::DONTWAIT) {
            Ok(_signal) => return Ok(()),
            Err(zmq::Error::EAGAIN) => {}
            Err(e) => return Err(e.into()),
        }
        s_sleep(publish_ms); //  1msec wait
    }
}

//  The main task simply starts a client, and a server, and then
//  waits for the client to signal that it has died:

fn main() -> zhelpers::Result {
    let args = Args::parse(
        "suisnail [ENDPOINT] [--max-delay-ms MS] [--publish-ms MS] [--work-ms MS] [--work-random-ms N] [--messages N]",
    )?
    .only(&[
        "max-delay-ms",
        "publish-ms",
        "work-ms",
        "work-random-ms",
        "messages",
    ])?;
    let snail = Snail {
        max_allowed_delay: args.opt("max-delay-ms", 1000)?,
        work_ms: args.opt("work-ms", 1)?,
        work_random_ms: args.opt("work-random-ms", 2)?,
        messages: args.opt_some("messages")?,
    };
    let publish_ms: u64 = args.opt("publish-ms", 1)?;

    let context = zmq::Context::new()?;
    let (pubpipe, pipe) = s_pipe(&context)?;
    let endpoint = args.arg(0, "tcp://127.0.0.1:*");
    let publisher_thread = std::thread::spawn(move || {
        let result = publisher(&pipe, &endpoint, publish_ms);
        if result.is_err() {
            let _ = s_send(&pipe, ""); //  Don't leave main waiting
        }
        result
    });
    let publisher_endpoint = s_recv(&pubpipe)?;
    if publisher_endpoint.is_empty() {
        return s_join(publisher_thread, "publisher");
    }

    let (subpipe, pipe) = s_pipe(&context)?;
    let subscriber_thread = {
        let context = context.clone();
        std::thread::spawn(move || {
            let result = subscriber(&context, &publisher_endpoint, snail);
            //  Tell main we are gone, however we ended
            let _ = s_send(&pipe, "gone and died");
            result
        })
    };
    s_recv(&subpipe)?;
    s_send(&pubpipe, "break")?;
    s_join(publisher_thread, "publisher")?;
    s_join(subscriber_thread, "subscriber")
}
