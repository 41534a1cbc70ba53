//! Zero-copy messages from any owned buffer: [`Message::from_owner`],
//! `From<Arc<[u8]>>`, `From<bytes::Bytes>` (feature `bytes`), and the tracked
//! variant [`Message::from_owner_tracked`].
//!
//! libzmq's `zmq_msg_init_data` takes a pointer, a length, a free function and a
//! hint; it allocates a small reference-counted `content_t` (with its own `malloc`)
//! and calls the free function exactly once, when the last message sharing the
//! content is closed (`msg_t::close` / `msg_t::rm_refs` in `src/msg.cpp`). That may
//! happen on any thread: one of libzmq's I/O threads once a TCP engine has written
//! the frame, the thread dropping the last clone, or an inproc receiver. So the
//! owner must be `Send`, and the free functions here catch every panic (unwinding
//! into C is undefined behaviour, or an abort) and never wait on anything.

use std::ffi::c_void;
use std::mem::MaybeUninit;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::Arc;

use crate::message::{handle_oom, Message, INLINE_MAX};
use crate::tracker::{MessageTracker, TrackerState};

/// The owner of a buffer handed to libzmq, boxed so that its address (and so the
/// address of bytes stored inline in it, e.g. in an array) is stable.
struct Owned<T> {
    owner: T,
    tracker: Option<Arc<TrackerState>>,
}

/// Runs `f`, catching a panic (and a panic of the panic's payload's `Drop`, whose
/// own payload is leaked): nothing unwinds out of this function. Returns whether
/// `f` panicked.
fn run_catching_panics(f: impl FnOnce()) -> bool {
    match catch_unwind(AssertUnwindSafe(f)) {
        Ok(()) => false,
        Err(payload) => {
            if let Err(inner) = catch_unwind(AssertUnwindSafe(move || drop(payload))) {
                std::mem::forget(inner);
            }
            true
        }
    }
}

/// libzmq's free function for [`Message::from_owner`]: drops the boxed owner, then
/// tells its tracker, if any. Never unwinds and never blocks (beyond what the owner's
/// own `Drop` does).
extern "C" fn free_owned<T>(_data: *mut c_void, hint: *mut c_void) {
    // SAFETY: `hint` is the Box<Owned<T>> leaked by `Message::from_boxed_owner` for
    // this very content, and libzmq calls this function once, when the last message
    // referring to the content is closed: the box is ours again.
    let owned = unsafe { Box::from_raw(hint.cast::<Owned<T>>()) };
    let Owned { owner, tracker } = *owned;
    let panicked = run_catching_panics(move || drop(owner));
    if let Some(tracker) = tracker {
        // `release` is atomics and a Waker::wake, which is user code (an executor's
        // waker) and might panic: caught too, as is the drop of the last Arc.
        run_catching_panics(move || tracker.release(panicked));
    }
}

/// libzmq's free function for `From<Arc<[u8]>>`: the hint carries the length.
extern "C" fn free_arc_slice(data: *mut c_void, hint: *mut c_void) {
    let slice = std::ptr::slice_from_raw_parts(data.cast::<u8>().cast_const(), hint as usize);
    // SAFETY: `data` and the length in `hint` are those of the `*const [u8]` that
    // `Arc::into_raw` returned in `From<Arc<[u8]>>`, whose reference libzmq owned
    // until this one call. Dropping an Arc<[u8]> cannot panic (u8 has no Drop).
    drop(unsafe { Arc::from_raw(slice) });
}

impl Message {
    /// A message whose bytes are `owner`'s, without copying them: libzmq reads them
    /// in place and drops `owner` when it releases the content (when the last
    /// message sharing it is closed, possibly on one of libzmq's I/O threads after
    /// a TCP send). Any `T: AsRef<[u8]> + Send + 'static` will do: a `Vec`, a
    /// memory map, an `Arc<Vec<u8>>`, a type of your own.
    ///
    /// * `owner.as_ref()` is called once, here; the bytes it returns must not
    ///   change while `owner` lives (true of every safe type: the slice borrows
    ///   `owner`, which nothing else can reach once it is handed over).
    /// * Buffers of at most 32 bytes are copied into the message instead (libzmq
    ///   keeps such frames inside `zmq_msg_t`, which is cheaper than a separate
    ///   buffer); `owner` is then dropped before this returns.
    /// * The cost: one Rust allocation (the box holding `owner`), plus libzmq's
    ///   reference count, as for every zero-copy message. `From<Vec<u8>>`,
    ///   `From<Box<[u8]>>`, `From<String>` and `From<Arc<[u8]>>` avoid the box.
    /// * `owner`'s `Drop` must be quick and must not block: it may run on a
    ///   libzmq I/O thread, holding up that thread's other connections. If it
    ///   panics, the panic is caught (it cannot cross libzmq's C frames), reported
    ///   by the panic hook, and the buffer counts as released
    ///   ([`MessageTracker::drop_panicked`] says so). With `panic = "abort"` a
    ///   panic aborts, as anywhere.
    ///
    /// ```
    /// // A fixed-size array lives inside the box: still no copy of its bytes.
    /// let msg = zmq::Message::from_owner([5u8; 4096]);
    /// assert_eq!(msg.len(), 4096);
    ///
    /// // A type of your own: its bytes are read in place, and it is dropped
    /// // when libzmq is done with them.
    /// struct Frame {
    ///     body: Vec<u8>,
    ///     pool: std::sync::mpsc::Sender<&'static str>,
    /// }
    /// impl AsRef<[u8]> for Frame {
    ///     fn as_ref(&self) -> &[u8] { &self.body }
    /// }
    /// impl Drop for Frame {
    ///     fn drop(&mut self) { let _ = self.pool.send("frame released"); }
    /// }
    /// let (pool, released) = std::sync::mpsc::channel();
    /// let body = vec![1u8; 1000];
    /// let at = body.as_ptr();
    /// let msg = zmq::Message::from_owner(Frame { body, pool });
    /// assert_eq!(msg[..].as_ptr(), at); // the very same bytes
    /// let copy = msg.clone(); // shares the content
    /// drop(msg);
    /// assert!(released.try_recv().is_err()); // `copy` still reads it
    /// drop(copy);
    /// assert_eq!(released.try_recv(), Ok("frame released"));
    /// ```
    ///
    /// The owner is dropped on whichever thread libzmq releases it, so it must be
    /// `Send` (an `Rc` is refused):
    /// ```compile_fail,E0277
    /// let msg = zmq::Message::from_owner(std::rc::Rc::new(vec![0u8; 100]));
    /// ```
    /// and own its bytes (a borrow could end while libzmq still reads them):
    /// ```compile_fail,E0597
    /// let local = vec![0u8; 100];
    /// let msg = zmq::Message::from_owner(&local[..]);
    /// drop(local);
    /// # drop(msg);
    /// ```
    pub fn from_owner<T>(owner: T) -> Message
    where
        T: AsRef<[u8]> + Send + 'static,
    {
        if owner.as_ref().len() <= INLINE_MAX {
            let msg = Message::from(owner.as_ref());
            drop(owner);
            return msg;
        }
        Message::from_boxed_owner(Box::new(Owned {
            owner,
            tracker: None,
        }))
    }

    /// Like [`Message::from_owner`], with a [`MessageTracker`] that says when libzmq
    /// has released the buffer (and dropped `owner`): to reuse or free memory only
    /// once no socket reads it any more, as with pyzmq's `track=True`. For a buffer
    /// of at most 32 bytes (copied, see `from_owner`) the tracker is released
    /// already. Costs one allocation more than `from_owner` (the tracker's state).
    ///
    /// ```
    /// let ctx = zmq::Context::new()?;
    /// let (tx, rx) = (ctx.socket(zmq::PAIR)?, ctx.socket(zmq::PAIR)?);
    /// tx.bind("inproc://tracked")?;
    /// rx.connect("inproc://tracked")?;
    /// let (mut msg, tracker) = zmq::Message::from_owner_tracked(vec![9u8; 1 << 16]);
    /// tx.send_msg(&mut msg, zmq::SendFlags::empty())?;
    /// // inproc hands the same content to the receiver: still in use.
    /// assert!(!tracker.is_released());
    /// let received = rx.recv_message(zmq::RecvFlags::empty())?;
    /// assert!(!tracker.is_released());
    /// drop(received);
    /// assert!(tracker.is_released());
    /// # Ok::<(), zmq::Error>(())
    /// ```
    pub fn from_owner_tracked<T>(owner: T) -> (Message, MessageTracker)
    where
        T: AsRef<[u8]> + Send + 'static,
    {
        if owner.as_ref().len() <= INLINE_MAX {
            let msg = Message::from(owner.as_ref());
            drop(owner);
            return (msg, MessageTracker::released());
        }
        let (tracker, state) = MessageTracker::new();
        let msg = Message::from_boxed_owner(Box::new(Owned {
            owner,
            tracker: Some(state),
        }));
        (msg, tracker)
    }

    /// Hands a boxed owner to libzmq (`zmq_msg_init_data` with [`free_owned`]).
    fn from_boxed_owner<T>(owned: Box<Owned<T>>) -> Message
    where
        T: AsRef<[u8]> + Send + 'static,
    {
        // The slice is taken once, from the owner at its final (heap) address.
        let bytes = owned.owner.as_ref();
        let (ptr, len) = (bytes.as_ptr(), bytes.len());
        let hint = Box::into_raw(owned);
        let mut raw = MaybeUninit::<zmq_sys::zmq_msg_t>::uninit();
        // SAFETY: ptr/len are the owner's bytes, which stay valid and unchanged
        // while the box lives: the box is not touched again until libzmq calls
        // free_owned::<T>(ptr, hint) exactly once, when it is done with them. The
        // pointer of a slice is never null.
        let rc = unsafe {
            zmq_sys::zmq_msg_init_data(
                raw.as_mut_ptr(),
                ptr.cast_mut().cast(),
                len,
                Some(free_owned::<T>),
                hint.cast(),
            )
        };
        if rc == -1 {
            // libzmq could not allocate its reference count and did not take the
            // buffer: the box is ours to drop. Out of memory aborts, as in `Vec`.
            // SAFETY: `hint` came from Box::into_raw above and libzmq did not keep it.
            drop(unsafe { Box::from_raw(hint) });
            handle_oom(len);
        }
        // SAFETY: initialised by the successful call above.
        unsafe { Message::assume_init(raw) }
    }
}

impl From<Arc<[u8]>> for Message {
    /// Shares the buffer without copying it and without allocating in Rust: libzmq
    /// holds one reference of the `Arc` until it releases the content. Sending one
    /// `Arc` to many sockets (`Message::from(Arc::clone(&payload))` per socket)
    /// copies no byte. Buffers of at most 32 bytes are copied inline instead.
    ///
    /// ```
    /// let payload: std::sync::Arc<[u8]> = vec![3u8; 1 << 20].into();
    /// let ctx = zmq::Context::new()?;
    /// let rx = ctx.socket(zmq::PULL)?;
    /// rx.bind("inproc://arc")?;
    /// let senders: Vec<_> = (0..3)
    ///     .map(|_| {
    ///         let tx = ctx.socket(zmq::PUSH)?;
    ///         tx.connect("inproc://arc")?;
    ///         Ok(tx)
    ///     })
    ///     .collect::<zmq::Result<_>>()?;
    /// for tx in &senders {
    ///     tx.send_msg(&mut zmq::Message::from(payload.clone()), zmq::SendFlags::empty())?;
    /// }
    /// for _ in &senders {
    ///     let got = rx.recv_message(zmq::RecvFlags::empty())?;
    ///     assert_eq!(got[..].as_ptr(), payload.as_ptr()); // inproc: the same bytes
    /// }
    /// assert_eq!(std::sync::Arc::strong_count(&payload), 1); // all released
    /// # Ok::<(), zmq::Error>(())
    /// ```
    fn from(data: Arc<[u8]>) -> Message {
        let len = data.len();
        if len <= INLINE_MAX {
            return Message::from(&data[..]);
        }
        let ptr = Arc::into_raw(data).cast::<u8>();
        let mut raw = MaybeUninit::<zmq_sys::zmq_msg_t>::uninit();
        // SAFETY: ptr/len are the bytes of the Arc whose reference we leaked into
        // libzmq's keeping; they stay valid until free_arc_slice(ptr, len) drops
        // that reference, once. The length travels in the hint.
        let rc = unsafe {
            zmq_sys::zmq_msg_init_data(
                raw.as_mut_ptr(),
                ptr.cast_mut().cast(),
                len,
                Some(free_arc_slice),
                len as *mut c_void,
            )
        };
        if rc == -1 {
            // SAFETY: libzmq did not take the reference: give it back.
            drop(unsafe { Arc::from_raw(std::ptr::slice_from_raw_parts(ptr, len)) });
            handle_oom(len);
        }
        // SAFETY: initialised by the successful call above.
        unsafe { Message::assume_init(raw) }
    }
}

impl From<&Arc<[u8]>> for Message {
    /// Shares the buffer (one more reference, no copy), as `From<Arc<[u8]>>`.
    fn from(data: &Arc<[u8]>) -> Message {
        Message::from(Arc::clone(data))
    }
}

#[cfg(feature = "bytes")]
#[cfg_attr(docsrs, doc(cfg(feature = "bytes")))]
impl From<bytes::Bytes> for Message {
    /// Takes the `Bytes` without copying its bytes (feature `bytes`): libzmq holds
    /// it until it releases the content. One Rust allocation (the box holding the
    /// `Bytes`, see [`Message::from_owner`]); buffers of at most 32 bytes are copied
    /// inline instead.
    ///
    /// ```
    /// let big = bytes::Bytes::from(vec![1u8; 4096]);
    /// let msg = zmq::Message::from(big.clone());
    /// assert_eq!(msg[..].as_ptr(), big.as_ptr());
    /// ```
    fn from(data: bytes::Bytes) -> Message {
        Message::from_owner(data)
    }
}

#[cfg(feature = "bytes")]
#[cfg_attr(docsrs, doc(cfg(feature = "bytes")))]
impl From<bytes::BytesMut> for Message {
    /// Freezes the buffer and takes it without copying, as `From<bytes::Bytes>`.
    fn from(data: bytes::BytesMut) -> Message {
        Message::from_owner(data.freeze())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};

    struct Counted(Vec<u8>, Arc<AtomicUsize>);
    impl AsRef<[u8]> for Counted {
        fn as_ref(&self) -> &[u8] {
            &self.0
        }
    }
    impl Drop for Counted {
        fn drop(&mut self) {
            self.1.fetch_add(1, Ordering::SeqCst);
        }
    }

    #[test]
    fn owner_is_dropped_once_by_the_last_clone() {
        let drops = Arc::new(AtomicUsize::new(0));
        let data = vec![4u8; 1000];
        let ptr = data.as_ptr();
        let msg = Message::from_owner(Counted(data, Arc::clone(&drops)));
        assert_eq!(msg[..].as_ptr(), ptr);
        let copy = msg.clone();
        drop(msg);
        assert_eq!(drops.load(Ordering::SeqCst), 0);
        assert_eq!(copy[..], [4u8; 1000][..]);
        drop(copy);
        assert_eq!(drops.load(Ordering::SeqCst), 1);
    }

    #[test]
    fn small_owners_are_copied_and_dropped_at_once() {
        for len in [0usize, 1, 32] {
            let drops = Arc::new(AtomicUsize::new(0));
            let (msg, tracker) =
                Message::from_owner_tracked(Counted(vec![1; len], Arc::clone(&drops)));
            assert_eq!(drops.load(Ordering::SeqCst), 1);
            assert!(tracker.is_released());
            assert_eq!(msg.len(), len);
            let arc: Arc<[u8]> = vec![2u8; len].into();
            let msg = Message::from(&arc);
            assert_eq!(Arc::strong_count(&arc), 1);
            assert_eq!(msg.len(), len);
        }
        let drops = Arc::new(AtomicUsize::new(0));
        let (_msg, tracker) = Message::from_owner_tracked(Counted(vec![1; 33], drops));
        assert!(!tracker.is_released());
    }

    #[test]
    fn arc_slices_are_shared_not_copied() {
        let arc: Arc<[u8]> = (0..=255u8).cycle().take(5000).collect::<Vec<u8>>().into();
        let msgs: Vec<Message> = (0..10).map(|_| Message::from(&arc)).collect();
        assert_eq!(Arc::strong_count(&arc), 11);
        for m in &msgs {
            assert_eq!(m[..].as_ptr(), arc.as_ptr());
            assert_eq!(&m[..], &arc[..]);
        }
        drop(msgs);
        assert_eq!(Arc::strong_count(&arc), 1);
    }

    #[test]
    fn a_panicking_drop_is_caught_on_this_thread_too() {
        struct Bomb(Vec<u8>);
        impl AsRef<[u8]> for Bomb {
            fn as_ref(&self) -> &[u8] {
                &self.0
            }
        }
        impl Drop for Bomb {
            fn drop(&mut self) {
                panic!("the owner's Drop panics");
            }
        }
        let (msg, tracker) = Message::from_owner_tracked(Bomb(vec![0; 100]));
        // zmq_msg_close runs the free callback here, inside C: the panic must stop
        // in the callback.
        drop(msg);
        assert!(tracker.is_released());
        assert!(tracker.drop_panicked());
    }
}
