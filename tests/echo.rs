//! End-to-end tests of the examples: `echo_server`, `echo_client`, `echo_demo`,
//! `hwserver`, `hwclient` and `version` run as real processes, talking over TCP on
//! loopback with ephemeral ports read back from the servers' output.
//!
//! The example binaries are built once per test run (`cargo build --examples`,
//! a no-op when they are up to date) into the target directory of this test
//! executable. Every child process is killed when its guard drops, and every wait
//! has a deadline, so a failing test cannot hang.

mod common;

use std::process::{Child, ExitStatus, Stdio};
use std::sync::mpsc::{Receiver, RecvTimeoutError};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

/// How long any single step may take before the test fails.
const STEP: Duration = Duration::from_secs(30);

/// A running example process: its stdout is read line by line by a thread, its
/// stderr collected by another. Killed (SIGKILL) and reaped when dropped.
struct Proc {
    name: &'static str,
    child: Child,
    lines: Receiver<String>,
    stdout: Option<JoinHandle<Vec<String>>>,
    stderr: Option<JoinHandle<String>>,
}

/// How a process ended.
struct Finished {
    status: ExitStatus,
    stdout: Vec<String>,
    stderr: String,
}

impl Proc {
    fn start(name: &'static str, args: &[&str]) -> Proc {
        let common::Spawned {
            child,
            lines,
            stdout,
            stderr,
        } = common::spawn_example(name, args, Stdio::null());
        Proc {
            name,
            child,
            lines,
            stdout: Some(stdout),
            stderr: Some(stderr),
        }
    }

    fn pid(&self) -> u32 {
        self.child.id()
    }

    /// The next line of stdout, or `None` once the process closed it (exited).
    fn next_line(&mut self, timeout: Duration) -> Option<String> {
        match self.lines.recv_timeout(timeout) {
            Ok(line) => Some(line),
            Err(RecvTimeoutError::Disconnected) => None,
            Err(RecvTimeoutError::Timeout) => {
                panic!("{}: no output for {timeout:?}", self.name)
            }
        }
    }

    /// Skips stdout lines until one satisfies `wanted`, and returns it.
    fn wait_for_line(&mut self, wanted: impl Fn(&str) -> bool) -> String {
        let deadline = Instant::now() + STEP;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.next_line(left) {
                Some(line) if wanted(&line) => return line,
                Some(_) => {}
                None => {
                    let end = self.finish();
                    panic!(
                        "{} ended ({}) before printing the expected line\nstdout:\n{}\nstderr:\n{}",
                        self.name,
                        end.status,
                        end.stdout.join("\n"),
                        end.stderr
                    );
                }
            }
        }
    }

    /// Waits (at most [`STEP`]) for the process to exit and returns its output.
    fn finish(&mut self) -> Finished {
        let deadline = Instant::now() + STEP;
        let status = loop {
            match self.child.try_wait() {
                Ok(Some(status)) => break status,
                Ok(None) if Instant::now() < deadline => thread::sleep(Duration::from_millis(20)),
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
        };
        self.collect(status)
    }

    /// Kills the process now (SIGKILL on Unix) and returns its output so far.
    fn kill(&mut self) -> Finished {
        let _ = self.child.kill();
        let status = self.child.wait().expect("reaping a killed child");
        self.collect(status)
    }

    fn collect(&mut self, status: ExitStatus) -> Finished {
        let stdout = self.stdout.take().map(|t| t.join().unwrap_or_default());
        let stderr = self.stderr.take().map(|t| t.join().unwrap_or_default());
        Finished {
            status,
            stdout: stdout.unwrap_or_default(),
            stderr: stderr.unwrap_or_default(),
        }
    }
}

impl Drop for Proc {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// An echo server and client built alike: the blocking pair, or the async pair
/// (`--features tokio`), which take the same arguments and print the same lines.
#[derive(Clone, Copy)]
struct EchoPair {
    server: &'static str,
    client: &'static str,
}

const BLOCKING: EchoPair = EchoPair {
    server: "echo_server",
    client: "echo_client",
};

#[cfg(feature = "tokio")]
const ASYNC: EchoPair = EchoPair {
    server: "async_echo_server",
    client: "async_echo_client",
};

/// Starts the pair's server on `endpoint` and returns it with the endpoint it
/// bound. Retries for a while when the address is still in use (a server
/// restarted on the port of one just killed).
fn start_server(pair: EchoPair, endpoint: &str, extra: &[&str]) -> (Proc, String) {
    let deadline = Instant::now() + STEP;
    loop {
        let mut args = vec![endpoint];
        args.extend_from_slice(extra);
        let mut server = Proc::start(pair.server, &args);
        if let Some(line) = server.next_line(STEP) {
            let bound = line
                .strip_prefix("Server bound to ")
                .unwrap_or_else(|| panic!("unexpected first line of echo_server: {line:?}"))
                .to_owned();
            return (server, bound);
        }
        let end = server.finish();
        assert!(
            end.stderr.contains("Address already in use") && Instant::now() < deadline,
            "echo_server could not bind {endpoint} ({}): {}",
            end.status,
            end.stderr
        );
        thread::sleep(Duration::from_millis(100));
    }
}

/// The round numbers of the `Client received ack:<n>:<pid>` lines, in order,
/// checking that every ack carries the client's own pid.
fn acks(stdout: &[String], pid: u32) -> Vec<u64> {
    stdout
        .iter()
        .filter_map(|line| line.strip_prefix("Client received ack:"))
        .map(|ack| {
            let (n, from) = ack
                .split_once(':')
                .unwrap_or_else(|| panic!("malformed ack {ack:?}"));
            assert_eq!(from, pid.to_string(), "ack {ack:?} is not for client {pid}");
            n.parse()
                .unwrap_or_else(|_| panic!("malformed ack {ack:?}"))
        })
        .collect()
}

#[test]
fn client_round_trips_survive_a_server_restart() {
    server_restart_scenario(BLOCKING);
}

#[cfg(feature = "tokio")]
#[test]
fn async_client_round_trips_survive_a_server_restart() {
    server_restart_scenario(ASYNC);
}

fn server_restart_scenario(pair: EchoPair) {
    let (mut server, endpoint) = start_server(pair, "tcp://127.0.0.1:*", &[]);
    assert!(endpoint.starts_with("tcp://127.0.0.1:"), "{endpoint}");
    assert!(!endpoint.ends_with(":*"), "{endpoint}");
    let mut client = Proc::start(
        pair.client,
        &[
            &endpoint,
            "--count",
            "10",
            "--interval-ms",
            "100",
            "--timeout-ms",
            "1000",
        ],
    );

    for n in 1..=3 {
        let line = server.wait_for_line(|l| l.starts_with("Server received:"));
        assert_eq!(line, format!("Server received:{n}:{}", client.pid()));
    }
    let killed = server.kill();
    assert!(!killed.status.success());
    thread::sleep(Duration::from_millis(300));
    let (mut restarted, bound) = start_server(pair, &endpoint, &[]);
    assert_eq!(bound, endpoint, "restarted on another endpoint");

    let end = client.finish();
    let out = end.stdout.join("\n");
    assert!(
        end.status.success(),
        "client failed ({}): {}\n{out}",
        end.status,
        end.stderr
    );
    let pid = client.pid();
    assert_eq!(end.stdout.first(), Some(&format!("I am {pid}")), "{out}");
    assert_eq!(
        acks(&end.stdout, pid),
        (1..=10).collect::<Vec<_>>(),
        "{out}"
    );
    let sent: Vec<&String> = end
        .stdout
        .iter()
        .filter(|l| l.starts_with("Client sent message "))
        .collect();
    assert_eq!(sent.len(), 10, "{out}");
    assert!(!end.stderr.contains("panicked"), "{}", end.stderr);

    // The rounds after the restart were answered by the new server.
    let restarted = restarted.kill();
    let last = format!("Server received:10:{pid}");
    assert!(
        restarted.stdout.contains(&last),
        "the restarted server never saw round 10:\n{}",
        restarted.stdout.join("\n")
    );
}

#[test]
fn a_request_swallowed_by_a_dying_server_is_resent() {
    swallowed_request_scenario(BLOCKING);
}

#[cfg(feature = "tokio")]
#[test]
fn async_a_request_swallowed_by_a_dying_server_is_resent() {
    swallowed_request_scenario(ASYNC);
}

fn swallowed_request_scenario(pair: EchoPair) {
    // A "server" in this process that takes the first request and dies without
    // answering it: the case where libzmq's reconnection alone cannot help.
    let ctx = zmq::Context::new().unwrap();
    let doomed = ctx.socket(zmq::REP).unwrap();
    doomed.set_linger(0).unwrap();
    doomed.set_rcvtimeo(STEP.as_millis() as i32).unwrap();
    doomed.bind("tcp://127.0.0.1:*").unwrap();
    let endpoint = doomed.get_last_endpoint().unwrap();
    let mut client = Proc::start(
        pair.client,
        &[
            &endpoint,
            "--count",
            "3",
            "--interval-ms",
            "50",
            "--timeout-ms",
            "500",
        ],
    );
    let request = doomed.recv_string(zmq::RecvFlags::empty()).unwrap();
    assert_eq!(request, Ok(format!("1:{}", client.pid())));
    drop(doomed);

    let (_server, bound) = start_server(pair, &endpoint, &[]);
    assert_eq!(bound, endpoint);
    let end = client.finish();
    let out = end.stdout.join("\n");
    assert!(
        end.status.success(),
        "client failed ({}): {}\n{out}",
        end.status,
        end.stderr
    );
    assert!(out.contains("Client resent message 1"), "{out}");
    assert_eq!(acks(&end.stdout, client.pid()), [1, 2, 3], "{out}");
}

#[test]
fn five_concurrent_clients_all_get_their_own_replies() {
    five_clients_scenario(BLOCKING);
}

#[cfg(feature = "tokio")]
#[test]
fn async_five_concurrent_clients_all_get_their_own_replies() {
    five_clients_scenario(ASYNC);
}

fn five_clients_scenario(pair: EchoPair) {
    let (mut server, endpoint) = start_server(pair, "tcp://127.0.0.1:*", &["--max", "25"]);
    let mut clients: Vec<Proc> = (0..5)
        .map(|_| {
            Proc::start(
                pair.client,
                &[&endpoint, "--count", "5", "--interval-ms", "20"],
            )
        })
        .collect();
    for client in &mut clients {
        let end = client.finish();
        let out = end.stdout.join("\n");
        assert!(
            end.status.success(),
            "client failed ({}): {}\n{out}",
            end.status,
            end.stderr
        );
        assert_eq!(
            acks(&end.stdout, client.pid()),
            vec![1, 2, 3, 4, 5],
            "{out}"
        );
    }
    // 25 requests served, then the server exits by itself (--max).
    let end = server.finish();
    assert!(
        end.status.success(),
        "server failed ({}): {}",
        end.status,
        end.stderr
    );
    let received: Vec<&String> = end
        .stdout
        .iter()
        .filter(|l| l.starts_with("Server received:"))
        .collect();
    assert_eq!(received.len(), 25, "{}", end.stdout.join("\n"));
    for client in &clients {
        let own = format!(":{}", client.pid());
        assert_eq!(
            received.iter().filter(|l| l.ends_with(&own)).count(),
            5,
            "server did not serve client {} five times",
            client.pid()
        );
    }
}

#[test]
fn echo_demo_succeeds_and_loses_nothing() {
    // The examples are built (by the first test to need them) before the clock
    // starts: the bound below is on the demo, not on a build.
    common::examples_dir();
    let started = Instant::now();
    let end = Proc::start("echo_demo", &[]).finish();
    let out = end.stdout.join("\n");
    assert!(
        end.status.success(),
        "echo_demo failed ({}): {}\n{out}",
        end.status,
        end.stderr
    );
    let lost = end
        .stdout
        .iter()
        .find_map(|l| l.trim().strip_prefix("messages lost:"))
        .unwrap_or_else(|| panic!("no 'messages lost:' line:\n{out}"));
    assert_eq!(lost.trim(), "0", "{out}");
    assert!(out.contains("restarts survived: 1 of 1"), "{out}");
    assert!(out.contains("all checks passed"), "{out}");
    assert!(!out.contains("FAIL"), "{out}");
    assert!(end.stderr.is_empty(), "{}", end.stderr);
    assert!(
        started.elapsed() < Duration::from_secs(20),
        "took {:?}",
        started.elapsed()
    );
}

#[test]
fn hello_world_server_and_client() {
    hello_world_scenario("hwserver", "hwclient");
}

/// The same pair written with the async API (examples/async/hw*.rs), and each
/// against the other kind.
#[cfg(feature = "tokio")]
#[test]
fn async_hello_world_server_and_client() {
    hello_world_scenario("async_hwserver", "async_hwclient");
    hello_world_scenario("async_hwserver", "hwclient");
    hello_world_scenario("hwserver", "async_hwclient");
}

fn hello_world_scenario(server_name: &'static str, client_name: &'static str) {
    let mut server = Proc::start(
        server_name,
        &["tcp://127.0.0.1:*", "--count", "3", "--work-ms", "0"],
    );
    let line = server.wait_for_line(|_| true);
    let endpoint = line
        .strip_prefix("Bound to ")
        .unwrap_or_else(|| panic!("unexpected first line of hwserver: {line:?}"))
        .to_owned();
    let client = Proc::start(client_name, &[&endpoint, "--count", "3"]).finish();
    assert!(client.status.success(), "hwclient: {}", client.stderr);
    assert_eq!(
        client.stdout,
        [
            "Connecting to hello world server…",
            "Sending Hello 0…",
            "Received World 0",
            "Sending Hello 1…",
            "Received World 1",
            "Sending Hello 2…",
            "Received World 2",
        ]
    );
    let server = server.finish();
    assert!(server.status.success(), "hwserver: {}", server.stderr);
    assert_eq!(server.stdout[1..], ["Received Hello"; 3]);
}

#[test]
fn version_prints_the_linked_version() {
    let end = Proc::start("version", &[]).finish();
    assert!(end.status.success(), "{}", end.stderr);
    let (major, minor, patch) = zmq::version();
    assert_eq!(
        end.stdout,
        [format!("Current 0MQ version is {major}.{minor}.{patch}")]
    );
}

#[test]
fn bad_arguments_fail_cleanly() {
    bad_arguments_scenario(BLOCKING);
}

#[cfg(feature = "tokio")]
#[test]
fn async_bad_arguments_fail_cleanly() {
    bad_arguments_scenario(ASYNC);
}

fn bad_arguments_scenario(pair: EchoPair) {
    let (server, client) = (pair.server, pair.client);
    let cases: &[(&'static str, &[&str], &str)] = &[
        (
            server,
            &["not-an-endpoint"],
            "cannot bind to 'not-an-endpoint'",
        ),
        (server, &["tcp://127.0.0.1:notaport"], "cannot bind to"),
        (server, &["bogus://x"], "cannot bind to 'bogus://x'"),
        (server, &["--max", "lots"], "--max needs a number"),
        (server, &["--frobnicate"], "unknown option"),
        (client, &["nowhere"], "cannot connect to 'nowhere'"),
        (client, &["--count"], "--count needs a number"),
        (
            client,
            &["--interval-ms", "-5"],
            "--interval-ms needs a number",
        ),
    ];
    for (name, args, message) in cases {
        let end = Proc::start(name, args).finish();
        assert_eq!(
            end.status.code(),
            Some(2),
            "{name} {args:?}: {}",
            end.stderr
        );
        assert!(
            end.stderr.contains(message),
            "{name} {args:?}: expected {message:?} in stderr:\n{}",
            end.stderr
        );
        assert!(
            !end.stderr.contains("panicked"),
            "{name} {args:?}: {}",
            end.stderr
        );
    }
}
