//! Messages (`zmq_msg_t`): owned, RAII, zero-copy where the data allows.

use std::cell::UnsafeCell;
use std::ffi::{c_int, c_void, CStr};
use std::fmt;
use std::mem::MaybeUninit;
use std::ops::Deref;

use crate::error::{c_string, cvt, Error, Result};

/// A ZeroMQ message: one frame of bytes, owning an initialised `zmq_msg_t`.
///
/// * Read it as a byte slice (`Deref<Target = [u8]>`), or as text with
///   [`Message::as_str`].
/// * Build it by copying (`From<&[u8]>`, `From<&str>`), or without copying from
///   owned buffers (`From<Vec<u8>>`, `From<Box<[u8]>>`, `From<String>`: libzmq
///   frees them through the original allocation when it is done),
///   or from static data ([`Message::from_static`]), or from any owner of bytes
///   ([`Message::from_owner`], `From<Arc<[u8]>>`, `From<bytes::Bytes>` with the
///   `bytes` feature), optionally tracked ([`Message::from_owner_tracked`]).
/// * Write it in place, each byte once, with [`Message::from_writer`], or into
///   an existing message with [`Message::rebuild`] (C's `zmq_msg_init_size` +
///   filling `zmq_msg_data`, without the zero-fill of [`Message::with_size`]).
/// * Change it in place with [`Message::get_mut`], which refuses when libzmq
///   shares the buffer with another message (after `Clone`) or it is static.
/// * Reuse one `Message` for many receives ([`crate::Socket::recv_msg`]): each
///   receive replaces the content; nothing is allocated for small frames.
///
/// Dropping it runs `zmq_msg_close`.
///
/// ```
/// let mut m = zmq::Message::from(vec![1u8; 4096]); // takes the Vec, no copy
/// assert_eq!(m.len(), 4096);
/// m.get_mut().unwrap()[0] = 9;
/// let copy = m.clone(); // shares the buffer, no copy of the bytes
/// assert_eq!(copy[0], 9);
/// assert!(m.get_mut().is_none()); // shared now: read-only
/// ```
#[repr(transparent)]
pub struct Message {
    // libzmq mutates a message it is handed by const pointer (zmq_msg_copy marks
    // the source as shared), so the bytes live in an UnsafeCell. This also makes
    // `Message: !Sync`, which those unsynchronised writes require.
    raw: UnsafeCell<zmq_sys::zmq_msg_t>,
}

// SAFETY: a zmq_msg_t is not tied to a thread: its content, when any, is
// reference-counted atomically by libzmq and freed by whichever thread drops the last
// reference; the free functions we install (free_vec) are thread-safe.
unsafe impl Send for Message {}

/// Frames up to this many bytes are copied into the `zmq_msg_t` itself rather than
/// handed over: libzmq stores them inline (its "very small message" limit is 33
/// bytes on 64-bit targets), which is cheaper than an external buffer.
pub(crate) const INLINE_MAX: usize = 32;

/// The free function for buffers handed over from `Vec<u8>` / `Box<[u8]>`: the hint
/// carries the allocation's capacity.
extern "C" fn free_vec(data: *mut c_void, hint: *mut c_void) {
    // SAFETY: `data` is the pointer of a Vec<u8> whose capacity is `hint`, leaked by
    // `Message::from(Vec<u8>)` and handed to zmq_msg_init_data, which calls this
    // exactly once when the last message referring to it is closed. Length 0 is
    // within the capacity, and u8 needs no drop.
    drop(unsafe { Vec::from_raw_parts(data.cast::<u8>(), 0, hint as usize) });
}

impl Message {
    /// An empty message (`zmq_msg_init`), e.g. to receive into.
    #[doc(alias = "zmq_msg_init")]
    #[inline]
    pub fn new() -> Message {
        let mut raw = MaybeUninit::<zmq_sys::zmq_msg_t>::uninit();
        // SAFETY: zmq_msg_init initialises the 64 bytes it is given and cannot fail.
        unsafe { zmq_sys::zmq_msg_init(raw.as_mut_ptr()) };
        // SAFETY: initialised just above.
        unsafe { Message::assume_init(raw) }
    }

    /// Takes ownership of a `zmq_msg_t` that a `zmq_msg_init*` call initialised.
    ///
    /// # Safety
    /// `raw` must be initialised by a successful `zmq_msg_init*` call and not be
    /// owned by anything else (it is closed when the `Message` drops).
    #[inline]
    pub(crate) unsafe fn assume_init(raw: MaybeUninit<zmq_sys::zmq_msg_t>) -> Message {
        Message {
            // SAFETY: the caller guarantees `raw` is initialised.
            raw: UnsafeCell::new(unsafe { raw.assume_init() }),
        }
    }

    /// A message of `len` zero bytes (`zmq_msg_init_size` + fill). `ENOMEM` when
    /// the allocation fails (e.g. an absurd size), never a panic. To write other
    /// content, [`Message::from_writer`] writes it in place without zeroing first.
    #[doc(alias = "zmq_msg_init_size")]
    pub fn with_size(len: usize) -> Result<Message> {
        let mut msg = Message::with_size_uninit(len)?;
        if len > 0 {
            // SAFETY: the message owns `len` writable bytes at zmq_msg_data.
            unsafe { std::ptr::write_bytes(msg.data_ptr(), 0, len) };
        }
        Ok(msg)
    }

    /// A message of `len` bytes whose content is not yet initialised. Callers
    /// must write all `len` bytes before the message is read or leaves this crate.
    #[inline]
    fn with_size_uninit(len: usize) -> Result<Message> {
        let mut raw = MaybeUninit::<zmq_sys::zmq_msg_t>::uninit();
        // SAFETY: zmq_msg_init_size initialises the zmq_msg_t, or fails with ENOMEM
        // leaving nothing to close.
        cvt(unsafe { zmq_sys::zmq_msg_init_size(raw.as_mut_ptr(), len) })?;
        // SAFETY: initialised by the successful call above.
        Ok(unsafe { Message::assume_init(raw) })
    }

    /// A copy of `data` (`zmq_msg_init_size` + copy), `ENOMEM` when it cannot be
    /// allocated. `From<&[u8]>` is the same, aborting on out-of-memory like `Vec`.
    #[inline]
    pub fn try_from_slice(data: &[u8]) -> Result<Message> {
        let mut msg = Message::with_size_uninit(data.len())?;
        if !data.is_empty() {
            // SAFETY: the message owns data.len() writable bytes at zmq_msg_data,
            // distinct from `data`; all of them are written here.
            unsafe { std::ptr::copy_nonoverlapping(data.as_ptr(), msg.data_ptr(), data.len()) };
        }
        Ok(msg)
    }

    /// A message of exactly `len` bytes, written in place by `fill` through a
    /// [`MessageWriter`] (`zmq_msg_init_size`, then `fill` writes straight into the
    /// message's buffer): no zero-filling first and no intermediate buffer, so each
    /// byte is written once, as C does with `zmq_msg_init_size` + `zmq_msg_data`.
    ///
    /// The writer starts at offset 0 and only appends ([`MessageWriter::put_slice`],
    /// `put_u8`, `put_bytes`, or `std::io::Write`); nothing can be read back
    /// from it, so no byte is ever seen before it was written. Errors:
    ///
    /// * `ENOMEM` when the message cannot be allocated (`fill` is not called);
    /// * whatever `fill` returns (e.g. `EMSGSIZE` from a `put_*` that did not fit,
    ///   passed on with `?`);
    /// * `EINVAL` when `fill` returned `Ok` but wrote fewer than `len` bytes.
    ///
    /// On error, and when `fill` panics, the half-written message is closed (freed)
    /// and never seen.
    ///
    /// ```
    /// let body = b"payload";
    /// // A 1-byte type tag, a big-endian length and the body, in one allocation.
    /// let msg = zmq::Message::from_writer(1 + 4 + body.len(), |w| {
    ///     w.put_u8(7)?;
    ///     w.put_slice(&(body.len() as u32).to_be_bytes())?;
    ///     w.put_slice(body)
    /// })?;
    /// assert_eq!(&msg[..], b"\x07\x00\x00\x00\x07payload");
    ///
    /// // 64 KiB of b'A', written once (`Message::with_size` + overwrite writes twice).
    /// let big = zmq::Message::from_writer(65536, |w| w.put_bytes(b'A', w.remaining()))?;
    /// assert!(big.iter().all(|&b| b == b'A'));
    ///
    /// // Writing too little is an error, not a message with a hole.
    /// let short = zmq::Message::from_writer(8, |w| w.put_slice(b"abc"));
    /// assert_eq!(short.unwrap_err(), zmq::Error::EINVAL);
    /// // Writing too much is refused (and nothing of that write lands).
    /// let long = zmq::Message::from_writer(2, |w| w.put_slice(b"abc"));
    /// assert_eq!(long.unwrap_err(), zmq::Error::EMSGSIZE);
    /// # Ok::<(), zmq::Error>(())
    /// ```
    ///
    /// The writer cannot leave the closure, nor be swapped with the writer of
    /// another message being built at the same time:
    ///
    /// ```compile_fail
    /// let _ = zmq::Message::from_writer(4, |outer| {
    ///     let _ = zmq::Message::from_writer(4, |inner| {
    ///         std::mem::swap(outer, inner);
    ///         Ok(())
    ///     });
    ///     Ok(())
    /// });
    /// ```
    #[doc(alias = "zmq_msg_init_size")]
    #[doc(alias = "zmq_msg_data")]
    #[inline]
    pub fn from_writer<F>(len: usize, fill: F) -> Result<Message>
    where
        F: FnOnce(&mut MessageWriter<'_>) -> Result<()>,
    {
        let mut msg = Message::with_size_uninit(len)?;
        // SAFETY: just made by zmq_msg_init_size(len), seen by nothing else.
        unsafe { msg.write_fresh(len, fill)? };
        Ok(msg)
    }

    /// Like [`Message::from_writer`], into this message: its content is released
    /// (`zmq_msg_close`) and replaced, in place, by `len` bytes that `fill`
    /// writes (`zmq_msg_init_size` on the same `zmq_msg_t`). A send loop can so
    /// reuse one `Message` as C reuses one `zmq_msg_t`, with no copy of the
    /// message structure per iteration: after a successful
    /// [`crate::Socket::send_msg`] the message is empty, ready for the next
    /// `rebuild`.
    ///
    /// Errors are those of [`Message::from_writer`]; on any error, and when `fill`
    /// panics, the message is left empty (never half-written).
    ///
    /// ```
    /// let ctx = zmq::Context::new()?;
    /// let (tx, rx) = (ctx.socket(zmq::PAIR)?, ctx.socket(zmq::PAIR)?);
    /// tx.bind("inproc://rebuild-doc")?;
    /// rx.connect("inproc://rebuild-doc")?;
    /// let mut msg = zmq::Message::new();
    /// for i in 0..3u8 {
    ///     msg.rebuild(4, |w| w.put_bytes(i, 4))?;
    ///     tx.send_msg(&mut msg, zmq::SendFlags::empty())?; // leaves `msg` empty
    /// }
    /// for i in 0..3u8 {
    ///     assert_eq!(rx.recv_bytes(zmq::RecvFlags::empty())?, [i; 4]);
    /// }
    /// assert_eq!(msg.rebuild(4, |w| w.put_u8(1)), Err(zmq::Error::EINVAL));
    /// assert!(msg.is_empty());
    /// # Ok::<(), zmq::Error>(())
    /// ```
    #[inline]
    pub fn rebuild<F>(&mut self, len: usize, fill: F) -> Result<()>
    where
        F: FnOnce(&mut MessageWriter<'_>) -> Result<()>,
    {
        let raw = self.as_mut_ptr();
        // SAFETY: the message is initialised; closing it releases the content and
        // leaves the zmq_msg_t to be initialised again, which happens right below
        // on both paths, before anything else can see it (`&mut self`).
        // zmq_msg_close fails only for an invalid message, which it is not.
        unsafe { zmq_sys::zmq_msg_close(raw) };
        // SAFETY: `raw` points to our closed zmq_msg_t, ready to be initialised.
        if let Err(e) = cvt(unsafe { zmq_sys::zmq_msg_init_size(raw, len) }) {
            // SAFETY: as above; zmq_msg_init cannot fail, so the message is valid
            // (empty) again before the error is returned.
            unsafe { zmq_sys::zmq_msg_init(raw) };
            return Err(e);
        }
        /// Empties the message unless forgotten: on an error return, and during
        /// unwinding when `fill` panics, so that no half-written content stays
        /// readable.
        struct EmptyOnDrop<'m>(&'m mut Message);
        impl Drop for EmptyOnDrop<'_> {
            fn drop(&mut self) {
                *self.0 = Message::new();
            }
        }
        let guard = EmptyOnDrop(self);
        // SAFETY: just made by zmq_msg_init_size(len), seen by nothing else.
        unsafe { guard.0.write_fresh(len, fill)? };
        std::mem::forget(guard);
        Ok(())
    }

    /// Runs `fill` over the `len` content bytes of a message just made by
    /// `zmq_msg_init_size(len)`; `EINVAL` when it returns `Ok` without writing
    /// all of them, its own error when it fails.
    ///
    /// # Safety
    /// `self` must have been initialised by `zmq_msg_init_size(len)` and not have
    /// been shared or read since.
    #[inline]
    unsafe fn write_fresh<F>(&mut self, len: usize, fill: F) -> Result<()>
    where
        F: FnOnce(&mut MessageWriter<'_>) -> Result<()>,
    {
        let buf: &mut [MaybeUninit<u8>] = if len == 0 {
            &mut []
        } else {
            // SAFETY: per the caller, the message owns `len` writable bytes at
            // zmq_msg_data, not shared with anything. MaybeUninit<u8> may hold
            // uninitialised bytes and has the size and alignment of u8. The slice
            // borrows `self` mutably, so the message cannot be used, moved or
            // closed while it lives; if `fill` panics, the slice is gone before
            // the message is dropped or emptied during unwinding.
            unsafe { std::slice::from_raw_parts_mut(self.data_ptr().cast(), len) }
        };
        let mut writer = MessageWriter { buf, pos: 0 };
        fill(&mut writer)?;
        // `writer` is the one made above: `fill` cannot swap it with another
        // (each writer's lifetime is distinct, see the compile_fail example on
        // from_writer) nor replace it (there is no other value of its type).
        if writer.pos == len {
            Ok(())
        } else {
            Err(Error::EINVAL)
        }
    }

    /// A message that refers to static data without copying it (a "constant"
    /// message in libzmq's terms; it is read-only: [`Message::get_mut`] is `None`).
    pub fn from_static(data: &'static [u8]) -> Message {
        let mut raw = MaybeUninit::<zmq_sys::zmq_msg_t>::uninit();
        // SAFETY: with no free function libzmq only records the pointer and size
        // (no allocation, cannot fail) and never writes to or frees the data, which
        // is 'static. The pointer is never null for a slice.
        unsafe {
            zmq_sys::zmq_msg_init_data(
                raw.as_mut_ptr(),
                data.as_ptr().cast_mut().cast(),
                data.len(),
                None,
                std::ptr::null_mut(),
            )
        };
        // SAFETY: initialised above.
        unsafe { Message::assume_init(raw) }
    }

    /// Hands an owned buffer to libzmq without copying.
    fn from_vec(data: Vec<u8>) -> Message {
        if data.len() <= INLINE_MAX {
            return Message::from(&data[..]);
        }
        let mut data = std::mem::ManuallyDrop::new(data);
        let (ptr, len, cap) = (data.as_mut_ptr(), data.len(), data.capacity());
        let mut raw = MaybeUninit::<zmq_sys::zmq_msg_t>::uninit();
        // SAFETY: ptr/len describe the live, initialised bytes of the leaked Vec;
        // libzmq calls free_vec(ptr, cap) exactly once when it is done with them.
        let rc = unsafe {
            zmq_sys::zmq_msg_init_data(
                raw.as_mut_ptr(),
                ptr.cast(),
                len,
                Some(free_vec),
                cap as *mut c_void,
            )
        };
        if rc == -1 {
            // libzmq could not allocate its reference count: it did not take the
            // buffer, so it is still ours to free. Out of memory aborts, as in `Vec`.
            drop(std::mem::ManuallyDrop::into_inner(data));
            handle_oom(len);
        }
        // SAFETY: initialised by the successful call above.
        unsafe { Message::assume_init(raw) }
    }

    pub(crate) fn as_mut_ptr(&mut self) -> *mut zmq_sys::zmq_msg_t {
        self.raw.get_mut()
    }

    pub(crate) fn as_ptr(&self) -> *mut zmq_sys::zmq_msg_t {
        self.raw.get()
    }

    #[inline]
    fn data_ptr(&mut self) -> *mut u8 {
        // SAFETY: the message is initialised.
        unsafe { zmq_sys::zmq_msg_data(self.as_mut_ptr()) }.cast()
    }

    /// The size in bytes (`zmq_msg_size`).
    #[doc(alias = "zmq_msg_size")]
    #[inline]
    pub fn len(&self) -> usize {
        // SAFETY: the message is initialised; zmq_msg_size only reads it.
        unsafe { zmq_sys::zmq_msg_size(self.as_ptr()) }
    }

    /// Whether the message has no bytes.
    #[inline]
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Whether more frames of the same multipart message follow (`zmq_msg_more`),
    /// for a message just received.
    #[doc(alias = "zmq_msg_more")]
    pub fn more(&self) -> bool {
        // SAFETY: the message is initialised; zmq_msg_more only reads it.
        unsafe { zmq_sys::zmq_msg_more(self.as_ptr()) != 0 }
    }

    /// Whether libzmq may share this message's buffer with another message
    /// (`ZMQ_SHARED`: after `clone`, or for static data).
    pub fn is_shared(&self) -> bool {
        self.get_int(zmq_sys::ZMQ_SHARED) == Some(1)
    }

    fn get_int(&self, property: c_int) -> Option<c_int> {
        // SAFETY: the message is initialised; zmq_msg_get only reads it and
        // returns -1 for an unknown property.
        let v = unsafe { zmq_sys::zmq_msg_get(self.as_ptr(), property) };
        (v != -1).then_some(v)
    }

    /// The bytes, mutably, when nothing else can see them: `None` when the buffer
    /// is shared (see [`Message::is_shared`]).
    pub fn get_mut(&mut self) -> Option<&mut [u8]> {
        if self.is_shared() {
            return None;
        }
        let len = self.len();
        if len == 0 {
            return Some(&mut []);
        }
        // SAFETY: the message owns `len` initialised bytes at zmq_msg_data, not
        // shared with another message (checked above); the borrow of `self` keeps
        // the message from being closed, moved or re-received into meanwhile.
        Some(unsafe { std::slice::from_raw_parts_mut(self.data_ptr(), len) })
    }

    /// The bytes as UTF-8 text, if they are.
    pub fn as_str(&self) -> Option<&str> {
        std::str::from_utf8(self).ok()
    }

    /// A metadata property of a received message (`zmq_msg_gets`): `"Socket-Type"`,
    /// `"Peer-Address"`, `"Routing-Id"`, `"User-Id"` or one set by the peer's
    /// `ZMQ_METADATA`. `EINVAL` when the message has no such property (or the name
    /// holds a NUL byte); `EILSEQ` when the value is not UTF-8 (see [`Message::gets_bytes`]).
    #[doc(alias = "zmq_msg_gets")]
    pub fn gets(&self, property: &str) -> Result<&str> {
        std::str::from_utf8(self.gets_bytes(property)?).map_err(|_| Error::EILSEQ)
    }

    /// Like [`Message::gets`], as raw bytes.
    pub fn gets_bytes(&self, property: &str) -> Result<&[u8]> {
        let name = c_string(property)?;
        // SAFETY: the message is initialised and `name` is NUL-terminated.
        let ptr = unsafe { zmq_sys::zmq_msg_gets(self.as_ptr(), name.as_ptr()) };
        if ptr.is_null() {
            return Err(Error::last());
        }
        // SAFETY: libzmq returns a NUL-terminated string owned by the message's
        // metadata, which lives as long as the message content; the returned borrow
        // of `self` forbids closing or re-receiving into the message meanwhile.
        Ok(unsafe { CStr::from_ptr(ptr) }.to_bytes())
    }
}

/// The draft API's message properties: routing ids (SERVER, PEER) and groups
/// (RADIO, DISH).
#[cfg(feature = "draft")]
#[cfg_attr(docsrs, doc(cfg(feature = "draft")))]
impl Message {
    /// The routing id of a message received on a SERVER or PEER socket
    /// (`zmq_msg_routing_id`): the peer that sent it, to reply to with
    /// [`Message::set_routing_id`]. `None` when the message has none (0).
    ///
    /// ```
    /// let mut msg = zmq::Message::from("reply");
    /// assert_eq!(msg.routing_id(), None);
    /// msg.set_routing_id(7)?;
    /// assert_eq!(msg.routing_id(), Some(7));
    /// assert_eq!(msg.set_routing_id(0), Err(zmq::Error::EINVAL));
    /// # Ok::<(), zmq::Error>(())
    /// ```
    #[doc(alias = "zmq_msg_routing_id")]
    pub fn routing_id(&self) -> Option<u32> {
        // SAFETY: the message is initialised; zmq_msg_routing_id only reads it.
        let id = unsafe { zmq_sys::zmq_msg_routing_id(self.as_ptr()) };
        (id != 0).then_some(id)
    }

    /// Sets the peer a SERVER or PEER socket sends this message to
    /// (`zmq_msg_set_routing_id`). `EINVAL` for 0, which names no peer.
    #[doc(alias = "zmq_msg_set_routing_id")]
    pub fn set_routing_id(&mut self, routing_id: u32) -> Result<()> {
        // SAFETY: the message is initialised and ours to modify (&mut self).
        cvt(unsafe { zmq_sys::zmq_msg_set_routing_id(self.as_mut_ptr(), routing_id) }).map(drop)
    }

    /// The group of a message received on a DISH socket, or set with
    /// [`Message::set_group`] (`zmq_msg_group`), borrowed from the message. `None`
    /// when it has none (the empty group), or when the group is not UTF-8: read it
    /// with [`Message::group_bytes`] then.
    ///
    /// ```
    /// let mut msg = zmq::Message::from("21 degrees");
    /// assert_eq!(msg.group(), None);
    /// msg.set_group("weather")?;
    /// assert_eq!(msg.group(), Some("weather"));
    /// assert_eq!(msg.set_group(&"x".repeat(256)), Err(zmq::Error::EINVAL));
    /// # Ok::<(), zmq::Error>(())
    /// ```
    #[doc(alias = "zmq_msg_group")]
    pub fn group(&self) -> Option<&str> {
        std::str::from_utf8(self.group_bytes()?).ok()
    }

    /// Like [`Message::group`], as bytes (a group received from the network need not
    /// be UTF-8). `None` when the message has no group.
    pub fn group_bytes(&self) -> Option<&[u8]> {
        // SAFETY: the message is initialised; zmq_msg_group only reads it and returns
        // a pointer to its group, stored inside the zmq_msg_t or in a block the
        // message owns.
        let ptr = unsafe { zmq_sys::zmq_msg_group(self.as_ptr()) };
        if ptr.is_null() {
            return None;
        }
        // SAFETY: the group is NUL-terminated (libzmq stores at most 255 bytes and a
        // NUL) and lives as long as the message's current content. The returned
        // borrow of `self` forbids set_group, receiving into, moving or dropping the
        // message meanwhile; Clone through `&self` (zmq_msg_copy) only bumps the
        // group block's atomic reference count and never writes the group bytes.
        let group = unsafe { CStr::from_ptr(ptr) }.to_bytes();
        (!group.is_empty()).then_some(group)
    }

    /// Sets the group a RADIO socket sends this message to (`zmq_msg_set_group`).
    /// `EINVAL` when the name is longer than 255 bytes (libzmq would silently cut
    /// it) or holds a NUL byte. The empty string means no group.
    ///
    /// libzmq 4.3.5 does not free a group longer than 14 bytes when another group
    /// replaces it on the same message (a leak of a few hundred bytes per
    /// replacement): set the group of each message once.
    #[doc(alias = "zmq_msg_set_group")]
    pub fn set_group(&mut self, group: &str) -> Result<()> {
        // ZMQ_GROUP_MAX_LENGTH: the longest group libzmq accepts (255 bytes).
        if group.len() > zmq_sys::ZMQ_GROUP_MAX_LENGTH as usize {
            return Err(Error::EINVAL);
        }
        let group = c_string(group)?;
        // SAFETY: the message is initialised and ours to modify (&mut self); the
        // string is NUL-terminated, at most 255 bytes long, and outlives the call
        // (libzmq copies it).
        cvt(unsafe { zmq_sys::zmq_msg_set_group(self.as_mut_ptr(), group.as_ptr()) }).map(drop)
    }
}

/// Writes the content of a message being built by [`Message::from_writer`]: an
/// append-only cursor over the message's not yet initialised buffer. Every byte up
/// to the cursor has been written; nothing can be read back.
///
/// The `put_*` methods write all their bytes or, when they do not fit in what
/// remains, nothing (`EMSGSIZE`). `std::io::Write` writes what fits, as for
/// `&mut [u8]` (so `write_all` past the end fails with `WriteZero`).
pub struct MessageWriter<'a> {
    // Invariant: buf[..pos] is initialised, pos <= buf.len().
    buf: &'a mut [MaybeUninit<u8>],
    pos: usize,
}

impl MessageWriter<'_> {
    /// How many bytes are still to be written.
    #[inline]
    pub fn remaining(&self) -> usize {
        self.buf.len() - self.pos
    }

    /// How many bytes have been written so far.
    #[inline]
    pub fn written(&self) -> usize {
        self.pos
    }

    /// Appends `data`; `EMSGSIZE` (writing nothing) when it does not fit.
    #[inline]
    pub fn put_slice(&mut self, data: &[u8]) -> Result<()> {
        if data.len() > self.remaining() {
            return Err(Error::EMSGSIZE);
        }
        self.copy_in(data);
        Ok(())
    }

    /// Appends one byte; `EMSGSIZE` when the message is full.
    #[inline]
    pub fn put_u8(&mut self, byte: u8) -> Result<()> {
        match self.buf.get_mut(self.pos) {
            Some(slot) => {
                slot.write(byte);
                self.pos += 1;
                Ok(())
            }
            None => Err(Error::EMSGSIZE),
        }
    }

    /// Appends `count` copies of `byte` (a `memset`); `EMSGSIZE` (writing
    /// nothing) when they do not fit. `w.put_bytes(0, w.remaining())` zeroes the
    /// rest.
    #[inline]
    pub fn put_bytes(&mut self, byte: u8, count: usize) -> Result<()> {
        if count > self.remaining() {
            return Err(Error::EMSGSIZE);
        }
        if count > 0 {
            // SAFETY: pos + count <= buf.len() (checked above), so the range is
            // inside the writable buffer `buf` borrows exclusively.
            unsafe { std::ptr::write_bytes(self.buf.as_mut_ptr().add(self.pos), byte, count) };
            self.pos += count;
        }
        Ok(())
    }

    /// Copies `data`, which must fit (`data.len() <= remaining()`).
    #[inline]
    fn copy_in(&mut self, data: &[u8]) {
        debug_assert!(data.len() <= self.remaining());
        if !data.is_empty() {
            // SAFETY: the caller checked that pos + data.len() <= buf.len(): the
            // destination is inside the buffer `buf` borrows exclusively, which
            // cannot overlap `data` (a shared borrow held at the same time).
            // MaybeUninit<u8> has the layout of u8.
            unsafe {
                std::ptr::copy_nonoverlapping(
                    data.as_ptr(),
                    self.buf.as_mut_ptr().add(self.pos).cast::<u8>(),
                    data.len(),
                )
            };
            self.pos += data.len();
        }
    }
}

impl std::io::Write for MessageWriter<'_> {
    /// Writes as much of `data` as fits; `Ok(0)` once the message is full.
    #[inline]
    fn write(&mut self, data: &[u8]) -> std::io::Result<usize> {
        let n = data.len().min(self.remaining());
        self.copy_in(&data[..n]);
        Ok(n)
    }

    #[inline]
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl fmt::Debug for MessageWriter<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MessageWriter")
            .field("len", &self.buf.len())
            .field("written", &self.pos)
            .finish()
    }
}

#[cold]
pub(crate) fn handle_oom(len: usize) -> ! {
    // An array of `len` bytes always has a valid layout (len <= isize::MAX for a slice).
    let layout = std::alloc::Layout::array::<u8>(len).unwrap_or(std::alloc::Layout::new::<u8>());
    std::alloc::handle_alloc_error(layout)
}

impl Drop for Message {
    #[inline]
    fn drop(&mut self) {
        // SAFETY: the message is initialised and closed only here. zmq_msg_close fails
        // only for an invalid message (EFAULT), which an initialised one is not.
        unsafe { zmq_sys::zmq_msg_close(self.as_mut_ptr()) };
    }
}

impl Default for Message {
    fn default() -> Message {
        Message::new()
    }
}

impl Deref for Message {
    type Target = [u8];

    #[inline]
    fn deref(&self) -> &[u8] {
        let len = self.len();
        if len == 0 {
            return &[];
        }
        // SAFETY: the message is initialised and holds `len` initialised bytes at
        // zmq_msg_data (which only computes an address). Nothing writes them while
        // `&self` lives: get_mut needs `&mut self`, and zmq_msg_copy through `&self`
        // (Clone) writes only the flag bytes of the zmq_msg_t, never the data, for
        // content stored outside it; for inline content it copies and writes nothing.
        unsafe { std::slice::from_raw_parts(zmq_sys::zmq_msg_data(self.as_ptr()).cast(), len) }
    }
}

impl AsRef<[u8]> for Message {
    fn as_ref(&self) -> &[u8] {
        self
    }
}

impl Clone for Message {
    /// Another message with the same content (`zmq_msg_copy`): large content is
    /// shared by reference count, not copied; both become read-only.
    fn clone(&self) -> Message {
        let mut copy = Message::new();
        // SAFETY: both messages are initialised; zmq_msg_copy releases `copy`'s empty
        // content and makes it refer to the source's; it fails only on invalid
        // messages (EFAULT), which these are not.
        let rc = unsafe { zmq_sys::zmq_msg_copy(copy.as_mut_ptr(), self.as_ptr()) };
        if rc == -1 {
            // Unreachable for valid messages; fall back to copying the bytes.
            return Message::from(&self[..]);
        }
        copy
    }
}

impl PartialEq for Message {
    fn eq(&self, other: &Message) -> bool {
        self[..] == other[..]
    }
}

impl Eq for Message {}

impl PartialEq<[u8]> for Message {
    fn eq(&self, other: &[u8]) -> bool {
        &self[..] == other
    }
}

impl PartialEq<&[u8]> for Message {
    fn eq(&self, other: &&[u8]) -> bool {
        &self[..] == *other
    }
}

impl PartialEq<str> for Message {
    fn eq(&self, other: &str) -> bool {
        &self[..] == other.as_bytes()
    }
}

impl PartialEq<&str> for Message {
    fn eq(&self, other: &&str) -> bool {
        &self[..] == other.as_bytes()
    }
}

impl fmt::Debug for Message {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        const SHOWN: usize = 64;
        let bytes = &self[..];
        let shown = &bytes[..bytes.len().min(SHOWN)];
        let mut s = f.debug_struct("Message");
        s.field("len", &bytes.len()).field("more", &self.more());
        let text = String::from_utf8_lossy(shown);
        if bytes.len() > SHOWN {
            s.field("data", &format_args!("{text:?}..."));
        } else {
            s.field("data", &format_args!("{text:?}"));
        }
        s.finish()
    }
}

impl From<&[u8]> for Message {
    #[inline]
    fn from(data: &[u8]) -> Message {
        match Message::try_from_slice(data) {
            Ok(m) => m,
            Err(_) => handle_oom(data.len()),
        }
    }
}

impl<const N: usize> From<&[u8; N]> for Message {
    fn from(data: &[u8; N]) -> Message {
        Message::from(&data[..])
    }
}

impl From<&str> for Message {
    fn from(text: &str) -> Message {
        Message::from(text.as_bytes())
    }
}

impl From<&String> for Message {
    fn from(text: &String) -> Message {
        Message::from(text.as_bytes())
    }
}

impl From<Vec<u8>> for Message {
    /// Takes the buffer without copying (small ones are copied inline instead).
    fn from(data: Vec<u8>) -> Message {
        Message::from_vec(data)
    }
}

impl From<Box<[u8]>> for Message {
    /// Takes the buffer without copying (small ones are copied inline instead).
    fn from(data: Box<[u8]>) -> Message {
        Message::from_vec(data.into_vec())
    }
}

impl From<String> for Message {
    /// Takes the buffer without copying (small ones are copied inline instead).
    fn from(text: String) -> Message {
        Message::from_vec(text.into_bytes())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty() {
        let m = Message::new();
        assert_eq!(m.len(), 0);
        assert!(m.is_empty());
        assert_eq!(&m[..], b"");
        assert!(!m.more());
        assert_eq!(m.as_str(), Some(""));
    }

    #[test]
    fn sized_is_zeroed() {
        let m = Message::with_size(100).unwrap();
        assert_eq!(&m[..], &[0u8; 100][..]);
        let m = Message::with_size(0).unwrap();
        assert!(m.is_empty());
    }

    #[test]
    fn absurd_size_is_an_error() {
        assert_eq!(Message::with_size(usize::MAX).unwrap_err(), Error::ENOMEM);
    }

    #[test]
    fn copies_and_zero_copy() {
        for len in [0usize, 1, 32, 33, 34, 100, 70_000] {
            let data: Vec<u8> = (0..len).map(|i| i as u8).collect();
            assert_eq!(&Message::from(&data[..])[..], &data[..]);
            assert_eq!(&Message::from(data.clone())[..], &data[..]);
            assert_eq!(
                &Message::from(data.clone().into_boxed_slice())[..],
                &data[..]
            );
        }
        let mut v = Vec::with_capacity(1000);
        v.extend_from_slice(&[7u8; 100]);
        let ptr = v.as_ptr();
        let m = Message::from(v);
        // The very same buffer: no copy was made.
        assert_eq!(m[..].as_ptr(), ptr);
        assert_eq!(&m[..], &[7u8; 100][..]);
        assert_eq!(Message::from("héllo"), "héllo");
        assert_eq!(Message::from(String::from("x").repeat(40)).len(), 40);
    }

    #[test]
    fn from_writer_writes_every_byte_once_in_place() {
        for len in [0usize, 1, 5, 32, 33, 34, 1024, 65_536, 1 << 20] {
            let expected: Vec<u8> = (0..len).map(|i| (i * 7 + 3) as u8).collect();
            let mut msg = Message::from_writer(len, |w| {
                assert_eq!((w.written(), w.remaining()), (0, len));
                let (head, tail) = expected.split_at(len / 3);
                w.put_slice(head)?;
                if let Some((&first, rest)) = tail.split_first() {
                    w.put_u8(first)?;
                    w.put_slice(rest)?;
                }
                assert_eq!((w.written(), w.remaining()), (len, 0));
                Ok(())
            })
            .unwrap();
            assert_eq!(&msg[..], &expected[..], "len {len}");
            // A fresh message of its own: writable afterwards.
            assert!(!msg.is_shared());
            if len > 0 {
                msg.get_mut().unwrap()[len - 1] = 0xAA;
                assert_eq!(msg[len - 1], 0xAA);
            }
        }
    }

    #[test]
    fn from_writer_put_bytes_fills() {
        let msg = Message::from_writer(100, |w| {
            w.put_slice(b"head")?;
            w.put_bytes(b'x', 10)?;
            w.put_bytes(b'y', 0)?;
            w.put_bytes(0, w.remaining())
        })
        .unwrap();
        let mut expected = b"head".to_vec();
        expected.extend_from_slice(&[b'x'; 10]);
        expected.resize(100, 0);
        assert_eq!(&msg[..], &expected[..]);
    }

    #[test]
    fn from_writer_refuses_short_and_overlong_writes() {
        // Too little written: EINVAL, whether nothing or almost everything.
        assert_eq!(
            Message::from_writer(1, |_| Ok(())).unwrap_err(),
            Error::EINVAL
        );
        assert_eq!(
            Message::from_writer(4096, |w| w.put_bytes(1, 4095)).unwrap_err(),
            Error::EINVAL
        );
        // Too much: EMSGSIZE, and the refused write left nothing behind.
        let msg = Message::from_writer(4, |w| {
            w.put_slice(b"ab")?;
            assert_eq!(w.put_slice(b"cde"), Err(Error::EMSGSIZE));
            assert_eq!(w.put_bytes(b'z', 3), Err(Error::EMSGSIZE));
            assert_eq!(w.written(), 2);
            w.put_slice(b"cd")?;
            assert_eq!(w.put_u8(b'e'), Err(Error::EMSGSIZE));
            assert_eq!(w.put_slice(b""), Ok(()));
            Ok(())
        })
        .unwrap();
        assert_eq!(msg, "abcd");
        // An empty message needs no write; any write overflows it.
        assert!(Message::from_writer(0, |_| Ok(())).unwrap().is_empty());
        assert_eq!(
            Message::from_writer(0, |w| w.put_u8(1)).unwrap_err(),
            Error::EMSGSIZE
        );
    }

    #[test]
    fn from_writer_passes_on_the_closures_error() {
        let mut called = false;
        let err = Message::from_writer(10, |w| {
            called = true;
            w.put_slice(b"part")?;
            Err(Error::EAGAIN)
        })
        .unwrap_err();
        assert!(called);
        assert_eq!(err, Error::EAGAIN);
    }

    #[test]
    fn from_writer_out_of_memory_does_not_call_the_closure() {
        let mut called = false;
        let err = Message::from_writer(usize::MAX, |_| {
            called = true;
            Ok(())
        })
        .unwrap_err();
        assert_eq!(err, Error::ENOMEM);
        assert!(!called);
    }

    #[test]
    fn from_writer_as_io_write() {
        use std::io::Write;
        let msg = Message::from_writer(13, |w| {
            assert!(format!("{w:?}").contains("written: 0"));
            write!(w, "id={:05} ok", 42).map_err(|_| Error::EMSGSIZE)?;
            // Partial writes: only what fits.
            assert_eq!(w.write(b"!!!").unwrap(), 2);
            assert_eq!(w.write(b"more").unwrap(), 0);
            let e = w.write_all(b"x").unwrap_err();
            assert_eq!(e.kind(), std::io::ErrorKind::WriteZero);
            w.flush().unwrap();
            Ok(())
        })
        .unwrap();
        assert_eq!(msg, "id=00042 ok!!");
    }

    #[test]
    fn from_writer_panic_frees_the_message_and_exposes_nothing() {
        // A panicking closure unwinds through from_writer, which closes (frees)
        // the half-written message. Repeated 40 times with 16 MiB written each
        // time, a leak would grow the resident set by ~640 MiB.
        const LEN: usize = 16 << 20;
        let rss = || -> Option<usize> {
            let statm = std::fs::read_to_string("/proc/self/statm").ok()?;
            let pages: usize = statm.split_whitespace().nth(1)?.parse().ok()?;
            Some(pages * 4096)
        };
        let before = rss();
        for _ in 0..40 {
            let result = std::panic::catch_unwind(|| {
                Message::from_writer(LEN, |w| {
                    w.put_bytes(0x5A, LEN - 1)?;
                    panic!("closure panics with one byte still unwritten");
                })
            });
            assert!(result.is_err(), "the panic propagates");
        }
        if let (Some(before), Some(after)) = (before, rss()) {
            let grown = after.saturating_sub(before);
            assert!(grown < 200 << 20, "resident set grew by {grown} bytes");
        }
    }

    #[test]
    fn rebuild_replaces_the_content_in_place() {
        let original = vec![9u8; 1000];
        let mut msg = Message::from(original.clone());
        let shared = msg.clone();
        for len in [0usize, 1, 33, 4096, 0, 7] {
            msg.rebuild(len, |w| {
                assert_eq!(w.remaining(), len);
                for i in 0..len {
                    w.put_u8(i as u8)?;
                }
                Ok(())
            })
            .unwrap();
            let expected: Vec<u8> = (0..len).map(|i| i as u8).collect();
            assert_eq!(&msg[..], &expected[..]);
            // A fresh buffer of its own, even though the old one was shared.
            assert!(!msg.is_shared());
        }
        // The clone still holds the old content.
        assert_eq!(&shared[..], &original[..]);
    }

    #[test]
    fn rebuild_errors_leave_the_message_empty_and_usable() {
        let mut msg = Message::from("previous content");
        type Fill = fn(&mut MessageWriter<'_>) -> Result<()>;
        let cases: [(usize, Fill, Error); 4] = [
            (8, |w| w.put_slice(b"abc"), Error::EINVAL),
            (2, |w| w.put_slice(b"abc"), Error::EMSGSIZE),
            (
                8,
                |w| w.put_slice(b"ab").and(Err(Error::EAGAIN)),
                Error::EAGAIN,
            ),
            (usize::MAX, |_| Ok(()), Error::ENOMEM),
        ];
        for (len, fill, expected) in cases {
            assert_eq!(msg.rebuild(len, fill), Err(expected));
            assert!(msg.is_empty(), "after {expected:?}");
            assert!(msg.get_mut().is_some());
            msg.rebuild(3, |w| w.put_slice(b"new")).unwrap();
            assert_eq!(msg, "new");
        }
    }

    #[test]
    fn rebuild_panic_leaves_the_message_empty_and_frees_the_buffer() {
        // As for from_writer: 40 x 16 MiB written, so a leak would show.
        const LEN: usize = 16 << 20;
        let rss = || -> Option<usize> {
            let statm = std::fs::read_to_string("/proc/self/statm").ok()?;
            let pages: usize = statm.split_whitespace().nth(1)?.parse().ok()?;
            Some(pages * 4096)
        };
        let mut msg = Message::from("before");
        let before = rss();
        for _ in 0..40 {
            let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                msg.rebuild(LEN, |w| {
                    w.put_bytes(0x5A, LEN - 1)?;
                    panic!("closure panics with one byte still unwritten");
                })
            }));
            assert!(result.is_err(), "the panic propagates");
            // The message the caller still holds shows nothing of the half-written
            // content.
            assert!(msg.is_empty());
        }
        if let (Some(before), Some(after)) = (before, rss()) {
            let grown = after.saturating_sub(before);
            assert!(grown < 200 << 20, "resident set grew by {grown} bytes");
        }
        msg.rebuild(2, |w| w.put_slice(b"ok")).unwrap();
        assert_eq!(msg, "ok");
    }

    #[test]
    fn static_data_is_shared_and_read_only() {
        static DATA: [u8; 5] = *b"fixed";
        let mut m = Message::from_static(&DATA);
        assert_eq!(&m[..], b"fixed");
        assert_eq!(m[..].as_ptr(), DATA.as_ptr());
        assert!(m.is_shared());
        assert!(m.get_mut().is_none());
    }

    #[test]
    fn clone_shares_large_and_blocks_mutation() {
        let mut big = Message::from(vec![1u8; 1000]);
        assert!(!big.is_shared());
        big.get_mut().unwrap()[999] = 2;
        let copy = big.clone();
        assert_eq!(copy, big);
        assert_eq!(copy[..].as_ptr(), big[..].as_ptr());
        assert!(big.get_mut().is_none());
        drop(copy);
        // Still flagged shared (libzmq never clears the flag): conservative.
        assert!(big.get_mut().is_none());

        let mut small = Message::from(&b"abc"[..]);
        let small_copy = small.clone();
        small.get_mut().unwrap()[0] = b'x';
        assert_eq!(small, "xbc");
        assert_eq!(small_copy, "abc");
    }

    #[test]
    fn gets_on_unsent_message_is_einval() {
        let m = Message::from("x");
        assert_eq!(m.gets("Socket-Type").unwrap_err(), Error::EINVAL);
        assert_eq!(m.gets("Socket\0Type").unwrap_err(), Error::EINVAL);
    }

    #[cfg(feature = "draft")]
    #[test]
    fn routing_id_and_group_start_empty_and_survive_clone() {
        let mut m = Message::from(vec![3u8; 100]);
        assert_eq!((m.routing_id(), m.group()), (None, None));
        m.set_routing_id(42).unwrap();
        m.set_group("fifteen-bytes-g").unwrap();
        let copy = m.clone();
        assert_eq!(copy.routing_id(), Some(42));
        assert_eq!(copy.group(), Some("fifteen-bytes-g"));
        drop(m);
        assert_eq!(copy.group(), Some("fifteen-bytes-g"));
        assert_eq!(Message::new().set_routing_id(0).unwrap_err(), Error::EINVAL);
    }

    #[test]
    fn debug_shows_text() {
        let m = Message::from("hello");
        let d = format!("{m:?}");
        assert!(d.contains("hello") && d.contains("len: 5"), "{d}");
        let long = format!("{:?}", Message::from(vec![b'a'; 200]));
        assert!(long.contains("..."), "{long}");
    }
}
