//! The edge-triggered readiness protocol: one socket, its `ZMQ_FD` registered with
//! tokio's reactor, and the rule that decides when a task may sleep.
//!
//! libzmq's `ZMQ_FD` is not "a message is there": it is the eventfd of the socket's
//! command mailbox, readable when commands from the I/O threads or peers are
//! pending, and signalled only when a command arrives at an empty mailbox. Any
//! libzmq call that processes commands (`ZMQ_EVENTS`, a send or a receive, `bind`
//! ...) drains it. So:
//!
//! * an operation is always tried first: a message can be ready with no edge at
//!   all (the edge was consumed by an earlier call);
//! * a task sleeps only after `ZMQ_EVENTS` (which processes every pending command,
//!   unlike a send, whose command processing is throttled to once per ~1 ms)
//!   showed its flag absent, and after tokio's readiness was found clear; when it
//!   was set, it is cleared and everything is checked again, because an edge that
//!   arrived between the check and the clear would otherwise be lost;
//! * one descriptor serves both directions: the reactor wakes a fan-out waker that
//!   wakes the receiving and the sending task alike, and whoever runs a libzmq call
//!   while the other direction waits re-reads `ZMQ_EVENTS` and wakes it when its
//!   flag is there (that call may have consumed the edge meant for it);
//! * the socket and the waiter slots are only touched under one lock, held for a
//!   few non-blocking libzmq calls, so "check, then register the waker" is atomic
//!   with respect to the other direction's operations.

use std::os::fd::{AsRawFd, RawFd};
use std::sync::atomic::{AtomicU8, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::task::{Context, Poll, Wake, Waker};
use std::time::{Duration, Instant};

use ::tokio::io::unix::AsyncFd;
use ::tokio::io::Interest;

use crate::error::Error;
use crate::multipart::MultipartSendError;
use crate::poll::PollEvents;
use crate::socket::Socket;

/// Which way an operation goes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Direction {
    Recv = 0,
    Send = 1,
}

impl Direction {
    fn flag(self) -> PollEvents {
        match self {
            Direction::Recv => PollEvents::POLLIN,
            Direction::Send => PollEvents::POLLOUT,
        }
    }

    fn bit(self) -> u8 {
        1 << (self as u8)
    }

    fn other(self) -> Direction {
        match self {
            Direction::Recv => Direction::Send,
            Direction::Send => Direction::Recv,
        }
    }
}

/// An error an operation can end with: it says whether the operation would have
/// blocked (and should wait for readiness), and any libzmq error fits in it.
pub(crate) trait OpError: From<Error> {
    fn would_block(&self) -> bool;
}

impl OpError for Error {
    fn would_block(&self) -> bool {
        *self == Error::EAGAIN
    }
}

impl OpError for MultipartSendError {
    fn would_block(&self) -> bool {
        self.error == Error::EAGAIN && self.sent == 0
    }
}

/// The socket's `ZMQ_FD`, borrowed: libzmq owns and closes it (when the socket is
/// reaped, after `zmq_close`), so this never closes it.
struct MailboxFd(RawFd);

impl AsRawFd for MailboxFd {
    fn as_raw_fd(&self) -> RawFd {
        self.0
    }
}

/// The wakers of the task waiting to receive and of the one waiting to send. The
/// reactor holds a waker of this (the fan-out), and wakes both.
struct Waiters {
    slots: Mutex<[Option<Waker>; 2]>,
    /// Bit `Direction::bit()` set while that direction's slot holds a waker;
    /// read without the slot lock on the hot path.
    waiting: AtomicU8,
}

impl Waiters {
    fn slots(&self) -> MutexGuard<'_, [Option<Waker>; 2]> {
        // Nothing panics while the lock is held; a poisoned lock still holds
        // valid wakers.
        self.slots.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn register(&self, dir: Direction, waker: &Waker) {
        let mut slots = self.slots();
        let slot = &mut slots[dir as usize];
        match slot {
            Some(w) if w.will_wake(waker) => {}
            _ => *slot = Some(waker.clone()),
        }
        self.waiting.fetch_or(dir.bit(), Ordering::Release);
    }

    #[inline]
    fn is_waiting(&self, dir: Direction) -> bool {
        self.waiting.load(Ordering::Acquire) & dir.bit() != 0
    }

    fn take(&self, dir: Direction) -> Option<Waker> {
        let mut slots = self.slots();
        self.waiting.fetch_and(!dir.bit(), Ordering::Release);
        slots[dir as usize].take()
    }

    fn wake_dir(&self, dir: Direction) {
        if let Some(w) = self.take(dir) {
            w.wake();
        }
    }
}

impl Wake for Waiters {
    fn wake(self: Arc<Self>) {
        self.wake_by_ref();
    }

    fn wake_by_ref(self: &Arc<Self>) {
        let taken = {
            let mut slots = self.slots();
            self.waiting.store(0, Ordering::Release);
            [slots[0].take(), slots[1].take()]
        };
        for w in taken.into_iter().flatten() {
            w.wake();
        }
    }
}

/// A socket and its registration: what an [`AsyncSocket`](super::AsyncSocket)
/// owns, and what its halves share (in an `Arc`).
pub(crate) struct Core {
    // Field order is drop order: the descriptor is deregistered from the reactor
    // (`readiness` holds the AsyncFd) before the socket is closed (after
    // `zmq_close` libzmq's reaper may close the descriptor at any moment, and
    // its number be reused by another socket).
    pub(crate) readiness: Readiness,
    pub(crate) socket: Mutex<Socket>,
}

/// The socket's descriptor registered with tokio, and the waiting tasks.
pub(crate) struct Readiness {
    fd: AsyncFd<MailboxFd>,
    waiters: Arc<Waiters>,
    /// A waker of `waiters`, the one tokio's reactor holds.
    fan_out: Waker,
}

/// How many operations share one unit of tokio's cooperative budget: a task
/// that never waits yields at the latest after 128 (tokio's budget) times this.
const COOP_EVERY: u8 = 16;

/// Takes one unit of the task's cooperative budget: `Pending` (with the task
/// woken to run again soon) when it is spent. Kept out of line: it is the
/// cold path of every operation.
#[inline(never)]
fn consume_budget(cx: &mut Context<'_>) -> Poll<()> {
    let unit = std::task::ready!(::tokio::task::coop::poll_proceed(cx));
    unit.made_progress();
    Poll::Ready(())
}

/// A handle's own bookkeeping (the socket and each half have their own, so no
/// two threads share it): the operations it made, counted for [`COOP_EVERY`],
/// and its receive spin.
#[derive(Debug, Default)]
pub(crate) struct Ticks {
    count: u8,
    /// How long a receive that finds nothing stays runnable, trying again,
    /// before it sleeps on the descriptor ([`Duration::ZERO`]: never).
    pub(crate) recv_spin: Duration,
    /// When the current receive's spin began (`None`: not spinning).
    spin_since: Option<Instant>,
}

impl Ticks {
    /// Whether a receive that just found nothing should stay runnable (spin)
    /// rather than sleep: its spin began less than `recv_spin` ago.
    #[cold]
    fn keep_spinning(&mut self) -> bool {
        let now = Instant::now();
        let since = *self.spin_since.get_or_insert(now);
        if now.duration_since(since) < self.recv_spin {
            true
        } else {
            self.spin_since = None;
            false
        }
    }
}

/// How an operation reaches the socket. An [`AsyncSocket`](super::AsyncSocket)
/// owns its `Core` and is borrowed mutably by each operation, so it reaches the
/// socket without locking (`Mutex::get_mut`); the halves share an `Arc<Core>`
/// and lock it around each operation.
pub(crate) trait Access {
    fn with_socket<R>(&mut self, f: impl FnOnce(&Readiness, &Socket) -> R) -> R;
}

impl Access for Core {
    #[inline]
    fn with_socket<R>(&mut self, f: impl FnOnce(&Readiness, &Socket) -> R) -> R {
        let socket = self
            .socket
            .get_mut()
            .unwrap_or_else(PoisonError::into_inner);
        f(&self.readiness, socket)
    }
}

impl Access for Arc<Core> {
    #[inline]
    fn with_socket<R>(&mut self, f: impl FnOnce(&Readiness, &Socket) -> R) -> R {
        let socket = self.lock();
        f(&self.readiness, &socket)
    }
}

/// Why a socket could not be registered with tokio.
#[derive(Debug)]
pub(crate) enum RegisterError {
    /// libzmq refused `ZMQ_FD` (a thread-safe draft socket, a terminated context).
    Zmq(Error),
    /// No tokio runtime, or one without I/O.
    NoReactor(&'static str),
    /// The reactor refused the descriptor.
    Io(std::io::Error),
}

impl Core {
    /// Registers `socket`; on failure the socket is closed (dropped here).
    pub(crate) fn new(socket: Socket) -> std::result::Result<Core, RegisterError> {
        let fd = match socket.get_fd() {
            Ok(fd) => fd,
            Err(e) => return Err(RegisterError::Zmq(e)),
        };
        if ::tokio::runtime::Handle::try_current().is_err() {
            return Err(RegisterError::NoReactor(
                "no tokio runtime: make the AsyncSocket inside one (a task, block_on, or Runtime::enter)",
            ));
        }
        // A runtime built without `enable_io` makes AsyncFd panic; that is the
        // caller's configuration error, reported as an error here.
        let registered = std::panic::catch_unwind(|| {
            // SAFETY: `fd` is the socket's ZMQ_FD, an open descriptor that libzmq
            // keeps open, referring to the same mailbox, until the socket is
            // reaped after `zmq_close`. The AsyncFd lives in the `Core` that owns
            // the socket and is dropped before it (field order, and `into_socket`
            // drops it first), so the descriptor outlives the registration;
            // `MailboxFd::as_raw_fd` always returns this same number.
            unsafe { AsyncFd::register_with_interest(MailboxFd(fd), Interest::READABLE) }
        });
        let fd = match registered {
            Ok(Ok(fd)) => fd,
            Ok(Err(e)) => return Err(RegisterError::Io(e.into_parts().1)),
            Err(_) => return Err(RegisterError::NoReactor(
                "the tokio runtime has no I/O driver: build it with enable_io() or enable_all()",
            )),
        };
        let waiters = Arc::new(Waiters {
            slots: Mutex::new([None, None]),
            waiting: AtomicU8::new(0),
        });
        let fan_out = Waker::from(Arc::clone(&waiters));
        Ok(Core {
            readiness: Readiness {
                fd,
                waiters,
                fan_out,
            },
            socket: Mutex::new(socket),
        })
    }

    /// Deregisters the descriptor, then gives the socket back.
    pub(crate) fn into_socket(self) -> Socket {
        let Core { readiness, socket } = self;
        drop(readiness);
        socket.into_inner().unwrap_or_else(PoisonError::into_inner)
    }

    /// The socket, locked. Every libzmq call on it goes through this.
    pub(crate) fn lock(&self) -> MutexGuard<'_, Socket> {
        // A panic while the lock was held (only possible in a caller's closure
        // given the socket) leaves the libzmq socket itself consistent.
        self.socket.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

impl Readiness {
    /// After an operation in direction `dir`, with `waiting` (the waiters' bits)
    /// not empty: forget this direction's waker (it is no longer waiting), and
    /// wake the other direction if the operation consumed the edge it waits for.
    #[cold]
    fn after_op(&self, socket: &Socket, dir: Direction, waiting: u8) {
        if waiting & dir.bit() != 0 {
            drop(self.waiters.take(dir));
        }
        if waiting & dir.other().bit() != 0 {
            self.recheck_waiters(socket);
        }
    }

    /// Wakes each waiting direction whose flag `ZMQ_EVENTS` now shows: to be called
    /// after any libzmq call on the socket made outside [`Core::poll_op`] (it may
    /// have consumed the descriptor's edge). Called with the socket locked.
    pub(crate) fn recheck_waiters(&self, socket: &Socket) {
        if self.waiters.waiting.load(Ordering::Acquire) == 0 {
            return;
        }
        match socket.get_events() {
            Ok(events) => {
                for dir in [Direction::Recv, Direction::Send] {
                    if events.contains(dir.flag()) && self.waiters.is_waiting(dir) {
                        self.waiters.wake_dir(dir);
                    }
                }
            }
            // ETERM and the like: let the waiters find out themselves.
            Err(_) => self.waiters.wake_by_ref_all(),
        }
    }

    /// Runs `op` (one non-blocking libzmq operation, or a few that must happen
    /// together) until it stops reporting "would block", sleeping on the
    /// descriptor between tries by the rules in this module's docs. `op` runs with
    /// the socket locked, inside this poll: either it completes here, with its
    /// result returned now, or nothing happened.
    #[inline]
    pub(crate) fn poll_op<T, E: OpError>(
        &self,
        socket: &Socket,
        ticks: &mut Ticks,
        cx: &mut Context<'_>,
        dir: Direction,
        mut op: impl FnMut(&Socket) -> std::result::Result<T, E>,
    ) -> Poll<std::result::Result<T, E>> {
        // Take part in tokio's cooperative scheduling, as its own I/O types do, so
        // that a loop over an always-ready socket lets the worker's other tasks
        // run: one unit of the task's budget per COOP_EVERY operations (each
        // consultation costs ~35 instructions, a third of this layer's cost per
        // message if made every time).
        ticks.count = ticks.count.wrapping_add(1);
        if ticks.count % COOP_EVERY == 0 && consume_budget(cx).is_pending() {
            return Poll::Pending;
        }
        // Whether `op` was already retried because ZMQ_EVENTS showed the flag: a
        // ROUTER with ROUTER_MANDATORY shows POLLOUT while the peer a message is for
        // is full, so the flag alone is not a promise; then wait for the next edge.
        let mut retried = false;
        loop {
            match op(socket) {
                Err(e) if e.would_block() => {}
                done => {
                    if ticks.spin_since.is_some() {
                        ticks.spin_since = None;
                    }
                    // One load on the hot path: nobody waits, nothing to do.
                    let waiting = self.waiters.waiting.load(Ordering::Acquire);
                    if waiting != 0 {
                        self.after_op(socket, dir, waiting);
                    }
                    return Poll::Ready(done);
                }
            }
            let other = dir.other();
            // A receive's EAGAIN is itself a fresh reading: libzmq's non-blocking
            // receive processes every pending command (unthrottled) and tries
            // again before failing. A send's is not (its command processing is
            // throttled), and when the other direction waits, the commands this
            // call processed may have been its edge: then read ZMQ_EVENTS.
            if dir == Direction::Send || self.waiters.is_waiting(other) {
                let events = match socket.get_events() {
                    Ok(events) => events,
                    Err(e) => return Poll::Ready(Err(e.into())),
                };
                if events.contains(other.flag()) && self.waiters.is_waiting(other) {
                    self.waiters.wake_dir(other);
                }
                if events.contains(dir.flag()) && !retried {
                    retried = true;
                    continue;
                }
            }
            // An opt-in receive spin: stay runnable (woken at once, so the
            // runtime polls this again after its other ready tasks) instead of
            // sleeping, until the spin is over. Nothing is registered meanwhile:
            // every poll tries the receive itself.
            if dir == Direction::Recv && ticks.recv_spin != Duration::ZERO && ticks.keep_spinning()
            {
                // Also yield the thread's core, as the blocking spin does: a
                // thread that needs it (libzmq's I/O thread with the awaited
                // message) runs at once. It returns at once when nobody does.
                std::thread::yield_now();
                cx.waker().wake_by_ref();
                return Poll::Pending;
            }
            // Register first, then look at the reactor's readiness: an edge after
            // this point wakes the registered waker.
            self.waiters.register(dir, cx.waker());
            let mut fan_out = Context::from_waker(&self.fan_out);
            match self.fd.poll_read_ready(&mut fan_out) {
                Poll::Pending => return Poll::Pending,
                Poll::Ready(Ok(mut guard)) => {
                    // An edge since the last clear: the state may have changed
                    // after the ZMQ_EVENTS read above. Clear (tokio clears only if
                    // no newer edge came meanwhile) and check again.
                    guard.clear_ready();
                    retried = false;
                }
                Poll::Ready(Err(e)) => {
                    let code = e.raw_os_error().unwrap_or(libc::EIO);
                    return Poll::Ready(Err(Error::from_raw(code).into()));
                }
            }
        }
    }
}

impl Waiters {
    fn wake_by_ref_all(&self) {
        for dir in [Direction::Recv, Direction::Send] {
            self.wake_dir(dir);
        }
    }
}

/// Converts a registration failure into the `io::Error` the constructors return.
impl From<RegisterError> for std::io::Error {
    fn from(e: RegisterError) -> std::io::Error {
        match e {
            RegisterError::Zmq(e) => std::io::Error::from(e),
            RegisterError::NoReactor(why) => std::io::Error::other(why),
            RegisterError::Io(e) => e,
        }
    }
}
