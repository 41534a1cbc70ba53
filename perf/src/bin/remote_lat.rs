//! Port of libzmq's `perf/remote_lat.cpp`: a REQ socket connects, sends
//! `roundtrip-count` messages of `message-size` bytes, waits for each echo and
//! prints the average one-way latency.
//!
//! Usage: `remote_lat <connect-to> <message-size> <roundtrip-count> [--spin=<microseconds>]`
//!
//! `--spin=<us>`: every receive retries without blocking for up to that long
//! before it blocks (`Socket::recv_msg_spin`), trading CPU time for latency.
#![forbid(unsafe_code)]

use zmq::{Context, Message, SendFlags, REQ};
use zmq_perf::{args_with_spin, count, fail, fail_msg, number, recv, Stopwatch};

fn main() {
    let (args, spin) = args_with_spin(
        &[3],
        "usage: remote_lat <connect-to> <message-size> <roundtrip-count>",
    );
    let connect_to = &args[0];
    let message_size: usize = number(&args[1], "message size");
    let roundtrip_count: i32 = count(&args[2], "roundtrip count");

    let ctx = Context::new().unwrap_or_else(|e| fail("zmq_init", e));
    let s = ctx.socket(REQ).unwrap_or_else(|e| fail("zmq_socket", e));
    s.connect(connect_to)
        .unwrap_or_else(|e| fail("zmq_connect", e));

    // zmq_msg_init_size + memset, as in C.
    let mut msg = Message::with_size(message_size).unwrap_or_else(|e| fail("zmq_msg_init_size", e));

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
    println!("message size: {message_size} [B]");
    println!("roundtrip count: {roundtrip_count}");
    println!("average latency: {latency:.3} [us]");

    s.close().unwrap_or_else(|e| fail("zmq_close", e));
    ctx.term().unwrap_or_else(|e| fail("zmq_ctx_term", e));
}
