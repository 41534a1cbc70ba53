//! The body of `inproc_thr` (libzmq's `perf/inproc_thr.cpp`), shared by the
//! binaries that differ only in how the worker makes each message:
//! `inproc_thr` (writes every payload) and `inproc_thr_shared` (one payload
//! written once, each message a new reference to it).
//!
//! A PUSH socket in a worker thread sends `message-count` messages of
//! `message-size` bytes over `inproc://` to a PULL socket in the main thread,
//! which prints the throughput as C does.

use zmq::{Context, Message, RecvFlags, Socket, PULL, PUSH};

use crate::{fail, fail_msg, Stopwatch};

/// What failed in a sender: the C call's name (for the error line) and the error.
pub type SendError = (&'static str, zmq::Error);

/// Runs the benchmark: `send(socket, size, count)` sends the messages from the
/// worker thread's connected PUSH socket.
pub fn run<F>(message_size: usize, message_count: i32, send: F)
where
    F: FnOnce(&Socket, usize, i32) -> Result<(), SendError> + Send + 'static,
{
    let ctx = Context::new().unwrap_or_else(|e| fail("zmq_init", e));
    let s = ctx.socket(PULL).unwrap_or_else(|e| fail("zmq_socket", e));
    s.bind("inproc://thr_test")
        .unwrap_or_else(|e| fail("zmq_bind", e));

    let worker_ctx = ctx.clone();
    let local_thread = std::thread::Builder::new()
        .spawn(move || worker(worker_ctx, message_size, message_count, send))
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

fn worker<F>(ctx: Context, message_size: usize, message_count: i32, send: F)
where
    F: FnOnce(&Socket, usize, i32) -> Result<(), SendError>,
{
    let exit = |what: &str, e: zmq::Error| -> ! {
        println!("error in {what}: {e}");
        std::process::exit(1)
    };
    let s = ctx.socket(PUSH).unwrap_or_else(|e| exit("zmq_socket", e));
    s.connect("inproc://thr_test")
        .unwrap_or_else(|e| exit("zmq_connect", e));
    if let Err((what, e)) = send(&s, message_size, message_count) {
        exit(what, e);
    }
    s.close().unwrap_or_else(|e| exit("zmq_close", e));
}
