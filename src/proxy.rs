//! Proxies (`zmq_proxy`, `zmq_proxy_steerable`).
//!
//! A proxy runs on the calling thread and moves every message arriving on one
//! socket to the other, both ways: ROUTER/DEALER makes a shared queue (the zguide's
//! `msgqueue`), XSUB/XPUB a forwarder that passes subscriptions upstream, PULL/PUSH
//! a streamer. It takes the sockets by shared reference, and as a [`Socket`] is not
//! `Sync`, nothing else can use them while the proxy runs, which is what libzmq
//! requires of classic sockets. (With the `draft` feature, the `&Socket` of a
//! `ThreadSafeSocket` may be used by other threads meanwhile: libzmq locks those.)
//!
//! A plain proxy runs until its context is shut down ([`Context::shutdown`] or
//! [`Context::term`] from another thread, through a clone of the context) and then
//! returns `Err(ETERM)`: that is its normal way out. A steerable proxy can also be
//! paused, resumed, asked for statistics and stopped through a control socket.
//!
//! [`Context::shutdown`]: crate::Context::shutdown
//! [`Context::term`]: crate::Context::term

use std::cmp::Ordering;
use std::ffi::c_void;

use crate::error::{cvt, Error, Result};
use crate::socket::{RecvFlags, SendFlags, Socket, SocketType};

/// The libzmq release whose steerable proxy swaps PAUSE and RESUME and answers every
/// command (fixed upstream after 4.3.5, libzmq pull request #4600).
const STEERABLE_4_3_5: (i32, i32, i32) = (4, 3, 5);

fn raw_or_null(socket: Option<&Socket>) -> *mut c_void {
    socket.map_or(std::ptr::null_mut(), Socket::as_raw)
}

/// The checks every proxy entry point makes on its sockets first.
///
/// * `ENOTSUP` for a DGRAM or RADIO socket, or one that has had `ZMQ_CONFLATE` on:
///   the proxy sends and receives inside libzmq, past the checks this crate makes on
///   those sockets (an oversized datagram overflows a buffer, an unbound DGRAM
///   capture blocks the proxy for ever, a multipart message through a conflating
///   socket aborts the process).
/// * The error of reading `ZMQ_FD` (`ETERM` once the socket has seen its context
///   shut down): libzmq's proxy built with the draft API polls through a
///   `zmq_poller`, which asserts, aborting the process, that reading it succeeds.
///   Thread-safe sockets have no `ZMQ_FD` (`EINVAL`, expected).
fn check_proxy_sockets(sockets: &[Option<&Socket>]) -> Result<()> {
    for socket in sockets.iter().flatten() {
        if socket.guard().refused_by_proxies() {
            return Err(Error::ENOTSUP);
        }
        match socket.get_fd() {
            Ok(_) | Err(Error::EINVAL) => {}
            Err(e) => return Err(e),
        }
    }
    Ok(())
}

/// Runs the built-in proxy between `frontend` and `backend` on this thread
/// (`zmq_proxy`) until the context is shut down.
///
/// It never returns `Ok`: shutting down or terminating the sockets' context from
/// another thread is the normal way to stop it, and makes it return
/// `Err(Error::ETERM)`. `EINTR` means a signal interrupted it (call it again to go
/// on); `EFAULT` an invalid socket. Use [`proxy_steerable`] to stop it with a
/// command instead.
///
/// Refused before it starts (see SECURITY.md): `ENOTSUP` for a DGRAM or RADIO socket
/// or one that has had `ZMQ_CONFLATE` on (libzmq's proxy would bypass the checks that
/// make them safe), and the socket's error (`ETERM`) for one whose context was
/// already shut down, where a proxy of libzmq built with the draft API aborts.
///
/// Bind or connect the sockets and set their options before calling it. The zguide's
/// shared queue (`msgqueue`), with the proxy on its own thread:
///
/// ```
/// use zmq::{Context, Error, RecvFlags, SendFlags, DEALER, REP, REQ, ROUTER};
/// let ctx = Context::new()?;
/// let frontend = ctx.socket(ROUTER)?;
/// frontend.bind("inproc://clients")?;
/// let backend = ctx.socket(DEALER)?;
/// backend.bind("inproc://workers")?;
/// // Sockets are Send: move them to the proxy thread.
/// let proxy = std::thread::spawn(move || zmq::proxy(&frontend, &backend));
///
/// let worker = ctx.socket(REP)?;
/// worker.connect("inproc://workers")?;
/// let client = ctx.socket(REQ)?;
/// client.connect("inproc://clients")?;
/// client.send("ping", SendFlags::empty())?;
/// assert_eq!(worker.recv_bytes(RecvFlags::empty())?, b"ping");
/// worker.send("pong", SendFlags::empty())?;
/// assert_eq!(client.recv_bytes(RecvFlags::empty())?, b"pong");
///
/// ctx.shutdown()?; // the proxy's way out
/// assert_eq!(proxy.join().unwrap(), Err(Error::ETERM));
/// # Ok::<(), zmq::Error>(())
/// ```
#[doc(alias = "zmq_proxy")]
pub fn proxy(frontend: &Socket, backend: &Socket) -> Result<()> {
    check_proxy_sockets(&[Some(frontend), Some(backend)])?;
    // SAFETY: both sockets are live for the whole call (borrowed). A classic socket
    // is !Sync, so no other thread uses it meanwhile; a thread-safe one shared
    // through ThreadSafeSocket may be, which libzmq allows (it locks every entry
    // point the proxy uses). The capture socket is null (none).
    cvt(unsafe { zmq_sys::zmq_proxy(frontend.as_raw(), backend.as_raw(), std::ptr::null_mut()) })
        .map(drop)
}

/// [`proxy`] with a capture socket (`zmq_proxy` with its third argument): every
/// frame the proxy moves, either way, is also sent to `capture` (with its
/// `SNDMORE` flag as received). Use a `PUB`, `PUSH`, `DEALER` or `PAIR` capture
/// socket, and mind that a capture socket that blocks on send (e.g. a `PUSH` or
/// `PAIR` without a peer) stalls the proxy. The sockets are checked as in
/// [`proxy`], the capture socket too.
///
/// Returns as [`proxy`] does: `Err(Error::ETERM)` once the context is shut down.
///
/// ```
/// use zmq::{Context, Error, RecvFlags, SendFlags, PAIR, PULL, PUSH};
/// let ctx = Context::new()?;
/// let (frontend, backend, capture) = (ctx.socket(PULL)?, ctx.socket(PUSH)?, ctx.socket(PAIR)?);
/// frontend.bind("inproc://in")?;
/// backend.bind("inproc://out")?;
/// capture.bind("inproc://tap")?;
/// let (source, sink, tap) = (ctx.socket(PUSH)?, ctx.socket(PULL)?, ctx.socket(PAIR)?);
/// source.connect("inproc://in")?;
/// sink.connect("inproc://out")?;
/// tap.connect("inproc://tap")?;
/// let proxy = std::thread::spawn(move || zmq::proxy_with_capture(&frontend, &backend, &capture));
///
/// source.send("job", SendFlags::empty())?;
/// assert_eq!(sink.recv_bytes(RecvFlags::empty())?, b"job");
/// assert_eq!(tap.recv_bytes(RecvFlags::empty())?, b"job");
///
/// ctx.shutdown()?;
/// assert_eq!(proxy.join().unwrap(), Err(Error::ETERM));
/// # Ok::<(), zmq::Error>(())
/// ```
#[doc(alias = "zmq_proxy")]
pub fn proxy_with_capture(frontend: &Socket, backend: &Socket, capture: &Socket) -> Result<()> {
    check_proxy_sockets(&[Some(frontend), Some(backend), Some(capture)])?;
    // SAFETY: the three sockets are live for the whole call (borrowed); as in
    // `proxy`, a classic socket (!Sync) is used by no other thread meanwhile and a
    // thread-safe one is locked by libzmq.
    cvt(unsafe { zmq_sys::zmq_proxy(frontend.as_raw(), backend.as_raw(), capture.as_raw()) })
        .map(drop)
}

/// [`proxy`] steered through a control socket (`zmq_proxy_steerable`).
///
/// Returns `Ok(())` when a [`ProxyCommand::Terminate`] arrives on `control`, and
/// `Err(Error::ETERM)` when the context is shut down first (other errors as for
/// [`proxy`]). `capture`, if given, works as in [`proxy_with_capture`].
///
/// Make `control` a `PAIR` socket and talk to it from a `PAIR` peer with
/// [`send_proxy_command`] and [`recv_proxy_statistics`]: that works with every
/// libzmq 4.3 (a `REP` control socket with a `REQ` peer works from 4.3.5 on). The
/// helpers smooth over the differences between releases (see
/// [`send_proxy_command`]); sending the words yourself is possible but
/// release-dependent, and before 4.3.5 any word libzmq does not know aborts the
/// process. libzmq 4.3.4 and older also copy each command to the capture socket.
///
/// **Keep the control socket private.** Before 4.3.5 (a system libzmq such as
/// Debian 12's 4.3.4), libzmq aborts the process on any control message that is not
/// one of its commands (`proxy.cpp`), so whatever can reach the control socket can
/// kill the process: bind or connect it on `inproc://` only, with nothing but
/// [`send_proxy_command`] on the other end. The sockets are checked as in [`proxy`].
///
/// ```
/// use zmq::{Context, ProxyCommand, RecvFlags, SendFlags, PAIR, PULL, PUSH};
/// let ctx = Context::new()?;
/// let (frontend, backend, control) = (ctx.socket(PULL)?, ctx.socket(PUSH)?, ctx.socket(PAIR)?);
/// frontend.bind("inproc://in")?;
/// backend.bind("inproc://out")?;
/// control.bind("inproc://control")?;
/// let proxy = std::thread::spawn(move || {
///     zmq::proxy_steerable(&frontend, &backend, None, &control)
/// });
///
/// let (source, sink, steer) = (ctx.socket(PUSH)?, ctx.socket(PULL)?, ctx.socket(PAIR)?);
/// source.connect("inproc://in")?;
/// sink.connect("inproc://out")?;
/// steer.connect("inproc://control")?;
/// source.send("hello", SendFlags::empty())?;
/// assert_eq!(sink.recv_bytes(RecvFlags::empty())?, b"hello");
///
/// zmq::send_proxy_command(&steer, ProxyCommand::Statistics)?;
/// let stats = zmq::recv_proxy_statistics(&steer)?;
/// assert_eq!((stats.frontend.messages_received, stats.frontend.bytes_received), (1, 5));
/// assert_eq!((stats.backend.messages_sent, stats.backend.bytes_sent), (1, 5));
///
/// zmq::send_proxy_command(&steer, ProxyCommand::Terminate)?;
/// assert_eq!(proxy.join().unwrap(), Ok(()));
/// # Ok::<(), zmq::Error>(())
/// ```
#[doc(alias = "zmq_proxy_steerable")]
pub fn proxy_steerable(
    frontend: &Socket,
    backend: &Socket,
    capture: Option<&Socket>,
    control: &Socket,
) -> Result<()> {
    check_proxy_sockets(&[Some(frontend), Some(backend), capture, Some(control)])?;
    // SAFETY: every socket passed is live for the whole call (borrowed); as in
    // `proxy`, a classic socket (!Sync) is used by no other thread meanwhile and a
    // thread-safe one is locked by libzmq. A missing capture socket is passed as
    // null, which libzmq accepts.
    cvt(unsafe {
        zmq_sys::zmq_proxy_steerable(
            frontend.as_raw(),
            backend.as_raw(),
            raw_or_null(capture),
            control.as_raw(),
        )
    })
    .map(drop)
}

/// A command for a [`proxy_steerable`], sent with [`send_proxy_command`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ProxyCommand {
    /// Stop moving messages; they wait in the sockets' queues (`PAUSE`).
    Pause,
    /// Move messages again (`RESUME`).
    Resume,
    /// Make `proxy_steerable` return `Ok(())` (`TERMINATE`).
    Terminate,
    /// Ask for the counters; read the answer with [`recv_proxy_statistics`]
    /// (`STATISTICS`).
    Statistics,
}

impl ProxyCommand {
    /// The command word as documented in `zmq_proxy_steerable(3)`: `b"PAUSE"`,
    /// `b"RESUME"`, `b"TERMINATE"`, `b"STATISTICS"`. (What [`send_proxy_command`]
    /// puts on the wire can differ: see there.)
    pub const fn as_bytes(self) -> &'static [u8] {
        match self {
            ProxyCommand::Pause => b"PAUSE",
            ProxyCommand::Resume => b"RESUME",
            ProxyCommand::Terminate => b"TERMINATE",
            ProxyCommand::Statistics => b"STATISTICS",
        }
    }

    /// The word that has this effect on the proxy of libzmq `version`.
    fn wire_bytes(self, version: (i32, i32, i32)) -> &'static [u8] {
        match self {
            ProxyCommand::Pause if version == STEERABLE_4_3_5 => b"RESUME",
            ProxyCommand::Resume if version == STEERABLE_4_3_5 => b"PAUSE",
            _ => self.as_bytes(),
        }
    }
}

/// Whether the proxy of libzmq `version` answers PAUSE, RESUME and TERMINATE with an
/// empty frame when its control peer is of type `peer`.
fn acknowledges(version: (i32, i32, i32), peer: SocketType) -> bool {
    match version.cmp(&STEERABLE_4_3_5) {
        Ordering::Less => false,
        // 4.3.5 answers every command, whatever the control socket.
        Ordering::Equal => true,
        // Later releases answer only when the control socket is REP (its peer REQ).
        Ordering::Greater => peer == SocketType::Req,
    }
}

/// The error of a reply that does not have the expected shape.
fn protocol_error() -> Error {
    Error::EPROTO
}

/// Sends a command to a [`proxy_steerable`] from `control_peer`, the socket
/// connected to the proxy's control socket (a `PAIR`, or a `REQ` when the control
/// socket is a `REP`).
///
/// For [`ProxyCommand::Statistics`], read the answer with
/// [`recv_proxy_statistics`] next. The other commands return once sent, except
/// where the linked libzmq answers them (4.3.5 always, later releases for a `REQ`
/// peer): then this also receives that empty answer, so after
/// `send_proxy_command(peer, ProxyCommand::Pause)` returns, the proxy is paused.
/// With older releases the command takes effect when the proxy gets to it; a
/// [`ProxyCommand::Statistics`] round trip afterwards makes sure it has.
///
/// libzmq 4.3.5's proxy takes `PAUSE` for `RESUME` and the other way round (fixed
/// upstream after that release, libzmq pull request #4600): when the linked libzmq
/// reports 4.3.5 ([`version`](crate::version)), this sends the word that has the
/// effect named, so `Pause` pauses everywhere. (A 4.3.5 patched with that fix would
/// have it backwards.)
///
/// Errors: those of the send and receive (`EAGAIN` when `ZMQ_SNDTIMEO` or
/// `ZMQ_RCVTIMEO` expire, `ETERM` ...); `EPROTO` when the answer is not the empty
/// frame expected; `ENOTSUP` for a `REQ` peer with libzmq older than 4.3.5, whose
/// proxy never answers it.
///
/// See [`proxy_steerable`] for an example.
pub fn send_proxy_command(control_peer: &Socket, command: ProxyCommand) -> Result<()> {
    let version = crate::version();
    let peer = control_peer.get_socket_type()?;
    if peer == SocketType::Req && version < STEERABLE_4_3_5 {
        return Err(Error::ENOTSUP);
    }
    control_peer.send(command.wire_bytes(version), SendFlags::empty())?;
    if command != ProxyCommand::Statistics && acknowledges(version, peer) {
        let answer = control_peer.recv_multipart(RecvFlags::empty())?;
        if answer.len() != 1 || !answer[0].is_empty() {
            return Err(protocol_error());
        }
    }
    Ok(())
}

/// Receives the answer to [`ProxyCommand::Statistics`] on `control_peer` and
/// decodes it (see [`ProxyStatistics::from_frames`]). It blocks until the answer
/// comes, or `ZMQ_RCVTIMEO` expires (`EAGAIN`); `EPROTO` when what arrives is not
/// 8 frames of 8 bytes.
///
/// See [`proxy_steerable`] for an example.
pub fn recv_proxy_statistics(control_peer: &Socket) -> Result<ProxyStatistics> {
    let frames = control_peer.recv_multipart(RecvFlags::empty())?;
    ProxyStatistics::from_frames(&frames)
}

/// The counters of one side of a proxy.
///
/// What a "message" is depends on the libzmq release: from 4.3.5 on each frame
/// counts (a message of three parts counts three), while 4.3.4 and older count a
/// multipart message once. Bytes are the sum of the frames' sizes either way.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct ProxySocketStatistics {
    /// Messages (frames from libzmq 4.3.5 on) the proxy received on this socket.
    pub messages_received: u64,
    /// Bytes the proxy received on this socket.
    pub bytes_received: u64,
    /// Messages (frames from libzmq 4.3.5 on) the proxy sent on this socket.
    pub messages_sent: u64,
    /// Bytes the proxy sent on this socket.
    pub bytes_sent: u64,
}

/// The counters a [`proxy_steerable`] reports for [`ProxyCommand::Statistics`],
/// since it started.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct ProxyStatistics {
    /// The frontend socket's counters.
    pub frontend: ProxySocketStatistics,
    /// The backend socket's counters.
    pub backend: ProxySocketStatistics,
}

impl ProxyStatistics {
    /// Decodes the 8 frames of a `STATISTICS` answer, each a `uint64_t` in the
    /// proxy machine's byte order, in this order: frontend messages received,
    /// bytes received, messages sent, bytes sent; then the same four for the
    /// backend. `EPROTO` for anything else.
    ///
    /// ```
    /// let frames: Vec<[u8; 8]> = (1u64..=8).map(u64::to_ne_bytes).collect();
    /// let stats = zmq::ProxyStatistics::from_frames(&frames)?;
    /// assert_eq!(stats.frontend.messages_received, 1);
    /// assert_eq!(stats.frontend.bytes_sent, 4);
    /// assert_eq!(stats.backend.bytes_sent, 8);
    /// assert_eq!(zmq::ProxyStatistics::from_frames(&frames[..7]).unwrap_err().raw(), libc::EPROTO);
    /// # Ok::<(), zmq::Error>(())
    /// ```
    pub fn from_frames<F: AsRef<[u8]>>(frames: &[F]) -> Result<ProxyStatistics> {
        if frames.len() != 8 {
            return Err(protocol_error());
        }
        let mut values = [0u64; 8];
        for (value, frame) in values.iter_mut().zip(frames) {
            let bytes: [u8; 8] = frame.as_ref().try_into().map_err(|_| protocol_error())?;
            *value = u64::from_ne_bytes(bytes);
        }
        let side = |v: &[u64]| ProxySocketStatistics {
            messages_received: v[0],
            bytes_received: v[1],
            messages_sent: v[2],
            bytes_sent: v[3],
        };
        Ok(ProxyStatistics {
            frontend: side(&values[..4]),
            backend: side(&values[4..]),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn command_words() {
        assert_eq!(ProxyCommand::Pause.as_bytes(), b"PAUSE");
        assert_eq!(ProxyCommand::Statistics.as_bytes(), b"STATISTICS");
        for version in [(4, 3, 4), (4, 3, 6), (4, 4, 0)] {
            assert_eq!(ProxyCommand::Pause.wire_bytes(version), b"PAUSE");
            assert_eq!(ProxyCommand::Resume.wire_bytes(version), b"RESUME");
        }
        assert_eq!(ProxyCommand::Pause.wire_bytes((4, 3, 5)), b"RESUME");
        assert_eq!(ProxyCommand::Resume.wire_bytes((4, 3, 5)), b"PAUSE");
        assert_eq!(ProxyCommand::Terminate.wire_bytes((4, 3, 5)), b"TERMINATE");
    }

    #[test]
    fn which_releases_answer() {
        assert!(!acknowledges((4, 3, 4), SocketType::Pair));
        assert!(acknowledges((4, 3, 5), SocketType::Pair));
        assert!(acknowledges((4, 3, 5), SocketType::Req));
        assert!(!acknowledges((4, 3, 6), SocketType::Pair));
        assert!(acknowledges((4, 3, 6), SocketType::Req));
    }

    #[test]
    fn statistics_frames_must_be_eight_u64() {
        let good: Vec<Vec<u8>> = (10u64..18).map(|v| v.to_ne_bytes().to_vec()).collect();
        let stats = ProxyStatistics::from_frames(&good).unwrap();
        assert_eq!(
            stats.frontend,
            ProxySocketStatistics {
                messages_received: 10,
                bytes_received: 11,
                messages_sent: 12,
                bytes_sent: 13,
            }
        );
        assert_eq!(stats.backend.messages_received, 14);
        assert_eq!(stats.backend.bytes_sent, 17);
        let mut short = good.clone();
        short[3].pop();
        assert_eq!(ProxyStatistics::from_frames(&short), Err(protocol_error()));
        let mut nine = good.clone();
        nine.push(vec![0; 8]);
        assert_eq!(ProxyStatistics::from_frames(&nine), Err(protocol_error()));
        assert_eq!(
            ProxyStatistics::from_frames::<Vec<u8>>(&[]),
            Err(protocol_error())
        );
    }
}
