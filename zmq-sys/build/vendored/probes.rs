//! The configuration checks of the vendored build: small C++ snippets compiled with
//! the *target* compiler and libzmq's own flags, so a cross build describes the
//! target, not the machine running the build. A snippet that does not compile means
//! "not available"; a compiler that cannot run at all stops the build.

use std::fs;
use std::path::Path;
use std::process::Command;

use super::diagnose::indent;
use super::write_file;
use crate::parallel::parallel_map;
use crate::{fail, Ctx};

/// Where a probe is meaningful; elsewhere it is not run (and counts as failed).
#[derive(Clone, Copy, PartialEq, Eq)]
enum On {
    Unix,
    Windows,
    All,
}

/// One configuration check: `code` is a complete C++ translation unit that compiles
/// only when the feature exists. `name` in upper case is the `platform.hpp` macro
/// defined when it compiles; in lower case it is a fact that [`platform_defines`](super::platform_hpp::platform_defines)
/// decides from (the I/O poller, the condition variable, IPC).
struct Probe {
    name: &'static str,
    on: On,
    code: &'static str,
}

const fn probe(name: &'static str, on: On, code: &'static str) -> Probe {
    Probe { name, on, code }
}

/// The checks, written against the headers libzmq's own sources include for each
/// feature (and, where upstream's CMake has a check, the same test).
const PROBES: &[Probe] = &[
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

/// A probe the compiler accepts without any feature; if it fails, the compiler (or
/// its flags) is broken and nothing else can be trusted.
const SANITY_PROBE: &str = "int zmq_sys_probe() { return 0; }";

/// The outcome of every probe run for this target, in [`PROBES`] order.
pub(super) struct ProbeResults {
    pub(super) results: Vec<(&'static str, bool)>,
}

impl ProbeResults {
    pub(super) fn has(&self, name: &str) -> bool {
        self.results.iter().any(|&(n, ok)| n == name && ok)
    }
}

/// The outcome of compiling one snippet: accepted, rejected (with the compiler's
/// messages), or the compiler could not be started.
pub(super) enum Outcome {
    Accepted,
    Rejected(String),
    NotRun(std::io::Error),
}

/// Check `file` with `tool` without producing output (`-fsyntax-only`, or `/Zs` for MSVC).
pub(super) fn syntax_check(tool: &cc::Tool, file: &Path) -> Outcome {
    let mut cmd: Command = tool.to_command();
    cmd.arg(if tool.is_like_msvc() {
        "/Zs"
    } else {
        "-fsyntax-only"
    });
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

/// Compile the sanity snippet and then every probe meant for this target.
pub(super) fn run_probes(ctx: &Ctx, tool: &cc::Tool, probe_dir: &Path) -> ProbeResults {
    let sanity = probe_dir.join("sanity.cpp");
    write_file(&sanity, SANITY_PROBE);
    let broken = |why: String| -> ! {
        fail(&format!(
            "the C++ compiler for {} cannot compile even an empty function, so libzmq cannot be \
             configured or built.\n  compiler: {}\n  {why}\n\
             Check CXX/CXXFLAGS (and the cross toolchain, if any), or set LIBZMQ_NO_VENDOR=1 to \
             link a system libzmq.",
            ctx.target,
            tool.path().display()
        ))
    };
    match syntax_check(tool, &sanity) {
        Outcome::Accepted => {}
        Outcome::Rejected(text) => broken(format!("its output:\n{}", indent(&text, 40))),
        Outcome::NotRun(e) => broken(format!("it could not be run: {e}")),
    }

    let applies = |on: On| match on {
        On::All => true,
        On::Unix => ctx.unix,
        On::Windows => ctx.windows,
    };
    let selected: Vec<(usize, &Probe)> = PROBES
        .iter()
        .enumerate()
        .filter(|(_, p)| applies(p.on))
        .collect();
    let outcomes = parallel_map(&selected, |&(i, p)| {
        let file = probe_dir.join(format!("{}_{i}.cpp", p.name));
        fs::write(&file, format!("{}\n", p.code)).map(|()| syntax_check(tool, &file))
    });
    let mut results = Vec::new();
    for (&(_, p), outcome) in selected.iter().zip(outcomes) {
        match outcome {
            Ok(Outcome::Accepted) => results.push((p.name, true)),
            Ok(Outcome::Rejected(_)) => results.push((p.name, false)),
            Ok(Outcome::NotRun(e)) => broken(format!("it could not be run: {e}")),
            Err(e) => fail(&format!(
                "could not write a probe into {}: {e}",
                probe_dir.display()
            )),
        }
    }
    ProbeResults { results }
}
