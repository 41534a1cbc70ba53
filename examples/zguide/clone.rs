//! Clone pattern client API (zguide `clone.c`), used by `clonecli6`: a
//! distributed key-value table kept in step with a pair of `clonesrv6`
//! servers (a Binary Star primary and backup). The API works in two halves:
//! the front-end object the application calls, and a back-end agent in a
//! thread of its own that talks to the servers; the two talk over an
//! `inproc` `PAIR` pipe (`zhelpers::s_pipe`, CZMQ's `zthread_fork`) with
//! the commands `SUBTREE`, `CONNECT`, `SET` and `GET`.
//!
//! The agent asks the current server for a snapshot of its subtree
//! (`ICANHAZ?`), then applies the server's published updates that are newer
//! than its store, and sends the application's values to every server's
//! collector (each with a UUID and a `ttl` property). When the current
//! server is silent for longer than `SERVER_TTL` (its `HUGZ` heartbeats
//! stop), the agent fails over to the other server and asks it for a
//! snapshot, which makes that server (if it is the passive backup and its
//! peer is gone) the active one.
//!
//! Included by `clonecli6` with `#[path = "clone.rs"] mod clone;` (beside
//! `kvmsg` and `zhelpers`); not an example of its own. `clone_t` is
//! [`CloneClient`] (not `Clone`, the std trait): `clone_new` is
//! [`CloneClient::new`], `clone_subtree`, `clone_connect`, `clone_set`,
//! `clone_get` its methods, and `clone_destroy` dropping it (the context
//! shuts down, the agent gets `ETERM` and is joined).
//!
//! Not in the C:
//! * `clone_connect (address, service)` connects to port, port+1 and
//!   port+2 of the address; [`CloneClient::connect`] takes the snapshot,
//!   publisher and collector endpoints themselves, so that servers may use
//!   any ports.
//! * The agent subscribes to the servers' `HUGZ` heartbeats as well as to
//!   its subtree: the C subscribes to the subtree only, which filters the
//!   heartbeats out, so that a quiet server looks dead.
//! * The C agent keeps the application's values (plain strings) and the
//!   servers' `kvmsg`s in the same hash table, and `GET` of a server's key
//!   returns the `kvmsg` structure as a string (then frees the table's
//!   value); here the table holds messages only, and `GET` returns a body.
//! * [`CloneClient::digest`] (a `DIGEST` command) reports the agent's
//!   state, sequence number and store digest (see `kvmsg`), for the
//!   application to wait for its first snapshot and to print what it holds;
//!   [`CloneClient::with_server_ttl`] changes `SERVER_TTL`.
//! * A signal (SIGINT, SIGTERM) does not stop the agent, which goes on
//!   until the application, seeing `zmq::interrupted()`, drops the API: the
//!   signal may reach either thread, and the application's calls keep
//!   working until then.
#![allow(dead_code)]

use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use zmq::PollEvents;

use crate::kvmsg::{kvmap_digest, Kvmap, Kvmsg};
use crate::zhelpers::{s_console, s_join, s_pipe, Result, ThreadResult};

//  Server considered dead if silent for this long
const SERVER_TTL: u64 = 5000; //  msecs

//  Number of servers we will talk to
const SERVER_MAX: usize = 2;

//  States we can be in
type State = u32;
const STATE_INITIAL: State = 0; //  Before asking server for state
const STATE_SYNCING: State = 1; //  Getting state from server
const STATE_ACTIVE: State = 2; //  Getting new updates from server

/// What [`CloneClient::digest`] reports of the agent's store.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Digest {
    /// Whether the agent has a snapshot from its current server and follows
    /// its updates (`STATE_ACTIVE`).
    pub active: bool,
    /// The last update applied.
    pub sequence: i64,
    /// `keys=K checksum=C` of the store (see `kvmsg::kvmap_digest`).
    pub digest: String,
}

//  Synchronous part, works in our application thread

/// The front-end object (`clone_t`).
pub struct CloneClient {
    ctx: zmq::Context,                       //  Our context wrapper
    pipe: zmq::Socket,                       //  Pipe through to clone agent
    agent: Option<JoinHandle<ThreadResult>>, //  The agent's thread
}

impl CloneClient {
    /// Starts the agent (`clone_new`).
    pub fn new() -> Result<CloneClient> {
        CloneClient::with_server_ttl(SERVER_TTL)
    }

    /// Starts the agent with another `SERVER_TTL` (milliseconds).
    pub fn with_server_ttl(server_ttl: u64) -> Result<CloneClient> {
        let ctx = zmq::Context::new()?;
        let (pipe, agent_pipe) = s_pipe(&ctx)?;
        let agent_ctx = ctx.clone();
        let server_ttl = Duration::from_millis(server_ttl);
        let agent = std::thread::spawn(move || clone_agent(agent_ctx, agent_pipe, server_ttl));
        Ok(CloneClient {
            ctx,
            pipe,
            agent: Some(agent),
        })
    }

    fn command(&self, frames: &[&str]) -> Result {
        self.pipe.send_multipart(frames, zmq::SendFlags::empty())?;
        Ok(())
    }

    /// Waits for the agent's answer; an agent that stopped on an error
    /// passes that error on.
    fn reply(&mut self) -> Result<Vec<Vec<u8>>> {
        loop {
            let mut items = [self.pipe.as_poll_item(PollEvents::POLLIN)];
            match zmq::poll(&mut items, 100) {
                //  A signal: the agent still answers
                Err(zmq::Error::EINTR) => continue,
                other => other?,
            };
            if items[0].is_readable() {
                return Ok(self.pipe.recv_multipart(zmq::RecvFlags::empty())?);
            }
            if self.agent.as_ref().is_some_and(JoinHandle::is_finished) {
                if let Some(agent) = self.agent.take() {
                    s_join(agent, "clone agent")?;
                }
                return Err("the clone agent stopped".into());
            }
        }
    }

    //  Specify subtree for snapshot and updates, do before connect.
    //  Sends [SUBTREE][subtree] to the agent:

    /// Sets the subtree of the snapshot and the updates; call it before
    /// connecting (`clone_subtree`).
    pub fn subtree(&self, subtree: &str) -> Result {
        self.command(&["SUBTREE", subtree])
    }

    //  Connect to new server endpoint.
    //  Sends [CONNECT][snapshot][publisher][collector] to the agent:

    /// Adds a server, given by its snapshot (`ROUTER`), publisher (`PUB`)
    /// and collector (`SUB`) endpoints (`clone_connect`); at most two.
    pub fn connect(&self, snapshot: &str, publisher: &str, collector: &str) -> Result {
        self.command(&["CONNECT", snapshot, publisher, collector])
    }

    //  Set new value in distributed hash table.
    //  Sends [SET][key][value][ttl] to the agent:

    /// Sets a value in the distributed table, for `ttl` seconds (0:
    /// forever) (`clone_set`).
    pub fn set(&self, key: &str, value: &str, ttl: u32) -> Result {
        self.command(&["SET", key, value, &ttl.to_string()])
    }

    //  Lookup value in distributed hash table.
    //  Sends [GET][key] to the agent and waits for a value response:

    /// Looks a value up (`clone_get`): `None` for an unknown key.
    pub fn get(&mut self, key: &str) -> Result<Option<String>> {
        self.command(&["GET", key])?;
        let reply = self.reply()?;
        Ok(reply
            .first()
            .filter(|value| !value.is_empty())
            .map(|value| String::from_utf8_lossy(value).into_owned()))
    }

    /// The agent's state, sequence number and store digest (not in the C).
    pub fn digest(&mut self) -> Result<Digest> {
        self.command(&["DIGEST"])?;
        let reply = self.reply()?;
        let text = |index: usize| {
            reply
                .get(index)
                .map(|frame| String::from_utf8_lossy(frame).into_owned())
                .unwrap_or_default()
        };
        Ok(Digest {
            active: text(0) == "ACTIVE",
            sequence: text(1).parse().unwrap_or(0),
            digest: text(2),
        })
    }
}

impl Drop for CloneClient {
    //  Destructor (`clone_destroy`): the context's end stops the agent
    fn drop(&mut self) {
        let _ = self.ctx.shutdown();
        if let Some(agent) = self.agent.take() {
            if let Err(e) = s_join(agent, "clone agent") {
                s_console(format_args!("E: {e:?}"));
            }
        }
    }
}

//  The back-end agent manages a set of servers, which we implement using
//  our simple class model:

/// One server we talk to (`server_t`).
struct Server {
    address: String,         //  Server address (its snapshot endpoint)
    snapshot: zmq::Socket,   //  Snapshot socket
    subscriber: zmq::Socket, //  Incoming updates
    expiry: Instant,         //  When server expires
    requests: u32,           //  How many snapshot requests made?
}

impl Server {
    /// `server_new`
    fn new(
        ctx: &zmq::Context,
        snapshot_ep: &str,
        publisher_ep: &str,
        subtree: &str,
    ) -> zmq::Result<Server> {
        s_console(format_args!("I: adding server {snapshot_ep}..."));
        let snapshot = ctx.socket(zmq::DEALER)?;
        snapshot.set_linger(0)?;
        snapshot.connect(snapshot_ep)?;
        let subscriber = ctx.socket(zmq::SUB)?;
        subscriber.set_linger(0)?;
        subscriber.connect(publisher_ep)?;
        subscriber.set_subscribe(subtree.as_bytes())?;
        subscriber.set_subscribe(b"HUGZ")?; //  Not in the C, see above
        Ok(Server {
            address: snapshot_ep.to_owned(),
            snapshot,
            subscriber,
            expiry: Instant::now(),
            requests: 0,
        })
    }
}

//  Here is the implementation of the back-end agent itself:

/// The agent (`agent_t`).
struct Agent {
    ctx: zmq::Context,      //  Context wrapper
    pipe: zmq::Socket,      //  Pipe back to application
    kvmap: Kvmap,           //  Actual key/value table
    subtree: String,        //  Subtree specification, if any
    server: Vec<Server>,    //  Up to SERVER_MAX servers
    state: State,           //  Current state
    cur_server: usize,      //  If active, server 0 or 1
    sequence: i64,          //  Last kvmsg processed
    publisher: zmq::Socket, //  Outgoing updates
    server_ttl: Duration,   //  SERVER_TTL
}

impl Agent {
    /// `agent_new`
    fn new(ctx: zmq::Context, pipe: zmq::Socket, server_ttl: Duration) -> zmq::Result<Agent> {
        let publisher = ctx.socket(zmq::PUB)?;
        publisher.set_linger(0)?;
        Ok(Agent {
            ctx,
            pipe,
            kvmap: Kvmap::new(),
            subtree: String::new(),
            server: Vec::new(),
            state: STATE_INITIAL,
            cur_server: 0,
            sequence: 0,
            publisher,
            server_ttl,
        })
    }

    //  Here we handle the different control messages from the front-end;
    //  SUBTREE, CONNECT, SET, and GET (and DIGEST, not in the C):

    /// `agent_control_message`
    fn control_message(&mut self) -> zmq::Result<()> {
        let msg = self.pipe.recv_multipart(zmq::RecvFlags::empty())?;
        let frame = |index: usize| -> String {
            msg.get(index)
                .map(|f| String::from_utf8_lossy(f).into_owned())
                .unwrap_or_default()
        };
        match frame(0).as_str() {
            "SUBTREE" => self.subtree = frame(1),
            "CONNECT" => {
                let (snapshot, publisher, collector) = (frame(1), frame(2), frame(3));
                if self.server.len() < SERVER_MAX {
                    self.server.push(Server::new(
                        &self.ctx,
                        &snapshot,
                        &publisher,
                        &self.subtree,
                    )?);
                    //  We broadcast updates to all known servers
                    self.publisher.connect(&collector)?;
                } else {
                    s_console(format_args!("E: too many servers (max. {SERVER_MAX})"));
                }
            }
            //  When we set a property, we push the new key-value pair onto
            //  all our connected servers:
            "SET" => {
                let (key, value, ttl) = (frame(1), frame(2), frame(3));

                //  Send key-value pair on to server
                let mut kvmsg = Kvmsg::new(0);
                kvmsg.set_key(&key);
                kvmsg.set_uuid();
                kvmsg.set_body(value.as_bytes());
                kvmsg.set_prop("ttl", &ttl);
                kvmsg.send(&self.publisher)?;
                kvmsg.store(&mut self.kvmap);
            }
            "GET" => {
                let value = self
                    .kvmap
                    .get(&frame(1))
                    .and_then(Kvmsg::body)
                    .unwrap_or_default();
                self.pipe.send(value, zmq::SendFlags::empty())?;
            }
            "DIGEST" => {
                let state = if self.state == STATE_ACTIVE {
                    "ACTIVE"
                } else {
                    "SYNCING"
                };
                let digest = kvmap_digest(&self.kvmap, &self.subtree);
                self.pipe.send_multipart(
                    [state, &self.sequence.to_string(), &digest],
                    zmq::SendFlags::empty(),
                )?;
            }
            _ => {}
        }
        Ok(())
    }
}

//  The asynchronous agent manages a server pool and handles the
//  request/reply dialog when the application asks for it:

fn clone_agent(ctx: zmq::Context, pipe: zmq::Socket, server_ttl: Duration) -> ThreadResult {
    let mut self_ = Agent::new(ctx, pipe, server_ttl)?;
    loop {
        //  The server's socket we poll, and until when
        let mut server_socket = None;
        let mut poll_timer: i64 = -1;
        if !self_.server.is_empty() {
            let cur = self_.cur_server;
            let server = &mut self_.server[cur];
            match self_.state {
                STATE_INITIAL => {
                    //  In this state we ask the server for a snapshot,
                    //  if we have a server to talk to...
                    s_console(format_args!(
                        "I: waiting for server at {}...",
                        server.address
                    ));
                    if server.requests < 2 {
                        server.snapshot.send("ICANHAZ?", zmq::SNDMORE)?;
                        server
                            .snapshot
                            .send(&self_.subtree, zmq::SendFlags::empty())?;
                        server.requests += 1;
                    }
                    server.expiry = Instant::now() + self_.server_ttl;
                    self_.state = STATE_SYNCING;
                    server_socket = Some(false);
                }
                //  In this state we read from snapshot and we expect
                //  the server to respond, else we fail over.
                STATE_SYNCING => server_socket = Some(false),
                //  In this state we read from subscriber and we expect
                //  the server to give hugz, else we fail over.
                _ => server_socket = Some(true),
            }
            let left = server.expiry.saturating_duration_since(Instant::now());
            poll_timer = left.as_micros().div_ceil(1000) as i64;
        }
        //  We're ready to process incoming messages; if nothing at all
        //  comes from our server within the timeout, that means the
        //  server is dead:
        let (control, from_server) = {
            let mut items = vec![self_.pipe.as_poll_item(PollEvents::POLLIN)];
            if let Some(subscriber) = server_socket {
                let server = &self_.server[self_.cur_server];
                let socket = if subscriber {
                    &server.subscriber
                } else {
                    &server.snapshot
                };
                items.push(socket.as_poll_item(PollEvents::POLLIN));
            }
            match zmq::poll(&mut items, poll_timer) {
                Err(zmq::Error::ETERM) => break, //  Context has been shut down
                //  A signal: the application decides whether to stop
                Err(zmq::Error::EINTR) => continue,
                other => other?,
            };
            (
                items[0].is_readable(),
                items.get(1).is_some_and(zmq::PollItem::is_readable),
            )
        };
        let result = if control {
            self_.control_message()
        } else if from_server {
            agent_server_message(&mut self_, server_socket == Some(true))
        } else {
            if let Some(server) = self_.server.get(self_.cur_server) {
                //  Server has died, failover to next
                s_console(format_args!(
                    "I: server at {} didn't give hugz",
                    server.address
                ));
                self_.cur_server = (self_.cur_server + 1) % self_.server.len();
                self_.state = STATE_INITIAL;
            }
            Ok(())
        };
        match result {
            Err(zmq::Error::ETERM) => break, //  Context has been shut down
            Err(zmq::Error::EINTR) => {}     //  A signal: as above
            other => other?,
        }
    }
    Ok(())
}

/// A message from the current server: a snapshot part while syncing, an
/// update (or hugz) while active.
fn agent_server_message(self_: &mut Agent, subscriber: bool) -> zmq::Result<()> {
    let server = &mut self_.server[self_.cur_server];
    let socket = if subscriber {
        &server.subscriber
    } else {
        &server.snapshot
    };
    let Some(kvmsg) = Kvmsg::recv(socket)? else {
        return Ok(()); //  Bogus message
    };

    //  Anything from server resets its expiry time
    server.expiry = Instant::now() + self_.server_ttl;
    if self_.state == STATE_SYNCING {
        //  Store in snapshot until we're finished
        server.requests = 0;
        if kvmsg.key() == "KTHXBAI" {
            self_.sequence = kvmsg.sequence();
            self_.state = STATE_ACTIVE;
            s_console(format_args!(
                "I: received from {} snapshot={}",
                server.address, self_.sequence
            ));
        } else {
            kvmsg.store(&mut self_.kvmap);
        }
    } else if self_.state == STATE_ACTIVE {
        //  Discard out-of-sequence updates, incl. hugz
        if kvmsg.sequence() > self_.sequence {
            self_.sequence = kvmsg.sequence();
            kvmsg.store(&mut self_.kvmap);
            s_console(format_args!(
                "I: received from {} update={}",
                server.address, self_.sequence
            ));
        }
    }
    Ok(())
}
