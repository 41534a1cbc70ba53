//! The tokio runtime of the async tests (feature `tokio`), with a deadline.

use std::future::Future;
use std::time::Duration;

/// A multi-threaded runtime with two workers, timers and I/O: what an
/// application's `#[tokio::main]` gives, sized for CI's two cores.
pub fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap()
}

/// Runs `f` as a task on a fresh [`runtime`] and returns its output; fails the
/// test when it takes longer than `limit` (a lost wake-up or a deadlock) or when
/// the task panics.
pub fn run_within<F, T>(limit: Duration, f: F) -> T
where
    F: Future<Output = T> + Send + 'static,
    T: Send + 'static,
{
    runtime().block_on(async move {
        tokio::time::timeout(limit, tokio::spawn(f))
            .await
            .expect("timed out: a lost wake-up or a deadlock")
            .expect("the test task panicked")
    })
}
