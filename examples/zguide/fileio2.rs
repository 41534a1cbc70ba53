//! File transfer model #2 (zguide `fileio2.c`): the client requests each chunk
//! individually (`fetch`, offset, size), thus eliminating server queue
//! overflows, but at a cost in speed: one round trip per chunk. The server's
//! `ROUTER` sets `ROUTER_MANDATORY` (not in the C), so that its HWM of 1 never
//! drops a chunk (see the note in `server_thread`). Client and
//! server are threads of one process, each with a `PAIR` pipe to the main
//! thread (CZMQ's `zthread_fork`).
//!
//! ```text
//! cargo run --example zguide_fileio2 -- [FILE] [ENDPOINT] [--chunk-size N] [--output PATH]
//! ```
//!
//! `FILE` defaults to `testdata` (as in the C, which must exist), `ENDPOINT` to
//! `tcp://127.0.0.1:6000` (the C binds `tcp://*:6000`), `--chunk-size` to the
//! C's 250000. The client stops at the first chunk shorter than that and prints
//! `<chunks> chunks received, <bytes> bytes`; `--output PATH` (not in the C)
//! also writes what it received to `PATH`.
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

fn client_thread(
    pipe: &zmq::Socket,
    endpoint: &str,
    chunk_size: usize,
    output: Option<PathBuf>,
) -> ThreadResult {
    let context = pipe.context();
    let dealer = context.socket(zmq::DEALER)?;
    dealer.set_linger(0)?;
    dealer.set_sndhwm(1)?;
    dealer.set_rcvhwm(1)?;
    dealer.connect(endpoint)?;
    let mut output = output.map(File::create).transpose()?;

    let mut total = 0; //  Total bytes received
    let mut chunks = 0; //  Total chunks received

    loop {
        //  Ask for next chunk
        s_sendmore(&dealer, "fetch")?;
        s_sendmore(&dealer, &total.to_string())?;
        s_send(&dealer, &chunk_size.to_string())?;

        let chunk = match dealer.recv_message(zmq::RecvFlags::empty()) {
            Err(zmq::Error::ETERM) => break, //  Shutting down, quit
            chunk => chunk?,
        };
        chunks += 1;
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
    s_send(pipe, "OK")?;
    Ok(())
}

//  The server thread waits for a chunk request from a client,
//  reads that chunk, and sends it back to the client:

fn server_thread(pipe: &zmq::Socket, mut file: File, endpoint: &str) -> ThreadResult {
    let context = pipe.context();
    let router = context.socket(zmq::ROUTER)?;
    router.set_linger(0)?;
    router.set_sndhwm(1)?;
    router.set_rcvhwm(1)?;
    //  Not in the C: with an HWM of 1 the pipe to the client looks full until
    //  the ROUTER has taken in the notice that the last chunk was read, and a
    //  ROUTER drops a message to a full pipe without a word. Under load the
    //  next request can arrive before that notice is taken in, the chunk is
    //  lost and the client waits for ever; with ROUTER_MANDATORY the send
    //  blocks until the notice arrives instead.
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

        //  Send resulting chunk to client
        match router.send(&identity, zmq::SNDMORE) {
            //  Not in the C: with ROUTER_MANDATORY a client that has gone is
            //  an error; drop its chunk, as the C's ROUTER does unasked
            Err(zmq::Error::EHOSTUNREACH) => continue,
            result => result?,
        }
        router.send_msg(&mut zmq::Message::from(data), zmq::SendFlags::empty())?;
    }
    Ok(())
}

//  The main task is just the same as in the first model.

fn main() -> zhelpers::Result {
    let args = Args::parse("fileio2 [FILE] [ENDPOINT] [--chunk-size N] [--output PATH]")?
        .only(&["chunk-size", "output"])?;
    let chunk_size: usize = args.opt("chunk-size", CHUNK_SIZE)?;
    if chunk_size == 0 {
        return Err("--chunk-size must be at least 1".into());
    }
    let output: Option<PathBuf> = args.opt_some("output")?;
    let path = args.arg(0, "testdata");
    let file = File::open(&path).map_err(|e| format!("{path}: {e}"))?;

    //  Start child threads
    let context = zmq::Context::new()?;
    let (server_pipe, pipe) = s_pipe(&context)?;
    let endpoint = args.arg(1, "tcp://127.0.0.1:6000");
    let server = std::thread::spawn(move || {
        let result = server_thread(&pipe, file, &endpoint);
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
        let result = client_thread(&pipe, &endpoint, chunk_size, output);
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
