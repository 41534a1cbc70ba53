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
///   or from static data ([`Message::from_static`]).
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
const INLINE_MAX: usize = 32;

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
    unsafe fn assume_init(raw: MaybeUninit<zmq_sys::zmq_msg_t>) -> Message {
        Message {
            // SAFETY: the caller guarantees `raw` is initialised.
            raw: UnsafeCell::new(unsafe { raw.assume_init() }),
        }
    }

    /// A message of `len` zero bytes (`zmq_msg_init_size` + fill). `ENOMEM` when
    /// the allocation fails (e.g. an absurd size), never a panic.
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
    pub fn try_from_slice(data: &[u8]) -> Result<Message> {
        let mut msg = Message::with_size_uninit(data.len())?;
        if !data.is_empty() {
            // SAFETY: the message owns data.len() writable bytes at zmq_msg_data,
            // distinct from `data`; all of them are written here.
            unsafe { std::ptr::copy_nonoverlapping(data.as_ptr(), msg.data_ptr(), data.len()) };
        }
        Ok(msg)
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
        if group.len() > crate::socket::GROUP_MAX_LENGTH {
            return Err(Error::EINVAL);
        }
        let group = c_string(group)?;
        // SAFETY: the message is initialised and ours to modify (&mut self); the
        // string is NUL-terminated, at most 255 bytes long, and outlives the call
        // (libzmq copies it).
        cvt(unsafe { zmq_sys::zmq_msg_set_group(self.as_mut_ptr(), group.as_ptr()) }).map(drop)
    }
}

#[cold]
fn handle_oom(len: usize) -> ! {
    // An array of `len` bytes always has a valid layout (len <= isize::MAX for a slice).
    let layout = std::alloc::Layout::array::<u8>(len).unwrap_or(std::alloc::Layout::new::<u8>());
    std::alloc::handle_alloc_error(layout)
}

impl Drop for Message {
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
