//! Asynchronous client-to-server, DEALER to ROUTER (zguide `asyncsrv.c`),
//! written with tokio tasks instead of threads (feature `tokio`): three DEALER
//! client tasks send a request every second and print the replies as they
//! arrive; the server has a ROUTER for the clients and a DEALER bound to
//! `inproc://backend`, moved between each other by two tasks over the split
//! sockets' halves (the async form of `zmq::proxy`), and five DEALER worker
//! tasks that answer each request with zero to four replies after random
//! delays. The clients and the server each have their own context, as in the
//! thread version (`zguide_asyncsrv`), whose command line and output this
//! program shares, so the same test runs both.
//!
//! ```text
//! cargo run --features tokio --example zguide_asyncsrv_tokio -- [ENDPOINT] [--clients N]
//!     [--workers N] [--seconds S] [--tick-ms MS] [--replies N] [--max-delay-ms MS]
//! ```
//!
//! Every task runs on one multi-threaded runtime. A client's tick is a loop of
//! receives, each under `tokio::time::timeout_at` the tick's end: the receive
//! is cancel-safe, so a reply arriving as the tick ends is read in the next
//! one. When the time is up every context is shut down: each pending receive
//! ends with `ETERM` and every task returns.
#![forbid(unsafe_code)]

use std::time::Duration;

use tokio::time::Instant;
use zmq::tokio::AsyncSocket;
use zmq::{Multipart, SocketType};

#[path = "../zguide/zhelpers.rs"]
mod zhelpers;
use zhelpers::{randof, s_console, Args};

type TaskResult = Result<(), zmq::Error>;

fn async_socket(ctx: &zmq::Context, kind: SocketType) -> zmq::Result<AsyncSocket> {
    let socket = ctx.socket(kind)?;
    socket.set_linger(0)?; //  CZMQ's default: unsent messages go at shutdown
    AsyncSocket::new(socket)
        .map_err(|e| zmq::Error::from_raw(e.raw_os_error().unwrap_or(zmq::Error::EINVAL.raw())))
}

//  This is our client task
//  It connects to the server, and then sends a request once per tick
//  It collects responses as they arrive, and it prints them out. We will
//  run several client tasks in parallel, each with a different random ID.

async fn client_task(ctx: zmq::Context, endpoint: String, tick_ms: u64) -> TaskResult {
    let mut client = async_socket(&ctx, zmq::DEALER)?;

    //  Set random identity to make tracing easier
    let identity = format!("{:04X}-{:04X}", randof(0x10000), randof(0x10000));
    client.socket().set_routing_id(identity.as_bytes())?;
    client.connect(&endpoint)?;

    let mut request_nbr = 0;
    let mut reply = Multipart::new();
    let stopped = loop {
        //  Tick once per second, pulling in arriving messages
        let tick_end = Instant::now() + Duration::from_millis(tick_ms);
        let ticked = loop {
            match tokio::time::timeout_at(tick_end, client.recv_multipart(&mut reply)).await {
                Err(_tick_over) => break Ok(()),
                Ok(Err(e)) => break Err(e),
                Ok(Ok(())) => {
                    let last = reply.back().map(|f| &f[..]).unwrap_or_default();
                    s_console(format_args!(
                        "{identity}[{:03}] {}",
                        last.len(),
                        String::from_utf8_lossy(last)
                    ));
                }
            }
        };
        if let Err(e) = ticked {
            break e;
        }
        request_nbr += 1;
        if let Err(e) = client.send(format!("request #{request_nbr}")).await {
            break e;
        }
    };
    s_console(format_args!("{identity} sent {request_nbr} requests"));
    match stopped {
        zmq::Error::ETERM => Ok(()), //  Shut down by main
        e => Err(e),
    }
}

//  This is our server task.
//  It deals requests out to a pool of worker tasks and routes replies back
//  to clients. One worker handles one request at a time, but one client can
//  talk to multiple workers at once.

async fn server_task(
    ctx: zmq::Context,
    endpoint: String,
    workers: usize,
    replies: Option<u32>,
    max_delay_ms: u32,
    bound: tokio::sync::oneshot::Sender<zmq::Result<String>>,
) -> TaskResult {
    //  Frontend socket talks to clients over TCP
    let frontend = async_socket(&ctx, zmq::ROUTER)?;
    if let Err(e) = frontend.bind(&endpoint) {
        let _ = bound.send(Err(e));
        return Err(e);
    }
    let _ = bound.send(frontend.socket().get_last_endpoint());

    //  Backend socket talks to workers over inproc
    let backend = async_socket(&ctx, zmq::DEALER)?;
    backend.bind("inproc://backend")?;

    //  Launch pool of worker tasks, precise number is not critical
    let pool: Vec<_> = (0..workers)
        .map(|_| tokio::spawn(server_worker(ctx.clone(), replies, max_delay_ms)))
        .collect();

    //  Connect backend to frontend: one task per direction, each with the
    //  receiving half of one socket and the sending half of the other
    let (frontend_rx, frontend_tx) = frontend.split();
    let (backend_rx, backend_tx) = backend.split();
    let requests = tokio::spawn(forward(frontend_rx, backend_tx));
    let replies = tokio::spawn(forward(backend_rx, frontend_tx));

    let mut result = Ok(());
    for task in pool.into_iter().chain([requests, replies]) {
        match task.await {
            Ok(Ok(())) | Ok(Err(zmq::Error::ETERM)) => {}
            Ok(Err(e)) => result = Err(e),
            Err(_) => result = Err(zmq::Error::EFAULT),
        }
    }
    result
}

/// Moves whole messages from one socket to another until the context ends.
async fn forward(mut from: zmq::tokio::RecvHalf, mut to: zmq::tokio::SendHalf) -> TaskResult {
    let mut msg = Multipart::new();
    loop {
        from.recv_multipart(&mut msg).await?;
        to.send_multipart(&mut msg).await?;
    }
}

//  Each worker task works on one request at a time and sends a random number
//  of replies back, with random delays between replies:

async fn server_worker(ctx: zmq::Context, replies: Option<u32>, max_delay_ms: u32) -> TaskResult {
    let mut worker = async_socket(&ctx, zmq::DEALER)?;
    worker.connect("inproc://backend")?;

    let mut msg = Multipart::new();
    loop {
        //  The DEALER socket gives us the reply envelope and message
        worker.recv_multipart(&mut msg).await?;
        if msg.len() < 2 {
            continue; //  The C asserts there is an identity and a content
        }

        //  Send 0..4 replies back
        let replies = replies.unwrap_or_else(|| randof(5));
        for _reply in 0..replies {
            //  Sleep for some fraction of a second
            let delay = u64::from(randof(max_delay_ms)) + 1;
            tokio::time::sleep(Duration::from_millis(delay)).await;
            //  Each reply shares the request's frames (no copy of the bytes)
            let mut reply = msg.clone();
            worker.send_multipart(&mut reply).await?;
        }
    }
}

//  The main task simply starts several clients, and a server, and then
//  waits for the server to finish.

#[tokio::main]
async fn main() -> zhelpers::Result {
    let args = Args::parse(
        "asyncsrv_tokio [ENDPOINT] [--clients N] [--workers N] [--seconds S] [--tick-ms MS] \
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

    // The server starts first, so the clients can connect to the port it got.
    let server_ctx = zmq::Context::new()?;
    let (bound, endpoint) = tokio::sync::oneshot::channel();
    let server = tokio::spawn(server_task(
        server_ctx.clone(),
        args.arg(0, "tcp://127.0.0.1:*"),
        workers,
        replies,
        max_delay_ms,
        bound,
    ));
    let endpoint = endpoint.await.map_err(|_| "the server task ended")??;
    s_console(format_args!("Bound to {endpoint}"));

    let mut contexts = vec![server_ctx];
    let mut tasks = Vec::new();
    for _ in 0..clients {
        let ctx = zmq::Context::new()?;
        contexts.push(ctx.clone());
        tasks.push(tokio::spawn(client_task(ctx, endpoint.clone(), tick_ms)));
    }
    tasks.push(server);

    //  Run for 5 seconds then quit
    tokio::time::sleep(Duration::from_secs_f64(seconds)).await;
    for ctx in &contexts {
        ctx.shutdown()?;
    }
    for task in tasks {
        task.await.map_err(|_| "a task panicked")??;
    }
    Ok(())
}
