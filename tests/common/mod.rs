//! Helpers shared by the integration tests (each test file includes this with
//! `mod common;`), one module per concern: bounded waits here ([`within`],
//! [`wait_for`], [`join_within`], [`watchdog`]); sockets and endpoints on the
//! loopback in [`net`]; CURVE keys and servers in [`curve`]; scratch directories
//! in [`fs`]; a tokio runtime with a deadline in [`runtime`] (feature `tokio`); a
//! scenario in a child process in [`child`]. A helper that only one test file
//! uses stays in that file.
#![allow(dead_code)] // each test file uses its own subset

// Sockets, keys, files and the async runtime.
pub mod curve;
pub mod fs;
pub mod net;
#[cfg(feature = "tokio")]
pub mod runtime;

// Child processes.
pub mod child;
pub mod zguide;

use std::sync::mpsc;
use std::thread;
use std::time::{Duration, Instant};

/// Runs `f` on its own thread and fails the test if it has not finished within
/// `limit`, so a deadlock or a missed wake-up shows as a failure instead of a hung
/// test run. A panic inside `f` fails the test with `f`'s own panic.
pub fn within<T: Send + 'static>(limit: Duration, f: impl FnOnce() -> T + Send + 'static) -> T {
    let (tx, rx) = mpsc::channel();
    let worker = thread::spawn(move || {
        let _ = tx.send(f());
    });
    match rx.recv_timeout(limit) {
        Ok(value) => value,
        Err(mpsc::RecvTimeoutError::Disconnected) => match worker.join() {
            Err(panic) => std::panic::resume_unwind(panic),
            Ok(()) => unreachable!("the worker sends before it ends"),
        },
        Err(mpsc::RecvTimeoutError::Timeout) => {
            panic!("did not finish within {limit:?} (deadlock or missed wake-up?)")
        }
    }
}

/// Checks `cond` every 10 ms until it holds, and fails the test (naming `what`)
/// if it still does not after `limit`. For a state that another thread or libzmq's
/// I/O thread brings about (a ZAP verdict, a monitor event queued, a pipe gone);
/// `cond` may also act each round (send a probe, process commands).
#[track_caller]
pub fn wait_for(what: &str, limit: Duration, mut cond: impl FnMut() -> bool) {
    let deadline = Instant::now() + limit;
    while !cond() {
        assert!(
            Instant::now() < deadline,
            "timed out after {limit:?} waiting for {what}"
        );
        thread::sleep(Duration::from_millis(10));
    }
}

/// Joins `handle` once its thread has finished, failing the test if that takes
/// longer than `limit`, and returns what the thread returned (a panic in it fails
/// the test). For a thread the test started and must see end, such as one blocked
/// in a proxy until the context shuts down.
pub fn join_within<T>(handle: thread::JoinHandle<T>, limit: Duration) -> T {
    wait_for("a thread to finish", limit, || handle.is_finished());
    handle.join().expect("the thread panicked")
}

/// Aborts the whole test process when it is still alive after `limit`: for a test
/// that must run on the test's own thread (so [`within`] does not fit) and could
/// hang inside libzmq. Keep the value alive for the test's duration
/// (`let _watchdog = watchdog(..)`); dropping it disarms it.
pub fn watchdog(name: &'static str, limit: Duration) -> Watchdog {
    let (tx, rx) = mpsc::channel::<()>();
    thread::spawn(move || {
        if let Err(mpsc::RecvTimeoutError::Timeout) = rx.recv_timeout(limit) {
            eprintln!("watchdog: test `{name}` still running after {limit:?}");
            std::process::abort();
        }
    });
    Watchdog(tx)
}

/// The guard [`watchdog`] returns.
pub struct Watchdog(#[allow(dead_code)] mpsc::Sender<()>);

use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc::Receiver;
use std::sync::OnceLock;
use std::thread::JoinHandle;

/// `<target>/<profile>/examples`, after building every example once per test run
/// (`cargo build --examples`, a no-op when they are up to date; only those
/// named in `ZMQ_TEST_EXAMPLES`, comma-separated, when it is set) into the target
/// directory this test executable lives in (`<target>/<profile>/deps/<test>-<hash>`),
/// with the same profile and features, so a test never runs stale binaries.
pub fn examples_dir() -> &'static Path {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        let exe = std::env::current_exe().expect("the test executable's path");
        let profile_dir = exe
            .parent()
            .and_then(Path::parent)
            .expect("the test executable is in <target>/<profile>/deps")
            .to_path_buf();
        let mut cargo = Command::new(env!("CARGO"));
        cargo.arg("build");
        // ZMQ_TEST_EXAMPLES=a,b,c builds only those examples (CI's phases that
        // run a few example tests under another feature set), else all of them.
        match std::env::var("ZMQ_TEST_EXAMPLES") {
            Ok(names) if !names.trim().is_empty() => {
                for name in names.split(',').map(str::trim).filter(|n| !n.is_empty()) {
                    cargo.args(["--example", name]);
                }
            }
            _ => {
                cargo.arg("--examples");
            }
        }
        cargo
            .args(["--no-default-features"])
            .arg("--manifest-path")
            .arg(Path::new(env!("CARGO_MANIFEST_DIR")).join("Cargo.toml"));
        let features: Vec<&str> = [
            ("vendored", cfg!(feature = "vendored")),
            ("curve", cfg!(feature = "curve")),
            ("draft", cfg!(feature = "draft")),
            ("bindgen", cfg!(feature = "bindgen")),
            ("tokio", cfg!(feature = "tokio")),
        ]
        .into_iter()
        .filter_map(|(name, on)| on.then_some(name))
        .collect();
        if !features.is_empty() {
            cargo.arg("--features").arg(features.join(","));
        }
        match profile_dir.file_name().and_then(|n| n.to_str()) {
            Some("debug") | None => {}
            Some("release") => {
                cargo.arg("--release");
            }
            Some(profile) => {
                cargo.args(["--profile", profile]);
            }
        }
        if let Some(target_dir) = profile_dir.parent() {
            cargo.arg("--target-dir").arg(target_dir);
        }
        let output = cargo.output().expect("running cargo build --examples");
        assert!(
            output.status.success(),
            "building the examples failed:\n{}",
            String::from_utf8_lossy(&output.stderr)
        );
        profile_dir.join("examples")
    })
}

/// A started example: its stdout is read line by line on a thread (each line sent
/// on `lines` and kept for `stdout`), its stderr collected on another.
pub struct Spawned {
    pub child: Child,
    pub lines: Receiver<String>,
    pub stdout: JoinHandle<Vec<String>>,
    pub stderr: JoinHandle<String>,
}

/// Starts the example binary `binary` with `args` and the given stdin.
pub fn spawn_example(binary: &str, args: &[&str], stdin: Stdio) -> Spawned {
    let path = examples_dir().join(format!("{binary}{}", std::env::consts::EXE_SUFFIX));
    assert!(
        path.is_file(),
        "example binary {} is missing",
        path.display()
    );
    let mut child = Command::new(&path)
        .args(args)
        .stdin(stdin)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot start {binary}: {e}"));
    let out = child.stdout.take().expect("a piped stdout");
    let mut err = child.stderr.take().expect("a piped stderr");
    let (tx, lines) = mpsc::channel();
    let stdout = thread::spawn(move || {
        let mut all = Vec::new();
        for line in BufReader::new(out).lines() {
            let Ok(line) = line else { break };
            let _ = tx.send(line.clone());
            all.push(line);
        }
        all
    });
    let stderr = thread::spawn(move || {
        let mut text = String::new();
        let _ = err.read_to_string(&mut text);
        text
    });
    Spawned {
        child,
        lines,
        stdout,
        stderr,
    }
}
