//! [`MessageTracker`]: learn when libzmq has released a zero-copy buffer.
//!
//! The release is signalled from libzmq's free callback, which may run on one of
//! libzmq's I/O threads (after the last byte of a TCP frame was written), on the
//! thread that drops the last [`Message`](crate::Message) sharing the content, or on
//! a receiving thread (inproc hands the very same content over). That callback must
//! never block and never unwind into C, so the signal is lock-free: two atomic flags
//! and a one-slot waker register built on a small atomic state machine. No runtime
//! is needed: the tracker is a plain [`Future`] and has a blocking wait.

use std::cell::UnsafeCell;
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, AtomicU8, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll, Wake, Waker};
use std::thread::{self, Thread};
use std::time::{Duration, Instant};

/// Tells when libzmq has released the buffer of a message made by
/// [`Message::from_owner_tracked`](crate::Message::from_owner_tracked), i.e. when
/// the buffer's owner has been dropped: like pyzmq's `MessageTracker`.
///
/// The release happens once the last [`Message`](crate::Message) sharing the content
/// is closed: every clone (`zmq_msg_copy`), every socket that queued it, and, for
/// inproc, the receiver's message too (it is handed the same content). Until then the
/// buffer must stay as it is; after it, the owner has been dropped (its `Drop` has
/// run to its end, or panicked: see [`MessageTracker::drop_panicked`]).
///
/// Wait for it blocking ([`MessageTracker::wait`], [`MessageTracker::wait_timeout`])
/// or as a [`Future`] (any executor, no runtime needed; `(&mut tracker).await`
/// keeps the tracker). Dropping a tracker never delays or prevents the release.
///
/// ```
/// use std::sync::atomic::{AtomicBool, Ordering};
/// use std::sync::Arc;
/// use std::time::Duration;
///
/// /// A buffer that says when it is dropped.
/// struct Buffer(Vec<u8>, Arc<AtomicBool>);
/// impl AsRef<[u8]> for Buffer {
///     fn as_ref(&self) -> &[u8] { &self.0 }
/// }
/// impl Drop for Buffer {
///     fn drop(&mut self) { self.1.store(true, Ordering::SeqCst) }
/// }
///
/// let ctx = zmq::Context::new()?;
/// let (tx, rx) = (ctx.socket(zmq::PUSH)?, ctx.socket(zmq::PULL)?);
/// rx.bind("tcp://127.0.0.1:*")?;
/// tx.connect(&rx.get_last_endpoint()?)?;
///
/// let dropped = Arc::new(AtomicBool::new(false));
/// let (mut msg, mut tracker) =
///     zmq::Message::from_owner_tracked(Buffer(vec![7; 100_000], Arc::clone(&dropped)));
/// tx.send_msg(&mut msg, zmq::SendFlags::empty())?;
/// // The buffer is released once libzmq has written it to the connection.
/// assert!(tracker.wait_timeout(Duration::from_secs(30)));
/// assert!(dropped.load(Ordering::SeqCst));
/// assert_eq!(rx.recv_bytes(zmq::RecvFlags::empty())?.len(), 100_000);
/// # Ok::<(), zmq::Error>(())
/// ```
pub struct MessageTracker {
    // None: released already (the bytes were copied, nothing to track).
    state: Option<Arc<TrackerState>>,
}

impl MessageTracker {
    /// A tracker with its state, to be released by [`TrackerState::release`].
    pub(crate) fn new() -> (MessageTracker, Arc<TrackerState>) {
        let state = Arc::new(TrackerState {
            released: AtomicBool::new(false),
            panicked: AtomicBool::new(false),
            waker: WakerSlot::new(),
        });
        (
            MessageTracker {
                state: Some(Arc::clone(&state)),
            },
            state,
        )
    }

    /// A tracker that is released already (the owner was dropped at once).
    pub(crate) fn released() -> MessageTracker {
        MessageTracker { state: None }
    }

    /// Whether libzmq has released the buffer (its owner has been dropped).
    pub fn is_released(&self) -> bool {
        self.state
            .as_ref()
            .map_or(true, |s| s.released.load(Ordering::Acquire))
    }

    /// Whether the owner's `Drop` panicked when libzmq released it. The panic was
    /// caught (it cannot cross libzmq's C frames) and the panic hook reported it;
    /// the buffer counts as released all the same. `false` while not released.
    pub fn drop_panicked(&self) -> bool {
        self.state
            .as_ref()
            .is_some_and(|s| s.panicked.load(Ordering::Acquire))
    }

    /// Blocks until libzmq releases the buffer. A message that is never sent nor
    /// dropped keeps its buffer for ever: prefer [`MessageTracker::wait_timeout`].
    pub fn wait(&mut self) {
        self.wait_until(None);
    }

    /// Blocks until libzmq releases the buffer (`true`), or `timeout` passes
    /// (`false`).
    pub fn wait_timeout(&mut self, timeout: Duration) -> bool {
        match Instant::now().checked_add(timeout) {
            Some(deadline) => self.wait_until(Some(deadline)),
            None => {
                self.wait_until(None);
                true
            }
        }
    }

    fn wait_until(&mut self, deadline: Option<Instant>) -> bool {
        let Some(state) = &self.state else {
            return true;
        };
        // One waker per thread, made on its first wait: later waits allocate nothing.
        thread_local! {
            static UNPARKER: Waker = Waker::from(Arc::new(Unparker(thread::current())));
        }
        let waker = UNPARKER.with(Waker::clone);
        loop {
            if state.released.load(Ordering::Acquire) {
                return true;
            }
            state.waker.register(&waker);
            // Checked again after registering: a release in between has either
            // seen the waker (and unparks us) or is seen here.
            if state.released.load(Ordering::Acquire) {
                return true;
            }
            match deadline {
                None => thread::park(),
                Some(deadline) => {
                    let now = Instant::now();
                    if now >= deadline {
                        return false;
                    }
                    thread::park_timeout(deadline - now);
                }
            }
        }
    }
}

impl Future for MessageTracker {
    type Output = ();

    /// Ready once libzmq has released the buffer. The waker of the latest poll is
    /// woken, once, from wherever the release happens (often a libzmq I/O thread).
    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let Some(state) = &self.state else {
            return Poll::Ready(());
        };
        if state.released.load(Ordering::Acquire) {
            return Poll::Ready(());
        }
        state.waker.register(cx.waker());
        if state.released.load(Ordering::Acquire) {
            Poll::Ready(())
        } else {
            Poll::Pending
        }
    }
}

impl fmt::Debug for MessageTracker {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MessageTracker")
            .field("released", &self.is_released())
            .field("drop_panicked", &self.drop_panicked())
            .finish()
    }
}

/// What the free callback and the tracker share.
pub(crate) struct TrackerState {
    released: AtomicBool,
    panicked: AtomicBool,
    waker: WakerSlot,
}

impl TrackerState {
    /// Marks the buffer released and wakes the waiter, if any. Called once, from
    /// libzmq's free callback: only atomic operations and one `Waker::wake`, which
    /// the caller guards against unwinding.
    pub(crate) fn release(&self, drop_panicked: bool) {
        self.panicked.store(drop_panicked, Ordering::Release);
        self.released.store(true, Ordering::Release);
        self.waker.wake();
    }
}

/// Wakes a thread blocked in [`MessageTracker::wait`]: `unpark` never blocks.
struct Unparker(Thread);

impl Wake for Unparker {
    fn wake(self: Arc<Self>) {
        self.0.unpark();
    }

    fn wake_by_ref(self: &Arc<Self>) {
        self.0.unpark();
    }
}

/// No one is using the slot.
const IDLE: u8 = 0;
/// The waiter is storing its waker (it alone touches the cell).
const REGISTERING: u8 = 1;
/// The releaser is taking the waker (it alone touches the cell).
const WAKING: u8 = 2;

/// One waker, registered by the (single) waiter and taken by the (single)
/// releaser without a lock: whoever sets its bit in `state` first owns the cell;
/// the other side sees that bit and leaves the wake-up to the owner, so neither
/// ever waits for the other. (A waiter registers only through `&mut
/// MessageTracker` or `Pin<&mut MessageTracker>`, so registrations never overlap.)
struct WakerSlot {
    state: AtomicU8,
    waker: UnsafeCell<Option<Waker>>,
}

// SAFETY: the cell is only touched by the side that moved `state` out of IDLE (see
// `register` and `wake`), so there is never concurrent access; a Waker is Send + Sync.
unsafe impl Sync for WakerSlot {}
// SAFETY: as above; the slot holds only a Waker, which is Send.
unsafe impl Send for WakerSlot {}

impl WakerSlot {
    fn new() -> WakerSlot {
        WakerSlot {
            state: AtomicU8::new(IDLE),
            waker: UnsafeCell::new(None),
        }
    }

    /// Stores `waker` to be woken by [`WakerSlot::wake`]. If a wake-up runs at the
    /// same moment, `waker` is woken here instead.
    fn register(&self, waker: &Waker) {
        match self
            .state
            .compare_exchange(IDLE, REGISTERING, Ordering::Acquire, Ordering::Acquire)
        {
            Ok(_) => {
                // SAFETY: state is REGISTERING, set by us: `wake` does not touch the
                // cell until we put state back to IDLE, and no other register runs.
                let slot = unsafe { &mut *self.waker.get() };
                let old = match slot {
                    Some(current) if current.will_wake(waker) => None,
                    _ => slot.replace(waker.clone()),
                };
                if self
                    .state
                    .compare_exchange(REGISTERING, IDLE, Ordering::AcqRel, Ordering::Acquire)
                    .is_err()
                {
                    // A wake came while we held the cell (state is REGISTERING |
                    // WAKING): it left the waker to us.
                    // SAFETY: still ours: `wake` saw REGISTERING and did not touch
                    // the cell; it is released only by the store below.
                    let taken = unsafe { (*self.waker.get()).take() };
                    self.state.store(IDLE, Ordering::Release);
                    if let Some(w) = taken {
                        w.wake();
                    }
                }
                drop(old);
            }
            // The releaser holds the cell right now: the release has happened, so
            // just make sure this waiter looks again.
            Err(_) => waker.wake_by_ref(),
        }
    }

    /// Wakes the registered waker, if any. Never waits: if the waiter is
    /// registering at this moment, it wakes itself (see `register`).
    fn wake(&self) {
        if self.state.fetch_or(WAKING, Ordering::AcqRel) == IDLE {
            // SAFETY: we moved state from IDLE to WAKING: `register` does not touch
            // the cell until we clear the bit.
            let taken = unsafe { (*self.waker.get()).take() };
            self.state.fetch_and(!WAKING, Ordering::Release);
            if let Some(w) = taken {
                w.wake();
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::AtomicUsize;

    struct Counter(AtomicUsize);
    impl Wake for Counter {
        fn wake(self: Arc<Self>) {
            self.0.fetch_add(1, Ordering::SeqCst);
        }
    }

    #[test]
    fn future_is_woken_once_by_the_release() {
        let (mut tracker, state) = MessageTracker::new();
        let counter = Arc::new(Counter(AtomicUsize::new(0)));
        let waker = Waker::from(Arc::clone(&counter));
        let mut cx = Context::from_waker(&waker);
        assert!(Pin::new(&mut tracker).poll(&mut cx).is_pending());
        assert!(Pin::new(&mut tracker).poll(&mut cx).is_pending());
        assert_eq!(counter.0.load(Ordering::SeqCst), 0);
        state.release(false);
        assert_eq!(counter.0.load(Ordering::SeqCst), 1);
        assert!(Pin::new(&mut tracker).poll(&mut cx).is_ready());
        assert!(tracker.is_released() && !tracker.drop_panicked());
    }

    #[test]
    fn release_without_waiter_and_after_tracker_dropped() {
        let (tracker, state) = MessageTracker::new();
        drop(tracker);
        state.release(true);
        let (mut tracker, state) = MessageTracker::new();
        state.release(true);
        assert!(tracker.wait_timeout(Duration::ZERO));
        assert!(tracker.drop_panicked());
    }

    #[test]
    fn blocking_wait_times_out_then_sees_the_release() {
        let (mut tracker, state) = MessageTracker::new();
        assert!(!tracker.wait_timeout(Duration::from_millis(1)));
        let releaser = thread::spawn(move || state.release(false));
        assert!(tracker.wait_timeout(Duration::from_secs(60)));
        releaser.join().unwrap();
        assert!(MessageTracker::released().wait_timeout(Duration::ZERO));
    }

    #[test]
    fn racing_registrations_and_release_never_lose_the_wake_up() {
        // Many rounds of a waiter registering while a releaser releases: every
        // waiter ends, within its bound (a lost wake-up would time out).
        for _ in 0..300 {
            let (mut tracker, state) = MessageTracker::new();
            let releaser = thread::spawn(move || state.release(false));
            assert!(tracker.wait_timeout(Duration::from_secs(60)));
            releaser.join().unwrap();
        }
    }
}
