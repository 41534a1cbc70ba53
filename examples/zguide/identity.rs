//! Identities in request-reply (zguide `identity.c`): a ROUTER socket shows the
//! envelope of a request from a REQ socket with a generated identity, then from
//! one whose identity was set to "PEER2". Run it by itself.
//!
//! ```text
//! cargo run --example zguide_identity
//! ```
//!
//! Each message is dumped as `s_dump` does: identity frame, empty delimiter,
//! then the body.
#![forbid(unsafe_code)]

#[path = "zhelpers.rs"]
mod zhelpers;
use zhelpers::{s_dump, s_send};

fn main() -> zhelpers::Result {
    let context = zmq::Context::new()?;

    let sink = context.socket(zmq::ROUTER)?;
    sink.bind("inproc://example")?;

    //  First allow 0MQ to set the identity
    let anonymous = context.socket(zmq::REQ)?;
    anonymous.connect("inproc://example")?;
    s_send(&anonymous, "ROUTER uses a generated 5 byte identity")?;
    s_dump(&sink)?;

    //  Then set the identity ourselves
    let identified = context.socket(zmq::REQ)?;
    identified.set_routing_id(b"PEER2")?;
    identified.connect("inproc://example")?;
    s_send(&identified, "ROUTER socket uses REQ's socket identity")?;
    s_dump(&sink)?;
    Ok(())
}
