//! The echo client, async: a REQ socket in a tokio task that sends `<n>:<pid>`
//! once a second and waits for the server to echo it (`zmq::tokio::AsyncSocket`;
//! feature `tokio`).
//!
//! ```text
//! cargo run --features tokio --example async_echo_client -- [ENDPOINT] [--count N] [--interval-ms MS] [--timeout-ms MS]
//! ```
//!
//! Same command line, output and behaviour as `echo_client`, so the same tests
//! run against both (tests/echo.rs). The reply timeout is a
//! `tokio::time::timeout` around the receive (`ZMQ_RCVTIMEO` does not apply to
//! async sockets); the receive is cancel-safe, so a reply that arrives just as
//! the timeout fires is not lost: it is read by the next receive.
//!
//! It prints `I am <pid>`, then for each round `Client sent message <n>` and, when
//! the echo arrives, `Client received ack:<n>:<pid>`.
//!
//! Kill the server and start it again: the client carries on. libzmq reconnects by
//! itself and delivers a request queued while the server was away. A request the
//! dead server had already taken gets no reply. So after `--timeout-ms` without a
//! reply, the client sends the same request again (the zguide's "lazy pirate"
//! idea) and prints `Client resent message <n>`. `ZMQ_REQ_RELAXED` lets a REQ
//! socket send again before it has a reply. `ZMQ_REQ_CORRELATE` tags each request
//! so that a late reply to an earlier copy is dropped. No round is skipped and
//! none is acknowledged twice.
#![forbid(unsafe_code)]

use std::io::Write;
use std::process::ExitCode;
use std::time::Duration;

const USAGE: &str =
    "usage: async_echo_client [ENDPOINT] [--count N] [--interval-ms MS] [--timeout-ms MS]
  ENDPOINT          the server to connect to (default tcp://127.0.0.1:8888)
  --count N         stop after N acknowledged rounds (default: run forever)
  --interval-ms MS  pause between rounds (default 1000)
  --timeout-ms MS   resend a request left unanswered this long (default 2500)";

struct Args {
    endpoint: String,
    count: Option<u64>,
    interval: Duration,
    timeout_ms: i32,
}

fn number<T: std::str::FromStr>(option: &str, value: Option<String>) -> Result<T, String> {
    let value = value.ok_or_else(|| format!("{option} needs a number"))?;
    value
        .parse()
        .map_err(|_| format!("{option} needs a number, not '{value}'"))
}

fn parse_args() -> Result<Args, String> {
    let mut args = Args {
        endpoint: "tcp://127.0.0.1:8888".to_owned(),
        count: None,
        interval: Duration::from_millis(1000),
        timeout_ms: 2500,
    };
    let mut endpoint_given = false;
    let mut argv = std::env::args().skip(1);
    while let Some(arg) = argv.next() {
        match arg.as_str() {
            "-h" | "--help" => return Err(String::new()),
            "--count" => args.count = Some(number(&arg, argv.next())?),
            "--interval-ms" => args.interval = Duration::from_millis(number(&arg, argv.next())?),
            "--timeout-ms" => {
                args.timeout_ms = number(&arg, argv.next())?;
                if args.timeout_ms <= 0 {
                    return Err("--timeout-ms must be at least 1".to_owned());
                }
            }
            _ if arg.starts_with("--") => return Err(format!("unknown option '{arg}'")),
            _ if !endpoint_given => {
                args.endpoint = arg;
                endpoint_given = true;
            }
            _ => return Err(format!("unexpected argument '{arg}'")),
        }
    }
    Ok(args)
}

/// Prints one line and flushes it at once, so a reader on a pipe sees it now.
fn say(line: std::fmt::Arguments) {
    let mut out = std::io::stdout().lock();
    let _ = writeln!(out, "{line}");
    let _ = out.flush();
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> ExitCode {
    let args = match parse_args() {
        Ok(args) => args,
        Err(problem) if problem.is_empty() => {
            println!("{USAGE}");
            return ExitCode::SUCCESS;
        }
        Err(problem) => {
            eprintln!("async_echo_client: {problem}\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    match run(&args).await {
        Ok(()) => ExitCode::SUCCESS,
        Err((code, message)) => {
            eprintln!("async_echo_client: {message}");
            ExitCode::from(code)
        }
    }
}

/// A failure: the exit code and what to tell the user.
type Failure = (u8, String);

fn fail(what: &str) -> impl FnOnce(zmq::Error) -> Failure + '_ {
    move |e| (1, format!("{what}: {e}"))
}

async fn run(args: &Args) -> Result<(), Failure> {
    let ctx = zmq::Context::new().map_err(fail("cannot create a ZeroMQ context"))?;
    let socket = ctx
        .socket(zmq::REQ)
        .map_err(fail("cannot create a REQ socket"))?;
    // May send again while a reply is still due, and ignore replies to old copies.
    socket
        .set_req_relaxed(true)
        .map_err(fail("cannot set ZMQ_REQ_RELAXED"))?;
    socket
        .set_req_correlate(true)
        .map_err(fail("cannot set ZMQ_REQ_CORRELATE"))?;
    // Linger 0: whatever is still queued when we exit is dropped, so exiting never
    // waits for a server that is gone.
    socket
        .set_linger(0)
        .map_err(fail("cannot set ZMQ_LINGER"))?;
    socket
        .connect(&args.endpoint)
        .map_err(|e| (2, format!("cannot connect to '{}': {e}", args.endpoint)))?;
    let mut requester = zmq::tokio::AsyncSocket::new(socket)
        .map_err(|e| (1, format!("cannot register the socket with tokio: {e}")))?;
    let timeout = Duration::from_millis(args.timeout_ms as u64);

    let pid = std::process::id();
    say(format_args!("I am {pid}"));

    let mut reply = zmq::Message::new();
    let mut n = 0u64;
    while args.count != Some(n) {
        n += 1;
        if n > 1 {
            tokio::time::sleep(args.interval).await;
        }
        let request = format!("{n}:{pid}");
        requester
            .send(&request)
            .await
            .map_err(fail("send failed"))?;
        say(format_args!("Client sent message {n}"));
        loop {
            match tokio::time::timeout(timeout, requester.recv_msg(&mut reply)).await {
                Ok(Ok(_)) if reply == request.as_str() => break,
                Ok(Ok(_)) => {
                    return Err((
                        1,
                        format!(
                            "the server answered '{}' to '{request}': not an echo server?",
                            String::from_utf8_lossy(&reply)
                        ),
                    ))
                }
                Ok(Err(e)) => return Err((1, format!("receive failed: {e}"))),
                Err(_elapsed) => {
                    // No reply in time: the server may have died holding our request.
                    // Send the same request again; the reply to whichever copy the
                    // server answers first completes the round.
                    requester
                        .send(&request)
                        .await
                        .map_err(fail("resend failed"))?;
                    say(format_args!("Client resent message {n}"));
                }
            }
        }
        say(format_args!("Client received ack:{request}"));
    }
    Ok(())
}
