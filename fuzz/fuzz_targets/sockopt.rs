//! Socket options: arbitrary option ids and value bytes through the raw API
//! (`Socket::set_option_raw` / `get_option_raw`) and a set of typed setters and getters,
//! on a fresh socket of a type the input picks. Never a panic; a value libzmq accepted
//! reads back as it was set (for the options libzmq can read back).
#![no_main]
#![forbid(unsafe_code)]

use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use zmq::{Context, OptionKind, Socket, SocketOptionInfo, SocketType, SOCKET_OPTIONS};

fn context() -> &'static Context {
    static CTX: OnceLock<Context> = OnceLock::new();
    CTX.get_or_init(|| Context::new().expect("context"))
}

/// A reader over the input that yields zeroes once it runs dry.
struct Input<'a>(&'a [u8]);

impl<'a> Input<'a> {
    fn byte(&mut self) -> Option<u8> {
        let (&b, rest) = self.0.split_first()?;
        self.0 = rest;
        Some(b)
    }
    fn take(&mut self, n: usize) -> &'a [u8] {
        let n = n.min(self.0.len());
        let (head, rest) = self.0.split_at(n);
        self.0 = rest;
        head
    }
    fn array<const N: usize>(&mut self) -> [u8; N] {
        let mut out = [0u8; N];
        let head = self.take(N);
        out[..head.len()].copy_from_slice(head);
        out
    }
    /// A length-prefixed byte string.
    fn bytes(&mut self) -> &'a [u8] {
        let n = self.byte().unwrap_or(0);
        self.take(usize::from(n))
    }
}

/// The value libzmq must give back for `value` set on `info`, or `None` when the
/// option is not one whose value reads back as set.
fn expected_readback(info: &SocketOptionInfo, value: &[u8]) -> Option<Vec<u8>> {
    if !info.get {
        return None;
    }
    // libzmq keeps the TTL in deciseconds (and reads it back in milliseconds).
    if info.name == "ZMQ_HEARTBEAT_TTL" {
        let v = i32::from_ne_bytes(value.try_into().ok()?);
        return Some((v / 100 * 100).to_ne_bytes().to_vec());
    }
    match info.kind {
        OptionKind::Int | OptionKind::Int64 | OptionKind::UInt64 | OptionKind::Bytes => {
            Some(value.to_vec())
        }
        OptionKind::Bool => {
            let v = i32::from_ne_bytes(value.try_into().ok()?);
            Some(i32::from(v != 0).to_ne_bytes().to_vec())
        }
        // Strings read back with their NUL.
        OptionKind::String => Some(value.iter().copied().chain([0]).collect()),
        // Keys read back in binary form, whichever form they were set in.
        OptionKind::CurveKey => match value.len() {
            32 => Some(value.to_vec()),
            40 | 41 => zmq::z85_decode(std::str::from_utf8(&value[..40]).ok()?).ok(),
            _ => None,
        },
        _ => None,
    }
}

fn raw_option(socket: &Socket, id: i32, value: &[u8], get_len: usize) {
    let info = SocketOptionInfo::from_id(id);
    let set = socket.set_option_raw(id, value);
    if let (Ok(()), Some(info)) = (&set, info) {
        assert!(
            info.set,
            "{} accepted a value but is listed read-only",
            info.name
        );
        if let Some(want) = expected_readback(info, value) {
            let mut buf = vec![0xA5u8; want.len().max(1)];
            // Strings and keys: ask with room to spare, numbers: the exact size.
            if matches!(info.kind, OptionKind::String | OptionKind::Bytes) {
                buf.resize(want.len() + 64, 0xA5);
            }
            let n = socket
                .get_option_raw(id, &mut buf)
                .unwrap_or_else(|e| panic!("{} set but not readable: {e}", info.name));
            assert_eq!(&buf[..n], &want[..], "{} read back", info.name);
        }
    }
    if set.is_err() && info.is_none() {
        // Unknown ids are libzmq's EINVAL, nothing else.
        assert_eq!(set, Err(zmq::Error::EINVAL), "unknown option {id}");
    }
    // A read of any size must not panic nor claim more than the buffer holds.
    let mut buf = vec![0u8; get_len];
    if let Ok(n) = socket.get_option_raw(id, &mut buf) {
        assert!(n <= buf.len());
    }
}

/// Sets a typed option and, where libzmq accepted it, reads it back.
macro_rules! typed {
    ($socket:expr, $set:ident, $get:ident, $value:expr) => {{
        let value = $value;
        if $socket.$set(value.clone()).is_ok() {
            assert_eq!(
                $socket.$get().expect(stringify!($get)),
                value,
                stringify!($set)
            );
        }
    }};
}

#[allow(deprecated)]
fn typed_option(socket: &Socket, input: &mut Input<'_>) {
    let which = input.byte().unwrap_or(0);
    let int = i32::from_ne_bytes(input.array());
    let long = i64::from_ne_bytes(input.array());
    let flag = int & 1 == 1;
    let bytes = input.bytes();
    let text = String::from_utf8_lossy(bytes).into_owned();
    match which % 24 {
        0 => typed!(socket, set_linger, get_linger, int),
        1 => typed!(socket, set_sndhwm, get_sndhwm, int),
        2 => typed!(socket, set_rcvhwm, get_rcvhwm, int),
        3 => typed!(socket, set_rcvtimeo, get_rcvtimeo, int),
        4 => typed!(socket, set_maxmsgsize, get_maxmsgsize, long),
        5 => typed!(socket, set_affinity, get_affinity, long as u64),
        6 => typed!(socket, set_ipv6, get_ipv6, flag),
        7 => typed!(socket, set_immediate, get_immediate, flag),
        8 => typed!(socket, set_conflate, get_conflate, flag),
        9 => typed!(socket, set_heartbeat_ivl, get_heartbeat_ivl, int),
        10 => typed!(socket, set_tos, get_tos, int),
        11 => {
            if socket.set_routing_id(bytes).is_ok() {
                assert_eq!(socket.get_routing_id().expect("routing id"), bytes);
            }
        }
        // libzmq's PLAIN options treat "" (NULL) as "back to the NULL mechanism" and
        // keep the old name/password, which still reads back: check the mechanism.
        12 | 13 if text.is_empty() => {
            let set = if which % 24 == 12 {
                socket.set_plain_username("")
            } else {
                socket.set_plain_password("")
            };
            assert_eq!(set, Ok(()));
            assert_eq!(socket.get_mechanism(), Ok(zmq::Mechanism::Null));
        }
        12 => typed!(socket, set_plain_username, get_plain_username, &text[..]),
        13 => typed!(socket, set_plain_password, get_plain_password, &text[..]),
        14 => typed!(socket, set_zap_domain, get_zap_domain, &text[..]),
        15 => typed!(socket, set_socks_proxy, get_socks_proxy, &text[..]),
        16 => typed!(socket, set_bindtodevice, get_bindtodevice, &text[..]),
        17 => {
            if socket.set_curve_serverkey(bytes).is_ok() {
                let key = socket.get_curve_serverkey().expect("server key");
                assert_eq!(key.len(), 32);
                let z85 = socket.get_curve_serverkey_z85().expect("server key z85");
                assert_eq!(zmq::z85_decode(&z85).expect("z85 of a key"), key);
                if bytes.len() == 32 {
                    assert_eq!(key, bytes);
                }
            }
        }
        18 => {
            let _ = socket.set_subscribe(bytes);
            let _ = socket.set_unsubscribe(bytes);
        }
        19 => {
            let _ = socket.set_tcp_accept_filter(&text);
        }
        20 => {
            let _ = socket.set_xpub_welcome_msg(bytes);
            let _ = socket.set_connect_routing_id(bytes);
        }
        21 => {
            let _ = socket.set_ipc_filter_pid((int >= 0).then_some(int));
            let _ = socket.set_ipc_filter_uid((int >= 0).then_some(int as u32));
        }
        22 => typed!(socket, set_reconnect_ivl, get_reconnect_ivl, int),
        _ => {
            // The read-only ones, and every getter of the table, must not panic.
            let _ = socket.get_events();
            let _ = socket.get_mechanism();
            let _ = socket.get_fd();
            let _ = socket.get_rcvmore();
            let _ = socket.get_last_endpoint();
            let socket_type = socket.get_socket_type().expect("type");
            assert_eq!(socket.get_thread_safe(), Ok(thread_safe(socket_type)));
        }
    }
}

/// Whether libzmq makes sockets of this type thread-safe (only draft types are).
fn thread_safe(socket_type: SocketType) -> bool {
    #[cfg(feature = "draft")]
    {
        socket_type.is_thread_safe()
    }
    #[cfg(not(feature = "draft"))]
    {
        let _ = socket_type;
        false
    }
}

fuzz_target!(|data: &[u8]| {
    let mut input = Input(data);
    let Some(kind) = input.byte() else {
        return;
    };
    let types = SocketType::ALL;
    let socket_type = types[usize::from(kind) % types.len()];
    // Closed sockets are reaped by a libzmq thread: at a thousand sockets a second on
    // a loaded machine it can fall behind the context's 1023 slots (EMFILE). Wait for
    // it; a socket never freed (a leak) still fails the input after 10 s.
    let start = std::time::Instant::now();
    let socket = loop {
        match context().socket(socket_type) {
            Err(zmq::Error::EMFILE) if start.elapsed().as_secs() < 10 => {
                std::thread::sleep(std::time::Duration::from_millis(1));
            }
            other => break other.expect("socket"),
        }
    };
    assert_eq!(socket.get_socket_type(), Ok(socket_type));
    let mut ops = 0;
    while let Some(op) = input.byte() {
        ops += 1;
        if ops > 32 {
            break;
        }
        match op % 4 {
            0 | 1 => {
                // An option of the table, with a value of arbitrary bytes, or (op bit 2)
                // with a 4- or 8-byte value, the sizes libzmq's numbers want.
                let info =
                    &SOCKET_OPTIONS[usize::from(input.byte().unwrap_or(0)) % SOCKET_OPTIONS.len()];
                let value: Vec<u8> = if op & 4 == 0 {
                    input.bytes().to_vec()
                } else if matches!(info.kind, OptionKind::Int64 | OptionKind::UInt64) {
                    input.array::<8>().to_vec()
                } else {
                    input.array::<4>().to_vec()
                };
                let get_len = usize::from(input.byte().unwrap_or(0));
                raw_option(&socket, info.id, &value, get_len);
            }
            2 => {
                // Any option number at all.
                let id = i32::from_ne_bytes(input.array());
                let value = input.bytes().to_vec();
                let get_len = usize::from(input.byte().unwrap_or(0));
                raw_option(&socket, id, &value, get_len);
            }
            _ => typed_option(&socket, &mut input),
        }
    }
    let _ = socket.set_linger(0);
    drop(socket);
});
