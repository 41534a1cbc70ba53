//! Our crate against zmq.rs (the pure-Rust `zeromq` crate, a ZMTP implementation
//! that shares no code with libzmq), on the wire over `tcp://127.0.0.1` ephemeral
//! ports, in this one test process.
//!
//! zmq.rs is async: its side of each case runs on a tokio runtime on a thread of its
//! own, bounded by a deadline; ours runs on the test thread with RCVTIMEO/SNDTIMEO.
//! Every pattern runs with our crate in each of the two roles, each with either side
//! binding (ours binds and theirs connects, and the reverse), so 4 cases per
//! pattern: REQ/REP, PUSH/PULL, PUB/SUB with topic filtering, ROUTER/DEALER (the
//! ROUTER sees the DEALER's routing id), all with the multipart messages of
//! `common::message` (empty frames, a 1 MiB frame).
//!
//! No CURVE here: zmq.rs implements only the NULL security mechanism (its greeting
//! always offers NULL, it has no key options; upstream zeromq/zmq.rs issue #131,
//! "Security and authentication support", open), so there is nothing to test
//! against; CURVE interop is tested against pyzmq (`tests/pyzmq.rs`).
//!
//! Every combination below works with zmq.rs 0.7.0: none had to be left out.
//!
//! zmq.rs's REQ, PUSH and DEALER refuse to send before a peer is connected (libzmq
//! queues instead): its side retries, bounded, until the connection is up.

#![forbid(unsafe_code)]

mod common;

use std::fmt::Display;
use std::future::Future;
use std::sync::mpsc::{self, Receiver, Sender};
use std::thread;
use std::time::Duration;

use bytes::Bytes;
use common::*;
use zeromq::prelude::*;
use zeromq::{ZmqError, ZmqMessage};

/// Which side binds; the other connects.
#[derive(Clone, Copy, Debug)]
enum Binds {
    Ours,
    Theirs,
}

const BOTH: [Binds; 2] = [Binds::Ours, Binds::Theirs];

/// zmq.rs's side of a case, running on its own thread and tokio runtime.
struct Theirs<T>(thread::JoinHandle<Result<T, String>>);

fn theirs<T, F>(what: &str, fut: F) -> Theirs<T>
where
    T: Send + 'static,
    F: Future<Output = Result<T, String>> + Send + 'static,
{
    let what = what.to_string();
    Theirs(thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|e| format!("tokio runtime: {e}"))?;
        rt.block_on(async {
            match tokio::time::timeout(CASE_TIMEOUT, fut).await {
                Ok(result) => result.map_err(|e| format!("{what}: zmq.rs side: {e}")),
                Err(_) => Err(format!("{what}: zmq.rs side: case deadline passed")),
            }
        })
    }))
}

impl<T> Theirs<T> {
    /// zmq.rs's result; fails the test on its error. Its future is bounded by
    /// `CASE_TIMEOUT`, so this returns.
    fn join(self) -> T {
        match self.0.join() {
            Ok(Ok(value)) => value,
            Ok(Err(e)) => panic!("{e}"),
            Err(_) => panic!("the zmq.rs thread panicked"),
        }
    }
}

trait Context<T> {
    fn ctx(self, what: &str) -> Result<T, String>;
}

impl<T, E: Display> Context<T> for Result<T, E> {
    fn ctx(self, what: &str) -> Result<T, String> {
        self.map_err(|e| format!("{what}: {e}"))
    }
}

/// Where zmq.rs's socket goes: connect to our endpoint, or bind and tell us its.
struct Link {
    binds: Binds,
    ours: Option<String>,
    tell: Sender<String>,
}

impl Link {
    async fn place<S: Socket>(self, s: &mut S) -> Result<(), String> {
        match (self.binds, self.ours) {
            (Binds::Ours, Some(endpoint)) => s.connect(&endpoint).await.ctx("connect"),
            _ => {
                let endpoint = s.bind("tcp://127.0.0.1:0").await.ctx("bind")?;
                self.tell
                    .send(endpoint.to_string())
                    .ctx("telling the endpoint")
            }
        }
    }
}

/// Our socket and the [`Link`] for theirs: we bind first (and give our endpoint),
/// or [`connect_ours`] later connects to the endpoint theirs tells.
fn ours(
    ctx: &zmq::Context,
    kind: zmq::SocketType,
    binds: Binds,
    before: impl FnOnce(&zmq::Socket),
) -> (zmq::Socket, Link, Receiver<String>) {
    let s = our_socket(ctx, kind);
    before(&s);
    let (tell, told) = mpsc::channel();
    let endpoint = match binds {
        Binds::Ours => {
            s.bind("tcp://127.0.0.1:*").expect("bind");
            Some(s.get_last_endpoint().expect("last endpoint"))
        }
        Binds::Theirs => None,
    };
    let link = Link {
        binds,
        ours: endpoint,
        tell,
    };
    (s, link, told)
}

/// Connects ours to the endpoint zmq.rs bound (when it is the one binding).
fn connect_ours(s: &zmq::Socket, binds: Binds, told: &Receiver<String>) {
    if let Binds::Theirs = binds {
        let endpoint = told
            .recv_timeout(TIMEOUT)
            .expect("the endpoint zmq.rs bound");
        s.connect(&endpoint).expect("connect");
    }
}

fn to_zmq(frames: &[Vec<u8>]) -> ZmqMessage {
    let frames: Vec<Bytes> = frames.iter().map(|f| Bytes::from(f.clone())).collect();
    ZmqMessage::try_from(frames).expect("a message has frames")
}

fn from_zmq(m: ZmqMessage) -> Vec<Vec<u8>> {
    m.into_vec().into_iter().map(|f| f.to_vec()).collect()
}

/// Sends on a zmq.rs socket, retrying (bounded by the case deadline) while it has
/// no connected peer yet: zmq.rs refuses then, where libzmq would queue.
async fn send_when_connected<S: SocketSend>(s: &mut S, frames: &[Vec<u8>]) -> Result<(), String> {
    let mut message = to_zmq(frames);
    loop {
        match s.send(message).await {
            Ok(()) => return Ok(()),
            Err(ZmqError::ReturnToSender {
                reason: "Not connected to peers. Unable to send messages",
                message: back,
            }) => {
                message = back;
                tokio::time::sleep(Duration::from_millis(10)).await;
            }
            Err(e) => return Err(format!("send: {e}")),
        }
    }
}

async fn recv<S: SocketRecv>(s: &mut S, what: &str) -> Result<Vec<Vec<u8>>, String> {
    s.recv().await.map(from_zmq).ctx(what)
}

/// Waits (bounded by the case deadline) for our side to say it is done, so zmq.rs
/// keeps its socket, and what it queued, until then.
async fn until(done: Receiver<()>) -> Result<(), String> {
    loop {
        match done.try_recv() {
            Ok(()) => return Ok(()),
            Err(mpsc::TryRecvError::Empty) => tokio::time::sleep(Duration::from_millis(10)).await,
            Err(mpsc::TryRecvError::Disconnected) => return Err("our side went away".into()),
        }
    }
}

fn requests() -> Vec<Vec<Vec<u8>>> {
    (0..COUNT).map(message).collect()
}

fn replies() -> Vec<Vec<Vec<u8>>> {
    requests().iter().map(|m| reply_to(m)).collect()
}

/// Ours asks (REQ or DEALER) and checks every reply.
fn ours_asks(s: &zmq::Socket, what: &str) {
    let mut got = Vec::new();
    for (i, request) in requests().iter().enumerate() {
        our_send(s, request, &format!("request {i}"));
        got.push(our_recv(s, &format!("reply {i}")));
    }
    check_messages(&format!("{what}: replies to us"), &got, &replies());
}

/// Ours answers (REP) and returns the requests.
fn ours_answers(s: &zmq::Socket) -> Vec<Vec<Vec<u8>>> {
    (0..COUNT)
        .map(|i| {
            let request = our_recv(s, &format!("request {i}"));
            our_send(s, &reply_to(&request), &format!("reply {i}"));
            request
        })
        .collect()
}

#[test]
fn req_rep_ours_req() {
    let ctx = zmq::Context::new().unwrap();
    for binds in BOTH {
        let what = format!("ours REQ, zmq.rs REP, {binds:?} bind");
        let (s, link, told) = ours(&ctx, zmq::REQ, binds, |_| {});
        let (done, wait) = mpsc::channel();
        let them = theirs(&what, async move {
            let mut t = zeromq::RepSocket::new();
            link.place(&mut t).await?;
            let mut got = Vec::new();
            for i in 0..COUNT {
                let request = recv(&mut t, &format!("request {i}")).await?;
                t.send(to_zmq(&reply_to(&request))).await.ctx("reply")?;
                got.push(request);
            }
            until(wait).await?;
            Ok(got)
        });
        connect_ours(&s, binds, &told);
        ours_asks(&s, &what);
        done.send(()).unwrap();
        check_messages(
            &format!("{what}: requests zmq.rs got"),
            &them.join(),
            &requests(),
        );
    }
}

#[test]
fn req_rep_ours_rep() {
    let ctx = zmq::Context::new().unwrap();
    for binds in BOTH {
        let what = format!("zmq.rs REQ, ours REP, {binds:?} bind");
        let (s, link, told) = ours(&ctx, zmq::REP, binds, |_| {});
        let them = theirs(&what, async move {
            let mut t = zeromq::ReqSocket::new();
            link.place(&mut t).await?;
            let mut got = Vec::new();
            for (i, request) in requests().iter().enumerate() {
                send_when_connected(&mut t, request).await?;
                got.push(recv(&mut t, &format!("reply {i}")).await?);
            }
            Ok(got)
        });
        connect_ours(&s, binds, &told);
        let got = ours_answers(&s);
        check_messages(&format!("{what}: requests we got"), &got, &requests());
        check_messages(
            &format!("{what}: replies zmq.rs got"),
            &them.join(),
            &replies(),
        );
    }
}

#[test]
fn push_pull_ours_push() {
    let ctx = zmq::Context::new().unwrap();
    for binds in BOTH {
        let what = format!("ours PUSH, zmq.rs PULL, {binds:?} bind");
        let (s, link, told) = ours(&ctx, zmq::PUSH, binds, |_| {});
        let them = theirs(&what, async move {
            let mut t = zeromq::PullSocket::new();
            link.place(&mut t).await?;
            let mut got = Vec::new();
            for i in 0..COUNT {
                got.push(recv(&mut t, &format!("message {i}")).await?);
            }
            Ok(got)
        });
        connect_ours(&s, binds, &told);
        for (i, m) in requests().iter().enumerate() {
            our_send(&s, m, &format!("message {i}"));
        }
        check_messages(&what, &them.join(), &requests());
    }
}

#[test]
fn push_pull_ours_pull() {
    let ctx = zmq::Context::new().unwrap();
    for binds in BOTH {
        let what = format!("zmq.rs PUSH, ours PULL, {binds:?} bind");
        let (s, link, told) = ours(&ctx, zmq::PULL, binds, |_| {});
        let (done, wait) = mpsc::channel();
        let them = theirs(&what, async move {
            let mut t = zeromq::PushSocket::new();
            link.place(&mut t).await?;
            for m in requests() {
                send_when_connected(&mut t, &m).await?;
            }
            until(wait).await
        });
        connect_ours(&s, binds, &told);
        let got: Vec<_> = (0..COUNT)
            .map(|i| our_recv(&s, &format!("message {i}")))
            .collect();
        done.send(()).unwrap();
        them.join();
        check_messages(&what, &got, &requests());
    }
}

#[test]
fn pub_sub_ours_pub() {
    let ctx = zmq::Context::new().unwrap();
    for binds in BOTH {
        let what = format!("ours PUB, zmq.rs SUB, {binds:?} bind");
        let (s, link, told) = ours(&ctx, zmq::PUB, binds, |_| {});
        let (ready, is_ready) = mpsc::channel();
        let them = theirs(&what, async move {
            let mut t = zeromq::SubSocket::new();
            for topic in SUBSCRIPTIONS {
                let topic = std::str::from_utf8(topic).ctx("topic")?;
                t.subscribe(topic).await.ctx("subscribe")?;
            }
            link.place(&mut t).await?;
            let first = recv(&mut t, "the first sync").await?;
            if first != [b"sync".to_vec()] {
                return Err(format!(
                    "the first message is not a sync: {}",
                    describe(&first)
                ));
            }
            ready.send(()).ctx("ready")?;
            let mut got = Vec::new();
            loop {
                let m = recv(&mut t, "published messages").await?;
                if m == [b"sync".to_vec()] {
                    continue;
                }
                let end = m == [b"end".to_vec()];
                got.push(m);
                if end {
                    return Ok(got);
                }
            }
        });
        connect_ours(&s, binds, &told);
        let deadline = Deadline::after(CASE_TIMEOUT);
        loop {
            our_send(&s, &[b"sync".to_vec()], "sync");
            if is_ready.recv_timeout(Duration::from_millis(50)).is_ok() {
                break;
            }
            if them.0.is_finished() {
                them.join(); // its error, if it failed
                panic!("{what}: the subscriber ended before it got a sync");
            }
            assert!(
                !deadline.passed(),
                "{what}: the subscriber never got a sync"
            );
        }
        for (i, m) in published().iter().enumerate() {
            our_send(&s, m, &format!("published {i}"));
        }
        check_messages(&what, &them.join(), &expected_received());
    }
}

#[test]
fn pub_sub_ours_sub() {
    let ctx = zmq::Context::new().unwrap();
    for binds in BOTH {
        let what = format!("zmq.rs PUB, ours SUB, {binds:?} bind");
        let (s, link, told) = ours(&ctx, zmq::SUB, binds, |s| {
            for topic in SUBSCRIPTIONS {
                s.set_subscribe(topic).expect("subscribe");
            }
        });
        let (go, wait_go) = mpsc::channel();
        let (done, wait_done) = mpsc::channel();
        let them = theirs(&what, async move {
            let mut t = zeromq::PubSocket::new();
            link.place(&mut t).await?;
            // Sync messages until we say GO (we have one, so all our filters are in).
            while wait_go.try_recv().is_err() {
                t.send(to_zmq(&[b"sync".to_vec()])).await.ctx("sync")?;
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
            for m in published() {
                t.send(to_zmq(&m)).await.ctx("publish")?;
            }
            until(wait_done).await
        });
        connect_ours(&s, binds, &told);
        assert_eq!(our_recv(&s, "the first sync"), vec![b"sync".to_vec()]);
        go.send(()).unwrap();
        let mut got = Vec::new();
        loop {
            let m = our_recv(&s, "published messages");
            if m == [b"sync".to_vec()] {
                continue;
            }
            let end = m == [b"end".to_vec()];
            got.push(m);
            if end {
                break;
            }
        }
        done.send(()).unwrap();
        them.join();
        check_messages(&what, &got, &expected_received());
    }
}

#[test]
fn router_dealer_ours_router() {
    let ctx = zmq::Context::new().unwrap();
    for binds in BOTH {
        let what = format!("zmq.rs DEALER, ours ROUTER, {binds:?} bind");
        let identity = format!("zmqrs-dealer-{binds:?}");
        let (s, link, told) = ours(&ctx, zmq::ROUTER, binds, |_| {});
        let id = identity.clone();
        let them = theirs(&what, async move {
            let mut options = zeromq::SocketOptions::default();
            options.peer_identity(id.as_str().parse().ctx("identity")?);
            let mut t = zeromq::DealerSocket::with_options(options);
            link.place(&mut t).await?;
            let mut got = Vec::new();
            for (i, request) in requests().iter().enumerate() {
                send_when_connected(&mut t, request).await?;
                got.push(recv(&mut t, &format!("reply {i}")).await?);
            }
            Ok(got)
        });
        connect_ours(&s, binds, &told);
        let mut got = Vec::new();
        for i in 0..COUNT {
            let mut frames = our_recv(&s, &format!("request {i}"));
            let id = frames.remove(0);
            assert_eq!(
                String::from_utf8_lossy(&id),
                identity,
                "{what}: routing id of message {i}"
            );
            let mut reply = vec![id];
            reply.extend(reply_to(&frames));
            our_send(&s, &reply, &format!("reply {i}"));
            got.push(frames);
        }
        check_messages(&format!("{what}: requests we got"), &got, &requests());
        check_messages(
            &format!("{what}: replies zmq.rs got"),
            &them.join(),
            &replies(),
        );
    }
}

#[test]
fn router_dealer_ours_dealer() {
    let ctx = zmq::Context::new().unwrap();
    for binds in BOTH {
        let what = format!("ours DEALER, zmq.rs ROUTER, {binds:?} bind");
        let identity = format!("rs-dealer-{binds:?}");
        let (s, link, told) = ours(&ctx, zmq::DEALER, binds, |s| {
            s.set_routing_id(identity.as_bytes()).expect("routing id");
        });
        let (done, wait) = mpsc::channel();
        let them = theirs(&what, async move {
            let mut t = zeromq::RouterSocket::new();
            link.place(&mut t).await?;
            let mut ids = Vec::new();
            let mut got = Vec::new();
            for i in 0..COUNT {
                let mut frames = recv(&mut t, &format!("request {i}")).await?;
                let id = frames.remove(0);
                let mut reply = vec![id.clone()];
                reply.extend(reply_to(&frames));
                t.send(to_zmq(&reply)).await.ctx("reply")?;
                ids.push(id);
                got.push(frames);
            }
            until(wait).await?;
            Ok((ids, got))
        });
        connect_ours(&s, binds, &told);
        ours_asks(&s, &what);
        done.send(()).unwrap();
        let (ids, got) = them.join();
        assert_eq!(ids, vec![identity.as_bytes().to_vec(); COUNT], "{what}");
        check_messages(&format!("{what}: requests zmq.rs got"), &got, &requests());
    }
}
