//! Weather proxy (zguide `wuproxy.c`): an XSUB socket connected to `wuserver`
//! and an XPUB socket bound for clients, with `zmq::proxy` between them, so
//! subscriptions travel upstream and updates downstream.
//!
//! ```text
//! cargo run --example zguide_wuproxy -- [SERVER] [BIND] [--seconds S]
//! ```
//!
//! `SERVER` defaults to `tcp://127.0.0.1:5556` (the C connects to
//! `tcp://192.168.55.210:5556`), `BIND` to `tcp://127.0.0.1:8100` (the C binds
//! `tcp://10.1.1.0:8100`). The C runs until killed; `--seconds S` shuts the
//! context down after S seconds and the program exits cleanly.
#![forbid(unsafe_code)]

use std::time::Duration;

#[path = "zhelpers.rs"]
mod zhelpers;
use zhelpers::{s_bound, Args};

fn main() -> zhelpers::Result {
    let args = Args::parse("wuproxy [SERVER] [BIND] [--seconds S]")?.only(&["seconds"])?;
    let seconds: Option<u64> = args.opt_some("seconds")?;

    let context = zmq::Context::new()?;

    //  This is where the weather server sits
    let frontend = context.socket(zmq::XSUB)?;
    frontend.connect(&args.arg(0, "tcp://127.0.0.1:5556"))?;

    //  This is our public endpoint for subscribers
    let backend = context.socket(zmq::XPUB)?;
    backend.bind(&args.arg(1, "tcp://127.0.0.1:8100"))?;
    s_bound(&backend)?;

    if let Some(seconds) = seconds {
        let context = context.clone();
        std::thread::spawn(move || {
            std::thread::sleep(Duration::from_secs(seconds));
            let _ = context.shutdown();
        });
    }

    //  Run the proxy until the user interrupts us
    match zmq::proxy(&frontend, &backend) {
        Err(zmq::Error::ETERM) => {
            println!("Proxy stopped");
            Ok(())
        }
        Err(e) => Err(e.into()),
        Ok(()) => Ok(()),
    }
}
