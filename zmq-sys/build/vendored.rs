//! Vendored mode: compile the bundled libzmq 4.3.5 with `cc` (no CMake, no autotools)
//! into a static `libzmq` archive in `$OUT_DIR/lib`.
//!
//! libzmq's sources read their configuration from `platform.hpp` (selected by
//! `ZMQ_CUSTOM_PLATFORM_HPP`). Upstream generates it with CMake or autotools; here it is
//! generated into `$OUT_DIR/include-config/platform.hpp` from [`PROBES`]: small C++
//! snippets compiled (syntax only) with the *target* compiler and the same flags as
//! libzmq itself, so a cross build describes the target, not the build machine. A
//! snippet that does not compile means "not available"; a compiler that cannot run at
//! all is an error.

use std::fmt::Write as _;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

use crate::{fail, Ctx};

/// What the vendored build produced.
pub(crate) struct Built {
    /// The directory holding the static libzmq archive.
    pub lib_dir: PathBuf,
    /// Whether libzmq was compiled with CURVE (through libsodium).
    pub curve: bool,
}

/// The include directory of the bundled libzmq (it holds `zmq.h`), after checking that
/// the bundled sources are there.
pub(crate) fn include_dir(ctx: &Ctx) -> PathBuf {
    let include = ctx.vendor_dir.join("include");
    if !include.join("zmq.h").is_file() || !ctx.vendor_dir.join("src").join("zmq.cpp").is_file() {
        fail(&format!(
            "the `vendored` feature needs the bundled libzmq sources, but {} does not hold \
             include/zmq.h and src/zmq.cpp.\n\
             Restore the vendor/libzmq tree, or set LIBZMQ_NO_VENDOR=1 to link a system libzmq.",
            ctx.vendor_dir.display()
        ));
    }
    include
}

/// Where a probe is meaningful; elsewhere it is not run (and counts as failed).
#[derive(Clone, Copy, PartialEq, Eq)]
enum On {
    Unix,
    Windows,
    All,
}

/// One configuration check: `code` is a complete C++ translation unit that compiles
/// only when the feature exists. `name` in upper case is the `platform.hpp` macro
/// defined when it compiles; in lower case it is a fact that [`platform_defines`]
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

/// `platform.hpp` macros defined exactly when their probe passes.
const DIRECT: &[&str] = &[
    "HAVE_FORK",
    "HAVE_CLOCK_GETTIME",
    "HAVE_GETHRTIME",
    "HAVE_MKDTEMP",
    "ZMQ_HAVE_UIO",
    "ZMQ_HAVE_NOEXCEPT",
    "ZMQ_HAVE_EVENTFD",
    "ZMQ_HAVE_IFADDRS",
    "ZMQ_HAVE_SO_BINDTODEVICE",
    "ZMQ_HAVE_SO_PEERCRED",
    "ZMQ_HAVE_LOCAL_PEERCRED",
    "ZMQ_HAVE_BUSY_POLL",
    "ZMQ_HAVE_O_CLOEXEC",
    "ZMQ_HAVE_SOCK_CLOEXEC",
    "ZMQ_HAVE_SO_KEEPALIVE",
    "ZMQ_HAVE_SO_PRIORITY",
    "ZMQ_HAVE_TCP_KEEPCNT",
    "ZMQ_HAVE_TCP_KEEPIDLE",
    "ZMQ_HAVE_TCP_KEEPINTVL",
    "ZMQ_HAVE_TCP_KEEPALIVE",
    "ZMQ_HAVE_PTHREAD_SETNAME_1",
    "ZMQ_HAVE_PTHREAD_SETNAME_2",
    "ZMQ_HAVE_PTHREAD_SETNAME_3",
    "ZMQ_HAVE_PTHREAD_SET_NAME",
    "ZMQ_HAVE_PTHREAD_SET_AFFINITY",
    "HAVE_ACCEPT4",
    "HAVE_STRNLEN",
    "ZMQ_HAVE_STRLCPY",
    "HAVE_IF_NAMETOINDEX",
];

/// A probe the compiler accepts without any feature; if it fails, the compiler (or
/// its flags) is broken and nothing else can be trusted.
const SANITY_PROBE: &str = "int zmq_sys_probe() { return 0; }";

/// Compile libzmq and emit its link directives.
pub(crate) fn build(ctx: &Ctx) -> Built {
    let include = include_dir(ctx);
    let src = ctx.vendor_dir.join("src");
    let config_dir = ctx.out_dir.join("include-config");
    let lib_dir = ctx.out_dir.join("lib");
    let probe_dir = ctx.out_dir.join("probes");
    for dir in [&config_dir, &lib_dir, &probe_dir] {
        if let Err(e) = fs::create_dir_all(dir) {
            fail(&format!("could not create {}: {e}", dir.display()));
        }
    }

    // libzmq 4.3.5 has no bundled tweetnacl: CURVE exists only through libsodium, whose
    // static build `libsodium-sys-stable` exports its headers as DEP_SODIUM_INCLUDE.
    let sodium_include = if ctx.curve {
        let dir = std::env::var_os("DEP_SODIUM_INCLUDE").map(PathBuf::from);
        match dir {
            Some(dir) if dir.join("sodium.h").is_file() => Some(dir),
            Some(dir) => fail(&format!(
                "the `curve` feature needs libsodium's headers, but DEP_SODIUM_INCLUDE={} holds no sodium.h",
                dir.display()
            )),
            None => fail(
                "the `curve` feature needs libsodium's headers, but libsodium-sys-stable did not export \
                 DEP_SODIUM_INCLUDE (it does not when SODIUM_LIB_DIR points at a prebuilt libsodium).\n\
                 Unset SODIUM_LIB_DIR so it builds its static libsodium, or disable the `curve` feature.",
            ),
        }
    } else {
        None
    };

    let mut cxx = common_build(ctx);
    cxx.cpp(true).std(if ctx.target_env == "msvc" {
        "c++14"
    } else {
        "c++11"
    });
    if ctx.draft {
        cxx.define("ZMQ_BUILD_DRAFT_API", "1");
    }
    let tool = match cxx.try_get_compiler() {
        Ok(t) => t,
        Err(e) => fail(&format!(
            "could not find a C++ compiler for {} to build the bundled libzmq: {e}\n\
             Install one (Debian/Ubuntu: `apt-get install g++`), set CXX, or set \
             LIBZMQ_NO_VENDOR=1 to link a system libzmq.",
            ctx.target
        )),
    };
    if tool.is_like_msvc() {
        // C++ exceptions (libzmq catches std::bad_alloc), as CMake's MSVC default.
        cxx.flag("/EHsc");
    }

    let results = run_probes(ctx, &tool, &probe_dir);
    let defines = platform_defines(ctx, &results);
    write_platform_hpp(ctx, &config_dir.join("platform.hpp"), &results, &defines);

    // Sources: every src/*.cpp, sorted. Files for other platforms or for transports
    // that are off (TIPC, VMCI, NORM, PGM, GSSAPI) are wrapped in `#if` and compile to
    // nothing; only the WebSocket ones are not, so they are listed only when enabled.
    let mut cpp_files = list_sources(&src);
    cpp_files.retain(|f| {
        let name = f.file_name().and_then(|n| n.to_str()).unwrap_or_default();
        !name.starts_with("wss_") && (ctx.draft || !name.starts_with("ws_"))
    });
    let mut c_files = Vec::new();
    if ctx.draft {
        c_files.push(ctx.vendor_dir.join("external").join("sha1").join("sha1.c"));
    }
    if ctx.windows {
        c_files.push(
            ctx.vendor_dir
                .join("external")
                .join("wepoll")
                .join("wepoll.c"),
        );
    }

    cxx.include(&config_dir).include(&src).include(&include);
    if let Some(dir) = &sodium_include {
        cxx.include(dir);
    }
    cxx.files(&cpp_files).out_dir(&lib_dir);

    // The bundled C files are compiled as C and archived together with the C++ objects.
    if !c_files.is_empty() {
        let mut c = common_build(ctx);
        c.cargo_metadata(false)
            .out_dir(lib_dir.join("c"))
            .files(&c_files);
        match c.try_compile_intermediates() {
            Ok(objects) => {
                cxx.objects(objects);
            }
            Err(e) => {
                let c_tool = c.try_get_compiler().ok();
                compile_failed(&e, c_tool.as_ref(), &c_files)
            }
        }
    }

    if let Err(e) = cxx.try_compile("zmq") {
        // The compiler as configured for libzmq (with its include paths).
        let configured = cxx.try_get_compiler().ok();
        compile_failed(&e, configured.as_ref(), &cpp_files);
    }

    // libzmq's own dependencies (cc already linked the archive and the C++ runtime).
    if ctx.unix && ctx.target_os != "android" {
        println!("cargo:rustc-link-lib=pthread");
    }
    if ctx.windows {
        for lib in ["ws2_32", "iphlpapi", "rpcrt4"] {
            println!("cargo:rustc-link-lib={lib}");
        }
    }

    Built {
        lib_dir,
        curve: sodium_include.is_some(),
    }
}

/// The settings shared by the C++ build, the C files and the probes.
fn common_build(ctx: &Ctx) -> cc::Build {
    let mut b = cc::Build::new();
    // Third-party code: its warnings are not actionable for our users, so keep the
    // build output clean (the compiler gets its "no warnings" flag, and cc does not
    // forward anything as `cargo:warning`). A failed compile is diagnosed separately.
    b.warnings(false)
        .extra_warnings(false)
        .cargo_warnings(false);
    // libzmq is always compiled optimised, even in a dev profile: it is the hot path
    // of every message, an -O0 libzmq is several times slower (tests and examples
    // crawl), users debug their Rust code rather than libzmq, and the build script
    // only reruns when libzmq's sources change, so the extra compile time is paid once.
    // A profile's own -O2/-O3/-Os/-Oz is kept.
    let opt = std::env::var("OPT_LEVEL").unwrap_or_default();
    if opt == "0" || opt == "1" {
        b.opt_level(2);
    }
    b.define("ZMQ_STATIC", None)
        .define("ZMQ_CUSTOM_PLATFORM_HPP", None)
        .define("_REENTRANT", None)
        .define("_THREAD_SAFE", None);
    // The feature-test macros upstream's CMake sets per OS.
    let os_source = match ctx.target_os.as_str() {
        "linux" | "android" | "hurd" | "cygwin" => Some(("_GNU_SOURCE", None)),
        "freebsd" | "dragonfly" => Some(("__BSD_VISIBLE", Some("1"))),
        "netbsd" => Some(("_NETBSD_SOURCE", None)),
        "openbsd" => Some(("_OPENBSD_SOURCE", None)),
        "solaris" | "illumos" => Some(("_PTHREADS", None)),
        _ if ctx.target_vendor == "apple" => Some(("_DARWIN_C_SOURCE", None)),
        _ => None,
    };
    if let Some((name, value)) = os_source {
        b.define(name, value);
    }
    if ctx.windows {
        // Windows 10 (afunix.h IPC, the minimum of Rust's tier-1 Windows targets);
        // Windows 7 for the `*-win7-*` targets.
        let winnt = if ctx.target.contains("win7") {
            "0x0601"
        } else {
            "0x0A00"
        };
        b.define("_WIN32_WINNT", winnt)
            .define("FD_SETSIZE", "16384")
            .define("_CRT_SECURE_NO_WARNINGS", None)
            .define("_WINSOCK_DEPRECATED_NO_WARNINGS", None);
    }
    b
}

/// `src/*.cpp`, sorted by name.
fn list_sources(src: &Path) -> Vec<PathBuf> {
    let entries = match fs::read_dir(src) {
        Ok(e) => e,
        Err(e) => fail(&format!("could not list {}: {e}", src.display())),
    };
    let mut files = Vec::new();
    for entry in entries {
        match entry {
            Ok(entry) => {
                let path = entry.path();
                if path.extension().is_some_and(|x| x == "cpp") {
                    files.push(path);
                }
            }
            Err(e) => fail(&format!("could not list {}: {e}", src.display())),
        }
    }
    files.sort();
    files
}

/// The outcome of every probe run for this target, in [`PROBES`] order.
struct ProbeResults {
    results: Vec<(&'static str, bool)>,
}

impl ProbeResults {
    fn has(&self, name: &str) -> bool {
        self.results.iter().any(|&(n, ok)| n == name && ok)
    }
}

/// Run `f` on every item, on up to as many threads as cargo allows jobs, and return
/// the results in item order.
fn parallel_map<T: Sync, R: Send>(items: &[T], f: impl Fn(&T) -> R + Sync) -> Vec<R> {
    let cpus = std::thread::available_parallelism().map_or(1, std::num::NonZeroUsize::get);
    let jobs = std::env::var("NUM_JOBS")
        .ok()
        .and_then(|n| n.parse::<usize>().ok())
        .unwrap_or(cpus);
    let workers = jobs.min(cpus).clamp(1, 8).min(items.len().max(1));
    let next = AtomicUsize::new(0);
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::scope(|scope| {
        for _ in 0..workers {
            let tx = tx.clone();
            let (next, f) = (&next, &f);
            scope.spawn(move || loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                let Some(item) = items.get(i) else { break };
                if tx.send((i, f(item))).is_err() {
                    break;
                }
            });
        }
    });
    drop(tx);
    let mut out: Vec<(usize, R)> = rx.into_iter().collect();
    out.sort_by_key(|&(i, _)| i);
    out.into_iter().map(|(_, r)| r).collect()
}

/// The outcome of compiling one snippet: accepted, rejected (with the compiler's
/// messages), or the compiler could not be started.
enum Outcome {
    Accepted,
    Rejected(String),
    NotRun(std::io::Error),
}

/// Check `file` with `tool` without producing output (`-fsyntax-only`, or `/Zs` for MSVC).
fn syntax_check(tool: &cc::Tool, file: &Path) -> Outcome {
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

fn write_file(path: &Path, contents: &str) {
    if let Err(e) = fs::write(path, contents) {
        fail(&format!("could not write {}: {e}", path.display()));
    }
}

/// Compile the sanity snippet and then every probe meant for this target.
fn run_probes(ctx: &Ctx, tool: &cc::Tool, probe_dir: &Path) -> ProbeResults {
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

/// The `platform.hpp` macros for this target, decided from the probes, the target and
/// the features, in the order upstream's template lists them.
fn platform_defines(ctx: &Ctx, probes: &ProbeResults) -> Vec<(&'static str, Option<&'static str>)> {
    let has = |name: &str| probes.has(name);
    let uwp = ctx.windows && ctx.target_vendor == "uwp";
    let mut d: Vec<(&'static str, Option<&'static str>)> = Vec::new();

    // condition_variable_t: C++11's when the library has it (as upstream prefers).
    let cv = if has("std_condition_variable") {
        "ZMQ_USE_CV_IMPL_STL11"
    } else if ctx.windows {
        "ZMQ_USE_CV_IMPL_WIN32API"
    } else {
        "ZMQ_USE_CV_IMPL_PTHREADS"
    };
    d.push((cv, None));

    // I/O thread poller: Windows uses the bundled wepoll (select on UWP), as upstream's
    // CMake with MSVC; elsewhere the first available of kqueue, epoll, /dev/poll,
    // pollset, poll, select.
    let poller = if ctx.windows {
        if uwp {
            "ZMQ_IOTHREAD_POLLER_USE_SELECT"
        } else {
            "ZMQ_IOTHREAD_POLLER_USE_EPOLL"
        }
    } else if has("kqueue") {
        "ZMQ_IOTHREAD_POLLER_USE_KQUEUE"
    } else if has("epoll") {
        "ZMQ_IOTHREAD_POLLER_USE_EPOLL"
    } else if has("devpoll") {
        "ZMQ_IOTHREAD_POLLER_USE_DEVPOLL"
    } else if has("pollset") {
        "ZMQ_IOTHREAD_POLLER_USE_POLLSET"
    } else if has("poll") {
        "ZMQ_IOTHREAD_POLLER_USE_POLL"
    } else if has("select") {
        "ZMQ_IOTHREAD_POLLER_USE_SELECT"
    } else {
        fail(&format!(
            "found no I/O polling mechanism (kqueue, epoll, /dev/poll, pollset, poll, select) \
             for {}; see the probe list in {}",
            ctx.target,
            ctx.out_dir
                .join("include-config")
                .join("platform.hpp")
                .display()
        ))
    };
    d.push((poller, None));
    if poller == "ZMQ_IOTHREAD_POLLER_USE_EPOLL" && !ctx.windows && has("epoll_create1") {
        d.push(("ZMQ_IOTHREAD_POLLER_USE_EPOLL_CLOEXEC", None));
    }
    if !ctx.windows && has("pselect") {
        d.push(("ZMQ_HAVE_PPOLL", None));
    }
    // zmq_poll() and zmq_poller_*: poll (WSAPoll on Windows) unless the I/O threads
    // had to fall back to select.
    d.push(if poller == "ZMQ_IOTHREAD_POLLER_USE_SELECT" {
        ("ZMQ_POLL_BASED_ON_SELECT", None)
    } else {
        ("ZMQ_POLL_BASED_ON_POLL", None)
    });

    if has("HAVE_POSIX_MEMALIGN") {
        d.push(("HAVE_POSIX_MEMALIGN", Some("1")));
    }
    d.push(("ZMQ_CACHELINE_SIZE", Some("64")));

    for &name in DIRECT {
        if has(name) {
            d.push((name, None));
        }
    }
    if has("ZMQ_HAVE_EVENTFD") && has("ZMQ_HAVE_EVENTFD_CLOEXEC") {
        d.push(("ZMQ_HAVE_EVENTFD_CLOEXEC", None));
    }

    if has("sockaddr_un") && !uwp {
        d.push(("ZMQ_HAVE_IPC", None));
        d.push(("ZMQ_HAVE_STRUCT_SOCKADDR_UN", None));
    }

    // Draft builds: the WebSocket transport (ws://, with the bundled SHA-1; no wss://,
    // which would need GnuTLS) and the radix tree for subscriptions, as upstream does
    // with drafts enabled.
    if ctx.draft {
        d.push(("ZMQ_USE_BUILTIN_SHA1", None));
        d.push(("ZMQ_HAVE_WS", None));
        d.push(("ZMQ_USE_RADIX_TREE", None));
    }

    if ctx.curve {
        d.push(("ZMQ_HAVE_CURVE", None));
        d.push(("ZMQ_USE_LIBSODIUM", None));
        d.push(("SODIUM_STATIC", None));
    }

    d.extend(os_defines(ctx).into_iter().map(|m| (m, None)));
    d
}

/// The OS macros of upstream's template (`ZMQ_HAVE_LINUX`, ...), from the target's
/// `target_os`, not from the machine running the build.
fn os_defines(ctx: &Ctx) -> Vec<&'static str> {
    let mut os = match ctx.target_os.as_str() {
        "linux" => vec!["ZMQ_HAVE_LINUX"],
        "android" => vec!["ZMQ_HAVE_LINUX", "ZMQ_HAVE_ANDROID"],
        "freebsd" => vec!["ZMQ_HAVE_FREEBSD"],
        "dragonfly" => vec!["ZMQ_HAVE_FREEBSD", "ZMQ_HAVE_DRAGONFLY"],
        "netbsd" => vec!["ZMQ_HAVE_NETBSD"],
        "openbsd" => vec!["ZMQ_HAVE_OPENBSD"],
        "solaris" | "illumos" => vec!["ZMQ_HAVE_SOLARIS"],
        "aix" => vec!["ZMQ_HAVE_AIX"],
        "nto" => vec!["ZMQ_HAVE_QNXNTO"],
        "cygwin" => vec!["ZMQ_HAVE_CYGWIN"],
        "vxworks" => vec!["ZMQ_HAVE_VXWORKS"],
        "windows" => vec!["ZMQ_HAVE_WINDOWS"],
        _ => Vec::new(),
    };
    if ctx.target_vendor == "apple" {
        os.push("ZMQ_HAVE_OSX");
    }
    if ctx.windows && ctx.target_env == "gnu" {
        os.push("ZMQ_HAVE_MINGW32");
    }
    if ctx.windows && ctx.target_vendor == "uwp" {
        os.push("ZMQ_HAVE_WINDOWS_UWP");
    }
    os
}

fn write_platform_hpp(
    ctx: &Ctx,
    path: &Path,
    probes: &ProbeResults,
    defines: &[(&'static str, Option<&'static str>)],
) {
    let list = |ok: bool| {
        let names: Vec<&str> = probes
            .results
            .iter()
            .filter(|&&(_, r)| r == ok)
            .map(|&(n, _)| n)
            .collect();
        if names.is_empty() {
            "(none)".to_string()
        } else {
            wrap(&names, "       ")
        }
    };
    let mut h = String::new();
    let _ = writeln!(
        h,
        "/* platform.hpp for libzmq 4.3.5, generated by zmq-sys's build script (build/vendored.rs)\n\
         \x20  for target {target}. Do not edit: it is rewritten on every build.\n\
         \n\
         \x20  Probes (C++ snippets compiled, syntax only, with the target compiler and libzmq's flags):\n\
         \x20    passed:\n{passed}\n\
         \x20    failed:\n{failed}\n\
         \x20  Features: draft={draft} curve={curve}\n\
         */",
        target = ctx.target,
        passed = list(true),
        failed = list(false),
        draft = ctx.draft,
        curve = ctx.curve,
    );
    h.push_str("#ifndef __ZMQ_PLATFORM_HPP_INCLUDED__\n#define __ZMQ_PLATFORM_HPP_INCLUDED__\n\n");
    for (name, value) in defines {
        match value {
            Some(v) => {
                let _ = writeln!(h, "#define {name} {v}");
            }
            None => {
                let _ = writeln!(h, "#define {name}");
            }
        }
    }
    h.push_str("\n#endif\n");
    // Rewrite only on change, so the file's timestamp means something.
    if fs::read_to_string(path).ok().as_deref() != Some(h.as_str()) {
        write_file(path, &h);
    }
}

/// `names` joined with spaces, in lines of about 80 columns, each starting with `prefix`.
fn wrap(names: &[&str], prefix: &str) -> String {
    let mut lines = vec![String::from(prefix)];
    for name in names {
        let needs_new_line = lines
            .last()
            .is_some_and(|l| l.len() > prefix.len() && l.len() + 1 + name.len() > 88);
        if needs_new_line {
            lines.push(String::from(prefix));
        }
        if let Some(line) = lines.last_mut() {
            if line.len() > prefix.len() {
                line.push(' ');
            }
            line.push_str(name);
        }
    }
    lines.join("\n")
}

/// The first `max` lines of `text`, indented.
fn indent(text: &str, max: usize) -> String {
    let lines: Vec<&str> = text.lines().collect();
    let mut out: Vec<String> = lines.iter().take(max).map(|l| format!("    {l}")).collect();
    if lines.len() > max {
        out.push(format!("    ... ({} more lines)", lines.len() - max));
    }
    out.join("\n")
}

/// The compile failed with cc's output switched off: find the first file the compiler
/// rejects (syntax-only checks, in parallel, stopping early) and show its messages.
fn compile_failed(error: &cc::Error, tool: Option<&cc::Tool>, files: &[PathBuf]) -> ! {
    let mut detail = String::new();
    if let Some(tool) = tool {
        let stop = AtomicBool::new(false);
        let outcomes = parallel_map(files, |file| {
            if stop.load(Ordering::Relaxed) {
                return None;
            }
            match syntax_check(tool, file) {
                Outcome::Rejected(text) => {
                    stop.store(true, Ordering::Relaxed);
                    Some((file.clone(), text))
                }
                _ => None,
            }
        });
        if let Some((file, text)) = outcomes.into_iter().flatten().next() {
            detail = format!(
                "\nThe compiler rejects {}:\n{}",
                file.display(),
                indent(&text, 40)
            );
        }
    }
    fail(&format!(
        "compiling the bundled libzmq failed: {error}{detail}\n\
         Set LIBZMQ_NO_VENDOR=1 to link a system libzmq instead."
    ))
}
