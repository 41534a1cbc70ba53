//! Freelance Pattern agent class (zguide `flcliapi.c`), model 3: implements
//! the Freelance Protocol (rfc.zeromq.org spec 10) with a `ROUTER` socket
//! that addresses each server by its endpoint, which the server (`flserver3`)
//! uses as its identity. The API works in two halves, a common pattern for
//! APIs that need to run in the background: the front-end object the
//! application uses, and a back-end agent in a thread of its own that pings
//! the servers, tracks which are alive and sends each request to the first
//! live one, again and again until a reply comes or the request expires. The
//! front-end talks to the agent over an `inproc` `PAIR` pipe
//! (`zhelpers::s_pipe`, CZMQ's `zthread_fork`).
//!
//! Included by `flclient3` with `#[path = "flcliapi.rs"] mod flcliapi;`
//! (beside the `zhelpers` module); not an example of its own. The C's
//! `flcliapi_new`, `flcliapi_connect` and `flcliapi_request` are
//! [`Flcliapi::new`] (or [`Flcliapi::with_timing`]), [`Flcliapi::connect`] and
//! [`Flcliapi::request`]; `flcliapi_destroy` is dropping it, which shuts the
//! context down (the agent gets `ETERM`) and joins the agent. In the agent,
//! `server_t` is [`Server`] (`server_new`, `server_ping`, `server_tickless`
//! are its methods), `agent_t` is `Agent` (`agent_new`,
//! `agent_control_message`, `agent_router_message`), and `flcliapi_agent`
//! keeps its name.
//!
//! Two differences from the C, both for requests answered exactly once: a
//! reply is passed to the application only while its request is pending (the
//! C agent re-sends a pending request on every wake-up, so a server may answer
//! it twice, and the C would pass the second answer on as the reply to the
//! next request), and a server that comes back to life is not put in the list
//! of live servers a second time. A reply from a server the agent never
//! connected to is dropped (the C asserts).
#![allow(dead_code)]

use std::collections::{HashMap, VecDeque};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use zmq::PollEvents;

use crate::zhelpers::{s_console, s_join, s_pipe, s_sleep, Result, ThreadResult};

//  If no server replies within this time, abandon request
const GLOBAL_TIMEOUT: u64 = 3000; //  msecs
                                  //  PING interval for servers we think are alive
const PING_INTERVAL: u64 = 2000; //  msecs
                                 //  Server considered dead if silent for this long
const SERVER_TTL: u64 = 6000; //  msecs

/// A multipart message, one `Vec<u8>` per frame (CZMQ's `zmsg_t`).
pub type Msg = Vec<Vec<u8>>;

/// The agent's three times; the default is the C's constants.
#[derive(Clone, Copy, Debug)]
pub struct Timing {
    /// If no server replies within this time, abandon request
    /// (`GLOBAL_TIMEOUT`, 3000 ms).
    pub global_timeout: Duration,
    /// PING interval for servers we think are alive (`PING_INTERVAL`,
    /// 2000 ms).
    pub ping_interval: Duration,
    /// Server considered dead if silent for this long (`SERVER_TTL`,
    /// 6000 ms).
    pub server_ttl: Duration,
}

impl Default for Timing {
    fn default() -> Timing {
        Timing {
            global_timeout: Duration::from_millis(GLOBAL_TIMEOUT),
            ping_interval: Duration::from_millis(PING_INTERVAL),
            server_ttl: Duration::from_millis(SERVER_TTL),
        }
    }
}

//  Front-end half: the application's object, which only forwards commands
//  over the pipe to the agent thread.

/// The front-end object (`flcliapi_t`).
pub struct Flcliapi {
    ctx: zmq::Context,                       //  Our context wrapper
    pipe: zmq::Socket,                       //  Pipe through to flcliapi agent
    agent: Option<JoinHandle<ThreadResult>>, //  The agent's thread
}

impl Flcliapi {
    /// Starts the agent with the C's timing (`flcliapi_new`).
    pub fn new() -> Result<Flcliapi> {
        Flcliapi::with_timing(Timing::default())
    }

    /// Starts the agent with other timing.
    pub fn with_timing(timing: Timing) -> Result<Flcliapi> {
        let ctx = zmq::Context::new()?;
        let (pipe, agent_pipe) = s_pipe(&ctx)?;
        let agent_ctx = ctx.clone();
        let agent = std::thread::spawn(move || flcliapi_agent(agent_ctx, agent_pipe, timing));
        Ok(Flcliapi {
            ctx,
            pipe,
            agent: Some(agent),
        })
    }

    //  CONNECT: ["CONNECT"][endpoint] to the agent, then a short pause so
    //  that the connection exists before the first request is sent.

    /// Connects to a new server endpoint (`flcliapi_connect`).
    pub fn connect(&mut self, endpoint: &str) -> Result {
        let msg: Msg = vec![b"CONNECT".to_vec(), endpoint.as_bytes().to_vec()];
        self.pipe.send_multipart(msg, zmq::SendFlags::empty())?;
        s_sleep(100); //  Allow connection to come up
        Ok(())
    }

    //  REQUEST: ["REQUEST"][body...] to the agent, which answers with
    //  ["OK"][reply...] or ["FAILED"].

    /// Sends a request and waits for the reply (`flcliapi_request`): `None`
    /// when no server answered within the global timeout.
    pub fn request(&mut self, mut request: Msg) -> Result<Option<Msg>> {
        request.insert(0, b"REQUEST".to_vec());
        self.pipe.send_multipart(request, zmq::SendFlags::empty())?;
        // The agent always answers (a reply or FAILED), unless it stopped on
        // an error: then that error is ours.
        loop {
            let mut items = [self.pipe.as_poll_item(PollEvents::POLLIN)];
            zmq::poll(&mut items, 100)?;
            if items[0].is_readable() {
                break;
            }
            if self.agent.as_ref().is_some_and(JoinHandle::is_finished) {
                if let Some(agent) = self.agent.take() {
                    s_join(agent, "flcliapi agent")?;
                }
                return Err("the flcliapi agent stopped".into());
            }
        }
        let mut reply = self.pipe.recv_multipart(zmq::RecvFlags::empty())?;
        if reply.is_empty() {
            return Err("empty reply from the flcliapi agent".into());
        }
        let status = reply.remove(0);
        if status == b"FAILED" {
            return Ok(None);
        }
        Ok(Some(reply))
    }
}

impl Drop for Flcliapi {
    //  Destructor (`flcliapi_destroy`): the context's end stops the agent
    fn drop(&mut self) {
        let _ = self.ctx.shutdown();
        if let Some(agent) = self.agent.take() {
            if let Err(e) = s_join(agent, "flcliapi agent") {
                s_console(format_args!("E: {e:?}"));
            }
        }
    }
}

//  Back-end half: the agent thread and what it knows about each server.

/// One server we talk to (`server_t`).
pub struct Server {
    endpoint: String, //  Server identity/endpoint
    alive: bool,      //  true if known to be alive
    ping_at: Instant, //  Next ping at this time
    expires: Instant, //  Expires at this time
}

impl Server {
    /// `server_new`
    fn new(endpoint: &str, timing: &Timing) -> Server {
        Server {
            endpoint: endpoint.to_owned(),
            alive: false,
            ping_at: Instant::now() + timing.ping_interval,
            expires: Instant::now() + timing.server_ttl,
        }
    }

    /// `server_ping`: pings the server if it is time.
    fn ping(&mut self, socket: &zmq::Socket, timing: &Timing) -> zmq::Result<()> {
        if Instant::now() >= self.ping_at {
            let ping: Msg = vec![self.endpoint.as_bytes().to_vec(), b"PING".to_vec()];
            socket.send_multipart(ping, zmq::SendFlags::empty())?;
            self.ping_at = Instant::now() + timing.ping_interval;
        }
        Ok(())
    }

    /// `server_tickless`: brings `tickless` forward to this server's next
    /// ping.
    fn tickless(&self, tickless: &mut Instant) {
        if *tickless > self.ping_at {
            *tickless = self.ping_at;
        }
    }
}

//  The agent's state, and its handlers for the two sockets.

/// One background agent (`agent_t`).
struct Agent {
    pipe: zmq::Socket,                //  Socket to talk back to application
    router: zmq::Socket,              //  Socket to talk to servers
    servers: HashMap<String, Server>, //  Servers we've connected to
    actives: VecDeque<String>,        //  Servers we know are alive
    sequence: u32,                    //  Number of requests ever sent
    request: Option<Msg>,             //  Current request if any
    expires: Instant,                 //  Timeout for request/reply
    timing: Timing,
}

impl Agent {
    /// `agent_new`
    fn new(ctx: &zmq::Context, pipe: zmq::Socket, timing: Timing) -> zmq::Result<Agent> {
        let router = ctx.socket(zmq::ROUTER)?;
        router.set_linger(0)?; //  CZMQ's default
        Ok(Agent {
            pipe,
            router,
            servers: HashMap::new(),
            actives: VecDeque::new(),
            sequence: 0,
            request: None,
            expires: Instant::now(),
            timing,
        })
    }

    //  A command from the front-end: CONNECT or REQUEST.

    /// `agent_control_message`
    fn control_message(&mut self) -> ThreadResult {
        let mut msg = self.pipe.recv_multipart(zmq::RecvFlags::empty())?;
        if msg.is_empty() {
            return Err("empty control message".into());
        }
        let command = msg.remove(0);

        if command == b"CONNECT" {
            let endpoint = String::from_utf8_lossy(msg.first().ok_or("CONNECT without endpoint")?)
                .into_owned();
            s_console(format_args!("I: connecting to {endpoint}..."));
            self.router.connect(&endpoint)?;
            let server = Server::new(&endpoint, &self.timing);
            self.servers.insert(endpoint.clone(), server);
            if !self.actives.contains(&endpoint) {
                self.actives.push_back(endpoint);
            }
        } else if command == b"REQUEST" {
            if self.request.is_some() {
                //  Strict request-reply cycle
                return Err("REQUEST while a request is pending".into());
            }
            //  Prefix request with sequence number and empty envelope
            self.sequence += 1;
            msg.insert(0, self.sequence.to_string().into_bytes());
            //  Take ownership of request message
            self.request = Some(msg);
            //  Request expires after global timeout
            self.expires = Instant::now() + self.timing.global_timeout;
        }
        Ok(())
    }

    //  A message from a server: a PONG, or a reply with a sequence number.

    /// `agent_router_message`
    fn router_message(&mut self) -> ThreadResult {
        let mut reply = self.router.recv_multipart(zmq::RecvFlags::empty())?;
        if reply.len() < 2 {
            return Err(format!("malformed reply from a server: {reply:?}").into());
        }

        //  Frame 0 is server that replied
        let endpoint = String::from_utf8_lossy(&reply.remove(0)).into_owned();
        let Some(server) = self.servers.get_mut(&endpoint) else {
            s_console(format_args!("W: reply from unknown server {endpoint}"));
            return Ok(());
        };
        if !server.alive {
            if !self.actives.contains(&endpoint) {
                self.actives.push_back(endpoint);
            }
            server.alive = true;
        }
        server.ping_at = Instant::now() + self.timing.ping_interval;
        server.expires = Instant::now() + self.timing.server_ttl;

        //  Frame 1 may be sequence number for reply
        let sequence = reply.remove(0);
        let sequence_nbr: u32 = String::from_utf8_lossy(&sequence).parse().unwrap_or(0);
        if self.request.is_some() && sequence_nbr == self.sequence {
            reply.insert(0, b"OK".to_vec());
            self.pipe.send_multipart(reply, zmq::SendFlags::empty())?;
            self.request = None;
        }
        Ok(())
    }
}

impl Agent {
    /// Sends the pending request to the first live server, dropping any
    /// expired ones from the list on the way.
    fn dispatch(&mut self) -> zmq::Result<()> {
        let Some(request) = &self.request else {
            return Ok(());
        };
        //  Find server to talk to, remove any expired ones
        while let Some(endpoint) = self.actives.front().cloned() {
            let Some(server) = self.servers.get_mut(&endpoint) else {
                self.actives.pop_front();
                continue;
            };
            if Instant::now() >= server.expires {
                self.actives.pop_front();
                server.alive = false;
            } else {
                self.router.send(&endpoint, zmq::SNDMORE)?;
                self.router
                    .send_multipart(request, zmq::SendFlags::empty())?;
                break;
            }
        }
        Ok(())
    }
}

//  The agent's loop: wait for the pipe, a server or the next timer, then
//  (re)send the pending request and ping servers that are due.

/// The agent's thread: polls the pipe and the servers until the context is
/// shut down (then it returns `ETERM`, a clean end for `s_join`).
fn flcliapi_agent(ctx: zmq::Context, pipe: zmq::Socket, timing: Timing) -> ThreadResult {
    let mut agent = Agent::new(&ctx, pipe, timing)?;

    loop {
        //  Calculate tickless timer, up to 1 hour
        let mut tickless = Instant::now() + Duration::from_secs(3600);
        if agent.request.is_some() && tickless > agent.expires {
            tickless = agent.expires;
        }
        for server in agent.servers.values() {
            server.tickless(&mut tickless);
        }

        let left = tickless.saturating_duration_since(Instant::now());
        let timeout = left.as_micros().div_ceil(1000) as i64;
        let mut items = [
            agent.pipe.as_poll_item(PollEvents::POLLIN),
            agent.router.as_poll_item(PollEvents::POLLIN),
        ];
        //  Fails with ETERM when the context has been shut down
        zmq::poll(&mut items, timeout)?;
        let (control, router) = (items[0].is_readable(), items[1].is_readable());

        if control {
            agent.control_message()?;
        }
        if router {
            agent.router_message()?;
        }

        //  If we're processing a request, dispatch to next server
        if agent.request.is_some() {
            if Instant::now() >= agent.expires {
                //  Request expired, kill it
                agent.pipe.send("FAILED", zmq::SendFlags::empty())?;
                agent.request = None;
            } else {
                agent.dispatch()?;
            }
        }
        //  Disconnect and delete any expired servers
        //  Send heartbeats to idle servers if needed
        for server in agent.servers.values_mut() {
            server.ping(&agent.router, &agent.timing)?;
        }
    }
}
