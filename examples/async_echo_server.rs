//! The echo server, async: a REP socket in a tokio task that sends every
//! request straight back (`zmq::tokio::AsyncSocket`; feature `tokio`).
//!
//! ```text
//! cargo run --features tokio --example async_echo_server -- [ENDPOINT] [--max N]
//! ```
//!
//! Same command line, output and behaviour as `echo_server`, so the same tests
//! run against both (tests/echo.rs).
//!
//! `ENDPOINT` defaults to `tcp://127.0.0.1:8888`; `tcp://127.0.0.1:*` picks a free
//! port. The server prints `Server bound to <endpoint>` once (the endpoint actually
//! bound, read back with `ZMQ_LAST_ENDPOINT`), then `Server received:<payload>`
//! for every request, and echoes the request. With `--max N` it exits after N
//! requests. Pair it with `echo_client`; kill and restart it while clients run:
//! they reconnect and nothing is lost.
#![forbid(unsafe_code)]

use std::io::Write;
use std::process::ExitCode;

const USAGE: &str = "usage: async_echo_server [ENDPOINT] [--max N]
  ENDPOINT  where to bind (default tcp://127.0.0.1:8888; tcp://127.0.0.1:* = any free port)
  --max N   exit after serving N requests (default: serve forever)";

struct Args {
    endpoint: String,
    max: Option<u64>,
}

fn parse_args() -> Result<Args, String> {
    let mut endpoint = None;
    let mut max = None;
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "-h" | "--help" => return Err(String::new()),
            "--max" => {
                let value = args.next().ok_or("--max needs a number")?;
                let n = value
                    .parse()
                    .map_err(|_| format!("--max needs a number, not '{value}'"))?;
                max = Some(n);
            }
            _ if arg.starts_with("--") => return Err(format!("unknown option '{arg}'")),
            _ if endpoint.is_none() => endpoint = Some(arg),
            _ => return Err(format!("unexpected argument '{arg}'")),
        }
    }
    Ok(Args {
        endpoint: endpoint.unwrap_or_else(|| "tcp://127.0.0.1:8888".to_owned()),
        max,
    })
}

/// Prints one line and flushes it at once, so a reader on a pipe sees it now.
/// A closed stdout is not a reason to stop serving.
fn say(line: std::fmt::Arguments) {
    let mut out = std::io::stdout().lock();
    let _ = writeln!(out, "{line}");
    let _ = out.flush();
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> ExitCode {
    let args = match parse_args() {
        Ok(args) => args,
        Err(problem) => {
            if problem.is_empty() {
                println!("{USAGE}");
                return ExitCode::SUCCESS;
            }
            eprintln!("async_echo_server: {problem}\n{USAGE}");
            return ExitCode::from(2);
        }
    };

    let ctx = match zmq::Context::new() {
        Ok(ctx) => ctx,
        Err(e) => {
            eprintln!("async_echo_server: cannot create a ZeroMQ context: {e}");
            return ExitCode::FAILURE;
        }
    };
    let responder = match ctx.socket(zmq::REP).map(zmq::tokio::AsyncSocket::new) {
        Ok(Ok(socket)) => socket,
        Ok(Err(e)) => {
            eprintln!("async_echo_server: cannot register the socket with tokio: {e}");
            return ExitCode::FAILURE;
        }
        Err(e) => {
            eprintln!("async_echo_server: cannot create a REP socket: {e}");
            return ExitCode::FAILURE;
        }
    };
    if let Err(e) = responder.bind(&args.endpoint) {
        eprintln!("async_echo_server: cannot bind to '{}': {e}", args.endpoint);
        return ExitCode::from(2);
    }
    match responder.socket().get_last_endpoint() {
        Ok(bound) => say(format_args!("Server bound to {bound}")),
        Err(e) => {
            eprintln!("async_echo_server: cannot read the bound endpoint: {e}");
            return ExitCode::FAILURE;
        }
    }
    // Give the last reply up to a second to leave when we exit after --max.
    if let Err(e) = responder.socket().set_linger(1000) {
        eprintln!("async_echo_server: cannot set ZMQ_LINGER: {e}");
        return ExitCode::FAILURE;
    }

    match serve(responder, args.max).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("async_echo_server: {e}");
            ExitCode::FAILURE
        }
    }
}

/// The REP loop: receive a request, show it, send the same message back.
async fn serve(mut responder: zmq::tokio::AsyncSocket, max: Option<u64>) -> Result<(), zmq::Error> {
    let mut request = zmq::Message::new();
    let mut served = 0u64;
    while max != Some(served) {
        responder.recv_msg(&mut request).await?;
        say(format_args!(
            "Server received:{}",
            String::from_utf8_lossy(&request)
        ));
        // The request itself is the reply: libzmq takes its content, no copy.
        responder.send_msg(&mut request).await?;
        served += 1;
    }
    Ok(())
}
