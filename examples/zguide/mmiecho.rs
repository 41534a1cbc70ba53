//! MMI echo query example (zguide `mmiecho.c`): asks a Majordomo broker,
//! through its `mmi.service` service (rfc.zeromq.org spec 8), whether the
//! `echo` service exists, with the client API of `mdcliapi.rs`, and prints the
//! broker's answer: `Lookup echo service: 200` when `echo` has workers, `404`
//! when it has none.
//!
//! ```text
//! cargo run --example zguide_mmiecho -- [-v] [BROKER] [--service NAME] [--timeout-ms MS] [--retries N]
//! ```
//!
//! `-v` prints all activity (as in the C). `BROKER` defaults to
//! `tcp://127.0.0.1:5555` (the C's `tcp://localhost:5555`). Not in the C:
//! `--service` names the service to look up (default `echo`, printed in its
//! place), and `--timeout-ms` and `--retries` set the API's 2500 and 3. When
//! the broker does not answer it prints
//! `E: no response from broker, make sure it's running`, as the C does.
#![forbid(unsafe_code)]

#[path = "mdcliapi.rs"]
mod mdcliapi;
#[path = "mdp.rs"]
mod mdp;
#[path = "zhelpers.rs"]
mod zhelpers;

use mdcliapi::Mdcli;
use zhelpers::{s_console, Args};

fn main() -> zhelpers::Result {
    let args =
        Args::parse("mmiecho [-v] [BROKER] [--service NAME] [--timeout-ms MS] [--retries N]")?
            .only(&["service", "timeout-ms", "retries"])?;
    let verbose = args.arg(0, "") == "-v";
    let broker = args.arg(usize::from(verbose), "tcp://127.0.0.1:5555");
    let service: String = args.opt("service", "echo".to_owned())?;
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

    //  This is the service we want to look up
    let request = vec![service.clone().into_bytes()];

    //  This is the service we send our request to
    match session.send("mmi.service", request)? {
        Some(reply) => {
            let reply_code = reply
                .first()
                .map(|frame| String::from_utf8_lossy(frame).into_owned())
                .unwrap_or_default();
            s_console(format_args!("Lookup {service} service: {reply_code}"));
        }
        None => s_console(format_args!(
            "E: no response from broker, make sure it's running"
        )),
    }
    Ok(())
}
