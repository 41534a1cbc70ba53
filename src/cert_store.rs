//! [`CertificateStore`]: the public certificates of a directory, as czmq's
//! `zcertstore` and pyzmq's `zmq.auth.load_certificates` read them.

use std::collections::HashMap;
use std::fs;
use std::path::{Path, PathBuf};

use crate::certificate::{Certificate, CertificateError, CertificateErrorKind};
use crate::curve::KEY_LEN;

/// The public certificates found in one directory, by public key: the CURVE
/// clients a server admits, as czmq's `zcertstore` keeps them.
///
/// [`CertificateStore::load`] reads every regular file of the directory (not its
/// subdirectories) except secret certificates (names ending in `_secret`, which
/// are not even opened) and hidden files (names starting with `.`, e.g. the
/// temporary files of [`Certificate::save`] or of an editor). Every file read must
/// be a certificate: a file that is not is an error naming it, not a client
/// silently left out. Two files with the same public key are an error too.
/// [`CertificateStore::reload`] reads the directory again, all or nothing.
///
/// [`Authenticator::configure_curve_certificates`](crate::Authenticator::configure_curve_certificates)
/// admits the clients of a directory and reloads it when asked.
///
/// ```
/// # if !zmq::has("curve") { return Ok(()); }
/// let dir = std::env::temp_dir().join(format!("zmq-store-doc-{}", std::process::id()));
/// std::fs::create_dir_all(&dir)?;
/// let alice = zmq::Certificate::new()?;
/// alice.save(dir.join("alice.key"))?; // alice.key + alice.key_secret
/// let mut store = zmq::CertificateStore::load(&dir)?;
/// assert_eq!(store.len(), 1);
/// assert!(store.get(alice.public_key()).is_some());
///
/// let bob = zmq::Certificate::new()?;
/// bob.save_public(dir.join("bob.key"))?;
/// store.reload()?;
/// assert_eq!(store.len(), 2);
/// std::fs::remove_dir_all(&dir)?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Debug)]
pub struct CertificateStore {
    dir: PathBuf,
    certificates: HashMap<[u8; KEY_LEN], Certificate>,
}

impl CertificateStore {
    /// Reads the public certificates of `dir` (see the type's docs for which files).
    /// An error names the file and what is wrong with it.
    pub fn load(dir: impl AsRef<Path>) -> Result<CertificateStore, CertificateError> {
        let dir = dir.as_ref().to_path_buf();
        let certificates = read_dir(&dir)?;
        Ok(CertificateStore { dir, certificates })
    }

    /// Reads the directory again. On error the store is left as it was.
    pub fn reload(&mut self) -> Result<(), CertificateError> {
        self.certificates = read_dir(&self.dir)?;
        Ok(())
    }

    /// The directory the certificates come from.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The certificate of a public key, if the directory has one.
    pub fn get(&self, public_key: &[u8; 32]) -> Option<&Certificate> {
        self.certificates.get(public_key)
    }

    /// Whether the directory has a certificate for this public key.
    pub fn contains(&self, public_key: &[u8; 32]) -> bool {
        self.certificates.contains_key(public_key)
    }

    /// How many certificates were read.
    pub fn len(&self) -> usize {
        self.certificates.len()
    }

    /// Whether no certificate was read.
    pub fn is_empty(&self) -> bool {
        self.certificates.is_empty()
    }

    /// Every certificate, in no particular order.
    pub fn iter(&self) -> impl Iterator<Item = &Certificate> {
        self.certificates.values()
    }
}

/// Whether a directory entry of this name is read as a public certificate.
fn is_public_certificate_name(name: &std::ffi::OsStr) -> bool {
    let name = name.to_string_lossy();
    !name.starts_with('.') && !name.ends_with("_secret")
}

fn read_dir(dir: &Path) -> Result<HashMap<[u8; KEY_LEN], Certificate>, CertificateError> {
    let io = |doing: &str, e: std::io::Error| {
        CertificateError::new(CertificateErrorKind::Io, format!("cannot {doing}: {e}")).in_file(dir)
    };
    let mut names = Vec::new();
    for entry in fs::read_dir(dir).map_err(|e| io("list the directory", e))? {
        let entry = entry.map_err(|e| io("list the directory", e))?;
        if !is_public_certificate_name(&entry.file_name()) {
            continue;
        }
        // Symbolic links count as what they point to.
        let meta = fs::metadata(entry.path()).map_err(|e| io("read a file's metadata", e))?;
        if meta.is_file() {
            names.push(entry.path());
        }
    }
    // In name order, so that which of two duplicates is reported is stable.
    names.sort();
    let mut certificates: HashMap<[u8; KEY_LEN], Certificate> = HashMap::with_capacity(names.len());
    let mut from: HashMap<[u8; KEY_LEN], PathBuf> = HashMap::with_capacity(names.len());
    for path in names {
        let cert = Certificate::load(&path)?;
        if let Some(first) = from.get(cert.public_key()) {
            return Err(CertificateError::new(
                CertificateErrorKind::Duplicate,
                format!("the same public key as {}", first.display()),
            )
            .in_file(&path));
        }
        from.insert(*cert.public_key(), path);
        certificates.insert(*cert.public_key(), cert);
    }
    Ok(certificates)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn which_names_are_read() {
        for (name, read) in [
            ("client.key", true),
            ("client", true),
            ("client.key_secret", false),
            ("mycert.txt_secret", false),
            (".client.key.tmp-1-2", false),
            (".hidden", false),
            ("secret", true),
        ] {
            assert_eq!(
                is_public_certificate_name(std::ffi::OsStr::new(name)),
                read,
                "{name}"
            );
        }
    }
}
