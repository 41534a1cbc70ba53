//! Clone server, model five (zguide `clonesrv5.c`): keeps a key-value store
//! (`kvmsg` messages), gives a snapshot of a subtree of it to every client
//! that asks `ICANHAZ?` on its `ROUTER`, collects updates from clients on a
//! `PULL` socket, numbers each and publishes it on a `PUB` socket. A value
//! with a `ttl` property (seconds) is ephemeral: the server turns the ttl into
//! an expiry time, and once a second deletes the values that have expired and
//! publishes the delete (an empty body) to the clients.
//!
//! ```text
//! cargo run --example zguide_clonesrv5 -- [SNAPSHOT] [PUBLISHER] [COLLECTOR]
//!     [--flush-ms MS] [--seconds N]
//! ```
//!
//! The C binds `tcp://*:5556`, `5557` and `5558` (port, port+1, port+2);
//! those on `127.0.0.1` are the defaults, each endpoint its own argument
//! (each printed as `Bound to <endpoint>`, in that order). `--flush-ms` is
//! the TTL flush interval (the C's 1000). It prints the C's lines (`I:
//! publishing update=N`, `I: publishing delete=N`, `I: sending snapshot=N`,
//! where the C misspells "shapshot"); not in the C, the snapshot line ends
//! with the digest of what was sent (`keys=K checksum=C`, see `kvmsg`). The C
//! runs until interrupted (SIGINT or SIGTERM, as here); `--seconds N` also
//! ends it after N seconds.
//!
//! Also not in the C: a value without a `ttl` property is not ephemeral
//! (the C reads it with `sscanf` into an uninitialised variable), and the
//! expired values are collected first and deleted after the walk over the
//! store (the C deletes them from the hash table it is walking).
#![forbid(unsafe_code)]

use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use zmq::PollEvents;

#[path = "kvmsg.rs"]
mod kvmsg;
#[path = "zhelpers.rs"]
mod zhelpers;
use kvmsg::{kvmap_digest, Kvmap, Kvmsg};
use zhelpers::{s_bound, s_console, Args};

//  Our server is defined by these properties
struct Clonesrv {
    kvmap: Kvmap,           //  Key-value store
    sequence: i64,          //  How many updates we're at
    snapshot: zmq::Socket,  //  Handle snapshot requests
    publisher: zmq::Socket, //  Publish updates to clients
    collector: zmq::Socket, //  Collect updates from clients
}

/// Milliseconds since the epoch (CZMQ's `zclock_time`), the unit of the
/// stored expiry times.
fn zclock_time() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as i64)
}

fn main() -> zhelpers::Result {
    let args =
        Args::parse("clonesrv5 [SNAPSHOT] [PUBLISHER] [COLLECTOR] [--flush-ms MS] [--seconds N]")?
            .only(&["flush-ms", "seconds"])?;
    let flush_interval = Duration::from_millis(args.opt("flush-ms", 1000)?);
    let seconds: Option<u64> = args.opt_some("seconds")?;
    let end = seconds.map(|s| Instant::now() + Duration::from_secs(s));
    zmq::catch_interrupts()?;

    let ctx = zmq::Context::new()?;

    //  Set up our clone server sockets
    let snapshot = ctx.socket(zmq::ROUTER)?;
    let publisher = ctx.socket(zmq::PUB)?;
    let collector = ctx.socket(zmq::PULL)?;
    let endpoints = [
        (&snapshot, "tcp://127.0.0.1:5556"),
        (&publisher, "tcp://127.0.0.1:5557"),
        (&collector, "tcp://127.0.0.1:5558"),
    ];
    for (index, (socket, default)) in endpoints.into_iter().enumerate() {
        socket.set_linger(0)?; //  CZMQ's default
        socket.bind(&args.arg(index, default))?;
        s_bound(socket)?;
    }
    let mut self_ = Clonesrv {
        kvmap: Kvmap::new(),
        sequence: 0,
        snapshot,
        publisher,
        collector,
    };

    //  The reactor (the C's zloop): the snapshot and collector sockets, and
    //  the TTL flush timer, until the process is interrupted
    let mut flush_at = Instant::now() + flush_interval;
    while !zmq::interrupted() && !end.is_some_and(|end| Instant::now() >= end) {
        let mut items = [
            self_.snapshot.as_poll_item(PollEvents::POLLIN),
            self_.collector.as_poll_item(PollEvents::POLLIN),
        ];
        let mut wait = flush_at.saturating_duration_since(Instant::now());
        if let Some(end) = end {
            wait = wait.min(end.saturating_duration_since(Instant::now()));
        }
        match zmq::poll(&mut items, wait.as_micros().div_ceil(1000) as i64) {
            Err(zmq::Error::EINTR) => break, //  Interrupted
            other => other?,
        };
        let (snapshots, updates) = (items[0].is_readable(), items[1].is_readable());
        let result = (|| -> zmq::Result<()> {
            if snapshots {
                s_snapshots(&mut self_)?;
            }
            if updates {
                s_collector(&mut self_)?;
            }
            if Instant::now() >= flush_at {
                s_flush_ttl(&mut self_)?;
                flush_at = Instant::now() + flush_interval;
            }
            Ok(())
        })();
        match result {
            Err(zmq::Error::EINTR) => break,
            other => other?,
        }
    }
    Ok(())
}

//  We handle ICANHAZ? requests by sending snapshot data to the
//  client that requested it:

//  We call this for each key-value pair in our hash table: send it, after
//  the identity of the peer who requested state, if it is in the client's
//  subtree
fn s_send_single(
    kvmsg: &mut Kvmsg,
    socket: &zmq::Socket,
    identity: &[u8],
    subtree: &str,
) -> zmq::Result<()> {
    if kvmsg.key().starts_with(subtree) {
        socket.send(identity, zmq::SNDMORE)?; //  Choose recipient
        kvmsg.send(socket)?;
    }
    Ok(())
}

//  This is the reactor handler for the snapshot socket; it accepts
//  just the ICANHAZ? request and replies with a state snapshot ending
//  with a KTHXBAI message:
fn s_snapshots(self_: &mut Clonesrv) -> zmq::Result<()> {
    let mut msg = self_.snapshot.recv_multipart(zmq::RecvFlags::empty())?;
    if msg.len() < 2 {
        return Ok(());
    }
    let identity = msg.remove(0);
    //  Request is in second frame of message
    let request = msg.remove(0);
    let subtree = if request == b"ICANHAZ?" && !msg.is_empty() {
        Some(String::from_utf8_lossy(&msg.remove(0)).into_owned())
    } else {
        s_console(format_args!("E: bad request, aborting"));
        None
    };
    if let Some(subtree) = subtree {
        //  Send state socket to client
        for kvmsg in self_.kvmap.values_mut() {
            s_send_single(kvmsg, &self_.snapshot, &identity, &subtree)?;
        }

        //  Now send END message with sequence number
        s_console(format_args!(
            "I: sending snapshot={} {}",
            self_.sequence,
            kvmap_digest(&self_.kvmap, &subtree)
        ));
        self_.snapshot.send(&identity, zmq::SNDMORE)?;
        let mut kvmsg = Kvmsg::new(self_.sequence);
        kvmsg.set_key("KTHXBAI");
        kvmsg.set_body(b""); //  The C sends the subtree with a size of 0
        kvmsg.send(&self_.snapshot)?;
    }
    Ok(())
}

//  We store each update with a new sequence number, and if necessary, a
//  time-to-live. We publish updates immediately on our publisher socket:
fn s_collector(self_: &mut Clonesrv) -> zmq::Result<()> {
    if let Some(mut kvmsg) = Kvmsg::recv(&self_.collector)? {
        self_.sequence += 1;
        kvmsg.set_sequence(self_.sequence);
        kvmsg.send(&self_.publisher)?;
        let ttl: i64 = kvmsg.get_prop("ttl").parse().unwrap_or(0);
        if ttl != 0 {
            kvmsg.set_prop(
                "ttl",
                &zclock_time()
                    .saturating_add(ttl.saturating_mul(1000))
                    .to_string(),
            );
        }
        kvmsg.store(&mut self_.kvmap);
        s_console(format_args!("I: publishing update={}", self_.sequence));
    }
    Ok(())
}

//  At regular intervals we flush ephemeral values that have expired. This
//  could be slow on very large data sets:

//  If key-value pair has expired, delete it and publish the
//  fact to listening clients.
fn s_flush_ttl(self_: &mut Clonesrv) -> zmq::Result<()> {
    let now = zclock_time();
    let mut expired: Vec<String> = self_
        .kvmap
        .iter()
        .filter(|(_, kvmsg)| {
            let ttl: i64 = kvmsg.get_prop("ttl").parse().unwrap_or(0);
            ttl != 0 && now >= ttl
        })
        .map(|(key, _)| key.clone())
        .collect();
    expired.sort(); //  Publish the deletes in a stable order
    for key in expired {
        if let Some(mut kvmsg) = self_.kvmap.remove(&key) {
            self_.sequence += 1;
            kvmsg.set_sequence(self_.sequence);
            kvmsg.set_body(b"");
            kvmsg.send(&self_.publisher)?;
            kvmsg.store(&mut self_.kvmap);
            s_console(format_args!("I: publishing delete={}", self_.sequence));
        }
    }
    Ok(())
}
