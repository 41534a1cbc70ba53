//! Titanic service (zguide `titanic.c`): the server side of the Titanic
//! Service Protocol (rfc.zeromq.org spec 9), disconnected reliability on top
//! of Majordomo. Three MDP workers (on the worker API of `mdwrkapi.rs`) serve
//! `titanic.request` (store a request on disk, answer `200` and a UUID),
//! `titanic.reply` (`200` and the stored reply, `300` while pending, `400`
//! for an unknown UUID) and `titanic.close` (forget a request, `200`); the
//! main thread is a brute-force dispatcher that appends each new UUID to a
//! queue file and, at least once a second, sends every pending request to
//! its service through the synchronous client API of `mdcliapi.rs` (after an
//! `mmi.service` lookup), stores the reply and marks the queue entry done.
//!
//! ```text
//! cargo run --example zguide_titanic -- [-v] [BROKER] [--dir DIR] [--seconds S]
//! ```
//!
//! `-v` prints `I: processing request <uuid>` for each attempt (as in the C).
//! `BROKER` defaults to `tcp://127.0.0.1:5555` (the C's
//! `tcp://localhost:5555`), `--dir` to the C's `.titanic`, which holds
//! `<uuid>.req`, `<uuid>.rep` and `queue` (one `-<uuid>` line per pending
//! request, `+<uuid>` once processed). The C runs until interrupted (so does
//! this, on SIGINT or SIGTERM); `--seconds S` stops it after S seconds.
//!
//! The UUIDs are 32 hex digits of 16 random bytes (the C calls libuuid), and
//! a message is stored as each frame's length (4 bytes, big-endian) followed
//! by its bytes (the C's `zmsg_save`, in a format of its own).
#![forbid(unsafe_code)]

use std::fs;
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

mod mdcliapi;
mod mdp;
mod mdwrkapi;
#[path = "zhelpers.rs"]
mod zhelpers;

use mdcliapi::Mdcli;
use mdwrkapi::{Mdwrk, Msg};
use zhelpers::{randof, s_console, s_join, s_pipe, Args, ThreadResult};

//  Return a new UUID as a printable character string

fn s_generate_uuid() -> String {
    (0..16).map(|_| format!("{:02X}", randof(256))).collect()
}

//  Returns the request filename for given UUID

fn s_request_filename(dir: &Path, uuid: &str) -> PathBuf {
    dir.join(format!("{uuid}.req"))
}

//  Returns the reply filename for given UUID

fn s_reply_filename(dir: &Path, uuid: &str) -> PathBuf {
    dir.join(format!("{uuid}.rep"))
}

//  Saves a message to a file (CZMQ's zmsg_save): each frame's length, then
//  its bytes

fn s_msg_save(msg: &Msg, filename: &Path) -> std::io::Result<()> {
    let mut data = Vec::new();
    for frame in msg {
        data.extend_from_slice(&(frame.len() as u32).to_be_bytes());
        data.extend_from_slice(frame);
    }
    fs::write(filename, data)
}

//  Loads a message saved by s_msg_save (CZMQ's zmsg_load)

fn s_msg_load(filename: &Path) -> std::io::Result<Msg> {
    let mut data = Vec::new();
    fs::File::open(filename)?.read_to_end(&mut data)?;
    let mut msg = Vec::new();
    let mut rest = &data[..];
    while let Some((size, tail)) = rest.split_first_chunk::<4>() {
        let size = u32::from_be_bytes(*size) as usize;
        if tail.len() < size {
            return Err(std::io::Error::other("truncated message file"));
        }
        msg.push(tail[..size].to_vec());
        rest = &tail[size..];
    }
    Ok(msg)
}

//  The titanic.request task waits for requests to this service. It writes
//  each request to disk and returns a UUID to the client. The client picks
//  up the reply asynchronously using the titanic.reply service:

fn titanic_request(mut worker: Mdwrk, pipe: zmq::Socket, dir: PathBuf) -> ThreadResult {
    let mut reply = None;

    //  Send reply if it's not null
    //  And then get next request from broker (none: interrupted, exit)
    while let Some(request) = worker.recv(reply.take()).map_err(|e| format!("{e:?}"))? {
        //  Ensure message directory exists
        fs::create_dir_all(&dir)?;

        //  Generate UUID and save message to disk
        let uuid = s_generate_uuid();
        s_msg_save(&request, &s_request_filename(&dir, &uuid))?;

        //  Send UUID through to message queue
        pipe.send(&uuid, zmq::SendFlags::empty())?;

        //  Now send UUID back to client
        //  Done by the worker.recv() at the top of the loop
        reply = Some(vec![b"200".to_vec(), uuid.into_bytes()]);
    }
    Ok(())
}

//  The titanic.reply task checks if there's a reply for the specified
//  request (by UUID), and returns a 200 (OK), 300 (Pending), or 400
//  (Unknown) accordingly:

fn titanic_reply(mut worker: Mdwrk, dir: PathBuf) -> ThreadResult {
    let mut reply = None;

    //  (No request: interrupted, exit)
    while let Some(request) = worker.recv(reply.take()).map_err(|e| format!("{e:?}"))? {
        let uuid =
            String::from_utf8_lossy(request.first().map_or(&[][..], |f| &f[..])).into_owned();
        let req_filename = s_request_filename(&dir, &uuid);
        let rep_filename = s_reply_filename(&dir, &uuid);
        let mut answer = if rep_filename.exists() {
            let mut answer = s_msg_load(&rep_filename)?;
            answer.insert(0, b"200".to_vec());
            answer
        } else if req_filename.exists() {
            vec![b"300".to_vec()] //  Pending
        } else {
            vec![b"400".to_vec()] //  Unknown
        };
        // An empty UUID names no request (and no file either)
        if uuid.is_empty() {
            answer = vec![b"400".to_vec()];
        }
        reply = Some(answer);
    }
    Ok(())
}

//  The titanic.close task removes any waiting replies for the request
//  (specified by UUID). It's idempotent, so it is safe to call more than
//  once in a row:

fn titanic_close(mut worker: Mdwrk, dir: PathBuf) -> ThreadResult {
    let mut reply = None;

    //  (No request: interrupted, exit)
    while let Some(request) = worker.recv(reply.take()).map_err(|e| format!("{e:?}"))? {
        let uuid =
            String::from_utf8_lossy(request.first().map_or(&[][..], |f| &f[..])).into_owned();
        if !uuid.is_empty() {
            let _ = fs::remove_file(s_request_filename(&dir, &uuid));
            let _ = fs::remove_file(s_reply_filename(&dir, &uuid));
        }
        reply = Some(vec![b"200".to_vec()]);
    }
    Ok(())
}

//  This is the main thread for the Titanic worker. It starts three child
//  threads; for the request, reply, and close services. It then dispatches
//  requests to workers using a simple brute force disk queue. It receives
//  request UUIDs from the titanic.request service, saves these to a disk
//  file, and then throws each request at MDP workers until it gets a
//  response.

fn main() -> zhelpers::Result {
    let args = Args::parse("titanic [-v] [BROKER] [--dir DIR] [--seconds S]")?
        .only(&["dir", "seconds"])?;
    let verbose = args.arg(0, "") == "-v";
    let broker = args.arg(usize::from(verbose), "tcp://127.0.0.1:5555");
    let dir = PathBuf::from(args.opt("dir", ".titanic".to_owned())?);
    let seconds: Option<u64> = args.opt_some("seconds")?;
    let deadline = seconds.map(|s| Instant::now() + Duration::from_secs(s));
    zmq::catch_interrupts()?;
    let context = zmq::Context::new()?;

    let request_worker = Mdwrk::new(&broker, "titanic.request", false)?;
    let reply_worker = Mdwrk::new(&broker, "titanic.reply", false)?;
    let close_worker = Mdwrk::new(&broker, "titanic.close", false)?;
    // Their contexts, to end them when we are done (zctx_destroy)
    let contexts: Vec<zmq::Context> = [&request_worker, &reply_worker, &close_worker]
        .iter()
        .map(|w| w.context().clone())
        .collect();

    let (request_pipe, pipe) = s_pipe(&context)?;
    let threads = [
        ("titanic.request", {
            let dir = dir.clone();
            std::thread::spawn(move || titanic_request(request_worker, pipe, dir))
        }),
        ("titanic.reply", {
            let dir = dir.clone();
            std::thread::spawn(move || titanic_reply(reply_worker, dir))
        }),
        ("titanic.close", {
            let dir = dir.clone();
            std::thread::spawn(move || titanic_close(close_worker, dir))
        }),
    ];
    let queue = dir.join("queue");

    //  Main dispatcher loop
    while !zmq::interrupted() {
        //  We'll dispatch once per second, if there's no activity
        let mut timeout = Duration::from_millis(1000);
        if let Some(deadline) = deadline {
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                break;
            }
            timeout = timeout.min(left);
        }
        let mut items = [request_pipe.as_poll_item(zmq::PollEvents::POLLIN)];
        match zmq::poll(&mut items, timeout.as_micros().div_ceil(1000) as i64) {
            Err(zmq::Error::EINTR) => break, //  Interrupted
            result => result?,
        };
        if items[0].is_readable() {
            //  Ensure message directory exists
            fs::create_dir_all(&dir)?;

            //  Append UUID to queue, prefixed with '-' for pending
            let uuid = request_pipe.recv_bytes(zmq::RecvFlags::empty())?;
            let mut file = fs::OpenOptions::new()
                .create(true)
                .append(true)
                .open(&queue)?;
            file.write_all(b"-")?;
            file.write_all(&uuid)?;
            file.write_all(b"\n")?;
        }
        //  Brute force dispatcher
        let Ok(mut file) = fs::OpenOptions::new().read(true).write(true).open(&queue) else {
            continue;
        };
        let mut entries = Vec::new();
        file.read_to_end(&mut entries)?;
        let mut offset = 0;
        for entry in entries.split(|&b| b == b'\n') {
            let here = offset;
            offset += entry.len() + 1;
            //  UUID is prefixed with '-' if still waiting
            if let Some((b'-', uuid)) = entry.split_first() {
                let uuid = String::from_utf8_lossy(uuid);
                let uuid = uuid.trim_end_matches('\r');
                if verbose {
                    s_console(format_args!("I: processing request {uuid}"));
                }
                if s_service_success(&broker, &dir, uuid)? {
                    //  Mark queue entry as processed
                    file.seek(SeekFrom::Start(here as u64))?;
                    file.write_all(b"+")?;
                }
            }
            if zmq::interrupted() {
                break;
            }
        }
    }
    if zmq::interrupted() {
        s_console(format_args!("W: interrupt received, shutting down..."));
    }
    for context in &contexts {
        context.shutdown()?;
    }
    for (name, thread) in threads {
        s_join(thread, name)?;
    }
    Ok(())
}

//  Here, we first check if the requested MDP service is defined or not,
//  using a MMI lookup to the Majordomo broker. If the service exists,
//  we send a request and wait for a reply using the conventional MDP
//  client API. This is not meant to be fast, just very simple:

fn s_service_success(broker: &str, dir: &Path, uuid: &str) -> zhelpers::Result<bool> {
    //  Load request message, service will be first frame
    //  If the client already closed request, treat as successful
    let Ok(mut request) = s_msg_load(&s_request_filename(dir, uuid)) else {
        return Ok(true);
    };
    if request.is_empty() {
        return Ok(true); //  No service named: nothing we can do with it
    }
    let service = request.remove(0);
    let service_name = String::from_utf8_lossy(&service).into_owned();

    //  Create MDP client session with short timeout
    let mut client = Mdcli::new(broker, false)?;
    client.set_timeout(1000); //  1 sec
    client.set_retries(1); //  only 1 retry

    //  Use MMI protocol to check if service is available
    let mmi_reply = client.send("mmi.service", vec![service])?;
    let service_ok = mmi_reply.is_some_and(|reply| reply.first().is_some_and(|f| f == b"200"));

    if service_ok {
        if let Some(reply) = client.send(&service_name, request)? {
            s_msg_save(&reply, &s_reply_filename(dir, uuid))?;
            return Ok(true);
        }
    }
    Ok(false)
}
