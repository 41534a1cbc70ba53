//! What libzmq 4.3.5 would abort on, corrupt memory with, or hang in, and what the
//! safe API does instead. Each dangerous case runs in a child process
//! ([`common::child`]): where a control shows the raw libzmq call misbehaving, the
//! same scenario through the safe API must end cleanly with an error.
#![forbid(unsafe_code)]

mod common;

use common::child::isolated;

/// The harness itself: a panic in the child is a test failure (exit code 101)...
#[test]
fn child_harness_sees_a_panic() {
    let outcome = isolated("child_harness_sees_a_panic", || panic!("a test failure"));
    assert!(!outcome.clean() && !outcome.crashed(), "{outcome:?}");
}

/// ... and an abort is a crash.
#[test]
fn child_harness_sees_an_abort() {
    let outcome = isolated("child_harness_sees_an_abort", || std::process::abort());
    outcome.assert_crashed();
    assert!(!outcome.clean());
}
