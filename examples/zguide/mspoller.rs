//! Reading from multiple sockets with `zmq::poll` (zguide `mspoller.c`): a task
//! PULL socket (connected to `taskvent`) and a weather SUB socket (connected to
//! `wuserver`), woken by whichever has a message.
//!
//! ```text
//! cargo run --example zguide_mspoller -- [VENTILATOR] [WEATHER] [ZIPCODE] [--tasks N] [--updates M]
//! ```
//!
//! Defaults: `tcp://127.0.0.1:5557`, `tcp://127.0.0.1:5556`, zipcode `10001` (as
//! in the C). The C runs forever; here it exits once it has processed `--tasks`
//! tasks and `--updates` weather updates (both unlimited by default). Each
//! message processed prints a line `task <text>` or `weather <text>`.
#![forbid(unsafe_code)]

use zmq::PollEvents;

#[path = "zhelpers.rs"]
mod zhelpers;
use zhelpers::{s_console, Args};

fn main() -> zhelpers::Result {
    let args = Args::parse("mspoller [VENTILATOR] [WEATHER] [ZIPCODE] [--tasks N] [--updates M]")?
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
    let (mut task_nbr, mut update_nbr) = (0, 0);
    let mut message = zmq::Message::new();
    while tasks.map_or(true, |n| task_nbr < n) || updates.map_or(true, |n| update_nbr < n) {
        let mut items = [
            receiver.as_poll_item(PollEvents::POLLIN),
            subscriber.as_poll_item(PollEvents::POLLIN),
        ];
        zmq::poll(&mut items, -1)?;
        if items[0].is_readable() {
            receiver.recv_msg(&mut message, zmq::RecvFlags::empty())?;
            //  Process task
            s_console(format_args!("task {}", String::from_utf8_lossy(&message)));
            task_nbr += 1;
        }
        if items[1].is_readable() {
            subscriber.recv_msg(&mut message, zmq::RecvFlags::empty())?;
            //  Process weather update
            s_console(format_args!(
                "weather {}",
                String::from_utf8_lossy(&message)
            ));
            update_nbr += 1;
        }
    }
    Ok(())
}
