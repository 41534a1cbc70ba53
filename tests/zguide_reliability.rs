//! The zguide's chapter 3 and 4 ports (advanced request-reply and reliable
//! request-reply) run as real processes on loopback with ephemeral ports: the
//! ROUTER examples check that every message reached the peer it was addressed
//! to, and the pirates that a client gets every reply, exactly once per
//! sequence number, while the test kills servers and workers (SIGKILL) or
//! they crash by themselves (`--crash-after`), and restarts them.
//!
//! Heartbeats and retry timeouts are shortened by options (the examples'
//! defaults are the C's constants); every wait is bounded by the runner's
//! deadlines, and every child is killed when its guard drops.
#![forbid(unsafe_code)]

mod common;

use common::zguide::{count, number_after, Proc};

use std::collections::{BTreeMap, BTreeSet};
use std::thread;
use std::time::Duration;

/// `<name> <prefix><n><suffix>` lines, e.g. `Completed: 3 tasks (ID)`, parsed
/// by `parse` into (key, number) pairs.
fn tally(lines: &[String], parse: impl Fn(&str) -> Option<(String, i64)>) -> BTreeMap<String, i64> {
    let mut map = BTreeMap::new();
    for (key, n) in lines.iter().filter_map(|l| parse(l)) {
        assert!(map.insert(key.clone(), n).is_none(), "{key} twice");
    }
    map
}

/// The sequence numbers of a Lazy Pirate client's `I: server replied OK (<n>)`
/// lines, in order.
fn acked(lines: &[String]) -> Vec<u64> {
    lines
        .iter()
        .filter_map(|l| {
            l.strip_prefix("I: server replied OK (")?
                .strip_suffix(')')?
                .parse()
                .ok()
        })
        .collect()
}

/// Asserts that a client acked requests 1 to `n`, each once and in order.
fn assert_acked_once(lines: &[String], n: u64) {
    assert_eq!(
        acked(lines),
        (1..=n).collect::<Vec<_>>(),
        "client output:\n{}",
        lines.join("\n")
    );
}

const RETRYING: &str = "W: no response from server, retrying...";
const ABANDONING: &str = "E: server seems to be offline, abandoning";

/// Reads the process's lines until one satisfies `pred`, and returns it.
fn wait_line(process: &mut Proc, pred: impl Fn(&str) -> bool) -> String {
    loop {
        let line = process.line_after("");
        if pred(&line) {
            return line;
        }
    }
}

/// A Paranoid Pirate worker's (or Simple Pirate worker's) identity, from its
/// `I: worker ready (<id>)` line.
fn ready_identity(worker: &mut Proc) -> String {
    worker
        .line_after("I: worker ready (")
        .trim_end_matches(')')
        .to_owned()
}

#[test]
fn rtreq_workers_did_the_tasks_the_broker_sent_them() {
    let out = Proc::start(
        "rtreq",
        &[
            "tcp://127.0.0.1:*",
            "--workers",
            "5",
            "--seconds",
            "2",
            "--max-ms",
            "20",
        ],
    )
    .finish();
    let completed = tally(&out, |l| {
        let (n, id) = l.strip_prefix("Completed: ")?.split_once(" tasks (")?;
        Some((id.strip_suffix(')')?.to_owned(), n.parse().ok()?))
    });
    let sent = tally(&out, |l| {
        let (n, id) = l.strip_prefix("Sent ")?.split_once(" tasks to ")?;
        Some((id.to_owned(), n.parse().ok()?))
    });
    assert_eq!(completed.len(), 5, "{}", out.join("\n"));
    assert_eq!(completed, sent, "{}", out.join("\n"));
    let total = number_after(&out, "Total: ", " tasks");
    assert_eq!(total, completed.values().sum::<i64>());
    assert!(total > 0, "no work in two seconds:\n{}", out.join("\n"));
}

#[test]
fn rtdealer_workers_receive_what_was_addressed_to_them() {
    let out = Proc::start(
        "rtdealer",
        &["tcp://127.0.0.1:*", "--tasks", "30", "--wait-ms", "100"],
    )
    .finish();
    let received = tally(&out, |l| {
        let (name, n) = l.split_once(" received: ")?;
        Some((name.to_owned(), n.parse().ok()?))
    });
    let sent = tally(&out, |l| {
        let (n, name) = l.strip_prefix("Sent ")?.split_once(" tasks to ")?;
        Some((name.to_owned(), n.parse().ok()?))
    });
    assert_eq!(received.keys().collect::<Vec<_>>(), ["A", "B"]);
    assert_eq!(received, sent, "{}", out.join("\n"));
    assert_eq!(received.values().sum::<i64>(), 30);
}

#[test]
fn lbbroker_answers_every_client_through_its_workers() {
    let out = Proc::start(
        "lbbroker",
        &[
            "tcp://127.0.0.1:*",
            "tcp://127.0.0.1:*",
            "--clients",
            "12",
            "--workers",
            "3",
        ],
    )
    .finish();
    assert_eq!(
        count(&out, |l| l.starts_with("Bound to tcp://127.0.0.1:")),
        2
    );
    assert_eq!(count(&out, |l| l == "Client: OK"), 12, "{}", out.join("\n"));
    assert_eq!(
        count(&out, |l| l == "Worker: HELLO"),
        12,
        "{}",
        out.join("\n")
    );
    let handled = tally(&out, |l| {
        let (id, n) = l.strip_prefix("Worker ")?.split_once(" handled ")?;
        Some((id.to_owned(), n.strip_suffix(" requests")?.parse().ok()?))
    });
    assert!((1..=3).contains(&handled.len()), "{}", out.join("\n"));
    assert_eq!(handled.values().sum::<i64>(), 12);
}

#[test]
fn asyncsrv_clients_get_the_replies_to_their_requests() {
    asyncsrv_scenario("asyncsrv");
}

/// The same program written with tokio tasks (examples/async/asyncsrv.rs).
#[cfg(feature = "tokio")]
#[test]
fn asyncsrv_with_tokio_tasks_gets_the_same_replies() {
    asyncsrv_scenario("asyncsrv_tokio");
}

fn asyncsrv_scenario(name: &str) {
    let out = Proc::start(
        name,
        &[
            "tcp://127.0.0.1:*",
            "--clients",
            "3",
            "--workers",
            "3",
            "--seconds",
            "3",
            "--tick-ms",
            "200",
            "--replies",
            "2",
            "--max-delay-ms",
            "20",
        ],
    )
    .finish();
    let sent = tally(&out, |l| {
        let (id, n) = l.split_once(" sent ")?;
        Some((id.to_owned(), n.strip_suffix(" requests")?.parse().ok()?))
    });
    assert_eq!(sent.len(), 3, "{}", out.join("\n"));
    let mut replies = 0;
    for (client, &requests) in &sent {
        // `<client>[<size>] request #<n>`, for this client only.
        let mut per_request: BTreeMap<i64, usize> = BTreeMap::new();
        for line in &out {
            let Some(rest) = line.strip_prefix(client.as_str()) else {
                continue;
            };
            let Some((size, content)) = rest.strip_prefix('[').and_then(|r| r.split_once("] "))
            else {
                continue;
            };
            assert_eq!(size.parse::<usize>().ok(), Some(content.len()), "{line}");
            let n: i64 = content
                .strip_prefix("request #")
                .and_then(|n| n.parse().ok())
                .unwrap_or_else(|| panic!("not a reply: {line}"));
            assert!((1..=requests).contains(&n), "{client} never sent #{n}");
            *per_request.entry(n).or_default() += 1;
        }
        assert!(
            !per_request.is_empty(),
            "{client} got no reply:\n{}",
            out.join("\n")
        );
        // --replies 2: never more than two replies to one request.
        assert!(per_request.values().all(|&r| r <= 2), "{per_request:?}");
        replies += per_request.values().sum::<usize>();
    }
    assert_eq!(
        count(&out, |l| l.contains("] request #")),
        replies,
        "a reply went to the wrong client:\n{}",
        out.join("\n")
    );
}

#[test]
fn lazy_pirate_client_abandons_a_server_that_crashed() {
    let mut server = Proc::start(
        "lpserver",
        &["tcp://127.0.0.1:*", "--crash-after", "3", "--work-ms", "10"],
    );
    let endpoint = server.bound();
    let out = Proc::start(
        "lpclient",
        &[&endpoint, "--timeout", "500", "--retries", "3"],
    )
    .finish();
    let server_out = server.finish();
    assert_eq!(count(&server_out, |l| l == "I: simulating a crash"), 1);

    // The server crashed on its fourth request. Unless a reply was late enough
    // for a retry (a duplicate request counts as a cycle), that was request 4.
    let ok = acked(&out);
    let last = ok.len() as u64;
    assert_eq!(ok, (1..=last).collect::<Vec<_>>(), "{}", out.join("\n"));
    assert!((1..=3).contains(&last), "{}", out.join("\n"));
    let last_ok = out
        .iter()
        .rposition(|l| l.starts_with("I: server replied OK"))
        .expect("an OK line");
    if count(&out[..last_ok], |l| l == RETRYING) == 0 {
        assert_eq!(last, 3, "{}", out.join("\n"));
    }
    // Then REQUEST_RETRIES attempts in all, the last one abandoned.
    let after: Vec<&str> = out[last_ok + 1..]
        .iter()
        .map(String::as_str)
        .filter(|l| *l != "I: connecting to server...")
        .collect();
    assert_eq!(
        after,
        [RETRYING, RETRYING, ABANDONING],
        "{}",
        out.join("\n")
    );
}

#[test]
fn lazy_pirate_client_gets_every_reply_from_a_server_restarted_on_its_port() {
    // The first server hangs on request 4 (a minute of "CPU overload"), and is
    // killed there; the second one binds the same port and serves the rest.
    let mut first = Proc::start(
        "lpserver",
        &[
            "tcp://127.0.0.1:*",
            "--overload-after",
            "3",
            "--overload-ms",
            "60000",
            "--work-ms",
            "10",
        ],
    );
    let endpoint = first.bound();
    let mut client = Proc::start(
        "lpclient",
        &[
            &endpoint,
            "--timeout",
            "500",
            "--retries",
            "40",
            "--requests",
            "8",
        ],
    );
    first.line_after("I: simulating CPU overload");
    let killed = first.kill();
    assert!(!killed.status.success(), "SIGKILL is not a clean exit");
    client.line_after(RETRYING);

    let mut second = Proc::start(
        "lpserver",
        &[&endpoint, "--problems", "none", "--work-ms", "10"],
    );
    assert_eq!(second.bound(), endpoint, "the same port again");
    let out = client.finish();
    assert_acked_once(&out, 8);
    assert!(count(&out, |l| l == RETRYING) >= 1);
    assert_eq!(count(&out, |l| l == ABANDONING), 0);

    let served = |lines: &[String]| -> BTreeSet<u64> {
        lines
            .iter()
            .filter_map(|l| {
                l.strip_prefix("I: normal request (")?
                    .strip_suffix(')')?
                    .parse()
                    .ok()
            })
            .collect()
    };
    assert_eq!(served(&killed.stdout), (1..=3).collect());
    assert_eq!(served(&second.kill().stdout), (4..=8).collect());
}

#[test]
fn simple_pirate_requests_survive_a_crashed_worker() {
    let mut queue = Proc::start("spqueue", &["tcp://127.0.0.1:*", "tcp://127.0.0.1:*"]);
    let frontend = queue.bound();
    let backend = queue.bound();
    let mut crashing = Proc::start(
        "spworker",
        &[&backend, "--crash-after", "2", "--work-ms", "20"],
    );
    let mut steady = Proc::start(
        "spworker",
        &[&backend, "--problems", "none", "--work-ms", "20"],
    );
    crashing.line_after("I: (");
    steady.line_after("I: (");
    // Let both register (the queue says nothing when one does): a worker that
    // registers late may miss the requests it was to crash on. A margin, wide
    // for a loaded machine.
    thread::sleep(Duration::from_millis(1000));

    let out = Proc::start(
        "lpclient",
        &[
            &frontend,
            "--timeout",
            "1000",
            "--retries",
            "5",
            "--requests",
            "10",
        ],
    )
    .finish();
    assert_acked_once(&out, 10);
    // The request the crashed worker took with it was sent again.
    assert!(count(&out, |l| l == RETRYING) >= 1, "{}", out.join("\n"));

    let crashed = crashing.finish();
    assert_eq!(count(&crashed, |l| l.ends_with(") simulating a crash")), 1);
    assert_eq!(count(&crashed, |l| l.ends_with(") normal reply")), 2);
    let steady_out = steady.kill().stdout;
    assert!(
        count(&steady_out, |l| l.ends_with(") normal reply")) >= 8,
        "{}",
        steady_out.join("\n")
    );
}

#[test]
fn paranoid_pirate_queue_expires_a_killed_worker_and_takes_back_a_restarted_one() {
    const HEARTBEAT: &str = "500";
    let mut queue = Proc::start(
        "ppqueue",
        &[
            "tcp://127.0.0.1:*",
            "tcp://127.0.0.1:*",
            "--heartbeat-ms",
            HEARTBEAT,
        ],
    );
    let frontend = queue.bound();
    let backend = queue.bound();
    let start_worker = || {
        let mut worker = Proc::start(
            "ppworker",
            &[
                &backend,
                "--heartbeat-ms",
                HEARTBEAT,
                "--interval-init",
                HEARTBEAT,
                "--problems",
                "none",
                "--work-ms",
                "100",
            ],
        );
        let id = ready_identity(&mut worker);
        (worker, id)
    };
    let replies = |lines: &[String]| count(lines, |l| l == "I: normal reply");
    let client = |requests: &str| {
        Proc::start(
            "lpclient",
            &[
                &frontend,
                "--timeout",
                "1000",
                "--retries",
                "10",
                "--requests",
                requests,
            ],
        )
    };

    let (mut a, a_id) = start_worker();
    let (mut b, b_id) = start_worker();
    let mut waiting = BTreeSet::from([
        format!("I: worker {a_id} ready"),
        format!("I: worker {b_id} ready"),
    ]);
    while !waiting.is_empty() {
        let line = wait_line(&mut queue, |l| l.ends_with(" ready"));
        waiting.remove(&line);
    }

    // Worker A dies mid-run: every request is still answered, by B.
    let mut first = client("10");
    first.line_after("I: server replied OK (3)");
    let a_replies = replies(&a.kill().stdout);
    assert_acked_once(&first.finish(), 10);

    // A restarted worker joins; then B dies while idle, so the queue only
    // learns of it by the missing heartbeats.
    let (mut a2, a2_id) = start_worker();
    wait_line(&mut queue, |l| l == format!("I: worker {a2_id} ready"));
    let b_replies = replies(&b.kill().stdout);
    assert!(
        a_replies + b_replies >= 10,
        "A answered {a_replies}, B {b_replies}"
    );
    wait_line(&mut queue, |l| l == format!("W: worker {b_id} expired"));

    // The restarted worker answers everything now.
    assert_acked_once(&client("5").finish(), 5);
    let a2_out = a2.kill().stdout;
    assert!(replies(&a2_out) >= 5, "{}", a2_out.join("\n"));
    let queue_out = queue.kill().stdout;
    assert_eq!(count(&queue_out, |l| l.starts_with("E: ")), 0);
}
