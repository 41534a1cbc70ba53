//! Reads what zmq-sys found (its `DEP_ZMQ_*` metadata) and passes it to the crate:
//! the header version as `ZMQ_HEADER_VERSION` and cfgs for the link mode.

use std::env;

fn main() {
    // zmq-sys always prints these; a missing one means a mismatched zmq-sys.
    let version = env::var("DEP_ZMQ_VERSION").unwrap_or_else(|_| "unknown".into());
    let number: u32 = env::var("DEP_ZMQ_VERSION_NUMBER")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(0);
    let vendored = env::var("DEP_ZMQ_VENDORED").as_deref() == Ok("1");

    println!("cargo:rustc-check-cfg=cfg(zmq_vendored)");
    println!("cargo:rustc-check-cfg=cfg(zmq_at_least_4_3_5)");
    println!("cargo:rustc-env=ZMQ_HEADER_VERSION={version}");
    // The target triple, for the tests that start their own executable again through
    // cargo's runner for that target (tests/common/child.rs).
    let target = env::var("TARGET").unwrap_or_default();
    println!("cargo:rustc-env=ZMQ_BUILD_TARGET={target}");
    if vendored {
        println!("cargo:rustc-cfg=zmq_vendored");
    }
    if number >= 40305 {
        println!("cargo:rustc-cfg=zmq_at_least_4_3_5");
    }
}
