//! Reading from multiple sockets (zguide `msreader.c`): a task PULL socket
//! (connected to `taskvent`) and a weather SUB socket (connected to `wuserver`),
//! served by a simple loop of non-blocking reads and a short sleep.
//!
//! ```text
//! cargo run --example zguide_msreader -- [VENTILATOR] [WEATHER] [ZIPCODE] [--tasks N] [--updates M]
//! ```
//!
//! Defaults: `tcp://127.0.0.1:5557`, `tcp://127.0.0.1:5556`, zipcode `10001` (as
//! in the C). The C runs forever; here it exits once it has processed `--tasks`
//! tasks and `--updates` weather updates (both unlimited by default). Each
//! message processed prints a line `task <text>` or `weather <text>`.
#![forbid(unsafe_code)]

#[path = "zhelpers.rs"]
mod zhelpers;
use zhelpers::{s_console, s_sleep, Args};

fn main() -> zhelpers::Result {
    let args = Args::parse("msreader [VENTILATOR] [WEATHER] [ZIPCODE] [--tasks N] [--updates M]")?
        .only(&["tasks", "updates"])?;
    let tasks: Option<u64> = args.opt_some("tasks")?;
    let updates: Option<u64> = args.opt_some("updates")?;

    //  Connect to task ventilator
    let context = zmq::Context::new()?;
    let receiver = context.socket(zmq::PULL)?;
    receiver.connect(&args.arg(0, "tcp://127.0.0.1:5557"))?;

    //  Connect to weather server
    let subscriber = context.socket(zmq::SUB)?;
    subscriber.connect(&args.arg(1, "tcp://127.0.0.1:5556"))?;
    subscriber.set_subscribe(format!("{} ", args.arg(2, "10001")).as_bytes())?;

    //  Process messages from both sockets
    //  We prioritize traffic from the task ventilator
    let (mut task_nbr, mut update_nbr) = (0, 0);
    while tasks.map_or(true, |n| task_nbr < n) || updates.map_or(true, |n| update_nbr < n) {
        let mut msg = zmq::Message::new();
        loop {
            match receiver.recv_msg(&mut msg, zmq::RecvFlags::DONTWAIT) {
                //  Process task
                Ok(_) => {
                    s_console(format_args!("task {}", String::from_utf8_lossy(&msg)));
                    task_nbr += 1;
                }
                Err(zmq::Error::EAGAIN) => break,
                Err(e) => return Err(e.into()),
            }
        }
        loop {
            match subscriber.recv_msg(&mut msg, zmq::RecvFlags::DONTWAIT) {
                //  Process weather update
                Ok(_) => {
                    s_console(format_args!("weather {}", String::from_utf8_lossy(&msg)));
                    update_nbr += 1;
                }
                Err(zmq::Error::EAGAIN) => break,
                Err(e) => return Err(e.into()),
            }
        }
        //  No activity, so sleep for 1 msec
        s_sleep(1);
    }
    Ok(())
}
