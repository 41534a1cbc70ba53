//! ROUTER-to-REQ (zguide `rtreq.c`): a ROUTER socket hands out work to ten
//! REQ workers, least recently used first: each worker says "Hi Boss", gets
//! "Work harder" and does a random amount of work, until the broker has run
//! for five seconds and answers every worker with "Fired!". Each worker then
//! prints how many tasks it did. The workers are threads, each with its own
//! context, so each acts as a separate process would.
//!
//! ```text
//! cargo run --example zguide_rtreq -- [ENDPOINT] [--workers N] [--seconds S] [--max-ms MS]
//! ```
//!
//! `ENDPOINT` defaults to `tcp://127.0.0.1:*`, a free port (the C binds
//! `tcp://*:5671`); the workers connect to the port it got. `--workers`
//! defaults to 10, `--seconds` to 5 and `--max-ms` (the longest task) to 500,
//! as in the C. Each worker prints `Completed: <n> tasks (<identity>)`, and the
//! broker, once every worker is fired, `Sent <n> tasks to <identity>` for each
//! and `Total: <n> tasks` (not in the C).
#![forbid(unsafe_code)]

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

#[path = "zhelpers.rs"]
mod zhelpers;
use zhelpers::{randof, s_bound, s_console, s_recv, s_send, s_sendmore, s_set_id, s_sleep, Args};

fn worker_task(endpoint: String, max_ms: u32) -> zmq::Result<()> {
    let context = zmq::Context::new()?;
    let worker = context.socket(zmq::REQ)?;
    s_set_id(&worker)?; //  Set a printable identity
    worker.connect(&endpoint)?;
    let identity = String::from_utf8_lossy(&worker.get_routing_id()?).into_owned();

    let mut total = 0;
    loop {
        //  Tell the broker we're ready for work
        s_send(&worker, "Hi Boss")?;

        //  Get workload from broker, until finished
        let workload = s_recv(&worker)?;
        if workload == "Fired!" {
            s_console(format_args!("Completed: {total} tasks ({identity})"));
            break;
        }
        total += 1;

        //  Do some random work
        s_sleep(u64::from(randof(max_ms)) + 1);
    }
    Ok(())
}

//  While this example runs in a single process, that is only to make
//  it easier to start and stop the example. Each thread has its own
//  context and conceptually acts as a separate process.

fn main() -> zhelpers::Result {
    let args = Args::parse("rtreq [ENDPOINT] [--workers N] [--seconds S] [--max-ms MS]")?
        .only(&["workers", "seconds", "max-ms"])?;
    let nbr_workers: usize = args.opt("workers", 10)?;
    let seconds: f64 = args.opt("seconds", 5.0)?;
    let max_ms: u32 = args.opt("max-ms", 500)?;

    let context = zmq::Context::new()?;
    let broker = context.socket(zmq::ROUTER)?;
    broker.bind(&args.arg(0, "tcp://127.0.0.1:*"))?;
    s_bound(&broker)?;
    let endpoint = broker.get_last_endpoint()?;

    let workers: Vec<_> = (0..nbr_workers)
        .map(|_| {
            let endpoint = endpoint.clone();
            std::thread::spawn(move || worker_task(endpoint, max_ms))
        })
        .collect();

    //  Run for five seconds and then tell workers to end
    let end_time = Instant::now() + Duration::from_secs_f64(seconds);
    let mut workers_fired = 0;
    let mut sent: BTreeMap<String, u32> = BTreeMap::new();
    while workers_fired < nbr_workers {
        //  Next message gives us least recently used worker
        let identity = s_recv(&broker)?;
        s_sendmore(&broker, &identity)?;
        s_recv(&broker)?; //  Envelope delimiter
        s_recv(&broker)?; //  Response from worker
        s_sendmore(&broker, "")?;

        //  Encourage workers until it's time to fire them
        let tasks = sent.entry(identity).or_default();
        if Instant::now() < end_time {
            s_send(&broker, "Work harder")?;
            *tasks += 1;
        } else {
            s_send(&broker, "Fired!")?;
            workers_fired += 1;
        }
    }

    for worker in workers {
        worker.join().map_err(|_| "a worker thread panicked")??;
    }
    for (identity, tasks) in &sent {
        s_console(format_args!("Sent {tasks} tasks to {identity}"));
    }
    s_console(format_args!("Total: {} tasks", sent.values().sum::<u32>()));
    Ok(())
}
