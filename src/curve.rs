//! CURVE keys and Z85 text (`zmq_curve_keypair`, `zmq_curve_public`, `zmq_z85_*`).
//!
//! Z85 ([ZeroMQ RFC 32](https://rfc.zeromq.org/spec/32/)) writes every 4 bytes as 5
//! printable ASCII characters; CURVE keys are 32 bytes, so 40 characters of Z85.
//! The codec works in every build; the key functions need a libzmq built with
//! CURVE ([`has("curve")`](crate::has)) and fail with `ENOTSUP` otherwise.

use std::fmt;

use crate::error::{cvt, Error, Result};

/// The length of a binary CURVE key. The one definition of it: the option
/// accessors, the ZAP authenticator and the certificate files use it too.
pub(crate) const KEY_LEN: usize = 32;
/// The length of a CURVE key as Z85 text (without the C string's trailing NUL).
pub(crate) const KEY_Z85_LEN: usize = 40;

/// The 85 characters of Z85, in digit order (RFC 32).
const Z85_ALPHABET: &[u8; 85] =
    b"0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ.-:+=^!/*?&<>()[]{}@%$#";

/// Marks a byte that is not a Z85 character in [`Z85_DIGITS`].
const NOT_Z85: u8 = 0xFF;

/// The digit value of every byte, [`NOT_Z85`] for bytes outside the alphabet.
const Z85_DIGITS: [u8; 256] = {
    let mut table = [NOT_Z85; 256];
    let mut digit = 0;
    while digit < Z85_ALPHABET.len() {
        table[Z85_ALPHABET[digit] as usize] = digit as u8;
        digit += 1;
    }
    table
};

/// Binary bytes passed to one `zmq_z85_encode` call (a multiple of 4). libzmq counts
/// positions in `unsigned int`, so longer inputs go through in pieces of this size.
const ENCODE_CHUNK: usize = 4 * 16 * 1024;
/// Characters passed to one `zmq_z85_decode` call (a multiple of 5), for the same reason.
const DECODE_CHUNK: usize = ENCODE_CHUNK / 4 * 5;

/// A zeroed buffer of `len` bytes, or `ENOMEM` when it cannot be allocated.
fn zeroed(len: usize) -> Result<Vec<u8>> {
    let mut buf = Vec::new();
    buf.try_reserve_exact(len).map_err(|_| Error::ENOMEM)?;
    buf.resize(len, 0);
    Ok(buf)
}

/// Checks a CURVE key value before it reaches `zmq_setsockopt`: 32 binary bytes,
/// or 40 Z85 characters, optionally followed by the NUL C callers pass (41 bytes).
///
/// libzmq reads a 40- or 41-byte value as a C string, so a NUL inside it would
/// silently replace only part of the key; and it decodes Z85 without checking the
/// alphabet in older releases. Anything else is `EINVAL`, as in libzmq.
pub(crate) fn check_curve_key(value: &[u8]) -> Result<()> {
    match value.len() {
        KEY_LEN => Ok(()),
        KEY_Z85_LEN => check_z85(value),
        n if n == KEY_Z85_LEN + 1 && value[KEY_Z85_LEN] == 0 => check_z85(&value[..KEY_Z85_LEN]),
        _ => Err(Error::EINVAL),
    }
}

/// Checks that `text` is Z85 libzmq can decode: a multiple of 5 characters, each
/// from the alphabet, every group of 5 standing for a value below 2^32.
///
/// libzmq 4.3.5 checks this too, but older releases index their 96-entry decoding
/// table with `byte - 32` unchecked (reading outside it for a byte below 32 or
/// above 127), and a NUL would cut the C string short: nothing unchecked reaches C.
fn check_z85(text: &[u8]) -> Result<()> {
    if text.len() % 5 != 0 {
        return Err(Error::EINVAL);
    }
    for group in text.chunks_exact(5) {
        let mut value: u64 = 0;
        for &byte in group {
            let digit = Z85_DIGITS[usize::from(byte)];
            if digit == NOT_Z85 {
                return Err(Error::EINVAL);
            }
            value = value * 85 + u64::from(digit);
        }
        if value > u64::from(u32::MAX) {
            return Err(Error::EINVAL);
        }
    }
    Ok(())
}

/// Bytes known to be ASCII (libzmq's Z85 output) as a `String`.
fn ascii_to_string(bytes: &[u8]) -> String {
    bytes.iter().map(|&b| char::from(b)).collect()
}

/// Encodes binary data as Z85 text (`zmq_z85_encode`).
///
/// The length of `data` must be a multiple of 4 (`EINVAL` otherwise); the text is
/// 5/4 as long. Empty data gives empty text.
///
/// ```
/// let text = zmq::z85_encode(&[0x86, 0x4F, 0xD2, 0x6F, 0xB5, 0x59, 0xF7, 0x5B])?;
/// assert_eq!(text, "HelloWorld");
/// assert_eq!(zmq::z85_decode(&text)?, [0x86, 0x4F, 0xD2, 0x6F, 0xB5, 0x59, 0xF7, 0x5B]);
/// assert_eq!(zmq::z85_encode(b"abc"), Err(zmq::Error::EINVAL));
/// # Ok::<(), zmq::Error>(())
/// ```
#[doc(alias = "zmq_z85_encode")]
pub fn z85_encode(data: &[u8]) -> Result<String> {
    if data.len() % 4 != 0 {
        return Err(Error::EINVAL);
    }
    let text_len = data.len() / 4 * 5;
    // libzmq writes the text and a NUL after it.
    let mut text = zeroed(text_len + 1)?;
    for (index, chunk) in data.chunks(ENCODE_CHUNK).enumerate() {
        let start = index * (ENCODE_CHUNK / 4 * 5);
        let dest = &mut text[start..];
        // SAFETY: chunk is chunk.len() readable bytes, a multiple of 4 (every chunk
        // but the last is ENCODE_CHUNK long, and data.len() is a multiple of 4);
        // dest has room for the chunk.len() / 4 * 5 characters plus the NUL libzmq
        // writes (the NUL lands on the first byte of the next chunk's text, which
        // the next call overwrites, or on the final byte reserved for it).
        let written = unsafe {
            zmq_sys::zmq_z85_encode(dest.as_mut_ptr().cast(), chunk.as_ptr(), chunk.len())
        };
        if written.is_null() {
            return Err(Error::last());
        }
    }
    text.truncate(text_len);
    Ok(ascii_to_string(&text))
}

/// Decodes Z85 text to binary data (`zmq_z85_decode`).
///
/// The text must be a multiple of 5 characters of the Z85 alphabet, each group of
/// 5 standing for a value below 2^32; anything else (other characters, spaces,
/// line breaks, control characters, non-ASCII, a NUL) is `EINVAL`, checked before
/// libzmq sees the text. Empty text gives empty data (libzmq itself rejects it;
/// this keeps `z85_decode(&z85_encode(b"")?)` working).
///
/// ```
/// assert_eq!(zmq::z85_decode("HelloWorld")?, [0x86, 0x4F, 0xD2, 0x6F, 0xB5, 0x59, 0xF7, 0x5B]);
/// assert_eq!(zmq::z85_decode("Hello World"), Err(zmq::Error::EINVAL));
/// # Ok::<(), zmq::Error>(())
/// ```
#[doc(alias = "zmq_z85_decode")]
pub fn z85_decode(text: &str) -> Result<Vec<u8>> {
    let text = text.as_bytes();
    check_z85(text)?;
    let mut data = zeroed(text.len() / 5 * 4)?;
    // Each chunk is copied here with the NUL libzmq needs after it.
    let mut c_text = Vec::new();
    c_text
        .try_reserve_exact(text.len().min(DECODE_CHUNK) + 1)
        .map_err(|_| Error::ENOMEM)?;
    for (index, chunk) in text.chunks(DECODE_CHUNK).enumerate() {
        c_text.clear();
        c_text.extend_from_slice(chunk);
        c_text.push(0);
        let dest = &mut data[index * (DECODE_CHUNK / 5 * 4)..];
        // SAFETY: c_text is NUL-terminated and holds no other NUL (check_z85 let
        // only alphabet characters through); its length is a non-zero multiple of
        // 5, so libzmq writes chunk.len() / 5 * 4 bytes, for which dest has room.
        let written = unsafe { zmq_sys::zmq_z85_decode(dest.as_mut_ptr(), c_text.as_ptr().cast()) };
        if written.is_null() {
            return Err(Error::last());
        }
    }
    Ok(data)
}

/// A new CURVE key pair (`zmq_curve_keypair`), as Z85 text `(public, secret)`, 40
/// characters each. `ENOTSUP` when the library was built without CURVE.
/// [`CurveKeyPair::new`] gives the same as binary keys.
#[doc(alias = "zmq_curve_keypair")]
pub fn curve_keypair() -> Result<(String, String)> {
    let mut public = [0u8; KEY_Z85_LEN + 1];
    let mut secret = [0u8; KEY_Z85_LEN + 1];
    // SAFETY: both buffers hold the 41 bytes (40 + NUL) zmq_curve_keypair writes.
    crate::error::cvt(unsafe {
        zmq_sys::zmq_curve_keypair(public.as_mut_ptr().cast(), secret.as_mut_ptr().cast())
    })?;
    let text = |b: &[u8; KEY_Z85_LEN + 1]| String::from_utf8_lossy(&b[..KEY_Z85_LEN]).into_owned();
    Ok((text(&public), text(&secret)))
}

/// The CURVE public key of a secret key (`zmq_curve_public`), both as 40
/// characters of Z85 text.
///
/// `EINVAL` when `secret_z85` is not 40 characters of valid Z85 (checked before
/// libzmq sees it); `ENOTSUP` when the library was built without CURVE.
///
/// ```
/// if zmq::has("curve") {
///     let (public, secret) = zmq::curve_keypair()?;
///     assert_eq!(zmq::curve_public(&secret)?, public);
/// }
/// assert_eq!(zmq::curve_public("too short"), Err(zmq::Error::EINVAL));
/// # Ok::<(), zmq::Error>(())
/// ```
#[doc(alias = "zmq_curve_public")]
pub fn curve_public(secret_z85: &str) -> Result<String> {
    let secret = secret_z85.as_bytes();
    if secret.len() != KEY_Z85_LEN {
        return Err(Error::EINVAL);
    }
    check_z85(secret)?;
    let mut c_secret = [0u8; KEY_Z85_LEN + 1];
    c_secret[..KEY_Z85_LEN].copy_from_slice(secret);
    let mut public = [0u8; KEY_Z85_LEN + 1];
    // SAFETY: c_secret is 40 Z85 characters and a NUL, which libzmq decodes into
    // 32 bytes of its own; public has room for the 40 characters and the NUL it writes.
    cvt(unsafe {
        zmq_sys::zmq_curve_public(public.as_mut_ptr().cast(), c_secret.as_ptr().cast())
    })?;
    Ok(ascii_to_string(&public[..KEY_Z85_LEN]))
}

/// A 32-byte binary key as 40 characters of Z85.
pub(crate) fn key_to_z85(key: &[u8; KEY_LEN]) -> String {
    let mut text = [0u8; KEY_Z85_LEN + 1];
    // SAFETY: key is 32 readable bytes (a multiple of 4, the only condition under
    // which zmq_z85_encode can fail); text has room for the 40 characters and NUL.
    unsafe { zmq_sys::zmq_z85_encode(text.as_mut_ptr().cast(), key.as_ptr(), key.len()) };
    ascii_to_string(&text[..KEY_Z85_LEN])
}

/// 40 characters of Z85 as a 32-byte key; `EINVAL` for anything else.
fn key_from_z85(text: &str) -> Result<[u8; KEY_LEN]> {
    if text.len() != KEY_Z85_LEN {
        return Err(Error::EINVAL);
    }
    z85_decode(text)?
        .as_slice()
        .try_into()
        .map_err(|_| Error::EINVAL)
}

/// A CURVE key pair as 32-byte binary keys.
///
/// The binary keys go straight into the socket options
/// ([`Socket::set_curve_secretkey`](crate::Socket::set_curve_secretkey) and its
/// siblings accept 32 bytes or 40 characters of Z85). `Debug` shows the public key
/// and hides the secret one, so a pair can be logged.
///
/// ```
/// # if !zmq::has("curve") { return Ok(()); }
/// let server_keys = zmq::CurveKeyPair::new()?;
/// let client_keys = zmq::CurveKeyPair::new()?;
///
/// let ctx = zmq::Context::new()?;
/// let server = ctx.socket(zmq::REP)?;
/// server.set_curve_server(true)?;
/// server.set_curve_secretkey(&server_keys.secret)?;
/// server.bind("tcp://127.0.0.1:*")?;
///
/// let client = ctx.socket(zmq::REQ)?;
/// client.set_curve_serverkey(&server_keys.public)?;
/// client.set_curve_publickey(&client_keys.public)?;
/// client.set_curve_secretkey(&client_keys.secret)?;
/// client.connect(&server.get_last_endpoint()?)?;
///
/// client.send("hello", zmq::SendFlags::empty())?;
/// assert_eq!(server.recv_bytes(zmq::RecvFlags::empty())?, b"hello");
/// assert!(!format!("{client_keys:?}").contains(&client_keys.secret_z85()));
/// # Ok::<(), zmq::Error>(())
/// ```
#[derive(Clone)]
pub struct CurveKeyPair {
    /// The public key: give it to peers.
    pub public: [u8; 32],
    /// The secret key: keep it to yourself.
    pub secret: [u8; 32],
}

impl CurveKeyPair {
    /// A new random key pair (`zmq_curve_keypair`, decoded). `ENOTSUP` when the
    /// library was built without CURVE.
    #[doc(alias = "zmq_curve_keypair")]
    pub fn new() -> Result<CurveKeyPair> {
        let (public, secret) = curve_keypair()?;
        Ok(CurveKeyPair {
            public: key_from_z85(&public)?,
            secret: key_from_z85(&secret)?,
        })
    }

    /// The pair of a known secret key, its public key derived with
    /// `zmq_curve_public`. `ENOTSUP` when the library was built without CURVE.
    #[doc(alias = "zmq_curve_public")]
    pub fn from_secret(secret: [u8; 32]) -> Result<CurveKeyPair> {
        let public = curve_public(&key_to_z85(&secret))?;
        Ok(CurveKeyPair {
            public: key_from_z85(&public)?,
            secret,
        })
    }

    /// The public key as 40 characters of Z85 text.
    pub fn public_z85(&self) -> String {
        key_to_z85(&self.public)
    }

    /// The secret key as 40 characters of Z85 text.
    pub fn secret_z85(&self) -> String {
        key_to_z85(&self.secret)
    }
}

impl fmt::Debug for CurveKeyPair {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CurveKeyPair")
            .field("public", &self.public_z85())
            .field("secret", &format_args!("<redacted>"))
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn digit_table_matches_the_alphabet() {
        let valid = (0u8..=255).filter(|&b| Z85_DIGITS[usize::from(b)] != NOT_Z85);
        assert_eq!(valid.count(), 85);
        for (digit, &c) in Z85_ALPHABET.iter().enumerate() {
            assert_eq!(usize::from(Z85_DIGITS[usize::from(c)]), digit);
        }
        for b in (0u8..32).chain(128..=255) {
            assert_eq!(Z85_DIGITS[usize::from(b)], NOT_Z85, "byte {b}");
        }
    }

    #[test]
    fn chunk_sizes_line_up() {
        assert_eq!(ENCODE_CHUNK % 4, 0);
        assert_eq!(DECODE_CHUNK % 5, 0);
        assert_eq!(ENCODE_CHUNK / 4, DECODE_CHUNK / 5);
    }
}
