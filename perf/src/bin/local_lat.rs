//! Port of libzmq's `perf/local_lat.cpp`: a REP socket binds and echoes
//! `roundtrip-count` messages of `message-size` bytes.
//!
//! Usage: `local_lat <bind-to> <message-size> <roundtrip-count> [--spin=<microseconds>]`
//!
//! `--spin=<us>`: every receive retries without blocking for up to that long
//! before it blocks (`Socket::recv_msg_spin`), trading CPU time for latency.
#![forbid(unsafe_code)]

use std::time::Duration;

use zmq::{Context, Message, SendFlags, REP};
use zmq_perf::{args_with_spin, count, fail, fail_msg, number, recv};

fn main() {
    let (args, spin) = args_with_spin(
        &[3],
        "usage: local_lat <bind-to> <message-size> <roundtrip-count>",
    );
    let bind_to = &args[0];
    let message_size: usize = number(&args[1], "message size");
    let roundtrip_count: i32 = count(&args[2], "roundtrip count");

    let ctx = Context::new().unwrap_or_else(|e| fail("zmq_init", e));
    let s = ctx.socket(REP).unwrap_or_else(|e| fail("zmq_socket", e));
    s.bind(bind_to).unwrap_or_else(|e| fail("zmq_bind", e));

    let mut msg = Message::new();
    for _ in 0..roundtrip_count {
        if let Err(e) = recv(&s, &mut msg, spin) {
            fail("zmq_recvmsg", e);
        }
        if msg.len() != message_size {
            fail_msg("message of incorrect size received");
        }
        if let Err(e) = s.send_msg(&mut msg, SendFlags::empty()) {
            fail("zmq_sendmsg", e);
        }
    }
    drop(msg);

    std::thread::sleep(Duration::from_secs(1));

    s.close().unwrap_or_else(|e| fail("zmq_close", e));
    ctx.term().unwrap_or_else(|e| fail("zmq_ctx_term", e));
}
