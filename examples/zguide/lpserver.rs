//! Lazy Pirate server (zguide `lpserver.c`): like `hwserver` except that it
//! echoes each request as is, and after a few cycles randomly runs slowly or
//! exits to simulate a crash. Run `lpclient` against it, then kill and restart
//! it on the same endpoint.
//!
//! ```text
//! cargo run --example zguide_lpserver -- [ENDPOINT] [--work-ms MS] [--overload-ms MS]
//!     [--problems random|none] [--crash-after N] [--overload-after N] [--count N]
//! ```
//!
//! `ENDPOINT` defaults to `tcp://127.0.0.1:5555` (the C binds `tcp://*:5555`);
//! `tcp://127.0.0.1:*` picks a free port, and giving the printed endpoint to a
//! second server binds the same port again. `--work-ms` (the "heavy work" per
//! request) defaults to the C's 1000 and `--overload-ms` to its 2000. The
//! problems are the C's by default: from the fourth request on, a crash with a
//! chance of one in three, else an overload with the same chance.
//! `--crash-after N` crashes on request N+1 instead, `--overload-after N` is
//! slow on request N+1, and `--problems none` never fails (see
//! `zhelpers::Problems`). `--count N` exits after N replies (the C serves until
//! it crashes). It prints `I: normal request (<request>)` for each request it
//! answers and `I: simulating a crash` or `I: simulating CPU overload`.
#![forbid(unsafe_code)]

#[path = "zhelpers.rs"]
mod zhelpers;
use zhelpers::{s_bound, s_console, s_recv, s_send, s_sleep, Args, Problems};

fn main() -> zhelpers::Result {
    let args = Args::parse(
        "lpserver [ENDPOINT] [--work-ms MS] [--overload-ms MS] [--problems random|none] \
         [--crash-after N] [--overload-after N] [--count N]",
    )?;
    let args = {
        let mut known = vec!["work-ms", "overload-ms", "count"];
        known.extend(Problems::OPTIONS);
        args.only(&known)?
    };
    let work_ms: u64 = args.opt("work-ms", 1000)?;
    let overload_ms: u64 = args.opt("overload-ms", 2000)?;
    let count: Option<u64> = args.opt_some("count")?;
    let problems = Problems::from_args(&args)?;

    let context = zmq::Context::new()?;
    let server = context.socket(zmq::REP)?;
    server.bind(&args.arg(0, "tcp://127.0.0.1:5555"))?;
    s_bound(&server)?;

    let mut cycles = 0;
    while count != Some(cycles) {
        let request = s_recv(&server)?;
        cycles += 1;

        //  Simulate various problems, after a few cycles
        if problems.crash(cycles, 3) {
            s_console(format_args!("I: simulating a crash"));
            break;
        } else if problems.overload(cycles, 3) {
            s_console(format_args!("I: simulating CPU overload"));
            s_sleep(overload_ms);
        }
        s_console(format_args!("I: normal request ({request})"));
        s_sleep(work_ms); //  Do some heavy work
        s_send(&server, &request)?;
    }
    Ok(())
}
