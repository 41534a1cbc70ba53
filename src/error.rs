//! Errors: an errno newtype, so every code libzmq or the OS can report stays
//! representable, and one conversion path from C return values.

use std::ffi::{c_int, CStr};
use std::fmt;

/// An error reported by libzmq: the `errno` value of the failed call.
///
/// Any integer is a valid `Error`, so an errno this crate does not name is still
/// carried and displayed (through `zmq_strerror`), never a panic. Compare with the
/// associated constants:
///
/// ```
/// let ctx = zmq::Context::new()?;
/// let sock = ctx.socket(zmq::REQ)?;
/// assert_eq!(sock.bind("nonsense://x").unwrap_err(), zmq::Error::EPROTONOSUPPORT);
/// # Ok::<(), zmq::Error>(())
/// ```
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
#[repr(transparent)]
pub struct Error(c_int);

/// `Result` with this crate's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

macro_rules! errnos {
    ($( $(#[$doc:meta])* $name:ident = $value:expr; )*) => {
        impl Error {
            $( $(#[$doc])* pub const $name: Error = Error($value); )*
        }

        /// The symbolic name of a known errno value.
        fn errno_name(code: c_int) -> Option<&'static str> {
            $( if code == $value { return Some(stringify!($name)); } )*
            None
        }
    };
}

errnos! {
    /// Resource temporarily unavailable: a non-blocking call would block, or a timeout expired.
    EAGAIN = libc::EAGAIN;
    /// Invalid argument (also: a string with a NUL byte inside, a bad option value).
    EINVAL = libc::EINVAL;
    /// The call was interrupted by a signal.
    EINTR = libc::EINTR;
    /// Bad address (an invalid socket or message handle).
    EFAULT = libc::EFAULT;
    /// Out of memory.
    ENOMEM = libc::ENOMEM;
    /// Too many open sockets or files.
    EMFILE = libc::EMFILE;
    /// The operation is not supported by this socket type or build.
    ENOTSUP = libc::ENOTSUP;
    /// The transport protocol of an endpoint is not supported.
    EPROTONOSUPPORT = libc::EPROTONOSUPPORT;
    /// No buffer space available.
    ENOBUFS = libc::ENOBUFS;
    /// The network is down.
    ENETDOWN = libc::ENETDOWN;
    /// The address is already in use.
    EADDRINUSE = libc::EADDRINUSE;
    /// The address is not available on this machine.
    EADDRNOTAVAIL = libc::EADDRNOTAVAIL;
    /// Connection refused.
    ECONNREFUSED = libc::ECONNREFUSED;
    /// The operation is in progress.
    EINPROGRESS = libc::EINPROGRESS;
    /// Not a socket (a closed or invalid libzmq socket).
    ENOTSOCK = libc::ENOTSOCK;
    /// The message is too long.
    EMSGSIZE = libc::EMSGSIZE;
    /// The address family is not supported.
    EAFNOSUPPORT = libc::EAFNOSUPPORT;
    /// The network is unreachable.
    ENETUNREACH = libc::ENETUNREACH;
    /// The connection was aborted.
    ECONNABORTED = libc::ECONNABORTED;
    /// The connection was reset by the peer.
    ECONNRESET = libc::ECONNRESET;
    /// The socket is not connected.
    ENOTCONN = libc::ENOTCONN;
    /// The connection timed out.
    ETIMEDOUT = libc::ETIMEDOUT;
    /// The host is unreachable (e.g. ROUTER_MANDATORY with an unknown routing id).
    EHOSTUNREACH = libc::EHOSTUNREACH;
    /// The network was reset.
    ENETRESET = libc::ENETRESET;
    /// No such file or directory (e.g. an ipc path, or an endpoint that is not bound).
    ENOENT = libc::ENOENT;
    /// No such device (e.g. an unknown network interface).
    ENODEV = libc::ENODEV;
    /// Protocol error: a peer, a monitor stream or a proxy reply that is malformed.
    EPROTO = libc::EPROTO;
    /// Invalid or incomplete multibyte or wide character.
    EILSEQ = libc::EILSEQ;
    /// Operation not permitted (e.g. a scheduling setting the process lacks the
    /// privilege for).
    EPERM = libc::EPERM;
    /// Already exists (e.g. a connect routing id that is in use).
    EEXIST = libc::EEXIST;
    /// The operation cannot be accomplished in the socket's current state
    /// (e.g. `send` twice on a REQ socket).
    EFSM = zmq_sys::EFSM;
    /// The requested transport protocol is not compatible with the socket type.
    ENOCOMPATPROTO = zmq_sys::ENOCOMPATPROTO;
    /// The context was terminated (or shut down).
    ETERM = zmq_sys::ETERM;
    /// No I/O thread is available for the operation.
    EMTHREAD = zmq_sys::EMTHREAD;
}

impl Error {
    /// The error with this raw errno value.
    pub const fn from_raw(code: c_int) -> Error {
        Error(code)
    }

    /// The raw errno value.
    pub const fn raw(self) -> c_int {
        self.0
    }

    /// The error of the last libzmq call on this thread (`zmq_errno()`).
    #[doc(alias = "zmq_errno")]
    pub fn last() -> Error {
        // SAFETY: zmq_errno takes no arguments and only reads the thread's errno.
        Error(unsafe { zmq_sys::zmq_errno() })
    }

    /// The C library's `errno` of the last failed OS call on this thread (Unix: on
    /// Windows the last OS error is a Win32 code, not an errno).
    #[cfg(unix)]
    pub(crate) fn last_os() -> Error {
        Error(
            std::io::Error::last_os_error()
                .raw_os_error()
                .unwrap_or(libc::EINVAL),
        )
    }

    /// The symbolic name (`"EAGAIN"`, `"ETERM"` ...) where this crate knows the code.
    pub fn name(self) -> Option<&'static str> {
        errno_name(self.0)
    }

    /// The text of this error: libzmq's own text for its codes (`zmq_strerror`), and
    /// the C library's for the others, read through the thread-safe `strerror_r`
    /// (`zmq_strerror` calls `strerror`, whose buffer another thread may overwrite).
    #[doc(alias = "zmq_strerror")]
    pub fn message(self) -> String {
        if has_static_text(self.0) {
            if let Some(text) = zmq_text(self.0) {
                // Windows: the C runtime's strerror, which zmq_strerror falls back
                // to, says "Unknown error" for every code it does not know, without
                // the number; name such a code as the Unix path does.
                if cfg!(windows) && Some(&text) == zmq_text(c_int::MAX).as_ref() {
                    return format!("Unknown error {}", self.0);
                }
                return text;
            }
        }
        os_message(self.0)
    }
}

/// `zmq_strerror`'s text for `code`, copied out.
fn zmq_text(code: c_int) -> Option<String> {
    // SAFETY: zmq_strerror accepts any int; for the codes of `has_static_text` it
    // returns a pointer to a NUL-terminated string literal (err.cpp,
    // `errno_to_string`), else the C runtime's strerror text (thread-local on
    // Windows), which we copy out at once.
    let ptr = unsafe { zmq_sys::zmq_strerror(code) };
    if ptr.is_null() {
        return None;
    }
    // SAFETY: ptr is non-null and points to a NUL-terminated string.
    let text = unsafe { CStr::from_ptr(ptr) };
    Some(text.to_string_lossy().into_owned())
}

/// Whether libzmq's `zmq_strerror` answers this code from its own table of string
/// literals rather than with `strerror` (err.cpp; on Windows it also names the POSIX
/// codes the C runtime lacks, and Windows's `strerror` is thread-safe anyway).
fn has_static_text(code: c_int) -> bool {
    cfg!(windows)
        || code == zmq_sys::EFSM
        || code == zmq_sys::ENOCOMPATPROTO
        || code == zmq_sys::ETERM
        || code == zmq_sys::EMTHREAD
        || code == libc::EHOSTUNREACH
}

/// The C library's text for an errno value, through the thread-safe `strerror_r`
/// (the XSI form, which the `libc` crate binds on every Unix).
///
/// Some C libraries answer every code they do not know with one fixed text (musl:
/// "No error information"), which would lose the number: such a code is named
/// "Unknown error N", as glibc names it. The fixed text is recognised as the one
/// given for `c_int::MAX`, a code no C library defines.
#[cfg(unix)]
fn os_message(code: c_int) -> String {
    match strerror_text(code) {
        Some(text) if Some(&text) != strerror_text(c_int::MAX).as_ref() => text,
        _ => format!("Unknown error {code}"),
    }
}

/// `strerror_r`'s text for `code`, if it gives one.
#[cfg(unix)]
fn strerror_text(code: c_int) -> Option<String> {
    let mut buf = [0u8; 256];
    // SAFETY: buf is writable for its whole length, which is what we pass; strerror_r
    // writes a NUL-terminated string of at most that many bytes, or fails.
    let rc = unsafe { libc::strerror_r(code, buf.as_mut_ptr().cast(), buf.len()) };
    let end = buf.iter().position(|&b| b == 0);
    match (rc, end) {
        (0, Some(end)) if end > 0 => Some(String::from_utf8_lossy(&buf[..end]).into_owned()),
        _ => None,
    }
}

/// Windows: `zmq_strerror` handles every code (see `has_static_text`).
#[cfg(not(unix))]
fn os_message(code: c_int) -> String {
    format!("Unknown error {code}")
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message())
    }
}

impl fmt::Debug for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.name() {
            Some(name) => write!(f, "Error({name} = {}: {})", self.0, self.message()),
            None => write!(f, "Error({}: {})", self.0, self.message()),
        }
    }
}

impl std::error::Error for Error {}

impl From<Error> for std::io::Error {
    fn from(e: Error) -> std::io::Error {
        match e {
            Error::EAGAIN => std::io::Error::new(std::io::ErrorKind::WouldBlock, e),
            Error::EINTR => std::io::Error::new(std::io::ErrorKind::Interrupted, e),
            Error::ETIMEDOUT => std::io::Error::new(std::io::ErrorKind::TimedOut, e),
            // Codes below ZMQ_HAUSNUMERO are the platform's own errno values, which on
            // Unix are what the OS reports: the io::Error carries them as raw OS errors.
            #[cfg(unix)]
            Error(code) if code < zmq_sys::ZMQ_HAUSNUMERO => {
                std::io::Error::from_raw_os_error(code)
            }
            // On Windows an io::Error's raw OS error is a Win32 code (GetLastError,
            // WSAGetLastError), while libzmq reports C-runtime errno values (it maps
            // the WSA codes to them): read as Win32, ECONNREFUSED (107) would be
            // "ERROR_DRIVE_LOCKED". So the kind comes from the errno, and the message
            // is libzmq's.
            #[cfg(not(unix))]
            Error(code) if code < zmq_sys::ZMQ_HAUSNUMERO => std::io::Error::new(errno_kind(e), e),
            _ => std::io::Error::other(e),
        }
    }
}

/// The `io::ErrorKind` of a C-runtime errno value, as the standard library gives it
/// for the same value on Unix (kinds stable in the crate's rust-version).
#[cfg(not(unix))]
fn errno_kind(e: Error) -> std::io::ErrorKind {
    use std::io::ErrorKind;
    match e {
        Error::ECONNREFUSED => ErrorKind::ConnectionRefused,
        Error::ECONNRESET => ErrorKind::ConnectionReset,
        Error::ECONNABORTED => ErrorKind::ConnectionAborted,
        Error::ENOTCONN => ErrorKind::NotConnected,
        Error::EADDRINUSE => ErrorKind::AddrInUse,
        Error::EADDRNOTAVAIL => ErrorKind::AddrNotAvailable,
        Error::EINVAL => ErrorKind::InvalidInput,
        Error::ENOENT => ErrorKind::NotFound,
        Error::ENOMEM => ErrorKind::OutOfMemory,
        Error::ENOTSUP => ErrorKind::Unsupported,
        _ => ErrorKind::Other,
    }
}

/// Sets this thread's `errno` to 0, where the platform lets us (everywhere this
/// crate is tested, Windows included; elsewhere a no-op), for the C calls whose
/// error return is also a valid value.
pub(crate) fn clear_errno() {
    #[cfg(any(target_os = "linux", target_os = "android", target_os = "emscripten"))]
    // SAFETY: __errno_location returns this thread's errno slot, valid and writable.
    unsafe {
        *libc::__errno_location() = 0;
    }
    #[cfg(any(
        target_os = "macos",
        target_os = "ios",
        target_os = "freebsd",
        target_os = "dragonfly"
    ))]
    // SAFETY: __error returns this thread's errno slot, valid and writable.
    unsafe {
        *libc::__error() = 0;
    }
    #[cfg(windows)]
    // SAFETY: the C runtime's _errno (MSVC's UCRT and MinGW's msvcrt/UCRT alike)
    // returns this thread's errno slot, the one libzmq's zmq_errno reads.
    unsafe {
        *windows_crt::_errno() = 0;
    }
}

/// The C runtime's errno accessor, which the libc crate does not declare on Windows.
#[cfg(windows)]
mod windows_crt {
    extern "C" {
        pub(super) fn _errno() -> *mut std::os::raw::c_int;
    }
}

/// Maps a C return value that is `-1` on failure to `Err(zmq_errno())`.
#[inline]
pub(crate) fn cvt(rc: c_int) -> Result<c_int> {
    if rc == -1 {
        Err(Error::last())
    } else {
        Ok(rc)
    }
}

/// Maps a C pointer that is null on failure to `Err(zmq_errno())`.
#[inline]
pub(crate) fn cvt_ptr<T>(ptr: *mut T) -> Result<std::ptr::NonNull<T>> {
    std::ptr::NonNull::new(ptr).ok_or_else(Error::last)
}

/// A C string for libzmq, or `EINVAL` if `s` holds a NUL byte.
pub(crate) fn c_string(s: &str) -> Result<std::ffi::CString> {
    std::ffi::CString::new(s).map_err(|_| Error::EINVAL)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_codes_are_carried_and_displayed() {
        let e = Error::from_raw(987_654);
        assert_eq!(e.raw(), 987_654);
        assert_eq!(e.name(), None);
        assert!(!e.to_string().is_empty());
        assert!(format!("{e:?}").contains("987654"));
    }

    #[test]
    fn known_codes_have_names_and_zmq_messages() {
        assert_eq!(Error::ETERM.name(), Some("ETERM"));
        assert_eq!(Error::ETERM.to_string(), "Context was terminated");
        assert_eq!(
            Error::EFSM.to_string(),
            "Operation cannot be accomplished in current state"
        );
        assert!(format!("{:?}", Error::EAGAIN).contains("EAGAIN"));
    }

    #[test]
    fn messages_are_thread_safe_and_name_their_code() {
        // strerror's static buffer, shared by every thread for unknown codes on some
        // C libraries, would let one thread read another's number.
        let threads: Vec<_> = (0..8)
            .map(|t| {
                std::thread::spawn(move || {
                    for i in 0..2_000 {
                        let code = 100_000 + t * 10_000 + i;
                        let text = Error::from_raw(code).message();
                        assert!(text.contains(&code.to_string()), "{code}: {text}");
                    }
                    assert_eq!(Error::ECONNREFUSED.message(), "Connection refused");
                })
            })
            .collect();
        for t in threads {
            t.join().unwrap();
        }
        assert_eq!(Error::EHOSTUNREACH.message(), "Host unreachable");
    }

    #[test]
    fn io_error_kinds() {
        let io: std::io::Error = Error::EAGAIN.into();
        assert_eq!(io.kind(), std::io::ErrorKind::WouldBlock);
        let io: std::io::Error = Error::EINTR.into();
        assert_eq!(io.kind(), std::io::ErrorKind::Interrupted);
        let io: std::io::Error = Error::ECONNREFUSED.into();
        assert_eq!(io.kind(), std::io::ErrorKind::ConnectionRefused);
        let io: std::io::Error = Error::ETERM.into();
        assert_eq!(io.kind(), std::io::ErrorKind::Other);
        // The same kinds on every platform (on Windows the errno is not a Win32 code).
        for (e, kind) in [
            (Error::ECONNRESET, std::io::ErrorKind::ConnectionReset),
            (Error::EADDRINUSE, std::io::ErrorKind::AddrInUse),
            (Error::EINVAL, std::io::ErrorKind::InvalidInput),
            (Error::ENOENT, std::io::ErrorKind::NotFound),
            (Error::ENOMEM, std::io::ErrorKind::OutOfMemory),
            (Error::ENOTSUP, std::io::ErrorKind::Unsupported),
            (Error::ETIMEDOUT, std::io::ErrorKind::TimedOut),
        ] {
            let io: std::io::Error = e.into();
            assert_eq!(io.kind(), kind, "{e:?}");
        }
    }

    #[test]
    fn nul_in_strings_is_einval() {
        assert_eq!(c_string("a\0b").unwrap_err(), Error::EINVAL);
        assert!(c_string("tcp://127.0.0.1:1").is_ok());
    }
}
