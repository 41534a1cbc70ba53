//! The zguide's chapter 5 Clone pattern, models one to four (`clonesrv1` to
//! `clonesrv4`, `clonecli1` to `clonecli4`, on the `kvsimple` message module),
//! run as real processes on loopback with ephemeral ports.
//!
//! Every server and client prints its store as `Store: <n> entries, digest
//! <hex>` (a hash of the sorted `key=body` entries) when it ends, so the tests
//! compare whole stores. The Clone contract checked: a client that joins late
//! gets the state through the snapshot and then exactly the updates numbered
//! after the snapshot's sequence, ending with the server's store (model 2 on);
//! a client's own updates reach the server and every other client (model 3);
//! a client of a subtree gets that subtree only, in the snapshot and in the
//! updates (model 4).
//!
//! Clients that join while nobody sends (model 3 and 4 are driven so: each
//! client sends its updates after its snapshot, and the next one starts once
//! they are all back) cannot miss an update. Every process ends by itself
//! (counts) or on SIGINT, which the examples catch; every wait has a deadline
//! (`common::zguide::STEP`).
#![forbid(unsafe_code)]

mod common;

use common::zguide::{count, interrupt, number_after, number_before, Proc};

/// The rest of the line starting with `prefix` (the last such line).
fn text_after(lines: &[String], prefix: &str) -> String {
    lines
        .iter()
        .rev()
        .find_map(|l| l.strip_prefix(prefix))
        .unwrap_or_else(|| panic!("no line '{prefix}…' in:\n{}", lines.join("\n")))
        .to_owned()
}

/// The number of entries of a `N entries, digest X` summary.
fn entries(summary: &str) -> usize {
    summary
        .split_once(" entries")
        .and_then(|(n, _)| n.parse().ok())
        .unwrap_or_else(|| panic!("malformed store summary '{summary}'"))
}

/// The sequence numbers of the `I: received update=<seq>` lines, in order.
fn updates_received(lines: &[String]) -> Vec<i64> {
    lines
        .iter()
        .filter_map(|l| l.strip_prefix("I: received update="))
        .map(|n| n.trim().parse().expect("a sequence number"))
        .collect()
}

/// Model one: the server publishes without end, the client stores what it
/// gets; nothing lets a client catch up, so only the counts are checked.
#[test]
fn model_one_publishes_a_stream_of_updates() {
    // Bounded by a count, the server ends by itself.
    let mut server = Proc::start("clonesrv1", &["tcp://127.0.0.1:*", "--updates", "50"]);
    server.bound();
    let out = server.finish();
    assert_eq!(number_before(&out, " messages out"), 50);
    let store = text_after(&out, "Store: ");
    assert!((1..=50).contains(&entries(&store)), "{store}");

    // As in the C: publishing until interrupted, to a client that takes 1000.
    let mut server = Proc::start("clonesrv1", &["tcp://127.0.0.1:*"]);
    let publisher = server.bound();
    let mut client = Proc::start("clonecli1", &[&publisher, "--updates", "1000"]);
    let client_out = client.finish();
    assert_eq!(number_before(&client_out, " messages in"), 1000);
    let first = number_after(&client_out, "First sequence=", "");
    let store = text_after(&client_out, "Store: ");
    assert!((1..=1000).contains(&entries(&store)), "{store}");

    interrupt(&server);
    let out = server.finish();
    assert!(out.iter().any(|l| l == " Interrupted"), "{out:?}");
    let published = number_before(&out, " messages out");
    assert!(
        published >= first + 999,
        "published {published}, the client got 1000 from {first}"
    );
}

/// Model two: a client joining while the server publishes gets the snapshot
/// and then exactly the updates after it; one joining after the last update
/// gets everything from the snapshot alone. Both end with the server's store.
#[test]
fn model_two_snapshot_then_updates_after_it() {
    const UPDATES: i64 = 400;
    let mut server = Proc::start(
        "clonesrv2",
        &[
            "tcp://127.0.0.1:*",
            "tcp://127.0.0.1:*",
            "--updates",
            &UPDATES.to_string(),
            "--interval",
            "10",
        ],
    );
    let publisher = server.bound();
    let snapshot = server.bound();
    let until = UPDATES.to_string();

    // Joins while the server publishes (it takes UPDATES × 10 ms).
    let mut early = Proc::start("clonecli2", &[&snapshot, &publisher, "--until", &until]);
    let early_snapshot: i64 = early.line_after("Received snapshot=").parse().unwrap();
    let early_out = early.finish();

    server.line_after(&format!("{UPDATES} messages out"));
    // Joins once everything is published: the snapshot is the whole state.
    let mut late = Proc::start("clonecli2", &[&snapshot, &publisher, "--until", &until]);
    let late_out = late.finish();

    interrupt(&server);
    let server_out = server.finish();
    let server_store = text_after(&server_out, "Store: ");
    assert!(entries(&server_store) >= 1, "{server_store}");
    assert_eq!(
        count(&server_out, |l| l.starts_with("Sending state snapshot=")),
        2
    );

    assert!(
        early_snapshot < UPDATES,
        "the early client should join before the last update"
    );
    assert_eq!(
        number_after(&early_out, "Applied ", " updates"),
        UPDATES - early_snapshot,
        "exactly the updates after snapshot {early_snapshot}"
    );
    assert_eq!(text_after(&early_out, "Store: "), server_store);

    assert_eq!(number_after(&late_out, "Received snapshot=", ""), UPDATES);
    assert_eq!(number_after(&late_out, "Applied ", " updates"), 0);
    assert_eq!(text_after(&late_out, "Store: "), server_store);
}

/// Starts a model 3 or 4 client on the server's three endpoints.
fn client(name: &str, endpoints: &[String; 3], options: &[&str]) -> Proc {
    let mut args: Vec<&str> = endpoints.iter().map(String::as_str).collect();
    args.extend_from_slice(&["--interval", "300"]);
    args.extend_from_slice(options);
    Proc::start(name, &args)
}

/// Model three: three clients join one after another, each sending two
/// updates after its snapshot; every update reaches every client present,
/// each client applies exactly those after its snapshot, and all of them, and
/// a fourth that joins at the end, hold the server's store.
#[test]
fn model_three_clients_updates_reach_everyone() {
    let mut server = Proc::start(
        "clonesrv3",
        &[
            "tcp://127.0.0.1:*",
            "tcp://127.0.0.1:*",
            "tcp://127.0.0.1:*",
        ],
    );
    let endpoints = [server.bound(), server.bound(), server.bound()];
    let both = ["--updates", "2", "--until", "6"];

    let mut first = client("clonecli3", &endpoints, &both);
    first.line_after("I: received update=2");
    let mut second = client("clonecli3", &endpoints, &both);
    second.line_after("I: received update=4");
    let mut third = client("clonecli3", &endpoints, &both);
    let outs = [first.finish(), second.finish(), third.finish()];
    let mut late = client("clonecli3", &endpoints, &["--updates", "0", "--until", "0"]);
    let late_out = late.finish();

    interrupt(&server);
    let server_out = server.finish();
    assert_eq!(number_before(&server_out, " messages handled"), 6);
    assert_eq!(
        count(&server_out, |l| l.starts_with("I: publishing update")),
        6
    );
    let server_store = text_after(&server_out, "Store: ");
    assert!((1..=6).contains(&entries(&server_store)), "{server_store}");

    for (i, out) in outs.iter().enumerate() {
        let snapshot = number_after(out, "I: received snapshot=", "");
        assert_eq!(snapshot, 2 * i as i64, "client {i}");
        let expected: Vec<i64> = (snapshot + 1..=6).collect();
        assert_eq!(updates_received(out), expected, "client {i}");
        assert_eq!(number_before(out, " messages in"), 6);
        assert_eq!(text_after(out, "Store: "), server_store, "client {i}");
    }
    assert_eq!(number_after(&late_out, "I: received snapshot=", ""), 6);
    assert!(updates_received(&late_out).is_empty());
    assert_eq!(text_after(&late_out, "Store: "), server_store);
}

/// Model four: two clients of `/client/` and one of `/other/`. Each gets its
/// subtree only: in the snapshot (a late `/other/` client) and in the update
/// stream (the first `/client/` client never sees the `/other/` updates).
#[test]
fn model_four_subtrees_filter_snapshot_and_updates() {
    let mut server = Proc::start(
        "clonesrv4",
        &[
            "tcp://127.0.0.1:*",
            "tcp://127.0.0.1:*",
            "tcp://127.0.0.1:*",
            "--subtrees",
            "/client/,/other/",
        ],
    );
    let endpoints = [server.bound(), server.bound(), server.bound()];

    // Updates 1-2 from the first /client/ client, 3-4 from the /other/
    // client, 5-6 from the second /client/ client.
    let mut first = client("clonecli4", &endpoints, &["--updates", "2", "--until", "6"]);
    first.line_after("I: received update=2");
    let mut other = client(
        "clonecli4",
        &endpoints,
        &["--subtree", "/other/", "--updates", "2", "--until", "4"],
    );
    let other_out = other.finish();
    let mut second = client(
        "clonecli4",
        &endpoints,
        &["--subtree", "/client/", "--updates", "2", "--until", "6"],
    );
    let second_out = second.finish();
    let first_out = first.finish();
    let mut late = client(
        "clonecli4",
        &endpoints,
        &["--subtree", "/other/", "--updates", "0", "--until", "0"],
    );
    let late_out = late.finish();

    interrupt(&server);
    let server_out = server.finish();
    assert_eq!(number_before(&server_out, " messages handled"), 6);
    let client_tree = text_after(&server_out, "Subtree /client/: ");
    let other_tree = text_after(&server_out, "Subtree /other/: ");
    let all = text_after(&server_out, "Store: ");
    assert_eq!(entries(&all), entries(&client_tree) + entries(&other_tree));
    assert!((1..=4).contains(&entries(&client_tree)), "{client_tree}");
    assert!((1..=2).contains(&entries(&other_tree)), "{other_tree}");

    // The first /client/ client: its own updates and the second client's,
    // never those of /other/.
    assert_eq!(number_after(&first_out, "I: received snapshot=", ""), 0);
    assert_eq!(updates_received(&first_out), [1, 2, 5, 6]);
    assert_eq!(text_after(&first_out, "Store: "), client_tree);

    // The /other/ client: a snapshot at sequence 2 holding nothing of
    // /client/, then its own two updates.
    assert_eq!(number_after(&other_out, "I: received snapshot=", ""), 2);
    assert_eq!(updates_received(&other_out), [3, 4]);
    assert_eq!(text_after(&other_out, "Store: "), other_tree);

    // The second /client/ client: the first one's entries from the snapshot
    // (not the /other/ ones), then its own.
    assert_eq!(number_after(&second_out, "I: received snapshot=", ""), 4);
    assert_eq!(updates_received(&second_out), [5, 6]);
    assert_eq!(text_after(&second_out, "Store: "), client_tree);

    // A late /other/ client: the /other/ subtree from the snapshot alone.
    assert_eq!(number_after(&late_out, "I: received snapshot=", ""), 6);
    assert!(updates_received(&late_out).is_empty());
    assert_eq!(text_after(&late_out, "Store: "), other_tree);
}
