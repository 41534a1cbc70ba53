//! Running the zguide example binaries as child processes (shared by the zguide
//! harnesses): start, read lines, wait with deadlines, kill.
#![allow(dead_code)] // each harness uses its own subset

use std::cell::Cell;
use std::io::Write;
use std::process::{Child, ChildStdin, ExitStatus, Stdio};
use std::sync::mpsc::{Receiver, RecvTimeoutError};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

/// How long any single step (a line of output, a process exit) may take.
pub const STEP: Duration = Duration::from_secs(60);

/// A running example. Its stdout is read line by line on a thread (and kept),
/// its stderr collected on another; killed and reaped on drop.
pub struct Proc {
    name: String,
    pub child: Child,
    /// When [`interrupt`] last sent SIGINT, so that [`Proc::wait`] can send it
    /// again while the process runs on.
    interrupted: Cell<Option<Instant>>,
    stdin: Option<ChildStdin>,
    lines: Receiver<String>,
    stdout: Option<JoinHandle<Vec<String>>>,
    stderr: Option<JoinHandle<String>>,
}

/// How a process ended and everything it printed.
pub struct Ended {
    pub status: ExitStatus,
    pub stdout: Vec<String>,
    pub stderr: String,
}

impl Ended {
    /// Asserts a clean exit and returns stdout.
    pub fn ok(self, name: &str) -> Vec<String> {
        assert!(
            self.status.success(),
            "{name} failed ({})\nstdout:\n{}\nstderr:\n{}",
            self.status,
            self.stdout.join("\n"),
            self.stderr
        );
        assert!(!self.stderr.contains("panicked"), "{name}: {}", self.stderr);
        self.stdout
    }
}

impl Proc {
    /// Starts `zguide_<name>` with `args` (and stdin closed).
    pub fn start(name: &str, args: &[&str]) -> Proc {
        Proc::spawn(name, args, false)
    }

    /// Starts `zguide_<name>` (or another example, given with its full name)
    /// with a pipe on stdin, for [`Proc::press_enter`].
    pub fn start_with_stdin(name: &str, args: &[&str]) -> Proc {
        Proc::spawn(name, args, true)
    }

    fn spawn(name: &str, args: &[&str], stdin: bool) -> Proc {
        let binary = if name.starts_with("hw") {
            name.to_owned()
        } else {
            format!("zguide_{name}")
        };
        let stdin = if stdin { Stdio::piped() } else { Stdio::null() };
        let super::Spawned {
            mut child,
            lines,
            stdout,
            stderr,
        } = super::spawn_example(&binary, args, stdin);
        Proc {
            name: binary,
            interrupted: Cell::new(None),
            stdin: child.stdin.take(),
            child,
            lines,
            stdout: Some(stdout),
            stderr: Some(stderr),
        }
    }

    /// Skips stdout lines until one starts with `prefix`, and returns the rest
    /// of it. Fails if the process ends first or is silent for [`STEP`].
    pub fn line_after(&mut self, prefix: &str) -> String {
        let deadline = Instant::now() + STEP;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.lines.recv_timeout(left) {
                Ok(line) => {
                    if let Some(rest) = line.strip_prefix(prefix) {
                        return rest.to_owned();
                    }
                }
                Err(RecvTimeoutError::Timeout) => {
                    let end = self.kill();
                    panic!(
                        "{}: no line '{prefix}…' within {STEP:?}\nstdout:\n{}\nstderr:\n{}",
                        self.name,
                        end.stdout.join("\n"),
                        end.stderr
                    );
                }
                Err(RecvTimeoutError::Disconnected) => {
                    let end = self.wait();
                    panic!(
                        "{} ended ({}) before printing '{prefix}…'\nstdout:\n{}\nstderr:\n{}",
                        self.name,
                        end.status,
                        end.stdout.join("\n"),
                        end.stderr
                    );
                }
            }
        }
    }

    /// The next `Bound to <endpoint>` line's endpoint, checked to be loopback
    /// with a real port.
    pub fn bound(&mut self) -> String {
        let endpoint = self.line_after("Bound to ");
        assert!(
            endpoint.starts_with("tcp://127.0.0.1:") && !endpoint.ends_with('*'),
            "{}: bound to {endpoint}",
            self.name
        );
        endpoint
    }

    /// Writes a newline to the process's stdin ("Press Enter").
    pub fn press_enter(&mut self) {
        let stdin = self.stdin.as_mut().expect("started with a stdin pipe");
        stdin.write_all(b"\n").expect("writing to stdin");
        stdin.flush().expect("flushing stdin");
    }

    /// Waits (at most [`STEP`]) for the process to exit by itself. After
    /// [`interrupt`], SIGINT is sent again every [`RESIGNAL`] until it does: a
    /// signal that arrives while the process is not in a blocking call (a loaded
    /// machine may hold it up anywhere) only sets its flag, and a process that
    /// then blocks without looking at the flag waits for the next signal.
    pub fn wait(&mut self) -> Ended {
        let deadline = Instant::now() + STEP;
        loop {
            match self.child.try_wait() {
                Ok(Some(status)) => return self.collect(status),
                Ok(None) if Instant::now() < deadline => {
                    // Not reaped yet, so the pid is still this child's.
                    if let Some(sent) = self.interrupted.get() {
                        if sent.elapsed() >= RESIGNAL {
                            interrupt(self);
                        }
                    }
                    thread::sleep(Duration::from_millis(20))
                }
                Ok(None) => {
                    let end = self.kill();
                    panic!(
                        "{} did not exit within {STEP:?}\nstdout:\n{}\nstderr:\n{}",
                        self.name,
                        end.stdout.join("\n"),
                        end.stderr
                    );
                }
                Err(e) => panic!("waiting for {}: {e}", self.name),
            }
        }
    }

    /// Waits for a clean exit and returns stdout.
    pub fn finish(&mut self) -> Vec<String> {
        let name = self.name.clone();
        self.wait().ok(&name)
    }

    /// Kills the process (one that would run on) and returns its output so far.
    pub fn kill(&mut self) -> Ended {
        let _ = self.child.kill();
        let status = self.child.wait().expect("reaping a killed child");
        self.collect(status)
    }

    fn collect(&mut self, status: ExitStatus) -> Ended {
        self.stdin = None;
        Ended {
            status,
            stdout: self
                .stdout
                .take()
                .map(|t| t.join().unwrap_or_default())
                .unwrap_or_default(),
            stderr: self
                .stderr
                .take()
                .map(|t| t.join().unwrap_or_default())
                .unwrap_or_default(),
        }
    }
}

impl Drop for Proc {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// How often [`Proc::wait`] repeats the SIGINT of [`interrupt`].
pub const RESIGNAL: Duration = Duration::from_secs(2);

/// Sends SIGINT to a running example (which catches it, as the C does, and
/// exits cleanly). [`Proc::wait`] (and so [`Proc::finish`]) sends it again while
/// the process runs on.
pub fn interrupt(proc: &Proc) {
    let pid = proc.child.id().to_string();
    let sent = std::process::Command::new("kill")
        .args(["-INT", &pid])
        .status()
        .expect("running kill");
    assert!(sent.success(), "kill -INT {pid}");
    proc.interrupted.set(Some(Instant::now()));
}

/// The number that starts the line ending with `suffix`.
pub fn number_before(lines: &[String], suffix: &str) -> i64 {
    let line = lines
        .iter()
        .find_map(|l| l.strip_suffix(suffix))
        .unwrap_or_else(|| panic!("no line '…{suffix}' in:\n{}", lines.join("\n")));
    line.trim()
        .parse()
        .unwrap_or_else(|_| panic!("malformed line '{line}{suffix}'"))
}

/// How many lines of `lines` satisfy `pred`.
pub fn count(lines: &[String], pred: impl Fn(&str) -> bool) -> usize {
    lines.iter().filter(|l| pred(l)).count()
}

/// The number after `prefix` on the line that starts with it.
pub fn number_after(lines: &[String], prefix: &str, suffix: &str) -> i64 {
    let line = lines
        .iter()
        .find_map(|l| l.strip_prefix(prefix))
        .unwrap_or_else(|| panic!("no line '{prefix}…' in:\n{}", lines.join("\n")));
    line.strip_suffix(suffix)
        .and_then(|n| n.trim().parse().ok())
        .unwrap_or_else(|| panic!("malformed line '{prefix}{line}'"))
}
