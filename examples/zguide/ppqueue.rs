//! Paranoid Pirate queue (zguide `ppqueue.c`): the load-balancing queue with
//! heartbeats. `ppworker`s connect to its backend with DEALER sockets and say
//! `"\x01"` (ready) once and `"\x02"` (heartbeat) regularly; any message from a
//! worker puts it at the end of the list of ready workers with a fresh expiry
//! time, idle workers get a heartbeat every interval, and a worker silent for
//! `HEARTBEAT_LIVENESS` intervals is dropped from the list. Clients are
//! `lpclient`s on the frontend.
//!
//! ```text
//! cargo run --example zguide_ppqueue -- [FRONTEND] [BACKEND] [--heartbeat-ms MS]
//!     [--liveness N] [--count N]
//! ```
//!
//! `FRONTEND` defaults to `tcp://127.0.0.1:5555` and `BACKEND` to
//! `tcp://127.0.0.1:5556` (the C binds `tcp://*:…`). `--heartbeat-ms` defaults
//! to the C's `HEARTBEAT_INTERVAL` (1000) and `--liveness` to its
//! `HEARTBEAT_LIVENESS` (3); the workers must use the same. The C runs
//! forever; `--count N` exits after passing N replies back to clients. Not in
//! the C, it prints `I: worker <identity> ready` when a worker says it is
//! ready and `W: worker <identity> expired` when it drops one.
#![forbid(unsafe_code)]

use std::collections::VecDeque;
use std::time::{Duration, Instant};

use zmq::PollEvents;

#[path = "zhelpers.rs"]
mod zhelpers;
use zhelpers::{s_bound, s_console, s_identity, Args};

const HEARTBEAT_LIVENESS: u32 = 3; //  3-5 is reasonable
const HEARTBEAT_INTERVAL: u64 = 1000; //  msecs

//  Paranoid Pirate Protocol constants
const PPP_READY: &[u8] = b"\x01"; //  Signals worker is ready
const PPP_HEARTBEAT: &[u8] = b"\x02"; //  Signals worker heartbeat

//  This defines one active worker in our worker list
struct Worker {
    address: Vec<u8>, //  Address of worker
    identity: String, //  Printable identity
    expiry: Instant,  //  Expires at this time
}

//  Construct new worker
fn s_worker_new(address: Vec<u8>, heartbeat: &Heartbeat) -> Worker {
    Worker {
        identity: s_identity(&address),
        address,
        expiry: Instant::now() + heartbeat.interval * heartbeat.liveness,
    }
}

//  Worker is ready, remove if on list and move to end
fn s_worker_ready(worker: Worker, workers: &mut VecDeque<Worker>) {
    if let Some(at) = workers.iter().position(|w| w.identity == worker.identity) {
        workers.remove(at);
    }
    workers.push_back(worker);
}

//  Return next available worker address
fn s_workers_next(workers: &mut VecDeque<Worker>) -> Option<Vec<u8>> {
    workers.pop_front().map(|worker| worker.address)
}

//  Look for & kill expired workers. Workers are oldest to most recent,
//  so we stop at the first alive worker.
fn s_workers_purge(workers: &mut VecDeque<Worker>) {
    while let Some(worker) = workers.front() {
        if Instant::now() < worker.expiry {
            break; //  Worker is alive, we're done here
        }
        s_console(format_args!("W: worker {} expired", worker.identity));
        workers.pop_front();
    }
}

/// The heartbeat settings (the C's two constants, here options).
struct Heartbeat {
    interval: Duration,
    liveness: u32,
}

/// Pops the address frame off the front of a message, and the empty
/// delimiter after it if there is one (CZMQ's `zmsg_unwrap`).
fn unwrap(msg: &mut VecDeque<Vec<u8>>) -> Vec<u8> {
    let address = msg.pop_front().unwrap_or_default();
    if msg.front().is_some_and(Vec::is_empty) {
        msg.pop_front();
    }
    address
}

fn main() -> zhelpers::Result {
    let args =
        Args::parse("ppqueue [FRONTEND] [BACKEND] [--heartbeat-ms MS] [--liveness N] [--count N]")?
            .only(&["heartbeat-ms", "liveness", "count"])?;
    let heartbeat = Heartbeat {
        interval: Duration::from_millis(args.opt("heartbeat-ms", HEARTBEAT_INTERVAL)?),
        liveness: args.opt("liveness", HEARTBEAT_LIVENESS)?,
    };
    let count: Option<u64> = args.opt_some("count")?;

    let context = zmq::Context::new()?;
    let frontend = context.socket(zmq::ROUTER)?;
    let backend = context.socket(zmq::ROUTER)?;
    frontend.set_linger(0)?; //  CZMQ's default
    backend.set_linger(0)?;
    frontend.bind(&args.arg(0, "tcp://127.0.0.1:5555"))?; //  For clients
    s_bound(&frontend)?;
    backend.bind(&args.arg(1, "tcp://127.0.0.1:5556"))?; //  For workers
    s_bound(&backend)?;

    //  List of available workers
    let mut workers: VecDeque<Worker> = VecDeque::new();

    //  Send out heartbeats at regular intervals
    let mut heartbeat_at = Instant::now() + heartbeat.interval;

    let mut replies = 0;
    while count != Some(replies) {
        let mut items = [
            backend.as_poll_item(PollEvents::POLLIN),
            frontend.as_poll_item(PollEvents::POLLIN),
        ];
        //  Poll frontend only if we have available workers
        let polled = if workers.is_empty() { 1 } else { 2 };
        match zmq::poll(&mut items[..polled], heartbeat.interval.as_millis() as i64) {
            Err(zmq::Error::EINTR) => break, //  Interrupted
            other => other?,
        };
        let (backend_ready, frontend_ready) = (items[0].is_readable(), items[1].is_readable());

        //  Handle worker activity on backend
        if backend_ready {
            //  Use worker address for LRU routing
            let mut msg: VecDeque<_> = backend.recv_multipart(zmq::RecvFlags::empty())?.into();

            //  Any sign of life from worker means it's ready
            let address = unwrap(&mut msg);
            let worker = s_worker_new(address, &heartbeat);
            let identity = worker.identity.clone();
            s_worker_ready(worker, &mut workers);

            //  Validate control message, or return reply to client
            if msg.len() == 1 {
                if msg[0] == PPP_READY {
                    s_console(format_args!("I: worker {identity} ready"));
                } else if msg[0] != PPP_HEARTBEAT {
                    s_console(format_args!(
                        "E: invalid message from worker: {}",
                        s_identity(&msg[0])
                    ));
                }
            } else {
                frontend.send_multipart(msg, zmq::SendFlags::empty())?;
                replies += 1;
            }
        }
        if frontend_ready {
            //  Now get next client request, route to next worker
            let mut msg: VecDeque<_> = frontend.recv_multipart(zmq::RecvFlags::empty())?.into();
            if let Some(worker) = s_workers_next(&mut workers) {
                msg.push_front(worker);
                backend.send_multipart(msg, zmq::SendFlags::empty())?;
            }
        }

        //  Send heartbeats to idle workers if it's time
        if Instant::now() >= heartbeat_at {
            for worker in &workers {
                backend.send(&worker.address, zmq::SNDMORE)?;
                backend.send(PPP_HEARTBEAT, zmq::SendFlags::empty())?;
            }
            heartbeat_at = Instant::now() + heartbeat.interval;
        }
        s_workers_purge(&mut workers);
    }

    //  When we're done, clean up properly
    // (the list, the sockets and the context free themselves when dropped)
    Ok(())
}
