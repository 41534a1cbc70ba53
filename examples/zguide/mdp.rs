//! Majordomo Protocol definitions (zguide `mdp.h`), shared by `mdbroker`,
//! `mdworker`, `mdclient` and the client and worker APIs: the protocol headers
//! of MDP/Client and MDP/Worker 0.1 (rfc.zeromq.org spec 7) and the worker
//! commands, each a one-byte frame.
//!
//! Included from the example files with `mod mdp;` (it sits beside them); not an
//! example of its own.
#![allow(dead_code)]

//  This is the version of MDP/Client we implement
pub const MDPC_CLIENT: &str = "MDPC01";

//  This is the version of MDP/Worker we implement
pub const MDPW_WORKER: &str = "MDPW01";

//  MDP/Server commands, as strings
pub const MDPW_READY: &str = "\x01";
pub const MDPW_REQUEST: &str = "\x02";
pub const MDPW_REPLY: &str = "\x03";
pub const MDPW_HEARTBEAT: &str = "\x04";
pub const MDPW_DISCONNECT: &str = "\x05";

/// The command names, indexed by the command byte (`mdps_commands`).
pub const MDPS_COMMANDS: [&str; 6] = ["", "READY", "REQUEST", "REPLY", "HEARTBEAT", "DISCONNECT"];

/// The name of a command frame, for the logs (`mdps_commands [(int) *command]`);
/// `?` for anything that is not a command.
pub fn mdps_command_name(command: &[u8]) -> &'static str {
    match command {
        [byte] => MDPS_COMMANDS
            .get(usize::from(*byte))
            .copied()
            .filter(|name| !name.is_empty())
            .unwrap_or("?"),
        _ => "?",
    }
}
