//! Socket options (`zmq_setsockopt`, `zmq_getsockopt`).
//!
//! Every socket option of libzmq 4.3.5 is written down once, in the
//! `socket_options!` table at the end of this file. That one table generates both the
//! typed methods on [`Socket`] (`get_<name>` / `set_<name>`, only those libzmq
//! implements) and the runtime description [`SOCKET_OPTIONS`], so the two cannot
//! disagree. Options of libzmq's draft API are in the same table, marked
//! `#[cfg(feature = "draft")]`, and exist only with the crate's `draft` feature.
//!
//! Values are typed after the option's C type ([`OptionKind`]). libzmq stays the judge
//! of what it accepts: a value out of range comes back as its `EINVAL`, never as a panic.
//! For an option this crate does not know (a newer libzmq), use
//! [`Socket::set_option_raw`] and [`Socket::get_option_raw`].

use std::ffi::{c_int, c_short, c_void};
use std::mem::{align_of, size_of};
use std::ptr;

use crate::curve;
use crate::error::{cvt, Error, Result};
use crate::guard;
use crate::poll::PollEvents;
use crate::socket::Socket;
#[cfg(doc)]
use crate::socket::SocketType;

/// The value type of a socket option: its C type, and the Rust types of its getter and
/// setter on [`Socket`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum OptionKind {
    /// C `int`: `i32` both ways.
    Int,
    /// C `int` used as a boolean (0 or 1): `bool` both ways.
    Bool,
    /// C `int64_t`: `i64` both ways.
    Int64,
    /// C `uint64_t`: `u64` both ways.
    UInt64,
    /// Binary data: set from `&[u8]`, read as `Vec<u8>`.
    Bytes,
    /// Character string: set from `&str` (a NUL byte inside is `EINVAL`; an empty string
    /// is passed as `NULL`, which is how libzmq resets the options that can be reset),
    /// read as `String` (`EILSEQ` if libzmq holds bytes that are not UTF-8).
    String,
    /// A CURVE key: set from 32 binary bytes or 40 Z85 characters (libzmq checks which);
    /// read as the 32 binary bytes, or as Z85 text with the `_z85` getter.
    CurveKey,
    /// A native socket handle, [`zmq_fd_t`](crate::sys::zmq_fd_t): a `RawFd` on Unix, a
    /// `SOCKET` on Windows.
    Fd,
    /// Readiness flags, [`PollEvents`].
    Events,
    /// The security mechanism, [`Mechanism`].
    Mechanism,
    /// The socket type, [`SocketType`].
    SocketType,
    /// An IPC peer filter on process ids (`pid_t`): `Some(pid)` adds one to the allowed
    /// set, `None` clears the set.
    IpcFilterPid,
    /// An IPC peer filter on user or group ids (`uid_t` / `gid_t`): `Some(id)` adds one
    /// to the allowed set, `None` clears the set.
    IpcFilterId,
}

/// The description of one socket option, as listed in [`SOCKET_OPTIONS`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub struct SocketOptionInfo {
    /// The C name, e.g. `"ZMQ_LINGER"`.
    pub name: &'static str,
    /// The option number passed to `zmq_setsockopt` / `zmq_getsockopt`.
    pub id: c_int,
    /// The value type.
    pub kind: OptionKind,
    /// Whether libzmq can read it (and [`Socket`] has a `get_` method for it).
    pub get: bool,
    /// Whether libzmq can set it (and [`Socket`] has a `set_` method for it).
    pub set: bool,
    /// Whether it belongs to libzmq's draft API (present only with the `draft` feature).
    pub draft: bool,
    /// Whether libzmq documents it as deprecated (it still works in 4.3.5).
    pub deprecated: bool,
    /// Other C names `zmq.h` defines for the same option number (deprecated aliases such
    /// as `ZMQ_IDENTITY` for `ZMQ_ROUTING_ID`).
    pub aliases: &'static [&'static str],
    /// A one-line description.
    pub doc: &'static str,
}

impl SocketOptionInfo {
    /// The option with this C name or alias (`"ZMQ_LINGER"`, `"ZMQ_IDENTITY"`).
    ///
    /// ```
    /// let info = zmq::SocketOptionInfo::find("ZMQ_IDENTITY").unwrap();
    /// assert_eq!(info.name, "ZMQ_ROUTING_ID");
    /// assert_eq!(info.kind, zmq::OptionKind::Bytes);
    /// ```
    pub fn find(name: &str) -> Option<&'static SocketOptionInfo> {
        SOCKET_OPTIONS
            .iter()
            .find(|o| o.name == name || o.aliases.contains(&name))
    }

    /// The option with this number.
    pub fn from_id(id: c_int) -> Option<&'static SocketOptionInfo> {
        SOCKET_OPTIONS.iter().find(|o| o.id == id)
    }
}

/// A security mechanism (`ZMQ_MECHANISM`), chosen by the security options set on the
/// socket: `ZMQ_PLAIN_*` selects PLAIN, `ZMQ_CURVE_*` CURVE, `ZMQ_GSSAPI_*` GSSAPI.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[repr(i32)]
#[non_exhaustive]
pub enum Mechanism {
    /// No security (`ZMQ_NULL`), the default.
    Null = zmq_sys::ZMQ_NULL,
    /// Clear-text user name and password (`ZMQ_PLAIN`).
    Plain = zmq_sys::ZMQ_PLAIN,
    /// CurveZMQ encryption and authentication (`ZMQ_CURVE`).
    Curve = zmq_sys::ZMQ_CURVE,
    /// Kerberos through GSSAPI (`ZMQ_GSSAPI`).
    Gssapi = zmq_sys::ZMQ_GSSAPI,
}

impl TryFrom<c_int> for Mechanism {
    type Error = Error;

    /// The mechanism with this `ZMQ_` number; `EINVAL` for any other.
    fn try_from(value: c_int) -> Result<Mechanism> {
        match value {
            zmq_sys::ZMQ_NULL => Ok(Mechanism::Null),
            zmq_sys::ZMQ_PLAIN => Ok(Mechanism::Plain),
            zmq_sys::ZMQ_CURVE => Ok(Mechanism::Curve),
            zmq_sys::ZMQ_GSSAPI => Ok(Mechanism::Gssapi),
            _ => Err(Error::EINVAL),
        }
    }
}

/// Plain integers exchanged with libzmq as option values: every bit pattern is a valid
/// value, so whatever libzmq writes into one can be read back.
trait Scalar: Copy + Default {}
impl Scalar for i32 {}
impl Scalar for u32 {}
impl Scalar for i64 {}
impl Scalar for u64 {}
impl Scalar for usize {}

/// A small, 8-byte aligned, zero-padded copy of a short option value. libzmq reads C
/// `int`s straight out of some option buffers (`*(const int *) optval`), and the draft
/// `ZMQ_XSUB_VERBOSE_UNSUBSCRIBE` does so without checking the length first; a short
/// value copied here keeps such reads aligned and inside memory we own.
#[repr(C, align(8))]
struct Padded([u8; 8]);

/// The first buffer tried for options of variable length: one more than the 255 bytes
/// libzmq allows for routing ids, PLAIN credentials, ZAP domains and GSSAPI principals
/// (the trailing NUL of a string).
const FIRST_CAPACITY: usize = 256;

/// The largest buffer tried for an option of variable length (only `ZMQ_LAST_ENDPOINT`
/// and `ZMQ_SOCKS_PROXY` can be longer than 255 bytes).
const MAX_CAPACITY: usize = 64 * 1024;

impl Socket {
    /// Sets an option from raw bytes (`zmq_setsockopt`), for options this crate does not
    /// know. `value` holds the option's C value exactly as libzmq expects it, e.g.
    /// `&1000i32.to_ne_bytes()` for an `int`; libzmq checks the length and the value
    /// (`EINVAL` when it rejects them). An empty `value` is passed as a zero-length,
    /// non-null buffer: the typed setters pass `NULL` instead where libzmq gives it a
    /// meaning (resetting `ZMQ_TCP_ACCEPT_FILTER`, `ZMQ_SOCKS_PROXY` ...).
    ///
    /// ```
    /// let ctx = zmq::Context::new()?;
    /// let socket = ctx.socket(zmq::DEALER)?;
    /// socket.set_option_raw(zmq::sys::ZMQ_LINGER, &250i32.to_ne_bytes())?;
    /// assert_eq!(socket.get_linger()?, 250);
    /// assert_eq!(socket.set_option_raw(zmq::sys::ZMQ_LINGER, &[1]), Err(zmq::Error::EINVAL));
    /// # Ok::<(), zmq::Error>(())
    /// ```
    ///
    /// The options whose values libzmq would act on unsafely are checked as their
    /// typed setters check them; `ZMQ_USE_FD` is refused (`EINVAL`: it hands a
    /// descriptor to libzmq, which closes it later: use [`Socket::bind_with_fd`], or
    /// the `unsafe` [`Socket::set_use_fd`]).
    #[doc(alias = "zmq_setsockopt")]
    pub fn set_option_raw(&self, option: c_int, value: &[u8]) -> Result<()> {
        self.check_option(option, value, || {
            self.set_option_raw_unchecked(option, value)
        })
    }

    /// Where setting an option could make libzmq abort, steal a descriptor or
    /// corrupt memory later, the check made first (guard.rs); then `set`.
    fn check_option(
        &self,
        option: c_int,
        value: &[u8],
        set: impl FnOnce() -> Result<()>,
    ) -> Result<()> {
        let int = || match <[u8; 4]>::try_from(value) {
            Ok(bytes) => Ok(c_int::from_ne_bytes(bytes)),
            // libzmq rejects such a length for these int options: let it say so.
            Err(_) => Err(()),
        };
        match option {
            zmq_sys::ZMQ_USE_FD => Err(Error::EINVAL),
            zmq_sys::ZMQ_CONFLATE => {
                self.guard().conflate(value.iter().any(|&b| b != 0));
                set()
            }
            zmq_sys::ZMQ_CONNECT_ROUTING_ID => self.guard().set_connect_routing_id(value, set),
            zmq_sys::ZMQ_SNDHWM | zmq_sys::ZMQ_RCVHWM => self.guard().set_hwm(set),
            zmq_sys::ZMQ_ROUTER_MANDATORY => {
                self.guard()
                    .check_router_mandatory(value.iter().any(|&b| b != 0))?;
                set()
            }
            zmq_sys::ZMQ_TOS => {
                if let Ok(tos) = int() {
                    guard::check_ip_tos(tos)?;
                }
                set()
            }
            guard::ZMQ_PRIORITY => {
                if let Ok(priority) = int() {
                    guard::check_so_priority(priority)?;
                }
                set()
            }
            _ => set(),
        }
    }

    fn set_option_raw_unchecked(&self, option: c_int, value: &[u8]) -> Result<()> {
        let mut padded = Padded([0; 8]);
        let words: Vec<u64>;
        let data: *const u8 = if let Some(head) = padded.0.get_mut(..value.len()) {
            head.copy_from_slice(value);
            padded.0.as_ptr()
        } else if value.as_ptr().align_offset(align_of::<u64>()) == 0 {
            value.as_ptr()
        } else {
            // An unaligned long value: copied to aligned memory too, so that no read
            // of libzmq's is misaligned, whatever the option does with it.
            words = value
                .chunks(size_of::<u64>())
                .map(|chunk| {
                    let mut word = [0u8; size_of::<u64>()];
                    word[..chunk.len()].copy_from_slice(chunk);
                    u64::from_ne_bytes(word)
                })
                .collect();
            words.as_ptr().cast()
        };
        // SAFETY: our live socket; `data` points to at least `value.len()` readable
        // bytes, 8-byte aligned, holding `value` (a copy in `padded` or `words`, which
        // outlive the call, or `value` itself). libzmq reads at most `value.len()`
        // bytes, except the unchecked `int` read described at `Padded`, which stays
        // inside `padded` for short values.
        cvt(unsafe { zmq_sys::zmq_setsockopt(self.as_raw(), option, data.cast(), value.len()) })
            .map(drop)
    }

    /// Reads an option into `buf` (`zmq_getsockopt`), for options this crate does not
    /// know, and returns the length of the value libzmq wrote. libzmq wants the exact
    /// size for numbers (4 bytes for an `int`, 8 for an `int64_t`) and enough room for
    /// strings and binary values, including a string's trailing NUL; otherwise `EINVAL`.
    ///
    /// ```
    /// let ctx = zmq::Context::new()?;
    /// let socket = ctx.socket(zmq::DEALER)?;
    /// let mut buf = [0u8; 4];
    /// assert_eq!(socket.get_option_raw(zmq::sys::ZMQ_SNDHWM, &mut buf)?, 4);
    /// assert_eq!(i32::from_ne_bytes(buf), 1000);
    /// # Ok::<(), zmq::Error>(())
    /// ```
    #[doc(alias = "zmq_getsockopt")]
    pub fn get_option_raw(&self, option: c_int, buf: &mut [u8]) -> Result<usize> {
        let mut padded = Padded([0; 8]);
        let small = buf.len() <= padded.0.len();
        let data: *mut u8 = if small {
            padded.0.as_mut_ptr()
        } else {
            buf.as_mut_ptr()
        };
        let mut len = buf.len();
        // SAFETY: our live socket; `data` points to `len` writable bytes: `padded`,
        // 8-byte aligned for the `int` / `int64_t` stores libzmq does into buffers of
        // exactly 4 or 8 bytes, or `buf`, longer, into which libzmq only copies bytes.
        // libzmq writes at most `len` bytes and stores the value's length in `len`.
        cvt(unsafe { zmq_sys::zmq_getsockopt(self.as_raw(), option, data.cast(), &mut len) })?;
        let len = len.min(buf.len());
        if small {
            buf[..len].copy_from_slice(&padded.0[..len]);
        }
        Ok(len)
    }

    /// Sets an option to `NULL` with length 0: how C resets the options that can be
    /// reset (an empty string option, an IPC filter set).
    fn set_option_null(&self, option: c_int) -> Result<()> {
        // SAFETY: our live socket. This is only called for string and IPC filter options,
        // for which libzmq (every socket type's `xsetsockopt`, then `options_t`) checks
        // the length, or copies zero bytes, before any use of the value pointer.
        cvt(unsafe { zmq_sys::zmq_setsockopt(self.as_raw(), option, ptr::null(), 0) }).map(drop)
    }

    fn set_scalar_option<T: Scalar>(&self, option: c_int, value: T) -> Result<()> {
        let data: *const T = &value;
        // SAFETY: `data` points to a live, initialised T of size_of::<T>() bytes; a
        // Scalar is a plain integer without padding, so every byte is initialised.
        let bytes = unsafe { std::slice::from_raw_parts(data.cast::<u8>(), size_of::<T>()) };
        self.check_option(option, bytes, || {
            self.set_scalar_option_unchecked(option, value)
        })
    }

    /// Sets `ZMQ_USE_FD`, which `set_option_raw` refuses (see bind_fd.rs).
    #[cfg(unix)]
    pub(crate) fn set_use_fd_unchecked(&self, fd: std::os::fd::RawFd) -> Result<()> {
        self.set_scalar_option_unchecked::<c_int>(zmq_sys::ZMQ_USE_FD, fd)
    }

    fn set_scalar_option_unchecked<T: Scalar>(&self, option: c_int, value: T) -> Result<()> {
        let data: *const T = &value;
        // SAFETY: our live socket; `data` points to a readable, aligned T of
        // size_of::<T>() bytes that outlives the call.
        cvt(unsafe {
            zmq_sys::zmq_setsockopt(self.as_raw(), option, data.cast::<c_void>(), size_of::<T>())
        })
        .map(drop)
    }

    fn get_scalar_option<T: Scalar>(&self, option: c_int) -> Result<T> {
        let mut value = T::default();
        let data: *mut T = &mut value;
        let mut len = size_of::<T>();
        // SAFETY: our live socket; `data`/`len` describe a writable, aligned T; libzmq
        // writes at most `len` bytes, and any bytes make a valid T (see `Scalar`).
        cvt(unsafe {
            zmq_sys::zmq_getsockopt(self.as_raw(), option, data.cast::<c_void>(), &mut len)
        })?;
        if len == size_of::<T>() {
            Ok(value)
        } else {
            Err(Error::EINVAL)
        }
    }

    fn set_string_option(&self, option: c_int, value: &str) -> Result<()> {
        if value.as_bytes().contains(&0) {
            Err(Error::EINVAL)
        } else if value.is_empty() {
            self.set_option_null(option)
        } else {
            self.set_option_raw(option, value.as_bytes())
        }
    }

    fn set_filter_option<T: Scalar>(&self, option: c_int, value: Option<T>) -> Result<()> {
        match value {
            Some(id) => self.set_scalar_option(option, id),
            None => self.set_option_null(option),
        }
    }

    /// Reads an option of variable length, growing the buffer while libzmq says it is
    /// too small (`EINVAL`), up to [`MAX_CAPACITY`].
    fn get_bytes_option(&self, option: c_int) -> Result<Vec<u8>> {
        let mut capacity = FIRST_CAPACITY;
        loop {
            let mut buf = vec![0u8; capacity];
            match self.get_option_raw(option, &mut buf) {
                Ok(len) => {
                    buf.truncate(len);
                    return Ok(buf);
                }
                Err(Error::EINVAL) if capacity < MAX_CAPACITY => {
                    capacity = (capacity * 4).min(MAX_CAPACITY);
                }
                Err(e) => return Err(e),
            }
        }
    }

    fn get_string_option(&self, option: c_int) -> Result<String> {
        let mut bytes = self.get_bytes_option(option)?;
        if bytes.last() == Some(&0) {
            bytes.pop();
        }
        String::from_utf8(bytes).map_err(|_| Error::EILSEQ)
    }

    fn get_curve_key_option(&self, option: c_int) -> Result<Vec<u8>> {
        let mut key = vec![0u8; curve::KEY_LEN];
        let len = self.get_option_raw(option, &mut key)?;
        key.truncate(len);
        if key.len() == curve::KEY_LEN {
            Ok(key)
        } else {
            Err(Error::EINVAL)
        }
    }

    fn get_curve_key_z85_option(&self, option: c_int) -> Result<String> {
        // A buffer of 41 bytes asks libzmq for the Z85 text plus its NUL.
        let mut text = [0u8; curve::KEY_Z85_LEN + 1];
        self.get_option_raw(option, &mut text)?;
        std::str::from_utf8(&text[..curve::KEY_Z85_LEN])
            .map(str::to_owned)
            .map_err(|_| Error::EILSEQ)
    }

    fn get_events_option(&self, option: c_int) -> Result<PollEvents> {
        let bits = self.get_scalar_option::<c_int>(option)?;
        c_short::try_from(bits)
            .map(PollEvents::from_bits_retain)
            .map_err(|_| Error::EINVAL)
    }

    /// The CURVE public key (`ZMQ_CURVE_PUBLICKEY`) as 40 characters of Z85 text.
    /// `EINVAL` when libzmq was built without CURVE.
    pub fn get_curve_publickey_z85(&self) -> Result<String> {
        self.get_curve_key_z85_option(zmq_sys::ZMQ_CURVE_PUBLICKEY)
    }

    /// The CURVE secret key (`ZMQ_CURVE_SECRETKEY`) as 40 characters of Z85 text.
    /// `EINVAL` when libzmq was built without CURVE.
    pub fn get_curve_secretkey_z85(&self) -> Result<String> {
        self.get_curve_key_z85_option(zmq_sys::ZMQ_CURVE_SECRETKEY)
    }

    /// The CURVE server key (`ZMQ_CURVE_SERVERKEY`) as 40 characters of Z85 text.
    /// `EINVAL` when libzmq was built without CURVE.
    pub fn get_curve_serverkey_z85(&self) -> Result<String> {
        self.get_curve_key_z85_option(zmq_sys::ZMQ_CURVE_SERVERKEY)
    }
}

/// Removes the space rustdoc leaves at the start of a `///` line.
pub(crate) const fn doc_line(doc: &'static str) -> &'static str {
    match doc.as_bytes() {
        [b' ', rest @ ..] => match std::str::from_utf8(rest) {
            Ok(text) => text,
            Err(_) => doc,
        },
        _ => doc,
    }
}

/// The Rust type a getter of this kind returns.
macro_rules! getter_type {
    (Int) => { i32 };
    (Bool) => { bool };
    (Int64) => { i64 };
    (UInt64) => { u64 };
    (Bytes) => { Vec<u8> };
    (String) => { String };
    (CurveKey) => { Vec<u8> };
    (Fd) => { zmq_sys::zmq_fd_t };
    (Events) => { PollEvents };
    (Mechanism) => { Mechanism };
}

/// The body of a getter of this kind.
macro_rules! getter_body {
    (Int, $socket:expr, $id:expr) => {
        $socket.get_scalar_option::<c_int>($id)
    };
    (Bool, $socket:expr, $id:expr) => {
        $socket.get_scalar_option::<c_int>($id).map(|v| v != 0)
    };
    (Int64, $socket:expr, $id:expr) => {
        $socket.get_scalar_option::<i64>($id)
    };
    (UInt64, $socket:expr, $id:expr) => {
        $socket.get_scalar_option::<u64>($id)
    };
    (Bytes, $socket:expr, $id:expr) => {
        $socket.get_bytes_option($id)
    };
    (String, $socket:expr, $id:expr) => {
        $socket.get_string_option($id)
    };
    (CurveKey, $socket:expr, $id:expr) => {
        $socket.get_curve_key_option($id)
    };
    (Fd, $socket:expr, $id:expr) => {
        $socket.get_scalar_option::<zmq_sys::zmq_fd_t>($id)
    };
    (Events, $socket:expr, $id:expr) => {
        $socket.get_events_option($id)
    };
    (Mechanism, $socket:expr, $id:expr) => {
        $socket
            .get_scalar_option::<c_int>($id)
            .and_then(Mechanism::try_from)
    };
}

/// What the documentation of a getter of this kind adds.
macro_rules! getter_note {
    (Int) => {
        ""
    };
    (Bool) => {
        ""
    };
    (Int64) => {
        ""
    };
    (UInt64) => {
        ""
    };
    (Bytes) => {
        ""
    };
    (String) => {
        "`EILSEQ` if the value is not UTF-8; `EINVAL` for a value longer than 64 KiB."
    };
    (CurveKey) => {
        "The 32-byte binary key (all zeros when unset); the `_z85` variant gives it as \
         text. `EINVAL` when libzmq was built without CURVE."
    };
    (Fd) => {
        ""
    };
    (Events) => {
        ""
    };
    (Mechanism) => {
        ""
    };
}

/// The Rust type a setter of this kind takes.
macro_rules! setter_type {
    (Int) => { i32 };
    (Bool) => { bool };
    (Int64) => { i64 };
    (UInt64) => { u64 };
    (Bytes) => { &[u8] };
    (String) => { &str };
    (CurveKey) => { &[u8] };
    (IpcFilterPid) => { Option<i32> };
    (IpcFilterId) => { Option<u32> };
}

/// The body of a setter of this kind.
macro_rules! setter_body {
    (Int, $socket:expr, $id:expr, $value:expr) => {
        $socket.set_scalar_option::<c_int>($id, $value)
    };
    (Bool, $socket:expr, $id:expr, $value:expr) => {
        $socket.set_scalar_option::<c_int>($id, c_int::from($value))
    };
    (Int64, $socket:expr, $id:expr, $value:expr) => {
        $socket.set_scalar_option::<i64>($id, $value)
    };
    (UInt64, $socket:expr, $id:expr, $value:expr) => {
        $socket.set_scalar_option::<u64>($id, $value)
    };
    (Bytes, $socket:expr, $id:expr, $value:expr) => {
        $socket.set_option_raw($id, $value)
    };
    (String, $socket:expr, $id:expr, $value:expr) => {
        $socket.set_string_option($id, $value)
    };
    (CurveKey, $socket:expr, $id:expr, $value:expr) => {
        crate::curve::check_curve_key($value).and_then(|()| $socket.set_option_raw($id, $value))
    };
    (IpcFilterPid, $socket:expr, $id:expr, $value:expr) => {
        $socket.set_filter_option::<i32>($id, $value)
    };
    (IpcFilterId, $socket:expr, $id:expr, $value:expr) => {
        $socket.set_filter_option::<u32>($id, $value)
    };
}

/// What the documentation of a setter of this kind adds.
macro_rules! setter_note {
    (Int) => {
        "libzmq rejects a value out of its range with `EINVAL`."
    };
    (Bool) => {
        "Passed to libzmq as the C `int` 0 or 1."
    };
    (Int64) => {
        "libzmq rejects a value out of its range with `EINVAL`."
    };
    (UInt64) => {
        ""
    };
    (Bytes) => {
        "The bytes are passed as they are; libzmq checks their length."
    };
    (String) => {
        "`EINVAL` if `value` holds a NUL byte. An empty string is passed as `NULL`, \
         which resets the options that can be reset (and is `EINVAL` for the others)."
    };
    (CurveKey) => {
        "`value` is the 32-byte binary key or its 40 characters of Z85 text (41 with a \
         trailing NUL); libzmq rejects any other length, or bad Z85, with `EINVAL`, as \
         it does every CURVE option when built without CURVE."
    };
    (IpcFilterPid) => {
        "`Some(pid)` adds a process id to the allowed set, `None` clears the set (`NULL`). \
         `EINVAL` where the OS cannot tell the peer's credentials."
    };
    (IpcFilterId) => {
        "`Some(id)` adds an id to the allowed set, `None` clears the set (`NULL`). \
         `EINVAL` where the OS cannot tell the peer's credentials."
    };
}

/// A getter, when the table lists one.
macro_rules! option_getter {
    ([] $($ignored:tt)*) => {};
    // ZMQ_TYPE: `Socket::get_socket_type` is defined with the socket types, in socket.rs.
    ([$getter:ident] SocketType $($ignored:tt)*) => {};
    ([$getter:ident] $kind:ident $c:ident; $(#[$attr:meta])*) => {
        $(#[$attr])*
        #[doc = ""]
        #[doc = concat!("Reads `", stringify!($c), "` (`zmq_getsockopt`). ", getter_note!($kind))]
        #[inline]
        pub fn $getter(&self) -> Result<getter_type!($kind)> {
            getter_body!($kind, self, zmq_sys::$c)
        }
    };
}

/// A setter, when the table lists one.
macro_rules! option_setter {
    ([] $($ignored:tt)*) => {};
    ([$setter:ident] $kind:ident $c:ident; $(#[$attr:meta])*) => {
        $(#[$attr])*
        #[doc = ""]
        #[doc = concat!("Sets `", stringify!($c), "` (`zmq_setsockopt`). ", setter_note!($kind))]
        #[inline]
        pub fn $setter(&self, value: setter_type!($kind)) -> Result<()> {
            setter_body!($kind, self, zmq_sys::$c, value)
        }
    };
}

/// The test accessor of a getter (a function pointer, to walk the table in tests).
#[cfg(test)]
macro_rules! test_getter {
    ([] $kind:ident) => {
        None
    };
    ([$getter:ident] $kind:ident) => {
        Some((
            stringify!($getter),
            (|socket: &Socket| socket.$getter().map(test_support::Sample::$kind))
                as test_support::Getter,
        ))
    };
}

/// The test accessor of a setter.
#[cfg(test)]
macro_rules! test_setter {
    ([] $kind:ident) => {
        None
    };
    ([$setter:ident] $kind:ident) => {
        Some((
            stringify!($setter),
            (|socket: &Socket, sample: &test_support::Sample| match sample {
                test_support::Sample::$kind(value) => {
                    socket.$setter(test_support::AsArg::as_arg(value))
                }
                other => panic!("{}: a {:?} is no sample for it", stringify!($setter), other),
            }) as test_support::Setter,
        ))
    };
}

/// The table: for each option, its one-line doc (what [`SOCKET_OPTIONS`] says of it),
/// optional further doc lines (the getter's and setter's documentation only),
/// optional `#[doc(alias = "ZMQ_...")]`
/// lines (the deprecated C aliases), an optional `#[deprecated = "..."]`, the draft
/// marker `#[cfg(feature = "draft")]` for draft options, then
/// `C_NAME: Kind, getter / setter;` with the getter or setter left out when libzmq has
/// none.
macro_rules! socket_options {
    ($(
        #[doc = $doc:literal]
        $(#[doc = $more:literal])*
        $(#[doc(alias = $alias:literal)])*
        $(#[deprecated = $deprecated:literal])?
        $(#[cfg(feature = $draft:literal)])?
        $c:ident: $kind:ident, $($getter:ident)? / $($setter:ident)?;
    )*) => {
        /// Every socket option of libzmq 4.3.5 (its stable API; with the `draft` feature
        /// the draft options too), in option-number order, with the value type and the
        /// access libzmq implements. Each entry with `get` has a `get_<name>` method on
        /// [`Socket`], each with `set` a `set_<name>` method (`ZMQ_TYPE` is read by
        /// [`Socket::get_socket_type`]). `ZMQ_BLOCKY`, defined among the socket options in
        /// `zmq.h`, is a context option and is not listed.
        ///
        /// ```
        /// let linger = zmq::SocketOptionInfo::find("ZMQ_LINGER").unwrap();
        /// assert!(linger.get && linger.set);
        /// assert_eq!(linger.kind, zmq::OptionKind::Int);
        /// let read_only = zmq::SOCKET_OPTIONS.iter().filter(|o| !o.set).count();
        /// assert!(read_only >= 7);
        /// ```
        pub const SOCKET_OPTIONS: &[SocketOptionInfo] = &[$(
            $(#[cfg(feature = $draft)])?
            SocketOptionInfo {
                name: stringify!($c),
                id: zmq_sys::$c,
                kind: OptionKind::$kind,
                get: present!($($getter)?),
                set: present!($($setter)?),
                draft: present!($($draft)?),
                deprecated: present!($($deprecated)?),
                aliases: &[$($alias),*],
                doc: doc_line($doc),
            },
        )*];

        impl Socket {$(
            option_getter! {
                [$($getter)?] $kind $c;
                #[doc = $doc]
                $(#[doc = $more])*
                $(#[doc(alias = $alias)])*
                $(#[deprecated = $deprecated])?
                $(#[cfg(feature = $draft)])?
                $(#[cfg_attr(docsrs, doc(cfg(feature = $draft)))])?
            }
            option_setter! {
                [$($setter)?] $kind $c;
                #[doc = $doc]
                $(#[doc = $more])*
                $(#[doc(alias = $alias)])*
                $(#[deprecated = $deprecated])?
                $(#[cfg(feature = $draft)])?
                $(#[cfg_attr(docsrs, doc(cfg(feature = $draft)))])?
            }
        )*}

        /// The typed methods of every entry of [`SOCKET_OPTIONS`], in the same order.
        #[cfg(test)]
        #[allow(deprecated)]
        fn accessors() -> Vec<test_support::Accessor> {
            Vec::from([$(
                $(#[cfg(feature = $draft)])?
                test_support::Accessor {
                    name: stringify!($c),
                    getter: test_getter!([$($getter)?] $kind),
                    setter: test_setter!([$($setter)?] $kind),
                },
            )*])
        }
    };
}

socket_options! {
    /// The I/O threads (a bitmap; 0: any) that serve the socket's next connections.
    ZMQ_AFFINITY: UInt64, get_affinity / set_affinity;
    /// The routing id (identity) of the socket, 1 to 255 bytes, as ROUTER peers see it.
    #[doc(alias = "ZMQ_IDENTITY")]
    ZMQ_ROUTING_ID: Bytes, get_routing_id / set_routing_id;
    /// SUB: adds a prefix filter on incoming messages (empty: everything).
    ZMQ_SUBSCRIBE: Bytes, / set_subscribe;
    /// SUB: removes one filter added by `set_subscribe`.
    ZMQ_UNSUBSCRIBE: Bytes, / set_unsubscribe;
    /// Multicast data rate in kilobits per second (> 0).
    ZMQ_RATE: Int, get_rate / set_rate;
    /// Multicast recovery interval in milliseconds (>= 0).
    ZMQ_RECOVERY_IVL: Int, get_recovery_ivl / set_recovery_ivl;
    /// Kernel send buffer size (`SO_SNDBUF`) in bytes; -1: the OS default.
    ZMQ_SNDBUF: Int, get_sndbuf / set_sndbuf;
    /// Kernel receive buffer size (`SO_RCVBUF`) in bytes; -1: the OS default.
    ZMQ_RCVBUF: Int, get_rcvbuf / set_rcvbuf;
    /// Whether more frames of the message being received follow.
    ZMQ_RCVMORE: Bool, get_rcvmore / ;
    /// A file descriptor that becomes readable (edge-triggered) when `get_events` may have changed.
    ZMQ_FD: Fd, get_fd / ;
    /// What the socket can do now without blocking: `POLLIN` and/or `POLLOUT`.
    ZMQ_EVENTS: Events, get_events / ;
    /// The socket type.
    ZMQ_TYPE: SocketType, get_socket_type / ;
    /// How long unsent messages are kept after close, in milliseconds (-1: forever, 0: none).
    ZMQ_LINGER: Int, get_linger / set_linger;
    /// Initial reconnection interval in milliseconds (-1: no reconnection).
    ZMQ_RECONNECT_IVL: Int, get_reconnect_ivl / set_reconnect_ivl;
    /// Length of the queue of pending incoming connections (`listen` backlog).
    ZMQ_BACKLOG: Int, get_backlog / set_backlog;
    /// Upper bound of the exponential reconnection back-off in milliseconds (0: no back-off).
    ZMQ_RECONNECT_IVL_MAX: Int, get_reconnect_ivl_max / set_reconnect_ivl_max;
    /// Largest inbound message in bytes (-1: no limit); a peer sending a larger one is disconnected.
    ZMQ_MAXMSGSIZE: Int64, get_maxmsgsize / set_maxmsgsize;
    /// High water mark of outbound messages per peer (0: no limit); set it before the first `bind` or `connect`.
    ///
    /// Refused with `EINVAL` once the socket has been bound or connected: libzmq
    /// 4.3.5 passes a new high-water mark to the peer of every pipe, including one
    /// it has already freed while the pipe terminates (a use after free).
    ZMQ_SNDHWM: Int, get_sndhwm / set_sndhwm;
    /// High water mark of inbound messages per peer (0: no limit); set it before the first `bind` or `connect`.
    ///
    /// Refused with `EINVAL` once the socket has been bound or connected, as
    /// [`Socket::set_sndhwm`] is.
    ZMQ_RCVHWM: Int, get_rcvhwm / set_rcvhwm;
    /// Maximum network hops of multicast packets (> 0).
    ZMQ_MULTICAST_HOPS: Int, get_multicast_hops / set_multicast_hops;
    /// Receive timeout in milliseconds, after which a receive fails with `EAGAIN` (-1: none).
    ZMQ_RCVTIMEO: Int, get_rcvtimeo / set_rcvtimeo;
    /// Send timeout in milliseconds, after which a send fails with `EAGAIN` (-1: none).
    ZMQ_SNDTIMEO: Int, get_sndtimeo / set_sndtimeo;
    /// Deprecated (use `ZMQ_IPV6`): TCP over IPv4 only; the inverse of `ZMQ_IPV6`.
    #[deprecated = "libzmq deprecates ZMQ_IPV4ONLY: use `set_ipv6` / `get_ipv6`"]
    ZMQ_IPV4ONLY: Bool, get_ipv4only / set_ipv4only;
    /// The endpoint last bound, with the real port of a `tcp://...:*` wildcard.
    ZMQ_LAST_ENDPOINT: String, get_last_endpoint / ;
    /// ROUTER: report unroutable messages (`EHOSTUNREACH`) instead of dropping them.
    ///
    /// `EINVAL` on a REP socket, which libzmq lets take this ROUTER option and then
    /// aborts the process when a requester leaves (`rep.cpp:64`).
    #[doc(alias = "ZMQ_FAIL_UNROUTABLE")]
    #[doc(alias = "ZMQ_ROUTER_BEHAVIOR")]
    ZMQ_ROUTER_MANDATORY: Bool, / set_router_mandatory;
    /// TCP keepalive (`SO_KEEPALIVE`): 1 on, 0 off, -1 the OS default.
    ZMQ_TCP_KEEPALIVE: Int, get_tcp_keepalive / set_tcp_keepalive;
    /// TCP keepalive probes before dropping a connection (`TCP_KEEPCNT`); -1: the OS default.
    ZMQ_TCP_KEEPALIVE_CNT: Int, get_tcp_keepalive_cnt / set_tcp_keepalive_cnt;
    /// Idle seconds before TCP keepalive probes start (`TCP_KEEPIDLE`); -1: the OS default.
    ZMQ_TCP_KEEPALIVE_IDLE: Int, get_tcp_keepalive_idle / set_tcp_keepalive_idle;
    /// Seconds between TCP keepalive probes (`TCP_KEEPINTVL`); -1: the OS default.
    ZMQ_TCP_KEEPALIVE_INTVL: Int, get_tcp_keepalive_intvl / set_tcp_keepalive_intvl;
    /// Deprecated (use ZAP): adds an `address[/mask]` allowed to connect over TCP; empty clears.
    #[deprecated = "libzmq deprecates ZMQ_TCP_ACCEPT_FILTER: authenticate through ZAP"]
    ZMQ_TCP_ACCEPT_FILTER: String, / set_tcp_accept_filter;
    /// Queue messages only to connections that have completed their handshake.
    #[doc(alias = "ZMQ_DELAY_ATTACH_ON_CONNECT")]
    ZMQ_IMMEDIATE: Bool, get_immediate / set_immediate;
    /// XPUB: pass every subscription upstream, duplicates included.
    ZMQ_XPUB_VERBOSE: Bool, / set_xpub_verbose;
    /// Deprecated (use STREAM sockets): ROUTER in raw TCP mode.
    #[deprecated = "libzmq deprecates ZMQ_ROUTER_RAW: use a STREAM socket"]
    ZMQ_ROUTER_RAW: Bool, / set_router_raw;
    /// TCP over IPv6 as well as IPv4.
    ZMQ_IPV6: Bool, get_ipv6 / set_ipv6;
    /// The security mechanism the other options have selected.
    ZMQ_MECHANISM: Mechanism, get_mechanism / ;
    /// Act as the PLAIN server of the connections.
    ZMQ_PLAIN_SERVER: Bool, get_plain_server / set_plain_server;
    /// PLAIN user name, 1 to 255 bytes (selects PLAIN; empty goes back to NULL security but the getter still returns the old name).
    ZMQ_PLAIN_USERNAME: String, get_plain_username / set_plain_username;
    /// PLAIN password, 1 to 255 bytes (selects PLAIN; empty goes back to NULL security but the getter still returns the old one).
    ZMQ_PLAIN_PASSWORD: String, get_plain_password / set_plain_password;
    /// Act as the CURVE server of the connections (needs the secret key).
    ZMQ_CURVE_SERVER: Bool, get_curve_server / set_curve_server;
    /// The socket's long-term CURVE public key.
    ZMQ_CURVE_PUBLICKEY: CurveKey, get_curve_publickey / set_curve_publickey;
    /// The socket's long-term CURVE secret key.
    ZMQ_CURVE_SECRETKEY: CurveKey, get_curve_secretkey / set_curve_secretkey;
    /// The CURVE public key of the server to connect to (makes the socket a CURVE client; one that binds must set it before `bind`).
    ZMQ_CURVE_SERVERKEY: CurveKey, get_curve_serverkey / set_curve_serverkey;
    /// ROUTER, DEALER, REQ: send an empty message on connecting, to announce the routing id.
    ZMQ_PROBE_ROUTER: Bool, / set_probe_router;
    /// REQ: match replies to requests through request ids.
    ZMQ_REQ_CORRELATE: Bool, / set_req_correlate;
    /// REQ: allow a new request before the reply to the last one.
    ZMQ_REQ_RELAXED: Bool, / set_req_relaxed;
    /// Keep only the last message in each queue (DEALER, PULL, PUSH, PUB, SUB; single-frame messages only: read the danger below).
    ///
    /// **Danger: libzmq's conflate cannot carry multipart messages, and a peer can
    /// abort the process with one.** A conflating queue keeps one frame, so a
    /// multipart message arriving on a conflating socket is torn, and libzmq 4.3.5
    /// aborts (`fq.cpp:80`) when a receive finds the rest of a message missing. This
    /// crate guards what it can: once conflate has been on, a send with `SNDMORE`
    /// fails with `EINVAL`, and a received frame with more to follow fails with
    /// `EPROTO`, as does every later receive on the socket (it cannot be read safely
    /// any more: close it). What it cannot guard: a conflating **SUB** drops the
    /// multipart messages it does not subscribe to inside libzmq, where a torn one
    /// aborts the process before any receive of ours. So never enable conflate on a
    /// socket that a peer sending multipart messages, or an untrusted peer, can
    /// reach. [`Socket::recv_latest`] keeps only the newest message without libzmq's
    /// conflate, whole multipart messages included. SECURITY.md lists this risk.
    ZMQ_CONFLATE: Bool, get_conflate / set_conflate;
    /// ZAP (RFC 27) authentication domain, 1 to 255 bytes.
    ZMQ_ZAP_DOMAIN: String, get_zap_domain / set_zap_domain;
    /// ROUTER: a new connection with a routing id in use takes it over.
    ZMQ_ROUTER_HANDOVER: Bool, / set_router_handover;
    /// IP type of service (DSCP and ECN bits) of outgoing packets (>= 0).
    ZMQ_TOS: Int, get_tos / set_tos;
    /// Deprecated (use ZAP): a process id allowed to connect over IPC.
    #[deprecated = "libzmq deprecates ZMQ_IPC_FILTER_PID: authenticate through ZAP"]
    ZMQ_IPC_FILTER_PID: IpcFilterPid, / set_ipc_filter_pid;
    /// Deprecated (use ZAP): a user id allowed to connect over IPC.
    #[deprecated = "libzmq deprecates ZMQ_IPC_FILTER_UID: authenticate through ZAP"]
    ZMQ_IPC_FILTER_UID: IpcFilterId, / set_ipc_filter_uid;
    /// Deprecated (use ZAP): a group id allowed to connect over IPC.
    #[deprecated = "libzmq deprecates ZMQ_IPC_FILTER_GID: authenticate through ZAP"]
    ZMQ_IPC_FILTER_GID: IpcFilterId, / set_ipc_filter_gid;
    /// ROUTER, STREAM: the routing id, 1 to 255 bytes, of the peer of the next `connect`.
    ///
    /// libzmq aborts the process when the id is in use on the socket at the
    /// `connect`. So ids starting with a zero byte (libzmq's own generated ids) are
    /// refused here (`EINVAL`), and [`Socket::connect`] refuses an id that is or may be
    /// in use (`EEXIST`, see there). A remote peer of a ROUTER can announce any
    /// routing id: one that announces the id a later connect uses makes that connect
    /// abort, unless the draft API is on (then the connect sees it and fails with
    /// `EEXIST`; a peer that arrives within microseconds of the connect still wins).
    /// Use ids no remote peer can know or guess where untrusted peers can connect.
    #[doc(alias = "ZMQ_CONNECT_RID")]
    ZMQ_CONNECT_ROUTING_ID: Bytes, / set_connect_routing_id;
    /// Act as the GSSAPI server (needs libzmq built with GSSAPI, like every GSSAPI option).
    ZMQ_GSSAPI_SERVER: Bool, get_gssapi_server / set_gssapi_server;
    /// GSSAPI principal name, 1 to 255 bytes.
    ZMQ_GSSAPI_PRINCIPAL: String, get_gssapi_principal / set_gssapi_principal;
    /// GSSAPI principal name of the server to connect to, 1 to 255 bytes.
    ZMQ_GSSAPI_SERVICE_PRINCIPAL: String, get_gssapi_service_principal / set_gssapi_service_principal;
    /// GSSAPI without encryption.
    ZMQ_GSSAPI_PLAINTEXT: Bool, get_gssapi_plaintext / set_gssapi_plaintext;
    /// Maximum time of the ZMTP handshake in milliseconds (0: none).
    ZMQ_HANDSHAKE_IVL: Int, get_handshake_ivl / set_handshake_ivl;
    /// SOCKS5 proxy (`host:port`) for outgoing TCP connections; empty: none.
    ZMQ_SOCKS_PROXY: String, get_socks_proxy / set_socks_proxy;
    /// XPUB (and PUB): block or fail with `EAGAIN` at the high water mark instead of dropping.
    ZMQ_XPUB_NODROP: Bool, / set_xpub_nodrop;
    /// XPUB: subscriptions take effect only when the application sets them on the XPUB.
    ZMQ_XPUB_MANUAL: Bool, / set_xpub_manual;
    /// XPUB: a message sent to each new subscriber (empty: none).
    ZMQ_XPUB_WELCOME_MSG: Bytes, / set_xpub_welcome_msg;
    /// STREAM: deliver an empty message on each connect and disconnect (default on).
    ZMQ_STREAM_NOTIFY: Bool, / set_stream_notify;
    /// PUB, XPUB, SUB: let through the messages that match no subscription instead.
    ZMQ_INVERT_MATCHING: Bool, get_invert_matching / set_invert_matching;
    /// Interval of ZMTP heartbeats (PING) in milliseconds (0: none).
    ZMQ_HEARTBEAT_IVL: Int, get_heartbeat_ivl / set_heartbeat_ivl;
    /// Heartbeat time-to-live asked of peers in milliseconds, kept in tenths of a second (reads back rounded down to 100s; at most 6553599).
    ZMQ_HEARTBEAT_TTL: Int, get_heartbeat_ttl / set_heartbeat_ttl;
    /// Time without traffic after a PING before the connection is dropped, in milliseconds.
    ZMQ_HEARTBEAT_TIMEOUT: Int, get_heartbeat_timeout / set_heartbeat_timeout;
    /// XPUB: pass every subscription and unsubscription upstream, duplicates included.
    ZMQ_XPUB_VERBOSER: Bool, / set_xpub_verboser;
    /// Timeout of a TCP `connect` in milliseconds (0: the OS's).
    ZMQ_CONNECT_TIMEOUT: Int, get_connect_timeout / set_connect_timeout;
    /// Maximum TCP retransmission timeout in milliseconds (0: the OS default).
    ZMQ_TCP_MAXRT: Int, get_tcp_maxrt / set_tcp_maxrt;
    /// Whether the socket may be used from several threads (the draft CLIENT, SERVER ... types).
    ZMQ_THREAD_SAFE: Bool, get_thread_safe / ;
    /// Maximum transport data unit of multicast packets in bytes (> 0).
    ZMQ_MULTICAST_MAXTPDU: Int, get_multicast_maxtpdu / set_multicast_maxtpdu;
    /// VMCI buffer size in bytes (needs libzmq built with VMCI; 4.3.5 implements no getter).
    ZMQ_VMCI_BUFFER_SIZE: UInt64, / set_vmci_buffer_size;
    /// Minimum VMCI buffer size in bytes (needs VMCI; 4.3.5 implements no getter).
    ZMQ_VMCI_BUFFER_MIN_SIZE: UInt64, / set_vmci_buffer_min_size;
    /// Maximum VMCI buffer size in bytes (needs VMCI; 4.3.5 implements no getter).
    ZMQ_VMCI_BUFFER_MAX_SIZE: UInt64, / set_vmci_buffer_max_size;
    /// VMCI connect timeout in milliseconds (needs VMCI; 4.3.5 implements no getter).
    ZMQ_VMCI_CONNECT_TIMEOUT: Int, / set_vmci_connect_timeout;
    /// An already bound and listening socket (fd) for the next `bind` to use (-1: none); set through `bind_with_fd`.
    ZMQ_USE_FD: Int, get_use_fd / ;
    /// GSSAPI name type of the principal: `ZMQ_GSSAPI_NT_HOSTBASED`, `_USER_NAME` or `_KRB5_PRINCIPAL`.
    ZMQ_GSSAPI_PRINCIPAL_NAMETYPE: Int, get_gssapi_principal_nametype / set_gssapi_principal_nametype;
    /// GSSAPI name type of the service principal (as `ZMQ_GSSAPI_PRINCIPAL_NAMETYPE`).
    ZMQ_GSSAPI_SERVICE_PRINCIPAL_NAMETYPE: Int, get_gssapi_service_principal_nametype / set_gssapi_service_principal_nametype;
    /// Network interface the TCP and UDP sockets are bound to (`SO_BINDTODEVICE`, at most 16 bytes).
    ZMQ_BINDTODEVICE: String, get_bindtodevice / set_bindtodevice;

    /// Draft: check ZAP domains strictly as RFC 27 says.
    #[cfg(feature = "draft")]
    ZMQ_ZAP_ENFORCE_DOMAIN: Bool, get_zap_enforce_domain / set_zap_enforce_domain;
    /// Draft: the fast path for TCP loopback connections (Windows only).
    #[cfg(feature = "draft")]
    ZMQ_LOOPBACK_FASTPATH: Bool, get_loopback_fastpath / set_loopback_fastpath;
    /// Draft: adds `X-name:value` application metadata sent in the handshake.
    #[cfg(feature = "draft")]
    ZMQ_METADATA: String, / set_metadata;
    /// Draft: RADIO over UDP multicast receives its own messages (default on).
    #[cfg(feature = "draft")]
    ZMQ_MULTICAST_LOOP: Bool, get_multicast_loop / set_multicast_loop;
    /// Draft: ROUTER delivers connect/disconnect notifications (`ZMQ_NOTIFY_*` flags).
    #[cfg(feature = "draft")]
    ZMQ_ROUTER_NOTIFY: Int, get_router_notify / set_router_notify;
    /// Draft: XPUB manual mode that sends the last value to new subscribers only.
    #[cfg(feature = "draft")]
    ZMQ_XPUB_MANUAL_LAST_VALUE: Bool, / set_xpub_manual_last_value;
    /// Draft: SOCKS5 user name, at most 255 bytes (empty: no authentication).
    #[cfg(feature = "draft")]
    ZMQ_SOCKS_USERNAME: String, get_socks_username / set_socks_username;
    /// Draft: SOCKS5 password, at most 255 bytes.
    #[cfg(feature = "draft")]
    ZMQ_SOCKS_PASSWORD: String, get_socks_password / set_socks_password;
    /// Draft: the most bytes read from the network in one batch (> 0; default 8192).
    #[cfg(feature = "draft")]
    ZMQ_IN_BATCH_SIZE: Int, get_in_batch_size / set_in_batch_size;
    /// Draft: the most bytes written to the network in one batch (> 0; default 8192).
    #[cfg(feature = "draft")]
    ZMQ_OUT_BATCH_SIZE: Int, get_out_batch_size / set_out_batch_size;
    /// Draft: the private key (PEM) of a WSS server (needs libzmq built with WSS).
    #[cfg(feature = "draft")]
    ZMQ_WSS_KEY_PEM: String, / set_wss_key_pem;
    /// Draft: the certificate (PEM) of a WSS server (needs WSS).
    #[cfg(feature = "draft")]
    ZMQ_WSS_CERT_PEM: String, / set_wss_cert_pem;
    /// Draft: the certificate authority (PEM) a WSS client trusts (needs WSS).
    #[cfg(feature = "draft")]
    ZMQ_WSS_TRUST_PEM: String, / set_wss_trust_pem;
    /// Draft: the host name a WSS client checks in the server's certificate (needs WSS).
    #[cfg(feature = "draft")]
    ZMQ_WSS_HOSTNAME: String, / set_wss_hostname;
    /// Draft: a WSS client trusts the system's certificate authorities (needs WSS).
    #[cfg(feature = "draft")]
    ZMQ_WSS_TRUST_SYSTEM: Bool, / set_wss_trust_system;
    /// Draft: XPUB, XSUB: only the first frame of a multipart message can (un)subscribe.
    #[cfg(feature = "draft")]
    ZMQ_ONLY_FIRST_SUBSCRIBE: Bool, / set_only_first_subscribe;
    /// Draft: when to stop reconnecting (`ZMQ_RECONNECT_STOP_*` flags).
    #[cfg(feature = "draft")]
    ZMQ_RECONNECT_STOP: Int, get_reconnect_stop / set_reconnect_stop;
    /// Draft: a message sent to each new peer on connection.
    #[cfg(feature = "draft")]
    ZMQ_HELLO_MSG: Bytes, / set_hello_msg;
    /// Draft: a message the socket receives when a peer disconnects (ROUTER, SERVER, PEER).
    #[cfg(feature = "draft")]
    ZMQ_DISCONNECT_MSG: Bytes, / set_disconnect_msg;
    /// Draft: the socket priority (`SO_PRIORITY`) of its connections (>= 0; above 6 needs `CAP_NET_ADMIN`, else `EPERM`).
    #[cfg(feature = "draft")]
    ZMQ_PRIORITY: Int, get_priority / set_priority;
    /// Draft: busy polling (`SO_BUSY_POLL`, microseconds); 4.3.5's getter always fails, so there is none.
    #[cfg(feature = "draft")]
    ZMQ_BUSY_POLL: Int, / set_busy_poll;
    /// Draft: a message the socket receives when a connection it made is lost (DEALER, CLIENT, PEER).
    #[cfg(feature = "draft")]
    ZMQ_HICCUP_MSG: Bytes, / set_hiccup_msg;
    /// Draft: XSUB passes every unsubscription upstream, duplicates included.
    #[cfg(feature = "draft")]
    ZMQ_XSUB_VERBOSE_UNSUBSCRIBE: Bool, / set_xsub_verbose_unsubscribe;
    /// Draft: PUB, XPUB, SUB, XSUB: the number of topic subscriptions.
    #[cfg(feature = "draft")]
    ZMQ_TOPICS_COUNT: Int, get_topics_count / ;
    /// Draft: NORM sender mode, 0 to 4 (`ZMQ_NORM_FIXED` ... `ZMQ_NORM_CCE_ECNONLY`; needs NORM).
    #[cfg(feature = "draft")]
    ZMQ_NORM_MODE: Int, get_norm_mode / set_norm_mode;
    /// Draft: NORM unicast NACKs (needs NORM).
    #[cfg(feature = "draft")]
    ZMQ_NORM_UNICAST_NACK: Bool, get_norm_unicast_nack / set_norm_unicast_nack;
    /// Draft: NORM buffer size in kilobytes (> 0; needs NORM).
    #[cfg(feature = "draft")]
    ZMQ_NORM_BUFFER_SIZE: Int, get_norm_buffer_size / set_norm_buffer_size;
    /// Draft: NORM segment size in bytes (> 0; needs NORM).
    #[cfg(feature = "draft")]
    ZMQ_NORM_SEGMENT_SIZE: Int, get_norm_segment_size / set_norm_segment_size;
    /// Draft: NORM block size, 1 to 255 (needs NORM).
    #[cfg(feature = "draft")]
    ZMQ_NORM_BLOCK_SIZE: Int, get_norm_block_size / set_norm_block_size;
    /// Draft: NORM parity segments per block, 0 to 254 (needs NORM).
    #[cfg(feature = "draft")]
    ZMQ_NORM_NUM_PARITY: Int, get_norm_num_parity / set_norm_num_parity;
    /// Draft: NORM proactive parity segments per block, 0 to 254 (needs NORM).
    #[cfg(feature = "draft")]
    ZMQ_NORM_NUM_AUTOPARITY: Int, get_norm_num_autoparity / set_norm_num_autoparity;
    /// Draft: NORM push mode (needs NORM).
    #[cfg(feature = "draft")]
    ZMQ_NORM_PUSH: Bool, get_norm_push / set_norm_push;
}

#[cfg(test)]
mod test_support {
    use super::*;
    use crate::socket::SocketType;

    /// A value of any option, to walk the table generically.
    #[derive(Clone, Debug, PartialEq)]
    pub(super) enum Sample {
        Int(i32),
        Bool(bool),
        Int64(i64),
        UInt64(u64),
        Bytes(Vec<u8>),
        String(String),
        CurveKey(Vec<u8>),
        Fd(zmq_sys::zmq_fd_t),
        Events(PollEvents),
        Mechanism(Mechanism),
        SocketType(SocketType),
        IpcFilterPid(Option<i32>),
        IpcFilterId(Option<u32>),
    }

    /// Borrows a sample's value as a setter takes it.
    pub(super) trait AsArg {
        type Arg<'a>
        where
            Self: 'a;
        fn as_arg(&self) -> Self::Arg<'_>;
    }

    macro_rules! copy_arg {
        ($($t:ty),*) => {$(
            impl AsArg for $t {
                type Arg<'a> = $t;
                fn as_arg(&self) -> $t {
                    *self
                }
            }
        )*};
    }
    copy_arg!(i32, bool, i64, u64, Option<i32>, Option<u32>);

    impl AsArg for Vec<u8> {
        type Arg<'a> = &'a [u8];
        fn as_arg(&self) -> &[u8] {
            self
        }
    }

    impl AsArg for String {
        type Arg<'a> = &'a str;
        fn as_arg(&self) -> &str {
            self
        }
    }

    pub(super) type Getter = fn(&Socket) -> Result<Sample>;
    pub(super) type Setter = fn(&Socket, &Sample) -> Result<()>;

    /// The typed methods of one table entry, with their names.
    pub(super) struct Accessor {
        pub name: &'static str,
        pub getter: Option<(&'static str, Getter)>,
        pub setter: Option<(&'static str, Setter)>,
    }
}

#[cfg(test)]
mod tests {
    use super::test_support::{Accessor, Sample};
    use super::*;
    use crate::socket::SocketType;
    use crate::{has, Context};
    use std::collections::{BTreeMap, BTreeSet};

    /// `(name, value)` of the `#define`s between two comment lines of `zmq.h`.
    fn defines<'a>(header: &'a str, from: &str, to: &str) -> Vec<(&'a str, &'a str)> {
        let start = header
            .find(from)
            .unwrap_or_else(|| panic!("no {from:?} in zmq.h"));
        let len = header[start..]
            .find(to)
            .unwrap_or_else(|| panic!("no {to:?} in zmq.h"));
        header[start..start + len]
            .lines()
            .filter_map(
                |line| match line.split_whitespace().collect::<Vec<_>>()[..] {
                    ["#define", name, value] => Some((name, value)),
                    _ => None,
                },
            )
            .collect()
    }

    #[test]
    fn table_matches_zmq_h() {
        let header = std::fs::read_to_string(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/vendor/libzmq/include/zmq.h"
        ))
        .unwrap();
        // name -> (number, draft, deprecated), from the header's own sections.
        let mut expected = BTreeMap::new();
        for (name, value) in defines(&header, "/*  Socket options.", "/*  Message options") {
            // ZMQ_BLOCKY sits among the socket options but is a context option (see
            // `blocky_is_not_a_socket_option`).
            // ZMQ_ROUTER_RAW stays in this section, but zmq_setsockopt(3) deprecates it.
            if name != "ZMQ_BLOCKY" {
                let deprecated = name == "ZMQ_ROUTER_RAW";
                expected.insert(name, (value.parse::<c_int>().unwrap(), false, deprecated));
            }
        }
        let mut aliases = BTreeMap::<&str, Vec<&str>>::new();
        for (name, value) in defines(
            &header,
            "/*  Deprecated options and aliases",
            "/*  Deprecated Message",
        ) {
            match value.parse::<c_int>() {
                Ok(number) => {
                    expected.insert(name, (number, false, true));
                }
                Err(_) => aliases.entry(value).or_default().push(name),
            }
        }
        let draft = defines(
            &header,
            "/*  DRAFT Socket options.",
            "/*  DRAFT ZMQ_NORM_MODE",
        );
        assert_eq!(draft.len(), 32);
        if cfg!(feature = "draft") {
            for (name, value) in draft {
                expected.insert(name, (value.parse::<c_int>().unwrap(), true, false));
            }
        }

        assert_eq!(
            SOCKET_OPTIONS.len(),
            expected.len(),
            "options missing or extra"
        );
        for o in SOCKET_OPTIONS {
            let &(id, draft, deprecated) = expected
                .get(o.name)
                .unwrap_or_else(|| panic!("{} is not in zmq.h", o.name));
            assert_eq!(o.id, id, "{}", o.name);
            assert_eq!(o.draft, draft, "{}: draft marker", o.name);
            assert_eq!(o.deprecated, deprecated, "{}: deprecation", o.name);
            let mut want = aliases.get(o.name).cloned().unwrap_or_default();
            let mut have = o.aliases.to_vec();
            want.sort_unstable();
            have.sort_unstable();
            assert_eq!(have, want, "{}: aliases", o.name);
            assert!(o.get || o.set, "{}: neither readable nor writable", o.name);
            assert!(
                !o.doc.is_empty() && !o.doc.starts_with(' '),
                "{}: doc",
                o.name
            );
        }
        let names: BTreeSet<_> = SOCKET_OPTIONS.iter().map(|o| o.name).collect();
        let ids: BTreeSet<_> = SOCKET_OPTIONS.iter().map(|o| o.id).collect();
        assert_eq!(names.len(), SOCKET_OPTIONS.len(), "names are unique");
        assert_eq!(ids.len(), SOCKET_OPTIONS.len(), "ids are unique");
        // The table's numbers are the zmq_sys constants; spot-check a few by hand.
        assert_eq!(
            SocketOptionInfo::find("ZMQ_LINGER").unwrap().id,
            zmq_sys::ZMQ_LINGER
        );
        assert_eq!(
            SocketOptionInfo::find("ZMQ_IDENTITY").unwrap().id,
            zmq_sys::ZMQ_IDENTITY
        );
        assert_eq!(
            SocketOptionInfo::find("ZMQ_FAIL_UNROUTABLE").unwrap().name,
            "ZMQ_ROUTER_MANDATORY"
        );
        assert_eq!(
            SocketOptionInfo::from_id(zmq_sys::ZMQ_TYPE).unwrap().name,
            "ZMQ_TYPE"
        );
        assert_eq!(SocketOptionInfo::find("ZMQ_BLOCKY"), None);
    }

    #[test]
    fn blocky_is_not_a_socket_option() {
        let ctx = Context::new().unwrap();
        let socket = ctx.socket(SocketType::Dealer).unwrap();
        let one = 1i32.to_ne_bytes();
        assert_eq!(
            socket.set_option_raw(zmq_sys::ZMQ_BLOCKY, &one),
            Err(Error::EINVAL)
        );
        assert_eq!(
            socket.get_option_raw(zmq_sys::ZMQ_BLOCKY, &mut [0; 4]),
            Err(Error::EINVAL)
        );
    }

    #[test]
    fn methods_follow_the_table() {
        let accessors = accessors();
        assert_eq!(accessors.len(), SOCKET_OPTIONS.len());
        for (
            info,
            Accessor {
                name,
                getter,
                setter,
            },
        ) in SOCKET_OPTIONS.iter().zip(&accessors)
        {
            assert_eq!(info.name, *name);
            assert_eq!(info.get, getter.is_some(), "{name}");
            assert_eq!(info.set, setter.is_some(), "{name}");
            let base = name.trim_start_matches("ZMQ_").to_lowercase();
            if let Some((getter, _)) = getter {
                let want = if *name == "ZMQ_TYPE" {
                    "get_socket_type".into()
                } else {
                    format!("get_{base}")
                };
                assert_eq!(*getter, want);
            }
            if let Some((setter, _)) = setter {
                assert_eq!(*setter, format!("set_{base}"));
            }
        }
    }

    /// The socket type an option is tried on: its own where libzmq applies it to some
    /// types only (in the type's `xsetsockopt` / `xgetsockopt`), DEALER otherwise.
    fn socket_type_for(name: &str) -> SocketType {
        match name {
            "ZMQ_SUBSCRIBE" | "ZMQ_UNSUBSCRIBE" | "ZMQ_INVERT_MATCHING" => SocketType::Sub,
            "ZMQ_ROUTER_MANDATORY"
            | "ZMQ_ROUTER_RAW"
            | "ZMQ_ROUTER_HANDOVER"
            | "ZMQ_ROUTER_NOTIFY"
            | "ZMQ_CONNECT_ROUTING_ID"
            | "ZMQ_DISCONNECT_MSG" => SocketType::Router,
            "ZMQ_XPUB_VERBOSE"
            | "ZMQ_XPUB_VERBOSER"
            | "ZMQ_XPUB_NODROP"
            | "ZMQ_XPUB_MANUAL"
            | "ZMQ_XPUB_WELCOME_MSG"
            | "ZMQ_XPUB_MANUAL_LAST_VALUE"
            | "ZMQ_ONLY_FIRST_SUBSCRIBE"
            | "ZMQ_TOPICS_COUNT" => SocketType::XPub,
            "ZMQ_XSUB_VERBOSE_UNSUBSCRIBE" => SocketType::XSub,
            "ZMQ_REQ_CORRELATE" | "ZMQ_REQ_RELAXED" => SocketType::Req,
            "ZMQ_STREAM_NOTIFY" => SocketType::Stream,
            "ZMQ_CONFLATE" => SocketType::Pull,
            _ => SocketType::Dealer,
        }
    }

    /// Whether this build of libzmq implements the option (otherwise it says `EINVAL`).
    fn implemented(name: &str) -> bool {
        // Options libzmq compiles only with ZMQ_BUILD_DRAFT_API.
        const DRAFT_API_ONLY: &[&str] = &[
            "ZMQ_ROUTER_NOTIFY",
            "ZMQ_IN_BATCH_SIZE",
            "ZMQ_OUT_BATCH_SIZE",
            "ZMQ_BUSY_POLL",
            "ZMQ_PRIORITY",
            "ZMQ_HELLO_MSG",
            "ZMQ_DISCONNECT_MSG",
            "ZMQ_HICCUP_MSG",
            "ZMQ_XSUB_VERBOSE_UNSUBSCRIBE",
        ];
        if name.starts_with("ZMQ_CURVE_") {
            has("curve")
        } else if name.starts_with("ZMQ_GSSAPI_") {
            has("gssapi")
        } else if name.starts_with("ZMQ_VMCI_") {
            has("vmci")
        } else if name.starts_with("ZMQ_NORM_") {
            has("norm") && has("draft")
        } else if name.starts_with("ZMQ_WSS_") {
            has("WSS") && has("draft")
        } else if name == "ZMQ_IPC_FILTER_PID" {
            // SO_PEERCRED
            cfg!(any(target_os = "linux", target_os = "android"))
        } else if name == "ZMQ_IPC_FILTER_UID" || name == "ZMQ_IPC_FILTER_GID" {
            // SO_PEERCRED or LOCAL_PEERCRED
            cfg!(any(
                target_os = "linux",
                target_os = "android",
                target_os = "macos",
                target_os = "ios",
                target_os = "freebsd"
            ))
        } else {
            !DRAFT_API_ONLY.contains(&name) || has("draft")
        }
    }

    /// A valid value of the option that is not its default (`current`, when readable).
    fn sample_for(info: &SocketOptionInfo, current: Option<&Sample>) -> Sample {
        match info.name {
            "ZMQ_TCP_KEEPALIVE" => Sample::Int(1),
            // Kept in tenths of a second: a multiple of 100 reads back unchanged.
            "ZMQ_HEARTBEAT_TTL" => Sample::Int(12_300),
            "ZMQ_GSSAPI_PRINCIPAL_NAMETYPE" | "ZMQ_GSSAPI_SERVICE_PRINCIPAL_NAMETYPE" => {
                Sample::Int(zmq_sys::ZMQ_GSSAPI_NT_USER_NAME)
            }
            "ZMQ_ROUTER_NOTIFY" => Sample::Int(3),
            "ZMQ_NORM_MODE" => Sample::Int(2),
            "ZMQ_NORM_BLOCK_SIZE" | "ZMQ_NORM_NUM_PARITY" | "ZMQ_NORM_NUM_AUTOPARITY" => {
                Sample::Int(100)
            }
            "ZMQ_BINDTODEVICE" => Sample::String("lo".into()),
            "ZMQ_SOCKS_PROXY" => Sample::String("127.0.0.1:1080".into()),
            "ZMQ_TCP_ACCEPT_FILTER" => Sample::String("127.0.0.1".into()),
            "ZMQ_METADATA" => Sample::String("X-test:yes".into()),
            "ZMQ_STREAM_NOTIFY" => Sample::Bool(false),
            "ZMQ_IPC_FILTER_PID" => {
                Sample::IpcFilterPid(Some(i32::try_from(std::process::id()).unwrap()))
            }
            _ => match info.kind {
                OptionKind::Int => Sample::Int(1234),
                OptionKind::Bool => match current {
                    Some(Sample::Bool(value)) => Sample::Bool(!value),
                    _ => Sample::Bool(true),
                },
                OptionKind::Int64 => Sample::Int64(4096),
                OptionKind::UInt64 => Sample::UInt64(0b101),
                OptionKind::Bytes => Sample::Bytes(b"id\0\xff".to_vec()),
                OptionKind::String => Sample::String(format!("value-of-{}", info.name)),
                OptionKind::CurveKey => Sample::CurveKey((1..=32).collect()),
                OptionKind::IpcFilterId => Sample::IpcFilterId(Some(1000)),
                other => panic!("{}: no sample for {other:?}", info.name),
            },
        }
    }

    fn curve_promised() -> bool {
        cfg!(feature = "curve") || !crate::sys::vendored()
    }

    #[test]
    fn every_read_write_option_round_trips() {
        if curve_promised() {
            assert!(
                has("curve"),
                "this build promises CURVE but libzmq lacks it"
            );
        }
        let ctx = Context::new().unwrap();
        let mut round_trips = BTreeSet::new();
        for (info, accessor) in SOCKET_OPTIONS.iter().zip(accessors()) {
            let (Some((_, get)), Some((_, set))) = (accessor.getter, accessor.setter) else {
                continue;
            };
            let socket = ctx.socket(socket_type_for(info.name)).unwrap();
            let before = get(&socket);
            let sample = sample_for(info, before.as_ref().ok());
            if !implemented(info.name) {
                assert_eq!(before, Err(Error::EINVAL), "{}", info.name);
                assert_eq!(set(&socket, &sample), Err(Error::EINVAL), "{}", info.name);
                continue;
            }
            let before = before.unwrap_or_else(|e| panic!("{}: {e:?}", info.name));
            assert_ne!(
                before, sample,
                "{}: the sample must not be the default",
                info.name
            );
            set(&socket, &sample).unwrap_or_else(|e| panic!("{}: {e:?}", info.name));
            assert_eq!(get(&socket), Ok(sample), "{}", info.name);
            round_trips.insert(info.name);
        }
        // Everything but the options this build lacks (GSSAPI at least) round-tripped:
        // 43 stable options (ZMQ_USE_FD has no safe setter), more with the draft API.
        let readable_writable = SOCKET_OPTIONS.iter().filter(|o| o.get && o.set);
        let expected = readable_writable.filter(|o| implemented(o.name)).count();
        assert_eq!(round_trips.len(), expected, "{round_trips:?}");
        assert!(expected >= 43);
        for name in [
            "ZMQ_LINGER",
            "ZMQ_ROUTING_ID",
            "ZMQ_MAXMSGSIZE",
            "ZMQ_AFFINITY",
            "ZMQ_SOCKS_PROXY",
        ] {
            assert!(round_trips.contains(name), "{name}");
        }
        if curve_promised() {
            assert!(round_trips.contains("ZMQ_CURVE_SERVERKEY"));
        }
    }

    #[test]
    fn every_write_only_option_is_accepted() {
        let ctx = Context::new().unwrap();
        let mut accepted = 0;
        for (info, accessor) in SOCKET_OPTIONS.iter().zip(accessors()) {
            let (None, Some((_, set))) = (accessor.getter, accessor.setter) else {
                continue;
            };
            let socket = ctx.socket(socket_type_for(info.name)).unwrap();
            let sample = sample_for(info, None);
            if implemented(info.name) {
                assert_eq!(set(&socket, &sample), Ok(()), "{}", info.name);
                accepted += 1;
            } else {
                assert_eq!(set(&socket, &sample), Err(Error::EINVAL), "{}", info.name);
            }
        }
        // 19 stable options (all but VMCI's) in this build, and more with the draft API;
        // fewer where the IPC peer filters do not exist (Windows has none of the 3).
        let write_only = SOCKET_OPTIONS.iter().filter(|o| o.set && !o.get);
        assert_eq!(accepted, write_only.filter(|o| implemented(o.name)).count());
        let ipc_filters = [
            "ZMQ_IPC_FILTER_PID",
            "ZMQ_IPC_FILTER_UID",
            "ZMQ_IPC_FILTER_GID",
        ];
        let floor = 19 - ipc_filters.iter().filter(|n| !implemented(n)).count();
        assert!(accepted >= floor, "{accepted}");
    }

    #[test]
    fn every_read_only_option_reads_on_a_fresh_socket() {
        let ctx = Context::new().unwrap();
        let mut read = 0;
        for (info, accessor) in SOCKET_OPTIONS.iter().zip(accessors()) {
            let (Some((_, get)), None) = (accessor.getter, accessor.setter) else {
                continue;
            };
            let socket_type = socket_type_for(info.name);
            let socket = ctx.socket(socket_type).unwrap();
            let value = get(&socket).unwrap_or_else(|e| panic!("{}: {e:?}", info.name));
            let expected = match info.name {
                "ZMQ_RCVMORE" | "ZMQ_THREAD_SAFE" => Sample::Bool(false),
                // No peer yet: nothing to receive, nowhere to send.
                "ZMQ_EVENTS" => Sample::Events(PollEvents::empty()),
                "ZMQ_TYPE" => Sample::SocketType(socket_type),
                "ZMQ_LAST_ENDPOINT" => Sample::String(String::new()),
                "ZMQ_MECHANISM" => Sample::Mechanism(Mechanism::Null),
                "ZMQ_TOPICS_COUNT" => Sample::Int(0),
                // Set through `bind_with_fd` (or the unsafe setter) only.
                "ZMQ_USE_FD" => Sample::Int(-1),
                "ZMQ_FD" => {
                    #[cfg(unix)]
                    if let Sample::Fd(fd) = value {
                        // SAFETY: F_GETFD only reads the flags of a descriptor number.
                        let flags = unsafe { libc::fcntl(fd, libc::F_GETFD) };
                        assert_ne!(flags, -1, "ZMQ_FD is not an open descriptor");
                    }
                    assert!(matches!(value, Sample::Fd(_)), "{value:?}");
                    value.clone()
                }
                other => panic!("{other}: no expectation written"),
            };
            assert_eq!(value, expected, "{}", info.name);
            read += 1;
        }
        assert!(read >= 7, "{read}");
    }

    #[test]
    fn access_is_exactly_what_libzmq_allows() {
        let ctx = Context::new().unwrap();
        for info in SOCKET_OPTIONS {
            let socket = ctx.socket(socket_type_for(info.name)).unwrap();
            if !info.set {
                let values: [&[u8]; 6] = [
                    &[],
                    &[1],
                    &1i32.to_ne_bytes(),
                    &1i64.to_ne_bytes(),
                    &[7; 32],
                    &[b'a'; 40],
                ];
                for value in values {
                    assert_eq!(
                        socket.set_option_raw(info.id, value),
                        Err(Error::EINVAL),
                        "{} is settable with {value:?}",
                        info.name
                    );
                }
            }
            if !info.get {
                for len in [0, 1, 4, 8, 32, 41, 256] {
                    assert_eq!(
                        socket.get_option_raw(info.id, &mut vec![0; len]),
                        Err(Error::EINVAL),
                        "{} is readable into {len} bytes",
                        info.name
                    );
                }
            }
        }
    }

    #[test]
    #[allow(deprecated)]
    fn out_of_range_values_are_einval() {
        let ctx = Context::new().unwrap();
        let s = ctx.socket(SocketType::Dealer).unwrap();
        let einval = Err(Error::EINVAL);
        assert_eq!(s.set_linger(-2), einval);
        assert_eq!(s.set_sndhwm(-1), einval);
        assert_eq!(s.set_rcvhwm(-1), einval);
        assert_eq!(s.set_rate(0), einval);
        assert_eq!(s.set_reconnect_ivl(-2), einval);
        assert_eq!(s.set_reconnect_ivl_max(-1), einval);
        assert_eq!(s.set_rcvtimeo(-2), einval);
        assert_eq!(s.set_sndbuf(-2), einval);
        assert_eq!(s.set_tos(-1), einval);
        assert_eq!(s.set_multicast_hops(0), einval);
        assert_eq!(s.set_tcp_keepalive(2), einval);
        assert_eq!(s.set_tcp_keepalive_idle(-2), einval);
        assert_eq!(s.set_heartbeat_ttl(6_553_600), einval);
        assert_eq!(s.set_heartbeat_ttl(-100), einval);
        // SAFETY: -2 is no descriptor; libzmq rejects it.
        #[cfg(unix)]
        assert_eq!(unsafe { s.set_use_fd(-2) }, einval);
        assert_eq!(s.set_backlog(-1), einval);
        // Nothing above changed anything.
        assert_eq!(
            (s.get_linger(), s.get_sndhwm(), s.get_rate()),
            (Ok(-1), Ok(1000), Ok(100))
        );
        assert_eq!(s.get_heartbeat_ttl(), Ok(0));
        assert_eq!(s.set_heartbeat_ttl(6_553_599), Ok(()));
        assert_eq!(s.get_heartbeat_ttl(), Ok(6_553_500));

        // Routing ids are 1 to 255 bytes.
        assert_eq!(s.set_routing_id(&[]), einval);
        assert_eq!(s.set_routing_id(&[b'x'; 256]), einval);
        assert_eq!(s.set_routing_id(&[b'x'; 255]), Ok(()));
        assert_eq!(s.get_routing_id(), Ok(vec![b'x'; 255]));
        let router = ctx.socket(SocketType::Router).unwrap();
        assert_eq!(router.set_connect_routing_id(&[]), einval);

        // Strings: no NUL inside, libzmq's length limits.
        assert_eq!(s.set_plain_username("us\0er"), einval);
        assert_eq!(s.set_socks_proxy("host\0:1080"), einval);
        assert_eq!(s.set_zap_domain(&"d".repeat(256)), einval);
        assert_eq!(s.set_zap_domain(""), einval);
        assert_eq!(s.set_bindtodevice(&"e".repeat(17)), einval);
        assert_eq!(s.set_tcp_accept_filter("not an address"), einval);
        assert_eq!(s.get_mechanism(), Ok(Mechanism::Null));

        // CURVE keys: 32 bytes or 40 characters of valid Z85.
        if has("curve") {
            assert_eq!(s.set_curve_publickey(&[0; 31]), einval);
            assert_eq!(s.set_curve_publickey(&[0; 33]), einval);
            assert_eq!(s.set_curve_secretkey(&[b' '; 40]), einval);
            assert_eq!(s.set_curve_serverkey(&[]), einval);
        }

        // Raw values of the wrong size.
        assert_eq!(s.set_option_raw(zmq_sys::ZMQ_LINGER, &[0; 2]), einval);
        assert_eq!(s.set_option_raw(zmq_sys::ZMQ_MAXMSGSIZE, &[0; 4]), einval);
        assert_eq!(
            s.set_option_raw(zmq_sys::ZMQ_IMMEDIATE, &2i32.to_ne_bytes()),
            einval
        );
        assert_eq!(
            s.get_option_raw(zmq_sys::ZMQ_LINGER, &mut [0; 8]),
            Err(Error::EINVAL)
        );
        assert_eq!(s.set_option_raw(-1, &[]), einval);
        assert_eq!(s.get_option_raw(10_000, &mut [0; 4]), Err(Error::EINVAL));
    }

    #[test]
    #[allow(deprecated)]
    fn strings_empty_values_and_long_values() {
        let ctx = Context::new().unwrap();
        let s = ctx.socket(SocketType::Dealer).unwrap();
        // Longer than the first buffer: the getter grows it.
        let long = "p".repeat(5000);
        s.set_socks_proxy(&long).unwrap();
        assert_eq!(s.get_socks_proxy().unwrap(), long);
        // An empty string is NULL: resets.
        s.set_socks_proxy("").unwrap();
        assert_eq!(s.get_socks_proxy().unwrap(), "");
        s.set_tcp_accept_filter("127.0.0.1").unwrap();
        s.set_tcp_accept_filter("").unwrap();
        s.set_bindtodevice("lo").unwrap();
        s.set_bindtodevice("").unwrap();
        assert_eq!(s.get_bindtodevice().unwrap(), "");
        // PLAIN credentials select PLAIN; NULL goes back to the NULL mechanism.
        s.set_plain_username("admin").unwrap();
        assert_eq!(s.get_mechanism(), Ok(Mechanism::Plain));
        assert_eq!(s.get_plain_username().unwrap(), "admin");
        s.set_plain_username("").unwrap();
        assert_eq!(s.get_mechanism(), Ok(Mechanism::Null));
        // Beyond the documented 64 KiB limit a string cannot be read back.
        s.set_socks_proxy(&"q".repeat(MAX_CAPACITY)).unwrap();
        assert_eq!(s.get_socks_proxy(), Err(Error::EINVAL));
        // Non-UTF-8 bytes set through the raw setter are EILSEQ, not garbage.
        s.set_option_raw(zmq_sys::ZMQ_SOCKS_PROXY, b"\xff\xfe:1")
            .unwrap();
        assert_eq!(s.get_socks_proxy(), Err(Error::EILSEQ));
        // IPC filters: add, then clear with None.
        if implemented("ZMQ_IPC_FILTER_UID") {
            s.set_ipc_filter_uid(Some(0)).unwrap();
            s.set_ipc_filter_uid(None).unwrap();
            s.set_ipc_filter_gid(Some(0)).unwrap();
            s.set_ipc_filter_gid(None).unwrap();
        }
    }

    #[test]
    fn raw_access_handles_any_buffer() {
        let ctx = Context::new().unwrap();
        let s = ctx.socket(SocketType::Dealer).unwrap();
        // An unaligned slice works for numbers (copied through an aligned buffer).
        let mut storage = [0u8; 16];
        s.set_option_raw(zmq_sys::ZMQ_LINGER, &storage[1..5])
            .unwrap();
        assert_eq!(s.get_linger(), Ok(0));
        s.set_linger(77).unwrap();
        assert_eq!(
            s.get_option_raw(zmq_sys::ZMQ_LINGER, &mut storage[3..7]),
            Ok(4)
        );
        assert_eq!(i32::from_ne_bytes(storage[3..7].try_into().unwrap()), 77);
        // So does a long value at an odd address.
        let mut text = [b'.'; 24];
        text[1..].copy_from_slice(b"proxy.example:1080\0\0\0\0\0");
        s.set_option_raw(zmq_sys::ZMQ_SOCKS_PROXY, &text[1..19])
            .unwrap();
        assert_eq!(s.get_socks_proxy().unwrap(), "proxy.example:1080");
        // Strings come with their NUL; the length says how much was written.
        s.set_zap_domain("global").unwrap();
        let mut buf = [0xaau8; 64];
        assert_eq!(s.get_option_raw(zmq_sys::ZMQ_ZAP_DOMAIN, &mut buf), Ok(7));
        assert_eq!(&buf[..7], b"global\0");
        let mut small = [0u8; 3];
        assert_eq!(
            s.get_option_raw(zmq_sys::ZMQ_ZAP_DOMAIN, &mut small),
            Err(Error::EINVAL)
        );
    }

    #[test]
    fn curve_keys_read_as_binary_and_z85() {
        if !has("curve") {
            assert!(
                !curve_promised(),
                "this build promises CURVE but libzmq lacks it"
            );
            let ctx = Context::new().unwrap();
            let s = ctx.socket(SocketType::Dealer).unwrap();
            assert_eq!(s.get_curve_publickey_z85(), Err(Error::EINVAL));
            return;
        }
        let (public, secret) = crate::curve_keypair().unwrap();
        let ctx = Context::new().unwrap();
        let s = ctx.socket(SocketType::Dealer).unwrap();
        s.set_curve_publickey(public.as_bytes()).unwrap();
        assert_eq!(s.get_curve_publickey_z85().unwrap(), public);
        // With a trailing NUL (41 bytes), as C callers pass it.
        let mut with_nul = secret.clone().into_bytes();
        with_nul.push(0);
        s.set_curve_secretkey(&with_nul).unwrap();
        assert_eq!(s.get_curve_secretkey_z85().unwrap(), secret);
        // Binary in, binary and text out.
        let binary = s.get_curve_publickey().unwrap();
        assert_eq!(binary.len(), 32);
        let other = ctx.socket(SocketType::Dealer).unwrap();
        other.set_curve_serverkey(&binary).unwrap();
        assert_eq!(other.get_curve_serverkey_z85().unwrap(), public);
        assert_eq!(other.get_curve_serverkey().unwrap(), binary);
        assert_eq!(other.get_mechanism(), Ok(Mechanism::Curve));
        assert_eq!(other.get_curve_server(), Ok(false));
    }

    #[test]
    fn curve_key_setters_refuse_malformed_z85_before_libzmq_sees_it() {
        let ctx = Context::new().unwrap();
        let s = ctx.socket(SocketType::Dealer).unwrap();
        let good = "rq:rM>}U?@Lns47E1%kR.o@n%FcmmsL/@{H8]yf7";
        // A NUL inside the text: libzmq would read a shorter C string and replace
        // only part of the key.
        let mut inner_nul = good.as_bytes().to_vec();
        inner_nul[35] = 0;
        // A character outside the Z85 alphabet.
        let mut bad_char = good.as_bytes().to_vec();
        bad_char[3] = b'~';
        // 41 bytes whose last byte is not the terminating NUL.
        let mut no_terminator = good.as_bytes().to_vec();
        no_terminator.push(b'x');
        for (what, value) in [
            ("NUL inside", &inner_nul[..]),
            ("outside the alphabet", &bad_char[..]),
            ("41 bytes without the NUL", &no_terminator[..]),
            ("empty", &[][..]),
            ("31 bytes", &[7u8; 31][..]),
        ] {
            assert_eq!(s.set_curve_serverkey(value), Err(Error::EINVAL), "{what}");
            assert_eq!(s.set_curve_publickey(value), Err(Error::EINVAL), "{what}");
            assert_eq!(s.set_curve_secretkey(value), Err(Error::EINVAL), "{what}");
        }
        if has("curve") {
            // Nothing of the refused values landed: a good key still reads back.
            s.set_curve_serverkey(good.as_bytes()).unwrap();
            assert_eq!(s.get_curve_serverkey_z85().unwrap(), good);
            s.set_curve_serverkey(&[7u8; 32]).unwrap();
            assert_eq!(s.get_curve_serverkey().unwrap(), [7u8; 32]);
        }
    }

    #[test]
    fn mechanism_numbers() {
        for m in [
            Mechanism::Null,
            Mechanism::Plain,
            Mechanism::Curve,
            Mechanism::Gssapi,
        ] {
            assert_eq!(Mechanism::try_from(m as c_int), Ok(m));
        }
        assert_eq!(Mechanism::try_from(4), Err(Error::EINVAL));
        assert_eq!(Mechanism::try_from(-1), Err(Error::EINVAL));
    }

    #[test]
    fn ipc_filter_values_are_c_sized() {
        // libzmq wants exactly sizeof(pid_t) / sizeof(uid_t) / sizeof(gid_t).
        #[cfg(unix)]
        {
            assert_eq!(size_of::<libc::pid_t>(), size_of::<i32>());
            assert_eq!(size_of::<libc::uid_t>(), size_of::<u32>());
            assert_eq!(size_of::<libc::gid_t>(), size_of::<u32>());
        }
    }
}
