//! Request-reply client (zguide `rrclient.c`): a REQ socket connected to the
//! broker's frontend (`rrbroker` or `msgqueue`) sends "Hello" and waits for
//! "World", ten times.
//!
//! ```text
//! cargo run --example zguide_rrclient -- [FRONTEND] [--count N]
//! ```
//!
//! `FRONTEND` defaults to `tcp://127.0.0.1:5559`, `--count` to 10, as in the C.
#![forbid(unsafe_code)]

#[path = "zhelpers.rs"]
mod zhelpers;
use zhelpers::{s_console, s_recv, s_send, Args};

fn main() -> zhelpers::Result {
    let args = Args::parse("rrclient [FRONTEND] [--count N]")?.only(&["count"])?;
    let count: u32 = args.opt("count", 10)?;

    let context = zmq::Context::new()?;

    //  Socket to talk to server
    let requester = context.socket(zmq::REQ)?;
    requester.connect(&args.arg(0, "tcp://127.0.0.1:5559"))?;

    for request_nbr in 0..count {
        s_send(&requester, "Hello")?;
        let string = s_recv(&requester)?;
        s_console(format_args!("Received reply {request_nbr} [{string}]"));
    }
    Ok(())
}
