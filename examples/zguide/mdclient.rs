//! Majordomo Protocol client example (zguide `mdclient.c`): sends requests to
//! the `echo` service through the client API of `mdcliapi.rs`, which hides all
//! MDP aspects, and counts the replies.
//!
//! ```text
//! cargo run --example zguide_mdclient -- [-v] [BROKER] [--requests N] [--service NAME] [--body TEXT] [--timeout-ms MS] [--retries N]
//! ```
//!
//! `-v` prints all activity (as in the C). `BROKER` defaults to
//! `tcp://127.0.0.1:5555` (the C's `tcp://localhost:5555`), `--requests` to the
//! C's 100000, `--service` to `echo`, `--body` to `Hello world`, and
//! `--timeout-ms` and `--retries` to the API's 2500 and 3. It stops at the first
//! request that gets no reply after every retry (or on SIGINT or SIGTERM) and
//! prints `<n> requests/replies processed`. Not in the C: a reply that is not the
//! request echoed is an error, except from an `mmi.` service of the broker,
//! whose answer is printed as `Lookup <body> service: <code>` (as the zguide's
//! `mmiecho` does).
#![forbid(unsafe_code)]

mod mdcliapi;
mod mdp;
#[path = "zhelpers.rs"]
mod zhelpers;

use mdcliapi::Mdcli;
use zhelpers::{s_console, Args};

fn main() -> zhelpers::Result {
    let args = Args::parse(
        "mdclient [-v] [BROKER] [--requests N] [--service NAME] [--body TEXT] [--timeout-ms MS] [--retries N]",
    )?
    .only(&["requests", "service", "body", "timeout-ms", "retries"])?;
    let verbose = args.arg(0, "") == "-v";
    let broker = args.arg(usize::from(verbose), "tcp://127.0.0.1:5555");
    let requests: u64 = args.opt("requests", 100000)?;
    let service: String = args.opt("service", "echo".to_owned())?;
    let body: String = args.opt("body", "Hello world".to_owned())?;
    let timeout: Option<i64> = args.opt_some("timeout-ms")?;
    let retries: Option<u32> = args.opt_some("retries")?;
    zmq::catch_interrupts()?;

    let mut session = Mdcli::new(&broker, verbose)?;
    if let Some(timeout) = timeout {
        session.set_timeout(timeout);
    }
    if let Some(retries) = retries {
        session.set_retries(retries);
    }

    let mut count = 0;
    while count < requests {
        let request = vec![body.clone().into_bytes()];
        let Some(reply) = session.send(&service, request.clone())? else {
            break; //  Interrupt or failure
        };
        if service.starts_with("mmi.") {
            let code: Vec<String> = reply
                .iter()
                .map(|f| String::from_utf8_lossy(f).into_owned())
                .collect();
            s_console(format_args!("Lookup {body} service: {}", code.join(" ")));
        } else if reply != request {
            return Err(format!("reply {count} is not the request echoed: {reply:?}").into());
        }
        count += 1;
    }
    s_console(format_args!("{count} requests/replies processed"));
    Ok(())
}
