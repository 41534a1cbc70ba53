//! Clone server Model Four (zguide `clonesrv4.c`): `clonesrv3` with subtrees.
//! A snapshot request is `ICANHAZ?` followed by a subtree (a key prefix such
//! as `/client/`, or empty for everything), and the snapshot holds only the
//! entries under it; the closing `KTHXBAI` still carries the current sequence
//! number. Clients (`clonecli4`) subscribe to their subtree's updates, which
//! `PUB`'s prefix matching filters on the key frame. Use it with `clonecli4`.
//!
//! ```text
//! cargo run --example zguide_clonesrv4 -- [SNAPSHOT] [PUBLISHER] [COLLECTOR] [--subtrees A,B]
//! ```
//!
//! `SNAPSHOT`, `PUBLISHER` and `COLLECTOR` default to `tcp://127.0.0.1:5556`,
//! `5557` and `5558` (the C binds `tcp://*:…`); it prints `Bound to` for each,
//! in that order, then `I: publishing update <seq>` per update and
//! `I: sending snapshot=<seq>` per snapshot. As the C, it runs until
//! interrupted (SIGINT) and then prints ` Interrupted` and `<N> messages
//! handled`; not in the C, it then prints its store as `Store: <n> entries,
//! digest <hex>`, and `Subtree <path>: <n> entries, digest <hex>` for each
//! path of `--subtrees` (comma-separated). The C sends the `KTHXBAI` body
//! from the subtree with a size of 0, so an empty body; so does this.
#![forbid(unsafe_code)]

#[path = "kvsimple.rs"]
mod kvsimple;
#[path = "zhelpers.rs"]
mod zhelpers;

use kvsimple::{kvmap_digest, Kvmap, Kvmsg};
use zhelpers::{s_bound, s_console, Args};

//  Send one state snapshot key-value pair to a socket, if its key is in the
//  client's subtree: the identity of the recipient first, then the kvmsg,
//  ready to send
fn send_single(
    socket: &zmq::Socket,
    identity: &[u8],
    subtree: &[u8],
    kvmsg: &Kvmsg,
) -> zmq::Result<()> {
    if kvmsg.key().unwrap_or("").as_bytes().starts_with(subtree) {
        socket.send(identity, zmq::SNDMORE)?;
        kvmsg.send(socket)?;
    }
    Ok(())
}

//  The main task is identical to clonesrv3 except for where it
//  handles subtrees.

fn main() -> zhelpers::Result {
    let args = Args::parse("clonesrv4 [SNAPSHOT] [PUBLISHER] [COLLECTOR] [--subtrees A,B]")?
        .only(&["subtrees"])?;
    let subtrees: String = args.opt("subtrees", String::new())?;
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
            //  Request is in second frame of message, the subtree in the third
            if frames.len() != 3 || frames[1] != b"ICANHAZ?" {
                s_console(format_args!("E: bad request, aborting"));
                break;
            }
            let subtree = frames.swap_remove(2);
            let identity = frames.swap_remove(0);

            //  Send state snapshot to client
            //  For each entry in kvmap, send kvmsg to client
            for kvmsg in kvmap.values() {
                send_single(&snapshot, &identity, &subtree, kvmsg)?;
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
    for subtree in subtrees.split(',').filter(|s| !s.is_empty()) {
        s_console(format_args!(
            "Subtree {subtree}: {}",
            kvmap_digest(&kvmap, subtree)
        ));
    }
    Ok(())
}
