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
#![forbid(unsafe_code)]

use zmq::{Context, Message, RecvFlags, SendFlags, PULL, PUSH};
use zmq_perf::{args, count, fail, fail_msg, number, Stopwatch};

fn worker(ctx: Context, message_size: usize, message_count: i32) {
    let exit = |what: &str, e: zmq::Error| -> ! {
        println!("error in {what}: {e}");
        std::process::exit(1)
    };
    let s = ctx.socket(PUSH).unwrap_or_else(|e| exit("zmq_socket", e));
    s.connect("inproc://thr_test")
        .unwrap_or_else(|e| exit("zmq_connect", e));
    // One zmq_msg_t reused, as in C: each iteration is zmq_msg_close (of the
    // message the last send emptied) + zmq_msg_init_size + memset, then
    // zmq_msg_send.
    let mut msg = Message::new();
    for _ in 0..message_count {
        if let Err(e) = msg.rebuild(message_size, |w| w.put_bytes(0, message_size)) {
            exit("zmq_msg_init_size", e);
        }
        if let Err(e) = s.send_msg(&mut msg, SendFlags::empty()) {
            exit("zmq_sendmsg", e);
        }
    }
    drop(msg);
    s.close().unwrap_or_else(|e| exit("zmq_close", e));
}

fn main() {
    let args = args(&[2], "usage: inproc_thr <message-size> <message-count>");
    let message_size: usize = number(&args[0], "message size");
    let message_count: i32 = count(&args[1], "message count");

    let ctx = Context::new().unwrap_or_else(|e| fail("zmq_init", e));
    let s = ctx.socket(PULL).unwrap_or_else(|e| fail("zmq_socket", e));
    s.bind("inproc://thr_test")
        .unwrap_or_else(|e| fail("zmq_bind", e));

    let worker_ctx = ctx.clone();
    let local_thread = std::thread::Builder::new()
        .spawn(move || worker(worker_ctx, message_size, message_count))
        .unwrap_or_else(|e| fail("pthread_create", e));

    let mut msg = Message::new();
    println!("message size: {message_size} [B]");
    println!("message count: {message_count}");

    s.recv_msg(&mut msg, RecvFlags::empty())
        .unwrap_or_else(|e| fail("zmq_recvmsg", e));
    if msg.len() != message_size {
        fail_msg("message of incorrect size received");
    }

    let watch = Stopwatch::start();
    for _ in 0..message_count - 1 {
        if let Err(e) = s.recv_msg(&mut msg, RecvFlags::empty()) {
            fail("zmq_recvmsg", e);
        }
        if msg.len() != message_size {
            fail_msg("message of incorrect size received");
        }
    }
    let elapsed = watch.stop().max(1);
    drop(msg);

    if local_thread.join().is_err() {
        fail_msg("error in pthread_join: the worker thread panicked");
    }
    s.close().unwrap_or_else(|e| fail("zmq_close", e));
    ctx.term().unwrap_or_else(|e| fail("zmq_ctx_term", e));

    // As in C: the rate is truncated to an integer before the megabits are derived.
    let throughput = (f64::from(message_count) / elapsed as f64 * 1_000_000.0) as u64;
    let megabits =
        throughput.wrapping_mul(message_size as u64).wrapping_mul(8) as f64 / 1_000_000.0;
    println!("mean throughput: {} [msg/s]", throughput as i32);
    println!("mean throughput: {megabits:.3} [Mb/s]");
}
