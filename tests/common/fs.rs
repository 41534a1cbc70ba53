//! Scratch directories for the tests that need files (certificates, `ipc://`
//! endpoints).

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};

/// A fresh directory under the system's temporary directory, removed (with what
/// it holds) when dropped, also when the test fails. Its name holds `tag`, the
/// process id and a counter, so tests running side by side never share one.
pub struct TempDir(PathBuf);

impl TempDir {
    /// Creates the directory (removing a leftover of the same name first).
    pub fn new(tag: &str) -> TempDir {
        static COUNTER: AtomicUsize = AtomicUsize::new(0);
        let dir = std::env::temp_dir().join(format!(
            "zmq-test-{tag}-{}-{}",
            std::process::id(),
            COUNTER.fetch_add(1, Ordering::Relaxed)
        ));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        TempDir(dir)
    }

    /// The directory.
    pub fn path(&self) -> &Path {
        &self.0
    }

    /// `name` inside the directory.
    pub fn join(&self, name: &str) -> PathBuf {
        self.0.join(name)
    }

    /// An `ipc://` endpoint for a socket file `name` inside the directory.
    pub fn ipc_endpoint(&self, name: &str) -> String {
        format!("ipc://{}", self.join(name).display())
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}
