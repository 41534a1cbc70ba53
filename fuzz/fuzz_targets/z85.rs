//! Z85 (`zmq::z85_encode` / `zmq::z85_decode`, libzmq's `zmq_z85_*`) against a small
//! reference implementation of the ZeroMQ RFC 32 written here:
//! * encode: `Ok` exactly for lengths divisible by 4, then the reference text, and
//!   decoding that text gives the bytes back;
//! * decode of any text: never a panic; `Ok` exactly when the reference accepts the
//!   text (length divisible by 5, alphabet only, each group below 2^32), then the
//!   reference bytes (4 per 5 characters).
#![no_main]
#![forbid(unsafe_code)]

use libfuzzer_sys::fuzz_target;

const ALPHABET: &[u8; 85] =
    b"0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ.-:+=^!/*?&<>()[]{}@%$#";

fn reference_encode(data: &[u8]) -> Option<String> {
    if data.len() % 4 != 0 {
        return None;
    }
    let mut text = String::with_capacity(data.len() / 4 * 5);
    for group in data.chunks_exact(4) {
        let mut value = u32::from_be_bytes([group[0], group[1], group[2], group[3]]);
        let mut chars = [0u8; 5];
        for c in chars.iter_mut().rev() {
            *c = ALPHABET[(value % 85) as usize];
            value /= 85;
        }
        text.extend(chars.iter().map(|&c| char::from(c)));
    }
    Some(text)
}

fn reference_decode(text: &[u8]) -> Option<Vec<u8>> {
    if text.len() % 5 != 0 {
        return None;
    }
    let mut data = Vec::with_capacity(text.len() / 5 * 4);
    for group in text.chunks_exact(5) {
        let mut value: u64 = 0;
        for &c in group {
            let digit = ALPHABET.iter().position(|&a| a == c)?;
            value = value * 85 + digit as u64;
        }
        let value = u32::try_from(value).ok()?;
        data.extend_from_slice(&value.to_be_bytes());
    }
    Some(data)
}

fuzz_target!(|data: &[u8]| {
    let Some((&mode, rest)) = data.split_first() else {
        return;
    };

    // Encoding: the input bytes as they are (any length).
    let encoded = zmq::z85_encode(rest);
    match reference_encode(rest) {
        None => assert_eq!(
            encoded,
            Err(zmq::Error::EINVAL),
            "odd length {}",
            rest.len()
        ),
        Some(want) => {
            let text = encoded.expect("z85_encode of a multiple of 4 bytes");
            assert_eq!(text, want);
            assert_eq!(zmq::z85_decode(&text).expect("decode(encode(x))"), rest);
        }
    }

    // Decoding: arbitrary text, or (mode bit 0) the bytes mapped onto the alphabet so
    // the accepting path is reached too, trimmed (mode bit 1) to a multiple of 5.
    let mut text: Vec<u8> = if mode & 1 == 1 {
        rest.iter()
            .map(|&b| ALPHABET[usize::from(b) % 85])
            .collect()
    } else {
        rest.to_vec()
    };
    if mode & 2 == 2 {
        text.truncate(text.len() / 5 * 5);
    }
    let text = String::from_utf8_lossy(&text).into_owned();
    let decoded = zmq::z85_decode(&text);
    match reference_decode(text.as_bytes()) {
        None => assert_eq!(decoded, Err(zmq::Error::EINVAL), "{text:?}"),
        Some(want) => {
            let got = decoded.expect("z85_decode of valid text");
            assert_eq!(got.len(), text.len() / 5 * 4);
            assert_eq!(got, want, "{text:?}");
            // And back: the same text.
            assert_eq!(zmq::z85_encode(&got).expect("encode(decode(t))"), text);
        }
    }
});
