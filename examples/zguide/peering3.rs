//! Broker peering simulation, part 3 (zguide `peering3.c`): prototypes the
//! full flow of status and tasks. Each broker has local clients and workers
//! (threads with contexts of their own, as if they were separate processes),
//! a cloud frontend and backend to and from its peers (as in `peering2`), a
//! state backend (`PUB`) that broadcasts its number of free workers whenever
//! it changes and a state frontend (`SUB`) that collects the peers' numbers,
//! and a monitor (`PULL`) where the clients push printable news. A request
//! goes to a local worker if one is free, else to a random peer if any peer
//! said it had free workers. Clients send bursts of requests with random hex
//! task ids and check that each reply is their id, then sleep a random while;
//! they complain on the monitor (`E: CLIENT EXIT - lost task <id>`) and stop
//! when a reply takes more than ten seconds. Workers take 0 or 1 second.
//!
//! ```text
//! cargo run --example zguide_peering3 -- ME [YOU...] [--dir DIR] [--workers N] [--clients N] [--bursts N] [--delay-ms MS] [--seconds S]
//! ```
//!
//! `ME` is this broker's name, each `YOU` a peer's. The endpoints are
//! `ipc://DIR/<name>-localfe.ipc`, `-localbe.ipc`, `-cloud.ipc`, `-state.ipc`
//! and `-monitor.ipc` (the C's `ipc://<name>-localfe.ipc` ...), `DIR` being the
//! system's temporary directory unless `--dir` says otherwise. `--workers`
//! and `--clients` default to the C's `NBR_WORKERS` 5 and `NBR_CLIENTS` 10.
//! The broker prints every monitor message: a task id per answered request,
//! as the C does.
//!
//! Not in the C, so that it can end by itself: each client stops after
//! `--bursts N` bursts (by default it goes on forever, as in the C) and says so
//! on the monitor with `I: client done, <n> tasks answered`; once every client
//! has stopped (or been lost) the broker prints `I: all clients done` and goes
//! on serving its peers. It stops after `--seconds S` or on SIGINT or SIGTERM.
//! `--delay-ms` waits that long before starting the clients (by default 0),
//! so that brokers started together are connected before the first request.
#![forbid(unsafe_code)]

use std::collections::VecDeque;
use std::time::{Duration, Instant};

#[path = "zhelpers.rs"]
mod zhelpers;

use zhelpers::{randof, s_console, s_msg_unwrap, s_msg_wrap, s_recv, s_sleep, Args, ThreadResult};

const NBR_CLIENTS: usize = 10;
const NBR_WORKERS: usize = 5;
const WORKER_READY: &[u8] = b"\x01"; //  Signals worker is ready

/// `ipc://<dir>/<name>-<what>.ipc`, the C's `ipc://<name>-<what>.ipc`.
fn endpoint(dir: &str, name: &str, what: &str) -> String {
    format!("ipc://{dir}/{name}-{what}.ipc")
}

//  This is the client task. It issues a burst of requests and then
//  sleeps for a few seconds. This simulates sporadic activity; when
//  a number of clients are active at once, the local workers should
//  be overloaded. The client uses a REQ socket for requests and also
//  pushes statistics to the monitor socket:

fn client_task(localfe: String, monitor_endpoint: String, bursts: Option<u64>) -> ThreadResult {
    let context = zmq::Context::new()?;
    let client = context.socket(zmq::REQ)?;
    client.set_linger(0)?;
    client.connect(&localfe)?;
    let monitor = context.socket(zmq::PUSH)?;
    // Not a linger of 0: the last news must reach the broker.
    monitor.connect(&monitor_endpoint)?;

    let mut answered = 0;
    let mut done = 0;
    while bursts.map_or(true, |n| done < n) {
        done += 1;
        s_sleep(u64::from(randof(5)) * 1000);
        let burst = randof(15);
        for _ in 0..burst {
            let task_id = format!("{:04X}", randof(0x10000));

            //  Send request with random hex ID
            client.send(&task_id, zmq::SendFlags::empty())?;

            //  Wait max ten seconds for a reply, then complain
            let mut pollset = [client.as_poll_item(zmq::PollEvents::POLLIN)];
            match zmq::poll(&mut pollset, 10 * 1000) {
                Err(zmq::Error::EINTR) => return Ok(()), //  Interrupted
                result => result?,
            };

            if pollset[0].is_readable() {
                let reply = match s_recv(&client) {
                    Err(zmq::Error::EINTR) => return Ok(()), //  Interrupted
                    reply => reply?,
                };
                //  Worker is supposed to answer us with our task id
                if reply != task_id {
                    monitor.send(
                        format!("E: CLIENT EXIT - task {task_id} answered with {reply}"),
                        zmq::SendFlags::empty(),
                    )?;
                    return Ok(());
                }
                monitor.send(&reply, zmq::SendFlags::empty())?;
                answered += 1;
            } else {
                monitor.send(
                    format!("E: CLIENT EXIT - lost task {task_id}"),
                    zmq::SendFlags::empty(),
                )?;
                return Ok(());
            }
        }
    }
    monitor.send(
        format!("I: client done, {answered} tasks answered"),
        zmq::SendFlags::empty(),
    )?;
    Ok(())
}

//  This is the worker task, which uses a REQ socket to plug into the
//  load-balancer. It's the same stub worker task that you've seen in
//  other examples:

fn worker_task(localbe: String) -> ThreadResult {
    let context = zmq::Context::new()?;
    let worker = context.socket(zmq::REQ)?;
    worker.set_linger(0)?;
    worker.connect(&localbe)?;

    //  Tell broker we're ready for work
    worker.send(WORKER_READY, zmq::SendFlags::empty())?;

    //  Process messages as they arrive
    loop {
        let msg = match worker.recv_multipart(zmq::RecvFlags::empty()) {
            Err(zmq::Error::EINTR) => break, //  Interrupted
            msg => msg?,
        };
        //  Workers are busy for 0/1 seconds
        s_sleep(u64::from(randof(2)) * 1000);
        worker.send_multipart(&msg, zmq::SendFlags::empty())?;
    }
    Ok(())
}

//  The main task begins by setting up all its sockets. The local frontend
//  talks to clients, and our local backend talks to workers. The cloud
//  frontend talks to peer brokers as if they were clients, and the cloud
//  backend talks to peer brokers as if they were workers. The state
//  backend publishes regular state messages, and the state frontend
//  subscribes to all state backends to collect these messages. Finally,
//  we use a PULL monitor socket to collect printable messages from tasks:

fn main() -> zhelpers::Result {
    let usage = "peering3 ME [YOU...] [--dir DIR] [--workers N] [--clients N] [--bursts N] [--delay-ms MS] [--seconds S]";
    let args = Args::parse(usage)?
        .only(&["dir", "workers", "clients", "bursts", "delay-ms", "seconds"])?;
    //  First argument is this broker's name
    //  Other arguments are our peers' names
    let self_ = args.arg(0, "");
    if self_.is_empty() {
        s_console(format_args!("syntax: peering3 me {{you}}..."));
        return Err(format!("usage: {usage}").into());
    }
    let peers: Vec<String> = (1..)
        .map(|n| args.arg(n, ""))
        .take_while(|p| !p.is_empty())
        .collect();
    let dir: String = args.opt("dir", std::env::temp_dir().display().to_string())?;
    let nbr_workers: usize = args.opt("workers", NBR_WORKERS)?;
    let nbr_clients: usize = args.opt("clients", NBR_CLIENTS)?;
    let bursts: Option<u64> = args.opt_some("bursts")?;
    let delay: u64 = args.opt("delay-ms", 0)?;
    let seconds: Option<u64> = args.opt_some("seconds")?;
    let deadline = seconds.map(|s| Instant::now() + Duration::from_secs(s));
    zmq::catch_interrupts()?;
    s_console(format_args!("I: preparing broker at {self_}..."));

    //  Prepare local frontend and backend
    let context = zmq::Context::new()?;
    let new_socket = |kind| -> zmq::Result<zmq::Socket> {
        let socket = context.socket(kind)?;
        // CZMQ closes its sockets with a linger of 0.
        socket.set_linger(0)?;
        Ok(socket)
    };
    let localfe = new_socket(zmq::ROUTER)?;
    let localfe_endpoint = endpoint(&dir, &self_, "localfe");
    localfe.bind(&localfe_endpoint)?;

    let localbe = new_socket(zmq::ROUTER)?;
    let localbe_endpoint = endpoint(&dir, &self_, "localbe");
    localbe.bind(&localbe_endpoint)?;

    //  Bind cloud frontend to endpoint
    let cloudfe = new_socket(zmq::ROUTER)?;
    cloudfe.set_routing_id(self_.as_bytes())?;
    cloudfe.bind(&endpoint(&dir, &self_, "cloud"))?;

    //  Connect cloud backend to all peers
    let cloudbe = new_socket(zmq::ROUTER)?;
    cloudbe.set_routing_id(self_.as_bytes())?;
    for peer in &peers {
        s_console(format_args!("I: connecting to cloud frontend at '{peer}'"));
        cloudbe.connect(&endpoint(&dir, peer, "cloud"))?;
    }
    //  Bind state backend to endpoint
    let statebe = new_socket(zmq::PUB)?;
    statebe.bind(&endpoint(&dir, &self_, "state"))?;

    //  Connect state frontend to all peers
    let statefe = new_socket(zmq::SUB)?;
    statefe.set_subscribe(b"")?;
    for peer in &peers {
        s_console(format_args!("I: connecting to state backend at '{peer}'"));
        statefe.connect(&endpoint(&dir, peer, "state"))?;
    }
    //  Prepare monitor socket
    let monitor = new_socket(zmq::PULL)?;
    let monitor_endpoint = endpoint(&dir, &self_, "monitor");
    monitor.bind(&monitor_endpoint)?;

    //  After binding and connecting all our sockets, we start our child
    //  tasks - workers and clients:
    for _ in 0..nbr_workers {
        let localbe = localbe_endpoint.clone();
        std::thread::spawn(move || worker_task(localbe));
    }

    //  Start local clients
    s_sleep(delay);
    for _ in 0..nbr_clients {
        let localfe = localfe_endpoint.clone();
        let monitor = monitor_endpoint.clone();
        std::thread::spawn(move || client_task(localfe, monitor, bursts));
    }
    let mut clients_left = if bursts.is_some() { nbr_clients } else { 0 };

    //  Queue of available workers
    let mut local_capacity = 0;
    let mut cloud_capacity = 0;
    let mut workers: VecDeque<Vec<u8>> = VecDeque::new();

    //  The main loop has two parts. First, we poll workers and our two service
    //  sockets (statefe and monitor), in any case. If we have no ready workers,
    //  then there's no point in looking at incoming requests. These can remain
    //  on their internal 0MQ queues:
    while !zmq::interrupted() {
        let left = deadline.map(|d| d.saturating_duration_since(Instant::now()));
        if left.is_some_and(|left| left.is_zero()) {
            break;
        }
        let mut primary = [
            localbe.as_poll_item(zmq::PollEvents::POLLIN),
            cloudbe.as_poll_item(zmq::PollEvents::POLLIN),
            statefe.as_poll_item(zmq::PollEvents::POLLIN),
            monitor.as_poll_item(zmq::PollEvents::POLLIN),
        ];
        //  If we have no workers ready, the C waits indefinitely: here a
        //  second at most, so that a signal another thread took (seen in
        //  zmq::interrupted) ends the loop too
        let mut timeout: i64 = 1000;
        if let Some(left) = left {
            let left = left.as_micros().div_ceil(1000) as i64;
            timeout = timeout.min(left);
        }
        match zmq::poll(&mut primary, timeout) {
            Err(zmq::Error::EINTR) => break, //  Interrupted
            result => result?,
        };
        let ready: Vec<bool> = primary.iter().map(|item| item.is_readable()).collect();

        //  Track if capacity changes during this iteration
        let previous = local_capacity;
        let mut msg = None; //  Reply from local worker

        if ready[0] {
            let mut reply = localbe.recv_multipart(zmq::RecvFlags::empty())?;
            let identity = s_msg_unwrap(&mut reply).unwrap_or_default();
            workers.push_back(identity);
            local_capacity += 1;

            //  If it's READY, don't route the message any further
            if reply.first().map(|f| &f[..]) != Some(WORKER_READY) {
                msg = Some(reply);
            }
        }
        //  Or handle reply from peer broker
        else if ready[1] {
            let mut reply = cloudbe.recv_multipart(zmq::RecvFlags::empty())?;
            //  We don't use peer broker identity for anything
            let _identity = s_msg_unwrap(&mut reply);
            msg = Some(reply);
        }
        if let Some(msg) = msg {
            //  Route reply to cloud if it's addressed to a broker
            let to_peer = msg
                .first()
                .is_some_and(|first| peers.iter().any(|peer| first == peer.as_bytes()));
            if to_peer {
                cloudfe.send_multipart(&msg, zmq::SendFlags::empty())?;
            } else {
                //  Route reply to client if we still need to
                localfe.send_multipart(&msg, zmq::SendFlags::empty())?;
            }
        }

        //  If we have input messages on our statefe or monitor sockets, we
        //  can process these immediately:
        if ready[2] {
            let _peer = s_recv(&statefe)?;
            let status = s_recv(&statefe)?;
            cloud_capacity = status.trim().parse().unwrap_or(0);
        }
        if ready[3] {
            let status = s_recv(&monitor)?;
            s_console(format_args!("{status}"));
            //  Not in the C: count the clients that stopped
            if clients_left > 0
                && (status.starts_with("I: client done") || status.starts_with("E: CLIENT EXIT"))
            {
                clients_left -= 1;
                if clients_left == 0 {
                    s_console(format_args!("I: all clients done"));
                }
            }
        }
        //  Now route as many clients requests as we can handle. If we have
        //  local capacity, we poll both localfe and cloudfe. If we have cloud
        //  capacity only, we poll just localfe. We route any request locally
        //  if we can, else we route to the cloud.
        while local_capacity + cloud_capacity > 0 {
            let mut secondary = [
                localfe.as_poll_item(zmq::PollEvents::POLLIN),
                cloudfe.as_poll_item(zmq::PollEvents::POLLIN),
            ];
            let polled = if local_capacity > 0 { 2 } else { 1 };
            zmq::poll(&mut secondary[..polled], 0)?;

            let mut msg = if secondary[0].is_readable() {
                localfe.recv_multipart(zmq::RecvFlags::empty())?
            } else if polled == 2 && secondary[1].is_readable() {
                cloudfe.recv_multipart(zmq::RecvFlags::empty())?
            } else {
                break; //  No work, go back to primary
            };

            if local_capacity > 0 {
                if let Some(frame) = workers.pop_front() {
                    s_msg_wrap(&mut msg, frame);
                }
                localbe.send_multipart(&msg, zmq::SendFlags::empty())?;
                local_capacity -= 1;
            } else if !peers.is_empty() {
                //  Route to random broker peer
                let peer = &peers[randof(peers.len() as u32) as usize];
                msg.insert(0, peer.clone().into_bytes());
                cloudbe.send_multipart(&msg, zmq::SendFlags::empty())?;
            }
        }
        //  We broadcast capacity messages to other peers; to reduce chatter,
        //  we do this only if our capacity changed.
        if local_capacity != previous {
            //  We stick our own identity onto the envelope
            statebe.send(&self_, zmq::SNDMORE)?;
            //  Broadcast new capacity
            statebe.send(format!("{local_capacity}"), zmq::SendFlags::empty())?;
        }
    }
    if zmq::interrupted() {
        s_console(format_args!("W: interrupt received, shutting down..."));
    }
    //  When we're done, clean up properly: the sockets and the queue drop
    //  here; the client and worker threads end with the process
    Ok(())
}
