//! Freelance client, model 3 (zguide `flclient3.c`): uses the `flcliapi`
//! class (`flcliapi.rs`), whose background agent pings the servers
//! (`flserver3`s), keeps track of the live ones and sends each request to one
//! of them. It sends a run of name-resolution "requests" and prints the
//! average round trip.
//!
//! ```text
//! cargo run --example zguide_flclient3 -- [ENDPOINT...] [--requests N] [--timeout MS]
//!     [--ping-interval MS] [--server-ttl MS]
//! ```
//!
//! The C connects to `tcp://localhost:5555`, `5556` and `5557`; those
//! (`tcp://127.0.0.1:…`) are the default when no `ENDPOINT` is given. A
//! server's endpoint must be the identity it set (`flserver3` uses the
//! endpoint it bound). `--requests` defaults to the C's 10000 and the agent's
//! times to the C's constants: `--timeout` 3000 ms (`GLOBAL_TIMEOUT`),
//! `--ping-interval` 2000 ms (`PING_INTERVAL`), `--server-ttl` 6000 ms
//! (`SERVER_TTL`). With those, a request sent to a server that has just died
//! fails (it expires before the server does); a TTL shorter than the timeout
//! lets the agent move on to another server in time. When a request fails the
//! client prints `E: name service not available, aborting` and stops, as the
//! C does. Then it prints `Average round trip cost: <n> usec` (the elapsed time
//! divided by the number of requests; the C divides by 10, which is the same
//! for 10000 requests). Not in the C: it ends with `I: received <n> replies`, the
//! requests answered; a reply other than `OK` is an error.
#![forbid(unsafe_code)]

use std::time::{Duration, Instant};

#[path = "flcliapi.rs"]
mod flcliapi;
#[path = "zhelpers.rs"]
mod zhelpers;

use flcliapi::{Flcliapi, Msg, Timing};
use zhelpers::{s_console, Args};

fn main() -> zhelpers::Result {
    let args = Args::parse(
        "flclient3 [ENDPOINT...] [--requests N] [--timeout MS] [--ping-interval MS] \
         [--server-ttl MS]",
    )?
    .only(&["requests", "timeout", "ping-interval", "server-ttl"])?;
    let requests: u64 = args.opt("requests", 10000)?;
    let default = Timing::default();
    let ms = |name: &str, default: Duration| -> zhelpers::Result<Duration> {
        Ok(Duration::from_millis(
            args.opt(name, default.as_millis() as u64)?,
        ))
    };
    let timing = Timing {
        global_timeout: ms("timeout", default.global_timeout)?,
        ping_interval: ms("ping-interval", default.ping_interval)?,
        server_ttl: ms("server-ttl", default.server_ttl)?,
    };
    let mut endpoints: Vec<String> = (0..)
        .map(|n| args.arg(n, ""))
        .take_while(|e| !e.is_empty())
        .collect();
    if endpoints.is_empty() {
        endpoints = ["5555", "5556", "5557"]
            .iter()
            .map(|port| format!("tcp://127.0.0.1:{port}"))
            .collect();
    }

    //  Create new freelance client object
    let mut client = Flcliapi::with_timing(timing)?;

    //  Connect to several endpoints
    for endpoint in &endpoints {
        client.connect(endpoint)?;
    }

    //  Send a bunch of name resolution 'requests', measure time
    let mut replies = 0;
    let start = Instant::now();
    while replies < requests {
        let request: Msg = vec![b"random name".to_vec()];
        let Some(reply) = client.request(request)? else {
            s_console(format_args!("E: name service not available, aborting"));
            break;
        };
        if reply != [b"OK".to_vec()] {
            return Err(format!("unexpected reply {reply:?}").into());
        }
        replies += 1;
    }
    let usec = start.elapsed().as_micros() / u128::from(requests.max(1));
    s_console(format_args!("Average round trip cost: {usec} usec"));
    s_console(format_args!("I: received {replies} replies"));
    drop(client);
    Ok(())
}
