//! The zguide ports in `examples/zguide` run as real processes, wired together
//! over TCP on loopback with ephemeral ports (each server prints
//! `Bound to <endpoint>` for every socket it binds), with bounded counts so each
//! ends by itself, and their output checked.
//!
//! The examples are built once per test run (`cargo build --examples`, a no-op
//! when up to date) into the target directory of this test executable, with the
//! same profile and features. Every child is killed when its guard drops and
//! every wait has a deadline, so a failing test fails instead of hanging.
#![forbid(unsafe_code)]

mod common;

use common::zguide::{count, interrupt, number_after, Proc};

use std::thread;
use std::time::{Duration, Instant};

/// The workloads (`<ms>.` lines) a task worker printed.
fn workloads(lines: &[String]) -> Vec<i64> {
    lines
        .iter()
        .filter_map(|l| l.strip_suffix('.')?.parse().ok())
        .collect()
}

/// Checks a `wuclient` run: the zipcode is echoed and the average is a
/// temperature `wuserver` can produce (-80 to 134 F).
fn check_average(out: &[String], zipcode: &str) {
    let prefix = format!("Average temperature for zipcode '{zipcode}' was ");
    let average = number_after(out, &prefix, "F");
    assert!((-80..=134).contains(&average), "average {average}");
}

#[test]
fn weather_client_averages_its_zipcode() {
    let mut server = Proc::start("wuserver", &["tcp://127.0.0.1:*", "--zipcodes", "10"]);
    let endpoint = server.bound();
    let mut clients: Vec<(Proc, &str)> = ["00003", "00007"]
        .into_iter()
        .map(|zip| {
            let client = Proc::start("wuclient", &[&endpoint, zip, "--updates", "50"]);
            (client, zip)
        })
        .collect();
    for (client, zip) in &mut clients {
        check_average(&client.finish(), zip);
    }
    // Still publishing: it runs until its --updates or a kill.
    assert!(server.child.try_wait().expect("wuserver status").is_none());
}

#[test]
fn weather_server_stops_after_its_updates_and_proxies_stop_on_time() {
    let mut server = Proc::start("wuserver", &["tcp://127.0.0.1:*", "--updates", "1000"]);
    server.bound();
    server.finish();

    for (name, args) in [
        (
            "msgqueue",
            &["tcp://127.0.0.1:*", "tcp://127.0.0.1:*", "--seconds", "1"][..],
        ),
        (
            "wuproxy",
            &["tcp://127.0.0.1:9", "tcp://127.0.0.1:*", "--seconds", "1"][..],
        ),
        (
            "mtserver",
            &["tcp://127.0.0.1:*", "--workers", "2", "--seconds", "1"][..],
        ),
    ] {
        let started = Instant::now();
        let out = Proc::start(name, args).finish();
        assert!(started.elapsed() >= Duration::from_millis(900), "{name}");
        assert!(
            out.iter().any(|l| l.ends_with(" stopped")),
            "{name}: {}",
            out.join("\n")
        );
    }
}

/// Starts a ventilator on an ephemeral port, sending to `sink`, and returns it
/// with its endpoint. It waits for [`Proc::press_enter`].
fn ventilator(sink: &str, tasks: &str) -> (Proc, String) {
    let mut vent = Proc::start_with_stdin(
        "taskvent",
        &["tcp://127.0.0.1:*", sink, "--tasks", tasks, "--max-ms", "5"],
    );
    let endpoint = vent.bound();
    vent.line_after("Press Enter");
    (vent, endpoint)
}

#[test]
fn task_pipeline_collects_one_result_per_task() {
    let mut sink = Proc::start("tasksink", &["tcp://127.0.0.1:*", "--tasks", "20"]);
    let sink_endpoint = sink.bound();
    let (mut vent, vent_endpoint) = ventilator(&sink_endpoint, "20");
    let mut workers: Vec<Proc> = (0..2)
        .map(|_| Proc::start("taskwork", &[&vent_endpoint, &sink_endpoint]))
        .collect();
    thread::sleep(Duration::from_millis(300)); // let the workers connect
    vent.press_enter();

    let vent_out = vent.finish();
    let expected_cost = number_after(&vent_out, "Total expected cost: ", " msec");
    let sink_out = sink.finish();
    assert_eq!(number_after(&sink_out, "Results received: ", ""), 20);
    let elapsed = number_after(&sink_out, "Total elapsed time: ", " msec");
    assert!(elapsed >= 0, "{elapsed}");

    // Every task was done exactly once, by one worker or the other.
    let done: Vec<i64> = workers
        .iter_mut()
        .flat_map(|worker| workloads(&worker.kill().stdout))
        .collect();
    assert_eq!(done.len(), 20, "{done:?}");
    assert_eq!(done.iter().sum::<i64>(), expected_cost, "{done:?}");
    assert!(done.iter().all(|ms| (1..=5).contains(ms)), "{done:?}");
}

#[test]
fn task_workers_stop_on_the_sinks_kill_signal() {
    let mut sink = Proc::start(
        "tasksink2",
        &["tcp://127.0.0.1:*", "tcp://127.0.0.1:*", "--tasks", "20"],
    );
    let sink_endpoint = sink.bound();
    let control_endpoint = sink.bound();
    let (mut vent, vent_endpoint) = ventilator(&sink_endpoint, "20");
    let mut workers: Vec<Proc> = (0..2)
        .map(|_| {
            Proc::start(
                "taskwork2",
                &[&vent_endpoint, &sink_endpoint, &control_endpoint],
            )
        })
        .collect();
    // Let the workers connect, and their control subscriptions reach the sink
    // (a KILL published before that is lost, and that worker runs on): nothing
    // tells when, so a margin, wide for a loaded machine.
    thread::sleep(Duration::from_millis(1000));
    vent.press_enter();

    let expected_cost = number_after(&vent.finish(), "Total expected cost: ", " msec");
    assert_eq!(number_after(&sink.finish(), "Results received: ", ""), 20);
    let mut total_tasks = 0;
    let mut total_cost = 0;
    for worker in &mut workers {
        // Each worker exits by itself once KILL arrives.
        let out = worker.finish();
        let tasks = number_after(&out, "KILL received after ", " tasks");
        let done = workloads(&out);
        assert_eq!(done.len() as i64, tasks, "{}", out.join("\n"));
        total_tasks += tasks;
        total_cost += done.iter().sum::<i64>();
    }
    assert_eq!(total_tasks, 20);
    assert_eq!(total_cost, expected_cost);
}

/// Runs `msreader` or `mspoller` against a weather server and a ventilator.
fn read_from_two_sockets(reader: &str) {
    let mut weather = Proc::start("wuserver", &["tcp://127.0.0.1:*", "--zipcodes", "10"]);
    let weather_endpoint = weather.bound();
    // The ventilator's "start of batch" goes to a sink nobody runs: it is
    // killed at the end rather than waiting to deliver it.
    let (mut vent, vent_endpoint) = ventilator("tcp://127.0.0.1:9", "10");
    let mut reader = Proc::start(
        reader,
        &[
            &vent_endpoint,
            &weather_endpoint,
            "00004",
            "--tasks",
            "10",
            "--updates",
            "5",
        ],
    );
    thread::sleep(Duration::from_millis(300));
    vent.press_enter();
    let out = reader.finish();
    let tasks: Vec<i64> = out
        .iter()
        .filter_map(|l| l.strip_prefix("task ")?.parse().ok())
        .collect();
    assert_eq!(tasks.len(), 10, "{}", out.join("\n"));
    vent.line_after("Total expected cost: ");
    let updates = count(&out, |l| l.starts_with("weather "));
    assert!(updates >= 5, "{}", out.join("\n"));
    assert_eq!(
        count(&out, |l| l.starts_with("weather 00004 ")),
        updates,
        "an update for another zipcode:\n{}",
        out.join("\n")
    );
    drop(vent);
    drop(weather);
}

#[test]
fn msreader_reads_tasks_and_weather() {
    read_from_two_sockets("msreader");
}

#[test]
fn mspoller_polls_tasks_and_weather() {
    read_from_two_sockets("mspoller");
}

/// Two clients with five requests each and two workers behind a broker
/// (`frontend`, `backend`): every request answered, every answer "World".
fn clients_and_workers(frontend: &str, backend: &str) -> usize {
    let mut workers: Vec<Proc> = (0..2)
        .map(|_| Proc::start("rrworker", &[backend, "--work-ms", "10"]))
        .collect();
    let mut clients: Vec<Proc> = (0..2)
        .map(|_| Proc::start("rrclient", &[frontend, "--count", "5"]))
        .collect();
    for client in &mut clients {
        let out = client.finish();
        let expected: Vec<String> = (0..5)
            .map(|n| format!("Received reply {n} [World]"))
            .collect();
        assert_eq!(out, expected);
    }
    workers
        .iter_mut()
        .map(|worker| {
            let out = worker.kill().stdout;
            assert!(
                out.iter().all(|l| l == "Received request: [Hello]"),
                "{out:?}"
            );
            out.len()
        })
        .sum()
}

#[test]
fn broker_routes_every_request_and_reply() {
    let mut broker = Proc::start(
        "rrbroker",
        &["tcp://127.0.0.1:*", "tcp://127.0.0.1:*", "--count", "10"],
    );
    let frontend = broker.bound();
    let backend = broker.bound();
    assert_eq!(clients_and_workers(&frontend, &backend), 10);
    // Exits by itself after the tenth reply; each message crossed with its
    // envelope: client identity, empty delimiter, body.
    let out = broker.finish();
    assert_eq!(count(&out, |l| l == "request 3 frames"), 10, "{out:?}");
    assert_eq!(count(&out, |l| l == "reply 3 frames"), 10, "{out:?}");
}

#[test]
fn msgqueue_forwards_requests_and_replies() {
    let mut queue = Proc::start("msgqueue", &["tcp://127.0.0.1:*", "tcp://127.0.0.1:*"]);
    let frontend = queue.bound();
    let backend = queue.bound();
    assert_eq!(clients_and_workers(&frontend, &backend), 10);
    let end = queue.kill();
    assert!(end.stderr.is_empty(), "{}", end.stderr);
}

#[test]
fn wuproxy_forwards_subscriptions_and_updates() {
    let mut server = Proc::start("wuserver", &["tcp://127.0.0.1:*", "--zipcodes", "10"]);
    let upstream = server.bound();
    let mut proxy = Proc::start("wuproxy", &[&upstream, "tcp://127.0.0.1:*"]);
    let downstream = proxy.bound();
    let out = Proc::start("wuclient", &[&downstream, "00001", "--updates", "30"]).finish();
    check_average(&out, "00001");
    proxy.kill();
}

#[test]
fn mtserver_answers_every_request_from_its_worker_threads() {
    let mut server = Proc::start(
        "mtserver",
        &["tcp://127.0.0.1:*", "--workers", "3", "--work-ms", "10"],
    );
    let endpoint = server.bound();
    let mut clients: Vec<Proc> = (0..2)
        .map(|_| Proc::start("hwclient", &[&endpoint, "--count", "10"]))
        .collect();
    for client in &mut clients {
        let out = client.finish();
        assert_eq!(
            count(&out, |l| l.starts_with("Received World ")),
            10,
            "{out:?}"
        );
    }
    let out = server.kill().stdout;
    assert_eq!(
        count(&out, |l| l == "Received request: [Hello]"),
        20,
        "{out:?}"
    );
}

#[test]
fn mtrelay_passes_the_signal_through_three_threads() {
    let out = Proc::start("mtrelay", &[]).finish();
    assert_eq!(
        out,
        [
            "Step 1 ready, signaling step 2",
            "Step 2 ready, signaling step 3",
            "Test successful!"
        ]
    );
}

#[test]
fn syncpub_delivers_every_update_to_every_subscriber() {
    let mut publisher = Proc::start(
        "syncpub",
        &[
            "tcp://127.0.0.1:*",
            "tcp://127.0.0.1:*",
            "--subscribers",
            "3",
            "--updates",
            "20000",
        ],
    );
    let pub_endpoint = publisher.bound();
    let sync_endpoint = publisher.bound();
    let mut subscribers: Vec<Proc> = (0..3)
        .map(|_| Proc::start("syncsub", &[&pub_endpoint, &sync_endpoint]))
        .collect();
    for subscriber in &mut subscribers {
        assert_eq!(subscriber.finish(), ["Received 20000 updates"]);
    }
    let out = publisher.finish();
    assert_eq!(
        out[2..],
        ["Waiting for subscribers", "Broadcasting messages"],
        "{out:?}"
    );
}

#[test]
fn envelope_subscriber_sees_only_its_key() {
    let mut publisher = Proc::start(
        "psenvpub",
        &[
            "tcp://127.0.0.1:*",
            "--count",
            "6000",
            "--interval-ms",
            "10",
        ],
    );
    let endpoint = publisher.bound();
    let out = Proc::start("psenvsub", &[&endpoint, "--count", "5"]).finish();
    assert_eq!(out, vec!["[B] We would like to see this"; 5]);
    publisher.kill();

    // And the publisher ends by itself after its rounds.
    let mut short = Proc::start(
        "psenvpub",
        &["tcp://127.0.0.1:*", "--count", "3", "--interval-ms", "1"],
    );
    short.bound();
    short.finish();
}

#[test]
fn identity_shows_generated_and_set_identities() {
    let out = Proc::start("identity", &[]).finish();
    let rule = "-".repeat(40);
    assert_eq!(out.len(), 8, "{out:?}");
    assert_eq!(out[0], rule);
    // libzmq's generated identity: a zero byte then a 32-bit counter, in hex.
    let generated = out[1]
        .strip_prefix("[005] 00")
        .expect("a generated identity");
    assert_eq!(generated.len(), 8, "{out:?}");
    assert!(generated.chars().all(|c| c.is_ascii_hexdigit()), "{out:?}");
    assert_eq!(out[2], "[000] ");
    assert_eq!(out[3], "[039] ROUTER uses a generated 5 byte identity");
    assert_eq!(out[4], rule);
    assert_eq!(out[5], "[005] PEER2");
    assert_eq!(out[6], "[000] ");
    assert_eq!(out[7], "[040] ROUTER socket uses REQ's socket identity");
}

#[test]
fn help_and_bad_arguments_are_answered_without_touching_the_network() {
    let out = Proc::start("wuclient", &["--help"]).finish();
    assert_eq!(out, ["usage: wuclient [ENDPOINT] [ZIPCODE] [--updates N]"]);
    for args in [
        &["--bogus", "1"][..],
        &["--updates", "many"][..],
        &["--updates"][..],
    ] {
        let end = Proc::start("wuclient", args).wait();
        assert_eq!(end.status.code(), Some(1), "{args:?}");
        assert!(
            end.stderr.starts_with("Error: "),
            "{args:?}: {}",
            end.stderr
        );
        assert!(
            end.stderr.contains("usage: wuclient"),
            "{args:?}: {}",
            end.stderr
        );
        assert!(end.stdout.is_empty(), "{args:?}: {:?}", end.stdout);
    }
}

#[test]
fn interrupt_exits_cleanly_on_sigint() {
    let mut server = Proc::start("interrupt", &["tcp://127.0.0.1:*"]);
    server.bound();
    // Let it block in recv; SIGINT then makes the recv return EINTR. (A signal
    // that comes before the recv blocks, on a loaded machine, only sets the flag:
    // `finish` sends it again while the process runs.)
    thread::sleep(Duration::from_millis(300));
    interrupt(&server);
    let out = server.finish();
    assert_eq!(
        out.last().map(String::as_str),
        Some("W: interrupt received, killing server…"),
        "{out:?}"
    );
}
