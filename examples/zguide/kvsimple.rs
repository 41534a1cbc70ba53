//! `kvsimple` (zguide `kvsimple.c`): the simple key-value message class of the
//! Clone models one to four. A `Kvmsg` is a key, a sequence number and a body,
//! sent on the wire as three frames:
//!
//! ```text
//! frame 0: key (a string)
//! frame 1: sequence (8 bytes, network order)
//! frame 2: body (a blob)
//! ```
//!
//! The C keeps the three `zmq_msg_t` frames with a "present" flag each; here
//! the key and the body are `Option`s and the sequence a plain `i64` (the C
//! answers 0 for a missing one, and `kvmsg_new` always sets it). The C's
//! `zhash_t` of messages is a [`Kvmap`].
//!
//! Not in the C: [`kvmap_digest`], a deterministic summary of a store (or of
//! one subtree of it) that servers and clients print so that a test can
//! compare their states.
//!
//! Each Clone example includes it with `#[path = "kvsimple.rs"] mod kvsimple;`;
//! it is not an example of its own.
#![allow(dead_code)] // each model uses its own subset

use std::collections::HashMap;

//  Keys are short strings
pub const KVMSG_KEY_MAX: usize = 255;

//  Message is formatted on wire as 3 frames:
//  frame 0: key (0MQ string)
//  frame 1: sequence (8 bytes, network order)
//  frame 2: body (blob)
pub const FRAME_KEY: usize = 0;
pub const FRAME_SEQ: usize = 1;
pub const FRAME_BODY: usize = 2;
pub const KVMSG_FRAMES: usize = 3;

/// The key-value store (the C's `zhash_t` of `kvmsg_t`), by key.
pub type Kvmap = HashMap<String, Kvmsg>;

/// A single key-value message (the C's `kvmsg_t`).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Kvmsg {
    //  Key, if any (the C copies it into a safe C string of at most
    //  KVMSG_KEY_MAX bytes)
    key: Option<String>,
    //  Sequence number
    sequence: i64,
    //  Body, if any
    body: Option<Vec<u8>>,
}

impl Kvmsg {
    //  .split constructor
    /// A message with only a sequence number (`kvmsg_new`).
    pub fn new(sequence: i64) -> Kvmsg {
        Kvmsg {
            key: None,
            sequence,
            body: None,
        }
    }

    //  .split recv method
    /// Reads a key-value message from the socket (`kvmsg_recv`): `Ok(None)` for
    /// a bogus one (not exactly three frames, or a sequence frame that is not 8
    /// bytes), which the C answers with NULL as well. An interrupted or
    /// terminated receive is the `Err`.
    pub fn recv(socket: &zmq::Socket) -> zmq::Result<Option<Kvmsg>> {
        //  Read all frames off the wire, reject if bogus
        let frames = socket.recv_multipart(zmq::RecvFlags::empty())?;
        let [key, sequence, body]: [Vec<u8>; KVMSG_FRAMES] = match frames.try_into() {
            Ok(frames) => frames,
            Err(_) => return Ok(None),
        };
        let Ok(sequence) = <[u8; 8]>::try_from(sequence.as_slice()) else {
            return Ok(None);
        };
        let mut key = String::from_utf8_lossy(&key).into_owned();
        truncate(&mut key, KVMSG_KEY_MAX);
        Ok(Some(Kvmsg {
            key: Some(key),
            sequence: i64::from_be_bytes(sequence),
            body: Some(body),
        }))
    }

    //  .split send method
    /// Sends the message as three frames (`kvmsg_send`); a missing key or body
    /// goes as an empty frame.
    pub fn send(&self, socket: &zmq::Socket) -> zmq::Result<()> {
        socket.send(self.key.as_deref().unwrap_or(""), zmq::SNDMORE)?;
        socket.send(self.sequence.to_be_bytes(), zmq::SNDMORE)?;
        socket.send(
            self.body.as_deref().unwrap_or_default(),
            zmq::SendFlags::empty(),
        )
    }

    //  .split key methods
    /// The key, if set (`kvmsg_key`; the C returns NULL when there is none).
    pub fn key(&self) -> Option<&str> {
        self.key.as_deref()
    }

    /// Sets the key (`kvmsg_set_key`, and `kvmsg_fmt_key` with `format!`),
    /// cut to `KVMSG_KEY_MAX` bytes as the C's buffer does.
    pub fn set_key(&mut self, key: &str) {
        let mut key = key.to_owned();
        truncate(&mut key, KVMSG_KEY_MAX);
        self.key = Some(key);
    }

    //  .split sequence methods
    /// The sequence number (`kvmsg_sequence`).
    pub fn sequence(&self) -> i64 {
        self.sequence
    }

    /// Sets the sequence number (`kvmsg_set_sequence`).
    pub fn set_sequence(&mut self, sequence: i64) {
        self.sequence = sequence;
    }

    //  .split message body methods
    /// The body, if set (`kvmsg_body`).
    pub fn body(&self) -> Option<&[u8]> {
        self.body.as_deref()
    }

    /// Sets the body (`kvmsg_set_body`, and `kvmsg_fmt_body` with `format!`).
    pub fn set_body(&mut self, body: &[u8]) {
        self.body = Some(body.to_vec());
    }

    //  .split size method
    /// The size of the body, 0 without one (`kvmsg_size`).
    pub fn size(&self) -> usize {
        self.body.as_ref().map_or(0, Vec::len)
    }

    //  .split store method
    /// Stores the message into the map under its key, unless the key or the
    /// body is missing (`kvmsg_store`). Like the C, the map owns it afterwards.
    pub fn store(self, kvmap: &mut Kvmap) {
        if self.body.is_some() {
            if let Some(key) = self.key.clone() {
                kvmap.insert(key, self);
            }
        }
    }

    //  .split dump method
    /// Prints the message to stderr, for debugging and tracing (`kvmsg_dump`):
    /// `[seq:1][key:k][size:4] 626F6479`.
    pub fn dump(&self) {
        let body: String = self
            .body
            .iter()
            .flatten()
            .map(|b| format!("{b:02X}"))
            .collect();
        eprintln!(
            "[seq:{}][key:{}][size:{}] {body}",
            self.sequence,
            self.key.as_deref().unwrap_or("(null)"),
            self.size()
        );
    }
}

/// Cuts a string to at most `max` bytes, on a character boundary.
fn truncate(text: &mut String, max: usize) {
    if text.len() > max {
        let mut end = max;
        while !text.is_char_boundary(end) {
            end -= 1;
        }
        text.truncate(end);
    }
}

/// Not in the C: a deterministic summary of the entries of `kvmap` whose key
/// starts with `subtree` (`""` for all of them), as `N entries, digest
/// XXXXXXXXXXXXXXXX`. The digest is a 64-bit FNV-1a hash of the entries
/// sorted by key, each as `key=body` (sequence numbers left out: a client's
/// copy of an entry carries the sequence it was published with, as the
/// server's does). Two stores print the same line when they hold the same
/// keys with the same bodies.
pub fn kvmap_digest(kvmap: &Kvmap, subtree: &str) -> String {
    let mut keys: Vec<&String> = kvmap.keys().filter(|k| k.starts_with(subtree)).collect();
    keys.sort();
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    let mut feed = |bytes: &[u8]| {
        for &b in bytes {
            hash ^= u64::from(b);
            hash = hash.wrapping_mul(0x0000_0100_0000_01b3);
        }
    };
    for key in &keys {
        feed(key.as_bytes());
        feed(b"=");
        feed(kvmap[*key].body().unwrap_or_default());
        feed(b"\n");
    }
    format!("{} entries, digest {hash:016X}", keys.len())
}
