//! Multithreaded Hello World server (zguide `mtserver.c`): a ROUTER socket for
//! clients, a DEALER socket bound to `inproc://workers`, five worker threads
//! with REP sockets on it, and `zmq::proxy` between ROUTER and DEALER. Talk to
//! it with the `hwclient` example.
//!
//! ```text
//! cargo run --example zguide_mtserver -- [ENDPOINT] [--workers N] [--work-ms MS] [--seconds S]
//! ```
//!
//! `ENDPOINT` defaults to `tcp://127.0.0.1:5555` (the C binds `tcp://*:5555`);
//! `--workers` to 5 and `--work-ms` to 1000, as in the C. The C runs until
//! killed; `--seconds S` shuts the context down after S seconds, which stops the
//! proxy and every worker (their `recv` fails with `ETERM`), and it exits cleanly.
#![forbid(unsafe_code)]

use std::time::Duration;

#[path = "zhelpers.rs"]
mod zhelpers;
use zhelpers::{s_bound, s_console, s_recv, s_send, s_sleep, Args};

fn worker_routine(context: zmq::Context, work_ms: u64) -> zmq::Result<()> {
    //  Socket to talk to dispatcher
    let receiver = context.socket(zmq::REP)?;
    receiver.connect("inproc://workers")?;

    loop {
        let string = s_recv(&receiver)?;
        s_console(format_args!("Received request: [{string}]"));
        //  Do some 'work'
        s_sleep(work_ms);
        //  Send reply back to client
        s_send(&receiver, "World")?;
    }
}

fn main() -> zhelpers::Result {
    let args = Args::parse("mtserver [ENDPOINT] [--workers N] [--work-ms MS] [--seconds S]")?
        .only(&["workers", "work-ms", "seconds"])?;
    let workers: u32 = args.opt("workers", 5)?;
    let work_ms: u64 = args.opt("work-ms", 1000)?;
    let seconds: Option<u64> = args.opt_some("seconds")?;

    let context = zmq::Context::new()?;

    //  Socket to talk to clients
    let clients = context.socket(zmq::ROUTER)?;
    clients.bind(&args.arg(0, "tcp://127.0.0.1:5555"))?;
    s_bound(&clients)?;

    //  Socket to talk to workers
    let workers_socket = context.socket(zmq::DEALER)?;
    workers_socket.bind("inproc://workers")?;

    //  Launch pool of worker threads
    let pool: Vec<_> = (0..workers)
        .map(|_| {
            let context = context.clone();
            std::thread::spawn(move || worker_routine(context, work_ms))
        })
        .collect();

    if let Some(seconds) = seconds {
        let context = context.clone();
        std::thread::spawn(move || {
            std::thread::sleep(Duration::from_secs(seconds));
            let _ = context.shutdown();
        });
    }

    //  Connect work threads to client threads via a queue proxy
    let stopped = zmq::proxy(&clients, &workers_socket);

    //  We never get here, but clean up anyhow (the C's words: here we do, after a
    //  shutdown, and every worker has stopped with ETERM).
    for worker in pool {
        match worker.join() {
            Ok(Err(zmq::Error::ETERM)) => {}
            Ok(Err(e)) => return Err(e.into()),
            Ok(Ok(())) => {}
            Err(_) => return Err("a worker thread panicked".into()),
        }
    }
    match stopped {
        Err(zmq::Error::ETERM) => {
            println!("Server stopped");
            Ok(())
        }
        Err(e) => Err(e.into()),
        Ok(()) => Ok(()),
    }
}
