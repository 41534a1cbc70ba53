//! The one bindgen configuration, shared by `cargo xtask bindgen` (which writes the
//! committed `src/bindings.rs` and `src/draft.rs`) and by the `bindgen` feature of the
//! build script (which regenerates the declarations into `OUT_DIR` at build time).

use std::path::Path;

/// Types whose layout depends on the platform; `src/lib.rs` writes them by hand with
/// `#[cfg]`, so the committed declarations stay valid on every target.
pub const HAND_WRITTEN_TYPES: &[&str] = &[
    "zmq_msg_t",
    "zmq_pollitem_t",
    "zmq_fd_t",
    "zmq_poller_event_t",
];

/// System types the declarations use; `src/lib.rs` takes them from `libc`.
pub const LIBC_TYPES: &[&str] = &["iovec", "sigset_t", "__sigset_t"];

/// The oldest Rust the generated code must compile with (the workspace's rust-version).
pub const RUST_TARGET_MINOR: u64 = 77;

/// A bindgen builder for `zmq.h` in `include_dir`, with the draft API when `draft`.
pub fn builder(include_dir: &Path, draft: bool) -> bindgen::Builder {
    let header = include_dir.join("zmq.h");
    let mut b = bindgen::Builder::default()
        .header(header.to_string_lossy().into_owned())
        .clang_arg(format!("-I{}", include_dir.display()))
        .allowlist_function("zmq_.*")
        .allowlist_type("zmq_.*")
        .allowlist_var("ZMQ_.*")
        // libzmq's own error numbers (ZMQ_HAUSNUMERO + n: the same on every platform).
        // The POSIX ones it defines only where the platform lacks them come from `libc`.
        .allowlist_var("ETERM|EFSM|ENOCOMPATPROTO|EMTHREAD")
        // Plain `i32` constants: the safe crate passes them to `c_int` parameters as they are.
        .default_macro_constant_type(bindgen::MacroTypeVariation::Signed)
        .layout_tests(false)
        .derive_default(false)
        .derive_debug(false)
        .generate_comments(false)
        .size_t_is_usize(true)
        .use_core()
        .ctypes_prefix("::core::ffi")
        .sort_semantically(true)
        .merge_extern_blocks(true);
    if let Ok(target) = bindgen::RustTarget::stable(RUST_TARGET_MINOR, 0) {
        b = b.rust_target(target);
    }
    for ty in HAND_WRITTEN_TYPES.iter().chain(LIBC_TYPES) {
        b = b.blocklist_type(ty);
    }
    if draft {
        b = b.clang_arg("-DZMQ_BUILD_DRAFT_API=1");
    }
    b
}
