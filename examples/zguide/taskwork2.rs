//! Task worker, design 2 (zguide `taskwork2.c`): `taskwork` plus a SUB socket
//! for control input from `tasksink2`; any message on it acts as KILL, so the
//! worker exits by itself when the batch is done. `zmq::poll` watches both.
//!
//! ```text
//! cargo run --example zguide_taskwork2 -- [VENTILATOR] [SINK] [CONTROLLER]
//! ```
//!
//! Defaults: `tcp://127.0.0.1:5557`, `tcp://127.0.0.1:5558`,
//! `tcp://127.0.0.1:5559`. Each task prints its workload and a dot on a line of
//! its own; the end prints `KILL received after <n> tasks`.
#![forbid(unsafe_code)]

use zmq::PollEvents;

#[path = "zhelpers.rs"]
mod zhelpers;
use zhelpers::{s_console, s_sleep, Args};

fn main() -> zhelpers::Result {
    let args = Args::parse("taskwork2 [VENTILATOR] [SINK] [CONTROLLER]")?.only(&[])?;

    let context = zmq::Context::new()?;

    //  Socket to receive messages on
    let receiver = context.socket(zmq::PULL)?;
    receiver.connect(&args.arg(0, "tcp://127.0.0.1:5557"))?;

    //  Socket to send messages to
    let sender = context.socket(zmq::PUSH)?;
    sender.connect(&args.arg(1, "tcp://127.0.0.1:5558"))?;

    //  Socket for control input
    let controller = context.socket(zmq::SUB)?;
    controller.connect(&args.arg(2, "tcp://127.0.0.1:5559"))?;
    controller.set_subscribe(b"")?;

    //  Process messages from receiver and controller
    let mut tasks = 0;
    loop {
        let mut items = [
            receiver.as_poll_item(PollEvents::POLLIN),
            controller.as_poll_item(PollEvents::POLLIN),
        ];
        zmq::poll(&mut items, -1)?;
        if items[0].is_readable() {
            let mut message = receiver.recv_message(zmq::RecvFlags::empty())?;
            let workload = String::from_utf8_lossy(&message).into_owned();

            //  Do the work
            s_sleep(workload.parse().unwrap_or(0));

            //  Send results to sink
            message = zmq::Message::new();
            sender.send_msg(&mut message, zmq::SendFlags::empty())?;

            //  Simple progress indicator for the viewer
            s_console(format_args!("{workload}."));
            tasks += 1;
        }
        //  Any waiting controller command acts as 'KILL'
        if items[1].is_readable() {
            break; //  Exit loop
        }
    }
    //  Finished
    s_console(format_args!("KILL received after {tasks} tasks"));
    Ok(())
}
