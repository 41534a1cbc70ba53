//! Synchronized subscriber (zguide `syncsub.c`): subscribes, tells `syncpub`
//! over a REQ socket that it is ready, and counts updates until "END".
//!
//! ```text
//! cargo run --example zguide_syncsub -- [PUBLISHER] [SYNC]
//! ```
//!
//! `PUBLISHER` defaults to `tcp://127.0.0.1:5561`, `SYNC` to
//! `tcp://127.0.0.1:5562`, as in the C (which says `localhost`).
#![forbid(unsafe_code)]

#[path = "zhelpers.rs"]
mod zhelpers;
use zhelpers::{s_recv, s_send, s_sleep, Args};

fn main() -> zhelpers::Result {
    let args = Args::parse("syncsub [PUBLISHER] [SYNC]")?.only(&[])?;

    let context = zmq::Context::new()?;

    //  First, connect our subscriber socket
    let subscriber = context.socket(zmq::SUB)?;
    subscriber.connect(&args.arg(0, "tcp://127.0.0.1:5561"))?;
    subscriber.set_subscribe(b"")?;

    //  0MQ is so fast, we need to wait a while…
    s_sleep(1000);

    //  Second, synchronize with publisher
    let syncclient = context.socket(zmq::REQ)?;
    syncclient.connect(&args.arg(1, "tcp://127.0.0.1:5562"))?;

    //  - send a synchronization request
    s_send(&syncclient, "")?;

    //  - wait for synchronization reply
    s_recv(&syncclient)?;

    //  Third, get our updates and report how many we got
    let mut update_nbr = 0;
    while s_recv(&subscriber)? != "END" {
        update_nbr += 1;
    }
    println!("Received {update_nbr} updates");
    Ok(())
}
