//! Lazy Pirate client (zguide `lpclient.c`): reliable request-reply from the
//! client side. Each request carries a sequence number; the client polls for
//! the reply with a timeout and, when none comes, closes its confused REQ
//! socket, opens a new one and sends the request again, up to a number of
//! retries, after which it gives up on the server. Run it against `lpserver`
//! (and kill and restart the server), or against `spqueue` or `ppqueue`.
//!
//! ```text
//! cargo run --example zguide_lpclient -- [SERVER] [--timeout MS] [--retries N] [--requests N]
//! ```
//!
//! `SERVER` defaults to `tcp://127.0.0.1:5555` (the C's `tcp://localhost:5555`);
//! `--timeout` to 2500 ms and `--retries` to 3, the C's `REQUEST_TIMEOUT` and
//! `REQUEST_RETRIES`. The C sends requests until the server is gone;
//! `--requests N` ends with exit code 0 after N replies. Either way it prints
//! `I: server replied OK (<sequence>)` for each reply, `W: no response from
//! server, retrying...` for each retry, and `E: server seems to be offline,
//! abandoning` when it gives up.
#![forbid(unsafe_code)]

use zmq::PollEvents;

#[path = "zhelpers.rs"]
mod zhelpers;
use zhelpers::{s_console, s_recv, s_send, Args};

const REQUEST_TIMEOUT: i64 = 2500; //  msecs, (> 1000!)
const REQUEST_RETRIES: u32 = 3; //  Before we abandon

//  Helper function that returns a new configured socket
//  connected to the Hello World server
fn s_client_socket(context: &zmq::Context, server: &str) -> zmq::Result<zmq::Socket> {
    s_console(format_args!("I: connecting to server..."));
    let client = context.socket(zmq::REQ)?;
    client.connect(server)?;

    //  Configure socket to not wait at close time
    client.set_linger(0)?;
    Ok(client)
}

fn main() -> zhelpers::Result {
    let args = Args::parse("lpclient [SERVER] [--timeout MS] [--retries N] [--requests N]")?
        .only(&["timeout", "retries", "requests"])?;
    let server = args.arg(0, "tcp://127.0.0.1:5555");
    let request_timeout: i64 = args.opt("timeout", REQUEST_TIMEOUT)?;
    let request_retries: u32 = args.opt("retries", REQUEST_RETRIES)?;
    let requests: Option<u64> = args.opt_some("requests")?;

    let context = zmq::Context::new()?;
    let mut client = s_client_socket(&context, &server)?;

    let mut sequence: u64 = 0;
    let mut retries_left = request_retries;
    while retries_left > 0 && requests != Some(sequence) {
        //  We send a request, then we work to get a reply
        sequence += 1;
        let request = sequence.to_string();
        s_send(&client, &request)?;

        let mut expect_reply = true;
        while expect_reply {
            //  Poll socket for a reply, with timeout
            let mut items = [client.as_poll_item(PollEvents::POLLIN)];
            zmq::poll(&mut items, request_timeout)?;

            //  If we got a reply, process it
            if items[0].is_readable() {
                //  We got a reply from the server, must match sequence
                let reply = s_recv(&client)?;
                if reply.parse() == Ok(sequence) {
                    s_console(format_args!("I: server replied OK ({reply})"));
                    retries_left = request_retries;
                    expect_reply = false;
                } else {
                    s_console(format_args!("E: malformed reply from server: {reply}"));
                }
            } else {
                retries_left = retries_left.saturating_sub(1);
                if retries_left == 0 {
                    s_console(format_args!("E: server seems to be offline, abandoning"));
                    break;
                }
                s_console(format_args!("W: no response from server, retrying..."));
                //  Old socket is confused; close it and open a new one
                drop(client);
                client = s_client_socket(&context, &server)?;
                //  Send request again, on new socket
                s_send(&client, &request)?;
            }
        }
    }
    Ok(())
}
