//! Titanic client example (zguide `ticlient.c`): the client side of the
//! Titanic Service Protocol (rfc.zeromq.org spec 9), on the synchronous
//! Majordomo client API of `mdcliapi.rs`. It hands an `echo` request to
//! `titanic.request`, polls `titanic.reply` until the reply is there, prints
//! it and closes the request with `titanic.close`.
//!
//! ```text
//! cargo run --example zguide_ticlient -- [-v] [BROKER] [--service NAME] [--body TEXT] [--retry-ms MS]
//! ```
//!
//! `-v` prints all activity (as in the C). `BROKER` defaults to
//! `tcp://127.0.0.1:5555` (the C's `tcp://localhost:5555`), `--service` to
//! `echo`, `--body` to `Hello world`, and `--retry-ms`, the pause after each
//! `I: no reply yet, trying again...`, to the C's 5000. It prints
//! `I: request UUID [032] <uuid>` and `Reply: <body>`; a `400` or `500`
//! answer prints `E: client fatal error, aborting` (or `server`) and exits
//! with 1; no answer at all (or SIGINT, SIGTERM) ends it with 0, as in the C.
#![forbid(unsafe_code)]

mod mdcliapi;
mod mdp;
#[path = "zhelpers.rs"]
mod zhelpers;

use mdcliapi::{Mdcli, Msg};
use zhelpers::{s_console, s_frame_text, s_sleep, Args};

/// How a TSP service call ended, when it did not succeed.
enum Failed {
    /// Not 200 OK; try again later
    NotYet,
    /// Interrupted, or no answer: the C exits with success
    Exit,
}

//  Calls a TSP service
//  Returns response if successful (status code 200 OK), else why not

fn s_service_call(
    session: &mut Mdcli,
    service: &str,
    request: Msg,
) -> zhelpers::Result<std::result::Result<Msg, Failed>> {
    let Some(mut reply) = session.send(service, request)? else {
        return Ok(Err(Failed::Exit)); //  Interrupted or failed
    };
    let status = if reply.is_empty() {
        Vec::new()
    } else {
        reply.remove(0)
    };
    match &status[..] {
        b"200" => Ok(Ok(reply)),
        b"400" => {
            s_console(format_args!("E: client fatal error, aborting"));
            std::process::exit(1);
        }
        b"500" => {
            s_console(format_args!("E: server fatal error, aborting"));
            std::process::exit(1);
        }
        _ => Ok(Err(Failed::NotYet)), //  Didn't succeed; don't care why not
    }
}

//  The main task tests our service call by sending an echo request:

fn main() -> zhelpers::Result {
    let args =
        Args::parse("ticlient [-v] [BROKER] [--service NAME] [--body TEXT] [--retry-ms MS]")?
            .only(&["service", "body", "retry-ms"])?;
    let verbose = args.arg(0, "") == "-v";
    let broker = args.arg(usize::from(verbose), "tcp://127.0.0.1:5555");
    let service: String = args.opt("service", "echo".to_owned())?;
    let body: String = args.opt("body", "Hello world".to_owned())?;
    let retry: u64 = args.opt("retry-ms", 5000)?;
    zmq::catch_interrupts()?;
    let mut session = Mdcli::new(&broker, verbose)?;

    //  1. Send 'echo' request to Titanic
    let request = vec![service.into_bytes(), body.into_bytes()];
    let uuid = match s_service_call(&mut session, "titanic.request", request)? {
        Ok(mut reply) if !reply.is_empty() => reply.remove(0),
        Ok(_) => return Err("titanic.request answered 200 without a UUID".into()),
        Err(_) => return Ok(()),
    };
    s_console(format_args!(
        "I: request UUID [{:03}] {}",
        uuid.len(),
        s_frame_text(&uuid)
    ));

    //  2. Wait until we get a reply
    while !zmq::interrupted() {
        s_sleep(100);
        match s_service_call(&mut session, "titanic.reply", vec![uuid.clone()])? {
            Ok(reply) => {
                let last = reply.last().map_or(&[][..], |f| &f[..]);
                s_console(format_args!("Reply: {}", String::from_utf8_lossy(last)));

                //  3. Close request
                if let Err(Failed::Exit) =
                    s_service_call(&mut session, "titanic.close", vec![uuid.clone()])?
                {
                    return Ok(());
                }
                break;
            }
            Err(Failed::NotYet) => {
                s_console(format_args!("I: no reply yet, trying again..."));
                s_sleep(retry); //  Try again in 5 seconds
            }
            Err(Failed::Exit) => return Ok(()),
        }
    }
    Ok(())
}
