//! Ctrl-C for blocking calls: an opt-in SIGINT/SIGTERM handler that lets libzmq's
//! blocking calls return `EINTR` instead of the process dying, as the zguide's
//! `s_catch_signals` does in C.

use std::sync::atomic::{AtomicBool, Ordering};

use crate::error::Result;

static INTERRUPTED: AtomicBool = AtomicBool::new(false);

#[cfg(unix)]
extern "C" fn on_signal(_signal: libc::c_int) {
    // Only an atomic store: async-signal-safe.
    INTERRUPTED.store(true, Ordering::SeqCst);
}

/// Installs a handler for SIGINT and SIGTERM (without `SA_RESTART`), so that a
/// signal makes blocking libzmq calls in progress (`recv`, `send`, `poll` ...)
/// return [`Error::EINTR`](crate::Error::EINTR) and [`interrupted`] report it,
/// instead of the default action ending the process at once. The zguide's
/// `s_catch_signals()`.
///
/// It replaces whatever handler the process had for those two signals; call it
/// once, from `main`, before blocking. Not available on Windows (`ENOTSUP`).
///
/// ```no_run
/// zmq::catch_interrupts()?;
/// let ctx = zmq::Context::new()?;
/// let socket = ctx.socket(zmq::REP)?;
/// socket.bind("tcp://127.0.0.1:5555")?;
/// match socket.recv_bytes(zmq::RecvFlags::empty()) {
///     Err(zmq::Error::EINTR) if zmq::interrupted() => println!("W: interrupt received"),
///     other => { other?; }
/// }
/// # Ok::<(), zmq::Error>(())
/// ```
pub fn catch_interrupts() -> Result<()> {
    #[cfg(unix)]
    {
        for signal in [libc::SIGINT, libc::SIGTERM] {
            // SAFETY: a zeroed sigaction is a valid value (empty mask, no flags).
            let mut action: libc::sigaction = unsafe { std::mem::zeroed() };
            action.sa_sigaction = on_signal as extern "C" fn(libc::c_int) as libc::sighandler_t;
            // No SA_RESTART: interrupted system calls (and so libzmq calls) fail
            // with EINTR, which is the point.
            action.sa_flags = 0;
            // SAFETY: `action` is a fully initialised sigaction whose handler only
            // performs an atomic store (async-signal-safe); no old action is read.
            let rc = unsafe { libc::sigaction(signal, &action, std::ptr::null_mut()) };
            if rc != 0 {
                return Err(crate::Error::from_raw(
                    std::io::Error::last_os_error()
                        .raw_os_error()
                        .unwrap_or(libc::EINVAL),
                ));
            }
        }
        Ok(())
    }
    #[cfg(not(unix))]
    {
        Err(crate::Error::ENOTSUP)
    }
}

/// Whether SIGINT or SIGTERM arrived since [`catch_interrupts`] was called.
pub fn interrupted() -> bool {
    INTERRUPTED.load(Ordering::SeqCst)
}
