//! `remote_thr` with a sender that shares one payload instead of writing each
//! one: the payload is written once, and every message is a new reference to
//! it (`Message::clone`, i.e. `zmq_msg_init` + `zmq_msg_copy`, by default; or
//! `Message::from(&Arc<[u8]>)` with `arc`). Like C's `remote_thr`, which never
//! writes its payloads, it writes no payload byte per message; unlike C, every
//! byte it sends was initialised.
//!
//! Usage: `remote_thr_shared <connect-to> <message-size> <message-count> [clone|arc]`
//!
//! (No CURVE argument: the comparison script never uses it; `remote_thr` has it.)
#![forbid(unsafe_code)]

use zmq::{Context, PUSH};
use zmq_perf::senders::{send_shared, Share};
use zmq_perf::{args_with_thr_options, count, fail, number};

fn main() {
    let (args, options) = args_with_thr_options(
        &[3, 4],
        "usage: remote_thr_shared <connect-to> <message-size> <message-count> [clone|arc]",
    );
    let connect_to = &args[0];
    let message_size: usize = number(&args[1], "message size");
    let message_count: i32 = count(&args[2], "message count");
    let how = match args.get(3) {
        None => Share::Clone,
        Some(a) => Share::parse(a).unwrap_or_else(|| {
            println!("invalid sharing: {a:?} (clone or arc)");
            std::process::exit(1)
        }),
    };

    let ctx = Context::new().unwrap_or_else(|e| fail("zmq_init", e));
    options.apply_to_context(&ctx);
    let s = ctx.socket(PUSH).unwrap_or_else(|e| fail("zmq_socket", e));
    options.apply_to_socket(&s);
    s.connect(connect_to)
        .unwrap_or_else(|e| fail("zmq_connect", e));
    if let Err((what, e)) = send_shared(&s, message_size, message_count, how) {
        fail(what, e);
    }
    s.close().unwrap_or_else(|e| fail("zmq_close", e));
    ctx.term().unwrap_or_else(|e| fail("zmq_ctx_term", e));
}
