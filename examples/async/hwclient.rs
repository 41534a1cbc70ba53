//! Hello World client, async: the zguide's `hwclient.c` written with
//! `zmq::tokio::AsyncSocket` (feature `tokio`). Connects a REQ socket to
//! `hwserver` (or `async_hwserver`), sends "Hello" ten times and waits for each
//! "World".
//!
//! ```text
//! cargo run --features tokio --example async_hwclient -- [ENDPOINT] [--count N]
//! ```
//!
//! Same command line and output as `hwclient` (tests/echo.rs runs both).
//!
//! `ENDPOINT` defaults to `tcp://127.0.0.1:5555` (the C says `tcp://localhost:5555`);
//! `--count` changes the number of requests from ten.
#![forbid(unsafe_code)]

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let (endpoint, count) = parse_args()?;

    println!("Connecting to hello world server…");
    let context = zmq::Context::new()?;
    let mut requester = zmq::tokio::AsyncSocket::new(context.socket(zmq::REQ)?)?;
    requester
        .connect(&endpoint)
        .map_err(|e| format!("cannot connect to '{endpoint}': {e}"))?;

    for request_nbr in 0..count {
        let mut buffer = [0u8; 10];
        println!("Sending Hello {request_nbr}…");
        requester.send("Hello").await?;
        requester.recv_into(&mut buffer).await?;
        println!("Received World {request_nbr}");
    }
    // zmq_close and zmq_ctx_destroy: dropping the socket and the context.
    drop(requester);
    drop(context);
    Ok(())
}

fn parse_args() -> Result<(String, u32), String> {
    let mut endpoint = "tcp://127.0.0.1:5555".to_owned();
    let mut count = 10;
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--count" => {
                let value = args.next().unwrap_or_default();
                count = value
                    .parse()
                    .map_err(|_| format!("--count needs a number, not '{value}'"))?;
            }
            _ if arg.starts_with('-') => {
                return Err(format!(
                    "usage: async_hwclient [ENDPOINT] [--count N]; unknown option '{arg}'"
                ))
            }
            _ => endpoint = arg,
        }
    }
    Ok((endpoint, count))
}
