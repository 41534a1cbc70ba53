//! Shows how to handle Ctrl-C (zguide `interrupt.c`): a REP server blocked in
//! `recv` gets `EINTR` when SIGINT or SIGTERM arrives, and exits cleanly.
//!
//! ```text
//! cargo run --example zguide_interrupt -- [ENDPOINT]
//! ```
//!
//! `ENDPOINT` defaults to `tcp://127.0.0.1:5555` (the C binds `tcp://*:5555`).
//! The C's `s_catch_signals()` is `zmq::catch_interrupts()`, and its
//! `s_interrupted` flag is `zmq::interrupted()`.
#![forbid(unsafe_code)]

#[path = "zhelpers.rs"]
mod zhelpers;
use zhelpers::{s_bound, s_console, Args};

fn main() -> zhelpers::Result {
    let args = Args::parse("interrupt [ENDPOINT]")?.only(&[])?;

    let context = zmq::Context::new()?;
    let socket = context.socket(zmq::REP)?;
    socket.bind(&args.arg(0, "tcp://127.0.0.1:5555"))?;
    zmq::catch_interrupts()?;
    s_bound(&socket)?;

    let mut buffer = [0u8; 255];
    loop {
        //  Blocking read will exit on a signal
        let rc = socket.recv_into(&mut buffer, zmq::RecvFlags::empty());
        if zmq::interrupted() {
            s_console(format_args!("W: interrupt received, killing server…"));
            break;
        }
        match rc {
            // A request: this server only waits for the signal, so it never replies.
            Ok(_) => {}
            Err(zmq::Error::EINTR) => {}
            Err(e) => return Err(e.into()),
        }
    }
    //  zmq_close and zmq_ctx_destroy: the socket and context drop here.
    Ok(())
}
