//! How the throughput senders (`inproc_thr`, `remote_thr` and their `_shared`
//! variants) make and send each message. Generic over nothing and `#[inline]`,
//! so each binary's loop is compiled in place as if written there.

use std::sync::Arc;

use zmq::{Message, SendFlags, Socket};

use crate::inproc_thr::SendError;

/// Writes every payload: one reused `Message`, refilled per message with
/// `Message::rebuild(size, |w| w.put_bytes(0, size))` and sent with `send_msg`:
/// `zmq_msg_close` (of the message the previous send emptied) +
/// `zmq_msg_init_size` + `zmq_msg_data` + `memset` + `zmq_msg_send`, what C
/// does when it writes its payload (the `_filled` rows).
#[inline]
pub fn send_filled(s: &Socket, size: usize, count: i32) -> Result<(), SendError> {
    let mut msg = Message::new();
    for _ in 0..count {
        msg.rebuild(size, |w| w.put_bytes(0, size))
            .map_err(|e| ("zmq_msg_init_size", e))?;
        s.send_msg(&mut msg, SendFlags::empty())
            .map_err(|e| ("zmq_sendmsg", e))?;
    }
    Ok(())
}

/// How [`send_shared`] makes each message refer to the one payload.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Share {
    /// `Message::clone` of one message written once: `zmq_msg_init` +
    /// `zmq_msg_copy` per message. Above libzmq's 33-byte inline limit the
    /// copy takes a reference (an atomic increment in the content libzmq
    /// allocated with the buffer); at or below it, it copies the 64-byte
    /// `zmq_msg_t`, payload included.
    Clone,
    /// `Message::from(&Arc<[u8]>)` of one `Arc` written once:
    /// `zmq_msg_init_data` per message, which allocates libzmq's reference
    /// count (a `malloc` + `free` per message) and calls back into Rust to drop
    /// the `Arc` reference when the receiver releases it. Payloads of at most
    /// 32 bytes are copied inline instead.
    Arc,
}

impl Share {
    /// Parses `clone` or `arc` (the tools' optional last argument).
    pub fn parse(arg: &str) -> Option<Share> {
        match arg {
            "clone" => Some(Share::Clone),
            "arc" => Some(Share::Arc),
            _ => None,
        }
    }
}

/// Shares one payload of `size` zero bytes, written once before the loop, among
/// all `count` messages: no payload byte is written per message, as in C's tools
/// (which never write theirs), but every byte sent was initialised.
#[inline]
pub fn send_shared(s: &Socket, size: usize, count: i32, how: Share) -> Result<(), SendError> {
    match how {
        Share::Clone => {
            let payload = Message::from_writer(size, |w| w.put_bytes(0, size))
                .map_err(|e| ("zmq_msg_init_size", e))?;
            for _ in 0..count {
                let mut msg = payload.clone();
                s.send_msg(&mut msg, SendFlags::empty())
                    .map_err(|e| ("zmq_sendmsg", e))?;
            }
        }
        Share::Arc => {
            let payload: Arc<[u8]> = vec![0u8; size].into();
            for _ in 0..count {
                let mut msg = Message::from(&payload);
                s.send_msg(&mut msg, SendFlags::empty())
                    .map_err(|e| ("zmq_sendmsg", e))?;
            }
        }
    }
    Ok(())
}
