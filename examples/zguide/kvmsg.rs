//! Key-value message class for the Clone pattern's models five and six
//! (zguide `kvmsg.c`): a key, a sequence number, a UUID, properties
//! (`name=value` strings, e.g. the `ttl` of an ephemeral value) and a body,
//! sent as five frames:
//!
//! ```text
//! frame 0: key (0MQ string)
//! frame 1: sequence (8 bytes, network order)
//! frame 2: uuid (blob, 16 bytes)
//! frame 3: properties (0MQ string, "name=value\n" each)
//! frame 4: body (blob)
//! ```
//!
//! Included by `clonesrv5`, `clonecli5`, `clonesrv6` and the `clone` agent with
//! `#[path = "kvmsg.rs"] mod kvmsg;` (beside `zhelpers`); not an example of
//! its own. `kvmsg_t` is [`Kvmsg`]; `kvmsg_new`, `kvmsg_recv`, `kvmsg_send`,
//! `kvmsg_dup`, `kvmsg_store`, `kvmsg_dump` … are its methods (`dup` is
//! `clone`, `destroy` is dropping it), and the `zhash_t` the store works on
//! is a [`Kvmap`]. Where the C frees a message that `kvmsg_store` deletes
//! (or leaks it), the Rust one is simply consumed.
//!
//! Not in the C: `uuid_generate` (libuuid) is replaced by 16 random bytes
//! from std's `RandomState` hashing (a version-4 UUID, no crate), and
//! [`kvmap_digest`] sums a store up as `keys=<count> checksum=<hex>` (the
//! sorted keys and bodies hashed with FNV-1a), so the tests can compare the
//! stores of different processes.
#![allow(dead_code)]

use std::collections::HashMap;
use std::io::Write;

//  Keys are short strings
const KVMSG_KEY_MAX: usize = 255;

//  Message is formatted on wire as 5 frames:
//  frame 0: key (0MQ string)
//  frame 1: sequence (8 bytes, network order)
//  frame 2: uuid (blob, 16 bytes)
//  frame 3: properties (0MQ string)
//  frame 4: body (blob)
const FRAME_KEY: usize = 0;
const FRAME_SEQ: usize = 1;
const FRAME_UUID: usize = 2;
const FRAME_PROPS: usize = 3;
const FRAME_BODY: usize = 4;
const KVMSG_FRAMES: usize = 5;

/// The size of a UUID (`sizeof (uuid_t)`).
pub const UUID_SIZE: usize = 16;

/// A key-value store: key to the last message stored for it (the C's
/// `zhash_t` of `kvmsg_t`).
pub type Kvmap = HashMap<String, Kvmsg>;

/// One key-value message (`kvmsg_t`).
#[derive(Clone, Debug, Default)]
pub struct Kvmsg {
    //  Presence indicators and contents for each frame
    frame: [Option<Vec<u8>>; KVMSG_FRAMES],
    //  List of properties, as name=value strings
    props: Vec<String>,
}

impl Kvmsg {
    //  Property encoding: the list of properties to and from the props
    //  frame, each property followed by a newline.

    fn encode_props(&mut self) {
        let mut frame = Vec::new();
        for prop in &self.props {
            frame.extend_from_slice(prop.as_bytes());
            frame.push(b'\n');
        }
        self.frame[FRAME_PROPS] = Some(frame);
    }

    fn decode_props(&mut self) {
        self.props.clear();
        let frame = self.frame[FRAME_PROPS].as_deref().unwrap_or_default();
        // Only complete (newline-terminated) properties count, as in the C.
        let mut rest = frame;
        while let Some(eoln) = rest.iter().position(|&b| b == b'\n') {
            self.props
                .push(String::from_utf8_lossy(&rest[..eoln]).into_owned());
            rest = &rest[eoln + 1..];
        }
    }

    /// Constructor, takes a sequence number for the new message
    /// (`kvmsg_new`).
    pub fn new(sequence: i64) -> Kvmsg {
        let mut kvmsg = Kvmsg::default();
        kvmsg.set_sequence(sequence);
        kvmsg
    }

    /// Reads a key-value message from a socket (`kvmsg_recv`): `Ok(None)`
    /// when the message is bogus (not five frames); the C returns NULL then
    /// and for an interrupted read, which here is the `Err`.
    pub fn recv(socket: &zmq::Socket) -> zmq::Result<Option<Kvmsg>> {
        //  Read all frames off the wire, reject if bogus
        let frames = socket.recv_multipart(zmq::RecvFlags::empty())?;
        if frames.len() != KVMSG_FRAMES {
            return Ok(None);
        }
        let mut kvmsg = Kvmsg::default();
        for (slot, frame) in kvmsg.frame.iter_mut().zip(frames) {
            *slot = Some(frame);
        }
        kvmsg.decode_props();
        Ok(Some(kvmsg))
    }

    /// Sends the message to a socket as five frames; absent frames are sent
    /// empty (`kvmsg_send`).
    pub fn send(&mut self, socket: &zmq::Socket) -> zmq::Result<()> {
        self.encode_props();
        for (frame_nbr, frame) in self.frame.iter().enumerate() {
            let flags = if frame_nbr < KVMSG_FRAMES - 1 {
                zmq::SNDMORE
            } else {
                zmq::SendFlags::empty()
            };
            socket.send(frame.as_deref().unwrap_or_default(), flags)?;
        }
        Ok(())
    }

    /// The key, if any (`kvmsg_key`), at most 255 bytes, as text (`""` when
    /// absent, where the C returns NULL).
    pub fn key(&self) -> String {
        match &self.frame[FRAME_KEY] {
            Some(key) => String::from_utf8_lossy(&key[..key.len().min(KVMSG_KEY_MAX)]).into_owned(),
            None => String::new(),
        }
    }

    /// Sets the key (`kvmsg_set_key`, `kvmsg_fmt_key` with `format!`).
    pub fn set_key(&mut self, key: &str) {
        self.frame[FRAME_KEY] = Some(key.as_bytes().to_vec());
    }

    /// The sequence number, 0 if none (`kvmsg_sequence`).
    pub fn sequence(&self) -> i64 {
        match self.frame[FRAME_SEQ].as_deref() {
            Some(&[a, b, c, d, e, f, g, h]) => i64::from_be_bytes([a, b, c, d, e, f, g, h]),
            _ => 0,
        }
    }

    /// Sets the sequence number (`kvmsg_set_sequence`).
    pub fn set_sequence(&mut self, sequence: i64) {
        self.frame[FRAME_SEQ] = Some(sequence.to_be_bytes().to_vec());
    }

    /// The body, if any (`kvmsg_body`).
    pub fn body(&self) -> Option<&[u8]> {
        self.frame[FRAME_BODY].as_deref()
    }

    /// Sets the body (`kvmsg_set_body`; `kvmsg_fmt_body` with `format!`).
    pub fn set_body(&mut self, body: &[u8]) {
        self.frame[FRAME_BODY] = Some(body.to_vec());
    }

    /// The body size, zero if none (`kvmsg_size`).
    pub fn size(&self) -> usize {
        self.body().map_or(0, <[u8]>::len)
    }

    /// The UUID, if there is one of the right size (`kvmsg_uuid`).
    pub fn uuid(&self) -> Option<&[u8]> {
        self.frame[FRAME_UUID]
            .as_deref()
            .filter(|uuid| uuid.len() == UUID_SIZE)
    }

    /// Sets the UUID to a random generated value (`kvmsg_set_uuid`).
    pub fn set_uuid(&mut self) {
        self.frame[FRAME_UUID] = Some(uuid_generate().to_vec());
    }

    /// The UUID as 32 hex digits, or `-` when there is none.
    pub fn uuid_str(&self) -> String {
        match self.uuid() {
            Some(uuid) => uuid.iter().map(|b| format!("{b:02X}")).collect(),
            None => "-".to_owned(),
        }
    }

    /// A property, `""` if no such property is defined (`kvmsg_get_prop`).
    pub fn get_prop(&self, name: &str) -> &str {
        debug_assert!(!name.contains('='));
        self.props
            .iter()
            .find_map(|prop| prop.strip_prefix(name)?.strip_prefix('='))
            .unwrap_or("")
    }

    /// Sets a property, replacing any with the same name (`kvmsg_set_prop`;
    /// the name cannot contain `=`, the value is cut to 255 bytes as in the
    /// C's buffer).
    pub fn set_prop(&mut self, name: &str, value: &str) {
        debug_assert!(!name.contains('='));
        let mut end = value.len().min(255);
        while !value.is_char_boundary(end) {
            end -= 1;
        }
        //  Remove existing property if any
        let prefix = format!("{name}=");
        if let Some(index) = self.props.iter().position(|p| p.starts_with(&prefix)) {
            self.props.remove(index);
        }
        //  Add new name=value property string
        self.props.push(format!("{prefix}{}", &value[..end]));
    }

    /// Stores the message into a key-value store, unless the key and body are
    /// both absent; an empty body deletes the key (`kvmsg_store`).
    pub fn store(self, hash: &mut Kvmap) {
        if self.size() > 0 {
            if self.frame[FRAME_KEY].is_some() && self.frame[FRAME_BODY].is_some() {
                hash.insert(self.key(), self);
            }
        } else {
            hash.remove(&self.key());
        }
    }

    /// Prints the message to stderr (`kvmsg_dump`).
    pub fn dump(&self) {
        let mut err = std::io::stderr().lock();
        let _ = write!(
            err,
            "[seq:{}][key:{}][size:{}] ",
            self.sequence(),
            self.key(),
            self.size()
        );
        if !self.props.is_empty() {
            let _ = write!(err, "[");
            for prop in &self.props {
                let _ = write!(err, "{prop};");
            }
            let _ = write!(err, "]");
        }
        for byte in self.body().unwrap_or_default() {
            let _ = write!(err, "{byte:02X}");
        }
        let _ = writeln!(err);
    }
}

/// 16 random bytes as a version-4 UUID (the C's `uuid_generate`). Each
/// `RandomState::new()` has fresh keys (drawn from the OS once per thread,
/// then advanced per call), hashed here with the clock and the process id.
pub fn uuid_generate() -> [u8; UUID_SIZE] {
    use std::hash::{BuildHasher, Hasher};
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or(0);
    let mut uuid = [0u8; UUID_SIZE];
    for (half, chunk) in uuid.chunks_mut(8).enumerate() {
        let mut hasher = std::collections::hash_map::RandomState::new().build_hasher();
        hasher.write_u128(nanos);
        hasher.write_u32(std::process::id());
        hasher.write_usize(half);
        chunk.copy_from_slice(&hasher.finish().to_le_bytes());
    }
    uuid[6] = (uuid[6] & 0x0F) | 0x40; //  Version 4 (random)
    uuid[8] = (uuid[8] & 0x3F) | 0x80; //  RFC 4122 variant
    uuid
}

/// Sums up the entries of a store whose key starts with `subtree` (not in
/// the C): `keys=<count> checksum=<16 hex digits>`, the checksum an FNV-1a
/// hash of the sorted `key`, `=`, body, newline lines, the same in every
/// process holding the same values.
pub fn kvmap_digest(kvmap: &Kvmap, subtree: &str) -> String {
    let mut entries: Vec<(&String, &Kvmsg)> = kvmap
        .iter()
        .filter(|(key, _)| key.starts_with(subtree))
        .collect();
    entries.sort_by(|a, b| a.0.cmp(b.0));
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    let mut feed = |bytes: &[u8]| {
        for &byte in bytes {
            hash ^= u64::from(byte);
            hash = hash.wrapping_mul(0x0100_0000_01b3);
        }
    };
    for (key, kvmsg) in &entries {
        feed(key.as_bytes());
        feed(b"=");
        feed(kvmsg.body().unwrap_or_default());
        feed(b"\n");
    }
    format!("keys={} checksum={hash:016X}", entries.len())
}
