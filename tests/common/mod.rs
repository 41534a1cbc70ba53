//! Helpers shared by the integration tests (each test file includes this with `mod common;`).
#![allow(dead_code)] // each test file uses its own subset

use std::sync::mpsc;
use std::thread;
use std::time::Duration;

/// Runs `f` on its own thread and fails the test if it has not finished within
/// `limit`, so a deadlock or a missed wake-up shows as a failure instead of a hung
/// test run. A panic inside `f` fails the test too.
pub fn within<T: Send + 'static>(limit: Duration, f: impl FnOnce() -> T + Send + 'static) -> T {
    let (tx, rx) = mpsc::channel();
    thread::spawn(move || {
        let _ = tx.send(f());
    });
    rx.recv_timeout(limit)
        .expect("timed out (deadlock or missed wake-up?) or the test panicked")
}
