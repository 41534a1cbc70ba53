//! Binary Star server (zguide `bstarsrv.c`), a proof-of-concept: a primary
//! and a backup server tell each other their state every heartbeat over
//! `PUB`/`SUB`, and a finite-state machine (`s_state_machine`) decides which
//! one is active and answers clients (by echoing their requests on a `ROUTER`
//! frontend). A passive server takes over when a client asks it and the peer
//! has been silent for two heartbeats; a server that restarts becomes passive
//! when its peer is already active.
//!
//! ```text
//! cargo run --example zguide_bstarsrv -- { -p | -b } [--frontend EP] [--statepub EP]
//!     [--statesub EP] [--heartbeat-ms MS] [--seconds N]
//! ```
//!
//! `-p` is the primary, `-b` the backup. The C binds fixed ports: the primary
//! its frontend on 5001 and its state publisher on 5003 and subscribes to
//! 5004; the backup binds 5002 and 5004 and subscribes to 5003. Those (on
//! `127.0.0.1`) are the defaults here; `--frontend`, `--statepub` (both
//! bound, each printed as `Bound to <endpoint>`, frontend first) and
//! `--statesub` (connected: the peer's state publisher) choose others. The
//! two servers must know each other's publisher, so a test picks free ports
//! for them first; the frontend may be `tcp://127.0.0.1:*`. A restarted
//! server binds the same ports again. `--heartbeat-ms` defaults to the C's
//! `HEARTBEAT` (1000) and must be the same on both. The C runs until
//! interrupted (SIGINT or SIGTERM, which print `W: interrupted`) or until the
//! state machine finds a fatal error (dual actives or dual passives);
//! `--seconds N` also ends it after N seconds. The state changes print the C's
//! lines (`I: connected to backup (passive), ready active`, `I: failover
//! successful, ready active`, …). Without `-p` or `-b` it prints the usage
//! and exits, as the C does.
#![forbid(unsafe_code)]

use std::time::{Duration, Instant};

use zmq::PollEvents;

#[path = "zhelpers.rs"]
mod zhelpers;
use zhelpers::{s_bound, s_console, s_recv, s_send, Args};

//  States we can be in at any point in time
type State = i32;
const STATE_PRIMARY: State = 1; //  Primary, waiting for peer to connect
const STATE_BACKUP: State = 2; //  Backup, waiting for peer to connect
const STATE_ACTIVE: State = 3; //  Active - accepting connections
const STATE_PASSIVE: State = 4; //  Passive - not accepting connections

//  Events, which start with the states our peer can be in
type Event = i32;
const PEER_PRIMARY: Event = 1; //  HA peer is pending primary
const PEER_BACKUP: Event = 2; //  HA peer is pending backup
const PEER_ACTIVE: Event = 3; //  HA peer is active
const PEER_PASSIVE: Event = 4; //  HA peer is passive
const CLIENT_REQUEST: Event = 5; //  Client makes request

//  Our finite state machine
struct Bstar {
    state: State,                 //  Current state
    event: Event,                 //  Current event
    peer_expiry: Option<Instant>, //  When peer is considered 'dead'
}

//  We send state information this often
//  If peer doesn't respond in two heartbeats, it is 'dead'
const HEARTBEAT: u64 = 1000; //  In msecs

//  The finite-state machine: one event at a time is applied to the current
//  state, which may change the state or reject the event.

/// Applies `fsm.event` to `fsm.state`; returns true if there was an
/// exception (the event is rejected).
fn s_state_machine(fsm: &mut Bstar) -> bool {
    let mut exception = false;

    //  These are the PRIMARY and BACKUP states; we're waiting to become
    //  ACTIVE or PASSIVE depending on events we get from our peer:
    if fsm.state == STATE_PRIMARY {
        if fsm.event == PEER_BACKUP {
            s_console(format_args!(
                "I: connected to backup (passive), ready active"
            ));
            fsm.state = STATE_ACTIVE;
        } else if fsm.event == PEER_ACTIVE {
            s_console(format_args!(
                "I: connected to backup (active), ready passive"
            ));
            fsm.state = STATE_PASSIVE;
        }
        //  Accept client connections
    } else if fsm.state == STATE_BACKUP {
        if fsm.event == PEER_ACTIVE {
            s_console(format_args!(
                "I: connected to primary (active), ready passive"
            ));
            fsm.state = STATE_PASSIVE;
        } else if fsm.event == CLIENT_REQUEST {
            //  Reject client connections when acting as backup
            exception = true;
        }
    }
    //  Server is active
    else if fsm.state == STATE_ACTIVE {
        if fsm.event == PEER_ACTIVE {
            //  Two actives would mean split-brain
            s_console(format_args!("E: fatal error - dual actives, aborting"));
            exception = true;
        }
    }
    //  Server is passive
    //  CLIENT_REQUEST events can trigger failover if peer looks dead
    else if fsm.state == STATE_PASSIVE {
        if fsm.event == PEER_PRIMARY {
            //  Peer is restarting - become active, peer will go passive
            s_console(format_args!(
                "I: primary (passive) is restarting, ready active"
            ));
            fsm.state = STATE_ACTIVE;
        } else if fsm.event == PEER_BACKUP {
            //  Peer is restarting - become active, peer will go passive
            s_console(format_args!(
                "I: backup (passive) is restarting, ready active"
            ));
            fsm.state = STATE_ACTIVE;
        } else if fsm.event == PEER_PASSIVE {
            //  Two passives would mean cluster would be non-responsive
            s_console(format_args!("E: fatal error - dual passives, aborting"));
            exception = true;
        } else if fsm.event == CLIENT_REQUEST {
            //  Peer becomes active if timeout has passed
            //  It's the client request that triggers the failover
            //  (a passive server has heard its peer, so the expiry is set)
            if fsm
                .peer_expiry
                .is_some_and(|expiry| Instant::now() >= expiry)
            {
                //  If peer is dead, switch to the active state
                s_console(format_args!("I: failover successful, ready active"));
                fsm.state = STATE_ACTIVE;
            } else {
                //  If peer is alive, reject connections
                exception = true;
            }
        }
    }
    exception
}

//  Three sockets: state out (PUB), the peer's state in (SUB), and the
//  clients' requests (ROUTER).

fn main() -> zhelpers::Result {
    const USAGE: &str = "bstarsrv { -p | -b } [--frontend EP] [--statepub EP] [--statesub EP] \
                         [--heartbeat-ms MS] [--seconds N]";
    let args = Args::parse(USAGE)?.only(&[
        "frontend",
        "statepub",
        "statesub",
        "heartbeat-ms",
        "seconds",
    ])?;
    let heartbeat = Duration::from_millis(args.opt("heartbeat-ms", HEARTBEAT)?);
    let seconds: Option<u64> = args.opt_some("seconds")?;
    let ep = |port: u16| format!("tcp://127.0.0.1:{port}");
    zmq::catch_interrupts()?;

    //  Arguments can be either of:
    //      -p  primary server, at tcp://localhost:5001
    //      -b  backup server, at tcp://localhost:5002
    let ctx = zmq::Context::new()?;
    let statepub = ctx.socket(zmq::PUB)?;
    let statesub = ctx.socket(zmq::SUB)?;
    statesub.set_subscribe(b"")?;
    let frontend = ctx.socket(zmq::ROUTER)?;
    for socket in [&statepub, &statesub, &frontend] {
        socket.set_linger(0)?; //  CZMQ's default
    }
    let mut fsm = Bstar {
        state: 0,
        event: 0,
        peer_expiry: None,
    };

    let (frontend_ep, statepub_ep, statesub_ep) = match args.arg(0, "").as_str() {
        "-p" if args.arg(1, "").is_empty() => {
            s_console(format_args!(
                "I: Primary active, waiting for backup (passive)"
            ));
            fsm.state = STATE_PRIMARY;
            (ep(5001), ep(5003), ep(5004))
        }
        "-b" if args.arg(1, "").is_empty() => {
            s_console(format_args!(
                "I: Backup passive, waiting for primary (active)"
            ));
            fsm.state = STATE_BACKUP;
            (ep(5002), ep(5004), ep(5003))
        }
        _ => {
            s_console(format_args!("Usage: bstarsrv {{ -p | -b }}"));
            return Ok(());
        }
    };
    frontend.bind(&args.opt("frontend", frontend_ep)?)?;
    s_bound(&frontend)?;
    statepub.bind(&args.opt("statepub", statepub_ep)?)?;
    s_bound(&statepub)?;
    statesub.connect(&args.opt("statesub", statesub_ep)?)?;

    //  Every input is an event for the state machine; the "work" for a
    //  client is to echo its request.

    //  Set timer for next outgoing state message
    let mut send_state_at = Instant::now() + heartbeat;
    let end = seconds.map(|s| Instant::now() + Duration::from_secs(s));
    while !zmq::interrupted() && !end.is_some_and(|end| Instant::now() >= end) {
        let mut items = [
            frontend.as_poll_item(PollEvents::POLLIN),
            statesub.as_poll_item(PollEvents::POLLIN),
        ];
        let time_left = send_state_at.saturating_duration_since(Instant::now());
        match zmq::poll(&mut items, time_left.as_micros().div_ceil(1000) as i64) {
            Err(zmq::Error::EINTR) => break, //  Interrupted
            other => other?,
        };
        let (request, state) = (items[0].is_readable(), items[1].is_readable());

        if request {
            //  Have a client request
            let msg = frontend.recv_multipart(zmq::RecvFlags::empty())?;
            fsm.event = CLIENT_REQUEST;
            if !s_state_machine(&mut fsm) {
                //  Answer client by echoing request back
                frontend.send_multipart(msg, zmq::SendFlags::empty())?;
            }
        }
        if state {
            //  Have state from our peer, execute as event
            let message = s_recv(&statesub)?;
            fsm.event = message.trim().parse().unwrap_or(0);
            if s_state_machine(&mut fsm) {
                break; //  Error, so exit
            }
            fsm.peer_expiry = Some(Instant::now() + 2 * heartbeat);
        }
        //  If we timed out, send state to peer
        if Instant::now() >= send_state_at {
            s_send(&statepub, &fsm.state.to_string())?;
            send_state_at = Instant::now() + heartbeat;
        }
    }
    if zmq::interrupted() {
        s_console(format_args!("W: interrupted"));
    }

    //  Shutdown sockets and context
    // (they close themselves when dropped)
    Ok(())
}
