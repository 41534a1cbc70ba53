//! Majordomo Protocol broker (zguide `mdbroker.c`): a minimal implementation
//! of MDP/Client and MDP/Worker (rfc.zeromq.org spec 7) and of the MMI service
//! discovery (spec 8). One `ROUTER` socket serves clients and workers; requests
//! are queued per service and dispatched to that service's idle workers;
//! workers are told apart by their routing id, heartbeated while idle, and
//! deleted when silent for `HEARTBEAT_LIVENESS` heartbeats. `mmi.service`
//! answers `200` when the service named in the request body has workers, `404`
//! otherwise; other `mmi.` services answer `501`.
//!
//! ```text
//! cargo run --example zguide_mdbroker -- [-v] [ENDPOINT] [--heartbeat-ms MS] [--liveness N] [--seconds S]
//! ```
//!
//! `-v` prints all activity (as in the C), such as
//! `I: registering new worker: <id>` and `I: deleting expired worker: <id>`
//! (ids in hex). `ENDPOINT` defaults to `tcp://127.0.0.1:5555` (the C binds
//! `tcp://*:5555`); `--heartbeat-ms` to the C's `HEARTBEAT_INTERVAL` of 2500
//! and `--liveness` to its `HEARTBEAT_LIVENESS` of 3 (a worker expires after
//! their product). The C runs until interrupted (so does this, on SIGINT or
//! SIGTERM); `--seconds S` stops it after S seconds.
//!
//! Two slips of the C are put right: the purge of expired workers moves on
//! through the waiting list (the C's `continue` never leaves the first live
//! worker), and the `mmi.` name reserved to the broker is checked on the
//! service a worker registers (the C looks at its address).
#![forbid(unsafe_code)]

use std::collections::{HashMap, VecDeque};
use std::time::{Duration, Instant};

mod mdp;
#[path = "zhelpers.rs"]
mod zhelpers;

use mdp::{
    mdps_command_name, MDPC_CLIENT, MDPW_DISCONNECT, MDPW_HEARTBEAT, MDPW_READY, MDPW_REPLY,
    MDPW_REQUEST, MDPW_WORKER,
};
use zhelpers::{s_bound, s_console, s_dump_msg, s_msg_unwrap, s_msg_wrap, s_strhex, Args};

//  We'd normally pull these from config data

const HEARTBEAT_LIVENESS: u32 = 3; //  3-5 is reasonable
const HEARTBEAT_INTERVAL: u64 = 2500; //  msecs

/// A multipart message, one `Vec<u8>` per frame (CZMQ's `zmsg_t`).
type Msg = Vec<Vec<u8>>;

//  This defines a single broker
struct Broker {
    socket: zmq::Socket,                //  Socket for clients & workers
    verbose: bool,                      //  Print activity to stdout
    services: HashMap<String, Service>, //  Hash of known services
    workers: HashMap<String, Worker>,   //  Hash of known workers
    waiting: Vec<String>,               //  List of waiting workers
    heartbeat_at: Instant,              //  When to send HEARTBEAT
    heartbeat_interval: Duration,       //  HEARTBEAT_INTERVAL
    heartbeat_expiry: Duration,         //  HEARTBEAT_EXPIRY
}

//  This defines a single service
#[allow(dead_code)] // name: the table's key, kept as in the C
struct Service {
    name: String,              //  Service name
    requests: VecDeque<Msg>,   //  List of client requests
    waiting: VecDeque<String>, //  List of waiting workers
    workers: usize,            //  How many workers we have
}

//  This defines one worker, idle or active
#[allow(dead_code)] // identity: the table's key, kept as in the C
struct Worker {
    identity: String,        //  Identity of worker (its address in hex)
    address: Vec<u8>,        //  Address frame to route to
    service: Option<String>, //  Owning service, if known
    expiry: Instant,         //  Expires at unless heartbeat
}

//  ---------------------------------------------------------------------
//  Main broker work happens here

fn main() -> zhelpers::Result {
    let args =
        Args::parse("mdbroker [-v] [ENDPOINT] [--heartbeat-ms MS] [--liveness N] [--seconds S]")?
            .only(&["heartbeat-ms", "liveness", "seconds"])?;
    let verbose = args.arg(0, "") == "-v";
    let endpoint = args.arg(usize::from(verbose), "tcp://127.0.0.1:5555");
    let heartbeat_ms: u64 = args.opt("heartbeat-ms", HEARTBEAT_INTERVAL)?;
    let liveness: u32 = args.opt("liveness", HEARTBEAT_LIVENESS)?;
    let seconds: Option<u64> = args.opt_some("seconds")?;
    let deadline = seconds.map(|s| Instant::now() + Duration::from_secs(s));
    zmq::catch_interrupts()?;

    let mut broker = s_broker_new(verbose, heartbeat_ms, liveness)?;
    s_broker_bind(&broker, &endpoint)?;

    //  Get and process messages forever or until interrupted
    loop {
        let mut timeout = broker.heartbeat_interval;
        if let Some(deadline) = deadline {
            timeout = timeout.min(deadline.saturating_duration_since(Instant::now()));
        }
        let mut items = [broker.socket.as_poll_item(zmq::PollEvents::POLLIN)];
        match zmq::poll(&mut items, timeout.as_millis() as i64) {
            Err(zmq::Error::EINTR) => break, //  Interrupted
            result => result?,
        };

        //  Process next input message, if any
        if items[0].is_readable() {
            let mut msg = match broker.socket.recv_multipart(zmq::RecvFlags::empty()) {
                Err(zmq::Error::EINTR) => break, //  Interrupted
                msg => msg?,
            };
            if broker.verbose {
                s_console(format_args!("I: received message:"));
                s_dump_msg(&msg);
            }
            if msg.len() < 3 {
                s_console(format_args!("E: invalid message:"));
                s_dump_msg(&msg);
            } else {
                let mut envelope = msg.drain(..3);
                let sender = envelope.next().unwrap_or_default();
                let _empty = envelope.next();
                let header = envelope.next().unwrap_or_default();
                drop(envelope);

                if header == MDPC_CLIENT.as_bytes() {
                    s_client_process(&mut broker, sender, msg)?;
                } else if header == MDPW_WORKER.as_bytes() {
                    s_worker_process(&mut broker, sender, msg)?;
                } else {
                    s_console(format_args!("E: invalid message:"));
                    s_dump_msg(&msg);
                }
            }
        }
        //  Disconnect and delete any expired workers
        //  Send heartbeats to idle workers if needed
        if Instant::now() > broker.heartbeat_at {
            s_broker_purge_workers(&mut broker)?;
            for worker in &broker.waiting {
                s_worker_send(&broker, worker, MDPW_HEARTBEAT, None, None)?;
            }
            broker.heartbeat_at = Instant::now() + broker.heartbeat_interval;
        }
        if deadline.is_some_and(|deadline| Instant::now() >= deadline) {
            break;
        }
    }
    if zmq::interrupted() {
        s_console(format_args!("W: interrupt received, shutting down..."));
    }
    //  s_broker_destroy: the socket, its context and every table drop here
    Ok(())
}

//  ---------------------------------------------------------------------
//  Constructor for broker object

fn s_broker_new(verbose: bool, heartbeat_ms: u64, liveness: u32) -> zmq::Result<Broker> {
    //  Initialize broker state
    let context = zmq::Context::new()?;
    let socket = context.socket(zmq::ROUTER)?;
    // CZMQ closes its sockets with a linger of 0.
    socket.set_linger(0)?;
    let heartbeat_interval = Duration::from_millis(heartbeat_ms);
    Ok(Broker {
        socket,
        verbose,
        services: HashMap::new(),
        workers: HashMap::new(),
        waiting: Vec::new(),
        heartbeat_at: Instant::now() + heartbeat_interval,
        heartbeat_interval,
        heartbeat_expiry: heartbeat_interval * liveness,
    })
}

//  ---------------------------------------------------------------------
//  Bind broker to endpoint, can call this multiple times
//  We use a single socket for both clients and workers.

fn s_broker_bind(broker: &Broker, endpoint: &str) -> zmq::Result<()> {
    broker.socket.bind(endpoint)?;
    s_bound(&broker.socket)?;
    let endpoint = broker.socket.get_last_endpoint()?;
    s_console(format_args!("I: MDP broker/0.1.1 is active at {endpoint}"));
    Ok(())
}

//  ---------------------------------------------------------------------
//  Delete any idle workers that haven't pinged us in a while.

fn s_broker_purge_workers(broker: &mut Broker) -> zmq::Result<()> {
    let now = Instant::now();
    let expired: Vec<String> = broker
        .waiting
        .iter()
        .filter(|identity| {
            broker
                .workers
                .get(*identity)
                .map_or(true, |w| now >= w.expiry)
        })
        .cloned()
        .collect();
    for identity in expired {
        if broker.verbose {
            s_console(format_args!("I: deleting expired worker: {identity}"));
        }
        s_worker_delete(broker, &identity, false)?;
    }
    Ok(())
}

//  ---------------------------------------------------------------------
//  Locate or create new service entry

fn s_service_require(broker: &mut Broker, service_frame: &[u8]) -> String {
    let name = String::from_utf8_lossy(service_frame).into_owned();
    if !broker.services.contains_key(&name) {
        if broker.verbose {
            s_console(format_args!("I: added service: {name}"));
        }
        broker.services.insert(
            name.clone(),
            Service {
                name: name.clone(),
                requests: VecDeque::new(),
                waiting: VecDeque::new(),
                workers: 0,
            },
        );
    }
    name
}

//  ---------------------------------------------------------------------
//  Dispatch requests to waiting workers as possible

fn s_service_dispatch(broker: &mut Broker, name: &str, msg: Option<Msg>) -> zmq::Result<()> {
    if let (Some(msg), Some(service)) = (msg, broker.services.get_mut(name)) {
        service.requests.push_back(msg); //  Queue message if any
    }

    s_broker_purge_workers(broker)?;
    while let Some(service) = broker.services.get_mut(name) {
        if service.waiting.is_empty() || service.requests.is_empty() {
            break;
        }
        let (Some(worker), Some(msg)) = (service.waiting.pop_front(), service.requests.pop_front())
        else {
            break;
        };
        broker.waiting.retain(|w| *w != worker);
        s_worker_send(broker, &worker, MDPW_REQUEST, None, Some(msg))?;
    }
    Ok(())
}

//  ---------------------------------------------------------------------
//  Handle internal service according to 8/MMI specification

fn s_service_internal(
    broker: &mut Broker,
    service_frame: Vec<u8>,
    mut msg: Msg,
) -> zmq::Result<()> {
    let return_code = if service_frame == b"mmi.service" {
        let name = String::from_utf8_lossy(msg.last().map_or(&[][..], |f| &f[..])).into_owned();
        let known = broker.services.get(&name).is_some_and(|s| s.workers > 0);
        if known {
            "200"
        } else {
            "404"
        }
    } else {
        "501"
    };
    if let Some(last) = msg.last_mut() {
        *last = return_code.into();
    }

    //  Remove & save client return envelope and insert the
    //  protocol header and service name, then rewrap envelope.
    let client = s_msg_unwrap(&mut msg).unwrap_or_default();
    msg.splice(0..0, [MDPC_CLIENT.into(), service_frame]);
    s_msg_wrap(&mut msg, client);
    broker.socket.send_multipart(&msg, zmq::SendFlags::empty())
}

//  ---------------------------------------------------------------------
//  Creates worker if necessary

fn s_worker_require(broker: &mut Broker, address: &[u8]) -> String {
    //  broker.workers is keyed off worker identity
    let identity = s_strhex(address);
    if !broker.workers.contains_key(&identity) {
        broker.workers.insert(
            identity.clone(),
            Worker {
                identity: identity.clone(),
                address: address.to_vec(),
                service: None,
                expiry: Instant::now() + broker.heartbeat_expiry,
            },
        );
        if broker.verbose {
            s_console(format_args!("I: registering new worker: {identity}"));
        }
    }
    identity
}

//  ---------------------------------------------------------------------
//  Deletes worker from all data structures, and destroys worker

fn s_worker_delete(broker: &mut Broker, identity: &str, disconnect: bool) -> zmq::Result<()> {
    if disconnect {
        s_worker_send(broker, identity, MDPW_DISCONNECT, None, None)?;
    }
    if let Some(worker) = broker.workers.remove(identity) {
        let service = worker
            .service
            .and_then(|name| broker.services.get_mut(&name));
        if let Some(service) = service {
            service.waiting.retain(|w| w != identity);
            service.workers = service.workers.saturating_sub(1);
        }
    }
    broker.waiting.retain(|w| w != identity);
    Ok(())
}

//  ---------------------------------------------------------------------
//  Process message sent to us by a worker

fn s_worker_process(broker: &mut Broker, sender: Vec<u8>, mut msg: Msg) -> zmq::Result<()> {
    if msg.is_empty() {
        //  At least, command
        s_console(format_args!("E: invalid input message"));
        return Ok(());
    }
    let command = msg.remove(0);
    let worker_ready = broker.workers.contains_key(&s_strhex(&sender));
    let identity = s_worker_require(broker, &sender);

    if command == MDPW_READY.as_bytes() {
        let reserved = msg
            .first()
            .map_or(true, |service| service.starts_with(b"mmi."));
        if worker_ready || reserved {
            //  Not first command in session, or a reserved (or no) service name
            s_worker_delete(broker, &identity, true)?;
        } else {
            //  Attach worker to service and mark as idle
            let service_frame = msg.remove(0);
            let name = s_service_require(broker, &service_frame);
            if let Some(service) = broker.services.get_mut(&name) {
                service.workers += 1;
            }
            if let Some(worker) = broker.workers.get_mut(&identity) {
                worker.service = Some(name);
            }
            s_worker_waiting(broker, &identity)?;
        }
    } else if command == MDPW_REPLY.as_bytes() {
        if worker_ready {
            //  Remove & save client return envelope and insert the
            //  protocol header and service name, then rewrap envelope.
            let client = s_msg_unwrap(&mut msg).unwrap_or_default();
            let service = broker
                .workers
                .get(&identity)
                .and_then(|w| w.service.clone())
                .unwrap_or_default();
            msg.splice(0..0, [MDPC_CLIENT.into(), service.into_bytes()]);
            s_msg_wrap(&mut msg, client);
            broker
                .socket
                .send_multipart(&msg, zmq::SendFlags::empty())?;
            s_worker_waiting(broker, &identity)?;
        } else {
            s_worker_delete(broker, &identity, true)?;
        }
    } else if command == MDPW_HEARTBEAT.as_bytes() {
        if worker_ready {
            let expiry = Instant::now() + broker.heartbeat_expiry;
            if let Some(worker) = broker.workers.get_mut(&identity) {
                worker.expiry = expiry;
            }
        } else {
            s_worker_delete(broker, &identity, true)?;
        }
    } else if command == MDPW_DISCONNECT.as_bytes() {
        s_worker_delete(broker, &identity, false)?;
    } else {
        s_console(format_args!("E: invalid input message"));
        s_dump_msg(&msg);
    }
    Ok(())
}

//  ---------------------------------------------------------------------
//  Send message to worker
//  If a message is provided, sends that message.

fn s_worker_send(
    broker: &Broker,
    identity: &str,
    command: &str,
    option: Option<&str>,
    msg: Option<Msg>,
) -> zmq::Result<()> {
    let Some(worker) = broker.workers.get(identity) else {
        return Ok(());
    };
    let mut msg = msg.unwrap_or_default();

    //  Stack protocol envelope to start of message
    if let Some(option) = option {
        msg.insert(0, option.into());
    }
    msg.splice(0..0, [MDPW_WORKER.into(), command.into()]);

    //  Stack routing envelope to start of message
    s_msg_wrap(&mut msg, worker.address.clone());

    if broker.verbose {
        s_console(format_args!(
            "I: sending {} to worker",
            mdps_command_name(command.as_bytes())
        ));
        s_dump_msg(&msg);
    }
    broker.socket.send_multipart(&msg, zmq::SendFlags::empty())
}

//  ---------------------------------------------------------------------
//  This worker is now waiting for work

fn s_worker_waiting(broker: &mut Broker, identity: &str) -> zmq::Result<()> {
    //  Queue to broker and service waiting lists
    let expiry = Instant::now() + broker.heartbeat_expiry;
    let Some(worker) = broker.workers.get_mut(identity) else {
        return Ok(());
    };
    worker.expiry = expiry;
    let Some(name) = worker.service.clone() else {
        return Ok(());
    };
    broker.waiting.push(identity.to_owned());
    if let Some(service) = broker.services.get_mut(&name) {
        service.waiting.push_back(identity.to_owned());
    }
    s_service_dispatch(broker, &name, None)
}

//  ---------------------------------------------------------------------
//  Process a request coming from a client

fn s_client_process(broker: &mut Broker, sender: Vec<u8>, mut msg: Msg) -> zmq::Result<()> {
    if msg.len() < 2 {
        //  Service name + body
        s_console(format_args!("E: invalid message:"));
        s_dump_msg(&msg);
        return Ok(());
    }
    let service_frame = msg.remove(0);
    let name = s_service_require(broker, &service_frame);

    //  Set reply return address to client sender
    s_msg_wrap(&mut msg, sender);
    if service_frame.starts_with(b"mmi.") {
        s_service_internal(broker, service_frame, msg)
    } else {
        s_service_dispatch(broker, &name, Some(msg))
    }
}
