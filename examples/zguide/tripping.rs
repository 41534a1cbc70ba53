//! Round-trip demonstrator (zguide `tripping.c`): a client, a worker and a
//! broker, each a thread of one process (as if they were separate processes).
//! The client sends requests through the broker (a `zmq::proxy` between two
//! `DEALER` sockets) to the worker, which bounces each back: first one at a
//! time (synchronous round trips), then all at once before reading any reply
//! (asynchronous), and prints the rate of each.
//!
//! ```text
//! cargo run --example zguide_tripping -- [FRONTEND] [BACKEND] [--sync N] [--async N]
//! ```
//!
//! `FRONTEND` and `BACKEND` are the broker's two endpoints, by default
//! `tcp://127.0.0.1:5555` and `tcp://127.0.0.1:5556` (the C binds
//! `tcp://*:5555` and `tcp://*:5556`); `tcp://127.0.0.1:*` picks free ports.
//! `--sync` and `--async` are the numbers of round trips of each test, the C's
//! 10000 and 100000. Not in the C: after each rate, the number of replies the
//! client got is printed as `I: synchronous round trips: <n>` (or
//! `asynchronous`), and the program ends by itself once the client is done.
#![forbid(unsafe_code)]

use std::time::Instant;

#[path = "zhelpers.rs"]
mod zhelpers;

use zhelpers::{s_bound, s_console, s_join, s_pipe, s_recv, s_sleep, Args, ThreadResult};

fn client_task(
    context: zmq::Context,
    pipe: zmq::Socket,
    frontend: String,
    sync: u64,
    asynchronous: u64,
) -> ThreadResult {
    let client = context.socket(zmq::DEALER)?;
    client.set_linger(0)?;
    client.connect(&frontend)?;
    s_console(format_args!("Setting up test..."));
    s_sleep(100);

    s_console(format_args!("Synchronous round-trip test..."));
    let start = Instant::now();
    let mut replies = 0;
    for _ in 0..sync {
        client.send("hello", zmq::SendFlags::empty())?;
        let _reply = s_recv(&client)?;
        replies += 1;
    }
    let elapsed = start.elapsed().as_millis().max(1);
    s_console(format_args!(
        " {} calls/second",
        u128::from(1000 * sync) / elapsed
    ));
    s_console(format_args!("I: synchronous round trips: {replies}"));

    s_console(format_args!("Asynchronous round-trip test..."));
    let start = Instant::now();
    for _ in 0..asynchronous {
        client.send("hello", zmq::SendFlags::empty())?;
    }
    let mut replies = 0;
    for _ in 0..asynchronous {
        let _reply = s_recv(&client)?;
        replies += 1;
    }
    let elapsed = start.elapsed().as_millis().max(1);
    s_console(format_args!(
        " {} calls/second",
        u128::from(1000 * asynchronous) / elapsed
    ));
    s_console(format_args!("I: asynchronous round trips: {replies}"));
    pipe.send("done", zmq::SendFlags::empty())?;
    Ok(())
}

//  Here is the worker task. All it does is receive a message, and
//  bounce it back the way it came:

fn worker_task(context: zmq::Context, backend: String) -> ThreadResult {
    let worker = context.socket(zmq::DEALER)?;
    worker.set_linger(0)?;
    worker.connect(&backend)?;
    loop {
        let msg = worker.recv_multipart(zmq::RecvFlags::empty())?;
        worker.send_multipart(&msg, zmq::SendFlags::empty())?;
    }
}

//  Here is the broker task. It uses the zmq::proxy function to switch
//  messages between frontend and backend (the sockets are bound by main,
//  so that the client and worker know the ports picked):

fn broker_task(frontend: zmq::Socket, backend: zmq::Socket) -> ThreadResult {
    zmq::proxy(&frontend, &backend)?;
    Ok(())
}

//  Finally, here's the main task, which starts the client, worker, and
//  broker, and then runs until the client signals it to stop:

fn main() -> zhelpers::Result {
    let args = Args::parse("tripping [FRONTEND] [BACKEND] [--sync N] [--async N]")?
        .only(&["sync", "async"])?;
    let sync: u64 = args.opt("sync", 10000)?;
    let asynchronous: u64 = args.opt("async", 100000)?;

    //  Create threads
    let context = zmq::Context::new()?;

    //  Prepare our sockets
    let frontend = context.socket(zmq::DEALER)?;
    frontend.set_linger(0)?;
    frontend.bind(&args.arg(0, "tcp://127.0.0.1:5555"))?;
    s_bound(&frontend)?;
    let backend = context.socket(zmq::DEALER)?;
    backend.set_linger(0)?;
    backend.bind(&args.arg(1, "tcp://127.0.0.1:5556"))?;
    s_bound(&backend)?;
    let frontend_endpoint = frontend.get_last_endpoint()?;
    let backend_endpoint = backend.get_last_endpoint()?;

    let (client, pipe) = s_pipe(&context)?;
    let client_thread = {
        let context = context.clone();
        std::thread::spawn(move || {
            client_task(context, pipe, frontend_endpoint, sync, asynchronous)
        })
    };
    let worker_thread = {
        let context = context.clone();
        std::thread::spawn(move || worker_task(context, backend_endpoint))
    };
    let broker_thread = std::thread::spawn(move || broker_task(frontend, backend));

    //  Wait for signal on client pipe; a client that failed drops its pipe
    //  end without a word, so look at it too
    loop {
        let mut items = [client.as_poll_item(zmq::PollEvents::POLLIN)];
        zmq::poll(&mut items, 100)?;
        if items[0].is_readable() {
            let _signal = s_recv(&client)?;
            break;
        }
        if client_thread.is_finished() {
            break;
        }
    }

    //  zctx_destroy: every thread gets ETERM
    context.shutdown()?;
    s_join(client_thread, "client")?;
    s_join(worker_thread, "worker")?;
    s_join(broker_thread, "broker")?;
    Ok(())
}
