//! Z85 text, CURVE key pairs, and proof that CURVE encrypts what goes on the wire.
//! The CURVE tests fail, never skip, when the build promises CURVE (the `curve`
//! feature in vendored mode, or a system libzmq) and it is missing.
#![forbid(unsafe_code)]

mod common;

use std::io::{ErrorKind, Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

use common::curve;
use common::net::bind_loopback;
use zmq::{
    curve_public, z85_decode, z85_encode, Context, CurveKeyPair, Error, RecvFlags, SendFlags, REP,
    REQ,
};

/// The receive timeout for messages behind a CURVE handshake: 5 s was not
/// enough under valgrind on a loaded machine.
const PATIENCE_MS: i32 = 30_000;

const ALPHABET: &[u8] =
    b"0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ.-:+=^!/*?&<>()[]{}@%$#";

/// Deterministic "random-ish" bytes (xorshift64).
fn pseudo_random(len: usize, seed: u64) -> Vec<u8> {
    let mut state = seed | 1;
    (0..len)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            (state >> 24) as u8
        })
        .collect()
}

/// Z85 straight from RFC 32, to check libzmq's output against.
fn reference_encode(data: &[u8]) -> String {
    let mut out = String::new();
    for group in data.chunks(4) {
        let mut value = u32::from_be_bytes(group.try_into().unwrap());
        let mut digits = [0u8; 5];
        for digit in digits.iter_mut().rev() {
            *digit = ALPHABET[(value % 85) as usize];
            value /= 85;
        }
        out.extend(digits.iter().map(|&b| b as char));
    }
    out
}

#[test]
fn rfc_32_test_vector_is_hello_world() {
    let data = [0x86, 0x4F, 0xD2, 0x6F, 0xB5, 0x59, 0xF7, 0x5B];
    assert_eq!(z85_encode(&data).unwrap(), "HelloWorld");
    assert_eq!(z85_decode("HelloWorld").unwrap(), data);
    assert_eq!(reference_encode(&data), "HelloWorld");
}

#[test]
fn data_round_trips_through_z85() {
    // 200 000 bytes go through libzmq in several pieces, the last one short.
    for (seed, len) in [(1, 0), (2, 4), (3, 32), (4, 400), (5, 200_000)] {
        let data = pseudo_random(len, seed);
        let text = z85_encode(&data).unwrap();
        assert_eq!(text.len(), len / 4 * 5);
        assert_eq!(text, reference_encode(&data), "length {len}");
        assert_eq!(z85_decode(&text).unwrap(), data, "length {len}");
    }
    // The extremes of a group.
    assert_eq!(z85_encode(&[0; 4]).unwrap(), "00000");
    assert_eq!(z85_decode("00000").unwrap(), [0; 4]);
    let max = z85_encode(&[0xFF; 4]).unwrap();
    assert_eq!(max, "%nSc0");
    assert_eq!(z85_decode(&max).unwrap(), [0xFF; 4]);
}

#[test]
fn lengths_that_are_not_whole_groups_are_einval() {
    for len in [1, 2, 3, 5, 6, 7, 33, 401] {
        assert_eq!(z85_encode(&vec![7; len]), Err(Error::EINVAL), "{len} bytes");
    }
    for text in ["0", "0000", "000000", "HelloWorl", "HelloWorld0"] {
        assert_eq!(z85_decode(text), Err(Error::EINVAL), "{text:?}");
    }
}

#[test]
fn characters_outside_the_alphabet_are_einval() {
    // Every ASCII byte, including NUL, control characters, space, '"', '\'', ',',
    // ';', '\\', '_', '`', '|', '~' and DEL: accepted exactly when in the alphabet.
    for byte in 0u8..128 {
        let text = format!("0000{}", byte as char);
        let result = z85_decode(&text);
        if ALPHABET.contains(&byte) {
            assert!(result.is_ok(), "{byte:#04x} is Z85");
        } else {
            assert_eq!(result, Err(Error::EINVAL), "byte {byte:#04x}");
        }
    }
    for text in [
        "Hello World",
        "Hell\"World",
        "Hello~orld",
        "Hel\0oWorld",
        "HelloWorl\n",
        "\tHelloWorl",
        "\u{1}HelloWorl",
    ] {
        assert_eq!(z85_decode(text), Err(Error::EINVAL), "{text:?}");
    }
    // Non-ASCII: 5 bytes of UTF-8 that are not 5 Z85 characters.
    for text in ["abcé", "00€", "0😀", "éé0", "0000é0000"] {
        assert_eq!(text.len() % 5, 0);
        assert_eq!(z85_decode(text), Err(Error::EINVAL), "{text:?}");
    }
}

#[test]
fn groups_above_u32_max_are_einval() {
    // 85^5 - 1 and u32::MAX + 1.
    assert_eq!(z85_decode("%%%%%"), Err(Error::EINVAL));
    assert_eq!(z85_decode("%nSc1"), Err(Error::EINVAL));
    assert_eq!(z85_decode("00000%nSc1"), Err(Error::EINVAL));
    assert_eq!(z85_decode("%nSc0%nSc0").unwrap(), [0xFF; 8]);
}

#[test]
fn curve_keys_derive_and_decode_consistently() {
    if !curve::checked() {
        assert_eq!(CurveKeyPair::new().unwrap_err(), Error::ENOTSUP);
        assert_eq!(
            CurveKeyPair::from_secret([1; 32]).unwrap_err(),
            Error::ENOTSUP
        );
        assert_eq!(curve_public(&"0".repeat(40)), Err(Error::ENOTSUP));
        return;
    }
    let (public, secret) = zmq::curve_keypair().unwrap();
    assert_eq!(curve_public(&secret).unwrap(), public);

    let pair = CurveKeyPair::new().unwrap();
    assert_ne!(pair.public, pair.secret);
    assert_eq!(pair.public_z85().len(), 40);
    assert_eq!(z85_decode(&pair.public_z85()).unwrap(), pair.public);
    assert_eq!(z85_decode(&pair.secret_z85()).unwrap(), pair.secret);
    assert_eq!(curve_public(&pair.secret_z85()).unwrap(), pair.public_z85());
    let again = CurveKeyPair::from_secret(pair.secret).unwrap();
    assert_eq!((again.public, again.secret), (pair.public, pair.secret));

    let other = CurveKeyPair::new().unwrap();
    assert_ne!(other.secret, pair.secret);
    assert_ne!(other.public, pair.public);

    // A known secret always gives the same public key.
    let fixed = CurveKeyPair::from_secret([42; 32]).unwrap();
    assert_eq!(
        CurveKeyPair::from_secret([42; 32]).unwrap().public,
        fixed.public
    );
    assert_ne!(fixed.public, [42; 32]);
}

#[test]
fn curve_public_rejects_bad_secrets() {
    // Checked before libzmq sees them, with or without CURVE.
    let good = "0".repeat(40);
    for bad in [
        String::new(),
        "0".repeat(39),
        "0".repeat(41),
        format!("{} ", &good[..39]),
        format!("{}\0", &good[..39]),
        format!("{}é", &good[..38]),
        "%".repeat(40),
    ] {
        assert_eq!(curve_public(&bad), Err(Error::EINVAL), "{bad:?}");
    }
}

#[test]
fn debug_shows_the_public_key_and_hides_the_secret() {
    // Built by hand: no CURVE needed.
    let pair = CurveKeyPair {
        public: [0x11; 32],
        secret: [0xEE; 32],
    };
    let debug = format!("{pair:?}");
    let pretty = format!("{pair:#?}");
    for shown in [&debug, &pretty] {
        assert!(shown.contains(&pair.public_z85()), "{shown}");
        assert!(shown.contains("redacted"), "{shown}");
        assert!(!shown.contains(&pair.secret_z85()), "{shown}");
        assert!(!shown.contains("238"), "{shown}"); // 0xEE as decimal
    }
    assert_eq!(z85_decode(&pair.secret_z85()).unwrap(), pair.secret);
}

#[test]
fn key_pairs_secure_a_req_rep_round_trip() {
    if !curve::checked() {
        return; // curve_keys_derive_and_decode_consistently checked ENOTSUP.
    }
    let server_keys = CurveKeyPair::new().unwrap();
    let client_keys = CurveKeyPair::new().unwrap();
    let ctx = Context::new().unwrap();

    let server = ctx.socket(REP).unwrap();
    server.set_linger(0).unwrap();
    server.set_rcvtimeo(PATIENCE_MS).unwrap();
    server.set_curve_server(true).unwrap();
    server.set_curve_secretkey(&server_keys.secret).unwrap(); // binary
    server.bind("tcp://127.0.0.1:*").unwrap();
    assert_eq!(
        server.get_curve_secretkey_z85().unwrap(),
        server_keys.secret_z85()
    );

    let client = ctx.socket(REQ).unwrap();
    client.set_linger(0).unwrap();
    client.set_rcvtimeo(PATIENCE_MS).unwrap();
    // Z85 text works as well as binary.
    client
        .set_curve_serverkey(server_keys.public_z85().as_bytes())
        .unwrap();
    client.set_curve_publickey(&client_keys.public).unwrap();
    client
        .set_curve_secretkey(client_keys.secret_z85().as_bytes())
        .unwrap();
    client
        .connect(&server.get_last_endpoint().unwrap())
        .unwrap();

    for i in 0..3 {
        let request = format!("request {i}");
        client.send(&request, SendFlags::empty()).unwrap();
        let msg = server.recv_message(RecvFlags::empty()).unwrap();
        assert_eq!(msg.as_str(), Some(request.as_str()));
        server
            .send(format!("reply {i}"), SendFlags::empty())
            .unwrap();
        assert_eq!(
            client.recv_bytes(RecvFlags::empty()).unwrap(),
            format!("reply {i}").as_bytes()
        );
    }
    assert_eq!(server.get_mechanism().unwrap(), zmq::Mechanism::Curve);
}

/// A TCP relay on 127.0.0.1 that forwards every connection to `target_port` and
/// records the bytes of each direction.
struct Relay {
    port: u16,
    to_server: Arc<Mutex<Vec<u8>>>,
    to_client: Arc<Mutex<Vec<u8>>>,
    stop: Arc<AtomicBool>,
    acceptor: JoinHandle<()>,
}

fn pump(
    mut from: TcpStream,
    mut to: TcpStream,
    record: Arc<Mutex<Vec<u8>>>,
    stop: Arc<AtomicBool>,
) {
    from.set_read_timeout(Some(Duration::from_millis(20)))
        .unwrap();
    let mut buf = [0u8; 4096];
    while !stop.load(Ordering::Relaxed) {
        match from.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => {
                record.lock().unwrap().extend_from_slice(&buf[..n]);
                if to.write_all(&buf[..n]).is_err() {
                    break;
                }
            }
            Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {}
            Err(e) if e.kind() == ErrorKind::Interrupted => {}
            Err(_) => break,
        }
    }
    let _ = to.shutdown(Shutdown::Write);
}

impl Relay {
    fn start(target_port: u16) -> Relay {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        listener.set_nonblocking(true).unwrap();
        let port = listener.local_addr().unwrap().port();
        let to_server = Arc::new(Mutex::new(Vec::new()));
        let to_client = Arc::new(Mutex::new(Vec::new()));
        let stop = Arc::new(AtomicBool::new(false));
        let acceptor = {
            let (to_server, to_client, stop) = (to_server.clone(), to_client.clone(), stop.clone());
            thread::spawn(move || {
                let mut pumps = Vec::new();
                while !stop.load(Ordering::Relaxed) {
                    match listener.accept() {
                        Ok((client, _)) => {
                            client.set_nonblocking(false).unwrap();
                            let server = TcpStream::connect(("127.0.0.1", target_port)).unwrap();
                            let (c2, s2) =
                                (client.try_clone().unwrap(), server.try_clone().unwrap());
                            let (rec, halt) = (to_server.clone(), stop.clone());
                            pumps.push(thread::spawn(move || pump(client, server, rec, halt)));
                            let (rec, halt) = (to_client.clone(), stop.clone());
                            pumps.push(thread::spawn(move || pump(s2, c2, rec, halt)));
                        }
                        Err(e) if e.kind() == ErrorKind::WouldBlock => {
                            thread::sleep(Duration::from_millis(5));
                        }
                        Err(e) => panic!("accept: {e}"),
                    }
                }
                for p in pumps {
                    p.join().unwrap();
                }
            })
        };
        Relay {
            port,
            to_server,
            to_client,
            stop,
            acceptor,
        }
    }

    /// Stops the relay and returns what went (client -> server, server -> client).
    fn finish(self) -> (Vec<u8>, Vec<u8>) {
        self.stop.store(true, Ordering::Relaxed);
        let deadline = Instant::now() + Duration::from_secs(10);
        while !self.acceptor.is_finished() {
            assert!(Instant::now() < deadline, "relay did not stop");
            thread::sleep(Duration::from_millis(5));
        }
        self.acceptor.join().unwrap();
        let take = |v: &Arc<Mutex<Vec<u8>>>| std::mem::take(&mut *v.lock().unwrap());
        (take(&self.to_server), take(&self.to_client))
    }
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

const SECRET: &[u8] = b"ATTACK AT DAWN";

/// Sends a request and its echo through the relay, CURVE-secured or not, and
/// returns the recorded bytes of each direction.
fn relayed_exchange(curve: bool) -> (Vec<u8>, Vec<u8>) {
    let payload = SECRET.repeat(10);
    let ctx = Context::new().unwrap();
    let server = ctx.socket(REP).unwrap();
    server.set_linger(0).unwrap();
    server.set_rcvtimeo(PATIENCE_MS).unwrap();
    let server_keys = if curve {
        let keys = CurveKeyPair::new().unwrap();
        curve::set_server(&server, &keys);
        Some(keys)
    } else {
        None
    };
    let endpoint = bind_loopback(&server);
    let port: u16 = endpoint.rsplit(':').next().unwrap().parse().unwrap();
    let relay = Relay::start(port);

    let client = ctx.socket(REQ).unwrap();
    client.set_linger(0).unwrap();
    client.set_rcvtimeo(PATIENCE_MS).unwrap();
    if let Some(server_keys) = &server_keys {
        curve::set_client(&client, &server_keys.public, &CurveKeyPair::new().unwrap());
    }
    client
        .connect(&format!("tcp://127.0.0.1:{}", relay.port))
        .unwrap();

    client.send(&payload, SendFlags::empty()).unwrap();
    assert_eq!(server.recv_bytes(RecvFlags::empty()).unwrap(), payload);
    server.send(&payload, SendFlags::empty()).unwrap();
    assert_eq!(client.recv_bytes(RecvFlags::empty()).unwrap(), payload);
    let mechanism = if curve {
        zmq::Mechanism::Curve
    } else {
        zmq::Mechanism::Null
    };
    assert_eq!(client.get_mechanism().unwrap(), mechanism);

    drop(client);
    drop(server);
    relay.finish()
}

#[test]
fn curve_keeps_the_plaintext_off_the_wire_and_null_does_not() {
    // Control: through the NULL mechanism the relay sees the plaintext both ways.
    let (to_server, to_client) = relayed_exchange(false);
    assert!(contains(&to_server, b"NULL"), "greeting not recorded");
    assert!(contains(&to_server, SECRET), "the relay missed the request");
    assert!(contains(&to_client, SECRET), "the relay missed the reply");

    if !curve::checked() {
        return;
    }
    let (to_server, to_client) = relayed_exchange(true);
    // The relay carried the CURVE session (greeting, handshake, both messages)...
    assert!(contains(&to_server, b"CURVE"), "greeting not recorded");
    assert!(
        to_server.len() > SECRET.len() * 10,
        "{} bytes",
        to_server.len()
    );
    assert!(
        to_client.len() > SECRET.len() * 10,
        "{} bytes",
        to_client.len()
    );
    // ...and never the plaintext.
    assert!(
        !contains(&to_server, SECRET),
        "plaintext on the wire (request)"
    );
    assert!(
        !contains(&to_client, SECRET),
        "plaintext on the wire (reply)"
    );
    assert!(!contains(&to_server, b"ATTACK"));
    assert!(!contains(&to_client, b"ATTACK"));
}
