//! More zguide ports in `examples/zguide`, run as real processes on loopback
//! (ephemeral tcp ports, ipc under a temporary directory): the load-balancing
//! broker written with whole messages (`lbbroker2`) and as a reactor
//! (`lbbroker3`), the Majordomo service lookup (`mmiecho`, against `mdbroker`
//! with and without an `mdworker`), and the Suicidal Snail (`suisnail`), a
//! subscriber that notices it is too slow and kills itself.
//!
//! Every process ends by itself (counts), on SIGINT, or is killed when its
//! guard drops; every wait has a deadline (`common::zguide::STEP`).
#![forbid(unsafe_code)]

mod common;

use common::zguide::{count, interrupt, Proc};

use std::collections::BTreeMap;
use std::path::PathBuf;

/// A fresh directory for one test's ipc endpoints, removed on drop.
struct TempDir(PathBuf);

impl TempDir {
    fn new(name: &str) -> TempDir {
        let dir = std::env::temp_dir().join(format!("zguide-more-{}-{name}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("creating a temporary directory");
        TempDir(dir)
    }

    fn endpoint(&self, file: &str) -> String {
        format!("ipc://{}/{file}", self.0.display())
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// The broker's `Worker <identity> handled <n> requests` lines, by identity
/// (each identity once).
fn handled(lines: &[String]) -> BTreeMap<String, i64> {
    let mut map = BTreeMap::new();
    for line in lines {
        let Some(rest) = line.strip_prefix("Worker ") else {
            continue;
        };
        let Some((id, n)) = rest.split_once(" handled ") else {
            continue;
        };
        let n: i64 = n
            .strip_suffix(" requests")
            .and_then(|n| n.parse().ok())
            .unwrap_or_else(|| panic!("malformed line '{line}'"));
        assert!(map.insert(id.to_owned(), n).is_none(), "{id} twice");
    }
    map
}

/// Checks a load-balancing broker's run: every one of `requests` requests
/// answered, each counted once against a worker, and spread over more than
/// one of the `workers` workers.
fn check_load_balanced(out: &[String], requests: i64, workers: usize) {
    let text = out.join("\n");
    assert_eq!(count(out, |l| l == "Client: OK") as i64, requests, "{text}");
    let handled = handled(out);
    assert_eq!(handled.values().sum::<i64>(), requests, "{text}");
    assert!(handled.values().all(|&n| n > 0), "{text}");
    // Each client pauses between requests, so by the later rounds every worker
    // has long been ready and the least recently used one gets the next
    // request: the load is shared.
    assert!(
        (2..=workers).contains(&handled.len()),
        "requests not spread over the workers:\n{text}"
    );
}

// ---------------------------------------------------------------------------
// Load-balancing broker, whole messages (lbbroker2)

#[test]
fn lbbroker2_answers_every_request_through_several_workers() {
    let out = Proc::start(
        "lbbroker2",
        &[
            "tcp://127.0.0.1:*",
            "tcp://127.0.0.1:*",
            "--clients",
            "10",
            "--workers",
            "3",
            "--requests",
            "4",
            "--interval-ms",
            "100",
        ],
    )
    .finish(); // the broker ends by itself once the 10 clients are done
    assert_eq!(
        count(&out, |l| l.starts_with("Bound to tcp://127.0.0.1:")),
        2,
        "{out:?}"
    );
    check_load_balanced(&out, 40, 3);
    // Each request reached a worker intact, printed as zframe_print does.
    assert_eq!(
        count(&out, |l| l == "Worker: [005] HELLO"),
        40,
        "{}",
        out.join("\n")
    );
    // Workers keep libzmq's binary identities: a zero byte, then a counter.
    for id in handled(&out).keys() {
        assert!(id.len() == 10 && id.starts_with("00"), "identity {id}");
    }
}

// ---------------------------------------------------------------------------
// Load-balancing broker, reactor style (lbbroker3)

#[test]
fn lbbroker3_reactor_answers_every_request_over_ipc() {
    let dir = TempDir::new("lbbroker3");
    let frontend = dir.endpoint("frontend.ipc");
    let backend = dir.endpoint("backend.ipc");
    let out = Proc::start(
        "lbbroker3",
        &[
            &frontend,
            &backend,
            "--clients",
            "10",
            "--workers",
            "3",
            "--requests",
            "4",
            "--interval-ms",
            "100",
        ],
    )
    .finish(); // the reactor stops once the 10 clients are done
    assert_eq!(
        out.iter()
            .filter_map(|l| l.strip_prefix("Bound to "))
            .collect::<Vec<_>>(),
        [frontend.as_str(), backend.as_str()]
    );
    check_load_balanced(&out, 40, 3);
    // The workers print nothing, as in the C.
    assert_eq!(count(&out, |l| l.starts_with("Worker: ")), 0);
}

#[test]
fn lbbroker3_reactor_runs_until_interrupted() {
    // No request count: the clients ask every 50 ms until SIGINT ends the
    // reactor, as Ctrl-C does the C's.
    let mut broker = Proc::start(
        "lbbroker3",
        &[
            "tcp://127.0.0.1:*",
            "tcp://127.0.0.1:*",
            "--clients",
            "3",
            "--workers",
            "2",
            "--interval-ms",
            "50",
        ],
    );
    for _ in 0..6 {
        broker.line_after("Client: OK");
    }
    interrupt(&broker);
    let out = broker.finish();
    let handled = handled(&out);
    // At least the replies seen before the interrupt were counted, and every
    // reply the broker forwarded was counted against a worker (those the
    // clients had not printed yet may be missing from the output).
    let replies = count(&out, |l| l == "Client: OK") as i64;
    let total: i64 = handled.values().sum();
    assert!(replies >= 6, "{out:?}");
    assert!(total >= replies, "{out:?}");
    assert!((1..=2).contains(&handled.len()), "{out:?}");
}

// ---------------------------------------------------------------------------
// Majordomo service lookup (mmiecho)

/// Runs `mmiecho` against `broker` with `args` and returns its output.
fn mmiecho(broker: &str, args: &[&str]) -> Vec<String> {
    let mut all = vec![broker];
    all.extend_from_slice(args);
    Proc::start("mmiecho", &all).finish()
}

#[test]
fn mmiecho_finds_the_echo_service_only_when_it_has_a_worker() {
    let mut broker = Proc::start("mdbroker", &["-v", "tcp://127.0.0.1:*"]);
    let endpoint = broker.bound();
    // A long timeout: the lookup is never sent twice, even on a slow machine.
    let patient = ["--timeout-ms", "30000", "--retries", "1"];

    // No worker yet: the broker knows no echo service.
    assert_eq!(mmiecho(&endpoint, &patient), ["Lookup echo service: 404"]);

    // An echo worker registers: now it exists.
    let _worker = Proc::start("mdworker", &[&endpoint, "--service", "echo"]);
    broker.line_after("I: registering new worker: ");
    assert_eq!(mmiecho(&endpoint, &patient), ["Lookup echo service: 200"]);

    // The answer is about the service asked for, not any service.
    let mut other = vec!["--service", "nosuch"];
    other.extend_from_slice(&patient);
    assert_eq!(mmiecho(&endpoint, &other), ["Lookup nosuch service: 404"]);
}

#[test]
fn mmiecho_reports_a_broker_that_does_not_answer() {
    // A TCP port that accepts connections but never speaks ZMTP: the request
    // is queued, no reply comes, and the client gives up after its retries.
    let silent = std::net::TcpListener::bind("127.0.0.1:0").expect("binding a listener");
    let port = silent.local_addr().expect("its address").port();
    let endpoint = format!("tcp://127.0.0.1:{port}");
    assert_eq!(
        mmiecho(&endpoint, &["--timeout-ms", "300", "--retries", "2"]),
        ["E: no response from broker, make sure it's running"]
    );
}

// ---------------------------------------------------------------------------
// Suicidal Snail (suisnail)

const CROAK: &str = "E: subscriber cannot keep up, aborting";

/// Runs `suisnail` with `args` until it ends by itself; returns the clocks the
/// subscriber printed (checked to be in order), its other stdout lines and
/// its stderr.
fn snail(args: &[&str]) -> (Vec<i64>, Vec<String>, String) {
    let mut all = vec!["tcp://127.0.0.1:*"];
    all.extend_from_slice(args);
    let ended = Proc::start("suisnail", &all).wait();
    assert!(
        ended.status.success(),
        "suisnail failed ({}): {}",
        ended.status,
        ended.stderr
    );
    assert!(!ended.stderr.contains("panicked"), "{}", ended.stderr);
    let (clocks, other): (Vec<String>, Vec<String>) = ended
        .stdout
        .into_iter()
        .partition(|l| !l.is_empty() && l.bytes().all(|b| b.is_ascii_digit()));
    let clocks: Vec<i64> = clocks.iter().map(|c| c.parse().expect("a clock")).collect();
    assert!(
        clocks.windows(2).all(|w| w[0] <= w[1]),
        "clocks out of order"
    );
    (clocks, other, ended.stderr)
}

#[test]
fn suisnail_slow_subscriber_notices_and_kills_itself() {
    // 50 ms of work per message, one message a millisecond: each message is
    // later than the one before, and one is over 2 s late long before the
    // 400 messages a subscriber that kept up would stop at.
    let (clocks, other, stderr) = snail(&[
        "--work-ms",
        "50",
        "--work-random-ms",
        "0",
        "--max-delay-ms",
        "2000",
        "--messages",
        "400",
    ]);
    assert!(stderr.contains(CROAK), "stderr: {stderr}");
    assert!(
        !other.iter().any(|l| l.starts_with("I: subscriber kept up")),
        "{other:?}"
    );
    assert!(!clocks.is_empty() && clocks.len() < 400, "{}", clocks.len());
}

#[test]
fn suisnail_with_the_c_constants_croaks() {
    // The C's pace: 1 to 2 ms of work per message, one message a millisecond,
    // a second of patience. The bound only ends a subscriber that would keep
    // up, which this one cannot.
    let (clocks, other, stderr) = snail(&["--messages", "30000"]);
    assert!(stderr.contains(CROAK), "stderr: {stderr}");
    assert!(
        !other.iter().any(|l| l.starts_with("I: subscriber kept up")),
        "{other:?}"
    );
    assert!(!clocks.is_empty());
}

#[test]
fn suisnail_fast_subscriber_keeps_up() {
    // No work, a message every 5 ms: the subscriber keeps up with all 200
    // and stops (same patience as the slow one).
    let (clocks, other, stderr) = snail(&[
        "--publish-ms",
        "5",
        "--work-ms",
        "0",
        "--work-random-ms",
        "0",
        "--max-delay-ms",
        "2000",
        "--messages",
        "200",
    ]);
    assert!(!stderr.contains(CROAK), "stderr: {stderr}");
    assert_eq!(clocks.len(), 200);
    assert!(
        other.contains(&"I: subscriber kept up with 200 messages".to_owned()),
        "{other:?}"
    );
}
