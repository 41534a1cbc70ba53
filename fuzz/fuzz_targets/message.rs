//! Messages: arbitrary bytes are cut into frames, each frame becomes a `Message` through
//! one of the constructors (chosen by the input), its content and flags are checked,
//! then the frames travel as one multipart message over an inproc PAIR and must come
//! back identical, with the right more-flags. Property names taken from the input go
//! to `Message::gets` on sent and received messages (never a panic; only text out).
#![no_main]
#![forbid(unsafe_code)]

use std::sync::{Mutex, OnceLock};

use libfuzzer_sys::fuzz_target;
use zmq::{Context, Message, RecvFlags, SendFlags, Socket};

/// Static bytes for `Message::from_static`: frames are windows into it.
static STATIC_BYTES: [u8; 256] = {
    let mut bytes = [0u8; 256];
    let mut i = 0;
    while i < 256 {
        bytes[i] = i as u8;
        i += 1;
    }
    bytes
};

struct Pair {
    tx: Socket,
    rx: Socket,
    /// Keeps the context alive as long as the sockets (they hold clones anyway).
    _ctx: Context,
}

/// One context and one connected inproc PAIR per process, so every input runs fast.
fn pair() -> &'static Mutex<Pair> {
    static PAIR: OnceLock<Mutex<Pair>> = OnceLock::new();
    PAIR.get_or_init(|| {
        let ctx = Context::new().expect("context");
        let rx = ctx.socket(zmq::PAIR).expect("socket");
        let tx = ctx.socket(zmq::PAIR).expect("socket");
        for s in [&rx, &tx] {
            // No high-water mark (a long multipart message never blocks), and every
            // wait is bounded: a lost frame fails the input instead of hanging it.
            s.set_sndhwm(0).expect("sndhwm");
            s.set_rcvhwm(0).expect("rcvhwm");
            s.set_sndtimeo(5_000).expect("sndtimeo");
            s.set_rcvtimeo(5_000).expect("rcvtimeo");
            s.set_linger(0).expect("linger");
        }
        rx.bind("inproc://fuzz-message").expect("bind");
        tx.connect("inproc://fuzz-message").expect("connect");
        Mutex::new(Pair { tx, rx, _ctx: ctx })
    })
}

/// Reads the input: a control byte, then frames as `[selector, len, bytes...]`.
struct Frame<'a> {
    selector: u8,
    bytes: &'a [u8],
}

fn frames(mut data: &[u8]) -> Vec<Frame<'_>> {
    let mut out = Vec::new();
    while data.len() >= 2 && out.len() < 64 {
        let selector = data[0];
        let len = usize::from(data[1]);
        // A length of 255 means "the rest", so long frames (outside libzmq's inline
        // limit) are reachable too.
        let len = if len == 255 {
            data.len() - 2
        } else {
            len.min(data.len() - 2)
        };
        out.push(Frame {
            selector,
            bytes: &data[2..2 + len],
        });
        data = &data[2 + len..];
    }
    out
}

/// Builds the frame's message with the constructor the selector names, and checks it.
fn build(frame: &Frame<'_>) -> Message {
    let bytes = frame.bytes;
    let mut is_static = false;
    let msg = match frame.selector % 11 {
        0 => Message::from(bytes.to_vec()),
        1 => Message::from(bytes.to_vec().into_boxed_slice()),
        2 => match std::str::from_utf8(bytes) {
            Ok(text) => Message::from(text.to_owned()),
            Err(_) => Message::from(String::from_utf8_lossy(bytes).into_owned().into_bytes()),
        },
        3 => Message::from(bytes),
        4 => Message::try_from_slice(bytes).expect("try_from_slice"),
        5 => match std::str::from_utf8(bytes) {
            Ok(text) => Message::from(text),
            Err(_) => Message::from(&bytes.to_vec()[..]),
        },
        6 => match std::str::from_utf8(bytes) {
            Ok(text) => Message::from(&text.to_owned()),
            Err(_) => Message::from(bytes),
        },
        7 => {
            let mut m = Message::with_size(bytes.len()).expect("with_size");
            assert!(m.iter().all(|&b| b == 0), "with_size gives zeroes");
            m.get_mut()
                .expect("a new message is not shared")
                .copy_from_slice(bytes);
            m
        }
        8 => {
            // A window of the static bytes: [first byte .. first + len).
            is_static = true;
            let start = usize::from(bytes.first().copied().unwrap_or(0));
            let end = (start + bytes.len()).min(STATIC_BYTES.len());
            Message::from_static(&STATIC_BYTES[start..end])
        }
        9 => {
            let mut m = Message::new();
            assert!(m.is_empty() && !m.more());
            if !bytes.is_empty() {
                m = Message::from(bytes);
            }
            m
        }
        _ => {
            let fixed: &[u8; 4] = &[1, 2, 3, 4];
            if bytes.is_empty() {
                Message::from(fixed)
            } else {
                Message::from(bytes)
            }
        }
    };
    let expected: Vec<u8> = expected_bytes(frame);
    assert_eq!(
        &msg[..],
        &expected[..],
        "content of constructor {}",
        frame.selector % 11
    );
    assert_eq!(msg.len(), expected.len());
    assert_eq!(msg.is_empty(), expected.is_empty());
    assert_eq!(msg.as_str(), std::str::from_utf8(&expected).ok());
    assert!(!msg.more(), "a new message has no more-flag");
    if is_static {
        assert!(msg.is_shared(), "static data is shared");
    }
    msg
}

/// What `build` must have produced for the frame.
fn expected_bytes(frame: &Frame<'_>) -> Vec<u8> {
    let bytes = frame.bytes;
    match frame.selector % 11 {
        2 => String::from_utf8_lossy(bytes).into_owned().into_bytes(),
        8 => {
            let start = usize::from(bytes.first().copied().unwrap_or(0));
            let end = (start + bytes.len()).min(STATIC_BYTES.len());
            STATIC_BYTES[start..end].to_vec()
        }
        10 if bytes.is_empty() => vec![1, 2, 3, 4],
        _ => bytes.to_vec(),
    }
}

/// Clones, mutation rules and properties of one message.
fn exercise(msg: &mut Message, property: &str) {
    let copy = msg.clone();
    assert_eq!(copy, *msg);
    assert_eq!(&copy[..], &msg[..]);
    if msg.is_shared() {
        assert!(msg.get_mut().is_none(), "a shared message is read-only");
    } else if let Some(bytes) = msg.get_mut() {
        // Not shared: writing it must not change the clone (it was a deep copy).
        let before = copy.to_vec();
        for b in bytes.iter_mut() {
            *b = b.wrapping_add(1);
        }
        for b in bytes.iter_mut() {
            *b = b.wrapping_sub(1);
        }
        assert_eq!(&copy[..], &before[..]);
    }
    drop(copy);
    // A message that was never received has no metadata, whatever the name.
    assert!(
        msg.gets(property).is_err(),
        "gets({property:?}) on a local message"
    );
    assert!(msg.gets_bytes(property).is_err());
    let _ = format!("{msg:?}");
}

fuzz_target!(|data: &[u8]| {
    let Some((&control, rest)) = data.split_first() else {
        return;
    };
    let frames = frames(rest);
    // The property name: the first frame's bytes, as text.
    let property = frames
        .first()
        .map(|f| String::from_utf8_lossy(f.bytes).into_owned())
        .unwrap_or_default();
    let mut msgs: Vec<Message> = frames.iter().map(build).collect();
    for msg in &mut msgs {
        exercise(msg, &property);
    }
    let expected: Vec<Vec<u8>> = frames.iter().map(expected_bytes).collect();
    if msgs.is_empty() {
        return;
    }

    let pair = pair().lock().unwrap_or_else(|e| e.into_inner());
    // Send: frame by frame with SNDMORE, or all at once with send_multipart.
    if control & 1 == 0 {
        let last = msgs.len() - 1;
        for (i, mut msg) in msgs.into_iter().enumerate() {
            let flags = if i < last {
                SendFlags::SNDMORE
            } else {
                SendFlags::empty()
            };
            pair.tx.send_msg(&mut msg, flags).expect("send_msg");
        }
    } else {
        pair.tx
            .send_multipart(msgs, SendFlags::empty())
            .expect("send_multipart");
    }
    // Receive: into one reused Message, or with recv_multipart / recv_bytes.
    match control >> 1 & 3 {
        0 => {
            let mut msg = Message::new();
            for (i, want) in expected.iter().enumerate() {
                let n = pair
                    .rx
                    .recv_msg(&mut msg, RecvFlags::empty())
                    .expect("recv_msg");
                assert_eq!(n, want.len());
                assert_eq!(&msg[..], &want[..], "frame {i}");
                assert_eq!(msg.more(), i + 1 < expected.len(), "more-flag of frame {i}");
                assert_eq!(pair.rx.get_rcvmore().expect("rcvmore"), msg.more());
                // A received inproc message has no metadata; the call must just say so.
                let _ = msg.gets(&property);
                let _ = msg.gets("Socket-Type");
                let _ = msg.gets_bytes("Peer-Address");
            }
        }
        1 => {
            let got = pair
                .rx
                .recv_multipart(RecvFlags::empty())
                .expect("recv_multipart");
            assert_eq!(got, expected);
        }
        2 => {
            for (i, want) in expected.iter().enumerate() {
                let got = pair.rx.recv_bytes(RecvFlags::empty()).expect("recv_bytes");
                assert_eq!(&got, want, "frame {i}");
                assert_eq!(
                    pair.rx.get_rcvmore().expect("rcvmore"),
                    i + 1 < expected.len()
                );
            }
        }
        _ => {
            for (i, want) in expected.iter().enumerate() {
                let msg = pair
                    .rx
                    .recv_message(RecvFlags::empty())
                    .expect("recv_message");
                assert_eq!(&msg[..], &want[..], "frame {i}");
                assert_eq!(msg.more(), i + 1 < expected.len());
            }
        }
    }
    // Nothing else may be left behind.
    assert_eq!(
        pair.rx.recv_bytes(RecvFlags::DONTWAIT).err(),
        Some(zmq::Error::EAGAIN),
        "an extra frame arrived"
    );
});
