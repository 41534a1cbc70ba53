//! Binary Star server on the Binary Star reactor (zguide `bstarsrv2.c`): the
//! `bstarsrv` echo server rewritten on `bstar` (see `bstar.rs`), which keeps
//! the state machine, the heartbeats with the peer and the voting on client
//! requests; the server itself is only the echo handler. `bstarcli` is its
//! client.
//!
//! ```text
//! cargo run --example zguide_bstarsrv2 -- { -p | -b } [--frontend EP] [--statepub EP]
//!     [--statesub EP] [--heartbeat-ms MS] [--seconds N]
//! ```
//!
//! `-p` is the primary, `-b` the backup. The C binds fixed ports: the primary
//! its state publisher on 5003 (subscribing to 5004) and its frontend on
//! 5001; the backup 5004 (subscribing to 5003) and 5002. Those (on
//! `127.0.0.1`) are the defaults here; `--statepub`, `--frontend` (both bound,
//! each printed as `Bound to <endpoint>`, state publisher first, as the C
//! creates them) and `--statesub` (connected: the peer's state publisher)
//! choose others. The two servers must know each other's publisher, so a
//! test picks free ports for them first; the frontend may be
//! `tcp://127.0.0.1:*`. `--heartbeat-ms` defaults to `BSTAR_HEARTBEAT`
//! (1000) and must be the same on both. The C runs until interrupted (SIGINT
//! or SIGTERM, as here) or until the state machine finds a fatal error (dual
//! actives or dual passives); `--seconds N` also ends it after N seconds.
//! The state changes print `bstar`'s lines (`I: connected to backup
//! (passive), ready as active`, `I: failover successful, ready as active`,
//! …). Without `-p` or `-b` it prints the usage and exits, as the C does.
#![forbid(unsafe_code)]

#[path = "bstar.rs"]
mod bstar;
#[path = "zhelpers.rs"]
mod zhelpers;
use bstar::{Bstar, Zloop, BSTAR_BACKUP, BSTAR_PRIMARY};
use zhelpers::{s_console, Args};

//  Echo service
fn s_echo(_loop: &mut Zloop<()>, socket: Option<&zmq::Socket>, _arg: &mut ()) -> zmq::Result<()> {
    if let Some(socket) = socket {
        let msg = socket.recv_multipart(zmq::RecvFlags::empty())?;
        socket.send_multipart(msg, zmq::SendFlags::empty())?;
    }
    Ok(())
}

//  The --seconds timer (not in the C)
fn s_time_up(
    zloop: &mut Zloop<()>,
    _socket: Option<&zmq::Socket>,
    _arg: &mut (),
) -> zmq::Result<()> {
    zloop.stop();
    Ok(())
}

fn main() -> zhelpers::Result {
    const USAGE: &str = "bstarsrv2 { -p | -b } [--frontend EP] [--statepub EP] [--statesub EP] \
                         [--heartbeat-ms MS] [--seconds N]";
    let args = Args::parse(USAGE)?.only(&[
        "frontend",
        "statepub",
        "statesub",
        "heartbeat-ms",
        "seconds",
    ])?;
    let heartbeat: Option<u64> = args.opt_some("heartbeat-ms")?;
    let seconds: Option<u64> = args.opt_some("seconds")?;
    let ep = |port: u16| format!("tcp://127.0.0.1:{port}");
    zmq::catch_interrupts()?;

    //  Arguments can be either of:
    //      -p  primary server, at tcp://localhost:5001
    //      -b  backup server, at tcp://localhost:5002
    let (mut bstar, frontend) = match args.arg(0, "").as_str() {
        "-p" if args.arg(1, "").is_empty() => {
            s_console(format_args!(
                "I: Primary active, waiting for backup (passive)"
            ));
            let bstar = Bstar::new(
                BSTAR_PRIMARY,
                &args.opt("statepub", ep(5003))?,
                &args.opt("statesub", ep(5004))?,
            )?;
            (bstar, args.opt("frontend", ep(5001))?)
        }
        "-b" if args.arg(1, "").is_empty() => {
            s_console(format_args!(
                "I: Backup passive, waiting for primary (active)"
            ));
            let bstar = Bstar::new(
                BSTAR_BACKUP,
                &args.opt("statepub", ep(5004))?,
                &args.opt("statesub", ep(5003))?,
            )?;
            (bstar, args.opt("frontend", ep(5002))?)
        }
        _ => {
            s_console(format_args!("Usage: bstarsrv2 {{ -p | -b }}"));
            return Ok(());
        }
    };
    bstar.voter(&frontend, zmq::ROUTER, s_echo)?;
    if let Some(heartbeat) = heartbeat {
        bstar.set_heartbeat(heartbeat);
    }
    if let Some(seconds) = seconds {
        bstar.zloop().timer(seconds * 1000, 1, s_time_up);
    }
    bstar.start(&mut ())?;
    if zmq::interrupted() {
        s_console(format_args!("W: interrupted"));
    }
    Ok(())
}
