//! Sockets (`zmq_socket`, `zmq_bind`, `zmq_send`, `zmq_msg_recv` ...) and their types and flags.

use std::ffi::{c_int, c_void};
use std::fmt;
use std::ptr::NonNull;

use crate::context::Context;
use crate::error::{c_string, cvt, cvt_ptr, Error, Result};
use crate::message::Message;

macro_rules! socket_types {
    ($( $(#[$doc:meta])* $variant:ident = $c:ident, $alias:ident; )*) => {
        /// The type of a socket (`ZMQ_REQ`, `ZMQ_PUB` ...): it fixes the messaging
        /// pattern. The porting aliases [`REQ`], [`PUB`] ... name the same values.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
        #[repr(i32)]
        #[non_exhaustive]
        pub enum SocketType {
            $( $(#[$doc])* $variant = zmq_sys::$c, )*
        }

        impl SocketType {
            /// Every socket type of this build.
            pub const ALL: &'static [SocketType] = &[$(SocketType::$variant),*];

            /// The C name, e.g. `"ZMQ_REQ"`.
            pub const fn name(self) -> &'static str {
                match self { $( SocketType::$variant => stringify!($c), )* }
            }
        }

        impl TryFrom<c_int> for SocketType {
            type Error = Error;

            /// The socket type with this `ZMQ_` number; `EINVAL` for any other.
            fn try_from(value: c_int) -> Result<SocketType> {
                $( if value == zmq_sys::$c { return Ok(SocketType::$variant); } )*
                Err(Error::EINVAL)
            }
        }

        $(
            #[doc = concat!("`", stringify!($c), "`: [`SocketType::", stringify!($variant), "`], for porting C code.")]
            pub const $alias: SocketType = SocketType::$variant;
        )*
    };
}

socket_types! {
    /// Exclusive pair (`ZMQ_PAIR`).
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

/// `ZMQ_SNDMORE`, for porting C code: `socket.send(part, zmq::SNDMORE)`.
pub const SNDMORE: SendFlags = SendFlags::SNDMORE;

/// A ZeroMQ socket (`zmq_socket`), closed (`zmq_close`) when dropped.
///
/// A socket may move to another thread (`Send`) but not be used from two threads
/// at once (`!Sync`): libzmq's classic sockets are not thread-safe. Each socket keeps
/// its [`Context`] alive.
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
    ptr: NonNull<c_void>,
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
            ctx: ctx.clone(),
        })
    }

    /// Wraps a raw socket.
    ///
    /// # Safety
    /// `ptr` must be a live socket returned by `zmq_socket` on `ctx`'s context, owned
    /// by nobody else (it will be closed when the returned `Socket` drops), not used
    /// by another thread.
    pub unsafe fn from_raw(ctx: Context, ptr: NonNull<c_void>) -> Socket {
        Socket { ptr, ctx }
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
        let endpoint = c_string(endpoint)?;
        // SAFETY: f is one of zmq_bind/connect/unbind/disconnect, called with our
        // live socket and a NUL-terminated string that outlives the call.
        cvt(unsafe { f(self.as_raw(), endpoint.as_ptr()) }).map(drop)
    }

    /// Accepts connections on an endpoint (`zmq_bind`), e.g. `tcp://127.0.0.1:5555`,
    /// `tcp://127.0.0.1:*` (an ephemeral port: read it back with
    /// [`Socket::get_last_endpoint`]), `ipc:///tmp/feed`, `inproc://name`.
    #[doc(alias = "zmq_bind")]
    pub fn bind(&self, endpoint: &str) -> Result<()> {
        self.endpoint_call(endpoint, zmq_sys::zmq_bind)
    }

    /// Connects to an endpoint (`zmq_connect`). The connection is made (and remade)
    /// in the background; messages queue meanwhile.
    #[doc(alias = "zmq_connect")]
    pub fn connect(&self, endpoint: &str) -> Result<()> {
        self.endpoint_call(endpoint, zmq_sys::zmq_connect)
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
    #[doc(alias = "zmq_send")]
    pub fn send(&self, data: impl AsRef<[u8]>, flags: SendFlags) -> Result<()> {
        let data = data.as_ref();
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
    /// keep it.
    #[doc(alias = "zmq_msg_send")]
    pub fn send_msg(&self, msg: &mut Message, flags: SendFlags) -> Result<()> {
        // SAFETY: our live socket and an initialised message that we own mutably;
        // zmq_msg_send either takes the content (re-initialising msg as empty) or
        // leaves msg untouched on failure.
        cvt(unsafe { zmq_sys::zmq_msg_send(msg.as_mut_ptr(), self.as_raw(), flags.bits()) })
            .map(drop)
    }

    /// Sends the frames of one multipart message, copying each (`ZMQ_SNDMORE` on
    /// all but the last). `flags` apply to every frame (`SNDMORE` on the last one
    /// too, if given, to continue the message in another call).
    pub fn send_multipart<I>(&self, parts: I, flags: SendFlags) -> Result<()>
    where
        I: IntoIterator,
        I::Item: AsRef<[u8]>,
    {
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

    /// Receives one frame into `msg` (`zmq_msg_recv`), replacing its content, and
    /// returns its size. Reusing one `Message` allocates nothing for small frames.
    #[doc(alias = "zmq_msg_recv")]
    pub fn recv_msg(&self, msg: &mut Message, flags: RecvFlags) -> Result<usize> {
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
    /// and the rest of the frame is gone (as in C).
    #[doc(alias = "zmq_recv")]
    pub fn recv_into(&self, buf: &mut [u8], flags: RecvFlags) -> Result<usize> {
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

    /// Receives every frame of one multipart message. `flags` apply to the first
    /// frame; the others are already queued once the first has arrived.
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
