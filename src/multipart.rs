//! Multipart messages: an ordered set of [`Message`] frames, sent and received
//! whole without copying (`zmq_msg_send` / `zmq_msg_recv` frame by frame), with
//! push and pop at both ends for routing envelopes.

use std::collections::vec_deque::{self, VecDeque};
use std::fmt;
use std::ops::{Index, IndexMut};

use crate::error::{Error, Result};
use crate::guard::Part;
use crate::message::Message;
use crate::socket::{RecvFlags, SendFlags, Socket};

/// A multipart message: the frames of one ZeroMQ message, in order, each a
/// [`Message`] (in the spirit of cppzmq's `multipart_t` and czmq's `zmsg_t`).
///
/// * Build it from anything a `Message` is built from ([`Multipart::push_back`],
///   `From<Vec<Message>>`, `FromIterator`), or receive into it with
///   [`Socket::recv_multipart_msg`], which reuses its frames and its frame list
///   from one call to the next: a receive loop allocates nothing in Rust.
/// * Send it with [`Socket::send_multipart_msg`]: each frame's content goes to
///   libzmq as it is, no copy. On success the value is left empty, ready for
///   reuse; on failure it holds exactly the frames that were not sent.
/// * Routing envelopes: [`Multipart::wrap`] puts an address and an empty
///   delimiter frame in front, [`Multipart::unwrap`] takes them off (the
///   zguide's `s_msg_wrap` / `zmsg_unwrap`); [`Multipart::push_front`] and
///   [`Multipart::pop_front`] handle envelopes without a delimiter (DEALER to
///   ROUTER).
///
/// ```
/// use zmq::{Multipart, RecvFlags, SendFlags};
/// let ctx = zmq::Context::new()?;
/// let router = ctx.socket(zmq::ROUTER)?;
/// router.bind("inproc://doc-multipart")?;
/// let req = ctx.socket(zmq::REQ)?;
/// req.connect("inproc://doc-multipart")?;
///
/// let mut request = Multipart::from_iter(["hello", "world"]);
/// req.send_multipart_msg(&mut request, SendFlags::empty())?;
/// assert!(request.is_empty()); // the frames went to libzmq, not copied
///
/// // ROUTER sees [REQ's routing id, "", "hello", "world"].
/// let mut msg = Multipart::new();
/// router.recv_multipart_msg(&mut msg, RecvFlags::empty())?;
/// let client = msg.unwrap().expect("an envelope");
/// assert_eq!(msg, ["hello", "world"]);
///
/// // Reply through the same envelope, reusing the received frames.
/// msg.clear();
/// msg.push_back("hi");
/// msg.wrap(client);
/// router.send_multipart_msg(&mut msg, SendFlags::empty())?;
/// assert_eq!(req.recv_multipart(RecvFlags::empty())?, [b"hi".to_vec()]);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Default, PartialEq, Eq)]
pub struct Multipart {
    frames: VecDeque<Message>,
}

impl Multipart {
    /// An empty multipart message (allocates nothing until a frame is added).
    pub fn new() -> Multipart {
        Multipart {
            frames: VecDeque::new(),
        }
    }

    /// An empty multipart message with room for `frames` frames.
    pub fn with_capacity(frames: usize) -> Multipart {
        Multipart {
            frames: VecDeque::with_capacity(frames),
        }
    }

    /// The number of frames.
    pub fn len(&self) -> usize {
        self.frames.len()
    }

    /// Whether there is no frame.
    pub fn is_empty(&self) -> bool {
        self.frames.is_empty()
    }

    /// The total size of the frames, in bytes.
    pub fn size(&self) -> usize {
        self.frames.iter().map(|f| f.len()).sum()
    }

    /// Appends a frame.
    pub fn push_back(&mut self, frame: impl Into<Message>) {
        self.frames.push_back(frame.into());
    }

    /// Puts a frame in front of the others (e.g. a routing id).
    pub fn push_front(&mut self, frame: impl Into<Message>) {
        self.frames.push_front(frame.into());
    }

    /// Takes the first frame off.
    pub fn pop_front(&mut self) -> Option<Message> {
        self.frames.pop_front()
    }

    /// Takes the last frame off.
    pub fn pop_back(&mut self) -> Option<Message> {
        self.frames.pop_back()
    }

    /// The first frame.
    pub fn front(&self) -> Option<&Message> {
        self.frames.front()
    }

    /// The last frame.
    pub fn back(&self) -> Option<&Message> {
        self.frames.back()
    }

    /// The first frame, mutably.
    pub fn front_mut(&mut self) -> Option<&mut Message> {
        self.frames.front_mut()
    }

    /// The last frame, mutably (e.g. to replace a request's body with the reply).
    pub fn back_mut(&mut self) -> Option<&mut Message> {
        self.frames.back_mut()
    }

    /// The frame at `index`.
    pub fn get(&self, index: usize) -> Option<&Message> {
        self.frames.get(index)
    }

    /// The frame at `index`, mutably (to replace it, or to change its bytes
    /// through [`Message::get_mut`]).
    pub fn get_mut(&mut self, index: usize) -> Option<&mut Message> {
        self.frames.get_mut(index)
    }

    /// The frames, in order.
    pub fn iter(&self) -> vec_deque::Iter<'_, Message> {
        self.frames.iter()
    }

    /// The frames, in order, mutably.
    pub fn iter_mut(&mut self) -> vec_deque::IterMut<'_, Message> {
        self.frames.iter_mut()
    }

    /// Removes every frame, keeping the room they took for the next frames.
    pub fn clear(&mut self) {
        self.frames.clear();
    }

    /// Puts a routing envelope in front: `address`, then an empty delimiter
    /// frame (the zguide's `s_msg_wrap`, czmq's `zmsg_wrap`), as a ROUTER needs
    /// to reply to a REQ.
    pub fn wrap(&mut self, address: impl Into<Message>) {
        self.frames.push_front(Message::new());
        self.frames.push_front(address.into());
    }

    /// Takes a routing envelope off the front: returns the first frame (the
    /// address) and drops the empty delimiter frame after it, if there is one
    /// (czmq's `zmsg_unwrap`). `None` when there is no frame.
    pub fn unwrap(&mut self) -> Option<Message> {
        let address = self.frames.pop_front()?;
        if self.frames.front().is_some_and(|f| f.is_empty()) {
            self.frames.pop_front();
        }
        Some(address)
    }

    /// The frames, copied into vectors (what [`Socket::recv_multipart`] returns).
    pub fn to_vecs(&self) -> Vec<Vec<u8>> {
        self.frames.iter().map(|f| f.to_vec()).collect()
    }

    /// The frames as a `VecDeque`, e.g. to rotate or sort them.
    pub fn as_deque_mut(&mut self) -> &mut VecDeque<Message> {
        &mut self.frames
    }

    /// Takes the frames out as a `VecDeque`.
    pub fn into_deque(self) -> VecDeque<Message> {
        self.frames
    }

    /// Receives into the reused frames: frame `i` goes into the `Message` already
    /// at `i` when there is one (libzmq replaces its content), into a new one
    /// appended otherwise; frames left over from a longer message are dropped.
    /// Stops at the first frame without `more`.
    pub(crate) fn recv_frames(
        &mut self,
        mut recv: impl FnMut(&mut Message, bool) -> Result<()>,
    ) -> Result<()> {
        let mut count = 0;
        loop {
            if count == self.frames.len() {
                self.frames.push_back(Message::new());
            }
            let frame = &mut self.frames[count];
            if let Err(e) = recv(frame, count == 0) {
                // libzmq released the target's old content before failing; what
                // is left is neither the old message nor the new one.
                self.frames.clear();
                return Err(e);
            }
            count += 1;
            if !frame.more() {
                self.frames.truncate(count);
                return Ok(());
            }
        }
    }

    /// Sends the frames in order through `send(frame, more)`. On success the value
    /// is left empty; on failure at frame `k`, frames `0..k` (sent) are removed and
    /// the rest are kept, untouched.
    pub(crate) fn send_frames(
        &mut self,
        mut send: impl FnMut(&mut Message, bool) -> Result<()>,
    ) -> std::result::Result<(), MultipartSendError> {
        let total = self.frames.len();
        for (i, frame) in self.frames.iter_mut().enumerate() {
            if let Err(error) = send(frame, i + 1 < total) {
                self.frames.drain(..i);
                return Err(MultipartSendError { error, sent: i });
            }
        }
        self.frames.clear();
        Ok(())
    }
}

/// A multipart send that did not complete ([`Socket::send_multipart_msg`],
/// `zmq::tokio::AsyncSocket::send_multipart` with the `tokio` feature):
/// libzmq's error, and how many frames went before it. The [`Multipart`] that
/// was sent holds the frames that were not sent, untouched.
///
/// * `sent == 0`: nothing was sent; the message is whole, send it again later
///   (e.g. after `EAGAIN`). This is the case for every high-water-mark refusal:
///   libzmq counts its limit in whole messages (a pipe counts a message at its last
///   frame), so once the first frame is accepted, the others are too.
/// * `sent > 0`: libzmq accepted the first frames, then refused one. This happens
///   only when the peer's pipe goes away in the middle of the message (a
///   disconnect processed between two frames), or when the frames do not form one
///   message for the socket type (STREAM and DGRAM take `[peer, body]` pairs; a
///   bad third frame is refused). libzmq discards the partial message (load
///   balancers drop its remaining frames themselves); sending the remaining
///   frames again would deliver them as a message of their own, so they are handed
///   back for inspection, not for a retry.
///
/// It converts into [`Error`], so `?` works in functions returning
/// [`zmq::Result`](crate::Result).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MultipartSendError {
    /// What libzmq reported for the frame that was not sent.
    pub error: Error,
    /// How many frames had been sent before it.
    pub sent: usize,
}

impl MultipartSendError {
    /// Whether some frames were sent before the failure (see the type's docs).
    pub fn is_partial(&self) -> bool {
        self.sent > 0
    }
}

impl fmt::Display for MultipartSendError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.sent == 0 {
            write!(f, "multipart message not sent: {}", self.error)
        } else {
            write!(
                f,
                "multipart message cut after {} frame(s): {}",
                self.sent, self.error
            )
        }
    }
}

impl std::error::Error for MultipartSendError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        Some(&self.error)
    }
}

/// An error of the first frame: nothing was sent.
impl From<Error> for MultipartSendError {
    fn from(error: Error) -> MultipartSendError {
        MultipartSendError { error, sent: 0 }
    }
}

impl From<MultipartSendError> for Error {
    fn from(e: MultipartSendError) -> Error {
        e.error
    }
}

impl From<MultipartSendError> for std::io::Error {
    fn from(e: MultipartSendError) -> std::io::Error {
        std::io::Error::from(e.error)
    }
}

impl Socket {
    /// Sends a [`Multipart`] message without copying (`zmq_msg_send` per frame,
    /// `ZMQ_SNDMORE` on all but the last; `flags` apply to every frame, so
    /// `DONTWAIT` makes the whole send non-blocking). On success `msg` is left
    /// empty, keeping its room for reuse. On failure `msg` holds exactly the frames
    /// that were not sent and the error says how many were
    /// ([`MultipartSendError`]): with `sent == 0` (e.g. `EAGAIN` at the
    /// high-water mark) nothing was sent and the message is whole. An empty
    /// `Multipart` sends nothing.
    ///
    /// ```
    /// let ctx = zmq::Context::new()?;
    /// let push = ctx.socket(zmq::PUSH)?;
    /// // No peer yet: a non-blocking send fails, and the message is kept whole.
    /// let mut msg = zmq::Multipart::from_iter(["job", "42"]);
    /// let err = push.send_multipart_msg(&mut msg, zmq::SendFlags::DONTWAIT).unwrap_err();
    /// assert_eq!((err.error, err.sent), (zmq::Error::EAGAIN, 0));
    /// assert_eq!(msg, ["job", "42"]);
    /// # Ok::<(), zmq::Error>(())
    /// ```
    #[doc(alias = "zmq_msg_send")]
    pub fn send_multipart_msg(
        &self,
        msg: &mut Multipart,
        flags: SendFlags,
    ) -> std::result::Result<(), MultipartSendError> {
        if let Some(last) = msg.frames.back() {
            if let Err(error) = self.check_whole(msg.len(), last.len(), flags) {
                return Err(MultipartSendError { error, sent: 0 });
            }
        }
        let mut part = Part::FirstOfWhole;
        msg.send_frames(|frame, more| {
            let more = if more {
                SendFlags::SNDMORE
            } else {
                SendFlags::empty()
            };
            let sent = self.send_msg_part(frame, flags | more, part);
            part = Part::RestOfWhole;
            sent
        })
    }

    /// Receives one whole multipart message into `msg` (`zmq_msg_recv` per frame),
    /// replacing its frames and reusing their `Message`s and its frame list, so a
    /// receive loop allocates nothing in Rust. `flags` apply to the first frame (the
    /// others are queued once it has arrived: libzmq delivers whole messages). On
    /// error `msg` is left empty.
    ///
    /// ```
    /// let ctx = zmq::Context::new()?;
    /// let (a, b) = (ctx.socket(zmq::PAIR)?, ctx.socket(zmq::PAIR)?);
    /// a.bind("inproc://doc-recv-multipart")?;
    /// b.connect("inproc://doc-recv-multipart")?;
    /// let mut msg = zmq::Multipart::new();
    /// for n in 1..=3 {
    ///     a.send_multipart(std::iter::repeat("x").take(n), zmq::SendFlags::empty())?;
    ///     b.recv_multipart_msg(&mut msg, zmq::RecvFlags::empty())?;
    ///     assert_eq!(msg.len(), n);
    /// }
    /// # Ok::<(), zmq::Error>(())
    /// ```
    #[doc(alias = "zmq_msg_recv")]
    pub fn recv_multipart_msg(&self, msg: &mut Multipart, flags: RecvFlags) -> Result<()> {
        msg.recv_frames(|frame, _first| self.recv_msg(frame, flags).map(drop))
    }
}

impl fmt::Debug for Multipart {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries(self.frames.iter()).finish()
    }
}

impl Index<usize> for Multipart {
    type Output = Message;

    fn index(&self, index: usize) -> &Message {
        &self.frames[index]
    }
}

impl IndexMut<usize> for Multipart {
    fn index_mut(&mut self, index: usize) -> &mut Message {
        &mut self.frames[index]
    }
}

impl From<Message> for Multipart {
    fn from(frame: Message) -> Multipart {
        let mut msg = Multipart::with_capacity(1);
        msg.frames.push_back(frame);
        msg
    }
}

impl From<Vec<Message>> for Multipart {
    fn from(frames: Vec<Message>) -> Multipart {
        Multipart {
            frames: frames.into(),
        }
    }
}

impl From<VecDeque<Message>> for Multipart {
    fn from(frames: VecDeque<Message>) -> Multipart {
        Multipart { frames }
    }
}

impl From<Multipart> for Vec<Message> {
    fn from(msg: Multipart) -> Vec<Message> {
        msg.frames.into()
    }
}

impl<T: Into<Message>> FromIterator<T> for Multipart {
    fn from_iter<I: IntoIterator<Item = T>>(frames: I) -> Multipart {
        Multipart {
            frames: frames.into_iter().map(Into::into).collect(),
        }
    }
}

impl<T: Into<Message>> Extend<T> for Multipart {
    fn extend<I: IntoIterator<Item = T>>(&mut self, frames: I) {
        self.frames.extend(frames.into_iter().map(Into::into));
    }
}

impl IntoIterator for Multipart {
    type Item = Message;
    type IntoIter = vec_deque::IntoIter<Message>;

    fn into_iter(self) -> Self::IntoIter {
        self.frames.into_iter()
    }
}

impl<'a> IntoIterator for &'a Multipart {
    type Item = &'a Message;
    type IntoIter = vec_deque::Iter<'a, Message>;

    fn into_iter(self) -> Self::IntoIter {
        self.frames.iter()
    }
}

impl<'a> IntoIterator for &'a mut Multipart {
    type Item = &'a mut Message;
    type IntoIter = vec_deque::IterMut<'a, Message>;

    fn into_iter(self) -> Self::IntoIter {
        self.frames.iter_mut()
    }
}

/// Compares frame by frame with anything that lists byte strings: `["a", "b"]`,
/// `[b"a".to_vec()]`, a `Vec<&str>` ...
impl<T: AsRef<[u8]>, const N: usize> PartialEq<[T; N]> for Multipart {
    fn eq(&self, other: &[T; N]) -> bool {
        self.frames.len() == N
            && self
                .frames
                .iter()
                .zip(other)
                .all(|(f, o)| f[..] == *o.as_ref())
    }
}

impl<T: AsRef<[u8]>> PartialEq<[T]> for Multipart {
    fn eq(&self, other: &[T]) -> bool {
        self.frames.len() == other.len()
            && self
                .frames
                .iter()
                .zip(other)
                .all(|(f, o)| f[..] == *o.as_ref())
    }
}

impl<T: AsRef<[u8]>> PartialEq<Vec<T>> for Multipart {
    fn eq(&self, other: &Vec<T>) -> bool {
        *self == other[..]
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Context, SocketType};

    #[test]
    fn push_pop_and_envelopes() {
        let mut m = Multipart::new();
        assert!(m.is_empty());
        assert_eq!(m.unwrap(), None);
        m.push_back("body");
        m.wrap("client-a");
        assert_eq!(m, ["client-a", "", "body"]);
        m.push_front("hop");
        assert_eq!(m.len(), 4);
        assert_eq!(m.size(), 3 + 8 + 4);
        assert_eq!(m.pop_front().unwrap(), "hop");
        assert_eq!(m.unwrap().unwrap(), "client-a");
        assert_eq!(m, ["body"]);
        // No delimiter: only the address goes.
        m.push_front("dealer-id");
        assert_eq!(m.unwrap().unwrap(), "dealer-id");
        assert_eq!(m, ["body"]);
        assert_eq!(m.pop_back().unwrap(), "body");
        assert_eq!(m.pop_back(), None);
        let m: Multipart = ["a", "b"].into_iter().collect();
        assert_eq!(m.to_vecs(), [b"a".to_vec(), b"b".to_vec()]);
        assert_eq!(format!("{m:?}").matches("Message").count(), 2);
        assert_eq!(m, vec!["a", "b"]);
        assert_ne!(m, ["a"]);
        assert_ne!(m, ["a", "c"]);
    }

    #[test]
    fn recv_reuses_frames_and_truncates() {
        let ctx = Context::new().unwrap();
        let a = ctx.socket(SocketType::Pair).unwrap();
        a.bind("inproc://multipart-reuse").unwrap();
        let b = ctx.socket(SocketType::Pair).unwrap();
        b.connect("inproc://multipart-reuse").unwrap();
        let mut m = Multipart::new();
        for parts in [&["1", "2", "3"][..], &["x"], &["", "", ""], &["p", "q"]] {
            a.send_multipart(parts, SendFlags::empty()).unwrap();
            b.recv_multipart_msg(&mut m, RecvFlags::empty()).unwrap();
            assert_eq!(m, *parts);
        }
        assert_eq!(
            b.recv_multipart_msg(&mut m, RecvFlags::DONTWAIT),
            Err(Error::EAGAIN)
        );
        assert!(m.is_empty());
    }

    #[test]
    fn send_keeps_what_was_not_sent() {
        let ctx = Context::new().unwrap();
        let push = ctx.socket(SocketType::Push).unwrap();
        let mut m = Multipart::from_iter(["a", "b"]);
        let e = push
            .send_multipart_msg(&mut m, SendFlags::DONTWAIT)
            .unwrap_err();
        assert_eq!(
            e,
            MultipartSendError {
                error: Error::EAGAIN,
                sent: 0
            }
        );
        assert!(!e.is_partial());
        assert_eq!(m, ["a", "b"]);
        assert_eq!(Error::from(e), Error::EAGAIN);
        assert!(e.to_string().contains("not sent"));
        // Nothing to send: nothing happens.
        push.send_multipart_msg(&mut Multipart::new(), SendFlags::DONTWAIT)
            .unwrap();
    }
}
