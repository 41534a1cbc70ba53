//! Load-balancing broker using CZMQ's high-level API (zguide `lbbroker2.c`):
//! the same broker as `lbbroker`, with ten REQ clients and three REQ workers,
//! each a thread with its own context, but messages are read and sent whole
//! (CZMQ's `zmsg`, here `Vec<Vec<u8>>` frames) and the workers keep libzmq's
//! binary identities instead of printable ones. Workers announce themselves
//! with "READY" and then with each reply; the broker keeps a queue of the ready
//! workers' identities, polls the clients' side only while that queue is not
//! empty, and stops after every client has had its replies.
//!
//! ```text
//! cargo run --example zguide_lbbroker2 -- [FRONTEND] [BACKEND] [--clients N] [--workers N] [--requests N] [--interval-ms MS]
//! ```
//!
//! `FRONTEND` and `BACKEND` default to `tcp://127.0.0.1:*`, free ports (the C
//! uses `ipc://frontend.ipc` and `ipc://backend.ipc`, files in the current
//! directory). `--clients` defaults to 10 and `--workers` to 3, as in the C.
//! Not in the C: each client sends `--requests` requests (default 1, as in the
//! C), `--interval-ms` apart (default 0). Clients print `Client: OK`, workers
//! the request as CZMQ's `zframe_print` does, `Worker: [005] HELLO`; at the end
//! the broker prints `Worker <identity> handled <n> requests` for each worker,
//! the identity in hex (not in the C).
#![forbid(unsafe_code)]

use std::collections::{BTreeMap, VecDeque};

use zmq::PollEvents;

#[path = "zhelpers.rs"]
mod zhelpers;
use zhelpers::{s_bound, s_console, s_frame_text, s_identity, s_recv, s_send, s_sleep, Args};

const WORKER_READY: &[u8] = b"READY"; //  Signals worker is ready

//  Basic request-reply client using REQ socket
//
fn client_task(frontend: String, requests: u32, interval_ms: u64) -> zmq::Result<()> {
    let context = zmq::Context::new()?;
    let client = context.socket(zmq::REQ)?;
    client.connect(&frontend)?;

    //  Send request, get reply
    for request in 0..requests {
        if request > 0 {
            s_sleep(interval_ms);
        }
        s_send(&client, "HELLO")?;
        let reply = s_recv(&client)?;
        s_console(format_args!("Client: {reply}"));
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
            s_console(format_args!(
                "Worker: [{:03}] {}",
                last.len(),
                s_frame_text(last)
            ));
            *last = zmq::Message::from("OK");
        }
        worker.send_multipart_msg(&mut msg, zmq::SendFlags::empty())?;
    }
}

//  Now we come to the main task. This has the identical functionality to
//  the previous lbbroker broker example, but reads and sends whole messages
//  (CZMQ's zmsg) and holds the list of workers in a queue of identities:

fn main() -> zhelpers::Result {
    let args = Args::parse(
        "lbbroker2 [FRONTEND] [BACKEND] [--clients N] [--workers N] [--requests N] [--interval-ms MS]",
    )?
    .only(&["clients", "workers", "requests", "interval-ms"])?;
    let nbr_clients: u32 = args.opt("clients", 10)?;
    let nbr_workers: u32 = args.opt("workers", 3)?;
    let requests: u32 = args.opt("requests", 1)?;
    let interval_ms: u64 = args.opt("interval-ms", 0)?;

    let context = zmq::Context::new()?;
    let frontend = context.socket(zmq::ROUTER)?;
    let backend = context.socket(zmq::ROUTER)?;
    frontend.bind(&args.arg(0, "tcp://127.0.0.1:*"))?;
    s_bound(&frontend)?;
    backend.bind(&args.arg(1, "tcp://127.0.0.1:*"))?;
    s_bound(&backend)?;

    let clients: Vec<_> = (0..nbr_clients)
        .map(|_| {
            let endpoint = frontend.get_last_endpoint()?;
            Ok(std::thread::spawn(move || {
                client_task(endpoint, requests, interval_ms)
            }))
        })
        .collect::<zmq::Result<_>>()?;
    for _ in 0..nbr_workers {
        let endpoint = backend.get_last_endpoint()?;
        // The workers serve until the process ends, as in the C.
        std::thread::spawn(move || worker_task(endpoint));
    }

    //  Queue of available workers
    let mut workers: VecDeque<zmq::Message> = VecDeque::new();
    //  One zmsg-like value, reused for every message in both directions
    let mut msg = zmq::Multipart::new();
    let mut handled: BTreeMap<String, u64> = BTreeMap::new();
    let mut client_nbr = u64::from(nbr_clients) * u64::from(requests);

    //  Here is the main loop for the load balancer. It works the same way
    //  as the previous example, but is a lot shorter because whole messages
    //  do more with fewer calls:
    while client_nbr > 0 {
        let mut items = [
            backend.as_poll_item(PollEvents::POLLIN),
            frontend.as_poll_item(PollEvents::POLLIN),
        ];
        //  Poll frontend only if we have available workers
        let polled = if workers.is_empty() { 1 } else { 2 };
        zmq::poll(&mut items[..polled], -1)?;
        let (backend_ready, frontend_ready) = (items[0].is_readable(), items[1].is_readable());

        //  Handle worker activity on backend
        if backend_ready {
            //  Use worker identity for load-balancing
            backend.recv_multipart_msg(&mut msg, zmq::RecvFlags::empty())?;
            // The C pops the identity and the delimiter (zmsg_unwrap being
            // deprecated there as over-engineered, poor style)
            let (Some(identity), Some(_delimiter)) = (msg.pop_front(), msg.pop_front()) else {
                return Err("malformed message from a worker".into());
            };

            let worker = s_identity(&identity);
            workers.push_back(identity);

            //  Forward message to client if it's not a READY
            if msg.front().map(|f| &f[..]) != Some(WORKER_READY) {
                *handled.entry(worker).or_default() += 1;
                frontend.send_multipart_msg(&mut msg, zmq::SendFlags::empty())?;
                client_nbr -= 1;
                if client_nbr == 0 {
                    break; // Exit after N messages
                }
            }
        }
        if frontend_ready {
            //  Get client request, route to first available worker
            frontend.recv_multipart_msg(&mut msg, zmq::RecvFlags::empty())?;
            let worker = workers
                .pop_front()
                .ok_or("polled the frontend with no worker ready")?;
            // The C pushes a delimiter then the identity (zmsg_wrap being
            // deprecated there as unsafe)
            msg.push_front(zmq::Message::new()); // delimiter
            msg.push_front(worker);
            backend.send_multipart_msg(&mut msg, zmq::SendFlags::empty())?;
        }
    }

    //  When we're done, clean up properly: every client has its replies
    for client in clients {
        client.join().map_err(|_| "a client thread panicked")??;
    }
    for (worker, requests) in &handled {
        s_console(format_args!("Worker {worker} handled {requests} requests"));
    }
    Ok(())
}
