//! Port of libzmq's `perf/proxy_thr.cpp`: an asynchronous proxy benchmark using
//! `ZMQ_XPUB_NODROP`, all over `inproc://`.
//!
//! ```text
//!  XPUB                      SUB
//!   |                         |
//!   +-----> XSUB -> XPUB -----/
//!   |       ^^^^^^^^^^^^
//!  XPUB      ZMQ proxy
//! ```
//!
//! The two XPUB publishers flood the proxy; the throughput is what the SUB
//! receives.
//!
//! Usage: `proxy_thr <message-size> <message-count>`
#![forbid(unsafe_code)]

use std::thread::JoinHandle;

use zmq::{Context, Message, RecvFlags, SendFlags, Socket, REP, REQ, SUB, XPUB, XSUB};
use zmq_perf::{args, count, number, Stopwatch};

const HWM: i32 = 10000;

const PUB1: &str = "inproc://perf_pub1";
const PUB2: &str = "inproc://perf_pub2";
const SUB1: &str = "inproc://perf_backend";
const CONTROL: &str = "inproc://ctrl";
const FRONTEND: [&str; 2] = [PUB1, PUB2];

/// Like C's `TEST_ASSERT_SUCCESS_ERRNO`: prints the failed call and exits(1).
fn check<T>(result: zmq::Result<T>, expr: &str) -> T {
    match result {
        Ok(v) => v,
        Err(e) => {
            print!("{expr} failed, errno = {} ({e})", e.raw());
            std::process::exit(1)
        }
    }
}

fn set_hwm(s: &Socket) {
    check(s.set_sndhwm(HWM), "zmq_setsockopt (skt, ZMQ_SNDHWM)");
    check(s.set_rcvhwm(HWM), "zmq_setsockopt (skt, ZMQ_RCVHWM)");
}

fn publisher_thread_main(ctx: Context, idx: usize, message_size: usize, message_count: u64) {
    let pubsocket = check(ctx.socket(XPUB), "zmq_socket (XPUB)");
    set_hwm(&pubsocket);
    check(
        pubsocket.set_xpub_nodrop(true),
        "zmq_setsockopt (ZMQ_XPUB_NODROP)",
    );
    check(pubsocket.set_sndtimeo(1), "zmq_setsockopt (ZMQ_SNDTIMEO)");
    check(pubsocket.connect(FRONTEND[idx]), "zmq_connect");

    // Wait before sending until the one subscriber has subscribed.
    let mut buffer = [0u8; 32];
    let rc = check(
        pubsocket.recv_into(&mut buffer, RecvFlags::empty()),
        "zmq_recv (pubsocket, buffer, sizeof (buffer), 0)",
    );
    if rc != 1 {
        print!("invalid response length: expected 1, received {rc}");
        std::process::exit(1);
    }
    if buffer[0] != 1 {
        print!("invalid response value: expected 1, received {}", buffer[0]);
        std::process::exit(1);
    }

    // zmq_msg_init_size + memset 'A', as in C.
    let msg_orig = check(
        Message::from_writer(message_size, |w| w.put_bytes(b'A', message_size)),
        "zmq_msg_init_size (&msg_orig, message_size)",
    );
    let mut send_count = 0u64;
    while send_count < message_count {
        // zmq_msg_init + zmq_msg_copy, as in C.
        let mut msg = msg_orig.clone();
        if pubsocket.send_msg(&mut msg, SendFlags::empty()).is_ok() {
            send_count += 1;
        }
    }
    drop(pubsocket);
}

fn subscriber_thread_main(ctx: Context, message_count: u64) {
    let subsocket = check(ctx.socket(SUB), "zmq_socket (SUB)");
    set_hwm(&subsocket);
    check(
        subsocket.set_subscribe(b""),
        "zmq_setsockopt (ZMQ_SUBSCRIBE)",
    );
    check(subsocket.connect(SUB1), "zmq_connect");

    let mut rxsuccess = 0u64;
    loop {
        // zmq_msg_init + zmq_msg_recv + zmq_msg_close, as in C.
        let mut msg = Message::new();
        if subsocket.recv_msg(&mut msg, RecvFlags::empty()).is_ok() {
            rxsuccess += 1;
        }
        drop(msg);
        if rxsuccess == message_count {
            break;
        }
    }
    drop(subsocket);
}

fn proxy_thread_main(ctx: Context) {
    let frontend_xsub = check(ctx.socket(XSUB), "zmq_socket (XSUB)");
    set_hwm(&frontend_xsub);
    for ep in FRONTEND {
        check(frontend_xsub.bind(ep), "zmq_bind (frontend_xsub)");
    }

    let backend_xpub = check(ctx.socket(XPUB), "zmq_socket (XPUB)");
    check(
        backend_xpub.set_xpub_nodrop(true),
        "zmq_setsockopt (ZMQ_XPUB_NODROP)",
    );
    set_hwm(&backend_xpub);
    check(backend_xpub.bind(SUB1), "zmq_bind (backend_xpub)");

    let control_rep = check(ctx.socket(REP), "zmq_socket (REP)");
    check(control_rep.bind(CONTROL), "zmq_bind (control_rep)");

    // C ignores the result too (it is the end of the benchmark either way).
    let _ = zmq::proxy_steerable(&frontend_xsub, &backend_xpub, None, &control_rep);
}

fn terminate_proxy(ctx: &Context) {
    let control_req = check(ctx.socket(REQ), "zmq_socket (REQ)");
    check(control_req.connect(CONTROL), "zmq_connect (control_req)");
    // Ask the proxy to exit: the subscriber has received all messages.
    check(
        control_req.send("TERMINATE", SendFlags::empty()),
        "zmq_send (control_req)",
    );
}

fn spawn(f: impl FnOnce() + Send + 'static) -> JoinHandle<()> {
    match std::thread::Builder::new().spawn(f) {
        Ok(handle) => handle,
        Err(e) => {
            println!("zmq_threadstart failed: {e}");
            std::process::exit(1)
        }
    }
}

fn join(handle: JoinHandle<()>) {
    if handle.join().is_err() {
        println!("zmq_threadclose failed: the thread panicked");
        std::process::exit(1);
    }
}

fn main() {
    let args = args(&[2], "usage: proxy_thr <message-size> <message-count>");
    let message_size: usize = number(&args[0], "message size");
    let message_count: u64 = count(&args[1], "message count");

    println!("message size: {} [B]", message_size as i32);
    println!("message count: {}", message_count as i32);

    let context = check(Context::new(), "zmq_ctx_new ()");
    check(
        context.set_io_threads(4),
        "zmq_ctx_set (context, ZMQ_IO_THREADS, 4)",
    );

    let ctx = context.clone();
    let proxy = spawn(move || proxy_thread_main(ctx));
    let ctx = context.clone();
    let subscriber = spawn(move || subscriber_thread_main(ctx, message_count));

    let watch = Stopwatch::start();

    let ctx = context.clone();
    let publisher1 = spawn(move || publisher_thread_main(ctx, 0, message_size, message_count));
    let ctx = context.clone();
    let publisher2 = spawn(move || publisher_thread_main(ctx, 1, message_size, message_count));

    join(subscriber);

    let elapsed = watch.stop().max(1);
    let throughput = (message_count as f64 / elapsed as f64 * 1_000_000.0) as u64;
    let megabits =
        throughput.wrapping_mul(message_size as u64).wrapping_mul(8) as f64 / 1_000_000.0;
    println!("mean throughput: {} [msg/s]", throughput as i32);
    println!("mean throughput: {megabits:.3} [Mb/s]");

    join(publisher1);
    join(publisher2);
    terminate_proxy(&context);
    join(proxy);

    check(context.term(), "zmq_ctx_term (context)");
}
