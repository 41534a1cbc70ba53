//! Clone server, model six (zguide `clonesrv6.c`): the model five server
//! (`clonesrv5`: snapshots, collected updates numbered and published,
//! ephemeral values) made reliable as a Binary Star pair on the `bstar`
//! reactor. The snapshot socket is the reactor's voter: a client's snapshot
//! request makes the server that answers it the active one. The active
//! server applies the clients' updates and publishes them with `HUGZ`
//! heartbeats; the passive one follows the active's publisher (after asking
//! it for a snapshot) and keeps the clients' updates it has not yet seen
//! published on a pending list, matched by UUID, which it applies and
//! publishes if it takes over.
//!
//! ```text
//! cargo run --example zguide_clonesrv6 -- { -p | -b } [--frontend EP] [--publisher EP]
//!     [--collector EP] [--statepub EP] [--statesub EP] [--peer-frontend EP]
//!     [--peer-publisher EP] [--heartbeat-ms MS] [--hugz-ms MS] [--flush-ms MS]
//!     [--seconds N]
//! ```
//!
//! `-p` is the primary, `-b` the backup. The C's ports: the primary binds its
//! snapshot frontend on 5556, publisher on 5557 and collector on 5558 and its
//! Binary Star state publisher on 5003, and connects to the backup's 5004
//! (state), 5566 (snapshot) and 5567 (updates); the backup binds 5566, 5567,
//! 5568 and 5004 and connects to 5003, 5556 and 5557. Those on `127.0.0.1`
//! are the defaults; each endpoint is its own option (the bound ones print
//! `Bound to <endpoint>`: state publisher, frontend, publisher, collector).
//! The peers' endpoints must be known before they start, so a test picks free
//! ports for the frontends, publishers and state publishers. `--heartbeat-ms`
//! is the Binary Star heartbeat (1000, the same on both), `--hugz-ms` the
//! clients' heartbeat and `--flush-ms` the TTL flush interval (the C's 1000
//! each). The C runs until interrupted (SIGINT or SIGTERM, as here) or a
//! fatal Binary Star error; `--seconds N` also ends it after N seconds.
//!
//! It prints the C's lines (`I: publishing update=N`, `I: publishing
//! pending=N`, `I: publishing delete=N`, `I: received update=N`, `I: asking
//! for snapshot from: <endpoint>`, `I: received snapshot=N`, `I: sending
//! snapshot=N`, the C's "shapshot" corrected) and the reactor's state
//! changes; not in the C, each line that changes the store ends with the
//! store's digest (`keys=K checksum=C`, see `kvmsg`).
//!
//! Not in the C, for a pair that stays consistent:
//! * The `ttl` of an update arrives in seconds; the C turns it into an
//!   expiry time only in the active's collector, so the passive stored the
//!   active's updates (and, on taking over, its pending ones) with a ttl in
//!   seconds, which its flush timer read as a time long past: it deleted
//!   them at once, publishing deletes and advancing its sequence number
//!   past the active's, after which it ignored the active's updates. Here
//!   both convert it, and only the active flushes expired values (the
//!   passive applies the active's deletes).
//! * The passive's snapshot request waits at most two heartbeats (the C
//!   waits forever), then is tried again with the next update.
//! * A server that becomes active without a store (a backup that never got
//!   a snapshot) starts with an empty one (the C would crash).
#![forbid(unsafe_code)]

use std::rc::Rc;
use std::time::{SystemTime, UNIX_EPOCH};

#[path = "bstar.rs"]
mod bstar;
#[path = "kvmsg.rs"]
mod kvmsg;
#[path = "zhelpers.rs"]
mod zhelpers;
use bstar::{Bstar, Zloop, BSTAR_BACKUP, BSTAR_PRIMARY};
use kvmsg::{kvmap_digest, Kvmap, Kvmsg};
use zhelpers::{s_bound, s_console, Args};

//  Our server is defined by these properties
struct Clonesrv {
    ctx: zmq::Context,           //  Context wrapper
    kvmap: Option<Kvmap>,        //  Key-value store
    sequence: i64,               //  How many updates we're at
    peer: String,                //  Snapshot endpoint of our peer
    publisher: zmq::Socket,      //  Publish updates and hugz
    collector: Rc<zmq::Socket>,  //  Collect updates from clients
    subscriber: Rc<zmq::Socket>, //  Get updates from peer
    pending: Vec<Kvmsg>,         //  Pending updates from clients
    #[allow(dead_code)] // as in the C, set and never read
    primary: bool, //  TRUE if we're primary
    active: bool,                //  TRUE if we're active
    #[allow(dead_code)] // as in the C, set and never read
    passive: bool, //  TRUE if we're passive
    snapshot_timeout: i32,       //  How long the passive waits (ms)
}

/// Milliseconds since the epoch (CZMQ's `zclock_time`).
fn zclock_time() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as i64)
}

/// The store's digest, for the lines that change it.
fn digest(self_: &Clonesrv) -> String {
    self_
        .kvmap
        .as_ref()
        .map_or_else(|| "keys=0".to_owned(), |kvmap| kvmap_digest(kvmap, ""))
}

//  The --seconds timer (not in the C)
fn s_time_up(
    zloop: &mut Zloop<Clonesrv>,
    _: Option<&zmq::Socket>,
    _: &mut Clonesrv,
) -> zmq::Result<()> {
    zloop.stop();
    Ok(())
}

//  The main task parses the command line to decide whether to start
//  as a primary or backup server. We're using the Binary Star pattern
//  for reliability. This interconnects the two servers so they can
//  agree on which one is primary and which one is backup. To allow the
//  two servers to run on the same box, we use different ports for
//  primary and backup.

fn main() -> zhelpers::Result {
    const USAGE: &str = "clonesrv6 { -p | -b } [--frontend EP] [--publisher EP] [--collector EP] \
                         [--statepub EP] [--statesub EP] [--peer-frontend EP] \
                         [--peer-publisher EP] [--heartbeat-ms MS] [--hugz-ms MS] \
                         [--flush-ms MS] [--seconds N]";
    let args = Args::parse(USAGE)?.only(&[
        "frontend",
        "publisher",
        "collector",
        "statepub",
        "statesub",
        "peer-frontend",
        "peer-publisher",
        "heartbeat-ms",
        "hugz-ms",
        "flush-ms",
        "seconds",
    ])?;
    let heartbeat: u64 = args.opt("heartbeat-ms", 1000)?;
    let hugz: u64 = args.opt("hugz-ms", 1000)?;
    let flush: u64 = args.opt("flush-ms", 1000)?;
    let seconds: Option<u64> = args.opt_some("seconds")?;
    let ep = |port: u16| format!("tcp://127.0.0.1:{port}");
    zmq::catch_interrupts()?;

    let (primary, port, peer, statepub, statesub) = match args.arg(0, "").as_str() {
        "-p" if args.arg(1, "").is_empty() => {
            s_console(format_args!(
                "I: primary active, waiting for backup (passive)"
            ));
            (true, 5556, 5566, 5003, 5004)
        }
        "-b" if args.arg(1, "").is_empty() => {
            s_console(format_args!(
                "I: backup passive, waiting for primary (active)"
            ));
            (false, 5566, 5556, 5004, 5003)
        }
        _ => {
            s_console(format_args!("Usage: clonesrv6 {{ -p | -b }}"));
            return Ok(());
        }
    };
    let mut bstar: Bstar<Clonesrv> = Bstar::new(
        if primary { BSTAR_PRIMARY } else { BSTAR_BACKUP },
        &args.opt("statepub", ep(statepub))?,
        &args.opt("statesub", ep(statesub))?,
    )?;
    bstar.voter(&args.opt("frontend", ep(port))?, zmq::ROUTER, s_snapshots)?;
    bstar.set_heartbeat(heartbeat);

    let ctx = zmq::Context::new()?;

    //  Set up our clone server sockets
    let publisher = ctx.socket(zmq::PUB)?;
    let collector = ctx.socket(zmq::SUB)?;
    collector.set_subscribe(b"")?;
    publisher.set_linger(0)?;
    collector.set_linger(0)?;
    publisher.bind(&args.opt("publisher", ep(port + 1))?)?;
    s_bound(&publisher)?;
    collector.bind(&args.opt("collector", ep(port + 2))?)?;
    s_bound(&collector)?;

    //  Set up our own clone client interface to peer
    let subscriber = ctx.socket(zmq::SUB)?;
    subscriber.set_linger(0)?;
    subscriber.set_subscribe(b"")?;
    subscriber.connect(&args.opt("peer-publisher", ep(peer + 1))?)?;

    let mut self_ = Clonesrv {
        ctx,
        //  Primary server will become first active
        kvmap: primary.then(Kvmap::new),
        sequence: 0,
        peer: args.opt("peer-frontend", ep(peer))?,
        publisher,
        collector: Rc::new(collector),
        subscriber: Rc::new(subscriber),
        pending: Vec::new(),
        primary,
        active: false,
        passive: false,
        snapshot_timeout: i32::try_from(2 * heartbeat).unwrap_or(i32::MAX),
    };

    //  After we've set up our sockets, we register our binary star
    //  event handlers, and then start the bstar reactor. This finishes
    //  when the user presses Ctrl-C or when the process receives a SIGINT
    //  interrupt:

    //  Register state change handlers
    bstar.new_active(s_new_active);
    bstar.new_passive(s_new_passive);

    //  Register our other handlers with the bstar reactor
    let zloop = bstar.zloop();
    zloop.poller(&self_.collector, s_collector);
    zloop.timer(flush, 0, s_flush_ttl);
    zloop.timer(hugz, 0, s_send_hugz);
    if let Some(seconds) = seconds {
        zloop.timer(seconds * 1000, 1, s_time_up);
    }

    //  Start the bstar reactor
    bstar.start(&mut self_)?;

    //  Interrupted, so shut down
    if zmq::interrupted() {
        s_console(format_args!("W: interrupted"));
    }
    Ok(())
}

//  We handle ICANHAZ? requests exactly as in the clonesrv5 example.

//  Send one state snapshot key-value pair to a socket
//  Hash item data is our kvmsg object, ready to send
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

fn s_snapshots(
    _loop: &mut Zloop<Clonesrv>,
    socket: Option<&zmq::Socket>,
    self_: &mut Clonesrv,
) -> zmq::Result<()> {
    let Some(socket) = socket else { return Ok(()) };
    let mut msg = socket.recv_multipart(zmq::RecvFlags::empty())?;
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
        let kvmap = self_.kvmap.get_or_insert_with(Kvmap::new);
        for kvmsg in kvmap.values_mut() {
            s_send_single(kvmsg, socket, &identity, &subtree)?;
        }

        //  Now send END message with sequence number
        s_console(format_args!(
            "I: sending snapshot={} {}",
            self_.sequence,
            kvmap_digest(kvmap, &subtree)
        ));
        socket.send(&identity, zmq::SNDMORE)?;
        let mut kvmsg = Kvmsg::new(self_.sequence);
        kvmsg.set_key("KTHXBAI");
        kvmsg.set_body(b"");
        kvmsg.send(socket)?;
    }
    Ok(())
}

//  The collector is more complex than in the clonesrv5 example because the
//  way it processes updates depends on whether we're active or passive.
//  The active applies them immediately to its kvmap, whereas the passive
//  queues them as pending:

//  If message was already on pending list, remove it and return TRUE,
//  else return FALSE.
fn s_was_pending(self_: &mut Clonesrv, kvmsg: &Kvmsg) -> bool {
    let uuid = kvmsg.uuid();
    match self_
        .pending
        .iter()
        .position(|held| uuid.is_some() && held.uuid() == uuid)
    {
        Some(index) => {
            self_.pending.remove(index);
            true
        }
        None => false,
    }
}

/// Turns a `ttl` property in seconds into an expiry time (in the C, only the
/// active's collector does).
fn s_expiry(kvmsg: &mut Kvmsg) {
    let ttl: i64 = kvmsg.get_prop("ttl").parse().unwrap_or(0);
    if ttl != 0 {
        kvmsg.set_prop(
            "ttl",
            &zclock_time()
                .saturating_add(ttl.saturating_mul(1000))
                .to_string(),
        );
    }
}

fn s_collector(
    _loop: &mut Zloop<Clonesrv>,
    socket: Option<&zmq::Socket>,
    self_: &mut Clonesrv,
) -> zmq::Result<()> {
    let Some(socket) = socket else { return Ok(()) };
    if let Some(mut kvmsg) = Kvmsg::recv(socket)? {
        if self_.active {
            self_.sequence += 1;
            kvmsg.set_sequence(self_.sequence);
            kvmsg.send(&self_.publisher)?;
            s_expiry(&mut kvmsg);
            kvmsg.store(self_.kvmap.get_or_insert_with(Kvmap::new));
            s_console(format_args!(
                "I: publishing update={} {}",
                self_.sequence,
                digest(self_)
            ));
        } else {
            //  If we already got message from active, drop it, else
            //  hold on pending list
            if !s_was_pending(self_, &kvmsg) {
                self_.pending.push(kvmsg);
            }
        }
    }
    Ok(())
}

//  We purge ephemeral values using exactly the same code as in
//  the previous clonesrv5 example (on the active only, see above).

//  If key-value pair has expired, delete it and publish the
//  fact to listening clients.
fn s_flush_ttl(
    _loop: &mut Zloop<Clonesrv>,
    _socket: Option<&zmq::Socket>,
    self_: &mut Clonesrv,
) -> zmq::Result<()> {
    if !self_.active {
        return Ok(());
    }
    let Some(kvmap) = self_.kvmap.as_mut() else {
        return Ok(());
    };
    let now = zclock_time();
    let mut expired: Vec<String> = kvmap
        .iter()
        .filter(|(_, kvmsg)| {
            let ttl: i64 = kvmsg.get_prop("ttl").parse().unwrap_or(0);
            ttl != 0 && now >= ttl
        })
        .map(|(key, _)| key.clone())
        .collect();
    expired.sort(); //  Publish the deletes in a stable order
    for key in expired {
        if let Some(mut kvmsg) = kvmap.remove(&key) {
            self_.sequence += 1;
            kvmsg.set_sequence(self_.sequence);
            kvmsg.set_body(b"");
            kvmsg.send(&self_.publisher)?;
            kvmsg.store(kvmap);
            s_console(format_args!(
                "I: publishing delete={} {}",
                self_.sequence,
                kvmap_digest(kvmap, "")
            ));
        }
    }
    Ok(())
}

//  We send a HUGZ message once a second to all subscribers so that they
//  can detect if our server dies. They'll then switch over to the backup
//  server, which will become active:
fn s_send_hugz(
    _loop: &mut Zloop<Clonesrv>,
    _socket: Option<&zmq::Socket>,
    self_: &mut Clonesrv,
) -> zmq::Result<()> {
    let mut kvmsg = Kvmsg::new(self_.sequence);
    kvmsg.set_key("HUGZ");
    kvmsg.set_body(b"");
    kvmsg.send(&self_.publisher)
}

//  When we switch from passive to active, we apply our pending list so that
//  our kvmap is up-to-date. When we switch to passive, we wipe our kvmap
//  and grab a new snapshot from the active server:
fn s_new_active(
    zloop: &mut Zloop<Clonesrv>,
    _unused: Option<&zmq::Socket>,
    self_: &mut Clonesrv,
) -> zmq::Result<()> {
    self_.active = true;
    self_.passive = false;

    //  Stop subscribing to updates
    zloop.poller_end(&self_.subscriber);

    //  Apply pending list to own hash table
    for mut kvmsg in std::mem::take(&mut self_.pending) {
        self_.sequence += 1;
        kvmsg.set_sequence(self_.sequence);
        kvmsg.send(&self_.publisher)?;
        s_expiry(&mut kvmsg);
        kvmsg.store(self_.kvmap.get_or_insert_with(Kvmap::new));
        s_console(format_args!(
            "I: publishing pending={} {}",
            self_.sequence,
            digest(self_)
        ));
    }
    Ok(())
}

fn s_new_passive(
    zloop: &mut Zloop<Clonesrv>,
    _unused: Option<&zmq::Socket>,
    self_: &mut Clonesrv,
) -> zmq::Result<()> {
    self_.kvmap = None;
    self_.active = false;
    self_.passive = true;

    //  Start subscribing to updates
    zloop.poller(&self_.subscriber, s_subscriber);
    Ok(())
}

//  When we get an update, we create a new kvmap if necessary, and then
//  add our update to our kvmap. We're always passive in this case:
fn s_subscriber(
    _loop: &mut Zloop<Clonesrv>,
    socket: Option<&zmq::Socket>,
    self_: &mut Clonesrv,
) -> zmq::Result<()> {
    let Some(socket) = socket else { return Ok(()) };
    //  Get state snapshot if necessary
    if self_.kvmap.is_none() {
        let mut kvmap = Kvmap::new();
        let snapshot = self_.ctx.socket(zmq::DEALER)?;
        snapshot.set_linger(0)?;
        snapshot.set_rcvtimeo(self_.snapshot_timeout)?; //  Not in the C
        snapshot.connect(&self_.peer)?;
        s_console(format_args!("I: asking for snapshot from: {}", self_.peer));
        snapshot.send("ICANHAZ?", zmq::SNDMORE)?;
        snapshot.send("", zmq::SendFlags::empty())?; // blank subtree to get all
        let mut sequence = None;
        loop {
            let kvmsg = match Kvmsg::recv(&snapshot) {
                Err(zmq::Error::EAGAIN) => break, //  No answer in time
                other => other?,
            };
            let Some(kvmsg) = kvmsg else { continue };
            if kvmsg.key() == "KTHXBAI" {
                sequence = Some(kvmsg.sequence());
                break; //  Done
            }
            kvmsg.store(&mut kvmap);
        }
        match sequence {
            Some(sequence) => {
                self_.sequence = sequence;
                self_.kvmap = Some(kvmap);
                s_console(format_args!(
                    "I: received snapshot={} {}",
                    self_.sequence,
                    digest(self_)
                ));
            }
            None => s_console(format_args!("W: no snapshot from {}", self_.peer)),
        }
    }
    //  Find and remove update off pending list
    let Some(mut kvmsg) = Kvmsg::recv(socket)? else {
        return Ok(());
    };
    if kvmsg.key() != "HUGZ" {
        if !s_was_pending(self_, &kvmsg) {
            //  If active update came before client update, flip it
            //  around, store active update (with sequence) on pending
            //  list and use to clear client update when it comes later
            self_.pending.push(kvmsg.clone());
        }
        //  If update is more recent than our kvmap, apply it
        if let Some(kvmap) = self_.kvmap.as_mut() {
            if kvmsg.sequence() > self_.sequence {
                self_.sequence = kvmsg.sequence();
                s_expiry(&mut kvmsg);
                kvmsg.store(kvmap);
                s_console(format_args!(
                    "I: received update={} {}",
                    self_.sequence,
                    digest(self_)
                ));
            }
        }
    }
    Ok(())
}
