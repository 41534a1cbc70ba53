//! The two halves of a split [`AsyncSocket`]: one task receives while another
//! sends, on the same socket.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use super::readiness::{Core, Ticks};
use super::socket::{recv_methods, send_methods, AsyncSocket, SocketRef};
use crate::multipart::Multipart;

/// The receiving half of an [`AsyncSocket`] ([`AsyncSocket::split`]): the
/// receive methods, and a `Stream` of received [`Multipart`] messages.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// use zmq::tokio::AsyncSocket;
/// use zmq::Multipart;
/// let ctx = zmq::Context::new()?;
/// let router = AsyncSocket::new(ctx.socket(zmq::ROUTER)?)?;
/// router.bind("inproc://doc-split")?;
/// let mut dealer = AsyncSocket::new(ctx.socket(zmq::DEALER)?)?;
/// dealer.connect("inproc://doc-split")?;
///
/// // The router answers in a task of its own, reading and writing from two tasks.
/// let (mut rx, mut tx) = router.split();
/// let (to_writer, mut from_reader) = tokio::sync::mpsc::channel::<Multipart>(16);
/// let reader = tokio::spawn(async move {
///     let mut msg = Multipart::new();
///     for _ in 0..3 {
///         rx.recv_multipart(&mut msg).await?;
///         to_writer.send(std::mem::take(&mut msg)).await.unwrap();
///     }
///     Ok::<_, zmq::Error>(rx)
/// });
/// let writer = tokio::spawn(async move {
///     while let Some(mut msg) = from_reader.recv().await {
///         tx.send_multipart(&mut msg).await?; // [dealer id, body]: echoed
///     }
///     Ok::<_, zmq::Error>(tx)
/// });
///
/// for n in 0..3 {
///     dealer.send(format!("job {n}")).await?;
/// }
/// for n in 0..3 {
///     assert_eq!(dealer.recv_bytes().await?, format!("job {n}").as_bytes());
/// }
/// let rx = reader.await??;
/// let tx = writer.await??;
/// let _router: AsyncSocket = rx.reunite(tx).expect("halves of one socket");
/// # Ok(())
/// # }
/// ```
pub struct RecvHalf {
    pub(super) core: Arc<Core>,
    pub(super) ticks: Ticks,
    pub(super) stream_done: bool,
}

/// The sending half of an [`AsyncSocket`] ([`AsyncSocket::split`]): the send
/// methods, and a `Sink` of [`Multipart`] messages.
pub struct SendHalf {
    pub(super) core: Arc<Core>,
    pub(super) ticks: Ticks,
    pub(super) sink_pending: Option<Multipart>,
}

impl RecvHalf {
    pub(super) fn new(core: Arc<Core>, stream_done: bool, recv_spin: Duration) -> RecvHalf {
        let mut ticks = Ticks::default();
        ticks.recv_spin = recv_spin;
        RecvHalf {
            core,
            ticks,
            stream_done,
        }
    }

    recv_methods!();

    /// The shared socket, locked (see [`AsyncSocket::socket`]).
    pub fn socket(&self) -> SocketRef<'_> {
        self.core.socket_ref()
    }

    /// Whether `send` is the other half of the same socket.
    pub fn is_pair_of(&self, send: &SendHalf) -> bool {
        Arc::ptr_eq(&self.core, &send.core)
    }

    /// Puts the two halves of one socket back together; gives them back unchanged
    /// when they are halves of different sockets.
    #[allow(clippy::result_large_err)]
    pub fn reunite(self, send: SendHalf) -> Result<AsyncSocket, (RecvHalf, SendHalf)> {
        if !self.is_pair_of(&send) {
            return Err((self, send));
        }
        let SendHalf {
            core, sink_pending, ..
        } = send;
        drop(core);
        let core = match Arc::try_unwrap(self.core) {
            Ok(core) => core,
            // The halves are made from one AsyncSocket and never cloned: with
            // the other one dropped just above, this one is the last owner.
            Err(_) => unreachable!("a RecvHalf and its SendHalf are the only owners"),
        };
        let mut socket = AsyncSocket::from_core(core);
        socket.sink_pending = sink_pending;
        socket.stream_done = self.stream_done;
        socket.ticks.recv_spin = self.ticks.recv_spin;
        Ok(socket)
    }
}

impl SendHalf {
    pub(super) fn new(core: Arc<Core>, sink_pending: Option<Multipart>) -> SendHalf {
        SendHalf {
            core,
            ticks: Ticks::default(),
            sink_pending,
        }
    }

    send_methods!();

    /// The shared socket, locked (see [`AsyncSocket::socket`]).
    pub fn socket(&self) -> SocketRef<'_> {
        self.core.socket_ref()
    }
}

impl fmt::Debug for RecvHalf {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RecvHalf")
            .field("socket", &*self.socket())
            .finish()
    }
}

impl fmt::Debug for SendHalf {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SendHalf")
            .field("socket", &*self.socket())
            .finish()
    }
}
