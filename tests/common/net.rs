//! Sockets and endpoints on the loopback: every test binds to an ephemeral port of
//! `127.0.0.1` (`tcp://127.0.0.1:*`) and reads the port back, so tests never
//! collide on a fixed port and never leave the machine.

use std::net::UdpSocket;
use std::time::Duration;

use zmq::{Context, Socket, SocketType};

/// The endpoint that makes libzmq pick a free TCP port on the loopback.
pub const LOOPBACK: &str = "tcp://127.0.0.1:*";

/// Binds `socket` to an ephemeral TCP port on the loopback and returns the
/// endpoint to connect to (`tcp://127.0.0.1:<port>`).
pub fn bind_loopback(socket: &Socket) -> String {
    socket.bind(LOOPBACK).unwrap();
    socket.get_last_endpoint().unwrap()
}

/// A socket of `kind` that never lingers and whose blocking sends and receives
/// give up after `patience` (with `EAGAIN`), so a test that goes wrong fails
/// instead of hanging.
pub fn socket(ctx: &Context, kind: SocketType, patience: Duration) -> Socket {
    let socket = ctx.socket(kind).unwrap();
    socket.set_linger(0).unwrap();
    socket.set_rcvtimeo(millis(patience)).unwrap();
    socket.set_sndtimeo(millis(patience)).unwrap();
    socket
}

/// A `server` socket bound to the loopback and a `client` socket connected to
/// it, both made by [`socket`].
pub fn tcp_pair(
    ctx: &Context,
    server: SocketType,
    client: SocketType,
    patience: Duration,
) -> (Socket, Socket) {
    let s = socket(ctx, server, patience);
    let endpoint = bind_loopback(&s);
    let c = socket(ctx, client, patience);
    c.connect(&endpoint).unwrap();
    (s, c)
}

/// A new socket of `kind` with linger 0 (a failing test does not hang in its
/// context's drop), bound as [`bind_loopback`] does, and its endpoint.
pub fn bound(ctx: &Context, kind: SocketType) -> (Socket, String) {
    let socket = ctx.socket(kind).unwrap();
    socket.set_linger(0).unwrap();
    let endpoint = bind_loopback(&socket);
    (socket, endpoint)
}

/// `limit` in the whole milliseconds that libzmq's socket timeouts
/// (`ZMQ_RCVTIMEO`, `ZMQ_SNDTIMEO`) take.
pub fn millis(limit: Duration) -> i32 {
    i32::try_from(limit.as_millis()).expect("a timeout that fits an i32 of ms")
}

/// The `host:port` of a `tcp://` endpoint, for a plain `std::net` peer.
pub fn tcp_address(endpoint: &str) -> &str {
    endpoint
        .strip_prefix("tcp://")
        .unwrap_or_else(|| panic!("not a tcp:// endpoint: {endpoint}"))
}

/// A UDP port on `loopback` (`"127.0.0.1"` or `"::1"`) that was free a moment ago.
/// libzmq binds `udp://` endpoints only to a given port (the last endpoint of a
/// `udp://...:*` bind keeps the `*`), so the port is chosen by binding a std
/// socket to port 0 and releasing it. Another process could take it in between: a
/// tiny race, which shows as a failed test (nothing arrives), never a hang.
pub fn free_udp_port(loopback: &str) -> u16 {
    free_udp_ports(loopback, 1)[0]
}

/// `n` distinct UDP ports on `loopback`, free a moment ago (see [`free_udp_port`]):
/// the std sockets are all held until every port is known, so no two are equal.
pub fn free_udp_ports(loopback: &str, n: usize) -> Vec<u16> {
    let sockets: Vec<UdpSocket> = (0..n)
        .map(|_| {
            UdpSocket::bind((loopback, 0))
                .unwrap_or_else(|e| panic!("no UDP socket on {loopback}: {e}"))
        })
        .collect();
    sockets
        .iter()
        .map(|s| s.local_addr().unwrap().port())
        .collect()
}
