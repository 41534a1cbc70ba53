//! Asynchronous client-to-server, DEALER to ROUTER (zguide `asyncsrv.c`):
//! three DEALER clients send a request every second and print the replies as
//! they arrive; the server has a ROUTER for the clients, a DEALER bound to
//! `inproc://backend`, `zmq::proxy` between them, and five DEALER worker
//! threads that answer each request with zero to four replies after random
//! delays. The clients and the server each have their own context, so each
//! acts as a separate process would. It runs for five seconds.
//!
//! ```text
//! cargo run --example zguide_asyncsrv -- [ENDPOINT] [--clients N] [--workers N]
//!     [--seconds S] [--tick-ms MS] [--replies N] [--max-delay-ms MS]
//! ```
//!
//! `ENDPOINT` defaults to `tcp://127.0.0.1:*`, a free port (the C binds
//! `tcp://*:5570`); the clients connect to the port it got. The defaults are
//! the C's: 3 clients, 5 workers, 5 seconds, a request per 1000 ms tick, a
//! random 0 to 4 replies per request (`--replies N` sends exactly N), each
//! after up to 1000 ms (`--max-delay-ms`). A reply prints as the C's
//! `zframe_print` does, `<client identity>[<size>] <content>`; when the time is
//! up each client prints `<identity> sent <n> requests` (not in the C), then
//! every context is shut down and every thread joined (the C just returns
//! from `main`).
#![forbid(unsafe_code)]

use std::sync::mpsc;
use std::time::Duration;

use zmq::PollEvents;

#[path = "zhelpers.rs"]
mod zhelpers;
use zhelpers::{randof, s_console, s_sleep, Args};

//  This is our client task
//  It connects to the server, and then sends a request once per second
//  It collects responses as they arrive, and it prints them out. We will
//  run several client tasks in parallel, each with a different random ID.

fn client_task(ctx: zmq::Context, endpoint: String, tick_ms: u64) -> zmq::Result<()> {
    let client = ctx.socket(zmq::DEALER)?;
    client.set_linger(0)?; //  CZMQ's default: unsent requests go at shutdown

    //  Set random identity to make tracing easier
    let identity = format!("{:04X}-{:04X}", randof(0x10000), randof(0x10000));
    client.set_routing_id(identity.as_bytes())?;
    client.connect(&endpoint)?;

    let mut request_nbr = 0;
    let stopped = loop {
        //  Tick once per second, pulling in arriving messages
        match tick(&client, &identity, tick_ms) {
            Ok(()) => {}
            Err(e) => break e,
        }
        request_nbr += 1;
        if let Err(e) = client.send(format!("request #{request_nbr}"), zmq::SendFlags::empty()) {
            break e;
        }
    };
    s_console(format_args!("{identity} sent {request_nbr} requests"));
    match stopped {
        zmq::Error::ETERM => Ok(()), //  Shut down by main
        e => Err(e),
    }
}

/// One tick of a client: a hundredth of it at a time, prints every reply.
fn tick(client: &zmq::Socket, identity: &str, tick_ms: u64) -> zmq::Result<()> {
    for _centitick in 0..100 {
        let mut items = [client.as_poll_item(PollEvents::POLLIN)];
        zmq::poll(&mut items, (tick_ms / 100) as i64)?;
        if items[0].is_readable() {
            let msg = client.recv_multipart(zmq::RecvFlags::empty())?;
            let last = msg.last().map(Vec::as_slice).unwrap_or_default();
            s_console(format_args!(
                "{identity}[{:03}] {}",
                last.len(),
                String::from_utf8_lossy(last)
            ));
        }
    }
    Ok(())
}

//  This is our server task.
//  It uses the multithreaded server model to deal requests out to a pool
//  of workers and route replies back to clients. One worker can handle
//  one request at a time but one client can talk to multiple workers at
//  once.

fn server_task(
    ctx: zmq::Context,
    endpoint: String,
    workers: usize,
    replies: Option<u32>,
    max_delay_ms: u32,
    bound: mpsc::Sender<zmq::Result<String>>,
) -> zmq::Result<()> {
    //  Frontend socket talks to clients over TCP
    let frontend = ctx.socket(zmq::ROUTER)?;
    frontend.set_linger(0)?;
    if let Err(e) = frontend.bind(&endpoint) {
        let _ = bound.send(Err(e));
        return Err(e);
    }
    let _ = bound.send(frontend.get_last_endpoint());

    //  Backend socket talks to workers over inproc
    let backend = ctx.socket(zmq::DEALER)?;
    backend.set_linger(0)?;
    backend.bind("inproc://backend")?;

    //  Launch pool of worker threads, precise number is not critical
    let pool: Vec<_> = (0..workers)
        .map(|_| {
            let ctx = ctx.clone();
            std::thread::spawn(move || server_worker(ctx, replies, max_delay_ms))
        })
        .collect();

    //  Connect backend to frontend via a proxy
    let stopped = zmq::proxy(&frontend, &backend);

    for worker in pool {
        match worker.join() {
            Ok(Ok(())) | Ok(Err(zmq::Error::ETERM)) => {}
            Ok(Err(e)) => return Err(e),
            Err(_) => return Err(zmq::Error::EFAULT),
        }
    }
    match stopped {
        Err(zmq::Error::ETERM) | Ok(()) => Ok(()),
        Err(e) => Err(e),
    }
}

//  Each worker task works on one request at a time and sends a random number
//  of replies back, with random delays between replies:

fn server_worker(ctx: zmq::Context, replies: Option<u32>, max_delay_ms: u32) -> zmq::Result<()> {
    let worker = ctx.socket(zmq::DEALER)?;
    worker.set_linger(0)?;
    worker.connect("inproc://backend")?;

    loop {
        //  The DEALER socket gives us the reply envelope and message
        let mut msg = worker.recv_multipart(zmq::RecvFlags::empty())?.into_iter();
        let identity = msg.next().unwrap_or_default();
        let Some(content) = msg.next() else {
            continue; //  The C asserts there is one
        };

        //  Send 0..4 replies back
        let replies = replies.unwrap_or_else(|| randof(5));
        for _reply in 0..replies {
            //  Sleep for some fraction of a second
            s_sleep(u64::from(randof(max_delay_ms)) + 1);
            worker.send_multipart([&identity, &content], zmq::SendFlags::empty())?;
        }
    }
}

//  The main thread simply starts several clients, and a server, and then
//  waits for the server to finish.

fn main() -> zhelpers::Result {
    let args = Args::parse(
        "asyncsrv [ENDPOINT] [--clients N] [--workers N] [--seconds S] [--tick-ms MS] \
         [--replies N] [--max-delay-ms MS]",
    )?
    .only(&[
        "clients",
        "workers",
        "seconds",
        "tick-ms",
        "replies",
        "max-delay-ms",
    ])?;
    let clients: usize = args.opt("clients", 3)?;
    let workers: usize = args.opt("workers", 5)?;
    let seconds: f64 = args.opt("seconds", 5.0)?;
    let tick_ms: u64 = args.opt("tick-ms", 1000)?;
    let replies: Option<u32> = args.opt_some("replies")?;
    let max_delay_ms: u32 = args.opt("max-delay-ms", 1000)?;

    // The server starts first here, so the clients can connect to the port
    // it got (the C's fixed port lets it start them in any order).
    let server_ctx = zmq::Context::new()?;
    let (bound, endpoint) = mpsc::channel();
    let server = {
        let ctx = server_ctx.clone();
        let endpoint = args.arg(0, "tcp://127.0.0.1:*");
        std::thread::spawn(move || {
            server_task(ctx, endpoint, workers, replies, max_delay_ms, bound)
        })
    };
    let endpoint = endpoint.recv().map_err(|_| "the server task ended")??;
    s_console(format_args!("Bound to {endpoint}"));

    let mut contexts = vec![server_ctx];
    let mut tasks = Vec::new();
    for _ in 0..clients {
        let ctx = zmq::Context::new()?;
        contexts.push(ctx.clone());
        let endpoint = endpoint.clone();
        tasks.push(std::thread::spawn(move || {
            client_task(ctx, endpoint, tick_ms)
        }));
    }
    tasks.push(server);

    //  Run for 5 seconds then quit
    std::thread::sleep(Duration::from_secs_f64(seconds));
    for ctx in &contexts {
        ctx.shutdown()?;
    }
    for task in tasks {
        task.join().map_err(|_| "a task panicked")??;
    }
    Ok(())
}
