//! libzmq's perf workloads on rust-zmq (`zmq` 0.10, the binding most Rust
//! users of ZeroMQ come from), written as its users write them: blocking
//! calls on plain threads, one `Message` reused per receive
//! (`Socket::recv(&mut Message)`, `zmq_msg_recv`), and each payload written
//! per message with `Message::with_size` (`zmq_msg_init_size` + a zeroing
//! `memset`, the same calls as C's filled senders and this crate's ports),
//! handed to `Socket::send`, which takes the message by value. The echo and
//! the requester therefore make a fresh `Message` per receive (`send`
//! consumes the one they received).
//!
//! rust-zmq links its own libzmq: `zmq-sys` 0.12 builds the copy bundled in
//! `zeromq-src` (libzmq 4.3.4), not the vendored 4.3.5 of the other sides;
//! `rustzmq libzmq-version` prints the version it runs.

use rust_zmq as zmq;
use zmq::{Context, Message, Socket, PULL, PUSH, REP, REQ};
use zmq_perf_peers::{run_blocking, BlockingPeer, Outcome, Stopwatch, Workload};

struct RustZmq;

fn err(what: &'static str) -> impl Fn(zmq::Error) -> String {
    move |e| format!("{what}: {e}")
}

fn socket(ctx: &Context, kind: zmq::SocketType) -> Result<Socket, String> {
    ctx.socket(kind).map_err(err("zmq_socket"))
}

fn check_size(msg: &Message, size: usize) -> Result<(), String> {
    if msg.len() == size {
        Ok(())
    } else {
        Err("message of incorrect size received".into())
    }
}

/// Receives `count` messages, the clock starting after the first.
fn receive(s: &Socket, size: usize, count: usize) -> Result<u64, String> {
    let mut msg = Message::new();
    s.recv(&mut msg, 0).map_err(err("zmq_recvmsg"))?;
    check_size(&msg, size)?;
    let watch = Stopwatch::start();
    for _ in 1..count {
        s.recv(&mut msg, 0).map_err(err("zmq_recvmsg"))?;
        check_size(&msg, size)?;
    }
    Ok(watch.stop())
}

fn send(s: &Socket, size: usize, count: usize) -> Result<(), String> {
    for _ in 0..count {
        s.send(Message::with_size(size), 0)
            .map_err(err("zmq_sendmsg"))?;
    }
    Ok(())
}

fn echo(s: &Socket, size: usize, count: usize) -> Result<(), String> {
    for _ in 0..count {
        let mut msg = Message::new();
        s.recv(&mut msg, 0).map_err(err("zmq_recvmsg"))?;
        check_size(&msg, size)?;
        s.send(msg, 0).map_err(err("zmq_sendmsg"))?;
    }
    Ok(())
}

fn ping(s: &Socket, size: usize, count: usize) -> Result<u64, String> {
    let mut msg = Message::with_size(size);
    let watch = Stopwatch::start();
    for _ in 0..count {
        s.send(msg, 0).map_err(err("zmq_sendmsg"))?;
        msg = Message::new();
        s.recv(&mut msg, 0).map_err(err("zmq_recvmsg"))?;
        check_size(&msg, size)?;
    }
    Ok(watch.stop())
}

/// Both sides of an inproc tool: `worker` on a thread of its own with a
/// socket of `theirs` connected, `main` here with `ours` bound.
fn inproc(
    ours: zmq::SocketType,
    theirs: zmq::SocketType,
    w: &Workload,
    main: fn(&Socket, usize, usize) -> Result<u64, String>,
    worker: fn(&Socket, usize, usize) -> Result<(), String>,
) -> Outcome {
    let ctx = Context::new();
    let s = socket(&ctx, ours)?;
    s.bind("inproc://perf").map_err(err("zmq_bind"))?;
    let (size, count, worker_ctx) = (w.size, w.count, ctx.clone());
    let other = std::thread::spawn(move || -> Result<(), String> {
        let s = socket(&worker_ctx, theirs)?;
        s.connect("inproc://perf").map_err(err("zmq_connect"))?;
        worker(&s, size, count)
    });
    let elapsed = main(&s, size, count)?;
    other.join().map_err(|_| "the worker thread panicked")??;
    Ok(Some(elapsed))
}

impl BlockingPeer for RustZmq {
    fn local_thr(w: Workload) -> Option<Outcome> {
        Some((|| {
            let ctx = Context::new();
            let s = socket(&ctx, PULL)?;
            s.bind(&w.endpoint).map_err(err("zmq_bind"))?;
            Ok(Some(receive(&s, w.size, w.count)?))
        })())
    }

    fn remote_thr(w: Workload) -> Option<Outcome> {
        Some((|| {
            let ctx = Context::new();
            let s = socket(&ctx, PUSH)?;
            s.connect(&w.endpoint).map_err(err("zmq_connect"))?;
            send(&s, w.size, w.count)?;
            // Dropping the socket and the context lingers until all is sent.
            Ok(None)
        })())
    }

    fn local_lat(w: Workload) -> Option<Outcome> {
        Some((|| {
            let ctx = Context::new();
            let s = socket(&ctx, REP)?;
            s.bind(&w.endpoint).map_err(err("zmq_bind"))?;
            echo(&s, w.size, w.count)?;
            // As C: a second for the last reply to leave.
            std::thread::sleep(std::time::Duration::from_secs(1));
            Ok(None)
        })())
    }

    fn remote_lat(w: Workload) -> Option<Outcome> {
        Some((|| {
            let ctx = Context::new();
            let s = socket(&ctx, REQ)?;
            s.connect(&w.endpoint).map_err(err("zmq_connect"))?;
            Ok(Some(ping(&s, w.size, w.count)?))
        })())
    }

    fn inproc_thr(w: Workload) -> Option<Outcome> {
        Some(inproc(PULL, PUSH, &w, receive, send))
    }

    fn inproc_lat(w: Workload) -> Option<Outcome> {
        Some(inproc(REQ, REP, &w, ping, echo))
    }
}

fn main() {
    // `rustzmq libzmq-version`: the libzmq this binary runs (for the table).
    if std::env::args().nth(1).as_deref() == Some("libzmq-version") {
        let (major, minor, patch) = zmq::version();
        println!("{major}.{minor}.{patch}");
        return;
    }
    run_blocking::<RustZmq>("rustzmq");
}
