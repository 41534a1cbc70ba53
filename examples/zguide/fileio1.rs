//! File transfer model #1 (zguide `fileio1.c`): the server sends the whole
//! file to the client in large chunks with no attempt at flow control, ending
//! with an empty chunk. Client and server are threads of one process, each
//! with a `PAIR` pipe to the main thread (CZMQ's `zthread_fork`).
//!
//! ```text
//! cargo run --example zguide_fileio1 -- [FILE] [ENDPOINT] [--chunk-size N] [--output PATH]
//! ```
//!
//! `FILE` defaults to `testdata` (as in the C, which must exist), `ENDPOINT` to
//! `tcp://127.0.0.1:6000` (the C binds `tcp://*:6000`), `--chunk-size` to the
//! C's 250000. The client prints `<chunks> chunks received, <bytes> bytes`;
//! `--output PATH` (not in the C) also writes what it received to `PATH`.
#![forbid(unsafe_code)]

use std::fs::File;
use std::io::{Read, Write};
use std::path::PathBuf;

#[path = "zhelpers.rs"]
mod zhelpers;
use zhelpers::{s_bound, s_console, s_join, s_pipe, s_recv, s_send, Args, ThreadResult};

const CHUNK_SIZE: usize = 250000;

fn client_thread(pipe: &zmq::Socket, endpoint: &str, output: Option<PathBuf>) -> ThreadResult {
    let context = pipe.context();
    let dealer = context.socket(zmq::DEALER)?;
    dealer.set_linger(0)?;
    dealer.connect(endpoint)?;
    let mut output = output.map(File::create).transpose()?;

    s_send(&dealer, "fetch")?;
    let mut total = 0; //  Total bytes received
    let mut chunks = 0; //  Total chunks received

    loop {
        let frame = match dealer.recv_message(zmq::RecvFlags::empty()) {
            Err(zmq::Error::ETERM) => break, //  Shutting down, quit
            frame => frame?,
        };
        chunks += 1;
        let size = frame.len();
        if let Some(output) = output.as_mut() {
            output.write_all(&frame)?;
        }
        total += size;
        if size == 0 {
            break; //  Whole file received
        }
    }
    s_console(format_args!("{chunks} chunks received, {total} bytes"));
    s_send(pipe, "OK")?;
    Ok(())
}

//  The server thread reads the file from disk in chunks, and sends
//  each chunk to the client as a separate message. We only have one
//  test file, so open that once and then serve it out as needed:

fn server_thread(
    pipe: &zmq::Socket,
    mut file: File,
    endpoint: &str,
    chunk_size: usize,
) -> ThreadResult {
    let context = pipe.context();
    let router = context.socket(zmq::ROUTER)?;
    router.set_linger(0)?;
    //  Default HWM is 1000, which will drop messages here
    //  because we send more than 1,000 chunks of test data,
    //  so set an infinite HWM as a simple, stupid solution:
    router.set_sndhwm(0)?;
    router.set_rcvhwm(0)?;
    router.bind(endpoint)?;
    s_bound(&router)?;
    s_send(pipe, &router.get_last_endpoint()?)?;
    loop {
        //  First frame in each message is the sender identity
        let identity = match router.recv_bytes(zmq::RecvFlags::empty()) {
            Err(zmq::Error::ETERM) => break, //  Shutting down, quit
            identity => identity?,
        };

        //  Second frame is "fetch" command
        let command = s_recv(&router)?;
        if command != "fetch" {
            return Err(format!("unexpected command '{command}'").into());
        }

        loop {
            let mut data = Vec::with_capacity(chunk_size);
            (&mut file).take(chunk_size as u64).read_to_end(&mut data)?;
            let size = data.len();
            router.send(&identity, zmq::SNDMORE)?;
            router.send_msg(&mut zmq::Message::from(data), zmq::SendFlags::empty())?;
            if size == 0 {
                break; //  Always end with a zero-size frame
            }
        }
    }
    Ok(())
}

//  The main task starts the client and server threads; it's easier
//  to test this as a single process with threads, than as multiple
//  processes:

fn main() -> zhelpers::Result {
    let args = Args::parse("fileio1 [FILE] [ENDPOINT] [--chunk-size N] [--output PATH]")?
        .only(&["chunk-size", "output"])?;
    let chunk_size: usize = args.opt("chunk-size", CHUNK_SIZE)?;
    let output: Option<PathBuf> = args.opt_some("output")?;
    let path = args.arg(0, "testdata");
    let file = File::open(&path).map_err(|e| format!("{path}: {e}"))?;

    //  Start child threads
    let context = zmq::Context::new()?;
    let (server_pipe, pipe) = s_pipe(&context)?;
    let endpoint = args.arg(1, "tcp://127.0.0.1:6000");
    let server = std::thread::spawn(move || {
        let result = server_thread(&pipe, file, &endpoint, chunk_size);
        if result.is_err() {
            let _ = s_send(&pipe, ""); //  Don't leave main waiting
        }
        result
    });
    let endpoint = s_recv(&server_pipe)?;
    if endpoint.is_empty() {
        return s_join(server, "server");
    }
    let (client_pipe, pipe) = s_pipe(&context)?;
    let client = std::thread::spawn(move || {
        let result = client_thread(&pipe, &endpoint, output);
        if result.is_err() {
            let _ = s_send(&pipe, "FAILED"); //  Don't leave main waiting
        }
        result
    });
    //  Loop until client tells us it's done (or the server fails)
    let mut items = [
        client_pipe.as_poll_item(zmq::PollEvents::POLLIN),
        server_pipe.as_poll_item(zmq::PollEvents::POLLIN),
    ];
    zmq::poll(&mut items, -1)?;
    //  Kill server thread
    context.shutdown()?;
    s_join(client, "client")?;
    s_join(server, "server")
}
