//! Hello World server, async: the zguide's `hwserver.c` written with
//! `zmq::tokio::AsyncSocket` (feature `tokio`). Binds a REP socket, expects
//! "Hello" from clients and replies with "World"; the pretend work is a
//! `tokio::time::sleep`, so the runtime's thread is free meanwhile.
//!
//! ```text
//! cargo run --features tokio --example async_hwserver -- [ENDPOINT] [--count N] [--work-ms MS]
//! ```
//!
//! Same command line and output as `hwserver` (tests/echo.rs runs both).
//!
//! `ENDPOINT` defaults to `tcp://127.0.0.1:5555` (the C binds `tcp://*:5555`, every
//! interface); `--count N` exits after N requests (the C serves forever);
//! `--work-ms` is the pretend work per request (the C's `sleep (1)`).
#![forbid(unsafe_code)]

use std::time::Duration;

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let (endpoint, count, work) = parse_args()?;

    //  Socket to talk to clients
    let context = zmq::Context::new()?;
    let mut responder = zmq::tokio::AsyncSocket::new(context.socket(zmq::REP)?)?;
    responder
        .bind(&endpoint)
        .map_err(|e| format!("cannot bind to '{endpoint}': {e}"))?;
    println!("Bound to {}", responder.socket().get_last_endpoint()?);

    let mut served = 0;
    while count != Some(served) {
        let mut buffer = [0u8; 10];
        responder.recv_into(&mut buffer).await?;
        println!("Received Hello");
        tokio::time::sleep(work).await; //  Do some 'work'
        responder.send("World").await?;
        served += 1;
    }
    // The last "World" leaves before the context is gone (linger -1 waits for it).
    Ok(())
}

fn parse_args() -> Result<(String, Option<u32>, Duration), String> {
    let mut endpoint = "tcp://127.0.0.1:5555".to_owned();
    let (mut count, mut work_ms) = (None, 1000);
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        let mut number = |name: &str| -> Result<u32, String> {
            let value = args.next().unwrap_or_default();
            value
                .parse()
                .map_err(|_| format!("{name} needs a number, not '{value}'"))
        };
        match arg.as_str() {
            "--count" => count = Some(number("--count")?),
            "--work-ms" => work_ms = number("--work-ms")?,
            _ if arg.starts_with('-') => {
                return Err(format!(
                    "usage: async_hwserver [ENDPOINT] [--count N] [--work-ms MS]; unknown option '{arg}'"
                ))
            }
            _ => endpoint = arg,
        }
    }
    Ok((endpoint, count, Duration::from_millis(work_ms.into())))
}
