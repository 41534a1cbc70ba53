//! [`PeerTracker`]: who is connected to a socket, kept up to date from its monitor
//! events, to query or to wait on.
//!
//! The user documentation, including what libzmq's events can and cannot tell,
//! is on [`PeerTracker`] (this module is private).

use std::collections::{HashMap, VecDeque};
use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError};
use std::thread::JoinHandle;
use std::time::{Duration, Instant, SystemTime};

use crate::error::{Error, Result};
#[cfg(not(feature = "draft"))]
use crate::monitor::MonitorEvent;
use crate::monitor::{Monitor, MonitorEvents};
use crate::poll::{poll, PollEvents};
use crate::socket::{RecvFlags, SendFlags, Socket, SocketType};
use crate::sockopt::Mechanism;

/// Which side made a connection.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum PeerDirection {
    /// The peer connected to an endpoint this socket is bound to.
    Accepted,
    /// This socket connected to the peer.
    Connected,
}

/// One peer connected to a tracked socket, whose handshake succeeded.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Peer {
    /// Distinguishes connections: a peer that reconnects gets a new id.
    pub id: u64,
    /// Whether the peer connected to us or we to it.
    pub direction: PeerDirection,
    /// The endpoint of this socket the connection belongs to: the bound endpoint
    /// (as `get_last_endpoint` gives it, e.g. `tcp://0.0.0.0:5555` for a wildcard
    /// bind) or the endpoint given to `connect`.
    pub endpoint: String,
    /// This end of the connection (`tcp://127.0.0.1:5555`), when known.
    pub local_address: Option<String>,
    /// The peer's end (`tcp://127.0.0.1:43210`), when known (see the module
    /// docs for when it is not).
    pub remote_address: Option<String>,
    /// The security mechanism of the handshake (see the module docs).
    pub mechanism: Mechanism,
    /// When the tracker saw the handshake succeed.
    pub since: SystemTime,
    /// The same moment on the monotonic clock, for measuring durations.
    pub connected_at: Instant,
}

/// Counts of what a [`PeerTracker`] has seen since it started.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct PeerStats {
    /// Connections made (`ACCEPTED` and `CONNECTED`).
    pub connections: u64,
    /// Handshakes that succeeded.
    pub handshakes: u64,
    /// Handshakes that failed (protocol errors, authentication, no detail).
    pub handshake_failures: u64,
    /// Connections that ended: `DISCONNECTED`, and those ended with their listener
    /// (`unbind`) or forgotten.
    pub disconnections: u64,
}

/// A connection as the tracker follows it.
#[derive(Clone, Debug)]
struct Connection {
    id: u64,
    fd: i64,
    direction: PeerDirection,
    /// What the handshake events of this connection name (see `handshake_key`).
    handshake_key: String,
    endpoint: String,
    local: Option<String>,
    remote: Option<String>,
    mechanism: Mechanism,
    state: HandshakeState,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum HandshakeState {
    Pending,
    Succeeded(SystemTime, Instant),
    Failed,
}

#[derive(Clone, Debug)]
struct Listener {
    endpoint: String,
    fd: i64,
}

/// Everything the tracker knows, behind one mutex.
#[derive(Debug)]
struct State {
    connections: Vec<Connection>,
    listeners: Vec<Listener>,
    /// Handshake outcomes seen before their connection (possible with several
    /// I/O threads): key -> successes not yet matched.
    early_successes: HashMap<String, usize>,
    /// Fds whose `DISCONNECTED` came before their `ACCEPTED`/`CONNECTED`.
    early_disconnects: Vec<i64>,
    /// The mechanism of connections whose endpoint was not bound or connected
    /// through the tracker.
    default_mechanism: Mechanism,
    /// Endpoint -> mechanism, as recorded by `PeerTracker::bind`/`connect`.
    mechanisms: HashMap<String, Mechanism>,
    next_id: u64,
    generation: u64,
    stats: PeerStats,
    stopped: bool,
}

impl State {
    fn peers(&self) -> Vec<Peer> {
        self.connections
            .iter()
            .filter_map(|c| match c.state {
                HandshakeState::Succeeded(since, at) => Some(Peer {
                    id: c.id,
                    direction: c.direction,
                    endpoint: c.endpoint.clone(),
                    local_address: c.local.clone(),
                    remote_address: c.remote.clone(),
                    mechanism: c.mechanism,
                    since,
                    connected_at: at,
                }),
                _ => None,
            })
            .collect()
    }

    fn changed(&mut self) {
        self.generation += 1;
    }

    fn remove_where(&mut self, mut gone: impl FnMut(&Connection) -> bool) -> usize {
        let before = self.connections.len();
        self.connections.retain(|c| !gone(c));
        let removed = before - self.connections.len();
        self.stats.disconnections += removed as u64;
        removed
    }
}

#[derive(Debug)]
struct Shared {
    state: Mutex<State>,
    changed: Condvar,
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, State> {
        // The tracker thread never panics while holding the lock (nothing it does
        // there can), and every update leaves the state whole: a poisoned lock is
        // still good to use.
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// Tracks the live peers of one socket from its monitor events: which peers are
/// connected (handshake done), through which endpoint, from which address, since
/// when and with which security mechanism. Query it from any thread, or wait (with
/// a bound) until the peers are as you need them.
///
/// It takes the socket's monitor (libzmq allows one per socket: a later
/// `monitor_socket` on the socket would take it over) and reads the events on a
/// thread of its own, so it is `Send + Sync` and needs no polling. Make it before
/// the socket binds or connects (earlier connections are not seen), after its
/// security options are set (see *Mechanism* below), and bind, connect and
/// disconnect through it where you can. The last section says what libzmq's events
/// can and cannot tell.
///
/// ```
/// use std::time::Duration;
/// let ctx = zmq::Context::new()?;
/// let server = ctx.socket(zmq::ROUTER)?;
/// let tracker = zmq::PeerTracker::new(&server)?;
/// let endpoint = tracker.bind(&server, "tcp://127.0.0.1:*")?;
///
/// let client = ctx.socket(zmq::DEALER)?;
/// client.connect(&endpoint)?;
/// let peers = tracker
///     .wait_for_count(1, Duration::from_secs(30))
///     .expect("the client within 30 s");
/// assert_eq!(peers[0].direction, zmq::PeerDirection::Accepted);
/// assert_eq!(peers[0].endpoint, endpoint);
/// assert_eq!(peers[0].mechanism, zmq::Mechanism::Null);
/// # #[cfg(unix)]
/// assert!(peers[0].remote_address.as_deref().unwrap().starts_with("tcp://127.0.0.1:"));
///
/// drop(client); // closes the connection: the tracker sees it go
/// assert!(tracker.wait_for_count(0, Duration::from_secs(30)).is_some());
/// # Ok::<(), zmq::Error>(())
/// ```
///
/// # What libzmq's events can and cannot tell
///
/// A connection shows up as `ACCEPTED` (bind side) or `CONNECTED` (connect side)
/// with its OS socket, then `HANDSHAKE_SUCCEEDED` (or a `HANDSHAKE_FAILED_*`), and
/// ends with `DISCONNECTED` when the peer goes or the connection fails
/// (`stream_engine_base_t::error`). From that:
///
/// * **Identity of a connection.** The OS socket (fd) of `ACCEPTED`, `CONNECTED`
///   and `DISCONNECTED` names a connection while it lives (libzmq closes it only
///   after `DISCONNECTED` is queued, so a reused number means the old connection is
///   gone). The handshake events carry no fd: with the draft API the tracker reads
///   format 2 events, which name both ends of the connection, and matches them
///   exactly; with format 1 they name only the listening or connected endpoint,
///   and when several peers of one endpoint are mid-handshake at once, the tracker
///   assumes they finish in the order they connected.
/// * **Remote address.** Format 2 events carry it (`tcp://ip:port` of the peer
///   for accepted connections). Otherwise the tracker asks the OS for the
///   addresses of the event's socket (`getpeername`/`getsockname`, Unix), and keeps
///   them only if they match what the event says (the local address, the
///   connected port) and the connection did not end before it looked: a number
///   reused by a newer connection cannot give a wrong address. Unknown (`None`)
///   otherwise, and for IPC peers and on Windows in format 1.
/// * **Mechanism.** No event names it. libzmq fixes a connection's mechanism from
///   the socket's options when `bind`/`connect` is called, so the tracker takes
///   `ZMQ_MECHANISM` when you bind or connect through it ([`PeerTracker::bind`],
///   [`PeerTracker::connect`]), and else the socket's mechanism when the tracker
///   was made.
/// * **Connected since.** When the tracker saw the handshake succeed: events carry
///   no time; the tracker's thread reads them as they come.
/// * **What libzmq does not report.** Connections this socket ends itself:
///   `disconnect` closes a connection without any event on this side (use
///   [`PeerTracker::disconnect`], or [`PeerTracker::forget`] after
///   `Socket::disconnect`); `unbind` ends the listener's connections with one
///   `CLOSED` event for the listener, which the tracker applies to them. Inproc
///   connections have no events at all and are not seen. A peer that vanishes
///   without closing its TCP connection (power loss, a cut cable) is seen only
///   when libzmq notices: set `ZMQ_HEARTBEAT_IVL` (or TCP keepalive) for that. A
///   killed process is seen at once: its kernel closes the connection.
pub struct PeerTracker {
    shared: Arc<Shared>,
    /// Connected to the tracker thread's wake socket; in a mutex only so that the
    /// tracker is `Sync` (it is used in `Drop` alone).
    waker: Mutex<Option<Socket>>,
    thread: Option<JoinHandle<()>>,
}

impl fmt::Debug for PeerTracker {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let state = self.shared.lock();
        f.debug_struct("PeerTracker")
            .field("peers", &state.peers())
            .field("stats", &state.stats)
            .field("stopped", &state.stopped)
            .finish()
    }
}

/// Distinguishes the wake endpoints of trackers.
static TRACKER_SEQUENCE: AtomicU64 = AtomicU64::new(0);

impl PeerTracker {
    /// Starts tracking `socket`: monitors it (format 2 events with the `draft`
    /// feature, else format 1) and starts the thread that reads the events. The
    /// socket's current `ZMQ_MECHANISM` is the mechanism of connections made
    /// through endpoints not bound or connected through the tracker.
    ///
    /// Errors are those of `zmq_socket_monitor` (`ETERM`, `EMFILE`), and of
    /// starting a thread.
    pub fn new(socket: &Socket) -> Result<PeerTracker> {
        let mechanism = socket.get_mechanism()?;
        let monitor = start_monitor(socket)?;
        let ctx = socket.context();
        let endpoint = format!(
            "inproc://zmq-rs-peer-tracker-{}-{}",
            std::process::id(),
            TRACKER_SEQUENCE.fetch_add(1, Ordering::Relaxed)
        );
        let wake_rx = ctx.socket(SocketType::Pair)?;
        wake_rx.set_linger(0)?;
        wake_rx.bind(&endpoint)?;
        let waker = ctx.socket(SocketType::Pair)?;
        waker.set_linger(0)?;
        waker.connect(&endpoint)?;
        let shared = Arc::new(Shared {
            state: Mutex::new(State {
                connections: Vec::new(),
                listeners: Vec::new(),
                early_successes: HashMap::new(),
                early_disconnects: Vec::new(),
                default_mechanism: mechanism,
                mechanisms: HashMap::new(),
                next_id: 1,
                generation: 0,
                stats: PeerStats::default(),
                stopped: false,
            }),
            changed: Condvar::new(),
        });
        let thread_shared = Arc::clone(&shared);
        // The sockets go to the thread through a channel (a synchronising hand-off,
        // which `Socket: Send` relies on), so that they are still ours if the spawn
        // fails.
        let (tx, rx) = std::sync::mpsc::channel::<(Monitor, Socket)>();
        let thread = std::thread::Builder::new()
            .name("zmq-peer-tracker".into())
            .spawn(move || {
                if let Ok((monitor, wake)) = rx.recv() {
                    run(&monitor, &wake, &thread_shared);
                }
            })
            .map_err(|e| Error::from_raw(e.raw_os_error().unwrap_or(libc::EAGAIN)))?;
        if tx.send((monitor, wake_rx)).is_err() {
            let _ = thread.join();
            return Err(Error::EFAULT);
        }
        Ok(PeerTracker {
            shared,
            waker: Mutex::new(Some(waker)),
            thread: Some(thread),
        })
    }

    /// Binds `socket` to `endpoint` (`zmq_bind`) and records the socket's
    /// mechanism for the connections it will accept there; returns the bound
    /// endpoint (`get_last_endpoint`, e.g. with the port a `*` resolved to).
    pub fn bind(&self, socket: &Socket, endpoint: &str) -> Result<String> {
        let mechanism = socket.get_mechanism()?;
        socket.bind(endpoint)?;
        let bound = socket.get_last_endpoint()?;
        self.shared
            .lock()
            .mechanisms
            .insert(bound.clone(), mechanism);
        Ok(bound)
    }

    /// Connects `socket` to `endpoint` (`zmq_connect`) and records the socket's
    /// mechanism for that connection (and its reconnections).
    pub fn connect(&self, socket: &Socket, endpoint: &str) -> Result<()> {
        let mechanism = socket.get_mechanism()?;
        self.shared
            .lock()
            .mechanisms
            .insert(endpoint.to_owned(), mechanism);
        socket.connect(endpoint)
    }

    /// Disconnects `socket` from `endpoint` (`zmq_disconnect`) and forgets the
    /// peer connected through it: libzmq reports no event for a connection the
    /// socket closes itself. (libzmq closes the connection as the socket processes
    /// the disconnect's commands, which happens inside its later calls: the peer
    /// sees it go then.)
    pub fn disconnect(&self, socket: &Socket, endpoint: &str) -> Result<()> {
        socket.disconnect(endpoint)?;
        self.forget(endpoint);
        Ok(())
    }

    /// Forgets every connection made through `endpoint` (connected to it, or
    /// accepted on it), e.g. after `Socket::disconnect(endpoint)`, for which libzmq
    /// reports nothing on this side. Returns how many were forgotten.
    pub fn forget(&self, endpoint: &str) -> usize {
        let mut state = self.shared.lock();
        let removed = state.remove_where(|c| c.endpoint == endpoint);
        state.mechanisms.remove(endpoint);
        if removed > 0 {
            state.changed();
            self.shared.changed.notify_all();
        }
        removed
    }

    /// The peers connected now (handshake done), oldest first.
    pub fn peers(&self) -> Vec<Peer> {
        self.shared.lock().peers()
    }

    /// How many peers are connected now.
    pub fn count(&self) -> usize {
        self.shared
            .lock()
            .connections
            .iter()
            .filter(|c| matches!(c.state, HandshakeState::Succeeded(..)))
            .count()
    }

    /// Connections whose handshake is under way.
    pub fn handshaking(&self) -> usize {
        self.shared
            .lock()
            .connections
            .iter()
            .filter(|c| c.state == HandshakeState::Pending)
            .count()
    }

    /// What the tracker has counted since it started.
    pub fn stats(&self) -> PeerStats {
        self.shared.lock().stats
    }

    /// A number that changes whenever the peers (or the counts) change, for
    /// [`PeerTracker::wait_for_change`].
    pub fn generation(&self) -> u64 {
        self.shared.lock().generation
    }

    /// Whether tracking has ended: the socket was closed (or its monitor taken
    /// over, or the context shut down). The peers are then empty.
    pub fn is_stopped(&self) -> bool {
        self.shared.lock().stopped
    }

    /// Waits until `ready` holds for the connected peers, at most `timeout`:
    /// `Some(peers)` when it does, `None` on timeout or when tracking has ended
    /// with `ready` still false.
    pub fn wait_until(
        &self,
        timeout: Duration,
        mut ready: impl FnMut(&[Peer]) -> bool,
    ) -> Option<Vec<Peer>> {
        let deadline = Instant::now().checked_add(timeout);
        let mut state = self.shared.lock();
        loop {
            let peers = state.peers();
            if ready(&peers) {
                return Some(peers);
            }
            if state.stopped {
                return None;
            }
            state = match deadline {
                None => self
                    .shared
                    .changed
                    .wait(state)
                    .unwrap_or_else(PoisonError::into_inner),
                Some(deadline) => {
                    let left = deadline.saturating_duration_since(Instant::now());
                    if left.is_zero() {
                        return None;
                    }
                    self.shared
                        .changed
                        .wait_timeout(state, left)
                        .unwrap_or_else(PoisonError::into_inner)
                        .0
                }
            };
        }
    }

    /// Waits until exactly `count` peers are connected, at most `timeout`:
    /// `Some(peers)`, or `None` on timeout.
    pub fn wait_for_count(&self, count: usize, timeout: Duration) -> Option<Vec<Peer>> {
        self.wait_until(timeout, |peers| peers.len() == count)
    }

    /// Waits until the [`generation`](PeerTracker::generation) differs from
    /// `seen`, at most `timeout`; returns the new generation, or `None` on
    /// timeout or once tracking has ended.
    pub fn wait_for_change(&self, seen: u64, timeout: Duration) -> Option<u64> {
        let deadline = Instant::now().checked_add(timeout);
        let mut state = self.shared.lock();
        loop {
            if state.generation != seen {
                return Some(state.generation);
            }
            if state.stopped {
                return None;
            }
            let left = match deadline {
                Some(d) => d.saturating_duration_since(Instant::now()),
                None => Duration::from_secs(3600),
            };
            if left.is_zero() {
                return None;
            }
            state = self
                .shared
                .changed
                .wait_timeout(state, left)
                .unwrap_or_else(PoisonError::into_inner)
                .0;
        }
    }
}

impl Drop for PeerTracker {
    fn drop(&mut self) {
        let waker = self
            .waker
            .get_mut()
            .unwrap_or_else(PoisonError::into_inner)
            .take();
        if let Some(waker) = &waker {
            // Wakes the thread; if this fails (ETERM), its poll fails with ETERM too.
            let _ = waker.send("stop", SendFlags::DONTWAIT);
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
        drop(waker);
    }
}

/// The monitor the tracker reads: format 2 with the draft API (both ends of each
/// connection), else format 1.
fn start_monitor(socket: &Socket) -> Result<Monitor> {
    let events = MonitorEvents::LISTENING
        | MonitorEvents::ACCEPTED
        | MonitorEvents::CONNECTED
        | MonitorEvents::CLOSED
        | MonitorEvents::DISCONNECTED
        | MonitorEvents::HANDSHAKE_SUCCEEDED
        | MonitorEvents::HANDSHAKE_FAILED_NO_DETAIL
        | MonitorEvents::HANDSHAKE_FAILED_PROTOCOL
        | MonitorEvents::HANDSHAKE_FAILED_AUTH;
    #[cfg(feature = "draft")]
    return socket.monitor_socket_versioned(events, crate::monitor::EventVersion::V2);
    #[cfg(not(feature = "draft"))]
    return socket.monitor_socket(events);
}

/// One event, from either format.
#[derive(Debug)]
struct Event {
    kind: MonitorEvents,
    /// The fd (or other value) of the event.
    value: u64,
    /// Format 1: the endpoint; format 2: the local endpoint.
    local: String,
    /// Format 2: the remote endpoint; format 1: `None`.
    remote: Option<String>,
}

impl Event {
    /// What the handshake events of this connection carry, to match them.
    fn handshake_key(&self) -> String {
        match &self.remote {
            Some(remote) => format!("{} {}", self.local, remote),
            None => self.local.clone(),
        }
    }
}

/// Receives every event queued on the monitor, without waiting.
fn drain(monitor: &Monitor, into: &mut VecDeque<Event>) -> Result<()> {
    loop {
        match recv_event(monitor) {
            Ok(Some(event)) => into.push_back(event),
            Ok(None) => return Ok(()),
            // A message that is not an event (cannot come from libzmq): skip it.
            Err(Error::EPROTO) => {}
            Err(Error::EINTR) => {}
            Err(e) => return Err(e),
        }
    }
}

fn recv_event(monitor: &Monitor) -> Result<Option<Event>> {
    #[cfg(feature = "draft")]
    {
        match monitor.recv_v2(RecvFlags::DONTWAIT) {
            Ok(e) => {
                let value = e.values.first().copied().unwrap_or(0);
                Ok(Some(Event {
                    kind: e.event_type(),
                    value,
                    local: e.local,
                    remote: Some(e.remote),
                }))
            }
            Err(Error::EAGAIN) => Ok(None),
            Err(e) => Err(e),
        }
    }
    #[cfg(not(feature = "draft"))]
    {
        match monitor.recv(RecvFlags::DONTWAIT) {
            Ok(e) => Ok(Some(v1_event(e))),
            Err(Error::EAGAIN) => Ok(None),
            Err(e) => Err(e),
        }
    }
}

#[cfg(not(feature = "draft"))]
fn v1_event(e: MonitorEvent) -> Event {
    let kind = e.event_type();
    let local = e.endpoint().to_owned();
    let value = match e {
        MonitorEvent::Connected { fd, .. }
        | MonitorEvent::Listening { fd, .. }
        | MonitorEvent::Accepted { fd, .. }
        | MonitorEvent::Closed { fd, .. }
        | MonitorEvent::Disconnected { fd, .. } => fd as i64 as u64,
        _ => 0,
    };
    Event {
        kind,
        value,
        local,
        remote: None,
    }
}

/// The tracker thread: waits for events (or the wake-up of `Drop`), applies them,
/// tells the waiters.
fn run(monitor: &Monitor, wake: &Socket, shared: &Shared) {
    let mut queue = VecDeque::new();
    loop {
        let mut items = [
            monitor.socket().as_poll_item(PollEvents::POLLIN),
            wake.as_poll_item(PollEvents::POLLIN),
        ];
        match poll(&mut items, -1) {
            Ok(_) => {}
            Err(Error::EINTR) => continue,
            Err(_) => break, // ETERM: the context is going away
        }
        if items[1].is_readable() {
            return;
        }
        if drain(monitor, &mut queue).is_err() {
            break;
        }
        while let Some(event) = queue.pop_front() {
            let addresses = os_addresses(&event, monitor, &mut queue);
            let mut state = shared.lock();
            apply(&mut state, &event, addresses);
            state.changed();
            let stopped = state.stopped;
            drop(state);
            shared.changed.notify_all();
            if stopped {
                return;
            }
        }
    }
    // Tracking ended without MONITOR_STOPPED (the context shut down).
    let mut state = shared.lock();
    state.stopped = true;
    state.connections.clear();
    state.changed();
    drop(state);
    shared.changed.notify_all();
}

/// For a new connection, its local and remote addresses as the OS reports them,
/// when they are trustworthy (see the module docs); `(None, None)` otherwise.
fn os_addresses(
    event: &Event,
    monitor: &Monitor,
    queue: &mut VecDeque<Event>,
) -> (Option<String>, Option<String>) {
    let new_connection =
        event.kind == MonitorEvents::ACCEPTED || event.kind == MonitorEvents::CONNECTED;
    if !new_connection {
        return (None, None);
    }
    let fd = event.value as i64;
    let ended = |queue: &VecDeque<Event>| {
        queue
            .iter()
            .any(|e| e.kind == MonitorEvents::DISCONNECTED && e.value as i64 == fd)
    };
    if ended(queue) {
        return (None, None);
    }
    let Some((local, remote)) = os::socket_addresses(fd) else {
        return (None, None);
    };
    // The fd may have been closed and reused since the event was sent; libzmq
    // queues DISCONNECTED before it closes the fd, so a look at the queue *after*
    // asking the OS tells whether the answer may be of another connection.
    let _ = drain(monitor, queue);
    if ended(queue) {
        return (None, None);
    }
    let scheme = event
        .local
        .split_once("://")
        .map_or("tcp", |(scheme, _)| scheme);
    if !matches!(scheme, "tcp" | "ws") {
        return (None, None);
    }
    let local = format!("{scheme}://{local}");
    let remote = format!("{scheme}://{remote}");
    // What the event itself says must match: the local address for accepted
    // connections (format 1 and 2) and for connected ones in format 2.
    let local_ok = match (&event.remote, event.kind == MonitorEvents::ACCEPTED) {
        (Some(_), _) | (None, true) => same_address(&event.local, &local),
        (None, false) => true,
    };
    // For a connected peer, the port the socket connected to (hosts may be
    // names).
    let port_ok = if event.kind == MonitorEvents::CONNECTED {
        let target = event.remote.as_deref().unwrap_or(&event.local);
        port_of(target).is_some() && port_of(target) == port_of(&remote)
    } else {
        true
    };
    if local_ok && port_ok {
        (Some(local), Some(remote))
    } else {
        (None, None)
    }
}

/// Whether two `scheme://host:port` addresses are the same (ignoring a path).
fn same_address(a: &str, b: &str) -> bool {
    let strip = |s: &str| -> String {
        let rest = s.split_once("://").map_or(s, |(_, r)| r);
        rest.split('/').next().unwrap_or(rest).to_owned()
    };
    strip(a) == strip(b)
}

/// The port of `scheme://host:port[/path]`.
fn port_of(address: &str) -> Option<u16> {
    let rest = address.split_once("://").map_or(address, |(_, r)| r);
    let host_port = rest.split('/').next()?;
    host_port.rsplit_once(':')?.1.parse().ok()
}

/// The listener an accepted connection with local address `local` came through.
fn listener_endpoint(listeners: &[Listener], local: &str) -> Option<String> {
    if let Some(l) = listeners.iter().find(|l| same_address(&l.endpoint, local)) {
        return Some(l.endpoint.clone());
    }
    // A wildcard bind (tcp://0.0.0.0:port, tcp://[::]:port): same scheme and port.
    let scheme = |s: &str| s.split_once("://").map(|(sc, _)| sc.to_owned());
    listeners
        .iter()
        .find(|l| {
            let host = l
                .endpoint
                .split_once("://")
                .map_or("", |(_, r)| r)
                .rsplit_once(':')
                .map_or("", |(h, _)| h);
            matches!(host, "0.0.0.0" | "[::]" | "*")
                && scheme(&l.endpoint) == scheme(local)
                && port_of(&l.endpoint) == port_of(local)
        })
        .map(|l| l.endpoint.clone())
}

/// Applies one event to the state.
fn apply(state: &mut State, event: &Event, os: (Option<String>, Option<String>)) {
    let fd = event.value as i64;
    let kind = event.kind;
    if kind == MonitorEvents::LISTENING {
        state.listeners.push(Listener {
            endpoint: event.local.clone(),
            fd,
        });
    } else if kind == MonitorEvents::ACCEPTED || kind == MonitorEvents::CONNECTED {
        state.stats.connections += 1;
        // A connection with this fd still on the list is gone (its fd was reused).
        state.connections.retain(|c| c.fd != fd);
        if let Some(at) = state.early_disconnects.iter().position(|&f| f == fd) {
            state.early_disconnects.swap_remove(at);
            state.stats.disconnections += 1;
            return;
        }
        let direction = if kind == MonitorEvents::ACCEPTED {
            PeerDirection::Accepted
        } else {
            PeerDirection::Connected
        };
        let (os_local, os_remote) = os;
        let (endpoint, local, remote) = match (direction, &event.remote) {
            // Format 2: both ends from the event.
            (PeerDirection::Accepted, Some(remote)) => (
                listener_endpoint(&state.listeners, &event.local)
                    .unwrap_or_else(|| event.local.clone()),
                Some(event.local.clone()),
                Some(remote.clone()),
            ),
            (PeerDirection::Connected, Some(target)) => {
                (target.clone(), Some(event.local.clone()), os_remote)
            }
            // Format 1: the endpoint from the event, the addresses from the OS.
            (PeerDirection::Accepted, None) => (
                listener_endpoint(&state.listeners, &event.local)
                    .unwrap_or_else(|| event.local.clone()),
                Some(event.local.clone()),
                os_remote,
            ),
            (PeerDirection::Connected, None) => (event.local.clone(), os_local, os_remote),
        };
        let mechanism = state
            .mechanisms
            .get(&endpoint)
            .copied()
            .unwrap_or(state.default_mechanism);
        let key = event.handshake_key();
        let mut conn = Connection {
            id: state.next_id,
            fd,
            direction,
            handshake_key: key.clone(),
            endpoint,
            local,
            remote,
            mechanism,
            state: HandshakeState::Pending,
        };
        state.next_id += 1;
        if let Some(n) = state.early_successes.get_mut(&key) {
            *n -= 1;
            if *n == 0 {
                state.early_successes.remove(&key);
            }
            conn.state = HandshakeState::Succeeded(SystemTime::now(), Instant::now());
        }
        state.connections.push(conn);
    } else if kind == MonitorEvents::HANDSHAKE_SUCCEEDED {
        state.stats.handshakes += 1;
        let key = event.handshake_key();
        let pending = state
            .connections
            .iter_mut()
            .find(|c| c.state == HandshakeState::Pending && c.handshake_key == key);
        match pending {
            Some(c) => c.state = HandshakeState::Succeeded(SystemTime::now(), Instant::now()),
            None => *state.early_successes.entry(key).or_insert(0) += 1,
        }
    } else if kind == MonitorEvents::HANDSHAKE_FAILED_NO_DETAIL
        || kind == MonitorEvents::HANDSHAKE_FAILED_PROTOCOL
        || kind == MonitorEvents::HANDSHAKE_FAILED_AUTH
    {
        state.stats.handshake_failures += 1;
        // Format 2 names the connection: mark it. Format 1 names only the endpoint;
        // the DISCONNECTED that follows (with the fd) removes the right one.
        if event.remote.is_some() {
            let key = event.handshake_key();
            if let Some(c) = state
                .connections
                .iter_mut()
                .find(|c| c.state == HandshakeState::Pending && c.handshake_key == key)
            {
                c.state = HandshakeState::Failed;
            }
        }
    } else if kind == MonitorEvents::DISCONNECTED {
        if state.remove_where(|c| c.fd == fd) == 0 {
            state.early_disconnects.push(fd);
        }
    } else if kind == MonitorEvents::CLOSED {
        // A listener closed (unbind, or the socket closing): libzmq ends the
        // connections it accepted with it, without DISCONNECTED events.
        if let Some(at) = state
            .listeners
            .iter()
            .position(|l| l.fd == fd && same_address(&l.endpoint, &event.local))
        {
            let listener = state.listeners.remove(at);
            state.remove_where(|c| {
                c.direction == PeerDirection::Accepted && c.endpoint == listener.endpoint
            });
        }
    } else if kind == MonitorEvents::MONITOR_STOPPED {
        state.stopped = true;
        let live = state.connections.len() as u64;
        state.stats.disconnections += live;
        state.connections.clear();
        state.listeners.clear();
    }
}

/// The addresses of a connection's OS socket.
#[cfg(unix)]
mod os {
    use std::mem::MaybeUninit;
    use std::net::{Ipv4Addr, Ipv6Addr, SocketAddr, SocketAddrV4, SocketAddrV6};

    /// `(local, remote)` of the socket `fd`, for IPv4 and IPv6 sockets.
    pub(super) fn socket_addresses(fd: i64) -> Option<(SocketAddr, SocketAddr)> {
        let fd = libc::c_int::try_from(fd).ok()?;
        Some((address(fd, false)?, address(fd, true)?))
    }

    fn address(fd: libc::c_int, peer: bool) -> Option<SocketAddr> {
        let mut storage = MaybeUninit::<libc::sockaddr_storage>::zeroed();
        let mut len = std::mem::size_of::<libc::sockaddr_storage>() as libc::socklen_t;
        let ptr = storage.as_mut_ptr().cast::<libc::sockaddr>();
        let rc = if peer {
            // SAFETY: `ptr` points to a sockaddr_storage of `len` bytes, large enough
            // for any address; the call writes at most `len` bytes and updates `len`.
            // A closed or foreign fd only makes it fail (EBADF, ENOTSOCK).
            unsafe { libc::getpeername(fd, ptr, &mut len) }
        } else {
            // SAFETY: as for getpeername above.
            unsafe { libc::getsockname(fd, ptr, &mut len) }
        };
        if rc != 0 {
            return None;
        }
        // SAFETY: zeroed above, and partly overwritten by the OS: every bit pattern
        // is a valid sockaddr_storage (plain integers).
        let storage = unsafe { storage.assume_init() };
        match libc::c_int::from(storage.ss_family) {
            libc::AF_INET => {
                // SAFETY: the OS says this is an AF_INET address, stored at the start
                // of a sockaddr_storage, which is aligned and large enough for any
                // sockaddr type.
                let sin = unsafe {
                    &*(&storage as *const libc::sockaddr_storage).cast::<libc::sockaddr_in>()
                };
                Some(SocketAddr::V4(SocketAddrV4::new(
                    Ipv4Addr::from(u32::from_be(sin.sin_addr.s_addr)),
                    u16::from_be(sin.sin_port),
                )))
            }
            libc::AF_INET6 => {
                // SAFETY: as above, for AF_INET6.
                let sin6 = unsafe {
                    &*(&storage as *const libc::sockaddr_storage).cast::<libc::sockaddr_in6>()
                };
                Some(SocketAddr::V6(SocketAddrV6::new(
                    Ipv6Addr::from(sin6.sin6_addr.s6_addr),
                    u16::from_be(sin6.sin6_port),
                    u32::from_be(sin6.sin6_flowinfo),
                    sin6.sin6_scope_id,
                )))
            }
            _ => None,
        }
    }
}

/// Windows: format 1 events give no way to the addresses here.
#[cfg(not(unix))]
mod os {
    pub(super) fn socket_addresses(
        _fd: i64,
    ) -> Option<(std::net::SocketAddr, std::net::SocketAddr)> {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn state() -> State {
        State {
            connections: Vec::new(),
            listeners: Vec::new(),
            early_successes: HashMap::new(),
            early_disconnects: Vec::new(),
            default_mechanism: Mechanism::Null,
            mechanisms: HashMap::new(),
            next_id: 1,
            generation: 0,
            stats: PeerStats::default(),
            stopped: false,
        }
    }

    fn ev(kind: MonitorEvents, value: u64, local: &str, remote: Option<&str>) -> Event {
        Event {
            kind,
            value,
            local: local.into(),
            remote: remote.map(Into::into),
        }
    }

    const L: &str = "tcp://127.0.0.1:5555";

    #[test]
    fn format_1_handshakes_are_matched_in_connection_order() {
        let mut s = state();
        apply(
            &mut s,
            &ev(MonitorEvents::LISTENING, 3, L, None),
            (None, None),
        );
        apply(
            &mut s,
            &ev(MonitorEvents::ACCEPTED, 10, L, None),
            (None, None),
        );
        apply(
            &mut s,
            &ev(MonitorEvents::ACCEPTED, 11, L, None),
            (None, None),
        );
        assert!(s.peers().is_empty());
        apply(
            &mut s,
            &ev(MonitorEvents::HANDSHAKE_SUCCEEDED, 0, L, None),
            (None, None),
        );
        let peers = s.peers();
        assert_eq!(peers.len(), 1);
        assert_eq!((peers[0].id, peers[0].endpoint.as_str()), (1, L));
        // A failure names no fd: the following DISCONNECTED removes fd 11.
        apply(
            &mut s,
            &ev(MonitorEvents::HANDSHAKE_FAILED_AUTH, 400, L, None),
            (None, None),
        );
        apply(
            &mut s,
            &ev(MonitorEvents::DISCONNECTED, 11, L, None),
            (None, None),
        );
        assert_eq!(s.connections.len(), 1);
        // The listener closes (unbind): its connections end with it.
        apply(&mut s, &ev(MonitorEvents::CLOSED, 3, L, None), (None, None));
        assert!(s.connections.is_empty());
        assert_eq!(
            s.stats,
            PeerStats {
                connections: 2,
                handshakes: 1,
                handshake_failures: 1,
                disconnections: 2
            }
        );
    }

    #[test]
    fn format_2_handshakes_are_matched_by_both_ends() {
        let mut s = state();
        let (a, b) = ("tcp://127.0.0.1:40001", "tcp://127.0.0.1:40002");
        apply(
            &mut s,
            &ev(MonitorEvents::LISTENING, 3, "tcp://0.0.0.0:5555", Some("")),
            (None, None),
        );
        apply(
            &mut s,
            &ev(MonitorEvents::ACCEPTED, 10, L, Some(a)),
            (None, None),
        );
        apply(
            &mut s,
            &ev(MonitorEvents::ACCEPTED, 11, L, Some(b)),
            (None, None),
        );
        // The second finishes first: matched exactly.
        apply(
            &mut s,
            &ev(MonitorEvents::HANDSHAKE_SUCCEEDED, 0, L, Some(b)),
            (None, None),
        );
        let peers = s.peers();
        assert_eq!(peers.len(), 1);
        assert_eq!(peers[0].remote_address.as_deref(), Some(b));
        assert_eq!(
            peers[0].endpoint, "tcp://0.0.0.0:5555",
            "the wildcard listener"
        );
        apply(
            &mut s,
            &ev(MonitorEvents::HANDSHAKE_FAILED_PROTOCOL, 1, L, Some(a)),
            (None, None),
        );
        assert_eq!(s.peers().len(), 1);
        apply(
            &mut s,
            &ev(MonitorEvents::DISCONNECTED, 10, L, Some(a)),
            (None, None),
        );
        assert_eq!(s.connections.len(), 1);
    }

    #[test]
    fn early_outcomes_and_reused_fds() {
        let mut s = state();
        // Handshake before ACCEPTED (another I/O thread), DISCONNECTED before the
        // ACCEPTED of another fd.
        apply(
            &mut s,
            &ev(MonitorEvents::HANDSHAKE_SUCCEEDED, 0, L, None),
            (None, None),
        );
        apply(
            &mut s,
            &ev(MonitorEvents::ACCEPTED, 10, L, None),
            (None, None),
        );
        assert_eq!(s.peers().len(), 1);
        apply(
            &mut s,
            &ev(MonitorEvents::DISCONNECTED, 12, L, None),
            (None, None),
        );
        apply(
            &mut s,
            &ev(MonitorEvents::ACCEPTED, 12, L, None),
            (None, None),
        );
        assert_eq!(s.connections.len(), 1);
        // fd 10 reused by a new connection: the old one is gone.
        apply(
            &mut s,
            &ev(MonitorEvents::CONNECTED, 10, "tcp://host:1", None),
            (None, None),
        );
        assert_eq!(s.connections.len(), 1);
        assert_eq!(s.connections[0].direction, PeerDirection::Connected);
        apply(
            &mut s,
            &ev(MonitorEvents::MONITOR_STOPPED, 0, "", None),
            (None, None),
        );
        assert!(s.stopped && s.connections.is_empty());
    }

    #[test]
    fn addresses() {
        assert!(same_address("tcp://127.0.0.1:5", "tcp://127.0.0.1:5"));
        assert!(same_address("ws://127.0.0.1:5/path", "ws://127.0.0.1:5"));
        assert!(!same_address("tcp://127.0.0.1:5", "tcp://127.0.0.1:6"));
        assert_eq!(port_of("tcp://localhost:5555"), Some(5555));
        assert_eq!(port_of("ws://[::1]:80/x"), Some(80));
        assert_eq!(port_of("ipc:///tmp/x"), None);
        let listeners = [Listener {
            endpoint: "tcp://0.0.0.0:7".into(),
            fd: 1,
        }];
        assert_eq!(
            listener_endpoint(&listeners, "tcp://10.0.0.1:7").as_deref(),
            Some("tcp://0.0.0.0:7")
        );
        assert_eq!(listener_endpoint(&listeners, "tcp://10.0.0.1:8"), None);
    }
}
