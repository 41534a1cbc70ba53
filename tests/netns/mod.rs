//! Test hosts made of Linux network namespaces, for `tests/netns_faults.rs`.
//!
//! A [`Net`] creates namespaces (`zmqt-<pid>-<n>-<host>`), joins them with veth
//! pairs that exist only inside them, injects faults (random packet loss with
//! iptables, link cuts with `ip link set ... down`) and runs processes inside them
//! by re-executing the test binary on a role function ([`Net::spawn`]). Dropping it
//! (also while a test panics) kills what still runs in its namespaces and deletes
//! them, which takes their veths and iptables rules with them.
//!
//! [`role_params`] is the role side; [`relay`] is the delaying TCP relay.
#![allow(dead_code)] // the scenarios use their own subsets

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError};
use std::sync::{Arc, Mutex, OnceLock};
use std::thread;
use std::time::{Duration, Instant};

/// Prefix of every namespace this suite creates.
pub const PREFIX: &str = "zmqt-";
/// The environment variable naming the role a re-executed test binary plays.
pub const ROLE_VAR: &str = "ZMQT_ROLE";
/// Prefix of the lines a role prints for the test to read.
pub const LINE_MARK: &str = "@@ ";

/// Fault and traffic counters over the whole test binary, for the summaries.
pub static LOSS_RULES: AtomicUsize = AtomicUsize::new(0);
/// Link cuts made (each is one down + up).
pub static LINK_CUTS: AtomicUsize = AtomicUsize::new(0);
/// Delaying relays started.
pub static DELAY_RELAYS: AtomicUsize = AtomicUsize::new(0);
/// Processes killed with SIGKILL on purpose.
pub static KILLS: AtomicUsize = AtomicUsize::new(0);
/// Scenarios that ran to their end.
pub static SCENARIOS: AtomicUsize = AtomicUsize::new(0);
/// Messages (or requests) sent, over all scenarios.
pub static SENT: AtomicUsize = AtomicUsize::new(0);
/// Messages (or replies) delivered, over all scenarios.
pub static DELIVERED: AtomicUsize = AtomicUsize::new(0);

/// Prints a one-line account of the faults and messages so far.
pub fn print_totals(scenario: &str) {
    SCENARIOS.fetch_add(1, Ordering::SeqCst);
    println!(
        "netns_faults totals after {scenario}: scenarios run {}, faults injected: {} loss rules, \
         {} link cuts, {} delaying relays, {} kills; messages sent {}, delivered {}",
        SCENARIOS.load(Ordering::SeqCst),
        LOSS_RULES.load(Ordering::SeqCst),
        LINK_CUTS.load(Ordering::SeqCst),
        DELAY_RELAYS.load(Ordering::SeqCst),
        KILLS.load(Ordering::SeqCst),
        SENT.load(Ordering::SeqCst),
        DELIVERED.load(Ordering::SeqCst),
    );
}

/// Runs a command; `Err` carries what went wrong (spawn error, or exit status and
/// stderr).
pub fn try_run(args: &[&str]) -> Result<String, String> {
    let output = Command::new(args[0])
        .args(&args[1..])
        .stdin(Stdio::null())
        .output()
        .map_err(|e| format!("cannot run `{}`: {e}", args.join(" ")))?;
    if output.status.success() {
        Ok(String::from_utf8_lossy(&output.stdout).into_owned())
    } else {
        Err(format!(
            "`{}` failed ({}): {}",
            args.join(" "),
            output.status,
            String::from_utf8_lossy(&output.stderr).trim()
        ))
    }
}

/// Runs a command that must succeed; its stdout.
pub fn run(args: &[&str]) -> String {
    try_run(args).unwrap_or_else(|e| panic!("{e}"))
}

const NEEDS: &str = "the netns_faults scenarios need root, iproute2 (`ip`), iptables and \
     network namespaces (Debian: apt-get install -y iproute2 iptables); run them as root: \
     cargo test --test netns_faults -- --ignored --test-threads=1";

/// Checks once that this process can do what the scenarios need, and removes
/// namespaces that an earlier run of this suite left behind (their test process is
/// gone). Panics with a clear message otherwise: a scenario run without root fails.
pub fn preflight() {
    static DONE: OnceLock<Result<(), String>> = OnceLock::new();
    let result = DONE.get_or_init(|| {
        let status = std::fs::read_to_string("/proc/self/status")
            .map_err(|e| format!("cannot read /proc/self/status ({e})"))?;
        let euid = status
            .lines()
            .find_map(|l| l.strip_prefix("Uid:"))
            .and_then(|l| l.split_whitespace().nth(1))
            .unwrap_or("?");
        if euid != "0" {
            return Err(format!("not root (effective uid {euid})"));
        }
        try_run(&["ip", "-V"])?;
        try_run(&["iptables", "-V"])?;
        try_run(&["ss", "-V"])?;
        sweep_stale();
        // One namespace made and deleted proves the kernel and mounts allow it.
        let probe = format!("{PREFIX}{}-probe", std::process::id());
        try_run(&["ip", "netns", "add", &probe])?;
        let iptables = try_run(&[
            "ip",
            "netns",
            "exec",
            &probe,
            "iptables",
            "-A",
            "INPUT",
            "-m",
            "statistic",
            "--mode",
            "random",
            "--probability",
            "0.1",
            "-j",
            "DROP",
        ]);
        try_run(&["ip", "netns", "del", &probe])?;
        iptables.map(drop)
    });
    if let Err(why) = result {
        panic!("{NEEDS}: {why}");
    }
}

/// Deletes `zmqt-<pid>-...` namespaces whose process no longer exists.
fn sweep_stale() {
    let Ok(list) = try_run(&["ip", "netns", "list"]) else {
        return;
    };
    for name in list.lines().filter_map(|l| l.split_whitespace().next()) {
        let Some(pid) = name
            .strip_prefix(PREFIX)
            .and_then(|rest| rest.split('-').next())
        else {
            continue;
        };
        if !pid.is_empty() && !std::path::Path::new(&format!("/proc/{pid}")).exists() {
            kill_all_in(name);
            let _ = try_run(&["ip", "netns", "del", name]);
        }
    }
}

/// SIGKILLs, by pid, every process inside namespace `ns`.
fn kill_all_in(ns: &str) {
    for _ in 0..10 {
        let pids = try_run(&["ip", "netns", "pids", ns]).unwrap_or_default();
        let pids: Vec<&str> = pids.split_whitespace().collect();
        if pids.is_empty() {
            return;
        }
        let mut args = vec!["kill", "-KILL"];
        args.extend(&pids);
        let _ = try_run(&args);
        thread::sleep(Duration::from_millis(100));
    }
}

/// The namespaces (hosts) of one scenario, deleted on drop.
pub struct Net {
    /// `zmqt-<pid>-<n>-`: the prefix of this net's namespace names.
    prefix: String,
    /// `z<pid hex><n>`: the prefix of this net's interface names (15 bytes at most).
    dev_prefix: String,
    hosts: Vec<String>,
    links: usize,
}

impl Net {
    /// A net with no hosts yet; `preflight` first.
    pub fn new() -> Net {
        preflight();
        static NEXT: AtomicUsize = AtomicUsize::new(0);
        let n = NEXT.fetch_add(1, Ordering::SeqCst);
        let pid = std::process::id();
        Net {
            prefix: format!("{PREFIX}{pid}-{n}-"),
            dev_prefix: format!("z{pid:x}{n}"),
            hosts: Vec::new(),
            links: 0,
        }
    }

    /// Creates host `name` (a namespace with its loopback up); returns the
    /// namespace's name, which the other methods take.
    pub fn host(&mut self, name: &str) -> String {
        let ns = format!("{}{name}", self.prefix);
        run(&["ip", "netns", "add", &ns]);
        self.hosts.push(ns.clone());
        run(&["ip", "-n", &ns, "link", "set", "lo", "up"]);
        ns
    }

    /// Joins hosts `a` and `b` with a veth pair, `a_ip`/24 on `a`'s end and
    /// `b_ip`/24 on `b`'s; returns the two interface names `(on a, on b)`.
    pub fn link(&mut self, a: &str, a_ip: &str, b: &str, b_ip: &str) -> (String, String) {
        self.links += 1;
        let dev_a = format!("{}-{}a", self.dev_prefix, self.links);
        let dev_b = format!("{}-{}b", self.dev_prefix, self.links);
        assert!(dev_a.len() <= 15, "interface name {dev_a} too long");
        run(&[
            "ip", "link", "add", &dev_a, "netns", a, "type", "veth", "peer", "name", &dev_b,
            "netns", b,
        ]);
        for (ns, dev, ip) in [(a, &dev_a, a_ip), (b, &dev_b, b_ip)] {
            run(&[
                "ip",
                "-n",
                ns,
                "addr",
                "add",
                &format!("{ip}/24"),
                "dev",
                dev,
            ]);
            run(&["ip", "-n", ns, "link", "set", dev, "up"]);
        }
        (dev_a, dev_b)
    }

    /// Drops packets arriving at `host` on `dev` with probability `p` (iptables
    /// `statistic` match in the namespace's INPUT chain).
    pub fn add_loss(&self, host: &str, dev: &str, p: f64) {
        run(&[
            "ip",
            "netns",
            "exec",
            host,
            "iptables",
            "-A",
            "INPUT",
            "-i",
            dev,
            "-m",
            "statistic",
            "--mode",
            "random",
            "--probability",
            &p.to_string(),
            "-m",
            "comment",
            "--comment",
            &self.prefix,
            "-j",
            "DROP",
        ]);
        LOSS_RULES.fetch_add(1, Ordering::SeqCst);
    }

    /// Sets interface `dev` of `host` down (`up == false`) or up.
    pub fn set_link(&self, host: &str, dev: &str, up: bool) {
        if !up {
            LINK_CUTS.fetch_add(1, Ordering::SeqCst);
        }
        run(&[
            "ip",
            "-n",
            host,
            "link",
            "set",
            dev,
            if up { "up" } else { "down" },
        ]);
    }

    /// Runs the test binary inside `host` on role function `role` (a `#[test]
    /// #[ignore]` fn that acts only when [`ROLE_VAR`] names it), with `params` as
    /// environment variables `ZMQT_<NAME>`.
    pub fn spawn(&self, host: &str, role: &str, params: &[(&str, String)]) -> Proc {
        let exe = std::env::current_exe().expect("the test binary's path");
        let mut cmd = Command::new("ip");
        cmd.args(["netns", "exec", host])
            .arg(&exe)
            .args([
                "--exact",
                role,
                "--nocapture",
                "--ignored",
                "--test-threads=1",
            ])
            .env(ROLE_VAR, role)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        for (name, value) in params {
            cmd.env(format!("ZMQT_{name}"), value);
        }
        let name = format!("{role}@{}", host.trim_start_matches(&self.prefix));
        Proc::start(name, cmd)
    }

    /// The namespaces of this net.
    pub fn hosts(&self) -> &[String] {
        &self.hosts
    }

    /// Checks that nothing of this net exists any more: its namespaces, its
    /// interfaces in the root namespace (there never are any), its iptables rules
    /// in the root namespace (idem). Call after dropping it (pass its `leftovers_key`).
    pub fn assert_gone(key: &(String, String)) {
        let (prefix, dev_prefix) = key;
        let list = run(&["ip", "netns", "list"]);
        assert!(
            !list.contains(prefix.as_str()),
            "namespaces left behind:\n{list}"
        );
        let links = run(&["ip", "-o", "link"]);
        assert!(
            !links.contains(&format!("{dev_prefix}-")),
            "interfaces left behind:\n{links}"
        );
        let rules = run(&["iptables", "-S"]);
        assert!(
            !rules.contains(prefix.as_str()),
            "iptables rules left behind:\n{rules}"
        );
    }

    /// What [`Net::assert_gone`] looks for.
    pub fn leftovers_key(&self) -> (String, String) {
        (self.prefix.clone(), self.dev_prefix.clone())
    }
}

impl Drop for Net {
    fn drop(&mut self) {
        for ns in &self.hosts {
            kill_all_in(ns);
        }
        for ns in &self.hosts {
            if let Err(e) = try_run(&["ip", "netns", "del", ns]) {
                eprintln!("netns_faults: cleanup: {e}");
            }
        }
    }
}

/// One line a role printed (after [`LINE_MARK`]), with the moment it arrived.
#[derive(Clone, Debug)]
pub struct Line {
    /// When this process read it.
    pub at: Instant,
    /// The text after the mark.
    pub text: String,
}

/// A role process inside a namespace.
pub struct Proc {
    name: String,
    child: Child,
    lines: Receiver<Line>,
    stderr: Arc<Mutex<String>>,
    /// Every marked line received so far.
    pub seen: Vec<Line>,
}

impl Proc {
    fn start(name: String, mut cmd: Command) -> Proc {
        let mut child = cmd
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {name}: {e}"));
        let stdout = child.stdout.take().expect("piped stdout");
        let mut stderr_pipe = child.stderr.take().expect("piped stderr");
        let (tx, lines) = mpsc::channel();
        thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                // libtest may have written `test <name> ... ` on the same line first.
                if let Some(at) = line.find(LINE_MARK) {
                    let line = Line {
                        at: Instant::now(),
                        text: line[at + LINE_MARK.len()..].to_string(),
                    };
                    if tx.send(line).is_err() {
                        break;
                    }
                }
            }
        });
        let stderr = Arc::new(Mutex::new(String::new()));
        let sink = Arc::clone(&stderr);
        thread::spawn(move || {
            let mut buf = [0u8; 4096];
            while let Ok(n) = stderr_pipe.read(&mut buf) {
                if n == 0 {
                    break;
                }
                if let Ok(mut s) = sink.lock() {
                    s.push_str(&String::from_utf8_lossy(&buf[..n]));
                }
            }
        });
        Proc {
            name,
            child,
            lines,
            stderr,
            seen: Vec::new(),
        }
    }

    /// The process id (the test binary itself: `ip netns exec` execs it).
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// What the process wrote to stderr so far.
    pub fn stderr(&self) -> String {
        self.stderr.lock().map(|s| s.clone()).unwrap_or_default()
    }

    /// The next marked line, waiting up to `timeout`; `None` on timeout or once
    /// the process closed its stdout.
    pub fn next_line(&mut self, timeout: Duration) -> Option<Line> {
        match self.lines.recv_timeout(timeout) {
            Ok(line) => {
                self.seen.push(line.clone());
                Some(line)
            }
            Err(RecvTimeoutError::Timeout | RecvTimeoutError::Disconnected) => None,
        }
    }

    /// Waits up to `timeout` for a line starting with `prefix`; the rest of it.
    /// Panics (with the process's stderr) if none comes.
    pub fn expect(&mut self, prefix: &str, timeout: Duration) -> Line {
        let deadline = Instant::now() + timeout;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.next_line(left) {
                Some(line) => {
                    if let Some(rest) = line.text.strip_prefix(prefix) {
                        return Line {
                            at: line.at,
                            text: rest.trim().to_string(),
                        };
                    }
                }
                None => panic!(
                    "{}: no `{prefix}` line within {timeout:?}; lines: {:?}\nstderr:\n{}",
                    self.name,
                    self.seen.iter().map(|l| &l.text).collect::<Vec<_>>(),
                    self.stderr()
                ),
            }
        }
    }

    /// Collects the lines that arrive until `until` (an instant).
    pub fn drain_until(&mut self, until: Instant) {
        while let Some(left) = until.checked_duration_since(Instant::now()) {
            if self.next_line(left).is_none() {
                break;
            }
        }
    }

    /// Whether the process has exited (without waiting).
    pub fn exited(&mut self) -> bool {
        matches!(self.child.try_wait(), Ok(Some(_)))
    }

    /// SIGKILLs the process and reaps it.
    pub fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// Waits up to `timeout` for the process to exit; its status (panics, killing
    /// it, if it does not exit).
    pub fn wait_exit(&mut self, timeout: Duration) -> ExitStatus {
        let deadline = Instant::now() + timeout;
        loop {
            if let Ok(Some(status)) = self.child.try_wait() {
                return status;
            }
            if Instant::now() > deadline {
                self.kill();
                panic!(
                    "{} did not exit within {timeout:?}\nstderr:\n{}",
                    self.name,
                    self.stderr()
                );
            }
            thread::sleep(Duration::from_millis(20));
        }
    }

    /// The process's name, for messages.
    pub fn name(&self) -> &str {
        &self.name
    }
}

impl Drop for Proc {
    fn drop(&mut self) {
        self.kill();
    }
}

/// The parameters of role `role` (`ZMQT_<NAME>` environment variables, names
/// upper case), or `None` when this process does not play it: the role function
/// then returns at once, as it does in a plain `cargo test` run.
pub fn role_params(role: &str) -> Option<Params> {
    if std::env::var(ROLE_VAR).ok()? != role {
        return None;
    }
    let vars = std::env::vars()
        .filter_map(|(k, v)| Some((k.strip_prefix("ZMQT_")?.to_string(), v)))
        .collect();
    Some(Params { vars })
}

/// A role's parameters.
pub struct Params {
    vars: HashMap<String, String>,
}

impl Params {
    /// Parameter `name` as text; panics if missing.
    pub fn str(&self, name: &str) -> &str {
        self.vars
            .get(name)
            .unwrap_or_else(|| panic!("role parameter ZMQT_{name} missing"))
    }

    /// Parameter `name` as a number; panics if missing or not a number.
    pub fn num<T: std::str::FromStr>(&self, name: &str) -> T {
        self.str(name)
            .parse()
            .unwrap_or_else(|_| panic!("role parameter ZMQT_{name} is not a number"))
    }
}

/// Prints a marked line for the test process.
#[macro_export]
macro_rules! report {
    ($($arg:tt)*) => {{
        println!("{}{}", $crate::netns::LINE_MARK, format_args!($($arg)*));
    }};
}

/// Runs a delaying TCP relay until `lifetime` passes: accepts on `listen` (port
/// 0: any; prints `relay <port>`), connects each accepted connection to `target`,
/// and forwards both ways, each chunk `delay` after it was read. An end closing or
/// failing closes both.
pub fn relay(listen: SocketAddr, target: SocketAddr, delay: Duration, lifetime: Duration) {
    let listener = TcpListener::bind(listen).expect("relay bind");
    let port = listener.local_addr().expect("relay address").port();
    crate::report!("relay {port}");
    let started = Instant::now();
    listener.set_nonblocking(true).expect("nonblocking accept");
    while started.elapsed() < lifetime {
        match listener.accept() {
            Ok((down, _)) => {
                let _ = down.set_nonblocking(false);
                thread::spawn(move || {
                    let Ok(up) = TcpStream::connect_timeout(&target, Duration::from_secs(5)) else {
                        let _ = down.shutdown(Shutdown::Both);
                        return;
                    };
                    let _ = up.set_nodelay(true);
                    let _ = down.set_nodelay(true);
                    pump(&down, &up, delay);
                    pump(&up, &down, delay);
                });
            }
            Err(_) => thread::sleep(Duration::from_millis(10)),
        }
    }
}

/// Forwards `from` to `to` on two threads: one reads and stamps each chunk, the
/// other writes it once `delay` has passed since it was read.
fn pump(from: &TcpStream, to: &TcpStream, delay: Duration) {
    let (Ok(mut reader), Ok(mut writer), Ok(from_end), Ok(to_end)) = (
        from.try_clone(),
        to.try_clone(),
        from.try_clone(),
        to.try_clone(),
    ) else {
        let _ = from.shutdown(Shutdown::Both);
        let _ = to.shutdown(Shutdown::Both);
        return;
    };
    let (tx, rx) = mpsc::channel::<(Instant, Vec<u8>)>();
    thread::spawn(move || {
        let mut buf = vec![0u8; 64 * 1024];
        loop {
            match reader.read(&mut buf) {
                Ok(0) | Err(_) => break,
                Ok(n) => {
                    if tx
                        .send((Instant::now() + delay, buf[..n].to_vec()))
                        .is_err()
                    {
                        break;
                    }
                }
            }
        }
        // Dropping `tx` tells the writer the stream ended.
    });
    thread::spawn(move || {
        while let Ok((due, chunk)) = rx.recv() {
            if let Some(wait) = due.checked_duration_since(Instant::now()) {
                thread::sleep(wait);
            }
            if writer.write_all(&chunk).is_err() {
                break;
            }
        }
        let _ = to_end.shutdown(Shutdown::Both);
        let _ = from_end.shutdown(Shutdown::Both);
    });
}
