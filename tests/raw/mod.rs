//! libzmq called straight through `zmq::sys`, past every check of the safe layer:
//! the **controls** of `tests/hardening.rs` and `tests/hardening_audit.rs`, which
//! show that a danger the safe API guards against is real in the linked libzmq.
//!
//! This module holds `unsafe` code, so it is not part of `tests/common` (most test
//! files `forbid(unsafe_code)`): only the hardening suites include it (`mod raw;`),
//! and call its functions in child processes (`common::child`). Each returns
//! libzmq's own result (`0` or a count, `-1` with errno set).
#![allow(dead_code)] // each suite uses its own subset
#![allow(unsafe_code)] // the point of this module; one FFI call per block

use std::ffi::CString;

use zmq::{Context, SendFlags, Socket};

/// `zmq_send` of one frame.
pub fn send(socket: &Socket, data: &[u8], flags: SendFlags) -> i32 {
    // SAFETY: a live socket used by this thread only; `data` is readable for its
    // length and libzmq copies it before the call returns.
    unsafe {
        zmq::sys::zmq_send(
            socket.as_raw(),
            data.as_ptr().cast(),
            data.len(),
            flags.bits(),
        )
    }
}

/// `zmq_recv` into `buf` (blocking).
pub fn recv(socket: &Socket, buf: &mut [u8]) -> i32 {
    // SAFETY: a live socket used by this thread only, and buf.len() writable bytes.
    unsafe { zmq::sys::zmq_recv(socket.as_raw(), buf.as_mut_ptr().cast(), buf.len(), 0) }
}

/// `zmq_setsockopt` of an int option.
pub fn set_int(socket: &Socket, option: i32, value: i32) -> i32 {
    // SAFETY: a live socket used by this thread only, and a live int of the size
    // given.
    unsafe {
        zmq::sys::zmq_setsockopt(
            socket.as_raw(),
            option,
            (&value as *const i32).cast(),
            std::mem::size_of::<i32>(),
        )
    }
}

/// `zmq_setsockopt` of a bytes option.
pub fn set_bytes(socket: &Socket, option: i32, value: &[u8]) -> i32 {
    // SAFETY: a live socket used by this thread only, and value.len() readable bytes.
    unsafe { zmq::sys::zmq_setsockopt(socket.as_raw(), option, value.as_ptr().cast(), value.len()) }
}

/// `zmq_connect`.
pub fn connect(socket: &Socket, endpoint: &str) -> i32 {
    let endpoint = CString::new(endpoint).unwrap();
    // SAFETY: a live socket used by this thread only, and a NUL-terminated string
    // that outlives the call.
    unsafe { zmq::sys::zmq_connect(socket.as_raw(), endpoint.as_ptr()) }
}

/// `zmq_bind`.
pub fn bind(socket: &Socket, endpoint: &str) -> i32 {
    let endpoint = CString::new(endpoint).unwrap();
    // SAFETY: a live socket used by this thread only, and a NUL-terminated string
    // that outlives the call.
    unsafe { zmq::sys::zmq_bind(socket.as_raw(), endpoint.as_ptr()) }
}

/// `zmq_ctx_set`.
pub fn ctx_set(ctx: &Context, option: i32, value: i32) -> i32 {
    // SAFETY: a live context; libzmq checks the option and the value itself.
    unsafe { zmq::sys::zmq_ctx_set(ctx.as_raw(), option, value) }
}

/// Lowers this process's soft `RLIMIT_NOFILE` (the one `poll(2)` and `accept(2)`
/// obey) to `limit`, keeping the hard one: for a child process only.
#[cfg(unix)]
pub fn set_nofile_limit(limit: u64) {
    let mut rl = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: getrlimit writes one rlimit struct, a live local.
    assert_eq!(unsafe { libc::getrlimit(libc::RLIMIT_NOFILE, &mut rl) }, 0);
    rl.rlim_cur = limit as libc::rlim_t;
    // SAFETY: setrlimit reads one rlimit struct, a live local.
    assert_eq!(unsafe { libc::setrlimit(libc::RLIMIT_NOFILE, &rl) }, 0);
}
