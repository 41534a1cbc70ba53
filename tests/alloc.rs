//! The hot paths allocate nothing per message: a counting global allocator, enabled
//! only on the measuring thread, must see zero allocations over N messages.
//! (libzmq allocates with its own malloc, not Rust's allocator: what is counted here
//! is exactly what this crate adds.)
#![deny(unsafe_code)]

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;

use zmq::{Context, Message, RecvFlags, SendFlags, PULL, PUSH};

struct Counting;

thread_local! {
    static COUNTING: Cell<bool> = const { Cell::new(false) };
    static ALLOCATIONS: Cell<usize> = const { Cell::new(0) };
}

fn note_allocation() {
    // try_with: the allocator may run while thread-locals are being torn down.
    let _ = COUNTING.try_with(|on| {
        if on.get() {
            let _ = ALLOCATIONS.try_with(|n| n.set(n.get() + 1));
        }
    });
}

// The one unsafe item of this test (GlobalAlloc is an unsafe trait): it forwards
// to the system allocator unchanged and only counts.
#[allow(unsafe_code)]
mod alloc_impl {
    use super::*;

    // SAFETY: every method forwards to `System` with the same arguments, so the
    // GlobalAlloc contract holds exactly as it does for `System`.
    unsafe impl GlobalAlloc for Counting {
        unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
            note_allocation();
            // SAFETY: forwarded from our caller, who upholds alloc's contract.
            unsafe { System.alloc(layout) }
        }
        unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
            // SAFETY: forwarded from our caller, who upholds dealloc's contract.
            unsafe { System.dealloc(ptr, layout) }
        }
        unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
            note_allocation();
            // SAFETY: forwarded from our caller, who upholds alloc_zeroed's contract.
            unsafe { System.alloc_zeroed(layout) }
        }
        unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
            note_allocation();
            // SAFETY: forwarded from our caller, who upholds realloc's contract.
            unsafe { System.realloc(ptr, layout, new_size) }
        }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

/// Allocations made by `f` on this thread.
fn allocations_in(f: impl FnOnce()) -> usize {
    ALLOCATIONS.with(|n| n.set(0));
    COUNTING.with(|on| on.set(true));
    f();
    COUNTING.with(|on| on.set(false));
    ALLOCATIONS.with(|n| n.get())
}

const N: usize = 10_000;

fn inproc_pair(name: &str) -> (Context, zmq::Socket, zmq::Socket) {
    let ctx = Context::new().unwrap();
    let pull = ctx.socket(PULL).unwrap();
    pull.set_rcvhwm(0).unwrap();
    pull.bind(name).unwrap();
    let push = ctx.socket(PUSH).unwrap();
    push.set_sndhwm(0).unwrap();
    push.connect(name).unwrap();
    (ctx, push, pull)
}

#[test]
fn the_counter_sees_allocations() {
    // Control: the measurement can fail.
    let n = allocations_in(|| drop(std::hint::black_box(vec![1u8; 100])));
    assert_eq!(n, 1);
}

#[test]
fn send_msg_and_recv_msg_into_a_reused_message_allocate_nothing() {
    let (_ctx, push, pull) = inproc_pair("inproc://alloc-msg");
    let mut incoming = Message::new();
    for size in [1usize, 64, 1024, 65_536] {
        let payload = vec![7u8; size];
        let n = allocations_in(|| {
            for _ in 0..N {
                let mut msg = Message::from(&payload[..]);
                push.send_msg(&mut msg, SendFlags::empty()).unwrap();
                pull.recv_msg(&mut incoming, RecvFlags::empty()).unwrap();
                assert_eq!(incoming.len(), size);
            }
        });
        assert_eq!(n, 0, "{n} allocations for {N} messages of {size} bytes");
    }
}

#[test]
fn send_of_bytes_and_recv_into_a_buffer_allocate_nothing() {
    let (_ctx, push, pull) = inproc_pair("inproc://alloc-bytes");
    let payload = [3u8; 256];
    let mut buf = [0u8; 256];
    let n = allocations_in(|| {
        for _ in 0..N {
            push.send(&payload[..], SendFlags::empty()).unwrap();
            assert_eq!(pull.recv_into(&mut buf, RecvFlags::empty()).unwrap(), 256);
        }
    });
    assert_eq!(n, 0);
    assert_eq!(buf, payload);
}

#[test]
fn zero_copy_send_of_owned_buffers_allocates_nothing_more() {
    let (_ctx, push, pull) = inproc_pair("inproc://alloc-vec");
    // The caller's buffers are made before counting: what is counted is the binding.
    let mut vecs: Vec<Vec<u8>> = (0..1000).map(|i| vec![i as u8; 4096]).collect();
    let mut boxes: Vec<Box<[u8]>> = (0..1000)
        .map(|i| vec![i as u8; 4096].into_boxed_slice())
        .collect();
    let mut incoming = Message::new();
    let n = allocations_in(|| {
        for v in vecs.drain(..) {
            let mut msg = Message::from(v);
            push.send_msg(&mut msg, SendFlags::empty()).unwrap();
            pull.recv_msg(&mut incoming, RecvFlags::empty()).unwrap();
        }
        for b in boxes.drain(..) {
            let mut msg = Message::from(b);
            push.send_msg(&mut msg, SendFlags::empty()).unwrap();
            pull.recv_msg(&mut incoming, RecvFlags::empty()).unwrap();
        }
    });
    assert_eq!(n, 0);
    assert_eq!(incoming.len(), 4096);
}

#[test]
fn messages_written_in_place_allocate_nothing() {
    let (_ctx, push, pull) = inproc_pair("inproc://alloc-writer");
    let mut incoming = Message::new();
    let mut outgoing = Message::new();
    for size in [1usize, 64, 1024, 65_536] {
        let n = allocations_in(|| {
            for i in 0..N {
                let mut msg = Message::from_writer(size, |w| {
                    w.put_u8(i as u8)?;
                    w.put_bytes(0xA5, size - 1)
                })
                .unwrap();
                push.send_msg(&mut msg, SendFlags::empty()).unwrap();
                // The same into one reused message.
                outgoing
                    .rebuild(size, |w| w.put_bytes(i as u8, size))
                    .unwrap();
                push.send_msg(&mut outgoing, SendFlags::empty()).unwrap();
                pull.recv_msg(&mut incoming, RecvFlags::empty()).unwrap();
                assert_eq!((incoming.len(), incoming[0]), (size, i as u8));
                pull.recv_msg(&mut incoming, RecvFlags::empty()).unwrap();
                assert_eq!((incoming.len(), incoming[size - 1]), (size, i as u8));
            }
        });
        assert_eq!(n, 0, "{n} allocations for {N} messages of {size} bytes");
    }
}

#[test]
fn multipart_send_and_receive_into_a_reused_value_allocate_nothing() {
    let (_ctx, push, pull) = inproc_pair("inproc://alloc-multipart");
    let mut outgoing = zmq::Multipart::with_capacity(4);
    let mut incoming = zmq::Multipart::with_capacity(4);
    for size in [1usize, 64, 1024, 65_536] {
        let payload = vec![9u8; size];
        let n = allocations_in(|| {
            for i in 0..N {
                outgoing.push_back(&b"envelope"[..]);
                outgoing.push_back(Message::new());
                outgoing.push_back(&payload[..]);
                push.send_multipart_msg(&mut outgoing, SendFlags::empty())
                    .unwrap();
                assert!(outgoing.is_empty());
                pull.recv_multipart_msg(&mut incoming, RecvFlags::empty())
                    .unwrap();
                assert_eq!(incoming.len(), 3);
                assert_eq!(incoming[2].len(), size, "message {i}");
            }
        });
        assert_eq!(
            n, 0,
            "{n} allocations for {N} multipart messages of {size} bytes"
        );
    }
    // Envelope handling on a received value: unwrap and wrap again.
    let n = allocations_in(|| {
        for _ in 0..N {
            outgoing.push_back(&b"body"[..]);
            outgoing.wrap(&b"client"[..]);
            push.send_multipart_msg(&mut outgoing, SendFlags::empty())
                .unwrap();
            pull.recv_multipart_msg(&mut incoming, RecvFlags::empty())
                .unwrap();
            let address = incoming.unwrap().unwrap();
            assert_eq!(address, "client");
            incoming.wrap(address);
            assert_eq!(incoming.len(), 3);
        }
    });
    assert_eq!(n, 0, "{n} allocations for {N} envelopes");
}

/// The async paths (`--features tokio`), on a current-thread runtime driven
/// by this thread: what is counted is the async layer and tokio's reactor,
/// including the waits; each round sends and receives 3 messages (one of them
/// multipart).
#[cfg(all(feature = "tokio", unix))]
#[test]
fn async_send_and_receive_allocate_nothing_per_message() {
    use zmq::tokio::AsyncSocket;
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_io()
        .build()
        .unwrap();
    // Over tcp, so that a receive polled right after the send finds nothing yet
    // (libzmq's I/O thread carries the message) and goes through the
    // register-and-sleep path, woken by the reactor.
    let ctx = Context::new().unwrap();
    let pull = ctx.socket(PULL).unwrap();
    pull.bind("tcp://127.0.0.1:*").unwrap();
    let push = ctx.socket(PUSH).unwrap();
    push.connect(&pull.get_last_endpoint().unwrap()).unwrap();
    let (mut push, mut pull) = rt.block_on(async {
        (
            AsyncSocket::new(push).unwrap(),
            AsyncSocket::new(pull).unwrap(),
        )
    });
    let mut outgoing = zmq::Multipart::with_capacity(4);
    let mut incoming = zmq::Multipart::with_capacity(4);
    let mut frame = Message::new();
    let mut buf = [0u8; 64];
    let mut run = |count: usize| {
        rt.block_on(async {
            for i in 0..count {
                let mut msg = Message::from(&[i as u8; 48][..]);
                push.send_msg(&mut msg).await.unwrap();
                pull.recv_msg(&mut frame).await.unwrap();
                assert_eq!(frame[0], i as u8);
                push.send(&[1u8; 16][..]).await.unwrap();
                assert_eq!(pull.recv_into(&mut buf).await.unwrap(), 16);
                outgoing.push_back(&b"id"[..]);
                outgoing.push_back(&[i as u8; 1024][..]);
                push.send_multipart(&mut outgoing).await.unwrap();
                pull.recv_multipart(&mut incoming).await.unwrap();
                assert_eq!(incoming.len(), 2);
            }
        })
    };
    // Warm up: the runtime's and the registration's first-use allocations.
    run(100);
    // tokio may allocate once per `block_on` (its scheduler's bookkeeping, not
    // per poll): compare N rounds with 3N rounds, each in one block_on.
    let once = allocations_in(|| run(N));
    let thrice = allocations_in(|| run(3 * N));
    eprintln!(
        "allocations: {once} for {N} rounds, {thrice} for {} rounds",
        3 * N
    );
    // At most a couple, and not more for three times the messages: none per
    // message (what is left is tokio's per-block_on bookkeeping).
    assert!(
        once <= 2,
        "{once} allocations for {N} rounds of async sends and receives"
    );
    assert!(thrice <= 2, "{thrice} allocations for {} rounds", 3 * N);
}

// Zero-copy from other owners (src/owner.rs). The caller's buffers are made before
// counting; what is counted is what the binding adds per message. libzmq's own
// `content_t` (its reference count, `malloc`ed by `zmq_msg_init_data`) is not
// Rust's allocator and is not counted, as everywhere in this file.

#[test]
fn arc_slices_shared_with_many_messages_allocate_nothing() {
    let (_ctx, push, pull) = inproc_pair("inproc://alloc-arc");
    let payload: std::sync::Arc<[u8]> = vec![5u8; 4096].into();
    let mut incoming = Message::new();
    let n = allocations_in(|| {
        for _ in 0..N {
            let mut msg = Message::from(std::sync::Arc::clone(&payload));
            push.send_msg(&mut msg, SendFlags::empty()).unwrap();
            pull.recv_msg(&mut incoming, RecvFlags::empty()).unwrap();
        }
    });
    assert_eq!(n, 0, "{n} allocations for {N} Arc messages");
    drop(incoming);
    assert_eq!(std::sync::Arc::strong_count(&payload), 1);
}

/// An owner type of the caller's: the generic path.
struct OwnedBuf(Vec<u8>);

impl AsRef<[u8]> for OwnedBuf {
    fn as_ref(&self) -> &[u8] {
        &self.0
    }
}

#[test]
fn a_generic_owner_costs_exactly_one_box_per_message() {
    let (_ctx, push, pull) = inproc_pair("inproc://alloc-owner");
    const M: usize = 1000;
    let mut owners: Vec<OwnedBuf> = (0..M).map(|i| OwnedBuf(vec![i as u8; 4096])).collect();
    let mut incoming = Message::new();
    let n = allocations_in(|| {
        for owner in owners.drain(..) {
            let mut msg = Message::from_owner(owner);
            push.send_msg(&mut msg, SendFlags::empty()).unwrap();
            pull.recv_msg(&mut incoming, RecvFlags::empty()).unwrap();
        }
    });
    // The box that holds the owner at a stable address until libzmq drops it.
    assert_eq!(n, M, "{n} allocations for {M} messages");
    // Owners of at most 32 bytes are copied into the message: no box.
    let mut small: Vec<OwnedBuf> = (0..M).map(|i| OwnedBuf(vec![i as u8; 32])).collect();
    let n = allocations_in(|| {
        for owner in small.drain(..) {
            let mut msg = Message::from_owner(owner);
            push.send_msg(&mut msg, SendFlags::empty()).unwrap();
            pull.recv_msg(&mut incoming, RecvFlags::empty()).unwrap();
        }
    });
    assert_eq!(n, 0);
}

#[test]
fn a_tracked_owner_costs_its_box_and_the_trackers_state() {
    let (_ctx, push, pull) = inproc_pair("inproc://alloc-tracked");
    const M: usize = 1000;
    let mut owners: Vec<OwnedBuf> = (0..M).map(|i| OwnedBuf(vec![i as u8; 4096])).collect();
    let mut incoming = Message::new();
    // A first wait makes this thread's waker (once per thread), outside the count.
    let (_, mut warm) = Message::from_owner_tracked(OwnedBuf(vec![0; 4096]));
    assert!(warm.wait_timeout(std::time::Duration::from_secs(10)));
    let n = allocations_in(|| {
        for owner in owners.drain(..) {
            let (mut msg, mut tracker) = Message::from_owner_tracked(owner);
            push.send_msg(&mut msg, SendFlags::empty()).unwrap();
            pull.recv_msg(&mut incoming, RecvFlags::empty()).unwrap();
            assert!(
                !tracker.is_released(),
                "the receiver still holds the content"
            );
            // Receiving into `incoming` again releases the previous content.
            incoming = Message::new();
            assert!(tracker.wait_timeout(std::time::Duration::from_secs(10)));
        }
    });
    // Per message: the owner's box and the tracker's shared state (an Arc).
    assert_eq!(n, 2 * M, "{n} allocations for {M} tracked messages");
}

#[cfg(feature = "bytes")]
#[test]
fn bytes_cost_exactly_one_box_per_message() {
    let (_ctx, push, pull) = inproc_pair("inproc://alloc-bytes-crate");
    let payload = bytes::Bytes::from(vec![6u8; 4096]);
    // The first clone of a `Bytes` made from a Vec moves it to a shared
    // representation (one allocation, the caller's); later clones only count.
    drop(payload.clone());
    let mut incoming = Message::new();
    let n = allocations_in(|| {
        for _ in 0..N {
            let mut msg = Message::from(payload.clone());
            push.send_msg(&mut msg, SendFlags::empty()).unwrap();
            pull.recv_msg(&mut incoming, RecvFlags::empty()).unwrap();
        }
    });
    // `Bytes` is four words (pointer, length and its own vtable): it is boxed.
    assert_eq!(n, N, "{n} allocations for {N} Bytes messages");
}
