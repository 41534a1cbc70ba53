//! What both interop harnesses share: the test messages (the same sequence as
//! `python/peer.py`), the publish/subscribe scenario, and the checks.

#![allow(dead_code)] // each test file uses its own part

use std::time::{Duration, Instant};

/// The bound on every single wait of our sockets (RCVTIMEO, SNDTIMEO) and of the
/// peers: generous, for a loaded 2-core machine; a bug fails after it, never hangs.
pub const TIMEOUT: Duration = Duration::from_secs(20);
/// The bound on a whole case, peer process included.
pub const CASE_TIMEOUT: Duration = Duration::from_secs(60);
/// Messages exchanged in each request/reply, push/pull and router/dealer case.
pub const COUNT: usize = 8;
/// The size of the big frame of message 3.
pub const BIG: usize = 1 << 20;

/// The i-th test message, a list of frames. Identical to `message(i)` in
/// `python/peer.py`: single frames, empty frames (alone, inside and at the end of a
/// multipart message), a 1 MiB frame and all 256 byte values.
pub fn message(i: usize) -> Vec<Vec<u8>> {
    match i {
        0 => vec![b"hello".to_vec()],
        1 => vec![b"multi".to_vec(), vec![], b"part".to_vec(), vec![]],
        2 => vec![vec![]],
        3 => vec![
            b"big".to_vec(),
            (0..BIG).map(|j| ((j * 31 + 7) % 251) as u8).collect(),
        ],
        4 => vec![(0..=255u8).collect()],
        _ => vec![b"seq".to_vec(), i.to_string().into_bytes()],
    }
}

/// The reply to a request: a `reply` frame, then the request's frames (what the
/// Python peer and our side both answer).
pub fn reply_to(request: &[Vec<u8>]) -> Vec<Vec<u8>> {
    let mut reply = vec![b"reply".to_vec()];
    reply.extend(request.iter().cloned());
    reply
}

/// What the publisher publishes, in order (`PUBLISHED` in `python/peer.py`).
pub fn published() -> Vec<Vec<Vec<u8>>> {
    let m = |frames: &[&[u8]]| frames.iter().map(|f| f.to_vec()).collect::<Vec<_>>();
    vec![
        m(&[b"weather.paris", b"sunny"]),
        m(&[b"sports.rugby", b"20-13"]),
        m(&[b"weather.oslo", b"", b"snow"]),
        m(&[b"weath", b"shorter than the prefix"]),
        m(&[b"xylophone", b"x matches"]),
        m(&[b"Weather.caps", b"filters are case-sensitive"]),
        m(&[b"", b"empty topic"]),
        m(&[b"x", b""]),
        m(&[b"end"]),
    ]
}

/// The subscriber's filters, in the order it subscribes (`SUBSCRIPTIONS` in
/// `python/peer.py`): `sync` last, so that one sync message received proves the
/// publisher has all of them.
pub const SUBSCRIPTIONS: [&[u8]; 4] = [b"weather.", b"x", b"end", b"sync"];

/// What the subscriber must receive of [`published`]: the messages whose first
/// frame starts with one of the filters (ZeroMQ's prefix match), in order.
pub fn expected_received() -> Vec<Vec<Vec<u8>>> {
    let expected: Vec<_> = published()
        .into_iter()
        .filter(|m| SUBSCRIPTIONS.iter().any(|s| m[0].starts_with(s)))
        .collect();
    // The scenario is only a test of filtering if some messages are filtered out
    // (sports, a shorter topic, another case, the empty topic).
    assert_eq!((expected.len(), published().len()), (5, 9));
    expected
}

/// Checks a list of received messages against the expected ones, every frame of
/// every message, and the count; a short description instead of 1 MiB dumps.
pub fn check_messages(what: &str, got: &[Vec<Vec<u8>>], want: &[Vec<Vec<u8>>]) {
    for (i, (g, w)) in got.iter().zip(want).enumerate() {
        assert!(
            g == w,
            "{what}: message {i} differs: got {}, want {}",
            describe(g),
            describe(w)
        );
    }
    assert_eq!(
        got.len(),
        want.len(),
        "{what}: {} messages received, {} expected",
        got.len(),
        want.len()
    );
}

/// A message for an assertion message: each frame's length and first bytes.
pub fn describe(frames: &[Vec<u8>]) -> String {
    let parts: Vec<String> = frames
        .iter()
        .map(|f| {
            let head = &f[..f.len().min(16)];
            format!("{}B {:?}", f.len(), String::from_utf8_lossy(head))
        })
        .collect();
    format!("[{}]", parts.join(", "))
}

/// A point in time a wait must not pass.
pub struct Deadline(Instant);

impl Deadline {
    /// `limit` from now.
    pub fn after(limit: Duration) -> Deadline {
        Deadline(Instant::now() + limit)
    }

    /// The time left (zero once passed).
    pub fn left(&self) -> Duration {
        self.0.saturating_duration_since(Instant::now())
    }

    /// Whether it has passed.
    pub fn passed(&self) -> bool {
        Instant::now() >= self.0
    }
}

/// A socket of ours with every wait bounded by [`TIMEOUT`] and no linger.
pub fn our_socket(ctx: &zmq::Context, kind: zmq::SocketType) -> zmq::Socket {
    let s = ctx.socket(kind).expect("socket");
    let ms = TIMEOUT.as_millis() as i32;
    s.set_rcvtimeo(ms).expect("RCVTIMEO");
    s.set_sndtimeo(ms).expect("SNDTIMEO");
    s.set_linger(0).expect("LINGER");
    s
}

/// Receives one message on a socket of ours, failing the test on a timeout.
pub fn our_recv(s: &zmq::Socket, what: &str) -> Vec<Vec<u8>> {
    match s.recv_multipart(zmq::RecvFlags::empty()) {
        Ok(m) => m,
        Err(e) => panic!("our socket: receiving {what}: {e}"),
    }
}

/// Sends one message on a socket of ours, failing the test on a timeout.
pub fn our_send(s: &zmq::Socket, frames: &[Vec<u8>], what: &str) {
    if let Err(e) = s.send_multipart(frames, zmq::SendFlags::empty()) {
        panic!("our socket: sending {what}: {e}");
    }
}
