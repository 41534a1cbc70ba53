//! Load-balancing broker in reactor style (zguide `lbbroker3.c`): the broker of
//! `lbbroker2`, with ten REQ clients and three REQ workers, each a thread with
//! its own context, but driven by a reactor (CZMQ's `zloop`): each time a
//! message arrives on a socket, the reactor calls that socket's handler. The
//! backend's handler queues the worker and enables the frontend's reader when
//! the first worker becomes ready; the frontend's handler routes a request to
//! the first ready worker and cancels its own reader when none is left.
//! Workers announce themselves with a one-byte `\x01` frame.
//!
//! ```text
//! cargo run --example zguide_lbbroker3 -- [FRONTEND] [BACKEND] [--clients N] [--workers N] [--requests N] [--interval-ms MS]
//! ```
//!
//! `FRONTEND` and `BACKEND` default to `tcp://127.0.0.1:*`, free ports (the C
//! uses `ipc://frontend.ipc` and `ipc://backend.ipc`, files in the current
//! directory). `--clients` defaults to 10 and `--workers` to 3, as in the C.
//! Each client sends a request every `--interval-ms` (default 1000, the C's
//! `sleep (1)`) and prints `Client: OK` for each reply; the workers print
//! nothing (as in the C). The C runs until Ctrl-C (so does this, on SIGINT or
//! SIGTERM); not in the C: with `--requests N` each client sends N requests,
//! and the reactor stops once every client has had its replies. At the end the
//! broker prints `Worker <identity> handled <n> requests` for each worker, the
//! identity in hex (not in the C).
//!
//! `zloop` is not in the crate: `Zloop` below is the part of it this example
//! needs, socket readers polled with `zmq::poll`.
#![forbid(unsafe_code)]

use std::collections::{BTreeMap, VecDeque};
use std::ops::ControlFlow;

#[path = "zhelpers.rs"]
mod zhelpers;
use zhelpers::{s_bound, s_console, s_identity, s_recv, s_send, s_sleep, Args};

const WORKER_READY: &[u8] = b"\x01"; //  Signals worker is ready

//  Basic request-reply client using REQ socket
//
fn client_task(frontend: String, requests: Option<u64>, interval_ms: u64) -> zmq::Result<()> {
    let context = zmq::Context::new()?;
    let client = context.socket(zmq::REQ)?;
    client.connect(&frontend)?;

    //  Send request, get reply
    let mut sent = 0;
    while requests.map_or(true, |requests| sent < requests) {
        s_send(&client, "HELLO")?;
        let reply = s_recv(&client)?;
        s_console(format_args!("Client: {reply}"));
        sent += 1;
        if requests != Some(sent) {
            s_sleep(interval_ms);
        }
    }
    Ok(())
}

//  Worker using REQ socket to do load-balancing
//
fn worker_task(backend: String) -> zmq::Result<()> {
    let context = zmq::Context::new()?;
    let worker = context.socket(zmq::REQ)?;
    worker.connect(&backend)?;

    //  Tell broker we're ready for work
    worker.send(WORKER_READY, zmq::SendFlags::empty())?;

    //  Process messages as they arrive (one zmsg-like value, reused)
    let mut msg = zmq::Multipart::new();
    loop {
        worker.recv_multipart_msg(&mut msg, zmq::RecvFlags::empty())?;
        //  (a message has at least one frame)
        if let Some(last) = msg.back_mut() {
            *last = zmq::Message::from("OK");
        }
        worker.send_multipart_msg(&mut msg, zmq::SendFlags::empty())?;
    }
}

//  Our load-balancer structure, passed to reactor handlers
struct LbBroker {
    frontend: zmq::Socket,           //  Listen to clients
    backend: zmq::Socket,            //  Listen to workers
    workers: VecDeque<zmq::Message>, //  List of ready workers
    //  Not in the C: replies still to forward before we stop (None: run
    //  until interrupted), and how many each worker sent
    client_nbr: Option<u64>,
    handled: BTreeMap<String, u64>,
}

/// Which of the broker's sockets a reader watches (the C hands `zloop` the
/// socket itself).
#[derive(Clone, Copy, PartialEq, Eq)]
enum Side {
    Frontend,
    Backend,
}

impl LbBroker {
    fn socket(&self, side: Side) -> &zmq::Socket {
        match side {
            Side::Frontend => &self.frontend,
            Side::Backend => &self.backend,
        }
    }
}

/// A reader's handler: `Continue` keeps the reactor going, `Break` ends it (a
/// `zloop` handler returns 0 or -1).
type Handler = fn(&mut Zloop, &mut LbBroker) -> zhelpers::Result<ControlFlow<()>>;

/// The part of CZMQ's `zloop` this example uses: a list of readers, each a
/// socket and the handler called when it has a message. Readers may be added
/// and cancelled from inside handlers.
struct Zloop {
    readers: Vec<(Side, Handler)>,
}

impl Zloop {
    /// An empty reactor (`zloop_new`).
    fn new() -> Zloop {
        Zloop {
            readers: Vec::new(),
        }
    }

    /// Calls `handler` whenever `side` has a message (`zloop_poller`).
    fn poller(&mut self, side: Side, handler: Handler) {
        self.readers.push((side, handler));
    }

    /// Stops watching `side` (`zloop_poller_end`).
    fn poller_end(&mut self, side: Side) {
        self.readers.retain(|&(s, _)| s != side);
    }

    /// Runs until a handler breaks, a handler fails, or the process is
    /// interrupted (`zloop_start`).
    fn start(&mut self, broker: &mut LbBroker) -> zhelpers::Result {
        while !zmq::interrupted() {
            //  Poll the readers as they are now; handlers may change them
            let readers = self.readers.clone();
            let ready: Vec<bool> = {
                let mut items: Vec<zmq::PollItem> = readers
                    .iter()
                    .map(|&(side, _)| broker.socket(side).as_poll_item(zmq::PollEvents::POLLIN))
                    .collect();
                //  A bounded wait, so an interrupt seen by another thread
                //  still ends the loop
                match zmq::poll(&mut items, 1000) {
                    Err(zmq::Error::EINTR) => break, //  Interrupted
                    result => result?,
                };
                items.iter().map(zmq::PollItem::is_readable).collect()
            };
            for (&(side, handler), ready) in readers.iter().zip(ready) {
                //  Skip a reader that an earlier handler cancelled
                if !ready || !self.readers.iter().any(|&(s, _)| s == side) {
                    continue;
                }
                if handler(self, broker)?.is_break() {
                    return Ok(());
                }
            }
        }
        Ok(())
    }
}

//  In the reactor design, each time a message arrives on a socket, the
//  reactor passes it to a handler function. We have two handlers; one
//  for the frontend, one for the backend:

//  Handle input from client, on frontend
fn s_handle_frontend(
    reactor: &mut Zloop,
    this: &mut LbBroker,
) -> zhelpers::Result<ControlFlow<()>> {
    let mut msg = zmq::Multipart::new();
    this.frontend
        .recv_multipart_msg(&mut msg, zmq::RecvFlags::empty())?;
    let worker = this
        .workers
        .pop_front()
        .ok_or("the frontend was read with no worker ready")?;
    msg.wrap(worker);
    this.backend
        .send_multipart_msg(&mut msg, zmq::SendFlags::empty())?;

    //  Cancel reader on frontend if we went from 1 to 0 workers
    if this.workers.is_empty() {
        reactor.poller_end(Side::Frontend);
    }
    Ok(ControlFlow::Continue(()))
}

//  Handle input from worker, on backend
fn s_handle_backend(reactor: &mut Zloop, this: &mut LbBroker) -> zhelpers::Result<ControlFlow<()>> {
    //  Use worker identity for load-balancing
    let mut msg = zmq::Multipart::new();
    this.backend
        .recv_multipart_msg(&mut msg, zmq::RecvFlags::empty())?;
    let identity = msg.unwrap().ok_or("empty message from a worker")?;
    let worker = s_identity(&identity);
    this.workers.push_back(identity);

    //  Enable reader on frontend if we went from 0 to 1 workers
    if this.workers.len() == 1 {
        reactor.poller(Side::Frontend, s_handle_frontend);
    }
    //  Forward message to client if it's not a READY
    if msg.front().map(|f| &f[..]) == Some(WORKER_READY) {
        return Ok(ControlFlow::Continue(()));
    }
    this.frontend
        .send_multipart_msg(&mut msg, zmq::SendFlags::empty())?;

    //  Not in the C: count, and stop after every client has its replies
    *this.handled.entry(worker).or_default() += 1;
    if let Some(client_nbr) = &mut this.client_nbr {
        *client_nbr -= 1;
        if *client_nbr == 0 {
            return Ok(ControlFlow::Break(()));
        }
    }
    Ok(ControlFlow::Continue(()))
}

//  And the main task now sets up child tasks, then starts its reactor.
//  If you press Ctrl-C, the reactor exits and the main task shuts down.

fn main() -> zhelpers::Result {
    let args = Args::parse(
        "lbbroker3 [FRONTEND] [BACKEND] [--clients N] [--workers N] [--requests N] [--interval-ms MS]",
    )?
    .only(&["clients", "workers", "requests", "interval-ms"])?;
    let nbr_clients: u32 = args.opt("clients", 10)?;
    let nbr_workers: u32 = args.opt("workers", 3)?;
    let requests: Option<u64> = args.opt_some("requests")?;
    let interval_ms: u64 = args.opt("interval-ms", 1000)?;
    zmq::catch_interrupts()?;

    let context = zmq::Context::new()?;
    let mut this = LbBroker {
        frontend: context.socket(zmq::ROUTER)?,
        backend: context.socket(zmq::ROUTER)?,
        workers: VecDeque::new(), //  Queue of available workers
        client_nbr: requests.map(|requests| u64::from(nbr_clients) * requests),
        handled: BTreeMap::new(),
    };
    this.frontend.bind(&args.arg(0, "tcp://127.0.0.1:*"))?;
    s_bound(&this.frontend)?;
    this.backend.bind(&args.arg(1, "tcp://127.0.0.1:*"))?;
    s_bound(&this.backend)?;

    let clients: Vec<_> = (0..nbr_clients)
        .map(|_| {
            let endpoint = this.frontend.get_last_endpoint()?;
            Ok(std::thread::spawn(move || {
                client_task(endpoint, requests, interval_ms)
            }))
        })
        .collect::<zmq::Result<_>>()?;
    for _ in 0..nbr_workers {
        let endpoint = this.backend.get_last_endpoint()?;
        // The workers serve until the process ends, as in the C.
        std::thread::spawn(move || worker_task(endpoint));
    }

    //  Prepare reactor and fire it up
    let mut reactor = Zloop::new();
    reactor.poller(Side::Backend, s_handle_backend);
    if this.client_nbr != Some(0) {
        reactor.start(&mut this)?;
    }

    //  When we're done, clean up properly: after an interrupt the clients may
    //  still be waiting, else every client has its replies
    if !zmq::interrupted() {
        for client in clients {
            client.join().map_err(|_| "a client thread panicked")??;
        }
    }
    for (worker, requests) in &this.handled {
        s_console(format_args!("Worker {worker} handled {requests} requests"));
    }
    Ok(())
}
