//! Freelance client, model 2 (zguide `flclient2.c`): uses a `DEALER` socket to
//! blast each request to every server it is connected to (`flserver2`s), and
//! takes the first reply that carries the request's sequence number; later
//! replies to old requests are dropped. It sends a run of name-resolution
//! "requests" and prints the average round trip.
//!
//! ```text
//! cargo run --example zguide_flclient2 -- ENDPOINT... [--requests N] [--timeout MS]
//! ```
//!
//! `--requests` defaults to the C's 10000 and `--timeout` to its
//! `GLOBAL_TIMEOUT` (2500 ms): when no server replies within it, the client
//! prints `E: name service not available, aborting` and stops. Then it prints
//! `Average round trip cost: <n> usec` (the elapsed time divided by the
//! number of requests; the C divides by 10, which is the same for its 10000
//! requests). Without endpoints it prints the syntax and exits, as the C does.
//! Not in the C: it ends with `I: received <n> replies`, the requests answered.
//!
//! The C's `flclient_t` class (`flclient_new`, `flclient_connect`,
//! `flclient_request`, `flclient_destroy`) is the `Flclient` struct here
//! (`new`, `connect`, `request`, dropping it).
#![forbid(unsafe_code)]

use std::time::{Duration, Instant};

use zmq::PollEvents;

#[path = "zhelpers.rs"]
mod zhelpers;
use zhelpers::{s_console, Args};

//  If not a single service replies within this time, give up
const GLOBAL_TIMEOUT: u64 = 2500;

/// A multipart message, one `Vec<u8>` per frame (CZMQ's `zmsg_t`).
type Msg = Vec<Vec<u8>>;

fn main() -> zhelpers::Result {
    let args = Args::parse("flclient2 ENDPOINT... [--requests N] [--timeout MS]")?
        .only(&["requests", "timeout"])?;
    let requests: u64 = args.opt("requests", 10000)?;
    let timeout = Duration::from_millis(args.opt("timeout", GLOBAL_TIMEOUT)?);
    let endpoints: Vec<String> = (0..)
        .map(|n| args.arg(n, ""))
        .take_while(|e| !e.is_empty())
        .collect();
    if endpoints.is_empty() {
        s_console(format_args!("I: syntax: flclient2 <endpoint> ..."));
        return Ok(());
    }
    //  Create new freelance client object
    let mut client = Flclient::new(timeout)?;

    //  Connect to each endpoint
    for endpoint in &endpoints {
        client.connect(endpoint)?;
    }

    //  Send a bunch of name resolution 'requests', measure time
    let mut replies = 0;
    let start = Instant::now();
    while replies < requests {
        let request: Msg = vec![b"random name".to_vec()];
        let Some(_reply) = client.request(request)? else {
            s_console(format_args!("E: name service not available, aborting"));
            break;
        };
        replies += 1;
    }
    let usec = start.elapsed().as_micros() / u128::from(requests.max(1));
    s_console(format_args!("Average round trip cost: {usec} usec"));
    s_console(format_args!("I: received {replies} replies"));
    Ok(())
}

//  The client object: its context, one DEALER socket for all servers, how
//  many servers it connected to, and the last sequence number used.

/// A Freelance model 2 client (`flclient_t`).
struct Flclient {
    _ctx: zmq::Context,  //  Our context wrapper
    socket: zmq::Socket, //  DEALER socket talking to servers
    servers: usize,      //  How many servers we have connected to
    sequence: u32,       //  Number of requests ever sent
    timeout: Duration,   //  GLOBAL_TIMEOUT
}

impl Flclient {
    //  Constructor
    fn new(timeout: Duration) -> zmq::Result<Flclient> {
        let ctx = zmq::Context::new()?;
        let socket = ctx.socket(zmq::DEALER)?;
        socket.set_linger(0)?; //  CZMQ's default
        Ok(Flclient {
            _ctx: ctx,
            socket,
            servers: 0,
            sequence: 0,
            timeout,
        })
    }

    //  Connect to new server endpoint
    fn connect(&mut self, endpoint: &str) -> zmq::Result<()> {
        self.socket.connect(endpoint)?;
        self.servers += 1;
        Ok(())
    }

    //  Copies the request to every server and waits (up to the global timeout)
    //  for the first reply with this request's sequence number; replies to
    //  older requests are ignored.
    fn request(&mut self, mut request: Msg) -> zhelpers::Result<Option<Msg>> {
        //  Prefix request with sequence number and empty envelope
        self.sequence += 1;
        let sequence_text = self.sequence.to_string();
        request.splice(0..0, [Vec::new(), sequence_text.into_bytes()]);

        //  Blast the request to all connected servers
        for _server in 0..self.servers {
            self.socket
                .send_multipart(&request, zmq::SendFlags::empty())?;
        }
        //  Wait for a matching reply to arrive from anywhere
        //  Since we can poll several times, calculate each one
        let endtime = Instant::now() + self.timeout;
        loop {
            let left = endtime.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return Ok(None);
            }
            let mut items = [self.socket.as_poll_item(PollEvents::POLLIN)];
            zmq::poll(&mut items, left.as_millis().max(1) as i64)?;
            if items[0].is_readable() {
                //  Reply is [empty][sequence][OK]
                let mut reply = self.socket.recv_multipart(zmq::RecvFlags::empty())?;
                if reply.len() != 3 {
                    return Err(format!("expected [empty][sequence][OK], got {reply:?}").into());
                }
                reply.remove(0);
                let sequence = reply.remove(0);
                let sequence_nbr: u32 = String::from_utf8_lossy(&sequence).parse().unwrap_or(0);
                if sequence_nbr == self.sequence {
                    return Ok(Some(reply));
                }
            }
        }
    }
}
