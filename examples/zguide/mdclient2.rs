//! Majordomo Protocol client example, asynchronous (zguide `mdclient2.c`):
//! sends all its requests to the `echo` service at once through the
//! asynchronous client API of `mdcliapi2.rs`, then collects the replies.
//!
//! ```text
//! cargo run --example zguide_mdclient2 -- [-v] [BROKER] [--requests N] [--service NAME] [--body TEXT] [--timeout-ms MS]
//! ```
//!
//! `-v` prints all activity (as in the C). `BROKER` defaults to
//! `tcp://127.0.0.1:5555` (the C's `tcp://localhost:5555`), `--requests` to the
//! C's 100000, `--service` to `echo`, `--body` to `Hello world` and
//! `--timeout-ms` (how long to wait for each next reply) to the API's 2500. It
//! stops reading at the first reply that does not come in time (or on SIGINT
//! or SIGTERM) and prints `<n> replies received`. Not in the C: a reply that is
//! not the request echoed is an error.
#![forbid(unsafe_code)]

mod mdcliapi2;
mod mdp;
#[path = "zhelpers.rs"]
mod zhelpers;

use mdcliapi2::Mdcli;
use zhelpers::{s_console, Args};

fn main() -> zhelpers::Result {
    let args = Args::parse(
        "mdclient2 [-v] [BROKER] [--requests N] [--service NAME] [--body TEXT] [--timeout-ms MS]",
    )?
    .only(&["requests", "service", "body", "timeout-ms"])?;
    let verbose = args.arg(0, "") == "-v";
    let broker = args.arg(usize::from(verbose), "tcp://127.0.0.1:5555");
    let requests: u64 = args.opt("requests", 100000)?;
    let service: String = args.opt("service", "echo".to_owned())?;
    let body: String = args.opt("body", "Hello world".to_owned())?;
    let timeout: Option<i64> = args.opt_some("timeout-ms")?;
    zmq::catch_interrupts()?;

    let mut session = Mdcli::new(&broker, verbose)?;
    if let Some(timeout) = timeout {
        session.set_timeout(timeout);
    }

    let request = vec![body.into_bytes()];
    for _ in 0..requests {
        match session.send(&service, request.clone()) {
            Err(zmq::Error::EINTR) => break, //  Interrupted by Ctrl-C
            result => result?,
        }
    }
    let mut count = 0;
    while count < requests {
        let Some(reply) = session.recv()? else {
            break; //  Interrupted by Ctrl-C, or no reply in time
        };
        if reply != request {
            return Err(format!("reply {count} is not the request echoed: {reply:?}").into());
        }
        count += 1;
    }
    s_console(format_args!("{count} replies received"));
    Ok(())
}
