//! Port of libzmq's `perf/remote_thr.cpp`: a PUSH socket connects and sends
//! `message-count` messages of `message-size` bytes.
//!
//! Usage: `remote_thr <connect-to> <message-size> <message-count> [<enable_curve>]`
//!
//! C builds each message with `zmq_msg_init_size` and sends its content
//! uninitialised. Safe Rust cannot send bytes it never wrote, so each message
//! here is written with `Message::rebuild` + `put_bytes(0, size)` into one
//! reused `Message`: `zmq_msg_init_size` + one `memset` of the payload in
//! place, `zmq_msg_send`, and `zmq_msg_close` (at the next `rebuild`),
//! as C does with a `memset` added (the `tcp_thr_filled` comparison in
//! `perf/compare.sh`).
#![forbid(unsafe_code)]

use zmq::{Context, Message, SendFlags, PUSH};
use zmq_perf::{args_with_thr_options, count, fail, number};

/// Arbitrary, but must match `local_thr` (and the C tools), with the NUL.
const SERVER_PUBKEY: &[u8] = b"DX4nh=yUn{-9ugra0X3Src4SU-4xTgqxcYY.+<SH\0";
const CLIENT_PUBKEY: &[u8] = b"<n^oA}I:66W+*ds3tAmi1+KJzv-}k&fC2aA5Bj0K\0";
const CLIENT_PRVKEY: &[u8] = b"9R9bV}[6z6DC-%$!jTVTKvWc=LEL{4i4gzUe$@Zx\0";

fn main() {
    let (args, options) = args_with_thr_options(
        &[3, 4],
        "usage: remote_thr <connect-to> <message-size> <message-count> [<enable_curve>]",
    );
    let connect_to = &args[0];
    let message_size: usize = number(&args[1], "message size");
    let message_count: i32 = count(&args[2], "message count");
    let curve = args
        .get(3)
        .is_some_and(|a| number::<i32>(a, "enable_curve") != 0);

    let ctx = Context::new().unwrap_or_else(|e| fail("zmq_init", e));
    options.apply_to_context(&ctx);
    let s = ctx.socket(PUSH).unwrap_or_else(|e| fail("zmq_socket", e));
    options.apply_to_socket(&s);
    if curve {
        s.set_curve_secretkey(CLIENT_PRVKEY)
            .unwrap_or_else(|e| fail("zmq_setsockoopt", e));
        s.set_curve_publickey(CLIENT_PUBKEY)
            .unwrap_or_else(|e| fail("zmq_setsockoopt", e));
        s.set_curve_serverkey(SERVER_PUBKEY)
            .unwrap_or_else(|e| fail("zmq_setsockoopt", e));
    }
    s.connect(connect_to)
        .unwrap_or_else(|e| fail("zmq_connect", e));

    // One zmq_msg_t reused, as in C: each iteration is zmq_msg_close (of the
    // message the last send emptied) + zmq_msg_init_size + memset, then
    // zmq_msg_send.
    let mut msg = Message::new();
    for _ in 0..message_count {
        if let Err(e) = msg.rebuild(message_size, |w| w.put_bytes(0, message_size)) {
            fail("zmq_msg_init_size", e);
        }
        if let Err(e) = s.send_msg(&mut msg, SendFlags::empty()) {
            fail("zmq_sendmsg", e);
        }
    }
    drop(msg);

    s.close().unwrap_or_else(|e| fail("zmq_close", e));
    ctx.term().unwrap_or_else(|e| fail("zmq_ctx_term", e));
}
