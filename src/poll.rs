//! Polling (`zmq_poll`, `zmq_poller_*`) and the `ZMQ_FD` + `ZMQ_EVENTS` contract.
//!
//! This module is private: the overview of the ways to wait and the `ZMQ_FD`
//! contract for external event loops are on [`poll`], whose page is public.

use std::ffi::{c_int, c_long, c_short};
use std::fmt;
use std::marker::PhantomData;
use std::time::Duration;

use crate::error::{cvt, Error, Result};
use crate::socket::Socket;

bitflags::bitflags! {
    /// Readiness flags (`ZMQ_POLLIN` ...): what [`Socket::get_events`] reports, and the
    /// `events` / `revents` of a `zmq_pollitem_t` (a C `short`).
    #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
    pub struct PollEvents: c_short {
        /// A message can be received without blocking (`ZMQ_POLLIN`).
        const POLLIN = zmq_sys::ZMQ_POLLIN as c_short;
        /// A message can be sent without blocking (`ZMQ_POLLOUT`).
        const POLLOUT = zmq_sys::ZMQ_POLLOUT as c_short;
        /// An error condition on a native file descriptor (`ZMQ_POLLERR`, `zmq_poll` only).
        const POLLERR = zmq_sys::ZMQ_POLLERR as c_short;
        /// Urgent data on a native file descriptor (`ZMQ_POLLPRI`, `zmq_poll` only).
        const POLLPRI = zmq_sys::ZMQ_POLLPRI as c_short;
    }
}

/// A native descriptor as [`PollItem::from_fd`] and [`Poller::add_fd`] take it.
type RawFd = zmq_sys::zmq_fd_t;

/// One entry of [`poll`]: a socket or a native file descriptor, the events of interest,
/// and, after the call, the events that are ready.
///
/// It is a `zmq_pollitem_t` (`#[repr(transparent)]`) that borrows the socket it polls,
/// so it cannot outlive the socket, nor move to another thread (it is neither `Send` nor
/// `Sync`, like a `&Socket`).
///
/// ```
/// use zmq::{PollEvents, PollItem};
/// let ctx = zmq::Context::new()?;
/// let (a, b) = (ctx.socket(zmq::PAIR)?, ctx.socket(zmq::PAIR)?);
/// a.bind("inproc://poll-item")?;
/// b.connect("inproc://poll-item")?;
/// b.send("ping", zmq::SendFlags::empty())?;
///
/// let mut items = [
///     PollItem::from_socket(&a, PollEvents::POLLIN),
///     b.as_poll_item(PollEvents::POLLIN | PollEvents::POLLOUT),
/// ];
/// assert_eq!(zmq::poll(&mut items, 1000)?, 2);
/// assert!(items[0].is_readable());
/// assert!(!items[1].is_readable() && items[1].is_writable());
/// # Ok::<(), zmq::Error>(())
/// ```
#[repr(transparent)]
#[doc(alias = "zmq_pollitem_t")]
pub struct PollItem<'a> {
    raw: zmq_sys::zmq_pollitem_t,
    _socket: PhantomData<&'a Socket>,
}

impl<'a> PollItem<'a> {
    /// An item polling `socket` for `events` ([`POLLIN`](PollEvents::POLLIN) and / or
    /// [`POLLOUT`](PollEvents::POLLOUT); the other flags mean nothing for sockets).
    pub fn from_socket(socket: &'a Socket, events: PollEvents) -> PollItem<'a> {
        PollItem {
            raw: zmq_sys::zmq_pollitem_t {
                socket: socket.as_raw(),
                fd: RawFd::default(),
                events: events.bits(),
                revents: 0,
            },
            _socket: PhantomData,
        }
    }

    /// An item polling a native file descriptor (a `RawFd` on Unix, a `SOCKET` on
    /// Windows) for `events`: `POLLIN`, `POLLOUT`, `POLLPRI`; `POLLERR` is reported
    /// whether asked for or not.
    ///
    /// A descriptor is just a number, so nothing ties the item to the file: polling
    /// a descriptor that is closed is not undefined behaviour (`poll(2)` reports it
    /// with [`POLLERR`](PollEvents::POLLERR)), a negative one is ignored (never ready),
    /// but a number that was closed and reused polls whatever file now has it.
    pub fn from_fd(fd: RawFd, events: PollEvents) -> PollItem<'a> {
        PollItem {
            raw: zmq_sys::zmq_pollitem_t {
                socket: std::ptr::null_mut(),
                fd,
                events: events.bits(),
                revents: 0,
            },
            _socket: PhantomData,
        }
    }

    /// The events of interest.
    pub fn events(&self) -> PollEvents {
        PollEvents::from_bits_retain(self.raw.events)
    }

    /// Changes the events of interest (for the next [`poll`]).
    pub fn set_events(&mut self, events: PollEvents) {
        self.raw.events = events.bits();
    }

    /// The events found ready by the last [`poll`] (empty before the first).
    pub fn revents(&self) -> PollEvents {
        PollEvents::from_bits_retain(self.raw.revents)
    }

    /// Whether the last [`poll`] found [`POLLIN`](PollEvents::POLLIN): a message (or
    /// data, for a descriptor) can be received without blocking.
    pub fn is_readable(&self) -> bool {
        self.revents().contains(PollEvents::POLLIN)
    }

    /// Whether the last [`poll`] found [`POLLOUT`](PollEvents::POLLOUT): a message (or
    /// data, for a descriptor) can be sent without blocking.
    pub fn is_writable(&self) -> bool {
        self.revents().contains(PollEvents::POLLOUT)
    }

    /// Whether the last [`poll`] found [`POLLERR`](PollEvents::POLLERR) on a
    /// descriptor (an error, a hang-up, or a descriptor that is not open). Never set
    /// for sockets.
    pub fn has_error(&self) -> bool {
        self.revents().contains(PollEvents::POLLERR)
    }

    /// Whether this item polls `socket`.
    pub fn is_socket(&self, socket: &Socket) -> bool {
        self.raw.socket == socket.as_raw()
    }

    /// The descriptor of an item made by [`PollItem::from_fd`]; `None` for a socket.
    pub fn fd(&self) -> Option<RawFd> {
        self.raw.socket.is_null().then_some(self.raw.fd)
    }
}

impl fmt::Debug for PollItem<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut d = f.debug_struct("PollItem");
        match self.fd() {
            Some(fd) => d.field("fd", &fd),
            None => d.field("socket", &self.raw.socket),
        };
        d.field("events", &self.events())
            .field("revents", &self.revents())
            .finish()
    }
}

impl Socket {
    /// A [`PollItem`] polling this socket for `events`, the same as
    /// [`PollItem::from_socket`].
    pub fn as_poll_item(&self, events: PollEvents) -> PollItem<'_> {
        PollItem::from_socket(self, events)
    }
}

/// Converts a millisecond timeout to libzmq's `long`: any negative value is "forever"
/// (`-1`). Positive values are clamped to what libzmq can multiply by 1000 (it
/// computes microseconds in a `long` in places): about 292,000 years where `long` has
/// 64 bits, `long`'s maximum where it has 32.
#[allow(clippy::useless_conversion)] // c_long is i32 on some platforms
fn c_timeout(timeout_ms: i64) -> c_long {
    if timeout_ms < 0 {
        -1
    } else {
        c_long::try_from(timeout_ms.min(i64::MAX / 1000)).unwrap_or(c_long::MAX)
    }
}

/// A slice length as the C `int` libzmq counts items with: `EINVAL` past `i32::MAX`.
fn c_len(len: usize) -> Result<c_int> {
    c_int::try_from(len).map_err(|_| Error::EINVAL)
}

/// `zmq_poll` checks `poll(2)` failures with an assertion that aborts the process;
/// `poll(2)` fails with `EINVAL` for more descriptors than `RLIMIT_NOFILE`, so refuse
/// those here with the same error.
#[cfg(unix)]
fn check_nofile_limit(len: usize) -> Result<()> {
    match nofile_limit() {
        Some(limit) => match libc::rlim_t::try_from(len) {
            Ok(len) if len <= limit => Ok(()),
            _ => Err(Error::EINVAL),
        },
        None => Ok(()),
    }
}

#[cfg(not(unix))]
fn check_nofile_limit(_len: usize) -> Result<()> {
    Ok(())
}

/// The soft `RLIMIT_NOFILE`, or `None` when unlimited or unknown.
#[cfg(unix)]
fn nofile_limit() -> Option<libc::rlim_t> {
    let mut limit = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: getrlimit writes one rlimit struct through a pointer to a live local.
    let rc = unsafe { libc::getrlimit(libc::RLIMIT_NOFILE, &mut limit) };
    (rc == 0 && limit.rlim_cur != libc::RLIM_INFINITY).then_some(limit.rlim_cur)
}

/// With a thread-safe socket (SERVER, CLIENT ..., draft API) among the items,
/// `zmq_poll` polls through a `zmq_poller`, which asserts (aborting the process) that
/// reading `ZMQ_FD` of every classic socket with events succeeds; it fails with
/// `ETERM` once a socket has seen its context shut down. So read `ZMQ_FD` of every
/// socket first and return its error, as `zmq_poll` itself does when no socket is
/// thread-safe. Thread-safe sockets have no `ZMQ_FD`: `EINVAL` is expected of them.
#[cfg(feature = "draft")]
fn check_sockets(items: &[PollItem<'_>]) -> Result<()> {
    for item in items.iter().filter(|item| !item.raw.socket.is_null()) {
        let mut fd = RawFd::default();
        let mut len = std::mem::size_of::<RawFd>();
        // SAFETY: the item borrows a live socket this thread may use (see `poll`);
        // libzmq writes at most `len` bytes into `fd` and updates `len`.
        let rc = unsafe {
            zmq_sys::zmq_getsockopt(
                item.raw.socket,
                zmq_sys::ZMQ_FD,
                (&mut fd as *mut RawFd).cast(),
                &mut len,
            )
        };
        match cvt(rc) {
            Ok(_) | Err(Error::EINVAL) => {}
            Err(e) => return Err(e),
        }
    }
    Ok(())
}

/// Sleeps for a positive timeout (no items to wait for).
fn sleep_ms(timeout_ms: i64) {
    if let Ok(ms) = u64::try_from(timeout_ms) {
        std::thread::sleep(Duration::from_millis(ms));
    }
}

/// Waits until one of `items` is ready or `timeout_ms` passes (`zmq_poll`), and
/// returns how many items are ready; each item's [`revents`](PollItem::revents) says
/// which events.
///
/// `timeout_ms` is in milliseconds: `0` returns at once, `-1` (any negative value)
/// waits for ever. A timeout returns `Ok(0)`.
///
/// Errors: `ETERM` if a polled socket's context was shut down (also when a thread
/// blocked here is woken by [`Context::shutdown`](crate::Context::shutdown)); `EINTR`
/// if a signal interrupted the wait (not retried: the caller decides); `EINVAL` for
/// more than `i32::MAX` items (libzmq counts them in a C `int`), for more items than
/// the process may open descriptors (`RLIMIT_NOFILE`, which `poll(2)` refuses), and
/// for no items with a negative timeout (nothing could ever end the wait). With no
/// items and a positive timeout this just sleeps.
///
/// Classic sockets are polled on their `ZMQ_FD` and `ZMQ_EVENTS` (see
/// [External event loops](#external-event-loops) for using those elsewhere); with a
/// thread-safe socket (SERVER, CLIENT ..., draft API) among the items libzmq polls
/// through a temporary `zmq_poller` instead, where a descriptor of `-1` is
/// `EBADF` rather than ignored.
///
/// ```
/// use std::time::{Duration, Instant};
/// use zmq::{PollEvents, RecvFlags, SendFlags};
/// let ctx = zmq::Context::new()?;
/// let jobs = ctx.socket(zmq::PULL)?;
/// jobs.bind("tcp://127.0.0.1:*")?;
/// let control = ctx.socket(zmq::SUB)?;
/// control.bind("inproc://control")?;
/// control.set_subscribe(b"")?;
///
/// let push = ctx.socket(zmq::PUSH)?;
/// push.connect(&jobs.get_last_endpoint()?)?;
/// push.send("job", SendFlags::empty())?;
///
/// let mut items = [jobs.as_poll_item(PollEvents::POLLIN), control.as_poll_item(PollEvents::POLLIN)];
/// assert_eq!(zmq::poll(&mut items, 5000)?, 1);
/// assert!(items[0].is_readable() && !items[1].is_readable());
/// assert_eq!(jobs.recv_bytes(RecvFlags::DONTWAIT)?, b"job");
///
/// // Nothing more: a timeout of 0 returns at once.
/// let started = Instant::now();
/// assert_eq!(zmq::poll(&mut items, 0)?, 0);
/// assert!(started.elapsed() < Duration::from_secs(1));
/// # Ok::<(), zmq::Error>(())
/// ```
///
/// # Three ways to wait for several sockets
///
/// * [`poll`] (`zmq_poll`): a slice of [`PollItem`]s, each a socket or a native file
///   descriptor with the events of interest; on return each item's
///   [`revents`](PollItem::revents) says what is ready. Stable API, level-triggered.
/// * `Poller` (`zmq_poller_*`, libzmq's draft API: feature `draft`): a registered
///   set of sockets and descriptors, each carrying user data of your choice that
///   comes back with its events.
/// * An external event loop (epoll, kqueue, mio, tokio, glib ...) watching each
///   socket's `ZMQ_FD`, under the contract below.
///
/// # External event loops
///
/// To wait for sockets in another event loop (epoll, kqueue, mio, tokio, glib ...),
/// register each socket's `ZMQ_FD` with it and follow this contract.
///
/// [`Socket::get_fd`](crate::Socket::get_fd) (`ZMQ_FD`) is **not** the socket's data
/// connection: it is the descriptor of the socket's internal mailbox, and libzmq only
/// promises that it becomes readable when the socket's readiness *may have changed*.
/// The truth is always [`Socket::get_events`](crate::Socket::get_events)
/// (`ZMQ_EVENTS`). Never read from or write to that descriptor yourself.
///
/// * **It is edge-triggered.** After the descriptor signals, read `get_events()` and,
///   while it contains [`PollEvents::POLLIN`], receive (with `RecvFlags::DONTWAIT`):
///   drain everything. The descriptor does not signal again for messages that were
///   already queued, so a loop that receives one message per wake-up stalls.
/// * **Every `send`, `recv` and `get_events()` can consume the edge.** They process the
///   socket's pending commands, which clears the descriptor even when that makes new
///   messages available. So after any send or receive on the socket — including from
///   another handler of your loop — check `get_events()` again before going back to
///   wait on the descriptor.
/// * **A readable descriptor does not mean a message is there**, and
///   [`POLLOUT`](PollEvents::POLLOUT) has no edge of its own: test `get_events()`.
/// * `EAGAIN` from a `DONTWAIT` receive is not an error: go back to waiting.
/// * The descriptor is owned by the socket: it stays valid while the socket lives and
///   must be unregistered from the event loop before the socket is dropped.
///
/// [`wait_fd_readable`] (Unix, a safe `poll(2)` on one descriptor) and
/// [`PollItem::from_fd`] with `poll` are both enough to drive that loop:
///
/// ```
/// # #[cfg(unix)] {
/// use zmq::{Error, PollEvents, RecvFlags, SendFlags};
/// let ctx = zmq::Context::new()?;
/// let pull = ctx.socket(zmq::PULL)?;
/// pull.bind("inproc://fd-contract")?;
/// let push = ctx.socket(zmq::PUSH)?;
/// push.connect("inproc://fd-contract")?;
/// for i in 0..10 {
///     push.send(format!("job {i}"), SendFlags::empty())?;
/// }
///
/// let fd = pull.get_fd()?;
/// let mut received = 0;
/// while received < 10 {
///     // Drain while ZMQ_EVENTS says so (the recv itself may consume the edge).
///     while pull.get_events()?.contains(PollEvents::POLLIN) {
///         match pull.recv_bytes(RecvFlags::DONTWAIT) {
///             Ok(_) => received += 1,
///             Err(Error::EAGAIN) => break,
///             Err(e) => return Err(e),
///         }
///     }
///     // Only now wait for the next edge.
///     if received < 10 && !zmq::wait_fd_readable(fd, 5000)? {
///         return Err(Error::EAGAIN); // nothing within 5 s
///     }
/// }
/// # }
/// # Ok::<(), zmq::Error>(())
/// ```
#[doc(alias = "zmq_poll")]
pub fn poll(items: &mut [PollItem<'_>], timeout_ms: i64) -> Result<usize> {
    let nitems = c_len(items.len())?;
    if nitems == 0 {
        // libzmq would usleep(timeout * 1000), which truncates long timeouts and
        // sleeps about 71 minutes for "forever": do it here, properly.
        return match timeout_ms {
            0 => Ok(0),
            t if t < 0 => Err(Error::EINVAL),
            t => {
                sleep_ms(t);
                Ok(0)
            }
        };
    }
    check_nofile_limit(items.len())?;
    #[cfg(feature = "draft")]
    check_sockets(items)?;
    // SAFETY: PollItem is repr(transparent) over zmq_pollitem_t, so the slice is
    // `nitems` valid zmq_pollitem_t that libzmq may read and write (revents) during
    // the call. Each socket pointer comes from a `&Socket` the item borrows, so the
    // socket is alive, and this thread may use it (PollItem is !Send, Socket !Sync).
    let rc = unsafe { zmq_sys::zmq_poll(items.as_mut_ptr().cast(), nitems, c_timeout(timeout_ms)) };
    cvt(rc).map(|n| usize::try_from(n).unwrap_or(0))
}

/// Waits until a native file descriptor is readable (a safe `poll(2)` on one
/// descriptor, Unix only), for at most `timeout_ms` milliseconds (`-1`, or any
/// negative value, waits for ever): `Ok(true)` when it is readable (or hung up, or in
/// error: a read would not block), `Ok(false)` on timeout.
///
/// A convenience for the `ZMQ_FD` contract described on
/// [`poll`](crate::poll#external-event-loops) (section "External event loops"): wait
/// on [`Socket::get_fd`](crate::Socket::get_fd) with it, then trust only
/// [`Socket::get_events`](crate::Socket::get_events).
///
/// Errors: `EBADF` for a negative descriptor or one that is not open; `EINTR` if a
/// signal interrupted the wait (not retried). Timeouts beyond `i32::MAX` ms are
/// clamped.
///
/// ```
/// # #[cfg(unix)] {
/// let ctx = zmq::Context::new()?;
/// let pull = ctx.socket(zmq::PULL)?;
/// // No message, and no edge: a short wait times out.
/// let fd = pull.get_fd()?;
/// while pull.get_events()?.contains(zmq::PollEvents::POLLIN) {}
/// let _ = zmq::wait_fd_readable(fd, 10)?;
/// assert_eq!(zmq::wait_fd_readable(-1, 0), Err(zmq::Error::from_raw(libc::EBADF)));
/// # }
/// # Ok::<(), zmq::Error>(())
/// ```
#[cfg(unix)]
pub fn wait_fd_readable(fd: RawFd, timeout_ms: i64) -> Result<bool> {
    if fd < 0 {
        // poll(2) ignores negative descriptors: it would wait the whole timeout.
        return Err(Error::from_raw(libc::EBADF));
    }
    let timeout = if timeout_ms < 0 {
        -1
    } else {
        c_int::try_from(timeout_ms).unwrap_or(c_int::MAX)
    };
    let mut pollfd = libc::pollfd {
        fd,
        events: libc::POLLIN,
        revents: 0,
    };
    // SAFETY: poll reads and writes exactly one pollfd, a live local; any descriptor
    // number is acceptable to poll(2) (one that is not open is reported as POLLNVAL).
    let rc = unsafe { libc::poll(&mut pollfd, 1, timeout) };
    if rc < 0 {
        let errno = std::io::Error::last_os_error()
            .raw_os_error()
            .unwrap_or(libc::EINVAL);
        return Err(Error::from_raw(errno));
    }
    if rc == 0 {
        return Ok(false);
    }
    if pollfd.revents & libc::POLLNVAL != 0 {
        return Err(Error::from_raw(libc::EBADF));
    }
    Ok(true)
}

#[cfg(feature = "draft")]
pub use self::poller::{Poller, PollerEvent, PollerEvents};

#[cfg(feature = "draft")]
mod poller {
    use std::ffi::c_void;
    use std::fmt;
    use std::marker::PhantomData;
    use std::ptr::NonNull;
    use std::sync::atomic::{AtomicU64, Ordering};

    use super::PollEvents;
    use super::{c_len, c_timeout, sleep_ms, RawFd};
    use crate::error::{cvt, cvt_ptr, Error, Result};
    use crate::socket::Socket;

    /// What libzmq puts in `fd` for socket events (`retired_fd`).
    #[cfg(not(windows))]
    const RETIRED_FD: RawFd = -1;
    #[cfg(windows)]
    const RETIRED_FD: RawFd = RawFd::MAX;

    /// A fresh value for [`Poller::stamp`]: unique across all pollers of the process.
    fn next_stamp() -> u64 {
        static NEXT: AtomicU64 = AtomicU64::new(1);
        NEXT.fetch_add(1, Ordering::Relaxed)
    }

    /// One registration: what `user_data` points to.
    struct Entry<'a, T> {
        socket: Option<&'a Socket>,
        fd: RawFd,
        events: PollEvents,
        data: T,
    }

    /// A set of sockets and native descriptors to wait on (`zmq_poller_*`, libzmq's
    /// draft API: feature `draft`), each registered with events of interest and a value
    /// of type `T` that comes back with its events — an index, a name, an enum of
    /// handlers ... (use `()` for none).
    ///
    /// The poller borrows its sockets for `'a`, so none can be dropped while
    /// registered (libzmq requires it). It owns the `T`s, each boxed at a stable
    /// address passed to libzmq as `user_data`; [`remove`](Poller::remove) hands the
    /// value back. Events are level-triggered, like [`poll`](crate::poll).
    ///
    /// A `Poller` is neither `Send` nor `Sync`: a libzmq poller must be used from one
    /// thread, and the classic sockets it borrows are not `Sync` either. A socket may
    /// be registered with several pollers: of the same thread for a classic socket
    /// (libzmq only reads its `ZMQ_FD` and `ZMQ_EVENTS`, as `zmq_poll` does), of any
    /// thread for a thread-safe one (SERVER, CLIENT ..., which libzmq documents).
    ///
    /// ```
    /// use zmq::{PollEvents, Poller, RecvFlags, SendFlags};
    /// let ctx = zmq::Context::new()?;
    /// let (orders, alerts) = (ctx.socket(zmq::PULL)?, ctx.socket(zmq::PULL)?);
    /// orders.bind("inproc://orders")?;
    /// alerts.bind("inproc://alerts")?;
    /// let push = ctx.socket(zmq::PUSH)?;
    /// push.connect("inproc://alerts")?;
    /// push.send("fire", SendFlags::empty())?;
    ///
    /// let mut poller = Poller::new()?;
    /// poller.add(&orders, PollEvents::POLLIN, "orders")?;
    /// poller.add(&alerts, PollEvents::POLLIN, "alerts")?;
    /// let event = poller.wait(5000)?;
    /// assert_eq!(*event.data(), "alerts");
    /// assert!(event.is_readable());
    /// assert_eq!(event.socket().unwrap().recv_bytes(RecvFlags::DONTWAIT)?, b"fire");
    ///
    /// // Nothing else is ready: a timeout is EAGAIN, as in libzmq.
    /// assert_eq!(poller.wait(0).unwrap_err(), zmq::Error::EAGAIN);
    /// assert_eq!(poller.remove(&orders)?, "orders");
    /// assert_eq!(poller.size(), 1);
    /// # Ok::<(), zmq::Error>(())
    /// ```
    #[cfg_attr(docsrs, doc(cfg(feature = "draft")))]
    pub struct Poller<'a, T> {
        raw: NonNull<c_void>,
        /// Owned boxes (from `Box::leak`), freed by `remove*` and `Drop`.
        entries: Vec<NonNull<Entry<'a, T>>>,
        /// Changes (to a process-unique value) whenever an entry is freed, so a
        /// [`PollerEvents`] filled earlier is known stale.
        stamp: u64,
        /// Registrations changed since the last wait: libzmq rebuilds its poll set.
        dirty: bool,
        _owns: PhantomData<Entry<'a, T>>,
    }

    impl<T> fmt::Debug for Poller<'_, T> {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.debug_struct("Poller")
                .field("raw", &self.raw)
                .field("size", &self.entries.len())
                .finish()
        }
    }

    impl<T> Drop for Poller<'_, T> {
        fn drop(&mut self) {
            let mut raw = self.raw.as_ptr();
            // SAFETY: raw is our live poller, destroyed only here; every socket it
            // holds is still alive (borrowed for 'a, which outlives this drop).
            unsafe { zmq_sys::zmq_poller_destroy(&mut raw) };
            for entry in self.entries.drain(..) {
                // SAFETY: each entry came from Box::leak and is freed once, here,
                // after the poller that pointed to it is gone.
                drop(unsafe { Box::from_raw(entry.as_ptr()) });
            }
        }
    }

    impl<'a, T> Poller<'a, T> {
        /// A new, empty poller (`zmq_poller_new`).
        #[doc(alias = "zmq_poller_new")]
        pub fn new() -> Result<Poller<'a, T>> {
            // SAFETY: zmq_poller_new has no preconditions; null (ENOMEM) on failure.
            let raw = cvt_ptr(unsafe { zmq_sys::zmq_poller_new() })?;
            Ok(Poller {
                raw,
                entries: Vec::new(),
                stamp: next_stamp(),
                dirty: false,
                _owns: PhantomData,
            })
        }

        fn entry(&self, index: usize) -> &Entry<'a, T> {
            // SAFETY: entries holds live boxes, freed only through &mut self.
            unsafe { self.entries[index].as_ref() }
        }

        fn entry_mut(&mut self, index: usize) -> &mut Entry<'a, T> {
            // SAFETY: as in `entry`, and &mut self makes this the only reference.
            unsafe { self.entries[index].as_mut() }
        }

        fn find_socket(&self, socket: &Socket) -> Option<usize> {
            (0..self.entries.len()).find(|&i| {
                self.entry(i)
                    .socket
                    .is_some_and(|s| s.as_raw() == socket.as_raw())
            })
        }

        fn find_fd(&self, fd: RawFd) -> Option<usize> {
            (0..self.entries.len()).find(|&i| {
                let entry = self.entry(i);
                entry.socket.is_none() && entry.fd == fd
            })
        }

        fn register(
            &mut self,
            entry: Entry<'a, T>,
            add: impl FnOnce(*mut c_void, *mut c_void) -> std::ffi::c_int,
        ) -> Result<()> {
            self.entries.reserve(1);
            let ptr = NonNull::from(Box::leak(Box::new(entry)));
            let rc = add(self.raw.as_ptr(), ptr.as_ptr().cast());
            if let Err(e) = cvt(rc) {
                // SAFETY: libzmq refused the registration and kept no pointer to the
                // box, which came from Box::leak just above.
                drop(unsafe { Box::from_raw(ptr.as_ptr()) });
                return Err(e);
            }
            self.entries.push(ptr);
            self.dirty = true;
            Ok(())
        }

        fn unregister(&mut self, index: usize) -> T {
            let ptr = self.entries.swap_remove(index);
            self.stamp = next_stamp();
            self.dirty = true;
            // SAFETY: libzmq no longer holds the pointer (the caller removed the
            // registration), the box came from Box::leak and leaves `entries` here.
            unsafe { Box::from_raw(ptr.as_ptr()) }.data
        }

        /// Registers `socket` for `events` with `data` (`zmq_poller_add`). Empty
        /// events are allowed: enable them later with [`modify`](Poller::modify).
        ///
        /// `EINVAL` if the socket is already registered (the value is dropped).
        #[doc(alias = "zmq_poller_add")]
        pub fn add(&mut self, socket: &'a Socket, events: PollEvents, data: T) -> Result<()> {
            let entry = Entry {
                socket: Some(socket),
                fd: RETIRED_FD,
                events,
                data,
            };
            self.register(entry, |poller, user_data| {
                // SAFETY: our live poller; a live socket that stays alive while
                // registered (borrowed for 'a); user_data is a live box owned by self
                // until the socket is removed or the poller is destroyed.
                unsafe {
                    zmq_sys::zmq_poller_add(poller, socket.as_raw(), user_data, events.bits())
                }
            })
        }

        /// Registers a native descriptor for `events` with `data`
        /// (`zmq_poller_add_fd`). As for [`PollItem::from_fd`](crate::PollItem::from_fd),
        /// a descriptor is just a number: one that is not open is reported with
        /// [`POLLERR`](PollEvents::POLLERR), not undefined behaviour.
        ///
        /// `EINVAL` if it is already registered, `EBADF` for `-1`.
        #[doc(alias = "zmq_poller_add_fd")]
        pub fn add_fd(&mut self, fd: RawFd, events: PollEvents, data: T) -> Result<()> {
            let entry = Entry {
                socket: None,
                fd,
                events,
                data,
            };
            self.register(entry, |poller, user_data| {
                // SAFETY: our live poller; user_data is a live box owned by self until
                // the descriptor is removed or the poller is destroyed.
                unsafe { zmq_sys::zmq_poller_add_fd(poller, fd, user_data, events.bits()) }
            })
        }

        /// Changes the events a registered socket is polled for (`zmq_poller_modify`);
        /// empty events disable it without unregistering. `EINVAL` if not registered.
        #[doc(alias = "zmq_poller_modify")]
        pub fn modify(&mut self, socket: &Socket, events: PollEvents) -> Result<()> {
            let index = self.find_socket(socket).ok_or(Error::EINVAL)?;
            // SAFETY: our live poller and a live socket (borrowed for the call).
            cvt(unsafe {
                zmq_sys::zmq_poller_modify(self.raw.as_ptr(), socket.as_raw(), events.bits())
            })?;
            self.entry_mut(index).events = events;
            self.dirty = true;
            Ok(())
        }

        /// Changes the events a registered descriptor is polled for
        /// (`zmq_poller_modify_fd`). `EINVAL` if not registered.
        #[doc(alias = "zmq_poller_modify_fd")]
        pub fn modify_fd(&mut self, fd: RawFd, events: PollEvents) -> Result<()> {
            let index = self.find_fd(fd).ok_or(Error::EINVAL)?;
            // SAFETY: our live poller; any descriptor number is acceptable.
            cvt(unsafe { zmq_sys::zmq_poller_modify_fd(self.raw.as_ptr(), fd, events.bits()) })?;
            self.entry_mut(index).events = events;
            self.dirty = true;
            Ok(())
        }

        /// Unregisters a socket (`zmq_poller_remove`) and returns its value. `EINVAL`
        /// if it was not registered.
        #[doc(alias = "zmq_poller_remove")]
        pub fn remove(&mut self, socket: &Socket) -> Result<T> {
            let index = self.find_socket(socket).ok_or(Error::EINVAL)?;
            // SAFETY: our live poller and a live, registered socket.
            cvt(unsafe { zmq_sys::zmq_poller_remove(self.raw.as_ptr(), socket.as_raw()) })?;
            Ok(self.unregister(index))
        }

        /// Unregisters a descriptor (`zmq_poller_remove_fd`) and returns its value.
        /// `EINVAL` if it was not registered.
        #[doc(alias = "zmq_poller_remove_fd")]
        pub fn remove_fd(&mut self, fd: RawFd) -> Result<T> {
            let index = self.find_fd(fd).ok_or(Error::EINVAL)?;
            // SAFETY: our live poller; a registered descriptor number.
            cvt(unsafe { zmq_sys::zmq_poller_remove_fd(self.raw.as_ptr(), fd) })?;
            Ok(self.unregister(index))
        }

        /// How many sockets and descriptors are registered (`zmq_poller_size`),
        /// whatever their events.
        #[doc(alias = "zmq_poller_size")]
        pub fn size(&self) -> usize {
            // SAFETY: our live poller; zmq_poller_size only reads its item count.
            let n = unsafe { zmq_sys::zmq_poller_size(self.raw.as_ptr()) };
            usize::try_from(n).unwrap_or(self.entries.len())
        }

        /// The poller's own signalling descriptor (`zmq_poller_fd`), for waiting on
        /// the poller from another event loop: when it becomes readable, call
        /// [`wait`](Poller::wait) with a timeout of 0. libzmq only has one once a
        /// thread-safe socket (SERVER, CLIENT, RADIO, DISH ...) has been registered,
        /// and it only signals for those sockets; `EINVAL` before.
        #[doc(alias = "zmq_poller_fd")]
        pub fn fd(&self) -> Result<RawFd> {
            let mut fd: RawFd = RETIRED_FD;
            // SAFETY: our live poller; libzmq writes one zmq_fd_t through the pointer.
            cvt(unsafe { zmq_sys::zmq_poller_fd(self.raw.as_ptr(), &mut fd) })?;
            Ok(fd)
        }

        /// Whether no registration has events enabled (libzmq's poll set is empty).
        fn nothing_to_poll(&self) -> bool {
            (0..self.entries.len()).all(|i| self.entry(i).events.is_empty())
        }

        /// Checks what libzmq's rebuild of the poll set asserts: it reads `ZMQ_FD` of
        /// every polled socket and aborts the process if that fails, as it does with
        /// `ETERM` once a socket has seen its context shut down, and it polls with
        /// poll(2), which fails for more descriptors than `RLIMIT_NOFILE` (`EINVAL`
        /// here instead). Report it instead.
        fn before_wait(&self) -> Result<()> {
            if !self.dirty {
                return Ok(());
            }
            // The rebuilt poll set holds every registration with events, and a
            // signaler when there is a thread-safe socket: poll(2) refuses more
            // descriptors than RLIMIT_NOFILE, and libzmq asserts that it succeeded.
            let polled = (0..self.entries.len())
                .filter(|&i| !self.entry(i).events.is_empty())
                .count();
            super::check_nofile_limit(polled + 1)?;
            for i in 0..self.entries.len() {
                let entry = self.entry(i);
                if let Some(socket) = entry.socket {
                    match socket.get_fd() {
                        // EINVAL: a thread-safe socket, which has no ZMQ_FD and which
                        // the rebuild does not ask for one.
                        Ok(_) | Err(Error::EINVAL) => {}
                        Err(e) if !entry.events.is_empty() => return Err(e),
                        Err(_) => {}
                    }
                }
            }
            Ok(())
        }

        /// Without a poll set libzmq would usleep(timeout * 1000): truncated (and
        /// overflowing) for long timeouts. Do its documented behaviour here.
        fn wait_for_nothing(timeout_ms: i64) -> Error {
            if timeout_ms < 0 {
                // libzmq: "Fail instead of trying to sleep forever".
                return Error::EFAULT;
            }
            sleep_ms(timeout_ms);
            Error::EAGAIN
        }

        fn after_wait(&mut self, rc: std::ffi::c_int) {
            // The poll set was rebuilt unless allocating it failed.
            if rc >= 0 || Error::last() != Error::ENOMEM {
                self.dirty = false;
            }
        }

        fn event(&self, raw: &zmq_sys::zmq_poller_event_t) -> Result<PollerEvent<'_, T>> {
            let entry = NonNull::new(raw.user_data.cast::<Entry<'a, T>>()).ok_or(Error::EFAULT)?;
            Ok(PollerEvent {
                // SAFETY: every registration's user_data is one of our live boxes
                // (none is freed while `self` is borrowed).
                entry: unsafe { entry.as_ref() },
                events: PollEvents::from_bits_retain(raw.events),
            })
        }

        /// Waits for one event (`zmq_poller_wait`), for at most `timeout_ms`
        /// milliseconds (`0`: return at once, `-1` or any negative value: for ever).
        ///
        /// Errors, as libzmq: `EAGAIN` on timeout; `ETERM` if a registered socket's
        /// context was shut down; `EINTR` if a signal interrupted the wait (not
        /// retried); `EFAULT` for a negative timeout with nothing to poll (no
        /// registration with events).
        #[doc(alias = "zmq_poller_wait")]
        pub fn wait(&mut self, timeout_ms: i64) -> Result<PollerEvent<'_, T>> {
            if self.nothing_to_poll() {
                return Err(Self::wait_for_nothing(timeout_ms));
            }
            self.before_wait()?;
            let mut raw = empty_event();
            // SAFETY: our live poller, with live sockets and user_data boxes; libzmq
            // writes one event through the pointer to a live local.
            let rc = unsafe {
                zmq_sys::zmq_poller_wait(self.raw.as_ptr(), &mut raw, c_timeout(timeout_ms))
            };
            self.after_wait(rc);
            cvt(rc)?;
            self.event(&raw)
        }

        /// Waits for events (`zmq_poller_wait_all`) and stores up to
        /// [`events.capacity()`](PollerEvents::capacity) of them in `events`; returns
        /// how many (at least one). Read them with [`PollerEvents::iter`].
        ///
        /// Give the buffer room for every registration ([`size`](Poller::size)):
        /// libzmq returns an unspecified subset when more are ready, and may keep
        /// returning the same one. Errors as for [`wait`](Poller::wait), and `EINVAL`
        /// for a buffer of capacity 0 or beyond `i32::MAX`.
        ///
        /// ```
        /// use zmq::{PollEvents, Poller, PollerEvents};
        /// let ctx = zmq::Context::new()?;
        /// let sockets: Vec<zmq::Socket> =
        ///     (0..3).map(|_| ctx.socket(zmq::PUSH)).collect::<Result<_, _>>()?;
        /// let mut poller = Poller::new()?;
        /// for (i, s) in sockets.iter().enumerate() {
        ///     s.bind(&format!("inproc://wait-all-{i}"))?;
        ///     poller.add(s, PollEvents::POLLOUT, i)?;
        /// }
        /// let peer = ctx.socket(zmq::PULL)?;
        /// peer.connect("inproc://wait-all-1")?;
        ///
        /// // Only the PUSH with a peer can send.
        /// let mut events = PollerEvents::with_capacity(poller.size());
        /// assert_eq!(poller.wait_all(&mut events, 5000)?, 1);
        /// let ready: Vec<usize> = events.iter(&poller)?.map(|e| *e.data()).collect();
        /// assert_eq!(ready, [1]);
        /// # Ok::<(), zmq::Error>(())
        /// ```
        #[doc(alias = "zmq_poller_wait_all")]
        pub fn wait_all(&mut self, events: &mut PollerEvents, timeout_ms: i64) -> Result<usize> {
            events.len = 0;
            events.stamp = self.stamp;
            let n_events = c_len(events.raw.len())?;
            if n_events == 0 {
                // libzmq would wait the whole timeout (or for ever) and report nothing.
                return Err(Error::EINVAL);
            }
            if self.nothing_to_poll() {
                return Err(Self::wait_for_nothing(timeout_ms));
            }
            self.before_wait()?;
            // SAFETY: our live poller, with live sockets and user_data boxes; libzmq
            // writes at most n_events events into the buffer, which has that many.
            let rc = unsafe {
                zmq_sys::zmq_poller_wait_all(
                    self.raw.as_ptr(),
                    events.raw.as_mut_ptr(),
                    n_events,
                    c_timeout(timeout_ms),
                )
            };
            self.after_wait(rc);
            let n = usize::try_from(cvt(rc)?).unwrap_or(0).min(events.raw.len());
            events.len = n;
            Ok(n)
        }
    }

    fn empty_event() -> zmq_sys::zmq_poller_event_t {
        zmq_sys::zmq_poller_event_t {
            socket: std::ptr::null_mut(),
            fd: RETIRED_FD,
            user_data: std::ptr::null_mut(),
            events: 0,
        }
    }

    /// An event reported by a [`Poller`]: which registration, with which events,
    /// and its value. It borrows the poller, so the registration cannot be removed
    /// while the event is looked at.
    #[cfg_attr(docsrs, doc(cfg(feature = "draft")))]
    pub struct PollerEvent<'p, T> {
        entry: &'p Entry<'p, T>,
        events: PollEvents,
    }

    impl<T> Clone for PollerEvent<'_, T> {
        fn clone(&self) -> Self {
            *self
        }
    }

    impl<T> Copy for PollerEvent<'_, T> {}

    impl<T: fmt::Debug> fmt::Debug for PollerEvent<'_, T> {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            let mut d = f.debug_struct("PollerEvent");
            match self.entry.socket {
                Some(socket) => d.field("socket", &socket.as_raw()),
                None => d.field("fd", &self.entry.fd),
            };
            d.field("events", &self.events)
                .field("data", &self.entry.data)
                .finish()
        }
    }

    impl<'p, T> PollerEvent<'p, T> {
        /// The value registered with the socket or descriptor.
        pub fn data(&self) -> &'p T {
            &self.entry.data
        }

        /// The socket, for a socket event.
        pub fn socket(&self) -> Option<&'p Socket> {
            self.entry.socket
        }

        /// The descriptor, for a descriptor event.
        pub fn fd(&self) -> Option<RawFd> {
            self.entry.socket.is_none().then_some(self.entry.fd)
        }

        /// The events that are ready (among those registered).
        pub fn events(&self) -> PollEvents {
            self.events
        }

        /// Whether [`POLLIN`](PollEvents::POLLIN) is ready.
        pub fn is_readable(&self) -> bool {
            self.events.contains(PollEvents::POLLIN)
        }

        /// Whether [`POLLOUT`](PollEvents::POLLOUT) is ready.
        pub fn is_writable(&self) -> bool {
            self.events.contains(PollEvents::POLLOUT)
        }

        /// Whether [`POLLERR`](PollEvents::POLLERR) is set (descriptors only).
        pub fn has_error(&self) -> bool {
            self.events.contains(PollEvents::POLLERR)
        }
    }

    /// A reusable buffer for [`Poller::wait_all`]: it holds the raw events of the last
    /// wait, read back through [`PollerEvents::iter`] with the same poller.
    #[cfg_attr(docsrs, doc(cfg(feature = "draft")))]
    pub struct PollerEvents {
        raw: Vec<zmq_sys::zmq_poller_event_t>,
        len: usize,
        /// The stamp of the poller that filled it, at the time.
        stamp: u64,
    }

    impl fmt::Debug for PollerEvents {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.debug_struct("PollerEvents")
                .field("capacity", &self.raw.len())
                .field("len", &self.len)
                .finish()
        }
    }

    impl PollerEvents {
        /// A buffer for up to `capacity` events (give it the poller's
        /// [`size`](Poller::size)).
        pub fn with_capacity(capacity: usize) -> PollerEvents {
            PollerEvents {
                raw: vec![empty_event(); capacity],
                len: 0,
                stamp: 0,
            }
        }

        /// How many events a wait can store.
        pub fn capacity(&self) -> usize {
            self.raw.len()
        }

        /// How many events the last [`Poller::wait_all`] stored.
        pub fn len(&self) -> usize {
            self.len
        }

        /// Whether the last wait stored no event (or failed, or there was none).
        pub fn is_empty(&self) -> bool {
            self.len == 0
        }

        /// The events stored by the last [`Poller::wait_all`] of `poller`.
        ///
        /// `EINVAL` if the buffer was filled by another poller, or if a registration
        /// was removed from `poller` since (the events could name it).
        pub fn iter<'p, T>(
            &'p self,
            poller: &'p Poller<'_, T>,
        ) -> Result<impl Iterator<Item = PollerEvent<'p, T>> + 'p> {
            if self.stamp != poller.stamp {
                return Err(Error::EINVAL);
            }
            // Every user_data here names a registration of `poller` that is still
            // there: none was freed since the wait (the stamp would have changed).
            Ok(self.raw[..self.len]
                .iter()
                .filter_map(move |raw| poller.event(raw).ok()))
        }
    }
}

/// Compile-time proofs for polling: each block below must fail to compile.
///
/// A poll item cannot outlive the socket it polls:
/// ```compile_fail,E0597
/// let ctx = zmq::Context::new().unwrap();
/// let item;
/// {
///     let socket = ctx.socket(zmq::PULL).unwrap();
///     item = socket.as_poll_item(zmq::PollEvents::POLLIN);
/// }
/// zmq::poll(&mut [item], 0).unwrap();
/// ```
/// nor keep it from being closed:
/// ```compile_fail,E0505
/// let ctx = zmq::Context::new().unwrap();
/// let socket = ctx.socket(zmq::PULL).unwrap();
/// let item = zmq::PollItem::from_socket(&socket, zmq::PollEvents::POLLIN);
/// socket.close().unwrap();
/// zmq::poll(&mut [item], 0).unwrap();
/// ```
/// (while this compiles:)
/// ```
/// let ctx = zmq::Context::new().unwrap();
/// let socket = ctx.socket(zmq::PULL).unwrap();
/// let item = zmq::PollItem::from_socket(&socket, zmq::PollEvents::POLLIN);
/// zmq::poll(&mut [item], 0).unwrap();
/// socket.close().unwrap();
/// ```
/// A poll item cannot move to another thread (it borrows a socket that is not `Sync`):
/// ```compile_fail,E0277
/// fn is_send<T: Send>() {}
/// is_send::<zmq::PollItem<'static>>();
/// ```
#[cfg_attr(
    feature = "draft",
    doc = r#"
A poller cannot outlive a socket it polls:
```compile_fail,E0597
let ctx = zmq::Context::new().unwrap();
let mut poller = zmq::Poller::new().unwrap();
{
    let socket = ctx.socket(zmq::PULL).unwrap();
    poller.add(&socket, zmq::PollEvents::POLLIN, ()).unwrap();
}
let _ = poller.wait(0);
```
A poller cannot move to another thread:
```compile_fail,E0277
fn is_send<T: Send>() {}
is_send::<zmq::Poller<'static, ()>>();
```
An event cannot outlive a removal from its poller:
```compile_fail,E0499
let ctx = zmq::Context::new().unwrap();
let socket = ctx.socket(zmq::PUSH).unwrap();
socket.bind("inproc://proof").unwrap();
let peer = ctx.socket(zmq::PULL).unwrap();
peer.connect("inproc://proof").unwrap();
let mut poller = zmq::Poller::new().unwrap();
poller.add(&socket, zmq::PollEvents::POLLOUT, String::from("data")).unwrap();
let event = poller.wait(1000).unwrap();
poller.remove(&socket).unwrap();
println!("{}", event.data());
```
"#
)]
#[cfg(doctest)]
pub struct PollProofs;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn item_counts_beyond_c_int_are_einval() {
        assert_eq!(c_len(0), Ok(0));
        assert_eq!(c_len(i32::MAX as usize), Ok(i32::MAX));
        assert_eq!(c_len(i32::MAX as usize + 1), Err(Error::EINVAL));
        assert_eq!(c_len(usize::MAX), Err(Error::EINVAL));
    }

    #[test]
    fn timeouts_map_to_c_long() {
        assert_eq!(c_timeout(-1), -1);
        assert_eq!(c_timeout(i64::MIN), -1);
        assert_eq!(c_timeout(0), 0);
        assert_eq!(c_timeout(1500), 1500);
        assert!(c_timeout(i64::MAX) > 0);
    }

    #[test]
    fn poll_item_is_a_zmq_pollitem_t() {
        use std::mem::{align_of, size_of};
        assert_eq!(
            size_of::<PollItem<'_>>(),
            size_of::<zmq_sys::zmq_pollitem_t>()
        );
        assert_eq!(
            align_of::<PollItem<'_>>(),
            align_of::<zmq_sys::zmq_pollitem_t>()
        );
    }

    /// More descriptors than RLIMIT_NOFILE would make poll(2) fail with EINVAL, which
    /// libzmq turns into an abort: we must report EINVAL instead.
    #[cfg(unix)]
    #[test]
    fn more_items_than_rlimit_nofile_is_einval_not_an_abort() {
        let Some(limit) = nofile_limit() else {
            return; // unlimited: poll(2) takes any count
        };
        let Ok(limit) = usize::try_from(limit) else {
            return;
        };
        if limit > 1 << 20 {
            return; // too many items to build in a test
        }
        let mut items: Vec<PollItem<'_>> = (0..=limit)
            .map(|_| PollItem::from_fd(-1, PollEvents::POLLIN))
            .collect();
        assert_eq!(poll(&mut items, 0), Err(Error::EINVAL));
        items.pop();
        assert_eq!(poll(&mut items, 0), Ok(0));
    }
}
