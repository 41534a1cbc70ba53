//! Clone server Model Two (zguide `clonesrv2.c`): the main task publishes
//! random key-value updates as model one does, and also passes each one over
//! a pipe to a state manager thread. That thread keeps the store and answers
//! snapshot requests on a `ROUTER` socket: a client sends `ICANHAZ?` and gets
//! every entry, then a `KTHXBAI` message carrying the sequence number the
//! snapshot is at. Read it with `clonecli2`.
//!
//! ```text
//! cargo run --example zguide_clonesrv2 -- [SNAPSHOT] [PUBLISHER] [--updates N] [--interval MS]
//! ```
//!
//! `SNAPSHOT` defaults to `tcp://127.0.0.1:5556` and `PUBLISHER` to
//! `tcp://127.0.0.1:5557` (the C binds `tcp://*:…`); it prints `Bound to` for
//! the publisher, then for the snapshot socket. Like the C it publishes as fast
//! as it can until interrupted (SIGINT), then prints ` Interrupted` and `<N>
//! messages out`. Not in the C: `--updates N` stops publishing after N updates
//! (and prints `<N> messages out`) but keeps answering snapshot requests until
//! interrupted; `--interval MS` pauses between updates; the state manager
//! binds its socket before saying it is ready, applies every update waiting
//! in the pipe (not just one) before it answers a snapshot request, so that a
//! snapshot holds every update the main task has handed over, and prints its store as
//! `Store: <n> entries, digest <hex>` when it ends.
#![forbid(unsafe_code)]

#[path = "kvsimple.rs"]
mod kvsimple;
#[path = "zhelpers.rs"]
mod zhelpers;

use kvsimple::{kvmap_digest, Kvmap, Kvmsg};
use zhelpers::{randof, s_bound, s_console, s_join, s_pipe, s_recv, s_sleep, Args, ThreadResult};

fn main() -> zhelpers::Result {
    let args = Args::parse("clonesrv2 [SNAPSHOT] [PUBLISHER] [--updates N] [--interval MS]")?
        .only(&["updates", "interval"])?;
    let updates: Option<i64> = args.opt_some("updates")?;
    let interval: u64 = args.opt("interval", 0)?;
    zmq::catch_interrupts()?;

    //  Prepare our context and sockets
    let context = zmq::Context::new()?;
    let publisher = context.socket(zmq::PUB)?;
    publisher.set_linger(0)?;
    publisher.bind(&args.arg(1, "tcp://127.0.0.1:5557"))?;
    s_bound(&publisher)?;

    let mut sequence: i64 = 0;

    //  Start state manager and wait for synchronization signal
    let (updates_pipe, pipe) = s_pipe(&context)?;
    let snapshot_endpoint = args.arg(0, "tcp://127.0.0.1:5556");
    let state_context = context.clone();
    let state =
        std::thread::spawn(move || state_manager(&state_context, &pipe, &snapshot_endpoint));
    s_recv(&updates_pipe)?;

    while !zmq::interrupted() && updates.map_or(true, |n| sequence < n) {
        //  Distribute as key-value message
        sequence += 1;
        let mut kvmsg = Kvmsg::new(sequence);
        kvmsg.set_key(&format!("{}", randof(10000)));
        kvmsg.set_body(format!("{}", randof(1_000_000)).as_bytes());
        match kvmsg
            .send(&publisher)
            .and_then(|()| kvmsg.send(&updates_pipe))
        {
            Err(zmq::Error::EINTR) => break, //  Interrupted
            result => result?,
        }
        if interval > 0 {
            s_sleep(interval);
        }
    }
    if zmq::interrupted() {
        s_console(format_args!(" Interrupted"));
    }
    s_console(format_args!("{sequence} messages out"));
    //  Not in the C: with --updates, go on answering snapshot requests
    while !zmq::interrupted() {
        s_sleep(100);
    }
    //  zctx_destroy: the state manager gets ETERM
    context.shutdown()?;
    s_join(state, "state manager")
}

//  Send one state snapshot key-value pair to a socket: the identity of the
//  recipient first, then the kvmsg, ready to send
fn send_single(socket: &zmq::Socket, identity: &[u8], kvmsg: &Kvmsg) -> zmq::Result<()> {
    socket.send(identity, zmq::SNDMORE)?;
    kvmsg.send(socket)
}

//  .split state manager
//  The state manager task maintains the state and handles requests from
//  clients for snapshots:

fn state_manager(context: &zmq::Context, pipe: &zmq::Socket, endpoint: &str) -> ThreadResult {
    let mut kvmap = Kvmap::new();

    let snapshot = context.socket(zmq::ROUTER)?;
    snapshot.set_linger(0)?;
    snapshot.bind(endpoint)?;
    s_bound(&snapshot)?;
    pipe.send("READY", zmq::SendFlags::empty())?;

    let mut sequence: i64 = 0; //  Current snapshot version number
    let result = loop {
        let mut items = [
            pipe.as_poll_item(zmq::PollEvents::POLLIN),
            snapshot.as_poll_item(zmq::PollEvents::POLLIN),
        ];
        match zmq::poll(&mut items, -1) {
            Err(zmq::Error::ETERM) => break Ok(()), //  Context has been shut down
            Err(zmq::Error::EINTR) => continue,     //  The main task decides
            Err(e) => break Err(e),
            Ok(_) => {}
        }
        let (update, request) = (items[0].is_readable(), items[1].is_readable());

        //  Apply state updates from main thread (not in the C: every one
        //  waiting, not just one)
        if update {
            match apply_updates(pipe, &mut kvmap, &mut sequence) {
                Err(zmq::Error::ETERM) => break Ok(()),
                Err(e) => break Err(e),
                Ok(()) => {}
            }
        }
        //  Execute state snapshot request
        if request {
            match send_snapshot(&snapshot, &kvmap, sequence) {
                Err(zmq::Error::ETERM) => break Ok(()),
                Err(e) => break Err(e),
                Ok(true) => {}
                Ok(false) => {
                    s_console(format_args!("E: bad request, aborting"));
                    break Ok(());
                }
            }
        }
    };
    s_console(format_args!("Store: {}", kvmap_digest(&kvmap, "")));
    Ok(result?)
}

//  Applies the updates waiting in the pipe to the store: all of them, up to
//  more than the pipe can hold (its two high-water marks of 1000), so that a
//  main task publishing flat out cannot starve the snapshot requests
const PIPE_BATCH: usize = 10_000;

fn apply_updates(pipe: &zmq::Socket, kvmap: &mut Kvmap, sequence: &mut i64) -> zmq::Result<()> {
    for _ in 0..PIPE_BATCH {
        if let Some(kvmsg) = Kvmsg::recv(pipe)? {
            *sequence = kvmsg.sequence();
            kvmsg.store(kvmap);
        }
        let mut items = [pipe.as_poll_item(zmq::PollEvents::POLLIN)];
        if zmq::poll(&mut items, 0)? == 0 {
            break;
        }
    }
    Ok(())
}

//  Answers one snapshot request; false for a bad request
fn send_snapshot(snapshot: &zmq::Socket, kvmap: &Kvmap, sequence: i64) -> zmq::Result<bool> {
    let mut frames = snapshot.recv_multipart(zmq::RecvFlags::empty())?;
    //  Request is in second frame of message
    if frames.len() != 2 || frames[1] != b"ICANHAZ?" {
        return Ok(false);
    }
    let identity = frames.swap_remove(0);

    //  For each entry in kvmap, send kvmsg to client
    for kvmsg in kvmap.values() {
        send_single(snapshot, &identity, kvmsg)?;
    }

    //  Now send END message with sequence number
    s_console(format_args!("Sending state snapshot={sequence}"));
    snapshot.send(&identity, zmq::SNDMORE)?;
    let mut kvmsg = Kvmsg::new(sequence);
    kvmsg.set_key("KTHXBAI");
    kvmsg.set_body(b"");
    kvmsg.send(snapshot)?;
    Ok(true)
}
