//! Clone client, model six (zguide `clonecli6.c`): sets random values with
//! random time-to-live in a table shared through a Binary Star pair of
//! `clonesrv6` servers, using the Clone API (`clone.rs`), whose agent fails
//! over to the backup server when the primary goes silent.
//!
//! ```text
//! cargo run --example zguide_clonecli6 -- [PRIMARY-SNAPSHOT] [PRIMARY-PUBLISHER]
//!     [PRIMARY-COLLECTOR] [BACKUP-SNAPSHOT] [BACKUP-PUBLISHER] [BACKUP-COLLECTOR]
//!     [--subtree S] [--interval-ms MS] [--ttl SECONDS] [--updates N]
//!     [--settle-ms MS] [--server-ttl MS]
//! ```
//!
//! The C connects to `tcp://localhost` ports 5556 and 5566, which the API
//! turns into port, port+1 and port+2 of each server: those six endpoints
//! on `127.0.0.1` are the defaults here, each its own argument. `--subtree`
//! defaults to the C's `SUBTREE` (`/client/`), `--interval-ms` to its one
//! second between values, `--server-ttl` to the agent's `SERVER_TTL`
//! (5000 ms); `--ttl` fixes the time-to-live instead of drawing it (0 to 29
//! seconds, 0 meaning forever). The agent prints its lines (`I: adding
//! server …`, `I: received from <snapshot endpoint> snapshot=N` and
//! `update=N`, `I: server at <endpoint> didn't give hugz` when it fails
//! over).
//!
//! The C runs until interrupted (SIGINT or SIGTERM, as here). Not in the
//! C: `--updates N` stops after N values; the client then waits until its
//! store has not changed for `--settle-ms` (default 2000) and prints it as
//! `I: store sequence=S keys=K checksum=C` (see `kvmsg`). The first value
//! is set only once the agent has its first snapshot (the C sets one at
//! once, before the `PUB` socket that carries it is connected, so that it is
//! lost for the servers but kept in the client's own table).
#![forbid(unsafe_code)]

use std::time::{Duration, Instant};

#[path = "clone.rs"]
mod clone;
#[path = "kvmsg.rs"]
mod kvmsg;
#[path = "zhelpers.rs"]
mod zhelpers;
use clone::CloneClient;
use zhelpers::{randof, s_console, s_sleep, Args};

const SUBTREE: &str = "/client/";

fn main() -> zhelpers::Result {
    let args = Args::parse(
        "clonecli6 [PRIMARY-SNAPSHOT] [PRIMARY-PUBLISHER] [PRIMARY-COLLECTOR] \
         [BACKUP-SNAPSHOT] [BACKUP-PUBLISHER] [BACKUP-COLLECTOR] [--subtree S] \
         [--interval-ms MS] [--ttl SECONDS] [--updates N] [--settle-ms MS] [--server-ttl MS]",
    )?
    .only(&[
        "subtree",
        "interval-ms",
        "ttl",
        "updates",
        "settle-ms",
        "server-ttl",
    ])?;
    let subtree: String = args.opt("subtree", SUBTREE.to_owned())?;
    let interval: u64 = args.opt("interval-ms", 1000)?;
    let fixed_ttl: Option<u32> = args.opt_some("ttl")?;
    let updates: Option<u64> = args.opt_some("updates")?;
    let settle = Duration::from_millis(args.opt("settle-ms", 2000)?);
    let server_ttl: u64 = args.opt("server-ttl", 5000)?;
    zmq::catch_interrupts()?;

    //  Create distributed hash instance
    let mut clone = CloneClient::with_server_ttl(server_ttl)?;

    //  Specify configuration
    clone.subtree(&subtree)?;
    clone.connect(
        &args.arg(0, "tcp://127.0.0.1:5556"),
        &args.arg(1, "tcp://127.0.0.1:5557"),
        &args.arg(2, "tcp://127.0.0.1:5558"),
    )?;
    clone.connect(
        &args.arg(3, "tcp://127.0.0.1:5566"),
        &args.arg(4, "tcp://127.0.0.1:5567"),
        &args.arg(5, "tcp://127.0.0.1:5568"),
    )?;

    //  Wait for the first snapshot (not in the C)
    while !zmq::interrupted() && !clone.digest()?.active {
        s_sleep(50);
    }

    //  Set random tuples into the distributed hash
    let mut sent: u64 = 0;
    while !zmq::interrupted() && updates != Some(sent) {
        //  Set random value, check it was stored
        let key = format!("{subtree}{}", randof(10000));
        let value = randof(1_000_000).to_string();
        clone.set(&key, &value, fixed_ttl.unwrap_or_else(|| randof(30)))?;
        sent += 1;
        s_sleep(interval);
    }

    //  Wait until the store settles, then show it (not in the C)
    let mut last = clone.digest()?;
    let mut since = Instant::now();
    while !zmq::interrupted() {
        s_sleep(100);
        let digest = clone.digest()?;
        if digest != last {
            last = digest;
            since = Instant::now();
        } else if last.active && since.elapsed() >= settle {
            break;
        }
    }
    s_console(format_args!(
        "I: store sequence={} {}",
        last.sequence, last.digest
    ));
    Ok(())
}
