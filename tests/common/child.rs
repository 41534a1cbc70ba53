//! Runs a scenario in a child process, so that an abort inside libzmq (a failed
//! `zmq_assert`, a heap corruption caught by malloc, a crash) fails one test
//! instead of killing the whole test binary.
//!
//! The child is this very test executable, started again with a filter that selects
//! only the calling test (`--exact NAME`) and an environment variable naming the
//! scenario. Inside the child, [`isolated`] sees the variable, runs the scenario and
//! exits; in the parent it starts the child, waits for it (bounded) and returns what
//! happened, for the test to assert on.
//!
//! ```ignore
//! #[test]
//! fn radio_too_big_is_emsgsize() {
//!     let outcome = isolated("radio_too_big_is_emsgsize", || {
//!         // runs in the child only
//!     });
//!     outcome.assert_clean();
//! }
//! ```

use std::io::Read;
use std::process::{Command, ExitStatus, Stdio};
use std::thread;
use std::time::{Duration, Instant};

/// The variable that tells a re-executed test binary which scenario to run.
const SCENARIO_VAR: &str = "ZMQ_TEST_CHILD_SCENARIO";

/// How long a child may run before it counts as hung and is killed. Generous: CI runs
/// tests beside builds and valgrind on 2 cores, and a scenario is a few socket calls.
pub const CHILD_LIMIT: Duration = Duration::from_secs(60);

/// What a child process did.
#[derive(Debug)]
pub struct Outcome {
    /// How it ended; `None` when it had to be killed after [`CHILD_LIMIT`].
    pub status: Option<ExitStatus>,
    /// Everything it wrote to stdout.
    pub stdout: String,
    /// Everything it wrote to stderr (libzmq prints its failed assertions there).
    pub stderr: String,
}

impl Outcome {
    /// Whether the child finished by itself with exit code 0.
    pub fn clean(&self) -> bool {
        self.status.is_some_and(|s| s.success())
    }

    /// The signal that ended the child, if one did (Unix).
    pub fn signal(&self) -> Option<i32> {
        #[cfg(unix)]
        {
            use std::os::unix::process::ExitStatusExt;
            self.status.and_then(|s| s.signal())
        }
        #[cfg(not(unix))]
        {
            None
        }
    }

    /// Whether the child died abnormally: killed by a signal (SIGABRT from a failed
    /// assertion or from malloc's heap checks, SIGSEGV ...), or a non-zero exit that
    /// is not a test failure of ours (a Rust test failing exits with code 101).
    pub fn crashed(&self) -> bool {
        match self.status {
            None => false,
            Some(s) => self.signal().is_some() || (!s.success() && s.code() != Some(101)),
        }
    }

    /// Fails the test unless the child exited cleanly, showing what it printed.
    #[track_caller]
    pub fn assert_clean(&self) {
        assert!(
            self.clean(),
            "the child did not finish cleanly: {:?} (signal {:?})\n--- stdout\n{}\n--- stderr\n{}",
            self.status,
            self.signal(),
            self.stdout,
            self.stderr
        );
        assert!(
            !self.stderr.contains("Assertion failed"),
            "libzmq reported a failed assertion:\n{}",
            self.stderr
        );
    }

    /// Fails the test unless the child crashed (the "before the fix" control: the raw
    /// libzmq call really does abort or corrupt memory).
    #[track_caller]
    pub fn assert_crashed(&self) {
        assert!(
            self.crashed(),
            "the child was expected to crash but ended with {:?}\n--- stdout\n{}\n--- stderr\n{}",
            self.status,
            self.stdout,
            self.stderr
        );
    }

    /// Fails the test unless the child hung (was killed after [`CHILD_LIMIT`] or the
    /// `limit` given to [`isolated_within`]).
    #[track_caller]
    pub fn assert_hung(&self) {
        assert!(
            self.status.is_none(),
            "the child was expected to hang but ended with {:?}\n--- stderr\n{}",
            self.status,
            self.stderr
        );
    }
}

/// Runs `scenario` in a child process and returns what happened. `test_name` is the
/// calling test's full name as the test harness knows it (for a test at the top of
/// an integration test file, its function name), so the child runs only that test.
///
/// In the child this runs `scenario` and exits the process: with 0 when it returns,
/// with the panic's exit code (101) when it panics.
pub fn isolated(test_name: &str, scenario: impl FnOnce()) -> Outcome {
    isolated_within(test_name, CHILD_LIMIT, scenario)
}

/// [`isolated`] with another time limit (for scenarios expected to hang).
pub fn isolated_within(test_name: &str, limit: Duration, scenario: impl FnOnce()) -> Outcome {
    run(test_name, limit, false, scenario)
}

/// [`isolated`] as an unprivileged user: when the tests run as root (as CI does), the
/// child runs as `nobody` (uid and gid 65534), without root's capabilities, so that
/// what libzmq would do for an ordinary user can be seen.
pub fn isolated_unprivileged(test_name: &str, scenario: impl FnOnce()) -> Outcome {
    run(test_name, CHILD_LIMIT, true, scenario)
}

/// A command that starts this test executable again: directly, or through the
/// runner cargo ran it with (`CARGO_TARGET_<TRIPLE>_RUNNER`, e.g. `qemu-s390x -L
/// /usr/s390x-linux-gnu` for a cross-built test, where the kernel cannot start the
/// foreign executable by itself). Cargo leaves that variable in the test's
/// environment; the triple is the one the tests were built for.
pub fn this_executable() -> Command {
    let exe = std::env::current_exe().expect("the test executable's path");
    let triple = env!("ZMQ_BUILD_TARGET")
        .to_uppercase()
        .replace(['-', '.'], "_");
    let runner = std::env::var(format!("CARGO_TARGET_{triple}_RUNNER")).unwrap_or_default();
    let mut words = runner.split_whitespace();
    match words.next() {
        Some(program) => {
            let mut command = Command::new(program);
            command.args(words).arg(exe);
            command
        }
        None => Command::new(exe),
    }
}

fn run(test_name: &str, limit: Duration, unprivileged: bool, scenario: impl FnOnce()) -> Outcome {
    if std::env::var(SCENARIO_VAR).as_deref() == Ok(test_name) {
        scenario();
        // Skip the harness's own reporting and any destructor that could hide a
        // late abort: what the scenario did is what is judged.
        std::process::exit(0);
    }
    let mut command = this_executable();
    #[cfg(unix)]
    if unprivileged && is_root() {
        use std::os::unix::process::CommandExt;
        command.uid(65534).gid(65534);
    }
    #[cfg(not(unix))]
    let _ = unprivileged;
    let mut child = command
        // `--include-ignored`: an `#[ignore]`d test that is run on purpose (`cargo test
        // -- --ignored`) must run its scenario in the child too, not filter it out
        // and pass vacuously.
        .args([
            test_name,
            "--exact",
            "--nocapture",
            "--test-threads=1",
            "--include-ignored",
        ])
        .env(SCENARIO_VAR, test_name)
        // A child's own child re-run must not recurse (nothing else reads this).
        .env("RUST_BACKTRACE", "0")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("re-running the test executable");
    let mut out = child.stdout.take().expect("piped stdout");
    let mut err = child.stderr.take().expect("piped stderr");
    let stdout = thread::spawn(move || {
        let mut s = String::new();
        let _ = out.read_to_string(&mut s);
        s
    });
    let stderr = thread::spawn(move || {
        let mut s = String::new();
        let _ = err.read_to_string(&mut s);
        s
    });
    let deadline = Instant::now() + limit;
    let status = loop {
        match child.try_wait().expect("waiting for the child") {
            Some(status) => break Some(status),
            None if Instant::now() >= deadline => {
                let _ = child.kill();
                let _ = child.wait();
                break None;
            }
            None => thread::sleep(Duration::from_millis(20)),
        }
    };
    Outcome {
        status,
        stdout: stdout.join().unwrap_or_default(),
        stderr: stderr.join().unwrap_or_default(),
    }
}

/// Whether this process runs as root (its effective uid is 0).
#[cfg(unix)]
pub fn is_root() -> bool {
    // /proc/self/status: "Uid:\treal\teffective\tsaved\tfs".
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|status| {
            let line = status.lines().find(|l| l.starts_with("Uid:"))?;
            line.split_whitespace().nth(2).map(|euid| euid == "0")
        })
        .unwrap_or(false)
}
