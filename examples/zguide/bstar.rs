//! Binary Star reactor (zguide `bstar.c`): the Binary Star finite-state
//! machine of `bstarsrv` packaged as a reactor that applications build a
//! high-availability server pair on. A primary and a backup publish their
//! state to each other every heartbeat over `PUB`/`SUB`; client requests
//! arrive on one "voter" socket and are passed to the application's handler
//! only while this server is (or by that request becomes) active, and the
//! application is told when the server becomes active or passive.
//!
//! Included by `bstarsrv2` and `clonesrv6` with
//! `#[path = "bstar.rs"] mod bstar;` (beside `zhelpers`); not an example of
//! its own. `bstar_t` is [`Bstar`]: `bstar_new` is [`Bstar::new`],
//! `bstar_voter` [`Bstar::voter`], `bstar_new_active` / `bstar_new_passive`
//! [`Bstar::new_active`] / [`Bstar::new_passive`], `bstar_zloop`
//! [`Bstar::zloop`], `bstar_start` [`Bstar::start`], and `bstar_destroy`
//! is dropping it.
//!
//! CZMQ's `zloop` reactor is replaced by [`Zloop`], a few lines on
//! `zmq::poll`: sockets with a handler each ([`Zloop::poller`],
//! [`Zloop::poller_end`]) and timers ([`Zloop::timer`]). A handler is a
//! plain function that gets the reactor, the socket that is ready (`None`
//! for timers and state changes) and the application's own state, which
//! [`Bstar::start`] takes as an argument (the C's `void *arg`). Where a C
//! handler returns -1 to end the reactor, a handler here calls
//! [`Zloop::stop`]; a handler error ends the reactor and is returned by
//! `start`, except `EINTR` (the process was interrupted), which ends it
//! cleanly, as does SIGINT or SIGTERM while it waits.
//!
//! Not in the C: the heartbeat (`BSTAR_HEARTBEAT`, 1000 ms) can be changed
//! with [`Bstar::set_heartbeat`] (both servers must use the same), each bound
//! socket prints `Bound to <endpoint>`, and the state lines are printed
//! without CZMQ's timestamp. In the C, a state message that the machine
//! rejects (dual actives or dual passives) ends the reactor; so it does here.
#![allow(dead_code)]

use std::rc::Rc;
use std::time::{Duration, Instant};

use zmq::PollEvents;

use crate::zhelpers::{s_bound, s_console};

/// `bstar_new`'s first argument for the primary server.
pub const BSTAR_PRIMARY: bool = true;
/// `bstar_new`'s first argument for the backup server.
pub const BSTAR_BACKUP: bool = false;

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

//  We send state information every this often
//  If peer doesn't respond in two heartbeats, it is 'dead'
const BSTAR_HEARTBEAT: u64 = 1000; //  In msecs

//  The reactor: what CZMQ's zloop does for these examples.

/// A reactor handler (CZMQ's `zloop_fn`): the reactor (to add or end
/// pollers and timers), the socket that is ready (`None` for a timer or a
/// state change) and the application's state.
pub type Handler<T> = fn(&mut Zloop<T>, Option<&zmq::Socket>, &mut T) -> zmq::Result<()>;

struct Poller<T> {
    socket: Rc<zmq::Socket>,
    handler: Handler<T>,
}

struct Timer<T> {
    delay: Duration,
    times: usize, //  0 means forever
    due: Instant,
    handler: Handler<T>,
}

/// The sockets and timers the application adds to the Binary Star reactor
/// (CZMQ's `zloop_t`, as `bstar_zloop` returns it).
pub struct Zloop<T> {
    pollers: Vec<Poller<T>>,
    timers: Vec<Timer<T>>,
    stopped: bool,
}

impl<T> Zloop<T> {
    fn new() -> Zloop<T> {
        Zloop {
            pollers: Vec::new(),
            timers: Vec::new(),
            stopped: false,
        }
    }

    /// Ends the reactor after the current handler (a CZMQ handler returns
    /// -1 for that).
    pub fn stop(&mut self) {
        self.stopped = true;
    }

    /// Calls `handler` whenever `socket` has a message (`zloop_poller`).
    /// The reactor keeps a handle on the socket until [`Zloop::poller_end`].
    pub fn poller(&mut self, socket: &Rc<zmq::Socket>, handler: Handler<T>) {
        self.pollers.push(Poller {
            socket: Rc::clone(socket),
            handler,
        });
    }

    /// Stops polling `socket` (`zloop_poller_end`).
    pub fn poller_end(&mut self, socket: &Rc<zmq::Socket>) {
        self.pollers.retain(|p| !Rc::ptr_eq(&p.socket, socket));
    }

    /// Calls `handler` every `delay` milliseconds, `times` times, 0 meaning
    /// forever (`zloop_timer`).
    pub fn timer(&mut self, delay: u64, times: usize, handler: Handler<T>) {
        let delay = Duration::from_millis(delay);
        self.timers.push(Timer {
            delay,
            times,
            due: Instant::now() + delay,
            handler,
        });
    }

    fn polls(&self, socket: &Rc<zmq::Socket>) -> bool {
        self.pollers.iter().any(|p| Rc::ptr_eq(&p.socket, socket))
    }
}

/// The Binary Star reactor (`bstar_t`), for an application whose state is a
/// `T`.
pub struct Bstar<T> {
    zloop: Zloop<T>,                //  Reactor loop
    statepub: zmq::Socket,          //  State publisher
    statesub: zmq::Socket,          //  State subscriber
    voter: Option<zmq::Socket>,     //  Client requests (the voter)
    state: State,                   //  Current state
    event: Event,                   //  Current event
    peer_expiry: Instant,           //  When peer is considered 'dead'
    heartbeat: Duration,            //  BSTAR_HEARTBEAT
    voter_fn: Option<Handler<T>>,   //  Voting socket handler
    active_fn: Option<Handler<T>>,  //  Call when become active
    passive_fn: Option<Handler<T>>, //  Call when become passive
    verbose: bool,                  //  Trace each event
    ctx: zmq::Context,              //  Our private context
}

impl<T> Bstar<T> {
    //  The finite-state machine is the same as in the proof-of-concept
    //  server (bstarsrv), plus the state change handlers, and a primary that
    //  waited long enough for its peer takes client requests.

    /// Applies `self.event` to `self.state` (`s_execute_fsm`); `Ok(true)`
    /// when there was an exception (the event is rejected).
    fn execute_fsm(&mut self, app: &mut T) -> zmq::Result<bool> {
        if self.verbose {
            s_console(format_args!(
                "D: bstar state={} event={}",
                self.state, self.event
            ));
        }
        let mut exception = false;
        //  Primary server is waiting for peer to connect
        //  Accepts CLIENT_REQUEST events in this state
        if self.state == STATE_PRIMARY {
            if self.event == PEER_BACKUP {
                s_console(format_args!(
                    "I: connected to backup (passive), ready as active"
                ));
                self.state = STATE_ACTIVE;
                self.call(self.active_fn, app)?;
            } else if self.event == PEER_ACTIVE {
                s_console(format_args!(
                    "I: connected to backup (active), ready as passive"
                ));
                self.state = STATE_PASSIVE;
                self.call(self.passive_fn, app)?;
            } else if self.event == CLIENT_REQUEST {
                // Allow client requests to turn us into the active if we've
                // waited sufficiently long to believe the backup is not
                // currently acting as active (i.e., after a failover)
                if Instant::now() >= self.peer_expiry {
                    s_console(format_args!("I: request from client, ready as active"));
                    self.state = STATE_ACTIVE;
                    self.call(self.active_fn, app)?;
                } else {
                    // Don't respond to clients yet - it's possible we're
                    // performing a failback and the backup is currently active
                    exception = true;
                }
            }
        }
        //  Backup server is waiting for peer to connect
        //  Rejects CLIENT_REQUEST events in this state
        else if self.state == STATE_BACKUP {
            if self.event == PEER_ACTIVE {
                s_console(format_args!(
                    "I: connected to primary (active), ready as passive"
                ));
                self.state = STATE_PASSIVE;
                self.call(self.passive_fn, app)?;
            } else if self.event == CLIENT_REQUEST {
                exception = true;
            }
        }
        //  Server is active
        //  Accepts CLIENT_REQUEST events in this state
        //  The only way out of ACTIVE is death
        else if self.state == STATE_ACTIVE {
            if self.event == PEER_ACTIVE {
                //  Two actives would mean split-brain
                s_console(format_args!("E: fatal error - dual actives, aborting"));
                exception = true;
            }
        }
        //  Server is passive
        //  CLIENT_REQUEST events can trigger failover if peer looks dead
        else if self.state == STATE_PASSIVE {
            if self.event == PEER_PRIMARY {
                //  Peer is restarting - become active, peer will go passive
                s_console(format_args!(
                    "I: primary (passive) is restarting, ready as active"
                ));
                self.state = STATE_ACTIVE;
            } else if self.event == PEER_BACKUP {
                //  Peer is restarting - become active, peer will go passive
                s_console(format_args!(
                    "I: backup (passive) is restarting, ready as active"
                ));
                self.state = STATE_ACTIVE;
            } else if self.event == PEER_PASSIVE {
                //  Two passives would mean cluster would be non-responsive
                s_console(format_args!("E: fatal error - dual passives, aborting"));
                exception = true;
            } else if self.event == CLIENT_REQUEST {
                //  Peer becomes active if timeout has passed
                //  It's the client request that triggers the failover
                if Instant::now() >= self.peer_expiry {
                    //  If peer is dead, switch to the active state
                    s_console(format_args!("I: failover successful, ready as active"));
                    self.state = STATE_ACTIVE;
                } else {
                    //  If peer is alive, reject connections
                    exception = true;
                }
            }
            //  Call state change handler if necessary
            if self.state == STATE_ACTIVE {
                self.call(self.active_fn, app)?;
            }
        }
        Ok(exception)
    }

    /// Calls a state change handler, if there is one.
    fn call(&mut self, handler: Option<Handler<T>>, app: &mut T) -> zmq::Result<()> {
        match handler {
            Some(handler) => handler(&mut self.zloop, None, app),
            None => Ok(()),
        }
    }

    fn update_peer_expiry(&mut self) {
        self.peer_expiry = Instant::now() + 2 * self.heartbeat;
    }

    //  Reactor event handlers...

    //  Publish our state to peer
    fn send_state(&mut self) -> zmq::Result<()> {
        self.statepub
            .send(self.state.to_string(), zmq::SendFlags::empty())
    }

    //  Receive state from peer, execute finite state machine; Ok(true) if
    //  the machine rejected it (which ends the reactor)
    fn recv_state(&mut self, app: &mut T) -> zmq::Result<bool> {
        let state = self.statesub.recv_bytes(zmq::RecvFlags::empty())?;
        self.event = String::from_utf8_lossy(&state).trim().parse().unwrap_or(0);
        self.update_peer_expiry();
        self.execute_fsm(app)
    }

    //  Application wants to speak to us, see if it's possible
    fn voter_ready(&mut self, app: &mut T) -> zmq::Result<()> {
        //  If server can accept input now, call appl handler
        self.event = CLIENT_REQUEST;
        if !self.execute_fsm(app)? {
            if let (Some(handler), Some(voter)) = (self.voter_fn, self.voter.as_ref()) {
                handler(&mut self.zloop, Some(voter), app)?;
            }
        } else if let Some(voter) = &self.voter {
            //  Destroy waiting message, no-one to read it
            voter.recv_multipart(zmq::RecvFlags::empty())?;
        }
        Ok(())
    }

    //  This is the constructor for our bstar class. We have to tell it
    //  whether we're primary or backup server, as well as our local and
    //  remote endpoints to bind and connect to:

    /// Creates the reactor (`bstar_new`): binds the state publisher to
    /// `local` (printing `Bound to <endpoint>`) and subscribes to the peer's
    /// at `remote`.
    pub fn new(primary: bool, local: &str, remote: &str) -> zmq::Result<Bstar<T>> {
        //  Initialize the Binary Star
        let ctx = zmq::Context::new()?;
        let state = if primary { STATE_PRIMARY } else { STATE_BACKUP };

        //  Create publisher for state going to peer
        let statepub = ctx.socket(zmq::PUB)?;
        statepub.set_linger(0)?;
        statepub.bind(local)?;
        s_bound(&statepub)?;

        //  Create subscriber for state coming from peer
        let statesub = ctx.socket(zmq::SUB)?;
        statesub.set_linger(0)?;
        statesub.set_subscribe(b"")?;
        statesub.connect(remote)?;

        let heartbeat = Duration::from_millis(BSTAR_HEARTBEAT);
        Ok(Bstar {
            zloop: Zloop::new(),
            statepub,
            statesub,
            voter: None,
            state,
            event: 0,
            peer_expiry: Instant::now() + 2 * heartbeat,
            heartbeat,
            voter_fn: None,
            active_fn: None,
            passive_fn: None,
            verbose: false,
            ctx,
        })
    }

    /// The reactor, to add the application's own sockets and timers
    /// (`bstar_zloop`).
    pub fn zloop(&mut self) -> &mut Zloop<T> {
        &mut self.zloop
    }

    /// Registers the client voter socket (`bstar_voter`): binds a socket of
    /// `socket_type` to `endpoint` (printing `Bound to <endpoint>`).
    /// Messages received on it are the `CLIENT_REQUEST` events of the
    /// machine and are passed to `handler` when accepted. Exactly one voter
    /// per instance.
    pub fn voter(
        &mut self,
        endpoint: &str,
        socket_type: zmq::SocketType,
        handler: Handler<T>,
    ) -> zmq::Result<()> {
        //  Hold actual handler so we can call this later
        assert!(self.voter_fn.is_none(), "one voter per bstar");
        let socket = self.ctx.socket(socket_type)?;
        socket.set_linger(0)?;
        socket.bind(endpoint)?;
        s_bound(&socket)?;
        self.voter = Some(socket);
        self.voter_fn = Some(handler);
        Ok(())
    }

    /// Registers the handler called each time this server becomes active
    /// (`bstar_new_active`).
    pub fn new_active(&mut self, handler: Handler<T>) {
        self.active_fn = Some(handler);
    }

    /// Registers the handler called each time this server becomes passive
    /// (`bstar_new_passive`).
    pub fn new_passive(&mut self, handler: Handler<T>) {
        self.passive_fn = Some(handler);
    }

    /// Traces every event the machine applies (`bstar_set_verbose`, which in
    /// the C turns on zloop's tracing).
    pub fn set_verbose(&mut self, verbose: bool) {
        self.verbose = verbose;
    }

    /// Changes the heartbeat (not in the C, whose `BSTAR_HEARTBEAT` is
    /// 1000 ms); the peer is dead after two heartbeats of silence.
    pub fn set_heartbeat(&mut self, msecs: u64) {
        self.heartbeat = Duration::from_millis(msecs);
    }

    //  Finally, start the configured reactor. It will end if any handler
    //  returns an error, or if the process receives SIGINT or SIGTERM:

    /// Runs the reactor until interrupted or a fatal state error
    /// (`bstar_start`); `app` is passed to every handler.
    pub fn start(&mut self, app: &mut T) -> zmq::Result<()> {
        assert!(self.voter_fn.is_some(), "bstar_start needs a voter");
        self.update_peer_expiry();
        match self.run(app) {
            Err(zmq::Error::EINTR) => Ok(()), //  Interrupted
            other => other,
        }
    }

    fn run(&mut self, app: &mut T) -> zmq::Result<()> {
        let mut send_state_at = Instant::now() + self.heartbeat;
        while !zmq::interrupted() && !self.zloop.stopped {
            //  Poll set: peer state, voter, then the application's sockets
            let pollers: Vec<(Rc<zmq::Socket>, Handler<T>)> = self
                .zloop
                .pollers
                .iter()
                .map(|p| (Rc::clone(&p.socket), p.handler))
                .collect();
            let mut due = send_state_at;
            for timer in &self.zloop.timers {
                due = due.min(timer.due);
            }
            let ready: Vec<bool> = {
                let mut items = vec![self.statesub.as_poll_item(PollEvents::POLLIN)];
                if let Some(voter) = &self.voter {
                    items.push(voter.as_poll_item(PollEvents::POLLIN));
                }
                for (socket, _) in &pollers {
                    items.push(socket.as_poll_item(PollEvents::POLLIN));
                }
                let timeout = due.saturating_duration_since(Instant::now());
                zmq::poll(&mut items, timeout.as_micros().div_ceil(1000) as i64)?;
                items.iter().map(zmq::PollItem::is_readable).collect()
            };

            if ready[0] && self.recv_state(app)? {
                break; //  Error, so exit
            }
            if ready.get(1).copied().unwrap_or(false) {
                self.voter_ready(app)?;
            }
            for ((socket, handler), ready) in pollers.iter().zip(&ready[2..]) {
                //  (unless an earlier handler ended this poller)
                if *ready && self.zloop.polls(socket) {
                    handler(&mut self.zloop, Some(socket), app)?;
                }
            }
            //  Timers that are due, in the order they were added
            let now = Instant::now();
            let mut index = 0;
            while index < self.zloop.timers.len() {
                let timer = &mut self.zloop.timers[index];
                if timer.due > now {
                    index += 1;
                    continue;
                }
                let handler = timer.handler;
                timer.due = now + timer.delay;
                let last = timer.times == 1;
                timer.times = timer.times.saturating_sub(1);
                if last {
                    self.zloop.timers.remove(index);
                } else {
                    index += 1;
                }
                handler(&mut self.zloop, None, app)?;
            }
            //  Our own timer: publish our state to peer
            if Instant::now() >= send_state_at {
                self.send_state()?;
                send_state_at = Instant::now() + self.heartbeat;
            }
        }
        Ok(())
    }
}
