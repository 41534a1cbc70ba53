//! Freelance server, model 2 (zguide `flserver2.c`): does some work and
//! replies `OK` with the request's sequence number, on a `REP` socket, for
//! `flclient2`, which sends each request to all its servers at once.
//!
//! ```text
//! cargo run --example zguide_flserver2 -- [ENDPOINT] [--count N]
//!     [--overload-after N] [--overload-ms MS]
//! ```
//!
//! The C requires the endpoint; here `ENDPOINT` defaults to
//! `tcp://127.0.0.1:5555`, and `tcp://127.0.0.1:*` picks a free port (printed
//! as `Bound to <endpoint>`). It prints `I: service is ready at <endpoint>` as
//! the C does. A request must be `[sequence][body]`: anything else ends the
//! server with an error (the C asserts). The C serves until interrupted
//! (SIGINT or SIGTERM, which print `W: interrupted` here too); `--count N`
//! exits after N replies.
//!
//! Not in the C, for tests that take a server out in the middle of a run:
//! `--overload-after N` prints `I: simulating CPU overload` on request N+1 and
//! sleeps `--overload-ms` (default 2000) before answering it, as the pirate
//! servers do.
#![forbid(unsafe_code)]

#[path = "zhelpers.rs"]
mod zhelpers;
use zhelpers::{s_bound, s_console, s_sleep, Args};

fn main() -> zhelpers::Result {
    let args =
        Args::parse("flserver2 [ENDPOINT] [--count N] [--overload-after N] [--overload-ms MS]")?
            .only(&["count", "overload-after", "overload-ms"])?;
    let count: Option<u64> = args.opt_some("count")?;
    let overload_after: Option<u64> = args.opt_some("overload-after")?;
    let overload_ms: u64 = args.opt("overload-ms", 2000)?;
    zmq::catch_interrupts()?;

    let ctx = zmq::Context::new()?;
    let server = ctx.socket(zmq::REP)?;
    server.set_linger(0)?; //  CZMQ's default
    server.bind(&args.arg(0, "tcp://127.0.0.1:5555"))?;
    s_bound(&server)?;

    let endpoint = server.get_last_endpoint()?;
    s_console(format_args!("I: service is ready at {endpoint}"));
    let mut cycles = 0;
    while count != Some(cycles) {
        let mut request = match server.recv_multipart(zmq::RecvFlags::empty()) {
            Err(zmq::Error::EINTR) => break, //  Interrupted
            request => request?,
        };
        //  Fail nastily if run against wrong client
        if request.len() != 2 {
            return Err(format!("expected [sequence][body], got {} frames", request.len()).into());
        }
        if overload_after == Some(cycles) {
            s_console(format_args!("I: simulating CPU overload"));
            s_sleep(overload_ms);
        }

        let address = request.remove(0);
        drop(request);

        let reply = [address, b"OK".to_vec()];
        server.send_multipart(reply, zmq::SendFlags::empty())?;
        cycles += 1;
    }
    if zmq::interrupted() {
        s_console(format_args!("W: interrupted"));
    }
    // The last reply must leave before the context goes.
    if count == Some(cycles) {
        server.set_linger(1000)?;
    }
    Ok(())
}
