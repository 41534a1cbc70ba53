//! The async layer under load (`--features tokio`): a pipeline of 1 000 000
//! messages of mixed sizes over 8 socket pairs (inproc, ipc, tcp) on the
//! multi-threaded runtime, with counts, order and checksums compared; and the
//! cancellation races: receives and sends dropped by short timeouts thousands
//! of times while messages flow, with every message counted exactly once.
#![cfg(all(feature = "tokio", unix))]
#![forbid(unsafe_code)]

mod common;

use std::time::Duration;

use common::runtime::run_within;
use zmq::tokio::AsyncSocket;
use zmq::{Message, Multipart, SocketType};

/// How long any one test may take before it counts as hung.
const LIMIT: Duration = Duration::from_secs(300);

fn endpoint(transport: &str, name: &str) -> String {
    match transport {
        "inproc" => format!("inproc://stress-{name}"),
        "ipc" => format!(
            "ipc://{}/zmq-async-stress-{}-{name}",
            std::env::temp_dir().display(),
            std::process::id()
        ),
        _ => "tcp://127.0.0.1:*".to_owned(),
    }
}

fn pair(
    ctx: &zmq::Context,
    kinds: (SocketType, SocketType),
    transport: &str,
    name: &str,
    configure: impl Fn(&zmq::Socket),
) -> (AsyncSocket, AsyncSocket) {
    let a = ctx.socket(kinds.0).unwrap();
    configure(&a);
    a.bind(&endpoint(transport, name)).unwrap();
    let b = ctx.socket(kinds.1).unwrap();
    configure(&b);
    b.connect(&a.get_last_endpoint().unwrap()).unwrap();
    (AsyncSocket::new(a).unwrap(), AsyncSocket::new(b).unwrap())
}

/// The size of message `i`: mostly small, some medium, a few large (64 KiB).
fn size_of(i: u64) -> usize {
    let r = i.wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 40;
    match r % 1000 {
        0..=699 => 8 + (r as usize % 57),        // 8..64
        700..=949 => 65 + (r as usize % 960),    // 65..1024
        950..=998 => 1025 + (r as usize % 7168), // 1 KiB..8 KiB
        _ => 65_536,
    }
}

/// Message `i` of a pair: its sequence number, then a filler byte.
fn message(pair: u64, i: u64) -> Message {
    let len = size_of(i);
    let fill = (i.wrapping_mul(31) ^ pair) as u8;
    Message::from_writer(len, |w| {
        w.put_slice(&i.to_le_bytes())?;
        w.put_bytes(fill, len - 8)
    })
    .unwrap()
}

/// A checksum over a message's bytes (Fletcher-like, order-sensitive).
fn checksum(acc: &mut (u64, u64), bytes: &[u8]) {
    for chunk in bytes.chunks(8) {
        let mut word = [0u8; 8];
        word[..chunk.len()].copy_from_slice(chunk);
        acc.0 = acc.0.wrapping_add(u64::from_le_bytes(word));
        acc.1 = acc.1.wrapping_add(acc.0);
    }
}

#[test]
fn a_million_messages_of_mixed_sizes_over_8_pairs() {
    const TOTAL: u64 = 1_000_000;
    const PAIRS: u64 = 8;
    const PER_PAIR: u64 = TOTAL / PAIRS;
    let transports = [
        "inproc", "tcp", "ipc", "inproc", "tcp", "ipc", "inproc", "tcp",
    ];
    let started = std::time::Instant::now();
    let results = run_within(LIMIT, async move {
        let ctx = zmq::Context::new().unwrap();
        let mut tasks = Vec::new();
        for (p, transport) in transports.iter().enumerate() {
            let p = p as u64;
            // Small HWMs keep back-pressure (and so waits on both sides) frequent.
            let (mut pull, mut push) = pair(
                &ctx,
                (zmq::PULL, zmq::PUSH),
                transport,
                &format!("pipeline-{p}"),
                |s| {
                    s.set_sndhwm(100).unwrap();
                    s.set_rcvhwm(100).unwrap();
                },
            );
            let sender = tokio::spawn(async move {
                let mut sum = (0u64, 0u64);
                let mut parts = Multipart::new();
                for i in 0..PER_PAIR {
                    let mut msg = message(p, i);
                    checksum(&mut sum, &msg);
                    if i % 16 == 0 {
                        // Some whole multipart messages: [header, body].
                        parts.push_back(&b"hdr"[..]);
                        parts.push_back(msg);
                        push.send_multipart(&mut parts).await.unwrap();
                    } else {
                        push.send_msg(&mut msg).await.unwrap();
                    }
                }
                sum
            });
            let transport = transport.to_string();
            let receiver = tokio::spawn(async move {
                let mut sum = (0u64, 0u64);
                let mut parts = Multipart::new();
                let mut bytes = 0u64;
                for i in 0..PER_PAIR {
                    pull.recv_multipart(&mut parts).await.unwrap();
                    let body = if i % 16 == 0 {
                        assert_eq!(parts.len(), 2, "pair {p} ({transport}) message {i}");
                        assert_eq!(parts[0], "hdr");
                        &parts[1]
                    } else {
                        assert_eq!(parts.len(), 1, "pair {p} ({transport}) message {i}");
                        &parts[0]
                    };
                    assert_eq!(body.len(), size_of(i), "pair {p} message {i}");
                    assert_eq!(body[..8], i.to_le_bytes(), "pair {p}: out of order");
                    checksum(&mut sum, body);
                    bytes += body.len() as u64;
                }
                (sum, bytes, transport)
            });
            tasks.push((p, sender, receiver));
        }
        let mut results = Vec::new();
        for (p, sender, receiver) in tasks {
            let sent = sender.await.unwrap();
            let (received, bytes, transport) = receiver.await.unwrap();
            results.push((p, transport, sent, received, bytes));
        }
        results
    });
    let mut total_bytes = 0;
    for (p, transport, sent, received, bytes) in &results {
        assert_eq!(sent, received, "pair {p} ({transport}): checksums differ");
        total_bytes += bytes;
    }
    assert_eq!(results.len() as u64 * PER_PAIR, TOTAL);
    eprintln!(
        "{TOTAL} messages, {total_bytes} bytes over {PAIRS} pairs in {:?}",
        started.elapsed()
    );
}

/// Receives raced against short timeouts and against a `yield_now` (which loses
/// or wins by a single poll), thousands of times while messages flow: every
/// message must arrive exactly once, in order.
#[test]
fn receives_cancelled_by_timeouts_lose_nothing() {
    const N: u32 = 20_000;
    // Inproc and tcp, and inproc with a receive spin (the receive stays
    // runnable for 50 us before it sleeps: cancelled while spinning too).
    for (transport, spin_us) in [("inproc", 0), ("tcp", 0), ("inproc", 50)] {
        let label = format!("{transport} (spin {spin_us} us)");
        let (timeouts, yields) = run_within(LIMIT, {
            let label = label.clone();
            async move {
                let ctx = zmq::Context::new().unwrap();
                let (mut pull, mut push) = pair(
                    &ctx,
                    (zmq::PULL, zmq::PUSH),
                    transport,
                    "cancel-recv",
                    |_| {},
                );
                pull.set_recv_spin(Duration::from_micros(spin_us));
                let sender = tokio::spawn(async move {
                    let mut parts = Multipart::new();
                    for i in 0..N {
                        if i % 3 == 0 {
                            parts.extend([&i.to_le_bytes()[..], &(!i).to_le_bytes()[..]]);
                            push.send_multipart(&mut parts).await.unwrap();
                        } else {
                            push.send(i.to_le_bytes()).await.unwrap();
                        }
                        // Bursts and pauses, so receives both find messages and wait.
                        if i % 8 == 0 {
                            tokio::time::sleep(Duration::from_millis(1)).await;
                        } else if i % 2 == 0 {
                            tokio::task::yield_now().await;
                        }
                    }
                });
                let mut next = 0u32;
                let (mut timeouts, mut yields, mut immediate) = (0u32, 0u32, 0u32);
                let mut parts = Multipart::new();
                let mut msg = Message::new();
                let mut round = 0u64;
                while next < N {
                    round += 1;
                    let got = if round % 4 == 1 {
                        // Dropped right after its first poll whenever nothing is
                        // queued at that instant.
                        tokio::select! {
                            biased;
                            r = pull.recv_multipart(&mut parts) => {
                                r.unwrap();
                                true
                            }
                            _ = std::future::ready(()) => {
                                immediate += 1;
                                tokio::task::yield_now().await;
                                false
                            }
                        }
                    } else if round % 2 == 0 {
                        // A timer that fires after ~1 ms (tokio's resolution).
                        let limit = Duration::from_micros(100 + (round % 900));
                        match tokio::time::timeout(limit, pull.recv_multipart(&mut parts)).await {
                            Ok(r) => {
                                r.unwrap();
                                true
                            }
                            Err(_) => {
                                timeouts += 1;
                                false
                            }
                        }
                    } else {
                        // A race decided within one or two polls.
                        tokio::select! {
                            biased;
                            r = pull.recv_msg(&mut msg) => {
                                r.unwrap();
                                parts.clear();
                                parts.push_back(std::mem::take(&mut msg));
                                while parts.back().unwrap().more() {
                                    // The rest of a multipart message: already queued.
                                    let mut rest = Message::new();
                                    pull.recv_msg(&mut rest).await.unwrap();
                                    parts.push_back(rest);
                                }
                                true
                            }
                            _ = tokio::task::yield_now() => {
                                yields += 1;
                                false
                            }
                        }
                    };
                    if got {
                        assert_eq!(
                            parts[0][..],
                            next.to_le_bytes(),
                            "{label}: lost or duplicated"
                        );
                        let expected = if next % 3 == 0 { 2 } else { 1 };
                        assert_eq!(parts.len(), expected, "{label}: message {next} not whole");
                        next += 1;
                    }
                }
                sender.await.unwrap();
                // Nothing left over: every message was taken exactly once.
                let extra =
                    tokio::time::timeout(Duration::from_millis(100), pull.recv_msg(&mut msg)).await;
                assert!(extra.is_err(), "{label}: a message arrived twice");
                (timeouts, yields + immediate)
            }
        });
        eprintln!(
            "{label}: {N} messages, {timeouts} receives cut by timeouts, {yields} by select! races"
        );
        assert!(
            timeouts + yields >= 2000,
            "{label}: only {} cancelled receives",
            timeouts + yields
        );
        assert!(timeouts >= 100, "{label}: only {timeouts} timeouts fired");
    }
}

/// Sends at a high-water mark of 1, raced against short timeouts: a cancelled
/// send keeps its whole message in the caller's hands, and the receiver gets
/// every message exactly once, whole, in order.
#[test]
fn sends_cancelled_by_timeouts_keep_their_message() {
    const N: u32 = 3_000;
    for transport in ["inproc", "tcp"] {
        let cancelled = run_within(LIMIT, async move {
            let ctx = zmq::Context::new().unwrap();
            let (mut pull, mut push) = pair(
                &ctx,
                (zmq::PULL, zmq::PUSH),
                transport,
                "cancel-send",
                |s| {
                    s.set_sndhwm(1).unwrap();
                    s.set_rcvhwm(1).unwrap();
                    // Small kernel buffers, so tcp pushes back as soon as inproc.
                    s.set_sndbuf(2048).unwrap();
                    s.set_rcvbuf(2048).unwrap();
                },
            );
            let receiver = tokio::spawn(async move {
                let mut parts = Multipart::new();
                for i in 0..N {
                    // A slow reader: pauses now and then.
                    if i % 20 == 0 {
                        tokio::time::sleep(Duration::from_millis(2)).await;
                    }
                    pull.recv_multipart(&mut parts).await.unwrap();
                    assert_eq!(parts.len(), 3, "{transport}: message {i} not whole");
                    assert_eq!(
                        parts[0][..],
                        i.to_le_bytes(),
                        "{transport}: lost or duplicated"
                    );
                    assert_eq!(parts[2][..], vec![i as u8; 300][..]);
                }
                let mut extra = Message::new();
                let more =
                    tokio::time::timeout(Duration::from_millis(100), pull.recv_msg(&mut extra))
                        .await;
                assert!(more.is_err(), "a message was sent twice");
            });
            let mut cancelled = 0u32;
            let mut msg = Multipart::new();
            for i in 0..N {
                msg.extend([
                    i.to_le_bytes().to_vec(),
                    b"mid".to_vec(),
                    vec![i as u8; 300],
                ]);
                loop {
                    let limit = Duration::from_micros(50 + (u64::from(i) % 500));
                    match tokio::time::timeout(limit, push.send_multipart(&mut msg)).await {
                        Ok(r) => {
                            r.unwrap();
                            assert!(msg.is_empty());
                            break;
                        }
                        Err(_) => {
                            cancelled += 1;
                            // Handed back whole.
                            assert_eq!(msg.len(), 3);
                            assert_eq!(msg[0][..], i.to_le_bytes());
                            assert_eq!(msg[1], "mid");
                        }
                    }
                }
            }
            receiver.await.unwrap();
            cancelled
        });
        eprintln!("{transport}: {N} messages, {cancelled} sends cut by timeouts");
        assert!(
            cancelled >= 50,
            "{transport}: only {cancelled} sends were cancelled"
        );
    }
}
