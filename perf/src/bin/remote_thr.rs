//! Port of libzmq's `perf/remote_thr.cpp`: a PUSH socket connects and sends
//! `message-count` messages of `message-size` bytes.
//!
//! Usage: `remote_thr <connect-to> <message-size> <message-count> [<enable_curve>]`
//!
//! C builds each message with `zmq_msg_init_size` and sends its content
//! uninitialised. The safe API has no way to make an N-byte message without
//! writing its bytes, so each message here is a copy of a zeroed buffer. The
//! cheapest safe way to do that is `Socket::send(&[u8])`: one `zmq_send`, which
//! is `zmq_msg_init_size` + `memcpy` + `zmq_msg_send` inside libzmq
//! (`Message::from(&[u8])` + `send_msg` costs ~80 instructions more per message:
//! see `perf/README.md`).
#![forbid(unsafe_code)]

use zmq::{Context, SendFlags, PUSH};
use zmq_perf::{args, count, fail, number};

/// Arbitrary, but must match `local_thr` (and the C tools), with the NUL.
const SERVER_PUBKEY: &[u8] = b"DX4nh=yUn{-9ugra0X3Src4SU-4xTgqxcYY.+<SH\0";
const CLIENT_PUBKEY: &[u8] = b"<n^oA}I:66W+*ds3tAmi1+KJzv-}k&fC2aA5Bj0K\0";
const CLIENT_PRVKEY: &[u8] = b"9R9bV}[6z6DC-%$!jTVTKvWc=LEL{4i4gzUe$@Zx\0";

fn main() {
    let args = args(
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
    let s = ctx.socket(PUSH).unwrap_or_else(|e| fail("zmq_socket", e));
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

    let buf = vec![0u8; message_size];
    for _ in 0..message_count {
        if let Err(e) = s.send(&buf[..], SendFlags::empty()) {
            fail("zmq_send", e);
        }
    }

    s.close().unwrap_or_else(|e| fail("zmq_close", e));
    ctx.term().unwrap_or_else(|e| fail("zmq_ctx_term", e));
}
