//! Reports the version of the linked libzmq: the zguide's `version.c`.
#![forbid(unsafe_code)]

fn main() {
    let (major, minor, patch) = zmq::version();
    println!("Current 0MQ version is {major}.{minor}.{patch}");
}
