//! Clone server Model Three (zguide `clonesrv3.c`): the server no longer makes
//! up updates; clients send theirs to a `PULL` collector, and the server gives
//! each the next sequence number, publishes it to every client and stores it.
//! A `ROUTER` snapshot socket answers `ICANHAZ?` with every entry and a closing
//! `KTHXBAI` carrying the current sequence number. Use it with `clonecli3`.
//!
//! ```text
//! cargo run --example zguide_clonesrv3 -- [SNAPSHOT] [PUBLISHER] [COLLECTOR]
//! ```
//!
//! `SNAPSHOT`, `PUBLISHER` and `COLLECTOR` default to `tcp://127.0.0.1:5556`,
//! `5557` and `5558` (the C binds `tcp://*:…`); it prints `Bound to` for each,
//! in that order, then `I: publishing update <seq>` per update and
//! `I: sending snapshot=<seq>` per snapshot. As the C, it runs until
//! interrupted (SIGINT) and then prints ` Interrupted` and `<N> messages
//! handled`; not in the C, it then prints its store as `Store: <n> entries,
//! digest <hex>`.
#![forbid(unsafe_code)]

#[path = "kvsimple.rs"]
mod kvsimple;
#[path = "zhelpers.rs"]
mod zhelpers;

use kvsimple::{kvmap_digest, Kvmap, Kvmsg};
use zhelpers::{s_bound, s_console, Args};

//  Send one state snapshot key-value pair to a socket: the identity of the
//  recipient first, then the kvmsg, ready to send
fn send_single(socket: &zmq::Socket, identity: &[u8], kvmsg: &Kvmsg) -> zmq::Result<()> {
    socket.send(identity, zmq::SNDMORE)?;
    kvmsg.send(socket)
}

fn main() -> zhelpers::Result {
    let args = Args::parse("clonesrv3 [SNAPSHOT] [PUBLISHER] [COLLECTOR]")?.only(&[])?;
    zmq::catch_interrupts()?;

    //  Prepare our context and sockets
    let context = zmq::Context::new()?;
    let snapshot = context.socket(zmq::ROUTER)?;
    snapshot.set_linger(0)?;
    snapshot.bind(&args.arg(0, "tcp://127.0.0.1:5556"))?;
    s_bound(&snapshot)?;
    let publisher = context.socket(zmq::PUB)?;
    publisher.set_linger(0)?;
    publisher.bind(&args.arg(1, "tcp://127.0.0.1:5557"))?;
    s_bound(&publisher)?;
    let collector = context.socket(zmq::PULL)?;
    collector.set_linger(0)?;
    collector.bind(&args.arg(2, "tcp://127.0.0.1:5558"))?;
    s_bound(&collector)?;

    //  .split body of main task
    //  The body of the main task collects updates from clients and
    //  publishes them back out to clients:

    let mut sequence: i64 = 0;
    let mut kvmap = Kvmap::new();

    while !zmq::interrupted() {
        let mut items = [
            collector.as_poll_item(zmq::PollEvents::POLLIN),
            snapshot.as_poll_item(zmq::PollEvents::POLLIN),
        ];
        match zmq::poll(&mut items, 1000) {
            Err(zmq::Error::EINTR) => break, //  Interrupted
            result => result?,
        };
        let (update, request) = (items[0].is_readable(), items[1].is_readable());

        //  Apply state update sent from client
        if update {
            let kvmsg = match Kvmsg::recv(&collector) {
                Err(zmq::Error::EINTR) => break, //  Interrupted
                result => result?,
            };
            if let Some(mut kvmsg) = kvmsg {
                sequence += 1;
                kvmsg.set_sequence(sequence);
                kvmsg.send(&publisher)?;
                kvmsg.store(&mut kvmap);
                s_console(format_args!("I: publishing update {sequence:5}"));
            }
        }
        //  Execute state snapshot request
        if request {
            let mut frames = match snapshot.recv_multipart(zmq::RecvFlags::empty()) {
                Err(zmq::Error::EINTR) => break, //  Interrupted
                result => result?,
            };
            //  Request is in second frame of message
            if frames.len() != 2 || frames[1] != b"ICANHAZ?" {
                s_console(format_args!("E: bad request, aborting"));
                break;
            }
            let identity = frames.swap_remove(0);

            //  Send state snapshot to client
            //  For each entry in kvmap, send kvmsg to client
            for kvmsg in kvmap.values() {
                send_single(&snapshot, &identity, kvmsg)?;
            }

            //  Now send END message with sequence number
            s_console(format_args!("I: sending snapshot={sequence}"));
            snapshot.send(&identity, zmq::SNDMORE)?;
            let mut kvmsg = Kvmsg::new(sequence);
            kvmsg.set_key("KTHXBAI");
            kvmsg.set_body(b"");
            kvmsg.send(&snapshot)?;
        }
    }
    if zmq::interrupted() {
        s_console(format_args!(" Interrupted"));
    }
    s_console(format_args!("{sequence} messages handled"));
    s_console(format_args!("Store: {}", kvmap_digest(&kvmap, "")));
    Ok(())
}
