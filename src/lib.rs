//! Safe, complete, fast bindings to [libzmq](https://zeromq.org) (ZeroMQ) 4.3.
//!
//! A thin layer over the C API: [`Context`], [`Socket`] and [`Message`] own their
//! libzmq handles (RAII), socket types and flags are typed, every call returns a
//! [`Result`] carrying libzmq's errno, and each wrapper names the C function it calls
//! (search the docs for `zmq_bind`, `zmq_msg_recv` ...), so the zguide's C examples
//! port almost line by line:
//!
//! ```
//! // hwserver / hwclient in one process
//! let ctx = zmq::Context::new()?;
//! let responder = ctx.socket(zmq::REP)?;
//! responder.bind("tcp://127.0.0.1:*")?;
//! let endpoint = responder.get_last_endpoint()?;
//!
//! let requester = ctx.socket(zmq::REQ)?;
//! requester.connect(&endpoint)?;
//! requester.send("Hello", zmq::SendFlags::empty())?;
//!
//! let mut msg = zmq::Message::new();
//! responder.recv_msg(&mut msg, zmq::RecvFlags::empty())?;
//! assert_eq!(msg.as_str(), Some("Hello"));
//! responder.send("World", zmq::SendFlags::empty())?;
//! assert_eq!(requester.recv_string(zmq::RecvFlags::empty())?.unwrap(), "World");
//! # Ok::<(), zmq::Error>(())
//! ```
//!
//! # Building
//!
//! By default (features `vendored` and `curve`) libzmq 4.3.5 is compiled from the
//! copy in this crate with the `cc` crate and linked statically, with CURVE security
//! through libsodium (the copy bundled with `zmq-sys`, compiled the same way; set
//! `SODIUM_USE_PKG_CONFIG=1` for the system's): only a C and C++ compiler is needed. To link the system
//! libzmq instead (e.g. Debian's `libzmq3-dev`, found with `pkg-config`), either
//! depend on the crate with `default-features = false`, or set
//! `LIBZMQ_NO_VENDOR=1` when building (it beats the feature). `LIBZMQ_LIB_DIR` +
//! `LIBZMQ_INCLUDE_DIR` point at a libzmq without pkg-config; `LIBZMQ_STATIC=1`
//! links it statically. Feature `draft` enables libzmq's draft API.
//! [`zmq_sys::vendored()`](sys::vendored) says which was linked.
//!
//! # Threads
//!
//! [`Context`] is `Send + Sync + Clone`; [`Socket`] is `Send` but not `Sync`, as
//! libzmq sockets must not be used from two threads at once; [`Message`] is `Send`.
//! With the `draft` feature, the socket types libzmq makes thread-safe (SERVER,
//! CLIENT, RADIO, DISH, GATHER, SCATTER, PEER, CHANNEL) are also available as a
//! `ThreadSafeSocket`, which is `Sync`.
//!
//! # The rest of libzmq
//!
//! [`poll`] and [`PollItem`] (the `ZMQ_FD` + `ZMQ_EVENTS` contract for external event
//! loops is described there), [`Timers`], [`Socket::monitor_socket`] with typed
//! [`MonitorEvent`]s, [`proxy`] and [`proxy_steerable`], [`CurveKeyPair`],
//! [`z85_encode`] / [`z85_decode`], and a ZAP [`Authenticator`]. The file
//! `COVERAGE.md` in the repository maps every function, option and event of
//! libzmq 4.3.5 to the item that covers it.
#![deny(unsafe_op_in_unsafe_fn)]
// docs.rs (see `[package.metadata.docs.rs]`) labels feature-gated items.
#![cfg_attr(docsrs, feature(doc_cfg))]
#![warn(missing_docs)]

/// `true` when the optional macro fragment is there (the option tables of
/// `context.rs` and `sockopt.rs`).
macro_rules! present {
    () => {
        false
    };
    ($($x:tt)+) => {
        true
    };
}

mod auth;
#[cfg(unix)]
mod bind_fd;
mod cert_store;
mod certificate;
mod context;
mod curve;
mod endpoint;
mod error;
mod guard;
mod message;
mod monitor;
mod multipart;
mod owner;
mod peers;
mod poll;
mod proxy;
mod signal;
mod socket;
mod sockopt;
mod spin;
mod timers;
#[cfg(feature = "tokio")]
#[cfg_attr(docsrs, doc(cfg(feature = "tokio")))]
pub mod tokio;
mod tracker;

// The public surface, item by item (no glob re-exports), grouped by the module that
// defines it: a new public item is added here explicitly, and what `zmq::` offers can
// be read in one place. Draft-only items carry the same `cfg` as their definition.
// `tests/surface.rs` names every path listed here, with and without `draft`.

pub use error::{Error, Result};

pub use context::{Context, ContextOptionInfo, CONTEXT_OPTIONS};

pub use socket::{
    RecvFlags, SendFlags, Socket, SocketType, DEALER, PAIR, PUB, PULL, PUSH, RECV_LATEST_LIMIT,
    REP, REQ, ROUTER, SNDMORE, STREAM, SUB, XPUB, XSUB,
};
#[cfg(feature = "draft")]
pub use socket::{
    ThreadSafeSocket, ThreadSafeType, CHANNEL, CLIENT, DGRAM, DISH, GATHER, PEER, RADIO, SCATTER,
    SERVER,
};

pub use sockopt::{Mechanism, OptionKind, SocketOptionInfo, SOCKET_OPTIONS};

pub use message::{Message, MessageWriter};
pub use multipart::{Multipart, MultipartSendError};
pub use tracker::MessageTracker;

#[cfg(unix)]
pub use poll::wait_fd_readable;
pub use poll::{poll, PollEvents, PollItem};
#[cfg(feature = "draft")]
pub use poll::{Poller, PollerEvent, PollerEvents};
pub use spin::poll_spin;

pub use timers::{TimerId, Timers};

#[cfg(feature = "draft")]
pub use monitor::{EventVersion, MonitorV2Event};
pub use monitor::{Monitor, MonitorEvent, MonitorEvents, MonitorIter, ProtocolError};
pub use peers::{Peer, PeerDirection, PeerStats, PeerTracker};

pub use proxy::{
    proxy, proxy_steerable, proxy_with_capture, recv_proxy_statistics, send_proxy_command,
    ProxyCommand, ProxySocketStatistics, ProxyStatistics,
};

pub use auth::{Authenticator, ZAP_DEFAULT_DOMAIN, ZAP_ENDPOINT};
pub use cert_store::CertificateStore;
pub use certificate::{Certificate, CertificateError, CertificateErrorKind};
pub use curve::{curve_keypair, curve_public, z85_decode, z85_encode, CurveKeyPair};

#[cfg(unix)]
pub use bind_fd::BindFdError;
pub use signal::{catch_interrupts, interrupted};

// The compile-fail proofs of `Send`/`Sync` and lifetime promises (doc tests only).
#[cfg(doctest)]
pub use poll::PollProofs;
#[cfg(all(doctest, feature = "draft"))]
pub use socket::DraftThreadSafetyProofs;
#[cfg(doctest)]
pub use timers::TimersProofs;

/// The raw declarations (`zmq-sys`), for what the safe API does not cover.
pub use zmq_sys as sys;

use std::ffi::c_int;

/// The version of the libzmq actually linked (`zmq_version`), as `(major, minor, patch)`.
#[doc(alias = "zmq_version")]
pub fn version() -> (i32, i32, i32) {
    let (mut major, mut minor, mut patch): (c_int, c_int, c_int) = (0, 0, 0);
    // SAFETY: zmq_version writes three ints through the pointers it is given.
    unsafe { zmq_sys::zmq_version(&mut major, &mut minor, &mut patch) };
    (major, minor, patch)
}

/// Whether the linked libzmq supports a capability (`zmq_has`): `"ipc"`, `"pgm"`,
/// `"tipc"`, `"norm"`, `"curve"`, `"gssapi"`, `"draft"`, `"WS"`, `"WSS"`, ... Names
/// are compared exactly, as libzmq spells them: lowercase, except the WebSocket
/// transports, which libzmq 4.3 answers only as `"WS"` and `"WSS"`. A name holding a
/// NUL byte is simply not a capability.
///
/// ```
/// if zmq::has("curve") {
///     let (public, secret) = zmq::curve_keypair().unwrap();
///     assert_eq!((public.len(), secret.len()), (40, 40));
/// }
/// ```
#[doc(alias = "zmq_has")]
pub fn has(capability: &str) -> bool {
    let Ok(name) = std::ffi::CString::new(capability) else {
        return false;
    };
    // SAFETY: name is NUL-terminated and outlives the call.
    unsafe { zmq_sys::zmq_has(name.as_ptr()) == 1 }
}

/// Keeps `Send`/`Sync` promises honest: each block below must fail to compile.
///
/// A socket cannot be shared between threads:
/// ```compile_fail,E0277
/// fn is_sync<T: Sync>() {}
/// is_sync::<zmq::Socket>();
/// ```
/// (while it can be moved to one:)
/// ```
/// fn is_send<T: Send>() {}
/// is_send::<zmq::Socket>();
/// is_send::<zmq::Message>();
/// fn is_send_sync<T: Send + Sync>() {}
/// is_send_sync::<zmq::Context>();
/// is_send_sync::<zmq::MessageTracker>();
/// is_send_sync::<zmq::PeerTracker>();
/// ```
/// A message cannot be shared between threads (cloning writes to the source):
/// ```compile_fail,E0277
/// fn is_sync<T: Sync>() {}
/// is_sync::<zmq::Message>();
/// ```
/// A borrow of a message's bytes cannot outlive the message:
/// ```compile_fail,E0597
/// let bytes: &[u8];
/// {
///     let msg = zmq::Message::from("gone");
///     bytes = &msg[..];
/// }
/// println!("{bytes:?}");
/// ```
/// A message cannot be received into while its bytes are borrowed:
/// ```compile_fail,E0502
/// let ctx = zmq::Context::new().unwrap();
/// let s = ctx.socket(zmq::PULL).unwrap();
/// let mut msg = zmq::Message::new();
/// let bytes = &msg[..];
/// s.recv_msg(&mut msg, zmq::RecvFlags::empty()).unwrap();
/// println!("{bytes:?}");
/// ```
/// Metadata borrowed from a message cannot outlive it:
/// ```compile_fail,E0505
/// let msg = zmq::Message::from("x");
/// let value = msg.gets("Peer-Address").unwrap_or("");
/// drop(msg);
/// println!("{value}");
/// ```
/// A socket cannot be used from a scoped thread while another uses it too:
/// ```compile_fail,E0277
/// let ctx = zmq::Context::new().unwrap();
/// let s = ctx.socket(zmq::PAIR).unwrap();
/// std::thread::scope(|scope| {
///     scope.spawn(|| s.send("a", zmq::SendFlags::empty()));
///     s.send("b", zmq::SendFlags::empty()).unwrap();
/// });
/// ```
#[cfg(doctest)]
pub struct ThreadSafetyProofs;
