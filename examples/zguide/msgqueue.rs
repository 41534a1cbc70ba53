//! Simple message queuing broker (zguide `msgqueue.c`): `rrbroker` again, with
//! `zmq::proxy` doing the switching.
//!
//! ```text
//! cargo run --example zguide_msgqueue -- [FRONTEND] [BACKEND] [--seconds S]
//! ```
//!
//! `FRONTEND` defaults to `tcp://127.0.0.1:5559`, `BACKEND` to
//! `tcp://127.0.0.1:5560`. The C runs until killed; `--seconds S` shuts the
//! context down after S seconds, which ends the proxy with `ETERM`, and the
//! program exits cleanly.
#![forbid(unsafe_code)]

use std::time::Duration;

#[path = "zhelpers.rs"]
mod zhelpers;
use zhelpers::{s_bound, Args};

fn main() -> zhelpers::Result {
    let args = Args::parse("msgqueue [FRONTEND] [BACKEND] [--seconds S]")?.only(&["seconds"])?;
    let seconds: Option<u64> = args.opt_some("seconds")?;

    let context = zmq::Context::new()?;

    //  Socket facing clients
    let frontend = context.socket(zmq::ROUTER)?;
    frontend.bind(&args.arg(0, "tcp://127.0.0.1:5559"))?;
    s_bound(&frontend)?;

    //  Socket facing services
    let backend = context.socket(zmq::DEALER)?;
    backend.bind(&args.arg(1, "tcp://127.0.0.1:5560"))?;
    s_bound(&backend)?;

    if let Some(seconds) = seconds {
        let context = context.clone();
        std::thread::spawn(move || {
            std::thread::sleep(Duration::from_secs(seconds));
            let _ = context.shutdown();
        });
    }

    //  Start the proxy
    match zmq::proxy(&frontend, &backend) {
        //  The context was shut down: the proxy's normal way out
        Err(zmq::Error::ETERM) => {
            println!("Proxy stopped");
            Ok(())
        }
        Err(e) => Err(e.into()),
        Ok(()) => Ok(()),
    }
}
