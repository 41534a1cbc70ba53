//! A hostile ZMTP peer: a plain TCP connection (std `TcpStream`) to a bound zmq socket
//! of a type the first input byte picks, carrying the rest of the input as wire bytes,
//! optionally after a valid ZMTP 3.0 greeting (and a READY command) so the fuzzer starts
//! past the signature. The connection is half-closed and read until libzmq closes it,
//! so libzmq has decoded every byte before the input ends. Then the zmq socket must
//! still exchange a message with a well-behaved zmq peer, connected once per process.
#![no_main]
#![forbid(unsafe_code)]

use std::io::{Read, Write};
use std::net::{Shutdown, SocketAddr, TcpStream};
use std::sync::{Mutex, OnceLock};
use std::time::{Duration, Instant};

use libfuzzer_sys::fuzz_target;
use zmq::{Context, RecvFlags, SendFlags, Socket, SocketType};

/// The socket types under test, with the type of their well-behaved peer (what a
/// READY command from the fuzzer announces too).
const TYPES: &[(SocketType, SocketType)] = &[
    (zmq::PAIR, zmq::PAIR),
    (zmq::PUB, zmq::SUB),
    (zmq::SUB, zmq::PUB),
    (zmq::REQ, zmq::ROUTER),
    (zmq::REP, zmq::DEALER),
    (zmq::DEALER, zmq::DEALER),
    (zmq::ROUTER, zmq::DEALER),
    (zmq::PULL, zmq::PUSH),
    (zmq::PUSH, zmq::PULL),
    (zmq::XPUB, zmq::SUB),
    (zmq::XSUB, zmq::PUB),
    (zmq::STREAM, zmq::STREAM),
];

/// How long the health check may take before the socket counts as broken.
const DEADLINE: Duration = Duration::from_secs(20);
/// One receive attempt of the health check.
const ATTEMPT_MS: i32 = 100;

/// The socket under test and its well-behaved peer.
struct Rig {
    socket: Socket,
    addr: SocketAddr,
    peer: Peer,
    probes: u64,
}

enum Peer {
    Zmq(Socket),
    /// STREAM speaks raw TCP: its good peer is a plain connection.
    Tcp(TcpStream),
}

fn context() -> &'static Context {
    static CTX: OnceLock<Context> = OnceLock::new();
    CTX.get_or_init(|| Context::new().expect("context"))
}

fn bounded(socket: &Socket) {
    socket.set_linger(0).expect("linger");
    socket.set_rcvtimeo(ATTEMPT_MS).expect("rcvtimeo");
    socket.set_sndtimeo(ATTEMPT_MS).expect("sndtimeo");
}

fn rig(index: usize) -> Rig {
    let (kind, peer_kind) = TYPES[index];
    let ctx = context();
    let socket = ctx.socket(kind).expect("socket");
    bounded(&socket);
    // What a socket facing untrusted peers sets: without it libzmq allocates whatever
    // frame size a peer announces (up to 2^64 - 1) before a byte of it arrives, which
    // AddressSanitizer reports as allocation-size-too-big (plain malloc: ENOMEM, and
    // libzmq drops the connection).
    socket.set_maxmsgsize(1 << 20).expect("maxmsgsize");
    match kind {
        SocketType::Sub => socket.set_subscribe(b"").expect("subscribe"),
        SocketType::Req => {
            // A request lost to a hostile peer must not wedge the REQ state machine.
            socket.set_req_relaxed(true).expect("relaxed");
            socket.set_req_correlate(true).expect("correlate");
        }
        _ => {}
    }
    socket.bind("tcp://127.0.0.1:*").expect("bind");
    let endpoint = socket.get_last_endpoint().expect("endpoint");
    let addr: SocketAddr = endpoint
        .trim_start_matches("tcp://")
        .parse()
        .expect("tcp endpoint");
    let peer = if kind == SocketType::Stream {
        let tcp = TcpStream::connect(addr).expect("tcp connect");
        tcp.set_nodelay(true).expect("nodelay");
        Peer::Tcp(tcp)
    } else {
        let peer = ctx.socket(peer_kind).expect("peer socket");
        bounded(&peer);
        if peer_kind == SocketType::Sub {
            peer.set_subscribe(b"").expect("subscribe");
        }
        peer.connect(&endpoint).expect("connect");
        Peer::Zmq(peer)
    };
    if kind == SocketType::XSub {
        socket
            .send(b"\x01", SendFlags::empty())
            .expect("xsub subscribe");
    }
    let mut rig = Rig {
        socket,
        addr,
        peer,
        probes: 0,
    };
    // The good peer must be attached before any hostile one connects: a bound
    // PAIR serves its first peer only and never a second one (which stays
    // connected, unserved), so a hostile peer that won the race to an unused
    // PAIR would leave the good peer stranded.
    health_check(&mut rig);
    rig
}

fn rigs() -> &'static Mutex<Vec<Option<Rig>>> {
    static RIGS: OnceLock<Mutex<Vec<Option<Rig>>>> = OnceLock::new();
    RIGS.get_or_init(|| Mutex::new(TYPES.iter().map(|_| None).collect()))
}

/// A ZMTP 3.0 greeting for the NULL mechanism, as a client.
fn greeting() -> Vec<u8> {
    let mut g = vec![0xFF, 0, 0, 0, 0, 0, 0, 0, 0, 0x7F, 3, 0];
    let mut mechanism = [0u8; 20];
    mechanism[..4].copy_from_slice(b"NULL");
    g.extend_from_slice(&mechanism);
    g.push(0); // as-server
    g.extend_from_slice(&[0u8; 31]);
    g
}

/// A READY command announcing `kind`.
fn ready(kind: SocketType) -> Vec<u8> {
    let name = kind.name().trim_start_matches("ZMQ_").as_bytes();
    let mut body = vec![5];
    body.extend_from_slice(b"READY");
    body.push(11);
    body.extend_from_slice(b"Socket-Type");
    body.extend_from_slice(&(name.len() as u32).to_be_bytes());
    body.extend_from_slice(name);
    let mut cmd = vec![0x04, body.len() as u8];
    cmd.extend_from_slice(&body);
    cmd
}

/// Plays the hostile peer: sends the bytes, half-closes, waits for libzmq to close.
fn hostile(addr: SocketAddr, prefix: &[u8], wire: &[u8]) {
    let Ok(mut tcp) = TcpStream::connect(addr) else {
        return;
    };
    let _ = tcp.set_nodelay(true);
    let _ = tcp.set_write_timeout(Some(Duration::from_secs(2)));
    let _ = tcp.set_read_timeout(Some(Duration::from_millis(200)));
    let _ = tcp.write_all(prefix).and_then(|()| tcp.write_all(wire));
    let _ = tcp.shutdown(Shutdown::Write);
    // libzmq sees the end of the stream after the bytes and drops the connection;
    // reading to the end makes sure it got that far (bounded: 2 s of silence at most).
    let start = Instant::now();
    let mut buf = [0u8; 4096];
    while start.elapsed() < Duration::from_secs(2) {
        match tcp.read(&mut buf) {
            Ok(0) => break,
            Ok(_) => {}
            Err(e)
                if matches!(
                    e.kind(),
                    std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                ) => {}
            Err(_) => break,
        }
    }
}

fn recv_parts(socket: &Socket) -> Option<Vec<Vec<u8>>> {
    socket.recv_multipart(RecvFlags::empty()).ok()
}

/// The socket exchanges a fresh probe with its good peer, skipping whatever the
/// hostile peer left in its queue. Panics when that fails until the deadline.
fn health_check(rig: &mut Rig) {
    rig.probes += 1;
    let probe = format!("probe-{}", rig.probes).into_bytes();
    let kind = rig.socket.get_socket_type().expect("type");
    let start = Instant::now();
    let socket = &rig.socket;
    loop {
        assert!(
            start.elapsed() < DEADLINE,
            "{kind:?} socket stopped working after the hostile peer"
        );
        let done = match (&rig.peer, kind) {
            // The socket under test sends; the peer must get it (resent: PUB drops
            // while a subscription travels, PUSH may pick the dying hostile pipe).
            (Peer::Zmq(peer), SocketType::Pub | SocketType::Push | SocketType::XPub) => {
                let _ = socket.send(&probe, SendFlags::empty());
                if kind == SocketType::XPub {
                    // Subscriptions (the hostile peer's too) pile up otherwise.
                    while socket.recv_bytes(RecvFlags::DONTWAIT).is_ok() {}
                }
                let mut got = false;
                while let Some(parts) = recv_parts(peer) {
                    if parts.last() == Some(&probe) {
                        got = true;
                        break;
                    }
                }
                got
            }
            (Peer::Zmq(peer), SocketType::Req) => {
                // REQ (relaxed) asks, the ROUTER peer echoes the envelope back.
                let _ = socket.send(&probe, SendFlags::empty());
                let mut echoed = false;
                while let Some(parts) = recv_parts(peer) {
                    if parts.last() == Some(&probe) {
                        let _ = peer.send_multipart(&parts, SendFlags::empty());
                        echoed = true;
                        break;
                    }
                }
                echoed && recv_parts(socket).is_some_and(|p| p.last() == Some(&probe))
            }
            (Peer::Zmq(peer), _) => {
                // The peer sends; the socket under test must receive it.
                let envelope: &[&[u8]] = if kind == SocketType::Rep { &[b""] } else { &[] };
                let parts: Vec<&[u8]> = envelope.iter().copied().chain([&probe[..]]).collect();
                let _ = peer.send_multipart(&parts, SendFlags::empty());
                let mut got = false;
                while let Some(parts) = recv_parts(socket) {
                    if kind == SocketType::Rep {
                        // REP must answer each request before the next one.
                        let _ = socket.send(b"ok", SendFlags::empty());
                    }
                    if parts.last() == Some(&probe) {
                        got = true;
                        break;
                    }
                }
                if kind == SocketType::Rep {
                    while peer.recv_bytes(RecvFlags::DONTWAIT).is_ok() {}
                }
                got
            }
            (Peer::Tcp(tcp), _) => {
                let mut tcp = tcp;
                tcp.write_all(&probe).expect("good tcp peer write");
                let mut got = false;
                while let Some(parts) = recv_parts(socket) {
                    if parts
                        .last()
                        .is_some_and(|d| d.windows(probe.len()).any(|w| w == probe))
                    {
                        got = true;
                        break;
                    }
                }
                got
            }
        };
        if done {
            return;
        }
    }
}

fuzz_target!(|data: &[u8]| {
    let Some((&selector, wire)) = data.split_first() else {
        return;
    };
    let index = usize::from(selector & 0x0F) % TYPES.len();
    let (kind, peer_kind) = TYPES[index];
    // Bits 4-5: a greeting and a READY command before the input, only a greeting, or
    // nothing (STREAM sockets speak no ZMTP: never a prefix).
    let prefix = match (kind, selector >> 4 & 3) {
        (SocketType::Stream, _) | (_, 2 | 3) => Vec::new(),
        (_, 1) => greeting(),
        _ => [greeting(), ready(peer_kind)].concat(),
    };
    let mut rigs = rigs().lock().unwrap_or_else(|e| e.into_inner());
    let rig = rigs[index].get_or_insert_with(|| rig(index));
    hostile(rig.addr, &prefix, wire);
    health_check(rig);
});
