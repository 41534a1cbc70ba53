//! Weather update client (zguide `wuclient.c`): connects a SUB socket to
//! `wuserver`, collects updates for one zipcode and prints the average
//! temperature.
//!
//! ```text
//! cargo run --example zguide_wuclient -- [ENDPOINT] [ZIPCODE] [--updates N]
//! ```
//!
//! `ENDPOINT` defaults to `tcp://127.0.0.1:5556`, `ZIPCODE` to `10001` (NYC), and
//! `--updates` (how many updates to average) to 100, as in the C.
#![forbid(unsafe_code)]

#[path = "zhelpers.rs"]
mod zhelpers;
use zhelpers::{s_recv, Args};

fn main() -> zhelpers::Result {
    let args = Args::parse("wuclient [ENDPOINT] [ZIPCODE] [--updates N]")?.only(&["updates"])?;
    let endpoint = args.arg(0, "tcp://127.0.0.1:5556");
    let updates: u32 = args.opt("updates", 100)?;
    if updates == 0 {
        return Err("--updates must be at least 1".into());
    }

    //  Socket to talk to server
    println!("Collecting updates from weather server…");
    let context = zmq::Context::new()?;
    let subscriber = context.socket(zmq::SUB)?;
    subscriber.connect(&endpoint)?;

    //  Subscribe to zipcode, default is NYC, 10001
    let filter = format!("{} ", args.arg(1, "10001"));
    subscriber.set_subscribe(filter.as_bytes())?;

    //  Process 100 updates
    let mut total_temp: i64 = 0;
    for _ in 0..updates {
        let string = s_recv(&subscriber)?;
        let mut fields = string.split_whitespace().skip(1);
        let temperature: i64 = fields
            .next()
            .and_then(|t| t.parse().ok())
            .ok_or_else(|| format!("malformed update '{string}'"))?;
        total_temp += temperature;
    }
    println!(
        "Average temperature for zipcode '{}' was {}F",
        filter.trim_end(),
        total_temp / i64::from(updates)
    );
    Ok(())
}
