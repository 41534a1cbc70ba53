//! Binary Star client (zguide `bstarcli.c`), a proof-of-concept: a Lazy
//! Pirate client that, when the server it talks to does not answer in time,
//! closes its confused `REQ` socket, waits for the servers to settle and
//! sends the request again to the other server of the `bstarsrv` pair. Its
//! requests are sequence numbers, and a reply must carry the one sent.
//!
//! ```text
//! cargo run --example zguide_bstarcli -- [PRIMARY] [BACKUP] [--timeout MS]
//!     [--settle-ms MS] [--interval-ms MS] [--requests N]
//! ```
//!
//! `PRIMARY` and `BACKUP` default to `tcp://127.0.0.1:5001` and
//! `tcp://127.0.0.1:5002` (the C's `tcp://localhost:…`), the `bstarsrv`
//! frontends. `--timeout` defaults to the C's `REQUEST_TIMEOUT` (1000 ms),
//! `--settle-ms` to its `SETTLE_DELAY` (2000 ms) and `--interval-ms`, the
//! pause after each reply, to its one second. It prints, as the C does, `I:
//! connecting to server at <endpoint>...`, `I: server replied OK
//! (<sequence>)`, `E: bad reply from server: <reply>` and `W: no response
//! from server, failing over`. The C runs until interrupted (SIGINT or
//! SIGTERM); `--requests N` ends it after N replies.
#![forbid(unsafe_code)]

use zmq::PollEvents;

#[path = "zhelpers.rs"]
mod zhelpers;
use zhelpers::{s_console, s_recv, s_send, s_sleep, Args};

const REQUEST_TIMEOUT: i64 = 1000; //  msecs
const SETTLE_DELAY: u64 = 2000; //  Before failing over

/// A new `REQ` socket connected to `server` (CZMQ's sockets linger 0).
fn s_client_socket(ctx: &zmq::Context, server: &str) -> zmq::Result<zmq::Socket> {
    s_console(format_args!("I: connecting to server at {server}..."));
    let client = ctx.socket(zmq::REQ)?;
    client.set_linger(0)?;
    client.connect(server)?;
    Ok(client)
}

fn main() -> zhelpers::Result {
    let args = Args::parse(
        "bstarcli [PRIMARY] [BACKUP] [--timeout MS] [--settle-ms MS] [--interval-ms MS] \
         [--requests N]",
    )?
    .only(&["timeout", "settle-ms", "interval-ms", "requests"])?;
    let server = [
        args.arg(0, "tcp://127.0.0.1:5001"),
        args.arg(1, "tcp://127.0.0.1:5002"),
    ];
    let request_timeout: i64 = args.opt("timeout", REQUEST_TIMEOUT)?;
    let settle_delay: u64 = args.opt("settle-ms", SETTLE_DELAY)?;
    let interval: u64 = args.opt("interval-ms", 1000)?;
    let requests: Option<u64> = args.opt_some("requests")?;
    zmq::catch_interrupts()?;

    let ctx = zmq::Context::new()?;
    let mut server_nbr = 0;
    let mut client = s_client_socket(&ctx, &server[server_nbr])?;

    let mut sequence: u64 = 0;
    'requests: while !zmq::interrupted() && requests != Some(sequence) {
        //  We send a request, then we work to get a reply
        sequence += 1;
        let request = sequence.to_string();
        s_send(&client, &request)?;

        let mut expect_reply = true;
        while expect_reply {
            //  Poll socket for a reply, with timeout
            let mut items = [client.as_poll_item(PollEvents::POLLIN)];
            match zmq::poll(&mut items, request_timeout) {
                Err(zmq::Error::EINTR) => break 'requests, //  Interrupted
                other => other?,
            };

            //  Lazy Pirate: on a timeout, drop the socket and ask the other
            //  server; the clients' choice decides which server is active.

            if items[0].is_readable() {
                //  We got a reply from the server, must match sequence
                let reply = s_recv(&client)?;
                if reply.parse() == Ok(sequence) {
                    s_console(format_args!("I: server replied OK ({reply})"));
                    expect_reply = false;
                    s_sleep(interval); //  One request per second
                } else {
                    s_console(format_args!("E: bad reply from server: {reply}"));
                }
            } else {
                s_console(format_args!("W: no response from server, failing over"));

                //  Old socket is confused; close it and open a new one
                drop(client);
                server_nbr = (server_nbr + 1) % 2;
                s_sleep(settle_delay);
                client = s_client_socket(&ctx, &server[server_nbr])?;

                //  Send request again, on new socket
                s_send(&client, &request)?;
            }
        }
    }
    Ok(())
}
