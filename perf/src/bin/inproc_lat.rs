//! Port of libzmq's `perf/inproc_lat.cpp`: a REQ socket in the main thread and a
//! REP socket in a worker thread exchange `roundtrip-count` messages of
//! `message-size` bytes over `inproc://`; prints the average one-way latency.
//!
//! Usage: `inproc_lat <message-size> <roundtrip-count> [--spin=<microseconds>]`
//!
//! `--spin=<us>`: every receive retries without blocking for up to that long
//! before it blocks (`Socket::recv_msg_spin`), trading CPU time for latency.
#![forbid(unsafe_code)]

use std::time::Duration;

use zmq::{Context, Message, SendFlags, REP, REQ};
use zmq_perf::{args_with_spin, count, fail, fail_msg, number, recv, Stopwatch};

fn worker(ctx: Context, roundtrip_count: i32, spin: Option<Duration>) {
    let exit = |what: &str, e: zmq::Error| -> ! {
        println!("error in {what}: {e}");
        std::process::exit(1)
    };
    let s = ctx.socket(REP).unwrap_or_else(|e| exit("zmq_socket", e));
    s.connect("inproc://lat_test")
        .unwrap_or_else(|e| exit("zmq_connect", e));
    let mut msg = Message::new();
    for _ in 0..roundtrip_count {
        if let Err(e) = recv(&s, &mut msg, spin) {
            exit("zmq_recvmsg", e);
        }
        if let Err(e) = s.send_msg(&mut msg, SendFlags::empty()) {
            exit("zmq_sendmsg", e);
        }
    }
    drop(msg);
    s.close().unwrap_or_else(|e| exit("zmq_close", e));
}

fn main() {
    let (args, spin) = args_with_spin(&[2], "usage: inproc_lat <message-size> <roundtrip-count>");
    let message_size: usize = number(&args[0], "message size");
    let roundtrip_count: i32 = count(&args[1], "roundtrip count");

    let ctx = Context::new().unwrap_or_else(|e| fail("zmq_init", e));
    let s = ctx.socket(REQ).unwrap_or_else(|e| fail("zmq_socket", e));
    s.bind("inproc://lat_test")
        .unwrap_or_else(|e| fail("zmq_bind", e));

    let worker_ctx = ctx.clone();
    let local_thread = std::thread::Builder::new()
        .spawn(move || worker(worker_ctx, roundtrip_count, spin))
        .unwrap_or_else(|e| fail("pthread_create", e));

    // zmq_msg_init_size + memset, as in C.
    let mut msg = Message::with_size(message_size).unwrap_or_else(|e| fail("zmq_msg_init_size", e));
    println!("message size: {message_size} [B]");
    println!("roundtrip count: {roundtrip_count}");

    let watch = Stopwatch::start();
    for _ in 0..roundtrip_count {
        if let Err(e) = s.send_msg(&mut msg, SendFlags::empty()) {
            fail("zmq_sendmsg", e);
        }
        if let Err(e) = recv(&s, &mut msg, spin) {
            fail("zmq_recvmsg", e);
        }
        if msg.len() != message_size {
            fail_msg("message of incorrect size received");
        }
    }
    let elapsed = watch.stop();
    drop(msg);

    let latency = elapsed as f64 / (f64::from(roundtrip_count) * 2.0);
    if local_thread.join().is_err() {
        fail_msg("error in pthread_join: the worker thread panicked");
    }
    println!("average latency: {latency:.3} [us]");

    s.close().unwrap_or_else(|e| fail("zmq_close", e));
    ctx.term().unwrap_or_else(|e| fail("zmq_ctx_term", e));
}
