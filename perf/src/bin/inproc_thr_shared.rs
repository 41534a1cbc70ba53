//! `inproc_thr` with a sender that shares one payload instead of writing each
//! one: the payload is written once, and every message is a new reference to
//! it (`Message::clone`, i.e. `zmq_msg_init` + `zmq_msg_copy`, by default; or
//! `Message::from(&Arc<[u8]>)` with `arc`). Like C's `inproc_thr`, which never
//! writes its payloads, it writes no payload byte per message; unlike C, every
//! byte it sends was initialised.
//!
//! Usage: `inproc_thr_shared <message-size> <message-count> [clone|arc]`
//!
//! This is what a program that sends the same content many times can do: at
//! 64 KiB it skips the `memset` and the page faults of touching a fresh 64 KiB
//! block per message. The receiver is the same as `inproc_thr`'s.
#![forbid(unsafe_code)]

use zmq_perf::senders::{send_shared, Share};
use zmq_perf::{args, count, inproc_thr, number};

fn main() {
    let args = args(
        &[2, 3],
        "usage: inproc_thr_shared <message-size> <message-count> [clone|arc]",
    );
    let message_size: usize = number(&args[0], "message size");
    let message_count: i32 = count(&args[1], "message count");
    let how = match args.get(2) {
        None => Share::Clone,
        Some(a) => Share::parse(a).unwrap_or_else(|| {
            println!("invalid sharing: {a:?} (clone or arc)");
            std::process::exit(1)
        }),
    };
    inproc_thr::run(message_size, message_count, move |s, size, count| {
        send_shared(s, size, count, how)
    });
}
