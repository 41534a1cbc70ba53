//! libzmq's draft API (feature `draft`): the thread-safe socket types and
//! [`ThreadSafeSocket`], routing ids and groups on messages, DISH groups, PEER
//! connections, raw UDP datagrams, and the draft context options.
//!
//! Every blocking receive has a timeout and every test runs under a watchdog, so a
//! bug fails the test instead of hanging the run.
#![cfg(feature = "draft")]
#![forbid(unsafe_code)]

mod common;
use common::net::{bind_loopback, free_udp_port, free_udp_ports};
use common::within;

use std::collections::{BTreeSet, HashSet};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::thread;
use std::time::{Duration, Instant};

use zmq::{
    Context, Error, Message, RecvFlags, SendFlags, Socket, SocketType, ThreadSafeSocket,
    ThreadSafeType, CHANNEL, CLIENT, DEALER, DGRAM, DISH, GATHER, PAIR, PEER, RADIO, REQ, SCATTER,
    SERVER, SNDMORE,
};

/// How long a receive that should succeed may wait.
const PATIENCE_MS: i32 = 5_000;

/// A message carrying `body`, sent to `group`.
fn group_msg(group: &str, body: &str) -> Message {
    let mut msg = Message::from(body);
    msg.set_group(group).unwrap();
    msg
}

/// The next `(group, body)` a DISH receives, `None` when its receive timeout expires.
fn recv_group(dish: &Socket) -> Option<(String, String)> {
    match dish.recv_message(RecvFlags::empty()) {
        Ok(msg) => {
            assert!(!msg.more(), "DISH messages are single-frame");
            Some((
                msg.group().unwrap_or("").to_owned(),
                msg.as_str().unwrap().to_owned(),
            ))
        }
        Err(Error::EAGAIN) => None,
        Err(e) => panic!("DISH receive failed: {e}"),
    }
}

#[test]
fn the_draft_feature_promises_the_draft_api() {
    assert!(zmq::has("draft"), "built with `draft`, linked without it");
}

#[test]
fn draft_socket_types_are_listed_named_and_numbered() {
    let draft = [
        (SocketType::Server, SERVER, "ZMQ_SERVER", 12),
        (SocketType::Client, CLIENT, "ZMQ_CLIENT", 13),
        (SocketType::Radio, RADIO, "ZMQ_RADIO", 14),
        (SocketType::Dish, DISH, "ZMQ_DISH", 15),
        (SocketType::Gather, GATHER, "ZMQ_GATHER", 16),
        (SocketType::Scatter, SCATTER, "ZMQ_SCATTER", 17),
        (SocketType::Dgram, DGRAM, "ZMQ_DGRAM", 18),
        (SocketType::Peer, PEER, "ZMQ_PEER", 19),
        (SocketType::Channel, CHANNEL, "ZMQ_CHANNEL", 20),
    ];
    for (variant, alias, name, number) in draft {
        assert_eq!(variant, alias);
        assert_eq!(variant.name(), name);
        assert_eq!(variant.to_string(), &name[4..]);
        assert_eq!(variant as i32, number);
        assert_eq!(SocketType::try_from(number).unwrap(), variant);
        assert!(SocketType::ALL.contains(&variant), "{name} not in ALL");
    }
    assert_eq!(SocketType::ALL.len(), 12 + draft.len());
}

#[test]
fn zmq_thread_safe_reads_true_exactly_for_the_thread_safe_types() {
    let ctx = Context::new().unwrap();
    let mut thread_safe = Vec::new();
    for &t in SocketType::ALL {
        let socket = ctx.socket(t).unwrap();
        assert_eq!(socket.get_socket_type().unwrap(), t);
        let reported = socket.get_thread_safe().unwrap();
        assert_eq!(reported, t.is_thread_safe(), "{t}");
        if reported {
            thread_safe.push(t);
        }
    }
    let expected: Vec<SocketType> = ThreadSafeType::ALL.iter().map(|&t| t.into()).collect();
    assert_eq!(thread_safe, expected);
    // DGRAM is a draft type but a classic, single-threaded one.
    assert!(!ctx.socket(DGRAM).unwrap().get_thread_safe().unwrap());
}

#[test]
fn thread_safe_sockets_are_made_only_of_thread_safe_types() {
    let ctx = Context::new().unwrap();
    for &t in ThreadSafeType::ALL {
        let shared = ctx.thread_safe_socket(t).unwrap();
        assert_eq!(shared.socket_type(), t);
        assert_eq!(shared.get_socket_type().unwrap(), SocketType::from(t));
        assert!(shared.get_thread_safe().unwrap());
        assert_eq!(ThreadSafeType::try_from(SocketType::from(t)).unwrap(), t);
        assert_eq!(t.to_string(), SocketType::from(t).to_string());
        let plain: Socket = shared.into_socket();
        assert_eq!(plain.get_socket_type().unwrap(), SocketType::from(t));
        let again = ThreadSafeSocket::try_from(plain).unwrap();
        assert_eq!(again.socket_type(), t);
        again.close().unwrap();
    }
    for t in [REQ, PAIR, DEALER, DGRAM] {
        assert_eq!(
            ThreadSafeSocket::new(&ctx, t).unwrap_err(),
            Error::EINVAL,
            "{t}"
        );
        assert_eq!(ThreadSafeType::try_from(t).unwrap_err(), Error::EINVAL);
        let classic = ctx.socket(t).unwrap();
        assert_eq!(
            ThreadSafeSocket::try_from(classic).unwrap_err(),
            Error::EINVAL
        );
    }
    assert_eq!(
        ThreadSafeSocket::new(&ctx, SERVER).unwrap().socket_type(),
        ThreadSafeType::Server
    );
    // A terminated context makes no sockets, shared or not.
    let gone = Context::new().unwrap();
    gone.shutdown().unwrap();
    assert_eq!(
        gone.thread_safe_socket(ThreadSafeType::Client).unwrap_err(),
        Error::ETERM
    );
}

/// Two clients talk to one server; each reply goes back by routing id to the
/// client that asked, and only to it.
fn server_client_round_trip(ctx: &Context, server: &Socket, endpoint: &str) {
    server.set_rcvtimeo(PATIENCE_MS).unwrap();
    let clients: Vec<Socket> = (0..2)
        .map(|_| {
            let c = ctx.socket(CLIENT).unwrap();
            c.set_rcvtimeo(PATIENCE_MS).unwrap();
            c.connect(endpoint).unwrap();
            c
        })
        .collect();
    for (i, c) in clients.iter().enumerate() {
        c.send(format!("hello from {i}"), SendFlags::empty())
            .unwrap();
    }
    let mut ids = Vec::new();
    for _ in 0..2 {
        let request = server.recv_message(RecvFlags::empty()).unwrap();
        assert!(!request.more());
        let id = request
            .routing_id()
            .expect("SERVER messages carry a routing id");
        let asker: usize = request.as_str().unwrap()["hello from ".len()..]
            .parse()
            .unwrap();
        ids.push(id);
        let mut reply = Message::from(format!("hi {asker}"));
        reply.set_routing_id(id).unwrap();
        server.send_msg(&mut reply, SendFlags::empty()).unwrap();
        assert!(reply.is_empty(), "a sent message is emptied");
    }
    assert_ne!(ids[0], ids[1], "each client has its own routing id");
    for (i, c) in clients.iter().enumerate() {
        let reply = c.recv_message(RecvFlags::empty()).unwrap();
        assert_eq!(reply, format!("hi {i}").as_str());
        assert_eq!(reply.routing_id(), None, "CLIENT messages carry none");
        assert_eq!(
            c.recv_bytes(RecvFlags::DONTWAIT).unwrap_err(),
            Error::EAGAIN,
            "client {i} got a reply meant for the other"
        );
    }
}

#[test]
fn server_and_clients_request_reply_over_tcp() {
    within(Duration::from_secs(30), || {
        let ctx = Context::new().unwrap();
        let server = ctx.socket(SERVER).unwrap();
        let endpoint = bind_loopback(&server);
        server_client_round_trip(&ctx, &server, &endpoint);
    });
}

#[test]
fn server_and_clients_request_reply_over_inproc() {
    within(Duration::from_secs(30), || {
        let ctx = Context::new().unwrap();
        let server = ctx.thread_safe_socket(ThreadSafeType::Server).unwrap();
        server.bind("inproc://draft-server").unwrap();
        server_client_round_trip(&ctx, &server, "inproc://draft-server");
    });
}

#[test]
fn server_sends_need_a_known_routing_id() {
    within(Duration::from_secs(30), || {
        let ctx = Context::new().unwrap();
        let server = ctx.socket(SERVER).unwrap();
        server.bind("inproc://draft-unroutable").unwrap();
        let client = ctx.socket(CLIENT).unwrap();
        client.connect("inproc://draft-unroutable").unwrap();
        // No routing id at all.
        let mut msg = Message::from("to nobody");
        assert_eq!(
            server.send_msg(&mut msg, SendFlags::empty()).unwrap_err(),
            Error::EHOSTUNREACH
        );
        assert_eq!(msg, "to nobody", "a failed send keeps the message");
        // An id no client has.
        msg.set_routing_id(u32::MAX).unwrap();
        assert_eq!(
            server.send_msg(&mut msg, SendFlags::empty()).unwrap_err(),
            Error::EHOSTUNREACH
        );
        assert_eq!(msg.routing_id(), Some(u32::MAX));
    });
}

#[test]
fn multipart_sends_are_einval_on_thread_safe_types() {
    within(Duration::from_secs(30), || {
        let ctx = Context::new().unwrap();
        let server = ctx.thread_safe_socket(ThreadSafeType::Server).unwrap();
        server.bind("inproc://draft-multipart").unwrap();
        server.set_rcvtimeo(PATIENCE_MS).unwrap();
        let client = ctx.thread_safe_socket(ThreadSafeType::Client).unwrap();
        client.connect("inproc://draft-multipart").unwrap();
        assert_eq!(client.send("part", SNDMORE).unwrap_err(), Error::EINVAL);
        let mut part = Message::from("kept");
        assert_eq!(
            client.send_msg(&mut part, SNDMORE).unwrap_err(),
            Error::EINVAL
        );
        assert_eq!(part, "kept");
        assert_eq!(
            client
                .send_multipart(["a", "b"], SendFlags::empty())
                .unwrap_err(),
            Error::EINVAL
        );
        // Nothing of those reached the server; a single frame does.
        client.send("single", SendFlags::empty()).unwrap();
        let request = server.recv_message(RecvFlags::empty()).unwrap();
        assert_eq!(request, "single");
        assert!(!request.more());
        let mut reply = Message::from("r");
        reply.set_routing_id(request.routing_id().unwrap()).unwrap();
        assert_eq!(
            server.send_msg(&mut reply, SNDMORE).unwrap_err(),
            Error::EINVAL
        );
        assert_eq!(reply, "r");
    });
}

/// Sends `body` to `group` until the DISH receives a message of that group (the
/// radio learns of joins in the background, and over UDP the dish binds in the
/// background), then drains what the repetition queued, using a marker message.
/// The dish waits 100 ms for each probe, then up to `PATIENCE_MS` for every message
/// after them (the callers expect them all).
fn sync_group(radio: &Socket, dish: &Socket, group: &str) {
    dish.set_rcvtimeo(100).unwrap();
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        assert!(Instant::now() < deadline, "group {group} never arrived");
        radio
            .send_msg(&mut group_msg(group, "sync"), SendFlags::empty())
            .unwrap();
        if let Some((g, body)) = recv_group(dish) {
            assert_eq!((g.as_str(), body.as_str()), (group, "sync"));
            break;
        }
    }
    dish.set_rcvtimeo(PATIENCE_MS).unwrap();
    radio
        .send_msg(&mut group_msg(group, "marker"), SendFlags::empty())
        .unwrap();
    loop {
        let (g, body) = recv_group(dish).expect("marker lost");
        assert_eq!(g, group);
        if body == "marker" {
            return;
        }
        assert_eq!(body, "sync");
    }
}

/// What a DISH receives follows its joins and leaves: exact group matches only.
fn radio_dish_groups(radio: &Socket, dish: &Socket) {
    dish.set_rcvtimeo(100).unwrap();
    dish.join("weather").unwrap();
    sync_group(radio, dish, "weather");

    // Not joined: "sports" (and the prefix "weathe") are filtered out.
    for _ in 0..3 {
        radio
            .send_msg(&mut group_msg("sports", "goal"), SendFlags::empty())
            .unwrap();
        radio
            .send_msg(&mut group_msg("weathe", "prefix"), SendFlags::empty())
            .unwrap();
    }
    radio
        .send_msg(&mut group_msg("weather", "rain"), SendFlags::empty())
        .unwrap();
    assert_eq!(recv_group(dish), Some(("weather".into(), "rain".into())));

    // Joining a second group.
    dish.join("sports").unwrap();
    sync_group(radio, dish, "sports");
    radio
        .send_msg(&mut group_msg("weather", "sun"), SendFlags::empty())
        .unwrap();
    radio
        .send_msg(&mut group_msg("sports", "score"), SendFlags::empty())
        .unwrap();
    assert_eq!(recv_group(dish), Some(("weather".into(), "sun".into())));
    assert_eq!(recv_group(dish), Some(("sports".into(), "score".into())));

    // Leaving: once a probe round shows no "weather", none comes any more.
    dish.leave("weather").unwrap();
    let deadline = Instant::now() + Duration::from_secs(10);
    let mut round = 0;
    loop {
        assert!(Instant::now() < deadline, "the leave never took effect");
        round += 1;
        radio
            .send_msg(&mut group_msg("weather", "probe"), SendFlags::empty())
            .unwrap();
        let end = format!("end {round}");
        radio
            .send_msg(&mut group_msg("sports", &end), SendFlags::empty())
            .unwrap();
        let mut saw_weather = false;
        loop {
            let (g, body) = recv_group(dish).expect("sports marker lost");
            if g == "weather" {
                saw_weather = true;
            } else if body == end {
                break;
            }
        }
        if !saw_weather {
            break;
        }
    }
    for _ in 0..3 {
        radio
            .send_msg(&mut group_msg("weather", "late"), SendFlags::empty())
            .unwrap();
    }
    radio
        .send_msg(&mut group_msg("sports", "final"), SendFlags::empty())
        .unwrap();
    loop {
        let (g, body) = recv_group(dish).expect("final lost");
        assert_eq!(g, "sports", "a left group still arrives: {body}");
        if body == "final" {
            break;
        }
    }
}

#[test]
fn radio_dish_groups_over_tcp() {
    within(Duration::from_secs(60), || {
        let ctx = Context::new().unwrap();
        let dish = ctx.socket(DISH).unwrap();
        let endpoint = bind_loopback(&dish);
        let radio = ctx.socket(RADIO).unwrap();
        radio.connect(&endpoint).unwrap();
        radio_dish_groups(&radio, &dish);
    });
}

#[test]
fn radio_dish_groups_over_inproc() {
    within(Duration::from_secs(60), || {
        let ctx = Context::new().unwrap();
        let radio = ctx.thread_safe_socket(ThreadSafeType::Radio).unwrap();
        radio.bind("inproc://draft-radio").unwrap();
        let dish = ctx.thread_safe_socket(ThreadSafeType::Dish).unwrap();
        dish.connect("inproc://draft-radio").unwrap();
        radio_dish_groups(&radio, &dish);
    });
}

#[test]
fn radio_dish_groups_over_udp() {
    within(Duration::from_secs(60), || {
        let ctx = Context::new().unwrap();
        let port = free_udp_port("127.0.0.1");
        let endpoint = format!("udp://127.0.0.1:{port}");
        let dish = ctx.socket(DISH).unwrap();
        // A DISH on udp:// takes the risk of hostile datagrams (SECURITY.md) only
        // when told to.
        assert_eq!(dish.bind(&endpoint), Err(Error::ENOTSUP));
        dish.allow_udp_dish().unwrap();
        dish.bind(&endpoint).unwrap();
        let radio = ctx.socket(RADIO).unwrap();
        radio.connect(&endpoint).unwrap();
        radio_dish_groups(&radio, &dish);
        // UDP is for RADIO (connect) and DISH (bind) only.
        let other = ctx.socket(SERVER).unwrap();
        assert_eq!(
            other.bind("udp://127.0.0.1:1").unwrap_err(),
            Error::ENOCOMPATPROTO
        );
    });
}

#[test]
fn join_and_leave_errors() {
    let ctx = Context::new().unwrap();
    let dish = ctx.socket(DISH).unwrap();
    dish.join("a").unwrap();
    assert_eq!(dish.join("a").unwrap_err(), Error::EINVAL, "joined twice");
    dish.leave("a").unwrap();
    assert_eq!(dish.leave("a").unwrap_err(), Error::EINVAL, "not joined");
    assert_eq!(dish.join("a\0b").unwrap_err(), Error::EINVAL);
    // 14 bytes, the longest group libzmq's copies share safely (SECURITY.md).
    let longest = "g".repeat(14);
    dish.join(&longest).unwrap();
    dish.leave(&longest).unwrap();
    assert_eq!(dish.join(&"g".repeat(15)).unwrap_err(), Error::EINVAL);
    let too_long = "g".repeat(256);
    assert_eq!(dish.join(&too_long).unwrap_err(), Error::EINVAL);
    assert_eq!(dish.leave(&too_long).unwrap_err(), Error::EINVAL);
    for t in [RADIO, SERVER, PAIR] {
        let s = ctx.socket(t).unwrap();
        assert_eq!(s.join("a").unwrap_err(), Error::ENOTSUP, "{t}");
        assert_eq!(s.leave("a").unwrap_err(), Error::ENOTSUP, "{t}");
    }
}

#[test]
fn scatter_round_robins_to_its_gatherers() {
    within(Duration::from_secs(30), || {
        let ctx = Context::new().unwrap();
        let gathers: Vec<ThreadSafeSocket> = (0..2)
            .map(|_| {
                let g = ctx.thread_safe_socket(ThreadSafeType::Gather).unwrap();
                g.set_rcvtimeo(PATIENCE_MS).unwrap();
                g
            })
            .collect();
        let scatter = ctx.thread_safe_socket(ThreadSafeType::Scatter).unwrap();
        // Connecting makes both pipes at once, so the rotation starts with both.
        for g in &gathers {
            let endpoint = bind_loopback(g);
            scatter.connect(&endpoint).unwrap();
        }
        for i in 0..10 {
            scatter.send(i.to_string(), SendFlags::empty()).unwrap();
        }
        let mut all = BTreeSet::new();
        let mut shares = Vec::new();
        for g in &gathers {
            let mut mine = Vec::new();
            for _ in 0..5 {
                let text = g.recv_string(RecvFlags::empty()).unwrap().unwrap();
                mine.push(text.parse::<u32>().unwrap());
            }
            assert_eq!(
                g.recv_bytes(RecvFlags::DONTWAIT).unwrap_err(),
                Error::EAGAIN,
                "more than its share"
            );
            // Every other message: all even or all odd, in order.
            assert!(mine.windows(2).all(|w| w[1] == w[0] + 2), "{mine:?}");
            all.extend(mine.iter().copied());
            shares.push(mine);
        }
        assert_eq!(all, (0..10).collect());
        assert_ne!(shares[0][0] % 2, shares[1][0] % 2);
        assert_eq!(
            scatter.send_multipart(["x", "y"], SendFlags::empty()),
            Err(Error::EINVAL)
        );
    });
}

#[test]
fn dgram_exchanges_datagrams_with_peer_addresses() {
    within(Duration::from_secs(30), || {
        let ctx = Context::new().unwrap();
        let ports = free_udp_ports("127.0.0.1", 2);
        let a = ctx.socket(DGRAM).unwrap();
        a.bind(&format!("udp://127.0.0.1:{}", ports[0])).unwrap();
        let b = ctx.socket(DGRAM).unwrap();
        b.bind(&format!("udp://127.0.0.1:{}", ports[1])).unwrap();
        for s in [&a, &b] {
            s.set_rcvtimeo(100).unwrap();
        }
        // Every message is [address, body]; a body alone is refused.
        assert_eq!(
            a.send("no address", SendFlags::empty()).unwrap_err(),
            Error::EINVAL
        );
        let to_b = format!("127.0.0.1:{}", ports[1]);
        // b binds in the background: repeat until a datagram arrives.
        let deadline = Instant::now() + Duration::from_secs(10);
        let request = loop {
            assert!(Instant::now() < deadline, "no datagram arrived");
            a.send_multipart([to_b.as_str(), "ping"], SendFlags::empty())
                .unwrap();
            match b.recv_multipart(RecvFlags::empty()) {
                Ok(parts) => break parts,
                Err(Error::EAGAIN) => continue,
                Err(e) => panic!("{e}"),
            }
        };
        // The sender's address comes as "ip:port" with a trailing NUL byte.
        let from_a = format!("127.0.0.1:{}\0", ports[0]);
        assert_eq!(request, [from_a.as_bytes(), b"ping"]);
        // Replying to the address frame as received reaches a.
        b.send_multipart([&request[0][..], b"pong"], SendFlags::empty())
            .unwrap();
        a.set_rcvtimeo(PATIENCE_MS).unwrap();
        let reply = a.recv_multipart(RecvFlags::empty()).unwrap();
        let from_b = format!("{to_b}\0");
        assert_eq!(reply, [from_b.as_bytes(), b"pong"]);
        // Exactly two frames: a third is refused.
        assert_eq!(
            a.send_multipart([to_b.as_str(), "x", "y"], SendFlags::empty())
                .unwrap_err(),
            Error::EINVAL
        );
    });
}

/// libzmq 4.3.5 aborts (or blocks forever) when a DGRAM socket without a UDP pipe
/// sends; the crate answers `EAGAIN` instead, keeping the message. (A DGRAM sends
/// whole datagrams only, an address and a body in one call: a frame with `SNDMORE`
/// on its own is `EINVAL`.)
#[test]
fn dgram_sends_before_bind_are_eagain_not_a_crash() {
    within(Duration::from_secs(30), || {
        let ctx = Context::new().unwrap();
        let d = ctx.socket(DGRAM).unwrap();
        assert_eq!(
            d.send_multipart(["127.0.0.1:9", "body"], SendFlags::empty())
                .unwrap_err(),
            Error::EAGAIN,
            "blocking send"
        );
        assert_eq!(
            d.send_multipart(["127.0.0.1:9", "body"], SendFlags::DONTWAIT)
                .unwrap_err(),
            Error::EAGAIN
        );
        let mut msg = zmq::Multipart::from_iter(["127.0.0.1:9", "kept"]);
        let err = d
            .send_multipart_msg(&mut msg, SendFlags::empty())
            .unwrap_err();
        assert_eq!((err.error, err.sent), (Error::EAGAIN, 0));
        assert_eq!(msg, ["127.0.0.1:9", "kept"]);
        assert_eq!(d.send("127.0.0.1:9", SNDMORE).unwrap_err(), Error::EINVAL);
        let mut single = Message::from("kept");
        assert_eq!(d.send_msg(&mut single, SNDMORE).unwrap_err(), Error::EINVAL);
        assert_eq!(single, "kept");
        // Once bound, it sends (to a port nobody listens on: the datagram is lost).
        let port = free_udp_port("127.0.0.1");
        d.bind(&format!("udp://127.0.0.1:{port}")).unwrap();
        d.send_multipart(["127.0.0.1:9", "body"], SendFlags::empty())
            .unwrap();
        // A disconnect takes the pipe away again (over inproc: libzmq cannot unbind
        // udp endpoints): still no crash.
        let peer = ctx.socket(DGRAM).unwrap();
        peer.bind("inproc://draft-dgram-pipe").unwrap();
        let e = ctx.socket(DGRAM).unwrap();
        e.connect("inproc://draft-dgram-pipe").unwrap();
        e.send_multipart(["to", "peer"], SendFlags::empty())
            .unwrap();
        e.disconnect("inproc://draft-dgram-pipe").unwrap();
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            match e.send_multipart(["to", "peer"], SendFlags::empty()) {
                Err(Error::EAGAIN) => break,
                Ok(()) => {}
                Err(e) => panic!("{e}"),
            }
            assert!(Instant::now() < deadline, "the pipe never went away");
        }
    });
}

#[test]
fn peers_connect_and_route_by_routing_id() {
    within(Duration::from_secs(30), || {
        let ctx = Context::new().unwrap();
        let a = ctx.thread_safe_socket(ThreadSafeType::Peer).unwrap();
        let endpoint = bind_loopback(&a);
        a.set_rcvtimeo(PATIENCE_MS).unwrap();
        let b = ctx.thread_safe_socket(ThreadSafeType::Peer).unwrap();
        b.set_rcvtimeo(PATIENCE_MS).unwrap();
        let c = ctx.thread_safe_socket(ThreadSafeType::Peer).unwrap();
        c.set_rcvtimeo(PATIENCE_MS).unwrap();

        let b_to_a = b.connect_peer(&endpoint).unwrap();
        let c_to_a = c.connect_peer(&endpoint).unwrap();
        assert_ne!(b_to_a, 0);
        for (sender, id, text) in [(&b, b_to_a, "from b"), (&c, c_to_a, "from c")] {
            let mut msg = Message::from(text);
            msg.set_routing_id(id).unwrap();
            sender.send_msg(&mut msg, SendFlags::empty()).unwrap();
        }
        let mut ids = Vec::new();
        for _ in 0..2 {
            let got = a.recv_message(RecvFlags::empty()).unwrap();
            let id = got.routing_id().expect("PEER messages carry a routing id");
            ids.push(id);
            let mut reply = Message::from(format!("re: {}", got.as_str().unwrap()));
            reply.set_routing_id(id).unwrap();
            a.send_msg(&mut reply, SendFlags::empty()).unwrap();
        }
        assert_ne!(ids[0], ids[1]);
        for (receiver, id, text) in [(&b, b_to_a, "re: from b"), (&c, c_to_a, "re: from c")] {
            let got = receiver.recv_message(RecvFlags::empty()).unwrap();
            assert_eq!(got, text);
            // Replies come from the peer that connect_peer named.
            assert_eq!(got.routing_id(), Some(id));
        }
        let mut stray = Message::from("x");
        stray.set_routing_id(u32::MAX).unwrap();
        assert_eq!(
            a.send_msg(&mut stray, SendFlags::empty()).unwrap_err(),
            Error::EHOSTUNREACH
        );

        // Errors: not a PEER, ZMQ_IMMEDIATE, bad endpoints.
        let dealer = ctx.socket(DEALER).unwrap();
        assert_eq!(dealer.connect_peer(&endpoint).unwrap_err(), Error::ENOTSUP);
        let immediate = ctx.socket(PEER).unwrap();
        immediate.set_immediate(true).unwrap();
        assert_eq!(
            immediate.connect_peer(&endpoint).unwrap_err(),
            Error::EFAULT
        );
        assert_eq!(
            b.connect_peer("bogus://x").unwrap_err(),
            Error::EPROTONOSUPPORT
        );
        assert_eq!(b.connect_peer("tcp://a\0b").unwrap_err(), Error::EINVAL);
    });
}

#[test]
fn channels_pair_up_over_inproc() {
    within(Duration::from_secs(30), || {
        let ctx = Context::new().unwrap();
        let a = ctx.thread_safe_socket(ThreadSafeType::Channel).unwrap();
        a.bind("inproc://draft-channel").unwrap();
        let b = ctx.thread_safe_socket(ThreadSafeType::Channel).unwrap();
        b.connect("inproc://draft-channel").unwrap();
        for s in [&a, &b] {
            s.set_rcvtimeo(PATIENCE_MS).unwrap();
        }
        // One thread sends on `a` while another receives on `a`, both through `&a`.
        thread::scope(|scope| {
            scope.spawn(|| {
                for i in 0..100 {
                    a.send(format!("a{i}"), SendFlags::empty()).unwrap();
                }
            });
            scope.spawn(|| {
                for i in 0..100 {
                    assert_eq!(
                        a.recv_string(RecvFlags::empty()).unwrap().unwrap(),
                        format!("b{i}")
                    );
                }
            });
            for i in 0..100 {
                b.send(format!("b{i}"), SendFlags::empty()).unwrap();
            }
            for i in 0..100 {
                assert_eq!(
                    b.recv_string(RecvFlags::empty()).unwrap().unwrap(),
                    format!("a{i}")
                );
            }
        });
        // A channel has one peer: a second one is not served.
        let third = ctx.socket(CHANNEL).unwrap();
        third.connect("inproc://draft-channel").unwrap();
        third.send("intruder", SendFlags::DONTWAIT).ok();
        b.send("still b", SendFlags::empty()).unwrap();
        assert_eq!(a.recv_bytes(RecvFlags::empty()).unwrap(), b"still b");
    });
}

#[test]
fn one_server_shared_by_four_threads_receives_each_message_once() {
    const RECEIVERS: usize = 4;
    const CLIENTS: usize = 4;
    const PER_CLIENT: usize = 50;
    const TOTAL: usize = CLIENTS * PER_CLIENT;
    within(Duration::from_secs(60), || {
        let ctx = Context::new().unwrap();
        let server = ctx.thread_safe_socket(ThreadSafeType::Server).unwrap();
        let endpoint = bind_loopback(&server);
        // Short, so idle receivers notice when everything has arrived.
        server.set_rcvtimeo(50).unwrap();
        let clients: Vec<Socket> = (0..CLIENTS)
            .map(|_| {
                let c = ctx.socket(CLIENT).unwrap();
                c.set_rcvtimeo(PATIENCE_MS * 2).unwrap();
                c.connect(&endpoint).unwrap();
                c
            })
            .collect();
        let received = AtomicUsize::new(0);
        let started = AtomicUsize::new(0);
        let deadline = Instant::now() + Duration::from_secs(30);

        let per_thread: Vec<Vec<String>> = thread::scope(|scope| {
            let receivers: Vec<_> = (0..RECEIVERS)
                .map(|_| {
                    // Each receiver thread holds `&ThreadSafeSocket`.
                    let (server, received, started) = (&server, &received, &started);
                    scope.spawn(move || {
                        let mut got = Vec::new();
                        let mut msg = Message::new();
                        while received.load(Ordering::SeqCst) < TOTAL {
                            assert!(Instant::now() < deadline, "messages missing");
                            match server.recv_msg(&mut msg, RecvFlags::empty()) {
                                Ok(_) => {}
                                Err(Error::EAGAIN) => continue,
                                Err(e) => panic!("receive failed: {e}"),
                            }
                            received.fetch_add(1, Ordering::SeqCst);
                            let id = msg.routing_id().expect("no routing id");
                            let text = msg.as_str().unwrap().to_owned();
                            // Replies are sent concurrently too, by routing id.
                            let mut reply = Message::from(format!("re:{text}"));
                            reply.set_routing_id(id).unwrap();
                            server.send_msg(&mut reply, SendFlags::empty()).unwrap();
                            got.push(text);
                            if got.len() == 1 {
                                // Hold on until every receiver has had a message,
                                // which proves they all receive from the one socket.
                                started.fetch_add(1, Ordering::SeqCst);
                                while started.load(Ordering::SeqCst) < RECEIVERS {
                                    assert!(Instant::now() < deadline, "a receiver starved");
                                    thread::sleep(Duration::from_millis(1));
                                }
                            }
                        }
                        got
                    })
                })
                .collect();
            for (i, client) in clients.into_iter().enumerate() {
                scope.spawn(move || {
                    let sent: HashSet<String> =
                        (0..PER_CLIENT).map(|j| format!("c{i}:{j}")).collect();
                    for text in &sent {
                        client.send(text, SendFlags::empty()).unwrap();
                    }
                    // Exactly the replies to this client's own requests come back.
                    let mut replies = HashSet::new();
                    for _ in 0..PER_CLIENT {
                        let reply = client.recv_string(RecvFlags::empty()).unwrap().unwrap();
                        let request = reply.strip_prefix("re:").unwrap().to_owned();
                        assert!(sent.contains(&request), "client {i} got {reply}");
                        assert!(replies.insert(request), "client {i}: duplicate {reply}");
                    }
                    assert_eq!(
                        client.recv_bytes(RecvFlags::DONTWAIT).unwrap_err(),
                        Error::EAGAIN
                    );
                });
            }
            receivers.into_iter().map(|r| r.join().unwrap()).collect()
        });

        assert!(per_thread.iter().all(|got| !got.is_empty()));
        let mut all: Vec<String> = per_thread.into_iter().flatten().collect();
        assert_eq!(all.len(), TOTAL, "received more or fewer than sent");
        all.sort();
        all.dedup();
        assert_eq!(all.len(), TOTAL, "a message was received twice");
        let expected: BTreeSet<String> = (0..CLIENTS)
            .flat_map(|i| (0..PER_CLIENT).map(move |j| format!("c{i}:{j}")))
            .collect();
        assert_eq!(all.into_iter().collect::<BTreeSet<_>>(), expected);
    });
}

#[test]
fn one_client_shared_by_several_sending_threads() {
    within(Duration::from_secs(30), || {
        let ctx = Context::new().unwrap();
        let server = ctx.socket(SERVER).unwrap();
        server.bind("inproc://draft-shared-client").unwrap();
        server.set_rcvtimeo(PATIENCE_MS).unwrap();
        let client = ctx.thread_safe_socket(ThreadSafeType::Client).unwrap();
        client.connect("inproc://draft-shared-client").unwrap();
        thread::scope(|scope| {
            for t in 0..4 {
                let client = &client;
                scope.spawn(move || {
                    for i in 0..100 {
                        client.send(format!("{t}:{i}"), SendFlags::empty()).unwrap();
                    }
                });
            }
        });
        let mut next = [0u32; 4];
        let mut id = None;
        for _ in 0..400 {
            let msg = server.recv_message(RecvFlags::empty()).unwrap();
            // One client, one routing id, whatever thread sent.
            assert_eq!(
                *id.get_or_insert(msg.routing_id().unwrap()),
                msg.routing_id().unwrap()
            );
            let (t, i) = msg.as_str().unwrap().split_once(':').unwrap();
            let (t, i): (usize, u32) = (t.parse().unwrap(), i.parse().unwrap());
            assert_eq!(i, next[t], "in order per sending thread");
            next[t] += 1;
        }
        assert_eq!(next, [100; 4]);
    });
}

/// `zmq_socket_monitor_pipes_stats` walks the socket's list of connections without
/// taking the lock that guards it on a thread-safe socket, so while another thread
/// receives (and attaches or drops connections) it would race. On a socket that can
/// be shared it must be refused; classic sockets keep it.
#[test]
fn pipes_stats_are_refused_on_thread_safe_sockets() {
    within(Duration::from_secs(30), || {
        let ctx = Context::new().unwrap();
        let server = ctx.thread_safe_socket(ThreadSafeType::Server).unwrap();
        let _events = server
            .monitor_socket_versioned(zmq::MonitorEvents::ALL_V2, zmq::EventVersion::V2)
            .unwrap();
        server.bind("inproc://draft-pipes-stats").unwrap();
        server.set_rcvtimeo(PATIENCE_MS).unwrap();
        let client = ctx.socket(CLIENT).unwrap();
        client.connect("inproc://draft-pipes-stats").unwrap();
        client.send("connected", SendFlags::empty()).unwrap();
        assert_eq!(server.recv_bytes(RecvFlags::empty()).unwrap(), b"connected");
        assert_eq!(server.monitor_pipes_stats(), Err(Error::ENOTSUP));
        // CLIENT is thread-safe too.
        assert_eq!(client.monitor_pipes_stats(), Err(Error::ENOTSUP));
        // A classic socket, used by one thread at a time, still answers.
        let router = ctx.socket(zmq::ROUTER).unwrap();
        let _router_events = router
            .monitor_socket_versioned(zmq::MonitorEvents::ALL_V2, zmq::EventVersion::V2)
            .unwrap();
        router.bind("inproc://draft-pipes-stats-classic").unwrap();
        router.set_rcvtimeo(PATIENCE_MS).unwrap();
        let dealer = ctx.socket(DEALER).unwrap();
        dealer
            .connect("inproc://draft-pipes-stats-classic")
            .unwrap();
        dealer.send("connected", SendFlags::empty()).unwrap();
        assert_eq!(router.recv_multipart(RecvFlags::empty()).unwrap().len(), 2);
        assert_eq!(router.monitor_pipes_stats(), Ok(()));
    });
}

#[test]
fn message_routing_id_accessors() {
    let mut msg = Message::from("x");
    assert_eq!(msg.routing_id(), None);
    msg.set_routing_id(1).unwrap();
    assert_eq!(msg.routing_id(), Some(1));
    msg.set_routing_id(u32::MAX).unwrap();
    assert_eq!(msg.routing_id(), Some(u32::MAX));
    assert_eq!(msg.set_routing_id(0).unwrap_err(), Error::EINVAL);
    assert_eq!(
        msg.routing_id(),
        Some(u32::MAX),
        "a refused id changes nothing"
    );
    assert_eq!(msg, "x");
}

#[test]
fn message_group_accessors() {
    let mut msg = Message::from(vec![7u8; 1000]);
    assert_eq!(msg.group(), None);
    assert_eq!(msg.group_bytes(), None);
    msg.set_group("short").unwrap();
    assert_eq!(msg.group(), Some("short"));
    assert_eq!(msg.group_bytes(), Some(&b"short"[..]));
    // Groups longer than 14 bytes live outside the zmq_msg_t: also fine, and shared by clones.
    let mut long = Message::from("y");
    let name = "é".repeat(100); // 200 bytes of UTF-8
    long.set_group(&name).unwrap();
    assert_eq!(long.group(), Some(name.as_str()));
    let copy = long.clone();
    drop(long);
    assert_eq!(copy.group(), Some(name.as_str()));
    // Limits: 255 bytes, no NUL; a refused group leaves the old one.
    let mut msg = Message::new();
    msg.set_group(&"g".repeat(255)).unwrap();
    assert_eq!(msg.group().map(str::len), Some(255));
    assert_eq!(msg.set_group(&"g".repeat(256)).unwrap_err(), Error::EINVAL);
    assert_eq!(msg.set_group("a\0b").unwrap_err(), Error::EINVAL);
    assert_eq!(msg.group().map(str::len), Some(255));
    let mut fresh = Message::from("z");
    fresh.set_group("").unwrap();
    assert_eq!(fresh.group(), None, "the empty group is no group");
}

#[test]
fn received_messages_carry_the_group() {
    within(Duration::from_secs(30), || {
        let ctx = Context::new().unwrap();
        let radio = ctx.socket(RADIO).unwrap();
        radio.bind("inproc://draft-received-group").unwrap();
        let dish = ctx.socket(DISH).unwrap();
        dish.connect("inproc://draft-received-group").unwrap();
        dish.set_rcvtimeo(100).unwrap();
        // The longest group a DISH may join (longer ones are refused: SECURITY.md).
        let long = "fourteen-bytes";
        assert_eq!(long.len(), 14);
        assert_eq!(
            dish.join("a-group-name-longer-than-fourteen"),
            Err(Error::EINVAL)
        );
        dish.join(long).unwrap();
        sync_group(&radio, &dish, long);
        radio
            .send_msg(&mut group_msg(long, "payload"), SendFlags::empty())
            .unwrap();
        let mut msg = Message::new();
        dish.recv_msg(&mut msg, RecvFlags::empty()).unwrap();
        assert_eq!(msg.group(), Some(long));
        assert_eq!(msg.routing_id(), None);
        // Receiving again replaces the group with the new message's.
        dish.join("b").unwrap();
        sync_group(&radio, &dish, "b");
        radio
            .send_msg(&mut group_msg("b", "second"), SendFlags::empty())
            .unwrap();
        dish.recv_msg(&mut msg, RecvFlags::empty()).unwrap();
        assert_eq!((msg.group(), msg.as_str()), (Some("b"), Some("second")));
    });
}

#[test]
fn zero_copy_recv_context_option() {
    let ctx = Context::new().unwrap();
    assert!(ctx.get_zero_copy_recv().unwrap(), "on by default");
    ctx.set_zero_copy_recv(false).unwrap();
    assert!(!ctx.get_zero_copy_recv().unwrap());
    ctx.set_zero_copy_recv(true).unwrap();
    assert!(ctx.get_zero_copy_recv().unwrap());
    assert_eq!(
        ctx.set_raw(zmq::sys::ZMQ_ZERO_COPY_RECV, -1).unwrap_err(),
        Error::EINVAL
    );
    let listed =
        zmq::ContextOptionInfo::find("ZMQ_ZERO_COPY_RECV").expect("listed with the draft feature");
    assert_eq!(
        (listed.id, listed.get, listed.set, listed.draft),
        (zmq::sys::ZMQ_ZERO_COPY_RECV, true, true, true)
    );
}

/// With zero-copy receive, the frames of one TCP read are views into one receive
/// buffer: two 100-byte frames read together lie 102 bytes apart (100 bytes and the
/// next frame's 2-byte header). Without it, each frame is copied into its own
/// allocation (malloc's 16-byte alignment never puts two 102 bytes apart).
#[test]
fn zero_copy_recv_decides_whether_frames_share_the_receive_buffer() {
    within(Duration::from_secs(30), || {
        fn adjacent_frames(zero_copy: bool) -> usize {
            let receiving = Context::new().unwrap();
            receiving.set_zero_copy_recv(zero_copy).unwrap();
            let pull = receiving.socket(zmq::PULL).unwrap();
            let endpoint = bind_loopback(&pull);
            pull.set_rcvtimeo(PATIENCE_MS).unwrap();
            let sending = Context::new().unwrap();
            let push = sending.socket(zmq::PUSH).unwrap();
            push.connect(&endpoint).unwrap();
            let mut adjacent = 0;
            for _ in 0..5 {
                // One multipart message: its frames go out in one write.
                push.send_multipart([[1u8; 100], [2u8; 100]], SendFlags::empty())
                    .unwrap();
                let first = pull.recv_message(RecvFlags::empty()).unwrap();
                let second = pull.recv_message(RecvFlags::empty()).unwrap();
                assert_eq!(
                    (&first[..], &second[..]),
                    (&[1u8; 100][..], &[2u8; 100][..])
                );
                let gap = (second.as_ptr() as usize).wrapping_sub(first.as_ptr() as usize);
                if gap == 102 {
                    adjacent += 1;
                }
            }
            adjacent
        }
        assert!(adjacent_frames(true) > 0, "zero-copy frames were copied");
        assert_eq!(adjacent_frames(false), 0, "copied frames share a buffer");
    });
}

#[test]
fn thread_name_prefix_as_text_round_trips() {
    let ctx = Context::new().unwrap();
    assert_eq!(ctx.get_thread_name_prefix_str().unwrap(), "");
    // 4 bytes is sizeof(int), which libzmq would read as a number: handled.
    for prefix in ["a", "abc", "abcd", "abcde", "0123456789abcdef"] {
        ctx.set_thread_name_prefix_str(prefix).unwrap();
        assert_eq!(ctx.get_thread_name_prefix_str().unwrap(), prefix);
    }
    // The numeric form and the text form are the same option.
    ctx.set_thread_name_prefix(42).unwrap();
    assert_eq!(ctx.get_thread_name_prefix_str().unwrap(), "42");
    ctx.set_thread_name_prefix_str("17").unwrap();
    assert_eq!(ctx.get_thread_name_prefix().unwrap(), 17);
    for bad in ["", "0123456789abcdefg", "a\0b"] {
        assert_eq!(
            ctx.set_thread_name_prefix_str(bad).unwrap_err(),
            Error::EINVAL,
            "{bad:?}"
        );
    }
    assert_eq!(ctx.get_thread_name_prefix_str().unwrap(), "17");
}

/// The prefix names the context's I/O threads (Linux shows thread names in /proc).
#[cfg(target_os = "linux")]
#[test]
fn thread_name_prefix_names_the_io_threads() {
    fn thread_names() -> Vec<String> {
        std::fs::read_dir("/proc/self/task")
            .unwrap()
            .filter_map(|task| std::fs::read_to_string(task.ok()?.path().join("comm")).ok())
            .map(|name| name.trim_end().to_owned())
            .collect()
    }
    within(Duration::from_secs(30), || {
        // 4 bytes: the length libzmq would mistake for an int.
        let ctx = Context::new().unwrap();
        ctx.set_thread_name_prefix_str("zq4x").unwrap();
        // The first socket starts the I/O threads, which name themselves.
        let _socket = ctx.socket(PAIR).unwrap();
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            let names = thread_names();
            if names.iter().any(|n| n.starts_with("zq4x/ZMQbg")) {
                break;
            }
            assert!(Instant::now() < deadline, "no zq4x thread in {names:?}");
            thread::sleep(Duration::from_millis(10));
        }
    });
}

#[test]
fn router_peer_state_reports_writable_peers_and_unknown_ids() {
    within(Duration::from_secs(30), || {
        let ctx = Context::new().unwrap();
        let router = ctx.socket(zmq::ROUTER).unwrap();
        let endpoint = bind_loopback(&router);
        let dealer = ctx.socket(DEALER).unwrap();
        dealer.set_routing_id(b"d1").unwrap();
        dealer.connect(&endpoint).unwrap();
        // Wait until the router knows the peer: its first message carries the id.
        dealer.send("hi", SendFlags::empty()).unwrap();
        router.set_rcvtimeo(PATIENCE_MS).unwrap();
        let frames = router.recv_multipart(RecvFlags::empty()).unwrap();
        assert_eq!(frames[0], b"d1");
        assert!(router
            .peer_state(b"d1")
            .unwrap()
            .contains(zmq::PollEvents::POLLOUT));
        assert_eq!(
            router.peer_state(b"nobody").unwrap_err(),
            Error::EHOSTUNREACH
        );
        assert_eq!(dealer.peer_state(b"d1").unwrap_err(), Error::ENOTSUP);
    });
}
