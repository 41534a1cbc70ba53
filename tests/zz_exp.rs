#![allow(missing_docs)]
#[test]
fn leak() {
    let ctx = zmq::Context::new().unwrap();
    for key in [&b"\xff\xff\x00\x00"[..], b"ab", b""] {
        let sub = ctx.socket(zmq::SUB).unwrap();
        sub.set_subscribe(key).unwrap();
        drop(sub);
    }
    drop(ctx);
}
