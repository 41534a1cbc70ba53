//! A ZAP authenticator (ZeroMQ Authentication Protocol, RFC 27) in safe Rust.
//!
//! libzmq asks a *ZAP handler* bound at `inproc://zeromq.zap.01` in the socket's
//! context whether a peer may connect: always for PLAIN and CURVE servers, and for
//! NULL sockets that set a `ZMQ_ZAP_DOMAIN`. [`Authenticator`] is such a handler,
//! serving requests on its own thread from a policy that can be changed at any time.

use std::collections::{HashMap, HashSet};
use std::fmt;
use std::net::IpAddr;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::thread::JoinHandle;

use crate::cert_store::CertificateStore;
use crate::certificate::CertificateError;
use crate::curve::{KEY_LEN, KEY_Z85_LEN};
use crate::error::{Error, Result};
use crate::message::Message;
use crate::socket::{RecvFlags, SendFlags, Socket, SocketType};

/// The endpoint libzmq sends ZAP requests to (RFC 27), one per context.
pub const ZAP_ENDPOINT: &str = "inproc://zeromq.zap.01";

/// The domain whose configuration applies to requests from domains that have none
/// of their own (and to sockets without a `ZMQ_ZAP_DOMAIN`).
pub const ZAP_DEFAULT_DOMAIN: &str = "*";

/// How long the handler thread blocks in one receive before it looks at the stop
/// flag again. [`Authenticator::stop`] wakes it at once with a message; this tick
/// only bounds the wait should that message ever be lost.
const STOP_CHECK_MS: i32 = 500;

/// Frames kept from one request; a longer request is malformed anyway (a ZAP
/// request has at most 8 frames after its envelope), the rest is read and dropped.
const MAX_FRAMES: usize = 32;

/// Which CURVE clients a domain admits.
#[derive(Debug, Clone)]
enum CurvePolicy {
    /// Any client that completes the CURVE handshake.
    Any,
    /// Only clients with one of these long-term public keys.
    Keys(HashSet<[u8; KEY_LEN]>),
    /// Only clients with a public certificate in this directory; their
    /// certificates' metadata go into the ZAP reply.
    Certificates(CertificateStore),
}

/// The policy the handler thread applies; see [`Authenticator`] for its meaning.
#[derive(Debug, Default)]
struct Config {
    allow: HashSet<IpAddr>,
    deny: HashSet<IpAddr>,
    plain: HashMap<String, HashMap<String, String>>,
    curve: HashMap<String, CurvePolicy>,
}

impl Config {
    /// The configuration for `domain` in `table`, or else that of the default domain.
    fn for_domain<'a, T>(table: &'a HashMap<String, T>, domain: &[u8]) -> Option<&'a T> {
        std::str::from_utf8(domain)
            .ok()
            .and_then(|d| table.get(d))
            .or_else(|| table.get(ZAP_DEFAULT_DOMAIN))
    }

    /// Whether the address passes the IP lists, as [`Authenticator`] documents.
    fn address_allowed(&self, address: &[u8]) -> bool {
        let ip = parse_peer_address(address);
        if !self.allow.is_empty() {
            return ip.is_some_and(|ip| self.allow.contains(&ip));
        }
        !ip.is_some_and(|ip| self.deny.contains(&ip))
    }
}

/// State shared by the handle and the handler thread.
#[derive(Debug, Default)]
struct Shared {
    config: Mutex<Config>,
    stopping: AtomicBool,
    allowed: AtomicU64,
    denied: AtomicU64,
    errors: AtomicU64,
}

impl Shared {
    fn config(&self) -> MutexGuard<'_, Config> {
        // Nothing panics while holding the lock, and every update leaves the
        // configuration consistent, so a poisoned lock is still good to use.
        self.config.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// A ZAP handler (RFC 27) running on its own thread: it authenticates the peers
/// of every socket in one [`Context`](crate::Context) that asks ZAP, i.e. PLAIN and
/// CURVE servers, and NULL sockets with a `ZMQ_ZAP_DOMAIN`.
///
/// Start it with [`Authenticator::start`] before the sockets it guards accept
/// connections: without a handler, libzmq refuses PLAIN clients, admits any CURVE
/// client and any NULL peer. The policy can be changed at any time from any thread
/// (`Authenticator` is `Send + Sync`); a change applies to every handshake that
/// asks ZAP after the call returns.
///
/// # Policy
///
/// Each request is judged in this order:
///
/// 1. **Form.** A request that is not ZAP 1.0 (version frame other than `"1.0"`,
///    too few frames, a credentials count that does not fit the mechanism, a CURVE
///    key that is not 32 bytes) gets status **500** (the handler could not judge
///    it). One without an envelope delimiter or a request id cannot be answered and
///    is dropped. Both count in [`Authenticator::errors`].
/// 2. **Address.** The peer's IP address (the `Peer-Address` of the connection;
///    IPv4-mapped IPv6 addresses count as IPv4) is checked against the lists of
///    [`allow`](Authenticator::allow) and [`deny`](Authenticator::deny): when the
///    allow-list is not empty, *only* its addresses pass and the deny-list is not
///    consulted; otherwise every address passes except those on the deny-list.
///    Peers without an IP address (IPC, inproc) fail a non-empty allow-list and
///    pass any deny-list. A failing address gets **400**, whatever the mechanism.
/// 3. **Mechanism.**
///    * `NULL`: admitted (**200**, with an empty user id).
///    * `PLAIN`: admitted when the domain's password table
///      ([`configure_plain`](Authenticator::configure_plain)) has the user name
///      with exactly this password; the user id is the user name.
///    * `CURVE`: admitted when the domain's CURVE policy
///      ([`configure_curve`](Authenticator::configure_curve),
///      [`configure_curve_any`](Authenticator::configure_curve_any)) admits the
///      client's long-term public key; the user id is that key in Z85 text
///      (40 characters).
///    * Anything else (GSSAPI), or a mechanism the domain has no configuration
///      for: **400**.
///
/// The *domain* is the server socket's `ZMQ_ZAP_DOMAIN`. A domain without its own
/// PLAIN (or CURVE) configuration uses that of the default domain `"*"`
/// ([`ZAP_DEFAULT_DOMAIN`]), which thereby also covers sockets that set no domain.
///
/// The user id of an admitted peer is what [`Message::gets`]`("User-Id")` returns
/// for the messages received from it. Outcomes are counted in
/// [`allowed`](Authenticator::allowed), [`denied`](Authenticator::denied) and
/// [`errors`](Authenticator::errors).
///
/// # Lifetime
///
/// Only one handler can be bound per context: a second `start` on the same
/// context fails with `EADDRINUSE`. [`Authenticator::stop`] (or dropping the
/// handle) stops the thread, waits for it and unbinds the endpoint, after which a
/// new `Authenticator` can start on that context. If the context is shut down or
/// terminated meanwhile, the thread sees `ETERM` and ends by itself.
///
/// ```
/// use zmq::{Authenticator, Context, RecvFlags, SendFlags, REP, REQ};
///
/// let ctx = Context::new()?;
/// let auth = Authenticator::start(&ctx)?;
/// auth.configure_plain("*", [("admin", "secret")]);
///
/// let server = ctx.socket(REP)?;
/// server.set_plain_server(true)?;
/// server.set_rcvtimeo(5000)?;
/// server.bind("tcp://127.0.0.1:*")?;
///
/// let client = ctx.socket(REQ)?;
/// client.set_plain_username("admin")?;
/// client.set_plain_password("secret")?;
/// client.connect(&server.get_last_endpoint()?)?;
/// client.send("hello", SendFlags::empty())?;
///
/// let msg = server.recv_message(RecvFlags::empty())?;
/// assert_eq!(msg.gets("User-Id")?, "admin");
/// assert_eq!(auth.allowed(), 1);
/// auth.stop()?;
/// # Ok::<(), zmq::Error>(())
/// ```
#[doc(alias = "ZAP")]
#[doc(alias = "ThreadAuthenticator")]
pub struct Authenticator {
    shared: Arc<Shared>,
    /// Connected to the handler's socket: one message on it wakes the thread to
    /// see the stop flag. In a `Mutex` only so that the handle is `Sync`; it is
    /// used through `&mut self` alone.
    waker: Mutex<Option<Socket>>,
    thread: Option<JoinHandle<Result<()>>>,
}

impl fmt::Debug for Authenticator {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Authenticator")
            .field("running", &self.is_running())
            .field("allowed", &self.allowed())
            .field("denied", &self.denied())
            .field("errors", &self.errors())
            .finish()
    }
}

impl Authenticator {
    /// Binds a ZAP handler to [`ZAP_ENDPOINT`] in `ctx` and starts its thread,
    /// with an empty policy (no address lists, no PLAIN or CURVE domains: NULL
    /// peers are admitted, PLAIN and CURVE peers refused until configured).
    ///
    /// `EADDRINUSE` when the context already has a ZAP handler, `ETERM` when it
    /// was shut down, `EMFILE` when it has no room for two more sockets.
    #[doc(alias = "zmq_bind")]
    pub fn start(ctx: &crate::Context) -> Result<Authenticator> {
        let zap = ctx.socket(SocketType::Router)?;
        zap.set_linger(0)?;
        zap.set_rcvtimeo(STOP_CHECK_MS)?;
        zap.bind(ZAP_ENDPOINT)?;
        Authenticator::spawn(ctx, zap)
    }

    fn spawn(ctx: &crate::Context, zap: Socket) -> Result<Authenticator> {
        let unbind_on_error = |zap: Socket, e: Error| {
            // Free the endpoint now rather than when libzmq reaps the socket, so
            // that another start can bind it at once.
            let _ = zap.unbind(ZAP_ENDPOINT);
            Err(e)
        };
        let waker = match ctx
            .socket(SocketType::Dealer)
            .and_then(|w| w.set_linger(0).map(|()| w))
            .and_then(|w| w.connect(ZAP_ENDPOINT).map(|()| w))
        {
            Ok(w) => w,
            Err(e) => return unbind_on_error(zap, e),
        };
        let shared = Arc::new(Shared::default());
        let thread_shared = Arc::clone(&shared);
        // The socket is handed to the thread through a channel (a synchronising
        // hand-off: the barrier `Socket: Send` relies on) rather than moved into
        // the closure, so that it is still ours to unbind if the spawn fails.
        let (tx, rx) = std::sync::mpsc::channel::<Socket>();
        let spawned = std::thread::Builder::new()
            .name("zmq-zap".into())
            .spawn(move || match rx.recv() {
                Ok(zap) => serve(zap, &thread_shared),
                Err(_) => Ok(()),
            });
        let thread = match spawned {
            Ok(t) => t,
            Err(e) => {
                let code = e.raw_os_error().unwrap_or(libc::EAGAIN);
                return unbind_on_error(zap, Error::from_raw(code));
            }
        };
        if let Err(std::sync::mpsc::SendError(zap)) = tx.send(zap) {
            // The thread is gone already (it cannot be: it waits for this socket).
            let _ = thread.join();
            return unbind_on_error(zap, Error::EFAULT);
        }
        Ok(Authenticator {
            shared,
            waker: Mutex::new(Some(waker)),
            thread: Some(thread),
        })
    }

    /// Adds an IP address (`"127.0.0.1"`, `"::1"`) to the allow-list: once the
    /// list is not empty, only peers from its addresses pass (and the deny-list
    /// is ignored). Exact addresses only, no ranges. `EINVAL` if `address` is not
    /// an IP address.
    pub fn allow(&self, address: &str) -> Result<()> {
        let ip = parse_ip(address)?;
        self.shared.config().allow.insert(ip);
        Ok(())
    }

    /// Adds an IP address to the deny-list: while the allow-list is empty, peers
    /// from these addresses are refused and all others pass. Exact addresses only.
    /// `EINVAL` if `address` is not an IP address.
    pub fn deny(&self, address: &str) -> Result<()> {
        let ip = parse_ip(address)?;
        self.shared.config().deny.insert(ip);
        Ok(())
    }

    /// Empties both address lists: every address passes again.
    pub fn clear_addresses(&self) {
        let mut config = self.shared.config();
        config.allow.clear();
        config.deny.clear();
    }

    /// Sets the PLAIN password table of `domain` (`"*"` for the default domain),
    /// replacing any earlier one: a PLAIN client is admitted when its user name is
    /// in the table with exactly this password, and gets its user name as user id.
    /// An empty table refuses every PLAIN client of the domain.
    ///
    /// ```
    /// # let ctx = zmq::Context::new()?;
    /// # let auth = zmq::Authenticator::start(&ctx)?;
    /// let mut passwords = std::collections::HashMap::new();
    /// passwords.insert("alice".to_string(), "wonderland".to_string());
    /// auth.configure_plain("global", passwords);
    /// auth.configure_plain("*", [("guest", "guest")]);
    /// # Ok::<(), zmq::Error>(())
    /// ```
    pub fn configure_plain<I, U, P>(&self, domain: &str, passwords: I)
    where
        I: IntoIterator<Item = (U, P)>,
        U: Into<String>,
        P: Into<String>,
    {
        let table = passwords
            .into_iter()
            .map(|(u, p)| (u.into(), p.into()))
            .collect();
        self.shared.config().plain.insert(domain.to_owned(), table);
    }

    /// Sets the CURVE policy of `domain` (`"*"` for the default domain) to admit
    /// only clients whose long-term public key is one of `keys`, replacing any
    /// earlier policy. Each key is 32 bytes of binary or its 40 characters of Z85
    /// text (as [`curve_keypair`](crate::curve_keypair) returns); anything else is
    /// `EINVAL`, and then the policy is left as it was. The user id of an admitted
    /// client is its key in Z85 text.
    ///
    /// ```
    /// # let ctx = zmq::Context::new()?;
    /// # let auth = zmq::Authenticator::start(&ctx)?;
    /// let client_public = "Yne@$w-vo<fVvi]a<NY6T1ed:M$fCG*[IaLV{hID";
    /// auth.configure_curve("*", [client_public])?;
    /// assert_eq!(auth.configure_curve("*", ["not a key"]), Err(zmq::Error::EINVAL));
    /// # Ok::<(), zmq::Error>(())
    /// ```
    pub fn configure_curve<I, K>(&self, domain: &str, keys: I) -> Result<()>
    where
        I: IntoIterator<Item = K>,
        K: AsRef<[u8]>,
    {
        let keys = keys
            .into_iter()
            .map(|k| parse_curve_key(k.as_ref()))
            .collect::<Result<HashSet<_>>>()?;
        self.shared
            .config()
            .curve
            .insert(domain.to_owned(), CurvePolicy::Keys(keys));
        Ok(())
    }

    /// Sets the CURVE policy of `domain` (`"*"` for the default domain) to admit
    /// any client that completes the CURVE handshake (which proves it holds the
    /// secret key of the public key it presents): encryption without an allow-list
    /// of clients. The user id is still the client's public key in Z85 text.
    pub fn configure_curve_any(&self, domain: &str) {
        self.shared
            .config()
            .curve
            .insert(domain.to_owned(), CurvePolicy::Any);
    }

    /// Sets the CURVE policy of `domain` (`"*"` for the default domain) to admit
    /// only clients whose public certificate is in the directory `dir` (read as
    /// [`CertificateStore::load`] reads it: czmq's `zcertstore` and pyzmq's
    /// `load_certificates` layout), replacing any earlier policy; returns how many
    /// certificates were read. The directory is read now, and again on
    /// [`Authenticator::reload_certificates`]; a file that is not a certificate is an
    /// error and leaves the policy as it was.
    ///
    /// An admitted client's user id is its key in Z85 text, and its certificate's
    /// metadata become properties of the messages it sends (read them with
    /// [`Message::gets`], as czmq's `zauth` provides them), except names libzmq
    /// uses itself (`Socket-Type`, `Identity`, `Routing-Id`, `User-Id`,
    /// `Peer-Address`).
    ///
    /// ```
    /// # if !zmq::has("curve") { return Ok(()); }
    /// use zmq::{Certificate, RecvFlags, SendFlags};
    /// let dir = std::env::temp_dir().join(format!("zmq-auth-certs-doc-{}", std::process::id()));
    /// std::fs::create_dir_all(&dir)?;
    /// let mut client_cert = Certificate::new()?;
    /// client_cert.set_meta("name", "client one")?;
    /// client_cert.save_public(dir.join("client.key"))?;
    ///
    /// let ctx = zmq::Context::new()?;
    /// let auth = zmq::Authenticator::start(&ctx)?;
    /// assert_eq!(auth.configure_curve_certificates("*", &dir)?, 1);
    ///
    /// let server_cert = Certificate::new()?;
    /// let server = ctx.socket(zmq::PULL)?;
    /// server.set_curve_server(true)?;
    /// server_cert.apply(&server)?;
    /// server.set_rcvtimeo(10_000)?;
    /// server.bind("tcp://127.0.0.1:*")?;
    /// let client = ctx.socket(zmq::PUSH)?;
    /// client_cert.apply(&client)?;
    /// client.set_curve_serverkey(server_cert.public_key())?;
    /// client.connect(&server.get_last_endpoint()?)?;
    /// client.send("hi", SendFlags::empty())?;
    /// let msg = server.recv_message(RecvFlags::empty())?;
    /// assert_eq!(msg.gets("User-Id")?, client_cert.public_z85());
    /// assert_eq!(msg.gets("name")?, "client one");
    /// std::fs::remove_dir_all(&dir)?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn configure_curve_certificates(
        &self,
        domain: &str,
        dir: impl AsRef<std::path::Path>,
    ) -> std::result::Result<usize, CertificateError> {
        let store = CertificateStore::load(dir)?;
        let count = store.len();
        self.shared
            .config()
            .curve
            .insert(domain.to_owned(), CurvePolicy::Certificates(store));
        Ok(count)
    }

    /// Reads again the certificate directory of every domain configured with
    /// [`Authenticator::configure_curve_certificates`], e.g. after certificates
    /// were added or removed, and returns how many certificates they hold in all.
    /// All or nothing: if one directory cannot be read, no domain changes and the
    /// error names the file. Handshakes are judged meanwhile on the old lists (the
    /// directories are read without holding up the handler).
    pub fn reload_certificates(&self) -> std::result::Result<usize, CertificateError> {
        let stores: Vec<(String, CertificateStore)> = self
            .shared
            .config()
            .curve
            .iter()
            .filter_map(|(domain, policy)| match policy {
                CurvePolicy::Certificates(store) => Some((domain.clone(), store.clone())),
                _ => None,
            })
            .collect();
        let mut reloaded = Vec::with_capacity(stores.len());
        for (domain, mut store) in stores {
            store.reload()?;
            reloaded.push((domain, store));
        }
        let mut count = 0;
        let mut config = self.shared.config();
        for (domain, store) in reloaded {
            // Only where the domain still reads the same directory (another call
            // may have changed its policy while we read).
            if let Some(CurvePolicy::Certificates(current)) = config.curve.get_mut(&domain) {
                if current.dir() == store.dir() {
                    count += store.len();
                    *current = store;
                }
            }
        }
        Ok(count)
    }

    /// Removes the PLAIN and CURVE configuration of `domain` (its requests then
    /// fall back to the default domain `"*"`, or are refused if that has none).
    pub fn remove_domain(&self, domain: &str) {
        let mut config = self.shared.config();
        config.plain.remove(domain);
        config.curve.remove(domain);
    }

    /// How many requests were admitted (status 200) so far.
    pub fn allowed(&self) -> u64 {
        self.shared.allowed.load(Ordering::SeqCst)
    }

    /// How many requests were refused (status 400) so far.
    pub fn denied(&self) -> u64 {
        self.shared.denied.load(Ordering::SeqCst)
    }

    /// How many malformed requests were answered with status 500 or dropped.
    pub fn errors(&self) -> u64 {
        self.shared.errors.load(Ordering::SeqCst)
    }

    /// Whether the handler thread still serves requests (`false` once it has
    /// ended, e.g. because the context was shut down).
    pub fn is_running(&self) -> bool {
        self.thread.as_ref().is_some_and(|t| !t.is_finished())
    }

    /// Stops the handler: wakes its thread, waits for it to end and frees the
    /// endpoint, so that a new `Authenticator` can start on the context. Requests
    /// still queued are left unanswered (those handshakes fail or time out).
    ///
    /// Returns the error that ended the thread, if one did other than `ETERM`
    /// (after a context shutdown the thread ends normally). A panic of the thread
    /// (a bug) is reported as `EFAULT`. Dropping the handle stops it the same way,
    /// ignoring the result.
    pub fn stop(mut self) -> Result<()> {
        self.shutdown()
    }

    fn shutdown(&mut self) -> Result<()> {
        let Some(thread) = self.thread.take() else {
            return Ok(());
        };
        self.shared.stopping.store(true, Ordering::SeqCst);
        let waker = self
            .waker
            .get_mut()
            .unwrap_or_else(PoisonError::into_inner)
            .take();
        if let Some(waker) = &waker {
            // Wakes the thread from its receive. If this fails (ETERM: the
            // context is shut down, and then the thread has seen ETERM too), the
            // thread still sees the flag within STOP_CHECK_MS.
            let _ = waker.send("stop", SendFlags::DONTWAIT);
        }
        let result = thread.join().unwrap_or(Err(Error::EFAULT));
        drop(waker);
        result
    }
}

impl Drop for Authenticator {
    fn drop(&mut self) {
        let _ = self.shutdown();
    }
}

/// The handler thread: answers requests until stopped or the context ends.
fn serve(zap: Socket, shared: &Shared) -> Result<()> {
    let mut frames = Vec::with_capacity(MAX_FRAMES);
    let mut msg = Message::new();
    let result = loop {
        if shared.stopping.load(Ordering::SeqCst) {
            break Ok(());
        }
        match recv_request(&zap, &mut msg, &mut frames) {
            Ok(()) => {}
            Err(Error::EAGAIN) | Err(Error::EINTR) => continue,
            Err(Error::ETERM) => break Ok(()),
            Err(e) => break Err(e),
        }
        if shared.stopping.load(Ordering::SeqCst) {
            break Ok(());
        }
        match handle_request(&zap, shared, &frames) {
            Ok(()) | Err(Error::EAGAIN) | Err(Error::EINTR) | Err(Error::EHOSTUNREACH) => {}
            Err(Error::ETERM) => break Ok(()),
            Err(e) => break Err(e),
        }
    };
    // Free the endpoint now: closing alone unbinds it only when libzmq's reaper
    // gets to the socket, and a new Authenticator may bind right after stop().
    let _ = zap.unbind(ZAP_ENDPOINT);
    drop(zap);
    result
}

/// Receives one multipart message, keeping its first `MAX_FRAMES` frames.
fn recv_request(zap: &Socket, msg: &mut Message, frames: &mut Vec<Vec<u8>>) -> Result<()> {
    frames.clear();
    zap.recv_msg(msg, RecvFlags::empty())?;
    frames.push(msg.to_vec());
    while msg.more() {
        // The rest of a multipart message arrives with its first frame.
        zap.recv_msg(msg, RecvFlags::empty())?;
        if frames.len() < MAX_FRAMES {
            frames.push(msg.to_vec());
        }
    }
    Ok(())
}

/// The answer to one request.
struct Verdict {
    status: &'static str,
    text: &'static str,
    user_id: Vec<u8>,
    /// ZAP metadata, encoded as ZMTP properties (RFC 27, RFC 23).
    metadata: Vec<u8>,
}

impl Verdict {
    fn ok(user_id: &[u8]) -> Verdict {
        Verdict {
            status: "200",
            text: "OK",
            user_id: user_id.to_vec(),
            metadata: Vec::new(),
        }
    }

    fn denied(text: &'static str) -> Verdict {
        Verdict {
            status: "400",
            text,
            user_id: Vec::new(),
            metadata: Vec::new(),
        }
    }

    fn malformed(text: &'static str) -> Verdict {
        Verdict {
            status: "500",
            text,
            user_id: Vec::new(),
            metadata: Vec::new(),
        }
    }
}

/// Judges one request (routing id, envelope, delimiter, body) and replies.
fn handle_request(zap: &Socket, shared: &Shared, frames: &[Vec<u8>]) -> Result<()> {
    // frames[0] is the routing id the ROUTER socket added (never empty); the
    // envelope runs up to the first empty frame, as with a REP socket.
    let Some(delimiter) = frames.iter().skip(1).position(Vec::is_empty).map(|i| i + 1) else {
        shared.errors.fetch_add(1, Ordering::SeqCst);
        return Ok(());
    };
    let (envelope, body) = frames.split_at(delimiter + 1);
    if body.len() < 2 {
        // No request id to answer with.
        shared.errors.fetch_add(1, Ordering::SeqCst);
        return Ok(());
    }
    let verdict = judge(&shared.config(), body);
    let counter = match verdict.status {
        "200" => &shared.allowed,
        "400" => &shared.denied,
        _ => &shared.errors,
    };
    // Counted before the reply goes out, so that whoever sees the outcome of the
    // handshake also sees the count.
    counter.fetch_add(1, Ordering::SeqCst);
    let more = SendFlags::SNDMORE | SendFlags::DONTWAIT;
    for frame in envelope {
        zap.send(frame, more)?;
    }
    zap.send("1.0", more)?;
    zap.send(&body[1], more)?;
    zap.send(verdict.status, more)?;
    zap.send(verdict.text, more)?;
    zap.send(&verdict.user_id, more)?;
    zap.send(&verdict.metadata, SendFlags::DONTWAIT)
}

/// The verdict on a request body: version, request id, domain, address, routing
/// id, mechanism, credentials (RFC 27).
fn judge(config: &Config, body: &[Vec<u8>]) -> Verdict {
    if body[0] != b"1.0" {
        return Verdict::malformed("unsupported ZAP version");
    }
    if body.len() < 6 {
        return Verdict::malformed("malformed ZAP request: too few frames");
    }
    let domain = &body[2];
    let address = &body[3];
    let mechanism = &body[5][..];
    let credentials = &body[6..];
    match (mechanism, credentials) {
        (b"NULL", []) | (b"PLAIN", [_, _]) => {}
        (b"CURVE", [key]) if key.len() == KEY_LEN => {}
        (b"NULL" | b"PLAIN" | b"CURVE", _) => {
            return Verdict::malformed("malformed ZAP request: bad credentials");
        }
        _ => {}
    }
    if !config.address_allowed(address) {
        return Verdict::denied("address not allowed");
    }
    match (mechanism, credentials) {
        (b"NULL", _) => Verdict::ok(b""),
        (b"PLAIN", [user, password]) => {
            let Some(table) = Config::for_domain(&config.plain, domain) else {
                return Verdict::denied("no PLAIN configuration for this domain");
            };
            let known = std::str::from_utf8(user)
                .ok()
                .and_then(|u| table.get(u))
                .is_some_and(|expected| same_secret(expected.as_bytes(), password));
            if known {
                Verdict::ok(user)
            } else {
                Verdict::denied("invalid user name or password")
            }
        }
        (b"CURVE", [key]) => {
            let Ok(key) = <[u8; KEY_LEN]>::try_from(&key[..]) else {
                return Verdict::malformed("malformed ZAP request: bad credentials");
            };
            let mut metadata = Vec::new();
            let admitted = match Config::for_domain(&config.curve, domain) {
                None => return Verdict::denied("no CURVE configuration for this domain"),
                Some(CurvePolicy::Any) => true,
                Some(CurvePolicy::Keys(keys)) => keys.contains(&key),
                Some(CurvePolicy::Certificates(store)) => match store.get(&key) {
                    Some(cert) => {
                        metadata = zap_metadata(cert.metadata());
                        true
                    }
                    None => false,
                },
            };
            if !admitted {
                return Verdict::denied("unknown CURVE public key");
            }
            match z85_encode_key(&key) {
                Ok(text) => Verdict {
                    metadata,
                    ..Verdict::ok(text.as_bytes())
                },
                Err(_) => Verdict::malformed("cannot encode the CURVE key"),
            }
        }
        _ => Verdict::denied("unsupported mechanism"),
    }
}

/// Property names libzmq gives a meaning of its own (or checks) in a connection's
/// metadata: certificate metadata of these names are left out of a ZAP reply.
const RESERVED_PROPERTIES: [&str; 5] = [
    "Socket-Type",
    "Identity",
    "Routing-Id",
    "User-Id",
    "Peer-Address",
];

/// Encodes metadata for a ZAP reply: each property as a one-byte name length, the
/// name, a four-byte big-endian value length and the value (ZMTP 3 properties).
/// Names longer than 255 bytes cannot be encoded and reserved names would clash
/// with libzmq's own: both are skipped.
fn zap_metadata<'a>(items: impl Iterator<Item = (&'a str, &'a str)>) -> Vec<u8> {
    let mut out = Vec::new();
    for (name, value) in items {
        let Ok(name_len) = u8::try_from(name.len()) else {
            continue;
        };
        let Ok(value_len) = u32::try_from(value.len()) else {
            continue;
        };
        if name.is_empty()
            || RESERVED_PROPERTIES
                .iter()
                .any(|r| r.eq_ignore_ascii_case(name))
        {
            continue;
        }
        out.push(name_len);
        out.extend_from_slice(name.as_bytes());
        out.extend_from_slice(&value_len.to_be_bytes());
        out.extend_from_slice(value.as_bytes());
    }
    out
}

/// Compares a password without stopping at the first difference, so the time
/// taken does not tell how much of a guess was right (only its length).
fn same_secret(expected: &[u8], given: &[u8]) -> bool {
    expected.len() == given.len()
        && expected
            .iter()
            .zip(given)
            .fold(0u8, |acc, (a, b)| acc | (a ^ b))
            == 0
}

/// An IP address given to `allow`/`deny`, in canonical form.
fn parse_ip(address: &str) -> Result<IpAddr> {
    address
        .trim()
        .parse::<IpAddr>()
        .map(|ip| ip.to_canonical())
        .map_err(|_| Error::EINVAL)
}

/// The IP address in a request's address frame: libzmq's numeric host, where an
/// IPv6 address may carry a `%scope` suffix. `None` for IPC/inproc peers.
fn parse_peer_address(address: &[u8]) -> Option<IpAddr> {
    let text = std::str::from_utf8(address).ok()?;
    let host = text.split('%').next().unwrap_or(text);
    parse_ip(host).ok()
}

/// A CURVE key given as 32 binary bytes or 40 characters of Z85.
fn parse_curve_key(key: &[u8]) -> Result<[u8; KEY_LEN]> {
    match key.len() {
        KEY_LEN => <[u8; KEY_LEN]>::try_from(key).map_err(|_| Error::EINVAL),
        KEY_Z85_LEN => z85_decode_key(key),
        _ => Err(Error::EINVAL),
    }
}

/// Decodes 40 characters of Z85 into a 32-byte key.
fn z85_decode_key(text: &[u8]) -> Result<[u8; KEY_LEN]> {
    let text = std::str::from_utf8(text).map_err(|_| Error::EINVAL)?;
    <[u8; KEY_LEN]>::try_from(crate::curve::z85_decode(text)?).map_err(|_| Error::EINVAL)
}

/// Encodes a 32-byte key as 40 characters of Z85.
fn z85_encode_key(key: &[u8; KEY_LEN]) -> Result<String> {
    crate::curve::z85_encode(key)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn body(frames: &[&[u8]]) -> Vec<Vec<u8>> {
        frames.iter().map(|f| f.to_vec()).collect()
    }

    #[test]
    fn z85_round_trip_and_rejects() {
        let key: [u8; 32] = std::array::from_fn(|i| (i * 7 + 3) as u8);
        let text = z85_encode_key(&key).unwrap();
        assert_eq!(text.len(), 40);
        assert_eq!(z85_decode_key(text.as_bytes()).unwrap(), key);
        assert_eq!(parse_curve_key(text.as_bytes()).unwrap(), key);
        assert_eq!(parse_curve_key(&key).unwrap(), key);
        // Wrong length, characters outside the alphabet, NUL.
        assert_eq!(z85_decode_key(&text.as_bytes()[..35]), Err(Error::EINVAL));
        let mut bad = text.clone().into_bytes();
        bad[3] = b' ';
        assert_eq!(z85_decode_key(&bad), Err(Error::EINVAL));
        bad[3] = 0;
        assert_eq!(z85_decode_key(&bad), Err(Error::EINVAL));
        bad[3] = 0xff;
        assert_eq!(z85_decode_key(&bad), Err(Error::EINVAL));
        assert_eq!(parse_curve_key(b"short"), Err(Error::EINVAL));
        // The example key of RFC 32 (Z85).
        let hello = z85_encode_key(&{
            let mut k = [0u8; 32];
            k[..8].copy_from_slice(&[0x86, 0x4F, 0xD2, 0x6F, 0xB5, 0x59, 0xF7, 0x5B]);
            k
        })
        .unwrap();
        assert!(hello.starts_with("HelloWorld"));
    }

    #[test]
    fn address_lists() {
        let mut config = Config::default();
        assert!(config.address_allowed(b"127.0.0.1"));
        assert!(config.address_allowed(b""));
        config.deny.insert(parse_ip("127.0.0.1").unwrap());
        assert!(!config.address_allowed(b"127.0.0.1"));
        assert!(!config.address_allowed(b"::ffff:127.0.0.1"));
        assert!(config.address_allowed(b"10.0.0.1"));
        assert!(config.address_allowed(b"not an address"));
        // A non-empty allow-list wins over the deny-list.
        config.allow.insert(parse_ip("127.0.0.1").unwrap());
        assert!(config.address_allowed(b"127.0.0.1"));
        assert!(!config.address_allowed(b"10.0.0.1"));
        assert!(!config.address_allowed(b""));
        config.allow.insert(parse_ip("fe80::1").unwrap());
        assert!(config.address_allowed(b"fe80::1%eth0"));
        assert_eq!(parse_ip("localhost"), Err(Error::EINVAL));
    }

    #[test]
    fn judging() {
        let mut config = Config::default();
        let null = body(&[b"1.0", b"1", b"", b"127.0.0.1", b"", b"NULL"]);
        assert_eq!(judge(&config, &null).status, "200");
        let plain = body(&[
            b"1.0",
            b"1",
            b"dom",
            b"127.0.0.1",
            b"",
            b"PLAIN",
            b"u",
            b"p",
        ]);
        assert_eq!(judge(&config, &plain).status, "400");
        config
            .plain
            .insert("*".into(), [("u".into(), "p".into())].into());
        let v = judge(&config, &plain);
        assert_eq!((v.status, &v.user_id[..]), ("200", &b"u"[..]));
        config.plain.insert("dom".into(), HashMap::new());
        assert_eq!(judge(&config, &plain).status, "400");
        // Malformed: version, frame counts, credentials.
        let mut v2 = null.clone();
        v2[0] = b"2.0".to_vec();
        assert_eq!(judge(&config, &v2).status, "500");
        assert_eq!(judge(&config, &null[..3]).status, "500");
        let mut null_creds = null.clone();
        null_creds.push(b"x".to_vec());
        assert_eq!(judge(&config, &null_creds).status, "500");
        let curve = body(&[b"1.0", b"1", b"", b"127.0.0.1", b"", b"CURVE", &[1u8; 31]]);
        assert_eq!(judge(&config, &curve).status, "500");
        let gssapi = body(&[b"1.0", b"1", b"", b"127.0.0.1", b"", b"GSSAPI", b"x"]);
        assert_eq!(judge(&config, &gssapi).status, "400");
        // CURVE policies.
        let curve = body(&[b"1.0", b"1", b"", b"127.0.0.1", b"", b"CURVE", &[1u8; 32]]);
        assert_eq!(judge(&config, &curve).status, "400");
        config
            .curve
            .insert("*".into(), CurvePolicy::Keys([[2u8; 32]].into()));
        assert_eq!(judge(&config, &curve).status, "400");
        config
            .curve
            .insert("*".into(), CurvePolicy::Keys([[1u8; 32]].into()));
        let v = judge(&config, &curve);
        assert_eq!(v.status, "200");
        assert_eq!(v.user_id, z85_encode_key(&[1u8; 32]).unwrap().into_bytes());
    }

    #[test]
    fn zap_metadata_is_encoded_as_zmtp_properties() {
        let long = "n".repeat(256);
        let items = [
            ("name", "alice"),
            ("empty", ""),
            ("socket-type", "ROUTER"),
            ("User-Id", "forged"),
            (long.as_str(), "too long a name"),
        ];
        let encoded = zap_metadata(items.iter().copied());
        let mut expected = vec![4u8];
        expected.extend_from_slice(b"name");
        expected.extend_from_slice(&5u32.to_be_bytes());
        expected.extend_from_slice(b"alice");
        expected.push(5);
        expected.extend_from_slice(b"empty");
        expected.extend_from_slice(&0u32.to_be_bytes());
        assert_eq!(encoded, expected);
        assert!(zap_metadata(std::iter::empty()).is_empty());
    }

    #[test]
    fn secrets_compare_exactly() {
        assert!(same_secret(b"abc", b"abc"));
        assert!(!same_secret(b"abc", b"abd"));
        assert!(!same_secret(b"abc", b"ab"));
        assert!(same_secret(b"", b""));
    }
}
