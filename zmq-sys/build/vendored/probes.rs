//! The configuration checks of the vendored build: small snippets compiled with the
//! *target* compiler and the flags of the library they configure, so a cross build
//! describes the target, not the machine running the build. A snippet that does not
//! compile means "not available"; a compiler that cannot run at all stops the build.
//!
//! Each snippet is compiled to an object file, as a real compile would be: some
//! compiler drivers (`zig c++`, which `cargo zigbuild` uses for musl) reject
//! `-fsyntax-only`, and an object file also catches what only code generation checks
//! (an instruction the target's assembler does not know). libzmq's checks are
//! [`LIBZMQ`]; libsodium's are in [`super::sodium::PROBES`]. All of them run at once,
//! in parallel.

use std::fs;
use std::path::Path;
use std::process::Command;

use super::diagnose::indent;
use crate::parallel::parallel_map;
use crate::{fail, Ctx};

/// Where a probe is meaningful; elsewhere it is not run (and counts as failed).
#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) enum On {
    Unix,
    Windows,
    All,
}

/// One configuration check: `code` is a complete translation unit that compiles only
/// when the feature exists. For libzmq, `name` in upper case is the `platform.hpp`
/// macro defined when it compiles; in lower case it is a fact that
/// [`platform_defines`](super::platform_hpp::platform_defines) decides from (the I/O
/// poller, the condition variable, IPC).
pub(super) struct Probe {
    pub(super) name: &'static str,
    pub(super) on: On,
    pub(super) code: &'static str,
}

pub(super) const fn probe(name: &'static str, on: On, code: &'static str) -> Probe {
    Probe { name, on, code }
}

/// libzmq's checks (C++), written against the headers its own sources include for
/// each feature (and, where upstream's CMake has a check, the same test).
pub(super) const LIBZMQ: &[Probe] = &[
    // I/O thread poller, in upstream's order of preference.
    probe(
        "kqueue",
        On::Unix,
        "#include <sys/types.h>\n#include <sys/event.h>\n#include <sys/time.h>\n\
         int zmq_sys_probe() { return kqueue(); }",
    ),
    probe(
        "epoll",
        On::Unix,
        "#include <sys/epoll.h>\nint zmq_sys_probe() { return epoll_create(1); }",
    ),
    probe(
        "epoll_create1",
        On::Unix,
        "#include <sys/epoll.h>\nint zmq_sys_probe() { return epoll_create1(EPOLL_CLOEXEC); }",
    ),
    probe(
        "devpoll",
        On::Unix,
        "#include <sys/devpoll.h>\nint zmq_sys_probe() { struct dvpoll p; (void) p; return DP_POLL; }",
    ),
    probe(
        "pollset",
        On::Unix,
        "#include <sys/poll.h>\n#include <sys/pollset.h>\n\
         pollset_t zmq_sys_probe() { return pollset_create(-1); }",
    ),
    probe(
        "poll",
        On::Unix,
        "#include <poll.h>\nint zmq_sys_probe(struct pollfd *p) { return poll(p, 1, 0); }",
    ),
    probe(
        "select",
        On::Unix,
        "#include <sys/select.h>\n\
         int zmq_sys_probe(fd_set *r, struct timeval *t) { return select(1, r, 0, 0, t); }",
    ),
    // zmq_ppoll() is implemented with pselect() (src/zmq.cpp), so that is what
    // ZMQ_HAVE_PPOLL needs; upstream's CMake checks pselect too.
    probe(
        "pselect",
        On::Unix,
        "#include <sys/select.h>\n#include <signal.h>\n#include <time.h>\n\
         int zmq_sys_probe(fd_set *r, const struct timespec *t, const sigset_t *s) {\n\
             return pselect(1, r, 0, 0, t, s);\n}",
    ),
    // Descriptors and sockets.
    probe(
        "ZMQ_HAVE_EVENTFD",
        On::Unix,
        "#include <sys/eventfd.h>\nint zmq_sys_probe() { return eventfd(0, 0); }",
    ),
    probe(
        "ZMQ_HAVE_EVENTFD_CLOEXEC",
        On::Unix,
        "#include <sys/eventfd.h>\nint zmq_sys_probe() { return eventfd(0, EFD_CLOEXEC); }",
    ),
    probe(
        "ZMQ_HAVE_SOCK_CLOEXEC",
        On::Unix,
        "#include <sys/types.h>\n#include <sys/socket.h>\n\
         int zmq_sys_probe() { return socket(PF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0); }",
    ),
    probe(
        "ZMQ_HAVE_O_CLOEXEC",
        On::Unix,
        "#include <sys/types.h>\n#include <sys/stat.h>\n#include <fcntl.h>\n\
         int zmq_sys_probe() { return open(\"/dev/null\", O_RDONLY | O_CLOEXEC); }",
    ),
    probe(
        "HAVE_ACCEPT4",
        On::Unix,
        "#include <sys/types.h>\n#include <sys/socket.h>\n\
         int zmq_sys_probe(int s) { return accept4(s, 0, 0, 0); }",
    ),
    probe(
        "ZMQ_HAVE_SO_KEEPALIVE",
        On::Unix,
        "#include <sys/types.h>\n#include <sys/socket.h>\n\
         int zmq_sys_probe(int s) {\n\
             int on = 1;\n\
             return setsockopt(s, SOL_SOCKET, SO_KEEPALIVE, (char *) &on, sizeof on);\n}",
    ),
    probe(
        "ZMQ_HAVE_TCP_KEEPCNT",
        On::Unix,
        "#include <sys/types.h>\n#include <sys/socket.h>\n#include <netinet/in.h>\n\
         #include <netinet/tcp.h>\n\
         int zmq_sys_probe(int s) {\n\
             int n = 1;\n\
             return setsockopt(s, IPPROTO_TCP, TCP_KEEPCNT, (char *) &n, sizeof n);\n}",
    ),
    probe(
        "ZMQ_HAVE_TCP_KEEPIDLE",
        On::Unix,
        "#include <sys/types.h>\n#include <sys/socket.h>\n#include <netinet/in.h>\n\
         #include <netinet/tcp.h>\n\
         int zmq_sys_probe(int s) {\n\
             int n = 1;\n\
             return setsockopt(s, IPPROTO_TCP, TCP_KEEPIDLE, (char *) &n, sizeof n);\n}",
    ),
    probe(
        "ZMQ_HAVE_TCP_KEEPINTVL",
        On::Unix,
        "#include <sys/types.h>\n#include <sys/socket.h>\n#include <netinet/in.h>\n\
         #include <netinet/tcp.h>\n\
         int zmq_sys_probe(int s) {\n\
             int n = 1;\n\
             return setsockopt(s, IPPROTO_TCP, TCP_KEEPINTVL, (char *) &n, sizeof n);\n}",
    ),
    probe(
        "ZMQ_HAVE_TCP_KEEPALIVE",
        On::Unix,
        "#include <sys/types.h>\n#include <sys/socket.h>\n#include <netinet/in.h>\n\
         #include <netinet/tcp.h>\n\
         int zmq_sys_probe(int s) {\n\
             int n = 1;\n\
             return setsockopt(s, IPPROTO_TCP, TCP_KEEPALIVE, (char *) &n, sizeof n);\n}",
    ),
    // Same spelling as src/ipc_listener.cpp, which maps `ucred` for OpenBSD.
    probe(
        "ZMQ_HAVE_SO_PEERCRED",
        On::Unix,
        "#include <sys/types.h>\n#include <sys/socket.h>\n#include <pwd.h>\n#include <grp.h>\n\
         #if defined __OpenBSD__\n#define ucred sockpeercred\n#endif\n\
         int zmq_sys_probe(int s) {\n\
             struct ucred cred;\n\
             socklen_t size = sizeof cred;\n\
             return getsockopt(s, SOL_SOCKET, SO_PEERCRED, &cred, &size) + (int) cred.uid;\n}",
    ),
    probe(
        "ZMQ_HAVE_LOCAL_PEERCRED",
        On::Unix,
        "#include <sys/types.h>\n#include <sys/socket.h>\n#include <sys/un.h>\n\
         #include <sys/ucred.h>\n\
         int zmq_sys_probe(int s) {\n\
             struct xucred cred;\n\
             socklen_t size = sizeof cred;\n\
             getsockopt(s, 0, LOCAL_PEERCRED, &cred, &size);\n\
             return cred.cr_version == XUCRED_VERSION;\n}",
    ),
    probe(
        "ZMQ_HAVE_SO_BINDTODEVICE",
        On::Unix,
        "#include <sys/socket.h>\nint zmq_sys_probe() { return SO_BINDTODEVICE; }",
    ),
    probe(
        "ZMQ_HAVE_SO_PRIORITY",
        On::Unix,
        "#include <sys/socket.h>\nint zmq_sys_probe() { return SO_PRIORITY; }",
    ),
    probe(
        "ZMQ_HAVE_BUSY_POLL",
        On::Unix,
        "#include <sys/socket.h>\nint zmq_sys_probe() { return SO_BUSY_POLL; }",
    ),
    probe(
        "ZMQ_HAVE_IFADDRS",
        On::Unix,
        "#include <sys/types.h>\n#include <ifaddrs.h>\n\
         int zmq_sys_probe(struct ifaddrs **a) { return getifaddrs(a); }",
    ),
    probe(
        "HAVE_IF_NAMETOINDEX",
        On::Unix,
        "#include <net/if.h>\nunsigned zmq_sys_probe() { return if_nametoindex(\"lo\"); }",
    ),
    probe(
        "HAVE_IF_NAMETOINDEX",
        On::Windows,
        "#include <winsock2.h>\n#include <iphlpapi.h>\n\
         unsigned long zmq_sys_probe() { return if_nametoindex(\"lo\"); }",
    ),
    probe(
        "ZMQ_HAVE_UIO",
        On::Unix,
        "#include <sys/uio.h>\n\
         unsigned long zmq_sys_probe(struct iovec *v) { return (unsigned long) v->iov_len; }",
    ),
    // IPC (unix domain sockets; afunix.h on Windows 10).
    probe(
        "sockaddr_un",
        On::Unix,
        "#include <sys/socket.h>\n#include <sys/un.h>\n\
         unsigned long zmq_sys_probe() {\n\
             struct sockaddr_un a;\n\
             a.sun_family = AF_UNIX;\n\
             return sizeof a.sun_path;\n}",
    ),
    probe(
        "sockaddr_un",
        On::Windows,
        "#include <winsock2.h>\n#include <afunix.h>\n\
         unsigned long zmq_sys_probe() {\n\
             struct sockaddr_un a;\n\
             a.sun_family = AF_UNIX;\n\
             return sizeof a.sun_path;\n}",
    ),
    // Time, processes, memory, strings.
    probe(
        "HAVE_CLOCK_GETTIME",
        On::Unix,
        "#include <time.h>\n\
         int zmq_sys_probe(struct timespec *t) { return clock_gettime(CLOCK_MONOTONIC, t); }",
    ),
    probe(
        "HAVE_GETHRTIME",
        On::Unix,
        "#include <sys/time.h>\nlong long zmq_sys_probe() { return (long long) gethrtime(); }",
    ),
    probe(
        "HAVE_FORK",
        On::Unix,
        "#include <unistd.h>\nint zmq_sys_probe() { return (int) fork(); }",
    ),
    probe(
        "HAVE_POSIX_MEMALIGN",
        On::Unix,
        "#include <stdlib.h>\nint zmq_sys_probe(void **p) { return posix_memalign(p, 64, 64); }",
    ),
    probe(
        "HAVE_MKDTEMP",
        On::Unix,
        "#include <stdlib.h>\n#include <unistd.h>\n\
         char *zmq_sys_probe(char *t) { return mkdtemp(t); }",
    ),
    probe(
        "HAVE_STRNLEN",
        On::All,
        "#include <string.h>\nsize_t zmq_sys_probe(const char *s) { return strnlen(s, 4); }",
    ),
    // glibc has strlcpy from 2.38 on (Debian 12's 2.36 does not); the BSDs and macOS do.
    probe(
        "ZMQ_HAVE_STRLCPY",
        On::All,
        "#include <string.h>\n\
         size_t zmq_sys_probe(char *d, const char *s) { return strlcpy(d, s, 4); }",
    ),
    // Threads: the names src/thread.cpp calls, with the headers it includes.
    probe(
        "ZMQ_HAVE_PTHREAD_SETNAME_1",
        On::Unix,
        "#include <pthread.h>\nint zmq_sys_probe() { return pthread_setname_np(\"zmq\"); }",
    ),
    probe(
        "ZMQ_HAVE_PTHREAD_SETNAME_2",
        On::Unix,
        "#include <pthread.h>\n\
         int zmq_sys_probe() { return pthread_setname_np(pthread_self(), \"zmq\"); }",
    ),
    probe(
        "ZMQ_HAVE_PTHREAD_SETNAME_3",
        On::Unix,
        "#include <pthread.h>\n\
         int zmq_sys_probe() { return pthread_setname_np(pthread_self(), \"zmq\", (void *) 0); }",
    ),
    probe(
        "ZMQ_HAVE_PTHREAD_SET_NAME",
        On::Unix,
        "#include <pthread.h>\nvoid zmq_sys_probe() { pthread_set_name_np(pthread_self(), \"zmq\"); }",
    ),
    probe(
        "ZMQ_HAVE_PTHREAD_SET_AFFINITY",
        On::Unix,
        "#include <pthread.h>\n\
         int zmq_sys_probe() {\n\
             cpu_set_t set;\n\
             CPU_ZERO(&set);\n\
             return pthread_setaffinity_np(pthread_self(), sizeof(cpu_set_t), &set);\n}",
    ),
    // C++ support.
    probe(
        "ZMQ_HAVE_NOEXCEPT",
        On::All,
        "struct zmq_sys_probe_t { zmq_sys_probe_t(int) noexcept {} };\n\
         zmq_sys_probe_t zmq_sys_probe_v(5);",
    ),
    probe(
        "std_condition_variable",
        On::All,
        "#include <condition_variable>\n#include <mutex>\n\
         void zmq_sys_probe() {\n\
             std::mutex m;\n\
             std::condition_variable cv;\n\
             std::unique_lock<std::mutex> lock(m);\n\
             cv.notify_one();\n}",
    ),
];

/// A snippet the compiler accepts without any feature; if it fails, the compiler (or
/// its flags) is broken and nothing else can be trusted.
const SANITY_PROBE: &str = "int zmq_sys_probe(void) { return 0; }";

/// A table of checks and the compiler (with the flags of the library it configures)
/// they are compiled with.
pub(super) struct ProbeSet<'a> {
    /// The library configured, for messages (`libzmq`, `libsodium`).
    pub(super) library: &'static str,
    /// For C, with warnings on (`-w` or `/w` would silence the error that an
    /// undeclared function must be).
    pub(super) tool: &'a cc::Tool,
    /// The file extension that tells the compiler the language (`cpp`, `c`).
    pub(super) extension: &'static str,
    pub(super) probes: &'static [Probe],
}

/// The outcome of every check of one [`ProbeSet`] run for this target, in table order.
pub(super) struct ProbeResults {
    pub(super) results: Vec<(&'static str, bool)>,
}

impl ProbeResults {
    pub(super) fn has(&self, name: &str) -> bool {
        self.results.iter().any(|&(n, ok)| n == name && ok)
    }
}

/// The outcome of compiling one file: accepted, rejected (with the compiler's
/// messages), or the compiler could not be started.
pub(super) enum Outcome {
    Accepted,
    Rejected(String),
    NotRun(std::io::Error),
}

/// Compile `file` with `tool` to `object` (`-c -o`, or `/c /Fo` for MSVC), as the
/// real build would.
pub(super) fn compile_check(tool: &cc::Tool, file: &Path, object: &Path) -> Outcome {
    // In C, a call to an undeclared function is only a warning: make it the error it
    // is in C++, so a function check means something (C probes are compiled with
    // warnings on, see `ProbeSet::tool`: the "no warnings" flag would silence this).
    let c = file.extension().is_some_and(|x| x == "c");
    let mut cmd: Command = tool.to_command();
    if tool.is_like_msvc() {
        if c {
            cmd.arg("/we4013");
        }
        cmd.arg("/c").arg(format!("/Fo{}", object.display()));
    } else {
        if c {
            cmd.arg("-Werror=implicit-function-declaration");
        }
        cmd.arg("-c").arg("-o").arg(object);
    }
    cmd.arg(file);
    match cmd.output() {
        Ok(out) if out.status.success() => Outcome::Accepted,
        Ok(out) => {
            let mut text = String::from_utf8_lossy(&out.stderr).into_owned();
            text.push_str(&String::from_utf8_lossy(&out.stdout));
            Outcome::Rejected(text)
        }
        Err(e) => Outcome::NotRun(e),
    }
}

/// Stop the build: the compiler of `set` cannot compile even the sanity snippet.
fn broken(ctx: &Ctx, set: &ProbeSet<'_>, why: String) -> ! {
    fail(&format!(
        "the {} compiler for {} cannot compile even an empty function, so {} cannot be \
         configured or built.\n  compiler: {}\n  {why}\n\
         Check CC/CXX and CFLAGS/CXXFLAGS (and the cross toolchain, if any), or set \
         LIBZMQ_NO_VENDOR=1 to link a system libzmq.",
        if set.extension == "c" { "C" } else { "C++" },
        ctx.target,
        set.library,
        set.tool.path().display()
    ))
}

/// Compile each set's sanity snippet, then every check meant for this target, all
/// sets together in parallel, in `probe_dir`. The results come back per set.
pub(super) fn run(ctx: &Ctx, probe_dir: &Path, sets: &[ProbeSet<'_>]) -> Vec<ProbeResults> {
    let applies = |on: On| match on {
        On::All => true,
        On::Unix => ctx.unix,
        On::Windows => ctx.windows,
    };
    // (set, index in its table or None for the sanity snippet)
    let mut jobs: Vec<(usize, Option<usize>)> = Vec::new();
    for (s, set) in sets.iter().enumerate() {
        jobs.push((s, None));
        for (i, p) in set.probes.iter().enumerate() {
            if applies(p.on) {
                jobs.push((s, Some(i)));
            }
        }
    }
    let outcomes = parallel_map(&jobs, |&(s, i)| {
        let set = &sets[s];
        let (stem, code) = match i {
            None => ("sanity".to_string(), SANITY_PROBE),
            Some(i) => (format!("{}_{i}", set.probes[i].name), set.probes[i].code),
        };
        let file = probe_dir.join(format!("{}_{stem}.{}", set.library, set.extension));
        fs::write(&file, format!("{code}\n"))
            .map(|()| compile_check(set.tool, &file, &file.with_extension("o")))
    });
    let mut results: Vec<ProbeResults> = sets
        .iter()
        .map(|_| ProbeResults {
            results: Vec::new(),
        })
        .collect();
    for (&(s, i), outcome) in jobs.iter().zip(outcomes) {
        let set = &sets[s];
        let outcome = match outcome {
            Ok(o) => o,
            Err(e) => fail(&format!(
                "could not write a probe into {}: {e}",
                probe_dir.display()
            )),
        };
        match (i, outcome) {
            (_, Outcome::NotRun(e)) => broken(ctx, set, format!("it could not be run: {e}")),
            (None, Outcome::Rejected(text)) => {
                broken(ctx, set, format!("its output:\n{}", indent(&text, 40)))
            }
            (None, Outcome::Accepted) => {}
            (Some(i), outcome) => results[s]
                .results
                .push((set.probes[i].name, matches!(outcome, Outcome::Accepted))),
        }
    }
    results
}
