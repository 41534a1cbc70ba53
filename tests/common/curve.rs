//! CURVE in tests: whether the build has it, and sockets set up with key pairs.
//!
//! A build promises CURVE when it is vendored with the `curve` feature (libsodium
//! compiled in) or links a system libzmq (Debian's has CURVE). A test that needs
//! CURVE fails, never skips, when a build that promises it lacks it.

use std::time::Duration;

use zmq::{Context, CurveKeyPair, Socket, SocketType};

use super::net::{bind_loopback, millis};

/// Whether this build promises CURVE (see the module docs).
pub fn promised() -> bool {
    cfg!(feature = "curve") || !zmq::sys::vendored()
}

/// Whether this build has CURVE, after checking that the linked libzmq keeps the
/// build's promise: the test fails when CURVE is promised and missing, or present
/// though not promised.
pub fn checked() -> bool {
    let promised = promised();
    if promised {
        assert!(
            zmq::has("curve"),
            "this build promises CURVE but the linked libzmq lacks it"
        );
    } else {
        assert!(!zmq::has("curve"), "CURVE present though not promised");
    }
    promised
}

/// Makes `socket` a CURVE server with the secret key of `keys`.
pub fn set_server(socket: &Socket, keys: &CurveKeyPair) {
    socket.set_curve_server(true).unwrap();
    socket.set_curve_secretkey(&keys.secret).unwrap();
}

/// Makes `socket` a CURVE client with `keys` that trusts only the server whose
/// public key is `server_public` (32 bytes, or 40 characters of Z85).
pub fn set_client(socket: &Socket, server_public: &[u8], keys: &CurveKeyPair) {
    socket.set_curve_serverkey(server_public).unwrap();
    socket.set_curve_publickey(&keys.public).unwrap();
    socket.set_curve_secretkey(&keys.secret).unwrap();
}

/// A CURVE server socket bound to the loopback, with its key pair.
pub struct Server {
    /// The socket.
    pub socket: Socket,
    /// Where it listens (`tcp://127.0.0.1:<port>`).
    pub endpoint: String,
    /// Its key pair: clients need `keys.public`.
    pub keys: CurveKeyPair,
}

/// A socket of `kind` made a CURVE server with a new key pair, with linger 0 and
/// receives bounded by `patience`; `configure` runs before it binds to an
/// ephemeral port of the loopback (to set a ZAP domain, say).
pub fn server(
    ctx: &Context,
    kind: SocketType,
    patience: Duration,
    configure: impl FnOnce(&Socket),
) -> Server {
    let keys = CurveKeyPair::new().unwrap();
    let socket = ctx.socket(kind).unwrap();
    set_server(&socket, &keys);
    configure(&socket);
    socket.set_linger(0).unwrap();
    socket.set_rcvtimeo(millis(patience)).unwrap();
    let endpoint = bind_loopback(&socket);
    Server {
        socket,
        endpoint,
        keys,
    }
}
