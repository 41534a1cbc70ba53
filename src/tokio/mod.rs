//! Async sockets for tokio (feature `tokio`, Unix): [`AsyncSocket`], its
//! [`RecvHalf`] and [`SendHalf`], `Stream` and `Sink` impls.
//!
//! An [`AsyncSocket`] owns a [`Socket`](crate::Socket) and registers the
//! socket's `ZMQ_FD` with tokio's reactor (`tokio::io::unix::AsyncFd`). Its
//! futures borrow it mutably, never as a shared `&Socket`, so they are `Send`
//! and run in `tokio::spawn`ed tasks on the multi-threaded runtime; to receive
//! and send from two tasks at once, [`split`](AsyncSocket::split) it.
//!
//! ```
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! use futures_util::{SinkExt, StreamExt};
//! use zmq::tokio::AsyncSocket;
//! use zmq::Multipart;
//!
//! let ctx = zmq::Context::new()?;
//! let mut pull = AsyncSocket::new(ctx.socket(zmq::PULL)?)?;
//! pull.bind("tcp://127.0.0.1:*")?;
//! let endpoint = pull.socket().get_last_endpoint()?;
//!
//! // A producer task; `send_multipart` hands every frame over without a copy.
//! let producer = tokio::spawn(async move {
//!     let mut push = AsyncSocket::new(ctx.socket(zmq::PUSH)?)?;
//!     push.connect(&endpoint)?;
//!     for n in 0..10u32 {
//!         let mut msg = Multipart::from_iter([b"job".to_vec(), n.to_be_bytes().to_vec()]);
//!         push.send_multipart(&mut msg).await?;
//!     }
//!     // Or through the Sink: SinkExt::send.
//!     SinkExt::send(&mut push, Multipart::from_iter(["done"])).await?;
//!     Ok::<_, Box<dyn std::error::Error + Send + Sync>>(())
//! });
//!
//! // The consumer reads a Stream of whole messages, with a deadline on each.
//! let mut jobs = 0;
//! loop {
//!     let next = tokio::time::timeout(std::time::Duration::from_secs(10), pull.next());
//!     let msg = next.await?.expect("the stream ends only after ETERM")?;
//!     if msg == ["done"] {
//!         break;
//!     }
//!     assert_eq!(msg[0], "job");
//!     jobs += 1;
//! }
//! assert_eq!(jobs, 10);
//! producer.await?.unwrap();
//! # Ok(())
//! # }
//! ```
//!
//! # Cancellation
//!
//! Every future of this module is cancel-safe: drop it before it completes (a
//! `tokio::select!` branch that lost, a `tokio::time::timeout` that expired) and
//! nothing happened.
//!
//! * A receive takes its frame (or all the frames of a multipart message) from
//!   libzmq in the very poll that completes the future, so a dropped receive
//!   took nothing: the message is still queued for the next one.
//! * A send hands its frame (or all the frames of a multipart message) to libzmq
//!   in the poll that completes the future; a dropped send sent nothing, and the
//!   caller still holds the [`Message`](crate::Message) or
//!   [`Multipart`](crate::Multipart) it lent. A multipart message is sent whole
//!   or not at all: libzmq's high-water mark counts whole messages, so only the
//!   first frame can be refused for lack of room.
//!
//! # Timeouts, shutdown, drop
//!
//! The socket options `RCVTIMEO` and `SNDTIMEO` do not apply: every libzmq call
//! made here is non-blocking (`ZMQ_DONTWAIT`). The async form of a receive
//! timeout is `tokio::time::timeout(limit, socket.recv_msg(&mut msg))`, safe
//! because the receive is cancel-safe; the same holds for sends.
//!
//! [`Context::shutdown`](crate::Context::shutdown) wakes every pending future of
//! the context's sockets, which then end with `ETERM` (the `Stream` ends after
//! yielding it). Dropping an `AsyncSocket` (or its last half) deregisters the
//! descriptor from tokio first, then closes the socket (`zmq_close`), because
//! once closed, libzmq may close the descriptor and the number be reused.
//!
//! # How the edge-triggered descriptor is handled
//!
//! `ZMQ_FD` signals "the socket has commands to process", not "a message is
//! there", and only on a change: any libzmq call on the socket can consume the
//! signal, and messages can be ready with no new signal. The rules this module
//! follows (each one prevents a lost wake-up seen in other async wrappers):
//!
//! 1. Always try the operation first, never wait on the descriptor first.
//! 2. After a "would block", read `ZMQ_EVENTS` (which processes all pending
//!    commands; a non-blocking send processes them at most once per
//!    millisecond), and only sleep when it shows the wanted flag absent. (A
//!    receive's `EAGAIN` is such a reading already: libzmq's non-blocking
//!    receive processes every pending command and tries again before failing.)
//! 3. Before sleeping, clear tokio's readiness only after that check, and check
//!    again after clearing: an edge between the check and the clear would be
//!    lost otherwise.
//! 4. One descriptor serves both directions: the reactor wakes both the
//!    receiving and the sending task, and every libzmq call made while the other
//!    direction waits (including those made through [`SocketRef`]) is followed by
//!    a `ZMQ_EVENTS` read that wakes it when its flag is there.
//! 5. A flag that shows but whose operation still would block (a ROUTER with
//!    `ROUTER_MANDATORY` and one full peer) makes the task wait for the next edge
//!    instead of spinning.
//!
//! The socket is locked (a `std::sync::Mutex`) only around these non-blocking
//! calls; the tasks of the two halves never hold it across an `.await`.
//!
//! # Speed, and the opt-in receive spin
//!
//! A message that is already there costs about 60 instructions more per
//! operation than the blocking API (the future and the readiness bookkeeping),
//! and no allocation. A receive that has to wait costs more than a blocking
//! wait: tokio's `epoll_wait` and wake-up path, and libzmq's own `poll(0)` on
//! each non-blocking try. Over tcp, libzmq's I/O thread hides the difference
//! (async and blocking latency are equal there); over inproc, where a wait is
//! most of the work, it shows (the README's performance table). When latency
//! matters more than CPU time, [`AsyncSocket::set_recv_spin`] keeps a receive
//! that finds nothing runnable for a while, retrying as the runtime polls it
//! (other tasks run in between), before it sleeps.
//!
//! # Not covered
//!
//! * **Windows:** tokio's `AsyncFd` exists on Unix only, so the `tokio` feature
//!   does not compile on Windows (a `compile_error!` says so). On Windows, run
//!   the blocking API on a thread of its own (`std::thread::spawn`, or
//!   `tokio::task::spawn_blocking` for short calls) and talk to it through a
//!   `tokio::sync::mpsc` channel, or poll with [`poll`](crate::poll) and a
//!   timeout from a blocking task.
//! * **Thread-safe draft sockets** (SERVER, CLIENT, RADIO, DISH, GATHER, SCATTER,
//!   PEER, CHANNEL) have no `ZMQ_FD`: [`AsyncSocket::new`] refuses them (the
//!   error is libzmq's `EINVAL`). libzmq's `zmq_poller_fd` gives a descriptor
//!   for them, but only a `zmq_poller_wait` drains it, so it is not edge-style
//!   and would need a poller call per wait; use a blocking thread for them.
//! * **Frame-by-frame sends** (`SNDMORE` across awaits) are not offered: a
//!   multipart message is sent with [`AsyncSocket::send_multipart`], whole.

#[cfg(not(unix))]
compile_error!(
    "zmq's `tokio` feature needs tokio::io::unix::AsyncFd, which exists on Unix only. \
     On Windows, use the blocking API on a thread of its own (see the zmq::tokio docs)."
);

mod readiness;
mod socket;
mod split;
mod stream;

pub use socket::{AsyncSocket, SocketRef};
pub use split::{RecvHalf, SendHalf};

/// Keeps the async layer's `Send`/`Sync` promises honest.
///
/// The futures of an [`AsyncSocket`] are `Send`, so a spawned task can own the
/// socket on the multi-threaded runtime, and so are the sockets and halves
/// (moved between tasks; they need not be `Sync`, since every operation takes
/// them by `&mut`):
/// ```
/// fn is_send<T: Send>(_: &T) {}
/// fn is_send_type<T: Send>() {}
/// is_send_type::<zmq::tokio::AsyncSocket>();
/// is_send_type::<zmq::tokio::RecvHalf>();
/// is_send_type::<zmq::tokio::SendHalf>();
/// let rt = tokio::runtime::Builder::new_multi_thread().enable_all().build().unwrap();
/// rt.block_on(async {
///     let ctx = zmq::Context::new().unwrap();
///     let mut s = zmq::tokio::AsyncSocket::new(ctx.socket(zmq::PULL).unwrap()).unwrap();
///     let mut msg = zmq::Message::new();
///     let mut parts = zmq::Multipart::new();
///     is_send(&s.recv_msg(&mut msg));
///     is_send(&s.recv_multipart(&mut parts));
///     is_send(&s.send("x"));
///     let task = tokio::spawn(async move { s.recv_message().await });
///     task.abort();
/// });
/// ```
/// What the incumbent wrappers do, holding a `&Socket` across an `.await`, is
/// not `Send` (`Socket` is not `Sync`), so such a future cannot be spawned:
/// ```compile_fail,E0277
/// let ctx = zmq::Context::new().unwrap();
/// let socket = ctx.socket(zmq::PULL).unwrap();
/// fn is_send<T: Send>(_: T) {}
/// is_send(async move {
///     let s = &socket;
///     std::future::ready(()).await;
///     s.recv_bytes(zmq::RecvFlags::DONTWAIT)
/// });
/// ```
/// The socket lent by [`AsyncSocket::socket`] cannot be held across an `.await`
/// in a `Send` future (it holds the lock):
/// ```compile_fail,E0277
/// fn is_send<T: Send>(_: T) {}
/// let ctx = zmq::Context::new().unwrap();
/// let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
/// let _guard = rt.enter();
/// let s = zmq::tokio::AsyncSocket::new(ctx.socket(zmq::PULL).unwrap()).unwrap();
/// is_send(async move {
///     let locked = s.socket();
///     std::future::ready(()).await;
///     locked.get_rcvhwm()
/// });
/// ```
/// Two receives of one socket cannot be pending at once (each borrows it
/// mutably); split it, or use one task:
/// ```compile_fail,E0499
/// async fn twice(s: &mut zmq::tokio::AsyncSocket) {
///     let (mut a, mut b) = (zmq::Message::new(), zmq::Message::new());
///     let first = s.recv_msg(&mut a);
///     let second = s.recv_msg(&mut b);
///     let _ = (first.await, second.await);
/// }
/// ```
/// A message lent to a pending send cannot be touched until the send is done or
/// dropped:
/// ```compile_fail,E0502
/// async fn lent(s: &mut zmq::tokio::AsyncSocket) {
///     let mut msg = zmq::Message::from("x");
///     let sending = s.send_msg(&mut msg);
///     println!("{}", msg.len());
///     let _ = sending.await;
/// }
/// ```
/// A receiving half cannot send, a sending half cannot receive:
/// ```compile_fail,E0599
/// async fn wrong_way(rx: &mut zmq::tokio::RecvHalf) {
///     let _ = rx.send("x").await;
/// }
/// ```
/// ```compile_fail,E0599
/// async fn wrong_way(tx: &mut zmq::tokio::SendHalf) {
///     let _ = tx.recv_bytes().await;
/// }
/// ```
#[cfg(doctest)]
pub struct AsyncSafetyProofs;
