//! Freelance server, model 3 (zguide `flserver3.c`): a `ROUTER` socket with a
//! predictable identity, its own endpoint, so that the `flcliapi` agent of
//! `flclient3` (a `ROUTER` too) can address it by the endpoint it connected
//! to. It answers `PING` with `PONG` and a request `[sequence][body]` with
//! `[sequence][OK]`, in one thread.
//!
//! ```text
//! cargo run --example zguide_flserver3 -- [-v] [ENDPOINT] [--identity ID] [--count N]
//!     [--overload-after N] [--overload-ms MS]
//! ```
//!
//! `-v` prints every request and reply (CZMQ's `zmsg_dump`), as in the C.
//! The C binds `tcp://*:5555` with the identity `tcp://localhost:5555`; here
//! `ENDPOINT` defaults to `tcp://127.0.0.1:5555` and the identity to the
//! endpoint bound, which is what clients connect to (`--identity` sets
//! another). An identity applies to the connections a bind accepts from then
//! on, so it must be known before binding: for `tcp://127.0.0.1:*` the server
//! first finds a free port with a throwaway socket, then binds that port
//! (printed as `Bound to <endpoint>`). It prints `I: service is ready at
//! <endpoint>` as the C does, and serves until interrupted (SIGINT or
//! SIGTERM, which print `W: interrupted`); `--count N` exits after answering
//! N requests (pings not counted).
//!
//! Not in the C, for tests that take a server out in the middle of a run:
//! `--overload-after N` prints `I: simulating CPU overload` on request N+1
//! (pings not counted) and sleeps `--overload-ms` (default 2000) before
//! answering it, as the pirate servers do.
#![forbid(unsafe_code)]

use std::time::{Duration, Instant};

#[path = "zhelpers.rs"]
mod zhelpers;
use zhelpers::{s_bound, s_console, s_dump_msg, s_sleep, Args};

/// The endpoint to bind: `endpoint` itself, or for a `:*` port, a port that a
/// throwaway socket found free.
fn s_concrete_endpoint(ctx: &zmq::Context, endpoint: &str) -> zmq::Result<String> {
    if !endpoint.ends_with(":*") {
        return Ok(endpoint.to_owned());
    }
    let probe = ctx.socket(zmq::ROUTER)?;
    probe.set_linger(0)?;
    probe.bind(endpoint)?;
    probe.get_last_endpoint()
}

/// Binds `endpoint`, retrying for a while if the port is still held by the
/// throwaway socket (libzmq closes sockets in the background).
fn s_bind(server: &zmq::Socket, endpoint: &str) -> zmq::Result<()> {
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        match server.bind(endpoint) {
            Err(zmq::Error::EADDRINUSE) if Instant::now() < deadline => s_sleep(10),
            other => return other,
        }
    }
}

fn main() -> zhelpers::Result {
    let args = Args::parse(
        "flserver3 [-v] [ENDPOINT] [--identity ID] [--count N] [--overload-after N] \
         [--overload-ms MS]",
    )?
    .only(&["identity", "count", "overload-after", "overload-ms"])?;
    let verbose = args.arg(0, "") == "-v";
    let endpoint = args.arg(usize::from(verbose), "tcp://127.0.0.1:5555");
    let identity: Option<String> = args.opt_some("identity")?;
    let count: Option<u64> = args.opt_some("count")?;
    let overload_after: Option<u64> = args.opt_some("overload-after")?;
    let overload_ms: u64 = args.opt("overload-ms", 2000)?;
    zmq::catch_interrupts()?;

    let ctx = zmq::Context::new()?;

    //  Prepare server socket with predictable identity
    let bind_endpoint = s_concrete_endpoint(&ctx, &endpoint)?;
    let connect_endpoint = identity.unwrap_or_else(|| bind_endpoint.clone());
    let server = ctx.socket(zmq::ROUTER)?;
    server.set_linger(0)?; //  CZMQ's default
    server.set_routing_id(connect_endpoint.as_bytes())?;
    s_bind(&server, &bind_endpoint)?;
    s_bound(&server)?;
    s_console(format_args!("I: service is ready at {bind_endpoint}"));

    let mut cycles = 0;
    while !zmq::interrupted() && count != Some(cycles) {
        let mut request = match server.recv_multipart(zmq::RecvFlags::empty()) {
            Err(zmq::Error::EINTR) => break, //  Interrupted
            request => request?,
        };
        if verbose {
            s_dump_msg(&request);
        }
        if request.len() < 2 {
            return Err(format!("expected [identity][control]..., got {request:?}").into());
        }

        //  Frame 0: identity of client
        //  Frame 1: PING, or client control frame
        //  Frame 2: request body
        let address = request.remove(0);
        let control = request.remove(0);
        let mut reply: Vec<Vec<u8>> = Vec::new();
        if control == b"PING" {
            reply.push(b"PONG".to_vec());
        } else {
            if overload_after == Some(cycles) {
                s_console(format_args!("I: simulating CPU overload"));
                s_sleep(overload_ms);
            }
            reply.push(control);
            reply.push(b"OK".to_vec());
            cycles += 1;
        }
        drop(request);
        reply.insert(0, address);
        if verbose {
            s_dump_msg(&reply);
        }
        server.send_multipart(reply, zmq::SendFlags::empty())?;
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
