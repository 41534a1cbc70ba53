//! CURVE certificates on disk, in the format of czmq's `zcert` and pyzmq's
//! `zmq.auth`: [`Certificate`] and [`CertificateError`].
//!
//! A certificate is a key pair plus metadata, kept as two text files: a public
//! one (the public key, for peers) and a secret one (both keys, for its owner),
//! named like the public one with `_secret` appended (`server.key`,
//! `server.key_secret`). The files are ZPL (ZeroMQ RFC 4, the property language
//! czmq's `zconfig` reads and writes):
//!
//! ```text
//! #   a comment
//! metadata
//!     name = "server one"
//! curve
//!     public-key = "rq:rM>}U?@Lns47E1%kR.o@n%FcmmsL/@{H8]yf7"
//!     secret-key = "JTKVSB%%)wK0E.X)V>+}o?pNmC{O&4W4b!Ni{Lh6"
//! ```
//!
//! Items are indented by multiples of 4 spaces under their section; values may be
//! double- or single-quoted, or bare up to a `#` comment. czmq writes every value
//! quoted and the metadata into both files; pyzmq writes bare metadata values, and
//! only into the secret file. Both read each other's files, and so does this module.

use std::fmt;
use std::fs;
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use crate::curve::{CurveKeyPair, KEY_LEN, KEY_Z85_LEN};
use crate::socket::Socket;

/// The longest metadata name: ZMTP and ZAP carry names with a one-byte length.
const MAX_NAME_LEN: usize = 255;
/// The largest certificate file read. Real ones are a few hundred bytes; this
/// keeps a wrong path (a log, a disk image) from being read whole.
const MAX_FILE_LEN: u64 = 1 << 20;

/// What went wrong with a certificate, for [`CertificateError::kind`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum CertificateErrorKind {
    /// The file could not be read or written (see [`CertificateError::io_error`]).
    Io,
    /// The text is not valid ZPL (indentation, a missing quote, stray text).
    Syntax,
    /// A required section is missing (`curve`).
    MissingSection,
    /// A required key is missing: `public-key`, or `secret-key` where a secret
    /// certificate was asked for.
    MissingKey,
    /// A key is not 40 characters of Z85 text.
    KeyLength,
    /// A key has 40 characters, but not of Z85 (or not a value Z85 can hold).
    KeyEncoding,
    /// The secret key does not belong to the public key next to it.
    KeyMismatch,
    /// A section, key or metadata name appears twice.
    Duplicate,
    /// A secret certificate file can be read or written by other users (Unix).
    InsecurePermissions,
    /// A metadata name or value that the format cannot hold.
    InvalidMetadata,
    /// The linked libzmq has no CURVE support (to make or check keys).
    CurveUnavailable,
}

/// A certificate that could not be read, parsed or written: what, where (file and
/// line when known), and why, in words.
///
/// ```
/// let err = zmq::Certificate::parse("curve\n    public-key = \"tooshort\"\n").unwrap_err();
/// assert_eq!(err.kind(), zmq::CertificateErrorKind::KeyLength);
/// assert_eq!(err.line(), Some(2));
/// assert!(err.to_string().contains("40"), "{err}");
/// ```
#[derive(Debug)]
pub struct CertificateError {
    kind: CertificateErrorKind,
    path: Option<PathBuf>,
    line: Option<usize>,
    detail: String,
    source: Option<io::Error>,
}

impl CertificateError {
    pub(crate) fn new(kind: CertificateErrorKind, detail: impl Into<String>) -> CertificateError {
        CertificateError {
            kind,
            path: None,
            line: None,
            detail: detail.into(),
            source: None,
        }
    }

    fn at_line(mut self, line: usize) -> CertificateError {
        self.line = Some(line);
        self
    }

    fn io(path: &Path, doing: &str, e: io::Error) -> CertificateError {
        CertificateError {
            kind: CertificateErrorKind::Io,
            path: Some(path.to_path_buf()),
            line: None,
            detail: format!("cannot {doing}: {e}"),
            source: Some(e),
        }
    }

    /// Names the file the error is about (kept if one is set already).
    pub(crate) fn in_file(mut self, path: &Path) -> CertificateError {
        if self.path.is_none() {
            self.path = Some(path.to_path_buf());
        }
        self
    }

    /// The kind of error.
    pub fn kind(&self) -> CertificateErrorKind {
        self.kind
    }

    /// The file, when the error is about one.
    pub fn path(&self) -> Option<&Path> {
        self.path.as_deref()
    }

    /// The line (from 1) in the file or text, when the error is about one.
    pub fn line(&self) -> Option<usize> {
        self.line
    }

    /// The operating system's error, for [`CertificateErrorKind::Io`].
    pub fn io_error(&self) -> Option<&io::Error> {
        self.source.as_ref()
    }
}

impl fmt::Display for CertificateError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(path) = &self.path {
            write!(f, "{}: ", path.display())?;
        }
        if let Some(line) = self.line {
            write!(f, "line {line}: ")?;
        }
        f.write_str(&self.detail)
    }
}

impl std::error::Error for CertificateError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.source
            .as_ref()
            .map(|e| e as &(dyn std::error::Error + 'static))
    }
}

impl From<CertificateError> for io::Error {
    fn from(e: CertificateError) -> io::Error {
        let kind = match (&e.source, e.kind) {
            (Some(source), _) => source.kind(),
            (None, CertificateErrorKind::InsecurePermissions) => io::ErrorKind::PermissionDenied,
            (None, CertificateErrorKind::CurveUnavailable) => io::ErrorKind::Unsupported,
            (None, _) => io::ErrorKind::InvalidData,
        };
        io::Error::new(kind, e)
    }
}

/// A CURVE certificate: a public key, the secret key when it is known, and
/// metadata (name/value pairs, in order), as czmq's `zcert` keeps it.
///
/// ```
/// # if !zmq::has("curve") { return Ok(()); }
/// let dir = std::env::temp_dir().join(format!("zmq-cert-doc-{}", std::process::id()));
/// std::fs::create_dir_all(&dir)?;
///
/// let mut cert = zmq::Certificate::new()?;
/// cert.set_meta("name", "server one")?;
/// let path = dir.join("server.key");
/// cert.save(&path)?; // server.key (public) and server.key_secret (mode 0600)
///
/// let public = zmq::Certificate::load(&path)?;
/// assert_eq!(public.public_key(), cert.public_key());
/// assert_eq!(public.secret_key(), None);
/// assert_eq!(public.meta("name"), Some("server one"));
/// let secret = zmq::Certificate::load_secret(zmq::Certificate::secret_path(&path))?;
/// assert_eq!(secret.secret_key(), cert.secret_key());
///
/// // A CURVE server from the secret certificate, a client that knows its public one.
/// let ctx = zmq::Context::new()?;
/// let server = ctx.socket(zmq::REP)?;
/// server.set_curve_server(true)?;
/// secret.apply(&server)?;
/// server.bind("tcp://127.0.0.1:*")?;
/// let client = ctx.socket(zmq::REQ)?;
/// zmq::Certificate::new()?.apply(&client)?;
/// client.set_curve_serverkey(public.public_key())?;
/// client.connect(&server.get_last_endpoint()?)?;
/// client.send("hello", zmq::SendFlags::empty())?;
/// assert_eq!(server.recv_bytes(zmq::RecvFlags::empty())?, b"hello");
/// std::fs::remove_dir_all(&dir)?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, PartialEq, Eq)]
pub struct Certificate {
    public: [u8; KEY_LEN],
    secret: Option<[u8; KEY_LEN]>,
    metadata: Vec<(String, String)>,
}

impl fmt::Debug for Certificate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Certificate")
            .field("public", &self.public_z85())
            .field(
                "secret",
                &format_args!(
                    "{}",
                    if self.secret.is_some() {
                        "<redacted>"
                    } else {
                        "None"
                    }
                ),
            )
            .field("metadata", &self.metadata)
            .finish()
    }
}

/// Distinguishes the temporary files of concurrent saves in one process.
static SAVE_SEQUENCE: AtomicU64 = AtomicU64::new(0);

impl Certificate {
    /// A certificate with a new random key pair (`zmq_curve_keypair`) and no
    /// metadata. [`CertificateErrorKind::CurveUnavailable`] when the linked libzmq
    /// has no CURVE.
    pub fn new() -> Result<Certificate, CertificateError> {
        let pair = CurveKeyPair::new().map_err(|e| {
            CertificateError::new(
                CertificateErrorKind::CurveUnavailable,
                format!("cannot make a CURVE key pair: {e}"),
            )
        })?;
        Ok(Certificate::from_keypair(&pair))
    }

    /// A certificate of a known key pair, with no metadata.
    pub fn from_keypair(pair: &CurveKeyPair) -> Certificate {
        Certificate {
            public: pair.public,
            secret: Some(pair.secret),
            metadata: Vec::new(),
        }
    }

    /// A public certificate (no secret key) of a known public key.
    pub fn from_public_key(public: [u8; 32]) -> Certificate {
        Certificate {
            public,
            secret: None,
            metadata: Vec::new(),
        }
    }

    /// The public key, 32 bytes (what [`Socket::set_curve_serverkey`] and
    /// [`Authenticator::configure_curve`](crate::Authenticator::configure_curve)
    /// take).
    pub fn public_key(&self) -> &[u8; 32] {
        &self.public
    }

    /// The public key as 40 characters of Z85.
    pub fn public_z85(&self) -> String {
        crate::curve::key_to_z85(&self.public)
    }

    /// The secret key, when this certificate has it (one loaded from a public
    /// file has not).
    pub fn secret_key(&self) -> Option<&[u8; 32]> {
        self.secret.as_ref()
    }

    /// The secret key as 40 characters of Z85, when known.
    pub fn secret_z85(&self) -> Option<String> {
        self.secret.as_ref().map(crate::curve::key_to_z85)
    }

    /// The key pair, when the secret key is known.
    pub fn keypair(&self) -> Option<CurveKeyPair> {
        self.secret.map(|secret| CurveKeyPair {
            public: self.public,
            secret,
        })
    }

    /// The value of a metadata item.
    pub fn meta(&self, name: &str) -> Option<&str> {
        self.metadata
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    /// Every metadata item, in file order.
    pub fn metadata(&self) -> impl Iterator<Item = (&str, &str)> {
        self.metadata.iter().map(|(n, v)| (n.as_str(), v.as_str()))
    }

    /// Sets a metadata item (replacing one of the same name). The name is 1 to 255
    /// characters of `A-Z a-z 0-9 $ - _ @ . & + /` (ZPL names; not starting or
    /// ending with `/`); the value is text without control characters that does
    /// not hold both kinds of quote (the format has no escapes).
    /// [`CertificateErrorKind::InvalidMetadata`] otherwise.
    pub fn set_meta(&mut self, name: &str, value: &str) -> Result<(), CertificateError> {
        check_name(name)
            .map_err(|why| CertificateError::new(CertificateErrorKind::InvalidMetadata, why))?;
        if value.chars().any(char::is_control) {
            return Err(CertificateError::new(
                CertificateErrorKind::InvalidMetadata,
                format!("the value of {name:?} holds a control character"),
            ));
        }
        if value.contains('"') && value.contains('\'') {
            return Err(CertificateError::new(
                CertificateErrorKind::InvalidMetadata,
                format!("the value of {name:?} holds both kinds of quote, which ZPL cannot write"),
            ));
        }
        match self.metadata.iter_mut().find(|(n, _)| n == name) {
            Some(item) => item.1 = value.to_owned(),
            None => self.metadata.push((name.to_owned(), value.to_owned())),
        }
        Ok(())
    }

    /// Sets this certificate's keys on a socket for CURVE: `ZMQ_CURVE_PUBLICKEY`
    /// and `ZMQ_CURVE_SECRETKEY` (czmq's `zcert_apply`). A server then sets
    /// `curve_server`, a client its server's key. `EINVAL` for a certificate
    /// without a secret key.
    pub fn apply(&self, socket: &Socket) -> crate::Result<()> {
        let secret = self.secret.as_ref().ok_or(crate::Error::EINVAL)?;
        socket.set_curve_publickey(&self.public)?;
        socket.set_curve_secretkey(secret)
    }

    /// The path of the secret file that goes with the public file `path`:
    /// `path` with `_secret` appended (`server.key` -> `server.key_secret`).
    pub fn secret_path(path: impl AsRef<Path>) -> PathBuf {
        let mut name = path.as_ref().as_os_str().to_owned();
        name.push("_secret");
        PathBuf::from(name)
    }

    /// The public certificate as text (no secret key).
    pub fn to_public_text(&self) -> String {
        self.to_text(false)
    }

    /// The secret certificate as text (both keys); `None` without a secret key.
    pub fn to_secret_text(&self) -> Option<String> {
        self.secret.map(|_| self.to_text(true))
    }

    fn to_text(&self, with_secret: bool) -> String {
        let mut text = String::new();
        let written = format!("written {} UTC by the zmq Rust crate", utc_now_text());
        if with_secret {
            text.push_str("#   ZeroMQ CURVE secret certificate, ");
            text.push_str(&written);
            text.push_str(
                "\n#   It holds the secret key: keep it to yourself, readable by its owner only.\n",
            );
        } else {
            text.push_str("#   ZeroMQ CURVE public certificate, ");
            text.push_str(&written);
            text.push_str(
                "\n#   Give it to the peers that must know this key; check it arrived unaltered.\n",
            );
        }
        text.push_str("\nmetadata\n");
        for (name, value) in &self.metadata {
            let quote = if value.contains('"') { '\'' } else { '"' };
            text.push_str(&format!("    {name} = {quote}{value}{quote}\n"));
        }
        text.push_str("curve\n");
        text.push_str(&format!("    public-key = \"{}\"\n", self.public_z85()));
        if let (true, Some(secret)) = (with_secret, &self.secret) {
            text.push_str(&format!(
                "    secret-key = \"{}\"\n",
                crate::curve::key_to_z85(secret)
            ));
        }
        text
    }

    /// Reads a certificate from ZPL text (a public or a secret certificate; see the
    /// module docs for the format). Errors say what is wrong and on which line:
    /// a missing `curve` section or `public-key`, a key that is not 40 characters
    /// of Z85, duplicates, bad syntax, or a secret key that does not belong to the
    /// public key (checked when libzmq has CURVE).
    pub fn parse(text: &str) -> Result<Certificate, CertificateError> {
        let root = zpl::parse(text)?;
        let mut curve = None;
        let mut metadata_section = None;
        for node in &root.children {
            let slot = match node.name.as_str() {
                "curve" => &mut curve,
                "metadata" => &mut metadata_section,
                _ => continue, // other sections are not ours: ignored, as czmq does
            };
            if slot.is_some() {
                return Err(CertificateError::new(
                    CertificateErrorKind::Duplicate,
                    format!("a second {:?} section", node.name),
                )
                .at_line(node.line));
            }
            *slot = Some(node);
        }
        let curve = curve.ok_or_else(|| {
            CertificateError::new(
                CertificateErrorKind::MissingSection,
                "no \"curve\" section (it holds the public-key)",
            )
        })?;
        let mut public = None;
        let mut secret = None;
        for item in &curve.children {
            let slot = match item.name.as_str() {
                "public-key" => &mut public,
                "secret-key" => &mut secret,
                _ => continue,
            };
            if slot.is_some() {
                return Err(CertificateError::new(
                    CertificateErrorKind::Duplicate,
                    format!("a second {} in the curve section", item.name),
                )
                .at_line(item.line));
            }
            *slot = Some((
                decode_key(&item.name, &item.value).map_err(|e| e.at_line(item.line))?,
                item.line,
            ));
        }
        let (public, _) = public.ok_or_else(|| {
            CertificateError::new(
                CertificateErrorKind::MissingKey,
                "the curve section has no public-key",
            )
            .at_line(curve.line)
        })?;
        if let Some((secret, line)) = secret {
            check_pair(&public, &secret).map_err(|e| e.at_line(line))?;
        }
        let mut cert = Certificate {
            public,
            secret: secret.map(|(s, _)| s),
            metadata: Vec::new(),
        };
        if let Some(section) = metadata_section {
            for item in &section.children {
                if cert.meta(&item.name).is_some() {
                    return Err(CertificateError::new(
                        CertificateErrorKind::Duplicate,
                        format!("a second metadata item {:?}", item.name),
                    )
                    .at_line(item.line));
                }
                cert.set_meta(&item.name, &item.value)
                    .map_err(|e| e.at_line(item.line))?;
            }
        }
        Ok(cert)
    }

    /// Loads the certificate file at `path`, public or secret, as written by
    /// [`Certificate::save`], czmq's `zcert_save` or pyzmq's
    /// `zmq.auth.create_certificates`.
    ///
    /// A file that holds a secret key must not be accessible to other users (on
    /// Unix: no permission bit for "others", as `0600` or `0640`), else
    /// [`CertificateErrorKind::InsecurePermissions`]: a secret anyone can read
    /// is no secret. (pyzmq writes its secret files with the process's umask, often
    /// `0644`: `chmod 600` them.) Every other problem is an error naming the file
    /// and line (see [`Certificate::parse`]).
    pub fn load(path: impl AsRef<Path>) -> Result<Certificate, CertificateError> {
        let path = path.as_ref();
        let (text, mode) = read_file(path)?;
        let cert = Certificate::parse(&text).map_err(|e| e.in_file(path))?;
        if cert.secret.is_some() {
            check_private(path, mode)?;
        }
        Ok(cert)
    }

    /// Like [`Certificate::load`], for a file that must hold the secret key
    /// ([`CertificateErrorKind::MissingKey`] otherwise), e.g.
    /// `Certificate::load_secret(Certificate::secret_path("server.key"))`.
    pub fn load_secret(path: impl AsRef<Path>) -> Result<Certificate, CertificateError> {
        let path = path.as_ref();
        let cert = Certificate::load(path)?;
        if cert.secret.is_none() {
            return Err(CertificateError::new(
                CertificateErrorKind::MissingKey,
                "no secret-key in the curve section: this is a public certificate",
            )
            .in_file(path));
        }
        Ok(cert)
    }

    /// Saves the certificate as czmq does: the public certificate at `path`, and
    /// the secret one at [`Certificate::secret_path`]`(path)` with permissions for
    /// its owner only (`0600` on Unix). Without a secret key only the public file
    /// is written. Each file is written to a temporary file in the same directory
    /// and renamed over the target, so a reader never sees half a certificate and
    /// an existing secret file never keeps looser permissions.
    pub fn save(&self, path: impl AsRef<Path>) -> Result<(), CertificateError> {
        let path = path.as_ref();
        self.save_public(path)?;
        if self.secret.is_some() {
            self.save_secret(Certificate::secret_path(path))?;
        }
        Ok(())
    }

    /// Writes the public certificate (no secret key) to `path`.
    pub fn save_public(&self, path: impl AsRef<Path>) -> Result<(), CertificateError> {
        write_atomically(path.as_ref(), &self.to_public_text(), false)
    }

    /// Writes the secret certificate to `path`, readable and writable by its owner
    /// only (`0600` on Unix). [`CertificateErrorKind::MissingKey`] without a
    /// secret key.
    pub fn save_secret(&self, path: impl AsRef<Path>) -> Result<(), CertificateError> {
        let path = path.as_ref();
        let text = self.to_secret_text().ok_or_else(|| {
            CertificateError::new(
                CertificateErrorKind::MissingKey,
                "cannot write a secret certificate without its secret key",
            )
            .in_file(path)
        })?;
        write_atomically(path, &text, true)
    }
}

/// Checks a ZPL name as [`Certificate::set_meta`] documents; the reason if not.
fn check_name(name: &str) -> Result<(), String> {
    if name.is_empty() || name.len() > MAX_NAME_LEN {
        return Err(format!(
            "a metadata name has 1 to {MAX_NAME_LEN} characters, not {}",
            name.len()
        ));
    }
    if !name.bytes().all(zpl::is_name_byte) || name.starts_with('/') || name.ends_with('/') {
        return Err(format!(
            "{name:?} is not a ZPL name (A-Z a-z 0-9 $ - _ @ . & + /, no / at either end)"
        ));
    }
    Ok(())
}

/// A 40-character Z85 key value as 32 bytes.
fn decode_key(name: &str, value: &str) -> Result<[u8; KEY_LEN], CertificateError> {
    if value.len() != KEY_Z85_LEN {
        return Err(CertificateError::new(
            CertificateErrorKind::KeyLength,
            format!(
                "{name} is {} characters long; a CURVE key in Z85 has {KEY_Z85_LEN}",
                value.chars().count()
            ),
        ));
    }
    let bytes = crate::curve::z85_decode(value).map_err(|_| {
        CertificateError::new(
            CertificateErrorKind::KeyEncoding,
            format!("{name} is not Z85 text (RFC 32): {value:?}"),
        )
    })?;
    bytes.try_into().map_err(|_| {
        CertificateError::new(
            CertificateErrorKind::KeyEncoding,
            format!("{name} is not a key"),
        )
    })
}

/// Checks that `secret` is the secret key of `public`, when libzmq can tell.
fn check_pair(public: &[u8; KEY_LEN], secret: &[u8; KEY_LEN]) -> Result<(), CertificateError> {
    if !crate::has("curve") {
        return Ok(());
    }
    match CurveKeyPair::from_secret(*secret) {
        Ok(pair) if pair.public == *public => Ok(()),
        Ok(_) => Err(CertificateError::new(
            CertificateErrorKind::KeyMismatch,
            "secret-key does not belong to public-key (its public key is another)",
        )),
        Err(e) => Err(CertificateError::new(
            CertificateErrorKind::CurveUnavailable,
            format!("cannot check secret-key against public-key: {e}"),
        )),
    }
}

/// The file's text and its permission bits (Unix; 0 elsewhere), read from one
/// open file, so that the bits checked are those of the file read.
fn read_file(path: &Path) -> Result<(String, u32), CertificateError> {
    let file = fs::File::open(path).map_err(|e| CertificateError::io(path, "open it", e))?;
    let meta = file
        .metadata()
        .map_err(|e| CertificateError::io(path, "read its metadata", e))?;
    if !meta.is_file() {
        return Err(
            CertificateError::new(CertificateErrorKind::Io, "not a regular file").in_file(path),
        );
    }
    if meta.len() > MAX_FILE_LEN {
        return Err(CertificateError::new(
            CertificateErrorKind::Syntax,
            format!(
                "{} bytes: too large for a certificate (at most {MAX_FILE_LEN})",
                meta.len()
            ),
        )
        .in_file(path));
    }
    #[cfg(unix)]
    let mode = {
        use std::os::unix::fs::PermissionsExt;
        meta.permissions().mode()
    };
    #[cfg(not(unix))]
    let mode = 0;
    let mut text = String::new();
    io::Read::read_to_string(&mut io::Read::take(&file, MAX_FILE_LEN), &mut text)
        .map_err(|e| CertificateError::io(path, "read it as UTF-8 text", e))?;
    Ok((text, mode))
}

/// Refuses a secret file that other users may read or write (Unix).
fn check_private(path: &Path, mode: u32) -> Result<(), CertificateError> {
    if cfg!(unix) && mode & 0o007 != 0 {
        return Err(CertificateError::new(
            CertificateErrorKind::InsecurePermissions,
            format!(
                "holds a secret key but other users may access it (mode {:04o}): \
                 make it private, e.g. chmod 600 {}",
                mode & 0o7777,
                path.display()
            ),
        )
        .in_file(path));
    }
    Ok(())
}

/// Writes `text` to a new temporary file next to `path` (mode 0600 when
/// `private`, else the usual 0666 less the umask), flushes it to disk and renames
/// it over `path`.
fn write_atomically(path: &Path, text: &str, private: bool) -> Result<(), CertificateError> {
    let dir = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    let file_name = path.file_name().ok_or_else(|| {
        CertificateError::new(CertificateErrorKind::Io, "not a file name").in_file(path)
    })?;
    let mut tmp_name = std::ffi::OsString::from(".");
    tmp_name.push(file_name);
    tmp_name.push(format!(
        ".tmp-{}-{}",
        std::process::id(),
        SAVE_SEQUENCE.fetch_add(1, Ordering::Relaxed)
    ));
    let tmp = dir.join(tmp_name);
    let mut options = fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    if private {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    #[cfg(not(unix))]
    let _ = private;
    let result = (|| {
        let mut file = options.open(&tmp)?;
        file.write_all(text.as_bytes())?;
        file.sync_all()?;
        drop(file);
        fs::rename(&tmp, path)
    })();
    result.map_err(|e| {
        let _ = fs::remove_file(&tmp);
        CertificateError::io(path, "write it", e)
    })
}

/// The current time as `YYYY-MM-DD HH:MM:SS` (UTC), for the files' comment.
fn utc_now_text() -> String {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    let (days, rest) = (secs / 86_400, secs % 86_400);
    let (year, month, day) = civil_from_days(days as i64);
    format!(
        "{year:04}-{month:02}-{day:02} {:02}:{:02}:{:02}",
        rest / 3600,
        rest % 3600 / 60,
        rest % 60
    )
}

/// The proleptic Gregorian date of a day count since 1970-01-01 (the well-known
/// era-based conversion: 400-year eras of 146 097 days, years starting in March).
fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let day_of_era = z.rem_euclid(146_097);
    let year_of_era =
        (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let month_index = (5 * day_of_year + 2) / 153;
    let day = (day_of_year - (153 * month_index + 2) / 5 + 1) as u32;
    let month = if month_index < 10 {
        month_index + 3
    } else {
        month_index - 9
    } as u32;
    let year = year_of_era + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

/// A reader of ZPL (ZeroMQ RFC 4) text into a tree of named items.
mod zpl {
    use super::{CertificateError, CertificateErrorKind};

    /// One item: a name, its value ("" for a section header), its line, and the
    /// items indented under it.
    #[derive(Debug, Default)]
    pub(super) struct Node {
        pub name: String,
        pub value: String,
        pub line: usize,
        pub children: Vec<Node>,
    }

    /// Whether a byte may appear in a ZPL name.
    pub(super) fn is_name_byte(b: u8) -> bool {
        b.is_ascii_alphanumeric() || b"$-_@.&+/".contains(&b)
    }

    fn syntax(line: usize, why: impl Into<String>) -> CertificateError {
        CertificateError::new(CertificateErrorKind::Syntax, why).at_line(line)
    }

    /// Parses `text`; the root node holds the top-level items. The whole text is
    /// valid or none of it is.
    pub(super) fn parse(text: &str) -> Result<Node, CertificateError> {
        let mut root = Node::default();
        for (index, raw) in text.split('\n').enumerate() {
            let line = index + 1;
            let trimmed = raw.trim_end();
            let content = trimmed.trim_start_matches(' ');
            if content.is_empty() || content.starts_with('#') {
                continue;
            }
            let indent = trimmed.len() - content.len();
            if indent % 4 != 0 {
                return Err(syntax(
                    line,
                    format!("indented by {indent} spaces; ZPL indents by 4 spaces a level"),
                ));
            }
            let (name, value) = parse_item(line, content)?;
            // The parent is the latest item at depth `indent / 4` (the root is 0).
            let mut parent = &mut root;
            for _ in 0..indent / 4 {
                parent = match parent.children.last_mut() {
                    Some(child) => child,
                    None => {
                        return Err(syntax(line, "indented deeper than the item above it"));
                    }
                };
            }
            parent.children.push(Node {
                name,
                value,
                line,
                children: Vec::new(),
            });
        }
        Ok(root)
    }

    /// One item's name and value, from a line stripped of its indentation.
    fn parse_item(line: usize, content: &str) -> Result<(String, String), CertificateError> {
        let name_len = content.bytes().take_while(|&b| is_name_byte(b)).count();
        let name = &content[..name_len];
        if name.is_empty() {
            return Err(syntax(
                line,
                format!("expected a name, found {:?}", first_char(content)),
            ));
        }
        if name.starts_with('/') || name.ends_with('/') {
            return Err(syntax(
                line,
                format!("{name:?}: '/' may not start or end a name"),
            ));
        }
        let rest = content[name_len..].trim_start();
        let Some(after_equals) = rest.strip_prefix('=') else {
            return match rest.chars().next() {
                None | Some('#') => Ok((name.to_owned(), String::new())),
                Some(c) => Err(syntax(
                    line,
                    format!("unexpected {c:?} after the name {name:?} (expected '=')"),
                )),
            };
        };
        let value_text = after_equals.trim_start();
        let value = match value_text.chars().next() {
            Some(quote @ ('"' | '\'')) => {
                let inner = &value_text[1..];
                let Some(end) = inner.find(quote) else {
                    return Err(syntax(
                        line,
                        format!("the value of {name:?} misses its closing {quote}"),
                    ));
                };
                let after = inner[end + 1..].trim_start();
                if !(after.is_empty() || after.starts_with('#')) {
                    return Err(syntax(
                        line,
                        format!("unexpected text after the quoted value of {name:?}: {after:?}"),
                    ));
                }
                &inner[..end]
            }
            _ => match value_text.find('#') {
                Some(comment) => value_text[..comment].trim_end(),
                None => value_text,
            },
        };
        if let Some(c) = value.chars().find(|c| c.is_control()) {
            return Err(syntax(
                line,
                format!("the value of {name:?} holds the control character {c:?}"),
            ));
        }
        Ok((name.to_owned(), value.to_owned()))
    }

    fn first_char(s: &str) -> char {
        s.chars().next().unwrap_or(' ')
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const PUBLIC: &str = "rq:rM>}U?@Lns47E1%kR.o@n%FcmmsL/@{H8]yf7";
    const SECRET: &str = "JTKVSB%%)wK0E.X)V>+}o?pNmC{O&4W4b!Ni{Lh6";

    #[test]
    fn civil_dates() {
        assert_eq!(civil_from_days(0), (1970, 1, 1));
        assert_eq!(civil_from_days(11_016), (2000, 2, 29));
        assert_eq!(civil_from_days(19_723), (2024, 1, 1));
        assert_eq!(civil_from_days(-1), (1969, 12, 31));
    }

    #[test]
    fn czmq_and_pyzmq_layouts_parse() {
        let czmq = format!(
            "#   ****  a comment  ****\n\nmetadata\n    name = \"Pieter\"\n    email = 'ph@example.com'\ncurve\n    public-key = \"{PUBLIC}\"\n    secret-key = \"{SECRET}\"\n"
        );
        let cert = Certificate::parse(&czmq).unwrap();
        assert_eq!(cert.public_z85(), PUBLIC);
        assert_eq!(cert.secret_z85().as_deref(), Some(SECRET));
        assert_eq!(cert.meta("name"), Some("Pieter"));
        assert_eq!(cert.meta("email"), Some("ph@example.com"));
        // pyzmq: bare metadata values, CRLF line ends, a trailing comment.
        let pyzmq = format!(
            "#   comment\r\n\r\nmetadata\r\n    role = worker # bare, comment cut\r\ncurve\r\n    public-key = \"{PUBLIC}\"\r\n"
        );
        let cert = Certificate::parse(&pyzmq).unwrap();
        assert_eq!(cert.meta("role"), Some("worker"));
        assert_eq!(cert.secret_key(), None);
        // No metadata section at all, an unknown section, indented comments.
        let bare = format!("other\n    x = 1\ncurve\n    # note\n    public-key = {PUBLIC}\n");
        assert_eq!(Certificate::parse(&bare).unwrap().public_z85(), PUBLIC);
    }

    #[test]
    fn round_trip_through_text() {
        let mut cert = Certificate::from_public_key(
            *Certificate::parse(&format!("curve\n    public-key = \"{PUBLIC}\"\n"))
                .unwrap()
                .public_key(),
        );
        cert.set_meta("name", "it's \"quoted\"").unwrap_err();
        cert.set_meta("name", "say \"hi\"").unwrap();
        cert.set_meta("org", "it's").unwrap();
        cert.set_meta("org", "replaced").unwrap();
        let back = Certificate::parse(&cert.to_public_text()).unwrap();
        assert_eq!(back, cert);
        assert_eq!(
            back.metadata().collect::<Vec<_>>(),
            [("name", "say \"hi\""), ("org", "replaced")]
        );
        assert!(cert.to_secret_text().is_none());
    }

    #[test]
    fn bad_texts_say_what_and_where() {
        use CertificateErrorKind as K;
        let key = |k: &str| format!("curve\n    public-key = \"{k}\"\n");
        let cases: Vec<(String, K, Option<usize>)> = vec![
            (key("short"), K::KeyLength, Some(2)),
            (key(&format!("{PUBLIC}0")), K::KeyLength, Some(2)),
            (key(&PUBLIC.replace('r', " ")), K::KeyEncoding, Some(2)),
            (key(&"#".repeat(40)), K::KeyEncoding, Some(2)),
            ("metadata\n    a = 1\n".into(), K::MissingSection, None),
            (
                "curve\n    secret-key = \"x\"\n".into(),
                K::KeyLength,
                Some(2),
            ),
            ("curve\n".into(), K::MissingKey, Some(1)),
            (format!("{}curve\n", key(PUBLIC)), K::Duplicate, Some(3)),
            (
                format!("{}    public-key = \"{PUBLIC}\"\n", key(PUBLIC)),
                K::Duplicate,
                Some(3),
            ),
            (
                format!("metadata\n    a = 1\n    a = 2\n{}", key(PUBLIC)),
                K::Duplicate,
                Some(3),
            ),
            ("curve\n  public-key = x\n".into(), K::Syntax, Some(2)),
            ("curve\n\tpublic-key = x\n".into(), K::Syntax, Some(2)),
            (
                "curve\n    public-key = \"unterminated\n".into(),
                K::Syntax,
                Some(2),
            ),
            (
                "curve\n    public-key = \"x\" junk\n".into(),
                K::Syntax,
                Some(2),
            ),
            ("curve junk\n".into(), K::Syntax, Some(1)),
            ("= value\n".into(), K::Syntax, Some(1)),
            ("        deep\n".into(), K::Syntax, Some(1)),
            ("/curve\n".into(), K::Syntax, Some(1)),
            (
                format!("metadata\n    {} = 1\n{}", "n".repeat(256), key(PUBLIC)),
                K::InvalidMetadata,
                Some(2),
            ),
        ];
        for (text, kind, line) in cases {
            let err = Certificate::parse(&text).unwrap_err();
            assert_eq!((err.kind(), err.line()), (kind, line), "{text:?}: {err}");
            assert!(!err.to_string().is_empty());
        }
    }

    #[test]
    fn a_secret_key_of_another_public_key_is_refused() {
        if !crate::has("curve") {
            return;
        }
        let other = CurveKeyPair::new().unwrap();
        let text = format!(
            "curve\n    public-key = \"{PUBLIC}\"\n    secret-key = \"{}\"\n",
            other.secret_z85()
        );
        let err = Certificate::parse(&text).unwrap_err();
        assert_eq!(err.kind(), CertificateErrorKind::KeyMismatch);
        assert_eq!(err.line(), Some(3));
    }

    #[test]
    fn debug_hides_the_secret() {
        let cert = Certificate::parse(&format!(
            "curve\n    public-key = \"{PUBLIC}\"\n    secret-key = \"{SECRET}\"\n"
        ))
        .unwrap();
        let shown = format!("{cert:?}");
        assert!(shown.contains(PUBLIC) && !shown.contains(SECRET), "{shown}");
        assert!(shown.contains("<redacted>"), "{shown}");
    }
}
