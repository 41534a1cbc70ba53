//! Custom routing ROUTER to DEALER (zguide `rtdealer.c`): a ROUTER socket sends
//! ten workloads addressed by identity to two DEALER workers, "A" twice as
//! often as "B", then "END" to each; each worker prints how many workloads it
//! received. The workers are threads, each with its own context, so each acts
//! as a separate process would.
//!
//! ```text
//! cargo run --example zguide_rtdealer -- [ENDPOINT] [--tasks N] [--wait-ms MS]
//! ```
//!
//! `ENDPOINT` defaults to `tcp://127.0.0.1:*`, a free port (the C uses
//! `ipc://routing.ipc`, a file in the current directory); the workers connect
//! to the port it got. `--tasks` defaults to 10 and `--wait-ms` (the pause
//! for the workers to connect) to 1000, as in the C. The workers print
//! `A received: <n>` and `B received: <n>`; the main task also prints
//! `Sent <n> tasks to A` and `… to B` (not in the C).
//!
//! Not in the C either: the ROUTER is `ZMQ_ROUTER_MANDATORY`, so a workload for
//! a worker that has not connected yet (a slow start on a loaded machine) is
//! retried instead of silently dropped, which would leave that worker waiting
//! for its "END" forever.
#![forbid(unsafe_code)]

#[path = "zhelpers.rs"]
mod zhelpers;
use zhelpers::{randof, s_bound, s_console, s_recv, s_send, s_sleep, Args};

//  We have two workers, here we copy the code, normally these would
//  run on different boxes...
//  (In Rust one function takes the worker's name instead of two copies.)
fn worker_task(name: &'static str, endpoint: String) -> zmq::Result<()> {
    let context = zmq::Context::new()?;
    let worker = context.socket(zmq::DEALER)?;
    worker.set_routing_id(name.as_bytes())?;
    worker.connect(&endpoint)?;

    let mut total = 0;
    loop {
        //  We receive one part, with the workload
        let request = s_recv(&worker)?;
        if request == "END" {
            s_console(format_args!("{name} received: {total}"));
            break;
        }
        total += 1;
    }
    Ok(())
}

/// Sends the address frame, waiting for the worker to connect if it has not
/// (the C only sleeps a second first and hopes).
fn s_sendmore_routed(client: &zmq::Socket, address: &str) -> zmq::Result<()> {
    loop {
        match client.send(address, zmq::SNDMORE) {
            Err(zmq::Error::EHOSTUNREACH) => s_sleep(10),
            other => return other,
        }
    }
}

//  After we've defined the two worker tasks, we have the main task.
//  Recall that these three tasks could be in separate processes, even
//  running on different boxes. It's just easier to start by writing
//  these in a single program. The main task starts the two workers,
//  then scatters tasks to the workers. It sends an END message to each
//  worker to tell them to exit:

fn main() -> zhelpers::Result {
    let args = Args::parse("rtdealer [ENDPOINT] [--tasks N] [--wait-ms MS]")?
        .only(&["tasks", "wait-ms"])?;
    let tasks: u32 = args.opt("tasks", 10)?;
    let wait_ms: u64 = args.opt("wait-ms", 1000)?;

    let context = zmq::Context::new()?;
    let client = context.socket(zmq::ROUTER)?;
    client.set_router_mandatory(true)?;
    client.bind(&args.arg(0, "tcp://127.0.0.1:*"))?;
    s_bound(&client)?;
    let endpoint = client.get_last_endpoint()?;

    let workers = [
        {
            let endpoint = endpoint.clone();
            std::thread::spawn(move || worker_task("A", endpoint))
        },
        std::thread::spawn(move || worker_task("B", endpoint)),
    ];

    //  Wait for threads to connect, since otherwise the messages
    //  we send won't be routable.
    s_sleep(wait_ms);

    //  Send 10 tasks scattered to A twice as often as B
    let (mut sent_a, mut sent_b) = (0, 0);
    for _ in 0..tasks {
        //  Send two message parts, first the address...
        if randof(3) > 0 {
            s_sendmore_routed(&client, "A")?;
            sent_a += 1;
        } else {
            s_sendmore_routed(&client, "B")?;
            sent_b += 1;
        }

        //  And then the workload
        s_send(&client, "This is the workload")?;
    }
    s_sendmore_routed(&client, "A")?;
    s_send(&client, "END")?;

    s_sendmore_routed(&client, "B")?;
    s_send(&client, "END")?;

    for worker in workers {
        worker.join().map_err(|_| "a worker thread panicked")??;
    }
    s_console(format_args!("Sent {sent_a} tasks to A"));
    s_console(format_args!("Sent {sent_b} tasks to B"));
    Ok(())
}
