//! Load-balancing broker (zguide `lbbroker.c`): ten REQ clients and three REQ
//! workers, each a thread with its own context, talk through a broker with two
//! ROUTER sockets. Workers announce themselves with "READY" and then with each
//! reply; the broker keeps a queue of the workers that are ready (least
//! recently used first), polls the clients' side only while that queue is not
//! empty, and stops after every client has had its reply.
//!
//! ```text
//! cargo run --example zguide_lbbroker -- [FRONTEND] [BACKEND] [--clients N] [--workers N]
//! ```
//!
//! `FRONTEND` and `BACKEND` default to `tcp://127.0.0.1:*`, free ports (the C
//! uses `ipc://frontend.ipc` and `ipc://backend.ipc`, files in the current
//! directory). `--clients` defaults to 10 and `--workers` to 3, as in the C.
//! Clients print `Client: OK`, workers `Worker: HELLO`; at the end the broker
//! prints `Worker <identity> handled <n> requests` for each worker (not in the
//! C).
#![forbid(unsafe_code)]

use std::collections::{BTreeMap, VecDeque};

use zmq::PollEvents;

#[path = "zhelpers.rs"]
mod zhelpers;
use zhelpers::{s_bound, s_console, s_recv, s_send, s_sendmore, s_set_id, Args};

//  Basic request-reply client using REQ socket
//  Since s_send and s_recv can't handle 0MQ binary identities we
//  set a printable text identity to allow routing.

fn client_task(frontend: String) -> zmq::Result<()> {
    let context = zmq::Context::new()?;
    let client = context.socket(zmq::REQ)?;
    s_set_id(&client)?; //  Set a printable identity
    client.connect(&frontend)?;

    //  Send request, get reply
    s_send(&client, "HELLO")?;
    let reply = s_recv(&client)?;
    s_console(format_args!("Client: {reply}"));
    Ok(())
}

//  While this example runs in a single process, that is just to make
//  it easier to start and stop the example. Each thread has its own
//  context and conceptually acts as a separate process.
//  This is the worker task, using a REQ socket to do load-balancing.
//  Since s_send and s_recv can't handle 0MQ binary identities we
//  set a printable text identity to allow routing.

fn worker_task(backend: String) -> zmq::Result<()> {
    let context = zmq::Context::new()?;
    let worker = context.socket(zmq::REQ)?;
    s_set_id(&worker)?; //  Set a printable identity
    worker.connect(&backend)?;

    //  Tell broker we're ready for work
    s_send(&worker, "READY")?;

    loop {
        //  Read and save all frames until we get an empty frame
        //  In this example there is only 1 but it could be more
        let identity = s_recv(&worker)?;
        let empty = s_recv(&worker)?;
        assert!(empty.is_empty());

        //  Get request, send reply
        let request = s_recv(&worker)?;
        s_console(format_args!("Worker: {request}"));

        s_sendmore(&worker, &identity)?;
        s_sendmore(&worker, "")?;
        s_send(&worker, "OK")?;
    }
}

//  This is the main task. It starts the clients and workers, and then
//  routes requests between the two layers. Workers signal READY when
//  they start; after that we treat them as ready when they reply with
//  a response back to a client. The load-balancing data structure is
//  just a queue of next available workers.

fn main() -> zhelpers::Result {
    let args = Args::parse("lbbroker [FRONTEND] [BACKEND] [--clients N] [--workers N]")?
        .only(&["clients", "workers"])?;
    let nbr_clients: usize = args.opt("clients", 10)?;
    let nbr_workers: usize = args.opt("workers", 3)?;

    //  Prepare our context and sockets
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
            Ok(std::thread::spawn(move || client_task(endpoint)))
        })
        .collect::<zmq::Result<_>>()?;
    for _ in 0..nbr_workers {
        let endpoint = backend.get_last_endpoint()?;
        // The workers serve until the process ends, as in the C.
        std::thread::spawn(move || worker_task(endpoint));
    }

    //  Here is the main loop for the least-recently-used queue. It has two
    //  sockets; a frontend for clients and a backend for workers. It polls
    //  the backend in all cases, and polls the frontend only when there are
    //  one or more workers ready. This is a neat way to use 0MQ's own queues
    //  to hold messages we're not ready to process yet. When we get a client
    //  request, we pop the next available worker, and send the request to it,
    //  including the originating client identity. When a worker replies, we
    //  re-queue that worker, and we forward the reply to the original client,
    //  using the reply envelope.

    //  Queue of available workers
    let mut worker_queue: VecDeque<String> = VecDeque::with_capacity(nbr_workers);
    let mut handled: BTreeMap<String, usize> = BTreeMap::new();
    let mut client_nbr = nbr_clients;

    while client_nbr > 0 {
        let mut items = [
            backend.as_poll_item(PollEvents::POLLIN),
            frontend.as_poll_item(PollEvents::POLLIN),
        ];
        //  Poll frontend only if we have available workers
        let polled = if worker_queue.is_empty() { 1 } else { 2 };
        zmq::poll(&mut items[..polled], -1)?;
        let (backend_ready, frontend_ready) = (items[0].is_readable(), items[1].is_readable());

        //  Handle worker activity on backend
        if backend_ready {
            //  Queue worker identity for load-balancing
            let worker_id = s_recv(&backend)?;
            assert!(worker_queue.len() < nbr_workers);
            worker_queue.push_back(worker_id.clone());

            //  Second frame is empty
            let empty = s_recv(&backend)?;
            assert!(empty.is_empty());

            //  Third frame is READY or else a client reply identity
            let client_id = s_recv(&backend)?;

            //  If client reply, send rest back to frontend
            if client_id != "READY" {
                let empty = s_recv(&backend)?;
                assert!(empty.is_empty());
                let reply = s_recv(&backend)?;
                s_sendmore(&frontend, &client_id)?;
                s_sendmore(&frontend, "")?;
                s_send(&frontend, &reply)?;
                *handled.entry(worker_id).or_default() += 1;
                client_nbr -= 1; //  Exit after N messages
                if client_nbr == 0 {
                    break;
                }
            }
        }
        //  Here is how we handle a client request:

        if frontend_ready {
            //  Now get next client request, route to last-used worker
            //  Client request is [identity][empty][request]
            let client_id = s_recv(&frontend)?;
            let empty = s_recv(&frontend)?;
            assert!(empty.is_empty());
            let request = s_recv(&frontend)?;

            //  Dequeue and drop the next worker identity
            let worker_id = worker_queue
                .pop_front()
                .ok_or("polled the frontend with no worker ready")?;
            s_sendmore(&backend, &worker_id)?;
            s_sendmore(&backend, "")?;
            s_sendmore(&backend, &client_id)?;
            s_sendmore(&backend, "")?;
            s_send(&backend, &request)?;
        }
    }

    for client in clients {
        client.join().map_err(|_| "a client thread panicked")??;
    }
    for (worker, requests) in &handled {
        s_console(format_args!("Worker {worker} handled {requests} requests"));
    }
    Ok(())
}
