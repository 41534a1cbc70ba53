//! Socket monitoring (`zmq_socket_monitor`): typed connection events.
//!
//! The user documentation (an overview with an example) is on [`MonitorEvent`]:
//! this module is private.

use std::cell::Cell;
use std::ffi::{c_int, c_long, c_short};
use std::fmt;
use std::mem::ManuallyDrop;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use crate::error::{c_string, cvt, Error, Result};
use crate::message::Message;
use crate::socket::{RecvFlags, Socket, SocketType};

bitflags::bitflags! {
    /// The events to monitor (`ZMQ_EVENT_*`), a bit set: `CONNECTED | DISCONNECTED`,
    /// or [`MonitorEvents::ALL`].
    ///
    /// The bits are the 64-bit event numbers of `zmq_socket_monitor_versioned`;
    /// [`Socket::monitor`] (event format 1) accepts only the low 16 bits.
    #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
    pub struct MonitorEvents: u64 {
        /// A connection to a peer was made (`ZMQ_EVENT_CONNECTED`).
        const CONNECTED = zmq_sys::ZMQ_EVENT_CONNECTED as u64;
        /// A connect is in progress (`ZMQ_EVENT_CONNECT_DELAYED`).
        const CONNECT_DELAYED = zmq_sys::ZMQ_EVENT_CONNECT_DELAYED as u64;
        /// A connect failed and is retried later (`ZMQ_EVENT_CONNECT_RETRIED`).
        const CONNECT_RETRIED = zmq_sys::ZMQ_EVENT_CONNECT_RETRIED as u64;
        /// The socket listens on an endpoint (`ZMQ_EVENT_LISTENING`).
        const LISTENING = zmq_sys::ZMQ_EVENT_LISTENING as u64;
        /// A bind failed (`ZMQ_EVENT_BIND_FAILED`).
        const BIND_FAILED = zmq_sys::ZMQ_EVENT_BIND_FAILED as u64;
        /// A connection from a peer was accepted (`ZMQ_EVENT_ACCEPTED`).
        const ACCEPTED = zmq_sys::ZMQ_EVENT_ACCEPTED as u64;
        /// Accepting a connection failed (`ZMQ_EVENT_ACCEPT_FAILED`).
        const ACCEPT_FAILED = zmq_sys::ZMQ_EVENT_ACCEPT_FAILED as u64;
        /// A listening or connecting OS socket was closed (`ZMQ_EVENT_CLOSED`).
        const CLOSED = zmq_sys::ZMQ_EVENT_CLOSED as u64;
        /// Closing an OS socket failed (`ZMQ_EVENT_CLOSE_FAILED`).
        const CLOSE_FAILED = zmq_sys::ZMQ_EVENT_CLOSE_FAILED as u64;
        /// A connection was lost (`ZMQ_EVENT_DISCONNECTED`).
        const DISCONNECTED = zmq_sys::ZMQ_EVENT_DISCONNECTED as u64;
        /// Monitoring ended (`ZMQ_EVENT_MONITOR_STOPPED`).
        const MONITOR_STOPPED = zmq_sys::ZMQ_EVENT_MONITOR_STOPPED as u64;
        /// A handshake failed for a reason libzmq does not detail, usually the
        /// connection dropping (`ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL`).
        const HANDSHAKE_FAILED_NO_DETAIL = zmq_sys::ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL as u64;
        /// The ZMTP handshake, security included, succeeded
        /// (`ZMQ_EVENT_HANDSHAKE_SUCCEEDED`).
        const HANDSHAKE_SUCCEEDED = zmq_sys::ZMQ_EVENT_HANDSHAKE_SUCCEEDED as u64;
        /// A handshake failed on a protocol error
        /// (`ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL`).
        const HANDSHAKE_FAILED_PROTOCOL = zmq_sys::ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL as u64;
        /// The ZAP handler refused the peer (`ZMQ_EVENT_HANDSHAKE_FAILED_AUTH`).
        const HANDSHAKE_FAILED_AUTH = zmq_sys::ZMQ_EVENT_HANDSHAKE_FAILED_AUTH as u64;
        /// Every event of format 1, including those future 4.x versions may add
        /// (`ZMQ_EVENT_ALL`).
        const ALL = zmq_sys::ZMQ_EVENT_ALL as u64;
        /// Queue lengths of each connection, on request (`ZMQ_EVENT_PIPES_STATS`,
        /// draft, event format 2 only): see [`Socket::monitor_pipes_stats`].
        #[cfg(feature = "draft")]
        const PIPES_STATS = zmq_sys::ZMQ_EVENT_PIPES_STATS as u64;
        /// Every event of format 2 (`ZMQ_EVENT_ALL_V2`, draft).
        #[cfg(feature = "draft")]
        const ALL_V2 = zmq_sys::ZMQ_EVENT_ALL_V2 as u64;
    }
}

// The event numbers as plain constants, for `match` patterns.
const EV_CONNECTED: u64 = MonitorEvents::CONNECTED.bits();
const EV_CONNECT_DELAYED: u64 = MonitorEvents::CONNECT_DELAYED.bits();
const EV_CONNECT_RETRIED: u64 = MonitorEvents::CONNECT_RETRIED.bits();
const EV_LISTENING: u64 = MonitorEvents::LISTENING.bits();
const EV_BIND_FAILED: u64 = MonitorEvents::BIND_FAILED.bits();
const EV_ACCEPTED: u64 = MonitorEvents::ACCEPTED.bits();
const EV_ACCEPT_FAILED: u64 = MonitorEvents::ACCEPT_FAILED.bits();
const EV_CLOSED: u64 = MonitorEvents::CLOSED.bits();
const EV_CLOSE_FAILED: u64 = MonitorEvents::CLOSE_FAILED.bits();
const EV_DISCONNECTED: u64 = MonitorEvents::DISCONNECTED.bits();
const EV_MONITOR_STOPPED: u64 = MonitorEvents::MONITOR_STOPPED.bits();
const EV_HANDSHAKE_FAILED_NO_DETAIL: u64 = MonitorEvents::HANDSHAKE_FAILED_NO_DETAIL.bits();
const EV_HANDSHAKE_SUCCEEDED: u64 = MonitorEvents::HANDSHAKE_SUCCEEDED.bits();
const EV_HANDSHAKE_FAILED_PROTOCOL: u64 = MonitorEvents::HANDSHAKE_FAILED_PROTOCOL.bits();
const EV_HANDSHAKE_FAILED_AUTH: u64 = MonitorEvents::HANDSHAKE_FAILED_AUTH.bits();
#[cfg(feature = "draft")]
const EV_PIPES_STATS: u64 = MonitorEvents::PIPES_STATS.bits();

/// The error of an event message that does not have the layout libzmq gives its
/// events: `EPROTO` ("protocol error").
fn malformed() -> Error {
    Error::EPROTO
}

macro_rules! protocol_errors {
    ($( $(#[$doc:meta])* $variant:ident = $c:ident; )*) => {
        /// Why a handshake failed, as reported by
        /// [`MonitorEvent::HandshakeFailedProtocol`] (`ZMQ_PROTOCOL_ERROR_*`).
        ///
        /// A code this version does not know is kept as [`ProtocolError::Unknown`].
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
        #[non_exhaustive]
        pub enum ProtocolError {
            $( $(#[$doc])* $variant, )*
            /// A code not listed above, as libzmq sent it.
            Unknown(u32),
        }

        impl ProtocolError {
            /// The error with this `ZMQ_PROTOCOL_ERROR_*` code.
            pub const fn from_raw(code: u32) -> ProtocolError {
                $( if code == zmq_sys::$c as u32 { return ProtocolError::$variant; } )*
                ProtocolError::Unknown(code)
            }

            /// The `ZMQ_PROTOCOL_ERROR_*` code.
            pub const fn raw(self) -> u32 {
                match self {
                    $( ProtocolError::$variant => zmq_sys::$c as u32, )*
                    ProtocolError::Unknown(code) => code,
                }
            }

            /// The C name, e.g. `"ZMQ_PROTOCOL_ERROR_ZMTP_MECHANISM_MISMATCH"`
            /// (`None` for [`ProtocolError::Unknown`]).
            pub const fn name(self) -> Option<&'static str> {
                match self {
                    $( ProtocolError::$variant => Some(stringify!($c)), )*
                    ProtocolError::Unknown(_) => None,
                }
            }
        }
    };
}

protocol_errors! {
    /// An unspecified ZMTP error (`ZMQ_PROTOCOL_ERROR_ZMTP_UNSPECIFIED`).
    ZmtpUnspecified = ZMQ_PROTOCOL_ERROR_ZMTP_UNSPECIFIED;
    /// A command that is not valid at this point (`ZMQ_PROTOCOL_ERROR_ZMTP_UNEXPECTED_COMMAND`).
    ZmtpUnexpectedCommand = ZMQ_PROTOCOL_ERROR_ZMTP_UNEXPECTED_COMMAND;
    /// A bad CURVE nonce sequence (`ZMQ_PROTOCOL_ERROR_ZMTP_INVALID_SEQUENCE`).
    ZmtpInvalidSequence = ZMQ_PROTOCOL_ERROR_ZMTP_INVALID_SEQUENCE;
    /// The CURVE key exchange failed (`ZMQ_PROTOCOL_ERROR_ZMTP_KEY_EXCHANGE`).
    ZmtpKeyExchange = ZMQ_PROTOCOL_ERROR_ZMTP_KEY_EXCHANGE;
    /// A malformed command (`ZMQ_PROTOCOL_ERROR_ZMTP_MALFORMED_COMMAND_UNSPECIFIED`).
    ZmtpMalformedCommandUnspecified = ZMQ_PROTOCOL_ERROR_ZMTP_MALFORMED_COMMAND_UNSPECIFIED;
    /// A malformed MESSAGE command (`ZMQ_PROTOCOL_ERROR_ZMTP_MALFORMED_COMMAND_MESSAGE`).
    ZmtpMalformedCommandMessage = ZMQ_PROTOCOL_ERROR_ZMTP_MALFORMED_COMMAND_MESSAGE;
    /// A malformed HELLO command (`ZMQ_PROTOCOL_ERROR_ZMTP_MALFORMED_COMMAND_HELLO`).
    ZmtpMalformedCommandHello = ZMQ_PROTOCOL_ERROR_ZMTP_MALFORMED_COMMAND_HELLO;
    /// A malformed INITIATE command (`ZMQ_PROTOCOL_ERROR_ZMTP_MALFORMED_COMMAND_INITIATE`).
    ZmtpMalformedCommandInitiate = ZMQ_PROTOCOL_ERROR_ZMTP_MALFORMED_COMMAND_INITIATE;
    /// A malformed ERROR command (`ZMQ_PROTOCOL_ERROR_ZMTP_MALFORMED_COMMAND_ERROR`).
    ZmtpMalformedCommandError = ZMQ_PROTOCOL_ERROR_ZMTP_MALFORMED_COMMAND_ERROR;
    /// A malformed READY command (`ZMQ_PROTOCOL_ERROR_ZMTP_MALFORMED_COMMAND_READY`).
    ZmtpMalformedCommandReady = ZMQ_PROTOCOL_ERROR_ZMTP_MALFORMED_COMMAND_READY;
    /// A malformed WELCOME command (`ZMQ_PROTOCOL_ERROR_ZMTP_MALFORMED_COMMAND_WELCOME`).
    ZmtpMalformedCommandWelcome = ZMQ_PROTOCOL_ERROR_ZMTP_MALFORMED_COMMAND_WELCOME;
    /// Invalid metadata in a command (`ZMQ_PROTOCOL_ERROR_ZMTP_INVALID_METADATA`).
    ZmtpInvalidMetadata = ZMQ_PROTOCOL_ERROR_ZMTP_INVALID_METADATA;
    /// A cryptographic check failed, e.g. a wrong CURVE server key
    /// (`ZMQ_PROTOCOL_ERROR_ZMTP_CRYPTOGRAPHIC`).
    ZmtpCryptographic = ZMQ_PROTOCOL_ERROR_ZMTP_CRYPTOGRAPHIC;
    /// The peers use different security mechanisms, e.g. PLAIN against NULL
    /// (`ZMQ_PROTOCOL_ERROR_ZMTP_MECHANISM_MISMATCH`).
    ZmtpMechanismMismatch = ZMQ_PROTOCOL_ERROR_ZMTP_MECHANISM_MISMATCH;
    /// An unspecified error talking to the ZAP handler (`ZMQ_PROTOCOL_ERROR_ZAP_UNSPECIFIED`).
    ZapUnspecified = ZMQ_PROTOCOL_ERROR_ZAP_UNSPECIFIED;
    /// The ZAP handler sent a malformed reply (`ZMQ_PROTOCOL_ERROR_ZAP_MALFORMED_REPLY`).
    ZapMalformedReply = ZMQ_PROTOCOL_ERROR_ZAP_MALFORMED_REPLY;
    /// The ZAP reply carries the wrong request id (`ZMQ_PROTOCOL_ERROR_ZAP_BAD_REQUEST_ID`).
    ZapBadRequestId = ZMQ_PROTOCOL_ERROR_ZAP_BAD_REQUEST_ID;
    /// The ZAP reply has a version other than "1.0" (`ZMQ_PROTOCOL_ERROR_ZAP_BAD_VERSION`).
    ZapBadVersion = ZMQ_PROTOCOL_ERROR_ZAP_BAD_VERSION;
    /// The ZAP reply has a status code other than 200/300/400/500
    /// (`ZMQ_PROTOCOL_ERROR_ZAP_INVALID_STATUS_CODE`).
    ZapInvalidStatusCode = ZMQ_PROTOCOL_ERROR_ZAP_INVALID_STATUS_CODE;
    /// The ZAP reply carries invalid metadata (`ZMQ_PROTOCOL_ERROR_ZAP_INVALID_METADATA`).
    ZapInvalidMetadata = ZMQ_PROTOCOL_ERROR_ZAP_INVALID_METADATA;
    /// An unspecified WebSocket error (`ZMQ_PROTOCOL_ERROR_WS_UNSPECIFIED`).
    WsUnspecified = ZMQ_PROTOCOL_ERROR_WS_UNSPECIFIED;
}

impl fmt::Display for ProtocolError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.name() {
            Some(name) => f.write_str(name),
            None => write!(f, "unknown protocol error {:#x}", self.raw()),
        }
    }
}

/// A native socket handle as an event reports it: a `RawFd` on Unix, a `SOCKET`
/// on Windows ([`zmq_fd_t`](crate::sys::zmq_fd_t)).
type Fd = zmq_sys::zmq_fd_t;

/// One event of a monitored socket, decoded.
///
/// libzmq reports what happens on a socket's connections (listening, accepted,
/// connected, handshake results, disconnections ...) as messages on an `inproc://`
/// PAIR socket of its own. [`Socket::monitor_socket`] sets that up and returns a
/// [`Monitor`] that receives them as [`MonitorEvent`]s:
///
/// ```
/// use std::time::Duration;
/// use zmq::{MonitorEvent, MonitorEvents};
///
/// let ctx = zmq::Context::new()?;
/// let server = ctx.socket(zmq::REP)?;
/// let monitor = server.monitor_socket(MonitorEvents::ALL)?;
/// server.bind("tcp://127.0.0.1:*")?;
/// let endpoint = server.get_last_endpoint()?;
///
/// let client = ctx.socket(zmq::REQ)?;
/// client.connect(&endpoint)?;
///
/// let wait = Duration::from_secs(10);
/// let next = || monitor.recv_timeout(wait)?.ok_or(zmq::Error::EAGAIN);
/// assert!(matches!(next()?, MonitorEvent::Listening { endpoint: e, .. } if e == endpoint));
/// assert!(matches!(next()?, MonitorEvent::Accepted { .. }));
/// assert!(matches!(next()?, MonitorEvent::HandshakeSucceeded { .. }));
/// # Ok::<(), zmq::Error>(())
/// ```
///
/// The lower-level [`Socket::monitor`] only asks libzmq to publish the events on an
/// endpoint of your choosing; [`MonitorEvent::from_frames`] decodes what you receive
/// there.
///
/// `endpoint` is the endpoint the event concerns: the bound address for
/// listening-side events (`tcp://127.0.0.1:5555`), the address given to `connect`
/// for connecting-side events. File descriptors are libzmq's OS sockets, for
/// identification only: they may be closed by the time the event is read.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum MonitorEvent {
    /// A connection to a peer was made (`ZMQ_EVENT_CONNECTED`).
    Connected {
        /// The endpoint connected to.
        endpoint: String,
        /// The connection's OS socket.
        fd: Fd,
    },
    /// A connect did not complete at once and is in progress
    /// (`ZMQ_EVENT_CONNECT_DELAYED`).
    ConnectDelayed {
        /// The endpoint being connected to.
        endpoint: String,
        /// What the OS `connect` reported (usually `EINPROGRESS`).
        error: Error,
    },
    /// A connect failed or a connection dropped; the next attempt comes after
    /// `interval_ms` (`ZMQ_EVENT_CONNECT_RETRIED`).
    ConnectRetried {
        /// The endpoint being connected to.
        endpoint: String,
        /// Milliseconds until the next attempt (see `ZMQ_RECONNECT_IVL`).
        interval_ms: u32,
    },
    /// The socket listens on an endpoint (`ZMQ_EVENT_LISTENING`).
    Listening {
        /// The bound endpoint, with the port resolved.
        endpoint: String,
        /// The listening OS socket.
        fd: Fd,
    },
    /// A bind failed in the background (`ZMQ_EVENT_BIND_FAILED`).
    BindFailed {
        /// The endpoint that could not be bound.
        endpoint: String,
        /// The OS error.
        error: Error,
    },
    /// A connection from a peer was accepted (`ZMQ_EVENT_ACCEPTED`).
    Accepted {
        /// The listening endpoint.
        endpoint: String,
        /// The new connection's OS socket.
        fd: Fd,
    },
    /// Accepting a connection failed (`ZMQ_EVENT_ACCEPT_FAILED`).
    AcceptFailed {
        /// The listening endpoint.
        endpoint: String,
        /// The OS error of `accept`.
        error: Error,
    },
    /// A listening or connecting OS socket was closed (`ZMQ_EVENT_CLOSED`).
    Closed {
        /// The endpoint it served.
        endpoint: String,
        /// The closed OS socket.
        fd: Fd,
    },
    /// Closing an OS socket failed (`ZMQ_EVENT_CLOSE_FAILED`, IPC only).
    CloseFailed {
        /// The endpoint it served.
        endpoint: String,
        /// The OS error.
        error: Error,
    },
    /// A connection was lost or closed (`ZMQ_EVENT_DISCONNECTED`).
    Disconnected {
        /// The endpoint of the connection.
        endpoint: String,
        /// The connection's OS socket (being closed).
        fd: Fd,
    },
    /// Monitoring ended (`ZMQ_EVENT_MONITOR_STOPPED`): the socket was closed, or
    /// monitoring was stopped or replaced. Nothing follows it.
    MonitorStopped,
    /// A handshake failed without a protocol error: usually the peer closed the
    /// connection or the handshake timed out (`ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL`).
    HandshakeFailedNoDetail {
        /// The endpoint of the connection.
        endpoint: String,
        /// The `errno` at the time of the failure (may be unrelated, even 0).
        error: Error,
    },
    /// The ZMTP handshake, security mechanism included, succeeded
    /// (`ZMQ_EVENT_HANDSHAKE_SUCCEEDED`): the connection carries messages now.
    HandshakeSucceeded {
        /// The endpoint of the connection.
        endpoint: String,
    },
    /// A handshake failed on a protocol error, between the peers or with the ZAP
    /// handler (`ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL`).
    HandshakeFailedProtocol {
        /// The endpoint of the connection.
        endpoint: String,
        /// What went wrong.
        error: ProtocolError,
    },
    /// The ZAP handler refused the peer (`ZMQ_EVENT_HANDSHAKE_FAILED_AUTH`).
    HandshakeFailedAuth {
        /// The endpoint of the connection.
        endpoint: String,
        /// The handler's status code: 300 (temporary error), 400 (denied) or 500
        /// (internal error).
        status: u32,
    },
    /// The queue lengths of one connection (`ZMQ_EVENT_PIPES_STATS`, draft, event
    /// format 2), after [`Socket::monitor_pipes_stats`].
    #[cfg(feature = "draft")]
    #[cfg_attr(docsrs, doc(cfg(feature = "draft")))]
    PipesStats {
        /// The endpoint of the connection.
        endpoint: String,
        /// Messages queued to be sent to the peer.
        outbound: u64,
        /// Messages received from the peer and not yet read by the application.
        inbound: u64,
    },
    /// An event this version does not know, or a known one with values of an
    /// unexpected shape.
    Unknown {
        /// The event number.
        event: u64,
        /// Its (first) value, 0 if it has none.
        value: u64,
        /// The endpoint it concerns.
        endpoint: String,
    },
}

impl MonitorEvent {
    /// Decodes one event of format 1 (what [`Socket::monitor`] publishes): two
    /// frames, 6 bytes (a `u16` event number and a `u32` value, native byte order)
    /// and the endpoint. An endpoint that is not UTF-8 is converted lossily.
    ///
    /// Frames of any other shape give `EPROTO` (`Error::EPROTO`); an
    /// event number this version does not know gives [`MonitorEvent::Unknown`].
    ///
    /// ```
    /// let mut head = (zmq::sys::ZMQ_EVENT_CONNECT_RETRIED as u16).to_ne_bytes().to_vec();
    /// head.extend_from_slice(&250u32.to_ne_bytes());
    /// let event = zmq::MonitorEvent::from_frames(&[&head[..], b"tcp://127.0.0.1:9"])?;
    /// assert_eq!(
    ///     event,
    ///     zmq::MonitorEvent::ConnectRetried { endpoint: "tcp://127.0.0.1:9".into(), interval_ms: 250 }
    /// );
    /// assert_eq!(zmq::MonitorEvent::from_frames(&[&head[..]]).unwrap_err().raw(), libc::EPROTO);
    /// # Ok::<(), zmq::Error>(())
    /// ```
    pub fn from_frames<F: AsRef<[u8]>>(frames: &[F]) -> Result<MonitorEvent> {
        parse_v1(frames)
    }

    /// The event's flag, e.g. [`MonitorEvents::CONNECTED`] (for `Unknown`, its raw
    /// number as flags).
    pub fn event_type(&self) -> MonitorEvents {
        let bits = match self {
            MonitorEvent::Connected { .. } => EV_CONNECTED,
            MonitorEvent::ConnectDelayed { .. } => EV_CONNECT_DELAYED,
            MonitorEvent::ConnectRetried { .. } => EV_CONNECT_RETRIED,
            MonitorEvent::Listening { .. } => EV_LISTENING,
            MonitorEvent::BindFailed { .. } => EV_BIND_FAILED,
            MonitorEvent::Accepted { .. } => EV_ACCEPTED,
            MonitorEvent::AcceptFailed { .. } => EV_ACCEPT_FAILED,
            MonitorEvent::Closed { .. } => EV_CLOSED,
            MonitorEvent::CloseFailed { .. } => EV_CLOSE_FAILED,
            MonitorEvent::Disconnected { .. } => EV_DISCONNECTED,
            MonitorEvent::MonitorStopped => EV_MONITOR_STOPPED,
            MonitorEvent::HandshakeFailedNoDetail { .. } => EV_HANDSHAKE_FAILED_NO_DETAIL,
            MonitorEvent::HandshakeSucceeded { .. } => EV_HANDSHAKE_SUCCEEDED,
            MonitorEvent::HandshakeFailedProtocol { .. } => EV_HANDSHAKE_FAILED_PROTOCOL,
            MonitorEvent::HandshakeFailedAuth { .. } => EV_HANDSHAKE_FAILED_AUTH,
            #[cfg(feature = "draft")]
            MonitorEvent::PipesStats { .. } => EV_PIPES_STATS,
            MonitorEvent::Unknown { event, .. } => *event,
        };
        MonitorEvents::from_bits_retain(bits)
    }

    /// The endpoint the event concerns (empty for [`MonitorEvent::MonitorStopped`]).
    pub fn endpoint(&self) -> &str {
        match self {
            MonitorEvent::Connected { endpoint, .. }
            | MonitorEvent::ConnectDelayed { endpoint, .. }
            | MonitorEvent::ConnectRetried { endpoint, .. }
            | MonitorEvent::Listening { endpoint, .. }
            | MonitorEvent::BindFailed { endpoint, .. }
            | MonitorEvent::Accepted { endpoint, .. }
            | MonitorEvent::AcceptFailed { endpoint, .. }
            | MonitorEvent::Closed { endpoint, .. }
            | MonitorEvent::CloseFailed { endpoint, .. }
            | MonitorEvent::Disconnected { endpoint, .. }
            | MonitorEvent::HandshakeFailedNoDetail { endpoint, .. }
            | MonitorEvent::HandshakeSucceeded { endpoint }
            | MonitorEvent::HandshakeFailedProtocol { endpoint, .. }
            | MonitorEvent::HandshakeFailedAuth { endpoint, .. }
            | MonitorEvent::Unknown { endpoint, .. } => endpoint,
            #[cfg(feature = "draft")]
            MonitorEvent::PipesStats { endpoint, .. } => endpoint,
            MonitorEvent::MonitorStopped => "",
        }
    }
}

/// Builds the typed event from its number, values and endpoint.
fn decode(event: u64, values: &[u64], endpoint: String) -> MonitorEvent {
    #[cfg(feature = "draft")]
    if event == EV_PIPES_STATS {
        if let [outbound, inbound] = *values {
            return MonitorEvent::PipesStats {
                endpoint,
                outbound,
                inbound,
            };
        }
    }
    let [value] = *values else {
        let value = values.first().copied().unwrap_or(0);
        return MonitorEvent::Unknown {
            event,
            value,
            endpoint,
        };
    };
    // The C side widened an `int` (fd_t on Unix, errno, interval, status) or a
    // Windows SOCKET to 64 bits; these casts undo that (format 1 keeps only 32 bits).
    let fd = value as Fd;
    let error = Error::from_raw(value as c_int);
    match event {
        EV_CONNECTED => MonitorEvent::Connected { endpoint, fd },
        EV_CONNECT_DELAYED => MonitorEvent::ConnectDelayed { endpoint, error },
        EV_CONNECT_RETRIED => MonitorEvent::ConnectRetried {
            endpoint,
            interval_ms: value as u32,
        },
        EV_LISTENING => MonitorEvent::Listening { endpoint, fd },
        EV_BIND_FAILED => MonitorEvent::BindFailed { endpoint, error },
        EV_ACCEPTED => MonitorEvent::Accepted { endpoint, fd },
        EV_ACCEPT_FAILED => MonitorEvent::AcceptFailed { endpoint, error },
        EV_CLOSED => MonitorEvent::Closed { endpoint, fd },
        EV_CLOSE_FAILED => MonitorEvent::CloseFailed { endpoint, error },
        EV_DISCONNECTED => MonitorEvent::Disconnected { endpoint, fd },
        EV_MONITOR_STOPPED => MonitorEvent::MonitorStopped,
        EV_HANDSHAKE_FAILED_NO_DETAIL => MonitorEvent::HandshakeFailedNoDetail { endpoint, error },
        EV_HANDSHAKE_SUCCEEDED => MonitorEvent::HandshakeSucceeded { endpoint },
        EV_HANDSHAKE_FAILED_PROTOCOL => MonitorEvent::HandshakeFailedProtocol {
            endpoint,
            error: ProtocolError::from_raw(value as u32),
        },
        EV_HANDSHAKE_FAILED_AUTH => MonitorEvent::HandshakeFailedAuth {
            endpoint,
            status: value as u32,
        },
        _ => MonitorEvent::Unknown {
            event,
            value,
            endpoint,
        },
    }
}

fn lossy(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// Decodes an event of format 1: `[u16 event | u32 value]`, endpoint.
fn parse_v1<F: AsRef<[u8]>>(frames: &[F]) -> Result<MonitorEvent> {
    let [head, endpoint] = frames else {
        return Err(malformed());
    };
    let &[e0, e1, v0, v1, v2, v3] = head.as_ref() else {
        return Err(malformed());
    };
    let event = u16::from_ne_bytes([e0, e1]);
    let value = u32::from_ne_bytes([v0, v1, v2, v3]);
    Ok(decode(
        u64::from(event),
        &[u64::from(value)],
        lossy(endpoint.as_ref()),
    ))
}

/// A `u64` frame of format 2.
#[cfg(feature = "draft")]
fn frame_u64(frame: &[u8]) -> Result<u64> {
    <[u8; 8]>::try_from(frame)
        .map(u64::from_ne_bytes)
        .map_err(|_| malformed())
}

/// Whether these frames (of format `version`) are the `MONITOR_STOPPED` event.
fn is_stop<F: AsRef<[u8]>>(frames: &[F], version: u8) -> bool {
    let Some(head) = frames.first().map(AsRef::as_ref) else {
        return false;
    };
    match version {
        1 => match *head {
            [e0, e1, _, _, _, _] => u64::from(u16::from_ne_bytes([e0, e1])) == EV_MONITOR_STOPPED,
            _ => false,
        },
        _ => <[u8; 8]>::try_from(head).map(u64::from_ne_bytes).ok() == Some(EV_MONITOR_STOPPED),
    }
}

/// One event of format 2 (draft: [`Socket::monitor_versioned`] with
/// [`EventVersion::V2`]), as libzmq sent it: the 64-bit event number, its values,
/// and both ends of the connection.
#[cfg(feature = "draft")]
#[cfg_attr(docsrs, doc(cfg(feature = "draft")))]
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MonitorV2Event {
    /// The event number, one bit of [`MonitorEvents`].
    pub event: u64,
    /// The event's values (one for most events, two for `PIPES_STATS`).
    pub values: Vec<u64>,
    /// The local endpoint (may be empty, e.g. for a connect in progress).
    pub local: String,
    /// The remote endpoint (may be empty, e.g. for a listening socket).
    pub remote: String,
}

#[cfg(feature = "draft")]
#[cfg_attr(docsrs, doc(cfg(feature = "draft")))]
impl MonitorV2Event {
    /// Decodes one event of format 2: the event (8 bytes), the number of values
    /// `n` (8 bytes), `n` values (8 bytes each, native byte order), the local and
    /// the remote endpoint (lossily converted to UTF-8). Frames of any other shape
    /// give `EPROTO`.
    pub fn from_frames<F: AsRef<[u8]>>(frames: &[F]) -> Result<MonitorV2Event> {
        parse_v2(frames)
    }

    /// The event's flag, e.g. [`MonitorEvents::PIPES_STATS`].
    pub fn event_type(&self) -> MonitorEvents {
        MonitorEvents::from_bits_retain(self.event)
    }

    /// The event with its values decoded, as [`Monitor::recv`] returns it. Its
    /// `endpoint` is [`remote`](Self::remote) when that is known, else
    /// [`local`](Self::local) (format 1 picks by the side that made the connection,
    /// which format 2 does not say).
    pub fn typed(&self) -> MonitorEvent {
        let endpoint = if self.remote.is_empty() {
            &self.local
        } else {
            &self.remote
        };
        decode(self.event, &self.values, endpoint.clone())
    }

    /// For a `PIPES_STATS` event, the queue lengths `(outbound, inbound)`.
    pub fn pipes_stats(&self) -> Option<(u64, u64)> {
        match (self.event, &self.values[..]) {
            (EV_PIPES_STATS, &[outbound, inbound]) => Some((outbound, inbound)),
            _ => None,
        }
    }
}

/// Decodes an event of format 2.
#[cfg(feature = "draft")]
fn parse_v2<F: AsRef<[u8]>>(frames: &[F]) -> Result<MonitorV2Event> {
    let [event, count, rest @ ..] = frames else {
        return Err(malformed());
    };
    let [values @ .., local, remote] = rest else {
        return Err(malformed());
    };
    let event = frame_u64(event.as_ref())?;
    if frame_u64(count.as_ref())? != values.len() as u64 {
        return Err(malformed());
    }
    let values = values
        .iter()
        .map(|v| frame_u64(v.as_ref()))
        .collect::<Result<Vec<u64>>>()?;
    Ok(MonitorV2Event {
        event,
        values,
        local: lossy(local.as_ref()),
        remote: lossy(remote.as_ref()),
    })
}

/// The format of monitor events (`event_version` of `zmq_socket_monitor_versioned`).
#[cfg(feature = "draft")]
#[cfg_attr(docsrs, doc(cfg(feature = "draft")))]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum EventVersion {
    /// Format 1 (stable): a 16-bit event, one 32-bit value, one endpoint.
    V1 = 1,
    /// Format 2 (draft): a 64-bit event, any number of 64-bit values, local and
    /// remote endpoints. Needed for `PIPES_STATS`.
    V2 = 2,
}

/// Receives all frames of one message (`flags` apply to the first).
fn recv_frames(socket: &Socket, flags: RecvFlags) -> Result<Vec<Message>> {
    let mut frames = Vec::with_capacity(4);
    let mut flags = flags;
    loop {
        let mut msg = Message::new();
        socket.recv_msg(&mut msg, flags)?;
        let more = msg.more();
        frames.push(msg);
        if !more {
            return Ok(frames);
        }
        // The rest of a multipart message arrives with its first frame.
        flags = RecvFlags::empty();
    }
}

/// Validates an event mask for format 1 (16 bits) as the C `int` it is passed as.
fn v1_mask(events: MonitorEvents) -> Result<c_int> {
    u16::try_from(events.bits())
        .map(c_int::from)
        .map_err(|_| Error::EINVAL)
}

/// Distinguishes the endpoints `monitor_socket` makes up.
static MONITOR_SEQUENCE: AtomicU64 = AtomicU64::new(0);

impl Socket {
    /// Publishes this socket's events on a new PAIR socket that libzmq binds to the
    /// `inproc://` `endpoint` (`zmq_socket_monitor`), in the socket's context. Each
    /// event is two frames, decoded by [`MonitorEvent::from_frames`]. A second call
    /// replaces the first (which gets `MONITOR_STOPPED` if it asked for it).
    ///
    /// Prefer [`Socket::monitor_socket`], which does the rest safely. With this call,
    /// *you* must connect a PAIR socket to `endpoint` at once and keep it open and
    /// read until monitoring ends ([`Socket::stop_monitor`], or this socket is
    /// closed, or its context terminated): libzmq sends events with a blocking send,
    /// so an event without a connected reader, or a full queue, blocks the thread that
    /// raised it (often libzmq's I/O thread) until one appears.
    ///
    /// Errors: `EPROTONOSUPPORT` for a transport other than `inproc`, `EINVAL` for
    /// event bits beyond the 16 of format 1 (e.g. the draft `PIPES_STATS`),
    /// `EADDRINUSE` if the endpoint is taken, `ETERM`.
    #[doc(alias = "zmq_socket_monitor")]
    pub fn monitor(&self, endpoint: &str, events: MonitorEvents) -> Result<()> {
        let events = v1_mask(events)?;
        let endpoint = c_string(endpoint)?;
        // SAFETY: our live socket and a NUL-terminated string that outlives the call.
        cvt(unsafe { zmq_sys::zmq_socket_monitor(self.as_raw(), endpoint.as_ptr(), events) })
            .map(drop)
    }

    /// Stops monitoring (`zmq_socket_monitor` with a null endpoint): the reader gets
    /// `MONITOR_STOPPED` if it asked for it, then nothing more. Does nothing when the
    /// socket is not monitored.
    #[doc(alias = "zmq_socket_monitor")]
    pub fn stop_monitor(&self) -> Result<()> {
        // SAFETY: our live socket; a null endpoint is documented to stop monitoring.
        cvt(unsafe { zmq_sys::zmq_socket_monitor(self.as_raw(), std::ptr::null(), 0) }).map(drop)
    }

    /// Starts monitoring this socket and returns the [`Monitor`] that receives its
    /// events (`zmq_socket_monitor` on a fresh `inproc://` endpoint, plus a PAIR
    /// socket connected to it). Call it before `bind`/`connect` to see every event.
    ///
    /// `MONITOR_STOPPED` is always included in `events`, so the monitor learns when
    /// monitoring ends. A later `monitor_socket` (or [`Socket::monitor`]) on this
    /// socket replaces this one, which then receives `MonitorStopped`.
    ///
    /// The monitor's queue has no limit (libzmq must never block on it): read it.
    /// Dropping the [`Monitor`] before monitoring has ended is fine: its remaining
    /// events are then discarded by a background thread until monitoring ends (if
    /// that thread cannot be started, the monitor's socket is leaked instead), as
    /// closing the reader early would make libzmq block on its next event. That
    /// thread keeps a handle of the context meanwhile (as the monitored socket does).
    ///
    /// ```
    /// let ctx = zmq::Context::new()?;
    /// let socket = ctx.socket(zmq::PUB)?;
    /// let monitor = socket.monitor_socket(zmq::MonitorEvents::ALL)?;
    /// monitor.socket().set_rcvtimeo(10_000)?; // a bound on every wait below
    /// socket.bind("tcp://127.0.0.1:*")?;
    /// let event = monitor.recv(zmq::RecvFlags::empty())?;
    /// assert_eq!(event.event_type(), zmq::MonitorEvents::LISTENING);
    /// assert_eq!(event.endpoint(), socket.get_last_endpoint()?);
    /// socket.stop_monitor()?;
    /// assert_eq!(monitor.recv(zmq::RecvFlags::empty())?, zmq::MonitorEvent::MonitorStopped);
    /// # Ok::<(), zmq::Error>(())
    /// ```
    #[doc(alias = "zmq_socket_monitor")]
    pub fn monitor_socket(&self, events: MonitorEvents) -> Result<Monitor> {
        let events = events | MonitorEvents::MONITOR_STOPPED;
        v1_mask(events)?;
        self.start_monitor(1, |endpoint| self.monitor(endpoint, events))
    }

    /// The common part of `monitor_socket*`: a unique endpoint, a reader that never
    /// makes libzmq block, and the order that keeps libzmq from waiting on a reader.
    fn start_monitor(
        &self,
        version: u8,
        start: impl FnOnce(&str) -> Result<()>,
    ) -> Result<Monitor> {
        let endpoint = format!(
            "inproc://zmq-rs-monitor-{:p}-{}",
            self.as_raw(),
            MONITOR_SEQUENCE.fetch_add(1, Ordering::Relaxed)
        );
        let reader = self.context().socket(SocketType::Pair)?;
        // No receive limit: with rcvhwm 0 the inproc pipe is unbounded, so libzmq's
        // blocking sends of events never wait on us.
        reader.set_rcvhwm(0)?;
        reader.set_linger(0)?;
        start(&endpoint)?;
        if let Err(e) = reader.connect(&endpoint) {
            // Connecting to an endpoint of our own context that was bound a moment
            // ago fails only once the context is shutting down; stopping then sends
            // MONITOR_STOPPED into a socket that fails with ETERM rather than block.
            let _ = self.stop_monitor();
            return Err(e);
        }
        Ok(Monitor {
            socket: ManuallyDrop::new(reader),
            stopped: Cell::new(false),
            version,
        })
    }

    /// Publishes this socket's events on a new socket of type `monitor_type`
    /// (`PAIR`, `PUB` or `PUSH`; `EINVAL` for others) bound to the `inproc://`
    /// `endpoint`, in event format `version` (`zmq_socket_monitor_versioned`, draft).
    /// A `PUB` monitor publishes each event under its 8-byte event number as topic.
    ///
    /// The cautions of [`Socket::monitor`] apply to `PAIR` and `PUSH` (a `PUB` monitor
    /// drops events nobody reads instead of blocking). Format 2 events are decoded
    /// by [`MonitorV2Event::from_frames`]; `EINVAL` for bits beyond 16 with
    /// [`EventVersion::V1`].
    #[cfg(feature = "draft")]
    #[cfg_attr(docsrs, doc(cfg(feature = "draft")))]
    #[doc(alias = "zmq_socket_monitor_versioned")]
    pub fn monitor_versioned(
        &self,
        endpoint: &str,
        events: MonitorEvents,
        version: EventVersion,
        monitor_type: SocketType,
    ) -> Result<()> {
        let endpoint = c_string(endpoint)?;
        // SAFETY: our live socket and a NUL-terminated string that outlives the call;
        // libzmq validates the version, the event bits and the type.
        cvt(unsafe {
            zmq_sys::zmq_socket_monitor_versioned(
                self.as_raw(),
                endpoint.as_ptr(),
                events.bits(),
                version as c_int,
                monitor_type as c_int,
            )
        })
        .map(drop)
    }

    /// Like [`Socket::monitor_socket`], in event format `version` (draft). With
    /// [`EventVersion::V2`], read the events with [`Monitor::recv_v2`] (or, decoded,
    /// with [`Monitor::recv`]).
    ///
    /// ```
    /// # use zmq::{EventVersion, MonitorEvents, RecvFlags};
    /// let ctx = zmq::Context::new()?;
    /// let socket = ctx.socket(zmq::PULL)?;
    /// let monitor = socket.monitor_socket_versioned(MonitorEvents::ALL_V2, EventVersion::V2)?;
    /// monitor.socket().set_rcvtimeo(10_000)?;
    /// socket.bind("tcp://127.0.0.1:*")?;
    /// let event = monitor.recv_v2(RecvFlags::empty())?;
    /// assert_eq!(event.event_type(), MonitorEvents::LISTENING);
    /// assert_eq!(event.local, socket.get_last_endpoint()?);
    /// assert_eq!(event.remote, "");
    /// # Ok::<(), zmq::Error>(())
    /// ```
    #[cfg(feature = "draft")]
    #[cfg_attr(docsrs, doc(cfg(feature = "draft")))]
    #[doc(alias = "zmq_socket_monitor_versioned")]
    pub fn monitor_socket_versioned(
        &self,
        events: MonitorEvents,
        version: EventVersion,
    ) -> Result<Monitor> {
        let events = events | MonitorEvents::MONITOR_STOPPED;
        if version == EventVersion::V1 {
            v1_mask(events)?;
        }
        self.start_monitor(version as u8, |endpoint| {
            self.monitor_versioned(endpoint, events, version, SocketType::Pair)
        })
    }

    /// Asks every connection of this socket for its queue lengths
    /// (`zmq_socket_monitor_pipes_stats`, draft): each answers with a
    /// [`MonitorEvent::PipesStats`] event, a little later. The answers are
    /// delivered while this socket processes its commands, i.e. during a later call
    /// on it (such as [`Socket::get_events`]).
    ///
    /// `EINVAL` unless the socket is monitored in format 2 with
    /// [`MonitorEvents::PIPES_STATS`]; `EAGAIN` when it has no connection; `ENOTSUP`
    /// on a thread-safe socket type (libzmq reads its connections without a lock).
    #[cfg(feature = "draft")]
    #[cfg_attr(docsrs, doc(cfg(feature = "draft")))]
    #[doc(alias = "zmq_socket_monitor_pipes_stats")]
    pub fn monitor_pipes_stats(&self) -> Result<()> {
        // libzmq walks the socket's pipes here without taking the socket's lock, so on
        // a socket other threads may use at the same time (the thread-safe draft
        // types) this would race: refuse it there.
        if self.get_thread_safe()? {
            return Err(Error::ENOTSUP);
        }
        // SAFETY: our live socket, a classic type (checked above), used by this thread only.
        cvt(unsafe { zmq_sys::zmq_socket_monitor_pipes_stats(self.as_raw()) }).map(drop)
    }
}

/// The receiving end of a socket monitor, made by [`Socket::monitor_socket`]: a PAIR
/// socket on which libzmq publishes the monitored socket's events.
///
/// Like a [`Socket`] it may move to another thread (`Send`) but not be shared
/// (`!Sync`). Poll it with other sockets through [`Monitor::socket`]. Receive with
/// [`Monitor::recv`], [`Monitor::try_recv`], [`Monitor::recv_timeout`], or iterate
/// (each item blocks; iteration ends after [`MonitorEvent::MonitorStopped`] or an
/// error):
///
/// ```
/// let ctx = zmq::Context::new()?;
/// let socket = ctx.socket(zmq::SUB)?;
/// let monitor = socket.monitor_socket(zmq::MonitorEvents::ALL)?;
/// monitor.socket().set_rcvtimeo(10_000)?; // a bug gives EAGAIN, not a hang
/// socket.bind("tcp://127.0.0.1:*")?;
/// drop(socket); // closes the listener, then ends monitoring
/// let kinds: Vec<_> = monitor.iter().map(|e| e.map(|e| e.event_type())).collect::<Result<_, _>>()?;
/// use zmq::MonitorEvents as E;
/// assert_eq!(kinds, [E::LISTENING, E::CLOSED, E::MONITOR_STOPPED]);
/// # Ok::<(), zmq::Error>(())
/// ```
///
/// It cannot be shared between threads:
/// ```compile_fail,E0277
/// fn is_sync<T: Sync>() {}
/// is_sync::<zmq::Monitor>();
/// ```
pub struct Monitor {
    // Never dropped while libzmq may still send to it: see Drop.
    socket: ManuallyDrop<Socket>,
    // Whether MONITOR_STOPPED was received: nothing can follow it.
    stopped: Cell<bool>,
    // The event format, 1 or 2.
    version: u8,
}

impl fmt::Debug for Monitor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Monitor")
            .field("socket", &*self.socket)
            .field("version", &self.version)
            .field("stopped", &self.stopped.get())
            .finish()
    }
}

impl Monitor {
    /// The PAIR socket the events arrive on, e.g. to poll it, or to set
    /// `ZMQ_RCVTIMEO` for [`Monitor::recv`].
    pub fn socket(&self) -> &Socket {
        &self.socket
    }

    /// Whether [`MonitorEvent::MonitorStopped`] was received: no event follows it.
    pub fn is_stopped(&self) -> bool {
        self.stopped.get()
    }

    fn recv_raw(&self, flags: RecvFlags) -> Result<Vec<Message>> {
        let frames = recv_frames(&self.socket, flags)?;
        if is_stop(&frames, self.version) {
            self.stopped.set(true);
        }
        Ok(frames)
    }

    /// Receives the next event, waiting for it unless `flags` holds `DONTWAIT`
    /// (then `EAGAIN` if there is none) and up to the socket's `ZMQ_RCVTIMEO`.
    /// A message that is not a well-formed event is consumed whole and gives
    /// `EPROTO`. Events of format 2 (draft) are decoded as `MonitorV2Event::typed` does.
    #[doc(alias = "zmq_msg_recv")]
    pub fn recv(&self, flags: RecvFlags) -> Result<MonitorEvent> {
        let frames = self.recv_raw(flags)?;
        match self.version {
            #[cfg(feature = "draft")]
            2 => parse_v2(&frames).map(|e| e.typed()),
            _ => parse_v1(&frames),
        }
    }

    /// The next event if one is queued, without waiting.
    pub fn try_recv(&self) -> Result<Option<MonitorEvent>> {
        match self.recv(RecvFlags::DONTWAIT) {
            Err(Error::EAGAIN) => Ok(None),
            other => other.map(Some),
        }
    }

    /// The next event, waiting at most `timeout` (`zmq_poll`): `Ok(None)` if none
    /// came in time.
    #[doc(alias = "zmq_poll")]
    pub fn recv_timeout(&self, timeout: Duration) -> Result<Option<MonitorEvent>> {
        let deadline = Instant::now().checked_add(timeout);
        loop {
            if !self.wait_readable(deadline)? {
                return Ok(None);
            }
            match self.recv(RecvFlags::DONTWAIT) {
                // Readable but gone (cannot happen for a PAIR we alone read): wait on.
                Err(Error::EAGAIN) => continue,
                other => return other.map(Some),
            }
        }
    }

    /// Waits until a message is queued (`true`) or `deadline` passes (`false`;
    /// `None` is no deadline).
    fn wait_readable(&self, deadline: Option<Instant>) -> Result<bool> {
        loop {
            let timeout_ms: c_long = match deadline {
                None => -1,
                Some(deadline) => {
                    let left = deadline.saturating_duration_since(Instant::now());
                    // Round up, so the wait is never shorter than asked.
                    let ms = left.as_nanos().div_ceil(1_000_000);
                    c_long::try_from(ms).unwrap_or(c_long::MAX)
                }
            };
            let mut item = zmq_sys::zmq_pollitem_t {
                socket: self.socket.as_raw(),
                fd: Fd::default(),
                events: zmq_sys::ZMQ_POLLIN as c_short,
                revents: 0,
            };
            // SAFETY: one valid poll item for our live socket, for the duration of the call.
            match cvt(unsafe { zmq_sys::zmq_poll(&mut item, 1, timeout_ms) }) {
                Ok(0) if timeout_ms == 0 => return Ok(false),
                Ok(0) | Err(Error::EINTR) => continue,
                Ok(_) => return Ok(true),
                Err(e) => return Err(e),
            }
        }
    }

    /// Iterates over the events, each [`Monitor::recv`] blocking; the iteration
    /// ends after [`MonitorEvent::MonitorStopped`] or after yielding an error (e.g.
    /// `EAGAIN` once `ZMQ_RCVTIMEO` expires, `ETERM`).
    pub fn iter(&self) -> MonitorIter<'_> {
        MonitorIter {
            monitor: self,
            done: self.is_stopped(),
        }
    }

    /// Receives the next event of format 2 as libzmq sent it (draft; `EINVAL` for a
    /// monitor of format 1). `flags` as for [`Monitor::recv`].
    #[cfg(feature = "draft")]
    #[cfg_attr(docsrs, doc(cfg(feature = "draft")))]
    pub fn recv_v2(&self, flags: RecvFlags) -> Result<MonitorV2Event> {
        if self.version != 2 {
            return Err(Error::EINVAL);
        }
        parse_v2(&self.recv_raw(flags)?)
    }

    /// [`Monitor::recv_v2`], waiting at most `timeout`: `Ok(None)` if no event came.
    #[cfg(feature = "draft")]
    #[cfg_attr(docsrs, doc(cfg(feature = "draft")))]
    pub fn recv_v2_timeout(&self, timeout: Duration) -> Result<Option<MonitorV2Event>> {
        if self.version != 2 {
            return Err(Error::EINVAL);
        }
        let deadline = Instant::now().checked_add(timeout);
        loop {
            if !self.wait_readable(deadline)? {
                return Ok(None);
            }
            match self.recv_v2(RecvFlags::DONTWAIT) {
                Err(Error::EAGAIN) => continue,
                other => return other.map(Some),
            }
        }
    }
}

/// Blocking iterator over a [`Monitor`]'s events, from [`Monitor::iter`].
#[derive(Debug)]
pub struct MonitorIter<'a> {
    monitor: &'a Monitor,
    done: bool,
}

impl Iterator for MonitorIter<'_> {
    type Item = Result<MonitorEvent>;

    fn next(&mut self) -> Option<Result<MonitorEvent>> {
        if self.done {
            return None;
        }
        let item = self.monitor.recv(RecvFlags::empty());
        self.done = matches!(item, Ok(MonitorEvent::MonitorStopped) | Err(_));
        Some(item)
    }
}

impl<'a> IntoIterator for &'a Monitor {
    type Item = Result<MonitorEvent>;
    type IntoIter = MonitorIter<'a>;

    fn into_iter(self) -> MonitorIter<'a> {
        self.iter()
    }
}

/// Reads and discards events until monitoring ends or the context goes away.
fn drain(socket: Socket, version: u8) {
    // A timeout set through Monitor::socket would only make us spin.
    let _ = socket.set_rcvtimeo(-1);
    loop {
        match recv_frames(&socket, RecvFlags::empty()) {
            Ok(frames) if is_stop(&frames, version) => return,
            Ok(_) | Err(Error::EINTR) | Err(Error::EAGAIN) => {}
            // ETERM: the context is shutting down, nothing more will be sent.
            Err(_) => return,
        }
    }
}

impl Drop for Monitor {
    fn drop(&mut self) {
        // SAFETY: the socket is taken out exactly once, here, and not used after.
        let socket = unsafe { ManuallyDrop::take(&mut self.socket) };
        if self.stopped.get() {
            return;
        }
        // Closing the reader while libzmq still monitors would make libzmq's next
        // event send block for ever (in an I/O thread, or in context termination).
        // Consume what is queued; if monitoring has not ended yet, hand the reader
        // to a thread that reads until it does (MONITOR_STOPPED is always asked for).
        loop {
            match recv_frames(&socket, RecvFlags::DONTWAIT) {
                Ok(frames) if is_stop(&frames, self.version) => return,
                Ok(_) | Err(Error::EINTR) => {}
                Err(Error::EAGAIN) => break,
                Err(_) => return,
            }
        }
        let version = self.version;
        // If the thread cannot start, the closure is dropped without closing the
        // socket: a leak, which is better than a hang.
        let socket = ManuallyDrop::new(socket);
        let _ = std::thread::Builder::new()
            .name("zmq-monitor-drain".into())
            .spawn(move || drain(ManuallyDrop::into_inner(socket), version));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn head(event: u64, value: u32) -> Vec<u8> {
        let mut head = (event as u16).to_ne_bytes().to_vec();
        head.extend_from_slice(&value.to_ne_bytes());
        head
    }

    fn v1(event: u64, value: u32, endpoint: &str) -> Result<MonitorEvent> {
        parse_v1(&[head(event, value), endpoint.as_bytes().to_vec()])
    }

    #[test]
    fn every_v1_event_decodes_with_its_value() {
        let ep = "tcp://127.0.0.1:5555";
        let s = || ep.to_string();
        let cases = [
            (
                EV_CONNECTED,
                7,
                MonitorEvent::Connected {
                    endpoint: s(),
                    fd: 7 as Fd,
                },
            ),
            (
                EV_CONNECT_DELAYED,
                libc::EINPROGRESS as u32,
                MonitorEvent::ConnectDelayed {
                    endpoint: s(),
                    error: Error::EINPROGRESS,
                },
            ),
            (
                EV_CONNECT_RETRIED,
                100,
                MonitorEvent::ConnectRetried {
                    endpoint: s(),
                    interval_ms: 100,
                },
            ),
            (
                EV_LISTENING,
                3,
                MonitorEvent::Listening {
                    endpoint: s(),
                    fd: 3 as Fd,
                },
            ),
            (
                EV_BIND_FAILED,
                libc::EADDRINUSE as u32,
                MonitorEvent::BindFailed {
                    endpoint: s(),
                    error: Error::EADDRINUSE,
                },
            ),
            (
                EV_ACCEPTED,
                9,
                MonitorEvent::Accepted {
                    endpoint: s(),
                    fd: 9 as Fd,
                },
            ),
            (
                EV_ACCEPT_FAILED,
                libc::EMFILE as u32,
                MonitorEvent::AcceptFailed {
                    endpoint: s(),
                    error: Error::EMFILE,
                },
            ),
            (
                EV_CLOSED,
                3,
                MonitorEvent::Closed {
                    endpoint: s(),
                    fd: 3 as Fd,
                },
            ),
            (
                EV_CLOSE_FAILED,
                libc::ENOENT as u32,
                MonitorEvent::CloseFailed {
                    endpoint: s(),
                    error: Error::ENOENT,
                },
            ),
            (
                EV_DISCONNECTED,
                9,
                MonitorEvent::Disconnected {
                    endpoint: s(),
                    fd: 9 as Fd,
                },
            ),
            (
                EV_HANDSHAKE_FAILED_NO_DETAIL,
                libc::ECONNRESET as u32,
                MonitorEvent::HandshakeFailedNoDetail {
                    endpoint: s(),
                    error: Error::ECONNRESET,
                },
            ),
            (
                EV_HANDSHAKE_SUCCEEDED,
                0,
                MonitorEvent::HandshakeSucceeded { endpoint: s() },
            ),
            (
                EV_HANDSHAKE_FAILED_PROTOCOL,
                zmq_sys::ZMQ_PROTOCOL_ERROR_ZMTP_MECHANISM_MISMATCH as u32,
                MonitorEvent::HandshakeFailedProtocol {
                    endpoint: s(),
                    error: ProtocolError::ZmtpMechanismMismatch,
                },
            ),
            (
                EV_HANDSHAKE_FAILED_AUTH,
                400,
                MonitorEvent::HandshakeFailedAuth {
                    endpoint: s(),
                    status: 400,
                },
            ),
        ];
        for (event, value, expected) in cases {
            let got = v1(event, value, ep).unwrap();
            assert_eq!(got, expected);
            assert_eq!(got.event_type().bits(), event);
            assert_eq!(got.endpoint(), ep);
        }
        let stopped = v1(EV_MONITOR_STOPPED, 0, "").unwrap();
        assert_eq!(stopped, MonitorEvent::MonitorStopped);
        assert_eq!(stopped.event_type(), MonitorEvents::MONITOR_STOPPED);
        assert_eq!(stopped.endpoint(), "");
    }

    #[test]
    fn negative_fds_and_unknown_protocol_codes_survive() {
        let e = v1(EV_DISCONNECTED, u32::MAX, "x").unwrap();
        #[cfg(unix)]
        assert_eq!(
            e,
            MonitorEvent::Disconnected {
                endpoint: "x".into(),
                fd: -1
            }
        );
        #[cfg(not(unix))]
        assert!(matches!(e, MonitorEvent::Disconnected { .. }));
        let e = v1(EV_HANDSHAKE_FAILED_PROTOCOL, 0x1234, "x").unwrap();
        assert_eq!(
            e,
            MonitorEvent::HandshakeFailedProtocol {
                endpoint: "x".into(),
                error: ProtocolError::Unknown(0x1234)
            }
        );
        assert_eq!(
            ProtocolError::Unknown(0x1234).to_string(),
            "unknown protocol error 0x1234"
        );
        assert_eq!(
            ProtocolError::ZapBadVersion.to_string(),
            "ZMQ_PROTOCOL_ERROR_ZAP_BAD_VERSION"
        );
        for code in [
            zmq_sys::ZMQ_PROTOCOL_ERROR_ZMTP_UNSPECIFIED,
            zmq_sys::ZMQ_PROTOCOL_ERROR_ZMTP_CRYPTOGRAPHIC,
            zmq_sys::ZMQ_PROTOCOL_ERROR_ZAP_INVALID_METADATA,
            zmq_sys::ZMQ_PROTOCOL_ERROR_WS_UNSPECIFIED,
        ] {
            let e = ProtocolError::from_raw(code as u32);
            assert!(!matches!(e, ProtocolError::Unknown(_)));
            assert_eq!(e.raw(), code as u32);
        }
    }

    #[test]
    fn unknown_events_are_kept() {
        let e = v1(0x8000, 42, "inproc://x").unwrap();
        assert_eq!(
            e,
            MonitorEvent::Unknown {
                event: 0x8000,
                value: 42,
                endpoint: "inproc://x".into()
            }
        );
        assert_eq!(e.event_type().bits(), 0x8000);
        assert_eq!(e.endpoint(), "inproc://x");
        // Two bits at once is no single event either.
        assert!(matches!(
            v1(EV_CONNECTED | EV_LISTENING, 1, "").unwrap(),
            MonitorEvent::Unknown { .. }
        ));
    }

    #[test]
    fn malformed_v1_frames_are_eproto() {
        let eproto = Error::EPROTO;
        let good = head(EV_CONNECTED, 5);
        let none: [&[u8]; 0] = [];
        assert_eq!(parse_v1(&none).unwrap_err(), eproto);
        // Missing endpoint.
        assert_eq!(parse_v1(&[&good[..]]).unwrap_err(), eproto);
        // Short and long first frames.
        assert_eq!(parse_v1(&[&good[..5], b"x"]).unwrap_err(), eproto);
        assert_eq!(parse_v1(&[&[0u8; 7][..], b"x"]).unwrap_err(), eproto);
        assert_eq!(parse_v1(&[&[][..], b"x"]).unwrap_err(), eproto);
        // Extra frame.
        assert_eq!(parse_v1(&[&good[..], b"x", b"y"]).unwrap_err(), eproto);
        // Empty and non-UTF-8 endpoints are fine.
        assert_eq!(parse_v1(&[&good[..], b""]).unwrap().endpoint(), "");
        assert_eq!(
            parse_v1(&[&good[..], b"tcp://\xff"]).unwrap().endpoint(),
            "tcp://\u{fffd}"
        );
        // Unaligned input: the head taken from an odd offset.
        let mut buf = vec![0u8];
        buf.extend_from_slice(&good);
        assert_eq!(
            parse_v1(&[&buf[1..], b"e"]).unwrap(),
            MonitorEvent::Connected {
                endpoint: "e".into(),
                fd: 5 as Fd
            }
        );
    }

    #[test]
    fn stop_detection() {
        assert!(is_stop(&[head(EV_MONITOR_STOPPED, 0), vec![]], 1));
        assert!(!is_stop(&[head(EV_CLOSED, 0), vec![]], 1));
        assert!(!is_stop::<Vec<u8>>(&[], 1));
        assert!(!is_stop(&[vec![1u8]], 1));
        assert!(is_stop(&[EV_MONITOR_STOPPED.to_ne_bytes().to_vec()], 2));
        assert!(!is_stop(&[head(EV_MONITOR_STOPPED, 0)], 2));
    }

    #[test]
    fn v1_masks() {
        assert_eq!(v1_mask(MonitorEvents::ALL).unwrap(), 0xffff);
        assert_eq!(
            v1_mask(MonitorEvents::from_bits_retain(1 << 16)).unwrap_err(),
            Error::EINVAL
        );
        assert_eq!(
            v1_mask(MonitorEvents::from_bits_retain(1 << 40)).unwrap_err(),
            Error::EINVAL
        );
    }

    #[cfg(feature = "draft")]
    fn v2_frames(event: u64, values: &[u64], local: &str, remote: &str) -> Vec<Vec<u8>> {
        let mut frames = vec![
            event.to_ne_bytes().to_vec(),
            (values.len() as u64).to_ne_bytes().to_vec(),
        ];
        frames.extend(values.iter().map(|v| v.to_ne_bytes().to_vec()));
        frames.push(local.as_bytes().to_vec());
        frames.push(remote.as_bytes().to_vec());
        frames
    }

    #[cfg(feature = "draft")]
    #[test]
    fn v2_events_decode() {
        let e = parse_v2(&v2_frames(EV_PIPES_STATS, &[3, 5], "tcp://a", "tcp://b")).unwrap();
        assert_eq!(e.values, [3, 5]);
        assert_eq!(e.pipes_stats(), Some((3, 5)));
        assert_eq!(e.event_type(), MonitorEvents::PIPES_STATS);
        assert_eq!(
            e.typed(),
            MonitorEvent::PipesStats {
                endpoint: "tcp://b".into(),
                outbound: 3,
                inbound: 5
            }
        );
        let e = parse_v2(&v2_frames(EV_LISTENING, &[4], "tcp://a", "")).unwrap();
        assert_eq!(e.pipes_stats(), None);
        assert_eq!(
            e.typed(),
            MonitorEvent::Listening {
                endpoint: "tcp://a".into(),
                fd: 4 as Fd
            }
        );
        // Wrong number of values for a known event: Unknown, not a panic.
        let e = parse_v2(&v2_frames(EV_CONNECTED, &[], "", "r")).unwrap();
        assert_eq!(
            e.typed(),
            MonitorEvent::Unknown {
                event: EV_CONNECTED,
                value: 0,
                endpoint: "r".into()
            }
        );
        let e = parse_v2(&v2_frames(EV_PIPES_STATS, &[1], "", "r")).unwrap();
        assert!(matches!(e.typed(), MonitorEvent::Unknown { value: 1, .. }));
        let e = parse_v2(&v2_frames(1 << 40, &[1, 2, 3], "l", "")).unwrap();
        assert_eq!(
            e.typed(),
            MonitorEvent::Unknown {
                event: 1 << 40,
                value: 1,
                endpoint: "l".into()
            }
        );
    }

    #[cfg(feature = "draft")]
    #[test]
    fn malformed_v2_frames_are_eproto() {
        let eproto = Error::EPROTO;
        let good = v2_frames(EV_CONNECTED, &[7], "l", "r");
        assert!(parse_v2(&good).is_ok());
        for n in 0..good.len() {
            assert_eq!(parse_v2(&good[..n]).unwrap_err(), eproto, "{n} frames");
        }
        let mut extra = good.clone();
        extra.push(b"x".to_vec());
        assert_eq!(parse_v2(&extra).unwrap_err(), eproto);
        let mut short = good.clone();
        short[0].pop();
        assert_eq!(parse_v2(&short).unwrap_err(), eproto);
        let mut bad_value = good.clone();
        bad_value[2].push(0);
        assert_eq!(parse_v2(&bad_value).unwrap_err(), eproto);
        // A huge count does not allocate or overflow.
        let mut huge = good;
        huge[1] = u64::MAX.to_ne_bytes().to_vec();
        assert_eq!(parse_v2(&huge).unwrap_err(), eproto);
    }
}
