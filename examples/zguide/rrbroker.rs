//! Simple request-reply broker (zguide `rrbroker.c`): a ROUTER frontend for
//! clients and a DEALER backend for workers, both bound, with `zmq::poll`
//! moving every multipart message across, envelope included.
//!
//! ```text
//! cargo run --example zguide_rrbroker -- [FRONTEND] [BACKEND] [--count N]
//! ```
//!
//! `FRONTEND` defaults to `tcp://127.0.0.1:5559`, `BACKEND` to
//! `tcp://127.0.0.1:5560` (the C binds `tcp://*:…`); `--count N` exits after
//! routing N replies back to clients (the C runs forever). Every routed message
//! prints a line `request <n> frames` or `reply <n> frames`.
#![forbid(unsafe_code)]

use zmq::PollEvents;

#[path = "zhelpers.rs"]
mod zhelpers;
use zhelpers::{s_bound, s_console, Args};

fn main() -> zhelpers::Result {
    let args = Args::parse("rrbroker [FRONTEND] [BACKEND] [--count N]")?.only(&["count"])?;
    let count: Option<u64> = args.opt_some("count")?;

    //  Prepare our context and sockets
    let context = zmq::Context::new()?;
    let frontend = context.socket(zmq::ROUTER)?;
    let backend = context.socket(zmq::DEALER)?;
    frontend.bind(&args.arg(0, "tcp://127.0.0.1:5559"))?;
    s_bound(&frontend)?;
    backend.bind(&args.arg(1, "tcp://127.0.0.1:5560"))?;
    s_bound(&backend)?;

    //  Switch messages between sockets
    let mut replies = 0;
    while count != Some(replies) {
        let mut items = [
            frontend.as_poll_item(PollEvents::POLLIN),
            backend.as_poll_item(PollEvents::POLLIN),
        ];
        zmq::poll(&mut items, -1)?;
        if items[0].is_readable() {
            let frames = forward(&frontend, &backend)?;
            s_console(format_args!("request {frames} frames"));
        }
        if items[1].is_readable() {
            let frames = forward(&backend, &frontend)?;
            s_console(format_args!("reply {frames} frames"));
            replies += 1;
        }
    }
    Ok(())
}

/// Moves every frame of one message from `from` to `to`, keeping the
/// more-flag of each, and returns how many frames it moved.
fn forward(from: &zmq::Socket, to: &zmq::Socket) -> zmq::Result<usize> {
    let mut message = zmq::Message::new();
    let mut frames = 0;
    loop {
        //  Process all parts of the message
        from.recv_msg(&mut message, zmq::RecvFlags::empty())?;
        let more = message.more();
        to.send_msg(
            &mut message,
            if more {
                zmq::SNDMORE
            } else {
                zmq::SendFlags::empty()
            },
        )?;
        frames += 1;
        if !more {
            return Ok(frames); //  Last message part
        }
    }
}
