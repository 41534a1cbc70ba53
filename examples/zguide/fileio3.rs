//! File transfer model #3 (zguide `fileio3.c`): the client requests each
//! chunk individually, but pipelines its requests to give credit-based flow
//! control: up to `PIPELINE` chunks in transit at once, a new request for each
//! chunk received. The server's `ROUTER` high-water mark is `PIPELINE * 2` as a
//! sanity check (with `ROUTER_MANDATORY`, not in the C, so that a pipe that
//! looks full blocks the send rather than losing the chunk), and it hands each
//! chunk to libzmq without copying it. Client
//! and server are threads of one process, each with a `PAIR` pipe to the main
//! thread (CZMQ's `zthread_fork`).
//!
//! ```text
//! cargo run --example zguide_fileio3 -- [FILE] [ENDPOINT] [--chunk-size N] [--pipeline N] [--output PATH]
//! ```
//!
//! `FILE` defaults to `testdata` (as in the C, which must exist), `ENDPOINT` to
//! `tcp://127.0.0.1:6000` (the C binds `tcp://*:6000`), `--chunk-size` to the
//! C's 250000 and `--pipeline` to its 10. The client stops at the first chunk
//! shorter than that and prints `<chunks> chunks received, <bytes> bytes`, then
//! (not in the C) `at most <n> chunks in transit`; `--output PATH` (not in the
//! C either) also writes what it received to `PATH`.
#![forbid(unsafe_code)]

use std::fs::File;
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::PathBuf;

#[path = "zhelpers.rs"]
mod zhelpers;
use zhelpers::{
    s_bound, s_console, s_join, s_pipe, s_recv, s_send, s_sendmore, Args, ThreadResult,
};

const CHUNK_SIZE: usize = 250000;
const PIPELINE: usize = 10;

fn client_thread(
    pipe: &zmq::Socket,
    endpoint: &str,
    chunk_size: usize,
    pipeline: usize,
    output: Option<PathBuf>,
) -> ThreadResult {
    let context = pipe.context();
    let dealer = context.socket(zmq::DEALER)?;
    dealer.set_linger(0)?;
    dealer.connect(endpoint)?;
    let mut output = output.map(File::create).transpose()?;

    //  Up to this many chunks in transit
    let mut credit = pipeline;

    let mut total = 0; //  Total bytes received
    let mut chunks = 0; //  Total chunks received
    let mut offset = 0; //  Offset of next chunk request
    let mut most_in_transit = 0; //  Not in the C: the pipeline at its fullest

    loop {
        while credit > 0 {
            //  Ask for next chunk
            s_sendmore(&dealer, "fetch")?;
            s_sendmore(&dealer, &offset.to_string())?;
            s_send(&dealer, &chunk_size.to_string())?;
            offset += chunk_size;
            credit -= 1;
        }
        most_in_transit = most_in_transit.max(pipeline - credit);
        let chunk = match dealer.recv_message(zmq::RecvFlags::empty()) {
            Err(zmq::Error::ETERM) => break, //  Shutting down, quit
            chunk => chunk?,
        };
        chunks += 1;
        credit += 1;
        let size = chunk.len();
        if let Some(output) = output.as_mut() {
            output.write_all(&chunk)?;
        }
        total += size;
        if size < chunk_size {
            break; //  Last chunk received; exit
        }
    }
    s_console(format_args!("{chunks} chunks received, {total} bytes"));
    s_console(format_args!("at most {most_in_transit} chunks in transit"));
    s_send(pipe, "OK")?;
    Ok(())
}

//  The rest of the code is exactly the same as in model 2, except
//  that we set the HWM on the server's ROUTER socket to PIPELINE
//  to act as a sanity check (and, not in the C, make it mandatory).

//  The server thread waits for a chunk request from a client,
//  reads that chunk, and sends it back to the client:

fn server_thread(
    pipe: &zmq::Socket,
    mut file: File,
    endpoint: &str,
    pipeline: usize,
) -> ThreadResult {
    let context = pipe.context();
    let router = context.socket(zmq::ROUTER)?;
    router.set_linger(0)?;
    //  We have two parts per message so HWM is PIPELINE * 2
    let hwm = i32::try_from(pipeline * 2)?;
    router.set_sndhwm(hwm)?;
    router.set_rcvhwm(hwm)?;
    //  Not in the C: a ROUTER drops a message to a full pipe without a word,
    //  and this HWM can look reached although at most PIPELINE chunks are in
    //  transit, because libzmq learns what its peer has read in batches (half
    //  the HWM) and takes those notices in lazily. Under load the C loses
    //  chunks that way and its client stalls; with ROUTER_MANDATORY a send to a
    //  full pipe blocks until the notice arrives instead.
    router.set_router_mandatory(true)?;
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

        //  Third frame is chunk offset in file
        let offset: u64 = s_recv(&router)?.parse()?;

        //  Fourth frame is maximum chunk size
        let chunksz: u64 = s_recv(&router)?.parse()?;

        //  Read chunk of data from file
        file.seek(SeekFrom::Start(offset))?;
        let mut data = Vec::new();
        (&mut file).take(chunksz).read_to_end(&mut data)?;

        //  Send resulting chunk to client; the message takes the buffer over
        //  without a copy (zframe_new_zero_copy)
        let mut chunk = zmq::Message::from(data);
        match router.send(&identity, zmq::SNDMORE) {
            //  Not in the C: with ROUTER_MANDATORY a client that has gone is
            //  an error; drop its chunk, as the C's ROUTER does unasked
            Err(zmq::Error::EHOSTUNREACH) => continue,
            result => result?,
        }
        router.send_msg(&mut chunk, zmq::SendFlags::empty())?;
    }
    Ok(())
}

//  The main task starts the client and server threads; it's easier
//  to test this as a single process with threads, than as multiple
//  processes:

fn main() -> zhelpers::Result {
    let args =
        Args::parse("fileio3 [FILE] [ENDPOINT] [--chunk-size N] [--pipeline N] [--output PATH]")?
            .only(&["chunk-size", "pipeline", "output"])?;
    let chunk_size: usize = args.opt("chunk-size", CHUNK_SIZE)?;
    if chunk_size == 0 {
        return Err("--chunk-size must be at least 1".into());
    }
    let pipeline: usize = args.opt("pipeline", PIPELINE)?;
    if pipeline == 0 {
        return Err("--pipeline must be at least 1".into());
    }
    let output: Option<PathBuf> = args.opt_some("output")?;
    let path = args.arg(0, "testdata");
    let file = File::open(&path).map_err(|e| format!("{path}: {e}"))?;

    //  Start child threads
    let context = zmq::Context::new()?;
    let (server_pipe, pipe) = s_pipe(&context)?;
    let endpoint = args.arg(1, "tcp://127.0.0.1:6000");
    let server = std::thread::spawn(move || {
        let result = server_thread(&pipe, file, &endpoint, pipeline);
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
        let result = client_thread(&pipe, &endpoint, chunk_size, pipeline, output);
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
