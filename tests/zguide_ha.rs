//! The zguide's chapter 4 high-availability ports run as real processes on
//! loopback: the three Freelance models (`flclient1` + `flserver1`,
//! `flclient2` + `flserver2`, `flclient3` with the `flcliapi` agent +
//! `flserver3`), each of which must answer every request while one of its
//! servers is down or is killed (SIGKILL) in the middle of a run, and the
//! Binary Star pair (`bstarsrv -p`, `bstarsrv -b`, `bstarcli`; and
//! `bstarsrv2`, the same server on the `bstar` reactor), whose backup
//! takes over when the primary is killed, without the client losing a request
//! or getting one answered twice, and stays active when the old primary comes
//! back (as a passive).
//!
//! A server is taken out at a known point with `--overload-after N` (it stalls
//! on request N+1 and says so) and then killed, so "mid-run" does not depend
//! on timing. The Binary Star servers need each other's state endpoints before
//! they start, so the test picks free loopback ports for those (bind port 0,
//! read it, close); everything else binds `tcp://127.0.0.1:*`. Heartbeats and
//! timeouts are chosen by options with wide margins; every wait is bounded by
//! the runner's deadlines, and every child is killed when its guard drops.
#![forbid(unsafe_code)]

mod common;

use common::zguide::{count, number_after, Proc};

/// A `tcp://127.0.0.1:<port>` endpoint on a port that was free a moment ago.
fn free_endpoint() -> String {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("binding port 0");
    let port = listener.local_addr().expect("local address").port();
    format!("tcp://127.0.0.1:{port}")
}

/// The sequence numbers of a client's `I: server replied OK (<n>)` lines, in
/// order.
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

/// Reads the process's lines until `line` itself.
fn wait_for(process: &mut Proc, line: &str) {
    while process.line_after("") != line {}
}

#[test]
fn freelance_model_1_client_finds_the_server_that_is_up() {
    let down = free_endpoint();
    let mut server = Proc::start("flserver1", &["tcp://127.0.0.1:*", "--count", "1"]);
    let up = server.bound();

    // Several endpoints: each tried once, in turn, until one answers.
    let out = Proc::start("flclient1", &[&down, &up, "--timeout", "3000"]).finish();
    assert_eq!(
        out,
        [
            format!("I: trying echo service at {down}..."),
            format!("W: no response from {down}"),
            format!("I: trying echo service at {up}..."),
            "Service is running OK".to_owned(),
        ],
        "{}",
        out.join("\n")
    );
    let server_out = server.finish();
    assert!(server_out.contains(&format!("I: echo service is ready at {up}")));

    // One endpoint that is down: MAX_RETRIES attempts, then no service.
    let out = Proc::start("flclient1", &[&down, "--timeout", "300", "--retries", "3"]).finish();
    let trying = format!("I: trying echo service at {down}...");
    let retrying = format!("W: no response from {down}, retrying...");
    assert_eq!(count(&out, |l| l == trying), 3, "{}", out.join("\n"));
    assert_eq!(count(&out, |l| l == retrying), 3, "{}", out.join("\n"));
    assert_eq!(count(&out, |l| l == "Service is running OK"), 0);
}

#[test]
fn freelance_model_2_answers_every_request_while_a_server_is_killed() {
    // Server A stalls on its 51st request and is killed there; B and C go on.
    let mut a = Proc::start(
        "flserver2",
        &[
            "tcp://127.0.0.1:*",
            "--overload-after",
            "50",
            "--overload-ms",
            "60000",
        ],
    );
    let mut b = Proc::start("flserver2", &["tcp://127.0.0.1:*"]);
    let mut c = Proc::start("flserver2", &["tcp://127.0.0.1:*"]);
    let endpoints = [a.bound(), b.bound(), c.bound()];
    let mut args: Vec<&str> = endpoints.iter().map(String::as_str).collect();
    args.extend(["--requests", "3000", "--timeout", "10000"]);
    let mut client = Proc::start("flclient2", &args);

    a.line_after("I: simulating CPU overload");
    assert!(!a.kill().status.success(), "SIGKILL is not a clean exit");

    let out = client.finish();
    assert_eq!(
        count(&out, |l| l.starts_with("E: ")),
        0,
        "{}",
        out.join("\n")
    );
    assert_eq!(number_after(&out, "I: received ", " replies"), 3000);
    let usec = number_after(&out, "Average round trip cost: ", " usec");
    println!("flclient2: average round trip {usec} usec (3 servers, one killed)");
    for server in [&mut b, &mut c] {
        let lines = server.kill().stdout;
        assert_eq!(
            count(&lines, |l| l.starts_with("I: service is ready at ")),
            1
        );
    }
}

#[test]
fn freelance_model_3_agent_moves_on_when_its_server_is_killed() {
    // The agent sends every request to the first live server, A. A stalls on
    // its 11th request and is killed: the agent stops hearing from it, drops
    // it after the server TTL, and sends the request to B, within the
    // (longer) global timeout.
    let mut a = Proc::start(
        "flserver3",
        &[
            "tcp://127.0.0.1:*",
            "--overload-after",
            "10",
            "--overload-ms",
            "60000",
        ],
    );
    let mut b = Proc::start("flserver3", &["tcp://127.0.0.1:*"]);
    let (a_endpoint, b_endpoint) = (a.bound(), b.bound());
    let mut client = Proc::start(
        "flclient3",
        &[
            &a_endpoint,
            &b_endpoint,
            "--requests",
            "300",
            "--timeout",
            "20000",
            "--ping-interval",
            "250",
            "--server-ttl",
            "3000",
        ],
    );

    a.line_after("I: simulating CPU overload");
    assert!(!a.kill().status.success(), "SIGKILL is not a clean exit");

    let out = client.finish();
    assert_eq!(
        out.iter().take(2).cloned().collect::<Vec<_>>(),
        [
            format!("I: connecting to {a_endpoint}..."),
            format!("I: connecting to {b_endpoint}..."),
        ]
    );
    assert_eq!(
        count(&out, |l| l.starts_with("E: ")),
        0,
        "{}",
        out.join("\n")
    );
    assert_eq!(number_after(&out, "I: received ", " replies"), 300);
    let usec = number_after(&out, "Average round trip cost: ", " usec");
    println!("flclient3: average round trip {usec} usec (2 servers, one killed)");
    let b_out = b.kill().stdout;
    assert_eq!(
        count(&b_out, |l| l.starts_with("I: service is ready at ")),
        1
    );
}

/// Binary Star with `server` (`bstarsrv`, or `bstarsrv2` on the reactor, which
/// says "ready as active" where the other says "ready active": `ready` is the
/// word(s) before the state) and `bstarcli`: the backup takes over when the
/// primary is killed, every request is answered once, in order, and the
/// restarted primary goes passive.
fn binary_star_failover(server: &str, ready: &str) {
    const HEARTBEAT: &str = "1000";
    let primary_pub = free_endpoint();
    let backup_pub = free_endpoint();
    let start = |role: &str, frontend: &str| {
        let (statepub, statesub) = if role == "-p" {
            (&primary_pub, &backup_pub)
        } else {
            (&backup_pub, &primary_pub)
        };
        let mut server = Proc::start(
            server,
            &[
                role,
                "--frontend",
                frontend,
                "--statepub",
                statepub,
                "--statesub",
                statesub,
                "--heartbeat-ms",
                HEARTBEAT,
            ],
        );
        // The two servers print their bound endpoints in different orders.
        let (first, second) = (server.bound(), server.bound());
        let frontend = if &first == statepub {
            second
        } else {
            assert_eq!(&second, statepub);
            first
        };
        (server, frontend)
    };
    // Failing over takes longer than the two heartbeats after which the backup
    // counts the primary as dead, so the first retry at the backup succeeds
    // (a retry that came too early would only cost another round).
    let client = |primary: &str, backup: &str, requests: &str| {
        Proc::start(
            "bstarcli",
            &[
                primary,
                backup,
                "--timeout",
                "1000",
                "--settle-ms",
                "1500",
                "--interval-ms",
                "100",
                "--requests",
                requests,
            ],
        )
    };
    const FAILING_OVER: &str = "W: no response from server, failing over";

    let (mut primary, primary_fe) = start("-p", "tcp://127.0.0.1:*");
    let (mut backup, backup_fe) = start("-b", "tcp://127.0.0.1:*");
    wait_for(
        &mut primary,
        &format!("I: connected to backup (passive), {ready} active"),
    );
    wait_for(
        &mut backup,
        &format!("I: connected to primary (active), {ready} passive"),
    );

    // The primary answers; it is killed after the third reply.
    let mut first = client(&primary_fe, &backup_fe, "10");
    first.line_after("I: server replied OK (3)");
    let killed = primary.kill();
    assert!(!killed.status.success(), "SIGKILL is not a clean exit");

    // The backup takes over once the primary missed its heartbeats, and the
    // client gets every sequence number answered, once, in order.
    let out = first.finish();
    assert_eq!(
        acked(&out),
        (1..=10).collect::<Vec<_>>(),
        "{}",
        out.join("\n")
    );
    assert!(
        count(&out, |l| l == FAILING_OVER) >= 1,
        "{}",
        out.join("\n")
    );
    assert!(out.contains(&format!("I: connecting to server at {backup_fe}...")));
    assert_eq!(count(&out, |l| l.starts_with("E: ")), 0);
    wait_for(
        &mut backup,
        &format!("I: failover successful, {ready} active"),
    );

    // The old primary comes back on its ports and finds the backup active: it
    // goes passive and rejects a client, which fails over to the backup.
    let (mut restarted, restarted_fe) = start("-p", &primary_fe);
    assert_eq!(restarted_fe, primary_fe);
    wait_for(
        &mut restarted,
        &format!("I: connected to backup (active), {ready} passive"),
    );
    let out = client(&primary_fe, &backup_fe, "3").finish();
    assert_eq!(acked(&out), [1, 2, 3], "{}", out.join("\n"));
    assert_eq!(
        out.iter().take(3).map(String::as_str).collect::<Vec<_>>(),
        [
            format!("I: connecting to server at {primary_fe}...").as_str(),
            FAILING_OVER,
            format!("I: connecting to server at {backup_fe}...").as_str(),
        ],
        "the passive primary answered:\n{}",
        out.join("\n")
    );

    // Both are still running, and neither changed its mind.
    assert!(restarted.child.try_wait().expect("polling").is_none());
    assert!(backup.child.try_wait().expect("polling").is_none());
    let restarted_out = restarted.kill().stdout;
    assert_eq!(
        count(&restarted_out, |l| l.contains(&format!("{ready} active"))
            || l.starts_with("E: ")),
        0,
        "{}",
        restarted_out.join("\n")
    );
    let backup_out = backup.kill().stdout;
    assert_eq!(
        count(&backup_out, |l| l.starts_with("E: ")),
        0,
        "{}",
        backup_out.join("\n")
    );
}

#[test]
fn binary_star_backup_takes_over_and_stays_active_when_the_primary_returns() {
    binary_star_failover("bstarsrv", "ready");
}

#[test]
fn binary_star_reactor_backup_takes_over_and_stays_active_when_the_primary_returns() {
    binary_star_failover("bstarsrv2", "ready as");
}
