//! The second pass of issue 11: libzmq 4.3.5 assertion sites that the safe API or a
//! peer on the wire can reach and that the issue does not list. The review of every
//! site is `docs/libzmq-asserts.md`; this file holds one reproduction per new
//! finding, each run in a child process ([`common::child`]) so an abort fails one
//! test instead of the whole run:
//!
//! * a **control** that shows the abort, through the raw libzmq call where the fix
//!   belongs in the safe layer (so the control keeps proving the danger after the
//!   fix), or through the safe API where no guard is possible (a residual risk that
//!   SECURITY.md must list; if such a control ever stops crashing, libzmq was fixed
//!   and the entry can go);
//! * where a small check in the safe layer can prevent it, the **fixed behaviour**:
//!   the same scenario through the safe API ends with a clear error (the checks are
//!   in `src/guard.rs`, `src/endpoint.rs` and the functions they name).
//!
//! The last test keeps the review document honest: it must list exactly the
//! assertion sites of the vendored tree.
#![deny(unsafe_code)]

mod common;
mod raw;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

use common::child::isolated;
#[cfg(feature = "draft")]
use common::net::free_udp_port;
#[allow(unused_imports)]
use zmq::{Context, Error, Message, RecvFlags, SendFlags, Socket, SocketType};

/// Fails unless the child's libzmq reported a failed assertion in `file`, at `line`
/// of the vendored libzmq 4.3.5 (a system libzmq of another release has the same
/// assertion at another line).
#[track_caller]
fn assert_site(outcome: &common::child::Outcome, file: &str, line: u32) {
    // libzmq's macros print "(file:line)", a plain assert "file:line: function".
    let found = if zmq::sys::vendored() {
        [")", ":"]
            .iter()
            .any(|end| outcome.stderr.contains(&format!("{file}:{line}{end}")))
    } else {
        outcome.stderr.contains(&format!("{file}:"))
    };
    assert!(
        found,
        "expected a failed assertion at {file}:{line}\n{}",
        outcome.stderr
    );
}

/// How long a scenario waits for something that must happen.
const PATIENCE: Duration = Duration::from_secs(20);

// ---------------------------------------------------------------------------
// ZMTP 3.1 written by hand, for the hostile peers below
// ---------------------------------------------------------------------------

/// A ZMTP 3.1 greeting for the NULL mechanism, as a client.
#[allow(dead_code)]
fn zmtp_greeting() -> Vec<u8> {
    let mut greeting = vec![0xFF, 0, 0, 0, 0, 0, 0, 0, 0, 0x7F, 3, 1];
    let mut mechanism = [0u8; 20];
    mechanism[..4].copy_from_slice(b"NULL");
    greeting.extend_from_slice(&mechanism);
    greeting.push(0); // as-server
    greeting.extend_from_slice(&[0u8; 31]);
    greeting
}

/// One ZMTP frame: a command or a message part, short or long as its size needs.
#[allow(dead_code)]
fn zmtp_frame(command: bool, more: bool, body: &[u8]) -> Vec<u8> {
    let mut flags = 0u8;
    if more {
        flags |= 0x01;
    }
    if command {
        flags |= 0x04;
    }
    let mut frame = Vec::with_capacity(body.len() + 9);
    if let Ok(short) = u8::try_from(body.len()) {
        frame.extend_from_slice(&[flags, short]);
    } else {
        frame.push(flags | 0x02);
        frame.extend_from_slice(&(body.len() as u64).to_be_bytes());
    }
    frame.extend_from_slice(body);
    frame
}

/// The READY command announcing `socket_type` (its ZMTP name, e.g. `"DISH"`).
#[allow(dead_code)]
fn zmtp_ready(socket_type: &str) -> Vec<u8> {
    let mut body = b"\x05READY\x0bSocket-Type".to_vec();
    body.extend_from_slice(&(socket_type.len() as u32).to_be_bytes());
    body.extend_from_slice(socket_type.as_bytes());
    zmtp_frame(true, false, &body)
}

/// Greets and sends READY as `socket_type`, then waits for the server's READY
/// (naming `server_type`): libzmq may drop a connection whose first frames after
/// READY arrive in the same read as the greeting.
#[allow(dead_code)]
fn handshake_as(tcp: &mut TcpStream, socket_type: &str, server_type: &str) {
    tcp.write_all(&zmtp_greeting()).unwrap();
    tcp.write_all(&zmtp_ready(socket_type)).unwrap();
    assert!(
        read_until(tcp, server_type.as_bytes(), Instant::now() + PATIENCE),
        "no READY from the {server_type} socket"
    );
}

/// Reads from `tcp` until `needle` has arrived; `false` at the deadline or when
/// the connection ends first.
#[allow(dead_code)]
fn read_until(tcp: &mut TcpStream, needle: &[u8], deadline: Instant) -> bool {
    let _ = tcp.set_read_timeout(Some(Duration::from_millis(100)));
    let mut seen = Vec::new();
    let mut buf = [0u8; 4096];
    while Instant::now() < deadline {
        match tcp.read(&mut buf) {
            Ok(0) => return false,
            Ok(n) => {
                seen.extend_from_slice(&buf[..n]);
                if seen.windows(needle.len()).any(|w| w == needle) {
                    return true;
                }
            }
            Err(e)
                if matches!(
                    e.kind(),
                    std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                ) => {}
            Err(_) => return false,
        }
    }
    false
}

// ---------------------------------------------------------------------------
// RADIO: a peer's JOIN with a group longer than 255 bytes (radio.cpp:216)
// ---------------------------------------------------------------------------

/// A peer that completes the handshake as a DISH and sends a JOIN command whose
/// group is longer than `ZMQ_GROUP_MAX_LENGTH` (255) kills the process of any RADIO
/// it can reach over tcp, ipc or ws: `radio_session_t::push_msg` copies the group
/// with `msg_t::set_group`, which refuses it (`EINVAL`), and `errno_assert (rc == 0)`
/// aborts (`radio.cpp:216`). The wire bytes never reach the safe layer, so nothing
/// there can check them: a residual risk (SECURITY.md). If this control stops
/// crashing, libzmq was fixed. The same peer with a group of 255 bytes is served
/// (the second half of the scenario, which runs only when the first did not abort).
#[cfg(feature = "draft")]
#[test]
fn radio_aborts_on_a_peer_join_longer_than_255_bytes() {
    let outcome = isolated("radio_aborts_on_a_peer_join_longer_than_255_bytes", || {
        let ctx = Context::new().unwrap();
        let radio = ctx.socket(SocketType::Radio).unwrap();
        let endpoint = common::net::bind_loopback(&radio);
        let mut peer = TcpStream::connect(common::net::tcp_address(&endpoint)).unwrap();
        handshake_as(&mut peer, "DISH", "RADIO");
        let mut join = b"\x04JOIN".to_vec();
        join.extend_from_slice(&[b'g'; 256]);
        peer.write_all(&zmtp_frame(true, false, &join)).unwrap();
        // A JOIN that libzmq accepts, then messages to that group: when one arrives,
        // libzmq has processed the long JOIN without aborting.
        peer.write_all(&zmtp_frame(true, false, b"\x04JOINok"))
            .unwrap();
        let deadline = Instant::now() + PATIENCE;
        let mut alive = false;
        while !alive && Instant::now() < deadline {
            let mut msg = Message::from("still alive");
            msg.set_group("ok").unwrap();
            radio.send_msg(&mut msg, SendFlags::DONTWAIT).unwrap();
            alive = read_until(
                &mut peer,
                b"still alive",
                Instant::now() + Duration::from_millis(200),
            );
        }
        let _ = peer.shutdown(std::net::Shutdown::Both);
        assert!(alive, "neither an abort nor a delivery within {PATIENCE:?}");
    });
    outcome.assert_crashed();
    assert_site(&outcome, "radio.cpp", 216);
}

/// The same peer with a JOIN of exactly 255 bytes is fine: the limit is libzmq's
/// own `ZMQ_GROUP_MAX_LENGTH`.
#[cfg(feature = "draft")]
#[test]
fn radio_serves_a_peer_join_of_255_bytes() {
    let outcome = isolated("radio_serves_a_peer_join_of_255_bytes", || {
        let ctx = Context::new().unwrap();
        let radio = ctx.socket(SocketType::Radio).unwrap();
        let endpoint = common::net::bind_loopback(&radio);
        let mut peer = TcpStream::connect(common::net::tcp_address(&endpoint)).unwrap();
        handshake_as(&mut peer, "DISH", "RADIO");
        // A JOIN of libzmq's longest group, then one of a short group: a RADIO that
        // serves the short one survived the long one. (This crate's RADIO refuses to
        // send to groups over 14 bytes, where libzmq's copies share them unsafely.)
        for group in ["g".repeat(255), "alive".to_owned()] {
            let mut join = b"\x04JOIN".to_vec();
            join.extend_from_slice(group.as_bytes());
            peer.write_all(&zmtp_frame(true, false, &join)).unwrap();
        }
        let deadline = Instant::now() + PATIENCE;
        let mut alive = false;
        while !alive && Instant::now() < deadline {
            let mut msg = Message::from("delivered");
            msg.set_group("alive").unwrap();
            radio.send_msg(&mut msg, SendFlags::DONTWAIT).unwrap();
            alive = read_until(
                &mut peer,
                b"delivered",
                Instant::now() + Duration::from_millis(200),
            );
        }
        assert!(alive, "the RADIO stopped serving after a 255-byte JOIN");
    });
    outcome.assert_clean();
}

// ---------------------------------------------------------------------------
// DGRAM over a stream transport: an empty frame (stream_engine_base.cpp:338)
// ---------------------------------------------------------------------------

/// A DGRAM socket is a raw socket: over tcp or ipc (which libzmq lets it bind and
/// connect) its frames go through the raw engine, whose encoder produces nothing for
/// an empty frame, and the engine asserts that it produced something
/// (`zmq_assert (n > 0)`, `stream_engine_base.cpp:338`). A datagram with an empty
/// body (or address) aborts the process in the I/O thread. STREAM and raw ROUTER
/// treat an empty frame as "close the connection" before it gets there; DGRAM does
/// not. Found by the `api_program` fuzz target; the control binds and connects raw
/// (the safe API now refuses those endpoints).
#[cfg(feature = "draft")]
#[test]
fn dgram_over_tcp_aborts_on_an_empty_frame() {
    let outcome = isolated("dgram_over_tcp_aborts_on_an_empty_frame", || {
        let ctx = Context::new().unwrap();
        let a = ctx.socket(SocketType::Dgram).unwrap();
        assert_eq!(raw::bind(&a, "tcp://127.0.0.1:*"), 0);
        let b = ctx.socket(SocketType::Dgram).unwrap();
        assert_eq!(raw::connect(&b, &a.get_last_endpoint().unwrap()), 0);
        let deadline = Instant::now() + PATIENCE;
        while Instant::now() < deadline {
            // EAGAIN until the connection is there.
            let _ = b.send_multipart([&b"127.0.0.1:9"[..], b""], SendFlags::DONTWAIT);
            std::thread::sleep(Duration::from_millis(10));
        }
    });
    outcome.assert_crashed();
    assert_site(&outcome, "stream_engine_base.cpp", 338);
}

/// The fix: a DGRAM socket binds and connects `udp://` (and `inproc://`, which has no
/// engine) only; tcp, ipc and ws endpoints are `ENOCOMPATPROTO`, as libzmq answers
/// for the other socket types on `udp://`.
#[cfg(feature = "draft")]
#[test]
fn dgram_refuses_stream_transports() {
    let outcome = isolated("dgram_refuses_stream_transports", || {
        let ctx = Context::new().unwrap();
        let d = ctx.socket(SocketType::Dgram).unwrap();
        for endpoint in [
            "tcp://127.0.0.1:*",
            "ipc://@zmq-rs-audit-dgram",
            "ws://127.0.0.1:*",
        ] {
            assert_eq!(d.bind(endpoint), Err(Error::ENOCOMPATPROTO), "{endpoint}");
        }
        assert_eq!(d.connect("tcp://127.0.0.1:9"), Err(Error::ENOCOMPATPROTO));
        d.bind("inproc://audit-dgram-inproc").unwrap();
    });
    outcome.assert_clean();
}

// ---------------------------------------------------------------------------
// A high-water mark set while a pipe terminates (use after free)
// ---------------------------------------------------------------------------

/// Makes glibc fill freed memory with a byte pattern (`M_PERTURB`), so that a read
/// of freed memory sees garbage rather than the old contents (Linux, glibc).
#[cfg(all(target_os = "linux", target_env = "gnu"))]
#[allow(unsafe_code)]
fn perturb_freed_memory() {
    // SAFETY: mallopt only changes a malloc tuning parameter of this process.
    assert_eq!(unsafe { libc::mallopt(libc::M_PERTURB, 0x5a) }, 1);
}

/// Setting `ZMQ_SNDHWM` or `ZMQ_RCVHWM` on a connected socket makes libzmq tell the
/// peer of every pipe (`socket_base_t::update_pipe_options`, `send_pipe_hwm` to the
/// pipe's peer). A pipe whose peer went away stays in the socket's list until its
/// termination handshake ends, but its peer frees itself one step earlier: a set in
/// between reads the freed peer (`object_t::get_tid`) and sends a command to
/// whatever thread id it finds there. Found by the `api_program` fuzz target under
/// AddressSanitizer (heap-use-after-free in `send_pipe_hwm`); here the peer (an
/// inproc PUSH) is closed, the PULL acknowledges its pipe's termination (any call
/// does, `get_events`), libzmq's reaper frees the peer's pipe, and the set reads it,
/// with freed memory poisoned (`M_PERTURB`). It crashes (a null mailbox of the
/// closed peer's thread id, `ctx.cpp:644`, or garbage) in the first rounds here; the
/// rounds give libzmq's reaper more and more time, for loaded machines.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
#[test]
fn setting_a_hwm_while_a_pipe_terminates_uses_freed_memory() {
    let outcome = isolated(
        "setting_a_hwm_while_a_pipe_terminates_uses_freed_memory",
        || {
            perturb_freed_memory();
            let ctx = Context::new().unwrap();
            for round in 0..200u64 {
                let name = format!("inproc://audit-hwm-{round}");
                let pull = ctx.socket(SocketType::Pull).unwrap();
                pull.set_linger(0).unwrap();
                pull.bind(&name).unwrap();
                let push = ctx.socket(SocketType::Push).unwrap();
                push.set_linger(0).unwrap();
                push.connect(&name).unwrap();
                let _ = pull.get_events();
                drop(push);
                std::thread::sleep(Duration::from_millis(round % 10));
                // Acknowledges the termination of the pipe to the closed PUSH.
                let _ = pull.get_events();
                // The reaper frees the PUSH's end meanwhile.
                std::thread::sleep(Duration::from_millis(10 + round % 20));
                assert_eq!(
                    raw::set_int(&pull, zmq::sys::ZMQ_RCVHWM, 5 + round as i32),
                    0
                );
            }
        },
    );
    outcome.assert_crashed();
}

/// The fix: high-water marks are set before the socket's first `bind` or `connect`;
/// afterwards `set_sndhwm`, `set_rcvhwm` and their raw forms are `EINVAL` (libzmq
/// would pass the new values to live pipes, which reads a terminating pipe's freed
/// peer). Before, they work as before.
#[test]
fn hwm_is_set_before_the_first_bind_or_connect() {
    let outcome = isolated("hwm_is_set_before_the_first_bind_or_connect", || {
        let ctx = Context::new().unwrap();
        let pull = ctx.socket(SocketType::Pull).unwrap();
        pull.set_rcvhwm(10).unwrap();
        pull.set_sndhwm(10).unwrap();
        pull.bind("inproc://audit-hwm-late").unwrap();
        assert_eq!(pull.set_rcvhwm(20), Err(Error::EINVAL));
        assert_eq!(pull.set_sndhwm(20), Err(Error::EINVAL));
        assert_eq!(
            pull.set_option_raw(zmq::sys::ZMQ_RCVHWM, &20i32.to_ne_bytes()),
            Err(Error::EINVAL)
        );
        assert_eq!(pull.get_rcvhwm(), Ok(10));
        let push = ctx.socket(SocketType::Push).unwrap();
        push.connect("inproc://audit-hwm-late").unwrap();
        assert_eq!(push.set_sndhwm(20), Err(Error::EINVAL));
    });
    outcome.assert_clean();
}

// ---------------------------------------------------------------------------
// Groups longer than 14 bytes shared between message copies (use after free)
// ---------------------------------------------------------------------------

/// A group of 15 bytes or more: libzmq 4.3.5 keeps it outside the message, in a
/// reference-counted block (`msg.cpp:671`).
#[cfg(feature = "draft")]
const LONG_GROUP: &str = "a-group-of-28-bytes-or-more!";

/// Joins `group` with libzmq's own `zmq_join`, past any check of the safe layer.
#[cfg(feature = "draft")]
#[allow(unsafe_code)]
fn raw_join(dish: &Socket, group: &str) -> i32 {
    let group = std::ffi::CString::new(group).unwrap();
    // SAFETY: a live socket of this thread and a NUL-terminated string that outlives
    // the call.
    unsafe { zmq::sys::zmq_join(dish.as_raw(), group.as_ptr()) }
}

/// Sends `body` to `group` on `radio` with libzmq's own message calls, past any check
/// of the safe layer.
#[cfg(feature = "draft")]
#[allow(unsafe_code)]
fn raw_send_to_group(radio: &Socket, group: &str, body: &[u8]) -> i32 {
    let group = std::ffi::CString::new(group).unwrap();
    let mut msg = zmq::sys::zmq_msg_t { _private: [0; 64] };
    // SAFETY: `msg` is a local zmq_msg_t that zmq_msg_init_size initialises.
    let rc = unsafe { zmq::sys::zmq_msg_init_size(&mut msg, body.len()) };
    assert_eq!(rc, 0);
    // SAFETY: the message was initialised with room for body.len() bytes.
    let data = unsafe { zmq::sys::zmq_msg_data(&mut msg) };
    // SAFETY: `data` points to body.len() writable bytes of the message.
    unsafe { std::ptr::copy_nonoverlapping(body.as_ptr(), data.cast(), body.len()) };
    // SAFETY: an initialised message and a NUL-terminated group that outlives the call.
    let rc = unsafe { zmq::sys::zmq_msg_set_group(&mut msg, group.as_ptr()) };
    assert_eq!(rc, 0);
    // SAFETY: a live socket of this thread and an initialised message, which
    // zmq_msg_send takes on success.
    let rc = unsafe { zmq::sys::zmq_msg_send(&mut msg, radio.as_raw(), 0) };
    if rc < 0 {
        // SAFETY: the send failed, so the message is still ours to close.
        unsafe { zmq::sys::zmq_msg_close(&mut msg) };
    }
    rc
}

/// A RADIO with two DISHes over inproc, both in `group` and in the group `sync`,
/// after making sure both joins have reached the RADIO. Returns the three sockets.
#[cfg(feature = "draft")]
fn radio_with_two_dishes(
    ctx: &Context,
    group: &str,
    join: fn(&Socket, &str) -> i32,
) -> (Socket, Socket, Socket) {
    let radio = ctx.socket(SocketType::Radio).unwrap();
    radio.bind("inproc://audit-groups").unwrap();
    let dishes: Vec<Socket> = (0..2)
        .map(|_| {
            let dish = ctx.socket(SocketType::Dish).unwrap();
            dish.connect("inproc://audit-groups").unwrap();
            assert_eq!(join(&dish, group), 0);
            dish.join("sync").unwrap();
            dish.set_rcvtimeo(50).unwrap();
            dish
        })
        .collect();
    let deadline = Instant::now() + PATIENCE;
    let mut synced = [false, false];
    while synced != [true, true] {
        assert!(
            Instant::now() < deadline,
            "the joins never reached the RADIO"
        );
        let mut msg = Message::from("sync");
        msg.set_group("sync").unwrap();
        radio.send_msg(&mut msg, SendFlags::DONTWAIT).unwrap();
        for (dish, synced) in dishes.iter().zip(synced.iter_mut()) {
            while dish.recv_message(RecvFlags::DONTWAIT).is_ok() {
                *synced = true;
            }
        }
        std::thread::sleep(Duration::from_millis(5));
    }
    let mut dishes = dishes.into_iter();
    (radio, dishes.next().unwrap(), dishes.next().unwrap())
}

/// The body and group the second DISH gets after the first one received and dropped
/// its copy of a message RADIO sent to both; `None` when nothing arrives.
#[cfg(feature = "draft")]
fn second_copy_after_the_first_is_gone(
    radio: &Socket,
    d1: &Socket,
    d2: &Socket,
    group: &str,
) -> Option<(Vec<u8>, Option<String>)> {
    assert!(raw_send_to_group(radio, group, b"payload") >= 0);
    d1.set_rcvtimeo(PATIENCE.as_millis() as i32).unwrap();
    let first = d1.recv_message(RecvFlags::empty()).unwrap();
    assert_eq!(first.group(), Some(group));
    drop(first); // closes the first copy
    d2.set_rcvtimeo(1_000).unwrap();
    d2.recv_message(RecvFlags::empty())
        .ok()
        .map(|m| (m.to_vec(), m.group().map(str::to_owned)))
}

/// libzmq 4.3.5 copies a message to several pipes (`dist_t`, used by RADIO for
/// messages and by DISH for its JOIN/LEAVE commands) by reference counting its
/// body, but not its group: a group longer than 14 bytes lives in a separate block
/// with a count of one, which the first copy to be closed frees while the other
/// copies still point to it (`msg_t::add_refs`, `msg.cpp:561`; freed in
/// `msg.cpp:295`). Valgrind reports the invalid reads; what shows without a memory
/// checker is that the second DISH reads its copy's group from freed memory, finds
/// it is not a group it joined, and drops the message. A DISH joining such a group
/// while connected to two RADIOs frees the JOIN command's group the same way. Both
/// found by the `api_program` fuzz target under AddressSanitizer (heap-use-after-free
/// in `msg_t::close`, `fuzz/regressions/api_program/`). The control sends and joins
/// with the raw calls.
#[cfg(feature = "draft")]
#[test]
fn radio_group_longer_than_14_bytes_is_read_after_free_control() {
    let outcome = isolated(
        "radio_group_longer_than_14_bytes_is_read_after_free_control",
        || {
            let ctx = Context::new().unwrap();
            let (radio, d1, d2) = radio_with_two_dishes(&ctx, LONG_GROUP, raw_join);
            let second = second_copy_after_the_first_is_gone(&radio, &d1, &d2, LONG_GROUP);
            assert_ne!(
                second,
                Some((b"payload".to_vec(), Some(LONG_GROUP.to_owned()))),
                "the second copy arrived intact: libzmq counts long groups now?"
            );
        },
    );
    outcome.assert_clean();
}

/// With a group of 14 bytes (kept inside the message) both copies arrive intact:
/// the comparison for the test above.
#[cfg(feature = "draft")]
#[test]
fn radio_group_of_14_bytes_reaches_both_dishes() {
    let outcome = isolated("radio_group_of_14_bytes_reaches_both_dishes", || {
        let ctx = Context::new().unwrap();
        let group = "fourteen-bytes";
        assert_eq!(group.len(), 14);
        let (radio, d1, d2) = radio_with_two_dishes(&ctx, group, raw_join);
        let second = second_copy_after_the_first_is_gone(&radio, &d1, &d2, group);
        assert_eq!(second, Some((b"payload".to_vec(), Some(group.to_owned()))));
    });
    outcome.assert_clean();
}

/// The fix: groups longer than 14 bytes are refused where libzmq would copy them,
/// with `EINVAL`: `Socket::join`/`leave`, and `send`/`send_msg` on a RADIO of a
/// message whose group is that long (set by `Message::set_group`, or received from
/// a peer and forwarded). Groups of up to 14 bytes work as before.
#[cfg(feature = "draft")]
#[test]
fn groups_longer_than_14_bytes_are_refused_where_libzmq_copies_them() {
    let outcome = isolated(
        "groups_longer_than_14_bytes_are_refused_where_libzmq_copies_them",
        || {
            let ctx = Context::new().unwrap();
            let dish = ctx.socket(SocketType::Dish).unwrap();
            assert_eq!(dish.join(LONG_GROUP), Err(Error::EINVAL));
            assert_eq!(dish.leave(LONG_GROUP), Err(Error::EINVAL));
            let radio = ctx.socket(SocketType::Radio).unwrap();
            radio.bind("inproc://audit-long-group").unwrap();
            let mut msg = Message::from("payload");
            if msg.set_group(LONG_GROUP).is_ok() {
                assert_eq!(
                    radio.send_msg(&mut msg, SendFlags::DONTWAIT),
                    Err(Error::EINVAL)
                );
            }
            fn safe_join(dish: &Socket, group: &str) -> i32 {
                dish.join(group).map_or(-1, |()| 0)
            }
            let group = "fourteen-bytes";
            let (radio, d1, d2) = radio_with_two_dishes(&ctx, group, safe_join);
            let second = second_copy_after_the_first_is_gone(&radio, &d1, &d2, group);
            assert_eq!(second, Some((b"payload".to_vec(), Some(group.to_owned()))));
        },
    );
    outcome.assert_clean();
}

// ---------------------------------------------------------------------------
// DGRAM: a bind on IPv6 (udp_engine.cpp:535)
// ---------------------------------------------------------------------------

/// A peer sends datagrams to `port` on `loopback` until `dgram` receives one, and
/// returns it: the DGRAM survived a datagram from the network.
#[cfg(feature = "draft")]
fn dgram_receives_from_a_peer(dgram: &Socket, loopback: &str, port: u16) -> Vec<Vec<u8>> {
    let peer = std::net::UdpSocket::bind((loopback, 0)).unwrap();
    dgram.set_rcvtimeo(100).unwrap();
    let deadline = Instant::now() + PATIENCE;
    loop {
        assert!(Instant::now() < deadline, "no datagram arrived");
        peer.send_to(b"from the network", (loopback, port)).unwrap();
        match dgram.recv_multipart(RecvFlags::empty()) {
            Ok(parts) => return parts,
            Err(Error::EAGAIN) => continue,
            Err(e) => panic!("{e}"),
        }
    }
}

/// A DGRAM socket bound to an IPv6 `udp://` address (`ZMQ_IPV6` on, then `[::1]`,
/// `*` or an interface name) dies on the first datagram anybody sends it: libzmq's
/// UDP engine asserts that every sender is IPv4 (`zmq_assert (in_address.ss_family
/// == AF_INET)`, `udp_engine.cpp:535`; the address frame it builds is IPv4-only).
/// The control binds with the raw `zmq_bind`.
#[cfg(feature = "draft")]
#[test]
fn dgram_bound_on_ipv6_aborts_on_any_datagram_control() {
    let outcome = isolated("dgram_bound_on_ipv6_aborts_on_any_datagram_control", || {
        let ctx = Context::new().unwrap();
        let dgram = ctx.socket(SocketType::Dgram).unwrap();
        dgram.set_ipv6(true).unwrap();
        let port = free_udp_port("::1");
        assert_eq!(raw::bind(&dgram, &format!("udp://[::1]:{port}")), 0);
        dgram_receives_from_a_peer(&dgram, "::1", port);
    });
    outcome.assert_crashed();
    assert_site(&outcome, "udp_engine.cpp", 535);
}

/// The fix: `Socket::bind` refuses a DGRAM bind with `ZMQ_IPV6` on, whatever the host,
/// with `EAFNOSUPPORT`: with the option on, libzmq makes an IPv6 socket even for an
/// IPv4 literal, on which IPv4 datagrams arrive as v4-mapped IPv6 addresses and abort
/// the engine just the same (the control below shows it). Such a socket is useless
/// anyway: libzmq 4.3.5's DGRAM sends only to IPv4 addresses. With the option off
/// the IPv4 bind works.
#[cfg(feature = "draft")]
#[test]
fn dgram_refuses_an_ipv6_bind() {
    let outcome = isolated("dgram_refuses_an_ipv6_bind", || {
        let ctx = Context::new().unwrap();
        let dgram = ctx.socket(SocketType::Dgram).unwrap();
        dgram.set_ipv6(true).unwrap();
        let port = free_udp_port("::1");
        let v4 = free_udp_port("127.0.0.1");
        for endpoint in [
            format!("udp://[::1]:{port}"),
            format!("udp://*:{port}"),
            format!("udp://127.0.0.1:{v4}"),
        ] {
            assert_eq!(
                dgram.bind(&endpoint),
                Err(Error::EAFNOSUPPORT),
                "{endpoint}"
            );
        }
        dgram.set_ipv6(false).unwrap();
        let port = free_udp_port("127.0.0.1");
        dgram.bind(&format!("udp://127.0.0.1:{port}")).unwrap();
        let parts = dgram_receives_from_a_peer(&dgram, "127.0.0.1", port);
        assert_eq!(parts[1], b"from the network");
    });
    outcome.assert_clean();
}

/// Control for the rule above: an IPv4 literal with `ZMQ_IPV6` on still makes an
/// IPv6 socket, and the first IPv4 datagram aborts.
#[cfg(feature = "draft")]
#[test]
fn dgram_with_ipv6_on_aborts_even_on_an_ipv4_literal_control() {
    let outcome = isolated(
        "dgram_with_ipv6_on_aborts_even_on_an_ipv4_literal_control",
        || {
            let ctx = Context::new().unwrap();
            let dgram = ctx.socket(SocketType::Dgram).unwrap();
            dgram.set_ipv6(true).unwrap();
            let port = free_udp_port("127.0.0.1");
            assert_eq!(raw::bind(&dgram, &format!("udp://127.0.0.1:{port}")), 0);
            dgram_receives_from_a_peer(&dgram, "127.0.0.1", port);
        },
    );
    outcome.assert_crashed();
    assert_site(&outcome, "udp_engine.cpp", 535);
}

// ---------------------------------------------------------------------------
// DGRAM: a datagram split by a pipe change (udp_engine.cpp:420)
// ---------------------------------------------------------------------------

/// Waits until `socket`'s `ZMQ_EVENTS` has `POLLOUT` (`want`) or not (`!want`).
#[cfg(feature = "draft")]
#[track_caller]
fn wait_writable(socket: &Socket, want: bool) {
    common::wait_for(&format!("POLLOUT to become {want}"), PATIENCE, || {
        socket
            .get_events()
            .unwrap()
            .contains(zmq::PollEvents::POLLOUT)
            == want
    });
}

/// Binds `dgram` to fresh `udp://` ports on the loopback until one bind gives it its
/// pipe (`POLLOUT`): a DGRAM keeps one pipe and refuses later ones, so a bind made
/// while its previous pipe is still terminating is lost. Returns the port.
#[cfg(feature = "draft")]
fn bind_udp_until_writable(dgram: &Socket) -> u16 {
    let deadline = Instant::now() + PATIENCE;
    loop {
        assert!(
            Instant::now() < deadline,
            "no udp:// bind gave the DGRAM a pipe"
        );
        let port = free_udp_port("127.0.0.1");
        dgram.bind(&format!("udp://127.0.0.1:{port}")).unwrap();
        let tried = Instant::now();
        while tried.elapsed() < Duration::from_millis(500) {
            if dgram
                .get_events()
                .unwrap()
                .contains(zmq::PollEvents::POLLOUT)
            {
                return port;
            }
            std::thread::sleep(Duration::from_millis(5));
        }
    }
}

/// A DGRAM message is two frames, the address (with `SNDMORE`) and the body. If the
/// socket's only pipe changes between them (its inproc or tcp peer goes away, then
/// a `udp://` bind), the body goes alone into the new UDP pipe; the UDP
/// engine takes it for an address, finds no body after it and asserts
/// (`errno_assert (rc == 0)`, `udp_engine.cpp:420`). The control sends the frames
/// with the raw `zmq_send` (the safe `send` reaches the same call today).
#[cfg(feature = "draft")]
#[test]
fn dgram_datagram_split_by_a_pipe_change_aborts_control() {
    let outcome = isolated(
        "dgram_datagram_split_by_a_pipe_change_aborts_control",
        || {
            let ctx = Context::new().unwrap();
            let peer = ctx.socket(SocketType::Dgram).unwrap();
            peer.bind("inproc://audit-dgram-split").unwrap();
            let dgram = ctx.socket(SocketType::Dgram).unwrap();
            dgram.connect("inproc://audit-dgram-split").unwrap();
            wait_writable(&dgram, true);
            assert_eq!(raw::send(&dgram, b"127.0.0.1:9", SendFlags::SNDMORE), 11);
            // The peer goes away (closing it ends the pipe without its help).
            drop(peer);
            wait_writable(&dgram, false);
            bind_udp_until_writable(&dgram);
            // The body, alone in the UDP pipe: the engine aborts when it gets to it.
            assert_eq!(raw::send(&dgram, b"body", SendFlags::empty()), 4);
            std::thread::sleep(PATIENCE);
        },
    );
    outcome.assert_crashed();
    assert_site(&outcome, "udp_engine.cpp", 420);
}

/// The fix: DGRAM frames only leave as whole datagrams. `send` and `send_msg` refuse
/// `SNDMORE` on a DGRAM with `EINVAL`, and `send_multipart` sends the address and
/// the body back to back (nothing can change the pipe in between), so no body can be
/// separated from its address. After the same pipe change, datagrams still arrive
/// intact.
#[cfg(feature = "draft")]
#[test]
fn dgram_sends_only_whole_datagrams() {
    let outcome = isolated("dgram_sends_only_whole_datagrams", || {
        let ctx = Context::new().unwrap();
        let peer = ctx.socket(SocketType::Dgram).unwrap();
        peer.bind("inproc://audit-dgram-whole").unwrap();
        let dgram = ctx.socket(SocketType::Dgram).unwrap();
        dgram.connect("inproc://audit-dgram-whole").unwrap();
        wait_writable(&dgram, true);
        assert_eq!(
            dgram.send("127.0.0.1:9", SendFlags::SNDMORE),
            Err(Error::EINVAL)
        );
        let mut address = Message::from("127.0.0.1:9");
        assert_eq!(
            dgram.send_msg(&mut address, SendFlags::SNDMORE),
            Err(Error::EINVAL)
        );
        drop(peer);
        wait_writable(&dgram, false);
        let listener = std::net::UdpSocket::bind(("127.0.0.1", 0)).unwrap();
        listener
            .set_read_timeout(Some(Duration::from_millis(100)))
            .unwrap();
        let to = listener.local_addr().unwrap().to_string();
        bind_udp_until_writable(&dgram);
        let deadline = Instant::now() + PATIENCE;
        let mut buf = [0u8; 64];
        loop {
            assert!(Instant::now() < deadline, "no intact datagram arrived");
            match dgram.send_multipart([to.as_bytes(), b"whole"], SendFlags::DONTWAIT) {
                Ok(()) | Err(Error::EAGAIN) => {}
                Err(e) => panic!("{e}"),
            }
            if let Ok(n) = listener.recv(&mut buf) {
                assert_eq!(&buf[..n], b"whole");
                break;
            }
        }
    });
    outcome.assert_clean();
}

// ---------------------------------------------------------------------------
// Context termination with a full socket table (ctx.cpp:142)
// ---------------------------------------------------------------------------

/// `zmq_ctx_term` connects every still-pending inproc connect (a connect to a name
/// nobody bound) to a temporary PAIR socket it creates, and asserts that it could
/// create it (`zmq_assert (s)`, `ctx.cpp:142`). A socket whose inproc connect is
/// pending cannot finish closing, so it keeps its slot: with `ZMQ_MAX_SOCKETS`
/// sockets like that, the temporary socket has no slot and the process aborts when
/// the context is dropped. Through the safe API: `set_max_sockets(1)`, one socket
/// connecting to an unbound inproc name with a message queued, drop everything.
#[test]
fn context_drop_with_a_full_socket_table_and_a_pending_inproc_connect_aborts() {
    let outcome = isolated(
        "context_drop_with_a_full_socket_table_and_a_pending_inproc_connect_aborts",
        || {
            let ctx = Context::new().unwrap();
            ctx.set_max_sockets(1).unwrap();
            let push = ctx.socket(SocketType::Push).unwrap();
            push.connect("inproc://audit-never-bound").unwrap();
            // A message queued for the pending connection, and an infinite linger:
            // the socket cannot finish closing before the connection is made, so
            // it keeps its slot (without them libzmq may free it first, which is
            // the use after free of the next test).
            push.set_linger(-1).unwrap();
            push.send("queued", SendFlags::DONTWAIT).unwrap();
            drop(push);
            drop(ctx);
        },
    );
    outcome.assert_crashed();
    assert_site(&outcome, "ctx.cpp", 142);
}

// ---------------------------------------------------------------------------
// Bind after a disconnected pending inproc connect (pipe.cpp:60)
// ---------------------------------------------------------------------------

/// A socket that takes routing ids from its peers (ROUTER, REP, SERVER, PEER ...)
/// connects to an inproc name nobody bound yet, then disconnects from it: libzmq
/// terminates the pending connection's pipe but keeps the pending record. The later
/// `bind` of the name writes the binder's routing id into that dead pipe and asserts
/// that the write worked (`zmq_assert (written)`, `pipe.cpp:60`, from `ctx.cpp:836`).
/// libzmq checks that the connecting socket is still open there, not that its pipe
/// is. Through the safe API only.
#[test]
fn bind_after_a_disconnected_pending_inproc_connect_aborts() {
    let outcome = isolated(
        "bind_after_a_disconnected_pending_inproc_connect_aborts",
        || {
            let ctx = Context::new().unwrap();
            let router = ctx.socket(SocketType::Router).unwrap();
            router.connect("inproc://audit-disconnected").unwrap();
            router.disconnect("inproc://audit-disconnected").unwrap();
            // (zmq_unbind of the connected name does the same: libzmq ends inproc
            // connects on unbind too.)
            // Let the router process its pipe's termination (any call does).
            let _ = router.get_events();
            let binder = ctx.socket(SocketType::Dealer).unwrap();
            let _ = binder.bind("inproc://audit-disconnected");
        },
    );
    outcome.assert_crashed();
    assert_site(&outcome, "pipe.cpp", 60);
}

/// The same assertion without a disconnect: two sockets that take routing ids
/// connect to an inproc name nobody bound yet, then a PAIR binds it. A PAIR keeps
/// one pipe and terminates any other at once, so the routing id libzmq then writes
/// into the second pending connection's pipe fails (`pipe.cpp:60`). Found by the
/// `api_program` fuzz target (`fuzz/regressions/api_program/`).
#[test]
fn pair_bind_with_two_pending_inproc_connects_aborts() {
    let outcome = isolated("pair_bind_with_two_pending_inproc_connects_aborts", || {
        let ctx = Context::new().unwrap();
        let first = ctx.socket(SocketType::Router).unwrap();
        first.connect("inproc://audit-two-pending").unwrap();
        let second = ctx.socket(SocketType::Router).unwrap();
        second.connect("inproc://audit-two-pending").unwrap();
        let pair = ctx.socket(SocketType::Pair).unwrap();
        let _ = pair.bind("inproc://audit-two-pending");
    });
    outcome.assert_crashed();
    assert_site(&outcome, "pipe.cpp", 60);
}

// ---------------------------------------------------------------------------
// ZMQ_HELLO_MSG over inproc (pipe.cpp:71)
// ---------------------------------------------------------------------------

/// When a socket connected to a not yet bound inproc name and was closed, the late
/// `bind` sends the binder's `ZMQ_HELLO_MSG` into the dead connection's pipe, whose
/// write fails: `zmq_assert (written)` (`pipe.cpp:71`) aborts inside `zmq_bind`.
/// libzmq checks that case for the routing id it sends there (`ctx.cpp`,
/// `connect_inproc_sockets`) but not for the hello message.
#[cfg(feature = "draft")]
#[test]
fn hello_msg_bind_after_a_closed_pending_inproc_connect_aborts() {
    let outcome = isolated(
        "hello_msg_bind_after_a_closed_pending_inproc_connect_aborts",
        || {
            let ctx = Context::new().unwrap();
            // The closed socket's pipe dies in libzmq's reaper thread, a moment
            // after the close: each round gives it longer.
            for round in 0..20 {
                let name = format!("inproc://audit-hello-late-{round}");
                let dealer = ctx.socket(SocketType::Dealer).unwrap();
                dealer.connect(&name).unwrap();
                drop(dealer);
                std::thread::sleep(Duration::from_millis(10 * round));
                let router = ctx.socket(SocketType::Router).unwrap();
                router.set_hello_msg(b"hello").unwrap();
                router.set_linger(0).unwrap();
                let _ = router.bind(&name);
            }
        },
    );
    outcome.assert_crashed();
    assert_site(&outcome, "pipe.cpp", 71);
}

// ---------------------------------------------------------------------------
// PLAIN server with ZMQ_ZAP_ENFORCE_DOMAIN and no ZAP domain (plain_server.cpp:27)
// ---------------------------------------------------------------------------

/// A PLAIN server (`ZMQ_PLAIN_SERVER`) with the draft `ZMQ_ZAP_ENFORCE_DOMAIN` on
/// and no `ZMQ_ZAP_DOMAIN` aborts as soon as any PLAIN client completes the
/// greeting: the mechanism's constructor asserts that a ZAP domain is set
/// (`zmq_assert (zap_required ())`, `plain_server.cpp:27`). Every value is accepted
/// by its setter; the abort comes later, in the I/O thread, triggered by a peer.
/// This control reaches it through the raw `zmq_bind` (the safe one is the place
/// for the check).
#[cfg(feature = "draft")]
#[test]
fn plain_server_enforcing_a_zap_domain_without_one_aborts_on_a_client_control() {
    let outcome = isolated(
        "plain_server_enforcing_a_zap_domain_without_one_aborts_on_a_client_control",
        || {
            let ctx = Context::new().unwrap();
            let server = ctx.socket(SocketType::Rep).unwrap();
            server.set_plain_server(true).unwrap();
            server.set_zap_enforce_domain(true).unwrap();
            assert_eq!(raw::bind(&server, "tcp://127.0.0.1:*"), 0);
            let endpoint = server.get_last_endpoint().unwrap();
            let client = ctx.socket(SocketType::Req).unwrap();
            client.set_plain_username("user").unwrap();
            client.set_plain_password("password").unwrap();
            client.set_linger(0).unwrap();
            client.connect(&endpoint).unwrap();
            client.send("hello", SendFlags::empty()).unwrap();
            // A reply would mean the handshake went through; it cannot (no ZAP
            // handler), so this waits for the abort, or fails after PATIENCE.
            client.set_rcvtimeo(PATIENCE.as_millis() as i32).unwrap();
            let _ = client.recv_bytes(RecvFlags::empty());
        },
    );
    outcome.assert_crashed();
    assert_site(&outcome, "plain_server.cpp", 27);
}

/// The fix: `bind` and `connect` refuse, with `EINVAL`, a socket that is a PLAIN
/// server enforcing a ZAP domain (`ZMQ_PLAIN_SERVER` and `ZMQ_ZAP_ENFORCE_DOMAIN`
/// on) without a `ZMQ_ZAP_DOMAIN`. libzmq copies the options when the endpoint is
/// made, so that is the moment that decides; with a domain set the bind works.
#[cfg(feature = "draft")]
#[test]
fn plain_server_enforcing_a_zap_domain_needs_one() {
    let outcome = isolated("plain_server_enforcing_a_zap_domain_needs_one", || {
        let ctx = Context::new().unwrap();
        let server = ctx.socket(SocketType::Rep).unwrap();
        server.set_plain_server(true).unwrap();
        server.set_zap_enforce_domain(true).unwrap();
        assert_eq!(server.bind("tcp://127.0.0.1:*"), Err(Error::EINVAL));
        assert_eq!(server.connect("tcp://127.0.0.1:9"), Err(Error::EINVAL));
        server.set_zap_domain("global").unwrap();
        server.bind("tcp://127.0.0.1:*").unwrap();
    });
    outcome.assert_clean();
}

// ---------------------------------------------------------------------------
// WebSocket connect with a long path or host (ws_engine.cpp:140)
// ---------------------------------------------------------------------------

/// A `ws://` connect writes its HTTP upgrade request, with the endpoint's host and
/// path, into a fixed 8192-byte buffer and asserts that it fitted (`assert (size >
/// 0 && size < WS_BUFFER_SIZE)`, `ws_engine.cpp:140`): an endpoint with a path of
/// some 8 KiB is accepted by `zmq_connect` and aborts the process in the I/O thread
/// once the TCP connection is made (here to a WebSocket listener of the same
/// process). The control connects with the raw `zmq_connect`.
#[cfg(feature = "draft")]
#[test]
fn ws_connect_with_an_8_kib_path_aborts_control() {
    let outcome = isolated("ws_connect_with_an_8_kib_path_aborts_control", || {
        let ctx = Context::new().unwrap();
        let server = ctx.socket(SocketType::Pair).unwrap();
        server.bind("ws://127.0.0.1:*").unwrap();
        let endpoint = server.get_last_endpoint().unwrap();
        let long = format!("{endpoint}/{}", "p".repeat(8192));
        let client = ctx.socket(SocketType::Pair).unwrap();
        assert_eq!(raw::connect(&client, &long), 0);
        // The abort comes when the connection is made; this waits for it.
        server.set_rcvtimeo(PATIENCE.as_millis() as i32).unwrap();
        let _ = server.recv_bytes(RecvFlags::empty());
    });
    outcome.assert_crashed();
    assert_site(&outcome, "ws_engine.cpp", 140);
}

/// The fix: `Socket::connect` refuses, with `EINVAL`, a `ws://` endpoint whose
/// upgrade request cannot fit libzmq's 8192-byte buffer (the request's fixed text is
/// under 200 bytes: refusing endpoints longer than 7 KiB is enough and exact in
/// practice), while a path of a few hundred bytes still connects.
#[cfg(feature = "draft")]
#[test]
fn ws_connect_refuses_an_endpoint_too_long_for_the_upgrade_request() {
    let outcome = isolated(
        "ws_connect_refuses_an_endpoint_too_long_for_the_upgrade_request",
        || {
            let ctx = Context::new().unwrap();
            let server = ctx.socket(SocketType::Pair).unwrap();
            server.bind("ws://127.0.0.1:*").unwrap();
            let endpoint = server.get_last_endpoint().unwrap();
            let client = ctx.socket(SocketType::Pair).unwrap();
            let long = format!("{endpoint}/{}", "p".repeat(8192));
            assert_eq!(client.connect(&long), Err(Error::EINVAL));
            client
                .connect(&format!("{endpoint}/{}", "p".repeat(300)))
                .unwrap();
            client.send("fits", SendFlags::empty()).unwrap();
            server.set_rcvtimeo(PATIENCE.as_millis() as i32).unwrap();
            assert_eq!(server.recv_bytes(RecvFlags::empty()).unwrap(), b"fits");
        },
    );
    outcome.assert_clean();
}

// ---------------------------------------------------------------------------
// IPC accept at the descriptor limit (ipc_listener.cpp:297)
// ---------------------------------------------------------------------------

/// libzmq's IPC listener treats `EMFILE` from `accept` as a bug of its own
/// (`errno_assert` with a list of expected errors that lacks it, `ipc_listener.cpp:297`;
/// the TCP listener has it). Every accepted connection costs the server a descriptor,
/// so any local process that can connect to an `ipc://` endpoint can open
/// connections until the server reaches its descriptor limit, and the next one aborts
/// it. No value of the safe API is involved: a residual risk (SECURITY.md), avoided
/// by letting only trusted users reach the socket (file permissions; abstract
/// `ipc://@name` sockets have none) and a descriptor limit above what they can use.
/// A TCP listener survives the same (`tcp_listener_survives_the_descriptor_limit`).
#[cfg(unix)]
#[test]
fn ipc_listener_aborts_at_the_descriptor_limit() {
    let outcome = isolated("ipc_listener_aborts_at_the_descriptor_limit", || {
        let ctx = Context::new().unwrap();
        let server = ctx.socket(SocketType::Pull).unwrap();
        let endpoint = format!("ipc://@zmq-rs-audit-emfile-{}", std::process::id());
        server.bind(&endpoint).unwrap();
        raw::set_nofile_limit(64);
        let path = endpoint.trim_start_matches("ipc://@");
        let mut peers = Vec::new();
        let deadline = Instant::now() + PATIENCE;
        while Instant::now() < deadline {
            // The peer's descriptors count against the same limit here: whatever
            // connects first keeps going until the listener's accept fails.
            match abstract_unix_connect(path) {
                Ok(peer) => peers.push(peer),
                Err(_) => std::thread::sleep(Duration::from_millis(10)),
            }
        }
        panic!("no abort with {} connections", peers.len());
    });
    outcome.assert_crashed();
    assert_site(&outcome, "ipc_listener.cpp", 297);
}

/// The TCP listener of libzmq has `EMFILE` in its list: it drops the connection
/// attempt and lives on (the comparison for the test above).
#[cfg(unix)]
#[test]
fn tcp_listener_survives_the_descriptor_limit() {
    let outcome = isolated("tcp_listener_survives_the_descriptor_limit", || {
        let ctx = Context::new().unwrap();
        let server = ctx.socket(SocketType::Pull).unwrap();
        let endpoint = common::net::bind_loopback(&server);
        let addr = common::net::tcp_address(&endpoint).to_owned();
        raw::set_nofile_limit(64);
        let mut peers = Vec::new();
        let mut refused = 0;
        let deadline = Instant::now() + Duration::from_secs(3);
        while Instant::now() < deadline {
            match TcpStream::connect(&addr) {
                Ok(peer) => peers.push(peer),
                Err(_) => {
                    refused += 1;
                    std::thread::sleep(Duration::from_millis(10));
                }
            }
        }
        assert!(refused > 0, "the descriptor limit was never reached");
    });
    outcome.assert_clean();
}

/// A connection to the abstract Unix socket `name` (Linux), made with `std`.
#[cfg(unix)]
fn abstract_unix_connect(name: &str) -> std::io::Result<std::os::unix::net::UnixStream> {
    #[cfg(any(target_os = "linux", target_os = "android"))]
    {
        use std::os::linux::net::SocketAddrExt;
        let addr = std::os::unix::net::SocketAddr::from_abstract_name(name)?;
        std::os::unix::net::UnixStream::connect_addr(&addr)
    }
    #[cfg(not(any(target_os = "linux", target_os = "android")))]
    {
        let _ = name;
        Err(std::io::Error::from(std::io::ErrorKind::Unsupported))
    }
}

// ---------------------------------------------------------------------------
// REP with ZMQ_ROUTER_MANDATORY (rep.cpp:64)
// ---------------------------------------------------------------------------

/// REP is built on ROUTER and accepts ROUTER's options, `ZMQ_ROUTER_MANDATORY`
/// among them. On receiving a request, REP copies its envelope to the requester's
/// pipe with ROUTER's send and asserts that it worked (`errno_assert (rc == 0)`,
/// `rep.cpp:64`); with `ZMQ_ROUTER_MANDATORY` that send fails (`EHOSTUNREACH`) when
/// the requester has gone or (`EAGAIN`) when its pipe is full, so a peer that sends
/// a request and disconnects before it is read, or a DEALER that never reads its
/// replies, aborts the process. Here: a DEALER over tcp sends a request and closes.
#[test]
fn rep_with_router_mandatory_aborts_when_a_requester_leaves() {
    let outcome = isolated(
        "rep_with_router_mandatory_aborts_when_a_requester_leaves",
        || rep_with_router_mandatory_scenario(true),
    );
    outcome.assert_crashed();
    assert_site(&outcome, "rep.cpp", 64);
}

/// A requester sends one request and leaves; then the REP receives it. The REP's
/// pipe learns of the departure a moment after the `DISCONNECTED` event, in the
/// I/O thread: each round (a fresh REP) waits longer before the receive.
fn rep_with_router_mandatory_scenario(raw: bool) {
    let ctx = Context::new().unwrap();
    for round in 0..10 {
        let rep = ctx.socket(SocketType::Rep).unwrap();
        rep.set_linger(0).unwrap();
        if raw {
            assert_eq!(raw::set_int(&rep, zmq::sys::ZMQ_ROUTER_MANDATORY, 1), 0);
        } else {
            // Refused: the scenario goes on without it.
            assert_eq!(rep.set_router_mandatory(true), Err(Error::EINVAL));
        }
        rep.bind("tcp://127.0.0.1:*").unwrap();
        let monitor = rep
            .monitor_socket(zmq::MonitorEvents::DISCONNECTED)
            .unwrap();
        let dealer = ctx.socket(SocketType::Dealer).unwrap();
        dealer.connect(&rep.get_last_endpoint().unwrap()).unwrap();
        dealer
            .send_multipart([&b""[..], b"request"], SendFlags::empty())
            .unwrap();
        let mut items = [rep.as_poll_item(zmq::PollEvents::POLLIN)];
        assert_eq!(
            zmq::poll(&mut items, PATIENCE.as_millis() as i64).unwrap(),
            1
        );
        dealer.set_linger(0).unwrap();
        drop(dealer);
        let event = monitor.recv_timeout(PATIENCE).unwrap();
        assert!(
            matches!(event, Some(zmq::MonitorEvent::Disconnected { .. })),
            "{event:?}"
        );
        std::thread::sleep(Duration::from_millis(20 * round));
        // As an event loop would: ask whether there is something to receive, which
        // applies the pipe's termination. The request is still queued; receiving it
        // copies its envelope to the pipe that is going away.
        assert!(rep.get_events().unwrap().contains(zmq::PollEvents::POLLIN));
        assert_eq!(rep.recv_bytes(RecvFlags::DONTWAIT).unwrap(), b"request");
    }
}

/// The fix: ROUTER's own options make no sense on a REP socket and
/// `ZMQ_ROUTER_MANDATORY` breaks it, so the setter (and `set_option_raw`) refuse it
/// on REP with `EINVAL`; the same departing requester is then harmless.
#[test]
fn rep_refuses_router_mandatory() {
    let outcome = isolated("rep_refuses_router_mandatory", || {
        let ctx = Context::new().unwrap();
        let rep = ctx.socket(SocketType::Rep).unwrap();
        assert_eq!(rep.set_router_mandatory(true), Err(Error::EINVAL));
        assert_eq!(
            rep.set_option_raw(zmq::sys::ZMQ_ROUTER_MANDATORY, &1i32.to_ne_bytes()),
            Err(Error::EINVAL)
        );
        rep_with_router_mandatory_scenario(false);
    });
    outcome.assert_clean();
}

// ---------------------------------------------------------------------------
// SOCKS connect to a host name longer than 255 bytes (socks.cpp:198)
// ---------------------------------------------------------------------------

/// Plays a SOCKS5 proxy that accepts the greeting (no authentication) and then
/// waits: enough for libzmq to build its CONNECT request.
fn fake_socks_proxy() -> (std::net::TcpListener, String) {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap().to_string();
    (listener, addr)
}

/// Serves one SOCKS5 greeting on `listener`: reads it, answers "no authentication".
fn serve_socks_greeting(listener: &std::net::TcpListener) -> TcpStream {
    let (mut tcp, _) = listener.accept().unwrap();
    let mut greeting = [0u8; 3];
    tcp.read_exact(&mut greeting).unwrap();
    assert_eq!(greeting[0], 5, "a SOCKS5 greeting");
    tcp.write_all(&[5, 0]).unwrap();
    tcp
}

/// With `ZMQ_SOCKS_PROXY` set, a `tcp://` connect sends the host name to the proxy
/// in a SOCKS5 request, whose host field holds at most 255 bytes; libzmq checks
/// that only by asserting (`zmq_assert (hostname.size () <= UINT8_MAX)`,
/// `socks.cpp:198`) in the I/O thread, once the proxy has answered the greeting.
/// `zmq_connect` itself accepts the endpoint (it resolves TCP names later). The
/// control connects with the raw `zmq_connect`.
#[test]
fn socks_connect_to_a_host_name_longer_than_255_bytes_aborts_control() {
    let outcome = isolated(
        "socks_connect_to_a_host_name_longer_than_255_bytes_aborts_control",
        || {
            let (proxy, proxy_addr) = fake_socks_proxy();
            let ctx = Context::new().unwrap();
            let client = ctx.socket(SocketType::Dealer).unwrap();
            client.set_socks_proxy(&proxy_addr).unwrap();
            let endpoint = format!("tcp://{}.example:5555", "h".repeat(300));
            assert_eq!(raw::connect(&client, &endpoint), 0);
            let mut tcp = serve_socks_greeting(&proxy);
            // The CONNECT request would come next; the abort comes first.
            tcp.set_read_timeout(Some(PATIENCE)).unwrap();
            let mut request = [0u8; 4];
            let _ = tcp.read_exact(&mut request);
        },
    );
    outcome.assert_crashed();
    assert_site(&outcome, "socks.cpp", 198);
}

/// The fix: `Socket::connect` refuses, with `EINVAL`, a `tcp://` endpoint whose host
/// is longer than 255 bytes (no DNS name or address is; a SOCKS5 request cannot
/// carry one). A host name that fits reaches the proxy.
#[test]
fn connect_refuses_a_host_name_longer_than_255_bytes() {
    let outcome = isolated("connect_refuses_a_host_name_longer_than_255_bytes", || {
        let (proxy, proxy_addr) = fake_socks_proxy();
        let ctx = Context::new().unwrap();
        let client = ctx.socket(SocketType::Dealer).unwrap();
        client.set_linger(0).unwrap();
        client.set_socks_proxy(&proxy_addr).unwrap();
        let long = format!("tcp://{}.example:5555", "h".repeat(300));
        assert_eq!(client.connect(&long), Err(Error::EINVAL));
        let fits = format!("{}.example", "h".repeat(200));
        client.connect(&format!("tcp://{fits}:5555")).unwrap();
        let mut tcp = serve_socks_greeting(&proxy);
        tcp.set_read_timeout(Some(PATIENCE)).unwrap();
        // VER CMD RSV ATYP(3: a name) LEN NAME PORT
        let mut head = [0u8; 5];
        tcp.read_exact(&mut head).unwrap();
        assert_eq!(head, [5, 1, 0, 3, fits.len() as u8]);
        // Close the socket while the proxy's connection is still open: closing it
        // right after the proxy hung up is libzmq's own abort (see
        // `socks_proxy_hanging_up_then_a_close_aborts`).
        drop(client);
        drop(ctx);
        drop(tcp);
    });
    outcome.assert_clean();
}

/// Residual (SECURITY.md): when the SOCKS proxy hangs up (or refuses the request),
/// libzmq's SOCKS connecter takes its descriptor out of the poller and closes it but
/// keeps the stale poll handle (`socks_connecter_t::error`); closing the socket
/// before the reconnect timer makes a new one (or at all, with reconnection off)
/// removes that handle again, and epoll's `EBADF` aborts (`epoll.cpp:86`). Any
/// proxy the application uses can do it; nothing before a call can see it.
#[test]
fn socks_proxy_hanging_up_then_a_close_aborts() {
    let outcome = isolated("socks_proxy_hanging_up_then_a_close_aborts", || {
        let (proxy, proxy_addr) = fake_socks_proxy();
        let ctx = Context::new().unwrap();
        let client = ctx.socket(SocketType::Dealer).unwrap();
        client.set_linger(0).unwrap();
        client.set_reconnect_ivl(-1).unwrap();
        client.set_socks_proxy(&proxy_addr).unwrap();
        client.connect("tcp://example.invalid:5555").unwrap();
        let mut tcp = serve_socks_greeting(&proxy);
        let mut head = [0u8; 5];
        tcp.read_exact(&mut head).unwrap();
        drop(tcp);
        std::thread::sleep(Duration::from_millis(200));
        drop(client);
        drop(ctx);
    });
    outcome.assert_crashed();
    assert_site(&outcome, "epoll.cpp", 86);
}

// ---------------------------------------------------------------------------
// The review document lists exactly the assertion sites of the vendored tree
// ---------------------------------------------------------------------------

/// The assertion macros of libzmq's `err.hpp`.
const ASSERT_MACROS: &[&str] = &[
    "zmq_assert",
    "errno_assert",
    "posix_assert",
    "alloc_assert",
    "wsa_assert",
    "wsa_assert_no",
    "win_assert",
    "gai_assert",
];

/// Whether `line` calls `name` (an identifier starting at a word boundary, then
/// optional blanks and `(`).
fn calls(line: &str, name: &str) -> bool {
    let bytes = line.as_bytes();
    line.match_indices(name).any(|(at, _)| {
        let before = at.checked_sub(1).map(|i| bytes[i]);
        let word_before = before.is_some_and(|b| b == b'_' || b.is_ascii_alphanumeric());
        let rest = line[at + name.len()..].trim_start_matches([' ', '\t']);
        !word_before && rest.starts_with('(')
    })
}

/// Whether `line` holds an assertion site: one of [`ASSERT_MACROS`], or a plain C
/// `assert (`, not in a comment line and not a macro definition of `err.hpp`.
fn is_assert_site(file: &str, line: &str) -> bool {
    let trimmed = line.trim_start();
    if trimmed.starts_with("//") || (file == "err.hpp" && trimmed.starts_with("#define")) {
        return false;
    }
    if ASSERT_MACROS.iter().any(|m| calls(line, m)) {
        return true;
    }
    // A plain `assert`: not preceded by a letter or `_` (which also excludes the
    // macros above and `static_assert`).
    let bytes = line.as_bytes();
    !line.contains("static_assert")
        && line.match_indices("assert").any(|(at, _)| {
            let before = at.checked_sub(1).map(|i| bytes[i]);
            let letter_before = before.is_some_and(|b| b == b'_' || b.is_ascii_alphabetic());
            let rest = line[at + "assert".len()..].trim_start_matches([' ', '\t']);
            !letter_before && rest.starts_with('(')
        })
}

/// `docs/libzmq-asserts.md` has a `### \`file\`` section per source file, whose table
/// rows start with the comma-separated lines of the sites they describe: together
/// they must list each assertion site of `vendor/libzmq/src` exactly once.
#[test]
fn assert_review_lists_every_site() {
    use std::collections::{BTreeMap, BTreeSet};
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let src = root.join("vendor/libzmq/src");
    let mut in_tree: BTreeMap<String, BTreeSet<usize>> = BTreeMap::new();
    for entry in std::fs::read_dir(&src).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_str().unwrap().to_owned();
        if !(name.ends_with(".cpp") || name.ends_with(".hpp")) {
            continue;
        }
        let text = String::from_utf8_lossy(&std::fs::read(&path).unwrap()).into_owned();
        for (i, line) in text.split('\n').enumerate() {
            if is_assert_site(&name, line) {
                in_tree.entry(name.clone()).or_default().insert(i + 1);
            }
        }
    }
    let doc = std::fs::read_to_string(root.join("docs/libzmq-asserts.md")).unwrap();
    let mut in_doc: BTreeMap<String, BTreeSet<usize>> = BTreeMap::new();
    let mut file: Option<String> = None;
    for line in doc.lines() {
        if let Some(name) = line.strip_prefix("### `").and_then(|l| l.strip_suffix('`')) {
            file = Some(name.to_owned());
            continue;
        }
        let (Some(file), Some(row)) = (&file, line.strip_prefix("| ")) else {
            continue;
        };
        let first = row.split(" | ").next().unwrap_or("");
        let Ok(lines) = first
            .split(", ")
            .map(str::parse::<usize>)
            .collect::<Result<Vec<_>, _>>()
        else {
            continue; // the header row
        };
        for n in lines {
            assert!(
                in_doc.entry(file.clone()).or_default().insert(n),
                "{file}:{n} is listed twice"
            );
        }
    }
    let total: usize = in_tree.values().map(BTreeSet::len).sum();
    assert!(
        total > 1000,
        "only {total} sites found: is vendor/libzmq there?"
    );
    for (file, lines) in &in_tree {
        let listed = in_doc.get(file).cloned().unwrap_or_default();
        let missing: Vec<_> = lines.difference(&listed).collect();
        let extra: Vec<_> = listed.difference(lines).collect();
        assert!(
            missing.is_empty() && extra.is_empty(),
            "{file}: sites not in the document {missing:?}, listed but not sites {extra:?}"
        );
    }
    let unknown: Vec<_> = in_doc
        .keys()
        .filter(|f| !in_tree.contains_key(*f))
        .collect();
    assert!(
        unknown.is_empty(),
        "sections for files without sites: {unknown:?}"
    );
    assert!(
        doc.contains(&format!("{total} sites in")),
        "the total ({total}) in the text is stale"
    );
}

// ---------------------------------------------------------------------------
// Thread-safe sockets over inproc: a connect racing a close (deadlock)
// ---------------------------------------------------------------------------

/// Thread-safe sockets (SERVER, CLIENT, PEER ...) lock themselves in every call. A
/// connect to an inproc endpoint holds the connecting socket's lock while it sends
/// the bound socket a command, which takes the bound socket's lock; libzmq's reaper,
/// closing the bound socket, holds that socket's lock while it terminates its pipes,
/// which sends the connecting socket a command and takes *its* lock. A connect that
/// races the close of the socket it connects to (still registered under its name
/// until the reaper gets to it) deadlocks both threads, and the context can no longer
/// be terminated. Found by the `api_program` fuzz target (a timeout,
/// `fuzz/regressions/api_program/`). A race: rounds repeat until it happens, which
/// it did in 3 of 4 runs within 15 s here; so the test is run on demand.
#[cfg(feature = "draft")]
#[test]
#[ignore = "a race: hangs in most runs (3 of 4 here), not all, and costs 30 s; run with --ignored"]
fn thread_safe_connect_racing_a_close_deadlocks() {
    let outcome = common::child::isolated_within(
        "thread_safe_connect_racing_a_close_deadlocks",
        Duration::from_secs(30),
        || {
            let ctx = Context::new().unwrap();
            // Closed sockets are freed by libzmq's reaper thread, which falls behind
            // a loop this fast: wait for a free slot rather than fail with EMFILE.
            let socket = |kind| loop {
                match ctx.socket(kind) {
                    Err(Error::EMFILE) => std::thread::sleep(Duration::from_millis(1)),
                    other => break other.unwrap(),
                }
            };
            let started = Instant::now();
            let mut round = 0u64;
            while started.elapsed() < Duration::from_secs(15) {
                round += 1;
                let name = format!("inproc://audit-race-{round}");
                let server = socket(SocketType::Server);
                server.set_linger(0).unwrap();
                server.bind(&name).unwrap();
                let client = socket(SocketType::Client);
                client.set_linger(0).unwrap();
                client.connect(&name).unwrap();
                drop(server);
                let _ = client.connect(&name);
                // When the connect came too late it is pending: resolve it while the
                // client lives (see the pending-inproc-connect tests above).
                let resolver = socket(SocketType::Pull);
                resolver.set_linger(0).unwrap();
                let _ = resolver.bind(&name);
            }
            println!("no deadlock in {round} rounds");
        },
    );
    outcome.assert_hung();
}
