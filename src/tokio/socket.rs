//! [`AsyncSocket`]: a [`Socket`] owned by the async layer, its operations as
//! `Send` futures.

use std::fmt;
use std::ops::Deref;
use std::sync::{Arc, MutexGuard};

use super::readiness::{Core, Readiness, Ticks};
use super::split::{RecvHalf, SendHalf};
use crate::error::Result;
use crate::multipart::Multipart;
use crate::socket::Socket;

/// The non-blocking operations, each one poll of [`Readiness::poll_op`]: it
/// completes within the poll that returns `Ready`, or nothing happened.
pub(crate) mod ops {
    use std::task::{Context, Poll};

    use super::super::readiness::{Access, Direction, Ticks};
    use crate::error::Result;
    use crate::message::Message;
    use crate::multipart::{Multipart, MultipartSendError};
    use crate::socket::{RecvFlags, SendFlags};

    #[inline]
    pub(crate) fn poll_send(
        core: &mut impl Access,
        ticks: &mut Ticks,
        cx: &mut Context<'_>,
        data: &[u8],
    ) -> Poll<Result<()>> {
        core.with_socket(|r, socket| {
            r.poll_op(socket, ticks, cx, Direction::Send, |s| {
                s.send(data, SendFlags::DONTWAIT)
            })
        })
    }

    #[inline]
    pub(crate) fn poll_send_msg(
        core: &mut impl Access,
        ticks: &mut Ticks,
        cx: &mut Context<'_>,
        msg: &mut Message,
    ) -> Poll<Result<()>> {
        core.with_socket(|r, socket| {
            r.poll_op(socket, ticks, cx, Direction::Send, |s| {
                s.send_msg(msg, SendFlags::DONTWAIT)
            })
        })
    }

    #[inline]
    pub(crate) fn poll_send_multipart(
        core: &mut impl Access,
        ticks: &mut Ticks,
        cx: &mut Context<'_>,
        msg: &mut Multipart,
    ) -> Poll<std::result::Result<(), MultipartSendError>> {
        // The first frame is the only one the high-water mark can refuse (libzmq
        // counts whole messages), so `EAGAIN` there leaves the message whole and
        // unsent, and once it is accepted the others follow in the same poll.
        core.with_socket(|r, socket| {
            r.poll_op(socket, ticks, cx, Direction::Send, |s| {
                s.send_multipart_msg(msg, SendFlags::DONTWAIT)
            })
        })
    }

    #[inline]
    pub(crate) fn poll_recv_msg(
        core: &mut impl Access,
        ticks: &mut Ticks,
        cx: &mut Context<'_>,
        msg: &mut Message,
    ) -> Poll<Result<usize>> {
        core.with_socket(|r, socket| {
            r.poll_op(socket, ticks, cx, Direction::Recv, |s| {
                s.recv_msg(msg, RecvFlags::DONTWAIT)
            })
        })
    }

    #[inline]
    pub(crate) fn poll_recv_into(
        core: &mut impl Access,
        ticks: &mut Ticks,
        cx: &mut Context<'_>,
        buf: &mut [u8],
    ) -> Poll<Result<usize>> {
        core.with_socket(|r, socket| {
            r.poll_op(socket, ticks, cx, Direction::Recv, |s| {
                s.recv_into(buf, RecvFlags::DONTWAIT)
            })
        })
    }

    #[inline]
    pub(crate) fn poll_recv_multipart(
        core: &mut impl Access,
        ticks: &mut Ticks,
        cx: &mut Context<'_>,
        msg: &mut Multipart,
    ) -> Poll<Result<()>> {
        // Every frame in one synchronous loop: once the first is in, libzmq has the
        // whole message (a pipe publishes messages at their last frame).
        core.with_socket(|r, socket| {
            r.poll_op(socket, ticks, cx, Direction::Recv, |s| {
                s.recv_multipart_msg(msg, RecvFlags::DONTWAIT)
            })
        })
    }
}

impl Core {
    pub(crate) fn socket_ref(&self) -> SocketRef<'_> {
        SocketRef {
            readiness: &self.readiness,
            socket: Some(self.lock()),
        }
    }
}

/// Generates the receiving methods, with their docs, on a type holding
/// `core` (a `Core` or an `Arc<Core>`).
macro_rules! recv_methods {
    () => {
        /// Receives one frame into `msg` (`zmq_msg_recv`), replacing its content,
        /// and returns its size; [`Message::more`](crate::Message::more) tells
        /// whether more frames of the same message follow. Reusing one `Message`
        /// allocates nothing.
        ///
        /// **Cancel-safe:** the frame is taken from libzmq in the same poll that
        /// completes the future, so a future dropped before completion (a
        /// `select!` branch that lost, a `timeout`) took nothing: the frame stays
        /// queued for the next receive. (`msg` may be left empty.)
        #[doc(alias = "zmq_msg_recv")]
        pub fn recv_msg<'a>(
            &'a mut self,
            msg: &'a mut crate::Message,
        ) -> impl std::future::Future<Output = crate::Result<usize>> + Send + 'a {
            let core = &mut self.core;
            let ticks = &mut self.ticks;
            std::future::poll_fn(move |cx| {
                $crate::tokio::socket::ops::poll_recv_msg(core, ticks, cx, msg)
            })
        }

        /// Receives one frame as a new [`Message`](crate::Message). Cancel-safe,
        /// like [`recv_msg`](Self::recv_msg).
        pub async fn recv_message(&mut self) -> crate::Result<crate::Message> {
            let mut msg = crate::Message::new();
            self.recv_msg(&mut msg).await?;
            Ok(msg)
        }

        /// Receives one frame into `buf` (`zmq_recv`) and returns the frame's full
        /// size: when it is larger than `buf`, only `buf.len()` bytes were stored
        /// and the rest of the frame is gone (as in C). Cancel-safe, like
        /// [`recv_msg`](Self::recv_msg).
        #[doc(alias = "zmq_recv")]
        pub fn recv_into<'a>(
            &'a mut self,
            buf: &'a mut [u8],
        ) -> impl std::future::Future<Output = crate::Result<usize>> + Send + 'a {
            let core = &mut self.core;
            let ticks = &mut self.ticks;
            std::future::poll_fn(move |cx| {
                $crate::tokio::socket::ops::poll_recv_into(core, ticks, cx, buf)
            })
        }

        /// Receives one frame as a `Vec<u8>` (a copy). Cancel-safe, like
        /// [`recv_msg`](Self::recv_msg).
        pub async fn recv_bytes(&mut self) -> crate::Result<Vec<u8>> {
            self.recv_message().await.map(|m| m.to_vec())
        }

        /// Receives one whole multipart message into `msg`, replacing its frames
        /// and reusing their storage (see
        /// [`Socket::recv_multipart_msg`](crate::Socket::recv_multipart_msg)).
        ///
        /// **Cancel-safe:** all the frames are taken in the poll that completes
        /// the future (libzmq holds a message's frames together once its first
        /// is there), so a dropped future took none of them. On error or
        /// cancellation `msg` may be left empty.
        pub fn recv_multipart<'a>(
            &'a mut self,
            msg: &'a mut crate::Multipart,
        ) -> impl std::future::Future<Output = crate::Result<()>> + Send + 'a {
            let core = &mut self.core;
            let ticks = &mut self.ticks;
            std::future::poll_fn(move |cx| {
                $crate::tokio::socket::ops::poll_recv_multipart(core, ticks, cx, msg)
            })
        }

        /// Makes every receive that finds nothing stay runnable for up to
        /// `spin`, trying again each time the runtime polls it, before it sleeps
        /// on the socket's descriptor. [`Duration::ZERO`](std::time::Duration::ZERO)
        /// (the default) turns it off. The async form of
        /// [`Socket::recv_msg_spin`](crate::Socket::recv_msg_spin): latency for
        /// CPU time.
        ///
        /// A receive that sleeps costs a wake-up of the thread when its message
        /// comes (tens of microseconds on an idle virtual machine); one that
        /// spins finds the message within a few microseconds, but keeps a core
        /// busy meanwhile. The spinning task yields to the runtime between tries
        /// (it never blocks the runtime's thread: other tasks run in between),
        /// and the thread yields its core (`sched_yield`, which returns at once
        /// when no other thread wants it), so a spin costs CPU time, not
        /// progress. It pays only with a core to spare
        /// for each spinning task beside libzmq's I/O threads; on a loaded or
        /// shared host, on battery, or with more spinning tasks than cores, it
        /// slows everything down. Cancel-safety is unchanged: each try takes a
        /// frame only in the poll that completes the future.
        ///
        /// ```
        /// # #[tokio::main(flavor = "current_thread")]
        /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
        /// use std::time::Duration;
        /// let ctx = zmq::Context::new()?;
        /// let mut rx = zmq::tokio::AsyncSocket::new(ctx.socket(zmq::PULL)?)?;
        /// rx.bind("inproc://spin-doc")?;
        /// rx.set_recv_spin(Duration::from_micros(50));
        /// assert_eq!(rx.recv_spin(), Duration::from_micros(50));
        /// let mut tx = zmq::tokio::AsyncSocket::new(ctx.socket(zmq::PUSH)?)?;
        /// tx.connect("inproc://spin-doc")?;
        /// tx.send("quick").await?;
        /// assert_eq!(rx.recv_bytes().await?, b"quick");
        /// # Ok(())
        /// # }
        /// ```
        pub fn set_recv_spin(&mut self, spin: std::time::Duration) {
            self.ticks.recv_spin = spin;
        }

        /// The receive spin set by [`set_recv_spin`](Self::set_recv_spin).
        pub fn recv_spin(&self) -> std::time::Duration {
            self.ticks.recv_spin
        }

        /// The poll form of [`recv_msg`](Self::recv_msg), for hand-written
        /// futures and streams: `Ready` with the frame in `msg`, or `Pending` with
        /// nothing taken and `cx`'s waker registered.
        pub fn poll_recv_msg(
            &mut self,
            cx: &mut std::task::Context<'_>,
            msg: &mut crate::Message,
        ) -> std::task::Poll<crate::Result<usize>> {
            $crate::tokio::socket::ops::poll_recv_msg(&mut self.core, &mut self.ticks, cx, msg)
        }

        /// The poll form of [`recv_multipart`](Self::recv_multipart).
        pub fn poll_recv_multipart(
            &mut self,
            cx: &mut std::task::Context<'_>,
            msg: &mut crate::Multipart,
        ) -> std::task::Poll<crate::Result<()>> {
            $crate::tokio::socket::ops::poll_recv_multipart(
                &mut self.core,
                &mut self.ticks,
                cx,
                msg,
            )
        }
    };
}

/// Generates the sending methods, with their docs, on a type holding
/// `core` (a `Core` or an `Arc<Core>`).
macro_rules! send_methods {
    () => {
        /// Sends one frame, copying `data` (`zmq_send`).
        ///
        /// **Cancel-safe:** the frame is handed to libzmq in the poll that
        /// completes the future; a future dropped before completion sent nothing
        /// (the caller still has `data`).
        #[doc(alias = "zmq_send")]
        pub async fn send(&mut self, data: impl AsRef<[u8]>) -> crate::Result<()> {
            let core = &mut self.core;
            let ticks = &mut self.ticks;
            let data = data.as_ref();
            std::future::poll_fn(|cx| $crate::tokio::socket::ops::poll_send(core, ticks, cx, data))
                .await
        }

        /// Sends a message without copying (`zmq_msg_send`); on success `msg` is
        /// left empty, ready for reuse.
        ///
        /// **Cancel-safe:** a future dropped before completion sent nothing and
        /// `msg` still holds the message; on error too.
        #[doc(alias = "zmq_msg_send")]
        pub fn send_msg<'a>(
            &'a mut self,
            msg: &'a mut crate::Message,
        ) -> impl std::future::Future<Output = crate::Result<()>> + Send + 'a {
            let core = &mut self.core;
            let ticks = &mut self.ticks;
            std::future::poll_fn(move |cx| {
                $crate::tokio::socket::ops::poll_send_msg(core, ticks, cx, msg)
            })
        }

        /// Sends a whole multipart message without copying; on success `msg` is
        /// left empty, keeping its room for reuse. It waits until the socket can
        /// take the message (its first frame: libzmq's high-water mark counts whole
        /// messages), then hands every frame over in the same poll, so the message
        /// is sent whole or not at all.
        ///
        /// **Cancel-safe:** a future dropped before completion sent nothing and
        /// `msg` is untouched. On error `msg` holds the frames not sent; the
        /// [`MultipartSendError`](crate::MultipartSendError) says how many went
        /// (none, unless libzmq cut the message, see its docs).
        pub fn send_multipart<'a>(
            &'a mut self,
            msg: &'a mut crate::Multipart,
        ) -> impl std::future::Future<Output = std::result::Result<(), crate::MultipartSendError>>
               + Send
               + 'a {
            let core = &mut self.core;
            let ticks = &mut self.ticks;
            std::future::poll_fn(move |cx| {
                $crate::tokio::socket::ops::poll_send_multipart(core, ticks, cx, msg)
            })
        }

        /// The poll form of [`send_msg`](Self::send_msg): `Ready` once sent (or
        /// failed), `Pending` with nothing sent and `cx`'s waker registered.
        pub fn poll_send_msg(
            &mut self,
            cx: &mut std::task::Context<'_>,
            msg: &mut crate::Message,
        ) -> std::task::Poll<crate::Result<()>> {
            $crate::tokio::socket::ops::poll_send_msg(&mut self.core, &mut self.ticks, cx, msg)
        }

        /// The poll form of [`send_multipart`](Self::send_multipart).
        pub fn poll_send_multipart(
            &mut self,
            cx: &mut std::task::Context<'_>,
            msg: &mut crate::Multipart,
        ) -> std::task::Poll<std::result::Result<(), crate::MultipartSendError>> {
            $crate::tokio::socket::ops::poll_send_multipart(
                &mut self.core,
                &mut self.ticks,
                cx,
                msg,
            )
        }
    };
}

pub(crate) use {recv_methods, send_methods};

/// A ZeroMQ socket for tokio: it owns a [`Socket`], registers its `ZMQ_FD` with
/// tokio's reactor, and offers its sends and receives as futures that are `Send`
/// (they borrow the `AsyncSocket` mutably, never a shared `&Socket`), so they run
/// in `tokio::spawn`ed tasks on the multi-threaded runtime.
///
/// * Frames: [`send`](Self::send), [`send_msg`](Self::send_msg),
///   [`recv_msg`](Self::recv_msg), [`recv_message`](Self::recv_message),
///   [`recv_into`](Self::recv_into), [`recv_bytes`](Self::recv_bytes).
/// * Whole messages: [`send_multipart`](Self::send_multipart) and
///   [`recv_multipart`](Self::recv_multipart) with a reusable [`Multipart`].
/// * `futures`: a `Stream` of received [`Multipart`] messages and a
///   `Sink<Multipart>`.
/// * Two tasks at once: [`split`](Self::split) into a [`RecvHalf`] and a
///   [`SendHalf`] (DEALER, ROUTER, PAIR ...).
/// * Everything else (options, `bind`, `connect`, monitors ...):
///   [`socket`](Self::socket) lends the [`Socket`].
///
/// Every operation is cancel-safe (see each method, and the [module
/// docs](super)): a future dropped before it completes has taken or sent
/// nothing. The socket's `RCVTIMEO`/`SNDTIMEO` do not apply (every call is
/// non-blocking); put a `tokio::time::timeout` around the future instead.
/// When the context is shut down ([`Context::shutdown`](crate::Context::shutdown)),
/// pending and later operations end with `ETERM`.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// use zmq::tokio::AsyncSocket;
/// let ctx = zmq::Context::new()?;
/// let mut server = AsyncSocket::new(ctx.socket(zmq::REP)?)?;
/// server.bind("tcp://127.0.0.1:*")?;
/// let endpoint = server.socket().get_last_endpoint()?;
///
/// // The server runs in a spawned task: its futures are Send.
/// let served = tokio::spawn(async move {
///     let mut request = zmq::Message::new();
///     server.recv_msg(&mut request).await?;
///     server.send_msg(&mut request).await // echo it, no copy
/// });
///
/// let mut client = AsyncSocket::new(ctx.socket(zmq::REQ)?)?;
/// client.connect(&endpoint)?;
/// client.send("ping").await?;
/// assert_eq!(client.recv_bytes().await?, b"ping");
/// served.await??;
/// # Ok(())
/// # }
/// ```
pub struct AsyncSocket {
    pub(super) core: Core,
    pub(super) ticks: Ticks,
    /// The message a `Sink` send holds until it is flushed.
    pub(super) sink_pending: Option<Multipart>,
    /// Set once the `Stream` has reported `ETERM`: it ends after that.
    pub(super) stream_done: bool,
}

impl AsyncSocket {
    /// Registers `socket` with the tokio runtime of the calling context.
    ///
    /// Fails (and closes the socket) when there is no runtime, when the runtime has
    /// no I/O driver (`enable_io`), and when libzmq gives no `ZMQ_FD`: the
    /// thread-safe draft types (SERVER, CLIENT, RADIO, DISH ...) have none, and a
    /// terminated context gives `ETERM`.
    pub fn new(socket: Socket) -> std::io::Result<AsyncSocket> {
        let core = Core::new(socket).map_err(std::io::Error::from)?;
        Ok(AsyncSocket::from_core(core))
    }

    pub(super) fn from_core(core: Core) -> AsyncSocket {
        AsyncSocket {
            core,
            ticks: Ticks::default(),
            sink_pending: None,
            stream_done: false,
        }
    }

    /// The socket, for everything this type does not wrap: options, `bind`,
    /// `connect`, `get_last_endpoint`, monitors ... It is locked while the
    /// [`SocketRef`] lives, so keep that short; the `SocketRef` is not `Send`, so it
    /// cannot be held across an `.await` in a spawned task. Its blocking calls
    /// (`recv_msg` without `DONTWAIT` ...) would block the runtime's thread: use
    /// this type's async methods for sending and receiving.
    pub fn socket(&self) -> SocketRef<'_> {
        self.core.socket_ref()
    }

    /// [`Socket::bind`] on the owned socket.
    #[doc(alias = "zmq_bind")]
    pub fn bind(&self, endpoint: &str) -> Result<()> {
        self.socket().bind(endpoint)
    }

    /// [`Socket::connect`] on the owned socket.
    #[doc(alias = "zmq_connect")]
    pub fn connect(&self, endpoint: &str) -> Result<()> {
        self.socket().connect(endpoint)
    }

    recv_methods!();
    send_methods!();

    /// Splits the socket into a receiving and a sending half that two tasks can
    /// use at the same time (they share the socket behind a lock held only for
    /// each non-blocking libzmq call). [`RecvHalf::reunite`] puts them back.
    pub fn split(self) -> (RecvHalf, SendHalf) {
        let AsyncSocket {
            core,
            sink_pending,
            stream_done,
            ticks,
        } = self;
        let core = Arc::new(core);
        (
            RecvHalf::new(Arc::clone(&core), stream_done, ticks.recv_spin),
            SendHalf::new(core, sink_pending),
        )
    }

    /// Deregisters the socket from tokio and gives it back.
    pub fn into_socket(self) -> Socket {
        self.core.into_socket()
    }
}

impl fmt::Debug for AsyncSocket {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AsyncSocket")
            .field("socket", &*self.socket())
            .finish()
    }
}

/// The [`Socket`] of an [`AsyncSocket`] (or of one of its halves), locked for as
/// long as this lives ([`AsyncSocket::socket`]). Not `Send`.
///
/// When it is dropped, the tasks waiting on the socket are checked again:
/// any libzmq call can consume the edge of the socket's descriptor that they are
/// waiting for (see the [module docs](super)).
pub struct SocketRef<'a> {
    readiness: &'a Readiness,
    // Always Some until drop.
    socket: Option<MutexGuard<'a, Socket>>,
}

impl Deref for SocketRef<'_> {
    type Target = Socket;

    fn deref(&self) -> &Socket {
        match &self.socket {
            Some(guard) => guard,
            None => unreachable!("the guard is only taken in drop"),
        }
    }
}

impl Drop for SocketRef<'_> {
    fn drop(&mut self) {
        if let Some(guard) = self.socket.take() {
            self.readiness.recheck_waiters(&guard);
        }
    }
}

impl fmt::Debug for SocketRef<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&**self, f)
    }
}
