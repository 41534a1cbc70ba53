//! Freelance server, model 1 (zguide `flserver1.c`): a trivial echo service
//! on a `REP` socket, for `flclient1` to find among several endpoints.
//!
//! ```text
//! cargo run --example zguide_flserver1 -- [ENDPOINT] [--count N]
//! ```
//!
//! The C requires the endpoint; here `ENDPOINT` defaults to
//! `tcp://127.0.0.1:5555`, and `tcp://127.0.0.1:*` picks a free port (printed
//! as `Bound to <endpoint>`). It prints `I: echo service is ready at
//! <endpoint>` as the C does. The C echoes until interrupted (SIGINT or
//! SIGTERM, which print `W: interrupted` here too); `--count N` exits after
//! echoing N requests.
#![forbid(unsafe_code)]

#[path = "zhelpers.rs"]
mod zhelpers;
use zhelpers::{s_bound, s_console, Args};

fn main() -> zhelpers::Result {
    let args = Args::parse("flserver1 [ENDPOINT] [--count N]")?.only(&["count"])?;
    let count: Option<u64> = args.opt_some("count")?;
    zmq::catch_interrupts()?;

    let ctx = zmq::Context::new()?;
    let server = ctx.socket(zmq::REP)?;
    server.set_linger(0)?; //  CZMQ's default
    server.bind(&args.arg(0, "tcp://127.0.0.1:5555"))?;
    s_bound(&server)?;

    let endpoint = server.get_last_endpoint()?;
    s_console(format_args!("I: echo service is ready at {endpoint}"));
    let mut echoed = 0;
    while count != Some(echoed) {
        let msg = match server.recv_multipart(zmq::RecvFlags::empty()) {
            Err(zmq::Error::EINTR) => break, //  Interrupted
            msg => msg?,
        };
        server.send_multipart(msg, zmq::SendFlags::empty())?;
        echoed += 1;
    }
    if zmq::interrupted() {
        s_console(format_args!("W: interrupted"));
    }
    // The last reply must leave before the context goes (CZMQ lingers 0, but
    // its program runs on until interrupted).
    if count == Some(echoed) {
        server.set_linger(1000)?;
    }
    Ok(())
}
