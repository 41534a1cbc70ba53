//! Majordomo Protocol worker example (zguide `mdworker.c`): an `echo` service
//! on the worker API of `mdwrkapi.rs`, which hides all MDP aspects: each request
//! is sent back as the reply.
//!
//! ```text
//! cargo run --example zguide_mdworker -- [-v] [BROKER] [--service NAME] [--heartbeat-ms MS] [--reconnect-ms MS] [--seconds S]
//! ```
//!
//! `-v` prints all activity (as in the C). `BROKER` defaults to
//! `tcp://127.0.0.1:5555` (the C's `tcp://localhost:5555`), `--service` to
//! `echo`, `--heartbeat-ms` and `--reconnect-ms` to the API's 2500. The C runs
//! until interrupted (so does this, on SIGINT or SIGTERM); `--seconds S` stops
//! it after S seconds. On the way out it prints `<n> replies sent` (not in the
//! C).
#![forbid(unsafe_code)]

use std::time::Duration;

mod mdp;
mod mdwrkapi;
#[path = "zhelpers.rs"]
mod zhelpers;

use mdwrkapi::Mdwrk;
use zhelpers::{s_console, Args};

fn main() -> zhelpers::Result {
    let args = Args::parse(
        "mdworker [-v] [BROKER] [--service NAME] [--heartbeat-ms MS] [--reconnect-ms MS] [--seconds S]",
    )?
    .only(&["service", "heartbeat-ms", "reconnect-ms", "seconds"])?;
    let verbose = args.arg(0, "") == "-v";
    let broker = args.arg(usize::from(verbose), "tcp://127.0.0.1:5555");
    let service: String = args.opt("service", "echo".to_owned())?;
    let heartbeat: Option<u64> = args.opt_some("heartbeat-ms")?;
    let reconnect: Option<u64> = args.opt_some("reconnect-ms")?;
    let seconds: Option<u64> = args.opt_some("seconds")?;
    zmq::catch_interrupts()?;

    let mut session = Mdwrk::new(&broker, &service, verbose)?;
    if let Some(heartbeat) = heartbeat {
        session.set_heartbeat(heartbeat);
    }
    if let Some(reconnect) = reconnect {
        session.set_reconnect(reconnect);
    }
    if let Some(seconds) = seconds {
        let context = session.context().clone();
        std::thread::spawn(move || {
            std::thread::sleep(Duration::from_secs(seconds));
            let _ = context.shutdown();
        });
    }

    let mut reply = None;
    let mut replies = 0;
    loop {
        replies += u64::from(reply.is_some());
        let Some(request) = session.recv(reply.take())? else {
            break; //  Worker was interrupted
        };
        reply = Some(request); //  Echo is complex... :-)
    }
    s_console(format_args!("{replies} replies sent"));
    Ok(())
}
