//! Port of libzmq's `perf/inproc_thr.cpp`: a PUSH socket in a worker thread sends
//! `message-count` messages of `message-size` bytes over `inproc://` to a PULL
//! socket in the main thread, which prints the throughput.
//!
//! Usage: `inproc_thr <message-size> <message-count>`
//!
//! C builds each message with `zmq_msg_init_size` and sends its content
//! uninitialised. Safe Rust cannot send bytes it never wrote, so each message
//! here is written with `Message::rebuild` + `put_bytes(0, size)` into one
//! reused `Message`: `zmq_msg_init_size` + one `memset` of the payload in
//! place, `zmq_msg_send`, and `zmq_msg_close` (at the next `rebuild`),
//! exactly what C does when built with `ZMQ_MAKE_VALGRIND_HAPPY` (the
//! `inproc_thr_filled` comparison in `perf/compare.sh` and `perf/callgrind.sh`).
//! `inproc_thr_shared` sends one payload written once instead.
#![forbid(unsafe_code)]

use zmq_perf::senders::send_filled;
use zmq_perf::{args, count, inproc_thr, number};

fn main() {
    let args = args(&[2], "usage: inproc_thr <message-size> <message-count>");
    let message_size: usize = number(&args[0], "message size");
    let message_count: i32 = count(&args[1], "message count");
    inproc_thr::run(message_size, message_count, send_filled);
}
