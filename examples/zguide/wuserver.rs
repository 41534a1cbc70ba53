//! Weather update server (zguide `wuserver.c`): binds a PUB socket and publishes
//! random weather updates, `"<zipcode> <temperature> <relhumidity>"`.
//!
//! ```text
//! cargo run --example zguide_wuserver -- [ENDPOINT] [--updates N] [--zipcodes R]
//! ```
//!
//! `ENDPOINT` defaults to `tcp://127.0.0.1:5556` (the C binds `tcp://*:5556` and
//! `ipc://weather.ipc`); `--updates N` stops after N updates (the C runs forever);
//! `--zipcodes R` draws zipcodes from `0..R` instead of `0..100000`, so a client's
//! zipcode comes up often.
#![forbid(unsafe_code)]

#[path = "zhelpers.rs"]
mod zhelpers;
use zhelpers::{randof, s_bound, s_send, Args};

fn main() -> zhelpers::Result {
    let args = Args::parse("wuserver [ENDPOINT] [--updates N] [--zipcodes R]")?
        .only(&["updates", "zipcodes"])?;
    let endpoint = args.arg(0, "tcp://127.0.0.1:5556");
    let updates: Option<u64> = args.opt_some("updates")?;
    let zipcodes: u32 = args.opt("zipcodes", 100_000)?;

    //  Prepare our context and publisher
    let context = zmq::Context::new()?;
    let publisher = context.socket(zmq::PUB)?;
    publisher.bind(&endpoint)?;
    s_bound(&publisher)?;

    let mut update_nbr = 0;
    while updates != Some(update_nbr) {
        //  Get values that will fool the boss
        let zipcode = randof(zipcodes);
        let temperature = randof(215) as i32 - 80;
        let relhumidity = randof(50) + 10;

        //  Send message to all subscribers
        let update = format!("{zipcode:05} {temperature} {relhumidity}");
        s_send(&publisher, &update)?;
        update_nbr += 1;
    }
    Ok(())
}
