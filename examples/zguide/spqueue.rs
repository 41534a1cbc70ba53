//! Simple Pirate queue (zguide `spqueue.c`): the load-balancing (LRU) broker of
//! chapter 3 with no reliability mechanism at all: a ROUTER for clients, a
//! ROUTER for `spworker`s that say they are ready with a one-byte `"\x01"`
//! frame, and a queue of ready workers. Recovery is the client's job
//! (`lpclient`): a request lost with a crashed worker is sent again.
//!
//! ```text
//! cargo run --example zguide_spqueue -- [FRONTEND] [BACKEND] [--count N]
//! ```
//!
//! `FRONTEND` defaults to `tcp://127.0.0.1:5555` and `BACKEND` to
//! `tcp://127.0.0.1:5556` (the C binds `tcp://*:…`). The C runs forever;
//! `--count N` exits after passing N replies back to clients. It prints
//! nothing but the `Bound to` lines.
#![forbid(unsafe_code)]

use std::collections::VecDeque;

use zmq::PollEvents;

#[path = "zhelpers.rs"]
mod zhelpers;
use zhelpers::{s_bound, Args};

const LRU_READY: &[u8] = b"\x01"; //  Signals worker is ready

/// Pops the address frame off the front of a message, and the empty
/// delimiter after it if there is one (CZMQ's `zmsg_unwrap`).
fn unwrap(msg: &mut VecDeque<Vec<u8>>) -> Vec<u8> {
    let address = msg.pop_front().unwrap_or_default();
    if msg.front().is_some_and(Vec::is_empty) {
        msg.pop_front();
    }
    address
}

/// Pushes an address frame and an empty delimiter onto the front of a message
/// (CZMQ's `zmsg_wrap`).
fn wrap(msg: &mut VecDeque<Vec<u8>>, address: Vec<u8>) {
    msg.push_front(Vec::new());
    msg.push_front(address);
}

fn main() -> zhelpers::Result {
    let args = Args::parse("spqueue [FRONTEND] [BACKEND] [--count N]")?.only(&["count"])?;
    let count: Option<u64> = args.opt_some("count")?;

    //  Prepare our context and sockets
    let context = zmq::Context::new()?;
    let frontend = context.socket(zmq::ROUTER)?;
    let backend = context.socket(zmq::ROUTER)?;
    frontend.set_linger(0)?; //  CZMQ's default
    backend.set_linger(0)?;
    frontend.bind(&args.arg(0, "tcp://127.0.0.1:5555"))?; //  For clients
    s_bound(&frontend)?;
    backend.bind(&args.arg(1, "tcp://127.0.0.1:5556"))?; //  For workers
    s_bound(&backend)?;

    //  Queue of available workers
    let mut workers: VecDeque<Vec<u8>> = VecDeque::new();

    let mut replies = 0;
    while count != Some(replies) {
        let mut items = [
            backend.as_poll_item(PollEvents::POLLIN),
            frontend.as_poll_item(PollEvents::POLLIN),
        ];
        //  Poll frontend only if we have available workers
        let polled = if workers.is_empty() { 1 } else { 2 };
        match zmq::poll(&mut items[..polled], -1) {
            Err(zmq::Error::EINTR) => break, //  Interrupted
            other => other?,
        };
        let (backend_ready, frontend_ready) = (items[0].is_readable(), items[1].is_readable());

        //  Handle worker activity on backend
        if backend_ready {
            //  Use worker address for LRU routing
            let mut msg: VecDeque<_> = backend.recv_multipart(zmq::RecvFlags::empty())?.into();
            let address = unwrap(&mut msg);
            workers.push_back(address);

            //  Forward message to client if it's not a READY
            // (the C compares the first byte of the first frame only)
            if msg.len() != 1 || msg[0] != LRU_READY {
                frontend.send_multipart(msg, zmq::SendFlags::empty())?;
                replies += 1;
            }
        }
        if frontend_ready {
            //  Get client request, route to first available worker
            let mut msg: VecDeque<_> = frontend.recv_multipart(zmq::RecvFlags::empty())?.into();
            if let Some(worker) = workers.pop_front() {
                wrap(&mut msg, worker);
                backend.send_multipart(msg, zmq::SendFlags::empty())?;
            }
        }
    }
    //  When we're done, clean up properly
    // (the queue, the sockets and the context free themselves when dropped)
    Ok(())
}
