//! Multithreaded relay (zguide `mtrelay.c`): three steps in three threads,
//! each signalling the next over a PAIR socket on `inproc://`.
//!
//! ```text
//! cargo run --example zguide_mtrelay
//! ```
#![forbid(unsafe_code)]

#[path = "zhelpers.rs"]
mod zhelpers;
use zhelpers::{s_recv, s_send};

fn step1(context: zmq::Context) -> zmq::Result<()> {
    //  Connect to step2 and tell it we're ready
    let xmitter = context.socket(zmq::PAIR)?;
    xmitter.connect("inproc://step2")?;
    println!("Step 1 ready, signaling step 2");
    s_send(&xmitter, "READY")
}

fn step2(context: zmq::Context) -> Result<(), String> {
    let failed = |e: zmq::Error| e.to_string();
    //  Bind inproc socket before starting step1
    let receiver = context.socket(zmq::PAIR).map_err(failed)?;
    receiver.bind("inproc://step2").map_err(failed)?;
    let thread = {
        let context = context.clone();
        std::thread::spawn(move || step1(context))
    };

    //  Wait for signal and pass it on
    s_recv(&receiver).map_err(failed)?;
    thread
        .join()
        .map_err(|_| "step 1 panicked".to_owned())?
        .map_err(|e| format!("step 1 failed: {e}"))?;

    //  Connect to step3 and tell it we're ready
    let xmitter = context.socket(zmq::PAIR).map_err(failed)?;
    xmitter.connect("inproc://step3").map_err(failed)?;
    println!("Step 2 ready, signaling step 3");
    s_send(&xmitter, "READY").map_err(failed)
}

fn main() -> zhelpers::Result {
    let context = zmq::Context::new()?;

    //  Bind inproc socket before starting step2
    let receiver = context.socket(zmq::PAIR)?;
    receiver.bind("inproc://step3")?;
    let thread = {
        let context = context.clone();
        std::thread::spawn(move || step2(context))
    };

    //  Wait for signal
    s_recv(&receiver)?;
    thread
        .join()
        .map_err(|_| "step 2 panicked")?
        .map_err(|e| format!("step 2: {e}"))?;

    println!("Test successful!");
    Ok(())
}
