//! The zguide's chapter 4 and 5 ports in `examples/zguide` run as real
//! processes on loopback with ephemeral ports: the last value cache
//! (`lvcache`, `pathopub`, `pathosub`), the espresso pattern's capturing
//! proxy, the three file transfer models (`fileio1` to `fileio3`) and
//! Majordomo (`mdbroker`, `mdworker`, `mdclient`) including a worker's death
//! and expiry by heartbeat.
//!
//! Every process ends by itself (counts), on SIGINT (which the examples catch,
//! as the C does, and then exit cleanly), or is killed when its guard drops;
//! every wait has a deadline (`common::zguide::STEP`).
#![forbid(unsafe_code)]

mod common;

use common::zguide::{count, interrupt, number_after, number_before, Proc};

use std::path::PathBuf;

/// A scratch directory of this test process, removed on drop.
struct Scratch(PathBuf);

impl Scratch {
    fn new(name: &str) -> Scratch {
        // Unique per call: tests running in parallel with the same name (fileio3
        // with several pipeline limits) must not share (and clobber) their files.
        static NEXT: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
        let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let dir =
            std::env::temp_dir().join(format!("zguide-patterns-{}-{n}-{name}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("creating a scratch directory");
        Scratch(dir)
    }

    fn path(&self, name: &str) -> String {
        self.0.join(name).to_string_lossy().into_owned()
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// `len` bytes that are not all alike (xorshift), so a chunk out of place or
/// lost shows in a comparison.
fn test_data(len: usize) -> Vec<u8> {
    let mut x: u64 = 0x9E37_79B9_7F4A_7C15 ^ len as u64;
    (0..len)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            (x >> 24) as u8
        })
        .collect()
}

// ---------------------------------------------------------------------------
// Last value cache

/// How long `pathopub` waits after connecting to `lvcache` before it publishes
/// (the C's one second, doubled for a loaded machine): a PUB socket drops what
/// it sends before the SUB socket's subscription has reached it.
const SETTLE_MS: &str = "2000";

#[test]
fn lvcache_gives_a_late_subscriber_the_last_cached_value() {
    let mut cache = Proc::start("lvcache", &["tcp://127.0.0.1:*", "tcp://127.0.0.1:*"]);
    let frontend = cache.bound();
    let backend = cache.bound();

    // Topics 000 and 001, "Save Roger" each, and no updates: the publisher is
    // gone before the subscriber comes, so what it gets can only come from the
    // cache.
    Proc::start(
        "pathopub",
        &[
            &frontend,
            "--topics",
            "2",
            "--updates",
            "0",
            "--settle-ms",
            SETTLE_MS,
        ],
    )
    .finish();
    let out = Proc::start("pathosub", &[&backend, "--topic", "001", "--count", "1"]).finish();
    assert_eq!(out, ["Save Roger"]);

    // Topic 000 again, then one update, which with one topic is for 000: the
    // cache holds the last value, not the first.
    Proc::start(
        "pathopub",
        &[
            &frontend,
            "--topics",
            "1",
            "--updates",
            "1",
            "--interval-ms",
            "10",
            "--settle-ms",
            SETTLE_MS,
        ],
    )
    .finish();
    let out = Proc::start("pathosub", &[&backend, "--topic", "000", "--count", "1"]).finish();
    assert_eq!(out, ["Off with his head!"]);

    interrupt(&cache);
    let out = cache.finish();
    assert_eq!(
        out[2..],
        [
            "Sending cached topic 001",
            "Sending cached topic 000",
            "W: interrupt received, shutting down..."
        ],
        "{out:?}"
    );
}

/// Runs `pathosub` for `topic` on `endpoint` until five values, checked (the
/// subscriber itself fails on a message for another topic).
fn five_values_of(endpoint: &str, topic: &str) {
    let out = Proc::start("pathosub", &[endpoint, "--topic", topic, "--count", "5"]).finish();
    assert_eq!(out.len(), 5, "{out:?}");
    assert!(
        out.iter()
            .all(|l| l == "Save Roger" || l == "Off with his head!"),
        "{out:?}"
    );
}

#[test]
fn pathosub_gets_only_its_topic_directly_and_through_lvcache() {
    // Directly: four topics, an update every 5 ms for one of them at random.
    let mut publisher = Proc::start(
        "pathopub",
        &[
            "--bind",
            "tcp://127.0.0.1:*",
            "--topics",
            "4",
            "--interval-ms",
            "5",
            "--settle-ms",
            "0",
        ],
    );
    let endpoint = publisher.bound();
    five_values_of(&endpoint, "002");
    interrupt(&publisher);
    publisher.finish();

    // Through the cache.
    let mut cache = Proc::start("lvcache", &["tcp://127.0.0.1:*", "tcp://127.0.0.1:*"]);
    let frontend = cache.bound();
    let backend = cache.bound();
    let mut publisher = Proc::start(
        "pathopub",
        &[
            &frontend,
            "--topics",
            "4",
            "--interval-ms",
            "5",
            "--settle-ms",
            SETTLE_MS,
        ],
    );
    five_values_of(&backend, "003");
    interrupt(&publisher);
    publisher.finish();
    interrupt(&cache);
    let out = cache.finish();
    assert!(
        out.contains(&"Sending cached topic 003".to_owned()),
        "{out:?}"
    );
}

// ---------------------------------------------------------------------------
// Espresso

#[test]
fn espresso_listener_prints_every_subscription_and_message() {
    let out = Proc::start(
        "espresso",
        &[
            "tcp://127.0.0.1:*",
            "tcp://127.0.0.1:*",
            "--count",
            "6",
            "--interval-ms",
            "5",
        ],
    )
    .finish();
    let received: Vec<&str> = out
        .iter()
        .filter_map(|l| l.strip_prefix("Subscriber received "))
        .collect();
    // What the listener saw going down: every message through the proxy.
    let passed: Vec<&str> = out
        .iter()
        .filter_map(|l| l.strip_prefix("[007] "))
        .collect();
    assert_eq!(received.len(), 6, "{out:?}");
    assert!(
        received
            .iter()
            .all(|m| m.starts_with("A-") || m.starts_with("B-")),
        "{out:?}"
    );
    // The proxy only gets what was subscribed to (its XSUB passes the
    // subscriptions upstream), and the subscriber's messages were the first
    // through it; more may pass before the subscriber's leaving is.
    assert!(passed.len() >= 6, "{out:?}");
    assert_eq!(passed[..6], received[..], "{out:?}");
    assert!(
        passed
            .iter()
            .all(|m| m.starts_with("A-") || m.starts_with("B-")),
        "{out:?}"
    );
    // And going up, the two subscriptions (1, then the topic), once each.
    assert_eq!(count(&out, |l| l == "[002] 0141"), 1, "{out:?}");
    assert_eq!(count(&out, |l| l == "[002] 0142"), 1, "{out:?}");
    assert_eq!(count(&out, |l| l.starts_with("[002] 01")), 2, "{out:?}");
    assert_eq!(count(&out, |l| l == "Proxy stopped"), 1, "{out:?}");
}

// ---------------------------------------------------------------------------
// File transfer

/// Runs `fileio<model>` on a file of `size` bytes with `chunk` byte chunks
/// (and `extra` arguments), checks that the copy the client wrote is the
/// file, and returns the client's output.
fn transfer(model: u8, size: usize, chunk: usize, extra: &[&str]) -> Vec<String> {
    let scratch = Scratch::new(&format!("fileio{model}-{size}-{chunk}"));
    let (input, output) = (scratch.path("testdata"), scratch.path("received"));
    let data = test_data(size);
    std::fs::write(&input, &data).expect("writing the test file");
    let chunk_arg = chunk.to_string();
    let mut args = vec![
        input.as_str(),
        "tcp://127.0.0.1:*",
        "--chunk-size",
        &chunk_arg,
        "--output",
        &output,
    ];
    args.extend_from_slice(extra);
    let name = format!("fileio{model}");
    let mut proc = Proc::start(&name, &args);
    proc.bound();
    let out = proc.finish();
    let received = std::fs::read(&output).expect("reading the copy");
    assert_eq!(received.len(), data.len(), "fileio{model}: {out:?}");
    assert!(received == data, "fileio{model}: the copy differs");
    let chunks = number_before(&out, &format!(" chunks received, {size} bytes"));
    // Model 1 ends with an empty chunk; models 2 and 3 with the first short
    // one (empty when the size is a multiple of the chunk size).
    let expected = if model == 1 {
        size.div_ceil(chunk) + 1
    } else {
        size / chunk + 1
    };
    assert_eq!(chunks, expected as i64, "fileio{model}: {out:?}");
    out
}

#[test]
fn fileio1_sends_the_whole_file_unasked() {
    transfer(1, 1_000_003, 100_000, &[]);
    transfer(1, 300_000, 100_000, &[]);
    // The C's chunk size (250000).
    transfer(1, 600_001, 250_000, &[]);
}

#[test]
fn fileio2_fetches_the_file_chunk_by_chunk() {
    transfer(2, 1_000_003, 100_000, &[]);
    transfer(2, 300_000, 100_000, &[]);
}

#[test]
fn fileio3_pipelines_its_requests_within_its_credit() {
    for pipeline in [1, 4, 10] {
        let arg = pipeline.to_string();
        let out = transfer(3, 1_000_003, 50_000, &["--pipeline", &arg]);
        // 21 chunks: the pipeline fills up to its limit, not beyond.
        let most = number_after(&out, "at most ", " chunks in transit");
        assert_eq!(most, pipeline, "{out:?}");
    }
    transfer(3, 300_000, 100_000, &[]);
}

// ---------------------------------------------------------------------------
// Majordomo

/// Starts a broker on an ephemeral port and returns it with its endpoint.
fn broker(args: &[&str]) -> (Proc, String) {
    let mut all = args.to_vec();
    all.push("tcp://127.0.0.1:*");
    let mut broker = Proc::start("mdbroker", &all);
    let endpoint = broker.bound();
    (broker, endpoint)
}

/// Runs `mdclient` on `broker` with `args` and returns its output.
fn client(broker: &str, args: &[&str]) -> Vec<String> {
    let mut all = vec![broker];
    all.extend_from_slice(args);
    Proc::start("mdclient", &all).finish()
}

/// Interrupts a worker and returns how many replies it sent.
fn stop_worker(mut worker: Proc) -> i64 {
    interrupt(&worker);
    let out = worker.finish();
    assert!(
        out.contains(&"W: interrupt received, killing worker...".to_owned()),
        "{out:?}"
    );
    number_before(&out, " replies sent")
}

#[test]
fn majordomo_echoes_every_request_and_answers_mmi() {
    let (mut broker, endpoint) = broker(&[]);
    let workers: Vec<Proc> = (0..2)
        .map(|_| Proc::start("mdworker", &[&endpoint]))
        .collect();
    // A long timeout: no request is sent twice, even on a slow machine.
    let mut clients: Vec<Proc> = (0..2)
        .map(|n| {
            let body = format!("Hello from client {n}");
            Proc::start(
                "mdclient",
                &[
                    &endpoint,
                    "--requests",
                    "200",
                    "--body",
                    &body,
                    "--timeout-ms",
                    "30000",
                ],
            )
        })
        .collect();
    for client in &mut clients {
        // The client checks every reply is its request echoed.
        let out = client.finish();
        assert_eq!(out, ["200 requests/replies processed"]);
    }

    // The broker's service discovery (MMI): echo has workers, nosuch none,
    // and mmi.nosuch is no internal service.
    let lookup = |body: &str, service: &str| {
        client(
            &endpoint,
            &[
                "--service",
                service,
                "--body",
                body,
                "--requests",
                "1",
                "--timeout-ms",
                "30000",
            ],
        )
    };
    assert_eq!(
        lookup("echo", "mmi.service"),
        ["Lookup echo service: 200", "1 requests/replies processed"]
    );
    assert_eq!(
        lookup("nosuch", "mmi.service"),
        ["Lookup nosuch service: 404", "1 requests/replies processed"]
    );
    assert_eq!(
        lookup("echo", "mmi.nosuch"),
        ["Lookup echo service: 501", "1 requests/replies processed"]
    );

    // Each request was answered once, by one worker or the other.
    let replies: i64 = workers.into_iter().map(stop_worker).sum();
    assert_eq!(replies, 400);

    interrupt(&broker);
    let out = broker.finish();
    assert_eq!(
        out.last().map(String::as_str),
        Some("W: interrupt received, shutting down..."),
        "{out:?}"
    );
}

#[test]
fn majordomo_expires_a_dead_worker_and_serves_with_a_new_one() {
    // Heartbeats every 200 ms; a worker silent for 3 of them expires.
    let (mut broker, endpoint) = broker(&["-v", "--heartbeat-ms", "200", "--liveness", "3"]);
    let mut dead = Proc::start("mdworker", &[&endpoint, "--heartbeat-ms", "200"]);
    let dead_id = broker.line_after("I: registering new worker: ");
    dead.kill(); // SIGKILL: no DISCONNECT, just silence
    let expired = broker.line_after("I: deleting expired worker: ");
    assert_eq!(expired, dead_id);

    let fresh = Proc::start("mdworker", &[&endpoint, "--heartbeat-ms", "200"]);
    let out = client(&endpoint, &["--requests", "20", "--timeout-ms", "30000"]);
    assert_eq!(out, ["20 requests/replies processed"]);
    assert_eq!(stop_worker(fresh), 20);

    interrupt(&broker);
    let out = broker.finish();
    // The new worker registered under an identity of its own.
    let registered: Vec<&str> = out
        .iter()
        .filter_map(|l| l.strip_prefix("I: registering new worker: "))
        .collect();
    assert_eq!(registered.len(), 2, "{out:?}");
    assert_eq!(registered[0], dead_id);
    assert_ne!(registered[1], dead_id);
}

#[test]
fn majordomo_client_gives_up_on_an_unknown_service() {
    let (mut broker, endpoint) = broker(&[]);
    let out = Proc::start(
        "mdclient",
        &[
            "-v",
            &endpoint,
            "--service",
            "nosuch",
            "--requests",
            "3",
            "--timeout-ms",
            "300",
            "--retries",
            "3",
        ],
    )
    .finish();
    // Three attempts, two reconnections, then it abandons the first request.
    assert_eq!(
        count(&out, |l| l == "I: send request to 'nosuch' service:"),
        1
    );
    assert_eq!(count(&out, |l| l == "W: no reply, reconnecting..."), 2);
    assert_eq!(count(&out, |l| l == "W: permanent error, abandoning"), 1);
    assert_eq!(
        out.last().map(String::as_str),
        Some("0 requests/replies processed")
    );
    // The broker still works.
    interrupt(&broker);
    broker.finish();
}
