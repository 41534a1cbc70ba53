//! `platform.hpp`, the configuration header libzmq's sources read (selected by
//! `ZMQ_CUSTOM_PLATFORM_HPP`): upstream generates it with CMake or autotools; here it
//! is decided from the probes, the target and the features, and written into
//! `$OUT_DIR/include-config`.

use std::fmt::Write as _;
use std::fs;
use std::path::Path;

use super::probes::ProbeResults;
use super::sodium::Sodium;
use super::write_file;
use crate::{fail, Ctx};

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

/// The `platform.hpp` macros for this target, decided from the probes, the target and
/// the features, in the order upstream's template lists them.
pub(super) fn platform_defines(
    ctx: &Ctx,
    probes: &ProbeResults,
    sodium: Option<&Sodium>,
) -> Vec<(&'static str, Option<&'static str>)> {
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

    // IPC on Windows needs <afunix.h>, which libzmq 4.3.5 includes only under
    // _MSC_VER: with MinGW its IPC files reach for <sys/un.h> and fail (fixed upstream
    // after 4.3.5). So no ipc:// with MinGW, although its headers have afunix.h.
    let mingw = ctx.windows && ctx.target_env == "gnu";
    if has("sockaddr_un") && !uwp && !mingw {
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

    if let Some(sodium) = sodium {
        d.push(("ZMQ_HAVE_CURVE", None));
        d.push(("ZMQ_USE_LIBSODIUM", None));
        // Tells sodium.h not to import its functions from a DLL (Windows).
        if sodium.is_static() {
            d.push(("SODIUM_STATIC", None));
        }
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

pub(super) fn write_platform_hpp(
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
        "/* platform.hpp for libzmq 4.3.5, generated by zmq-sys's build script (build/vendored/)\n\
         \x20  for target {target}. Do not edit: it is rewritten on every build.\n\
         \n\
         \x20  Probes (C++ snippets compiled to objects with the target compiler and libzmq's flags):\n\
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
