//! Freelance client, model 1 (zguide `flclient1.c`): finds a working echo
//! service among one or more endpoints with a `REQ` socket per attempt. With
//! one endpoint it tries up to `MAX_RETRIES` times; with several it tries
//! each once, in turn, and stops at the first that answers.
//!
//! ```text
//! cargo run --example zguide_flclient1 -- ENDPOINT... [--timeout MS] [--retries N]
//! ```
//!
//! `--timeout` defaults to the C's `REQUEST_TIMEOUT` (1000 ms) and
//! `--retries` to its `MAX_RETRIES` (3). It prints, as the C does, `I: trying
//! echo service at <endpoint>...` per attempt, `W: no response from
//! <endpoint>, retrying...` (one endpoint) or `W: no response from
//! <endpoint>` (several), and `Service is running OK` when a reply came.
//! Without endpoints it prints the syntax and exits, as the C does. Not in the
//! C: a reply that is not the request echoed is an error.
#![forbid(unsafe_code)]

use zmq::PollEvents;

#[path = "zhelpers.rs"]
mod zhelpers;
use zhelpers::{s_console, Args};

const REQUEST_TIMEOUT: i64 = 1000;
const MAX_RETRIES: u32 = 3; //  Before we abandon

/// A multipart message, one `Vec<u8>` per frame (CZMQ's `zmsg_t`).
type Msg = Vec<Vec<u8>>;

fn s_try_request(
    ctx: &zmq::Context,
    endpoint: &str,
    request: &Msg,
    timeout: i64,
) -> zmq::Result<Option<Msg>> {
    s_console(format_args!("I: trying echo service at {endpoint}..."));
    let client = ctx.socket(zmq::REQ)?;
    client.set_linger(0)?; //  CZMQ's default
    client.connect(endpoint)?;

    //  Send request, wait safely for reply
    client.send_multipart(request, zmq::SendFlags::empty())?;
    let mut items = [client.as_poll_item(PollEvents::POLLIN)];
    zmq::poll(&mut items, timeout)?;
    let reply = if items[0].is_readable() {
        Some(client.recv_multipart(zmq::RecvFlags::empty())?)
    } else {
        None
    };

    //  Close socket in any case, we're done with it now
    drop(client);
    Ok(reply)
}

fn main() -> zhelpers::Result {
    let args = Args::parse("flclient1 ENDPOINT... [--timeout MS] [--retries N]")?
        .only(&["timeout", "retries"])?;
    let timeout: i64 = args.opt("timeout", REQUEST_TIMEOUT)?;
    let max_retries: u32 = args.opt("retries", MAX_RETRIES)?;
    let endpoints: Vec<String> = (0..)
        .map(|n| args.arg(n, ""))
        .take_while(|e| !e.is_empty())
        .collect();

    let ctx = zmq::Context::new()?;
    let request: Msg = vec![b"Hello world".to_vec()];
    let mut reply = None;

    if endpoints.is_empty() {
        s_console(format_args!("I: syntax: flclient1 <endpoint> ..."));
    } else if endpoints.len() == 1 {
        //  For one endpoint, we retry N times
        let endpoint = &endpoints[0];
        for _retries in 0..max_retries {
            reply = s_try_request(&ctx, endpoint, &request, timeout)?;
            if reply.is_some() {
                break; //  Successful
            }
            s_console(format_args!("W: no response from {endpoint}, retrying..."));
        }
    } else {
        //  For multiple endpoints, try each at most once
        for endpoint in &endpoints {
            reply = s_try_request(&ctx, endpoint, &request, timeout)?;
            if reply.is_some() {
                break; //  Successful
            }
            s_console(format_args!("W: no response from {endpoint}"));
        }
    }
    if let Some(reply) = reply {
        if reply != request {
            return Err(format!("the echo service answered {reply:?}").into());
        }
        s_console(format_args!("Service is running OK"));
    }
    Ok(())
}
