//! Timers (`zmq_timers_*`) for poll loops. This module is private: the user
//! documentation is on [`Timers`].

use std::any::Any;
use std::cell::Cell;
use std::collections::HashMap;
use std::ffi::{c_int, c_long, c_void};
use std::fmt;
use std::panic::{catch_unwind, resume_unwind, AssertUnwindSafe};
use std::ptr::NonNull;
use std::rc::Rc;
use std::sync::atomic::{AtomicU64, Ordering};

use crate::error::{cvt, cvt_ptr, Error, Result};

/// The identifier of a timer in a [`Timers`], returned by [`Timers::add`] and passed
/// to its handler. It only names a timer of the `Timers` that made it.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct TimerId {
    id: c_int,
    /// Which `Timers` made it (process-unique), so an id of another set is EINVAL.
    owner: u64,
}

impl TimerId {
    /// The `timer_id` libzmq gave this timer (1, 2, 3 ... in each `Timers`).
    pub fn raw(self) -> i32 {
        self.id
    }
}

impl fmt::Debug for TimerId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "TimerId({})", self.id)
    }
}

type PanicPayload = Box<dyn Any + Send + 'static>;

/// What a timer's `arg` points to: its handler, and where to leave a panic.
struct Handler {
    callback: Box<dyn FnMut(TimerId)>,
    owner: u64,
    /// Shared by every handler of one `Timers`: the first panic of an `execute`.
    panic: Rc<Cell<Option<PanicPayload>>>,
}

/// Called by `zmq_timers_execute` for each due timer. Never unwinds into libzmq: a
/// panic of the handler is caught and left for [`Timers::execute`] to resume.
extern "C" fn trampoline(timer_id: c_int, arg: *mut c_void) {
    // SAFETY: arg is the Handler registered with this timer: a live box (freed only
    // by cancel or drop, which need `&mut Timers` and so cannot run during execute),
    // and nothing else references it while execute runs.
    let handler = unsafe { &mut *arg.cast::<Handler>() };
    // After a panic the rest of this execute is skipped, as code after a panic would be.
    let pending = handler.panic.take();
    if pending.is_some() {
        handler.panic.set(pending);
        return;
    }
    let id = TimerId {
        id: timer_id,
        owner: handler.owner,
    };
    let callback = &mut handler.callback;
    if let Err(payload) = catch_unwind(AssertUnwindSafe(|| callback(id))) {
        handler.panic.set(Some(payload));
    }
}

/// A set of repeating timers (`zmq_timers_new`), destroyed with its handlers when
/// dropped (`zmq_timers_destroy`).
///
/// Each timer fires every `interval` milliseconds, counted from when it was added,
/// reset, or last fired, until cancelled — but only when [`execute`](Timers::execute)
/// is called. Handlers run on the thread that calls `execute`, so they need not be
/// `Send`, and `Timers` is neither `Send` nor `Sync`.
///
/// ```
/// use std::cell::RefCell;
/// use std::rc::Rc;
/// let fired = Rc::new(RefCell::new(Vec::new()));
/// let mut timers = zmq::Timers::new()?;
/// let log = fired.clone();
/// let id = timers.add(5, move |id| log.borrow_mut().push(id))?;
///
/// std::thread::sleep(std::time::Duration::from_millis(timers.timeout().unwrap() as u64 + 1));
/// timers.execute()?;
/// assert_eq!(*fired.borrow(), [id]);
/// timers.cancel(id)?;
/// assert_eq!(timers.timeout(), None);
/// assert_eq!(timers.cancel(id), Err(zmq::Error::EINVAL));
/// # Ok::<(), zmq::Error>(())
/// ```
///
/// # The reactor
///
/// A loop asks the timers how long it may wait ([`timeout`](Timers::timeout)), waits
/// that long for its sockets (e.g. with [`poll`](crate::poll)), then runs the
/// handlers that are due ([`execute`](Timers::execute)) — the reactor of the zguide:
///
/// ```
/// use zmq::{PollEvents, RecvFlags, SendFlags, Timers};
///
/// let ctx = zmq::Context::new()?;
/// let pull = ctx.socket(zmq::PULL)?;
/// pull.bind("inproc://reactor")?;
/// let push = ctx.socket(zmq::PUSH)?;
/// push.connect("inproc://reactor")?;
///
/// let mut timers = Timers::new()?;
/// // A heartbeat every 10 ms, sent by a handler that owns the PUSH socket.
/// timers.add(10, move |_| {
///     let _ = push.send("beat", SendFlags::DONTWAIT);
/// })?;
///
/// let mut beats = 0;
/// while beats < 3 {
///     let mut items = [pull.as_poll_item(PollEvents::POLLIN)];
///     zmq::poll(&mut items, timers.timeout().unwrap_or(-1))?;
///     timers.execute()?;
///     if items[0].is_readable() {
///         assert_eq!(pull.recv_bytes(RecvFlags::DONTWAIT)?, b"beat");
///         beats += 1;
///     }
/// }
/// # Ok::<(), zmq::Error>(())
/// ```
pub struct Timers {
    raw: NonNull<c_void>,
    owner: u64,
    /// Owned boxes (from `Box::leak`) of the timers not cancelled.
    handlers: HashMap<c_int, NonNull<Handler>>,
    panic: Rc<Cell<Option<PanicPayload>>>,
    /// The last id libzmq gave (it counts from 1 in a C `int`).
    last_id: c_int,
}

impl fmt::Debug for Timers {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Timers")
            .field("raw", &self.raw)
            .field("timers", &self.handlers.len())
            .finish()
    }
}

impl Drop for Timers {
    fn drop(&mut self) {
        let mut raw = self.raw.as_ptr();
        // SAFETY: raw is our live timers object, destroyed only here.
        unsafe { zmq_sys::zmq_timers_destroy(&mut raw) };
        for (_, handler) in self.handlers.drain() {
            // SAFETY: each handler came from Box::leak and is freed once, here,
            // after the timers object that pointed to it is gone.
            drop(unsafe { Box::from_raw(handler.as_ptr()) });
        }
    }
}

/// Checks an interval for libzmq: `0` would make `execute` fire the timer for ever
/// (it is due again at once), and beyond `long` the timeout arithmetic overflows.
fn c_interval(interval_ms: u64) -> Result<usize> {
    let max = u64::try_from(c_long::MAX).unwrap_or(u64::MAX);
    if interval_ms == 0 || interval_ms > max {
        return Err(Error::EINVAL);
    }
    usize::try_from(interval_ms).map_err(|_| Error::EINVAL)
}

impl Timers {
    /// An empty set of timers (`zmq_timers_new`).
    #[doc(alias = "zmq_timers_new")]
    pub fn new() -> Result<Timers> {
        static OWNERS: AtomicU64 = AtomicU64::new(1);
        // SAFETY: zmq_timers_new has no preconditions.
        let raw = cvt_ptr(unsafe { zmq_sys::zmq_timers_new() })?;
        Ok(Timers {
            raw,
            owner: OWNERS.fetch_add(1, Ordering::Relaxed),
            handlers: HashMap::new(),
            panic: Rc::new(Cell::new(None)),
            last_id: 0,
        })
    }

    /// The C id of a timer of this set, or `EINVAL`.
    fn known(&self, id: TimerId) -> Result<c_int> {
        if id.owner == self.owner && self.handlers.contains_key(&id.id) {
            Ok(id.id)
        } else {
            Err(Error::EINVAL)
        }
    }

    /// Adds a timer firing every `interval_ms` milliseconds from now
    /// (`zmq_timers_add`), calling `handler` with its id each time.
    ///
    /// `EINVAL` for an interval of 0 (the timer would be due again at once, so
    /// `execute` would never return) or beyond `long`; `EMFILE` once this set has
    /// handed out all `i32::MAX` ids libzmq can number.
    #[doc(alias = "zmq_timers_add")]
    pub fn add(
        &mut self,
        interval_ms: u64,
        handler: impl FnMut(TimerId) + 'static,
    ) -> Result<TimerId> {
        let interval = c_interval(interval_ms)?;
        if self.last_id == c_int::MAX {
            // libzmq's next id would overflow its int.
            return Err(Error::EMFILE);
        }
        self.handlers.reserve(1);
        let handler = NonNull::from(Box::leak(Box::new(Handler {
            callback: Box::new(handler),
            owner: self.owner,
            panic: Rc::clone(&self.panic),
        })));
        // SAFETY: our live timers object; trampoline matches zmq_timer_fn; arg is a
        // live box that stays allocated until the timer is cancelled or the timers
        // object is destroyed (it is never called after either).
        let rc = unsafe {
            zmq_sys::zmq_timers_add(
                self.raw.as_ptr(),
                interval,
                Some(trampoline),
                handler.as_ptr().cast(),
            )
        };
        match cvt(rc) {
            Ok(id) => {
                self.last_id = id;
                self.handlers.insert(id, handler);
                Ok(TimerId {
                    id,
                    owner: self.owner,
                })
            }
            Err(e) => {
                // SAFETY: libzmq refused the timer and kept no pointer to the box,
                // which came from Box::leak just above.
                drop(unsafe { Box::from_raw(handler.as_ptr()) });
                Err(e)
            }
        }
    }

    /// Cancels a timer (`zmq_timers_cancel`) and drops its handler. `EINVAL` for an
    /// id that is unknown, already cancelled, or of another `Timers`.
    #[doc(alias = "zmq_timers_cancel")]
    pub fn cancel(&mut self, id: TimerId) -> Result<()> {
        let c_id = self.known(id)?;
        // SAFETY: our live timers object; a timer id of it.
        cvt(unsafe { zmq_sys::zmq_timers_cancel(self.raw.as_ptr(), c_id) })?;
        if let Some(handler) = self.handlers.remove(&c_id) {
            // SAFETY: libzmq never calls a cancelled timer, so nothing uses the box
            // any more; it came from Box::leak and leaves `handlers` here.
            drop(unsafe { Box::from_raw(handler.as_ptr()) });
        }
        Ok(())
    }

    /// Changes a timer's interval (`zmq_timers_set_interval`); it next fires
    /// `interval_ms` from now. `EINVAL` for an unknown id or an interval as in
    /// [`add`](Timers::add).
    #[doc(alias = "zmq_timers_set_interval")]
    pub fn set_interval(&mut self, id: TimerId, interval_ms: u64) -> Result<()> {
        let c_id = self.known(id)?;
        let interval = c_interval(interval_ms)?;
        // SAFETY: our live timers object; a timer id of it.
        cvt(unsafe { zmq_sys::zmq_timers_set_interval(self.raw.as_ptr(), c_id, interval) })
            .map(drop)
    }

    /// Restarts a timer (`zmq_timers_reset`): it next fires a whole interval from
    /// now. `EINVAL` for an unknown id.
    #[doc(alias = "zmq_timers_reset")]
    pub fn reset(&mut self, id: TimerId) -> Result<()> {
        let c_id = self.known(id)?;
        // SAFETY: our live timers object; a timer id of it.
        cvt(unsafe { zmq_sys::zmq_timers_reset(self.raw.as_ptr(), c_id) }).map(drop)
    }

    /// Milliseconds until the next timer is due (`zmq_timers_timeout`): `Some(0)` if
    /// one is due now, `None` if there is no timer (libzmq's `-1`). Pass
    /// `timeout().unwrap_or(-1)` to [`poll`](crate::poll).
    #[doc(alias = "zmq_timers_timeout")]
    // c_long is i64 on most platforms, i32 on Windows.
    #[allow(clippy::useless_conversion, clippy::unnecessary_fallible_conversions)]
    pub fn timeout(&self) -> Option<i64> {
        // SAFETY: our live timers object; no handler runs in zmq_timers_timeout.
        let ms = unsafe { zmq_sys::zmq_timers_timeout(self.raw.as_ptr()) };
        if ms < 0 {
            None
        } else {
            i64::try_from(ms).ok()
        }
    }

    /// Runs the handlers of every timer that is due (`zmq_timers_execute`), in
    /// order of their deadlines, and schedules each one interval later.
    ///
    /// If a handler panics, the panic is caught before it can unwind through libzmq,
    /// the remaining due handlers of this call are skipped (their timers are still
    /// rescheduled, as if they had fired) and the panic resumes here once libzmq has
    /// returned. The `Timers` stays usable.
    #[doc(alias = "zmq_timers_execute")]
    pub fn execute(&mut self) -> Result<()> {
        // SAFETY: our live timers object, whose timers all have a live handler box
        // and the trampoline; handlers cannot reach this Timers (it is mutably
        // borrowed here) and the trampoline never unwinds.
        let rc = unsafe { zmq_sys::zmq_timers_execute(self.raw.as_ptr()) };
        if let Some(payload) = self.panic.take() {
            resume_unwind(payload);
        }
        cvt(rc).map(drop)
    }

    /// How many timers are active (added and not cancelled).
    pub fn len(&self) -> usize {
        self.handlers.len()
    }

    /// Whether there is no active timer.
    pub fn is_empty(&self) -> bool {
        self.handlers.is_empty()
    }
}

/// Compile-time proofs for timers: each block below must fail to compile.
///
/// Handlers may hold non-`Send` state, so timers stay on their thread:
/// ```compile_fail,E0277
/// fn is_send<T: Send>() {}
/// is_send::<zmq::Timers>();
/// ```
/// A handler must own what it uses (`'static`):
/// ```compile_fail,E0597
/// let mut timers = zmq::Timers::new().unwrap();
/// {
///     let count = std::cell::Cell::new(0);
///     timers.add(10, |_| count.set(count.get() + 1)).unwrap();
/// }
/// timers.execute().unwrap();
/// ```
#[cfg(doctest)]
pub struct TimersProofs;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn intervals_are_checked() {
        assert_eq!(c_interval(0), Err(Error::EINVAL));
        assert_eq!(c_interval(1), Ok(1));
        assert_eq!(c_interval(u64::MAX), Err(Error::EINVAL));
    }

    #[test]
    fn ids_run_out_with_emfile_instead_of_overflowing() {
        let mut timers = Timers::new().unwrap();
        timers.last_id = c_int::MAX;
        assert_eq!(timers.add(10, |_| {}).unwrap_err(), Error::EMFILE);
        assert!(timers.is_empty());
    }
}
