//! The checks made before calling libzmq where libzmq 4.3.5 (and 4.3.4) would abort
//! the process, corrupt memory or hang, and the state a [`Socket`] keeps for them.
//!
//! Each case names the libzmq source it protects. The checks are cheap where they
//! sit on a hot path: a send or receive on a socket with none of these concerns costs
//! one relaxed atomic load and a branch ([`Guard::checks_sends`],
//! [`Guard::checks_recvs`]); the checking itself is out of line.
//!
//! * **UDP datagrams** (`udp_engine.cpp`, `out_event`): the engine copies an outgoing
//!   datagram into a fixed buffer of `MAX_UDP_MSG` (8192) bytes without a size check.
//!   RADIO writes one byte of group length, the group and the body; DGRAM the body.
//!   A larger message is a heap overflow in the I/O thread. So a DGRAM frame over
//!   8192 bytes, and a RADIO message over the limit once the RADIO has a `udp://`
//!   connection, fail with `EMSGSIZE` before libzmq sees them. RADIO is thread-safe:
//!   a send that checks and the `udp://` connect that turns the check on are
//!   serialised by a read-write lock (sends share it), so no send can slip past the
//!   check into a pipe that the connect has just attached.
//! * **DGRAM without a pipe**: see `Guard::check_dgram_can_send`.
//! * **Conflate and multipart** (`fq.cpp:80`, `zmq_assert (!_more)`): a conflating
//!   pipe keeps one frame, so a multipart message through it is torn; a receive that
//!   finds the rest of a message missing aborts. On the sockets where libzmq honours
//!   `ZMQ_CONFLATE` (DEALER, PULL, PUSH, PUB, SUB), once conflate has been on, a send
//!   with `SNDMORE` is `EINVAL`, and a received frame with more to follow poisons the
//!   socket: that receive and every later one fail with `EPROTO` (the next receive
//!   could abort). SUB also reads frames internally (dropping a multipart message it
//!   does not subscribe to), which no check can reach: SECURITY.md says so.
//! * **DISH on `udp://`** (`udp_engine.cpp:547`): the first byte of every datagram is
//!   read as a signed group length; a byte of 0x80 or more aborts the process (or,
//!   where `char` is unsigned, leaks memory). Anyone who can send a datagram to the
//!   port can do it, so a DISH binds or connects `udp://` only after
//!   `Socket::allow_udp_dish`; `ENOTSUP` otherwise.
//! * **Connect routing ids** (`router.cpp:438`, `stream.cpp:254`,
//!   `zmq_assert (!has_out_pipe (routing_id))`): a `ZMQ_CONNECT_ROUTING_ID` already in
//!   use on the ROUTER or STREAM aborts the `connect`. The crate refuses ids that
//!   start with a zero byte (libzmq's own generated ids do), remembers the ids it
//!   gave out on each socket and refuses them again while they may be in use
//!   (`EEXIST`), refuses a pending id with `ZMQ_IMMEDIATE` on (libzmq would not
//!   apply it to that connection, whose pipe it makes later, but keep it for the
//!   next connect, unknown to this bookkeeping), and with the draft API asks libzmq
//!   whether a peer holds the id. What remains (a remote peer that takes the id
//!   between that question and the connect, or, without the draft API, at all) is
//!   in SECURITY.md.
//! * **High-water marks on a connected socket** (`socket_base.cpp:1587`,
//!   `update_pipe_options`): a new `ZMQ_SNDHWM`/`ZMQ_RCVHWM` is passed to the peer
//!   of every pipe, including a terminating pipe whose peer libzmq has already freed
//!   (a use after free; `ctx.cpp:644`). So they are set before the first `bind` or
//!   `connect` only (`EINVAL` after). On a shared socket the check and the first
//!   attachment are serialised by the same gate as RADIO's.
//! * **DGRAM datagrams cut in two** (`udp_engine.cpp:420`): a DGRAM datagram is an
//!   address frame and a body frame; a pipe change between the two (a bind in
//!   between) leaves the engine with half a datagram, and it aborts. So `SNDMORE` is
//!   `EINVAL` on DGRAM sends, and the multipart sends of this crate send the two
//!   frames back to back ([`Part`]). DGRAM also keeps to `udp://` and `inproc://`
//!   (over tcp, ipc or ws its empty frames abort the raw engine,
//!   `stream_engine_base.cpp:338`).
//! * **Groups longer than 14 bytes** (`msg.cpp:561`): libzmq keeps them in a block
//!   whose reference count `add_refs` does not raise, so when a RADIO hands a
//!   message to several DISHes, or a DISH's JOIN or LEAVE to several RADIOs, the
//!   first copy closed frees the group the others still read. `join`, `leave` and
//!   RADIO sends refuse such groups (`EINVAL`).
//! * **REP with `ZMQ_ROUTER_MANDATORY`** (`rep.cpp:64`): REP takes ROUTER's option
//!   and then aborts when a requester leaves; refused on REP.

mod probe;

pub(crate) use probe::{
    check_affinity_cpu, check_io_threads, check_ip_tos, check_scheduling, check_so_priority,
    THREAD_DEFAULT, ZMQ_PRIORITY, ZMQ_ZAP_ENFORCE_DOMAIN,
};

use std::collections::HashSet;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Mutex, MutexGuard, PoisonError, RwLock, RwLockReadGuard};

use crate::error::{Error, Result};
use crate::socket::SocketType;

/// libzmq's `MAX_UDP_MSG` (`udp_engine.hpp`): the size of the UDP engine's datagram
/// buffers, in bytes.
pub(crate) const MAX_UDP_DATAGRAM: usize = 8192;

// The bits of `Guard::state`.
/// A DGRAM socket (fixed at creation).
const DGRAM: u32 = 1 << 0;
/// A RADIO socket (fixed at creation): its sends take the read side of `gate`.
const RADIO: u32 = 1 << 1;
/// A RADIO that has connected (or tried to connect) to a `udp://` endpoint.
const RADIO_UDP: u32 = 1 << 2;
/// A socket type on which libzmq honours `ZMQ_CONFLATE`.
const CONFLATE_TYPE: u32 = 1 << 3;
/// `ZMQ_CONFLATE` has been set on (at some point) on a `CONFLATE_TYPE` socket.
const CONFLATED: u32 = 1 << 4;
/// A conflating socket received a frame with more to follow.
const POISONED: u32 = 1 << 5;
/// A DISH socket (fixed at creation).
const DISH: u32 = 1 << 6;
/// The user accepted the risk of a DISH on `udp://` (`Socket::allow_udp_dish`).
const UDP_DISH_ALLOWED: u32 = 1 << 7;
/// A ROUTER or STREAM socket: connect routing ids are tracked.
const ROUTING: u32 = 1 << 8;
/// A REP socket (fixed at creation): `ZMQ_ROUTER_MANDATORY` is refused.
const REP: u32 = 1 << 9;
/// The socket has had a `bind` or `connect` (or `connect_peer`): it may have pipes.
const ATTACHED: u32 = 1 << 10;

/// The bits that make a send take the checked path.
const SEND_CHECKS: u32 = DGRAM | RADIO | CONFLATED;

/// The longest group libzmq keeps inside a message (`msg.hpp`, `sgroup`); longer ones
/// live in a block that message copies for several pipes do not share safely.
pub(crate) const SHARED_GROUP_MAX_LENGTH: usize = 14;

/// Where a frame stands in the message being sent, for [`Guard::check_send`].
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum Part {
    /// A frame sent on its own by the caller (`send`, `send_msg`): with `SNDMORE`,
    /// the rest of its message comes in later calls.
    Alone,
    /// The first frame of a whole message this crate sends in one call.
    FirstOfWhole,
    /// A later frame of such a message.
    RestOfWhole,
}
/// The bits that make a receive take the checked path.
const RECV_CHECKS: u32 = CONFLATED;

/// The state behind the checks, one per [`Socket`](crate::Socket).
///
/// It is `Sync` (atomics and locks only), as [`ThreadSafeSocket`] requires of every
/// field of a `Socket`.
///
/// [`ThreadSafeSocket`]: crate::ThreadSafeSocket
pub(crate) struct Guard {
    state: AtomicU32,
    /// Serialises a check with the call that would invalidate it on a shared
    /// socket: RADIO sends, and high-water-mark settings, hold it shared around their
    /// check and their libzmq call; `bind` and `connect` hold it exclusively while
    /// they turn checks on (RADIO over udp, "attached") and call libzmq.
    gate: RwLock<()>,
    /// ROUTER and STREAM only: the connect routing ids.
    routing: Mutex<RoutingIds>,
}

/// The connect routing ids of a ROUTER or STREAM socket.
#[derive(Default)]
struct RoutingIds {
    /// The id set with `ZMQ_CONNECT_ROUTING_ID` and not yet taken by a `connect`.
    pending: Option<Vec<u8>>,
    /// The ids taken by this socket's connects (their pipes may still exist).
    given: HashSet<Vec<u8>>,
}

impl Guard {
    /// The checks a new socket of this type needs.
    pub(crate) fn new(socket_type: SocketType) -> Guard {
        let state = match socket_type {
            SocketType::Dealer
            | SocketType::Pull
            | SocketType::Push
            | SocketType::Pub
            | SocketType::Sub => CONFLATE_TYPE,
            SocketType::Router | SocketType::Stream => ROUTING,
            SocketType::Rep => REP,
            #[cfg(feature = "draft")]
            SocketType::Dgram => DGRAM,
            #[cfg(feature = "draft")]
            SocketType::Radio => RADIO,
            #[cfg(feature = "draft")]
            SocketType::Dish => DISH,
            _ => 0,
        };
        Guard {
            state: AtomicU32::new(state),
            gate: RwLock::new(()),
            routing: Mutex::new(RoutingIds::default()),
        }
    }

    /// The checks for a socket whose type this build does not know (one of libzmq's
    /// draft types, wrapped with [`Socket::from_raw`] in a build without the `draft`
    /// feature): the datagram limits and the DISH refusal of every draft type that
    /// needs them, since it could be any of them. (libzmq honours conflate only on
    /// classic types, which every build knows.)
    ///
    /// [`Socket::from_raw`]: crate::Socket::from_raw
    pub(crate) fn unknown() -> Guard {
        let guard = Guard::new(SocketType::Pair);
        guard.state.store(
            DGRAM | RADIO | RADIO_UDP | DISH | ATTACHED,
            Ordering::Relaxed,
        );
        guard
    }

    fn state(&self) -> u32 {
        self.state.load(Ordering::Acquire)
    }

    fn set(&self, bits: u32) {
        self.state.fetch_or(bits, Ordering::AcqRel);
    }

    /// Whether sends must go through [`Guard::check_send`] (and, for RADIO, hold
    /// [`Guard::send_gate`]). One relaxed load: this is on every send.
    #[inline]
    pub(crate) fn checks_sends(&self) -> bool {
        self.state.load(Ordering::Relaxed) & SEND_CHECKS != 0
    }

    /// Whether receives must go through [`Guard::before_recv`] and
    /// [`Guard::after_recv`]. One relaxed load: this is on every receive.
    #[inline]
    pub(crate) fn checks_recvs(&self) -> bool {
        self.state.load(Ordering::Relaxed) & RECV_CHECKS != 0
    }

    /// Whether this is a DGRAM socket.
    pub(crate) fn is_dgram(&self) -> bool {
        self.state() & DGRAM != 0
    }

    /// For a RADIO, the shared side of the gate, to hold around a send's check and
    /// the send itself; `None` for other types.
    pub(crate) fn send_gate(&self) -> Option<RwLockReadGuard<'_, ()>> {
        (self.state() & RADIO != 0).then(|| self.read_gate())
    }

    fn read_gate(&self) -> RwLockReadGuard<'_, ()> {
        self.gate.read().unwrap_or_else(PoisonError::into_inner)
    }

    /// Checks a send of one frame of `len` bytes (`group_len` bytes of group, for
    /// RADIO) with `more` set when more frames follow. DGRAM's "can it take a frame
    /// now" check needs the socket and is made by the caller (not for a
    /// [`Part::RestOfWhole`]: the body follows its address at once).
    pub(crate) fn check_send(
        &self,
        len: usize,
        group_len: usize,
        more: bool,
        part: Part,
    ) -> Result<()> {
        let state = self.state();
        if more && state & CONFLATED != 0 {
            return Err(Error::EINVAL);
        }
        if state & DGRAM != 0 {
            if more && part == Part::Alone {
                return Err(Error::EINVAL);
            }
            if len > MAX_UDP_DATAGRAM {
                return Err(Error::EMSGSIZE);
            }
        }
        if state & RADIO != 0 && group_len > SHARED_GROUP_MAX_LENGTH {
            return Err(Error::EINVAL);
        }
        if state & RADIO_UDP != 0 && 1 + group_len + len > MAX_UDP_DATAGRAM {
            return Err(Error::EMSGSIZE);
        }
        Ok(())
    }

    /// Checks a whole DGRAM datagram before any of it is sent: exactly an address
    /// frame and a body frame (`EINVAL` otherwise), the body within a UDP datagram
    /// (`EMSGSIZE`).
    pub(crate) fn check_datagram(frames: usize, body_len: usize) -> Result<()> {
        if frames != 2 {
            return Err(Error::EINVAL);
        }
        if body_len > MAX_UDP_DATAGRAM {
            return Err(Error::EMSGSIZE);
        }
        Ok(())
    }

    /// Before a receive on a conflating socket: `EPROTO` once it is poisoned.
    pub(crate) fn before_recv(&self) -> Result<()> {
        if self.state() & POISONED != 0 {
            Err(Error::EPROTO)
        } else {
            Ok(())
        }
    }

    /// After a successful receive on a conflating socket: a frame with more to follow
    /// poisons it (`EPROTO` now and for every later receive).
    pub(crate) fn after_recv(&self, more: bool) -> Result<()> {
        if more {
            self.set(POISONED);
            Err(Error::EPROTO)
        } else {
            Ok(())
        }
    }

    /// Records that `ZMQ_CONFLATE` is being set to `on`, before libzmq sees it.
    pub(crate) fn conflate(&self, on: bool) {
        if on && self.state() & CONFLATE_TYPE != 0 {
            self.set(CONFLATED);
        }
    }

    /// Whether libzmq's proxies must not be given this socket: they send with no
    /// check of ours (a DGRAM or RADIO could overflow, an unbound DGRAM capture
    /// blocks the proxy for ever) and receive whole multipart messages (a conflating
    /// socket could abort).
    pub(crate) fn refused_by_proxies(&self) -> bool {
        self.state() & (DGRAM | RADIO | CONFLATED) != 0
    }

    /// Accepts the risk of a DISH on `udp://` (see [`Socket::allow_udp_dish`]).
    ///
    /// [`Socket::allow_udp_dish`]: crate::Socket::allow_udp_dish
    #[cfg(feature = "draft")]
    pub(crate) fn allow_udp_dish(&self) -> Result<()> {
        if self.state() & DISH == 0 {
            return Err(Error::ENOTSUP);
        }
        self.set(UDP_DISH_ALLOWED);
        Ok(())
    }

    /// Checks a bind or connect of a `udp://` endpoint by a DISH: `ENOTSUP` unless
    /// allowed.
    pub(crate) fn check_udp_dish(&self) -> Result<()> {
        let state = self.state();
        if state & DISH != 0 && state & UDP_DISH_ALLOWED == 0 {
            Err(Error::ENOTSUP)
        } else {
            Ok(())
        }
    }

    /// Runs a `bind` or `connect` (`attach`) with the gate held exclusively and, when
    /// it succeeds, marks the socket attached and, for a RADIO connecting to
    /// `udp://` (`radio_udp`), turns the datagram size check on, before the gate is
    /// released: no send and no high-water-mark setting can run between the pipe the
    /// call attaches and the check it needs. (libzmq attaches no pipe in a bind or
    /// connect that fails: its failures all come before.)
    pub(crate) fn attach(
        &self,
        radio_udp: bool,
        attach: impl FnOnce() -> Result<()>,
    ) -> Result<()> {
        let _exclusive = self.gate.write().unwrap_or_else(PoisonError::into_inner);
        attach()?;
        let mut bits = ATTACHED;
        if radio_udp && self.state() & RADIO != 0 {
            bits |= RADIO_UDP;
        }
        self.set(bits);
        Ok(())
    }

    /// Runs the setting of a high-water mark (`set`): `EINVAL` once the socket has
    /// been attached (see the module's notes).
    pub(crate) fn set_hwm(&self, set: impl FnOnce() -> Result<()>) -> Result<()> {
        let _shared = self.read_gate();
        if self.state() & ATTACHED != 0 {
            return Err(Error::EINVAL);
        }
        set()
    }

    /// `ZMQ_ROUTER_MANDATORY` turned on: `EINVAL` on a REP socket.
    pub(crate) fn check_router_mandatory(&self, on: bool) -> Result<()> {
        if on && self.state() & REP != 0 {
            Err(Error::EINVAL)
        } else {
            Ok(())
        }
    }

    /// Whether connect routing ids are tracked (ROUTER, STREAM).
    pub(crate) fn tracks_routing_ids(&self) -> bool {
        self.state() & ROUTING != 0
    }

    fn routing(&self) -> MutexGuard<'_, RoutingIds> {
        self.routing.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Checks a `ZMQ_CONNECT_ROUTING_ID` before libzmq takes it, and remembers it as
    /// pending once `set` (the setsockopt) succeeds. Ids that start with a zero byte
    /// are libzmq's own generated ids: `EINVAL`. An id this socket already gave out:
    /// `EEXIST` (see [`Guard::check_connect`] for when it may be reused).
    pub(crate) fn set_connect_routing_id(
        &self,
        id: &[u8],
        set: impl FnOnce() -> Result<()>,
    ) -> Result<()> {
        if !self.tracks_routing_ids() {
            return set();
        }
        if id.first() == Some(&0) {
            return Err(Error::EINVAL);
        }
        let mut routing = self.routing();
        set()?;
        routing.pending = (!id.is_empty()).then(|| id.to_vec());
        Ok(())
    }

    /// Around a `connect` of a ROUTER or STREAM: with an id pending, refuses what
    /// would make libzmq abort (`EINVAL` with `ZMQ_IMMEDIATE` on; `EEXIST` for an
    /// id in use as far as can be told: `in_use` asks libzmq where it can, and
    /// answers `None` where it cannot), runs `connect`, and on success records the id
    /// as given out.
    pub(crate) fn check_connect(
        &self,
        immediate: impl FnOnce() -> Result<bool>,
        in_use: impl Fn(&[u8]) -> Option<bool>,
        connect: impl FnOnce() -> Result<()>,
    ) -> Result<()> {
        if !self.tracks_routing_ids() {
            return connect();
        }
        let mut routing = self.routing();
        let Some(id) = routing.pending.clone() else {
            return connect();
        };
        if immediate()? {
            return Err(Error::EINVAL);
        }
        match in_use(&id) {
            Some(true) => return Err(Error::EEXIST),
            // libzmq says no peer holds it (any more): a given id is free again.
            Some(false) => {
                routing.given.remove(&id);
            }
            // No way to ask: an id given out before stays refused.
            None if routing.given.contains(&id) => return Err(Error::EEXIST),
            None => {}
        }
        connect()?;
        routing.pending = None;
        routing.given.insert(id);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_sockets_take_no_checked_path() {
        for t in [SocketType::Req, SocketType::Rep, SocketType::Pair] {
            let guard = Guard::new(t);
            assert!(!guard.checks_sends() && !guard.checks_recvs(), "{t}");
            assert!(guard.send_gate().is_none());
        }
        // Conflate turns the checks on only where libzmq honours it.
        let pull = Guard::new(SocketType::Pull);
        assert!(!pull.checks_recvs());
        pull.conflate(false);
        assert!(!pull.checks_recvs());
        pull.conflate(true);
        assert!(pull.checks_recvs() && pull.checks_sends() && pull.refused_by_proxies());
        let router = Guard::new(SocketType::Router);
        router.conflate(true);
        assert!(!router.checks_sends() && !router.refused_by_proxies());
    }

    #[test]
    fn conflate_refuses_more_and_poisons_on_a_multipart_frame() {
        let dealer = Guard::new(SocketType::Dealer);
        dealer.conflate(true);
        // Sticky: turning conflate off leaves pipes that were made conflating.
        dealer.conflate(false);
        assert_eq!(
            dealer.check_send(10, 0, true, Part::Alone),
            Err(Error::EINVAL)
        );
        assert_eq!(dealer.check_send(10, 0, false, Part::Alone), Ok(()));
        assert_eq!(dealer.before_recv(), Ok(()));
        assert_eq!(dealer.after_recv(false), Ok(()));
        assert_eq!(dealer.after_recv(true), Err(Error::EPROTO));
        assert_eq!(dealer.before_recv(), Err(Error::EPROTO));
    }

    #[cfg(feature = "draft")]
    #[test]
    fn datagram_limits() {
        let dgram = Guard::new(SocketType::Dgram);
        assert!(dgram.checks_sends() && dgram.is_dgram());
        assert_eq!(
            dgram.check_send(MAX_UDP_DATAGRAM, 0, false, Part::Alone),
            Ok(())
        );
        assert_eq!(
            dgram.check_send(MAX_UDP_DATAGRAM + 1, 0, false, Part::RestOfWhole),
            Err(Error::EMSGSIZE)
        );
        // A datagram leaves whole: no SNDMORE from the caller.
        assert_eq!(
            dgram.check_send(9, 0, true, Part::Alone),
            Err(Error::EINVAL)
        );
        assert_eq!(dgram.check_send(9, 0, true, Part::FirstOfWhole), Ok(()));
        assert_eq!(Guard::check_datagram(2, MAX_UDP_DATAGRAM), Ok(()));
        assert_eq!(Guard::check_datagram(3, 1), Err(Error::EINVAL));
        assert_eq!(Guard::check_datagram(1, 1), Err(Error::EINVAL));
        assert_eq!(
            Guard::check_datagram(2, MAX_UDP_DATAGRAM + 1),
            Err(Error::EMSGSIZE)
        );

        let radio = Guard::new(SocketType::Radio);
        // Not limited before a udp:// connect (tcp carries any size).
        assert_eq!(radio.check_send(100_000, 5, false, Part::Alone), Ok(()));
        radio.attach(true, || Ok(())).unwrap();
        assert_eq!(
            radio.check_send(MAX_UDP_DATAGRAM - 6, 5, false, Part::Alone),
            Ok(())
        );
        assert_eq!(
            radio.check_send(MAX_UDP_DATAGRAM - 5, 5, false, Part::Alone),
            Err(Error::EMSGSIZE)
        );
        // Groups that copies would not share safely.
        assert_eq!(
            radio.check_send(1, 15, false, Part::Alone),
            Err(Error::EINVAL)
        );
        assert_eq!(radio.check_send(1, 14, false, Part::Alone), Ok(()));
        assert!(radio.send_gate().is_some());
    }

    #[test]
    fn high_water_marks_are_set_before_attaching() {
        let push = Guard::new(SocketType::Push);
        push.set_hwm(|| Ok(())).unwrap();
        // A failed bind or connect attaches nothing.
        assert_eq!(
            push.attach(false, || Err(Error::EINVAL)),
            Err(Error::EINVAL)
        );
        push.set_hwm(|| Ok(())).unwrap();
        push.attach(false, || Ok(())).unwrap();
        assert_eq!(push.set_hwm(|| Ok(())), Err(Error::EINVAL));
        let rep = Guard::new(SocketType::Rep);
        assert_eq!(rep.check_router_mandatory(true), Err(Error::EINVAL));
        assert_eq!(rep.check_router_mandatory(false), Ok(()));
        assert_eq!(push.check_router_mandatory(true), Ok(()));
    }

    #[test]
    fn connect_routing_ids_are_given_once() {
        let router = Guard::new(SocketType::Router);
        let unknown = |_: &[u8]| None;
        assert_eq!(
            router.set_connect_routing_id(b"\0abc", || Ok(())),
            Err(Error::EINVAL)
        );
        router.set_connect_routing_id(b"peer", || Ok(())).unwrap();
        // ZMQ_IMMEDIATE on: refused, the id stays pending.
        assert_eq!(
            router.check_connect(|| Ok(true), unknown, || Ok(())),
            Err(Error::EINVAL)
        );
        // A failed connect keeps it pending too (libzmq keeps the option).
        assert_eq!(
            router.check_connect(|| Ok(false), unknown, || Err(Error::EINVAL)),
            Err(Error::EINVAL)
        );
        router
            .check_connect(|| Ok(false), unknown, || Ok(()))
            .unwrap();
        // No id pending any more: a plain connect.
        router
            .check_connect(|| Ok(true), unknown, || Ok(()))
            .unwrap();
        router.set_connect_routing_id(b"peer", || Ok(())).unwrap();
        let mut connected = false;
        assert_eq!(
            router.check_connect(
                || Ok(false),
                unknown,
                || {
                    connected = true;
                    Ok(())
                }
            ),
            Err(Error::EEXIST)
        );
        assert!(!connected);
        // Where libzmq can tell that the id is free again, it may be reused.
        router
            .check_connect(|| Ok(false), |_| Some(false), || Ok(()))
            .unwrap();
        router.set_connect_routing_id(b"taken", || Ok(())).unwrap();
        assert_eq!(
            router.check_connect(|| Ok(false), |_| Some(true), || Ok(())),
            Err(Error::EEXIST)
        );
    }
}
