//! Broker peering simulation, part 2 (zguide `peering2.c`): prototypes the
//! request-reply flow. Each broker has local clients (`REQ`, on its local
//! frontend) and workers (`REQ`, on its local backend, load-balanced), plus a
//! cloud frontend its peers send requests to and a cloud backend connected
//! to every peer's cloud frontend. A local request is sent to a random peer
//! one time in five (the C's stand-in for real cloud capacity), otherwise to
//! a local worker; requests are taken only while a local worker is free. The
//! clients and workers are threads, each with its own context, as if they
//! were separate processes.
//!
//! ```text
//! cargo run --example zguide_peering2 -- ME [YOU...] [--dir DIR] [--workers N] [--clients N] [--requests N] [--reroute N] [--seconds S]
//! ```
//!
//! `ME` is this broker's name, each `YOU` a peer's. The endpoints are
//! `ipc://DIR/<name>-cloud.ipc`, `-localfe.ipc` and `-localbe.ipc` (the C's
//! `ipc://<name>-cloud.ipc` ...), `DIR` being the system's temporary directory
//! unless `--dir` says otherwise. As in the C, it asks `Press Enter when all
//! brokers are started: ` and reads a line from stdin (end of input does as
//! well) before it starts the `--workers` workers and `--clients` clients
//! (the C's `NBR_WORKERS` 3 and `NBR_CLIENTS` 10). Clients print
//! `Client: <reply>` and workers `Worker: [<size>] <request>`.
//!
//! Not in the C, so that it can end by itself: each client stops after
//! `--requests N` requests (by default it goes on forever, as in the C), and
//! once all have stopped the broker prints `I: all clients done` and goes on
//! serving its peers; it stops after `--seconds S` or on SIGINT or SIGTERM.
//! `--reroute N` sends a local request to the cloud one time in N (the C's 5;
//! 1 sends every one there, 0 none).
#![forbid(unsafe_code)]

use std::collections::VecDeque;
use std::io::BufRead;
use std::time::{Duration, Instant};

#[path = "zhelpers.rs"]
mod zhelpers;

use zhelpers::{
    randof, s_console, s_frame_text, s_msg_unwrap, s_msg_wrap, s_recv, s_sleep, Args, ThreadResult,
};

const NBR_CLIENTS: usize = 10;
const NBR_WORKERS: usize = 3;
const WORKER_READY: &[u8] = b"\x01"; //  Signals worker is ready

/// `ipc://<dir>/<name>-<what>.ipc`, the C's `ipc://<name>-<what>.ipc`.
fn endpoint(dir: &str, name: &str, what: &str) -> String {
    format!("ipc://{dir}/{name}-{what}.ipc")
}

//  The client task does a request-reply dialog using a standard
//  synchronous REQ socket:

fn client_task(localfe: String, requests: Option<u64>) -> ThreadResult {
    let context = zmq::Context::new()?;
    let client = context.socket(zmq::REQ)?;
    client.set_linger(0)?;
    client.connect(&localfe)?;

    let mut sent = 0;
    while requests.map_or(true, |n| sent < n) {
        //  Send request, get reply
        client.send("HELLO", zmq::SendFlags::empty())?;
        sent += 1;
        let reply = match s_recv(&client) {
            Err(zmq::Error::EINTR) => break, //  Interrupted
            reply => reply?,
        };
        s_console(format_args!("Client: {reply}"));
        s_sleep(1000);
    }
    Ok(())
}

//  The worker task plugs into the load-balancer using a REQ socket:

fn worker_task(localbe: String) -> ThreadResult {
    let context = zmq::Context::new()?;
    let worker = context.socket(zmq::REQ)?;
    worker.set_linger(0)?;
    worker.connect(&localbe)?;

    //  Tell broker we're ready for work
    worker.send(WORKER_READY, zmq::SendFlags::empty())?;

    //  Process messages as they arrive
    loop {
        let mut msg = match worker.recv_multipart(zmq::RecvFlags::empty()) {
            Err(zmq::Error::EINTR) => break, //  Interrupted
            msg => msg?,
        };
        if let Some(last) = msg.last_mut() {
            s_console(format_args!(
                "Worker: [{:03}] {}",
                last.len(),
                s_frame_text(last)
            ));
            *last = b"OK".to_vec();
        }
        worker.send_multipart(&msg, zmq::SendFlags::empty())?;
    }
    Ok(())
}

//  The main task begins by setting-up its frontend and backend sockets
//  and then starting its client and worker tasks:

fn main() -> zhelpers::Result {
    let usage = "peering2 ME [YOU...] [--dir DIR] [--workers N] [--clients N] [--requests N] [--reroute N] [--seconds S]";
    let args = Args::parse(usage)?.only(&[
        "dir", "workers", "clients", "requests", "reroute", "seconds",
    ])?;
    //  First argument is this broker's name
    //  Other arguments are our peers' names
    let self_ = args.arg(0, "");
    if self_.is_empty() {
        s_console(format_args!("syntax: peering2 me {{you}}..."));
        return Err(format!("usage: {usage}").into());
    }
    let peers: Vec<String> = (1..)
        .map(|n| args.arg(n, ""))
        .take_while(|p| !p.is_empty())
        .collect();
    let dir: String = args.opt("dir", std::env::temp_dir().display().to_string())?;
    let nbr_workers: usize = args.opt("workers", NBR_WORKERS)?;
    let nbr_clients: usize = args.opt("clients", NBR_CLIENTS)?;
    let requests: Option<u64> = args.opt_some("requests")?;
    let reroute: u32 = args.opt("reroute", 5)?;
    let seconds: Option<u64> = args.opt_some("seconds")?;
    let deadline = seconds.map(|s| Instant::now() + Duration::from_secs(s));
    zmq::catch_interrupts()?;
    s_console(format_args!("I: preparing broker at {self_}..."));

    let context = zmq::Context::new()?;

    //  Bind cloud frontend to endpoint
    let cloudfe = context.socket(zmq::ROUTER)?;
    cloudfe.set_linger(0)?;
    cloudfe.set_routing_id(self_.as_bytes())?;
    cloudfe.bind(&endpoint(&dir, &self_, "cloud"))?;

    //  Connect cloud backend to all peers
    let cloudbe = context.socket(zmq::ROUTER)?;
    cloudbe.set_linger(0)?;
    cloudbe.set_routing_id(self_.as_bytes())?;
    for peer in &peers {
        s_console(format_args!("I: connecting to cloud frontend at '{peer}'"));
        cloudbe.connect(&endpoint(&dir, peer, "cloud"))?;
    }
    //  Prepare local frontend and backend
    let localfe = context.socket(zmq::ROUTER)?;
    localfe.set_linger(0)?;
    let localfe_endpoint = endpoint(&dir, &self_, "localfe");
    localfe.bind(&localfe_endpoint)?;
    let localbe = context.socket(zmq::ROUTER)?;
    localbe.set_linger(0)?;
    let localbe_endpoint = endpoint(&dir, &self_, "localbe");
    localbe.bind(&localbe_endpoint)?;

    //  Get user to tell us when we can start...
    s_console(format_args!("Press Enter when all brokers are started: "));
    let mut line = String::new();
    std::io::stdin().lock().read_line(&mut line)?;

    //  Start local workers
    for _ in 0..nbr_workers {
        let localbe = localbe_endpoint.clone();
        std::thread::spawn(move || worker_task(localbe));
    }
    //  Start local clients
    let mut clients: Vec<_> = (0..nbr_clients)
        .map(|_| {
            let localfe = localfe_endpoint.clone();
            std::thread::spawn(move || client_task(localfe, requests))
        })
        .collect();

    //  Here we handle the request-reply flow. We're using load-balancing
    //  to poll workers at all times, and clients only when there are one or
    //  more workers available.

    //  Least recently used queue of available workers
    let mut capacity = 0;
    let mut workers: VecDeque<Vec<u8>> = VecDeque::new();

    while !zmq::interrupted() {
        //  Not in the C: the clients that finished, and the time left
        if requests.is_some() && !clients.is_empty() {
            clients.retain(|client| !client.is_finished());
            if clients.is_empty() {
                s_console(format_args!("I: all clients done"));
            }
        }
        let left = deadline.map(|d| d.saturating_duration_since(Instant::now()));
        if left.is_some_and(|left| left.is_zero()) {
            break;
        }
        //  If we have no workers anyhow, the C waits indefinitely: here a
        //  second at most, so that a signal another thread took (seen in
        //  zmq::interrupted) ends the loop too, and less while we look at
        //  the clients or the clock
        let mut timeout: i64 = 1000;
        if requests.is_some() && !clients.is_empty() {
            timeout = 100;
        }
        if let Some(left) = left {
            let left = left.as_micros().div_ceil(1000) as i64;
            timeout = timeout.min(left);
        }

        //  First, route any waiting replies from workers
        let mut backends = [
            localbe.as_poll_item(zmq::PollEvents::POLLIN),
            cloudbe.as_poll_item(zmq::PollEvents::POLLIN),
        ];
        match zmq::poll(&mut backends, timeout) {
            Err(zmq::Error::EINTR) => break, //  Interrupted
            result => result?,
        };
        let (local_ready, cloud_ready) = (backends[0].is_readable(), backends[1].is_readable());

        //  Handle reply from local worker
        let mut msg = None;
        if local_ready {
            let mut reply = localbe.recv_multipart(zmq::RecvFlags::empty())?;
            let identity = s_msg_unwrap(&mut reply).unwrap_or_default();
            workers.push_back(identity);
            capacity += 1;

            //  If it's READY, don't route the message any further
            if reply.first().map(|f| &f[..]) != Some(WORKER_READY) {
                msg = Some(reply);
            }
        }
        //  Or handle reply from peer broker
        else if cloud_ready {
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

        //  Now we route as many client requests as we have worker capacity
        //  for. We may reroute requests from our local frontend, but not from
        //  the cloud frontend. We reroute randomly now, just to test things
        //  out. In the next version we'll do this properly by calculating
        //  cloud capacity:
        while capacity > 0 {
            let mut frontends = [
                localfe.as_poll_item(zmq::PollEvents::POLLIN),
                cloudfe.as_poll_item(zmq::PollEvents::POLLIN),
            ];
            zmq::poll(&mut frontends, 0)?;
            let (local_ready, cloud_ready) =
                (frontends[0].is_readable(), frontends[1].is_readable());
            //  We'll do peer brokers first, to prevent starvation
            let (mut msg, reroutable) = if cloud_ready {
                (cloudfe.recv_multipart(zmq::RecvFlags::empty())?, false)
            } else if local_ready {
                (localfe.recv_multipart(zmq::RecvFlags::empty())?, true)
            } else {
                break; //  No work, go back to backends
            };

            //  If reroutable, send to cloud 20% of the time
            //  Here we'd normally use cloud status information
            if reroutable && !peers.is_empty() && reroute > 0 && randof(reroute) == 0 {
                //  Route to random broker peer
                let random_peer = &peers[randof(peers.len() as u32) as usize];
                msg.insert(0, random_peer.clone().into_bytes());
                cloudbe.send_multipart(&msg, zmq::SendFlags::empty())?;
            } else if let Some(frame) = workers.pop_front() {
                s_msg_wrap(&mut msg, frame);
                localbe.send_multipart(&msg, zmq::SendFlags::empty())?;
                capacity -= 1;
            }
        }
    }
    if zmq::interrupted() {
        s_console(format_args!("W: interrupt received, shutting down..."));
    }
    //  When we're done, clean up properly: the sockets and the queue drop
    //  here; the client and worker threads end with the process
    Ok(())
}
