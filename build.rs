//! Build script of the `zmq` crate. Its one job: pass the target triple to the tests
//! (`ZMQ_BUILD_TARGET`), which start their own test executable again through cargo's
//! runner for that target (`tests/common/child.rs`; qemu or wine when cross-testing).
//!
//! What it deliberately does not do: turn zmq-sys's `DEP_ZMQ_*` metadata into cfgs.
//! The libzmq a program runs with can differ from the headers it was built against
//! (a shared system libzmq is upgraded in place), so the safe layer decides the
//! 4.3.4/4.3.5 differences at run time from `zmq::version()` (e.g. the steerable
//! proxy's commands, `src/proxy.rs`), and reads the link mode and header version from
//! `zmq::sys::vendored()` and `zmq::sys::HEADER_VERSION`, which zmq-sys sets.

fn main() {
    let target = std::env::var("TARGET").unwrap_or_default();
    println!("cargo:rustc-env=ZMQ_BUILD_TARGET={target}");
    println!("cargo:rerun-if-changed=build.rs");
}
