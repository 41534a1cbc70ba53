//! Port of libzmq's `perf/local_thr.cpp`: a PULL socket binds, receives
//! `message-count` messages of `message-size` bytes and prints the throughput.
//!
//! Usage: `local_thr <bind-to> <message-size> <message-count> [<enable_curve>]`
#![forbid(unsafe_code)]

use zmq::{Context, Message, RecvFlags, PULL};
use zmq_perf::{args_with_thr_options, c_int, count, fail, fail_msg, number, Stopwatch};

/// Arbitrary, but must match `remote_thr` (and the C tools): the Z85 text with
/// its NUL, as C passes `sizeof (server_prvkey)` bytes.
const SERVER_PRVKEY: &[u8] = b"{X}#>t#jRGaQ}gMhv=30r(Mw+87YGs+5%kh=i@f8\0";

fn main() {
    let (args, options) = args_with_thr_options(
        &[3, 4],
        "usage: local_thr <bind-to> <message-size> <message-count> [<enable_curve>]",
    );
    let bind_to = &args[0];
    let message_size: usize = number(&args[1], "message size");
    let message_count: i32 = count(&args[2], "message count");
    let curve = args
        .get(3)
        .is_some_and(|a| number::<i32>(a, "enable_curve") != 0);

    let ctx = Context::new().unwrap_or_else(|e| fail("zmq_init", e));
    options.apply_to_context(&ctx);
    let s = ctx.socket(PULL).unwrap_or_else(|e| fail("zmq_socket", e));
    options.apply_to_socket(&s);
    if curve {
        s.set_curve_secretkey(SERVER_PRVKEY)
            .unwrap_or_else(|e| fail("zmq_setsockoopt", e));
        s.set_curve_server(true)
            .unwrap_or_else(|e| fail("zmq_setsockoopt", e));
    }
    s.bind(bind_to).unwrap_or_else(|e| fail("zmq_bind", e));

    let mut msg = Message::new();
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

    let throughput = f64::from(message_count) / elapsed as f64 * 1_000_000.0;
    let megabits = throughput * message_size as f64 * 8.0 / 1_000_000.0;
    println!("message size: {message_size} [B]");
    println!("message count: {message_count}");
    println!("mean throughput: {} [msg/s]", c_int(throughput));
    println!("mean throughput: {megabits:.3} [Mb/s]");

    s.close().unwrap_or_else(|e| fail("zmq_close", e));
    ctx.term().unwrap_or_else(|e| fail("zmq_ctx_term", e));
}
