//! Binding a listening socket the application made itself (`ZMQ_USE_FD`), with the
//! descriptor's ownership passed to libzmq explicitly.
//!
//! libzmq's `ZMQ_USE_FD` makes the next `bind` adopt an integer as its listening
//! socket and close it when the endpoint goes (tcp_listener.cpp, ipc_listener.cpp,
//! ws_listener.cpp). Through a safe setter that would let any code close a
//! descriptor Rust owns elsewhere (a `TcpListener`, a `File` that reused the number),
//! register a non-socket with epoll (an abort), or adopt one descriptor for two
//! binds (an abort). So the option is never settable from safe code: the
//! descriptor comes in as an [`OwnedFd`], is checked, bound, and libzmq owns it only
//! once the bind has succeeded.

use std::ffi::c_int;
use std::fmt;
use std::os::fd::{AsRawFd, IntoRawFd, OwnedFd, RawFd};

use crate::error::{Error, Result};
use crate::socket::Socket;

/// The error of [`Socket::bind_with_fd`]: why it failed, and the descriptor, which
/// libzmq did not take (drop it to close it, or use it elsewhere).
pub struct BindFdError {
    error: Error,
    fd: OwnedFd,
}

impl BindFdError {
    /// Why the bind failed.
    pub fn error(&self) -> Error {
        self.error
    }

    /// The descriptor, still yours.
    pub fn into_fd(self) -> OwnedFd {
        self.fd
    }
}

impl fmt::Debug for BindFdError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("BindFdError")
            .field("error", &self.error)
            .field("fd", &self.fd)
            .finish()
    }
}

impl fmt::Display for BindFdError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "binding descriptor {}: {}",
            self.fd.as_raw_fd(),
            self.error
        )
    }
}

impl std::error::Error for BindFdError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        Some(&self.error)
    }
}

/// `?` in a function returning this crate's `Result` (the descriptor is closed).
impl From<BindFdError> for Error {
    fn from(e: BindFdError) -> Error {
        e.error
    }
}

/// The transports whose listeners adopt `ZMQ_USE_FD`, and the address families of
/// the descriptors they take.
fn families_for(endpoint: &str) -> Option<&'static [c_int]> {
    let (transport, _) = endpoint.split_once("://")?;
    match transport {
        "tcp" | "ws" | "wss" => Some(&[libc::AF_INET, libc::AF_INET6]),
        "ipc" => Some(&[libc::AF_UNIX]),
        _ => None,
    }
}

/// Reads an `int` socket option of `fd`.
fn sockopt_int(fd: RawFd, level: c_int, name: c_int) -> Result<c_int> {
    let mut value: c_int = 0;
    let mut len = std::mem::size_of::<c_int>() as libc::socklen_t;
    // SAFETY: value/len describe a live, writable c_int; getsockopt writes at most
    // len bytes and fails (ENOTSOCK, EBADF) for a descriptor that is not a socket.
    let rc =
        unsafe { libc::getsockopt(fd, level, name, (&mut value as *mut c_int).cast(), &mut len) };
    if rc == 0 {
        Ok(value)
    } else {
        Err(Error::last_os())
    }
}

/// The address family of the socket `fd`.
fn family(fd: RawFd) -> Result<c_int> {
    // SAFETY: sockaddr_storage is plain data; all zeros is a valid value.
    let mut addr: libc::sockaddr_storage = unsafe { std::mem::zeroed() };
    let mut len = std::mem::size_of::<libc::sockaddr_storage>() as libc::socklen_t;
    // SAFETY: addr/len describe a live sockaddr_storage, the largest address type;
    // getsockname writes at most len bytes.
    let rc = unsafe {
        libc::getsockname(
            fd,
            (&mut addr as *mut libc::sockaddr_storage).cast(),
            &mut len,
        )
    };
    if rc == 0 {
        Ok(c_int::from(addr.ss_family))
    } else {
        Err(Error::last_os())
    }
}

/// Sets `flag` in the descriptor flags (`F_GETFD`/`F_SETFD`) or the status flags
/// (`F_GETFL`/`F_SETFL`) of `fd`.
fn add_flag(fd: RawFd, get: c_int, set: c_int, flag: c_int) -> Result<()> {
    // SAFETY: fcntl with F_GETFD/F_GETFL takes no pointer.
    let flags = unsafe { libc::fcntl(fd, get) };
    if flags < 0 {
        return Err(Error::last_os());
    }
    // SAFETY: fcntl with F_SETFD/F_SETFL takes an int.
    if unsafe { libc::fcntl(fd, set, flags | flag) } < 0 {
        return Err(Error::last_os());
    }
    Ok(())
}

/// What a descriptor must be for libzmq to listen on it for `endpoint`: a stream
/// socket, listening, of the transport's address family. It is also made
/// non-blocking (libzmq's listeners accept on it from the I/O thread, and a blocking
/// `accept` there would stall every socket of that thread) and close-on-exec, as
/// libzmq makes its own.
fn prepare(fd: RawFd, endpoint: &str) -> Result<()> {
    let families = families_for(endpoint).ok_or(Error::EINVAL)?;
    if sockopt_int(fd, libc::SOL_SOCKET, libc::SO_TYPE)? != libc::SOCK_STREAM {
        return Err(Error::EINVAL);
    }
    if sockopt_int(fd, libc::SOL_SOCKET, libc::SO_ACCEPTCONN)? == 0 {
        return Err(Error::EINVAL);
    }
    if !families.contains(&family(fd)?) {
        return Err(Error::EINVAL);
    }
    add_flag(fd, libc::F_GETFL, libc::F_SETFL, libc::O_NONBLOCK)?;
    add_flag(fd, libc::F_GETFD, libc::F_SETFD, libc::FD_CLOEXEC)
}

impl Socket {
    /// Binds `endpoint` on a listening socket you made (`ZMQ_USE_FD` + `zmq_bind`):
    /// libzmq accepts connections on `listener` instead of making its own, and owns
    /// it from then on (it closes it when the endpoint is unbound or the socket
    /// closes). Useful with socket activation, or a listener made with options libzmq
    /// does not set.
    ///
    /// `endpoint` names the transport: `tcp://` (or `ws://`, draft) for an IPv4 or
    /// IPv6 listener, `ipc://path` for a Unix-domain one bound to `path`. libzmq
    /// ignores the tcp address given (the last endpoint reports the listener's own),
    /// and takes the ipc path as the endpoint's name; it does not unlink it.
    ///
    /// The descriptor is checked first: `ENOTSOCK` if it is not a socket, `EINVAL`
    /// if it is not a listening stream socket of the transport's family (or the
    /// transport cannot take one). It is made non-blocking and close-on-exec. On any
    /// error libzmq has not taken it, and it comes back in the [`BindFdError`].
    /// `ENOTSUP` on a socket of a thread-safe type (draft API): another thread could
    /// bind in between and take the descriptor too.
    ///
    /// ```
    /// # fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// use std::net::TcpListener;
    /// let listener = TcpListener::bind("127.0.0.1:0")?;
    /// let address = listener.local_addr()?;
    /// let ctx = zmq::Context::new()?;
    /// let pull = ctx.socket(zmq::PULL)?;
    /// pull.bind_with_fd(listener.into(), &format!("tcp://{address}"))?;
    /// assert_eq!(pull.get_last_endpoint()?, format!("tcp://{address}"));
    ///
    /// let push = ctx.socket(zmq::PUSH)?;
    /// push.connect(&format!("tcp://{address}"))?;
    /// push.send("through your listener", zmq::SendFlags::empty())?;
    /// assert_eq!(pull.recv_bytes(zmq::RecvFlags::empty())?, b"through your listener");
    /// # Ok(())
    /// # }
    /// ```
    #[doc(alias = "ZMQ_USE_FD")]
    pub fn bind_with_fd(
        &self,
        listener: OwnedFd,
        endpoint: &str,
    ) -> std::result::Result<(), BindFdError> {
        let fail = |error, fd| Err(BindFdError { error, fd });
        match self.get_thread_safe() {
            Ok(false) => {}
            Ok(true) => return fail(Error::ENOTSUP, listener),
            Err(e) => return fail(e, listener),
        }
        let fd = listener.as_raw_fd();
        if let Err(e) = prepare(fd, endpoint) {
            return fail(e, listener);
        }
        // SAFETY: the descriptor is a listening stream socket of the endpoint's
        // family that we own (`listener`); the option is reset below before any other
        // bind can see it (this socket is not thread-safe, so no other thread binds
        // meanwhile), and the descriptor is released to libzmq only if the bind took
        // it.
        if let Err(e) = unsafe { self.set_use_fd(fd) } {
            return fail(e, listener);
        }
        let bound = self.bind(endpoint);
        // Whatever happened: a later bind must not adopt the descriptor again.
        // SAFETY: -1 is "no descriptor".
        let reset = unsafe { self.set_use_fd(-1) };
        match bound {
            Ok(()) => {
                // libzmq's listener owns the descriptor now and closes it when it goes.
                // (A reset that failed can only mean the context was terminated in
                // between, `ETERM`: then no later bind of this socket can succeed, so
                // none can adopt the descriptor again.)
                let _ = reset;
                let _ = listener.into_raw_fd();
                Ok(())
            }
            // A bind that fails never adopts the descriptor: the listeners take
            // `ZMQ_USE_FD` only once the address has been parsed and checked, and
            // cannot fail after that (tcp_listener.cpp, ipc_listener.cpp,
            // ws_listener.cpp, `set_local_address`).
            Err(e) => fail(e, listener),
        }
    }

    /// Sets `ZMQ_USE_FD` (`zmq_setsockopt`): the next `bind` on `tcp://`, `ipc://` or
    /// `ws://` listens on `fd` instead of a socket of its own, and libzmq closes `fd`
    /// when that endpoint is unbound or the socket closes. -1 (the default) turns it
    /// off. Prefer [`Socket::bind_with_fd`], which does all of this safely.
    ///
    /// # Safety
    /// Unless `fd` is -1: `fd` must be a listening stream socket (of the family of the
    /// transport the next bind uses) that nothing else owns or will close or use, as
    /// libzmq takes it over at the next bind on one of those transports and closes it
    /// later; after that bind, the option must be set back to -1 before any other
    /// bind on this socket (a second bind would adopt the same descriptor: libzmq
    /// aborts, or two listeners close it). No other thread may bind this socket
    /// meanwhile. If the next bind fails, libzmq has not taken the descriptor.
    #[doc(alias = "ZMQ_USE_FD")]
    pub unsafe fn set_use_fd(&self, fd: RawFd) -> Result<()> {
        self.set_use_fd_unchecked(fd)
    }
}
