//! The perf tools (`local_thr`, `remote_thr`, `local_lat`, `remote_lat`,
//! `inproc_thr`, `inproc_lat`) written with the async API (`zmq::tokio`,
//! feature `tokio` of this crate), for `perf/compare.sh`'s async-vs-blocking
//! rows and `perf/callgrind.sh`'s instructions per message.
//!
//! Usage: `async_perf <tool> <tool's arguments>`, e.g.
//! `async_perf local_thr tcp://127.0.0.1:5555 64 1000000`; each tool takes the
//! arguments of the blocking port of the same name and prints the same lines.
//! The latency tools also take `--spin=<microseconds>`: their receives spin
//! that long before sleeping (`AsyncSocket::set_recv_spin`), as the blocking
//! tools' `--spin` does with `Socket::recv_msg_spin`.
//!
//! Each side of a workload runs a current-thread tokio runtime on its own
//! thread (or process), where the blocking tools run the same loop on a plain
//! thread: the difference is the async layer itself (poll, readiness, the
//! socket's lock), not a thread pool. Payloads are written as the blocking
//! ports write them (`Message::rebuild` + `put_bytes`, one reused `Message`).
#![forbid(unsafe_code)]

use std::time::Duration;

use zmq::tokio::AsyncSocket;
use zmq::{Context, Message, SocketType};
use zmq_perf::{args_from, c_int, count, fail, fail_msg, number, Stopwatch};

fn main() {
    let mut argv: Vec<String> = std::env::args().skip(1).collect();
    if argv.is_empty() {
        println!("usage: async_perf <local_thr|remote_thr|local_lat|remote_lat|inproc_thr|inproc_lat> ...");
        std::process::exit(1);
    }
    let tool = argv.remove(0);
    match tool.as_str() {
        "local_thr" => local_thr(argv),
        "remote_thr" => remote_thr(argv),
        "local_lat" => local_lat(argv),
        "remote_lat" => remote_lat(argv),
        "inproc_thr" => inproc_thr(argv),
        "inproc_lat" => inproc_lat(argv),
        other => fail_msg(&format!("unknown tool {other:?}")),
    }
}

/// A current-thread runtime with the I/O driver (all the async layer needs).
fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_io()
        .build()
        .unwrap_or_else(|e| fail("tokio runtime", e))
}

/// Takes `--spin=<microseconds>` (the latency tools, anywhere among their
/// arguments) out of `argv`: the receive spin of their sockets
/// (`AsyncSocket::set_recv_spin`), zero (no spin) without it.
fn take_spin(argv: Vec<String>) -> (Vec<String>, Duration) {
    let mut spin = Duration::ZERO;
    let mut rest = Vec::new();
    for arg in argv {
        match arg.strip_prefix("--spin=") {
            Some(us) => spin = Duration::from_micros(number(us, "--spin (microseconds)")),
            None => rest.push(arg),
        }
    }
    (rest, spin)
}

fn socket(ctx: &Context, kind: SocketType) -> AsyncSocket {
    let s = ctx.socket(kind).unwrap_or_else(|e| fail("zmq_socket", e));
    AsyncSocket::new(s).unwrap_or_else(|e| fail("AsyncSocket::new", e))
}

/// Receives `count` messages of `size` bytes; the clock starts after the first.
async fn receive(s: &mut AsyncSocket, size: usize, count: i32) -> u64 {
    let mut msg = Message::new();
    s.recv_msg(&mut msg)
        .await
        .unwrap_or_else(|e| fail("zmq_recvmsg", e));
    if msg.len() != size {
        fail_msg("message of incorrect size received");
    }
    let watch = Stopwatch::start();
    for _ in 0..count - 1 {
        if let Err(e) = s.recv_msg(&mut msg).await {
            fail("zmq_recvmsg", e);
        }
        if msg.len() != size {
            fail_msg("message of incorrect size received");
        }
    }
    watch.stop().max(1)
}

/// Sends `count` messages of `size` bytes, each written in place.
async fn send(s: &mut AsyncSocket, size: usize, count: i32) {
    let mut msg = Message::new();
    for _ in 0..count {
        if let Err(e) = msg.rebuild(size, |w| w.put_bytes(0, size)) {
            fail("zmq_msg_init_size", e);
        }
        if let Err(e) = s.send_msg(&mut msg).await {
            fail("zmq_sendmsg", e);
        }
    }
}

/// Echoes `roundtrips` messages of `size` bytes (the REP side).
async fn echo(s: &mut AsyncSocket, size: usize, roundtrips: i32) {
    let mut msg = Message::new();
    for _ in 0..roundtrips {
        if let Err(e) = s.recv_msg(&mut msg).await {
            fail("zmq_recvmsg", e);
        }
        if msg.len() != size {
            fail_msg("message of incorrect size received");
        }
        if let Err(e) = s.send_msg(&mut msg).await {
            fail("zmq_sendmsg", e);
        }
    }
}

/// Sends `roundtrips` requests of `size` bytes and waits for each reply;
/// returns the elapsed microseconds.
async fn ping(s: &mut AsyncSocket, size: usize, roundtrips: i32) -> u64 {
    let mut msg = Message::new();
    let watch = Stopwatch::start();
    for _ in 0..roundtrips {
        if let Err(e) = msg.rebuild(size, |w| w.put_bytes(0, size)) {
            fail("zmq_msg_init_size", e);
        }
        if let Err(e) = s.send_msg(&mut msg).await {
            fail("zmq_sendmsg", e);
        }
        if let Err(e) = s.recv_msg(&mut msg).await {
            fail("zmq_recvmsg", e);
        }
        if msg.len() != size {
            fail_msg("message of incorrect size received");
        }
    }
    watch.stop()
}

fn print_throughput(size: usize, count: i32, elapsed: u64) {
    let throughput = f64::from(count) / elapsed as f64 * 1_000_000.0;
    let megabits = throughput * size as f64 * 8.0 / 1_000_000.0;
    println!("message size: {size} [B]");
    println!("message count: {count}");
    println!("mean throughput: {} [msg/s]", c_int(throughput));
    println!("mean throughput: {megabits:.3} [Mb/s]");
}

fn print_latency(size: usize, roundtrips: i32, elapsed: u64) {
    let latency = elapsed as f64 / (f64::from(roundtrips) * 2.0);
    println!("message size: {size} [B]");
    println!("roundtrip count: {roundtrips}");
    println!("average latency: {latency:.3} [us]");
}

fn local_thr(argv: Vec<String>) {
    let args = args_from(
        argv,
        &[3],
        "usage: async_perf local_thr <bind-to> <message-size> <message-count>",
    );
    let size: usize = number(&args[1], "message size");
    let count: i32 = count(&args[2], "message count");
    let ctx = Context::new().unwrap_or_else(|e| fail("zmq_init", e));
    let elapsed = runtime().block_on(async {
        let mut s = socket(&ctx, zmq::PULL);
        s.bind(&args[0]).unwrap_or_else(|e| fail("zmq_bind", e));
        receive(&mut s, size, count).await
    });
    print_throughput(size, count, elapsed);
}

fn remote_thr(argv: Vec<String>) {
    let args = args_from(
        argv,
        &[3],
        "usage: async_perf remote_thr <connect-to> <message-size> <message-count>",
    );
    let size: usize = number(&args[1], "message size");
    let count: i32 = count(&args[2], "message count");
    let ctx = Context::new().unwrap_or_else(|e| fail("zmq_init", e));
    runtime().block_on(async {
        let mut s = socket(&ctx, zmq::PUSH);
        s.connect(&args[0])
            .unwrap_or_else(|e| fail("zmq_connect", e));
        send(&mut s, size, count).await;
    });
    ctx.term().unwrap_or_else(|e| fail("zmq_ctx_term", e));
}

fn local_lat(argv: Vec<String>) {
    let (argv, spin) = take_spin(argv);
    let args = args_from(
        argv,
        &[3],
        "usage: async_perf local_lat <bind-to> <message-size> <roundtrip-count> [--spin=<us>]",
    );
    let size: usize = number(&args[1], "message size");
    let roundtrips: i32 = count(&args[2], "roundtrip count");
    let ctx = Context::new().unwrap_or_else(|e| fail("zmq_init", e));
    runtime().block_on(async {
        let mut s = socket(&ctx, zmq::REP);
        s.set_recv_spin(spin);
        s.bind(&args[0]).unwrap_or_else(|e| fail("zmq_bind", e));
        echo(&mut s, size, roundtrips).await;
    });
    ctx.term().unwrap_or_else(|e| fail("zmq_ctx_term", e));
}

fn remote_lat(argv: Vec<String>) {
    let (argv, spin) = take_spin(argv);
    let args = args_from(
        argv,
        &[3],
        "usage: async_perf remote_lat <connect-to> <message-size> <roundtrip-count> [--spin=<us>]",
    );
    let size: usize = number(&args[1], "message size");
    let roundtrips: i32 = count(&args[2], "roundtrip count");
    let ctx = Context::new().unwrap_or_else(|e| fail("zmq_init", e));
    let elapsed = runtime().block_on(async {
        let mut s = socket(&ctx, zmq::REQ);
        s.set_recv_spin(spin);
        s.connect(&args[0])
            .unwrap_or_else(|e| fail("zmq_connect", e));
        ping(&mut s, size, roundtrips).await
    });
    print_latency(size, roundtrips, elapsed);
    ctx.term().unwrap_or_else(|e| fail("zmq_ctx_term", e));
}

fn inproc_thr(argv: Vec<String>) {
    let args = args_from(
        argv,
        &[2],
        "usage: async_perf inproc_thr <message-size> <message-count>",
    );
    let size: usize = number(&args[0], "message size");
    let count: i32 = count(&args[1], "message count");
    let ctx = Context::new().unwrap_or_else(|e| fail("zmq_init", e));
    let rt = runtime();
    let mut pull = rt.block_on(async { socket(&ctx, zmq::PULL) });
    pull.bind("inproc://thr_test")
        .unwrap_or_else(|e| fail("zmq_bind", e));
    let worker_ctx = ctx.clone();
    let worker = std::thread::spawn(move || {
        runtime().block_on(async {
            let mut push = socket(&worker_ctx, zmq::PUSH);
            push.connect("inproc://thr_test")
                .unwrap_or_else(|e| fail("zmq_connect", e));
            send(&mut push, size, count).await;
        })
    });
    let elapsed = rt.block_on(receive(&mut pull, size, count));
    if worker.join().is_err() {
        fail_msg("error in pthread_join: the worker thread panicked");
    }
    print_throughput(size, count, elapsed);
}

fn inproc_lat(argv: Vec<String>) {
    let (argv, spin) = take_spin(argv);
    let args = args_from(
        argv,
        &[2],
        "usage: async_perf inproc_lat <message-size> <roundtrip-count> [--spin=<us>]",
    );
    let size: usize = number(&args[0], "message size");
    let roundtrips: i32 = count(&args[1], "roundtrip count");
    let ctx = Context::new().unwrap_or_else(|e| fail("zmq_init", e));
    let rt = runtime();
    let mut rep = rt.block_on(async { socket(&ctx, zmq::REP) });
    rep.set_recv_spin(spin);
    rep.bind("inproc://lat_test")
        .unwrap_or_else(|e| fail("zmq_bind", e));
    let worker_ctx = ctx.clone();
    let worker = std::thread::spawn(move || {
        runtime().block_on(async {
            let mut req = socket(&worker_ctx, zmq::REQ);
            req.set_recv_spin(spin);
            req.connect("inproc://lat_test")
                .unwrap_or_else(|e| fail("zmq_connect", e));
            ping(&mut req, size, roundtrips).await
        })
    });
    rt.block_on(echo(&mut rep, size, roundtrips));
    let elapsed = worker
        .join()
        .unwrap_or_else(|_| fail_msg("error in pthread_join: the worker thread panicked"));
    print_latency(size, roundtrips, elapsed);
}
