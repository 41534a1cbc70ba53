//! The zguide's chapter 5 Clone pattern, models five and six, run as real
//! processes on loopback (the Binary Star reactor's own server, `bstarsrv2`,
//! is tested with `bstarsrv` in `tests/zguide_ha.rs`):
//!
//! * model five (`clonesrv5` + `clonecli5`, `kvmsg` messages with UUIDs and
//!   properties): ephemeral values (a `ttl` property) expire on the server,
//!   which publishes the deletes, and on every client; each update's UUID
//!   reaches the clients; a late joiner's snapshot is the server's store.
//! * model six (`clonesrv6` primary and backup on `bstar`, `clonecli6` on
//!   the `clone` agent API): the clients keep getting updates after the
//!   primary is killed, through the backup, and their stores converge with
//!   the backup's; ephemeral values are deleted by the active server only
//!   (the passive backup of the C deleted them at once).
//!
//! Servers that must know each other's endpoints before they start (the
//! Binary Star peering, and model six's snapshot and publisher endpoints)
//! get free loopback ports picked by the test (bind port 0, read it, close);
//! everything else binds `tcp://127.0.0.1:*`. Every wait is bounded by the
//! runner's deadlines, every child is killed when its guard drops. The
//! assertions are on what the processes print (digests of their stores,
//! sequence numbers, UUIDs), never on how long anything took; the only
//! times are the TTLs, heartbeats and settle periods given as options, each
//! with a wide margin.
#![forbid(unsafe_code)]

mod common;

use std::collections::{BTreeSet, HashMap};

use common::zguide::{count, Proc};

/// A `tcp://127.0.0.1:<port>` endpoint on a port that was free a moment ago.
fn free_endpoint() -> String {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("binding port 0");
    let port = listener.local_addr().expect("local address").port();
    format!("tcp://127.0.0.1:{port}")
}

/// Reads the process's lines until `line` itself.
fn wait_for(process: &mut Proc, line: &str) {
    while process.line_after("") != line {}
}

/// The value of `name=` in a line of `name=value` words.
fn field<'a>(line: &'a str, name: &str) -> Option<&'a str> {
    line.split_whitespace()
        .find_map(|word| word.strip_prefix(name)?.strip_prefix('='))
}

/// The `keys=K checksum=C` digest at the end of a line.
fn digest(line: &str) -> String {
    let start = line
        .find("keys=")
        .unwrap_or_else(|| panic!("no digest in '{line}'"));
    line[start..].to_owned()
}

/// The key and UUID of every `I: sending key=K ttl=T uuid=U` line.
fn sent(lines: &[String]) -> Vec<(String, String)> {
    lines
        .iter()
        .filter(|l| l.starts_with("I: sending key="))
        .map(|l| {
            (
                field(l, "key").expect("key").to_owned(),
                field(l, "uuid").expect("uuid").to_owned(),
            )
        })
        .collect()
}

/// The UUIDs of the updates a client applied (`I: received update=N key=K
/// uuid=U` lines), each with how many times it came.
fn received_uuids(lines: &[String]) -> HashMap<String, usize> {
    let mut uuids = HashMap::new();
    for line in lines
        .iter()
        .filter(|l| l.starts_with("I: received update="))
    {
        *uuids
            .entry(field(line, "uuid").expect("uuid").to_owned())
            .or_insert(0) += 1;
    }
    uuids
}

/// The digest of a client's store on its last line, `I: store keys=K
/// checksum=C`.
fn final_store(lines: &[String]) -> String {
    let last = lines
        .iter()
        .rev()
        .find(|l| l.starts_with("I: store "))
        .unwrap_or_else(|| panic!("no store digest in:\n{}", lines.join("\n")));
    digest(last)
}

#[test]
fn clone_model_5_ephemeral_values_expire_everywhere_and_late_joiners_get_the_snapshot() {
    let any = "tcp://127.0.0.1:*";
    let mut server = Proc::start("clonesrv5", &[any, any, any]);
    let (snapshot, publisher, collector) = (server.bound(), server.bound(), server.bound());
    let client = |subtree: &str, updates: &str, ttl: &str, settle: &str| {
        Proc::start(
            "clonecli5",
            &[
                &snapshot,
                &publisher,
                &collector,
                "--subtree",
                subtree,
                "--updates",
                updates,
                "--interval-ms",
                "50",
                "--ttl",
                ttl,
                "--settle-ms",
                settle,
            ],
        )
    };

    // P stores five persistent values (ttl 0) under /client/p/ and sees each
    // come back from the server with its UUID.
    let p_out = client("/client/p/", "5", "0", "1000").finish();
    let p_sent = sent(&p_out);
    assert_eq!(p_sent.len(), 5, "{}", p_out.join("\n"));
    let p_received = received_uuids(&p_out);
    for (_, uuid) in &p_sent {
        assert_eq!(p_received.get(uuid), Some(&1), "{}", p_out.join("\n"));
    }
    let p_keys: BTreeSet<&str> = p_sent.iter().map(|(k, _)| k.as_str()).collect();
    let persistent = final_store(&p_out);
    assert!(
        persistent.starts_with(&format!("keys={} ", p_keys.len())),
        "{persistent}"
    );

    // L joins late, for all of /client/: its snapshot is the server's store
    // (the same digest the server computed when sending it), which holds
    // P's values.
    let mut late = client("/client/", "0", "0", "5000");
    let snapshot_line = late.line_after("I: received snapshot=");
    assert_eq!(digest(&snapshot_line), persistent);
    wait_for(&mut server, &format!("I: sending snapshot={snapshot_line}"));

    // E stores five ephemeral values (ttl 1 s) under /client/e/: the server
    // deletes each once it expires and publishes the delete, so E's store
    // ends empty, and so do the ephemeral values in L's.
    let e_out = client("/client/e/", "5", "1", "5000").finish();
    let l_out = late.finish();
    let e_sent = sent(&e_out);
    assert_eq!(e_sent.len(), 5, "{}", e_out.join("\n"));
    let e_keys: BTreeSet<&str> = e_sent.iter().map(|(k, _)| k.as_str()).collect();
    assert!(
        final_store(&e_out).starts_with("keys=0 "),
        "{}",
        e_out.join("\n")
    );
    assert_eq!(final_store(&l_out), persistent, "{}", l_out.join("\n"));

    // Every update's UUID reached both clients of its subtree: once as the
    // value, and (the last value of each key) once more with the delete.
    let e_received = received_uuids(&e_out);
    let l_received = received_uuids(&l_out);
    for (_, uuid) in &e_sent {
        assert!(e_received.contains_key(uuid), "{}", e_out.join("\n"));
        assert!(l_received.contains_key(uuid), "{}", l_out.join("\n"));
    }
    let deleted =
        |received: &HashMap<String, usize>| received.values().filter(|&&n| n == 2).count();
    assert_eq!(deleted(&e_received), e_keys.len(), "{}", e_out.join("\n"));
    assert_eq!(deleted(&l_received), e_keys.len(), "{}", l_out.join("\n"));

    // The server published ten updates and one delete per ephemeral key.
    let server_out = server.kill().stdout;
    assert_eq!(
        count(&server_out, |l| l.starts_with("I: publishing update=")),
        10,
        "{}",
        server_out.join("\n")
    );
    assert_eq!(
        count(&server_out, |l| l.starts_with("I: publishing delete=")),
        e_keys.len(),
        "{}",
        server_out.join("\n")
    );
}

/// The `=S keys=K checksum=C` tail of a line of the backup server that
/// changed its store to sequence `S`.
fn server_digest_at(lines: &[String], sequence: &str) -> Option<String> {
    let tail = format!("={sequence} ");
    lines
        .iter()
        .filter(|l| l.starts_with("I: publishing ") || l.starts_with("I: received "))
        .find_map(|l| Some(digest(&l[l.find(&tail)?..])))
}

#[test]
fn clone_model_6_clients_fail_over_to_the_backup_and_their_stores_converge() {
    // The servers' snapshot frontends and publishers are known to their
    // peer, the state publishers too: free ports, picked before they start.
    let [p_frontend, p_publisher, p_state, b_frontend, b_publisher, b_state]: [String; 6] =
        std::array::from_fn(|_| free_endpoint());
    let server = |role: &str, own: [&str; 3], peer: [&str; 3]| {
        let mut server = Proc::start(
            "clonesrv6",
            &[
                role,
                "--frontend",
                own[0],
                "--publisher",
                own[1],
                "--collector",
                "tcp://127.0.0.1:*",
                "--statepub",
                own[2],
                "--statesub",
                peer[2],
                "--peer-frontend",
                peer[0],
                "--peer-publisher",
                peer[1],
            ],
        );
        assert_eq!(server.bound(), own[2]);
        assert_eq!(server.bound(), own[0]);
        assert_eq!(server.bound(), own[1]);
        let collector = server.bound();
        (server, collector)
    };
    let p_own = [p_frontend.as_str(), &p_publisher, &p_state];
    let b_own = [b_frontend.as_str(), &b_publisher, &b_state];
    let (mut primary, p_collector) = server("-p", p_own, b_own);
    let (mut backup, b_collector) = server("-b", b_own, p_own);
    wait_for(
        &mut primary,
        "I: connected to backup (passive), ready as active",
    );
    wait_for(
        &mut backup,
        "I: connected to primary (active), ready as passive",
    );

    // Two clients set 60 values each, through the primary until it is
    // killed, then through the backup: persistent ones, and ephemeral ones
    // (a 3 s ttl) that expire before, across and after the failover. The
    // agents count a server dead after 4 s without hugz (the servers send
    // one a second).
    let client = |ttl: &str| {
        Proc::start(
            "clonecli6",
            &[
                &p_frontend,
                &p_publisher,
                &p_collector,
                &b_frontend,
                &b_publisher,
                &b_collector,
                "--updates",
                "60",
                "--interval-ms",
                "150",
                "--ttl",
                ttl,
                "--server-ttl",
                "4000",
                "--settle-ms",
                "2000",
            ],
        )
    };
    let mut clients = [client("0"), client("3")];
    let from_primary = format!("I: received from {p_frontend} update=");
    for _ in 0..5 {
        clients[0].line_after(&from_primary);
    }
    assert!(
        !primary.kill().status.success(),
        "SIGKILL is not a clean exit"
    );

    let outs = clients.map(|mut c| c.finish());
    let backup_out = backup.kill().stdout;
    let show =
        |out: &[String]| format!("{}\n--- backup:\n{}", out.join("\n"), backup_out.join("\n"));
    assert!(
        backup_out.contains(&"I: failover successful, ready as active".to_owned()),
        "{}",
        backup_out.join("\n")
    );
    assert_eq!(count(&backup_out, |l| l.starts_with("E: ")), 0);
    // The backup deleted expired values once active, never while passive
    // (where the ttl of the active's updates is also turned into a time).
    let takeover = backup_out
        .iter()
        .position(|l| l == "I: failover successful, ready as active")
        .expect("the takeover line");
    let deletes: Vec<usize> = (0..backup_out.len())
        .filter(|&i| backup_out[i].starts_with("I: publishing delete="))
        .collect();
    assert!(!deletes.is_empty(), "{}", backup_out.join("\n"));
    assert!(deletes[0] > takeover, "{}", backup_out.join("\n"));
    for out in &outs {
        // The agent gave up on the silent primary, got a snapshot from the
        // backup, and kept getting updates from it.
        assert!(
            out.contains(&format!("I: server at {p_frontend} didn't give hugz")),
            "{}",
            show(out)
        );
        let from_backup = format!("I: received from {b_frontend} ");
        assert!(
            out.iter()
                .any(|l| l.starts_with(&format!("{from_backup}snapshot="))),
            "{}",
            show(out)
        );
        assert!(
            count(out, |l| l.starts_with(&format!("{from_backup}update="))) >= 1,
            "{}",
            show(out)
        );
        // Its store is the backup's store at the same sequence number.
        let store = out
            .iter()
            .rev()
            .find_map(|l| l.strip_prefix("I: store sequence="))
            .unwrap_or_else(|| panic!("no store line:\n{}", show(out)));
        let (sequence, client_digest) = store.split_once(' ').expect("sequence and digest");
        assert!(!client_digest.starts_with("keys=0 "), "{}", show(out));
        assert_eq!(
            server_digest_at(&backup_out, sequence).as_deref(),
            Some(client_digest),
            "{}",
            show(out)
        );
    }
}
