//! Sockets (`zmq_socket`, `zmq_bind`, `zmq_send`, `zmq_msg_recv` ...) and their types and flags.

use std::ffi::{c_int, c_void};
use std::fmt;
use std::ptr::NonNull;

use crate::context::Context;
use crate::endpoint::{self, check_port};
use crate::error::{c_string, cvt, cvt_ptr, Error, Result};
use crate::guard::{Guard, Part};
use crate::message::Message;

/// The socket type table: for each type its doc lines, an optional
/// `#[cfg(feature = "draft")]` marker (libzmq's draft types), then
/// `Variant = ZMQ_NAME, ALIAS;`. The marker is applied to every item generated for
/// the entry (variant, match arms, list entry, alias), so a build without the
/// feature knows nothing of the draft types.
macro_rules! socket_types {
    ($( $(#[doc = $doc:literal])* $(#[cfg($cfg:meta)])? $variant:ident = $c:ident, $alias:ident; )*) => {
        /// The type of a socket (`ZMQ_REQ`, `ZMQ_PUB` ...): it fixes the messaging
        /// pattern. The porting aliases [`REQ`], [`PUB`] ... name the same values.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
        #[repr(i32)]
        #[non_exhaustive]
        pub enum SocketType {
            $( $(#[doc = $doc])* $(#[cfg($cfg)])? $(#[cfg_attr(docsrs, doc(cfg($cfg)))])? $variant = zmq_sys::$c, )*
        }

        impl SocketType {
            /// Every socket type of this build.
            pub const ALL: &'static [SocketType] = &[$( $(#[cfg($cfg)])? SocketType::$variant, )*];

            /// The C name, e.g. `"ZMQ_REQ"`.
            pub const fn name(self) -> &'static str {
                match self { $( $(#[cfg($cfg)])? SocketType::$variant => stringify!($c), )* }
            }
        }

        impl TryFrom<c_int> for SocketType {
            type Error = Error;

            /// The socket type with this `ZMQ_` number; `EINVAL` for any other.
            fn try_from(value: c_int) -> Result<SocketType> {
                $(
                    $(#[cfg($cfg)])?
                    {
                        if value == zmq_sys::$c {
                            return Ok(SocketType::$variant);
                        }
                    }
                )*
                Err(Error::EINVAL)
            }
        }

        $(
            #[doc = concat!("`", stringify!($c), "`: [`SocketType::", stringify!($variant), "`], for porting C code.")]
            $(#[cfg($cfg)])?
            $(#[cfg_attr(docsrs, doc(cfg($cfg)))])?
            pub const $alias: SocketType = SocketType::$variant;
        )*
    };
}

socket_types! {
    /// Exclusive pair (`ZMQ_PAIR`). One peer at a time: a bound PAIR that
    /// has a peer accepts a second one's connection but never serves it, not
    /// even once the first has gone (the second peer's sends queue up unread);
    /// a peer that connects after the first has gone is served.
    Pair = ZMQ_PAIR, PAIR;
    /// Publisher (`ZMQ_PUB`).
    Pub = ZMQ_PUB, PUB;
    /// Subscriber (`ZMQ_SUB`).
    Sub = ZMQ_SUB, SUB;
    /// Request, strict send/receive alternation (`ZMQ_REQ`).
    Req = ZMQ_REQ, REQ;
    /// Reply, strict receive/send alternation (`ZMQ_REP`).
    Rep = ZMQ_REP, REP;
    /// Asynchronous request, load-balanced (`ZMQ_DEALER`).
    Dealer = ZMQ_DEALER, DEALER;
    /// Asynchronous reply, routing by identity frames (`ZMQ_ROUTER`).
    Router = ZMQ_ROUTER, ROUTER;
    /// Pipeline sink (`ZMQ_PULL`).
    Pull = ZMQ_PULL, PULL;
    /// Pipeline source, load-balanced (`ZMQ_PUSH`).
    Push = ZMQ_PUSH, PUSH;
    /// Publisher that sees subscriptions (`ZMQ_XPUB`).
    XPub = ZMQ_XPUB, XPUB;
    /// Subscriber that sends subscriptions as messages (`ZMQ_XSUB`).
    XSub = ZMQ_XSUB, XSUB;
    /// Raw TCP peers (`ZMQ_STREAM`).
    Stream = ZMQ_STREAM, STREAM;
    /// Server of the client-server pattern (`ZMQ_SERVER`, draft API, thread-safe):
    /// each received message carries its client's routing id
    /// ([`Message::routing_id`]); a reply goes to the client whose id is set on it
    /// ([`Message::set_routing_id`]). Single-frame messages only.
    #[cfg(feature = "draft")]
    Server = ZMQ_SERVER, SERVER;
    /// Client of the client-server pattern (`ZMQ_CLIENT`, draft API, thread-safe):
    /// sends round-robin to its servers, receives fair-queued. Single-frame messages only.
    #[cfg(feature = "draft")]
    Client = ZMQ_CLIENT, CLIENT;
    /// Publisher of the radio-dish pattern (`ZMQ_RADIO`, draft API, thread-safe):
    /// each message goes to the dishes that joined its group ([`Message::set_group`]).
    /// Send only; connects over `udp://` too.
    #[cfg(feature = "draft")]
    Radio = ZMQ_RADIO, RADIO;
    /// Subscriber of the radio-dish pattern (`ZMQ_DISH`, draft API, thread-safe):
    /// receives the messages of the groups it joined ([`Socket::join`]). Receive
    /// only; binds `udp://` too.
    #[cfg(feature = "draft")]
    Dish = ZMQ_DISH, DISH;
    /// Sink of the scatter-gather pattern (`ZMQ_GATHER`, draft API, thread-safe):
    /// the thread-safe PULL. Single-frame messages only.
    #[cfg(feature = "draft")]
    Gather = ZMQ_GATHER, GATHER;
    /// Source of the scatter-gather pattern (`ZMQ_SCATTER`, draft API, thread-safe):
    /// the thread-safe PUSH, round-robin to its gatherers. Single-frame messages only.
    #[cfg(feature = "draft")]
    Scatter = ZMQ_SCATTER, SCATTER;
    /// Raw UDP datagrams (`ZMQ_DGRAM`, draft API, *not* thread-safe): every message
    /// is two frames, the peer's `"ip:port"` address then the body; received
    /// addresses end with a NUL byte. Made for `udp://` (it can bind there, not
    /// connect). A send fails with
    /// `EAGAIN`, even without `DONTWAIT`, while the socket cannot take a datagram: not
    /// bound or connected yet, or `ZMQ_SNDHWM` datagrams queued (libzmq 4.3.5 would
    /// abort or block forever in the first case).
    #[cfg(feature = "draft")]
    Dgram = ZMQ_DGRAM, DGRAM;
    /// Peer-to-peer (`ZMQ_PEER`, draft API, thread-safe): like SERVER in both
    /// directions; [`Socket::connect_peer`] connects and returns the new peer's
    /// routing id. Single-frame messages only.
    #[cfg(feature = "draft")]
    Peer = ZMQ_PEER, PEER;
    /// Exclusive pair for threads (`ZMQ_CHANNEL`, draft API, thread-safe): the
    /// thread-safe PAIR, meant for `inproc://`. Single-frame messages only.
    #[cfg(feature = "draft")]
    Channel = ZMQ_CHANNEL, CHANNEL;
}

impl fmt::Display for SocketType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name().trim_start_matches("ZMQ_"))
    }
}

bitflags::bitflags! {
    /// Flags of a send (`zmq_send`, `zmq_msg_send`).
    #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
    pub struct SendFlags: c_int {
        /// Fail with `EAGAIN` instead of blocking (`ZMQ_DONTWAIT`).
        const DONTWAIT = zmq_sys::ZMQ_DONTWAIT;
        /// More frames of this multipart message follow (`ZMQ_SNDMORE`).
        const SNDMORE = zmq_sys::ZMQ_SNDMORE;
    }
}

bitflags::bitflags! {
    /// Flags of a receive (`zmq_recv`, `zmq_msg_recv`).
    #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
    pub struct RecvFlags: c_int {
        /// Fail with `EAGAIN` instead of blocking (`ZMQ_DONTWAIT`).
        const DONTWAIT = zmq_sys::ZMQ_DONTWAIT;
    }
}

/// The most messages [`Socket::recv_latest`] reads in one call.
pub const RECV_LATEST_LIMIT: usize = 65_536;

/// `ZMQ_SNDMORE`, for porting C code: `socket.send(part, zmq::SNDMORE)`.
pub const SNDMORE: SendFlags = SendFlags::SNDMORE;

/// A ZeroMQ socket (`zmq_socket`), closed (`zmq_close`) when dropped.
///
/// A socket may move to another thread (`Send`) but not be used from two threads
/// at once (`!Sync`): libzmq's classic sockets are not thread-safe. Each socket keeps
/// its [`Context`] alive.
///
/// **Dropping a socket does not drop its unsent messages.** The drop (or
/// [`Socket::close`]) returns at once; messages still queued for a peer stay with
/// libzmq for the socket's `ZMQ_LINGER` period, which is **-1, for ever**, by default
/// in libzmq 4.3 (0 for sockets of a context with `set_blocky(false)`). The
/// context's final termination (when its last handle and last socket are gone)
/// waits for them: a program whose peer never comes back hangs on exit unless it
/// sets a finite linger ([`Socket::set_linger`], milliseconds) or 0 to discard.
/// RELIABILITY.md ("Shutdown") has the cases, each with its test.
///
/// ```
/// use zmq::{Context, RecvFlags, SendFlags, PULL, PUSH};
/// let ctx = Context::new()?;
/// let pull = ctx.socket(PULL)?;
/// pull.bind("tcp://127.0.0.1:*")?;
/// let endpoint = pull.get_last_endpoint()?;
/// let push = ctx.socket(PUSH)?;
/// push.connect(&endpoint)?;
/// push.send_multipart(["job", "42"], SendFlags::empty())?;
/// assert_eq!(pull.recv_multipart(RecvFlags::empty())?, [b"job".to_vec(), b"42".to_vec()]);
/// # Ok::<(), zmq::Error>(())
/// ```
pub struct Socket {
    // With the `draft` feature, `ThreadSafeSocket` shares `&Socket` between threads
    // for the thread-safe types, so: no field with unsynchronised interior
    // mutability here (`guard` holds atomics and locks only), and every `&self`
    // method (in any module) must only hand `ptr` to libzmq socket functions (which
    // lock for those types) besides using `guard`. See the SAFETY note of its Sync
    // impl.
    ptr: NonNull<c_void>,
    // What this crate checks before libzmq would abort, overflow or hang (guard.rs).
    guard: Guard,
    // Declared after `ptr` and dropped after the socket is closed in `Drop`, so
    // the context outlives its socket.
    ctx: Context,
}
// NonNull<c_void> makes Socket !Send and !Sync; Send is restored below, Sync is not.

// SAFETY: libzmq allows a socket to be used from any thread as long as it is never
// used from two threads at once and a full memory barrier separates the uses of two
// threads (zmq(7), "Thread safety"). Moving the owner to another thread provides the
// barrier (thread spawn / channel send synchronise), and Socket is !Sync, so `&Socket`
// never reaches a second thread.
unsafe impl Send for Socket {}

impl fmt::Debug for Socket {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut d = f.debug_struct("Socket");
        d.field("ptr", &self.ptr);
        if let Ok(t) = self.get_socket_type() {
            d.field("type", &t);
        }
        d.finish()
    }
}

impl Drop for Socket {
    fn drop(&mut self) {
        // SAFETY: ptr is a socket of ours, closed only here (close() forgets self
        // after closing). zmq_close fails only for an invalid socket (ENOTSOCK).
        unsafe { zmq_sys::zmq_close(self.ptr.as_ptr()) };
    }
}

impl Socket {
    pub(crate) fn new(ctx: &Context, socket_type: SocketType) -> Result<Socket> {
        // SAFETY: the context pointer is live (ctx keeps it alive); zmq_socket returns
        // null with errno set (ETERM, EMFILE, EINVAL) on failure.
        let ptr = cvt_ptr(unsafe { zmq_sys::zmq_socket(ctx.as_raw(), socket_type as c_int) })?;
        Ok(Socket {
            ptr,
            guard: Guard::new(socket_type),
            ctx: ctx.clone(),
        })
    }

    /// Wraps a raw socket.
    ///
    /// The checks this crate makes before libzmq calls that would abort (see
    /// SECURITY.md) are set up from the socket's type and its `ZMQ_CONFLATE`; a
    /// socket of a type this build does not know (a draft type without the `draft`
    /// feature) gets every check a draft type may need.
    ///
    /// # Safety
    /// `ptr` must be a live socket returned by `zmq_socket` on `ctx`'s context, owned
    /// by nobody else (it will be closed when the returned `Socket` drops), not used
    /// by another thread. Its `ZMQ_CONFLATE` must never have been on if it is off
    /// now, no `ZMQ_CONNECT_ROUTING_ID` may be pending on it, and `ZMQ_USE_FD` must
    /// be -1: what was done to it through the raw pointer cannot be read back.
    pub unsafe fn from_raw(ctx: Context, ptr: NonNull<c_void>) -> Socket {
        let mut socket = Socket {
            ptr,
            guard: Guard::unknown(),
            ctx,
        };
        if let Ok(socket_type) = socket.get_socket_type() {
            socket.guard = Guard::new(socket_type);
        }
        if socket.get_conflate() == Ok(true) {
            socket.guard.conflate(true);
        }
        socket
    }

    /// The raw `void *` socket, for calling `zmq_sys` directly; valid while `self` lives.
    pub fn as_raw(&self) -> *mut c_void {
        self.ptr.as_ptr()
    }

    /// Gives up ownership of the raw socket without closing it.
    pub fn into_raw(self) -> (Context, NonNull<c_void>) {
        let this = std::mem::ManuallyDrop::new(self);
        // SAFETY: `this` is never dropped, so the context is read out exactly once.
        let ctx = unsafe { std::ptr::read(&this.ctx) };
        (ctx, this.ptr)
    }

    /// The checks made before libzmq calls that would misbehave (guard.rs).
    pub(crate) fn guard(&self) -> &Guard {
        &self.guard
    }

    /// The context this socket belongs to.
    pub fn context(&self) -> &Context {
        &self.ctx
    }

    /// Closes the socket now (`zmq_close`), reporting an error instead of ignoring it.
    /// Pending outgoing messages are still sent as `ZMQ_LINGER` allows.
    #[doc(alias = "zmq_close")]
    pub fn close(self) -> Result<()> {
        let (_ctx, ptr) = self.into_raw();
        // SAFETY: into_raw gave us sole ownership of the live socket; it is closed once.
        cvt(unsafe { zmq_sys::zmq_close(ptr.as_ptr()) }).map(drop)
    }

    fn endpoint_call(
        &self,
        endpoint: &str,
        f: unsafe extern "C" fn(*mut c_void, *const std::ffi::c_char) -> c_int,
    ) -> Result<()> {
        check_port(endpoint)?;
        let endpoint = c_string(endpoint)?;
        self.endpoint_call_c(&endpoint, f)
    }

    fn endpoint_call_c(
        &self,
        endpoint: &std::ffi::CStr,
        f: unsafe extern "C" fn(*mut c_void, *const std::ffi::c_char) -> c_int,
    ) -> Result<()> {
        // SAFETY: f is one of zmq_bind/connect/unbind/disconnect, called with our
        // live socket and a NUL-terminated string that outlives the call.
        cvt(unsafe { f(self.as_raw(), endpoint.as_ptr()) }).map(drop)
    }

    /// Accepts connections on an endpoint (`zmq_bind`), e.g. `tcp://127.0.0.1:5555`,
    /// `tcp://127.0.0.1:*` (an ephemeral port: read it back with
    /// [`Socket::get_last_endpoint`]), `ipc:///tmp/feed`, `inproc://name`.
    ///
    /// A libzmq 4.3.5 quirk: on a socket with a monitor attached, a failed bind may
    /// report `EAGAIN` instead of its real error (e.g. `EADDRINUSE`), because
    /// libzmq emits the `BIND_FAILED` event before returning and a monitor send
    /// that waited leaves its `EAGAIN` in errno; the event carries the real error.
    ///
    /// Refused before libzmq sees them, where libzmq would abort later
    /// (SECURITY.md has the list): a PLAIN server with the draft
    /// `ZMQ_ZAP_ENFORCE_DOMAIN` on and no `ZMQ_ZAP_DOMAIN` (`EINVAL`); with the draft
    /// API, a DISH on `udp://` until `Socket::allow_udp_dish` (`ENOTSUP`), a DGRAM on
    /// anything but `udp://` and `inproc://` (`ENOCOMPATPROTO`), and a DGRAM with
    /// `ZMQ_IPV6` on, on `udp://` (`EAFNOSUPPORT`).
    ///
    /// Set the high-water marks before the first `bind` or `connect`: they are
    /// refused afterwards (see [`Socket::set_sndhwm`]).
    #[doc(alias = "zmq_bind")]
    pub fn bind(&self, endpoint: &str) -> Result<()> {
        check_port(endpoint)?;
        let c_endpoint = c_string(endpoint)?;
        self.check_endpoint(endpoint)?;
        self.guard.attach(false, || {
            self.endpoint_call_c(&c_endpoint, zmq_sys::zmq_bind)
        })
    }

    /// Connects to an endpoint (`zmq_connect`). The connection is made (and remade)
    /// in the background; messages queue meanwhile.
    ///
    /// On a ROUTER or STREAM with a routing id set by
    /// [`set_connect_routing_id`](Socket::set_connect_routing_id), this checks that
    /// the id is not in use (libzmq would abort the process): `EEXIST` for an id this
    /// socket already gave a connection (with the draft API, libzmq is asked whether a
    /// peer still holds it, so an id becomes free again once its peer is gone),
    /// `EINVAL` with `ZMQ_IMMEDIATE` on (libzmq would not give this connection the
    /// id but keep it for a later connect, past the bookkeeping that makes the
    /// check possible). Endpoints are checked as in [`Socket::bind`], and also:
    /// a `ws://` or `wss://` endpoint longer than 7 KiB, or a `tcp://` host longer
    /// than 255 bytes, is `EINVAL` (libzmq's upgrade request and SOCKS request
    /// cannot hold them). A RADIO connected to `udp://` refuses larger messages than
    /// a datagram holds from then on (`EMSGSIZE`, see [`Socket::send_msg`]).
    #[doc(alias = "zmq_connect")]
    pub fn connect(&self, endpoint: &str) -> Result<()> {
        check_port(endpoint)?;
        let c_endpoint = c_string(endpoint)?;
        self.check_endpoint(endpoint)?;
        endpoint::check_connect(endpoint)?;
        self.guard.attach(endpoint::is_udp(endpoint), || {
            self.guard.check_connect(
                || self.get_immediate(),
                |id| self.routing_id_in_use(id),
                || self.endpoint_call_c(&c_endpoint, zmq_sys::zmq_connect),
            )
        })
    }

    /// The checks of `bind` and `connect` that depend on the socket (see
    /// [`Socket::bind`]).
    fn check_endpoint(&self, endpoint: &str) -> Result<()> {
        // A PLAIN server that enforces ZAP domains without one aborts on its first
        // client (plain_server.cpp:27); libzmq copies the options when the endpoint
        // is made, so this is the moment that decides.
        if self.get_plain_server() == Ok(true)
            && self.get_option_int(crate::guard::ZMQ_ZAP_ENFORCE_DOMAIN) == Ok(1)
            && self.get_zap_domain().is_ok_and(|domain| domain.is_empty())
        {
            return Err(Error::EINVAL);
        }
        if endpoint::is_udp(endpoint) {
            self.guard.check_udp_dish()?;
        }
        if self.guard.is_dgram() {
            // Over a byte stream a DGRAM's empty frames abort the raw engine
            // (stream_engine_base.cpp:338).
            if !matches!(endpoint::transport(endpoint), Some("udp" | "inproc")) {
                return Err(Error::ENOCOMPATPROTO);
            }
            // Its UDP engine asserts that every datagram it receives is IPv4
            // (udp_engine.cpp:535); with IPv6 on, libzmq makes an IPv6 socket even
            // for an IPv4 literal, where IPv4 datagrams arrive v4-mapped.
            if endpoint::is_udp(endpoint) && self.get_ipv6()? {
                return Err(Error::EAFNOSUPPORT);
            }
        }
        Ok(())
    }

    /// Whether a peer of this ROUTER holds `routing_id`, as far as libzmq can tell
    /// (`zmq_socket_get_peer_state`, draft API; `None` without it, or for a STREAM).
    fn routing_id_in_use(&self, routing_id: &[u8]) -> Option<bool> {
        #[cfg(feature = "draft")]
        if self.get_socket_type() == Ok(SocketType::Router) {
            // Reading ZMQ_EVENTS applies the commands pending on the socket first,
            // among them the attachment of peers that connected meanwhile.
            let _ = self.get_events();
            return match self.peer_state(routing_id) {
                Ok(_) => Some(true),
                Err(Error::EHOSTUNREACH) => Some(false),
                Err(_) => None,
            };
        }
        let _ = routing_id;
        None
    }

    /// Lets this DISH socket bind or connect `udp://` endpoints, which it refuses
    /// otherwise (`ENOTSUP`). `ENOTSUP` on other socket types.
    ///
    /// **Danger:** libzmq 4.3.5 (and 4.3.4) reads the first byte of every datagram a
    /// DISH receives over UDP as a signed group length: a datagram whose first byte
    /// is 0x80 or more makes libzmq abort the process (where C's `char` is unsigned,
    /// as on aarch64 and s390x, each such datagram leaks memory instead). Anyone who
    /// can send one UDP packet to the port can do it; UDP has no handshake and no
    /// authentication. Allow it only where nothing untrusted can reach the port (a
    /// firewall, a private network namespace). SECURITY.md lists this risk.
    ///
    /// ```
    /// # fn main() -> zmq::Result<()> {
    /// let ctx = zmq::Context::new()?;
    /// let dish = ctx.socket(zmq::DISH)?;
    /// assert_eq!(dish.bind("udp://127.0.0.1:*"), Err(zmq::Error::ENOTSUP));
    /// dish.allow_udp_dish()?;
    /// dish.bind("udp://127.0.0.1:*")?;
    /// # Ok(())
    /// # }
    /// ```
    #[cfg(feature = "draft")]
    #[cfg_attr(docsrs, doc(cfg(feature = "draft")))]
    pub fn allow_udp_dish(&self) -> Result<()> {
        self.guard.allow_udp_dish()
    }

    /// Stops accepting on a bound endpoint (`zmq_unbind`); `ENOENT` if not bound.
    #[doc(alias = "zmq_unbind")]
    pub fn unbind(&self, endpoint: &str) -> Result<()> {
        self.endpoint_call(endpoint, zmq_sys::zmq_unbind)
    }

    /// Drops a connection made by [`Socket::connect`] (`zmq_disconnect`); `ENOENT` if none.
    #[doc(alias = "zmq_disconnect")]
    pub fn disconnect(&self, endpoint: &str) -> Result<()> {
        self.endpoint_call(endpoint, zmq_sys::zmq_disconnect)
    }

    /// Sends one frame, copying `data` (`zmq_send`): bytes, `&str`, `Vec<u8>`,
    /// `String`... To send a [`Message`] without copying, use [`Socket::send_msg`].
    ///
    /// Checks made first where libzmq would misbehave (all `Err`, nothing sent):
    /// `EINVAL` for `SNDMORE` on a socket that has had `ZMQ_CONFLATE` on; `EMSGSIZE`
    /// for a frame larger than a UDP datagram holds on a DGRAM, or on a RADIO
    /// connected to `udp://` (8192 bytes, less one and the group's length for RADIO);
    /// `EAGAIN` on a DGRAM that cannot take a frame now (see `SocketType::Dgram`, draft).
    #[doc(alias = "zmq_send")]
    #[inline]
    pub fn send(&self, data: impl AsRef<[u8]>, flags: SendFlags) -> Result<()> {
        let data = data.as_ref();
        if self.guard.checks_sends() {
            return self.send_checked(data, flags, Part::Alone);
        }
        self.send_unchecked(data, flags)
    }

    #[cold]
    #[inline(never)]
    fn send_checked(&self, data: &[u8], flags: SendFlags, part: Part) -> Result<()> {
        let _gate = self.guard.send_gate();
        self.check_send(data.len(), 0, flags, part)?;
        self.send_unchecked(data, flags)
    }

    /// The checks of a send of `len` bytes with a group of `group_len` bytes (see
    /// [`Socket::send`]).
    fn check_send(&self, len: usize, group_len: usize, flags: SendFlags, part: Part) -> Result<()> {
        self.guard
            .check_send(len, group_len, flags.contains(SendFlags::SNDMORE), part)?;
        #[cfg(feature = "draft")]
        if self.guard.is_dgram() && part != Part::RestOfWhole {
            self.dgram_can_send()?;
        }
        Ok(())
    }

    #[inline]
    fn send_unchecked(&self, data: &[u8], flags: SendFlags) -> Result<()> {
        // SAFETY: our live socket; data points to data.len() readable bytes, copied
        // by libzmq before it returns.
        cvt(unsafe {
            zmq_sys::zmq_send(
                self.as_raw(),
                data.as_ptr().cast(),
                data.len(),
                flags.bits(),
            )
        })
        .map(drop)
    }

    /// Sends a message (`zmq_msg_send`). On success libzmq has taken the content
    /// and `msg` is left empty, ready for reuse; on failure (e.g. `EAGAIN` with
    /// `DONTWAIT`, `EFSM`) `msg` is left as it was, so nothing is lost: retry it or
    /// keep it. The same checks as [`Socket::send`] are made first, with the
    /// message's group counted for a RADIO.
    #[doc(alias = "zmq_msg_send")]
    #[inline]
    pub fn send_msg(&self, msg: &mut Message, flags: SendFlags) -> Result<()> {
        if self.guard.checks_sends() {
            return self.send_msg_checked(msg, flags, Part::Alone);
        }
        self.send_msg_unchecked(msg, flags)
    }

    /// [`Socket::send_msg`] of one frame of a whole message this crate sends in one
    /// call (after checking the whole of it where that matters: see
    /// [`Socket::check_whole`]).
    #[inline]
    pub(crate) fn send_msg_part(
        &self,
        msg: &mut Message,
        flags: SendFlags,
        part: Part,
    ) -> Result<()> {
        if self.guard.checks_sends() {
            return self.send_msg_checked(msg, flags, part);
        }
        self.send_msg_unchecked(msg, flags)
    }

    #[cold]
    #[inline(never)]
    fn send_msg_checked(&self, msg: &mut Message, flags: SendFlags, part: Part) -> Result<()> {
        let _gate = self.guard.send_gate();
        #[cfg(feature = "draft")]
        let group_len = msg.group_bytes().map_or(0, <[u8]>::len);
        #[cfg(not(feature = "draft"))]
        let group_len = 0;
        self.check_send(msg.len(), group_len, flags, part)?;
        self.send_msg_unchecked(msg, flags)
    }

    /// The checks a whole message needs before its first frame is sent with `flags`:
    /// a DGRAM datagram is an address and a body within a UDP datagram, and nothing
    /// follows it (`EINVAL`, `EMSGSIZE`). `frames` and `last_len` describe the
    /// message.
    pub(crate) fn check_whole(
        &self,
        frames: usize,
        last_len: usize,
        flags: SendFlags,
    ) -> Result<()> {
        if self.guard.is_dgram() {
            if flags.contains(SendFlags::SNDMORE) {
                return Err(Error::EINVAL);
            }
            Guard::check_datagram(frames, last_len)?;
        }
        Ok(())
    }

    #[inline]
    fn send_msg_unchecked(&self, msg: &mut Message, flags: SendFlags) -> Result<()> {
        // SAFETY: our live socket and an initialised message that we own mutably;
        // zmq_msg_send either takes the content (re-initialising msg as empty) or
        // leaves msg untouched on failure.
        cvt(unsafe { zmq_sys::zmq_msg_send(msg.as_mut_ptr(), self.as_raw(), flags.bits()) })
            .map(drop)
    }

    /// Sends the frames of one multipart message, copying each (`ZMQ_SNDMORE` on
    /// all but the last). `flags` apply to every frame (`SNDMORE` on the last one
    /// too, if given, to continue the message in another call; not on a DGRAM,
    /// whose datagrams leave whole: its message is exactly an address and a body).
    pub fn send_multipart<I>(&self, parts: I, flags: SendFlags) -> Result<()>
    where
        I: IntoIterator,
        I::Item: AsRef<[u8]>,
    {
        if self.guard.is_dgram() {
            return self.send_datagram(parts.into_iter().collect(), flags);
        }
        let mut parts = parts.into_iter().peekable();
        while let Some(part) = parts.next() {
            let more = if parts.peek().is_some() {
                SendFlags::SNDMORE
            } else {
                SendFlags::empty()
            };
            self.send(part, flags | more)?;
        }
        Ok(())
    }

    /// A DGRAM's `send_multipart`: the whole datagram is checked, then its two
    /// frames are sent back to back.
    #[cold]
    fn send_datagram<T: AsRef<[u8]>>(&self, parts: Vec<T>, flags: SendFlags) -> Result<()> {
        self.check_whole(
            parts.len(),
            parts.last().map_or(0, |p| p.as_ref().len()),
            flags,
        )?;
        let mut part = Part::FirstOfWhole;
        for (i, data) in parts.iter().enumerate() {
            let more = if i + 1 < parts.len() {
                SendFlags::SNDMORE
            } else {
                SendFlags::empty()
            };
            self.send_checked(data.as_ref(), flags | more, part)?;
            part = Part::RestOfWhole;
        }
        Ok(())
    }

    /// Receives one frame into `msg` (`zmq_msg_recv`), replacing its content, and
    /// returns its size. Reusing one `Message` allocates nothing for small frames.
    ///
    /// On a socket that has had `ZMQ_CONFLATE` on, a frame with more to follow
    /// fails with `EPROTO`, and so does every later receive: libzmq's conflate
    /// cannot carry multipart messages, and the next receive could abort the process
    /// (see [`Socket::set_conflate`]).
    #[doc(alias = "zmq_msg_recv")]
    #[inline]
    pub fn recv_msg(&self, msg: &mut Message, flags: RecvFlags) -> Result<usize> {
        if self.guard.checks_recvs() {
            return self.recv_msg_checked(msg, flags);
        }
        self.recv_msg_unchecked(msg, flags)
    }

    #[cold]
    #[inline(never)]
    fn recv_msg_checked(&self, msg: &mut Message, flags: RecvFlags) -> Result<usize> {
        self.guard.before_recv()?;
        let n = self.recv_msg_unchecked(msg, flags)?;
        self.guard.after_recv(msg.more())?;
        Ok(n)
    }

    #[inline]
    fn recv_msg_unchecked(&self, msg: &mut Message, flags: RecvFlags) -> Result<usize> {
        // SAFETY: our live socket and an initialised message we own mutably;
        // zmq_msg_recv closes its old content and stores the new frame.
        cvt(unsafe { zmq_sys::zmq_msg_recv(msg.as_mut_ptr(), self.as_raw(), flags.bits()) })
            .map(|n| n as usize)
    }

    /// Receives one frame as a new [`Message`].
    pub fn recv_message(&self, flags: RecvFlags) -> Result<Message> {
        let mut msg = Message::new();
        self.recv_msg(&mut msg, flags)?;
        Ok(msg)
    }

    /// Receives one frame into `buf` (`zmq_recv`) and returns the frame's full
    /// size: when it is larger than `buf.len()`, only `buf.len()` bytes were stored
    /// and the rest of the frame is gone (as in C). Conflating sockets are checked as
    /// in [`Socket::recv_msg`].
    #[doc(alias = "zmq_recv")]
    #[inline]
    pub fn recv_into(&self, buf: &mut [u8], flags: RecvFlags) -> Result<usize> {
        if self.guard.checks_recvs() {
            return self.recv_into_checked(buf, flags);
        }
        self.recv_into_unchecked(buf, flags)
    }

    #[cold]
    #[inline(never)]
    fn recv_into_checked(&self, buf: &mut [u8], flags: RecvFlags) -> Result<usize> {
        self.guard.before_recv()?;
        let n = self.recv_into_unchecked(buf, flags)?;
        self.guard.after_recv(self.get_rcvmore()?)?;
        Ok(n)
    }

    #[inline]
    fn recv_into_unchecked(&self, buf: &mut [u8], flags: RecvFlags) -> Result<usize> {
        // SAFETY: our live socket; buf is buf.len() writable bytes; libzmq writes at
        // most that many.
        cvt(unsafe {
            zmq_sys::zmq_recv(
                self.as_raw(),
                buf.as_mut_ptr().cast(),
                buf.len(),
                flags.bits(),
            )
        })
        .map(|n| n as usize)
    }

    /// Receives one frame as a `Vec<u8>`.
    pub fn recv_bytes(&self, flags: RecvFlags) -> Result<Vec<u8>> {
        self.recv_message(flags).map(|m| m.to_vec())
    }

    /// Receives one frame as text: `Ok(Ok(text))` when it is UTF-8, `Ok(Err(bytes))`
    /// with the frame when it is not (nothing is lost, nothing panics).
    pub fn recv_string(&self, flags: RecvFlags) -> Result<std::result::Result<String, Vec<u8>>> {
        self.recv_bytes(flags)
            .map(|bytes| String::from_utf8(bytes).map_err(|e| e.into_bytes()))
    }

    /// Receives every frame of one multipart message. `flags` are passed to every
    /// frame's receive; once the first frame has arrived the others are already
    /// queued, so `DONTWAIT` only ever makes the first one fail with `EAGAIN`.
    pub fn recv_multipart(&self, flags: RecvFlags) -> Result<Vec<Vec<u8>>> {
        let mut parts = Vec::new();
        let mut msg = Message::new();
        loop {
            self.recv_msg(&mut msg, flags)?;
            parts.push(msg.to_vec());
            if !msg.more() {
                return Ok(parts);
            }
        }
    }

    /// Receives the newest whole message queued on the socket into `parts` and
    /// returns how many older whole messages it skipped: a "latest value" receive
    /// that, unlike `ZMQ_CONFLATE`, handles multipart messages and cannot be made to
    /// abort by a peer (see [`Socket::set_conflate`]).
    ///
    /// The first message is received with `flags` (so it waits for one unless
    /// `DONTWAIT`); then, while another whole message is already queued, it replaces
    /// the one held. At most [`RECV_LATEST_LIMIT`] messages are read per call, so a
    /// sender faster than this loop cannot keep it here for ever: the next call goes
    /// on from there. `parts` is cleared first, keeps its capacity, and on success
    /// holds every frame of one message (the last has no [`Message::more`]). On an
    /// error (`EAGAIN` with `DONTWAIT` and nothing queued, `ETERM` ...) `parts` is
    /// left empty.
    ///
    /// ```
    /// use zmq::{Message, RecvFlags, SendFlags, SNDMORE};
    /// let ctx = zmq::Context::new()?;
    /// let sub = ctx.socket(zmq::PULL)?;
    /// sub.bind("inproc://doc-latest")?;
    /// let publisher = ctx.socket(zmq::PUSH)?;
    /// publisher.connect("inproc://doc-latest")?;
    /// for price in ["101", "102", "103"] {
    ///     publisher.send("EURUSD", SNDMORE)?;
    ///     publisher.send(price, SendFlags::empty())?;
    /// }
    /// let mut latest = Vec::new();
    /// // Wait for the first, then take whatever else is queued.
    /// let mut skipped = sub.recv_latest(&mut latest, RecvFlags::empty())?;
    /// while latest[1] != "103" {
    ///     skipped += sub.recv_latest(&mut latest, RecvFlags::empty())? + 1;
    /// }
    /// assert_eq!((latest[0].as_str(), latest[1].as_str()), (Some("EURUSD"), Some("103")));
    /// assert_eq!(skipped, 2);
    /// # Ok::<(), zmq::Error>(())
    /// ```
    pub fn recv_latest(&self, parts: &mut Vec<Message>, flags: RecvFlags) -> Result<usize> {
        parts.clear();
        self.recv_latest_into(parts, flags)
            .inspect_err(|_| parts.clear())
    }

    fn recv_latest_into(&self, parts: &mut Vec<Message>, flags: RecvFlags) -> Result<usize> {
        self.recv_whole(parts, flags)?;
        let mut skipped = 0;
        while skipped + 1 < RECV_LATEST_LIMIT {
            let mut first = Message::new();
            match self.recv_msg(&mut first, RecvFlags::DONTWAIT) {
                Ok(_) => {}
                Err(Error::EAGAIN) => break,
                Err(e) => return Err(e),
            }
            // A newer message has begun: the rest of it is queued with its first
            // frame (libzmq delivers whole messages), so the one held can go.
            parts.clear();
            let more = first.more();
            parts.push(first);
            if more {
                self.recv_whole(parts, RecvFlags::DONTWAIT)?;
            }
            skipped += 1;
        }
        Ok(skipped)
    }

    /// Receives the frames of one message, appending them to `parts` (all of them
    /// if `parts` is empty, else the rest of the message whose frames it holds).
    fn recv_whole(&self, parts: &mut Vec<Message>, flags: RecvFlags) -> Result<()> {
        let flags = if parts.is_empty() {
            flags
        } else {
            RecvFlags::DONTWAIT
        };
        loop {
            let mut frame = Message::new();
            self.recv_msg(&mut frame, flags)?;
            let more = frame.more();
            parts.push(frame);
            if !more {
                return Ok(());
            }
        }
    }

    /// The type of this socket (`ZMQ_TYPE`).
    pub fn get_socket_type(&self) -> Result<SocketType> {
        SocketType::try_from(self.get_option_int(zmq_sys::ZMQ_TYPE)?)
    }

    pub(crate) fn get_option_int(&self, option: c_int) -> Result<c_int> {
        let mut value: c_int = 0;
        let mut size = std::mem::size_of::<c_int>();
        // SAFETY: our live socket; value/size describe a writable c_int.
        cvt(unsafe {
            zmq_sys::zmq_getsockopt(
                self.as_raw(),
                option,
                (&mut value as *mut c_int).cast(),
                &mut size,
            )
        })?;
        Ok(value)
    }
}

/// The draft API's socket calls: groups (`zmq_join`, `zmq_leave`) and peers
/// (`zmq_connect_peer`).
#[cfg(feature = "draft")]
#[cfg_attr(docsrs, doc(cfg(feature = "draft")))]
impl Socket {
    /// For a DGRAM socket, `EAGAIN` unless it can take a frame now (`ZMQ_EVENTS` has
    /// `POLLOUT`).
    ///
    /// libzmq 4.3.5's DGRAM socket cannot handle a send while it has no UDP pipe
    /// (before its first bind or connect, or once an unbind/disconnect has begun): it
    /// frees the message and fails without setting errno, after which libzmq aborts
    /// the process on a failed assertion or blocks forever. `ZMQ_EVENTS` first applies
    /// the socket's pending commands and reports `POLLOUT` only while the pipe is
    /// there, active and below its high-water mark; nothing else touches the socket
    /// before the send (DGRAM sockets are not thread-safe, and `Socket` is `!Sync`),
    /// and a pipe still active cannot finish terminating in between.
    fn dgram_can_send(&self) -> Result<()> {
        let events = self.get_option_int(zmq_sys::ZMQ_EVENTS)?;
        if events & zmq_sys::ZMQ_POLLOUT != 0 {
            Ok(())
        } else {
            Err(Error::EAGAIN)
        }
    }

    /// Joins a group (`zmq_join`): this DISH socket now receives the messages RADIO
    /// sockets send to `group` (exact match). `EINVAL` when already joined, when the
    /// name is longer than 14 bytes or holds a NUL byte; `ENOTSUP` on a socket that
    /// is not a DISH.
    ///
    /// 14 bytes, not libzmq's 255: libzmq 4.3.5 keeps longer groups in a block that
    /// the copies of one message for several pipes do not share safely (a JOIN sent
    /// to two RADIOs, or a RADIO message to two DISHes, reads a freed group); see
    /// SECURITY.md.
    ///
    /// ```
    /// # fn main() -> zmq::Result<()> {
    /// use zmq::{Message, RecvFlags, SendFlags};
    /// let ctx = zmq::Context::new()?;
    /// let dish = ctx.thread_safe_socket(zmq::ThreadSafeType::Dish)?;
    /// dish.bind("inproc://doc-join")?;
    /// dish.join("weather")?;
    /// dish.set_rcvtimeo(50)?;
    /// let radio = ctx.thread_safe_socket(zmq::ThreadSafeType::Radio)?;
    /// radio.connect("inproc://doc-join")?;
    /// // The radio learns of the join in the background: repeat until it arrives.
    /// let received = loop {
    ///     let mut msg = Message::from("sunny");
    ///     msg.set_group("weather")?;
    ///     radio.send_msg(&mut msg, SendFlags::empty())?;
    ///     match dish.recv_message(RecvFlags::empty()) {
    ///         Ok(msg) => break msg,
    ///         Err(zmq::Error::EAGAIN) => continue,
    ///         Err(e) => return Err(e),
    ///     }
    /// };
    /// assert_eq!(received, "sunny");
    /// assert_eq!(received.group(), Some("weather"));
    /// # Ok(())
    /// # }
    /// ```
    #[doc(alias = "zmq_join")]
    pub fn join(&self, group: &str) -> Result<()> {
        let group = group_name(group)?;
        // SAFETY: our live socket and a NUL-terminated string that outlives the call.
        cvt(unsafe { zmq_sys::zmq_join(self.as_raw(), group.as_ptr()) }).map(drop)
    }

    /// Leaves a group joined with [`Socket::join`] (`zmq_leave`). `EINVAL` when the
    /// socket is not in the group (or the name is longer than 14 bytes, as for
    /// [`Socket::join`], or holds a NUL byte); `ENOTSUP` on a socket that is not a
    /// DISH.
    #[doc(alias = "zmq_leave")]
    pub fn leave(&self, group: &str) -> Result<()> {
        let group = group_name(group)?;
        // SAFETY: our live socket and a NUL-terminated string that outlives the call.
        cvt(unsafe { zmq_sys::zmq_leave(self.as_raw(), group.as_ptr()) }).map(drop)
    }

    /// Connects this PEER socket to another PEER (`zmq_connect_peer`) and returns
    /// the routing id that addresses the new peer: set it on a message with
    /// [`Message::set_routing_id`] to send to that peer (messages queue until the
    /// connection is made). `ENOTSUP` on a socket that is not a PEER; `EFAULT` when
    /// `ZMQ_IMMEDIATE` is set on it (libzmq cannot name a peer that is not connected
    /// yet); the errors of [`Socket::connect`] otherwise.
    ///
    /// ```
    /// # fn main() -> zmq::Result<()> {
    /// use zmq::{Message, RecvFlags, SendFlags, ThreadSafeType};
    /// let ctx = zmq::Context::new()?;
    /// let a = ctx.thread_safe_socket(ThreadSafeType::Peer)?;
    /// a.bind("inproc://doc-peer")?;
    /// let b = ctx.thread_safe_socket(ThreadSafeType::Peer)?;
    /// let to_a = b.connect_peer("inproc://doc-peer")?;
    /// let mut hello = Message::from("hello");
    /// hello.set_routing_id(to_a)?;
    /// b.send_msg(&mut hello, SendFlags::empty())?;
    /// let got = a.recv_message(RecvFlags::empty())?;
    /// assert_eq!(got, "hello");
    /// assert!(got.routing_id().is_some()); // how `a` addresses `b`
    /// # Ok(())
    /// # }
    /// ```
    #[doc(alias = "zmq_connect_peer")]
    pub fn connect_peer(&self, endpoint: &str) -> Result<u32> {
        check_port(endpoint)?;
        let c_endpoint = c_string(endpoint)?;
        self.check_endpoint(endpoint)?;
        endpoint::check_connect(endpoint)?;
        let mut routing_id = 0;
        self.guard.attach(false, || {
            // SAFETY: our live socket and a NUL-terminated string that outlives the
            // call; zmq_connect_peer returns 0 with errno set on failure.
            routing_id = unsafe { zmq_sys::zmq_connect_peer(self.as_raw(), c_endpoint.as_ptr()) };
            if routing_id == 0 {
                Err(Error::last())
            } else {
                Ok(())
            }
        })?;
        Ok(routing_id)
    }

    /// The state of the connection to one peer of a ROUTER
    /// (`zmq_socket_get_peer_state`, draft): [`PollEvents::POLLOUT`](crate::PollEvents)
    /// when a message to that peer would be queued now rather than hit the high water
    /// mark. `EHOSTUNREACH` for a routing id with no connection, `ENOTSUP` on other
    /// socket types.
    #[doc(alias = "zmq_socket_get_peer_state")]
    pub fn peer_state(&self, routing_id: &[u8]) -> Result<crate::PollEvents> {
        // SAFETY: our live socket; routing_id points to routing_id.len() readable
        // bytes, which libzmq only compares with its peers' ids during the call.
        let state = cvt(unsafe {
            zmq_sys::zmq_socket_get_peer_state(
                self.as_raw(),
                routing_id.as_ptr().cast(),
                routing_id.len(),
            )
        })?;
        Ok(crate::PollEvents::from_bits_truncate(
            state as std::ffi::c_short,
        ))
    }
}

/// A group name for `zmq_join` / `zmq_leave`: at most 14 bytes
/// (`SHARED_GROUP_MAX_LENGTH`: libzmq's JOIN and LEAVE commands go to every RADIO
/// the DISH is connected to, and a longer group would be freed while other copies
/// still read it), no NUL byte; `EINVAL` otherwise.
#[cfg(feature = "draft")]
fn group_name(group: &str) -> Result<std::ffi::CString> {
    if group.len() > crate::guard::SHARED_GROUP_MAX_LENGTH {
        return Err(Error::EINVAL);
    }
    c_string(group)
}

#[cfg(feature = "draft")]
#[cfg_attr(docsrs, doc(cfg(feature = "draft")))]
impl SocketType {
    /// Whether libzmq makes sockets of this type thread-safe (`ZMQ_THREAD_SAFE`):
    /// SERVER, CLIENT, RADIO, DISH, GATHER, SCATTER, PEER and CHANNEL, which
    /// [`ThreadSafeSocket`] may share between threads.
    pub const fn is_thread_safe(self) -> bool {
        matches!(
            self,
            SocketType::Server
                | SocketType::Client
                | SocketType::Radio
                | SocketType::Dish
                | SocketType::Gather
                | SocketType::Scatter
                | SocketType::Peer
                | SocketType::Channel
        )
    }
}

/// The thread-safe socket types of libzmq's draft API: the types a
/// [`ThreadSafeSocket`] can have. Each converts into the [`SocketType`] of the same
/// name.
#[cfg(feature = "draft")]
#[cfg_attr(docsrs, doc(cfg(feature = "draft")))]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[repr(i32)]
#[non_exhaustive]
pub enum ThreadSafeType {
    /// [`SocketType::Server`].
    Server = zmq_sys::ZMQ_SERVER,
    /// [`SocketType::Client`].
    Client = zmq_sys::ZMQ_CLIENT,
    /// [`SocketType::Radio`].
    Radio = zmq_sys::ZMQ_RADIO,
    /// [`SocketType::Dish`].
    Dish = zmq_sys::ZMQ_DISH,
    /// [`SocketType::Gather`].
    Gather = zmq_sys::ZMQ_GATHER,
    /// [`SocketType::Scatter`].
    Scatter = zmq_sys::ZMQ_SCATTER,
    /// [`SocketType::Peer`].
    Peer = zmq_sys::ZMQ_PEER,
    /// [`SocketType::Channel`].
    Channel = zmq_sys::ZMQ_CHANNEL,
}

#[cfg(feature = "draft")]
#[cfg_attr(docsrs, doc(cfg(feature = "draft")))]
impl ThreadSafeType {
    /// Every thread-safe socket type.
    pub const ALL: &'static [ThreadSafeType] = &[
        ThreadSafeType::Server,
        ThreadSafeType::Client,
        ThreadSafeType::Radio,
        ThreadSafeType::Dish,
        ThreadSafeType::Gather,
        ThreadSafeType::Scatter,
        ThreadSafeType::Peer,
        ThreadSafeType::Channel,
    ];
}

#[cfg(feature = "draft")]
#[cfg_attr(docsrs, doc(cfg(feature = "draft")))]
impl From<ThreadSafeType> for SocketType {
    fn from(t: ThreadSafeType) -> SocketType {
        match t {
            ThreadSafeType::Server => SocketType::Server,
            ThreadSafeType::Client => SocketType::Client,
            ThreadSafeType::Radio => SocketType::Radio,
            ThreadSafeType::Dish => SocketType::Dish,
            ThreadSafeType::Gather => SocketType::Gather,
            ThreadSafeType::Scatter => SocketType::Scatter,
            ThreadSafeType::Peer => SocketType::Peer,
            ThreadSafeType::Channel => SocketType::Channel,
        }
    }
}

#[cfg(feature = "draft")]
#[cfg_attr(docsrs, doc(cfg(feature = "draft")))]
impl TryFrom<SocketType> for ThreadSafeType {
    type Error = Error;

    /// The thread-safe type of this name; `EINVAL` for a classic (not thread-safe) type.
    fn try_from(t: SocketType) -> Result<ThreadSafeType> {
        ThreadSafeType::ALL
            .iter()
            .copied()
            .find(|&ts| SocketType::from(ts) == t)
            .ok_or(Error::EINVAL)
    }
}

#[cfg(feature = "draft")]
#[cfg_attr(docsrs, doc(cfg(feature = "draft")))]
impl fmt::Display for ThreadSafeType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&SocketType::from(*self), f)
    }
}

/// A socket of a thread-safe type (SERVER, CLIENT, RADIO, DISH, GATHER, SCATTER,
/// PEER, CHANNEL; draft API) that may be shared between threads: it is
/// `Send + Sync`, so `&ThreadSafeSocket` can go to scoped threads or live in an
/// `Arc`, and several threads may send and receive on it at the same time.
///
/// It dereferences to [`Socket`] for everything else: `bind`, `connect`, `send`,
/// `send_msg`, `recv_msg`, `recv_bytes`, `recv_into`, `join` / `leave` (DISH),
/// `connect_peer` (PEER) and all socket options. These types carry single-frame
/// messages only: a send with `SNDMORE` fails with `EINVAL`, and a received message
/// never has [`Message::more`]. The receiving thread of a message is whichever asks
/// first; a SERVER replies by routing id ([`Message::routing_id`]), from any thread.
///
/// Plain [`Socket`]s stay `!Sync`: [`Context::socket`] with a thread-safe type makes
/// a `Socket` too, usable from one thread at a time like any other; convert it with
/// `ThreadSafeSocket::try_from(socket)` to share it.
///
/// **Two thread-safe sockets connected over `inproc://` can deadlock in libzmq
/// 4.3.5** (SECURITY.md): each takes its own lock in every call, and a call that
/// sends its inproc peer a command (connect, unbind, send, receive) while libzmq's
/// reaper closes that peer waits for the peer's lock as the reaper waits for this
/// one's; the context then never terminates. The crate cannot order itself with
/// libzmq's reaper: close both sockets from one thread, or connect them over
/// another transport.
///
/// ```
/// # fn main() -> zmq::Result<()> {
/// use zmq::{Message, RecvFlags, SendFlags, ThreadSafeSocket, ThreadSafeType};
/// fn is_send_sync<T: Send + Sync>() {}
/// is_send_sync::<ThreadSafeSocket>();
///
/// let ctx = zmq::Context::new()?;
/// let server = ctx.thread_safe_socket(ThreadSafeType::Server)?;
/// server.bind("inproc://doc-thread-safe")?;
/// server.set_rcvtimeo(5_000)?;
/// let client = ctx.thread_safe_socket(ThreadSafeType::Client)?;
/// client.connect("inproc://doc-thread-safe")?;
/// client.set_rcvtimeo(5_000)?;
///
/// std::thread::scope(|scope| -> zmq::Result<()> {
///     // The server answers on another thread, through a shared reference.
///     let answering = scope.spawn(|| -> zmq::Result<()> {
///         let request = server.recv_message(RecvFlags::empty())?;
///         let client_id = request.routing_id().expect("SERVER messages carry one");
///         let mut reply = Message::from(format!("re: {}", request.as_str().unwrap_or("?")));
///         reply.set_routing_id(client_id)?;
///         server.send_msg(&mut reply, SendFlags::empty())
///     });
///     client.send("ping", SendFlags::empty())?;
///     assert_eq!(client.recv_bytes(RecvFlags::empty())?, b"re: ping");
///     answering.join().unwrap()
/// })?;
/// # Ok(())
/// # }
/// ```
#[cfg(feature = "draft")]
#[cfg_attr(docsrs, doc(cfg(feature = "draft")))]
pub struct ThreadSafeSocket {
    // Never handed out mutably (no DerefMut, no `&mut` accessor): `&mut Socket` would
    // allow `mem::replace` with a classic socket, which must not become Sync.
    socket: Socket,
    kind: ThreadSafeType,
}

// (ThreadSafeSocket is Send because Socket is.)
#[cfg(feature = "draft")]
#[cfg_attr(docsrs, doc(cfg(feature = "draft")))]
// SAFETY: a `&ThreadSafeSocket` lets several threads call `&self` methods of
// the inner `Socket` at the same time (directly through Deref, or by handing the
// `&Socket` to poll/proxy/monitor functions of this crate). That is sound because:
// 1. The socket is of a thread-safe type: `ThreadSafeSocket` is only built after
//    libzmq itself reported `ZMQ_THREAD_SAFE` = 1 for it (`try_from`; `new` goes
//    through it), and its type never changes (no `&mut Socket` is ever handed out,
//    so it cannot be swapped for another socket; `into_socket`/`close` consume it).
// 2. libzmq documents these types as usable from several threads at once
//    (zmq_socket(3), "Thread safety") and implements that by serialising every
//    socket entry point on the socket's own mutex: `socket_base_t::{setsockopt,
//    getsockopt, bind, connect, term_endpoint (unbind/disconnect), send, recv,
//    join, leave}` and `peer_t::connect_peer` take `_sync` (a blocking send/recv
//    waits on a condition variable that releases it), `zmq_socket_monitor` takes the
//    socket's monitor mutex (and reads `_ctx_terminated` under it, not under `_sync`:
//    a plain bool that only ever goes from false to true, written by the socket's
//    own command processing, so a racing read sees either value and reports ETERM
//    one call late at worst; a benign race inside libzmq, not one in this crate), `zmq_poll`/`zmq_poller`/`zmq_proxy` register through
//    `add_signaler`/`remove_signaler` under `_sync` and then only send, receive and
//    read options; ZMQ_FD, which has no lock, is refused for these types (EINVAL).
//    The one socket call of libzmq 4.3.5 that is not safe on a shared socket,
//    `zmq_socket_monitor_pipes_stats` (it walks the socket's pipe list without
//    `_sync`), is refused by `Socket::monitor_pipes_stats` for thread-safe sockets
//    (tests/draft.rs checks it).
// 3. `Socket` keeps no unsynchronised Rust-side mutable state: the raw pointer and
//    the `Context` (itself Send + Sync) are only read, and the `Guard` (guard.rs)
//    holds atomics, a `Mutex` and an `RwLock` only; every `&self` method of `Socket`
//    in this crate only passes the pointer to the libzmq functions above (the
//    per-call buffers and `Message`s are the caller's own, borrowed per thread) and
//    uses the guard through those synchronised fields. Any future `&self` method of
//    `Socket` must keep to that (see the note on `Socket`).
// 4. The socket is closed only by `Drop`/`close`, which need the `ThreadSafeSocket`
//    by value, i.e. after every shared borrow has ended.
unsafe impl Sync for ThreadSafeSocket {}

#[cfg(feature = "draft")]
#[cfg_attr(docsrs, doc(cfg(feature = "draft")))]
impl ThreadSafeSocket {
    /// A new socket of a thread-safe type (`zmq_socket`): `EINVAL` for a classic
    /// type such as REQ or PAIR, which must stay a [`Socket`]. See also
    /// [`Context::thread_safe_socket`].
    #[doc(alias = "zmq_socket")]
    pub fn new(ctx: &Context, socket_type: SocketType) -> Result<ThreadSafeSocket> {
        if !socket_type.is_thread_safe() {
            return Err(Error::EINVAL);
        }
        ThreadSafeSocket::try_from(Socket::new(ctx, socket_type)?)
    }

    /// The socket's type.
    pub fn socket_type(&self) -> ThreadSafeType {
        self.kind
    }

    /// The shared socket as a plain [`Socket`] reference (the same as `&*self`).
    pub fn socket(&self) -> &Socket {
        &self.socket
    }

    /// Gives the socket back as a [`Socket`] owned by one thread.
    pub fn into_socket(self) -> Socket {
        self.socket
    }

    /// Closes the socket now (`zmq_close`), reporting an error; see [`Socket::close`].
    #[doc(alias = "zmq_close")]
    pub fn close(self) -> Result<()> {
        self.socket.close()
    }
}

#[cfg(feature = "draft")]
#[cfg_attr(docsrs, doc(cfg(feature = "draft")))]
impl TryFrom<Socket> for ThreadSafeSocket {
    type Error = Error;

    /// Shares a socket of a thread-safe type; `EINVAL` (and the socket is closed)
    /// when libzmq does not report it thread-safe (`ZMQ_THREAD_SAFE`).
    fn try_from(socket: Socket) -> Result<ThreadSafeSocket> {
        // libzmq's own answer is what makes sharing sound, not the type list.
        if !socket.get_thread_safe()? {
            return Err(Error::EINVAL);
        }
        let kind = ThreadSafeType::try_from(socket.get_socket_type()?)?;
        Ok(ThreadSafeSocket { socket, kind })
    }
}

#[cfg(feature = "draft")]
#[cfg_attr(docsrs, doc(cfg(feature = "draft")))]
impl std::ops::Deref for ThreadSafeSocket {
    type Target = Socket;

    fn deref(&self) -> &Socket {
        &self.socket
    }
}

#[cfg(feature = "draft")]
#[cfg_attr(docsrs, doc(cfg(feature = "draft")))]
impl AsRef<Socket> for ThreadSafeSocket {
    fn as_ref(&self) -> &Socket {
        &self.socket
    }
}

#[cfg(feature = "draft")]
#[cfg_attr(docsrs, doc(cfg(feature = "draft")))]
impl fmt::Debug for ThreadSafeSocket {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ThreadSafeSocket")
            .field("ptr", &self.socket.ptr)
            .field("type", &self.kind)
            .finish()
    }
}

#[cfg(feature = "draft")]
#[cfg_attr(docsrs, doc(cfg(feature = "draft")))]
impl Context {
    /// A new socket of a thread-safe type, shareable between threads
    /// ([`ThreadSafeSocket`]; `zmq_socket`).
    #[doc(alias = "zmq_socket")]
    pub fn thread_safe_socket(&self, socket_type: ThreadSafeType) -> Result<ThreadSafeSocket> {
        ThreadSafeSocket::new(self, socket_type.into())
    }
}

/// Keeps the draft API's `Send`/`Sync` promises honest.
///
/// A [`ThreadSafeSocket`] may be shared and moved:
/// ```
/// fn is_send_sync<T: Send + Sync>() {}
/// is_send_sync::<zmq::ThreadSafeSocket>();
/// let ctx = zmq::Context::new().unwrap();
/// let server = ctx.thread_safe_socket(zmq::ThreadSafeType::Server).unwrap();
/// let shared = std::sync::Arc::new(server);
/// let other = std::sync::Arc::clone(&shared);
/// std::thread::spawn(move || other.bind("inproc://proof")).join().unwrap().unwrap();
/// assert!(shared.unbind("inproc://proof").is_ok());
/// ```
/// A plain [`Socket`] stays `!Sync` even of a thread-safe type:
/// ```compile_fail,E0277
/// let ctx = zmq::Context::new().unwrap();
/// let s = ctx.socket(zmq::SERVER).unwrap();
/// std::thread::scope(|scope| {
///     scope.spawn(|| s.bind("inproc://x"));
///     s.bind("inproc://y").unwrap();
/// });
/// ```
/// A shared socket cannot be swapped for another (no `&mut Socket` is handed out):
/// ```compile_fail,E0596
/// let ctx = zmq::Context::new().unwrap();
/// let mut shared = ctx.thread_safe_socket(zmq::ThreadSafeType::Server).unwrap();
/// let mut classic = ctx.socket(zmq::PAIR).unwrap();
/// std::mem::swap(&mut *shared, &mut classic);
/// ```
/// A group borrowed from a message cannot outlive it:
/// ```compile_fail,E0505
/// let mut msg = zmq::Message::from("x");
/// msg.set_group("g").unwrap();
/// let group = msg.group().unwrap();
/// drop(msg);
/// println!("{group}");
/// ```
#[cfg(all(doctest, feature = "draft"))]
pub struct DraftThreadSafetyProofs;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn socket_type_numbers_round_trip() {
        for &t in SocketType::ALL {
            assert_eq!(SocketType::try_from(t as c_int).unwrap(), t);
        }
        assert_eq!(SocketType::try_from(-1).unwrap_err(), Error::EINVAL);
        assert_eq!(SocketType::try_from(10_000).unwrap_err(), Error::EINVAL);
        assert_eq!(REQ, SocketType::Req);
        assert_eq!(REQ.to_string(), "REQ");
        assert_eq!(SocketType::XPub.name(), "ZMQ_XPUB");
    }

    #[test]
    fn every_type_can_be_created_and_reports_its_type() {
        let ctx = Context::new().unwrap();
        for &t in SocketType::ALL {
            let s = ctx.socket(t).unwrap();
            assert_eq!(s.get_socket_type().unwrap(), t);
        }
    }

    #[test]
    fn bad_endpoints_are_errors() {
        let ctx = Context::new().unwrap();
        let s = ctx.socket(PAIR).unwrap();
        assert_eq!(s.bind("tcp://127.0.0.1:1\0").unwrap_err(), Error::EINVAL);
        assert_eq!(s.bind("").unwrap_err(), Error::EINVAL);
        assert_eq!(s.bind("bogus://x").unwrap_err(), Error::EPROTONOSUPPORT);
        assert_eq!(s.connect("tcp://").unwrap_err(), Error::EINVAL);
        assert_eq!(s.unbind("inproc://never-bound").unwrap_err(), Error::ENOENT);
        assert_eq!(
            s.disconnect("inproc://never-connected").unwrap_err(),
            Error::ENOENT
        );
    }

    #[test]
    fn failed_send_keeps_the_message() {
        let ctx = Context::new().unwrap();
        let push = ctx.socket(PUSH).unwrap();
        // No peer: a non-blocking send cannot go anywhere.
        let mut msg = Message::from(vec![5u8; 100]);
        assert_eq!(
            push.send_msg(&mut msg, SendFlags::DONTWAIT).unwrap_err(),
            Error::EAGAIN
        );
        assert_eq!(&msg[..], &[5u8; 100][..]);
        // REQ must receive before sending again: EFSM, message kept.
        let req = ctx.socket(REQ).unwrap();
        req.bind("inproc://failed-send").unwrap();
        let rep = ctx.socket(REP).unwrap();
        rep.connect("inproc://failed-send").unwrap();
        req.send("first", SendFlags::empty()).unwrap();
        let mut second = Message::from("second");
        assert_eq!(
            req.send_msg(&mut second, SendFlags::empty()).unwrap_err(),
            Error::EFSM
        );
        assert_eq!(second, "second");
        // A successful send empties the message.
        assert_eq!(rep.recv_bytes(RecvFlags::empty()).unwrap(), b"first");
        let mut reply = Message::from("reply");
        rep.send_msg(&mut reply, SendFlags::empty()).unwrap();
        assert!(reply.is_empty());
        assert_eq!(
            req.recv_string(RecvFlags::empty()).unwrap().unwrap(),
            "reply"
        );
    }

    #[test]
    fn recv_into_reports_full_length_and_strings_keep_bad_bytes() {
        let ctx = Context::new().unwrap();
        let a = ctx.socket(PAIR).unwrap();
        a.bind("inproc://recv-into").unwrap();
        let b = ctx.socket(PAIR).unwrap();
        b.connect("inproc://recv-into").unwrap();
        a.send("0123456789", SendFlags::empty()).unwrap();
        let mut buf = [0u8; 4];
        assert_eq!(b.recv_into(&mut buf, RecvFlags::empty()).unwrap(), 10);
        assert_eq!(&buf, b"0123");
        a.send([0xffu8, 0xfe], SendFlags::empty()).unwrap();
        assert_eq!(
            b.recv_string(RecvFlags::empty()).unwrap(),
            Err(vec![0xff, 0xfe])
        );
        assert_eq!(
            b.recv_bytes(RecvFlags::DONTWAIT).unwrap_err(),
            Error::EAGAIN
        );
    }

    #[cfg(feature = "draft")]
    #[test]
    fn thread_safe_types_match_the_socket_types() {
        for &t in SocketType::ALL {
            match ThreadSafeType::try_from(t) {
                Ok(ts) => {
                    assert!(t.is_thread_safe());
                    assert_eq!(SocketType::from(ts), t);
                    assert_eq!(ts as c_int, t as c_int);
                }
                Err(e) => {
                    assert!(!t.is_thread_safe());
                    assert_eq!(e, Error::EINVAL);
                }
            }
        }
        assert_eq!(ThreadSafeType::ALL.len(), 8);
        assert!(!DGRAM.is_thread_safe());
    }

    #[cfg(feature = "draft")]
    #[test]
    fn group_names_are_checked_before_libzmq() {
        let longest = crate::guard::SHARED_GROUP_MAX_LENGTH;
        assert!(group_name(&"g".repeat(longest)).is_ok());
        assert_eq!(
            group_name(&"g".repeat(longest + 1)).unwrap_err(),
            Error::EINVAL
        );
        assert_eq!(group_name("a\0").unwrap_err(), Error::EINVAL);
    }

    #[test]
    fn into_raw_and_from_raw_round_trip() {
        let ctx = Context::new().unwrap();
        let s = ctx.socket(PUB).unwrap();
        let (ctx2, ptr) = s.into_raw();
        assert!(ctx2.same_context(&ctx));
        // SAFETY: ptr came from into_raw just above and is owned by nobody else.
        let s = unsafe { Socket::from_raw(ctx2, ptr) };
        assert_eq!(s.get_socket_type().unwrap(), PUB);
        s.close().unwrap();
    }
}
