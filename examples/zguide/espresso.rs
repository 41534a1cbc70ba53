//! Espresso pattern (zguide `espresso.c`): captures the data passing through a
//! pub-sub proxy. A publisher thread sends random messages starting with `A`
//! to `J`; a subscriber thread subscribes to `A` and `B` and reads five
//! messages; the main thread runs `zmq::proxy_with_capture` between an `XSUB`
//! and an `XPUB` socket, and a listener thread prints every frame the proxy
//! moves (subscriptions upstream, messages downstream), received on its `PAIR`
//! pipe (CZMQ's `zthread_fork` pipe).
//!
//! ```text
//! cargo run --example zguide_espresso -- [PUBLISHER] [PROXY] [--count N] [--interval-ms MS]
//! ```
//!
//! `PUBLISHER` (bound by the publisher thread) defaults to
//! `tcp://127.0.0.1:6000` and `PROXY` (the `XPUB` the subscriber connects to) to
//! `tcp://127.0.0.1:6001` (the C binds `tcp://*:…`); `--count` to the C's 5
//! messages and `--interval-ms` to its 100. The listener prints each frame as
//! `[size] content` (hex when not printable: a subscription to `A` is
//! `[002] 0141`), the subscriber `Subscriber received <message>`. The C runs
//! until Ctrl-C; here the proxy stops once the subscriber has its messages
//! (the context is shut down, ending the proxy and the publisher), prints
//! `Proxy stopped`, and the listener is stopped once it has printed everything
//! captured.
#![forbid(unsafe_code)]

#[path = "zhelpers.rs"]
mod zhelpers;
use zhelpers::{
    randof, s_bound, s_console, s_frame_text, s_join, s_pipe, s_recv, s_send, s_sleep, Args,
    ThreadResult,
};

//  The subscriber thread requests messages starting with
//  A and B, then reads and counts incoming messages.

fn subscriber_thread(context: zmq::Context, endpoint: &str, expected: u32) -> ThreadResult {
    //  Subscribe to "A" and "B"
    let subscriber = context.socket(zmq::SUB)?;
    subscriber.set_linger(0)?;
    subscriber.connect(endpoint)?;
    subscriber.set_subscribe(b"A")?;
    subscriber.set_subscribe(b"B")?;

    let mut count = 0;
    while count < expected {
        let string = s_recv(&subscriber)?;
        s_console(format_args!("Subscriber received {string}"));
        count += 1;
    }
    Ok(())
}

//  The publisher sends random messages starting with A-J:

fn publisher_thread(pipe: &zmq::Socket, endpoint: &str, interval_ms: u64) -> ThreadResult {
    let publisher = pipe.context().socket(zmq::PUB)?;
    publisher.set_linger(0)?;
    publisher.bind(endpoint)?;
    s_bound(&publisher)?;
    //  Not in the C: tell the main thread where we are (a port picked by the
    //  system is only known now)
    s_send(pipe, &publisher.get_last_endpoint()?)?;

    loop {
        let letter = char::from(b'A' + randof(10) as u8);
        let string = format!("{letter}-{:05}", randof(100000));
        s_send(&publisher, &string)?;
        s_sleep(interval_ms); //  Wait for 1/10th second
    }
}

//  The listener receives all messages flowing through the proxy, on its
//  pipe. In CZMQ, the pipe is a pair of ZMQ_PAIR sockets that connect
//  attached child threads; here too (s_pipe):

fn listener_thread(pipe: &zmq::Socket) -> ThreadResult {
    //  Print everything that arrives on pipe
    loop {
        let frame = pipe.recv_bytes(zmq::RecvFlags::empty())?;
        if frame.is_empty() {
            return Ok(()); //  The main thread says stop
        }
        s_console(format_args!(
            "[{:03}] {}",
            frame.len(),
            s_frame_text(&frame)
        ));
    }
}

//  The main task starts the subscriber and publisher, and then sets
//  itself up as a listening proxy. The listener runs as a child thread:

fn main() -> zhelpers::Result {
    let args = Args::parse("espresso [PUBLISHER] [PROXY] [--count N] [--interval-ms MS]")?
        .only(&["count", "interval-ms"])?;
    let count: u32 = args.opt("count", 5)?;
    let interval_ms: u64 = args.opt("interval-ms", 100)?;
    zmq::catch_interrupts()?;

    //  Start child threads
    let context = zmq::Context::new()?;
    let (publisher_pipe, pipe) = s_pipe(&context)?;
    let endpoint = args.arg(0, "tcp://127.0.0.1:6000");
    let publisher_thread = std::thread::spawn(move || {
        let result = publisher_thread(&pipe, &endpoint, interval_ms);
        if result.is_err() {
            let _ = s_send(&pipe, ""); //  Don't leave main waiting
        }
        result
    });
    let publisher_endpoint = s_recv(&publisher_pipe)?;
    if publisher_endpoint.is_empty() {
        return s_join(publisher_thread, "publisher");
    }

    let subscriber = context.socket(zmq::XSUB)?;
    subscriber.set_linger(0)?;
    subscriber.connect(&publisher_endpoint)?;
    let publisher = context.socket(zmq::XPUB)?;
    publisher.set_linger(0)?;
    publisher.bind(&args.arg(1, "tcp://127.0.0.1:6001"))?;
    s_bound(&publisher)?;
    // The C forks the subscriber first; it connects here, once the XPUB is bound
    // and its port known.
    let subscriber_thread = {
        let context = context.clone();
        let endpoint = publisher.get_last_endpoint()?;
        std::thread::spawn(move || subscriber_thread(context, &endpoint, count))
    };
    // Not in the C: the listener's pipe has a context of its own, which
    // outlives the proxy's, so the listener prints every frame captured before
    // it is told to stop.
    let listener_context = zmq::Context::new()?;
    let (listener, pipe) = s_pipe(&listener_context)?;
    let listener_thread = std::thread::spawn(move || listener_thread(&pipe));

    // Not in the C: once the subscriber has its messages, shut the context down,
    // which stops the proxy and every thread as Ctrl-C and zctx_destroy do there.
    let stopper = {
        let context = context.clone();
        std::thread::spawn(move || {
            let result = s_join(subscriber_thread, "subscriber").map_err(|e| format!("{e:?}"));
            let _ = context.shutdown();
            result
        })
    };

    let stopped = zmq::proxy_with_capture(&subscriber, &publisher, &listener);
    match stopped {
        Err(zmq::Error::ETERM) | Err(zmq::Error::EINTR) => s_console(format_args!("Proxy stopped")),
        Err(e) => return Err(e.into()),
        Ok(()) => {}
    }
    //  Tell attached threads to exit: the listener with an empty frame, after
    //  everything captured (the proxy never captures one here)
    context.shutdown()?;
    s_send(&listener, "")?;
    match stopper.join() {
        Ok(result) => result?,
        Err(_) => return Err("the subscriber's watcher panicked".into()),
    }
    s_join(publisher_thread, "publisher")?;
    s_join(listener_thread, "listener")
}
