//! The zguide's broker peering simulations (`peering1` to `peering3`), the
//! round-trip demonstrator (`tripping`), the asynchronous Majordomo client
//! (`mdclient2` on `mdcliapi2`) and the Titanic service run as real processes:
//! the peering brokers find each other over `ipc://` endpoints in a temporary
//! directory of the test's own, the rest on loopback with ephemeral ports.
//! The Titanic client flow (request, poll for the reply, close) is played by
//! the test itself over a `REQ` socket speaking MDP/Client to the broker.
//!
//! Every process ends by itself (counts, `--seconds`), on SIGINT (which the
//! examples catch, as the C does, and then exit cleanly), or is killed when
//! its guard drops; every wait has a deadline (`common::zguide::STEP`, the
//! sockets' `RCVTIMEO`).
#![forbid(unsafe_code)]

mod common;

use common::zguide::{count, interrupt, number_after, Proc};

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::thread;
use std::time::{Duration, Instant};

/// A fresh directory for one test's ipc endpoints or files, removed on drop.
struct TempDir(PathBuf);

impl TempDir {
    fn new(name: &str) -> TempDir {
        let dir =
            std::env::temp_dir().join(format!("zguide-cluster-{}-{name}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("creating a temporary directory");
        TempDir(dir)
    }

    fn path(&self) -> &Path {
        &self.0
    }

    fn arg(&self) -> String {
        self.0.display().to_string()
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

// ---------------------------------------------------------------------------
// Broker peering

#[test]
fn peering1_brokers_hear_each_others_state() {
    let dir = TempDir::new("peering1");
    let names = ["A", "B", "C"];
    let brokers: Vec<Proc> = names
        .iter()
        .map(|me| {
            let mut args = vec![*me];
            args.extend(names.iter().filter(|n| *n != me));
            let dir = dir.arg();
            args.extend(["--dir", &dir, "--seconds", "8"]);
            Proc::start("peering1", &args)
        })
        .collect();
    // Who heard whom. A broker sends its state only after a second in which it
    // heard nothing (the C's heartbeat), so which brokers send depends on when
    // each one started and was woken: once one of them sends every second, the
    // others, hearing it, may never send at all. What must hold, however the
    // machine schedules them: each broker heard a peer, or was heard by all.
    let mut heard: BTreeMap<&str, BTreeSet<String>> = BTreeMap::new();
    for (me, mut broker) in names.iter().zip(brokers) {
        let out = broker.finish();
        assert_eq!(out[0], format!("I: preparing broker at {me}..."));
        // Every state line names a peer (never itself) and 0 to 9 free workers.
        let states: Vec<(&str, u32)> = out
            .iter()
            .filter_map(|l| {
                let (peer, rest) = l.split_once(" - ")?;
                let free = rest.strip_suffix(" workers free")?.parse().ok()?;
                Some((peer, free))
            })
            .collect();
        assert_eq!(
            states.len(),
            count(&out, |l| !l.starts_with("I: ")),
            "{me}: {out:?}"
        );
        heard.insert(me, states.iter().map(|(p, _)| p.to_string()).collect());
        assert!(
            states.iter().all(|(p, free)| p != me && *free < 10),
            "{me}: {out:?}"
        );
    }
    for me in names {
        let heard_by_all = names
            .iter()
            .filter(|peer| **peer != me)
            .all(|peer| heard[peer].contains(me));
        assert!(
            !heard[me].is_empty() || heard_by_all,
            "{me} heard no peer, and not every peer heard {me}: {heard:?}"
        );
    }
}

#[test]
fn peering2_sends_requests_to_a_peer_and_routes_the_replies_back() {
    let dir = TempDir::new("peering2");
    let dir_arg = dir.arg();
    // B: workers, no clients. A: one worker, three clients of 4 requests,
    // each request rerouted to the cloud (--reroute 1).
    let mut b =
        Proc::start_with_stdin("peering2", &["B", "A", "--dir", &dir_arg, "--clients", "0"]);
    b.line_after("Press Enter when all brokers are started");
    let mut a = Proc::start_with_stdin(
        "peering2",
        &[
            "A",
            "B",
            "--dir",
            &dir_arg,
            "--workers",
            "1",
            "--clients",
            "3",
            "--requests",
            "4",
            "--reroute",
            "1",
        ],
    );
    a.line_after("Press Enter when all brokers are started");
    // Both are bound and connecting over ipc; give the connections a moment
    // (a request routed to a peer not yet connected would be dropped, and its
    // client would wait for ever): nothing tells when the two handshakes are
    // done, so this is a margin, wide for a loaded machine (they take a few
    // milliseconds).
    thread::sleep(Duration::from_millis(2000));
    b.press_enter();
    a.press_enter();
    a.line_after("I: all clients done");
    interrupt(&a);
    let a_out = a.finish();
    interrupt(&b);
    let b_out = b.finish();

    // Every client request was answered, and by B's workers: A's own worker
    // got none, B's got all 12 (B has no clients of its own).
    assert_eq!(count(&a_out, |l| l == "Client: OK"), 12, "{a_out:?}");
    assert_eq!(count(&a_out, |l| l.starts_with("Worker: ")), 0, "{a_out:?}");
    assert_eq!(
        count(&b_out, |l| l == "Worker: [005] HELLO"),
        12,
        "{b_out:?}"
    );
    assert_eq!(count(&b_out, |l| l.starts_with("Client: ")), 0, "{b_out:?}");
    for out in [&a_out, &b_out] {
        assert_eq!(
            out.last().map(String::as_str),
            Some("W: interrupt received, shutting down..."),
            "{out:?}"
        );
    }
}

#[test]
fn peering2_serves_local_clients_with_local_workers() {
    let dir = TempDir::new("peering2-local");
    let dir_arg = dir.arg();
    // A lone broker (no peers): two workers, four clients of 3 requests.
    let mut a = Proc::start_with_stdin(
        "peering2",
        &[
            "A",
            "--dir",
            &dir_arg,
            "--workers",
            "2",
            "--clients",
            "4",
            "--requests",
            "3",
        ],
    );
    a.line_after("Press Enter when all brokers are started");
    a.press_enter();
    a.line_after("I: all clients done");
    interrupt(&a);
    let out = a.finish();
    assert_eq!(count(&out, |l| l == "Client: OK"), 12, "{out:?}");
    assert_eq!(count(&out, |l| l == "Worker: [005] HELLO"), 12, "{out:?}");
}

/// Whether a line is a peering3 task id (four hex digits).
fn is_task_id(line: &str) -> bool {
    line.len() == 4 && line.bytes().all(|b| b.is_ascii_hexdigit())
}

#[test]
fn peering3_brokers_answer_every_task_of_their_clients() {
    let dir = TempDir::new("peering3");
    let dir_arg = dir.arg();
    let start = |me: &'static str, you: &'static str| {
        Proc::start(
            "peering3",
            &[
                me,
                you,
                "--dir",
                &dir_arg,
                "--bursts",
                "1",
                "--delay-ms",
                "500",
            ],
        )
    };
    let mut brokers = [start("A", "B"), start("B", "A")];
    // Each keeps serving its peer until both have seen all their clients stop.
    for broker in &mut brokers {
        broker.line_after("I: all clients done");
    }
    for broker in &brokers {
        interrupt(broker);
    }
    let mut total = 0;
    for mut broker in brokers {
        let out = broker.finish();
        // No client lost a task or got another's reply.
        assert_eq!(count(&out, |l| l.starts_with("E:")), 0, "{out:?}");
        // Ten clients stopped after their burst; the broker printed a task id
        // for each task they say was answered.
        let done: Vec<i64> = out
            .iter()
            .filter_map(|l| {
                l.strip_prefix("I: client done, ")?
                    .strip_suffix(" tasks answered")?
                    .parse()
                    .ok()
            })
            .collect();
        assert_eq!(done.len(), 10, "{out:?}");
        let answered: i64 = done.iter().sum();
        assert_eq!(count(&out, is_task_id) as i64, answered, "{out:?}");
        total += answered;
    }
    // 20 bursts of 0 to 14 tasks: some tasks were sent.
    assert!(total > 0);
}

// ---------------------------------------------------------------------------
// Round trips

#[test]
fn tripping_counts_synchronous_and_asynchronous_round_trips() {
    // The C's numbers: 10000 synchronous, then 100000 asynchronous.
    let out = Proc::start("tripping", &["tcp://127.0.0.1:*", "tcp://127.0.0.1:*"]).finish();
    assert_eq!(
        number_after(&out, "I: synchronous round trips: ", ""),
        10000
    );
    assert_eq!(
        number_after(&out, "I: asynchronous round trips: ", ""),
        100000
    );
    assert_eq!(count(&out, |l| l.ends_with(" calls/second")), 2, "{out:?}");

    let out = Proc::start(
        "tripping",
        &[
            "tcp://127.0.0.1:*",
            "tcp://127.0.0.1:*",
            "--sync",
            "7",
            "--async",
            "13",
        ],
    )
    .finish();
    assert_eq!(number_after(&out, "I: synchronous round trips: ", ""), 7);
    assert_eq!(number_after(&out, "I: asynchronous round trips: ", ""), 13);
}

// ---------------------------------------------------------------------------
// Majordomo, asynchronous client

/// Starts a Majordomo broker on an ephemeral port and returns it with its
/// endpoint.
fn mdbroker() -> (Proc, String) {
    let mut broker = Proc::start("mdbroker", &["tcp://127.0.0.1:*"]);
    let endpoint = broker.bound();
    (broker, endpoint)
}

/// Interrupts an `mdworker` and returns how many replies it sent.
fn stop_worker(mut worker: Proc) -> i64 {
    interrupt(&worker);
    let out = worker.finish();
    let last = out.last().cloned().unwrap_or_default();
    last.strip_suffix(" replies sent")
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("{out:?}"))
}

#[test]
fn mdclient2_sends_all_requests_then_gets_all_replies() {
    let (_broker, endpoint) = mdbroker();
    let worker = Proc::start("mdworker", &[&endpoint]);
    let out = Proc::start(
        "mdclient2",
        &[&endpoint, "--requests", "2000", "--timeout-ms", "30000"],
    )
    .finish();
    // The client checks that every reply is its request echoed.
    assert_eq!(out, ["2000 replies received"]);
    assert_eq!(stop_worker(worker), 2000);

    // A service nobody offers: the requests wait at the broker, no reply
    // comes within the timeout.
    let out = Proc::start(
        "mdclient2",
        &[
            &endpoint,
            "--service",
            "nosuch",
            "--requests",
            "5",
            "--timeout-ms",
            "300",
        ],
    )
    .finish();
    assert_eq!(out, ["0 replies received"]);
}

// ---------------------------------------------------------------------------
// Titanic

/// One MDP/Client request to `service` through the broker at `broker`, and
/// the reply's body frames (the test's own client, over a `REQ` socket).
fn mdp_call(broker: &str, service: &str, body: &[&[u8]]) -> Vec<Vec<u8>> {
    let context = zmq::Context::new().expect("context");
    let client = context.socket(zmq::REQ).expect("socket");
    client.set_linger(0).expect("linger");
    client.set_rcvtimeo(60_000).expect("rcvtimeo");
    client.connect(broker).expect("connect");
    let mut request: Vec<&[u8]> = vec![b"MDPC01", service.as_bytes()];
    request.extend_from_slice(body);
    client
        .send_multipart(request, zmq::SendFlags::empty())
        .expect("send");
    let mut reply = client
        .recv_multipart(zmq::RecvFlags::empty())
        .unwrap_or_else(|e| panic!("no reply from {service}: {e}"));
    assert!(reply.len() >= 2, "{reply:?}");
    assert_eq!(reply[0], b"MDPC01");
    assert_eq!(reply[1], service.as_bytes());
    reply.split_off(2)
}

#[test]
fn titanic_stores_a_request_delivers_its_reply_and_closes_it() {
    let files = TempDir::new("titanic");
    let (_broker, endpoint) = mdbroker();
    let worker = Proc::start("mdworker", &[&endpoint]);
    let titanic_dir = files.path().join("store");
    let titanic_dir_arg = titanic_dir.display().to_string();
    let mut titanic = Proc::start("titanic", &["-v", &endpoint, "--dir", &titanic_dir_arg]);

    // 1. Send an 'echo' request to Titanic: 200 and a UUID.
    let reply = mdp_call(&endpoint, "titanic.request", &[b"echo", b"Hello world"]);
    assert_eq!(reply.len(), 2, "{reply:?}");
    assert_eq!(reply[0], b"200");
    let uuid = String::from_utf8(reply[1].clone()).expect("a text UUID");
    assert!(
        uuid.len() == 32 && uuid.bytes().all(|b| b.is_ascii_hexdigit()),
        "{uuid}"
    );
    assert!(titanic_dir.join(format!("{uuid}.req")).is_file());

    // 2. Ask for the reply until it is there: 300 (pending) until then.
    let deadline = Instant::now() + Duration::from_secs(60);
    let reply = loop {
        let reply = mdp_call(&endpoint, "titanic.reply", &[uuid.as_bytes()]);
        if reply[0] == b"200" {
            break reply;
        }
        assert_eq!(reply, [b"300"], "pending");
        assert!(Instant::now() < deadline, "no reply within 60 s");
        thread::sleep(Duration::from_millis(100));
    };
    assert_eq!(reply, [&b"200"[..], b"Hello world"]);
    let queue = std::fs::read_to_string(titanic_dir.join("queue")).expect("the queue file");
    assert!(queue.lines().any(|l| l == format!("+{uuid}")), "{queue}");

    // 3. Close the request: its files go, and the UUID is unknown from then.
    assert_eq!(
        mdp_call(&endpoint, "titanic.close", &[uuid.as_bytes()]),
        [b"200"]
    );
    assert!(!titanic_dir.join(format!("{uuid}.req")).exists());
    assert!(!titanic_dir.join(format!("{uuid}.rep")).exists());
    assert_eq!(
        mdp_call(&endpoint, "titanic.reply", &[uuid.as_bytes()]),
        [b"400"]
    );
    // Closing is idempotent.
    assert_eq!(
        mdp_call(&endpoint, "titanic.close", &[uuid.as_bytes()]),
        [b"200"]
    );

    // A request for a service nobody offers stays pending (the dispatcher
    // asks the broker's mmi.service, gets 404, and tries again later).
    let reply = mdp_call(&endpoint, "titanic.request", &[b"nosuch", b"Hello?"]);
    assert_eq!(reply[0], b"200");
    let pending = String::from_utf8(reply[1].clone()).expect("a text UUID");
    let line = format!("I: processing request {pending}");
    titanic.line_after(&line);
    titanic.line_after(&line); // a second attempt: still not done
    assert_eq!(
        mdp_call(&endpoint, "titanic.reply", &[pending.as_bytes()]),
        [b"300"]
    );
    let queue = std::fs::read_to_string(titanic_dir.join("queue")).expect("the queue file");
    assert!(queue.lines().any(|l| l == format!("-{pending}")), "{queue}");

    interrupt(&titanic);
    let out = titanic.finish();
    assert!(
        out.contains(&"W: interrupt received, shutting down...".to_owned()),
        "{out:?}"
    );
    // The echo worker answered the one echo request, once.
    assert_eq!(stop_worker(worker), 1);
}

#[test]
fn ticlient_gets_its_echo_through_titanic() {
    let files = TempDir::new("ticlient");
    let (_broker, endpoint) = mdbroker();
    let worker = Proc::start("mdworker", &[&endpoint]);
    let titanic_dir = files.path().join("store");
    let titanic_dir_arg = titanic_dir.display().to_string();
    let mut titanic = Proc::start("titanic", &[&endpoint, "--dir", &titanic_dir_arg]);

    let out = Proc::start("ticlient", &[&endpoint, "--retry-ms", "200"]).finish();
    let uuid = out
        .first()
        .and_then(|l| l.strip_prefix("I: request UUID [032] "))
        .unwrap_or_else(|| panic!("{out:?}"))
        .to_owned();
    assert_eq!(out.last().map(String::as_str), Some("Reply: Hello world"));
    assert_eq!(
        count(&out, |l| l != "I: no reply yet, trying again..."),
        2,
        "{out:?}"
    );
    // Processed, then closed by the client: no request or reply file left.
    let queue = std::fs::read_to_string(titanic_dir.join("queue")).expect("the queue file");
    assert_eq!(queue, format!("+{uuid}\n"));
    assert!(!titanic_dir.join(format!("{uuid}.req")).exists());
    assert!(!titanic_dir.join(format!("{uuid}.rep")).exists());

    interrupt(&titanic);
    titanic.finish();
    assert_eq!(stop_worker(worker), 1);
}
